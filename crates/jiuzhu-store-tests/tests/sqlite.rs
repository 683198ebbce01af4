//! The conformance suite on SQLite, plus SQLite-specific migration behaviour.
#[macro_use]
mod common;

use jiuzhu_store::{SCHEMA_VERSION, StoreError};
use jiuzhu_store_tests::TestDb;

async fn sqlite() -> Option<TestDb> {
    Some(TestDb::sqlite().await)
}

all_conformance_tests!(sqlite);

#[tokio::test]
async fn an_older_database_is_upgraded_in_place() {
    let dir = std::env::temp_dir().join(format!("jiuzhu_upgrade_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("old.db").display());
    // A database as version 1 of jiuzhu left it, with data in it.
    let opts = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url)
        .unwrap()
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
    jiuzhu_store_sqlite::migrator()
        .run_to(1, &pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO divisions (code, parent_code, level, name, note) VALUES ('640000', NULL, '省级', '宁夏回族自治区', 'kept')")
        .execute(&pool).await.unwrap();
    pool.close().await;
    // Opening it with this build migrates to the current version and keeps the data.
    let store = jiuzhu_store_sqlite::open(&url).await.unwrap();
    use jiuzhu_store::Store;
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    let kept = store
        .division(&jiuzhu_domain::DivisionCode::parse("640000").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.note, "kept");
    drop(store);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_newer_database_is_refused() {
    let db = TestDb::sqlite().await;
    db.exec_raw("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99, 'from the future', 1, x'00', 0)")
        .await
        .unwrap();
    let err = jiuzhu_store_sqlite::open(&db.url).await.unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 99, known } if known == SCHEMA_VERSION),
        "{err:?}"
    );
    assert!(err.to_string().contains("newer"));
    db.cleanup().await;
}

#[tokio::test]
async fn a_read_only_database_is_reported() {
    let db = TestDb::sqlite().await;
    let url = format!("{}?mode=ro", db.url);
    // Reading works; writing is refused with a specific error, leaving nothing behind.
    let store = jiuzhu_store_sqlite::open(&url)
        .await
        .expect("open read-only");
    use jiuzhu_store::Store;
    let rows = jiuzhu_store::divisions::parse(jiuzhu_store::divisions::BUILTIN).unwrap();
    let ctx = jiuzhu_store::CommandContext::new(
        jiuzhu_store::Actor::system("t"),
        "k",
        chrono::Utc::now(),
    );
    let err = store.load_divisions(&ctx, &rows).await.unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly(_)), "{err:?}");
    drop(store);
    db.cleanup().await;
}

#[tokio::test]
async fn an_unopenable_path_is_reported() {
    let err = jiuzhu_store_sqlite::open("sqlite:///nonexistent-dir/x/y.db")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable { .. }), "{err:?}");
}
