//! Console users and their sessions.
//!
//! A user belongs to one organization and acts through an API key of its own
//! (created in the same transaction as the user; its secret is never shown), so
//! console actions are authorised by exactly the rules that apply to API keys.
//! Passwords are stored only as Argon2id PHC strings, session tokens only as
//! SHA-256; the per-session CSRF secret is stored as is (it is useless without
//! the session cookie).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::log_entry::LogEntry;
use serde::Serialize;

use crate::{ApiKey, NewApiKey, Result};

/// A user to create; its API key is created with it.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub org_id: i64,
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Console roles (`manufacturer`, `employer`, `regulator`, `inspector`,
    /// `case_handler`, `admin`).
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    /// The API key the user acts through.
    pub key_id: i64,
    pub username: String,
    #[serde(skip)]
    pub password_hash: String,
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// SHA-256 (hex) of the token in the cookie.
    pub token_sha256: String,
    pub user_id: i64,
    pub csrf_secret: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Builds the log entries of a new user (and its key) once ids are assigned.
pub type UserLogFn = Box<dyn FnOnce(&ApiKey, &User) -> Vec<LogEntry> + Send>;

/// Console users and sessions.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates the user's API key and the user in one transaction with their log
    /// entries. A taken username is a `Conflict` naming `username`.
    async fn create_user(&self, key: &NewApiKey, user: &NewUser, log: UserLogFn) -> Result<User>;
    async fn get_user(&self, id: i64) -> Result<Option<User>>;
    async fn find_user(&self, username: &str) -> Result<Option<User>>;
    async fn list_users(&self, org_id: i64) -> Result<Vec<User>>;
    /// Stores a session and appends the login's log entry.
    async fn create_session(&self, session: &Session, log: &LogEntry) -> Result<()>;
    /// The session with this token hash and its user (expired ones too: the caller
    /// decides).
    async fn find_session(&self, token_sha256: &str) -> Result<Option<(Session, User)>>;
    /// Deletes a session; with `log`, appends the logout's entry in the same
    /// transaction. Returns whether a session was deleted.
    async fn delete_session(&self, token_sha256: &str, log: Option<&LogEntry>) -> Result<bool>;
    /// Deletes sessions that expired before `now`; returns how many.
    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64>;
}
