//! EPC pure-identity URNs (GS1 EPC Tag Data Standard 2.x) and their conversion to and
//! from GS1 element strings / GS1 Digital Link.
//!
//! Supported: `urn:epc:id:sgtin`, `sscc`, `sgln`, `grai`, `giai`, `gsrn`, `gsrnp`,
//! `gdti`, the class URN `urn:epc:class:lgtin` and the pattern `urn:epc:idpat:sgtin`.
//!
//! # The GS1 Company Prefix length
//!
//! A URN separates the GS1 Company Prefix from the rest of the key with a dot, so
//! URN → Digital Link needs nothing else. The reverse needs the length of the company
//! prefix inside the key, which cannot be derived from the key itself. A deployment gets
//! it from (a) its own registry: the company prefix a manufacturer was licensed and
//! registered with ppetrace (the normal case for identifiers ppetrace issued), or (b) the
//! GS1 Company Prefix length table published by GS1 (the "GCP length table", a list of
//! prefix → length ranges that GS1 Member Organisations maintain), or (c) the GS1
//! Registry Platform / Verified by GS1 look-up of the licence. This crate does no I/O,
//! so callers pass `company_prefix_len` explicitly.

use crate::ai;
use crate::check::{self, Charset};
use crate::dl::DigitalLink;
use crate::error::Gs1Error;
use crate::keys::check_cp_len;

type Pair = (String, String);

/// The EPC schemes supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `urn:epc:id:sgtin` — GTIN + serial, (01)+(21).
    Sgtin,
    /// `urn:epc:id:sscc` — (00).
    Sscc,
    /// `urn:epc:id:sgln` — GLN with optional extension, (414)[+(254)].
    Sgln,
    /// `urn:epc:id:grai` — (8003) with serial.
    Grai,
    /// `urn:epc:id:giai` — (8004).
    Giai,
    /// `urn:epc:id:gsrn` — GSRN recipient, (8018).
    Gsrn,
    /// `urn:epc:id:gsrnp` — GSRN provider, (8017).
    Gsrnp,
    /// `urn:epc:id:gdti` — (253) with serial.
    Gdti,
    /// `urn:epc:id:sgcn` — (255) with serial component.
    Sgcn,
    /// `urn:epc:id:itip` — (8006)+(21).
    Itip,
    /// `urn:epc:id:cpi` — (8010)+(8011).
    Cpi,
    /// `urn:epc:id:ginc` — (401).
    Ginc,
    /// `urn:epc:id:gsin` — (402).
    Gsin,
    /// `urn:epc:id:pgln` — (417).
    Pgln,
    /// `urn:epc:id:upui` — (01)+(235).
    Upui,
    /// `urn:epc:class:lgtin` — GTIN + lot, (01)+(10).
    Lgtin,
    /// `urn:epc:idpat:sgtin` — all SGTINs of a GTIN (or wider wildcards).
    SgtinPattern,
}

impl Scheme {
    /// The URN prefix, e.g. `urn:epc:id:sgtin:`.
    pub fn prefix(self) -> &'static str {
        match self {
            Scheme::Sgtin => "urn:epc:id:sgtin:",
            Scheme::Sscc => "urn:epc:id:sscc:",
            Scheme::Sgln => "urn:epc:id:sgln:",
            Scheme::Grai => "urn:epc:id:grai:",
            Scheme::Giai => "urn:epc:id:giai:",
            Scheme::Gsrn => "urn:epc:id:gsrn:",
            Scheme::Gsrnp => "urn:epc:id:gsrnp:",
            Scheme::Gdti => "urn:epc:id:gdti:",
            Scheme::Sgcn => "urn:epc:id:sgcn:",
            Scheme::Itip => "urn:epc:id:itip:",
            Scheme::Cpi => "urn:epc:id:cpi:",
            Scheme::Ginc => "urn:epc:id:ginc:",
            Scheme::Gsin => "urn:epc:id:gsin:",
            Scheme::Pgln => "urn:epc:id:pgln:",
            Scheme::Upui => "urn:epc:id:upui:",
            Scheme::Lgtin => "urn:epc:class:lgtin:",
            Scheme::SgtinPattern => "urn:epc:idpat:sgtin:",
        }
    }

    const ALL: [Scheme; 17] = [
        Scheme::Sgcn,
        Scheme::Itip,
        Scheme::Cpi,
        Scheme::Ginc,
        Scheme::Gsin,
        Scheme::Pgln,
        Scheme::Upui,
        Scheme::Sgtin,
        Scheme::Sscc,
        Scheme::Sgln,
        Scheme::Grai,
        Scheme::Giai,
        Scheme::Gsrn,
        Scheme::Gsrnp,
        Scheme::Gdti,
        Scheme::Lgtin,
        Scheme::SgtinPattern,
    ];
}

/// A parsed EPC URN.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EpcUrn {
    scheme: Scheme,
    /// Element-string pairs in Digital Link order (empty for `*.*.*` patterns).
    pairs: Vec<Pair>,
    /// Company prefix length (None only for a fully wildcarded pattern).
    company_prefix_len: Option<usize>,
}

impl EpcUrn {
    /// Parses an EPC URN (scheme names are matched case-insensitively).
    pub fn parse(urn: &str) -> Result<EpcUrn, Gs1Error> {
        let (scheme, body) = Scheme::ALL
            .iter()
            .find_map(|s| {
                let p = s.prefix();
                urn.get(..p.len())
                    .filter(|head| head.eq_ignore_ascii_case(p))
                    .map(|_| (*s, &urn[p.len()..]))
            })
            .ok_or_else(|| {
                Gs1Error::epc(
                    Some("scheme"),
                    "unsupported or malformed EPC URN prefix (supported: sgtin, sscc, sgln, grai, giai, gsrn, gsrnp, gdti, sgcn, itip, cpi, ginc, gsin, pgln, upui, class:lgtin, idpat:sgtin)",
                )
            })?;
        let want = match scheme {
            Scheme::Sscc
            | Scheme::Giai
            | Scheme::Gsrn
            | Scheme::Gsrnp
            | Scheme::Ginc
            | Scheme::Gsin
            | Scheme::Pgln => 2,
            Scheme::Itip => 5,
            _ => 3,
        };
        // The last component (serial, extension, asset reference) may contain dots.
        let parts: Vec<&str> = body.splitn(want, '.').collect();
        if parts.len() != want {
            return Err(Gs1Error::epc(
                None,
                format!(
                    "{} expects {want} dot-separated components, got {}",
                    scheme.prefix().trim_end_matches(':'),
                    parts.len()
                ),
            ));
        }
        if scheme == Scheme::SgtinPattern {
            return parse_pattern(&parts);
        }
        let cp = parts[0];
        digits("company prefix", cp)?;
        cp_len_ok(cp.len())?;
        let cpl = cp.len();
        let total = |name: &str, part: &str, len: usize| -> Result<(), Gs1Error> {
            digits(name, part)?;
            if cp.len() + part.len() == len {
                Ok(())
            } else {
                Err(Gs1Error::epc(
                    Some(name),
                    format!(
                        "company prefix and {name} must have {len} digits together, got {}",
                        cp.len() + part.len()
                    ),
                ))
            }
        };
        let mut pairs: Vec<Pair> = Vec::with_capacity(2);
        match scheme {
            Scheme::Sgtin | Scheme::Lgtin => {
                let item = parts[1];
                total("item reference", item, 13)?;
                let body = format!("{}{}{}", &item[..1], cp, &item[1..]);
                pairs.push(("01".into(), check::with_check_digit(&body)?));
                let (ai, field) = if scheme == Scheme::Sgtin {
                    ("21", "serial")
                } else {
                    ("10", "lot")
                };
                pairs.push((ai.into(), unescape(field, ai, parts[2], Charset::Cset82)?));
            }
            Scheme::Sscc => {
                let serial = parts[1];
                total("serial reference", serial, 17)?;
                let body = format!("{}{}{}", &serial[..1], cp, &serial[1..]);
                pairs.push(("00".into(), check::with_check_digit(&body)?));
            }
            Scheme::Sgln => {
                total("location reference", parts[1], 12)?;
                pairs.push((
                    "414".into(),
                    check::with_check_digit(&format!("{cp}{}", parts[1]))?,
                ));
                let ext = unescape("extension", "254", parts[2], Charset::Cset82)?;
                if ext != "0" {
                    pairs.push(("254".into(), ext));
                }
            }
            Scheme::Grai | Scheme::Gdti => {
                total(
                    if scheme == Scheme::Grai {
                        "asset type"
                    } else {
                        "document type"
                    },
                    parts[1],
                    12,
                )?;
                let key = check::with_check_digit(&format!("{cp}{}", parts[1]))?;
                let ai = if scheme == Scheme::Grai {
                    "8003"
                } else {
                    "253"
                };
                let serial = unescape("serial", ai, parts[2], Charset::Cset82)?;
                let value = if scheme == Scheme::Grai {
                    format!("0{key}{serial}")
                } else {
                    format!("{key}{serial}")
                };
                pairs.push((ai.into(), value));
            }
            Scheme::Giai => {
                let reference = unescape("asset reference", "8004", parts[1], Charset::Cset82)?;
                pairs.push(("8004".into(), format!("{cp}{reference}")));
            }
            Scheme::Gsrn | Scheme::Gsrnp => {
                total("service reference", parts[1], 17)?;
                let ai = if scheme == Scheme::Gsrn {
                    "8018"
                } else {
                    "8017"
                };
                pairs.push((
                    ai.into(),
                    check::with_check_digit(&format!("{cp}{}", parts[1]))?,
                ));
            }
            Scheme::Upui | Scheme::Itip => {
                let item = parts[1];
                total("item reference", item, 13)?;
                let gtin = check::with_check_digit(&format!("{}{}{}", &item[..1], cp, &item[1..]))?;
                if scheme == Scheme::Upui {
                    pairs.push(("01".into(), gtin));
                    pairs.push((
                        "235".into(),
                        unescape("TPX", "235", parts[2], Charset::Cset82)?,
                    ));
                } else {
                    let (piece, count) = (parts[2], parts[3]);
                    if piece.len() != 2 || count.len() != 2 {
                        return Err(Gs1Error::epc(
                            Some("piece"),
                            "piece and total must be 2 digits each",
                        ));
                    }
                    digits("piece", piece)?;
                    digits("total", count)?;
                    pairs.push(("8006".into(), format!("{gtin}{piece}{count}")));
                    pairs.push((
                        "21".into(),
                        unescape("serial", "21", parts[4], Charset::Cset82)?,
                    ));
                }
            }
            Scheme::Cpi => {
                let reference = if parts[1].is_empty() {
                    String::new()
                } else {
                    unescape(
                        "component/part reference",
                        "8010",
                        parts[1],
                        Charset::Cset39,
                    )?
                };
                pairs.push(("8010".into(), format!("{cp}{reference}")));
                digits("serial", parts[2])?;
                pairs.push(("8011".into(), parts[2].to_owned()));
            }
            Scheme::Sgcn => {
                total("coupon reference", parts[1], 12)?;
                digits("serial", parts[2])?;
                if parts[2].is_empty() {
                    return Err(Gs1Error::epc(Some("serial"), "empty component"));
                }
                let key = check::with_check_digit(&format!("{cp}{}", parts[1]))?;
                pairs.push(("255".into(), format!("{key}{}", parts[2])));
            }
            Scheme::Ginc => {
                let reference =
                    unescape("consignment reference", "401", parts[1], Charset::Cset82)?;
                pairs.push(("401".into(), format!("{cp}{reference}")));
            }
            Scheme::Gsin => {
                total("shipper reference", parts[1], 16)?;
                pairs.push((
                    "402".into(),
                    check::with_check_digit(&format!("{cp}{}", parts[1]))?,
                ));
            }
            Scheme::Pgln => {
                total("party reference", parts[1], 12)?;
                pairs.push((
                    "417".into(),
                    check::with_check_digit(&format!("{cp}{}", parts[1]))?,
                ));
            }
            Scheme::SgtinPattern => {}
        }
        for (a, v) in &pairs {
            ai::validate_value(a, v)?;
        }
        Ok(EpcUrn {
            scheme,
            pairs,
            company_prefix_len: Some(cpl),
        })
    }

    /// Builds the URN of the identifier in `pairs` (element-string pairs, any order).
    ///
    /// The scheme follows the primary key: (01)+(21) → sgtin; (01)+(10) → lgtin; (01)
    /// alone → `idpat:sgtin:<cp>.<item>.*`; (00) → sscc; (414)[+(254)] → sgln; (8003)
    /// with serial → grai; (8004) → giai; (8018) → gsrn; (8017) → gsrnp; (253) with
    /// serial → gdti. Other AIs (lot with a serial, dates, ...) are not part of an EPC.
    pub fn from_pairs(pairs: &[Pair], company_prefix_len: usize) -> Result<EpcUrn, Gs1Error> {
        let get = |ai: &str| pairs.iter().find(|(a, _)| a == ai).map(|(_, v)| v.as_str());
        let cpl = company_prefix_len;
        let mut out = Vec::with_capacity(2);
        let scheme = if let Some(gtin) = get("01") {
            out.push(("01".to_owned(), gtin.to_owned()));
            if let Some(tpx) = get("235") {
                out.push(("235".to_owned(), tpx.to_owned()));
                Scheme::Upui
            } else if let Some(serial) = get("21") {
                out.push(("21".to_owned(), serial.to_owned()));
                Scheme::Sgtin
            } else if let Some(lot) = get("10") {
                out.push(("10".to_owned(), lot.to_owned()));
                Scheme::Lgtin
            } else {
                Scheme::SgtinPattern
            }
        } else if let Some(v) = get("00") {
            out.push(("00".to_owned(), v.to_owned()));
            Scheme::Sscc
        } else if let Some(v) = get("414") {
            out.push(("414".to_owned(), v.to_owned()));
            if let Some(ext) = get("254") {
                out.push(("254".to_owned(), ext.to_owned()));
            }
            Scheme::Sgln
        } else if let Some(v) = get("8003") {
            out.push(("8003".to_owned(), v.to_owned()));
            Scheme::Grai
        } else if let Some(v) = get("8004") {
            out.push(("8004".to_owned(), v.to_owned()));
            Scheme::Giai
        } else if let Some(v) = get("8018") {
            out.push(("8018".to_owned(), v.to_owned()));
            Scheme::Gsrn
        } else if let Some(v) = get("8017") {
            out.push(("8017".to_owned(), v.to_owned()));
            Scheme::Gsrnp
        } else if let Some(v) = get("253") {
            out.push(("253".to_owned(), v.to_owned()));
            Scheme::Gdti
        } else if let Some(v) = get("8006") {
            out.push(("8006".to_owned(), v.to_owned()));
            let serial = get("21").ok_or_else(|| {
                Gs1Error::epc(Some("21"), "(8006) without a serial (21) has no EPC URN")
            })?;
            out.push(("21".to_owned(), serial.to_owned()));
            Scheme::Itip
        } else if let Some(v) = get("8010") {
            out.push(("8010".to_owned(), v.to_owned()));
            let serial = get("8011").ok_or_else(|| {
                Gs1Error::epc(
                    Some("8011"),
                    "(8010) without a serial (8011) has no EPC URN",
                )
            })?;
            out.push(("8011".to_owned(), serial.to_owned()));
            Scheme::Cpi
        } else if let Some(v) = get("255") {
            out.push(("255".to_owned(), v.to_owned()));
            Scheme::Sgcn
        } else if let Some(v) = get("401") {
            out.push(("401".to_owned(), v.to_owned()));
            Scheme::Ginc
        } else if let Some(v) = get("402") {
            out.push(("402".to_owned(), v.to_owned()));
            Scheme::Gsin
        } else if let Some(v) = get("417") {
            out.push(("417".to_owned(), v.to_owned()));
            Scheme::Pgln
        } else {
            return Err(Gs1Error::epc(
                None,
                "no GS1 key with an EPC URN form (01, 00, 414, 8003, 8004, 8017, 8018, 253, 8006, 8010, 255, 401, 402, 417)",
            ));
        };
        for (a, v) in &out {
            ai::validate_value(a, v)?;
        }
        check_cp_len(cpl, 12)?;
        let urn = EpcUrn {
            scheme,
            pairs: out,
            company_prefix_len: Some(cpl),
        };
        // Validate that the URN can be written (e.g. GRAI/GDTI need a serial).
        urn.try_to_urn()?;
        Ok(urn)
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The GS1 Company Prefix length (None for `urn:epc:idpat:sgtin:*.*.*`).
    pub fn company_prefix_len(&self) -> Option<usize> {
        self.company_prefix_len
    }

    /// The element-string pairs in Digital Link order (primary key first).
    pub fn pairs(&self) -> &[Pair] {
        &self.pairs
    }

    /// The Digital Link of this EPC (None for wildcard patterns without a GTIN).
    pub fn to_digital_link(&self) -> Result<DigitalLink, Gs1Error> {
        if self.pairs.is_empty() {
            return Err(Gs1Error::epc(
                None,
                "a pattern without a GTIN has no Digital Link form",
            ));
        }
        DigitalLink::from_pairs(&self.pairs)
    }

    /// The canonical URN text.
    pub fn to_urn(&self) -> String {
        self.try_to_urn().unwrap_or_default()
    }

    fn try_to_urn(&self) -> Result<String, Gs1Error> {
        let get = |ai: &str| {
            self.pairs
                .iter()
                .find(|(a, _)| a == ai)
                .map(|(_, v)| v.as_str())
        };
        let mut out = String::from(self.scheme.prefix());
        let Some(cpl) = self.company_prefix_len else {
            out.push_str("*.*.*");
            return Ok(out);
        };
        let need =
            |ai: &str| get(ai).ok_or_else(|| Gs1Error::epc(Some(ai), format!("({ai}) is missing")));
        // Splits a numeric key body (without check digit) at the company prefix; `lead`
        // is the number of leading digits (indicator / extension) moved after the dot.
        let split = |key: &str, lead: usize, body_len: usize| -> Result<String, Gs1Error> {
            let body = key.get(..body_len).unwrap_or("");
            if body.len() != body_len || cpl + lead > body_len {
                return Err(Gs1Error::epc(
                    Some("company prefix"),
                    "company prefix too long",
                ));
            }
            Ok(format!(
                "{}.{}{}",
                &body[lead..lead + cpl],
                &body[..lead],
                &body[lead + cpl..]
            ))
        };
        match self.scheme {
            Scheme::Sgtin | Scheme::Lgtin | Scheme::SgtinPattern => {
                out.push_str(&split(need("01")?, 1, 13)?);
                out.push('.');
                match self.scheme {
                    Scheme::Sgtin => out.push_str(&escape(need("21")?)),
                    Scheme::Lgtin => out.push_str(&escape(need("10")?)),
                    _ => out.push('*'),
                }
            }
            Scheme::Sscc => out.push_str(&split(need("00")?, 1, 17)?),
            Scheme::Sgln => {
                out.push_str(&split(need("414")?, 0, 12)?);
                out.push('.');
                out.push_str(&escape(get("254").unwrap_or("0")));
            }
            Scheme::Grai | Scheme::Gdti => {
                let (ai, offset) = if self.scheme == Scheme::Grai {
                    ("8003", 1)
                } else {
                    ("253", 0)
                };
                let v = need(ai)?;
                let key = v.get(offset..offset + 13).unwrap_or("");
                let serial = v.get(offset + 13..).unwrap_or("");
                if serial.is_empty() {
                    return Err(Gs1Error::epc(
                        Some(ai),
                        format!("({ai}) without a serial component has no EPC URN"),
                    ));
                }
                out.push_str(&split(key, 0, 12)?);
                out.push('.');
                out.push_str(&escape(serial));
            }
            Scheme::Giai => {
                let v = need("8004")?;
                let cp = v.get(..cpl).unwrap_or("");
                if cp.len() != cpl || !cp.bytes().all(|b| b.is_ascii_digit()) || v.len() <= cpl {
                    return Err(Gs1Error::epc(
                        Some("company prefix"),
                        "GIAI must start with the company prefix digits and have an asset reference",
                    ));
                }
                out.push_str(cp);
                out.push('.');
                out.push_str(&escape(&v[cpl..]));
            }
            Scheme::Gsrn | Scheme::Gsrnp => {
                let ai = if self.scheme == Scheme::Gsrn {
                    "8018"
                } else {
                    "8017"
                };
                out.push_str(&split(need(ai)?, 0, 17)?);
            }
            Scheme::Upui => {
                out.push_str(&split(need("01")?, 1, 13)?);
                out.push('.');
                out.push_str(&escape(need("235")?));
            }
            Scheme::Itip => {
                let v = need("8006")?;
                out.push_str(&split(v, 1, 13)?);
                out.push('.');
                out.push_str(v.get(14..16).unwrap_or(""));
                out.push('.');
                out.push_str(v.get(16..18).unwrap_or(""));
                out.push('.');
                out.push_str(&escape(need("21")?));
            }
            Scheme::Cpi => {
                let v = need("8010")?;
                let cp = v.get(..cpl).unwrap_or("");
                if cp.len() != cpl || !cp.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Gs1Error::epc(
                        Some("company prefix"),
                        "CPID must start with the company prefix digits",
                    ));
                }
                out.push_str(cp);
                out.push('.');
                out.push_str(&escape(&v[cpl..]));
                out.push('.');
                out.push_str(need("8011")?);
            }
            Scheme::Sgcn => {
                let v = need("255")?;
                let serial = v.get(13..).unwrap_or("");
                if serial.is_empty() {
                    return Err(Gs1Error::epc(
                        Some("255"),
                        "(255) without a serial component has no EPC URN",
                    ));
                }
                out.push_str(&split(v, 0, 12)?);
                out.push('.');
                out.push_str(serial);
            }
            Scheme::Ginc => {
                let v = need("401")?;
                let cp = v.get(..cpl).unwrap_or("");
                if cp.len() != cpl || !cp.bytes().all(|b| b.is_ascii_digit()) || v.len() <= cpl {
                    return Err(Gs1Error::epc(
                        Some("company prefix"),
                        "GINC must start with the company prefix digits and have a reference",
                    ));
                }
                out.push_str(cp);
                out.push('.');
                out.push_str(&escape(&v[cpl..]));
            }
            Scheme::Gsin => out.push_str(&split(need("402")?, 0, 16)?),
            Scheme::Pgln => out.push_str(&split(need("417")?, 0, 12)?),
        }
        Ok(out)
    }
}

impl std::fmt::Display for EpcUrn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_urn())
    }
}

impl std::str::FromStr for EpcUrn {
    type Err = Gs1Error;
    fn from_str(s: &str) -> Result<Self, Gs1Error> {
        EpcUrn::parse(s)
    }
}

fn parse_pattern(parts: &[&str]) -> Result<EpcUrn, Gs1Error> {
    match parts {
        ["*", "*", "*"] => Ok(EpcUrn {
            scheme: Scheme::SgtinPattern,
            pairs: Vec::new(),
            company_prefix_len: None,
        }),
        [cp, item, "*"] if *item != "*" && *cp != "*" => {
            digits("company prefix", cp)?;
            digits("item reference", item)?;
            cp_len_ok(cp.len())?;
            if cp.len() + item.len() != 13 {
                return Err(Gs1Error::epc(
                    Some("item reference"),
                    "company prefix and item reference must have 13 digits together",
                ));
            }
            let body = format!("{}{}{}", &item[..1], cp, &item[1..]);
            Ok(EpcUrn {
                scheme: Scheme::SgtinPattern,
                pairs: vec![("01".into(), check::with_check_digit(&body)?)],
                company_prefix_len: Some(cp.len()),
            })
        }
        _ => Err(Gs1Error::epc(
            None,
            "supported sgtin patterns are <cp>.<item>.* and *.*.*",
        )),
    }
}

fn cp_len_ok(len: usize) -> Result<(), Gs1Error> {
    check_cp_len(len, 12).map_err(|_| {
        Gs1Error::epc(
            Some("company prefix"),
            format!("company prefix length must be 6 to 12, got {len}"),
        )
    })
}

fn digits(field: &str, s: &str) -> Result<(), Gs1Error> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Gs1Error::epc(Some(field), "must be all digits"))
    }
}

/// Characters that must be %-escaped in URN serial-like components (TDS §6.3).
const ESCAPED: &[u8] = b"\"#%&/<>?";

/// Escapes a value for a URN component: `"#%&/<>?` become `%22 %23 %25 %26 %2F %3C %3E %3F`
/// (`#` only occurs in CSET 39 component/part references).
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_ascii() && ESCAPED.contains(&(c as u8)) {
            out.push_str(&format!("%{:02X}", c as u8));
        } else {
            out.push(c);
        }
    }
    out
}

/// Unescapes a URN component (AI `ai` names the field for errors); the result must be
/// GS1 CSET 82, unescaped characters must be allowed raw in a URN.
fn unescape(field: &str, ai: &str, s: &str, charset: Charset) -> Result<String, Gs1Error> {
    if s.is_empty() {
        return Err(Gs1Error::epc(Some(field), "empty component"));
    }
    let raw_ok = |b: u8| b.is_ascii_alphanumeric() || b"-_.:;=!'()*+,".contains(&b);
    let decoded = crate::pct::decode(s, raw_ok).map_err(|r| Gs1Error::epc(Some(field), r))?;
    charset
        .check(ai, &decoded)
        .map_err(|e| Gs1Error::epc(Some(field), e.to_string()))?;
    Ok(decoded)
}

/// Converts an EPC URN to its canonical GS1 Digital Link URI (`https://id.gs1.org/...`).
pub fn urn_to_digital_link(urn: &str) -> Result<String, Gs1Error> {
    Ok(EpcUrn::parse(urn)?.to_digital_link()?.canonical())
}

/// Converts a GS1 Digital Link URI (any domain) to an EPC URN, given the GS1 Company
/// Prefix length (see the module docs for where to get it).
pub fn digital_link_to_urn(uri: &str, company_prefix_len: usize) -> Result<String, Gs1Error> {
    let dl = DigitalLink::parse(uri)?;
    let pairs: Vec<Pair> = dl
        .pairs()
        .map(|(a, v)| (a.to_owned(), v.to_owned()))
        .collect();
    EpcUrn::from_pairs(&pairs, company_prefix_len)?.try_to_urn()
}

/// Converts an EPC URN to a bracketed element string, e.g. `(01)80614141123458(21)400`.
pub fn urn_to_element_string(urn: &str) -> Result<String, Gs1Error> {
    let u = EpcUrn::parse(urn)?;
    Ok(crate::element::to_bracketed(
        u.pairs.iter().map(|(a, v)| (a.as_str(), v.as_str())),
    ))
}

/// Converts a bracketed element string to an EPC URN, given the company prefix length.
pub fn element_string_to_urn(
    element_string: &str,
    company_prefix_len: usize,
) -> Result<String, Gs1Error> {
    let pairs = crate::element::parse_bracketed(element_string)?;
    EpcUrn::from_pairs(&pairs, company_prefix_len)?.try_to_urn()
}

/// The class-level canonical Digital Link of an EPC pattern URN whose wildcard stands for
/// the serial part: `urn:epc:idpat:sgtin:4012345.012345.*` → `https://id.gs1.org/01/04012345123456`,
/// and likewise for `grai`, `gdti` and `sgcn` (the key without its serial component).
/// Patterns wider than one class (wildcard before the serial) have no such form.
pub fn pattern_to_class_digital_link(urn: &str) -> Result<String, Gs1Error> {
    let bad = |why: &str| Gs1Error::epc(None, why.to_string());
    let rest = urn
        .strip_prefix("urn:epc:idpat:")
        .ok_or_else(|| bad("not an EPC pattern URN (urn:epc:idpat:…)"))?;
    let (scheme, body) = rest
        .split_once(':')
        .ok_or_else(|| bad("pattern URN has no scheme"))?;
    let fields: Vec<&str> = body.split('.').collect();
    let (cp, class, serial) = match fields.as_slice() {
        [cp, class, serial] => (*cp, *class, *serial),
        _ => return Err(bad("pattern must have three dot-separated fields")),
    };
    if serial != "*" || cp == "*" || class == "*" {
        return Err(bad("only a wildcard serial names one class"));
    }
    // Probe with serial "0", then drop the serial from the key value.
    let probe = format!("urn:epc:id:{scheme}:{cp}.{class}.0");
    let dl = match scheme {
        "sgtin" | "grai" | "gdti" | "sgcn" => EpcUrn::parse(&probe)?.to_digital_link()?,
        _ => return Err(bad("class patterns exist for sgtin, grai, gdti and sgcn")),
    };
    let (ai, value) = dl.primary_key();
    let value = match ai {
        "8003" => &value[..value.len().min(14)],
        "253" | "255" => &value[..value.len().min(13)],
        _ => value,
    };
    Ok(format!("{}/{ai}/{value}", crate::dl::CANONICAL_BASE))
}
