//! The `Store` trait, its records and commands, the hash-chained event log, accounts and
//! jurisdiction scoping. Backends (`jiuzhu-store-sqlite`, `jiuzhu-store-postgres`)
//! implement the trait; `jiuzhu-store-tests` holds the conformance suite both must pass.
#![forbid(unsafe_code)]

pub mod auth;
pub mod command;
pub mod demo;
pub mod divisions;
pub mod dynamic;
pub mod error;
pub mod event;
pub mod import;
pub mod model;
pub mod payroll;
pub mod policy;
pub mod rules;
pub mod supervision;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use jiuzhu_domain::case::CaseState;
use jiuzhu_domain::delegation::{Authority, Grant};
use jiuzhu_domain::{DivisionCode, Fen, Program};

pub use auth::{Actor, Scope, UserActor};
pub use command::{Command, CommandContext, CommandOutcome, Executed};
pub use error::{Result, StoreError};
pub use event::{EventRecord, NewEvent, VerifyReport};
pub use import::{
    HouseholdImport, ImportHousehold, ImportIssue, ImportMode, ImportProgress, ImportReport,
    ImportStage,
};
pub use model::*;
pub use rules::Rules;
pub use supervision::{
    CaseCorrection, Complaint, ComplaintStat, DishonestyRecord, Filing, FilingFilter, FilingReview,
    FindingRef, Rectification, RectificationFilter, SpotCheckDraw, SpotCheckFeedback,
    SpotCheckItem, SpotCheckRecord, SpotCheckResult, SupervisionCommand, TownshipSupervision,
};

/// Highest schema version this build knows (the last migration's number).
pub const SCHEMA_VERSION: i64 = 11;

/// Persistence of jiuzhu. Every read takes the actor and returns only what lies inside the
/// actor's jurisdiction; records elsewhere are reported as not found. Every change goes
/// through [`Store::execute`] (or one of the audited session methods) and is appended to
/// the event log in the same transaction.
#[async_trait]
pub trait Store: Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// The profiles and calendar case commands run by (the pages show the same rules).
    fn rules(&self) -> Result<std::sync::Arc<Rules>>;

    /// The schema version the database is at.
    async fn schema_version(&self) -> Result<i64>;

    // ---- jurisdictions ---------------------------------------------------------------

    /// Inserts or updates the jurisdiction tree (parents before children). Audited as one
    /// event on the system chain when anything changed. Returns the number of rows changed.
    async fn load_divisions(&self, ctx: &CommandContext, rows: &[Division]) -> Result<u64>;

    /// One division by code (jurisdiction names are public).
    async fn division(&self, code: &DivisionCode) -> Result<Option<Division>>;

    /// Divisions inside the actor's scope, optionally only direct children of `parent`.
    async fn divisions(
        &self,
        actor: &Actor,
        parent: Option<&DivisionCode>,
    ) -> Result<Vec<Division>>;

    // ---- commands ----------------------------------------------------------------------

    /// Runs a command: checks authority and input, appends its events and updates the
    /// projections in one transaction. A retry with the same idempotency key returns the
    /// first outcome with `replayed = true` and writes nothing.
    async fn execute(&self, ctx: &CommandContext, command: Command) -> Result<Executed>;

    /// 批量导入 imports the households of a parsed file in ONE transaction: adds the checks
    /// that need the database (village exists and lies in the actor's jurisdiction, ID
    /// numbers not registered yet) to the file's issues, then writes nothing
    /// ([`ImportMode::AllOrNothing`] with any issue) or every valid household
    /// ([`ImportMode::ValidOnly`]), each with its `household.registered` event, plus one
    /// `household.import_completed` event for the file. The idempotency key is
    /// [`HouseholdImport::idempotency_key`] (`ctx.idempotency_key` is not used): the same
    /// file imported again by the same account returns the first report, `replayed`.
    async fn import_households(
        &self,
        ctx: &CommandContext,
        import: HouseholdImport,
        progress: &(dyn Fn(ImportProgress) + Send + Sync),
    ) -> Result<ImportReport>;

    // ---- accounts and sessions -----------------------------------------------------------

    /// The account and password hash for a login attempt (unscoped: used before login).
    async fn credentials(&self, username: &str) -> Result<Option<UserCredentials>>;

    /// One account inside the actor's scope.
    async fn user(&self, actor: &Actor, id: i64) -> Result<User>;

    /// Accounts inside the actor's scope.
    async fn users(&self, actor: &Actor, page: PageRequest) -> Result<Page<User>>;

    /// Records a login attempt in the audit log; on success also opens a session whose
    /// id digest and CSRF token are given. `user` is `None` for unknown usernames.
    async fn record_login(
        &self,
        at: DateTime<Utc>,
        username: &str,
        user: Option<&User>,
        session: Option<NewSession>,
    ) -> Result<()>;

    /// The session with this id digest, if it exists, has not expired at `now` and its
    /// account is active.
    async fn session(&self, session_digest: &str, now: DateTime<Utc>) -> Result<Option<Session>>;

    /// Ends a session (audited).
    async fn end_session(&self, session_digest: &str, at: DateTime<Utc>) -> Result<()>;

    /// The account an API token (by digest) belongs to, if valid at `now`.
    async fn token_user(&self, token_digest: &str, now: DateTime<Utc>) -> Result<Option<User>>;

    // ---- households --------------------------------------------------------------------

    async fn household(&self, actor: &Actor, id: i64) -> Result<Household>;

    async fn households(
        &self,
        actor: &Actor,
        filter: &HouseholdFilter,
        page: PageRequest,
    ) -> Result<Page<HouseholdSummary>>;

    /// Counts inside the actor's scope.
    async fn counts(&self, actor: &Actor) -> Result<Counts>;

    // ---- delegation ----------------------------------------------------------------------

    /// Delegation grants (with revocations) of townships inside the actor's scope, optionally
    /// only under `within` and only of `program`, ordered by township, program and start.
    async fn grants(
        &self,
        actor: &Actor,
        within: Option<&DivisionCode>,
        program: Option<Program>,
    ) -> Result<Vec<Grant>>;

    /// Who confirms `program` for a case in `township` on `date` for `amount`: the stored
    /// grants answered by [`jiuzhu_domain::delegation::authority`].
    async fn authority(
        &self,
        actor: &Actor,
        program: Program,
        township: &DivisionCode,
        date: NaiveDate,
        amount: Option<Fen>,
    ) -> Result<Authority> {
        actor.scope().require(township, "township")?;
        let grants = self.grants(actor, Some(township), Some(program)).await?;
        jiuzhu_domain::delegation::authority(&grants, program, township, date, amount)
            .map_err(|e| StoreError::Invalid(e.to_string()))
    }

    // ---- cases ---------------------------------------------------------------------------
    // Case commands run through [`Store::execute`] as [`Command::Case`].

    /// One case's current state, if its household lies inside the actor's scope.
    async fn case(&self, actor: &Actor, id: i64) -> Result<CaseState>;

    /// Cases inside the actor's scope, newest first.
    async fn cases(
        &self,
        actor: &Actor,
        filter: &CaseFilter,
        page: PageRequest,
    ) -> Result<Page<CaseSummary>>;

    /// Open cases inside the actor's scope (optionally only under `within`) with a step
    /// overdue at `now_local` (Asia/Shanghai local time), most overdue first.
    async fn overdue_cases(
        &self,
        actor: &Actor,
        within: Option<&DivisionCode>,
        now_local: NaiveDateTime,
    ) -> Result<Vec<CaseSummary>>;

    /// Open cases inside the actor's scope (optionally only under `within`) not overdue at
    /// `now_local` whose earliest open step falls due within `within_days` calendar days of
    /// it, soonest first.
    async fn due_soon(
        &self,
        actor: &Actor,
        within: Option<&DivisionCode>,
        now_local: NaiveDateTime,
        within_days: u32,
    ) -> Result<Vec<CaseSummary>>;

    // ---- documents (行政文书) -------------------------------------------------------------

    /// The serial the issuer's next document of `year` gets (the 文号 counter plus one).
    /// Render the document with it and pass it to [`Store::issue_document`].
    async fn next_document_serial(&self, issuer: &DivisionCode, year: i32) -> Result<u32>;

    /// 签发归档: archives a rendered document in one transaction: the PDF byte for byte,
    /// its SHA-256 (computed here) in a `document.issued` event on the county's chain
    /// (subject `document:{id}`), and the issuer's 文号 counter moved to `doc.serial`. A
    /// document already archived for the same subject, kind and source is returned instead
    /// (`new: false`) and nothing is written. Refused when the actor may not issue it (a
    /// case's or notice list's: township staff of the township or a county admin; a
    /// grant's 授权书: a county admin) and with [`StoreError::DocumentSerialTaken`] when
    /// the serial is no longer the next one (render again with the new serial).
    async fn issue_document(
        &self,
        ctx: &CommandContext,
        doc: NewDocument,
    ) -> Result<IssuedDocument>;

    /// The documents archived with a case visible to the actor, oldest first.
    async fn case_documents(&self, actor: &Actor, case_id: i64) -> Result<Vec<DocumentMeta>>;

    /// The documents archived for a subject (see [`DocumentSubject::key`]) inside the
    /// actor's jurisdiction, oldest first.
    async fn documents_of(&self, actor: &Actor, subject: &str) -> Result<Vec<DocumentMeta>>;

    /// One archived document and its PDF, if it lies inside the actor's jurisdiction.
    async fn document(&self, actor: &Actor, id: i64) -> Result<(DocumentMeta, Vec<u8>)>;

    // ---- audit -------------------------------------------------------------------------

    /// Events about `subject` (e.g. `household:12`, `case:3`: a case's timeline) visible to the actor, oldest first.
    async fn events_for(&self, actor: &Actor, subject: &str) -> Result<Vec<EventRecord>>;

    /// The dashboard's facts of every case in the actor's jurisdiction (under `within`).
    async fn case_facts(
        &self,
        actor: &Actor,
        within: Option<&DivisionCode>,
    ) -> Result<Vec<CaseFact>>;

    // ---- public (no login) -------------------------------------------------------------

    /// 异议/举报 in the actor's jurisdiction, unanswered first, then newest first.
    async fn public_reports(&self, actor: &Actor, open_only: bool) -> Result<Vec<PublicReport>>;

    /// 公示栏: the notices running on `today`, the posted approvals and, where the county
    /// discloses recipients permanently, the current recipients, of cases under `within`
    /// (a county, township or village), newest first.
    async fn public_board(
        &self,
        within: &DivisionCode,
        today: NaiveDate,
    ) -> Result<Vec<PublicEntry>>;

    /// 申请进度查询: the case numbered `number` if `id_last4` (case-insensitive) ends the
    /// identity number of a member of its household; `None` otherwise (the answer does not
    /// tell which of the two was wrong).
    async fn application_status(
        &self,
        number: &str,
        id_last4: &str,
    ) -> Result<Option<PublicStatus>>;

    /// Walks every chain and recomputes every hash.
    async fn verify_chain(&self) -> Result<VerifyReport>;

    // ---- payroll (资金发放, see [`payroll`]) ----------------------------------------------
    // Changes run through [`Store::execute`]: `ChangeEntitlement`, `SetBankAccount`,
    // `GenerateRosters`, `SettleRosters`, `SubmitRosters`, `ImportBankReturns`,
    // `ReserveMovement`.

    /// Entitlements of households inside the actor's scope, by county, household, program.
    async fn entitlements(
        &self,
        actor: &Actor,
        filter: &payroll::EntitlementFilter,
        page: PageRequest,
    ) -> Result<Page<payroll::Entitlement>>;

    /// A household's bank account, masked (`None` if none is set).
    async fn bank_account(
        &self,
        actor: &Actor,
        household_id: i64,
    ) -> Result<Option<payroll::BankAccountInfo>>;

    /// The rosters of `month` under `within` (a county, township or several counties) inside
    /// the actor's scope, by county, township and program, with their totals.
    async fn rosters(
        &self,
        actor: &Actor,
        month: payroll::Month,
        within: &DivisionCode,
    ) -> Result<Vec<payroll::RosterSummary>>;

    /// 与上月比对: the regular lines of `month` under `within` (a county or township) that
    /// are new, changed or gone against the month before.
    async fn roster_diff(
        &self,
        actor: &Actor,
        month: payroll::Month,
        within: &DivisionCode,
    ) -> Result<Vec<payroll::RosterDiffLine>>;

    /// Payments (roster lines) of `month` under `within` (a county or township), by id.
    async fn payments(
        &self,
        actor: &Actor,
        month: payroll::Month,
        within: &DivisionCode,
        page: PageRequest,
    ) -> Result<Page<payroll::Payment>>;

    /// 代发文件 writes the payment file of a submitted county-month (its pending payments,
    /// streamed in id order) to `out` and records its SHA-256, line count and total in the
    /// event log (`payroll.payment_file_exported`). `progress(done, total)` is called as
    /// lines are written.
    async fn export_payments(
        &self,
        ctx: &CommandContext,
        county: &DivisionCode,
        month: payroll::Month,
        format: payroll::PaymentFileFormat,
        out: &mut (dyn std::io::Write + Send),
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<payroll::PaymentFileSummary>;

    /// 对账 compares the paid payments of a submitted county-month with the finance ledger,
    /// records the result (`payroll.reconciled`, with the ledger's SHA-256) and returns the
    /// consistency rate and every mismatch.
    async fn reconcile(
        &self,
        ctx: &CommandContext,
        county: &DivisionCode,
        month: payroll::Month,
        ledger: &payroll::Ledger,
    ) -> Result<payroll::Reconciliation>;

    /// 备用金对账单 a township's reserve fund from `from` to `to` (local dates, inclusive).
    async fn reserve_statement(
        &self,
        actor: &Actor,
        township: &DivisionCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<payroll::ReserveStatement>;
    // ---- supervision (监督, see [`supervision`]) -------------------------------------------
    // Supervision commands run through [`Store::execute`] as [`Command::Supervision`].

    /// 备案 township decisions filed with the county, inside the actor's scope, oldest
    /// first (the review queue with `pending_only`).
    async fn filings(&self, actor: &Actor, filter: &FilingFilter) -> Result<Vec<Filing>>;

    /// 抽查 draws of counties inside the actor's scope (optionally one county), newest
    /// first. County staff and the system operator only: township staff get an empty list
    /// (they see their own sampled cases through [`Store::spot_checks`]).
    async fn spot_check_draws(
        &self,
        actor: &Actor,
        county: Option<&DivisionCode>,
    ) -> Result<Vec<SpotCheckDraw>>;

    /// Sampled cases inside the actor's scope (a township sees only its own), optionally of
    /// one draw, in case-number order.
    async fn spot_checks(&self, actor: &Actor, draw_id: Option<i64>) -> Result<Vec<SpotCheckItem>>;

    /// 抽查意见书 sent to townships inside the actor's scope, newest first.
    async fn spot_check_feedback(&self, actor: &Actor) -> Result<Vec<SpotCheckFeedback>>;

    /// 整改 orders to townships inside the actor's scope, by due date.
    async fn rectifications(
        &self,
        actor: &Actor,
        filter: &RectificationFilter,
    ) -> Result<Vec<Rectification>>;

    /// 投诉举报 the actor's office handles (a township: those routed to it; the county: all
    /// of its county), unanswered first, then by due date.
    async fn complaints(&self, actor: &Actor, open_only: bool) -> Result<Vec<Complaint>>;

    /// Complaint counts per channel, township and answered/open, inside the actor's scope,
    /// the public form's reports included.
    async fn complaint_stats(&self, actor: &Actor) -> Result<Vec<ComplaintStat>>;

    /// 失信记录 inside the actor's scope: county administrators and supervisors (and the
    /// system operator) only; anyone else gets [`StoreError::Forbidden`].
    async fn dishonesty_records(&self, actor: &Actor) -> Result<Vec<DishonestyRecord>>;

    /// 纠正与追回 the corrections of approvals (`case.corrected`) under `within` inside the
    /// actor's scope, newest first: county and township staff (and finance) only; anyone
    /// else gets [`StoreError::Forbidden`].
    async fn corrections(
        &self,
        actor: &Actor,
        within: Option<&DivisionCode>,
    ) -> Result<Vec<CaseCorrection>>;

    /// The supervision dashboard: one row per township inside the actor's scope (under
    /// `within`) that has anything to show, for decisions of `period`, overdue as of `today`.
    async fn supervision_summary(
        &self,
        actor: &Actor,
        within: Option<&DivisionCode>,
        period: jiuzhu_domain::supervision::Month,
        today: NaiveDate,
    ) -> Result<Vec<TownshipSupervision>>;

    // ---- dynamic management (动态管理, see [`dynamic`]) ------------------------------------
    // Visits and re-checks run through [`Store::execute`] as [`Command::Dynamic`].

    /// 走访名单 the recipient households under `within` (a township or village) inside the
    /// actor's scope that receive a monthly payment in `month`, each with its visit of the
    /// month if one is recorded; by village and household.
    async fn visit_list(
        &self,
        actor: &Actor,
        within: &DivisionCode,
        month: payroll::Month,
    ) -> Result<Vec<dynamic::VisitLine>>;

    /// 复核记录 inside the actor's scope, newest first.
    async fn rechecks(
        &self,
        actor: &Actor,
        filter: &dynamic::RecheckFilter,
    ) -> Result<Vec<dynamic::Recheck>>;

    /// 复核计划 every monthly entitlement (active or suspended) under `within` inside the
    /// actor's scope with the day its next re-check is due under the county's profile, or
    /// now when a visit reported a change since the last re-check; by due date.
    async fn rechecks_due(
        &self,
        actor: &Actor,
        within: &DivisionCode,
    ) -> Result<Vec<dynamic::RecheckDue>>;
}

/// A session to open on successful login.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub digest: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}
