//! The HTTP layer: thin handlers over the [`app::App`] services.
//!
//! Invariants: handlers parse and authenticate, call one service, and render; no
//! business rule lives here. Every error leaves as RFC 9457 `application/problem+json`
//! (see [`error`]); a panic inside a handler becomes a 500 problem, never a dropped
//! connection. Each module exposes its own `router()`.

pub mod api;
pub mod auth;
pub mod charts;
pub mod console;
pub mod draws;
pub mod epcis;
pub mod error;
pub mod i18n;
pub mod ledger;
pub mod log;
pub mod mailbox;
pub mod openapi;
pub mod pages;
pub mod portal;
pub mod ratelimit;
pub mod resolver;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;

pub use error::ApiError;

/// Limits and switches of the HTTP layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// A request that takes longer is answered 503.
    pub request_timeout: Duration,
    /// Per-client limit on public look-ups; `None` turns it off.
    pub rate_limit: Option<ratelimit::RateLimit>,
    /// Send `Strict-Transport-Security` (only behind HTTPS; off for localhost).
    pub hsts: bool,
}

/// The `Strict-Transport-Security` value sent when [`WebConfig::hsts`] is on: one year.
pub const HSTS_VALUE: &str = "max-age=31536000; includeSubDomains";

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            max_body_bytes: 1 << 20,
            request_timeout: Duration::from_secs(30),
            rate_limit: Some(ratelimit::RateLimit::default()),
            hsts: false,
        }
    }
}

/// Shared state of every handler: one pointer, because axum clones it for every
/// extractor and middleware of every request.
#[derive(Clone)]
pub struct ApiContext(Arc<Shared>);

/// What [`ApiContext`] points to.
pub struct Shared {
    pub app: app::App,
    pub web: Arc<WebConfig>,
}

impl ApiContext {
    pub fn new(app: app::App, web: Arc<WebConfig>) -> ApiContext {
        ApiContext(Arc::new(Shared { app, web }))
    }
}

impl std::ops::Deref for ApiContext {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The whole HTTP surface.
pub fn router(ctx: ApiContext) -> Router {
    let limit = ctx.web.max_body_bytes;
    let timeout = ctx.web.request_timeout;
    let limiter = Arc::new(ratelimit::Limiter::default());
    let rate_ctx = ctx.clone();
    let hsts = ctx.web.hsts.then(|| HeaderValue::from_static(HSTS_VALUE));
    Router::new()
        .merge(api::router())
        .merge(resolver::router())
        .merge(pages::router())
        .merge(log::router())
        .merge(epcis::router())
        .merge(draws::router())
        .merge(mailbox::router())
        .merge(portal::router())
        .merge(ledger::router())
        .merge(openapi::router())
        .merge(console::router())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn(log_receipts))
        .layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
            let (ctx, limiter) = (rate_ctx.clone(), limiter.clone());
            async move { ratelimit::middleware(ctx, limiter, req, next).await }
        }))
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(axum::middleware::from_fn(error::plain_rejections_to_problems))
        .layer(CatchPanicLayer::custom(error::panic_to_problem))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; form-action 'self'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            hsts,
        ))
        .with_state(ctx)
}

/// Response header naming the leaf indexes (inclusive ranges, `5-7,9`) of the
/// tamper-evident log entries a write appended (docs/log.md, "Receipts").
pub const LOG_INDEX_HEADER: &str = "ppetrace-log-index";

/// Every successful write response carries the log indexes of the entries it
/// committed, whatever the route: API JSON, EPCIS, console form redirects.
async fn log_receipts(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (mut res, indexes) = store::receipts::collect(next.run(req)).await;
    let ok = res.status().is_success() || res.status().is_redirection();
    if ok
        && !indexes.is_empty()
        && let Ok(v) = HeaderValue::from_str(&store::receipts::ranges(&indexes))
    {
        res.headers_mut().insert(LOG_INDEX_HEADER, v);
    }
    res
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    ctx: ApiContext,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(ctx).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
