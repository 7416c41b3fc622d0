//! The consoles over HTTP: login, throttling, session expiry, logout, CSRF, data
//! isolation between manufacturers and role checks — on SQLite and PostgreSQL.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;
use store::Backend;
use testkit::{TestApp, both_backends, register_maker, spawn_app_with};

/// A clock the test moves.
struct TestClock(Mutex<DateTime<Utc>>);
impl app::Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}
impl TestClock {
    fn advance(&self, d: Duration) {
        *self.0.lock().unwrap() += d;
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

const PASSWORD: &str = "correct horse battery";

/// Creates a console user through the API with the organization's key.
async fn create_user(t: &TestApp, org_id: i64, key: &str, username: &str, roles: &[&str]) {
    let r = t
        .post(
            &format!("/api/v1/organizations/{org_id}/users"),
            Some(key),
            json!({"username": username, "password": PASSWORD, "roles": roles}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
}

/// `application/x-www-form-urlencoded` body of a form.
fn form_body(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", web::pages::encode(k), web::pages::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn login_raw(t: &TestApp, username: &str, password: &str) -> reqwest::Response {
    client()
        .post(t.url("/console/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("username", username),
            ("password", password),
            ("next", "/console"),
        ]))
        .send()
        .await
        .unwrap()
}

/// Logs in; returns the `Cookie` header value.
async fn login(t: &TestApp, username: &str) -> String {
    let r = login_raw(t, username, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set = r.headers()[SET_COOKIE].to_str().unwrap().to_string();
    set.split(';').next().unwrap().to_string()
}

async fn get(t: &TestApp, cookie: &str, path: &str) -> reqwest::Response {
    client()
        .get(t.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

async fn post(t: &TestApp, cookie: &str, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    client()
        .post(t.url(path))
        .header(COOKIE, cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(form))
        .send()
        .await
        .unwrap()
}

/// The CSRF token in a console page's forms.
fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 19;
    html[at..at + 64].to_string()
}

async fn csrf(t: &TestApp, cookie: &str) -> String {
    let r = get(t, cookie, "/console").await;
    assert_eq!(r.status(), StatusCode::OK);
    csrf_of(&r.text().await.unwrap())
}

async fn login_logout_and_log_entries(b: Backend) {
    let t = spawn_app_with(b, |a| a).await;
    let m = register_maker(&t, "6901234", "Maker").await;
    create_user(&t, m.org_id, &m.key, "maker", &["manufacturer"]).await;

    // Wrong password or unknown user: 401 page with the same words, no cookie.
    for (u, p) in [("maker", "wrong password!"), ("nobody", PASSWORD)] {
        let r = login_raw(&t, u, p).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.headers().get(SET_COOKIE).is_none());
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("Wrong username or password")
        );
    }

    let before = t.app.store.log_size().await.unwrap();
    let r = login_raw(&t, "maker", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/console")
    );
    let set = r.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(set.starts_with("ppetrace-session="), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(
        !set.contains("Secure"),
        "plain http must not mark the cookie Secure: {set}"
    );
    assert_eq!(
        t.app.store.log_size().await.unwrap(),
        before + 1,
        "login is logged"
    );
    let cookie = set.split(';').next().unwrap().to_string();

    let r = get(&t, &cookie, "/console?lang=zh").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    assert!(html.contains("maker") && html.contains("退出登录"));
    let token = csrf_of(&html);

    // No secret reaches the log: neither the password nor the session token.
    let entries = t
        .app
        .store
        .log_entries(0, t.app.store.log_size().await.unwrap())
        .await
        .unwrap();
    let all = entries.concat();
    let text = String::from_utf8_lossy(&all);
    let session_token = cookie.split('=').nth(1).unwrap();
    assert!(!text.contains(PASSWORD) && !text.contains(session_token) && !text.contains(&token));
    assert!(
        text.contains("ppetrace/v1 console_login") && text.contains("ppetrace/v1 console_user")
    );

    // Logout deletes the session server-side: the old cookie no longer works.
    let r = post(&t, &cookie, "/console/logout", &[("csrf", &token)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        t.app.store.log_size().await.unwrap(),
        before + 2,
        "logout is logged"
    );
    let r = get(&t, &cookie, "/console").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/console/login")
    );
}

async fn logins_are_throttled_per_username(b: Backend) {
    let t = spawn_app_with(b, |a| a).await;
    let m = register_maker(&t, "6901234", "Maker").await;
    create_user(&t, m.org_id, &m.key, "maker", &["manufacturer"]).await;
    create_user(&t, m.org_id, &m.key, "maker2", &["manufacturer"]).await;
    for _ in 0..app::users::THROTTLE_ATTEMPTS {
        assert_eq!(
            login_raw(&t, "maker", "wrong password!").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Now even the right password is refused for a while…
    let r = login_raw(&t, "maker", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get(SET_COOKIE).is_none());
    // …but only for that username.
    assert_eq!(
        login_raw(&t, "maker2", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn sessions_expire(b: Backend) {
    let clock = Arc::new(TestClock(Mutex::new(Utc::now())));
    let c2 = clock.clone();
    let t = spawn_app_with(b, move |a| a.with_clock(c2)).await;
    let m = register_maker(&t, "6901234", "Maker").await;
    create_user(&t, m.org_id, &m.key, "maker", &["manufacturer"]).await;
    let cookie = login(&t, "maker").await;
    clock.advance(app::users::SESSION_TTL - Duration::minutes(1));
    assert_eq!(get(&t, &cookie, "/console").await.status(), StatusCode::OK);
    clock.advance(Duration::minutes(2));
    let r = get(&t, &cookie, "/console/manufacturer").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()[LOCATION].to_str().unwrap(),
        "/console/login?lang=en&next=%2Fconsole%2Fmanufacturer"
    );
    // A POST with an expired session is refused outright.
    let r = post(
        &t,
        &cookie,
        "/console/manufacturer/products",
        &[("csrf", "x")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

async fn every_post_needs_the_csrf_token(b: Backend) {
    let t = spawn_app_with(b, |a| a).await;
    let m = register_maker(&t, "6901234", "Maker").await;
    create_user(&t, m.org_id, &m.key, "maker", &["manufacturer"]).await;
    let cookie = login(&t, "maker").await;
    let token = csrf(&t, &cookie).await;
    let gtin = testkit::with_check("0690123400002");
    let product = |csrf: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("csrf", csrf.to_string()),
            ("gtin", gtin.clone()),
            ("name", "Helmet B".into()),
            ("category", "head".into()),
            ("standard", "GB 2811-2019".into()),
        ]
    };
    for form in [
        product(""),
        product("0000000000000000000000000000000000000000000000000000000000000000"),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = post(&t, &cookie, "/console/manufacturer/products", &form).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(r.headers()[CONTENT_TYPE], "application/problem+json");
        assert!(r.text().await.unwrap().contains("/problems/csrf"));
    }
    // Nothing was created.
    assert!(
        t.app
            .store
            .get_product_by_gtin(&gtin)
            .await
            .unwrap()
            .is_none()
    );
    let mut form = product("");
    form[0].1 = token.clone();
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post(&t, &cookie, "/console/manufacturer/products", &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        t.app
            .store
            .get_product_by_gtin(&gtin)
            .await
            .unwrap()
            .is_some()
    );
    // Logout needs it too.
    let r = post(&t, &cookie, "/console/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(get(&t, &cookie, "/console").await.status(), StatusCode::OK);
}

async fn manufacturers_see_only_their_own_data(b: Backend) {
    let t = spawn_app_with(b, |a| a).await;
    let a = register_maker(&t, "6901234", "Maker A").await;
    let other = register_maker(&t, "6911234", "Maker B").await;
    create_user(&t, a.org_id, &a.key, "maker-a", &["manufacturer"]).await;
    let cookie = login(&t, "maker-a").await;
    let r = get(&t, &cookie, "/console/manufacturer").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains(&a.gtin) && !html.contains(&other.gtin));
    assert_eq!(
        get(
            &t,
            &cookie,
            &format!("/console/manufacturer/products/{}", a.gtin)
        )
        .await
        .status(),
        StatusCode::OK
    );
    let r = get(
        &t,
        &cookie,
        &format!("/console/manufacturer/products/{}", other.gtin),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!r.text().await.unwrap().contains("Helmet"));
    for path in [
        format!("/console/manufacturer/batches/{}", other.batch_id),
        format!("/console/manufacturer/batches/{}/codes.csv", other.batch_id),
    ] {
        assert_eq!(
            get(&t, &cookie, &path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    // Issuing codes in someone else's batch is refused and issues nothing.
    let token = csrf(&t, &cookie).await;
    let r = post(
        &t,
        &cookie,
        &format!("/console/manufacturer/batches/{}/codes", other.batch_id),
        &[("csrf", &token), ("count", "5")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.app.store.count_codes(other.batch_id).await.unwrap(), 0);
    // Own batch: codes are issued through the console.
    let r = post(
        &t,
        &cookie,
        &format!("/console/manufacturer/batches/{}/codes", a.batch_id),
        &[("csrf", &token), ("count", "5")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Codes issued: 5"));
    assert_eq!(t.app.store.count_codes(a.batch_id).await.unwrap(), 5);
}

async fn role_pages_refuse_other_roles(b: Backend) {
    let t = spawn_app_with(b, |a| a).await;
    let m = register_maker(&t, "6901234", "Maker").await;
    create_user(&t, m.org_id, &m.key, "maker", &["manufacturer"]).await;
    let cookie = login(&t, "maker").await;
    for path in [
        "/console/employer",
        "/console/regulator",
        "/console/inspector",
        "/console/cases",
        "/console/users",
    ] {
        let r = get(&t, &cookie, path).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(r.headers()[CONTENT_TYPE], "application/problem+json");
    }
    // Console roles must fit the organization: a manufacturer cannot get a regulator user.
    let r = t
        .post(
            &format!("/api/v1/organizations/{}/users", m.org_id),
            Some(&m.key),
            json!({"username": "fake-regulator", "password": PASSWORD, "roles": ["regulator"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Another organization's key cannot create users here.
    let other = register_maker(&t, "6911234", "Other").await;
    let r = t
        .post(
            &format!("/api/v1/organizations/{}/users", m.org_id),
            Some(&other.key),
            json!({"username": "intruder", "password": PASSWORD, "roles": ["manufacturer"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Without a session, console pages send people to the login page.
    let r = client()
        .get(t.url("/console/regulator"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

both_backends!(
    login_logout_and_log_entries,
    logins_are_throttled_per_username,
    sessions_expire,
    every_post_needs_the_csrf_token,
    manufacturers_see_only_their_own_data,
    role_pages_refuse_other_roles,
);

// ---------- employer and regulator consoles ----------

/// The employer console end to end (receive by typed codes and a carton, accept,
/// issue, due items, refusals with their reasons, CSRF, isolation) and the
/// regulator's analytics page (inspection records, flags, alerts and recalls as
/// tables and SVG charts, in both languages).
mod employer_and_regulator {
    use super::*;
    use app::draws::draw;
    use ed25519_dalek::{Signer, SigningKey};
    use serde_json::Value;
    use testkit::{Maker, issue_codes, register_org, register_site, release, with_check};

    const EPCIS_CTX: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

    async fn created(r: reqwest::Response, what: &str) -> Value {
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{what}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    async fn page(t: &TestApp, cookie: &str, path: &str) -> String {
        let r = get(t, cookie, path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.text().await.unwrap()
    }

    /// Ledger item ids named by the forms posting to `…/items/{id}/{action}`.
    fn item_ids(html: &str, action: &str) -> Vec<i64> {
        let marker = "/console/employer/items/";
        html.match_indices(marker)
            .filter_map(|(at, _)| {
                let rest = &html[at + marker.len()..];
                let (id, tail) = rest.split_once('/')?;
                tail.starts_with(action).then(|| id.parse().ok())?
            })
            .collect()
    }

    /// An employer organization with one site and a console user; returns (org id, key, site).
    async fn employer_org(
        t: &TestApp,
        name: &str,
        gln12: &str,
        user: &str,
    ) -> (i64, String, String) {
        let (org, key) = register_org(
            t,
            name,
            &["employer"],
            &with_check(&format!("{gln12}0")),
            &[],
        )
        .await;
        let site = with_check(&format!("{gln12}1"));
        register_site(t, org, &key, &site, "Tangshan", 39.6, 118.2).await;
        create_user(t, org, &key, user, &["employer"]).await;
        (org, key, site)
    }

    async fn employer_console_receives_accepts_and_issues(b: Backend) {
        let t = spawn_app_with(b, |a| a).await;
        let m = register_maker(&t, "6901234", "Maker").await;
        // A batch that expires in 20 days: its items fall due for replacement
        // inside the console's 30-day window.
        let today = Utc::now().date_naive();
        let expiry = today + Duration::days(20);
        let batch = created(
            t.post(
                "/api/v1/batches",
                Some(&m.key),
                json!({"gtin": m.gtin, "lot": "L2", "production_date": today.to_string(), "expiry_date": expiry.to_string()}),
            )
            .await,
            "batch",
        )
        .await["id"]
            .as_i64()
            .unwrap();
        let m2 = Maker {
            org_id: m.org_id,
            key: m.key.clone(),
            site_gln: m.site_gln.clone(),
            gtin: m.gtin.clone(),
            batch_id: batch,
        };
        let items = issue_codes(&t, &m2, 4).await;
        release(&t, &m2).await;
        // Two items packed in a carton (an EPCIS AggregationEvent).
        let sscc = with_check("06901234000000001");
        let carton = format!("https://id.gs1.org/00/{sscc}");
        let children: Vec<Value> = items[..2]
            .iter()
            .map(|u| {
                let serial = u.rsplit('/').next().unwrap();
                json!(format!("https://id.gs1.org/01/{}/21/{serial}", m.gtin))
            })
            .collect();
        let ev = json!({"@context": [EPCIS_CTX], "type": "AggregationEvent",
            "eventTime": (Utc::now() - Duration::hours(1)).to_rfc3339(), "eventTimeZoneOffset": "+08:00",
            "parentID": carton, "childEPCs": children, "action": "ADD", "bizStep": "packing",
            "disposition": "in_progress", "bizLocation": {"id": format!("https://id.gs1.org/414/{}", m.site_gln)}});
        let r = t
            .client
            .post(t.url("/events"))
            .bearer_auth(&m.key)
            .header(CONTENT_TYPE, "application/ld+json")
            .body(ev.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);

        let (_, _, site) = employer_org(&t, "Steelworks", "69055550000", "storekeeper").await;
        let (_, _, other_site) = employer_org(&t, "Shipyard", "69066660000", "shipyard").await;
        let cookie = login(&t, "storekeeper").await;
        let token = csrf(&t, &cookie).await;

        // A worker, added through the console.
        let r = post(
            &t,
            &cookie,
            "/console/employer/workers",
            &[("csrf", &token), ("code", "W-001"), ("name", "Li Lei")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);

        // Without the CSRF token a receipt is refused and nothing enters the ledger.
        let fake = format!("https://id.gs1.org/01/{}/21/NOSUCHSERIAL1", m.gtin);
        let typed = format!("{carton}\r\n{}\n{fake}\n", items[2]);
        for bad in [
            "",
            "0000000000000000000000000000000000000000000000000000000000000000",
        ] {
            let r = post(
                &t,
                &cookie,
                "/console/employer/receive",
                &[("csrf", bad), ("site_gln", &site), ("codes", &typed)],
            )
            .await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN);
            assert!(r.text().await.unwrap().contains("/problems/csrf"));
        }
        assert!(
            page(&t, &cookie, "/console/employer/ledger")
                .await
                .contains("Nothing in the ledger yet.")
        );

        // Typed codes: the carton (two items), one item and a code no manufacturer issued.
        let r = post(
            &t,
            &cookie,
            "/console/employer/receive",
            &[("csrf", &token), ("site_gln", &site), ("codes", &typed)],
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("waiting for acceptance: <strong>3</strong>"),
            "{html}"
        );
        assert!(html.contains("Quarantined: <strong>1</strong>"), "{html}");
        assert!(html.contains("alerts sent to brand owners: 1"), "{html}");
        assert!(
            html.contains("NOSUCHSERIAL1") && html.contains("⚠ counterfeit"),
            "{html}"
        );
        let received = item_ids(&html, "accept");
        assert_eq!(received.len(), 3, "an accept button per genuine item");

        // Acceptance, from the ledger page.
        let ledger = page(&t, &cookie, "/console/employer/ledger").await;
        assert_eq!(item_ids(&ledger, "accept"), received);
        for id in &received {
            let r = post(
                &t,
                &cookie,
                &format!("/console/employer/items/{id}/accept"),
                &[("csrf", &token)],
            )
            .await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            assert_eq!(r.headers()[LOCATION], "/console/employer/ledger?lang=en");
        }
        let ledger = page(&t, &cookie, "/console/employer/ledger").await;
        assert!(item_ids(&ledger, "accept").is_empty());
        assert_eq!(item_ids(&ledger, "issue"), received);
        assert!(
            ledger.contains("In stock")
                && ledger.contains("<option value=\"W-001\">W-001 Li Lei</option>")
        );

        // Issue to the worker.
        let first = received[0];
        let r = post(
            &t,
            &cookie,
            &format!("/console/employer/items/{first}/issue"),
            &[("csrf", &token), ("worker", "W-001")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let ledger = page(&t, &cookie, "/console/employer/ledger?lang=zh").await;
        assert!(
            ledger.contains("<td>已发放</td>") && ledger.contains("<td>W-001 Li Lei</td>"),
            "{ledger}"
        );
        assert_eq!(item_ids(&ledger, "issue").len(), 2);

        // Due items: the three accepted items must be replaced by the batch's expiry.
        let overview = page(&t, &cookie, "/console/employer").await;
        let due_row = format!("<td>replacement</td><td>{expiry}</td><td>20</td>");
        assert_eq!(overview.matches(&due_row).count(), 3, "{overview}");
        let overview = page(&t, &cookie, "/console/employer?lang=zh").await;
        assert!(overview.contains("30 天内到期") && overview.contains("<td>更换</td>"));

        // The manufacturer recalls the batch: issuing another of its items is
        // refused with the reason, and a new receipt of one is quarantined as recalled.
        created(
            t.post(
                &format!("/api/v1/batches/{batch}/recall"),
                Some(&m.key),
                json!({"reason": "chin strap buckle breaks"}),
            )
            .await,
            "recall",
        )
        .await;
        let second = received[1];
        let r = post(
            &t,
            &cookie,
            &format!("/console/employer/items/{second}/issue"),
            &[("csrf", &token), ("worker", "W-001")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(
            r.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = r.text().await.unwrap();
        assert!(html.contains("cannot be issued: recalled"), "{html}");
        assert!(html.contains("chin strap buckle breaks"), "{html}");
        let r = post(
            &t,
            &cookie,
            &format!("/console/employer/items/{second}/issue?lang=zh"),
            &[("csrf", &token), ("worker", "W-001")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(r.text().await.unwrap().contains("操作未成功"));
        let ledger = page(&t, &cookie, "/console/employer/ledger").await;
        assert_eq!(
            ledger.matches("<td>Issued</td>").count(),
            1,
            "nothing more was issued"
        );
        let r = post(
            &t,
            &cookie,
            "/console/employer/receive?lang=zh",
            &[("csrf", &token), ("site_gln", &site), ("codes", &items[3])],
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("已隔离：") && html.contains("⚠ 已召回"),
            "{html}"
        );
        assert!(
            item_ids(&html, "accept").is_empty(),
            "a quarantined item cannot be accepted"
        );

        // Form posts need the token.
        let r = post(
            &t,
            &cookie,
            &format!("/console/employer/items/{second}/accept"),
            &[("worker", "W-001")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.text().await.unwrap().contains("/problems/csrf"));

        // Another employer sees none of it and cannot act on it.
        let other = login(&t, "shipyard").await;
        let other_token = csrf(&t, &other).await;
        for path in ["/console/employer", "/console/employer/ledger"] {
            let html = page(&t, &other, path).await;
            assert!(
                !html.contains(&m.gtin) && !html.contains("Li Lei") && !html.contains(&site),
                "{path}"
            );
        }
        assert!(
            page(&t, &other, "/console/employer")
                .await
                .contains(&other_site)
        );
        let third = received[2];
        for action in ["accept", "issue"] {
            let r = post(
                &t,
                &other,
                &format!("/console/employer/items/{third}/{action}"),
                &[("csrf", &other_token), ("worker", "W-001")],
            )
            .await;
            assert!(
                matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "{action}: {}",
                r.status()
            );
        }
        // Receiving at someone else's site is refused too.
        let r = post(
            &t,
            &other,
            "/console/employer/receive",
            &[
                ("csrf", &other_token),
                ("site_gln", &site),
                ("codes", &items[3]),
            ],
        )
        .await;
        assert!(
            matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{}",
            r.status()
        );
        let ledger = page(&t, &cookie, "/console/employer/ledger").await;
        assert_eq!(
            ledger.matches("<td>In stock</td>").count(),
            2,
            "the owner's items are unchanged"
        );
        // A malformed item id is a 400 problem, not a crash.
        let r = post(
            &t,
            &cookie,
            "/console/employer/items/x1/accept",
            &[("csrf", &token)],
        )
        .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);

        // The regulator's analytics count the receipt's alert and the recall.
        let (reg, reg_key) = register_org(
            &t,
            "Safety Bureau",
            &["regulator"],
            &with_check("690777700000"),
            &[],
        )
        .await;
        create_user(&t, reg, &reg_key, "bureau", &["regulator"]).await;
        let rc = login(&t, "bureau").await;
        let html = page(&t, &rc, "/console/regulator/analytics").await;
        assert!(
            html.contains("<tr><td>counterfeit at receipt</td><td class=\"num\">1</td></tr>"),
            "{html}"
        );
        assert!(
            html.contains("<title>counterfeit at receipt: 1</title>"),
            "{html}"
        );
        let month = today.format("%Y-%m").to_string();
        assert!(
            html.contains(&format!(
                "<tr><td>{month}</td><td class=\"num\">1</td></tr>"
            )),
            "{html}"
        );
        // Level "investigate", still open: the stacked chart and its table agree.
        assert!(html.contains("<tr><td>investigate</td><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">1</td></tr>"), "{html}");
        assert!(
            html.contains("<title>investigate — open: 1</title>")
                && html.contains(">1 + 0 + 0 = 1</text>"),
            "{html}"
        );
    }

    // ----- regulator analytics over real inspection records -----

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Publishes, seeds and runs a draw over two class-A targets (regions north and
    /// south), files one inspection per target through the API — problems found at
    /// the northern one, none at the southern, the same photo in both — and
    /// returns the regulator's key.
    async fn inspected_world(
        t: &TestApp,
        clock: &TestClock,
        start: DateTime<Utc>,
    ) -> (i64, String) {
        let (reg_id, regulator) = register_org(
            t,
            "Safety Bureau",
            &["regulator"],
            &with_check("690888800000"),
            &[],
        )
        .await;
        let mut inspectors = Vec::new();
        for n in 1..=2u8 {
            let signer = SigningKey::from_bytes(&[n; 32]);
            let code = format!("I{n}");
            let k = created(
                t.post(
                    &format!("/api/v1/organizations/{reg_id}/keys"),
                    Some(&regulator),
                    json!({"label": code}),
                )
                .await,
                "inspector key",
            )
            .await;
            created(
                t.post(
                    "/api/v1/inspectors",
                    Some(&regulator),
                    json!({
                        "code": code, "name": format!("Inspector {n}"), "api_key_id": k["id"],
                        "region": "north", "affiliations": [],
                        "public_key": hex(signer.verifying_key().as_bytes()),
                    }),
                )
                .await,
                "inspector",
            )
            .await;
            inspectors.push((code, k["key"].as_str().unwrap().to_string(), signer));
        }
        for (code, region) in [("T1", "north"), ("T2", "south")] {
            created(
                t.post("/api/v1/inspection-targets", Some(&regulator), json!({
                    "code": code, "name": format!("Works {code}"), "org_id": null, "risk_class": "A",
                    "region": region, "complaint_count": 0
                }))
                .await,
                "target",
            )
            .await;
        }
        created(
            t.post("/api/v1/item-lists", Some(&regulator), json!({
                "code": "PPE-2026", "title": "PPE issue and use",
                "items": [{"code": "c1", "text": "Helmets certified"}, {"code": "c2", "text": "Ledger kept"}]
            }))
            .await,
            "item list",
        )
        .await;
        let (ws, we) = (start + Duration::days(2), start + Duration::days(9));
        let secret = "bureau secret";
        let d = created(
            t.post("/api/v1/draws", Some(&regulator), json!({
                "plan_id": "2026-Q4", "item_list": "PPE-2026",
                "quotas": [{"class": "A", "fraction_bp": 10000, "minimum": 1}],
                "inspectors_per_target": 2, "window_start": ws.to_rfc3339(), "window_end": we.to_rfc3339(),
                "beacon_round": app::draws::drand_round_after(start + Duration::hours(1)),
                "max_assignments_per_inspector": null,
                "contribution_commitments": [draw::canonical::sha256_hex(secret.as_bytes())]
            }))
            .await,
            "draw",
        )
        .await;
        let id = d["id"].as_i64().unwrap();
        set_clock(clock, start + Duration::hours(2));
        let round = app::draws::drand_round_after(start + Duration::hours(1));
        created(
            t.post(
                &format!("/api/v1/draws/{id}/seed"),
                Some(&regulator),
                json!({
                    "beacon": {"round": round, "randomness": "7d".repeat(32)}, "reveals": [secret]
                }),
            )
            .await,
            "seed",
        )
        .await;
        created(
            t.post(
                &format!("/api/v1/draws/{id}/run"),
                Some(&regulator),
                json!({}),
            )
            .await,
            "run",
        )
        .await;
        set_clock(clock, ws + Duration::hours(4));
        let r = t
            .get(&format!("/api/v1/draws/{id}/assignments"), Some(&regulator))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let assignments: Value = r.json().await.unwrap();
        for a in assignments["assignments"].as_array().unwrap() {
            let target = a["target_id"].as_str().unwrap();
            let who = a["inspectors"][0].as_str().unwrap();
            let (code, key, signer) = inspectors.iter().find(|i| i.0 == who).unwrap();
            let fail = target == "T1";
            let started = ws + Duration::hours(1);
            let record = json!({
                "kind": "inspection", "draw_id": id, "target": target, "inspector": code,
                "started_at": started.to_rfc3339(), "ended_at": (started + Duration::hours(2)).to_rfc3339(),
                "checklist": [{"item": "c1", "result": "pass"}, {"item": "c2", "result": if fail { "fail" } else { "pass" }}],
                "findings": if fail { json!(["no PPE ledger"]) } else { json!([]) },
                "photos": [draw::canonical::sha256_hex(b"the same photo")]
            });
            let canonical = domain::log_entry::canonical_json(&record);
            let signed = json!({"record": record, "signature": hex(&signer.sign(canonical.as_bytes()).to_bytes())});
            created(
                t.post("/api/v1/inspections", Some(key), signed).await,
                "inspection",
            )
            .await;
        }
        (reg_id, regulator)
    }

    fn set_clock(clock: &TestClock, at: DateTime<Utc>) {
        *clock.0.lock().unwrap() = at;
    }

    async fn regulator_analytics_show_the_numbers(b: Backend) {
        use chrono::TimeZone;
        let start = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).single().unwrap();
        let clock = Arc::new(TestClock(Mutex::new(start)));
        let c2 = clock.clone();
        let t = spawn_app_with(b, move |a| a.with_clock(c2)).await;
        let (reg_id, reg_key) = inspected_world(&t, &clock, start).await;
        // Alerts and a recall: an employer receives an item of a recalled batch and
        // a code that no manufacturer issued.
        let m = register_maker(&t, "6901234", "Maker").await;
        let codes = issue_codes(&t, &m, 2).await;
        release(&t, &m).await;
        created(
            t.post(
                &format!("/api/v1/batches/{}/recall", m.batch_id),
                Some(&m.key),
                json!({"reason": "visor cracks"}),
            )
            .await,
            "recall",
        )
        .await;
        let (emp, emp_key) = register_org(
            &t,
            "Steelworks",
            &["employer"],
            &with_check("690555500000"),
            &[],
        )
        .await;
        let site = with_check("690555500001");
        register_site(&t, emp, &emp_key, &site, "Tangshan", 39.6, 118.2).await;
        let fake = format!("https://id.gs1.org/01/{}/21/NOSUCHSERIAL1", m.gtin);
        let r = t
            .post(
                "/api/v1/ledger/receipts",
                Some(&emp_key),
                json!({"site_gln": site, "items": [codes[0], fake]}),
            )
            .await;
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        create_user(&t, reg_id, &reg_key, "bureau", &["regulator"]).await;
        let cookie = login(&t, "bureau").await;

        // The overview sums it up and links the charts.
        let html = page(&t, &cookie, "/console/regulator").await;
        assert!(
            html.contains("Records analysed: <strong>2</strong>"),
            "{html}"
        );
        assert!(html.contains("href=\"/console/regulator/analytics?lang=en\""));
        assert!(!html.contains("<pre"), "no raw JSON any more");

        let html = page(&t, &cookie, "/console/regulator/analytics").await;
        // Outcomes: table and chart.
        assert!(
            html.contains("<tr><td>no problems found</td><td class=\"num\">1</td></tr>"),
            "{html}"
        );
        assert!(
            html.contains("<tr><td>problems found</td><td class=\"num\">1</td></tr>"),
            "{html}"
        );
        assert!(html.contains("<title>problems found: 1</title>"), "{html}");
        // By region: one problem inspection in the north, one clean in the south.
        assert!(html.contains("<tr><td>north</td><td class=\"num\">0</td><td class=\"num\">1</td><td class=\"num\">1</td></tr>"), "{html}");
        assert!(html.contains("<tr><td>south</td><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">1</td></tr>"), "{html}");
        assert!(
            html.contains("<title>north — problems found: 1</title>")
                && html.contains(">0 + 1 = 1</text>"),
            "{html}"
        );
        // The failed checklist item, by its text in the draw's item list.
        assert!(
            html.contains("<tr><td>Ledger kept (c2)</td><td class=\"num\">1</td></tr>")
                && html.contains("<title>Ledger kept (c2): 1</title>"),
            "{html}"
        );
        // Records filed this month.
        assert!(
            html.contains("<tr><td>2026-12</td><td class=\"num\">2</td></tr>")
                && html.contains("<title>2026-12: 2</title>"),
            "{html}"
        );
        // Alerts by cause, by level and status; the recall of this month.
        for cause in ["counterfeit at receipt", "recalled at receipt"] {
            assert!(
                html.contains(&format!(
                    "<tr><td>{cause}</td><td class=\"num\">1</td></tr>"
                )),
                "{cause}: {html}"
            );
            assert!(
                html.contains(&format!("<title>{cause}: 1</title>")),
                "{html}"
            );
        }
        for level in ["medium", "investigate"] {
            assert!(
                html.contains(&format!("<tr><td>{level}</td><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">1</td></tr>")),
                "{level}: {html}"
            );
            assert!(
                html.contains(&format!("<title>{level} — open: 1</title>")),
                "{html}"
            );
        }
        let recalls = html
            .split_once("Batch recalls per month")
            .map(|(_, rest)| rest.to_string())
            .unwrap_or_default();
        assert!(
            recalls.contains("<tr><td>2026-12</td><td class=\"num\">1</td></tr>"),
            "{recalls}"
        );
        assert!(recalls.contains("<title>2026-12: 1</title>"), "{recalls}");
        // The same photo in two inspections: one reused-photo flag, explained.
        assert!(
            html.contains("<tr><td>reused photo</td><td class=\"num\">1</td></tr>"),
            "{html}"
        );
        assert!(html.contains("<title>reused photo: 1</title>"), "{html}");
        assert!(
            html.contains("<strong>⚑ reused photo</strong> · records #1, #2"),
            "{html}"
        );
        // Every chart is an accessible image with a title, and nothing is loaded from elsewhere.
        assert_eq!(html.matches("<svg ").count(), 8);
        assert_eq!(html.matches("role=\"img\"").count(), 8);
        assert_eq!(html.matches("The numbers as a table").count(), 8);
        assert!(!html.contains("<script") && !html.contains("https://cdn"));

        let html = page(&t, &cookie, "/console/regulator/analytics?lang=zh").await;
        assert!(html.contains("检查与预警数据分析"));
        assert!(
            html.contains("<tr><td>发现问题</td><td class=\"num\">1</td></tr>"),
            "{html}"
        );
        assert!(html.contains("<title>发现问题: 1</title>"), "{html}");
        assert!(html.contains("<tr><td>north</td><td class=\"num\">0</td><td class=\"num\">1</td><td class=\"num\">1</td></tr>"), "{html}");
        assert!(
            html.contains("<tr><td>重复使用的照片</td><td class=\"num\">1</td></tr>"),
            "{html}"
        );
        assert!(html.contains("以表格查看数据"));
        assert!(
            html.contains("<tr><td>验收时发现仿冒</td><td class=\"num\">1</td></tr>"),
            "{html}"
        );
        // `PPETRACE_PAGE_DUMP=dir` keeps the two pages (with a file path to the
        // stylesheet) for docs/screenshots/console-regulator-analytics-*.png.
        if let Ok(dir) = std::env::var("PPETRACE_PAGE_DUMP") {
            let css = concat!("file://", env!("CARGO_MANIFEST_DIR"), "/assets/site.css");
            for lang in ["en", "zh"] {
                let html = page(
                    &t,
                    &cookie,
                    &format!("/console/regulator/analytics?lang={lang}"),
                )
                .await;
                std::fs::write(
                    format!("{dir}/console-regulator-analytics-{lang}.html"),
                    html.replace("/assets/site.css", css),
                )
                .unwrap();
            }
        }

        // Other roles do not get the page.
        create_user(&t, m.org_id, &m.key, "maker", &["manufacturer"]).await;
        let mc = login(&t, "maker").await;
        assert_eq!(
            get(&t, &mc, "/console/regulator/analytics").await.status(),
            StatusCode::FORBIDDEN
        );
    }

    both_backends!(
        employer_console_receives_accepts_and_issues,
        regulator_analytics_show_the_numbers,
    );
}
