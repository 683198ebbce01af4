//! Serde adapters for the profile format: TOML dates, amounts in yuan, township sets.

use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::TownshipSet;
use crate::{DivisionCode, Fen};

/// Reads a TOML date (`2020-05-01`) or the same as a string; writes a string (JSON has no
/// dates, and TOML reads it back through the string branch).
pub(super) mod date {
    use super::*;

    struct DateVisitor;

    impl<'de> Visitor<'de> for DateVisitor {
        type Value = NaiveDate;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a date such as 2020-05-01")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<NaiveDate, E> {
            NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                E::custom(format!(
                    "`{v}` is not a date; write a date without time, e.g. 2020-05-01"
                ))
            })
        }

        // A native TOML date arrives as a one-entry map holding its text.
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NaiveDate, A::Error> {
            let Some(_) = map.next_key::<String>()? else {
                return Err(de::Error::custom("expected a date such as 2020-05-01"));
            };
            let text: String = map.next_value()?;
            self.visit_str(&text)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        d.deserialize_any(DateVisitor)
    }

    pub fn serialize<S: Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&date.format("%Y-%m-%d").to_string())
    }
}

pub(super) mod date_opt {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        date::deserialize(d).map(Some)
    }

    pub fn serialize<S: Serializer>(date: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(d) => date::serialize(d, s),
            None => s.serialize_none(),
        }
    }
}

fn parse_yuan<E: de::Error>(text: &str) -> Result<Fen, E> {
    Fen::parse_yuan(text).map_err(|e| {
        E::custom(format!(
            "`{text}` is not an amount in yuan ({e}); write it as a string, e.g. \"3000.00\""
        ))
    })
}

/// Amounts are written as yuan strings (`"3000.00"`): never a float, and fen exact.
pub(super) mod yuan {
    use super::*;

    struct YuanVisitor;

    impl Visitor<'_> for YuanVisitor {
        type Value = Fen;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an amount in yuan as a string, e.g. \"3000.00\"")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Fen, E> {
            parse_yuan(v)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fen, D::Error> {
        d.deserialize_str(YuanVisitor)
    }

    pub fn serialize<S: Serializer>(amount: &Fen, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&amount.to_string())
    }
}

pub(super) mod yuan_opt {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Fen>, D::Error> {
        yuan::deserialize(d).map(Some)
    }

    pub fn serialize<S: Serializer>(amount: &Option<Fen>, s: S) -> Result<S::Ok, S::Error> {
        match amount {
            Some(a) => yuan::serialize(a, s),
            None => s.serialize_none(),
        }
    }
}

/// Prefix of an error raised for one item of a list: toml gives such errors the span of
/// the whole list, so the item's index travels in the message and the loader moves it into
/// the key path (`townships[3]`).
pub(super) const ITEM_PREFIX: &str = "item ";

/// Splits `item 3: reason` into `(3, "reason")`.
pub(super) fn split_item(message: &str) -> Option<(usize, &str)> {
    let rest = message.strip_prefix(ITEM_PREFIX)?;
    let (index, reason) = rest.split_once(": ")?;
    Some((index.parse().ok()?, reason))
}

fn codes_from_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Vec<DivisionCode>, A::Error> {
    let mut codes = Vec::new();
    while let Some(text) = seq
        .next_element::<String>()
        .map_err(|e| de::Error::custom(format!("{ITEM_PREFIX}{}: {e}", codes.len())))?
    {
        let code = DivisionCode::parse(&text).map_err(|e| {
            de::Error::custom(format!("{ITEM_PREFIX}{}: `{text}`: {e}", codes.len()))
        })?;
        codes.push(code);
    }
    Ok(codes)
}

/// A list of division codes, with the index of a bad one in the error.
pub(super) mod codes {
    use super::*;

    struct CodesVisitor;

    impl<'de> Visitor<'de> for CodesVisitor {
        type Value = Vec<DivisionCode>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of division codes, e.g. [\"511526\"]")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Vec<DivisionCode>, A::Error> {
            codes_from_seq(seq)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<DivisionCode>, D::Error> {
        d.deserialize_seq(CodesVisitor)
    }

    pub fn serialize<S: Serializer>(codes: &[DivisionCode], s: S) -> Result<S::Ok, S::Error> {
        codes.serialize(s)
    }
}

impl Serialize for TownshipSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TownshipSet::All => s.serialize_str("all"),
            TownshipSet::Listed(codes) => {
                let mut seq = s.serialize_seq(Some(codes.len()))?;
                for code in codes {
                    seq.serialize_element(code)?;
                }
                seq.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for TownshipSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TownshipSet, D::Error> {
        struct SetVisitor;

        impl<'de> Visitor<'de> for SetVisitor {
            type Value = TownshipSet;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"all\" or a list of 12-digit township codes")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<TownshipSet, E> {
                if v == "all" {
                    Ok(TownshipSet::All)
                } else {
                    Err(E::custom(format!(
                        "`{v}`: write \"all\" or a list of 12-digit township codes, e.g. [\"511526101000\"]"
                    )))
                }
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<TownshipSet, A::Error> {
                codes_from_seq(seq).map(TownshipSet::Listed)
            }
        }

        d.deserialize_any(SetVisitor)
    }
}
