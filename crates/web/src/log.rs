//! `GET /log/…`: the tamper-evident log over HTTP, as C2SP `tlog-tiles` says
//! (checkpoint, hash tiles, entry bundles), plus the verifier key, inclusion
//! and consistency proofs, receipts and single entries.

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::{ApiContext, ApiError};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const SHORT: &str = "public, max-age=5";
const PARTIAL: &str = "public, max-age=60";

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/log/checkpoint", get(checkpoint))
        .route("/log/key", get(key))
        .route("/log/tile/{*path}", get(tile))
        .route("/log/proof/{index}", get(proof))
        .route("/log/consistency", get(consistency))
        .route("/log/receipt/{entry_sha256}", get(receipt))
        .route("/log/entry/{index}", get(entry))
}

fn text(body: String, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response()
}

fn not_found(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        format!("{what} does not exist"),
    )
}

async fn checkpoint(State(ctx): State<ApiContext>) -> Result<Response, ApiError> {
    let cp = ctx.app.log_checkpoint().await?;
    let body = String::from_utf8(cp.note)
        .map_err(|_| ApiError::from(app::AppError::Internal("checkpoint is not UTF-8".into())))?;
    Ok(text(body, SHORT))
}

async fn key(State(ctx): State<ApiContext>) -> Result<Response, ApiError> {
    let k = ctx.app.log.verifier_key()?;
    Ok(text(format!("{k}\n"), SHORT))
}

async fn tile(
    State(ctx): State<ApiContext>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    let parsed = tlog::parse_path(&format!("tile/{path}"))
        .map_err(|e| ApiError::bad_request("path", format!("not a tlog-tiles path: {e}")))?;
    let (data, full) = match parsed {
        // A cached full tile is shared (`Bytes`): the response body points at
        // the cached 8 KiB, nothing is copied.
        tlog::TilePath::Tile(t) => (ctx.app.log_tile(t).await?, t.is_full()),
        tlog::TilePath::Bundle(b) => (
            ctx.app.log_bundle(b).await?.map(axum::body::Bytes::from),
            b.is_full(),
        ),
    };
    let data = data.ok_or_else(|| not_found("this tile (beyond the tree)"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (
                header::CACHE_CONTROL,
                if full { IMMUTABLE } else { PARTIAL },
            ),
        ],
        data,
    )
        .into_response())
}

fn parse_u64(field: &str, v: &str) -> Result<u64, ApiError> {
    if v.is_empty() || v.len() > 20 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request(
            field,
            format!("{field} must be a non-negative integer"),
        ));
    }
    v.parse()
        .map_err(|_| ApiError::bad_request(field, format!("{field} is out of range")))
}

/// Parses `a=1&b=2`, refusing unknown or repeated parameters.
fn query(raw: Option<String>, allowed: &[&str]) -> Result<Vec<(String, u64)>, ApiError> {
    let mut out: Vec<(String, u64)> = Vec::new();
    for pair in raw
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if !allowed.contains(&k) {
            return Err(ApiError::bad_request(k, format!("unknown parameter '{k}'")));
        }
        if out.iter().any(|(n, _)| n == k) {
            return Err(ApiError::bad_request(k, format!("'{k}' given twice")));
        }
        out.push((k.to_string(), parse_u64(k, v)?));
    }
    Ok(out)
}

fn get_param(q: &[(String, u64)], name: &str) -> Option<u64> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
}

async fn proof(
    State(ctx): State<ApiContext>,
    Path(index): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let index = parse_u64("index", &index)?;
    let q = query(raw, &["size"])?;
    let p = ctx.app.log_inclusion(index, get_param(&q, "size")).await?;
    Ok(Json(p).into_response())
}

async fn consistency(
    State(ctx): State<ApiContext>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = query(raw, &["old", "new"])?;
    let old =
        get_param(&q, "old").ok_or_else(|| ApiError::bad_request("old", "old is required"))?;
    let new =
        get_param(&q, "new").ok_or_else(|| ApiError::bad_request("new", "new is required"))?;
    let p = ctx.app.log_consistency(old, new).await?;
    Ok(Json(p).into_response())
}

async fn receipt(
    State(ctx): State<ApiContext>,
    Path(hex_hash): Path<String>,
) -> Result<Response, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "entry_sha256",
            "must be the SHA-256 of the entry bytes, 64 hex digits",
        )
    };
    if hex_hash.len() != 64 {
        return Err(bad());
    }
    let mut digest = [0u8; 32];
    for (i, chunk) in hex_hash.as_bytes().chunks(2).enumerate() {
        let s = std::str::from_utf8(chunk).map_err(|_| bad())?;
        digest[i] = u8::from_str_radix(s, 16).map_err(|_| bad())?;
    }
    let r = ctx.app.log_receipt(&digest).await?;
    let status = if r.inclusion.is_some() {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(r)).into_response())
}

async fn entry(
    State(ctx): State<ApiContext>,
    Path(index): Path<String>,
) -> Result<Response, ApiError> {
    let index = parse_u64("index", &index)?;
    let bytes = ctx.app.log_entry(index).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, IMMUTABLE),
        ],
        bytes,
    )
        .into_response())
}
