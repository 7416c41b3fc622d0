//! Validated identifier newtypes: [`Gtin`], [`Gln`], [`Sscc`], [`Uscc`], [`Lot`], [`Serial`].
//!
//! Every type parses from and serialises to a plain string; deserialisation validates.

use crate::check::{self, Charset};
use crate::error::Gs1Error;
use crate::uscc;

macro_rules! string_newtype {
    ($name:ident, $expecting:literal) => {
        impl $name {
            /// The validated (normalised) text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = Gs1Error;
            fn from_str(s: &str) -> Result<Self, Gs1Error> {
                $name::parse(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = Gs1Error;
            fn try_from(s: &str) -> Result<Self, Gs1Error> {
                $name::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Gs1Error;
            fn try_from(s: String) -> Result<Self, Gs1Error> {
                $name::parse(&s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::parse(v).map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

fn numeric_key(field: &str, s: &str, lens: &[usize]) -> Result<(), Gs1Error> {
    if s.is_empty() {
        return Err(Gs1Error::Empty {
            field: field.into(),
        });
    }
    Charset::Numeric.check(field, s)?;
    if !lens.contains(&s.len()) {
        return Err(Gs1Error::Length {
            field: field.into(),
            expected: lens
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            actual: s.chars().count(),
        });
    }
    check::verify_check_digit(field, s)
}

/// Global Trade Item Number, normalised to 14 digits (GTIN-8/12/13 are left-padded with zeros).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gtin(String);
string_newtype!(
    Gtin,
    "a GTIN (8, 12, 13 or 14 digits with valid check digit)"
);

impl Gtin {
    /// Parses a GTIN-8, -12, -13 or -14 (check digit validated) and normalises it to 14 digits.
    pub fn parse(s: &str) -> Result<Self, Gs1Error> {
        numeric_key("GTIN", s, &[8, 12, 13, 14])?;
        Ok(Gtin(format!("{s:0>14}")))
    }

    /// Builds a GTIN-14 from its 13 leading digits, computing the check digit.
    pub fn from_body(body13: &str) -> Result<Self, Gs1Error> {
        if body13.len() != 13 {
            return Err(Gs1Error::Length {
                field: "GTIN".into(),
                expected: "13 (without check digit)".into(),
                actual: body13.chars().count(),
            });
        }
        Charset::Numeric.check("GTIN", body13)?;
        Ok(Gtin(check::with_check_digit(body13)?))
    }

    /// The indicator digit (first of the 14).
    pub fn indicator(&self) -> char {
        self.0.chars().next().unwrap_or('0')
    }

    /// The check digit (last of the 14).
    pub fn check_digit(&self) -> char {
        self.0.chars().last().unwrap_or('0')
    }

    /// Splits into (GS1 Company Prefix, indicator digit + item reference) as used in the
    /// SGTIN EPC URN, given the company prefix length (6 to 12).
    pub fn company_prefix_and_item(
        &self,
        company_prefix_len: usize,
    ) -> Result<(&str, String), Gs1Error> {
        check_cp_len(company_prefix_len, 12)?;
        let cp = &self.0[1..1 + company_prefix_len];
        let item = format!("{}{}", &self.0[..1], &self.0[1 + company_prefix_len..13]);
        Ok((cp, item))
    }

    /// The shortest GTIN form: GTIN-8, -12 or -13 when the leading digits are zeros.
    pub fn shortest(&self) -> &str {
        if self.0.starts_with("000000") {
            &self.0[6..]
        } else if self.0.starts_with("00") {
            &self.0[2..]
        } else if self.0.starts_with('0') {
            &self.0[1..]
        } else {
            &self.0
        }
    }
}

pub(crate) fn check_cp_len(len: usize, max: usize) -> Result<(), Gs1Error> {
    if (6..=max).contains(&len) {
        Ok(())
    } else {
        Err(Gs1Error::syntax(
            Some("company prefix"),
            format!("GS1 Company Prefix length must be 6 to {max}, got {len}"),
        ))
    }
}

/// Global Location Number (13 digits with check digit).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gln(String);
string_newtype!(Gln, "a GLN (13 digits with valid check digit)");

impl Gln {
    /// Parses a 13-digit GLN, validating the check digit.
    pub fn parse(s: &str) -> Result<Self, Gs1Error> {
        numeric_key("GLN", s, &[13])?;
        Ok(Gln(s.into()))
    }
}

/// Serial Shipping Container Code (18 digits with check digit).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sscc(String);
string_newtype!(Sscc, "an SSCC (18 digits with valid check digit)");

impl Sscc {
    /// Parses an 18-digit SSCC, validating the check digit.
    pub fn parse(s: &str) -> Result<Self, Gs1Error> {
        numeric_key("SSCC", s, &[18])?;
        Ok(Sscc(s.into()))
    }

    /// Builds an SSCC from extension digit, company prefix and serial reference (17 digits
    /// in total), computing the check digit.
    pub fn from_body(body17: &str) -> Result<Self, Gs1Error> {
        if body17.len() != 17 {
            return Err(Gs1Error::Length {
                field: "SSCC".into(),
                expected: "17 (without check digit)".into(),
                actual: body17.chars().count(),
            });
        }
        Charset::Numeric.check("SSCC", body17)?;
        Ok(Sscc(check::with_check_digit(body17)?))
    }
}

/// Chinese Unified Social Credit Code (GB 32100-2015), 18 characters with check character.
///
/// [`Uscc::parse`] validates the character set and the check character (18th). The
/// embedded organization code (9th-17th characters, GB 11714) can be checked separately
/// with [`Uscc::organization_code_is_valid`]: codes issued to some entity types do not
/// carry a GB 11714 organization code, so it is not required by `parse`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc(String);
string_newtype!(
    Uscc,
    "a Unified Social Credit Code (18 characters, GB 32100-2015)"
);

impl Uscc {
    /// Parses an 18-character USCC (upper-case; lower-case letters are accepted and
    /// upper-cased), validating character set and check character.
    pub fn parse(s: &str) -> Result<Self, Gs1Error> {
        let upper = s.to_ascii_uppercase();
        uscc::validate(&upper)?;
        Ok(Uscc(upper))
    }

    /// The registration management department code (1st character).
    pub fn registration_authority(&self) -> char {
        self.0.chars().next().unwrap_or('0')
    }

    /// The administrative division code (3rd-8th characters).
    pub fn division_code(&self) -> &str {
        &self.0[2..8]
    }

    /// The embedded organization code (9th-17th characters).
    pub fn organization_code(&self) -> &str {
        &self.0[8..17]
    }

    /// `true` when the embedded organization code has a valid GB 11714 check character.
    pub fn organization_code_is_valid(&self) -> bool {
        uscc::validate_org_code(self.organization_code()).is_ok()
    }
}

fn cset82_value(field: &str, s: &str, max: usize) -> Result<(), Gs1Error> {
    if s.is_empty() {
        return Err(Gs1Error::Empty {
            field: field.into(),
        });
    }
    Charset::Cset82.check(field, s)?;
    if s.len() > max {
        return Err(Gs1Error::Length {
            field: field.into(),
            expected: format!("1 to {max}"),
            actual: s.chars().count(),
        });
    }
    Ok(())
}

/// Batch/lot number, the value of AI (10): 1 to 20 characters of GS1 CSET 82.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lot(String);
string_newtype!(Lot, "a batch/lot number (1-20 characters of GS1 CSET 82)");

impl Lot {
    /// Parses a lot: 1 to 20 characters of GS1 CSET 82.
    pub fn parse(s: &str) -> Result<Self, Gs1Error> {
        cset82_value("10", s, 20)?;
        Ok(Lot(s.into()))
    }
}

/// Serial number, the value of AI (21): 1 to 20 characters of GS1 CSET 82.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(String);
string_newtype!(Serial, "a serial number (1-20 characters of GS1 CSET 82)");

impl Serial {
    /// Parses a serial: 1 to 20 characters of GS1 CSET 82.
    pub fn parse(s: &str) -> Result<Self, Gs1Error> {
        cset82_value("21", s, 20)?;
        Ok(Serial(s.into()))
    }
}

macro_rules! ai_key_newtype {
    ($(#[$doc:meta])* $name:ident, $ai:literal, $field:literal, $expecting:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);
        string_newtype!($name, $expecting);

        impl $name {
            #[doc = concat!("Parses and validates a ", $field, " (the value of AI (", $ai, ")).")]
            pub fn parse(s: &str) -> Result<Self, Gs1Error> {
                crate::ai::validate_value($ai, s).map_err(|e| relabel(e, $field))?;
                Ok($name(s.into()))
            }

            #[doc = concat!("The Application Identifier of this key: `", $ai, "`.")]
            pub const AI: &'static str = $ai;
        }
    };
}

/// Replaces an AI label by a key name in length/character/check errors.
fn relabel(e: Gs1Error, field: &str) -> Gs1Error {
    match e {
        Gs1Error::UnknownAi { .. } => e,
        other => other.with_field(field),
    }
}

ai_key_newtype!(
    /// Global Individual Asset Identifier: company prefix + asset reference, up to 30
    /// characters of CSET 82 (AI 8004).
    Giai,
    "8004",
    "GIAI",
    "a GIAI (up to 30 characters of GS1 CSET 82)"
);
ai_key_newtype!(
    /// Global Service Relation Number (18 digits with check digit, AIs 8017/8018).
    Gsrn,
    "8018",
    "GSRN",
    "a GSRN (18 digits with valid check digit)"
);
ai_key_newtype!(
    /// Global Document Type Identifier: 13 digits with check digit + optional serial of up
    /// to 17 CSET 82 characters (AI 253).
    Gdti,
    "253",
    "GDTI",
    "a GDTI (13 digits with check digit, optional serial)"
);
ai_key_newtype!(
    /// Global Identification Number for Consignment: up to 30 characters of CSET 82 (AI 401).
    Ginc,
    "401",
    "GINC",
    "a GINC (up to 30 characters of GS1 CSET 82)"
);
ai_key_newtype!(
    /// Global Shipment Identification Number (17 digits with check digit, AI 402).
    Gsin,
    "402",
    "GSIN",
    "a GSIN (17 digits with valid check digit)"
);

/// Global Returnable Asset Identifier: 13 digits with check digit + optional serial of up
/// to 16 CSET 82 characters. In element strings and Digital Link (AI 8003) it is preceded
/// by a `0`: see [`Grai::ai_value`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grai(String);
string_newtype!(Grai, "a GRAI (13 digits with check digit, optional serial)");

impl Grai {
    /// The Application Identifier of this key: `8003`.
    pub const AI: &'static str = "8003";

    /// Parses a GRAI (without the leading `0` of the AI 8003 value).
    pub fn parse(s: &str) -> Result<Self, Gs1Error> {
        crate::ai::validate_value("8003", &format!("0{s}")).map_err(|e| match e {
            Gs1Error::Character {
                ch,
                position,
                allowed,
                ..
            } => Gs1Error::Character {
                field: "GRAI".into(),
                ch,
                position: position.saturating_sub(1),
                allowed,
            },
            Gs1Error::Length { expected, .. } => Gs1Error::Length {
                field: "GRAI".into(),
                expected: format!("{expected} (including the leading 0 of AI 8003)"),
                actual: s.chars().count(),
            },
            other => other.with_field("GRAI"),
        })?;
        Ok(Grai(s.into()))
    }

    /// Parses the value of AI (8003), which starts with `0`.
    pub fn from_ai_value(v: &str) -> Result<Self, Gs1Error> {
        crate::ai::validate_value("8003", v)?;
        Ok(Grai(v[1..].into()))
    }

    /// The value of AI (8003): `0` + GRAI.
    pub fn ai_value(&self) -> String {
        format!("0{}", self.0)
    }
}
