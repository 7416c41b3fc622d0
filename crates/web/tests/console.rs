//! The consoles over HTTP: login, throttling, session expiry, logout, CSRF, data
//! isolation between manufacturers and role checks — on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

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
