use std::fmt;

/// A rule was violated by caller-supplied data. `field` names the offending input
/// (a JSON field name or CLI flag) so the HTTP layer can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainError {
    pub field: String,
    pub reason: String,
}

impl DomainError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        DomainError {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Wraps a GS1 parsing failure for a named input field.
    pub fn gs1(field: impl Into<String>, err: &gs1::Gs1Error) -> Self {
        DomainError::new(field, err.to_string())
    }
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for DomainError {}

/// Checks that a free-text field is present, trimmed and within `max` characters.
pub fn require_text(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::new(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(DomainError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(DomainError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_string())
}
