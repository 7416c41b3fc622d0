//! CBV 2.0 "Event Hash ID": canonical pre-hash string and `ni:///sha-256;…?ver=CBV2.0`.
//!
//! Canonical order (CBV 2.0 §8.9 / reference implementation's property order):
//! eventType, eventTime, eventTimeZoneOffset, epcList, parentID, inputEPCList, childEPCs,
//! quantityList, childQuantityList, inputQuantityList, outputEPCList, outputQuantityList,
//! action, transformationID, bizStep, disposition, persistentDisposition, readPoint,
//! bizLocation, bizTransactionList, sourceList, destinationList, sensorElementList; then the
//! trailing block: ilmd, user extensions inside standard fields (readPoint, bizLocation,
//! sensor elements), event-level user extensions. `recordTime`, `eventID`,
//! `errorDeclaration` and `certificationInfo` are excluded. Repeated children are sorted
//! lexically (UTF-8 byte order); identifiers become constrained canonical GS1 Digital Link
//! URIs; bare CBV values become `https://ref.gs1.org/cbv/...` URIs; timestamps become UTC
//! with millisecond precision.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::context::resolve_key;
use crate::ident::to_hash_canonical;
use crate::model::*;
use crate::vocab::Vocab;

/// Format a decimal number the way the reference implementation does (Python `Decimal`):
/// integral values without fraction, others without trailing zeros, never an exponent.
/// Returns `None` if `text` is not a plain decimal number.
pub fn canonical_number(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_part = &text[int_start..i];
    let mut frac_part = "";
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let fs = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_part = &text[fs..i];
    }
    if i != b.len() || (int_part.is_empty() && frac_part.is_empty()) {
        return None;
    }
    let int_trim = int_part.trim_start_matches('0');
    let int_str = if int_trim.is_empty() { "0" } else { int_trim };
    let frac_trim = frac_part.trim_end_matches('0');
    let sign = if neg { "-" } else { "" };
    if frac_trim.is_empty() {
        Some(format!("{sign}{int_str}"))
    } else {
        Some(format!("{sign}{int_str}.{frac_trim}"))
    }
}

/// Format an `f64` as a plain decimal (shortest round-trip digits, no exponent).
pub fn format_f64(f: f64) -> String {
    let s = format!("{f}");
    canonical_number(&s).unwrap_or(s)
}

fn web_vocabulary(text: &str) -> String {
    for (from, to) in [
        (
            "urn:epcglobal:cbv:bizstep:",
            "https://ref.gs1.org/cbv/BizStep-",
        ),
        ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
        ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
        ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
        ("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"),
        ("gs1:", "https://ref.gs1.org/voc/"),
        ("cbv:", "https://ref.gs1.org/cbv/"),
        ("https://gs1.org/voc/", "https://ref.gs1.org/voc/"),
    ] {
        if let Some(rest) = text.strip_prefix(from) {
            return format!("{to}{rest}");
        }
    }
    text.to_string()
}

/// Canonicalise a value: trim, CBV URN → web URI, number formatting, GS1 identifier →
/// constrained canonical Digital Link.
pub fn canonical_value(text: &str) -> String {
    let t = web_vocabulary(text.trim());
    let t = canonical_number(&t).unwrap_or(t);
    to_hash_canonical(&t).unwrap_or(t)
}

fn vocab_value(text: &str, vocab: Vocab) -> String {
    match vocab.expand_bare(text.trim()) {
        Some(u) => u,
        None => canonical_value(text),
    }
}

fn kv(out: &mut String, name: &str, value: &str) {
    if !value.is_empty() {
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
}

fn time_value(s: &str) -> String {
    crate::time::hash_normalise(s).unwrap_or_else(|| s.trim().to_string())
}

fn sorted_list(out: &mut String, name: &str, mut items: Vec<String>) {
    items.retain(|s| !s.is_empty());
    if items.is_empty() {
        return;
    }
    items.sort();
    out.push_str(name);
    for i in items {
        out.push_str(&i);
    }
}

fn epc_list(out: &mut String, name: &str, list: &Option<Vec<String>>) {
    if let Some(list) = list {
        let items = list
            .iter()
            .map(|e| {
                let mut s = String::new();
                kv(&mut s, "epc", &canonical_value(e));
                s
            })
            .collect();
        sorted_list(out, name, items);
    }
}

fn quantity_list(out: &mut String, name: &str, list: &Option<Vec<QuantityElement>>) {
    if let Some(list) = list {
        let items = list
            .iter()
            .map(|q| {
                let mut s = String::new();
                kv(&mut s, "epcClass", &canonical_value(&q.epc_class));
                if let Some(x) = q.quantity {
                    kv(&mut s, "quantity", &format_f64(x));
                }
                if let Some(u) = &q.uom {
                    kv(&mut s, "uom", &canonical_value(u));
                }
                if s.is_empty() {
                    s
                } else {
                    format!("quantityElement{s}")
                }
            })
            .collect();
        sorted_list(out, name, items);
    }
}

fn opt_kv(out: &mut String, name: &str, v: &Option<String>) {
    if let Some(v) = v {
        kv(out, name, &canonical_value(v));
    }
}

fn opt_time(out: &mut String, name: &str, v: &Option<String>) {
    if let Some(v) = v {
        kv(out, name, &time_value(v));
    }
}

fn opt_num(out: &mut String, name: &str, v: Option<f64>) {
    if let Some(v) = v {
        kv(out, name, &format_f64(v));
    }
}

fn sensor_report(r: &SensorReport) -> String {
    let mut s = String::new();
    if let Some(t) = &r.kind {
        kv(&mut s, "type", &vocab_value(t, Vocab::MeasurementType));
    }
    if let Some(t) = &r.exception {
        kv(&mut s, "exception", &vocab_value(t, Vocab::SensorAlertType));
    }
    opt_kv(&mut s, "deviceID", &r.device_id);
    opt_kv(&mut s, "deviceMetadata", &r.device_metadata);
    opt_kv(&mut s, "rawData", &r.raw_data);
    opt_kv(&mut s, "dataProcessingMethod", &r.data_processing_method);
    opt_time(&mut s, "time", &r.time);
    opt_kv(&mut s, "microorganism", &r.microorganism);
    opt_kv(&mut s, "chemicalSubstance", &r.chemical_substance);
    opt_num(&mut s, "value", r.value);
    if let Some(c) = &r.component {
        kv(&mut s, "component", &vocab_value(c, Vocab::Component));
    }
    opt_kv(&mut s, "stringValue", &r.string_value);
    if let Some(b) = r.boolean_value {
        kv(&mut s, "booleanValue", if b { "true" } else { "false" });
    }
    opt_kv(&mut s, "hexBinaryValue", &r.hex_binary_value);
    opt_kv(&mut s, "uriValue", &r.uri_value);
    opt_num(&mut s, "minValue", r.min_value);
    opt_num(&mut s, "maxValue", r.max_value);
    opt_num(&mut s, "meanValue", r.mean_value);
    opt_num(&mut s, "sDev", r.s_dev);
    opt_num(&mut s, "percRank", r.perc_rank);
    opt_num(&mut s, "percValue", r.perc_value);
    opt_kv(&mut s, "uom", &r.uom);
    opt_kv(
        &mut s,
        "coordinateReferenceSystem",
        &r.coordinate_reference_system,
    );
    if s.is_empty() {
        s
    } else {
        format!("sensorReport{s}")
    }
}

fn sensor_element(el: &SensorElement) -> String {
    let mut s = String::new();
    if let Some(md) = &el.metadata {
        let mut m = String::new();
        opt_time(&mut m, "time", &md.time);
        opt_time(&mut m, "startTime", &md.start_time);
        opt_time(&mut m, "endTime", &md.end_time);
        opt_kv(&mut m, "deviceID", &md.device_id);
        opt_kv(&mut m, "deviceMetadata", &md.device_metadata);
        opt_kv(&mut m, "rawData", &md.raw_data);
        opt_kv(&mut m, "dataProcessingMethod", &md.data_processing_method);
        opt_kv(&mut m, "bizRules", &md.biz_rules);
        if !m.is_empty() {
            s.push_str("sensorMetadata");
            s.push_str(&m);
        }
    }
    let mut reports: Vec<String> = el.reports.iter().map(sensor_report).collect();
    reports.retain(|r| !r.is_empty());
    reports.sort();
    for r in reports {
        s.push_str(&r);
    }
    if s.is_empty() {
        s
    } else {
        format!("sensorElement{s}")
    }
}

// ------------------------------------------------------------------ extensions

fn expanded_key(key: &str, ns: &Namespaces) -> String {
    if !key.contains(':') {
        return key.to_string();
    }
    match resolve_key(key, ns) {
        (Some(iri), local) => format!("{{{iri}}}{local}"),
        (None, _) => key.to_string(),
    }
}

fn leaf_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(match n.as_f64() {
            Some(f) if n.is_f64() => format_f64(f),
            _ => n.to_string(),
        }),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

/// Render `key: value` into generic pre-hash entries (arrays flatten into repeated keys).
fn generic_entries(key: &str, v: &Value, ns: &Namespaces, out: &mut Vec<String>) {
    match v {
        Value::Array(a) => {
            for item in a {
                generic_entries(key, item, ns, out);
            }
        }
        Value::Object(m) => {
            let mut children = Vec::new();
            for (k, cv) in m {
                if k.starts_with('@') {
                    continue;
                }
                generic_entries(&expanded_key(k, ns), cv, ns, &mut children);
            }
            children.sort();
            let mut s = key.to_string();
            for c in children {
                s.push_str(&c);
            }
            out.push(s);
        }
        leaf => {
            let text = leaf_text(leaf).unwrap_or_default();
            if text.is_empty() {
                out.push(key.to_string());
            } else {
                out.push(format!("{key}={}", canonical_value(&text)));
            }
        }
    }
}

fn generic(exts: &[Extension], ns: &Namespaces) -> String {
    let mut entries = generic_entry_list(exts, ns);
    entries.sort();
    entries.concat()
}

fn generic_entry_list(exts: &[Extension], ns: &Namespaces) -> Vec<String> {
    let mut entries = Vec::new();
    for e in exts {
        let key = match &e.namespace {
            Some(iri) => format!("{{{iri}}}{}", e.local),
            None => e.key.clone(),
        };
        generic_entries(&key, &e.value, ns, &mut entries);
    }
    entries
}

/// The canonical pre-hash string of an event (CBV 2.0).
pub fn prehash(ev: &Event) -> String {
    let mut s = String::with_capacity(512);
    s.push_str("eventType=");
    s.push_str(ev.event_type.as_str());
    kv(&mut s, "eventTime", &time_value(&ev.event_time));
    kv(
        &mut s,
        "eventTimeZoneOffset",
        &canonical_value(&ev.event_time_zone_offset),
    );
    epc_list(&mut s, "epcList", &ev.epc_list);
    opt_kv(&mut s, "parentID", &ev.parent_id);
    epc_list(&mut s, "inputEPCList", &ev.input_epc_list);
    epc_list(&mut s, "childEPCs", &ev.child_epcs);
    quantity_list(&mut s, "quantityList", &ev.quantity_list);
    quantity_list(&mut s, "childQuantityList", &ev.child_quantity_list);
    quantity_list(&mut s, "inputQuantityList", &ev.input_quantity_list);
    epc_list(&mut s, "outputEPCList", &ev.output_epc_list);
    quantity_list(&mut s, "outputQuantityList", &ev.output_quantity_list);
    if let Some(a) = ev.action {
        kv(&mut s, "action", a.as_str());
    }
    opt_kv(&mut s, "transformationID", &ev.transformation_id);
    if let Some(b) = &ev.biz_step {
        kv(&mut s, "bizStep", &vocab_value(b, Vocab::BizStep));
    }
    if let Some(d) = &ev.disposition {
        kv(&mut s, "disposition", &vocab_value(d, Vocab::Disposition));
    }
    if let Some(pd) = &ev.persistent_disposition {
        let mut p = String::new();
        for (name, list) in [("set", &pd.set), ("unset", &pd.unset)] {
            if let Some(list) = list {
                let mut items: Vec<String> = list
                    .iter()
                    .map(|d| {
                        let mut x = String::new();
                        kv(&mut x, name, &vocab_value(d, Vocab::Disposition));
                        x
                    })
                    .collect();
                items.sort();
                p.push_str(&items.concat());
            }
        }
        if !p.is_empty() {
            s.push_str("persistentDisposition");
            s.push_str(&p);
        }
    }
    for (name, loc) in [
        ("readPoint", &ev.read_point),
        ("bizLocation", &ev.biz_location),
    ] {
        if let Some(l) = loc {
            let mut x = String::new();
            kv(&mut x, "id", &canonical_value(&l.id));
            if !x.is_empty() {
                s.push_str(name);
                s.push_str(&x);
            }
        }
    }
    if let Some(list) = &ev.biz_transaction_list {
        let items = list
            .iter()
            .map(|b| {
                let mut x = String::new();
                if let Some(k) = &b.kind {
                    kv(&mut x, "type", &vocab_value(k, Vocab::BizTransactionType));
                }
                kv(&mut x, "bizTransaction", &canonical_value(&b.value));
                x
            })
            .collect();
        sorted_list(&mut s, "bizTransactionList", items);
    }
    for (name, field, list) in [
        ("sourceList", "source", &ev.source_list),
        ("destinationList", "destination", &ev.destination_list),
    ] {
        if let Some(list) = list {
            let items = list
                .iter()
                .map(|sd| {
                    let mut x = String::new();
                    kv(
                        &mut x,
                        "type",
                        &vocab_value(&sd.kind, Vocab::SourceDestType),
                    );
                    kv(&mut x, field, &canonical_value(&sd.value));
                    x
                })
                .collect();
            sorted_list(&mut s, name, items);
        }
    }
    if let Some(list) = &ev.sensor_element_list {
        let mut items: Vec<String> = list.iter().map(sensor_element).collect();
        items.retain(|i| !i.is_empty());
        items.sort();
        s.push_str(&items.concat());
    }

    // trailing block
    let ns = &ev.namespaces;
    if let Some(ilmd) = &ev.ilmd {
        s.push_str("ilmd");
        s.push_str(&generic(ilmd, ns));
    }
    for (name, loc) in [
        ("readPoint", &ev.read_point),
        ("bizLocation", &ev.biz_location),
    ] {
        if let Some(l) = loc
            && !l.extensions.is_empty()
        {
            s.push_str(name);
            s.push_str(&generic(&l.extensions, ns));
        }
    }
    let mut sensor_ext_found = false;
    if let Some(list) = &ev.sensor_element_list {
        for el in list {
            let mut inner = String::new();
            if let Some(md) = &el.metadata
                && !md.extensions.is_empty()
            {
                inner.push_str("sensorMetadata");
                inner.push_str(&generic(&md.extensions, ns));
            }
            for r in &el.reports {
                if !r.extensions.is_empty() {
                    inner.push_str("sensorReport");
                    inner.push_str(&generic(&r.extensions, ns));
                }
            }
            inner.push_str(&generic(&el.extensions, ns));
            if !inner.is_empty() {
                sensor_ext_found = true;
                s.push_str("sensorElement");
                s.push_str(&inner);
            }
        }
    }
    // event level: user extensions, plus (as the reference implementation does) a sensor
    // report `bizRules`, which is not in the canonical property order and so is left over
    let mut entries = generic_entry_list(&ev.extensions, ns);
    if !sensor_ext_found && let Some(list) = &ev.sensor_element_list {
        let mut els: Vec<String> = list
            .iter()
            .filter_map(|el| {
                let mut reps: Vec<String> = el
                    .reports
                    .iter()
                    .filter_map(|r| r.biz_rules.as_deref())
                    .map(|b| format!("sensorReportbizRules={}", canonical_value(b)))
                    .collect();
                reps.sort();
                (!reps.is_empty()).then(|| format!("sensorElement{}", reps.concat()))
            })
            .collect();
        if !els.is_empty() {
            els.sort();
            entries.push(format!("sensorElementList{}", els.concat()));
        }
    }
    entries.sort();
    s.push_str(&entries.concat());
    s
}

/// SHA-256 event hash ID of a pre-hash string: `ni:///sha-256;<hex>?ver=CBV2.0`.
pub fn hash_prehash(prehash: &str) -> String {
    let digest = Sha256::digest(prehash.as_bytes());
    format!("ni:///sha-256;{}?ver=CBV2.0", hex::encode(digest))
}

/// The CBV 2.0 event hash ID of an event.
pub fn event_hash(ev: &Event) -> String {
    hash_prehash(&prehash(ev))
}
