//! 监督检查 over HTTP: a township's refusal is filed with the county; the county supervisor
//! draws the month's sample from the page (seed shown, a second draw refused), records a
//! problem, orders a rectification; the township answers it; the supervisor accepts it.

use reqwest::StatusCode;

use crate::case_api::{decide, refuse, review_refuse, staff, step};
use crate::helpers::{GX_CASEWORKER, TestApp, hidden_field, page, spawn_app};

async fn post(
    c: &reqwest::Client,
    app: &TestApp,
    op: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let (_, html) = page(c, app, "/supervision?period=2026-10").await;
    let csrf = hidden_field(&html, "csrf").expect("csrf");
    let mut form = vec![
        ("csrf", csrf),
        ("key", crate::case_api::key()),
        ("period", "2026-10".to_string()),
    ];
    form.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let res = c
        .post(app.url(&format!("/supervision/{op}")))
        .form(&form)
        .send()
        .await
        .expect("POST");
    let status = res.status();
    (status, res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn the_county_draws_checks_and_orders_a_rectification_the_township_answers() {
    let app = spawn_app().await;
    let (_, id, _) = crate::case_api::gongxian_dibao_to_review(&app, "家庭成员有稳定收入").await;
    let reasons = ["家庭人均收入高于当地低保标准"];
    step(
        &app,
        &staff(&app, "gongxian.reviewer").await,
        id,
        "2026-10-15T10:00:00",
        review_refuse(&reasons),
    )
    .await;
    step(
        &app,
        &staff(&app, "gongxian.head").await,
        id,
        "2026-10-16T10:00:00",
        decide(refuse(&reasons)),
    )
    .await;

    let sup = app.logged_in("gongxian.supervisor").await;
    // Without a period the page shows the last complete month (the one to sample).
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let last = today - chrono::Days::new(u64::from(chrono::Datelike::day(&today)));
    let (_, html) = page(&sup, &app, "/supervision").await;
    assert!(
        html.contains(&format!("监督检查 {}", last.format("%Y-%m"))),
        "{html}"
    );
    let (status, html) = page(&sup, &app, "/supervision?period=2026-10").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("待审查备案"), "{html}");
    assert!(
        html.contains(&format!("/cases/{id}")),
        "the refusal is filed: {html}"
    );
    // Before the draw the township sees nothing sampled.
    let township = app.logged_in(GX_CASEWORKER).await;
    let (_, t_html) = page(&township, &app, "/supervision?period=2026-10").await;
    assert!(!t_html.contains("id=\"sample-items\""));
    assert!(!t_html.contains("draw-form"), "a township does not draw");

    let (status, body) = post(&sup, &app, "draw_sample", &[("seed", "20261031")]).await;
    assert!(status.is_redirection(), "{status} {body}");
    let (_, html) = page(&sup, &app, "/supervision?period=2026-10").await;
    assert!(html.contains("id=\"draw-seed\">20261031<"), "{html}");
    assert!(
        html.contains(&format!("id=\"item-{id}\"")),
        "the only decision is sampled"
    );
    // A second draw of the month is refused with the reason.
    let (status, body) = post(&sup, &app, "draw_sample", &[("seed", "1")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("role=\"alert\""));

    let (_, html) = page(&sup, &app, "/supervision?period=2026-10").await;
    let draw_id = html
        .split("name=\"draw_id\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("draw id in the check form")
        .to_string();
    let case = id.to_string();
    let (status, body) = post(
        &sup,
        &app,
        "record_spot_check",
        &[
            ("draw_id", &draw_id),
            ("case_id", &case),
            ("result", "problem"),
            ("findings", "入户调查记录缺少调查人签字"),
        ],
    )
    .await;
    assert!(status.is_redirection(), "{status} {body}");
    // 珙县's profile keeps no dishonesty records: no link to record one on this problem.
    let (_, html) = page(&sup, &app, "/supervision?period=2026-10").await;
    assert!(
        html.contains("发现问题：入户调查记录缺少调查人签字"),
        "{html}"
    );
    assert!(!html.contains("dishonesty-link"), "{html}");
    let (status, body) = post(
        &sup,
        &app,
        "order_rectification",
        &[
            ("draw_id", &draw_id),
            ("case_id", &case),
            ("requirement", "补齐入户调查签字并说明原因"),
            ("working_days", "10"),
        ],
    )
    .await;
    assert!(status.is_redirection(), "{status} {body}");

    // The township sees its sampled case and the order, and answers it.
    let (_, t_html) = page(&township, &app, "/supervision?period=2026-10").await;
    assert!(t_html.contains(&format!("id=\"item-{id}\"")), "{t_html}");
    assert!(t_html.contains("补齐入户调查签字并说明原因"));
    let rect_id = t_html
        .split("name=\"rectification_id\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the respond form")
        .to_string();
    // Closing without the township's response is refused.
    let (status, _) = post(
        &sup,
        &app,
        "conclude_rectification",
        &[
            ("rectification_id", &rect_id),
            ("accept", "true"),
            ("opinion", "同意"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = post(
        &township,
        &app,
        "respond_rectification",
        &[
            ("rectification_id", &rect_id),
            ("response", "已补齐签字，经办人作出说明"),
        ],
    )
    .await;
    assert!(status.is_redirection(), "{status} {body}");
    let (status, body) = post(
        &sup,
        &app,
        "conclude_rectification",
        &[
            ("rectification_id", &rect_id),
            ("accept", "true"),
            ("opinion", "整改到位"),
        ],
    )
    .await;
    assert!(status.is_redirection(), "{status} {body}");
    let (_, html) = page(&sup, &app, "/supervision?period=2026-10").await;
    assert!(html.contains("已销号"), "{html}");
    // Another county's supervisor sees none of it.
    let other = app.logged_in("lingwu.supervisor").await;
    let (_, html) = page(&other, &app, "/supervision?period=2026-10").await;
    assert!(!html.contains(&format!("/cases/{id}")));
    app.cleanup().await;
}
