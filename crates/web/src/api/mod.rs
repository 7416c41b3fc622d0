//! The JSON REST API under `/api/v1`.

pub mod alerts;
pub mod codes;
pub mod lifecycle;
pub mod registry;

use axum::Router;
use axum::routing::get;

use crate::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .merge(registry::router())
        .merge(alerts::router())
        .merge(codes::router())
        .merge(lifecycle::router())
        .route("/healthz", get(|| async { "ok\n" }))
}

/// Parses a numeric path id, answering 400 instead of axum's plain-text rejection.
pub fn parse_id(field: &str, raw: &str) -> Result<i64, crate::ApiError> {
    raw.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(|| {
        crate::ApiError::bad_request(field, format!("'{raw}' is not a positive integer id"))
    })
}
