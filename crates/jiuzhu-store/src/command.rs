//! Commands: every change to the store is one command, executed in one transaction that
//! appends its events to the audit chain and updates the projections. Each command carries
//! an idempotency key; a retry with the same key gets the first result and writes nothing.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::Actor;
use crate::model::{NewGrant, NewHousehold, NewUser};

/// Who runs a command, when, and under which idempotency key.
#[derive(Debug, Clone)]
pub struct CommandContext {
    pub actor: Actor,
    /// Client-chosen key (HTTP `Idempotency-Key` header) or a fresh random one.
    pub idempotency_key: String,
    pub now: DateTime<Utc>,
}

impl CommandContext {
    pub fn new(actor: Actor, idempotency_key: impl Into<String>, now: DateTime<Utc>) -> Self {
        CommandContext {
            actor,
            idempotency_key: idempotency_key.into(),
            now,
        }
    }
}

/// Longest accepted idempotency key.
pub const MAX_IDEMPOTENCY_KEY: usize = 128;

pub fn check_idempotency_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
        return Err(format!(
            "idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY} characters"
        ));
    }
    if !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err("idempotency key must be printable ASCII without spaces".to_string());
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// 新增用户
    CreateUser(NewUser),
    /// 停用/启用用户
    SetUserActive {
        user_id: i64,
        active: bool,
        reason: String,
    },
    /// 重置/修改密码
    SetPassword {
        user_id: i64,
        #[serde(skip_serializing)]
        password_hash: String,
    },
    /// 签发 API 令牌 (only the digest of the token is stored)
    IssueApiToken {
        user_id: i64,
        label: String,
        #[serde(skip_serializing)]
        token_digest: String,
        expires_at: DateTime<Utc>,
    },
    /// 登记家庭
    RegisterHousehold(NewHousehold),
    /// 授权 grant a program's confirmation authority to a township
    GrantDelegation(NewGrant),
    /// 撤销授权 revoke a grant from a date
    RevokeDelegation {
        grant_id: i64,
        effective: NaiveDate,
        reason: String,
    },
    /// 案件 a command of the case engine. `case_id` is `None` for the commands that open a
    /// case (apply, pre-check request, emergency report); the store assigns the new case's
    /// id and number (those given in the command's `NewCase` are ignored).
    Case {
        case_id: Option<i64>,
        case_command: jiuzhu_domain::case::Command,
    },
    /// 异议/举报 from the public form (run by the system actor for the anonymous public).
    SubmitPublicReport(crate::model::NewPublicReport),
    /// 答复 the township's (or county's) answer to a public report.
    AnswerPublicReport { report_id: i64, answer: String },
    /// 查看完整身份证号 a staff member looks at a household's full identity numbers, with
    /// the reason; recorded before anything is shown.
    ViewIdNumbers { household_id: i64, reason: String },
    /// 动态管理 增发/减发/暂停/恢复/停发: changes a household's entitlement to a program from
    /// `effective` on (a month not yet in a settled or submitted roster of its township).
    /// Township caseworkers and heads, or the county administrator, in their jurisdiction.
    ChangeEntitlement {
        household_id: i64,
        program: jiuzhu_domain::Program,
        change: crate::payroll::EntitlementChange,
        effective: crate::payroll::Month,
        reason: String,
    },
    /// 银行账户 sets the account a household's payments go to. The holder must be a member
    /// of the household (the recipient's own account). The account is not part of the
    /// request fingerprint in clear: only its SHA-256 is.
    SetBankAccount {
        household_id: i64,
        #[serde(serialize_with = "crate::command::digest_only")]
        account: String,
        holder: String,
    },
    /// 生成花名册 (re)builds the month's rosters of a county, one per township and program,
    /// from the entitlements, with back-pay and the failed payments of earlier months.
    /// Rosters already settled stay as they are; a submitted month is refused.
    GenerateRosters {
        county: jiuzhu_domain::DivisionCode,
        month: crate::payroll::Month,
    },
    /// 月结 a township settles its rosters of the month (late after the profile's cutoff day).
    SettleRosters {
        township: jiuzhu_domain::DivisionCode,
        month: crate::payroll::Month,
    },
    /// 报送财政 the county submits the month's rosters: they are frozen from now on.
    SubmitRosters {
        county: jiuzhu_domain::DivisionCode,
        month: crate::payroll::Month,
    },
    /// 银行回盘 records the bank's answers for payments of a county-month; the whole file is
    /// refused when any line names an unknown payment or another amount.
    ImportBankReturns {
        county: jiuzhu_domain::DivisionCode,
        month: crate::payroll::Month,
        sha256: String,
        #[serde(skip_serializing)]
        lines: Vec<crate::payroll::ReturnLine>,
    },
    /// 备用金 allocation, spending or replenishment of a township's reserve fund.
    ReserveMovement(crate::payroll::NewReserveMovement),
    /// 监督 county supervision: filing review, spot checks, rectification, complaints,
    /// dishonesty records (see [`crate::supervision`]).
    Supervision(crate::supervision::SupervisionCommand),
    /// 动态管理 monthly visits and re-checks of recipients (see [`crate::dynamic`]).
    Dynamic(crate::dynamic::DynamicCommand),
}

/// Serializes a secret-ish value as its SHA-256 only (fingerprints, stored requests).
pub(crate) fn digest_only<S: serde::Serializer>(v: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(Sha256::digest(v.as_bytes())))
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::CreateUser(_) => "create_user",
            Command::SetUserActive { .. } => "set_user_active",
            Command::SetPassword { .. } => "set_password",
            Command::IssueApiToken { .. } => "issue_api_token",
            Command::RegisterHousehold(_) => "register_household",
            Command::GrantDelegation(_) => "grant_delegation",
            Command::RevokeDelegation { .. } => "revoke_delegation",
            Command::Case { .. } => "case",
            Command::SubmitPublicReport(_) => "submit_public_report",
            Command::AnswerPublicReport { .. } => "answer_public_report",
            Command::ViewIdNumbers { .. } => "view_id_numbers",
            Command::ChangeEntitlement { .. } => "change_entitlement",
            Command::SetBankAccount { .. } => "set_bank_account",
            Command::GenerateRosters { .. } => "generate_rosters",
            Command::SettleRosters { .. } => "settle_rosters",
            Command::SubmitRosters { .. } => "submit_rosters",
            Command::ImportBankReturns { .. } => "import_bank_returns",
            Command::ReserveMovement(_) => "reserve_movement",
            Command::Supervision(c) => c.name(),
            Command::Dynamic(c) => c.name(),
        }
    }

    /// Digest of the request without its secrets: a retry must carry the same request;
    /// the same key with another request is a conflict, not a silent replay.
    pub fn fingerprint(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        hex::encode(Sha256::digest(json.as_bytes()))
    }
}

/// The result of a command, stored with its idempotency key and replayed on retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CommandOutcome {
    UserCreated {
        user_id: i64,
    },
    UserUpdated {
        user_id: i64,
    },
    TokenIssued {
        user_id: i64,
    },
    HouseholdRegistered {
        household_id: i64,
    },
    /// A household import file was imported (the counts of its report; the row-by-row
    /// issues are not kept).
    HouseholdsImported {
        sha256: String,
        mode: crate::import::ImportMode,
        rows: u32,
        households: u64,
        households_imported: u64,
        members_imported: u64,
        households_skipped: u64,
        first_household_id: Option<i64>,
        last_household_id: Option<i64>,
    },
    DelegationGranted {
        grant_id: i64,
    },
    DelegationRevoked {
        grant_id: i64,
    },
    /// A case command was recorded: the case's id and number, its version (number of
    /// events) and stage afterwards, and the names of the events recorded.
    CaseRecorded {
        case_id: i64,
        number: String,
        version: u64,
        stage: jiuzhu_domain::case::Stage,
        events: Vec<String>,
    },
    ReportSubmitted {
        report_id: i64,
        due_date: NaiveDate,
    },
    ReportAnswered {
        report_id: i64,
    },
    IdNumbersViewed {
        household_id: i64,
    },
    EntitlementChanged {
        household_id: i64,
        program: jiuzhu_domain::Program,
        monthly: jiuzhu_domain::Fen,
    },
    BankAccountSet {
        household_id: i64,
    },
    /// Rosters (re)built: how many, their lines and total; `kept` settled ones untouched.
    RostersGenerated {
        county: jiuzhu_domain::DivisionCode,
        month: crate::payroll::Month,
        rosters: i64,
        kept: i64,
        lines: i64,
        total: jiuzhu_domain::Fen,
    },
    RostersSettled {
        township: jiuzhu_domain::DivisionCode,
        month: crate::payroll::Month,
        rosters: i64,
        late: bool,
    },
    RostersSubmitted {
        county: jiuzhu_domain::DivisionCode,
        month: crate::payroll::Month,
        rosters: i64,
        lines: i64,
        total: jiuzhu_domain::Fen,
    },
    BankReturnsImported {
        counts: crate::payroll::ReturnCounts,
    },
    ReserveMoved {
        entry_id: i64,
        balance: jiuzhu_domain::Fen,
    },
    /// An audited file operation (payment file export, reconciliation) was recorded.
    Recorded {
        kind: String,
    },
    /// 抽查 a sample was drawn: the draw's id and the sampled case numbers, in order.
    SampleDrawn {
        draw_id: i64,
        county: String,
        period: String,
        /// Decimal (a `u64` does not fit every JSON reader's integers).
        seed: String,
        method: String,
        candidates: u64,
        case_numbers: Vec<String>,
    },
    /// Any other supervision command: the record it wrote (`filing:3`, `rectification:2`,
    /// `complaint:5`, `dishonesty:1`, `spot_check:4`) and its due date where it has one.
    SupervisionRecorded {
        subject: String,
        due_date: Option<NaiveDate>,
    },
    /// 走访 recorded for a household and month.
    VisitRecorded {
        visit_id: i64,
        household_id: i64,
    },
    /// 复核 recorded: what it changed and from which month.
    RecheckRecorded {
        recheck_id: i64,
        result: crate::dynamic::RecheckOutcome,
        monthly: jiuzhu_domain::Fen,
        effective: Option<crate::payroll::Month>,
    },
}

/// A command's outcome and whether it was replayed from an earlier identical request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    pub outcome: CommandOutcome,
    pub replayed: bool,
}
