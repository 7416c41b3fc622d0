//! Employer console: receiving by scanning (typed codes, a USB/Bluetooth scanner
//! typing into the form, or the phone camera via `/assets/console.js` where the
//! browser has the BarcodeDetector API), the ledger, due items and workers. Every
//! action goes through `app::ledger`. The ledger page accepts received items and
//! issues items in stock to workers; a refusal (a recall since receipt, an
//! overdue inspection…) is shown with its reason.

use app::ledger::{ItemQuery, ItemView, ReceiptInput, WorkerInput};
use app::users::ConsoleRole;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use domain::ledger::{Hold, ItemState};

use super::manufacturer::try_page;
use super::{Console, Frame, app_error};
use crate::ApiContext;
use crate::console_page;
use crate::i18n::Lang;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/employer", get(overview))
        .route("/console/employer/receive", post(receive))
        .route("/console/employer/workers", post(create_worker))
        .route("/console/employer/ledger", get(ledger_page))
        .route("/console/employer/items/{id}/accept", post(accept))
        .route("/console/employer/items/{id}/issue", post(issue))
}

type F = Form<Vec<(String, String)>>;

pub(crate) struct SiteView {
    pub site: store::Site,
    pub stock: Vec<(String, String, String)>,
    pub due: Vec<(String, String, String, String, i64)>,
}

#[derive(Template)]
#[template(path = "console/employer/overview.html")]
struct OverviewPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    f: Frame,
    sites: Vec<SiteView>,
    workers: Vec<store::ledger::Worker>,
}

fn due_label(l: Lang, kind: &str) -> String {
    match kind {
        "replacement" => l.t("replacement", "更换"),
        "inspection" => l.t("inspection", "检查"),
        other => other,
    }
    .to_string()
}

async fn overview(State(ctx): State<ApiContext>, c: Console) -> Response {
    if let Err(r) = c.require(ConsoleRole::Employer) {
        return r;
    }
    let back = "/console";
    let a = &c.s.actor;
    let mut sites = Vec::new();
    for site in try_page!(c, ctx.app.store.list_sites(a.org_id).await, back) {
        let stock = try_page!(c, ctx.app.ledger_stock(a, &site.gln).await, back)
            .lines
            .into_iter()
            .map(|line| {
                let counts = line
                    .counts
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                (line.gtin, line.model.unwrap_or_default(), counts)
            })
            .collect();
        let l = c.l;
        let due = try_page!(c, ctx.app.ledger_due(a, &site.gln, 30, None).await, back)
            .items
            .into_iter()
            .flat_map(|d| {
                let item = d.item.item.clone();
                let model = d.item.model.clone().unwrap_or_default();
                d.due
                    .into_iter()
                    .map(move |e| {
                        (
                            item.clone(),
                            model.clone(),
                            due_label(l, e.kind.as_str()),
                            e.date.to_string(),
                            e.days_left,
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        sites.push(SiteView { site, stock, due });
    }
    let workers = try_page!(c, ctx.app.list_workers(a).await, back);
    console_page!(OverviewPage {
        c.frame("/console/employer", "employer"),
        sites: sites,
        workers: workers,
    })
}

/// Splits scanner or typed input into codes: one per line (or separated by spaces).
fn codes(text: &str) -> Vec<String> {
    text.split(['\n', '\r', ' ', '\t'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

pub(crate) struct ItemRow {
    pub id: i64,
    pub item: String,
    pub model: String,
    pub state: String,
    pub hold: String,
    pub worker: String,
    pub due: String,
    /// Waiting for the acceptance inspection.
    pub can_accept: bool,
    /// In stock: may be issued (the service checks again).
    pub can_issue: bool,
}

/// Why an item is held, in the page's language.
fn hold_label(l: Lang, h: Hold) -> &'static str {
    match h {
        Hold::Counterfeit => l.t("counterfeit", "仿冒"),
        Hold::Recalled => l.t("recalled", "已召回"),
        Hold::Expired => l.t("expired", "已过期"),
        Hold::Scrapped => l.t("scrapped before", "曾被报废"),
        Hold::NotReleased => l.t("never released by the manufacturer", "制造商未放行"),
        Hold::Suspicious => l.t("suspicious", "可疑"),
        Hold::Rejected => l.t("failed acceptance", "验收不合格"),
    }
}

fn rows(l: Lang, items: &[ItemView]) -> Vec<ItemRow> {
    items
        .iter()
        .map(|i| ItemRow {
            id: i.id,
            item: i.item.clone(),
            model: i.model.clone().unwrap_or_default(),
            state: l.t(i.state_label, i.state_label_zh).to_string(),
            hold: i
                .hold
                .map(|h| hold_label(l, h).to_string())
                .unwrap_or_default(),
            worker: i
                .worker
                .as_ref()
                .map(|w| format!("{} {}", w.code, w.name))
                .unwrap_or_default(),
            due: i.replace_by.map(|d| d.to_string()).unwrap_or_default(),
            can_accept: i.state == ItemState::Received,
            can_issue: i.state == ItemState::InStock,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "console/employer/received.html")]
struct ReceivedPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    f: Frame,
    received: Vec<ItemRow>,
    quarantined: Vec<ItemRow>,
    alerts: usize,
    /// Active workers, for the issue forms.
    workers: Vec<store::ledger::Worker>,
}

async fn receive(State(ctx): State<ApiContext>, c: Console, form: F) -> Response {
    let f = match c.post_for(form, ConsoleRole::Employer) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let back = "/console/employer";
    let input = ReceiptInput {
        site_gln: f.get("site_gln").trim().to_string(),
        items: codes(f.get("codes")),
    };
    let out = try_page!(c, ctx.app.ledger_receive(&c.s.actor, &input).await, back);
    let workers = try_page!(c, active_workers(&ctx, &c).await, back);
    console_page!(ReceivedPage {
        c.frame(back, "employer"),
        received: rows(c.l, &out.received),
        quarantined: rows(c.l, &out.quarantined),
        alerts: out.alerts,
        workers: workers,
    })
}

async fn create_worker(State(ctx): State<ApiContext>, c: Console, form: F) -> Response {
    let f = match c.post_for(form, ConsoleRole::Employer) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let back = "/console/employer";
    let input = WorkerInput {
        code: f.get("code").trim().to_string(),
        name: f.get("name").to_string(),
    };
    if let Err(e) = ctx.app.create_worker(&c.s.actor, &input).await {
        return app_error(&c, e, back);
    }
    c.back(back)
}

#[derive(Template)]
#[template(path = "console/employer/ledger.html")]
struct LedgerPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    f: Frame,
    items: Vec<ItemRow>,
    workers: Vec<store::ledger::Worker>,
}

async fn ledger_page(State(ctx): State<ApiContext>, c: Console) -> Response {
    if let Err(r) = c.require(ConsoleRole::Employer) {
        return r;
    }
    let items = try_page!(
        c,
        ctx.app
            .ledger_items(&c.s.actor, &ItemQuery::default())
            .await,
        "/console/employer"
    );
    let workers = try_page!(c, active_workers(&ctx, &c).await, "/console/employer");
    console_page!(LedgerPage {
        c.frame("/console/employer/ledger", "employer"),
        items: rows(c.l, &items),
        workers: workers,
    })
}

async fn active_workers(
    ctx: &ApiContext,
    c: &Console,
) -> Result<Vec<store::ledger::Worker>, app::AppError> {
    Ok(ctx
        .app
        .list_workers(&c.s.actor)
        .await?
        .into_iter()
        .filter(|w| w.active)
        .collect())
}

fn item_id(raw: &str) -> Result<i64, Response> {
    crate::api::parse_id("id", raw).map_err(axum::response::IntoResponse::into_response)
}

/// The prelude of an employer's form about one ledger item: CSRF and role
/// check, then the item id from the path.
fn item_form(c: &Console, form: F, raw_id: &str) -> Result<(super::Fields, i64), Response> {
    let f = c.post_for(form, ConsoleRole::Employer)?;
    Ok((f, item_id(raw_id)?))
}

/// `POST /console/employer/items/{id}/accept`: the acceptance inspection passed.
async fn accept(
    State(ctx): State<ApiContext>,
    c: Console,
    Path(id): Path<String>,
    form: F,
) -> Response {
    let back = "/console/employer/ledger";
    let (f, id) = match item_form(&c, form, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let note = f.opt("note");
    match ctx.app.ledger_accept(&c.s.actor, id, note.as_deref()).await {
        Ok(_) => c.back(back),
        Err(e) => app_error(&c, e, back),
    }
}

/// `POST /console/employer/items/{id}/issue`: hands an item in stock to a
/// worker. Refused with the reason when the item may not be issued.
async fn issue(
    State(ctx): State<ApiContext>,
    c: Console,
    Path(id): Path<String>,
    form: F,
) -> Response {
    let back = "/console/employer/ledger";
    let (f, id) = match item_form(&c, form, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match ctx
        .app
        .ledger_issue(&c.s.actor, id, f.get("worker").trim())
        .await
    {
        Ok(_) => c.back(back),
        Err(e) => app_error(&c, e, back),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn scanner_input_splits_into_codes() {
        assert_eq!(
            super::codes("https://x/01/1/21/a\r\n (01)2(21)b \n\n"),
            vec!["https://x/01/1/21/a", "(01)2(21)b"]
        );
    }
}
