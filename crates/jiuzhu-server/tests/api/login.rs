use jiuzhu_store::Actor;

use crate::helpers::{GX_CASEWORKER, PASSWORD, client, element_text, hidden_field, spawn_app};

#[tokio::test]
async fn login_page_is_chinese_and_sets_the_csrf_cookie() {
    let app = spawn_app().await;
    let res = client().get(app.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("jz_login_csrf="))
        .expect("login CSRF cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("登录") && html.contains("lang=\"zh-CN\""));
    let token = hidden_field(&html, "csrf").unwrap();
    assert!(cookie.starts_with(&format!("jz_login_csrf={token};")));
    app.cleanup().await;
}

#[tokio::test]
async fn wrong_password_is_refused_and_right_one_opens_the_home_page() {
    let app = spawn_app().await;
    let c = client();

    let res = app.login(&c, GX_CASEWORKER, "wrong-password").await;
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("用户名或密码错误"));
    // an unknown user gets the same answer
    let res = app.login(&c, "nobody.here", "wrong-password").await;
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("用户名或密码错误"));

    let res = app.login(&c, GX_CASEWORKER, PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/");
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("jz_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && session.contains("Path=/")
    );

    let res = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("乡镇经办人"), "role name");
    assert!(
        html.contains("珙泉镇") && html.contains("511526100000"),
        "jurisdiction"
    );
    let actor: Actor = app.actor(GX_CASEWORKER).await;
    let counts = app.db.store.counts(&actor).await.unwrap();
    assert_eq!(
        counts.households, 2,
        "spawn_app puts two households in 珙泉镇"
    );
    assert_eq!(
        element_text(&html, "count-households").unwrap(),
        counts.households.to_string()
    );
    assert_eq!(
        element_text(&html, "count-members").unwrap(),
        counts.members.to_string()
    );
    assert_eq!(
        element_text(&html, "count-villages").unwrap(),
        counts.villages.to_string()
    );

    // the failures and the success are in the audit log
    let id = match &actor {
        Actor::User(u) => u.id,
        Actor::System { .. } => unreachable!(),
    };
    let kinds: Vec<String> = app
        .db
        .store
        .events_for(&actor, &format!("user:{id}"))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        kinds.contains(&"account.login_failed".to_string()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"account.login_succeeded".to_string()),
        "{kinds:?}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn login_without_or_with_a_wrong_csrf_token_is_forbidden() {
    let app = spawn_app().await;
    // no token at all (and no cookie)
    let res = client()
        .post(app.url("/login"))
        .form(&[("username", GX_CASEWORKER), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("页面已过期或请求无效，请刷新后重试")
    );

    // a cookie, but a form token that does not match it
    let c = client();
    let _ = app.login_csrf(&c).await;
    let res = c
        .post(app.url("/login"))
        .form(&[
            ("username", GX_CASEWORKER),
            ("password", PASSWORD),
            ("csrf", "0123abcd"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // a form token without its cookie (another browser's token)
    let token = app.login_csrf(&client()).await;
    let res = client()
        .post(app.url("/login"))
        .form(&[
            ("username", GX_CASEWORKER),
            ("password", PASSWORD),
            ("csrf", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    app.cleanup().await;
}

#[tokio::test]
async fn sixth_failed_attempt_is_throttled_even_with_the_right_password() {
    let app = spawn_app().await;
    let c = client();
    for i in 1..=5 {
        let res = app.login(&c, GX_CASEWORKER, "wrong-password").await;
        assert_eq!(res.status(), 401, "attempt {i}");
    }
    let res = app.login(&c, GX_CASEWORKER, "wrong-password").await;
    assert_eq!(res.status(), 429);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("登录失败次数过多，请15分钟后再试")
    );
    let res = app.login(&c, GX_CASEWORKER, PASSWORD).await;
    assert_eq!(res.status(), 429, "the right password is not even checked");
    // the API token endpoint shares the throttle
    let res = client()
        .post(app.url("/api/v1/tokens"))
        .json(&serde_json::json!({ "username": GX_CASEWORKER, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    // other users are not affected
    let res = app.login(&c, "gongxian.admin", PASSWORD).await;
    assert_eq!(res.status(), 303);
    app.cleanup().await;
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let c = client();
    let res = app.login(&c, GX_CASEWORKER, PASSWORD).await;
    assert_eq!(res.status(), 303);
    let old_cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("jz_session="))
        .and_then(|v| v.split(';').next().map(str::to_string))
        .expect("session cookie");
    let home = c
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_field(&home, "csrf").expect("logout form token");

    // a logout without the form token is refused and the session stays open
    let res = c
        .post(app.url("/logout"))
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("页面已过期或请求无效，请刷新后重试")
    );
    assert_eq!(c.get(app.url("/")).send().await.unwrap().status(), 200);

    let res = c
        .post(app.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login");
    let res = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 303);

    // the old cookie, replayed by hand, opens nothing any more
    let fresh = client();
    for path in ["/", "/api/v1/me"] {
        let res = fresh
            .get(app.url(path))
            .header("cookie", old_cookie.as_str())
            .send()
            .await
            .unwrap();
        assert!(
            matches!(res.status().as_u16(), 303 | 401),
            "{path}: {}",
            res.status()
        );
    }
    app.cleanup().await;
}

#[tokio::test]
async fn a_deactivated_account_is_told_so_only_with_the_right_password() {
    let app = spawn_app().await;
    let web = app.logged_in(GX_CASEWORKER).await;
    let Actor::User(u) = app.actor(GX_CASEWORKER).await else {
        unreachable!()
    };
    let ctx = jiuzhu_store::CommandContext::new(
        crate::helpers::system(),
        "test:deactivate",
        chrono::Utc::now(),
    );
    app.db
        .store
        .execute(
            &ctx,
            jiuzhu_store::Command::SetUserActive {
                user_id: u.id,
                active: false,
                reason: "调离".into(),
            },
        )
        .await
        .unwrap();
    // the open session ends with the account
    assert_eq!(web.get(app.url("/")).send().await.unwrap().status(), 303);
    let c = client();
    let res = app.login(&c, GX_CASEWORKER, "wrong-password").await;
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("用户名或密码错误"));
    let res = app.login(&c, GX_CASEWORKER, PASSWORD).await;
    assert_eq!(res.status(), 401);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("账号已停用，请联系县级管理员")
    );
    let res = client()
        .post(app.url("/api/v1/tokens"))
        .json(&serde_json::json!({ "username": GX_CASEWORKER, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["code"],
        "account_disabled"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn parallel_wrong_passwords_cannot_get_past_the_throttle() {
    let app = spawn_app().await;
    let attempts: Vec<_> = (0..10)
        .map(|_| {
            let url = app.url("/api/v1/tokens");
            tokio::spawn(async move {
                client()
                    .post(url)
                    .json(&serde_json::json!({
                        "username": GX_CASEWORKER,
                        "password": "wrong-password",
                    }))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for a in attempts {
        statuses.push(a.await.unwrap());
    }
    let refused = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        refused <= 5,
        "{statuses:?}: more than 5 passwords were checked"
    );
    assert_eq!(refused + throttled, 10, "{statuses:?}");
    // the right password is refused afterwards, on the page and by the API
    let res = app.login(&client(), GX_CASEWORKER, PASSWORD).await;
    assert_eq!(res.status(), 429);
    // a successful login elsewhere is not counted against the address
    for _ in 0..25 {
        let res = app.login(&client(), "gongxian.admin", PASSWORD).await;
        assert_eq!(res.status(), 303);
    }
    app.cleanup().await;
}

/// An expired (or missing) session returns to the login page and then to where the user
/// was; a `next` that leaves the site is ignored.
#[tokio::test]
async fn after_login_the_user_returns_to_the_page_asked_for() {
    let app = crate::helpers::spawn_app().await;
    let client = crate::helpers::client();
    let res = client
        .get(app.url("/cases?stage=notice"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, "/login?next=%2Fcases%3Fstage%3Dnotice");
    let page = client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let next = crate::helpers::hidden_field(&page, "next").expect("next in the form");
    assert_eq!(next, "/cases?stage=notice");
    let csrf = crate::helpers::hidden_field(&page, "csrf").unwrap();
    let res = client
        .post(app.url("/login"))
        .form(&[
            ("username", crate::helpers::GX_CASEWORKER),
            ("password", crate::helpers::PASSWORD),
            ("csrf", csrf.as_str()),
            ("next", next.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/cases?stage=notice");

    // Somewhere else: home instead.
    let other = crate::helpers::client();
    let csrf = app.login_csrf(&other).await;
    let res = other
        .post(app.url("/login"))
        .form(&[
            ("username", crate::helpers::GX_CASEWORKER),
            ("password", crate::helpers::PASSWORD),
            ("csrf", csrf.as_str()),
            ("next", "//evil.example/steal"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/");
    app.cleanup().await;
}
