//! Certificates: China's LA safety mark, EU type-examination certificates, NIOSH
//! approvals and test reports, each with an issuer and a validity window.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateKind {
    /// 特种劳动防护用品安全标志 (LA mark), number `yy-pp-nnnnnn`, valid 4 years.
    LaMark,
    /// EU type-examination certificate (Module B), valid at most 5 years.
    EuTypeExamination,
    /// NIOSH approval, e.g. `TC-84A-1234`.
    NioshApproval,
    /// A test report from an accredited laboratory.
    TestReport,
}

impl CertificateKind {
    pub const ALL: [CertificateKind; 4] = [
        CertificateKind::LaMark,
        CertificateKind::EuTypeExamination,
        CertificateKind::NioshApproval,
        CertificateKind::TestReport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CertificateKind::LaMark => "la_mark",
            CertificateKind::EuTypeExamination => "eu_type_examination",
            CertificateKind::NioshApproval => "niosh_approval",
            CertificateKind::TestReport => "test_report",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        CertificateKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                DomainError::new(
                    "kind",
                    format!("unknown certificate kind '{s}' (expected la_mark, eu_type_examination, niosh_approval or test_report)"),
                )
            })
    }

    /// The longest validity window the scheme allows, in months.
    pub fn max_validity_months(self) -> Option<u32> {
        match self {
            CertificateKind::LaMark => Some(48),
            CertificateKind::EuTypeExamination => Some(60),
            CertificateKind::NioshApproval | CertificateKind::TestReport => None,
        }
    }

    /// Checks the certificate number's format for schemes that define one.
    pub fn validate_number(self, number: &str) -> Result<(), DomainError> {
        let ok = match self {
            CertificateKind::LaMark => is_la_mark_number(number),
            CertificateKind::NioshApproval => is_niosh_approval(number),
            CertificateKind::EuTypeExamination | CertificateKind::TestReport => {
                !number.trim().is_empty()
                    && number.len() <= 64
                    && number.chars().all(|c| !c.is_control())
            }
        };
        if ok {
            Ok(())
        } else {
            let expected = match self {
                CertificateKind::LaMark => "an LA mark number yy-pp-nnnnnn",
                CertificateKind::NioshApproval => "a NIOSH approval number like TC-84A-1234",
                _ => "1 to 64 printable characters",
            };
            Err(DomainError::new(
                "number",
                format!("'{number}' is not {expected}"),
            ))
        }
    }
}

fn is_la_mark_number(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 12
        && b[2] == b'-'
        && b[5] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 2 || i == 5 || c.is_ascii_digit())
}

fn is_niosh_approval(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("TC-") else {
        return false;
    };
    let mut parts = rest.split('-');
    let (Some(schedule), Some(num), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let sb = schedule.as_bytes();
    sb.len() == 3
        && sb[0].is_ascii_digit()
        && sb[1].is_ascii_digit()
        && sb[2].is_ascii_uppercase()
        && (4..=5).contains(&num.len())
        && num.bytes().all(|c| c.is_ascii_digit())
}

/// The status an issuer set; `expired` is derived from the validity window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssuerStatus {
    Valid,
    Suspended,
    Revoked,
}

impl IssuerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IssuerStatus::Valid => "valid",
            IssuerStatus::Suspended => "suspended",
            IssuerStatus::Revoked => "revoked",
        }
    }
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "valid" => Ok(IssuerStatus::Valid),
            "suspended" => Ok(IssuerStatus::Suspended),
            "revoked" => Ok(IssuerStatus::Revoked),
            _ => Err(DomainError::new(
                "status",
                "expected valid, suspended or revoked",
            )),
        }
    }
}

/// What a reader is told about a certificate on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    Valid,
    NotYetValid,
    Expired,
    Suspended,
    Revoked,
}

impl CertificateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateStatus::Valid => "valid",
            CertificateStatus::NotYetValid => "not_yet_valid",
            CertificateStatus::Expired => "expired",
            CertificateStatus::Suspended => "suspended",
            CertificateStatus::Revoked => "revoked",
        }
    }
}

pub fn certificate_status(
    issuer: IssuerStatus,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
    today: NaiveDate,
) -> CertificateStatus {
    match issuer {
        IssuerStatus::Revoked => CertificateStatus::Revoked,
        IssuerStatus::Suspended => CertificateStatus::Suspended,
        IssuerStatus::Valid if today < valid_from => CertificateStatus::NotYetValid,
        IssuerStatus::Valid if today > valid_until => CertificateStatus::Expired,
        IssuerStatus::Valid => CertificateStatus::Valid,
    }
}

/// Checks a validity window against the scheme's maximum length.
pub fn validate_window(
    kind: CertificateKind,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
) -> Result<(), DomainError> {
    if valid_until < valid_from {
        return Err(DomainError::new(
            "valid_until",
            "must not be before valid_from",
        ));
    }
    if let Some(max) = kind.max_validity_months() {
        let limit = valid_from
            .checked_add_months(Months::new(max))
            .ok_or_else(|| DomainError::new("valid_from", "date out of range"))?;
        if valid_until > limit {
            return Err(DomainError::new(
                "valid_until",
                format!(
                    "a {} is valid for at most {} years",
                    kind.as_str(),
                    max / 12
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn la_mark_numbers() {
        let k = CertificateKind::LaMark;
        assert!(k.validate_number("21-03-000123").is_ok());
        for bad in [
            "21-3-000123",
            "21-03-00012",
            "2a-03-000123",
            "21/03/000123",
            "",
        ] {
            assert_eq!(k.validate_number(bad).unwrap_err().field, "number", "{bad}");
        }
    }

    #[test]
    fn niosh_numbers() {
        let k = CertificateKind::NioshApproval;
        assert!(k.validate_number("TC-84A-1234").is_ok());
        assert!(k.validate_number("TC-84A-12345").is_ok());
        assert!(k.validate_number("TC-84-1234").is_err());
        assert!(k.validate_number("84A-1234").is_err());
    }

    #[test]
    fn validity_windows_follow_the_scheme() {
        assert!(validate_window(CertificateKind::LaMark, d(2022, 1, 1), d(2026, 1, 1)).is_ok());
        assert!(validate_window(CertificateKind::LaMark, d(2022, 1, 1), d(2026, 1, 2)).is_err());
        assert!(
            validate_window(
                CertificateKind::EuTypeExamination,
                d(2022, 1, 1),
                d(2027, 1, 1)
            )
            .is_ok()
        );
        assert!(
            validate_window(
                CertificateKind::EuTypeExamination,
                d(2022, 1, 1),
                d(2021, 1, 1)
            )
            .is_err()
        );
    }

    #[test]
    fn status_on_a_day() {
        let (f, u) = (d(2022, 1, 1), d(2026, 1, 1));
        assert_eq!(
            certificate_status(IssuerStatus::Valid, f, u, d(2023, 5, 5)),
            CertificateStatus::Valid
        );
        assert_eq!(
            certificate_status(IssuerStatus::Valid, f, u, d(2026, 1, 2)),
            CertificateStatus::Expired
        );
        assert_eq!(
            certificate_status(IssuerStatus::Valid, f, u, d(2021, 12, 31)),
            CertificateStatus::NotYetValid
        );
        assert_eq!(
            certificate_status(IssuerStatus::Revoked, f, u, d(2023, 5, 5)),
            CertificateStatus::Revoked
        );
    }
}
