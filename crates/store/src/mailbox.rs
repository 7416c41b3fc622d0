//! The fraud-report mailbox: encrypted reports, receipts (hashed), cases and their deadlines.
//!
//! Row types for this capability live in this file too. Nothing here is plaintext
//! report content: messages and attachments are age ciphertext produced by the
//! `app` crate; the receipt is kept only as an Argon2id PHC string of its secret
//! part; dates are days, never times of day.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::log_entry::LogEntry;

use crate::{LogFn, Result};

/// A case handler: an API key with an age X25519 recipient, in one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct MailboxHandler {
    pub id: i64,
    pub key_id: i64,
    pub org_id: i64,
    pub channel: String,
    /// `age1…` X25519 recipient.
    pub recipient: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewMailboxHandler {
    pub key_id: i64,
    pub org_id: i64,
    pub channel: String,
    pub recipient: String,
    pub created_at: DateTime<Utc>,
}

/// One report and its case. After retention purging, `lookup`, `secret_hash`,
/// `reply_recipient` and `recipients` are empty and every message is gone; the row
/// keeps the public facts (category, states, dates, published summary).
#[derive(Debug, Clone, PartialEq)]
pub struct MailboxCase {
    pub id: i64,
    pub lookup: Option<String>,
    pub secret_hash: Option<String>,
    pub reply_recipient: Option<String>,
    pub channel: String,
    pub category: String,
    pub state: String,
    pub outcome: Option<String>,
    pub received_on: NaiveDate,
    pub acknowledged_on: Option<NaiveDate>,
    pub feedback_on: Option<NaiveDate>,
    pub decided_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub assignee_key_id: Option<i64>,
    /// The handlers' recipients the case was encrypted to.
    pub recipients: Vec<String>,
    pub summary: Option<String>,
    pub published_on: Option<NaiveDate>,
    pub published_org_id: Option<i64>,
    pub published_gtin: Option<String>,
    pub purged_on: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct NewMailboxCase {
    pub lookup: String,
    pub secret_hash: String,
    pub reply_recipient: String,
    pub channel: String,
    pub category: String,
    pub state: String,
    pub received_on: NaiveDate,
    pub recipients: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct NewMailboxMessage {
    /// `reporter` or `handler:<key id>`.
    pub author: String,
    /// `report`, `info`, `reply`, `question` or `note`.
    pub kind: String,
    /// Encrypted to the reporter's per-report key too.
    pub for_reporter: bool,
    pub created_on: NaiveDate,
    pub ciphertext: Vec<u8>,
    /// Attachment ciphertexts.
    pub attachments: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MailboxMessage {
    pub id: i64,
    pub case_id: i64,
    pub author: String,
    pub kind: String,
    pub for_reporter: bool,
    pub created_on: NaiveDate,
    pub ciphertext: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MailboxAttachment {
    pub id: i64,
    pub case_id: i64,
    pub message_id: i64,
    pub ciphertext: Vec<u8>,
}

/// The fraud-report mailbox: encrypted reports, receipts (hashed), cases and their deadlines.
#[async_trait]
pub trait MailboxStore: Send + Sync {
    async fn register_handler(
        &self,
        new: &NewMailboxHandler,
        log: LogFn<MailboxHandler>,
    ) -> Result<MailboxHandler>;
    async fn handler_for_key(&self, key_id: i64) -> Result<Option<MailboxHandler>>;
    async fn handlers_in_channel(&self, channel: &str) -> Result<Vec<MailboxHandler>>;

    /// Stores a case with its first message (and attachments) and the log entry.
    async fn create_case(
        &self,
        new: &NewMailboxCase,
        first: &NewMailboxMessage,
        log: LogFn<MailboxCase>,
    ) -> Result<MailboxCase>;
    async fn case_by_lookup(&self, lookup: &str) -> Result<Option<MailboxCase>>;
    async fn get_case(&self, id: i64) -> Result<Option<MailboxCase>>;
    /// All cases (of one channel when given), oldest first.
    async fn list_cases(&self, channel: Option<&str>) -> Result<Vec<MailboxCase>>;

    /// Adds a message to a case; `feedback_on` sets the case's first-feedback day
    /// when it has none. Returns the message id.
    async fn add_message(
        &self,
        case_id: i64,
        msg: &NewMailboxMessage,
        feedback_on: Option<NaiveDate>,
        log: &LogEntry,
    ) -> Result<i64>;
    async fn case_messages(&self, case_id: i64) -> Result<Vec<MailboxMessage>>;
    async fn case_attachments(&self, case_id: i64) -> Result<Vec<MailboxAttachment>>;

    /// Writes the mutable fields of `case` if its stored state is still
    /// `expected_state`; otherwise `Conflict`.
    async fn update_case(
        &self,
        expected_state: &str,
        case: &MailboxCase,
        log: &LogEntry,
    ) -> Result<()>;

    /// Retention: deletes the messages and attachments of these cases and wipes
    /// their receipt hash and keys. Returns how many cases were purged.
    async fn purge_cases(&self, ids: &[i64], today: NaiveDate, log: &LogEntry) -> Result<u64>;
}
