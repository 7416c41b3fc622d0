//! EPCIS 2.0 repository services: capture (documents as durable jobs, single
//! events), queries evaluated in SQL with the reference evaluator as the final word,
//! named queries, and aggregation-aware traceability ([`trace`]).
//!
//! Invariants: every stored event is validated (`epcis` crate), carries its CBV 2.0
//! hash (de-duplication key; a supplied eventID is kept), is indexed with normalised
//! identifiers (URN and Digital Link forms match) and has its own log entry, written
//! in the same transaction. A capture job stores all of a document or (with
//! `proceed`) all its valid, non-duplicate events, in one transaction.

pub mod capture;
pub mod query;
pub mod trace;

use chrono::{DateTime, Utc};
use domain::authz::Actor;
use domain::log_entry::LogEntry;
use domain::org::Role;
use serde_json::Value;

use crate::{App, AppError};

/// Largest number of events in one captured document (`GS1-EPCIS-Capture-Limit`).
pub const CAPTURE_LIMIT: usize = 10_000;
/// Largest captured document in bytes (`GS1-EPCIS-Capture-File-Size-Limit`).
pub const CAPTURE_FILE_SIZE_LIMIT: usize = 16 << 20;
/// Page size when `perPage` is absent, and the largest allowed.
pub const DEFAULT_PER_PAGE: u64 = 100;
pub const MAX_PER_PAGE: u64 = 10_000;

/// Failures of the EPCIS services, mapped by the HTTP layer onto the binding's
/// `EPCISException` types.
#[derive(Debug, thiserror::Error)]
pub enum EpcisFailure {
    #[error(transparent)]
    App(#[from] AppError),
    /// A query parameter is unknown, repeated or malformed (`QueryParameterException`).
    #[error("query parameter {name}: {message}")]
    Parameter { name: String, message: String },
    /// The document or event is invalid (`ValidationException`); names event and field.
    #[error("{0}")]
    Validation(String),
    /// The query would return more than `maxEventCount` (`QueryTooLargeException`).
    #[error("{0}")]
    TooLarge(String),
    /// The capture exceeds a limit (`CaptureLimitExceededException`).
    #[error("{0}")]
    CaptureLimit(String),
    /// An identical event is already stored.
    #[error("{0}")]
    Duplicate(String),
    /// The resource (event, query, job) does not exist (`NoSuchResourceException`).
    #[error("{0}")]
    NoSuchResource(String),
}

impl From<store::StoreError> for EpcisFailure {
    fn from(e: store::StoreError) -> Self {
        EpcisFailure::App(e.into())
    }
}

impl From<epcis::EpcisError> for EpcisFailure {
    fn from(e: epcis::EpcisError) -> Self {
        match e {
            epcis::EpcisError::Query { name, message } => EpcisFailure::Parameter { name, message },
            other => EpcisFailure::Validation(other.to_string()),
        }
    }
}

pub type EResult<T> = std::result::Result<T, EpcisFailure>;

/// May this actor capture events? Any organization with a supply-chain role, or an admin.
pub fn may_capture(actor: &Actor) -> std::result::Result<(), AppError> {
    if actor.admin || !actor.roles.is_empty() {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "the organization has no supply-chain role".into(),
        ))
    }
}

/// Query keys of an event: normalised identifiers by role, plus company-prefix keys.
pub fn index_keys(ev: &epcis::Event) -> Vec<(String, String)> {
    use epcis::query::normalise_id;
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut add = |role: &str, id: &str| {
        let n = normalise_id(id);
        if let Some(cp) = company_key(&n) {
            keys.push(("cp".into(), cp));
        }
        keys.push((role.to_string(), n));
    };
    for e in ev.epc_list.iter().flatten() {
        add("epc", e);
    }
    for e in ev.child_epcs.iter().flatten() {
        add("child", e);
    }
    if let Some(p) = &ev.parent_id {
        add("parent", p);
    }
    for e in ev.input_epc_list.iter().flatten() {
        add("input", e);
    }
    for e in ev.output_epc_list.iter().flatten() {
        add("output", e);
    }
    for q in ev.quantity_list.iter().flatten() {
        add("class", &q.epc_class);
    }
    for q in ev.child_quantity_list.iter().flatten() {
        add("class", &q.epc_class);
    }
    for q in ev.input_quantity_list.iter().flatten() {
        add("inclass", &q.epc_class);
    }
    for q in ev.output_quantity_list.iter().flatten() {
        add("outclass", &q.epc_class);
    }
    // Lot membership: Digital Links that carry a lot (`/01/…/10/…/21/…`) and the
    // `lotNumber` of an ILMD name the lot class (`lot` key) of the event.
    let mut gtins: Vec<String> = Vec::new();
    for id in ev
        .epc_list
        .iter()
        .flatten()
        .chain(ev.child_epcs.iter().flatten())
    {
        if let Ok(data) = gs1::parse_any(id)
            && let Some(g) = data.get("01")
        {
            if let Some(lot) = data.get("10") {
                keys.push(("lot".into(), lgtin_key(g, lot)));
            }
            gtins.push(g.to_string());
        }
    }
    let lot_number = ev
        .ilmd
        .iter()
        .flatten()
        .find(|x| x.local == "lotNumber")
        .and_then(|x| x.value.as_str());
    if let Some(lot) = lot_number {
        for g in &gtins {
            keys.push(("lot".into(), lgtin_key(g, lot)));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// The canonical key of a lot (the LGTIN class as a canonical Digital Link).
pub fn lgtin_key(gtin: &str, lot: &str) -> String {
    let mut g = gtin.to_string();
    while g.len() < 14 {
        g.insert(0, '0');
    }
    let enc: String = lot
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._~".contains(c) {
                c.to_string()
            } else {
                let mut b = [0u8; 4];
                c.encode_utf8(&mut b)
                    .bytes()
                    .map(|x| format!("%{x:02X}"))
                    .collect()
            }
        })
        .collect();
    epcis::query::normalise_id(&format!("https://id.gs1.org/01/{g}/10/{enc}"))
}

/// The company-prefix key of a canonical Digital Link: the GTIN without its
/// indicator digit, the SSCC without its extension digit, or the GLN.
pub fn company_key(canonical: &str) -> Option<String> {
    let path = canonical.strip_prefix("https://id.gs1.org/")?;
    let mut it = path.split('/');
    let ai = it.next()?;
    let v = it.next()?;
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match (ai, v.len()) {
        ("01", 14) | ("00", 18) => Some(v[1..].to_string()),
        ("414", 13) | ("417", 13) => Some(v.to_string()),
        _ => None,
    }
}

/// The row and index of one validated event as stored; `body` is its JSON-LD
/// (with `eventID` and `recordTime`).
pub fn stored_form(
    ev: &epcis::Event,
    owner_org_id: Option<i64>,
    record_time: DateTime<Utc>,
    epcs: Vec<String>,
) -> std::result::Result<(store::NewEvent, store::EventIndex, Value), AppError> {
    use epcis::query::normalise_vocab;
    use epcis::vocab::Vocab;
    let hash = epcis::event_hash(ev);
    let event_id = ev.event_id.clone().unwrap_or_else(|| hash.clone());
    let mut body = epcis::event_to_jsonld(ev);
    if let Value::Object(m) = &mut body {
        m.insert("eventID".into(), Value::String(event_id.clone()));
        m.insert(
            "recordTime".into(),
            Value::String(record_time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
    }
    let event_time = ev
        .event_time_utc()
        .ok_or_else(|| AppError::invalid("eventTime", "not an RFC 3339 time"))?;
    let keys = index_keys(ev);
    let epcs = if epcs.is_empty() {
        keys.iter()
            .filter(|(r, _)| r != "cp")
            .map(|(_, v)| v.clone())
            .collect()
    } else {
        epcs
    };
    let new = store::NewEvent {
        event_id,
        event_type: ev.event_type.as_str().to_string(),
        event_time,
        record_time,
        action: ev.action.map(|a| a.as_str().to_string()),
        biz_step: ev
            .biz_step
            .as_deref()
            .map(|s| normalise_vocab(s, Vocab::BizStep)),
        disposition: ev
            .disposition
            .as_deref()
            .map(|s| normalise_vocab(s, Vocab::Disposition)),
        read_point: ev
            .read_point
            .as_ref()
            .map(|l| epcis::query::normalise_id(&l.id)),
        biz_location: ev
            .biz_location
            .as_ref()
            .map(|l| epcis::query::normalise_id(&l.id)),
        owner_org_id,
        epcs,
        body: domain::log_entry::canonical_json(&body),
    };
    let index = store::EventIndex {
        event_hash: hash,
        error_declared: ev.error_declaration.is_some(),
        keys,
    };
    Ok((new, index, body))
}

/// The log entry of one captured event: the hash of its canonical JSON, given
/// as the stored body (`NewEvent::body`, already `canonical_json` of the
/// event's JSON-LD, so it is not serialised a second time).
pub fn event_log_entry(
    actor: &Actor,
    at: DateTime<Utc>,
    event_id: &str,
    hash: &str,
    canonical_body: &str,
) -> LogEntry {
    let mut ids = vec![("event".to_string(), event_id.to_string())];
    if hash != event_id {
        ids.push(("hash".to_string(), hash.to_string()));
    }
    LogEntry {
        kind: "epcis.event".into(),
        time: at,
        actor: actor.label(),
        ids,
        record_sha256: domain::log_entry::sha256(canonical_body.as_bytes()),
    }
}

/// Which events an actor may read: `None` = all (regulators, admins).
pub async fn visibility(
    app: &App,
    actor: &Actor,
) -> std::result::Result<Option<store::Visibility>, AppError> {
    if actor.admin || actor.has_role(Role::Regulator) {
        return Ok(None);
    }
    let prefixes = app
        .store
        .get_org(actor.org_id)
        .await?
        .map(|o| o.company_prefixes)
        .unwrap_or_default();
    Ok(Some(store::Visibility {
        org_id: actor.org_id,
        company_prefixes: prefixes,
    }))
}

/// Query keys and normalised vocabulary for a platform lifecycle event, so that it
/// is found by the same queries as captured events.
pub fn lifecycle_index(
    mut new: store::NewEvent,
    ev: &epcis::Event,
) -> (store::NewEvent, store::EventIndex) {
    use epcis::query::{normalise_id, normalise_vocab};
    use epcis::vocab::Vocab;
    new.biz_step = new.biz_step.map(|s| normalise_vocab(&s, Vocab::BizStep));
    new.disposition = new
        .disposition
        .map(|s| normalise_vocab(&s, Vocab::Disposition));
    new.read_point = new.read_point.map(|s| normalise_id(&s));
    new.biz_location = new.biz_location.map(|s| normalise_id(&s));
    let index = store::EventIndex {
        event_hash: new.event_id.clone(),
        error_declared: ev.error_declaration.is_some(),
        keys: index_keys(ev),
    };
    (new, index)
}

/// The query type and helpers, re-exported for the HTTP layer and the CLI.
pub use ::epcis::Query as EventQuery;
pub use ::epcis::query::percent_decode;
