use domain::DomainError;
use store::StoreError;

/// One error type for the service layer; the HTTP layer maps each variant to a
/// status code and an RFC 9457 problem body, the CLI to a message and exit code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that breaks a rule; names the field.
    #[error("{0}")]
    Invalid(DomainError),
    #[error("authentication required")]
    Unauthenticated,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        AppError::Invalid(DomainError::new(field, reason))
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        AppError::Invalid(e)
    }
}

impl From<domain::authz::Denied> for AppError {
    fn from(d: domain::authz::Denied) -> Self {
        AppError::Forbidden(d.0)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => AppError::Conflict(conflict_message(&what)),
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Db(m) | StoreError::Url(m) => AppError::Internal(m),
        }
    }
}

/// Turns a constraint name or SQLite message into words a caller can act on.
fn conflict_message(what: &str) -> String {
    let known = [
        (
            "gln",
            "an organization or site with this GLN is already registered",
        ),
        (
            "uscc",
            "an organization with this Unified Social Credit Code is already registered",
        ),
        (
            "gtin",
            "a product model with this GTIN is already registered",
        ),
        (
            "kind",
            "a certificate of this kind with this number is already registered",
        ),
        (
            "number",
            "a certificate of this kind with this number is already registered",
        ),
        (
            "lot",
            "this product already has a batch with this lot number",
        ),
        ("event_id", "an event with this eventID is already stored"),
        ("lookup", "API key collision; try again"),
    ];
    for (needle, msg) in known {
        if what.contains(needle) {
            return msg.to_string();
        }
    }
    "the record conflicts with an existing one".to_string()
}
