//! The consoles: server-rendered pages for the people who work on the platform
//! (manufacturer, employer, regulator, inspector, case handler), behind a login.
//!
//! - Sessions: `POST /console/login` checks the password (Argon2id, throttled per
//!   username) and sets a cookie holding a 256-bit token — `HttpOnly`,
//!   `SameSite=Strict`, and when the public base URL is https also `Secure` with the
//!   `__Host-` prefix. The server keeps only its SHA-256; logout deletes it.
//! - A session resolves to the same [`domain::authz::Actor`] as an API key (each
//!   user acts through a key of its own), so every console action goes through the
//!   same `app` service and `domain::authz` rule as the API.
//! - CSRF: every form carries the session's token; every POST without it, or with
//!   a wrong one, is a 403 problem.
//! - Pages work without JavaScript; `/assets/console.js` only adds the camera
//!   scanner (BarcodeDetector) where the browser has one.

// Rejections are ready HTTP responses, built once per request: boxing them buys nothing.
#![allow(clippy::result_large_err)]

pub mod employer;
pub mod handler;
pub mod inspector;
pub mod manufacturer;
pub mod regulator;

use app::users::{ConsoleRole, ConsoleSession, LoginError, UserInput};
use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::json;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::auth::Auth;
use crate::error::ApiJson;
use crate::i18n::{Lang, negotiate};
use crate::pages::{Chrome, encode, render};
use crate::{ApiContext, ApiError};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console", get(home))
        .route("/console/login", get(login_page).post(login_submit))
        .route("/console/logout", post(logout))
        .route("/console/users", get(users_page).post(users_submit))
        .route("/api/v1/organizations/{id}/users", post(api_create_user))
        .merge(manufacturer::router())
        .merge(employer::router())
        .merge(regulator::router())
        .merge(inspector::router())
        .merge(handler::router())
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .route("/assets/console.js", get(console_js))
        .merge(handler::assets())
        .merge(inspector::assets())
}

/// Cookie name: `__Host-` prefixed when the site is served over https.
pub fn cookie_name(ctx: &ApiContext) -> &'static str {
    if secure(ctx) {
        "__Host-ppetrace-session"
    } else {
        "ppetrace-session"
    }
}

fn secure(ctx: &ApiContext) -> bool {
    ctx.app.config.public_base_url.starts_with("https://")
}

fn session_cookie(ctx: &ApiContext, token: &str, max_age: i64) -> String {
    let mut c = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}",
        cookie_name(ctx)
    );
    if secure(ctx) {
        c.push_str("; Secure");
    }
    c
}

fn cookie_token(ctx: &ApiContext, headers: &HeaderMap) -> Option<String> {
    let name = cookie_name(ctx);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn query_lang(parts: &Parts) -> Option<String> {
    parts.uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "lang")
            .map(|(_, v)| v.to_string())
    })
}

/// A logged-in console user and the page language. Without a live session the
/// request is redirected to the login page (GET) or refused (other methods).
pub struct Console {
    pub s: ConsoleSession,
    pub l: Lang,
    pub token: String,
}

impl FromRequestParts<ApiContext> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, ctx: &ApiContext) -> Result<Self, Response> {
        let l = negotiate(query_lang(parts).as_deref(), &parts.headers);
        let token = cookie_token(ctx, &parts.headers);
        let session = match &token {
            Some(t) => ctx
                .app
                .session(t)
                .await
                .map_err(|e| ApiError::from(e).into_response())?,
            None => None,
        };
        match (session, token) {
            (Some(s), Some(token)) => Ok(Console { s, l, token }),
            _ if parts.method == axum::http::Method::GET => {
                let next = encode(parts.uri.path());
                Err(Redirect::to(&format!(
                    "/console/login?lang={}&next={next}",
                    lang_param(l)
                ))
                .into_response())
            }
            _ => Err(ApiError::from(app::AppError::Unauthenticated).into_response()),
        }
    }
}

pub fn lang_param(l: Lang) -> &'static str {
    if l.is_zh() { "zh" } else { "en" }
}

/// Constant-time comparison of two tokens.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The fields of a submitted console form.
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    pub fn get(&self, k: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn opt(&self, k: &str) -> Option<String> {
        let v = self.get(k).trim();
        (!v.is_empty()).then(|| v.to_string())
    }

    pub fn all(&self, k: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl Console {
    /// 403 unless the user holds `role`.
    pub fn require(&self, role: ConsoleRole) -> Result<(), Response> {
        self.require_any(&[role])
    }

    /// 403 unless the user holds one of `roles`.
    pub fn require_any(&self, roles: &[ConsoleRole]) -> Result<(), Response> {
        if roles.iter().any(|r| self.s.has(*r)) {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "this page is for users with the console role {}",
                names.join(" or ")
            ),
        )
        .into_response())
    }

    /// A form POST of a page for `role`: the CSRF token first, then the role.
    pub fn post_for(
        &self,
        form: Form<Vec<(String, String)>>,
        role: ConsoleRole,
    ) -> Result<Fields, Response> {
        self.post_for_any(form, &[role])
    }

    /// [`Console::post_for`] for a page that any of `roles` may use.
    pub fn post_for_any(
        &self,
        form: Form<Vec<(String, String)>>,
        roles: &[ConsoleRole],
    ) -> Result<Fields, Response> {
        let f = self.check(form)?;
        self.require_any(roles)?;
        Ok(f)
    }

    /// Checks the form's CSRF token (403 problem when missing or wrong).
    pub fn check(&self, form: Form<Vec<(String, String)>>) -> Result<Fields, Response> {
        let f = Fields(form.0);
        if same(f.get("csrf"), &self.s.csrf) {
            Ok(f)
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "the form's CSRF token is missing or wrong; reload the page and try again",
            )
            .into_response())
        }
    }

    pub fn t<'a>(&self, en: &'a str, zh: &'a str) -> &'a str {
        self.l.t(en, zh)
    }

    /// The page frame: language switch, navigation, CSRF token, user name.
    pub fn frame(&self, path: &str, current: &str) -> Frame {
        let c = Chrome::new(self.l, path, &[]);
        let l = self.l;
        let lp = lang_param(l);
        let mut nav = vec![(
            format!("/console?lang={lp}"),
            l.t("Overview", "概览").to_string(),
            current == "home",
        )];
        let items: [(ConsoleRole, &str, &str, &str, &str); 6] = [
            (
                ConsoleRole::Manufacturer,
                "/console/manufacturer",
                "Manufacturer",
                "制造商",
                "manufacturer",
            ),
            (
                ConsoleRole::Employer,
                "/console/employer",
                "Employer",
                "用人单位",
                "employer",
            ),
            (
                ConsoleRole::Regulator,
                "/console/regulator",
                "Regulator",
                "监管部门",
                "regulator",
            ),
            (
                ConsoleRole::Inspector,
                "/console/inspector",
                "Inspector",
                "检查人员",
                "inspector",
            ),
            (
                ConsoleRole::CaseHandler,
                "/console/cases",
                "Cases",
                "举报案件",
                "cases",
            ),
            (
                ConsoleRole::Admin,
                "/console/users",
                "Users",
                "用户",
                "users",
            ),
        ];
        for (role, href, en, zh, key) in items {
            if self.s.has(role) {
                nav.push((
                    format!("{href}?lang={lp}"),
                    l.t(en, zh).to_string(),
                    current == key,
                ));
            }
        }
        Frame {
            l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            nav,
            csrf: self.s.csrf.clone(),
            username: self.s.user.username.clone(),
        }
    }

    /// Where to go after a successful POST: `path` in the page's language.
    pub fn back(&self, path: &str) -> Response {
        let sep = if path.contains('?') { '&' } else { '?' };
        Redirect::to(&format!("{path}{sep}lang={}", lang_param(self.l))).into_response()
    }
}

/// What every console page shows around its content.
pub struct Frame {
    pub l: Lang,
    pub lang_param: &'static str,
    pub switch_en: String,
    pub switch_zh: String,
    pub nav: Vec<(String, String, bool)>,
    pub csrf: String,
    pub username: String,
}

/// Renders a console page whose template has `l`, `lang_param`, `switch_en`,
/// `switch_zh` (for base.html) and `f` (the frame).
#[macro_export]
macro_rules! console_page {
    ($ty:ident { $f:expr $(, $field:ident : $val:expr)* $(,)? }) => {{
        let f = $f;
        $crate::pages::render(
            axum::http::StatusCode::OK,
            &$ty {
                l: f.l,
                lang_param: f.lang_param,
                switch_en: f.switch_en.clone(),
                switch_zh: f.switch_zh.clone(),
                f,
                $($field: $val,)*
            },
        )
    }};
}

/// A console page for an application error: the message, in the page, with the
/// problem's status (403 for refusals, 400 for bad input, 404, 409…).
#[derive(Template)]
#[template(path = "console/message.html")]
pub struct MessagePage {
    pub l: Lang,
    pub lang_param: &'static str,
    pub switch_en: String,
    pub switch_zh: String,
    pub f: Frame,
    pub title: String,
    pub message: String,
    pub back: String,
}

pub fn app_error(c: &Console, e: app::AppError, back: &str) -> Response {
    let err = ApiError::from(e);
    let f = c.frame(back, "");
    let page = MessagePage {
        l: f.l,
        lang_param: f.lang_param,
        switch_en: f.switch_en.clone(),
        switch_zh: f.switch_zh.clone(),
        title: c.t("That did not work", "操作未成功").to_string(),
        message: err.detail.clone(),
        back: format!("{back}?lang={}", lang_param(c.l)),
        f,
    };
    render(err.status, &page)
}

// ---------- login, logout, home ----------

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct LoginQuery {
    lang: Option<String>,
    next: Option<String>,
}

/// Only local console paths are followed after login.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/console") && !n.starts_with("//") && !n.contains("://") => {
            n.to_string()
        }
        _ => "/console".to_string(),
    }
}

fn login_view(
    l: Lang,
    status: StatusCode,
    next: String,
    username: String,
    error: Option<String>,
) -> Response {
    let c = Chrome::new(l, "/console/login", &[("next", next.as_str())]);
    render(
        status,
        &LoginPage {
            l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            next,
            username,
            error,
        },
    )
}

async fn login_page(headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    let l = negotiate(q.lang.as_deref(), &headers);
    login_view(
        l,
        StatusCode::OK,
        safe_next(q.next.as_deref()),
        String::new(),
        None,
    )
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    lang: Option<String>,
    next: Option<String>,
}

async fn login_submit(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let l = negotiate(f.lang.as_deref(), &headers);
    let next = safe_next(f.next.as_deref());
    match ctx.app.login(&f.username, &f.password).await {
        Ok((token, _)) => {
            let max_age = app::users::SESSION_TTL.num_seconds();
            let sep = if next.contains('?') { '&' } else { '?' };
            let mut r = Redirect::to(&format!("{next}{sep}lang={}", lang_param(l))).into_response();
            if let Ok(v) = HeaderValue::from_str(&session_cookie(&ctx, &token, max_age)) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(LoginError::Invalid) => login_view(
            l,
            StatusCode::UNAUTHORIZED,
            next,
            f.username,
            Some(
                l.t("Wrong username or password.", "用户名或密码错误。")
                    .to_string(),
            ),
        ),
        Err(LoginError::Throttled) => login_view(
            l,
            StatusCode::TOO_MANY_REQUESTS,
            next,
            f.username,
            Some(
                l.t(
                    "Too many failed logins for this username. Wait a minute and try again.",
                    "该用户名登录失败次数过多，请等一分钟后再试。",
                )
                .to_string(),
            ),
        ),
        Err(LoginError::App(e)) => ApiError::from(e).into_response(),
    }
}

async fn logout(
    State(ctx): State<ApiContext>,
    c: Console,
    form: Form<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = c.check(form) {
        return r;
    }
    if let Err(e) = ctx.app.logout(&c.token).await {
        return ApiError::from(e).into_response();
    }
    let mut r = Redirect::to(&format!("/console/login?lang={}", lang_param(c.l))).into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&ctx, "", 0)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[derive(Template)]
#[template(path = "console/home.html")]
struct HomePage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    f: Frame,
    org: String,
    roles: Vec<&'static str>,
    expires: String,
}

async fn home(State(ctx): State<ApiContext>, c: Console) -> Response {
    let org = match ctx.app.get_org(c.s.user.org_id).await {
        Ok(o) => o.name,
        Err(e) => return app_error(&c, e, "/console"),
    };
    let roles = c.s.roles.iter().map(|r| role_label(c.l, *r)).collect();
    console_page!(HomePage {
        c.frame("/console", "home"),
        org: org,
        roles: roles,
        expires: c.s.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    })
}

pub fn role_label(l: Lang, r: ConsoleRole) -> &'static str {
    match r {
        ConsoleRole::Manufacturer => l.t("manufacturer", "制造商"),
        ConsoleRole::Employer => l.t("employer", "用人单位"),
        ConsoleRole::Regulator => l.t("regulator", "监管部门"),
        ConsoleRole::Inspector => l.t("inspector", "检查人员"),
        ConsoleRole::CaseHandler => l.t("case handler", "举报处理人员"),
        ConsoleRole::Admin => l.t("administrator", "管理员"),
    }
}

// ---------- users (organization administrators) ----------

#[derive(Template)]
#[template(path = "console/users.html")]
struct UsersPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    f: Frame,
    users: Vec<store::users::User>,
    roles: Vec<(&'static str, &'static str)>,
}

async fn users_page(State(ctx): State<ApiContext>, c: Console) -> Response {
    if let Err(r) = c.require(ConsoleRole::Admin) {
        return r;
    }
    let users = match ctx.app.list_users(&c.s.actor, c.s.user.org_id).await {
        Ok(u) => u,
        Err(e) => return app_error(&c, e, "/console"),
    };
    let roles = ConsoleRole::ALL
        .iter()
        .map(|r| (r.as_str(), role_label(c.l, *r)))
        .collect();
    console_page!(UsersPage {
        c.frame("/console/users", "users"),
        users: users,
        roles: roles,
    })
}

async fn users_submit(
    State(ctx): State<ApiContext>,
    c: Console,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let f = match c.post_for(form, ConsoleRole::Admin) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = UserInput {
        org_id: c.s.user.org_id,
        username: f.get("username").to_string(),
        password: f.get("password").to_string(),
        roles: f.all("roles"),
    };
    match ctx.app.create_user(Some(&c.s.actor), &input).await {
        Ok(_) => c.back("/console/users"),
        Err(e) => app_error(&c, e, "/console/users"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserBody {
    username: String,
    password: String,
    roles: Vec<String>,
}

/// `POST /api/v1/organizations/{id}/users`: the organization's key (or an admin)
/// creates a console user. The password is the caller's; it is never returned.
async fn api_create_user(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UserBody>,
) -> Result<Response, ApiError> {
    let org_id = id
        .parse::<i64>()
        .map_err(|_| ApiError::bad_request("id", "organization id must be an integer"))?;
    let u = ctx
        .app
        .create_user(
            Some(&actor),
            &UserInput {
                org_id,
                username: b.username,
                password: b.password,
                roles: b.roles,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!(u))).into_response())
}

async fn console_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/console.js"),
    )
}
