//! Regulator console: clone alerts of every brand (with the same state changes as
//! brand owners), the draws (linking the public draw pages), inspection records
//! and their fraud analytics. Fraud-report cases are in the case-handler console.

use app::users::ConsoleRole;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use super::manufacturer::{AlertRow, alert_rows, try_page};
use super::{Console, Frame};
use crate::ApiContext;
use crate::console_page;
use crate::i18n::Lang;

pub fn router() -> Router<ApiContext> {
    Router::new().route("/console/regulator", get(overview))
}

pub(crate) struct DrawRow {
    pub id: i64,
    pub plan_id: String,
    pub status: &'static str,
    pub phase: &'static str,
}

pub(crate) struct RecordRow {
    pub id: i64,
    pub draw_id: i64,
    pub target: String,
    pub inspector: String,
    pub kind: String,
    pub filed: String,
}

pub(crate) fn record_rows(v: Vec<app::draws::records::RecordView>) -> Vec<RecordRow> {
    v.into_iter()
        .map(|r| RecordRow {
            id: r.id,
            draw_id: r.draw_id,
            target: r.target,
            inspector: r.inspector,
            kind: r.kind,
            filed: r.filed_at.format("%Y-%m-%d %H:%M").to_string(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "console/regulator.html")]
struct OverviewPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    f: Frame,
    counts: Vec<(String, String, u64)>,
    alerts: Vec<AlertRow>,
    back: String,
    draws: Vec<DrawRow>,
    records: Vec<RecordRow>,
    analytics: String,
}

async fn overview(State(ctx): State<ApiContext>, c: Console) -> Response {
    if let Err(r) = c.require(ConsoleRole::Regulator) {
        return r;
    }
    let back = "/console";
    let a = &c.s.actor;
    let counts = try_page!(c, ctx.app.alert_counts(a).await, back)
        .into_iter()
        .map(|n| {
            let status = match n.resolution {
                Some(r) => format!("{} ({r})", n.status),
                None => n.status,
            };
            (n.cause, status, n.count)
        })
        .collect();
    let alerts = try_page!(c, ctx.app.list_alerts(a, None).await, back)
        .into_iter()
        .filter(|x| x.status != "closed")
        .collect();
    let draws = try_page!(c, ctx.app.list_draw_views().await, back)
        .into_iter()
        .map(|d| DrawRow {
            id: d.id,
            plan_id: d.plan_id,
            status: d.status,
            phase: d.phase,
        })
        .collect();
    // A regulator user whose key is registered as an inspector is refused here by
    // the service (an inspector may not act as the regulator); show that plainly.
    let records = match ctx.app.list_record_views(a, Default::default()).await {
        Ok(v) => record_rows(v),
        Err(e) => return super::app_error(&c, e, back),
    };
    let analytics = match ctx.app.inspection_analytics(a).await {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
        Err(e) => return super::app_error(&c, e, back),
    };
    console_page!(OverviewPage {
        c.frame("/console/regulator", "regulator"),
        counts: counts,
        alerts: alert_rows(c.l, alerts),
        back: "/console/regulator".to_string(),
        draws: draws,
        records: records,
        analytics: analytics,
    })
}
