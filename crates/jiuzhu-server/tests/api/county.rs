//! The county's pages: the dashboard with inline SVG charts, the delegation grants (grant
//! and revoke through the forms, refused for a township role) and the profile view.

use reqwest::StatusCode;

use crate::case_api::apply;
use crate::helpers::{GX_OWN_VILLAGE, hidden_field, register_household, spawn_app, system};
use crate::scenarios::demo_team;

#[tokio::test]
async fn dashboard_grants_and_profile_pages() {
    let app = spawn_app().await;
    let t = demo_team(&app, "gongxian").await;
    let h = register_household(&app.db, &system(), GX_OWN_VILLAGE).await;
    apply(
        &app,
        &t.caseworker,
        "2026-11-02T09:00:00",
        "dibao",
        GX_OWN_VILLAGE,
        h,
        &["application_form"],
    )
    .await;
    let admin = app.logged_in("gongxian.admin").await;
    let html = admin
        .get(app.url("/dashboard"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"dash-total\">1<"), "{html}");
    assert!(html.contains("<svg"), "charts are inline SVG");
    assert!(
        html.contains("最低生活保障") || html.contains("低保"),
        "{html}"
    );
    assert!(html.contains("id=\"chart-township\""));

    // The demo grants of 珙县's plan are listed; the admin grants 临时救助 to 巡场镇 with a
    // cap and revokes it again.
    let html = admin
        .get(app.url("/grants"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("3,000.00元"), "{html}");
    let csrf = hidden_field(&html, "csrf").unwrap();
    let before = html.matches("<tr>").count();
    let res = admin
        .post(app.url("/grants"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("key", "g-test-1"),
            ("program", "tekun"),
            ("township", "511526101000"),
            ("from", "2027-01-01"),
            ("until", ""),
            ("cap_yuan", ""),
            ("basis", "珙民〔2026〕1号授权书"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = admin
        .get(app.url("/grants"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("<tr>").count(), before + 1);
    assert!(html.contains("珙民〔2026〕1号授权书"));
    // A bad amount is refused with a message, nothing saved.
    let res = admin
        .post(app.url("/grants"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("key", "g-test-2"),
            ("program", "linshi"),
            ("township", "511526101000"),
            ("from", "2027-01-01"),
            ("cap_yuan", "三千"),
            ("basis", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A township caseworker sees the grants but no forms, and cannot grant.
    let cw = app.logged_in("gongxian.caseworker").await;
    let html = cw
        .get(app.url("/grants"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("id=\"grant-form\""));
    let csrf_cw = hidden_field(&html, "csrf").unwrap();
    let res = cw
        .post(app.url("/grants"))
        .form(&[
            ("csrf", csrf_cw.as_str()),
            ("key", "g-test-3"),
            ("program", "tekun"),
            ("township", "511526100000"),
            ("from", "2027-01-01"),
            ("basis", "自行授权"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("只有县级民政管理员"));

    // The profile view: 珙县's rules, with the demo standards marked.
    let html = admin
        .get(app.url("/profile"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("珙县"), "{html}");
    assert!(html.contains("演示数据"));
    app.cleanup().await;
}
