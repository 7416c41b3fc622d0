//! Alerts from the clone rules: brand owners see their own, regulators all.

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::parse_id;
use crate::auth::Auth;
use crate::error::ApiJson;
use crate::{ApiContext, ApiError};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/api/v1/alerts", get(list))
        .route("/api/v1/alerts/counts", get(counts))
        .route("/api/v1/alerts/{id}", post(update))
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn list(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    if let Some(s) = &q.status
        && !matches!(s.as_str(), "open" | "investigating" | "closed")
    {
        return Err(ApiError::bad_request(
            "status",
            "expected open, investigating or closed",
        ));
    }
    let alerts = ctx.app.list_alerts(&actor, q.status.as_deref()).await?;
    Ok(Json(json!({ "alerts": alerts })))
}

async fn counts(State(ctx): State<ApiContext>, Auth(actor): Auth) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "counts": ctx.app.alert_counts(&actor).await? }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateInput {
    status: String,
    resolution: Option<String>,
}

async fn update(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<UpdateInput>,
) -> Result<Json<store::scans::Alert>, ApiError> {
    let id = parse_id("id", &id)?;
    Ok(Json(
        ctx.app
            .update_alert(&actor, id, &input.status, input.resolution.as_deref())
            .await?,
    ))
}
