//! The crate's single error type.

use std::fmt;

/// One problem found in a document, naming the event and the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Index of the event in the event list (`None` for document-level problems).
    pub event_index: Option<usize>,
    /// The event's `eventID`, if it has one.
    pub event_id: Option<String>,
    /// JSON-pointer-like path of the offending field, e.g. `epcList[1]`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.event_index, &self.event_id) {
            (Some(i), Some(id)) => write!(f, "event {i} ({id}): ")?,
            (Some(i), None) => write!(f, "event {i}: ")?,
            (None, _) => write!(f, "document: ")?,
        }
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

fn join_issues(issues: &[Issue]) -> String {
    issues
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Every error this crate returns.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EpcisError {
    /// The input is not well-formed JSON.
    #[error("malformed JSON: {0}")]
    Json(String),
    /// The input is not well-formed (or not EPCIS) XML.
    #[error("malformed XML: {0}")]
    Xml(String),
    /// The document is well-formed but not a valid EPCIS 2.0 document.
    #[error("{}", join_issues(.0))]
    Invalid(Vec<Issue>),
    /// A query parameter is unknown or malformed.
    #[error("query parameter {name}: {message}")]
    Query {
        /// The parameter name as given.
        name: String,
        /// What is wrong with it.
        message: String,
    },
}

impl EpcisError {
    /// The individual issues when this is a validation error.
    pub fn issues(&self) -> &[Issue] {
        match self {
            EpcisError::Invalid(v) => v,
            _ => &[],
        }
    }
}
