//! 期限 deadlines: periods of working days, calendar days or hours, and (in the deadline
//! engine) the due date of a step from its triggering moment.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

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
#[error("invalid period `{0}`: write a positive number followed by wd (working days), d (calendar days) or h (hours), e.g. \"10wd\", \"7d\", \"24h\"")]
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
