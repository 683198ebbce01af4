//! The stable command-line contract of `jiuzhu calendar …` and `jiuzhu id check`, run on the
//! real binary: stdout, stderr and exit status exactly as scripts rely on them. No database.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "jiuzhu-calendar-cli-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `jiuzhu ARGS` with the calendar directory `dir` and no database configured.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jiuzhu"))
        .args(args)
        .env("JIUZHU_CALENDAR_DIR", dir)
        .env_remove("JIUZHU_DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .expect("run jiuzhu")
}

/// Runs with a fresh, empty calendar directory.
fn run(args: &[&str]) -> Output {
    let dir = TempDir::new();
    run_in(dir.path(), args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success with exactly `expected` on stdout.
#[track_caller]
fn ok(o: &Output, expected: &str) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
    assert_eq!(stdout(o), expected);
}

/// Asserts exit status `code`, nothing on stdout, and a message on stderr containing every
/// needle; returns the message.
#[track_caller]
fn fails(o: &Output, code: i32, needles: &[&str]) -> String {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
    assert_eq!(stdout(o), "", "stdout must be empty on failure");
    let err = stderr(o);
    for n in needles {
        assert!(err.contains(n), "`{n}` missing from stderr:\n{err}");
    }
    err
}

#[test]
fn is_working_day() {
    ok(
        &run(&["calendar", "is-working-day", "2026-10-08"]),
        "true\n",
    );
    ok(
        &run(&["calendar", "is-working-day", "2026-10-07"]),
        "false\n",
    );
    ok(
        &run(&["calendar", "is-working-day", "2020-02-01"]),
        "false\n",
    );
    ok(
        &run(&["calendar", "is-working-day", "2020-01-19"]),
        "true\n",
    );
    ok(
        &run(&["calendar", "is-working-day", "2024-02-18"]),
        "true\n",
    );
    ok(
        &run(&["calendar", "is-working-day", "2025-01-26"]),
        "true\n",
    );
    ok(
        &run(&["calendar", "is-working-day", "2026-12-31"]),
        "true\n",
    );
}

#[test]
fn add_working_days() {
    ok(
        &run(&["calendar", "add-working-days", "2025-09-26", "10"]),
        "2025-10-16\n",
    );
    ok(
        &run(&["calendar", "add-working-days", "2020-01-23", "1"]),
        "2020-02-03\n",
    );
    ok(
        &run(&["calendar", "add-working-days", "2025-01-01", "250"]),
        "2026-01-05\n",
    );
    ok(
        &run(&["calendar", "add-working-days", "2026-12-30", "1"]),
        "2026-12-31\n",
    );
}

#[test]
fn working_days_between() {
    ok(
        &run(&[
            "calendar",
            "working-days-between",
            "2024-12-31",
            "2025-12-31",
        ]),
        "248\n",
    );
    ok(
        &run(&[
            "calendar",
            "working-days-between",
            "2019-12-31",
            "2020-12-31",
        ]),
        "249\n",
    );
    ok(
        &run(&[
            "calendar",
            "working-days-between",
            "2025-09-26",
            "2025-10-16",
        ]),
        "10\n",
    );
    ok(
        &run(&[
            "calendar",
            "working-days-between",
            "2025-10-16",
            "2025-09-26",
        ]),
        "0\n",
    );
    ok(
        &run(&[
            "calendar",
            "working-days-between",
            "2025-10-16",
            "2025-10-16",
        ]),
        "0\n",
    );
}

#[test]
fn usage_errors_exit_2_on_stderr() {
    fails(
        &run(&["calendar", "is-working-day", "2025-1-1"]),
        2,
        &["2025-1-1", "YYYY-MM-DD"],
    );
    fails(
        &run(&["calendar", "is-working-day", "2025-02-30"]),
        2,
        &["2025-02-30"],
    );
    fails(
        &run(&["calendar", "is-working-day", "2027-01-04"]),
        2,
        &["2027", "import"],
    );
    fails(
        &run(&["calendar", "is-working-day", "2019-12-31"]),
        2,
        &["2019"],
    );
    fails(
        &run(&["calendar", "add-working-days", "2026-12-30", "2"]),
        2,
        &["2027"],
    );
    fails(
        &run(&[
            "calendar",
            "working-days-between",
            "2026-12-01",
            "2027-01-04",
        ]),
        2,
        &["2027"],
    );
    for n in ["0", "251", "-1", "ten", "2.5", "99999999999"] {
        fails(
            &run(&["calendar", "add-working-days", "2025-01-01", n]),
            2,
            &["1 to 250"],
        );
    }
    fails(
        &run(&["calendar", "add-working-days", "01/01/2025", "3"]),
        2,
        &["01/01/2025"],
    );
    fails(
        &run(&["calendar", "working-days-between", "2025-01-01", "tomorrow"]),
        2,
        &["tomorrow"],
    );
    // clap's own usage errors exit 2 too.
    fails(&run(&["calendar", "is-working-day"]), 2, &[]);
    fails(
        &run(&["calendar", "add-working-days", "2025-01-01"]),
        2,
        &[],
    );
    fails(&run(&["calendar", "no-such-command"]), 2, &[]);
}

#[test]
fn id_check() {
    // The example number of GB 11643-1999.
    ok(
        &run(&["id", "check", "11010519491231002X"]),
        "valid\n1949-12-31\nfemale\n",
    );
    ok(
        &run(&["id", "check", "11010519491231002x"]),
        "valid\n1949-12-31\nfemale\n",
    );
    // 64018119850228123 + its check character (an odd sequence code: male).
    ok(
        &run(&["id", "check", "640181198502281236"]),
        "valid\n1985-02-28\nmale\n",
    );
    fails(
        &run(&["id", "check", "11010519491231002"]),
        1,
        &["18 characters", "17"],
    );
    fails(
        &run(&["id", "check", "1101051949123100A2"]),
        1,
        &["character 17"],
    );
    fails(
        &run(&["id", "check", "110105194902300021"]),
        1,
        &["birth date"],
    );
    fails(
        &run(&["id", "check", "110105194912310021"]),
        1,
        &["check character", "call for X"],
    );
    fails(&run(&["id", "check"]), 2, &[]);
}

const Y2027: &str = "# A made-up calendar for the tests: not a notice.
year = 2027
source = \"test data\"
holidays = [\"2027-01-01\", \"2027-02-05..=2027-02-11\"]
makeup_workdays = [\"2027-01-09\"]
";

#[test]
fn import_a_new_year_without_rebuilding() {
    let tmp = TempDir::new();
    let dir = tmp.path().join("calendar"); // does not exist yet: import creates it
    let file = tmp.path().join("2027-notice.toml");
    fs::write(&file, Y2027).expect("write");

    fails(
        &run_in(&dir, &["calendar", "is-working-day", "2027-01-04"]),
        2,
        &["2027"],
    );
    let o = run_in(&dir, &["calendar", "import", file.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("imported 2027"), "{}", stdout(&o));
    assert_eq!(
        fs::read_to_string(dir.join("2027.toml")).expect("installed"),
        Y2027
    );

    ok(
        &run_in(&dir, &["calendar", "is-working-day", "2027-01-04"]),
        "true\n",
    );
    ok(
        &run_in(&dir, &["calendar", "is-working-day", "2027-01-01"]),
        "false\n",
    );
    ok(
        &run_in(&dir, &["calendar", "is-working-day", "2027-01-09"]),
        "true\n",
    );
    // 2026-12-31 (Thu) → Mon 2027-01-04 is the first working day after 2027-01-01.
    ok(
        &run_in(&dir, &["calendar", "add-working-days", "2026-12-31", "1"]),
        "2027-01-04\n",
    );
    ok(
        &run_in(&dir, &["calendar", "add-working-days", "2027-02-04", "1"]),
        "2027-02-12\n",
    );
    let years = run_in(&dir, &["calendar", "years"]);
    assert_eq!(years.status.code(), Some(0));
    let list = stdout(&years);
    assert!(list.contains("2020  249 working days  built-in"), "{list}");
    assert!(
        list.contains("2027.toml") && list.contains("test data"),
        "{list}"
    );
    // 2028 is still unknown.
    fails(
        &run_in(&dir, &["calendar", "is-working-day", "2028-01-03"]),
        2,
        &["2028"],
    );
}

#[test]
fn refused_imports_and_broken_directories() {
    let tmp = TempDir::new();
    let dir = tmp.path().join("calendar");
    let bad = tmp.path().join("bad.toml");
    fs::write(
        &bad,
        "year = 2027\nholidays = []\nmakeup_workdays = [\"2027-01-08\"]\n",
    )
    .expect("write");
    fails(
        &run_in(&dir, &["calendar", "import", bad.to_str().expect("utf-8")]),
        1,
        &["bad.toml", "2027-01-08", "Saturday or a Sunday"],
    );
    assert!(!dir.join("2027.toml").exists());
    fails(
        &run_in(
            &dir,
            &[
                "calendar",
                "import",
                tmp.path().join("absent.toml").to_str().expect("utf-8"),
            ],
        ),
        2,
        &["absent.toml"],
    );

    // A broken file in the calendar directory stops every calendar command, naming it.
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(
        dir.join("2027.toml"),
        "year = 2027\nholidays = [\"2027-13-01\"]\nmakeup_workdays = []\n",
    )
    .expect("write");
    fails(
        &run_in(&dir, &["calendar", "is-working-day", "2025-01-02"]),
        2,
        &["2027.toml", "2027-13-01"],
    );
    fails(&run_in(&dir, &["calendar", "years"]), 2, &["2027.toml"]);
}
