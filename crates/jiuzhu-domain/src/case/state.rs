//! 案件状态 the state of one case, rebuilt from its events by [`super::apply`].

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::{CaseId, HouseholdId, UserId};
use crate::benefit::Calculation;
use crate::deadline::Due;
use crate::delegation::Authority;
use crate::profile::{Appraisal, StepOrder};
use crate::schedule::Step;
use crate::{DivisionCode, Fen, Program, Relation, Role};

/// 办理阶段 where a case stands. See the diagram in the module docs of [`crate::case`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 先行核对 (先核对、后申请): the check was requested before any application.
    PreCheck,
    /// 核对通过，通知申请人正式提交申请: the check passed; waiting for the application.
    Invited,
    /// 申请登记 the application is being registered (only between the events of one command).
    Intake,
    /// 一次性告知后待补正材料: the one-time notice listed the missing materials.
    AwaitingMaterials,
    /// 村(居)初审 the village committee's first review.
    VillageReview,
    /// 调查核实 accepted: home visit and economic check.
    Investigation,
    /// 审核 the home visit is recorded; the review opinion is due.
    Review,
    /// 民主评议 democratic appraisal.
    Appraisal,
    /// 待公示 the proposed approval is to be posted.
    ToNotice,
    /// 公示中 the public notice runs.
    Notice,
    /// 异议复核 re-investigation after an objection.
    Reinvestigation,
    /// 待确认 the file is with the confirming authority.
    Decision,
    /// 已决定 decided: notice delivery, posting of the result, archive.
    Decided,
    /// 待先行救助 an emergency was reported; help is due.
    EmergencyHelp,
    /// 待补办手续 help was given; the paperwork is due.
    EmergencyPaperwork,
    /// 已办结 closed (see [`CloseReason`]); no command is accepted any more.
    Closed,
}

impl Stage {
    pub const ALL: [Stage; 16] = [
        Stage::PreCheck,
        Stage::Invited,
        Stage::Intake,
        Stage::AwaitingMaterials,
        Stage::VillageReview,
        Stage::Investigation,
        Stage::Review,
        Stage::Appraisal,
        Stage::ToNotice,
        Stage::Notice,
        Stage::Reinvestigation,
        Stage::Decision,
        Stage::Decided,
        Stage::EmergencyHelp,
        Stage::EmergencyPaperwork,
        Stage::Closed,
    ];

    /// Stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::PreCheck => "pre_check",
            Stage::Invited => "invited",
            Stage::Intake => "intake",
            Stage::AwaitingMaterials => "awaiting_materials",
            Stage::VillageReview => "village_review",
            Stage::Investigation => "investigation",
            Stage::Review => "review",
            Stage::Appraisal => "appraisal",
            Stage::ToNotice => "to_notice",
            Stage::Notice => "notice",
            Stage::Reinvestigation => "reinvestigation",
            Stage::Decision => "decision",
            Stage::Decided => "decided",
            Stage::EmergencyHelp => "emergency_help",
            Stage::EmergencyPaperwork => "emergency_paperwork",
            Stage::Closed => "closed",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Stage::PreCheck => "先行核对",
            Stage::Invited => "核对通过待申请",
            Stage::Intake => "申请登记",
            Stage::AwaitingMaterials => "待补正材料",
            Stage::VillageReview => "村(居)初审",
            Stage::Investigation => "调查核实",
            Stage::Review => "审核",
            Stage::Appraisal => "民主评议",
            Stage::ToNotice => "待公示",
            Stage::Notice => "公示中",
            Stage::Reinvestigation => "异议复核调查",
            Stage::Decision => "待确认",
            Stage::Decided => "已作出决定",
            Stage::EmergencyHelp => "待先行救助",
            Stage::EmergencyPaperwork => "待补办手续",
            Stage::Closed => "已办结",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// 申请来源 how the case came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// 本人申请 the household applied at the township window.
    Household,
    /// 代办 the village committee applied on the household's behalf.
    OnBehalf,
    /// 主动发现 the village (or township) found the household and reported it.
    Discovered,
}

impl Origin {
    pub fn name_zh(self) -> &'static str {
        match self {
            Origin::Household => "本人申请",
            Origin::OnBehalf => "村(居)委会代办",
            Origin::Discovered => "主动发现",
        }
    }
}

/// How the first event opened the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenedVia {
    /// An application (先申请后核对).
    Application,
    /// A check request before any application (先核对、后申请).
    PreCheck,
    /// An emergency report (急难型临时救助, 先行救助).
    Emergency,
}

/// The shape of the procedure a case runs under, copied from the county's profile when the
/// case opens. A profile edited later does not change the steps of a case already running,
/// just as it does not move deadlines already computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    /// 先申请后核对 / 先核对后申请.
    pub order: StepOrder,
    /// 村(居)初审.
    pub village_review: bool,
    /// 民主评议: always / on objection (or dispute) / never.
    pub appraisal: Appraisal,
    /// Distinct investigators each home visit needs.
    pub min_investigators: u32,
    /// 公示 before the decision.
    pub notice_before_decision: bool,
    /// The result is posted after an approval (审批结果公示 / 长期公示).
    pub disclosure_after_decision: bool,
}

/// What identifies a case and the rules it runs under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseHeader {
    /// The store's id of the case.
    pub case_id: CaseId,
    /// 案件编号 the human-readable number the store assigned.
    pub number: String,
    pub program: Program,
    /// The 6-digit county (the event-log partition).
    pub county: DivisionCode,
    /// The township or street office (12-digit `…TTT000`).
    pub township: DivisionCode,
    /// The village or community of household registration (户籍所在地).
    pub village: DivisionCode,
    pub household_id: HouseholdId,
    pub origin: Origin,
    pub opened_via: OpenedVia,
    /// The profile the procedure was taken from (`650205-wuerhe`).
    pub profile_id: String,
    pub procedure: Procedure,
}

/// 截止时间 the due date of one open step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDue {
    pub step: Step,
    pub due: Due,
}

/// Who did something and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    pub at: NaiveDateTime,
    pub by: UserId,
}

/// 一次性告知 the one-time notice of missing materials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimeNotice {
    pub signed: Signed,
    /// Every missing required item, in checklist order.
    pub missing: Vec<MissingMaterial>,
}

/// One item of a one-time notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingMaterial {
    pub key: String,
    pub name_zh: String,
}

/// 初审意见 the village committee's first review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VillageReviewRecord {
    pub signed: Signed,
    pub supports: bool,
    pub opinion: String,
}

/// 家庭经济状况核对 the result of an economic status check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The household's income and assets are within the program's limits.
    pub passed: bool,
    /// 核对报告 summary of the report.
    pub summary: String,
    /// Why the household does not qualify (required when it does not pass).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// A check: its request and, once entered, its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRecord {
    pub requested: Signed,
    /// Requested before any application (先核对、后申请).
    pub before_application: bool,
    pub result: Option<(Signed, CheckResult)>,
}

/// 家庭成员情况 what the home visit found about one member. Members are referred to by
/// their sequence number in the household record: no names or ID numbers in case events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberFacts {
    /// The member's sequence number in the household record (1-based).
    pub member_seq: i32,
    pub relation: Relation,
    /// 共同生活 lives with the household.
    pub lives_together: bool,
    /// 有劳动能力 able to work.
    pub able_to_work: bool,
    /// Monthly income found, in fen.
    pub monthly_income: Fen,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// 入户调查 one home visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeVisit {
    pub signed: Signed,
    /// The investigators present, distinct; the recorder is one of them.
    pub investigators: Vec<UserId>,
    pub members: Vec<MemberFacts>,
    pub findings: String,
    /// A re-investigation after an objection (异议复核).
    pub reinvestigation: bool,
}

/// 审核意见 the reviewer's recommendation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recommendation {
    /// 拟批准, with the proposed amount where the program pays money.
    Approve {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proposed_amount: Option<Fen>,
    },
    /// 拟不予批准, with reasons.
    Refuse { reasons: Vec<String> },
}

impl Recommendation {
    pub fn is_approve(&self) -> bool {
        matches!(self, Recommendation::Approve { .. })
    }
}

/// One signed review opinion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRecord {
    pub signed: Signed,
    pub recommendation: Recommendation,
    pub opinion: String,
    /// 有争议 the facts are disputed (calls for appraisal where it is held on objection).
    pub disputed: bool,
}

/// Why a democratic appraisal is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppraisalReason {
    /// The profile holds one in every case.
    Always,
    /// The reviewer found the facts disputed (有争议).
    Disputed,
    /// An objection to a notice or to the posted result (有异议).
    Objection,
}

/// 评议结果 the appraisal's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppraisalOutcome {
    /// The meeting finds the household eligible (as proposed or decided).
    Supports,
    /// The meeting finds it not eligible.
    Opposes,
}

/// 民主评议 one appraisal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppraisalRecord {
    pub signed: Signed,
    pub reason: AppraisalReason,
    /// Who took part (村民代表, 驻村干部 …), as the minutes name them.
    pub participants: Vec<String>,
    pub outcome: AppraisalOutcome,
    pub minutes: String,
}

/// 公示 one posting of the proposed approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeRecord {
    pub posted: Signed,
    /// The last day (or moment) of the notice period.
    pub due: Option<Due>,
    /// Recorded as ended without objection.
    pub ended: Option<Signed>,
    /// An objection was raised during it.
    pub objected: bool,
}

/// 异议 one objection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectionRecord {
    pub signed: Signed,
    pub summary: String,
    /// Raised against the posted result of a decision (not against a pre-decision notice).
    pub after_decision: bool,
}

/// 决定 the outcome of the confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decision {
    /// 批准: the monthly (or one-off) amount, the first month it is paid for and how the
    /// amount was computed from the profile's standards.
    Approve {
        amount: Fen,
        /// First day of the first month (YYYY-MM-01).
        start_month: NaiveDate,
        calculation: Calculation,
    },
    /// 不予批准, with the reasons the written notice gives.
    Refuse { reasons: Vec<String> },
}

impl Decision {
    pub fn is_approve(&self) -> bool {
        matches!(self, Decision::Approve { .. })
    }
}

/// 纠正结果 what a correction set the approval's amount to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Correction {
    /// The amount computed again from the facts found, with its working.
    Amount {
        amount: Fen,
        calculation: Calculation,
    },
    /// 终止: the payment stops.
    Stop,
}

impl Correction {
    /// The monthly (or one-off) amount after the correction.
    pub fn amount(&self) -> Fen {
        match self {
            Correction::Amount { amount, .. } => *amount,
            Correction::Stop => Fen::ZERO,
        }
    }
}

/// 纠正 a correction of the approval after a supervision finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionRecord {
    pub signed: Signed,
    pub role: Role,
    /// The finding it rests on (a spot check, a filing review, a complaint).
    pub finding: crate::supervision::FindingRef,
    /// The amount before the correction.
    pub previous_amount: Fen,
    pub correction: Correction,
    /// The first month the corrected amount is right for (YYYY-MM-01).
    pub effective_month: NaiveDate,
    pub reason: String,
    /// Which decision it corrects: the number of decisions superseded before it.
    pub decision_index: usize,
}

/// A decision with who made it under which authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub signed: Signed,
    pub role: Role,
    pub decision: Decision,
    /// The authority the caller established with `delegation::authority`.
    pub authority: Authority,
}

/// 急难型临时救助 the emergency track.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyRecord {
    pub reported: Signed,
    pub summary: String,
    pub help: Option<EmergencyHelp>,
    /// 补办手续 completed.
    pub paperwork: Option<Signed>,
}

/// 先行救助 the help given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyHelp {
    pub signed: Signed,
    pub amount: Fen,
    pub description: String,
}

/// 近亲属关系 how the staff member or cadre is related to the household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kinship {
    Spouse,
    Parent,
    Child,
    Sibling,
    Grandparent,
    Grandchild,
    /// 其他近亲属 (in-laws and others the county's rules name).
    Other,
}

impl Kinship {
    pub fn name_zh(self) -> &'static str {
        match self {
            Kinship::Spouse => "配偶",
            Kinship::Parent => "父母",
            Kinship::Child => "子女",
            Kinship::Sibling => "兄弟姐妹",
            Kinship::Grandparent => "祖父母、外祖父母",
            Kinship::Grandchild => "孙子女、外孙子女",
            Kinship::Other => "其他近亲属",
        }
    }
}

/// Who the related person is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelatedCapacity {
    /// 经办人员 a staff member of the civil-affairs system.
    Staff,
    /// 村(居)干部 a village or community cadre.
    VillageCadre,
}

impl RelatedCapacity {
    pub fn name_zh(self) -> &'static str {
        match self {
            RelatedCapacity::Staff => "经办人员",
            RelatedCapacity::VillageCadre => "村(居)干部",
        }
    }
}

/// A duty on a case, for separation of duties and near-relative filings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    /// 受理 intake.
    Intake,
    /// 调查 investigation (home visit).
    Investigate,
    /// 审核 review.
    Review,
    /// 确认 confirmation (the decision).
    Confirm,
}

impl Duty {
    pub fn name_zh(self) -> &'static str {
        match self {
            Duty::Intake => "受理",
            Duty::Investigate => "调查",
            Duty::Review => "审核",
            Duty::Confirm => "确认",
        }
    }
}

impl std::fmt::Display for Duty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Duty::Intake => "intake",
            Duty::Investigate => "investigation",
            Duty::Review => "review",
            Duty::Confirm => "confirmation",
        })
    }
}

/// 近亲属备案 one filing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NearRelativeFiling {
    pub signed: Signed,
    pub related_user: UserId,
    pub kinship: Kinship,
    pub capacity: RelatedCapacity,
    /// The county the filing goes to (备案).
    pub filed_with: DivisionCode,
    /// Duties the related person had already performed on the case when it was filed, for
    /// the county's review.
    pub prior_duties: Vec<Duty>,
}

/// Why a case closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CloseReason {
    /// 办结归档 decided, notice delivered (and the result posted where required).
    Archived,
    /// 撤回 withdrawn; refusing the investigation counts as withdrawing (视为放弃申请).
    Withdrawn {
        refused_investigation: bool,
        note: String,
    },
    /// 先核对后申请: the check failed; the reasons are explained to the applicant.
    CheckFailed { reasons: Vec<String> },
    /// 急难型 help given and the paperwork completed, nothing further asked.
    EmergencyOnly,
}

impl CloseReason {
    pub fn name_zh(&self) -> &'static str {
        match self {
            CloseReason::Archived => "办结归档",
            CloseReason::Withdrawn {
                refused_investigation: true,
                ..
            } => "拒绝调查，视为放弃申请",
            CloseReason::Withdrawn { .. } => "申请人撤回申请",
            CloseReason::CheckFailed { .. } => "经核对不符合条件",
            CloseReason::EmergencyOnly => "先行救助后办结",
        }
    }
}

/// The closing of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub signed: Signed,
    pub reason: CloseReason,
}

/// 案件 one case as its events made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseState {
    pub header: CaseHeader,
    pub stage: Stage,
    /// Number of events applied (for optimistic concurrency in the store).
    pub version: u64,
    pub opened: Signed,
    /// The latest event's time: a command may not be dated before it.
    pub last_at: NaiveDateTime,
    /// Materials on file, by checklist key.
    pub materials: BTreeSet<String>,
    /// 申请 the application was filed.
    pub applied: Option<Signed>,
    pub one_time_notice: Option<OneTimeNotice>,
    pub village_review: Option<VillageReviewRecord>,
    /// 受理 accepted by the township.
    pub accepted: Option<Signed>,
    /// Every economic check, in order (a re-investigation may check again); the first is the
    /// pre-check under 先核对、后申请.
    pub checks: Vec<CheckRecord>,
    pub home_visits: Vec<HomeVisit>,
    /// Everyone who ever investigated the case.
    pub investigators: BTreeSet<UserId>,
    pub reviews: Vec<ReviewRecord>,
    /// The appraisal called and not yet held.
    pub pending_appraisal: Option<AppraisalReason>,
    pub appraisals: Vec<AppraisalRecord>,
    pub notices: Vec<NoticeRecord>,
    pub objections: Vec<ObjectionRecord>,
    /// An objection was raised and its appraisal has not been held yet.
    pub objection_calls_for_appraisal: bool,
    pub decision: Option<DecisionRecord>,
    /// Decisions replaced after an objection to the posted result.
    pub superseded_decisions: Vec<DecisionRecord>,
    /// 送达 the decision notice (or the 不予批准告知书) was delivered.
    pub delivered: Option<Signed>,
    /// 审批结果公示 the approval was posted in the village.
    pub result_posted: Option<Signed>,
    pub emergency: Option<EmergencyRecord>,
    pub near_relatives: Vec<NearRelativeFiling>,
    /// 纠正 corrections of an approval, in order (of any decision the case had).
    #[serde(default)]
    pub corrections: Vec<CorrectionRecord>,
    pub closure: Option<Closure>,
    /// Due dates of the open steps, as computed when each step's clock started.
    pub dues: Vec<StepDue>,
}

impl CaseState {
    /// Whether `user` is a filed near relative of the household.
    pub fn is_near_relative(&self, user: UserId) -> bool {
        self.near_relatives.iter().any(|f| f.related_user == user)
    }

    /// Everyone who signed a review opinion.
    pub fn reviewers(&self) -> BTreeSet<UserId> {
        self.reviews.iter().map(|r| r.signed.by).collect()
    }

    /// Everyone who made a decision on the case, the current one and superseded ones.
    pub fn deciders(&self) -> BTreeSet<UserId> {
        self.decision
            .iter()
            .chain(&self.superseded_decisions)
            .map(|d| d.signed.by)
            .collect()
    }

    /// The duties `user` has performed on the case.
    pub fn duties_of(&self, user: UserId) -> Vec<Duty> {
        let mut out = Vec::new();
        if self.accepted.is_some_and(|a| a.by == user) || self.applied.is_some_and(|a| a.by == user)
        {
            out.push(Duty::Intake);
        }
        if self.investigators.contains(&user) {
            out.push(Duty::Investigate);
        }
        if self.reviewers().contains(&user) {
            out.push(Duty::Review);
        }
        if self.deciders().contains(&user) {
            out.push(Duty::Confirm);
        }
        out
    }

    /// The latest economic check.
    pub fn check(&self) -> Option<&CheckRecord> {
        self.checks.last()
    }

    /// Whether an economic check result (核对报告) is on file.
    pub fn has_check_report(&self) -> bool {
        self.check().is_some_and(|c| c.result.is_some())
    }

    /// The latest review opinion.
    pub fn latest_review(&self) -> Option<&ReviewRecord> {
        self.reviews.last()
    }

    /// The due date of `step`, if that step is open.
    pub fn due(&self, step: Step) -> Option<Due> {
        self.dues.iter().find(|d| d.step == step).map(|d| d.due)
    }

    /// The open steps overdue at `now` (超期).
    pub fn overdue(&self, now: NaiveDateTime) -> Vec<Step> {
        self.dues
            .iter()
            .filter(|d| d.due.is_overdue(now))
            .map(|d| d.step)
            .collect()
    }

    /// The corrections of the current decision, in order.
    pub fn current_corrections(&self) -> impl Iterator<Item = &CorrectionRecord> {
        let index = self.superseded_decisions.len();
        self.corrections
            .iter()
            .filter(move |c| c.decision_index == index)
    }

    /// The approved amount as corrected last (zero after a stop); `None` without an approval.
    pub fn current_amount(&self) -> Option<Fen> {
        match self.decision.as_ref().map(|d| &d.decision) {
            Some(Decision::Approve { amount, .. }) => Some(
                self.current_corrections()
                    .last()
                    .map_or(*amount, |c| c.correction.amount()),
            ),
            _ => None,
        }
    }

    pub fn is_closed(&self) -> bool {
        self.stage == Stage::Closed
    }

    pub(crate) fn set_due(&mut self, step: Step, due: Option<Due>) {
        self.dues.retain(|d| d.step != step);
        if let Some(due) = due {
            self.dues.push(StepDue { step, due });
        }
    }

    pub(crate) fn clear_due(&mut self, step: Step) {
        self.dues.retain(|d| d.step != step);
    }

    /// The rules every reachable state keeps; empty when all hold. The property tests check
    /// them after every command, and a store may check them before it commits.
    pub fn invariant_violations(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if (self.stage == Stage::Closed) != self.closure.is_some() {
            v.push("a case is closed exactly when it has a closure");
        }
        if self.stage == Stage::Closed && !self.dues.is_empty() {
            v.push("a closed case has no open deadlines");
        }
        if self.current_corrections().next().is_some()
            && !self
                .decision
                .as_ref()
                .is_some_and(|d| d.decision.is_approve())
        {
            v.push("only an approval is corrected");
        }
        if self.stage == Stage::Decided && self.decision.is_none() {
            v.push("a decided case has a decision");
        }
        if self.decision.is_some()
            && !matches!(
                self.stage,
                Stage::Decided | Stage::Appraisal | Stage::Closed
            )
        {
            v.push("a case with a decision stands at decided, a post-decision appraisal or closed");
        }
        let investigators = &self.investigators;
        let reviewers = self.reviewers();
        if reviewers.iter().any(|r| investigators.contains(r)) {
            v.push("no reviewer investigated the case");
        }
        for d in self.decision.iter().chain(&self.superseded_decisions) {
            if let Decision::Approve {
                amount,
                start_month,
                calculation,
            } = &d.decision
            {
                if amount.is_negative() {
                    v.push("an approved amount is not negative");
                }
                if *amount != calculation.amount {
                    v.push("an approved amount is the amount its calculation gives");
                }
                if chrono::Datelike::day(start_month) != 1 {
                    v.push("a start month is the first day of a month");
                }
            }
            if let Decision::Refuse { reasons } = &d.decision
                && reasons.is_empty()
            {
                v.push("a refusal gives reasons");
            }
            if investigators.contains(&d.signed.by) || reviewers.contains(&d.signed.by) {
                v.push("the confirming person neither investigated nor reviewed the case");
            }
            let role_fits = match d.authority {
                Authority::Township { .. } => d.role == Role::TownshipHead,
                Authority::County { .. } => d.role == Role::CountyAdmin,
            };
            if !role_fits {
                v.push("a township authority is exercised by a township head, a county one by a county admin");
            }
            if self.accepted.is_none()
                || self.home_visits.is_empty()
                || self.reviews.is_empty()
                || !self.checks.iter().any(|c| c.result.is_some())
            {
                v.push("a decision follows acceptance, a home visit, a check report and a review");
            }
        }
        if let Some(d) = &self.decision
            && d.decision.is_approve()
            && self.header.procedure.notice_before_decision
            && !self
                .notices
                .last()
                .is_some_and(|n| n.ended.is_some() && !n.objected)
        {
            v.push("where the plan posts a notice before deciding, an approval follows a notice that ended without objection");
        }
        let min = self.header.procedure.min_investigators as usize;
        for h in &self.home_visits {
            let distinct: BTreeSet<_> = h.investigators.iter().collect();
            if distinct.len() != h.investigators.len() || distinct.len() < min {
                v.push("every home visit has the required number of distinct investigators");
            }
        }
        if self.header.procedure.order == StepOrder::VerifyFirst
            && self.header.opened_via == OpenedVia::PreCheck
            && self.applied.is_some()
            && !self.checks.first().is_some_and(|c| {
                c.before_application && c.result.as_ref().is_some_and(|(_, r)| r.passed)
            })
        {
            v.push("under 先核对后申请 an application follows a passed check");
        }
        if let Some(Closure {
            reason: CloseReason::Archived,
            ..
        }) = &self.closure
            && (self.decision.is_none() || self.delivered.is_none())
        {
            v.push("an archived case was decided and its notice delivered");
        }
        if let Some(d) = &self.decision
            && d.decision.is_approve()
            && matches!(
                self.closure,
                Some(Closure {
                    reason: CloseReason::Archived,
                    ..
                })
            )
            && self.header.procedure.disclosure_after_decision
            && self.result_posted.is_none()
        {
            v.push("an archived approval was posted where the plan posts results");
        }
        if self.applied.is_some() || self.accepted.is_some() {
            let needs_auth = self.accepted.is_some();
            if needs_auth && !self.materials.contains(super::AUTHORIZATION) {
                v.push("an accepted case has the signed verification authorization on file");
            }
        }
        if self
            .one_time_notice
            .as_ref()
            .is_some_and(|n| n.missing.is_empty())
        {
            v.push("a one-time notice lists at least one missing item");
        }
        v
    }
}
