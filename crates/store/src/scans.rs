//! Scans (authoritative and informational), clone-detection state and alerts.
//!
//! Row types for this capability live in this file too.

use async_trait::async_trait;

#[allow(unused_imports)]
use crate::Result;

/// Scans (authoritative and informational), clone-detection state and alerts.
#[async_trait]
pub trait ScanStore: Send + Sync {}
