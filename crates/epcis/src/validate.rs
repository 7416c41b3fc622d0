//! Semantic validation of parsed events (JSON schema rules + EPCIS/CBV 2.0 rules).

use crate::error::{EpcisError, Issue};
use crate::ident::{check_identifier, is_uri};
use crate::model::*;
use crate::time;
use crate::vocab::Vocab;

struct V<'a> {
    ev: &'a Event,
    index: usize,
    issues: Vec<Issue>,
}

impl V<'_> {
    fn err(&mut self, path: impl Into<String>, msg: impl Into<String>) {
        self.issues.push(Issue {
            event_index: Some(self.index),
            event_id: self.ev.event_id.clone(),
            path: path.into(),
            message: msg.into(),
        });
    }

    fn time(&mut self, path: &str, s: &str) {
        if time::parse(s).is_none() {
            self.err(
                path,
                format!("{s:?} is not an RFC 3339 date-time with time zone offset"),
            );
        }
    }

    fn opt_time(&mut self, path: &str, s: &Option<String>) {
        if let Some(s) = s {
            self.time(path, s);
        }
    }

    fn uri(&mut self, path: &str, s: &str) {
        if !is_uri(s) {
            self.err(path, format!("{s:?} is not an absolute URI"));
        }
    }

    fn opt_uri(&mut self, path: &str, s: &Option<String>) {
        if let Some(s) = s {
            self.uri(path, s);
        }
    }

    fn ident(&mut self, path: &str, s: &str) {
        if let Err(e) = check_identifier(s) {
            self.err(path, e);
        }
    }

    fn idents(&mut self, name: &str, list: &Option<Vec<String>>) {
        if let Some(list) = list {
            let mut seen = std::collections::HashSet::new();
            for (i, s) in list.iter().enumerate() {
                if let Err(e) = check_identifier(s) {
                    self.err(format!("{name}[{i}]"), e);
                }
                if !seen.insert(s.as_str()) {
                    self.err(
                        format!("{name}[{i}]"),
                        format!("duplicate identifier {s:?}"),
                    );
                }
            }
        }
    }

    /// A vocabulary value: a bare CBV/GS1 value, or a URI that is not a legacy CBV URN /
    /// GS1 vocabulary URI in disguise.
    fn vocab(&mut self, path: &str, s: &str, vocab: Vocab) {
        if vocab.is_bare(s) {
            return;
        }
        if !s.contains(':') {
            self.err(
                path,
                format!("{s:?} is not a CBV 2.0 value for this field; non-CBV values must be URIs"),
            );
            return;
        }
        if !is_uri(s) {
            self.err(path, format!("{s:?} is not an absolute URI"));
            return;
        }
        let forbidden = match vocab {
            Vocab::MeasurementType => {
                s.starts_with("https://gs1.org/voc/")
                    || s.starts_with("http://gs1.org/voc/")
                    || s.starts_with("https://www.gs1.org/voc/")
                    || s.starts_with("http://www.gs1.org/voc/")
            }
            Vocab::SensorAlertType => false,
            _ => {
                s.starts_with("urn:epcglobal:cbv")
                    || s.starts_with("https://ns.gs1.org/cbv/")
                    || s.starts_with("http://ns.gs1.org/cbv/")
            }
        };
        if forbidden {
            self.err(
                path,
                format!(
                    "{s:?}: standard vocabulary values must be written as bare strings in JSON-LD"
                ),
            );
        }
    }

    fn quantities(&mut self, name: &str, list: &Option<Vec<QuantityElement>>) {
        let Some(list) = list else { return };
        for (i, q) in list.iter().enumerate() {
            let p = format!("{name}[{i}]");
            if let Err(e) = check_identifier(&q.epc_class) {
                self.err(format!("{p}.epcClass"), e);
            }
            if let Some(u) = &q.uom {
                let ok = (2..=3).contains(&u.len())
                    && u.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
                if !ok {
                    self.err(
                        format!("{p}.uom"),
                        format!("{u:?} is not a UN/ECE Rec 20 unit code"),
                    );
                }
                if q.quantity.is_none() {
                    self.err(format!("{p}.uom"), "uom requires quantity");
                }
            }
            if let Some(x) = q.quantity
                && !x.is_finite()
            {
                self.err(format!("{p}.quantity"), "must be a finite number");
            }
        }
    }

    fn location(&mut self, name: &str, l: &Option<Location>) {
        if let Some(l) = l {
            self.ident(&format!("{name}.id"), &l.id);
        }
    }

    fn sensors(&mut self, list: &[SensorElement]) {
        for (i, el) in list.iter().enumerate() {
            let p = format!("sensorElementList[{i}]");
            if let Some(md) = &el.metadata {
                let mp = format!("{p}.sensorMetadata");
                self.opt_time(&format!("{mp}.time"), &md.time);
                self.opt_time(&format!("{mp}.startTime"), &md.start_time);
                self.opt_time(&format!("{mp}.endTime"), &md.end_time);
                self.opt_uri(&format!("{mp}.deviceID"), &md.device_id);
                self.opt_uri(&format!("{mp}.deviceMetadata"), &md.device_metadata);
                self.opt_uri(&format!("{mp}.rawData"), &md.raw_data);
                self.opt_uri(
                    &format!("{mp}.dataProcessingMethod"),
                    &md.data_processing_method,
                );
                self.opt_uri(&format!("{mp}.bizRules"), &md.biz_rules);
                if let (Some(s), Some(e)) = (
                    md.start_time.as_deref().and_then(time::parse),
                    md.end_time.as_deref().and_then(time::parse),
                ) && e < s
                {
                    self.err(format!("{mp}.endTime"), "endTime is before startTime");
                }
            }
            if el.reports.is_empty() {
                self.err(
                    format!("{p}.sensorReport"),
                    "must contain at least one sensor report",
                );
            }
            for (j, r) in el.reports.iter().enumerate() {
                let rp = format!("{p}.sensorReport[{j}]");
                match &r.kind {
                    Some(t) => self.vocab(&format!("{rp}.type"), t, Vocab::MeasurementType),
                    None => {
                        if r.exception.is_none() {
                            self.err(format!("{rp}.type"), "required field is missing");
                        }
                    }
                }
                if let Some(x) = &r.exception {
                    self.vocab(&format!("{rp}.exception"), x, Vocab::SensorAlertType);
                }
                if let Some(c) = &r.component {
                    self.vocab(&format!("{rp}.component"), c, Vocab::Component);
                }
                self.opt_time(&format!("{rp}.time"), &r.time);
                for (f, v) in [
                    ("deviceID", &r.device_id),
                    ("deviceMetadata", &r.device_metadata),
                    ("rawData", &r.raw_data),
                    ("dataProcessingMethod", &r.data_processing_method),
                    ("bizRules", &r.biz_rules),
                    ("microorganism", &r.microorganism),
                    ("chemicalSubstance", &r.chemical_substance),
                    ("uriValue", &r.uri_value),
                    ("coordinateReferenceSystem", &r.coordinate_reference_system),
                ] {
                    self.opt_uri(&format!("{rp}.{f}"), v);
                }
                if let Some(h) = &r.hex_binary_value
                    && (h.is_empty() || !h.chars().all(|c| c.is_ascii_hexdigit()))
                {
                    self.err(format!("{rp}.hexBinaryValue"), "must be hexadecimal");
                }
                if let (Some(lo), Some(hi)) = (r.min_value, r.max_value)
                    && lo > hi
                {
                    self.err(
                        format!("{rp}.minValue"),
                        "minValue is greater than maxValue",
                    );
                }
                if let Some(pr) = r.perc_rank
                    && !(0.0..=100.0).contains(&pr)
                {
                    self.err(format!("{rp}.percRank"), "must be between 0 and 100");
                }
            }
        }
    }
}

fn present<T>(o: &Option<Vec<T>>) -> bool {
    o.is_some()
}

fn non_empty<T>(o: &Option<Vec<T>>) -> bool {
    o.as_ref().is_some_and(|v| !v.is_empty())
}

/// Validate one event; `index` is its position in the document (for messages).
pub fn validate_event(ev: &Event, index: usize) -> Vec<Issue> {
    let mut v = V {
        ev,
        index,
        issues: Vec::new(),
    };
    v.time("eventTime", &ev.event_time);
    if !time::is_valid_offset(&ev.event_time_zone_offset) {
        v.err(
            "eventTimeZoneOffset",
            format!(
                "{:?} must be ±hh:mm between -14:00 and +14:00",
                ev.event_time_zone_offset
            ),
        );
    }
    v.opt_time("recordTime", &ev.record_time);
    v.opt_uri("eventID", &ev.event_id);
    if let Some(ci) = &ev.certification_info {
        for (i, c) in ci.iter().enumerate() {
            v.uri(&format!("certificationInfo[{i}]"), c);
        }
    }
    if let Some(ed) = &ev.error_declaration {
        v.time("errorDeclaration.declarationTime", &ed.declaration_time);
        if let Some(r) = &ed.reason {
            v.vocab("errorDeclaration.reason", r, Vocab::ErrorReason);
        }
        if let Some(ids) = &ed.corrective_event_ids {
            for (i, id) in ids.iter().enumerate() {
                v.uri(&format!("errorDeclaration.correctiveEventIDs[{i}]"), id);
            }
        }
    }

    // which fields each event type may carry
    use EventType::*;
    let t = ev.event_type;
    let allowed = |field: &str| -> bool {
        match field {
            "epcList" | "quantityList" => matches!(t, ObjectEvent | TransactionEvent),
            "parentID" => matches!(t, AggregationEvent | TransactionEvent | AssociationEvent),
            "childEPCs" | "childQuantityList" => matches!(t, AggregationEvent | AssociationEvent),
            "inputEPCList" | "inputQuantityList" | "outputEPCList" | "outputQuantityList"
            | "transformationID" => t == TransformationEvent,
            "action" => t != TransformationEvent,
            "persistentDisposition" | "ilmd" => matches!(t, ObjectEvent | TransformationEvent),
            _ => true,
        }
    };
    let fields_present: [(&str, bool); 14] = [
        ("epcList", present(&ev.epc_list)),
        ("quantityList", present(&ev.quantity_list)),
        ("parentID", ev.parent_id.is_some()),
        ("childEPCs", present(&ev.child_epcs)),
        ("childQuantityList", present(&ev.child_quantity_list)),
        ("inputEPCList", present(&ev.input_epc_list)),
        ("inputQuantityList", present(&ev.input_quantity_list)),
        ("outputEPCList", present(&ev.output_epc_list)),
        ("outputQuantityList", present(&ev.output_quantity_list)),
        ("transformationID", ev.transformation_id.is_some()),
        ("action", ev.action.is_some()),
        ("persistentDisposition", ev.persistent_disposition.is_some()),
        ("ilmd", ev.ilmd.is_some()),
        ("type", true),
    ];
    for (f, p) in fields_present {
        if p && !allowed(f) {
            v.err(f, format!("not allowed in {t}"));
        }
    }
    match t {
        ObjectEvent => {
            if ev.action.is_none() {
                v.err("action", "required for ObjectEvent");
            }
            let sensor_only = non_empty(&ev.sensor_element_list) && ev.read_point.is_some();
            if !present(&ev.epc_list) && !non_empty(&ev.quantity_list) && !sensor_only {
                v.err(
                    "epcList",
                    "ObjectEvent needs epcList, quantityList, or sensorElementList with readPoint",
                );
            }
            if ev.ilmd.is_some() && ev.action != Some(Action::Add) {
                v.err("ilmd", "ilmd is only allowed when action is ADD");
            }
        }
        AggregationEvent | AssociationEvent => {
            match ev.action {
                None => v.err("action", format!("required for {t}")),
                Some(Action::Add | Action::Delete) if ev.parent_id.is_none() => {
                    v.err("parentID", "required when action is ADD or DELETE")
                }
                _ => {}
            }
            if t == AssociationEvent && ev.parent_id.is_none() && ev.action == Some(Action::Observe)
            {
                v.err("parentID", "required for AssociationEvent");
            }
            if ev.action != Some(Action::Delete)
                && !non_empty(&ev.child_epcs)
                && !non_empty(&ev.child_quantity_list)
            {
                v.err(
                    "childEPCs",
                    format!("{t} needs childEPCs or childQuantityList"),
                );
            }
        }
        TransactionEvent => {
            if ev.action.is_none() {
                v.err("action", "required for TransactionEvent");
            }
            if !non_empty(&ev.biz_transaction_list) {
                v.err(
                    "bizTransactionList",
                    "required (at least one) for TransactionEvent",
                );
            }
            if !present(&ev.epc_list)
                && !non_empty(&ev.quantity_list)
                && ev.action != Some(Action::Delete)
            {
                v.err("epcList", "TransactionEvent needs epcList or quantityList");
            }
        }
        TransformationEvent => {
            let any_io = non_empty(&ev.input_epc_list)
                || non_empty(&ev.input_quantity_list)
                || non_empty(&ev.output_epc_list)
                || non_empty(&ev.output_quantity_list);
            if !any_io && ev.transformation_id.is_none() {
                v.err(
                    "inputEPCList",
                    "TransformationEvent needs inputs/outputs or a transformationID",
                );
            }
        }
    }

    v.idents("epcList", &ev.epc_list);
    v.idents("childEPCs", &ev.child_epcs);
    v.idents("inputEPCList", &ev.input_epc_list);
    v.idents("outputEPCList", &ev.output_epc_list);
    if let Some(p) = &ev.parent_id {
        v.ident("parentID", p);
    }
    v.quantities("quantityList", &ev.quantity_list);
    v.quantities("childQuantityList", &ev.child_quantity_list);
    v.quantities("inputQuantityList", &ev.input_quantity_list);
    v.quantities("outputQuantityList", &ev.output_quantity_list);
    v.opt_uri("transformationID", &ev.transformation_id);
    if let Some(s) = &ev.biz_step {
        v.vocab("bizStep", s, Vocab::BizStep);
    }
    if let Some(s) = &ev.disposition {
        v.vocab("disposition", s, Vocab::Disposition);
    }
    if let Some(pd) = &ev.persistent_disposition {
        if pd.set.is_none() && pd.unset.is_none() {
            v.err("persistentDisposition", "needs set or unset");
        }
        for (name, list) in [("set", &pd.set), ("unset", &pd.unset)] {
            if let Some(list) = list {
                if list.is_empty() {
                    v.err(format!("persistentDisposition.{name}"), "must not be empty");
                }
                for (i, d) in list.iter().enumerate() {
                    v.vocab(
                        &format!("persistentDisposition.{name}[{i}]"),
                        d,
                        Vocab::Disposition,
                    );
                }
            }
        }
    }
    v.location("readPoint", &ev.read_point);
    v.location("bizLocation", &ev.biz_location);
    if let Some(list) = &ev.biz_transaction_list {
        for (i, b) in list.iter().enumerate() {
            if let Some(k) = &b.kind {
                v.vocab(
                    &format!("bizTransactionList[{i}].type"),
                    k,
                    Vocab::BizTransactionType,
                );
            }
            v.uri(&format!("bizTransactionList[{i}].bizTransaction"), &b.value);
        }
    }
    for (name, field, list) in [
        ("sourceList", "source", &ev.source_list),
        ("destinationList", "destination", &ev.destination_list),
    ] {
        if let Some(list) = list {
            for (i, s) in list.iter().enumerate() {
                v.vocab(&format!("{name}[{i}].type"), &s.kind, Vocab::SourceDestType);
                v.ident(&format!("{name}[{i}].{field}"), &s.value);
            }
        }
    }
    if let Some(se) = &ev.sensor_element_list {
        v.sensors(se);
    }
    v.issues
}

/// Validate every event of a document.
pub fn validate_document(doc: &EpcisDocument) -> Result<(), EpcisError> {
    let mut issues = Vec::new();
    if crate::time::parse(&doc.creation_date).is_none() {
        issues.push(Issue {
            event_index: None,
            event_id: None,
            path: "creationDate".into(),
            message: format!("{:?} is not an RFC 3339 date-time", doc.creation_date),
        });
    }
    if !doc.schema_version.starts_with('2') {
        issues.push(Issue {
            event_index: None,
            event_id: None,
            path: "schemaVersion".into(),
            message: format!(
                "unsupported schemaVersion {:?} (expected 2.x)",
                doc.schema_version
            ),
        });
    }
    for (i, ev) in doc.events.iter().enumerate() {
        issues.extend(validate_event(ev, i));
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(EpcisError::Invalid(issues))
    }
}
