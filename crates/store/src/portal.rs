//! Read-only aggregates for the public transparency portal: recalls across all
//! products, look-ups per day, alerts by level and registry totals.
//!
//! Only public or aggregate facts leave these queries: no scan places, no serials,
//! no people.

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::Serialize;

use crate::{Batch, Result};

/// A recalled batch with its product and manufacturer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecallRow {
    pub batch: Batch,
    pub gtin: String,
    pub product_name: String,
    pub org_id: i64,
    pub org_name: String,
}

/// Counts over the public registry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PortalTotals {
    pub organizations: u64,
    pub products: u64,
    pub batches: u64,
    /// Serials issued (sum of the logged issuances).
    pub codes_issued: u64,
    pub recalled_batches: u64,
}

/// Read-only queries of the transparency portal.
#[async_trait]
pub trait PortalStore: Send + Sync {
    /// Recalled batches, most recent recall first (ties: newest batch first), at
    /// most `limit`.
    async fn recalled_batches(&self, limit: u32) -> Result<Vec<RecallRow>>;
    /// Informational look-ups (verifications of known codes) per UTC day, for days
    /// `from` and later, in ascending day order; days without look-ups are absent.
    async fn lookups_per_day(&self, from: NaiveDate) -> Result<Vec<(NaiveDate, u64)>>;
    /// Alerts ever opened, per level (ascending level name).
    async fn alerts_by_level(&self) -> Result<Vec<(String, u64)>>;
    async fn portal_totals(&self) -> Result<PortalTotals>;
}
