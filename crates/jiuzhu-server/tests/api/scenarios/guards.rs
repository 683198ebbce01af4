//! What the store guards across commands: one open case per household and program, and one
//! decision when two arrive at once.

use reqwest::StatusCode;

use super::{at, demo_team, to_decision};
use crate::case_api::{
    apply, apply_body, approve, case_state, date, decide, key, kinds, open, post, refuse, timeline,
    top_up,
};
use crate::helpers::{GX_OWN_VILLAGE, register_household, spawn_app, system};

const DIBAO: &[&str] = &[
    "application_form",
    "verification_authorization",
    "integrity_statement",
    "identity_documents",
];

#[tokio::test]
async fn a_second_application_of_the_same_household_and_program_is_refused() {
    let app = spawn_app().await;
    let t = demo_team(&app, "gongxian").await;
    let household = register_household(&app.db, &system(), GX_OWN_VILLAGE).await;
    let (first, _) = apply(
        &app,
        &t.caseworker,
        "2023-03-01T09:00:00",
        "dibao",
        GX_OWN_VILLAGE,
        household,
        DIBAO,
    )
    .await;
    // Another request (another key, another day): still the same household and program.
    let again = apply_body("dibao", GX_OWN_VILLAGE, household, "household", DIBAO);
    let message = open(&app, &t.caseworker, "2023-03-02T09:00:00", again)
        .await
        .refused(
            "duplicate application",
            StatusCode::CONFLICT,
            "case.duplicate_application",
        );
    assert!(message.contains("不能重复申请"), "{message}");
    assert!(message.contains(&first.to_string()), "{message}");
    // Another program for the same household is a case of its own.
    apply(
        &app,
        &t.caseworker,
        "2023-03-02T10:00:00",
        "linshi",
        GX_OWN_VILLAGE,
        household,
        &[
            "application_form",
            "verification_authorization",
            "identity_documents",
        ],
    )
    .await;
    let (_, body) = crate::case_api::get(
        &app,
        &t.caseworker.token,
        "/api/v1/cases?program=dibao&open=true",
    )
    .await;
    assert_eq!(body["total"], 1, "{body}");
    app.cleanup().await;
}

#[tokio::test]
async fn two_concurrent_decisions_never_both_succeed() {
    let app = spawn_app().await;
    let t = demo_team(&app, "gongxian").await;
    let household = register_household(&app.db, &system(), GX_OWN_VILLAGE).await;
    let day = date("2023-03-01");
    let (id, _) = apply(
        &app,
        &t.caseworker,
        &at(day, "09:00:00"),
        "dibao",
        GX_OWN_VILLAGE,
        household,
        DIBAO,
    )
    .await;
    let ready = to_decision(&app, &t, id, day).await;
    let path = format!("/api/v1/cases/{id}/commands");
    let yes = crate::case_api::cmd(
        &at(ready, "10:00:00"),
        decide(approve(top_up("rural"), "2023-03-01")),
    );
    let no = crate::case_api::cmd(&at(ready, "10:00:00"), decide(refuse(&["收入超标"])));
    let (k1, k2) = (key(), key());
    let (a, b) = tokio::join!(
        post(&app, &t.head.token, &path, Some(&k1), &yes),
        post(&app, &t.head.token, &path, Some(&k2), &no),
    );
    let ok = [&a, &b].iter().filter(|r| r.status.is_success()).count();
    assert_eq!(
        ok, 1,
        "exactly one decision: {} {} / {} {}",
        a.status, a.body, b.status, b.body
    );
    let loser = if a.status.is_success() { &b } else { &a };
    assert_eq!(loser.status, StatusCode::CONFLICT, "{}", loser.body);
    let events = timeline(&app, &t.head, id).await;
    assert_eq!(
        kinds(&events)
            .iter()
            .filter(|k| *k == "case.decided")
            .count(),
        1
    );
    let state = case_state(&app, &t.head, id).await;
    assert_eq!(state["stage"], "decided");
    let winner_kind = if a.status.is_success() {
        "approve"
    } else {
        "refuse"
    };
    assert_eq!(state["decision"]["decision"]["kind"], winner_kind);
    app.cleanup().await;
}
