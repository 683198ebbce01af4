//! 失信记录 page: for county administrators and supervisors only (the store refuses everyone
//! else: 403, and a record or case outside the actor's jurisdiction is not found). The
//! records with their legal basis, facts and amount to recover, the findings that may
//! support a new one (a spot check with a problem, a substantiated complaint about a case, a
//! filing reviewed with questions or needing rectification), and the form to record one
//! (`SupervisionCommand::RecordDishonesty`), refused with the store's Chinese message where
//! the county's profile has no dishonesty records (`supervision.dishonesty_disabled`).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use jiuzhu_domain::supervision::{ComplaintOutcome, FilingOutcome};
use jiuzhu_domain::{DivisionCode, DivisionLevel, Fen};
use jiuzhu_store::{
    CaseFilter, Command, CommandContext, FilingFilter, FindingRef, PageRequest, SpotCheckResult,
    SupervisionCommand,
};
use serde::Deserialize;

use crate::AppState;
use crate::error::{WebError, refusal_zh};
use crate::session::{SessionUser, WebUser};
use crate::util::fmt_time;
use crate::web::Nav;
use crate::workbench::{FormData, division_names};

/// The legal basis most records cite (offered as the default).
const DEFAULT_BASIS: &str = "《社会救助暂行办法》第六十八条";

/// What was typed into the form (kept when it is refused).
#[derive(Debug, Clone, Default)]
struct Entered {
    kind: String,
    draw_id: String,
    complaint_id: String,
    filing_id: String,
    case_id: String,
    legal_basis: String,
    facts: String,
    amount: String,
}

struct RecordRow {
    id: i64,
    case_id: i64,
    township: String,
    finding: String,
    legal_basis: String,
    facts: String,
    /// 应追回金额 in yuan (`1,234.56`).
    amount: String,
    recorded: String,
}

/// A finding that may support a record: what it is and the link that fills in the form.
struct Candidate {
    what: String,
    detail: String,
    link: String,
}

#[derive(Template)]
#[template(path = "dishonesty.html")]
struct DishonestyPage {
    nav: Option<Nav>,
    /// The actor's county has no dishonesty records (its profile).
    disabled: bool,
    records: Vec<RecordRow>,
    candidates: Vec<Candidate>,
    kinds: Vec<(&'static str, &'static str)>,
    entered: Entered,
    key: String,
    notice: Option<String>,
    error: Option<String>,
}

fn finding_zh(f: &FindingRef) -> String {
    match f {
        FindingRef::SpotCheck { draw_id, .. } => format!("抽查发现问题（抽样 #{draw_id}）"),
        FindingRef::Complaint { complaint_id } => format!("投诉举报属实（#{complaint_id}）"),
        FindingRef::Filing { filing_id } => format!("备案审查发现问题（备案 #{filing_id}）"),
    }
}

/// The id of the case numbered `number` under `township`, looked up among the actor's cases.
async fn case_id_by_number(
    state: &AppState,
    s: &SessionUser,
    township: &DivisionCode,
    number: &str,
) -> Option<i64> {
    let filter = CaseFilter {
        within: Some(township.clone()),
        ..CaseFilter::default()
    };
    for p in 1..=25 {
        let page = state
            .store
            .cases(
                &s.actor(),
                &filter,
                PageRequest::new(p, PageRequest::MAX_PER_PAGE),
            )
            .await
            .ok()?;
        if let Some(c) = page.items.iter().find(|c| c.number == number) {
            return Some(c.id);
        }
        if p >= page.pages() {
            break;
        }
    }
    None
}

async fn page(
    state: &AppState,
    s: &SessionUser,
    entered: Entered,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let actor = s.actor();
    // The store decides who may see the records (403 for everyone but county staff).
    let records = state.store.dishonesty_records(&actor).await?;
    let checks: Vec<_> = state
        .store
        .spot_checks(&actor, None)
        .await?
        .into_iter()
        .filter(|i| {
            !i.superseded
                && i.check
                    .as_ref()
                    .is_some_and(|c| matches!(c.result, SpotCheckResult::ProblemFound { .. }))
        })
        .collect();
    let complaints: Vec<_> = state
        .store
        .complaints(&actor, false)
        .await?
        .into_iter()
        .filter(|c| c.case_number.is_some() && c.outcome.is_some_and(ComplaintOutcome::is_finding))
        .collect();
    let filings: Vec<_> = state
        .store
        .filings(&actor, &FilingFilter::default())
        .await?
        .into_iter()
        .filter(|f| {
            f.review
                .as_ref()
                .is_some_and(|r| r.outcome != FilingOutcome::Accepted)
        })
        .collect();
    let names = division_names(state, records.iter().map(|r| &r.township).collect()).await;
    let disabled = s.user.division.level() == DivisionLevel::County
        && !state
            .store
            .rules()?
            .profiles
            .profile_for(&s.user.division)
            .is_some_and(|p| p.supervision.dishonesty_record);
    let mut candidates = Vec::new();
    for i in &checks {
        let findings = match i.check.as_ref().map(|c| &c.result) {
            Some(SpotCheckResult::ProblemFound { findings, .. }) => findings.clone(),
            _ => String::new(),
        };
        candidates.push(Candidate {
            what: format!("抽查 {} 案件 {}", i.period, i.case_number),
            detail: findings,
            link: format!(
                "/dishonesty?kind=spot_check&draw_id={}&case_id={}",
                i.draw_id, i.case_id
            ),
        });
    }
    for c in &complaints {
        candidates.push(Candidate {
            what: format!(
                "投诉举报 #{} 案件 {}",
                c.id,
                c.case_number.clone().unwrap_or_default()
            ),
            detail: c
                .outcome
                .map(|o| o.name_zh())
                .unwrap_or_default()
                .to_string(),
            link: format!("/dishonesty?kind=complaint&complaint_id={}", c.id),
        });
    }
    for f in &filings {
        candidates.push(Candidate {
            what: format!("备案 #{} 案件 {}", f.id, f.case_number),
            detail: f
                .review
                .as_ref()
                .map(|r| format!("{}：{}", r.outcome.name_zh(), r.opinion))
                .unwrap_or_default(),
            link: format!(
                "/dishonesty?kind=filing&filing_id={}&case_id={}",
                f.id, f.case_id
            ),
        });
    }
    let view = DishonestyPage {
        nav: Nav::of(s),
        disabled,
        records: records
            .iter()
            .map(|r| RecordRow {
                id: r.id,
                case_id: r.case_id,
                township: names
                    .get(r.township.as_str())
                    .cloned()
                    .unwrap_or_else(|| r.township.to_string()),
                finding: finding_zh(&r.finding),
                legal_basis: r.legal_basis.clone(),
                facts: r.facts.clone(),
                amount: r.amount_to_recover.format_grouped(),
                recorded: fmt_time(r.recorded_at),
            })
            .collect(),
        candidates,
        kinds: vec![
            ("spot_check", "抽查发现问题"),
            ("complaint", "投诉举报属实"),
            ("filing", "备案审查发现问题"),
        ],
        entered,
        key: jiuzhu_store::auth::new_secret()?,
        notice,
        error,
    };
    crate::web::form_page(&view, view.error.is_some())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DishonestyQuery {
    done: Option<String>,
    kind: Option<String>,
    draw_id: Option<String>,
    case_id: Option<String>,
    complaint_id: Option<String>,
    filing_id: Option<String>,
}

/// `GET /dishonesty[?kind=…&draw_id=…&case_id=…|complaint_id=…|filing_id=…]`: the records
/// and the form, filled in from the finding the link names.
pub(crate) async fn dishonesty(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<DishonestyQuery>,
) -> Result<Response, WebError> {
    let notice = q.done.is_some().then(|| "已登记失信记录".to_string());
    let mut entered = Entered {
        kind: q.kind.clone().unwrap_or_default(),
        draw_id: q.draw_id.clone().unwrap_or_default(),
        complaint_id: q.complaint_id.clone().unwrap_or_default(),
        filing_id: q.filing_id.clone().unwrap_or_default(),
        case_id: q.case_id.clone().unwrap_or_default(),
        legal_basis: DEFAULT_BASIS.to_string(),
        ..Entered::default()
    };
    if entered.kind.is_empty() && !entered.complaint_id.is_empty() {
        entered.kind = "complaint".to_string();
    }
    // A complaint names its case by number: find the case's id for the form.
    if entered.kind == "complaint"
        && entered.case_id.is_empty()
        && let Ok(id) = entered.complaint_id.parse::<i64>()
        && let Some(c) = state
            .store
            .complaints(&s.actor(), false)
            .await?
            .into_iter()
            .find(|c| c.id == id)
        && let Some(number) = &c.case_number
        && let Some(case_id) = case_id_by_number(&state, &s, &c.township, number).await
    {
        entered.case_id = case_id.to_string();
    }
    // The amount to recover: what the case's corrections found overpaid (纠正与追回).
    if let Ok(case_id) = entered.case_id.parse::<i64>() {
        let overpaid = state
            .store
            .corrections(&s.actor(), None)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.case_id == case_id)
            .fold(Fen::ZERO, |sum, c| sum + c.overpaid);
        if overpaid > Fen::ZERO {
            entered.amount = overpaid.to_string();
        }
    }
    page(&state, &s, entered, notice, None).await
}

/// `POST /dishonesty`: records one (county administrators and supervisors).
pub(crate) async fn record(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = FormData::parse(&body);
    if !s.csrf_ok(&f.one("csrf")) {
        return Err(WebError::csrf());
    }
    let entered = Entered {
        kind: f.one("kind"),
        draw_id: f.one("draw_id"),
        complaint_id: f.one("complaint_id"),
        filing_id: f.one("filing_id"),
        case_id: f.one("case_id"),
        legal_basis: f.one("legal_basis"),
        facts: f.one("facts"),
        amount: f.one("amount"),
    };
    let int = |v: &str| v.parse::<i64>().ok();
    let case_id = int(&entered.case_id);
    let finding = match entered.kind.as_str() {
        "spot_check" => match (int(&entered.draw_id), case_id) {
            (Some(draw_id), Some(case_id)) => Some(FindingRef::SpotCheck { draw_id, case_id }),
            _ => None,
        },
        "complaint" => {
            int(&entered.complaint_id).map(|complaint_id| FindingRef::Complaint { complaint_id })
        }
        "filing" => int(&entered.filing_id).map(|filing_id| FindingRef::Filing { filing_id }),
        _ => None,
    };
    let amount = Fen::parse_yuan(&entered.amount);
    let refused = match (&finding, case_id, &amount) {
        (None, _, _) => {
            Some("请选择失信认定的依据（抽查、投诉举报或备案审查发现的问题）并填写编号")
        }
        (_, None, _) => Some("请填写案件ID"),
        (_, _, Err(_)) => Some("应追回金额格式不正确，应为元，最多两位小数，如 1234.50"),
        _ if entered.legal_basis.is_empty() || entered.facts.is_empty() => {
            Some("请填写法律依据和失信事实")
        }
        _ => None,
    };
    let (Some(finding), Some(case_id), Ok(amount), None) = (finding, case_id, amount, refused)
    else {
        let m = refused.unwrap_or("提交的内容无效").to_string();
        return page(&state, &s, entered, None, Some(m)).await;
    };
    let command = SupervisionCommand::RecordDishonesty {
        case_id,
        finding,
        legal_basis: entered.legal_basis.clone(),
        facts: entered.facts.clone(),
        amount_to_recover: amount,
    };
    let ctx = CommandContext::new(s.actor(), format!("web:{}", f.one("key")), state.now());
    match state
        .store
        .execute(&ctx, Command::Supervision(command))
        .await
    {
        Ok(_) => Ok(Redirect::to("/dishonesty?done=1").into_response()),
        Err(e) => match refusal_zh(&e) {
            Some(m) => page(&state, &s, entered, None, Some(m)).await,
            None => Err(e.into()),
        },
    }
}
