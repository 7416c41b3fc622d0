//! Identifier checks and normalisation (EPC URNs, GS1 Digital Link, other URIs).

use gs1::DigitalLink;

/// Is `s` syntactically an absolute URI (scheme `:` something, no whitespace/controls)?
pub fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    first_ok
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !s.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
        })
}

/// Does `s` look like a GS1 Digital Link URI (see [`gs1::dl::looks_like_digital_link`])?
pub fn looks_like_digital_link(s: &str) -> bool {
    gs1::dl::looks_like_digital_link(s)
}

/// Validate an identifier used in an EPC field. EPC URNs must be valid EPC pure-identity /
/// class / pattern URIs, GS1 Digital Link URIs must be valid (check digits etc.), and any
/// other absolute URI is accepted.
pub fn check_identifier(s: &str) -> Result<(), String> {
    if !is_uri(s) {
        return Err(format!("{s:?} is not an absolute URI"));
    }
    if (s.starts_with("urn:epc:") || looks_like_digital_link(s)) && to_hash_canonical(s).is_some() {
        // converts to a canonical Digital Link, so it is a valid GS1 identifier
        return Ok(());
    }
    if s.starts_with("urn:epc:") {
        return check_epc_urn(s);
    }
    if looks_like_digital_link(s) {
        return DigitalLink::parse(s).map(|_| ()).map_err(|e| e.to_string());
    }
    Ok(())
}

fn check_epc_urn(s: &str) -> Result<(), String> {
    let rest = s.strip_prefix("urn:epc:").unwrap_or("");
    let (kind, body) = rest.split_once(':').unwrap_or((rest, ""));
    match kind {
        "id" | "class" | "idpat" => {}
        "raw" | "tag" | "pat" => return Ok(()),
        _ => return Err(format!("unknown EPC URN kind {kind:?}")),
    }
    let (scheme, value) = body.split_once(':').unwrap_or((body, ""));
    if scheme.is_empty() || value.is_empty() {
        return Err("incomplete EPC URN".into());
    }
    if kind == "idpat" {
        return Ok(());
    }
    if !GS1_CRATE_SCHEMES.contains(&scheme) {
        // other EPC schemes (cpi, sgcn, ginc, gsin, itip, upui, gid, ...): syntax only
        return Ok(());
    }
    gs1::epc::EpcUrn::parse(s)
        .and_then(|u| u.to_digital_link())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// EPC schemes the `gs1` crate converts.
const GS1_CRATE_SCHEMES: &[&str] = &[
    "sgtin", "sscc", "sgln", "grai", "giai", "gsrn", "gsrnp", "gdti", "sgcn", "lgtin", "cpi",
    "ginc", "gsin", "itip", "upui", "pgln",
];

/// Convert an EPC URN to a GS1 Digital Link URI via the `gs1` crate.
pub fn urn_to_dl(s: &str) -> Result<String, String> {
    gs1::epc::urn_to_digital_link(s).map_err(|e| e.to_string())
}

/// Normalise an identifier to the constrained canonical GS1 Digital Link form used by the
/// CBV 2.0 event hash: `https://id.gs1.org`, only the finest identification level, no query.
/// Returns `None` when `s` is not a GS1 identifier (EPC URN or Digital Link).
pub fn to_hash_canonical(s: &str) -> Option<String> {
    if !(s.starts_with("urn:epc:") || s.starts_with("http")) || s.len() > 2048 {
        return None;
    }
    CACHE.with(|c| {
        if let Some(hit) = c.borrow().get(s) {
            return hit.clone();
        }
        let v = compute_canonical(s);
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_MAX {
            c.clear();
        }
        c.insert(s.to_string(), v.clone());
        v
    })
}

const CACHE_MAX: usize = 16_384;

thread_local! {
    /// Memo of identifier → canonical form: validation and hashing of the same event (and
    /// repeated locations / transactions across a document) normalise each identifier once.
    static CACHE: std::cell::RefCell<std::collections::HashMap<String, Option<String>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

fn compute_canonical(s: &str) -> Option<String> {
    if s.starts_with("urn:epc:idpat:") {
        return gs1::epc::pattern_to_class_digital_link(s).ok();
    }
    let dl = if s.starts_with("urn:epc:") {
        gs1::epc::EpcUrn::parse(s).ok()?.to_digital_link().ok()?
    } else if looks_like_digital_link(s) {
        DigitalLink::parse(s).ok()?
    } else if let Some(numeric) =
        gs1::dl::expand_convenience_alphas(s).filter(|n| looks_like_digital_link(n))
    {
        DigitalLink::parse(&numeric).ok()?
    } else {
        return None;
    };
    Some(unescape_sub_delims(&constrained(&dl)))
}

/// The reference hash keeps RFC 3986 sub-delimiters `! ' ( ) *` literal in Digital Link
/// values; the `gs1` crate percent-encodes them.
fn unescape_sub_delims(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    s.replace("%21", "!")
        .replace("%27", "'")
        .replace("%28", "(")
        .replace("%29", ")")
        .replace("%2A", "*")
}

fn constrained(dl: &DigitalLink) -> String {
    let (ai, _) = dl.primary_key();
    let quals = dl.qualifiers();
    let keep: Vec<&str> = match ai {
        "01" => {
            if quals.iter().any(|(a, _)| *a == "21") {
                vec!["21"]
            } else if quals.iter().any(|(a, _)| *a == "10") {
                vec!["10"]
            } else if quals.iter().any(|(a, _)| *a == "235") {
                vec!["235"]
            } else {
                vec![]
            }
        }
        "414" => vec!["254", "7040"],
        "8006" => vec!["21", "10"],
        "8010" => vec!["8011"],
        _ => vec![],
    };
    if dl.attributes().is_empty() && quals.iter().all(|(a, _)| keep.contains(a)) {
        return dl.canonical_key_only();
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    let (k, v) = dl.primary_key();
    pairs.push((k.to_string(), v.to_string()));
    for (a, v) in quals {
        if keep.contains(&a) {
            pairs.push((a.to_string(), v.to_string()));
        }
    }
    match DigitalLink::from_pairs(&pairs) {
        Ok(c) => c.canonical(),
        Err(_) => dl.canonical_key_only(),
    }
}
