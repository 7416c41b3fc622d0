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

/// Does `s` look like a GS1 Digital Link URI (http(s) with a DL primary-key path segment)?
pub fn looks_like_digital_link(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    else {
        return false;
    };
    let path = rest.split(['?', '#']).next().unwrap_or("");
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    segs.windows(2).any(|w| {
        matches!(
            w[0],
            "01" | "00"
                | "414"
                | "417"
                | "8003"
                | "8004"
                | "8006"
                | "8010"
                | "8013"
                | "8017"
                | "8018"
                | "253"
                | "255"
                | "401"
                | "402"
                | "7040"
                | "8014"
        ) && !w[1].is_empty()
            && w[1]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
    })
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
    if scheme == "pgln" {
        return pgln_to_dl(value).map(|_| ());
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
    "sgtin", "sscc", "sgln", "grai", "giai", "gsrn", "gsrnp", "gdti", "lgtin", "cpi", "ginc",
    "gsin", "itip", "upui",
];

/// `urn:epc:id:pgln:CompanyPrefix.PartyRef` → `https://id.gs1.org/417/<GLN>`.
/// (Local fallback: the `gs1` crate does not cover PGLN yet.)
fn pgln_to_dl(value: &str) -> Result<String, String> {
    let (cp, party) = value
        .split_once('.')
        .ok_or_else(|| "PGLN must be CompanyPrefix.PartyRef".to_string())?;
    let digits = cp.len() + party.len();
    if !(6..=12).contains(&cp.len())
        || digits != 12
        || !cp.chars().chain(party.chars()).all(|c| c.is_ascii_digit())
    {
        return Err("PGLN must be 12 digits: company prefix (6-12) and party reference".into());
    }
    let body = format!("{cp}{party}");
    let cd = gs1::check_digit(&body).map_err(|e| e.to_string())?;
    Ok(format!("https://id.gs1.org/417/{body}{cd}"))
}

/// Convert an EPC URN to a GS1 Digital Link URI via the `gs1` crate.
pub fn urn_to_dl(s: &str) -> Result<String, String> {
    if let Some(v) = s.strip_prefix("urn:epc:id:pgln:") {
        return pgln_to_dl(v);
    }
    gs1_urn_to_digital_link(s)
}

fn gs1_urn_to_digital_link(s: &str) -> Result<String, String> {
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
        return idpat_to_dl(s);
    }
    if let Some(v) = s.strip_prefix("urn:epc:id:pgln:") {
        return pgln_to_dl(v).ok();
    }
    let dl = if s.starts_with("urn:epc:") {
        gs1::epc::EpcUrn::parse(s).ok()?.to_digital_link().ok()?
    } else if looks_like_digital_link(s) {
        DigitalLink::parse(s).ok()?
    } else if let Some(numeric) = de_alias(s) {
        DigitalLink::parse(&numeric).ok()?
    } else {
        return None;
    };
    Some(unescape_sub_delims(&constrained(&dl)))
}

/// Digital Link 1.1 alphabetic path aliases (`/gtin/…/ser/…`) → numeric AIs, if any.
fn de_alias(s: &str) -> Option<String> {
    let scheme_end = s.find("://")? + 3;
    let (head, rest) = s.split_at(scheme_end);
    let (path_part, query) = match rest.find(['?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let mut changed = false;
    let segs: Vec<&str> = path_part
        .split('/')
        .enumerate()
        .map(|(i, seg)| {
            if i == 0 {
                return seg;
            }
            let ai = match seg {
                "gtin" => "01",
                "sscc" => "00",
                "gln" => "414",
                "party" => "417",
                "grai" => "8003",
                "giai" => "8004",
                "itip" => "8006",
                "gsrn" => "8018",
                "gsrnp" => "8017",
                "gdti" => "253",
                "ginc" => "401",
                "gsin" => "402",
                "cpid" => "8010",
                "cpsn" => "8011",
                "ser" => "21",
                "lot" => "10",
                "glnx" => "254",
                _ => return seg,
            };
            changed = true;
            ai
        })
        .collect();
    let out = format!("{head}{}{query}", segs.join("/"));
    (changed && looks_like_digital_link(&out)).then_some(out)
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

/// `urn:epc:idpat:sgtin:4012345.012345.*` → `https://id.gs1.org/01/<gtin>` (and the like).
fn idpat_to_dl(s: &str) -> Option<String> {
    let rest = s.strip_prefix("urn:epc:idpat:")?;
    let (scheme, body) = rest.split_once(':')?;
    let fields: Vec<&str> = body.split('.').collect();
    let wild = fields.iter().position(|f| *f == "*")?;
    let concrete: Vec<&str> = fields[..wild].to_vec();
    let probe = match (scheme, concrete.as_slice()) {
        ("sgtin", [cp, item]) => format!("urn:epc:id:sgtin:{cp}.{item}.0"),
        ("grai", [cp, at]) => format!("urn:epc:id:grai:{cp}.{at}.0"),
        ("gdti", [cp, dt]) => format!("urn:epc:id:gdti:{cp}.{dt}.0"),
        ("sgcn", [cp, dt]) => format!("urn:epc:id:sgcn:{cp}.{dt}.0"),
        _ => return None,
    };
    let dl = DigitalLink::parse(&urn_to_dl(&probe).ok()?).ok()?;
    let (ai, v) = dl.primary_key();
    let v = match ai {
        // strip the probe serial that GDTI/GRAI/SGCN carry inside the key value
        "8003" => &v[..v.len().min(14)],
        "253" | "255" => &v[..v.len().min(13)],
        _ => v,
    };
    Some(format!("https://id.gs1.org/{ai}/{v}"))
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
