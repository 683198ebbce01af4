//! The public pages (no login): the board of a county with a running notice, a posted
//! approval and the long-term list, showing the head's name masked and never an identity
//! number or address; the status lookup by application number and the last four
//! characters of an identity number, limited per address.

use chrono::{Duration, NaiveDate, Utc};
use jiuzhu_domain::PersonName;
use reqwest::StatusCode;

use crate::case_api::{
    apply, approve, check_passed, decide, home_visit, review_approve, simple, step, top_up,
};
use crate::helpers::{GX_OWN_VILLAGE, client, register_household, spawn_app, system};
use crate::scenarios::{at, demo_team, plus_days, to_decision};

const DIBAO_MATERIALS: &[&str] = &[
    "application_form",
    "verification_authorization",
    "integrity_statement",
    "identity_documents",
];

fn today() -> NaiveDate {
    (Utc::now() + Duration::hours(8)).date_naive()
}

#[tokio::test]
async fn the_board_shows_masked_notices_and_the_status_lookup_answers() {
    let app = spawn_app().await;
    let t = demo_team(&app, "gongxian").await;
    let cw = &t.caseworker;

    // A case whose notice runs now (posted yesterday, 7 days).
    let h1 = register_household(&app.db, &system(), GX_OWN_VILLAGE).await;
    let d0 = today() - Duration::days(3);
    let (running, _) = apply(
        &app,
        cw,
        &at(d0, "09:00:00"),
        "dibao",
        GX_OWN_VILLAGE,
        h1,
        DIBAO_MATERIALS,
    )
    .await;
    step(
        &app,
        cw,
        running,
        &at(d0, "10:00:00"),
        simple("request_check"),
    )
    .await;
    step(
        &app,
        &t.verifier,
        running,
        &at(plus_days(d0, 1), "10:00:00"),
        check_passed(),
    )
    .await;
    step(
        &app,
        cw,
        running,
        &at(plus_days(d0, 1), "11:00:00"),
        home_visit(&[cw.id, t.assistant.id], "情况属实"),
    )
    .await;
    step(
        &app,
        &t.reviewer,
        running,
        &at(plus_days(d0, 2), "09:00:00"),
        review_approve(30000),
    )
    .await;
    step(
        &app,
        cw,
        running,
        &at(plus_days(d0, 2), "10:00:00"),
        simple("post_notice"),
    )
    .await;

    // A case approved three weeks ago, its result posted.
    let h2 = register_household(&app.db, &system(), GX_OWN_VILLAGE).await;
    let start = today() - Duration::days(21);
    let (approved, _) = apply(
        &app,
        cw,
        &at(start, "09:00:00"),
        "dibao",
        GX_OWN_VILLAGE,
        h2,
        DIBAO_MATERIALS,
    )
    .await;
    let day = to_decision(&app, &t, approved, start).await;
    let month = format!("{}-01", &day.to_string()[..7]);
    step(
        &app,
        &t.head,
        approved,
        &at(day, "15:00:00"),
        decide(approve(top_up("rural"), &month)),
    )
    .await;
    step(
        &app,
        cw,
        approved,
        &at(day, "16:00:00"),
        simple("post_result"),
    )
    .await;

    let anonymous = client();
    let res = anonymous
        .get(app.url("/public/notices?division=511526"))
        .send()
        .await
        .expect("GET board");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("body");
    let masked = PersonName::parse("张某测").unwrap().masked();
    let notices = html.split("id=\"notices\"").nth(1).expect("notice table");
    assert!(notices.contains(&masked), "{html}");
    assert!(notices.contains("300.00元"), "the proposed amount: {html}");
    let results = html.split("id=\"results\"").nth(1).expect("result table");
    assert!(results.contains("300.00元"), "{html}");
    assert!(
        html.contains("id=\"long-term\""),
        "珙县 discloses recipients long-term"
    );
    // Never the full name, an identity number or the address.
    assert!(!html.contains("张某测"));
    assert!(!html.contains("测试地址"));
    for hid in [h1, h2] {
        let h = app.db.store.household(&system(), hid).await.unwrap();
        for m in &h.members {
            assert!(!html.contains(m.id_number.as_str()));
        }
    }
    // Another county's board does not list them; an unknown division is a 404 page.
    let other = anonymous
        .get(app.url("/public/notices?division=640181"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!other.contains("511526-"), "{other}");
    let res = anonymous
        .get(app.url("/public/notices?division=12345"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The status lookup: right number and last four → the stage; wrong → not found.
    let number = app
        .db
        .store
        .case(&app.actor("gongxian.caseworker").await, running)
        .await
        .unwrap()
        .header
        .number;
    let h = app.db.store.household(&system(), h1).await.unwrap();
    let id = h.members[0].id_number.as_str().to_string();
    let last4 = &id[id.len() - 4..];
    let res = anonymous
        .post(app.url("/public/status"))
        .form(&[("number", number.as_str()), ("last4", last4)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("公示中"), "{html}");
    assert!(!html.contains(&id));
    let wrong = if last4 == "0000" { "1111" } else { "0000" };
    let res = anonymous
        .post(app.url("/public/status"))
        .form(&[("number", number.as_str()), ("last4", wrong)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // At most 20 lookups per address in 15 minutes (two were made above).
    let mut limited = false;
    for _ in 0..20 {
        let res = anonymous
            .post(app.url("/public/status"))
            .form(&[("number", number.as_str()), ("last4", wrong)])
            .send()
            .await
            .unwrap();
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "the lookup is rate limited");
    app.cleanup().await;
}

#[tokio::test]
async fn an_objection_from_the_board_is_answered_by_the_township() {
    let app = spawn_app().await;
    let anonymous = client();
    let form = anonymous
        .get(app.url(&format!("/public/report?division={GX_OWN_VILLAGE}")))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    // Empty content: refused, what was typed kept.
    let res = anonymous
        .post(app.url("/public/report"))
        .form(&[
            ("division", GX_OWN_VILLAGE),
            ("kind", "objection"),
            ("case_number", "511526-2026-000001"),
            ("content", "  "),
            ("contact", "13800000000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("value=\"13800000000\""));
    let res = anonymous
        .post(app.url("/public/report"))
        .form(&[
            ("division", GX_OWN_VILLAGE),
            ("kind", "objection"),
            ("case_number", "511526-2026-000001"),
            (
                "content",
                "该户家中有营运车辆，收入未如实申报。\r\n请核实。",
            ),
            ("contact", "13800000000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"report-receipt\""), "{html}");

    // The township's caseworker sees it with its deadline; another county does not.
    let cw = app.logged_in("gongxian.caseworker").await;
    let page = cw
        .get(app.url("/reports"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("营运车辆"), "{page}");
    assert!(
        page.contains("13800000000"),
        "staff see the contact for the answer"
    );
    let lingwu = app.logged_in("lingwu.caseworker").await;
    let other = lingwu
        .get(app.url("/reports"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!other.contains("营运车辆"));
    // The audit log has the report's digest, not its text or the contact.
    let reports = app
        .db
        .store
        .public_reports(&app.actor("gongxian.admin").await, true)
        .await
        .unwrap();
    assert_eq!(reports.len(), 1);
    let id = reports[0].id;
    let events = app
        .db
        .store
        .events_for(&app.actor("gongxian.admin").await, &format!("report:{id}"))
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let payload = events[0].payload.to_string();
    assert!(
        !payload.contains("营运车辆") && !payload.contains("13800000000"),
        "{payload}"
    );
    assert!(payload.contains("content_sha256"));

    // The answer: CSRF from the page, recorded once.
    let csrf = crate::helpers::hidden_field(&page, "csrf").unwrap();
    let answer = |text: &'static str| {
        let csrf = csrf.clone();
        let cw = cw.clone();
        let url = app.url(&format!("/reports/{id}/answer"));
        async move {
            cw.post(url)
                .form(&[("csrf", csrf.as_str()), ("key", "a1"), ("answer", text)])
                .send()
                .await
                .unwrap()
        }
    };
    let res = answer("经入户核实，该车辆为亲属所有，已向反映人说明。").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = cw
        .get(app.url("/reports"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("经入户核实"), "{page}");
    assert!(page.contains("id=\"reports-open\">0<"), "{page}");
    let res = cw
        .post(app.url(&format!("/reports/{id}/answer")))
        .form(&[("csrf", csrf.as_str()), ("key", "a2"), ("answer", "再答复")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("已答复"));
    // The village assistant may not answer.
    let assistant = app.logged_in("gongxian.assistant").await;
    let page = assistant
        .get(app.url("/reports"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("提交答复"));
    app.cleanup().await;
}
