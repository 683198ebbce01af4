//! The `jiuzhu` binary as an operator uses it: real processes, real databases.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use jiuzhu_store_tests::TestDb;

fn jiuzhu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jiuzhu"))
        .args(args)
        .env_remove("JIUZHU_DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .expect("run jiuzhu")
}

fn jiuzhu_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jiuzhu"))
        .args(args)
        .env_remove("JIUZHU_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run jiuzhu");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn help_describes_every_command() {
    let o = jiuzhu(&["--help"]);
    assert!(o.status.success());
    let t = text(&o);
    for cmd in [
        "serve",
        "migrate",
        "user",
        "audit",
        "delegation",
        "calendar",
        "id",
        "bench",
        "payroll",
        "supervise",
    ] {
        assert!(t.contains(cmd), "{cmd} missing from --help:\n{t}");
    }
    let t = text(&jiuzhu(&["user", "add", "--help"]));
    assert!(
        t.contains("township_caseworker") && t.contains("--division"),
        "{t}"
    );
    let t = text(&jiuzhu(&["audit", "verify", "--help"]));
    assert!(t.contains("first broken event"), "{t}");
    let t = text(&jiuzhu(&["user", "passwd", "--help"]));
    assert!(t.contains("sessions and API tokens"), "{t}");
}

#[tokio::test]
async fn migrate_user_and_audit_on_sqlite() {
    let db = TestDb::sqlite().await;
    let url = db.url.clone();
    let o = jiuzhu(&["migrate", "--db", &url]);
    assert!(o.status.success(), "{}", text(&o));
    let expected = format!("schema version {}", jiuzhu_store::SCHEMA_VERSION);
    assert!(text(&o).contains(&expected), "{}", text(&o));

    let o = jiuzhu_stdin(
        &[
            "user",
            "add",
            "--db",
            &url,
            "--username",
            "gx.zhang",
            "--name",
            "张某",
            "--role",
            "township_caseworker",
            "--division",
            "511526101000",
            "--password-stdin",
        ],
        "a-good-password\n",
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("a-good-password"));
    // Duplicate username.
    let o = jiuzhu_stdin(
        &[
            "user",
            "add",
            "--db",
            &url,
            "--username",
            "gx.zhang",
            "--name",
            "张某",
            "--role",
            "township_caseworker",
            "--division",
            "511526101000",
            "--password-stdin",
        ],
        "a-good-password\n",
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("already taken"), "{}", text(&o));
    // Generated password is printed once.
    let o = jiuzhu(&[
        "user",
        "add",
        "--db",
        &url,
        "--username",
        "gx.admin",
        "--name",
        "管理员",
        "--role",
        "county_admin",
        "--division",
        "511526",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("initial password"), "{}", text(&o));
    // Bad input: malformed division code, wrong level, unknown role, weak password.
    let o = jiuzhu(&[
        "user",
        "add",
        "--db",
        &url,
        "--username",
        "x.y",
        "--name",
        "x",
        "--role",
        "township_caseworker",
        "--division",
        "51152A",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--division"), "{}", text(&o));
    let o = jiuzhu(&[
        "user",
        "add",
        "--db",
        &url,
        "--username",
        "x.y",
        "--name",
        "x",
        "--role",
        "township_caseworker",
        "--division",
        "511526",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("cannot be attached"), "{}", text(&o));
    let o = jiuzhu(&[
        "user",
        "add",
        "--db",
        &url,
        "--username",
        "x.y",
        "--name",
        "x",
        "--role",
        "root",
        "--division",
        "511526",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = jiuzhu_stdin(
        &[
            "user",
            "add",
            "--db",
            &url,
            "--username",
            "x.y",
            "--name",
            "x",
            "--role",
            "county_admin",
            "--division",
            "511526",
            "--password-stdin",
        ],
        "123\n",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("too short"), "{}", text(&o));

    let o = jiuzhu(&["user", "list", "--db", &url]);
    assert!(
        text(&o).contains("gx.zhang") && text(&o).contains("gx.admin"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("x.y"));

    let o = jiuzhu(&[
        "user",
        "deactivate",
        "--db",
        &url,
        "--username",
        "gx.zhang",
        "--reason",
        "调岗",
    ]);
    assert!(o.status.success(), "{}", text(&o));

    let o = jiuzhu(&["audit", "verify", "--db", &url]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("intact: 4 events"), "{}", text(&o));

    // Remove the newest event by raw SQL: the break is at the chain head, after all 3
    // remaining events were checked (1 on the system chain, 2 on 珙县's).
    db.exec_raw("DROP TRIGGER events_no_delete").await.unwrap();
    db.exec_raw("DELETE FROM events WHERE chain = '511526' AND seq = 3")
        .await
        .unwrap();
    let o = jiuzhu(&["audit", "verify", "--db", &url]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        text(&o).contains("BROKEN at event 511526/3") && text(&o).contains("(3 events checked)"),
        "{}",
        text(&o)
    );

    // Tamper with an event by raw SQL: verify names it and exits 3.
    db.exec_raw("DROP TRIGGER events_no_update").await.unwrap();
    db.exec_raw("UPDATE events SET payload = replace(payload, '张某', '李某') WHERE chain = '511526' AND seq = 1")
        .await
        .unwrap();
    let o = jiuzhu(&["audit", "verify", "--db", &url]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        text(&o).contains("BROKEN at event 511526/1") && text(&o).contains("(2 events checked)"),
        "{}",
        text(&o)
    );
    db.cleanup().await;
}

#[tokio::test]
async fn bad_databases_get_specific_errors() {
    let o = jiuzhu(&["migrate", "--db", "mysql://localhost/x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("unsupported database URL"),
        "{}",
        text(&o)
    );

    let o = jiuzhu(&["migrate", "--db", "postgres://u:hunter2@127.0.0.1:1/x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("cannot open the database"),
        "{}",
        text(&o)
    );
    assert!(
        !text(&o).contains("hunter2"),
        "password leaked: {}",
        text(&o)
    );

    let o = jiuzhu(&["migrate", "--db", "sqlite:///nonexistent-dir/x.db"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("cannot open the database"),
        "{}",
        text(&o)
    );

    let db = TestDb::sqlite().await;
    db.exec_raw("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (42, 'future', 1, x'00', 0)")
        .await
        .unwrap();
    let o = jiuzhu(&["audit", "verify", "--db", &db.url]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("schema version 42, newer"),
        "{}",
        text(&o)
    );

    let ro = format!("{}?mode=ro", db.url);
    let o = jiuzhu(&["migrate", "--db", &ro]);
    assert_eq!(o.status.code(), Some(1));
    db.cleanup().await;

    let ro_db = TestDb::sqlite().await;
    let ro = format!("{}?mode=ro", ro_db.url);
    let o = jiuzhu(&["migrate", "--db", &ro]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("read-only"), "{}", text(&o));
    ro_db.cleanup().await;

    let bad = std::env::temp_dir().join(format!("jiuzhu_bad_divisions_{}.csv", std::process::id()));
    std::fs::write(&bad, "code,name,note\n640000,宁夏,\n640181,灵武市,\n").unwrap();
    let db = TestDb::sqlite().await;
    let o = jiuzhu(&[
        "migrate",
        "--db",
        &db.url,
        "--divisions",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("line 3"), "{}", text(&o));
    let _ = std::fs::remove_file(bad);
    db.cleanup().await;
}

fn http_get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serve_demo_starts_prints_accounts_and_stops_gracefully() {
    let dir = std::env::temp_dir().join(format!("jiuzhu_demo_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_jiuzhu"))
        .args([
            "serve",
            "--demo",
            "--demo-households",
            "30",
            "--listen",
            "127.0.0.1:0",
        ])
        .current_dir(&dir)
        .env_remove("JIUZHU_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = String::new();
    let started = Instant::now();
    let addr = loop {
        let line = lines.next().expect("server exited early").unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.strip_prefix("jiuzhu listening on http://") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no listening line:\n{seen}"
        );
    };
    assert!(seen.contains("DEMO MODE"), "{seen}");
    assert!(
        seen.contains("gongxian.caseworker") && seen.contains("jiuzhu-demo"),
        "{seen}"
    );
    assert!(dir.join("jiuzhu-demo.db").exists());
    // Cases at every stage in every locality, summarised per locality and stage.
    assert!(
        seen.contains("demo cases (lingwu ") && seen.contains("notice "),
        "{seen}"
    );
    assert!(seen.contains("gongxian.caseworker2"), "{seen}");
    let health = http_get(&addr, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let login = http_get(&addr, "/login");
    assert!(login.contains("登录"), "{login}");
    // SIGTERM: graceful shutdown, exit status 0.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "exit {exit:?}");
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    // No personal data in logs: demo ID numbers all start with a seed county code and are
    // 18 characters; none may appear.
    assert!(!err.contains("某"), "names in logs: {err}");
    // Reuse: a second start keeps the database and creates nothing new.
    let o = Command::new(env!("CARGO_BIN_EXE_jiuzhu"))
        .args(["audit", "verify", "--db", "sqlite://jiuzhu-demo.db"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn delegation_grant_who_and_revoke() {
    let db = TestDb::sqlite().await;
    let url = db.url.clone();
    assert!(jiuzhu(&["migrate", "--db", &url]).status.success());
    let o = jiuzhu(&[
        "delegation",
        "grant",
        "--db",
        &url,
        "--program",
        "linshi",
        "--township",
        "511526102000",
        "--from",
        "2020-05-01",
        "--cap-yuan",
        "3000",
        "--basis",
        "珙县试点方案",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("granted: grant 1"), "{}", text(&o));
    let who = |date: &str, amount: &str| {
        let o = jiuzhu(&[
            "delegation",
            "who",
            "--db",
            &url,
            "--program",
            "linshi",
            "--township",
            "511526102000",
            "--date",
            date,
            "--amount-yuan",
            amount,
        ]);
        assert!(o.status.success(), "{}", text(&o));
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(who("2020-04-30", "100"), "county reason=not_yet_in_force");
    assert_eq!(who("2020-05-01", "3000"), "township grant=1");
    assert_eq!(who("2020-05-01", "3500"), "county reason=above_cap");
    // The grant has a cap: without an amount there is no answer.
    let o = jiuzhu(&[
        "delegation",
        "who",
        "--db",
        &url,
        "--program",
        "linshi",
        "--township",
        "511526102000",
        "--date",
        "2020-05-01",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("an amount is required") && text(&o).contains("3000.00"),
        "{}",
        text(&o)
    );
    let o = jiuzhu(&[
        "delegation",
        "revoke",
        "--db",
        &url,
        "--grant",
        "1",
        "--from",
        "2023-03-01",
        "--reason",
        "整改",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(who("2023-03-01", "100"), "county reason=revoked");
    let o = jiuzhu(&["delegation", "list", "--db", &url]);
    assert!(
        text(&o).contains("2023-03-01") && text(&o).contains("3000.00"),
        "{}",
        text(&o)
    );
    // Bad input: a county code where a township is needed; an unknown program; a bad date.
    let o = jiuzhu(&[
        "delegation",
        "who",
        "--db",
        &url,
        "--program",
        "linshi",
        "--township",
        "511526",
        "--date",
        "2023-03-01",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("not a township"), "{}", text(&o));
    let o = jiuzhu(&[
        "delegation",
        "who",
        "--db",
        &url,
        "--program",
        "welfare",
        "--township",
        "511526102000",
        "--date",
        "2023-03-01",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = jiuzhu(&[
        "delegation",
        "who",
        "--db",
        &url,
        "--program",
        "linshi",
        "--township",
        "511526102000",
        "--date",
        "2023-02-30",
    ]);
    assert_eq!(o.status.code(), Some(2));
    db.cleanup().await;
}

/// Starts `jiuzhu serve` with `args`, waits for its listening line and returns the process
/// with what it printed so far.
fn start_serve(args: &[&str], dir: &std::path::Path) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jiuzhu"))
        .arg("serve")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .env_remove("JIUZHU_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = String::new();
    while let Some(Ok(line)) = lines.next() {
        seen.push_str(&line);
        seen.push('\n');
        if line.starts_with("jiuzhu listening on http://") {
            return (child, seen);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server exited before listening:\n{seen}");
}

fn stop(mut child: std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
}

#[tokio::test]
async fn serve_keeps_the_operators_jurisdiction_names() {
    let db = TestDb::sqlite().await;
    let url = db.url.clone();
    assert!(jiuzhu(&["migrate", "--db", &url]).status.success());
    let file = std::env::temp_dir().join(format!("jiuzhu_names_{}.csv", std::process::id()));
    std::fs::write(
        &file,
        "code,name,note\n510000,四川省,\n511500,宜宾市,\n511526,珙县（运维更名）,local\n",
    )
    .unwrap();
    let o = jiuzhu(&[
        "migrate",
        "--db",
        &url,
        "--divisions",
        file.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let _ = std::fs::remove_file(&file);
    let (child, _) = start_serve(&["--db", &url], &std::env::temp_dir());
    stop(child);
    let gx = db
        .store
        .division(&jiuzhu_domain::DivisionCode::parse("511526").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        gx.name, "珙县（运维更名）",
        "serve reloaded the built-in names"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn serve_demo_refuses_a_database_with_real_accounts() {
    let db = TestDb::sqlite().await;
    let url = db.url.clone();
    assert!(jiuzhu(&["migrate", "--db", &url]).status.success());
    let o = jiuzhu(&[
        "user",
        "add",
        "--db",
        &url,
        "--username",
        "gx.admin",
        "--name",
        "管理员",
        "--role",
        "county_admin",
        "--division",
        "511526",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = jiuzhu(&["serve", "--demo", "--db", &url, "--listen", "127.0.0.1:0"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("none of them is a demo account"),
        "{}",
        text(&o)
    );
    let counts = db
        .store
        .counts(&jiuzhu_store::Actor::system("test"))
        .await
        .unwrap();
    assert_eq!((counts.users, counts.households), (1, 0));
    db.cleanup().await;
}

/// The value of `key=` in a BENCH line.
fn bench_field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|f| f.strip_prefix(&format!("{key}=")).map(|v| v.trim()))
        .unwrap_or_else(|| panic!("no {key}= in {line}"))
}

#[tokio::test]
async fn bench_cases_prints_its_line_and_refuses_a_database_in_use() {
    let db = TestDb::sqlite().await;
    let url = db.url.clone();
    let o = jiuzhu(&["bench", "cases", "--cases", "20", "--db", &url]);
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("BENCH ")).collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let line = lines[0];
    assert!(line.starts_with("BENCH name=cases n=20 "), "{line}");
    assert_eq!(bench_field(line, "n"), "20");
    // Nine commands per case: apply, materials, check request, check result, home visit,
    // review, notice, end of notice, decision.
    assert_eq!(bench_field(line, "commands"), (20 * 9).to_string());
    let seconds: f64 = bench_field(line, "seconds").parse().expect("seconds");
    let baseline: f64 = bench_field(line, "baseline_seconds")
        .parse()
        .expect("baseline");
    let ratio: f64 = bench_field(line, "ratio").parse().expect("ratio");
    let per_second: f64 = bench_field(line, "commands_per_second")
        .parse()
        .expect("commands_per_second");
    assert!(seconds > 0.0 && baseline > 0.0, "{line}");
    assert!(ratio > 0.0 && per_second > 0.0, "{line}");
    // Progress went to stderr, every 10%.
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("20/20 cases (100%)"), "{stderr}");
    // Every case was recorded in an intact hash chain.
    let o = jiuzhu(&["audit", "verify", "--db", &url]);
    assert!(o.status.success(), "{}", text(&o));
    // A second run finds the bench's own accounts: the database is no longer empty.
    let o = jiuzhu(&["bench", "cases", "--cases", "20", "--db", &url]);
    assert!(!o.status.success());
    assert!(text(&o).contains("empty database"), "{}", text(&o));

    // A database with a real account is refused and left as it was.
    let real = TestDb::sqlite().await;
    let o = jiuzhu(&["migrate", "--db", &real.url]);
    assert!(o.status.success(), "{}", text(&o));
    let o = jiuzhu_stdin(
        &[
            "user",
            "add",
            "--db",
            &real.url,
            "--username",
            "gx.zhang",
            "--name",
            "张某",
            "--role",
            "township_caseworker",
            "--division",
            "511526101000",
            "--password-stdin",
        ],
        "a-good-password\n",
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = jiuzhu(&["bench", "cases", "--cases", "5", "--db", &real.url]);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("refusing") && t.contains("empty database"),
        "{t}"
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains("BENCH"), "{t}");
    let o = jiuzhu(&["user", "list", "--db", &real.url]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("bench."), "{}", text(&o));
}

#[tokio::test]
async fn bench_payroll_and_the_payroll_commands() {
    let t = text(&jiuzhu(&["payroll", "--help"]));
    for sub in [
        "roster",
        "settle",
        "submit",
        "export",
        "import-returns",
        "reconcile",
        "reserve",
    ] {
        assert!(t.contains(sub), "{sub} missing from payroll --help:\n{t}");
    }
    let t = text(&jiuzhu(&["payroll", "export", "--help"]));
    assert!(t.contains("label_program") && t.contains("fixed"), "{t}");

    let db = TestDb::sqlite().await;
    let url = db.url.clone();
    let o = jiuzhu(&["bench", "payroll", "--households", "2000", "--db", &url]);
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("BENCH ")).collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let line = lines[0];
    assert!(line.starts_with("BENCH name=payroll n=2000 "), "{line}");
    for key in ["seconds", "ratio"] {
        let v: f64 = bench_field(line, key).parse().expect(key);
        assert!(v > 0.0, "{line}");
    }
    let baseline: f64 = bench_field(line, "baseline_seconds")
        .parse()
        .expect("baseline");
    assert!(baseline >= 0.0, "{line}");
    let rss: u64 = bench_field(line, "peak_rss_mb").parse().expect("rss");
    assert!(rss > 0, "{line}");

    // The bench's month is submitted: shown as such, and frozen.
    let o = jiuzhu(&[
        "payroll", "show", "--within", "511526", "--month", "2026-03", "--db", &url,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("submitted") && t.contains("county 511526:"),
        "{t}"
    );
    let o = jiuzhu(&[
        "payroll", "roster", "--county", "511526", "--month", "2026-03", "--db", &url,
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("payroll.roster_submitted"),
        "{}",
        text(&o)
    );

    // The payment file adds up to its trailer.
    let dir = std::env::temp_dir().join(format!("jiuzhu_cli_payroll_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pay.csv");
    let o = jiuzhu(&[
        "payroll",
        "export",
        "--county",
        "511526",
        "--month",
        "2026-03",
        "--out",
        file.to_str().unwrap(),
        "--db",
        &url,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("sha256"), "{}", text(&o));
    let csv = std::fs::read_to_string(&file).unwrap();
    let body: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with('#'))
        .collect();
    let sum: i64 = body
        .iter()
        .map(|l| l.split(',').nth(9).unwrap().parse::<i64>().unwrap())
        .sum();
    assert!(!body.is_empty());
    assert!(
        csv.ends_with(&format!("#total,{},{sum}\n", body.len())),
        "trailer"
    );
    // A return file naming an unknown payment is refused whole, with its line.
    let first_id = body[0].split(',').next().unwrap();
    let first_amount = body[0].split(',').nth(9).unwrap();
    let returns = dir.join("returns.csv");
    std::fs::write(
        &returns,
        format!("payment_id,amount_fen,result,reason\n{first_id},{first_amount},paid,\n99999999,1,paid,\n"),
    )
    .unwrap();
    let o = jiuzhu(&[
        "payroll",
        "import-returns",
        "--county",
        "511526",
        "--month",
        "2026-03",
        returns.to_str().unwrap(),
        "--db",
        &url,
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("line 3"), "{}", text(&o));
    std::fs::write(
        &returns,
        format!("payment_id,amount_fen,result,reason\n{first_id},{first_amount},paid,\n"),
    )
    .unwrap();
    let o = jiuzhu(&[
        "payroll",
        "import-returns",
        "--county",
        "511526",
        "--month",
        "2026-03",
        returns.to_str().unwrap(),
        "--db",
        &url,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("1 paid"), "{}", text(&o));
    let o = jiuzhu(&["audit", "verify", "--db", &url]);
    assert!(o.status.success(), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
    db.cleanup().await;
}

/// `jiuzhu supervise sample`: the same data and seed draw the same sample on a fresh
/// database; the draw is recorded; a second draw needs a reason.
#[tokio::test]
async fn supervise_sample_is_reproducible_and_recorded() {
    let sample = |url: &str, seed: &str, reason: Option<&str>| {
        let mut args = vec![
            "supervise",
            "sample",
            "--db",
            url,
            "--county",
            "511526",
            "--period",
            "2023-03",
            "--seed",
            seed,
        ];
        if let Some(r) = reason {
            args.extend(["--redraw-reason", r]);
        }
        jiuzhu(&args)
    };
    let mut outputs = Vec::new();
    let mut dbs = Vec::new();
    for _ in 0..2 {
        let db = TestDb::sqlite().await;
        let office = jiuzhu_store_tests::conformance::supervision_fixture(&db).await;
        let o = sample(&db.url, "20230401", None);
        assert!(o.status.success(), "{}", text(&o));
        let lines: Vec<String> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        // ceil(30% × 4 approvals) + ceil(30% × 2 refusals) of 巡场镇's six decisions.
        assert_eq!(lines.len(), 3, "{}", text(&o));
        for l in &lines {
            assert!(
                office.township_cases.iter().any(|c| &c.1 == l),
                "{l} is a township decision"
            );
        }
        assert!(String::from_utf8_lossy(&o.stderr).contains("seed 20230401"));
        outputs.push(lines);
        dbs.push(db);
    }
    assert_eq!(outputs[0], outputs[1], "same data, same seed, same sample");
    let db = &dbs[0];
    // Recorded in the log with its seed.
    let system = jiuzhu_store::Actor::system("test");
    let draws = db.store.spot_check_draws(&system, None).await.unwrap();
    assert_eq!(draws.len(), 1);
    assert_eq!(draws[0].seed, 20230401);
    assert_eq!(draws[0].case_numbers, outputs[0]);
    let events = db
        .store
        .events_for(&system, &format!("spot_check:{}", draws[0].id))
        .await
        .unwrap();
    assert_eq!(events[0].kind, "supervision.sample_drawn");
    // A second draw is refused (exit 1, the code named), then allowed with a reason.
    let o = sample(&db.url, "7", None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("supervision.sample_exists"),
        "{}",
        text(&o)
    );
    assert!(o.stdout.is_empty());
    let o = sample(&db.url, "7", Some("首次抽取数据不完整"));
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        db.store
            .spot_check_draws(&system, None)
            .await
            .unwrap()
            .len(),
        2
    );
    for db in dbs {
        db.cleanup().await;
    }
}
