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
