//! The employer's PPE ledger API (`/api/v1/ledger/…`): receipts, acceptance, issue,
//! return, inspections, replacement, scrapping, workers, stock, due lists, per-worker
//! history and the CSV ledger. Every route needs the owning employer's key.

use app::ledger::{
    DueList, ItemDetail, ItemQuery, ItemView, ReceiptInput, ReceiptOutcome, Replacement, Stock,
    WorkerHistory, WorkerInput, WorkerPatch,
};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use store::ledger::Worker;

use crate::api::parse_id;
use crate::auth::Auth;
use crate::error::ApiJson;
use crate::{ApiContext, ApiError};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/api/v1/ledger/receipts", post(receive))
        .route("/api/v1/ledger/items", get(items))
        .route("/api/v1/ledger/items/lookup", get(lookup))
        .route("/api/v1/ledger/items/{id}", get(item))
        .route("/api/v1/ledger/items/{id}/accept", post(accept))
        .route("/api/v1/ledger/items/{id}/reject", post(reject))
        .route("/api/v1/ledger/items/{id}/issue", post(issue))
        .route("/api/v1/ledger/items/{id}/return", post(return_item))
        .route("/api/v1/ledger/items/{id}/inspections", post(inspect))
        .route("/api/v1/ledger/items/{id}/replace", post(replace))
        .route("/api/v1/ledger/items/{id}/scrap", post(scrap))
        .route("/api/v1/ledger/workers", post(create_worker).get(workers))
        .route(
            "/api/v1/ledger/workers/{code}",
            get(worker).patch(update_worker),
        )
        .route("/api/v1/ledger/workers/{code}/history", get(worker_history))
        .route("/api/v1/ledger/stock", get(stock))
        .route("/api/v1/ledger/due", get(due))
        .route("/api/v1/ledger/export.csv", get(export_csv))
}

async fn receive(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<ReceiptInput>,
) -> Result<(StatusCode, Json<ReceiptOutcome>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ctx.app.ledger_receive(&actor, &input).await?),
    ))
}

async fn items(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Query(q): Query<ItemQuery>,
) -> Result<Json<Vec<ItemView>>, ApiError> {
    Ok(Json(ctx.app.ledger_items(&actor, &q).await?))
}

#[derive(Deserialize)]
struct CodeQuery {
    code: Option<String>,
}

async fn lookup(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Query(q): Query<CodeQuery>,
) -> Result<Json<ItemDetail>, ApiError> {
    let code = q
        .code
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("code", "query parameter 'code' is required"))?;
    Ok(Json(ctx.app.ledger_find_item(&actor, code).await?))
}

async fn item(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<ItemDetail>, ApiError> {
    Ok(Json(
        ctx.app.ledger_item(&actor, parse_id("id", &id)?).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteInput {
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonInput {
    reason: String,
}

async fn accept(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<ItemView>, ApiError> {
    let note = optional_note(&body)?;
    Ok(Json(
        ctx.app
            .ledger_accept(&actor, parse_id("id", &id)?, note.as_deref())
            .await?,
    ))
}

/// An optional `{"note": …}` body: empty means no note.
fn optional_note(body: &[u8]) -> Result<Option<String>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice::<NoteInput>(body)
        .map(|n| n.note)
        .map_err(|e| ApiError::bad_request("body", e.to_string()))
}

async fn reject(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReasonInput>,
) -> Result<Json<ItemView>, ApiError> {
    Ok(Json(
        ctx.app
            .ledger_reject(&actor, parse_id("id", &id)?, &input.reason)
            .await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueInput {
    /// The worker's pseudonymous code.
    worker: String,
}

async fn issue(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<IssueInput>,
) -> Result<Json<ItemView>, ApiError> {
    Ok(Json(
        ctx.app
            .ledger_issue(&actor, parse_id("id", &id)?, &input.worker)
            .await?,
    ))
}

async fn return_item(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<ItemView>, ApiError> {
    let note = optional_note(&body)?;
    Ok(Json(
        ctx.app
            .ledger_return(&actor, parse_id("id", &id)?, note.as_deref())
            .await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InspectionInput {
    /// `pass`, `fail` or `arrested_fall`.
    result: String,
    note: Option<String>,
}

async fn inspect(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<InspectionInput>,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            ctx.app
                .ledger_inspect(
                    &actor,
                    parse_id("id", &id)?,
                    &input.result,
                    input.note.as_deref(),
                )
                .await?,
        ),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplaceInput {
    /// Ledger id of the item (in stock) that replaces this one.
    new_item: i64,
    reason: Option<String>,
}

async fn replace(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReplaceInput>,
) -> Result<Json<Replacement>, ApiError> {
    Ok(Json(
        ctx.app
            .ledger_replace(
                &actor,
                parse_id("id", &id)?,
                input.new_item,
                input.reason.as_deref(),
            )
            .await?,
    ))
}

async fn scrap(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReasonInput>,
) -> Result<Json<ItemView>, ApiError> {
    Ok(Json(
        ctx.app
            .ledger_scrap(&actor, parse_id("id", &id)?, &input.reason)
            .await?,
    ))
}

async fn create_worker(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<WorkerInput>,
) -> Result<(StatusCode, Json<Worker>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ctx.app.create_worker(&actor, &input).await?),
    ))
}

async fn workers(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
) -> Result<Json<Vec<Worker>>, ApiError> {
    Ok(Json(ctx.app.list_workers(&actor).await?))
}

async fn worker(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(code): Path<String>,
) -> Result<Json<Worker>, ApiError> {
    Ok(Json(ctx.app.get_worker(&actor, &code).await?))
}

async fn update_worker(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(code): Path<String>,
    ApiJson(patch): ApiJson<WorkerPatch>,
) -> Result<Json<Worker>, ApiError> {
    Ok(Json(ctx.app.update_worker(&actor, &code, &patch).await?))
}

async fn worker_history(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(code): Path<String>,
) -> Result<Json<WorkerHistory>, ApiError> {
    Ok(Json(ctx.app.ledger_worker_history(&actor, &code).await?))
}

#[derive(Deserialize)]
struct SiteQuery {
    site: Option<String>,
    days: Option<String>,
    as_of: Option<String>,
}

fn site_param(q: &SiteQuery) -> Result<&str, ApiError> {
    q.site
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("site", "query parameter 'site' (a GLN) is required"))
}

async fn stock(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Query(q): Query<SiteQuery>,
) -> Result<Json<Stock>, ApiError> {
    Ok(Json(ctx.app.ledger_stock(&actor, site_param(&q)?).await?))
}

async fn due(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Query(q): Query<SiteQuery>,
) -> Result<Json<DueList>, ApiError> {
    let days = match q.days.as_deref() {
        None => 30,
        Some(d) => d
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request("days", "must be a whole number of days"))?,
    };
    let as_of = q
        .as_of
        .as_deref()
        .map(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| ApiError::bad_request("as_of", "must be a date, YYYY-MM-DD"))
        })
        .transpose()?;
    Ok(Json(
        ctx.app
            .ledger_due(&actor, site_param(&q)?, days, as_of)
            .await?,
    ))
}

async fn export_csv(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Query(q): Query<SiteQuery>,
) -> Result<Response, ApiError> {
    let csv = ctx
        .app
        .ledger_export_csv(&actor, q.site.as_deref().filter(|s| !s.trim().is_empty()))
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"ppe-ledger.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        csv,
    )
        .into_response())
}
