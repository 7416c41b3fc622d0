//! Product models: PPE category and service life.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::DomainError;

/// PPE categories as grouped by GB 39800.1-2020 and the EU PPE Regulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PpeCategory {
    Head,
    Respiratory,
    EyeFace,
    Hearing,
    Hand,
    Foot,
    BodyClothing,
    FallProtection,
}

impl PpeCategory {
    pub const ALL: [PpeCategory; 8] = [
        PpeCategory::Head,
        PpeCategory::Respiratory,
        PpeCategory::EyeFace,
        PpeCategory::Hearing,
        PpeCategory::Hand,
        PpeCategory::Foot,
        PpeCategory::BodyClothing,
        PpeCategory::FallProtection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PpeCategory::Head => "head",
            PpeCategory::Respiratory => "respiratory",
            PpeCategory::EyeFace => "eye_face",
            PpeCategory::Hearing => "hearing",
            PpeCategory::Hand => "hand",
            PpeCategory::Foot => "foot",
            PpeCategory::BodyClothing => "body_clothing",
            PpeCategory::FallProtection => "fall_protection",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        PpeCategory::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                DomainError::new(
                    "category",
                    format!("unknown PPE category '{s}' (expected one of head, respiratory, eye_face, hearing, hand, foot, body_clothing, fall_protection)"),
                )
            })
    }

    /// Human names, English and Simplified Chinese.
    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (PpeCategory::Head, false) => "Head protection",
            (PpeCategory::Head, true) => "头部防护",
            (PpeCategory::Respiratory, false) => "Respiratory protection",
            (PpeCategory::Respiratory, true) => "呼吸防护",
            (PpeCategory::EyeFace, false) => "Eye and face protection",
            (PpeCategory::EyeFace, true) => "眼面防护",
            (PpeCategory::Hearing, false) => "Hearing protection",
            (PpeCategory::Hearing, true) => "听力防护",
            (PpeCategory::Hand, false) => "Hand protection",
            (PpeCategory::Hand, true) => "手部防护",
            (PpeCategory::Foot, false) => "Foot protection",
            (PpeCategory::Foot, true) => "足部防护",
            (PpeCategory::BodyClothing, false) => "Protective clothing",
            (PpeCategory::BodyClothing, true) => "躯体防护",
            (PpeCategory::FallProtection, false) => "Fall protection",
            (PpeCategory::FallProtection, true) => "坠落防护",
        }
    }
}

/// From which date a model's declared service life runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ServiceLifeFrom {
    /// From the batch's production date (e.g. helmets: GB 2811 marks the production date).
    #[default]
    Manufacture,
    /// From the day the item is first issued to a worker.
    FirstUse,
}

impl ServiceLifeFrom {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceLifeFrom::Manufacture => "manufacture",
            ServiceLifeFrom::FirstUse => "first_use",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "manufacture" => Ok(ServiceLifeFrom::Manufacture),
            "first_use" => Ok(ServiceLifeFrom::FirstUse),
            _ => Err(DomainError::new(
                "service_life_from",
                "expected 'manufacture' or 'first_use'",
            )),
        }
    }
}

/// Declared service lives beyond 50 years are not PPE; reject them as typos.
pub fn validate_service_life_months(m: u32) -> Result<u32, DomainError> {
    if m == 0 || m > 600 {
        return Err(DomainError::new(
            "service_life_months",
            "must be between 1 and 600 months",
        ));
    }
    Ok(m)
}

/// The last day an item may be used: start date plus the service life.
pub fn service_life_end(start: NaiveDate, months: u32) -> Option<NaiveDate> {
    start.checked_add_months(Months::new(months))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_round_trip() {
        for c in PpeCategory::ALL {
            assert_eq!(PpeCategory::parse(c.as_str()).unwrap(), c);
        }
        assert_eq!(PpeCategory::parse("feet").unwrap_err().field, "category");
    }

    #[test]
    fn service_life_end_adds_calendar_months() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 31).unwrap();
        assert_eq!(service_life_end(d, 1), NaiveDate::from_ymd_opt(2024, 2, 29));
        assert_eq!(
            service_life_end(d, 36),
            NaiveDate::from_ymd_opt(2027, 1, 31)
        );
    }

    #[test]
    fn service_life_bounds() {
        assert!(validate_service_life_months(0).is_err());
        assert!(validate_service_life_months(36).is_ok());
        assert!(validate_service_life_months(601).is_err());
    }
}
