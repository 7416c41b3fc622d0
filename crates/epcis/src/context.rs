//! Bundled GS1 JSON-LD contexts (never fetched) and `@context` processing.

use serde_json::Value;

use crate::model::Namespaces;

/// Unversioned URL of the EPCIS 2.0 JSON-LD context.
pub const EPCIS_CONTEXT_URL: &str = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld";
/// Versioned URL of the EPCIS 2.0 JSON-LD context.
pub const EPCIS_CONTEXT_URL_V2: &str =
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// The bundled context files: (file name, content).
pub const BUNDLED: &[(&str, &str)] = &[
    (
        "epcis-context.jsonld",
        include_str!("../contexts/epcis-context-root.jsonld"),
    ),
    (
        "cbv-context-bizstep.jsonld",
        include_str!("../contexts/cbv-context-bizstep.jsonld"),
    ),
    (
        "cbv-context-biztransaction-type.jsonld",
        include_str!("../contexts/cbv-context-biztransaction-type.jsonld"),
    ),
    (
        "cbv-context-component.jsonld",
        include_str!("../contexts/cbv-context-component.jsonld"),
    ),
    (
        "cbv-context-disposition.jsonld",
        include_str!("../contexts/cbv-context-disposition.jsonld"),
    ),
    (
        "cbv-context-error-reason.jsonld",
        include_str!("../contexts/cbv-context-error-reason.jsonld"),
    ),
    (
        "cbv-context-sourcedest-type.jsonld",
        include_str!("../contexts/cbv-context-sourcedest-type.jsonld"),
    ),
    (
        "gs1-context-measurement-type.jsonld",
        include_str!("../contexts/gs1-context-measurement-type.jsonld"),
    ),
    (
        "gs1-context-sensor-alert-type.jsonld",
        include_str!("../contexts/gs1-context-sensor-alert-type.jsonld"),
    ),
];

/// Return the bundled content for a context URL (any of the known GS1 locations).
pub fn lookup(url: &str) -> Option<&'static str> {
    let name = url.rsplit('/').next()?;
    if !is_gs1_context_url(url) {
        return None;
    }
    BUNDLED.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// Is this one of the EPCIS 2.0 context URLs (unversioned, versioned, or the GitHub pages copy)?
pub fn is_epcis_context_url(url: &str) -> bool {
    let url = url.trim_end_matches('#');
    url == EPCIS_CONTEXT_URL
        || url == EPCIS_CONTEXT_URL_V2
        || url == "https://gs1.github.io/EPCIS/epcis-context.jsonld"
        || url == "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
        || url == "https://ref.gs1.org/epcis/epcis-context.jsonld"
        || url == "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
}

fn is_gs1_context_url(url: &str) -> bool {
    (url.starts_with("https://ref.gs1.org/") || url.starts_with("https://gs1.github.io/EPCIS/"))
        && url.ends_with(".jsonld")
}

/// Prefixes defined by the standard EPCIS context.
///
/// `cbvmda` is given its XML namespace `urn:epcglobal:cbv:mda` (the JSON-LD context says
/// `urn:epcglobal:cbv:mda:`): that is what the CBV 2.0 event hash uses for master-data
/// attributes when the document does not declare the prefix itself.
pub fn standard_namespaces() -> Namespaces {
    let mut ns = Namespaces::new();
    for (p, iri) in [
        ("epcis", "https://ref.gs1.org/epcis/"),
        ("cbv", "https://ref.gs1.org/cbv/"),
        ("cbvmda", "urn:epcglobal:cbv:mda"),
        ("gs1", "https://gs1.org/voc/"),
        ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
        ("owl", "http://www.w3.org/2002/07/owl#"),
        ("xsd", "http://www.w3.org/2001/XMLSchema#"),
        ("dcterms", "http://purl.org/dc/terms/"),
    ] {
        ns.insert(p.to_string(), iri.to_string());
    }
    ns
}

/// Outcome of reading an `@context` value.
#[derive(Debug, Default)]
pub struct ContextInfo {
    /// Whether an EPCIS context URL was present.
    pub has_epcis_context: bool,
    /// Problems (path relative to `@context`, message).
    pub problems: Vec<(String, String)>,
}

/// Add the prefixes of an `@context` value to `ns`.
pub fn read_context(ctx: &Value, ns: &mut Namespaces) -> ContextInfo {
    let mut info = ContextInfo::default();
    let items: Vec<(String, &Value)> = match ctx {
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("@context[{i}]"), v))
            .collect(),
        other => vec![("@context".to_string(), other)],
    };
    for (path, item) in items {
        match item {
            Value::String(url) => {
                if is_epcis_context_url(url) {
                    info.has_epcis_context = true;
                } else if lookup(url).is_none() {
                    info.problems.push((
                        path,
                        format!("unsupported remote context {url:?} (contexts are never fetched; declare namespaces inline)"),
                    ));
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    if k.starts_with('@') {
                        continue;
                    }
                    let iri = match v {
                        Value::String(s) => Some(s.clone()),
                        Value::Object(o) => {
                            o.get("@id").and_then(Value::as_str).map(str::to_string)
                        }
                        _ => None,
                    };
                    if let Some(iri) = iri {
                        ns.insert(k.clone(), iri);
                    }
                }
            }
            _ => info
                .problems
                .push((path, "must be a URL string or an object".to_string())),
        }
    }
    info
}

/// Split a key such as `example:myField` into (namespace IRI, local name).
pub fn resolve_key(key: &str, ns: &Namespaces) -> (Option<String>, String) {
    if let Some((prefix, local)) = key.split_once(':')
        && !local.starts_with("//")
    {
        if let Some(iri) = ns.get(prefix) {
            return (Some(iri.clone()), local.to_string());
        }
        return (None, local.to_string());
    }
    // absolute IRI: split at the last '#' or '/'
    match key.rfind(['#', '/']) {
        Some(i) if i + 1 < key.len() => (Some(key[..=i].to_string()), key[i + 1..].to_string()),
        _ => (None, key.to_string()),
    }
}
