//! Seed 000 灵武市 (640181): 高龄津贴 and 残疾人两项补贴 delegated to every township and
//! street from 2021-09-05 (三、(一)/(二), 四、(二)), with the village committee's first review
//! (三、(三)3.: 村(居)委会 协助…开展社会救助受理及初审工作) and democratic appraisal as a
//! regular township step (三、(三)2.: 组织入户调查、民主评议).

use reqwest::StatusCode;
use serde_json::json;

use super::{Team, demo_team, plus_days};
use crate::case_api::{
    act, age, apply, appraisal, approve, assert_by, case_state, check_passed, date, decide,
    disability, due_of, home_visit, kinds, last_event, review_approve, simple, step, timeline,
};
use crate::helpers::{TestApp, register_household, spawn_app, system};

/// 谢家井社区, 城区街道 (the demo assistant's community).
const VILLAGE: &str = "640181001001";
const TOWNSHIP: &str = "640181001000";

/// From the village's first review to the decision by the street office's head; returns the
/// timeline.
async fn village_review_to_decision(
    app: &TestApp,
    t: &Team,
    id: i64,
    notice: bool,
    basis: serde_json::Value,
) -> Vec<serde_json::Value> {
    let (cw, assistant) = (&t.caseworker, &t.assistant);
    // The first review is the village's, not the township's.
    let review = json!({ "type": "record_village_review", "supports": true, "opinion": "经村民委员会初审，情况属实" });
    act(app, cw, id, "2022-03-02T09:00:00", review.clone())
        .await
        .refused(
            "caseworker's village review",
            StatusCode::FORBIDDEN,
            "case.wrong_role",
        );
    act(app, cw, id, "2022-03-02T09:00:00", simple("request_check"))
        .await
        .refused(
            "check before acceptance",
            StatusCode::CONFLICT,
            "case.wrong_stage",
        );
    let stage = step(app, assistant, id, "2022-03-02T10:00:00", review).await;
    assert_eq!(stage, "investigation", "accepted after the first review");
    step(app, cw, id, "2022-03-02T11:00:00", simple("request_check")).await;
    step(app, &t.verifier, id, "2022-03-03T10:00:00", check_passed()).await;
    step(
        app,
        cw,
        id,
        "2022-03-04T10:00:00",
        home_visit(&[cw.id, assistant.id], "情况属实"),
    )
    .await;
    // 三、(三)2.: appraisal in every case, whatever the review says.
    let stage = step(
        app,
        &t.reviewer,
        id,
        "2022-03-07T10:00:00",
        review_approve(10000),
    )
    .await;
    assert_eq!(stage, "appraisal");
    let stage = step(app, cw, id, "2022-03-08T10:00:00", appraisal("supports")).await;
    let decide_day = if notice {
        assert_eq!(stage, "to_notice");
        step(app, cw, id, "2022-03-08T15:00:00", simple("post_notice")).await;
        let state = case_state(app, cw, id).await;
        // National 7 calendar days (the plan gives no length).
        assert_eq!(due_of(&state, "notice").as_deref(), Some("2022-03-15"));
        let day = plus_days(date("2022-03-15"), 1);
        step(
            app,
            cw,
            id,
            &format!("{day}T09:00:00"),
            simple("end_notice"),
        )
        .await;
        day
    } else {
        assert_eq!(stage, "decision");
        date("2022-03-08")
    };
    // Delegated (四、(二) 全面实施 from 2021-09-05): the county admin may not confirm.
    let decision = decide(approve(basis, "2022-03-01"));
    super::assert_not_the_authority(
        act(
            app,
            &t.admin,
            id,
            &format!("{decide_day}T10:00:00"),
            decision.clone(),
        )
        .await,
        "county admin on a delegated program",
    );
    step(
        app,
        &t.head,
        id,
        &format!("{decide_day}T11:00:00"),
        decision,
    )
    .await;
    // 三、(三)2.: 确认救助对象长期公示.
    step(
        app,
        cw,
        id,
        &format!("{decide_day}T14:00:00"),
        simple("deliver_notice"),
    )
    .await;
    act(
        app,
        cw,
        id,
        &format!("{decide_day}T15:00:00"),
        simple("archive"),
    )
    .await
    .refused(
        "archive before posting",
        StatusCode::CONFLICT,
        "case.result_not_posted",
    );
    step(
        app,
        cw,
        id,
        &format!("{decide_day}T15:00:00"),
        simple("post_result"),
    )
    .await;
    step(
        app,
        cw,
        id,
        &format!("{decide_day}T16:00:00"),
        simple("archive"),
    )
    .await;

    let events = timeline(app, cw, id).await;
    let reviewed = last_event(&events, "case.village_reviewed");
    assert_by(reviewed, assistant, "village_assistant");
    assert_eq!(reviewed["payload"]["body"]["supports"], true);
    assert_eq!(
        last_event(&events, "case.appraisal_called")["payload"]["body"]["reason"],
        "always"
    );
    let decided = last_event(&events, "case.decided");
    assert_by(decided, &t.head, "township_head");
    assert_eq!(decided["payload"]["body"]["authority"]["level"], "township");
    assert_eq!(
        decided["payload"]["body"]["authority"]["township"],
        TOWNSHIP
    );
    events
}

#[tokio::test]
async fn gaoling_with_village_first_review() {
    let app = spawn_app().await;
    let t = demo_team(&app, "lingwu").await;
    let household = register_household(&app.db, &system(), VILLAGE).await;
    // The village assistant files on the household's behalf (代办).
    let (id, stage) = apply(
        &app,
        &t.assistant,
        "2022-03-01T09:00:00",
        "gaoling",
        VILLAGE,
        household,
        &[
            "application_form",
            "identity_documents",
            "verification_authorization",
        ],
    )
    .await;
    assert_eq!(stage, "village_review");
    let state = case_state(&app, &t.caseworker, id).await;
    assert_eq!(state["header"]["procedure"]["village_review"], true);
    assert_eq!(state["header"]["procedure"]["appraisal"], "always");
    assert_eq!(state["header"]["origin"], "on_behalf");
    // A 92-year-old: the 90–99 band, 100 yuan a month (national demo value).
    let events = village_review_to_decision(&app, &t, id, true, age(92)).await;
    let state = case_state(&app, &t.caseworker, id).await;
    assert_eq!(state["decision"]["decision"]["amount"], 10000, "{state}");
    let k = kinds(&events);
    let order: Vec<usize> = [
        "case.sent_for_village_review",
        "case.village_reviewed",
        "case.accepted",
        "case.appraisal_called",
        "case.notice_posted",
        "case.decided",
        "case.result_posted",
    ]
    .iter()
    .map(|want| k.iter().position(|k| k == want).expect(want))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{k:?}");
    assert_by(&events[0], &t.assistant, "village_assistant");
    app.cleanup().await;
}

#[tokio::test]
async fn canji_with_village_first_review() {
    let app = spawn_app().await;
    let t = demo_team(&app, "lingwu").await;
    let household = register_household(&app.db, &system(), VILLAGE).await;
    // A household's own application at the window cannot be filed by the village assistant.
    let own = crate::case_api::apply_body(
        "canji",
        VILLAGE,
        household,
        "household",
        &["application_form"],
    );
    crate::case_api::open(&app, &t.assistant, "2022-03-01T08:00:00", own)
        .await
        .refused(
            "assistant files a household's own application",
            StatusCode::FORBIDDEN,
            "case.wrong_origin",
        );
    // Without the verification authorization: the one-time notice lists it.
    let (id, stage) = apply(
        &app,
        &t.caseworker,
        "2022-03-01T09:00:00",
        "canji",
        VILLAGE,
        household,
        &[
            "application_form",
            "disability_certificate",
            "identity_documents",
        ],
    )
    .await;
    assert_eq!(stage, "awaiting_materials");
    let state = case_state(&app, &t.caseworker, id).await;
    let missing: Vec<&str> = state["one_time_notice"]["missing"]
        .as_array()
        .expect("one-time notice")
        .iter()
        .map(|m| m["key"].as_str().expect("key"))
        .collect();
    assert_eq!(missing, ["verification_authorization"]);
    let stage = step(
        &app,
        &t.caseworker,
        id,
        "2022-03-01T15:00:00",
        json!({ "type": "submit_materials", "materials": ["verification_authorization"] }),
    )
    .await;
    assert_eq!(stage, "village_review");
    // 残疾人两项补贴 has no pre-decision notice in this profile: after the appraisal, the head.
    // Grade 1: living and nursing subsidy, 80 + 80 yuan a month (national demo values).
    let events = village_review_to_decision(&app, &t, id, false, disability(true, true, 1)).await;
    let state = case_state(&app, &t.caseworker, id).await;
    assert_eq!(state["decision"]["decision"]["amount"], 16000, "{state}");
    assert!(!kinds(&events).iter().any(|k| k == "case.notice_posted"));
    app.cleanup().await;
}
