//! Pure GS1 EPCIS 2.0 / CBV 2.0 library: model, JSON-LD and XML parsing, validation,
//! CBV 2.0 event hash, and the standard query parameters with an in-memory evaluator.
//!
//! No I/O, no network, no clock reads: JSON-LD contexts are bundled ([`context`]).
//!
//! ```
//! let doc = epcis::parse_and_validate(r#"{
//!   "@context": "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
//!   "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-05-01T10:00:00Z",
//!   "epcisBody": {"eventList": [{
//!     "type": "ObjectEvent", "eventTime": "2024-05-01T10:00:00+02:00", "eventTimeZoneOffset": "+02:00",
//!     "epcList": ["urn:epc:id:sgtin:4012345.011111.1001"], "action": "ADD", "bizStep": "commissioning"}]}
//! }"#).unwrap();
//! let id = epcis::event_hash(&doc.events[0]);
//! assert!(id.starts_with("ni:///sha-256;") && id.ends_with("?ver=CBV2.0"));
//!
//! let q = epcis::Query::parse_query_string("EQ_bizStep=commissioning&MATCH_epc=https://id.gs1.org/01/04012345111118/21/1001").unwrap();
//! assert!(epcis::matches(&q, &doc.events[0]));
//! ```

pub mod context;
pub mod error;
pub mod hash;
pub mod ident;
pub mod json;
pub mod model;
pub mod query;
pub mod time;
pub mod validate;
pub mod vocab;
pub mod xml;

pub use error::{EpcisError, Issue};
pub use hash::{event_hash, prehash};
pub use json::{document_to_value, event_to_jsonld, event_to_value, parse_document, parse_event};
pub use model::*;
pub use query::{Query, matches};
pub use validate::{validate_document, validate_event};
pub use xml::{parse_and_validate_xml, parse_xml_document};

/// Parse a JSON-LD `EPCISDocument` / `EPCISQueryDocument` and validate every event.
pub fn parse_and_validate(input: &str) -> Result<EpcisDocument, EpcisError> {
    let doc = parse_document(input)?;
    validate_document(&doc)?;
    Ok(doc)
}

/// Parse and validate a single JSON-LD event.
pub fn parse_and_validate_event(input: &str) -> Result<Event, EpcisError> {
    let ev = parse_event(input)?;
    let issues = validate_event(&ev, 0);
    if issues.is_empty() {
        Ok(ev)
    } else {
        Err(EpcisError::Invalid(issues))
    }
}
