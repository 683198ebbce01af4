//! `GET /api/docs`: the OpenAPI document of `/api/v1` as a page, rendered on the server
//! from the same value that `/api/v1/openapi.json` serves (no script, nothing fetched from
//! elsewhere: the page works offline). Like the document it needs no login; a logged-in
//! user gets the usual navigation.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use crate::AppState;
use crate::api::doc::document_value;
use crate::error::WebError;
use crate::session::session_of;
use crate::web::Nav;

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage {
    nav: Option<Nav>,
    title: String,
    version: String,
    openapi: String,
    description: String,
    tags: Vec<TagView>,
    schemas: Vec<SchemaView>,
}

struct TagView {
    name: String,
    anchor: String,
    description: String,
    ops: Vec<OpView>,
}

struct OpView {
    anchor: String,
    method: String,
    method_class: String,
    path: String,
    summary: String,
    description: String,
    public: bool,
    params: Vec<ParamView>,
    body: Option<BodyView>,
    responses: Vec<ResponseView>,
}

struct ParamView {
    name: String,
    location: String,
    required: bool,
    schema: String,
    description: String,
}

struct BodyView {
    content_type: String,
    schema: SchemaRef,
}

struct ResponseView {
    status: String,
    description: String,
    schema: Option<SchemaRef>,
}

/// A schema as shown next to a body or response: a link to a component, or the schema.
struct SchemaRef {
    /// The component it names (anchor `schema-{name}`).
    component: Option<String>,
    /// The component's name, "数组：name", or the inline schema as JSON.
    text: String,
}

struct SchemaView {
    name: String,
    anchor: String,
    json: String,
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn component_name(reference: &str) -> Option<String> {
    reference
        .strip_prefix("#/components/schemas/")
        .map(str::to_string)
}

fn schema_ref(schema: &Value) -> SchemaRef {
    if let Some(name) = schema["$ref"].as_str().and_then(component_name) {
        return SchemaRef {
            text: name.clone(),
            component: Some(name),
        };
    }
    if let Some(name) = schema["items"]["$ref"].as_str().and_then(component_name) {
        return SchemaRef {
            text: format!("数组：{name}"),
            component: Some(name),
        };
    }
    SchemaRef {
        component: None,
        text: serde_json::to_string_pretty(schema).unwrap_or_default(),
    }
}

/// A parameter's schema in a few words: `integer (int64)`, `string: a | b`, `≥ 1`.
fn short_type(schema: &Value) -> String {
    if let Some(name) = schema["$ref"].as_str().and_then(component_name) {
        return name;
    }
    let mut out = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "any".to_string(),
    };
    if let Some(f) = schema["format"].as_str() {
        out.push_str(&format!(" ({f})"));
    }
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        out.push_str(&format!(": {}", values.join(" | ")));
    }
    if let Some(min) = schema["minimum"].as_f64() {
        out.push_str(&format!(", ≥ {min}"));
    }
    if let Some(max) = schema["maximum"].as_f64() {
        out.push_str(&format!(", ≤ {max}"));
    }
    out
}

fn operation(path: &str, method: &str, op: &Value) -> OpView {
    let id = op["operationId"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("{method}{path}"));
    let public = op["security"].as_array().is_some_and(|reqs| {
        reqs.iter()
            .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
    });
    let params = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| ParamView {
            name: text(&p["name"]),
            location: text(&p["in"]),
            required: p["required"].as_bool().unwrap_or(false),
            schema: short_type(&p["schema"]),
            description: text(&p["description"]),
        })
        .collect();
    let body = op["requestBody"]["content"]
        .as_object()
        .and_then(|c| c.iter().next())
        .map(|(content_type, media)| BodyView {
            content_type: content_type.clone(),
            schema: schema_ref(&media["schema"]),
        });
    let responses = op["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, r)| ResponseView {
            status: status.clone(),
            description: text(&r["description"]),
            schema: r["content"]
                .as_object()
                .and_then(|c| c.values().next())
                .map(|media| schema_ref(&media["schema"])),
        })
        .collect();
    OpView {
        anchor: format!("op-{id}"),
        method: method.to_uppercase(),
        method_class: method.to_string(),
        path: path.to_string(),
        summary: text(&op["summary"]),
        description: text(&op["description"]),
        public,
        params,
        body,
        responses,
    }
}

fn page(doc: &Value, nav: Option<Nav>) -> DocsPage {
    let mut tags: Vec<TagView> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| TagView {
            name: text(&t["name"]),
            anchor: format!("tag-{}", text(&t["name"])),
            description: text(&t["description"]),
            ops: Vec::new(),
        })
        .collect();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let op = &item[method];
            if !op.is_object() {
                continue;
            }
            let tag = op["tags"][0].as_str().unwrap_or("default").to_string();
            let at = match tags.iter().position(|t| t.name == tag) {
                Some(i) => i,
                None => {
                    tags.push(TagView {
                        anchor: format!("tag-{tag}"),
                        name: tag,
                        description: String::new(),
                        ops: Vec::new(),
                    });
                    tags.len() - 1
                }
            };
            tags[at].ops.push(operation(path, method, op));
        }
    }
    tags.retain(|t| !t.ops.is_empty());
    let schemas = doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, schema)| SchemaView {
            name: name.clone(),
            anchor: format!("schema-{name}"),
            json: serde_json::to_string_pretty(schema).unwrap_or_default(),
        })
        .collect();
    DocsPage {
        nav,
        title: text(&doc["info"]["title"]),
        version: text(&doc["info"]["version"]),
        openapi: text(&doc["openapi"]),
        description: text(&doc["info"]["description"]),
        tags,
        schemas,
    }
}

/// `GET /api/docs`
pub(crate) async fn page_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let nav = match session_of(&state, &headers).await {
        Ok(session) => session.as_ref().and_then(Nav::of),
        Err(e) => {
            // The page describes the API; it does not need the database.
            tracing::debug!(error = %e, "API docs page: no session lookup");
            None
        }
    };
    Ok(Html(page(&document_value(), nav).render()?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_on_the_page() {
        let doc = document_value();
        let html = page(&doc, None).render().unwrap();
        let mut count = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in METHODS {
                if item[method].is_object() {
                    let id = item[method]["operationId"].as_str().unwrap();
                    assert!(html.contains(&format!("id=\"op-{id}\"")), "{id}");
                    count += 1;
                }
            }
            assert!(html.contains(path.as_str()), "{path}");
        }
        assert!(count >= 14, "{count} operations");
        assert!(html.contains("id=\"schema-ErrorBody\""));
        assert!(!html.contains("<script"));
    }

    #[test]
    fn parameter_types_are_short() {
        let v = serde_json::json!({"type": ["integer", "null"], "format": "int32", "minimum": 1});
        assert_eq!(short_type(&v), "integer (int32), ≥ 1");
        let v = serde_json::json!({"type": "string", "enum": ["dibao", "tekun"]});
        assert_eq!(short_type(&v), "string: dibao | tekun");
    }
}
