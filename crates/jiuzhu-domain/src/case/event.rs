//! 事件 what happened to a case. Events are the case's record (they go into the
//! hash-chained event log as JSON) and the only input of [`super::apply`]: each one carries
//! every fact the state needs, including due dates computed when the step's clock started.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::UserId;
use super::state::{
    AppraisalOutcome, AppraisalReason, CaseHeader, CheckResult, CloseReason, Correction, Decision,
    Duty, Kinship, MemberFacts, MissingMaterial, Recommendation, RelatedCapacity, StepDue,
};
use crate::deadline::Due;
use crate::delegation::Authority;
use crate::supervision::FindingRef;
use crate::{DivisionCode, Fen, Role};

/// One event of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened (local time; the command's time).
    pub at: NaiveDateTime,
    /// Who did it.
    pub by: UserId,
    /// In which role.
    pub role: Role,
    pub body: EventBody,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// 立案 the first event of every case.
    Opened { case: CaseHeader },
    /// 发起核对.
    CheckRequested {
        before_application: bool,
        due: Option<Due>,
    },
    /// 核对结果.
    CheckRecorded { result: CheckResult },
    /// 核对通过，通知申请人正式提交申请.
    InvitedToApply,
    /// 提交申请 with the materials handed in.
    ApplicationFiled { materials: Vec<String> },
    /// 一次性告知书: every missing required item.
    MaterialsIncomplete { missing: Vec<MissingMaterial> },
    /// 补正材料.
    MaterialsSubmitted { materials: Vec<String> },
    /// Materials complete; the village committee reviews first.
    SentForVillageReview,
    /// 村(居)初审意见.
    VillageReviewed { supports: bool, opinion: String },
    /// 受理, with the due dates of the investigation and of the whole procedure.
    Accepted { dues: Vec<StepDue> },
    /// 入户调查.
    HomeVisitRecorded {
        investigators: Vec<UserId>,
        members: Vec<MemberFacts>,
        findings: String,
        reinvestigation: bool,
        review_due: Option<Due>,
    },
    /// 审核意见.
    ReviewSigned {
        recommendation: Recommendation,
        opinion: String,
        disputed: bool,
    },
    /// 民主评议 called.
    AppraisalCalled { reason: AppraisalReason },
    /// 民主评议 held.
    AppraisalRecorded {
        participants: Vec<String>,
        outcome: AppraisalOutcome,
        minutes: String,
    },
    /// 拟批准, to be posted.
    ProposedForNotice,
    /// 公示 posted, running until `due`.
    NoticePosted { due: Option<Due> },
    /// 异议.
    ObjectionRaised {
        summary: String,
        after_decision: bool,
        /// The profile holds an appraisal on objection (or always).
        calls_for_appraisal: bool,
        /// 异议复核决定 due.
        decision_due: Option<Due>,
    },
    /// 重新调查核实.
    ReinvestigationOrdered,
    /// 公示期满无异议.
    NoticeEnded,
    /// The file goes to the confirming authority.
    SentForDecision { due: Option<Due> },
    /// 确认决定.
    Decided {
        decision: Decision,
        authority: Authority,
        /// 不予批准告知 due (refusals).
        refusal_notice_due: Option<Due>,
    },
    /// The appraisal after an objection to the posted result upheld the decision.
    DecisionUpheld,
    /// The appraisal did not uphold it: the decision is set aside to be made again.
    DecisionReopened,
    /// 送达.
    NoticeDelivered { note: String },
    /// 审批结果公示.
    ResultPosted,
    /// 急难情况报告.
    EmergencyReported {
        summary: String,
        help_due: Option<Due>,
    },
    /// 先行救助.
    EmergencyHelped {
        amount: Fen,
        description: String,
        paperwork_due: Option<Due>,
    },
    /// 补办手续.
    PaperworkCompleted { materials: Vec<String> },
    /// 近亲属备案, filed with the county.
    NearRelativeFiled {
        related_user: UserId,
        kinship: Kinship,
        capacity: RelatedCapacity,
        filed_with: DivisionCode,
        prior_duties: Vec<Duty>,
    },
    /// 纠正 the approval was corrected after a supervision finding.
    Corrected {
        finding: FindingRef,
        previous_amount: Fen,
        correction: Correction,
        /// YYYY-MM-01.
        effective_month: NaiveDate,
        reason: String,
        /// The members and incomes the corrected amount was computed from, where the check
        /// found them different from the home visit.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        members: Vec<MemberFacts>,
    },
    /// 办结.
    Closed { reason: CloseReason },
}

impl EventBody {
    /// Stable machine name, `case.<type>`, for the event log's `kind` column.
    pub fn name(&self) -> &'static str {
        match self {
            EventBody::Opened { .. } => "case.opened",
            EventBody::CheckRequested { .. } => "case.check_requested",
            EventBody::CheckRecorded { .. } => "case.check_recorded",
            EventBody::InvitedToApply => "case.invited_to_apply",
            EventBody::ApplicationFiled { .. } => "case.application_filed",
            EventBody::MaterialsIncomplete { .. } => "case.materials_incomplete",
            EventBody::MaterialsSubmitted { .. } => "case.materials_submitted",
            EventBody::SentForVillageReview => "case.sent_for_village_review",
            EventBody::VillageReviewed { .. } => "case.village_reviewed",
            EventBody::Accepted { .. } => "case.accepted",
            EventBody::HomeVisitRecorded { .. } => "case.home_visit_recorded",
            EventBody::ReviewSigned { .. } => "case.review_signed",
            EventBody::AppraisalCalled { .. } => "case.appraisal_called",
            EventBody::AppraisalRecorded { .. } => "case.appraisal_recorded",
            EventBody::ProposedForNotice => "case.proposed_for_notice",
            EventBody::NoticePosted { .. } => "case.notice_posted",
            EventBody::ObjectionRaised { .. } => "case.objection_raised",
            EventBody::ReinvestigationOrdered => "case.reinvestigation_ordered",
            EventBody::NoticeEnded => "case.notice_ended",
            EventBody::SentForDecision { .. } => "case.sent_for_decision",
            EventBody::Decided { .. } => "case.decided",
            EventBody::DecisionUpheld => "case.decision_upheld",
            EventBody::DecisionReopened => "case.decision_reopened",
            EventBody::NoticeDelivered { .. } => "case.notice_delivered",
            EventBody::ResultPosted => "case.result_posted",
            EventBody::EmergencyReported { .. } => "case.emergency_reported",
            EventBody::EmergencyHelped { .. } => "case.emergency_helped",
            EventBody::PaperworkCompleted { .. } => "case.paperwork_completed",
            EventBody::NearRelativeFiled { .. } => "case.near_relative_filed",
            EventBody::Corrected { .. } => "case.corrected",
            EventBody::Closed { .. } => "case.closed",
        }
    }
}
