//! 行政文书 of a case as PDF: 一次性告知书, 申请审核确认表 and 不予批准告知书.
//!
//! A case offers a document once the step it records has happened ([`offers`]). Issuing
//! (`POST /cases/{id}/documents/{kind}`) builds the typed document from the case's state,
//! the household and the jurisdiction's names, gives it the issuer's next 文号, renders it
//! with typst off the async runtime and hands the PDF to the store, which archives it with
//! its SHA-256 in the event log. The first issue is the only one: the archived PDF is what
//! every later download (`GET /documents/{id}`) returns, byte for byte.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use jiuzhu_docs as docs;
use jiuzhu_domain::case::{CaseState, Correction, Decision, Recommendation};
use jiuzhu_domain::delegation::Authority;
use jiuzhu_domain::{DivisionCode, Fen};
use jiuzhu_store::auth::new_secret;
use jiuzhu_store::{
    Actor, CommandContext, DocumentKind, DocumentMeta, DocumentSubject, Household, NewDocument,
    StoreError,
};

use crate::AppState;
use crate::error::{WebError, log_store_error, store_message_zh, store_status};
use crate::session::WebUser;
use crate::util::fmt_time;
use crate::workbench::FormData;

/// How often issuing renders again when another document took the serial meanwhile.
const SERIAL_RETRIES: usize = 3;

/// A document the case offers: what it documents, who issues it, and its date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Offer {
    pub subject: DocumentSubject,
    pub kind: DocumentKind,
    /// One document per case, kind and source (`one_time_notice`, `decision:0` …).
    pub source: String,
    /// The township, or the county for a county-level decision.
    pub issuer: DivisionCode,
    /// 成文日期: the day of the step the document records.
    pub date: NaiveDate,
}

/// The documents a case offers in its current state.
pub(crate) fn offers(c: &CaseState) -> Vec<Offer> {
    let subject = DocumentSubject::Case {
        case_id: c.header.case_id,
    };
    let mut out = Vec::new();
    if let Some(n) = &c.one_time_notice {
        out.push(Offer {
            subject: subject.clone(),
            kind: DocumentKind::MissingMaterialsNotice,
            source: "one_time_notice".to_string(),
            issuer: c.header.township.clone(),
            date: n.signed.at.date(),
        });
    }
    if let Some(d) = &c.decision {
        let issuer = match &d.authority {
            Authority::Township { township, .. } => township.clone(),
            Authority::County { county, .. } => county.clone(),
        };
        // A decision replaced after an objection gets documents of its own.
        let source = format!("decision:{}", c.superseded_decisions.len());
        out.push(Offer {
            subject: subject.clone(),
            kind: DocumentKind::ApplicationReviewForm,
            source: source.clone(),
            issuer: issuer.clone(),
            date: d.signed.at.date(),
        });
        if !d.decision.is_approve() {
            out.push(Offer {
                subject: subject.clone(),
                kind: DocumentKind::RefusalNotice,
                source,
                issuer,
                date: d.signed.at.date(),
            });
        }
    }
    // 调整/停发告知书 of the latest correction of the current decision (纠正), issued by
    // whoever corrected: the township, or the county.
    let index = c.superseded_decisions.len();
    if let Some((n, x)) = c
        .corrections
        .iter()
        .enumerate()
        .rfind(|(_, x)| x.decision_index == index)
    {
        out.push(Offer {
            subject: subject.clone(),
            kind: DocumentKind::AdjustmentNotice,
            source: format!("correction:{n}"),
            issuer: if x.role == jiuzhu_domain::Role::CountyAdmin {
                c.header.county.clone()
            } else {
                c.header.township.clone()
            },
            date: x.signed.at.date(),
        });
    }
    out
}

/// Whether the actor's role issues documents of `subject` (the store checks the same rule).
pub(crate) fn may_issue(actor: &Actor, subject: &DocumentSubject) -> bool {
    actor
        .role()
        .is_some_and(|r| jiuzhu_store::policy::may_issue_document(r, subject))
}

/// One row of the case page's document list.
pub(crate) struct DocRow {
    pub kind: &'static str,
    pub title: &'static str,
    pub issued: Option<IssuedRow>,
}

impl From<&DocumentMeta> for IssuedRow {
    fn from(d: &DocumentMeta) -> Self {
        IssuedRow {
            id: d.id,
            number: d.number.clone(),
            at: fmt_time(d.issued_at),
            sha256: d.sha256.clone(),
            sha256_short: d.sha256.chars().take(12).collect(),
        }
    }
}

/// An archived document as the case page lists it.
pub(crate) struct IssuedRow {
    pub id: i64,
    pub number: String,
    /// Local time of issue.
    pub at: String,
    pub sha256: String,
    /// The first 12 hex digits.
    pub sha256_short: String,
}

/// The case page's document rows: every offered document, with its archived copy if any.
pub(crate) fn rows(c: &CaseState, archived: &[DocumentMeta]) -> Vec<DocRow> {
    offers(c)
        .into_iter()
        .map(|o| DocRow {
            kind: o.kind.as_str(),
            title: o.kind.name_zh(),
            issued: archived
                .iter()
                .find(|d| d.kind == o.kind && d.source == o.source)
                .map(IssuedRow::from),
        })
        .collect()
}

/// Names of the jurisdiction a document prints.
struct Names {
    township_code: DivisionCode,
    county: String,
    township: String,
}

impl Names {
    async fn of(state: &AppState, c: &CaseState) -> Names {
        Names::for_township(state, &c.header.township).await
    }

    async fn for_township(state: &AppState, township: &DivisionCode) -> Names {
        let name = |code: DivisionCode| async move {
            state
                .store
                .division(&code)
                .await
                .ok()
                .flatten()
                .map(|d| d.name)
                .unwrap_or_else(|| code.to_string())
        };
        let county = DivisionCode::parse(township.county_prefix()).unwrap_or(township.clone());
        Names {
            township_code: township.clone(),
            county: name(county).await,
            township: name(township.clone()).await,
        }
    }

    /// The township's full name as a body, e.g. `珙县珙泉镇人民政府`.
    fn township_body(&self) -> String {
        if self.township.ends_with("街道") {
            format!("{}{}办事处", self.county, self.township)
        } else {
            format!("{}{}人民政府", self.county, self.township)
        }
    }

    /// 发文机关 of the issuer (the township or the county's 民政局).
    fn authority(&self, issuer: &DivisionCode) -> String {
        if *issuer == self.township_code {
            self.township_body()
        } else {
            format!("{}民政局", self.county)
        }
    }

    /// 机关代字 of the issuer, e.g. `珙泉民救` (township) or `珙民救` (county).
    fn issuer_code(&self, issuer: &DivisionCode) -> String {
        let (name, suffixes): (&str, &[&str]) = if *issuer == self.township_code {
            (&self.township, &["街道办事处", "街道", "镇", "乡"])
        } else {
            (&self.county, &["自治县", "县", "区", "市"])
        };
        let short = suffixes
            .iter()
            .find_map(|s| name.strip_suffix(s).filter(|r| !r.is_empty()))
            .unwrap_or(name);
        format!("{short}民救")
    }

    /// The header of a document of `issuer` dated `date`.
    fn header(
        &self,
        issuer: &DivisionCode,
        date: NaiveDate,
        serial: u32,
        batch: String,
    ) -> docs::Header {
        docs::Header {
            authority: self.authority(issuer),
            number: docs::DocumentNumber::new(self.issuer_code(issuer), date.year(), serial),
            case_number: batch,
            date,
        }
    }

    fn remedy(&self) -> docs::LegalRemedy {
        docs::LegalRemedy {
            reconsideration_body: format!("{}人民政府", self.county),
            court: format!("{}人民法院", self.county),
        }
    }
}

/// The national rules a refusal cites, by program (the county's own rules come on top; the
/// notice names the national ones every county applies).
fn legal_basis(program: jiuzhu_domain::Program) -> &'static str {
    use jiuzhu_domain::Program;
    match program {
        Program::Dibao => "《社会救助暂行办法》第九条、第十一条和《最低生活保障审核确认办法》",
        Program::Tekun => "《社会救助暂行办法》第十四条、第十五条和《特困人员认定办法》",
        Program::Linshi => "《社会救助暂行办法》第四十七条、第四十八条",
        Program::Dishouru => "《最低生活保障审核确认办法》和低收入人口认定的有关规定",
        Program::Gaoling => "《中华人民共和国老年人权益保障法》和本地高龄津贴制度",
        Program::Canji => {
            "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》（国发〔2015〕52号）"
        }
    }
}

/// Everyone who signed a step of the case.
fn signer_ids(c: &CaseState) -> Vec<i64> {
    let mut ids: Vec<i64> = Vec::new();
    ids.extend(c.one_time_notice.iter().map(|n| n.signed.by));
    ids.extend(c.village_review.iter().map(|v| v.signed.by));
    for k in &c.checks {
        ids.extend(k.result.iter().map(|(s, _)| s.by));
    }
    for v in &c.home_visits {
        ids.extend(v.investigators.iter().copied());
    }
    ids.extend(c.reviews.iter().map(|r| r.signed.by));
    ids.extend(c.appraisals.iter().map(|a| a.signed.by));
    ids.extend(c.notices.iter().map(|n| n.posted.by));
    ids.extend(c.decision.iter().map(|d| d.signed.by));
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The display names of the case's signers the viewer may see.
async fn signers(state: &AppState, actor: &Actor, c: &CaseState) -> HashMap<i64, String> {
    let mut names = HashMap::new();
    for id in signer_ids(c) {
        if let Ok(u) = state.store.user(actor, id).await {
            names.insert(id, u.display_name);
        }
    }
    names
}

/// The name a signature prints: the account's display name, or the role where the viewer
/// may not see the account (e.g. a county official seen from a township).
fn sign(names: &HashMap<i64, String>, id: i64, fallback: &str) -> String {
    names
        .get(&id)
        .cloned()
        .unwrap_or_else(|| fallback.to_string())
}

fn applicant(household: &Household) -> Result<jiuzhu_domain::PersonName, WebError> {
    household
        .head()
        .or(household.members.first())
        .map(|m| m.name.clone())
        .ok_or_else(|| WebError::new(StatusCode::CONFLICT, "该家庭没有登记成员，无法生成文书"))
}

fn application_date(c: &CaseState) -> NaiveDate {
    c.applied.unwrap_or(c.opened).at.date()
}

/// The typed document of an offer, numbered `serial`.
fn build(
    c: &CaseState,
    household: &Household,
    offer: &Offer,
    serial: u32,
    names: &Names,
    signers: &HashMap<i64, String>,
    correction_money: Option<&str>,
) -> Result<docs::Document, WebError> {
    let header = names.header(&offer.issuer, offer.date, serial, c.header.number.clone());
    let program = c.header.program;
    let missing_offer = || WebError::new(StatusCode::CONFLICT, "该案件当前没有这份文书可以签发");
    Ok(match offer.kind {
        DocumentKind::MissingMaterialsNotice => {
            let notice = c.one_time_notice.as_ref().ok_or_else(missing_offer)?;
            let by = sign(signers, notice.signed.by, "乡镇经办人");
            docs::Document::MissingMaterialsNotice(docs::MissingMaterialsNotice {
                header,
                program,
                applicant: applicant(household)?,
                application_date: application_date(c),
                missing: notice.missing.iter().map(|m| m.name_zh.clone()).collect(),
                supplement_by: None,
                submit_to: format!("{}便民服务中心社会救助窗口", names.township),
                contact: format!("{by}（{}社会救助经办人）", names.township),
            })
        }
        DocumentKind::RefusalNotice => {
            let d = c.decision.as_ref().ok_or_else(missing_offer)?;
            let Decision::Refuse { reasons } = &d.decision else {
                return Err(missing_offer());
            };
            docs::Document::RefusalNotice(docs::RefusalNotice {
                header,
                program,
                applicant: applicant(household)?,
                application_date: application_date(c),
                reasons: reasons.clone(),
                legal_basis: legal_basis(program).to_string(),
                remedy: names.remedy(),
            })
        }
        DocumentKind::AdjustmentNotice => {
            let x = offer
                .source
                .strip_prefix("correction:")
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| c.corrections.get(n))
                .ok_or_else(missing_offer)?;
            let new_amount = x.correction.amount();
            let kind = match &x.correction {
                Correction::Stop => docs::AdjustmentKind::Stop,
                Correction::Amount { .. } if new_amount == Fen::ZERO => docs::AdjustmentKind::Stop,
                Correction::Amount { .. } if new_amount > x.previous_amount => {
                    docs::AdjustmentKind::Increase
                }
                Correction::Amount { .. } => docs::AdjustmentKind::Decrease,
            };
            let mut reasons = vec![format!("经监督检查核实：{}", x.reason)];
            if let Some(money) = correction_money {
                reasons.push(money.to_string());
            }
            docs::Document::AdjustmentNotice(docs::AdjustmentNotice {
                header,
                kind,
                program,
                recipient: applicant(household)?,
                previous_amount: x.previous_amount,
                new_amount,
                effective_month: x.effective_month,
                reasons,
                working: match &x.correction {
                    Correction::Amount { calculation, .. } => {
                        Some(docs::Working::from(calculation))
                    }
                    Correction::Stop => None,
                },
                remedy: names.remedy(),
            })
        }
        DocumentKind::PublicNoticeList | DocumentKind::DelegationLetter | DocumentKind::Roster => {
            return Err(missing_offer());
        }
        DocumentKind::ApplicationReviewForm => {
            let d = c.decision.as_ref().ok_or_else(missing_offer)?;
            let mut opinions = Vec::new();
            if let Some(v) = &c.village_review {
                opinions.push(docs::Opinion {
                    stage: "村(居)初审意见".to_string(),
                    text: format!(
                        "{}{}",
                        if v.supports {
                            "同意上报。"
                        } else {
                            "不同意上报。"
                        },
                        v.opinion
                    ),
                    signed_by: sign(signers, v.signed.by, "村(居)协理员"),
                    date: v.signed.at.date(),
                });
            }
            if let Some((signed, result)) = c.checks.iter().rev().find_map(|k| k.result.as_ref()) {
                opinions.push(docs::Opinion {
                    stage: "家庭经济状况核对".to_string(),
                    text: format!(
                        "{}{}",
                        if result.passed {
                            "核对符合条件。"
                        } else {
                            "核对不符合条件。"
                        },
                        result.summary
                    ),
                    signed_by: sign(signers, signed.by, "县级核对员"),
                    date: signed.at.date(),
                });
            }
            for visit in &c.home_visits {
                let mut who = Vec::new();
                for id in &visit.investigators {
                    who.push(sign(signers, *id, "调查人"));
                }
                opinions.push(docs::Opinion {
                    stage: if visit.reinvestigation {
                        "异议复核调查意见".to_string()
                    } else {
                        "调查核实意见".to_string()
                    },
                    text: visit.findings.clone(),
                    signed_by: who.join("、"),
                    date: visit.signed.at.date(),
                });
            }
            for r in &c.reviews {
                let verdict = match &r.recommendation {
                    Recommendation::Approve { .. } => "拟批准。".to_string(),
                    Recommendation::Refuse { reasons } => {
                        format!("拟不予批准：{}。", reasons.join("；"))
                    }
                };
                opinions.push(docs::Opinion {
                    stage: "审核意见".to_string(),
                    text: format!("{verdict}{}", r.opinion),
                    signed_by: sign(signers, r.signed.by, "乡镇审核人"),
                    date: r.signed.at.date(),
                });
            }
            for a in &c.appraisals {
                opinions.push(docs::Opinion {
                    stage: "民主评议意见".to_string(),
                    text: format!(
                        "{}（参加人员：{}）{}",
                        match a.outcome {
                            jiuzhu_domain::case::AppraisalOutcome::Supports => "评议认为符合条件。",
                            jiuzhu_domain::case::AppraisalOutcome::Opposes =>
                                "评议认为不符合条件。",
                        },
                        a.participants.join("、"),
                        a.minutes
                    ),
                    signed_by: sign(signers, a.signed.by, "乡镇经办人"),
                    date: a.signed.at.date(),
                });
            }
            for n in &c.notices {
                let outcome = if n.objected {
                    "公示期间有异议，已复核。"
                } else if n.ended.is_some() {
                    "公示期满无异议。"
                } else {
                    "公示中。"
                };
                opinions.push(docs::Opinion {
                    stage: "公示情况".to_string(),
                    text: format!(
                        "{}起在村(居)务公开栏公示。{outcome}",
                        n.posted.at.date().format("%Y年%m月%d日")
                    ),
                    signed_by: sign(signers, n.posted.by, "乡镇经办人"),
                    date: n.ended.unwrap_or(n.posted).at.date(),
                });
            }
            let (text, working) = match &d.decision {
                Decision::Approve {
                    amount,
                    start_month,
                    calculation,
                } => (
                    format!(
                        "同意批准，自{}起{}，金额{}元。",
                        start_month.format("%Y年%m月"),
                        match calculation.payable {
                            jiuzhu_domain::benefit::Payable::Monthly => "按月发放",
                            jiuzhu_domain::benefit::Payable::Once => "一次性发放",
                            jiuzhu_domain::benefit::Payable::None => "认定（不发放资金）",
                        },
                        amount.format_grouped()
                    ),
                    Some(docs::Working::from(calculation)),
                ),
                Decision::Refuse { reasons } => {
                    (format!("不予批准：{}。", reasons.join("；")), None)
                }
            };
            opinions.push(docs::Opinion {
                stage: "确认意见".to_string(),
                text,
                signed_by: sign(signers, d.signed.by, d.role.name_zh()),
                date: d.signed.at.date(),
            });
            let reason = c
                .emergency
                .as_ref()
                .map(|e| e.summary.clone())
                .unwrap_or_else(|| format!("申请{}（详见申请书）。", program.name_zh()));
            docs::Document::ApplicationReviewForm(docs::ApplicationReviewForm {
                header,
                program,
                applicant: applicant(household)?,
                id_number: household
                    .head()
                    .or(household.members.first())
                    .map(|m| m.id_number.clone())
                    .ok_or_else(missing_offer)?,
                address: if household.address.trim().is_empty() {
                    "（未登记）".to_string()
                } else {
                    household.address.clone()
                },
                phone: "—".to_string(),
                application_date: application_date(c),
                members: household
                    .members
                    .iter()
                    .map(|m| docs::Member {
                        name: m.name.clone(),
                        relation: m.relation,
                        id_number: m.id_number.clone(),
                    })
                    .collect(),
                reason,
                opinions,
                working,
            })
        }
    })
}

/// Renders off the async runtime (typst takes tens to hundreds of milliseconds).
async fn render(doc: docs::Document) -> Result<docs::Pdf, WebError> {
    match tokio::task::spawn_blocking(move || docs::render(&doc)).await {
        Ok(Ok(pdf)) => Ok(pdf),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "document not rendered");
            Err(WebError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                e.message_zh(),
            ))
        }
        Err(e) => {
            tracing::error!(error = %e, "document rendering panicked");
            Err(WebError::internal())
        }
    }
}

/// Why a document was not issued: a status, a stable code and a Chinese message, for both
/// the pages and the API.
#[derive(Debug)]
pub(crate) struct IssueError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl IssueError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        IssueError {
            status,
            code,
            message: message.into(),
        }
    }

    fn not_offered() -> Self {
        IssueError::new(
            StatusCode::CONFLICT,
            "document_not_offered",
            "该案件当前没有这份文书可以签发",
        )
    }
}

impl From<StoreError> for IssueError {
    fn from(e: StoreError) -> Self {
        log_store_error(&e);
        // A refusal with its own reason (e.g. a roster not settled yet) says it.
        let message = match &e {
            StoreError::Case { message_zh, .. } | StoreError::Supervision { message_zh, .. } => {
                message_zh.clone()
            }
            other => store_message_zh(other).to_string(),
        };
        IssueError::new(store_status(&e), e.code(), message)
    }
}

impl From<WebError> for IssueError {
    fn from(e: WebError) -> Self {
        IssueError::new(e.status, "document_not_rendered", e.message)
    }
}

impl From<IssueError> for WebError {
    fn from(e: IssueError) -> Self {
        WebError::new(e.status, e.message)
    }
}

/// Archives the document of `offer` (or finds the archived one; `true` when issued now):
/// `build` makes it with a serial, which is the issuer's next one when the store takes it
/// (otherwise it is built again with the new serial).
pub(crate) async fn archive(
    state: &AppState,
    ctx: &CommandContext,
    offer: &Offer,
    allowed: bool,
    build: impl Fn(u32) -> Result<docs::Document, WebError>,
) -> Result<(DocumentMeta, bool), IssueError> {
    if let Some(done) = state
        .store
        .documents_of(&ctx.actor, &offer.subject.key())
        .await?
        .into_iter()
        .find(|d| d.kind == offer.kind && d.source == offer.source)
    {
        return Ok((done, false));
    }
    if !allowed {
        return Err(IssueError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "您的角色不签发这份文书",
        ));
    }
    let year = offer.date.year();
    for _ in 0..SERIAL_RETRIES {
        let serial = state
            .store
            .next_document_serial(&offer.issuer, year)
            .await?;
        let doc = build(serial)?;
        let number = doc.header().number.to_string();
        let pdf = render(doc).await?;
        let result = state
            .store
            .issue_document(
                ctx,
                NewDocument {
                    subject: offer.subject.clone(),
                    kind: offer.kind,
                    source: offer.source.clone(),
                    issuer: offer.issuer.clone(),
                    year,
                    serial,
                    number,
                    title: offer.kind.name_zh().to_string(),
                    pdf: pdf.bytes,
                },
            )
            .await;
        match result {
            Ok(issued) => return Ok((issued.meta, issued.new)),
            Err(StoreError::DocumentSerialTaken { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(IssueError::new(
        StatusCode::CONFLICT,
        "document_serial_taken",
        "文号被其他文书连续占用，请稍后重试",
    ))
}

/// Issues (or finds) the archived document of `kind` for a case; `true` when issued now.
pub(crate) async fn issue(
    state: &AppState,
    ctx: &CommandContext,
    case_id: i64,
    kind: DocumentKind,
) -> Result<(DocumentMeta, bool), IssueError> {
    let actor = &ctx.actor;
    let c = state.store.case(actor, case_id).await?;
    let offer = offers(&c)
        .into_iter()
        .rfind(|o| o.kind == kind)
        .ok_or_else(IssueError::not_offered)?;
    let household = state.store.household(actor, c.header.household_id).await?;
    let allowed = may_issue(actor, &offer.subject);
    let names = Names::of(state, &c).await;
    let signers = signers(state, actor, &c).await;
    let money = match offer.kind {
        DocumentKind::AdjustmentNotice => correction_money(state, actor, &c, &offer.source).await,
        _ => None,
    };
    archive(state, ctx, &offer, allowed, |serial| {
        build(
            &c,
            &household,
            &offer,
            serial,
            &names,
            &signers,
            money.as_deref(),
        )
    })
    .await
}

/// What the correction of `source` (`correction:{n}`, the n-th of the case) means for the
/// months already settled, as the notice says it: the overpayment to pay back, or the
/// underpayment to be paid.
async fn correction_money(
    state: &AppState,
    actor: &Actor,
    c: &CaseState,
    source: &str,
) -> Option<String> {
    let n: usize = source.strip_prefix("correction:")?.parse().ok()?;
    let mut list: Vec<_> = state
        .store
        .corrections(actor, Some(&c.header.village))
        .await
        .ok()?
        .into_iter()
        .filter(|x| x.case_id == c.header.case_id)
        .collect();
    list.sort_by_key(|x| x.id);
    let x = list.get(n)?;
    if x.overpaid > Fen::ZERO {
        Some(format!(
            "经核算，{}起已发放的月份多发放{}元，应予退回",
            x.effective,
            x.overpaid.format_grouped()
        ))
    } else if x.underpaid > Fen::ZERO {
        Some(format!(
            "经核算，{}起已发放的月份少发放{}元，将予补发",
            x.effective,
            x.underpaid.format_grouped()
        ))
    } else {
        None
    }
}

/// `POST /cases/{id}/documents/{kind}`: issue (or find) and download.
pub(crate) async fn issue_submit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path((id, kind)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let (id, ctx) = issue_request(&state, &s, &id, &body)?;
    let kind = DocumentKind::parse(&kind).ok_or_else(not_found)?;
    let (meta, _) = issue(&state, &ctx, id, kind).await?;
    Ok(download_redirect(&meta))
}

/// An issue request from a page: the record's id from the path, the form's CSRF token
/// checked, and the command context.
fn issue_request(
    state: &AppState,
    s: &crate::session::SessionUser,
    id: &str,
    body: &Bytes,
) -> Result<(i64, CommandContext), WebError> {
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let data = FormData::parse(body);
    if !s.csrf_ok(&data.one("csrf")) {
        return Err(WebError::csrf());
    }
    Ok((id, issue_context(state, s)?))
}

/// Where an issued (or found) document is downloaded.
fn download_redirect(meta: &DocumentMeta) -> Response {
    Redirect::to(&format!("/documents/{}", meta.id)).into_response()
}

/// The context of an issue from a page: issuing is idempotent by subject, kind and source,
/// so each request gets a fresh key.
fn issue_context(
    state: &AppState,
    s: &crate::session::SessionUser,
) -> Result<CommandContext, WebError> {
    Ok(CommandContext::new(
        s.actor(),
        format!("web:doc:{}", new_secret().map_err(WebError::from)?),
        state.now(),
    ))
}

fn not_found() -> WebError {
    WebError::new(StatusCode::NOT_FOUND, "未找到该记录")
}

/// The archived PDF as a download.
pub(crate) fn pdf_response(meta: &DocumentMeta, bytes: Vec<u8>) -> Response {
    let filename = format!("jiuzhu-{}-{}.pdf", meta.kind.as_str(), meta.id);
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (
                header::HeaderName::from_static("x-content-sha256"),
                meta.sha256.clone(),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /documents/{id}`: the archived PDF, byte for byte as issued.
pub(crate) async fn download(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let actor = s.actor();
    let (meta, bytes) = state.store.document(&actor, id).await?;
    Ok(pdf_response(&meta, bytes))
}

// ---- 授权书 of a grant -------------------------------------------------------------------

/// What a township takes on with a grant (seed plans: 001 四、(二), 003 四、, 000 三、(三)).
const DELEGATION_DUTIES: [&str; 4] = [
    "严格按照规定的条件和程序开展受理、入户调查、家庭经济状况核对、民主评议、公示和审核确认，对审核确认结果负责。",
    "审核确认结果按月报县级民政部门备案，接受备案审查和抽查，对发现的问题及时整改。",
    "落实近亲属备案和回避制度，建立健全工作档案，做到环环有痕迹、步步能倒查。",
    "县级民政部门可根据工作情况调整或收回授权。",
];

/// Issues (or finds) a grant's 授权书 (county administrators issue it; the township and the
/// county read it).
pub(crate) async fn issue_grant_letter(
    state: &AppState,
    ctx: &CommandContext,
    grant_id: i64,
) -> Result<(DocumentMeta, bool), IssueError> {
    let actor = &ctx.actor;
    let grant = state
        .store
        .grants(actor, None, None)
        .await?
        .into_iter()
        .find(|g| g.id == grant_id)
        .ok_or_else(|| IssueError::from(StoreError::NotFound(format!("grant {grant_id}"))))?;
    let names = Names::for_township(state, &grant.township).await;
    let county = DivisionCode::parse(grant.township.county_prefix())
        .map_err(|e| IssueError::from(StoreError::Database(e.to_string())))?;
    let offer = Offer {
        subject: DocumentSubject::Grant { grant_id },
        kind: DocumentKind::DelegationLetter,
        source: "grant".to_string(),
        issuer: county,
        date: state.local_now().date(),
    };
    let allowed = may_issue(actor, &offer.subject);
    archive(state, ctx, &offer, allowed, |serial| {
        Ok(docs::Document::DelegationLetter(docs::DelegationLetter {
            header: names.header(
                &offer.issuer,
                offer.date,
                serial,
                format!("授权第{grant_id}号"),
            ),
            kind: docs::DelegationKind::Authorization,
            grantee: names.township_body(),
            items: vec![docs::DelegatedItem {
                program: grant.program,
                cap: grant.cap,
            }],
            from: grant.from,
            until: grant.until,
            basis: grant.basis.clone(),
            duties: DELEGATION_DUTIES.iter().map(|d| d.to_string()).collect(),
        }))
    })
    .await
}

/// `POST /grants/{id}/letter`: issue (or find) and download the grant's 授权书.
pub(crate) async fn grant_letter_submit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let (id, ctx) = issue_request(&state, &s, &id, &body)?;
    let (meta, _) = issue_grant_letter(&state, &ctx, id).await?;
    Ok(download_redirect(&meta))
}

// ---- 调整/停发告知书 of a re-check ----------------------------------------------------------

/// Issues (or finds) the 调整/停发告知书 of a re-check that changed the amount (the township
/// issues it; the household may object, and the notice says how).
pub(crate) async fn issue_adjustment_notice(
    state: &AppState,
    ctx: &CommandContext,
    recheck_id: i64,
) -> Result<(DocumentMeta, bool), IssueError> {
    use jiuzhu_store::dynamic::{RecheckFilter, RecheckOutcome};
    let actor = &ctx.actor;
    let not_found = || IssueError::from(StoreError::NotFound(format!("recheck {recheck_id}")));
    let r = state
        .store
        .rechecks(actor, &RecheckFilter::default())
        .await?
        .into_iter()
        .find(|r| r.id == recheck_id)
        .ok_or_else(not_found)?;
    if !r.outcome.needs_notice() {
        return Err(IssueError::not_offered());
    }
    let household = state.store.household(actor, r.household_id).await?;
    let recipient = applicant(&household)?;
    let names = Names::for_township(state, &r.township).await;
    let offer = Offer {
        subject: DocumentSubject::Recheck { recheck_id },
        kind: DocumentKind::AdjustmentNotice,
        source: "recheck".to_string(),
        issuer: r.township.clone(),
        date: state.local_now().date(),
    };
    let allowed = may_issue(actor, &offer.subject);
    let (kind, effective, new_amount) = match r.outcome {
        RecheckOutcome::Increase => (docs::AdjustmentKind::Increase, r.effective, r.amount),
        RecheckOutcome::Reduce => (docs::AdjustmentKind::Decrease, r.effective, r.amount),
        // A gradual exit is a stop from the end of the period; until then the amount stays.
        RecheckOutcome::GradualExit | RecheckOutcome::Stop => {
            (docs::AdjustmentKind::Stop, r.stop_from, Fen::ZERO)
        }
        RecheckOutcome::Unchanged => return Err(IssueError::not_offered()),
    };
    let effective = effective.ok_or_else(IssueError::not_offered)?.first_day();
    let case_number = match r.case_id {
        Some(id) => state
            .store
            .case(actor, id)
            .await
            .map(|c| c.header.number.clone())
            .unwrap_or_else(|_| format!("复核第{recheck_id}号")),
        None => format!("复核第{recheck_id}号"),
    };
    archive(state, ctx, &offer, allowed, |serial| {
        Ok(docs::Document::AdjustmentNotice(docs::AdjustmentNotice {
            header: names.header(&offer.issuer, offer.date, serial, case_number.clone()),
            kind,
            program: r.program,
            recipient: recipient.clone(),
            previous_amount: r.previous,
            new_amount,
            effective_month: effective,
            reasons: vec![r.reason_zh.clone(), format!("复核情况：{}", r.findings)],
            working: r.calculation.as_ref().map(docs::Working::from),
            remedy: names.remedy(),
        }))
    })
    .await
}

/// `POST /dynamic/rechecks/{id}/notice`: issue (or find) and download the re-check's notice.
pub(crate) async fn adjustment_notice_submit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let (id, ctx) = issue_request(&state, &s, &id, &body)?;
    let (meta, _) = issue_adjustment_notice(&state, &ctx, id).await?;
    Ok(download_redirect(&meta))
}

// ---- 花名册 of a township's settled roster -------------------------------------------------

/// The most lines a printed 花名册 takes (a township's roster of one program and month).
const ROSTER_MAX_LINES: usize = 20_000;

/// Issues (or finds) the 花名册 of a township's settled roster of one program and month:
/// every payment line with the household head's name, the masked identity number, the
/// village, the household size and the amount (back-pay and carried-over payments included).
pub(crate) async fn issue_roster(
    state: &AppState,
    ctx: &CommandContext,
    township: DivisionCode,
    program: jiuzhu_domain::Program,
    month: jiuzhu_store::payroll::Month,
    prepared_by: String,
) -> Result<(DocumentMeta, bool), IssueError> {
    let actor = &ctx.actor;
    let mut payments = Vec::new();
    for page in 1.. {
        let list = state
            .store
            .payments(
                actor,
                month,
                &township,
                jiuzhu_store::PageRequest::new(page, 1000),
            )
            .await?;
        let done = list.items.len() < 1000;
        payments.extend(list.items.into_iter().filter(|p| p.program == program));
        if done {
            break;
        }
        if payments.len() > ROSTER_MAX_LINES {
            return Err(IssueError::from(WebError::new(
                StatusCode::CONFLICT,
                "花名册超过20000行，请导出Excel明细",
            )));
        }
    }
    let mut villages: HashMap<DivisionCode, String> = HashMap::new();
    let mut rows = Vec::with_capacity(payments.len());
    for p in &payments {
        let household = state.store.household(actor, p.household_id).await?;
        let head = household
            .head()
            .or(household.members.first())
            .ok_or_else(|| {
                WebError::new(StatusCode::CONFLICT, "有家庭没有登记成员，无法生成花名册")
            })?;
        if !villages.contains_key(&p.village) {
            let name = state
                .store
                .division(&p.village)
                .await
                .ok()
                .flatten()
                .map_or_else(|| p.village.to_string(), |d| d.name);
            villages.insert(p.village.clone(), name);
        }
        rows.push(docs::RosterRow {
            name: head.name.clone(),
            id_number: head.id_number.clone(),
            village: villages[&p.village].clone(),
            household_size: u32::try_from(household.members.len()).unwrap_or(u32::MAX),
            amount: p.amount,
        });
    }
    let names = Names::for_township(state, &township).await;
    let offer = Offer {
        subject: DocumentSubject::Roster {
            township: township.clone(),
            program,
            month,
        },
        kind: DocumentKind::Roster,
        source: "settled".to_string(),
        issuer: township.clone(),
        date: state.local_now().date(),
    };
    let allowed = may_issue(actor, &offer.subject);
    archive(state, ctx, &offer, allowed, |serial| {
        Ok(docs::Document::Roster(docs::Roster {
            header: names.header(
                &offer.issuer,
                offer.date,
                serial,
                format!("{}年{:02}月花名册", month.year(), month.month()),
            ),
            program,
            month: month.first_day(),
            rows: rows.clone(),
            prepared_by: prepared_by.clone(),
            checked_by: String::new(),
        }))
    })
    .await
}

/// `POST /funds/roster-pdf`: issue (or find) and download a settled roster's 花名册.
pub(crate) async fn roster_submit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    body: Bytes,
) -> Result<Response, WebError> {
    let data = FormData::parse(&body);
    if !s.csrf_ok(&data.one("csrf")) {
        return Err(WebError::csrf());
    }
    let township = DivisionCode::parse(&data.one("township")).map_err(|_| not_found())?;
    let program = data
        .one("program")
        .parse::<jiuzhu_domain::Program>()
        .map_err(|_| not_found())?;
    let month = data
        .one("month")
        .parse::<jiuzhu_store::payroll::Month>()
        .map_err(|_| not_found())?;
    let ctx = issue_context(&state, &s)?;
    let (meta, _) = issue_roster(
        &state,
        &ctx,
        township,
        program,
        month,
        s.user.display_name.clone(),
    )
    .await?;
    Ok(download_redirect(&meta))
}

// ---- 公示名单 of a township --------------------------------------------------------------

/// One household of the township's running notices, as the 公示名单 prints it.
pub(crate) struct NoticeLine {
    pub case_id: i64,
    pub case_number: String,
    pub row: docs::PublicNoticeRow,
    pub posted: NaiveDate,
    pub until: Option<NaiveDate>,
}

/// The township's cases whose notice runs now, with what the list prints.
pub(crate) async fn notice_lines(
    state: &AppState,
    actor: &Actor,
    township: &DivisionCode,
) -> Result<Vec<NoticeLine>, StoreError> {
    let filter = jiuzhu_store::CaseFilter {
        program: None,
        within: Some(township.clone()),
        stage: Some(jiuzhu_domain::case::Stage::Notice),
        open_only: true,
    };
    let mut lines = Vec::new();
    let mut page = 1;
    loop {
        let list = state
            .store
            .cases(actor, &filter, jiuzhu_store::PageRequest::new(page, 200))
            .await?;
        for summary in &list.items {
            let c = state.store.case(actor, summary.id).await?;
            let household = state.store.household(actor, c.header.household_id).await?;
            let Some(head) = household.head().or(household.members.first()) else {
                continue;
            };
            let Some(notice) = c.notices.last() else {
                continue;
            };
            let amount = c
                .reviews
                .iter()
                .rev()
                .find_map(|r| match r.recommendation {
                    Recommendation::Approve { proposed_amount } => proposed_amount,
                    Recommendation::Refuse { .. } => None,
                })
                .unwrap_or_default();
            let village = state
                .store
                .division(&c.header.village)
                .await?
                .map(|d| d.name)
                .unwrap_or_else(|| c.header.village.to_string());
            lines.push(NoticeLine {
                case_id: summary.id,
                case_number: c.header.number.clone(),
                row: docs::PublicNoticeRow {
                    head: head.name.clone(),
                    household_size: household.members.len() as u32,
                    program: c.header.program,
                    amount,
                    village,
                },
                posted: notice.posted.at.date(),
                until: notice.due.map(|d| d.date),
            });
        }
        if i64::from(page) * 200 >= list.total {
            break;
        }
        page += 1;
    }
    lines.sort_by(|a, b| a.case_number.cmp(&b.case_number));
    Ok(lines)
}

/// Issues (or finds) today's 公示名单 of a township: a new list whenever the set of cases
/// on notice changed.
pub(crate) async fn issue_notice_list(
    state: &AppState,
    ctx: &CommandContext,
    township: &DivisionCode,
) -> Result<(DocumentMeta, bool), IssueError> {
    let actor = &ctx.actor;
    let lines = notice_lines(state, actor, township).await?;
    if lines.is_empty() {
        return Err(IssueError::new(
            StatusCode::CONFLICT,
            "document_not_offered",
            "本乡镇（街道）当前没有正在公示的案件",
        ));
    }
    let today = state.local_now().date();
    let numbers: Vec<&str> = lines.iter().map(|l| l.case_number.as_str()).collect();
    let digest = jiuzhu_store::event::sha256_hex(numbers.join(",").as_bytes());
    let offer = Offer {
        subject: DocumentSubject::NoticeList {
            township: township.clone(),
            date: today,
        },
        kind: DocumentKind::PublicNoticeList,
        source: format!("cases:{}", &digest[..16]),
        issuer: township.clone(),
        date: today,
    };
    let names = Names::for_township(state, township).await;
    let first = lines.iter().map(|l| l.posted).min().unwrap_or(today);
    let last = lines.iter().filter_map(|l| l.until).max().unwrap_or(today);
    let allowed = may_issue(actor, &offer.subject);
    archive(state, ctx, &offer, allowed, |serial| {
        Ok(docs::Document::PublicNoticeList(docs::PublicNoticeList {
            header: names.header(
                &offer.issuer,
                offer.date,
                serial,
                format!("公示{}-{}", today.format("%Y%m%d"), &digest[..6]),
            ),
            period: (first, last),
            rows: lines.iter().map(|l| l.row.clone()).collect(),
            objections_to: format!("{}社会救助经办窗口", names.township_body()),
            hotline: "12345".to_string(),
        }))
    })
    .await
}

#[derive(askama::Template)]
#[template(path = "notice_list.html")]
struct NoticeListPage {
    nav: Option<crate::web::Nav>,
    /// The township shown, with its name; `None` asks a county user to pick one.
    township: Option<(String, String)>,
    townships: Vec<(String, String)>,
    lines: Vec<NoticeLineView>,
    archived: Vec<IssuedRow>,
    may_issue: bool,
}

struct NoticeLineView {
    case_id: i64,
    case_number: String,
    head: String,
    size: u32,
    program: &'static str,
    amount: String,
    village: String,
    period: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct NoticeListQuery {
    township: Option<String>,
}

/// The township a notice-list request is about: the user's own, or (county staff) the one
/// asked for, if inside their jurisdiction.
fn notice_township(s: &crate::session::SessionUser, asked: Option<&str>) -> Option<DivisionCode> {
    use jiuzhu_domain::DivisionLevel;
    let own = &s.user.division;
    match own.level() {
        DivisionLevel::Township => Some(own.clone()),
        DivisionLevel::Village => DivisionCode::parse(&format!("{}000", &own.as_str()[..9])).ok(),
        _ => asked
            .and_then(|t| DivisionCode::parse(t).ok())
            .filter(|t| t.level() == DivisionLevel::Township && s.actor().scope().contains(t)),
    }
}

/// `GET /notice-list`: the township's cases on notice now and its archived 公示名单.
pub(crate) async fn notice_list_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    axum::extract::Query(q): axum::extract::Query<NoticeListQuery>,
) -> Result<Response, WebError> {
    use askama::Template;
    let actor = s.actor();
    let township = notice_township(&s, q.township.as_deref());
    let townships = if s.user.division.level() == jiuzhu_domain::DivisionLevel::Township {
        Vec::new()
    } else {
        state
            .store
            .divisions(&actor, Some(&s.user.division))
            .await?
            .into_iter()
            .filter(|d| d.code.level() == jiuzhu_domain::DivisionLevel::Township)
            .map(|d| (d.code.to_string(), d.name))
            .collect()
    };
    let (shown, lines, archived) = match &township {
        Some(t) => {
            let name = state
                .store
                .division(t)
                .await?
                .map(|d| d.name)
                .unwrap_or_else(|| t.to_string());
            let lines = notice_lines(&state, &actor, t).await?;
            let today = state.local_now().date();
            let archived = state
                .store
                .documents_of(
                    &actor,
                    &DocumentSubject::NoticeList {
                        township: t.clone(),
                        date: today,
                    }
                    .key(),
                )
                .await?;
            (Some((t.to_string(), name)), lines, archived)
        }
        None => (None, Vec::new(), Vec::new()),
    };
    let view = NoticeListPage {
        nav: crate::web::Nav::of(&s),
        township: shown,
        townships,
        lines: lines
            .iter()
            .map(|l| NoticeLineView {
                case_id: l.case_id,
                case_number: l.case_number.clone(),
                head: l.row.head.to_string(),
                size: l.row.household_size,
                program: l.row.program.name_zh(),
                amount: l.row.amount.format_grouped(),
                village: l.row.village.clone(),
                period: match l.until {
                    Some(u) => format!("{} 至 {}", l.posted, u),
                    None => format!("{} 起", l.posted),
                },
            })
            .collect(),
        archived: archived.iter().map(IssuedRow::from).collect(),
        may_issue: township.as_ref().is_some_and(|t| {
            may_issue(
                &actor,
                &DocumentSubject::NoticeList {
                    township: t.clone(),
                    date: state.local_now().date(),
                },
            )
        }),
    };
    Ok(axum::response::Html(view.render()?).into_response())
}

/// `POST /notice-list`: issue (or find) and download today's 公示名单.
pub(crate) async fn notice_list_submit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    body: Bytes,
) -> Result<Response, WebError> {
    let data = FormData::parse(&body);
    if !s.csrf_ok(&data.one("csrf")) {
        return Err(WebError::csrf());
    }
    let asked = data.one("township");
    let township = notice_township(&s, Some(asked.as_str())).ok_or_else(not_found)?;
    let ctx = issue_context(&state, &s)?;
    let (meta, _) = issue_notice_list(&state, &ctx, &township).await?;
    Ok(Redirect::to(&format!("/documents/{}", meta.id)).into_response())
}
