//! The conformance suite on PostgreSQL (`JIUZHU_TEST_POSTGRES_URL`), plus migration checks.
#[macro_use]
mod common;

use jiuzhu_store::{SCHEMA_VERSION, StoreError};
use jiuzhu_store_tests::TestDb;

all_conformance_tests!(TestDb::postgres);

#[tokio::test]
async fn a_newer_database_is_refused() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    db.exec_raw("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99, 'from the future', true, '\\x00', 0)")
        .await
        .unwrap();
    let err = jiuzhu_store_postgres::open(&db.url).await.unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 99, known } if known == SCHEMA_VERSION),
        "{err:?}"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn reopening_keeps_the_data() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    jiuzhu_store::demo::seed(&*db.store, 5).await.unwrap();
    let again = jiuzhu_store_postgres::open(&db.url).await.unwrap();
    use jiuzhu_store::Store;
    assert_eq!(again.schema_version().await.unwrap(), SCHEMA_VERSION);
    let counts = again
        .counts(&jiuzhu_store::Actor::system("t"))
        .await
        .unwrap();
    assert_eq!(counts.households, 5);
    drop(again);
    db.cleanup().await;
}

#[tokio::test]
async fn an_unreachable_server_is_reported() {
    let err = jiuzhu_store_postgres::open("postgres://postgres:secret@127.0.0.1:1/test")
        .await
        .unwrap_err();
    let StoreError::Unavailable { url, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(!url.contains("secret"), "password must be redacted: {url}");
}
