//! 行政区划代码 administrative division codes.
//!
//! Every case, household and account in jiuzhu belongs to a place, and every table is
//! partitioned by the county's 6-digit code, so a code must be well formed before it is
//! stored or compared. Two national standards are involved:
//!
//! - GB/T 2260 gives 6 digits `PPCCDD`: province `PP0000`, prefecture `PPCC00`, county
//!   `PPCCDD`.
//! - The 统计用区划代码 statistical division code (GB/T 10114 rules, published yearly by the
//!   National Bureau of Statistics) appends 3 digits for the 乡级 township-level unit and 3
//!   for the 村级 village-level unit: `PPCCDD TTT VVV`.
//!
//! A [`DivisionCode`] holds its canonical form: 6 digits for province, prefecture and
//! county, 12 digits for township and village. A 12-digit code ending in `000000` is the
//! county itself and is normalized to its 6 digits, so one place has exactly one spelling
//! and string equality is place equality.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// 行政区划代码 administrative division code, always valid and in canonical form.
///
/// Build it with [`DivisionCode::parse`], [`FromStr`] or `TryFrom<String>`; serde reads and
/// writes the canonical string and rejects invalid codes.
///
/// The derived ordering is the ordering of the canonical strings, which lists a place
/// immediately before its descendants (`370900` < `370902` < `370902001000` < `370911`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DivisionCode(String);

/// 区划级别 the level of a division in the hierarchy.
///
/// Ordered from the top down, as a path from the root is read:
/// `Province < Prefecture < County < Township < Village`. A parent's level therefore
/// compares *less* than its child's; [`DivisionLevel::is_above`] says it in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DivisionLevel {
    /// 省级: province, autonomous region, municipality, SAR (`PP0000`).
    Province,
    /// 地级: prefecture-level city, prefecture, league (`PPCC00`).
    Prefecture,
    /// 县级: county, county-level city, district, banner (`PPCCDD`).
    County,
    /// 乡级: township, town, street office (`PPCCDDTTT000`).
    Township,
    /// 村级: village (村委会) or urban community (居委会) (`PPCCDDTTTVVV`).
    Village,
}

impl DivisionLevel {
    /// Chinese name for the UI: 省级/地级/县级/乡级/村级.
    pub fn name_zh(self) -> &'static str {
        match self {
            DivisionLevel::Province => "省级",
            DivisionLevel::Prefecture => "地级",
            DivisionLevel::County => "县级",
            DivisionLevel::Township => "乡级",
            DivisionLevel::Village => "村级",
        }
    }

    /// Whether `self` is a strictly higher level than `other` (province is above all).
    pub fn is_above(self, other: DivisionLevel) -> bool {
        self < other
    }
}

impl fmt::Display for DivisionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_zh())
    }
}

/// 乡级单位类别 the kind of a township-level unit, read from its 3-digit part `TTT`
/// (GB/T 10114): 001–099 街道 street office, 100–199 镇 town, 200–399 乡 township,
/// 400–599 类似乡级单位 units treated like townships (farms, development zones…).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TownshipKind {
    /// 街道 (办事处) street office, urban (001–099).
    Street,
    /// 镇 town (100–199).
    Town,
    /// 乡 (incl. 民族乡, 苏木) township (200–399).
    Township,
    /// 类似乡级单位 other township-level unit (400–599).
    Other,
}

impl TownshipKind {
    /// Chinese name for the UI: 街道/镇/乡/其他乡级单位.
    pub fn name_zh(self) -> &'static str {
        match self {
            TownshipKind::Street => "街道",
            TownshipKind::Town => "镇",
            TownshipKind::Township => "乡",
            TownshipKind::Other => "其他乡级单位",
        }
    }

    fn from_part(ttt: u16) -> Option<TownshipKind> {
        match ttt {
            1..=99 => Some(TownshipKind::Street),
            100..=199 => Some(TownshipKind::Town),
            200..=399 => Some(TownshipKind::Township),
            400..=599 => Some(TownshipKind::Other),
            _ => None,
        }
    }
}

/// Why a text is not an administrative division code.
///
/// The code of a place is public, so the messages quote the offending part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DivisionCodeError {
    #[error(
        "a division code has {found} characters; expected 6 digits (province, prefecture, \
         county) or 12 digits (township, village)"
    )]
    WrongLength { found: usize },
    #[error("character {position} of the division code is not a digit; expected only digits 0-9")]
    InvalidCharacter { position: usize },
    #[error(
        "province part `{found:02}` is not a province code; expected 11-82 (first digit 1-8, second 1-9)"
    )]
    InvalidProvince { found: u8 },
    #[error(
        "prefecture part is `00` but the code names a place below the province; expected a \
         prefecture part 01-99, or `PP0000` for the province itself"
    )]
    MissingPrefecture,
    #[error(
        "township part `{found:03}` is out of range; expected 001-599 (001-099 street office, \
         100-199 town, 200-399 township, 400-599 similar unit)"
    )]
    InvalidTownshipPart { found: u16 },
    #[error(
        "village part `{found:03}` is out of range; expected 001-599, or 000 for the township itself"
    )]
    InvalidVillagePart { found: u16 },
    #[error(
        "township part is `000` but the village part is not; a village code needs its \
         township's 001-599 part"
    )]
    VillageWithoutTownship,
}

impl DivisionCodeError {
    /// The message in Chinese, for the UI.
    pub fn message_zh(&self) -> String {
        match self {
            DivisionCodeError::WrongLength { found } => format!(
                "行政区划代码长度为{found}位，应为6位（省、市、县级）或12位（乡、村级）数字"
            ),
            DivisionCodeError::InvalidCharacter { position } => {
                format!("行政区划代码第{position}位不是数字，代码只能由数字0-9组成")
            }
            DivisionCodeError::InvalidProvince { found } => {
                format!("行政区划代码前两位“{found:02}”不是有效的省级代码，应为11-82")
            }
            DivisionCodeError::MissingPrefecture => {
                "行政区划代码第3-4位（地级代码）为00，但代码并非省级代码本身；省级以下代码的地级部分应为01-99"
                    .to_string()
            }
            DivisionCodeError::InvalidTownshipPart { found } => format!(
                "乡级代码“{found:03}”超出范围，应为001-599（001-099街道，100-199镇，200-399乡，400-599类似乡级单位）"
            ),
            DivisionCodeError::InvalidVillagePart { found } => {
                format!("村级代码“{found:03}”超出范围，应为001-599（000表示乡级单位本身）")
            }
            DivisionCodeError::VillageWithoutTownship => {
                "乡级代码为000而村级代码不为000：村级代码必须属于某个乡级单位（001-599）".to_string()
            }
        }
    }
}

/// The numeric value of an all-ASCII-digit slice (at most 3 digits are ever passed).
fn digits(s: &str) -> u16 {
    s.bytes().fold(0, |acc, b| acc * 10 + u16::from(b - b'0'))
}

impl DivisionCode {
    /// Parses a 6- or 12-digit code and normalizes it (see the module docs).
    ///
    /// The text is taken as given: surrounding whitespace is an error, the caller trims.
    pub fn parse(s: &str) -> Result<DivisionCode, DivisionCodeError> {
        let len = s.chars().count();
        if len != 6 && len != 12 {
            return Err(DivisionCodeError::WrongLength { found: len });
        }
        if let Some(i) = s.chars().position(|c| !c.is_ascii_digit()) {
            return Err(DivisionCodeError::InvalidCharacter { position: i + 1 });
        }
        // From here on `s` is ASCII, so byte ranges are character ranges.
        let (p1, p2) = (digits(&s[0..1]), digits(&s[1..2]));
        let pp = digits(&s[0..2]);
        if !(1..=8).contains(&p1) || p2 == 0 || pp > 82 {
            // pp < 100, so the narrowing cannot lose anything.
            return Err(DivisionCodeError::InvalidProvince { found: pp as u8 });
        }
        let canonical = if len == 12 {
            let (ttt, vvv) = (digits(&s[6..9]), digits(&s[9..12]));
            match (ttt, vvv) {
                (0, 0) => &s[..6],
                (0, _) => return Err(DivisionCodeError::VillageWithoutTownship),
                (600.., _) => return Err(DivisionCodeError::InvalidTownshipPart { found: ttt }),
                (_, 600..) => return Err(DivisionCodeError::InvalidVillagePart { found: vvv }),
                _ => s,
            }
        } else {
            s
        };
        // `PP00DD` and `PP0000TTTVVV` would hang a place directly below a province, which
        // GB/T 2260 never does (provincially administered counties use prefecture part 90).
        if &canonical[2..4] == "00" && &canonical[2..] != "0000" {
            return Err(DivisionCodeError::MissingPrefecture);
        }
        Ok(DivisionCode(canonical.to_string()))
    }

    /// The canonical code: 6 digits down to county level, 12 below.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level of the place this code names.
    pub fn level(&self) -> DivisionLevel {
        let s = self.as_str();
        if s.len() == 12 {
            if &s[9..] == "000" {
                DivisionLevel::Township
            } else {
                DivisionLevel::Village
            }
        } else if &s[2..] == "0000" {
            DivisionLevel::Province
        } else if &s[4..] == "00" {
            DivisionLevel::Prefecture
        } else {
            DivisionLevel::County
        }
    }

    /// The kind of township-level unit for a township or village code (the village's own
    /// township); `None` above township level.
    pub fn township_kind(&self) -> Option<TownshipKind> {
        let s = self.as_str();
        if s.len() == 12 {
            TownshipKind::from_part(digits(&s[6..9]))
        } else {
            None
        }
    }

    /// The division directly above: village → township, township → its 6-digit code,
    /// county → prefecture `PPCC00`, prefecture → province `PP0000`, province → `None`.
    ///
    /// A few prefecture-level cities have no counties and run townships directly (东莞
    /// 441900, 中山 442000, 儋州 460400, 嘉峪关 620200); their townships' parent is the
    /// prefecture code.
    pub fn parent(&self) -> Option<DivisionCode> {
        let s = self.as_str();
        let parent = match self.level() {
            DivisionLevel::Province => return None,
            DivisionLevel::Prefecture => format!("{}0000", &s[..2]),
            DivisionLevel::County => format!("{}00", &s[..4]),
            DivisionLevel::Township => s[..6].to_string(),
            DivisionLevel::Village => format!("{}000", &s[..9]),
        };
        Some(DivisionCode(parent))
    }

    /// The 6-digit county-level unit this code lies in (itself for a county); `None` for a
    /// province or prefecture, which span several counties.
    ///
    /// For the townships of a prefecture-level city without counties (东莞 441900 …) this
    /// is the city's code, which plays the county's role there.
    pub fn county(&self) -> Option<DivisionCode> {
        match self.level() {
            DivisionLevel::Province | DivisionLevel::Prefecture => None,
            DivisionLevel::County => Some(self.clone()),
            DivisionLevel::Township | DivisionLevel::Village => {
                Some(DivisionCode(self.county_prefix().to_string()))
            }
        }
    }

    /// The first 6 digits: the partition key that starts every table's primary key.
    pub fn county_prefix(&self) -> &str {
        &self.0[..6]
    }

    /// The significant prefix that this place and all its descendants share and nothing
    /// else does: province 2 digits, prefecture 4, county 6, township 9, village 12.
    /// Useful for `LIKE 'prefix%'` range queries over canonical codes.
    pub fn scope_prefix(&self) -> &str {
        let n = match self.level() {
            DivisionLevel::Province => 2,
            DivisionLevel::Prefecture => 4,
            DivisionLevel::County => 6,
            DivisionLevel::Township => 9,
            DivisionLevel::Village => 12,
        };
        &self.0[..n]
    }

    /// Whether `other` is this place or lies within it (a descendant at any depth).
    pub fn contains(&self, other: &DivisionCode) -> bool {
        // Sound because both are canonical: a descendant's canonical code always starts
        // with the ancestor's scope prefix, and no other code does.
        other.as_str().starts_with(self.scope_prefix())
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl FromStr for DivisionCode {
    type Err = DivisionCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DivisionCode::parse(s)
    }
}

impl TryFrom<String> for DivisionCode {
    type Error = DivisionCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        DivisionCode::parse(&s)
    }
}

impl TryFrom<&str> for DivisionCode {
    type Error = DivisionCodeError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        DivisionCode::parse(s)
    }
}

impl From<DivisionCode> for String {
    fn from(code: DivisionCode) -> String {
        code.0
    }
}

impl AsRef<str> for DivisionCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> DivisionCode {
        DivisionCode::parse(s).unwrap()
    }

    #[test]
    fn levels_of_seed_places() {
        assert_eq!(code("640000").level(), DivisionLevel::Province);
        assert_eq!(code("370900").level(), DivisionLevel::Prefecture);
        assert_eq!(code("640181").level(), DivisionLevel::County);
        assert_eq!(code("650205").level(), DivisionLevel::County);
        assert_eq!(code("330212").level(), DivisionLevel::County);
        assert_eq!(code("511526").level(), DivisionLevel::County);
        assert_eq!(code("640181101000").level(), DivisionLevel::Township);
        assert_eq!(code("640181101201").level(), DivisionLevel::Village);
        assert_eq!(DivisionLevel::Village.name_zh(), "村级");
        assert_eq!(DivisionLevel::Province.name_zh(), "省级");
        assert!(DivisionLevel::Province.is_above(DivisionLevel::Prefecture));
        assert!(!DivisionLevel::Village.is_above(DivisionLevel::Village));
    }

    #[test]
    fn twelve_digits_ending_in_zeros_normalize_to_six() {
        let c = code("640181000000");
        assert_eq!(c.as_str(), "640181");
        assert_eq!(c, code("640181"));
        assert_eq!(code("370900000000").as_str(), "370900");
        assert_eq!(code("640000000000").level(), DivisionLevel::Province);
        assert_eq!(code("640181101000").as_str(), "640181101000");
    }

    #[test]
    fn wrong_length() {
        assert_eq!(
            DivisionCode::parse(""),
            Err(DivisionCodeError::WrongLength { found: 0 })
        );
        assert_eq!(
            DivisionCode::parse("64018"),
            Err(DivisionCodeError::WrongLength { found: 5 })
        );
        assert_eq!(
            DivisionCode::parse("640181101"),
            Err(DivisionCodeError::WrongLength { found: 9 })
        );
        // Characters, not bytes.
        assert_eq!(
            DivisionCode::parse("灵武市"),
            Err(DivisionCodeError::WrongLength { found: 3 })
        );
        assert_eq!(
            DivisionCode::parse(" 640181"),
            Err(DivisionCodeError::WrongLength { found: 7 })
        );
        let e = DivisionCodeError::WrongLength { found: 5 };
        assert!(e.to_string().contains("5 characters"));
        assert!(e.message_zh().contains('5'));
    }

    #[test]
    fn invalid_character() {
        assert_eq!(
            DivisionCode::parse("6401a1"),
            Err(DivisionCodeError::InvalidCharacter { position: 5 })
        );
        assert_eq!(
            DivisionCode::parse("六40181"),
            Err(DivisionCodeError::InvalidCharacter { position: 1 })
        );
        assert_eq!(
            DivisionCode::parse("640181 01000"),
            Err(DivisionCodeError::InvalidCharacter { position: 7 })
        );
        assert_eq!(
            DivisionCode::parse("６４０１８１"),
            Err(DivisionCodeError::InvalidCharacter { position: 1 })
        );
    }

    #[test]
    fn invalid_province() {
        for s in [
            "000000",
            "010000",
            "900000",
            "100000",
            "830000",
            "890000",
            "600000",
            "000000101000",
        ] {
            assert!(
                matches!(
                    DivisionCode::parse(s),
                    Err(DivisionCodeError::InvalidProvince { .. })
                ),
                "{s}"
            );
        }
        assert_eq!(
            DivisionCode::parse("910101"),
            Err(DivisionCodeError::InvalidProvince { found: 91 })
        );
        let e = DivisionCodeError::InvalidProvince { found: 9 };
        assert!(e.to_string().contains("`09`"));
        assert!(e.message_zh().contains("09"));
        // The extremes that are valid.
        assert!(DivisionCode::parse("110000").is_ok());
        assert!(DivisionCode::parse("820000").is_ok());
    }

    #[test]
    fn missing_prefecture() {
        assert_eq!(
            DivisionCode::parse("640001"),
            Err(DivisionCodeError::MissingPrefecture)
        );
        assert_eq!(
            DivisionCode::parse("640000101000"),
            Err(DivisionCodeError::MissingPrefecture)
        );
        // Provincially administered county-level city (仙桃市).
        assert_eq!(code("429004").level(), DivisionLevel::County);
    }

    #[test]
    fn township_and_village_parts() {
        assert_eq!(
            DivisionCode::parse("640181600000"),
            Err(DivisionCodeError::InvalidTownshipPart { found: 600 })
        );
        assert_eq!(
            DivisionCode::parse("640181999201"),
            Err(DivisionCodeError::InvalidTownshipPart { found: 999 })
        );
        assert_eq!(
            DivisionCode::parse("640181101600"),
            Err(DivisionCodeError::InvalidVillagePart { found: 600 })
        );
        assert_eq!(
            DivisionCode::parse("640181000201"),
            Err(DivisionCodeError::VillageWithoutTownship)
        );
        assert!(DivisionCode::parse("640181599599").is_ok());
        assert!(DivisionCode::parse("640181001001").is_ok());
        let e = DivisionCodeError::InvalidTownshipPart { found: 7 };
        assert!(e.to_string().contains("`007`") && e.to_string().contains("001-599"));
        assert!(e.message_zh().contains("001-599"));
        let e = DivisionCodeError::InvalidVillagePart { found: 650 };
        assert!(e.to_string().contains("`650`") && e.to_string().contains("001-599"));
        assert!(
            !DivisionCodeError::VillageWithoutTownship
                .message_zh()
                .is_empty()
        );
        assert!(!DivisionCodeError::MissingPrefecture.message_zh().is_empty());
        assert!(
            DivisionCodeError::InvalidCharacter { position: 3 }
                .message_zh()
                .contains('3')
        );
    }

    #[test]
    fn township_kinds() {
        assert_eq!(
            code("640181001000").township_kind(),
            Some(TownshipKind::Street)
        );
        assert_eq!(
            code("640181099000").township_kind(),
            Some(TownshipKind::Street)
        );
        assert_eq!(
            code("640181101000").township_kind(),
            Some(TownshipKind::Town)
        );
        assert_eq!(
            code("640181200000").township_kind(),
            Some(TownshipKind::Township)
        );
        assert_eq!(
            code("640181399000").township_kind(),
            Some(TownshipKind::Township)
        );
        assert_eq!(
            code("640181400000").township_kind(),
            Some(TownshipKind::Other)
        );
        assert_eq!(
            code("640181599201").township_kind(),
            Some(TownshipKind::Other)
        );
        assert_eq!(code("640181").township_kind(), None);
        assert_eq!(code("640000").township_kind(), None);
        assert_eq!(TownshipKind::Street.name_zh(), "街道");
        assert_eq!(TownshipKind::Other.name_zh(), "其他乡级单位");
    }

    #[test]
    fn parents() {
        let chain = ["640181101201", "640181101000", "640181", "640100", "640000"];
        for pair in chain.windows(2) {
            assert_eq!(code(pair[0]).parent(), Some(code(pair[1])));
        }
        assert_eq!(code("640000").parent(), None);
        // A township of 东莞, a prefecture-level city without counties.
        assert_eq!(code("441900003000").parent(), Some(code("441900")));
        assert_eq!(code("441900003000").county(), Some(code("441900")));
    }

    #[test]
    fn county_and_prefixes() {
        assert_eq!(code("640181101201").county(), Some(code("640181")));
        assert_eq!(code("640181101000").county(), Some(code("640181")));
        assert_eq!(code("640181").county(), Some(code("640181")));
        assert_eq!(code("370900").county(), None);
        assert_eq!(code("370000").county(), None);
        assert_eq!(code("640181101201").county_prefix(), "640181");
        assert_eq!(code("370900").county_prefix(), "370900");
        assert_eq!(code("370000").scope_prefix(), "37");
        assert_eq!(code("370900").scope_prefix(), "3709");
        assert_eq!(code("370902").scope_prefix(), "370902");
        assert_eq!(code("370902001000").scope_prefix(), "370902001");
        assert_eq!(code("370902001002").scope_prefix(), "370902001002");
    }

    #[test]
    fn containment() {
        let taian = code("370900");
        for c in [
            "370902",
            "370911",
            "370921",
            "370923",
            "370982",
            "370983",
            "370902001000",
            "370900",
        ] {
            assert!(taian.contains(&code(c)), "{c}");
        }
        assert!(!taian.contains(&code("370000")));
        assert!(!taian.contains(&code("370800")));
        assert!(!taian.contains(&code("640181")));
        let lingwu = code("640181");
        assert!(lingwu.contains(&code("640181101000")));
        assert!(lingwu.contains(&code("640181101201")));
        assert!(!lingwu.contains(&code("640100")));
        assert!(!lingwu.contains(&code("640182101000")));
        assert!(code("640000").contains(&code("640181101201")));
        assert!(!code("640000").contains(&code("650205")));
        let town = code("640181101000");
        assert!(town.contains(&code("640181101201")));
        assert!(!town.contains(&code("640181")));
        assert!(!town.contains(&code("640181102201")));
        let village = code("640181101201");
        assert!(village.contains(&village));
        assert!(!village.contains(&town));
    }

    #[test]
    fn string_conversions_and_serde() {
        let c: DivisionCode = "640181101201".parse().unwrap();
        assert_eq!(c.to_string(), "640181101201");
        assert_eq!(format!("{c:>14}"), "  640181101201");
        assert_eq!(
            DivisionCode::try_from("640181".to_string()),
            Ok(code("640181"))
        );
        assert_eq!(String::from(code("640181")), "640181");
        assert!(code("370900") < code("370902"));
        assert!(code("370902") < code("370902001000"));
        assert!(code("370902001000") < code("370911"));
    }

    #[test]
    fn serde_rejects_invalid_codes() {
        use serde::de::IntoDeserializer;
        use serde::de::value::Error;
        let ok =
            DivisionCode::deserialize(IntoDeserializer::<Error>::into_deserializer("640181000000"));
        assert_eq!(ok, Ok(code("640181")));
        let bad =
            DivisionCode::deserialize(IntoDeserializer::<Error>::into_deserializer("640181600000"));
        assert!(bad.unwrap_err().to_string().contains("001-599"));
    }
}
