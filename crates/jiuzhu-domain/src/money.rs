//! 金额 money amounts, held as an integer number of 分 fen (1 yuan = 100 fen).
//!
//! Allowances, standards and payrolls are added, compared and reconciled to the fen, and a
//! roster total must equal the sum of its lines exactly. Floating point cannot promise
//! that, so every amount is an `i64` of fen, parsed from and printed as decimal yuan with
//! exactly two places. There is one place that formats money: this module.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// 金额 an amount of money in 分 fen.
///
/// Any `i64` is a valid amount (negative amounts are refunds and corrections), so `Fen`
/// has a plain constructor; text is parsed with [`Fen::parse_yuan`]. Serde reads and
/// writes the integer number of fen (`{"amount": 123456}` is 1234.56 yuan).
///
/// The operators `+`, `-`, unary `-` and `sum()` panic on overflow (beyond about ±9.2×10^16
/// yuan, which no real amount reaches); code that adds untrusted amounts should use the
/// `checked_*` methods and [`Fen::checked_sum`] instead.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(i64);

/// Why a text is not an amount of yuan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FenParseError {
    #[error("the amount is empty; expected yuan such as 1234.56")]
    Empty,
    #[error(
        "character {position} of the amount is not allowed; expected digits, an optional \
         leading + or -, a decimal point and thousands commas, e.g. -1,234.56"
    )]
    InvalidCharacter { position: usize },
    #[error("the amount needs digits before and after the decimal point, e.g. 0.50 or 12.5")]
    MissingDigits,
    #[error(
        "the amount has {found} decimal places; at most 2 (fen) are allowed and amounts are \
         never rounded, so enter it to the fen"
    )]
    TooManyDecimals { found: usize },
    #[error("thousands commas must separate groups of exactly three digits, e.g. 1,234,567.89")]
    MisplacedComma,
    #[error("the amount is out of range; it must lie within ±92233720368547758.07 yuan")]
    Overflow,
}

impl FenParseError {
    /// The message in Chinese, for the UI.
    pub fn message_zh(&self) -> String {
        match self {
            FenParseError::Empty => "金额不能为空，请按元填写，如 1234.56".to_string(),
            FenParseError::InvalidCharacter { position } => format!(
                "金额第{position}个字符无效：只能包含数字、开头的正负号、小数点和千分位逗号，如 -1,234.56"
            ),
            FenParseError::MissingDigits => {
                "金额的小数点前后都应有数字，如 0.50 或 12.5".to_string()
            }
            FenParseError::TooManyDecimals { found } => format!(
                "金额有{found}位小数，最多只能精确到分（2位小数），系统不会自动四舍五入，请填写到分"
            ),
            FenParseError::MisplacedComma => {
                "千分位逗号位置不正确，应每三位数字一组，如 1,234,567.89".to_string()
            }
            FenParseError::Overflow => "金额超出可处理的范围".to_string(),
        }
    }
}

impl Fen {
    /// Zero fen.
    pub const ZERO: Fen = Fen(0);
    /// The largest amount, 92233720368547758.07 yuan.
    pub const MAX: Fen = Fen(i64::MAX);
    /// The smallest amount, -92233720368547758.08 yuan.
    pub const MIN: Fen = Fen(i64::MIN);

    /// An amount of `fen` 分.
    pub const fn new(fen: i64) -> Fen {
        Fen(fen)
    }

    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// A whole number of yuan, or `None` if it does not fit.
    pub const fn from_yuan(yuan: i64) -> Option<Fen> {
        match yuan.checked_mul(100) {
            Some(fen) => Some(Fen(fen)),
            None => None,
        }
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub const fn checked_add(self, rhs: Fen) -> Option<Fen> {
        match self.0.checked_add(rhs.0) {
            Some(v) => Some(Fen(v)),
            None => None,
        }
    }

    pub const fn checked_sub(self, rhs: Fen) -> Option<Fen> {
        match self.0.checked_sub(rhs.0) {
            Some(v) => Some(Fen(v)),
            None => None,
        }
    }

    /// The amount times a whole number, e.g. a per-person allowance × household size.
    pub const fn checked_mul(self, n: i64) -> Option<Fen> {
        match self.0.checked_mul(n) {
            Some(v) => Some(Fen(v)),
            None => None,
        }
    }

    pub const fn checked_neg(self) -> Option<Fen> {
        match self.0.checked_neg() {
            Some(v) => Some(Fen(v)),
            None => None,
        }
    }

    /// The total of `amounts`, or `None` if it overflows.
    pub fn checked_sum<I: IntoIterator<Item = Fen>>(amounts: I) -> Option<Fen> {
        amounts.into_iter().try_fold(Fen::ZERO, Fen::checked_add)
    }

    /// Parses decimal yuan: `1234`, `1234.5`, `1234.56`, `-0.05`, `+12`, `1,234.56`.
    ///
    /// Thousands commas are optional but, where present, must form groups of three. More
    /// than two decimals is an error rather than a rounding: an amount that is not a whole
    /// number of fen is a mistake upstream and should be looked at. The text is taken as
    /// given: whitespace is an error, the caller trims.
    pub fn parse_yuan(s: &str) -> Result<Fen, FenParseError> {
        if s.is_empty() {
            return Err(FenParseError::Empty);
        }
        let mut negative = false;
        let mut int_part = String::new(); // digits and commas before the point
        let mut frac_part: Option<String> = None; // digits after the point
        for (i, c) in s.chars().enumerate() {
            let position = i + 1;
            match c {
                '+' | '-' if i == 0 => negative = c == '-',
                '0'..='9' => match frac_part.as_mut() {
                    Some(frac) => frac.push(c),
                    None => int_part.push(c),
                },
                ',' if frac_part.is_none() => int_part.push(c),
                '.' if frac_part.is_none() => frac_part = Some(String::new()),
                _ => return Err(FenParseError::InvalidCharacter { position }),
            }
        }
        if int_part.is_empty() || frac_part.as_deref() == Some("") {
            return Err(FenParseError::MissingDigits);
        }
        let frac = frac_part.unwrap_or_default();
        if frac.len() > 2 {
            return Err(FenParseError::TooManyDecimals { found: frac.len() });
        }
        if int_part.contains(',') {
            let mut groups = int_part.split(',');
            let first_ok = groups.next().is_some_and(|g| (1..=3).contains(&g.len()));
            if !first_ok || !groups.all(|g| g.len() == 3) {
                return Err(FenParseError::MisplacedComma);
            }
        }
        // Accumulate the magnitude in u64 so that i64::MIN (whose magnitude exceeds
        // i64::MAX) parses too, and Display/parse round-trip for every amount.
        let mut magnitude: u64 = 0;
        let fen_digits = int_part.bytes().filter(|b| *b != b',').chain(frac.bytes());
        let padding = std::iter::repeat_n(b'0', 2 - frac.len());
        for b in fen_digits.chain(padding) {
            magnitude = magnitude
                .checked_mul(10)
                .and_then(|m| m.checked_add(u64::from(b - b'0')))
                .ok_or(FenParseError::Overflow)?;
        }
        let value = if negative {
            0i64.checked_sub_unsigned(magnitude)
        } else {
            i64::try_from(magnitude).ok()
        };
        value.map(Fen).ok_or(FenParseError::Overflow)
    }

    /// The amount with thousands commas, as printed in official documents: `1,234.56`.
    pub fn format_grouped(self) -> String {
        let (sign, yuan, fen) = self.parts();
        let digits = yuan.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 4);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{sign}{grouped}.{fen:02}")
    }

    /// Sign, whole yuan and remaining fen of the amount's magnitude.
    fn parts(self) -> (&'static str, u64, u64) {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        (sign, magnitude / 100, magnitude % 100)
    }
}

/// Yuan with exactly two decimals and no grouping: `1234.56`, `-0.05`, `0.00`.
/// Honors width and alignment (`{:>12}`) for tables.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (sign, yuan, fen) = self.parts();
        f.pad(&format!("{sign}{yuan}.{fen:02}"))
    }
}

impl FromStr for Fen {
    type Err = FenParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fen::parse_yuan(s)
    }
}

impl From<Fen> for i64 {
    fn from(amount: Fen) -> i64 {
        amount.0
    }
}

/// # Panics
/// On overflow; use [`Fen::checked_add`] where that can happen.
impl Add for Fen {
    type Output = Fen;
    fn add(self, rhs: Fen) -> Fen {
        Fen(self.0.strict_add(rhs.0))
    }
}

/// # Panics
/// On overflow; use [`Fen::checked_sub`] where that can happen.
impl Sub for Fen {
    type Output = Fen;
    fn sub(self, rhs: Fen) -> Fen {
        Fen(self.0.strict_sub(rhs.0))
    }
}

/// # Panics
/// For [`Fen::MIN`]; use [`Fen::checked_neg`] where that can happen.
impl Neg for Fen {
    type Output = Fen;
    fn neg(self) -> Fen {
        Fen(self.0.strict_neg())
    }
}

impl AddAssign for Fen {
    fn add_assign(&mut self, rhs: Fen) {
        *self = *self + rhs;
    }
}

impl SubAssign for Fen {
    fn sub_assign(&mut self, rhs: Fen) {
        *self = *self - rhs;
    }
}

/// # Panics
/// On overflow; use [`Fen::checked_sum`] where that can happen.
impl Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, Add::add)
    }
}

/// # Panics
/// On overflow; use [`Fen::checked_sum`] where that can happen.
impl<'a> Sum<&'a Fen> for Fen {
    fn sum<I: Iterator<Item = &'a Fen>>(iter: I) -> Fen {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yuan(s: &str) -> Result<i64, FenParseError> {
        Fen::parse_yuan(s).map(Fen::fen)
    }

    #[test]
    fn display() {
        assert_eq!(Fen::new(123456).to_string(), "1234.56");
        assert_eq!(Fen::new(-5).to_string(), "-0.05");
        assert_eq!(Fen::new(0).to_string(), "0.00");
        assert_eq!(Fen::new(100).to_string(), "1.00");
        assert_eq!(Fen::new(-123456).to_string(), "-1234.56");
        assert_eq!(Fen::MAX.to_string(), "92233720368547758.07");
        assert_eq!(Fen::MIN.to_string(), "-92233720368547758.08");
        assert_eq!(format!("{:>9}", Fen::new(1050)), "    10.50");
        assert_eq!(format!("{:?}", Fen::new(1050)), "Fen(1050)");
    }

    #[test]
    fn grouped() {
        assert_eq!(Fen::new(123456).format_grouped(), "1,234.56");
        assert_eq!(Fen::new(12345).format_grouped(), "123.45");
        assert_eq!(Fen::new(0).format_grouped(), "0.00");
        assert_eq!(Fen::new(-100000000).format_grouped(), "-1,000,000.00");
        assert_eq!(Fen::new(12345678901).format_grouped(), "123,456,789.01");
        assert_eq!(Fen::MIN.format_grouped(), "-92,233,720,368,547,758.08");
    }

    #[test]
    fn parse_accepts() {
        assert_eq!(yuan("1234"), Ok(123400));
        assert_eq!(yuan("1234.5"), Ok(123450));
        assert_eq!(yuan("1234.56"), Ok(123456));
        assert_eq!(yuan("-0.05"), Ok(-5));
        assert_eq!(yuan("+12"), Ok(1200));
        assert_eq!(yuan("1,234.56"), Ok(123456));
        assert_eq!(yuan("-1,234,567"), Ok(-123456700));
        assert_eq!(yuan("0"), Ok(0));
        assert_eq!(yuan("-0.00"), Ok(0));
        assert_eq!(yuan("007.10"), Ok(710));
        assert_eq!(yuan("92233720368547758.07"), Ok(i64::MAX));
        assert_eq!(yuan("-92233720368547758.08"), Ok(i64::MIN));
        assert_eq!("1,234.56".parse::<Fen>(), Ok(Fen::new(123456)));
    }

    #[test]
    fn parse_empty() {
        assert_eq!(yuan(""), Err(FenParseError::Empty));
        assert!(FenParseError::Empty.message_zh().contains("不能为空"));
    }

    #[test]
    fn parse_invalid_character() {
        assert_eq!(
            yuan("12a"),
            Err(FenParseError::InvalidCharacter { position: 3 })
        );
        assert_eq!(
            yuan(" 12"),
            Err(FenParseError::InvalidCharacter { position: 1 })
        );
        assert_eq!(
            yuan("12 "),
            Err(FenParseError::InvalidCharacter { position: 3 })
        );
        assert_eq!(
            yuan("1-2"),
            Err(FenParseError::InvalidCharacter { position: 2 })
        );
        assert_eq!(
            yuan("--1"),
            Err(FenParseError::InvalidCharacter { position: 2 })
        );
        assert_eq!(
            yuan("1.2.3"),
            Err(FenParseError::InvalidCharacter { position: 4 })
        );
        assert_eq!(
            yuan("1.2,3"),
            Err(FenParseError::InvalidCharacter { position: 4 })
        );
        assert_eq!(
            yuan("¥12"),
            Err(FenParseError::InvalidCharacter { position: 1 })
        );
        assert_eq!(
            yuan("12元"),
            Err(FenParseError::InvalidCharacter { position: 3 })
        );
        assert_eq!(
            yuan("1e3"),
            Err(FenParseError::InvalidCharacter { position: 2 })
        );
        assert_eq!(
            yuan("１２"),
            Err(FenParseError::InvalidCharacter { position: 1 })
        );
        let e = FenParseError::InvalidCharacter { position: 3 };
        assert!(e.to_string().contains("character 3") && e.message_zh().contains('3'));
    }

    #[test]
    fn parse_missing_digits() {
        for s in ["-", "+", ".", "1.", ".5", "-.5", ","] {
            let expected = if s == "," {
                FenParseError::MisplacedComma
            } else {
                FenParseError::MissingDigits
            };
            assert_eq!(yuan(s), Err(expected), "{s}");
        }
        assert!(!FenParseError::MissingDigits.message_zh().is_empty());
    }

    #[test]
    fn parse_too_many_decimals() {
        assert_eq!(
            yuan("1.234"),
            Err(FenParseError::TooManyDecimals { found: 3 })
        );
        assert_eq!(
            yuan("0.001"),
            Err(FenParseError::TooManyDecimals { found: 3 })
        );
        // Even trailing zeros: the source evidently works in other units; look at it.
        assert_eq!(
            yuan("1.500"),
            Err(FenParseError::TooManyDecimals { found: 3 })
        );
        let e = FenParseError::TooManyDecimals { found: 3 };
        assert!(
            e.to_string().contains("3 decimal places") && e.to_string().contains("never rounded")
        );
        assert!(e.message_zh().contains("四舍五入"));
    }

    #[test]
    fn parse_misplaced_comma() {
        for s in [
            "1,23",
            "12,3456",
            "1234,567",
            ",123",
            "123,",
            "1,,234",
            "1,234,56.00",
            "-,123",
        ] {
            assert_eq!(yuan(s), Err(FenParseError::MisplacedComma), "{s}");
        }
        assert!(
            FenParseError::MisplacedComma
                .message_zh()
                .contains("千分位")
        );
    }

    #[test]
    fn parse_overflow() {
        assert_eq!(yuan("92233720368547758.08"), Err(FenParseError::Overflow));
        assert_eq!(yuan("-92233720368547758.09"), Err(FenParseError::Overflow));
        assert_eq!(
            yuan("99999999999999999999999"),
            Err(FenParseError::Overflow)
        );
        assert!(!FenParseError::Overflow.message_zh().is_empty());
    }

    #[test]
    fn arithmetic() {
        let a = Fen::new(150);
        let b = Fen::new(275);
        assert_eq!(a + b, Fen::new(425));
        assert_eq!(a - b, Fen::new(-125));
        assert_eq!(-a, Fen::new(-150));
        let mut c = a;
        c += b;
        c -= Fen::new(25);
        assert_eq!(c, Fen::new(400));
        assert_eq!([a, b].into_iter().sum::<Fen>(), Fen::new(425));
        assert_eq!([a, b].iter().sum::<Fen>(), Fen::new(425));
        assert_eq!(Fen::checked_sum([a, b]), Some(Fen::new(425)));
        assert_eq!(Fen::checked_sum([Fen::MAX, Fen::new(1)]), None);
        assert_eq!(Fen::checked_sum(Vec::new()), Some(Fen::ZERO));
        assert_eq!(Fen::MAX.checked_add(Fen::new(1)), None);
        assert_eq!(Fen::MIN.checked_sub(Fen::new(1)), None);
        assert_eq!(Fen::MIN.checked_neg(), None);
        assert_eq!(Fen::new(64000).checked_mul(3), Some(Fen::new(192000)));
        assert_eq!(Fen::MAX.checked_mul(2), None);
        assert_eq!(Fen::from_yuan(12), Some(Fen::new(1200)));
        assert_eq!(Fen::from_yuan(i64::MAX), None);
        assert_eq!(Fen::default(), Fen::ZERO);
        assert!(Fen::new(-1) < Fen::ZERO);
        assert!(Fen::ZERO.is_zero() && Fen::new(-1).is_negative());
        assert_eq!(i64::from(Fen::new(7)), 7);
    }

    #[test]
    #[should_panic]
    fn add_overflow_panics() {
        let _ = Fen::MAX + Fen::new(1);
    }

    #[test]
    fn serde_is_integer_fen() {
        use serde::de::IntoDeserializer;
        use serde::de::value::Error;
        let de = Fen::deserialize(IntoDeserializer::<Error>::into_deserializer(123456i64));
        assert_eq!(de, Ok(Fen::new(123456)));
        let from_str = Fen::deserialize(IntoDeserializer::<Error>::into_deserializer("1234.56"));
        assert!(from_str.is_err());
    }
}
