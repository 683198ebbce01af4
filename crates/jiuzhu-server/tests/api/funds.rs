//! 资金发放 pages: a 珙县 低保 approval becomes a roster line; the county generates the
//! month's rosters, the township settles them, the county submits them, downloads the bank
//! file, imports the bank's answers and reconciles with the finance ledger; a bad return file
//! is refused whole with its line named.

use reqwest::StatusCode;

use crate::case_api::staff;
use crate::helpers::{
    GX_ADMIN, GX_CASEWORKER, GX_OWN_VILLAGE, TestApp, hidden_field, page, register_household,
    spawn_app, system,
};

async fn post_form(
    c: &reqwest::Client,
    app: &TestApp,
    path: &str,
    csrf: &str,
    key: &str,
) -> (StatusCode, String) {
    let res = c
        .post(app.url(path))
        .form(&[("csrf", csrf), ("key", key), ("month", "2026-10")])
        .send()
        .await
        .expect("POST");
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (status, location.unwrap_or(res.text().await.unwrap()))
}

async fn upload(
    c: &reqwest::Client,
    app: &TestApp,
    path: &str,
    csrf: &str,
    text: String,
) -> (StatusCode, String) {
    let (content_type, body) = crate::helpers::multipart(
        &[("csrf", csrf), ("month", "2026-10")],
        "file.csv",
        text.as_bytes(),
    );
    let res = c
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("POST");
    (res.status(), res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn a_month_of_payments_from_roster_to_reconciliation() {
    let app = spawn_app().await;
    let (household, _) = crate::case_api::gongxian_dibao_approved_in(&app, GX_OWN_VILLAGE).await;
    // The recipient's own account, from the household page: a card number failing its
    // check digit is refused next to the form; a valid one is shown masked.
    let web = app.logged_in(GX_CASEWORKER).await;
    let (_, html) = page(&web, &app, &format!("/households/{household}")).await;
    assert!(html.contains("尚未登记银行账户"), "{html}");
    let web_csrf = hidden_field(&html, "csrf").unwrap();
    let set = |account: &'static str| {
        let web = web.clone();
        let url = app.url(&format!("/households/{household}/bank-account"));
        let csrf = web_csrf.clone();
        async move {
            web.post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("account", account),
                    ("holder", "张某测"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let res = set("6222021000000001").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("role=\"alert\""), "{body}");
    assert!(
        !body.contains("6222021000000001"),
        "the typed number is not echoed"
    );
    let res = set("622202100000").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&web, &app, &format!("/households/{household}")).await;
    assert!(!html.contains("622202100000"), "shown masked only");
    assert!(html.contains("设置银行账户"), "the timeline records it");

    let admin = app.logged_in(GX_ADMIN).await;
    let (status, html) = page(&admin, &app, "/funds?month=2026-10").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("本月尚未生成花名册"), "{html}");
    let csrf = hidden_field(&html, "csrf").unwrap();
    // A caseworker cannot generate; the county admin can.
    let township = app.logged_in(GX_CASEWORKER).await;
    let (_, t_html) = page(&township, &app, "/funds?month=2026-10").await;
    let t_csrf = hidden_field(&t_html, "csrf").unwrap();
    assert!(!t_html.contains("生成花名册</button>"));
    let (status, _) = post_form(&township, &app, "/funds/generate_rosters", &t_csrf, "g0").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, location) = post_form(&admin, &app, "/funds/generate_rosters", &csrf, "g1").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let (_, html) = page(&admin, &app, &location).await;
    assert!(html.contains("已生成花名册"));
    assert!(html.contains("id=\"roster-total\">300.00<"), "{html}");
    assert!(
        html.contains("新增"),
        "the diff shows the new household: {html}"
    );
    // Submitting before the township settled is refused with the store's reason.
    let (status, body) = post_form(&admin, &app, "/funds/submit_rosters", &csrf, "s0").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("role=\"alert\""));
    // The 花名册 is printed once settled, by the township.
    let roster_pdf = |c: reqwest::Client, csrf: String| {
        let url = app.url("/funds/roster-pdf");
        async move {
            c.post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("township", "511526100000"),
                    ("program", "dibao"),
                    ("month", "2026-10"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let res = roster_pdf(township.clone(), t_csrf.clone()).await;
    assert_ne!(res.status(), StatusCode::SEE_OTHER);
    let body = res.text().await.unwrap();
    assert!(body.contains("尚未月结"), "{body}");
    let (status, _) = post_form(&township, &app, "/funds/settle_rosters", &t_csrf, "m1").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, t_html) = page(&township, &app, "/funds?month=2026-10").await;
    assert!(t_html.contains("打印归档（PDF）"), "{t_html}");
    let res = roster_pdf(township.clone(), t_csrf.clone()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let res = township.get(app.url(&location)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = crate::documents::pdf_text(&res.bytes().await.unwrap());
    let head = app
        .db
        .store
        .household(&app.actor(GX_CASEWORKER).await, household)
        .await
        .unwrap()
        .head()
        .unwrap()
        .clone();
    for expected in [
        "最低生活保障资金发放花名册",
        "2026年10月",
        head.name.as_str(),
        "300.00",
        "合计",
    ] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }
    assert!(
        !text.contains(head.id_number.as_str()),
        "the identity number only masked"
    );
    // Printing again gives the archived copy.
    let again = roster_pdf(township.clone(), t_csrf.clone()).await;
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);
    let (status, _) = post_form(&admin, &app, "/funds/submit_rosters", &csrf, "s1").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = page(&admin, &app, "/funds?month=2026-10").await;
    assert!(html.contains("已报送"), "{html}");
    // A second generation of a submitted month is refused.
    let (status, _) = post_form(&admin, &app, "/funds/generate_rosters", &csrf, "g2").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The bank's file: one line, the program named in the memo, the hash in the header.
    let res = admin
        .get(app.url("/funds/payment-file?month=2026-10&format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let sha = res.headers()["x-content-sha256"]
        .to_str()
        .unwrap()
        .to_string();
    let file = res.text().await.unwrap();
    assert_eq!(jiuzhu_store::event::sha256_hex(file.as_bytes()), sha);
    assert!(file.contains("622202100000"), "{file}");
    assert!(file.contains("30000"));
    assert!(file.contains("最低生活保障"), "{file}");
    let payments = app
        .db
        .store
        .payments(
            &app.actor(GX_ADMIN).await,
            "2026-10".parse().unwrap(),
            &jiuzhu_domain::DivisionCode::parse("511526").unwrap(),
            jiuzhu_store::PageRequest::new(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(payments.total, 1);
    let pid = payments.items[0].id;

    // A return naming an unknown payment: the whole file refused, the line named.
    let bad = format!("payment_id,amount_fen,result,reason\n{pid},30000,paid,\n999999,100,paid,\n");
    let (status, body) = upload(&admin, &app, "/funds/returns", &csrf, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("第3行"), "{body}");
    let good = format!("payment_id,amount_fen,result,reason\n{pid},30000,paid,\n");
    let (status, _) = upload(&admin, &app, "/funds/returns", &csrf, good).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Reconciliation: a ledger with a wrong total is refused; a matching one is 100%.
    let wrong = format!(
        "payment_id,household_id,program,amount_fen\n{pid},{household},dibao,30000\n#total,1,29999\n"
    );
    let (status, body) = upload(&admin, &app, "/funds/reconcile", &csrf, wrong).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let ledger = format!(
        "payment_id,household_id,program,amount_fen\n{pid},{household},dibao,30000\n#total,1,30000\n"
    );
    let (status, body) = upload(&admin, &app, "/funds/reconcile", &csrf, ledger).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("一致率 <strong>100.00%</strong>"), "{body}");

    // The roster as Excel.
    let res = admin
        .get(app.url("/funds/payments.xlsx?month=2026-10"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.bytes().await.unwrap().starts_with(b"PK"));
    app.cleanup().await;
}

#[tokio::test]
async fn the_townships_reserve_fund_never_goes_negative() {
    use crate::case_api::open;
    let app = spawn_app().await;
    let cw = staff(&app, GX_CASEWORKER).await;
    let household = register_household(&app.db, &system(), GX_OWN_VILLAGE).await;
    let opened = open(
        &app,
        &cw,
        "2026-10-20T20:00:00",
        serde_json::json!({
            "type": "report_emergency",
            "case": { "program": "linshi", "village": GX_OWN_VILLAGE, "household_id": household, "origin": "discovered" },
            "summary": "住房失火，家中无处居住",
        }),
    )
    .await
    .ok("report");
    let case_id = opened["case_id"].as_i64().unwrap().to_string();

    let admin = app.logged_in(GX_ADMIN).await;
    let (status, html) = page(&admin, &app, "/funds/reserve?township=511526100000").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let csrf = hidden_field(&html, "csrf").unwrap();
    let key = hidden_field(&html, "key").unwrap();
    let res = admin
        .post(app.url("/funds/reserve"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("key", key.as_str()),
            ("township", "511526100000"),
            ("kind", "allocation"),
            ("amount_yuan", "5000"),
            ("note", "2026年度核拨"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let web = app.logged_in(GX_CASEWORKER).await;
    let (_, html) = page(&web, &app, "/funds/reserve").await;
    assert!(html.contains("id=\"reserve-closing\">5,000.00<"), "{html}");
    let csrf = hidden_field(&html, "csrf").unwrap();
    let spend = |amount: &'static str, key: &'static str| {
        let web = web.clone();
        let url = app.url("/funds/reserve");
        let csrf = csrf.clone();
        let case_id = case_id.clone();
        async move {
            web.post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("key", key),
                    ("township", "511526100000"),
                    ("kind", "spending"),
                    ("amount_yuan", amount),
                    ("case_id", case_id.as_str()),
                    ("note", "先行救助"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let res = spend("6000", "k1").await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "an overdraft"
    );
    assert!(res.text().await.unwrap().contains("role=\"alert\""));
    let res = spend("2000", "k2").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&web, &app, "/funds/reserve").await;
    assert!(html.contains("id=\"reserve-closing\">3,000.00<"), "{html}");
    assert!(html.contains("临时救助支出"));
    app.cleanup().await;
}
