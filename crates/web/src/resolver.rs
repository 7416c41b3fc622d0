//! The GS1 Digital Link resolver: `/01/{gtin}[/10/{lot}]/21/{serial}` answers a
//! verification, as JSON for programs and as a page for people (content negotiation
//! on `Accept`, or `?format=json`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::product::PpeCategory;
use serde::Deserialize;

use crate::i18n::{Lang, negotiate};
use crate::pages::{Chrome, render};
use crate::{ApiContext, ApiError};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/01/{gtin}/21/{serial}", get(resolve_serial))
        .route("/01/{gtin}/10/{lot}/21/{serial}", get(resolve_lot_serial))
        .route("/.well-known/ppetrace-answer-key", get(answer_key))
}

#[derive(Deserialize)]
struct ResolverQuery {
    lang: Option<String>,
    format: Option<String>,
    /// Optional coarse location of the scan (an app may send it; pages do not).
    lat: Option<f64>,
    lon: Option<f64>,
    city: Option<String>,
    region: Option<String>,
}

/// Header carrying the Ed25519 signature of the response body.
pub const SIGNATURE_HEADER: &str = "ppe-signature";

/// Adds the answer signature (over the exact body bytes) to a response.
pub fn sign_response(
    ctx: &ApiContext,
    body: String,
    content_type: &'static str,
    status: StatusCode,
) -> Response {
    let sig = ctx.app.answers.sign(body.as_bytes());
    let mut r = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&sig) {
        r.headers_mut().insert(SIGNATURE_HEADER, v);
    }
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r.headers_mut().insert(
        header::VARY,
        header::HeaderValue::from_static("Accept, Accept-Language"),
    );
    r
}

/// A verification answer as signed JSON.
pub fn signed_json(ctx: &ApiContext, outcome: &app::verify::Outcome) -> Response {
    match serde_json::to_string(outcome) {
        Ok(body) => sign_response(ctx, body, "application/json", StatusCode::OK),
        Err(e) => ApiError::from(app::AppError::Internal(e.to_string())).into_response(),
    }
}

/// The verifier key of answer signatures, one line (C2SP signed-note key format).
async fn answer_key(State(ctx): State<ApiContext>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        format!("{}\n", ctx.app.answers.verifier_key()),
    )
        .into_response()
}

fn wants_json(headers: &HeaderMap, q: &ResolverQuery) -> bool {
    if let Some(f) = &q.format {
        return f == "json";
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let json_pos = accept
        .find("application/json")
        .or_else(|| accept.find("application/ld+json"));
    let html_pos = accept.find("text/html");
    match (json_pos, html_pos) {
        (Some(_), None) => true,
        (Some(j), Some(h)) => j < h,
        _ => false,
    }
}

async fn resolve_serial(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Path((gtin, serial)): Path<(String, String)>,
    Query(q): Query<ResolverQuery>,
) -> Response {
    answer(&ctx, &headers, &q, &gtin, None, &serial).await
}

async fn resolve_lot_serial(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Path((gtin, lot, serial)): Path<(String, String, String)>,
    Query(q): Query<ResolverQuery>,
) -> Response {
    answer(&ctx, &headers, &q, &gtin, Some(&lot), &serial).await
}

async fn answer(
    ctx: &ApiContext,
    headers: &HeaderMap,
    q: &ResolverQuery,
    gtin: &str,
    lot: Option<&str>,
    serial: &str,
) -> Response {
    let mode = app::verify::ScanMode::Record(app::scans::ScanInput {
        lat: q.lat,
        lon: q.lon,
        city: q.city.clone(),
        region: q.region.clone(),
    });
    let result = ctx.app.verify(gtin, lot, serial, &mode).await;
    if wants_json(headers, q) {
        return match result {
            Ok(outcome) => signed_json(ctx, &outcome),
            Err(e) => ApiError::from(e).into_response(),
        };
    }
    let l = negotiate(q.lang.as_deref(), headers);
    let path = match lot {
        Some(lot) => format!(
            "/01/{}/10/{}/21/{}",
            crate::pages::encode(gtin),
            crate::pages::encode(lot),
            crate::pages::encode(serial)
        ),
        None => format!(
            "/01/{}/21/{}",
            crate::pages::encode(gtin),
            crate::pages::encode(serial)
        ),
    };
    let chrome = Chrome::new(l, &path, &[]);
    match result {
        Ok(outcome) => verdict_page(ctx, &chrome, &outcome),
        Err(app::AppError::Invalid(d)) => invalid_page(&chrome, &d.to_string()),
        Err(e) => ApiError::from(e).into_response(),
    }
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
    icon: &'static str,
    safe: bool,
    reasons: Vec<(&'static str, &'a str)>,
    product: &'a Option<app::verify::ProductInfo>,
    category_label: &'static str,
    manufacturer: &'a Option<app::verify::OrgInfo>,
    batch: &'a Option<app::verify::BatchInfo>,
    use_by: Option<chrono::NaiveDate>,
    certificates: Vec<(&'static str, &'a str, String, &'static str)>,
    digital_link: &'a str,
    checked_at: String,
    json_link: String,
    scans: &'a Option<app::scans::ScanSummary>,
    answer_key: String,
}

fn cert_kind_label(kind: &str, l: Lang) -> &'static str {
    match kind {
        "la_mark" => l.t("LA safety mark", "LA 安全标志"),
        "eu_type_examination" => l.t("EU type-examination", "欧盟型式检验证书"),
        "niosh_approval" => l.t("NIOSH approval", "NIOSH 认证"),
        _ => l.t("Test report", "检验报告"),
    }
}

fn cert_status_label(status: &str, l: Lang) -> &'static str {
    match status {
        "valid" => l.t("✓ valid", "✓ 有效"),
        "expired" => l.t("✗ expired", "✗ 已过期"),
        "revoked" => l.t("✗ revoked", "✗ 已撤销"),
        "suspended" => l.t("✗ suspended", "✗ 已暂停"),
        _ => l.t("not yet valid", "尚未生效"),
    }
}

pub fn verdict_page(ctx: &ApiContext, c: &Chrome, o: &app::verify::Outcome) -> Response {
    use domain::verify::Verdict;
    let l = c.l;
    let (tone, icon) = match o.verdict {
        Verdict::Genuine => ("ok", "✓"),
        Verdict::Expired | Verdict::NotReleased => ("warn", "!"),
        _ => ("bad", "✗"),
    };
    let page = VerifyPage {
        l,
        lang_param: c.lang_param,
        switch_en: c.switch_en.clone(),
        switch_zh: c.switch_zh.clone(),
        headline: o.verdict.headline(l.is_zh()),
        verdict: o.verdict.as_str(),
        tone,
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
        category_label: o
            .product
            .as_ref()
            .and_then(|p| PpeCategory::parse(&p.category).ok())
            .map_or("", |c| c.label(l.is_zh())),
        manufacturer: &o.manufacturer,
        batch: &o.batch,
        use_by: o.use_by,
        certificates: o
            .certificates
            .iter()
            .map(|x| {
                (
                    cert_kind_label(&x.kind, l),
                    x.number.as_str(),
                    x.valid_until.to_string(),
                    cert_status_label(x.status, l),
                )
            })
            .collect(),
        digital_link: &o.code.digital_link,
        checked_at: o.checked_at.format("%Y-%m-%d %H:%M").to_string(),
        json_link: format!(
            "/api/v1/status?code={}",
            crate::pages::encode(&o.code.digital_link)
        ),
        scans: &o.scans,
        answer_key: ctx.app.answers.verifier_key(),
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
