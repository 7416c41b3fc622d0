//! [`parse_any`]: one entry point for everything a scanner or a user may hand us.

use serde::ser::{SerializeSeq, SerializeStruct};

use crate::ai;
use crate::dl::{self, DigitalLink};
use crate::element;
use crate::epc::EpcUrn;
use crate::error::Gs1Error;

type Pair = (String, String);

/// What kind of text [`parse_any`] recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InputKind {
    /// A GS1 Digital Link URI.
    DigitalLink,
    /// A bracketed element string.
    ElementString,
    /// Raw / scanned element strings (with or without symbology identifier).
    Raw,
    /// An EPC URN.
    EpcUrn,
}

/// Validated GS1 data: AI/value pairs in Digital Link order (primary key, key
/// qualifiers, then the other AIs in input order).
///
/// Equality compares the AI/value pairs only, not the kind of input they came from.
#[derive(Debug, Clone)]
pub struct Gs1Data {
    pairs: Vec<Pair>,
    has_key: bool,
    kind: InputKind,
    company_prefix_len: Option<usize>,
}

/// Parses a GS1 Digital Link URI, a bracketed element string, raw scanned element
/// strings (with or without a symbology identifier such as `]d2`/`]Q3`/`]C1`/`]e0`;
/// FNC1 as ASCII GS 0x1D) or an EPC URN. Leading/trailing whitespace is ignored.
///
/// All values, mandatory associations and invalid pairs are validated.
pub fn parse_any(text: &str) -> Result<Gs1Data, Gs1Error> {
    let t = text.trim_matches(|c: char| c.is_whitespace() && c != element::GS);
    if t.is_empty() {
        return Err(Gs1Error::Empty {
            field: "input".into(),
        });
    }
    let lower_head: String = t.chars().take(8).collect::<String>().to_ascii_lowercase();
    if lower_head.starts_with("urn:epc:") {
        let urn = EpcUrn::parse(t)?;
        return Ok(Gs1Data {
            pairs: urn.pairs().to_vec(),
            has_key: !urn.pairs().is_empty(),
            kind: InputKind::EpcUrn,
            company_prefix_len: urn.company_prefix_len(),
        });
    }
    if lower_head.starts_with("http://") || lower_head.starts_with("https://") {
        let dl = DigitalLink::parse(t)?;
        return Ok(Gs1Data {
            pairs: dl
                .pairs()
                .map(|(a, v)| (a.to_owned(), v.to_owned()))
                .collect(),
            has_key: true,
            kind: InputKind::DigitalLink,
            company_prefix_len: None,
        });
    }
    let (kind, pairs) = if t.starts_with('(') {
        (InputKind::ElementString, element::parse_bracketed(t)?)
    } else if t.starts_with(']')
        || t.starts_with(element::GS)
        || t.starts_with(|c: char| c.is_ascii_digit())
    {
        (InputKind::Raw, element::parse_raw(t)?)
    } else {
        return Err(Gs1Error::syntax(
            None,
            "not a GS1 Digital Link URI, element string or EPC URN",
        ));
    };
    Gs1Data::from_pairs_kind(pairs, kind)
}

impl PartialEq for Gs1Data {
    fn eq(&self, other: &Self) -> bool {
        self.pairs == other.pairs
    }
}

impl Eq for Gs1Data {}

impl Gs1Data {
    /// Builds validated data from AI/value pairs (any order).
    pub fn from_pairs(pairs: Vec<Pair>) -> Result<Gs1Data, Gs1Error> {
        for (a, v) in &pairs {
            ai::validate_value(a, v)?;
        }
        ai::check_associations(pairs.iter().map(|(a, _)| a.as_str()))?;
        Gs1Data::from_pairs_kind(pairs, InputKind::ElementString)
    }

    fn from_pairs_kind(pairs: Vec<Pair>, kind: InputKind) -> Result<Gs1Data, Gs1Error> {
        match dl::split_dl_order(&pairs) {
            Some((key, (qualifiers, attributes))) => {
                let mut ordered = Vec::with_capacity(pairs.len());
                ordered.push(key);
                ordered.extend(qualifiers);
                ordered.extend(attributes);
                Ok(Gs1Data {
                    pairs: ordered,
                    has_key: true,
                    kind,
                    company_prefix_len: None,
                })
            }
            None => Ok(Gs1Data {
                pairs,
                has_key: false,
                kind,
                company_prefix_len: None,
            }),
        }
    }

    /// What kind of input this was parsed from.
    pub fn kind(&self) -> InputKind {
        self.kind
    }

    /// The AI/value pairs in Digital Link order.
    pub fn ais(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        self.pairs.iter().map(|(a, v)| (a.as_str(), v.as_str()))
    }

    /// The value of `ai`, if present.
    pub fn get(&self, ai: &str) -> Option<&str> {
        self.ais().find(|(a, _)| *a == ai).map(|(_, v)| v)
    }

    /// The primary key (AI, value), when one of the AIs is a Digital Link primary key.
    pub fn primary_key(&self) -> Option<(&str, &str)> {
        if self.has_key {
            self.ais().next()
        } else {
            None
        }
    }

    /// The bracketed element string, e.g. `(01)09506000134352(10)ABC(21)XYZ`.
    pub fn element_string(&self) -> String {
        element::to_bracketed(self.ais())
    }

    /// The raw element string (FNC1 as GS after variable-length AIs, no symbology id).
    pub fn raw(&self) -> String {
        element::to_raw(self.ais())
    }

    /// The scanner output form: `symbology_id` (e.g. `]d2`, `]Q3`, `]C1`, `]e0`) + [`Gs1Data::raw`].
    pub fn scan_data(&self, symbology_id: &str) -> String {
        format!("{symbology_id}{}", self.raw())
    }

    /// The Digital Link, when there is a primary key and the data forms a valid one.
    pub fn to_digital_link(&self) -> Option<DigitalLink> {
        if !self.has_key {
            return None;
        }
        DigitalLink::from_pairs(&self.pairs).ok()
    }

    /// The canonical Digital Link URI (`https://id.gs1.org/...`), when there is a primary key.
    pub fn digital_link(&self) -> Option<String> {
        self.to_digital_link().map(|d| d.canonical())
    }

    /// The GS1 Company Prefix length, known when the input was an EPC URN.
    pub fn company_prefix_len(&self) -> Option<usize> {
        self.company_prefix_len
    }

    /// The EPC URN, derivable when the input was a URN or `company_prefix_len` is given
    /// (a given length takes precedence).
    pub fn epc_urn(&self, company_prefix_len: Option<usize>) -> Option<String> {
        let cpl = company_prefix_len.or(self.company_prefix_len)?;
        EpcUrn::from_pairs(&self.pairs, cpl)
            .ok()
            .map(|u| u.to_urn())
    }

    /// The parsed URN, when the input was an EPC URN.
    fn urn_pattern(&self) -> Option<String> {
        (self.kind == InputKind::EpcUrn && self.pairs.is_empty())
            .then(|| "urn:epc:idpat:sgtin:*.*.*".to_owned())
    }
}

struct AisJson<'a>(&'a [Pair]);

impl serde::Serialize for AisJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (a, v) in self.0 {
            seq.serialize_element(&AiJson {
                ai: a,
                title: ai::title(a).unwrap_or(""),
                value: v,
            })?;
        }
        seq.end()
    }
}

#[derive(serde::Serialize)]
struct AiJson<'a> {
    ai: &'a str,
    title: &'a str,
    value: &'a str,
}

impl serde::Serialize for Gs1Data {
    /// `{"element_string": ..., "digital_link": ... | null, "epc_urn": ... | null,
    /// "ais": [{"ai": "01", "title": "GTIN", "value": "..."}]}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Gs1Data", 4)?;
        st.serialize_field("element_string", &self.element_string())?;
        st.serialize_field("digital_link", &self.digital_link())?;
        st.serialize_field(
            "epc_urn",
            &self.epc_urn(None).or_else(|| self.urn_pattern()),
        )?;
        st.serialize_field("ais", &AisJson(&self.pairs))?;
        st.end()
    }
}
