//! The caseworkers' pages: a 珙县 低保 case taken from the household page to the township
//! head's decision through the forms only (the real server, cookies and CSRF tokens), with
//! a wrong value shown next to its field and kept, a refusal of the engine shown above the
//! form, the worklist and the case list.

use reqwest::StatusCode;

use crate::helpers::{
    GX_CASEWORKER, GX_OWN_VILLAGE, TestApp, element_text, hidden_field, page, register_household,
    spawn_app, system,
};

/// Posts a form of the case page (csrf and idempotency key from the page); returns the
/// status, the redirect target and the body.
async fn act(
    client: &reqwest::Client,
    app: &TestApp,
    id: i64,
    kind: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let (status, html) = page(client, app, &format!("/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = hidden_field(&html, "csrf").expect("csrf on the case page");
    let mut form: Vec<(&str, String)> = vec![("csrf", csrf), ("key", format!("{kind}-{id}"))];
    form.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let res = client
        .post(app.url(&format!("/cases/{id}/act/{kind}")))
        .form(&form)
        .send()
        .await
        .expect("POST");
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    (status, location, res.text().await.expect("body"))
}

fn user_id(actor: &jiuzhu_store::Actor) -> i64 {
    match actor {
        jiuzhu_store::Actor::User(u) => u.id,
        jiuzhu_store::Actor::System { .. } => panic!("not a user"),
    }
}

#[tokio::test]
async fn a_dibao_case_through_the_forms_from_application_to_decision() {
    let app = spawn_app().await;
    let household = register_household(&app.db, &system(), GX_OWN_VILLAGE).await;
    let cw = app.logged_in(GX_CASEWORKER).await;
    let cw_id = user_id(&app.actor(GX_CASEWORKER).await);
    let assistant_id = user_id(&app.actor("gongxian.assistant").await);

    // The household page offers the application; the form lists the 低保 checklist.
    let (_, html) = page(&cw, &app, &format!("/households/{household}")).await;
    assert!(html.contains(&format!("/cases/new?household={household}")));
    let (status, html) = page(
        &cw,
        &app,
        &format!("/cases/new?household={household}&program=dibao"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("家庭经济状况核对授权书"), "{html}");
    let csrf = hidden_field(&html, "csrf").expect("csrf");
    let key = hidden_field(&html, "key").expect("key");
    let hh = household.to_string();
    let apply = [
        ("csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("household", hh.as_str()),
        ("program", "dibao"),
        ("origin", "household"),
        ("materials", "application_form"),
        ("at", "2026-10-12T09:00"),
    ];
    let res = cw
        .post(app.url("/cases/new"))
        .form(&apply)
        .send()
        .await
        .expect("POST /cases/new");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = location
        .trim_start_matches("/cases/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .expect("case id in the redirect");
    // A double click (the same form key) records one application.
    let again = cw
        .post(app.url("/cases/new"))
        .form(&apply)
        .send()
        .await
        .expect("POST again");
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);

    // The one-time notice: missing materials marked, the case waits for them.
    let (_, html) = page(&cw, &app, &location).await;
    assert_eq!(
        element_text(&html, "case-stage").as_deref(),
        Some("待补正材料")
    );
    assert!(html.contains("已办理：提出申请"));
    assert!(html.contains("✘ 家庭经济状况核对授权书"), "{html}");
    let (status, _, _) = act(
        &cw,
        &app,
        id,
        "submit_materials",
        &[
            ("materials", "verification_authorization"),
            ("materials", "integrity_statement"),
            ("materials", "identity_documents"),
            ("at", "2026-10-13T09:00"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = act(
        &cw,
        &app,
        id,
        "request_check",
        &[("at", "2026-10-13T10:00")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let verifier = app.logged_in("gongxian.verifier").await;
    let (status, _, _) = act(
        &verifier,
        &app,
        id,
        "record_check_result",
        &[
            ("passed", "true"),
            ("summary", "收入、财产在规定范围内"),
            ("at", "2026-10-14T10:00"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // A wrong income: 422, the message next to the field, what was typed kept.
    let (cwid, asid) = (cw_id.to_string(), assistant_id.to_string());
    let visit = |income: &'static str| {
        vec![
            ("investigators", cwid.clone()),
            ("investigators", asid.clone()),
            ("m1_lives", "on".to_string()),
            ("m1_income", income.to_string()),
            ("findings", "家庭收入低于当地低保标准".to_string()),
            ("at", "2026-10-15T09:00".to_string()),
        ]
    };
    let bad = visit("三百元");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, html) = act(&cw, &app, id, "record_home_visit", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("金额格式不正确"), "{html}");
    assert!(html.contains("value=\"三百元\""), "the typed value is kept");
    assert!(
        html.contains("家庭收入低于当地低保标准"),
        "the findings are kept"
    );
    let good = visit("300");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, _) = act(&cw, &app, id, "record_home_visit", &good).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let reviewer = app.logged_in("gongxian.reviewer").await;
    let (status, _, _) = act(
        &reviewer,
        &app,
        id,
        "sign_review",
        &[
            ("recommendation", "approve"),
            ("opinion", "经审核，符合条件，拟批准"),
            ("at", "2026-10-16T09:00"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = act(&cw, &app, id, "post_notice", &[("at", "2026-10-16T15:00")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = act(&cw, &app, id, "end_notice", &[("at", "2026-10-26T09:00")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // The head's worklist has the decision; the reviewer's form post is refused by the
    // engine with its Chinese reason, shown above the form.
    let head = app.logged_in("gongxian.head").await;
    let (_, todo) = page(&head, &app, "/todo").await;
    assert!(todo.contains(&format!("/cases/{id}")), "{todo}");
    assert!(todo.contains("确认决定"));
    let decide = [
        ("decision", "approve"),
        ("start_month", "2026-10"),
        ("standard", "rural"),
        ("at", "2026-10-26T15:00"),
    ];
    let (status, _, html) = act(&reviewer, &app, id, "decide", &decide).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("无权"), "{html}");
    let (status, location, _) = act(&head, &app, id, "decide", &decide).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // 农村低保标准 600 yuan (demo) × 1 − 300 yuan income; the working and the timeline.
    let (_, html) = page(&head, &app, &location).await;
    assert_eq!(
        element_text(&html, "case-stage").as_deref(),
        Some("已作出决定")
    );
    assert!(html.contains("批准：300.00元，自2026年10月起"), "{html}");
    assert!(html.contains("乡镇（街道）依授权确认"), "{html}");
    for step in ["入户调查", "签署审核意见", "张贴公示", "确认决定"] {
        assert!(html.contains(step), "timeline lacks {step}");
    }
    // The list finds it by stage; another township's caseworker finds nothing.
    let (_, list) = page(&cw, &app, "/cases?stage=decided").await;
    assert!(list.contains(&format!("/cases/{id}")), "{list}");
    let (status, _) = page(&cw, &app, &format!("/cases/{id}?x")).await;
    assert_eq!(status, StatusCode::OK);

    // Without the session's CSRF token nothing is recorded.
    let res = head
        .post(app.url(&format!("/cases/{id}/act/deliver_notice")))
        .form(&[("csrf", "forged"), ("key", "k")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    app.cleanup().await;
}

#[tokio::test]
async fn case_pages_are_scoped_and_need_a_login() {
    let app = spawn_app().await;
    let anonymous = crate::helpers::client();
    let res = anonymous.get(app.url("/todo")).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let lingwu = app.logged_in("lingwu.caseworker").await;
    let (status, _) = page(&lingwu, &app, "/cases/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, html) = page(&lingwu, &app, "/cases?program=nonsense").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("未知的救助项目"), "{html}");
    app.cleanup().await;
}
