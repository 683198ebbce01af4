//! Seed 004 泰安市 (370900; its counties 370902 …): 先核对、后申请, no notice and no
//! appraisal before the decision, the result posted in the village afterwards, an objection to
//! it leading to democratic appraisal, the whole procedure within 20 working days, and
//! 急难型临时救助 helped within 24 hours with the paperwork within 5 working days.

use reqwest::StatusCode;
use serde_json::json;

use super::{Team, demo_team};
use crate::case_api::{
    act, appraisal, approve, assert_by, care, case_state, check_failed, check_passed, decide,
    due_of, home_visit, kinds, last_event, listed, local_minutes_ago, open, refuse, review_approve,
    simple, stamp, step, timeline, top_up, working_days_after,
};
use crate::helpers::{TestApp, register_household, spawn_app, system};

/// 东湖社区, 岱庙街道, 泰山区 (the demo assistant's community).
const VILLAGE: &str = "370902001001";
const TOWNSHIP: &str = "370902001000";

async fn setup() -> (TestApp, Team) {
    let app = spawn_app().await;
    let t = demo_team(&app, "taian").await;
    (app, t)
}

fn pre_check(program: &str, household: i64, materials: &[&str]) -> serde_json::Value {
    json!({
        "type": "request_pre_check",
        "case": { "program": program, "village": VILLAGE, "household_id": household, "origin": "household" },
        "materials": materials,
    })
}

#[tokio::test]
async fn failed_pre_check_is_answered_with_reasons_before_any_application() {
    let (app, t) = setup().await;
    let cw = &t.caseworker;
    let household = register_household(&app.db, &system(), VILLAGE).await;

    // 二、(一): 实行先核对、后申请 — an application first is refused.
    let apply = crate::case_api::apply_body(
        "dibao",
        VILLAGE,
        household,
        "household",
        &[
            "application_form",
            "integrity_statement",
            "verification_authorization",
        ],
    );
    open(&app, cw, "2023-03-01T09:00:00", apply).await.refused(
        "application before the check",
        StatusCode::CONFLICT,
        "case.check_first",
    );
    // 二、(一): 经申请人授权后 … 先行开展经济状况核对 — not without the authorization.
    open(
        &app,
        cw,
        "2023-03-01T09:00:00",
        pre_check("dibao", household, &[]),
    )
    .await
    .refused(
        "check without authorization",
        StatusCode::CONFLICT,
        "case.authorization_missing",
    );

    let opened = open(
        &app,
        cw,
        "2023-03-01T09:30:00",
        pre_check("dibao", household, &["verification_authorization"]),
    )
    .await
    .ok("pre-check");
    assert_eq!(opened["stage"], "pre_check");
    let id = opened["case_id"].as_i64().expect("id");
    let state = case_state(&app, cw, id).await;
    assert_eq!(
        due_of(&state, "economic_check").as_deref(),
        Some(working_days_after("2023-03-01", 3).as_str())
    );
    // The check is the county's: the caseworker may not enter its result.
    act(
        &app,
        cw,
        id,
        "2023-03-02T09:00:00",
        check_failed(&["收入超标"]),
    )
    .await
    .refused(
        "caseworker enters the check",
        StatusCode::FORBIDDEN,
        "case.wrong_role",
    );
    // A failed check needs its reasons (对经核对不符合相关规定的，要向申请人说明理由).
    act(
        &app,
        &t.verifier,
        id,
        "2023-03-02T09:00:00",
        check_failed(&[]),
    )
    .await
    .refused(
        "failed without reasons",
        StatusCode::CONFLICT,
        "case.reasons_required",
    );
    let reasons = [
        "家庭人均月收入高于当地低保标准",
        "家庭成员名下有非营运机动车辆",
    ];
    let stage = step(
        &app,
        &t.verifier,
        id,
        "2023-03-02T10:00:00",
        check_failed(&reasons),
    )
    .await;
    assert_eq!(stage, "closed");
    let state = case_state(&app, cw, id).await;
    assert_eq!(
        state["closure"]["reason"]["kind"], "check_failed",
        "{state}"
    );
    assert_eq!(state["closure"]["reason"]["reasons"], json!(reasons));
    assert!(
        state["applied"].is_null(),
        "no application was taken: {state}"
    );
    // Nothing more on this case; the household may ask again later (no open case).
    act(
        &app,
        cw,
        id,
        "2023-03-03T09:00:00",
        json!({ "type": "apply_after_check", "materials": ["application_form"] }),
    )
    .await
    .refused(
        "apply after a failed check",
        StatusCode::CONFLICT,
        "case.closed",
    );
    let events = timeline(&app, cw, id).await;
    assert_eq!(
        kinds(&events),
        [
            "case.opened",
            "case.materials_submitted",
            "case.check_requested",
            "case.check_recorded",
            "case.closed"
        ]
    );
    assert_by(
        last_event(&events, "case.check_recorded"),
        &t.verifier,
        "county_verifier",
    );
    assert_eq!(events[2]["payload"]["body"]["before_application"], true);
    open(
        &app,
        cw,
        "2023-06-01T09:00:00",
        pre_check("dibao", household, &["verification_authorization"]),
    )
    .await
    .ok("a new pre-check after the closed one");
    app.cleanup().await;
}

#[tokio::test]
async fn dibao_decided_without_notice_posted_after_and_objection_goes_to_appraisal() {
    let (app, t) = setup().await;
    let (cw, head, assistant) = (&t.caseworker, &t.head, &t.assistant);
    let household = register_household(&app.db, &system(), VILLAGE).await;

    let opened = open(
        &app,
        cw,
        "2023-03-01T09:00:00",
        pre_check("dibao", household, &["verification_authorization"]),
    )
    .await
    .ok("pre-check");
    let id = opened["case_id"].as_i64().expect("id");
    assert_eq!(
        step(&app, &t.verifier, id, "2023-03-02T09:00:00", check_passed()).await,
        "invited"
    );
    // 三、一是: 低保申请表、诚信声明及委托授权书 — the authorization is already on file.
    let stage = step(
        &app,
        cw,
        id,
        "2023-03-03T09:00:00",
        json!({ "type": "apply_after_check", "materials": ["application_form", "integrity_statement"] }),
    )
    .await;
    assert_eq!(stage, "investigation");
    // 二、(三): 审核审批时限压缩到20个工作日内, from the application's acceptance.
    let whole_due = working_days_after("2023-03-03", 20);
    let state = case_state(&app, cw, id).await;
    assert_eq!(
        due_of(&state, "whole_procedure").as_deref(),
        Some(whole_due.as_str())
    );
    assert_ne!(whole_due, working_days_after("2023-03-03", 30));

    // No second check: the pre-check's report serves the review.
    act(&app, cw, id, "2023-03-03T10:00:00", simple("request_check"))
        .await
        .refused(
            "second check",
            StatusCode::CONFLICT,
            "case.check_already_done",
        );
    let visit = home_visit(&[cw.id, assistant.id], "家庭收入低于当地低保标准");
    step(&app, cw, id, "2023-03-06T09:00:00", visit).await;
    // 二、(二): 取消审核阶段公示和民主评议 — the approving review goes straight to the decision.
    let stage = step(
        &app,
        &t.reviewer,
        id,
        "2023-03-07T09:00:00",
        review_approve(60000),
    )
    .await;
    assert_eq!(stage, "decision");
    act(&app, cw, id, "2023-03-07T10:00:00", simple("post_notice"))
        .await
        .refused(
            "notice before decision",
            StatusCode::CONFLICT,
            "case.wrong_stage",
        );
    // The street office decides (审批权限下放, demo grant from the plan's date).
    assert_eq!(
        step(
            &app,
            head,
            id,
            "2023-03-08T09:00:00",
            decide(approve(top_up("rural"), "2023-03-01"))
        )
        .await,
        "decided"
    );
    assert!(
        *"2023-03-08" <= *whole_due.as_str(),
        "decided within 20 working days"
    );

    // An objection needs the posted result first.
    let objection = json!({ "type": "raise_objection", "summary": "村民反映该户经营小卖部有收入" });
    act(
        &app,
        assistant,
        id,
        "2023-03-08T10:00:00",
        objection.clone(),
    )
    .await
    .refused(
        "objection before posting",
        StatusCode::CONFLICT,
        "case.result_not_posted",
    );
    step(
        &app,
        cw,
        id,
        "2023-03-08T11:00:00",
        simple("deliver_notice"),
    )
    .await;
    // 二、(二): 审批结果由乡镇(街道)直接在村(居)进行公示.
    step(&app, cw, id, "2023-03-09T09:00:00", simple("post_result")).await;
    // 二、(二): 对公示有异议的，由乡镇(街道)组织开展民主评议.
    assert_eq!(
        step(&app, assistant, id, "2023-03-10T09:00:00", objection).await,
        "appraisal"
    );
    act(&app, cw, id, "2023-03-10T10:00:00", simple("archive"))
        .await
        .refused(
            "archive during appraisal",
            StatusCode::CONFLICT,
            "case.wrong_stage",
        );
    // The appraisal upholds the decision.
    assert_eq!(
        step(&app, cw, id, "2023-03-13T09:00:00", appraisal("supports")).await,
        "decided"
    );
    assert_eq!(
        step(&app, cw, id, "2023-03-13T10:00:00", simple("archive")).await,
        "closed"
    );

    let events = timeline(&app, cw, id).await;
    let k = kinds(&events);
    let decided_at = k.iter().position(|k| k == "case.decided").expect("decided");
    assert!(
        !k[..decided_at]
            .iter()
            .any(|k| k == "case.notice_posted" || k == "case.appraisal_called"),
        "no notice and no appraisal before the decision: {k:?}"
    );
    let objection = last_event(&events, "case.objection_raised");
    assert_eq!(objection["payload"]["body"]["after_decision"], true);
    assert_by(objection, assistant, "village_assistant");
    assert_eq!(
        last_event(&events, "case.appraisal_called")["payload"]["body"]["reason"],
        "objection"
    );
    assert!(k.iter().any(|k| k == "case.decision_upheld"), "{k:?}");
    let decided = last_event(&events, "case.decided");
    assert_by(decided, head, "township_head");
    assert_eq!(decided["payload"]["body"]["authority"]["level"], "township");
    assert_eq!(
        decided["payload"]["body"]["authority"]["township"],
        TOWNSHIP
    );
    assert_by(
        last_event(&events, "case.result_posted"),
        cw,
        "township_caseworker",
    );
    app.cleanup().await;
}

#[tokio::test]
async fn appraisal_against_the_posted_result_reopens_the_decision() {
    let (app, t) = setup().await;
    let (cw, head) = (&t.caseworker, &t.head);
    let household = register_household(&app.db, &system(), VILLAGE).await;
    let opened = open(
        &app,
        cw,
        "2023-03-01T09:00:00",
        pre_check("tekun", household, &["verification_authorization"]),
    )
    .await
    .ok("pre-check 特困");
    let id = opened["case_id"].as_i64().expect("id");
    step(&app, &t.verifier, id, "2023-03-02T09:00:00", check_passed()).await;
    step(
        &app,
        cw,
        id,
        "2023-03-03T09:00:00",
        json!({ "type": "apply_after_check", "materials": ["application_form", "integrity_statement", "identity_documents", "self_care_assessment"] }),
    )
    .await;
    step(
        &app,
        cw,
        id,
        "2023-03-06T09:00:00",
        home_visit(&[cw.id, t.assistant.id], "无劳动能力"),
    )
    .await;
    step(
        &app,
        &t.reviewer,
        id,
        "2023-03-07T09:00:00",
        review_approve(104000),
    )
    .await;
    step(
        &app,
        head,
        id,
        "2023-03-08T09:00:00",
        decide(approve(care("self_care"), "2023-03-01")),
    )
    .await;
    step(
        &app,
        cw,
        id,
        "2023-03-08T10:00:00",
        simple("deliver_notice"),
    )
    .await;
    step(&app, cw, id, "2023-03-09T09:00:00", simple("post_result")).await;
    let objection = json!({ "type": "raise_objection", "summary": "村民反映其有赡养人" });
    step(&app, &t.assistant, id, "2023-03-10T09:00:00", objection).await;
    // The meeting does not support the decision: it is made again by the authority.
    assert_eq!(
        step(&app, cw, id, "2023-03-13T09:00:00", appraisal("opposes")).await,
        "decision"
    );
    let stage = step(
        &app,
        head,
        id,
        "2023-03-14T09:00:00",
        decide(refuse(&["民主评议认定其有法定赡养人且有赡养能力"])),
    )
    .await;
    assert_eq!(stage, "decided");
    let state = case_state(&app, cw, id).await;
    assert_eq!(state["decision"]["decision"]["kind"], "refuse", "{state}");
    assert_eq!(
        state["superseded_decisions"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        due_of(&state, "refusal_notice").as_deref(),
        Some(working_days_after("2023-03-14", 3).as_str())
    );
    let events = timeline(&app, cw, id).await;
    assert!(kinds(&events).iter().any(|k| k == "case.decision_reopened"));
    app.cleanup().await;
}

#[tokio::test]
async fn emergency_help_within_24_hours_and_paperwork_after() {
    let (app, t) = setup().await;
    let cw = &t.caseworker;
    let report = |household: i64| {
        json!({
            "type": "report_emergency",
            "case": { "program": "linshi", "village": VILLAGE, "household_id": household, "origin": "discovered" },
            "summary": "住房失火，家中无处居住",
        })
    };

    // 二、(三): 急难型临时救助要在24小时内先行救助.
    let h1 = register_household(&app.db, &system(), VILLAGE).await;
    let opened = open(&app, cw, "2023-03-01T20:00:00", report(h1))
        .await
        .ok("report");
    assert_eq!(opened["stage"], "emergency_help");
    let id = opened["case_id"].as_i64().expect("id");
    let state = case_state(&app, cw, id).await;
    let help_due = state["dues"]
        .as_array()
        .expect("dues")
        .iter()
        .find(|d| d["step"] == "emergency_help")
        .expect("help due")
        .clone();
    assert_eq!(help_due["due"]["at"], "2023-03-02T20:00:00", "{help_due}");
    // The help is given (no economic check, no application yet).
    let help = json!({ "type": "give_emergency_help", "amount": 200000, "description": "发放临时救助金和生活物资" });
    let stage = step(&app, &t.head, id, "2023-03-02T08:00:00", help).await;
    assert_eq!(stage, "emergency_paperwork");
    // 二、(三): 并在5个工作日内登记…补齐经办人员签字、盖章手续.
    let state = case_state(&app, cw, id).await;
    assert_eq!(
        due_of(&state, "emergency_paperwork").as_deref(),
        Some(working_days_after("2023-03-02", 5).as_str())
    );
    let paperwork = |materials: &[&str]| json!({ "type": "complete_paperwork", "materials": materials, "continue_procedure": false });
    let refused = act(
        &app,
        cw,
        id,
        "2023-03-06T09:00:00",
        paperwork(&["application_form"]),
    )
    .await
    .refused(
        "paperwork incomplete",
        StatusCode::CONFLICT,
        "case.paperwork_incomplete",
    );
    assert!(refused.contains("verification_authorization"), "{refused}");
    let all = [
        "application_form",
        "verification_authorization",
        "identity_documents",
    ];
    assert_eq!(
        step(&app, cw, id, "2023-03-06T10:00:00", paperwork(&all)).await,
        "closed"
    );
    let state = case_state(&app, cw, id).await;
    assert_eq!(state["closure"]["reason"]["kind"], "emergency_only");
    let events = timeline(&app, cw, id).await;
    assert_eq!(
        kinds(&events),
        [
            "case.opened",
            "case.emergency_reported",
            "case.emergency_helped",
            "case.paperwork_completed",
            "case.closed"
        ]
    );
    assert_by(
        last_event(&events, "case.emergency_helped"),
        &t.head,
        "township_head",
    );
    assert_eq!(
        last_event(&events, "case.emergency_helped")["payload"]["body"]["amount"],
        200000
    );

    // A report never helped is overdue after 24 hours; one reported two hours ago is due
    // within a day.
    let h2 = register_household(&app.db, &system(), VILLAGE).await;
    let late = open(&app, cw, "2023-04-03T09:00:00", report(h2))
        .await
        .ok("late report");
    let late = late["case_id"].as_i64().expect("id");
    let h3 = register_household(&app.db, &system(), VILLAGE).await;
    let fresh = open(&app, cw, &stamp(local_minutes_ago(120)), report(h3))
        .await
        .ok("fresh report");
    let fresh = fresh["case_id"].as_i64().expect("id");
    let overdue = listed(&app, cw, "/api/v1/cases/overdue").await;
    assert!(overdue.contains(&late), "{overdue:?}");
    assert!(!overdue.contains(&fresh), "{overdue:?}");
    assert!(!overdue.contains(&id), "closed cases are never overdue");
    let soon = listed(&app, cw, "/api/v1/cases/due-soon?days=1").await;
    assert!(soon.contains(&fresh), "{soon:?}");
    assert!(!soon.contains(&late), "{soon:?}");
    app.cleanup().await;
}
