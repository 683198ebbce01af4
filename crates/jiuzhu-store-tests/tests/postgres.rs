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

#[tokio::test]
async fn an_older_database_is_upgraded_in_place() {
    // Reuse the harness only for the server and a unique schema name, then rebuild that
    // schema as version 1 of jiuzhu left it.
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    db.exec_raw(
        "DO $$ DECLARE r record; BEGIN \
         FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP \
         EXECUTE 'DROP TABLE ' || quote_ident(r.tablename) || ' CASCADE'; END LOOP; \
         DROP FUNCTION IF EXISTS events_append_only() CASCADE; END $$;",
    )
    .await
    .unwrap();
    let schema: String = {
        let (_, s) = db.url.rsplit_once("search_path%3D").unwrap();
        s.to_string()
    };
    let base = std::env::var(jiuzhu_store_tests::POSTGRES_URL_VAR).unwrap();
    let options = <sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(&base)
        .unwrap()
        .options([("search_path", schema.as_str())]);
    let pool = sqlx::PgPool::connect_with(options.clone()).await.unwrap();
    jiuzhu_store_postgres::migrator()
        .run_to(1, &pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO divisions (code, parent_code, level, name, note) VALUES ('640000', NULL, '省级', '宁夏回族自治区', 'kept')")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let store = jiuzhu_store_postgres::open_with(&base, options)
        .await
        .unwrap();
    use jiuzhu_store::Store;
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    let kept = store
        .division(&jiuzhu_domain::DivisionCode::parse("640000").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.note, "kept");
    drop(store);
    db.cleanup().await;
}
