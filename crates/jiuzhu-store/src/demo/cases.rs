//! 演示案件 demo cases: in every seed locality, cases of every program the county runs at
//! every stage of its procedure, driven through [`Store::execute`] with [`Command::Case`]
//! exactly as the JSON API drives them (the real engine: every step is an event in the
//! audit chain, signed by the demo account whose role the step needs).
//!
//! Dates are relative to `now` (Asia/Shanghai local time): current notices are current when
//! the demo starts, overdue cases are overdue, due-soon cases fall due within days. The
//! built-in calendar ends with its last loaded year; every due date a case creates must lie
//! inside it, so the anchor of the demo dates is at most [`CALENDAR_MARGIN_DAYS`] before the
//! calendar's end (later than that the demo cases are dated as of that day, and notices are
//! no longer current).
//!
//! Each case has its own fictitious household (registered under a deterministic idempotency
//! key); a slot whose household already has a case is skipped, so re-running the seed adds
//! nothing. The separation of duties needs a second caseworker for the home visits
//! (`<locality>.caseworker2`, a demo account like the others).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use jiuzhu_domain::benefit::{AmountBasis, CareLevel};
use jiuzhu_domain::calendar::Calendar;
use jiuzhu_domain::case::{
    self, AUTHORIZATION, AppraisalOutcome, CommandBody, DecisionRequest, Kinship, MemberFacts,
    NewCase, Origin, Recommendation, RelatedCapacity, Stage, WithdrawReason,
};
use jiuzhu_domain::profile::{AmountRule, Appraisal, EffectiveProfile, ProgramRules, StepOrder};
use jiuzhu_domain::schedule::Step;
use jiuzhu_domain::{
    DivisionCode, DivisionLevel, Fen, IdNumber, PersonName, Program, Relation, Role,
};

use crate::auth::{Actor, UserActor};
use crate::command::{Command, CommandContext, CommandOutcome};
use crate::error::{Result, StoreError};
use crate::model::{CaseFilter, Division, NewHousehold, NewMember, NewUser, PageRequest};
use crate::{Store, demo};

/// The demo dates end at least this many days before the last day of the calendar: the
/// longest clock a demo case starts near its anchor (the whole procedure, 30 working days
/// from acceptance at least 12 days earlier) ends inside the calendar.
pub const CALENDAR_MARGIN_DAYS: u64 = 36;

/// What a demo case shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DemoCaseKind {
    /// 一次性告知: applied with a required item missing.
    AwaitingMaterials,
    /// 村(居)初审 pending (plans with the village's first review).
    VillageReview,
    /// 先核对 requested, the county's answer pending (先核对、后申请 plans).
    PreCheck,
    /// Accepted; the economic check requested yesterday (due soon).
    AwaitingCheck,
    /// The check passed; the home visit pending.
    Investigation,
    /// The home visit recorded; the review opinion pending.
    Review,
    /// 民主评议 called (always, or on a disputed review).
    Appraisal,
    /// 公示中: a current public notice (plans that post before deciding).
    Notice,
    /// An objection during the notice: 异议复核 re-investigation.
    Objected,
    /// 待确认 with the confirming authority.
    Decision,
    /// 批准: decided, notice delivered, result posted (the disclosure list).
    Approved,
    /// 不予批准 with reasons, the notice delivered.
    Refused,
    /// Accepted weeks ago, the home visit never recorded: overdue.
    Overdue,
    /// 急难型: helped first, the paperwork pending.
    EmergencyPending,
    /// 急难型: helped and the paperwork completed (closed).
    EmergencyDone,
    /// 撤回 by the applicant.
    Withdrawn,
    /// 办结归档.
    Archived,
    /// 近亲属备案: the village cadre is a near relative; the case goes on without him.
    NearRelative,
    /// 临时救助 above the township's cap, decided by the county.
    AboveCap,
}

impl DemoCaseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DemoCaseKind::AwaitingMaterials => "awaiting_materials",
            DemoCaseKind::VillageReview => "village_review",
            DemoCaseKind::PreCheck => "pre_check",
            DemoCaseKind::AwaitingCheck => "awaiting_check",
            DemoCaseKind::Investigation => "investigation",
            DemoCaseKind::Review => "review",
            DemoCaseKind::Appraisal => "appraisal",
            DemoCaseKind::Notice => "notice",
            DemoCaseKind::Objected => "objected",
            DemoCaseKind::Decision => "decision",
            DemoCaseKind::Approved => "approved",
            DemoCaseKind::Refused => "refused",
            DemoCaseKind::Overdue => "overdue",
            DemoCaseKind::EmergencyPending => "emergency_pending",
            DemoCaseKind::EmergencyDone => "emergency_done",
            DemoCaseKind::Withdrawn => "withdrawn",
            DemoCaseKind::Archived => "archived",
            DemoCaseKind::NearRelative => "near_relative",
            DemoCaseKind::AboveCap => "above_cap",
        }
    }

    /// The stage a case of this kind stands at after seeding.
    pub fn stage(self) -> Stage {
        match self {
            DemoCaseKind::AwaitingMaterials => Stage::AwaitingMaterials,
            DemoCaseKind::VillageReview => Stage::VillageReview,
            DemoCaseKind::PreCheck => Stage::PreCheck,
            DemoCaseKind::AwaitingCheck | DemoCaseKind::Investigation | DemoCaseKind::Overdue => {
                Stage::Investigation
            }
            DemoCaseKind::Review | DemoCaseKind::NearRelative => Stage::Review,
            DemoCaseKind::Appraisal => Stage::Appraisal,
            DemoCaseKind::Notice => Stage::Notice,
            DemoCaseKind::Objected => Stage::Reinvestigation,
            DemoCaseKind::Decision => Stage::Decision,
            DemoCaseKind::Approved | DemoCaseKind::Refused | DemoCaseKind::AboveCap => {
                Stage::Decided
            }
            DemoCaseKind::EmergencyPending => Stage::EmergencyPaperwork,
            DemoCaseKind::EmergencyDone | DemoCaseKind::Withdrawn | DemoCaseKind::Archived => {
                Stage::Closed
            }
        }
    }
}

impl std::fmt::Display for DemoCaseKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One demo case of a locality's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedCase {
    pub kind: DemoCaseKind,
    pub program: Program,
}

/// One demo case created on this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCase {
    /// Username prefix of the locality (`gongxian`).
    pub locality: &'static str,
    pub kind: DemoCaseKind,
    pub program: Program,
    pub case_id: i64,
    pub stage: Stage,
}

/// What [`seed_cases`] did.
#[derive(Debug, Clone, Default)]
pub struct CaseSeedSummary {
    /// The cases created on this run.
    pub created: Vec<DemoCase>,
    /// Planned cases that existed already (an earlier run).
    pub existing: usize,
    /// Households registered for the cases on this run.
    pub households_created: usize,
    /// The local moment the demo dates count back from.
    pub anchor: Option<NaiveDateTime>,
    /// The extra demo accounts the cases need ([`case_staff_accounts`]).
    pub staff: Vec<demo::DemoAccount>,
}

impl CaseSeedSummary {
    /// Cases created per locality, in [`demo::LOCALITIES`] order.
    pub fn per_locality(&self) -> Vec<(&'static str, usize)> {
        demo::LOCALITIES
            .iter()
            .map(|(p, _)| (*p, self.created.iter().filter(|c| c.locality == *p).count()))
            .collect()
    }

    /// Cases created per stage.
    pub fn per_stage(&self) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::new();
        for c in &self.created {
            *out.entry(c.stage.as_str()).or_default() += 1;
        }
        out
    }
}

/// The demo cases of one locality: every kind its plan allows, and an approval in every
/// program the county runs (the disclosure list), a current notice in every program that
/// posts before deciding.
pub fn plan(profile: &EffectiveProfile) -> Vec<PlannedCase> {
    let runs: Vec<(Program, &ProgramRules)> = Program::ALL
        .iter()
        .filter_map(|p| profile.program(*p).map(|r| (*p, r)))
        .collect();
    let first = |prefer: &[Program], ok: &dyn Fn(&ProgramRules) -> bool| {
        prefer
            .iter()
            .chain(Program::ALL.iter())
            .find(|p| profile.program(**p).is_some_and(ok))
            .copied()
    };
    let any = |_: &ProgramRules| true;
    let apply_first = |r: &ProgramRules| r.order == StepOrder::ApplyFirst;
    let mut out = Vec::new();
    let mut push = |kind, program: Option<Program>| {
        if let Some(program) = program {
            out.push(PlannedCase { kind, program });
        }
    };
    use DemoCaseKind as K;
    use Program as P;
    push(K::AwaitingMaterials, first(&[P::Dibao], &any));
    push(
        K::VillageReview,
        first(&[P::Gaoling], &|r: &ProgramRules| r.steps.village_review),
    );
    push(
        K::PreCheck,
        first(&[P::Dibao], &|r: &ProgramRules| {
            r.order == StepOrder::VerifyFirst
        }),
    );
    push(K::AwaitingCheck, first(&[P::Tekun, P::Dibao], &apply_first));
    push(K::Investigation, first(&[P::Dishouru], &any));
    push(K::Review, first(&[P::Linshi], &any));
    push(
        K::Appraisal,
        first(&[P::Dibao, P::Tekun], &|r: &ProgramRules| {
            r.steps.appraisal != Appraisal::Never
        }),
    );
    for (p, r) in &runs {
        if r.steps.notice.before_decision {
            push(K::Notice, Some(*p));
        }
    }
    push(
        K::Objected,
        first(&[P::Dibao, P::Dishouru], &|r: &ProgramRules| {
            r.steps.notice.before_decision
        }),
    );
    push(K::Decision, first(&[P::Gaoling], &any));
    for (p, _) in &runs {
        push(K::Approved, Some(*p));
    }
    push(K::Refused, first(&[P::Dibao], &any));
    push(K::Overdue, first(&[P::Tekun], &any));
    let emergency = |r: &ProgramRules| r.emergency.as_ref().is_some_and(|e| e.help_first);
    push(K::EmergencyPending, first(&[P::Linshi], &emergency));
    push(K::EmergencyDone, first(&[P::Linshi], &emergency));
    push(K::Withdrawn, first(&[P::Canji], &any));
    push(K::Archived, first(&[P::Tekun], &any));
    push(K::NearRelative, first(&[P::Dibao], &any));
    push(
        K::AboveCap,
        first(&[P::Linshi], &|r: &ProgramRules| {
            r.delegation.delegated
                && r.delegation.cap.is_some()
                && matches!(r.amount, AmountRule::MonthsOfStandard { .. })
        }),
    );
    out
}

/// The demo staff who sign the cases of one locality.
struct Staff {
    caseworker: Actor,
    caseworker2: Actor,
    reviewer: Actor,
    head: Actor,
    verifier: Actor,
    assistant: Actor,
    admin: Actor,
}

fn uid(a: &Actor) -> i64 {
    match a {
        Actor::User(u) => u.id,
        Actor::System { .. } => 0,
    }
}

/// The second caseworker of each locality (home visits need two investigators, neither of
/// whom reviews or confirms).
pub fn case_staff_accounts(divisions: &[Division]) -> Result<Vec<demo::DemoAccount>> {
    Ok(demo::accounts(divisions)?
        .into_iter()
        .filter(|a| a.role == Role::TownshipCaseworker)
        .map(|a| demo::DemoAccount {
            username: format!("{}2", a.username),
            ..a
        })
        .collect())
}

fn local_time(at: DateTime<Utc>) -> NaiveDateTime {
    (at + Duration::hours(8)).naive_utc()
}

/// The local moment the demo dates count back from: `now`, or, when `now` is too close to
/// the end of the calendar for the clocks the cases start, the last day that leaves room.
pub fn anchor(now: DateTime<Utc>, calendar: &Calendar) -> NaiveDateTime {
    let now_local = local_time(now);
    let Some(last_year) = calendar.years().last().copied() else {
        return now_local;
    };
    let Some(limit) = NaiveDate::from_ymd_opt(last_year, 12, 31)
        .and_then(|d| d.checked_sub_days(Days::new(CALENDAR_MARGIN_DAYS)))
    else {
        return now_local;
    };
    if now_local.date() <= limit {
        now_local
    } else {
        limit.and_time(NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default())
    }
}

/// Creates the demo cases (see the module docs). Needs the demo accounts, divisions and
/// grants of [`demo::seed`].
pub async fn seed_cases(
    store: &dyn Store,
    divisions: &[Division],
    now: DateTime<Utc>,
) -> Result<CaseSeedSummary> {
    // The store's rules: the installed profiles and the calendar with its imported years.
    let rules = store.rules()?;
    let profiles = &rules.profiles;
    let anchor = anchor(now, &rules.calendar);
    let system = Actor::system("demo");
    let mut summary = CaseSeedSummary {
        anchor: Some(anchor),
        ..CaseSeedSummary::default()
    };

    // The second caseworkers.
    let mut hash: Option<String> = None;
    summary.staff = case_staff_accounts(divisions)?;
    for a in summary.staff.clone() {
        if store.credentials(&a.username).await?.is_some() {
            continue;
        }
        let h = match &hash {
            Some(h) => h.clone(),
            None => {
                let h = crate::auth::hash_password(demo::DEMO_PASSWORD)?;
                hash = Some(h.clone());
                h
            }
        };
        store
            .execute(
                &CommandContext::new(system.clone(), format!("demo:user:{}", a.username), now),
                Command::CreateUser(NewUser {
                    username: a.username.clone(),
                    display_name: format!("演示第二经办人({})", a.division_name),
                    role: a.role,
                    division: a.division.clone(),
                    password_hash: h,
                }),
            )
            .await?;
    }

    for (prefix, code) in demo::LOCALITIES {
        let root = DivisionCode::parse(code).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let staff = staff(store, prefix).await?;
        let Actor::User(cw) = &staff.caseworker else {
            continue;
        };
        let township = cw.division.clone();
        let Actor::User(assistant) = &staff.assistant else {
            continue;
        };
        let assistant_village = assistant.division.clone();
        let mut villages: Vec<Division> = divisions
            .iter()
            .filter(|d| d.level() == DivisionLevel::Village && township.contains(&d.code))
            .cloned()
            .collect();
        // The assistant's village first: cases that need the village committee go there.
        villages.sort_by_key(|d| d.code != assistant_village);
        let county = township
            .county()
            .ok_or_else(|| StoreError::Invalid(format!("{township} has no county")))?;
        let profile = profiles.profile_for(&county).ok_or_else(|| {
            StoreError::Invalid(format!("no built-in profile governs {county} ({root})"))
        })?;

        // Households that have a case already (an earlier run).
        let mut with_case = HashSet::new();
        let filter = CaseFilter {
            within: Some(township.clone()),
            ..CaseFilter::default()
        };
        let mut page = 1;
        loop {
            let p = store
                .cases(
                    &system,
                    &filter,
                    PageRequest::new(page, PageRequest::MAX_PER_PAGE),
                )
                .await?;
            with_case.extend(p.items.iter().map(|c| c.household_id));
            if page >= p.pages() {
                break;
            }
            page += 1;
        }

        for (slot, planned) in plan(profile).into_iter().enumerate() {
            let rules = profile.program(planned.program).ok_or_else(|| {
                StoreError::Invalid(format!("{county} does not run {}", planned.program))
            })?;
            let needs_village =
                rules.steps.village_review || matches!(planned.kind, DemoCaseKind::NearRelative);
            let village = if needs_village {
                &villages[0]
            } else {
                &villages[slot % villages.len()]
            };
            let household = household(slot, planned, village)?;
            let done = store
                .execute(
                    &CommandContext::new(
                        system.clone(),
                        format!("demo:case-household:{prefix}:{slot}"),
                        now,
                    ),
                    Command::RegisterHousehold(household),
                )
                .await?;
            if !done.replayed {
                summary.households_created += 1;
            }
            let CommandOutcome::HouseholdRegistered { household_id } = done.outcome else {
                return Err(StoreError::Database(format!(
                    "unexpected outcome {:?}",
                    done.outcome
                )));
            };
            if with_case.contains(&household_id) {
                summary.existing += 1;
                continue;
            }
            let mut c = Driver {
                store,
                staff: &staff,
                rules,
                program: planned.program,
                village: village.code.clone(),
                household_id,
                key: format!("demo:case:{prefix}:{slot}"),
                step: 0,
                now,
                anchor,
                t: NaiveDateTime::MIN,
                case_id: None,
                opened: None,
                stage: Stage::Intake,
            };
            c.run(planned.kind).await.map_err(|e| {
                StoreError::Invalid(format!(
                    "demo case {prefix} #{slot} ({} {}): step {}: {e}",
                    planned.kind, planned.program, c.step
                ))
            })?;
            if c.stage != planned.kind.stage() {
                return Err(StoreError::Invalid(format!(
                    "demo case {prefix} #{slot} ({} {}) ended at {}, not {}",
                    planned.kind,
                    planned.program,
                    c.stage,
                    planned.kind.stage()
                )));
            }
            summary.created.push(DemoCase {
                locality: prefix,
                kind: planned.kind,
                program: planned.program,
                case_id: c.case_id.unwrap_or_default(),
                stage: c.stage,
            });
        }
        demo_visits(store, &staff.assistant, &assistant_village, now).await?;
    }
    Ok(summary)
}

/// 走访 this month's visits in the village assistant's village, so that the 动态管理 page
/// shows all three kinds of rows: two of three recipient households visited (one reporting
/// an income change, the others a 零报告), every third still to visit. Keyed by household
/// and month: a second start in the same month adds nothing.
async fn demo_visits(
    store: &dyn Store,
    assistant: &Actor,
    village: &DivisionCode,
    now: DateTime<Utc>,
) -> Result<()> {
    use crate::dynamic::DynamicCommand;
    use crate::payroll::Month;
    use jiuzhu_domain::dynamic::ChangeKind;
    let today = (now + Duration::hours(8)).date_naive();
    let month = Month::of(today);
    let lines = store.visit_list(assistant, village, month).await?;
    for (i, line) in lines.iter().enumerate() {
        if i % 3 == 2 || line.visit.is_some() {
            continue;
        }
        let changes = if i == 1 {
            vec![ChangeKind::Income]
        } else {
            Vec::new()
        };
        store
            .execute(
                &CommandContext::new(
                    assistant.clone(),
                    format!("demo:visit:{}:{month}", line.household_id),
                    now,
                ),
                Command::Dynamic(DynamicCommand::RecordVisit {
                    household_id: line.household_id,
                    month,
                    visited_on: today,
                    zero_report: changes.is_empty(),
                    note: if changes.is_empty() {
                        String::new()
                    } else {
                        "户主外出务工，收入有变化（演示数据）".to_string()
                    },
                    changes,
                }),
            )
            .await?;
    }
    Ok(())
}

async fn staff(store: &dyn Store, prefix: &str) -> Result<Staff> {
    let get = |suffix: &'static str| {
        let username = format!("{prefix}.{suffix}");
        async move {
            let c = store
                .credentials(&username)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("demo account {username}")))?;
            Ok::<Actor, StoreError>(Actor::User(UserActor {
                id: c.user.id,
                username: c.user.username,
                role: c.user.role,
                division: c.user.division,
            }))
        }
    };
    Ok(Staff {
        caseworker: get("caseworker").await?,
        caseworker2: get("caseworker2").await?,
        reviewer: get("reviewer").await?,
        head: get("head").await?,
        verifier: get("verifier").await?,
        assistant: get("assistant").await?,
        admin: get("admin").await?,
    })
}

const SURNAMES: &[char] = &['王', '李', '张', '刘', '陈', '杨', '赵', '周', '吴', '徐'];
const GIVEN: &[char] = &[
    '华', '明', '芳', '军', '英', '平', '强', '兰', '红', '伟', '霞',
];

/// The household of one demo case: the head and a spouse, both with names like 王某华 and
/// valid ID numbers that no other demo household has (born on the 31st of December of a
/// leap year, which [`demo::households`] never draws; the sequence number is the slot's).
fn household(slot: usize, planned: PlannedCase, village: &Division) -> Result<NewHousehold> {
    let invalid = |e: String| StoreError::Invalid(e);
    let region = village.code.county_prefix();
    let (head_year, spouse_year) = match planned.program {
        Program::Gaoling => (1932, 1936),
        Program::Tekun => (1952, 1956),
        _ => (1968, 1972),
    };
    let seq = u16::try_from(slot % 400).unwrap_or(0) * 2;
    let born = |year| NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    let surname = SURNAMES[slot % SURNAMES.len()];
    let name = |k: usize, surname: char| {
        PersonName::parse(&format!("{surname}某{}", GIVEN[(slot + k) % GIVEN.len()]))
            .map_err(|e| invalid(e.to_string()))
    };
    Ok(NewHousehold {
        division: village.code.clone(),
        address: format!("{}{}组{}号(演示地址)", village.name, slot % 9 + 1, slot + 1),
        members: vec![
            NewMember {
                name: name(0, surname)?,
                id_number: IdNumber::from_parts(region, born(head_year), seq + 1)
                    .map_err(|e| invalid(e.to_string()))?,
                relation: Relation::Head,
            },
            NewMember {
                name: name(3, SURNAMES[(slot + 5) % SURNAMES.len()])?,
                id_number: IdNumber::from_parts(region, born(spouse_year), seq)
                    .map_err(|e| invalid(e.to_string()))?,
                relation: Relation::Spouse,
            },
        ],
        demo: true,
    })
}

/// Drives one case, one command at a time, each signed by the account its step needs.
struct Driver<'a> {
    store: &'a dyn Store,
    staff: &'a Staff,
    rules: &'a ProgramRules,
    program: Program,
    village: DivisionCode,
    household_id: i64,
    key: String,
    step: usize,
    now: DateTime<Utc>,
    anchor: NaiveDateTime,
    /// The time of the latest command.
    t: NaiveDateTime,
    case_id: Option<i64>,
    /// The day the case was opened.
    opened: Option<NaiveDate>,
    stage: Stage,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl Driver<'_> {
    /// `days` days before the anchor at `hh:mm` (never after the anchor, never before the
    /// previous step).
    fn day(&self, days: u64, hh: u32, mm: u32) -> NaiveDateTime {
        let date = self
            .anchor
            .date()
            .checked_sub_days(Days::new(days))
            .unwrap_or_default();
        let at = date.and_time(NaiveTime::from_hms_opt(hh, mm, 0).unwrap_or_default());
        let latest = self.anchor - Duration::minutes(5);
        at.min(latest).max(self.t + Duration::minutes(1))
    }

    /// `minutes` after the previous step.
    fn later(&self, minutes: i64) -> NaiveDateTime {
        (self.t + Duration::minutes(minutes)).min(self.anchor - Duration::minutes(1))
    }

    async fn cmd(&mut self, who: &Actor, at: NaiveDateTime, body: CommandBody) -> Result<Stage> {
        let at = at.max(self.t);
        let ctx = CommandContext::new(who.clone(), format!("{}:{}", self.key, self.step), self.now);
        self.step += 1;
        let done = self
            .store
            .execute(
                &ctx,
                Command::Case {
                    case_id: self.case_id,
                    case_command: case::Command { at, body },
                },
            )
            .await?;
        let CommandOutcome::CaseRecorded { case_id, stage, .. } = done.outcome else {
            return Err(StoreError::Database(format!(
                "unexpected outcome {:?}",
                done.outcome
            )));
        };
        self.case_id = Some(case_id);
        self.opened.get_or_insert(at.date());
        self.stage = stage;
        self.t = at;
        Ok(stage)
    }

    fn new_case(&self, origin: Origin) -> NewCase {
        NewCase {
            case_id: 0,
            number: String::new(),
            program: self.program,
            village: self.village.clone(),
            household_id: self.household_id,
            origin,
        }
    }

    /// Every required item of the checklist and the verification authorization.
    fn all_materials(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .rules
            .materials
            .iter()
            .filter(|m| m.required)
            .map(|m| m.key.clone())
            .collect();
        if !out.iter().any(|k| k == AUTHORIZATION) {
            out.push(AUTHORIZATION.to_string());
        }
        out
    }

    /// All materials but the last required one that is not the authorization.
    fn one_missing(&self) -> Vec<String> {
        let mut all = self.all_materials();
        if let Some(i) = all.iter().rposition(|k| k != AUTHORIZATION) {
            all.remove(i);
        }
        all
    }

    fn cw(&self) -> Actor {
        self.staff.caseworker.clone()
    }

    /// Opens the case `days` before the anchor and takes it to the township's investigation
    /// (accepted): the pre-check first where the plan checks first, the village's first
    /// review where it has one, the economic check where none is on file.
    async fn open_to_investigation(&mut self, days: u64, with_check: bool) -> Result<()> {
        let cw = self.cw();
        let materials = self.all_materials();
        if self.rules.order == StepOrder::VerifyFirst {
            let body = CommandBody::RequestPreCheck {
                case: self.new_case(Origin::Household),
                materials: strings(&[AUTHORIZATION]),
            };
            self.cmd(&cw, self.day(days, 9, 0), body).await?;
            self.check_passed(self.day(days - 1, 10, 0)).await?;
            let body = CommandBody::ApplyAfterCheck { materials };
            self.cmd(&cw, self.day(days - 2, 9, 30), body).await?;
        } else {
            let body = CommandBody::Apply {
                case: self.new_case(Origin::Household),
                materials,
            };
            self.cmd(&cw, self.day(days, 9, 0), body).await?;
        }
        if self.stage == Stage::VillageReview {
            let body = CommandBody::RecordVillageReview {
                supports: true,
                opinion: "经村(居)民委员会初审，家庭情况属实，同意上报(演示)".into(),
            };
            let assistant = self.staff.assistant.clone();
            self.cmd(&assistant, self.day(days - 2, 15, 0), body)
                .await?;
        }
        if with_check && self.rules.order != StepOrder::VerifyFirst {
            self.cmd(&cw, self.day(days - 2, 16, 0), CommandBody::RequestCheck)
                .await?;
            self.check_passed(self.day(days - 3, 10, 0)).await?;
        }
        Ok(())
    }

    async fn check_passed(&mut self, at: NaiveDateTime) -> Result<Stage> {
        let verifier = self.staff.verifier.clone();
        let body = CommandBody::RecordCheckResult {
            passed: true,
            summary: "经信息化核对，家庭收入、财产状况符合规定(演示)".into(),
            reasons: Vec::new(),
        };
        self.cmd(&verifier, at, body).await
    }

    async fn home_visit(&mut self, at: NaiveDateTime, again: bool) -> Result<Stage> {
        let cw = self.cw();
        let investigators = vec![uid(&self.staff.caseworker), uid(&self.staff.caseworker2)];
        let fen = |yuan| Fen::from_yuan(yuan).unwrap_or(Fen::ZERO);
        let body = CommandBody::RecordHomeVisit {
            investigators,
            members: vec![
                MemberFacts {
                    member_seq: 1,
                    relation: Relation::Head,
                    lives_together: true,
                    able_to_work: false,
                    monthly_income: fen(200),
                    note: "患慢性病，长期服药(演示)".into(),
                },
                MemberFacts {
                    member_seq: 2,
                    relation: Relation::Spouse,
                    lives_together: true,
                    able_to_work: false,
                    monthly_income: fen(100),
                    note: String::new(),
                },
            ],
            findings: if again {
                "异议复核：重新入户核实，子女已分户另住，无赡养能力(演示)".into()
            } else {
                "入户调查：家庭收入低于当地标准，情况属实(演示)".into()
            },
        };
        self.cmd(&cw, at, body).await
    }

    async fn review(&mut self, at: NaiveDateTime, approve: bool, disputed: bool) -> Result<Stage> {
        let reviewer = self.staff.reviewer.clone();
        let body = if approve {
            CommandBody::SignReview {
                recommendation: Recommendation::Approve {
                    proposed_amount: None,
                },
                opinion: "经审核，符合条件，拟批准(演示)".into(),
                disputed,
            }
        } else {
            CommandBody::SignReview {
                recommendation: Recommendation::Refuse {
                    reasons: strings(&["家庭人均收入高于当地保障标准(演示)"]),
                },
                opinion: "经审核，不符合条件，拟不予批准(演示)".into(),
                disputed,
            }
        };
        self.cmd(&reviewer, at, body).await
    }

    async fn appraisal(&mut self, at: NaiveDateTime, outcome: AppraisalOutcome) -> Result<Stage> {
        let cw = self.cw();
        let body = CommandBody::RecordAppraisal {
            participants: strings(&["村民代表5人(演示)", "驻村干部(演示)"]),
            outcome,
            minutes: "民主评议会议记录(演示)".into(),
        };
        self.cmd(&cw, at, body).await
    }

    /// From investigation (check on file) to the review, any appraisal, and the notice
    /// posted where the plan posts before deciding; `days` before the anchor.
    async fn review_to_notice_or_decision(&mut self, days: u64, approve: bool) -> Result<()> {
        self.home_visit(self.day(days, 10, 0), false).await?;
        self.review(self.day(days - 1, 10, 0), approve, false)
            .await?;
        if self.stage == Stage::Appraisal {
            let outcome = if approve {
                AppraisalOutcome::Supports
            } else {
                AppraisalOutcome::Opposes
            };
            self.appraisal(self.day(days - 1, 14, 0), outcome).await?;
        }
        Ok(())
    }

    async fn post_notice(&mut self, at: NaiveDateTime) -> Result<Stage> {
        let cw = self.cw();
        self.cmd(&cw, at, CommandBody::PostNotice).await
    }

    /// Ends a running notice the day after it ran out.
    async fn end_notice(&mut self) -> Result<Stage> {
        let id = self.case_id.unwrap_or_default();
        let state = self.store.case(&Actor::system("demo"), id).await?;
        let due = state
            .due(Step::Notice)
            .ok_or_else(|| StoreError::Invalid("the notice has no due date".into()))?;
        let end = due
            .date
            .checked_add_days(Days::new(1))
            .unwrap_or(due.date)
            .and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default());
        let cw = self.cw();
        self.cmd(&cw, end, CommandBody::EndNotice).await
    }

    fn basis(&self, above_cap: bool) -> AmountBasis {
        let first_standard = || {
            self.rules
                .standards
                .iter()
                .map(|s| s.key.clone())
                .find(|k| k == "rural")
                .or_else(|| self.rules.standards.first().map(|s| s.key.clone()))
                .unwrap_or_default()
        };
        match &self.rules.amount {
            AmountRule::TopUp { .. } => AmountBasis::TopUp {
                standard: first_standard(),
                add_ons: Vec::new(),
            },
            AmountRule::BasicPlusCare { .. } => AmountBasis::BasicPlusCare {
                care: CareLevel::Partial,
            },
            AmountRule::MonthsOfStandard { max_months, .. } => AmountBasis::MonthsOfStandard {
                standard: first_standard(),
                months: if above_cap { *max_months } else { 2 },
            },
            AmountRule::AgeBand { bands } => AmountBasis::AgeBand {
                age: bands.get(1).or(bands.first()).map_or(92, |b| b.min_age + 2),
            },
            AmountRule::DisabilitySubsidy { .. } => AmountBasis::DisabilitySubsidy {
                living: true,
                nursing: true,
                grade: 1,
            },
            AmountRule::Status => AmountBasis::Status,
        }
    }

    /// The decision by the township head where the township confirms, else by the county.
    async fn decide(&mut self, at: NaiveDateTime, decision: DecisionRequest) -> Result<Stage> {
        let head = self.staff.head.clone();
        let body = CommandBody::Decide { decision };
        match self.cmd(&head, at, body.clone()).await {
            Err(StoreError::Case {
                code: "case.not_the_authority",
                ..
            }) => {
                let admin = self.staff.admin.clone();
                self.cmd(&admin, at + Duration::minutes(30), body).await
            }
            other => other,
        }
    }

    /// An approval from the month the case was opened in.
    fn approval(&self, above_cap: bool) -> DecisionRequest {
        let opened = self.opened.unwrap_or(self.t.date());
        let start_month = opened.with_day(1).unwrap_or(opened);
        DecisionRequest::Approve {
            basis: self.basis(above_cap),
            start_month,
            expected_amount: None,
        }
    }

    /// A whole procedure from `days` before the anchor to the decision, delivered and (for
    /// an approval where the plan posts results) posted.
    async fn decided(&mut self, days: u64, approve: bool, above_cap: bool) -> Result<()> {
        self.open_to_investigation(days, true).await?;
        self.review_to_notice_or_decision(days - 4, approve).await?;
        if self.stage == Stage::ToNotice {
            self.post_notice(self.later(60)).await?;
            self.end_notice().await?;
        }
        let decision = if approve {
            self.approval(above_cap)
        } else {
            DecisionRequest::Refuse {
                reasons: strings(&["家庭人均收入高于当地保障标准(演示)"]),
            }
        };
        self.decide(self.later(60), decision).await?;
        let cw = self.cw();
        let note = if approve {
            "决定书已送达申请人(演示)"
        } else {
            "不予批准告知书已送达，告知理由及复议诉讼途径(演示)"
        };
        self.cmd(
            &cw,
            self.later(120),
            CommandBody::DeliverNotice { note: note.into() },
        )
        .await?;
        if approve && self.rules.steps.disclosure.after_decision {
            self.cmd(&cw, self.later(24 * 60), CommandBody::PostResult)
                .await?;
        }
        Ok(())
    }

    async fn run(&mut self, kind: DemoCaseKind) -> Result<()> {
        let cw = self.cw();
        match kind {
            DemoCaseKind::AwaitingMaterials => {
                if self.rules.order == StepOrder::VerifyFirst {
                    let body = CommandBody::RequestPreCheck {
                        case: self.new_case(Origin::Household),
                        materials: strings(&[AUTHORIZATION]),
                    };
                    self.cmd(&cw, self.day(4, 9, 0), body).await?;
                    self.check_passed(self.day(3, 10, 0)).await?;
                    let materials = self.one_missing();
                    self.cmd(
                        &cw,
                        self.day(1, 9, 30),
                        CommandBody::ApplyAfterCheck { materials },
                    )
                    .await?;
                } else {
                    let body = CommandBody::Apply {
                        case: self.new_case(Origin::Household),
                        materials: self.one_missing(),
                    };
                    self.cmd(&cw, self.day(1, 9, 30), body).await?;
                }
            }
            DemoCaseKind::VillageReview => {
                let body = CommandBody::Apply {
                    case: self.new_case(Origin::OnBehalf),
                    materials: self.all_materials(),
                };
                let assistant = self.staff.assistant.clone();
                self.cmd(&assistant, self.day(1, 10, 0), body).await?;
            }
            DemoCaseKind::PreCheck => {
                let body = CommandBody::RequestPreCheck {
                    case: self.new_case(Origin::Household),
                    materials: strings(&[AUTHORIZATION]),
                };
                self.cmd(&cw, self.day(1, 11, 0), body).await?;
            }
            DemoCaseKind::AwaitingCheck => {
                self.open_to_investigation(14, false).await?;
                self.cmd(&cw, self.day(1, 9, 0), CommandBody::RequestCheck)
                    .await?;
            }
            DemoCaseKind::Investigation => {
                self.open_to_investigation(13, true).await?;
            }
            DemoCaseKind::Review => {
                self.open_to_investigation(15, true).await?;
                self.home_visit(self.day(2, 10, 0), false).await?;
            }
            DemoCaseKind::Appraisal => {
                self.open_to_investigation(16, true).await?;
                self.home_visit(self.day(4, 10, 0), false).await?;
                let disputed = self.rules.steps.appraisal == Appraisal::OnObjection;
                self.review(self.day(2, 10, 0), true, disputed).await?;
            }
            DemoCaseKind::Notice => {
                self.open_to_investigation(16, true).await?;
                self.review_to_notice_or_decision(5, true).await?;
                self.post_notice(self.day(2, 9, 0)).await?;
            }
            DemoCaseKind::Objected => {
                self.open_to_investigation(18, true).await?;
                self.review_to_notice_or_decision(8, true).await?;
                self.post_notice(self.day(5, 9, 0)).await?;
                let body = CommandBody::RaiseObjection {
                    summary: "村民反映该户子女有稳定收入(演示)".into(),
                };
                self.cmd(&cw, self.day(1, 10, 0), body).await?;
            }
            DemoCaseKind::Decision => {
                self.open_to_investigation(30, true).await?;
                self.review_to_notice_or_decision(26, true).await?;
                if self.stage == Stage::ToNotice {
                    self.post_notice(self.later(60)).await?;
                    self.end_notice().await?;
                }
            }
            DemoCaseKind::Approved => self.decided(50, true, false).await?,
            DemoCaseKind::AboveCap => self.decided(45, true, true).await?,
            DemoCaseKind::Refused => self.decided(40, false, false).await?,
            DemoCaseKind::Archived => {
                self.decided(80, true, false).await?;
                self.cmd(&cw, self.later(24 * 60), CommandBody::Archive)
                    .await?;
            }
            DemoCaseKind::Overdue => {
                self.open_to_investigation(45, true).await?;
            }
            DemoCaseKind::EmergencyPending | DemoCaseKind::EmergencyDone => {
                let done = kind == DemoCaseKind::EmergencyDone;
                let days = if done { 20 } else { 1 };
                let body = CommandBody::ReportEmergency {
                    case: self.new_case(Origin::Discovered),
                    summary: "住房失火，家中无处居住，急需生活救助(演示)".into(),
                };
                self.cmd(&cw, self.day(days, 20, 0), body).await?;
                let head = self.staff.head.clone();
                let body = CommandBody::GiveEmergencyHelp {
                    amount: Fen::from_yuan(2000).unwrap_or(Fen::ZERO),
                    description: "先行发放临时救助金和生活物资(演示)".into(),
                };
                let helped = self.later(12 * 60);
                match self.cmd(&head, helped, body.clone()).await {
                    Err(StoreError::Case {
                        code: "case.emergency_help_above_cap",
                        ..
                    }) => {
                        let admin = self.staff.admin.clone();
                        self.cmd(&admin, helped, body).await?;
                    }
                    other => {
                        other?;
                    }
                }
                if done {
                    let body = CommandBody::CompletePaperwork {
                        materials: self.all_materials(),
                        continue_procedure: false,
                    };
                    self.cmd(&cw, self.day(days - 3, 10, 0), body).await?;
                }
            }
            DemoCaseKind::Withdrawn => {
                self.open_to_investigation(12, true).await?;
                let body = CommandBody::Withdraw {
                    reason: WithdrawReason::ApplicantRequest,
                    note: "申请人家庭情况好转，主动撤回申请(演示)".into(),
                };
                self.cmd(&cw, self.day(6, 10, 0), body).await?;
            }
            DemoCaseKind::NearRelative => {
                self.open_to_investigation(15, true).await?;
                let assistant = uid(&self.staff.assistant);
                let body = CommandBody::FileNearRelative {
                    related_user: assistant,
                    kinship: Kinship::Sibling,
                    capacity: RelatedCapacity::VillageCadre,
                };
                self.cmd(&cw, self.day(9, 9, 0), body).await?;
                self.home_visit(self.day(8, 10, 0), false).await?;
            }
        }
        Ok(())
    }
}
