//! Application services: the use cases of ppetrace, shared by the HTTP layer and the
//! CLI. Each service validates input with the pure crates (`gs1`, `domain`, `epcis`),
//! checks authorisation with `domain::authz`, and writes through the [`store::Store`]
//! interface together with the record's tamper-evident log entry.
//!
//! Invariants: no HTTP or terminal types here; time comes from [`Clock`]; every write
//! names an authenticated [`domain::authz::Actor`] (the CLI's bootstrap commands act
//! as the platform operator and say so in the log entry).

pub mod codes;
pub mod demo;
pub mod error;
pub mod keys;
pub mod lifecycle;
pub mod recalls;
pub mod registry;
pub mod verify;
// Capabilities that grow in parallel; each replaces its own placeholder line:
pub mod draws;
pub mod epcis;
pub mod ledger;
pub mod log;
pub mod mailbox;
pub mod scans;
pub mod users;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
pub use error::AppError;
use store::Store;

pub type Result<T> = std::result::Result<T, AppError>;

/// Where the time comes from; tests pin it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

pub struct SystemClock;
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock fixed at one instant.
pub struct FixedClock(pub DateTime<Utc>);
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Base of the printed Digital Link URIs, e.g. `https://ppe.example.org`.
    pub public_base_url: String,
    /// The tamper-evident log: origin, signing key, batching, witnesses.
    pub log: log::LogSettings,
    /// Fraud-report mailbox: retention, proof-of-work difficulty, limits.
    pub mailbox: mailbox::MailboxConfig,
    /// Scan recording, clone-detection thresholds, answer signing.
    pub scans: scans::ScanSettings,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            public_base_url: "http://127.0.0.1:8080".into(),
            log: log::LogSettings::default(),
            mailbox: mailbox::MailboxConfig::default(),
            scans: scans::ScanSettings::default(),
        }
    }
}

/// The services, over one store.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    /// Shared: an `App` is cloned for every request (handler state, middleware),
    /// and the settings hold strings and lists that would otherwise be copied.
    pub config: Arc<AppConfig>,
    pub clock: Arc<dyn Clock>,
    /// The log sequencer (signing key, batching state).
    pub log: Arc<log::Sequencer>,
    /// Batches informational scans in the background.
    pub scans: Arc<scans::Recorder>,
    /// Signs verification answers.
    pub answers: Arc<scans::AnswerSigner>,
    /// Failed console logins per username (throttling).
    pub users: Arc<users::Throttle>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, config: AppConfig) -> App {
        let log = Arc::new(log::Sequencer::new(config.log.clone()));
        let (scans, answers) = scans::make_state(&config);
        App {
            store,
            config: Arc::new(config),
            clock: Arc::new(SystemClock),
            log,
            scans,
            answers,
            users: Arc::new(users::Throttle::default()),
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> App {
        self.clock = clock;
        self
    }

    /// Replaces the log settings (and with them the log service: signing key,
    /// cached tiles). For tests and tools that build an [`App`] before its
    /// log has signed anything.
    pub fn with_log_settings(mut self, settings: log::LogSettings) -> App {
        self.log = Arc::new(log::Sequencer::new(settings.clone()));
        Arc::make_mut(&mut self.config).log = settings;
        self
    }
}
