//! The OpenAPI document of `/api/v1`: `GET /api/v1/openapi.json`, and the page `/api/docs`
//! renders it.
//!
//! The operations come from the handlers' `#[utoipa::path]` attributes, collected by the
//! same `OpenApiRouter` that builds the router (see [`super::api`]). What no attribute can
//! say is added here from data: the case commands (one schema per
//! [`CommandKind::ALL`], generated, not listed by hand), the values of `program` and
//! `stage`, the security schemes and the answers every authenticated call can give.
//!
//! Domain payloads (a case's state, its events, the decision of a `decide` command) are
//! the serde form of `jiuzhu-domain` types. That crate stays free of utoipa, so they are
//! described as JSON objects that name the domain type rather than copied field by field:
//! when the domain changes them, this document stays true.

use std::borrow::Cow;
use std::sync::LazyLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiuzhu_domain::case::{CommandKind, Stage};
use jiuzhu_domain::{Program, Role};
use serde_json::json;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{
    ArrayBuilder, Discriminator, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, SchemaType,
    Type,
};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::ErrorBody;
use crate::util::SESSION_COOKIE;

/// The document, built once from the routes.
pub(crate) static DOCUMENT: LazyLock<OpenApi> = LazyLock::new(|| super::api().1);

/// The document as JSON.
static DOCUMENT_JSON: LazyLock<String> = LazyLock::new(|| {
    DOCUMENT
        .to_pretty_json()
        .unwrap_or_else(|e| panic!("the OpenAPI document does not serialize: {e}"))
});

/// The document as a JSON value (for the page `/api/docs`).
pub(crate) fn document_value() -> serde_json::Value {
    serde_json::from_str(&DOCUMENT_JSON).unwrap_or(serde_json::Value::Null)
}

/// `GET /api/v1/openapi.json`
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    summary = "本接口文档（OpenAPI 3.1，JSON）",
    description = "This document. It describes the API and holds no data, so it needs no login. \
                   A readable rendering is at `/api/docs`.",
    security(()),
    responses((status = 200, description = "OpenAPI 文档", content_type = "application/json", body = Object))
)]
pub(crate) async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT_JSON.as_str(),
    )
        .into_response()
}

/// The parts of the document that do not come from the routes.
pub(super) fn base() -> OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(
        info(
            title = "jiuzhu 救助 JSON API",
            description = "社会救助审核确认系统的 JSON 接口。JSON in and out; every error is \
                           `{\"code\", \"message\", \"field\"?}` (`ErrorBody`): a stable code, \
                           a Chinese message and, where there is one, the offending input \
                           field. Authenticate with `Authorization: Bearer <token>` (from \
                           `POST /api/v1/tokens`) or the web session's cookie (then commands \
                           need `X-CSRF-Token`). Commands (`POST`) need an `Idempotency-Key` \
                           header. Identity numbers leave the server only masked."
        ),
        tags(
            (name = "auth", description = "令牌与当前用户 (tokens and the current account)"),
            (name = "households", description = "家庭 (households and their members)"),
            (name = "users", description = "用户 (accounts)"),
            (name = "cases", description = "案件 (the case engine: commands and reads)"),
            (name = "documents", description = "行政文书 (official documents as archived PDF)"),
            (name = "meta", description = "接口文档 (this document)"),
        ),
        components(schemas(ErrorBody))
    )]
    struct Base;
    <Base as utoipa::OpenApi>::openapi()
}

/// Adds what the handlers' attributes cannot say.
pub(super) fn finish(mut doc: OpenApi) -> OpenApi {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "API令牌: `POST /api/v1/tokens` issues one, valid for 30 days.",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            SESSION_COOKIE,
            "The web UI's session cookie (after logging in at /login). Commands then need \
             the session's CSRF token in the `X-CSRF-Token` header.",
        ))),
    );
    // The values of enumerated request fields, from the domain's own lists.
    if let Some(RefOr::T(Schema::Object(new_user))) = components.schemas.get_mut("NewUser")
        && let Some(RefOr::T(Schema::Object(role))) = new_user.properties.get_mut("role")
    {
        role.enum_values = Some(Role::ALL.iter().map(|r| json!(r.as_str())).collect());
    }
    // Either scheme; operations that need none say `security: [{}]`.
    doc.security = Some(vec![
        SecurityRequirement::new("bearer", Vec::<String>::new()),
        SecurityRequirement::new("session", Vec::<String>::new()),
    ]);

    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            finish_operation(op);
        }
    }
    doc
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                .build(),
        )
        .build()
        .into()
}

fn finish_operation(op: &mut Operation) {
    let public = op
        .security
        .as_ref()
        .is_some_and(|reqs| reqs.iter().all(|r| *r == SecurityRequirement::default()));
    let responses = &mut op.responses.responses;
    if !public {
        responses.entry("401".to_string()).or_insert_with(|| {
            error_response("未登录或令牌无效、已过期（unauthenticated）；会话Cookie调用修改类接口缺少 X-CSRF-Token 时为 403 csrf_failed")
        });
    }
    if op.operation_id.as_deref() != Some("openapi_json") {
        responses
            .entry("503".to_string())
            .or_insert_with(|| error_response("数据库暂时无法访问，或系统当前为只读状态"));
        responses
            .entry("500".to_string())
            .or_insert_with(|| error_response("系统内部错误（internal）"));
    }
    // The values of the enumerated filters, from the domain's own lists.
    for param in op.parameters.iter_mut().flatten() {
        let RefOr::T(param) = param else { continue };
        if param.parameter_in != ParameterIn::Query {
            continue;
        }
        let values: Option<Vec<&str>> = match param.name.as_str() {
            "program" => Some(Program::ALL.iter().map(|p| p.as_str()).collect()),
            "stage" => Some(Stage::ALL.iter().map(|s| s.as_str()).collect()),
            _ => None,
        };
        if let Some(values) = values {
            param.schema = Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(values))
                    .into(),
            );
        }
    }
    // A command's body is read by hand (to word its errors), so it is optional to axum but
    // required to a client.
    if let Some(RefOr::T(body)) = op.request_body.as_mut() {
        let body: &mut RequestBody = body;
        body.required = Some(utoipa::openapi::Required::True);
    }
}

// ---- case commands ---------------------------------------------------------------------

/// The body of `POST /api/v1/cases`: an opening command.
pub(crate) struct OpenCaseCommand;
/// The body of `POST /api/v1/cases/{id}/commands`: any other command.
pub(crate) struct CaseCommand;

impl PartialSchema for OpenCaseCommand {
    fn schema() -> RefOr<Schema> {
        command_schema(true)
    }
}

impl ToSchema for OpenCaseCommand {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("OpenCaseCommand")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        body_schemas(true, schemas);
    }
}

impl PartialSchema for CaseCommand {
    fn schema() -> RefOr<Schema> {
        command_schema(false)
    }
}

impl ToSchema for CaseCommand {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CaseCommand")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        body_schemas(false, schemas);
    }
}

/// The component name of one command body.
fn body_schema_name(kind: CommandKind) -> String {
    format!("CaseCommand.{kind}")
}

/// The commands each endpoint takes.
fn kinds(opening: bool) -> impl Iterator<Item = CommandKind> {
    CommandKind::ALL
        .into_iter()
        .filter(move |k| k.opens_case() == opening)
}

/// `{"at", "body"}` with `body` one of the commands, told apart by `type`.
fn command_schema(opening: bool) -> RefOr<Schema> {
    let mut one_of = OneOfBuilder::new();
    let mut discriminator = Discriminator::new("type");
    for kind in kinds(opening) {
        let reference = format!("#/components/schemas/{}", body_schema_name(kind));
        one_of = one_of.item(Ref::new(reference.clone()));
        discriminator.mapping.insert(kind.to_string(), reference);
    }
    let one_of = one_of.discriminator(Some(discriminator));
    let names: Vec<String> = kinds(opening)
        .map(|k| format!("`{k}` {}", k.name_zh()))
        .collect();
    let description = if opening {
        format!(
            "An opening command of the case engine (`jiuzhu_domain::case::Command`): {}. \
             The store assigns the case's id and number, so `body.case.case_id` and \
             `body.case.number` may be left out. 新建案件的指令。",
            names.join(", ")
        )
    } else {
        format!(
            "A command of the case engine (`jiuzhu_domain::case::Command`) on an existing \
             case: {}. 办理已有案件的指令。",
            names.join(", ")
        )
    };
    ObjectBuilder::new()
        .description(Some(description))
        .property(
            "at",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"))
                .description(Some(
                    "When it happened, local time in Asia/Shanghai without an offset \
                     (`2023-03-01T09:00:00`). Deadlines count from here. 发生时间（北京时间）。",
                ))
                .examples([json!("2023-03-01T09:00:00")]),
        )
        .required("at")
        .property("body", one_of)
        .required("body")
        .into()
}

fn body_schemas(opening: bool, schemas: &mut Vec<(String, RefOr<Schema>)>) {
    for kind in kinds(opening) {
        schemas.push((body_schema_name(kind), body_schema(kind)));
    }
}

/// One command body: its `type` and its fields.
fn body_schema(kind: CommandKind) -> RefOr<Schema> {
    let mut object = ObjectBuilder::new()
        .title(Some(format!("{kind}（{}）", kind.name_zh())))
        .property(
            "type",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([kind.as_str()])),
        )
        .required("type");
    for field in fields(kind) {
        object = object.property(field.name, field.schema());
        if field.required {
            object = object.required(field.name);
        }
    }
    object.into()
}

/// What a command field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Text,
    Flag,
    /// A record id (a user's id).
    Id,
    Ids,
    Texts,
    /// Money in fen (分), an integer.
    Fen,
    /// The new case of an opening command (`NewCase`).
    NewCase,
    /// A value of a `jiuzhu_domain::case` type, in its serde form.
    Domain(&'static str),
    /// A list of such values.
    DomainList(&'static str),
}

#[derive(Debug, Clone, Copy)]
struct Field {
    name: &'static str,
    shape: Shape,
    required: bool,
    zh: &'static str,
}

const fn req(name: &'static str, shape: Shape, zh: &'static str) -> Field {
    Field {
        name,
        shape,
        required: true,
        zh,
    }
}

const fn opt(name: &'static str, shape: Shape, zh: &'static str) -> Field {
    Field {
        name,
        shape,
        required: false,
        zh,
    }
}

const MATERIALS: Field = req(
    "materials",
    Shape::Texts,
    "材料（材料清单中的键，如 verification_authorization）",
);
const NEW_CASE: Field = req("case", Shape::NewCase, "新案件");

/// The fields of each command (`jiuzhu_domain::case::CommandBody`). The match is
/// exhaustive, so a new command kind does not compile until it is described; a test checks
/// every field named here against the domain's deserializer.
fn fields(kind: CommandKind) -> Vec<Field> {
    use CommandKind as K;
    use Shape::*;
    let fields: &[Field] = match kind {
        K::Apply | K::RequestPreCheck => &[NEW_CASE, MATERIALS],
        K::ApplyAfterCheck | K::SubmitMaterials => &[MATERIALS],
        K::RecordVillageReview => &[
            req("supports", Flag, "村(居)是否同意"),
            req("opinion", Text, "初审意见"),
        ],
        K::RequestCheck | K::PostNotice | K::EndNotice | K::PostResult | K::Archive => &[],
        K::RecordCheckResult => &[
            req("passed", Flag, "核对是否通过"),
            req("summary", Text, "核对结论摘要"),
            opt("reasons", Texts, "不通过的原因"),
        ],
        K::RecordHomeVisit => &[
            req("investigators", Ids, "调查人员（用户id，至少两人）"),
            req("members", DomainList("MemberFacts"), "家庭成员情况"),
            req("findings", Text, "调查结论"),
        ],
        K::SignReview => &[
            req("recommendation", Domain("Recommendation"), "审核建议"),
            req("opinion", Text, "审核意见"),
            opt("disputed", Flag, "是否有争议"),
        ],
        K::RecordAppraisal => &[
            req("participants", Texts, "参加人员"),
            req("outcome", Domain("AppraisalOutcome"), "评议结果"),
            req("minutes", Text, "会议记录"),
        ],
        K::RaiseObjection => &[req("summary", Text, "异议内容摘要")],
        K::Decide => &[req("decision", Domain("Decision"), "确认决定")],
        K::DeliverNotice => &[opt("note", Text, "送达说明")],
        K::Withdraw => &[
            req("reason", Domain("WithdrawReason"), "撤回原因"),
            opt("note", Text, "说明"),
        ],
        K::ReportEmergency => &[NEW_CASE, req("summary", Text, "急难情况摘要")],
        K::GiveEmergencyHelp => &[
            req("amount", Fen, "先行救助金额（分）"),
            req("description", Text, "救助内容"),
        ],
        K::CompletePaperwork => &[
            MATERIALS,
            req("continue_procedure", Flag, "是否转入常规程序（否则办结）"),
        ],
        K::Correct => &[
            req(
                "finding",
                Domain("FindingRef"),
                "所依据的监督发现（抽查认定决定有误、备案审查意见、属实的投诉举报）",
            ),
            req(
                "correction",
                Domain("CorrectionRequest"),
                "纠正内容：按核实情况重新计算金额，或终止",
            ),
            req("effective_month", Text, "纠正生效月份（YYYY-MM-01）"),
            req("reason", Text, "纠正理由"),
        ],
        K::FileNearRelative => &[
            req("related_user", Id, "近亲属为本系统工作人员的用户id"),
            req("kinship", Domain("Kinship"), "亲属关系"),
            req(
                "capacity",
                Domain("RelatedCapacity"),
                "该工作人员的经办身份",
            ),
        ],
    };
    fields.to_vec()
}

/// The fields of `NewCase` a client sends.
const NEW_CASE_FIELDS: [Field; 6] = [
    opt("case_id", Shape::Id, "由系统分配，可省略"),
    opt("number", Shape::Text, "案件编号，由系统分配，可省略"),
    req("program", Shape::Text, "救助项目"),
    req("village", Shape::Text, "户籍所在村(社区)的12位区划代码"),
    req("household_id", Shape::Id, "家庭编号"),
    req("origin", Shape::Domain("Origin"), "申请来源"),
];

fn domain_note(type_name: &str) -> String {
    format!(
        "The serde JSON form of `jiuzhu_domain::case::{type_name}` (defined by the case \
         engine; see its documentation)."
    )
}

impl Field {
    fn schema(&self) -> RefOr<Schema> {
        let described = |b: ObjectBuilder, note: Option<String>| -> RefOr<Schema> {
            let text = match note {
                Some(n) => format!("{}. {n}", self.zh),
                None => self.zh.to_string(),
            };
            b.description(Some(text)).into()
        };
        let string = || ObjectBuilder::new().schema_type(Type::String);
        let integer =
            || {
                ObjectBuilder::new().schema_type(Type::Integer).format(Some(
                    SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64),
                ))
            };
        match self.shape {
            Shape::Text if self.name == "program" => described(
                string().enum_values(Some(Program::ALL.iter().map(|p| p.as_str()))),
                None,
            ),
            Shape::Text => described(string(), None),
            Shape::Flag => described(ObjectBuilder::new().schema_type(Type::Boolean), None),
            Shape::Id | Shape::Fen => described(integer(), None),
            Shape::Ids | Shape::Texts => {
                let item: RefOr<Schema> = if self.shape == Shape::Ids {
                    integer().into()
                } else {
                    string().into()
                };
                ArrayBuilder::new()
                    .items(item)
                    .description(Some(self.zh))
                    .into()
            }
            Shape::Domain(t) => described(
                ObjectBuilder::new().schema_type(SchemaType::AnyValue),
                Some(domain_note(t)),
            ),
            Shape::DomainList(t) => ArrayBuilder::new()
                .items(ObjectBuilder::new().schema_type(SchemaType::AnyValue))
                .description(Some(format!("{}. Each item: {}", self.zh, domain_note(t))))
                .into(),
            Shape::NewCase => {
                let mut object = ObjectBuilder::new().description(Some(format!(
                    "{}（`jiuzhu_domain::case::NewCase`）",
                    self.zh
                )));
                for f in NEW_CASE_FIELDS {
                    object = object.property(f.name, f.schema());
                    if f.required {
                        object = object.required(f.name);
                    }
                }
                object.into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// A value no field of a command accepts (no command field is a float).
    const PROBE: f64 = -1.5;

    fn parse(body: Value) -> Result<jiuzhu_domain::case::Command, String> {
        serde_json::from_value(json!({ "at": "2023-03-01T09:00:00", "body": body }))
            .map_err(|e| e.to_string())
    }

    /// The domain's deserializer reads `name` (a type error) rather than ignoring it as an
    /// unknown field.
    fn known(body: Value, name: &str) -> bool {
        match parse(body) {
            Ok(_) => false,
            Err(e) => {
                assert!(
                    e.contains("invalid type") || e.contains("missing field"),
                    "{name}: {e}"
                );
                e.contains("invalid type: floating point")
            }
        }
    }

    #[test]
    fn every_documented_field_is_a_field_of_the_domains_command() {
        for kind in CommandKind::ALL {
            for f in fields(kind) {
                let body = json!({ "type": kind.as_str(), f.name: PROBE });
                assert!(
                    known(body, f.name),
                    "`{kind}` has no field `{}`: update `fields` in api/doc.rs",
                    f.name
                );
            }
        }
        for f in NEW_CASE_FIELDS {
            let body = json!({ "type": "apply", "case": { f.name: PROBE } });
            assert!(known(body, f.name), "NewCase has no field `{}`", f.name);
        }
    }

    /// A body made of the documented fields only (plain values; skipped where a field holds
    /// a domain value this test cannot make up).
    fn example(kind: CommandKind) -> Option<Value> {
        let mut body = serde_json::Map::new();
        body.insert("type".into(), json!(kind.as_str()));
        for f in fields(kind).iter().filter(|f| f.required) {
            let value = match f.shape {
                Shape::Text => json!("说明"),
                Shape::Flag => json!(true),
                Shape::Id | Shape::Fen => json!(1),
                Shape::Ids => json!([1, 2]),
                Shape::Texts => json!([]),
                Shape::NewCase | Shape::Domain(_) | Shape::DomainList(_) => return None,
            };
            body.insert(f.name.into(), value);
        }
        Some(Value::Object(body))
    }

    #[test]
    fn documented_required_fields_are_enough() {
        let mut checked = 0;
        for kind in CommandKind::ALL {
            if let Some(body) = example(kind) {
                let parsed = parse(body.clone())
                    .unwrap_or_else(|e| panic!("`{kind}` needs more than documented: {e}"));
                assert_eq!(parsed.body.kind(), kind);
                checked += 1;
            }
        }
        assert!(checked >= 10, "only {checked} kinds checked");
    }

    #[test]
    fn every_command_kind_is_in_exactly_one_endpoint() {
        let doc = &*DOCUMENT;
        let schemas = &doc.components.as_ref().expect("components").schemas;
        for kind in CommandKind::ALL {
            assert!(
                schemas.contains_key(&body_schema_name(kind)),
                "{kind} is not described"
            );
        }
        let json = serde_json::to_value(doc).unwrap();
        let refs = |name: &str| -> Vec<String> {
            json["components"]["schemas"][name]["properties"]["body"]["oneOf"]
                .as_array()
                .unwrap_or_else(|| panic!("{name} has no oneOf"))
                .iter()
                .map(|r| r["$ref"].as_str().unwrap().to_string())
                .collect()
        };
        let (open, other) = (refs("OpenCaseCommand"), refs("CaseCommand"));
        assert_eq!(open.len() + other.len(), CommandKind::ALL.len());
        assert_eq!(open.len(), 3);
    }

    #[test]
    fn the_error_schema_is_the_error_body() {
        let json = serde_json::to_value(&*DOCUMENT).unwrap();
        let props = json["components"]["schemas"]["ErrorBody"]["properties"]
            .as_object()
            .expect("ErrorBody properties");
        let mut names: Vec<&str> = props.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["code", "field", "message"]);
        let body = serde_json::to_value(ErrorBody {
            code: "invalid_input",
            field: Some("x".into()),
            message: "说明".into(),
        })
        .unwrap();
        let mut keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, names);
    }

    /// Routes are registered only through `routes!`, so each is documented: the axum
    /// passthrough `route` method would add one the document does not know.
    #[test]
    fn the_api_has_no_undocumented_routes() {
        for (file, source) in [
            ("api.rs", include_str!("../api.rs")),
            ("api/cases.rs", include_str!("cases.rs")),
            ("api/doc.rs", include_str!("doc.rs")),
        ] {
            let needle = [".route", "("].concat();
            assert!(
                !source.contains(&needle),
                "{file} registers a route without documenting it; use `.routes(routes!(handler))`"
            );
        }
    }
}
