use serde_json::{Value, json};

use crate::helpers::{GX_CASEWORKER, GX_OWN_VILLAGE, client, fresh_id, spawn_app, system};

#[tokio::test]
async fn an_api_registration_is_on_an_unbroken_audit_chain() {
    let app = spawn_app().await;
    let token = app.token(GX_CASEWORKER).await;
    let res = client()
        .post(app.url("/api/v1/households"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "audit-1")
        .json(&json!({
            "division": GX_OWN_VILLAGE,
            "address": "鱼竹村5组1号",
            "members": [{ "name": "赵某明", "id_number": fresh_id().as_str(), "relation": "户主" }],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["household_id"]
        .as_i64()
        .unwrap();

    let report = app.db.store.verify_chain().await.unwrap();
    assert!(report.first_break.is_none(), "{:?}", report.first_break);
    assert!(report.events > 0);

    let events = app
        .db
        .store
        .events_for(&system(), &format!("household:{id}"))
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "household.registered");
    let actor = app.actor(GX_CASEWORKER).await;
    assert_eq!(
        events[0].actor,
        actor.audit_name(),
        "recorded as the caseworker"
    );
    assert_eq!(events[0].actor_role, "township_caseworker");

    // and the detail page shows it on the timeline, with the caseworker's name
    let web = app.logged_in(GX_CASEWORKER).await;
    let html = web
        .get(app.url(&format!("/households/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("登记家庭"));
    assert!(html.contains("gongxian.caseworker"));
    app.cleanup().await;
}
