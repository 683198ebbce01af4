//! 动态管理 pages: the village assistant records the month's visits (零报告, or a change),
//! the township sees who is not yet visited and whom to re-check, a re-check that finds higher
//! income reduces the amount on next month's roster, and the 调整/停发告知书 is issued.

use reqwest::StatusCode;

use crate::documents::pdf_text;
use crate::helpers::{
    GX_ADMIN, GX_CASEWORKER, funds_action, hidden_field, page, pairs, post, row, spawn_app,
};

#[tokio::test]
async fn visits_and_a_recheck_that_reduces_next_months_roster() {
    let app = spawn_app().await;
    // A 珙县 低保 household approved at 300 yuan a month from October (600 − 300 income),
    // in the village assistant's own village (the demo puts the assistant in 珙泉镇's first
    // village), so that the assistant sees it.
    let jiuzhu_store::Actor::User(assistant) = app.actor("gongxian.assistant").await else {
        panic!("a user account")
    };
    let (household, _) =
        crate::case_api::gongxian_dibao_approved_in(&app, assistant.division.as_str()).await;

    // The village assistant: October's list shows the household not yet visited.
    let va = app.logged_in("gongxian.assistant").await;
    let (status, html) = page(&va, &app, "/dynamic?month=2026-10").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let r = row(&html, &format!("visit-{household}"))
        .unwrap_or_else(|| panic!("the household is listed: {html}"));
    assert!(r.contains("未走访"), "{r}");
    let csrf = hidden_field(&html, "csrf").unwrap();
    let h = household.to_string();
    // The county's supervision dashboard counts the township's households not yet visited.
    let sup = app.logged_in("gongxian.supervisor").await;
    let missing = || async {
        let (_, dash) = page(&sup, &app, "/supervision?period=2026-10").await;
        let r = row(&dash, "sum-511526100000")
            .expect("珙泉镇's row")
            .to_string();
        let at = r.find("visits-missing").expect("the column");
        r[at..]
            .split('>')
            .nth(1)
            .unwrap()
            .trim_end_matches("</td")
            .to_string()
    };
    assert_eq!(missing().await, "1");
    // A zero report that also names a change is refused with the reason.
    let (status, body) = post(
        &va,
        &app,
        "/dynamic/visit",
        &[
            ("csrf", &csrf),
            ("key", "v0"),
            ("month", "2026-10"),
            ("household_id", &h),
            ("visited_on", "2026-10-30"),
            ("outcome", "zero"),
            ("changes", "income"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("零报告表示本月无变化"), "{body}");
    let (status, location) = post(
        &va,
        &app,
        "/dynamic/visit",
        &[
            ("csrf", &csrf),
            ("key", "v1"),
            ("month", "2026-10"),
            ("household_id", &h),
            ("visited_on", "2026-10-30"),
            ("outcome", "zero"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let (_, html) = page(&va, &app, &location).await;
    assert!(html.contains("已登记走访"));
    let r = row(&html, &format!("visit-{household}")).unwrap();
    assert!(r.contains("零报告") && !r.contains("未走访"), "{r}");
    assert_eq!(missing().await, "0");
    // A second visit of the same month is refused.
    let (status, body) = post(
        &va,
        &app,
        "/dynamic/visit",
        &[
            ("csrf", &csrf),
            ("key", "v2"),
            ("month", "2026-10"),
            ("household_id", &h),
            ("visited_on", "2026-10-31"),
            ("outcome", "zero"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("不能重复登记"), "{body}");

    // The county settles and submits October: the household's own account first.
    let admin = app.logged_in(GX_ADMIN).await;
    let web = app.logged_in(GX_CASEWORKER).await;
    crate::helpers::pay_month(&app, household, "2026-10").await;
    let (_, html) = page(&web, &app, &format!("/households/{household}")).await;
    let t_csrf = hidden_field(&html, "csrf").unwrap();

    // The caseworker's list: no re-check due yet for this household within a month.
    let (_, html) = page(&web, &app, "/dynamic?month=2026-10").await;
    assert!(
        row(&html, &format!("due-{household}-dibao")).is_none(),
        "{html}"
    );

    // The re-check form starts from the approval's home visit.
    let form_path = format!("/dynamic/recheck/{household}/dibao");
    let (status, html) = page(&web, &app, &form_path).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"current-amount\">300.00<"), "{html}");
    assert!(
        html.contains("name=\"m1_income\" value=\"300.00\""),
        "{html}"
    );
    let csrf = hidden_field(&html, "csrf").unwrap();
    // A wrong amount is refused next to the form and the typed values are kept.
    let fields = |csrf: &str, income: &str, key: &str| -> Vec<(String, String)> {
        [
            ("csrf", csrf),
            ("key", key),
            ("checked_on", "2026-10-28"),
            ("with_members", "1"),
            ("m1_lives", "on"),
            ("m1_income", income),
            ("eligible", "true"),
            ("findings", "户主打零工，月收入增加100元"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let (status, body) = post(
        &web,
        &app,
        &form_path,
        &pairs(&fields(&csrf, "四百", "rc0")),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("不是有效金额"), "{body}");
    assert!(
        body.contains("户主打零工，月收入增加100元"),
        "the findings are kept"
    );
    // The reviewer may not record it (the store's rule, shown in Chinese).
    let reviewer_web = app.logged_in("gongxian.reviewer").await;
    let (_, rhtml) = page(&reviewer_web, &app, &form_path).await;
    let r_csrf = hidden_field(&rhtml, "csrf").unwrap();
    let by_reviewer = fields(&r_csrf, "400.00", "rc-r");
    let (status, body) = post(&reviewer_web, &app, &form_path, &pairs(&by_reviewer)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("您的角色或管辖范围不能办理此项"), "{body}");

    let good = fields(&csrf, "400.00", "rc1");
    let good = pairs(&good);
    let (status, location) = post(&web, &app, &form_path, &good).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let (_, html) = page(&web, &app, &location).await;
    assert!(html.contains("已记录复核"), "{html}");
    let rechecks = app
        .db
        .store
        .rechecks(&app.actor(GX_CASEWORKER).await, &Default::default())
        .await
        .unwrap();
    let rc = rechecks
        .iter()
        .find(|r| r.household_id == household)
        .expect("recorded");
    let r = row(&html, &format!("recheck-{}", rc.id)).unwrap();
    assert!(r.contains("减发"), "{r}");
    // October was submitted already: the change applies from November.
    assert!(r.contains("300.00元 → 200.00元（2026-11起）"), "{r}");

    // The notice: 调整救助金告知书 with the new amount, the month and the right to object.
    let (status, location) = post(
        &web,
        &app,
        &format!("/dynamic/rechecks/{}/notice", rc.id),
        &[("csrf", &t_csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    assert!(location.starts_with("/documents/"), "{location}");
    let res = web.get(app.url(&location)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = pdf_text(&res.bytes().await.unwrap());
    for expected in ["调整救助金告知书", "200.00", "300.00", "减发", "复议"] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }
    // Issuing again gives the archived document.
    let (_, again) = post(
        &web,
        &app,
        &format!("/dynamic/rechecks/{}/notice", rc.id),
        &[("csrf", &t_csrf)],
    )
    .await;
    assert_eq!(again, location);

    // November's roster pays the reduced amount.
    assert_eq!(
        funds_action(&app, GX_ADMIN, "generate_rosters", "2026-11")
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    let (_, html) = page(&admin, &app, "/funds?month=2026-11").await;
    let line = crate::helpers::payment_of(&app, "2026-11", household).await;
    assert_eq!(line.amount, jiuzhu_domain::Fen::new(20_000), "{html}");
    app.cleanup().await;
}
