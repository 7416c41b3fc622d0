//! The consoles' in-browser cryptography, from the server's side, on SQLite and
//! PostgreSQL: the case page embeds the age ciphertext of every message (which the
//! handler's own identity decrypts), keeps the no-JavaScript `ppetrace mailbox
//! read` hint, loads its scripts from 'self' only, and never asks for the identity
//! (no form field could carry it to the server); the inspector's signing page
//! carries the registered public key the script checks, and the record it prepares
//! (with the checklist) is accepted with a signature over exactly its bytes.
//! The browser side is crates/ppetrace/tests/it/browser.rs.

use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use reqwest::StatusCode;
use serde_json::{Value, json};
use store::Backend;
use testkit::{TestApp, both_backends, register_org, spawn_app, urlencode, with_check};

const PASSWORD: &str = "correct horse battery";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn created(r: reqwest::Response, what: &str) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(status.is_success(), "{what}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A console user of the regulator; returns its key id.
async fn console_user(t: &TestApp, org: i64, key: &str, name: &str, role: &str) -> i64 {
    created(
        t.post(
            &format!("/api/v1/organizations/{org}/users"),
            Some(key),
            json!({"username": name, "password": PASSWORD, "roles": [role]}),
        )
        .await,
        "console user",
    )
    .await["key_id"]
        .as_i64()
        .expect("key id")
}

/// Logs in; the session cookie.
async fn login(t: &TestApp, name: &str) -> String {
    let r = client()
        .post(t.url("/console/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "username={name}&password={}&next=%2Fconsole",
            urlencode(PASSWORD)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "login {name}");
    r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

async fn page(t: &TestApp, cookie: &str, path: &str) -> (StatusCode, String) {
    let r = client()
        .get(t.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn post_form(
    t: &TestApp,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    client()
        .post(t.url(path))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    html[at..at + 64].to_string()
}

/// The text of every element `<pre … attr="…">TEXT</pre>` carrying `attr`.
fn pre_texts(html: &str, attr: &str) -> Vec<String> {
    html.match_indices(attr)
        .filter_map(|(at, _)| {
            let rest = &html[at..];
            let open = rest.find('>')? + 1;
            let close = rest.find("</pre>")?;
            Some(rest[open..close].to_string())
        })
        .collect()
}

/// Every `<form …>…</form>` of a page.
fn forms(html: &str) -> Vec<&str> {
    html.match_indices("<form")
        .filter_map(|(at, _)| html[at..].find("</form>").map(|end| &html[at..at + end]))
        .collect()
}

async fn regulator(t: &TestApp) -> (i64, String) {
    register_org(
        t,
        "Safety Bureau",
        &["regulator"],
        &with_check("690777700000"),
        &[],
    )
    .await
}

async fn case_page_embeds_ciphertext_and_never_asks_for_the_identity(b: Backend) {
    let t = spawn_app(b).await;
    let (reg_id, reg_key) = regulator(&t).await;
    let key_id = console_user(&t, reg_id, &reg_key, "handler", "case_handler").await;
    let identity = age::x25519::Identity::generate();
    let actor = domain::authz::Actor {
        key_id,
        org_id: reg_id,
        roles: vec![domain::org::Role::Regulator],
        admin: false,
    };
    t.app
        .mailbox_register_handler(&actor, &identity.to_public().to_string(), None)
        .await
        .expect("register the console user's key as a handler");
    let ch = created(t.get("/api/v1/mailbox/challenge", None).await, "challenge").await;
    let challenge = ch["challenge"].as_str().unwrap().to_string();
    let nonce =
        app::mailbox::pow::solve(&challenge, ch["bits"].as_u64().unwrap() as u32).to_string();
    let report = "Helmets at stall 12 carry copied QR codes";
    let sub = created(
        t.post(
            "/api/v1/mailbox/reports",
            None,
            json!({"category": "counterfeit_ppe", "text": report,
                "attachments": [{"name": "note.txt", "content_type": "text/plain",
                    "data": base64::engine::general_purpose::STANDARD.encode("stall 12")}],
                "pow": {"challenge": challenge, "nonce": nonce}}),
        )
        .await,
        "report",
    )
    .await;
    let case = sub["case"].as_i64().expect("case id");
    let detail = t.app.mailbox_case(&actor, case).await.expect("case");

    let cookie = login(&t, "handler").await;
    let (status, html) = page(&t, &cookie, &format!("/console/cases/{case}?lang=en")).await;
    assert_eq!(status, StatusCode::OK, "{html}");

    // Every message's and attachment's ciphertext, as stored, is on the page…
    let messages = pre_texts(&html, "data-message=");
    let attachments = pre_texts(&html, "data-attachment=");
    assert_eq!(messages.len(), detail.messages.len(), "{html}");
    assert_eq!(attachments.len(), 1, "{html}");
    for m in &detail.messages {
        assert!(
            messages.contains(&m.ciphertext),
            "message {} embedded",
            m.id
        );
    }
    assert_eq!(attachments[0], detail.attachments[0].ciphertext);
    // …and the handler's identity reads the report from the page's bytes alone.
    let ct = base64::engine::general_purpose::STANDARD
        .decode(&messages[0])
        .expect("base64 on the page");
    let plain = age::decrypt(&identity, &ct).expect("the handler's identity decrypts it");
    let body: Value = serde_json::from_slice(&plain).expect("report JSON");
    assert_eq!(body["text"], report);
    assert!(
        !html.contains(report),
        "the server never shows the plaintext"
    );

    // Without JavaScript: the CLI command, and the in-browser reader stays hidden.
    assert!(
        html.contains(&format!(
            "ppetrace mailbox read --identity KEYFILE --key APIKEY --case {case}"
        )),
        "{html}"
    );
    assert!(html.contains("id=\"decrypt\" hidden"), "{html}");
    // Scripts only from 'self', none inline (the CSP forbids inline scripts).
    let scripts: Vec<&str> = html
        .match_indices("<script")
        .map(|(i, _)| &html[i..])
        .collect();
    assert_eq!(scripts.len(), 2, "{html}");
    assert!(scripts[0].starts_with("<script src=\"/assets/age.js\" defer></script>"));
    assert!(scripts[1].starts_with("<script src=\"/assets/case.js\" defer></script>"));
    // The identity is never requested: its inputs have no name and sit in no form,
    // and no form field mentions an identity or a secret key.
    for id in ["identity-file", "identity-text"] {
        let at = html.find(&format!("id=\"{id}\"")).expect(id);
        let tag_end = at + html[at..].find('>').unwrap();
        assert!(!html[at..tag_end].contains("name="), "{id} has no name");
    }
    for f in forms(&html) {
        assert!(!f.contains("identity"), "a form mentions the identity: {f}");
        assert!(!f.contains("AGE-SECRET"), "{f}");
        assert!(!f.contains("type=\"file\""), "{f}");
    }

    // The scripts: public, JavaScript, cacheable, under the site's strict CSP, and
    // with no way to send anything anywhere.
    for path in ["/assets/age.js", "/assets/case.js"] {
        let r = t.get(path, None).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "text/javascript; charset=utf-8"
        );
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert!(
            csp.starts_with("default-src 'self'") && !csp.contains("unsafe"),
            "{csp}"
        );
        let js = r.text().await.unwrap();
        for call in [
            "fetch(",
            "XMLHttpRequest",
            "sendBeacon",
            "localStorage",
            "sessionStorage",
            "indexedDB",
            "WebSocket",
            "eval(",
            "new Function",
        ] {
            assert!(!js.contains(call), "{path} uses {call}");
        }
    }
    let licence = t.get("/assets/age.js.LICENSE.txt", None).await;
    assert_eq!(licence.status(), StatusCode::OK);
    let licence = licence.text().await.unwrap();
    assert!(licence.contains("age-encryption@") && licence.contains("BSD-3-Clause"));
}

async fn inspector_signs_the_prepared_record_with_the_registered_key(b: Backend) {
    let t = spawn_app(b).await;
    let (reg_id, reg_key) = regulator(&t).await;
    let key_id = console_user(&t, reg_id, &reg_key, "inspector", "inspector").await;
    let signer = SigningKey::from_bytes(&[7; 32]);
    let pk = hex(signer.verifying_key().as_bytes());
    created(
        t.post(
            "/api/v1/inspectors",
            Some(&reg_key),
            json!({"code": "I1", "name": "Inspector One", "region": "north", "affiliations": [],
                "public_key": pk, "api_key_id": key_id}),
        )
        .await,
        "inspector",
    )
    .await;
    let cookie = login(&t, "inspector").await;
    let (_, overview) = page(&t, &cookie, "/console/inspector?lang=en").await;
    assert!(overview.contains("name=\"checklist\""), "{overview}");
    let csrf = csrf_of(&overview);
    let r = post_form(
        &t,
        &cookie,
        "/console/inspector/prepare?lang=en",
        &[
            ("csrf", &csrf),
            ("draw_id", "1"),
            ("target", "T1"),
            ("started_at", "2026-12-03T09:00"),
            ("ended_at", "2026-12-03T11:00"),
            ("checklist", "c1 pass\n\n  c2   FAIL  strap worn through\n"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!("id=\"sign-here\" hidden data-public-key=\"{pk}\"")),
        "{html}"
    );
    assert!(html.contains("<script src=\"/assets/inspector.js\" defer></script>"));
    assert_eq!(html.matches("<script").count(), 1, "no inline script");
    let at = html.find("name=\"record\" value=\"").expect("record field") + 21;
    let record = unescape(&html[at..at + html[at..].find('"').unwrap()]);
    let v: Value = serde_json::from_str(&record).expect("canonical JSON");
    assert_eq!(
        v["checklist"],
        json!([{"item": "c1", "result": "pass"},
               {"item": "c2", "result": "fail", "note": "strap worn through"}])
    );
    assert_eq!(v["inspector"], "I1");
    // The key file is never asked for by any form.
    for f in forms(&html) {
        assert!(
            !f.contains("key-file") && !f.contains("type=\"file\""),
            "{f}"
        );
    }
    // The signature a browser makes over the field's bytes verifies on the server:
    // the draw does not exist, so filing goes as far as the draw lookup (404), past
    // the signature check, while one wrong bit is refused as a bad signature.
    let sig = hex(&signer.sign(record.as_bytes()).to_bytes());
    let filed = post_form(
        &t,
        &cookie,
        "/console/inspector/file?lang=en",
        &[("csrf", &csrf), ("record", &record), ("signature", &sig)],
    )
    .await;
    let filed_status = filed.status();
    let filed_text = filed.text().await.unwrap();
    let mut bad = signer.sign(record.as_bytes()).to_bytes();
    bad[0] ^= 1;
    let forged = post_form(
        &t,
        &cookie,
        "/console/inspector/file?lang=en",
        &[
            ("csrf", &csrf),
            ("record", &record),
            ("signature", &hex(&bad)),
        ],
    )
    .await;
    let forged_status = forged.status();
    let forged_text = forged.text().await.unwrap();
    assert!(
        forged_text.contains("signature"),
        "{forged_status} {forged_text}"
    );
    assert!(
        !filed_text.contains("signature"),
        "{filed_status} {filed_text}"
    );

    // A checklist line that is no answer is refused before anything is signed.
    let r = post_form(
        &t,
        &cookie,
        "/console/inspector/prepare?lang=en",
        &[
            ("csrf", &csrf),
            ("draw_id", "1"),
            ("target", "T1"),
            ("started_at", "2026-12-03T09:00"),
            ("ended_at", "2026-12-03T11:00"),
            ("checklist", "c1 maybe"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("pass|fail|n/a"));
}

/// An HTML attribute value as the browser reads it (askama's escapes).
fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

both_backends!(
    case_page_embeds_ciphertext_and_never_asks_for_the_identity,
    inspector_signs_the_prepared_record_with_the_registered_key,
);
