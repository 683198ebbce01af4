//! Procedure profiles: the built-in national base and the five seed plans load, their
//! effective rules say what the plans say, overrides override, and broken files are refused
//! with the file, the key and the reason.

use chrono::NaiveDate;
use jiuzhu_domain::deadline::Period;
use jiuzhu_domain::profile::{
    Appraisal, BUILTIN, EffectiveProfile, ProfileError, ProfileSet, StepOrder, TownshipSet,
};
use jiuzhu_domain::{DivisionCode, Fen, Program};

fn set() -> ProfileSet {
    ProfileSet::builtin().unwrap_or_else(|e| panic!("built-in profiles must load: {e}"))
}

fn code(s: &str) -> DivisionCode {
    DivisionCode::parse(s).expect("valid code")
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("valid date")
}

fn county(c: &str) -> EffectiveProfile {
    set()
        .effective_for(&code(c))
        .unwrap_or_else(|| panic!("a profile governs {c}"))
}

fn wd(n: u32) -> Option<Period> {
    Some(Period::WorkingDays(n))
}

const NATIONAL: &str = BUILTIN[0].1;

// ---------------------------------------------------------------- loading and lookup

#[test]
fn every_builtin_profile_loads() {
    let set = set();
    let ids: Vec<&str> = set.profiles().iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "national",
            "640181-lingwu",
            "650205-wuerhe",
            "330212-yinzhou",
            "511526-gongxian",
            "370900-taian"
        ]
    );
    assert_eq!(set.base().map(|p| p.id.as_str()), Some("national"));
    for p in set.profiles() {
        assert_eq!(p.programs.len(), 6, "{} defines all six programs", p.id);
        if p.id != "national" {
            assert_eq!(p.extends.as_deref(), Some("national"));
            assert_eq!(
                p.files.first().map(String::as_str),
                Some("profiles/national.toml")
            );
            assert_eq!(p.files.len(), 2);
        }
    }
    // Each built-in file also passes `profile check` on its own.
    for (file, text) in BUILTIN {
        let report = ProfileSet::check_file(file, text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            &report.profile,
            set.get(&report.profile.id).expect("same id")
        );
    }
}

#[test]
fn counties_townships_and_villages_find_their_profile() {
    let set = set();
    let id = |c: &str| set.profile_for(&code(c)).map(|p| p.id.clone());
    assert_eq!(id("640181").as_deref(), Some("640181-lingwu"));
    assert_eq!(id("650205100000").as_deref(), Some("650205-wuerhe"));
    assert_eq!(id("330212001005").as_deref(), Some("330212-yinzhou"));
    assert_eq!(id("511526102000").as_deref(), Some("511526-gongxian"));
    // 004 applies to all six counties of 泰安市.
    for c in ["370902", "370911", "370921", "370923", "370982", "370983"] {
        assert_eq!(id(c).as_deref(), Some("370900-taian"), "{c}");
    }
    assert_eq!(id("370902001000").as_deref(), Some("370900-taian"));
    // The prefecture itself is not a county; other counties have no profile.
    assert_eq!(id("370900"), None);
    assert_eq!(id("110101"), None);
    assert!(set.effective_for(&code("110101")).is_none());
}

// ---------------------------------------------------------------- national base

#[test]
fn national_base_states_the_national_rules() {
    let set = set();
    let n = set.base().expect("base");
    assert!(n.applies_to.is_empty());
    assert_eq!(
        n.delegated_programs().count(),
        0,
        "nothing is delegated nationally"
    );
    let dibao = n.program(Program::Dibao).expect("dibao");
    assert_eq!(dibao.order, StepOrder::ApplyFirst);
    assert_eq!(dibao.steps.investigation.min_investigators, 2);
    assert_eq!(dibao.steps.investigation.start_within, wd(3));
    assert_eq!(dibao.steps.economic_check.deadline, wd(3));
    assert!(dibao.steps.notice.before_decision);
    // "7 days" where working days are not said: calendar days.
    assert_eq!(dibao.steps.notice.length, Some(Period::CalendarDays(7)));
    assert_eq!(dibao.steps.appraisal, Appraisal::OnObjection);
    assert_eq!(dibao.steps.decision.deadline, wd(10));
    assert_eq!(dibao.steps.decision.refusal_notice, wd(3));
    assert_eq!(dibao.limits.whole, wd(30));
    assert_eq!(dibao.limits.whole_special, wd(45));
    assert_eq!(dibao.whole_limit(false), wd(30));
    assert_eq!(dibao.whole_limit(true), wd(20));
    let dy = dibao.dynamic.as_ref().expect("dynamic");
    assert_eq!(
        (
            dy.recheck_stable_months,
            dy.recheck_other_months,
            dy.gradual_exit_months
        ),
        (12, 6, 6)
    );
    let tekun = n.program(Program::Tekun).expect("tekun");
    assert_eq!(tekun.steps.investigation.deadline, wd(15));
    assert_eq!(tekun.steps.decision.deadline, wd(15));
    assert_eq!(n.supervision.spot_check_percent, 30);
    let linshi = n.program(Program::Linshi).expect("linshi");
    let em = linshi.emergency.as_ref().expect("emergency rules");
    assert!(em.help_first && em.skip_check);
    assert_eq!((em.help_within, em.paperwork_within), (None, None));
    // Amount standards are never national: all demo.
    for p in n.programs.values() {
        assert!(p.standards.iter().all(|s| s.demo));
    }
}

// ---------------------------------------------------------------- seed 000 灵武市

#[test]
fn lingwu_000_delegates_four_programs_to_all_townships_from_2021_09_05() {
    let p = county("640181");
    let delegated: Vec<Program> = p.delegated_programs().map(|(prog, _)| prog).collect();
    // 三、(一): 低收入家庭认定、高龄低收入老人津贴、特困人员供养、残疾人两项补贴
    assert_eq!(
        delegated,
        [
            Program::Tekun,
            Program::Dishouru,
            Program::Gaoling,
            Program::Canji
        ]
    );
    for prog in delegated {
        let d = &p.program(prog).expect("rules").delegation;
        assert_eq!(d.phases.len(), 1);
        assert_eq!(d.phases[0].from, date("2021-09-05")); // 四、(二) 全面实施(2021年9月5日开始)
        assert_eq!(d.phases[0].townships, TownshipSet::All);
        assert_eq!(d.cap, None);
        let town = code("640181101000"); // 郝家桥镇
        assert!(!d.township_holds(&town, date("2021-09-04")));
        assert!(d.township_holds(&town, date("2021-09-05")));
        assert!(d.township_holds(&code("640181101200"), date("2022-01-01"))); // a village in it
        let steps = &p.program(prog).expect("rules").steps;
        assert!(steps.village_review, "三、(三)3. 村(居)委会 … 受理及初审");
        assert_eq!(steps.appraisal, Appraisal::Always);
        assert!(steps.disclosure.long_term, "确认救助对象长期公示");
    }
    // 低保 and 临时救助 stay with the county.
    assert!(
        !p.program(Program::Dibao)
            .expect("dibao")
            .delegation
            .delegated
    );
    assert!(
        !p.program(Program::Linshi)
            .expect("linshi")
            .delegation
            .delegated
    );
    // 三、(三)2.: 每月25日前提交备案辖区社会救助对象花名册
    assert_eq!(p.payment.roster_cutoff_day, 25);
}

// ---------------------------------------------------------------- seed 001 乌尔禾区

#[test]
fn wuerhe_001_deadlines_and_two_townships_from_2022_02_01() {
    let p = county("650205");
    for prog in [
        Program::Dibao,
        Program::Tekun,
        Program::Dishouru,
        Program::Linshi,
    ] {
        let r = p.program(prog).expect("rules");
        let d = &r.delegation;
        assert!(d.delegated, "{prog}");
        assert_eq!(d.phases.len(), 1);
        assert_eq!(d.phases[0].from, date("2022-02-01"));
        assert_eq!(
            d.phases[0].townships,
            TownshipSet::Listed(vec![code("650205001000"), code("650205100000")])
        );
        for t in ["650205001000", "650205100000", "650205100200"] {
            assert!(
                !d.township_holds(&code(t), date("2022-01-31")),
                "{t} before"
            );
            assert!(d.township_holds(&code(t), date("2022-02-01")), "{t} from");
        }
        // 五、(二) 10 working days to investigate, 5 to review
        assert_eq!(r.steps.investigation.deadline, wd(10));
        assert_eq!(r.steps.review.deadline, wd(5));
        // 五、(三) notice 7 working days before the decision, decision within 3, refusal 3,
        // objection → decision within 15
        assert!(r.steps.notice.before_decision);
        assert_eq!(r.steps.notice.length, wd(7));
        assert_eq!(r.steps.decision.deadline, wd(3));
        assert_eq!(r.steps.decision.refusal_notice, wd(3));
        assert_eq!(r.steps.decision.after_objection, wd(15));
        assert!(r.steps.disclosure.long_term);
        assert_eq!(r.steps.investigation.home_visit_percent, 100); // 六、(二) 100%入户核查
        assert_eq!(r.steps.appraisal, Appraisal::OnObjection); // 有争议的 … 民主评议
    }
    for prog in [Program::Gaoling, Program::Canji] {
        assert!(
            !p.program(prog).expect("rules").delegation.delegated,
            "{prog}"
        );
    }
    assert_eq!(p.supervision.spot_check_percent, 30); // 五、(四) 不低于30%
    assert!(p.supervision.near_relative_filing && p.supervision.hotline);
}

#[test]
fn wuerhe_001_steps_exceeding_the_delegated_limit_is_a_warning_not_an_error() {
    let set = set();
    let w: Vec<String> = set
        .warnings()
        .iter()
        .filter(|w| w.file == "profiles/650205-wuerhe.toml")
        .map(|w| w.to_string())
        .collect();
    assert!(
        w.iter()
            .any(|w| w.contains("programs.dibao.limits") && w.contains("25 working days")),
        "{w:?}"
    );
}

// ---------------------------------------------------------------- seed 002 鄞州区

#[test]
fn yinzhou_002_integrates_and_delegates_nothing() {
    let set = set();
    let p = county("330212");
    assert_eq!(p.delegated_programs().count(), 0);
    let c = &p.coordination;
    assert!(c.one_window && c.village_agent_window && c.joint_meeting);
    assert!(c.project_joint_review && c.cross_department_platform);
    // Nothing else differs from the national base.
    let n = set.base().expect("base");
    assert_eq!(p.programs, n.programs);
    assert_eq!(p.supervision, n.supervision);
    assert_eq!(p.payment, n.payment);
    assert!(!n.coordination.cross_department_platform);
}

// ---------------------------------------------------------------- seed 003 珙县

#[test]
fn gongxian_003_pilot_towns_then_all_and_a_3000_yuan_cap_on_linshi() {
    let p = county("511526");
    let linshi = &p.program(Program::Linshi).expect("linshi").delegation;
    let dibao = &p.program(Program::Dibao).expect("dibao").delegation;
    // 二、下放内容: 城乡居民最低生活保障、临时救助（3000元以下）
    assert_eq!(linshi.cap, Some(Fen::new(300_000)));
    assert_eq!(dibao.cap, None);
    assert!(!linshi.county_decides_amount(Fen::new(300_000)));
    assert!(linshi.county_decides_amount(Fen::new(300_001)));
    assert!(linshi.county_decides_amount(Fen::new(350_000)));
    assert!(!dibao.county_decides_amount(Fen::new(99_999_999)));
    for d in [linshi, dibao] {
        assert!(d.delegated);
        assert_eq!(d.phases.len(), 2);
        // 三、试点范围: the six pilot towns from 2020-05-01, the rest from 10月1日
        let TownshipSet::Listed(pilots) = &d.phases[0].townships else {
            panic!("pilot towns are listed")
        };
        assert_eq!(pilots.len(), 6);
        assert_eq!(d.phases[0].from, date("2020-05-01"));
        assert_eq!(d.phases[1].from, date("2020-10-01"));
        assert_eq!(d.phases[1].townships, TownshipSet::All);
        let xiaoer = code("511526102000"); // 孝儿镇, pilot
        assert!(!d.township_holds(&xiaoer, date("2020-04-30")));
        assert!(d.township_holds(&xiaoer, date("2020-05-01")));
        let shangluo = code("511526104000"); // 上罗镇, not a pilot
        assert!(!d.township_holds(&shangluo, date("2020-05-01")));
        assert!(!d.township_holds(&shangluo, date("2020-09-30")));
        assert!(d.township_holds(&shangluo, date("2020-10-01")));
    }
    for prog in [
        Program::Tekun,
        Program::Dishouru,
        Program::Gaoling,
        Program::Canji,
    ] {
        assert!(
            !p.program(prog).expect("rules").delegation.delegated,
            "{prog}"
        );
    }
    // The profile checks the county too: "all" means all townships of 珙县 only.
    assert!(p.township_confirms(Program::Dibao, &code("511526104000"), date("2020-10-01")));
    assert!(!p.township_confirms(Program::Dibao, &code("640181101000"), date("2020-10-01")));
    assert!(!p.township_confirms(Program::Tekun, &code("511526104000"), date("2020-10-01")));
    // 四、受托金融机构 … 3个工作日内将资金划转到救助对象个人账户
    assert_eq!(p.payment.bank_transfer, Period::WorkingDays(3));
    assert!(p.payment.label_program && p.payment.reserve_fund);
    assert!(p.supervision.monthly_visits && p.supervision.zero_report);
}

// ---------------------------------------------------------------- seed 004 泰安市

#[test]
fn taian_004_verify_first_no_notice_no_appraisal_20_working_days() {
    let p = county("370911");
    for prog in [Program::Dibao, Program::Tekun] {
        let r = p.program(prog).expect("rules");
        // 二、(一) 先核对、后申请
        assert_eq!(r.order, StepOrder::VerifyFirst, "{prog}");
        // 二、(二) 取消…审核阶段公示和民主评议; 审批结果…在村(居)进行公示; 有异议的 → 民主评议
        assert!(!r.steps.notice.before_decision);
        assert_eq!(r.steps.appraisal, Appraisal::OnObjection);
        assert!(r.steps.disclosure.after_decision);
    }
    assert_eq!(
        p.program(Program::Linshi).expect("linshi").order,
        StepOrder::ApplyFirst
    );
    // 二、(三) 20 working days for 低保, 特困, 支出型临时救助
    for prog in [Program::Dibao, Program::Tekun, Program::Linshi] {
        let r = p.program(prog).expect("rules");
        assert_eq!(r.limits.whole, wd(20), "{prog}");
        assert_eq!(r.whole_limit(true), wd(20));
        assert_eq!(r.whole_limit(false), wd(20));
        assert!(r.delegation.delegated);
    }
    // 急难型: help within 24 hours, paperwork within 5 working days
    let em = p
        .program(Program::Linshi)
        .and_then(|r| r.emergency.as_ref())
        .expect("emergency rules");
    assert!(em.help_first);
    assert_eq!(em.help_within, Some(Period::Hours(24)));
    assert_eq!(em.paperwork_within, wd(5));
    // 四、 与财务台账信息一致率达到95%以上，问题数据提示率低于5%
    assert_eq!(p.supervision.ledger_consistency_min_percent, Some(95));
    assert_eq!(p.supervision.problem_data_max_percent, Some(5));
    assert!(p.supervision.verifier_confidentiality && p.supervision.dishonesty_record);
    // 三、一是: only 低保申请表、诚信声明、委托授权书
    let keys: Vec<&str> = p
        .program(Program::Dibao)
        .expect("dibao")
        .materials
        .iter()
        .map(|m| m.key.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "application_form",
            "integrity_statement",
            "verification_authorization"
        ]
    );
}

// ---------------------------------------------------------------- overrides

#[test]
fn overrides_override_and_the_rest_falls_back_to_national() {
    let set = set();
    let n = set.base().expect("base");
    let nd = n.program(Program::Dibao).expect("dibao");

    // 乌尔禾 sets the investigation deadline; the start rule in the same table stays national.
    let w = county("650205");
    let wdibao = w.program(Program::Dibao).expect("dibao");
    assert_eq!(wdibao.steps.investigation.deadline, wd(10));
    assert_eq!(
        wdibao.steps.investigation.start_within,
        nd.steps.investigation.start_within
    );
    assert_eq!(wdibao.steps.investigation.min_investigators, 2);
    assert_eq!(wdibao.steps.economic_check, nd.steps.economic_check);
    assert_eq!(wdibao.dynamic, nd.dynamic);
    assert_eq!(wdibao.standards, nd.standards);
    assert_eq!(wdibao.limits, nd.limits);
    assert_eq!(w.payment, n.payment);

    // 灵武 overrides the roster day only; 珙县 keeps the national (demo) day.
    assert_eq!(county("640181").payment.roster_cutoff_day, 25);
    assert_eq!(
        county("511526").payment.roster_cutoff_day,
        n.payment.roster_cutoff_day
    );
    assert_ne!(n.payment.roster_cutoff_day, 25);
    // 珙县 overrides the bank days; 灵武 keeps the national (demo) value.
    assert_eq!(
        county("640181").payment.bank_transfer,
        n.payment.bank_transfer
    );
    assert_ne!(n.payment.bank_transfer, Period::WorkingDays(3));

    // Arrays replace: 泰安's 低保 materials list replaces the national one; 特困's stays.
    let t = county("370902");
    assert_eq!(t.program(Program::Dibao).expect("dibao").materials.len(), 3);
    assert_eq!(nd.materials.len(), 5);
    assert_eq!(
        t.program(Program::Tekun).expect("tekun").materials,
        n.program(Program::Tekun).expect("tekun").materials
    );
    // 泰安 leaves the notice length in place but switches the notice off.
    assert_eq!(
        t.program(Program::Dibao)
            .expect("dibao")
            .steps
            .notice
            .length,
        nd.steps.notice.length
    );
}

#[test]
fn effective_rules_round_trip_through_toml() {
    let set = set();
    for p in set.profiles() {
        let text = p.to_toml().expect("serializes");
        let sources = [
            ("profiles/national.toml", NATIONAL),
            ("effective.toml", text.as_str()),
        ];
        let sources: &[(&str, &str)] = if p.extends.is_some() {
            &sources
        } else {
            &sources[1..]
        };
        let reloaded = ProfileSet::from_sources(sources).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let q = reloaded.get(&p.id).expect("same id");
        assert_eq!(q.programs, p.programs, "{}", p.id);
        assert_eq!(
            (&q.supervision, &q.payment, &q.coordination),
            (&p.supervision, &p.payment, &p.coordination)
        );
        assert_eq!((&q.plan, &q.applies_to), (&p.plan, &p.applies_to));
    }
}

// ---------------------------------------------------------------- validation errors

const FILE: &str = "profiles/999999-test.toml";

/// A county profile for 511526 with `body` appended, loaded over the national base.
fn load_seed(body: &str) -> Result<ProfileSet, ProfileError> {
    let text = format!(
        "id = \"999999-test\"\nname = \"测试县\"\nextends = \"national\"\napplies_to = [\"511526\"]\n\n[plan]\nsource = \"test\"\ntitle = \"测试方案\"\n\n{body}"
    );
    ProfileSet::from_sources(&[("profiles/national.toml", NATIONAL), (FILE, &text)])
}

/// The 1-based line of the first line of `body` containing `needle`, in the text
/// `load_seed` builds (whose header is 9 lines and a blank).
fn body_line(body: &str, needle: &str) -> usize {
    10 + body
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` in fixture"))
}

#[track_caller]
fn refused(body: &str, key: &str, reason_part: &str) -> ProfileError {
    let e = match load_seed(body) {
        Ok(_) => panic!("fixture should be refused:\n{body}"),
        Err(e) => e,
    };
    assert_eq!(e.file, FILE, "{e}");
    assert_eq!(e.key, key, "{e}");
    assert!(
        e.reason.contains(reason_part),
        "reason `{}` lacks `{reason_part}`",
        e.reason
    );
    let shown = e.to_string();
    assert!(
        shown.starts_with(FILE) && shown.contains(key) && shown.contains(&e.reason),
        "{shown}"
    );
    e
}

#[test]
fn a_minimal_seed_loads_and_inherits_everything() {
    let set = load_seed("").unwrap_or_else(|e| panic!("{e}"));
    let p = set.get("999999-test").expect("loaded");
    assert_eq!(p.programs, set.base().expect("base").programs);
}

#[test]
fn syntax_errors_name_the_file_and_line() {
    let body = "[payment]\nroster_cutoff_day = 25\nbank_transfer = \"3wd\n";
    let e = load_seed(body).expect_err("broken string");
    assert_eq!((e.file.as_str(), e.key.as_str()), (FILE, ""));
    assert_eq!(e.line, Some(body_line(body, "bank_transfer")));
    assert!(e.reason.starts_with("TOML syntax error"), "{e}");
    assert!(e.to_string().starts_with(&format!(
        "{FILE}:{}: TOML syntax error",
        body_line(body, "bank_transfer")
    )));

    let e = load_seed("[payment]\nroster_cutoff_day = 25\nroster_cutoff_day = 26\n")
        .expect_err("duplicate key");
    assert!(
        e.reason.contains("TOML syntax error") && e.line.is_some(),
        "{e}"
    );
}

#[test]
fn unknown_keys_are_refused_with_their_path_and_line() {
    let body = "[programs.linshi.delegation]\ndelegated = true\ncapp_yuan = \"3000.00\"\n";
    let e = refused(
        body,
        "programs.linshi.delegation.capp_yuan",
        "unknown field `capp_yuan`",
    );
    assert_eq!(e.line, Some(body_line(body, "capp_yuan")));
    assert!(
        e.reason.contains("cap_yuan"),
        "suggests the known fields: {e}"
    );

    refused(
        "[programs.welfare]\norder = \"apply_first\"\n",
        "programs.welfare",
        "unknown variant `welfare`",
    );
    // After [plan], a bare key belongs to the plan table.
    refused(
        "colour = \"red\"\n",
        "plan.colour",
        "unknown field `colour`",
    );
    let text = format!("colour = \"red\"\n{}", BUILTIN[4].1);
    let e = ProfileSet::from_sources(&[("profiles/national.toml", NATIONAL), (FILE, &text)])
        .expect_err("top-level key");
    assert_eq!((e.key.as_str(), e.line), ("colour", Some(1)));
    let body = "[programs.linshi.delegation]\ndelegated = true\nphases = [{ from = 2020-05-01, towns = \"all\" }]\n";
    refused(
        body,
        "programs.linshi.delegation.phases[0].towns",
        "unknown field `towns`",
    );
}

#[test]
fn wrong_types_are_refused() {
    let body = "[payment]\nroster_cutoff_day = \"25\"\n";
    let e = refused(body, "payment.roster_cutoff_day", "invalid type");
    assert_eq!(e.line, Some(body_line(body, "roster_cutoff_day")));
    refused(
        "[programs.dibao.steps.review]\ndeadline = \"5 weeks\"\n",
        "programs.dibao.steps.review.deadline",
        "invalid period `5 weeks`",
    );
    refused(
        "[programs.dibao.steps.review]\ndeadline = 5\n",
        "programs.dibao.steps.review.deadline",
        "invalid type",
    );
    refused(
        "[programs.dibao]\norder = \"verify_later\"\n",
        "programs.dibao.order",
        "unknown variant `verify_later`",
    );
    // Money is a yuan string, never a float.
    let body = "[programs.linshi.delegation]\ndelegated = true\ncap_yuan = 3000.0\nphases = [{ from = 2020-05-01, townships = \"all\" }]\n";
    refused(
        body,
        "programs.linshi.delegation.cap_yuan",
        "amount in yuan",
    );
    let body = "[programs.linshi.delegation]\ndelegated = true\ncap_yuan = \"3000.005\"\nphases = [{ from = 2020-05-01, townships = \"all\" }]\n";
    refused(
        body,
        "programs.linshi.delegation.cap_yuan",
        "not an amount in yuan",
    );
    // Dates are dates, without time.
    let body = "[programs.linshi.delegation]\ndelegated = true\nphases = [{ from = 2020-05-01T08:00:00, townships = \"all\" }]\n";
    refused(
        body,
        "programs.linshi.delegation.phases[0].from",
        "without time",
    );
    let body = "[programs.linshi.delegation]\ndelegated = true\nphases = [{ from = 2020-05-01, townships = \"some\" }]\n";
    refused(
        body,
        "programs.linshi.delegation.phases[0].townships",
        "\"all\" or a list",
    );
    let body = "[programs.linshi.delegation]\ndelegated = true\nphases = [{ from = 2020-05-01, townships = [\"51152610100\"] }]\n";
    refused(
        body,
        "programs.linshi.delegation.phases[0].townships[0]",
        "11 characters",
    );
    let body = "[programs.linshi.delegation]\ndelegated = true\nphases = [{ from = 2020-05-01, townships = [\"511526102000\", 5] }]\n";
    refused(
        body,
        "programs.linshi.delegation.phases[0].townships[1]",
        "invalid type",
    );
}

#[test]
fn the_cap_must_be_a_positive_amount() {
    let body = "[programs.linshi.delegation]\ndelegated = true\ncap_yuan = \"-1.00\"\nphases = [{ from = 2020-05-01, townships = \"all\" }]\n";
    let e = refused(
        body,
        "programs.linshi.delegation.cap_yuan",
        "must be a positive amount",
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{FILE}:{}: programs.linshi.delegation.cap_yuan: must be a positive amount",
            body_line(body, "cap_yuan")
        )
    );
    let body = "[programs.linshi.delegation]\ndelegated = false\ncap_yuan = \"100.00\"\n";
    refused(
        body,
        "programs.linshi.delegation.cap_yuan",
        "only to a delegated program",
    );
}

#[test]
fn delegation_phases_are_checked() {
    refused(
        "[programs.dibao.delegation]\ndelegated = true\n",
        "programs.dibao.delegation.phases",
        "at least one phase",
    );
    refused(
        "[programs.dibao.delegation]\ndelegated = false\nphases = [{ from = 2020-05-01, townships = \"all\" }]\n",
        "programs.dibao.delegation.phases",
        "delegated = false",
    );
    let body = "[programs.dibao.delegation]\ndelegated = true\nphases = [\n  { from = 2020-10-01, townships = \"all\" },\n  { from = 2020-05-01, townships = [\"511526102000\"] },\n]\n";
    let e = refused(
        body,
        "programs.dibao.delegation.phases[1].from",
        "date order",
    );
    assert_eq!(e.line, Some(body_line(body, "2020-05-01")));
    refused(
        "[programs.dibao.delegation]\ndelegated = true\nphases = [{ from = 2020-05-01, townships = [\"511526\"] }]\n",
        "programs.dibao.delegation.phases[0].townships[0]",
        "expected a township code",
    );
    refused(
        "[programs.dibao.delegation]\ndelegated = true\nphases = [{ from = 2020-05-01, townships = [\"511526102201\"] }]\n",
        "programs.dibao.delegation.phases[0].townships[0]",
        "expected a township code",
    );
    refused(
        "[programs.dibao.delegation]\ndelegated = true\nphases = [{ from = 2020-05-01, townships = [\"650205001000\"] }]\n",
        "programs.dibao.delegation.phases[0].townships[0]",
        "not in a county this profile applies to (511526)",
    );
    refused(
        "[programs.dibao.delegation]\ndelegated = true\nphases = [{ from = 2020-05-01, townships = [] }]\n",
        "programs.dibao.delegation.phases[0].townships",
        "empty",
    );
    refused(
        "[programs.dibao.delegation]\ndelegated = true\nphases = [{ from = 2020-05-01, townships = [\"511526102000\", \"511526102000\"] }]\n",
        "programs.dibao.delegation.phases[0].townships[1]",
        "twice",
    );
}

#[test]
fn ranges_and_procedure_rules_are_checked() {
    refused(
        "[supervision]\nspot_check_percent = 130\n",
        "supervision.spot_check_percent",
        "0 to 100",
    );
    refused(
        "[payment]\nroster_cutoff_day = 31\n",
        "payment.roster_cutoff_day",
        "1 to 28",
    );
    refused(
        "[payment]\nroster_cutoff_day = 0\n",
        "payment.roster_cutoff_day",
        "1 to 28",
    );
    refused(
        "[payment]\nbank_transfer = \"24h\"\n",
        "payment.bank_transfer",
        "in hours",
    );
    refused(
        "[programs.dibao]\norder = \"verify_first\"\n",
        "programs.dibao.steps.notice.before_decision",
        "verify-first",
    );
    // With the notice switched off, verify-first is fine (seed 004).
    assert!(load_seed("[programs.dibao]\norder = \"verify_first\"\n[programs.dibao.steps.notice]\nbefore_decision = false\n").is_ok());
    refused(
        "[programs.linshi.steps.notice]\nbefore_decision = true\n",
        "programs.linshi.steps.notice.length",
        "needs its length",
    );
    refused(
        "[programs.dibao.steps.notice]\nlength = \"72h\"\n",
        "programs.dibao.steps.notice.length",
        "in hours",
    );
    refused(
        "[programs.dibao.steps.investigation]\nmin_investigators = 1\n",
        "programs.dibao.steps.investigation.min_investigators",
        "minimum of 2",
    );
    refused(
        "[programs.dibao.steps.investigation]\nhome_visit_percent = 101\n",
        "programs.dibao.steps.investigation.home_visit_percent",
        "0 to 100",
    );
    refused(
        "[programs.dibao.limits]\nwhole_special = \"20wd\"\n",
        "programs.dibao.limits.whole_special",
        "shorter than the normal limit 30wd",
    );
    refused(
        "[programs.dibao.emergency]\nhelp_first = true\nskip_check = true\n",
        "programs.dibao.emergency",
        "linshi",
    );
    refused(
        "[programs.dibao.dynamic]\ngradual_exit_months = 12\n",
        "programs.dibao.dynamic.gradual_exit_months",
        "6 months",
    );
    refused(
        "[programs.dibao.dynamic]\nrecheck_other_months = 0\n",
        "programs.dibao.dynamic.recheck_other_months",
        "at least 1",
    );
    refused(
        "[[programs.dibao.materials]]\nkey = \"form\"\nname_zh = \"申请表\"\nrequired = true\n[[programs.dibao.materials]]\nkey = \"form\"\nname_zh = \"申请书\"\nrequired = true\n",
        "programs.dibao.materials[1].key",
        "twice",
    );
    refused(
        "[[programs.dibao.standards]]\nkey = \"urban\"\nname_zh = \"城市\"\nyuan = \"0\"\nper = \"person_month\"\n",
        "programs.dibao.standards[0].yuan",
        "positive",
    );
    // A missing required field of a list item names the item.
    refused(
        "[[programs.dibao.materials]]\nkey = \"form\"\nname_zh = \"申请表\"\n",
        "programs.dibao.materials[0].required",
        "missing field `required`",
    );
}

#[test]
fn header_errors() {
    let load = |text: &str| {
        ProfileSet::from_sources(&[("profiles/national.toml", NATIONAL), (FILE, text)])
    };
    let plan = "[plan]\nsource = \"t\"\ntitle = \"t\"\n";

    let e = load(&format!(
        "name = \"x\"\nextends = \"national\"\napplies_to = [\"511526\"]\n{plan}"
    ))
    .expect_err("no id");
    assert_eq!((e.file.as_str(), e.key.as_str()), (FILE, "id"));

    let e = load(&format!(
        "id = \"x\"\nname = \"x\"\nextends = \"nation\"\napplies_to = [\"511526\"]\n{plan}"
    ))
    .expect_err("unknown base");
    assert_eq!((e.key.as_str(), e.line), ("extends", Some(3)));
    assert!(
        e.reason.contains("no profile `nation`") && e.reason.contains("national"),
        "{e}"
    );

    let e = load(&format!(
        "id = \"x\"\nname = \"x\"\nextends = \"national\"\n{plan}"
    ))
    .expect_err("no counties");
    assert_eq!(e.key, "applies_to");

    let e = load(&format!(
        "id = \"x\"\nname = \"x\"\nextends = \"national\"\napplies_to = [\"511526101000\"]\n{plan}"
    ))
    .expect_err("township");
    assert_eq!(e.key, "applies_to[0]");
    assert!(e.reason.contains("county-level"), "{e}");

    let e = load(&format!("id = \"x\"\nname = \"x\"\nextends = \"national\"\napplies_to = [\"511526\", \"5115\"]\n{plan}")).expect_err("bad code");
    assert_eq!((e.key.as_str(), e.line), ("applies_to[1]", Some(4)));
    assert!(e.reason.contains("`5115`"), "{e}");

    let e = load("id = \"x\"\nname = \"x\"\nextends = \"national\"\napplies_to = [\"511526\"]\n")
        .expect_err("no plan");
    assert_eq!(
        (e.key.as_str(), e.reason.as_str()),
        ("plan", "missing field `plan`")
    );

    let e = load(&format!(
        "id = \"national\"\nname = \"x\"\napplies_to = []\n{plan}"
    ))
    .expect_err("duplicate id");
    assert_eq!(e.key, "id");
    assert!(
        e.reason
            .contains("already defined in profiles/national.toml"),
        "{e}"
    );

    let e = load(&format!(
        "id = \"x\"\nname = \"x\"\nextends = \"x\"\napplies_to = [\"511526\"]\n{plan}"
    ))
    .expect_err("cycle");
    assert_eq!(e.key, "extends");
    assert!(e.reason.contains("cycle"), "{e}");

    let e = load(&format!("id = \"Gong Xian\"\nname = \"x\"\nextends = \"national\"\napplies_to = [\"511526\"]\n{plan}")).expect_err("bad id");
    assert_eq!(e.key, "id");

    // A base profile must state everything.
    let e =
        ProfileSet::from_sources(&[("base.toml", &format!("id = \"b\"\nname = \"b\"\n{plan}"))])
            .expect_err("incomplete base");
    assert_eq!(
        (e.file.as_str(), e.key.as_str()),
        ("base.toml", "supervision")
    );
}

#[test]
fn one_profile_per_county() {
    let gongxian = BUILTIN[4];
    assert_eq!(gongxian.0, "profiles/511526-gongxian.toml");
    let other = "id = \"511526-other\"\nname = \"珙县\"\nextends = \"national\"\napplies_to = [\"511526\"]\n[plan]\nsource = \"t\"\ntitle = \"t\"\n";
    let e = ProfileSet::from_sources(&[BUILTIN[0], gongxian, ("other.toml", other)])
        .expect_err("overlap");
    assert_eq!(
        (e.file.as_str(), e.key.as_str(), e.line),
        ("other.toml", "applies_to[0]", Some(4))
    );
    assert!(e.reason.contains("511526-gongxian"), "{e}");
}

#[test]
fn check_file_uses_the_builtin_base() {
    let text = "id = \"511526-gongxian\"\nname = \"珙县\"\nextends = \"national\"\napplies_to = [\"511526\"]\n[plan]\nsource = \"t\"\ntitle = \"t\"\n[payment]\nroster_cutoff_day = 10\n";
    let report = ProfileSet::check_file("mine.toml", text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.profile.payment.roster_cutoff_day, 10);
    assert_eq!(
        report.profile.files,
        ["profiles/national.toml", "mine.toml"]
    );
    let e =
        ProfileSet::check_file("mine.toml", &text.replace("= 10", "= 40")).expect_err("bad day");
    assert_eq!(
        (e.file.as_str(), e.key.as_str(), e.line),
        ("mine.toml", "payment.roster_cutoff_day", Some(9))
    );
    // The national base checks on its own.
    assert!(ProfileSet::check_file("national.toml", NATIONAL).is_ok());
}

#[test]
fn absurd_step_periods_do_not_overflow_the_checks() {
    let text = r#"
id = "huge"
name = "测试"
extends = "national"
applies_to = ["511526"]
[plan]
source = "test"
title = "test"
[programs.dibao.steps.investigation]
deadline = "4000000000wd"
[programs.dibao.steps.review]
deadline = "4000000000wd"
"#;
    // Either accepted with a warning or refused with a named key: never a panic.
    match jiuzhu_domain::profile::ProfileSet::check_file("huge.toml", text) {
        Ok(report) => assert!(!report.warnings.is_empty()),
        Err(e) => assert!(!e.key.is_empty(), "{e}"),
    }
}

#[test]
fn amount_rules_are_checked() {
    refused(
        "[programs.tekun.amount]\nbasic = \"basic_living_urban\"\n",
        "programs.tekun.amount.basic",
        "names the standard `basic_living_urban`",
    );
    refused(
        "[programs.gaoling.amount]\nbands = [{ min_age = 80, max_age = 95, standard = \"age_80_89\" }, { min_age = 90, standard = \"age_90_99\" }]\n",
        "programs.gaoling.amount.bands[1].min_age",
        "overlaps the band before",
    );
    refused(
        "[programs.gaoling.amount]\nbands = [{ min_age = 90, standard = \"age_90_99\" }, { min_age = 100, standard = \"age_100_plus\" }]\n",
        "programs.gaoling.amount.bands[1]",
        "follows an open band",
    );
    refused(
        "[programs.canji.amount]\nnursing_max_grade = 5\n",
        "programs.canji.amount.nursing_max_grade",
        "not a disability grade",
    );
    refused(
        "[programs.linshi.amount]\nmax_months = 0\n",
        "programs.linshi.amount.max_months",
        "at least 1",
    );
    refused(
        "[[programs.dibao.amount.add_ons]]\nkey = \"minor\"\nname_zh = \"未成年人\"\npercent = 150\n",
        "programs.dibao.amount.add_ons[0].percent",
        "not a percentage",
    );
    // A formula the engine does not know is a type error naming the key.
    let e = load_seed("[programs.dibao.amount]\nformula = \"lottery\"\n").unwrap_err();
    assert!(e.to_string().contains("lottery"), "{e}");
}
