//! 授权 delegation of confirmation authority (审核确认权限) from a county to its townships,
//! and the one function that answers who may confirm a case: [`authority`].
//!
//! A county grants program P to township T from a date (授权书/委托书), optionally until a
//! date and up to an amount; it can revoke a grant from a date with a reason. Outside every
//! grant in force, and above a grant's cap, the county decides.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::profile::{DelegationRule, TownshipSet};
use crate::{DivisionCode, DivisionLevel, Fen, Program};

/// 授权 one delegation grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The store's id of the grant (0 before it is stored).
    pub id: i64,
    pub program: Program,
    /// The township or street office (12-digit code `…TTT000`).
    pub township: DivisionCode,
    /// First day the township holds the authority.
    pub from: NaiveDate,
    /// Last day (inclusive), if the grant is limited.
    pub until: Option<NaiveDate>,
    /// Amounts strictly above the cap go to the county.
    pub cap: Option<Fen>,
    /// 依据 the letter of authorization or plan clause the grant rests on.
    pub basis: String,
    pub revoked: Option<Revocation>,
}

/// 撤销 the revocation of a grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// From this day on the grant no longer applies.
    pub effective: NaiveDate,
    pub reason: String,
}

impl Grant {
    /// Whether the grant gives authority on `date` (ignoring the cap).
    pub fn in_force(&self, date: NaiveDate) -> bool {
        self.from <= date
            && self.until.is_none_or(|u| date <= u)
            && self.revoked.as_ref().is_none_or(|r| date < r.effective)
    }

    /// Checks what the types cannot; the message says which field is wrong.
    pub fn check(&self) -> Result<(), DelegationError> {
        if self.township.level() != DivisionLevel::Township {
            return Err(DelegationError::NotATownship(self.township.clone()));
        }
        if let Some(until) = self.until
            && until < self.from
        {
            return Err(DelegationError::EndsBeforeStart {
                from: self.from,
                until,
            });
        }
        if let Some(cap) = self.cap
            && cap.fen() <= 0
        {
            return Err(DelegationError::CapNotPositive);
        }
        if self.basis.trim().is_empty() {
            return Err(DelegationError::MissingBasis);
        }
        Ok(())
    }

    /// Whether two grants of one program and township give authority on a common day.
    pub fn overlaps(&self, other: &Grant) -> bool {
        if self.program != other.program || self.township != other.township {
            return false;
        }
        let end = |g: &Grant| {
            let revoked_end = g.revoked.as_ref().and_then(|r| r.effective.pred_opt());
            match (g.until, revoked_end) {
                (Some(u), Some(r)) => Some(u.min(r)),
                (u, r) => u.or(r),
            }
        };
        let (a_end, b_end) = (end(self), end(other));
        let a_starts_before_b_ends = b_end.is_none_or(|e| self.from <= e);
        let b_starts_before_a_ends = a_end.is_none_or(|e| other.from <= e);
        a_starts_before_b_ends && b_starts_before_a_ends
    }
}

/// The grants a profile's delegation rule implies for `program`: one per township from the
/// first phase that covers it (a pilot town keeps its pilot date when "all" follows), with
/// the rule's cap. `townships` are the township-level codes of the profile's counties (for
/// [`TownshipSet::All`]); `basis` names the plan.
pub fn grants_from_rule(
    program: Program,
    rule: &DelegationRule,
    townships: &[DivisionCode],
    basis: &str,
) -> Vec<Grant> {
    if !rule.delegated {
        return Vec::new();
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for phase in &rule.phases {
        let covered: Vec<&DivisionCode> = match &phase.townships {
            TownshipSet::All => townships.iter().collect(),
            TownshipSet::Listed(list) => list.iter().collect(),
        };
        for township in covered {
            if seen.insert(township.clone()) {
                let basis = if phase.note.is_empty() {
                    basis.to_string()
                } else {
                    format!("{basis}（{}）", phase.note)
                };
                out.push(Grant {
                    id: 0,
                    program,
                    township: township.clone(),
                    from: phase.from,
                    until: None,
                    cap: rule.cap,
                    basis,
                    revoked: None,
                });
            }
        }
    }
    out
}

/// 确认权限 who confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum Authority {
    /// The township confirms, under this grant.
    Township {
        township: DivisionCode,
        grant_id: i64,
    },
    /// The county confirms, for this reason.
    County {
        county: DivisionCode,
        reason: CountyReason,
    },
}

impl Authority {
    pub fn is_township(&self) -> bool {
        matches!(self, Authority::Township { .. })
    }
}

/// Why a case goes to the county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum CountyReason {
    /// No grant of this program to this township, ever.
    NotDelegated,
    /// A grant exists but starts later (e.g. 珙县's non-pilot towns before 2020-10-01).
    NotYetInForce { from: NaiveDate },
    /// The grant ended (its `until` passed).
    Expired { until: NaiveDate },
    /// The grant was revoked from this date.
    Revoked { effective: NaiveDate },
    /// The amount exceeds the grant's cap.
    AboveCap { cap: Fen },
}

impl CountyReason {
    /// Chinese explanation for the case page.
    pub fn message_zh(&self) -> String {
        match self {
            CountyReason::NotDelegated => "该项目未授权乡镇确认，由县级民政部门确认".to_string(),
            CountyReason::NotYetInForce { from } => {
                format!("乡镇确认权限自{from}起生效，此前由县级民政部门确认")
            }
            CountyReason::Expired { until } => {
                format!("乡镇确认权限已于{until}到期，由县级民政部门确认")
            }
            CountyReason::Revoked { effective } => {
                format!("乡镇确认权限已自{effective}起撤销，由县级民政部门确认")
            }
            CountyReason::AboveCap { cap } => {
                format!("金额超过乡镇确认限额{cap}元，由县级民政部门确认")
            }
        }
    }
}

/// Why a grant or a question is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DelegationError {
    #[error("{0} is not a township or street office (a 12-digit code ending in 000)")]
    NotATownship(DivisionCode),
    #[error("the grant ends ({until}) before it starts ({from})")]
    EndsBeforeStart { from: NaiveDate, until: NaiveDate },
    #[error("the cap must be a positive amount")]
    CapNotPositive,
    #[error("state the basis of the grant (letter of authorization number or plan clause)")]
    MissingBasis,
    /// The grant in force caps amounts: without the amount the answer cannot be given.
    #[error(
        "an amount is required: the grant in force lets the township confirm amounts up to {cap} yuan only"
    )]
    AmountRequired { cap: Fen },
    #[error("the amount must not be negative")]
    NegativeAmount,
}

/// **The** authority function: who confirms program `program` for a case in `township` on
/// `date` for `amount` (None for programs without money, e.g. 低收入认定)? The case engine
/// asks nothing else.
///
/// The township confirms when a grant of the program to the township is in force on the date
/// and the amount is not above its cap; otherwise the county does, and the reason says why.
/// A grant with a cap needs the amount ([`DelegationError::AmountRequired`] without it); a
/// negative amount is an error ([`DelegationError::NegativeAmount`]). When several grants are in force (a renewal overlapping an old one cannot be stored, but
/// grants loaded from elsewhere might), the one that started last applies.
pub fn authority(
    grants: &[Grant],
    program: Program,
    township: &DivisionCode,
    date: NaiveDate,
    amount: Option<Fen>,
) -> Result<Authority, DelegationError> {
    if township.level() != DivisionLevel::Township {
        return Err(DelegationError::NotATownship(township.clone()));
    }
    if amount.is_some_and(|a| a.fen() < 0) {
        return Err(DelegationError::NegativeAmount);
    }
    let county = township.county().unwrap_or_else(|| township.clone());
    let relevant: Vec<&Grant> = grants
        .iter()
        .filter(|g| g.program == program && &g.township == township)
        .collect();
    let to_county = |reason| Authority::County {
        county: county.clone(),
        reason,
    };
    let in_force = relevant
        .iter()
        .filter(|g| g.in_force(date))
        .max_by_key(|g| (g.from, g.id));
    if let Some(g) = in_force {
        if let Some(cap) = g.cap {
            let amount = amount.ok_or(DelegationError::AmountRequired { cap })?;
            if amount > cap {
                return Ok(to_county(CountyReason::AboveCap { cap }));
            }
        }
        return Ok(Authority::Township {
            township: township.clone(),
            grant_id: g.id,
        });
    }
    // No grant in force: say why, from the grant closest to the date.
    let reason = if let Some(r) = relevant
        .iter()
        .filter_map(|g| {
            g.revoked
                .as_ref()
                .filter(|r| r.effective <= date && g.from <= date)
        })
        .max_by_key(|r| r.effective)
    {
        CountyReason::Revoked {
            effective: r.effective,
        }
    } else if let Some(until) = relevant
        .iter()
        .filter_map(|g| g.until.filter(|u| *u < date))
        .max()
    {
        CountyReason::Expired { until }
    } else if let Some(from) = relevant.iter().map(|g| g.from).filter(|f| *f > date).min() {
        CountyReason::NotYetInForce { from }
    } else {
        CountyReason::NotDelegated
    };
    Ok(to_county(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn code(s: &str) -> DivisionCode {
        DivisionCode::parse(s).unwrap()
    }
    fn grant(id: i64, program: Program, town: &str, from: &str, cap_yuan: Option<i64>) -> Grant {
        Grant {
            id,
            program,
            township: code(town),
            from: d(from),
            until: None,
            cap: cap_yuan.and_then(Fen::from_yuan),
            basis: "test".into(),
            revoked: None,
        }
    }

    const XIAOER: &str = "511526102000"; // 珙县 孝儿镇 (pilot)
    const SHANGLUO: &str = "511526106000"; // a non-pilot town

    fn gongxian() -> Vec<Grant> {
        vec![
            grant(1, Program::Dibao, XIAOER, "2020-05-01", None),
            grant(2, Program::Linshi, XIAOER, "2020-05-01", Some(3000)),
            grant(3, Program::Dibao, SHANGLUO, "2020-10-01", None),
        ]
    }

    #[test]
    fn pilot_and_rollout_dates() {
        let g = gongxian();
        let a = |town, date| authority(&g, Program::Dibao, &code(town), d(date), None).unwrap();
        assert_eq!(
            a(XIAOER, "2020-04-30"),
            Authority::County {
                county: code("511526"),
                reason: CountyReason::NotYetInForce {
                    from: d("2020-05-01")
                }
            }
        );
        assert!(a(XIAOER, "2020-05-01").is_township());
        assert!(!a(SHANGLUO, "2020-09-30").is_township());
        assert_eq!(
            a(SHANGLUO, "2020-10-01"),
            Authority::Township {
                township: code(SHANGLUO),
                grant_id: 3
            }
        );
    }

    #[test]
    fn caps_are_inclusive() {
        let g = gongxian();
        let a = |yuan_fen: i64| {
            authority(
                &g,
                Program::Linshi,
                &code(XIAOER),
                d("2021-01-01"),
                Some(Fen::new(yuan_fen)),
            )
            .unwrap()
        };
        assert!(a(300_000).is_township());
        assert_eq!(
            a(300_001),
            Authority::County {
                county: code("511526"),
                reason: CountyReason::AboveCap {
                    cap: Fen::new(300_000)
                }
            }
        );
        assert!(!a(350_000).is_township());
        // Without the amount a capped grant cannot answer; a negative amount is refused.
        assert_eq!(
            authority(&g, Program::Linshi, &code(XIAOER), d("2021-01-01"), None),
            Err(DelegationError::AmountRequired {
                cap: Fen::new(300_000)
            })
        );
        assert_eq!(
            authority(
                &g,
                Program::Linshi,
                &code(XIAOER),
                d("2021-01-01"),
                Some(Fen::new(-1))
            ),
            Err(DelegationError::NegativeAmount)
        );
        // Uncapped grants need no amount.
        assert!(
            authority(&g, Program::Dibao, &code(XIAOER), d("2021-01-01"), None)
                .unwrap()
                .is_township()
        );
        // Programs not granted go to the county.
        let t = authority(&g, Program::Tekun, &code(XIAOER), d("2021-01-01"), None).unwrap();
        assert!(matches!(
            t,
            Authority::County {
                reason: CountyReason::NotDelegated,
                ..
            }
        ));
    }

    #[test]
    fn revocation_and_expiry() {
        let mut g = gongxian();
        g[0].revoked = Some(Revocation {
            effective: d("2023-03-01"),
            reason: "整改".into(),
        });
        let at = |g: &[Grant], town, date| {
            authority(g, Program::Dibao, &code(town), d(date), None).unwrap()
        };
        let a = |g: &[Grant], date| at(g, XIAOER, date);
        assert!(a(&g, "2023-02-28").is_township());
        assert!(matches!(
            a(&g, "2023-03-01"),
            Authority::County {
                reason: CountyReason::Revoked { .. },
                ..
            }
        ));
        g[2].until = Some(d("2021-12-31"));
        assert!(at(&g, SHANGLUO, "2021-12-31").is_township());
        assert!(matches!(
            at(&g, SHANGLUO, "2022-01-01"),
            Authority::County {
                reason: CountyReason::Expired { .. },
                ..
            }
        ));
        // A renewal after the revocation applies again.
        g.push(grant(9, Program::Dibao, XIAOER, "2023-06-01", None));
        assert_eq!(
            a(&g, "2023-06-01"),
            Authority::Township {
                township: code(XIAOER),
                grant_id: 9
            }
        );
    }

    #[test]
    fn questions_must_name_a_township() {
        let g = gongxian();
        assert!(authority(&g, Program::Dibao, &code("511526"), d("2021-01-01"), None).is_err());
    }

    #[test]
    fn grants_are_checked_and_overlaps_found() {
        let mut a = grant(1, Program::Dibao, XIAOER, "2020-05-01", None);
        assert!(a.check().is_ok());
        a.until = Some(d("2020-04-01"));
        assert!(matches!(
            a.check(),
            Err(DelegationError::EndsBeforeStart { .. })
        ));
        a.until = Some(d("2020-12-31"));
        let mut b = grant(2, Program::Dibao, XIAOER, "2021-01-01", None);
        assert!(!a.overlaps(&b));
        b.from = d("2020-12-31");
        assert!(a.overlaps(&b));
        // A revoked grant no longer blocks a new one from its revocation date.
        let mut c = grant(3, Program::Dibao, XIAOER, "2020-05-01", None);
        c.revoked = Some(Revocation {
            effective: d("2022-01-01"),
            reason: "x".into(),
        });
        let renewal = grant(4, Program::Dibao, XIAOER, "2022-01-01", None);
        assert!(!c.overlaps(&renewal));
        assert!(!grant(5, Program::Tekun, XIAOER, "2020-05-01", None).overlaps(&renewal));
        let mut bad = grant(6, Program::Dibao, "511526", "2020-05-01", None);
        assert!(matches!(bad.check(), Err(DelegationError::NotATownship(_))));
        bad.township = code(XIAOER);
        bad.basis = " ".into();
        assert!(matches!(bad.check(), Err(DelegationError::MissingBasis)));
    }
}
