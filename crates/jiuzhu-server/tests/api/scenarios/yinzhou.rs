//! Seed 002 鄞州区 (330212): the plan integrates assistance but delegates nothing (三、(一) the
//! district's 社会救助管理服务中心; 三、(二) townships 統一受理救助申請，統一上報救助信息): the
//! township receives and reports, the district bureau decides.

use super::{at, demo_team, to_decision};
use crate::case_api::{
    act, apply, approve, assert_by, case_state, date, decide, due_of, last_event, step, timeline,
    top_up, working_days_after,
};
use crate::helpers::{register_household, spawn_app, system};

/// 东兴社区, 下应街道 (the demo assistant's community).
const VILLAGE: &str = "330212001005";

#[tokio::test]
async fn dibao_is_decided_by_the_district_bureau() {
    let app = spawn_app().await;
    let t = demo_team(&app, "yinzhou").await;
    let household = register_household(&app.db, &system(), VILLAGE).await;
    let day = date("2023-03-01");
    let (id, stage) = apply(
        &app,
        &t.caseworker,
        &at(day, "09:00:00"),
        "dibao",
        VILLAGE,
        household,
        &[
            "application_form",
            "verification_authorization",
            "integrity_statement",
            "identity_documents",
        ],
    )
    .await;
    assert_eq!(stage, "investigation");
    let state = case_state(&app, &t.caseworker, id).await;
    assert_eq!(state["header"]["profile_id"], "330212-yinzhou");
    // Not delegated: the national 30 working days (not the 20 of delegated confirmation).
    assert_eq!(
        due_of(&state, "whole_procedure"),
        Some(working_days_after("2023-03-01", 30))
    );
    let ready = to_decision(&app, &t, id, day).await;
    // National decision period: 10 working days from the end of the (7-day) notice.
    let state = case_state(&app, &t.caseworker, id).await;
    assert_eq!(
        due_of(&state, "decision"),
        Some(working_days_after(
            &(ready - chrono::Days::new(1)).to_string(),
            10
        ))
    );

    let decision = decide(approve(top_up("rural"), "2023-03-01"));
    let message = super::assert_not_the_authority(
        act(&app, &t.head, id, &at(ready, "10:00:00"), decision.clone()).await,
        "street office head in a district that delegates nothing",
    );
    assert!(message.contains("县级"), "{message}");
    assert!(message.contains("未授权"), "the reason: {message}");
    step(&app, &t.admin, id, &at(ready, "11:00:00"), decision).await;

    let events = timeline(&app, &t.admin, id).await;
    let decided = last_event(&events, "case.decided");
    assert_by(decided, &t.admin, "county_admin");
    let authority = &decided["payload"]["body"]["authority"];
    assert_eq!(authority["level"], "county", "{decided}");
    assert_eq!(authority["county"], "330212");
    assert_eq!(authority["reason"]["reason"], "not_delegated");
    // The township still did the intake, investigation and review.
    assert_by(&events[0], &t.caseworker, "township_caseworker");
    assert_by(
        last_event(&events, "case.review_signed"),
        &t.reviewer,
        "township_reviewer",
    );
    app.cleanup().await;
}
