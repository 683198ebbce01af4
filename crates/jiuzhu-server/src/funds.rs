//! 资金发放 pages: the month's rosters (花名册) of a county or township with their totals and
//! the changes against the month before; the township settles (月结), the county (admin or
//! finance officer) generates and submits them, downloads the bank's payment file, imports
//! the bank's return file and reconciles with the finance ledger. Every action is a store
//! command or store call (audited there); refusals come back with the store's Chinese
//! message.

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiuzhu_domain::{DivisionCode, DivisionLevel, Role};
use jiuzhu_excel::{Cell, Column, Sheet};
use jiuzhu_store::payroll::{self, DiffKind, Mismatch, Month, PaymentFileFormat, RosterTotals};
use jiuzhu_store::{Command, CommandContext, PageRequest};
use serde::Deserialize;

use crate::AppState;
use crate::error::{WebError, refusal_zh as refusal};
use crate::session::{SessionUser, WebUser};
use crate::web::Nav;
use crate::workbench::{FormData, division_names};

/// Diff lines shown on the page (the .xlsx has them all).
const MAX_DIFF_ROWS: usize = 300;

fn is_county_funds(role: Role) -> bool {
    matches!(role, Role::CountyAdmin | Role::FinanceOfficer)
}

fn is_township_funds(role: Role) -> bool {
    matches!(role, Role::TownshipCaseworker | Role::TownshipHead)
}

/// The county of the user (the page's county actions need one county).
fn county_of(s: &SessionUser) -> Option<DivisionCode> {
    let d = &s.user.division;
    (d.level() == DivisionLevel::County).then(|| d.clone())
}

fn township_of(s: &SessionUser) -> Option<DivisionCode> {
    let d = &s.user.division;
    (d.level() == DivisionLevel::Township).then(|| d.clone())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct FundsQuery {
    month: Option<String>,
    done: Option<String>,
}

fn month_or_now(state: &AppState, raw: Option<&str>) -> Result<Month, WebError> {
    match raw.map(str::trim).filter(|m| !m.is_empty()) {
        None => Ok(Month::of(state.local_now().date())),
        Some(m) => m.parse().map_err(|_| {
            WebError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "月份格式应为 YYYY-MM，例如 2026-03",
            )
        }),
    }
}

struct RosterRow {
    /// The code, for the 花名册 PDF form (settled or submitted rosters only).
    printable: Option<String>,
    program_code: &'static str,
    township: String,
    program: &'static str,
    status: &'static str,
    lines: i64,
    total: String,
    backpay: String,
    carried: String,
    settled: String,
    submitted: String,
}

struct DiffRow {
    kind: &'static str,
    household_id: i64,
    program: &'static str,
    township: String,
    previous: String,
    current: String,
}

#[derive(Template)]
#[template(path = "funds.html")]
struct FundsPage {
    nav: Option<Nav>,
    month: String,
    prev: String,
    next: String,
    scope: String,
    rows: Vec<RosterRow>,
    totals: (i64, String, String, String),
    diff: Vec<DiffRow>,
    diff_total: usize,
    county_actions: bool,
    township_actions: bool,
    notice: Option<String>,
    error: Option<String>,
    result: Option<ReconView>,
}

struct ReconView {
    rate: String,
    passes: bool,
    required: String,
    ours: i64,
    ledger: i64,
    matched: i64,
    mismatches: Vec<String>,
}

fn yuan(f: jiuzhu_domain::Fen) -> String {
    f.format_grouped()
}

async fn funds_page(
    state: &AppState,
    s: &SessionUser,
    month: Month,
    notice: Option<String>,
    error: Option<String>,
    result: Option<ReconView>,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let within = s.user.division.clone();
    let rosters = state.store.rosters(&actor, month, &within).await?;
    let diff = state.store.roster_diff(&actor, month, &within).await?;
    let mut codes: Vec<&DivisionCode> = rosters.iter().map(|r| &r.township).collect();
    codes.extend(diff.iter().map(|d| &d.township));
    codes.push(&within);
    let names = division_names(state, codes).await;
    let name = |c: &DivisionCode| {
        names
            .get(c.as_str())
            .cloned()
            .unwrap_or_else(|| c.to_string())
    };
    let totals = RosterTotals::of(&rosters);
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let view = FundsPage {
        nav: Nav::of(s),
        month: month.to_string(),
        prev: month.prev().to_string(),
        next: month.next().to_string(),
        scope: name(&within),
        rows: rosters
            .iter()
            .map(|r| RosterRow {
                printable: (r.status != jiuzhu_store::payroll::RosterStatus::Generated)
                    .then(|| r.township.to_string()),
                program_code: r.program.as_str(),
                township: name(&r.township),
                program: r.program.name_zh(),
                status: r.status.name_zh(),
                lines: r.lines,
                total: yuan(r.total),
                backpay: yuan(r.backpay),
                carried: yuan(r.carried),
                settled: match (r.settled_on, r.settled_late) {
                    (Some(d), true) => format!("{d}（逾期）"),
                    (d, _) => date(d),
                },
                submitted: date(r.submitted_on),
            })
            .collect(),
        totals: (
            totals.lines,
            yuan(totals.total),
            yuan(totals.backpay),
            yuan(totals.carried),
        ),
        diff_total: diff.len(),
        diff: diff
            .iter()
            .take(MAX_DIFF_ROWS)
            .map(|d| DiffRow {
                kind: match d.kind {
                    DiffKind::New => "新增",
                    DiffKind::Changed => "变更",
                    DiffKind::Stopped => "停发",
                },
                household_id: d.household_id,
                program: d.program.name_zh(),
                township: name(&d.township),
                previous: d.previous.map(yuan).unwrap_or_default(),
                current: d.current.map(yuan).unwrap_or_default(),
            })
            .collect(),
        county_actions: is_county_funds(s.user.role) && county_of(s).is_some(),
        township_actions: is_township_funds(s.user.role) && township_of(s).is_some(),
        notice,
        error,
        result,
    };
    crate::web::form_page(&view, view.error.is_some())
}

/// `GET /funds?month=YYYY-MM`
pub(crate) async fn funds(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<FundsQuery>,
) -> Result<Response, WebError> {
    let month = month_or_now(&state, q.month.as_deref())?;
    let notice = match q.done.as_deref() {
        Some("generate_rosters") => Some("已生成花名册".to_string()),
        Some("settle_rosters") => Some("已月结".to_string()),
        Some("submit_rosters") => Some("已报送财政，本月花名册已冻结".to_string()),
        Some("import_returns") => Some("已导入银行回盘".to_string()),
        _ => None,
    };
    funds_page(&state, &s, month, notice, None, None).await
}

/// `POST /funds/{action}`: 生成花名册 / 月结 / 报送财政 for the user's county or township.
pub(crate) async fn act(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    axum::extract::Path(action): axum::extract::Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let f = FormData::parse(&body);
    if !s.csrf_ok(&f.one("csrf")) {
        return Err(WebError::csrf());
    }
    let month = month_or_now(&state, Some(f.one("month").as_str()))?;
    let not_yours = || WebError::new(StatusCode::FORBIDDEN, "您的角色或管辖范围不能办理此项");
    let command = match action.as_str() {
        "generate_rosters" => Command::GenerateRosters {
            county: county_of(&s).ok_or_else(not_yours)?,
            month,
        },
        "submit_rosters" => Command::SubmitRosters {
            county: county_of(&s).ok_or_else(not_yours)?,
            month,
        },
        "settle_rosters" => Command::SettleRosters {
            township: township_of(&s).ok_or_else(not_yours)?,
            month,
        },
        _ => return Err(WebError::new(StatusCode::NOT_FOUND, "未找到该页面")),
    };
    let ctx = CommandContext::new(s.actor(), format!("web:{}", f.one("key")), state.now());
    match state.store.execute(&ctx, command).await {
        Ok(_) => Ok(Redirect::to(&format!("/funds?month={month}&done={action}")).into_response()),
        Err(e) => match refusal(&e) {
            Some(m) => funds_page(&state, &s, month, None, Some(m), None).await,
            None => Err(e.into()),
        },
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ExportQuery {
    month: Option<String>,
    format: Option<String>,
}

/// `GET /funds/payment-file?month=&format=csv|fixed`: 代发文件 of the county's submitted month
/// (its SHA-256 goes into the event log).
pub(crate) async fn payment_file(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<ExportQuery>,
) -> Result<Response, WebError> {
    let month = month_or_now(&state, q.month.as_deref())?;
    let format: PaymentFileFormat = q.format.as_deref().unwrap_or("csv").parse().map_err(|_| {
        WebError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "文件格式应为 csv 或 fixed",
        )
    })?;
    let county = county_of(&s)
        .filter(|_| is_county_funds(s.user.role))
        .ok_or_else(|| {
            WebError::new(StatusCode::FORBIDDEN, "代发文件由县级管理员或财务人员导出")
        })?;
    let ctx = CommandContext::new(
        s.actor(),
        format!("web:payfile:{}", jiuzhu_store::auth::new_secret()?),
        state.now(),
    );
    let mut out: Vec<u8> = Vec::new();
    match state
        .store
        .export_payments(&ctx, &county, month, format, &mut out, &|_, _| {})
        .await
    {
        Ok(summary) => {
            let ext = if format == PaymentFileFormat::Csv {
                "csv"
            } else {
                "txt"
            };
            Ok((
                [
                    (
                        header::CONTENT_TYPE,
                        "text/plain; charset=utf-8".to_string(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!(
                            "attachment; filename=\"payments-{county}-{}.{ext}\"",
                            month.compact()
                        ),
                    ),
                    (
                        header::HeaderName::from_static("x-content-sha256"),
                        summary.sha256.clone(),
                    ),
                ],
                out,
            )
                .into_response())
        }
        Err(e) => match refusal(&e) {
            Some(m) => funds_page(&state, &s, month, None, Some(m), None).await,
            None => Err(e.into()),
        },
    }
}

/// Reads a multipart upload: the CSRF token, the month and the file's text.
async fn upload(mut multipart: Multipart) -> Result<(String, String, String), String> {
    let (mut csrf, mut month, mut text) = (String::new(), String::new(), None);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| "上传未完成或文件过大，请重试".to_string())?
    {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "month" => month = field.text().await.unwrap_or_default(),
            "file" => {
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| "上传未完成或文件过大，请重试".to_string())?;
                text = Some(
                    String::from_utf8(bytes.to_vec())
                        .map_err(|_| "文件不是 UTF-8 编码的文本文件".to_string())?,
                );
            }
            _ => {}
        }
    }
    let text = text
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| "请选择要上传的文件".to_string())?;
    Ok((csrf, month, text))
}

/// A county funds file from its upload form: (month, county, text); `Err` is the page that
/// explains an unreadable upload. Only county admins and finance officers send these files.
async fn county_file(
    state: &AppState,
    s: &SessionUser,
    multipart: Multipart,
) -> Result<Result<(Month, DivisionCode, String), Response>, WebError> {
    let (csrf, month, text) = match upload(multipart).await {
        Ok(u) => u,
        Err(m) => {
            let month = Month::of(state.local_now().date());
            return Ok(Err(funds_page(state, s, month, None, Some(m), None).await?));
        }
    };
    if !s.csrf_ok(&csrf) {
        return Err(WebError::csrf());
    }
    let month = month_or_now(state, Some(month.as_str()))?;
    let county = county_of(s)
        .filter(|_| is_county_funds(s.user.role))
        .ok_or_else(|| {
            WebError::new(
                StatusCode::FORBIDDEN,
                "银行回盘和对账由县级管理员或财务人员办理",
            )
        })?;
    Ok(Ok((month, county, text)))
}

/// `POST /funds/returns` (multipart `csrf`, `month`, `file`): 银行回盘.
pub(crate) async fn returns(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let (month, county, text) = match county_file(&state, &s, multipart).await? {
        Ok(f) => f,
        Err(page) => return Ok(page),
    };
    let file = match payroll::parse_bank_returns(&text) {
        Ok(f) => f,
        Err(e) => {
            let m = refusal(&e).unwrap_or_else(|| "回盘文件无法读取".to_string());
            return funds_page(&state, &s, month, None, Some(m), None).await;
        }
    };
    let ctx = CommandContext::new(
        s.actor(),
        format!("web:returns:{}", &file.sha256[..32]),
        state.now(),
    );
    let command = Command::ImportBankReturns {
        county,
        month,
        sha256: file.sha256,
        lines: file.lines,
    };
    match state.store.execute(&ctx, command).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/funds?month={month}&done=import_returns")).into_response())
        }
        Err(e) => match refusal(&e) {
            Some(m) => funds_page(&state, &s, month, None, Some(m), None).await,
            None => Err(e.into()),
        },
    }
}

/// `POST /funds/reconcile` (multipart `csrf`, `month`, `file`): 对账 with the finance ledger.
pub(crate) async fn reconcile(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let (month, county, text) = match county_file(&state, &s, multipart).await? {
        Ok(f) => f,
        Err(page) => return Ok(page),
    };
    let ledger = match payroll::parse_ledger(&text) {
        Ok(l) => l,
        Err(e) => {
            let m = refusal(&e).unwrap_or_else(|| "台账文件无法读取".to_string());
            return funds_page(&state, &s, month, None, Some(m), None).await;
        }
    };
    let ctx = CommandContext::new(
        s.actor(),
        format!("web:reconcile:{}", jiuzhu_store::auth::new_secret()?),
        state.now(),
    );
    match state.store.reconcile(&ctx, &county, month, &ledger).await {
        Ok(r) => {
            let view = ReconView {
                rate: r.rate_text(),
                passes: r.passes(),
                required: r
                    .required_bp
                    .map(|b| format!("{}.{:02}%", b / 100, b % 100))
                    .unwrap_or_else(|| "未规定".to_string()),
                ours: r.ours,
                ledger: r.ledger_lines,
                matched: r.matched,
                mismatches: r
                    .mismatches
                    .iter()
                    .map(|m| match m {
                        Mismatch::MissingInLedger { payment_id, amount } => {
                            format!("发放记录{payment_id}（{}元）不在财务台账中", yuan(*amount))
                        }
                        Mismatch::NotPaidHere {
                            line,
                            payment_id,
                            amount,
                        } => format!(
                            "台账第{line}行：发放记录{payment_id}（{}元）在本系统中未发放成功",
                            yuan(*amount)
                        ),
                        Mismatch::AmountDiffers {
                            line,
                            payment_id,
                            ours,
                            ledger,
                        } => format!(
                            "台账第{line}行：发放记录{payment_id}金额不符（本系统{}元，台账{}元）",
                            yuan(*ours),
                            yuan(*ledger)
                        ),
                        Mismatch::RecipientDiffers { line, payment_id } => {
                            format!("台账第{line}行：发放记录{payment_id}的对象或项目不符")
                        }
                    })
                    .collect(),
            };
            funds_page(
                &state,
                &s,
                month,
                Some("对账完成".to_string()),
                None,
                Some(view),
            )
            .await
        }
        Err(e) => match refusal(&e) {
            Some(m) => funds_page(&state, &s, month, None, Some(m), None).await,
            None => Err(e.into()),
        },
    }
}

/// `GET /funds/payments.xlsx?month=`: the month's payments (roster lines) of the user's
/// jurisdiction; accounts masked.
pub(crate) async fn payments_xlsx(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<FundsQuery>,
) -> Result<Response, WebError> {
    let month = month_or_now(&state, q.month.as_deref())?;
    let actor = s.actor();
    let mut rows = Vec::new();
    let mut page = 1;
    loop {
        let list = state
            .store
            .payments(
                &actor,
                month,
                &s.user.division,
                PageRequest::new(page, 1000),
            )
            .await?;
        rows.extend(list.items);
        if i64::from(page) * 1000 >= list.total || rows.len() >= 200_000 {
            break;
        }
        page += 1;
    }
    let names = division_names(&state, rows.iter().map(|p| &p.township).collect()).await;
    let sheet = Sheet {
        name: "花名册".to_string(),
        columns: vec![
            Column::new("发放记录号", 12.0),
            Column::new("乡镇（街道）", 16.0),
            Column::new("项目", 14.0),
            Column::new("家庭编号", 10.0),
            Column::new("所属月份", 10.0),
            Column::new("金额（元）", 12.0),
            Column::new("其中补发（元）", 12.0),
            Column::new("账号（隐去中间位）", 22.0),
            Column::new("状态", 10.0),
        ],
        rows: rows
            .iter()
            .map(|p| {
                vec![
                    Cell::Int(p.id),
                    Cell::Text(
                        names
                            .get(p.township.as_str())
                            .cloned()
                            .unwrap_or_else(|| p.township.to_string()),
                    ),
                    Cell::Text(p.program.name_zh().to_string()),
                    Cell::Int(p.household_id),
                    Cell::Text(p.for_month.to_string()),
                    Cell::Yuan(p.amount),
                    Cell::Yuan(p.backpay),
                    Cell::Text(p.account_masked.clone().unwrap_or_default()),
                    Cell::Text(p.status.as_str().to_string()),
                ]
            })
            .collect(),
    };
    crate::export::xlsx(&[sheet], &format!("roster-{}", month.compact()))
}

// ---- 备用金 (reserve fund) ---------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReserveQuery {
    township: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

struct ReserveRow {
    date: String,
    kind: &'static str,
    amount: String,
    balance: String,
    case_id: Option<i64>,
    note: String,
}

#[derive(Template)]
#[template(path = "reserve.html")]
struct ReservePage {
    nav: Option<Nav>,
    townships: Vec<(String, String)>,
    township: Option<(String, String)>,
    from: String,
    to: String,
    opening: String,
    closing: String,
    rows: Vec<ReserveRow>,
    /// County admin / finance: allocation and replenishment.
    county_forms: bool,
    /// Township caseworker / head: spending on a 临时救助 case.
    township_form: bool,
    key: String,
    error: Option<String>,
}

fn kind_zh(k: payroll::ReserveKind) -> &'static str {
    match k {
        payroll::ReserveKind::Allocation => "县级核拨",
        payroll::ReserveKind::Spending => "临时救助支出",
        payroll::ReserveKind::Replenishment => "补充",
    }
}

async fn reserve_page(
    state: &AppState,
    s: &SessionUser,
    q: ReserveQuery,
    error: Option<String>,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let today = state.local_now().date();
    let parse_date = |raw: Option<&str>, default: chrono::NaiveDate| {
        raw.map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d"))
            .unwrap_or(Ok(default))
            .map_err(|_| WebError::new(StatusCode::UNPROCESSABLE_ENTITY, "日期格式应为 YYYY-MM-DD"))
    };
    let from = parse_date(q.from.as_deref(), Month::of(today).first_day())?;
    let to = parse_date(q.to.as_deref(), today)?;
    let townships: Vec<(String, String)> = match township_of(s) {
        Some(_) => Vec::new(),
        None => state
            .store
            .divisions(&actor, Some(&s.user.division))
            .await?
            .into_iter()
            .filter(|d| d.code.level() == DivisionLevel::Township)
            .map(|d| (d.code.to_string(), d.name))
            .collect(),
    };
    let township = township_of(s).or_else(|| {
        q.township
            .as_deref()
            .and_then(|t| DivisionCode::parse(t).ok())
            .filter(|t| townships.iter().any(|(c, _)| c == t.as_str()))
    });
    let (shown, opening, closing, rows) = match &township {
        Some(t) => {
            let st = match state.store.reserve_statement(&actor, t, from, to).await {
                Ok(st) => st,
                Err(e) => return Err(e.into()),
            };
            let name = division_names(state, vec![t])
                .await
                .remove(t.as_str())
                .unwrap_or_else(|| t.to_string());
            (
                Some((t.to_string(), name)),
                yuan(st.opening),
                yuan(st.closing),
                st.entries
                    .iter()
                    .map(|e| ReserveRow {
                        date: e.date.to_string(),
                        kind: kind_zh(e.kind),
                        amount: yuan(e.amount),
                        balance: yuan(e.balance),
                        case_id: e.case_id,
                        note: e.note.clone(),
                    })
                    .collect(),
            )
        }
        None => (None, String::new(), String::new(), Vec::new()),
    };
    let view = ReservePage {
        nav: Nav::of(s),
        townships,
        county_forms: is_county_funds(s.user.role) && county_of(s).is_some() && shown.is_some(),
        township_form: is_township_funds(s.user.role) && township_of(s).is_some(),
        township: shown,
        from: from.to_string(),
        to: to.to_string(),
        opening,
        closing,
        rows,
        key: jiuzhu_store::auth::new_secret()?,
        error,
    };
    crate::web::form_page(&view, view.error.is_some())
}

/// `GET /funds/reserve?township=&from=&to=`: 备用金对账单.
pub(crate) async fn reserve(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<ReserveQuery>,
) -> Result<Response, WebError> {
    reserve_page(&state, &s, q, None).await
}

/// `POST /funds/reserve`: a movement of a township's reserve fund.
pub(crate) async fn reserve_submit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let f = FormData::parse(&body);
    if !s.csrf_ok(&f.one("csrf")) {
        return Err(WebError::csrf());
    }
    let township_raw = f.one("township");
    let again = ReserveQuery {
        township: Some(township_raw.clone()),
        from: None,
        to: None,
    };
    let kind = payroll::ReserveKind::parse(&f.one("kind"));
    let amount = jiuzhu_domain::Fen::parse_yuan(&f.one("amount_yuan")).ok();
    let case_id = match f.one("case_id").trim() {
        "" => Ok(None),
        c => c.parse::<i64>().map(Some),
    };
    let township = township_of(&s).or_else(|| DivisionCode::parse(&township_raw).ok());
    let (Some(kind), Some(amount), Ok(case_id), Some(township)) = (kind, amount, case_id, township)
    else {
        return reserve_page(
            &state,
            &s,
            again,
            Some("请填写金额（元）；支出须填写临时救助案件编号（数字）".to_string()),
        )
        .await;
    };
    let ctx = CommandContext::new(s.actor(), format!("web:{}", f.one("key")), state.now());
    let command = Command::ReserveMovement(payroll::NewReserveMovement {
        township: township.clone(),
        kind,
        amount,
        case_id,
        note: f.one("note").trim().to_string(),
    });
    match state.store.execute(&ctx, command).await {
        Ok(_) => Ok(Redirect::to(&format!("/funds/reserve?township={township}")).into_response()),
        Err(e) => match refusal(&e) {
            Some(m) => reserve_page(&state, &s, again, Some(m)).await,
            None => Err(e.into()),
        },
    }
}
