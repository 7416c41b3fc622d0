//! Crash safety under sustained writes: the real `ppetrace serve` binary issues codes
//! and captures EPCIS documents continuously through the API, is SIGKILLed in the
//! middle, and restarted over the same database, on SQLite and PostgreSQL. Then:
//!
//! - every acknowledged code issuance is present, and the batch holds a whole number
//!   of issuances (a request in flight at the kill is all there or not at all);
//! - every acknowledged capture job finishes with all of its events; a document in
//!   flight at the kill has all of its events or none;
//! - the first checkpoint after the restart is signed by the same key, covers every
//!   acknowledged write and is consistent (RFC 9162 proof) with the last checkpoint
//!   published before the kill;
//! - `ppetrace audit --local` passes: every record matches its log entry.

use crate::serverproc;

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use serverproc::{place, wait_ready};
use signed_note::Verifier;
use tlog::{Checkpoint, Hash};

const PER_ISSUE: u64 = 250;
const PER_DOC: usize = 5;
const PREFIX: &str = "6901234";
const CTX: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

fn check_digit(body: &str) -> String {
    testkit::with_check(body)
}

async fn checkpoint(c: &reqwest::Client, base: &str, v: &Verifier) -> Option<Checkpoint> {
    let r = c.get(format!("{base}/log/checkpoint")).send().await.ok()?;
    if !r.status().is_success() {
        return None;
    }
    let body = r.bytes().await.ok()?;
    let (cp, _, _) = Checkpoint::open(&body, "ppetrace.local/log", std::slice::from_ref(v))
        .expect("checkpoint signed by the log key");
    Some(cp)
}

async fn log_key(c: &reqwest::Client, base: &str) -> Verifier {
    wait_ready(c, &format!("{base}/log/key")).await;
    let t = c
        .get(format!("{base}/log/key"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    Verifier::from_str(t.trim()).expect("key")
}

async fn post_ok(c: &reqwest::Client, url: String, key: &str, body: Value) -> Value {
    let r = c
        .post(&url)
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    let text = r.text().await.unwrap();
    assert!(s.is_success(), "{url}: {s} {text}");
    serde_json::from_str(&text).unwrap()
}

fn read_point(n: u64) -> String {
    format!("urn:epc:id:sgln:{PREFIX}.00001.{n}")
}

fn document(n: u64) -> String {
    let events: Vec<Value> = (0..PER_DOC)
        .map(|i| {
            json!({"type": "ObjectEvent", "eventTime": "2026-03-01T08:00:00Z", "eventTimeZoneOffset": "+08:00",
                "epcList": [format!("urn:epc:id:sgtin:{PREFIX}.000123.{n}x{i}")], "action": "OBSERVE",
                "bizStep": "inspecting", "readPoint": {"id": read_point(n)}})
        })
        .collect();
    json!({"@context": CTX, "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-01T08:00:00Z",
        "epcisBody": {"eventList": events}})
    .to_string()
}

#[derive(Default)]
struct Acks {
    /// Code issuance requests answered 201.
    issued: AtomicU64,
    /// Issuance requests sent whose answer never came.
    issue_lost: AtomicU64,
    /// (document number, captureID) answered 202.
    captures: Mutex<Vec<(u64, String)>>,
    /// Documents sent whose answer never came.
    capture_lost: Mutex<Vec<u64>>,
}

async fn events_at(c: &reqwest::Client, base: &str, key: &str, n: u64) -> usize {
    let r = c
        .get(format!(
            "{base}/readPoints/{}/events",
            testkit::urlencode(&read_point(n))
        ))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let v: Value = r.json().await.unwrap();
    v["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .map_or(0, Vec::len)
}

async fn codes_in_batch(c: &reqwest::Client, base: &str, key: &str, batch: i64) -> u64 {
    let r = c
        .get(format!("{base}/api/v1/batches/{batch}/codes.csv"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    r.text().await.unwrap().lines().count() as u64 - 1
}

async fn crash_during_issuance_and_capture(backend: store::Backend) {
    let (place, _dir, _guard) = place(backend).await;
    let out = place.run_ok(&["admin", "create-org", "--name", "operator", "--admin"]);
    let admin = out
        .lines()
        .find_map(|l| l.strip_prefix("api-key: "))
        .expect("api key printed")
        .to_string();
    let c = reqwest::Client::new();
    let mut server = place.serve(&[]);
    let base = server.base.clone();
    let v = log_key(&c, &base).await;

    // A manufacturer with a site, a product and a batch.
    let org = post_ok(&c, format!("{base}/api/v1/organizations"), &admin, json!({
        "name": "Maker", "roles": ["manufacturer"], "gln": check_digit(&format!("{PREFIX}00000")), "company_prefixes": [PREFIX]})).await;
    let org_id = org["id"].as_i64().unwrap();
    let key = post_ok(
        &c,
        format!("{base}/api/v1/organizations/{org_id}/keys"),
        &admin,
        json!({"label": "erp"}),
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    post_ok(
        &c,
        format!("{base}/api/v1/organizations/{org_id}/sites"),
        &key,
        json!({
        "gln": check_digit(&format!("{PREFIX}00001")), "name": "Plant", "city": "Anshan"}),
    )
    .await;
    let gtin = check_digit(&format!("0{PREFIX}00001"));
    post_ok(&c, format!("{base}/api/v1/products"), &key, json!({
        "gtin": gtin, "name": "Helmet", "category": "head", "standard": "GB 2811-2019", "service_life_months": 30})).await;
    let batch = post_ok(
        &c,
        format!("{base}/api/v1/batches"),
        &key,
        json!({
        "gtin": gtin, "lot": "L1", "production_date": "2026-11-01"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();

    // Two writers, each one request at a time, until the server dies.
    let acks = Arc::new(Acks::default());
    let stop = Arc::new(AtomicBool::new(false));
    let issuer = {
        let (c, url, key, acks, stop) = (
            c.clone(),
            format!("{base}/api/v1/batches/{batch}/codes"),
            key.clone(),
            acks.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                match c
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&json!({"count": PER_ISSUE}))
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 201 => {
                        acks.issued.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(r) => panic!("issuance refused: {}", r.status()),
                    Err(_) => {
                        acks.issue_lost.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                }
            }
        })
    };
    let capturer = {
        let (c, url, key, acks, stop) = (
            c.clone(),
            format!("{base}/capture"),
            key.clone(),
            acks.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let r = c
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/ld+json")
                    .body(document(n))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 202 => {
                        let id: Value = r.json().await.unwrap();
                        let id = id["captureID"].as_str().unwrap().to_string();
                        acks.captures.lock().unwrap().push((n, id));
                    }
                    Ok(r) => panic!("capture refused: {}", r.status()),
                    Err(_) => {
                        acks.capture_lost.lock().unwrap().push(n);
                        return;
                    }
                }
            }
        })
    };

    // Let both run while checkpoints are published, then SIGKILL.
    let mut before: Option<Checkpoint> = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "writes did not progress");
        if let Some(cp) = checkpoint(&c, &base, &v).await {
            before = Some(cp);
        }
        let enough = acks.issued.load(Ordering::SeqCst) >= 8
            && acks.captures.lock().unwrap().len() >= 8
            && before.as_ref().is_some_and(|cp| cp.size > 40);
        if enough {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = before.unwrap();
    server.kill();
    stop.store(true, Ordering::SeqCst);
    let _ = issuer.await;
    let _ = capturer.await;
    drop(server);

    let server = place.serve(&[]);
    let base = server.base.clone();
    let v2 = log_key(&c, &base).await;
    assert_eq!(
        v2.to_key_string(),
        v.to_key_string(),
        "same log key after restart"
    );

    // Codes: whole issuances only, every acknowledged one present.
    let issued = acks.issued.load(Ordering::SeqCst);
    let lost = acks.issue_lost.load(Ordering::SeqCst);
    let total = codes_in_batch(&c, &base, &key, batch).await;
    assert_eq!(
        total % PER_ISSUE,
        0,
        "a code issuance is all or nothing: {total} codes"
    );
    assert!(
        total / PER_ISSUE >= issued && total / PER_ISSUE <= issued + lost,
        "{total} codes for {issued} acknowledged and {lost} unanswered issuances"
    );

    // Captures: every acknowledged job completes with all its events.
    let captures = acks.captures.lock().unwrap().clone();
    for (n, id) in &captures {
        let t0 = Instant::now();
        loop {
            let r = c
                .get(format!("{base}/capture/{id}"))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap();
            assert!(
                r.status().is_success(),
                "capture job {id} lost: {}",
                r.status()
            );
            let j: Value = r.json().await.unwrap();
            if j["running"] == false {
                assert_eq!(j["success"], true, "job {id}: {j}");
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "job {id} never finished"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            events_at(&c, &base, &key, *n).await,
            PER_DOC,
            "document {n}"
        );
    }
    let lost_docs = acks.capture_lost.lock().unwrap().clone();
    for n in &lost_docs {
        let k = events_at(&c, &base, &key, *n).await;
        assert!(
            k == 0 || k == PER_DOC,
            "document {n} half captured: {k} of {PER_DOC}"
        );
    }
    // No document beyond those sent.
    let next = captures.len() as u64 + lost_docs.len() as u64 + 1;
    assert_eq!(events_at(&c, &base, &key, next).await, 0);

    // The log: a checkpoint covering everything, consistent with the one before.
    let r = c
        .get(format!("{base}/log/checkpoint"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let deadline = Instant::now() + Duration::from_secs(30);
    // Setup: the operator's organization and key; the maker, its key, site, product
    // and batch. Then one entry per issuance and one per captured event.
    let min_size = (2 + 5 + issued + (captures.len() * PER_DOC) as u64).max(before.size);
    let after = loop {
        if let Some(cp) = checkpoint(&c, &base, &v).await
            && cp.size >= min_size
        {
            break cp;
        }
        assert!(
            Instant::now() < deadline,
            "acknowledged writes never sequenced"
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    };
    let r: Value = c
        .get(format!(
            "{base}/log/consistency?old={}&new={}",
            before.size, after.size
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let proof: Vec<Hash> = r["proof"]
        .as_array()
        .expect("proof")
        .iter()
        .map(|h| Hash::from_base64(h.as_str().unwrap()).unwrap())
        .collect();
    tlog::verify_consistency(before.size, after.size, &before.root, &after.root, &proof)
        .expect("the checkpoint after the crash extends the one before");
    drop(server);

    let audit = place.run_ok(&["audit", "--local"]);
    assert!(audit.contains("audit passed"), "{audit}");
}

testkit::both_backends!(crash_during_issuance_and_capture);
