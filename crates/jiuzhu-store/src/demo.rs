//! 演示数据 demo mode: the jurisdiction tree, one demo account per role per seed locality,
//! the seed plans' delegation grants (from the procedure profiles) and about 2,000
//! fictitious households. Every name has the form 姓 + 某 + one character
//! (王某华), the customary mark of an anonymised person, so no demo record can be mistaken
//! for a real one; ID numbers are generated with valid check characters. With
//! [`SeedOptions::cases`], also cases at every stage in every locality ([`cases`]).

use std::collections::HashSet;

use chrono::{NaiveDate, Utc};
use jiuzhu_domain::delegation::grants_from_rule;
use jiuzhu_domain::profile::ProfileSet;
use jiuzhu_domain::{DivisionCode, DivisionLevel, IdNumber, PersonName, Relation, Role};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::Store;
use crate::auth::{Actor, hash_password};
use crate::command::{Command, CommandContext};
use crate::error::{Result, StoreError};
use crate::model::{Division, NewGrant, NewHousehold, NewMember, NewUser};

pub mod cases;
pub use cases::{CaseSeedSummary, DemoCase, DemoCaseKind};

/// The password of every demo account. Demo databases are for trying jiuzhu out only.
pub const DEMO_PASSWORD: &str = "jiuzhu-demo";

/// The five seed localities: (username prefix, county or prefecture code).
pub const LOCALITIES: [(&str, &str); 5] = [
    ("lingwu", "640181"),
    ("wuerhe", "650205"),
    ("yinzhou", "330212"),
    ("gongxian", "511526"),
    ("taian", "370900"),
];

/// Number of demo households created in a fresh demo database.
pub const DEMO_HOUSEHOLDS: usize = 2000;

fn role_suffix(role: Role) -> &'static str {
    match role {
        Role::CountyAdmin => "admin",
        Role::CountySupervisor => "supervisor",
        Role::CountyVerifier => "verifier",
        Role::FinanceOfficer => "finance",
        Role::TownshipCaseworker => "caseworker",
        Role::TownshipReviewer => "reviewer",
        Role::TownshipHead => "head",
        Role::VillageAssistant => "assistant",
    }
}

/// One demo account as printed on start.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub username: String,
    pub role: Role,
    pub division: DivisionCode,
    pub division_name: String,
}

/// What [`seed`] did.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub accounts: Vec<DemoAccount>,
    pub households_created: usize,
    pub divisions_loaded: u64,
    /// Delegation grants created from the built-in profiles on this run.
    pub grants_created: usize,
    /// The demo cases (empty unless [`SeedOptions::cases`]).
    pub cases: CaseSeedSummary,
}

/// What [`seed_with`] prepares.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// Fictitious households `0..households`.
    pub households: usize,
    /// Also the demo cases at every stage in every locality (`serve --demo`).
    pub cases: bool,
    /// The moment the demo cases' dates count back from (normally the current time).
    pub now: chrono::DateTime<Utc>,
}

/// The delegation grants the built-in procedure profiles imply for the townships in
/// `divisions`: every seed plan's phases (珙县's pilot towns from 2020-05-01 and the others
/// from 2020-10-01, 乌尔禾区's two from 2022-02-01, …) with their caps.
pub fn profile_grants(divisions: &[Division]) -> Result<Vec<NewGrant>> {
    let profiles = ProfileSet::builtin()
        .map_err(|e| StoreError::Invalid(format!("built-in profiles: {e}")))?;
    let mut out = Vec::new();
    for profile in profiles.profiles() {
        if profile.applies_to.is_empty() {
            continue;
        }
        let townships: Vec<DivisionCode> = divisions
            .iter()
            .filter(|d| {
                d.level() == DivisionLevel::Township
                    && profile
                        .applies_to
                        .iter()
                        .any(|county| county.contains(&d.code))
            })
            .map(|d| d.code.clone())
            .collect();
        let basis = format!("{}（{}）", profile.plan.title, profile.plan.source);
        for (program, rules) in &profile.programs {
            for g in grants_from_rule(*program, &rules.delegation, &townships, &basis) {
                out.push(NewGrant {
                    program: g.program,
                    township: g.township,
                    from: g.from,
                    until: g.until,
                    cap: g.cap,
                    basis: g.basis,
                });
            }
        }
    }
    Ok(out)
}

/// The accounts of the demo: per locality, county roles at the locality itself, township
/// roles at its first township, the village assistant at that township's first village.
pub fn accounts(divisions: &[Division]) -> Result<Vec<DemoAccount>> {
    let mut out = Vec::new();
    for (prefix, code) in LOCALITIES {
        let root = DivisionCode::parse(code).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let under = |level: DivisionLevel, within: &DivisionCode| {
            divisions
                .iter()
                .find(|d| d.level() == level && within.contains(&d.code) && &d.code != within)
                .cloned()
        };
        let missing = |what: &str| {
            StoreError::Invalid(format!("the divisions file has no {what} under {code}"))
        };
        let root_div = divisions
            .iter()
            .find(|d| d.code == root)
            .cloned()
            .ok_or_else(|| missing("entry"))?;
        let town = under(DivisionLevel::Township, &root).ok_or_else(|| missing("township"))?;
        let village =
            under(DivisionLevel::Village, &town.code).ok_or_else(|| missing("village"))?;
        for role in Role::ALL {
            let at = match role.tier() {
                jiuzhu_domain::Tier::County => &root_div,
                jiuzhu_domain::Tier::Township => &town,
                jiuzhu_domain::Tier::Village => &village,
            };
            out.push(DemoAccount {
                username: format!("{prefix}.{}", role_suffix(role)),
                role,
                division: at.code.clone(),
                division_name: at.name.clone(),
            });
        }
    }
    Ok(out)
}

const SURNAMES: &[char] = &[
    '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭',
    '何', '高', '林', '罗', '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹',
];
const GIVEN: &[char] = &[
    '华', '明', '芳', '军', '英', '平', '强', '兰', '红', '伟', '霞', '杰', '梅', '勇', '玲', '涛',
    '琴', '斌', '静', '波', '燕', '峰', '丽', '刚', '萍', '辉', '娟', '成', '慧', '林',
];

fn demo_name(rng: &mut StdRng, surname: char) -> Result<PersonName> {
    let given = GIVEN[rng.random_range(0..GIVEN.len())];
    PersonName::parse(&format!("{surname}某{given}"))
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

fn demo_id(
    rng: &mut StdRng,
    region: &str,
    birth: NaiveDate,
    male: bool,
    used: &mut HashSet<String>,
) -> Result<IdNumber> {
    loop {
        let mut seq: u16 = rng.random_range(0..500) * 2;
        if male {
            seq += 1;
        }
        let id = IdNumber::from_parts(region, birth, seq)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        if used.insert(id.as_str().to_string()) {
            return Ok(id);
        }
    }
}

fn birth(rng: &mut StdRng, from_year: i32, to_year: i32) -> NaiveDate {
    let year = rng.random_range(from_year..=to_year);
    let ordinal = rng.random_range(1..=365);
    NaiveDate::from_yo_opt(year, ordinal).unwrap_or_default()
}

/// Generates `n` fictitious households spread over `villages`, deterministic for a seed.
pub fn households(villages: &[Division], n: usize, seed: u64) -> Result<Vec<NewHousehold>> {
    if villages.is_empty() {
        return Err(StoreError::Invalid(
            "no villages to put demo households in".into(),
        ));
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut used = HashSet::new();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let village = &villages[i % villages.len()];
        let region = village.code.county_prefix();
        let surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
        let head_male = rng.random_bool(0.6);
        let head_birth = birth(&mut rng, 1940, 1990);
        let mut members = vec![NewMember {
            name: demo_name(&mut rng, surname)?,
            id_number: demo_id(&mut rng, region, head_birth, head_male, &mut used)?,
            relation: Relation::Head,
        }];
        let extra = rng.random_range(0..=4);
        for k in 0..extra {
            let (relation, from, to) = match k {
                0 => (Relation::Spouse, 1940, 1992),
                1 | 2 => (Relation::Child, 1995, 2020),
                _ => (Relation::Parent, 1930, 1960),
            };
            let male = match relation {
                Relation::Spouse => !head_male,
                _ => rng.random_bool(0.5),
            };
            let own_surname = if relation == Relation::Child {
                surname
            } else {
                SURNAMES[rng.random_range(0..SURNAMES.len())]
            };
            let born = birth(&mut rng, from, to);
            members.push(NewMember {
                name: demo_name(&mut rng, own_surname)?,
                id_number: demo_id(&mut rng, region, born, male, &mut used)?,
                relation,
            });
        }
        out.push(NewHousehold {
            division: village.code.clone(),
            address: format!("{}{}组{}号(演示地址)", village.name, i % 9 + 1, i % 97 + 1),
            members,
            demo: true,
        });
    }
    Ok(out)
}

/// Prepares a demo database: loads the built-in jurisdiction tree, creates the demo accounts
/// that do not exist yet, the profiles' delegation grants for every (township, program)
/// without a grant, and the demo households `0..households_wanted` that are missing (each
/// under its own idempotency key, so an interrupted seed is completed on the next run).
/// Safe to run on every start.
///
/// Refuses a database that has accounts but no demo account: demo accounts share a
/// published password and demo households are fictitious, so they must never be added to
/// a real database.
pub async fn seed(store: &dyn Store, households_wanted: usize) -> Result<DemoSummary> {
    seed_with(
        store,
        &SeedOptions {
            households: households_wanted,
            cases: false,
            now: Utc::now(),
        },
    )
    .await
}

/// [`seed`], and with `options.cases` the demo cases ([`cases::seed_cases`]): cases of
/// every program at every stage in every seed locality, dated back from `options.now`;
/// cases that exist already are not created again.
pub async fn seed_with(store: &dyn Store, options: &SeedOptions) -> Result<DemoSummary> {
    let households_wanted = options.households;
    let divisions = crate::divisions::parse(crate::divisions::BUILTIN)
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let actor = Actor::system("demo");
    let ctx = |key: String| CommandContext::new(actor.clone(), key, Utc::now());

    let accounts = accounts(&divisions)?;
    if store.counts(&actor).await?.users > 0 {
        let mut any_demo = false;
        for a in accounts
            .iter()
            .chain(&cases::case_staff_accounts(&divisions)?)
        {
            if store.credentials(&a.username).await?.is_some() {
                any_demo = true;
                break;
            }
        }
        if !any_demo {
            return Err(StoreError::Conflict(
                "this database has accounts and none of them is a demo account: refusing to \
                 add demo accounts (with the published demo password) and fictitious \
                 households to it; use --demo without --db (./jiuzhu-demo.db) or a new, empty \
                 database"
                    .to_string(),
            ));
        }
    }
    let divisions_loaded = store
        .load_divisions(&ctx("demo:divisions".into()), &divisions)
        .await?;

    // One hash for all demo accounts: they share the published demo password anyway.
    let mut demo_hash: Option<String> = None;
    for a in &accounts {
        if store.credentials(&a.username).await?.is_some() {
            continue;
        }
        let hash = match &demo_hash {
            Some(h) => h.clone(),
            None => {
                let h = hash_password(DEMO_PASSWORD)?;
                demo_hash = Some(h.clone());
                h
            }
        };
        let cmd = Command::CreateUser(NewUser {
            username: a.username.clone(),
            display_name: format!("演示{}({})", a.role.name_zh(), a.division_name),
            role: a.role,
            division: a.division.clone(),
            password_hash: hash,
        });
        store
            .execute(&ctx(format!("demo:user:{}", a.username)), cmd)
            .await?;
    }

    // A (township, program) that has any grant already is left alone: an earlier seed (with
    // other profiles) or an operator granted it, and a second grant would overlap.
    let granted: HashSet<(DivisionCode, jiuzhu_domain::Program)> = store
        .grants(&actor, None, None)
        .await?
        .into_iter()
        .map(|g| (g.township, g.program))
        .collect();
    let mut grants_created = 0;
    for g in profile_grants(&divisions)? {
        if granted.contains(&(g.township.clone(), g.program)) {
            continue;
        }
        let key = format!("demo:grant:{}:{}:{}", g.program, g.township, g.from);
        let done = store
            .execute(&ctx(key), Command::GrantDelegation(g))
            .await?;
        if !done.replayed {
            grants_created += 1;
        }
    }

    // Every index runs: the ones created before are answered from their idempotency key
    // (cheap), the missing ones (an interrupted seed) are created now.
    let mut households_created = 0;
    let villages: Vec<Division> = divisions
        .iter()
        .filter(|d| d.level() == DivisionLevel::Village)
        .cloned()
        .collect();
    for (i, h) in households(&villages, households_wanted, 20_211_001)?
        .into_iter()
        .enumerate()
    {
        let done = store
            .execute(
                &ctx(format!("demo:household:{i}")),
                Command::RegisterHousehold(h),
            )
            .await?;
        if !done.replayed {
            households_created += 1;
        }
    }
    let cases = if options.cases {
        cases::seed_cases(store, &divisions, options.now).await?
    } else {
        CaseSeedSummary::default()
    };
    Ok(DemoSummary {
        accounts,
        households_created,
        divisions_loaded,
        grants_created,
        cases,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_data_is_valid_and_fictional() {
        let divisions = crate::divisions::parse(crate::divisions::BUILTIN).unwrap();
        let villages: Vec<Division> = divisions
            .iter()
            .filter(|d| d.level() == DivisionLevel::Village)
            .cloned()
            .collect();
        let hs = households(&villages, 300, 7).unwrap();
        assert_eq!(hs.len(), 300);
        for h in &hs {
            h.check().unwrap();
            for m in &h.members {
                assert!(m.name.as_str().chars().nth(1) == Some('某'));
                assert_eq!(m.id_number.region_code(), h.division.county_prefix());
            }
        }
        // deterministic
        assert_eq!(
            households(&villages, 5, 7).unwrap(),
            households(&villages, 5, 7).unwrap()
        );
        let acc = accounts(&divisions).unwrap();
        assert_eq!(acc.len(), 40);
        let extra = cases::case_staff_accounts(&divisions).unwrap();
        assert_eq!(extra.len(), 5);
        assert!(extra.iter().all(|a| a.username.ends_with(".caseworker2")
            && !acc.iter().any(|b| b.username == a.username)));
        for a in &acc {
            assert!(a.role.fits(&a.division), "{} does not fit", a.username);
        }
    }

    #[test]
    fn demo_case_dates_stay_inside_the_calendar() {
        use chrono::TimeZone;
        let calendar = jiuzhu_domain::calendar::Calendar::builtin();
        let last = *calendar.years().last().unwrap();
        let now = Utc.with_ymd_and_hms(last, 11, 1, 2, 0, 0).unwrap();
        // Early enough: the demo dates count back from now (local time).
        assert_eq!(
            cases::anchor(now, &calendar),
            NaiveDate::from_ymd_opt(last, 11, 1)
                .unwrap()
                .and_hms_opt(10, 0, 0)
                .unwrap()
        );
        // Too close to the calendar's end (or past it): from the last day that leaves room.
        for now in [
            Utc.with_ymd_and_hms(last, 12, 20, 2, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(last + 3, 6, 1, 2, 0, 0).unwrap(),
        ] {
            let anchor = cases::anchor(now, &calendar);
            assert_eq!(
                anchor.date(),
                NaiveDate::from_ymd_opt(last, 12, 31).unwrap()
                    - chrono::Days::new(cases::CALENDAR_MARGIN_DAYS)
            );
        }
    }

    #[test]
    fn demo_case_plans_follow_the_profiles() {
        use cases::DemoCaseKind as K;
        let profiles = ProfileSet::builtin().unwrap();
        for (prefix, code) in LOCALITIES {
            let county = match code {
                "370900" => "370902",
                c => c,
            };
            let profile = profiles
                .profile_for(&DivisionCode::parse(county).unwrap())
                .unwrap();
            let plan = cases::plan(profile);
            let has = |k: K| plan.iter().any(|c| c.kind == k);
            assert_eq!(has(K::VillageReview), prefix == "lingwu", "{prefix}");
            assert_eq!(has(K::PreCheck), prefix == "taian", "{prefix}");
            assert_eq!(has(K::AboveCap), prefix == "gongxian", "{prefix}");
            for c in &plan {
                let rules = profile.program(c.program).unwrap();
                if c.kind == K::Notice || c.kind == K::Objected {
                    assert!(rules.steps.notice.before_decision, "{prefix} {}", c.program);
                }
            }
            // 泰安 decides 低保 and 特困 without a notice.
            if prefix == "taian" {
                assert!(!plan.iter().any(|c| c.kind == K::Notice
                    && matches!(
                        c.program,
                        jiuzhu_domain::Program::Dibao | jiuzhu_domain::Program::Tekun
                    )));
            }
        }
    }
}
