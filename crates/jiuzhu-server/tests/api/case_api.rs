//! Shared HTTP helpers of the case tests (`cases.rs` and `scenarios/`): requests with bearer
//! tokens and idempotency keys, staff accounts, and the JSON bodies of case commands.
//!
//! Every decision body is built by [`approve`] / [`refuse`] and wrapped by [`decide`]: the
//! JSON shape of an approval lives in this one place.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{NaiveDate, NaiveDateTime, Utc};
use jiuzhu_domain::calendar::Calendar;
use jiuzhu_domain::{DivisionCode, Role};
use jiuzhu_store::auth::hash_password;
use jiuzhu_store::{Actor, Command, CommandContext, NewUser};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, client, system};

/// The answer to a request: status, whether it was an idempotent replay, JSON body.
pub struct Reply {
    pub status: StatusCode,
    pub replayed: bool,
    pub body: Value,
}

impl Reply {
    /// Asserts a 2xx answer and returns the body.
    #[track_caller]
    pub fn ok(self, what: &str) -> Value {
        assert!(
            self.status.is_success(),
            "{what}: expected success, got {} {}",
            self.status,
            self.body
        );
        self.body
    }

    /// Asserts a refusal with this status and JSON error code; returns the message.
    #[track_caller]
    pub fn refused(self, what: &str, status: StatusCode, code: &str) -> String {
        assert_eq!(self.status, status, "{what}: {}", self.body);
        assert_eq!(self.body["code"], code, "{what}: {}", self.body);
        let message = self.body["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(!message.is_empty(), "{what}: no message: {}", self.body);
        message
    }
}

pub async fn post(
    app: &TestApp,
    token: &str,
    path: &str,
    key: Option<&str>,
    body: &Value,
) -> Reply {
    let mut req = client().post(app.url(path)).bearer_auth(token).json(body);
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    let res = req.send().await.expect("POST");
    let status = res.status();
    let replayed = res
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    let body = res.json().await.expect("JSON body");
    Reply {
        status,
        replayed,
        body,
    }
}

pub async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let res = client()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    let status = res.status();
    (status, res.json().await.expect("JSON body"))
}

pub fn user_id(actor: &Actor) -> i64 {
    match actor {
        Actor::User(u) => u.id,
        Actor::System { .. } => panic!("not a user"),
    }
}

/// A command as the API takes it: `{"at": …, "body": …}`.
pub fn cmd(at: &str, body: Value) -> Value {
    json!({ "at": at, "body": body })
}

// ---- decisions: the one place that knows the JSON shape of a decision ----------------

/// 批准 an approval from `start_month` (`YYYY-MM-01`); the engine computes the amount from
/// the profile's standards over `basis` (one of [`top_up`], [`months`], [`age`],
/// [`care`], [`disability`]).
pub fn approve(basis: Value, start_month: &str) -> Value {
    json!({ "kind": "approve", "basis": basis, "start_month": start_month })
}

/// 低保补差 under a standard (`rural` 600 / `urban` 800 yuan per person, national demo
/// values): with [`home_visit`]'s one member earning 300 yuan, rural gives 30000 fen.
pub fn top_up(standard: &str) -> Value {
    json!({ "formula": "top_up", "standard": standard })
}

/// 临时救助 months of a standard (rural 600 / urban 800 yuan a month, demo values).
pub fn months(standard: &str, months: u32) -> Value {
    json!({ "formula": "months_of_standard", "standard": standard, "months": months })
}

/// 高龄津贴 by age (80–89: 50, 90–99: 100, 100+: 300 yuan, demo values).
pub fn age(age: u32) -> Value {
    json!({ "formula": "age_band", "age": age })
}

/// 特困 by self-care level (`full`, `partial`, `self_care`): 1040 yuan + 500 / 200 / 60.
pub fn care(level: &str) -> Value {
    json!({ "formula": "basic_plus_care", "care": level })
}

/// 残疾人两项补贴 (80 yuan each, demo values; nursing only for grades 1–2).
pub fn disability(living: bool, nursing: bool, grade: u8) -> Value {
    json!({ "formula": "disability_subsidy", "living": living, "nursing": nursing, "grade": grade })
}

/// 不予批准 a refusal with its reasons.
pub fn refuse(reasons: &[&str]) -> Value {
    json!({ "kind": "refuse", "reasons": reasons })
}

/// The `decide` command body around a decision from [`approve`] or [`refuse`].
pub fn decide(decision: Value) -> Value {
    json!({ "type": "decide", "decision": decision })
}

// ---- staff -----------------------------------------------------------------------------

/// A logged-in account: its bearer token and user id.
#[derive(Clone)]
pub struct Staff {
    pub username: String,
    pub token: String,
    pub id: i64,
}

impl Staff {
    /// `user:{id}`, as the timeline names the actor.
    pub fn actor(&self) -> String {
        format!("user:{}", self.id)
    }
}

/// Logs `username` in (a demo account or one made by [`create_user`]).
pub async fn staff(app: &TestApp, username: &str) -> Staff {
    Staff {
        username: username.to_string(),
        token: app.token(username).await,
        id: user_id(&app.actor(username).await),
    }
}

/// Creates an account with the demo password and logs it in.
pub async fn create_user(app: &TestApp, username: &str, role: Role, division: &str) -> Staff {
    let hash = hash_password(PASSWORD).expect("hash");
    app.db
        .store
        .execute(
            &CommandContext::new(system(), format!("test:user:{username}"), Utc::now()),
            Command::CreateUser(NewUser {
                username: username.to_string(),
                display_name: format!("测试{}", role.name_zh()),
                role,
                division: DivisionCode::parse(division).expect("division code"),
                password_hash: hash,
            }),
        )
        .await
        .expect("create user");
    staff(app, username).await
}

// ---- commands --------------------------------------------------------------------------

static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

/// A fresh idempotency key.
pub fn key() -> String {
    format!("scenario-{}", NEXT_KEY.fetch_add(1, Ordering::SeqCst))
}

/// `POST /api/v1/cases` with a fresh key.
pub async fn open(app: &TestApp, who: &Staff, at: &str, body: Value) -> Reply {
    post(
        app,
        &who.token,
        "/api/v1/cases",
        Some(&key()),
        &cmd(at, body),
    )
    .await
}

/// `POST /api/v1/cases/{id}/commands` with a fresh key.
pub async fn act(app: &TestApp, who: &Staff, case: i64, at: &str, body: Value) -> Reply {
    post(
        app,
        &who.token,
        &format!("/api/v1/cases/{case}/commands"),
        Some(&key()),
        &cmd(at, body),
    )
    .await
}

/// Runs a command that must succeed; returns the case's new stage.
pub async fn step(app: &TestApp, who: &Staff, case: i64, at: &str, body: Value) -> String {
    let what = format!("{} by {} at {at}", body["type"], who.username);
    let r = act(app, who, case, at, body).await.ok(&what);
    r["stage"].as_str().expect("stage").to_string()
}

pub fn apply_body(
    program: &str,
    village: &str,
    household: i64,
    origin: &str,
    materials: &[&str],
) -> Value {
    json!({
        "type": "apply",
        "case": { "program": program, "village": village, "household_id": household, "origin": origin },
        "materials": materials,
    })
}

/// Opens a case with an application; returns its id.
pub async fn apply(
    app: &TestApp,
    who: &Staff,
    at: &str,
    program: &str,
    village: &str,
    household: i64,
    materials: &[&str],
) -> (i64, String) {
    let origin = if who.username.ends_with("assistant") {
        "on_behalf"
    } else {
        "household"
    };
    let body = open(
        app,
        who,
        at,
        apply_body(program, village, household, origin, materials),
    )
    .await
    .ok("apply");
    (
        body["case_id"].as_i64().expect("case_id"),
        body["stage"].as_str().expect("stage").to_string(),
    )
}

pub fn check_passed() -> Value {
    json!({ "type": "record_check_result", "passed": true, "summary": "核对家庭收入、财产均在规定范围内" })
}

pub fn check_failed(reasons: &[&str]) -> Value {
    json!({
        "type": "record_check_result",
        "passed": false,
        "summary": "核对发现家庭收入、财产超出规定",
        "reasons": reasons,
    })
}

pub fn home_visit(investigators: &[i64], findings: &str) -> Value {
    json!({
        "type": "record_home_visit",
        "investigators": investigators,
        "members": [{
            "member_seq": 1,
            "relation": "head",
            "lives_together": true,
            "able_to_work": false,
            "monthly_income": 30000,
            "note": "",
        }],
        "findings": findings,
    })
}

pub fn review_approve(proposed_fen: i64) -> Value {
    json!({
        "type": "sign_review",
        "recommendation": { "kind": "approve", "proposed_amount": proposed_fen },
        "opinion": "经审核，符合条件，拟批准",
    })
}

pub fn review_refuse(reasons: &[&str]) -> Value {
    json!({
        "type": "sign_review",
        "recommendation": { "kind": "refuse", "reasons": reasons },
        "opinion": "经审核，不符合条件，拟不予批准",
    })
}

pub fn appraisal(outcome: &str) -> Value {
    json!({
        "type": "record_appraisal",
        "participants": ["村民代表甲", "村民代表乙", "驻村干部"],
        "outcome": outcome,
        "minutes": "民主评议会议记录",
    })
}

pub fn simple(kind: &str) -> Value {
    json!({ "type": kind })
}

// ---- reads -----------------------------------------------------------------------------

/// `GET /api/v1/cases/{id}`.
pub async fn case_state(app: &TestApp, who: &Staff, case: i64) -> Value {
    let (status, body) = get(app, &who.token, &format!("/api/v1/cases/{case}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// `GET /api/v1/cases/{id}/timeline`: the events, oldest first.
pub async fn timeline(app: &TestApp, who: &Staff, case: i64) -> Vec<Value> {
    let (status, body) = get(app, &who.token, &format!("/api/v1/cases/{case}/timeline")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["events"].as_array().expect("events").clone()
}

/// The event kinds of a timeline, in order.
pub fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The last event of this kind; asserts there is one.
#[track_caller]
pub fn last_event<'a>(events: &'a [Value], kind: &str) -> &'a Value {
    events
        .iter()
        .rev()
        .find(|e| e["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {:?}", kinds(events)))
}

/// Asserts the event was recorded by `who` in `role` (timeline actor and the payload).
#[track_caller]
pub fn assert_by(event: &Value, who: &Staff, role: &str) {
    assert_eq!(event["actor"], who.actor(), "{event}");
    assert_eq!(event["role"], role, "{event}");
    assert_eq!(event["payload"]["by"], who.id, "{event}");
    assert_eq!(event["payload"]["role"], role, "{event}");
}

/// The ids of the cases in a list answer (`/cases/overdue`, `/cases/due-soon`, `/cases`).
pub async fn listed(app: &TestApp, who: &Staff, path: &str) -> Vec<i64> {
    let (status, body) = get(app, &who.token, path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["id"].as_i64().expect("id"))
        .collect()
}

/// The due date of `step` among the case's open deadlines (`dues`), if any.
pub fn due_of(state: &Value, step: &str) -> Option<String> {
    state["dues"]
        .as_array()
        .expect("dues")
        .iter()
        .find(|d| d["step"] == step)
        .map(|d| d["due"]["date"].as_str().expect("date").to_string())
}

// ---- dates -----------------------------------------------------------------------------

pub fn calendar() -> Calendar {
    Calendar::builtin()
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// The Nth working day after `from` (DOMAIN.md §10: counted from the day after), as text.
pub fn working_days_after(from: &str, n: u32) -> String {
    calendar()
        .add_working_days(date(from), n)
        .expect("calendar")
        .to_string()
}

/// Local (Asia/Shanghai) time now, minus `minutes`, as the API takes it.
pub fn local_minutes_ago(minutes: i64) -> NaiveDateTime {
    (Utc::now() + chrono::Duration::hours(8) - chrono::Duration::minutes(minutes)).naive_utc()
}

pub fn stamp(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// A 珙县 珙泉镇 低保 case of a new household taken to the review (materials complete, the
/// check passed, the home visit found `findings`) in October 2026, as the caseworker
/// `gongxian.caseworker`: (household id, case id, the caseworker).
pub async fn gongxian_dibao_to_review(app: &TestApp, findings: &str) -> (i64, i64, Staff) {
    gongxian_dibao_to_review_in(app, crate::helpers::GX_OWN_VILLAGE, findings).await
}

/// A new 珙县 低保 household of `village` approved by the township head at 300 yuan a month
/// from October 2026 (the rural standard 600 minus 300 of income): (household, case).
pub async fn gongxian_dibao_approved_in(app: &TestApp, village: &str) -> (i64, i64) {
    let (household, id, cw) =
        gongxian_dibao_to_review_in(app, village, "家庭收入低于当地低保标准").await;
    let reviewer = staff(app, "gongxian.reviewer").await;
    step(
        app,
        &reviewer,
        id,
        "2026-10-15T10:00:00",
        review_approve(30000),
    )
    .await;
    step(app, &cw, id, "2026-10-15T15:00:00", simple("post_notice")).await;
    step(app, &cw, id, "2026-10-23T09:00:00", simple("end_notice")).await;
    let head = staff(app, "gongxian.head").await;
    step(
        app,
        &head,
        id,
        "2026-10-23T15:00:00",
        decide(approve(top_up("rural"), "2026-10-01")),
    )
    .await;
    (household, id)
}

/// As [`gongxian_dibao_to_review`], for a new household of `village` (a village of 珙泉镇).
pub async fn gongxian_dibao_to_review_in(
    app: &TestApp,
    village: &str,
    findings: &str,
) -> (i64, i64, Staff) {
    let household =
        crate::helpers::register_household(&app.db, &crate::helpers::system(), village).await;
    let cw = staff(app, crate::helpers::GX_CASEWORKER).await;
    let (id, _) = apply(
        app,
        &cw,
        "2026-10-12T09:00:00",
        "dibao",
        village,
        household,
        &[
            "application_form",
            "verification_authorization",
            "integrity_statement",
            "identity_documents",
        ],
    )
    .await;
    let assistant = staff(app, "gongxian.assistant").await;
    step(app, &cw, id, "2026-10-12T10:00:00", simple("request_check")).await;
    let verifier = staff(app, "gongxian.verifier").await;
    step(app, &verifier, id, "2026-10-13T10:00:00", check_passed()).await;
    step(
        app,
        &cw,
        id,
        "2026-10-14T10:00:00",
        home_visit(&[cw.id, assistant.id], findings),
    )
    .await;
    (household, id, cw)
}
