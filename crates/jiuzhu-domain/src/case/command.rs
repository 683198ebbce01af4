//! 指令 what a user asks of a case. Every command carries the local (Asia/Shanghai) time at
//! which it happened; who asks is in [`super::Ctx`].

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::state::{
    AppraisalOutcome, Kinship, MemberFacts, Origin, Recommendation, RelatedCapacity,
};
use super::{CaseId, HouseholdId, UserId};
use crate::benefit::AmountBasis;
use crate::supervision::FindingRef;
use crate::{DivisionCode, Fen, Program};

/// One command on one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// When it happened (local time). Deadlines count from here.
    pub at: NaiveDateTime,
    pub body: CommandBody,
}

/// What a new case is: the store assigns the id and number before it asks [`super::decide`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCase {
    pub case_id: CaseId,
    /// 案件编号.
    pub number: String,
    pub program: Program,
    /// The village or community of household registration (12-digit code).
    pub village: DivisionCode,
    pub household_id: HouseholdId,
    pub origin: Origin,
}

/// 确认 what the confirming person decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecisionRequest {
    /// 批准: the facts the profile's amount formula needs and the first month paid for. The
    /// engine computes the amount; `expected_amount`, where given (the amount the form
    /// showed), must equal it, so that nobody confirms an amount they did not see.
    Approve {
        basis: AmountBasis,
        /// First day of the first month (YYYY-MM-01).
        start_month: chrono::NaiveDate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expected_amount: Option<Fen>,
    },
    /// 不予批准, with the reasons the written notice gives.
    Refuse { reasons: Vec<String> },
}

/// 纠正 what a correction of an approval changes, after a finding that the decision was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CorrectionRequest {
    /// 变更金额: the facts the check found. The engine computes the corrected amount with the
    /// profile's formula; `members`, where given, are the household's members and incomes as
    /// found (else those of the latest home visit). `expected_amount` as for a decision.
    Amount {
        basis: AmountBasis,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        members: Vec<MemberFacts>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expected_amount: Option<Fen>,
    },
    /// 终止 the household did not qualify: the payment stops.
    Stop,
}

/// Why a case is withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawReason {
    /// 申请人撤回.
    ApplicantRequest,
    /// 不配合或拒绝调查, 视为放弃申请.
    RefusedInvestigation,
}

/// The commands of the case engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CommandBody {
    /// 申请 open a case with an application and the materials handed in (by checklist key).
    /// Missing required materials produce the one-time notice (一次性告知).
    Apply {
        case: NewCase,
        materials: Vec<String>,
    },
    /// 先核对 open a case with a check request before any application (profile order
    /// `verify_first`); `materials` must include the signed verification authorization.
    RequestPreCheck {
        case: NewCase,
        materials: Vec<String>,
    },
    /// 正式提交申请 the application after a passed pre-check.
    ApplyAfterCheck { materials: Vec<String> },
    /// 补正材料 hand in materials later.
    SubmitMaterials { materials: Vec<String> },
    /// 村(居)初审.
    RecordVillageReview { supports: bool, opinion: String },
    /// 发起家庭经济状况核对.
    RequestCheck,
    /// 录入核对结果 (county verifier).
    RecordCheckResult {
        passed: bool,
        summary: String,
        #[serde(default)]
        reasons: Vec<String>,
    },
    /// 入户调查 (also the re-investigation after an objection).
    RecordHomeVisit {
        investigators: Vec<UserId>,
        members: Vec<MemberFacts>,
        findings: String,
    },
    /// 签署审核意见.
    SignReview {
        recommendation: Recommendation,
        opinion: String,
        /// 有争议: the reviewer finds the facts disputed.
        #[serde(default)]
        disputed: bool,
    },
    /// 民主评议 record the meeting.
    RecordAppraisal {
        participants: Vec<String>,
        outcome: AppraisalOutcome,
        minutes: String,
    },
    /// 张贴公示.
    PostNotice,
    /// 登记异议 during the notice, or against the posted result.
    RaiseObjection { summary: String },
    /// 公示期满无异议.
    EndNotice,
    /// 确认 approve or refuse, under the authority in the context. An approval's amount is
    /// computed from the profile's standards ([`crate::benefit`]).
    Decide { decision: DecisionRequest },
    /// 送达决定书 / 不予批准告知书.
    DeliverNotice {
        #[serde(default)]
        note: String,
    },
    /// 审批结果公示 post the approval in the village.
    PostResult,
    /// 办结归档.
    Archive,
    /// 撤回 (or 拒绝调查, which counts as withdrawing).
    Withdraw {
        reason: WithdrawReason,
        #[serde(default)]
        note: String,
    },
    /// 急难型 open a case with an emergency report.
    ReportEmergency { case: NewCase, summary: String },
    /// 先行救助.
    GiveEmergencyHelp { amount: Fen, description: String },
    /// 补办手续: the materials completed; then close, or go on with the normal procedure.
    CompletePaperwork {
        materials: Vec<String>,
        continue_procedure: bool,
    },
    /// 近亲属备案.
    FileNearRelative {
        related_user: UserId,
        kinship: Kinship,
        capacity: RelatedCapacity,
    },
    /// 纠正 an approval found wrong by the county's supervision (a spot check, a filing
    /// review, a substantiated complaint): the amount changes, or the payment stops, from
    /// `effective_month` (the first day of a month, not before the approval's start month).
    /// Also after the case is archived: the payment outlives the file.
    Correct {
        finding: FindingRef,
        correction: CorrectionRequest,
        effective_month: chrono::NaiveDate,
        reason: String,
    },
}

/// The kind of a command, for errors and the role table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    Apply,
    RequestPreCheck,
    ApplyAfterCheck,
    SubmitMaterials,
    RecordVillageReview,
    RequestCheck,
    RecordCheckResult,
    RecordHomeVisit,
    SignReview,
    RecordAppraisal,
    PostNotice,
    RaiseObjection,
    EndNotice,
    Decide,
    DeliverNotice,
    PostResult,
    Archive,
    Withdraw,
    ReportEmergency,
    GiveEmergencyHelp,
    CompletePaperwork,
    FileNearRelative,
    Correct,
}

impl CommandKind {
    pub const ALL: [CommandKind; 23] = [
        CommandKind::Apply,
        CommandKind::RequestPreCheck,
        CommandKind::ApplyAfterCheck,
        CommandKind::SubmitMaterials,
        CommandKind::RecordVillageReview,
        CommandKind::RequestCheck,
        CommandKind::RecordCheckResult,
        CommandKind::RecordHomeVisit,
        CommandKind::SignReview,
        CommandKind::RecordAppraisal,
        CommandKind::PostNotice,
        CommandKind::RaiseObjection,
        CommandKind::EndNotice,
        CommandKind::Decide,
        CommandKind::DeliverNotice,
        CommandKind::PostResult,
        CommandKind::Archive,
        CommandKind::Withdraw,
        CommandKind::ReportEmergency,
        CommandKind::GiveEmergencyHelp,
        CommandKind::CompletePaperwork,
        CommandKind::FileNearRelative,
        CommandKind::Correct,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CommandKind::Apply => "apply",
            CommandKind::RequestPreCheck => "request_pre_check",
            CommandKind::ApplyAfterCheck => "apply_after_check",
            CommandKind::SubmitMaterials => "submit_materials",
            CommandKind::RecordVillageReview => "record_village_review",
            CommandKind::RequestCheck => "request_check",
            CommandKind::RecordCheckResult => "record_check_result",
            CommandKind::RecordHomeVisit => "record_home_visit",
            CommandKind::SignReview => "sign_review",
            CommandKind::RecordAppraisal => "record_appraisal",
            CommandKind::PostNotice => "post_notice",
            CommandKind::RaiseObjection => "raise_objection",
            CommandKind::EndNotice => "end_notice",
            CommandKind::Decide => "decide",
            CommandKind::DeliverNotice => "deliver_notice",
            CommandKind::PostResult => "post_result",
            CommandKind::Archive => "archive",
            CommandKind::Withdraw => "withdraw",
            CommandKind::ReportEmergency => "report_emergency",
            CommandKind::GiveEmergencyHelp => "give_emergency_help",
            CommandKind::CompletePaperwork => "complete_paperwork",
            CommandKind::FileNearRelative => "file_near_relative",
            CommandKind::Correct => "correct",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            CommandKind::Apply => "提出申请",
            CommandKind::RequestPreCheck => "申请先行核对",
            CommandKind::ApplyAfterCheck => "核对后正式申请",
            CommandKind::SubmitMaterials => "补正材料",
            CommandKind::RecordVillageReview => "村(居)初审",
            CommandKind::RequestCheck => "发起经济状况核对",
            CommandKind::RecordCheckResult => "录入核对结果",
            CommandKind::RecordHomeVisit => "录入入户调查",
            CommandKind::SignReview => "签署审核意见",
            CommandKind::RecordAppraisal => "录入民主评议",
            CommandKind::PostNotice => "张贴公示",
            CommandKind::RaiseObjection => "登记异议",
            CommandKind::EndNotice => "公示期满",
            CommandKind::Decide => "确认决定",
            CommandKind::DeliverNotice => "送达告知书",
            CommandKind::PostResult => "审批结果公示",
            CommandKind::Archive => "办结归档",
            CommandKind::Withdraw => "撤回申请",
            CommandKind::ReportEmergency => "报告急难情况",
            CommandKind::GiveEmergencyHelp => "先行救助",
            CommandKind::CompletePaperwork => "补办手续",
            CommandKind::FileNearRelative => "近亲属备案",
            CommandKind::Correct => "纠正决定",
        }
    }

    /// Whether the command opens a new case.
    pub fn opens_case(self) -> bool {
        matches!(
            self,
            CommandKind::Apply | CommandKind::RequestPreCheck | CommandKind::ReportEmergency
        )
    }
}

impl std::fmt::Display for CommandKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl CommandBody {
    pub fn kind(&self) -> CommandKind {
        match self {
            CommandBody::Apply { .. } => CommandKind::Apply,
            CommandBody::RequestPreCheck { .. } => CommandKind::RequestPreCheck,
            CommandBody::ApplyAfterCheck { .. } => CommandKind::ApplyAfterCheck,
            CommandBody::SubmitMaterials { .. } => CommandKind::SubmitMaterials,
            CommandBody::RecordVillageReview { .. } => CommandKind::RecordVillageReview,
            CommandBody::RequestCheck => CommandKind::RequestCheck,
            CommandBody::RecordCheckResult { .. } => CommandKind::RecordCheckResult,
            CommandBody::RecordHomeVisit { .. } => CommandKind::RecordHomeVisit,
            CommandBody::SignReview { .. } => CommandKind::SignReview,
            CommandBody::RecordAppraisal { .. } => CommandKind::RecordAppraisal,
            CommandBody::PostNotice => CommandKind::PostNotice,
            CommandBody::RaiseObjection { .. } => CommandKind::RaiseObjection,
            CommandBody::EndNotice => CommandKind::EndNotice,
            CommandBody::Decide { .. } => CommandKind::Decide,
            CommandBody::DeliverNotice { .. } => CommandKind::DeliverNotice,
            CommandBody::PostResult => CommandKind::PostResult,
            CommandBody::Archive => CommandKind::Archive,
            CommandBody::Withdraw { .. } => CommandKind::Withdraw,
            CommandBody::ReportEmergency { .. } => CommandKind::ReportEmergency,
            CommandBody::GiveEmergencyHelp { .. } => CommandKind::GiveEmergencyHelp,
            CommandBody::CompletePaperwork { .. } => CommandKind::CompletePaperwork,
            CommandBody::FileNearRelative { .. } => CommandKind::FileNearRelative,
            CommandBody::Correct { .. } => CommandKind::Correct,
        }
    }
}
