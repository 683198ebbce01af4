//! 角色 roles of jiuzhu's users and the jurisdiction level each one works at.
//!
//! The rule of the delegated procedure is 谁受理、谁审核、谁确认、谁负责: every step names the
//! accountable official, so every account has exactly one role and one jurisdiction.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{DivisionCode, DivisionLevel};

/// 角色 a user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 县级民政局管理员: grants delegation, manages accounts and standards.
    CountyAdmin,
    /// 县级监督/审计: filing review, spot checks; reads everything in the county.
    CountySupervisor,
    /// 县级核对中心核对员: household economic status checks (核对).
    CountyVerifier,
    /// 财政/资金经办: rosters and payments.
    FinanceOfficer,
    /// 乡镇经办人: intake, investigation.
    TownshipCaseworker,
    /// 乡镇审核人: review opinion.
    TownshipReviewer,
    /// 乡镇负责人或授权签批人: confirmation (确认/签批) where delegated.
    TownshipHead,
    /// 村(居)协理员: proactive discovery, application on behalf, visits.
    VillageAssistant,
}

/// The jurisdiction tier at which a role works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// 县级 (a county, or a prefecture/province above several counties, e.g. 泰安市).
    County,
    /// 乡级 (a township or street office).
    Township,
    /// 村级 (a village or residents' committee).
    Village,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::CountyAdmin,
        Role::CountySupervisor,
        Role::CountyVerifier,
        Role::FinanceOfficer,
        Role::TownshipCaseworker,
        Role::TownshipReviewer,
        Role::TownshipHead,
        Role::VillageAssistant,
    ];

    /// Stable machine name (stored in the database and used on the CLI).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::CountyAdmin => "county_admin",
            Role::CountySupervisor => "county_supervisor",
            Role::CountyVerifier => "county_verifier",
            Role::FinanceOfficer => "finance_officer",
            Role::TownshipCaseworker => "township_caseworker",
            Role::TownshipReviewer => "township_reviewer",
            Role::TownshipHead => "township_head",
            Role::VillageAssistant => "village_assistant",
        }
    }

    /// Chinese name shown in the UI.
    pub fn name_zh(self) -> &'static str {
        match self {
            Role::CountyAdmin => "县级民政管理员",
            Role::CountySupervisor => "县级监督审计员",
            Role::CountyVerifier => "县级核对员",
            Role::FinanceOfficer => "财务人员",
            Role::TownshipCaseworker => "乡镇经办人",
            Role::TownshipReviewer => "乡镇审核人",
            Role::TownshipHead => "乡镇签批人",
            Role::VillageAssistant => "村(居)协理员",
        }
    }

    pub fn tier(self) -> Tier {
        match self {
            Role::CountyAdmin
            | Role::CountySupervisor
            | Role::CountyVerifier
            | Role::FinanceOfficer => Tier::County,
            Role::TownshipCaseworker | Role::TownshipReviewer | Role::TownshipHead => {
                Tier::Township
            }
            Role::VillageAssistant => Tier::Village,
        }
    }

    /// Whether an account of this role may be attached to `division`.
    /// County-tier roles sit at a county or above (a prefecture such as 泰安市 supervises
    /// its six counties); township roles at a township; village assistants at a village.
    pub fn fits(self, division: &DivisionCode) -> bool {
        let level = division.level();
        match self.tier() {
            Tier::County => matches!(
                level,
                DivisionLevel::County | DivisionLevel::Prefecture | DivisionLevel::Province
            ),
            Tier::Township => level == DivisionLevel::Township,
            Tier::Village => level == DivisionLevel::Village,
        }
    }

    /// Roles allowed to register households (intake) in their jurisdiction.
    pub fn may_register_households(self) -> bool {
        matches!(
            self,
            Role::TownshipCaseworker | Role::VillageAssistant | Role::CountyAdmin
        )
    }

    /// Roles whose work needs the full identity numbers of a household (intake at the
    /// window, the economic check, the county's administration); every view is recorded.
    pub fn may_view_id_numbers(self) -> bool {
        matches!(
            self,
            Role::TownshipCaseworker | Role::CountyVerifier | Role::CountyAdmin
        )
    }

    /// Roles allowed to manage accounts within their jurisdiction.
    pub fn may_manage_users(self) -> bool {
        self == Role::CountyAdmin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of the role names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role `{0}`; expected one of: county_admin, county_supervisor, county_verifier, finance_officer, township_caseworker, township_reviewer, township_head, village_assistant"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roundtrip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn tiers_fit_levels() {
        let county = DivisionCode::parse("511526").unwrap();
        let prefecture = DivisionCode::parse("370900").unwrap();
        let town = DivisionCode::parse("511526101000").unwrap();
        let village = DivisionCode::parse("511526101201").unwrap();
        assert!(Role::CountyAdmin.fits(&county));
        assert!(Role::CountySupervisor.fits(&prefecture));
        assert!(!Role::CountyAdmin.fits(&town));
        assert!(Role::TownshipCaseworker.fits(&town));
        assert!(!Role::TownshipCaseworker.fits(&county));
        assert!(!Role::TownshipHead.fits(&village));
        assert!(Role::VillageAssistant.fits(&village));
        assert!(!Role::VillageAssistant.fits(&town));
    }
}
