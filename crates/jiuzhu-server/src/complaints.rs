//! 投诉举报/信访 pages: county and township staff register a complaint received by the
//! hotline, by letter (or passed on by the petitions bureau) or in person, routed to the
//! township it concerns or to the county; the handling office answers it (outcome and
//! reply) before the profile's deadline (`supervision.report_answer`); statistics by channel,
//! the public form's objections and reports (`public_form`) included.
//!
//! Every action is a `Command::Supervision` through the store, which decides who may see and
//! answer what (a complaint routed to the county is invisible to the township). The
//! complainant's contact is shown only where the store returns it (on the complaint itself,
//! to the offices in whose jurisdiction it is handled) and is never logged.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiuzhu_domain::supervision::{ComplaintChannel, ComplaintOutcome};
use jiuzhu_domain::{DivisionCode, DivisionLevel, Role};
use jiuzhu_store::{Command, CommandContext, SupervisionCommand};
use serde::Deserialize;

use crate::AppState;
use crate::error::{WebError, refusal_zh};
use crate::session::{SessionUser, WebUser};
use crate::util::{fmt_date, fmt_time};
use crate::web::Nav;
use crate::workbench::{FormData, division_names};

/// Roles that register complaints (the store checks the same).
pub(crate) fn may_receive(role: Role) -> bool {
    matches!(
        role,
        Role::CountyAdmin
            | Role::CountySupervisor
            | Role::TownshipCaseworker
            | Role::TownshipReviewer
            | Role::TownshipHead
    )
}

/// The channels staff register (the public form's reports come from the notice board).
const STAFF_CHANNELS: [ComplaintChannel; 3] = [
    ComplaintChannel::Hotline,
    ComplaintChannel::Letter,
    ComplaintChannel::WalkIn,
];

/// What was typed into the intake form (kept when it is refused).
#[derive(Debug, Clone, Default)]
struct Intake {
    channel: String,
    division: String,
    to_county: bool,
    case_number: String,
    content: String,
    contact: String,
}

/// What was typed into one answer form (kept when it is refused).
#[derive(Debug, Clone, Default)]
struct AnswerInput {
    complaint_id: i64,
    outcome: String,
    reply: String,
}

struct ComplaintRow {
    id: i64,
    channel: &'static str,
    place: String,
    /// 乡镇办理 / 县级办理.
    handler: String,
    case_number: String,
    content: String,
    contact: String,
    received: String,
    due: String,
    overdue: bool,
    outcome: Option<&'static str>,
    reply: Option<String>,
    answered: String,
    may_answer: bool,
    /// A substantiated complaint about a case: the basis of a dishonesty record.
    dishonesty_link: bool,
}

struct StatRow {
    /// `hotline`, …, `public_form`, `total` (row ids).
    code: &'static str,
    channel: &'static str,
    answered: u64,
    open: u64,
    overdue: u64,
}

#[derive(Template)]
#[template(path = "complaints.html")]
struct ComplaintsPage {
    nav: Option<Nav>,
    channels: Vec<(&'static str, &'static str)>,
    outcomes: Vec<(&'static str, &'static str)>,
    divisions: Vec<(String, String)>,
    intake: Intake,
    answer: AnswerInput,
    rows: Vec<ComplaintRow>,
    stats: Vec<StatRow>,
    total: StatRow,
    key: String,
    notice: Option<String>,
    error: Option<String>,
}

/// The townships and villages of the actor's jurisdiction, indented, in code order.
async fn division_options(
    state: &AppState,
    s: &SessionUser,
) -> Result<Vec<(String, String)>, WebError> {
    let mut all = state.store.divisions(&s.actor(), None).await?;
    all.retain(|d| matches!(d.level(), DivisionLevel::Township | DivisionLevel::Village));
    all.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
    Ok(all
        .into_iter()
        .map(|d| {
            let indent = if d.level() == DivisionLevel::Village {
                "　　"
            } else {
                ""
            };
            (d.code.to_string(), format!("{indent}{}", d.name))
        })
        .collect())
}

async fn page(
    state: &AppState,
    s: &SessionUser,
    intake: Intake,
    answer: AnswerInput,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    // Complaints (with the complainants' contacts) are for the offices that take and answer
    // them, not for verifiers, finance staff or village assistants.
    if !may_receive(s.user.role) {
        return Err(WebError::new(
            StatusCode::FORBIDDEN,
            "投诉举报由县级民政管理员、监督人员和乡镇（街道）工作人员办理",
        ));
    }
    let actor = s.actor();
    let today = state.local_now().date();
    let complaints = state.store.complaints(&actor, false).await?;
    let stats = state.store.complaint_stats(&actor).await?;
    let open_reports = state.store.public_reports(&actor, true).await?;
    let county_staff = matches!(s.user.role, Role::CountyAdmin | Role::CountySupervisor);
    let township_staff = matches!(
        s.user.role,
        Role::TownshipCaseworker | Role::TownshipReviewer | Role::TownshipHead
    );
    let names = division_names(state, complaints.iter().map(|c| &c.division).collect()).await;
    let name = |c: &DivisionCode| {
        names
            .get(c.as_str())
            .cloned()
            .unwrap_or_else(|| c.to_string())
    };
    let rows: Vec<ComplaintRow> = complaints
        .iter()
        .map(|c| {
            let to_township = c.handler.level() == DivisionLevel::Township;
            ComplaintRow {
                id: c.id,
                channel: c.channel.name_zh(),
                place: name(&c.division),
                handler: if to_township {
                    "乡镇（街道）办理".to_string()
                } else {
                    "县级办理".to_string()
                },
                case_number: c.case_number.clone().unwrap_or_default(),
                content: c.content.clone(),
                contact: c.contact.clone().unwrap_or_default(),
                received: fmt_time(c.received_at),
                due: fmt_date(c.due_date),
                overdue: c.reply.is_none() && c.due_date < today,
                outcome: c.outcome.map(ComplaintOutcome::name_zh),
                reply: c.reply.clone(),
                answered: c.answered_at.map(fmt_time).unwrap_or_default(),
                may_answer: c.reply.is_none() && (county_staff || (township_staff && to_township)),
                dishonesty_link: county_staff
                    && c.case_number.is_some()
                    && c.outcome.is_some_and(ComplaintOutcome::is_finding),
            }
        })
        .collect();
    // Statistics by channel: answered and open from the store; overdue from the open ones'
    // deadlines (complaints here, the public form's reports from their own list).
    let by_channel: Vec<StatRow> = ComplaintChannel::ALL
        .iter()
        .map(|ch| {
            let of = |answered: bool| {
                stats
                    .iter()
                    .filter(|st| st.channel == *ch && st.answered == answered)
                    .map(|st| st.count)
                    .sum::<u64>()
            };
            let overdue = if *ch == ComplaintChannel::PublicForm {
                open_reports.iter().filter(|r| r.due_date < today).count() as u64
            } else {
                complaints
                    .iter()
                    .filter(|c| c.channel == *ch && c.reply.is_none() && c.due_date < today)
                    .count() as u64
            };
            StatRow {
                code: ch.as_str(),
                channel: ch.name_zh(),
                answered: of(true),
                open: of(false),
                overdue,
            }
        })
        .collect();
    let total = StatRow {
        code: "total",
        channel: "合计",
        answered: by_channel.iter().map(|r| r.answered).sum(),
        open: by_channel.iter().map(|r| r.open).sum(),
        overdue: by_channel.iter().map(|r| r.overdue).sum(),
    };
    let view = ComplaintsPage {
        nav: Nav::of(s),
        channels: STAFF_CHANNELS
            .iter()
            .map(|c| (c.as_str(), c.name_zh()))
            .collect(),
        outcomes: ComplaintOutcome::ALL
            .iter()
            .map(|o| (o.as_str(), o.name_zh()))
            .collect(),
        divisions: division_options(state, s).await?,
        intake,
        answer,
        rows,
        stats: by_channel,
        total,
        key: jiuzhu_store::auth::new_secret()?,
        notice,
        error,
    };
    crate::web::form_page(&view, view.error.is_some())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ComplaintsQuery {
    done: Option<String>,
}

/// `GET /complaints`: statistics, the intake form and the complaints of my jurisdiction
/// (unanswered first, by deadline).
pub(crate) async fn complaints(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<ComplaintsQuery>,
) -> Result<Response, WebError> {
    let notice = q.done.as_deref().map(|d| match d {
        "receive" => "已登记投诉举报，答复期限已按本县规则计算".to_string(),
        "answer" => "已记录办理结果和答复".to_string(),
        _ => "已办理".to_string(),
    });
    page(
        &state,
        &s,
        Intake::default(),
        AnswerInput::default(),
        notice,
        None,
    )
    .await
}

/// `POST /complaints/{op}`: `receive` (登记) or `answer` (办理答复).
pub(crate) async fn act(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    axum::extract::Path(op): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = FormData::parse(&body);
    if !s.csrf_ok(&f.one("csrf")) {
        return Err(WebError::csrf());
    }
    let mut intake = Intake::default();
    let mut answer = AnswerInput::default();
    let command: Result<SupervisionCommand, String> = match op.as_str() {
        "receive" => {
            intake = Intake {
                channel: f.one("channel"),
                division: f.one("division"),
                to_county: f.one("to_county") == "on",
                case_number: f.one("case_number"),
                content: f.one("content"),
                contact: f.one("contact"),
            };
            let channel = intake
                .channel
                .parse::<ComplaintChannel>()
                .ok()
                .filter(|c| STAFF_CHANNELS.contains(c));
            let division = DivisionCode::parse(&intake.division).ok();
            match (channel, division) {
                (None, _) => Err("请选择来源渠道（举报电话、来信/信访转办或来访）".to_string()),
                (_, None) => Err("请选择所反映的乡镇（街道）或村（社区）".to_string()),
                (Some(_), Some(_)) if intake.content.is_empty() => {
                    Err("请填写反映的问题".to_string())
                }
                (Some(channel), Some(division)) => Ok(SupervisionCommand::ReceiveComplaint {
                    channel,
                    division,
                    to_county: intake.to_county,
                    case_number: Some(intake.case_number.clone()).filter(|n| !n.is_empty()),
                    content: intake.content.clone(),
                    contact: Some(intake.contact.clone()).filter(|c| !c.is_empty()),
                }),
            }
        }
        "answer" => {
            answer = AnswerInput {
                complaint_id: f.one("complaint_id").parse().unwrap_or(0),
                outcome: f.one("outcome"),
                reply: f.one("reply"),
            };
            match answer.outcome.parse::<ComplaintOutcome>() {
                Err(_) => Err("请选择办理结果".to_string()),
                Ok(_) if answer.reply.is_empty() => Err("请填写答复内容".to_string()),
                Ok(outcome) => Ok(SupervisionCommand::AnswerComplaint {
                    complaint_id: answer.complaint_id,
                    outcome,
                    reply: answer.reply.clone(),
                }),
            }
        }
        _ => return Err(WebError::new(StatusCode::NOT_FOUND, "未找到该页面")),
    };
    let command = match command {
        Ok(c) => c,
        Err(m) => return page(&state, &s, intake, answer, None, Some(m)).await,
    };
    let ctx = CommandContext::new(s.actor(), format!("web:{}", f.one("key")), state.now());
    match state
        .store
        .execute(&ctx, Command::Supervision(command))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/complaints?done={op}")).into_response()),
        Err(e) => match refusal_zh(&e) {
            Some(m) => page(&state, &s, intake, answer, None, Some(m)).await,
            None => Err(e.into()),
        },
    }
}
