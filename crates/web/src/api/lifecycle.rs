//! Lifecycle steps, batch release and recall, item history, and verification.

use app::lifecycle::StepInput;
use app::scans::ScanInput;
use app::verify::ScanMode;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use domain::org::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use super::parse_id;
use crate::auth::Auth;
use crate::error::ApiJson;
use crate::{ApiContext, ApiError};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/api/v1/steps", post(record_step))
        .route("/api/v1/batches/{id}/release", post(release))
        .route("/api/v1/batches/{id}/recall", post(recall))
        .route("/api/v1/recall-notices", get(recall_notices))
        .route("/api/v1/items/history", get(history))
        .route("/api/v1/verify", get(verify))
        .route("/api/v1/status", get(status))
}

async fn record_step(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<StepInput>,
) -> Result<(StatusCode, Json<app::lifecycle::Recorded>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ctx.app.record_step(&actor, &input).await?),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleaseInput {
    site_gln: String,
}

async fn release(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReleaseInput>,
) -> Result<(StatusCode, Json<app::lifecycle::Recorded>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            ctx.app
                .release_batch(&actor, parse_id("id", &id)?, &input.site_gln)
                .await?,
        ),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecallInput {
    reason: String,
    date: Option<NaiveDate>,
}

#[derive(serde::Serialize)]
struct RecallAnswer {
    event_id: String,
    items: usize,
    /// The organizations holding items of the batch, found by forward trace: each
    /// now sees the recall at `GET /api/v1/recall-notices`.
    notified: Vec<app::epcis::trace::Holder>,
}

async fn recall(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RecallInput>,
) -> Result<(StatusCode, Json<RecallAnswer>), ApiError> {
    let batch_id = parse_id("id", &id)?;
    let recorded = ctx
        .app
        .recall_batch(&actor, batch_id, &input.reason, input.date)
        .await?;
    let reach = ctx.app.recall_reach(batch_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(RecallAnswer {
            event_id: recorded.event_id,
            items: recorded.items,
            notified: reach
                .organizations
                .into_iter()
                .filter(|h| h.org_id != actor.org_id)
                .collect(),
        }),
    ))
}

/// Recalls reaching the caller's organization (all recalls for regulators).
async fn recall_notices(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
) -> Result<Json<serde_json::Value>, ApiError> {
    let notices = ctx.app.recall_notices(&actor).await?;
    Ok(Json(serde_json::json!({ "recall_notices": notices })))
}

#[derive(Deserialize)]
struct CodeQuery {
    code: Option<String>,
    /// Optional coarse location of an informational scan.
    lat: Option<f64>,
    lon: Option<f64>,
    city: Option<String>,
    region: Option<String>,
}

fn code_param(q: &CodeQuery) -> Result<&str, ApiError> {
    q.code
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("code", "query parameter 'code' is required"))
}

/// An item's supply-chain history is visible to its manufacturer, regulators and
/// administrators.
async fn history(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Query(q): Query<CodeQuery>,
) -> Result<Json<Value>, ApiError> {
    let code = code_param(&q)?;
    let outcome = ctx.app.verify_text(code, &ScanMode::StatusOnly).await?;
    let owner = match &outcome.manufacturer {
        Some(m) => m.id,
        None => return Err(app::AppError::NotFound("item".into()).into()),
    };
    if !(actor.admin || actor.has_role(Role::Regulator) || actor.org_id == owner) {
        return Err(app::AppError::Forbidden(
            "only the manufacturer and regulators may read an item's history".into(),
        )
        .into());
    }
    let events = ctx.app.item_history(code).await?;
    Ok(Json(json!({ "item": outcome.code, "events": events })))
}

/// A verification: recorded as an informational scan (clone rules, alerts).
async fn verify(
    State(ctx): State<ApiContext>,
    Query(q): Query<CodeQuery>,
) -> Result<Response, ApiError> {
    let mode = ScanMode::Record(ScanInput {
        lat: q.lat,
        lon: q.lon,
        city: q.city.clone(),
        region: q.region.clone(),
    });
    let outcome = ctx.app.verify_text(code_param(&q)?, &mode).await?;
    Ok(crate::resolver::signed_json(&ctx, &outcome))
}

/// A status check: the same answer, but nothing is recorded and no alert is raised.
async fn status(
    State(ctx): State<ApiContext>,
    Query(q): Query<CodeQuery>,
) -> Result<Response, ApiError> {
    let outcome = ctx
        .app
        .verify_text(code_param(&q)?, &ScanMode::StatusOnly)
        .await?;
    Ok(crate::resolver::signed_json(&ctx, &outcome))
}
