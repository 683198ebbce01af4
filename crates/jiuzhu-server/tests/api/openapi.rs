//! The OpenAPI document (`/api/v1/openapi.json`) and its page (`/api/docs`): the document
//! describes exactly the routes the server answers.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::{GX_CASEWORKER, client, spawn_app};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// `(method, path)` of every operation in the document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item[method].is_object() {
                ops.insert((method.to_string(), path.clone()));
            }
        }
    }
    ops
}

async fn document(app: &crate::helpers::TestApp) -> Value {
    let res = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    res.json().await.expect("the document is JSON")
}

#[tokio::test]
async fn the_document_is_openapi_3_without_a_login() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert!(!doc["info"]["title"].as_str().unwrap().is_empty());
    assert!(!doc["info"]["version"].as_str().unwrap().is_empty());
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    let error = &doc["components"]["schemas"]["ErrorBody"];
    for field in ["code", "message"] {
        assert!(
            error["required"]
                .as_array()
                .unwrap()
                .contains(&Value::from(field)),
            "{error}"
        );
    }
    // Case commands: one schema per command kind, told apart by `type`.
    let body = &doc["components"]["schemas"]["CaseCommand"]["properties"]["body"];
    assert_eq!(body["discriminator"]["propertyName"], "type");
    assert!(body["oneOf"].as_array().unwrap().len() > 10);
    assert_eq!(
        doc["components"]["schemas"]["CaseCommand.decide"]["properties"]["type"]["enum"][0],
        "decide"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn every_route_is_documented_and_every_documented_route_is_served() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let ops = operations(&doc);
    let listed: BTreeSet<(String, String)> = [
        ("post", "/api/v1/tokens"),
        ("get", "/api/v1/me"),
        ("get", "/api/v1/households"),
        ("post", "/api/v1/households"),
        ("get", "/api/v1/households/{id}"),
        ("get", "/api/v1/users"),
        ("post", "/api/v1/users"),
        ("get", "/api/v1/cases"),
        ("post", "/api/v1/cases"),
        ("get", "/api/v1/cases/{id}"),
        ("post", "/api/v1/cases/{id}/commands"),
        ("get", "/api/v1/cases/{id}/timeline"),
        ("get", "/api/v1/cases/overdue"),
        ("get", "/api/v1/cases/due-soon"),
        ("get", "/api/v1/cases/{id}/documents"),
        ("post", "/api/v1/cases/{id}/documents/{kind}"),
        ("get", "/api/v1/documents/{id}"),
        ("get", "/api/v1/openapi.json"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(ops, listed, "the document's operations");

    let c = client();
    let paths: BTreeSet<&String> = ops.iter().map(|(_, p)| p).collect();
    for path in paths {
        let url = app.url(&path.replace("{id}", "1"));
        for method in METHODS {
            let req = c
                .request(method.to_uppercase().parse().unwrap(), &url)
                .header("content-type", "application/json")
                .body("{}");
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            if ops.contains(&(method.to_string(), path.clone())) {
                // Served: never the fallback's 404 nor 405 (a documented operation
                // without a login answers 401; the public ones answer).
                assert!(
                    status != 404 && status != 405,
                    "{method} {path}: {status} {}",
                    res.text().await.unwrap()
                );
                let public = doc["paths"][path.as_str()][method]["security"]
                    .as_array()
                    .is_some_and(|s| s.iter().all(|r| r.as_object().unwrap().is_empty()));
                if !public {
                    assert_eq!(status, 401, "{method} {path} needs a login");
                }
            } else {
                // No undocumented method on a documented path.
                assert_eq!(status, 405, "{method} {path} is served but not documented");
            }
        }
    }
    app.cleanup().await;
}

#[tokio::test]
async fn unknown_api_paths_are_still_json_404() {
    let app = spawn_app().await;
    let c = client();
    for path in [
        "/api/v1/no-such-thing",
        "/api/v1/openapi.yaml",
        "/api/v2/openapi.json",
        "/api/docs/nothing",
    ] {
        let res = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], "not_found", "{path}");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn the_docs_page_lists_every_operation() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let res = client().get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    let html = res.text().await.unwrap();
    assert!(html.contains("接口文档"));
    assert!(html.contains(doc["info"]["version"].as_str().unwrap()));
    assert!(!html.contains("<script"), "the page needs no script");
    for (method, path) in operations(&doc) {
        assert!(html.contains(&path), "{path} is not on the page");
        let id = doc["paths"][path.as_str()][method.as_str()]["operationId"]
            .as_str()
            .unwrap();
        assert!(html.contains(&format!("id=\"op-{id}\"")), "{id}: no anchor");
    }
    for tag in ["auth", "households", "users", "cases"] {
        assert!(html.contains(&format!("id=\"tag-{tag}\"")), "{tag}");
    }
    // Without a login: no navigation. Logged in: the page is in the navigation.
    assert!(!html.contains("退出登录"));
    let user = app.logged_in(GX_CASEWORKER).await;
    let home = user
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("href=\"/api/docs\""));
    let page = user.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("退出登录"));
    app.cleanup().await;
}
