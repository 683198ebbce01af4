//! 期限 deadlines: periods of working days, calendar days or hours, and (in the deadline
//! engine) the due date of a step from its triggering moment.

use std::fmt;
use std::str::FromStr;

use chrono::{Days, NaiveDate, NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};

/// 期限 a period as a plan states it.
///
/// Written in profiles as `"10wd"` (工作日 working days), `"7d"` (自然日 calendar days) or
/// `"24h"` (hours); the long forms `"10 working days"`, `"7 calendar days"`, `"24 hours"` are
/// accepted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    WorkingDays(u32),
    CalendarDays(u32),
    Hours(u32),
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::WorkingDays(n) => write!(f, "{n}wd"),
            Period::CalendarDays(n) => write!(f, "{n}d"),
            Period::Hours(n) => write!(f, "{n}h"),
        }
    }
}

impl Period {
    /// Chinese wording for documents and the UI: 10个工作日, 7日, 24小时.
    pub fn name_zh(&self) -> String {
        match self {
            Period::WorkingDays(n) => format!("{n}个工作日"),
            Period::CalendarDays(n) => format!("{n}日"),
            Period::Hours(n) => format!("{n}小时"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid period `{0}`: write a positive number followed by wd (working days), d (calendar days) or h (hours), e.g. \"10wd\", \"7d\", \"24h\""
)]
pub struct PeriodParseError(pub String);

impl FromStr for Period {
    type Err = PeriodParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PeriodParseError(s.to_string());
        let t = s.trim();
        let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let n: u32 = t[..digits_end].parse().map_err(|_| err())?;
        if n == 0 {
            return Err(err());
        }
        match t[digits_end..].trim() {
            "wd" | "working days" | "working day" => Ok(Period::WorkingDays(n)),
            "d" | "calendar days" | "calendar day" | "days" | "day" => Ok(Period::CalendarDays(n)),
            "h" | "hours" | "hour" => Ok(Period::Hours(n)),
            _ => Err(err()),
        }
    }
}

impl TryFrom<String> for Period {
    type Error = PeriodParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

// ---------------------------------------------------------------- the deadline engine

/// 截止时间 when a step falls due.
///
/// For day periods the whole of `date` is still on time (the deadline is inclusive) and
/// `at` is `None`; for hour periods `at` is the exact moment and `date` its day. Times are
/// local Asia/Shanghai time, like the start they were computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Due {
    /// 截止日期 the last day on which the step is on time.
    pub date: NaiveDate,
    /// For hour periods, the moment the step falls due.
    pub at: Option<NaiveDateTime>,
}

impl Due {
    /// Whether a step not done by `now` (local time) is overdue (超期): after the end of
    /// `date` for day periods, after `at` for hour periods.
    pub fn is_overdue(&self, now: NaiveDateTime) -> bool {
        match self.at {
            Some(at) => now > at,
            None => now.date() > self.date,
        }
    }
}

/// The due date of a step whose period starts at `start` (local Asia/Shanghai time of the
/// triggering event: acceptance, receipt of the file, …), by the rules of DOMAIN.md §10:
///
/// - [`Period::WorkingDays`]: "within N working days" counts from the day after the
///   triggering day, and the Nth working day is the deadline, inclusive:
///   [`Calendar::add_working_days`]`(start.date(), N)`. Fails with
///   [`CalendarError::YearNotLoaded`] when that count needs a year that is not loaded.
/// - [`Period::CalendarDays`]: the start date plus N days (7日 of public notice triggered on
///   the 1st end on the 8th), whatever the calendar says of that day. The calendar is not
///   consulted: the civil-law rule that a period ending on a holiday ends on the next working
///   day (民法典 第二百零三条) is not applied, because DOMAIN.md §10 gives calendar-day
///   notice periods as plain days; a step that needs it should say so in its profile.
/// - [`Period::Hours`]: the start plus N hours (急难型 help within 24 hours). Asia/Shanghai
///   has had no daylight saving since 1991, so local time arithmetic is exact.
pub fn due(start: NaiveDateTime, period: Period, cal: &Calendar) -> Result<Due, CalendarError> {
    match period {
        Period::WorkingDays(n) => Ok(Due {
            date: cal.add_working_days(start.date(), n)?,
            at: None,
        }),
        Period::CalendarDays(n) => Ok(Due {
            date: start
                .date()
                .checked_add_days(Days::new(u64::from(n)))
                .ok_or(CalendarError::DateOutOfRange)?,
            at: None,
        }),
        Period::Hours(n) => {
            let at = start
                .checked_add_signed(TimeDelta::hours(i64::from(n)))
                .ok_or(CalendarError::DateOutOfRange)?;
            Ok(Due {
                date: at.date(),
                at: Some(at),
            })
        }
    }
}

#[cfg(test)]
mod due_tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, 30, 0))
            .unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn working_days_count_from_the_next_day() {
        let cal = Calendar::builtin();
        // Accepted Friday 2025-09-26; Sunday 9-28 is a make-up working day (day 1), then
        // Mon 9-29 (2), Tue 9-30 (3); the National Day holiday runs Oct 1-8, Thu 10-9 (4),
        // Fri 10-10 (5), Sat 10-11 make-up (6), Mon 10-13 (7), … Thu 10-16 (10).
        let d = due(at(2025, 9, 26, 16), Period::WorkingDays(3), &cal).unwrap();
        assert_eq!(
            d,
            Due {
                date: day(2025, 9, 30),
                at: None
            }
        );
        let d = due(at(2025, 9, 26, 16), Period::WorkingDays(10), &cal).unwrap();
        assert_eq!(d.date, day(2025, 10, 16));
        assert!(!d.is_overdue(at(2025, 10, 16, 23)));
        assert!(d.is_overdue(at(2025, 10, 17, 0)));
        assert_eq!(
            due(at(2026, 12, 30, 9), Period::WorkingDays(5), &cal),
            Err(CalendarError::YearNotLoaded(2027))
        );
    }

    #[test]
    fn calendar_days_and_hours_ignore_the_calendar() {
        let empty = Calendar::empty();
        let d = due(at(2025, 9, 30, 10), Period::CalendarDays(7), &empty).unwrap();
        assert_eq!(
            d,
            Due {
                date: day(2025, 10, 7),
                at: None
            }
        );
        let d = due(at(2025, 12, 31, 18), Period::Hours(24), &empty).unwrap();
        assert_eq!(d.at, Some(at(2026, 1, 1, 18)));
        assert_eq!(d.date, day(2026, 1, 1));
        assert!(!d.is_overdue(at(2026, 1, 1, 18)));
        assert!(d.is_overdue(at(2026, 1, 1, 19)));
    }
}

#[cfg(test)]
mod period_tests {
    use super::*;

    #[test]
    fn parses_short_and_long_forms() {
        assert_eq!("10wd".parse(), Ok(Period::WorkingDays(10)));
        assert_eq!("7 calendar days".parse(), Ok(Period::CalendarDays(7)));
        assert_eq!("24h".parse(), Ok(Period::Hours(24)));
        assert_eq!(Period::WorkingDays(3).to_string(), "3wd");
        assert!("0wd".parse::<Period>().is_err());
        assert!("ten days".parse::<Period>().is_err());
        assert!("5 weeks".parse::<Period>().is_err());
    }
}
