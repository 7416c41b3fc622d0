//! Organizations and their roles.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::DomainError;

/// What an organization does on the platform. An organization may hold several roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Manufacturer,
    Distributor,
    Employer,
    Regulator,
    Lab,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Manufacturer,
        Role::Distributor,
        Role::Employer,
        Role::Regulator,
        Role::Lab,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Manufacturer => "manufacturer",
            Role::Distributor => "distributor",
            Role::Employer => "employer",
            Role::Regulator => "regulator",
            Role::Lab => "lab",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                DomainError::new(
                    "roles",
                    format!(
                        "unknown role '{s}' (expected one of manufacturer, distributor, employer, regulator, lab)"
                    ),
                )
            })
    }
}

/// Encodes a role set as the comma-separated text stored in the database.
pub fn roles_to_text(roles: &[Role]) -> String {
    let mut v: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    v.sort_unstable();
    v.dedup();
    v.join(",")
}

/// Decodes the stored role text; unknown names are an error (the database is ours).
pub fn roles_from_text(text: &str) -> Result<Vec<Role>, DomainError> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(Role::from_str)
        .collect()
}

/// GS1 company prefixes are 4 to 12 digits.
pub fn validate_company_prefix(p: &str) -> Result<(), DomainError> {
    if !(4..=12).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DomainError::new(
            "company_prefixes",
            format!("'{p}' is not a GS1 company prefix (4 to 12 digits)"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_sorted_and_deduplicated() {
        let text = roles_to_text(&[Role::Employer, Role::Manufacturer, Role::Employer]);
        assert_eq!(text, "employer,manufacturer");
        assert_eq!(
            roles_from_text(&text).unwrap(),
            vec![Role::Employer, Role::Manufacturer]
        );
    }

    #[test]
    fn unknown_role_names_the_field() {
        let e = "pirate".parse::<Role>().unwrap_err();
        assert_eq!(e.field, "roles");
    }

    #[test]
    fn company_prefix_rules() {
        assert!(validate_company_prefix("6901234").is_ok());
        assert!(validate_company_prefix("123").is_err());
        assert!(validate_company_prefix("12345678901234").is_err());
        assert!(validate_company_prefix("69012a4").is_err());
    }
}
