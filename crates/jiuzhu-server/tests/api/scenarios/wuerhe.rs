//! Seed 001 乌尔禾区 (650205): 低保 delegated to 柳树街街道 from 2022-02-01; the plan's own
//! deadlines 10/5/7/3/15 working days (五、审核审批程序); an objection during the notice leads
//! to re-investigation, democratic appraisal, a new notice and the street office's decision.

use reqwest::StatusCode;

use super::{Team, demo_team};
use crate::case_api::{
    act, apply, appraisal, approve, assert_by, case_state, check_passed, decide, due_of,
    home_visit, kinds, last_event, listed, review_approve, simple, step, timeline, top_up,
    working_days_after,
};
use crate::helpers::{TestApp, register_household, spawn_app, system};

/// 柳园居委会, 柳树街街道 (the demo assistant's community).
const VILLAGE: &str = "650205001002";
const TOWNSHIP: &str = "650205001000";

const MATERIALS: &[&str] = &[
    "application_form",
    "verification_authorization",
    "integrity_statement",
    "identity_documents",
];

async fn setup() -> (TestApp, Team, i64) {
    let app = spawn_app().await;
    let t = demo_team(&app, "wuerhe").await;
    let household = register_household(&app.db, &system(), VILLAGE).await;
    (app, t, household)
}

#[tokio::test]
async fn dibao_objection_during_notice_reinvestigation_and_approval() {
    let (app, t, household) = setup().await;
    let (cw, head, reviewer, assistant) = (&t.caseworker, &t.head, &t.reviewer, &t.assistant);

    // 五、(一) 申请受理 with every material: accepted at once.
    let (id, stage) = apply(
        &app,
        cw,
        "2023-03-01T09:00:00",
        "dibao",
        VILLAGE,
        household,
        MATERIALS,
    )
    .await;
    assert_eq!(stage, "investigation");
    let state = case_state(&app, cw, id).await;
    assert_eq!(state["header"]["profile_id"], "650205-wuerhe");
    assert_eq!(state["header"]["township"], TOWNSHIP);
    // 五、(二): 自受理材料之日起10个工作日内 … 调查核实.
    assert_eq!(
        due_of(&state, "investigation").as_deref(),
        Some(working_days_after("2023-03-01", 10).as_str())
    );
    // The street office confirms (二、: from 2022-02-01), so the national 20 working days
    // for delegated confirmation apply to the whole procedure, not 30.
    assert_eq!(
        due_of(&state, "whole_procedure").as_deref(),
        Some(working_days_after("2023-03-01", 20).as_str())
    );

    step(&app, cw, id, "2023-03-01T10:00:00", simple("request_check")).await;
    step(&app, &t.verifier, id, "2023-03-02T10:00:00", check_passed()).await;
    let visit = home_visit(&[cw.id, assistant.id], "家庭收入低于当地低保标准");
    step(&app, cw, id, "2023-03-03T10:00:00", visit).await;
    // 五、(二): 入户调查结束后，在5个工作日内进行审核.
    let state = case_state(&app, cw, id).await;
    assert_eq!(
        due_of(&state, "review").as_deref(),
        Some(working_days_after("2023-03-03", 5).as_str())
    );
    // The investigator may not review (谁受理、谁审核…): only the reviewer signs.
    act(&app, cw, id, "2023-03-06T09:00:00", review_approve(60000))
        .await
        .refused(
            "caseworker reviews",
            StatusCode::FORBIDDEN,
            "case.wrong_role",
        );
    let stage = step(
        &app,
        reviewer,
        id,
        "2023-03-06T10:00:00",
        review_approve(60000),
    )
    .await;
    assert_eq!(
        stage, "to_notice",
        "五、(三): the proposed approval is posted"
    );

    // 五、(三): 公示期为7个工作日.
    step(&app, cw, id, "2023-03-06T15:00:00", simple("post_notice")).await;
    let notice_until = working_days_after("2023-03-06", 7);
    let state = case_state(&app, cw, id).await;
    assert_eq!(
        due_of(&state, "notice").as_deref(),
        Some(notice_until.as_str())
    );
    act(&app, cw, id, "2023-03-10T09:00:00", simple("end_notice"))
        .await
        .refused(
            "notice ended early",
            StatusCode::CONFLICT,
            "case.notice_period_running",
        );
    // No decision while the notice runs.
    act(
        &app,
        head,
        id,
        "2023-03-10T09:00:00",
        decide(approve(top_up("rural"), "2023-03-01")),
    )
    .await
    .refused(
        "decision during notice",
        StatusCode::CONFLICT,
        "case.wrong_stage",
    );

    // 五、(三): 公示期间出现异议的 … 重新调查核实 … 在15个工作日内作出审批决定.
    let objection =
        serde_json::json!({ "type": "raise_objection", "summary": "村民反映其子女有稳定收入" });
    let stage = step(&app, assistant, id, "2023-03-10T11:00:00", objection).await;
    assert_eq!(stage, "reinvestigation");
    let after_objection = working_days_after("2023-03-10", 15);
    let state = case_state(&app, cw, id).await;
    assert_eq!(
        due_of(&state, "decision_after_objection").as_deref(),
        Some(after_objection.as_str())
    );
    assert_eq!(due_of(&state, "notice"), None, "the notice was broken off");
    // Overdue now (its steps fell due in 2023); visible to the street office, not elsewhere.
    assert!(
        listed(&app, cw, "/api/v1/cases/overdue")
            .await
            .contains(&id)
    );
    let gx = crate::case_api::staff(&app, "gongxian.caseworker").await;
    assert!(
        !listed(&app, &gx, "/api/v1/cases/overdue")
            .await
            .contains(&id)
    );

    let revisit = home_visit(
        &[cw.id, assistant.id],
        "重新入户核实：子女已分户另住，无赡养能力",
    );
    assert_eq!(
        step(&app, cw, id, "2023-03-13T10:00:00", revisit).await,
        "review"
    );
    // 五、(二): 对有争议的申请人家庭组织开展民主评议 — the objection calls for it.
    let stage = step(
        &app,
        reviewer,
        id,
        "2023-03-14T10:00:00",
        review_approve(60000),
    )
    .await;
    assert_eq!(stage, "appraisal");
    let stage = step(&app, cw, id, "2023-03-15T10:00:00", appraisal("supports")).await;
    assert_eq!(stage, "to_notice", "the approval is posted again");
    step(&app, cw, id, "2023-03-15T15:00:00", simple("post_notice")).await;
    let second_until = working_days_after("2023-03-15", 7);
    let end_at = format!(
        "{}T09:00:00",
        super::plus_days(crate::case_api::date(&second_until), 1)
    );
    assert_eq!(
        step(&app, cw, id, &end_at, simple("end_notice")).await,
        "decision"
    );
    // 五、(三): 无异议的，街道（乡镇）主要领导在3个工作日内作出确认决定.
    let state = case_state(&app, cw, id).await;
    assert_eq!(
        due_of(&state, "decision").as_deref(),
        Some(working_days_after(&second_until, 3).as_str())
    );

    // Only the street office's head confirms: not the reviewer, not the county admin.
    let decision = decide(approve(top_up("rural"), "2023-03-01"));
    let decide_at = format!(
        "{}T10:00:00",
        super::plus_days(crate::case_api::date(&second_until), 1)
    );
    act(&app, reviewer, id, &decide_at, decision.clone())
        .await
        .refused("reviewer decides", StatusCode::FORBIDDEN, "case.wrong_role");
    super::assert_not_the_authority(
        act(&app, &t.admin, id, &decide_at, decision.clone()).await,
        "county admin decides a delegated case",
    );
    assert_eq!(step(&app, head, id, &decide_at, decision).await, "decided");
    assert!(
        decide_at[..10] <= *after_objection,
        "decided within the 15 working days after the objection"
    );

    // 五、(三): 长期公示; delivered; archived.
    step(&app, cw, id, &decide_at, simple("deliver_notice")).await;
    step(&app, cw, id, &decide_at, simple("post_result")).await;
    assert_eq!(
        step(&app, cw, id, &decide_at, simple("archive")).await,
        "closed"
    );
    assert!(
        !listed(&app, cw, "/api/v1/cases/overdue")
            .await
            .contains(&id)
    );

    // The timeline names who did what under which authority.
    let events = timeline(&app, cw, id).await;
    let k = kinds(&events);
    assert_eq!(
        k.iter().filter(|k| *k == "case.notice_posted").count(),
        2,
        "{k:?}"
    );
    assert_eq!(
        k.iter()
            .filter(|k| *k == "case.home_visit_recorded")
            .count(),
        2
    );
    let objection = last_event(&events, "case.objection_raised");
    assert_by(objection, assistant, "village_assistant");
    assert_eq!(objection["payload"]["body"]["after_decision"], false);
    assert_eq!(objection["payload"]["body"]["calls_for_appraisal"], true);
    let revisit = last_event(&events, "case.home_visit_recorded");
    assert_eq!(revisit["payload"]["body"]["reinvestigation"], true);
    assert_by(revisit, cw, "township_caseworker");
    let called = last_event(&events, "case.appraisal_called");
    assert_eq!(called["payload"]["body"]["reason"], "objection");
    assert_by(
        last_event(&events, "case.review_signed"),
        reviewer,
        "township_reviewer",
    );
    let decided = last_event(&events, "case.decided");
    assert_by(decided, head, "township_head");
    let authority = &decided["payload"]["body"]["authority"];
    assert_eq!(authority["level"], "township", "{decided}");
    assert_eq!(authority["township"], TOWNSHIP);
    assert!(authority["grant_id"].as_i64().is_some(), "{decided}");
    assert_eq!(k.last().map(String::as_str), Some("case.closed"));

    app.cleanup().await;
}

#[tokio::test]
async fn dibao_notice_cannot_be_objected_to_after_it_ran_out() {
    let (app, t, household) = setup().await;
    let cw = &t.caseworker;
    let (id, _) = apply(
        &app,
        cw,
        "2023-03-01T09:00:00",
        "dibao",
        VILLAGE,
        household,
        MATERIALS,
    )
    .await;
    let ready = super::to_decision(&app, &t, id, crate::case_api::date("2023-03-01")).await;
    // The notice ran 7 working days from 2023-03-04; an objection after its end is a
    // complaint, not an objection to the notice, and there is no posting after the decision
    // in this plan (五、(三) posts before deciding).
    let objection = serde_json::json!({ "type": "raise_objection", "summary": "逾期异议" });
    act(
        &app,
        &t.assistant,
        id,
        &super::at(ready, "11:00:00"),
        objection.clone(),
    )
    .await
    .refused(
        "objection at decision",
        StatusCode::CONFLICT,
        "case.wrong_stage",
    );
    step(
        &app,
        &t.head,
        id,
        &super::at(ready, "12:00:00"),
        decide(approve(top_up("rural"), "2023-03-01")),
    )
    .await;
    step(
        &app,
        cw,
        id,
        &super::at(ready, "13:00:00"),
        simple("post_result"),
    )
    .await;
    act(
        &app,
        &t.assistant,
        id,
        &super::at(ready, "14:00:00"),
        objection,
    )
    .await
    .refused(
        "objection after a pre-decision notice",
        StatusCode::CONFLICT,
        "case.objection_after_notice",
    );
    app.cleanup().await;
}
