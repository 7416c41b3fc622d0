//! Draws and inspections: registries, draw phases, assignments, signed
//! inspection records, public results and analytics (API), and the public
//! bilingual pages (draw list and detail, results per target).
//!
//! Public without a key: the draw list and views (commitment before the
//! window, everything after), `published.json` once the window opened, item
//! lists, results per target, the pages. Everything else needs a key and is
//! authorised in `app::draws`.

use app::draws::records::{PublicResult, SignedRecord, TargetResults};
use app::draws::{
    DrawInput, DrawView, InspectorInput, ItemInput, ItemListInput, TargetInput, draw,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use store::draws::RecordFilter;

use crate::api::parse_id;
use crate::auth::Auth;
use crate::error::ApiJson;
use crate::i18n::{Lang, negotiate};
use crate::pages::{Chrome, render};
use crate::{ApiContext, ApiError};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route(
            "/api/v1/inspection-targets",
            post(put_target).get(list_targets),
        )
        .route(
            "/api/v1/inspectors",
            post(put_inspector).get(list_inspectors),
        )
        .route("/api/v1/item-lists", post(create_list).get(list_lists))
        .route("/api/v1/item-lists/{code}", get(get_list))
        .route("/api/v1/draws", post(publish).get(list_draws))
        .route("/api/v1/draws/{id}", get(get_draw))
        .route("/api/v1/draws/{id}/seed", post(seed))
        .route("/api/v1/draws/{id}/run", post(run))
        .route("/api/v1/draws/{id}/assignments", get(assignments))
        .route("/api/v1/draws/{id}/published.json", get(published))
        .route("/api/v1/inspections", post(file_record).get(list_records))
        .route("/api/v1/targets/{code}/results", get(target_results))
        .route("/api/v1/inspection-analytics", get(analytics))
        .route("/draws", get(draws_page))
        .route("/draws/{id}", get(draw_page))
        .route("/targets/{code}/inspections", get(target_page))
}

type Created = (StatusCode, Json<Value>);

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, ApiError> {
    serde_json::to_value(v).map_err(|e| ApiError::from(app::AppError::Internal(e.to_string())))
}

fn created<T: serde::Serialize>(v: &T) -> Result<Created, ApiError> {
    Ok((StatusCode::CREATED, Json(to_json(v)?)))
}

async fn put_target(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<TargetInput>,
) -> Result<Created, ApiError> {
    created(&ctx.app.put_target(&actor, &input).await?)
}

async fn list_targets(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
) -> Result<Json<Value>, ApiError> {
    ctx.app.require_regulator(&actor).await?;
    let targets = ctx
        .app
        .store
        .list_targets()
        .await
        .map_err(app::AppError::from)?;
    Ok(Json(json!({ "targets": targets })))
}

async fn put_inspector(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<InspectorInput>,
) -> Result<Created, ApiError> {
    created(&ctx.app.put_inspector(&actor, &input).await?)
}

async fn list_inspectors(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
) -> Result<Json<Value>, ApiError> {
    ctx.app.require_regulator(&actor).await?;
    let inspectors = ctx
        .app
        .store
        .list_inspectors()
        .await
        .map_err(app::AppError::from)?;
    Ok(Json(json!({ "inspectors": inspectors })))
}

fn list_json(l: &store::draws::ItemList) -> Result<Value, ApiError> {
    let items: Vec<ItemInput> = serde_json::from_str(&l.items)
        .map_err(|e| ApiError::from(app::AppError::Internal(e.to_string())))?;
    Ok(json!({"code": l.code, "title": l.title, "items": items, "created_at": l.created_at}))
}

async fn create_list(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<ItemListInput>,
) -> Result<Created, ApiError> {
    let l = ctx.app.create_item_list(&actor, &input).await?;
    Ok((StatusCode::CREATED, Json(list_json(&l)?)))
}

async fn list_lists(State(ctx): State<ApiContext>) -> Result<Json<Value>, ApiError> {
    let lists = ctx
        .app
        .store
        .list_item_lists()
        .await
        .map_err(app::AppError::from)?;
    let lists = lists.iter().map(list_json).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({ "item_lists": lists })))
}

async fn get_list(
    State(ctx): State<ApiContext>,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let l = ctx
        .app
        .store
        .get_item_list(&code)
        .await
        .map_err(app::AppError::from)?
        .ok_or_else(|| ApiError::from(app::AppError::NotFound(format!("item list {code}"))))?;
    Ok(Json(list_json(&l)?))
}

async fn publish(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<DrawInput>,
) -> Result<Created, ApiError> {
    created(&ctx.app.publish_draw(&actor, &input).await?)
}

/// A draw in a list: no bulky published bundle.
fn summary(v: &DrawView) -> Value {
    json!({"id": v.id, "plan_id": v.plan_id, "status": v.status, "phase": v.phase,
           "window_start": v.plan.window_start, "window_end": v.plan.window_end,
           "plan_hash": v.plan_hash, "snapshot_hash": v.snapshot_hash,
           "commitment": v.commitment, "created_at": v.created_at})
}

async fn list_draws(State(ctx): State<ApiContext>) -> Result<Json<Value>, ApiError> {
    let draws = ctx.app.list_draw_views().await?;
    Ok(Json(
        json!({ "draws": draws.iter().map(summary).collect::<Vec<_>>() }),
    ))
}

async fn get_draw(
    State(ctx): State<ApiContext>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let v = ctx.app.get_draw_view(parse_id("id", &id)?).await?;
    Ok(Json(to_json(&v)?))
}

async fn seed(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<draw::SeedInputs>,
) -> Result<Created, ApiError> {
    created(
        &ctx.app
            .seed_draw(&actor, parse_id("id", &id)?, &input)
            .await?,
    )
}

async fn run(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Created, ApiError> {
    created(&ctx.app.run_draw(&actor, parse_id("id", &id)?).await?)
}

async fn assignments(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let a = ctx
        .app
        .visible_assignments(&actor, parse_id("id", &id)?)
        .await?;
    Ok(Json(json!({ "assignments": a })))
}

async fn published(
    State(ctx): State<ApiContext>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id("id", &id)?;
    let v = ctx.app.get_draw_view(id).await?;
    let Some(p) = v.published else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "sealed",
            format!(
                "draw {id} is sealed until its inspection window opens ({}); its commitment is {}",
                v.plan.window_start,
                v.commitment.as_deref().unwrap_or("not yet drawn")
            ),
        ));
    };
    let body = draw::canonical::to_canonical_json(&p)
        .map_err(|e| ApiError::from(app::AppError::Internal(e.to_string())))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"draw-{id}.json\""),
            ),
        ],
        body,
    )
        .into_response())
}

async fn file_record(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<SignedRecord>,
) -> Result<Created, ApiError> {
    created(&ctx.app.file_record(&actor, &input).await?)
}

async fn list_records(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    if let Some(k) = q
        .keys()
        .find(|k| !matches!(k.as_str(), "draw" | "target" | "inspector"))
    {
        return Err(ApiError::bad_request(
            k,
            format!("unknown query parameter '{k}' (draw, target, inspector)"),
        ));
    }
    let filter = RecordFilter {
        draw_id: q.get("draw").map(|d| parse_id("draw", d)).transpose()?,
        target_code: q.get("target").cloned(),
        inspector_code: q.get("inspector").cloned(),
    };
    let records = ctx.app.list_record_views(&actor, filter).await?;
    Ok(Json(json!({ "records": records })))
}

async fn target_results(
    State(ctx): State<ApiContext>,
    Path(code): Path<String>,
) -> Result<Json<TargetResults>, ApiError> {
    Ok(Json(ctx.app.target_results(&code).await?))
}

async fn analytics(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(ctx.app.inspection_analytics(&actor).await?))
}

// ---- pages ----

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

fn phase_label(l: Lang, phase: &str) -> &'static str {
    match phase {
        "before" => l.t(
            "before the inspection window: sealed",
            "检查窗口开启前：结果密封",
        ),
        "during" => l.t("inspection window open", "检查窗口进行中"),
        _ => l.t("inspection window closed", "检查窗口已结束"),
    }
}

fn status_label(l: Lang, status: &str) -> &'static str {
    match status {
        "published" => l.t(
            "plan published, waiting for the seed",
            "计划已公布，等待随机种子",
        ),
        "seeded" => l.t("seed fixed, not drawn yet", "随机种子已确定，尚未抽取"),
        _ => l.t("drawn", "已抽取"),
    }
}

struct DrawLine {
    id: i64,
    plan_id: String,
    window: String,
    phase: &'static str,
    status: &'static str,
    commitment: String,
}

#[derive(Template)]
#[template(path = "draws/list.html")]
struct DrawsPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    draws: Vec<DrawLine>,
}

async fn draws_page(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let c = Chrome::new(negotiate(q.lang.as_deref(), &headers), "/draws", &[]);
    let draws = ctx
        .app
        .list_draw_views()
        .await?
        .into_iter()
        .map(|v| DrawLine {
            id: v.id,
            window: format!("{} – {}", v.plan.window_start, v.plan.window_end),
            phase: phase_label(c.l, v.phase),
            status: status_label(c.l, v.status),
            commitment: v.commitment.clone().unwrap_or_else(|| "—".into()),
            plan_id: v.plan_id,
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &DrawsPage {
            l: c.l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            draws,
        },
    ))
}

struct AssignmentLine {
    target: String,
    class: String,
    inspectors: String,
    shortfall: u32,
}

#[derive(Template)]
#[template(path = "draws/detail.html")]
struct DrawPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    v: DrawView,
    phase: &'static str,
    status: &'static str,
    quotas: Vec<String>,
    beacon: String,
    commitments: usize,
    assignments: Vec<AssignmentLine>,
    seed: String,
    reveals: Vec<String>,
    beacon_value: String,
}

async fn draw_page(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let id = parse_id("id", &id)?;
    let c = Chrome::new(
        negotiate(q.lang.as_deref(), &headers),
        &format!("/draws/{id}"),
        &[],
    );
    let v = ctx.app.get_draw_view(id).await?;
    let quotas = v
        .plan
        .quotas
        .iter()
        .map(|q| {
            format!(
                "{}: {}.{:02} %, min {}",
                q.class,
                q.fraction_bp / 100,
                q.fraction_bp % 100,
                q.minimum
            )
        })
        .collect();
    let beacon = v.plan.beacon_round.map_or_else(
        || "—".to_string(),
        |r| format!("drand default chain, round {r}"),
    );
    let (assignments, seed, reveals, beacon_value) = match &v.published {
        Some(p) => (
            p.result
                .assignments
                .iter()
                .map(|a| AssignmentLine {
                    target: a.target_id.clone(),
                    class: a.risk_class.to_string(),
                    inspectors: a.inspectors.join(", "),
                    shortfall: a.shortfall,
                })
                .collect(),
            p.result.seed.clone(),
            p.seed_inputs.reveals.clone(),
            p.seed_inputs
                .beacon
                .as_ref()
                .map_or_else(|| "—".into(), |b| format!("{}:{}", b.round, b.randomness)),
        ),
        None => (Vec::new(), String::new(), Vec::new(), String::new()),
    };
    Ok(render(
        StatusCode::OK,
        &DrawPage {
            l: c.l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            phase: phase_label(c.l, v.phase),
            status: status_label(c.l, v.status),
            quotas,
            beacon,
            commitments: v.plan.contribution_commitments.len(),
            assignments,
            seed,
            reveals,
            beacon_value,
            v,
        },
    ))
}

#[derive(Template)]
#[template(path = "draws/target.html")]
struct TargetPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    t: TargetResults,
}

impl TargetPage {
    fn outcome(&self, r: &PublicResult) -> &'static str {
        if r.outcome == "no_problems" {
            self.l.t("no problems found", "未发现问题")
        } else {
            self.l.t("problems found", "发现问题")
        }
    }
}

async fn target_page(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let c = Chrome::new(
        negotiate(q.lang.as_deref(), &headers),
        &format!("/targets/{}/inspections", crate::pages::encode(&code)),
        &[],
    );
    let t = ctx.app.target_results(&code).await?;
    Ok(render(
        StatusCode::OK,
        &TargetPage {
            l: c.l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            t,
        },
    ))
}
