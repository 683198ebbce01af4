//! 公开 the pages without login: the public notices (公示) and the disclosure lists per
//! county, township and village, and the application-status lookup. They show only what
//! DOMAIN.md §8 and §10 allow: the household head's name masked, the household size, the
//! program, the amount and the village — never an identity number, address, phone or bank
//! account (the store's `PublicEntry` carries nothing else).

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use jiuzhu_domain::{DivisionCode, DivisionLevel};
use jiuzhu_store::{Actor, PublicEntry, PublicKind};
use serde::Deserialize;

use crate::AppState;
use crate::error::WebError;
use crate::session::ClientIp;
use crate::util::fmt_date;
use crate::web::Nav;

/// Public-form requests per client address per 15 minutes.
pub(crate) const PUBLIC_LIMIT: usize = 20;
/// Entries shown per list.
const MAX_ROWS: usize = 500;

struct Place {
    code: String,
    name: String,
}

struct Row {
    number: String,
    village: String,
    name: String,
    size: i64,
    program: &'static str,
    amount: String,
    since: String,
    until: String,
}

fn rows(entries: &[PublicEntry], kind: PublicKind) -> (Vec<Row>, usize) {
    let all: Vec<&PublicEntry> = entries.iter().filter(|e| e.kind == kind).collect();
    let total = all.len();
    let rows = all
        .into_iter()
        .take(MAX_ROWS)
        .map(|e| Row {
            number: e.case_number.clone(),
            village: e.village_name.clone(),
            name: e.head_masked.clone(),
            size: e.household_size,
            program: e.program.name_zh(),
            amount: e
                .amount
                .map(|a| format!("{}元", a.format_grouped()))
                .unwrap_or_else(|| "—".to_string()),
            since: match kind {
                PublicKind::LongTerm => e.since.format("%Y年%m月").to_string(),
                _ => fmt_date(e.since),
            },
            until: e.until.map(fmt_date).unwrap_or_default(),
        })
        .collect();
    (rows, total)
}

#[derive(Template)]
#[template(path = "public_index.html")]
struct IndexPage {
    nav: Option<Nav>,
    counties: Vec<Place>,
}

/// `GET /public`: the counties whose boards jiuzhu keeps.
pub(crate) async fn index(State(state): State<AppState>) -> Result<Response, WebError> {
    let rules = state.store.rules()?;
    let mut counties = Vec::new();
    for p in rules.profiles.profiles() {
        for code in &p.applies_to {
            let name = state
                .store
                .division(code)
                .await?
                .map(|d| d.name)
                .unwrap_or_else(|| p.name.clone());
            counties.push(Place {
                code: code.to_string(),
                name,
            });
        }
    }
    Ok(Html(
        IndexPage {
            nav: None,
            counties,
        }
        .render()?,
    )
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct BoardQuery {
    pub(crate) division: Option<String>,
}

#[derive(Template)]
#[template(path = "public_notices.html")]
struct NoticesPage {
    nav: Option<Nav>,
    name: String,
    code: String,
    parent: Option<Place>,
    children: Vec<Place>,
    notices: Vec<Row>,
    notices_total: usize,
    results: Vec<Row>,
    results_total: usize,
    long_term: Vec<Row>,
    long_term_total: usize,
    max_rows: usize,
}

/// `GET /public/notices?division=CODE`: the board of a county, township or village.
pub(crate) async fn notices(
    State(state): State<AppState>,
    Query(q): Query<BoardQuery>,
) -> Result<Response, WebError> {
    let unknown = || WebError::new(StatusCode::NOT_FOUND, "未找到该区划，请从公示公告首页选择");
    let code = q
        .division
        .as_deref()
        .and_then(|c| DivisionCode::parse(c.trim()).ok())
        .ok_or_else(unknown)?;
    let division = state.store.division(&code).await?.ok_or_else(unknown)?;
    if !matches!(
        code.level(),
        DivisionLevel::County | DivisionLevel::Township | DivisionLevel::Village
    ) {
        return Err(unknown());
    }
    // Jurisdiction names are public; the system actor only lists them.
    let children = if code.level() == DivisionLevel::Village {
        Vec::new()
    } else {
        state
            .store
            .divisions(&Actor::system("public"), Some(&code))
            .await?
            .into_iter()
            .map(|d| Place {
                code: d.code.to_string(),
                name: d.name,
            })
            .collect()
    };
    let parent = match code.parent() {
        Some(p) if code.level() != DivisionLevel::County => {
            state.store.division(&p).await?.map(|d| Place {
                code: d.code.to_string(),
                name: d.name,
            })
        }
        _ => None,
    };
    let today = state.local_now().date();
    let entries = state.store.public_board(&code, today).await?;
    let (notices, notices_total) = rows(&entries, PublicKind::Notice);
    let (results, results_total) = rows(&entries, PublicKind::Result);
    let (long_term, long_term_total) = rows(&entries, PublicKind::LongTerm);
    let page = NoticesPage {
        nav: None,
        name: division.name,
        code: code.to_string(),
        parent,
        children,
        notices,
        notices_total,
        results,
        results_total,
        long_term,
        long_term_total,
        max_rows: MAX_ROWS,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "public_status.html")]
struct StatusPage {
    nav: Option<Nav>,
    number: String,
    error: Option<&'static str>,
    result: Option<StatusView>,
}

struct StatusView {
    number: String,
    program: &'static str,
    stage: &'static str,
    opened_on: String,
    next_due: String,
    outcome: &'static str,
}

/// `GET /public/status`
pub(crate) async fn status_form() -> Result<Response, WebError> {
    let page = StatusPage {
        nav: None,
        number: String::new(),
        error: None,
        result: None,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct StatusForm {
    number: String,
    last4: String,
}

/// `POST /public/status`: the case by its number and the last four characters of an
/// identity number of its household; limited per client address.
pub(crate) async fn status_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    f: Result<Form<StatusForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let number: String = f.number.trim().chars().take(32).collect();
    let mut page = StatusPage {
        nav: None,
        number: number.clone(),
        error: None,
        result: None,
    };
    if !state.public_limit.allow(ip) {
        page.error = Some("查询过于频繁，请15分钟后再试");
        return Ok((StatusCode::TOO_MANY_REQUESTS, Html(page.render()?)).into_response());
    }
    if number.is_empty() || f.last4.trim().chars().count() != 4 {
        page.error = Some("请填写申请编号和身份证号码后四位");
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    match state.store.application_status(&number, &f.last4).await? {
        Some(s) => {
            page.result = Some(StatusView {
                number: s.case_number,
                program: s.program.name_zh(),
                stage: s.stage.name_zh(),
                opened_on: fmt_date(s.opened_on),
                next_due: s.next_due_date.map(fmt_date).unwrap_or_default(),
                outcome: match s.decided {
                    Some(true) => "已批准",
                    Some(false) => "不予批准（书面告知书载明理由及救济途径）",
                    None => "尚未作出决定",
                },
            });
            Ok(Html(page.render()?).into_response())
        }
        None => {
            page.error = Some("未查到相符的申请，请核对申请编号和身份证号码后四位");
            Ok((StatusCode::NOT_FOUND, Html(page.render()?)).into_response())
        }
    }
}

// ---- 异议/举报 ----------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReportQuery {
    division: Option<String>,
    case: Option<String>,
}

#[derive(Template)]
#[template(path = "public_report.html")]
struct ReportPage {
    nav: Option<Nav>,
    division: String,
    place: String,
    kind: String,
    case_number: String,
    content: String,
    contact: String,
    error: Option<String>,
    receipt: Option<(i64, String)>,
}

async fn place_name(state: &AppState, code: &str) -> Option<String> {
    let code = DivisionCode::parse(code.trim()).ok()?;
    if !matches!(
        code.level(),
        DivisionLevel::Township | DivisionLevel::Village
    ) {
        return None;
    }
    state
        .store
        .division(&code)
        .await
        .ok()
        .flatten()
        .map(|d| d.name)
}

/// `GET /public/report?division=CODE[&case=NUMBER]`: the objection / report form.
pub(crate) async fn report_form(
    State(state): State<AppState>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, WebError> {
    let division = q.division.unwrap_or_default();
    let place = place_name(&state, &division).await.ok_or_else(|| {
        WebError::new(
            StatusCode::NOT_FOUND,
            "请从公示页面选择乡镇（街道）或村（社区）后再提出异议或举报",
        )
    })?;
    let page = ReportPage {
        nav: None,
        division,
        place,
        kind: "objection".to_string(),
        case_number: q.case.unwrap_or_default().chars().take(32).collect(),
        content: String::new(),
        contact: String::new(),
        error: None,
        receipt: None,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ReportForm {
    division: String,
    kind: String,
    case_number: String,
    content: String,
    contact: String,
}

/// `POST /public/report`: records the objection or report for the township to answer;
/// limited per client address.
pub(crate) async fn report_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    f: Result<Form<ReportForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = f.map(|Form(f)| f).unwrap_or_default();
    let place = place_name(&state, &f.division).await;
    let mut page = ReportPage {
        nav: None,
        division: f.division.trim().to_string(),
        place: place.clone().unwrap_or_default(),
        kind: if f.kind == "report" {
            "report"
        } else {
            "objection"
        }
        .to_string(),
        case_number: f.case_number.chars().take(32).collect(),
        content: f
            .content
            .chars()
            .take(jiuzhu_store::MAX_REPORT_TEXT)
            .collect(),
        contact: f.contact.chars().take(100).collect(),
        error: None,
        receipt: None,
    };
    if !state.public_limit.allow(ip) {
        page.error = Some("提交过于频繁，请15分钟后再试".to_string());
        return Ok((StatusCode::TOO_MANY_REQUESTS, Html(page.render()?)).into_response());
    }
    let Some(division) = place.and_then(|_| DivisionCode::parse(f.division.trim()).ok()) else {
        page.error = Some("请从公示页面选择乡镇（街道）或村（社区）".to_string());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    };
    let content = f.content.trim();
    if content.is_empty() || content.chars().count() > jiuzhu_store::MAX_REPORT_TEXT {
        page.error = Some(format!(
            "请填写异议或举报的内容（不超过{}字）",
            jiuzhu_store::MAX_REPORT_TEXT
        ));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    let report = jiuzhu_store::NewPublicReport {
        division,
        kind: if f.kind == "report" {
            jiuzhu_store::ReportKind::Report
        } else {
            jiuzhu_store::ReportKind::Objection
        },
        case_number: Some(f.case_number.clone()),
        content: content.to_string(),
        contact: Some(f.contact.clone()),
    };
    let key = format!(
        "public:{}",
        jiuzhu_store::auth::new_secret().map_err(WebError::from)?
    );
    let ctx = jiuzhu_store::CommandContext::new(Actor::system("public"), key, state.now());
    match state
        .store
        .execute(&ctx, jiuzhu_store::Command::SubmitPublicReport(report))
        .await
    {
        Ok(done) => match done.outcome {
            jiuzhu_store::CommandOutcome::ReportSubmitted {
                report_id,
                due_date,
            } => {
                page.receipt = Some((report_id, fmt_date(due_date)));
                page.content.clear();
                page.contact.clear();
                Ok(Html(page.render()?).into_response())
            }
            other => Err(WebError::from(jiuzhu_store::StoreError::Database(format!(
                "unexpected outcome {other:?}"
            )))),
        },
        Err(jiuzhu_store::StoreError::Invalid(_)) => {
            page.error = Some("提交的内容无效（请勿包含特殊控制字符），请修改后重试".to_string());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
