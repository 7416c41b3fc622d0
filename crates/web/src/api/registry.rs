//! Registry endpoints: organizations, keys, sites, product models, certificates,
//! batches.

use app::registry::{BatchInput, CertificateInput, OrgInput, ProductInput, SiteInput};
use axum::extract::{Path, State};
use axum::http::StatusCode;
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
        .route("/api/v1/organizations", post(create_org).get(list_orgs))
        .route("/api/v1/organizations/{id}", get(get_org))
        .route("/api/v1/organizations/{id}/keys", post(create_key))
        .route(
            "/api/v1/organizations/{id}/sites",
            post(create_site).get(list_sites),
        )
        .route("/api/v1/products", post(create_product).get(list_products))
        .route("/api/v1/products/{gtin}", get(get_product))
        .route(
            "/api/v1/products/{gtin}/certificates",
            get(list_certificates),
        )
        .route("/api/v1/products/{gtin}/batches", get(list_batches))
        .route("/api/v1/certificates", post(create_certificate))
        .route("/api/v1/batches", post(create_batch))
        .route("/api/v1/batches/{id}", get(get_batch))
}

type Created = (StatusCode, Json<Value>);

fn created<T: serde::Serialize>(v: T) -> Result<Created, ApiError> {
    let value = serde_json::to_value(v)
        .map_err(|e| ApiError::from(app::AppError::Internal(e.to_string())))?;
    Ok((StatusCode::CREATED, Json(value)))
}

async fn create_org(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<OrgInput>,
) -> Result<Created, ApiError> {
    created(ctx.app.create_org(Some(&actor), &input).await?)
}

async fn list_orgs(State(ctx): State<ApiContext>) -> Result<Json<Value>, ApiError> {
    let orgs = ctx
        .app
        .store
        .list_orgs()
        .await
        .map_err(app::AppError::from)?;
    Ok(Json(json!({ "organizations": orgs })))
}

async fn get_org(
    State(ctx): State<ApiContext>,
    Path(id): Path<String>,
) -> Result<Json<store::Org>, ApiError> {
    Ok(Json(ctx.app.get_org(parse_id("id", &id)?).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyInput {
    label: String,
    #[serde(default)]
    admin: bool,
}

async fn create_key(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<KeyInput>,
) -> Result<Created, ApiError> {
    let k = ctx
        .app
        .create_api_key(
            Some(&actor),
            parse_id("id", &id)?,
            input.admin,
            &input.label,
        )
        .await?;
    created(
        json!({ "id": k.key.id, "org_id": k.key.org_id, "admin": k.key.admin, "label": k.key.label,
                    "key": k.secret, "note": "store this key now: it is shown only once" }),
    )
}

async fn create_site(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SiteInput>,
) -> Result<Created, ApiError> {
    created(
        ctx.app
            .create_site(&actor, parse_id("id", &id)?, &input)
            .await?,
    )
}

async fn list_sites(
    State(ctx): State<ApiContext>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id("id", &id)?;
    ctx.app.get_org(id).await?;
    let sites = ctx
        .app
        .store
        .list_sites(id)
        .await
        .map_err(app::AppError::from)?;
    Ok(Json(json!({ "sites": sites })))
}

async fn create_product(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<ProductInput>,
) -> Result<Created, ApiError> {
    created(ctx.app.create_product(&actor, &input).await?)
}

async fn list_products(State(ctx): State<ApiContext>) -> Result<Json<Value>, ApiError> {
    let products = ctx
        .app
        .store
        .list_products(None)
        .await
        .map_err(app::AppError::from)?;
    Ok(Json(json!({ "products": products })))
}

async fn get_product(
    State(ctx): State<ApiContext>,
    Path(gtin): Path<String>,
) -> Result<Json<store::Product>, ApiError> {
    Ok(Json(ctx.app.product_by_gtin(&gtin).await?))
}

async fn list_certificates(
    State(ctx): State<ApiContext>,
    Path(gtin): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let p = ctx.app.product_by_gtin(&gtin).await?;
    let certs = ctx
        .app
        .store
        .list_certificates(p.id)
        .await
        .map_err(app::AppError::from)?;
    Ok(Json(json!({ "certificates": certs })))
}

async fn list_batches(
    State(ctx): State<ApiContext>,
    Path(gtin): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let p = ctx.app.product_by_gtin(&gtin).await?;
    let batches = ctx
        .app
        .store
        .list_batches(p.id)
        .await
        .map_err(app::AppError::from)?;
    Ok(Json(json!({ "batches": batches })))
}

async fn create_certificate(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<CertificateInput>,
) -> Result<Created, ApiError> {
    created(ctx.app.create_certificate(&actor, &input).await?)
}

async fn create_batch(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<BatchInput>,
) -> Result<Created, ApiError> {
    created(ctx.app.create_batch(&actor, &input).await?)
}

async fn get_batch(
    State(ctx): State<ApiContext>,
    Path(id): Path<String>,
) -> Result<Json<store::Batch>, ApiError> {
    let (batch, _) = ctx.app.batch_with_product(parse_id("id", &id)?).await?;
    Ok(Json(batch))
}
