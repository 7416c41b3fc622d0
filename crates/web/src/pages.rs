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
use crate::resolver::sign_response;
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
        Ok(outcome) => verdict_page(&ctx, &chrome, &outcome),
        Err(app::AppError::Invalid(d)) => invalid_page(&chrome, &d.to_string()),
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

// ---------- the verification page ----------

/// One certificate line of the verification page.
pub struct CertLine {
    pub kind: &'static str,
    pub number: String,
    pub issuer: String,
    pub valid_from: String,
    pub valid_until: String,
    /// The status in words, with a symbol (never colour alone).
    pub status: &'static str,
    pub ok: bool,
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage<'a> {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    headline: &'static str,
    verdict: &'static str,
    tone: &'static str,
    tone_word: &'static str,
    icon: &'static str,
    safe: bool,
    reasons: Vec<(&'static str, &'a str)>,
    product: &'a Option<app::verify::ProductInfo>,
    product_link: String,
    category_label: &'static str,
    manufacturer: &'a Option<app::verify::OrgInfo>,
    batch: &'a Option<app::verify::BatchInfo>,
    use_by: Option<chrono::NaiveDate>,
    certificates: Vec<CertLine>,
    digital_link: &'a str,
    checked_at: String,
    json_link: String,
    report_link: String,
    scans: &'a Option<app::scans::ScanSummary>,
    answer_key: String,
    check_command: String,
}

pub fn cert_kind_label(kind: &str, l: Lang) -> &'static str {
    match kind {
        "la_mark" => l.t("LA safety mark", "LA 安全标志"),
        "eu_type_examination" => l.t("EU type-examination", "欧盟型式检验证书"),
        "niosh_approval" => l.t("NIOSH approval", "NIOSH 认证"),
        _ => l.t("Test report", "检验报告"),
    }
}

/// A certificate status (`domain::cert::CertificateStatus::as_str`) in words.
pub fn cert_status_label(status: &str, l: Lang) -> &'static str {
    match status {
        "valid" => l.t("✓ valid", "✓ 有效"),
        "expired" => l.t("✗ expired", "✗ 已过期"),
        "revoked" => l.t("✗ revoked", "✗ 已撤销"),
        "suspended" => l.t("✗ suspended", "✗ 已暂停"),
        _ => l.t("✗ not yet valid", "✗ 尚未生效"),
    }
}

/// The shell commands that check a signed answer at `answer_url` against the key
/// published at `base`/.well-known/ppetrace-answer-key (curl, base64, awk, OpenSSL 3).
pub fn check_command(base: &str, answer_url: &str) -> String {
    format!(
        "curl -s -D h.txt -o answer.json '{answer_url}'\n\
         K=$(curl -s {base}/.well-known/ppetrace-answer-key)\n\
         {{ echo MCowBQYDK2VwAyEA | base64 -d; echo \"$K\" | cut -d+ -f3- | base64 -d | tail -c 32; }} > key.der\n\
         awk 'tolower($1)==\"ppe-signature:\" {{print $3}}' h.txt | tr -d '\\r' | base64 -d | tail -c 64 > sig.bin\n\
         openssl pkeyutl -verify -pubin -keyform DER -inkey key.der -rawin -in answer.json -sigfile sig.bin"
    )
}

pub fn verdict_page(ctx: &ApiContext, c: &Chrome, o: &app::verify::Outcome) -> Response {
    use domain::verify::Verdict;
    let l = c.l;
    let (tone, icon, tone_word) = match o.verdict {
        Verdict::Genuine => ("ok", "✓", l.t("Safe to use", "可以使用")),
        Verdict::Expired | Verdict::NotReleased => ("warn", "!", l.t("Caution", "注意")),
        _ => ("bad", "✗", l.t("Do not use", "请勿使用")),
    };
    let base = ctx.app.config.public_base_url.trim_end_matches('/');
    let status_url = format!("{base}/api/v1/status?code={}", encode(&o.code.digital_link));
    let page = VerifyPage {
        l,
        lang_param: c.lang_param,
        switch_en: c.switch_en.clone(),
        switch_zh: c.switch_zh.clone(),
        headline: o.verdict.headline(l.is_zh()),
        verdict: o.verdict.as_str(),
        tone,
        tone_word,
        icon,
        safe: o.safe_to_use,
        reasons: o
            .reasons
            .iter()
            .map(|r| {
                (
                    r.code,
                    if l.is_zh() {
                        r.message_zh.as_str()
                    } else {
                        r.message.as_str()
                    },
                )
            })
            .collect(),
        product: &o.product,
        product_link: o.product.as_ref().map_or_else(String::new, |p| {
            format!("/portal/products/{}?lang={}", encode(&p.gtin), c.lang_param)
        }),
        category_label: o
            .product
            .as_ref()
            .and_then(|p| domain::product::PpeCategory::parse(&p.category).ok())
            .map_or("", |c| c.label(l.is_zh())),
        manufacturer: &o.manufacturer,
        batch: &o.batch,
        use_by: o.use_by,
        certificates: o
            .certificates
            .iter()
            .map(|x| CertLine {
                kind: cert_kind_label(&x.kind, l),
                number: x.number.clone(),
                issuer: x.issuer.clone(),
                valid_from: x.valid_from.to_string(),
                valid_until: x.valid_until.to_string(),
                status: cert_status_label(x.status, l),
                ok: x.status == "valid",
            })
            .collect(),
        digital_link: &o.code.digital_link,
        checked_at: o.checked_at.format("%Y-%m-%d %H:%M").to_string(),
        json_link: format!("/api/v1/status?code={}", encode(&o.code.digital_link)),
        report_link: format!(
            "/mailbox?lang={}&code={}",
            c.lang_param,
            encode(&o.code.digital_link)
        ),
        scans: &o.scans,
        answer_key: ctx.app.answers.verifier_key(),
        check_command: check_command(base, &status_url),
    };
    match page.render() {
        Ok(html) => sign_response(ctx, html, "text/html; charset=utf-8", StatusCode::OK),
        Err(e) => ApiError::from(app::AppError::Internal(format!("template: {e}"))).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct InvalidPage<'a> {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    detail: &'a str,
}

pub fn invalid_page(c: &Chrome, detail: &str) -> Response {
    render(
        StatusCode::BAD_REQUEST,
        &InvalidPage {
            l: c.l,
            lang_param: c.lang_param,
            switch_en: c.switch_en.clone(),
            switch_zh: c.switch_zh.clone(),
            detail,
        },
    )
}
