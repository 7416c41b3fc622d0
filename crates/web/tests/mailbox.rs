//! The fraud-report mailbox end to end over a real server, on SQLite and PostgreSQL:
//! anonymity (database files, WAL and captured logs hold neither the plaintext nor
//! the reporter's address or user agent), receipts, encryption to handlers, the
//! workflow with deadlines on a movable clock, publication, the log, retention.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Duration, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{DbGuard, TestApp, both_backends, spawn_app_with};

/// A clock the test moves forward.
struct TestClock(Mutex<DateTime<Utc>>);
impl app::Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}
impl TestClock {
    fn advance(&self, d: Duration) {
        let mut t = self.0.lock().expect("clock");
        *t += d;
    }
}

/// Everything the process logs, at TRACE. Excluded: the test client's own HTTP
/// internals, and `axum::serve`, whose TRACE events name each accepted peer address
/// (`ppetrace serve` logs at INFO unless `PPETRACE_LOG` says otherwise; an operator
/// raising it must keep `axum::serve=off`, see docs/mailbox.md).
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static BUF: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUF.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let w = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "trace,reqwest=off,hyper_util::client=off,axum::serve=off",
            ))
            .with_ansi(false)
            .with_writer(move || BufWriter(w.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
        tracing::info!("capture started");
        buf
    })
    .clone()
}

struct BufWriter(Arc<Mutex<Vec<u8>>>);
impl Write for BufWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(b);
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const REPORTER_IP: &str = "203.0.113.77";
const REPORTER_UA: &str = "SecretReporterAgent/9.9";

/// A minimal PNG with a tEXt chunk holding `secret`.
fn png_with_text(secret: &str) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for b in data {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc_in = kind.to_vec();
        crc_in.extend_from_slice(data);
        out.extend_from_slice(&crc32(&crc_in).to_be_bytes());
        out
    }
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
    v.extend(chunk(b"tEXt", format!("GPS\0{secret}").as_bytes()));
    v.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01],
    ));
    v.extend(chunk(b"IEND", &[]));
    v
}

/// A multipart/form-data body like a browser sends.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----ppetraceBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, ctype, data)) = file {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"{name}\"\r\nContent-Type: {ctype}\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn anonymous(rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    rb.header("user-agent", REPORTER_UA)
        .header("x-forwarded-for", REPORTER_IP)
        .header("x-real-ip", REPORTER_IP)
        .header("cookie", "tracker=reporter-cookie-42")
}

fn assert_private_headers(r: &reqwest::Response) {
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert!(r.headers().get("set-cookie").is_none());
}

fn receipt_in(html: &str) -> String {
    let start =
        html.find("<code class=\"wrap\">").expect("receipt shown") + "<code class=\"wrap\">".len();
    let end = html[start..].find("</code>").expect("end") + start;
    html[start..end].to_string()
}

async fn regulator_key(t: &TestApp, name: &str) -> (String, i64) {
    let r = t
        .post(
            "/api/v1/organizations",
            Some(&t.admin_key),
            json!({"name": name, "roles": ["regulator"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let org_id = r.json::<Value>().await.expect("json")["id"]
        .as_i64()
        .expect("id");
    let r = t
        .post(
            &format!("/api/v1/organizations/{org_id}/keys"),
            Some(&t.admin_key),
            json!({"label": "handler"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.expect("json");
    (v["key"].as_str().expect("key").to_string(), org_id)
}

fn decrypt(identity: &age::x25519::Identity, b64: &str) -> Vec<u8> {
    use base64::Engine;
    let ct = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    age::decrypt(identity, &ct).expect("decrypts with the handler's identity")
}

/// Every byte of the database as stored: SQLite files (db, WAL, SHM) or, on
/// PostgreSQL, every row of every table as text plus the WAL segments.
async fn database_bytes(t: &TestApp) -> (Vec<u8>, Vec<u8>) {
    match &t.guard {
        DbGuard::Sqlite(_) => {
            let dir = t.guard.sqlite_dir().expect("dir");
            let mut all = Vec::new();
            for e in std::fs::read_dir(dir).expect("dir") {
                let p = e.expect("entry").path();
                all.extend(std::fs::read(&p).unwrap_or_default());
            }
            (all, Vec::new())
        }
        DbGuard::Postgres { admin_url, name } => {
            let url = testkit::with_database(admin_url, name);
            let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("pg");
            tokio::spawn(conn);
            c.batch_execute("CHECKPOINT").await.expect("checkpoint");
            let tables = c
                .query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'", &[])
                .await
                .expect("tables");
            let mut rows_text = Vec::new();
            for tr in tables {
                let tname: String = tr.get(0);
                for r in c
                    .query(&format!("SELECT t::text FROM \"{tname}\" t"), &[])
                    .await
                    .expect("rows")
                {
                    let s: String = r.get(0);
                    rows_text.extend(s.as_bytes());
                    rows_text.push(b'\n');
                }
            }
            let mut wal = Vec::new();
            let files = c
                .query(
                    "SELECT name FROM pg_ls_waldir() ORDER BY modification DESC LIMIT 4",
                    &[],
                )
                .await
                .expect("waldir");
            for f in files {
                let n: String = f.get(0);
                let r = c
                    .query_one("SELECT pg_read_binary_file('pg_wal/' || $1)", &[&n])
                    .await
                    .expect("wal");
                let b: Vec<u8> = r.get(0);
                wal.extend(b);
            }
            (rows_text, wal)
        }
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

async fn mailbox_end_to_end(b: store::Backend) {
    let logs = captured_logs();
    let clock = Arc::new(TestClock(Mutex::new(
        Utc.with_ymd_and_hms(2026, 3, 2, 15, 47, 13)
            .single()
            .expect("t0"),
    )));
    let c2 = clock.clone();
    let t = spawn_app_with(b, move |mut a| {
        let c = std::sync::Arc::make_mut(&mut a.config);
        c.mailbox.pow_bits = 10;
        c.mailbox.retention_days = 0;
        a.with_clock(c2)
    })
    .await;
    let marker = format!("PLAINTEXT-{}-{}", b.as_str(), rand_suffix());
    let png_secret = format!("PNGSECRET-{}", rand_suffix());

    // Without a handler, a report cannot be encrypted to anyone.
    let r = t
        .client
        .get(t.url("/api/v1/mailbox/challenge"))
        .send()
        .await
        .expect("req");
    let ch: Value = r.json().await.expect("json");
    let r = t
        .post(
            "/api/v1/mailbox/reports",
            None,
            json!({"category": "other", "text": "x",
            "pow": {"challenge": ch["challenge"], "nonce": "0"}}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // A regulator's key registers as handler with its own age key.
    let identity = age::x25519::Identity::generate();
    let (hkey, _org) = regulator_key(&t, "Safety bureau").await;
    let r = t
        .post(
            "/api/v1/mailbox/handlers",
            Some(&hkey),
            json!({"recipient": identity.to_public().to_string()}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    // A manufacturer may not handle reports; bad recipients are named.
    let r = t
        .post(
            "/api/v1/mailbox/handlers",
            Some(&t.admin_key),
            json!({"recipient": "age1nope"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.expect("json")["field"], "recipient");
    let r = t
        .post(
            "/api/v1/mailbox/handlers",
            None,
            json!({"recipient": identity.to_public().to_string()}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // 1. The no-JavaScript form, multipart, with a PNG carrying metadata.
    let text = format!("Fake helmets sold at the market, {marker}");
    let png = png_with_text(&png_secret);
    let (ctype, body) = multipart(
        &[
            ("lang", "en"),
            ("category", "counterfeit_ppe"),
            ("text", &text),
            ("gtin", ""),
            ("organization", "Market 3"),
        ],
        Some(("photo.png", "image/png", &png)),
    );
    let r = anonymous(t.client.post(t.url("/mailbox/report")))
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), StatusCode::OK);
    assert_private_headers(&r);
    let html = r.text().await.expect("html");
    let receipt1 = receipt_in(&html);
    assert_eq!(receipt1.len(), 24, "{receipt1}");
    assert!(html.contains("metadata removed"));

    // 2. The JSON API with proof of work.
    let r = anonymous(t.client.get(t.url("/api/v1/mailbox/challenge")))
        .send()
        .await
        .expect("req");
    assert_private_headers(&r);
    let ch: Value = r.json().await.expect("json");
    let challenge = ch["challenge"].as_str().expect("challenge").to_string();
    let bits = ch["bits"].as_u64().expect("bits") as u32;
    let nonce = app::mailbox::pow::solve(&challenge, bits).to_string();
    let body = json!({"category": "fake_certificate", "text": format!("Certificate 23-01-999 is forged {marker}"),
        "organization": "Acme", "pow": {"challenge": challenge, "nonce": nonce}});
    let r = anonymous(t.client.post(t.url("/api/v1/mailbox/reports")))
        .json(&body)
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), StatusCode::CREATED);
    let sub: Value = r.json().await.expect("json");
    let receipt2 = sub["receipt"].as_str().expect("receipt").to_string();
    let case2 = sub["case"].as_i64().expect("case");
    // The same challenge cannot be spent twice; a missing or bad proof is named.
    let r = t
        .client
        .post(t.url("/api/v1/mailbox/reports"))
        .json(&body)
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.expect("json")["field"], "pow");
    let r = t
        .post(
            "/api/v1/mailbox/reports",
            None,
            json!({"category": "other", "text": "x"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = t
        .client
        .get(t.url("/api/v1/mailbox/challenge"))
        .send()
        .await
        .expect("req");
    let ch: Value = r.json().await.expect("json");
    let c = ch["challenge"].as_str().expect("c").to_string();
    let n = app::mailbox::pow::solve(&c, bits).to_string();
    let r = t
        .post(
            "/api/v1/mailbox/reports",
            None,
            json!({"category": "bribery", "text": "x", "pow": {"challenge": c, "nonce": n}}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.expect("json")["field"], "category");

    // The handler lists both cases and decrypts them locally.
    let r = t.get("/api/v1/mailbox/cases", Some(&hkey)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let list: Value = r.json().await.expect("json");
    assert_eq!(list.as_array().expect("list").len(), 2);
    let case1 = list[0]["id"].as_i64().expect("id");
    assert_eq!(list[0]["state"], "received");
    assert_eq!(list[0]["received_on"], "2026-03-02");
    assert_eq!(list[0]["overdue"], false);
    let r = t
        .get(&format!("/api/v1/mailbox/cases/{case1}"), Some(&hkey))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let detail: Value = r.json().await.expect("json");
    let first = decrypt(
        &identity,
        detail["messages"][0]["ciphertext"].as_str().expect("ct"),
    );
    let first: Value = serde_json::from_slice(&first).expect("report json");
    assert_eq!(first["text"], text);
    assert_eq!(first["links"]["organization"], "Market 3");
    let att = decrypt(
        &identity,
        detail["attachments"][0]["ciphertext"].as_str().expect("ct"),
    );
    let (header, bytes) = app::mailbox::unpack_attachment(&att).expect("attachment");
    assert_eq!(header["name"], "photo.png");
    assert_eq!(header["metadata"], "stripped");
    assert!(!contains(bytes, &png_secret), "metadata stripped");
    assert!(contains(bytes, "IDAT"));
    // Another key that is not a handler sees nothing.
    let (other, _) = regulator_key(&t, "Other bureau").await;
    assert_eq!(
        t.get("/api/v1/mailbox/cases", Some(&other)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get(&format!("/api/v1/mailbox/cases/{case1}"), Some(&other))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // Eight days later nobody acknowledged: both are overdue (fixed clock).
    clock.advance(Duration::days(8));
    let list: Value = t
        .get("/api/v1/mailbox/cases", Some(&hkey))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list[0]["overdue"], true);
    assert_eq!(list[0]["deadlines"]["acknowledgement_overdue"], true);
    assert_eq!(list[0]["deadlines"]["acknowledge_by"], "2026-03-09");

    // Workflow on case 1: acknowledge, reply, investigate, substantiate, publish, close.
    let state = |to: &str| json!({"to": to});
    let r = t
        .post(
            &format!("/api/v1/mailbox/cases/{case1}/state"),
            Some(&hkey),
            state("investigating"),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "received -> investigating is not an edge"
    );
    let r = t
        .post(
            &format!("/api/v1/mailbox/cases/{case1}/state"),
            Some(&hkey),
            state("acknowledged"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
    let s: Value = r.json().await.expect("json");
    assert_eq!(s["overdue"], false);
    assert_eq!(s["deadlines"]["feedback_by"], "2026-06-10");
    let reply = format!("Thank you. Which stall number? {marker}-reply");
    let r = t
        .post(
            &format!("/api/v1/mailbox/cases/{case1}/messages"),
            Some(&hkey),
            json!({"kind": "reply", "text": reply}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = t
        .post(
            &format!("/api/v1/mailbox/cases/{case1}/messages"),
            Some(&hkey),
            json!({"kind": "note", "text": format!("internal {marker}-note")}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // The reporter returns with the receipt (HTML form, POST only) and reads the reply.
    let r = anonymous(t.client.post(t.url("/mailbox/return")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&receipt1))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), StatusCode::OK);
    assert_private_headers(&r);
    let page = r.text().await.expect("html");
    assert!(page.contains(&format!("{marker}-reply")), "reply shown");
    assert!(page.contains("Fake helmets sold"), "own report shown");
    assert!(!page.contains("-note"), "internal notes stay internal");
    // … and answers through the API.
    let r = anonymous(t.client.post(t.url("/api/v1/mailbox/receipt/messages")))
        .json(&json!({"receipt": receipt1, "text": format!("Stall 12 {marker}-answer")}))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = t
        .client
        .post(t.url("/api/v1/mailbox/receipt"))
        .json(&json!({"receipt": receipt1}))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), StatusCode::OK);
    let thread: Value = r.json().await.expect("json");
    let texts: Vec<&str> = thread["messages"]
        .as_array()
        .expect("msgs")
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(texts[1].ends_with("-reply") && texts[2].ends_with("-answer"));
    assert_eq!(thread["state"], "acknowledged");
    let detail: Value = t
        .get(&format!("/api/v1/mailbox/cases/{case1}"), Some(&hkey))
        .await
        .json()
        .await
        .expect("json");
    let answer = decrypt(
        &identity,
        detail["messages"][3]["ciphertext"].as_str().expect("ct"),
    );
    assert!(String::from_utf8_lossy(&answer).ends_with("-answer"));

    // A wrong receipt learns nothing: same status and body for any wrong receipt.
    let mut wrong = receipt1.clone().into_bytes();
    let last = wrong.len() - 1;
    wrong[last] = if wrong[last] == b'0' { b'1' } else { b'0' };
    let wrong = String::from_utf8(wrong).expect("utf8");
    let mut answers = Vec::new();
    for guess in [
        wrong.as_str(),
        "0000 0000 0000 0000 0000",
        "12",
        "not a receipt at all",
    ] {
        let r = t
            .client
            .post(t.url("/api/v1/mailbox/receipt"))
            .json(&json!({"receipt": guess}))
            .send()
            .await
            .expect("req");
        answers.push((r.status(), r.text().await.expect("body")));
    }
    assert_eq!(answers[0].0, StatusCode::FORBIDDEN);
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    let mut pages = Vec::new();
    for guess in [wrong.as_str(), "9999 9999 9999 9999 9999"] {
        let r = t
            .client
            .post(t.url("/mailbox/return"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(guess))
            .send()
            .await
            .expect("req");
        pages.push((r.status(), r.text().await.expect("body")));
    }
    assert_eq!(pages[0].0, StatusCode::FORBIDDEN);
    assert_eq!(pages[0], pages[1]);

    for to in ["investigating", "substantiated"] {
        let r = t
            .post(
                &format!("/api/v1/mailbox/cases/{case1}/state"),
                Some(&hkey),
                state(to),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{to}");
    }
    let summary = "Counterfeit EN 397 helmets were sold at a market stall; the stock was seized.";
    let r = t
        .post(
            &format!("/api/v1/mailbox/cases/{case2}/publish"),
            Some(&hkey),
            json!({"summary": summary}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "only substantiated cases are published"
    );
    let r = t
        .post(
            &format!("/api/v1/mailbox/cases/{case1}/publish"),
            Some(&hkey),
            json!({"summary": summary}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
    let r = t
        .post(
            &format!("/api/v1/mailbox/cases/{case1}/state"),
            Some(&hkey),
            state("closed"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // Case 2: a case cannot close without feedback to the reporter.
    for to in ["acknowledged", "unsubstantiated"] {
        let r = t
            .post(
                &format!("/api/v1/mailbox/cases/{case2}/state"),
                Some(&hkey),
                state(to),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{to}");
    }
    let r = t
        .post(
            &format!("/api/v1/mailbox/cases/{case2}/state"),
            Some(&hkey),
            state("closed"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let p: Value = r.json().await.expect("json");
    assert_eq!(p["field"], "to");
    assert!(
        p["detail"].as_str().expect("detail").contains("feedback"),
        "{p}"
    );
    let r = t
        .post(
            &format!("/api/v1/mailbox/cases/{case2}/messages"),
            Some(&hkey),
            json!({"kind": "reply", "text": "We could not confirm it."}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = t
        .post(
            &format!("/api/v1/mailbox/cases/{case2}/state"),
            Some(&hkey),
            state("closed"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // The public portal shows the substantiated case's summary; statistics.
    let r = t
        .client
        .get(t.url("/mailbox/published?lang=en"))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("html");
    assert!(page.contains(summary));
    assert!(page.contains("Counterfeit PPE"));
    let zh = t
        .client
        .get(t.url("/mailbox/published?lang=zh"))
        .send()
        .await
        .expect("req")
        .text()
        .await
        .expect("html");
    assert!(zh.contains("查证属实"));
    let stats: Value = t
        .get("/api/v1/mailbox/stats", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(stats["received"], 2);
    assert_eq!(stats["substantiated"], 1);
    assert_eq!(stats["median_days_to_acknowledge"], 8.0);
    let published: Value = t
        .get("/api/v1/mailbox/published", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(published[0]["summary"], summary);

    // The log has an entry per state change, with hashes and no contents.
    let n = t.app.store.log_size().await.expect("size");
    let entries: Vec<String> = t
        .app
        .store
        .log_entries(0, n)
        .await
        .expect("entries")
        .into_iter()
        .map(|e| String::from_utf8_lossy(&e).into_owned())
        .collect();
    let of = |kind: &str, case: i64| {
        entries
            .iter()
            .filter(|e| {
                e.starts_with(&format!("ppetrace/v1 {kind}\n"))
                    && e.contains(&format!("id case={case}\n"))
            })
            .count()
    };
    assert_eq!(of("mailbox_case", case1), 1, "received");
    assert_eq!(
        of("mailbox_case_state", case1),
        4,
        "acknowledged, investigating, substantiated, closed"
    );
    assert_eq!(
        of("mailbox_case_state", case2),
        3,
        "acknowledged, unsubstantiated, closed"
    );
    assert_eq!(of("mailbox_case_publish", case1), 1);
    let received = entries
        .iter()
        .find(|e| e.starts_with("ppetrace/v1 mailbox_case\n"))
        .expect("entry");
    assert!(
        received.contains("time 2026-03-02T00:00:00.000Z\n"),
        "day only: {received}"
    );
    assert!(!entries.iter().any(|e| e.contains(&marker)));

    // Neither the database (files, WAL) nor the logs hold the plaintext, the
    // reporter's address, user agent or cookie.
    let (db, wal) = database_bytes(&t).await;
    assert!(!db.is_empty());
    for needle in [
        marker.as_str(),
        png_secret.as_str(),
        REPORTER_IP,
        REPORTER_UA,
        "reporter-cookie-42",
        "Market 3",
    ] {
        assert!(!contains(&db, needle), "database holds {needle}");
        assert!(!contains(&wal, needle), "WAL holds {needle}");
    }
    if b == store::Backend::Sqlite {
        assert!(
            !contains(&db, "127.0.0.1"),
            "database holds the client address"
        );
    }
    let captured = logs.lock().expect("logs").clone();
    assert!(!captured.is_empty());
    for needle in [
        marker.as_str(),
        png_secret.as_str(),
        REPORTER_IP,
        REPORTER_UA,
        "reporter-cookie-42",
        receipt1.as_str(),
        receipt2.as_str(),
    ] {
        assert!(!contains(&captured, needle), "logs hold {needle}");
    }
    let lines: Vec<String> = String::from_utf8_lossy(&captured)
        .lines()
        .filter(|l| l.contains("127.0.0.1"))
        .map(String::from)
        .collect();
    assert!(lines.is_empty(), "logs hold the client address: {lines:?}");

    // Retention (0 days here): purging removes contents; the receipt stops working.
    clock.advance(Duration::days(2));
    let r = t
        .post("/api/v1/mailbox/purge", Some(&hkey), json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = t
        .post("/api/v1/mailbox/purge", Some(&t.admin_key), json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.expect("json")["purged"], 2);
    let r = t
        .client
        .post(t.url("/api/v1/mailbox/receipt"))
        .json(&json!({"receipt": receipt2}))
        .send()
        .await
        .expect("req");
    assert_eq!((r.status(), r.text().await.expect("body")), answers[0]);
    let detail: Value = t
        .get(&format!("/api/v1/mailbox/cases/{case1}"), Some(&hkey))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(detail["messages"].as_array().expect("msgs").len(), 0);
    assert_eq!(detail["attachments"].as_array().expect("atts").len(), 0);
    assert_eq!(detail["purged"], true);
    let published: Value = t
        .get("/api/v1/mailbox/published", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(published[0]["summary"], summary, "the public summary stays");
    if let DbGuard::Sqlite(_) = t.guard {
        let (db, _) = database_bytes(&t).await;
        assert!(
            !contains(&db, "age-encryption.org"),
            "ciphertext is gone from the file (secure_delete)"
        );
    }
}

fn form_body(receipt: &str) -> String {
    format!("receipt={}&lang=en", receipt.replace(' ', "+"))
}

fn rand_suffix() -> String {
    format!("{:016x}", rand_u64())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::process::id().into());
    h.finish()
}

async fn mailbox_form_rejects_bad_input(b: store::Backend) {
    let t = spawn_app_with(b, |a| a).await;
    let (ctype, body) = multipart(
        &[
            ("lang", "zh"),
            ("category", "counterfeit_ppe"),
            ("text", ""),
        ],
        None,
    );
    let r = t
        .client
        .post(t.url("/mailbox/report"))
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_private_headers(&r);
    let page = r.text().await.expect("html");
    assert!(page.contains("text"), "names the field");
    assert!(page.contains("举报"), "stays in Chinese");
    let r = t
        .client
        .get(t.url("/mailbox?lang=zh"))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), StatusCode::OK);
    assert_private_headers(&r);
    let page = r.text().await.expect("html");
    assert!(page.contains("method=\"post\"") && page.contains("multipart/form-data"));
    assert!(!page.contains("<script"));
    let r = t
        .client
        .post(t.url("/mailbox/report"))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("garbage")
        .send()
        .await
        .expect("req");
    assert!(r.status().is_client_error());
}

both_backends!(mailbox_end_to_end, mailbox_form_rejects_bad_input);
