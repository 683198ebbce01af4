//! `/api/v1/cases`: a 珙县 低保 case from the application to the township head's decision
//! over HTTP with the demo accounts, and the refusals (stage, role, jurisdiction, missing
//! idempotency key, malformed commands).

use chrono::Utc;
use jiuzhu_domain::{DivisionCode, Role};
use jiuzhu_store::auth::hash_password;
use jiuzhu_store::{Command, CommandContext, NewUser};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::case_api::{approve, cmd, decide, get, post, top_up, user_id};
use crate::helpers::{
    GX_CASEWORKER, GX_OWN_VILLAGE, TestApp, client, register_household, spawn_app, system,
};

/// 珙县 accounts of the demo at 珙泉镇 (the county roles at 珙县).
const GX_REVIEWER: &str = "gongxian.reviewer";
const GX_HEAD: &str = "gongxian.head";
const GX_VERIFIER: &str = "gongxian.verifier";
const GX_ASSISTANT: &str = "gongxian.assistant";
/// A caseworker of 巡场镇, another 珙县 township, created by the test.
const OTHER_CASEWORKER: &str = "xunchang.caseworker";

/// Creates the caseworker of 巡场镇 (511526101000) with the demo password.
async fn other_township_caseworker(app: &TestApp) {
    let hash = hash_password(crate::helpers::PASSWORD).expect("hash");
    app.db
        .store
        .execute(
            &CommandContext::new(system(), "test:user:xunchang", Utc::now()),
            Command::CreateUser(NewUser {
                username: OTHER_CASEWORKER.to_string(),
                display_name: "巡场镇经办人".to_string(),
                role: Role::TownshipCaseworker,
                division: DivisionCode::parse("511526101000").expect("code"),
                password_hash: hash,
            }),
        )
        .await
        .expect("create the 巡场镇 caseworker");
}

#[tokio::test]
async fn dibao_case_from_application_to_decision() {
    let app = spawn_app().await;
    other_township_caseworker(&app).await;
    let household = register_household(&app.db, &system(), GX_OWN_VILLAGE).await;
    let cw = app.token(GX_CASEWORKER).await;
    let reviewer = app.token(GX_REVIEWER).await;
    let head = app.token(GX_HEAD).await;
    let verifier = app.token(GX_VERIFIER).await;
    let other = app.token(OTHER_CASEWORKER).await;
    let cw_id = user_id(&app.actor(GX_CASEWORKER).await);
    let assistant_id = user_id(&app.actor(GX_ASSISTANT).await);

    // The application without the integrity statement: 一次性告知.
    let apply = cmd(
        "2023-03-01T09:00:00",
        json!({
            "type": "apply",
            "case": {
                "program": "dibao",
                "village": GX_OWN_VILLAGE,
                "household_id": household,
                "origin": "household",
            },
            "materials": ["application_form", "verification_authorization", "identity_documents"],
        }),
    );
    let opened = post(&app, &cw, "/api/v1/cases", Some("apply-1"), &apply).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    assert!(!opened.replayed);
    let id = opened.body["case_id"].as_i64().expect("case_id");
    assert!(
        opened.body["number"]
            .as_str()
            .unwrap()
            .starts_with("511526-2023-"),
        "{}",
        opened.body
    );
    assert_eq!(opened.body["stage"], "awaiting_materials");
    assert!(
        opened.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "case.materials_incomplete"),
        "{}",
        opened.body
    );
    assert!(opened.body["version"].as_u64().unwrap() >= 1);

    // A retry replays the same body with the header.
    let retry = post(&app, &cw, "/api/v1/cases", Some("apply-1"), &apply).await;
    assert_eq!(retry.status, StatusCode::CREATED);
    assert!(retry.replayed);
    assert_eq!(retry.body, opened.body);

    // No Idempotency-Key: 400.
    let commands = format!("/api/v1/cases/{id}/commands");
    let materials = cmd(
        "2023-03-02T09:00:00",
        json!({ "type": "submit_materials", "materials": ["integrity_statement"] }),
    );
    let missing = post(&app, &cw, &commands, None, &materials).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.body["code"], "idempotency_key_required");

    // A decision now is the wrong stage: 409 with the engine's code and a Chinese message.
    let decide = cmd(
        "2023-03-16T15:00:00",
        decide(approve(top_up("rural"), "2023-03-01")),
    );
    let early = post(&app, &head, &commands, Some("decide-early"), &decide).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert_eq!(early.body["code"], "case.wrong_stage");
    assert!(!early.body["message"].as_str().unwrap().is_empty());

    // Another township's caseworker: 404 on reads and commands; an empty list.
    let (status, body) = get(&app, &other, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = get(&app, &other, &format!("/api/v1/cases/{id}/timeline")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let foreign = post(&app, &other, &commands, Some("other-1"), &materials).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{}", foreign.body);
    let (status, body) = get(&app, &other, "/api/v1/cases").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], 0);

    // Malformed commands: 422 naming the problem; an opening command on a case: 422.
    let bad = post(
        &app,
        &cw,
        &commands,
        Some("bad-1"),
        &cmd("2023-03-02T09:00:00", json!({ "type": "fly_away" })),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(
        bad.body["message"].as_str().unwrap().contains("fly_away"),
        "{}",
        bad.body
    );
    let no_at = post(
        &app,
        &cw,
        &commands,
        Some("bad-2"),
        &json!({ "body": { "type": "request_check" } }),
    )
    .await;
    assert_eq!(no_at.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_at.body["message"].as_str().unwrap().contains("at"),
        "{}",
        no_at.body
    );
    let reopen = post(&app, &cw, &commands, Some("bad-3"), &apply).await;
    assert_eq!(reopen.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reopen.body["field"], "body.type");

    let step = |who: &'static str, at: &'static str, body: Value| (who, at, body);
    let steps = [
        step("cw", "2023-03-02T09:00:00", materials["body"].clone()),
        step(
            "cw",
            "2023-03-02T10:00:00",
            json!({ "type": "request_check" }),
        ),
    ];
    let token = |who: &str| match who {
        "cw" => cw.clone(),
        "reviewer" => reviewer.clone(),
        "head" => head.clone(),
        "verifier" => verifier.clone(),
        other => panic!("{other}"),
    };
    for (i, (who, at, body)) in steps.into_iter().enumerate() {
        let r = post(
            &app,
            &token(who),
            &commands,
            Some(&format!("step-a{i}")),
            &cmd(at, body),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "step a{i}: {}", r.body);
        assert!(!r.replayed);
        assert_eq!(r.body["case_id"], id);
    }

    // The check result is the county verifier's: the caseworker gets 403.
    let check_result = cmd(
        "2023-03-03T10:00:00",
        json!({
            "type": "record_check_result",
            "passed": true,
            "summary": "核对家庭收入、财产均在规定范围内",
        }),
    );
    let wrong_role = post(&app, &cw, &commands, Some("wrong-role"), &check_result).await;
    assert_eq!(
        wrong_role.status,
        StatusCode::FORBIDDEN,
        "{}",
        wrong_role.body
    );
    assert_eq!(wrong_role.body["code"], "case.wrong_role");

    let steps = [
        step(
            "verifier",
            "2023-03-03T10:00:00",
            check_result["body"].clone(),
        ),
        step(
            "cw",
            "2023-03-06T10:00:00",
            json!({
                "type": "record_home_visit",
                "investigators": [cw_id, assistant_id],
                "members": [{
                    "member_seq": 1,
                    "relation": "head",
                    "lives_together": true,
                    "able_to_work": false,
                    "monthly_income": 30000,
                    "note": "患慢性病",
                }],
                "findings": "家庭收入低于当地低保标准",
            }),
        ),
        step(
            "reviewer",
            "2023-03-07T10:00:00",
            json!({
                "type": "sign_review",
                "recommendation": { "kind": "approve", "proposed_amount": 30000 },
                "opinion": "经审核，符合条件，拟批准",
            }),
        ),
        step(
            "cw",
            "2023-03-08T09:00:00",
            json!({ "type": "post_notice" }),
        ),
    ];
    for (i, (who, at, body)) in steps.into_iter().enumerate() {
        let r = post(
            &app,
            &token(who),
            &commands,
            Some(&format!("step-b{i}")),
            &cmd(at, body),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "step b{i}: {}", r.body);
    }

    // The notice runs; its steps were due in 2023, so the case is overdue now.
    let (status, body) = get(&app, &cw, "/api/v1/cases?stage=notice&open=true").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["items"][0]["id"], id);
    assert_eq!(body["items"][0]["stage_name"], "公示中");
    let (status, body) = get(&app, &cw, "/api/v1/cases/overdue").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id),
        "{body}"
    );
    let (status, body) = get(
        &app,
        &cw,
        &format!("/api/v1/cases/due-soon?days=30&division={GX_OWN_VILLAGE}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        !body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id),
        "an overdue case is not 'due soon': {body}"
    );
    let (status, body) = get(&app, &cw, "/api/v1/cases/due-soon?days=soon").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "days");
    let (status, body) = get(&app, &other, "/api/v1/cases/overdue").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"], json!([]));

    // The notice ends; the township head decides under 珙泉镇's 低保 grant (a pilot town
    // of the 珙县 plan, granted by the demo seed from 2020-05-01).
    let end = post(
        &app,
        &cw,
        &commands,
        Some("end-notice"),
        &cmd("2023-03-16T09:00:00", json!({ "type": "end_notice" })),
    )
    .await;
    assert_eq!(end.status, StatusCode::OK, "{}", end.body);
    let decided = post(&app, &head, &commands, Some("decide"), &decide).await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.body);
    assert_eq!(decided.body["stage"], "decided");
    let again = post(&app, &head, &commands, Some("decide"), &decide).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(again.replayed);
    assert_eq!(again.body, decided.body);
    let version = decided.body["version"].as_u64().unwrap();

    // The state: decided by the township, and no identity number anywhere.
    let (status, state) = get(&app, &head, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{state}");
    assert_eq!(state["stage"], "decided");
    assert_eq!(state["version"].as_u64(), Some(version));
    assert_eq!(state["header"]["household_id"], household);
    // 农村低保标准 600 yuan (demo) × 1 member − 300 yuan income, with the working.
    let approval = &state["decision"]["decision"];
    assert_eq!(approval["amount"], 30000, "{state}");
    assert_eq!(approval["calculation"]["payable"], "monthly", "{state}");
    assert_eq!(
        approval["calculation"]["lines"][1]["amount"], -30000,
        "{state}"
    );
    let household_record = app
        .db
        .store
        .household(&system(), household)
        .await
        .expect("household");
    let text = state.to_string();
    for m in &household_record.members {
        assert!(!text.contains(m.id_number.as_str()));
        assert!(!text.contains(&m.name.to_string()));
    }

    // The timeline: every event, oldest first, with who and in which role.
    let (status, timeline) = get(&app, &cw, &format!("/api/v1/cases/{id}/timeline")).await;
    assert_eq!(status, StatusCode::OK, "{timeline}");
    let events = timeline["events"].as_array().unwrap();
    assert_eq!(events.len() as u64, version);
    assert!(
        events
            .windows(2)
            .all(|w| w[0]["seq"].as_i64() < w[1]["seq"].as_i64())
    );
    assert_eq!(events[0]["actor"], format!("user:{cw_id}"));
    assert_eq!(events[0]["role"], "township_caseworker");
    assert!(
        events
            .iter()
            .all(|e| e["payload"].is_object() && e["at"].is_string())
    );
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "case.materials_incomplete"),
        "{timeline}"
    );
    let text = timeline.to_string();
    for m in &household_record.members {
        assert!(!text.contains(m.id_number.as_str()));
    }

    // Lists and filters.
    let (_, body) = get(&app, &cw, "/api/v1/cases?program=dibao&stage=decided").await;
    assert_eq!(body["total"], 1, "{body}");
    let (_, body) = get(&app, &cw, "/api/v1/cases?program=tekun").await;
    assert_eq!(body["total"], 0, "{body}");
    let (status, body) = get(&app, &cw, "/api/v1/cases?stage=nowhere").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "stage");
    let (status, _) = get(&app, &cw, "/api/v1/cases/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    app.cleanup().await;
}

#[tokio::test]
async fn opening_endpoint_takes_only_opening_commands() {
    let app = spawn_app().await;
    let cw = app.token(GX_CASEWORKER).await;
    let r = post(
        &app,
        &cw,
        "/api/v1/cases",
        Some("open-check"),
        &cmd("2023-03-02T10:00:00", json!({ "type": "request_check" })),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["field"], "body.type");
    let r = post(&app, &cw, "/api/v1/cases", None, &json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["code"], "idempotency_key_required");
    let res = client()
        .get(app.url("/api/v1/cases"))
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    app.cleanup().await;
}
