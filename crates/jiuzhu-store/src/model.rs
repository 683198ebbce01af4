//! Records read from the store and the inputs of commands.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use jiuzhu_domain::{
    DivisionCode, DivisionLevel, Fen, IdNumber, PersonName, Program, Relation, Role, Sex,
};
use serde::{Deserialize, Serialize};

/// 行政区划 one node of the jurisdiction tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Division {
    pub code: DivisionCode,
    pub name: String,
    pub note: String,
}

impl Division {
    pub fn level(&self) -> DivisionLevel {
        self.code.level()
    }
    pub fn parent(&self) -> Option<DivisionCode> {
        self.code.parent()
    }
}

/// 用户 an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub division: DivisionCode,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl User {
    /// The actor this account acts as.
    pub fn actor(&self) -> crate::Actor {
        crate::Actor::User(crate::UserActor {
            id: self.id,
            username: self.username.clone(),
            role: self.role,
            division: self.division.clone(),
        })
    }
}

/// An account with its password hash, for login only.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

/// Input of [`crate::Command::CreateUser`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub division: DivisionCode,
    /// argon2 PHC string; never logged, never hashed into the idempotency fingerprint.
    #[serde(skip_serializing)]
    pub password_hash: String,
}

/// Checks one free-text input (address, display name, basis, reason, token label …): no
/// control characters (`char::is_control`, which includes `\0`, line breaks and tabs;
/// PostgreSQL cannot even store `\0` in text) and at most `max_chars` characters. The error
/// names the field. Whether the text may be empty is up to the caller.
pub fn check_text(field: &str, value: &str, max_chars: usize) -> crate::Result<()> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(crate::StoreError::Invalid(format!(
            "{field} must not contain control characters (found U+{:04X})",
            u32::from(c)
        )));
    }
    let len = value.chars().count();
    if len > max_chars {
        return Err(crate::StoreError::Invalid(format!(
            "{field} must be at most {max_chars} characters (got {len})"
        )));
    }
    Ok(())
}

/// Usernames: 3–32 characters of ASCII letters, digits, `.`, `_`, `-`, starting with a letter.
pub fn check_username(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if !(3..=32).contains(&len) {
        return Err(format!("username must be 3 to 32 characters (got {len})"));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("username must start with a letter".to_string());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "username may contain only letters, digits, '.', '_' and '-' (found {c:?})"
        ));
    }
    Ok(())
}

/// Input of [`crate::Command::GrantDelegation`]: 授权书 a county grants `program` to
/// `township` from `from` (until `until`, inclusive), for amounts up to `cap`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewGrant {
    pub program: Program,
    pub township: DivisionCode,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
    pub cap: Option<Fen>,
    /// The letter of authorization's number or the plan clause.
    pub basis: String,
}

impl NewGrant {
    /// The grant as the domain sees it (id 0: not stored yet).
    pub fn to_grant(&self) -> jiuzhu_domain::delegation::Grant {
        jiuzhu_domain::delegation::Grant {
            id: 0,
            program: self.program,
            township: self.township.clone(),
            from: self.from,
            until: self.until,
            cap: self.cap,
            basis: self.basis.trim().to_string(),
            revoked: None,
        }
    }
}

/// 家庭成员 a member of a household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub seq: i32,
    pub name: PersonName,
    pub id_number: IdNumber,
    pub relation: Relation,
    pub sex: Sex,
    pub birth_date: NaiveDate,
}

/// A member as entered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMember {
    pub name: PersonName,
    pub id_number: IdNumber,
    pub relation: Relation,
}

/// Input of [`crate::Command::RegisterHousehold`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewHousehold {
    /// The village or community (12-digit code) of household registration (户籍所在地).
    pub division: DivisionCode,
    pub address: String,
    /// Members; exactly one has relation [`Relation::Head`].
    pub members: Vec<NewMember>,
    /// Fictitious demo data.
    #[serde(default)]
    pub demo: bool,
}

impl NewHousehold {
    /// Checks what the types cannot: a village-level division, one head, no duplicate
    /// members, a non-empty address of at most 200 characters without control characters.
    pub fn check(&self) -> crate::Result<()> {
        let invalid = |m: String| Err(crate::StoreError::Invalid(m));
        if self.division.level() != DivisionLevel::Village {
            return invalid(format!(
                "a household is registered at a village or community (12-digit code), not at {}",
                self.division
            ));
        }
        if self.address.trim().is_empty() {
            return invalid("address is empty".to_string());
        }
        check_text("address", &self.address, 200)?;
        if self.members.is_empty() {
            return invalid("a household needs at least one member".to_string());
        }
        if self.members.len() > 30 {
            return invalid("a household has at most 30 members".to_string());
        }
        let heads = self
            .members
            .iter()
            .filter(|m| m.relation == Relation::Head)
            .count();
        if heads != 1 {
            return invalid(format!(
                "a household has exactly one head (户主); found {heads}"
            ));
        }
        for (i, m) in self.members.iter().enumerate() {
            if self.members[..i].iter().any(|o| o.id_number == m.id_number) {
                return invalid(format!(
                    "member {} repeats the ID number {} of an earlier member",
                    i + 1,
                    m.id_number.masked()
                ));
            }
        }
        Ok(())
    }
}

/// 家庭 a household with its members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Household {
    pub id: i64,
    pub division: DivisionCode,
    pub division_name: String,
    pub address: String,
    pub members: Vec<Member>,
    pub demo: bool,
    pub created_at: DateTime<Utc>,
}

impl Household {
    pub fn head(&self) -> Option<&Member> {
        self.members.iter().find(|m| m.relation == Relation::Head)
    }
}

/// A row of a household list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdSummary {
    pub id: i64,
    pub division: DivisionCode,
    pub division_name: String,
    pub head_name: PersonName,
    pub member_count: i64,
    pub created_at: DateTime<Utc>,
}

/// Filter of the household list (always also limited to the actor's scope).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HouseholdFilter {
    /// Only households under this division.
    pub division: Option<DivisionCode>,
}

/// 1-based page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl PageRequest {
    pub const MAX_PER_PAGE: u32 = 200;

    /// Clamps to sane bounds: page ≥ 1, 1 ≤ per_page ≤ 200.
    pub fn new(page: u32, per_page: u32) -> Self {
        PageRequest {
            page: page.max(1),
            per_page: per_page.clamp(1, Self::MAX_PER_PAGE),
        }
    }
    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest::new(1, 50)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u32 {
        let per = i64::from(self.per_page.max(1));
        u32::try_from((self.total + per - 1) / per).unwrap_or(u32::MAX)
    }
}

/// Counts in the actor's scope, for the home page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub townships: i64,
    pub villages: i64,
    pub households: i64,
    pub members: i64,
    pub users: i64,
}

/// A logged-in browser session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(check_username("gx.caseworker").is_ok());
        assert!(check_username("ab").is_err());
        assert!(check_username("1abc").is_err());
        assert!(check_username("张三丰").is_err());
        assert!(check_username("a b c").is_err());
    }

    #[test]
    fn free_text_refuses_control_characters_and_overlong_input() {
        assert!(check_text("address", "新林村1组1号", 200).is_ok());
        for bad in ["a\0b", "a\nb", "a\tb", "a\u{7f}b", "a\u{85}b"] {
            let err = check_text("address", bad, 200).unwrap_err();
            assert!(
                matches!(&err, crate::StoreError::Invalid(m) if m.contains("address")),
                "{err:?}"
            );
        }
        assert!(check_text("label", &"字".repeat(64), 64).is_ok());
        let err = check_text("label", &"字".repeat(65), 64).unwrap_err();
        assert!(err.to_string().contains("label"), "{err}");
    }

    #[test]
    fn page_math() {
        let p = PageRequest::new(0, 1000);
        assert_eq!((p.page, p.per_page, p.offset()), (1, 200, 0));
        assert_eq!(PageRequest::new(3, 20).offset(), 40);
        let page: Page<u8> = Page {
            items: vec![],
            total: 41,
            page: 1,
            per_page: 20,
        };
        assert_eq!(page.pages(), 3);
    }
}

/// Which cases to list (all inside the actor's scope when empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFilter {
    pub program: Option<Program>,
    /// Only cases of households under this division (township or village).
    pub within: Option<DivisionCode>,
    pub stage: Option<jiuzhu_domain::case::Stage>,
    /// Only cases not closed.
    #[serde(default)]
    pub open_only: bool,
}

/// One line of a case list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSummary {
    pub id: i64,
    /// 案件编号 `{county}-{year}-{seq:06}`.
    pub number: String,
    pub program: Program,
    pub township: DivisionCode,
    pub village: DivisionCode,
    pub household_id: i64,
    pub stage: jiuzhu_domain::case::Stage,
    pub open: bool,
    /// Number of events recorded.
    pub version: i64,
    /// The earliest due date of the open steps.
    pub next_due_date: Option<NaiveDate>,
    /// The local moment after which the case is overdue (the end of `next_due_date`, or the
    /// due moment of an hour period).
    pub next_deadline: Option<NaiveDateTime>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Which public list an entry is on (DOMAIN.md §8, §10: what the law allows to show).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicKind {
    /// 公示 a proposed approval posted before the decision, while its period runs.
    Notice,
    /// 审批结果公示 an approval posted after the decision.
    Result,
    /// 长期公示 a current recipient, where the county discloses recipients permanently.
    LongTerm,
}

/// One line of the public board: the household head's name masked, the household size, the
/// program, the amount and the village; never an identity number, address, phone or account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicEntry {
    pub kind: PublicKind,
    pub case_number: String,
    pub program: Program,
    pub village: DivisionCode,
    pub village_name: String,
    /// The household head's name with the given name masked (王某华 → 王**).
    pub head_masked: String,
    pub household_size: i64,
    /// Monthly (or one-off) amount; for a notice the proposed amount, where one was given.
    pub amount: Option<Fen>,
    /// Posted on (notice, result) or approved from (long-term: the start month).
    pub since: NaiveDate,
    /// A notice runs until this day.
    pub until: Option<NaiveDate>,
}

/// 申请进度 what an applicant sees of their case, no login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicStatus {
    pub case_number: String,
    pub program: Program,
    pub stage: jiuzhu_domain::case::Stage,
    pub open: bool,
    pub opened_on: NaiveDate,
    /// The earliest due date of the open steps.
    pub next_due_date: Option<NaiveDate>,
    /// 批准 / 不予批准 once decided.
    pub decided: Option<bool>,
}

/// 异议 an objection to a notice or a recipient, or 举报 a report of misconduct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Objection,
    Report,
}

impl ReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Objection => "objection",
            ReportKind::Report => "report",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            ReportKind::Objection => "异议",
            ReportKind::Report => "举报",
        }
    }
}

/// Longest text of a public report and of its answer, in characters.
pub const MAX_REPORT_TEXT: usize = 2000;

/// A report from the public form, as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPublicReport {
    /// The township or village it concerns (the township answers).
    pub division: DivisionCode,
    pub kind: ReportKind,
    /// The case number on the notice, where the report is about one.
    pub case_number: Option<String>,
    pub content: String,
    /// A phone number or address for the answer (never shown in public, never in the log).
    #[serde(skip_serializing)]
    pub contact: Option<String>,
}

/// A report and its answer, for the staff who must answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicReport {
    pub id: i64,
    pub township: DivisionCode,
    pub division: DivisionCode,
    pub kind: ReportKind,
    pub case_number: Option<String>,
    pub content: String,
    pub contact: Option<String>,
    pub submitted_at: DateTime<Utc>,
    /// 答复期限 the township answers by this day.
    pub due_date: NaiveDate,
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// What the dashboard counts of one case (the facts come from the case's state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFact {
    pub program: Program,
    pub township: DivisionCode,
    /// Local date the case was opened.
    pub opened_on: NaiveDate,
    /// Local date of the (last) decision.
    pub decided_on: Option<NaiveDate>,
    pub approved: Option<bool>,
    pub open: bool,
    /// The local moment after which the case is overdue, if it has an open step.
    pub next_deadline: Option<NaiveDateTime>,
}

/// 行政文书 the kinds of document the archive keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 一次性告知书
    MissingMaterialsNotice,
    /// 申请审核确认表
    ApplicationReviewForm,
    /// 不予批准告知书
    RefusalNotice,
    /// 公示名单 (a township's current notices)
    PublicNoticeList,
    /// 授权书 (a delegation grant)
    DelegationLetter,
    /// 调整/停发告知书 (a re-check or a correction that changed the amount)
    AdjustmentNotice,
    /// 资金发放花名册 (a township's settled roster of one program and month)
    Roster,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 7] = [
        DocumentKind::MissingMaterialsNotice,
        DocumentKind::ApplicationReviewForm,
        DocumentKind::RefusalNotice,
        DocumentKind::PublicNoticeList,
        DocumentKind::DelegationLetter,
        DocumentKind::AdjustmentNotice,
        DocumentKind::Roster,
    ];

    /// Stable machine name (stored, and used in URLs).
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::MissingMaterialsNotice => "missing_materials_notice",
            DocumentKind::ApplicationReviewForm => "application_review_form",
            DocumentKind::RefusalNotice => "refusal_notice",
            DocumentKind::PublicNoticeList => "public_notice_list",
            DocumentKind::DelegationLetter => "delegation_letter",
            DocumentKind::AdjustmentNotice => "adjustment_notice",
            DocumentKind::Roster => "roster",
        }
    }

    pub fn parse(s: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            DocumentKind::MissingMaterialsNotice => "一次性告知书",
            DocumentKind::ApplicationReviewForm => "申请审核确认表",
            DocumentKind::RefusalNotice => "不予批准告知书",
            DocumentKind::PublicNoticeList => "公示名单",
            DocumentKind::DelegationLetter => "授权书",
            DocumentKind::AdjustmentNotice => "调整/停发告知书",
            DocumentKind::Roster => "资金发放花名册",
        }
    }
}

/// What a document belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DocumentSubject {
    /// A case's document (一次性告知书, 申请审核确认表, 不予批准告知书).
    Case { case_id: i64 },
    /// A delegation grant's 授权书, issued by the county.
    Grant { grant_id: i64 },
    /// A township's 公示名单 of one day, issued by the township.
    NoticeList {
        township: DivisionCode,
        date: NaiveDate,
    },
    /// A re-check's 调整/停发告知书, issued by the township.
    Recheck { recheck_id: i64 },
    /// A township's 花名册 of one program and month, once settled (月结), issued by the
    /// township.
    Roster {
        township: DivisionCode,
        program: jiuzhu_domain::Program,
        month: crate::payroll::Month,
    },
}

impl DocumentSubject {
    /// `case:{id}`, `grant:{id}` or `notices:{township}:{date}` (stored, unique per kind and
    /// source).
    pub fn key(&self) -> String {
        match self {
            DocumentSubject::Case { case_id } => format!("case:{case_id}"),
            DocumentSubject::Grant { grant_id } => format!("grant:{grant_id}"),
            DocumentSubject::NoticeList { township, date } => format!("notices:{township}:{date}"),
            DocumentSubject::Recheck { recheck_id } => format!("recheck:{recheck_id}"),
            DocumentSubject::Roster {
                township,
                program,
                month,
            } => format!("roster:{township}:{program}:{month}"),
        }
    }
}

/// A rendered document to archive ([`crate::Store::issue_document`]).
#[derive(Clone, PartialEq, Eq)]
pub struct NewDocument {
    pub subject: DocumentSubject,
    pub kind: DocumentKind,
    /// Which step the document records (e.g. `decision:0`, `one_time_notice`): a subject
    /// has at most one document per kind and source, so issuing again returns the archived
    /// one.
    pub source: String,
    /// The issuing body's division (township or county): the 文号 counter's owner. A
    /// case's documents come from its township or county, a 授权书 from the grant's
    /// county, a 公示名单 from its township.
    pub issuer: DivisionCode,
    pub year: i32,
    /// The serial the PDF prints: must be the issuer's next serial of the year
    /// ([`crate::Store::next_document_serial`]); otherwise the store refuses it
    /// ([`crate::StoreError::Conflict`]) and the caller renders again with the new one.
    pub serial: u32,
    /// 文号 as printed, e.g. `珙泉民救〔2026〕3号`.
    pub number: String,
    pub title: String,
    pub pdf: Vec<u8>,
}

impl fmt::Debug for NewDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewDocument")
            .field("subject", &self.subject)
            .field("kind", &self.kind)
            .field("source", &self.source)
            .field("number", &self.number)
            .field("pdf_len", &self.pdf.len())
            .finish()
    }
}

/// An archived document (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentMeta {
    pub id: i64,
    /// [`DocumentSubject::key`].
    pub subject: String,
    pub case_id: Option<i64>,
    /// Staff whose jurisdiction contains this division see the document.
    pub division: DivisionCode,
    pub kind: DocumentKind,
    pub source: String,
    pub issuer: DivisionCode,
    pub number: String,
    pub title: String,
    pub issued_at: DateTime<Utc>,
    pub issued_by: i64,
    /// SHA-256 of the PDF, lower-case hex (also in the `document.issued` event).
    pub sha256: String,
    pub size: i64,
}

/// The outcome of [`crate::Store::issue_document`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedDocument {
    pub meta: DocumentMeta,
    /// `false`: the document had been issued before and the archived one is returned.
    pub new: bool,
}
