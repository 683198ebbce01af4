//! Test databases for jiuzhu's test suites, and the store conformance suite.
//!
//! [`TestDb::sqlite`] makes a fresh SQLite file in a temporary directory. [`TestDb::postgres`]
//! makes a fresh schema in the PostgreSQL database named by `JIUZHU_TEST_POSTGRES_URL`
//! (CI sets it to the machine's server) and drops it again in [`TestDb::cleanup`]. Without
//! that variable the PostgreSQL tests report that they were skipped; CI sets
//! `JIUZHU_REQUIRE_POSTGRES=1` as well, which turns a missing variable or an unreachable
//! server into a failure.
#![forbid(unsafe_code)]

pub mod conformance;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use jiuzhu_store::{Store, StoreError};
use sqlx::AssertSqlSafe;
use sqlx::postgres::PgConnectOptions;

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "JIUZHU_TEST_POSTGRES_URL";
/// Set to `1` to make PostgreSQL tests fail instead of skipping when the URL is missing.
pub const REQUIRE_POSTGRES_VAR: &str = "JIUZHU_REQUIRE_POSTGRES";

static COUNTER: AtomicU32 = AtomicU32::new(0);

enum Backend {
    Sqlite { dir: PathBuf, path: PathBuf },
    Postgres { admin: sqlx::PgPool, schema: String },
}

/// A fresh, migrated database for one test.
pub struct TestDb {
    pub store: Arc<dyn Store>,
    /// The URL the store was opened with (for tests that open it again, e.g. the CLI).
    pub url: String,
    backend: Backend,
}

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

impl TestDb {
    /// A fresh SQLite database file.
    pub async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(unique("jiuzhu_test"));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        let path = dir.join("test.db");
        let url = format!("sqlite://{}", path.display());
        let store = jiuzhu_store_sqlite::open(&url).await.expect("open sqlite");
        TestDb {
            store: Arc::new(store),
            url,
            backend: Backend::Sqlite { dir, path },
        }
    }

    /// A fresh schema on the test PostgreSQL server, or `None` (skip) when none is
    /// configured and not required.
    pub async fn postgres() -> Option<TestDb> {
        let required = std::env::var(REQUIRE_POSTGRES_VAR).is_ok_and(|v| v == "1");
        let Ok(base) = std::env::var(POSTGRES_URL_VAR) else {
            assert!(
                !required,
                "{REQUIRE_POSTGRES_VAR}=1 but {POSTGRES_URL_VAR} is not set"
            );
            eprintln!("skipped: set {POSTGRES_URL_VAR} to run the PostgreSQL suite");
            return None;
        };
        let admin = sqlx::PgPool::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {POSTGRES_URL_VAR} is unreachable: {e}"));
        let schema = unique("jz_t");
        sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&admin)
            .await
            .expect("create schema");
        let options = PgConnectOptions::from_str(&base)
            .expect("parse postgres url")
            .options([("search_path", schema.as_str())]);
        let store = jiuzhu_store_postgres::open_with(&base, options)
            .await
            .expect("open postgres store");
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Some(TestDb {
            store: Arc::new(store),
            url,
            backend: Backend::Postgres { admin, schema },
        })
    }

    /// A second store on the same database that runs case commands by `rules` (an
    /// installation's profiles and calendar) instead of the built-in ones.
    pub async fn reopened_with_rules(&self, rules: Arc<jiuzhu_store::Rules>) -> Arc<dyn Store> {
        match &self.backend {
            Backend::Sqlite { .. } => Arc::new(
                jiuzhu_store_sqlite::open(&self.url)
                    .await
                    .expect("reopen sqlite")
                    .with_rules(rules),
            ),
            Backend::Postgres { .. } => Arc::new(
                jiuzhu_store_postgres::open(&self.url)
                    .await
                    .expect("reopen postgres")
                    .with_rules(rules),
            ),
        }
    }

    /// Runs raw SQL against the database, bypassing the store (for tamper tests).
    pub async fn exec_raw(&self, sql: &str) -> Result<u64, StoreError> {
        let map = |e: sqlx::Error| StoreError::Database(e.to_string());
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                    .await
                    .map_err(map)?;
                let r = sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                    .execute(&pool)
                    .await
                    .map_err(map)?;
                pool.close().await;
                Ok(r.rows_affected())
            }
            Backend::Postgres { admin, schema } => {
                let mut conn = admin.acquire().await.map_err(map)?;
                sqlx::query(AssertSqlSafe(format!("SET search_path TO {schema}")))
                    .execute(&mut *conn)
                    .await
                    .map_err(map)?;
                let r = sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                    .execute(&mut *conn)
                    .await
                    .map_err(map)?;
                sqlx::query("SET search_path TO DEFAULT")
                    .execute(&mut *conn)
                    .await
                    .map_err(map)?;
                Ok(r.rows_affected())
            }
        }
    }

    /// Runs a raw query against the database, bypassing the store, and returns the first
    /// column of every row as text (for tests that look at what was stored).
    pub async fn query_text(&self, sql: &str) -> Result<Vec<String>, StoreError> {
        let map = |e: sqlx::Error| StoreError::Database(e.to_string());
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                    .await
                    .map_err(map)?;
                let rows: Vec<String> = sqlx::query_scalar(AssertSqlSafe(sql.to_string()))
                    .fetch_all(&pool)
                    .await
                    .map_err(map)?;
                pool.close().await;
                Ok(rows)
            }
            Backend::Postgres { admin, schema } => {
                let mut conn = admin.acquire().await.map_err(map)?;
                sqlx::query(AssertSqlSafe(format!("SET search_path TO {schema}")))
                    .execute(&mut *conn)
                    .await
                    .map_err(map)?;
                let rows = sqlx::query_scalar(AssertSqlSafe(sql.to_string()))
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(map);
                sqlx::query("SET search_path TO DEFAULT")
                    .execute(&mut *conn)
                    .await
                    .map_err(map)?;
                rows
            }
        }
    }

    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }

    /// Removes the database (file or schema).
    pub async fn cleanup(self) {
        match self.backend {
            Backend::Sqlite { dir, .. } => {
                drop(self.store);
                let _ = std::fs::remove_dir_all(dir);
            }
            Backend::Postgres { admin, schema } => {
                drop(self.store);
                let _ = sqlx::query(AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                    .execute(&admin)
                    .await;
            }
        }
    }
}
