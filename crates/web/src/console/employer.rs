//! Employer console: receiving by scanning (typed codes, a USB/Bluetooth scanner
//! typing into the form, or the phone camera via `/assets/console.js` where the
//! browser has the BarcodeDetector API), the ledger, due items and workers. Every
//! action goes through `app::ledger`.

use app::ledger::{ItemQuery, ItemView, ReceiptInput, WorkerInput};
use app::users::ConsoleRole;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};

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
    pub item: String,
    pub model: String,
    pub state: String,
    pub hold: String,
    pub worker: String,
    pub due: String,
}

fn rows(l: Lang, items: &[ItemView]) -> Vec<ItemRow> {
    items
        .iter()
        .map(|i| ItemRow {
            item: i.item.clone(),
            model: i.model.clone().unwrap_or_default(),
            state: l.t(i.state_label, i.state_label_zh).to_string(),
            hold: i.hold.map(|h| h.as_str().to_string()).unwrap_or_default(),
            worker: i
                .worker
                .as_ref()
                .map(|w| format!("{} {}", w.code, w.name))
                .unwrap_or_default(),
            due: i.replace_by.map(|d| d.to_string()).unwrap_or_default(),
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
    console_page!(ReceivedPage {
        c.frame(back, "employer"),
        received: rows(c.l, &out.received),
        quarantined: rows(c.l, &out.quarantined),
        alerts: out.alerts,
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
    console_page!(LedgerPage {
        c.frame("/console/employer/ledger", "employer"),
        items: rows(c.l, &items),
    })
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
