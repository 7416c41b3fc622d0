//! Server-rendered pages (askama templates, checked at compile time). They work
//! without JavaScript and on a phone.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::i18n::{Lang, negotiate};
use crate::{ApiContext, ApiError};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/", get(home))
        .route("/verify", get(verify_form))
        .route("/assets/site.css", get(css))
}

/// Links for the language switch of a page at `path` (with its query, minus `lang`).
pub struct Chrome {
    pub l: Lang,
    pub lang_param: &'static str,
    pub switch_en: String,
    pub switch_zh: String,
}

impl Chrome {
    pub fn new(l: Lang, path: &str, query: &[(&str, &str)]) -> Chrome {
        let base: Vec<String> = query
            .iter()
            .filter(|(k, _)| *k != "lang")
            .map(|(k, v)| format!("{}={}", k, encode(v)))
            .collect();
        let link = |lang: &str| {
            let mut q = base.clone();
            q.push(format!("lang={lang}"));
            format!("{path}?{}", q.join("&"))
        };
        Chrome {
            l,
            lang_param: if l.is_zh() { "zh" } else { "en" },
            switch_en: link("en"),
            switch_zh: link("zh"),
        }
    }
}

/// Percent-encodes a query value.
pub fn encode(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError::from(app::AppError::Internal(format!("template: {e}"))).into_response(),
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

async fn home(headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    let c = Chrome::new(negotiate(q.lang.as_deref(), &headers), "/", &[]);
    render(
        StatusCode::OK,
        &HomePage {
            l: c.l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
        },
    )
}

#[derive(Deserialize)]
struct VerifyQuery {
    code: Option<String>,
    lang: Option<String>,
}

/// The home page's form: verifies a typed or pasted code of any GS1 form.
async fn verify_form(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Query(q): Query<VerifyQuery>,
) -> Response {
    let l = negotiate(q.lang.as_deref(), &headers);
    let code = q.code.unwrap_or_default();
    let chrome = Chrome::new(l, "/verify", &[("code", code.as_str())]);
    match ctx
        .app
        .verify_text(
            &code,
            &app::verify::ScanMode::Record(app::scans::ScanInput::default()),
        )
        .await
    {
        Ok(outcome) => crate::resolver::verdict_page(&ctx, &chrome, &outcome),
        Err(app::AppError::Invalid(d)) => crate::resolver::invalid_page(&chrome, &d.to_string()),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/site.css"),
    )
}
