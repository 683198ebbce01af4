//! 监督 pages (放权不放责): the county's supervision dashboard per township for a month, the
//! filing review queue, the month's spot-check draw (seeded, reproducible: the seed and the
//! method are shown), check results of the sampled cases, rectification orders and their
//! course; a township sees its own sampled cases and rectifications and answers the orders.
//! Every action is a `Command::Supervision` through the store (audited there).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiuzhu_domain::supervision::{FilingOutcome, Month, RectificationStatus};
use jiuzhu_domain::{DivisionCode, DivisionLevel, Role};
use jiuzhu_store::{
    Command, CommandContext, FilingFilter, FindingRef, RectificationFilter, SpotCheckDraw,
    SpotCheckResult, SupervisionCommand, TownshipSupervision,
};
use serde::Deserialize;

use crate::AppState;
use crate::error::{WebError, refusal_zh as refusal};
use crate::session::{SessionUser, WebUser};
use crate::web::Nav;
use crate::workbench::{FormData, division_names};

fn is_supervisor(role: Role) -> bool {
    matches!(role, Role::CountySupervisor | Role::CountyAdmin)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SuperviseQuery {
    period: Option<String>,
    done: Option<String>,
}

struct SummaryRow {
    township: String,
    /// A county's total line (the prefecture's view groups townships by county).
    total: bool,
    /// The division's code (row ids: `sum-{code}`).
    code: String,
    pending: u64,
    in_period: u64,
    sampled: u64,
    coverage: String,
    checked: u64,
    problems: u64,
    error_rate: String,
    open: u64,
    overdue: u64,
    complaints: u64,
    visits_missing: u64,
}

struct FilingRow {
    id: i64,
    case_id: i64,
    case_number: String,
    program: &'static str,
    township: String,
    decision: String,
    decided_on: String,
}

struct DrawView {
    county: String,
    seed: String,
    method: String,
    candidates: u64,
    sampled: usize,
    drawn_at: String,
}

struct ItemRow {
    draw_id: i64,
    case_id: i64,
    case_number: String,
    program: &'static str,
    township: String,
    decision: &'static str,
    /// The check's result, once recorded.
    result: Option<String>,
    /// A problem was found and no rectification was ordered for it yet.
    may_order: bool,
    /// A problem was found and the county's profile keeps dishonesty records: the link to
    /// record one on this finding.
    dishonesty_link: bool,
}

struct RectRow {
    id: i64,
    township: String,
    case_id: Option<i64>,
    requirement: String,
    due: String,
    overdue: bool,
    status: &'static str,
    response: String,
    may_respond: bool,
    may_conclude: bool,
}

#[derive(Template)]
#[template(path = "supervise.html")]
struct SupervisePage {
    nav: Option<Nav>,
    period: String,
    prev: String,
    next: String,
    supervisor: bool,
    county: Option<String>,
    /// Above a county (a prefecture such as 泰安市): townships grouped by county, with
    /// county totals, and every county's draw of the month.
    multi_county: bool,
    summary: Vec<SummaryRow>,
    filings: Vec<FilingRow>,
    draw: Option<DrawView>,
    /// Above a county: each county's standing draw of the month.
    county_draws: Vec<DrawView>,
    suggested_seed: String,
    items: Vec<ItemRow>,
    rectifications: Vec<RectRow>,
    outcomes: Vec<(&'static str, &'static str)>,
    key: String,
    notice: Option<String>,
    error: Option<String>,
}

fn draw_view(d: &SpotCheckDraw, county: String) -> DrawView {
    DrawView {
        county,
        seed: d.seed.to_string(),
        method: d.method.clone(),
        candidates: d.candidates,
        sampled: d.case_numbers.len(),
        drawn_at: crate::util::fmt_time(d.drawn_at),
    }
}

fn summary_row(t: &TownshipSupervision, name: String, total: bool) -> SummaryRow {
    SummaryRow {
        township: name,
        total,
        code: t.township.to_string(),
        pending: t.filings_pending,
        in_period: t.filings_in_period,
        sampled: t.sampled,
        coverage: format!("{:.0}%", t.coverage_percent()),
        checked: t.checked,
        problems: t.problems,
        error_rate: format!("{:.1}%", t.error_rate_percent()),
        open: t.rectifications_open,
        overdue: t.rectifications_overdue,
        complaints: t.complaints_open,
        visits_missing: t.visits_missing,
    }
}

/// A county's figures: the sum of its townships' (the rates are recomputed from the sums).
fn county_total(county: &DivisionCode, townships: &[&TownshipSupervision]) -> TownshipSupervision {
    let sum = |f: fn(&TownshipSupervision) -> u64| townships.iter().map(|t| f(t)).sum::<u64>();
    TownshipSupervision {
        township: county.clone(),
        filings_pending: sum(|t| t.filings_pending),
        filings_in_period: sum(|t| t.filings_in_period),
        sampled: sum(|t| t.sampled),
        checked: sum(|t| t.checked),
        problems: sum(|t| t.problems),
        rectifications_open: sum(|t| t.rectifications_open),
        rectifications_overdue: sum(|t| t.rectifications_overdue),
        complaints_open: sum(|t| t.complaints_open),
        visits_due: sum(|t| t.visits_due),
        visits_missing: sum(|t| t.visits_missing),
    }
}

fn month_from(d: chrono::NaiveDate) -> Month {
    use chrono::Datelike;
    Month {
        year: d.year(),
        month: d.month(),
    }
}

fn month_of(state: &AppState, raw: Option<&str>) -> Result<Month, WebError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(m) => m
            .parse()
            .map_err(|_| WebError::new(StatusCode::UNPROCESSABLE_ENTITY, "月份格式应为 YYYY-MM")),
        // The last complete month: a month's sample is drawn once its decisions are all in.
        None => {
            let today = state.local_now().date();
            let first = today - chrono::Days::new(u64::from(chrono::Datelike::day(&today)));
            Ok(month_from(first))
        }
    }
}

async fn page(
    state: &AppState,
    s: &SessionUser,
    period: Month,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let supervisor = is_supervisor(s.user.role);
    let county =
        (s.user.division.level() == DivisionLevel::County).then(|| s.user.division.clone());
    let today = state.local_now().date();
    let summary = state
        .store
        .supervision_summary(&actor, None, period, today)
        .await?;
    let filings = if supervisor {
        state
            .store
            .filings(
                &actor,
                &FilingFilter {
                    within: None,
                    period: Some(period),
                    pending_only: true,
                },
            )
            .await?
    } else {
        Vec::new()
    };
    let draws = state
        .store
        .spot_check_draws(&actor, county.as_ref())
        .await?;
    let multi_county = s.user.division.level().is_above(DivisionLevel::County);
    let standing: Vec<_> = draws
        .iter()
        .filter(|d| d.period == period && !d.superseded)
        .cloned()
        .collect();
    let draw = if multi_county {
        None
    } else {
        standing.first().cloned()
    };
    let items = match &draw {
        Some(d) => state.store.spot_checks(&actor, Some(d.id)).await?,
        None if multi_county && supervisor => {
            let mut all = Vec::new();
            for d in &standing {
                all.extend(state.store.spot_checks(&actor, Some(d.id)).await?);
            }
            all
        }
        // A township sees its sampled cases once drawn (never before).
        None if !supervisor => state
            .store
            .spot_checks(&actor, None)
            .await?
            .into_iter()
            .filter(|i| i.period == period && !i.superseded)
            .collect(),
        None => Vec::new(),
    };
    let rects = state
        .store
        .rectifications(
            &actor,
            &RectificationFilter {
                within: None,
                open_only: false,
                overdue_on: None,
            },
        )
        .await?;
    // Above a county: every county in scope gets its total line, even without figures.
    let counties: Vec<DivisionCode> = if multi_county {
        let mut cs: Vec<DivisionCode> = state
            .store
            .divisions(&actor, None)
            .await?
            .into_iter()
            .filter(|d| d.level() == DivisionLevel::County)
            .map(|d| d.code)
            .collect();
        for t in &summary {
            if let Some(c) = t.township.county()
                && !cs.contains(&c)
            {
                cs.push(c);
            }
        }
        cs.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        cs
    } else {
        Vec::new()
    };
    let mut codes: Vec<&DivisionCode> = summary.iter().map(|t| &t.township).collect();
    codes.extend(counties.iter());
    codes.extend(standing.iter().map(|d| &d.county));
    codes.extend(filings.iter().map(|f| &f.township));
    codes.extend(items.iter().map(|i| &i.township));
    codes.extend(rects.iter().map(|r| &r.township));
    let names = division_names(state, codes).await;
    let name = |c: &DivisionCode| {
        names
            .get(c.as_str())
            .cloned()
            .unwrap_or_else(|| c.to_string())
    };
    let ordered: Vec<(i64, i64)> = rects
        .iter()
        .filter_map(|r| match r.finding {
            FindingRef::SpotCheck { draw_id, case_id } => Some((draw_id, case_id)),
            _ => None,
        })
        .collect();
    let rules = state.store.rules()?;
    let township_user = s.user.division.level() == DivisionLevel::Township
        && matches!(s.user.role, Role::TownshipCaseworker | Role::TownshipHead);
    let view = SupervisePage {
        nav: Nav::of(s),
        period: period.to_string(),
        prev: month_from(period.first_day() - chrono::Days::new(1)).to_string(),
        next: month_from(period.next_first_day()).to_string(),
        supervisor,
        county: county.as_ref().map(|c| c.to_string()),
        multi_county,
        summary: if multi_county {
            let mut rows = Vec::new();
            for c in &counties {
                let of: Vec<&TownshipSupervision> =
                    summary.iter().filter(|t| c.contains(&t.township)).collect();
                let total = county_total(c, &of);
                rows.push(summary_row(&total, format!("{} 合计", name(c)), true));
                rows.extend(of.iter().map(|t| summary_row(t, name(&t.township), false)));
            }
            rows
        } else {
            summary
                .iter()
                .map(|t| summary_row(t, name(&t.township), false))
                .collect()
        },
        filings: filings
            .iter()
            .map(|f| FilingRow {
                id: f.id,
                case_id: f.case_id,
                case_number: f.case_number.clone(),
                program: f.program.name_zh(),
                township: name(&f.township),
                decision: match (f.approved, f.amount) {
                    (true, Some(a)) => format!("批准 {}元", a.format_grouped()),
                    (true, None) => "批准".to_string(),
                    (false, _) => "不予批准".to_string(),
                },
                decided_on: f.decided_on.to_string(),
            })
            .collect(),
        draw: draw.as_ref().map(|d| draw_view(d, name(&d.county))),
        county_draws: if multi_county {
            standing
                .iter()
                .map(|d| draw_view(d, name(&d.county)))
                .collect()
        } else {
            Vec::new()
        },
        suggested_seed: {
            let secret = jiuzhu_store::auth::new_secret()?;
            let bytes: Vec<u8> = secret.bytes().take(8).collect();
            u64::from_le_bytes(bytes.try_into().unwrap_or([7; 8])).to_string()
        },
        items: items
            .iter()
            .map(|i| ItemRow {
                draw_id: i.draw_id,
                case_id: i.case_id,
                case_number: i.case_number.clone(),
                program: i.program.name_zh(),
                township: name(&i.township),
                decision: if i.approved { "批准" } else { "不予批准" },
                result: i.check.as_ref().map(|c| match &c.result {
                    SpotCheckResult::Correct => "无问题".to_string(),
                    SpotCheckResult::ProblemFound {
                        findings,
                        decision_wrong,
                    } => format!(
                        "发现问题：{findings}{}",
                        if *decision_wrong {
                            "（决定有误）"
                        } else {
                            ""
                        }
                    ),
                }),
                dishonesty_link: supervisor
                    && i.check
                        .as_ref()
                        .is_some_and(|c| matches!(c.result, SpotCheckResult::ProblemFound { .. }))
                    && i.township
                        .county()
                        .and_then(|c| rules.profiles.profile_for(&c))
                        .is_some_and(|p| p.supervision.dishonesty_record),
                may_order: supervisor
                    && i.check
                        .as_ref()
                        .is_some_and(|c| matches!(c.result, SpotCheckResult::ProblemFound { .. }))
                    && !ordered.contains(&(i.draw_id, i.case_id)),
            })
            .collect(),
        rectifications: rects
            .iter()
            .map(|r| RectRow {
                id: r.id,
                township: name(&r.township),
                case_id: r.case_id,
                requirement: r.requirement.clone(),
                due: r.due_date.to_string(),
                overdue: r.status != RectificationStatus::Closed && r.due_date < today,
                status: r.status.name_zh(),
                response: r.response.clone().unwrap_or_default(),
                may_respond: township_user && r.status == RectificationStatus::Open,
                may_conclude: supervisor && r.status == RectificationStatus::Responded,
            })
            .collect(),
        outcomes: FilingOutcome::ALL
            .iter()
            .map(|o| (o.as_str(), o.name_zh()))
            .collect(),
        key: jiuzhu_store::auth::new_secret()?,
        notice,
        error,
    };
    crate::web::form_page(&view, view.error.is_some())
}

/// `GET /supervision?period=YYYY-MM`
pub(crate) async fn supervision(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<SuperviseQuery>,
) -> Result<Response, WebError> {
    let period = month_of(&state, q.period.as_deref())?;
    let notice = q.done.as_deref().map(|d| match d {
        "draw_sample" => "已抽取本月样本，种子和方法已记录".to_string(),
        "record_spot_check" => "已记录抽查结果".to_string(),
        "order_rectification" => "已下达整改通知".to_string(),
        "respond_rectification" => "已报送整改情况".to_string(),
        "conclude_rectification" => "已验收".to_string(),
        "review_filing" => "已记录备案审查结论".to_string(),
        _ => "已办理".to_string(),
    });
    page(&state, &s, period, notice, None).await
}

/// `POST /supervision/{op}`: one supervision command from its form.
pub(crate) async fn act(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(op): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = FormData::parse(&body);
    if !s.csrf_ok(&f.one("csrf")) {
        return Err(WebError::csrf());
    }
    let period = month_of(&state, Some(f.one("period").as_str()))?;
    let int = |name: &str| f.one(name).trim().parse::<i64>().ok();
    let bad = |m: &str| Some(m.to_string());
    let command: Result<SupervisionCommand, Option<String>> = match op.as_str() {
        "draw_sample" => match (
            s.user.division.level() == DivisionLevel::County,
            f.one("seed").trim().parse::<u64>(),
        ) {
            (true, Ok(seed)) => Ok(SupervisionCommand::DrawSample {
                county: s.user.division.clone(),
                period,
                seed,
                redraw_reason: Some(f.one("redraw_reason").trim().to_string())
                    .filter(|r| !r.is_empty()),
            }),
            (false, _) => Err(bad("抽查由县级监督人员抽取")),
            (_, Err(_)) => Err(bad("随机种子应为非负整数")),
        },
        "record_spot_check" => match (int("draw_id"), int("case_id"), f.one("result").as_str()) {
            (Some(draw_id), Some(case_id), "correct") => Ok(SupervisionCommand::RecordSpotCheck {
                draw_id,
                case_id,
                result: SpotCheckResult::Correct,
                repeat_visit: Some(f.one("repeat_visit").trim().to_string())
                    .filter(|v| !v.is_empty()),
            }),
            (Some(draw_id), Some(case_id), "problem") if !f.one("findings").trim().is_empty() => {
                Ok(SupervisionCommand::RecordSpotCheck {
                    draw_id,
                    case_id,
                    result: SpotCheckResult::ProblemFound {
                        findings: f.one("findings").trim().to_string(),
                        decision_wrong: f.one("decision_wrong") == "on",
                    },
                    repeat_visit: Some(f.one("repeat_visit").trim().to_string())
                        .filter(|v| !v.is_empty()),
                })
            }
            _ => Err(bad("请选择抽查结论；发现问题时须写明问题")),
        },
        "order_rectification" => match (int("draw_id"), int("case_id"), int("working_days")) {
            (Some(draw_id), Some(case_id), Some(days))
                if days > 0 && !f.one("requirement").trim().is_empty() =>
            {
                Ok(SupervisionCommand::OrderRectification {
                    finding: FindingRef::SpotCheck { draw_id, case_id },
                    requirement: f.one("requirement").trim().to_string(),
                    working_days: days as u32,
                })
            }
            _ => Err(bad("请填写整改要求和整改期限（工作日）")),
        },
        "respond_rectification" => match int("rectification_id") {
            Some(id) if !f.one("response").trim().is_empty() => {
                Ok(SupervisionCommand::RespondRectification {
                    rectification_id: id,
                    response: f.one("response").trim().to_string(),
                })
            }
            _ => Err(bad("请填写整改情况")),
        },
        "conclude_rectification" => match int("rectification_id") {
            Some(id) => Ok(SupervisionCommand::ConcludeRectification {
                rectification_id: id,
                accept: f.one("accept") == "true",
                opinion: f.one("opinion").trim().to_string(),
            }),
            None => Err(bad("未找到该整改事项")),
        },
        "review_filing" => match (int("filing_id"), f.one("outcome").parse::<FilingOutcome>()) {
            (Some(id), Ok(outcome)) => Ok(SupervisionCommand::ReviewFiling {
                filing_id: id,
                outcome,
                opinion: f.one("opinion").trim().to_string(),
            }),
            _ => Err(bad("请选择审查结论")),
        },
        _ => return Err(WebError::new(StatusCode::NOT_FOUND, "未找到该页面")),
    };
    let command = match command {
        Ok(c) => c,
        Err(m) => return page(&state, &s, period, None, m).await,
    };
    let ctx = CommandContext::new(s.actor(), format!("web:{}", f.one("key")), state.now());
    match state
        .store
        .execute(&ctx, Command::Supervision(command))
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/supervision?period={period}&done={op}")).into_response())
        }
        Err(e) => match refusal(&e) {
            Some(m) => page(&state, &s, period, None, Some(m)).await,
            None => Err(e.into()),
        },
    }
}
