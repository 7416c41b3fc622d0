//! GS1 Digital Link URI syntax 1.x (uncompressed form).

use std::fmt;

use crate::ai::{self, AiDef};
use crate::error::Gs1Error;
use crate::keys::{Gtin, Lot, Serial};
use crate::pct;

/// The GS1 canonical resolver base.
pub const CANONICAL_BASE: &str = "https://id.gs1.org";

/// A validated GS1 Digital Link URI: primary key, key qualifiers (in the order the
/// standard prescribes) and data attributes (from the query string, in input order).
///
/// Values are stored decoded; GTINs are normalised to 14 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DigitalLink {
    key: (String, String),
    qualifiers: Vec<(String, String)>,
    attributes: Vec<(String, String)>,
}

impl DigitalLink {
    /// Parses a GS1 Digital Link URI on any `http`/`https` domain, with or without a path
    /// stem before the primary key (e.g. `https://example.com/foo/01/09506000134352/21/X`).
    ///
    /// Query parameters whose names are all digits are data attributes (they must be known
    /// AIs with valid values); other parameters (e.g. `linkType`) are ignored. A fragment
    /// is ignored.
    pub fn parse(uri: &str) -> Result<DigitalLink, Gs1Error> {
        let (scheme, rest) = uri
            .split_once("://")
            .ok_or_else(|| Gs1Error::dl(None, "missing scheme (expected http:// or https://)"))?;
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(Gs1Error::dl(
                Some("scheme"),
                format!("scheme must be http or https, got {scheme:?}"),
            ));
        }
        let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
        let (before_query, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match before_query.find('/') {
            Some(i) => before_query.split_at(i),
            None => (before_query, ""),
        };
        if authority.is_empty() {
            return Err(Gs1Error::dl(Some("domain"), "missing domain name"));
        }
        if let Some(c) = authority
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-._~:@[]!$&'()*+,;=%".contains(*c)))
        {
            return Err(Gs1Error::dl(
                Some("domain"),
                format!("invalid character {c:?} in domain"),
            ));
        }
        let segments: Vec<&str> = if path.is_empty() {
            Vec::new()
        } else {
            path[1..].split('/').collect()
        };

        // Walk the path backwards in (AI, value) pairs until the primary key.
        let mut end = segments.len();
        let mut rev_qualifiers: Vec<(String, String)> = Vec::new();
        let key: (String, String) = loop {
            if end < 2 {
                return Err(Gs1Error::dl(
                    None,
                    if rev_qualifiers.is_empty() {
                        "path does not end with a GS1 primary key and value (e.g. /01/<GTIN>)"
                    } else {
                        "no GS1 primary key before the key qualifiers in the path"
                    },
                ));
            }
            let ai_seg = segments[end - 2];
            let raw_value = segments[end - 1];
            let def = match ai::lookup(ai_seg) {
                Some(d) if ai_seg.bytes().all(|b| b.is_ascii_digit()) => d,
                _ if raw_value.is_empty() && end == segments.len() => {
                    return Err(Gs1Error::dl(
                        None,
                        "path ends with \"/\" (empty path segment)",
                    ));
                }
                _ => {
                    return Err(Gs1Error::dl(
                        None,
                        format!(
                            "path segment {ai_seg:?} is not a GS1 primary key or key qualifier"
                        ),
                    ));
                }
            };
            let value =
                pct::decode(raw_value, pct::is_pchar).map_err(|r| Gs1Error::dl(Some(ai_seg), r))?;
            end -= 2;
            if def.is_dl_primary_key() {
                break (ai_seg.to_owned(), value);
            }
            if !is_any_qualifier(ai_seg) {
                return Err(Gs1Error::dl(
                    Some(ai_seg),
                    "not a key qualifier: data attributes belong in the query string",
                ));
            }
            rev_qualifiers.push((ai_seg.to_owned(), value));
        };
        rev_qualifiers.reverse();
        let qualifiers = rev_qualifiers;

        let mut attributes = Vec::new();
        if let Some(q) = query {
            for param in q.split('&').filter(|p| !p.is_empty()) {
                let (name, raw) = param.split_once('=').unwrap_or((param, ""));
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
                    continue; // not an AI: e.g. linkType, context
                }
                if !param.contains('=') {
                    return Err(Gs1Error::dl(Some(name), "query parameter has no value"));
                }
                ai::require(name)?;
                let value = pct::decode(raw, pct::is_query_value_char)
                    .map_err(|r| Gs1Error::dl(Some(name), r))?;
                attributes.push((name.to_owned(), value));
            }
        }
        DigitalLink::new(key, qualifiers, attributes)
    }

    /// Builds a Digital Link from its parts, validating every value, the qualifier order,
    /// the attributes and the GS1 mandatory associations / invalid pairs. A GTIN (AI 01)
    /// given as 8, 12 or 13 digits is normalised to 14.
    pub fn new(
        key: (String, String),
        qualifiers: Vec<(String, String)>,
        attributes: Vec<(String, String)>,
    ) -> Result<DigitalLink, Gs1Error> {
        let (key_ai, key_value) = key;
        let key_def = ai::require(&key_ai)?;
        let allowed = key_def
            .dl_key
            .ok_or_else(|| Gs1Error::dl(Some(&key_ai), "not a GS1 Digital Link primary key"))?;
        let key_value = normalise(&key_ai, key_value)?;
        ai::validate_with(key_def, &key_ai, &key_value)?;

        // Qualifiers: a subsequence of one allowed sequence, in order.
        let q_ais: Vec<&str> = qualifiers.iter().map(|(a, _)| a.as_str()).collect();
        if !q_ais.is_empty() && !allowed.iter().any(|seq| is_subsequence(&q_ais, seq)) {
            let culprit = q_ais
                .iter()
                .find(|a| !allowed.iter().any(|seq| seq.contains(a)))
                .or(q_ais.last())
                .copied();
            let expected = if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed
                    .iter()
                    .map(|seq| seq.iter().map(|a| format!("/{a}")).collect::<String>())
                    .collect::<Vec<_>>()
                    .join(" or ")
            };
            return Err(Gs1Error::dl(
                culprit,
                format!(
                    "key qualifiers of ({key_ai}) not allowed or out of order; allowed: {expected}"
                ),
            ));
        }
        let mut qs = Vec::with_capacity(qualifiers.len());
        for (a, v) in qualifiers {
            let v = normalise(&a, v)?;
            ai::validate_value(&a, &v)?;
            qs.push((a, v));
        }

        let mut attrs: Vec<(String, String)> = Vec::with_capacity(attributes.len());
        for (a, v) in attributes {
            if a == key_ai || allowed.iter().any(|seq| seq.contains(&a.as_str())) {
                return Err(Gs1Error::dl(
                    Some(&a),
                    format!(
                        "({a}) is the primary key or one of its qualifiers and belongs in the path"
                    ),
                ));
            }
            if attrs.iter().any(|(b, _)| *b == a) {
                return Err(Gs1Error::Duplicate { ai: a });
            }
            let v = normalise(&a, v)?;
            ai::validate_value(&a, &v)?;
            attrs.push((a, v));
        }
        let dl = DigitalLink {
            key: (key_ai, key_value),
            qualifiers: qs,
            attributes: attrs,
        };
        ai::check_associations(dl.pairs().map(|(a, _)| a))?;
        Ok(dl)
    }

    /// Builds the Digital Link of a serialised trade item: `/01/<gtin>[/10/<lot>]/21/<serial>`.
    pub fn sgtin(gtin: &Gtin, lot: Option<&Lot>, serial: &Serial) -> DigitalLink {
        let mut qualifiers = Vec::with_capacity(2);
        if let Some(lot) = lot {
            qualifiers.push(("10".to_owned(), lot.as_str().to_owned()));
        }
        qualifiers.push(("21".to_owned(), serial.as_str().to_owned()));
        DigitalLink {
            key: ("01".to_owned(), gtin.as_str().to_owned()),
            qualifiers,
            attributes: Vec::new(),
        }
    }

    /// Builds a Digital Link from AI/value pairs in any order (e.g. from an element
    /// string): the first Digital Link primary key becomes the key, its qualifiers are
    /// put in Digital Link order, everything else becomes a data attribute.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<DigitalLink, Gs1Error> {
        let (key, rest) = split_dl_order(pairs)
            .ok_or_else(|| Gs1Error::dl(None, "no GS1 Digital Link primary key among the AIs"))?;
        let (qualifiers, attributes) = rest;
        DigitalLink::new(key, qualifiers, attributes)
    }

    /// The URI on `base` (scheme, domain and optional path stem, e.g.
    /// `https://ppe.example.org` or `https://example.com/foo`; a trailing `/` is ignored).
    /// Values are percent-encoded; attributes keep their order.
    pub fn to_uri(&self, base: &str) -> String {
        let mut out = String::with_capacity(base.len() + 64);
        out.push_str(base.trim_end_matches('/'));
        for (a, v) in std::iter::once(&self.key).chain(&self.qualifiers) {
            out.push('/');
            out.push_str(a);
            out.push('/');
            pct::encode_into(&mut out, v);
        }
        for (i, (a, v)) in self.attributes.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(a);
            out.push('=');
            pct::encode_into(&mut out, v);
        }
        out
    }

    /// The canonical GS1 Digital Link URI: on `https://id.gs1.org`, GTIN as 14 digits,
    /// data attributes sorted by AI.
    pub fn canonical(&self) -> String {
        let mut sorted = self.clone();
        sorted.attributes.sort_by(|a, b| a.0.cmp(&b.0));
        sorted.to_uri(CANONICAL_BASE)
    }

    /// The URI without data attributes on `https://id.gs1.org` (identifies the item).
    pub fn canonical_key_only(&self) -> String {
        DigitalLink {
            key: self.key.clone(),
            qualifiers: self.qualifiers.clone(),
            attributes: Vec::new(),
        }
        .to_uri(CANONICAL_BASE)
    }

    /// The primary key as (AI, value).
    pub fn primary_key(&self) -> (&str, &str) {
        (&self.key.0, &self.key.1)
    }

    /// The key qualifiers as (AI, value), in Digital Link order.
    pub fn qualifiers(&self) -> Vec<(&str, &str)> {
        self.qualifiers
            .iter()
            .map(|(a, v)| (a.as_str(), v.as_str()))
            .collect()
    }

    /// The data attributes as (AI, value), in input order.
    pub fn attributes(&self) -> Vec<(&str, &str)> {
        self.attributes
            .iter()
            .map(|(a, v)| (a.as_str(), v.as_str()))
            .collect()
    }

    /// All AI/value pairs: primary key, qualifiers, attributes.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        std::iter::once(&self.key)
            .chain(&self.qualifiers)
            .chain(&self.attributes)
            .map(|(a, v)| (a.as_str(), v.as_str()))
    }

    /// The value of `ai`, if present.
    pub fn get(&self, ai: &str) -> Option<&str> {
        self.pairs().find(|(a, _)| *a == ai).map(|(_, v)| v)
    }

    /// The GTIN, when the primary key is AI (01).
    pub fn gtin(&self) -> Option<Gtin> {
        (self.key.0 == "01")
            .then(|| Gtin::parse(&self.key.1).ok())
            .flatten()
    }

    /// The lot (AI 10), if present.
    pub fn lot(&self) -> Option<Lot> {
        self.get("10").and_then(|v| Lot::parse(v).ok())
    }

    /// The serial (AI 21), if present.
    pub fn serial(&self) -> Option<Serial> {
        self.get("21").and_then(|v| Serial::parse(v).ok())
    }

    /// The EPC URN of the identifier (see [`crate::epc::EpcUrn::from_pairs`]), given the
    /// GS1 Company Prefix length.
    pub fn epc_urn(&self, company_prefix_len: usize) -> Result<String, Gs1Error> {
        let pairs: Vec<(String, String)> = self
            .pairs()
            .map(|(a, v)| (a.to_owned(), v.to_owned()))
            .collect();
        crate::epc::EpcUrn::from_pairs(&pairs, company_prefix_len).map(|u| u.to_urn())
    }

    /// The bracketed element string, e.g. `(01)09506000134352(10)ABC(21)XYZ`.
    pub fn element_string(&self) -> String {
        crate::element::to_bracketed(self.pairs())
    }
}

impl fmt::Display for DigitalLink {
    /// Formats as the canonical URI.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl serde::Serialize for DigitalLink {
    /// Serialises as the canonical URI string.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.canonical())
    }
}

impl<'de> serde::Deserialize<'de> for DigitalLink {
    /// Deserialises from a URI string (any domain), validating it.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        DigitalLink::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for DigitalLink {
    type Err = Gs1Error;
    fn from_str(s: &str) -> Result<Self, Gs1Error> {
        DigitalLink::parse(s)
    }
}

/// Normalises a GTIN value (AI 01/02) given in 8/12/13 digits to 14; other values unchanged.
fn normalise(ai: &str, value: String) -> Result<String, Gs1Error> {
    if ai == "01" && matches!(value.len(), 8 | 12 | 13) && value.bytes().all(|b| b.is_ascii_digit())
    {
        return Gtin::parse(&value)
            .map(|g| g.as_str().to_owned())
            .map_err(|e| e.with_field(ai));
    }
    Ok(value)
}

fn is_subsequence(items: &[&str], seq: &[&str]) -> bool {
    let mut it = seq.iter();
    items.iter().all(|x| it.any(|s| s == x))
}

/// `true` when `ai` is a key qualifier of any primary key.
fn is_any_qualifier(ai: &str) -> bool {
    ai::AI_TABLE.iter().any(|d: &AiDef| {
        d.dl_key
            .is_some_and(|seqs| seqs.iter().any(|seq| seq.contains(&ai)))
    })
}

type Pair = (String, String);
/// (primary key, (qualifiers, attributes)).
pub(crate) type DlSplit = (Pair, (Vec<Pair>, Vec<Pair>));

/// Splits pairs into (primary key, (qualifiers in DL order, remaining attributes)).
pub(crate) fn split_dl_order(pairs: &[Pair]) -> Option<DlSplit> {
    let key_idx = pairs
        .iter()
        .position(|(a, _)| ai::lookup(a).is_some_and(AiDef::is_dl_primary_key))?;
    let key = pairs[key_idx].clone();
    let seqs = ai::lookup(&key.0).and_then(|d| d.dl_key).unwrap_or(&[]);
    let present = |seq: &[&str]| {
        seq.iter()
            .filter(|q| pairs.iter().any(|(a, _)| a == *q))
            .count()
    };
    let mut best: &[&str] = seqs.first().copied().unwrap_or(&[]);
    for seq in seqs.iter().skip(1) {
        if present(seq) > present(best) {
            best = seq;
        }
    }
    let mut qualifiers = Vec::new();
    for q in best {
        if let Some(p) = pairs.iter().find(|(a, _)| a == q) {
            qualifiers.push(p.clone());
        }
    }
    let attributes = pairs
        .iter()
        .enumerate()
        .filter(|(i, (a, _))| *i != key_idx && !best.contains(&a.as_str()))
        .map(|(_, p)| p.clone())
        .collect();
    Some((key, (qualifiers, attributes)))
}

/// Digital Link 1.1 "convenience alphas": path aliases the standard once allowed in place
/// of numeric AIs (`/gtin/…/ser/…`). Later versions require numeric AIs; EPCIS documents
/// written against 1.1 still carry them.
pub const CONVENIENCE_ALPHAS: &[(&str, &str)] = &[
    ("gtin", "01"),
    ("sscc", "00"),
    ("gln", "414"),
    ("party", "417"),
    ("grai", "8003"),
    ("giai", "8004"),
    ("itip", "8006"),
    ("gsrn", "8018"),
    ("gsrnp", "8017"),
    ("gdti", "253"),
    ("ginc", "401"),
    ("gsin", "402"),
    ("cpid", "8010"),
    ("cpsn", "8011"),
    ("ser", "21"),
    ("lot", "10"),
    ("glnx", "254"),
];

/// Rewrites Digital Link 1.1 convenience alphas in the path to numeric AIs; `None` when the
/// URI has none (or is not `scheme://authority/path`). The result still needs [`DigitalLink::parse`].
pub fn expand_convenience_alphas(uri: &str) -> Option<String> {
    let scheme_end = uri.find("://")? + 3;
    let (head, rest) = uri.split_at(scheme_end);
    let (path, tail) = rest.split_at(rest.find(['?', '#']).unwrap_or(rest.len()));
    let mut changed = false;
    let segments: Vec<&str> = path
        .split('/')
        .enumerate()
        .map(
            |(i, seg)| match CONVENIENCE_ALPHAS.iter().find(|(a, _)| *a == seg) {
                Some((_, ai)) if i > 0 => {
                    changed = true;
                    *ai
                }
                _ => seg,
            },
        )
        .collect();
    changed.then(|| format!("{head}{}{tail}", segments.join("/")))
}

/// Is `uri` shaped like a GS1 Digital Link — `http(s)://` and somewhere in its path a GS1
/// primary-key AI followed by a non-empty value? A cheap test that tells "meant to be a
/// Digital Link, so validate it as one" from "some other web URI"; it does not validate.
pub fn looks_like_digital_link(uri: &str) -> bool {
    let Some(rest) = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))
    else {
        return false;
    };
    let path = rest.split(['?', '#']).next().unwrap_or("");
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    segments.windows(2).any(|w| {
        w[0].bytes().all(|b| b.is_ascii_digit())
            && ai::lookup(w[0]).is_some_and(|d| d.is_dl_primary_key())
            && w[1]
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric())
    })
}
