//! The public pages: the verification page and the transparency portal, on SQLite
//! and PostgreSQL. Black-box over HTTP with data created through the API.

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{
    Maker, TestApp, both_backends, issue_codes, register_maker, release, spawn_app_with, urlencode,
    with_check,
};

const XSS_ORG: &str = "Acme <script>alert('org')</script> Helmets";
const XSS_PRODUCT: &str = "Visor <img src=x onerror=alert(1)>";
const XSS_REASON: &str = "Shell cracks & <b>splits</b> at -20 °C";
const XSS_TARGET: &str = "Works <i>Nine</i>";
const SECRET_CITY: &str = "Hamlet-of-the-scanner";
const REPORT_MARKER: &str = "REPORTER-PRIVATE-7731";
const SUMMARY: &str = "Counterfeit helmets with copied codes were seized at a market stall.";
const USCC: &str = "91350100M000100Y43";

struct World {
    t: TestApp,
    maker: Maker,
    codes: Vec<String>,
    visor_gtin: String,
}

/// Text as askama escapes it in HTML.
fn h(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

async fn page(t: &TestApp, path: &str, lang: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    let r = t.get(&format!("{path}{sep}lang={lang}"), None).await;
    assert_eq!(r.status(), StatusCode::OK, "{path} ({lang})");
    let ct = r.headers()["content-type"]
        .to_str()
        .expect("ct")
        .to_string();
    assert!(ct.starts_with("text/html"), "{path}: {ct}");
    let html = r.text().await.expect("html");
    let expected = if lang == "zh" {
        "lang=\"zh-CN\""
    } else {
        "lang=\"en\""
    };
    assert!(html.contains(expected), "{path} ({lang}) language");
    html
}

async fn created(r: reqwest::Response, what: &str) -> Value {
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{what}: {:?}",
        r.text().await
    );
    r.json().await.expect("json")
}

async fn ok(r: reqwest::Response, what: &str) -> Value {
    assert_eq!(r.status(), StatusCode::OK, "{what}: {:?}", r.text().await);
    r.json().await.expect("json")
}

/// A maker with a hostile name, two products, a recalled batch, look-ups that
/// raise an alert, a published substantiated fraud case and an inspection target.
async fn world(b: store::Backend) -> World {
    let t = spawn_app_with(b, |mut a| {
        std::sync::Arc::make_mut(&mut a.config).mailbox.pow_bits = 4;
        a
    })
    .await;
    let maker = register_maker(&t, "6901234", XSS_ORG).await;
    // The registry's USCC is public: set it on a second, plain organization.
    let r = t
        .post(
            "/api/v1/organizations",
            Some(&t.admin_key),
            json!({"name": "Beta Safety Shoes", "roles": ["manufacturer", "distributor"], "uscc": USCC,
                   "company_prefixes": ["6951234"]}),
        )
        .await;
    created(r, "beta").await;
    let visor_gtin = with_check("0690123400002");
    created(
        t.post("/api/v1/products", Some(&maker.key), json!({
            "gtin": visor_gtin, "name": XSS_PRODUCT, "category": "eye_face", "standard": "GB 14866-2023"
        }))
        .await,
        "visor",
    )
    .await;
    let codes = issue_codes(&t, &maker, 3).await;
    release(&t, &maker).await;
    created(
        t.post(
            &format!("/api/v1/batches/{}/recall", maker.batch_id),
            Some(&maker.key),
            json!({"reason": XSS_REASON}),
        )
        .await,
        "recall",
    )
    .await;
    // Look-ups: one with a place only the scanner should know, then two far apart
    // at once (impossible travel: one alert).
    for q in [
        format!("city={SECRET_CITY}"),
        "lat=39.9&lon=116.4".to_string(),
        "lat=43.8&lon=87.6".to_string(),
    ] {
        let r = t
            .client
            .get(format!("{}?{q}", codes[1]))
            .header("accept", "application/json")
            .send()
            .await
            .expect("lookup");
        assert_eq!(r.status(), StatusCode::OK);
        t.app.flush_scans().await;
    }

    // The mailbox: a handler, a report, substantiated and published.
    let reg = created(
        t.post(
            "/api/v1/organizations",
            Some(&t.admin_key),
            json!({"name": "Safety Bureau", "roles": ["regulator"]}),
        )
        .await,
        "regulator",
    )
    .await;
    let reg_id = reg["id"].as_i64().expect("id");
    let hkey = created(
        t.post(
            &format!("/api/v1/organizations/{reg_id}/keys"),
            Some(&t.admin_key),
            json!({"label": "handler"}),
        )
        .await,
        "key",
    )
    .await["key"]
        .as_str()
        .expect("key")
        .to_string();
    let identity = age::x25519::Identity::generate();
    created(
        t.post(
            "/api/v1/mailbox/handlers",
            Some(&hkey),
            json!({"recipient": identity.to_public().to_string()}),
        )
        .await,
        "handler",
    )
    .await;
    let ch = ok(t.get("/api/v1/mailbox/challenge", None).await, "challenge").await;
    let challenge = ch["challenge"].as_str().expect("challenge").to_string();
    let nonce = app::mailbox::pow::solve(&challenge, ch["bits"].as_u64().expect("bits") as u32);
    let sub = created(
        t.post(
            "/api/v1/mailbox/reports",
            None,
            json!({"category": "counterfeit_ppe", "text": format!("I saw fakes. {REPORT_MARKER}"),
                   "organization": REPORT_MARKER, "pow": {"challenge": challenge, "nonce": nonce.to_string()}}),
        )
        .await,
        "report",
    )
    .await;
    let case = sub["case"].as_i64().expect("case");
    for to in ["acknowledged", "investigating", "substantiated"] {
        ok(
            t.post(
                &format!("/api/v1/mailbox/cases/{case}/state"),
                Some(&hkey),
                json!({"to": to}),
            )
            .await,
            to,
        )
        .await;
    }
    ok(
        t.post(
            &format!("/api/v1/mailbox/cases/{case}/publish"),
            Some(&hkey),
            json!({"summary": SUMMARY, "organization_id": maker.org_id, "gtin": maker.gtin}),
        )
        .await,
        "publish",
    )
    .await;
    // An inspection target (no inspection yet).
    created(
        t.post("/api/v1/inspection-targets", Some(&hkey), json!({
            "code": "T9", "name": XSS_TARGET, "org_id": maker.org_id, "risk_class": "A", "region": "north"
        }))
        .await,
        "target",
    )
    .await;
    t.app.sequence_log().await.expect("checkpoint");
    World {
        t,
        maker,
        codes,
        visor_gtin,
    }
}

/// What no public page may contain: hostile markup unescaped, the place of a
/// look-up, anything of the reporter's.
fn assert_clean(path: &str, html: &str) {
    for bad in [
        "<script>alert",
        "<img src=x",
        "<b>splits</b>",
        "<i>Nine</i>",
        SECRET_CITY,
        REPORT_MARKER,
    ] {
        assert!(!html.contains(bad), "{path} contains {bad}");
    }
}

async fn portal_pages_show_the_registry(b: store::Backend) {
    let w = world(b).await;
    let t = &w.t;
    let m = &w.maker;
    let org_path = format!("/portal/organizations/{}", m.org_id);
    let product_path = format!("/portal/products/{}", m.gtin);
    let pages = [
        "/".to_string(),
        "/portal".to_string(),
        "/portal/organizations".to_string(),
        org_path.clone(),
        "/portal/products".to_string(),
        product_path.clone(),
        format!("/portal/products/{}", w.visor_gtin),
        "/portal/recalls".to_string(),
        "/portal/inspections".to_string(),
        "/portal/cases".to_string(),
        "/portal/statistics".to_string(),
        "/portal/log".to_string(),
    ];
    for lang in ["en", "zh"] {
        for p in &pages {
            let html = page(t, p, lang).await;
            assert_clean(p, &html);
        }
    }

    // Home links every part of the portal.
    let home = page(t, "/", "en").await;
    for link in [
        "/portal?",
        "/portal/organizations?",
        "/portal/products?",
        "/portal/recalls?",
        "/draws?",
        "/portal/inspections?",
        "/portal/cases?",
        "/portal/statistics?",
        "/portal/log?",
    ] {
        assert!(
            home.contains(&format!("href=\"{link}")),
            "home links {link}"
        );
    }

    // Organizations: escaped names, roles in words, the USCC.
    let html = page(t, "/portal/organizations", "en").await;
    assert!(html.contains(&h(XSS_ORG)), "{html}");
    assert!(html.contains("distributor, manufacturer"), "{html}");
    assert!(html.contains(USCC));
    assert!(
        !html.contains(">operator<"),
        "the platform operator is not a registry entry"
    );
    let html = page(t, "/portal/organizations", "zh").await;
    assert!(html.contains("经销商、制造商"));

    // One organization: its sites' city, its products (escaped), the recall, the case.
    let html = page(t, &org_path, "en").await;
    assert!(html.contains("Anshan"), "site region");
    assert!(html.contains(&format!("href=\"/portal/products/{}?lang=en\"", m.gtin)));
    assert!(html.contains(&h(XSS_PRODUCT)));
    assert!(html.contains(&h(XSS_REASON)));
    assert!(html.contains(SUMMARY));
    let html = page(t, &org_path, "zh").await;
    assert!(html.contains("召回") && html.contains("查实的造假案件"));

    // The product page: certificate with body, validity and status in words; recall.
    let html = page(t, &product_path, "en").await;
    assert!(html.contains("LA safety mark"));
    assert!(html.contains("23-01-901234"));
    assert!(html.contains("LA centre"));
    assert!(html.contains("2025-01-01 – 2028-12-31"));
    assert!(html.contains("✓ valid"));
    assert!(html.contains("Recalled batches: 1"));
    assert!(html.contains("<code>L1</code>"));
    assert!(html.contains(&h(XSS_REASON)));
    assert!(html.contains(SUMMARY), "the case names this GTIN");
    let html = page(t, &product_path, "zh").await;
    assert!(html.contains("✓ 有效") && html.contains("召回批次： 1"));
    // The visor has no certificate and no recall.
    let html = page(t, &format!("/portal/products/{}", w.visor_gtin), "en").await;
    assert!(html.contains("No certificate is registered"));
    assert!(html.contains("No recalls."));

    // Recall list.
    let html = page(t, "/portal/recalls", "en").await;
    assert!(html.contains(&format!("href=\"/portal/products/{}?lang=en\"", m.gtin)));
    assert!(html.contains("<code>L1</code>"));
    assert_eq!(html.matches("class=\"recall-row\"").count(), 1);
    let html = page(t, "/portal/recalls", "zh").await;
    assert!(html.contains("召回"));

    // Inspections: the target, escaped, linked to its results page; draws linked.
    let html = page(t, "/portal/inspections", "en").await;
    assert!(html.contains(&h(XSS_TARGET)));
    assert!(html.contains("href=\"/targets/T9/inspections?lang=en\""));
    assert!(html.contains("not inspected yet"));
    assert!(html.contains("href=\"/draws?lang=en\""));

    // Cases: the published summary and its counts, nothing of the report itself.
    let html = page(t, "/portal/cases", "en").await;
    assert!(html.contains(SUMMARY));
    assert!(
        html.contains("Counterfeit PPE") || html.contains("counterfeit"),
        "{html}"
    );
    let html = page(t, "/portal/cases", "zh").await;
    assert!(html.contains(SUMMARY) && html.contains("查证属实"));

    // The log: the latest checkpoint and how to audit it.
    let html = page(t, "/portal/log", "en").await;
    let cp = t
        .get("/log/checkpoint", None)
        .await
        .text()
        .await
        .expect("checkpoint");
    let size = cp.lines().nth(1).expect("size line");
    assert!(html.contains(&format!("<strong>{size}</strong>")), "{size}");
    assert!(html.contains(&format!("ppetrace audit --url {}", t.base)));
    let html = page(t, "/portal/log", "zh").await;
    assert!(html.contains("如何审计"));
}

async fn statistics_charts_carry_the_counts(b: store::Backend) {
    let w = world(b).await;
    let t = &w.t;
    let today = chrono::Utc::now().date_naive();
    let day = today.format("%m-%d").to_string();
    let html = page(t, "/portal/statistics", "en").await;
    // Three look-ups today: in the SVG (column tooltip) and in the table.
    assert!(html.contains("<svg"), "inline SVG");
    assert!(html.contains("role=\"img\""));
    assert!(html.contains("<title id=\"lookups-t\">Verifications of issued codes per day"));
    assert!(html.contains(&format!("<title>{day}: 3</title>")), "{html}");
    assert!(html.contains(&format!("<tr><td>{day}</td><td class=\"num\">3</td></tr>")));
    // One impossible-travel alert at level "medium".
    assert!(html.contains("<tr><td>medium</td><td class=\"num\">1</td></tr>"));
    assert!(html.contains(">medium</text>"));
    // One recall this month; one report received, substantiated and published.
    let month = today.format("%Y-%m").to_string();
    assert!(html.contains(&format!(
        "<tr><td>{month}</td><td class=\"num\">1</td></tr>"
    )));
    assert!(html.contains("<tr><td>published</td><td class=\"num\">1</td></tr>"));
    // Totals: 4 organizations with roles + the operator, 2 products, 3 codes.
    assert!(html.contains("<dt>Codes issued</dt><dd>3</dd>"));
    assert!(html.contains("<dt>Product models</dt><dd>2</dd>"));
    let html = page(t, "/portal/statistics", "zh").await;
    assert!(html.contains("<tr><td>中</td><td class=\"num\">1</td></tr>"));
    assert!(html.contains("<title id=\"lookups-t\">每日已发放编码的查验次数"));
}

async fn unknown_and_malformed_are_problems(b: store::Backend) {
    let w = world(b).await;
    let t = &w.t;
    for (path, status) in [
        ("/portal/organizations/999999", StatusCode::NOT_FOUND),
        ("/portal/organizations/abc", StatusCode::BAD_REQUEST),
        ("/portal/products/00000000000000", StatusCode::NOT_FOUND),
        ("/portal/products/06901234000012", StatusCode::BAD_REQUEST),
        ("/portal/products/x%3Cscript%3E", StatusCode::BAD_REQUEST),
    ] {
        let r = t.get(path, None).await;
        assert_eq!(r.status(), status, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        let p: Value = r.json().await.expect("problem");
        assert_eq!(p["status"], status.as_u16());
    }
    // The operator's own organization (no role) is not a public registry page.
    let orgs: Value = ok(t.get("/api/v1/organizations", None).await, "orgs").await;
    let operator = orgs
        .get("organizations")
        .and_then(Value::as_array)
        .expect("list")
        .iter()
        .find(|o| o["name"] == "operator")
        .expect("operator")["id"]
        .as_i64()
        .expect("id");
    let r = t
        .get(&format!("/portal/organizations/{operator}"), None)
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

async fn verify_page_has_everything_a_worker_needs(b: store::Backend) {
    let w = world(b).await;
    let t = &w.t;
    let m = &w.maker;
    let uri = &w.codes[0];
    for lang in ["en", "zh"] {
        let r = t
            .client
            .get(format!("{uri}?lang={lang}"))
            .send()
            .await
            .expect("page");
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().contains_key("ppe-signature"));
        let html = r.text().await.expect("html");
        assert_clean(uri, &html);
        // Verdict in words (with the colour class), and the recall notice.
        assert!(html.contains("verdict-bad"));
        assert!(html.contains("<code>recalled</code>"));
        assert!(html.contains("class=\"card notice notice-bad recall\" role=\"alert\""));
        assert!(html.contains(&h(XSS_REASON)));
        if lang == "en" {
            assert!(html.contains("Do not use"));
            assert!(html.contains("Recall notice"));
            assert!(html.contains("LA centre") && html.contains("✗") || html.contains("✓ valid"));
            assert!(html.contains("2025-01-01 – 2028-12-31"));
        } else {
            assert!(html.contains("请勿使用"));
            assert!(html.contains("召回通知"));
            assert!(html.contains("发证机构"));
        }
        // Product and maker link to the portal; escaped maker name.
        assert!(html.contains(&format!("href=\"/portal/products/{}?lang={lang}\"", m.gtin)));
        assert!(html.contains(&format!(
            "href=\"/portal/organizations/{}?lang={lang}\"",
            m.org_id
        )));
        assert!(html.contains(&h(XSS_ORG)));
        // Report a problem: the mailbox form with the code filled in.
        let link = format!(
            "href=\"{}\"",
            h(&format!(
                "/mailbox?lang={lang}&code={}",
                web::pages::encode(uri)
            ))
        );
        assert!(html.contains(&link), "{link}");
        // How to check: the key and the exact commands.
        assert!(html.contains("/.well-known/ppetrace-answer-key"));
        assert!(html.contains("PPE-Signature"));
        assert!(html.contains("openssl pkeyutl -verify -pubin -keyform DER -inkey key.der -rawin"));
    }
    // The mailbox form opens with the code filled in (escaped).
    let html = page(t, &format!("/mailbox?code={}", urlencode(uri)), "en").await;
    assert!(
        html.contains(&format!("value=\"{}\"", h(uri))),
        "prefilled code"
    );
    let html = page(t, "/mailbox?code=%22%3E%3Cscript%3Ex", "en").await;
    assert!(html.contains(&format!("value=\"{}\"", h("\"><script>x"))));
    assert!(!html.contains("\"><script>x"));

    // A genuine item: the visor has no codes, so use an unknown serial of a known
    // product for "unknown" and check the genuine words on a fresh batch instead.
    let unknown = format!("{}/01/{}/21/NOSUCHSERIAL", t.base, m.gtin);
    let html = t
        .client
        .get(format!("{unknown}?lang=en"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("<code>unknown</code>") && html.contains("Do not use"));
    assert!(
        !html.contains("/portal/organizations/"),
        "unknown codes reveal no maker"
    );
}

/// The commands printed under "How to check" verify a real answer.
async fn check_command_verifies_the_signature(b: store::Backend) {
    let w = world(b).await;
    let t = &w.t;
    let have = |tool: &str| {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {tool}"))
            .output()
            .is_ok_and(|o| o.status.success())
    };
    for tool in ["curl", "openssl", "base64", "awk"] {
        assert!(
            have(tool),
            "{tool} is needed by this test (Debian: curl, openssl)"
        );
    }
    let status_url = format!(
        "{}/api/v1/status?code={}",
        t.base,
        web::pages::encode(&w.codes[0])
    );
    let cmd = web::pages::check_command(&t.base, &status_url);
    // The page shows exactly these commands (HTML-escaped).
    let html = t
        .client
        .get(&w.codes[0])
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let escaped = h(&cmd);
    assert!(html.contains(&escaped), "{escaped}");
    let dir = std::env::temp_dir().join(format!(
        "ppetrace-check-{}-{}",
        b.as_str(),
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&cmd)
        .current_dir(&dir)
        .output()
        .expect("sh");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success() && stdout.contains("Signature Verified Successfully"),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A changed answer fails the same check.
    let body = std::fs::read(dir.join("answer.json")).expect("answer");
    let mut tampered = body.clone();
    let pos = tampered.len() / 2;
    tampered[pos] ^= 1;
    std::fs::write(dir.join("answer.json"), &tampered).expect("write");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("openssl pkeyutl -verify -pubin -keyform DER -inkey key.der -rawin -in answer.json -sigfile sig.bin")
        .current_dir(&dir)
        .output()
        .expect("sh");
    assert!(!out.status.success(), "a tampered answer must not verify");
    let _ = std::fs::remove_dir_all(&dir);
}

both_backends!(
    portal_pages_show_the_registry,
    statistics_charts_carry_the_counts,
    unknown_and_malformed_are_problems,
    verify_page_has_everything_a_worker_needs,
    check_command_verifies_the_signature,
);
