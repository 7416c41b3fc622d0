//! The employer's PPE ledger: acceptance, stock, issue to workers, inspections, scrapping.
//!
//! Row types for this capability live in this file too.

use async_trait::async_trait;

#[allow(unused_imports)]
use crate::Result;

/// The employer's PPE ledger: acceptance, stock, issue to workers, inspections, scrapping.
#[async_trait]
pub trait LedgerStore: Send + Sync {}
