//! 案件错误 why a command was refused. Nothing is recorded when a command fails.
//!
//! Every error has a stable machine code ([`CaseError::code`], `case.…`) for the API and a
//! Chinese message ([`CaseError::message_zh`]) for the UI; `Display` is English. Messages
//! never repeat free text from the command (which could hold an ID number) and never name a
//! person other than by user id.

use chrono::{NaiveDate, NaiveDateTime};

use super::command::CommandKind;
use super::state::{Duty, Stage};
use crate::{DivisionCode, Fen, Program, Role};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    // ------------------------------------------------------------------ who and where
    #[error("a {role} may not {command}")]
    WrongRole { command: CommandKind, role: Role },
    #[error("the case lies outside your jurisdiction")]
    OutsideJurisdiction,
    #[error(
        "a village assistant files applications on a household's behalf (代办) or from proactive discovery; a household's own application is taken at the township window"
    )]
    WrongOrigin,
    #[error(
        "user {user} is a filed near relative of this household (近亲属备案) and may not act on the case"
    )]
    NearRelative { user: i64 },
    #[error("user {user} is already filed as a near relative of this household")]
    NearRelativeAlreadyFiled { user: i64 },
    #[error(
        "separation of duties: user {user} already did the {done} of this case and may not do its {attempted}"
    )]
    SeparationOfDuties {
        user: i64,
        done: Duty,
        attempted: Duty,
    },

    // ------------------------------------------------------------------ authority
    #[error(
        "the confirming authority is missing: ask delegation::authority for the case's program, township, date and amount and pass it"
    )]
    AuthorityMissing,
    #[error("the authority passed is for another township or county than the case's")]
    AuthorityMismatch,
    #[error(
        "this case is confirmed by a {required} of the case's {level}; a {role} may not confirm it"
    )]
    NotTheAuthority {
        required: Role,
        level: &'static str,
        role: Role,
    },

    // ------------------------------------------------------------------ state
    #[error("no case: {command} needs an existing case")]
    NoCase { command: CommandKind },
    #[error("the case already exists; {command} opens a new case")]
    AlreadyOpened { command: CommandKind },
    #[error("the case is closed; it accepts no {command}")]
    CaseClosed { command: CommandKind },
    #[error("the case is at stage {stage}, where {command} is not possible")]
    WrongStage { stage: Stage, command: CommandKind },
    #[error(
        "this county checks first and takes the application after (先核对、后申请): request the check first"
    )]
    CheckFirst,
    #[error("this county takes the application first (先申请、后核对): file the application")]
    NotVerifyFirst,
    #[error("the profile has no emergency help-first procedure (先行救助) for {program}")]
    NoEmergencyProcedure { program: Program },
    #[error("{program} is not configured in the county's procedure profile")]
    ProgramNotConfigured { program: Program },
    #[error("the procedure profile passed does not govern the case's county {county}")]
    ProfileMismatch { county: DivisionCode },
    #[error("{code} is not a village or community (a 12-digit code not ending in 000)")]
    NotAVillage { code: DivisionCode },

    // ------------------------------------------------------------------ materials and check
    #[error("`{key}` is not on the program's materials checklist")]
    UnknownMaterial { key: String },
    #[error(
        "the signed verification authorization (家庭经济状况核对授权书) is required before an economic check"
    )]
    AuthorizationMissing,
    #[error("the paperwork is incomplete; missing: {}", missing.join(", "))]
    PaperworkIncomplete { missing: Vec<String> },
    #[error("an economic check is already requested and its result not yet entered")]
    CheckAlreadyRequested,
    #[error("the economic check is already done for this case")]
    CheckAlreadyDone,
    #[error("no economic check was requested")]
    CheckNotRequested,
    #[error("the review needs the economic check report (核对报告); enter the check result first")]
    CheckReportMissing,

    // ------------------------------------------------------------------ home visit
    #[error("a home visit needs at least {required} distinct investigators; {given} given")]
    TooFewInvestigators { required: u32, given: usize },
    #[error("an investigator is listed twice")]
    DuplicateInvestigator,
    #[error("the person recording a home visit must be one of its investigators")]
    RecorderNotInvestigator,
    #[error("enter the facts of at least one household member")]
    NoMemberFacts,
    #[error("member number {seq} is invalid or listed twice")]
    BadMemberFacts { seq: i32 },

    // ------------------------------------------------------------------ notice and decision
    #[error("the notice runs until {until}; it can be ended only after that")]
    NoticePeriodRunning { until: NaiveDate },
    #[error("the notice period ended on {until}; record the objection as a complaint instead")]
    NoticePeriodOver { until: NaiveDate },
    #[error("the result has not been posted (审批结果公示)")]
    ResultNotPosted,
    #[error("the result was already posted")]
    ResultAlreadyPosted,
    #[error("only an approval is posted")]
    NotApproved,
    #[error("the county's procedure does not post this program's results")]
    NoDisclosure,
    #[error(
        "objections after the decision go through the pre-decision notice in this county's procedure; record it as a complaint"
    )]
    ObjectionAfterNotice,
    #[error(
        "this county posts a proposed approval before deciding: an approval needs a notice that ended without objection (a proposed refusal can only be refused, or reviewed again after a re-investigation)"
    )]
    ApprovalNeedsNotice,
    #[error("the decision notice has not been delivered (送达)")]
    NoticeNotDelivered,
    #[error("the decision notice was already delivered")]
    NoticeAlreadyDelivered,
    #[error("{field} must not be negative")]
    NegativeAmount { field: &'static str },
    #[error("{0}")]
    Amount(#[from] crate::benefit::AmountError),
    #[error("the amount is above the program's maximum of {max} per case")]
    AboveProgramMaximum { max: Fen },
    #[error(
        "emergency help above the township's cap of {cap} is given by the county (county administrator)"
    )]
    EmergencyHelpAboveCap { cap: Fen },
    #[error("the amount shown ({expected}) is not the amount the standards give ({computed})")]
    AmountMismatch { expected: Fen, computed: Fen },
    #[error("the start month must be the first day of a month")]
    StartMonthNotFirstDay,
    #[error("the start month lies before the month the case was opened")]
    StartMonthBeforeCase,
    #[error("only an approval can be corrected (纠正); a refusal is reconsidered on objection")]
    CorrectNotApproved,
    #[error(
        "a correction takes effect from the first day of a month, not before the approval's start month"
    )]
    CorrectionMonth,
    #[error("the correction changes nothing: the amount is already {amount}")]
    CorrectionChangesNothing { amount: Fen },
    #[error("give the reasons (说明理由)")]
    ReasonsRequired,
    #[error("{field} is required")]
    TextRequired { field: &'static str },
    #[error("{field} is too long (at most {max} characters)")]
    TextTooLong { field: &'static str, max: usize },
    #[error("{field} has too many entries (at most {max})")]
    TooManyEntries { field: &'static str, max: usize },

    // ------------------------------------------------------------------ dates
    #[error(
        "no working-day calendar is loaded for {year}: import the State Council's holiday notice for {year} first"
    )]
    DateOutsideCalendar { year: i32 },
    #[error("the date is out of the supported range")]
    DateOutOfRange,
    #[error("the command is dated before the case's last step ({last})")]
    BeforeLastStep { last: NaiveDateTime },
}

impl CaseError {
    /// Stable machine code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            CaseError::WrongRole { .. } => "case.wrong_role",
            CaseError::OutsideJurisdiction => "case.outside_jurisdiction",
            CaseError::WrongOrigin => "case.wrong_origin",
            CaseError::NearRelative { .. } => "case.near_relative",
            CaseError::NearRelativeAlreadyFiled { .. } => "case.near_relative_already_filed",
            CaseError::SeparationOfDuties { .. } => "case.separation_of_duties",
            CaseError::AuthorityMissing => "case.authority_missing",
            CaseError::AuthorityMismatch => "case.authority_mismatch",
            CaseError::NotTheAuthority { .. } => "case.not_the_authority",
            CaseError::NoCase { .. } => "case.not_found",
            CaseError::AlreadyOpened { .. } => "case.already_opened",
            CaseError::CaseClosed { .. } => "case.closed",
            CaseError::WrongStage { .. } => "case.wrong_stage",
            CaseError::CheckFirst => "case.check_first",
            CaseError::NotVerifyFirst => "case.not_verify_first",
            CaseError::NoEmergencyProcedure { .. } => "case.no_emergency_procedure",
            CaseError::ProgramNotConfigured { .. } => "case.program_not_configured",
            CaseError::ProfileMismatch { .. } => "case.profile_mismatch",
            CaseError::NotAVillage { .. } => "case.not_a_village",
            CaseError::UnknownMaterial { .. } => "case.unknown_material",
            CaseError::AuthorizationMissing => "case.authorization_missing",
            CaseError::PaperworkIncomplete { .. } => "case.paperwork_incomplete",
            CaseError::CheckAlreadyRequested => "case.check_already_requested",
            CaseError::CheckAlreadyDone => "case.check_already_done",
            CaseError::CheckNotRequested => "case.check_not_requested",
            CaseError::CheckReportMissing => "case.check_report_missing",
            CaseError::TooFewInvestigators { .. } => "case.too_few_investigators",
            CaseError::DuplicateInvestigator => "case.duplicate_investigator",
            CaseError::RecorderNotInvestigator => "case.recorder_not_investigator",
            CaseError::NoMemberFacts => "case.no_member_facts",
            CaseError::BadMemberFacts { .. } => "case.bad_member_facts",
            CaseError::NoticePeriodRunning { .. } => "case.notice_period_running",
            CaseError::NoticePeriodOver { .. } => "case.notice_period_over",
            CaseError::ResultNotPosted => "case.result_not_posted",
            CaseError::ResultAlreadyPosted => "case.result_already_posted",
            CaseError::NotApproved => "case.not_approved",
            CaseError::CorrectNotApproved => "case.correct_not_approved",
            CaseError::CorrectionMonth => "case.correction_month",
            CaseError::CorrectionChangesNothing { .. } => "case.correction_changes_nothing",
            CaseError::NoDisclosure => "case.no_disclosure",
            CaseError::ObjectionAfterNotice => "case.objection_after_notice",
            CaseError::ApprovalNeedsNotice => "case.approval_needs_notice",
            CaseError::NoticeNotDelivered => "case.notice_not_delivered",
            CaseError::NoticeAlreadyDelivered => "case.notice_already_delivered",
            CaseError::NegativeAmount { .. } => "case.negative_amount",
            CaseError::Amount(e) => e.code(),
            CaseError::AmountMismatch { .. } => "case.amount_mismatch",
            CaseError::AboveProgramMaximum { .. } => "case.above_program_maximum",
            CaseError::EmergencyHelpAboveCap { .. } => "case.emergency_help_above_cap",
            CaseError::StartMonthNotFirstDay => "case.start_month_not_first_day",
            CaseError::StartMonthBeforeCase => "case.start_month_before_case",
            CaseError::ReasonsRequired => "case.reasons_required",
            CaseError::TextRequired { .. } => "case.text_required",
            CaseError::TextTooLong { .. } => "case.text_too_long",
            CaseError::TooManyEntries { .. } => "case.too_many_entries",
            CaseError::DateOutsideCalendar { .. } => "case.date_outside_calendar",
            CaseError::DateOutOfRange => "case.date_out_of_range",
            CaseError::BeforeLastStep { .. } => "case.before_last_step",
        }
    }

    /// The message in Chinese, for the UI.
    pub fn message_zh(&self) -> String {
        match self {
            CaseError::WrongRole { command, role } => {
                format!("{}无权执行“{}”", role.name_zh(), command.name_zh())
            }
            CaseError::OutsideJurisdiction => "该案件不在您的辖区内".to_string(),
            CaseError::WrongOrigin => {
                "村(居)协理员只能代办申请或报告主动发现的对象；本人申请请到乡镇(街道)窗口办理"
                    .to_string()
            }
            CaseError::NearRelative { user } => {
                format!("用户{user}已作近亲属备案，须回避，不得经办本案")
            }
            CaseError::NearRelativeAlreadyFiled { user } => {
                format!("用户{user}已作近亲属备案，无需重复备案")
            }
            CaseError::SeparationOfDuties {
                user,
                done,
                attempted,
            } => format!(
                "违反“谁受理、谁审核、谁确认、谁负责”分离原则：用户{user}已承担本案{}工作，不得再承担{}工作",
                done.name_zh(),
                attempted.name_zh()
            ),
            CaseError::AuthorityMissing => "缺少审核确认权限信息，请先确定由谁确认本案".to_string(),
            CaseError::AuthorityMismatch => "所传确认权限与本案所属乡镇或县不一致".to_string(),
            // The county role's name already says 县级.
            CaseError::NotTheAuthority {
                required, level, ..
            } => format!(
                "本案应由{}{}确认，您无权确认",
                if *level == "county" {
                    ""
                } else {
                    "本乡镇(街道)"
                },
                required.name_zh()
            ),
            CaseError::NoCase { command } => format!("案件不存在，无法{}", command.name_zh()),
            CaseError::AlreadyOpened { command } => {
                format!("案件已存在，不能再次{}", command.name_zh())
            }
            CaseError::CaseClosed { command } => {
                format!("案件已办结，不能再{}", command.name_zh())
            }
            CaseError::WrongStage { stage, command } => format!(
                "案件当前处于“{}”阶段，不能{}",
                stage.name_zh(),
                command.name_zh()
            ),
            CaseError::CheckFirst => "本地实行先核对、后申请，请先申请家庭经济状况核对".to_string(),
            CaseError::NotVerifyFirst => "本地实行先申请、后核对，请直接提出申请".to_string(),
            CaseError::NoEmergencyProcedure { program } => {
                format!("{}未配置急难型先行救助程序", program.name_zh())
            }
            CaseError::ProgramNotConfigured { program } => {
                format!("本县程序配置中没有{}项目", program.name_zh())
            }
            CaseError::ProfileMismatch { county } => {
                format!("所用程序配置不适用于本案所属县级单位{county}")
            }
            CaseError::NotAVillage { code } => {
                format!("{code}不是村(居)级区划代码，请填写户籍所在村(社区)")
            }
            CaseError::UnknownMaterial { key } => format!("“{key}”不在本项目的申请材料清单中"),
            CaseError::AuthorizationMissing => {
                "缺少申请人签字的家庭经济状况核对授权书，不能发起核对".to_string()
            }
            CaseError::PaperworkIncomplete { missing } => {
                format!("补办手续材料不全，尚缺：{}", missing.join("、"))
            }
            CaseError::CheckAlreadyRequested => "已发起核对，尚待核对结果".to_string(),
            CaseError::CheckAlreadyDone => "本案已完成家庭经济状况核对".to_string(),
            CaseError::CheckNotRequested => "尚未发起家庭经济状况核对".to_string(),
            CaseError::CheckReportMissing => {
                "审核须取得家庭经济状况核对报告，请先录入核对结果".to_string()
            }
            CaseError::TooFewInvestigators { required, given } => {
                format!("入户调查至少需要{required}名调查人员，现有{given}名")
            }
            CaseError::DuplicateInvestigator => "调查人员重复".to_string(),
            CaseError::RecorderNotInvestigator => "录入人须为入户调查人员之一".to_string(),
            CaseError::NoMemberFacts => "请录入至少一名家庭成员的调查情况".to_string(),
            CaseError::BadMemberFacts { seq } => format!("家庭成员序号{seq}无效或重复"),
            CaseError::NoticePeriodRunning { until } => {
                format!("公示期至{until}，期满后方可结束公示")
            }
            CaseError::NoticePeriodOver { until } => {
                format!("公示期已于{until}届满，请按投诉举报处理")
            }
            CaseError::ResultNotPosted => "审批结果尚未公示".to_string(),
            CaseError::ResultAlreadyPosted => "审批结果已公示".to_string(),
            CaseError::NotApproved => "只有批准的结果需要公示".to_string(),
            CaseError::CorrectNotApproved => {
                "只能纠正批准决定；不予批准的决定通过异议复核处理".to_string()
            }
            CaseError::CorrectionMonth => {
                "纠正的生效月份应填写为某月1日，且不能早于原批准的起始月份".to_string()
            }
            CaseError::CorrectionChangesNothing { amount } => {
                format!("纠正后金额与现行金额（{amount}）相同，无需纠正")
            }
            CaseError::NoDisclosure => "本地程序不公示该项目的审批结果".to_string(),
            CaseError::ObjectionAfterNotice => {
                "本地在确认前公示，确认后的异议请按投诉举报处理".to_string()
            }
            CaseError::ApprovalNeedsNotice => {
                "本地实行确认前公示：拟批准的申请须经公示期满无异议后方可批准".to_string()
            }
            CaseError::NoticeNotDelivered => "决定书(告知书)尚未送达".to_string(),
            CaseError::NoticeAlreadyDelivered => "决定书(告知书)已送达".to_string(),
            CaseError::NegativeAmount { .. } => "金额不能为负数".to_string(),
            CaseError::Amount(e) => e.message_zh(),
            CaseError::AboveProgramMaximum { max } => {
                format!("金额超过本县该项目单次救助上限{max}元")
            }
            CaseError::EmergencyHelpAboveCap { cap } => {
                format!("先行救助金额超过乡镇（街道）审批权限{cap}元，应由县级民政部门审批发放")
            }
            CaseError::AmountMismatch { expected, computed } => {
                format!("核定金额为{computed}元，与页面显示的{expected}元不一致，请刷新后重新确认")
            }
            CaseError::StartMonthNotFirstDay => "起始月份应填写为该月1日".to_string(),
            CaseError::StartMonthBeforeCase => "起始月份不能早于立案当月".to_string(),
            CaseError::ReasonsRequired => "请说明理由".to_string(),
            CaseError::TextRequired { field } => format!("请填写{}", field_zh(field)),
            CaseError::TextTooLong { field, max } => {
                format!("{}过长，最多{max}个字", field_zh(field))
            }
            CaseError::TooManyEntries { field, max } => {
                format!("{}条目过多，最多{max}条", field_zh(field))
            }
            CaseError::DateOutsideCalendar { year } => {
                format!(
                    "尚未导入{year}年的工作日历，无法办理或计算期限：请导入国务院办公厅{year}年节假日安排"
                )
            }
            CaseError::DateOutOfRange => "日期超出可计算的范围".to_string(),
            CaseError::BeforeLastStep { last } => {
                format!("办理时间不能早于本案上一环节的时间({last})")
            }
        }
    }
}

/// Chinese names of the text fields named in errors.
fn field_zh(field: &str) -> &'static str {
    match field {
        "number" => "案件编号",
        "opinion" => "意见",
        "summary" => "摘要",
        "reasons" => "理由",
        "findings" => "调查结论",
        "participants" => "参加人员",
        "minutes" => "评议记录",
        "description" => "救助情况说明",
        "note" => "备注",
        "materials" => "材料",
        "member note" => "成员情况备注",
        "investigators" => "调查人员",
        "members" => "家庭成员",
        _ => "内容",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_the_authority_names_the_role_once() {
        let county = CaseError::NotTheAuthority {
            required: Role::CountyAdmin,
            level: "county",
            role: Role::TownshipHead,
        };
        assert_eq!(
            county.message_zh(),
            "本案应由县级民政管理员确认，您无权确认"
        );
        let township = CaseError::NotTheAuthority {
            required: Role::TownshipHead,
            level: "township",
            role: Role::CountyAdmin,
        };
        assert_eq!(
            township.message_zh(),
            "本案应由本乡镇(街道)乡镇签批人确认，您无权确认"
        );
    }
}
