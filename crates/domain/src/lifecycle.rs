//! The PPE lifecycle as GS1 EPCIS 2.0 events with CBV 2.0 vocabulary.
//!
//! Every lifecycle write of the platform is stored as an EPCIS 2.0 ObjectEvent in the
//! same event repository that external systems capture into. Identifiers use the
//! canonical GS1 Digital Link form (`https://id.gs1.org/...`), which EPCIS 2.0 accepts
//! and which needs no company-prefix length.
//!
//! | step | action | bizStep (CBV) | disposition (CBV) |
//! | --- | --- | --- | --- |
//! | commissioning | ADD | commissioning | active |
//! | shipping | OBSERVE | shipping | in_transit |
//! | receiving | OBSERVE | receiving | in_progress |
//! | recall (batch, by LGTIN class) | OBSERVE | holding | recalled |
//! | scrapping | DELETE | destroying | destroyed |
//!
//! Steps CBV lacks use the extension vocabulary under [`EXT_NS`] (see
//! `docs/vocabulary.md`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::DomainError;

/// Namespace of ppetrace's extension vocabulary (bizSteps and fields CBV lacks).
pub const EXT_NS: &str = "https://ppetrace.org/voc/";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Commissioning,
    Shipping,
    Receiving,
    Scrapping,
}

impl Step {
    pub const ALL: [Step; 4] = [
        Step::Commissioning,
        Step::Shipping,
        Step::Receiving,
        Step::Scrapping,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Commissioning => "commissioning",
            Step::Shipping => "shipping",
            Step::Receiving => "receiving",
            Step::Scrapping => "scrapping",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Step::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            DomainError::new(
                "step",
                format!("unknown step '{s}' (expected commissioning, shipping, receiving or scrapping)"),
            )
        })
    }

    /// (action, bizStep, disposition) in CBV 2.0 bare-string form.
    pub fn cbv(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Step::Commissioning => ("ADD", "commissioning", "active"),
            Step::Shipping => ("OBSERVE", "shipping", "in_transit"),
            Step::Receiving => ("OBSERVE", "receiving", "in_progress"),
            Step::Scrapping => ("DELETE", "destroying", "destroyed"),
        }
    }
}

/// Canonical GS1 Digital Link of an SGTIN (EPCIS 2.0 accepts it as an EPC).
pub fn sgtin_uri(gtin: &gs1::Gtin, serial: &gs1::Serial) -> String {
    gs1::DigitalLink::sgtin(gtin, None, serial).canonical()
}

/// Canonical GS1 Digital Link of a location (GLN, AI 414).
pub fn gln_uri(gln: &gs1::Gln) -> String {
    format!("https://id.gs1.org/414/{}", gln.as_str())
}

/// Canonical GS1 Digital Link of a lot-level class (LGTIN: AI 01 + AI 10).
pub fn lgtin_uri(gtin: &gs1::Gtin, lot: &gs1::Lot) -> String {
    format!(
        "https://id.gs1.org/01/{}/10/{}",
        gtin.as_str(),
        lot_path_segment(lot.as_str())
    )
}

fn lot_path_segment(lot: &str) -> String {
    // CSET 82 characters that are not unreserved in a URI path must be percent-encoded.
    let mut out = String::with_capacity(lot.len());
    for b in lot.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parameters of one lifecycle ObjectEvent.
pub struct StepEvent<'a> {
    pub step: Step,
    pub time: DateTime<Utc>,
    pub epcs: &'a [String],
    pub site: &'a gs1::Gln,
    /// For shipping: where the goods go (a GLN of the receiving site).
    pub destination: Option<&'a gs1::Gln>,
    /// For receiving: where they came from.
    pub source: Option<&'a gs1::Gln>,
}

/// Builds the EPCIS 2.0 ObjectEvent (JSON-LD, without eventID) for a lifecycle step.
pub fn object_event(e: &StepEvent<'_>) -> Value {
    let (action, biz_step, disposition) = e.step.cbv();
    let loc = gln_uri(e.site);
    let mut ev = json!({
        "type": "ObjectEvent",
        "eventTime": time(e.time),
        "eventTimeZoneOffset": "+00:00",
        "epcList": e.epcs,
        "action": action,
        "bizStep": biz_step,
        "disposition": disposition,
        "readPoint": { "id": loc },
    });
    if e.step != Step::Shipping {
        ev["bizLocation"] = json!({ "id": gln_uri(e.site) });
    }
    if let Some(d) = e.destination {
        ev["destinationList"] = json!([{ "type": "location", "destination": gln_uri(d) }]);
    }
    if let Some(s) = e.source {
        ev["sourceList"] = json!([{ "type": "location", "source": gln_uri(s) }]);
    }
    ev
}

/// Builds the recall event: a class-level (LGTIN) observation with disposition
/// `recalled`, so one event covers every item of the batch.
pub fn recall_event(time_: DateTime<Utc>, class_uri: &str, site: &gs1::Gln, reason: &str) -> Value {
    json!({
        "type": "ObjectEvent",
        "eventTime": time(time_),
        "eventTimeZoneOffset": "+00:00",
        "epcList": [],
        "quantityList": [{ "epcClass": class_uri }],
        "action": "OBSERVE",
        "bizStep": "holding",
        "disposition": "recalled",
        "readPoint": { "id": gln_uri(site) },
        "ppe:recallReason": reason,
    })
}

/// The JSON-LD context every platform-built event document uses.
pub fn context() -> Value {
    json!([
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        { "ppe": EXT_NS }
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_map_to_cbv() {
        assert_eq!(
            Step::Commissioning.cbv(),
            ("ADD", "commissioning", "active")
        );
        assert_eq!(Step::Scrapping.cbv(), ("DELETE", "destroying", "destroyed"));
        assert_eq!(Step::parse("receiving").unwrap(), Step::Receiving);
        assert!(Step::parse("teleporting").is_err());
    }

    #[test]
    fn shipping_event_has_destination_and_no_biz_location() {
        let site = gs1::Gln::parse("9521234500001").unwrap();
        let dest = gs1::Gln::parse("9521234500018").unwrap();
        let epcs = vec!["https://id.gs1.org/01/09521234543213/21/ABC".to_string()];
        let t = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let ev = object_event(&StepEvent {
            step: Step::Shipping,
            time: t,
            epcs: &epcs,
            site: &site,
            destination: Some(&dest),
            source: None,
        });
        assert_eq!(ev["eventTime"], "2026-01-02T03:04:05.000Z");
        assert_eq!(
            ev["readPoint"]["id"],
            "https://id.gs1.org/414/9521234500001"
        );
        assert!(ev.get("bizLocation").is_none());
        assert_eq!(
            ev["destinationList"][0]["destination"],
            "https://id.gs1.org/414/9521234500018"
        );
    }

    #[test]
    fn lot_segments_are_percent_encoded() {
        assert_eq!(lot_path_segment("AB/12 x"), "AB%2F12%20x");
        assert_eq!(lot_path_segment("L-1.2_3"), "L-1.2_3");
    }
}
