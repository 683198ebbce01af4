//! Seed 003 珙县 (511526): the phased delegation (三、试点范围: six pilot towns from
//! 2020-05-01, the other townships from 2020-10-01) and the 3,000-yuan cap on 临时救助
//! (二、下放内容: 临时救助（3000元以下）).

use chrono::NaiveDate;
use jiuzhu_domain::Role;
use reqwest::StatusCode;

use super::{Team, at, demo_team, to_decision};
use crate::case_api::{
    act, apply, approve, assert_by, case_state, create_user, date, decide, due_of, last_event,
    months, step, timeline, top_up, working_days_after,
};
use crate::helpers::{GX_OWN_VILLAGE, TestApp, register_household, spawn_app, system};

/// 上罗镇, not a pilot town: its townships confirm from 2020-10-01.
const SHANGLUO: &str = "511526104000";
/// 汪家村, 上罗镇.
const SHANGLUO_VILLAGE: &str = "511526104202";

const DIBAO: &[&str] = &[
    "application_form",
    "verification_authorization",
    "integrity_statement",
    "identity_documents",
];
const LINSHI: &[&str] = &[
    "application_form",
    "verification_authorization",
    "identity_documents",
];

/// The staff of 上罗镇 (created by the test) with the county's demo accounts.
async fn shangluo_team(app: &TestApp, county: &Team) -> Team {
    Team {
        caseworker: create_user(
            app,
            "shangluo.caseworker",
            Role::TownshipCaseworker,
            SHANGLUO,
        )
        .await,
        reviewer: create_user(app, "shangluo.reviewer", Role::TownshipReviewer, SHANGLUO).await,
        head: create_user(app, "shangluo.head", Role::TownshipHead, SHANGLUO).await,
        verifier: county.verifier.clone(),
        assistant: create_user(
            app,
            "shangluo.assistant",
            Role::VillageAssistant,
            SHANGLUO_VILLAGE,
        )
        .await,
        admin: county.admin.clone(),
    }
}

/// Opens a 低保 case in `village` on `day` and takes it to the confirming authority.
async fn dibao_case(app: &TestApp, t: &Team, village: &str, day: NaiveDate) -> (i64, NaiveDate) {
    let household = register_household(&app.db, &system(), village).await;
    let (id, stage) = apply(
        app,
        &t.caseworker,
        &at(day, "09:00:00"),
        "dibao",
        village,
        household,
        DIBAO,
    )
    .await;
    assert_eq!(stage, "investigation");
    let ready = to_decision(app, t, id, day).await;
    (id, ready)
}

#[tokio::test]
async fn pilot_town_confirms_while_a_non_pilot_towns_case_goes_to_the_county() {
    let app = spawn_app().await;
    let gx = demo_team(&app, "gongxian").await;
    let sl = shangluo_team(&app, &gx).await;
    let june = date("2020-06-01");

    // 珙泉镇 is a pilot town (三、: 从2020年5月1日起 … 先行纳入试点).
    let (pilot, ready) = dibao_case(&app, &gx, GX_OWN_VILLAGE, june).await;
    let state = case_state(&app, &gx.caseworker, pilot).await;
    assert_eq!(state["stage"], "decision");
    let decided = step(
        &app,
        &gx.head,
        pilot,
        &at(ready, "10:00:00"),
        decide(approve(top_up("rural"), "2020-06-01")),
    )
    .await;
    assert_eq!(decided, "decided");

    // 上罗镇 is not, until 2020-10-01 (其余乡镇从10月1日起全域推开).
    let (rollout, ready) = dibao_case(&app, &sl, SHANGLUO_VILLAGE, june).await;
    // Not yet delegated at acceptance: the national 30 working days, not the delegated 20.
    let pilot_events = timeline(&app, &gx.caseworker, pilot).await;
    let accepted = last_event(&pilot_events, "case.accepted");
    let whole = |events: &serde_json::Value| {
        events["payload"]["body"]["dues"]
            .as_array()
            .expect("dues")
            .iter()
            .find(|d| d["step"] == "whole_procedure")
            .map(|d| d["due"]["date"].as_str().expect("date").to_string())
    };
    assert_eq!(whole(accepted), Some(working_days_after("2020-06-01", 20)));
    let rollout_events = timeline(&app, &sl.caseworker, rollout).await;
    assert_eq!(
        whole(last_event(&rollout_events, "case.accepted")),
        Some(working_days_after("2020-06-01", 30))
    );
    let state = case_state(&app, &sl.caseworker, rollout).await;
    assert_eq!(
        due_of(&state, "whole_procedure"),
        Some(working_days_after("2020-06-01", 30))
    );

    // The town's head is refused, with the reason; the county admin confirms.
    let message = super::assert_not_the_authority(
        act(
            &app,
            &sl.head,
            rollout,
            &at(ready, "10:00:00"),
            decide(approve(top_up("rural"), "2020-06-01")),
        )
        .await,
        "non-pilot head before 2020-10-01",
    );
    assert!(message.contains("县级"), "{message}");
    assert!(message.contains("2020-10-01"), "the reason: {message}");
    // 珙泉镇's head has no say in 上罗镇 (outside the jurisdiction: 404).
    let foreign = act(
        &app,
        &gx.head,
        rollout,
        &at(ready, "10:00:00"),
        decide(approve(top_up("rural"), "2020-06-01")),
    )
    .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{}", foreign.body);
    step(
        &app,
        &gx.admin,
        rollout,
        &at(ready, "11:00:00"),
        decide(approve(top_up("rural"), "2020-06-01")),
    )
    .await;

    let events = timeline(&app, &gx.admin, rollout).await;
    let decided = last_event(&events, "case.decided");
    assert_by(decided, &gx.admin, "county_admin");
    let authority = &decided["payload"]["body"]["authority"];
    assert_eq!(authority["level"], "county", "{decided}");
    assert_eq!(authority["county"], "511526");
    assert_eq!(
        authority["reason"]["reason"], "not_yet_in_force",
        "{decided}"
    );
    assert_eq!(authority["reason"]["from"], "2020-10-01");
    let events = timeline(&app, &gx.head, pilot).await;
    let decided = last_event(&events, "case.decided");
    assert_by(decided, &gx.head, "township_head");
    assert_eq!(decided["payload"]["body"]["authority"]["level"], "township");
    assert_eq!(
        decided["payload"]["body"]["authority"]["township"],
        "511526100000"
    );

    // From 2020-10-01 上罗镇 confirms its own cases, and the county admin no longer does.
    let (later, ready) = dibao_case(&app, &sl, SHANGLUO_VILLAGE, date("2020-10-12")).await;
    let state = case_state(&app, &sl.caseworker, later).await;
    assert_eq!(
        due_of(&state, "whole_procedure"),
        Some(working_days_after("2020-10-12", 20))
    );
    super::assert_not_the_authority(
        act(
            &app,
            &gx.admin,
            later,
            &at(ready, "10:00:00"),
            decide(approve(top_up("rural"), "2020-10-01")),
        )
        .await,
        "county admin after the rollout",
    );
    step(
        &app,
        &sl.head,
        later,
        &at(ready, "11:00:00"),
        decide(approve(top_up("rural"), "2020-10-01")),
    )
    .await;
    app.cleanup().await;
}

#[tokio::test]
async fn linshi_above_3000_yuan_goes_to_the_county() {
    let app = spawn_app().await;
    let gx = demo_team(&app, "gongxian").await;
    let day = date("2021-03-01");

    let household = register_household(&app.db, &system(), GX_OWN_VILLAGE).await;
    let (id, _) = apply(
        &app,
        &gx.caseworker,
        &at(day, "09:00:00"),
        "linshi",
        GX_OWN_VILLAGE,
        household,
        LINSHI,
    )
    .await;
    // 临时救助 has no notice and no appraisal (national): straight to the authority.
    let ready = to_decision(&app, &gx, id, day).await;
    let big = decide(approve(months("rural", 6), "2021-03-01"));
    let message = super::assert_not_the_authority(
        act(&app, &gx.head, id, &at(ready, "10:00:00"), big.clone()).await,
        "township head above the cap",
    );
    // The reason: above the township's cap of 3,000 yuan.
    assert!(message.contains("3000.00"), "the reason: {message}");
    assert!(message.contains("县级"), "{message}");
    assert_eq!(
        step(&app, &gx.admin, id, &at(ready, "11:00:00"), big).await,
        "decided"
    );
    let events = timeline(&app, &gx.admin, id).await;
    let decided = last_event(&events, "case.decided");
    assert_by(decided, &gx.admin, "county_admin");
    assert_eq!(decided["payload"]["body"]["authority"]["level"], "county");
    assert_eq!(
        decided["payload"]["body"]["authority"]["reason"],
        serde_json::json!({ "reason": "above_cap", "cap": 300000 })
    );
    assert!(
        !events.iter().any(|e| e["kind"] == "case.notice_posted"),
        "no notice for 临时救助"
    );

    // Exactly 3,000 yuan is 3000元以下: the township head confirms; the county admin may not.
    let household = register_household(&app.db, &system(), GX_OWN_VILLAGE).await;
    let (id, _) = apply(
        &app,
        &gx.caseworker,
        &at(day, "09:00:00"),
        "linshi",
        GX_OWN_VILLAGE,
        household,
        LINSHI,
    )
    .await;
    let ready = to_decision(&app, &gx, id, day).await;
    let at_cap = decide(approve(months("rural", 5), "2021-03-01"));
    super::assert_not_the_authority(
        act(&app, &gx.admin, id, &at(ready, "10:00:00"), at_cap.clone()).await,
        "county admin at the cap",
    );
    step(&app, &gx.head, id, &at(ready, "11:00:00"), at_cap).await;
    let events = timeline(&app, &gx.head, id).await;
    assert_eq!(
        last_event(&events, "case.decided")["payload"]["body"]["authority"]["level"],
        "township"
    );
    app.cleanup().await;
}
