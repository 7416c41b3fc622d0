//! Scans (authoritative and informational), clone-detection state and alerts.
//!
//! Informational scans are a derived, high-volume index: they are written in batches
//! by the application's scan recorder and are not entries of the tamper-evident log.
//! Alerts and their state changes are logged.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::log_entry::LogEntry;
use serde::Serialize;

use crate::{Certificate, CodeView, Org, Product, Result};

pub const SCAN_INFORMATIONAL: i16 = 0;
pub const SCAN_AUTHORITATIVE: i16 = 1;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewScan {
    pub product_id: i64,
    pub serial: String,
    pub batch_id: i64,
    pub at: DateTime<Utc>,
    pub kind: i16,
    pub org_id: Option<i64>,
    pub step: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub city: Option<String>,
    pub region: Option<String>,
    /// Bucket key of the coarse place (informational scans).
    pub place_key: String,
}

#[derive(Debug, Clone)]
pub struct NewAlert {
    pub product_id: i64,
    pub serial: String,
    pub batch_id: i64,
    pub brand_org_id: i64,
    pub cause: String,
    pub level: String,
    pub detail: String,
    pub opened_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub id: i64,
    pub product_id: i64,
    pub serial: String,
    pub batch_id: i64,
    pub brand_org_id: i64,
    pub cause: String,
    pub level: String,
    pub status: String,
    pub resolution: Option<String>,
    pub detail: String,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertCount {
    pub cause: String,
    pub status: String,
    pub resolution: Option<String>,
    pub count: u64,
}

/// Everything one verification reads, fetched in one call: one connection and no
/// hand-off per statement on SQLite, one statement on PostgreSQL.
/// The scan parts are read whether or not the code exists (with ids that match
/// nothing), so an unknown serial costs the same statements as a known one.
#[derive(Debug, Clone, Default)]
pub struct VerifyRead {
    pub product: Option<Product>,
    pub code: Option<CodeView>,
    /// The product's manufacturer.
    pub org: Option<Org>,
    pub certificates: Vec<Certificate>,
    /// The code's latest scans, newest first (at most the limit asked for).
    pub recent: Vec<NewScan>,
    /// Distinct informational buckets of the code.
    pub code_buckets: u64,
    /// (items with at least one informational scan, their buckets) of the code's batch.
    pub batch_stats: (u64, u64),
    /// Regions the code's batch was handled in by organizations (the sites of its
    /// authoritative scans), once the batch has had at least one receipt; empty
    /// before that (destinations unknown: the unshipped-region rule stays off).
    pub shipped_regions: Vec<String>,
}

/// Regions of a batch as read from `batch_regions` rows `(region, received)`: all of
/// them once one saw a receipt, none before.
pub fn shipped_regions(rows: Vec<(String, bool)>) -> Vec<String> {
    if rows.iter().any(|(_, received)| *received) {
        rows.into_iter().map(|(r, _)| r).collect()
    } else {
        Vec::new()
    }
}

/// The region an authoritative scan adds to its batch's regions (`None` for
/// informational scans and unknown regions), and whether it is a receipt.
pub fn batch_region(s: &NewScan) -> Option<(&str, bool)> {
    if s.kind != SCAN_AUTHORITATIVE {
        return None;
    }
    let region = s
        .region
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())?;
    Some((region, s.step.as_deref() == Some("receiving")))
}

/// Scans (authoritative and informational), clone-detection state and alerts.
#[async_trait]
pub trait ScanStore: Send + Sync {
    /// Stores scans; for informational ones also their (day, place) bucket and the
    /// batch's running norm, for authoritative ones their site's region among the
    /// batch's regions (see [`batch_region`]), in one transaction.
    async fn record_scans(&self, scans: &[NewScan]) -> Result<()>;
    /// The latest `limit` scans of a code, newest first.
    async fn recent_scans(&self, product_id: i64, serial: &str, limit: u32)
    -> Result<Vec<NewScan>>;
    /// The facts of one verification (see [`VerifyRead`]).
    async fn verify_read(&self, gtin: &str, serial: &str, history_limit: u32)
    -> Result<VerifyRead>;
    /// Distinct informational buckets of one code.
    async fn code_buckets(&self, product_id: i64, serial: &str) -> Result<u64>;
    /// (items with at least one informational scan, their buckets in total).
    async fn batch_scan_stats(&self, batch_id: i64) -> Result<(u64, u64)>;
    /// Opens an alert unless one for the same code and cause is still open (then `None`).
    async fn open_alert(&self, alert: &NewAlert, log: &LogEntry) -> Result<Option<Alert>>;
    async fn get_alert(&self, id: i64) -> Result<Option<Alert>>;
    async fn list_alerts(
        &self,
        brand_org_id: Option<i64>,
        status: Option<&str>,
    ) -> Result<Vec<Alert>>;
    async fn update_alert(
        &self,
        id: i64,
        status: &str,
        resolution: Option<&str>,
        at: DateTime<Utc>,
        log: &LogEntry,
    ) -> Result<Alert>;
    async fn alert_counts(&self, brand_org_id: Option<i64>) -> Result<Vec<AlertCount>>;
}
