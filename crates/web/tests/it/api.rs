//! Black-box tests of the HTTP API over a real server, on SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{
    Maker, TestApp, both_backends, issue_codes, register_maker, spawn_app, urlencode, verdict,
    with_check,
};

async fn maker(t: &TestApp, prefix: &str, name: &str) -> Maker {
    register_maker(t, prefix, name).await
}

async fn issue(t: &TestApp, m: &Maker, n: u64) -> Vec<String> {
    issue_codes(t, m, n).await
}

async fn scan_verdicts_follow_the_lifecycle(b: store::Backend) {
    let t = spawn_app(b).await;
    let m = maker(&t, "6901234", "Helmet maker").await;
    let codes = issue(&t, &m, 25).await;
    assert_eq!(codes.len(), 25);
    assert!(
        codes[0].starts_with(&format!("{}/01/{}/10/L1/21/", t.base, m.gtin)),
        "{}",
        codes[0]
    );

    // Issued but not released.
    assert_eq!(verdict(&t, &codes[0]).await["verdict"], "not_released");
    // Commission one item, then release the whole batch.
    let r = t
        .post(
            "/api/v1/steps",
            Some(&m.key),
            json!({"step": "commissioning", "items": [codes[0]], "site_gln": m.site_gln}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let event_id = r.json::<Value>().await.unwrap()["event_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        event_id.starts_with("ni:///sha-256;") && event_id.ends_with("?ver=CBV2.0"),
        "{event_id}"
    );
    let v = verdict(&t, &codes[0]).await;
    assert_eq!(v["verdict"], "genuine");
    assert_eq!(v["product"]["gtin"], m.gtin.as_str());
    assert_eq!(v["certificates"][0]["status"], "valid");
    assert_eq!(verdict(&t, &codes[1]).await["verdict"], "not_released");
    let r = t
        .post(
            &format!("/api/v1/batches/{}/release", m.batch_id),
            Some(&m.key),
            json!({"site_gln": m.site_gln}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(verdict(&t, &codes[1]).await["verdict"], "genuine");

    // A serial nobody issued: unknown, 200, and no product details.
    let fake = format!("{}/01/{}/10/L1/21/ZZZZZZZZZZZZZZZZZZ", t.base, m.gtin);
    let v = verdict(&t, &fake).await;
    assert_eq!(v["verdict"], "unknown");
    assert!(v["product"].is_null() && v["manufacturer"].is_null());
    // The right serial with the wrong lot on the label: suspicious.
    let relabelled = codes[2].replace("/10/L1/", "/10/L9/");
    assert_eq!(verdict(&t, &relabelled).await["verdict"], "suspicious");
    // Without the lot in the URI: still found.
    let no_lot = codes[2].replace("/10/L1", "");
    assert_eq!(verdict(&t, &no_lot).await["verdict"], "genuine");

    // Scrapping one item; recalling the batch.
    let r = t
        .post(
            "/api/v1/steps",
            Some(&m.key),
            json!({"step": "scrapping", "items": [codes[3]], "site_gln": m.site_gln}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(verdict(&t, &codes[3]).await["verdict"], "scrapped");
    let r = t
        .post(
            &format!("/api/v1/batches/{}/recall", m.batch_id),
            Some(&m.key),
            json!({"reason": "cracks"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v = verdict(&t, &codes[4]).await;
    assert_eq!(v["verdict"], "recalled");
    assert_eq!(v["batch"]["recall_reason"], "cracks");
    // Recalling twice is a conflict, not a second record.
    let r = t
        .post(
            &format!("/api/v1/batches/{}/recall", m.batch_id),
            Some(&m.key),
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // The item's history holds its own events and the batch-level ones.
    let r = t
        .get(
            &format!("/api/v1/items/history?code={}", urlencode(&codes[0])),
            Some(&m.key),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let h: Value = r.json().await.unwrap();
    let steps: Vec<&str> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["bizStep"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["commissioning", "commissioning", "holding"]);
}

async fn pages_speak_english_and_chinese(b: store::Backend) {
    let t = spawn_app(b).await;
    let m = maker(&t, "6901234", "Helmet maker").await;
    let codes = issue(&t, &m, 1).await;
    let r = t
        .post(
            &format!("/api/v1/batches/{}/release", m.batch_id),
            Some(&m.key),
            json!({"site_gln": m.site_gln}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let page = |lang: &'static str, uri: String| {
        let c = t.client.clone();
        async move {
            let r = c
                .get(uri)
                .header("accept", "text/html")
                .header("accept-language", lang)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
            r.text().await.unwrap()
        }
    };
    let en = page("en", codes[0].clone()).await;
    assert!(en.contains("<h1>Genuine</h1>"), "{en}");
    assert!(en.contains("lang=\"en\""));
    let zh = page("zh-CN,zh;q=0.9", codes[0].clone()).await;
    assert!(zh.contains("<h1>正品</h1>"), "{zh}");
    let switched = page("zh-CN", format!("{}?lang=en", codes[0])).await;
    assert!(switched.contains("<h1>Genuine</h1>"));
    let fake = page(
        "en",
        format!("{}/01/{}/21/ZZZZZZZZZZZZZZZZZZ", t.base, m.gtin),
    )
    .await;
    assert!(fake.contains("Unknown code"), "{fake}");
    // The home page form works without JavaScript.
    let form = t
        .client
        .get(t.url(&format!("/verify?code={}&lang=en", urlencode(&codes[0]))))
        .send()
        .await
        .unwrap();
    assert!(form.text().await.unwrap().contains("<h1>Genuine</h1>"));
}

async fn writes_need_a_key_and_stay_in_their_lane(b: store::Backend) {
    let t = spawn_app(b).await;
    let a = maker(&t, "6901234", "Maker A").await;
    let bm = maker(&t, "6921234", "Maker B").await;
    // Anonymous write: 401 problem.
    let r = t
        .post(
            &format!("/api/v1/batches/{}/codes", a.batch_id),
            None,
            json!({"count": 1}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // A wrong key is the same 401.
    let r = t
        .post(
            &format!("/api/v1/batches/{}/codes", a.batch_id),
            Some("ppt_0123456789abcdef_00"),
            json!({"count": 1}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Manufacturer B on A's batch: 403, for issuing, exporting and recalling.
    let r = t
        .post(
            &format!("/api/v1/batches/{}/codes", a.batch_id),
            Some(&bm.key),
            json!({"count": 1}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["status"], 403);
    let r = t
        .get(
            &format!("/api/v1/batches/{}/codes.csv", a.batch_id),
            Some(&bm.key),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = t
        .post(
            &format!("/api/v1/batches/{}/recall", a.batch_id),
            Some(&bm.key),
            json!({"reason": "sabotage"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // B cannot register a product under A's prefix, nor an organization.
    let r = t
        .post("/api/v1/products", Some(&bm.key), json!({"gtin": with_check("06901234000099"[..13].as_ref()), "name": "x", "category": "head", "standard": "s"}))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "gtin");
    let r = t
        .post(
            "/api/v1/organizations",
            Some(&bm.key),
            json!({"name": "x", "roles": []}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Nothing of that reached A's batch.
    assert_eq!(t.app.store.count_codes(a.batch_id).await.unwrap(), 0);
}

async fn bad_input_is_a_problem_naming_the_field(b: store::Backend) {
    let t = spawn_app(b).await;
    let m = maker(&t, "6901234", "Maker").await;
    let log_before = t.app.store.log_size().await.unwrap();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/api/v1/products",
            json!({"gtin": "06901234000012", "name": "x", "category": "head", "standard": "s"}),
            "gtin",
        ),
        (
            "/api/v1/products",
            json!({"gtin": m.gtin, "name": "x", "category": "feet", "standard": "s"}),
            "category",
        ),
        (
            "/api/v1/products",
            json!({"gtin": m.gtin, "name": "x", "category": "head"}),
            "body",
        ),
        (
            "/api/v1/batches",
            json!({"gtin": m.gtin, "lot": "L 1\u{7}"}),
            "lot",
        ),
        (
            "/api/v1/certificates",
            json!({"gtin": m.gtin, "kind": "la_mark", "number": "2301000042", "issuer": "x", "valid_from": "2025-01-01", "valid_until": "2026-01-01"}),
            "number",
        ),
        (
            "/api/v1/certificates",
            json!({"gtin": m.gtin, "kind": "la_mark", "number": "23-01-000043", "issuer": "x", "valid_from": "2025-01-01", "valid_until": "2030-01-01"}),
            "valid_until",
        ),
        (
            "/api/v1/steps",
            json!({"step": "teleporting", "items": ["x"], "site_gln": m.site_gln}),
            "step",
        ),
        (
            "/api/v1/steps",
            json!({"step": "shipping", "items": ["(01)00000000000000(21)1"], "site_gln": m.site_gln}),
            "items[0]",
        ),
    ];
    for (path, body, field) in cases {
        let r = t.post(path, Some(&m.key), body.clone()).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path} {body}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["field"], field, "{path} {body}: {p}");
        assert!(!p["detail"].as_str().unwrap().is_empty());
    }
    // Malformed JSON, wrong content type, oversized body, unknown ids, bad ids.
    let r = t
        .client
        .post(t.url("/api/v1/batches"))
        .bearer_auth(&m.key)
        .header("content-type", "application/json")
        .body("{\"gtin\":")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json::<Value>().await.unwrap()["type"],
        "https://ppetrace.org/problems/malformed-json"
    );
    let r = t
        .client
        .post(t.url("/api/v1/batches"))
        .bearer_auth(&m.key)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = format!("{{\"gtin\":\"{}\"}}", "9".repeat(2 << 20));
    // A client of its own: the server answers 413 without reading the rest of the
    // body and then closes that connection, which the shared client's pool could
    // otherwise hand to the next request just as it closes (a flaky
    // `IncompleteMessage` on the request after this one).
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/batches"))
        .bearer_auth(&m.key)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = t.get("/api/v1/organizations/999999", None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = t.get("/api/v1/organizations/abc", None).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = t.get("/no/such/route", None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = t
        .client
        .delete(t.url("/api/v1/products"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    // A malformed code at the resolver: 400 problem (JSON) or a 400 page (HTML).
    let r = t
        .client
        .get(t.url(&format!("/01/{}/21/a%20b", m.gtin)))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "serial");
    // None of it was written.
    assert_eq!(t.app.store.log_size().await.unwrap(), log_before);
}

both_backends!(
    scan_verdicts_follow_the_lifecycle,
    pages_speak_english_and_chinese,
    writes_need_a_key_and_stay_in_their_lane,
    bad_input_is_a_problem_naming_the_field,
);
