//! The single error type of the crate.

use std::fmt;

/// Why a GS1 identifier, element string, Digital Link URI or EPC URN was rejected.
///
/// `Display` gives a one-line human-readable reason; [`Gs1Error::field`] names the
/// Application Identifier (e.g. `"01"`) or the component (e.g. `"serial"`,
/// `"company prefix"`) at fault when it is known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Gs1Error {
    /// A value was empty where at least one character is required.
    #[error("{}: empty value", Label(.field))]
    Empty {
        /// AI or component.
        field: String,
    },
    /// Wrong length.
    #[error("{}: length must be {expected}, got {actual}", Label(.field))]
    Length {
        /// AI or component.
        field: String,
        /// Human description of the allowed length, e.g. `"14"` or `"1 to 20"`.
        expected: String,
        /// Actual length in characters.
        actual: usize,
    },
    /// A character outside the allowed character set.
    #[error("{}: invalid character {ch:?} at position {position} (allowed: {allowed})", Label(.field))]
    Character {
        /// AI or component.
        field: String,
        /// The offending character.
        ch: char,
        /// 1-based position in the value.
        position: usize,
        /// Name of the allowed character set.
        allowed: &'static str,
    },
    /// A check digit or check character is wrong.
    #[error("{}: check character is {found:?}, expected {expected:?}", Label(.field))]
    CheckDigit {
        /// AI or component.
        field: String,
        /// The correct check character(s).
        expected: String,
        /// The check character(s) found.
        found: String,
    },
    /// A date or time component is not a valid calendar date/time.
    #[error("{}: invalid date/time {value:?}: {reason}", Label(.field))]
    Date {
        /// AI or component.
        field: String,
        /// The offending date/time text.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An Application Identifier that is not in the table.
    #[error("unknown Application Identifier ({ai})")]
    UnknownAi {
        /// The AI digits.
        ai: String,
    },
    /// A mandatory association of the GS1 General Specifications is not satisfied.
    #[error("({ai}) requires one of {requires} to be present")]
    MissingAssociation {
        /// The AI needing an association.
        ai: String,
        /// Human list of acceptable partners, e.g. `"(01), (8006)"`.
        requires: String,
    },
    /// An invalid pair of AIs per the GS1 General Specifications.
    #[error("({ai}) and ({other}) must not be used together")]
    InvalidPair {
        /// First AI.
        ai: String,
        /// Second AI.
        other: String,
    },
    /// The same AI occurs twice with different values.
    #[error("({ai}) occurs more than once with different values")]
    Duplicate {
        /// The repeated AI.
        ai: String,
    },
    /// Any other syntax problem, with a reason.
    #[error("{}{reason}", Prefix(.field))]
    Syntax {
        /// AI or component, when known.
        field: Option<String>,
        /// Human-readable reason.
        reason: String,
    },
    /// A GS1 Digital Link URI that is not valid.
    #[error("invalid GS1 Digital Link URI: {}{reason}", Prefix(.field))]
    DigitalLink {
        /// AI or component, when known.
        field: Option<String>,
        /// Human-readable reason.
        reason: String,
    },
    /// An EPC URN that is not valid (or an identifier with no EPC URN form).
    #[error("invalid EPC URN: {}{reason}", Prefix(.field))]
    Epc {
        /// Component, when known.
        field: Option<String>,
        /// Human-readable reason.
        reason: String,
    },
}

impl Gs1Error {
    /// The AI (e.g. `"01"`) or component (e.g. `"serial"`) at fault, when known.
    pub fn field(&self) -> Option<&str> {
        match self {
            Gs1Error::Empty { field }
            | Gs1Error::Length { field, .. }
            | Gs1Error::Character { field, .. }
            | Gs1Error::CheckDigit { field, .. }
            | Gs1Error::Date { field, .. } => Some(field),
            Gs1Error::UnknownAi { ai }
            | Gs1Error::MissingAssociation { ai, .. }
            | Gs1Error::InvalidPair { ai, .. }
            | Gs1Error::Duplicate { ai } => Some(ai),
            Gs1Error::Syntax { field, .. }
            | Gs1Error::DigitalLink { field, .. }
            | Gs1Error::Epc { field, .. } => field.as_deref(),
        }
    }

    pub(crate) fn syntax(field: Option<&str>, reason: impl Into<String>) -> Self {
        Gs1Error::Syntax {
            field: field.map(str::to_owned),
            reason: reason.into(),
        }
    }

    pub(crate) fn dl(field: Option<&str>, reason: impl Into<String>) -> Self {
        Gs1Error::DigitalLink {
            field: field.map(str::to_owned),
            reason: reason.into(),
        }
    }

    pub(crate) fn epc(field: Option<&str>, reason: impl Into<String>) -> Self {
        Gs1Error::Epc {
            field: field.map(str::to_owned),
            reason: reason.into(),
        }
    }

    /// Re-labels a component error with a different field name (e.g. an AI).
    pub(crate) fn with_field(self, new: &str) -> Self {
        let f = new.to_owned();
        match self {
            Gs1Error::Empty { .. } => Gs1Error::Empty { field: f },
            Gs1Error::Length {
                expected, actual, ..
            } => Gs1Error::Length {
                field: f,
                expected,
                actual,
            },
            Gs1Error::Character {
                ch,
                position,
                allowed,
                ..
            } => Gs1Error::Character {
                field: f,
                ch,
                position,
                allowed,
            },
            Gs1Error::CheckDigit {
                expected, found, ..
            } => Gs1Error::CheckDigit {
                field: f,
                expected,
                found,
            },
            Gs1Error::Date { value, reason, .. } => Gs1Error::Date {
                field: f,
                value,
                reason,
            },
            Gs1Error::Syntax { reason, .. } => Gs1Error::Syntax {
                field: Some(f),
                reason,
            },
            other => other,
        }
    }
}

/// Formats a field: AIs (all digits) as `(01)`, components as-is.
struct Label<'a>(&'a str);

impl fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.0.is_empty() && self.0.bytes().all(|b| b.is_ascii_digit()) {
            write!(f, "({})", self.0)
        } else {
            f.write_str(self.0)
        }
    }
}

struct Prefix<'a>(&'a Option<String>);

impl fmt::Display for Prefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(field) => write!(f, "{}: ", Label(field)),
            None => Ok(()),
        }
    }
}
