//! The transparency portal: public registry data, recalls, draw and inspection
//! results, substantiated fraud cases, statistics with server-side SVG charts, and
//! the tamper-evident log's latest checkpoint with how to audit it.
//!
//! Read-only. Everything shown is public registry data or an aggregate: no scan
//! places, no serials, no workers, nothing about reporters beyond the handler's
//! published summary. Names are escaped by askama (and by [`charts::esc`] inside
//! SVG). Every page is bilingual and needs no JavaScript.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use chrono::{Duration, NaiveDate};
use domain::cert::{IssuerStatus, certificate_status};
use serde::Deserialize;

use crate::charts::{self, Chart, Point};
use crate::i18n::{Lang, negotiate};
use crate::pages::{Chrome, cert_kind_label, cert_status_label, encode, render};
use crate::{ApiContext, ApiError};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/portal", get(index))
        .route("/portal/organizations", get(orgs))
        .route("/portal/organizations/{id}", get(org))
        .route("/portal/products", get(products))
        .route("/portal/products/{gtin}", get(product))
        .route("/portal/recalls", get(recalls))
        .route("/portal/inspections", get(inspections))
        .route("/portal/cases", get(cases))
        .route("/portal/statistics", get(statistics))
        .route("/portal/log", get(log_page))
}

/// At most this many recalls are listed.
const RECALL_LIMIT: u32 = 500;
/// Days in the look-ups chart.
const DAYS: i64 = 30;

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

fn chrome(headers: &HeaderMap, q: &LangQuery, path: &str) -> Chrome {
    Chrome::new(negotiate(q.lang.as_deref(), headers), path, &[])
}

fn not_found(what: &str) -> ApiError {
    ApiError::from(app::AppError::NotFound(what.to_string()))
}

fn store_err(e: store::StoreError) -> ApiError {
    ApiError::from(app::AppError::from(e))
}

fn role_label(l: Lang, r: domain::org::Role) -> &'static str {
    use domain::org::Role;
    match r {
        Role::Manufacturer => l.t("manufacturer", "制造商"),
        Role::Distributor => l.t("distributor", "经销商"),
        Role::Employer => l.t("employer", "用人单位"),
        Role::Regulator => l.t("regulator", "监管部门"),
        Role::Lab => l.t("laboratory", "检验机构"),
    }
}

fn roles_text(l: Lang, roles: &[domain::org::Role]) -> String {
    roles
        .iter()
        .map(|r| role_label(l, *r))
        .collect::<Vec<_>>()
        .join(l.t(", ", "、"))
}

fn category_label(l: Lang, c: &str) -> String {
    domain::product::PpeCategory::parse(c)
        .map(|c| c.label(l.is_zh()).to_string())
        .unwrap_or_else(|_| c.to_string())
}

fn case_category(l: Lang, c: &str) -> String {
    app::mailbox::Category::parse(c)
        .map(|c| {
            let (en, zh) = c.labels();
            l.t(en, zh).to_string()
        })
        .unwrap_or_else(|| c.to_string())
}

fn level_label(l: Lang, level: &str) -> String {
    match level {
        "info" => l.t("info", "信息"),
        "low" => l.t("low", "低"),
        "medium" => l.t("medium", "中"),
        "investigate" => l.t("investigate", "需调查"),
        other => other,
    }
    .to_string()
}

// ---------- index ----------

#[derive(Template)]
#[template(path = "portal/index.html")]
struct IndexPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    totals: store::portal::PortalTotals,
    published_cases: u64,
    log_size: Option<u64>,
}

async fn index(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let c = chrome(&headers, &q, "/portal");
    let totals = ctx.app.store.portal_totals().await.map_err(store_err)?;
    let published_cases = ctx.app.mailbox_stats().await?.published;
    let log_size = ctx.app.log_checkpoint().await.ok().map(|cp| cp.size);
    Ok(render(
        StatusCode::OK,
        &IndexPage {
            l: c.l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            totals,
            published_cases,
            log_size,
        },
    ))
}

// ---------- organizations ----------

struct OrgLine {
    id: i64,
    name: String,
    roles: String,
    uscc: Option<String>,
    city: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/orgs.html")]
struct OrgsPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    orgs: Vec<OrgLine>,
}

async fn orgs(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let c = chrome(&headers, &q, "/portal/organizations");
    let orgs = ctx
        .app
        .store
        .list_orgs()
        .await
        .map_err(store_err)?
        .into_iter()
        // The platform operator's own organization has no role in the supply chain.
        .filter(|o| !o.roles.is_empty())
        .map(|o| OrgLine {
            id: o.id,
            roles: roles_text(c.l, &o.roles),
            name: o.name,
            uscc: o.uscc,
            city: o.city,
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &OrgsPage {
            l: c.l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            orgs,
        },
    ))
}

struct ProductLine {
    gtin: String,
    name: String,
    category: String,
    standard: String,
    maker_id: i64,
    maker: String,
    recalls: usize,
}

struct CaseLine {
    id: i64,
    category: String,
    received_on: String,
    published_on: String,
    organization: Option<(i64, String)>,
    gtin: Option<String>,
    summary: String,
}

fn case_lines(l: Lang, cases: Vec<app::mailbox::PublishedCase>) -> Vec<CaseLine> {
    cases
        .into_iter()
        .map(|c| CaseLine {
            id: c.id,
            category: case_category(l, &c.category),
            received_on: c.received_on.to_string(),
            published_on: c.published_on.map(|d| d.to_string()).unwrap_or_default(),
            organization: c.organization_id.zip(c.organization),
            gtin: c.gtin,
            summary: c.summary,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "portal/org.html")]
struct OrgPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    org: store::Org,
    roles: String,
    regions: Vec<String>,
    products: Vec<ProductLine>,
    recalls: Vec<RecallLine>,
    cases: Vec<CaseLine>,
}

async fn org(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("id", "an organization id is a number"))?;
    let c = chrome(&headers, &q, &format!("/portal/organizations/{id}"));
    let s = &ctx.app.store;
    let org = s
        .get_org(id)
        .await
        .map_err(store_err)?
        .filter(|o| !o.roles.is_empty())
        .ok_or_else(|| not_found(&format!("organization {id}")))?;
    // Coarse places only: the regions (or cities) of its sites, not addresses.
    let regions: BTreeSet<String> = s
        .list_sites(id)
        .await
        .map_err(store_err)?
        .into_iter()
        .filter_map(|site| site.region.or(site.city))
        .filter(|r| !r.trim().is_empty())
        .collect();
    let recalls: Vec<RecallLine> = s
        .recalled_batches(RECALL_LIMIT)
        .await
        .map_err(store_err)?
        .into_iter()
        .filter(|r| r.org_id == id)
        .map(recall_line)
        .collect();
    let products = s
        .list_products(Some(id))
        .await
        .map_err(store_err)?
        .into_iter()
        .map(|p| ProductLine {
            recalls: recalls.iter().filter(|r| r.gtin == p.gtin).count(),
            category: category_label(c.l, &p.category),
            gtin: p.gtin,
            name: p.name,
            standard: p.standard,
            maker_id: org.id,
            maker: org.name.clone(),
        })
        .collect();
    let cases = case_lines(
        c.l,
        ctx.app
            .mailbox_published()
            .await?
            .into_iter()
            .filter(|x| x.organization_id == Some(id))
            .collect(),
    );
    Ok(render(
        StatusCode::OK,
        &OrgPage {
            l: c.l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            roles: roles_text(c.l, &org.roles),
            org,
            regions: regions.into_iter().collect(),
            products,
            recalls,
            cases,
        },
    ))
}

// ---------- products ----------

#[derive(Template)]
#[template(path = "portal/products.html")]
struct ProductsPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    products: Vec<ProductLine>,
}

async fn products(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let c = chrome(&headers, &q, "/portal/products");
    let s = &ctx.app.store;
    let makers: BTreeMap<i64, String> = s
        .list_orgs()
        .await
        .map_err(store_err)?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let recalled = s.recalled_batches(RECALL_LIMIT).await.map_err(store_err)?;
    let products = s
        .list_products(None)
        .await
        .map_err(store_err)?
        .into_iter()
        .map(|p| ProductLine {
            recalls: recalled.iter().filter(|r| r.gtin == p.gtin).count(),
            category: category_label(c.l, &p.category),
            maker: makers.get(&p.org_id).cloned().unwrap_or_default(),
            maker_id: p.org_id,
            gtin: p.gtin,
            name: p.name,
            standard: p.standard,
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &ProductsPage {
            l: c.l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            products,
        },
    ))
}

struct CertRow {
    kind: &'static str,
    number: String,
    issuer: String,
    valid_from: String,
    valid_until: String,
    status: &'static str,
    ok: bool,
}

#[derive(Template)]
#[template(path = "portal/product.html")]
struct ProductPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    p: store::Product,
    category: String,
    protection_class: String,
    service_life: String,
    maker: Option<store::Org>,
    certificates: Vec<CertRow>,
    batches: usize,
    recalls: Vec<RecallLine>,
    cases: Vec<CaseLine>,
}

async fn product(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Path(gtin): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let gtin = gs1::Gtin::parse(&gtin)
        .map_err(|e| ApiError::bad_request("gtin", e.to_string()))?
        .as_str()
        .to_string();
    let c = chrome(&headers, &q, &format!("/portal/products/{}", encode(&gtin)));
    let s = &ctx.app.store;
    let p = s
        .get_product_by_gtin(&gtin)
        .await
        .map_err(store_err)?
        .ok_or_else(|| not_found(&format!("product {gtin}")))?;
    let maker = s.get_org(p.org_id).await.map_err(store_err)?;
    let today = ctx.app.clock.today();
    let certificates = s
        .list_certificates(p.id)
        .await
        .map_err(store_err)?
        .into_iter()
        .map(|x| {
            let st = certificate_status(
                IssuerStatus::parse(&x.status).unwrap_or(IssuerStatus::Suspended),
                x.valid_from,
                x.valid_until,
                today,
            )
            .as_str();
            CertRow {
                kind: cert_kind_label(&x.kind, c.l),
                number: x.number,
                issuer: x.issuer,
                valid_from: x.valid_from.to_string(),
                valid_until: x.valid_until.to_string(),
                status: cert_status_label(st, c.l),
                ok: st == "valid",
            }
        })
        .collect();
    let batches = s.list_batches(p.id).await.map_err(store_err)?;
    let maker_name = maker.as_ref().map(|m| m.name.clone()).unwrap_or_default();
    let mut recalls: Vec<RecallLine> = batches
        .iter()
        .filter_map(|b| {
            b.recalled_on.map(|d| RecallLine {
                date: d.to_string(),
                gtin: p.gtin.clone(),
                product: p.name.clone(),
                org_id: p.org_id,
                maker: maker_name.clone(),
                lot: b.lot.clone(),
                reason: b.recall_reason.clone().unwrap_or_default(),
            })
        })
        .collect();
    recalls.sort_by(|a, b| b.date.cmp(&a.date));
    let cases = case_lines(
        c.l,
        ctx.app
            .mailbox_published()
            .await?
            .into_iter()
            .filter(|x| x.gtin.as_deref() == Some(gtin.as_str()))
            .collect(),
    );
    let service_life = match p.service_life_months {
        Some(m) => {
            let from = if p.service_life_from == "first_use" {
                c.l.t("from first use", "自首次使用起")
            } else {
                c.l.t("from manufacture", "自生产之日起")
            };
            format!("{m} {} {from}", c.l.t("months", "个月"))
        }
        None => "—".to_string(),
    };
    Ok(render(
        StatusCode::OK,
        &ProductPage {
            l: c.l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            category: category_label(c.l, &p.category),
            protection_class: p.protection_class.clone().unwrap_or_else(|| "—".into()),
            service_life,
            p,
            maker,
            certificates,
            batches: batches.len(),
            recalls,
            cases,
        },
    ))
}

// ---------- recalls ----------

struct RecallLine {
    date: String,
    gtin: String,
    product: String,
    org_id: i64,
    maker: String,
    lot: String,
    reason: String,
}

fn recall_line(r: store::portal::RecallRow) -> RecallLine {
    RecallLine {
        date: r
            .batch
            .recalled_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
        gtin: r.gtin,
        product: r.product_name,
        org_id: r.org_id,
        maker: r.org_name,
        lot: r.batch.lot,
        reason: r.batch.recall_reason.unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "portal/recalls.html")]
struct RecallsPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    recalls: Vec<RecallLine>,
    limit: u32,
}

async fn recalls(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let c = chrome(&headers, &q, "/portal/recalls");
    let recalls = ctx
        .app
        .store
        .recalled_batches(RECALL_LIMIT)
        .await
        .map_err(store_err)?
        .into_iter()
        .map(recall_line)
        .collect();
    Ok(render(
        StatusCode::OK,
        &RecallsPage {
            l: c.l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            recalls,
            limit: RECALL_LIMIT,
        },
    ))
}

// ---------- inspections ----------

struct TargetLine {
    code: String,
    name: String,
    org_id: Option<i64>,
    risk_class: String,
    region: String,
    inspections: usize,
    latest: String,
    latest_outcome: &'static str,
    open_hazards: usize,
}

#[derive(Template)]
#[template(path = "portal/inspections.html")]
struct InspectionsPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    targets: Vec<TargetLine>,
    draws: usize,
}

async fn inspections(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let c = chrome(&headers, &q, "/portal/inspections");
    let l = c.l;
    let mut targets = Vec::new();
    for t in ctx.app.store.list_targets().await.map_err(store_err)? {
        // The published results of each target ("one public"), as its own page shows.
        let r = ctx.app.target_results(&t.code).await?;
        let latest = r.results.first();
        targets.push(TargetLine {
            inspections: r.results.len(),
            latest: latest.map(|x| x.date.to_string()).unwrap_or_default(),
            latest_outcome: match latest.map(|x| x.outcome) {
                Some("no_problems") => l.t("✓ no problems found", "✓ 未发现问题"),
                Some(_) => l.t("✗ problems found", "✗ 发现问题"),
                None => l.t("not inspected yet", "尚未检查"),
            },
            open_hazards: r
                .results
                .iter()
                .map(|x| x.hazards - x.hazards_rectified.min(x.hazards))
                .sum(),
            code: t.code,
            name: t.name,
            org_id: t.org_id,
            risk_class: t.risk_class,
            region: t.region,
        });
    }
    targets.sort_by(|a, b| b.latest.cmp(&a.latest).then(a.code.cmp(&b.code)));
    let draws = ctx.app.list_draw_views().await?.len();
    Ok(render(
        StatusCode::OK,
        &InspectionsPage {
            l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            targets,
            draws,
        },
    ))
}

// ---------- substantiated cases ----------

#[derive(Template)]
#[template(path = "portal/cases.html")]
struct CasesPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    stats: app::mailbox::Stats,
    cases: Vec<CaseLine>,
}

async fn cases(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let c = chrome(&headers, &q, "/portal/cases");
    let stats = ctx.app.mailbox_stats().await?;
    let cases = case_lines(c.l, ctx.app.mailbox_published().await?);
    Ok(render(
        StatusCode::OK,
        &CasesPage {
            l: c.l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            stats,
            cases,
        },
    ))
}

// ---------- statistics ----------

#[derive(Template)]
#[template(path = "portal/statistics.html")]
struct StatisticsPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    totals: store::portal::PortalTotals,
    lookups_total: u64,
    charts: Vec<Chart>,
    today: String,
}

async fn statistics(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let c = chrome(&headers, &q, "/portal/statistics");
    let l = c.l;
    let s = &ctx.app.store;
    let today = ctx.app.clock.today();
    let from = today - Duration::days(DAYS - 1);
    let per_day = s.lookups_per_day(from).await.map_err(store_err)?;
    let days = charts::daily(from, today, &per_day);
    let lookups_total: u64 = days.iter().map(|p| p.value).sum();

    let levels_raw = s.alerts_by_level().await.map_err(store_err)?;
    let mut levels: Vec<Point> = ["info", "low", "medium", "investigate"]
        .iter()
        .map(|lv| {
            let v = levels_raw
                .iter()
                .find(|(k, _)| k == lv)
                .map_or(0, |(_, v)| *v);
            Point::new(level_label(l, lv), v)
        })
        .collect();
    for (k, v) in &levels_raw {
        if !["info", "low", "medium", "investigate"].contains(&k.as_str()) {
            levels.push(Point::new(level_label(l, k), *v));
        }
    }

    let recall_dates: Vec<NaiveDate> = s
        .recalled_batches(u32::MAX)
        .await
        .map_err(store_err)?
        .iter()
        .filter_map(|r| r.batch.recalled_on)
        .collect();

    let m = ctx.app.mailbox_stats().await?;
    let mailbox = vec![
        Point::new(l.t("received", "收到"), m.received),
        Point::new(l.t("acknowledged", "已确认"), m.acknowledged),
        Point::new(l.t("substantiated", "查证属实"), m.substantiated),
        Point::new(l.t("not substantiated", "查证不实"), m.unsubstantiated),
        Point::new(l.t("published", "已公开"), m.published),
    ];

    let totals = s.portal_totals().await.map_err(store_err)?;
    let lookups_title = l.t(
        "Verifications of issued codes per day (last 30 days, UTC)",
        "每日已发放编码的查验次数（最近 30 天，UTC）",
    );
    let alerts_title = l.t(
        "Clone alerts by level (all time)",
        "克隆预警（按级别，累计）",
    );
    let mailbox_title = l.t("Fraud reports", "举报");
    let charts = vec![
        Chart::columns(
            "lookups",
            lookups_title,
            &format!(
                "{} {lookups_total}",
                l.t("Total in the period:", "期间合计：")
            ),
            (l.t("Day", "日期"), l.t("Verifications", "查验次数")),
            days,
        ),
        Chart::bars(
            "alerts",
            alerts_title,
            l.t(
                "Alerts opened by the golden-eyes rules, per level.",
                "由“火眼金睛”规则产生的预警，按级别统计。",
            ),
            (l.t("Level", "级别"), l.t("Alerts", "预警数")),
            levels,
        ),
        Chart::recalls_per_month(l, today, &recall_dates),
        Chart::bars(
            "mailbox",
            mailbox_title,
            l.t(
                "Reports to the anonymous mailbox and their outcomes.",
                "匿名举报信箱收到的举报及处理结果。",
            ),
            (l.t("Stage", "阶段"), l.t("Reports", "举报数")),
            mailbox,
        ),
    ];
    Ok(render(
        StatusCode::OK,
        &StatisticsPage {
            l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            totals,
            lookups_total,
            charts,
            today: today.to_string(),
        },
    ))
}

// ---------- the log ----------

#[derive(Template)]
#[template(path = "portal/log.html")]
struct LogPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    checkpoint: Option<(u64, String, String)>,
    note: String,
    base: String,
    origin: String,
}

async fn log_page(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let c = chrome(&headers, &q, "/portal/log");
    let (checkpoint, note) = match ctx.app.log_checkpoint().await {
        Ok(cp) => (
            Some((
                cp.size,
                cp.root
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>(),
                cp.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            )),
            String::from_utf8_lossy(&cp.note).into_owned(),
        ),
        Err(app::AppError::NotFound(_)) => (None, String::new()),
        Err(e) => return Err(e.into()),
    };
    Ok(render(
        StatusCode::OK,
        &LogPage {
            l: c.l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            checkpoint,
            note,
            base: ctx
                .app
                .config
                .public_base_url
                .trim_end_matches('/')
                .to_string(),
            origin: ctx.app.log.origin().to_string(),
        },
    ))
}
