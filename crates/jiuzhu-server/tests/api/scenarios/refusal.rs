//! A refusal and its notice, by seed 001 乌尔禾区 五、(三): 决定不予批准的，应当在3个工作日内
//! 以书面形式通知申请人并说明理由 (不予批准告知书).

use reqwest::StatusCode;
use serde_json::json;

use super::demo_team;
use crate::case_api::{
    act, apply, approve, assert_by, case_state, check_passed, decide, due_of, home_visit,
    last_event, listed, refuse, review_refuse, simple, step, timeline, top_up, working_days_after,
};
use crate::documents::{download, issue, pdf_text};
use crate::helpers::{register_household, spawn_app, system};

const VILLAGE: &str = "650205001002";

#[tokio::test]
async fn refusal_with_reasons_and_its_written_notice_within_three_working_days() {
    let app = spawn_app().await;
    let t = demo_team(&app, "wuerhe").await;
    let (cw, head) = (&t.caseworker, &t.head);
    let household = register_household(&app.db, &system(), VILLAGE).await;
    let (id, _) = apply(
        &app,
        cw,
        "2023-06-01T09:00:00",
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
    step(&app, cw, id, "2023-06-01T10:00:00", simple("request_check")).await;
    step(&app, &t.verifier, id, "2023-06-02T10:00:00", check_passed()).await;
    step(
        &app,
        cw,
        id,
        "2023-06-05T10:00:00",
        home_visit(&[cw.id, t.assistant.id], "家庭成员有稳定工资收入"),
    )
    .await;
    // A proposed refusal is not posted: it goes to the head (五、(三) posts 拟批准 only).
    let reasons = [
        "家庭人均月收入高于当地低保标准",
        "共同生活的子女有稳定工资收入",
    ];
    let stage = step(
        &app,
        &t.reviewer,
        id,
        "2023-06-06T10:00:00",
        review_refuse(&reasons),
    )
    .await;
    assert_eq!(stage, "decision");
    // An approval needs a notice that ran without objection.
    act(
        &app,
        head,
        id,
        "2023-06-07T09:00:00",
        decide(approve(top_up("rural"), "2023-06-01")),
    )
    .await
    .refused(
        "approval without notice",
        StatusCode::CONFLICT,
        "case.approval_needs_notice",
    );
    // 说明理由: a refusal without reasons is refused.
    act(&app, head, id, "2023-06-07T09:00:00", decide(refuse(&[])))
        .await
        .refused(
            "refusal without reasons",
            StatusCode::CONFLICT,
            "case.reasons_required",
        );
    assert_eq!(
        step(
            &app,
            head,
            id,
            "2023-06-07T10:00:00",
            decide(refuse(&reasons))
        )
        .await,
        "decided"
    );
    // The written notice itself: 不予批准告知书 with every reason and the legal remedy, as
    // an archived PDF whose hash the event log keeps.
    let (status, doc) = issue(&app, cw, id, "refusal_notice").await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    let text = pdf_text(&download(&app, cw, &doc).await);
    let number = doc["number"].as_str().unwrap();
    assert!(number.ends_with("〔2023〕1号"), "{number}");
    for expected in [
        "不予批准告知书",
        number,
        "家庭人均月收入高于当地低保标准",
        "共同生活的子女有稳定工资收入",
        "行政复议",
        "行政诉讼",
        "乌尔禾区人民政府",
        "乌尔禾区人民法院",
        "2023年6月7日",
    ] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }
    // The review form of the same decision takes the issuer's next number.
    let (status, form) = issue(&app, head, id, "application_review_form").await;
    assert_eq!(status, StatusCode::CREATED, "{form}");
    assert!(form["number"].as_str().unwrap().ends_with("〔2023〕2号"));
    let text = pdf_text(&download(&app, head, &form).await);
    for expected in ["申请审核确认表", "审核意见", "确认意见", "不予批准"] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }
    let notice_due = working_days_after("2023-06-07", 3);
    let state = case_state(&app, cw, id).await;
    assert_eq!(
        due_of(&state, "refusal_notice").as_deref(),
        Some(notice_due.as_str())
    );
    assert_eq!(state["decision"]["decision"]["reasons"], json!(reasons));
    // Not delivered yet, and its deadline is long past: overdue.
    assert!(
        listed(&app, cw, "/api/v1/cases/overdue")
            .await
            .contains(&id)
    );
    act(&app, cw, id, "2023-06-08T09:00:00", simple("post_result"))
        .await
        .refused(
            "posting a refusal",
            StatusCode::CONFLICT,
            "case.not_approved",
        );
    act(&app, cw, id, "2023-06-08T09:00:00", simple("archive"))
        .await
        .refused(
            "archive before delivery",
            StatusCode::CONFLICT,
            "case.notice_not_delivered",
        );
    // 不予批准告知书 delivered through the community within the 3 working days.
    let deliver =
        json!({ "type": "deliver_notice", "note": "不予批准告知书经社区送达申请人本人签收" });
    step(&app, &t.assistant, id, "2023-06-09T10:00:00", deliver).await;
    assert!(*"2023-06-09" <= *notice_due.as_str());
    let state = case_state(&app, cw, id).await;
    assert_eq!(due_of(&state, "refusal_notice"), None);
    assert!(
        !listed(&app, cw, "/api/v1/cases/overdue")
            .await
            .contains(&id)
    );
    act(
        &app,
        cw,
        id,
        "2023-06-09T11:00:00",
        simple("deliver_notice"),
    )
    .await
    .refused(
        "delivered twice",
        StatusCode::CONFLICT,
        "case.notice_already_delivered",
    );
    assert_eq!(
        step(&app, cw, id, "2023-06-09T11:00:00", simple("archive")).await,
        "closed"
    );

    let events = timeline(&app, cw, id).await;
    let decided = last_event(&events, "case.decided");
    assert_by(decided, head, "township_head");
    assert_eq!(decided["payload"]["body"]["decision"]["kind"], "refuse");
    assert_eq!(
        decided["payload"]["body"]["decision"]["reasons"],
        json!(reasons)
    );
    assert_eq!(
        decided["payload"]["body"]["refusal_notice_due"]["date"],
        notice_due.as_str()
    );
    let delivered = last_event(&events, "case.notice_delivered");
    assert_by(delivered, &t.assistant, "village_assistant");
    assert!(
        !events.iter().any(|e| e["kind"] == "case.notice_posted"),
        "a refusal is never posted"
    );
    app.cleanup().await;
}
