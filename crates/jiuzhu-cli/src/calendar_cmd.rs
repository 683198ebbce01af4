//! `jiuzhu calendar …` and `jiuzhu id check`: the stable command-line contract that scripts
//! and other systems call. No database, no async runtime.
//!
//! Output contract (keep it exactly so):
//! - `calendar is-working-day DATE` prints `true` or `false`.
//! - `calendar add-working-days DATE N` (1 ≤ N ≤ 250) prints `YYYY-MM-DD`.
//! - `calendar working-days-between A B` prints an integer (0 when A ≥ B).
//! - `id check ID` prints three lines, `valid`, the birth date `YYYY-MM-DD` and `male` or
//!   `female`; an invalid number exits 1 with the problem on stderr and nothing on stdout.
//! - Usage errors (a date not `YYYY-MM-DD`, a year without a loaded calendar, N not an
//!   integer or out of range, a broken file in the calendar directory) exit 2 with the
//!   message on stderr and nothing on stdout. clap's own usage errors exit 2 as well.
//! - `calendar import FILE` exits 0 when installed, 1 when the file is refused, 2 when it
//!   cannot be read or the calendar directory cannot be used.
//!
//! The calendar is the built-in years (2020–2026) plus every `YYYY.toml` in the calendar
//! directory: `$JIUZHU_CALENDAR_DIR`, else `$XDG_DATA_HOME/jiuzhu/calendar`, else
//! `$HOME/.local/share/jiuzhu/calendar`. A file there replaces the built-in year.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Subcommand;
use jiuzhu_domain::calendar::{Calendar, CalendarError, YearCalendar, parse_iso_date};
use jiuzhu_domain::id_number::check_character;
use jiuzhu_domain::{IdNumber, IdNumberError, Sex};

/// Exit status when the answer is "no": an invalid identity number, a refused year file.
pub const EXIT_INVALID: u8 = 1;
/// Exit status of usage errors: bad date, year not loaded, N out of range, broken calendar
/// directory.
pub const EXIT_USAGE: u8 = 2;
/// The largest N `add-working-days` accepts (about one year of working days).
pub const MAX_WORKING_DAYS: u32 = 250;
/// The environment variable naming the calendar directory.
pub const CALENDAR_DIR_ENV: &str = "JIUZHU_CALENDAR_DIR";

/// `jiuzhu calendar …`
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum CalendarCmd {
    /// Print `true` if DATE is a working day, `false` if not.
    #[command(
        long_about = "Print `true` if DATE (YYYY-MM-DD) is a working day, `false` if \
not: Monday to Friday minus the State Council's holidays, plus its make-up working days \
(调休上班). Exit status 2 when DATE is malformed or its year has no calendar loaded."
    )]
    IsWorkingDay {
        /// The date, YYYY-MM-DD.
        #[arg(allow_hyphen_values = true)]
        date: String,
    },
    /// Print (YYYY-MM-DD) the Nth working day strictly after DATE, 1 ≤ N ≤ 250.
    #[command(
        long_about = "Print, as YYYY-MM-DD, the Nth working day strictly after DATE \
(1 ≤ N ≤ 250): the due date of \"within N working days\" of an event on DATE, counted from \
the next day. Exit status 2 when an argument is malformed or the count reaches a year that \
has no calendar loaded."
    )]
    AddWorkingDays {
        /// The date, YYYY-MM-DD.
        #[arg(allow_hyphen_values = true)]
        date: String,
        /// The number of working days, 1 to 250.
        #[arg(allow_hyphen_values = true)]
        n: String,
    },
    /// Print the number of working days d with A < d ≤ B (0 when A ≥ B).
    #[command(
        long_about = "Print the number of working days d with A < d ≤ B (dates \
YYYY-MM-DD); 0 when A ≥ B. Exit status 2 when a date is malformed or a day in between \
belongs to a year that has no calendar loaded."
    )]
    WorkingDaysBetween {
        /// The day before the first day counted, YYYY-MM-DD.
        #[arg(allow_hyphen_values = true)]
        a: String,
        /// The last day counted, YYYY-MM-DD.
        #[arg(allow_hyphen_values = true)]
        b: String,
    },
    /// Validate a year file and install it in the calendar directory.
    #[command(
        long_about = "Validate a year file (format: data/calendar/README.md) and \
install it, as YYYY.toml, in the calendar directory: $JIUZHU_CALENDAR_DIR, else \
$XDG_DATA_HOME/jiuzhu/calendar, else $HOME/.local/share/jiuzhu/calendar (created if \
needed). Every calendar command and the server then use it, without a rebuild. A file for \
a year that is already loaded replaces it (a later notice wins). Exit status 1 when the \
file is refused (the message names the line, the key and the value), 2 when it cannot be \
read or the directory cannot be used."
    )]
    Import {
        /// The year file, e.g. 2027.toml.
        file: PathBuf,
    },
    /// List the loaded years and where each came from.
    Years,
}

/// `jiuzhu id …`
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum IdCmd {
    /// Check a resident identity number: print `valid`, the birth date and the sex, or exit 1
    /// naming the problem.
    #[command(
        long_about = "Check a resident identity number (GB 11643: 18 characters, \
birth date, check character). On success print three lines: `valid`, the birth date \
YYYY-MM-DD and `male` or `female`. Otherwise exit 1 with the problem on stderr: the length \
found, the position of an invalid character, an invalid birth date, or the check character \
the first 17 characters call for. The number is never logged."
    )]
    Check {
        /// The 18-character number (a lowercase x is accepted).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
}

/// Why a command did not print an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    /// The input was examined and refused (exit 1).
    Invalid(String),
    /// The command could not be answered as asked (exit 2).
    Usage(String),
}

impl From<CalendarError> for Failure {
    fn from(e: CalendarError) -> Failure {
        Failure::Usage(e.to_string())
    }
}

/// Runs a `jiuzhu calendar` command: prints the answer on stdout or the error on stderr.
pub fn run_calendar(cmd: CalendarCmd) -> ExitCode {
    finish(execute_calendar(cmd, calendar_dir().as_deref()))
}

/// Runs a `jiuzhu id` command.
pub fn run_id(cmd: IdCmd) -> ExitCode {
    finish(execute_id(cmd))
}

fn finish(result: Result<String, Failure>) -> ExitCode {
    match result {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not worth a panic.
            if stdout
                .write_all(out.as_bytes())
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(Failure::Invalid(msg)) => {
            eprintln!("{msg}");
            ExitCode::from(EXIT_INVALID)
        }
        Err(Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// The built-in years plus the files of the calendar directory, for the server and every
/// command that needs working days. The error names the broken file and why.
#[allow(
    dead_code,
    reason = "for `serve`, which will hand the calendar to the server"
)]
pub fn load_calendar() -> Result<Calendar, String> {
    load_from(calendar_dir().as_deref()).map(|l| l.calendar)
}

/// The calendar directory from the environment: `$JIUZHU_CALENDAR_DIR`, else
/// `$XDG_DATA_HOME/jiuzhu/calendar`, else `$HOME/.local/share/jiuzhu/calendar`; `None`
/// when none of them is set.
pub fn calendar_dir() -> Option<PathBuf> {
    calendar_dir_from(
        std::env::var_os(CALENDAR_DIR_ENV),
        std::env::var_os("XDG_DATA_HOME"),
        std::env::var_os("HOME"),
    )
}

fn calendar_dir_from(
    explicit: Option<OsString>,
    xdg_data_home: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    let set = |v: Option<OsString>| v.filter(|s| !s.is_empty()).map(PathBuf::from);
    if let Some(dir) = set(explicit) {
        return Some(dir);
    }
    // The XDG spec says to ignore a relative XDG_DATA_HOME.
    if let Some(xdg) = set(xdg_data_home).filter(|p| p.is_absolute()) {
        return Some(xdg.join("jiuzhu").join("calendar"));
    }
    set(home).map(|h| {
        h.join(".local")
            .join("share")
            .join("jiuzhu")
            .join("calendar")
    })
}

/// Where a loaded year came from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    Builtin,
    File(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Builtin => f.write_str("built-in"),
            Origin::File(p) => write!(f, "{}", p.display()),
        }
    }
}

struct Loaded {
    calendar: Calendar,
    origins: BTreeMap<i32, Origin>,
}

/// Built-in years, then every `*.toml` of `dir` in name order (each replacing its year).
fn load_from(dir: Option<&Path>) -> Result<Loaded, String> {
    let mut calendar = Calendar::builtin();
    let mut origins: BTreeMap<i32, Origin> = calendar
        .years()
        .into_iter()
        .map(|y| (y, Origin::Builtin))
        .collect();
    let Some(dir) = dir else {
        return Ok(Loaded { calendar, origins });
    };
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Loaded { calendar, origins });
        }
        Err(e) => {
            return Err(format!(
                "cannot read the calendar directory {}: {e}; fix its permissions or set \
                 {CALENDAR_DIR_ENV} to another directory",
                dir.display()
            ));
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry
            .map_err(|e| format!("cannot read the calendar directory {}: {e}", dir.display()))?;
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "toml") {
            files.push(path);
        }
    }
    files.sort();
    for path in files {
        let year = read_year_file(&path)?;
        let expected = format!("{}.toml", year.year());
        if path.file_name().and_then(|n| n.to_str()) != Some(expected.as_str()) {
            return Err(format!(
                "{}: the file holds year {} but is not named {expected}; rename it, or remove \
                 it and install the file with `jiuzhu calendar import`",
                path.display(),
                year.year()
            ));
        }
        origins.insert(year.year(), Origin::File(path));
        calendar.add_year(year);
    }
    Ok(Loaded { calendar, origins })
}

/// Reads and validates one file of the calendar directory.
fn read_year_file(path: &Path) -> Result<YearCalendar, String> {
    let text = fs::read_to_string(path)
        .map_err(|e| format!("cannot read the calendar file {}: {e}", path.display()))?;
    YearCalendar::parse(&text).map_err(|e| {
        format!(
            "the calendar file {} is invalid: {e}\n(fix or remove the file; format in \
             data/calendar/README.md)",
            path.display()
        )
    })
}

fn date_arg(name: &str, value: &str) -> Result<NaiveDate, Failure> {
    parse_iso_date(value).ok_or_else(|| {
        Failure::Usage(format!(
            "{name} `{value}` is not a date; write YYYY-MM-DD with a real date, e.g. 2025-10-09"
        ))
    })
}

fn n_arg(value: &str) -> Result<u32, Failure> {
    let out_of_range = || {
        Failure::Usage(format!(
            "N `{value}` is not a whole number from 1 to {MAX_WORKING_DAYS}"
        ))
    };
    let all_digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    if !all_digits {
        return Err(out_of_range());
    }
    match value.parse::<u32>() {
        Ok(n) if (1..=MAX_WORKING_DAYS).contains(&n) => Ok(n),
        _ => Err(out_of_range()),
    }
}

fn load(dir: Option<&Path>) -> Result<Loaded, Failure> {
    load_from(dir).map_err(Failure::Usage)
}

/// Runs a calendar command against the calendar directory `dir`; returns what to print.
fn execute_calendar(cmd: CalendarCmd, dir: Option<&Path>) -> Result<String, Failure> {
    match cmd {
        CalendarCmd::IsWorkingDay { date } => {
            let date = date_arg("DATE", &date)?;
            let cal = load(dir)?.calendar;
            Ok(format!("{}\n", cal.is_working_day(date)?))
        }
        CalendarCmd::AddWorkingDays { date, n } => {
            let date = date_arg("DATE", &date)?;
            let n = n_arg(&n)?;
            let cal = load(dir)?.calendar;
            Ok(format!("{}\n", cal.add_working_days(date, n)?))
        }
        CalendarCmd::WorkingDaysBetween { a, b } => {
            let a = date_arg("A", &a)?;
            let b = date_arg("B", &b)?;
            let cal = load(dir)?.calendar;
            Ok(format!("{}\n", cal.working_days_between(a, b)?))
        }
        CalendarCmd::Import { file } => import(&file, dir),
        CalendarCmd::Years => {
            let loaded = load(dir)?;
            let mut out = String::new();
            for (year, origin) in &loaded.origins {
                let Some(y) = loaded.calendar.year(*year) else {
                    continue;
                };
                let _ = write!(out, "{year}  {} working days  {origin}", y.working_days());
                if let Some(source) = y.source() {
                    let _ = write!(out, "  ({source})");
                }
                out.push('\n');
            }
            match dir {
                Some(d) => {
                    let _ = writeln!(out, "imported years are read from {}", d.display());
                }
                None => {
                    let _ = writeln!(
                        out,
                        "no calendar directory: set {CALENDAR_DIR_ENV} (or HOME) to import years"
                    );
                }
            }
            Ok(out)
        }
    }
}

fn import(file: &Path, dir: Option<&Path>) -> Result<String, Failure> {
    let text = fs::read_to_string(file)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", file.display())))?;
    let year = YearCalendar::parse(&text).map_err(|e| {
        Failure::Invalid(format!(
            "refused {}: {e}\nnothing was installed (format in data/calendar/README.md)",
            file.display()
        ))
    })?;
    let dir = dir.ok_or_else(|| {
        Failure::Usage(format!(
            "no calendar directory: set {CALENDAR_DIR_ENV}, XDG_DATA_HOME or HOME"
        ))
    })?;
    // The directory must load before and after: a broken file there is reported now, not
    // at the next deadline.
    let before = load(Some(dir))?;
    fs::create_dir_all(dir).map_err(|e| {
        Failure::Usage(format!(
            "cannot create the calendar directory {}: {e}",
            dir.display()
        ))
    })?;
    let n = year.year();
    let target = dir.join(format!("{n}.toml"));
    // Write beside the target under a name that is not `*.toml`, then rename: a reader
    // never sees half a file.
    let tmp = dir.join(format!(".{n}.toml.tmp-{}", std::process::id()));
    let written = fs::write(&tmp, &text).and_then(|()| fs::rename(&tmp, &target));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(Failure::Usage(format!(
            "cannot write {}: {e}",
            target.display()
        )));
    }
    let mut out = format!(
        "imported {n} ({} working days) into {}\n",
        year.working_days(),
        target.display()
    );
    match before.origins.get(&n) {
        Some(Origin::Builtin) => {
            let _ = writeln!(out, "it replaces the built-in calendar of {n}");
        }
        Some(Origin::File(p)) if p != &target => {
            let _ = writeln!(out, "it replaces {}", p.display());
        }
        Some(Origin::File(_)) => {
            let _ = writeln!(out, "it replaces the file imported before");
        }
        None => {}
    }
    Ok(out)
}

/// Checks an identity number. The expected check character is printed for the operator
/// who typed the number; it is never logged (this command logs nothing).
fn execute_id(cmd: IdCmd) -> Result<String, Failure> {
    let IdCmd::Check { id } = cmd;
    match IdNumber::parse(&id) {
        Ok(valid) => {
            let sex = match valid.sex() {
                Sex::Male => "male",
                Sex::Female => "female",
            };
            Ok(format!("valid\n{}\n{sex}\n", valid.birth_date()))
        }
        Err(IdNumberError::CheckCharacterMismatch) => {
            let found = id.chars().nth(17).unwrap_or('?').to_ascii_uppercase();
            let expected = id.get(..17).and_then(check_character);
            Err(Failure::Invalid(match expected {
                Some(expected) => format!(
                    "invalid identity number: the check character (18th) is {found}; the first \
                     17 characters call for {expected}. If the 18th is right, one of the first \
                     17 was mistyped: check the number against the identity card.\n\
                     身份证号码校验位不正确：第18位为{found}，按前17位应为{expected}"
                ),
                None => format!(
                    "invalid identity number: {}\n{}",
                    IdNumberError::CheckCharacterMismatch,
                    IdNumberError::CheckCharacterMismatch.message_zh()
                ),
            }))
        }
        Err(e) => Err(Failure::Invalid(format!(
            "invalid identity number: {e}\n{}",
            e.message_zh()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let p = std::env::temp_dir()
                .join(format!("jiuzhu-calendar-cmd-{}-{name}", std::process::id()));
            let _ = fs::remove_dir_all(&p);
            fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    const Y2027: &str = "# made up for tests\nyear = 2027\nsource = \"test\"\n\
holidays = [\"2027-01-01\"]\nmakeup_workdays = [\"2027-01-09\"]\n";

    fn cal(cmd: CalendarCmd, dir: Option<&Path>) -> Result<String, Failure> {
        execute_calendar(cmd, dir)
    }

    fn is_wd(date: &str) -> CalendarCmd {
        CalendarCmd::IsWorkingDay { date: date.into() }
    }

    fn usage(r: Result<String, Failure>) -> String {
        match r {
            Err(Failure::Usage(m)) => m,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn answers_from_the_builtin_years() {
        assert_eq!(cal(is_wd("2026-10-08"), None), Ok("true\n".into()));
        assert_eq!(cal(is_wd("2020-02-01"), None), Ok("false\n".into()));
        let add = |d: &str, n: &str| CalendarCmd::AddWorkingDays {
            date: d.into(),
            n: n.into(),
        };
        assert_eq!(
            cal(add("2025-09-26", "10"), None),
            Ok("2025-10-16\n".into())
        );
        assert_eq!(
            cal(add("2025-01-01", "250"), None),
            Ok("2026-01-05\n".into())
        );
        let between = |a: &str, b: &str| CalendarCmd::WorkingDaysBetween {
            a: a.into(),
            b: b.into(),
        };
        assert_eq!(
            cal(between("2024-12-31", "2025-12-31"), None),
            Ok("248\n".into())
        );
        assert_eq!(
            cal(between("2025-12-31", "2024-12-31"), None),
            Ok("0\n".into())
        );
    }

    #[test]
    fn usage_errors() {
        let m = usage(cal(is_wd("2025-1-1"), None));
        assert!(m.contains("`2025-1-1`") && m.contains("YYYY-MM-DD"), "{m}");
        let m = usage(cal(is_wd("2027-01-04"), None));
        assert!(m.contains("2027") && m.contains("import"), "{m}");
        for n in ["0", "251", "-1", "x", "", "1.5", "+3", "99999999999"] {
            let m = usage(cal(
                CalendarCmd::AddWorkingDays {
                    date: "2025-01-01".into(),
                    n: n.into(),
                },
                None,
            ));
            assert!(m.contains("1 to 250"), "{n}: {m}");
        }
        let m = usage(cal(
            CalendarCmd::AddWorkingDays {
                date: "2026-12-01".into(),
                n: "40".into(),
            },
            None,
        ));
        assert!(m.contains("2027"), "{m}");
    }

    #[test]
    fn import_then_use_without_rebuild() {
        let tmp = TempDir::new("import");
        let dir = tmp.0.join("calendar"); // created by import
        let src = tmp.0.join("notice.toml");
        fs::write(&src, Y2027).unwrap();
        assert!(usage(cal(is_wd("2027-01-04"), Some(&dir))).contains("2027"));
        let out = cal(CalendarCmd::Import { file: src.clone() }, Some(&dir)).unwrap();
        assert!(out.contains("imported 2027 (261 working days)"), "{out}");
        assert_eq!(fs::read_to_string(dir.join("2027.toml")).unwrap(), Y2027);
        assert_eq!(cal(is_wd("2027-01-04"), Some(&dir)), Ok("true\n".into()));
        assert_eq!(cal(is_wd("2027-01-01"), Some(&dir)), Ok("false\n".into()));
        assert_eq!(cal(is_wd("2027-01-09"), Some(&dir)), Ok("true\n".into()));
        let years = cal(CalendarCmd::Years, Some(&dir)).unwrap();
        assert!(
            years.contains("2020  249 working days  built-in"),
            "{years}"
        );
        assert!(
            years.contains("2027  261 working days  ") && years.contains("(test)"),
            "{years}"
        );
        // Importing again replaces the file.
        let out = cal(CalendarCmd::Import { file: src }, Some(&dir)).unwrap();
        assert!(out.contains("replaces the file imported before"), "{out}");
        // And load_from sees the same thing the server would.
        let loaded = load_from(Some(&dir)).unwrap();
        assert_eq!(loaded.calendar.years(), (2020..=2027).collect::<Vec<_>>());
    }

    #[test]
    fn import_replaces_a_builtin_year() {
        let tmp = TempDir::new("replace");
        let src = tmp.0.join("2020-amended.toml");
        fs::write(
            &src,
            "year = 2020\nholidays = [\"2020-02-03\"]\nmakeup_workdays = []\n",
        )
        .unwrap();
        let dir = tmp.0.join("cal");
        let out = cal(CalendarCmd::Import { file: src }, Some(&dir)).unwrap();
        assert!(
            out.contains("replaces the built-in calendar of 2020"),
            "{out}"
        );
        assert_eq!(cal(is_wd("2020-02-03"), Some(&dir)), Ok("false\n".into()));
        assert_eq!(cal(is_wd("2020-01-31"), Some(&dir)), Ok("true\n".into()));
    }

    #[test]
    fn refused_imports_install_nothing() {
        let tmp = TempDir::new("refused");
        let dir = tmp.0.join("cal");
        let src = tmp.0.join("bad.toml");
        fs::write(
            &src,
            "year = 2027\nholidays = [\"2027-01-09\"]\nmakeup_workdays = [\"2027-01-09\"]\n",
        )
        .unwrap();
        match cal(CalendarCmd::Import { file: src }, Some(&dir)) {
            Err(Failure::Invalid(m)) => {
                assert!(m.contains("bad.toml") && m.contains("2027-01-09"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        assert!(!dir.join("2027.toml").exists());
        let m = usage(cal(
            CalendarCmd::Import {
                file: tmp.0.join("missing.toml"),
            },
            Some(&dir),
        ));
        assert!(m.contains("missing.toml"), "{m}");
        let good = tmp.0.join("good.toml");
        fs::write(&good, Y2027).unwrap();
        let m = usage(cal(CalendarCmd::Import { file: good }, None));
        assert!(m.contains("no calendar directory"), "{m}");
    }

    #[test]
    fn a_broken_file_in_the_directory_is_named() {
        let tmp = TempDir::new("broken");
        fs::write(
            tmp.0.join("2027.toml"),
            "year = 2027\nholidays = [\"x\"]\nmakeup_workdays = []\n",
        )
        .unwrap();
        let m = usage(cal(is_wd("2025-01-02"), Some(&tmp.0)));
        assert!(m.contains("2027.toml") && m.contains("\"x\""), "{m}");
        fs::write(tmp.0.join("2027.toml"), Y2027.replace("2027", "2028")).unwrap();
        let m = usage(cal(CalendarCmd::Years, Some(&tmp.0)));
        assert!(
            m.contains("holds year 2028") && m.contains("2028.toml"),
            "{m}"
        );
        assert!(load_from(Some(&tmp.0)).is_err());
        // Files that are not *.toml are ignored; a missing directory is empty.
        fs::remove_file(tmp.0.join("2027.toml")).unwrap();
        fs::write(tmp.0.join("notes.txt"), "anything").unwrap();
        assert_eq!(cal(is_wd("2025-01-02"), Some(&tmp.0)), Ok("true\n".into()));
        assert!(load_from(Some(&tmp.0.join("absent"))).is_ok());
    }

    #[test]
    fn calendar_dir_precedence() {
        let s = |v: &str| Some(OsString::from(v));
        assert_eq!(
            calendar_dir_from(s("/a"), s("/x"), s("/h")),
            Some(PathBuf::from("/a"))
        );
        assert_eq!(
            calendar_dir_from(s(""), s("/x"), s("/h")),
            Some(PathBuf::from("/x/jiuzhu/calendar"))
        );
        assert_eq!(
            calendar_dir_from(None, s("relative"), s("/h")),
            Some(PathBuf::from("/h/.local/share/jiuzhu/calendar"))
        );
        assert_eq!(calendar_dir_from(None, None, None), None);
    }

    #[test]
    fn id_check() {
        let check = |id: &str| execute_id(IdCmd::Check { id: id.into() });
        assert_eq!(
            check("11010519491231002X"),
            Ok("valid\n1949-12-31\nfemale\n".into())
        );
        assert_eq!(
            check("11010519491231002x"),
            Ok("valid\n1949-12-31\nfemale\n".into())
        );
        let male =
            IdNumber::from_parts("640181", NaiveDate::from_ymd_opt(1985, 2, 28).unwrap(), 123)
                .unwrap();
        assert_eq!(check(male.as_str()), Ok("valid\n1985-02-28\nmale\n".into()));
        let invalid = |id: &str| match check(id) {
            Err(Failure::Invalid(m)) => m,
            other => panic!("{id}: {other:?}"),
        };
        let m = invalid("1101051949123100");
        assert!(m.contains("18 characters") && m.contains("16"), "{m}");
        let m = invalid("1101051949123100A2");
        assert!(m.contains("character 17"), "{m}");
        let m = invalid("110105194902300021");
        assert!(m.contains("birth date"), "{m}");
        let m = invalid("110105194912310021");
        assert!(m.contains("is 1") && m.contains("call for X"), "{m}");
        assert!(m.contains("应为X"), "{m}");
    }
}
