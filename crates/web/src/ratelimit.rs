//! Per-client rate limits on the public verification endpoints (token buckets keyed
//! by the peer address, in memory only: addresses are never stored or logged).
//! Behind a reverse proxy set `trust_forwarded_for` so the first `X-Forwarded-For`
//! address is the client.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{ApiContext, ApiError};

/// Limits for one client.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub per_minute: u32,
    pub burst: u32,
    pub trust_forwarded_for: bool,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_minute: 600,
            burst: 120,
            trust_forwarded_for: false,
        }
    }
}

/// Token buckets by client address.
#[derive(Default)]
pub struct Limiter {
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl Limiter {
    /// Takes one token; `Err(seconds)` to wait when the bucket is empty.
    pub fn take(&self, ip: IpAddr, limit: &RateLimit, now: Instant) -> Result<(), u64> {
        let rate = f64::from(limit.per_minute.max(1)) / 60.0;
        let burst = f64::from(limit.burst.max(1));
        let Ok(mut map) = self.buckets.lock() else {
            return Ok(());
        };
        if map.len() > 100_000 {
            // Forget clients whose bucket has refilled: bounded memory under a flood.
            map.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = map.entry(ip).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil() as u64)
        }
    }
}

/// Paths that anyone can hit without a key and that reveal code status.
pub fn is_public_lookup(path: &str) -> bool {
    path.starts_with("/01/")
        || path == "/verify"
        || path == "/api/v1/verify"
        || path == "/api/v1/status"
}

fn client_ip(req: &Request, limit: &RateLimit) -> Option<IpAddr> {
    if limit.trust_forwarded_for
        && let Some(ip) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return Some(ip);
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

pub async fn middleware(
    ctx: ApiContext,
    limiter: std::sync::Arc<Limiter>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(limit) = &ctx.web.rate_limit
        && is_public_lookup(req.uri().path())
        && let Some(ip) = client_ip(&req, limit)
        && let Err(wait) = limiter.take(ip, limit, Instant::now())
    {
        let mut r = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            format!("too many look-ups from this client; retry in {wait} s"),
        )
        .into_response();
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn buckets_refill_at_the_configured_rate() {
        let l = Limiter::default();
        let lim = RateLimit {
            per_minute: 60,
            burst: 3,
            trust_forwarded_for: false,
        };
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.take(ip, &lim, t0).is_ok());
        }
        assert_eq!(l.take(ip, &lim, t0), Err(1));
        assert!(l.take(other, &lim, t0).is_ok(), "clients are independent");
        assert!(
            l.take(ip, &lim, t0 + Duration::from_millis(1100)).is_ok(),
            "one token per second"
        );
        assert!(l.take(ip, &lim, t0 + Duration::from_millis(1200)).is_err());
    }

    #[test]
    fn only_public_lookups_are_limited() {
        assert!(is_public_lookup("/01/09506000134352/21/X"));
        assert!(is_public_lookup("/api/v1/verify"));
        assert!(!is_public_lookup("/api/v1/products"));
        assert!(!is_public_lookup("/report"));
    }
}
