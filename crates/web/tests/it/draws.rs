//! Draws and inspections over the real HTTP server, on SQLite and PostgreSQL:
//! registries, the phases of a draw, who sees what when, signed records,
//! corrections, rectifications, public results, analytics and pages.

use std::sync::{Arc, Mutex};

use app::draws::draw;
use chrono::{DateTime, Duration, TimeZone, Utc};
use ed25519_dalek::{Signer, SigningKey};
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{TestApp, both_backends, spawn_app_with, with_check};

/// A clock the test moves forward.
struct TestClock(Mutex<DateTime<Utc>>);

impl app::Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

impl TestClock {
    fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().expect("clock") = t;
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0)
        .single()
        .expect("time")
}

struct Inspector {
    code: String,
    key: String,
    signer: SigningKey,
}

struct World {
    t: TestApp,
    clock: Arc<TestClock>,
    regulator: String,
    target_key: String,
    inspectors: Vec<Inspector>,
    site_gln: String,
}

async fn json_of(r: reqwest::Response) -> Value {
    r.json().await.expect("json body")
}

async fn created(r: reqwest::Response) -> Value {
    let status = r.status();
    let body: Value = r.json().await.expect("json body");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn problem(r: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    r.json().await.expect("problem body")
}

async fn org(t: &TestApp, name: &str, roles: &[&str]) -> (i64, String) {
    let o = created(
        t.post(
            "/api/v1/organizations",
            Some(&t.admin_key),
            json!({"name": name, "roles": roles}),
        )
        .await,
    )
    .await;
    let id = o["id"].as_i64().expect("id");
    let k = created(
        t.post(
            &format!("/api/v1/organizations/{id}/keys"),
            Some(&t.admin_key),
            json!({"label": "main"}),
        )
        .await,
    )
    .await;
    (id, k["key"].as_str().expect("key").to_string())
}

/// A regulator with four inspectors (three with keys), six targets, one item list.
async fn world(b: store::Backend) -> World {
    let clock = Arc::new(TestClock(Mutex::new(start())));
    let c2 = clock.clone();
    let t = spawn_app_with(b, move |a| a.with_clock(c2)).await;
    let (reg_id, regulator) = org(&t, "Safety Bureau", &["regulator"]).await;
    let (emp_id, target_key) = org(&t, "Steel Works", &["employer"]).await;
    let site_gln = with_check("690000000001");
    created(
        t.post(
            &format!("/api/v1/organizations/{emp_id}/sites"),
            Some(&target_key),
            json!({"gln": site_gln, "name": "Mill", "latitude": 41.8057, "longitude": 123.4315}),
        )
        .await,
    )
    .await;
    let mut inspectors = Vec::new();
    for n in 1..=4 {
        let signer = SigningKey::from_bytes(&[n as u8; 32]);
        let code = format!("I{n}");
        let (key_id, key) = if n < 4 {
            let k = created(
                t.post(
                    &format!("/api/v1/organizations/{reg_id}/keys"),
                    Some(&regulator),
                    json!({"label": code}),
                )
                .await,
            )
            .await;
            (
                Some(k["id"].as_i64().expect("id")),
                k["key"].as_str().expect("key").to_string(),
            )
        } else {
            (None, String::new())
        };
        created(
            t.post(
                "/api/v1/inspectors",
                Some(&regulator),
                json!({
                    "code": code, "name": format!("Inspector {n}"), "api_key_id": key_id,
                    "region": if n % 2 == 0 { "east" } else { "west" },
                    "affiliations": if n == 4 { json!(["T2"]) } else { json!([]) },
                    "public_key": hex(signer.verifying_key().as_bytes()),
                }),
            )
            .await,
        )
        .await;
        inspectors.push(Inspector { code, key, signer });
    }
    for (code, class, org) in [
        ("T1", "A", Some(emp_id)),
        ("T2", "A", None),
        ("T3", "B", None),
        ("T4", "B", None),
        ("T5", "C", None),
        ("T6", "C", None),
    ] {
        created(
            t.post("/api/v1/inspection-targets", Some(&regulator), json!({
                "code": code, "name": format!("Works {code}"), "org_id": org, "risk_class": class,
                "region": "north", "complaint_count": 1
            }))
            .await,
        )
        .await;
    }
    created(
        t.post("/api/v1/item-lists", Some(&regulator), json!({
            "code": "PPE-2026", "title": "PPE issue and use",
            "items": [{"code": "c1", "text": "Helmets certified"}, {"code": "c2", "text": "Ledger kept"}, {"code": "c3", "text": "Harness inspected"}]
        }))
        .await,
    )
    .await;
    World {
        t,
        clock,
        regulator,
        target_key,
        inspectors,
        site_gln,
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn sha256_hex(s: &str) -> String {
    draw::canonical::sha256_hex(s.as_bytes())
}

fn sign(i: &Inspector, record: &Value) -> Value {
    let canonical = domain::log_entry::canonical_json(record);
    json!({"record": record, "signature": hex(&i.signer.sign(canonical.as_bytes()).to_bytes())})
}

fn window() -> (DateTime<Utc>, DateTime<Utc>) {
    (start() + Duration::days(2), start() + Duration::days(9))
}

/// Publishes, seeds and runs a draw; returns (id, commitment).
async fn drawn(w: &World) -> (i64, String) {
    let t = &w.t;
    let (ws, we) = window();
    let round = app::draws::drand_round_after(start() + Duration::hours(1));
    let plan = json!({
        "plan_id": "2026-Q4", "item_list": "PPE-2026",
        "quotas": [{"class": "A", "fraction_bp": 10000, "minimum": 1}, {"class": "B", "fraction_bp": 5000, "minimum": 1}],
        "inspectors_per_target": 2, "window_start": ws.to_rfc3339(), "window_end": we.to_rfc3339(),
        "beacon_round": round, "max_assignments_per_inspector": null,
        "contribution_commitments": [sha256_hex("bureau secret 1")]
    });
    let d = created(
        t.post("/api/v1/draws", Some(&w.regulator), plan.clone())
            .await,
    )
    .await;
    let id = d["id"].as_i64().expect("id");
    assert_eq!(d["status"], "published");
    assert_eq!(d["phase"], "before");
    assert!(d["published"].is_null() && d["commitment"].is_null());
    // The same plan id twice is a conflict.
    problem(
        t.post("/api/v1/draws", Some(&w.regulator), plan).await,
        StatusCode::CONFLICT,
    )
    .await;

    let beacon = json!({"round": round, "randomness": "7d".repeat(32)});
    // The beacon round is not out yet.
    let p = problem(
        t.post(
            &format!("/api/v1/draws/{id}/seed"),
            Some(&w.regulator),
            json!({"beacon": beacon, "reveals": ["bureau secret 1"]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["field"], "beacon.round", "{p}");
    w.clock.set(start() + Duration::hours(2));
    // A reveal that was not committed.
    let p = problem(
        t.post(
            &format!("/api/v1/draws/{id}/seed"),
            Some(&w.regulator),
            json!({"beacon": beacon, "reveals": ["guess"]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["field"], "reveals", "{p}");
    // Running before the seed is a conflict.
    problem(
        t.post(
            &format!("/api/v1/draws/{id}/run"),
            Some(&w.regulator),
            json!({}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    // Only the regulator fixes the seed.
    problem(
        t.post(
            &format!("/api/v1/draws/{id}/seed"),
            Some(&w.inspectors[0].key),
            json!({"beacon": beacon, "reveals": ["bureau secret 1"]}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let d = created(
        t.post(
            &format!("/api/v1/draws/{id}/seed"),
            Some(&w.regulator),
            json!({"beacon": beacon, "reveals": ["bureau secret 1"]}),
        )
        .await,
    )
    .await;
    assert_eq!(d["status"], "seeded");
    problem(
        t.post(
            &format!("/api/v1/draws/{id}/seed"),
            Some(&w.regulator),
            json!({"beacon": beacon, "reveals": ["bureau secret 1"]}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    let d = created(
        t.post(
            &format!("/api/v1/draws/{id}/run"),
            Some(&w.regulator),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(d["status"], "drawn");
    let commitment = d["commitment"].as_str().expect("commitment").to_string();
    assert_eq!(commitment.len(), 64);
    assert!(d["published"].is_null(), "sealed before the window");
    (id, commitment)
}

async fn assignments(w: &World, id: i64, key: &str) -> Vec<Value> {
    let r =
        w.t.get(&format!("/api/v1/draws/{id}/assignments"), Some(key))
            .await;
    assert_eq!(r.status(), StatusCode::OK);
    json_of(r).await["assignments"]
        .as_array()
        .expect("array")
        .clone()
}

async fn draw_phases_and_visibility(b: store::Backend) {
    let w = world(b).await;
    let t = &w.t;
    let log_before = t.app.store.log_size().await.expect("log size");
    let (id, commitment) = drawn(&w).await;
    assert_eq!(
        t.app.store.log_size().await.expect("log size"),
        log_before + 3,
        "plan, seed and result are logged"
    );

    // Before the window: the public sees the commitment only.
    let v = json_of(t.get(&format!("/api/v1/draws/{id}"), None).await).await;
    assert_eq!(v["commitment"], commitment.as_str());
    assert!(v["published"].is_null());
    let p = problem(
        t.get(&format!("/api/v1/draws/{id}/published.json"), None)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(p["detail"].as_str().expect("detail").contains(&commitment));
    let list = json_of(t.get("/api/v1/draws", None).await).await;
    assert_eq!(list["draws"][0]["commitment"], commitment.as_str());
    // Nobody anonymous, and no target, sees assignments.
    assert_eq!(
        t.get(&format!("/api/v1/draws/{id}/assignments"), None)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    problem(
        t.get(
            &format!("/api/v1/draws/{id}/assignments"),
            Some(&w.target_key),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // The regulator sees all; each inspector only their own.
    let all = assignments(&w, id, &w.regulator).await;
    let targets: Vec<&str> = all
        .iter()
        .map(|a| a["target_id"].as_str().expect("id"))
        .collect();
    assert_eq!(targets.len(), 3, "{all:?}"); // both A, one of two B
    assert!(targets.contains(&"T1") && targets.contains(&"T2"));
    for i in &w.inspectors[..3] {
        let mine = assignments(&w, id, &i.key).await;
        let expected: Vec<&Value> = all
            .iter()
            .filter(|a| {
                a["inspectors"]
                    .as_array()
                    .expect("array")
                    .iter()
                    .any(|x| x == i.code.as_str())
            })
            .collect();
        assert_eq!(mine.iter().collect::<Vec<_>>(), expected, "{}", i.code);
    }
    // I4 is affiliated with T2: recused.
    let t2 = all.iter().find(|a| a["target_id"] == "T2").expect("T2");
    assert!(
        !t2["inspectors"]
            .as_array()
            .expect("array")
            .iter()
            .any(|x| x == "I4")
    );
    // An inspector's key never acts as the regulator.
    problem(
        t.get("/api/v1/inspectors", Some(&w.inspectors[0].key))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // The public pages say "sealed".
    let page = t
        .get(&format!("/draws/{id}?lang=en"), None)
        .await
        .text()
        .await
        .expect("page");
    assert!(
        page.contains(&commitment) && page.contains("sealed"),
        "{page}"
    );
    assert!(!page.contains("How to re-run"));

    // The window opens: everything is published and re-runs to the commitment.
    w.clock.set(window().0);
    let v = json_of(t.get(&format!("/api/v1/draws/{id}"), None).await).await;
    assert_eq!(v["phase"], "during");
    let r = t
        .get(&format!("/api/v1/draws/{id}/published.json"), None)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let published: draw::PublishedDraw =
        serde_json::from_str(&r.text().await.expect("body")).expect("bundle");
    assert_eq!(
        draw::verify(
            &published.plan,
            &published.snapshot,
            &published.seed_inputs,
            &published.result
        )
        .expect("verify"),
        draw::Verification::Match
    );
    assert_eq!(
        published.result.commitment().expect("commitment"),
        commitment
    );
    assert_eq!(
        published.result.plan_hash,
        v["plan_hash"].as_str().expect("hash")
    );
    let zh = t
        .get(&format!("/draws/{id}?lang=zh"), None)
        .await
        .text()
        .await
        .expect("page");
    assert!(zh.contains("如何复算") && zh.contains("T1"), "{zh}");
    let list_page = t.get("/draws", None).await.text().await.expect("page");
    assert!(list_page.contains("2026-Q4"));
}

async fn registry_input_is_checked(b: store::Backend) {
    let w = world(b).await;
    let t = &w.t;
    let p = problem(
        t.post(
            "/api/v1/inspection-targets",
            Some(&w.regulator),
            json!({"code": "T9", "name": "X", "risk_class": "E", "region": "n"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["field"], "risk_class");
    let p = problem(
        t.post(
            "/api/v1/inspection-targets",
            Some(&w.regulator),
            json!({"code": "bad code", "name": "X", "risk_class": "A", "region": "n"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["field"], "code");
    // Targets do not manage the register.
    problem(
        t.post(
            "/api/v1/inspection-targets",
            Some(&w.target_key),
            json!({"code": "T9", "name": "X", "risk_class": "A", "region": "n"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let p = problem(
        t.post(
            "/api/v1/inspectors",
            Some(&w.regulator),
            json!({"code": "I9", "name": "X", "region": "n", "public_key": "zz"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["field"], "public_key");
    let p = problem(
        t.post("/api/v1/inspectors", Some(&w.regulator), json!({"code": "I9", "name": "X", "region": "n", "api_key_id": 1, "public_key": "11".repeat(32)})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        p["field"], "api_key_id",
        "the admin's key is not the regulator's"
    );
    let p = problem(
        t.post("/api/v1/draws", Some(&w.regulator), json!({
            "plan_id": "P", "item_list": "PPE-2026", "quotas": [{"class": "A", "fraction_bp": 100, "minimum": 1}],
            "inspectors_per_target": 1, "window_start": "2026-12-05T00:00:00Z", "window_end": "2026-12-06T00:00:00Z",
            "beacon_round": null, "contribution_commitments": [sha256_hex("x")]
        }))
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["field"], "inspectors_per_target");
    let p = problem(
        t.post("/api/v1/draws", Some(&w.regulator), json!({
            "plan_id": "P", "item_list": "PPE-2026", "quotas": [{"class": "A", "fraction_bp": 100, "minimum": 1}],
            "window_start": "2026-11-05T00:00:00Z", "window_end": "2026-12-06T00:00:00Z",
            "beacon_round": null, "contribution_commitments": [sha256_hex("x")]
        }))
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["field"], "window_start");
    let p = problem(
        t.post(
            "/api/v1/draws",
            Some(&w.regulator),
            json!({
                "plan_id": "P", "item_list": "PPE-2026", "quotas": [],
                "window_start": "2026-12-05T00:00:00Z", "window_end": "2026-12-06T00:00:00Z",
                "beacon_round": 5, "contribution_commitments": []
            }),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        p["field"], "beacon_round",
        "a round from 2020 is not fixed after the plan"
    );
    let p = problem(
        t.post("/api/v1/draws", Some(&w.regulator), json!({"plan_id": "P"}))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("missing field"),
        "{p}"
    );
}

fn inspection(
    draw_id: i64,
    target: &str,
    inspector: &str,
    site: Option<&str>,
    started: DateTime<Utc>,
) -> Value {
    json!({
        "kind": "inspection", "draw_id": draw_id, "target": target, "inspector": inspector,
        "site_gln": site, "started_at": started.to_rfc3339(), "ended_at": (started + Duration::hours(2)).to_rfc3339(),
        "checklist": [{"item": "c1", "result": "pass"}, {"item": "c2", "result": "fail", "note": "ledger missing"}, {"item": "c3", "result": "pass"}],
        "findings": ["no PPE ledger"],
        "hazards": [{"description": "expired harnesses in use", "deadline": (started + Duration::days(10)).date_naive().to_string()}],
        "photos": [sha256_hex("photo-1")]
    })
}

async fn records_results_and_analytics(b: store::Backend) {
    let w = world(b).await;
    let t = &w.t;
    let (id, _) = drawn(&w).await;
    let all = assignments(&w, id, &w.regulator).await;
    let t1 = all.iter().find(|a| a["target_id"] == "T1").expect("T1");
    let on_t1: Vec<&str> = t1["inspectors"]
        .as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_str().expect("code"))
        .collect();
    let me = w
        .inspectors
        .iter()
        .find(|i| on_t1.contains(&i.code.as_str()) && !i.key.is_empty())
        .expect("a keyed inspector on T1");
    let stranger = w.inspectors[..3]
        .iter()
        .find(|i| !on_t1.contains(&i.code.as_str()));
    let (ws, _) = window();

    // Not before the window.
    let rec = inspection(
        id,
        "T1",
        &me.code,
        Some(&w.site_gln),
        ws + Duration::hours(1),
    );
    problem(
        t.post("/api/v1/inspections", Some(&me.key), sign(me, &rec))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    w.clock.set(ws + Duration::hours(4));
    // Only the assigned inspector, only with a valid signature, only items of the list.
    if let Some(s) = stranger {
        let mut other = rec.clone();
        other["inspector"] = json!(s.code);
        problem(
            t.post("/api/v1/inspections", Some(&s.key), sign(s, &other))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    problem(
        t.post("/api/v1/inspections", Some(&w.regulator), sign(me, &rec))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let forged = json!({"record": rec, "signature": "00".repeat(64)});
    let p = problem(
        t.post("/api/v1/inspections", Some(&me.key), forged).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["field"], "signature");
    let mut odd = rec.clone();
    odd["checklist"][0]["item"] = json!("c99");
    let p = problem(
        t.post("/api/v1/inspections", Some(&me.key), sign(me, &odd))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["field"], "record.checklist[0].item");
    let mut wrong_site = rec.clone();
    wrong_site["target"] = json!("T2");
    let r = t
        .post("/api/v1/inspections", Some(&me.key), sign(me, &wrong_site))
        .await;
    assert!(
        matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST),
        "{}",
        r.status()
    );

    let size = t.app.store.log_size().await.expect("size");
    let filed = created(
        t.post("/api/v1/inspections", Some(&me.key), sign(me, &rec))
            .await,
    )
    .await;
    assert_eq!(t.app.store.log_size().await.expect("size"), size + 1);
    let first = filed["id"].as_i64().expect("id");
    assert_eq!(
        filed["sha256"],
        sha256_hex(&domain::log_entry::canonical_json(&rec)).as_str()
    );
    // The target's register entry now names the last inspection.
    let regs = json_of(
        t.get("/api/v1/inspection-targets", Some(&w.regulator))
            .await,
    )
    .await;
    let t1_reg = regs["targets"]
        .as_array()
        .expect("array")
        .iter()
        .find(|x| x["code"] == "T1")
        .expect("T1")
        .clone();
    assert_eq!(
        t1_reg["last_inspection"],
        (ws + Duration::hours(1)).date_naive().to_string()
    );

    // Public results: problems found, one hazard, not rectified.
    let res = json_of(t.get("/api/v1/targets/T1/results", None).await).await;
    assert_eq!(res["results"].as_array().expect("array").len(), 1);
    assert_eq!(res["results"][0]["outcome"], "problems_found");
    assert_eq!(res["results"][0]["hazards"], 1);
    assert_eq!(res["results"][0]["all_rectified"], false);

    // A correction replaces it (the original stays); a second correction of the old one is refused.
    let mut fix = rec.clone();
    fix["kind"] = json!("correction");
    fix["refers_to"] = json!(first);
    fix["findings"] = json!(["no PPE ledger", "two helmets past service life"]);
    let corr = created(
        t.post("/api/v1/inspections", Some(&me.key), sign(me, &fix))
            .await,
    )
    .await;
    let corr_id = corr["id"].as_i64().expect("id");
    problem(
        t.post("/api/v1/inspections", Some(&me.key), sign(me, &fix))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    let res = json_of(t.get("/api/v1/targets/T1/results", None).await).await;
    assert_eq!(res["results"].as_array().expect("array").len(), 1);
    assert_eq!(res["results"][0]["corrected"], true);
    assert_eq!(res["results"][0]["findings"], 2);

    // Rectification closes the hazard.
    let rect = json!({
        "kind": "rectification", "draw_id": id, "target": "T1", "inspector": me.code, "refers_to": corr_id,
        "hazard": 0, "closed": true, "note": "harnesses replaced",
        "started_at": (ws + Duration::hours(3)).to_rfc3339(), "ended_at": (ws + Duration::hours(3) + Duration::minutes(30)).to_rfc3339(),
        "photos": [sha256_hex("photo-2")]
    });
    let mut bad_hazard = rect.clone();
    bad_hazard["hazard"] = json!(5);
    let p = problem(
        t.post("/api/v1/inspections", Some(&me.key), sign(me, &bad_hazard))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["field"], "record.hazard");
    created(
        t.post("/api/v1/inspections", Some(&me.key), sign(me, &rect))
            .await,
    )
    .await;
    let res = json_of(t.get("/api/v1/targets/T1/results", None).await).await;
    assert_eq!(res["results"][0]["all_rectified"], true, "{res}");
    let page = t
        .get("/targets/T1/inspections?lang=zh", None)
        .await
        .text()
        .await
        .expect("page");
    assert!(
        page.contains("Works T1") && page.contains("发现问题"),
        "{page}"
    );

    // Records: the inspector sees their own, the public none.
    let mine = json_of(t.get("/api/v1/inspections", Some(&me.key)).await).await;
    assert_eq!(mine["records"].as_array().expect("array").len(), 3);
    let p = problem(
        t.get("/api/v1/inspections?draw=x", Some(&me.key)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["field"], "draw");
    let p = problem(
        t.get("/api/v1/inspections?who=me", Some(&me.key)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["field"], "who");
    problem(
        t.get("/api/v1/inspections", Some(&w.target_key)).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    // Analytics: quiet now; a record filed days after the visit is flagged.
    let a = json_of(
        t.get("/api/v1/inspection-analytics", Some(&w.regulator))
            .await,
    )
    .await;
    assert_eq!(a["flags"].as_array().expect("array").len(), 0, "{a}");
    problem(
        t.get("/api/v1/inspection-analytics", Some(&me.key)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let t2 = all.iter().find(|a| a["target_id"] == "T2").expect("T2");
    let on_t2: Vec<&str> = t2["inspectors"]
        .as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_str().expect("code"))
        .collect();
    let late = w
        .inspectors
        .iter()
        .find(|i| on_t2.contains(&i.code.as_str()) && !i.key.is_empty())
        .expect("a keyed inspector on T2");
    w.clock.set(ws + Duration::days(4));
    let mut rec2 = inspection(id, "T2", &late.code, None, ws + Duration::hours(5));
    rec2["photos"] = json!([sha256_hex("photo-3")]);
    rec2["checklist"][1]["note"] = json!("stock book not kept");
    created(
        t.post("/api/v1/inspections", Some(&late.key), sign(late, &rec2))
            .await,
    )
    .await;
    let a = json_of(
        t.get("/api/v1/inspection-analytics", Some(&w.regulator))
            .await,
    )
    .await;
    let flags = a["flags"].as_array().expect("array");
    assert_eq!(flags.len(), 1, "{a}");
    assert_eq!(flags[0]["kind"], "late_filing");
    assert_eq!(flags[0]["inspector"], late.code.as_str());
    assert!(
        flags[0]["explanation"]
            .as_str()
            .expect("text")
            .contains("after the visit")
    );
}

/// A plan that names its drand network gets its beacon value verified: the round's
/// BLS signature under the network's key, and randomness = SHA-256(signature).
/// Data: drand quicknet's public `/info` and its published round 123.
async fn beacon_values_are_verified_against_the_named_network(b: store::Backend) {
    let w = world(b).await;
    let t = &w.t;
    let at = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    };
    // Quicknet round 123 was published at 2023-08-23T15:15:33Z.
    w.clock.set(at("2023-08-23T15:00:00Z"));
    let quicknet = json!({
        "public_key": "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
        "scheme_id": "bls-unchained-g1-rfc9380", "genesis_time": 1692803367, "period": 3
    });
    let plan = |chain: Value| {
        json!({
            "plan_id": "2023-beacon", "item_list": "PPE-2026",
            "quotas": [{"class": "A", "fraction_bp": 10000, "minimum": 1}],
            "inspectors_per_target": 2, "window_start": "2023-08-25T00:00:00Z",
            "window_end": "2023-09-01T00:00:00Z", "beacon_round": 123,
            "max_assignments_per_inspector": null, "contribution_commitments": [],
            "beacon_chain": chain
        })
    };
    let mut bad_chain = quicknet.clone();
    bad_chain["scheme_id"] = json!("pedersen-bls-chained");
    problem(
        t.post("/api/v1/draws", Some(&w.regulator), plan(bad_chain))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let d = created(
        t.post("/api/v1/draws", Some(&w.regulator), plan(quicknet))
            .await,
    )
    .await;
    let id = d["id"].as_i64().expect("id");
    w.clock.set(at("2023-08-23T15:20:00Z"));
    let sig = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";
    let randomness = sha256_hex_bytes(&hex_decode(sig));
    let seed = |beacon: Value| json!({"beacon": beacon, "reveals": []});
    // Randomness alone is not enough when the network is named.
    let p = problem(
        t.post(
            &format!("/api/v1/draws/{id}/seed"),
            Some(&w.regulator),
            seed(json!({"round": 123, "randomness": randomness})),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["field"], "beacon", "{p}");
    // A made-up randomness with the real signature is refused.
    problem(
        t.post(
            &format!("/api/v1/draws/{id}/seed"),
            Some(&w.regulator),
            seed(json!({"round": 123, "randomness": "7d".repeat(32), "signature": sig})),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let d = created(
        t.post(
            &format!("/api/v1/draws/{id}/seed"),
            Some(&w.regulator),
            seed(json!({"round": 123, "randomness": randomness, "signature": sig})),
        )
        .await,
    )
    .await;
    assert_eq!(d["status"], "seeded");
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn sha256_hex_bytes(b: &[u8]) -> String {
    draw::canonical::sha256_hex(b)
}

both_backends!(
    beacon_values_are_verified_against_the_named_network,
    draw_phases_and_visibility,
    registry_input_is_checked,
    records_results_and_analytics
);
