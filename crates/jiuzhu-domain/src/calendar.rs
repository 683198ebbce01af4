//! 工作日历 the official working-day calendar.
//!
//! Every "within N working days" (N个工作日内) of the procedure is counted on this calendar.
//! A working day is Monday to Friday minus the holidays (放假) of the State Council's notice
//! for the year (国务院办公厅关于…部分节假日安排的通知), plus its make-up working days (调休上班),
//! which fall on weekends.
//!
//! Each year is data, one TOML file per year (format in `data/calendar/README.md`), because
//! each notice appears only weeks before its year begins: a new year is imported, not
//! compiled. The years 2020–2026 are also compiled in ([`Calendar::builtin`]).
//!
//! **A date in a year that is not loaded is an error ([`CalendarError::YearNotLoaded`]),
//! never a guess**: a deadline computed on an assumed calendar would be silently wrong.
//! The rule applies to exactly the days an answer depends on: counting from 2019-12-31 into
//! 2020 needs only 2020, while counting past 2026-12-31 needs 2027.
//!
//! Pure: parsing takes text, the caller reads files.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use toml::Spanned;

/// The built-in year files, compiled in so that a fresh binary needs nothing else.
pub const BUILTIN_YEARS: [(i32, &str); 7] = [
    (2020, include_str!("../../../data/calendar/2020.toml")),
    (2021, include_str!("../../../data/calendar/2021.toml")),
    (2022, include_str!("../../../data/calendar/2022.toml")),
    (2023, include_str!("../../../data/calendar/2023.toml")),
    (2024, include_str!("../../../data/calendar/2024.toml")),
    (2025, include_str!("../../../data/calendar/2025.toml")),
    (2026, include_str!("../../../data/calendar/2026.toml")),
];

/// The years a year file may hold: four-digit years, so that every date is `YYYY-MM-DD`.
const YEARS: std::ops::RangeInclusive<i64> = 1000..=9999;

/// Why a year file was refused, or why a question cannot be answered.
///
/// Messages name the line, the key and the value, and say what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The answer depends on a day of a year for which no calendar is loaded.
    #[error(
        "no working-day calendar is loaded for {0}: import the State Council's holiday notice \
         for {0} as a year file with `jiuzhu calendar import {0}.toml` (format in \
         data/calendar/README.md)"
    )]
    YearNotLoaded(i32),
    /// A date computation left chrono's range (only with absurd periods).
    #[error("the date is out of the supported range; check the period")]
    DateOutOfRange,
    /// The text is not TOML, has an unknown key or a value of the wrong type.
    #[error("not a valid year file: {0}")]
    Syntax(String),
    #[error(
        "the key `{key}` is missing; a year file needs `year = YYYY`, `holidays = [...]` and \
         `makeup_workdays = [...]` (write `[]` for an empty list)"
    )]
    MissingKey { key: &'static str },
    #[error("line {line}: `year = {value}` is not a four-digit year; write e.g. `year = 2027`")]
    BadYear { line: usize, value: i64 },
    #[error(
        "line {line}: `{key}` entry \"{value}\" is not a date or a range; write \"YYYY-MM-DD\" \
         or \"YYYY-MM-DD..=YYYY-MM-DD\" with real dates"
    )]
    BadDate {
        line: usize,
        key: &'static str,
        value: String,
    },
    #[error(
        "line {line}: `{key}` range \"{value}\" ends before it starts; write the earlier date \
         first"
    )]
    BackwardRange {
        line: usize,
        key: &'static str,
        value: String,
    },
    #[error(
        "line {line}: `{key}` entry \"{value}\" is not in {year}; a year file lists only dates \
         of its own year: move the date to the file of its year"
    )]
    OutsideYear {
        line: usize,
        key: &'static str,
        value: String,
        year: i32,
    },
    #[error("line {line}: `{key}` lists {date} more than once; remove the repetition")]
    Duplicate {
        line: usize,
        key: &'static str,
        date: NaiveDate,
    },
    #[error(
        "line {line}: {date} is listed both in `holidays` and in `makeup_workdays`; a day is \
         either a holiday (放假) or a make-up working day (调休上班): check the notice and keep it \
         in one list"
    )]
    HolidayAndMakeup { line: usize, date: NaiveDate },
    #[error(
        "line {line}: `makeup_workdays` entry {date} is a {weekday}; a make-up working day \
         (调休上班) is always a Saturday or a Sunday: check the date against the notice"
    )]
    MakeupNotWeekend {
        line: usize,
        date: NaiveDate,
        weekday: Weekday,
    },
}

impl CalendarError {
    /// The message in Chinese, for the UI.
    pub fn message_zh(&self) -> String {
        match self {
            CalendarError::YearNotLoaded(y) => {
                format!("尚未导入{y}年的工作日历，无法计算期限：请导入国务院办公厅{y}年节假日安排")
            }
            CalendarError::DateOutOfRange => "日期超出可计算的范围，请检查期限".to_string(),
            CalendarError::Syntax(e) => format!("工作日历文件格式错误：{e}"),
            CalendarError::MissingKey { key } => format!("工作日历文件缺少`{key}`"),
            CalendarError::BadYear { line, value } => {
                format!("第{line}行：年份{value}无效，应为四位数年份")
            }
            CalendarError::BadDate { line, key, value } => {
                format!(
                    "第{line}行：`{key}`中的“{value}”不是有效日期，应为YYYY-MM-DD或YYYY-MM-DD..=YYYY-MM-DD"
                )
            }
            CalendarError::BackwardRange { line, key, value } => {
                format!("第{line}行：`{key}`中的区间“{value}”结束日期早于开始日期")
            }
            CalendarError::OutsideYear {
                line,
                key,
                value,
                year,
            } => format!("第{line}行：`{key}`中的“{value}”不在{year}年内"),
            CalendarError::Duplicate { line, key, date } => {
                format!("第{line}行：`{key}`中{date}重复出现")
            }
            CalendarError::HolidayAndMakeup { line, date } => {
                format!("第{line}行：{date}既是放假日又是调休上班日")
            }
            CalendarError::MakeupNotWeekend { line, date, .. } => {
                format!("第{line}行：调休上班日{date}不是周六或周日")
            }
        }
    }
}

/// Parses a date written exactly `YYYY-MM-DD` (two-digit month and day), the one date
/// format of year files and of the command line.
pub fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape_ok {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The text of a year file, as TOML sees it. Spans give line numbers for errors.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    year: Option<Spanned<i64>>,
    source: Option<String>,
    holidays: Option<Vec<Spanned<String>>>,
    makeup_workdays: Option<Vec<Spanned<String>>>,
}

/// One year of the calendar: the holidays and make-up working days of one notice (as
/// amended). Always valid: built only by [`YearCalendar::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearCalendar {
    year: i32,
    source: Option<String>,
    holidays: BTreeSet<NaiveDate>,
    makeup_workdays: BTreeSet<NaiveDate>,
}

impl YearCalendar {
    /// Parses and validates the text of a year file (format in `data/calendar/README.md`).
    ///
    /// Refuses: a missing key or an unknown one; a year that is not four digits; a date that
    /// is not `YYYY-MM-DD` or not in the year; a range `A..=B` with A after B; a date listed
    /// twice in a list (overlapping ranges included) or in both lists; a make-up working day
    /// that is not a Saturday or Sunday.
    pub fn parse(text: &str) -> Result<YearCalendar, CalendarError> {
        let raw: RawYear =
            toml::from_str(text).map_err(|e| CalendarError::Syntax(e.to_string().trim().into()))?;
        let line_of = |span: std::ops::Range<usize>| {
            text.get(..span.start)
                .map_or(0, |t| t.bytes().filter(|&b| b == b'\n').count())
                + 1
        };
        let year_value = raw.year.ok_or(CalendarError::MissingKey { key: "year" })?;
        let year = match *year_value.get_ref() {
            y if YEARS.contains(&y) => y as i32,
            value => {
                return Err(CalendarError::BadYear {
                    line: line_of(year_value.span()),
                    value,
                });
            }
        };
        let holidays_raw = raw
            .holidays
            .ok_or(CalendarError::MissingKey { key: "holidays" })?;
        let makeup_raw = raw.makeup_workdays.ok_or(CalendarError::MissingKey {
            key: "makeup_workdays",
        })?;

        // Expands each entry of a list into dates, with the line each came from.
        let expand = |key: &'static str,
                      entries: &[Spanned<String>]|
         -> Result<BTreeMap<NaiveDate, usize>, CalendarError> {
            let mut dates = BTreeMap::new();
            for entry in entries {
                let line = line_of(entry.span());
                let value = entry.get_ref().as_str();
                let bad_date = || CalendarError::BadDate {
                    line,
                    key,
                    value: value.to_string(),
                };
                let (start, end) = match value.split_once("..=") {
                    Some((a, b)) => (
                        parse_iso_date(a.trim()).ok_or_else(bad_date)?,
                        parse_iso_date(b.trim()).ok_or_else(bad_date)?,
                    ),
                    None => {
                        let d = parse_iso_date(value.trim()).ok_or_else(bad_date)?;
                        (d, d)
                    }
                };
                if start > end {
                    return Err(CalendarError::BackwardRange {
                        line,
                        key,
                        value: value.to_string(),
                    });
                }
                if start.year() != year || end.year() != year {
                    return Err(CalendarError::OutsideYear {
                        line,
                        key,
                        value: value.to_string(),
                        year,
                    });
                }
                for date in start.iter_days().take_while(|d| *d <= end) {
                    if dates.insert(date, line).is_some() {
                        return Err(CalendarError::Duplicate { line, key, date });
                    }
                }
            }
            Ok(dates)
        };
        let holidays = expand("holidays", &holidays_raw)?;
        let makeup = expand("makeup_workdays", &makeup_raw)?;
        for (&date, &line) in &makeup {
            if holidays.contains_key(&date) {
                return Err(CalendarError::HolidayAndMakeup { line, date });
            }
            if !is_weekend(date) {
                return Err(CalendarError::MakeupNotWeekend {
                    line,
                    date,
                    weekday: date.weekday(),
                });
            }
        }
        Ok(YearCalendar {
            year,
            source: raw.source.filter(|s| !s.trim().is_empty()),
            holidays: holidays.into_keys().collect(),
            makeup_workdays: makeup.into_keys().collect(),
        })
    }

    /// The year this calendar covers.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// The notice(s) the file names in its `source` key, if any.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// 放假 every holiday of the year in order, weekend days included.
    pub fn holidays(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.holidays.iter().copied()
    }

    /// 调休上班 every make-up working day of the year in order.
    pub fn makeup_workdays(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.makeup_workdays.iter().copied()
    }

    /// Whether `date` is a working day, or `None` if it is not in this year.
    pub fn is_working_day(&self, date: NaiveDate) -> Option<bool> {
        (date.year() == self.year).then(|| {
            self.makeup_workdays.contains(&date)
                || (!is_weekend(date) && !self.holidays.contains(&date))
        })
    }

    /// The number of working days in the year.
    pub fn working_days(&self) -> u32 {
        let first = NaiveDate::from_ymd_opt(self.year, 1, 1);
        first
            .into_iter()
            .flat_map(|f| f.iter_days())
            .take_while(|d| d.year() == self.year)
            .filter(|d| self.is_working_day(*d) == Some(true))
            .count() as u32
    }
}

/// 工作日历 the working-day calendar: a set of loaded years.
///
/// Questions about a day of a year that is not loaded fail with
/// [`CalendarError::YearNotLoaded`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i32, YearCalendar>,
}

impl Calendar {
    /// A calendar with no year loaded: every question about a date fails.
    pub fn empty() -> Calendar {
        Calendar::default()
    }

    /// The years compiled into the binary, 2020–2026 ([`BUILTIN_YEARS`]).
    pub fn builtin() -> Calendar {
        let mut cal = Calendar::empty();
        for (year, text) in BUILTIN_YEARS {
            // The built-in files are part of the source tree and are parsed by the tests;
            // a failure here is a bug in the repository, not bad input.
            let parsed = YearCalendar::parse(text).unwrap_or_else(|e| {
                panic!("built-in calendar data/calendar/{year}.toml is invalid: {e}")
            });
            assert_eq!(
                parsed.year(),
                year,
                "data/calendar/{year}.toml holds another year"
            );
            cal.add_year(parsed);
        }
        cal
    }

    /// Loads a year. **A year already loaded is replaced** (a later file wins), because a
    /// notice can be amended after its file was installed (as the 2020 Spring Festival
    /// extension amended 2020) and the correction must take effect without a rebuild.
    /// Returns the calendar it replaced, so the caller can say so.
    pub fn add_year(&mut self, year: YearCalendar) -> Option<YearCalendar> {
        self.years.insert(year.year(), year)
    }

    /// The loaded years, in order.
    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// The calendar of one loaded year.
    pub fn year(&self, year: i32) -> Option<&YearCalendar> {
        self.years.get(&year)
    }

    /// Whether `date` is a working day: Monday to Friday and not a holiday, or a make-up
    /// working day.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        self.years
            .get(&date.year())
            .and_then(|y| y.is_working_day(date))
            .ok_or(CalendarError::YearNotLoaded(date.year()))
    }

    /// The `n`th working day strictly after `date`: the due date of "within n working days"
    /// of an event on `date`. `n = 0` gives `date` itself.
    ///
    /// Needs the years of the days from `date + 1` to the result, not the year of `date`.
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        let mut left = n;
        while left > 0 {
            day = day
                .succ_opt()
                .ok_or(CalendarError::YearNotLoaded(day.year().saturating_add(1)))?;
            if self.is_working_day(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// The first working day strictly after `date`.
    pub fn next_working_day(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        self.add_working_days(date, 1)
    }

    /// The number of working days `d` with `a < d ≤ b`. When `a ≥ b` that set is empty and
    /// the answer is 0 (no year needs to be loaded for it).
    ///
    /// `working_days_between(d, add_working_days(d, n)?) == n`.
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> Result<u32, CalendarError> {
        let mut count = 0;
        for day in a.iter_days().skip(1).take_while(|d| *d <= b) {
            if self.is_working_day(day)? {
                count += 1;
            }
        }
        Ok(count)
    }
}

impl fmt::Display for YearCalendar {
    /// One line for listings: `2025: 248 working days (国办发明电〔2024〕12号)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} working days", self.year, self.working_days())?;
        if let Some(s) = &self.source {
            write!(f, " ({s})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn file(body: &str) -> String {
        format!("year = 2027\n{body}")
    }

    #[test]
    fn strict_iso_dates() {
        assert_eq!(parse_iso_date("2025-01-26"), Some(d(2025, 1, 26)));
        for bad in [
            "2025-1-26",
            "2025/01/26",
            "2025-02-30",
            "2025-13-01",
            " 2025-01-26",
            "20250126",
            "２025-01-26",
            "+025-01-26",
            "",
        ] {
            assert_eq!(parse_iso_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn parses_a_minimal_year() {
        let y = YearCalendar::parse(&file(
            "holidays = [\"2027-01-01\", \"2027-02-05..=2027-02-07\"]\nmakeup_workdays = [\"2027-01-09\"]\n",
        ))
        .unwrap();
        assert_eq!(y.year(), 2027);
        assert_eq!(y.source(), None);
        assert_eq!(y.holidays().count(), 4);
        assert_eq!(y.makeup_workdays().collect::<Vec<_>>(), [d(2027, 1, 9)]);
        assert_eq!(y.is_working_day(d(2027, 1, 1)), Some(false)); // Friday holiday
        assert_eq!(y.is_working_day(d(2027, 1, 9)), Some(true)); // Saturday make-up
        assert_eq!(y.is_working_day(d(2027, 1, 10)), Some(false)); // Sunday
        assert_eq!(y.is_working_day(d(2027, 1, 11)), Some(true)); // Monday
        assert_eq!(y.is_working_day(d(2028, 1, 11)), None);
        // 2027: 261 weekdays, minus 2 weekday holidays (Jan 1 Fri, Feb 5 Fri), plus 1.
        assert_eq!(y.working_days(), 260);
    }

    #[test]
    fn empty_lists_are_allowed_missing_keys_are_not() {
        let y = YearCalendar::parse(&file("holidays = []\nmakeup_workdays = []\n")).unwrap();
        assert_eq!(y.working_days(), 261);
        assert_eq!(
            YearCalendar::parse("holidays = []\nmakeup_workdays = []\n"),
            Err(CalendarError::MissingKey { key: "year" })
        );
        assert_eq!(
            YearCalendar::parse(&file("makeup_workdays = []\n")),
            Err(CalendarError::MissingKey { key: "holidays" })
        );
        assert_eq!(
            YearCalendar::parse(&file("holidays = []\n")),
            Err(CalendarError::MissingKey {
                key: "makeup_workdays"
            })
        );
    }

    #[test]
    fn syntax_errors_and_unknown_keys() {
        for (text, needle) in [
            ("year = 2027\nholiday = []\nmakeup_workdays = []", "holiday"),
            (
                "year = \"2027\"\nholidays = []\nmakeup_workdays = []",
                "year",
            ),
            (
                "year = 2027\nholidays = [20270101]\nmakeup_workdays = []",
                "holidays",
            ),
            ("year = 2027\nholidays = [\nmakeup_workdays = []", ""),
        ] {
            match YearCalendar::parse(text) {
                Err(CalendarError::Syntax(msg)) => assert!(msg.contains(needle), "{msg}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn bad_values_name_line_key_and_value() {
        let e = YearCalendar::parse("year = 99\nholidays = []\nmakeup_workdays = []").unwrap_err();
        assert_eq!(e, CalendarError::BadYear { line: 1, value: 99 });

        let e = YearCalendar::parse(&file(
            "holidays = [\n  \"2027-01-01\",\n  \"2027-02-30\",\n]\nmakeup_workdays = []",
        ))
        .unwrap_err();
        assert_eq!(
            e,
            CalendarError::BadDate {
                line: 4,
                key: "holidays",
                value: "2027-02-30".into()
            }
        );
        let msg = e.to_string();
        assert!(
            msg.contains("line 4") && msg.contains("holidays") && msg.contains("2027-02-30"),
            "{msg}"
        );
        assert!(e.message_zh().contains("第4行"));

        assert!(matches!(
            YearCalendar::parse(&file(
                "holidays = [\"2027-02-07..=2027-02-05\"]\nmakeup_workdays = []"
            )),
            Err(CalendarError::BackwardRange { line: 2, .. })
        ));
        assert!(matches!(
            YearCalendar::parse(&file(
                "holidays = [\"2026-12-31..=2027-01-02\"]\nmakeup_workdays = []"
            )),
            Err(CalendarError::OutsideYear { year: 2027, .. })
        ));
        assert!(matches!(
            YearCalendar::parse(&file("holidays = []\nmakeup_workdays = [\"2028-01-01\"]")),
            Err(CalendarError::OutsideYear {
                key: "makeup_workdays",
                ..
            })
        ));
    }

    #[test]
    fn duplicates_overlaps_conflicts_and_weekdays_are_refused() {
        assert_eq!(
            YearCalendar::parse(&file(
                "holidays = [\"2027-02-05..=2027-02-07\", \"2027-02-07\"]\nmakeup_workdays = []"
            )),
            Err(CalendarError::Duplicate {
                line: 2,
                key: "holidays",
                date: d(2027, 2, 7)
            })
        );
        assert!(matches!(
            YearCalendar::parse(&file(
                "holidays = []\nmakeup_workdays = [\"2027-01-09\", \"2027-01-09\"]"
            )),
            Err(CalendarError::Duplicate {
                key: "makeup_workdays",
                ..
            })
        ));
        assert_eq!(
            YearCalendar::parse(&file(
                "holidays = [\"2027-01-09\"]\nmakeup_workdays = [\n\"2027-01-09\"]"
            )),
            Err(CalendarError::HolidayAndMakeup {
                line: 4,
                date: d(2027, 1, 9)
            })
        );
        let e = YearCalendar::parse(&file("holidays = []\nmakeup_workdays = [\"2027-01-08\"]"))
            .unwrap_err();
        assert_eq!(
            e,
            CalendarError::MakeupNotWeekend {
                line: 3,
                date: d(2027, 1, 8),
                weekday: Weekday::Fri
            }
        );
        assert!(e.to_string().contains("Fri"), "{e}");
    }

    #[test]
    fn builtin_years_parse_and_replacement_is_allowed() {
        let mut cal = Calendar::builtin();
        assert_eq!(cal.years(), (2020..=2026).collect::<Vec<_>>());
        assert_eq!(
            cal.is_working_day(d(2027, 1, 4)),
            Err(CalendarError::YearNotLoaded(2027))
        );
        assert!(cal.is_working_day(d(2020, 2, 3)).unwrap());
        // A later file wins: an (invented) amendment making 2020-02-03 a holiday.
        let amended =
            YearCalendar::parse("year = 2020\nholidays = [\"2020-02-03\"]\nmakeup_workdays = []")
                .unwrap();
        let replaced = cal.add_year(amended).expect("2020 was loaded");
        assert_eq!(replaced.year(), 2020);
        assert!(replaced.source().unwrap().contains("〔2020〕1号"));
        assert!(!cal.is_working_day(d(2020, 2, 3)).unwrap());
        assert_eq!(cal.years().len(), 7);
    }

    #[test]
    fn counting_needs_only_the_days_it_looks_at() {
        let cal = Calendar::builtin();
        // 2020-01-01 is a holiday: the first working day after 2019-12-31 is 2020-01-02.
        assert_eq!(cal.add_working_days(d(2019, 12, 31), 1), Ok(d(2020, 1, 2)));
        assert_eq!(
            cal.add_working_days(d(2019, 12, 31), 0),
            Ok(d(2019, 12, 31))
        );
        assert_eq!(
            cal.add_working_days(d(2026, 12, 30), 2),
            Err(CalendarError::YearNotLoaded(2027))
        );
        assert_eq!(
            cal.add_working_days(d(2026, 12, 30), 1),
            Ok(d(2026, 12, 31))
        );
        assert_eq!(
            cal.working_days_between(d(2026, 1, 1), d(2025, 1, 1)),
            Ok(0)
        );
        assert_eq!(
            cal.working_days_between(d(2030, 1, 1), d(2030, 1, 1)),
            Ok(0)
        );
        assert_eq!(
            cal.working_days_between(d(2026, 12, 1), d(2027, 1, 1)),
            Err(CalendarError::YearNotLoaded(2027))
        );
        assert_eq!(
            Calendar::empty().next_working_day(d(2025, 1, 1)),
            Err(CalendarError::YearNotLoaded(2025))
        );
        let e = CalendarError::YearNotLoaded(2027);
        assert!(e.to_string().contains("jiuzhu calendar import 2027.toml"));
        assert!(e.message_zh().contains("2027"));
    }

    #[test]
    fn display_line() {
        let cal = Calendar::builtin();
        assert_eq!(
            cal.year(2025).unwrap().to_string(),
            "2025: 248 working days (国办发明电〔2024〕12号)"
        );
    }
}
