//! The employer's PPE ledger (PRODUCT.md C5; GB 39800.1-2020, AQ 6111-2023):
//! receipt and acceptance ("check every purchase"), stock per site, issue to
//! pseudonymous workers, return and re-issue, periodic inspections, replacement,
//! scrapping, due lists, per-worker history and the CSV ledger (台账).
//!
//! Invariants:
//! - Every call names an authenticated [`Actor`] and is authorised by
//!   `domain::authz::manage_ledger` (only the employer owning the site or record).
//! - Every action is an EPCIS 2.0 ObjectEvent (`domain::ledger::ledger_event`) stored
//!   with its log entry, the ledger rows and history lines in one transaction
//!   (`store::LedgerStore::ledger_write`).
//! - Worker names stay in the employer's ledger: events carry the pseudonymous worker
//!   code, the log only hashes, and the worker record hashed into the log has no name.
//! - Receipt checks every item with the verification service; counterfeit, recalled,
//!   expired (and scrapped, unreleased, suspicious) items are quarantined and raise an
//!   alert to the brand owner.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use domain::authz::{self, Actor};
use domain::ledger::{
    self as rules, Action, DueKind, Hold, InspectionResult, IssueFacts, ItemState, LedgerEvent,
    LedgerStep,
};
use domain::lifecycle as lc;
use domain::log_entry::LogEntry;
use domain::product::{PpeCategory, ServiceLifeFrom};
use domain::verify::Verdict;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::ledger::{
    ItemFilter, ItemRef, ItemUpdate, LedgerItem, LedgerRecord, LedgerWrite, NewLedgerRecord,
    NewWorker, Worker,
};

use crate::verify::ScanMode;
use crate::{App, AppError, Result};

/// Largest number of codes (items or cartons) in one receipt.
pub const MAX_RECEIPT_CODES: usize = 1_000;
/// Largest number of items a receipt may expand to.
pub const MAX_RECEIPT_ITEMS: usize = 5_000;

/// A receipt: items or cartons (SSCC) scanned at one of the employer's sites.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptInput {
    pub site_gln: String,
    /// Items (GTIN + serial) or cartons (SSCC) in any GS1 form.
    pub items: Vec<String>,
}

/// What a receipt did.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiptOutcome {
    /// Verified genuine; waiting for acceptance.
    pub received: Vec<ItemView>,
    /// Held back, each with its reason (`hold`).
    pub quarantined: Vec<ItemView>,
    /// Alerts raised to brand owners.
    pub alerts: usize,
    pub event_ids: Vec<String>,
}

/// The worker an item was issued to, as the employer sees it.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// One ledger item with its model, batch and worker, for the employer.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub id: i64,
    pub site_gln: String,
    pub gtin: String,
    pub serial: String,
    /// Canonical GS1 Digital Link of the item.
    pub item: String,
    pub model: Option<String>,
    pub category: Option<String>,
    pub standard: Option<String>,
    pub lot: Option<String>,
    pub state: ItemState,
    pub state_label: &'static str,
    pub state_label_zh: &'static str,
    pub hold: Option<Hold>,
    pub received_on: NaiveDate,
    pub accepted_on: Option<NaiveDate>,
    /// The worker it was last issued to (still holding it when `state` is `issued`).
    pub worker: Option<WorkerRef>,
    pub issued_on: Option<NaiveDate>,
    pub replace_by: Option<NaiveDate>,
    pub last_inspected: Option<NaiveDate>,
    pub next_inspection: Option<NaiveDate>,
    pub scrapped_on: Option<NaiveDate>,
    pub reason: Option<String>,
}

/// One line of history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryLine {
    pub at: DateTime<Utc>,
    pub item_id: i64,
    pub item: String,
    pub action: String,
    pub worker: Option<String>,
    pub result: Option<String>,
    pub note: Option<String>,
    pub event_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemDetail {
    pub item: ItemView,
    pub history: Vec<HistoryLine>,
}

/// Result of a replacement: the old item withdrawn, the new one issued.
#[derive(Debug, Clone, Serialize)]
pub struct Replacement {
    pub withdrawn: ItemView,
    pub issued: ItemView,
}

/// Filter of [`App::ledger_items`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemQuery {
    pub site_gln: Option<String>,
    pub state: Option<String>,
    /// Worker code.
    pub worker: Option<String>,
}

/// Stock of one site: items per model and state.
#[derive(Debug, Clone, Serialize)]
pub struct Stock {
    pub site_gln: String,
    pub lines: Vec<StockLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StockLine {
    pub gtin: String,
    pub model: Option<String>,
    /// Count per state (`in_stock`, `issued`, …); states with no item are absent.
    pub counts: BTreeMap<String, u64>,
}

/// Items of a site due for replacement or inspection within a window.
#[derive(Debug, Clone, Serialize)]
pub struct DueList {
    pub site_gln: String,
    pub as_of: NaiveDate,
    pub until: NaiveDate,
    pub items: Vec<DueItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DueItem {
    pub item: ItemView,
    pub due: Vec<DueEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DueEntry {
    pub kind: DueKind,
    pub date: NaiveDate,
    /// Negative when overdue.
    pub days_left: i64,
}

/// A worker's items and history, for the employer.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerHistory {
    pub worker: Worker,
    /// Items the worker holds now.
    pub holding: Vec<ItemView>,
    pub history: Vec<HistoryLine>,
}

/// Input of a new worker.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerInput {
    /// Employer-assigned pseudonymous id (never a national identity number).
    pub code: String,
    pub name: String,
}

/// Changes to a worker.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerPatch {
    pub name: Option<String>,
    pub active: Option<bool>,
}

/// The AQ 6111-2023 ledger columns of [`App::ledger_export_csv`], in order.
pub const CSV_COLUMNS: [&str; 12] = [
    "item",
    "model",
    "standard",
    "batch",
    "received",
    "accepted",
    "issued to",
    "issued on",
    "due",
    "inspections",
    "scrapped",
    "reason",
];

/// The canonical record of a worker as hashed into the log: never the name.
pub fn worker_record(w: &Worker) -> Value {
    json!({"id": w.id, "org_id": w.org_id, "code": w.code, "active": w.active})
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

fn item_state(i: &LedgerItem) -> Result<ItemState> {
    ItemState::parse(&i.state)
        .map_err(|_| internal(format!("ledger item {} has state {}", i.id, i.state)))
}

/// Facts about an item's model and batch, read once per request.
#[derive(Default)]
struct Catalog {
    products: HashMap<i64, store::Product>,
    batches: HashMap<i64, store::Batch>,
    workers: HashMap<i64, Worker>,
    sites: HashMap<i64, store::Site>,
}

impl App {
    // ----- helpers ---------------------------------------------------------------

    /// The registered site with this GLN (a 4xx naming `site_gln` otherwise).
    async fn lg_site_by_gln(&self, gln: &str) -> Result<(gs1::Gln, store::Site)> {
        let g =
            gs1::Gln::parse(gln.trim()).map_err(|e| domain::DomainError::gs1("site_gln", &e))?;
        let site = self
            .store
            .get_site_by_gln(g.as_str())
            .await?
            .ok_or_else(|| {
                AppError::invalid(
                    "site_gln",
                    format!("no registered site has GLN {}", g.as_str()),
                )
            })?;
        Ok((g, site))
    }

    async fn ledger_site(&self, actor: &Actor, gln: &str) -> Result<(gs1::Gln, store::Site)> {
        let (g, site) = self.lg_site_by_gln(gln).await?;
        authz::manage_ledger(actor, site.org_id)?;
        Ok((g, site))
    }

    /// The CLI operator may read ledgers (direct database access); nobody else but
    /// the owning employer.
    fn lg_may_read(actor: &Actor, owner: i64) -> Result<()> {
        if actor.key_id == 0 && actor.admin {
            return Ok(());
        }
        Ok(authz::manage_ledger(actor, owner)?)
    }

    async fn lg_read_site(&self, actor: &Actor, gln: &str) -> Result<store::Site> {
        let (_, site) = self.lg_site_by_gln(gln).await?;
        Self::lg_may_read(actor, site.org_id)?;
        Ok(site)
    }

    async fn lg_owned_item(&self, actor: &Actor, id: i64) -> Result<LedgerItem> {
        let item = self
            .store
            .get_ledger_item(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("ledger item {id}")))?;
        authz::manage_ledger(actor, item.org_id)?;
        Ok(item)
    }

    async fn lg_site_of(
        &self,
        cat: &mut Catalog,
        org_id: i64,
        site_id: i64,
    ) -> Result<store::Site> {
        if !cat.sites.contains_key(&site_id) {
            for s in self.store.list_sites(org_id).await? {
                cat.sites.insert(s.id, s);
            }
        }
        cat.sites
            .get(&site_id)
            .cloned()
            .ok_or_else(|| internal(format!("site {site_id} vanished")))
    }

    async fn lg_view(&self, cat: &mut Catalog, i: &LedgerItem) -> Result<ItemView> {
        let site = self.lg_site_of(cat, i.org_id, i.site_id).await?;
        if let Some(p) = i.product_id
            && !cat.products.contains_key(&p)
            && let Some(prod) = self.store.get_product(p).await?
        {
            cat.products.insert(p, prod);
        }
        if let Some(b) = i.batch_id
            && !cat.batches.contains_key(&b)
            && let Some(batch) = self.store.get_batch(b).await?
        {
            cat.batches.insert(b, batch);
        }
        if let Some(w) = i.worker_id
            && !cat.workers.contains_key(&w)
            && let Some(worker) = self.store.get_worker(w).await?
        {
            cat.workers.insert(w, worker);
        }
        let product = i.product_id.and_then(|p| cat.products.get(&p));
        let state = item_state(i)?;
        Ok(ItemView {
            id: i.id,
            site_gln: site.gln,
            gtin: i.gtin.clone(),
            serial: i.serial.clone(),
            item: item_uri(&i.gtin, &i.serial),
            model: product.map(|p| p.name.clone()),
            category: product.map(|p| p.category.clone()),
            standard: product.map(|p| p.standard.clone()),
            lot: i
                .batch_id
                .and_then(|b| cat.batches.get(&b))
                .map(|b| b.lot.clone()),
            state,
            state_label: state.label(false),
            state_label_zh: state.label(true),
            hold: i.hold.as_deref().and_then(Hold::parse),
            received_on: i.received_on,
            accepted_on: i.accepted_on,
            worker: i
                .worker_id
                .and_then(|w| cat.workers.get(&w))
                .map(|w| WorkerRef {
                    id: w.id,
                    code: w.code.clone(),
                    name: w.name.clone(),
                }),
            issued_on: i.issued_on,
            replace_by: i.replace_by,
            last_inspected: i.last_inspected,
            next_inspection: i.next_inspection,
            scrapped_on: i.scrapped_on,
            reason: i.reason.clone(),
        })
    }

    async fn lg_views(&self, cat: &mut Catalog, items: &[LedgerItem]) -> Result<Vec<ItemView>> {
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            out.push(self.lg_view(cat, i).await?);
        }
        Ok(out)
    }

    async fn lg_history_lines(
        &self,
        cat: &mut Catalog,
        records: &[LedgerRecord],
    ) -> Result<Vec<HistoryLine>> {
        let mut items: HashMap<i64, String> = HashMap::new();
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            if !items.contains_key(&r.item_id)
                && let Some(i) = self.store.get_ledger_item(r.item_id).await?
            {
                items.insert(r.item_id, item_uri(&i.gtin, &i.serial));
            }
            if let Some(w) = r.worker_id
                && !cat.workers.contains_key(&w)
                && let Some(worker) = self.store.get_worker(w).await?
            {
                cat.workers.insert(w, worker);
            }
            out.push(HistoryLine {
                at: r.at,
                item_id: r.item_id,
                item: items.get(&r.item_id).cloned().unwrap_or_default(),
                action: r.action.clone(),
                worker: r
                    .worker_id
                    .and_then(|w| cat.workers.get(&w))
                    .map(|w| w.code.clone()),
                result: r.result.clone(),
                note: r.note.clone(),
                event_id: r.event_id.clone(),
            });
        }
        Ok(out)
    }

    /// Validates a ledger event as EPCIS 2.0 and turns it into a stored event with its
    /// query index and log entry (eventID = CBV 2.0 event hash).
    fn lg_ledger_event_row(
        &self,
        actor: &Actor,
        mut event: Value,
        epcs: Vec<String>,
        now: DateTime<Utc>,
    ) -> Result<(store::NewEvent, store::EventIndex, LogEntry)> {
        let text = serde_json::to_string(&json!({"@context": lc::context(), "type": "EPCISDocument",
            "schemaVersion": "2.0", "creationDate": event["eventTime"], "epcisBody": {"eventList": [event.clone()]}}))
            .map_err(internal)?;
        let doc = epcis::parse_and_validate(&text)
            .map_err(|e| internal(format!("platform built an invalid EPCIS event: {e}")))?;
        let ev = doc
            .events
            .into_iter()
            .next()
            .ok_or_else(|| internal("event vanished"))?;
        let event_id = epcis::event_hash(&ev);
        event["eventID"] = json!(event_id);
        event["recordTime"] = json!(now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        // Extension fields need their namespace declared in the stored event itself,
        // so the event parses again when it is queried.
        if event
            .as_object()
            .is_some_and(|o| o.keys().any(|k| k.starts_with("ppe:")))
        {
            event["@context"] = lc::context();
        }
        let s = |k: &str| event.get(k).and_then(Value::as_str).map(String::from);
        let id_of = |k: &str| {
            event
                .get(k)
                .and_then(|r| r.get("id"))
                .and_then(Value::as_str)
                .map(String::from)
        };
        let new = store::NewEvent {
            event_id: event_id.clone(),
            event_type: "ObjectEvent".into(),
            event_time: now,
            record_time: now,
            action: s("action"),
            biz_step: s("bizStep"),
            disposition: s("disposition"),
            read_point: id_of("readPoint"),
            biz_location: id_of("bizLocation"),
            owner_org_id: Some(actor.org_id),
            epcs,
            body: domain::log_entry::canonical_json(&event),
        };
        let entry = LogEntry::for_record(
            "event",
            now,
            &actor.label(),
            vec![("event".into(), event_id)],
            &event,
        );
        let (new, index) = crate::epcis::lifecycle_index(new, &ev);
        Ok((new, index, entry))
    }

    /// The verification verdict of an item now (recording nothing, raising nothing).
    async fn lg_verdict_of(&self, gtin: &str, serial: &str) -> Result<Verdict> {
        Ok(self
            .verify(gtin, None, serial, &ScanMode::StatusOnly)
            .await?
            .verdict)
    }

    /// The items a carton (SSCC) holds now, from the aggregation events naming it.
    async fn lg_carton_contents(&self, field: &str, sscc: &str) -> Result<Vec<String>> {
        use epcis::query::normalise_id;
        let parent = normalise_id(&format!("https://id.gs1.org/00/{sscc}"));
        let filter = store::EventFilter {
            keys: vec![store::KeyFilter {
                roles: vec!["parent".into()],
                exact: vec![parent.clone()],
                prefixes: Vec::new(),
            }],
            sort: store::SortField::EventTime,
            limit: 10_000,
            ..Default::default()
        };
        let rows = self.store.query_events(&filter).await?;
        let mut inside: Vec<String> = Vec::new();
        for row in rows {
            let body: Value = serde_json::from_str(&row.body).map_err(internal)?;
            if body.get("type").and_then(Value::as_str) != Some("AggregationEvent") {
                continue;
            }
            let children: Vec<String> = body
                .get("childEPCs")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(normalise_id)
                        .collect()
                })
                .unwrap_or_default();
            match body.get("action").and_then(Value::as_str) {
                Some("ADD") | Some("OBSERVE") => {
                    for c in children {
                        if !inside.contains(&c) {
                            inside.push(c);
                        }
                    }
                }
                Some("DELETE") if children.is_empty() => inside.clear(),
                Some("DELETE") => inside.retain(|c| !children.contains(c)),
                _ => {}
            }
        }
        if inside.is_empty() {
            return Err(AppError::invalid(
                field,
                format!("carton {sscc} has no recorded contents (no aggregation event names it)"),
            ));
        }
        Ok(inside)
    }

    /// Expands the receipt's codes into distinct (GTIN, serial) pairs.
    async fn lg_expand_codes(&self, codes: &[String]) -> Result<Vec<(gs1::Gtin, gs1::Serial)>> {
        let mut out: Vec<(gs1::Gtin, gs1::Serial)> = Vec::new();
        let push = |field: &str,
                    text: &str,
                    out: &mut Vec<(gs1::Gtin, gs1::Serial)>|
         -> Result<()> {
            let data = gs1::parse_any(text).map_err(|e| domain::DomainError::gs1(field, &e))?;
            let (Some(g), Some(s)) = (data.get("01"), data.get("21")) else {
                return Err(AppError::invalid(
                    field,
                    format!(
                        "'{text}' names neither a serialized item (GTIN + serial) nor a carton (SSCC)"
                    ),
                ));
            };
            let g = gs1::Gtin::parse(g).map_err(|e| domain::DomainError::gs1(field, &e))?;
            let s = gs1::Serial::parse(s).map_err(|e| domain::DomainError::gs1(field, &e))?;
            if !out.iter().any(|(a, b)| a == &g && b == &s) {
                out.push((g, s));
            }
            Ok(())
        };
        for (i, text) in codes.iter().enumerate() {
            let field = format!("items[{i}]");
            let data = gs1::parse_any(text).map_err(|e| domain::DomainError::gs1(&field, &e))?;
            if let Some(sscc) = data.get("00") {
                let sscc =
                    gs1::Sscc::parse(sscc).map_err(|e| domain::DomainError::gs1(&field, &e))?;
                for child in self.lg_carton_contents(&field, sscc.as_str()).await? {
                    push(&field, &child, &mut out)?;
                }
            } else {
                push(&field, text, &mut out)?;
            }
            if out.len() > MAX_RECEIPT_ITEMS {
                return Err(AppError::invalid(
                    "items",
                    format!("a receipt may hold at most {MAX_RECEIPT_ITEMS} items"),
                ));
            }
        }
        Ok(out)
    }

    /// Applies one action to one item: checks the transition, builds the event, and
    /// writes item, event, log entry and history line together.
    #[allow(clippy::too_many_arguments)]
    async fn lg_apply(
        &self,
        actor: &Actor,
        item: &LedgerItem,
        action: Action,
        step: LedgerStep,
        worker: Option<&Worker>,
        result: Option<&str>,
        note: Option<String>,
        change: impl FnOnce(&mut LedgerItem, NaiveDate),
    ) -> Result<LedgerItem> {
        let (w, row) = self
            .lg_plan(actor, item, action, step, worker, result, note, change)
            .await?;
        self.store.ledger_write(&w).await?;
        Ok(row)
    }

    #[allow(clippy::too_many_arguments)]
    async fn lg_plan(
        &self,
        actor: &Actor,
        item: &LedgerItem,
        action: Action,
        step: LedgerStep,
        worker: Option<&Worker>,
        result: Option<&str>,
        note: Option<String>,
        change: impl FnOnce(&mut LedgerItem, NaiveDate),
    ) -> Result<(LedgerWrite, LedgerItem)> {
        let state = item_state(item)?;
        let next = rules::next_state(state, action)?;
        let now = self.clock.now();
        let today = now.date_naive();
        let mut cat = Catalog::default();
        let site = self.lg_site_of(&mut cat, item.org_id, item.site_id).await?;
        let gln = gs1::Gln::parse(&site.gln).map_err(internal)?;
        let epcs = vec![item_uri(&item.gtin, &item.serial)];
        let event = rules::ledger_event(&LedgerEvent {
            step,
            time: now,
            epcs: &epcs,
            site: &gln,
            worker: worker.map(|w| w.code.as_str()),
            result,
        });
        let (ev, index, entry) = self.lg_ledger_event_row(actor, event, epcs, now)?;
        let event_id = ev.event_id.clone();
        let mut row = item.clone();
        row.state = next.as_str().to_string();
        row.updated_at = now;
        change(&mut row, today);
        let mut w = LedgerWrite {
            events: vec![(ev, index, entry)],
            ..Default::default()
        };
        if next == ItemState::Scrapped
            && let Some(p) = item.product_id
        {
            w.scrap_codes.push((p, item.serial.clone()));
        }
        if action == Action::Issue
            && let Some(p) = item.product_id
        {
            w.first_use.push((p, item.serial.clone(), today));
        }
        w.records.push(NewLedgerRecord {
            item: ItemRef::Existing(item.id),
            at: now,
            action: action.as_str().to_string(),
            worker_id: worker.map(|w| w.id),
            result: result.map(String::from),
            note,
            event_id: Some(event_id),
            actor: actor.label(),
        });
        w.updates.push(ItemUpdate {
            row: row.clone(),
            expected_state: item.state.clone(),
        });
        Ok((w, row))
    }

    async fn lg_worker_by_code(&self, actor: &Actor, code: &str) -> Result<Worker> {
        let code = code.trim();
        self.store
            .find_worker(actor.org_id, code)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("worker {code}")))
    }

    /// Why this item may not be issued now, or `None`.
    async fn lg_refusal(&self, item: &LedgerItem) -> Result<Option<(rules::Refusal, String)>> {
        let verdict = self.lg_verdict_of(&item.gtin, &item.serial).await?;
        let facts = IssueFacts {
            state: item_state(item)?,
            hold: item.hold.as_deref().and_then(Hold::parse),
            verdict,
            replace_by: item.replace_by,
            next_inspection: item.next_inspection,
        };
        let today = self.clock.today();
        let Some(r) = rules::issue_refusal(&facts, today) else {
            return Ok(None);
        };
        let mut detail = r.explain(false).to_string();
        if r == rules::Refusal::Recalled
            && let Some(b) = item.batch_id
            && let Some(batch) = self.store.get_batch(b).await?
            && let Some(on) = batch.recalled_on
        {
            detail.push_str(&format!(
                " (batch {} recalled on {on}: {})",
                batch.lot,
                batch.recall_reason.unwrap_or_default()
            ));
        }
        Ok(Some((r, detail)))
    }

    // ----- receipt and acceptance -------------------------------------------------

    /// Receives items or cartons at one of the actor's sites. Cartons (SSCC) expand
    /// to the items their aggregation events put inside. Every item is checked with
    /// the verification service: genuine ones wait for acceptance; counterfeit,
    /// recalled, expired, scrapped, unreleased or suspicious ones are quarantined and
    /// raise an alert to the brand owner (when the GTIN is registered). One receiving
    /// event per outcome; items and events commit together.
    pub async fn ledger_receive(
        &self,
        actor: &Actor,
        input: &ReceiptInput,
    ) -> Result<ReceiptOutcome> {
        let (gln, site) = self.ledger_site(actor, &input.site_gln).await?;
        if input.items.is_empty() || input.items.len() > MAX_RECEIPT_CODES {
            return Err(AppError::invalid(
                "items",
                format!("must name 1 to {MAX_RECEIPT_CODES} items or cartons"),
            ));
        }
        let pairs = self.lg_expand_codes(&input.items).await?;
        let now = self.clock.now();
        let today = now.date_naive();
        let mut groups: BTreeMap<String, (LedgerStep, Vec<usize>)> = BTreeMap::new();
        let mut rows: Vec<LedgerItem> = Vec::with_capacity(pairs.len());
        let mut holds: Vec<(Option<Hold>, Option<store::Product>, Option<store::Batch>)> =
            Vec::new();
        for (gtin, serial) in &pairs {
            if let Some(existing) = self
                .store
                .find_ledger_item(site.org_id, gtin.as_str(), serial.as_str())
                .await?
            {
                return Err(AppError::Conflict(format!(
                    "item {} is already in the ledger (item {}, {})",
                    item_uri(gtin.as_str(), serial.as_str()),
                    existing.id,
                    existing.state
                )));
            }
            let verdict = self.lg_verdict_of(gtin.as_str(), serial.as_str()).await?;
            let hold = rules::receipt_hold(verdict);
            let product = self.store.get_product_by_gtin(gtin.as_str()).await?;
            let code = match &product {
                Some(p) => self.store.lookup_code(p.id, serial.as_str()).await?,
                None => None,
            };
            let batch = code.as_ref().map(|c| c.batch.clone());
            let replace_by = match (&product, &batch) {
                (Some(p), Some(b)) => rules::replacement_due(
                    p.service_life_months,
                    ServiceLifeFrom::parse(&p.service_life_from).unwrap_or_default(),
                    b.production_date,
                    code.as_ref().and_then(|c| c.first_use),
                    b.expiry_date,
                ),
                _ => None,
            };
            let step = match hold {
                None => LedgerStep::Receive,
                Some(h) => LedgerStep::ReceiveHeld(h),
            };
            let key = hold.map_or("received", Hold::as_str).to_string();
            groups
                .entry(key)
                .or_insert((step, Vec::new()))
                .1
                .push(rows.len());
            rows.push(LedgerItem {
                id: 0,
                org_id: site.org_id,
                site_id: site.id,
                gtin: gtin.as_str().to_string(),
                serial: serial.as_str().to_string(),
                product_id: product.as_ref().map(|p| p.id).filter(|_| code.is_some()),
                batch_id: batch.as_ref().map(|b| b.id),
                state: if hold.is_some() {
                    ItemState::Quarantined
                } else {
                    ItemState::Received
                }
                .as_str()
                .to_string(),
                hold: hold.map(|h| h.as_str().to_string()),
                received_on: today,
                accepted_on: None,
                worker_id: None,
                issued_on: None,
                first_use: code.as_ref().and_then(|c| c.first_use),
                replace_by,
                last_inspected: None,
                next_inspection: None,
                scrapped_on: None,
                reason: None,
                updated_at: now,
            });
            holds.push((hold, product, batch));
        }
        let mut w = LedgerWrite::default();
        let mut event_of_row: Vec<String> = vec![String::new(); rows.len()];
        for (step, idx) in groups.values() {
            let epcs: Vec<String> = idx
                .iter()
                .map(|i| item_uri(&rows[*i].gtin, &rows[*i].serial))
                .collect();
            let result = match step {
                LedgerStep::ReceiveHeld(h) => Some(h.as_str()),
                _ => None,
            };
            let event = rules::ledger_event(&LedgerEvent {
                step: *step,
                time: now,
                epcs: &epcs,
                site: &gln,
                worker: None,
                result,
            });
            let (ev, index, entry) = self.lg_ledger_event_row(actor, event, epcs, now)?;
            for i in idx {
                event_of_row[*i] = ev.event_id.clone();
            }
            w.events.push((ev, index, entry));
        }
        for (i, r) in rows.iter().enumerate() {
            w.records.push(NewLedgerRecord {
                item: ItemRef::New(i),
                at: now,
                action: "receive".into(),
                worker_id: None,
                result: Some(r.hold.clone().unwrap_or_else(|| "genuine".into())),
                note: None,
                event_id: Some(event_of_row[i].clone()),
                actor: actor.label(),
            });
        }
        w.inserts = rows;
        let ids = self.store.ledger_write(&w).await.map_err(|e| match e {
            store::StoreError::Conflict(_) => {
                AppError::Conflict("an item of this receipt is already in the ledger".into())
            }
            other => other.into(),
        })?;
        // Alerts follow the committed receipt (as scans do): the brand owner learns
        // that a counterfeit, recalled or expired item reached an employer.
        let mut alerts = 0;
        for (row, (hold, product, batch)) in w.inserts.iter().zip(&holds) {
            let (Some(h), Some(p)) = (hold, product) else {
                continue;
            };
            let Some(cause) = h.alert_cause() else {
                continue;
            };
            let level = match h {
                Hold::Counterfeit | Hold::Scrapped | Hold::Suspicious => "investigate",
                _ => "medium",
            };
            let alert = store::scans::NewAlert {
                product_id: p.id,
                serial: row.serial.clone(),
                batch_id: batch.as_ref().map_or(0, |b| b.id),
                brand_org_id: p.org_id,
                cause: cause.to_string(),
                level: level.to_string(),
                detail: format!("quarantined at receipt by an employer: {}", h.as_str()),
                opened_at: now,
            };
            let entry = LogEntry::for_record(
                "alert",
                now,
                &actor.label(),
                vec![
                    ("cause".into(), alert.cause.clone()),
                    ("level".into(), alert.level.clone()),
                ],
                &json!({"product_id": alert.product_id, "serial": alert.serial, "cause": alert.cause, "level": alert.level, "status": "open"}),
            );
            match self.store.open_alert(&alert, &entry).await {
                Ok(Some(_)) => alerts += 1,
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not open a receipt alert"),
            }
        }
        let mut cat = Catalog::default();
        let mut received = Vec::new();
        let mut quarantined = Vec::new();
        for (mut row, id) in w.inserts.into_iter().zip(ids) {
            row.id = id;
            let v = self.lg_view(&mut cat, &row).await?;
            if v.state == ItemState::Quarantined {
                quarantined.push(v);
            } else {
                received.push(v);
            }
        }
        Ok(ReceiptOutcome {
            received,
            quarantined,
            alerts,
            event_ids: w
                .events
                .iter()
                .map(|(e, _, _)| e.event_id.clone())
                .collect(),
        })
    }

    /// Records a passed acceptance inspection: the item enters the site's stock. Its
    /// first periodic inspection is scheduled by category (e.g. fall protection: 12
    /// months from acceptance).
    pub async fn ledger_accept(
        &self,
        actor: &Actor,
        item_id: i64,
        note: Option<&str>,
    ) -> Result<ItemView> {
        let item = self.lg_owned_item(actor, item_id).await?;
        let note = note.map(|n| rules::validate_note("note", n)).transpose()?;
        let category = self.lg_category_of(&item).await?;
        let row = self
            .lg_apply(
                actor,
                &item,
                Action::Accept,
                LedgerStep::Accept,
                None,
                Some("pass"),
                note,
                |r, today| {
                    r.accepted_on = Some(today);
                    r.next_inspection = category.and_then(|c| rules::next_inspection(c, today));
                },
            )
            .await?;
        self.lg_view(&mut Catalog::default(), &row).await
    }

    /// Records a failed acceptance inspection: the item is quarantined with the reason.
    pub async fn ledger_reject(
        &self,
        actor: &Actor,
        item_id: i64,
        reason: &str,
    ) -> Result<ItemView> {
        let item = self.lg_owned_item(actor, item_id).await?;
        let reason = rules::validate_note("reason", reason)?;
        let r2 = reason.clone();
        let row = self
            .lg_apply(
                actor,
                &item,
                Action::Reject,
                LedgerStep::Reject,
                None,
                Some("fail"),
                Some(reason),
                move |r, _| {
                    r.hold = Some(Hold::Rejected.as_str().into());
                    r.reason = Some(r2);
                },
            )
            .await?;
        self.lg_view(&mut Catalog::default(), &row).await
    }

    async fn lg_category_of(&self, item: &LedgerItem) -> Result<Option<PpeCategory>> {
        Ok(match item.product_id {
            Some(p) => self
                .store
                .get_product(p)
                .await?
                .and_then(|p| PpeCategory::parse(&p.category).ok()),
            None => None,
        })
    }

    // ----- issue, return, inspection, replacement, scrapping ----------------------

    /// Issues an item in stock to a worker (by pseudonymous code). Refused with the
    /// reason (409) when the item is scrapped, counterfeit, recalled, expired,
    /// quarantined, withdrawn, not accepted, already issued or overdue for
    /// inspection; the verdict is checked again now (a recall may have come since).
    /// The first issue starts a first-use service life.
    pub async fn ledger_issue(
        &self,
        actor: &Actor,
        item_id: i64,
        worker_code: &str,
    ) -> Result<ItemView> {
        let item = self.lg_owned_item(actor, item_id).await?;
        let worker = self.lg_worker_by_code(actor, worker_code).await?;
        let row = self.lg_issue_checked(actor, &item, &worker, None).await?;
        self.lg_view(&mut Catalog::default(), &row).await
    }

    async fn lg_issue_plan(
        &self,
        actor: &Actor,
        item: &LedgerItem,
        worker: &Worker,
    ) -> Result<(LedgerWrite, LedgerItem)> {
        if !worker.active {
            return Err(AppError::Conflict(format!(
                "worker {} is inactive and cannot be issued items",
                worker.code
            )));
        }
        if let Some((r, detail)) = self.lg_refusal(item).await? {
            return Err(AppError::Conflict(format!(
                "item {} cannot be issued: {} — {detail}",
                item.id,
                r.as_str()
            )));
        }
        let (product, batch) = match (item.product_id, item.batch_id) {
            (Some(p), Some(b)) => (
                self.store.get_product(p).await?,
                self.store.get_batch(b).await?,
            ),
            _ => (None, None),
        };
        let wid = worker.id;
        self.lg_plan(
            actor,
            item,
            Action::Issue,
            LedgerStep::Issue,
            Some(worker),
            None,
            None,
            move |r, today| {
                r.worker_id = Some(wid);
                r.issued_on = Some(today);
                if r.first_use.is_none() {
                    r.first_use = Some(today);
                }
                if let (Some(p), Some(b)) = (&product, &batch) {
                    r.replace_by = rules::replacement_due(
                        p.service_life_months,
                        ServiceLifeFrom::parse(&p.service_life_from).unwrap_or_default(),
                        b.production_date,
                        r.first_use,
                        b.expiry_date,
                    );
                }
            },
        )
        .await
    }

    async fn lg_issue_checked(
        &self,
        actor: &Actor,
        item: &LedgerItem,
        worker: &Worker,
        extra: Option<LedgerWrite>,
    ) -> Result<LedgerItem> {
        let (mut w, row) = self.lg_issue_plan(actor, item, worker).await?;
        if let Some(x) = extra {
            w.events.extend(x.events);
            w.updates.extend(x.updates);
            w.records.extend(x.records);
            w.scrap_codes.extend(x.scrap_codes);
            w.first_use.extend(x.first_use);
        }
        self.store.ledger_write(&w).await?;
        Ok(row)
    }

    /// A worker returns an issued item to stock.
    pub async fn ledger_return(
        &self,
        actor: &Actor,
        item_id: i64,
        note: Option<&str>,
    ) -> Result<ItemView> {
        let item = self.lg_owned_item(actor, item_id).await?;
        let note = note.map(|n| rules::validate_note("note", n)).transpose()?;
        let worker = match item.worker_id {
            Some(w) => self.store.get_worker(w).await?,
            None => None,
        };
        let row = self
            .lg_apply(
                actor,
                &item,
                Action::Return,
                LedgerStep::Return,
                worker.as_ref(),
                None,
                note,
                |_, _| {},
            )
            .await?;
        self.lg_view(&mut Catalog::default(), &row).await
    }

    /// Records an inspection (`pass`, `fail`, `arrested_fall`). A pass schedules the
    /// next periodic inspection by category; a failure, or an arrested fall, withdraws
    /// the item at once.
    pub async fn ledger_inspect(
        &self,
        actor: &Actor,
        item_id: i64,
        result: &str,
        note: Option<&str>,
    ) -> Result<ItemView> {
        let result = InspectionResult::parse(result)?;
        let item = self.lg_owned_item(actor, item_id).await?;
        let note = note.map(|n| rules::validate_note("note", n)).transpose()?;
        let category = self.lg_category_of(&item).await?;
        let reason = note.clone();
        let row = self
            .lg_apply(
                actor,
                &item,
                Action::Inspect(result),
                LedgerStep::Inspect(result),
                None,
                Some(result.as_str()),
                note,
                move |r, today| {
                    r.last_inspected = Some(today);
                    if result.withdraws() {
                        r.next_inspection = None;
                        r.reason = Some(match reason {
                            Some(n) => format!("inspection {}: {n}", result.as_str()),
                            None => format!("inspection {}", result.as_str()),
                        });
                    } else if let Some(c) = category {
                        r.next_inspection = rules::next_inspection(c, today);
                    }
                },
            )
            .await?;
        self.lg_view(&mut Catalog::default(), &row).await
    }

    /// Replaces an item: the old one (issued, or already withdrawn) is withdrawn and
    /// the new one (in stock) issued to the worker who had the old one, in one
    /// transaction. The new item passes the same checks as any issue.
    pub async fn ledger_replace(
        &self,
        actor: &Actor,
        old_item_id: i64,
        new_item_id: i64,
        reason: Option<&str>,
    ) -> Result<Replacement> {
        if old_item_id == new_item_id {
            return Err(AppError::invalid(
                "new_item",
                "an item cannot replace itself",
            ));
        }
        let old = self.lg_owned_item(actor, old_item_id).await?;
        let new = self.lg_owned_item(actor, new_item_id).await?;
        let reason = reason
            .map(|n| rules::validate_note("reason", n))
            .transpose()?;
        let worker_id = old.worker_id.ok_or_else(|| {
            AppError::invalid("item", "the old item was never issued to a worker")
        })?;
        let worker = self
            .store
            .get_worker(worker_id)
            .await?
            .ok_or_else(|| internal("worker vanished"))?;
        let old_state = item_state(&old)?;
        let mut extra = LedgerWrite::default();
        let old_row = match old_state {
            ItemState::Withdrawn => old.clone(),
            ItemState::Issued => {
                let why = reason.clone();
                let (w, row) = self
                    .lg_plan(
                        actor,
                        &old,
                        Action::Withdraw,
                        LedgerStep::Withdraw,
                        None,
                        Some("replaced"),
                        reason,
                        move |r, _| {
                            r.next_inspection = None;
                            r.reason = Some(why.map_or_else(
                                || "replaced".to_string(),
                                |n| format!("replaced: {n}"),
                            ));
                        },
                    )
                    .await?;
                extra = w;
                row
            }
            other => {
                return Err(AppError::Conflict(format!(
                    "item {} is {}; only an issued or withdrawn item can be replaced",
                    old.id,
                    other.as_str()
                )));
            }
        };
        let new_row = self
            .lg_issue_checked(actor, &new, &worker, Some(extra))
            .await?;
        let mut cat = Catalog::default();
        Ok(Replacement {
            withdrawn: self.lg_view(&mut cat, &old_row).await?,
            issued: self.lg_view(&mut cat, &new_row).await?,
        })
    }

    /// Scraps an item with a reason. Final: a scrapped item can never be issued, and
    /// its code answers "scrapped" to anyone who verifies it.
    pub async fn ledger_scrap(
        &self,
        actor: &Actor,
        item_id: i64,
        reason: &str,
    ) -> Result<ItemView> {
        let item = self.lg_owned_item(actor, item_id).await?;
        let reason = rules::validate_note("reason", reason)?;
        let r2 = reason.clone();
        let row = self
            .lg_apply(
                actor,
                &item,
                Action::Scrap,
                LedgerStep::Scrap,
                None,
                None,
                Some(reason),
                move |r, today| {
                    r.scrapped_on = Some(today);
                    r.reason = Some(r2);
                    r.next_inspection = None;
                },
            )
            .await?;
        self.lg_view(&mut Catalog::default(), &row).await
    }

    // ----- reading ---------------------------------------------------------------

    /// One item with its history.
    pub async fn ledger_item(&self, actor: &Actor, item_id: i64) -> Result<ItemDetail> {
        let item = self.lg_owned_item(actor, item_id).await?;
        self.lg_detail(item).await
    }

    /// The actor's ledger item for a scanned code (any GS1 form).
    pub async fn ledger_find_item(&self, actor: &Actor, code: &str) -> Result<ItemDetail> {
        let data = gs1::parse_any(code).map_err(|e| domain::DomainError::gs1("code", &e))?;
        let (Some(g), Some(s)) = (data.get("01"), data.get("21")) else {
            return Err(AppError::invalid(
                "code",
                "needs a GTIN (01) and a serial (21)",
            ));
        };
        authz::manage_ledger(actor, actor.org_id)?;
        let item = self
            .store
            .find_ledger_item(actor.org_id, g, s)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("ledger item {}", item_uri(g, s))))?;
        authz::manage_ledger(actor, item.org_id)?;
        self.lg_detail(item).await
    }

    async fn lg_detail(&self, item: LedgerItem) -> Result<ItemDetail> {
        let mut cat = Catalog::default();
        let records = self
            .store
            .ledger_records(item.org_id, Some(item.id), None)
            .await?;
        Ok(ItemDetail {
            history: self.lg_history_lines(&mut cat, &records).await?,
            item: self.lg_view(&mut cat, &item).await?,
        })
    }

    /// The actor's ledger items, optionally of one site, in one state, or last issued
    /// to one worker.
    pub async fn ledger_items(&self, actor: &Actor, q: &ItemQuery) -> Result<Vec<ItemView>> {
        authz::manage_ledger(actor, actor.org_id)?;
        let site_id = match &q.site_gln {
            Some(g) => Some(self.ledger_site(actor, g).await?.1.id),
            None => None,
        };
        let state = q
            .state
            .as_deref()
            .map(|s| ItemState::parse(s).map(|s| s.as_str().to_string()))
            .transpose()?;
        let worker_id = match &q.worker {
            Some(c) => Some(self.lg_worker_by_code(actor, c).await?.id),
            None => None,
        };
        let items = self
            .store
            .list_ledger_items(&ItemFilter {
                org_id: actor.org_id,
                site_id,
                state,
                worker_id,
                due_by: None,
            })
            .await?;
        self.lg_views(&mut Catalog::default(), &items).await
    }

    /// Stock of one site: per model, how many items are in each state.
    pub async fn ledger_stock(&self, actor: &Actor, site_gln: &str) -> Result<Stock> {
        let (_, site) = self.ledger_site(actor, site_gln).await?;
        let items = self
            .store
            .list_ledger_items(&ItemFilter {
                org_id: site.org_id,
                site_id: Some(site.id),
                ..Default::default()
            })
            .await?;
        let mut cat = Catalog::default();
        let mut lines: BTreeMap<String, StockLine> = BTreeMap::new();
        for i in &items {
            let v = self.lg_view(&mut cat, i).await?;
            let line = lines.entry(v.gtin.clone()).or_insert_with(|| StockLine {
                gtin: v.gtin.clone(),
                model: v.model.clone(),
                counts: BTreeMap::new(),
            });
            *line.counts.entry(v.state.as_str().to_string()).or_default() += 1;
        }
        Ok(Stock {
            site_gln: site.gln,
            lines: lines.into_values().collect(),
        })
    }

    /// Items of a site in service (in stock or issued) whose replacement or periodic
    /// inspection falls on or before `as_of + days` (overdue ones included), soonest
    /// first. `as_of` defaults to today by the clock.
    pub async fn ledger_due(
        &self,
        actor: &Actor,
        site_gln: &str,
        days: i64,
        as_of: Option<NaiveDate>,
    ) -> Result<DueList> {
        let days = rules::validate_due_days(days)?;
        let site = self.lg_read_site(actor, site_gln).await?;
        let as_of = as_of.unwrap_or_else(|| self.clock.today());
        let until = as_of + chrono::Days::new(u64::from(days));
        let items = self
            .store
            .list_ledger_items(&ItemFilter {
                org_id: site.org_id,
                site_id: Some(site.id),
                due_by: Some(until),
                ..Default::default()
            })
            .await?;
        let mut cat = Catalog::default();
        let mut out = Vec::new();
        for i in &items {
            let state = item_state(i)?;
            let due = rules::due_kinds(state, i.replace_by, i.next_inspection, as_of, days);
            if due.is_empty() {
                continue;
            }
            out.push(DueItem {
                item: self.lg_view(&mut cat, i).await?,
                due: due
                    .into_iter()
                    .map(|(kind, date)| DueEntry {
                        kind,
                        date,
                        days_left: (date - as_of).num_days(),
                    })
                    .collect(),
            });
        }
        out.sort_by_key(|d| (d.due.iter().map(|e| e.date).min(), d.item.id));
        Ok(DueList {
            site_gln: site.gln,
            as_of,
            until,
            items: out,
        })
    }

    /// A worker's current items and full history.
    pub async fn ledger_worker_history(&self, actor: &Actor, code: &str) -> Result<WorkerHistory> {
        authz::manage_ledger(actor, actor.org_id)?;
        let worker = self.lg_worker_by_code(actor, code).await?;
        let holding = self
            .store
            .list_ledger_items(&ItemFilter {
                org_id: actor.org_id,
                worker_id: Some(worker.id),
                state: Some(ItemState::Issued.as_str().into()),
                ..Default::default()
            })
            .await?;
        let records = self
            .store
            .ledger_records(actor.org_id, None, Some(worker.id))
            .await?;
        let mut cat = Catalog::default();
        cat.workers.insert(worker.id, worker.clone());
        Ok(WorkerHistory {
            holding: self.lg_views(&mut cat, &holding).await?,
            history: self.lg_history_lines(&mut cat, &records).await?,
            worker,
        })
    }

    /// The ledger as CSV (UTF-8, RFC 4180, header row [`CSV_COLUMNS`]): one row per
    /// item, optionally of one site. "issued to" is the worker's code and name (this
    /// export is the employer's own record); "inspections" lists every inspection
    /// as `date result[: note]` separated by `; `. Cells that a spreadsheet would
    /// read as a formula are prefixed with `'`.
    pub async fn ledger_export_csv(&self, actor: &Actor, site_gln: Option<&str>) -> Result<String> {
        authz::manage_ledger(actor, actor.org_id)?;
        let site_id = match site_gln {
            Some(g) => Some(self.ledger_site(actor, g).await?.1.id),
            None => None,
        };
        let items = self
            .store
            .list_ledger_items(&ItemFilter {
                org_id: actor.org_id,
                site_id,
                ..Default::default()
            })
            .await?;
        let records = self.store.ledger_records(actor.org_id, None, None).await?;
        let mut inspections: HashMap<i64, Vec<String>> = HashMap::new();
        for r in records.iter().filter(|r| r.action == "inspect") {
            let mut s = format!(
                "{} {}",
                r.at.date_naive(),
                r.result.as_deref().unwrap_or("")
            );
            if let Some(n) = &r.note {
                s.push_str(": ");
                s.push_str(n);
            }
            inspections.entry(r.item_id).or_default().push(s);
        }
        let mut cat = Catalog::default();
        let mut out = csv_line(CSV_COLUMNS.iter().map(|s| s.to_string()));
        let d = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        for i in &items {
            let v = self.lg_view(&mut cat, i).await?;
            let reason = match (&v.reason, v.hold) {
                (Some(r), _) => r.clone(),
                (None, Some(h)) => h.as_str().to_string(),
                (None, None) => String::new(),
            };
            out.push_str(&csv_line([
                v.item.clone(),
                v.model.clone().unwrap_or_default(),
                v.standard.clone().unwrap_or_default(),
                v.lot.clone().unwrap_or_default(),
                v.received_on.to_string(),
                d(v.accepted_on),
                v.worker
                    .as_ref()
                    .map(|w| format!("{} {}", w.code, w.name))
                    .unwrap_or_default(),
                d(v.issued_on),
                d(v.replace_by),
                inspections.remove(&v.id).unwrap_or_default().join("; "),
                d(v.scrapped_on),
                reason,
            ]));
        }
        Ok(out)
    }

    // ----- workers -----------------------------------------------------------------

    /// Registers a worker under an employer-assigned pseudonymous code. The name is
    /// visible only to this employer; the log entry hashes a record without it.
    pub async fn create_worker(&self, actor: &Actor, input: &WorkerInput) -> Result<Worker> {
        authz::manage_ledger(actor, actor.org_id)?;
        let code = rules::validate_worker_code(&input.code)?;
        let name = rules::validate_worker_name(&input.name)?;
        let now = self.clock.now();
        let label = actor.label();
        self.store
            .create_worker(
                &NewWorker {
                    org_id: actor.org_id,
                    code: code.clone(),
                    name,
                    created_at: now,
                },
                Box::new(move |w: &Worker| {
                    LogEntry::for_record(
                        "worker",
                        now,
                        &label,
                        vec![
                            ("org".into(), w.org_id.to_string()),
                            ("worker".into(), w.id.to_string()),
                        ],
                        &worker_record(w),
                    )
                }),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::Conflict(_) => {
                    AppError::Conflict(format!("a worker with code {code} is already registered"))
                }
                other => other.into(),
            })
    }

    /// The employer's workers.
    pub async fn list_workers(&self, actor: &Actor) -> Result<Vec<Worker>> {
        authz::manage_ledger(actor, actor.org_id)?;
        Ok(self.store.list_workers(actor.org_id).await?)
    }

    /// One of the employer's workers by code.
    pub async fn get_worker(&self, actor: &Actor, code: &str) -> Result<Worker> {
        authz::manage_ledger(actor, actor.org_id)?;
        self.lg_worker_by_code(actor, code).await
    }

    /// Renames a worker or (de)activates them; the code never changes. Workers are
    /// never deleted: the ledger's history refers to them.
    pub async fn update_worker(
        &self,
        actor: &Actor,
        code: &str,
        patch: &WorkerPatch,
    ) -> Result<Worker> {
        authz::manage_ledger(actor, actor.org_id)?;
        let w = self.lg_worker_by_code(actor, code).await?;
        let name = match &patch.name {
            Some(n) => rules::validate_worker_name(n)?,
            None => w.name.clone(),
        };
        let active = patch.active.unwrap_or(w.active);
        let now = self.clock.now();
        let label = actor.label();
        Ok(self
            .store
            .update_worker(
                w.id,
                &name,
                active,
                now,
                Box::new(move |w: &Worker| {
                    LogEntry::for_record(
                        "worker",
                        now,
                        &label,
                        vec![
                            ("org".into(), w.org_id.to_string()),
                            ("worker".into(), w.id.to_string()),
                        ],
                        &worker_record(w),
                    )
                }),
            )
            .await?)
    }
}

impl App {
    /// Demo data: a few ledger records at the employer's site (received, accepted,
    /// issued, inspected, withdrawn, and a recalled helmet quarantined at receipt).
    pub(crate) async fn seed_demo_ledger(
        &self,
        employer: &Actor,
        site_gln: &str,
        helmets: &[String],
        recalled: &[String],
        harnesses: &[String],
    ) -> Result<()> {
        let take = |v: &[String], r: std::ops::Range<usize>| {
            v.get(r).map(<[String]>::to_vec).unwrap_or_default()
        };
        let mut items = take(helmets, 0..4);
        items.extend(take(recalled, 0..1));
        items.extend(take(harnesses, 1..4));
        let receipt = self
            .ledger_receive(
                employer,
                &ReceiptInput {
                    site_gln: site_gln.to_string(),
                    items,
                },
            )
            .await?;
        for (code, name) in [("W-0001", "Zhang Wei 张伟"), ("W-0002", "Li Na 李娜")] {
            self.create_worker(
                employer,
                &WorkerInput {
                    code: code.into(),
                    name: name.into(),
                },
            )
            .await?;
        }
        let ids: Vec<i64> = receipt.received.iter().map(|i| i.id).collect();
        for id in &ids {
            self.ledger_accept(employer, *id, None).await?;
        }
        // helmets: ids[0..4]; harnesses: ids[4..7].
        if let [h0, _, _, _, f1, f2, _] = ids[..] {
            self.ledger_issue(employer, h0, "W-0001").await?;
            self.ledger_issue(employer, f1, "W-0001").await?;
            self.ledger_issue(employer, f2, "W-0002").await?;
            self.ledger_inspect(employer, f1, "pass", None).await?;
            self.ledger_inspect(employer, f2, "fail", Some("frayed webbing 织带磨损"))
                .await?;
        }
        Ok(())
    }
}

/// Canonical GS1 Digital Link of an item from stored (already valid) GTIN and serial.
fn item_uri(gtin: &str, serial: &str) -> String {
    match (gs1::Gtin::parse(gtin), gs1::Serial::parse(serial)) {
        (Ok(g), Ok(s)) => lc::sgtin_uri(&g, &s),
        _ => format!("https://id.gs1.org/01/{gtin}/21/{serial}"),
    }
}

fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv_line(cells: impl IntoIterator<Item = String>) -> String {
    let mut line = cells
        .into_iter()
        .map(|c| csv_cell(&c))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formula_safe() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_line(["a".into(), "".into()]), "a,\r\n");
    }
}
