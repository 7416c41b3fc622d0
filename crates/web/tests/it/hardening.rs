//! Input hardening, black-box over a real server on SQLite and PostgreSQL:
//! deeply nested JSON and XML, oversized and malformed bodies, unknown
//! routes and methods all come back as 4xx `application/problem+json`, never
//! as a 5xx, a stack overflow or a dropped connection. Also: every route the
//! router registers is in the OpenAPI document (`GET /openapi.json`) or is an
//! HTML page listed in [`HTML_PAGES`].

use std::collections::BTreeSet;
use std::path::Path;

use reqwest::StatusCode;
use serde_json::Value;
use testkit::{TestApp, both_backends, spawn_app};

/// Routes that serve HTML pages (or static assets) only and so are not part
/// of the JSON API described by the OpenAPI document. A new route must be
/// either documented in `crates/web/openapi.json` or listed here.
const HTML_PAGES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/verify"),
    ("GET", "/assets/site.css"),
    ("GET", "/mailbox"),
    ("POST", "/mailbox/report"),
    ("GET", "/mailbox/return"),
    ("POST", "/mailbox/return"),
    ("POST", "/mailbox/return/add"),
    ("GET", "/mailbox/published"),
    ("GET", "/draws"),
    ("GET", "/draws/{id}"),
    ("GET", "/targets/{code}/inspections"),
];

/// Whole areas that serve only HTML pages and their assets (the staff
/// console, the public portal, static assets). No `/api/` route may live
/// under them (checked below).
const HTML_PREFIXES: &[&str] = &["/console", "/portal", "/assets/"];

/// JSON write routes that read no request body (so a deep body is ignored).
const BODYLESS_WRITES: &[(&str, &str)] = &[("POST", "/api/v1/mailbox/purge")];

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "options", "head"];

/// Every `(METHOD, path)` registered with `.route(path, method(handler)...)`
/// in `crates/web/src`, found by reading the source (so the list cannot lag
/// behind the router). Wildcards `{*rest}` are written `{rest}` as in OpenAPI.
fn registered_routes() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut dirs = vec![src];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut rest = text.as_str();
        while let Some(i) = rest.find(".route(") {
            rest = &rest[i + ".route(".len()..];
            let Some(q1) = rest.find('"') else { break };
            let Some(q2) = rest[q1 + 1..].find('"') else {
                break;
            };
            let path = rest[q1 + 1..q1 + 1 + q2].replace("{*", "{");
            // The method router: up to the `)` that closes `.route(`.
            let mut depth = 1usize;
            let mut end = rest.len();
            for (k, c) in rest.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            end = k;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let body = &rest[q1 + 2 + q2..end];
            // Method calls at the top level of the method router:
            // `get(h)`, `.post(h)`, `get(h).options(h2)`.
            let mut d = 0usize;
            for (k, c) in body.char_indices() {
                match c {
                    '(' => {
                        if d == 0 {
                            let start = body[..k]
                                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                                .map_or(0, |s| s + 1);
                            let name = &body[start..k];
                            let before = body[..start].trim_end().as_bytes().last().copied();
                            if METHODS.contains(&name)
                                && matches!(before, None | Some(b'.') | Some(b','))
                            {
                                out.insert((name.to_uppercase(), path.clone()));
                            }
                        }
                        d += 1;
                    }
                    ')' => d = d.saturating_sub(1),
                    _ => {}
                }
            }
            rest = &rest[end..];
        }
    }
    out
}

fn is_html_page(method: &str, path: &str) -> bool {
    HTML_PAGES.iter().any(|(m, p)| *m == method && *p == path)
        || HTML_PREFIXES.iter().any(|pre| {
            path == pre.trim_end_matches('/')
                || path.starts_with(&format!("{}/", pre.trim_end_matches('/')))
        })
}

/// Fills path parameters with a harmless value.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push('1');
            }
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

fn nested_arrays(n: usize) -> String {
    "[".repeat(n) + &"]".repeat(n)
}

fn nested_objects(n: usize) -> String {
    "{\"a\":".repeat(n) + "1" + &"}".repeat(n)
}

fn content_type(r: &reqwest::Response) -> String {
    r.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

async fn send(t: &TestApp, method: &str, path: &str, ct: &str, body: String) -> reqwest::Response {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    t.client
        .request(m, t.url(path))
        .bearer_auth(&t.admin_key)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("the server answers (no dropped connection)")
}

/// Sends a `len`-byte JSON body (ignoring write errors: the server may
/// answer and close before the client has sent everything); returns the
/// status and content type of the answer.
async fn raw_post_big(t: &TestApp, path: &str, len: usize) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = t.base.trim_start_matches("http://").to_owned();
    let s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut rd, mut wr) = s.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {len}\r\n\r\n",
        t.admin_key
    );
    let writer = tokio::spawn(async move {
        wr.write_all(head.as_bytes()).await?;
        wr.write_all(b"{\"name\":\"").await?;
        let chunk = vec![b'x'; 64 * 1024];
        let mut left = len.saturating_sub(11);
        while left > 0 {
            let n = left.min(chunk.len());
            wr.write_all(&chunk[..n]).await?;
            left -= n;
        }
        wr.write_all(b"\"}").await?;
        Ok::<_, std::io::Error>(wr)
    });
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    let read = async {
        while !String::from_utf8_lossy(&got).contains("\r\n\r\n") {
            let n = rd.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), read)
        .await
        .expect("the server answers");
    writer.abort();
    let text = String::from_utf8_lossy(&got).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let ct = text
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_owned())
        })
        .unwrap_or_default();
    (status, ct)
}

async fn healthy(t: &TestApp) {
    let r = t.get("/healthz", None).await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// Every JSON write route (POST/PUT/PATCH outside the HTML pages) answers a
/// 10,000-deep JSON array or object with a 4xx problem, not a 5xx or a crash.
async fn deep_json_is_a_problem_everywhere(backend: store::Backend) {
    let t = spawn_app(backend).await;
    let writes: Vec<(String, String)> = registered_routes()
        .into_iter()
        .filter(|(m, p)| matches!(m.as_str(), "POST" | "PUT" | "PATCH") && !is_html_page(m, p))
        .collect();
    assert!(
        writes.len() >= 30,
        "found only {} JSON write routes",
        writes.len()
    );
    for (method, path) in &writes {
        let url = concrete(path);
        for body in [nested_arrays(10_000), nested_objects(10_000)] {
            let r = send(&t, method, &url, "application/json", body).await;
            let status = r.status();
            let ct = content_type(&r);
            let text = r.text().await.unwrap();
            if BODYLESS_WRITES.contains(&(method.as_str(), path.as_str())) {
                assert!(
                    !status.is_server_error(),
                    "{method} {path}: {status}: {text}"
                );
                continue;
            }
            assert!(
                status.is_client_error(),
                "{method} {path}: deep JSON gave {status}: {text}"
            );
            assert!(
                ct.starts_with("application/problem+json"),
                "{method} {path}: {status} with content-type {ct:?}: {text}"
            );
            let p: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                p["status"].as_u64(),
                Some(u64::from(status.as_u16())),
                "{text}"
            );
        }
    }
    healthy(&t).await;
}

/// The EPCIS capture interface refuses deep JSON-LD before accepting a job,
/// and deep XML either before or in the job: never a 5xx, and the job (if
/// any) ends failed with a reason.
async fn deep_epcis_documents_are_refused(backend: store::Backend) {
    let t = spawn_app(backend).await;
    // JSON: 10,000 levels inside an otherwise valid document.
    let doc = format!(
        r#"{{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2024-01-01T00:00:00Z",
            "epcisBody":{{"eventList":[{{"type":"ObjectEvent","eventTime":"2024-01-01T00:00:00Z",
            "eventTimeZoneOffset":"+00:00","epcList":[],"action":"OBSERVE","ex:deep":{}}}]}}}}"#,
        nested_arrays(10_000)
    );
    for ct in ["application/ld+json", "application/json"] {
        let r = send(&t, "POST", "/capture", ct, doc.clone()).await;
        let status = r.status();
        assert!(
            status.is_client_error(),
            "{ct}: {status}: {}",
            r.text().await.unwrap()
        );
        assert!(content_type(&r).starts_with("application/problem+json"));
    }
    let r = send(
        &t,
        "POST",
        "/events",
        "application/json",
        nested_objects(10_000),
    )
    .await;
    assert!(r.status().is_client_error(), "{}", r.status());

    // XML: 10,000 nested extension elements.
    let xml = format!(
        r#"<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="urn:x"
             schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z"><EPCISBody><EventList>
             <ObjectEvent><eventTime>2024-01-01T00:00:00Z</eventTime>
             <eventTimeZoneOffset>+00:00</eventTimeZoneOffset><epcList/><action>OBSERVE</action>
             {}v{}</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>"#,
        "<ex:a>".repeat(10_000),
        "</ex:a>".repeat(10_000)
    );
    let r = send(&t, "POST", "/capture", "application/xml", xml).await;
    let status = r.status();
    if status == StatusCode::ACCEPTED {
        let loc = r.headers()["location"].to_str().unwrap().to_owned();
        let mut job = Value::Null;
        for _ in 0..200 {
            job = t.get(&loc, Some(&t.admin_key)).await.json().await.unwrap();
            if job["running"] == Value::Bool(false) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(job["success"], Value::Bool(false), "{job}");
        assert!(job.to_string().contains("nesting"), "{job}");
    } else {
        assert!(status.is_client_error(), "deep XML gave {status}");
        assert!(content_type(&r).starts_with("application/problem+json"));
    }
    healthy(&t).await;
}

/// Bodies over the limit are 413 problems; malformed JSON is a 400 problem
/// naming the body; a wrong content type is a 415 problem.
async fn bad_bodies_are_problems(backend: store::Backend) {
    let t = spawn_app(backend).await;
    // A body over the limit (1 MiB; 16 MiB for mailbox reports) is refused (raw TCP: the server may
    // answer and close before a client finishes sending).
    let (status, ct) = raw_post_big(&t, "/api/v1/organizations", 2 << 20).await;
    assert_eq!(status, 413);
    assert!(ct.starts_with("application/problem+json"), "{ct}");
    let (status, ct) = raw_post_big(&t, "/api/v1/mailbox/reports", 17 << 20).await;
    assert_eq!(status, 413);
    assert!(ct.starts_with("application/problem+json"), "{ct}");

    let r = send(
        &t,
        "POST",
        "/api/v1/organizations",
        "application/json",
        "{\"name\":".into(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(content_type(&r).starts_with("application/problem+json"));
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["field"], "body");

    let r = send(
        &t,
        "POST",
        "/api/v1/organizations",
        "text/plain",
        "{}".into(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(content_type(&r).starts_with("application/problem+json"));

    // Invalid UTF-8 and NUL bytes.
    let r = t
        .client
        .post(t.url("/api/v1/products"))
        .bearer_auth(&t.admin_key)
        .header("content-type", "application/json")
        .body(vec![b'{', b'"', 0xff, 0xfe, b'"', 0, b'}'])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(content_type(&r).starts_with("application/problem+json"));
    healthy(&t).await;
}

/// Unknown paths and methods are problems too.
async fn unknown_routes_and_methods_are_problems(backend: store::Backend) {
    let t = spawn_app(backend).await;
    let r = t.get("/api/v1/no-such-thing", None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(content_type(&r).starts_with("application/problem+json"));
    let r = send(
        &t,
        "DELETE",
        "/api/v1/organizations",
        "application/json",
        String::new(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(content_type(&r).starts_with("application/problem+json"));
    // Path parameters that are not numbers, and hostile query strings.
    for path in [
        "/api/v1/organizations/not-a-number",
        "/api/v1/batches/99999999999999999999999",
        "/log/proof/-1",
        "/log/tile/0/x999/999/999",
        "/events?GE_eventTime=%ff%fe",
        "/events?perPage=-1",
        "/events?MATCH_epc=urn:epc:idpat:sgtin:*.*.*&EQ_bizStep=%00",
    ] {
        let r = t.get(path, Some(&t.admin_key)).await;
        let status = r.status();
        assert!(status.is_client_error(), "{path}: {status}");
        let ct = content_type(&r);
        assert!(ct.starts_with("application/problem+json"), "{path}: {ct}");
    }
}

both_backends!(
    deep_json_is_a_problem_everywhere,
    deep_epcis_documents_are_refused,
    bad_bodies_are_problems,
    unknown_routes_and_methods_are_problems,
    openapi_is_served,
);

/// The route scanner finds the routes it must (so the coverage test below
/// cannot pass by finding nothing).
#[test]
fn route_scanner_finds_known_routes() {
    let r = registered_routes();
    for (m, p) in [
        ("POST", "/api/v1/organizations"),
        ("GET", "/api/v1/organizations"),
        ("GET", "/log/tile/{path}"),
        ("OPTIONS", "/capture"),
        ("DELETE", "/queries/{name}"),
        ("GET", "/01/{gtin}/10/{lot}/21/{serial}"),
        ("GET", "/openapi.json"),
    ] {
        assert!(
            r.contains(&(m.to_owned(), p.to_owned())),
            "{m} {p} not found in {r:?}"
        );
    }
    assert!(r.len() > 80, "{}", r.len());
}

/// Every registered route is in the OpenAPI document or is a listed HTML
/// page; every documented operation is a registered route; HTML pages are
/// not documented as JSON API.
#[test]
fn every_route_is_documented_or_an_html_page() {
    let doc: Value = serde_json::from_str(web::openapi::OPENAPI_JSON).unwrap();
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..4]), Some("3.1."));
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = BTreeSet::new();
    for (p, item) in paths {
        for m in METHODS {
            if item.get(*m).is_some() {
                documented.insert((m.to_uppercase(), p.clone()));
            }
        }
    }
    let registered = registered_routes();
    let missing: Vec<_> = registered
        .iter()
        .filter(|(m, p)| !documented.contains(&(m.clone(), p.clone())) && !is_html_page(m, p))
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes neither in crates/web/openapi.json nor in HTML_PAGES (crates/web/tests/it/hardening.rs):\n  {}",
        missing.join("\n  ")
    );
    let stale: Vec<_> = documented
        .iter()
        .filter(|r| !registered.contains(*r))
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        stale.is_empty(),
        "documented but not routed:\n  {}",
        stale.join("\n  ")
    );
    let both: Vec<_> = HTML_PAGES
        .iter()
        .filter(|(m, p)| documented.contains(&(m.to_string(), p.to_string())))
        .collect();
    assert!(both.is_empty(), "HTML pages documented as API: {both:?}");
    let api_in_html: Vec<_> = registered
        .iter()
        .filter(|(m, p)| p.contains("/api/") && is_html_page(m, p))
        .collect();
    assert!(
        api_in_html.is_empty(),
        "API routes treated as HTML pages: {api_in_html:?}"
    );
    let unrouted: Vec<_> = HTML_PAGES
        .iter()
        .filter(|(m, p)| !registered.contains(&(m.to_string(), p.to_string())))
        .collect();
    assert!(
        unrouted.is_empty(),
        "HTML_PAGES entries no longer routed: {unrouted:?}"
    );
}

/// `GET /openapi.json` serves the document.
async fn openapi_is_served(backend: store::Backend) {
    let t = spawn_app(backend).await;
    let r = t.get("/openapi.json", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(content_type(&r).starts_with("application/json"));
    let doc: Value = r.json().await.unwrap();
    let expected: Value = serde_json::from_str(web::openapi::OPENAPI_JSON).unwrap();
    assert_eq!(doc, expected);
}
