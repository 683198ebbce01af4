//! 家庭 households and their members' relation to the head of household.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// 与户主关系 a member's relation to the head of household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// 户主
    Head,
    /// 配偶
    Spouse,
    /// 子女
    Child,
    /// 父母
    Parent,
    /// 兄弟姐妹
    Sibling,
    /// 孙子女
    Grandchild,
    /// 祖父母
    Grandparent,
    /// 其他共同生活的家庭成员
    Other,
}

impl Relation {
    pub const ALL: [Relation; 8] = [
        Relation::Head,
        Relation::Spouse,
        Relation::Child,
        Relation::Parent,
        Relation::Sibling,
        Relation::Grandchild,
        Relation::Grandparent,
        Relation::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Head => "head",
            Relation::Spouse => "spouse",
            Relation::Child => "child",
            Relation::Parent => "parent",
            Relation::Sibling => "sibling",
            Relation::Grandchild => "grandchild",
            Relation::Grandparent => "grandparent",
            Relation::Other => "other",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Relation::Head => "户主",
            Relation::Spouse => "配偶",
            Relation::Child => "子女",
            Relation::Parent => "父母",
            Relation::Sibling => "兄弟姐妹",
            Relation::Grandchild => "孙子女",
            Relation::Grandparent => "祖父母",
            Relation::Other => "其他",
        }
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown relation `{0}`; expected head, spouse, child, parent, sibling, grandchild, grandparent or other (or 户主/配偶/子女/父母/兄弟姐妹/孙子女/祖父母/其他)"
)]
pub struct UnknownRelation(pub String);

impl FromStr for Relation {
    type Err = UnknownRelation;
    /// Accepts the English machine name or the Chinese name.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Relation::ALL
            .into_iter()
            .find(|r| r.as_str() == s || r.name_zh() == s)
            .ok_or_else(|| UnknownRelation(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_languages() {
        assert_eq!("户主".parse::<Relation>(), Ok(Relation::Head));
        assert_eq!("spouse".parse::<Relation>(), Ok(Relation::Spouse));
        assert!("邻居".parse::<Relation>().is_err());
    }
}
