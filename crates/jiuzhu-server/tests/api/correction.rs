//! 纠正与追回 over HTTP: the county's filing review finds a township approval wrong; the
//! township head corrects it from the case page (the engine computes the new amount from the
//! income found); the month already submitted gives the overpayment, the caseworker records
//! the repayment (never more than owed), and the next roster pays the corrected amount.

use jiuzhu_domain::supervision::FilingOutcome;
use jiuzhu_store::{Command, CommandContext, FilingFilter, SupervisionCommand};
use reqwest::StatusCode;

use crate::helpers::{
    GX_ADMIN, GX_CASEWORKER, GX_OWN_VILLAGE, funds_action, hidden_field, page, post, row, spawn_app,
};

#[tokio::test]
async fn a_wrong_approval_is_corrected_and_the_overpayment_recovered() {
    let app = spawn_app().await;
    // Approved at 300 yuan a month from October 2026 (600 − 300 income) by 珙泉镇's head.
    let (household, case_id) =
        crate::case_api::gongxian_dibao_approved_in(&app, GX_OWN_VILLAGE).await;
    let cw = app.logged_in(GX_CASEWORKER).await;
    let head = app.logged_in("gongxian.head").await;

    // October is paid: the household's account, then generate, settle and submit.
    crate::helpers::pay_month(&app, household, "2026-10").await;

    // Without a finding about the case, the head is offered no correction.
    let (status, html) = page(&head, &app, &format!("/cases/{case_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("/act/correct"), "no finding yet");

    // The county's filing review: rectification required (the household hid an income).
    let supervisor = app.actor("gongxian.supervisor").await;
    let filing = app
        .db
        .store
        .filings(&supervisor, &FilingFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.case_id == case_id)
        .expect("the township's approval is filed");
    app.db
        .store
        .execute(
            &CommandContext::new(supervisor.clone(), "review-1", chrono::Utc::now()),
            Command::Supervision(SupervisionCommand::ReviewFiling {
                filing_id: filing.id,
                outcome: FilingOutcome::RectificationRequired,
                opinion: "户主在外务工收入未申报，请核实纠正".into(),
            }),
        )
        .await
        .expect("reviewed");

    // The caseworker is not offered the correction; the head is, resting on the review.
    let (_, html) = page(&cw, &app, &format!("/cases/{case_id}")).await;
    assert!(
        !html.contains("/act/correct"),
        "a caseworker does not correct"
    );
    let (_, html) = page(&head, &app, &format!("/cases/{case_id}")).await;
    let finding = format!("filing:{}", filing.id);
    assert!(html.contains("/act/correct"), "{html}");
    assert!(html.contains(&format!("value=\"{finding}\"")), "{html}");
    assert!(html.contains("入户调查时为300.00元"), "{html}");
    let csrf = hidden_field(&html, "csrf").unwrap();
    let act = format!("/cases/{case_id}/act/correct");
    let form = |key: &'static str, month: &'static str, income: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("key", key.to_string()),
            ("finding", finding.clone()),
            ("correction", "amount".to_string()),
            ("effective_month", month.to_string()),
            ("standard", "rural".to_string()),
            ("m1_income", income.to_string()),
            ("reason", "经核实户主月收入400元".to_string()),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>| {
        let head = head.clone();
        let app = &app;
        let act = act.clone();
        async move {
            let borrowed: Vec<(&str, &str)> =
                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post(&head, app, &act, &borrowed).await
        }
    };
    // A month before the approval's start is refused next to the form, nothing recorded.
    let (status, body) = send(form("c0", "2026-09", "400")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("不能早于原批准的起始月份"), "{body}");
    assert!(
        app.db
            .store
            .corrections(&app.actor(GX_CASEWORKER).await, None)
            .await
            .unwrap()
            .is_empty()
    );
    // Right from October: 600 − 400 = 200; October was paid 300.
    let (status, location) = send(form("c1", "2026-10", "400")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    assert!(location.ends_with("done=correct"), "{location}");
    let correction = app
        .db
        .store
        .corrections(&app.actor(GX_CASEWORKER).await, None)
        .await
        .unwrap()
        .remove(0);
    let (_, html) = page(&cw, &app, &location).await;
    assert!(html.contains("已办理：纠正决定"), "{html}");
    let r = row(&html, &format!("correction-{}", correction.id)).expect("the correction row");
    assert!(r.contains("自2026-10起 300.00元 → 200.00元"), "{r}");
    assert!(r.contains("待遇自2026-11起按纠正后发放"), "{r}");
    assert!(r.contains(">100.00<"), "overpaid 100: {r}");
    assert!(html.contains("纠正决定"), "in the timeline");

    // A dishonesty record on the same finding starts from the overpayment to recover.
    let sup_web = app.logged_in("gongxian.supervisor").await;
    let (_, form) = page(
        &sup_web,
        &app,
        &format!(
            "/dishonesty?kind=filing&filing_id={}&case_id={case_id}",
            filing.id
        ),
    )
    .await;
    assert!(form.contains("name=\"amount\" value=\"100.00\""), "{form}");

    // The 调整救助金告知书 of the correction: old and new amount, the money to pay back, and
    // the legal remedy; issued by the township head (who corrected).
    let (status, location) = post(
        &head,
        &app,
        &format!("/cases/{case_id}/documents/adjustment_notice"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    assert!(location.starts_with("/documents/"), "{location}");
    let res = head.get(app.url(&location)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = crate::documents::pdf_text(&res.bytes().await.unwrap());
    for expected in [
        "减发",
        "300.00",
        "200.00",
        "多发放100.00元",
        "复议",
        "经核实户主月收入400元",
    ] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }

    // Repayment: more than owed is refused, then the 100 yuan closes it.
    let path = format!("/cases/{case_id}/corrections/{}/repay", correction.id);
    let c_csrf = hidden_field(&html, "csrf").unwrap();
    let (status, body) = post(
        &cw,
        &app,
        &path,
        &[
            ("csrf", &c_csrf),
            ("key", "r0"),
            ("amount_yuan", "150"),
            ("note", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("退回金额超过尚未追回的多发金额"), "{body}");
    let (status, location) = post(
        &cw,
        &app,
        &path,
        &[
            ("csrf", &c_csrf),
            ("key", "r1"),
            ("amount_yuan", "100"),
            ("note", "现金退回"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let (_, html) = page(&cw, &app, &location).await;
    assert!(html.contains("已登记退回款"), "{html}");
    let r = row(&html, &format!("correction-{}", correction.id)).unwrap();
    assert!(r.contains("class=\"num outstanding\">0.00<"), "{r}");
    assert!(!html.contains(&path), "nothing more to repay");

    // The household's page traces the entitlement: granted, then corrected.
    let (_, html) = page(&cw, &app, &format!("/households/{household}")).await;
    assert!(
        html.contains("核定救助待遇") && html.contains("纠正救助待遇"),
        "{html}"
    );

    // November's roster pays the corrected 200.
    let (status, _) = funds_action(&app, GX_ADMIN, "generate_rosters", "2026-11").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let line = crate::helpers::payment_of(&app, "2026-11", household).await;
    assert_eq!(line.amount, jiuzhu_domain::Fen::new(20_000));
    app.cleanup().await;
}
