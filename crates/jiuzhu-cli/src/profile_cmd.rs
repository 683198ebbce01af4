//! `jiuzhu profile …`: check a procedure profile file, show the effective rules for a
//! county, list the built-in profiles. No database, no async runtime.
//!
//! Exit status: 0 success; 1 the file is refused, or no profile governs the county;
//! 2 usage errors (the file cannot be read, CODE is neither a profile id nor a division
//! code, an unknown --format). Errors go to stderr, results to stdout.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use jiuzhu_domain::deadline::Period;
use jiuzhu_domain::profile::{EffectiveProfile, ProfileSet, ProgramRules, TownshipSet};
use jiuzhu_domain::{DivisionCode, DivisionLevel};

/// Exit status when the answer is "no": a refused file, a county without a profile.
const EXIT_INVALID: u8 = 1;
/// Exit status of usage errors.
const EXIT_USAGE: u8 = 2;

/// `jiuzhu profile …`
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum ProfileCmd {
    /// Validate a profile file (against the built-in national base); exit 0 and a summary, or exit 1 naming file, key and reason
    #[command(
        long_about = "Validate a procedure profile file: TOML syntax, known keys and types, and \
the rules (phase dates in order, township codes inside the profile's counties, percentages \
0–100, roster day 1–28, verify-first without a pre-decision notice, …). A file that says \
`extends = \"national\"` is checked on top of the built-in national base.\n\n\
Exit status 0 with a summary (and any warnings) when valid; 1 with `FILE:LINE: KEY: REASON` \
on stderr when refused; 2 when the file cannot be read."
    )]
    Check {
        /// The profile file (TOML), e.g. profiles/511526-gongxian.toml.
        file: PathBuf,
    },
    /// Print the effective rules for a county after overrides (readable, Chinese labels OK), or --format toml|json
    #[command(
        long_about = "Print the effective rules for a county: the national base with the \
county's profile on top. CODE is a county code (511526), a township or village code in it \
(370902001000 → the 泰安 profile), a prefecture whose counties share one profile (370900), \
or a profile id (national, 511526-gongxian).\n\n\
--format text (default) prints Chinese labels; toml prints the effective profile in the \
profile format; json prints it as JSON. Exit status 1 when no profile governs the county, \
2 when CODE or --format is malformed."
    )]
    Show {
        /// County, township or village code, or a profile id.
        code: String,
        /// Output format: text, toml or json.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// List the profiles (built-in and installed in $JIUZHU_PROFILE_DIR) and the counties they apply to
    List,
}

pub fn run_profile(cmd: ProfileCmd) -> ExitCode {
    match cmd {
        ProfileCmd::Check { file } => check(&file),
        ProfileCmd::Show { code, format } => show(&code, &format),
        ProfileCmd::List => list(),
    }
}

/// Writes to stdout; a closed pipe (`jiuzhu profile show 511526 | head`) is not an error.
fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Directory of installed profiles, read on top of the built-in ones.
pub const PROFILE_DIR_VAR: &str = "JIUZHU_PROFILE_DIR";

/// The built-in profiles plus every `*.toml` in `$JIUZHU_PROFILE_DIR`: a file named like a
/// built-in one (`511526-gongxian.toml`) replaces it, any other adds a county's plan — a new
/// or amended plan is configuration, not a rebuild. Errors name the file.
pub fn load_profiles() -> Result<ProfileSet, String> {
    let mut sources: Vec<(String, String)> = jiuzhu_domain::profile::BUILTIN
        .iter()
        .map(|(name, text)| ((*name).to_string(), (*text).to_string()))
        .collect();
    if let Some(dir) = std::env::var_os(PROFILE_DIR_VAR) {
        let dir = PathBuf::from(dir);
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| format!("cannot read {PROFILE_DIR_VAR} {}: {e}", dir.display()))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let base = path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let shown = path.display().to_string();
            match sources
                .iter_mut()
                .find(|(name, _)| name.rsplit('/').next() == Some(base.as_str()))
            {
                Some(slot) => *slot = (shown, text),
                None => sources.push((shown, text)),
            }
        }
    }
    let borrowed: Vec<(&str, &str)> = sources
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    ProfileSet::from_sources(&borrowed).map_err(|e| e.to_string())
}

fn builtin() -> Result<ProfileSet, ExitCode> {
    load_profiles().map_err(|e| {
        eprintln!("error: the procedure profiles cannot be loaded: {e}");
        ExitCode::from(EXIT_INVALID)
    })
}

fn check(file: &std::path::Path) -> ExitCode {
    let name = file.display().to_string();
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {name}: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let report = match ProfileSet::check_file(&name, &text) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let p = &report.profile;
    let mut out = format!("ok: {name}: profile {} ({})", p.id, p.name);
    match &p.extends {
        Some(base) => {
            let _ = write!(out, ", extends {base}");
        }
        None => out.push_str(", base profile"),
    }
    if !p.applies_to.is_empty() {
        let counties: Vec<&str> = p.applies_to.iter().map(|c| c.as_str()).collect();
        let _ = write!(out, ", applies to {}", counties.join(" "));
    }
    out.push('\n');
    let delegated: Vec<String> = p
        .delegated_programs()
        .map(|(program, d)| {
            let mut s = format!(
                "{program} ({} phase{} from {}",
                d.phases.len(),
                if d.phases.len() == 1 { "" } else { "s" },
                d.phases
                    .first()
                    .map(|ph| ph.from.to_string())
                    .unwrap_or_default()
            );
            if let Some(cap) = d.cap {
                let _ = write!(s, ", cap {cap} yuan");
            }
            s.push(')');
            s
        })
        .collect();
    if delegated.is_empty() {
        out.push_str("  delegated: none\n");
    } else {
        let _ = writeln!(out, "  delegated: {}", delegated.join(", "));
    }
    for w in &report.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    emit(&out);
    ExitCode::SUCCESS
}

/// The profile CODE names: a profile id, or the profile governing a division.
fn find<'a>(set: &'a ProfileSet, code: &str) -> Result<&'a EffectiveProfile, ExitCode> {
    if let Some(p) = set.get(code) {
        return Ok(p);
    }
    let division = match DivisionCode::parse(code) {
        Ok(d) => d,
        Err(e) => {
            let ids: Vec<&str> = set.profiles().iter().map(|p| p.id.as_str()).collect();
            eprintln!(
                "error: `{code}` is neither a profile id ({}) nor a division code: {e}",
                ids.join(", ")
            );
            return Err(ExitCode::from(EXIT_USAGE));
        }
    };
    let found = match division.level() {
        DivisionLevel::Province | DivisionLevel::Prefecture => {
            let within: Vec<&EffectiveProfile> = set
                .profiles()
                .iter()
                .filter(|p| {
                    !p.applies_to.is_empty() && p.applies_to.iter().all(|c| division.contains(c))
                })
                .collect();
            match within.as_slice() {
                [one] => Some(*one),
                _ => None,
            }
        }
        _ => set.profile_for(&division),
    };
    found.ok_or_else(|| {
        let covered: Vec<String> = set
            .profiles()
            .iter()
            .filter(|p| !p.applies_to.is_empty())
            .map(|p| {
                let counties: Vec<&str> = p.applies_to.iter().map(|c| c.as_str()).collect();
                format!("{} ({})", p.id, counties.join(" "))
            })
            .collect();
        eprintln!(
            "error: no profile governs {code}; profiles exist for {}. The national rules alone: `jiuzhu profile show national`",
            covered.join(", ")
        );
        ExitCode::from(EXIT_INVALID)
    })
}

fn show(code: &str, format: &str) -> ExitCode {
    if !matches!(format, "text" | "toml" | "json") {
        eprintln!("error: unknown format `{format}`; expected text, toml or json");
        return ExitCode::from(EXIT_USAGE);
    }
    let set = match builtin() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let p = match find(&set, code.trim()) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let rendered = match format {
        "toml" => p.to_toml().map_err(|e| e.to_string()),
        "json" => serde_json::to_string_pretty(p).map_err(|e| e.to_string()),
        _ => Ok(render_text(p)),
    };
    match rendered {
        Ok(mut text) => {
            if !text.ends_with('\n') {
                text.push('\n');
            }
            emit(&text);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot render the profile: {e}");
            ExitCode::from(EXIT_INVALID)
        }
    }
}

fn list() -> ExitCode {
    let set = match builtin() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut out = String::new();
    for p in set.profiles() {
        let counties = if p.applies_to.is_empty() {
            "(base: applies where no county profile does)".to_string()
        } else {
            p.applies_to
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}",
            p.id,
            p.name,
            counties,
            p.files.last().map(String::as_str).unwrap_or("")
        );
    }
    emit(&out);
    ExitCode::SUCCESS
}

// ---------------------------------------------------------------- text rendering

fn yes(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

fn within(p: Option<Period>) -> String {
    p.map(|p| format!("{}内", p.name_zh()))
        .unwrap_or_else(|| "未规定期限".to_string())
}

fn render_text(p: &EffectiveProfile) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}（{}）", p.name, p.id);
    let mut plan = p.plan.source.clone();
    if let Some(doc) = &p.plan.doc_no {
        let _ = write!(plan, "；{doc}");
    }
    if let Some(date) = p.plan.date {
        let _ = write!(plan, "；{date}");
    }
    let _ = writeln!(o, "方案：{}（{plan}）", p.plan.title);
    let _ = writeln!(o, "规则来源：{}", p.files.join(" + "));
    if p.applies_to.is_empty() {
        let _ = writeln!(o, "适用县级单位：（基础规则）");
    } else {
        let counties: Vec<&str> = p.applies_to.iter().map(|c| c.as_str()).collect();
        let _ = writeln!(o, "适用县级单位：{}", counties.join("、"));
    }

    let s = &p.supervision;
    let _ = writeln!(o, "\n监督管理");
    let _ = writeln!(o, "  备案抽查比例：不低于{}%", s.spot_check_percent);
    for (program, percent) in &s.spot_check_program_percent {
        let _ = writeln!(o, "  {}抽查比例：不低于{}%", program.name_zh(), percent);
    }
    let _ = writeln!(o, "  近亲属备案：{}", yes(s.near_relative_filing));
    let _ = writeln!(o, "  监督举报电话：{}", yes(s.hotline));
    let _ = writeln!(o, "  核对人员保密协议：{}", yes(s.verifier_confidentiality));
    let _ = writeln!(o, "  失信记录：{}", yes(s.dishonesty_record));
    let _ = writeln!(
        o,
        "  村（社区）每月走访 / 零报告：{} / {}",
        yes(s.monthly_visits),
        yes(s.zero_report)
    );
    if let Some(v) = s.ledger_consistency_min_percent {
        let _ = writeln!(o, "  与财务台账信息一致率：不低于{v}%");
    }
    if let Some(v) = s.problem_data_max_percent {
        let _ = writeln!(o, "  问题数据提示率：低于{v}%");
    }
    if let Some(v) = s.training_per_year_min {
        let _ = writeln!(o, "  业务培训：每年不少于{v}次");
    }

    let pay = &p.payment;
    let _ = writeln!(o, "\n资金发放");
    let _ = writeln!(o, "  花名册报送：每月{}日前", pay.roster_cutoff_day);
    let _ = writeln!(o, "  银行划转到账：{}", within(Some(pay.bank_transfer)));
    let _ = writeln!(o, "  注明资金项目名称：{}", yes(pay.label_program));
    let _ = writeln!(o, "  临时救助备用金：{}", yes(pay.reserve_fund));

    let c = &p.coordination;
    let _ = writeln!(o, "\n统筹协调");
    let _ = writeln!(o, "  一门受理、协同办理：{}", yes(c.one_window));
    let _ = writeln!(o, "  村级社会救助代理窗口：{}", yes(c.village_agent_window));
    let _ = writeln!(o, "  联席会议：{}", yes(c.joint_meeting));
    let _ = writeln!(o, "  项目会审：{}", yes(c.project_joint_review));
    let _ = writeln!(
        o,
        "  跨部门统筹信息平台：{}",
        yes(c.cross_department_platform)
    );

    for (program, rules) in &p.programs {
        let _ = writeln!(o, "\n【{}】{program}", program.name_zh());
        render_program(&mut o, rules);
    }
    o
}

fn render_program(o: &mut String, r: &ProgramRules) {
    let d = &r.delegation;
    if d.delegated {
        let _ = writeln!(o, "  审核确认权限：下放乡镇（街道）");
        for phase in &d.phases {
            let who = match &phase.townships {
                TownshipSet::All => "全部乡镇（街道）".to_string(),
                TownshipSet::Listed(codes) => codes
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
            };
            let note = if phase.note.is_empty() {
                String::new()
            } else {
                format!(" — {}", phase.note)
            };
            let _ = writeln!(o, "    自{}起：{who}{note}", phase.from);
        }
        match d.cap {
            Some(cap) => {
                let _ = writeln!(
                    o,
                    "  乡镇确认金额上限：{}元（超过{}元由县级决定）",
                    cap.format_grouped(),
                    cap.format_grouped()
                );
            }
            None => {
                let _ = writeln!(o, "  乡镇确认金额上限：无");
            }
        }
    } else {
        let _ = writeln!(o, "  审核确认权限：县级民政部门（未下放）");
    }
    let st = &r.steps;
    let _ = writeln!(o, "  程序顺序：{}", r.order.name_zh());
    let _ = writeln!(o, "  村（居）初审：{}", yes(st.village_review));
    let _ = writeln!(
        o,
        "  家庭经济状况核对：{}",
        within(st.economic_check.deadline)
    );
    let inv = &st.investigation;
    if inv.home_visit {
        let mut line = format!(
            "  入户调查：入户比例{}%，每次不少于{}人",
            inv.home_visit_percent, inv.min_investigators
        );
        if let Some(p) = inv.start_within {
            let _ = write!(line, "；受理后{}内启动", p.name_zh());
        }
        if let Some(p) = inv.deadline {
            let _ = write!(line, "；受理后{}内完成", p.name_zh());
        }
        let _ = writeln!(o, "{line}");
    } else {
        let _ = writeln!(o, "  入户调查：无");
    }
    let _ = writeln!(
        o,
        "  审核意见：{}",
        st.review
            .deadline
            .map(|p| format!("入户调查结束后{}内", p.name_zh()))
            .unwrap_or_else(|| "未规定期限".to_string())
    );
    let _ = writeln!(o, "  民主评议：{}", st.appraisal.name_zh());
    if st.notice.before_decision {
        let _ = writeln!(
            o,
            "  决定前公示：{}",
            st.notice
                .length
                .map(|p| p.name_zh())
                .unwrap_or_else(|| "未规定".to_string())
        );
    } else {
        let _ = writeln!(o, "  决定前公示：无");
    }
    let dec = &st.decision;
    let mut line = format!("  确认决定：{}", within(dec.deadline));
    if let Some(p) = dec.after_objection {
        let _ = write!(line, "；有异议时重新调查，{}内决定", p.name_zh());
    }
    if let Some(p) = dec.refusal_notice {
        let _ = write!(line, "；不予批准的{}内书面告知理由", p.name_zh());
    }
    let _ = writeln!(o, "{line}");
    let _ = writeln!(
        o,
        "  决定后公开：{}{}",
        yes(st.disclosure.after_decision),
        if st.disclosure.long_term {
            "（长期公示）"
        } else {
            ""
        }
    );
    let l = &r.limits;
    let mut parts = Vec::new();
    if let Some(p) = l.whole {
        parts.push(p.name_zh());
    }
    if let Some(p) = l.whole_special {
        parts.push(format!("特殊情况{}", p.name_zh()));
    }
    if let Some(p) = l.whole_when_delegated {
        parts.push(format!("下放乡镇确认的{}", p.name_zh()));
    }
    let _ = writeln!(
        o,
        "  办理时限：{}",
        if parts.is_empty() {
            "未规定".to_string()
        } else {
            parts.join("；")
        }
    );
    if let Some(em) = &r.emergency {
        let mut line = format!(
            "  急难型：{}",
            if em.help_first {
                "先行救助"
            } else {
                "不先行救助"
            }
        );
        if let Some(p) = em.help_within {
            let _ = write!(line, "，{}内救助", p.name_zh());
        }
        if let Some(p) = em.paperwork_within {
            let _ = write!(line, "，{}内补齐手续", p.name_zh());
        }
        let _ = write!(line, "；可先不核对：{}", yes(em.skip_check));
        let _ = writeln!(o, "{line}");
    }
    if let Some(dy) = &r.dynamic {
        let exit = match dy.gradual_exit_months {
            0 => "无渐退期".to_string(),
            n => format!("渐退期{n}个月"),
        };
        let _ = writeln!(
            o,
            "  动态管理：收入稳定家庭每{}个月复核，其他家庭每{}个月复核；{exit}",
            dy.recheck_stable_months, dy.recheck_other_months
        );
    }
    if !r.materials.is_empty() {
        let _ = writeln!(o, "  申请材料：");
        for m in &r.materials {
            let _ = writeln!(
                o,
                "    - {}（{}）",
                m.name_zh,
                if m.required { "必需" } else { "视情况" }
            );
        }
    }
    if !r.standards.is_empty() {
        let _ = writeln!(o, "  保障标准：");
        for s in &r.standards {
            let _ = writeln!(
                o,
                "    - {}：{}{}{}",
                s.name_zh,
                s.yuan.format_grouped(),
                s.per.name_zh(),
                if s.demo { "（演示数据）" } else { "" }
            );
        }
    }
    let _ = writeln!(
        o,
        "  金额核定：{}",
        jiuzhu_domain::benefit::formula_zh(r.amount.formula())
    );
    if let jiuzhu_domain::profile::AmountRule::TopUp { add_ons } = &r.amount {
        for a in add_ons {
            let _ = writeln!(
                o,
                "    - 分类施保 {}：标准的{}%{}",
                a.name_zh,
                a.percent,
                if a.demo { "（演示数据）" } else { "" }
            );
        }
    }
}
