//! Inspection targets and inspectors, draw plans and results, inspection records.
//!
//! Row types for this capability live in this file too.

use async_trait::async_trait;

#[allow(unused_imports)]
use crate::Result;

/// Inspection targets and inspectors, draw plans and results, inspection records.
#[async_trait]
pub trait DrawStore: Send + Sync {}
