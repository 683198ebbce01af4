//! 居民身份证号码 resident identity number (GB 11643-1999).
//!
//! The number identifies every applicant and household member, so a mistyped number must
//! be caught at the door: the check character (校验码, ISO 7064 MOD 11-2) catches every
//! single-character substitution and most transpositions.
//!
//! The number is personal data (个人信息). Nothing in this module ever writes it into an
//! error, and both `Debug` and `Display` print the masked form, so a stray `{}` or `{:?}` in
//! a log line cannot leak it. The full number is available only through
//! [`IdNumber::as_str`] and serialization, which storage needs.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Weights of the 17 leading digits (2^(18-i) mod 11).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each value of (weighted sum mod 11).
const CHECK_CHARACTERS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// Birth years before this are taken as typing errors (no living resident was born earlier).
const MIN_BIRTH_YEAR: i32 = 1900;

/// 居民身份证号码 a resident identity number with a valid check character and birth date.
///
/// Stored in canonical form (a lowercase `x` becomes `X`). Build it with
/// [`IdNumber::parse`], [`FromStr`], `TryFrom<String>` or, for generated data,
/// [`IdNumber::from_parts`]. Serde writes the full number and rejects invalid input.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdNumber {
    number: String,
    // Derived from `number`, kept to avoid re-parsing and any fallible path afterwards.
    birth: NaiveDate,
}

/// 性别 sex, as encoded by the parity of the sequence code (odd = male).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}

impl Sex {
    /// Chinese name for the UI: 男/女.
    pub fn name_zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_zh())
    }
}

/// Why a text is not a resident identity number.
///
/// Deliberately carries no part of the number or of the expected check character: errors
/// end up in logs, and the number is personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("an identity number has 18 characters; this one has {found}")]
    WrongLength { found: usize },
    #[error(
        "character {position} of the identity number is not allowed; expected digits 0-9, \
         and for the 18th character a digit or X"
    )]
    InvalidCharacter { position: usize },
    #[error(
        "characters 7-14 of the identity number are not a valid birth date; expected a real \
         date YYYYMMDD from 1900 on"
    )]
    InvalidBirthDate,
    #[error(
        "the check character (18th) does not match the first 17 characters; one of the \
         characters was probably mistyped, check the number against the identity card"
    )]
    CheckCharacterMismatch,
    /// Only from [`IdNumber::from_parts`].
    #[error("the region code of an identity number must be exactly 6 digits")]
    InvalidRegionCode,
    /// Only from [`IdNumber::from_parts`].
    #[error("the sequence code of an identity number must be 0-999; got {found}")]
    SequenceOutOfRange { found: u16 },
}

impl IdNumberError {
    /// The message in Chinese, for the UI.
    pub fn message_zh(&self) -> String {
        match self {
            IdNumberError::WrongLength { found } => {
                format!("身份证号码应为18位，当前为{found}位")
            }
            IdNumberError::InvalidCharacter { position } => {
                format!("身份证号码第{position}位字符无效：前17位只能是数字，第18位为数字或X")
            }
            IdNumberError::InvalidBirthDate => {
                "身份证号码第7-14位不是有效的出生日期（应为1900年以后的真实日期，格式YYYYMMDD）"
                    .to_string()
            }
            IdNumberError::CheckCharacterMismatch => {
                "身份证号码校验位（第18位）不正确，可能有输入错误，请与身份证核对".to_string()
            }
            IdNumberError::InvalidRegionCode => "身份证号码的地址码应为6位数字".to_string(),
            IdNumberError::SequenceOutOfRange { found } => {
                format!("身份证号码的顺序码应为0-999，当前为{found}")
            }
        }
    }
}

/// Computes the GB 11643 check character for the first 17 digits of a number.
///
/// Returns `None` unless `first17` is exactly 17 ASCII digits. Handy for generating demo
/// data; to validate a number use [`IdNumber::parse`].
pub fn check_character(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK_CHARACTERS.get((sum % 11) as usize).copied()
}

/// The numeric value of an all-ASCII-digit slice of at most 4 digits.
fn digits(s: &str) -> u32 {
    s.bytes().fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
}

impl IdNumber {
    /// Parses an 18-character number, accepting a lowercase `x` as check character.
    ///
    /// The text is taken as given: surrounding whitespace is an error, the caller trims.
    /// The region code is not checked against GB/T 2260: numbers keep the code of the
    /// county where they were issued, and many such counties have since been renamed or
    /// merged.
    pub fn parse(s: &str) -> Result<IdNumber, IdNumberError> {
        let len = s.chars().count();
        if len != 18 {
            return Err(IdNumberError::WrongLength { found: len });
        }
        let bad = s
            .chars()
            .enumerate()
            .position(|(i, c)| !(c.is_ascii_digit() || (i == 17 && (c == 'X' || c == 'x'))));
        if let Some(i) = bad {
            return Err(IdNumberError::InvalidCharacter { position: i + 1 });
        }
        // ASCII from here on: byte ranges are character ranges.
        let year = digits(&s[6..10]) as i32; // at most 9999
        let birth = NaiveDate::from_ymd_opt(year, digits(&s[10..12]), digits(&s[12..14]))
            .filter(|_| year >= MIN_BIRTH_YEAR)
            .ok_or(IdNumberError::InvalidBirthDate)?;
        let number = s.to_ascii_uppercase();
        if check_character(&number[..17]) != number[17..].chars().next() {
            return Err(IdNumberError::CheckCharacterMismatch);
        }
        Ok(IdNumber { number, birth })
    }

    /// Builds a valid number from its parts, computing the check character. Meant for
    /// demo-data generators and tests.
    ///
    /// `region` must be 6 ASCII digits (not checked against GB/T 2260), `birth` a date
    /// from 1900 to 9999, and `sequence` 0–999 (odd for a man, even for a woman).
    pub fn from_parts(
        region: &str,
        birth: NaiveDate,
        sequence: u16,
    ) -> Result<IdNumber, IdNumberError> {
        if region.len() != 6 || !region.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdNumberError::InvalidRegionCode);
        }
        if sequence > 999 {
            return Err(IdNumberError::SequenceOutOfRange { found: sequence });
        }
        if !(MIN_BIRTH_YEAR..=9999).contains(&birth.year()) {
            return Err(IdNumberError::InvalidBirthDate);
        }
        let first17 = format!("{region}{}{sequence:03}", birth.format("%Y%m%d"));
        let check = check_character(&first17).ok_or(IdNumberError::InvalidRegionCode)?;
        IdNumber::parse(&format!("{first17}{check}"))
    }

    /// The full number, for storage and for the few pages whose staff may see it.
    /// Never log it; use [`IdNumber::masked`] (or `Display`) instead.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// 出生日期 date of birth (characters 7–14).
    pub fn birth_date(&self) -> NaiveDate {
        self.birth
    }

    /// 性别 sex, from the parity of the 17th character.
    pub fn sex(&self) -> Sex {
        if digits(&self.number[16..17]) % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// 地址码 the 6-digit region code of the issuing county (characters 1–6).
    pub fn region_code(&self) -> &str {
        &self.number[..6]
    }

    /// The last 4 characters, as used to confirm an identity on the phone or a form.
    pub fn last4(&self) -> &str {
        &self.number[14..]
    }

    /// The masked form shown in lists and written to logs: the first 4 and the last 4
    /// characters with 10 `*` between them, e.g. `6401**********123X`.
    pub fn masked(&self) -> String {
        format!("{}{}{}", &self.number[..4], "*".repeat(10), self.last4())
    }
}

/// Prints the masked form, never the full number.
impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.masked())
    }
}

/// Prints the masked form, never the full number.
impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdNumber").field(&self.masked()).finish()
    }
}

impl FromStr for IdNumber {
    type Err = IdNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdNumber::parse(s)
    }
}

impl TryFrom<String> for IdNumber {
    type Error = IdNumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        IdNumber::parse(&s)
    }
}

/// The full number: used by serialization for storage.
impl From<IdNumber> for String {
    fn from(id: IdNumber) -> String {
        id.number
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST17: &str = "11010519491231002";

    fn valid() -> String {
        format!("{FIRST17}{}", check_character(FIRST17).unwrap())
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn check_character_of_known_numbers() {
        // The example number printed in GB 11643-1999.
        assert_eq!(check_character("11010519491231002"), Some('X'));
        assert_eq!(check_character("44052418800101001"), Some('4'));
        assert_eq!(check_character("1101051949123100"), None);
        assert_eq!(check_character("110105194912310021"), None);
        assert_eq!(check_character("1101051949123100a"), None);
    }

    #[test]
    fn parses_the_standard_example() {
        let id = IdNumber::parse(&valid()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), date(1949, 12, 31));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.sex().name_zh(), "女");
        assert_eq!(id.region_code(), "110105");
        assert_eq!(id.last4(), "002X");
        assert_eq!(id.masked(), "1101**********002X");
    }

    #[test]
    fn lowercase_x_is_normalized() {
        let id = IdNumber::parse("11010519491231002x").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id, IdNumber::parse("11010519491231002X").unwrap());
    }

    #[test]
    fn male_for_odd_sequence() {
        let id = IdNumber::from_parts("640181", date(1985, 2, 28), 123).unwrap();
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(Sex::Male.name_zh(), "男");
        assert_eq!(id.birth_date(), date(1985, 2, 28));
        assert!(id.as_str().starts_with("64018119850228123"));
        assert_eq!(&id.masked()[..4], "6401");
    }

    #[test]
    fn wrong_length() {
        assert_eq!(
            IdNumber::parse(""),
            Err(IdNumberError::WrongLength { found: 0 })
        );
        assert_eq!(
            IdNumber::parse(FIRST17),
            Err(IdNumberError::WrongLength { found: 17 })
        );
        assert_eq!(
            IdNumber::parse(&format!(" {}", valid())),
            Err(IdNumberError::WrongLength { found: 19 })
        );
        // 15-digit first-generation numbers are no longer valid identity documents.
        assert_eq!(
            IdNumber::parse("110105491231002"),
            Err(IdNumberError::WrongLength { found: 15 })
        );
        let e = IdNumberError::WrongLength { found: 17 };
        assert!(e.to_string().contains("17") && e.message_zh().contains("17"));
    }

    #[test]
    fn invalid_character() {
        assert_eq!(
            IdNumber::parse("1101051949123100X2"),
            Err(IdNumberError::InvalidCharacter { position: 17 })
        );
        assert_eq!(
            IdNumber::parse("X10105194912310022"),
            Err(IdNumberError::InvalidCharacter { position: 1 })
        );
        assert_eq!(
            IdNumber::parse("11010519491231002Y"),
            Err(IdNumberError::InvalidCharacter { position: 18 })
        );
        // Full-width digits are not digits here.
        assert_eq!(
            IdNumber::parse("１1010519491231002X"),
            Err(IdNumberError::InvalidCharacter { position: 1 })
        );
        let e = IdNumberError::InvalidCharacter { position: 5 };
        assert!(e.to_string().contains("character 5") && e.message_zh().contains('5'));
    }

    #[test]
    fn invalid_birth_date() {
        for first17 in [
            "11010519490230002", // 30 February
            "11010519491301002", // month 13
            "11010519490001002", // month 0
            "11010518991231002", // before 1900
            "11010520230229002", // not a leap year
        ] {
            let n = format!("{first17}{}", check_character(first17).unwrap());
            assert_eq!(
                IdNumber::parse(&n),
                Err(IdNumberError::InvalidBirthDate),
                "{first17}"
            );
        }
        let leap = "11010520240229002";
        let n = format!("{leap}{}", check_character(leap).unwrap());
        assert_eq!(IdNumber::parse(&n).unwrap().birth_date(), date(2024, 2, 29));
        assert!(
            IdNumberError::InvalidBirthDate
                .message_zh()
                .contains("出生日期")
        );
    }

    #[test]
    fn check_character_mismatch() {
        assert_eq!(
            IdNumber::parse("110105194912310021"),
            Err(IdNumberError::CheckCharacterMismatch)
        );
        // A single mistyped digit.
        assert_eq!(
            IdNumber::parse("11010519491231012X"),
            Err(IdNumberError::CheckCharacterMismatch)
        );
        assert!(
            IdNumberError::CheckCharacterMismatch
                .message_zh()
                .contains("校验")
        );
    }

    #[test]
    fn from_parts_errors() {
        let d = date(1990, 1, 1);
        assert_eq!(
            IdNumber::from_parts("64018", d, 1),
            Err(IdNumberError::InvalidRegionCode)
        );
        assert_eq!(
            IdNumber::from_parts("64018a", d, 1),
            Err(IdNumberError::InvalidRegionCode)
        );
        assert_eq!(
            IdNumber::from_parts("640181", d, 1000),
            Err(IdNumberError::SequenceOutOfRange { found: 1000 })
        );
        assert_eq!(
            IdNumber::from_parts("640181", date(1899, 12, 31), 1),
            Err(IdNumberError::InvalidBirthDate)
        );
        assert_eq!(
            IdNumber::from_parts("640181", date(10000, 1, 1), 1),
            Err(IdNumberError::InvalidBirthDate)
        );
        assert!(IdNumber::from_parts("640181", d, 0).is_ok());
        assert!(IdNumber::from_parts("640181", d, 999).is_ok());
        assert!(!IdNumberError::InvalidRegionCode.message_zh().is_empty());
        assert!(
            IdNumberError::SequenceOutOfRange { found: 1000 }
                .message_zh()
                .contains("1000")
        );
    }

    #[test]
    fn never_leaks_the_number() {
        let full = valid();
        let id = IdNumber::parse(&full).unwrap();
        for shown in [
            format!("{id}"),
            format!("{id:?}"),
            format!("{:?}", Some(&id)),
        ] {
            assert!(!shown.contains(&full), "{shown}");
            assert!(!shown.contains(&full[4..14]), "{shown}");
            assert!(shown.contains("1101**********002X"), "{shown}");
        }
        // Errors never carry digits of the number nor the expected check character.
        let mistyped = "11010519491231012X";
        let e = IdNumber::parse(mistyped).unwrap_err();
        for shown in [e.to_string(), format!("{e:?}"), e.message_zh()] {
            assert!(!shown.contains("1101"), "{shown}");
            assert!(!shown.contains("19491231"), "{shown}");
        }
    }

    #[test]
    fn string_conversions_and_serde() {
        use serde::de::IntoDeserializer;
        use serde::de::value::Error;
        let id: IdNumber = valid().parse().unwrap();
        assert_eq!(IdNumber::try_from(valid()), Ok(id.clone()));
        assert_eq!(String::from(id.clone()), "11010519491231002X");
        let de = IdNumber::deserialize(IntoDeserializer::<Error>::into_deserializer(
            "11010519491231002x",
        ));
        assert_eq!(de, Ok(id));
        let bad = IdNumber::deserialize(IntoDeserializer::<Error>::into_deserializer(
            "110105194912310021",
        ));
        let msg = bad.unwrap_err().to_string();
        assert!(
            msg.contains("check character") && !msg.contains("1101"),
            "{msg}"
        );
    }
}
