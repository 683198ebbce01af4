//! 批量导入家庭 the household import page: `/households/import` offers the template and a
//! multipart upload (CSRF token in the form); the import runs in a background task whose
//! page `/households/import/{id}` refreshes itself every second (a meta refresh: no script)
//! with the rows processed, and then shows the row-by-row report, also as an `.xlsx` download.
//!
//! Jobs live in memory (a restart forgets the pages, not the imports: the store's result is
//! committed or not, and re-uploading the same file is answered from the first import).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiuzhu_excel::{Cell, Column, Sheet};
use jiuzhu_store::auth::new_secret;
use jiuzhu_store::import::column;
use jiuzhu_store::{
    CommandContext, ImportMode, ImportProgress, ImportReport, ImportStage, StoreError,
};

use crate::AppState;
use crate::error::{WebError, store_message_zh};
use crate::session::{SessionUser, WebUser};
use crate::web::Nav;

/// Largest upload accepted (a 100,000-household csv is about 20 MB).
pub(crate) const MAX_UPLOAD_BYTES: usize = 100 * 1024 * 1024;
/// Finished jobs are forgotten after this long.
const KEEP_FINISHED: Duration = Duration::from_secs(2 * 3600);
/// Issues listed on the page (all of them are in the .xlsx report).
const MAX_ISSUES_SHOWN: usize = 1000;

#[derive(Debug, Clone)]
enum Phase {
    Reading,
    Running(ImportProgress),
    Done(ImportReport),
    Failed(String),
}

#[derive(Debug, Clone)]
struct Job {
    owner: i64,
    file_name: String,
    mode: ImportMode,
    rows: u32,
    started: Instant,
    finished: Option<Instant>,
    phase: Phase,
}

/// The import jobs of this server process.
#[derive(Default)]
pub(crate) struct Jobs(Mutex<HashMap<String, Job>>);

impl Jobs {
    fn update(&self, id: &str, f: impl FnOnce(&mut Job)) {
        if let Ok(mut jobs) = self.0.lock()
            && let Some(job) = jobs.get_mut(id)
        {
            f(job);
        }
    }

    fn get(&self, id: &str, owner: i64) -> Option<Job> {
        let jobs = self.0.lock().ok()?;
        jobs.get(id).filter(|j| j.owner == owner).cloned()
    }

    fn insert(&self, id: String, job: Job) {
        if let Ok(mut jobs) = self.0.lock() {
            jobs.retain(|_, j| j.finished.is_none_or(|t| t.elapsed() < KEEP_FINISHED));
            jobs.insert(id, job);
        }
    }
}

fn may_import(s: &SessionUser) -> Result<(), WebError> {
    if s.user.role.may_register_households() {
        Ok(())
    } else {
        Err(WebError::new(
            StatusCode::FORBIDDEN,
            "您的角色不能登记家庭，因此不能批量导入",
        ))
    }
}

#[derive(Template)]
#[template(path = "households_import.html")]
struct FormPage {
    nav: Option<Nav>,
    columns: Vec<&'static str>,
    relations: String,
    error: Option<String>,
}

fn form_page(s: &SessionUser, error: Option<String>) -> Result<Response, WebError> {
    let relations: Vec<&str> = jiuzhu_domain::Relation::ALL
        .iter()
        .map(|r| r.name_zh())
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = FormPage {
        nav: Nav::of(s),
        columns: column::ALL.to_vec(),
        relations: relations.join("、"),
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /households/import`
pub(crate) async fn form(WebUser(s): WebUser) -> Result<Response, WebError> {
    may_import(&s)?;
    form_page(&s, None)
}

/// `GET /households/import/template.xlsx`
pub(crate) async fn template_xlsx(WebUser(_): WebUser) -> Result<Response, WebError> {
    let bytes = jiuzhu_excel::template_xlsx().map_err(|_| WebError::internal())?;
    Ok((
        [
            (header::CONTENT_TYPE, jiuzhu_excel::XLSX_MIME),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"household-import-template.xlsx\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /households/import/template.csv`
pub(crate) async fn template_csv(WebUser(_): WebUser) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"household-import-template.csv\"",
            ),
        ],
        jiuzhu_excel::template_csv(),
    )
        .into_response()
}

/// `POST /households/import` (multipart: `csrf`, `mode`, `file`): starts the import in the
/// background and redirects to its page.
pub(crate) async fn upload(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    may_import(&s)?;
    let mut csrf = String::new();
    let mut mode = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                tracing::debug!(error = %e, "unreadable upload");
                return form_page(
                    &s,
                    Some(format!(
                        "上传未完成或文件过大（最大{}MB），请重试",
                        MAX_UPLOAD_BYTES / 1024 / 1024
                    )),
                );
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "mode" => mode = ImportMode::parse(&field.text().await.unwrap_or_default()),
            "file" => {
                let file_name = field.file_name().unwrap_or("upload").to_string();
                match field.bytes().await {
                    Ok(b) => file = Some((file_name, b.to_vec())),
                    Err(_) => {
                        return form_page(
                            &s,
                            Some(format!(
                                "上传未完成或文件过大（最大{}MB），请重试",
                                MAX_UPLOAD_BYTES / 1024 / 1024
                            )),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    if !s.csrf_ok(&csrf) {
        return Err(WebError::csrf());
    }
    let Some(mode) = mode else {
        return form_page(&s, Some("请选择导入方式".to_string()));
    };
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return form_page(&s, Some("请选择要导入的文件（.xlsx 或 .csv）".to_string()));
    };
    let id = new_secret()?[..24].to_string();
    state.imports.insert(
        id.clone(),
        Job {
            owner: s.user.id,
            file_name: file_name.clone(),
            mode,
            rows: 0,
            started: Instant::now(),
            finished: None,
            phase: Phase::Reading,
        },
    );
    let ctx = CommandContext::new(s.actor(), "import", state.now());
    let jobs = state.imports.clone();
    let store = state.store.clone();
    let job_id = id.clone();
    tokio::spawn(async move {
        let parsed =
            tokio::task::spawn_blocking(move || jiuzhu_excel::parse_file(&bytes, &file_name, mode))
                .await;
        let import = match parsed {
            Ok(i) => i,
            Err(e) => {
                tracing::error!(error = %e, "import parsing panicked");
                jobs.update(&job_id, |j| {
                    j.phase = Phase::Failed("文件读取失败".to_string());
                    j.finished = Some(Instant::now());
                });
                return;
            }
        };
        let total = import.households.len() as u64;
        jobs.update(&job_id, |j| {
            j.rows = import.rows;
            j.phase = Phase::Running(ImportProgress {
                stage: ImportStage::Checking,
                done: 0,
                total,
            });
        });
        let progress_jobs = jobs.clone();
        let progress_id = job_id.clone();
        let progress = move |p: ImportProgress| {
            progress_jobs.update(&progress_id, |j| j.phase = Phase::Running(p));
        };
        let result = store.import_households(&ctx, import, &progress).await;
        jobs.update(&job_id, |j| {
            j.finished = Some(Instant::now());
            j.phase = match result {
                Ok(report) => Phase::Done(report),
                Err(e) => Phase::Failed(failure_zh(&e)),
            };
        });
    });
    Ok(Redirect::to(&format!("/households/import/{id}")).into_response())
}

fn failure_zh(e: &StoreError) -> String {
    match e {
        StoreError::Forbidden(_) => "您的角色不能登记家庭，因此不能批量导入".to_string(),
        other => {
            tracing::error!(error = %other, "household import failed");
            format!("导入失败，未导入任何家庭：{}", store_message_zh(other))
        }
    }
}

struct IssueRow {
    row: String,
    column: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "households_import_job.html")]
struct JobPage {
    nav: Option<Nav>,
    id: String,
    file_name: String,
    mode: &'static str,
    rows: u32,
    running: bool,
    status: String,
    percent: u64,
    seconds: String,
    report: Option<ImportReport>,
    imported: bool,
    failed: Option<String>,
    issues: Vec<IssueRow>,
    issues_total: usize,
}

fn issue_row(i: &jiuzhu_store::ImportIssue) -> IssueRow {
    IssueRow {
        row: if i.row == 0 {
            "文件".to_string()
        } else {
            i.row.to_string()
        },
        column: i.column.clone(),
        reason: i.reason.clone(),
    }
}

/// `GET /households/import/{id}`: progress (refreshing) or the report.
pub(crate) async fn job(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let job = state
        .imports
        .get(&id, s.user.id)
        .ok_or_else(|| WebError::new(StatusCode::NOT_FOUND, "未找到该导入任务（可能已过期）"))?;
    let elapsed = job
        .finished
        .unwrap_or_else(Instant::now)
        .duration_since(job.started);
    let (running, status, percent) = match &job.phase {
        Phase::Reading => (true, "正在读取和检查文件…".to_string(), 0),
        Phase::Running(p) => {
            let pct = (p.done * 100).checked_div(p.total).unwrap_or(0);
            let what = match p.stage {
                ImportStage::Checking => "正在与数据库核对（村(社区)、身份证号码是否已登记）",
                ImportStage::Writing => "正在写入",
                ImportStage::Done => "正在完成",
            };
            (true, format!("{what}：{} / {} 户", p.done, p.total), pct)
        }
        Phase::Done(_) => (false, "已完成".to_string(), 100),
        Phase::Failed(_) => (false, "失败".to_string(), 100),
    };
    let (report, failed) = match job.phase {
        Phase::Done(r) => (Some(r), None),
        Phase::Failed(m) => (None, Some(m)),
        _ => (None, None),
    };
    let issues_total = report.as_ref().map_or(0, |r| r.issues.len());
    let page = JobPage {
        nav: Nav::of(&s),
        id,
        file_name: job.file_name,
        mode: job.mode.name_zh(),
        rows: job.rows,
        running,
        status,
        percent,
        seconds: format!("{:.1}", elapsed.as_secs_f64()),
        imported: report.as_ref().is_some_and(ImportReport::imported_anything),
        issues: report
            .as_ref()
            .map(|r| {
                r.issues
                    .iter()
                    .take(MAX_ISSUES_SHOWN)
                    .map(issue_row)
                    .collect()
            })
            .unwrap_or_default(),
        issues_total,
        report,
        failed,
    };
    Ok(Html(page.render()?).into_response())
}

/// `GET /households/import/{id}/report.xlsx`: the whole row-by-row report.
pub(crate) async fn report_xlsx(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let Some(Job {
        phase: Phase::Done(report),
        ..
    }) = state.imports.get(&id, s.user.id)
    else {
        return Err(WebError::new(StatusCode::NOT_FOUND, "未找到该导入报告"));
    };
    let mut sheet = Sheet::new(
        "导入报告",
        vec![
            Column::new("行号", 8.0),
            Column::new("列", 16.0),
            Column::new("原因", 80.0),
        ],
    );
    for i in &report.issues {
        sheet.push(vec![
            Cell::Int(i64::from(i.row)),
            Cell::Text(i.column.clone()),
            Cell::Text(i.reason.clone()),
        ]);
    }
    let bytes = sheet.to_xlsx().map_err(|_| WebError::internal())?;
    Ok((
        [
            (header::CONTENT_TYPE, jiuzhu_excel::XLSX_MIME),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"import-report.xlsx\"",
            ),
        ],
        bytes,
    )
        .into_response())
}
