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

async fn browser(driver_url: &str) -> WebDriver {
    let mut caps = DesiredCapabilities::chrome();
    if let Ok(bin) = std::env::var("CHROMIUM") {
        caps.set_binary(&bin).unwrap();
    }
    let profile = std::env::temp_dir().join(format!("jiuzhu-e2e-profile-{}", std::process::id()));
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
    WebDriver::new(driver_url, caps)
        .await
        .expect("start a Chromium session")
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
    let driver = browser(&driver_url).await;
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
    let _ = stop.send(());
    let _ = server.await;
    db.cleanup().await;
    result.expect("browser scenario");
}
