//! 用户管理: the county administrator creates, deactivates, reactivates and resets accounts
//! of the county from the users page; others see the list or nothing.

use reqwest::StatusCode;

use crate::helpers::{GX_ADMIN, GX_CASEWORKER, client, hidden_field, spawn_app};

async fn get(c: &reqwest::Client, url: String) -> (StatusCode, String) {
    let res = c.get(url).send().await.expect("GET");
    (res.status(), res.text().await.expect("body"))
}

#[tokio::test]
async fn the_county_admin_manages_the_countys_accounts() {
    let app = spawn_app().await;
    let admin = app.logged_in(GX_ADMIN).await;
    let (status, html) = get(&admin, app.url("/users")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("gongxian.caseworker"), "{html}");
    assert!(
        !html.contains("lingwu.caseworker"),
        "another county's accounts"
    );
    assert!(html.contains("新增用户"));
    let csrf = hidden_field(&html, "csrf").expect("csrf");
    let key = hidden_field(&html, "key").expect("key");

    // Mismatched passwords: 422, the message, what was typed kept (never the password).
    let form = |username: &str, p2: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("key", key.clone()),
            ("username", username.to_string()),
            ("display_name", "王某新".to_string()),
            ("role", "village_assistant".to_string()),
            ("division", "511526100205".to_string()),
            ("password", "village-pass-1".to_string()),
            ("password2", p2.to_string()),
        ]
    };
    let res = admin
        .post(app.url("/users"))
        .form(&form("gx.new.assistant", "other-pass-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("两次输入的密码不一致"), "{html}");
    assert!(html.contains("value=\"gx.new.assistant\""));
    assert!(!html.contains("village-pass-1"));
    // A village role attached to the county: refused by the store, explained.
    let mut wrong = form("gx.new.assistant", "village-pass-1");
    wrong[5].1 = "511526".to_string();
    let res = admin
        .post(app.url("/users"))
        .form(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("未能保存"));
    // Created: the new account logs in.
    let res = admin
        .post(app.url("/users"))
        .form(&form("gx.new.assistant", "village-pass-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let newcomer = client();
    let res = app
        .login(&newcomer, "gx.new.assistant", "village-pass-1")
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The same username again is refused.
    let (_, html) = get(&admin, app.url("/users")).await;
    let key2 = hidden_field(&html, "key").unwrap();
    let mut again = form("gx.new.assistant", "village-pass-1");
    again[1].1 = key2;
    let res = admin
        .post(app.url("/users"))
        .form(&again)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("该用户名已被使用"));

    let id = app
        .db
        .store
        .credentials("gx.new.assistant")
        .await
        .unwrap()
        .unwrap()
        .user
        .id;
    // Deactivation needs a reason; then the account can no longer log in.
    let res = admin
        .post(app.url(&format!("/users/{id}/active")))
        .form(&[("csrf", csrf.as_str()), ("key", "a1"), ("active", "false")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = admin
        .post(app.url(&format!("/users/{id}/active")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("key", "a2"),
            ("active", "false"),
            ("reason", "调离岗位"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .login(&client(), "gx.new.assistant", "village-pass-1")
        .await;
    assert_ne!(res.status(), StatusCode::SEE_OTHER, "a deactivated account");
    let (_, html) = get(&admin, app.url("/users")).await;
    assert!(html.contains("已停用"));
    // Reactivated with a new password.
    for (k, form) in [
        ("a3", vec![("active", "true")]),
        ("p1", vec![("password", "fresh-pass-22")]),
    ] {
        let action = if k == "a3" { "active" } else { "password" };
        let mut f = vec![("csrf", csrf.as_str()), ("key", k)];
        f.extend(form);
        let res = admin
            .post(app.url(&format!("/users/{id}/{action}")))
            .form(&f)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{action}");
    }
    let res = app
        .login(&client(), "gx.new.assistant", "fresh-pass-22")
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Without the session's CSRF token nothing changes.
    let res = admin
        .post(app.url(&format!("/users/{id}/active")))
        .form(&[
            ("csrf", "forged"),
            ("key", "a4"),
            ("active", "false"),
            ("reason", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // A caseworker may not see the accounts; a township head sees them without forms.
    let cw = app.logged_in(GX_CASEWORKER).await;
    let (status, _) = get(&cw, app.url("/users")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let head = app.logged_in("gongxian.head").await;
    let (status, html) = get(&head, app.url("/users")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("gongxian.caseworker"));
    assert!(!html.contains("新增用户"));
    // Another county's admin cannot deactivate a 珙县 account.
    let lw = app.logged_in("lingwu.admin").await;
    let (_, html) = get(&lw, app.url("/users")).await;
    let lw_csrf = hidden_field(&html, "csrf").unwrap();
    let res = lw
        .post(app.url(&format!("/users/{id}/active")))
        .form(&[
            ("csrf", lw_csrf.as_str()),
            ("key", "x1"),
            ("active", "false"),
            ("reason", "越权"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .login(&client(), "gx.new.assistant", "fresh-pass-22")
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "still active");
    app.cleanup().await;
}
