//! 行政文书 as PDF from a case: issued once with the issuer's next 文号, archived byte for
//! byte with its SHA-256 in the event log, downloaded again unchanged, scoped like the case;
//! from the case page (form with CSRF, then the download) and from the JSON API.

use reqwest::StatusCode;
use serde_json::Value;

use crate::case_api::{Staff, apply, key, staff};
use crate::helpers::{
    GX_CASEWORKER, GX_OWN_VILLAGE, TestApp, client, hidden_field, register_household, spawn_app,
    system,
};

/// The text of every page of a PDF, whitespace removed (layout splits runs as it likes).
pub fn pdf_text(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("a readable PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).expect("text can be extracted");
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// `POST /api/v1/cases/{id}/documents/{kind}`: status and the document's JSON.
pub async fn issue(app: &TestApp, who: &Staff, case: i64, kind: &str) -> (StatusCode, Value) {
    let res = client()
        .post(app.url(&format!("/api/v1/cases/{case}/documents/{kind}")))
        .bearer_auth(&who.token)
        .header("Idempotency-Key", key())
        .send()
        .await
        .expect("POST");
    let status = res.status();
    (status, res.json().await.expect("JSON body"))
}

/// `GET` of an archived PDF: its bytes, after checking the type and the SHA-256 header.
pub async fn download(app: &TestApp, who: &Staff, doc: &Value) -> Vec<u8> {
    let res = client()
        .get(app.url(doc["href"].as_str().expect("href")))
        .bearer_auth(&who.token)
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(
        res.headers()["x-content-sha256"].to_str().unwrap(),
        doc["sha256"].as_str().unwrap()
    );
    let bytes = res.bytes().await.expect("body").to_vec();
    assert_eq!(
        jiuzhu_store::event::sha256_hex(&bytes),
        doc["sha256"].as_str().unwrap(),
        "the archived bytes are the ones whose hash was recorded"
    );
    bytes
}

#[tokio::test]
async fn the_one_time_notice_is_issued_once_from_the_case_page_and_archived() {
    let app = spawn_app().await;
    let household = register_household(&app.db, &system(), GX_OWN_VILLAGE).await;
    let cw = staff(&app, GX_CASEWORKER).await;
    // Only the application form: the one-time notice lists the three other 低保 materials.
    let (id, stage) = apply(
        &app,
        &cw,
        "2026-10-12T09:00:00",
        "dibao",
        GX_OWN_VILLAGE,
        household,
        &["application_form"],
    )
    .await;
    assert_eq!(stage, "awaiting_materials");

    let web = app.logged_in(GX_CASEWORKER).await;
    let html = web
        .get(app.url(&format!("/cases/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"doc-missing_materials_notice\""),
        "{html}"
    );
    assert!(html.contains("签发并下载"), "{html}");
    assert!(
        !html.contains("doc-application_review_form"),
        "no decision yet, no review form"
    );
    let csrf = hidden_field(&html, "csrf").expect("csrf");
    let path = format!("/cases/{id}/documents/missing_materials_notice");
    // Without the session's token nothing is issued.
    let res = web
        .post(app.url(&path))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = web
        .post(app.url(&path))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/documents/"), "{location}");
    let res = web.get(app.url(&location)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let first = res.bytes().await.unwrap().to_vec();
    let text = pdf_text(&first);
    for expected in [
        "一次性告知书",
        "张某测",
        "最低生活保障",
        "家庭经济状况核对授权书",
        "珙县珙泉镇人民政府",
        "珙泉民救〔2026〕1号",
        "珙泉镇便民服务中心社会救助窗口",
    ] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }
    // Issuing again gives the archived document: same id, same bytes, no new number.
    let res = web
        .post(app.url(&path))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"].to_str().unwrap(), location);
    let again = web
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(again.to_vec(), first);

    // The case page lists the 文号 and the hash; the timeline has the issue.
    let html = web
        .get(app.url(&format!("/cases/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("珙泉民救〔2026〕1号"), "{html}");
    assert!(html.contains(&format!("href=\"{location}\"")), "{html}");
    assert!(html.contains("签发文书（归档）"), "{html}");
    let sha = jiuzhu_store::event::sha256_hex(&first);
    assert!(html.contains(&sha), "the page shows the archived hash");

    // The API agrees, and the event log holds the hash.
    let (status, list) =
        crate::case_api::get(&app, &cw.token, &format!("/api/v1/cases/{id}/documents")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["archived"].as_array().unwrap().len(), 1);
    let doc = &list["archived"][0];
    assert_eq!(doc["number"], "珙泉民救〔2026〕1号");
    assert_eq!(doc["sha256"], sha.as_str());
    assert_eq!(list["offered"][0]["issued"]["id"], doc["id"]);
    let doc_id = doc["id"].as_i64().unwrap();
    let events = app
        .db
        .store
        .events_for(
            &app.actor(GX_CASEWORKER).await,
            &format!("document:{doc_id}"),
        )
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].payload["sha256"], sha.as_str());
    assert_eq!(download(&app, &cw, doc).await, first);

    // Another township's caseworker (巡场镇) sees neither the document nor the case.
    let other = crate::case_api::create_user(
        &app,
        "xunchang.cw",
        jiuzhu_domain::Role::TownshipCaseworker,
        "511526101000",
    )
    .await;
    let res = client()
        .get(app.url(&format!("/api/v1/documents/{doc_id}")))
        .bearer_auth(&other.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (status, body) = issue(&app, &other, id, "missing_materials_notice").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // A document the case does not offer yet, and a kind that does not exist.
    let (status, body) = issue(&app, &cw, id, "refusal_notice").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "document_not_offered");
    let (status, _) = issue(&app, &cw, id, "birth_certificate").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A verifier reads cases but does not issue documents.
    let verifier = staff(&app, "gongxian.verifier").await;
    let (status, body) = issue(&app, &verifier, id, "missing_materials_notice").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the archived one is returned: {body}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn the_grant_letter_and_the_townships_notice_list() {
    use crate::case_api::{check_passed, home_visit, review_approve, simple, step};
    let app = spawn_app().await;
    // 授权书: the county admin issues it from the grants page; the township reads it.
    let admin = app.logged_in(crate::helpers::GX_ADMIN).await;
    let html = admin
        .get(app.url("/grants"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_field(&html, "csrf").unwrap();
    let cw_staff = staff(&app, GX_CASEWORKER).await;
    let grants = app
        .db
        .store
        .grants(&app.actor(GX_CASEWORKER).await, None, None)
        .await
        .unwrap();
    let grant = grants.first().expect("the demo grants 珙泉镇 programs");
    let res = admin
        .post(app.url(&format!("/grants/{}/letter", grant.id)))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let cw = app.logged_in(GX_CASEWORKER).await;
    let res = cw.get(app.url(&location)).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the township reads its letter"
    );
    let text = pdf_text(&res.bytes().await.unwrap());
    for expected in [
        "授权书",
        "珙县民政局",
        "珙民救〔",
        "珙县珙泉镇人民政府",
        grant.program.name_zh(),
    ] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }
    let html = cw
        .get(app.url("/grants"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("href=\"{location}\"")), "{html}");
    let cw_csrf = hidden_field(&html, "csrf").unwrap();
    let other = grants
        .iter()
        .find(|g| g.id != grant.id)
        .expect("a second grant");
    let res = cw
        .post(app.url(&format!("/grants/{}/letter", other.id)))
        .form(&[("csrf", cw_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "only the county issues a 授权书"
    );

    // 公示名单: a case on notice in the township, listed with the full name for staff and
    // printed with the given name masked.
    let household = register_household(&app.db, &system(), GX_OWN_VILLAGE).await;
    let (id, _) = apply(
        &app,
        &cw_staff,
        "2026-10-12T09:00:00",
        "dibao",
        GX_OWN_VILLAGE,
        household,
        &[
            "application_form",
            "verification_authorization",
            "integrity_statement",
            "identity_documents",
        ],
    )
    .await;
    let verifier = staff(&app, "gongxian.verifier").await;
    let reviewer = staff(&app, "gongxian.reviewer").await;
    let assistant = staff(&app, "gongxian.assistant").await;
    step(
        &app,
        &cw_staff,
        id,
        "2026-10-12T10:00:00",
        simple("request_check"),
    )
    .await;
    step(&app, &verifier, id, "2026-10-13T10:00:00", check_passed()).await;
    step(
        &app,
        &cw_staff,
        id,
        "2026-10-14T10:00:00",
        home_visit(&[cw_staff.id, assistant.id], "家庭收入低于当地低保标准"),
    )
    .await;
    step(
        &app,
        &reviewer,
        id,
        "2026-10-15T10:00:00",
        review_approve(30000),
    )
    .await;
    let stage = step(
        &app,
        &cw_staff,
        id,
        "2026-10-15T15:00:00",
        simple("post_notice"),
    )
    .await;
    assert_eq!(stage, "notice");
    let html = cw
        .get(app.url("/notice-list"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("/cases/{id}")), "{html}");
    assert!(html.contains("张某测"), "staff see the full name");
    let res = cw
        .post(app.url("/notice-list"))
        .form(&[("csrf", cw_csrf.as_str()), ("township", "511526100000")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let bytes = cw
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let text = pdf_text(&bytes);
    for expected in ["公示名单", "张**", "最低生活保障", "300.00", "珙泉民救〔"] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }
    assert!(!text.contains("张某测"), "the list masks the given name");
    // The same set of cases again: the archived list.
    let res = cw
        .post(app.url("/notice-list"))
        .form(&[("csrf", cw_csrf.as_str()), ("township", "511526100000")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"].to_str().unwrap(), location);
    // The county admin picks a township; another county's admin sees none of 珙县's.
    let html = admin
        .get(app.url("/notice-list?township=511526100000"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("/cases/{id}")));
    assert!(html.contains(&format!("href=\"{location}\"")));
    let lw = app.logged_in(crate::helpers::LW_ADMIN).await;
    let html = lw
        .get(app.url("/notice-list?township=511526100000"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(&format!("/cases/{id}")));
    assert!(html.contains("请选择乡镇"));
    app.cleanup().await;
}
