use serde_json::Value;

use crate::helpers::{
    GX_ADMIN, GX_CASEWORKER, GX_OTHER_VILLAGE, LW_ADMIN, client, element_text, lingwu_household,
    register_household, spawn_app, system,
};

#[tokio::test]
async fn a_township_caseworker_sees_only_their_township() {
    let app = spawn_app().await;
    let lingwu = lingwu_household(&app.db).await;
    let other_township = register_household(&app.db, &system(), GX_OTHER_VILLAGE).await;
    let web = app.logged_in(GX_CASEWORKER).await;
    let token = app.token(GX_CASEWORKER).await;

    // another county's household and another township's household: 404, like a missing id
    for id in [lingwu, other_township, 9_999_999] {
        let res = web
            .get(app.url(&format!("/households/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "page of household {id}");
        assert!(res.text().await.unwrap().contains("未找到"));
        let res = client()
            .get(app.url(&format!("/api/v1/households/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "API household {id}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], "not_found");
    }
    assert_eq!(
        web.get(app.url("/households/abc"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // the list holds exactly the township's households
    let res = client()
        .get(app.url("/api/v1/households?per_page=200"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(body["total"], 2);
    assert_eq!(items.len(), 2);
    for item in items {
        assert!(
            item["division"].as_str().unwrap().starts_with("511526100"),
            "{item}"
        );
        assert!(item["head_name"].is_string());
    }
    let html = web
        .get(app.url("/households"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(element_text(&html, "household-total").unwrap(), "2");
    for item in items {
        assert!(html.contains(&format!("href=\"/households/{}\"", item["id"])));
    }
    assert!(!html.contains(&format!("href=\"/households/{lingwu}\"")));
    assert!(!html.contains(&format!("href=\"/households/{other_township}\"")));

    // a household of the township opens, with masked ID numbers and its audit trail
    let own = items[0]["id"].as_i64().unwrap();
    let res = web
        .get(app.url(&format!("/households/{own}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("与户主关系") && html.contains("户主"));
    assert!(html.contains("**********"), "masked ID number");
    assert!(html.contains("登记家庭"), "audit timeline");

    // filters: a bad code and a code outside the jurisdiction are explained, not 500
    let res = web
        .get(app.url("/households?division=12x"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("区划代码"));
    let res = web
        .get(app.url("/households?division=640181"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("不在您的管辖范围内"));
    let res = client()
        .get(app.url("/api/v1/households?division=99"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["field"], "division");
    app.cleanup().await;
}

#[tokio::test]
async fn a_county_admin_sees_the_whole_county_and_nothing_else() {
    let app = spawn_app().await;
    let lingwu = lingwu_household(&app.db).await;
    let token = app.token(GX_ADMIN).await;
    let res = client()
        .get(app.url("/api/v1/households?per_page=200"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    // spawn_app registers three 珙县 households (two in 珙泉镇, one in 巡场镇)
    assert_eq!(body["total"], 3);
    assert_eq!(items.len(), 3);
    assert!(
        items
            .iter()
            .all(|i| i["division"].as_str().unwrap().starts_with("511526"))
    );
    assert!(
        items
            .iter()
            .any(|i| i["division"].as_str().unwrap().starts_with("511526101"))
    );
    let res = client()
        .get(app.url(&format!("/api/v1/households/{lingwu}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // the page list agrees, and the township filter narrows it
    let web = app.logged_in(GX_ADMIN).await;
    let html = web
        .get(app.url("/households"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(element_text(&html, "household-total").unwrap(), "3");
    assert!(html.contains("巡场镇"), "township filter options");
    let html = web
        .get(app.url("/households?division=511526101000"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(element_text(&html, "household-total").unwrap(), "1");
    let res = web
        .get(app.url(&format!("/households/{lingwu}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    app.cleanup().await;
}

#[tokio::test]
async fn household_list_paginates() {
    let app = spawn_app().await;
    // 灵武市 has 36 villages with one demo household each; add enough for two pages
    let lw_village = "640181100200";
    for _ in 0..20 {
        register_household(&app.db, &system(), lw_village).await;
    }
    let web = app.logged_in(LW_ADMIN).await;
    let html = web
        .get(app.url("/households"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(element_text(&html, "household-total").unwrap(), "56");
    assert!(html.contains("第 1 / 2 页"));
    assert!(html.contains("href=\"/households?page=2\""));
    let html = web
        .get(app.url("/households?page=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("第 2 / 2 页"));
    assert_eq!(
        html.matches("<tr>").count(),
        1 + 6,
        "header row and 6 households"
    );
    app.cleanup().await;
}

/// Full identity numbers only for the roles that need them, and every view is recorded.
#[tokio::test]
async fn full_id_numbers_are_shown_only_on_request_and_recorded() {
    let app = crate::helpers::spawn_app().await;
    let hid = crate::helpers::register_household(
        &app.db,
        &crate::helpers::system(),
        crate::helpers::GX_OWN_VILLAGE,
    )
    .await;
    let h = app
        .db
        .store
        .household(&crate::helpers::system(), hid)
        .await
        .unwrap();
    let full = h.members[0].id_number.as_str().to_string();
    let cw = app.logged_in(crate::helpers::GX_CASEWORKER).await;
    let page = cw
        .get(app.url(&format!("/households/{hid}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains(&full), "masked by default");
    assert!(page.contains("id=\"reveal-form\""));
    let csrf = crate::helpers::hidden_field(&page, "csrf").unwrap();
    let res = cw
        .post(app.url(&format!("/households/{hid}/reveal")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("reason", "受理低保申请，核对身份"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains(&full), "shown on request");
    assert!(
        page.contains("查看完整身份证号码"),
        "the view is in the record"
    );
    let events = app
        .db
        .store
        .events_for(&crate::helpers::system(), &format!("household:{hid}"))
        .await
        .unwrap();
    let viewed: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "household.id_numbers_viewed")
        .collect();
    assert_eq!(viewed.len(), 1);
    assert_eq!(viewed[0].payload["reason"], "受理低保申请，核对身份");
    assert!(!viewed[0].payload.to_string().contains(&full));

    // A reviewer's work does not need them: no form, and a forged request is refused.
    let reviewer = app.logged_in("gongxian.reviewer").await;
    let page = reviewer
        .get(app.url(&format!("/households/{hid}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("id=\"reveal-form\""));
    let csrf = crate::helpers::hidden_field(&page, "csrf").unwrap();
    let res = reviewer
        .post(app.url(&format!("/households/{hid}/reveal")))
        .form(&[("csrf", csrf.as_str()), ("reason", "好奇")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(!res.text().await.unwrap().contains(&full));
    app.cleanup().await;
}
