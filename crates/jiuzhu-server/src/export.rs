//! 导出Excel: every list as an `.xlsx` download, with the list page's filters: households
//! (`/households.xlsx`), cases (`/cases.xlsx`), my tasks (`/todo.xlsx`) and the public board
//! (`/public/notices.xlsx?division=`). The sheets are written by `jiuzhu_excel::Sheet`
//! (bold header, widths, amounts in yuan with 2 decimals, dates as dates). The lists carry
//! no identity numbers (the case and household lists show none; the public board never).

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use jiuzhu_domain::case::Stage;
use jiuzhu_domain::{DivisionCode, DivisionLevel, Program};
use jiuzhu_excel::{Cell, Column, Sheet};
use jiuzhu_store::{
    CaseFilter, CaseSummary, HouseholdFilter, PageRequest, PublicEntry, PublicKind,
};

use crate::AppState;
use crate::error::WebError;
use crate::public::BoardQuery;
use crate::session::WebUser;
use crate::web::{ListQuery, parse_division_filter};
use crate::workbench::{CaseListQuery, my_todo, village_names};

/// Most rows one export holds (the lists are read page by page up to this).
const MAX_EXPORT_ROWS: usize = 200_000;

/// The `.xlsx` download response. `name` is ASCII (the file name the browser saves).
pub(crate) fn xlsx(sheets: &[Sheet], name: &str) -> Result<Response, WebError> {
    let bytes = jiuzhu_excel::workbook(sheets).map_err(|e| {
        tracing::error!(error = %e, "xlsx export failed");
        WebError::new(StatusCode::INTERNAL_SERVER_ERROR, "导出失败，请稍后重试")
    })?;
    let date = crate::util::local_time(chrono::Utc::now());
    Ok((
        [
            (header::CONTENT_TYPE, jiuzhu_excel::XLSX_MIME.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{name}-{}.xlsx\"",
                    date.format("%Y%m%d")
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn local(t: chrono::DateTime<chrono::Utc>) -> NaiveDateTime {
    crate::util::local_time(t)
}

/// `GET /households.xlsx?division=CODE`: 家庭列表.
pub(crate) async fn households(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let division = parse_division_filter(q.division.as_deref(), &actor.scope())
        .map_err(|m| WebError::new(StatusCode::BAD_REQUEST, m))?;
    let filter = HouseholdFilter { division };
    let mut sheet = Sheet::new(
        "家庭列表",
        vec![
            Column::new("编号", 10.0),
            Column::new("户主", 12.0),
            Column::new("所在村(社区)", 24.0),
            Column::new("村(社区)代码", 16.0),
            Column::new("人数", 8.0),
            Column::new("登记时间", 18.0),
        ],
    );
    let mut page_no = 1;
    loop {
        let page = state
            .store
            .households(
                &actor,
                &filter,
                PageRequest::new(page_no, PageRequest::MAX_PER_PAGE),
            )
            .await?;
        for h in &page.items {
            sheet.push(vec![
                Cell::Int(h.id),
                Cell::Text(h.head_name.to_string()),
                Cell::Text(h.division_name.clone()),
                Cell::Text(h.division.to_string()),
                Cell::Int(h.member_count),
                Cell::DateTime(local(h.created_at)),
            ]);
        }
        if page_no >= page.pages() || sheet.rows.len() >= MAX_EXPORT_ROWS {
            break;
        }
        page_no += 1;
    }
    xlsx(&[sheet], "households")
}

fn case_columns() -> Vec<Column> {
    vec![
        Column::new("案件编号", 20.0),
        Column::new("救助项目", 14.0),
        Column::new("所在村(社区)", 22.0),
        Column::new("家庭编号", 10.0),
        Column::new("当前环节", 14.0),
        Column::new("状态", 8.0),
        Column::new("下一期限", 12.0),
        Column::new("是否超期", 10.0),
        Column::new("受理时间", 18.0),
        Column::new("最近办理", 18.0),
    ]
}

fn case_cells(
    c: &CaseSummary,
    now: NaiveDateTime,
    names: &std::collections::HashMap<String, String>,
) -> Vec<Cell> {
    let overdue = c.open && c.next_deadline.is_some_and(|d| d < now);
    vec![
        Cell::Text(c.number.clone()),
        Cell::from(c.program.name_zh()),
        Cell::Text(
            names
                .get(c.village.as_str())
                .cloned()
                .unwrap_or_else(|| c.village.to_string()),
        ),
        Cell::Int(c.household_id),
        Cell::from(c.stage.name_zh()),
        Cell::from(if c.open { "办理中" } else { "已办结" }),
        Cell::from(c.next_due_date),
        Cell::from(if overdue { "超期" } else { "" }),
        Cell::DateTime(local(c.opened_at)),
        Cell::DateTime(local(c.updated_at)),
    ]
}

/// `GET /cases.xlsx?program=&stage=&division=&status=open|all`: 案件查询.
pub(crate) async fn cases(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<CaseListQuery>,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let bad = |m: String| WebError::new(StatusCode::BAD_REQUEST, m);
    let program = match q.program.as_deref().filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(p.parse::<Program>().map_err(|_| {
            bad(format!(
                "未知的救助项目“{}”",
                p.chars().take(20).collect::<String>()
            ))
        })?),
    };
    let stage = q
        .stage
        .as_deref()
        .filter(|p| !p.is_empty())
        .and_then(|st| Stage::ALL.into_iter().find(|x| x.as_str() == st));
    let within = parse_division_filter(q.division.as_deref(), &actor.scope()).map_err(bad)?;
    let filter = CaseFilter {
        program,
        within,
        stage,
        open_only: q.status.as_deref() != Some("all"),
    };
    let now = state.local_now();
    let mut all = Vec::new();
    let mut page_no = 1;
    loop {
        let page = state
            .store
            .cases(
                &actor,
                &filter,
                PageRequest::new(page_no, PageRequest::MAX_PER_PAGE),
            )
            .await?;
        let pages = page.pages();
        all.extend(page.items);
        if page_no >= pages || all.len() >= MAX_EXPORT_ROWS {
            break;
        }
        page_no += 1;
    }
    let names = village_names(&state, all.iter().collect()).await;
    let mut sheet = Sheet::new("案件列表", case_columns());
    for c in &all {
        sheet.push(case_cells(c, now, &names));
    }
    xlsx(&[sheet], "cases")
}

/// `GET /todo.xlsx`: 我的待办, with the steps the user may take.
pub(crate) async fn todo(
    State(state): State<AppState>,
    WebUser(s): WebUser,
) -> Result<Response, WebError> {
    let (mine, _) = my_todo(&state, &s).await?;
    let now = state.local_now();
    let cases: Vec<CaseSummary> = mine.iter().map(|(c, _)| c.clone()).collect();
    let names = village_names(&state, cases.iter().collect()).await;
    let mut columns = case_columns();
    columns.push(Column::new("待办事项", 30.0));
    let mut sheet = Sheet::new("我的待办", columns);
    for (c, steps) in &mine {
        let mut row = case_cells(c, now, &names);
        row.push(Cell::Text(steps.clone()));
        sheet.push(row);
    }
    xlsx(&[sheet], "todo")
}

fn public_sheet(name: &str, entries: &[PublicEntry], kind: PublicKind) -> Sheet {
    let since = match kind {
        PublicKind::Notice => "公示开始",
        PublicKind::Result => "公示日期",
        PublicKind::LongTerm => "享受起始",
    };
    let mut columns = vec![
        Column::new("案件编号", 20.0),
        Column::new("村(社区)", 22.0),
        Column::new("户主", 10.0),
        Column::new("家庭人数", 10.0),
        Column::new("救助项目", 14.0),
        Column::new("金额（元）", 14.0),
        Column::new(since, 12.0),
    ];
    if kind == PublicKind::Notice {
        columns.push(Column::new("公示截止", 12.0));
    }
    let mut sheet = Sheet::new(name, columns);
    for e in entries.iter().filter(|e| e.kind == kind) {
        // Only what the public board shows: never an ID number or address.
        let mut row = vec![
            Cell::Text(e.case_number.clone()),
            Cell::Text(e.village_name.clone()),
            Cell::Text(e.head_masked.clone()),
            Cell::Int(e.household_size),
            Cell::from(e.program.name_zh()),
            Cell::from(e.amount),
            Cell::Date(e.since),
        ];
        if kind == PublicKind::Notice {
            row.push(Cell::from(e.until));
        }
        sheet.push(row);
    }
    sheet
}

/// `GET /public/notices.xlsx?division=CODE` (no login): the board's three lists as three
/// sheets.
pub(crate) async fn public_notices(
    State(state): State<AppState>,
    Query(q): Query<BoardQuery>,
) -> Result<Response, WebError> {
    let unknown = || WebError::new(StatusCode::NOT_FOUND, "未找到该区划，请从公示公告首页选择");
    let code = q
        .division
        .as_deref()
        .and_then(|c| DivisionCode::parse(c.trim()).ok())
        .filter(|c| {
            matches!(
                c.level(),
                DivisionLevel::County | DivisionLevel::Township | DivisionLevel::Village
            )
        })
        .ok_or_else(unknown)?;
    state.store.division(&code).await?.ok_or_else(unknown)?;
    let today = crate::util::local_time(chrono::Utc::now()).date();
    let entries = state.store.public_board(&code, today).await?;
    let sheets = [
        public_sheet("正在公示", &entries, PublicKind::Notice),
        public_sheet("审批结果公示", &entries, PublicKind::Result),
        public_sheet("长期公示", &entries, PublicKind::LongTerm),
    ];
    xlsx(&sheets, &format!("public-{code}"))
}
