//! The employer's PPE ledger: acceptance, stock, issue to workers, inspections, scrapping.
//!
//! Row types for this capability live in this file too. Worker names are stored here
//! for the employer that owns them and never written to the log or to events.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::log_entry::LogEntry;
use serde::Serialize;

use crate::{EventIndex, LogFn, NewEvent, Result};

#[derive(Debug, Clone)]
pub struct NewWorker {
    pub org_id: i64,
    /// Employer-assigned pseudonymous id, unique within the organization.
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Worker {
    pub id: i64,
    pub org_id: i64,
    pub code: String,
    pub name: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One item in an employer's ledger.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LedgerItem {
    pub id: i64,
    pub org_id: i64,
    pub site_id: i64,
    pub gtin: String,
    pub serial: String,
    /// The registered model and batch (none for a counterfeit code).
    pub product_id: Option<i64>,
    pub batch_id: Option<i64>,
    /// `domain::ledger::ItemState` as text.
    pub state: String,
    /// `domain::ledger::Hold` as text, while quarantined.
    pub hold: Option<String>,
    pub received_on: NaiveDate,
    pub accepted_on: Option<NaiveDate>,
    /// The worker it was last issued to, and when.
    pub worker_id: Option<i64>,
    pub issued_on: Option<NaiveDate>,
    pub first_use: Option<NaiveDate>,
    pub replace_by: Option<NaiveDate>,
    pub last_inspected: Option<NaiveDate>,
    pub next_inspection: Option<NaiveDate>,
    pub scrapped_on: Option<NaiveDate>,
    /// Scrapping, withdrawal or rejection reason (free text, the employer's own).
    pub reason: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// One line of an item's ledger history.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LedgerRecord {
    pub id: i64,
    pub item_id: i64,
    pub org_id: i64,
    pub at: DateTime<Utc>,
    /// receive, accept, reject, issue, return, inspect, withdraw, scrap.
    pub action: String,
    pub worker_id: Option<i64>,
    /// Inspection result, hold reason, …
    pub result: Option<String>,
    pub note: Option<String>,
    /// The EPCIS event that recorded it.
    pub event_id: Option<String>,
    pub actor: String,
}

#[derive(Debug, Clone)]
pub struct NewLedgerRecord {
    /// Index into [`LedgerWrite::inserts`] (for a new item) or an existing item id.
    pub item: ItemRef,
    pub at: DateTime<Utc>,
    pub action: String,
    pub worker_id: Option<i64>,
    pub result: Option<String>,
    pub note: Option<String>,
    pub event_id: Option<String>,
    pub actor: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemRef {
    /// The n-th item of [`LedgerWrite::inserts`].
    New(usize),
    Existing(i64),
}

/// An item row change: the full new row and the state it must still be in (so two
/// concurrent writes cannot both move the same item).
#[derive(Debug, Clone)]
pub struct ItemUpdate {
    pub row: LedgerItem,
    pub expected_state: String,
}

/// One ledger write, applied in one transaction: the EPCIS events (each with its
/// index and log entry), new items, changed items, history lines, and the first-use
/// dates of codes (so public verification counts service life from first use).
#[derive(Debug, Clone, Default)]
pub struct LedgerWrite {
    pub events: Vec<(NewEvent, EventIndex, LogEntry)>,
    /// New items (`id` ignored).
    pub inserts: Vec<LedgerItem>,
    pub updates: Vec<ItemUpdate>,
    pub records: Vec<NewLedgerRecord>,
    /// (product id, serial, date): set `codes.first_use` where still unset.
    pub first_use: Vec<(i64, String, NaiveDate)>,
    /// (product id, serial): mark the code scrapped.
    pub scrap_codes: Vec<(i64, String)>,
}

/// Which items to list. All conditions AND.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub org_id: i64,
    pub site_id: Option<i64>,
    pub state: Option<String>,
    pub worker_id: Option<i64>,
    /// In service (in stock or issued) and replacement or inspection due on or before.
    pub due_by: Option<NaiveDate>,
}

/// The employer's PPE ledger: acceptance, stock, issue to workers, inspections, scrapping.
#[async_trait]
pub trait LedgerStore: Send + Sync {
    /// Applies a ledger write atomically; returns the ids of the inserted items.
    /// An insert of an item already in the organization's ledger is a conflict; an
    /// update whose item is no longer in `expected_state` is a conflict.
    async fn ledger_write(&self, w: &LedgerWrite) -> Result<Vec<i64>>;
    async fn get_ledger_item(&self, id: i64) -> Result<Option<LedgerItem>>;
    async fn find_ledger_item(
        &self,
        org_id: i64,
        gtin: &str,
        serial: &str,
    ) -> Result<Option<LedgerItem>>;
    /// Items matching the filter, by id.
    async fn list_ledger_items(&self, f: &ItemFilter) -> Result<Vec<LedgerItem>>;
    /// History lines of one item, or of one worker (oldest first).
    async fn ledger_records(
        &self,
        org_id: i64,
        item_id: Option<i64>,
        worker_id: Option<i64>,
    ) -> Result<Vec<LedgerRecord>>;

    async fn create_worker(&self, new: &NewWorker, log: LogFn<Worker>) -> Result<Worker>;
    /// Changes a worker's name and/or active flag (the code never changes).
    async fn update_worker(
        &self,
        id: i64,
        name: &str,
        active: bool,
        at: DateTime<Utc>,
        log: LogFn<Worker>,
    ) -> Result<Worker>;
    async fn get_worker(&self, id: i64) -> Result<Option<Worker>>;
    async fn find_worker(&self, org_id: i64, code: &str) -> Result<Option<Worker>>;
    async fn list_workers(&self, org_id: i64) -> Result<Vec<Worker>>;
}
