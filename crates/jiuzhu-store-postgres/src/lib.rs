//! The PostgreSQL backend of jiuzhu's `Store`, for production (`postgres://…`).
//!
//! Row locks on `chain_heads` serialize appends per county chain; everything else runs
//! under READ COMMITTED with unique constraints as the last line against races.
#![forbid(unsafe_code)]

use std::str::FromStr;
use std::time::Duration;

use jiuzhu_store::error::redact_url;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub type Db = sqlx::Postgres;
const BACKEND: &str = "postgres";

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

/// Writers run concurrently under READ COMMITTED; row locks order them.
const WRITE_TRANSACTIONS_EXCLUSIVE: bool = false;

async fn begin_write(pool: &Pool<Db>) -> sqlx::Result<Transaction<'static, Db>> {
    pool.begin().await
}

/// [`begin_write`] on a connection the caller already holds.
async fn begin_write_on(
    conn: &mut <Db as sqlx::Database>::Connection,
) -> sqlx::Result<Transaction<'_, Db>> {
    sqlx::Connection::begin(conn).await
}

/// A read transaction that sees one snapshot throughout (REPEATABLE READ takes it at the
/// first query), without blocking writers.
async fn begin_read_snapshot(pool: &Pool<Db>) -> sqlx::Result<Transaction<'static, Db>> {
    pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await
}

/// The rows of a `COPY (…) TO STDOUT` (text format) as they arrive, in chunks of whole rows.
/// SQLite has no COPY: its [`copy_out`] answers `None` and the caller pages with queries.
struct CopyOut<'c>(futures_core::stream::BoxStream<'c, sqlx::Result<bytes::Bytes>>);

impl CopyOut<'_> {
    /// The next chunk, `None` after the last.
    async fn next(&mut self) -> Option<sqlx::Result<bytes::Bytes>> {
        std::future::poll_fn(|cx| self.0.as_mut().poll_next(cx)).await
    }
}

/// Starts `statement` (a `COPY … TO STDOUT`, simple query protocol: no parameters) on
/// `conn`. The stream must be read to its end, or the connection closed: until then the
/// connection is in the middle of the COPY.
async fn copy_out<'c>(
    conn: &'c mut <Db as sqlx::Database>::Connection,
    statement: &str,
) -> sqlx::Result<Option<CopyOut<'c>>> {
    Ok(Some(CopyOut(conn.copy_out_raw(statement).await?)))
}

fn classify(e: &sqlx::Error) -> Option<StoreError> {
    let sqlx::Error::Database(d) = e else {
        return None;
    };
    match d.code()?.as_ref() {
        // read_only_sql_transaction
        "25006" => Some(StoreError::ReadOnly(d.message().to_string())),
        // insufficient_privilege
        "42501" => Some(StoreError::ReadOnly(d.message().to_string())),
        _ => None,
    }
}

include!("../../jiuzhu-store/sql/store.rs");
include!("../../jiuzhu-store/sql/payroll.rs");
include!("../../jiuzhu-store/sql/supervision.rs");
include!("../../jiuzhu-store/sql/dynamic.rs");
include!("../../jiuzhu-store/sql/correction.rs");

/// Connects to and migrates a PostgreSQL database. `search_path` (for example one schema
/// per test run) can be given as `?options=-c%20search_path%3Dname`, or with
/// [`open_with`].
pub async fn open(url: &str) -> Result<SqlStore> {
    let options = PgConnectOptions::from_str(url).map_err(|e| StoreError::Unavailable {
        url: redact_url(url),
        reason: e.to_string(),
    })?;
    open_with(url, options).await
}

/// Like [`open`] with ready-made connection options.
pub async fn open_with(url: &str, options: PgConnectOptions) -> Result<SqlStore> {
    // One direct connection first: an unreachable server fails at once with its reason,
    // instead of after the pool's retry window.
    let unavailable = |e: sqlx::Error| StoreError::Unavailable {
        url: redact_url(url),
        reason: e.to_string(),
    };
    let probe = sqlx::PgConnection::connect_with(&options)
        .await
        .map_err(unavailable)?;
    probe.close().await.map_err(unavailable)?;
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(unavailable)?;
    migrate(&pool).await?;
    Ok(SqlStore::from_pool(pool))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_rows_split_on_tabs_and_undo_escapes() {
        let fields = |row: &[u8]| copy_text_row(row, |f: [&str; 3]| Ok(f.map(String::from)));
        assert_eq!(
            fields(b"1\t330212001000\t\xe5\xbc\xa0\xe6\x9f\x90").unwrap(),
            ["1", "330212001000", "张某"]
        );
        assert_eq!(
            fields(b"a\\\\b\\tc\\n\tx\\r\\b\\f\\v\t").unwrap(),
            ["a\\b\tc\n", "x\r\u{8}\u{c}\u{b}", ""]
        );
        assert!(fields(b"1\t2").is_err());
        assert!(fields(b"1\t2\t3\t4").is_err());
        assert!(fields(b"1\t\\N\t3").is_err());
        assert!(fields(b"1\t\\x\t3").is_err());
        assert!(fields(b"1\t\xff\t3").is_err());
    }
}
