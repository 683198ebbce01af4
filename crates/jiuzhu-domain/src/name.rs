//! 姓名 person names, and their masked form for 公示 public notices.
//!
//! Names come from forms, ID-card readers and spreadsheets, and end up in official
//! documents, so they are checked once on the way in: Han names in 汉字 (including the rare
//! characters of the CJK extensions, which people really are named with), minority and
//! foreign names in transliteration with the 间隔号 middle dot `·` (买买提·艾力), and names in
//! Latin letters.
//!
//! A public notice may show a household head's name only masked (DOMAIN §8, §10), and a
//! `{:?}` in a log line must not spell a name out either, so `Debug` prints the masked form.
//! `Display` prints the full name, which staff pages and documents need.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The most characters a name may have. Transliterated minority names with several parts
/// are long, 50 leaves room for all of them.
pub const MAX_NAME_CHARS: usize = 50;

/// The 间隔号 middle dot between the parts of a transliterated name (U+00B7).
const MIDDLE_DOT: char = '·';

/// Two-character 复姓 compound surnames, which masking keeps whole (simplified and
/// traditional spellings).
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "令狐", "端木", "独孤", "南宫", "西门", "百里", "呼延", "轩辕", "申屠", "太史", "澹台",
    "公羊", "闻人", "东郭", "万俟", // traditional spellings of those that differ:
    "歐陽", "司馬", "諸葛", "東方", "長孫", "獨孤", "南宮", "軒轅", "聞人", "東郭", "萬俟",
];

/// 姓名 a person's name, trimmed, checked and with its middle dots normalized.
///
/// Build it with [`PersonName::parse`], [`FromStr`] or `TryFrom<String>`; serde reads and
/// writes the full name and rejects invalid input.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

/// Why a text is not a person's name. Never carries the text itself: names are personal
/// data and errors end up in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PersonNameError {
    #[error("the name is empty; enter the name as written on the identity card")]
    Empty,
    #[error("the name is longer than {max} characters; enter it as written on the identity card")]
    TooLong { max: usize },
    #[error(
        "character {position} of the name is not allowed; a name consists of Chinese \
         characters or Latin letters, with a middle dot (·) between the parts of a \
         transliterated name or single spaces between Latin words, and starts and ends with a \
         letter (no digits or other punctuation)"
    )]
    InvalidCharacter { position: usize },
}

impl PersonNameError {
    /// The message in Chinese, for the UI.
    pub fn message_zh(&self) -> String {
        match self {
            PersonNameError::Empty => "姓名不能为空，请按身份证填写".to_string(),
            PersonNameError::TooLong { max } => {
                format!("姓名超过{max}个字符，请按身份证填写")
            }
            PersonNameError::InvalidCharacter { position } => format!(
                "姓名第{position}个字符无效：姓名只能由汉字或拉丁字母组成，少数民族或外国人姓名各部分之间用间隔号“·”，\
                 拉丁字母单词之间用单个空格，首尾须为文字，不能含数字或其他标点"
            ),
        }
    }
}

/// 汉字 CJK unified ideographs: the basic block and extensions A to J. Compatibility
/// ideographs are left out: they are duplicates that would make one name two strings.
fn is_ideograph(c: char) -> bool {
    matches!(
        u32::from(c),
        0x3400..=0x4DBF        // extension A
            | 0x4E00..=0x9FFF  // unified ideographs
            | 0x20000..=0x2A6DF // extension B
            | 0x2A700..=0x2EE5F // extensions C, D, E, F, I
            | 0x30000..=0x3347F // extensions G, H, J
    )
}

/// A character that is part of a word: an ideograph or a Latin letter.
fn is_letter(c: char) -> bool {
    is_ideograph(c) || c.is_ascii_alphabetic()
}

/// Input methods and card readers produce several look-alike dots; store one.
fn normalize(c: char) -> char {
    match c {
        '\u{2022}' // • bullet
        | '\u{30FB}' // ・ katakana middle dot (Japanese IMEs)
        | '\u{FF65}' // ･ halfwidth katakana middle dot
        | '\u{2027}' // ‧ hyphenation point (traditional-Chinese IMEs)
        => MIDDLE_DOT,
        other => other,
    }
}

impl PersonName {
    /// Parses a name: trims surrounding whitespace, normalizes middle dots (`•` → `·`) and
    /// checks length and characters (see [`PersonNameError`]).
    ///
    /// Error positions count characters of `s` as given, leading whitespace included, so
    /// they point at what the user typed.
    pub fn parse(s: &str) -> Result<PersonName, PersonNameError> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(PersonNameError::Empty);
        }
        let chars: Vec<char> = trimmed.chars().map(normalize).collect();
        if chars.len() > MAX_NAME_CHARS {
            return Err(PersonNameError::TooLong {
                max: MAX_NAME_CHARS,
            });
        }
        let leading = s.chars().count() - s.trim_start().chars().count();
        for (i, &c) in chars.iter().enumerate() {
            let prev = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
            let next = chars.get(i + 1).copied();
            let allowed = if is_letter(c) {
                true
            } else if c == MIDDLE_DOT {
                prev.is_some_and(is_letter) && next.is_some_and(is_letter)
            } else if c == ' ' {
                let latin = |x: Option<char>| x.is_some_and(|x| x.is_ascii_alphabetic());
                latin(prev) && latin(next)
            } else {
                false
            };
            if !allowed {
                return Err(PersonNameError::InvalidCharacter {
                    position: leading + i + 1,
                });
            }
        }
        Ok(PersonName(chars.into_iter().collect()))
    }

    /// The full name, for storage, staff pages and documents.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The leading part of the name that [`PersonName::masked`] keeps.
    ///
    /// For a Han name this is the 姓 surname: one character, or two for a 复姓 compound
    /// surname (欧阳娜娜 → 欧阳) when a given name follows (a two-character 欧阳 is read as
    /// 欧 + 阳). Names written with a middle dot (买买提·艾力: given name first, no family
    /// name) and Latin names have no surname that can be told from the text, so this is
    /// their first character.
    pub fn surname(&self) -> &str {
        let s = self.as_str();
        let mut chars = s.char_indices();
        let first_end = chars.next().map_or(0, |(_, c)| c.len_utf8());
        let end = match (chars.next(), chars.next()) {
            // At least three characters and a compound surname in front.
            (Some((second, c2)), Some(_))
                if !s.contains(MIDDLE_DOT)
                    && COMPOUND_SURNAMES
                        .iter()
                        .any(|compound| s.starts_with(compound)) =>
            {
                second + c2.len_utf8()
            }
            _ => first_end,
        };
        &s[..end]
    }

    /// The name as a 公示 public notice may show it: the [`surname`](PersonName::surname)
    /// kept, every other letter or ideograph replaced by `*`, middle dots and spaces kept,
    /// so the length still shows: 张三 → 张*, 欧阳娜娜 → 欧阳**, 买买提·艾力 → 买**·**,
    /// Anna Li → A*** **. A one-character name masks to `*` entirely.
    pub fn masked(&self) -> String {
        let letters = self.0.chars().filter(|&c| is_letter(c)).count();
        let keep = if letters <= 1 {
            0
        } else {
            self.surname().chars().count()
        };
        self.0
            .chars()
            .enumerate()
            .map(|(i, c)| if i >= keep && is_letter(c) { '*' } else { c })
            .collect()
    }
}

/// The full name (staff pages and documents need it).
impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// The masked form, so that a name in a log line is not spelled out.
impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PersonName").field(&self.masked()).finish()
    }
}

impl FromStr for PersonName {
    type Err = PersonNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PersonName::parse(s)
    }
}

impl TryFrom<String> for PersonName {
    type Error = PersonNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        PersonName::parse(&s)
    }
}

impl From<PersonName> for String {
    fn from(name: PersonName) -> String {
        name.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> PersonName {
        PersonName::parse(s).unwrap()
    }

    fn masked(s: &str) -> String {
        name(s).masked()
    }

    #[test]
    fn parses_and_trims() {
        assert_eq!(name("张三").as_str(), "张三");
        assert_eq!(name("  王小明\t").as_str(), "王小明");
        assert_eq!(name("\u{3000}李四\u{3000}").as_str(), "李四");
        assert_eq!(name("买买提·艾力").as_str(), "买买提·艾力");
        assert_eq!(name("买买提•艾力").as_str(), "买买提·艾力");
        assert_eq!(name("买买提・艾力").as_str(), "买买提·艾力");
        assert_eq!(name("Anna Li").as_str(), "Anna Li");
        assert_eq!(name("A").as_str(), "A");
        assert_eq!(name("张").as_str(), "张");
        // Extension A (㐀) and extension B (𠀀) ideographs.
        assert_eq!(name("王㐀").as_str(), "王㐀");
        assert_eq!(name("李𠀀𪚥").as_str(), "李𠀀𪚥");
        assert_eq!(
            name(&"阿".repeat(MAX_NAME_CHARS)).as_str().chars().count(),
            MAX_NAME_CHARS
        );
    }

    #[test]
    fn empty() {
        assert_eq!(PersonName::parse(""), Err(PersonNameError::Empty));
        assert_eq!(
            PersonName::parse(" \t\u{3000} "),
            Err(PersonNameError::Empty)
        );
        assert!(PersonNameError::Empty.message_zh().contains("不能为空"));
    }

    #[test]
    fn too_long() {
        let long = "阿".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(
            PersonName::parse(&long),
            Err(PersonNameError::TooLong { max: 50 })
        );
        let e = PersonNameError::TooLong { max: 50 };
        assert!(e.to_string().contains("50") && e.message_zh().contains("50"));
    }

    #[test]
    fn invalid_characters() {
        let cases = [
            ("张3", 2),
            ("张三1", 3),
            ("张,三", 2),
            ("张-三", 2),
            ("张 三", 2),    // spaces only between Latin words
            ("Anna  Li", 5), // a single space
            ("Anna Li!", 8),
            ("·艾力", 1), // must start with a letter
            ("艾力·", 3), // and end with one
            ("买买提··艾力", 4),
            ("Anna· Li", 5),
            ("  张3", 4), // positions count the input as typed
            ("张\u{0}三", 2),
            ("张\n三", 2),
            ("Jos\u{e9}", 4),  // Latin letters are ASCII only
            ("张\u{F900}", 2), // compatibility ideograph
            ("张〇", 2),
        ];
        for (input, position) in cases {
            assert_eq!(
                PersonName::parse(input),
                Err(PersonNameError::InvalidCharacter { position }),
                "{input:?}"
            );
        }
        let e = PersonNameError::InvalidCharacter { position: 2 };
        assert!(e.to_string().contains("character 2"));
        assert!(e.message_zh().contains("第2个字符"));
    }

    #[test]
    fn masking() {
        assert_eq!(masked("张三"), "张*");
        assert_eq!(masked("王小明"), "王**");
        assert_eq!(masked("欧阳娜娜"), "欧阳**");
        assert_eq!(masked("诸葛亮"), "诸葛*");
        assert_eq!(masked("歐陽修"), "歐陽*");
        assert_eq!(masked("欧阳"), "欧*");
        assert_eq!(masked("买买提·艾力"), "买**·**");
        assert_eq!(masked("张"), "*");
        assert_eq!(masked("A"), "*");
        assert_eq!(masked("Anna Li"), "A*** **");
        assert_eq!(masked("阿依古丽·买买提·吐尔逊"), "阿***·***·***");
    }

    #[test]
    fn surnames() {
        assert_eq!(name("张三").surname(), "张");
        assert_eq!(name("欧阳娜娜").surname(), "欧阳");
        assert_eq!(name("欧阳").surname(), "欧");
        assert_eq!(name("欧阳·娜娜").surname(), "欧");
        assert_eq!(name("买买提·艾力").surname(), "买");
        assert_eq!(name("Anna Li").surname(), "A");
        assert_eq!(name("𠀀三").surname(), "𠀀");
    }

    #[test]
    fn debug_masks_display_does_not() {
        let n = name("王小明");
        assert_eq!(format!("{n:?}"), "PersonName(\"王**\")");
        assert_eq!(format!("{n}"), "王小明");
        let e = PersonName::parse("王小明3").unwrap_err();
        for shown in [e.to_string(), format!("{e:?}"), e.message_zh()] {
            assert!(!shown.contains("小明"), "{shown}");
        }
    }

    #[test]
    fn string_conversions_and_serde() {
        use serde::de::IntoDeserializer;
        use serde::de::value::Error;
        assert_eq!(PersonName::try_from(" 张三 ".to_string()), Ok(name("张三")));
        assert_eq!("张三".parse::<PersonName>(), Ok(name("张三")));
        assert_eq!(String::from(name("张三")), "张三");
        let de =
            PersonName::deserialize(IntoDeserializer::<Error>::into_deserializer("买买提•艾力"));
        assert_eq!(de, Ok(name("买买提·艾力")));
        let bad = PersonName::deserialize(IntoDeserializer::<Error>::into_deserializer("张3"));
        assert!(bad.is_err());
    }
}
