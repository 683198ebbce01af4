//! 投诉举报, 失信记录 and the prefecture's supervision dashboard over HTTP: a township
//! caseworker registers complaints (one routed to the county, which the township then does
//! not see) and answers its own; the statistics count them by channel; the dishonesty page
//! is forbidden to township staff, scoped per county, refused where the county's profile has
//! no dishonesty records, and records one in 泰安 on a substantiated complaint; 泰安市's
//! supervisor sees every county's rows, a county's supervisor only its own.

use jiuzhu_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::case_api::{case_state, create_user, open, staff};
use crate::helpers::{
    GX_CASEWORKER, GX_OWN_VILLAGE, TestApp, page as get, register_household, spawn_app, system,
};

/// 东湖社区, 岱庙街道, 泰山区 (370902), 泰安市.
const TA_VILLAGE: &str = "370902001001";
/// 高王寺社区, 粥店街道, 岱岳区 (370911), 泰安市.
const DY_VILLAGE: &str = "370911001001";

/// Posts a form of `page` (its CSRF token and a fresh key) to `action`.
async fn post(
    c: &reqwest::Client,
    app: &TestApp,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let (_, html) = get(c, app, page).await;
    let csrf = crate::helpers::hidden_field(&html, "csrf").expect("csrf");
    let mut form = vec![("csrf", csrf), ("key", crate::case_api::key())];
    form.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let res = c
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .expect("POST");
    let status = res.status();
    (status, res.text().await.unwrap_or_default())
}

async fn receive(
    c: &reqwest::Client,
    app: &TestApp,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    post(c, app, "/complaints", "/complaints/receive", fields).await
}

/// The numbers of the statistics row `stat-{channel}`: (answered, open, overdue).
fn stat(html: &str, channel: &str) -> (u64, u64, u64) {
    let at = html
        .find(&format!("id=\"stat-{channel}\""))
        .unwrap_or_else(|| panic!("no row for {channel}: {html}"));
    let row = &html[at..at + html[at..].find("</tr>").expect("row end")];
    let n: Vec<u64> = row
        .split("class=\"num")
        .skip(1)
        .filter_map(|cell| {
            let v = &cell[cell.find('>')? + 1..];
            v[..v.find('<')?].trim().parse().ok()
        })
        .collect();
    assert_eq!(n.len(), 3, "{row}");
    (n[0], n[1], n[2])
}

/// The id of the complaint whose card shows `text`.
fn complaint_id(html: &str, text: &str) -> String {
    let at = html
        .find(text)
        .unwrap_or_else(|| panic!("{text} not listed: {html}"));
    let before = &html[..at];
    let card = before.rfind("id=\"complaint-").expect("card") + "id=\"complaint-".len();
    before[card..card + before[card..].find('"').expect("id end")].to_string()
}

#[tokio::test]
async fn township_registers_routes_and_answers_complaints_and_the_county_counts_them() {
    let app = spawn_app().await;
    let cw = app.logged_in(GX_CASEWORKER).await;
    let (status, html) = get(&cw, &app, "/complaints").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"complaint-form\""));

    // Refused before the store: no content; what was typed stays in the form.
    let (status, html) = receive(
        &cw,
        &app,
        &[
            ("channel", "hotline"),
            ("division", GX_OWN_VILLAGE),
            ("case_number", "511526-2026-000042"),
            ("content", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("role=\"alert\">请填写反映的问题"), "{html}");
    assert!(
        html.contains("value=\"511526-2026-000042\""),
        "kept: {html}"
    );
    assert!(html.contains(&format!("value=\"{GX_OWN_VILLAGE}\" selected")));

    let (status, body) = receive(
        &cw,
        &app,
        &[
            ("channel", "hotline"),
            ("division", GX_OWN_VILLAGE),
            ("content", "反映文聚社区某户家有营运车辆仍享受低保"),
            ("contact", "13800000000"),
        ],
    )
    .await;
    assert!(status.is_redirection(), "{status} {body}");
    // About the township's own staff: routed to the county, which the township cannot see.
    let (status, body) = receive(
        &cw,
        &app,
        &[
            ("channel", "letter"),
            ("division", "511526100000"),
            ("to_county", "on"),
            ("content", "反映镇民政办工作人员优亲厚友"),
        ],
    )
    .await;
    assert!(status.is_redirection(), "{status} {body}");

    let (_, html) = get(&cw, &app, "/complaints?done=receive").await;
    assert!(html.contains("已登记投诉举报"), "{html}");
    assert!(html.contains("营运车辆仍享受低保"), "{html}");
    assert!(
        html.contains("13800000000"),
        "the handling office sees the contact"
    );
    assert!(
        !html.contains("优亲厚友"),
        "a complaint routed to the county is hidden from the township: {html}"
    );
    let sup = app.logged_in("gongxian.supervisor").await;
    let (_, s_html) = get(&sup, &app, "/complaints").await;
    assert!(s_html.contains("优亲厚友"), "{s_html}");
    assert!(s_html.contains("县级办理"));
    let county_one = complaint_id(&s_html, "优亲厚友");
    let own = complaint_id(&html, "营运车辆仍享受低保");

    // The township cannot answer the county's complaint (it does not exist for it).
    let (status, body) = post(
        &cw,
        &app,
        "/complaints",
        "/complaints/answer",
        &[
            ("complaint_id", &county_one),
            ("outcome", "unfounded"),
            ("reply", "经核实不属实"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("未找到该记录"), "{body}");
    // An answer without an outcome is refused and keeps the reply typed.
    let (status, body) = post(
        &cw,
        &app,
        "/complaints",
        "/complaints/answer",
        &[
            ("complaint_id", &own),
            ("outcome", ""),
            ("reply", "经入户核实，该户车辆已于上月出售"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("请选择办理结果"));
    assert!(
        body.contains(">经入户核实，该户车辆已于上月出售</textarea>"),
        "{body}"
    );
    let (status, body) = post(
        &cw,
        &app,
        "/complaints",
        "/complaints/answer",
        &[
            ("complaint_id", &own),
            ("outcome", "unfounded"),
            ("reply", "经入户核实，该户车辆已于上月出售"),
        ],
    )
    .await;
    assert!(status.is_redirection(), "{status} {body}");
    let (_, html) = get(&cw, &app, "/complaints").await;
    assert!(
        html.contains("class=\"complaint-outcome\">不属实<"),
        "{html}"
    );
    assert!(
        !html.contains("name=\"complaint_id\""),
        "nothing left to answer"
    );

    // A report from the public board counts under its own channel.
    let res = crate::helpers::client()
        .post(app.url("/public/report"))
        .form(&[
            ("division", GX_OWN_VILLAGE),
            ("kind", "report"),
            ("content", "举报某户隐瞒收入"),
        ])
        .send()
        .await
        .expect("POST /public/report");
    assert_eq!(res.status(), StatusCode::OK);

    // Statistics: the county sees both, by channel; the township only its own.
    let (_, s_html) = get(&sup, &app, "/complaints").await;
    assert_eq!(stat(&s_html, "hotline"), (1, 0, 0));
    assert_eq!(stat(&s_html, "letter"), (0, 1, 0));
    assert_eq!(stat(&s_html, "walk_in"), (0, 0, 0));
    assert_eq!(stat(&s_html, "public_form"), (0, 1, 0));
    assert_eq!(stat(&s_html, "total"), (1, 2, 0));
    let (_, html) = get(&cw, &app, "/complaints").await;
    assert_eq!(stat(&html, "letter"), (0, 0, 0));
    assert_eq!(stat(&html, "public_form"), (0, 1, 0));
    assert_eq!(stat(&html, "total"), (1, 1, 0));
    // The county's dashboard counts the open ones against the township they concern.
    let (_, dash) = get(&sup, &app, "/supervision?period=2026-10").await;
    let at = dash.find("id=\"sum-511526100000\"").expect("珙泉镇's row");
    let row = &dash[at..at + dash[at..].find("</tr>").expect("end")];
    assert!(
        row.contains("<td class=\"num complaints-open\">2</td>"),
        "{row}"
    );
    // Verifiers do not handle complaints (nor see the complainants' contacts).
    let verifier = app.logged_in("gongxian.verifier").await;
    let (status, _) = get(&verifier, &app, "/complaints").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Another county sees none of it.
    let other = app.logged_in("lingwu.supervisor").await;
    let (_, html) = get(&other, &app, "/complaints").await;
    assert!(!html.contains("营运车辆") && !html.contains("优亲厚友"));
    app.cleanup().await;
}

#[tokio::test]
async fn dishonesty_records_are_county_business_and_follow_the_profile() {
    let app = spawn_app().await;
    // Township staff: forbidden.
    let cw = app.logged_in(GX_CASEWORKER).await;
    let (status, _) = get(&cw, &app, "/dishonesty").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // 珙县's profile has no dishonesty records: the store's refusal is shown above the form.
    let (_, case_id, _) =
        crate::case_api::gongxian_dibao_to_review(&app, "家庭成员有稳定收入").await;
    let gx = app.logged_in("gongxian.supervisor").await;
    let (status, html) = get(&gx, &app, "/dishonesty").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"dishonesty-disabled\""), "{html}");
    let case = case_id.to_string();
    let (status, body) = post(
        &gx,
        &app,
        "/dishonesty",
        "/dishonesty",
        &[
            ("kind", "complaint"),
            ("complaint_id", "1"),
            ("case_id", &case),
            ("legal_basis", "《社会救助暂行办法》第六十八条"),
            ("facts", "隐瞒家庭成员工资收入"),
            ("amount", "600.00"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("role=\"alert\">本县程序配置未启用失信记录制度"),
        "{body}"
    );
    assert!(
        body.contains(">隐瞒家庭成员工资收入</textarea>"),
        "kept: {body}"
    );

    // 泰安 has them: a substantiated complaint about a 泰山区 case is the finding.
    let ta_cw = staff(&app, "taian.caseworker").await;
    let household = register_household(&app.db, &system(), TA_VILLAGE).await;
    let opened = open(
        &app,
        &ta_cw,
        "2026-10-12T09:00:00",
        json!({
            "type": "request_pre_check",
            "case": { "program": "dibao", "village": TA_VILLAGE, "household_id": household, "origin": "household" },
            "materials": ["verification_authorization"],
        }),
    )
    .await
    .ok("pre-check");
    let ta_case = opened["case_id"].as_i64().expect("case id");
    let ta_case_s = ta_case.to_string();
    let number = case_state(&app, &ta_cw, ta_case).await["header"]["number"]
        .as_str()
        .expect("case number")
        .to_string();
    create_user(&app, "taishan.supervisor", Role::CountySupervisor, "370902").await;
    create_user(&app, "daiyue.supervisor", Role::CountySupervisor, "370911").await;
    let ts = app.logged_in("taishan.supervisor").await;
    let (status, body) = receive(
        &ts,
        &app,
        &[
            ("channel", "walk_in"),
            ("division", TA_VILLAGE),
            ("case_number", &number),
            ("content", "反映该户隐瞒在外务工子女收入"),
        ],
    )
    .await;
    assert!(status.is_redirection(), "{status} {body}");
    let (_, html) = get(&ts, &app, "/complaints").await;
    let complaint = complaint_id(&html, "隐瞒在外务工子女收入");
    let (status, body) = post(
        &ts,
        &app,
        "/complaints",
        "/complaints/answer",
        &[
            ("complaint_id", &complaint),
            ("outcome", "substantiated"),
            ("reply", "经核实属实，已责令整改"),
        ],
    )
    .await;
    assert!(status.is_redirection(), "{status} {body}");
    let (_, html) = get(&ts, &app, "/complaints").await;
    assert!(
        html.contains(&format!("/dishonesty?complaint_id={complaint}")),
        "{html}"
    );
    // The link fills in the finding and finds the case by its number.
    let (status, html) = get(&ts, &app, &format!("/dishonesty?complaint_id={complaint}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(!html.contains("id=\"dishonesty-disabled\""));
    assert!(
        html.contains("<option value=\"complaint\" selected>"),
        "{html}"
    );
    assert_eq!(
        crate::helpers::hidden_field(&html, "case_id").as_deref(),
        Some(ta_case_s.as_str()),
        "{html}"
    );
    let fields = [
        ("kind", "complaint"),
        ("complaint_id", complaint.as_str()),
        ("case_id", ta_case_s.as_str()),
        ("legal_basis", "《社会救助暂行办法》第六十八条"),
        ("facts", "隐瞒在外务工子女收入骗取低保金"),
        ("amount", "1234.5"),
    ];
    // Another county's supervisor cannot record it (the case is not found for them).
    let dy = app.logged_in("daiyue.supervisor").await;
    let (status, body) = post(&dy, &app, "/dishonesty", "/dishonesty", &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("未找到该记录"), "{body}");
    let (status, body) = post(&ts, &app, "/dishonesty", "/dishonesty", &fields).await;
    assert!(status.is_redirection(), "{status} {body}");
    let (_, html) = get(&ts, &app, "/dishonesty?done=1").await;
    assert!(html.contains("已登记失信记录"), "{html}");
    assert!(html.contains("隐瞒在外务工子女收入骗取低保金"));
    assert!(html.contains("class=\"num amount\">1,234.50<"), "{html}");
    // Scoped: the other county's supervisor does not see it; a 泰安 township user may not look.
    let (status, html) = get(&dy, &app, "/dishonesty").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("骗取低保金"), "{html}");
    let ta_township = app.logged_in("taian.caseworker").await;
    let (status, _) = get(&ta_township, &app, "/dishonesty").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}

#[tokio::test]
async fn the_prefecture_sees_every_county_a_county_only_its_own() {
    let app = spawn_app().await;
    // 泰安市's supervisor (at the prefecture 370900) registers a complaint in two counties.
    let pref = app.logged_in("taian.supervisor").await;
    for (village, text) in [
        (TA_VILLAGE, "反映东湖社区低保评议不公开"),
        (DY_VILLAGE, "反映高王寺社区特困人员未按时发放"),
    ] {
        let (status, body) = receive(
            &pref,
            &app,
            &[
                ("channel", "hotline"),
                ("division", village),
                ("content", text),
            ],
        )
        .await;
        assert!(status.is_redirection(), "{status} {body}");
    }
    let (status, html) = get(&pref, &app, "/supervision?period=2026-10").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("各县（市、区）及乡镇（街道）情况"), "{html}");
    // County totals (every county of the prefecture) and the townships under them.
    for county in ["370902", "370911", "370921"] {
        assert!(
            html.contains(&format!("class=\"county-total\" id=\"sum-{county}\"")),
            "{county}: {html}"
        );
    }
    assert!(html.contains("id=\"sum-370902001000\""), "{html}");
    assert!(html.contains("id=\"sum-370911001000\""), "{html}");
    let row = |html: &str, id: &str| -> String {
        let at = html.find(&format!("id=\"sum-{id}\"")).expect("row");
        html[at..at + html[at..].find("</tr>").expect("end")].to_string()
    };
    // The complaints open: one in each county.
    assert!(
        row(&html, "370902").contains("<td class=\"num complaints-open\">1</td>"),
        "{}",
        row(&html, "370902")
    );
    assert!(row(&html, "370911").contains("<td class=\"num complaints-open\">1</td>"));
    assert!(row(&html, "370921").contains("<td class=\"num complaints-open\">0</td>"));
    assert!(
        !html.contains("id=\"draw-form\""),
        "samples are drawn by each county"
    );

    // 泰山区's supervisor sees its own township only, without county grouping.
    create_user(&app, "taishan.supervisor", Role::CountySupervisor, "370902").await;
    let ts = app.logged_in("taishan.supervisor").await;
    let (status, html) = get(&ts, &app, "/supervision?period=2026-10").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"sum-370902001000\""), "{html}");
    assert!(!html.contains("sum-370911"), "{html}");
    assert!(!html.contains("county-total"));
    let (_, html) = get(&ts, &app, "/complaints").await;
    assert!(html.contains("评议不公开") && !html.contains("特困人员未按时发放"));
    app.cleanup().await;
}

#[tokio::test]
async fn a_complaint_past_its_answer_deadline_is_marked_overdue() {
    use jiuzhu_domain::DivisionCode;
    use jiuzhu_domain::supervision::ComplaintChannel;
    use jiuzhu_store::{Command, CommandContext, SupervisionCommand};

    let app = spawn_app().await;
    // Received in January: its 15 working days are long over.
    let received = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
        .and_then(|d| d.and_hms_opt(2, 0, 0))
        .expect("date")
        .and_utc();
    app.db
        .store
        .execute(
            &CommandContext::new(
                app.actor(GX_CASEWORKER).await,
                "test:old-complaint".to_string(),
                received,
            ),
            Command::Supervision(SupervisionCommand::ReceiveComplaint {
                channel: ComplaintChannel::Hotline,
                division: DivisionCode::parse(GX_OWN_VILLAGE).expect("code"),
                to_county: false,
                case_number: None,
                content: "反映临时救助迟迟未发放".to_string(),
                contact: None,
            }),
        )
        .await
        .expect("receive");
    let cw = app.logged_in(GX_CASEWORKER).await;
    let (_, html) = get(&cw, &app, "/complaints").await;
    let at = html.find("临时救助迟迟未发放").expect("listed");
    let card = &html[html[..at].rfind("<section").expect("card")..];
    assert!(
        card.starts_with("<section class=\"card row-overdue\""),
        "{card}"
    );
    assert!(card[..card.find("</section>").expect("end")].contains("超期"));
    assert_eq!(stat(&html, "hotline"), (0, 1, 1));
    assert_eq!(stat(&html, "total"), (0, 1, 1));
    app.cleanup().await;
}

#[tokio::test]
async fn a_spot_check_problem_in_taian_leads_to_a_dishonesty_record() {
    use crate::case_api::{check_passed, decide, home_visit, refuse, review_refuse, step};

    let app = spawn_app().await;
    let cw = staff(&app, "taian.caseworker").await;
    let assistant = staff(&app, "taian.assistant").await;
    let household = register_household(&app.db, &system(), TA_VILLAGE).await;
    let opened = open(
        &app,
        &cw,
        "2026-10-12T09:00:00",
        json!({
            "type": "request_pre_check",
            "case": { "program": "dibao", "village": TA_VILLAGE, "household_id": household, "origin": "household" },
            "materials": ["verification_authorization"],
        }),
    )
    .await
    .ok("pre-check");
    let id = opened["case_id"].as_i64().expect("case id");
    let verifier = staff(&app, "taian.verifier").await;
    step(&app, &verifier, id, "2026-10-13T09:00:00", check_passed()).await;
    step(
        &app,
        &cw,
        id,
        "2026-10-14T09:00:00",
        json!({ "type": "apply_after_check", "materials": ["application_form", "integrity_statement"] }),
    )
    .await;
    let visit = home_visit(&[cw.id, assistant.id], "家庭收入高于当地低保标准");
    step(&app, &cw, id, "2026-10-15T09:00:00", visit).await;
    let reasons = ["家庭人均收入高于当地低保标准"];
    let reviewer = staff(&app, "taian.reviewer").await;
    step(
        &app,
        &reviewer,
        id,
        "2026-10-16T09:00:00",
        review_refuse(&reasons),
    )
    .await;
    let head = staff(&app, "taian.head").await;
    step(
        &app,
        &head,
        id,
        "2026-10-19T09:00:00",
        decide(refuse(&reasons)),
    )
    .await;

    // 泰山区's supervisor draws October's sample (the only decision) and finds a problem.
    create_user(&app, "taishan.supervisor", Role::CountySupervisor, "370902").await;
    let ts = app.logged_in("taishan.supervisor").await;
    let page = "/supervision?period=2026-10";
    let (status, body) = post(
        &ts,
        &app,
        page,
        "/supervision/draw_sample",
        &[("period", "2026-10"), ("seed", "7")],
    )
    .await;
    assert!(status.is_redirection(), "{status} {body}");
    let (_, html) = get(&ts, &app, page).await;
    let draw_id = crate::helpers::hidden_field(&html, "draw_id").expect("the check form");
    let case = id.to_string();
    let (status, body) = post(
        &ts,
        &app,
        page,
        "/supervision/record_spot_check",
        &[
            ("period", "2026-10"),
            ("draw_id", &draw_id),
            ("case_id", &case),
            ("result", "problem"),
            ("findings", "申请人隐瞒经营性收入"),
        ],
    )
    .await;
    assert!(status.is_redirection(), "{status} {body}");
    // 泰安's profile keeps dishonesty records: the problem links to the form, filled in.
    let (_, html) = get(&ts, &app, page).await;
    let link = format!("/dishonesty?kind=spot_check&amp;draw_id={draw_id}&amp;case_id={id}");
    assert!(html.contains(&link), "{html}");
    let (status, html) = get(
        &ts,
        &app,
        &format!("/dishonesty?kind=spot_check&draw_id={draw_id}&case_id={id}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("申请人隐瞒经营性收入"),
        "offered as a finding: {html}"
    );
    assert!(
        html.contains("<option value=\"spot_check\" selected>"),
        "{html}"
    );
    let (status, body) = post(
        &ts,
        &app,
        "/dishonesty",
        "/dishonesty",
        &[
            ("kind", "spot_check"),
            ("draw_id", &draw_id),
            ("case_id", &case),
            ("legal_basis", "《社会救助暂行办法》第六十八条"),
            ("facts", "隐瞒经营性收入"),
            ("amount", "0"),
        ],
    )
    .await;
    assert!(status.is_redirection(), "{status} {body}");
    let (_, html) = get(&ts, &app, "/dishonesty").await;
    assert!(html.contains("抽查发现问题（抽样 #"), "{html}");
    assert!(html.contains("class=\"num amount\">0.00<"), "{html}");
    // The prefecture's supervisor sees the county's draw in its list.
    let pref = app.logged_in("taian.supervisor").await;
    let (_, html) = get(&pref, &app, page).await;
    assert!(html.contains("id=\"county-draws\"><li>泰山区："), "{html}");
    assert!(html.contains(&format!("id=\"item-{id}\"")), "{html}");
    app.cleanup().await;
}
