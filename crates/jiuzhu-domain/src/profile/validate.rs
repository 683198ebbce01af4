//! Semantic checks of an effective profile (after merging), and warnings.
//!
//! Only rules the national base or the seed plans imply are enforced. In particular the
//! sum of the step deadlines is *not* required to fit the whole-procedure limit: seed 001's
//! steps (10 + 5 + 7 + 3 working days) exceed the national 20 working days for delegated
//! confirmation, so that is a warning, not an error.

use std::collections::BTreeSet;

use super::load::error_at;
use super::{
    AmountRule, EffectiveProfile, ProfileError, ProfileWarning, ProgramRules, StepOrder,
    TownshipSet, period_cmp,
};
use crate::deadline::Period;
use crate::{DivisionLevel, Fen, Program};

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, key: &str, reason: impl Into<String>) -> ProfileError {
        error_at(self.file, self.text, key, reason)
    }

    fn percent(&self, key: &str, value: u32) -> Result<(), ProfileError> {
        if value > 100 {
            return Err(self.err(
                key,
                format!("{value} is not a percentage; expected 0 to 100"),
            ));
        }
        Ok(())
    }

    fn days_not_hours(&self, key: &str, period: Option<Period>) -> Result<(), ProfileError> {
        if let Some(p @ Period::Hours(_)) = period {
            return Err(self.err(
                key,
                format!(
                    "`{p}` is in hours; expected working days (\"7wd\") or calendar days (\"7d\")"
                ),
            ));
        }
        Ok(())
    }

    fn machine_key(&self, key: &str, value: &str) -> Result<(), ProfileError> {
        let ok = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            return Err(self.err(
                key,
                format!("`{value}` is not a machine key; use lowercase letters, digits and _"),
            ));
        }
        Ok(())
    }
}

pub(super) fn validate(p: &EffectiveProfile, file: &str, text: &str) -> Result<(), ProfileError> {
    let cx = Ctx { file, text };

    let id_ok = !p.id.is_empty()
        && p.id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !id_ok {
        return Err(cx.err(
            "id",
            format!(
                "`{}` is not a profile id; use lowercase letters, digits and -, e.g. \"511526-gongxian\"",
                p.id
            ),
        ));
    }
    if p.name.trim().is_empty() {
        return Err(cx.err("name", "must not be empty"));
    }
    if p.plan.source.trim().is_empty() {
        return Err(cx.err("plan.source", "must not be empty"));
    }
    if p.plan.title.trim().is_empty() {
        return Err(cx.err("plan.title", "must not be empty"));
    }

    let mut counties = BTreeSet::new();
    for (i, county) in p.applies_to.iter().enumerate() {
        let key = format!("applies_to[{i}]");
        if county.level() != DivisionLevel::County {
            return Err(cx.err(
                &key,
                format!(
                    "`{county}` is a {} code; list county-level codes (6 digits, e.g. \"511526\"); townships go into delegation phases",
                    county.level().name_zh()
                ),
            ));
        }
        if !counties.insert(county) {
            return Err(cx.err(&key, format!("`{county}` is listed twice")));
        }
    }
    if p.extends.is_some() && p.applies_to.is_empty() {
        return Err(cx.err(
            "applies_to",
            "a county profile names the counties it governs, e.g. applies_to = [\"511526\"]",
        ));
    }

    let s = &p.supervision;
    cx.percent("supervision.spot_check_percent", s.spot_check_percent)?;
    cx.days_not_hours("supervision.report_answer", Some(s.report_answer))?;
    for (program, v) in &s.spot_check_program_percent {
        cx.percent(
            &format!("supervision.spot_check_program_percent.{program}"),
            *v,
        )?;
    }
    if let Some(v) = s.ledger_consistency_min_percent {
        cx.percent("supervision.ledger_consistency_min_percent", v)?;
    }
    if let Some(v) = s.problem_data_max_percent {
        cx.percent("supervision.problem_data_max_percent", v)?;
    }

    if !(1..=28).contains(&p.payment.roster_cutoff_day) {
        return Err(cx.err(
            "payment.roster_cutoff_day",
            format!(
                "{} is not a day every month has; expected 1 to 28",
                p.payment.roster_cutoff_day
            ),
        ));
    }
    cx.days_not_hours("payment.bank_transfer", Some(p.payment.bank_transfer))?;

    for (&program, rules) in &p.programs {
        validate_program(&cx, p, program, rules)?;
    }
    Ok(())
}

fn validate_program(
    cx: &Ctx<'_>,
    p: &EffectiveProfile,
    program: Program,
    r: &ProgramRules,
) -> Result<(), ProfileError> {
    let pre = format!("programs.{program}");

    // Delegation.
    let d = &r.delegation;
    if d.delegated && d.phases.is_empty() {
        return Err(cx.err(
            &format!("{pre}.delegation.phases"),
            "a delegated program needs at least one phase, e.g. phases = [{ from = 2020-10-01, townships = \"all\" }]",
        ));
    }
    if !d.delegated && !d.phases.is_empty() {
        return Err(cx.err(
            &format!("{pre}.delegation.phases"),
            "phases are given but delegated = false; set delegated = true or write phases = []",
        ));
    }
    if let Some(cap) = d.cap {
        if cap <= Fen::ZERO {
            return Err(cx.err(
                &format!("{pre}.delegation.cap_yuan"),
                "must be a positive amount",
            ));
        }
        if !d.delegated {
            return Err(cx.err(
                &format!("{pre}.delegation.cap_yuan"),
                "a cap applies only to a delegated program (delegated = false)",
            ));
        }
    }
    for (i, phase) in d.phases.iter().enumerate() {
        let key = format!("{pre}.delegation.phases[{i}]");
        if i > 0 && phase.from <= d.phases[i - 1].from {
            return Err(cx.err(
                &format!("{key}.from"),
                format!(
                    "phases must be in date order: {} is not after the previous phase's {}",
                    phase.from,
                    d.phases[i - 1].from
                ),
            ));
        }
        if let TownshipSet::Listed(codes) = &phase.townships {
            if codes.is_empty() {
                return Err(cx.err(
                    &format!("{key}.townships"),
                    "the list is empty; write \"all\" or name the townships",
                ));
            }
            let mut seen = BTreeSet::new();
            for (j, code) in codes.iter().enumerate() {
                let ckey = format!("{key}.townships[{j}]");
                if code.level() != DivisionLevel::Township {
                    return Err(cx.err(
                        &ckey,
                        format!(
                            "`{code}` is a {} code; expected a township code (12 digits ending in 000, e.g. \"511526101000\")",
                            code.level().name_zh()
                        ),
                    ));
                }
                if !p.applies_to.iter().any(|c| c.contains(code)) {
                    let list: Vec<&str> = p.applies_to.iter().map(|c| c.as_str()).collect();
                    return Err(cx.err(
                        &ckey,
                        format!(
                            "`{code}` is not in a county this profile applies to ({})",
                            if list.is_empty() {
                                "none".to_string()
                            } else {
                                list.join(", ")
                            }
                        ),
                    ));
                }
                if !seen.insert(code) {
                    return Err(cx.err(&ckey, format!("`{code}` is listed twice")));
                }
            }
        }
    }

    // Steps.
    let st = &r.steps;
    if r.order == StepOrder::VerifyFirst && st.notice.before_decision {
        return Err(cx.err(
            &format!("{pre}.steps.notice.before_decision"),
            "a verify-first procedure (先核对、后申请) has no notice before the decision; set before_decision = false",
        ));
    }
    if st.notice.before_decision && st.notice.length.is_none() {
        return Err(cx.err(
            &format!("{pre}.steps.notice.length"),
            "a notice before the decision needs its length, e.g. length = \"7wd\" (working days) or \"7d\" (calendar days)",
        ));
    }
    cx.days_not_hours(&format!("{pre}.steps.notice.length"), st.notice.length)?;
    cx.percent(
        &format!("{pre}.steps.investigation.home_visit_percent"),
        st.investigation.home_visit_percent,
    )?;
    if st.investigation.home_visit && st.investigation.min_investigators < 2 {
        return Err(cx.err(
            &format!("{pre}.steps.investigation.min_investigators"),
            format!(
                "{} is below the national minimum of 2 investigators per home visit (DOMAIN §10)",
                st.investigation.min_investigators
            ),
        ));
    }

    // Limits.
    if let (Some(whole), Some(special)) = (r.limits.whole, r.limits.whole_special)
        && period_cmp(special, whole) == Some(std::cmp::Ordering::Less)
    {
        return Err(cx.err(
            &format!("{pre}.limits.whole_special"),
            format!("the special-case limit {special} is shorter than the normal limit {whole}"),
        ));
    }

    if r.emergency.is_some() && program != Program::Linshi {
        return Err(cx.err(
            &format!("{pre}.emergency"),
            "emergency rules (急难型) belong to linshi (临时救助) only",
        ));
    }

    if let Some(dy) = &r.dynamic {
        for (name, months) in [
            ("recheck_stable_months", dy.recheck_stable_months),
            ("recheck_other_months", dy.recheck_other_months),
        ] {
            if months == 0 {
                return Err(cx.err(&format!("{pre}.dynamic.{name}"), "must be at least 1 month"));
            }
        }
        if dy.gradual_exit_months > 6 {
            return Err(cx.err(
                &format!("{pre}.dynamic.gradual_exit_months"),
                format!(
                    "{} months exceeds the national maximum gradual-exit period (渐退期) of 6 months (DOMAIN §10)",
                    dy.gradual_exit_months
                ),
            ));
        }
    }

    let mut keys = BTreeSet::new();
    for (i, m) in r.materials.iter().enumerate() {
        let key = format!("{pre}.materials[{i}]");
        cx.machine_key(&format!("{key}.key"), &m.key)?;
        if !keys.insert(m.key.as_str()) {
            return Err(cx.err(
                &format!("{key}.key"),
                format!("`{}` is listed twice", m.key),
            ));
        }
        if m.name_zh.trim().is_empty() {
            return Err(cx.err(&format!("{key}.name_zh"), "must not be empty"));
        }
    }
    let mut keys = BTreeSet::new();
    for (i, s) in r.standards.iter().enumerate() {
        let key = format!("{pre}.standards[{i}]");
        cx.machine_key(&format!("{key}.key"), &s.key)?;
        if !keys.insert(s.key.as_str()) {
            return Err(cx.err(
                &format!("{key}.key"),
                format!("`{}` is listed twice", s.key),
            ));
        }
        if s.name_zh.trim().is_empty() {
            return Err(cx.err(&format!("{key}.name_zh"), "must not be empty"));
        }
        if s.yuan <= Fen::ZERO {
            return Err(cx.err(&format!("{key}.yuan"), "must be a positive amount"));
        }
    }
    validate_amount(cx, &pre, r)
}

/// The amount formula: the standards it names exist, its settings are in range.
fn validate_amount(cx: &Ctx<'_>, pre: &str, r: &ProgramRules) -> Result<(), ProfileError> {
    let pre = format!("{pre}.amount");
    for (key, standard) in r.amount.standard_keys() {
        if !r.standards.iter().any(|s| s.key == standard) {
            return Err(cx.err(
                &format!("{pre}.{key}"),
                format!(
                    "names the standard `{standard}`, which the program's standards do not list"
                ),
            ));
        }
    }
    let needs_standard = matches!(
        r.amount,
        AmountRule::TopUp { .. } | AmountRule::MonthsOfStandard { .. }
    );
    if needs_standard && r.standards.is_empty() {
        return Err(cx.err(
            &format!("{pre}.formula"),
            format!("`{}` needs at least one standard", r.amount.formula()),
        ));
    }
    match &r.amount {
        AmountRule::TopUp { add_ons } => {
            let mut keys = BTreeSet::new();
            for (i, a) in add_ons.iter().enumerate() {
                let key = format!("{pre}.add_ons[{i}]");
                cx.machine_key(&format!("{key}.key"), &a.key)?;
                if !keys.insert(a.key.as_str()) {
                    return Err(cx.err(
                        &format!("{key}.key"),
                        format!("`{}` is listed twice", a.key),
                    ));
                }
                if a.name_zh.trim().is_empty() {
                    return Err(cx.err(&format!("{key}.name_zh"), "must not be empty"));
                }
                cx.percent(&format!("{key}.percent"), a.percent)?;
            }
        }
        AmountRule::MonthsOfStandard { max_months, max } => {
            if *max_months == 0 {
                return Err(cx.err(&format!("{pre}.max_months"), "must be at least 1"));
            }
            if *max <= Fen::ZERO {
                return Err(cx.err(&format!("{pre}.max_yuan"), "must be a positive amount"));
            }
        }
        AmountRule::AgeBand { bands } => {
            if bands.is_empty() {
                return Err(cx.err(&format!("{pre}.bands"), "list at least one age band"));
            }
            let mut previous_max: Option<Option<u32>> = None;
            for (i, b) in bands.iter().enumerate() {
                let key = format!("{pre}.bands[{i}]");
                if b.max_age.is_some_and(|m| m < b.min_age) {
                    return Err(cx.err(&key, "max_age is below min_age"));
                }
                match previous_max {
                    Some(None) => {
                        return Err(cx.err(&key, "follows an open band (one without max_age)"));
                    }
                    Some(Some(m)) if b.min_age <= m => {
                        return Err(cx.err(
                            &format!("{key}.min_age"),
                            format!("{} overlaps the band before, which ends at {m}; list bands in ascending order without overlap", b.min_age),
                        ));
                    }
                    _ => {}
                }
                previous_max = Some(b.max_age);
            }
        }
        AmountRule::DisabilitySubsidy {
            nursing_max_grade, ..
        } => {
            if !(1..=4).contains(nursing_max_grade) {
                return Err(cx.err(
                    &format!("{pre}.nursing_max_grade"),
                    format!("{nursing_max_grade} is not a disability grade; expected 1 to 4"),
                ));
            }
        }
        AmountRule::BasicPlusCare { .. } | AmountRule::Status => {}
    }
    Ok(())
}

/// Legal settings worth a look.
pub(super) fn warnings(p: &EffectiveProfile, file: &str) -> Vec<ProfileWarning> {
    let mut out = Vec::new();
    for (program, r) in &p.programs {
        let st = &r.steps;
        let notice = if st.notice.before_decision {
            st.notice.length
        } else {
            None
        };
        let parts = [
            ("investigation", st.investigation.deadline),
            ("review", st.review.deadline),
            ("notice", notice),
            ("decision", st.decision.deadline),
        ];
        // u64: the periods come from user files and may be absurdly large.
        let mut sum: u64 = 0;
        let mut terms = Vec::new();
        for (name, period) in parts {
            if let Some(Period::WorkingDays(n)) = period {
                sum += u64::from(n);
                terms.push(format!("{name} {n}"));
            }
        }
        if let Some(Period::WorkingDays(limit)) = r.whole_limit(r.delegation.delegated)
            && sum > u64::from(limit)
        {
            out.push(ProfileWarning {
                file: file.to_string(),
                key: format!("programs.{program}.limits"),
                message: format!(
                    "the step deadlines add up to {sum} working days ({}), more than the whole-procedure limit of {limit} working days{}",
                    terms.join(" + "),
                    if r.delegation.delegated { " for delegated confirmation" } else { "" }
                ),
            });
        }
    }
    out
}
