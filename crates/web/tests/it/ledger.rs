//! The employer's PPE ledger through the API, on SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{TestApp, both_backends, register_org, register_site, spawn_app, with_check};

const CTX: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

struct World {
    t: TestApp,
    maker: String,
    harness_batch: i64,
    harness_gtin: String,
    employer: String,
    site: String,
    other: String,
    other_site: String,
    items: Vec<String>,
    carton: String,
}

async fn created(r: reqwest::Response, what: &str) -> Value {
    let s = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(s, StatusCode::CREATED, "{what}: {body}");
    body
}

async fn ok(r: reqwest::Response, what: &str) -> Value {
    let s = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(s, StatusCode::OK, "{what}: {body}");
    body
}

/// A harness maker with a released batch of 4 items, 3 of them packed in a carton;
/// two employers with one site each.
async fn world(b: store::Backend) -> World {
    let t = spawn_app(b).await;
    let (maker_org, maker) = register_org(
        &t,
        "Acme Harness",
        &["manufacturer"],
        &with_check("690123400000"),
        &["6901234"],
    )
    .await;
    let factory = with_check("690123400001");
    register_site(&t, maker_org, &maker, &factory, "Anshan", 41.1, 122.99).await;
    let gtin = with_check("0690123400002");
    created(
        t.post(
            "/api/v1/products",
            Some(&maker),
            json!({
                "gtin": gtin, "name": "Full-body harness", "category": "fall_protection",
                "standard": "GB 6095-2021", "service_life_months": 60
            }),
        )
        .await,
        "product",
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    let batch = created(
        t.post(
            "/api/v1/batches",
            Some(&maker),
            json!({"gtin": gtin, "lot": "H1", "production_date": today.to_string()}),
        )
        .await,
        "batch",
    )
    .await["id"]
        .as_i64()
        .unwrap();
    created(
        t.post(
            &format!("/api/v1/batches/{batch}/codes"),
            Some(&maker),
            json!({"count": 4}),
        )
        .await,
        "codes",
    )
    .await;
    let csv = t
        .get(&format!("/api/v1/batches/{batch}/codes.csv"), Some(&maker))
        .await
        .text()
        .await
        .unwrap();
    let items: Vec<String> = csv.lines().skip(1).map(String::from).collect();
    assert_eq!(items.len(), 4);
    created(
        t.post(
            &format!("/api/v1/batches/{batch}/release"),
            Some(&maker),
            json!({"site_gln": factory}),
        )
        .await,
        "release",
    )
    .await;
    // Pack three items into a carton (EPCIS AggregationEvent).
    let sscc = with_check("06901234000000001");
    let carton = format!("https://id.gs1.org/00/{sscc}");
    let children: Vec<Value> = items[..3]
        .iter()
        .map(|u| {
            let serial = u.rsplit('/').next().unwrap();
            json!(format!("https://id.gs1.org/01/{gtin}/21/{serial}"))
        })
        .collect();
    let ev = json!({"@context": [CTX], "type": "AggregationEvent",
        "eventTime": "2026-01-05T08:00:00Z", "eventTimeZoneOffset": "+08:00",
        "parentID": carton, "childEPCs": children, "action": "ADD", "bizStep": "packing",
        "disposition": "in_progress", "bizLocation": {"id": format!("https://id.gs1.org/414/{factory}")}});
    let r = t
        .client
        .post(t.url("/events"))
        .bearer_auth(&maker)
        .header("content-type", "application/ld+json")
        .body(ev.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let (emp_org, employer) = register_org(
        &t,
        "Steelworks",
        &["employer"],
        &with_check("690555500000"),
        &[],
    )
    .await;
    let site = with_check("690555500001");
    register_site(&t, emp_org, &employer, &site, "Tangshan", 39.6, 118.2).await;
    let (other_org, other) = register_org(
        &t,
        "Shipyard",
        &["employer"],
        &with_check("690666600000"),
        &[],
    )
    .await;
    let other_site = with_check("690666600001");
    register_site(&t, other_org, &other, &other_site, "Dalian", 38.9, 121.6).await;
    World {
        t,
        maker,
        harness_batch: batch,
        harness_gtin: gtin,
        employer,
        site,
        other,
        other_site,
        items,
        carton,
    }
}

fn id_of(v: &Value) -> i64 {
    v["id"].as_i64().expect("item id")
}

async fn refused(r: reqwest::Response, reason: &str) {
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("cannot be issued: {reason}")),
        "{detail}"
    );
}

async fn carton_scenario(b: store::Backend) {
    let w = world(b).await;
    let t = &w.t;
    let k = Some(w.employer.as_str());
    // Receive the carton: it expands to its three items, all verified genuine.
    let receipt = created(
        t.post(
            "/api/v1/ledger/receipts",
            k,
            json!({"site_gln": w.site, "items": [w.carton]}),
        )
        .await,
        "receipt",
    )
    .await;
    let received = receipt["received"].as_array().unwrap().clone();
    assert_eq!(received.len(), 3, "{receipt}");
    assert!(receipt["quarantined"].as_array().unwrap().is_empty());
    assert!(received.iter().all(|i| i["state"] == "received"));
    let (a, b2, c) = (
        id_of(&received[0]),
        id_of(&received[1]),
        id_of(&received[2]),
    );
    // Receiving the same carton again is a conflict, not a second copy.
    let r = t
        .post(
            "/api/v1/ledger/receipts",
            k,
            json!({"site_gln": w.site, "items": [w.carton]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // Workers: pseudonymous codes; national identity numbers are refused.
    let r = t
        .post(
            "/api/v1/ledger/workers",
            k,
            json!({"code": "11010519491231002X", "name": "Zhang"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    created(
        t.post(
            "/api/v1/ledger/workers",
            k,
            json!({"code": "W-0042", "name": "张三"}),
        )
        .await,
        "worker",
    )
    .await;

    // Not accepted yet: refused.
    refused(
        t.post(
            &format!("/api/v1/ledger/items/{a}/issue"),
            k,
            json!({"worker": "W-0042"}),
        )
        .await,
        "not_accepted",
    )
    .await;
    for id in [a, b2, c] {
        let v = ok(
            t.post(&format!("/api/v1/ledger/items/{id}/accept"), k, json!({}))
                .await,
            "accept",
        )
        .await;
        assert_eq!(v["state"], "in_stock");
        // Fall protection: next periodic inspection 12 months after acceptance.
        let accepted = v["accepted_on"].as_str().unwrap();
        let next = v["next_inspection"].as_str().unwrap();
        assert_eq!(
            &next[..4],
            (accepted[..4].parse::<i32>().unwrap() + 1).to_string()
        );
    }
    let stock = ok(
        t.get(&format!("/api/v1/ledger/stock?site={}", w.site), k)
            .await,
        "stock",
    )
    .await;
    assert_eq!(stock["lines"][0]["counts"]["in_stock"], 3);

    // Issue, inspect (pass), fail an inspection: withdrawn at once.
    let v = ok(
        t.post(
            &format!("/api/v1/ledger/items/{a}/issue"),
            k,
            json!({"worker": "W-0042"}),
        )
        .await,
        "issue",
    )
    .await;
    assert_eq!(v["state"], "issued");
    assert_eq!(v["worker"]["code"], "W-0042");
    let v = created(
        t.post(
            &format!("/api/v1/ledger/items/{a}/inspections"),
            k,
            json!({"result": "pass"}),
        )
        .await,
        "inspection",
    )
    .await;
    assert_eq!(v["state"], "issued");
    let v = created(
        t.post(
            &format!("/api/v1/ledger/items/{a}/inspections"),
            k,
            json!({"result": "fail", "note": "webbing cut"}),
        )
        .await,
        "failed inspection",
    )
    .await;
    assert_eq!(v["state"], "withdrawn");
    refused(
        t.post(
            &format!("/api/v1/ledger/items/{a}/issue"),
            k,
            json!({"worker": "W-0042"}),
        )
        .await,
        "withdrawn",
    )
    .await;
    // Replace: the worker gets item b.
    let v = ok(
        t.post(
            &format!("/api/v1/ledger/items/{a}/replace"),
            k,
            json!({"new_item": b2}),
        )
        .await,
        "replace",
    )
    .await;
    assert_eq!(v["issued"]["id"], b2);
    assert_eq!(v["issued"]["worker"]["code"], "W-0042");
    // Scrap the withdrawn item; it can never be issued, and its code says so publicly.
    let v = ok(
        t.post(
            &format!("/api/v1/ledger/items/{a}/scrap"),
            k,
            json!({"reason": "failed inspection: webbing cut"}),
        )
        .await,
        "scrap",
    )
    .await;
    assert_eq!(v["state"], "scrapped");
    refused(
        t.post(
            &format!("/api/v1/ledger/items/{a}/issue"),
            k,
            json!({"worker": "W-0042"}),
        )
        .await,
        "scrapped",
    )
    .await;
    let item_a = received[0]["item"].as_str().unwrap();
    let pub_answer = ok(
        t.get(
            &format!("/api/v1/status?code={}", testkit::urlencode(item_a)),
            None,
        )
        .await,
        "status",
    )
    .await;
    assert_eq!(pub_answer["verdict"], "scrapped");
    assert!(!pub_answer.to_string().contains("张三"));
    assert!(!pub_answer.to_string().contains("W-0042"));

    // Return and re-issue item b.
    let v = ok(
        t.post(&format!("/api/v1/ledger/items/{b2}/return"), k, json!({}))
            .await,
        "return",
    )
    .await;
    assert_eq!(v["state"], "in_stock");
    let v = ok(
        t.post(
            &format!("/api/v1/ledger/items/{b2}/issue"),
            k,
            json!({"worker": "W-0042"}),
        )
        .await,
        "re-issue",
    )
    .await;
    assert_eq!(v["state"], "issued");

    // Per-worker history.
    let h = ok(
        t.get("/api/v1/ledger/workers/W-0042/history", k).await,
        "history",
    )
    .await;
    assert_eq!(h["holding"].as_array().unwrap().len(), 1);
    assert_eq!(h["holding"][0]["id"], b2);
    let actions: Vec<&str> = h["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["issue", "issue", "return", "issue"]);

    // Due list: the periodic inspections fall about a year out.
    let due = ok(
        t.get(&format!("/api/v1/ledger/due?site={}&days=300", w.site), k)
            .await,
        "due",
    )
    .await;
    assert!(due["items"].as_array().unwrap().is_empty(), "{due}");
    let due = ok(
        t.get(&format!("/api/v1/ledger/due?site={}&days=400", w.site), k)
            .await,
        "due",
    )
    .await;
    let due_ids: Vec<i64> = due["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["item"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(due_ids, vec![b2, c]);
    assert_eq!(due["items"][0]["due"][0]["kind"], "inspection");

    // The CSV ledger shows it all.
    let r = t
        .get(&format!("/api/v1/ledger/export.csv?site={}", w.site), k)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "item,model,standard,batch,received,accepted,issued to,issued on,due,inspections,scrapped,reason"
        )
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3);
    let row_a = rows.iter().find(|r| r.starts_with(item_a)).unwrap();
    assert!(
        row_a.contains("Full-body harness,GB 6095-2021,H1,"),
        "{row_a}"
    );
    assert!(row_a.contains("W-0042 张三"), "{row_a}");
    assert!(row_a.contains(" pass; "), "{row_a}");
    assert!(row_a.contains(" fail: webbing cut"), "{row_a}");
    assert!(row_a.ends_with("failed inspection: webbing cut"), "{row_a}");

    // Privacy: the manufacturer sees the events of its items with the pseudonym only.
    let events = t
        .get(
            &format!(
                "/events?EQ_bizStep={}",
                testkit::urlencode("https://ppetrace.org/voc/bizstep/issuing")
            ),
            Some(&w.maker),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(events.contains("W-0042"), "{events}");
    assert!(!events.contains("张三"));

    // A recall after acceptance: item c is refused with the reason.
    created(
        t.post(
            &format!("/api/v1/batches/{}/recall", w.harness_batch),
            Some(&w.maker),
            json!({"reason": "buckle may open"}),
        )
        .await,
        "recall",
    )
    .await;
    refused(
        t.post(
            &format!("/api/v1/ledger/items/{c}/issue"),
            k,
            json!({"worker": "W-0042"}),
        )
        .await,
        "recalled",
    )
    .await;
}

async fn counterfeit_and_recalled_items_are_quarantined_with_an_alert(b: store::Backend) {
    let w = world(b).await;
    let t = &w.t;
    let k = Some(w.employer.as_str());
    let fake = format!("https://id.gs1.org/01/{}/21/FAKE0001", w.harness_gtin);
    let receipt = created(
        t.post(
            "/api/v1/ledger/receipts",
            k,
            json!({"site_gln": w.site, "items": [fake, w.items[3]]}),
        )
        .await,
        "receipt",
    )
    .await;
    let q = receipt["quarantined"].as_array().unwrap();
    assert_eq!(q.len(), 1, "{receipt}");
    assert_eq!(q[0]["hold"], "counterfeit");
    assert_eq!(q[0]["state"], "quarantined");
    assert_eq!(receipt["alerts"], 1);
    let fake_id = id_of(&q[0]);
    created(
        t.post(
            "/api/v1/ledger/workers",
            k,
            json!({"code": "W-7", "name": "Li Si"}),
        )
        .await,
        "worker",
    )
    .await;
    refused(
        t.post(
            &format!("/api/v1/ledger/items/{fake_id}/issue"),
            k,
            json!({"worker": "W-7"}),
        )
        .await,
        "counterfeit",
    )
    .await;
    let alerts = ok(t.get("/api/v1/alerts", Some(&w.maker)).await, "alerts").await;
    assert!(
        alerts.to_string().contains("receipt_counterfeit"),
        "{alerts}"
    );
    // A recalled batch: items received afterwards are quarantined as recalled.
    created(
        t.post(
            &format!("/api/v1/batches/{}/recall", w.harness_batch),
            Some(&w.maker),
            json!({"reason": "buckle may open"}),
        )
        .await,
        "recall",
    )
    .await;
    let receipt = created(
        t.post(
            "/api/v1/ledger/receipts",
            k,
            json!({"site_gln": w.site, "items": [w.carton]}),
        )
        .await,
        "receipt",
    )
    .await;
    let q = receipt["quarantined"].as_array().unwrap();
    assert_eq!(q.len(), 3);
    assert!(q.iter().all(|i| i["hold"] == "recalled"));
    refused(
        t.post(
            &format!("/api/v1/ledger/items/{}/issue", id_of(&q[0])),
            k,
            json!({"worker": "W-7"}),
        )
        .await,
        "recalled",
    )
    .await;
}

async fn only_the_owning_employer_may_touch_its_ledger(b: store::Backend) {
    let w = world(b).await;
    let t = &w.t;
    let k = Some(w.employer.as_str());
    let receipt = created(
        t.post(
            "/api/v1/ledger/receipts",
            k,
            json!({"site_gln": w.site, "items": [w.items[3]]}),
        )
        .await,
        "receipt",
    )
    .await;
    let id = id_of(&receipt["received"][0]);
    created(
        t.post(
            "/api/v1/ledger/workers",
            k,
            json!({"code": "W-1", "name": "王五"}),
        )
        .await,
        "worker",
    )
    .await;
    // No key: 401 problem.
    let r = t
        .post(
            "/api/v1/ledger/receipts",
            None,
            json!({"site_gln": w.site, "items": [w.items[3]]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = t.get("/api/v1/ledger/workers", None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Another employer: 403 on the first one's site and items; its own lists are empty.
    let o = Some(w.other.as_str());
    let r = t
        .post(
            "/api/v1/ledger/receipts",
            o,
            json!({"site_gln": w.site, "items": [w.items[3]]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    for path in [
        format!("/api/v1/ledger/items/{id}"),
        format!("/api/v1/ledger/due?site={}&days=30", w.site),
        format!("/api/v1/ledger/stock?site={}", w.site),
    ] {
        let r = t.get(&path, o).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    let r = t
        .post(&format!("/api/v1/ledger/items/{id}/accept"), o, json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = t.get("/api/v1/ledger/workers/W-1", o).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let list = ok(t.get("/api/v1/ledger/workers", o).await, "workers").await;
    assert_eq!(list, json!([]));
    let csv = t
        .get("/api/v1/ledger/export.csv", o)
        .await
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("王五") && csv.lines().count() == 1, "{csv}");
    // The manufacturer and the platform administrator are not employers of this ledger.
    let r = t
        .get(&format!("/api/v1/ledger/items/{id}"), Some(&w.maker))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = t.get("/api/v1/ledger/workers", Some(&t.admin_key)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The other employer's own site works for it.
    let r = t
        .get(
            &format!("/api/v1/ledger/due?site={}&days=30", w.other_site),
            o,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // Bad input: 400 problems naming the field.
    let r = t
        .get(&format!("/api/v1/ledger/due?site={}&days=-3", w.site), k)
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "days");
    let r = t
        .post(
            &format!("/api/v1/ledger/items/{id}/inspections"),
            k,
            json!({"result": "meh"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = t
        .post(
            "/api/v1/ledger/receipts",
            k,
            json!({"site_gln": w.site, "items": ["not a code"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "items[0]");
}

both_backends!(
    carton_scenario,
    counterfeit_and_recalled_items_are_quarantined_with_an_alert,
    only_the_owning_employer_may_touch_its_ledger,
);
