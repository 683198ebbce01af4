//! 救助项目 the assistance programs a county can delegate (DOMAIN.md §2).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// 救助项目 an assistance program. The machine names (`dibao`, `tekun`, …) are the keys used
/// in procedure profiles, the database and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Program {
    /// 城乡最低生活保障 (低保) minimum living allowance.
    Dibao,
    /// 特困人员救助供养 extreme-poverty support.
    Tekun,
    /// 临时救助 temporary assistance (急难型 emergency and 支出型 expenditure).
    Linshi,
    /// 低收入家庭认定 low-income household recognition (a status, no money).
    Dishouru,
    /// 高龄低收入老人津贴 allowance for low-income elderly.
    Gaoling,
    /// 残疾人两项补贴 living subsidy for poor disabled and nursing subsidy for severely disabled.
    Canji,
}

impl Program {
    pub const ALL: [Program; 6] = [
        Program::Dibao,
        Program::Tekun,
        Program::Linshi,
        Program::Dishouru,
        Program::Gaoling,
        Program::Canji,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Program::Dibao => "dibao",
            Program::Tekun => "tekun",
            Program::Linshi => "linshi",
            Program::Dishouru => "dishouru",
            Program::Gaoling => "gaoling",
            Program::Canji => "canji",
        }
    }

    /// Short Chinese name for lists and notices.
    pub fn name_zh(self) -> &'static str {
        match self {
            Program::Dibao => "最低生活保障",
            Program::Tekun => "特困人员救助供养",
            Program::Linshi => "临时救助",
            Program::Dishouru => "低收入家庭认定",
            Program::Gaoling => "高龄津贴",
            Program::Canji => "残疾人两项补贴",
        }
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown program `{0}`; expected dibao, tekun, linshi, dishouru, gaoling or canji")]
pub struct UnknownProgram(pub String);

impl FromStr for Program {
    type Err = UnknownProgram;
    /// Accepts the machine name or the Chinese name.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Program::ALL
            .into_iter()
            .find(|p| p.as_str() == s || p.name_zh() == s)
            .ok_or_else(|| UnknownProgram(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roundtrip() {
        for p in Program::ALL {
            assert_eq!(p.as_str().parse::<Program>(), Ok(p));
            assert_eq!(p.name_zh().parse::<Program>(), Ok(p));
        }
        assert!("welfare".parse::<Program>().is_err());
    }
}
