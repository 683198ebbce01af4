//! `spawn_app`: a seeded test database and the real server on 127.0.0.1:0.

use std::sync::atomic::{AtomicU16, Ordering};

use chrono::{NaiveDate, Utc};
use jiuzhu_domain::{DivisionCode, IdNumber, PersonName, Relation};
use jiuzhu_server::{AppState, serve};
use jiuzhu_store::demo::{DEMO_PASSWORD, seed};
use jiuzhu_store::{Actor, Command, CommandContext, CommandOutcome, NewHousehold, NewMember};
use jiuzhu_store_tests::TestDb;
use reqwest::redirect::Policy;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const PASSWORD: &str = DEMO_PASSWORD;
/// 珙县 township caseworker at 珙泉镇 (511526100000).
pub const GX_CASEWORKER: &str = "gongxian.caseworker";
/// 珙县 county administrator.
pub const GX_ADMIN: &str = "gongxian.admin";
/// 灵武市 county administrator.
pub const LW_ADMIN: &str = "lingwu.admin";
/// A village of 珙泉镇 (the 珙县 caseworker's township).
pub const GX_OWN_VILLAGE: &str = "511526100205";
/// A village of 巡场镇, another township of 珙县.
pub const GX_OTHER_VILLAGE: &str = "511526101201";

pub struct TestApp {
    pub address: String,
    pub db: TestDb,
    shutdown: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
}

async fn test_db() -> TestDb {
    match std::env::var("JIUZHU_TEST_BACKEND").as_deref() {
        Ok("postgres") => {
            let db = TestDb::postgres()
                .await
                .expect("JIUZHU_TEST_BACKEND=postgres needs JIUZHU_TEST_POSTGRES_URL");
            assert_eq!(db.backend(), "postgres");
            db
        }
        _ => TestDb::sqlite().await,
    }
}

/// Seeds the demo (60 households, none of them in 珙县), adds two households in the 珙县
/// caseworker's township and one in another 珙县 township, and starts the server.
pub async fn spawn_app() -> TestApp {
    let db = test_db().await;
    seed(&*db.store, 60).await.expect("seed demo data");
    for village in [GX_OWN_VILLAGE, GX_OWN_VILLAGE, GX_OTHER_VILLAGE] {
        register_household(&db, &system(), village).await;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a random port");
    let port = listener.local_addr().expect("local addr").port();
    let (tx, rx) = oneshot::channel::<()>();
    let state = AppState::new(db.store.clone());
    let server = tokio::spawn(serve(listener, state, async {
        let _ = rx.await;
    }));
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        db,
        shutdown: Some(tx),
        server,
    }
}

impl TestApp {
    /// Stops the server gracefully and removes the database.
    pub async fn cleanup(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let finished =
            tokio::time::timeout(std::time::Duration::from_secs(10), &mut self.server).await;
        assert!(
            matches!(finished, Ok(Ok(Ok(())))),
            "the server did not shut down cleanly: {finished:?}"
        );
        self.db.cleanup().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The account's actor, read from the store.
    pub async fn actor(&self, username: &str) -> Actor {
        self.db
            .store
            .credentials(username)
            .await
            .expect("credentials")
            .expect("demo account exists")
            .user
            .actor()
    }

    /// GET /login and the CSRF token of its form.
    pub async fn login_csrf(&self, client: &reqwest::Client) -> String {
        let page = client
            .get(self.url("/login"))
            .send()
            .await
            .expect("GET /login");
        assert_eq!(page.status(), 200);
        hidden_field(&page.text().await.expect("body"), "csrf").expect("csrf field in the form")
    }

    /// Logs in through the form (with a fresh form token); returns the POST's response.
    pub async fn login(
        &self,
        client: &reqwest::Client,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        let csrf = self.login_csrf(client).await;
        client
            .post(self.url("/login"))
            .form(&[
                ("username", username),
                ("password", password),
                ("csrf", csrf.as_str()),
            ])
            .send()
            .await
            .expect("POST /login")
    }

    /// A client logged in as `username`.
    pub async fn logged_in(&self, username: &str) -> reqwest::Client {
        let client = client();
        let res = self.login(&client, username, PASSWORD).await;
        assert_eq!(res.status(), 303, "login of {username} failed");
        client
    }

    /// An API token for `username`.
    pub async fn token(&self, username: &str) -> String {
        let res = client()
            .post(self.url("/api/v1/tokens"))
            .json(
                &serde_json::json!({ "username": username, "password": PASSWORD, "label": "test" }),
            )
            .send()
            .await
            .expect("POST /api/v1/tokens");
        assert_eq!(res.status(), 201);
        let body: serde_json::Value = res.json().await.expect("json");
        body["token"].as_str().expect("token").to_string()
    }
}

/// A client with a cookie store that does not follow redirects (so tests see the 303s).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .no_proxy()
        .build()
        .expect("reqwest client")
}

/// The value of `<input ... name="NAME" value="...">` in a page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let rest = &html[at..];
    let v = rest.find("value=\"")? + "value=\"".len();
    let end = rest[v..].find('"')?;
    Some(rest[v..v + end].to_string())
}

/// The text of the element with `id="ID"` (no nesting).
pub fn element_text(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[at..];
    let start = rest.find('>')? + 1;
    let end = rest[start..].find('<')?;
    Some(rest[start..start + end].trim().to_string())
}

pub fn system() -> Actor {
    Actor::system("test")
}

static NEXT_SEQ: AtomicU16 = AtomicU16::new(1);

/// A valid, unused 珙县 identity number.
pub fn fresh_id() -> IdNumber {
    let n = NEXT_SEQ.fetch_add(1, Ordering::SeqCst);
    let birth =
        NaiveDate::from_ymd_opt(1975, 1, 1).expect("date") + chrono::Days::new(u64::from(n));
    IdNumber::from_parts("511526", birth, 2 * (n % 400) + 1).expect("id number")
}

/// The same number with a wrong check character.
pub fn broken_id() -> String {
    let good = fresh_id();
    let s = good.as_str();
    let wrong = if s.ends_with('0') { '1' } else { '0' };
    format!("{}{wrong}", &s[..17])
}

/// Registers a one-person household as `actor` and returns its id.
pub async fn register_household(db: &TestDb, actor: &Actor, village: &str) -> i64 {
    let h = NewHousehold {
        division: DivisionCode::parse(village).expect("village code"),
        address: "测试地址1组1号".to_string(),
        members: vec![NewMember {
            name: PersonName::parse("张某测").expect("name"),
            id_number: fresh_id(),
            relation: Relation::Head,
        }],
        demo: false,
    };
    let key = format!("test:{}", jiuzhu_store::auth::new_secret().expect("secret"));
    let done = db
        .store
        .execute(
            &CommandContext::new(actor.clone(), key, Utc::now()),
            Command::RegisterHousehold(h),
        )
        .await
        .expect("register household");
    match done.outcome {
        CommandOutcome::HouseholdRegistered { household_id } => household_id,
        other => panic!("unexpected outcome {other:?}"),
    }
}

/// Some household of 灵武市 (640181), found with the system actor.
pub async fn lingwu_household(db: &TestDb) -> i64 {
    let page = db
        .store
        .households(
            &system(),
            &jiuzhu_store::HouseholdFilter {
                division: Some(DivisionCode::parse("640181").expect("code")),
            },
            jiuzhu_store::PageRequest::new(1, 1),
        )
        .await
        .expect("households");
    page.items
        .first()
        .expect("the demo has 灵武市 households")
        .id
}

/// A multipart/form-data body of text fields and one `file`: (content type, body).
pub fn multipart(fields: &[(&str, &str)], file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----jiuzhu-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `GET path`: the status and the body.
pub async fn page(c: &reqwest::Client, app: &TestApp, path: &str) -> (reqwest::StatusCode, String) {
    let res = c.get(app.url(path)).send().await.expect("GET");
    (res.status(), res.text().await.expect("body"))
}

/// Posts a form; the answer's `Location` on a redirect, its body otherwise.
pub async fn post(
    c: &reqwest::Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> (reqwest::StatusCode, String) {
    let res = c
        .post(app.url(path))
        .form(fields)
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

/// Borrowed pairs of owned form fields, for [`post`].
pub fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The `<tr id="ID">…</tr>` row of a page.
pub fn row<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let end = html[at..].find("</tr>")?;
    Some(&html[at..at + end])
}

/// One action of the 资金发放 page (`generate_rosters`, `settle_rosters`, `submit_rosters`)
/// for `month`, by `login`; the answer's status and `Location` (or body).
pub async fn funds_action(
    app: &TestApp,
    login: &str,
    action: &str,
    month: &str,
) -> (reqwest::StatusCode, String) {
    let c = app.logged_in(login).await;
    let (_, html) = page(&c, app, &format!("/funds?month={month}")).await;
    let csrf = hidden_field(&html, "csrf").expect("csrf");
    let key = format!("{action}-{month}");
    post(
        &c,
        app,
        &format!("/funds/{action}"),
        &[("csrf", &csrf), ("key", &key), ("month", month)],
    )
    .await
}

/// The household's bank account (set by the township's caseworker), then `month` paid: the
/// county generates, the township settles and the county submits the rosters.
pub async fn pay_month(app: &TestApp, household: i64, month: &str) {
    let cw = app.logged_in(GX_CASEWORKER).await;
    let (_, html) = page(&cw, app, &format!("/households/{household}")).await;
    let csrf = hidden_field(&html, "csrf").expect("csrf");
    let (status, body) = post(
        &cw,
        app,
        &format!("/households/{household}/bank-account"),
        &[
            ("csrf", &csrf),
            ("account", "622202100000"),
            ("holder", "张某测"),
        ],
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::SEE_OTHER, "{body}");
    for (login, action) in [
        (GX_ADMIN, "generate_rosters"),
        (GX_CASEWORKER, "settle_rosters"),
        (GX_ADMIN, "submit_rosters"),
    ] {
        let (status, body) = funds_action(app, login, action, month).await;
        assert_eq!(status, reqwest::StatusCode::SEE_OTHER, "{action}: {body}");
    }
}

/// The household's payment line on 珙县's roster of `month`.
pub async fn payment_of(
    app: &TestApp,
    month: &str,
    household: i64,
) -> jiuzhu_store::payroll::Payment {
    let lines = app
        .db
        .store
        .payments(
            &app.actor(GX_ADMIN).await,
            month.parse().expect("month"),
            &jiuzhu_domain::DivisionCode::parse("511526").expect("county"),
            jiuzhu_store::PageRequest::new(1, 200),
        )
        .await
        .expect("payments");
    lines
        .items
        .into_iter()
        .find(|p| p.household_id == household)
        .unwrap_or_else(|| panic!("household {household} is on the roster of {month}"))
}
