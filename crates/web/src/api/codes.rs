//! Code issuance and export.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::parse_id;
use crate::auth::Auth;
use crate::error::ApiJson;
use crate::{ApiContext, ApiError};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/api/v1/batches/{id}/codes", post(issue))
        .route("/api/v1/batches/{id}/codes.csv", get(export_csv))
}

/// Codes issued through one HTTP request; larger runs use the CLI.
const MAX_PER_REQUEST: u64 = 1_000_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueInput {
    count: u64,
}

async fn issue(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<IssueInput>,
) -> Result<(StatusCode, Json<app::codes::Issued>), ApiError> {
    if input.count > MAX_PER_REQUEST {
        return Err(ApiError::bad_request(
            "count",
            format!(
                "at most {MAX_PER_REQUEST} codes per request; use `ppetrace codes issue` for more"
            ),
        ));
    }
    let issued = ctx
        .app
        .issue_codes(&actor, parse_id("id", &id)?, input.count, &|_| {})
        .await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

async fn export_csv(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id("id", &id)?;
    let mut body = String::from("digital_link\n");
    ctx.app
        .export_codes(&actor, id, |uri| {
            body.push_str(uri);
            body.push('\n');
            Ok(())
        })
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"batch-{id}-codes.csv\""),
            ),
        ],
        body,
    ))
}
