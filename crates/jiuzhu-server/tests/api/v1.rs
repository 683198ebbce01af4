use jiuzhu_store::Actor;
use serde_json::{Value, json};

use crate::helpers::{
    GX_ADMIN, GX_CASEWORKER, GX_OWN_VILLAGE, PASSWORD, broken_id, client, fresh_id, hidden_field,
    spawn_app,
};

fn household_body(id_numbers: &[&str]) -> Value {
    let relations = ["head", "spouse", "child"];
    json!({
        "division": GX_OWN_VILLAGE,
        "address": "鱼竹村3组12号",
        "members": id_numbers.iter().zip(relations).map(|(id, rel)| json!({
            "name": "王某华", "id_number": id, "relation": rel
        })).collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn tokens_and_me() {
    let app = spawn_app().await;
    let c = client();
    let res = c
        .post(app.url("/api/v1/tokens"))
        .json(&json!({ "username": GX_CASEWORKER, "password": "wrong-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "invalid_credentials");
    assert_eq!(body["message"], "用户名或密码错误");

    let res = c
        .post(app.url("/api/v1/tokens"))
        .json(&json!({ "username": GX_CASEWORKER, "password": PASSWORD, "label": "测试" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    assert_eq!(token.len(), 64);
    assert!(body["expires_at"].is_string());

    let res = c
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["username"], GX_CASEWORKER);
    assert_eq!(me["role"], "township_caseworker");
    assert_eq!(me["role_name"], "乡镇经办人");
    assert_eq!(me["division"], "511526100000");
    assert_eq!(me["division_name"], "珙泉镇");

    let res = c
        .post(app.url("/api/v1/tokens"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "invalid_json");
    app.cleanup().await;
}

#[tokio::test]
async fn creating_a_household_is_idempotent() {
    let app = spawn_app().await;
    let token = app.token(GX_CASEWORKER).await;
    let actor: Actor = app.actor(GX_CASEWORKER).await;
    let before = app.db.store.counts(&actor).await.unwrap();
    let (a, b) = (fresh_id(), fresh_id());
    let body = household_body(&[a.as_str(), b.as_str()]);
    let post = |key: &'static str| {
        client()
            .post(app.url("/api/v1/households"))
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = post("k-create-1").await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let id = first["household_id"].as_i64().unwrap();

    let again = post("k-create-1").await.unwrap();
    assert!(matches!(again.status().as_u16(), 200 | 201));
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["household_id"], id);

    let after = app.db.store.counts(&actor).await.unwrap();
    assert_eq!(after.households, before.households + 1);
    assert_eq!(after.members, before.members + 2);

    // the same key with another body is a conflict, not a silent replay
    let other = household_body(&[fresh_id().as_str()]);
    let res = client()
        .post(app.url("/api/v1/households"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "k-create-1")
        .json(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "idempotency_key_reused"
    );

    // a new key with an already registered ID number is a conflict naming the member
    let res = client()
        .post(app.url("/api/v1/households"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "k-create-2")
        .json(&household_body(&[fresh_id().as_str(), a.as_str()]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let text = res.text().await.unwrap();
    assert!(!text.contains(a.as_str()));
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["code"], "id_number_registered");
    assert!(
        body["message"].as_str().unwrap().contains("第2位成员"),
        "{body}"
    );

    // the household is readable, with masked ID numbers only
    let res = client()
        .get(app.url(&format!("/api/v1/households/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(!text.contains(a.as_str()) && !text.contains(b.as_str()));
    let h: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(h["members"].as_array().unwrap().len(), 2);
    assert_eq!(h["members"][0]["id_number_masked"], a.masked());
    assert_eq!(h["members"][1]["relation_name"], "配偶");
    app.cleanup().await;
}

#[tokio::test]
async fn household_input_errors_are_chinese_and_keep_id_numbers_out() {
    let app = spawn_app().await;
    let token = app.token(GX_CASEWORKER).await;
    let bad = broken_id();
    let res = client()
        .post(app.url("/api/v1/households"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "k-bad-1")
        .json(&household_body(&[fresh_id().as_str(), bad.as_str()]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    assert!(
        !text.contains(&bad),
        "the submitted ID number is not echoed"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("第2位成员") && message.contains("校验位"),
        "{message}"
    );
    assert_eq!(body["field"], "members[1].id_number");

    // an ID number sent as a number: serde's message would quote it, ours does not
    let digits = &bad[..17];
    let res = client()
        .post(app.url("/api/v1/households"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "k-bad-2")
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"division":"{GX_OWN_VILLAGE}","address":"x","members":[{{"name":"王某华","id_number":{digits},"relation":"head"}}]}}"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(!res.text().await.unwrap().contains(digits));

    // missing key
    let res = client()
        .post(app.url("/api/v1/households"))
        .bearer_auth(&token)
        .json(&household_body(&[fresh_id().as_str()]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "idempotency_key_required"
    );

    // outside the jurisdiction: another township of the county
    let mut body = household_body(&[fresh_id().as_str()]);
    body["division"] = json!("511526101201");
    let res = client()
        .post(app.url("/api/v1/households"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "k-bad-3")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    app.cleanup().await;
}

#[tokio::test]
async fn users_are_created_by_county_admins_only() {
    let app = spawn_app().await;
    let new_user = json!({
        "username": "gongxian.newcomer",
        "display_name": "新经办人",
        "role": "township_caseworker",
        "division": "511526101000",
        "password": "a-good-password-1",
    });
    let caseworker = app.token(GX_CASEWORKER).await;
    let res = client()
        .post(app.url("/api/v1/users"))
        .bearer_auth(&caseworker)
        .header("Idempotency-Key", "u-1")
        .json(&new_user)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "forbidden");
    let res = client()
        .get(app.url("/api/v1/users"))
        .bearer_auth(&caseworker)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let admin = app.token(GX_ADMIN).await;
    let post = |key: &'static str, body: Value| {
        client()
            .post(app.url("/api/v1/users"))
            .bearer_auth(&admin)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let res = post("u-1", new_user.clone()).await.unwrap();
    assert_eq!(res.status(), 201);
    let user_id = res.json::<Value>().await.unwrap()["user_id"]
        .as_i64()
        .unwrap();
    let res = post("u-1", new_user.clone()).await.unwrap();
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    assert_eq!(res.json::<Value>().await.unwrap()["user_id"], user_id);
    let res = post("u-2", new_user.clone()).await.unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "username_taken");

    // input errors name the field, in Chinese
    let mut weak = new_user.clone();
    weak["username"] = json!("gongxian.weak");
    weak["password"] = json!("12345678");
    let res = post("u-3", weak).await.unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["field"], "password");
    let mut elsewhere = new_user.clone();
    elsewhere["username"] = json!("gongxian.far");
    elsewhere["division"] = json!("640181100000");
    assert_eq!(post("u-4", elsewhere).await.unwrap().status(), 403);

    // the new account is listed and can log in
    let res = client()
        .get(app.url("/api/v1/users?per_page=200"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == user_id)
    );
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["division"].as_str().unwrap().starts_with("511526"))
    );
    let c = client();
    let res = app
        .login(&c, "gongxian.newcomer", "a-good-password-1")
        .await;
    assert_eq!(res.status(), 303);
    app.cleanup().await;
}

#[tokio::test]
async fn session_cookie_works_for_api_reads_but_writes_need_the_csrf_header() {
    let app = spawn_app().await;
    let web = app.logged_in(GX_CASEWORKER).await;
    let res = web.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body = household_body(&[fresh_id().as_str()]);
    let res = web
        .post(app.url("/api/v1/households"))
        .header("Idempotency-Key", "cookie-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "csrf_failed");
    let home = web
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_field(&home, "csrf").unwrap();
    let res = web
        .post(app.url("/api/v1/households"))
        .header("Idempotency-Key", "cookie-1")
        .header("X-CSRF-Token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    app.cleanup().await;
}

#[tokio::test]
async fn control_characters_in_text_fields_are_refused_not_a_server_error() {
    let app = spawn_app().await;
    let token = app.token(GX_CASEWORKER).await;
    for (i, address) in ["a\u{0}b", "鱼竹村\n3组"].into_iter().enumerate() {
        let mut body = household_body(&[fresh_id().as_str()]);
        body["address"] = json!(address);
        let res = client()
            .post(app.url("/api/v1/households"))
            .bearer_auth(&token)
            .header("Idempotency-Key", format!("k-ctl-{i}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{address:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["field"], "address", "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("控制字符"),
            "{body}"
        );
    }
    // the display name of a new account
    let admin = app.token(GX_ADMIN).await;
    let res = client()
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin)
        .header("Idempotency-Key", "k-ctl-user")
        .json(&json!({
            "username": "gx.nul",
            "display_name": "张\u{0}某",
            "role": "township_caseworker",
            "division": "511526100000",
            "password": "good-pass-2026",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "display_name");
    // a token label, and a username typed with a NUL
    let res = client()
        .post(app.url("/api/v1/tokens"))
        .json(&json!({ "username": GX_CASEWORKER, "password": PASSWORD, "label": "x\u{0}" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "label");
    let res = client()
        .post(app.url("/api/v1/tokens"))
        .json(&json!({ "username": "gongxian.\u{0}caseworker", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    app.cleanup().await;
}
