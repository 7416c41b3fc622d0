//! The OpenAPI 3.1 document of the JSON API (`crates/web/openapi.json`,
//! hand-maintained), served at `GET /openapi.json`. HTML pages are not in it;
//! `tests/it/hardening.rs` checks that every routed (method, path) is either
//! documented here or listed there as an HTML page, and CI runs schemathesis
//! against it (`crates/fuzzcheck/tests/schemathesis.rs`).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::ApiContext;

/// The document, as served.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

pub fn router() -> Router<ApiContext> {
    Router::new().route("/openapi.json", get(document))
}

async fn document() -> Response {
    let mut r = OPENAPI_JSON.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}
