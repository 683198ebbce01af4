//! The store conformance suite: every function takes a fresh [`TestDb`] and panics on a
//! failed expectation. `tests/sqlite.rs` and `tests/postgres.rs` run each of them.

use chrono::{Duration, NaiveDate, Utc};
use jiuzhu_domain::case;
use jiuzhu_domain::delegation::{Authority, CountyReason};
use jiuzhu_domain::{DivisionCode, Fen, IdNumber, PersonName, Program, Relation, Role};
use jiuzhu_store::auth::{UserActor, hash_password, secret_digest};
use jiuzhu_store::{
    Actor, CaseFilter, Command, CommandContext, CommandOutcome, HouseholdFilter, NewGrant,
    NewHousehold, NewMember, NewSession, NewUser, PageRequest, SCHEMA_VERSION, StoreError,
    divisions,
};

use crate::TestDb;

mod supervision;
pub use supervision::*;

fn code(s: &str) -> DivisionCode {
    DivisionCode::parse(s).expect("valid test code")
}

fn system() -> Actor {
    Actor::system("test")
}

fn ctx(actor: &Actor, key: &str) -> CommandContext {
    CommandContext::new(actor.clone(), key, Utc::now())
}

/// A password hash computed once per process (argon2 is deliberately slow).
fn test_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("test-password-1").expect("hash"))
        .clone()
}

pub const XUNCHANG: &str = "511526101000"; // 珙县 巡场镇
pub const XUNCHANG_VILLAGE: &str = "511526101201"; // 新林村
pub const GONGQUAN: &str = "511526100000"; // 珙县 珙泉镇
pub const GONGQUAN_VILLAGE: &str = "511526100205"; // 鱼竹村
pub const LINGWU_VILLAGE: &str = "640181100200"; // 灵武市 东塔镇 城一村
pub const TAISHAN: &str = "370902"; // 泰安市 泰山区

async fn load(db: &TestDb) {
    let rows = divisions::parse(divisions::BUILTIN).expect("builtin divisions");
    db.store
        .load_divisions(&ctx(&system(), "load"), &rows)
        .await
        .expect("load divisions");
}

/// Creates an account and returns it as an actor.
async fn account(db: &TestDb, username: &str, role: Role, division: &str) -> Actor {
    let executed = db
        .store
        .execute(
            &ctx(&system(), &format!("user-{username}")),
            Command::CreateUser(NewUser {
                username: username.into(),
                display_name: format!("测试{username}"),
                role,
                division: code(division),
                password_hash: test_hash(),
            }),
        )
        .await
        .expect("create user");
    let CommandOutcome::UserCreated { user_id } = executed.outcome else {
        panic!("unexpected outcome {:?}", executed.outcome)
    };
    Actor::User(UserActor {
        id: user_id,
        username: username.into(),
        role,
        division: code(division),
    })
}

static SEQ: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(1);

/// A valid, unique ID number in the county of `village`.
pub fn id_in(village: &str) -> IdNumber {
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let birth = NaiveDate::from_ymd_opt(
        1960 + i32::from(n % 40),
        1 + u32::from(n % 12),
        1 + u32::from(n % 28),
    )
    .expect("date");
    IdNumber::from_parts(&village[..6], birth, n % 1000).expect("id")
}

pub fn household(village: &str, members: usize) -> NewHousehold {
    let mut list = vec![NewMember {
        name: PersonName::parse("张某华").expect("name"),
        id_number: id_in(village),
        relation: Relation::Head,
    }];
    for _ in 1..members {
        list.push(NewMember {
            name: PersonName::parse("李某芳").expect("name"),
            id_number: id_in(village),
            relation: Relation::Child,
        });
    }
    NewHousehold {
        division: code(village),
        address: "测试地址1号".into(),
        members: list,
        demo: false,
    }
}

async fn register(
    db: &TestDb,
    actor: &Actor,
    key: &str,
    h: NewHousehold,
) -> Result<i64, StoreError> {
    let done = db
        .store
        .execute(&ctx(actor, key), Command::RegisterHousehold(h))
        .await?;
    match done.outcome {
        CommandOutcome::HouseholdRegistered { household_id } => Ok(household_id),
        other => panic!("unexpected outcome {other:?}"),
    }
}

async fn event_count(db: &TestDb) -> u64 {
    db.store.verify_chain().await.expect("verify").events
}

pub async fn migrations_are_applied(db: &TestDb) {
    assert_eq!(db.store.schema_version().await.unwrap(), SCHEMA_VERSION);
}

pub async fn divisions_load_once_and_are_audited(db: &TestDb) {
    let rows = divisions::parse(divisions::BUILTIN).unwrap();
    let changed = db
        .store
        .load_divisions(&ctx(&system(), "a"), &rows)
        .await
        .unwrap();
    assert_eq!(changed, rows.len() as u64);
    let events = event_count(db).await;
    assert_eq!(events, 1);
    // Loading the same file again changes nothing and writes no event.
    let again = db
        .store
        .load_divisions(&ctx(&system(), "b"), &rows)
        .await
        .unwrap();
    assert_eq!(again, 0);
    assert_eq!(event_count(db).await, 1);
    let gx = db.store.division(&code("511526")).await.unwrap().unwrap();
    assert_eq!(gx.name, "珙县");
    // A user cannot load divisions.
    let cw = account(db, "cw1", Role::TownshipCaseworker, XUNCHANG).await;
    let err = db
        .store
        .load_divisions(&ctx(&cw, "c"), &rows)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
    // Scoped listing of divisions.
    let visible = db.store.divisions(&cw, None).await.unwrap();
    assert!(!visible.is_empty());
    assert!(
        visible
            .iter()
            .all(|d| d.code.as_str().starts_with("511526101"))
    );
}

pub async fn accounts_are_checked_and_scoped(db: &TestDb) {
    load(db).await;
    let admin = account(db, "gx.admin", Role::CountyAdmin, "511526").await;
    // Role must fit the division level.
    let bad = NewUser {
        username: "bad.level".into(),
        display_name: "x".into(),
        role: Role::TownshipCaseworker,
        division: code("511526"),
        password_hash: test_hash(),
    };
    let err = db
        .store
        .execute(&ctx(&admin, "k1"), Command::CreateUser(bad))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    // A county admin creates accounts in the county, not elsewhere.
    let mk = |name: &str, division: &str| {
        Command::CreateUser(NewUser {
            username: name.into(),
            display_name: "测试".into(),
            role: Role::TownshipCaseworker,
            division: code(division),
            password_hash: test_hash(),
        })
    };
    db.store
        .execute(&ctx(&admin, "k2"), mk("gx.cw", XUNCHANG))
        .await
        .unwrap();
    let err = db
        .store
        .execute(&ctx(&admin, "k3"), mk("lw.cw", "640181100000"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
    // Duplicate username.
    let err = db
        .store
        .execute(&ctx(&admin, "k4"), mk("gx.cw", XUNCHANG))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::UsernameTaken(u) if u == "gx.cw"),
        "{err:?}"
    );
    // Invalid username.
    let err = db
        .store
        .execute(&ctx(&admin, "k5"), mk("张三", XUNCHANG))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    // Unknown division (valid code, not loaded).
    let err = db
        .store
        .execute(&ctx(&system(), "k6"), mk("x.cw", "511526399000"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    // A caseworker cannot create accounts.
    let cw = account(db, "gx.cw2", Role::TownshipCaseworker, XUNCHANG).await;
    let err = db
        .store
        .execute(&ctx(&cw, "k7"), mk("gx.cw3", XUNCHANG))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
    // Scoped reads of accounts.
    let lw_admin = account(db, "lw.admin", Role::CountyAdmin, "640181").await;
    let Actor::User(cw_user) = &cw else {
        unreachable!()
    };
    assert!(db.store.user(&admin, cw_user.id).await.is_ok());
    let err = db.store.user(&lw_admin, cw_user.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let listed = db
        .store
        .users(&admin, PageRequest::default())
        .await
        .unwrap();
    assert!(
        listed
            .items
            .iter()
            .all(|u| u.division.as_str().starts_with("511526"))
    );
    assert_eq!(listed.total, 3);
    assert!(matches!(
        db.store
            .users(&cw, PageRequest::default())
            .await
            .unwrap_err(),
        StoreError::Forbidden(_)
    ));
    // Account changes are audited on the county's chain.
    let Actor::User(admin_user) = &admin else {
        unreachable!()
    };
    let events = db
        .store
        .events_for(&admin, &format!("user:{}", admin_user.id))
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "account.user_created");
    assert_eq!(events[0].chain, "511526");
    // Deactivation needs a reason and is audited.
    let deactivate = |reason: &str| Command::SetUserActive {
        user_id: cw_user.id,
        active: false,
        reason: reason.into(),
    };
    let err = db
        .store
        .execute(&ctx(&admin, "k8"), deactivate(" "))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    db.store
        .execute(&ctx(&admin, "k9"), deactivate("调离岗位"))
        .await
        .unwrap();
    assert!(!db.store.user(&admin, cw_user.id).await.unwrap().active);
    let err = db
        .store
        .execute(&ctx(&lw_admin, "k10"), deactivate("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
}

pub async fn commands_are_idempotent(db: &TestDb) {
    load(db).await;
    let cw = account(db, "caseworker", Role::TownshipCaseworker, XUNCHANG).await;
    let h = household(XUNCHANG_VILLAGE, 2);
    let first = db
        .store
        .execute(&ctx(&cw, "same-key"), Command::RegisterHousehold(h.clone()))
        .await
        .unwrap();
    assert!(!first.replayed);
    let events = event_count(db).await;
    let again = db
        .store
        .execute(&ctx(&cw, "same-key"), Command::RegisterHousehold(h.clone()))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.outcome, first.outcome);
    assert_eq!(event_count(db).await, events, "a replay writes no event");
    assert_eq!(db.store.counts(&cw).await.unwrap().households, 1);
    // The same key for another request is refused.
    let other = household(XUNCHANG_VILLAGE, 1);
    let err = db
        .store
        .execute(&ctx(&cw, "same-key"), Command::RegisterHousehold(other))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::IdempotencyKeyReused), "{err:?}");
    // Another account cannot replay this account's result with the same key and request.
    let admin = account(db, "gx.admin", Role::CountyAdmin, "511526").await;
    let err = db
        .store
        .execute(
            &ctx(&admin, "same-key"),
            Command::RegisterHousehold(h.clone()),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::IdempotencyKeyReused), "{err:?}");
    // Malformed keys.
    let err = db
        .store
        .execute(&ctx(&cw, ""), Command::RegisterHousehold(h.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let err = db
        .store
        .execute(&ctx(&cw, "has space"), Command::RegisterHousehold(h))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
}

pub async fn concurrent_commands_keep_the_chain(db: &TestDb) {
    load(db).await;
    let cw = account(db, "caseworker", Role::TownshipCaseworker, XUNCHANG).await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let store = db.store.clone();
        let actor = cw.clone();
        // Three requests share each key: retries racing the first attempt.
        let key = format!("race-{}", i / 3);
        let h = household(XUNCHANG_VILLAGE, 1);
        let h = if i % 3 == 0 { h } else { h.clone() };
        tasks.push((i, key, h, store, actor));
    }
    // Requests with the same key must be identical: build them per key.
    let mut per_key = std::collections::HashMap::new();
    let mut handles = Vec::new();
    for (_, key, h, store, actor) in tasks {
        let h = per_key.entry(key.clone()).or_insert(h).clone();
        handles.push(tokio::spawn(async move {
            store
                .execute(
                    &CommandContext::new(actor, key, Utc::now()),
                    Command::RegisterHousehold(h),
                )
                .await
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for h in handles {
        let done = h.await.expect("task").expect("command");
        if let CommandOutcome::HouseholdRegistered { household_id } = done.outcome {
            ids.insert(household_id);
        }
    }
    assert_eq!(ids.len(), 4, "one household per key");
    assert_eq!(db.store.counts(&cw).await.unwrap().households, 4);
    let report = db.store.verify_chain().await.unwrap();
    assert!(report.first_break.is_none(), "{:?}", report.first_break);
}

pub async fn households_are_validated(db: &TestDb) {
    load(db).await;
    let cw = account(db, "caseworker", Role::TownshipCaseworker, XUNCHANG).await;
    let h = household(XUNCHANG_VILLAGE, 3);
    let id = register(db, &cw, "h1", h.clone()).await.unwrap();
    let got = db.store.household(&cw, id).await.unwrap();
    assert_eq!(got.members.len(), 3);
    assert_eq!(got.head().unwrap().name.as_str(), "张某华");
    assert_eq!(
        got.members[0].birth_date,
        h.members[0].id_number.birth_date()
    );
    assert_eq!(got.division_name, "新林村");
    let before = event_count(db).await;
    // The same person cannot be in two households; the error masks the number.
    let mut dup = household(XUNCHANG_VILLAGE, 1);
    dup.members[0].id_number = h.members[1].id_number.clone();
    let err = register(db, &cw, "h2", dup).await.unwrap_err();
    let StoreError::IdNumberRegistered { member: 1, masked } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(masked, &h.members[1].id_number.masked());
    assert!(
        !err.to_string().contains(h.members[1].id_number.as_str()),
        "{err}"
    );
    // A household needs exactly one head.
    let mut headless = household(XUNCHANG_VILLAGE, 2);
    headless.members[0].relation = Relation::Spouse;
    assert!(matches!(
        register(db, &cw, "h3", headless).await.unwrap_err(),
        StoreError::Invalid(_)
    ));
    // Households live at villages.
    let mut at_town = household(XUNCHANG_VILLAGE, 1);
    at_town.division = code(XUNCHANG);
    assert!(matches!(
        register(db, &cw, "h4", at_town).await.unwrap_err(),
        StoreError::Invalid(_)
    ));
    // Failed commands leave nothing behind: no event, no household.
    assert_eq!(event_count(db).await, before);
    assert_eq!(db.store.counts(&cw).await.unwrap().households, 1);
    assert_eq!(db.store.counts(&cw).await.unwrap().members, 3);
    // A village assistant registers in their village only; a reviewer cannot register.
    let va = account(db, "assistant", Role::VillageAssistant, XUNCHANG_VILLAGE).await;
    register(db, &va, "h5", household(XUNCHANG_VILLAGE, 1))
        .await
        .unwrap();
    let err = register(db, &va, "h6", household("511526101204", 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
    let rv = account(db, "reviewer", Role::TownshipReviewer, XUNCHANG).await;
    let err = register(db, &rv, "h7", household(XUNCHANG_VILLAGE, 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
}

pub async fn jurisdiction_scoping_holds(db: &TestDb) {
    load(db).await;
    let cw_xc = account(db, "cw.xc", Role::TownshipCaseworker, XUNCHANG).await;
    let cw_gq = account(db, "cw.gq", Role::TownshipCaseworker, GONGQUAN).await;
    let gx_admin = account(db, "gx.admin", Role::CountyAdmin, "511526").await;
    let lw_admin = account(db, "lw.admin", Role::CountyAdmin, "640181").await;
    let ta_sup = account(db, "ta.sup", Role::CountySupervisor, "370900").await;
    let ts_cw = account(db, "ts.cw", Role::TownshipCaseworker, "370902001000").await;

    let a = register(db, &cw_xc, "a", household(XUNCHANG_VILLAGE, 2))
        .await
        .unwrap();
    let b = register(db, &cw_gq, "b", household(GONGQUAN_VILLAGE, 1))
        .await
        .unwrap();
    let c = register(db, &system(), "c", household(LINGWU_VILLAGE, 1))
        .await
        .unwrap();
    let ts_village = db
        .store
        .divisions(&ts_cw, None)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.code.level() == jiuzhu_domain::DivisionLevel::Village)
        .unwrap();
    let d = register(db, &ts_cw, "d", household(ts_village.code.as_str(), 1))
        .await
        .unwrap();

    // Guessing another township's id: not found, exactly like a missing id.
    for (actor, foreign) in [
        (&cw_xc, b),
        (&cw_gq, a),
        (&cw_xc, c),
        (&gx_admin, c),
        (&lw_admin, a),
        (&ts_cw, a),
    ] {
        let err = db.store.household(actor, foreign).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
        let err = db
            .store
            .events_for(actor, &format!("household:{foreign}"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    }
    let missing = db.store.household(&cw_xc, 999_999).await.unwrap_err();
    assert!(matches!(missing, StoreError::NotFound(_)));
    // Registering into another township is forbidden.
    let err = register(db, &cw_xc, "e", household(GONGQUAN_VILLAGE, 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");

    let ids = |p: jiuzhu_store::Page<jiuzhu_store::HouseholdSummary>| {
        p.items.into_iter().map(|h| h.id).collect::<Vec<_>>()
    };
    let all = HouseholdFilter::default();
    let page = PageRequest::default();
    assert_eq!(
        ids(db.store.households(&cw_xc, &all, page).await.unwrap()),
        vec![a]
    );
    assert_eq!(
        ids(db.store.households(&cw_gq, &all, page).await.unwrap()),
        vec![b]
    );
    assert_eq!(
        ids(db.store.households(&gx_admin, &all, page).await.unwrap()),
        vec![a, b]
    );
    assert_eq!(
        ids(db.store.households(&lw_admin, &all, page).await.unwrap()),
        vec![c]
    );
    assert_eq!(
        ids(db.store.households(&ta_sup, &all, page).await.unwrap()),
        vec![d]
    );
    assert_eq!(
        ids(db.store.households(&system(), &all, page).await.unwrap()).len(),
        4
    );
    // A filter outside the scope yields nothing rather than leaking.
    let outside = HouseholdFilter {
        division: Some(code("640181")),
    };
    assert!(
        db.store
            .households(&cw_xc, &outside, page)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let inside = HouseholdFilter {
        division: Some(code(GONGQUAN)),
    };
    assert_eq!(
        ids(db.store.households(&gx_admin, &inside, page).await.unwrap()),
        vec![b]
    );

    let counts = db.store.counts(&cw_xc).await.unwrap();
    assert_eq!(
        (
            counts.townships,
            counts.households,
            counts.members,
            counts.users
        ),
        (1, 1, 2, 1)
    );
    let counts = db.store.counts(&gx_admin).await.unwrap();
    assert_eq!((counts.households, counts.members, counts.users), (2, 3, 3));
    assert!(counts.townships >= 13);
    let counts = db.store.counts(&ta_sup).await.unwrap();
    assert_eq!(counts.households, 1);
    assert!(
        counts.townships > 50,
        "泰安市 sees all six counties' townships"
    );
}

pub async fn pagination_is_stable(db: &TestDb) {
    load(db).await;
    let cw = account(db, "caseworker", Role::TownshipCaseworker, XUNCHANG).await;
    for i in 0..7 {
        register(db, &cw, &format!("p{i}"), household(XUNCHANG_VILLAGE, 1))
            .await
            .unwrap();
    }
    let filter = HouseholdFilter::default();
    let p1 = db
        .store
        .households(&cw, &filter, PageRequest::new(1, 3))
        .await
        .unwrap();
    let p3 = db
        .store
        .households(&cw, &filter, PageRequest::new(3, 3))
        .await
        .unwrap();
    assert_eq!(
        (p1.total, p1.items.len(), p3.items.len(), p1.pages()),
        (7, 3, 1, 3)
    );
    assert!(p1.items[2].id < p3.items[0].id);
    let beyond = db
        .store
        .households(&cw, &filter, PageRequest::new(9, 3))
        .await
        .unwrap();
    assert!(beyond.items.is_empty());
}

pub async fn sessions_and_tokens(db: &TestDb) {
    load(db).await;
    let admin = account(db, "gx.admin", Role::CountyAdmin, "511526").await;
    let cw = account(db, "gx.cw", Role::TownshipCaseworker, XUNCHANG).await;
    let creds = db.store.credentials("gx.cw").await.unwrap().unwrap();
    assert_eq!(creds.password_hash, test_hash());
    assert!(db.store.credentials("nobody").await.unwrap().is_none());
    let now = Utc::now();
    let session = NewSession {
        digest: secret_digest("session-secret"),
        csrf_token: "csrf".into(),
        expires_at: now + Duration::hours(8),
    };
    db.store
        .record_login(now, "gx.cw", Some(&creds.user), Some(session))
        .await
        .unwrap();
    let s = db
        .store
        .session(&secret_digest("session-secret"), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (s.user.username.as_str(), s.csrf_token.as_str()),
        ("gx.cw", "csrf")
    );
    assert!(
        db.store
            .session(&secret_digest("session-secret"), now + Duration::hours(9))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.store
            .session(&secret_digest("other"), now)
            .await
            .unwrap()
            .is_none()
    );
    // Failed logins are audited too, for known and unknown usernames.
    db.store
        .record_login(now, "gx.cw", Some(&creds.user), None)
        .await
        .unwrap();
    db.store
        .record_login(now, "no-such-user", None, None)
        .await
        .unwrap();
    let Actor::User(cw_user) = &cw else {
        unreachable!()
    };
    let kinds: Vec<String> = db
        .store
        .events_for(&admin, &format!("user:{}", cw_user.id))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "account.user_created",
            "account.login_succeeded",
            "account.login_failed"
        ]
    );
    // Logout ends the session.
    db.store
        .end_session(&secret_digest("session-secret"), now)
        .await
        .unwrap();
    assert!(
        db.store
            .session(&secret_digest("session-secret"), now)
            .await
            .unwrap()
            .is_none()
    );
    // API tokens: only the digest is stored; deactivation revokes access.
    let issue = Command::IssueApiToken {
        user_id: cw_user.id,
        label: "test".into(),
        token_digest: secret_digest("token-secret"),
        expires_at: now + Duration::days(1),
    };
    db.store.execute(&ctx(&cw, "t1"), issue).await.unwrap();
    let u = db
        .store
        .token_user(&secret_digest("token-secret"), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.id, cw_user.id);
    assert!(
        db.store
            .token_user(&secret_digest("token-secret"), now + Duration::days(2))
            .await
            .unwrap()
            .is_none()
    );
    db.store
        .execute(
            &ctx(&admin, "t2"),
            Command::SetUserActive {
                user_id: cw_user.id,
                active: false,
                reason: "离职".into(),
            },
        )
        .await
        .unwrap();
    assert!(
        db.store
            .token_user(&secret_digest("token-secret"), now)
            .await
            .unwrap()
            .is_none()
    );
    // Password change by the user ends their sessions.
    let creds = db.store.credentials("gx.admin").await.unwrap().unwrap();
    let s2 = NewSession {
        digest: secret_digest("s2"),
        csrf_token: "c".into(),
        expires_at: now + Duration::hours(1),
    };
    db.store
        .record_login(now, "gx.admin", Some(&creds.user), Some(s2))
        .await
        .unwrap();
    let Actor::User(admin_user) = &admin else {
        unreachable!()
    };
    db.store
        .execute(
            &ctx(&admin, "t3"),
            Command::SetPassword {
                user_id: admin_user.id,
                password_hash: test_hash(),
            },
        )
        .await
        .unwrap();
    assert!(
        db.store
            .session(&secret_digest("s2"), now)
            .await
            .unwrap()
            .is_none()
    );
    let report = db.store.verify_chain().await.unwrap();
    assert!(report.first_break.is_none(), "{:?}", report.first_break);
}

pub async fn audit_chain_detects_tampering(db: &TestDb) {
    load(db).await;
    let cw = account(db, "caseworker", Role::TownshipCaseworker, XUNCHANG).await;
    for i in 0..3 {
        register(db, &cw, &format!("t{i}"), household(XUNCHANG_VILLAGE, 1))
            .await
            .unwrap();
    }
    let clean = db.store.verify_chain().await.unwrap();
    assert!(clean.first_break.is_none(), "{:?}", clean.first_break);
    assert_eq!(clean.events, 5, "divisions + user + 3 households");
    assert_eq!(clean.chains, 2);
    // The append-only triggers refuse plain edits and deletes.
    let err = db
        .exec_raw("UPDATE events SET kind = 'x' WHERE chain = '511526' AND seq = 2")
        .await;
    assert!(err.is_err(), "update must be refused");
    let err = db
        .exec_raw("DELETE FROM events WHERE chain = '511526' AND seq = 3")
        .await;
    assert!(err.is_err(), "delete must be refused");
    // Someone with database access drops the guard and edits a payload.
    let drop_triggers = if db.backend() == "sqlite" {
        "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;"
    } else {
        "DROP TRIGGER events_no_update ON events;"
    };
    db.exec_raw(drop_triggers).await.unwrap();
    let tamper = if db.backend() == "sqlite" {
        "UPDATE events SET payload = replace(payload, '测试地址1号', '伪造地址') WHERE chain = '511526' AND seq = 3"
    } else {
        "UPDATE events SET payload = jsonb_set(payload, '{address}', '\"伪造地址\"') WHERE chain = '511526' AND seq = 3"
    };
    assert_eq!(db.exec_raw(tamper).await.unwrap(), 1);
    let report = db.store.verify_chain().await.unwrap();
    let b = report.first_break.expect("tampering must be detected");
    assert_eq!((b.chain.as_str(), b.seq), ("511526", 3));
    assert!(b.reason.contains("altered"), "{}", b.reason);
}

pub async fn audit_chain_detects_deletion(db: &TestDb) {
    load(db).await;
    let cw = account(db, "caseworker", Role::TownshipCaseworker, XUNCHANG).await;
    for i in 0..3 {
        register(db, &cw, &format!("t{i}"), household(XUNCHANG_VILLAGE, 1))
            .await
            .unwrap();
    }
    let drop_triggers = if db.backend() == "sqlite" {
        "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;"
    } else {
        "DROP TRIGGER events_no_update ON events;"
    };
    db.exec_raw(drop_triggers).await.unwrap();
    // Removing the newest event is caught by the chain head.
    db.exec_raw("DELETE FROM events WHERE chain = '511526' AND seq = 4")
        .await
        .unwrap();
    let b = db
        .store
        .verify_chain()
        .await
        .unwrap()
        .first_break
        .expect("deletion must be detected");
    assert_eq!(b.chain, "511526");
    assert!(b.reason.contains("removed"), "{}", b.reason);
    // Removing one in the middle is caught as a gap.
    db.exec_raw("DELETE FROM events WHERE chain = '511526' AND seq = 2")
        .await
        .unwrap();
    let b = db
        .store
        .verify_chain()
        .await
        .unwrap()
        .first_break
        .expect("gap must be detected");
    assert_eq!((b.chain.as_str(), b.seq), ("511526", 3));
    assert!(b.reason.contains("gap"), "{}", b.reason);
}

pub async fn demo_seed_is_repeatable(db: &TestDb) {
    let first = jiuzhu_store::demo::seed(&*db.store, 50).await.unwrap();
    assert_eq!(first.households_created, 50);
    assert_eq!(first.accounts.len(), 40);
    // The seed plans' grants: 珙县's pilot towns from 2020-05-01, for instance.
    assert!(first.grants_created > 300, "{}", first.grants_created);
    let xiaoer = code("511526102000");
    let grants = db
        .store
        .grants(&system(), Some(&xiaoer), Some(Program::Dibao))
        .await
        .unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].from, date("2020-05-01"));
    let second = jiuzhu_store::demo::seed(&*db.store, 50).await.unwrap();
    assert_eq!(second.households_created, 0);
    assert_eq!(second.grants_created, 0);
    assert_eq!(second.divisions_loaded, 0);
    let counts = db.store.counts(&system()).await.unwrap();
    assert_eq!((counts.households, counts.users), (50, 40));
    let report = db.store.verify_chain().await.unwrap();
    assert!(report.first_break.is_none());
}

fn date(s: &str) -> chrono::NaiveDate {
    s.parse().expect("test date")
}

async fn grant(
    db: &TestDb,
    actor: &Actor,
    key: &str,
    program: Program,
    township: &str,
    from: &str,
    cap_yuan: Option<i64>,
) -> Result<i64, StoreError> {
    let cmd = Command::GrantDelegation(NewGrant {
        program,
        township: code(township),
        from: date(from),
        until: None,
        cap: cap_yuan.and_then(Fen::from_yuan),
        basis: "珙县社会救助确认权委托下放乡镇试点工作实施方案".into(),
    });
    match db.store.execute(&ctx(actor, key), cmd).await?.outcome {
        CommandOutcome::DelegationGranted { grant_id } => Ok(grant_id),
        other => panic!("unexpected outcome {other:?}"),
    }
}

pub const XIAOER: &str = "511526102000"; // 珙县 孝儿镇, pilot town
pub const LUOHAI: &str = "511526106000"; // 珙县 洛亥镇, from 2020-10-01

pub async fn delegation_grants_answer_authority(db: &TestDb) {
    load(db).await;
    let admin = account(db, "gx.admin", Role::CountyAdmin, "511526").await;
    let lw_admin = account(db, "lw.admin", Role::CountyAdmin, "640181").await;
    let cw = account(db, "xe.cw", Role::TownshipCaseworker, XIAOER).await;

    let dibao = grant(db, &admin, "g1", Program::Dibao, XIAOER, "2020-05-01", None)
        .await
        .unwrap();
    grant(
        db,
        &admin,
        "g2",
        Program::Linshi,
        XIAOER,
        "2020-05-01",
        Some(3000),
    )
    .await
    .unwrap();
    grant(db, &admin, "g3", Program::Dibao, LUOHAI, "2020-10-01", None)
        .await
        .unwrap();

    let who = |program, town: &'static str, day: &'static str, yuan: Option<i64>| {
        let store = db.store.clone();
        let admin = admin.clone();
        async move {
            store
                .authority(
                    &admin,
                    program,
                    &code(town),
                    date(day),
                    yuan.and_then(Fen::from_yuan),
                )
                .await
                .unwrap()
        }
    };
    // 珙县: 孝儿镇 on 2020-04-30 → county, on 2020-05-01 → township.
    assert!(matches!(
        who(Program::Dibao, XIAOER, "2020-04-30", None).await,
        Authority::County {
            reason: CountyReason::NotYetInForce { .. },
            ..
        }
    ));
    assert_eq!(
        who(Program::Dibao, XIAOER, "2020-05-01", None).await,
        Authority::Township {
            township: code(XIAOER),
            grant_id: dibao
        }
    );
    // A non-pilot town on 2020-09-30 → county, on 2020-10-01 → township.
    assert!(
        !who(Program::Dibao, LUOHAI, "2020-09-30", None)
            .await
            .is_township()
    );
    assert!(
        who(Program::Dibao, LUOHAI, "2020-10-01", None)
            .await
            .is_township()
    );
    // 临时救助 of 3,500 yuan → county; 3,000 → township.
    assert!(matches!(
        who(Program::Linshi, XIAOER, "2021-01-01", Some(3500)).await,
        Authority::County {
            reason: CountyReason::AboveCap { .. },
            ..
        }
    ));
    assert!(
        who(Program::Linshi, XIAOER, "2021-01-01", Some(3000))
            .await
            .is_township()
    );
    // A capped grant cannot answer without the amount; a negative amount is refused.
    for (amount, expected) in [
        (None, "an amount is required"),
        (Some(Fen::new(-100)), "must not be negative"),
    ] {
        let err = db
            .store
            .authority(
                &admin,
                Program::Linshi,
                &code(XIAOER),
                date("2021-01-01"),
                amount,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid(m) if m.contains(expected)),
            "{err:?}"
        );
    }

    // Who may grant: not a caseworker, not another county's admin; only townships.
    let err = grant(db, &cw, "g4", Program::Tekun, XIAOER, "2021-01-01", None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
    let err = grant(
        db,
        &lw_admin,
        "g5",
        Program::Tekun,
        XIAOER,
        "2021-01-01",
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
    let err = grant(
        db,
        &admin,
        "g6",
        Program::Tekun,
        "511526",
        "2021-01-01",
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    // Overlapping grants of one program to one township are refused.
    let err = grant(db, &admin, "g7", Program::Dibao, XIAOER, "2022-01-01", None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    // Revocation: from a date, with a reason, once; audited; then a renewal is possible.
    let revoke = |reason: &str| Command::RevokeDelegation {
        grant_id: dibao,
        effective: date("2023-03-01"),
        reason: reason.into(),
    };
    let err = db
        .store
        .execute(&ctx(&lw_admin, "r1"), revoke("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = db
        .store
        .execute(&ctx(&admin, "r2"), revoke("  "))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    db.store
        .execute(&ctx(&admin, "r3"), revoke("抽查发现问题，收回确认权"))
        .await
        .unwrap();
    let err = db
        .store
        .execute(&ctx(&admin, "r4"), revoke("again"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(
        who(Program::Dibao, XIAOER, "2023-02-28", None)
            .await
            .is_township()
    );
    assert!(matches!(
        who(Program::Dibao, XIAOER, "2023-03-01", None).await,
        Authority::County {
            reason: CountyReason::Revoked { .. },
            ..
        }
    ));
    let renewed = grant(db, &admin, "g8", Program::Dibao, XIAOER, "2023-06-01", None)
        .await
        .unwrap();
    assert_eq!(
        who(Program::Dibao, XIAOER, "2023-06-01", None).await,
        Authority::Township {
            township: code(XIAOER),
            grant_id: renewed
        }
    );

    // Scoping: the township sees its own grants; another county sees none of them.
    let own = db.store.grants(&cw, None, None).await.unwrap();
    assert_eq!(own.len(), 3);
    assert!(own.iter().all(|g| g.township.as_str() == XIAOER));
    assert!(
        db.store
            .grants(&lw_admin, None, None)
            .await
            .unwrap()
            .is_empty()
    );
    let err = db
        .store
        .authority(
            &lw_admin,
            Program::Dibao,
            &code(XIAOER),
            date("2021-01-01"),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
    let revoked = db
        .store
        .grants(&admin, Some(&code(XIAOER)), Some(Program::Dibao))
        .await
        .unwrap();
    assert_eq!(
        revoked[0].revoked.as_ref().map(|r| r.effective),
        Some(date("2023-03-01"))
    );

    // The history is in the event log.
    let kinds: Vec<String> = db
        .store
        .events_for(&admin, &format!("grant:{dibao}"))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["delegation.granted", "delegation.revoked"]);
    assert!(
        db.store
            .events_for(&lw_admin, &format!("grant:{dibao}"))
            .await
            .is_err()
    );
    let report = db.store.verify_chain().await.unwrap();
    assert!(report.first_break.is_none(), "{:?}", report.first_break);
}

/// The SQL that drops the append-only guards of `events` and `chain_heads` (what someone
/// with database access could do before editing the log by hand).
fn drop_audit_guards(db: &TestDb) -> &'static str {
    if db.backend() == "sqlite" {
        "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; \
         DROP TRIGGER chain_heads_no_delete;"
    } else {
        "DROP TRIGGER events_no_update ON events; DROP TRIGGER events_no_truncate ON events; \
         DROP TRIGGER chain_heads_no_delete ON chain_heads; \
         DROP TRIGGER chain_heads_no_truncate ON chain_heads;"
    }
}

/// Copies event `chain/seq` as a new row numbered `new_seq` (inserts are not guarded: this
/// is the forgery verification has to catch).
fn forge_copy(chain: &str, seq: i64, new_seq: i64) -> String {
    format!(
        "INSERT INTO events (chain, seq, kind, subject, occurred_at, actor, actor_role, \
         actor_division, idempotency_key, payload, prev_hash, hash) \
         SELECT chain, {new_seq}, kind, subject, occurred_at, actor, actor_role, \
         actor_division, idempotency_key, payload, prev_hash, hash FROM events \
         WHERE chain = '{chain}' AND seq = {seq}"
    )
}

pub async fn audit_verify_reads_forged_low_sequence_numbers(db: &TestDb) {
    load(db).await;
    let admin = account(db, "gx.admin", Role::CountyAdmin, "511526").await;
    register(db, &admin, "h1", household(XUNCHANG_VILLAGE, 1))
        .await
        .unwrap();
    let Actor::User(me) = &admin else {
        unreachable!()
    };
    let subject = format!("user:{}", me.id);
    assert_eq!(
        db.store.events_for(&admin, &subject).await.unwrap().len(),
        1
    );
    // Forged copies of the account's first event (511526/1) numbered 0, -5 and beyond
    // the head (3).
    for new_seq in [0, -5, 3] {
        assert_eq!(
            db.exec_raw(&forge_copy("511526", 1, new_seq))
                .await
                .unwrap(),
            1
        );
    }
    // The subject's history shows only the events the chain head accounts for.
    let events = db.store.events_for(&admin, &subject).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1],
        "forged rows are not history"
    );
    // Verification reads them and reports the first as a sequence gap.
    let b = db
        .store
        .verify_chain()
        .await
        .unwrap()
        .first_break
        .expect("a forged event numbered below 1 must be reported");
    assert_eq!((b.chain.as_str(), b.seq), ("511526", -5));
    assert!(b.reason.contains("gap"), "{}", b.reason);
}

pub async fn audit_chain_detects_a_wiped_log(db: &TestDb) {
    load(db).await;
    let cw = account(db, "caseworker", Role::TownshipCaseworker, XUNCHANG).await;
    for i in 0..3 {
        register(db, &cw, &format!("w{i}"), household(XUNCHANG_VILLAGE, 1))
            .await
            .unwrap();
    }
    // Guards: chain heads are never deleted (but move forward); PostgreSQL's TRUNCATE,
    // which bypasses row triggers, is refused on both tables.
    assert!(db.exec_raw("DELETE FROM chain_heads").await.is_err());
    assert!(
        db.exec_raw("DELETE FROM chain_heads WHERE chain = '511526'")
            .await
            .is_err()
    );
    assert_eq!(
        db.exec_raw("UPDATE chain_heads SET seq = seq WHERE chain = '511526'")
            .await
            .unwrap(),
        1
    );
    if db.backend() == "postgres" {
        for table in ["events", "chain_heads", "events, chain_heads"] {
            let err = db.exec_raw(&format!("TRUNCATE {table}")).await;
            assert!(err.is_err(), "TRUNCATE {table} must be refused");
        }
    }
    assert!(db.exec_raw("DELETE FROM events").await.is_err());
    let intact = db.store.verify_chain().await.unwrap();
    assert!(intact.first_break.is_none(), "{:?}", intact.first_break);

    db.exec_raw(drop_audit_guards(db)).await.unwrap();
    // Removing the newest event and moving the head back leaves a consistent chain, but
    // the command log recorded more commands for it than it has events.
    db.exec_raw(
        "UPDATE chain_heads SET seq = seq - 1, hash = (SELECT e.prev_hash FROM events e \
         WHERE e.chain = chain_heads.chain AND e.seq = chain_heads.seq) WHERE chain = '511526'",
    )
    .await
    .unwrap();
    db.exec_raw(
        "DELETE FROM events WHERE chain = '511526' \
         AND seq > (SELECT seq FROM chain_heads WHERE chain = '511526')",
    )
    .await
    .unwrap();
    let b = db
        .store
        .verify_chain()
        .await
        .unwrap()
        .first_break
        .expect("a shortened chain must be detected");
    assert_eq!(b.chain, "511526");
    assert!(
        b.reason.contains("missing") && b.reason.contains("4 commands"),
        "{}",
        b.reason
    );
    // Wiping the whole log: the command log still names the county's chain.
    db.exec_raw("DELETE FROM events").await.unwrap();
    db.exec_raw("DELETE FROM chain_heads").await.unwrap();
    let report = db.store.verify_chain().await.unwrap();
    let b = report
        .first_break
        .expect("a wiped log must not verify as intact");
    assert_eq!(b.chain, "511526");
    assert!(
        b.reason.contains("events of chain 511526 are missing"),
        "{}",
        b.reason
    );
}

pub async fn verification_sees_one_snapshot(db: &TestDb) {
    load(db).await;
    let cw = account(db, "caseworker", Role::TownshipCaseworker, XUNCHANG).await;
    for i in 0..30 {
        register(db, &cw, &format!("s{i}"), household(XUNCHANG_VILLAGE, 1))
            .await
            .unwrap();
    }
    // A running server: a writer appends to the same chain while the log is verified.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (store, actor, stop) = (db.store.clone(), cw.clone(), stop.clone());
        tokio::spawn(async move {
            let mut written = 0_u32;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                store
                    .execute(
                        &CommandContext::new(actor.clone(), format!("live-{written}"), Utc::now()),
                        Command::RegisterHousehold(household(XUNCHANG_VILLAGE, 1)),
                    )
                    .await
                    .expect("concurrent write");
                written += 1;
            }
            written
        })
    };
    let mut runs = 0;
    let started = std::time::Instant::now();
    while runs < 40 || started.elapsed() < std::time::Duration::from_secs(2) {
        let report = db.store.verify_chain().await.unwrap();
        assert!(
            report.first_break.is_none(),
            "run {runs}: a concurrent append looked like a break: {:?}",
            report.first_break
        );
        runs += 1;
        if started.elapsed() > std::time::Duration::from_secs(10) {
            break;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let written = writer.await.expect("writer");
    assert!(written > 0, "the writer wrote nothing");
}

pub async fn concurrent_grants_and_revocations_serialize(db: &TestDb) {
    load(db).await;
    let admin = account(db, "gx.admin", Role::CountyAdmin, "511526").await;
    let new_grant = |from: &str| {
        Command::GrantDelegation(NewGrant {
            program: Program::Tekun,
            township: code(XIAOER),
            from: date(from),
            until: None,
            cap: None,
            basis: "珙县授权书".into(),
        })
    };
    for round in 0..3 {
        // Several overlapping grants of one program to one township at once (different
        // start dates, different keys): exactly one may be stored.
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let (store, actor) = (db.store.clone(), admin.clone());
                let cmd = new_grant(&format!("202{round}-0{}-01", i + 1));
                tokio::spawn(async move {
                    store
                        .execute(
                            &CommandContext::new(actor, format!("grant-{round}-{i}"), Utc::now()),
                            cmd,
                        )
                        .await
                })
            })
            .collect();
        let mut granted = Vec::new();
        for h in handles {
            match h.await.expect("task") {
                Ok(done) => granted.push(done.outcome),
                Err(StoreError::Conflict(_)) => {}
                Err(e) => panic!("unexpected error {e:?}"),
            }
        }
        assert_eq!(granted.len(), 1, "round {round}: {granted:?}");
        let CommandOutcome::DelegationGranted { grant_id } = granted[0] else {
            panic!("{granted:?}")
        };
        // Several revocations of that grant at once: exactly one succeeds.
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let (store, actor) = (db.store.clone(), admin.clone());
                tokio::spawn(async move {
                    store
                        .execute(
                            &CommandContext::new(actor, format!("revoke-{round}-{i}"), Utc::now()),
                            Command::RevokeDelegation {
                                grant_id,
                                effective: date(&format!("202{round}-12-01")),
                                reason: format!("撤销{i}"),
                            },
                        )
                        .await
                })
            })
            .collect();
        let mut revoked = 0;
        for h in handles {
            match h.await.expect("task") {
                Ok(_) => revoked += 1,
                Err(StoreError::Conflict(_)) => {}
                Err(e) => panic!("unexpected error {e:?}"),
            }
        }
        assert_eq!(revoked, 1, "round {round}");
        let kinds: Vec<String> = db
            .store
            .events_for(&admin, &format!("grant:{grant_id}"))
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["delegation.granted", "delegation.revoked"]);
    }
    let stored = db
        .store
        .grants(&admin, Some(&code(XIAOER)), Some(Program::Tekun))
        .await
        .unwrap();
    assert_eq!(stored.len(), 3);
    for (i, a) in stored.iter().enumerate() {
        for b in &stored[i + 1..] {
            assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
        }
    }
    let report = db.store.verify_chain().await.unwrap();
    assert!(report.first_break.is_none(), "{:?}", report.first_break);
}

pub async fn free_text_refuses_control_characters(db: &TestDb) {
    load(db).await;
    let admin = account(db, "gx.admin", Role::CountyAdmin, "511526").await;
    let Actor::User(me) = &admin else {
        unreachable!()
    };
    let expect_invalid = |r: Result<jiuzhu_store::Executed, StoreError>, field: &str| {
        let err = r.expect_err("control characters must be refused");
        assert!(
            matches!(&err, StoreError::Invalid(m) if m.contains(field)),
            "{field}: {err:?}"
        );
    };
    let mut h = household(XUNCHANG_VILLAGE, 1);
    h.address = "新林村\u{0}1号".into();
    expect_invalid(
        db.store
            .execute(&ctx(&admin, "c1"), Command::RegisterHousehold(h))
            .await,
        "address",
    );
    let mut h = household(XUNCHANG_VILLAGE, 1);
    h.address = "新林村\n1号".into();
    expect_invalid(
        db.store
            .execute(&ctx(&admin, "c2"), Command::RegisterHousehold(h))
            .await,
        "address",
    );
    expect_invalid(
        db.store
            .execute(
                &ctx(&admin, "c3"),
                Command::CreateUser(NewUser {
                    username: "gx.nul".into(),
                    display_name: "张\u{0}某".into(),
                    role: Role::TownshipCaseworker,
                    division: code(XUNCHANG),
                    password_hash: test_hash(),
                }),
            )
            .await,
        "display_name",
    );
    let cw = account(db, "gx.cw", Role::TownshipCaseworker, XUNCHANG).await;
    let Actor::User(cw_user) = &cw else {
        unreachable!()
    };
    expect_invalid(
        db.store
            .execute(
                &ctx(&admin, "c4"),
                Command::SetUserActive {
                    user_id: cw_user.id,
                    active: false,
                    reason: "调\u{0}岗".into(),
                },
            )
            .await,
        "reason",
    );
    expect_invalid(
        db.store
            .execute(
                &ctx(&admin, "c5"),
                Command::IssueApiToken {
                    user_id: me.id,
                    label: "脚本\u{0}".into(),
                    token_digest: secret_digest("nul-token"),
                    expires_at: Utc::now() + Duration::days(1),
                },
            )
            .await,
        "label",
    );
    expect_invalid(
        db.store
            .execute(
                &ctx(&admin, "c6"),
                Command::GrantDelegation(NewGrant {
                    program: Program::Dibao,
                    township: code(XIAOER),
                    from: date("2020-05-01"),
                    until: None,
                    cap: None,
                    basis: "授权书\u{0}1号".into(),
                }),
            )
            .await,
        "basis",
    );
    let grant_id = grant(db, &admin, "c7", Program::Dibao, XIAOER, "2020-05-01", None)
        .await
        .unwrap();
    expect_invalid(
        db.store
            .execute(
                &ctx(&admin, "c8"),
                Command::RevokeDelegation {
                    grant_id,
                    effective: date("2023-01-01"),
                    reason: "整改\u{0}".into(),
                },
            )
            .await,
        "reason",
    );
    // A login typed with a NUL is an unknown user, not a database error.
    assert!(db.store.credentials("gx.\u{0}cw").await.unwrap().is_none());
    db.store
        .record_login(Utc::now(), "gx.\u{0}cw", None, None)
        .await
        .unwrap();
    // Nothing of the refused commands was written.
    assert_eq!(db.store.counts(&admin).await.unwrap().households, 0);
    let report = db.store.verify_chain().await.unwrap();
    assert!(report.first_break.is_none(), "{:?}", report.first_break);
}

pub async fn password_change_and_deactivation_end_api_tokens(db: &TestDb) {
    load(db).await;
    let admin = account(db, "gx.admin", Role::CountyAdmin, "511526").await;
    let cw = account(db, "gx.cw", Role::TownshipCaseworker, XUNCHANG).await;
    let Actor::User(cw_user) = &cw else {
        unreachable!()
    };
    let now = Utc::now();
    let issue = |secret: &str| Command::IssueApiToken {
        user_id: cw_user.id,
        label: "脚本".into(),
        token_digest: secret_digest(secret),
        expires_at: now + Duration::days(1),
    };
    let valid = |secret: &'static str| {
        let store = db.store.clone();
        async move {
            store
                .token_user(&secret_digest(secret), now)
                .await
                .unwrap()
                .is_some()
        }
    };
    // A password change ends the account's API tokens.
    db.store
        .execute(&ctx(&cw, "tk1"), issue("token-one"))
        .await
        .unwrap();
    assert!(valid("token-one").await);
    db.store
        .execute(
            &ctx(&cw, "pw1"),
            Command::SetPassword {
                user_id: cw_user.id,
                password_hash: test_hash(),
            },
        )
        .await
        .unwrap();
    assert!(!valid("token-one").await, "a new password ends API tokens");
    // Deactivation ends them for good: reactivating the account does not revive them.
    db.store
        .execute(&ctx(&cw, "tk2"), issue("token-two"))
        .await
        .unwrap();
    assert!(valid("token-two").await);
    let set_active = |active: bool| Command::SetUserActive {
        user_id: cw_user.id,
        active,
        reason: "调岗".into(),
    };
    db.store
        .execute(&ctx(&admin, "off"), set_active(false))
        .await
        .unwrap();
    db.store
        .execute(&ctx(&admin, "on"), set_active(true))
        .await
        .unwrap();
    assert!(
        !valid("token-two").await,
        "a token of a deactivated account stays revoked after reactivation"
    );
    let left = db.query_text("SELECT label FROM api_tokens").await.unwrap();
    assert!(left.is_empty(), "{left:?}");
}

pub async fn failed_logins_keep_only_plausible_usernames(db: &TestDb) {
    load(db).await;
    let now = Utc::now();
    for typed in [
        "no.such.user",
        "my-secret-password 123",
        "张三丰",
        "a\u{0}b",
    ] {
        db.store.record_login(now, typed, None, None).await.unwrap();
    }
    let payloads = db
        .query_text(
            "SELECT CAST(payload AS TEXT) FROM events WHERE kind = 'account.login_failed' \
             ORDER BY seq",
        )
        .await
        .unwrap();
    assert_eq!(payloads.len(), 4, "{payloads:?}");
    let stored: Vec<String> = payloads
        .iter()
        .map(|p| {
            let v: serde_json::Value = serde_json::from_str(p).expect("payload json");
            v["username"].as_str().expect("username").to_string()
        })
        .collect();
    assert_eq!(
        stored,
        [
            "no.such.user",
            "(invalid username, 22 characters)",
            "(invalid username, 3 characters)",
            "(invalid username, 3 characters)",
        ]
    );
    assert!(!payloads.iter().any(|p| p.contains("secret")));
}

pub async fn demo_seed_completes_an_interrupted_run_and_keeps_existing_grants(db: &TestDb) {
    load(db).await;
    // An operator (or an earlier profile) granted 孝儿镇's 低保 from another date than the
    // built-in profile says: seeding must leave it alone instead of failing on the overlap.
    let operator_grant = grant(
        db,
        &system(),
        "op",
        Program::Dibao,
        XIAOER,
        "2021-01-01",
        None,
    )
    .await
    .unwrap();
    // A seed interrupted after 4 of 10 households …
    let first = jiuzhu_store::demo::seed(&*db.store, 4).await.unwrap();
    assert_eq!(first.households_created, 4);
    // … is completed by the next run.
    let second = jiuzhu_store::demo::seed(&*db.store, 10).await.unwrap();
    assert_eq!(second.households_created, 6);
    assert_eq!(second.grants_created, 0);
    let third = jiuzhu_store::demo::seed(&*db.store, 10).await.unwrap();
    assert_eq!(third.households_created, 0);
    assert_eq!(db.store.counts(&system()).await.unwrap().households, 10);
    let grants = db
        .store
        .grants(&system(), Some(&code(XIAOER)), Some(Program::Dibao))
        .await
        .unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(
        (grants[0].id, grants[0].from),
        (operator_grant, date("2021-01-01"))
    );
    let report = db.store.verify_chain().await.unwrap();
    assert!(report.first_break.is_none(), "{:?}", report.first_break);
}

pub async fn demo_seed_refuses_a_database_with_real_accounts(db: &TestDb) {
    load(db).await;
    account(db, "gx.zhang", Role::CountyAdmin, "511526").await;
    let err = jiuzhu_store::demo::seed(&*db.store, 5).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("none of them is a demo account")),
        "{err:?}"
    );
    let counts = db.store.counts(&system()).await.unwrap();
    assert_eq!((counts.users, counts.households), (1, 0));
    assert!(
        db.store
            .credentials("gongxian.admin")
            .await
            .unwrap()
            .is_none()
    );
}

// ---------------------------------------------------------------------------- cases

/// The people of one 珙县 township office for case tests, with a 低保 grant to 巡场镇.
struct CaseOffice {
    cw: Actor,
    cw2: Actor,
    reviewer: Actor,
    head: Actor,
    verifier: Actor,
    other_cw: Actor,
    household: i64,
}

async fn case_office(db: &TestDb) -> CaseOffice {
    load(db).await;
    let admin = account(db, "gx.admin", Role::CountyAdmin, "511526").await;
    grant(
        db,
        &admin,
        "g-dibao",
        Program::Dibao,
        XUNCHANG,
        "2020-05-01",
        None,
    )
    .await
    .expect("grant 低保 to 巡场镇");
    let cw = account(db, "xc.cw", Role::TownshipCaseworker, XUNCHANG).await;
    let household = register(db, &cw, "hh-case", household(XUNCHANG_VILLAGE, 2))
        .await
        .expect("register household");
    CaseOffice {
        cw2: account(db, "xc.cw2", Role::TownshipCaseworker, XUNCHANG).await,
        reviewer: account(db, "xc.rev", Role::TownshipReviewer, XUNCHANG).await,
        head: account(db, "xc.head", Role::TownshipHead, XUNCHANG).await,
        verifier: account(db, "gx.ver", Role::CountyVerifier, "511526").await,
        other_cw: account(db, "gq.cw", Role::TownshipCaseworker, GONGQUAN).await,
        cw,
        household,
    }
}

fn at(s: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test date-time")
}

fn user_id(a: &Actor) -> i64 {
    match a {
        Actor::User(u) => u.id,
        Actor::System { .. } => panic!("not a user"),
    }
}

fn case_cmd(case_id: Option<i64>, when: &str, body: case::CommandBody) -> Command {
    Command::Case {
        case_id,
        case_command: case::Command { at: at(when), body },
    }
}

fn dibao_application(household: i64, materials: &[&str]) -> case::CommandBody {
    case::CommandBody::Apply {
        case: case::NewCase {
            case_id: 0,
            number: String::new(),
            program: Program::Dibao,
            village: code(XUNCHANG_VILLAGE),
            household_id: household,
            origin: case::Origin::Household,
        },
        materials: materials.iter().map(|s| s.to_string()).collect(),
    }
}

const ALL_DIBAO_MATERIALS: &[&str] = &[
    "application_form",
    "verification_authorization",
    "integrity_statement",
    "identity_documents",
];

/// Runs a case command and returns (case id, number, version, stage, event names).
async fn run_case(
    db: &TestDb,
    actor: &Actor,
    key: &str,
    command: Command,
) -> Result<(i64, String, u64, case::Stage, Vec<String>), StoreError> {
    match db.store.execute(&ctx(actor, key), command).await?.outcome {
        CommandOutcome::CaseRecorded {
            case_id,
            number,
            version,
            stage,
            events,
        } => Ok((case_id, number, version, stage, events)),
        other => panic!("unexpected outcome {other:?}"),
    }
}

fn case_code(e: &StoreError) -> &'static str {
    match e {
        StoreError::Case { code, .. } => code,
        other => panic!("expected a case error, got {other:?}"),
    }
}

/// Case commands run by the rules the store was opened with: an installed 珙县 profile that
/// lowers the 临时救助 ceiling to 1,000 yuan refuses help the built-in one (10,000) allows.
pub async fn installed_rules_govern_case_commands(db: &TestDb) {
    let o = case_office(db).await;
    let mut sources: Vec<(String, String)> = jiuzhu_domain::profile::BUILTIN
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    let gongxian = sources
        .iter_mut()
        .find(|(n, _)| n.ends_with("511526-gongxian.toml"))
        .expect("built-in 珙县 profile");
    gongxian
        .1
        .push_str("\n[programs.linshi.amount]\nmax_yuan = \"1000.00\"\n");
    let borrowed: Vec<(&str, &str)> = sources
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let profiles = jiuzhu_domain::profile::ProfileSet::from_sources(&borrowed).expect("loads");
    let installed = db
        .reopened_with_rules(jiuzhu_store::Rules::new(
            profiles,
            jiuzhu_domain::calendar::Calendar::builtin(),
        ))
        .await;
    let report = |key: &str| {
        case_cmd(
            None,
            "2023-03-01 20:00",
            case::CommandBody::ReportEmergency {
                case: case::NewCase {
                    case_id: 0,
                    number: String::new(),
                    program: Program::Linshi,
                    village: code(XUNCHANG_VILLAGE),
                    household_id: o.household,
                    origin: case::Origin::Household,
                },
                summary: format!("突发火灾 {key}"),
            },
        )
    };
    let help = |id: i64| {
        case_cmd(
            Some(id),
            "2023-03-01 22:00",
            case::CommandBody::GiveEmergencyHelp {
                amount: Fen::from_yuan(1500).unwrap(),
                description: "先行救助".into(),
            },
        )
    };
    let opened = installed
        .execute(&ctx(&o.cw, "rules-report"), report("a"))
        .await
        .expect("report");
    let CommandOutcome::CaseRecorded { case_id, .. } = opened.outcome else {
        panic!("unexpected {:?}", opened.outcome)
    };
    let err = installed
        .execute(&ctx(&o.head, "rules-help"), help(case_id))
        .await
        .unwrap_err();
    assert_eq!(case_code(&err), "case.above_program_maximum", "{err:?}");
    // The same help through the store with the built-in rules is within the ceiling.
    run_case(db, &o.head, "builtin-help", help(case_id))
        .await
        .expect("the built-in ceiling allows 1,500 yuan");
}

/// 珙县 低保 from the application to the township head's decision under a stored grant: the
/// one-time notice, an illegal step refused with its code and nothing recorded, scoping,
/// idempotent retry, the overdue and due-soon lists, the timeline, the intact chain.
pub async fn case_runs_from_application_to_decision(db: &TestDb) {
    let o = case_office(db).await;
    let started = std::time::Instant::now();
    // Application with the integrity statement missing: 一次性告知.
    let (id, number, _, stage, events) = run_case(
        db,
        &o.cw,
        "c-apply",
        case_cmd(
            None,
            "2023-03-01 09:00",
            dibao_application(
                o.household,
                &[
                    "application_form",
                    "verification_authorization",
                    "identity_documents",
                ],
            ),
        ),
    )
    .await
    .expect("apply");
    assert!(number.starts_with("511526-2023-"), "{number}");
    assert_eq!(stage, case::Stage::AwaitingMaterials);
    assert!(
        events.iter().any(|e| e == "case.materials_incomplete"),
        "{events:?}"
    );
    let state = db.store.case(&o.cw, id).await.expect("case");
    let notice = state.one_time_notice.as_ref().expect("one-time notice");
    assert_eq!(
        notice
            .missing
            .iter()
            .map(|m| m.key.as_str())
            .collect::<Vec<_>>(),
        vec!["integrity_statement"]
    );
    // A retry of the application with the same key replays; nothing new is recorded.
    let before = event_count(db).await;
    let retry = db
        .store
        .execute(
            &ctx(&o.cw, "c-apply"),
            case_cmd(
                None,
                "2023-03-01 09:00",
                dibao_application(
                    o.household,
                    &[
                        "application_form",
                        "verification_authorization",
                        "identity_documents",
                    ],
                ),
            ),
        )
        .await
        .expect("retry");
    assert!(retry.replayed);
    assert_eq!(event_count(db).await, before);

    // An illegal step (a decision now) gives the case error and records nothing.
    let err = run_case(
        db,
        &o.head,
        "c-early-decision",
        case_cmd(
            Some(id),
            "2023-03-01 10:00",
            case::CommandBody::Decide {
                decision: case::DecisionRequest::Approve {
                    basis: jiuzhu_domain::benefit::AmountBasis::TopUp {
                        standard: "rural".into(),
                        add_ons: Vec::new(),
                    },
                    start_month: date("2023-03-01"),
                    // 农村低保标准 600 yuan (demo) × 1 member − 300 yuan income.
                    expected_amount: Fen::from_yuan(300),
                },
            },
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(case_code(&err), "case.wrong_stage", "{err:?}");
    assert_eq!(event_count(db).await, before);
    assert_eq!(
        db.store.case(&o.cw, id).await.unwrap().version,
        state.version
    );

    // Another township's caseworker sees nothing and can do nothing.
    assert!(matches!(
        db.store.case(&o.other_cw, id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        db.store
            .events_for(&o.other_cw, &format!("case:{id}"))
            .await,
        Err(StoreError::NotFound(_))
    ));
    let err = run_case(
        db,
        &o.other_cw,
        "c-other",
        case_cmd(
            Some(id),
            "2023-03-02 09:00",
            case::CommandBody::SubmitMaterials {
                materials: vec!["integrity_statement".into()],
            },
        ),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    // The system operator runs no case commands.
    let err = run_case(
        db,
        &system(),
        "c-system",
        case_cmd(
            Some(id),
            "2023-03-02 09:00",
            case::CommandBody::RequestCheck,
        ),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");

    let steps: Vec<(&Actor, &str, case::CommandBody)> = vec![
        (
            &o.cw,
            "2023-03-02 09:00",
            case::CommandBody::SubmitMaterials {
                materials: vec!["integrity_statement".into()],
            },
        ),
        (&o.cw, "2023-03-02 10:00", case::CommandBody::RequestCheck),
        (
            &o.verifier,
            "2023-03-03 10:00",
            case::CommandBody::RecordCheckResult {
                passed: true,
                summary: "核对家庭收入、财产均在规定范围内".into(),
                reasons: vec![],
            },
        ),
        (
            &o.cw,
            "2023-03-06 10:00",
            case::CommandBody::RecordHomeVisit {
                investigators: vec![user_id(&o.cw), user_id(&o.cw2)],
                members: vec![case::MemberFacts {
                    member_seq: 1,
                    relation: Relation::Head,
                    lives_together: true,
                    able_to_work: false,
                    monthly_income: Fen::from_yuan(300).unwrap(),
                    note: "患慢性病".into(),
                }],
                findings: "家庭收入低于当地低保标准".into(),
            },
        ),
        (
            &o.reviewer,
            "2023-03-07 10:00",
            case::CommandBody::SignReview {
                recommendation: case::Recommendation::Approve {
                    proposed_amount: Fen::from_yuan(300),
                },
                opinion: "经审核，符合条件，拟批准".into(),
                disputed: false,
            },
        ),
        (&o.cw, "2023-03-08 09:00", case::CommandBody::PostNotice),
    ];
    for (i, (who, when, body)) in steps.into_iter().enumerate() {
        run_case(
            db,
            who,
            &format!("c-step-{i}"),
            case_cmd(Some(id), when, body),
        )
        .await
        .unwrap_or_else(|e| panic!("step {i}: {e:?}"));
    }
    assert_eq!(
        db.store.case(&o.cw, id).await.unwrap().stage,
        case::Stage::Notice
    );

    // Overdue and due-soon lists, from the stored earliest due date.
    let summary = db
        .store
        .cases(&o.cw, &CaseFilter::default(), PageRequest::new(1, 20))
        .await
        .unwrap();
    assert_eq!(summary.total, 1);
    let due = summary.items[0].next_due_date.expect("an open step is due");
    let deadline = summary.items[0].next_deadline.expect("deadline");
    let overdue = db
        .store
        .overdue_cases(&o.cw, None, deadline + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(overdue.iter().map(|c| c.id).collect::<Vec<_>>(), vec![id]);
    assert!(
        db.store
            .overdue_cases(&o.cw, None, due.and_hms_opt(12, 0, 0).unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    let soon = db
        .store
        .due_soon(
            &o.cw,
            None,
            (due - Duration::days(2)).and_hms_opt(9, 0, 0).unwrap(),
            3,
        )
        .await
        .unwrap();
    assert_eq!(soon.iter().map(|c| c.id).collect::<Vec<_>>(), vec![id]);
    assert!(
        db.store
            .overdue_cases(&o.other_cw, None, deadline + Duration::days(30))
            .await
            .unwrap()
            .is_empty(),
        "another township's list is empty"
    );

    // The notice runs 7 days; then the township head decides under the grant.
    run_case(
        db,
        &o.cw,
        "c-end-notice",
        case_cmd(Some(id), "2023-03-16 09:00", case::CommandBody::EndNotice),
    )
    .await
    .expect("end notice");
    let (_, _, version, stage, _) = run_case(
        db,
        &o.head,
        "c-decide",
        case_cmd(
            Some(id),
            "2023-03-16 15:00",
            case::CommandBody::Decide {
                decision: case::DecisionRequest::Approve {
                    basis: jiuzhu_domain::benefit::AmountBasis::TopUp {
                        standard: "rural".into(),
                        add_ons: Vec::new(),
                    },
                    start_month: date("2023-03-01"),
                    // 农村低保标准 600 yuan (demo) × 1 member − 300 yuan income.
                    expected_amount: Fen::from_yuan(300),
                },
            },
        ),
    )
    .await
    .expect("the township head decides");
    assert_eq!(stage, case::Stage::Decided);
    let state = db.store.case(&o.head, id).await.unwrap();
    let decision = state.decision.as_ref().expect("decided");
    assert!(decision.authority.is_township(), "{:?}", decision.authority);
    match &decision.decision {
        case::Decision::Approve {
            amount,
            calculation,
            ..
        } => {
            assert_eq!(*amount, Fen::from_yuan(300).unwrap());
            assert_eq!(calculation.lines.len(), 2, "{calculation:?}");
            assert!(calculation.demo, "the national standards are demo values");
        }
        other => panic!("expected an approval, got {other:?}"),
    }
    assert_eq!(state.version, version);

    // The timeline holds every event of the case, in order, and the chain is intact.
    let timeline = db
        .store
        .events_for(&o.head, &format!("case:{id}"))
        .await
        .unwrap();
    assert_eq!(timeline.len() as u64, version);
    let replayed = case::replay(
        &timeline
            .iter()
            .map(|e| serde_json::from_value::<case::Event>(e.payload.clone()).expect("event"))
            .collect::<Vec<_>>(),
    )
    .expect("replay");
    assert_eq!(replayed, state);
    let report = db.store.verify_chain().await.unwrap();
    assert!(report.first_break.is_none(), "{report:?}");
    eprintln!("case scenario on {}: {:?}", db.backend(), started.elapsed());
}

/// A second open application of one household for one program is refused with its own code;
/// another program is a separate case.
pub async fn duplicate_open_application_is_refused(db: &TestDb) {
    let o = case_office(db).await;
    run_case(
        db,
        &o.cw,
        "d1",
        case_cmd(
            None,
            "2023-03-01 09:00",
            dibao_application(o.household, ALL_DIBAO_MATERIALS),
        ),
    )
    .await
    .expect("first application");
    let before = event_count(db).await;
    let err = run_case(
        db,
        &o.cw2,
        "d2",
        case_cmd(
            None,
            "2023-03-02 09:00",
            dibao_application(o.household, ALL_DIBAO_MATERIALS),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(case_code(&err), "case.duplicate_application");
    assert_eq!(event_count(db).await, before);
    // A household outside the actor's township is not found.
    let err = run_case(
        db,
        &o.other_cw,
        "d3",
        case_cmd(
            None,
            "2023-03-02 09:00",
            dibao_application(o.household, ALL_DIBAO_MATERIALS),
        ),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let page = db
        .store
        .cases(
            &o.cw,
            &CaseFilter {
                program: Some(Program::Dibao),
                within: Some(code(XUNCHANG)),
                stage: Some(case::Stage::Investigation),
                open_only: true,
            },
            PageRequest::new(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(page.total, 1);
}

/// 行政文书 are archived with their case: the bytes as issued, the hash in the event log, one
/// 文号 serial per issuer and year, one document per case, kind and source.
pub async fn documents_are_archived_with_their_case(db: &TestDb) {
    use jiuzhu_store::{DocumentKind, DocumentSubject, NewDocument};
    let o = case_office(db).await;
    let (case_id, number, ..) = run_case(
        db,
        &o.cw,
        "doc-apply",
        case_cmd(
            None,
            "2023-03-01 09:00",
            dibao_application(o.household, &["application_form"]),
        ),
    )
    .await
    .expect("application");
    let township = code(XUNCHANG);
    assert_eq!(
        db.store
            .next_document_serial(&township, 2023)
            .await
            .unwrap(),
        1
    );
    let pdf = b"%PDF-1.7\n% test document\n%%EOF\n".to_vec();
    let doc = |kind, serial: u32, bytes: &[u8]| NewDocument {
        subject: DocumentSubject::Case { case_id },
        kind,
        source: "one_time_notice".to_string(),
        issuer: township.clone(),
        year: 2023,
        serial,
        number: format!("巡场民救〔2023〕{serial}号"),
        title: "一次性告知书".to_string(),
        pdf: bytes.to_vec(),
    };
    let before = event_count(db).await;
    let first = db
        .store
        .issue_document(
            &ctx(&o.cw, "doc-1"),
            doc(DocumentKind::MissingMaterialsNotice, 1, &pdf),
        )
        .await
        .expect("issue");
    assert!(first.new);
    assert_eq!(first.meta.sha256, jiuzhu_store::event::sha256_hex(&pdf));
    assert_eq!(first.meta.size, pdf.len() as i64);
    assert_eq!(event_count(db).await, before + 1);
    let events = db
        .store
        .events_for(&o.cw, &format!("document:{}", first.meta.id))
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "document.issued");
    assert_eq!(events[0].payload["sha256"], first.meta.sha256.as_str());
    assert_eq!(events[0].payload["case_number"], number.as_str());
    assert_eq!(events[0].payload["number"], "巡场民救〔2023〕1号");
    // The case's own timeline (replayed as case events) is not touched.
    db.store
        .case(&o.cw, case_id)
        .await
        .expect("case still loads");
    // The same document again: the archived one, nothing written, the serial not used.
    let again = db
        .store
        .issue_document(
            &ctx(&o.cw2, "doc-2"),
            doc(DocumentKind::MissingMaterialsNotice, 2, b"%PDF-other"),
        )
        .await
        .unwrap();
    assert!(!again.new);
    assert_eq!(again.meta, first.meta);
    assert_eq!(event_count(db).await, before + 1);
    assert_eq!(
        db.store
            .next_document_serial(&township, 2023)
            .await
            .unwrap(),
        2
    );
    // A serial already used is refused with the next free one.
    let err = db
        .store
        .issue_document(
            &ctx(&o.cw, "doc-3"),
            doc(DocumentKind::ApplicationReviewForm, 1, &pdf),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::DocumentSerialTaken { serial: 1, next: 2 }),
        "{err:?}"
    );
    // Other years count on their own.
    assert_eq!(
        db.store
            .next_document_serial(&township, 2024)
            .await
            .unwrap(),
        1
    );
    // Not a PDF, a foreign issuer: refused.
    let err = db
        .store
        .issue_document(
            &ctx(&o.cw, "doc-4"),
            doc(DocumentKind::ApplicationReviewForm, 2, b"hello"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let mut foreign = doc(DocumentKind::ApplicationReviewForm, 2, &pdf);
    foreign.issuer = code(GONGQUAN);
    let err = db
        .store
        .issue_document(&ctx(&o.cw, "doc-5"), foreign)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    // Another township sees nothing; a verifier does not issue.
    let err = db
        .store
        .issue_document(
            &ctx(&o.other_cw, "doc-6"),
            doc(DocumentKind::ApplicationReviewForm, 2, &pdf),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = db
        .store
        .issue_document(
            &ctx(&o.verifier, "doc-7"),
            doc(DocumentKind::ApplicationReviewForm, 2, &pdf),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
    assert!(matches!(
        db.store.document(&o.other_cw, first.meta.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        db.store.case_documents(&o.other_cw, case_id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        db.store
            .events_for(&o.other_cw, &format!("document:{}", first.meta.id))
            .await,
        Err(StoreError::NotFound(_))
    ));
    // The archive returns the bytes as issued; the county reads them too.
    let (meta, bytes) = db.store.document(&o.verifier, first.meta.id).await.unwrap();
    assert_eq!(meta, first.meta);
    assert_eq!(bytes, pdf);
    let second = db
        .store
        .issue_document(
            &ctx(&o.head, "doc-8"),
            doc(DocumentKind::ApplicationReviewForm, 2, &pdf),
        )
        .await
        .unwrap();
    assert!(second.new);
    let list = db.store.case_documents(&o.cw, case_id).await.unwrap();
    assert_eq!(
        list.iter().map(|d| d.number.as_str()).collect::<Vec<_>>(),
        ["巡场民救〔2023〕1号", "巡场民救〔2023〕2号"]
    );
    // A grant's 授权书 comes from the county's admin; a township's 公示名单 from its staff.
    let grant_id = db.store.grants(&o.cw, None, None).await.unwrap()[0].id;
    let county = code("511526");
    let letter = |issuer: &DivisionCode, serial| NewDocument {
        subject: DocumentSubject::Grant { grant_id },
        kind: DocumentKind::DelegationLetter,
        source: "grant".to_string(),
        issuer: issuer.clone(),
        year: 2023,
        serial,
        number: format!("珙民〔2023〕{serial}号"),
        title: "授权书".to_string(),
        pdf: pdf.clone(),
    };
    let err = db
        .store
        .issue_document(&ctx(&o.cw, "doc-9"), letter(&county, 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
    let admin_user = db
        .store
        .credentials("gx.admin")
        .await
        .unwrap()
        .expect("the office's county admin")
        .user;
    let admin = Actor::User(UserActor {
        id: admin_user.id,
        username: admin_user.username,
        role: Role::CountyAdmin,
        division: county.clone(),
    });
    let err = db
        .store
        .issue_document(&ctx(&admin, "doc-10"), letter(&township, 1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid(_)),
        "a township does not issue its own grant"
    );
    let issued = db
        .store
        .issue_document(&ctx(&admin, "doc-11"), letter(&county, 1))
        .await
        .unwrap();
    assert_eq!(
        issued.meta.division, township,
        "the township sees its grant's letter"
    );
    assert_eq!(issued.meta.case_id, None);
    assert_eq!(
        db.store
            .documents_of(&o.cw, &format!("grant:{grant_id}"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        db.store
            .documents_of(&o.other_cw, &format!("grant:{grant_id}"))
            .await
            .unwrap()
            .is_empty()
    );
    let list = |t: &DivisionCode| NewDocument {
        subject: DocumentSubject::NoticeList {
            township: t.clone(),
            date: NaiveDate::from_ymd_opt(2023, 3, 10).unwrap(),
        },
        kind: DocumentKind::PublicNoticeList,
        source: "notices".to_string(),
        issuer: t.clone(),
        year: 2023,
        serial: 3,
        number: "巡场民救〔2023〕3号".to_string(),
        title: "公示名单".to_string(),
        pdf: pdf.clone(),
    };
    let err = db
        .store
        .issue_document(&ctx(&o.cw, "doc-12"), list(&code(GONGQUAN)))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let issued = db
        .store
        .issue_document(&ctx(&o.cw, "doc-13"), list(&township))
        .await
        .unwrap();
    assert_eq!(issued.meta.subject, "notices:511526101000:2023-03-10");
    let report = db.store.verify_chain().await.unwrap();
    assert!(report.first_break.is_none(), "{report:?}");
}

/// Concurrent commands of the same step on one case: exactly one succeeds.
pub async fn concurrent_case_commands_serialize(db: &TestDb) {
    let o = case_office(db).await;
    let (id, ..) = run_case(
        db,
        &o.cw,
        "k-apply",
        case_cmd(
            None,
            "2023-03-01 09:00",
            dibao_application(o.household, ALL_DIBAO_MATERIALS),
        ),
    )
    .await
    .expect("apply");
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let (store, actor) = (
                db.store.clone(),
                if i % 2 == 0 {
                    o.cw.clone()
                } else {
                    o.cw2.clone()
                },
            );
            tokio::spawn(async move {
                store
                    .execute(
                        &CommandContext::new(actor, format!("k-check-{i}"), Utc::now()),
                        case_cmd(
                            Some(id),
                            "2023-03-01 10:00",
                            case::CommandBody::RequestCheck,
                        ),
                    )
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for h in handles {
        match h.await.expect("task") {
            Ok(_) => ok += 1,
            Err(StoreError::Case { code, .. }) => {
                assert_eq!(code, "case.check_already_requested")
            }
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    assert_eq!(ok, 1);
    let state = db.store.case(&o.cw, id).await.unwrap();
    assert_eq!(state.checks.len(), 1);
    let timeline = db
        .store
        .events_for(&o.cw, &format!("case:{id}"))
        .await
        .unwrap();
    assert_eq!(timeline.len() as u64, state.version);
    assert!(db.store.verify_chain().await.unwrap().first_break.is_none());
}

/// Whether `text` holds something shaped like a full ID number (17 digits and a check
/// character).
fn has_full_id_number(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(18).any(|w| {
        w[..17].iter().all(u8::is_ascii_digit) && (w[17].is_ascii_digit() || w[17] == b'X')
    })
}

/// `serve --demo`: cases of every program at every stage the plan allows in every seed
/// locality, through the real engine, dated back from now; a second run adds nothing.
pub async fn demo_cases_cover_every_stage(db: &TestDb) {
    use jiuzhu_store::demo::{self, DemoCaseKind as K, SeedOptions};
    // 2026-11-25 11:00 in Asia/Shanghai.
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T03:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let options = SeedOptions {
        households: 5,
        cases: true,
        now,
    };
    let started = std::time::Instant::now();
    let first = demo::seed_with(&*db.store, &options).await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let cases = &first.cases;
    let anchor = cases.anchor.unwrap();
    assert_eq!(anchor, at("2026-11-25 11:00"), "the calendar leaves room");
    eprintln!(
        "{} demo cases on {} in {seconds:.1}s: {:?} {:?}",
        cases.created.len(),
        db.store.backend(),
        cases.per_locality(),
        cases.per_stage()
    );
    assert!(
        (100..=200).contains(&cases.created.len()),
        "{}",
        cases.created.len()
    );
    let profiles = jiuzhu_domain::profile::ProfileSet::builtin().unwrap();
    for (prefix, _) in demo::LOCALITIES {
        let mine: Vec<_> = cases
            .created
            .iter()
            .filter(|c| c.locality == prefix)
            .collect();
        let kinds: std::collections::BTreeSet<K> = mine.iter().map(|c| c.kind).collect();
        for kind in [
            K::AwaitingMaterials,
            K::AwaitingCheck,
            K::Investigation,
            K::Review,
            K::Appraisal,
            K::Objected,
            K::Decision,
            K::Approved,
            K::Refused,
            K::Overdue,
            K::EmergencyPending,
            K::EmergencyDone,
            K::Withdrawn,
            K::Archived,
            K::NearRelative,
        ] {
            assert!(kinds.contains(&kind), "{prefix}: no {kind} case");
        }
        assert!(
            mine.iter().filter(|c| c.kind == K::Notice).count() >= 2,
            "{prefix}: several current notices"
        );
        // Every program the county runs has a case, and an approval.
        for p in Program::ALL {
            assert!(
                mine.iter().any(|c| c.program == p && c.kind == K::Approved),
                "{prefix}: no approved {p}"
            );
        }
        assert_eq!(
            kinds.contains(&K::VillageReview),
            prefix == "lingwu",
            "{prefix}: only 灵武 has the village's first review"
        );
        assert_eq!(kinds.contains(&K::PreCheck), prefix == "taian", "{prefix}");
        assert_eq!(
            kinds.contains(&K::AboveCap),
            prefix == "gongxian",
            "{prefix}"
        );
        // Each case stands where its kind says, under the procedure of its county.
        for c in &mine {
            let state = db.store.case(&system(), c.case_id).await.unwrap();
            assert_eq!(
                state.stage,
                c.kind.stage(),
                "{prefix} {} {}",
                c.kind,
                c.program
            );
            assert!(state.invariant_violations().is_empty());
            let county = state.header.county.clone();
            let profile = profiles.profile_for(&county).unwrap();
            let rules = profile.program(c.program).unwrap();
            if c.kind == K::Notice {
                // 泰安 posts no notice before deciding 低保 and 特困.
                assert!(rules.steps.notice.before_decision);
                let due = state.due(jiuzhu_domain::schedule::Step::Notice).unwrap();
                assert!(due.date >= anchor.date(), "a current notice: {due:?}");
            }
            match c.kind {
                K::Approved | K::AboveCap => {
                    let d = state.decision.as_ref().unwrap();
                    assert!(d.decision.is_approve());
                    assert!(state.delivered.is_some());
                    assert_eq!(
                        state.result_posted.is_some(),
                        rules.steps.disclosure.after_decision
                    );
                    if c.kind == K::AboveCap {
                        assert!(
                            matches!(
                                d.authority,
                                Authority::County {
                                    reason: CountyReason::AboveCap { .. },
                                    ..
                                }
                            ),
                            "{:?}",
                            d.authority
                        );
                        assert_eq!(d.role, Role::CountyAdmin);
                    }
                }
                K::Refused => {
                    let d = state.decision.as_ref().unwrap();
                    assert!(
                        matches!(&d.decision, case::Decision::Refuse { reasons } if !reasons.is_empty())
                    );
                    assert!(state.delivered.is_some());
                }
                K::Objected => assert_eq!(state.objections.len(), 1),
                K::NearRelative => assert_eq!(state.near_relatives.len(), 1),
                K::EmergencyPending => {
                    assert!(state.emergency.as_ref().unwrap().help.is_some())
                }
                K::AwaitingMaterials => assert!(state.one_time_notice.is_some()),
                _ => {}
            }
            // No full ID number in any event of the case.
            for e in db
                .store
                .events_for(&system(), &format!("case:{}", c.case_id))
                .await
                .unwrap()
            {
                assert!(!has_full_id_number(&e.payload.to_string()), "{}", e.kind);
            }
        }
    }
    // 备案: the demo's township decisions are filed with their counties; county ones not.
    let filed: Vec<i64> = db
        .store
        .filings(&system(), &Default::default())
        .await
        .unwrap()
        .iter()
        .map(|f| f.case_id)
        .collect();
    assert!(!filed.is_empty());
    for c in &cases.created {
        let state = db.store.case(&system(), c.case_id).await.unwrap();
        if let Some(d) = &state.decision {
            assert_eq!(
                filed.contains(&c.case_id),
                d.authority.is_township(),
                "case {} ({:?})",
                c.case_id,
                c.kind
            );
        }
    }
    // Overdue and due soon, as the lists show them on the demo's first start.
    let overdue = db
        .store
        .overdue_cases(&system(), None, anchor)
        .await
        .unwrap();
    assert!(
        overdue.len() >= 5,
        "at least one overdue case per locality: {}",
        overdue.len()
    );
    let soon = db.store.due_soon(&system(), None, anchor, 3).await.unwrap();
    assert!(!soon.is_empty());
    // The township caseworker of 珙泉镇 sees the cases of the township, and only those.
    let gx = db
        .store
        .credentials("gongxian.caseworker")
        .await
        .unwrap()
        .unwrap()
        .user
        .actor();
    let listed = db
        .store
        .cases(&gx, &CaseFilter::default(), PageRequest::new(1, 200))
        .await
        .unwrap();
    assert_eq!(
        listed.total as usize,
        cases.per_locality()[3].1,
        "gongxian's cases"
    );
    assert!(db.store.verify_chain().await.unwrap().first_break.is_none());

    // A second run (a later start) adds nothing.
    let later = SeedOptions {
        now: now + Duration::days(2),
        ..options
    };
    let second = demo::seed_with(&*db.store, &later).await.unwrap();
    assert!(second.cases.created.is_empty());
    assert_eq!(second.cases.households_created, 0);
    assert_eq!(second.cases.existing, cases.created.len());
    let all = db
        .store
        .cases(&system(), &CaseFilter::default(), PageRequest::new(1, 200))
        .await
        .unwrap();
    assert_eq!(all.total as usize, cases.created.len());
    assert!(db.store.verify_chain().await.unwrap().first_break.is_none());
}

// ---- household import (批量导入) ------------------------------------------------------------

fn import_of(
    sha: char,
    mode: jiuzhu_store::ImportMode,
    households: Vec<NewHousehold>,
) -> jiuzhu_store::HouseholdImport {
    let mut row = 1;
    let households: Vec<jiuzhu_store::ImportHousehold> = households
        .into_iter()
        .enumerate()
        .map(|(i, h)| jiuzhu_store::ImportHousehold {
            key: format!("H{i}"),
            rows: h
                .members
                .iter()
                .map(|_| {
                    row += 1;
                    row
                })
                .collect(),
            household: h,
        })
        .collect();
    jiuzhu_store::HouseholdImport {
        sha256: sha.to_string().repeat(64),
        file_name: "test.csv".into(),
        mode,
        rows: row - 1,
        households,
        rejected: Vec::new(),
        issues: Vec::new(),
    }
}

/// Imports run in one transaction: all-or-nothing writes nothing when any row is wrong;
/// valid-only skips the invalid households whole; the database checks name row and column
/// with the ID number masked; a re-import of the same file by the same account is a replay;
/// the audit chain stays intact and each household has its `household.registered` event.
pub async fn household_import_is_one_transaction(db: &TestDb) {
    use jiuzhu_store::import::{column, no_progress};
    use jiuzhu_store::{ImportMode, ImportStage};
    load(db).await;
    let cw = account(db, "caseworker", Role::TownshipCaseworker, XUNCHANG).await;
    let existing = household(XUNCHANG_VILLAGE, 2);
    register(db, &cw, "before-import", existing.clone())
        .await
        .unwrap();
    let before = event_count(db).await;

    // Household 1 repeats a registered ID number (rows 4-5: its second member is row 5);
    // household 2 lies in another township (rows 6).
    let good = household(XUNCHANG_VILLAGE, 2);
    let mut dup = household(XUNCHANG_VILLAGE, 2);
    dup.members[1].id_number = existing.members[1].id_number.clone();
    let elsewhere = household(GONGQUAN_VILLAGE, 1);
    let files = vec![good.clone(), dup, elsewhere];

    let report = db
        .store
        .import_households(
            &ctx(&cw, "ignored"),
            import_of('a', ImportMode::AllOrNothing, files.clone()),
            &no_progress,
        )
        .await
        .unwrap();
    assert_eq!(report.households_imported, 0, "{report:?}");
    assert_eq!(report.households_skipped, 3);
    let rows: Vec<(u32, &str)> = report
        .issues
        .iter()
        .map(|i| (i.row, i.column.as_str()))
        .collect();
    assert_eq!(
        rows,
        vec![(5, column::ID_NUMBER), (6, column::VILLAGE)],
        "{report:?}"
    );
    let full = existing.members[1].id_number.as_str();
    assert!(
        report.issues.iter().all(|i| !i.reason.contains(full)),
        "{report:?}"
    );
    assert!(
        report.issues[0]
            .reason
            .contains(&existing.members[1].id_number.masked())
    );
    assert_eq!(event_count(db).await, before, "nothing written");
    assert_eq!(db.store.counts(&cw).await.unwrap().households, 1);

    // valid-only: the good household is imported, the two others skipped.
    let progress_seen = std::sync::Mutex::new(Vec::new());
    let progress = |p: jiuzhu_store::ImportProgress| {
        progress_seen.lock().unwrap().push(p.stage);
    };
    let report = db
        .store
        .import_households(
            &ctx(&cw, "ignored"),
            import_of('b', ImportMode::ValidOnly, files.clone()),
            &progress,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            report.households,
            report.households_imported,
            report.members_imported,
            report.households_skipped
        ),
        (3, 1, 2, 2),
        "{report:?}"
    );
    assert!(
        progress_seen
            .lock()
            .unwrap()
            .contains(&ImportStage::Writing)
    );
    let id = report.first_household_id.unwrap();
    let got = db.store.household(&cw, id).await.unwrap();
    assert_eq!(got.members.len(), 2);
    assert_eq!(got.members[0].id_number, good.members[0].id_number);
    let events = db
        .store
        .events_for(&cw, &format!("household:{id}"))
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "household.registered");
    assert_eq!(events[0].payload["import"]["sha256"], "b".repeat(64));
    // one household.registered + one household.import_completed
    assert_eq!(event_count(db).await, before + 2);

    // The same file again by the same account: the first report, nothing new.
    let again = db
        .store
        .import_households(
            &ctx(&cw, "other"),
            import_of('b', ImportMode::ValidOnly, files),
            &no_progress,
        )
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.households_imported, 1);
    assert_eq!(again.first_household_id, Some(id));
    assert_eq!(db.store.counts(&cw).await.unwrap().households, 2);
    let verified = db.store.verify_chain().await.unwrap();
    assert!(verified.first_break.is_none(), "{verified:?}");
    assert_eq!(verified.events, before + 2);

    // A role that may not register households may not import.
    let rv = account(db, "reviewer", Role::TownshipReviewer, XUNCHANG).await;
    let err = db
        .store
        .import_households(
            &ctx(&rv, "x"),
            import_of(
                'c',
                ImportMode::ValidOnly,
                vec![household(XUNCHANG_VILLAGE, 1)],
            ),
            &no_progress,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
}

/// Many households in one import: ids consecutive, every member stored, chain intact.
pub async fn household_import_writes_in_batches(db: &TestDb) {
    use jiuzhu_store::ImportMode;
    load(db).await;
    let admin = account(db, "admin", Role::CountyAdmin, "511526").await;
    let households: Vec<NewHousehold> = (0..450)
        .map(|i| {
            household(
                if i % 2 == 0 {
                    XUNCHANG_VILLAGE
                } else {
                    GONGQUAN_VILLAGE
                },
                1 + i % 3,
            )
        })
        .collect();
    let members: usize = households.iter().map(|h| h.members.len()).sum();
    let report = db
        .store
        .import_households(
            &ctx(&admin, "k"),
            import_of('d', ImportMode::AllOrNothing, households),
            &jiuzhu_store::import::no_progress,
        )
        .await
        .unwrap();
    assert!(
        report.issues.is_empty(),
        "{:?}",
        &report.issues[..3.min(report.issues.len())]
    );
    assert_eq!(report.households_imported, 450);
    assert_eq!(report.members_imported, members as u64);
    let (a, b) = (
        report.first_household_id.unwrap(),
        report.last_household_id.unwrap(),
    );
    assert_eq!(b - a, 449);
    let counts = db.store.counts(&admin).await.unwrap();
    assert_eq!((counts.households, counts.members), (450, members as i64));
    let verified = db.store.verify_chain().await.unwrap();
    assert!(verified.first_break.is_none(), "{verified:?}");
}

// ---- payroll (资金发放) -------------------------------------------------------------------

#[path = "payroll_conformance.rs"]
mod payroll;
pub use payroll::*;

// ---- dynamic management (动态管理) ---------------------------------------------------------

#[path = "dynamic_conformance.rs"]
mod dynamic;
pub use dynamic::*;

// ---- corrections (纠正与追回) ---------------------------------------------------------------

#[path = "correction_conformance.rs"]
mod correction;
pub use correction::*;
