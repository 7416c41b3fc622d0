//! The GS1 Digital Link resolver: `/01/{gtin}[/10/{lot}]/21/{serial}` answers a
//! verification, as JSON for programs and as a page for people (content negotiation
//! on `Accept`, or `?format=json`).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::i18n::negotiate;
use crate::pages::Chrome;
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

// The verification page and the invalid-code page are rendered by `pages`.
pub use crate::pages::{invalid_page, verdict_page};
