//! Storage behind one narrow interface, [`Store`], with one implementation per
//! database: [`sqlite::SqliteStore`] (embedded default, rusqlite, WAL) and
//! [`postgres::PgStore`] (tokio-postgres with a deadpool pool).
//!
//! Invariants:
//! - Every write method runs in one transaction and appends its tamper-evident log
//!   entries in that same transaction: a record and its log entry commit together or
//!   not at all.
//! - The schema is versioned; [`open`] applies pending migrations before returning.
//! - No business rules here: callers pass validated values (see the `domain` crate).

pub mod draws;
pub mod events;
pub mod ledger;
pub mod log;
pub mod mailbox;
pub mod model;
pub mod portal;
pub mod postgres;
pub mod receipts;
pub mod regcache;
pub mod scans;
pub mod sqlite;
pub mod users;

use async_trait::async_trait;
use domain::log_entry::LogEntry;

pub use draws::DrawStore;
pub use events::{
    CaptureItem, CaptureJob, CaptureOutcome, Cursor, EventFilter, EventIndex, EventStore,
    KeyFilter, NamedQuery, NewCaptureJob, SortField, Visibility,
};
pub use ledger::LedgerStore;
pub use log::{LogStore, StoredCheckpoint};
pub use mailbox::MailboxStore;
pub use model::*;
pub use portal::PortalStore;
pub use scans::ScanStore;
pub use users::UserStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness or foreign-key constraint refused the write. `what` names it.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("database error: {0}")]
    Db(String),
    #[error("bad database url: {0}")]
    Url(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Builds the log entry of a record once the database assigned its id.
pub type LogFn<T> = Box<dyn FnOnce(&T) -> LogEntry + Send>;

/// Everything the platform stores. One implementation per database; each
/// capability's methods live in their own trait (and file) so they can grow apart.
pub trait Store:
    RegistryStore
    + EventStore
    + LogStore
    + MailboxStore
    + DrawStore
    + LedgerStore
    + ScanStore
    + UserStore
    + PortalStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;
}

/// Organizations, keys, sites, product models, certificates, batches and codes.
#[async_trait]
pub trait RegistryStore: Send + Sync {
    async fn create_org(&self, new: &NewOrg, log: LogFn<Org>) -> Result<Org>;
    async fn get_org(&self, id: i64) -> Result<Option<Org>>;
    async fn list_orgs(&self) -> Result<Vec<Org>>;
    async fn create_api_key(&self, new: &NewApiKey, log: LogFn<ApiKey>) -> Result<ApiKey>;
    async fn find_api_key(&self, lookup: &str) -> Result<Option<ApiKey>>;

    async fn create_site(&self, new: &NewSite, log: LogFn<Site>) -> Result<Site>;
    async fn get_site_by_gln(&self, gln: &str) -> Result<Option<Site>>;
    async fn list_sites(&self, org_id: i64) -> Result<Vec<Site>>;

    async fn create_product(&self, new: &NewProduct, log: LogFn<Product>) -> Result<Product>;
    async fn get_product(&self, id: i64) -> Result<Option<Product>>;
    async fn get_product_by_gtin(&self, gtin: &str) -> Result<Option<Product>>;
    async fn list_products(&self, org_id: Option<i64>) -> Result<Vec<Product>>;
    async fn create_certificate(
        &self,
        new: &NewCertificate,
        log: LogFn<Certificate>,
    ) -> Result<Certificate>;
    async fn list_certificates(&self, product_id: i64) -> Result<Vec<Certificate>>;

    async fn create_batch(&self, new: &NewBatch, log: LogFn<Batch>) -> Result<Batch>;
    async fn get_batch(&self, id: i64) -> Result<Option<Batch>>;
    async fn list_batches(&self, product_id: i64) -> Result<Vec<Batch>>;
    /// Inserts serials for a batch; serials already present for the product are
    /// skipped. Returns how many were inserted. `issuance` (with its log entry) is
    /// recorded in the same transaction.
    async fn insert_codes(
        &self,
        batch: &Batch,
        serials: &[String],
        issuance: Option<(&NewIssuance, &LogEntry)>,
    ) -> Result<u64>;
    /// Serials of a batch in ascending order, after `after` (exclusive), at most `limit`.
    async fn batch_serials(
        &self,
        batch_id: i64,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<String>>;
    async fn count_codes(&self, batch_id: i64) -> Result<u64>;
    /// The verification lookup: the code with its batch.
    async fn lookup_code(&self, product_id: i64, serial: &str) -> Result<Option<CodeView>>;
}

/// Opens a store from a URL (`sqlite://PATH`, `sqlite::memory:`, `postgres://…`)
/// and applies migrations.
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Store>> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Ok(std::sync::Arc::new(sqlite::SqliteStore::open(path).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(postgres::PgStore::connect(url).await?))
    } else {
        Err(StoreError::Url(format!(
            "'{}' is neither sqlite://PATH nor postgres://…",
            redact(url)
        )))
    }
}

/// Removes a password from a database URL before it is shown anywhere.
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((cred, host)) = rest.split_once('@')
    {
        let user = cred.split(':').next().unwrap_or("");
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn redact_hides_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
