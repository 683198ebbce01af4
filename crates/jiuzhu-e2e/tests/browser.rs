//! A newcomer's first minutes, in a real browser: log in as a township caseworker and as a
//! county administrator and see only one's own jurisdiction.

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jiuzhu_server::{AppState, serve};
use jiuzhu_store::demo::{DEMO_PASSWORD, seed};
use jiuzhu_store::{Actor, HouseholdFilter, PageRequest, Store};
use jiuzhu_store_tests::TestDb;
use thirtyfour::prelude::*;

/// Kills chromedriver when the test ends, however it ends.
struct Driver(Child);
impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn enabled() -> bool {
    if std::env::var("JIUZHU_E2E").is_ok_and(|v| v == "1") {
        return true;
    }
    eprintln!(
        "skipped: set JIUZHU_E2E=1 (with chromium and chromedriver installed) to run browser tests"
    );
    false
}

fn screenshot_dir() -> PathBuf {
    let dir = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("e2e-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn start_chromedriver() -> (Driver, String) {
    let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_string());
    let port = free_port();
    let child = Command::new(&bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("JIUZHU_E2E=1 but chromedriver ({bin}) cannot start: {e}"));
    let driver = Driver(child);
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (driver, url)
}

/// A headless Chromium session and its profile directory (removed by the caller).
async fn browser(driver_url: &str) -> (WebDriver, PathBuf) {
    let mut caps = DesiredCapabilities::chrome();
    if let Ok(bin) = std::env::var("CHROMIUM") {
        caps.set_binary(&bin).unwrap();
    }
    // One profile directory per browser: tests run in parallel in one process.
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let profile =
        std::env::temp_dir().join(format!("jiuzhu-e2e-profile-{}-{n}", std::process::id()));
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
        "--lang=zh-CN",
    ] {
        caps.add_arg(arg).unwrap();
    }
    caps.add_arg(&format!("--user-data-dir={}", profile.display()))
        .unwrap();
    let driver = WebDriver::new(driver_url, caps)
        .await
        .expect("start a Chromium session");
    (driver, profile)
}

async fn actor(store: &dyn Store, username: &str) -> Actor {
    store
        .credentials(username)
        .await
        .unwrap()
        .unwrap()
        .user
        .actor()
}

async fn login(driver: &WebDriver, base: &str, username: &str) -> WebDriverResult<()> {
    driver.goto(format!("{base}/login")).await?;
    driver
        .find(By::Id("username"))
        .await?
        .send_keys(username)
        .await?;
    driver
        .find(By::Id("password"))
        .await?
        .send_keys(DEMO_PASSWORD)
        .await?;
    driver
        .find(By::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    // The click navigates asynchronously: wait for the home page to arrive.
    driver.query(By::Id("count-households")).first().await?;
    Ok(())
}

async fn logout(driver: &WebDriver, base: &str) -> WebDriverResult<()> {
    driver.goto(format!("{base}/")).await?;
    driver
        .find(By::Css("form[action='/logout'] button"))
        .await?
        .click()
        .await?;
    driver.query(By::Id("username")).first().await?;
    Ok(())
}

/// Reloads the case page until the document list links the archived PDF (the issue form's
/// answer is a download, which leaves the page as it was).
async fn wait_for_download_link(
    driver: &WebDriver,
    base: &str,
    case: i64,
) -> WebDriverResult<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        driver.goto(format!("{base}/cases/{case}")).await?;
        let links = driver
            .find_all(By::Css("#doc-application_review_form a.doc-download"))
            .await?;
        if let Some(a) = links.first() {
            return Ok(a.attr("href").await?.expect("href"));
        }
        assert!(Instant::now() < deadline, "the document was not archived");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// GETs `url` with the browser's cookies (the logged-in session).
async fn fetch_with_session(driver: &WebDriver, url: &str) -> Vec<u8> {
    let cookies = driver.get_all_cookies().await.expect("cookies");
    let header = cookies
        .iter()
        .map(|c| format!("{}={}", c.name, c.value))
        .collect::<Vec<_>>()
        .join("; ");
    let res = reqwest::Client::new()
        .get(url)
        .header("Cookie", header)
        .send()
        .await
        .expect("GET the PDF");
    assert_eq!(res.status(), 200, "{url}");
    assert_eq!(res.headers()["content-type"], "application/pdf");
    res.bytes().await.expect("PDF bytes").to_vec()
}

/// A PDF's text, whitespace removed.
fn pdf_text(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("a readable PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).expect("text");
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

async fn text(driver: &WebDriver, id: &str) -> String {
    driver.find(By::Id(id)).await.unwrap().text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caseworker_and_county_admin_see_only_their_jurisdiction() {
    if !enabled() {
        return;
    }
    let db = TestDb::sqlite().await;
    // Enough households that every village of the five localities has at least one.
    seed(&*db.store, 700).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, AppState::new(db.store.clone()), async {
        let _ = stopped.await;
    }));
    let (_chromedriver, driver_url) = start_chromedriver().await;
    let (driver, profile) = browser(&driver_url).await;
    let shots = screenshot_dir();

    let result = async {
        // A township caseworker of 珙县.
        let cw = actor(&*db.store, "gongxian.caseworker").await;
        let cw_counts = db.store.counts(&cw).await.unwrap();
        login(&driver, &base, "gongxian.caseworker").await?;
        driver
            .screenshot(&shots.join("home-caseworker.png"))
            .await?;
        let page = driver.source().await?;
        assert!(page.contains("乡镇经办人"), "role shown");
        assert!(page.contains("珙泉镇"), "jurisdiction shown");
        assert_eq!(
            text(&driver, "count-households").await,
            cw_counts.households.to_string()
        );
        assert_eq!(text(&driver, "count-townships").await, "1");
        assert!(cw_counts.households > 0);

        // Its household list holds only its own township's households.
        driver.goto(format!("{base}/households")).await?;
        driver
            .screenshot(&shots.join("households-caseworker.png"))
            .await?;
        let list = driver.source().await?;
        let all = db
            .store
            .households(
                &Actor::system("e2e"),
                &HouseholdFilter::default(),
                PageRequest::new(1, 200),
            )
            .await
            .unwrap();
        let cw_division = match &cw {
            Actor::User(u) => u.division.clone(),
            _ => unreachable!(),
        };
        let foreign = all
            .items
            .iter()
            .find(|h| !cw_division.contains(&h.division))
            .expect("a foreign household");
        let own = db
            .store
            .households(&cw, &HouseholdFilter::default(), PageRequest::new(1, 50))
            .await
            .unwrap();
        for h in &own.items {
            assert!(
                list.contains(&format!("/households/{}\"", h.id)),
                "own household {} listed",
                h.id
            );
        }
        assert!(
            !list.contains(&format!("/households/{}\"", foreign.id)),
            "foreign household listed"
        );

        // Guessing another jurisdiction's household id: 404, nothing shown.
        driver
            .goto(format!("{base}/households/{}", foreign.id))
            .await?;
        let body = driver.source().await?;
        assert!(body.contains("未找到"), "not-found page");
        assert!(!body.contains(foreign.head_name.as_str()));
        driver
            .screenshot(&shots.join("foreign-household-caseworker.png"))
            .await?;
        logout(&driver, &base).await?;

        // The county administrator of 珙县 sees the whole county, nothing of 灵武市.
        let admin = actor(&*db.store, "gongxian.admin").await;
        let admin_counts = db.store.counts(&admin).await.unwrap();
        login(&driver, &base, "gongxian.admin").await?;
        driver
            .screenshot(&shots.join("home-county-admin.png"))
            .await?;
        assert_eq!(
            text(&driver, "count-households").await,
            admin_counts.households.to_string()
        );
        assert!(admin_counts.households > cw_counts.households);
        assert!(driver.source().await?.contains("县级民政管理员"));
        let lingwu = all
            .items
            .iter()
            .find(|h| h.division.as_str().starts_with("640181"))
            .expect("a 灵武市 household");
        driver
            .goto(format!("{base}/households/{}", lingwu.id))
            .await?;
        assert!(driver.source().await?.contains("未找到"));
        let own_gx = all
            .items
            .iter()
            .find(|h| h.division.as_str().starts_with("511526"))
            .expect("a 珙县 household");
        driver
            .goto(format!("{base}/households/{}", own_gx.id))
            .await?;
        let detail = driver.source().await?;
        assert!(
            detail.contains(own_gx.head_name.as_str()),
            "own county's household detail"
        );
        assert!(
            detail.contains("household.registered") || detail.contains("登记"),
            "audit timeline"
        );
        driver
            .screenshot(&shots.join("household-county-admin.png"))
            .await?;
        logout(&driver, &base).await?;
        WebDriverResult::Ok(())
    }
    .await;
    if result.is_err() {
        let _ = driver.screenshot(&shots.join("failure.png")).await;
    }
    driver.quit().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    let _ = stop.send(());
    let _ = server.await;
    db.cleanup().await;
    result.expect("browser scenario");
}

// ---- the whole procedure in the browser ---------------------------------------------------

/// Sets an input's value through the page (date-time inputs take no typed text portably).
async fn set_value(driver: &WebDriver, css: &str, value: &str) -> WebDriverResult<()> {
    let el = driver.find(By::Css(css)).await?;
    driver
        .execute(
            "arguments[0].value = arguments[1];",
            vec![el.to_json()?, serde_json::Value::String(value.to_string())],
        )
        .await?;
    Ok(())
}

/// Opens the step's form on the case page, lets `fill` fill it, submits it and waits for the
/// case page to confirm the step.
async fn step_form(
    driver: &WebDriver,
    base: &str,
    case: i64,
    kind: &str,
    at: &str,
    fill: &[(&str, &str)],
    checks: &[(&str, &str)],
) -> WebDriverResult<()> {
    eprintln!("step {kind} at {at}");
    driver.goto(format!("{base}/cases/{case}")).await?;
    let form = format!("#act-{kind}");
    driver
        .find(By::Css(format!("{form} summary")))
        .await?
        .click()
        .await?;
    for (name, value) in fill {
        let css = format!("{form} [name='{name}']");
        let el = driver.find(By::Css(&css)).await?;
        if el.attr("type").await?.as_deref() == Some("month") {
            set_value(driver, &css, value).await?;
        } else if el.tag_name().await? == "select" {
            el.find(By::Css(format!("option[value='{value}']")))
                .await?
                .click()
                .await?;
        } else {
            el.send_keys(*value).await?;
        }
    }
    for (name, value) in checks {
        driver
            .find(By::Css(format!(
                "{form} input[name='{name}'][value='{value}']"
            )))
            .await?
            .click()
            .await?;
    }
    set_value(driver, &format!("{form} [name='at']"), at).await?;
    driver
        .find(By::Css(format!("{form} button.submit")))
        .await?
        .click()
        .await?;
    driver.query(By::Css("p.ok")).first().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caseworker_takes_an_application_to_approval_and_the_public_sees_it_masked() {
    if !enabled() {
        return;
    }
    let db = TestDb::sqlite().await;
    seed(&*db.store, 60).await.unwrap();
    let household = {
        use jiuzhu_domain::{DivisionCode, IdNumber, PersonName, Relation};
        use jiuzhu_store::{Command, CommandContext, CommandOutcome, NewHousehold, NewMember};
        let done = db
            .store
            .execute(
                &CommandContext::new(Actor::system("e2e"), "e2e:household", chrono::Utc::now()),
                Command::RegisterHousehold(NewHousehold {
                    // 文聚社区, the village of the demo's village assistant.
                    division: DivisionCode::parse("511526100001").unwrap(),
                    address: "珙泉镇测试村1组".to_string(),
                    members: vec![NewMember {
                        name: PersonName::parse("李某芳").unwrap(),
                        id_number: IdNumber::from_parts(
                            "511526",
                            chrono::NaiveDate::from_ymd_opt(1961, 3, 9).unwrap(),
                            123,
                        )
                        .unwrap(),
                        relation: Relation::Head,
                    }],
                    demo: false,
                }),
            )
            .await
            .unwrap();
        match done.outcome {
            CommandOutcome::HouseholdRegistered { household_id } => household_id,
            other => panic!("{other:?}"),
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, AppState::new(db.store.clone()), async {
        let _ = stopped.await;
    }));
    let (_chromedriver, driver_url) = start_chromedriver().await;
    let (driver, profile) = browser(&driver_url).await;
    let shots = screenshot_dir();
    let uid = |a: Actor| match a {
        Actor::User(u) => u.id.to_string(),
        _ => unreachable!(),
    };
    let cw_id = uid(actor(&*db.store, "gongxian.caseworker").await);
    let assistant_id = uid(actor(&*db.store, "gongxian.assistant").await);

    let result = async {
        // The caseworker: household → 提出救助申请 → 低保, two materials missing.
        login(&driver, &base, "gongxian.caseworker").await?;
        driver
            .goto(format!("{base}/households/{household}"))
            .await?;
        driver
            .find(By::Id("new-application"))
            .await?
            .click()
            .await?;
        driver
            .find(By::Css("#new-program option[value='dibao']"))
            .await?
            .click()
            .await?;
        driver
            .find(By::Css("form.filter button"))
            .await?
            .click()
            .await?;
        driver.query(By::Id("new-case")).first().await?;
        for key in ["application_form", "verification_authorization"] {
            driver
                .find(By::Css(format!(
                    "#new-case input[name='materials'][value='{key}']"
                )))
                .await?
                .click()
                .await?;
        }
        set_value(&driver, "#new-case [name='at']", "2026-10-12T09:00").await?;
        driver
            .screenshot(&shots.join("new-application.png"))
            .await?;
        driver
            .find(By::Css("#new-case button.submit"))
            .await?
            .click()
            .await?;
        driver.query(By::Css("p.ok")).first().await?;
        let url = driver.current_url().await?;
        let case: i64 = url
            .path()
            .trim_start_matches("/cases/")
            .parse()
            .expect("case id in the address");
        assert_eq!(text(&driver, "case-stage").await, "待补正材料");
        assert!(
            driver.source().await?.contains("✘ 诚信声明"),
            "the one-time notice"
        );
        step_form(
            &driver,
            &base,
            case,
            "submit_materials",
            "2026-10-13T09:00",
            &[],
            &[
                ("materials", "integrity_statement"),
                ("materials", "identity_documents"),
            ],
        )
        .await?;
        step_form(
            &driver,
            &base,
            case,
            "request_check",
            "2026-10-13T10:00",
            &[],
            &[],
        )
        .await?;
        logout(&driver, &base).await?;

        login(&driver, &base, "gongxian.verifier").await?;
        step_form(
            &driver,
            &base,
            case,
            "record_check_result",
            "2026-10-14T10:00",
            &[("summary", "收入、财产均在规定范围内")],
            &[("passed", "true")],
        )
        .await?;
        logout(&driver, &base).await?;

        login(&driver, &base, "gongxian.caseworker").await?;
        driver.goto(format!("{base}/cases/{case}")).await?;
        driver
            .find(By::Css("#act-record_home_visit summary"))
            .await?
            .click()
            .await?;
        // A wrong income is shown next to its field, with the typed value kept.
        for id in [&cw_id, &assistant_id] {
            driver
                .find(By::Css(format!(
                    "#act-record_home_visit input[name='investigators'][value='{id}']"
                )))
                .await?
                .click()
                .await?;
        }
        driver
            .find(By::Css("#act-record_home_visit input[name='m1_lives']"))
            .await?
            .click()
            .await?;
        driver
            .find(By::Css("#act-record_home_visit [name='m1_income']"))
            .await?
            .send_keys("三百")
            .await?;
        driver
            .find(By::Css("#act-record_home_visit [name='findings']"))
            .await?
            .send_keys("家庭收入低于当地低保标准")
            .await?;
        set_value(
            &driver,
            "#act-record_home_visit [name='at']",
            "2026-10-15T09:00",
        )
        .await?;
        driver
            .find(By::Css("#act-record_home_visit button.submit"))
            .await?
            .click()
            .await?;
        driver.query(By::Css(".field-error")).first().await?;
        driver.screenshot(&shots.join("field-error.png")).await?;
        let income = driver
            .find(By::Css("#act-record_home_visit [name='m1_income']"))
            .await?;
        assert_eq!(income.value().await?.as_deref(), Some("三百"));
        income.clear().await?;
        income.send_keys("300").await?;
        set_value(
            &driver,
            "#act-record_home_visit [name='at']",
            "2026-10-15T09:00",
        )
        .await?;
        driver
            .find(By::Css("#act-record_home_visit button.submit"))
            .await?
            .click()
            .await?;
        driver.query(By::Css("p.ok")).first().await?;
        logout(&driver, &base).await?;

        login(&driver, &base, "gongxian.reviewer").await?;
        step_form(
            &driver,
            &base,
            case,
            "sign_review",
            "2026-10-16T09:00",
            &[("opinion", "经审核，符合条件，拟批准")],
            &[("recommendation", "approve")],
        )
        .await?;
        logout(&driver, &base).await?;

        login(&driver, &base, "gongxian.caseworker").await?;
        step_form(
            &driver,
            &base,
            case,
            "post_notice",
            "2026-10-16T15:00",
            &[],
            &[],
        )
        .await?;
        step_form(
            &driver,
            &base,
            case,
            "end_notice",
            "2026-10-26T09:00",
            &[],
            &[],
        )
        .await?;
        logout(&driver, &base).await?;

        // The township head: the worklist, then the decision with the amount computed.
        login(&driver, &base, "gongxian.head").await?;
        driver.goto(format!("{base}/todo")).await?;
        driver.screenshot(&shots.join("worklist-head.png")).await?;
        assert!(driver.source().await?.contains(&format!("/cases/{case}")));
        step_form(
            &driver,
            &base,
            case,
            "decide",
            "2026-10-26T15:00",
            &[("standard", "rural"), ("start_month", "2026-10")],
            &[("decision", "approve")],
        )
        .await?;
        let page = driver.source().await?;
        driver.screenshot(&shots.join("case-decided.png")).await?;
        assert!(
            page.contains("批准：300.00元"),
            "decision with the computed amount"
        );
        assert_eq!(text(&driver, "case-stage").await, "已作出决定");
        // The decision's 申请审核确认表: issued from the case page (a real form post with
        // the session's CSRF token), then downloaded with the browser's session and read.
        driver
            .find(By::Css("#doc-application_review_form button.doc-issue"))
            .await?
            .click()
            .await?;
        let link = wait_for_download_link(&driver, &base, case).await?;
        let pdf = fetch_with_session(&driver, &format!("{base}{link}")).await;
        assert!(pdf.starts_with(b"%PDF-"), "a PDF");
        let pdf_text = pdf_text(&pdf);
        for expected in [
            "申请审核确认表",
            "珙县珙泉镇人民政府",
            "珙泉民救〔2026〕",
            "李某芳",
            "最低生活保障",
            "确认意见",
            "同意批准",
            "300.00",
        ] {
            assert!(
                pdf_text.contains(expected),
                "{expected} not in the PDF:\n{pdf_text}"
            );
        }
        assert!(
            !pdf_text.contains("511526196103091"),
            "identity numbers are printed masked"
        );
        driver
            .execute(
                "document.getElementById('documents').scrollIntoView()",
                Vec::new(),
            )
            .await?;
        driver.screenshot(&shots.join("case-documents.png")).await?;
        driver.goto(format!("{base}/dashboard")).await?;
        driver.screenshot(&shots.join("dashboard-head.png")).await?;
        logout(&driver, &base).await?;
        // The caseworker posts the result in the village.
        login(&driver, &base, "gongxian.caseworker").await?;
        step_form(
            &driver,
            &base,
            case,
            "post_result",
            "2026-10-27T09:00",
            &[],
            &[],
        )
        .await?;
        logout(&driver, &base).await?;

        // The public: the board shows the approval with the name masked, never the ID.
        driver
            .goto(format!("{base}/public/notices?division=511526100001"))
            .await?;
        driver.screenshot(&shots.join("public-board.png")).await?;
        let board = driver.source().await?;
        assert!(
            board.contains("李**") || board.contains("李*芳") || board.contains("李某*"),
            "{board}"
        );
        assert!(!board.contains("李某芳"));
        assert!(!board.contains("511526196103091"));
        assert!(board.contains("300.00元"));
        // An objection through the form.
        driver.find(By::Id("report-link")).await?.click().await?;
        driver
            .find(By::Id("content"))
            .await?
            .send_keys("该户有经营收入，请核实。")
            .await?;
        driver
            .find(By::Css("#report-form button.submit"))
            .await?
            .click()
            .await?;
        driver.query(By::Id("report-receipt")).first().await?;
        driver
            .screenshot(&shots.join("public-objection.png"))
            .await?;

        // 动态管理: the village assistant records November's visit and reports that the
        // income changed; the caseworker re-checks and the amount goes down from November.
        login(&driver, &base, "gongxian.assistant").await?;
        driver.goto(format!("{base}/dynamic?month=2026-11")).await?;
        let visit_row = format!("#visit-{household}");
        assert!(
            driver
                .find(By::Css(format!("{visit_row} .visit-status")))
                .await?
                .text()
                .await?
                .contains("未走访"),
            "listed as not yet visited"
        );
        set_value(
            &driver,
            &format!("{visit_row} [name='visited_on']"),
            "2026-11-20",
        )
        .await?;
        driver
            .find(By::Css(format!("{visit_row} option[value='change']")))
            .await?
            .click()
            .await?;
        driver
            .find(By::Css(format!(
                "{visit_row} input[name='changes'][value='income']"
            )))
            .await?
            .click()
            .await?;
        driver
            .find(By::Css(format!("{visit_row} [name='note']")))
            .await?
            .send_keys("户主开始打零工")
            .await?;
        driver
            .find(By::Css(format!("{visit_row} button")))
            .await?
            .click()
            .await?;
        driver.query(By::Css("p.ok")).first().await?;
        let status = driver
            .find(By::Css(format!("{visit_row} .visit-status")))
            .await?
            .text()
            .await?;
        assert!(status.contains("收入变化"), "{status}");
        driver.screenshot(&shots.join("dynamic-visits.png")).await?;
        logout(&driver, &base).await?;

        login(&driver, &base, "gongxian.caseworker").await?;
        driver.goto(format!("{base}/dynamic?month=2026-11")).await?;
        let due = driver
            .find(By::Css(format!("#due-{household}-dibao")))
            .await?;
        assert!(due.text().await?.contains("走访发现变化"), "due at once");
        due.find(By::Css("a")).await?.click().await?;
        driver.query(By::Id("recheck-form")).first().await?;
        set_value(&driver, "#checked_on", "2026-11-25").await?;
        let income = driver.find(By::Css("[name='m1_income']")).await?;
        assert_eq!(income.value().await?.as_deref(), Some("300.00"));
        income.clear().await?;
        income.send_keys("400").await?;
        driver
            .find(By::Id("findings"))
            .await?
            .send_keys("户主打零工，月收入增加100元")
            .await?;
        driver
            .screenshot(&shots.join("dynamic-recheck.png"))
            .await?;
        driver
            .find(By::Css("#recheck-form button.submit"))
            .await?
            .click()
            .await?;
        driver.query(By::Css("p.ok")).first().await?;
        let change = driver
            .find(By::Css("#rechecks .recheck-change"))
            .await?
            .text()
            .await?;
        assert!(
            change.contains("300.00元 → 200.00元（2026-12起）"),
            "{change}"
        );
        logout(&driver, &base).await?;
        // The county generates December's roster: October to November at 300 (back-pay),
        // December at the reduced 200.
        login(&driver, &base, "gongxian.admin").await?;
        driver.goto(format!("{base}/funds?month=2026-12")).await?;
        driver
            .find(By::Css("form[action='/funds/generate_rosters'] button"))
            .await?
            .click()
            .await?;
        driver.query(By::Css("p.ok")).first().await?;
        assert_eq!(text(&driver, "roster-total").await, "800.00");
        driver.screenshot(&shots.join("dynamic-roster.png")).await?;
        let admin = actor(&*db.store, "gongxian.admin").await;
        let lines = db
            .store
            .payments(
                &admin,
                "2026-12".parse().unwrap(),
                &jiuzhu_domain::DivisionCode::parse("511526").unwrap(),
                PageRequest::new(1, 50),
            )
            .await
            .unwrap();
        let line = lines
            .items
            .iter()
            .find(|p| p.household_id == household)
            .expect("on December's roster");
        assert_eq!(
            (line.amount.fen(), line.backpay.fen()),
            (80_000, 60_000),
            "200 for December after 300 for October and November"
        );
        logout(&driver, &base).await?;

        // 监督: the county supervisor draws October's sample (the township's decision was
        // filed with the county), finds a problem, orders a rectification; the township
        // answers it and the county accepts.
        login(&driver, &base, "gongxian.supervisor").await?;
        driver
            .goto(format!("{base}/supervision?period=2026-10"))
            .await?;
        driver
            .find(By::Css("#draw-form button"))
            .await?
            .click()
            .await?;
        driver.query(By::Css("p.ok")).first().await?;
        assert!(
            !text(&driver, "draw-seed").await.is_empty(),
            "the seed is shown"
        );
        let item = format!("#item-{case}");
        driver
            .find(By::Css(format!("{item} option[value='problem']")))
            .await?
            .click()
            .await?;
        driver
            .find(By::Css(format!("{item} [name='findings']")))
            .await?
            .send_keys("入户调查记录缺少第二名调查人签字；户主另有务工收入未申报")
            .await?;
        driver
            .find(By::Css(format!("{item} [name='decision_wrong']")))
            .await?
            .click()
            .await?;
        driver
            .find(By::Css(format!("{item} .check-form button")))
            .await?
            .click()
            .await?;
        driver.query(By::Css("p.ok")).first().await?;
        driver
            .find(By::Css(format!("{item} .order-form [name='requirement']")))
            .await?
            .send_keys("补齐调查人签字并说明原因")
            .await?;
        driver
            .find(By::Css(format!("{item} .order-form button")))
            .await?
            .click()
            .await?;
        driver.query(By::Css("p.ok")).first().await?;
        driver
            .screenshot(&shots.join("supervision-county.png"))
            .await?;
        let supervisor = actor(&*db.store, "gongxian.supervisor").await;
        let rects = db
            .store
            .rectifications(
                &supervisor,
                &jiuzhu_store::RectificationFilter {
                    within: None,
                    open_only: true,
                    overdue_on: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(rects.len(), 1, "one order");
        let rect = format!("#rect-{}", rects[0].id);
        logout(&driver, &base).await?;

        login(&driver, &base, "gongxian.caseworker").await?;
        driver
            .goto(format!("{base}/supervision?period=2026-10"))
            .await?;
        driver
            .find(By::Css(format!("{rect} [name='response']")))
            .await?
            .send_keys("已补签，调查人二人均在场")
            .await?;
        driver
            .find(By::Css(format!("{rect} .respond-form button")))
            .await?
            .click()
            .await?;
        driver.query(By::Css("p.ok")).first().await?;
        logout(&driver, &base).await?;

        login(&driver, &base, "gongxian.supervisor").await?;
        driver
            .goto(format!("{base}/supervision?period=2026-10"))
            .await?;
        assert!(
            driver
                .find(By::Css(rect.as_str()))
                .await?
                .text()
                .await?
                .contains("已补签"),
            "the township's answer is shown to the county"
        );
        driver
            .find(By::Css(format!("{rect} [name='opinion']")))
            .await?
            .send_keys("整改到位")
            .await?;
        driver
            .find(By::Css(format!("{rect} .conclude-form button")))
            .await?
            .click()
            .await?;
        driver.query(By::Css("p.ok")).first().await?;
        let status = driver
            .find(By::Css(format!("{rect} .rect-status")))
            .await?
            .text()
            .await?;
        assert_eq!(status, "已销号");
        driver
            .screenshot(&shots.join("supervision-closed.png"))
            .await?;
        logout(&driver, &base).await?;

        // 纠正: the township head corrects the approval on the check's finding (the
        // household earns 500, not 300): 100 a month from October.
        login(&driver, &base, "gongxian.head").await?;
        step_form(
            &driver,
            &base,
            case,
            "correct",
            "2026-12-01T09:00",
            &[
                ("effective_month", "2026-10"),
                ("standard", "rural"),
                ("m1_income", "500"),
                ("reason", "抽查发现户主务工收入未申报"),
            ],
            &[("correction", "amount")],
        )
        .await?;
        let corrected = driver.find(By::Id("corrections")).await?.text().await?;
        assert!(corrected.contains("300.00元 → 100.00元"), "{corrected}");
        driver
            .execute(
                "document.getElementById('decision').scrollIntoView();",
                Vec::new(),
            )
            .await?;
        assert!(
            text(&driver, "decision")
                .await
                .contains("经纠正，自2026年10月起为100.00元"),
            "the decision shows the corrected amount"
        );
        driver.screenshot(&shots.join("correction.png")).await?;
        WebDriverResult::Ok(())
    }
    .await;
    if result.is_err() {
        let _ = driver
            .screenshot(&shots.join("failure-procedure.png"))
            .await;
    }
    driver.quit().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    let _ = stop.send(());
    let _ = server.await;
    db.cleanup().await;
    result.expect("browser procedure");
}
