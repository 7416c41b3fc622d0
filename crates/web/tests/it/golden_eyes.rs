//! Golden eyes: scan records, clone rules, alerts, status checks and signed answers,
//! through the real server on SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{
    TestApp, both_backends, issue_codes, register_maker, register_org, register_site, release,
    spawn_app, spawn_app_with, urlencode, verdict, with_check,
};

const WUHAN: (f64, f64) = (30.59, 114.30);
const URUMQI: (f64, f64) = (43.83, 87.62);

async fn scan_at(t: &TestApp, uri: &str, place: (f64, f64), city: &str) -> Value {
    let url = format!("{uri}?lat={}&lon={}&city={city}", place.0, place.1);
    verdict(t, &url).await
}

async fn alerts(t: &TestApp, key: &str) -> Vec<Value> {
    let r = t.get("/api/v1/alerts", Some(key)).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<Value>().await.unwrap()["alerts"]
        .as_array()
        .unwrap()
        .clone()
}

async fn a_buyer_scanning_again_is_not_a_clone_but_a_copy_far_away_is(b: store::Backend) {
    let t = spawn_app(b).await;
    let m = register_maker(&t, "6901234", "Maker").await;
    let codes = issue_codes(&t, &m, 3).await;
    release(&t, &m).await;
    // Four looks in one shop: genuine every time, and counted as one occasion.
    for _ in 0..4 {
        assert_eq!(
            scan_at(&t, &codes[0], WUHAN, "Wuhan").await["verdict"],
            "genuine"
        );
    }
    t.app.flush_scans().await;
    let v = scan_at(&t, &codes[0], WUHAN, "Wuhan").await;
    assert_eq!(v["verdict"], "genuine");
    assert_eq!(v["scans"]["earlier_lookups"], 1);
    assert_eq!(v["scans"]["places"][0], "Wuhan");
    assert!(
        alerts(&t, &m.key).await.is_empty(),
        "no alert for a repeat buyer"
    );
    // Minutes later the same code in Urumqi, 2,700 km away: one of them is a copy.
    t.app.flush_scans().await;
    let v = scan_at(&t, &codes[0], URUMQI, "Urumqi").await;
    assert_eq!(v["verdict"], "suspicious", "{v}");
    assert!(
        v["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "impossible_travel")
    );
    let a = alerts(&t, &m.key).await;
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["cause"], "impossible_travel");
    assert_eq!(a[0]["level"], "medium");
    // Another item of the batch is unaffected.
    assert_eq!(verdict(&t, &codes[1]).await["verdict"], "genuine");
}

async fn status_checks_record_nothing(b: store::Backend) {
    let t = spawn_app(b).await;
    let m = register_maker(&t, "6901234", "Maker").await;
    let codes = issue_codes(&t, &m, 1).await;
    release(&t, &m).await;
    let status = |c: String| {
        let t = &t;
        async move {
            let r = t
                .get(&format!("/api/v1/status?code={}", urlencode(&c)), None)
                .await;
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()
        }
    };
    for _ in 0..3 {
        assert_eq!(status(codes[0].clone()).await["verdict"], "genuine");
    }
    t.app.flush_scans().await;
    assert_eq!(
        status(codes[0].clone()).await["scans"]["earlier_lookups"],
        0
    );
    verdict(&t, &codes[0]).await;
    t.app.flush_scans().await;
    assert_eq!(
        status(codes[0].clone()).await["scans"]["earlier_lookups"],
        1
    );
}

async fn scrapped_items_and_double_receipts_raise_investigations(b: store::Backend) {
    let t = spawn_app(b).await;
    let m = register_maker(&t, "6901234", "Maker").await;
    let codes = issue_codes(&t, &m, 2).await;
    release(&t, &m).await;
    let (e1, k1) = register_org(
        &t,
        "Employer 1",
        &["employer"],
        &with_check("694123400000"),
        &[],
    )
    .await;
    let g1 = with_check("694123400001");
    register_site(&t, e1, &k1, &g1, "Wuhan", WUHAN.0, WUHAN.1).await;
    let (e2, k2) = register_org(
        &t,
        "Employer 2",
        &["employer"],
        &with_check("694223400000"),
        &[],
    )
    .await;
    let g2 = with_check("694223400001");
    register_site(&t, e2, &k2, &g2, "Wuhan", WUHAN.0, WUHAN.1).await;
    let step = |key: &str, step: &str, site: &str, item: &str| {
        let (t, key, body) = (
            &t,
            key.to_string(),
            json!({"step": step, "items": [item], "site_gln": site}),
        );
        async move {
            let r = t.post("/api/v1/steps", Some(&key), body).await;
            assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
        }
    };
    // Both employers receive the same item, with no shipment between them.
    step(&k1, "receiving", &g1, &codes[0]).await;
    assert!(
        alerts(&t, &m.key).await.is_empty(),
        "one receipt is the supply chain"
    );
    step(&k2, "receiving", &g2, &codes[0]).await;
    let a = alerts(&t, &m.key).await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(
        (a[0]["cause"].as_str(), a[0]["level"].as_str()),
        (Some("two_receivers"), Some("investigate"))
    );
    // Employer 1 scraps the other item; a later scan of it raises an investigation.
    step(&k1, "receiving", &g1, &codes[1]).await;
    step(&k1, "scrapping", &g1, &codes[1]).await;
    let v = verdict(&t, &codes[1]).await;
    assert_eq!(v["verdict"], "scrapped");
    assert!(
        v["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "scan_after_scrapping")
    );
    let causes: Vec<String> = alerts(&t, &m.key)
        .await
        .iter()
        .map(|a| a["cause"].as_str().unwrap().to_string())
        .collect();
    assert!(
        causes.contains(&"scan_after_scrapping".to_string()),
        "{causes:?}"
    );
    // Employers do not see alerts; another brand sees none of these.
    assert_eq!(
        t.get("/api/v1/alerts", Some(&k1)).await.status(),
        StatusCode::FORBIDDEN
    );
    let other = register_maker(&t, "6921234", "Other brand").await;
    assert!(alerts(&t, &other.key).await.is_empty());
}

async fn alerts_move_through_their_lifecycle(b: store::Backend) {
    let t = spawn_app(b).await;
    let m = register_maker(&t, "6901234", "Maker").await;
    let codes = issue_codes(&t, &m, 1).await;
    release(&t, &m).await;
    scan_at(&t, &codes[0], WUHAN, "Wuhan").await;
    t.app.flush_scans().await;
    scan_at(&t, &codes[0], URUMQI, "Urumqi").await;
    let id = alerts(&t, &m.key).await[0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/alerts/{id}");
    let r = t
        .post(&path, Some(&m.key), json!({"status": "closed"}))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "closing needs a resolution"
    );
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "resolution");
    let r = t
        .post(&path, Some(&m.key), json!({"status": "investigating"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = t
        .post(
            &path,
            Some(&m.key),
            json!({"status": "closed", "resolution": "process_error"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.unwrap()["resolution"],
        "process_error"
    );
    let r = t
        .post(&path, Some(&m.key), json!({"status": "investigating"}))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "a closed alert stays closed"
    );
    let counts: Value = t
        .get("/api/v1/alerts/counts", Some(&m.key))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(counts["counts"][0]["cause"], "impossible_travel");
    assert_eq!(counts["counts"][0]["resolution"], "process_error");
    // Another brand cannot touch it.
    let other = register_maker(&t, "6921234", "Other").await;
    assert_eq!(
        t.post(&path, Some(&other.key), json!({"status": "investigating"}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn answers_are_signed_with_the_published_key(b: store::Backend) {
    let t = spawn_app(b).await;
    let m = register_maker(&t, "6901234", "Maker").await;
    let codes = issue_codes(&t, &m, 1).await;
    let key = t
        .get("/.well-known/ppetrace-answer-key", None)
        .await
        .text()
        .await
        .unwrap();
    let key = key.trim();
    for accept in ["application/json", "text/html"] {
        let r = t
            .client
            .get(&codes[0])
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        let sig = r.headers()["ppe-signature"].to_str().unwrap().to_string();
        let body = r.bytes().await.unwrap().to_vec();
        assert!(app::scans::verify_answer(key, &body, &sig), "{accept}");
        let mut changed = body.clone();
        let i = changed.len() / 2;
        changed[i] ^= 0x01;
        assert!(
            !app::scans::verify_answer(key, &changed, &sig),
            "{accept}: one changed byte must fail"
        );
    }
    // An unknown code's answer is signed too.
    let fake = format!("{}/01/{}/21/ZZZZZZZZZZZZZZZZZZ", t.base, m.gtin);
    let r = t
        .client
        .get(&fake)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert!(r.headers().contains_key("ppe-signature"));
}

async fn public_lookups_are_rate_limited_per_client(b: store::Backend) {
    let web = web::WebConfig {
        rate_limit: Some(web::ratelimit::RateLimit {
            per_minute: 6,
            burst: 3,
            trust_forwarded_for: false,
        }),
        ..web::WebConfig::default()
    };
    let t = testkit::spawn_app_web(b, |a| a, web).await;
    let m = register_maker(&t, "6901234", "Maker").await;
    let codes = issue_codes(&t, &m, 1).await;
    for _ in 0..3 {
        verdict(&t, &codes[0]).await;
    }
    let r = t
        .client
        .get(&codes[0])
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // Known and unknown codes share the same budget: probing costs the same.
    let fake = format!("{}/01/{}/21/ZZZZZZZZZZZZZZZZZZ", t.base, m.gtin);
    assert_eq!(
        t.client.get(&fake).send().await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Authenticated API work is not a public look-up.
    assert_eq!(
        t.get(&format!("/api/v1/batches/{}", m.batch_id), None)
            .await
            .status(),
        StatusCode::OK
    );
}

/// A recall reaches the organizations holding the batch's items, found by forward
/// trace — including one that receives an item after the recall.
async fn recalls_notify_the_holders_found_by_forward_trace(b: store::Backend) {
    let t = spawn_app(b).await;
    let m = register_maker(&t, "6901234", "Maker").await;
    let codes = issue_codes(&t, &m, 3).await;
    release(&t, &m).await;
    let mut employers = Vec::new();
    for (name, body) in [("Holder", "69412340000"), ("Bystander", "69422340000")] {
        let (id, key) = register_org(
            &t,
            name,
            &["employer"],
            &with_check(&format!("{body}0")),
            &[],
        )
        .await;
        let gln = with_check(&format!("{body}1"));
        register_site(&t, id, &key, &gln, "Wuhan", WUHAN.0, WUHAN.1).await;
        employers.push((id, key, gln));
    }
    let receive = |key: &str, site: &str, item: &str| {
        let (t, key, body) = (
            &t,
            key.to_string(),
            json!({"step": "receiving", "items": [item], "site_gln": site}),
        );
        async move {
            let r = t.post("/api/v1/steps", Some(&key), body).await;
            assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
        }
    };
    let (holder, bystander) = (&employers[0], &employers[1]);
    receive(&holder.1, &holder.2, &codes[0]).await;

    let r = t
        .post(
            &format!("/api/v1/batches/{}/recall", m.batch_id),
            Some(&m.key),
            json!({"reason": "buckle fails load test"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let answer: Value = r.json().await.unwrap();
    let notified: Vec<i64> = answer["notified"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["org_id"].as_i64().unwrap())
        .collect();
    assert_eq!(notified, vec![holder.0]);

    let notices = |key: String| {
        let t = &t;
        async move {
            let r = t.get("/api/v1/recall-notices", Some(&key)).await;
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()["recall_notices"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let held = notices(holder.1.clone()).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["batch_id"], m.batch_id);
    assert_eq!(held[0]["reason"], "buckle fails load test");
    assert!(notices(bystander.1.clone()).await.is_empty());
    let own = notices(m.key.clone()).await;
    assert_eq!(own.len(), 1);
    assert!(
        own[0]["reached"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["org_id"] == holder.0)
    );
    // The recall is an EPCIS event the maker finds by query, reason included.
    let r = t.get("/events?EQ_disposition=recalled", Some(&m.key)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = r.json().await.unwrap();
    let list = doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(list.len(), 1, "{doc}");
    assert!(
        list[0].to_string().contains("buckle fails load test"),
        "{doc}"
    );
    // An item received after the recall notifies its new holder too.
    receive(&bystander.1, &bystander.2, &codes[1]).await;
    assert_eq!(notices(bystander.1.clone()).await.len(), 1);
    // Anonymous callers get nothing.
    assert_eq!(
        t.get("/api/v1/recall-notices", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// Scans the recorder has written so far.
fn recorded(t: &TestApp) -> u64 {
    t.app
        .scans
        .recorded
        .load(std::sync::atomic::Ordering::Relaxed)
}

/// An app whose scan recorder never flushes on its interval, adjusted by `scans`,
/// with one released code.
async fn one_code_with_scans(
    b: store::Backend,
    scans: impl FnOnce(&mut app::scans::ScanSettings),
) -> (TestApp, Vec<String>) {
    let t = spawn_app_with(b, |mut a| {
        let c = std::sync::Arc::make_mut(&mut a.config);
        c.scans.flush_interval = std::time::Duration::from_secs(3600);
        scans(&mut c.scans);
        a
    })
    .await;
    let m = register_maker(&t, "6901234", "Maker").await;
    let codes = issue_codes(&t, &m, 1).await;
    release(&t, &m).await;
    (t, codes)
}

/// A looked-up code's scans are written when a batch is full, without waiting for
/// the recorder's interval, and not before (nothing else flushes here).
async fn a_full_batch_of_scans_is_written_before_the_interval(b: store::Backend) {
    let (t, codes) = one_code_with_scans(b, |s| s.flush_batch = 3).await;
    for _ in 0..2 {
        assert_eq!(verdict(&t, &codes[0]).await["verdict"], "genuine");
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(recorded(&t), 0, "two scans wait for a full batch");
    assert_eq!(verdict(&t, &codes[0]).await["verdict"], "genuine");
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while recorded(&t) < 3 && std::time::Instant::now() < until {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(recorded(&t), 3, "the third scan filled the batch");
    assert_eq!(t.app.dropped_scans(), 0);
}

/// Under overload scans are dropped and counted; every look-up is still answered.
async fn a_full_scan_queue_drops_scans_not_requests(b: store::Backend) {
    let (t, codes) = one_code_with_scans(b, |s| s.queue_capacity = 2).await;
    for _ in 0..5 {
        assert_eq!(verdict(&t, &codes[0]).await["verdict"], "genuine");
    }
    assert_eq!(t.app.dropped_scans(), 3);
    t.app.flush_scans().await;
    assert_eq!(recorded(&t), 2);
    // The queue has room again.
    verdict(&t, &codes[0]).await;
    t.app.flush_scans().await;
    assert_eq!(t.app.dropped_scans(), 3);
    assert_eq!(recorded(&t), 3);
}

both_backends!(
    a_full_batch_of_scans_is_written_before_the_interval,
    a_full_scan_queue_drops_scans_not_requests,
    recalls_notify_the_holders_found_by_forward_trace,
    public_lookups_are_rate_limited_per_client,
    a_buyer_scanning_again_is_not_a_clone_but_a_copy_far_away_is,
    status_checks_record_nothing,
    scrapped_items_and_double_receipts_raise_investigations,
    alerts_move_through_their_lifecycle,
    answers_are_signed_with_the_published_key,
);
