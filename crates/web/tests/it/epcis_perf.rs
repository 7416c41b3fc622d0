//! Measurements (printed, with generous bounds): capture throughput for documents of
//! 100 ObjectEvents × 10 EPCs, item history latency (p99) and the forward trace of a
//! 10,000-item lot. Run with `--release --nocapture` for the numbers in docs/epcis.md.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::{TestApp, both_backends, spawn_app};

const CTX: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

fn doc(events: Vec<Value>) -> String {
    json!({"@context": CTX, "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-03-01T08:00:00Z",
           "epcisBody": {"eventList": events}})
    .to_string()
}

async fn capture(t: &TestApp, key: &str, body: String) {
    let r = t
        .client
        .post(t.url("/capture"))
        .bearer_auth(key)
        .header("content-type", "application/ld+json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    loop {
        let j: Value = t.get(&loc, Some(key)).await.json().await.unwrap();
        if j["running"] == false {
            assert_eq!(
                j["success"],
                true,
                "{}",
                &j.to_string()[..j.to_string().len().min(1000)]
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn item(n: u64) -> String {
    format!("https://id.gs1.org/01/06901234001235/10/LOT9/21/{n}")
}
fn sscc(n: u64) -> String {
    format!("urn:epc:id:sscc:6901234.{n:010}")
}

async fn measure(b: store::Backend) {
    let t = spawn_app(b).await;
    let r = t
        .post(
            "/api/v1/organizations",
            Some(&t.admin_key),
            json!({"name": "M", "roles": ["manufacturer"], "company_prefixes": ["6901234"]}),
        )
        .await;
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/organizations/{id}/keys"),
            Some(&t.admin_key),
            json!({"label": "k"}),
        )
        .await;
    let key = r.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    let site = "https://id.gs1.org/414/6901234000016";

    // 10,000 items commissioned: 100 documents of 100 ObjectEvents × 10 EPCs.
    let start = Instant::now();
    for d in 0..100u64 {
        let evs = (0..100u64)
            .map(|i| {
                let n = (d * 100 + i) * 10;
                json!({"type": "ObjectEvent", "eventTime": format!("2025-03-01T08:{:02}:{:02}Z", d % 60, i % 60), "eventTimeZoneOffset": "+00:00",
                       "epcList": (n..n + 10).map(item).collect::<Vec<_>>(), "action": "ADD", "bizStep": "commissioning",
                       "bizLocation": {"id": site}})
            })
            .collect();
        capture(&t, &key, doc(evs)).await;
    }
    let el = start.elapsed();
    eprintln!(
        "{b:?}: capture 100 docs × 100 ObjectEvents × 10 EPCs: {el:?} = {:.0} events/s end to end (HTTP, job polling)",
        10_000.0 / el.as_secs_f64()
    );

    // Packed into 100 cartons of 100, 10 pallets of 10 cartons, shipped and received.
    let mut evs = Vec::new();
    for c in 0..100u64 {
        evs.push(json!({"type": "AggregationEvent", "eventTime": "2025-03-01T10:00:00Z", "eventTimeZoneOffset": "+00:00", "parentID": sscc(c),
            "childEPCs": (c * 100..c * 100 + 100).map(item).collect::<Vec<_>>(), "action": "ADD", "bizStep": "packing", "bizLocation": {"id": site}}));
    }
    for p in 0..10u64 {
        evs.push(json!({"type": "AggregationEvent", "eventTime": "2025-03-01T11:00:00Z", "eventTimeZoneOffset": "+00:00", "parentID": sscc(1000 + p),
            "childEPCs": (p * 10..p * 10 + 10).map(sscc).collect::<Vec<_>>(), "action": "ADD", "bizStep": "packing", "bizLocation": {"id": site}}));
        evs.push(json!({"type": "ObjectEvent", "eventTime": "2025-03-01T12:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [sscc(1000 + p)],
            "action": "OBSERVE", "bizStep": "shipping", "bizLocation": {"id": site}}));
        evs.push(json!({"type": "ObjectEvent", "eventTime": "2025-03-02T12:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [sscc(1000 + p)],
            "action": "OBSERVE", "bizStep": "receiving", "bizLocation": {"id": format!("https://id.gs1.org/414/690123400{:03}{}", p, 0)}}));
    }
    let _ = &mut evs;
    let fixed: Vec<Value> = evs
        .into_iter()
        .map(|mut e| {
            if let Some(id) = e["bizLocation"]["id"].as_str()
                && id.len() == "https://id.gs1.org/414/".len() + 13
                && id != site
            {
                e["bizLocation"]["id"] = json!(site);
            }
            e
        })
        .collect();
    capture(&t, &key, doc(fixed)).await;

    let actor = domain::authz::Actor::operator();
    let mut times = Vec::new();
    for k in 0..200u64 {
        let s = Instant::now();
        let tr = t.app.trace_item(&actor, &item(k * 50 + 7)).await.unwrap();
        times.push(s.elapsed());
        assert_eq!(
            tr.events.len(),
            5,
            "{}",
            serde_json::to_string(&tr).unwrap()
        );
    }
    times.sort();
    let p50 = times[times.len() / 2];
    let p99 = times[times.len() * 99 / 100];
    eprintln!("{b:?}: item history (own + carton + pallet events): p50 {p50:?}, p99 {p99:?}");
    let s = Instant::now();
    let lt = t
        .app
        .trace_lot(&actor, "06901234001235", "LOT9")
        .await
        .unwrap();
    let el = s.elapsed();
    assert_eq!(lt.items, 100_000);
    eprintln!(
        "{b:?}: forward trace of a 100,000-item lot (10,000 of them packed): {el:?} ({} events, {} containers, {} sites)",
        lt.events,
        lt.containers,
        lt.sites.len()
    );
}

both_backends!(measure);
