//! 监督 county supervision (issue 8: 放权不放责): the commands, records and reads of filing
//! review (备案审查), spot checks (抽查), rectification (整改), complaints (投诉举报) and
//! dishonesty records (失信记录). The SQL is `sql/supervision.rs`; the sample itself is
//! drawn by the pure [`jiuzhu_domain::supervision::draw`].
//!
//! Who does what:
//! - 备案: every decision a township makes under a grant is filed automatically, in the
//!   decision's own transaction (`supervision.filed`). County decisions are not filed.
//! - county administrators and supervisors review filings, draw samples, record checks,
//!   send feedback, order and accept rectification, record dishonesty; the CLI's system
//!   operator may draw samples too (`jiuzhu supervise sample`).
//! - township staff (caseworker, reviewer, head) see their own filings, their own sampled
//!   cases (after the draw: nothing exists before it), the feedback to their township and
//!   the rectifications ordered to it, which they answer.
//! - complaints are taken by county or township staff and answered by the handling office.
//! - dishonesty records are seen only by county administrators and supervisors.

use chrono::{DateTime, NaiveDate, Utc};
pub use jiuzhu_domain::supervision::FindingRef;
use jiuzhu_domain::supervision::{
    ComplaintChannel, ComplaintOutcome, FilingOutcome, Month, RectificationStatus, Stratum,
};
use jiuzhu_domain::{DivisionCode, Fen, Program};
use serde::{Deserialize, Serialize};

/// Longest opinion, finding, requirement, response, complaint or reply, in characters.
pub const MAX_SUPERVISION_TEXT: usize = 2000;

/// A supervision command, run through [`crate::Store::execute`] as
/// [`crate::Command::Supervision`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum SupervisionCommand {
    /// 备案审查 the county's conclusion on one filing (once).
    ReviewFiling {
        filing_id: i64,
        outcome: FilingOutcome,
        opinion: String,
    },
    /// 抽查 draws the sample of `county`'s township decisions of `period` (by decision date).
    /// A county and period has one standing draw: a second one is refused unless
    /// `redraw_reason` is given, which supersedes the first (both stay in the log).
    DrawSample {
        county: DivisionCode,
        period: Month,
        seed: u64,
        redraw_reason: Option<String>,
    },
    /// 抽查结果 of one sampled case of a draw (once).
    RecordSpotCheck {
        draw_id: i64,
        case_id: i64,
        result: SpotCheckResult,
        /// 复核入户 a repeat home visit, if one was made (date, who, what was seen).
        repeat_visit: Option<String>,
    },
    /// 抽查意见书 the written feedback of a draw to one township (once per township).
    SendSpotCheckFeedback {
        draw_id: i64,
        township: DivisionCode,
        text: String,
    },
    /// 整改通知 orders a township to rectify what a finding found, within `working_days`.
    OrderRectification {
        finding: FindingRef,
        requirement: String,
        working_days: u32,
    },
    /// 整改情况报告 the township's response.
    RespondRectification {
        rectification_id: i64,
        response: String,
    },
    /// 验收 the county accepts the response (closes the order) or rejects it (back to the
    /// township, same deadline).
    ConcludeRectification {
        rectification_id: i64,
        accept: bool,
        opinion: String,
    },
    /// 投诉举报登记 a complaint by hotline, visit or letter. `division` is the township or
    /// village it concerns; it goes to that township, or to the county when `to_county`
    /// (e.g. about the township's own staff).
    ReceiveComplaint {
        channel: ComplaintChannel,
        division: DivisionCode,
        to_county: bool,
        case_number: Option<String>,
        content: String,
        /// Never in the log.
        #[serde(skip_serializing)]
        contact: Option<String>,
    },
    /// 办理答复 the handling office's outcome and reply (once).
    AnswerComplaint {
        complaint_id: i64,
        outcome: ComplaintOutcome,
        reply: String,
    },
    /// 失信记录 where the county's profile enables it: linked to a finding about the case.
    RecordDishonesty {
        case_id: i64,
        finding: FindingRef,
        legal_basis: String,
        facts: String,
        amount_to_recover: Fen,
    },
    /// 追回 money paid back on a correction's overpayment (退回多领资金), never more than
    /// is still owed.
    RecordRepayment {
        correction_id: i64,
        amount: Fen,
        /// 收款方式、票据号 etc.
        note: String,
    },
}

impl SupervisionCommand {
    pub fn name(&self) -> &'static str {
        match self {
            SupervisionCommand::ReviewFiling { .. } => "review_filing",
            SupervisionCommand::DrawSample { .. } => "draw_sample",
            SupervisionCommand::RecordSpotCheck { .. } => "record_spot_check",
            SupervisionCommand::SendSpotCheckFeedback { .. } => "send_spot_check_feedback",
            SupervisionCommand::OrderRectification { .. } => "order_rectification",
            SupervisionCommand::RespondRectification { .. } => "respond_rectification",
            SupervisionCommand::ConcludeRectification { .. } => "conclude_rectification",
            SupervisionCommand::ReceiveComplaint { .. } => "receive_complaint",
            SupervisionCommand::AnswerComplaint { .. } => "answer_complaint",
            SupervisionCommand::RecordDishonesty { .. } => "record_dishonesty",
            SupervisionCommand::RecordRepayment { .. } => "record_repayment",
        }
    }
}

/// 抽查结论 of one sampled case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum SpotCheckResult {
    /// 认定准确、程序规范.
    Correct,
    /// 发现问题, with the findings; `decision_wrong` when the decision itself was wrong
    /// (the correction must then go through the case engine).
    ProblemFound {
        findings: String,
        decision_wrong: bool,
    },
}

/// 备案 a township decision filed with the county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filing {
    pub id: i64,
    pub case_id: i64,
    pub case_number: String,
    pub program: Program,
    pub township: DivisionCode,
    pub village: DivisionCode,
    pub approved: bool,
    /// The approved monthly (or one-off) amount.
    pub amount: Option<Fen>,
    /// Local date of the decision.
    pub decided_on: NaiveDate,
    /// The account that decided (the township head).
    pub decided_by: i64,
    pub filed_at: DateTime<Utc>,
    pub review: Option<FilingReview>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilingReview {
    pub outcome: FilingOutcome,
    pub opinion: String,
    pub reviewed_by: i64,
    pub reviewed_at: DateTime<Utc>,
}

/// Which filings to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilingFilter {
    /// Only under this division.
    pub within: Option<DivisionCode>,
    /// Only decisions of this month.
    pub period: Option<Month>,
    /// Only filings not reviewed yet (the county's queue).
    pub pending_only: bool,
}

/// 抽查 one draw (county staff only: it lists every township's sample).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpotCheckDraw {
    pub id: i64,
    pub county: DivisionCode,
    pub period: Month,
    pub seed: u64,
    pub method: String,
    pub candidates: u64,
    pub strata: Vec<Stratum>,
    /// Every sampled case number, in order.
    pub case_numbers: Vec<String>,
    /// The draw this one replaced, and why.
    pub redraw_of: Option<i64>,
    pub redraw_reason: Option<String>,
    /// A later re-draw replaced this one.
    pub superseded: bool,
    pub drawn_by: String,
    pub drawn_at: DateTime<Utc>,
}

/// One sampled case and its check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpotCheckItem {
    pub draw_id: i64,
    pub period: Month,
    pub case_id: i64,
    pub case_number: String,
    pub filing_id: i64,
    pub program: Program,
    pub township: DivisionCode,
    pub approved: bool,
    /// The draw was replaced by a re-draw.
    pub superseded: bool,
    pub check: Option<SpotCheckRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpotCheckRecord {
    pub result: SpotCheckResult,
    pub repeat_visit: Option<String>,
    pub checked_by: i64,
    pub checked_at: DateTime<Utc>,
}

/// 抽查意见书 to one township.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpotCheckFeedback {
    pub draw_id: i64,
    pub period: Month,
    pub township: DivisionCode,
    pub text: String,
    pub sent_by: i64,
    pub sent_at: DateTime<Utc>,
}

/// 整改 one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rectification {
    pub id: i64,
    pub township: DivisionCode,
    pub case_id: Option<i64>,
    pub finding: FindingRef,
    /// The finding says the decision was wrong: the case must be corrected through the
    /// case engine.
    pub decision_wrong: bool,
    pub requirement: String,
    /// `"10wd"`.
    pub period: String,
    pub ordered_by: i64,
    pub ordered_at: DateTime<Utc>,
    /// 整改期限 the last day (working days by the calendar).
    pub due_date: NaiveDate,
    pub status: RectificationStatus,
    pub response: Option<String>,
    pub responded_by: Option<i64>,
    pub responded_at: Option<DateTime<Utc>>,
    /// Times the county sent the response back.
    pub rejections: u32,
    /// The county's last opinion (rejection or acceptance).
    pub conclusion: Option<String>,
    pub closed_by: Option<i64>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Which rectifications to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RectificationFilter {
    pub within: Option<DivisionCode>,
    /// Only orders not closed.
    pub open_only: bool,
    /// Only orders not closed whose due date is before this day (超期).
    pub overdue_on: Option<NaiveDate>,
}

/// 投诉举报 one complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    pub id: i64,
    pub channel: ComplaintChannel,
    /// The township or village it concerns.
    pub division: DivisionCode,
    pub township: DivisionCode,
    /// Who answers: the township, or the county (6 digits).
    pub handler: DivisionCode,
    pub case_number: Option<String>,
    pub content: String,
    pub contact: Option<String>,
    pub received_by: i64,
    pub received_at: DateTime<Utc>,
    /// 答复期限 (`supervision.report_answer` of the county's profile).
    pub due_date: NaiveDate,
    pub outcome: Option<ComplaintOutcome>,
    pub reply: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// One row of the complaint statistics: how many complaints of a channel concerning a
/// township are open or answered. The public form's reports (`public_reports`, objections
/// and reports) count under [`ComplaintChannel::PublicForm`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintStat {
    pub channel: ComplaintChannel,
    pub township: DivisionCode,
    pub answered: bool,
    pub count: u64,
}

/// 失信记录 (county administrators and supervisors only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DishonestyRecord {
    pub id: i64,
    pub case_id: i64,
    pub household_id: i64,
    pub township: DivisionCode,
    pub finding: FindingRef,
    /// 法律依据, e.g. 《社会救助暂行办法》第六十八条.
    pub legal_basis: String,
    pub facts: String,
    /// 应追回金额.
    pub amount_to_recover: Fen,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

/// 纠正 one correction of an approval through the case engine (`case.corrected`): what it
/// changed, from when, and the overpayment to recover (追回).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseCorrection {
    pub id: i64,
    pub case_id: i64,
    pub case_number: String,
    pub household_id: i64,
    pub program: Program,
    pub township: DivisionCode,
    pub village: DivisionCode,
    pub finding: FindingRef,
    /// The monthly (or one-off) amount before and after; `stopped`: the payment stops.
    pub previous: Fen,
    pub corrected: Fen,
    pub stopped: bool,
    /// The first month the corrected amount is right for.
    pub effective: crate::payroll::Month,
    /// The first month the entitlement pays the corrected amount (the first month whose
    /// roster was not yet settled); `None` when no entitlement changed (a status program, or
    /// an entitlement already stopped or replaced).
    pub applies_from: Option<crate::payroll::Month>,
    /// Paid too much for the months from `effective` whose rosters were settled: 应追回.
    pub overpaid: Fen,
    /// Paid too little for those months (the difference is owed to the household).
    pub underpaid: Fen,
    /// Paid back so far.
    pub repaid: Fen,
    pub reason: String,
    pub corrected_by: i64,
    pub corrected_at: DateTime<Utc>,
}

impl CaseCorrection {
    /// Still to recover.
    pub fn outstanding(&self) -> Fen {
        self.overpaid - self.repaid
    }
}

/// The supervision dashboard's figures of one township for one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TownshipSupervision {
    pub township: DivisionCode,
    /// Filings of every period not reviewed yet.
    pub filings_pending: u64,
    /// Township decisions filed in the month.
    pub filings_in_period: u64,
    /// Of those, sampled by the standing draw of the month.
    pub sampled: u64,
    /// Sampled cases checked so far, and those with a problem found.
    pub checked: u64,
    pub problems: u64,
    /// Open rectification orders, and those past their due date.
    pub rectifications_open: u64,
    pub rectifications_overdue: u64,
    /// Unanswered complaints (and public-form reports) concerning the township.
    pub complaints_open: u64,
    /// 走访 recipient households of the month, and those without a visit recorded.
    #[serde(default)]
    pub visits_due: u64,
    #[serde(default)]
    pub visits_missing: u64,
}

impl TownshipSupervision {
    /// A township with nothing to show yet.
    pub fn empty(township: DivisionCode) -> TownshipSupervision {
        TownshipSupervision {
            township,
            filings_pending: 0,
            filings_in_period: 0,
            sampled: 0,
            checked: 0,
            problems: 0,
            rectifications_open: 0,
            rectifications_overdue: 0,
            complaints_open: 0,
            visits_due: 0,
            visits_missing: 0,
        }
    }

    /// 抽查覆盖率 sampled ÷ filed in the month, in percent (0 when nothing was filed).
    pub fn coverage_percent(&self) -> f64 {
        ratio(self.sampled, self.filings_in_period)
    }

    /// 差错率 problems ÷ checked, in percent (0 when nothing was checked).
    pub fn error_rate_percent(&self) -> f64 {
        ratio(self.problems, self.checked)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 * 100.0 / b as f64
    }
}

/// The Chinese message of each supervision refusal code (`StoreError::Supervision`).
pub fn message_zh(code: &str) -> &'static str {
    match code {
        "supervision.wrong_role" => "您的角色不能办理此项监督事项",
        "supervision.not_county_account" => {
            "市级账户可查看所辖县（市、区）的监督情况，备案审查、抽查和整改由县级民政部门办理"
        }
        "supervision.already_reviewed" => "该备案已审查，不能重复审查",
        "supervision.sample_exists" => "该县本期已抽取样本；如确需重新抽取，请注明重抽理由",
        "supervision.no_draw_to_replace" => "该县本期尚未抽取样本，无需重抽",
        "supervision.no_candidates" => "本期没有乡镇备案的审批决定，无可抽查的案件",
        "supervision.period_not_over" => "抽查期间尚未结束，请在次月抽取",
        "supervision.not_sampled" => "该案件不在本次抽查样本中",
        "supervision.draw_superseded" => "该次抽查已被重新抽取的样本取代",
        "supervision.already_checked" => "该案件的抽查结果已登记",
        "supervision.feedback_exists" => "已向该乡镇送达本次抽查意见书",
        "supervision.township_not_in_draw" => "该乡镇没有案件被本次抽查",
        "supervision.not_a_finding" => "所引用的记录没有发现问题，不能作为整改或失信认定的依据",
        "supervision.finding_of_another_case" => "所引用的问题不属于该案件",
        "supervision.rectification_closed" => "该整改事项已验收销号",
        "supervision.rectification_no_response" => "乡镇尚未报送整改情况，不能验收或退回",
        "supervision.rectification_responded" => "整改情况已报送，等待县级验收",
        "supervision.already_answered" => "该投诉举报已答复",
        "supervision.public_form_channel" => {
            "公示栏在线举报由公众通过公示栏提交，不能由工作人员登记"
        }
        "supervision.dishonesty_disabled" => "本县程序配置未启用失信记录制度",
        "supervision.text_required" => "请填写意见、情况或理由",
        "supervision.text_too_long" => "内容超过2000字，请精简",
        "supervision.invalid_period" => "整改期限须为1至60个工作日",
        "supervision.negative_amount" => "应追回金额不能为负数",
        "supervision.decision_not_wrong" => {
            "该抽查结果未认定决定有误，不能据此纠正；请先登记认定决定有误的抽查结果"
        }
        "supervision.invalid_amount" => "退回金额须大于零",
        "supervision.repayment_exceeds" => "退回金额超过尚未追回的多发金额",
        _ => "该监督事项当前不能办理",
    }
}

/// The refusal codes that are about who may act (the API answers 403 for these).
pub const SUPERVISION_PERMISSION_CODES: &[&str] =
    &["supervision.wrong_role", "supervision.not_county_account"];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every refusal code the SQL store uses has its own Chinese message.
    #[test]
    fn every_refusal_code_has_a_message() {
        let source = include_str!("../sql/supervision.rs");
        let fallback = message_zh("supervision.unknown");
        // The first string after each `sup_err(` is a refusal code.
        let mut codes: Vec<&str> = source
            .split("sup_err(")
            .skip(1)
            .filter_map(|rest| rest.split('"').nth(1))
            .filter(|c| c.starts_with("supervision."))
            .collect();
        codes.sort();
        codes.dedup();
        assert!(codes.len() >= 15, "{codes:?}");
        for code in codes {
            assert_ne!(message_zh(code), fallback, "{code}");
        }
        for code in SUPERVISION_PERMISSION_CODES {
            assert_ne!(message_zh(code), fallback, "{code}");
        }
    }

    #[test]
    fn rates_of_the_dashboard() {
        let mut t = TownshipSupervision {
            township: DivisionCode::parse("511526101000").unwrap(),
            filings_pending: 0,
            filings_in_period: 0,
            sampled: 0,
            checked: 0,
            problems: 0,
            rectifications_open: 0,
            rectifications_overdue: 0,
            complaints_open: 0,
            visits_due: 0,
            visits_missing: 0,
        };
        assert_eq!(t.coverage_percent(), 0.0);
        assert_eq!(t.error_rate_percent(), 0.0);
        t.filings_in_period = 10;
        t.sampled = 3;
        t.checked = 4;
        t.problems = 1;
        assert_eq!(t.coverage_percent(), 30.0);
        assert_eq!(t.error_rate_percent(), 25.0);
    }
}
