// The SQL implementation of `jiuzhu_store::Store`, shared by the SQLite and PostgreSQL
// backends. It is compiled into each backend crate with `include!`, after the crate has
// defined:
//   type Db                       the sqlx database type
//   const BACKEND: &str           "sqlite" or "postgres"
//   const MIGRATIONS: &[(i64, &str, &str)]   the backend's migrations (version, name, SQL)
//   async fn begin_write(&Pool<Db>) -> sqlx::Result<Transaction<'static, Db>>
//   async fn begin_write_on(&mut Db::Connection) -> sqlx::Result<Transaction<'_, Db>>
//                                 the same on a connection the caller holds
//   async fn begin_read_snapshot(&Pool<Db>) -> sqlx::Result<Transaction<'static, Db>>
//                                 a read-only transaction that sees one snapshot throughout
//   fn classify(&sqlx::Error) -> Option<StoreError>   backend-specific error codes
//   struct CopyOut, async fn copy_out(&mut Db::Connection, &str) -> sqlx::Result<Option<CopyOut>>
//                                 the chunks of a `COPY … TO STDOUT` (`CopyOut::next`);
//                                 `None` where the backend has no COPY (SQLite)
//   const WRITE_TRANSACTIONS_EXCLUSIVE: bool   true if a write transaction excludes every
//                                 other writer from its start (SQLite's BEGIN IMMEDIATE):
//                                 what it reads cannot change before it commits
// The SQL here is portable between the two: `$n` placeholders, `ON CONFLICT`, `RETURNING`,
// `LIKE` prefixes. Anything that differs lives in the backend crate.
//
// Writing the body once and compiling it twice keeps the two backends identical in
// behaviour without generic sqlx bounds on every function.

use async_trait::async_trait;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use jiuzhu_domain::case::{
    CaseState, Command as CaseCommand, CommandBody as CaseBody, Decision as CaseDecision,
    DecisionRequest, Stage,
};
use jiuzhu_domain::delegation::{Grant, Revocation};
use jiuzhu_domain::{DivisionCode, Fen, IdNumber, PersonName, Program, Relation, Role, Sex};
use jiuzhu_store::command::check_idempotency_key;
use jiuzhu_store::error::DUPLICATE_APPLICATION;
use jiuzhu_store::event::{ChainBreak, ChainVerifier, GENESIS_HASH, SYSTEM_CHAIN, event_time};
use jiuzhu_store::model::{MAX_REPORT_TEXT, check_text, check_username};
use std::sync::Arc;

use jiuzhu_store::Rules;
use jiuzhu_store::{
    Actor, CaseFact, CaseFilter, CaseSummary, Command, CommandContext, CommandOutcome, Counts,
    Division, DocumentKind, DocumentMeta, DocumentSubject, EventRecord, Executed, Household,
    HouseholdFilter, HouseholdImport, HouseholdSummary, ImportHousehold, ImportIssue, ImportMode,
    ImportProgress, ImportReport, ImportStage, IssuedDocument, Member, NewDocument, NewEvent,
    NewGrant, NewHousehold, NewMember, NewPublicReport, NewSession, NewUser, Page, PageRequest,
    PublicEntry, PublicKind, PublicReport, PublicStatus, ReportKind, Result, Scope, Session, Store,
    StoreError, User, UserCredentials, VerifyReport, policy,
};
use serde_json::{Value, json};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::types::Json;
// `AssertSqlSafe` wraps only SQL assembled from the constant column lists below.
use sqlx::{AssertSqlSafe, Pool, Row, SqlStr, Transaction};

type Tx<'c> = Transaction<'c, Db>;
type DbRow = <Db as sqlx::Database>::Row;

/// Events read per round trip while verifying.
const VERIFY_BATCH: i64 = 2000;

/// Events written per INSERT statement (12 parameters each: well below the parameter limits
/// of both backends).
const EVENT_INSERT_BATCH: usize = 100;

/// A chain's head as locked by the current transaction.
#[derive(Debug, Clone)]
struct ChainHead {
    chain: String,
    seq: i64,
    hash: String,
}

/// Longest reason (deactivation, revocation) or grant basis.
const MAX_REASON_CHARS: usize = 500;

/// The store over a connection pool for reads and one for write transactions (the same
/// pool, unless the backend gives writes their own).
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: Pool<Db>,
    writer: Pool<Db>,
    /// The profiles and calendar case commands run by; `None`: the built-in ones.
    rules: Option<Arc<Rules>>,
}

/// Maps a database error to the store's error, with backend-specific cases first.
fn db_err(e: sqlx::Error) -> StoreError {
    if let Some(mapped) = classify(&e) {
        return mapped;
    }
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(format!(
            "already exists ({})",
            d.constraint().unwrap_or("unique constraint")
        )),
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::Invalid(format!(
            "refers to a record that does not exist ({})",
            d.constraint().unwrap_or("foreign key")
        )),
        sqlx::Error::RowNotFound => StoreError::NotFound("record".to_string()),
        sqlx::Error::PoolTimedOut => {
            StoreError::Database("timed out waiting for a database connection".to_string())
        }
        sqlx::Error::Database(d) => StoreError::Database(d.message().to_string()),
        other => StoreError::Database(other.to_string()),
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("stored {what} is invalid: {e}"))
}

fn get<T>(row: &DbRow, col: &str) -> Result<T>
where
    T: for<'r> sqlx::Decode<'r, Db> + sqlx::Type<Db>,
{
    row.try_get::<T, _>(col).map_err(db_err)
}

fn division_col(row: &DbRow, col: &str) -> Result<DivisionCode> {
    let s: String = get(row, col)?;
    DivisionCode::parse(&s).map_err(|e| corrupt("division code", e))
}

fn user_from_row(row: &DbRow) -> Result<User> {
    let role: String = get(row, "role")?;
    Ok(User {
        id: get(row, "id")?,
        username: get(row, "username")?,
        display_name: get(row, "display_name")?,
        role: role.parse::<Role>().map_err(|e| corrupt("role", e))?,
        division: division_col(row, "division_code")?,
        active: get(row, "active")?,
        created_at: get(row, "created_at")?,
    })
}

fn event_from_row(row: &DbRow) -> Result<EventRecord> {
    let payload: Json<Value> = get(row, "payload")?;
    Ok(EventRecord {
        chain: get(row, "chain")?,
        seq: get(row, "seq")?,
        kind: get(row, "kind")?,
        subject: get(row, "subject")?,
        occurred_at: get(row, "occurred_at")?,
        actor: get(row, "actor")?,
        actor_role: get(row, "actor_role")?,
        actor_division: get(row, "actor_division")?,
        idempotency_key: get(row, "idempotency_key")?,
        payload: payload.0,
        prev_hash: get(row, "prev_hash")?,
        hash: get(row, "hash")?,
    })
}

fn grant_from_row(row: &DbRow) -> Result<Grant> {
    let program: String = get(row, "program")?;
    let revoked_from: Option<NaiveDate> = get(row, "revoked_from")?;
    let revoke_reason: Option<String> = get(row, "revoke_reason")?;
    Ok(Grant {
        id: get(row, "id")?,
        program: program
            .parse::<Program>()
            .map_err(|e| corrupt("program", e))?,
        township: division_col(row, "township_code")?,
        from: get(row, "valid_from")?,
        until: get(row, "valid_until")?,
        cap: get::<Option<i64>>(row, "cap_fen")?.map(Fen::new),
        basis: get(row, "basis")?,
        revoked: revoked_from.map(|effective| Revocation {
            effective,
            reason: revoke_reason.unwrap_or_default(),
        }),
    })
}

const USER_COLUMNS: &str = "id, username, display_name, role, division_code, active, created_at";
const GRANT_COLUMNS: &str = "id, program, township_code, valid_from, valid_until, cap_fen, \
     basis, revoked_from, revoke_reason";
const CASE_COLUMNS: &str = "id, number, program, township_code, village_code, household_id, \
     stage, open, version, next_due_date, next_deadline, opened_at, updated_at";
const EVENT_COLUMNS: &str = "chain, seq, kind, subject, occurred_at, actor, actor_role, \
     actor_division, idempotency_key, payload, prev_hash, hash";

/// A free text that may span lines (a report, an answer): trimmed, `\r\n` as `\n`, no
/// other control characters.
fn multiline(field: &str, text: &str) -> Result<String> {
    let text = text.trim().replace("\r\n", "\n");
    if let Some(c) = text.chars().find(|c| c.is_control() && *c != '\n') {
        return Err(StoreError::Invalid(format!(
            "{field} must not contain control characters (found U+{:04X})",
            u32::from(c)
        )));
    }
    Ok(text)
}

/// Local time (Asia/Shanghai, UTC+8 all year) of an instant.
fn local_time(at: DateTime<Utc>) -> NaiveDateTime {
    (at + chrono::Duration::hours(8)).naive_utc()
}

/// How far ahead of the server's clock a command may be dated (clocks of clients drift).
const CASE_CLOCK_SKEW_MINUTES: i64 = 10;

/// The earliest open due date of a case and the moment after which it is overdue.
fn next_due(state: &CaseState) -> (Option<NaiveDate>, Option<NaiveDateTime>) {
    if state.is_closed() {
        return (None, None);
    }
    let date = state.dues.iter().map(|d| d.due.date).min();
    let deadline = state
        .dues
        .iter()
        .map(|d| {
            d.due.at.unwrap_or_else(|| {
                d.due.date.and_time(
                    NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap_or(NaiveTime::MIN),
                )
            })
        })
        .min();
    (date, deadline)
}

fn stage_from_text(s: String) -> Result<Stage> {
    serde_json::from_value(Value::String(s)).map_err(|e| corrupt("stage", e))
}

fn stage_text(v: &Stage) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

fn case_summary_from_row(row: &DbRow) -> Result<CaseSummary> {
    let program: String = get(row, "program")?;
    Ok(CaseSummary {
        id: get(row, "id")?,
        number: get(row, "number")?,
        program: program
            .parse::<Program>()
            .map_err(|e| corrupt("program", e))?,
        township: division_col(row, "township_code")?,
        village: division_col(row, "village_code")?,
        household_id: get(row, "household_id")?,
        stage: stage_from_text(get(row, "stage")?)?,
        open: get(row, "open")?,
        version: get(row, "version")?,
        next_due_date: get(row, "next_due_date")?,
        next_deadline: get(row, "next_deadline")?,
        opened_at: get(row, "opened_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

/// The embedded migrations of this backend, in order, from its `MIGRATIONS` table of
/// (version, description, SQL). Never edit an applied migration: add a new one.
pub fn migrator() -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    std::borrow::Cow::Borrowed(description),
                    MigrationType::Simple,
                    SqlStr::from_static(sql),
                    false,
                )
            })
            .collect(),
    )
}

/// Runs the embedded migrations, refusing a database that a newer jiuzhu has migrated.
pub async fn migrate(pool: &Pool<Db>) -> Result<()> {
    let known = migrator().iter().map(|m| m.version).max().unwrap_or(0);
    // The table does not exist in a new database: that error just means version 0.
    let found: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await
        .unwrap_or(None);
    if let Some(found) = found
        && found > known
    {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    migrator().run(pool).await.map_err(|e| match e {
        sqlx::migrate::MigrateError::Execute(inner)
        | sqlx::migrate::MigrateError::ExecuteMigration(inner, _) => match db_err(inner) {
            StoreError::ReadOnly(m) => StoreError::ReadOnly(m),
            other => StoreError::Migration(other.to_string()),
        },
        sqlx::migrate::MigrateError::VersionMissing(v) => {
            StoreError::SchemaTooNew { found: v, known }
        }
        other => StoreError::Migration(other.to_string()),
    })
}

impl SqlStore {
    /// Wraps a pool whose database is already migrated.
    pub fn from_pool(pool: Pool<Db>) -> Self {
        SqlStore {
            writer: pool.clone(),
            pool,
            rules: None,
        }
    }

    /// Like [`SqlStore::from_pool`], with write transactions (commands, logins, logouts,
    /// the jurisdiction table) on `writer`. Nothing that holds a writer connection asks
    /// `writer` for another one.
    pub fn with_writer(pool: Pool<Db>, writer: Pool<Db>) -> Self {
        SqlStore {
            pool,
            writer,
            rules: None,
        }
    }

    /// Runs case commands by these profiles and calendar instead of the built-in ones.
    pub fn with_rules(mut self, rules: Arc<Rules>) -> Self {
        self.rules = Some(rules);
        self
    }

    fn rules_or_builtin(&self) -> Result<Arc<Rules>> {
        match &self.rules {
            Some(r) => Ok(r.clone()),
            None => Rules::builtin(),
        }
    }

    pub fn pool(&self) -> &Pool<Db> {
        &self.pool
    }

    async fn begin(&self) -> Result<Tx<'static>> {
        begin_write(&self.writer).await.map_err(db_err)
    }

    /// Locks a chain until the end of the caller's transaction (creating its head if the
    /// chain is new) and returns the head. One statement: the upsert takes the row lock
    /// (PostgreSQL; `DO UPDATE` locks the existing row like an UPDATE does) and the write lock
    /// (SQLite), so concurrent transactions that lock the same chain wait here. Taking it again
    /// in the same transaction is harmless.
    async fn lock_chain(tx: &mut Tx<'_>, chain: &str) -> Result<ChainHead> {
        let head = sqlx::query(
            "INSERT INTO chain_heads (chain, seq, hash) VALUES ($1, 0, $2) \
             ON CONFLICT (chain) DO UPDATE SET seq = chain_heads.seq RETURNING seq, hash",
        )
        .bind(chain)
        .bind(GENESIS_HASH)
        .fetch_one(&mut **tx)
        .await
        .map_err(db_err)?;
        Ok(ChainHead {
            chain: chain.to_string(),
            seq: get(&head, "seq")?,
            hash: get(&head, "hash")?,
        })
    }

    /// Appends events to a chain inside the caller's transaction. The chain's lock makes
    /// concurrent appenders wait, so sequence numbers never collide. `locked` is the head of
    /// a chain this transaction has already locked (and not appended to since), if any: it
    /// saves locking the same chain twice.
    async fn append(
        tx: &mut Tx<'_>,
        actor: &Actor,
        at: DateTime<Utc>,
        idempotency_key: &str,
        chain: &str,
        events: Vec<NewEvent>,
        locked: Option<ChainHead>,
    ) -> Result<()> {
        let head = match locked {
            Some(head) if head.chain == chain => head,
            _ => Self::lock_chain(tx, chain).await?,
        };
        let (mut seq, mut prev) = (head.seq, head.hash);
        let occurred_at = event_time(at);
        let mut records = Vec::with_capacity(events.len());
        for e in events {
            seq += 1;
            let mut rec = EventRecord {
                chain: chain.to_string(),
                seq,
                kind: e.kind,
                subject: e.subject,
                occurred_at,
                actor: actor.audit_name(),
                actor_role: actor.audit_role().to_string(),
                actor_division: actor.audit_division(),
                idempotency_key: idempotency_key.to_string(),
                payload: e.payload,
                prev_hash: prev,
                hash: String::new(),
            };
            rec.hash = rec.compute_hash();
            prev = rec.hash.clone();
            records.push(rec);
        }
        // One INSERT per batch of rows instead of one per event: a round trip each.
        for batch in records.chunks(EVENT_INSERT_BATCH) {
            let mut sql = String::from(
                "INSERT INTO events (chain, seq, kind, subject, occurred_at, actor, actor_role, \
                 actor_division, idempotency_key, payload, prev_hash, hash) VALUES ",
            );
            for i in 0..batch.len() {
                let b = i * 12;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for c in 1..=12 {
                    if c > 1 {
                        sql.push_str(", ");
                    }
                    sql.push('$');
                    sql.push_str(&(b + c).to_string());
                }
                sql.push(')');
            }
            // Only placeholders are assembled here; every value is bound.
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for rec in batch {
                q = q
                    .bind(&rec.chain)
                    .bind(rec.seq)
                    .bind(&rec.kind)
                    .bind(&rec.subject)
                    .bind(rec.occurred_at)
                    .bind(&rec.actor)
                    .bind(&rec.actor_role)
                    .bind(&rec.actor_division)
                    .bind(&rec.idempotency_key)
                    .bind(Json(&rec.payload))
                    .bind(&rec.prev_hash)
                    .bind(&rec.hash);
            }
            q.execute(&mut **tx).await.map_err(db_err)?;
        }
        sqlx::query("UPDATE chain_heads SET seq = $2, hash = $3 WHERE chain = $1")
            .bind(chain)
            .bind(seq)
            .bind(&prev)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// Ends every session and API token of an account (password change, deactivation).
    async fn end_sessions_and_tokens(tx: &mut Tx<'_>, user_id: i64) -> Result<()> {
        for sql in [
            "DELETE FROM sessions WHERE user_id = $1",
            "DELETE FROM api_tokens WHERE user_id = $1",
        ] {
            sqlx::query(sql)
                .bind(user_id)
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }

    /// The next value of a counter (1 for a new counter), in one statement.
    async fn next_id(tx: &mut Tx<'_>, counter: &str) -> Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO counters (name, value) VALUES ($1, 1) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
        )
        .bind(counter)
        .fetch_one(&mut **tx)
        .await
        .map_err(db_err)
    }

    /// The stored outcome of an earlier command with this key, if any.
    async fn replay<'e, E>(exec: E, key: &str, fingerprint: &str) -> Result<Option<Executed>>
    where
        E: sqlx::Executor<'e, Database = Db>,
    {
        let row =
            sqlx::query("SELECT fingerprint, outcome FROM commands WHERE idempotency_key = $1")
                .bind(key)
                .fetch_optional(exec)
                .await
                .map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        let stored: String = get(&row, "fingerprint")?;
        if stored != fingerprint {
            return Err(StoreError::IdempotencyKeyReused);
        }
        let outcome: Json<CommandOutcome> = get(&row, "outcome")?;
        Ok(Some(Executed {
            outcome: outcome.0,
            replayed: true,
        }))
    }

    async fn user_in_tx(tx: &mut Tx<'_>, id: i64) -> Result<User> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?
        .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
        user_from_row(&row)
    }

    async fn division_exists(tx: &mut Tx<'_>, code: &DivisionCode) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM divisions WHERE code = $1")
            .bind(code.as_str())
            .fetch_one(&mut **tx)
            .await
            .map_err(db_err)?;
        Ok(n > 0)
    }

    /// Runs a command inside the caller's transaction; returns its chain, outcome and
    /// events. A command that has locked its chain already leaves the head in `locked`.
    async fn run_command(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        rules: &Rules,
        command: Command,
        locked: &mut Option<ChainHead>,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        match command {
            Command::CreateUser(new) => Self::create_user(tx, ctx, new).await,
            Command::SetUserActive {
                user_id,
                active,
                reason,
            } => {
                let target = Self::user_in_tx(tx, user_id).await?;
                policy::manage_user(&ctx.actor, &target)?;
                let reason = reason.trim().to_string();
                check_text("reason", &reason, MAX_REASON_CHARS)?;
                if !active && reason.is_empty() {
                    return Err(StoreError::Invalid(
                        "give a reason for deactivating an account".to_string(),
                    ));
                }
                if let Actor::User(me) = &ctx.actor
                    && me.id == user_id
                    && !active
                {
                    return Err(StoreError::Invalid(
                        "you cannot deactivate your own account".to_string(),
                    ));
                }
                sqlx::query("UPDATE users SET active = $2 WHERE id = $1")
                    .bind(user_id)
                    .bind(active)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                if !active {
                    // Deactivation ends the account's sessions and API tokens for good: a
                    // later reactivation does not bring them back.
                    Self::end_sessions_and_tokens(tx, user_id).await?;
                }
                let kind = if active {
                    "account.user_reactivated"
                } else {
                    "account.user_deactivated"
                };
                Ok((
                    target.division.county_prefix().to_string(),
                    CommandOutcome::UserUpdated { user_id },
                    vec![NewEvent::new(
                        kind,
                        format!("user:{user_id}"),
                        json!({ "user_id": user_id, "username": target.username, "reason": reason }),
                    )],
                ))
            }
            Command::SetPassword {
                user_id,
                password_hash,
            } => {
                let target = Self::user_in_tx(tx, user_id).await?;
                policy::own_or_manage(&ctx.actor, &target)?;
                sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                    .bind(user_id)
                    .bind(&password_hash)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                // A changed password ends every open session and API token of the account.
                Self::end_sessions_and_tokens(tx, user_id).await?;
                Ok((
                    target.division.county_prefix().to_string(),
                    CommandOutcome::UserUpdated { user_id },
                    vec![NewEvent::new(
                        "account.password_changed",
                        format!("user:{user_id}"),
                        json!({ "user_id": user_id, "username": target.username }),
                    )],
                ))
            }
            Command::IssueApiToken {
                user_id,
                label,
                token_digest,
                expires_at,
            } => {
                let target = Self::user_in_tx(tx, user_id).await?;
                policy::own_or_manage(&ctx.actor, &target)?;
                if !target.active {
                    return Err(StoreError::Invalid(
                        "the account is deactivated".to_string(),
                    ));
                }
                let label = label.trim().to_string();
                if label.is_empty() {
                    return Err(StoreError::Invalid(
                        "token label must be 1 to 64 characters".to_string(),
                    ));
                }
                check_text("token label", &label, 64)?;
                sqlx::query(
                    "INSERT INTO api_tokens (digest, user_id, label, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&token_digest)
                .bind(user_id)
                .bind(&label)
                .bind(ctx.now)
                .bind(expires_at)
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
                Ok((
                    target.division.county_prefix().to_string(),
                    CommandOutcome::TokenIssued { user_id },
                    vec![NewEvent::new(
                        "account.token_issued",
                        format!("user:{user_id}"),
                        json!({ "user_id": user_id, "label": label, "expires_at": expires_at }),
                    )],
                ))
            }
            Command::RegisterHousehold(h) => Self::register_household(tx, ctx, h).await,
            Command::GrantDelegation(g) => Self::grant_delegation(tx, ctx, g).await,
            Command::RevokeDelegation {
                grant_id,
                effective,
                reason,
            } => Self::revoke_delegation(tx, ctx, grant_id, effective, reason).await,
            Command::Case {
                case_id,
                case_command,
            } => Self::case_command(tx, ctx, rules, case_id, case_command, locked).await,
            Command::SubmitPublicReport(r) => Self::submit_public_report(tx, ctx, rules, r).await,
            Command::AnswerPublicReport { report_id, answer } => {
                Self::answer_public_report(tx, ctx, report_id, answer).await
            }
            Command::ViewIdNumbers {
                household_id,
                reason,
            } => Self::view_id_numbers(tx, ctx, household_id, reason).await,
            // 资金发放: sql/payroll.rs.
            payroll @ (Command::ChangeEntitlement { .. }
            | Command::SetBankAccount { .. }
            | Command::GenerateRosters { .. }
            | Command::SettleRosters { .. }
            | Command::SubmitRosters { .. }
            | Command::ImportBankReturns { .. }
            | Command::ReserveMovement(_)) => {
                Self::payroll_command(tx, ctx, rules, payroll, locked).await
            }
            Command::Supervision(c) => Self::supervision_command(tx, ctx, rules, c, locked).await,
            // 动态管理: sql/dynamic.rs.
            Command::Dynamic(c) => Self::dynamic_command(tx, ctx, rules, c, locked).await,
        }
    }

    /// Runs one command of the case engine inside the caller's transaction: loads the case
    /// (after locking its county's chain, so that commands on one case serialize on both
    /// backends), asks `decide` under the county's profile, the calendar and, for a
    /// decision, the authority the stored grants give; applies the events and writes the
    /// projection. The events go to the county's chain as `case:{id}`.
    async fn case_command(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        rules: &Rules,
        case_id: Option<i64>,
        mut command: CaseCommand,
        locked: &mut Option<ChainHead>,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        let Actor::User(user) = &ctx.actor else {
            return Err(StoreError::Forbidden(
                "case commands are run by user accounts, not by the system operator".to_string(),
            ));
        };
        let actor = jiuzhu_domain::case::Actor {
            user_id: user.id,
            role: user.role,
            division: user.division.clone(),
        };
        let scope = ctx.actor.scope();
        if command.at > local_time(ctx.now) + chrono::Duration::minutes(CASE_CLOCK_SKEW_MINUTES) {
            return Err(StoreError::Invalid(format!(
                "the command is dated {}, later than now",
                command.at
            )));
        }
        let (county, state) = match case_id {
            Some(id) => {
                // Where write transactions exclude each other, the state read now is the
                // state under the chain's lock; elsewhere it is read again after locking.
                let sql = if WRITE_TRANSACTIONS_EXCLUSIVE {
                    "SELECT county_code, village_code, state FROM cases WHERE id = $1"
                } else {
                    "SELECT county_code, village_code FROM cases WHERE id = $1"
                };
                let row = sqlx::query(sql)
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db_err)?
                    .ok_or_else(|| StoreError::NotFound(format!("case {id}")))?;
                if !scope.contains(&division_col(&row, "village_code")?) {
                    return Err(StoreError::NotFound(format!("case {id}")));
                }
                let county: String = get(&row, "county_code")?;
                *locked = Some(Self::lock_chain(tx, &county).await?);
                let state: Json<CaseState> = if WRITE_TRANSACTIONS_EXCLUSIVE {
                    get(&row, "state")?
                } else {
                    sqlx::query_scalar("SELECT state FROM cases WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut **tx)
                        .await
                        .map_err(db_err)?
                };
                (county, Some(state.0))
            }
            None => {
                let new = match &mut command.body {
                    CaseBody::Apply { case, .. }
                    | CaseBody::RequestPreCheck { case, .. }
                    | CaseBody::ReportEmergency { case, .. } => case,
                    other => {
                        return Err(jiuzhu_domain::case::CaseError::NoCase {
                            command: other.kind(),
                        }
                        .into());
                    }
                };
                let hid = new.household_id;
                let village: String = sqlx::query_scalar(
                    "SELECT division_code FROM households WHERE id = $1 AND division_code LIKE $2",
                )
                .bind(hid)
                .bind(scope.like_pattern())
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_err)?
                .ok_or_else(|| StoreError::NotFound(format!("household {hid}")))?;
                if village != new.village.as_str() {
                    return Err(StoreError::Invalid(format!(
                        "household {hid} is registered in {village}, not in {}",
                        new.village
                    )));
                }
                let county = new.village.county_prefix().to_string();
                *locked = Some(Self::lock_chain(tx, &county).await?);
                let open: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM cases WHERE household_id = $1 AND program = $2 AND open",
                )
                .bind(hid)
                .bind(new.program.as_str())
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_err)?;
                if let Some(existing) = open {
                    return Err(StoreError::Case {
                        code: DUPLICATE_APPLICATION,
                        message: format!(
                            "household {hid} already has open {} case {existing}",
                            new.program
                        ),
                        message_zh: format!(
                            "该家庭已有正在办理的{}案件(案件{existing})，不能重复申请",
                            new.program.name_zh()
                        ),
                    });
                }
                let year = command.at.year();
                new.case_id = Self::next_id(tx, "case").await?;
                let seq = Self::next_id(tx, &format!("case:{county}:{year}")).await?;
                new.number = format!("{county}-{year}-{seq:06}");
                (county, None)
            }
        };
        let county_code = DivisionCode::parse(&county).map_err(|e| corrupt("county code", e))?;
        let profile = rules.profiles.profile_for(&county_code).ok_or_else(|| {
            StoreError::Invalid(format!("no procedure profile governs county {county}"))
        })?;
        // The authority for an amount: a decision's (which the profile's standards give) and
        // emergency help's. At another stage the engine refuses the command for its stage.
        let amount = match (&state, &command.body) {
            (Some(s), CaseBody::Decide { decision }) if s.stage == Stage::Decision => {
                Some(match decision {
                    DecisionRequest::Approve { basis, .. } => {
                        jiuzhu_domain::case::approval_calculation(s, profile, basis)?.amount
                    }
                    DecisionRequest::Refuse { .. } => Fen::ZERO,
                })
            }
            (Some(s), CaseBody::GiveEmergencyHelp { amount, .. })
                if s.stage == Stage::EmergencyHelp =>
            {
                Some(*amount)
            }
            _ => None,
        };
        let authority = match (&state, amount) {
            (Some(s), Some(amount)) => {
                let grants = Self::grants_in_tx(tx, &s.header.township, s.header.program).await?;
                Some(
                    jiuzhu_domain::delegation::authority(
                        &grants,
                        s.header.program,
                        &s.header.township,
                        command.at.date(),
                        Some(amount),
                    )
                    .map_err(|e| StoreError::Invalid(e.to_string()))?,
                )
            }
            _ => None,
        };
        let dctx = jiuzhu_domain::case::Ctx {
            actor: &actor,
            profile,
            calendar: &rules.calendar,
            authority: authority.as_ref(),
        };
        let events = jiuzhu_domain::case::decide(state.as_ref(), &command, &dctx)
            .map_err(|e| StoreError::case_refusal(e, authority.as_ref()))?;
        let old_version = state.as_ref().map(|s| s.version);
        let mut next = state;
        for e in &events {
            next = jiuzhu_domain::case::apply(next, e);
        }
        let next = next
            .ok_or_else(|| StoreError::Database("the case engine recorded no case".to_string()))?;
        let h = &next.header;
        let id = h.case_id;
        let (due_date, deadline) = next_due(&next);
        let stage = stage_text(&next.stage);
        match old_version {
            None => {
                sqlx::query(
                    "INSERT INTO cases (county_code, id, number, program, township_code, \
                     village_code, household_id, stage, open, version, state, next_due_date, \
                     next_deadline, opened_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)",
                )
                .bind(&county)
                .bind(id)
                .bind(&h.number)
                .bind(h.program.as_str())
                .bind(h.township.as_str())
                .bind(h.village.as_str())
                .bind(h.household_id)
                .bind(&stage)
                .bind(!next.is_closed())
                .bind(next.version as i64)
                .bind(Json(&next))
                .bind(due_date)
                .bind(deadline)
                .bind(ctx.now)
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
            }
            Some(old) => {
                let updated = sqlx::query(
                    "UPDATE cases SET stage = $3, open = $4, version = $5, state = $6, \
                     next_due_date = $7, next_deadline = $8, updated_at = $9 \
                     WHERE id = $1 AND version = $2",
                )
                .bind(id)
                .bind(old as i64)
                .bind(&stage)
                .bind(!next.is_closed())
                .bind(next.version as i64)
                .bind(Json(&next))
                .bind(due_date)
                .bind(deadline)
                .bind(ctx.now)
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
                if updated.rows_affected() != 1 {
                    return Err(StoreError::Conflict(format!(
                        "case {id} was changed by another command; reload it and try again"
                    )));
                }
            }
        }
        // An approval writes the household's entitlement (sql/payroll.rs).
        let entitlement_events =
            Self::entitlement_on_decision(tx, ctx, &county, &next, &events).await?;
        let mut names = Vec::with_capacity(events.len());
        let mut new_events = Vec::with_capacity(events.len() + entitlement_events.len());
        let mut filed = Vec::new();
        for e in &events {
            names.push(e.body.name().to_string());
            let payload = serde_json::to_value(e).map_err(|e| corrupt("case event", e))?;
            new_events.push(NewEvent::new(e.body.name(), format!("case:{id}"), payload));
            // 备案: a township's decision is filed with the county in this transaction.
            if let Some(f) = Self::file_township_decision(tx, &county, &next, e, ctx.now).await? {
                filed.push(f);
            }
            // 纠正: the entitlement and the overpayment (sql/correction.rs).
            filed.extend(Self::record_correction(tx, ctx, &county, &next, e).await?);
        }
        new_events.extend(entitlement_events);
        new_events.extend(filed);
        Ok((
            county,
            CommandOutcome::CaseRecorded {
                case_id: id,
                number: h.number.clone(),
                version: next.version,
                stage: next.stage,
                events: names,
            },
            new_events,
        ))
    }

    /// Case lists: the SQL after `WHERE` shares the scope ($1) and the optional `within`
    /// prefix ($2); `extra` adds conditions on further parameters.
    fn case_list_sql(extra: &str, order: &str) -> String {
        format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE village_code LIKE $1 AND village_code LIKE $2 \
             {extra} ORDER BY {order}"
        )
    }

    async fn create_user(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        new: NewUser,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        check_username(&new.username).map_err(StoreError::Invalid)?;
        let display_name = new.display_name.trim().to_string();
        if display_name.is_empty() {
            return Err(StoreError::Invalid(
                "display name must be 1 to 64 characters".to_string(),
            ));
        }
        check_text("display_name", &display_name, 64)?;
        policy::create_user(&ctx.actor, &new)?;
        if !Self::division_exists(tx, &new.division).await? {
            return Err(StoreError::Invalid(format!(
                "division {} is not in the jurisdiction table; load it first",
                new.division
            )));
        }
        let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username = $1")
            .bind(&new.username)
            .fetch_one(&mut **tx)
            .await
            .map_err(db_err)?;
        if taken > 0 {
            return Err(StoreError::UsernameTaken(new.username));
        }
        let id = Self::next_id(tx, "user").await?;
        sqlx::query(
            "INSERT INTO users (county_code, id, username, display_name, role, division_code, \
             password_hash, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(new.division.county_prefix())
        .bind(id)
        .bind(&new.username)
        .bind(&display_name)
        .bind(new.role.as_str())
        .bind(new.division.as_str())
        .bind(&new.password_hash)
        .bind(true)
        .bind(ctx.now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        Ok((
            new.division.county_prefix().to_string(),
            CommandOutcome::UserCreated { user_id: id },
            vec![NewEvent::new(
                "account.user_created",
                format!("user:{id}"),
                json!({
                    "user_id": id,
                    "username": new.username,
                    "display_name": display_name,
                    "role": new.role,
                    "division": new.division,
                }),
            )],
        ))
    }

    /// 异议/举报 from the public form: stored with its answer deadline; the event carries
    /// the content's SHA-256 and length, not the text (it may name people) nor the contact.
    async fn submit_public_report(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        rules: &Rules,
        r: NewPublicReport,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        policy::submit_public_report(&ctx.actor)?;
        let content = multiline("content", &r.content)?;
        let content = content.as_str();
        if content.is_empty() {
            return Err(StoreError::Invalid("the report is empty".to_string()));
        }
        if content.chars().count() > MAX_REPORT_TEXT {
            return Err(StoreError::Invalid(format!(
                "the report is longer than {MAX_REPORT_TEXT} characters"
            )));
        }
        let contact = r
            .contact
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| c.chars().take(100).collect::<String>());
        let township = match r.division.level() {
            jiuzhu_domain::DivisionLevel::Township => r.division.clone(),
            jiuzhu_domain::DivisionLevel::Village => r
                .division
                .parent()
                .ok_or_else(|| StoreError::Invalid(format!("{} has no township", r.division)))?,
            _ => {
                return Err(StoreError::Invalid(format!(
                    "{} is not a township or village",
                    r.division
                )));
            }
        };
        if !Self::division_exists(tx, &r.division).await? {
            return Err(StoreError::Invalid(format!(
                "{} is not in the jurisdiction table",
                r.division
            )));
        }
        let county = r.division.county_prefix().to_string();
        let county_code = DivisionCode::parse(&county).map_err(|e| corrupt("county code", e))?;
        let period = rules
            .profiles
            .profile_for(&county_code)
            .map(|p| p.supervision.report_answer)
            .ok_or_else(|| {
                StoreError::Invalid(format!("no procedure profile governs county {county}"))
            })?;
        let due = jiuzhu_domain::deadline::due(local_time(ctx.now), period, &rules.calendar)
            .map_err(|e| StoreError::Invalid(format!("the answer deadline: {e}")))?
            .date;
        let case_number = r
            .case_number
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| n.chars().take(32).collect::<String>());
        let id = Self::next_id(tx, "public_report").await?;
        sqlx::query(
            "INSERT INTO public_reports (county_code, id, township_code, division_code, kind, \
             case_number, content, contact, submitted_at, due_date) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&county)
        .bind(id)
        .bind(township.as_str())
        .bind(r.division.as_str())
        .bind(r.kind.as_str())
        .bind(&case_number)
        .bind(content)
        .bind(&contact)
        .bind(ctx.now)
        .bind(due)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        let digest = jiuzhu_store::event::sha256_hex(content.as_bytes());
        Ok((
            county,
            CommandOutcome::ReportSubmitted {
                report_id: id,
                due_date: due,
            },
            vec![NewEvent::new(
                "report.submitted",
                format!("report:{id}"),
                json!({
                    "kind": r.kind,
                    "division": r.division,
                    "township": township,
                    "case_number": case_number,
                    "content_sha256": digest,
                    "content_chars": content.chars().count(),
                    "due_date": due,
                }),
            )],
        ))
    }

    async fn answer_public_report(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        report_id: i64,
        answer: String,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        let row = sqlx::query(
            "SELECT county_code, township_code, answer FROM public_reports WHERE id = $1",
        )
        .bind(report_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?
        .ok_or_else(|| StoreError::NotFound(format!("report {report_id}")))?;
        let township = division_col(&row, "township_code")?;
        if !ctx.actor.scope().contains(&township) {
            return Err(StoreError::NotFound(format!("report {report_id}")));
        }
        policy::answer_public_report(&ctx.actor, &township)?;
        let existing: Option<String> = get(&row, "answer")?;
        if existing.is_some() {
            return Err(StoreError::Conflict(format!(
                "report {report_id} is already answered"
            )));
        }
        let answer = multiline("answer", &answer)?;
        let answer = answer.as_str();
        if answer.is_empty() || answer.chars().count() > MAX_REPORT_TEXT {
            return Err(StoreError::Invalid(format!(
                "the answer must have 1 to {MAX_REPORT_TEXT} characters"
            )));
        }
        let Actor::User(user) = &ctx.actor else {
            return Err(StoreError::Forbidden(
                "a report is answered by a person".to_string(),
            ));
        };
        sqlx::query(
            "UPDATE public_reports SET answer = $2, answered_by = $3, answered_at = $4 \
             WHERE id = $1 AND answer IS NULL",
        )
        .bind(report_id)
        .bind(answer)
        .bind(user.id)
        .bind(ctx.now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        let county: String = get(&row, "county_code")?;
        let digest = jiuzhu_store::event::sha256_hex(answer.as_bytes());
        Ok((
            county,
            CommandOutcome::ReportAnswered { report_id },
            vec![NewEvent::new(
                "report.answered",
                format!("report:{report_id}"),
                json!({ "answer_sha256": digest, "answer_chars": answer.chars().count() }),
            )],
        ))
    }

    /// Records that a staff member looked at a household's full identity numbers, and why.
    async fn view_id_numbers(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        household_id: i64,
        reason: String,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        let division: Option<String> =
            sqlx::query_scalar("SELECT division_code FROM households WHERE id = $1")
                .bind(household_id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_err)?;
        let division = division
            .and_then(|d| DivisionCode::parse(&d).ok())
            .filter(|d| ctx.actor.scope().contains(d))
            .ok_or_else(|| StoreError::NotFound(format!("household {household_id}")))?;
        match &ctx.actor {
            Actor::User(u) if u.role.may_view_id_numbers() => {}
            _ => {
                return Err(StoreError::Forbidden(
                    "your role does not need full identity numbers".to_string(),
                ));
            }
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid(
                "give the reason for viewing".to_string(),
            ));
        }
        check_text("reason", reason, 200)?;
        Ok((
            division.county_prefix().to_string(),
            CommandOutcome::IdNumbersViewed { household_id },
            vec![NewEvent::new(
                "household.id_numbers_viewed",
                format!("household:{household_id}"),
                json!({ "reason": reason }),
            )],
        ))
    }

    async fn register_household(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        h: NewHousehold,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        h.check()?;
        policy::register_household(&ctx.actor, &h.division)?;
        if !Self::division_exists(tx, &h.division).await? {
            return Err(StoreError::Invalid(format!(
                "village {} is not in the jurisdiction table",
                h.division
            )));
        }
        for (i, m) in h.members.iter().enumerate() {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE id_number = $1")
                .bind(m.id_number.as_str())
                .fetch_one(&mut **tx)
                .await
                .map_err(db_err)?;
            if n > 0 {
                return Err(StoreError::IdNumberRegistered {
                    member: i + 1,
                    masked: m.id_number.masked(),
                });
            }
        }
        let county = h.division.county_prefix().to_string();
        let id = Self::next_id(tx, "household").await?;
        sqlx::query(
            "INSERT INTO households (county_code, id, division_code, address, demo, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&county)
        .bind(id)
        .bind(h.division.as_str())
        .bind(h.address.trim())
        .bind(h.demo)
        .bind(ctx.now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        for (seq, m) in (1_i32..).zip(&h.members) {
            sqlx::query(
                "INSERT INTO members (county_code, household_id, seq, name, id_number, relation, \
                 sex, birth_date) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&county)
            .bind(id)
            .bind(seq)
            .bind(m.name.as_str())
            .bind(m.id_number.as_str())
            .bind(m.relation.as_str())
            .bind(sex_str(m.id_number.sex()))
            .bind(m.id_number.birth_date())
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
        }
        let payload = json!({
            "household_id": id,
            "division": h.division,
            "address": h.address.trim(),
            "demo": h.demo,
            "members": h.members,
        });
        Ok((
            county,
            CommandOutcome::HouseholdRegistered { household_id: id },
            vec![NewEvent::new(
                "household.registered",
                format!("household:{id}"),
                payload,
            )],
        ))
    }

    async fn grants_in_tx(
        tx: &mut Tx<'_>,
        township: &DivisionCode,
        program: Program,
    ) -> Result<Vec<Grant>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {GRANT_COLUMNS} FROM delegation_grants WHERE township_code = $1 AND program = $2"
        )))
        .bind(township.as_str())
        .bind(program.as_str())
        .fetch_all(&mut **tx)
        .await
        .map_err(db_err)?;
        rows.iter().map(grant_from_row).collect()
    }

    async fn grant_delegation(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        new: NewGrant,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        let mut grant = new.to_grant();
        grant
            .check()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        check_text("basis", &grant.basis, MAX_REASON_CHARS)?;
        policy::manage_delegation(&ctx.actor, &grant.township)?;
        let county = grant.township.county_prefix().to_string();
        // Lock the county's chain before looking for overlaps: two concurrent grants of one
        // program to one township are serialized here, and the second sees the first.
        Self::lock_chain(tx, &county).await?;
        if !Self::division_exists(tx, &grant.township).await? {
            return Err(StoreError::Invalid(format!(
                "township {} is not in the jurisdiction table",
                grant.township
            )));
        }
        if let Some(existing) = Self::grants_in_tx(tx, &grant.township, grant.program)
            .await?
            .into_iter()
            .find(|g| g.overlaps(&grant))
        {
            return Err(StoreError::Conflict(format!(
                "grant {} already gives {} to {} from {}; revoke it or start after it ends",
                existing.id, grant.program, grant.township, existing.from
            )));
        }
        grant.id = Self::next_id(tx, "grant").await?;
        sqlx::query(
            "INSERT INTO delegation_grants (county_code, id, program, township_code, valid_from, \
             valid_until, cap_fen, basis, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&county)
        .bind(grant.id)
        .bind(grant.program.as_str())
        .bind(grant.township.as_str())
        .bind(grant.from)
        .bind(grant.until)
        .bind(grant.cap.map(|c| c.fen()))
        .bind(&grant.basis)
        .bind(ctx.now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        Ok((
            county,
            CommandOutcome::DelegationGranted { grant_id: grant.id },
            vec![NewEvent::new(
                "delegation.granted",
                format!("grant:{}", grant.id),
                json!({
                    "grant_id": grant.id,
                    "program": grant.program,
                    "township": grant.township,
                    "from": grant.from,
                    "until": grant.until,
                    "cap_fen": grant.cap,
                    "basis": grant.basis,
                }),
            )],
        ))
    }

    async fn revoke_delegation(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        grant_id: i64,
        effective: NaiveDate,
        reason: String,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {GRANT_COLUMNS} FROM delegation_grants WHERE id = $1"
        )))
        .bind(grant_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?
        .ok_or_else(|| StoreError::NotFound(format!("grant {grant_id}")))?;
        let grant = grant_from_row(&row)?;
        // Outside the actor's jurisdiction a grant is "not found", like everything else.
        if !ctx.actor.scope().contains(&grant.township) {
            return Err(StoreError::NotFound(format!("grant {grant_id}")));
        }
        policy::manage_delegation(&ctx.actor, &grant.township)?;
        let reason = reason.trim().to_string();
        if reason.is_empty() {
            return Err(StoreError::Invalid(
                "give the reason for the revocation".to_string(),
            ));
        }
        check_text("reason", &reason, MAX_REASON_CHARS)?;
        // Serialize with other grants and revocations in the county, then revoke only a grant
        // that is still unrevoked: of two concurrent revocations exactly one succeeds.
        Self::lock_chain(tx, grant.township.county_prefix()).await?;
        let revoked = sqlx::query(
            "UPDATE delegation_grants SET revoked_from = $2, revoke_reason = $3 \
             WHERE id = $1 AND revoked_from IS NULL",
        )
        .bind(grant_id)
        .bind(effective)
        .bind(&reason)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        if revoked.rows_affected() == 0 {
            let effective: Option<NaiveDate> =
                sqlx::query_scalar("SELECT revoked_from FROM delegation_grants WHERE id = $1")
                    .bind(grant_id)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(db_err)?;
            return Err(StoreError::Conflict(match effective {
                Some(d) => format!("grant {grant_id} was already revoked from {d}"),
                None => format!("grant {grant_id} was already revoked"),
            }));
        }
        Ok((
            grant.township.county_prefix().to_string(),
            CommandOutcome::DelegationRevoked { grant_id },
            vec![NewEvent::new(
                "delegation.revoked",
                format!("grant:{grant_id}"),
                json!({ "grant_id": grant_id, "effective": effective, "reason": reason }),
            )],
        ))
    }

    async fn members(&self, household_id: i64) -> Result<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT seq, name, id_number, relation, birth_date, sex FROM members \
             WHERE household_id = $1 ORDER BY seq",
        )
        .bind(household_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let name: String = get(r, "name")?;
                let id: String = get(r, "id_number")?;
                let relation: String = get(r, "relation")?;
                let sex: String = get(r, "sex")?;
                Ok(Member {
                    seq: get(r, "seq")?,
                    name: PersonName::parse(&name).map_err(|e| corrupt("name", e))?,
                    id_number: IdNumber::parse(&id).map_err(|e| corrupt("ID number", e))?,
                    relation: relation
                        .parse::<Relation>()
                        .map_err(|e| corrupt("relation", e))?,
                    sex: if sex == "male" {
                        Sex::Male
                    } else {
                        Sex::Female
                    },
                    birth_date: get::<NaiveDate>(r, "birth_date")?,
                })
            })
            .collect()
    }

    async fn count(&self, sql: &'static str, pattern: &str) -> Result<i64> {
        sqlx::query_scalar(sql)
            .bind(pattern)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)
    }

    /// Walks one chain inside the verification's snapshot. `commands` is the number of
    /// commands the command log records for this chain: each appended at least one event.
    async fn verify_one(
        tx: &mut Tx<'_>,
        chain: &str,
        commands: i64,
        report: &mut VerifyReport,
    ) -> Result<Option<ChainBreak>> {
        let mut verifier = ChainVerifier::new(chain);
        // Start below every possible sequence number: a forged event numbered 0 or less is
        // read, and reported as a gap, instead of being skipped.
        let mut after: Option<i64> = None;
        let mut walked = 0_i64;
        loop {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE chain = $1 AND seq {} $2 \
                 ORDER BY seq LIMIT $3",
                if after.is_some() { ">" } else { ">=" }
            )))
            .bind(chain)
            .bind(after.unwrap_or(i64::MIN))
            .bind(VERIFY_BATCH)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_err)?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let e = event_from_row(row)?;
                after = Some(e.seq);
                report.events += 1;
                walked += 1;
                if let Err(b) = verifier.check(&e) {
                    return Ok(Some(b));
                }
            }
        }
        let head = sqlx::query("SELECT seq, hash FROM chain_heads WHERE chain = $1")
            .bind(chain)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_err)?;
        let Some(head) = head else {
            let reason = if walked == 0 {
                format!(
                    "events of chain {chain} are missing: {commands} commands were recorded \
                     for it, but it has no events and no chain head"
                )
            } else {
                "events exist for a chain without a recorded head".to_string()
            };
            return Ok(Some(ChainBreak {
                chain: chain.to_string(),
                seq: walked + 1,
                reason,
            }));
        };
        if let Err(b) = verifier.finish(get(&head, "seq")?, &get::<String>(&head, "hash")?) {
            return Ok(Some(b));
        }
        if commands > walked {
            return Ok(Some(ChainBreak {
                chain: chain.to_string(),
                seq: walked + 1,
                reason: format!(
                    "events of chain {chain} are missing: {commands} commands were recorded \
                     for it, but it has only {walked} events"
                ),
            }));
        }
        Ok(None)
    }
}

fn sex_str(s: Sex) -> &'static str {
    match s {
        Sex::Male => "male",
        Sex::Female => "female",
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn rules(&self) -> Result<Arc<Rules>> {
        self.rules_or_builtin()
    }

    async fn schema_version(&self) -> Result<i64> {
        sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MAX(version) FROM _sqlx_migrations WHERE success",
        )
        .fetch_one(&self.pool)
        .await
        .map(|v| v.unwrap_or(0))
        .map_err(db_err)
    }

    async fn load_divisions(&self, ctx: &CommandContext, rows: &[Division]) -> Result<u64> {
        if !matches!(ctx.actor, Actor::System { .. }) {
            return Err(StoreError::Forbidden(
                "only the system operator loads the jurisdiction table".to_string(),
            ));
        }
        let mut tx = self.begin().await?;
        let mut changed = 0_u64;
        for d in rows {
            let r = sqlx::query(
                "INSERT INTO divisions (code, parent_code, level, name, note) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, note = excluded.note \
                 WHERE divisions.name <> excluded.name OR divisions.note <> excluded.note",
            )
            .bind(d.code.as_str())
            .bind(d.parent().map(|p| p.to_string()))
            .bind(d.level().name_zh())
            .bind(&d.name)
            .bind(&d.note)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            changed += r.rows_affected();
        }
        if changed > 0 {
            let key = format!("divisions:{}", ctx.idempotency_key);
            Self::append(
                &mut tx,
                &ctx.actor,
                ctx.now,
                &key,
                SYSTEM_CHAIN,
                vec![NewEvent::new(
                    "division.loaded",
                    "divisions",
                    json!({ "rows": rows.len(), "changed": changed }),
                )],
                None,
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(changed)
    }

    async fn division(&self, code: &DivisionCode) -> Result<Option<Division>> {
        let row = sqlx::query("SELECT code, name, note FROM divisions WHERE code = $1")
            .bind(code.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| {
            Ok(Division {
                code: division_col(&r, "code")?,
                name: get(&r, "name")?,
                note: get(&r, "note")?,
            })
        })
        .transpose()
    }

    async fn divisions(
        &self,
        actor: &Actor,
        parent: Option<&DivisionCode>,
    ) -> Result<Vec<Division>> {
        let rows = match parent {
            Some(p) => sqlx::query(
                "SELECT code, name, note FROM divisions WHERE code LIKE $1 AND parent_code = $2 \
                     ORDER BY code",
            )
            .bind(actor.scope().like_pattern())
            .bind(p.as_str())
            .fetch_all(&self.pool)
            .await,
            None => {
                sqlx::query(
                    "SELECT code, name, note FROM divisions WHERE code LIKE $1 ORDER BY code",
                )
                .bind(actor.scope().like_pattern())
                .fetch_all(&self.pool)
                .await
            }
        }
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(Division {
                    code: division_col(r, "code")?,
                    name: get(r, "name")?,
                    note: get(r, "note")?,
                })
            })
            .collect()
    }

    async fn execute(&self, ctx: &CommandContext, command: Command) -> Result<Executed> {
        check_idempotency_key(&ctx.idempotency_key).map_err(StoreError::Invalid)?;
        // The actor is part of the fingerprint: another account that learns a key cannot
        // replay someone else's result.
        let fingerprint = format!("{}:{}", ctx.actor.audit_name(), command.fingerprint());
        // One connection for the whole command: the replay check, then the transaction.
        let mut conn = self.writer.acquire().await.map_err(db_err)?;
        // A retry is answered from the stored outcome without starting a write transaction.
        if let Some(done) = Self::replay(&mut *conn, &ctx.idempotency_key, &fingerprint).await? {
            return Ok(done);
        }
        let name = command.name();
        let mut tx = begin_write_on(&mut conn).await.map_err(db_err)?;
        // Claim the key before doing anything: a concurrent request with the same key waits
        // on this row (PostgreSQL) or on the write lock (SQLite) and is answered from it. A
        // key stored since the check above is a unique violation here, answered the same way.
        let claimed = sqlx::query(
            "INSERT INTO commands (idempotency_key, chain, command, fingerprint, outcome, actor, \
             created_at) VALUES ($1, '', $2, $3, $4, $5, $6)",
        )
        .bind(&ctx.idempotency_key)
        .bind(name)
        .bind(&fingerprint)
        .bind(Json(Value::Null))
        .bind(ctx.actor.audit_name())
        .bind(ctx.now)
        .execute(&mut *tx)
        .await;
        match claimed {
            Ok(_) => {}
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                tx.rollback().await.map_err(db_err)?;
                return Self::replay(&mut *conn, &ctx.idempotency_key, &fingerprint)
                    .await?
                    .ok_or_else(|| StoreError::Conflict("concurrent request".to_string()));
            }
            Err(e) => return Err(db_err(e)),
        }
        let rules = self.rules_or_builtin()?;
        let mut locked = None;
        let (chain, outcome, events) =
            Self::run_command(&mut tx, ctx, &rules, command, &mut locked).await?;
        Self::append(
            &mut tx,
            &ctx.actor,
            ctx.now,
            &ctx.idempotency_key,
            &chain,
            events,
            locked,
        )
        .await?;
        sqlx::query("UPDATE commands SET chain = $2, outcome = $3 WHERE idempotency_key = $1")
            .bind(&ctx.idempotency_key)
            .bind(&chain)
            .bind(Json(&outcome))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(Executed {
            outcome,
            replayed: false,
        })
    }

    async fn credentials(&self, username: &str) -> Result<Option<UserCredentials>> {
        // No account has such a name, and PostgreSQL refuses `\0` in a text parameter.
        if username.chars().any(char::is_control) {
            return Ok(None);
        }
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1"
        )))
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.map(|r| {
            Ok(UserCredentials {
                user: user_from_row(&r)?,
                password_hash: get(&r, "password_hash")?,
            })
        })
        .transpose()
    }

    async fn user(&self, actor: &Actor, id: i64) -> Result<User> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND division_code LIKE $2"
        )))
        .bind(id)
        .bind(actor.scope().like_pattern())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
        user_from_row(&row)
    }

    async fn users(&self, actor: &Actor, page: PageRequest) -> Result<Page<User>> {
        if !policy::may_list_users(actor) {
            return Err(StoreError::Forbidden(
                "your role cannot list accounts".to_string(),
            ));
        }
        let pattern = actor.scope().like_pattern();
        let total = self
            .count(
                "SELECT COUNT(*) FROM users WHERE division_code LIKE $1",
                &pattern,
            )
            .await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE division_code LIKE $1 ORDER BY id LIMIT $2 OFFSET $3"
        )))
        .bind(&pattern)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(Page {
            items: rows.iter().map(user_from_row).collect::<Result<_>>()?,
            total,
            page: page.page,
            per_page: page.per_page,
        })
    }

    async fn record_login(
        &self,
        at: DateTime<Utc>,
        username: &str,
        user: Option<&User>,
        session: Option<NewSession>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        // What was typed as an unknown username is kept only if it could be a username:
        // people type passwords (and anything else) into that field by mistake.
        let typed = match check_username(username) {
            Ok(()) => username.to_string(),
            Err(_) => format!(
                "(invalid username, {} characters)",
                username.chars().count()
            ),
        };
        let (chain, event) = match (user, &session) {
            (Some(u), Some(s)) => {
                sqlx::query(
                    "INSERT INTO sessions (digest, user_id, csrf_token, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&s.digest)
                .bind(u.id)
                .bind(&s.csrf_token)
                .bind(at)
                .bind(s.expires_at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                (
                    u.division.county_prefix().to_string(),
                    NewEvent::new(
                        "account.login_succeeded",
                        format!("user:{}", u.id),
                        json!({ "user_id": u.id, "username": u.username }),
                    ),
                )
            }
            (Some(u), None) => (
                u.division.county_prefix().to_string(),
                NewEvent::new(
                    "account.login_failed",
                    format!("user:{}", u.id),
                    json!({ "user_id": u.id, "username": u.username }),
                ),
            ),
            (None, _) => (
                SYSTEM_CHAIN.to_string(),
                NewEvent::new(
                    "account.login_failed",
                    "login",
                    json!({ "username": typed, "known": false }),
                ),
            ),
        };
        let actor = match user {
            Some(u) => u.actor(),
            None => Actor::system("anonymous"),
        };
        let key = format!("login:{}", jiuzhu_store::auth::new_secret()?);
        Self::append(&mut tx, &actor, at, &key, &chain, vec![event], None).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn session(&self, session_digest: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.role, u.division_code, u.active, \
             u.created_at, s.csrf_token, s.expires_at FROM sessions s \
             JOIN users u ON u.id = s.user_id \
             WHERE s.digest = $1 AND s.expires_at > $2 AND u.active",
        )
        .bind(session_digest)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.map(|r| {
            Ok(Session {
                user: user_from_row(&r)?,
                csrf_token: get(&r, "csrf_token")?,
                expires_at: get(&r, "expires_at")?,
            })
        })
        .transpose()
    }

    async fn end_session(&self, session_digest: &str, at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = (SELECT user_id FROM sessions WHERE digest = $1)"
        )))
        .bind(session_digest)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(row) = row else { return Ok(()) };
        let u = user_from_row(&row)?;
        sqlx::query("DELETE FROM sessions WHERE digest = $1")
            .bind(session_digest)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let actor = u.actor();
        let key = format!("logout:{}", jiuzhu_store::auth::new_secret()?);
        Self::append(
            &mut tx,
            &actor,
            at,
            &key,
            u.division.county_prefix(),
            vec![NewEvent::new(
                "account.logout",
                format!("user:{}", u.id),
                json!({ "user_id": u.id }),
            )],
            None,
        )
        .await?;
        tx.commit().await.map_err(db_err)
    }

    async fn token_user(&self, token_digest: &str, now: DateTime<Utc>) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.role, u.division_code, u.active, \
             u.created_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.digest = $1 AND t.expires_at > $2 AND u.active",
        )
        .bind(token_digest)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.map(|r| user_from_row(&r)).transpose()
    }

    async fn household(&self, actor: &Actor, id: i64) -> Result<Household> {
        let row = sqlx::query(
            "SELECT h.id, h.division_code, d.name AS division_name, h.address, h.demo, h.created_at \
             FROM households h JOIN divisions d ON d.code = h.division_code \
             WHERE h.id = $1 AND h.division_code LIKE $2",
        )
        .bind(id)
        .bind(actor.scope().like_pattern())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .ok_or_else(|| StoreError::NotFound(format!("household {id}")))?;
        Ok(Household {
            id: get(&row, "id")?,
            division: division_col(&row, "division_code")?,
            division_name: get(&row, "division_name")?,
            address: get(&row, "address")?,
            demo: get(&row, "demo")?,
            created_at: get(&row, "created_at")?,
            members: self.members(id).await?,
        })
    }

    async fn households(
        &self,
        actor: &Actor,
        filter: &HouseholdFilter,
        page: PageRequest,
    ) -> Result<Page<HouseholdSummary>> {
        let scope = actor.scope().like_pattern();
        let within = Scope::within(filter.division.as_ref()).like_pattern();
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM households WHERE division_code LIKE $1 AND division_code LIKE $2",
        )
        .bind(&scope)
        .bind(&within)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        let rows = sqlx::query(
            "SELECT h.id, h.division_code, d.name AS division_name, h.created_at, m.name AS head_name, \
             (SELECT COUNT(*) FROM members c WHERE c.household_id = h.id) AS member_count \
             FROM households h \
             JOIN divisions d ON d.code = h.division_code \
             JOIN members m ON m.household_id = h.id AND m.relation = 'head' \
             WHERE h.division_code LIKE $1 AND h.division_code LIKE $2 \
             ORDER BY h.id LIMIT $3 OFFSET $4",
        )
        .bind(&scope)
        .bind(&within)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let items = rows
            .iter()
            .map(|r| {
                let head: String = get(r, "head_name")?;
                Ok(HouseholdSummary {
                    id: get(r, "id")?,
                    division: division_col(r, "division_code")?,
                    division_name: get(r, "division_name")?,
                    head_name: PersonName::parse(&head).map_err(|e| corrupt("name", e))?,
                    member_count: get(r, "member_count")?,
                    created_at: get(r, "created_at")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Page {
            items,
            total,
            page: page.page,
            per_page: page.per_page,
        })
    }

    async fn counts(&self, actor: &Actor) -> Result<Counts> {
        let p = actor.scope().like_pattern();
        Ok(Counts {
            townships: self
                .count(
                    "SELECT COUNT(*) FROM divisions WHERE code LIKE $1 AND level = '乡级'",
                    &p,
                )
                .await?,
            villages: self
                .count(
                    "SELECT COUNT(*) FROM divisions WHERE code LIKE $1 AND level = '村级'",
                    &p,
                )
                .await?,
            households: self
                .count(
                    "SELECT COUNT(*) FROM households WHERE division_code LIKE $1",
                    &p,
                )
                .await?,
            members: self
                .count(
                    "SELECT COUNT(*) FROM members m JOIN households h ON h.id = m.household_id \
                     WHERE h.division_code LIKE $1",
                    &p,
                )
                .await?,
            users: self
                .count("SELECT COUNT(*) FROM users WHERE division_code LIKE $1", &p)
                .await?,
        })
    }

    async fn grants(
        &self,
        actor: &Actor,
        within: Option<&DivisionCode>,
        program: Option<Program>,
    ) -> Result<Vec<Grant>> {
        let within = Scope::within(within).like_pattern();
        let program = program.map_or_else(|| "%".to_string(), |p| p.as_str().to_string());
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {GRANT_COLUMNS} FROM delegation_grants WHERE township_code LIKE $1 \
             AND township_code LIKE $2 AND program LIKE $3 ORDER BY township_code, program, valid_from, id"
        )))
        .bind(actor.scope().like_pattern())
        .bind(&within)
        .bind(&program)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(grant_from_row).collect()
    }

    async fn case(&self, actor: &Actor, id: i64) -> Result<CaseState> {
        let state: Json<CaseState> =
            sqlx::query_scalar("SELECT state FROM cases WHERE id = $1 AND village_code LIKE $2")
                .bind(id)
                .bind(actor.scope().like_pattern())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?
                .ok_or_else(|| StoreError::NotFound(format!("case {id}")))?;
        Ok(state.0)
    }

    async fn cases(
        &self,
        actor: &Actor,
        filter: &CaseFilter,
        page: PageRequest,
    ) -> Result<Page<CaseSummary>> {
        let scope = actor.scope().like_pattern();
        let within = Scope::within(filter.within.as_ref()).like_pattern();
        let program = filter
            .program
            .map_or_else(|| "%".to_string(), |p| p.as_str().to_string());
        let stage = filter
            .stage
            .as_ref()
            .map_or_else(|| "%".to_string(), stage_text);
        // `open OR $5` keeps closed cases unless only open ones are asked for.
        let cond = "AND program LIKE $3 AND stage LIKE $4 AND (open OR $5)";
        let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM cases WHERE village_code LIKE $1 AND village_code LIKE $2 {cond}"
        )))
        .bind(&scope)
        .bind(&within)
        .bind(&program)
        .bind(&stage)
        .bind(!filter.open_only)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        let rows = sqlx::query(AssertSqlSafe(Self::case_list_sql(
            cond,
            "id DESC LIMIT $6 OFFSET $7",
        )))
        .bind(&scope)
        .bind(&within)
        .bind(&program)
        .bind(&stage)
        .bind(!filter.open_only)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(Page {
            items: rows
                .iter()
                .map(case_summary_from_row)
                .collect::<Result<_>>()?,
            total,
            page: page.page,
            per_page: page.per_page,
        })
    }

    async fn public_reports(&self, actor: &Actor, open_only: bool) -> Result<Vec<PublicReport>> {
        let rows = sqlx::query(
            "SELECT id, township_code, division_code, kind, case_number, content, contact, \
             submitted_at, due_date, answer, answered_by, answered_at FROM public_reports \
             WHERE township_code LIKE $1 AND (answer IS NULL OR $2) \
             ORDER BY (answer IS NOT NULL), id DESC LIMIT 1000",
        )
        .bind(actor.scope().like_pattern())
        .bind(!open_only)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let kind: String = get(r, "kind")?;
                Ok(PublicReport {
                    id: get(r, "id")?,
                    township: division_col(r, "township_code")?,
                    division: division_col(r, "division_code")?,
                    kind: if kind == "report" {
                        ReportKind::Report
                    } else {
                        ReportKind::Objection
                    },
                    case_number: get(r, "case_number")?,
                    content: get(r, "content")?,
                    contact: get(r, "contact")?,
                    submitted_at: get(r, "submitted_at")?,
                    due_date: get(r, "due_date")?,
                    answer: get(r, "answer")?,
                    answered_by: get(r, "answered_by")?,
                    answered_at: get(r, "answered_at")?,
                })
            })
            .collect()
    }

    async fn case_facts(
        &self,
        actor: &Actor,
        within: Option<&DivisionCode>,
    ) -> Result<Vec<CaseFact>> {
        let rows = sqlx::query(
            "SELECT state, open, next_deadline FROM cases \
             WHERE village_code LIKE $1 AND village_code LIKE $2",
        )
        .bind(actor.scope().like_pattern())
        .bind(Scope::within(within).like_pattern())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let state: Json<CaseState> = get(r, "state")?;
                let s = state.0;
                Ok(CaseFact {
                    program: s.header.program,
                    township: s.header.township.clone(),
                    opened_on: s.opened.at.date(),
                    decided_on: s.decision.as_ref().map(|d| d.signed.at.date()),
                    approved: s.decision.as_ref().map(|d| d.decision.is_approve()),
                    open: get(r, "open")?,
                    next_deadline: get(r, "next_deadline")?,
                })
            })
            .collect()
    }

    async fn public_board(
        &self,
        within: &DivisionCode,
        today: NaiveDate,
    ) -> Result<Vec<PublicEntry>> {
        let rules = self.rules_or_builtin()?;
        // Candidates: cases in notice, and decided or closed ones (approvals); the state
        // says which list each is on.
        let rows = sqlx::query(
            "SELECT c.county_code, c.number, c.program, c.village_code, c.state, d.name AS village_name, \
             (SELECT m.name FROM members m WHERE m.household_id = c.household_id \
              AND m.relation = 'head' ORDER BY m.seq LIMIT 1) AS head_name, \
             (SELECT COUNT(*) FROM members m WHERE m.household_id = c.household_id) AS size \
             FROM cases c JOIN divisions d ON d.code = c.village_code \
             WHERE c.village_code LIKE $1 AND c.stage IN ('notice', 'decided', 'closed') \
             ORDER BY c.id DESC",
        )
        .bind(Scope::within(Some(within)).like_pattern())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut out = Vec::new();
        for row in &rows {
            let state: Json<CaseState> = get(row, "state")?;
            let s = state.0;
            let head: Option<String> = get(row, "head_name")?;
            let head_masked = head
                .and_then(|n| PersonName::parse(&n).ok())
                .map(|n| n.masked())
                .unwrap_or_default();
            let entry = |kind, amount, since, until| PublicEntry {
                kind,
                case_number: s.header.number.clone(),
                program: s.header.program,
                village: s.header.village.clone(),
                village_name: String::new(),
                head_masked: head_masked.clone(),
                household_size: 0,
                amount,
                since,
                until,
            };
            let mut found = Vec::new();
            if s.stage == Stage::Notice
                && let Some(n) = s.notices.last()
            {
                let until = n.due.map(|d| d.date);
                if until.is_none_or(|u| u >= today) {
                    let proposed = s.latest_review().and_then(|r| match &r.recommendation {
                        jiuzhu_domain::case::Recommendation::Approve { proposed_amount } => {
                            *proposed_amount
                        }
                        _ => None,
                    });
                    found.push(entry(
                        PublicKind::Notice,
                        proposed,
                        n.posted.at.date(),
                        until,
                    ));
                }
            }
            if let Some(d) = &s.decision
                && let CaseDecision::Approve {
                    amount,
                    start_month,
                    ..
                } = &d.decision
            {
                if let Some(posted) = &s.result_posted {
                    found.push(entry(
                        PublicKind::Result,
                        Some(*amount),
                        posted.at.date(),
                        None,
                    ));
                }
                let long_term = rules
                    .profiles
                    .profile_for(&s.header.county)
                    .and_then(|p| p.program(s.header.program))
                    .is_some_and(|r| r.steps.disclosure.long_term);
                if long_term && !amount.is_zero() {
                    found.push(entry(
                        PublicKind::LongTerm,
                        Some(*amount),
                        *start_month,
                        None,
                    ));
                }
            }
            let village_name: String = get(row, "village_name")?;
            let size: i64 = get(row, "size")?;
            out.extend(found.into_iter().map(|mut e| {
                e.village_name = village_name.clone();
                e.household_size = size;
                e
            }));
        }
        Ok(out)
    }

    async fn application_status(
        &self,
        number: &str,
        id_last4: &str,
    ) -> Result<Option<PublicStatus>> {
        let last4 = id_last4.trim().to_uppercase();
        if last4.chars().count() != 4 || !last4.chars().all(|c| c.is_ascii_digit() || c == 'X') {
            return Ok(None);
        }
        let row = sqlx::query("SELECT household_id, state FROM cases WHERE number = $1")
            .bind(number.trim())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        let household: i64 = get(&row, "household_id")?;
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id_number FROM members WHERE household_id = $1")
                .bind(household)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
        if !ids.iter().any(|id| id.to_uppercase().ends_with(&last4)) {
            return Ok(None);
        }
        let state: Json<CaseState> = get(&row, "state")?;
        let s = state.0;
        Ok(Some(PublicStatus {
            case_number: s.header.number.clone(),
            program: s.header.program,
            stage: s.stage,
            open: !s.is_closed(),
            opened_on: s.opened.at.date(),
            next_due_date: s.dues.iter().map(|d| d.due.date).min(),
            decided: s.decision.as_ref().map(|d| d.decision.is_approve()),
        }))
    }

    async fn overdue_cases(
        &self,
        actor: &Actor,
        within: Option<&DivisionCode>,
        now_local: NaiveDateTime,
    ) -> Result<Vec<CaseSummary>> {
        let within = Scope::within(within).like_pattern();
        let rows = sqlx::query(AssertSqlSafe(Self::case_list_sql(
            "AND open AND next_deadline < $3",
            "next_deadline, id",
        )))
        .bind(actor.scope().like_pattern())
        .bind(&within)
        .bind(now_local)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(case_summary_from_row).collect()
    }

    async fn due_soon(
        &self,
        actor: &Actor,
        within: Option<&DivisionCode>,
        now_local: NaiveDateTime,
        within_days: u32,
    ) -> Result<Vec<CaseSummary>> {
        let within = Scope::within(within).like_pattern();
        let until = now_local
            .date()
            .checked_add_days(chrono::Days::new(u64::from(within_days)))
            .ok_or_else(|| StoreError::Invalid("too many days".to_string()))?;
        let rows = sqlx::query(AssertSqlSafe(Self::case_list_sql(
            "AND open AND next_deadline >= $3 AND next_due_date <= $4",
            "next_deadline, id",
        )))
        .bind(actor.scope().like_pattern())
        .bind(&within)
        .bind(now_local)
        .bind(until)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(case_summary_from_row).collect()
    }

    async fn events_for(&self, actor: &Actor, subject: &str) -> Result<Vec<EventRecord>> {
        // Visibility follows the subject: only a household or account the actor can see.
        // `entitlement:{household}:{program}` (the household's payments of a program) is
        // visible with its household.
        let subject_id = |rest: &str| {
            rest.split_once(':')
                .filter(|(_, program)| program.parse::<Program>().is_ok())
                .map_or(rest, |(household, _)| household)
                .parse::<i64>()
                .ok()
        };
        let (kind, id) = subject
            .split_once(':')
            .filter(|(k, rest)| *k == "entitlement" || !rest.contains(':'))
            .and_then(|(k, rest)| subject_id(rest).map(|id| (k, id)))
            .ok_or_else(|| StoreError::Invalid(format!("unknown subject {subject}")))?;
        match kind {
            "entitlement" => {
                self.household(actor, id).await?;
            }
            "household" => {
                self.household(actor, id).await?;
            }
            "user" => {
                self.user(actor, id).await?;
            }
            "case" => {
                self.case(actor, id).await?;
            }
            "report" => {
                let township: Option<String> =
                    sqlx::query_scalar("SELECT township_code FROM public_reports WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                let visible = township
                    .and_then(|t| DivisionCode::parse(&t).ok())
                    .is_some_and(|t| actor.scope().contains(&t));
                if !visible {
                    return Err(StoreError::NotFound(format!("report {id}")));
                }
            }
            "document" => {
                self.document_visible(actor, id).await?;
            }
            "recheck" => {
                if !self.recheck_visible(actor, id).await? {
                    return Err(StoreError::NotFound(format!("recheck {id}")));
                }
            }
            "correction" => {
                if !self.correction_visible(actor, id).await? {
                    return Err(StoreError::NotFound(format!("correction {id}")));
                }
            }
            "filing" | "spot_check" | "rectification" | "complaint" | "dishonesty" => {
                if !self.supervision_subject_visible(actor, kind, id).await? {
                    return Err(StoreError::NotFound(format!("{kind} {id}")));
                }
            }
            "grant" => {
                let visible = self.grants(actor, None, None).await?;
                if !visible.iter().any(|g| g.id == id) {
                    return Err(StoreError::NotFound(format!("grant {id}")));
                }
            }
            _ => return Err(StoreError::Invalid(format!("unknown subject {subject}"))),
        }
        // Only events the chain heads account for: nothing numbered below 1 or beyond the
        // head (such rows can only be forgeries, and `audit verify` reports them).
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE subject = $1 AND seq >= 1 \
             AND seq <= (SELECT h.seq FROM chain_heads h WHERE h.chain = events.chain) \
             ORDER BY occurred_at, chain, seq"
        )))
        .bind(subject)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(event_from_row).collect()
    }

    async fn verify_chain(&self) -> Result<VerifyReport> {
        // One snapshot for the whole walk: appends committed meanwhile (a running server)
        // are not seen half-way, so they cannot look like a break.
        let mut tx = begin_read_snapshot(&self.pool).await.map_err(db_err)?;
        // Every chain anything knows of: a head, events, or commands recorded for it (a
        // chain whose events and head were wiped is still named by its commands).
        let chains: Vec<String> = sqlx::query_scalar(
            "SELECT chain FROM chain_heads UNION SELECT chain FROM events \
             UNION SELECT chain FROM commands WHERE chain <> '' ORDER BY 1",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        let rows = sqlx::query(
            "SELECT chain, COUNT(*) AS n FROM commands WHERE chain <> '' GROUP BY chain",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        let mut commands = std::collections::HashMap::new();
        for row in &rows {
            commands.insert(get::<String>(row, "chain")?, get::<i64>(row, "n")?);
        }
        let mut report = VerifyReport {
            chains: chains.len(),
            ..VerifyReport::default()
        };
        for chain in &chains {
            let n = commands.get(chain).copied().unwrap_or(0);
            if let Some(b) = Self::verify_one(&mut tx, chain, n, &mut report).await? {
                report.first_break = Some(b);
                break;
            }
        }
        tx.rollback().await.map_err(db_err)?;
        Ok(report)
    }

    async fn entitlements(
        &self,
        actor: &Actor,
        filter: &jiuzhu_store::payroll::EntitlementFilter,
        page: PageRequest,
    ) -> Result<Page<jiuzhu_store::payroll::Entitlement>> {
        self.entitlements_impl(actor, filter, page).await
    }

    async fn bank_account(
        &self,
        actor: &Actor,
        household_id: i64,
    ) -> Result<Option<jiuzhu_store::payroll::BankAccountInfo>> {
        self.bank_account_impl(actor, household_id).await
    }

    async fn rosters(
        &self,
        actor: &Actor,
        month: jiuzhu_store::payroll::Month,
        within: &DivisionCode,
    ) -> Result<Vec<jiuzhu_store::payroll::RosterSummary>> {
        self.rosters_impl(actor, month, within).await
    }

    async fn roster_diff(
        &self,
        actor: &Actor,
        month: jiuzhu_store::payroll::Month,
        within: &DivisionCode,
    ) -> Result<Vec<jiuzhu_store::payroll::RosterDiffLine>> {
        self.roster_diff_impl(actor, month, within).await
    }

    async fn payments(
        &self,
        actor: &Actor,
        month: jiuzhu_store::payroll::Month,
        within: &DivisionCode,
        page: PageRequest,
    ) -> Result<Page<jiuzhu_store::payroll::Payment>> {
        self.payments_impl(actor, month, within, page).await
    }

    async fn export_payments(
        &self,
        ctx: &CommandContext,
        county: &DivisionCode,
        month: jiuzhu_store::payroll::Month,
        format: jiuzhu_store::payroll::PaymentFileFormat,
        out: &mut (dyn std::io::Write + Send),
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<jiuzhu_store::payroll::PaymentFileSummary> {
        self.export_payments_impl(ctx, county, month, format, out, progress)
            .await
    }

    async fn reconcile(
        &self,
        ctx: &CommandContext,
        county: &DivisionCode,
        month: jiuzhu_store::payroll::Month,
        ledger: &jiuzhu_store::payroll::Ledger,
    ) -> Result<jiuzhu_store::payroll::Reconciliation> {
        self.reconcile_impl(ctx, county, month, ledger).await
    }

    async fn reserve_statement(
        &self,
        actor: &Actor,
        township: &DivisionCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<jiuzhu_store::payroll::ReserveStatement> {
        self.reserve_statement_impl(actor, township, from, to).await
    }

    async fn filings(&self, actor: &Actor, filter: &FilingFilter) -> Result<Vec<Filing>> {
        self.filings_impl(actor, filter).await
    }

    async fn spot_check_draws(
        &self,
        actor: &Actor,
        county: Option<&DivisionCode>,
    ) -> Result<Vec<SpotCheckDraw>> {
        self.spot_check_draws_impl(actor, county).await
    }

    async fn spot_checks(&self, actor: &Actor, draw_id: Option<i64>) -> Result<Vec<SpotCheckItem>> {
        self.spot_checks_impl(actor, draw_id).await
    }

    async fn spot_check_feedback(&self, actor: &Actor) -> Result<Vec<SpotCheckFeedback>> {
        self.spot_check_feedback_impl(actor).await
    }

    async fn rectifications(
        &self,
        actor: &Actor,
        filter: &RectificationFilter,
    ) -> Result<Vec<Rectification>> {
        self.rectifications_impl(actor, filter).await
    }

    async fn complaints(&self, actor: &Actor, open_only: bool) -> Result<Vec<Complaint>> {
        self.complaints_impl(actor, open_only).await
    }

    async fn complaint_stats(&self, actor: &Actor) -> Result<Vec<ComplaintStat>> {
        self.complaint_stats_impl(actor).await
    }

    async fn dishonesty_records(&self, actor: &Actor) -> Result<Vec<DishonestyRecord>> {
        self.dishonesty_records_impl(actor).await
    }

    async fn supervision_summary(
        &self,
        actor: &Actor,
        within: Option<&DivisionCode>,
        period: jiuzhu_domain::supervision::Month,
        today: NaiveDate,
    ) -> Result<Vec<TownshipSupervision>> {
        self.supervision_summary_impl(actor, within, period, today)
            .await
    }

    async fn visit_list(
        &self,
        actor: &Actor,
        within: &DivisionCode,
        month: jiuzhu_store::payroll::Month,
    ) -> Result<Vec<jiuzhu_store::dynamic::VisitLine>> {
        self.visit_list_impl(actor, within, month).await
    }

    async fn corrections(
        &self,
        actor: &Actor,
        within: Option<&DivisionCode>,
    ) -> Result<Vec<jiuzhu_store::CaseCorrection>> {
        self.corrections_impl(actor, within).await
    }

    async fn rechecks(
        &self,
        actor: &Actor,
        filter: &jiuzhu_store::dynamic::RecheckFilter,
    ) -> Result<Vec<jiuzhu_store::dynamic::Recheck>> {
        self.rechecks_impl(actor, filter).await
    }

    async fn rechecks_due(
        &self,
        actor: &Actor,
        within: &DivisionCode,
    ) -> Result<Vec<jiuzhu_store::dynamic::RecheckDue>> {
        self.rechecks_due_impl(actor, within).await
    }

    async fn import_households(
        &self,
        ctx: &CommandContext,
        import: HouseholdImport,
        progress: &(dyn Fn(ImportProgress) + Send + Sync),
    ) -> Result<ImportReport> {
        self.import_households_impl(ctx, import, progress).await
    }

    async fn next_document_serial(&self, issuer: &DivisionCode, year: i32) -> Result<u32> {
        let value: Option<i64> = sqlx::query_scalar("SELECT value FROM counters WHERE name = $1")
            .bind(document_counter(issuer, year))
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        serial_after(value.unwrap_or(0))
    }

    async fn issue_document(
        &self,
        ctx: &CommandContext,
        doc: NewDocument,
    ) -> Result<IssuedDocument> {
        self.issue_document_impl(ctx, doc).await
    }

    async fn case_documents(&self, actor: &Actor, case_id: i64) -> Result<Vec<DocumentMeta>> {
        // Visibility follows the case.
        self.case(actor, case_id).await?;
        self.documents_of(actor, &DocumentSubject::Case { case_id }.key())
            .await
    }

    async fn documents_of(&self, actor: &Actor, subject: &str) -> Result<Vec<DocumentMeta>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents d \
             WHERE d.subject = $1 AND d.division_code LIKE $2 ORDER BY d.id"
        )))
        .bind(subject)
        .bind(actor.scope().like_pattern())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(document_from_row).collect()
    }

    async fn document(&self, actor: &Actor, id: i64) -> Result<(DocumentMeta, Vec<u8>)> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {DOCUMENT_COLUMNS}, d.pdf FROM documents d \
             WHERE d.id = $1 AND d.division_code LIKE $2"
        )))
        .bind(id)
        .bind(actor.scope().like_pattern())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .ok_or_else(|| StoreError::NotFound(format!("document {id}")))?;
        Ok((document_from_row(&row)?, get(&row, "pdf")?))
    }
}

// ---- household import (批量导入) ------------------------------------------------------------

/// Rows per multi-row INSERT of the import (parameters per statement stay far below
/// SQLite's and PostgreSQL's limits).
const IMPORT_BATCH: usize = 200;
/// ID numbers per `IN (…)` lookup of the import's duplicate check.
const IMPORT_LOOKUP_BATCH: usize = 500;

/// `($1, $2, …), (…)`: `rows` groups of `cols` numbered placeholders.
fn values_placeholders(rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push('$');
            s.push_str(&(r * cols + c + 1).to_string());
        }
        s.push(')');
    }
    s
}

fn import_outcome_report(outcome: &CommandOutcome) -> Option<ImportReport> {
    let CommandOutcome::HouseholdsImported {
        sha256,
        mode,
        rows,
        households,
        households_imported,
        members_imported,
        households_skipped,
        first_household_id,
        last_household_id,
    } = outcome
    else {
        return None;
    };
    Some(ImportReport {
        sha256: sha256.clone(),
        mode: *mode,
        rows: *rows,
        households: *households,
        households_imported: *households_imported,
        members_imported: *members_imported,
        households_skipped: *households_skipped,
        issues: Vec::new(),
        first_household_id: *first_household_id,
        last_household_id: *last_household_id,
        replayed: true,
    })
}

impl SqlStore {
    /// Reserves `n` consecutive ids of a counter; returns the first.
    async fn reserve_ids(tx: &mut Tx<'_>, counter: &str, n: i64) -> Result<i64> {
        sqlx::query(
            "INSERT INTO counters (name, value) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING",
        )
        .bind(counter)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        let last: i64 = sqlx::query_scalar(
            "UPDATE counters SET value = value + $2 WHERE name = $1 RETURNING value",
        )
        .bind(counter)
        .bind(n)
        .fetch_one(&mut **tx)
        .await
        .map_err(db_err)?;
        Ok(last - n + 1)
    }

    /// Like `append`, with multi-row INSERTs: many events on one chain in few statements.
    async fn append_batched(
        tx: &mut Tx<'_>,
        actor: &Actor,
        at: DateTime<Utc>,
        idempotency_key: &str,
        chain: &str,
        events: Vec<NewEvent>,
    ) -> Result<()> {
        let head = Self::lock_chain(tx, chain).await?;
        let (mut seq, mut prev) = (head.seq, head.hash);
        let occurred_at = event_time(at);
        let (actor_name, actor_role, actor_division) = (
            actor.audit_name(),
            actor.audit_role().to_string(),
            actor.audit_division(),
        );
        let mut records = Vec::with_capacity(IMPORT_BATCH);
        let mut events = events.into_iter().peekable();
        while events.peek().is_some() {
            records.clear();
            for e in events.by_ref().take(IMPORT_BATCH) {
                seq += 1;
                let mut rec = EventRecord {
                    chain: chain.to_string(),
                    seq,
                    kind: e.kind,
                    subject: e.subject,
                    occurred_at,
                    actor: actor_name.clone(),
                    actor_role: actor_role.clone(),
                    actor_division: actor_division.clone(),
                    idempotency_key: idempotency_key.to_string(),
                    payload: e.payload,
                    prev_hash: prev,
                    hash: String::new(),
                };
                rec.hash = rec.compute_hash();
                prev = rec.hash.clone();
                records.push(rec);
            }
            let sql = format!(
                "INSERT INTO events (chain, seq, kind, subject, occurred_at, actor, actor_role, \
                 actor_division, idempotency_key, payload, prev_hash, hash) VALUES {}",
                values_placeholders(records.len(), 12)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for rec in &records {
                q = q
                    .bind(&rec.chain)
                    .bind(rec.seq)
                    .bind(&rec.kind)
                    .bind(&rec.subject)
                    .bind(rec.occurred_at)
                    .bind(&rec.actor)
                    .bind(&rec.actor_role)
                    .bind(&rec.actor_division)
                    .bind(&rec.idempotency_key)
                    .bind(Json(&rec.payload))
                    .bind(&rec.prev_hash)
                    .bind(&rec.hash);
            }
            q.execute(&mut **tx).await.map_err(db_err)?;
        }
        sqlx::query("UPDATE chain_heads SET seq = $2, hash = $3 WHERE chain = $1")
            .bind(chain)
            .bind(seq)
            .bind(&prev)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// The import's checks that need the database, inside its transaction: every distinct
    /// village exists and lies in the actor's jurisdiction; no ID number is registered yet.
    /// Returns the issues (the households they concern are then invalid).
    async fn import_db_issues(
        tx: &mut Tx<'_>,
        actor: &Actor,
        households: &[ImportHousehold],
        progress: &(dyn Fn(ImportProgress) + Send + Sync),
    ) -> Result<Vec<(usize, ImportIssue)>> {
        use jiuzhu_store::import::column;
        let mut issues = Vec::new();
        let mut villages: std::collections::HashMap<&DivisionCode, Option<String>> =
            std::collections::HashMap::new();
        for (i, h) in households.iter().enumerate() {
            let village = &h.household.division;
            if !villages.contains_key(village) {
                let why = if let Err(e) = policy::register_household(actor, village) {
                    Some(match e {
                        StoreError::Forbidden(_) => {
                            format!("村(社区){village}不在您的管辖范围内，不能导入")
                        }
                        other => other.to_string(),
                    })
                } else if !Self::division_exists(tx, village).await? {
                    Some(format!("区划代码{village}不在区划表中"))
                } else {
                    None
                };
                villages.insert(village, why);
            }
            if let Some(Some(why)) = villages.get(village) {
                for row in &h.rows {
                    issues.push((i, ImportIssue::new(*row, column::VILLAGE, why.clone())));
                }
            }
        }
        // ID numbers already registered, looked up in batches.
        let all: Vec<(usize, u32, &IdNumber)> = households
            .iter()
            .enumerate()
            .flat_map(|(i, h)| {
                h.rows
                    .iter()
                    .zip(&h.household.members)
                    .map(move |(row, m)| (i, *row, &m.id_number))
            })
            .collect();
        let total = households.len() as u64;
        for chunk in all.chunks(IMPORT_LOOKUP_BATCH) {
            let placeholders = (1..=chunk.len())
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("SELECT id_number FROM members WHERE id_number IN ({placeholders})");
            let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql));
            for (_, _, id) in chunk {
                q = q.bind(id.as_str());
            }
            let found: std::collections::HashSet<String> = q
                .fetch_all(&mut **tx)
                .await
                .map_err(db_err)?
                .into_iter()
                .collect();
            for (i, row, id) in chunk {
                if found.contains(id.as_str()) {
                    issues.push((
                        *i,
                        ImportIssue::new(
                            *row,
                            column::ID_NUMBER,
                            format!("身份证号码{}已登记在其他家庭中", id.masked()),
                        ),
                    ));
                }
            }
            if let Some((i, _, _)) = chunk.last() {
                progress(ImportProgress {
                    stage: ImportStage::Checking,
                    done: *i as u64 + 1,
                    total,
                });
            }
        }
        Ok(issues)
    }

    /// Writes the households, their members and their events (multi-row INSERTs).
    async fn import_write(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        sha256: &str,
        households: &[&ImportHousehold],
        first_id: i64,
        progress: &(dyn Fn(ImportProgress) + Send + Sync),
    ) -> Result<(u64, Vec<(String, Vec<NewEvent>)>)> {
        let total = households.len() as u64;
        let mut members_written = 0_u64;
        let mut by_chain: std::collections::BTreeMap<String, Vec<NewEvent>> =
            std::collections::BTreeMap::new();
        let mut next_id = first_id;
        for chunk in households.chunks(IMPORT_BATCH) {
            let ids: Vec<i64> = (next_id..).take(chunk.len()).collect();
            next_id += chunk.len() as i64;
            let counties: Vec<String> = chunk
                .iter()
                .map(|h| h.household.division.county_prefix().to_string())
                .collect();
            let sql = format!(
                "INSERT INTO households (county_code, id, division_code, address, demo, \
                 created_at) VALUES {}",
                values_placeholders(chunk.len(), 6)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for ((h, id), county) in chunk.iter().zip(&ids).zip(&counties) {
                q = q
                    .bind(county)
                    .bind(*id)
                    .bind(h.household.division.as_str())
                    .bind(h.household.address.trim())
                    .bind(h.household.demo)
                    .bind(ctx.now);
            }
            q.execute(&mut **tx).await.map_err(db_err)?;

            let members: Vec<(&String, i64, i32, &NewMember)> = chunk
                .iter()
                .zip(&ids)
                .zip(&counties)
                .flat_map(|((h, id), county)| {
                    (1_i32..)
                        .zip(&h.household.members)
                        .map(move |(seq, m)| (county, *id, seq, m))
                })
                .collect();
            members_written += members.len() as u64;
            for part in members.chunks(IMPORT_BATCH) {
                let sql = format!(
                    "INSERT INTO members (county_code, household_id, seq, name, id_number, \
                     relation, sex, birth_date) VALUES {}",
                    values_placeholders(part.len(), 8)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (county, id, seq, m) in part {
                    q = q
                        .bind(*county)
                        .bind(*id)
                        .bind(*seq)
                        .bind(m.name.as_str())
                        .bind(m.id_number.as_str())
                        .bind(m.relation.as_str())
                        .bind(sex_str(m.id_number.sex()))
                        .bind(m.id_number.birth_date());
                }
                q.execute(&mut **tx).await.map_err(db_err)?;
            }
            for ((h, id), county) in chunk.iter().zip(&ids).zip(counties) {
                let payload = json!({
                    "household_id": id,
                    "division": h.household.division,
                    "address": h.household.address.trim(),
                    "demo": h.household.demo,
                    "members": h.household.members,
                    "import": { "sha256": sha256, "key": h.key, "rows": h.rows },
                });
                by_chain.entry(county).or_default().push(NewEvent::new(
                    "household.registered",
                    format!("household:{id}"),
                    payload,
                ));
            }
            progress(ImportProgress {
                stage: ImportStage::Writing,
                done: (next_id - first_id) as u64,
                total,
            });
        }
        Ok((members_written, by_chain.into_iter().collect()))
    }

    async fn import_households_impl(
        &self,
        ctx: &CommandContext,
        import: HouseholdImport,
        progress: &(dyn Fn(ImportProgress) + Send + Sync),
    ) -> Result<ImportReport> {
        if import.sha256.len() != 64 || !import.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Invalid(
                "the import's sha256 must be 64 hex digits".to_string(),
            ));
        }
        if let Actor::User(u) = &ctx.actor
            && !u.role.may_register_households()
        {
            return Err(StoreError::Forbidden(format!(
                "role {} cannot register households",
                u.role
            )));
        }
        check_text("file name", &import.file_name, 255)?;
        let key = import.idempotency_key(&ctx.actor);
        check_idempotency_key(&key).map_err(StoreError::Invalid)?;
        let fingerprint = format!("{}:import:{}", ctx.actor.audit_name(), import.sha256);
        let replayed = |done: Executed| {
            import_outcome_report(&done.outcome)
                .ok_or_else(|| StoreError::Conflict("the key belongs to another command".into()))
        };
        if let Some(done) = Self::replay(&self.pool, &key, &fingerprint).await? {
            return replayed(done);
        }
        let mut tx = self.begin().await?;
        if let Some(done) = Self::replay(&mut *tx, &key, &fingerprint).await? {
            return replayed(done);
        }
        let claimed = sqlx::query(
            "INSERT INTO commands (idempotency_key, chain, command, fingerprint, outcome, actor, \
             created_at) VALUES ($1, '', $2, $3, $4, $5, $6)",
        )
        .bind(&key)
        .bind("import_households")
        .bind(&fingerprint)
        .bind(Json(Value::Null))
        .bind(ctx.actor.audit_name())
        .bind(ctx.now)
        .execute(&mut *tx)
        .await;
        match claimed {
            Ok(_) => {}
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                drop(tx);
                return match Self::replay(&self.pool, &key, &fingerprint).await? {
                    Some(done) => replayed(done),
                    None => Err(StoreError::Conflict("concurrent import".to_string())),
                };
            }
            Err(e) => return Err(db_err(e)),
        }

        let mut issues = import.issues;
        let mut invalid = vec![false; import.households.len()];
        // What the types cannot say (also checked by the parser; a store caller may differ).
        for (i, h) in import.households.iter().enumerate() {
            if h.rows.len() != h.household.members.len() {
                return Err(StoreError::Invalid(format!(
                    "household {}: {} rows for {} members",
                    h.key,
                    h.rows.len(),
                    h.household.members.len()
                )));
            }
            if let Err(e) = h.household.check() {
                invalid[i] = true;
                issues.push(ImportIssue::new(
                    h.rows.first().copied().unwrap_or(0),
                    "",
                    format!("家庭编号{}：{e}", h.key),
                ));
            }
        }
        for (i, issue) in
            Self::import_db_issues(&mut tx, &ctx.actor, &import.households, progress).await?
        {
            invalid[i] = true;
            issues.push(issue);
        }
        issues.sort_by(|a, b| a.row.cmp(&b.row).then_with(|| a.column.cmp(&b.column)));
        let total = (import.households.len() + import.rejected.len()) as u64;
        let valid: Vec<&ImportHousehold> = match import.mode {
            ImportMode::AllOrNothing if !issues.is_empty() => Vec::new(),
            _ => import
                .households
                .iter()
                .zip(&invalid)
                .filter(|(_, bad)| !**bad)
                .map(|(h, _)| h)
                .collect(),
        };
        let mut report = ImportReport {
            sha256: import.sha256.clone(),
            mode: import.mode,
            rows: import.rows,
            households: total,
            households_imported: valid.len() as u64,
            members_imported: 0,
            households_skipped: total - valid.len() as u64,
            issues,
            first_household_id: None,
            last_household_id: None,
            replayed: false,
        };
        if valid.is_empty() {
            // Nothing to write: the key is not kept, a corrected file can come again.
            tx.rollback().await.map_err(db_err)?;
            progress(ImportProgress {
                stage: ImportStage::Done,
                done: 0,
                total: 0,
            });
            return Ok(report);
        }
        let n = valid.len() as i64;
        let first_id = Self::reserve_ids(&mut tx, "household", n).await?;
        let (members, chains) =
            Self::import_write(&mut tx, ctx, &import.sha256, &valid, first_id, progress).await?;
        report.members_imported = members;
        report.first_household_id = Some(first_id);
        report.last_household_id = Some(first_id + n - 1);
        let counties: Vec<String> = chains.iter().map(|(c, _)| c.clone()).collect();
        for (chain, events) in chains {
            Self::append_batched(&mut tx, &ctx.actor, ctx.now, &key, &chain, events).await?;
        }
        // The file's own event: on the importer's county chain (the system chain for the CLI).
        let chain = match &ctx.actor {
            Actor::User(u) => u.division.county_prefix().to_string(),
            Actor::System { .. } => SYSTEM_CHAIN.to_string(),
        };
        let summary = NewEvent::new(
            "household.import_completed",
            format!("import:{}", import.sha256),
            json!({
                "sha256": import.sha256,
                "file_name": import.file_name,
                "mode": import.mode,
                "rows": report.rows,
                "households": report.households,
                "households_imported": report.households_imported,
                "members_imported": report.members_imported,
                "households_skipped": report.households_skipped,
                "issues": report.issues.len(),
                "first_household_id": report.first_household_id,
                "last_household_id": report.last_household_id,
                "counties": counties,
            }),
        );
        Self::append(
            &mut tx,
            &ctx.actor,
            ctx.now,
            &key,
            &chain,
            vec![summary],
            None,
        )
        .await?;
        let outcome = CommandOutcome::HouseholdsImported {
            sha256: report.sha256.clone(),
            mode: report.mode,
            rows: report.rows,
            households: report.households,
            households_imported: report.households_imported,
            members_imported: report.members_imported,
            households_skipped: report.households_skipped,
            first_household_id: report.first_household_id,
            last_household_id: report.last_household_id,
        };
        sqlx::query("UPDATE commands SET chain = $2, outcome = $3 WHERE idempotency_key = $1")
            .bind(&key)
            .bind(&chain)
            .bind(Json(&outcome))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        progress(ImportProgress {
            stage: ImportStage::Done,
            done: report.households_imported,
            total: report.households_imported,
        });
        Ok(report)
    }
}

// ---- documents (行政文书) ----------------------------------------------------------------

const DOCUMENT_COLUMNS: &str = "d.id, d.subject, d.case_id, d.division_code, d.kind, d.source, \
     d.issuer_code, d.number, d.title, d.issued_at, d.issued_by, d.sha256, d.size";

/// The 文号 counter of an issuer and year.
fn document_counter(issuer: &DivisionCode, year: i32) -> String {
    format!("doc:{issuer}:{year}")
}

fn serial_after(value: i64) -> Result<u32> {
    u32::try_from(value + 1).map_err(|e| corrupt("document counter", e))
}

/// Largest PDF the archive accepts (a case's documents are a few pages).
const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

fn document_from_row(row: &DbRow) -> Result<DocumentMeta> {
    let kind: String = get(row, "kind")?;
    Ok(DocumentMeta {
        id: get(row, "id")?,
        subject: get(row, "subject")?,
        case_id: get(row, "case_id")?,
        division: division_col(row, "division_code")?,
        kind: DocumentKind::parse(&kind).ok_or_else(|| corrupt("document kind", &kind))?,
        source: get(row, "source")?,
        issuer: division_col(row, "issuer_code")?,
        number: get(row, "number")?,
        title: get(row, "title")?,
        issued_at: get(row, "issued_at")?,
        issued_by: get(row, "issued_by")?,
        sha256: get(row, "sha256")?,
        size: get(row, "size")?,
    })
}

impl SqlStore {
    async fn issue_document_impl(
        &self,
        ctx: &CommandContext,
        doc: NewDocument,
    ) -> Result<IssuedDocument> {
        let user = match &ctx.actor {
            Actor::User(u) => u.clone(),
            _ => {
                return Err(StoreError::Forbidden(
                    "documents are issued by staff accounts".to_string(),
                ));
            }
        };
        if doc.pdf.is_empty()
            || doc.pdf.len() > MAX_DOCUMENT_BYTES
            || !doc.pdf.starts_with(b"%PDF-")
        {
            return Err(StoreError::Invalid(format!(
                "a document must be a PDF of 1 byte to {MAX_DOCUMENT_BYTES} bytes"
            )));
        }
        let number = doc.number.trim();
        let title = doc.title.trim();
        if number.is_empty() || title.is_empty() || doc.source.trim().is_empty() {
            return Err(StoreError::Invalid(
                "a document needs a number, a title and a source".to_string(),
            ));
        }
        check_text("document number", number, 64)?;
        check_text("document title", title, 64)?;
        check_text("document source", &doc.source, 64)?;
        if doc.serial == 0 || !(2000..=9999).contains(&doc.year) {
            return Err(StoreError::Invalid(
                "a document's serial starts at 1 and its year has four digits".to_string(),
            ));
        }
        let mut tx = self.begin().await?;
        let target = Self::document_target(&mut tx, &doc.subject).await?;
        if !ctx.actor.scope().contains(&target.division) {
            return Err(StoreError::NotFound(doc.subject.key()));
        }
        if !policy::may_issue_document(user.role, &doc.subject) {
            return Err(StoreError::Forbidden(
                "your role does not issue this document".to_string(),
            ));
        }
        if !target.issuers.contains(&doc.issuer) {
            return Err(StoreError::Invalid(
                "this document is issued by another body (a case's by its township or \
                 county, a grant's by its county, a notice list by its township)"
                    .to_string(),
            ));
        }
        let county = target.county.clone();
        let subject = doc.subject.key();
        // Serialize issuers of one county on its chain: the counter check below then
        // cannot race on either backend.
        let head = Self::lock_chain(&mut tx, &county).await?;
        let existing = sqlx::query(AssertSqlSafe(format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents d \
             WHERE d.subject = $1 AND d.kind = $2 AND d.source = $3"
        )))
        .bind(&subject)
        .bind(doc.kind.as_str())
        .bind(&doc.source)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        if let Some(row) = existing {
            let meta = document_from_row(&row)?;
            tx.rollback().await.map_err(db_err)?;
            return Ok(IssuedDocument { meta, new: false });
        }
        let counter = document_counter(&doc.issuer, doc.year);
        let value: Option<i64> = sqlx::query_scalar("SELECT value FROM counters WHERE name = $1")
            .bind(&counter)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let next = serial_after(value.unwrap_or(0))?;
        if doc.serial != next {
            return Err(StoreError::DocumentSerialTaken {
                serial: doc.serial,
                next,
            });
        }
        sqlx::query(
            "INSERT INTO counters (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(&counter)
        .bind(i64::from(doc.serial))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let id = Self::next_id(&mut tx, "documents").await?;
        let sha256 = jiuzhu_store::event::sha256_hex(&doc.pdf);
        let size = doc.pdf.len() as i64;
        sqlx::query(
            "INSERT INTO documents (county_code, id, subject, case_id, division_code, kind, \
             source, issuer_code, year, serial, number, title, issued_at, issued_by, sha256, \
             size, pdf) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $15, $16, $17)",
        )
        .bind(&county)
        .bind(id)
        .bind(&subject)
        .bind(target.case_id)
        .bind(target.division.as_str())
        .bind(doc.kind.as_str())
        .bind(&doc.source)
        .bind(doc.issuer.as_str())
        .bind(doc.year)
        .bind(i64::from(doc.serial))
        .bind(number)
        .bind(title)
        .bind(ctx.now)
        .bind(user.id)
        .bind(&sha256)
        .bind(size)
        .bind(&doc.pdf)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let event = NewEvent::new(
            "document.issued",
            format!("document:{id}"),
            json!({
                "subject": subject,
                "case_id": target.case_id,
                "case_number": target.case_number,
                "kind": doc.kind.as_str(),
                "source": doc.source,
                "issuer": doc.issuer.as_str(),
                "number": number,
                "title": title,
                "sha256": sha256,
                "size": size,
            }),
        );
        Self::append(
            &mut tx,
            &ctx.actor,
            ctx.now,
            &ctx.idempotency_key,
            &county,
            vec![event],
            Some(head),
        )
        .await?;
        // Read back as stored (PostgreSQL keeps microseconds).
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.id = $1"
        )))
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let meta = document_from_row(&row)?;
        tx.commit().await.map_err(db_err)?;
        Ok(IssuedDocument { meta, new: true })
    }
}

impl SqlStore {
    /// Not found unless the document's case is visible to the actor.
    async fn document_visible(&self, actor: &Actor, id: i64) -> Result<()> {
        let division: Option<String> =
            sqlx::query_scalar("SELECT division_code FROM documents WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
        division
            .and_then(|d| DivisionCode::parse(&d).ok())
            .filter(|d| actor.scope().contains(d))
            .map(|_| ())
            .ok_or_else(|| StoreError::NotFound(format!("document {id}")))
    }
}

/// What a document subject resolves to in the database.
struct DocumentTarget {
    county: String,
    /// Whose staff see it.
    division: DivisionCode,
    /// Who may issue it.
    issuers: Vec<DivisionCode>,
    case_id: Option<i64>,
    case_number: Option<String>,
}

impl SqlStore {
    async fn document_target(tx: &mut Tx<'_>, subject: &DocumentSubject) -> Result<DocumentTarget> {
        let county_of = |code: &DivisionCode| -> Result<DivisionCode> {
            DivisionCode::parse(code.county_prefix()).map_err(|e| corrupt("county code", e))
        };
        match subject {
            DocumentSubject::Case { case_id } => {
                let row = sqlx::query(
                    "SELECT county_code, village_code, township_code, number FROM cases \
                     WHERE id = $1",
                )
                .bind(case_id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_err)?
                .ok_or_else(|| StoreError::NotFound(format!("case {case_id}")))?;
                let township = division_col(&row, "township_code")?;
                let county = county_of(&township)?;
                Ok(DocumentTarget {
                    county: get(&row, "county_code")?,
                    division: division_col(&row, "village_code")?,
                    issuers: vec![township, county],
                    case_id: Some(*case_id),
                    case_number: Some(get(&row, "number")?),
                })
            }
            DocumentSubject::Grant { grant_id } => {
                let row = sqlx::query(
                    "SELECT county_code, township_code FROM delegation_grants WHERE id = $1",
                )
                .bind(grant_id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_err)?
                .ok_or_else(|| StoreError::NotFound(format!("grant {grant_id}")))?;
                let township = division_col(&row, "township_code")?;
                Ok(DocumentTarget {
                    county: get(&row, "county_code")?,
                    issuers: vec![county_of(&township)?],
                    division: township,
                    case_id: None,
                    case_number: None,
                })
            }
            DocumentSubject::Recheck { recheck_id } => {
                let row = sqlx::query(
                    "SELECT county_code, village_code, township_code, case_id FROM rechecks \
                     WHERE id = $1",
                )
                .bind(recheck_id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_err)?
                .ok_or_else(|| StoreError::NotFound(format!("recheck {recheck_id}")))?;
                let case_id: Option<i64> = get(&row, "case_id")?;
                let case_number: Option<String> = match case_id {
                    Some(id) => sqlx::query_scalar("SELECT number FROM cases WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(db_err)?,
                    None => None,
                };
                Ok(DocumentTarget {
                    county: get(&row, "county_code")?,
                    division: division_col(&row, "village_code")?,
                    issuers: vec![division_col(&row, "township_code")?],
                    case_id,
                    case_number,
                })
            }
            DocumentSubject::Roster {
                township,
                program,
                month,
            } => {
                // Printed once the township has settled it (月结): a generated roster
                // still changes.
                let status: Option<String> = sqlx::query_scalar(
                    "SELECT status FROM rosters WHERE county_code = $1 AND month_ym = $2 \
                     AND township_code = $3 AND program = $4",
                )
                .bind(township.county_prefix())
                .bind(month.index())
                .bind(township.as_str())
                .bind(program.as_str())
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_err)?;
                match status.as_deref() {
                    None => {
                        return Err(StoreError::NotFound(format!(
                            "roster of {township} {program} {month}"
                        )));
                    }
                    Some("generated") => {
                        return Err(jiuzhu_store::payroll::refused(
                            jiuzhu_store::payroll::codes::NOT_SETTLED,
                            format!("the roster of {township} {program} {month} is not settled"),
                            "花名册尚未月结，月结后才能打印归档",
                        ));
                    }
                    Some(_) => {}
                }
                Ok(DocumentTarget {
                    county: township.county_prefix().to_string(),
                    division: township.clone(),
                    issuers: vec![township.clone()],
                    case_id: None,
                    case_number: None,
                })
            }
            DocumentSubject::NoticeList { township, .. } => {
                if township.level() != jiuzhu_domain::DivisionLevel::Township
                    || !Self::division_exists(tx, township).await?
                {
                    return Err(StoreError::NotFound(format!("township {township}")));
                }
                Ok(DocumentTarget {
                    county: township.county_prefix().to_string(),
                    division: township.clone(),
                    issuers: vec![township.clone()],
                    case_id: None,
                    case_number: None,
                })
            }
        }
    }
}
