//! The fraud-report mailbox: encrypted reports, receipts (hashed), cases and their deadlines.
//!
//! Row types for this capability live in this file too.

use async_trait::async_trait;

#[allow(unused_imports)]
use crate::Result;

/// The fraud-report mailbox: encrypted reports, receipts (hashed), cases and their deadlines.
#[async_trait]
pub trait MailboxStore: Send + Sync {}
