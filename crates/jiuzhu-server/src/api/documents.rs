//! 行政文书 endpoints: the documents a case offers and has archived, issuing one, and the
//! archived PDF. Issuing renders the document on the server (see `crate::documents`); the
//! store keeps the PDF byte for byte and its SHA-256 in the event log.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use jiuzhu_store::{CommandContext, DocumentKind, DocumentMeta};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiResult, CommandHeaders, ErrorBody, idempotency_key};
use crate::AppState;
use crate::documents::{self, IssueError};
use crate::session::ApiUser;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_documents))
        .routes(routes!(issue_document))
        .routes(routes!(get_document))
}

impl From<IssueError> for ApiError {
    fn from(e: IssueError) -> Self {
        ApiError::new(e.status, e.code, e.message)
    }
}

fn positive_id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(ApiError::not_found)
}

/// An archived document.
#[derive(Serialize, ToSchema)]
#[schema(as = Document)]
struct DocumentJson {
    id: i64,
    /// `case:{id}`, `grant:{id}` or `notices:{township}:{date}`.
    subject: String,
    case_id: Option<i64>,
    /// `missing_materials_notice` (一次性告知书), `application_review_form` (申请审核确认表),
    /// `refusal_notice` (不予批准告知书), `public_notice_list` (公示名单) or
    /// `delegation_letter` (授权书).
    kind: &'static str,
    title: String,
    /// What it documents (`one_time_notice`, `decision:0` …).
    source: String,
    /// The issuing township or county (division code).
    issuer: String,
    /// 文号.
    number: String,
    issued_at: DateTime<Utc>,
    issued_by: i64,
    /// SHA-256 of the PDF (also in the `document.issued` event).
    sha256: String,
    size: i64,
    /// Where the PDF is.
    href: String,
}

impl From<&DocumentMeta> for DocumentJson {
    fn from(d: &DocumentMeta) -> Self {
        DocumentJson {
            id: d.id,
            subject: d.subject.clone(),
            case_id: d.case_id,
            kind: d.kind.as_str(),
            title: d.title.clone(),
            source: d.source.clone(),
            issuer: d.issuer.to_string(),
            number: d.number.clone(),
            issued_at: d.issued_at,
            issued_by: d.issued_by,
            sha256: d.sha256.clone(),
            size: d.size,
            href: format!("/api/v1/documents/{}", d.id),
        }
    }
}

/// A document the case offers now, with its archived copy once issued.
#[derive(Serialize, ToSchema)]
#[schema(as = OfferedDocument)]
struct OfferJson {
    kind: &'static str,
    title: &'static str,
    source: String,
    issued: Option<DocumentJson>,
}

/// The documents of a case.
#[derive(Serialize, ToSchema)]
#[schema(as = CaseDocuments)]
struct CaseDocumentsJson {
    case_id: i64,
    /// What the case offers in its current state.
    offered: Vec<OfferJson>,
    /// Everything archived with the case, oldest first (also documents of replaced
    /// decisions).
    archived: Vec<DocumentJson>,
}

/// `GET /api/v1/cases/{id}/documents`
#[utoipa::path(
    get,
    path = "/cases/{id}/documents",
    tag = "documents",
    summary = "案件的行政文书（可签发的与已归档的）",
    params(("id" = i64, Path, description = "案件编号（数字id）")),
    responses(
        (status = 200, description = "可签发与已归档的文书", body = CaseDocumentsJson),
        (status = 404, description = "案件不存在或不在管辖范围内（not_found）", body = ErrorBody),
    )
)]
async fn list_documents(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    let id = positive_id(&id)?;
    let actor = who.actor();
    let case = state.store.case(&actor, id).await?;
    let archived = state.store.case_documents(&actor, id).await?;
    let offered = documents::offers(&case)
        .into_iter()
        .map(|o| OfferJson {
            kind: o.kind.as_str(),
            title: o.kind.name_zh(),
            issued: archived
                .iter()
                .find(|d| d.kind == o.kind && d.source == o.source)
                .map(DocumentJson::from),
            source: o.source,
        })
        .collect();
    Ok(axum::Json(CaseDocumentsJson {
        case_id: id,
        offered,
        archived: archived.iter().map(DocumentJson::from).collect(),
    })
    .into_response())
}

/// `POST /api/v1/cases/{id}/documents/{kind}`
#[utoipa::path(
    post,
    path = "/cases/{id}/documents/{kind}",
    tag = "documents",
    summary = "签发并归档文书（已签发的直接返回归档件）",
    description = "Renders the document from the case's state with the issuer's next 文号 and archives the PDF; the `document.issued` event records its SHA-256. A document already archived for the case's current step is returned as it is (200).",
    params(
        ("id" = i64, Path, description = "案件编号（数字id）"),
        ("kind" = String, Path, description = "missing_materials_notice | application_review_form | refusal_notice"),
        CommandHeaders,
    ),
    responses(
        (status = 201, description = "已签发并归档", body = DocumentJson),
        (status = 200, description = "此前已签发，返回归档件", body = DocumentJson),
        (status = 403, description = "角色不签发文书（forbidden）", body = ErrorBody),
        (status = 404, description = "案件不存在或不在管辖范围内，或没有这种文书（not_found）", body = ErrorBody),
        (status = 409, description = "案件当前没有这份文书（document_not_offered）", body = ErrorBody),
        (status = 422, description = "文书无法生成（document_not_rendered，例如缺字）", body = ErrorBody),
    )
)]
async fn issue_document(
    State(state): State<AppState>,
    who: ApiUser,
    Path((id, kind)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    let id = positive_id(&id)?;
    let kind = DocumentKind::parse(&kind).ok_or_else(ApiError::not_found)?;
    let key = idempotency_key(&headers, who.user.id)?;
    let ctx = CommandContext::new(who.actor(), key, state.now());
    let (meta, new) = documents::issue(&state, &ctx, id, kind).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        [(header::LOCATION, format!("/api/v1/documents/{}", meta.id))],
        axum::Json(DocumentJson::from(&meta)),
    )
        .into_response())
}

/// `GET /api/v1/documents/{id}`
#[utoipa::path(
    get,
    path = "/documents/{id}",
    tag = "documents",
    summary = "下载归档文书（PDF，与签发时逐字节相同）",
    params(("id" = i64, Path, description = "文书id")),
    responses(
        (status = 200, description = "PDF（X-Content-SHA256 头为其SHA-256）", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, description = "文书不存在或不在管辖范围内（not_found）", body = ErrorBody),
    )
)]
async fn get_document(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    let id = positive_id(&id)?;
    let actor = who.actor();
    let (meta, bytes) = state.store.document(&actor, id).await?;
    Ok(documents::pdf_response(&meta, bytes))
}
