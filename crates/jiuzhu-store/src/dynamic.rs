//! 动态管理 dynamic management of recipients (issue 8, part 4): the village's monthly visits
//! (走访, with the 零报告 zero report when nothing changed), the township's re-checks (复核)
//! on the profile's schedule, and what a re-check changes: 增发/减发/停发 or the 渐退期
//! gradual exit, written into the entitlement through the same change as
//! [`crate::Command::ChangeEntitlement`], so that the next roster pays the new amount. The
//! 调整/停发告知书 of a re-check that changed the amount is a document of subject
//! `recheck:{id}` ([`crate::DocumentSubject::Recheck`]).
//!
//! The pure rules are [`jiuzhu_domain::dynamic`]; the SQL is `sql/dynamic.rs` (included
//! by both backends after `store.rs`); the tables `visits` and `rechecks` are migration 0010.
//!
//! Refusals are [`crate::StoreError::Case`] with a stable `dynamic.…` code and a Chinese
//! message, like the funds' (`payroll.…`).

use chrono::{DateTime, NaiveDate, Utc};
use jiuzhu_domain::benefit::Calculation;
use jiuzhu_domain::case::MemberFacts;
use jiuzhu_domain::dynamic::ChangeKind;
use jiuzhu_domain::{DivisionCode, Fen, Program};
use serde::{Deserialize, Serialize};

use crate::payroll::Month;

/// Stable refusal codes.
pub mod codes {
    /// The household receives no monthly payment (nothing to visit or re-check).
    pub const NOT_RECIPIENT: &str = "dynamic.not_recipient";
    /// This month's visit of the household is recorded already.
    pub const VISIT_RECORDED: &str = "dynamic.visit_recorded";
    /// Zero report and changes together, or neither.
    pub const VISIT_OUTCOME: &str = "dynamic.visit_outcome";
    /// The visit's date is outside its month or in the future.
    pub const VISIT_DATE: &str = "dynamic.visit_date";
    /// The re-check's date is in the future or before the payment started.
    pub const RECHECK_DATE: &str = "dynamic.recheck_date";
    /// The amount cannot be computed from what the re-check found.
    pub const RECHECK_AMOUNT: &str = "dynamic.recheck_amount";
    /// The role may not record this.
    pub const WRONG_ROLE: &str = "dynamic.wrong_role";
}

/// A dynamic-management command, run through [`crate::Store::execute`] as
/// [`crate::Command::Dynamic`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum DynamicCommand {
    /// 走访 the month's visit of a recipient household by the village assistant (or the
    /// township's caseworker): a zero report, or the changes found. Once per household and
    /// month.
    RecordVisit {
        household_id: i64,
        month: Month,
        visited_on: NaiveDate,
        zero_report: bool,
        #[serde(default)]
        changes: Vec<ChangeKind>,
        #[serde(default)]
        note: String,
    },
    /// 复核 the township re-checks a recipient household of `program`: the facts of the
    /// re-check's home visit (`members`, for the 低保 top-up), whether the household still
    /// meets the program's conditions and whether it counts as stable (yearly re-checks).
    /// The amount is computed again; a change takes effect from the month after the re-check
    /// (or the first month not yet settled) and is written into the entitlement.
    RecordRecheck {
        household_id: i64,
        program: Program,
        checked_on: NaiveDate,
        stable: bool,
        #[serde(default)]
        members: Vec<MemberFacts>,
        eligible: bool,
        findings: String,
    },
}

impl DynamicCommand {
    pub fn name(&self) -> &'static str {
        match self {
            DynamicCommand::RecordVisit { .. } => "record_visit",
            DynamicCommand::RecordRecheck { .. } => "record_recheck",
        }
    }
}

/// A recorded monthly visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    pub id: i64,
    pub household_id: i64,
    pub month: Month,
    pub visited_on: NaiveDate,
    pub zero_report: bool,
    pub changes: Vec<ChangeKind>,
    pub note: String,
    pub visitor_id: i64,
    pub visitor: String,
    pub recorded_at: DateTime<Utc>,
}

/// One recipient household of a month's visit list, with its visit if there was one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitLine {
    pub household_id: i64,
    /// 户主, full name (staff pages only).
    pub head_name: String,
    pub village: DivisionCode,
    pub township: DivisionCode,
    /// The monthly programs the household receives.
    pub programs: Vec<Program>,
    pub visit: Option<Visit>,
}

/// 复核结论 what a re-check changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecheckOutcome {
    Unchanged,
    Increase,
    Reduce,
    GradualExit,
    Stop,
}

impl RecheckOutcome {
    pub const ALL: [RecheckOutcome; 5] = [
        RecheckOutcome::Unchanged,
        RecheckOutcome::Increase,
        RecheckOutcome::Reduce,
        RecheckOutcome::GradualExit,
        RecheckOutcome::Stop,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecheckOutcome::Unchanged => "unchanged",
            RecheckOutcome::Increase => "increase",
            RecheckOutcome::Reduce => "reduce",
            RecheckOutcome::GradualExit => "gradual_exit",
            RecheckOutcome::Stop => "stop",
        }
    }

    pub fn parse(s: &str) -> Option<RecheckOutcome> {
        RecheckOutcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            RecheckOutcome::Unchanged => "维持原待遇",
            RecheckOutcome::Increase => "增发",
            RecheckOutcome::Reduce => "减发",
            RecheckOutcome::GradualExit => "渐退后停发",
            RecheckOutcome::Stop => "停发",
        }
    }

    /// Whether the household gets a written notice (调整/停发告知书).
    pub fn needs_notice(self) -> bool {
        self != RecheckOutcome::Unchanged
    }
}

/// A recorded re-check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recheck {
    pub id: i64,
    pub household_id: i64,
    pub program: Program,
    pub village: DivisionCode,
    pub township: DivisionCode,
    pub case_id: Option<i64>,
    pub checked_on: NaiveDate,
    pub stable: bool,
    pub outcome: RecheckOutcome,
    /// The monthly amount before the re-check.
    pub previous: Fen,
    /// The monthly amount from `effective` on (kept during a gradual exit; zero after a stop).
    pub amount: Fen,
    /// The first month the change applies to (`None` when unchanged).
    pub effective: Option<Month>,
    /// The first month without payment (a stop, or the end of a gradual exit).
    pub stop_from: Option<Month>,
    /// When the next re-check is due.
    pub next_due: NaiveDate,
    pub findings: String,
    /// The reason the notice gives (Chinese).
    pub reason_zh: String,
    /// The new amount's working, for an increase or reduction.
    pub calculation: Option<Calculation>,
    pub members: Vec<MemberFacts>,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

/// Why a household is on the re-check list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueReason {
    /// 定期复核 the profile's interval since the last re-check (or the start of payment).
    Scheduled,
    /// 走访发现变化 a visit reported a change after the last re-check.
    ChangeReported,
}

impl DueReason {
    pub fn name_zh(self) -> &'static str {
        match self {
            DueReason::Scheduled => "定期复核",
            DueReason::ChangeReported => "走访发现变化",
        }
    }
}

/// One recipient household and program on the re-check schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecheckDue {
    pub household_id: i64,
    pub head_name: String,
    pub program: Program,
    pub village: DivisionCode,
    pub monthly: Fen,
    pub last_checked: Option<NaiveDate>,
    pub due: NaiveDate,
    pub reason: DueReason,
    /// The changes reported since the last re-check.
    pub changes: Vec<ChangeKind>,
}

/// Which re-checks to list (always also limited to the actor's scope).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecheckFilter {
    pub within: Option<DivisionCode>,
    pub household_id: Option<i64>,
}

/// What a re-check stores besides its columns (the `detail` JSON column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecheckDetail {
    pub members: Vec<MemberFacts>,
    pub calculation: Option<Calculation>,
}
