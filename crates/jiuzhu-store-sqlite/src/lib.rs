//! The SQLite backend of jiuzhu's `Store`: the embedded default (`sqlite://PATH`).
//!
//! WAL journal, foreign keys on, `BEGIN IMMEDIATE` for every write transaction so that a
//! writer never fails half-way on a lock upgrade, and a busy timeout for concurrent writers.
//! Write transactions run on a writer pool of one connection, reads on a pool of four.
#![forbid(unsafe_code)]

use std::str::FromStr;
use std::time::Duration;

use jiuzhu_store::error::redact_url;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub type Db = sqlx::Sqlite;

/// Page cache of the writer connection: `cache_size` in KiB when negative (64 MiB), enough
/// for the upper levels of every index and the recently written pages.
const WRITER_CACHE_SIZE: &str = "-65536";
const BACKEND: &str = "sqlite";

/// The migrations (version, description, SQL), embedded. Never edit an applied one: add a
/// new one, with the same number in both backends.
#[rustfmt::skip]
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../migrations/0001_foundation.sql")),
    (2, "households", include_str!("../migrations/0002_households.sql")),
    (3, "delegation", include_str!("../migrations/0003_delegation.sql")),
    (4, "audit_guards", include_str!("../migrations/0004_audit_guards.sql")),
    (5, "cases", include_str!("../migrations/0005_cases.sql")),
    (
        6,
        "public_reports",
        include_str!("../migrations/0006_public_reports.sql"),
    ),
    (7, "documents", include_str!("../migrations/0007_documents.sql")),
    (8, "payroll", include_str!("../migrations/0008_payroll.sql")),
    (
        9,
        "supervision",
        include_str!("../migrations/0009_supervision.sql"),
    ),
    (10, "dynamic", include_str!("../migrations/0010_dynamic.sql")),
    (
        11,
        "corrections",
        include_str!("../migrations/0011_corrections.sql"),
    ),
];

/// `BEGIN IMMEDIATE` takes the database's write lock: one writer at a time, from the start
/// of its transaction.
const WRITE_TRANSACTIONS_EXCLUSIVE: bool = true;

async fn begin_write(pool: &Pool<Db>) -> sqlx::Result<Transaction<'static, Db>> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// [`begin_write`] on a connection the caller already holds.
async fn begin_write_on(
    conn: &mut <Db as sqlx::Database>::Connection,
) -> sqlx::Result<Transaction<'_, Db>> {
    sqlx::Connection::begin_with(conn, "BEGIN IMMEDIATE").await
}

/// A read transaction that sees one snapshot throughout: a deferred `BEGIN` whose first read
/// fixes the WAL snapshot until the transaction ends; writers go on meanwhile.
async fn begin_read_snapshot(pool: &Pool<Db>) -> sqlx::Result<Transaction<'static, Db>> {
    pool.begin().await
}

/// PostgreSQL streams some reads with `COPY … TO STDOUT`; SQLite has no COPY, so there is no
/// such stream here and [`copy_out`] answers `None` (the caller pages with queries).
struct CopyOut<'c>(std::convert::Infallible, std::marker::PhantomData<&'c ()>);

impl CopyOut<'_> {
    async fn next(&mut self) -> Option<sqlx::Result<Vec<u8>>> {
        match self.0 {}
    }
}

async fn copy_out<'c>(
    _conn: &'c mut <Db as sqlx::Database>::Connection,
    _statement: &str,
) -> sqlx::Result<Option<CopyOut<'c>>> {
    Ok(None)
}

fn classify(e: &sqlx::Error) -> Option<StoreError> {
    let sqlx::Error::Database(d) = e else {
        return None;
    };
    // SQLITE_READONLY (8) and its extended codes (264, 520, 776, 1032, 1288 …)
    let code: i64 = d.code().and_then(|c| c.parse().ok())?;
    if code & 0xff == 8 {
        return Some(StoreError::ReadOnly(d.message().to_string()));
    }
    None
}

include!("../../jiuzhu-store/sql/store.rs");
include!("../../jiuzhu-store/sql/payroll.rs");
include!("../../jiuzhu-store/sql/supervision.rs");
include!("../../jiuzhu-store/sql/dynamic.rs");
include!("../../jiuzhu-store/sql/correction.rs");

/// Opens (creating if missing, unless `mode=ro`) and migrates a SQLite database.
/// `url` is `sqlite://PATH` or `sqlite:PATH`, with sqlx's options such as `?mode=ro`.
pub async fn open(url: &str) -> Result<SqlStore> {
    let unavailable = |reason: String| StoreError::Unavailable {
        url: redact_url(url),
        reason,
    };
    let read_only = url.contains("mode=ro");
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| unavailable(e.to_string()))?
        .create_if_missing(!read_only)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let options = if read_only {
        options
    } else {
        options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
    };
    // A ping checks a network connection; a SQLite connection is a file handle, and every
    // ping is a round trip to the connection's worker thread.
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(15))
        .test_before_acquire(false)
        .connect_with(options.clone())
        .await
        .map_err(|e| match classify(&e) {
            Some(StoreError::ReadOnly(m)) => StoreError::ReadOnly(m),
            _ => unavailable(e.to_string()),
        })?;
    migrate(&pool).await?;
    // Write transactions get one connection of their own. SQLite runs one writer at a time
    // anyway (`BEGIN IMMEDIATE`); with one writer connection they queue in the pool instead
    // of sleeping on the busy timeout, and its page cache stays valid from one command to
    // the next: a connection discards its whole cache whenever another connection has
    // written, so with writes spread over the pool every command read its pages again.
    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(15))
        .test_before_acquire(false)
        .connect_lazy_with(
            options
                .pragma("cache_size", WRITER_CACHE_SIZE)
                // Temporary tables (a county's roster lines while they are numbered) in
                // memory: they never outlive their transaction; nothing durable changes.
                .pragma("temp_store", "memory"),
        );
    Ok(SqlStore::with_writer(pool, writer))
}
