//! Manufacturer console: product models, certificates, batches, code issuance,
//! labels, release and recall, where a batch went, and clone alerts.

use app::registry::{BatchInput, CertificateInput, ProductInput};
use app::users::ConsoleRole;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;

use super::{Console, Frame, app_error};
use crate::ApiContext;
use crate::console_page;
use crate::i18n::Lang;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/manufacturer", get(products_page))
        .route("/console/manufacturer/products", post(create_product))
        .route("/console/manufacturer/products/{gtin}", get(product_page))
        .route(
            "/console/manufacturer/products/{gtin}/certificates",
            post(create_certificate),
        )
        .route(
            "/console/manufacturer/products/{gtin}/batches",
            post(create_batch),
        )
        .route("/console/manufacturer/batches/{id}", get(batch_page))
        .route(
            "/console/manufacturer/batches/{id}/codes",
            post(issue_codes),
        )
        .route(
            "/console/manufacturer/batches/{id}/codes.csv",
            get(codes_csv),
        )
        .route("/console/manufacturer/batches/{id}/release", post(release))
        .route("/console/manufacturer/batches/{id}/recall", post(recall))
        .route("/console/manufacturer/alerts", get(alerts_page))
        .route("/console/alerts/{id}", post(update_alert))
}

type F = Form<Vec<(String, String)>>;

macro_rules! try_page {
    ($c:expr, $e:expr, $back:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return $crate::console::app_error(&$c, e.into(), $back),
        }
    };
}
pub(crate) use try_page;

#[derive(Template)]
#[template(path = "console/manufacturer/products.html")]
struct ProductsPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    f: Frame,
    products: Vec<store::Product>,
    open_alerts: usize,
}

async fn products_page(State(ctx): State<ApiContext>, c: Console) -> Response {
    if let Err(r) = c.require(ConsoleRole::Manufacturer) {
        return r;
    }
    let back = "/console";
    let products = try_page!(
        c,
        ctx.app.store.list_products(Some(c.s.actor.org_id)).await,
        back
    );
    let alerts = try_page!(c, ctx.app.list_alerts(&c.s.actor, Some("open")).await, back);
    console_page!(ProductsPage {
        c.frame("/console/manufacturer", "manufacturer"),
        products: products,
        open_alerts: alerts.len(),
    })
}

fn date(f: &super::Fields, k: &str) -> Result<Option<NaiveDate>, app::AppError> {
    f.opt(k)
        .map(|s| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|_| app::AppError::invalid(k, "must be a date YYYY-MM-DD"))
        })
        .transpose()
}

async fn create_product(State(ctx): State<ApiContext>, c: Console, form: F) -> Response {
    let f = match c.post_for(form, ConsoleRole::Manufacturer) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let back = "/console/manufacturer";
    let months = match f.opt("service_life_months").map(|m| m.parse::<u32>()) {
        None => None,
        Some(Ok(m)) => Some(m),
        Some(Err(_)) => {
            return app_error(
                &c,
                app::AppError::invalid("service_life_months", "must be a whole number of months"),
                back,
            );
        }
    };
    let input = ProductInput {
        gtin: f.get("gtin").trim().to_string(),
        name: f.get("name").to_string(),
        category: f.get("category").to_string(),
        standard: f.get("standard").to_string(),
        protection_class: f.opt("protection_class"),
        service_life_months: months,
        service_life_from: None,
        org_id: None,
    };
    let p = try_page!(c, ctx.app.create_product(&c.s.actor, &input).await, back);
    c.back(&format!("/console/manufacturer/products/{}", p.gtin))
}

struct BatchRow {
    b: store::Batch,
    codes: u64,
}

#[derive(Template)]
#[template(path = "console/manufacturer/product.html")]
struct ProductPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    f: Frame,
    p: store::Product,
    certs: Vec<store::Certificate>,
    batches: Vec<BatchRow>,
}

/// The product if it belongs to the user's organization (else 403).
async fn own_product(ctx: &ApiContext, c: &Console, gtin: &str) -> app::Result<store::Product> {
    let p = ctx.app.product_by_gtin(gtin).await?;
    domain::authz::manage_products(&c.s.actor, p.org_id)?;
    Ok(p)
}

async fn product_page(
    State(ctx): State<ApiContext>,
    c: Console,
    Path(gtin): Path<String>,
) -> Response {
    if let Err(r) = c.require(ConsoleRole::Manufacturer) {
        return r;
    }
    let back = "/console/manufacturer";
    let p = try_page!(c, own_product(&ctx, &c, &gtin).await, back);
    let certs = try_page!(c, ctx.app.store.list_certificates(p.id).await, back);
    let mut batches = Vec::new();
    for b in try_page!(c, ctx.app.store.list_batches(p.id).await, back) {
        let codes = try_page!(c, ctx.app.store.count_codes(b.id).await, back);
        batches.push(BatchRow { b, codes });
    }
    let path = format!("/console/manufacturer/products/{}", p.gtin);
    console_page!(ProductPage {
        c.frame(&path, "manufacturer"),
        p: p,
        certs: certs,
        batches: batches,
    })
}

async fn create_certificate(
    State(ctx): State<ApiContext>,
    c: Console,
    Path(gtin): Path<String>,
    form: F,
) -> Response {
    let f = match c.post_for(form, ConsoleRole::Manufacturer) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let back = format!("/console/manufacturer/products/{gtin}");
    let p = try_page!(c, own_product(&ctx, &c, &gtin).await, &back);
    let from = try_page!(c, date(&f, "valid_from"), &back);
    let until = try_page!(c, date(&f, "valid_until"), &back);
    let (Some(valid_from), Some(valid_until)) = (from, until) else {
        return app_error(
            &c,
            app::AppError::invalid("valid_from", "both validity dates are required"),
            &back,
        );
    };
    let input = CertificateInput {
        gtin: p.gtin.clone(),
        kind: f.get("kind").to_string(),
        number: f.get("number").to_string(),
        issuer: f.get("issuer").to_string(),
        valid_from,
        valid_until,
        status: None,
    };
    try_page!(
        c,
        ctx.app.create_certificate(&c.s.actor, &input).await,
        &back
    );
    c.back(&back)
}

async fn create_batch(
    State(ctx): State<ApiContext>,
    c: Console,
    Path(gtin): Path<String>,
    form: F,
) -> Response {
    let f = match c.post_for(form, ConsoleRole::Manufacturer) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let back = format!("/console/manufacturer/products/{gtin}");
    let p = try_page!(c, own_product(&ctx, &c, &gtin).await, &back);
    let input = BatchInput {
        gtin: p.gtin.clone(),
        lot: f.get("lot").trim().to_string(),
        production_date: try_page!(c, date(&f, "production_date"), &back),
        expiry_date: try_page!(c, date(&f, "expiry_date"), &back),
    };
    let b = try_page!(c, ctx.app.create_batch(&c.s.actor, &input).await, &back);
    c.back(&format!("/console/manufacturer/batches/{}", b.id))
}

#[derive(Template)]
#[template(path = "console/manufacturer/batch.html")]
struct BatchPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    f: Frame,
    p: store::Product,
    b: store::Batch,
    codes: u64,
    sites: Vec<store::Site>,
    trace: Option<app::epcis::trace::LotTrace>,
    notice: Option<String>,
}

/// The prelude of a manufacturer's form about one batch: CSRF and role check,
/// then the batch id from the path.
fn batch_form(c: &Console, form: F, raw_id: &str) -> Result<(super::Fields, i64), Response> {
    let f = c.post_for(form, ConsoleRole::Manufacturer)?;
    Ok((f, batch_id(c, raw_id)?))
}

fn batch_id(c: &Console, id: &str) -> Result<i64, Response> {
    id.parse::<i64>().map_err(|_| {
        app_error(
            c,
            app::AppError::invalid("id", "batch id must be an integer"),
            "/console/manufacturer",
        )
    })
}

async fn own_batch(
    ctx: &ApiContext,
    c: &Console,
    id: i64,
) -> app::Result<(store::Batch, store::Product)> {
    let (b, p) = ctx.app.batch_with_product(id).await?;
    domain::authz::manage_products(&c.s.actor, p.org_id)?;
    Ok((b, p))
}

async fn render_batch(ctx: &ApiContext, c: &Console, id: i64, notice: Option<String>) -> Response {
    let back = "/console/manufacturer";
    let (b, p) = try_page!(c, own_batch(ctx, c, id).await, back);
    let codes = try_page!(c, ctx.app.store.count_codes(b.id).await, back);
    let sites = try_page!(c, ctx.app.store.list_sites(c.s.actor.org_id).await, back);
    let trace = ctx.app.trace_lot(&c.s.actor, &p.gtin, &b.lot).await.ok();
    let path = format!("/console/manufacturer/batches/{id}");
    console_page!(BatchPage {
        c.frame(&path, "manufacturer"),
        p: p,
        b: b,
        codes: codes,
        sites: sites,
        trace: trace,
        notice: notice,
    })
}

async fn batch_page(State(ctx): State<ApiContext>, c: Console, Path(id): Path<String>) -> Response {
    if let Err(r) = c.require(ConsoleRole::Manufacturer) {
        return r;
    }
    match batch_id(&c, &id) {
        Ok(id) => render_batch(&ctx, &c, id, None).await,
        Err(r) => r,
    }
}

async fn issue_codes(
    State(ctx): State<ApiContext>,
    c: Console,
    Path(id): Path<String>,
    form: F,
) -> Response {
    let (f, id) = match batch_form(&c, form, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let back = format!("/console/manufacturer/batches/{id}");
    let Ok(count) = f.get("count").trim().parse::<u64>() else {
        return app_error(
            &c,
            app::AppError::invalid("count", "must be a whole number"),
            &back,
        );
    };
    let issued = try_page!(
        c,
        ctx.app.issue_codes(&c.s.actor, id, count, &|_| {}).await,
        &back
    );
    let notice = format!("{} {}", c.t("Codes issued:", "已生成编码："), issued.issued);
    render_batch(&ctx, &c, id, Some(notice)).await
}

async fn codes_csv(State(ctx): State<ApiContext>, c: Console, Path(id): Path<String>) -> Response {
    if let Err(r) = c.require(ConsoleRole::Manufacturer) {
        return r;
    }
    let id = match batch_id(&c, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut out = String::new();
    let r = ctx
        .app
        .export_codes(&c.s.actor, id, |line| {
            out.push_str(line);
            out.push('\n');
            Ok(())
        })
        .await;
    try_page!(c, r, &format!("/console/manufacturer/batches/{id}"));
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"batch-{id}-codes.csv\""),
            ),
        ],
        out,
    )
        .into_response()
}

async fn release(
    State(ctx): State<ApiContext>,
    c: Console,
    Path(id): Path<String>,
    form: F,
) -> Response {
    let (f, id) = match batch_form(&c, form, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let back = format!("/console/manufacturer/batches/{id}");
    try_page!(
        c,
        ctx.app
            .release_batch(&c.s.actor, id, f.get("site_gln"))
            .await,
        &back
    );
    c.back(&back)
}

async fn recall(
    State(ctx): State<ApiContext>,
    c: Console,
    Path(id): Path<String>,
    form: F,
) -> Response {
    let f = match c.post_for_any(form, &[ConsoleRole::Manufacturer, ConsoleRole::Regulator]) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let id = match batch_id(&c, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let back = format!("/console/manufacturer/batches/{id}");
    let on = try_page!(c, date(&f, "date"), &back);
    try_page!(
        c,
        ctx.app
            .recall_batch(&c.s.actor, id, f.get("reason"), on)
            .await,
        &back
    );
    c.back(&back)
}

pub(crate) struct AlertRow {
    pub a: store::scans::Alert,
    pub cause: &'static str,
    pub status: &'static str,
}

pub(crate) fn alert_rows(l: Lang, alerts: Vec<store::scans::Alert>) -> Vec<AlertRow> {
    alerts
        .into_iter()
        .map(|a| {
            let cause = match a.cause.as_str() {
                "impossible_travel" => l.t("impossible travel", "不可能的移动"),
                "scan_after_scrapping" => l.t("scanned after scrapping", "报废后被扫描"),
                "two_receivers" => l.t("received by two organizations", "被两个单位接收"),
                "excessive_scans" => l.t("too many look-ups", "查询次数异常"),
                "unshipped_region" => l.t("seen where never shipped", "出现在未发货地区"),
                _ => l.t("other", "其他"),
            };
            let status = match a.status.as_str() {
                "open" => l.t("open", "待处理"),
                "investigating" => l.t("investigating", "调查中"),
                "closed" => l.t("closed", "已关闭"),
                _ => l.t("unknown", "未知"),
            };
            AlertRow { a, cause, status }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "console/alerts.html")]
pub(crate) struct AlertsPage {
    pub l: Lang,
    pub lang_param: &'static str,
    pub switch_en: String,
    pub switch_zh: String,
    pub f: Frame,
    pub alerts: Vec<AlertRow>,
    pub back: String,
}

async fn alerts_page(State(ctx): State<ApiContext>, c: Console) -> Response {
    if let Err(r) = c.require(ConsoleRole::Manufacturer) {
        return r;
    }
    let alerts = try_page!(
        c,
        ctx.app.list_alerts(&c.s.actor, None).await,
        "/console/manufacturer"
    );
    console_page!(AlertsPage {
        c.frame("/console/manufacturer/alerts", "manufacturer"),
        alerts: alert_rows(c.l, alerts),
        back: "/console/manufacturer/alerts".to_string(),
    })
}

/// Moves an alert on (brand owner or regulator; `domain::authz` via the service).
async fn update_alert(
    State(ctx): State<ApiContext>,
    c: Console,
    Path(id): Path<String>,
    form: F,
) -> Response {
    let f = match c.post_for_any(form, &[ConsoleRole::Manufacturer, ConsoleRole::Regulator]) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let back = if f.get("back") == "/console/regulator" {
        "/console/regulator"
    } else {
        "/console/manufacturer/alerts"
    };
    let Ok(id) = id.parse::<i64>() else {
        return app_error(
            &c,
            app::AppError::invalid("id", "alert id must be an integer"),
            back,
        );
    };
    let resolution = f.opt("resolution");
    try_page!(
        c,
        ctx.app
            .update_alert(&c.s.actor, id, f.get("status"), resolution.as_deref())
            .await,
        back
    );
    c.back(back)
}
