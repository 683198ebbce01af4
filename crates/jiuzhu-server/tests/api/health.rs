use crate::helpers::{client, spawn_app};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let res = client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
    app.cleanup().await;
}

#[tokio::test]
async fn unknown_paths_get_chinese_pages_and_json_under_api() {
    let app = spawn_app().await;
    let c = client();
    let res = c.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(res.text().await.unwrap().contains("页面不存在"));
    let res = c
        .get(app.url("/api/v1/no-such-thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    let css = c.get(app.url("/static/style.css")).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.text().await.unwrap().contains("@media print"));
    app.cleanup().await;
}

#[tokio::test]
async fn pages_need_a_login() {
    let app = spawn_app().await;
    let c = client();
    for (path, login) in [
        ("/", "/login"),
        ("/households", "/login?next=%2Fhouseholds"),
        ("/households/1", "/login?next=%2Fhouseholds%2F1"),
        ("/todo", "/login?next=%2Ftodo"),
        ("/dashboard", "/login?next=%2Fdashboard"),
    ] {
        let res = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(res.headers()["location"], login, "{path}");
    }
    let res = c.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "unauthenticated");
    let res = c
        .get(app.url("/api/v1/me"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    app.cleanup().await;
}
