//! The EPCIS 2.0 REST binding and traceability, black-box over a real server, on
//! SQLite and PostgreSQL.

use std::collections::HashSet;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{TestApp, both_backends, spawn_app, with_check};

const CTX: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// An organization with an API key.
async fn org(t: &TestApp, prefix: &str, roles: &[&str]) -> (i64, String) {
    let r = t
        .post("/api/v1/organizations", Some(&t.admin_key), json!({
            "name": format!("Org {prefix}"), "roles": roles, "gln": with_check(&format!("{prefix}00000")),
            "company_prefixes": [prefix]
        }))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/organizations/{id}/keys"),
            Some(&t.admin_key),
            json!({"label": "k"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    (
        id,
        r.json::<Value>().await.unwrap()["key"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

async fn site(t: &TestApp, org_id: i64, key: &str, gln: &str, name: &str) {
    let r = t
        .post(
            &format!("/api/v1/organizations/{org_id}/sites"),
            Some(key),
            json!({"gln": gln, "name": name, "city": "Shenyang"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
}

async fn post_raw(
    t: &TestApp,
    path: &str,
    key: Option<&str>,
    ct: &str,
    body: String,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut rb = t
        .client
        .post(t.url(path))
        .header("content-type", ct)
        .body(body);
    if let Some(k) = key {
        rb = rb.bearer_auth(k);
    }
    for (h, v) in extra {
        rb = rb.header(*h, *v);
    }
    rb.send().await.unwrap()
}

/// Captures a document and waits for its job to finish; returns the job.
async fn capture(t: &TestApp, key: &str, ct: &str, body: String, behaviour: Option<&str>) -> Value {
    let extra: Vec<(&str, &str)> = behaviour
        .map(|b| vec![("GS1-Capture-Error-Behaviour", b)])
        .unwrap_or_default();
    let r = post_raw(t, "/capture", Some(key), ct, body, &extra).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED, "{:?}", r.text().await);
    assert_eq!(r.headers()["gs1-epcis-version"], "2.0.0");
    assert!(r.headers().contains_key("gs1-epcis-capture-limit"));
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with("/capture/"));
    let start = Instant::now();
    loop {
        let j: Value = t.get(&loc, Some(key)).await.json().await.unwrap();
        if j["running"] == false {
            return j;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "capture job never finished"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn query(
    t: &TestApp,
    key: &str,
    path_and_query: &str,
) -> (StatusCode, Value, Option<String>) {
    let r = t.get(path_and_query, Some(key)).await;
    let s = r.status();
    let next = r
        .headers()
        .get("gs1-next-page-token")
        .map(|v| v.to_str().unwrap().to_string());
    (s, r.json().await.unwrap_or(Value::Null), next)
}

fn event_list(doc: &Value) -> Vec<Value> {
    doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn doc(events: Vec<Value>) -> String {
    json!({"@context": CTX, "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-03-01T08:00:00Z",
           "epcisBody": {"eventList": events}})
    .to_string()
}

fn object_event(time: &str, epcs: Vec<String>, step: &str, loc: Option<&str>) -> Value {
    let mut e = json!({"type": "ObjectEvent", "eventTime": time, "eventTimeZoneOffset": "+08:00",
        "epcList": epcs, "action": "OBSERVE", "bizStep": step});
    if let Some(l) = loc {
        e["bizLocation"] = json!({"id": l});
        e["readPoint"] = json!({"id": l});
    }
    e
}

fn sgtin(prefix: &str, serial: u64) -> String {
    format!("urn:epc:id:sgtin:{prefix}.000123.{serial}")
}

// ------------------------------------------------------------------ conformance

#[path = "../../../epcis/tests/support/examples.rs"]
mod support;
use support::examples;

/// Numbers as f64, single-string certificationInfo as a list, no `@context`.
fn normalise(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64().unwrap()),
        Value::Array(a) => Value::Array(a.iter().map(normalise).collect()),
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, x) in m {
                if k == "@context" {
                    continue;
                }
                let x = if k == "certificationInfo" && x.is_string() {
                    Value::Array(vec![x.clone()])
                } else {
                    x.clone()
                };
                out.insert(k.clone(), normalise(&x));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

async fn every_gs1_example_is_captured_and_queried_back(b: store::Backend) {
    let files = examples();
    assert!(
        files.len() >= 40,
        "expected the GS1 examples, found {}",
        files.len()
    );
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let input: Value = serde_json::from_str(&text).unwrap();
        let t = spawn_app(b).await;
        let (_, key) = org(&t, "6901234", &["manufacturer"]).await;
        let job = capture(&t, &key, "application/ld+json", text.clone(), None).await;
        assert_eq!(job["success"], true, "{}: {job}", f.display());
        let (s, out, _) = query(&t, &key, "/events?perPage=1000").await;
        assert_eq!(s, StatusCode::OK, "{}: {out}", f.display());
        assert_eq!(out["type"], "EPCISQueryDocument");
        let got = event_list(&out);
        let want = input["epcisBody"]["eventList"]
            .as_array()
            .or_else(|| input["epcisBody"]["queryResults"]["resultsBody"]["eventList"].as_array())
            .cloned()
            .unwrap();
        assert_eq!(got.len(), want.len(), "{}", f.display());
        // The job's receipt: one log entry per stored event, contiguous.
        let (first, last) = match job["logIndexes"]
            .as_str()
            .expect("logIndexes")
            .split_once('-')
        {
            Some((a, b)) => (a.parse::<usize>().unwrap(), b.parse::<usize>().unwrap()),
            None => {
                let a = job["logIndexes"]
                    .as_str()
                    .unwrap()
                    .parse::<usize>()
                    .unwrap();
                (a, a)
            }
        };
        assert_eq!(last + 1 - first, want.len(), "{}: {job}", f.display());
        for (g, w) in got.iter().zip(&want) {
            let mut g = g.clone();
            let m = g.as_object_mut().unwrap();
            assert!(m.contains_key("recordTime") && m.contains_key("eventID"));
            // recordTime is the repository's, whatever the document said.
            m.remove("recordTime");
            let mut w = w.clone();
            w.as_object_mut().unwrap().remove("recordTime");
            if w.get("eventID").is_none() {
                let id = m.remove("eventID").unwrap();
                assert!(id.as_str().unwrap().starts_with("ni:///sha-256;"));
            }
            assert_eq!(normalise(&g), normalise(&w), "{}", f.display());
        }
    }
}

// ------------------------------------------------------------------ capture

async fn capture_rules(b: store::Backend) {
    let t = spawn_app(b).await;
    let (_, key) = org(&t, "6901234", &["manufacturer"]).await;

    // Anonymous callers get 401 on capture and query.
    assert_eq!(
        post_raw(
            &t,
            "/capture",
            None,
            "application/ld+json",
            doc(vec![]),
            &[]
        )
        .await
        .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.get("/events", None).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Limits are advertised.
    let r = t
        .client
        .request(reqwest::Method::OPTIONS, t.url("/capture"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["gs1-epcis-capture-limit"], "10000");
    assert!(
        r.headers()
            .contains_key("gs1-epcis-capture-file-size-limit")
    );
    assert_eq!(r.headers()["gs1-cbv-version"], "2.0.0");

    // POST /events: 201, then 409 for the same event (same hash, other spelling).
    let e = object_event(
        "2025-03-01T09:00:00+08:00",
        vec![sgtin("6901234", 1)],
        "commissioning",
        None,
    );
    let mut body = e.clone();
    body["@context"] = json!(CTX);
    let r = post_raw(
        &t,
        "/events",
        Some(&key),
        "application/ld+json",
        body.to_string(),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with("/events/ni%3A"), "{loc}");
    let (s, one, _) = query(&t, &key, &loc).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(event_list(&one).len(), 1);
    let mut same = body.clone();
    same["epcList"] = json!(["https://id.gs1.org/01/06901234001235/21/1"]);
    same["bizStep"] = json!("https://ref.gs1.org/cbv/BizStep-commissioning");
    let r = post_raw(
        &t,
        "/events",
        Some(&key),
        "application/ld+json",
        same.to_string(),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // A corrective event (errorDeclaration) is not a duplicate.
    let mut corr = body.clone();
    corr["errorDeclaration"] =
        json!({"declarationTime": "2025-03-02T09:00:00+08:00", "reason": "incorrect_data"});
    let r = post_raw(
        &t,
        "/events",
        Some(&key),
        "application/ld+json",
        corr.to_string(),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let (_, errs, _) = query(&t, &key, "/events?EXISTS_errorDeclaration=true").await;
    assert_eq!(event_list(&errs).len(), 1);

    // Rollback (default): a document with one duplicate stores nothing.
    let fresh = object_event(
        "2025-03-01T10:00:00+08:00",
        vec![sgtin("6901234", 2)],
        "commissioning",
        None,
    );
    let job = capture(
        &t,
        &key,
        "application/ld+json",
        doc(vec![fresh.clone(), e.clone()]),
        None,
    )
    .await;
    assert_eq!(job["success"], false);
    assert_eq!(job["captureErrorBehaviour"], "rollback");
    assert_eq!(job["errors"][0]["eventIndex"], 1, "{job}");
    assert!(
        job.get("logIndexes").is_none(),
        "nothing stored, nothing logged: {job}"
    );
    let (_, all, _) = query(&t, &key, "/events").await;
    assert_eq!(event_list(&all).len(), 2);
    // Proceed: the new event is stored, the duplicate reported.
    let job = capture(
        &t,
        &key,
        "application/ld+json",
        doc(vec![fresh.clone(), e.clone()]),
        Some("proceed"),
    )
    .await;
    assert_eq!(job["success"], false);
    assert_eq!(job["captureErrorBehaviour"], "proceed");
    assert_eq!(job["errors"].as_array().unwrap().len(), 1);
    // The job names the log entry of the one event it stored.
    let index = job["logIndexes"].as_str().expect("logIndexes").to_string();
    let r = t.get(&format!("/log/entry/{index}"), None).await;
    assert_eq!(r.status(), StatusCode::OK, "one index: {index}");
    assert!(
        r.text()
            .await
            .unwrap()
            .starts_with("ppetrace/v1 epcis.event\n")
    );
    let (_, all, _) = query(&t, &key, "/events").await;
    assert_eq!(event_list(&all).len(), 3);

    // Invalid documents: the job fails naming the event and the field.
    let mut bad = object_event(
        "2025-03-01T11:00:00+08:00",
        vec!["urn:epc:id:sgtin:6901234.000123.3".into()],
        "commissioning",
        None,
    );
    bad["epcList"] = json!(["https://id.gs1.org/01/06901234001236/21/3"]);
    let job = capture(
        &t,
        &key,
        "application/ld+json",
        doc(vec![fresh.clone(), bad]),
        None,
    )
    .await;
    assert_eq!(job["success"], false);
    let err = &job["errors"][0];
    assert_eq!(err["eventIndex"], 1, "{job}");
    assert!(err["field"].as_str().unwrap().contains("epcList"), "{job}");
    assert!(err["detail"].as_str().unwrap().contains("event 1"), "{job}");
    // Malformed JSON is refused before the job.
    let r = post_raw(
        &t,
        "/capture",
        Some(&key),
        "application/ld+json",
        "{".into(),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // Unsupported media type and behaviour.
    assert_eq!(
        post_raw(&t, "/capture", Some(&key), "text/plain", "x".into(), &[])
            .await
            .status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let r = post_raw(
        &t,
        "/capture",
        Some(&key),
        "application/json",
        doc(vec![]),
        &[("GS1-Capture-Error-Behaviour", "maybe")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Too many events: 413.
    let many: Vec<Value> = (0..10_001)
        .map(|i| {
            object_event(
                "2025-03-01T12:00:00+08:00",
                vec![sgtin("6901234", 100_000 + i)],
                "packing",
                None,
            )
        })
        .collect();
    let r = post_raw(
        &t,
        "/capture",
        Some(&key),
        "application/ld+json",
        doc(many),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // XML capture.
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" creationDate="2025-03-01T08:00:00Z">
  <EPCISBody><EventList><ObjectEvent>
    <eventTime>2025-03-01T13:00:00+08:00</eventTime><eventTimeZoneOffset>+08:00</eventTimeZoneOffset>
    <epcList><epc>urn:epc:id:sgtin:6901234.000123.77</epc></epcList>
    <action>OBSERVE</action><bizStep>shipping</bizStep>
  </ObjectEvent></EventList></EPCISBody>
</epcis:EPCISDocument>"#;
    let job = capture(&t, &key, "application/xml", xml.to_string(), None).await;
    assert_eq!(
        job["success"],
        true,
        "{}",
        &job.to_string()[..job.to_string().len().min(2000)]
    );
    let (_, x, _) = query(
        &t,
        &key,
        "/events?MATCH_epc=https://id.gs1.org/01/06901234001235/21/77",
    )
    .await;
    assert_eq!(event_list(&x).len(), 1);
}

// ------------------------------------------------------------------ query

async fn query_parameters_and_visibility(b: store::Backend) {
    let t = spawn_app(b).await;
    let (_, a) = org(&t, "6901234", &["manufacturer"]).await;
    let (_, other) = org(&t, "6907777", &["distributor"]).await;
    let (_, reg) = org(&t, "6909999", &["regulator"]).await;
    let loc = "urn:epc:id:sgln:6901234.00001.0";
    let evs = vec![
        object_event(
            "2025-03-01T09:00:00+08:00",
            vec![sgtin("6901234", 1)],
            "commissioning",
            Some(loc),
        ),
        object_event(
            "2025-03-02T09:00:00+08:00",
            vec![sgtin("6901234", 1), sgtin("6901234", 2)],
            "shipping",
            Some(loc),
        ),
        object_event(
            "2025-03-03T09:00:00+08:00",
            vec![sgtin("6901234", 3)],
            "receiving",
            None,
        ),
    ];
    assert_eq!(
        capture(&t, &a, "application/ld+json", doc(evs), None).await["success"],
        true
    );
    // Events of another organization that name org A's products are visible to A.
    let theirs = object_event(
        "2025-03-04T09:00:00+08:00",
        vec![sgtin("6901234", 1)],
        "receiving",
        None,
    );
    let unrelated = object_event(
        "2025-03-04T10:00:00+08:00",
        vec![sgtin("6907777", 1)],
        "receiving",
        None,
    );
    assert_eq!(
        capture(
            &t,
            &other,
            "application/ld+json",
            doc(vec![theirs, unrelated]),
            None
        )
        .await["success"],
        true
    );

    let n = |d: &Value| event_list(d).len();
    assert_eq!(n(&query(&t, &a, "/events").await.1), 4);
    assert_eq!(n(&query(&t, &other, "/events").await.1), 2);
    assert_eq!(n(&query(&t, &reg, "/events").await.1), 5);
    // Standard parameters; URN and Digital Link forms match each other.
    assert_eq!(n(&query(&t, &a, "/events?EQ_bizStep=shipping").await.1), 1);
    assert_eq!(
        n(&query(
            &t,
            &a,
            "/events?EQ_bizStep=https://ref.gs1.org/cbv/BizStep-shipping"
        )
        .await
        .1),
        1
    );
    assert_eq!(
        n(&query(
            &t,
            &a,
            "/events?MATCH_epc=https://id.gs1.org/01/06901234001235/21/1"
        )
        .await
        .1),
        3
    );
    assert_eq!(
        n(&query(
            &t,
            &a,
            "/events?MATCH_epc=urn:epc:idpat:sgtin:6901234.000123.*"
        )
        .await
        .1),
        4
    );
    assert_eq!(
        n(&query(
            &t,
            &a,
            "/events?EQ_bizLocation=https://id.gs1.org/414/6901234000016"
        )
        .await
        .1),
        2
    );
    assert_eq!(
        n(&query(
            &t,
            &a,
            "/events?GE_eventTime=2025-03-02T00:00:00Z&LT_eventTime=2025-03-03T09:00:00%2B08:00"
        )
        .await
        .1),
        1
    );
    assert_eq!(
        n(&query(&t, &a, "/events?eventType=AggregationEvent").await.1),
        0
    );
    let (_, d, _) = query(
        &t,
        &a,
        "/events?orderBy=eventTime&orderDirection=DESC&eventCountLimit=2",
    )
    .await;
    let l = event_list(&d);
    assert_eq!(l.len(), 2);
    assert_eq!(l[0]["bizStep"], "receiving");
    assert_eq!(l[0]["eventTime"], "2025-03-04T09:00:00+08:00");
    // Resource paths.
    assert_eq!(n(&query(&t, &a, "/bizSteps/shipping/events").await.1), 1);
    assert_eq!(
        n(&query(&t, &a, "/eventTypes/ObjectEvent/events").await.1),
        4
    );
    assert_eq!(
        n(
            &query(&t, &a, "/epcs/urn:epc:id:sgtin:6901234.000123.2/events")
                .await
                .1
        ),
        1
    );
    assert_eq!(
        n(&query(
            &t,
            &a,
            "/bizLocations/urn:epc:id:sgln:6901234.00001.0/events"
        )
        .await
        .1),
        2
    );
    assert_eq!(
        n(
            &query(&t, &a, "/readPoints/urn:epc:id:sgln:6901234.00001.0/events")
                .await
                .1
        ),
        2
    );
    assert_eq!(
        n(&query(&t, &a, "/dispositions/in_transit/events").await.1),
        0
    );
    // Errors: maxEventCount exceeded, bad parameters.
    let (s, p, _) = query(&t, &a, "/events?maxEventCount=2").await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(p["type"], "epcisException:QueryTooLargeException");
    let (s, p, _) = query(&t, &a, "/events?EQ_nonsense=1").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(p["type"], "epcisException:QueryParameterException");
    let (s, _, _) = query(&t, &a, "/events?nextPageToken=garbage").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = query(&t, &a, "/events/ni%3A%2F%2F%2Fsha-256%3B0000").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Named queries.
    let r = t.post("/queries", Some(&a), json!({"name": "shipped", "query": {"EQ_bizStep": ["shipping"], "eventType": ["ObjectEvent"]}})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        t.post(
            "/queries",
            Some(&a),
            json!({"name": "shipped", "query": {}})
        )
        .await
        .status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        t.post(
            "/queries",
            Some(&a),
            json!({"name": "bad", "query": {"EQ_nope": "x"}})
        )
        .await
        .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(n(&query(&t, &a, "/queries/shipped/events").await.1), 1);
    let r = t
        .get("/queries", Some(&a))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(r.as_array().unwrap().len(), 1);
    let del = |k: &str| {
        t.client
            .delete(t.url("/queries/shipped"))
            .bearer_auth(k.to_string())
            .send()
    };
    assert_eq!(del(&other).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(del(&a).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(
        query(&t, &a, "/queries/shipped/events").await.0,
        StatusCode::NOT_FOUND
    );
    let types: Value = t.get("/eventTypes", Some(&a)).await.json().await.unwrap();
    assert_eq!(types["@set"], json!(["ObjectEvent"]));
}

async fn paging_returns_each_of_10000_events_once(b: store::Backend) {
    let t = spawn_app(b).await;
    let (_, key) = org(&t, "6901234", &["manufacturer"]).await;
    let mut total = Duration::ZERO;
    // 10 documents of 1000 ObjectEvents × 10 EPCs (timed end to end, job polled).
    for d in 0..10u64 {
        let evs: Vec<Value> = (0..1000u64)
            .map(|i| {
                let n = d * 1000 + i;
                let epcs = (0..10).map(|k| sgtin("6901234", n * 10 + k)).collect();
                // Many events share a time, so paging must break ties stably.
                object_event(
                    &format!("2025-03-01T10:{:02}:{:02}+08:00", n % 60, (n / 60) % 60),
                    epcs,
                    "packing",
                    None,
                )
            })
            .collect();
        let body = doc(evs);
        let start = Instant::now();
        let job = capture(&t, &key, "application/ld+json", body, None).await;
        total += start.elapsed();
        assert_eq!(
            job["success"],
            true,
            "{}",
            &job.to_string()[..job.to_string().len().min(2000)]
        );
    }
    eprintln!(
        "{:?}: captured 10,000 events (100,000 EPCs) in {:?} = {:.0} events/s (debug build)",
        b,
        total,
        10_000.0 / total.as_secs_f64()
    );
    for order in [
        "",
        "&orderBy=eventTime&orderDirection=ASC",
        "&orderBy=recordTime",
    ] {
        let mut seen = HashSet::new();
        let mut url = format!("/events?perPage=700{order}");
        let mut pages = 0;
        loop {
            let (s, d, next) = query(&t, &key, &url).await;
            assert_eq!(s, StatusCode::OK, "{d}");
            for e in event_list(&d) {
                assert!(
                    seen.insert(e["eventID"].as_str().unwrap().to_string()),
                    "event returned twice ({order})"
                );
            }
            pages += 1;
            match next {
                Some(tok) => url = format!("/events?perPage=700{order}&nextPageToken={tok}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), 10_000, "{order}");
        assert_eq!(pages, 15);
    }
}

// ------------------------------------------------------------------ traceability

async fn item_trace_follows_its_containers(b: store::Backend) {
    let t = spawn_app(b).await;
    let (org_a, a) = org(&t, "6901234", &["manufacturer"]).await;
    let (org_b, dist) = org(&t, "6905555", &["distributor"]).await;
    let factory = with_check("690123400001");
    let depot = with_check("690555500001");
    site(&t, org_a, &a, &factory, "Factory").await;
    site(&t, org_b, &dist, &depot, "Depot").await;
    let item = sgtin("6901234", 1);
    let other = sgtin("6901234", 2);
    let carton = format!("urn:epc:id:sscc:6901234.{}", "0000000001");
    let pallet = format!("urn:epc:id:sscc:6901234.{}", "0000000002");
    let f = format!("https://id.gs1.org/414/{factory}");
    let d = format!("https://id.gs1.org/414/{depot}");
    let agg = |time: &str, parent: &str, children: Vec<String>, action: &str, loc: &str| {
        json!({"type": "AggregationEvent", "eventTime": time, "eventTimeZoneOffset": "+08:00", "parentID": parent,
               "childEPCs": children, "action": action, "bizStep": if action == "DELETE" {"unpacking"} else {"packing"},
               "bizLocation": {"id": loc}})
    };
    let mut ship = object_event(
        "2025-03-01T12:00:00+08:00",
        vec![pallet.clone()],
        "shipping",
        Some(&f),
    );
    ship["destinationList"] = json!([{"type": "location", "destination": d}]);
    let evs_a = vec![
        object_event(
            "2025-03-01T09:00:00+08:00",
            vec![item.clone(), other.clone()],
            "commissioning",
            Some(&f),
        ),
        agg(
            "2025-03-01T10:00:00+08:00",
            &carton,
            vec![item.clone(), other.clone()],
            "ADD",
            &f,
        ),
        agg(
            "2025-03-01T11:00:00+08:00",
            &pallet,
            vec![carton.clone()],
            "ADD",
            &f,
        ),
        ship,
    ];
    assert_eq!(
        capture(&t, &a, "application/ld+json", doc(evs_a), None).await["success"],
        true
    );
    let evs_b = vec![
        object_event(
            "2025-03-02T09:00:00+08:00",
            vec![pallet.clone()],
            "receiving",
            Some(&d),
        ),
        agg("2025-03-02T10:00:00+08:00", &pallet, vec![], "DELETE", &d),
        agg(
            "2025-03-02T11:00:00+08:00",
            &carton,
            vec![item.clone()],
            "DELETE",
            &d,
        ),
        // After the item left the carton: not part of its history.
        object_event(
            "2025-03-03T09:00:00+08:00",
            vec![carton.clone()],
            "shipping",
            Some(&d),
        ),
        object_event(
            "2025-03-03T10:00:00+08:00",
            vec![item.clone()],
            "accepting",
            Some(&d),
        ),
    ];
    assert_eq!(
        capture(&t, &dist, "application/ld+json", doc(evs_b), None).await["success"],
        true
    );

    let r = t
        .get(
            "/api/v1/trace/items?code=https://id.gs1.org/01/06901234001235/21/1",
            Some(&t.admin_key),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let tr: Value = r.json().await.unwrap();
    let steps: Vec<String> = tr["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["event"]["bizStep"].as_str().unwrap_or("?"),
                e["event"]["eventTime"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            "commissioning:2025-03-01T09:00:00+08:00",
            "packing:2025-03-01T10:00:00+08:00",
            "packing:2025-03-01T11:00:00+08:00",
            "shipping:2025-03-01T12:00:00+08:00",
            "receiving:2025-03-02T09:00:00+08:00",
            "unpacking:2025-03-02T10:00:00+08:00",
            "unpacking:2025-03-02T11:00:00+08:00",
            "accepting:2025-03-03T10:00:00+08:00",
        ],
        "{tr:#}"
    );
    assert!(
        tr["events"][3]["inherited_from"]
            .as_str()
            .unwrap()
            .starts_with("https://id.gs1.org/00/06901234"),
        "{tr:#}"
    );
    assert!(tr["events"][0].get("inherited_from").is_none());
    assert_eq!(tr["current"]["biz_location"], d);
    assert_eq!(tr["current"]["holder"]["org_id"], org_b);
    assert_eq!(tr["path"], json!([f, d]));
    // The same trace by EPC URN, and through the CLI-facing service.
    let by_urn = t.app.trace_item(&domain_admin(), &item).await.unwrap();
    assert_eq!(by_urn.events.len(), 8);

    // Lot forward trace: the item's lot reached both sites and organizations.
    let lot_doc = json!({"@context": [CTX], "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-03-01T08:00:00Z",
    "epcisBody": {"eventList": [
        {"type": "ObjectEvent", "eventTime": "2025-03-01T08:30:00+08:00", "eventTimeZoneOffset": "+08:00",
         "epcList": ["https://id.gs1.org/01/06901234001235/10/L7/21/1"], "action": "OBSERVE", "bizStep": "inspecting",
         "bizLocation": {"id": f}}
    ]}});
    assert_eq!(
        capture(&t, &a, "application/ld+json", lot_doc.to_string(), None).await["success"],
        true
    );
    let r = t
        .get("/api/v1/trace/lots/06901234001235/L7", Some(&a))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let lt: Value = r.json().await.unwrap();
    assert_eq!(lt["items"], 1, "{lt:#}");
    let orgs: Vec<i64> = lt["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["org_id"].as_i64().unwrap())
        .collect();
    assert_eq!(orgs, vec![org_a, org_b], "{lt:#}");
    assert!(lt["containers"].as_u64().unwrap() >= 2);
    // Bad input is a 400 problem; anonymous is 401.
    assert_eq!(
        t.get("/api/v1/trace/items?code=nonsense", Some(&a))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        t.get("/api/v1/trace/lots/123/L7", Some(&a)).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        t.get("/api/v1/trace/lots/06901234001235/L7", None)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

fn domain_admin() -> domain::authz::Actor {
    domain::authz::Actor::operator()
}

/// A captured event that names an item and, in its quantity list, the item's lot is
/// found by both look-ups of the item's history, and listed there once.
async fn an_event_naming_item_and_lot_is_in_the_history_once(b: store::Backend) {
    let t = spawn_app(b).await;
    let m = testkit::register_maker(&t, "6901234", "Helmet maker").await;
    let codes = testkit::issue_codes(&t, &m, 1).await;
    let serial = codes[0].rsplit('/').next().unwrap();
    let item = format!("https://id.gs1.org/01/{}/21/{serial}", m.gtin);
    let lot = format!("https://id.gs1.org/01/{}/10/L1", m.gtin);
    let mut ev = object_event(
        "2026-03-01T10:00:00.000+08:00",
        vec![item],
        "inspecting",
        None,
    );
    ev["quantityList"] = json!([{"epcClass": lot, "quantity": 1}]);
    let j = capture(&t, &m.key, "application/ld+json", doc(vec![ev]), None).await;
    assert_eq!(j["success"], true, "{j}");
    let r = t
        .get(
            &format!(
                "/api/v1/items/history?code={}",
                testkit::urlencode(&codes[0])
            ),
            Some(&m.key),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let h: Value = r.json().await.unwrap();
    let events = h["events"].as_array().unwrap();
    let inspections = events
        .iter()
        .filter(|e| e["bizStep"].as_str().unwrap_or("").ends_with("inspecting"))
        .count();
    assert_eq!(inspections, 1, "{h}");
}

/// A job left `running` by a crashed process is resumed at start-up (before anyone
/// polls it) and its events are stored exactly once.
async fn running_jobs_are_resumed_at_start_up(b: store::Backend) {
    let t = spawn_app(b).await;
    let (org_id, key) = org(&t, "6901234", &["manufacturer"]).await;
    let events: Vec<Value> = (0..3)
        .map(|i| {
            object_event(
                "2026-03-01T10:00:00.000+08:00",
                vec![sgtin("6901234", 700 + i)],
                "commissioning",
                None,
            )
        })
        .collect();
    t.app
        .store
        .create_capture_job(&store::NewCaptureJob {
            id: "0123456789abcdef0123456789abcdef".into(),
            owner_org_id: org_id,
            actor: format!("org:{org_id}/key:1"),
            behaviour: "rollback".into(),
            media_type: "application/ld+json".into(),
            body: doc(events).into_bytes(),
            created_at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    assert_eq!(t.app.resume_capture_jobs().await.unwrap(), 1);
    let mut state = String::new();
    for _ in 0..200 {
        let job = t
            .app
            .store
            .get_capture_job("0123456789abcdef0123456789abcdef")
            .await
            .unwrap()
            .unwrap();
        state = job.state;
        if state != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(state, "success");
    let (status, found, _) = query(
        &t,
        &key,
        "/events?MATCH_epc=urn:epc:id:sgtin:6901234.000123.701",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(event_list(&found).len(), 1);
    // Nothing left to resume.
    assert_eq!(t.app.resume_capture_jobs().await.unwrap(), 0);
}

/// Malformed query strings are answered with a problem document, not plain text.
async fn malformed_query_strings_are_problems(b: store::Backend) {
    let t = spawn_app(b).await;
    let (_, key) = org(&t, "6901234", &["manufacturer"]).await;
    for path in [
        "/api/v1/trace/items?code=%ZZ&code=1",
        "/api/v1/alerts?status=open&status=closed",
    ] {
        let r = t.get(path, Some(&key)).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["status"], 400, "{path}");
        assert!(!p["detail"].as_str().unwrap_or("").is_empty(), "{path}");
    }
}

/// Parses `logIndexes` ("5-104,110") into the indexes it names.
fn log_indexes(job: &Value) -> Vec<u64> {
    let mut out = Vec::new();
    for part in job["logIndexes"].as_str().unwrap_or("").split(',') {
        if part.is_empty() {
            continue;
        }
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        out.extend(a.parse::<u64>().unwrap()..=b.parse::<u64>().unwrap());
    }
    out
}

/// Documents captured at the same time (rollback and proceed, one of them
/// invalid) each get their own outcome: the good ones store every event with
/// one log entry each, named in their own job's `logIndexes` and in no other;
/// the invalid rollback document stores nothing; the proceed document stores
/// its valid events and reports the invalid one.
async fn concurrent_documents_each_get_their_own_outcome(b: store::Backend) {
    let t = spawn_app(b).await;
    let (_, key) = org(&t, "6931234", &["manufacturer"]).await;
    let event = |d: usize, i: usize| {
        let mut e = object_event(
            &format!("2025-03-01T08:{:02}:{:02}+08:00", d, i),
            vec![sgtin("6931234", (d * 1000 + i) as u64)],
            "inspecting",
            None,
        );
        e["eventID"] = json!(format!("urn:uuid:00000000-0000-4000-8000-{:06}{:06}", d, i));
        e
    };
    let n = 20;
    let docs: Vec<String> = (0..6)
        .map(|d| {
            let mut evs: Vec<Value> = (0..n).map(|i| event(d, i)).collect();
            if d == 2 || d == 4 {
                // Invalid: not a time.
                evs[7]["eventTime"] = json!("yesterday");
            }
            doc(evs)
        })
        .collect();
    let behaviour = |d: usize| if d == 4 { Some("proceed") } else { None };
    let ct = "application/ld+json";
    let (j0, j1, j2, j3, j4, j5) = tokio::join!(
        capture(&t, &key, ct, docs[0].clone(), behaviour(0)),
        capture(&t, &key, ct, docs[1].clone(), behaviour(1)),
        capture(&t, &key, ct, docs[2].clone(), behaviour(2)),
        capture(&t, &key, ct, docs[3].clone(), behaviour(3)),
        capture(&t, &key, ct, docs[4].clone(), behaviour(4)),
        capture(&t, &key, ct, docs[5].clone(), behaviour(5)),
    );
    let jobs = [j0, j1, j2, j3, j4, j5];
    let mut all: HashSet<u64> = HashSet::new();
    for (d, job) in jobs.iter().enumerate() {
        let idx = log_indexes(job);
        match d {
            2 => {
                assert_eq!(job["success"], false, "{job}");
                assert!(!job["errors"].as_array().unwrap().is_empty(), "{job}");
                assert!(idx.is_empty(), "{job}");
            }
            4 => {
                assert_eq!(job["success"], false, "{job}");
                let errs = job["errors"].as_array().unwrap();
                assert_eq!(errs.len(), 1, "{job}");
                assert_eq!(errs[0]["eventIndex"], 7, "{job}");
                assert_eq!(idx.len(), n - 1, "{job}");
            }
            _ => {
                assert_eq!(job["success"], true, "{job}");
                assert_eq!(idx.len(), n, "{job}");
            }
        }
        // Each index is this job's event entry, and no other job's.
        for i in &idx {
            assert!(all.insert(*i), "index {i} named by two jobs");
            let entry = t.get(&format!("/log/entry/{i}"), None).await;
            assert_eq!(entry.status(), StatusCode::OK);
            let text = entry.text().await.unwrap();
            assert!(
                text.contains(&format!("id event=urn:uuid:00000000-0000-4000-8000-{d:06}")),
                "job {d}, index {i}: {text}"
            );
        }
    }
    // Stored events: all of the good documents, none of the rolled-back one.
    for d in 0..6 {
        let (s, out, _) = query(
            &t,
            &key,
            &format!(
                "/events?EQ_eventID=urn:uuid:00000000-0000-4000-8000-{:06}{:06}",
                d, 0
            ),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{out}");
        assert_eq!(
            event_list(&out).len(),
            usize::from(d != 2),
            "doc {d}: {out}"
        );
    }
}

both_backends!(
    concurrent_documents_each_get_their_own_outcome,
    running_jobs_are_resumed_at_start_up,
    an_event_naming_item_and_lot_is_in_the_history_once,
    malformed_query_strings_are_problems,
    every_gs1_example_is_captured_and_queried_back,
    capture_rules,
    query_parameters_and_visibility,
    paging_returns_each_of_10000_events_once,
    item_trace_follows_its_containers,
);
