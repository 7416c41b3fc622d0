//! JSON-LD → model parsing and model → JSON-LD serialisation.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::context::{EPCIS_CONTEXT_URL_V2, read_context, resolve_key, standard_namespaces};
use crate::error::{EpcisError, Issue};
use crate::model::*;

/// Maximum nesting depth accepted for JSON input.
const MAX_DEPTH: usize = 64;

struct P<'a> {
    issues: Vec<Issue>,
    event_index: Option<usize>,
    event_id: Option<String>,
    ns: &'a Namespaces,
}

impl P<'_> {
    fn err(&mut self, path: &str, msg: impl Into<String>) {
        self.issues.push(Issue {
            event_index: self.event_index,
            event_id: self.event_id.clone(),
            path: path.to_string(),
            message: msg.into(),
        });
    }

    fn string(&mut self, path: &str, v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.err(path, "must be a string");
                None
            }
        }
    }

    fn number(&mut self, path: &str, v: &Value) -> Option<f64> {
        match v.as_f64() {
            Some(f) if v.is_number() => Some(f),
            _ => {
                self.err(path, "must be a number");
                None
            }
        }
    }

    fn string_list(&mut self, path: &str, v: &Value) -> Option<Vec<String>> {
        match v {
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for (i, item) in a.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        _ => self.err(&format!("{path}[{i}]"), "must be a string"),
                    }
                }
                Some(out)
            }
            _ => {
                self.err(path, "must be an array");
                None
            }
        }
    }

    fn object<'v>(&mut self, path: &str, v: &'v Value) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            _ => {
                self.err(path, "must be an object");
                None
            }
        }
    }

    fn extension(&mut self, path: &str, key: &str, value: &Value) -> Option<Extension> {
        if !key.contains(':') {
            self.err(
                path,
                "unknown field (user extensions must be namespaced, e.g. `prefix:name`)",
            );
            return None;
        }
        let (namespace, local) = resolve_key(key, self.ns);
        if namespace.is_none() {
            self.err(path, "namespace prefix is not declared in @context");
        }
        Some(Extension {
            key: key.to_string(),
            namespace,
            local,
            value: value.clone(),
        })
    }

    fn quantity_list(&mut self, path: &str, v: &Value) -> Option<Vec<QuantityElement>> {
        let Value::Array(a) = v else {
            self.err(path, "must be an array");
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in a.iter().enumerate() {
            let p = format!("{path}[{i}]");
            let Some(m) = self.object(&p, item) else {
                continue;
            };
            let mut q = QuantityElement {
                epc_class: String::new(),
                quantity: None,
                uom: None,
            };
            let mut has_class = false;
            for (k, v) in m {
                let fp = format!("{p}.{k}");
                match k.as_str() {
                    "epcClass" => {
                        if let Some(s) = self.string(&fp, v) {
                            q.epc_class = s;
                            has_class = true;
                        }
                    }
                    "quantity" => q.quantity = self.number(&fp, v),
                    "uom" => q.uom = self.string(&fp, v),
                    _ => self.err(&fp, "unknown field in quantity element"),
                }
            }
            if !has_class {
                self.err(&format!("{p}.epcClass"), "required field is missing");
            }
            out.push(q);
        }
        Some(out)
    }

    fn location(&mut self, path: &str, v: &Value) -> Option<Location> {
        let m = self.object(path, v)?;
        let mut id = None;
        let mut extensions = Vec::new();
        for (k, v) in m {
            let fp = format!("{path}.{k}");
            if k == "id" {
                id = self.string(&fp, v);
            } else if let Some(e) = self.extension(&fp, k, v) {
                extensions.push(e);
            }
        }
        match id {
            Some(id) => Some(Location { id, extensions }),
            None => {
                self.err(&format!("{path}.id"), "required field is missing");
                None
            }
        }
    }

    fn biz_transactions(&mut self, path: &str, v: &Value) -> Option<Vec<BizTransaction>> {
        let Value::Array(a) = v else {
            self.err(path, "must be an array");
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in a.iter().enumerate() {
            let p = format!("{path}[{i}]");
            let Some(m) = self.object(&p, item) else {
                continue;
            };
            let mut kind = None;
            let mut value = None;
            for (k, v) in m {
                let fp = format!("{p}.{k}");
                match k.as_str() {
                    "type" => kind = self.string(&fp, v),
                    "bizTransaction" => value = self.string(&fp, v),
                    _ => self.err(&fp, "unknown field in bizTransaction"),
                }
            }
            match value {
                Some(value) => out.push(BizTransaction { kind, value }),
                None => self.err(&format!("{p}.bizTransaction"), "required field is missing"),
            }
        }
        Some(out)
    }

    fn source_dest(&mut self, path: &str, v: &Value, field: &str) -> Option<Vec<SourceDest>> {
        let Value::Array(a) = v else {
            self.err(path, "must be an array");
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in a.iter().enumerate() {
            let p = format!("{path}[{i}]");
            let Some(m) = self.object(&p, item) else {
                continue;
            };
            let mut kind = None;
            let mut value = None;
            for (k, v) in m {
                let fp = format!("{p}.{k}");
                if k == "type" {
                    kind = self.string(&fp, v);
                } else if k == field {
                    value = self.string(&fp, v);
                } else {
                    self.err(&fp, format!("unknown field in {field}"));
                }
            }
            match (kind, value) {
                (Some(kind), Some(value)) => out.push(SourceDest { kind, value }),
                (None, _) => self.err(&format!("{p}.type"), "required field is missing"),
                (_, None) => self.err(&format!("{p}.{field}"), "required field is missing"),
            }
        }
        Some(out)
    }

    fn persistent_disposition(&mut self, path: &str, v: &Value) -> Option<PersistentDisposition> {
        let m = self.object(path, v)?;
        let mut pd = PersistentDisposition::default();
        for (k, v) in m {
            let fp = format!("{path}.{k}");
            match k.as_str() {
                "set" => pd.set = self.string_list(&fp, v),
                "unset" => pd.unset = self.string_list(&fp, v),
                _ => self.err(&fp, "unknown field in persistentDisposition"),
            }
        }
        Some(pd)
    }

    fn error_declaration(&mut self, path: &str, v: &Value) -> Option<ErrorDeclaration> {
        let m = self.object(path, v)?;
        let mut time = None;
        let mut ed = ErrorDeclaration {
            declaration_time: String::new(),
            reason: None,
            corrective_event_ids: None,
            extensions: Vec::new(),
        };
        for (k, v) in m {
            let fp = format!("{path}.{k}");
            match k.as_str() {
                "declarationTime" => time = self.string(&fp, v),
                "reason" => ed.reason = self.string(&fp, v),
                "correctiveEventIDs" => ed.corrective_event_ids = self.string_list(&fp, v),
                _ => {
                    if let Some(e) = self.extension(&fp, k, v) {
                        ed.extensions.push(e);
                    }
                }
            }
        }
        match time {
            Some(t) => ed.declaration_time = t,
            None => self.err(
                &format!("{path}.declarationTime"),
                "required field is missing",
            ),
        }
        Some(ed)
    }

    fn opt_str(&mut self, fp: &str, v: &Value, slot: &mut Option<String>) {
        *slot = self.string(fp, v);
    }

    fn sensor_elements(&mut self, path: &str, v: &Value) -> Option<Vec<SensorElement>> {
        let Value::Array(a) = v else {
            self.err(path, "must be an array");
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in a.iter().enumerate() {
            let p = format!("{path}[{i}]");
            let Some(m) = self.object(&p, item) else {
                continue;
            };
            let mut el = SensorElement::default();
            let mut has_report = false;
            for (k, v) in m {
                let fp = format!("{p}.{k}");
                match k.as_str() {
                    "sensorMetadata" => el.metadata = self.sensor_metadata(&fp, v),
                    "sensorReport" => {
                        has_report = true;
                        if let Value::Array(reports) = v {
                            for (j, r) in reports.iter().enumerate() {
                                if let Some(r) = self.sensor_report(&format!("{fp}[{j}]"), r) {
                                    el.reports.push(r);
                                }
                            }
                        } else {
                            self.err(&fp, "must be an array");
                        }
                    }
                    _ => {
                        if let Some(e) = self.extension(&fp, k, v) {
                            el.extensions.push(e);
                        }
                    }
                }
            }
            if !has_report {
                self.err(&format!("{p}.sensorReport"), "required field is missing");
            }
            out.push(el);
        }
        Some(out)
    }

    fn sensor_metadata(&mut self, path: &str, v: &Value) -> Option<SensorMetadata> {
        let m = self.object(path, v)?;
        let mut md = SensorMetadata::default();
        for (k, v) in m {
            let fp = format!("{path}.{k}");
            match k.as_str() {
                "time" => self.opt_str(&fp, v, &mut md.time),
                "startTime" => self.opt_str(&fp, v, &mut md.start_time),
                "endTime" => self.opt_str(&fp, v, &mut md.end_time),
                "deviceID" => self.opt_str(&fp, v, &mut md.device_id),
                "deviceMetadata" => self.opt_str(&fp, v, &mut md.device_metadata),
                "rawData" => self.opt_str(&fp, v, &mut md.raw_data),
                "dataProcessingMethod" => self.opt_str(&fp, v, &mut md.data_processing_method),
                "bizRules" => self.opt_str(&fp, v, &mut md.biz_rules),
                _ => {
                    if let Some(e) = self.extension(&fp, k, v) {
                        md.extensions.push(e);
                    }
                }
            }
        }
        Some(md)
    }

    fn sensor_report(&mut self, path: &str, v: &Value) -> Option<SensorReport> {
        let m = self.object(path, v)?;
        let mut r = SensorReport::default();
        for (k, v) in m {
            let fp = format!("{path}.{k}");
            match k.as_str() {
                "type" => self.opt_str(&fp, v, &mut r.kind),
                "exception" => self.opt_str(&fp, v, &mut r.exception),
                "deviceID" => self.opt_str(&fp, v, &mut r.device_id),
                "deviceMetadata" => self.opt_str(&fp, v, &mut r.device_metadata),
                "rawData" => self.opt_str(&fp, v, &mut r.raw_data),
                "dataProcessingMethod" => self.opt_str(&fp, v, &mut r.data_processing_method),
                "bizRules" => self.opt_str(&fp, v, &mut r.biz_rules),
                "time" => self.opt_str(&fp, v, &mut r.time),
                "microorganism" => self.opt_str(&fp, v, &mut r.microorganism),
                "chemicalSubstance" => self.opt_str(&fp, v, &mut r.chemical_substance),
                "coordinateReferenceSystem" => {
                    self.opt_str(&fp, v, &mut r.coordinate_reference_system)
                }
                "value" => r.value = self.number(&fp, v),
                "component" => self.opt_str(&fp, v, &mut r.component),
                "stringValue" => self.opt_str(&fp, v, &mut r.string_value),
                "booleanValue" => match v {
                    Value::Bool(b) => r.boolean_value = Some(*b),
                    _ => self.err(&fp, "must be a boolean"),
                },
                "hexBinaryValue" => self.opt_str(&fp, v, &mut r.hex_binary_value),
                "uriValue" => self.opt_str(&fp, v, &mut r.uri_value),
                "minValue" => r.min_value = self.number(&fp, v),
                "maxValue" => r.max_value = self.number(&fp, v),
                "meanValue" => r.mean_value = self.number(&fp, v),
                "sDev" => r.s_dev = self.number(&fp, v),
                "percRank" => r.perc_rank = self.number(&fp, v),
                "percValue" => r.perc_value = self.number(&fp, v),
                "uom" => self.opt_str(&fp, v, &mut r.uom),
                _ => {
                    if let Some(e) = self.extension(&fp, k, v) {
                        r.extensions.push(e);
                    }
                }
            }
        }
        Some(r)
    }
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn parse_json(input: &str) -> Result<Value, EpcisError> {
    // serde_json itself limits recursion to 128 levels, so this cannot overflow the stack.
    let v: Value = serde_json::from_str(input).map_err(|e| EpcisError::Json(e.to_string()))?;
    if depth(&v) > MAX_DEPTH {
        return Err(EpcisError::Json(format!(
            "nesting deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(v)
}

/// Parse one event object. `index` is its position in the event list (for error messages).
/// Structural problems (wrong JSON types, unknown un-namespaced keys, missing type) are
/// returned as issues; semantic checks are done by [`crate::validate`].
pub fn event_from_value(
    v: &Value,
    index: Option<usize>,
    doc_ns: &Arc<Namespaces>,
) -> Result<Event, Vec<Issue>> {
    let event_id = v.get("eventID").and_then(Value::as_str).map(str::to_string);
    let Value::Object(m) = v else {
        return Err(vec![Issue {
            event_index: index,
            event_id,
            path: String::new(),
            message: "event must be a JSON object".into(),
        }]);
    };
    // per-event @context may add prefixes
    let ns: Arc<Namespaces> = match m.get("@context") {
        Some(ctx) => {
            let mut ns = (**doc_ns).clone();
            read_context(ctx, &mut ns);
            Arc::new(ns)
        }
        None => Arc::clone(doc_ns),
    };
    let mut p = P {
        issues: Vec::new(),
        event_index: index,
        event_id,
        ns: &ns,
    };
    let event_type = match m.get("type") {
        Some(Value::String(t)) => match EventType::parse(t) {
            Some(t) => Some(t),
            None => {
                p.err("type", format!("unknown event type {t:?}"));
                None
            }
        },
        Some(_) => {
            p.err("type", "must be a string");
            None
        }
        None => {
            p.err("type", "required field is missing");
            None
        }
    };
    let mut ev = Event::new(event_type.unwrap_or(EventType::ObjectEvent), "", "");
    let mut has_time = false;
    let mut has_offset = false;
    for (k, v) in m {
        let fp = k.as_str();
        match fp {
            "type" | "@context" => {}
            "eventTime" => {
                if let Some(s) = p.string(fp, v) {
                    ev.event_time = s;
                    has_time = true;
                }
            }
            "eventTimeZoneOffset" => {
                if let Some(s) = p.string(fp, v) {
                    ev.event_time_zone_offset = s;
                    has_offset = true;
                }
            }
            "recordTime" => ev.record_time = p.string(fp, v),
            "eventID" => ev.event_id = p.string(fp, v),
            "certificationInfo" => {
                ev.certification_info = match v {
                    Value::String(s) => Some(vec![s.clone()]),
                    _ => p.string_list(fp, v),
                }
            }
            "errorDeclaration" => ev.error_declaration = p.error_declaration(fp, v),
            "epcList" => ev.epc_list = p.string_list(fp, v),
            "childEPCs" => ev.child_epcs = p.string_list(fp, v),
            "inputEPCList" => ev.input_epc_list = p.string_list(fp, v),
            "outputEPCList" => ev.output_epc_list = p.string_list(fp, v),
            "parentID" => ev.parent_id = p.string(fp, v),
            "quantityList" => ev.quantity_list = p.quantity_list(fp, v),
            "childQuantityList" => ev.child_quantity_list = p.quantity_list(fp, v),
            "inputQuantityList" => ev.input_quantity_list = p.quantity_list(fp, v),
            "outputQuantityList" => ev.output_quantity_list = p.quantity_list(fp, v),
            "action" => {
                if let Some(s) = p.string(fp, v) {
                    match Action::parse(&s) {
                        Some(a) => ev.action = Some(a),
                        None => p.err(fp, format!("must be ADD, OBSERVE or DELETE, not {s:?}")),
                    }
                }
            }
            "transformationID" => ev.transformation_id = p.string(fp, v),
            "bizStep" => ev.biz_step = p.string(fp, v),
            "disposition" => ev.disposition = p.string(fp, v),
            "persistentDisposition" => ev.persistent_disposition = p.persistent_disposition(fp, v),
            "readPoint" => ev.read_point = p.location(fp, v),
            "bizLocation" => ev.biz_location = p.location(fp, v),
            "bizTransactionList" => ev.biz_transaction_list = p.biz_transactions(fp, v),
            "sourceList" => ev.source_list = p.source_dest(fp, v, "source"),
            "destinationList" => ev.destination_list = p.source_dest(fp, v, "destination"),
            "sensorElementList" => ev.sensor_element_list = p.sensor_elements(fp, v),
            "ilmd" => {
                if let Some(obj) = p.object(fp, v) {
                    let mut exts = Vec::new();
                    for (ik, iv) in obj {
                        if let Some(e) = p.extension(&format!("ilmd.{ik}"), ik, iv) {
                            exts.push(e);
                        }
                    }
                    ev.ilmd = Some(exts);
                }
            }
            _ => {
                if let Some(e) = p.extension(fp, k, v) {
                    ev.extensions.push(e);
                }
            }
        }
    }
    if !has_time {
        p.err("eventTime", "required field is missing");
    }
    if !has_offset {
        p.err("eventTimeZoneOffset", "required field is missing");
    }
    let issues = p.issues;
    ev.namespaces = ns;
    ev.original = v.clone();
    if issues.is_empty() && event_type.is_some() {
        Ok(ev)
    } else {
        Err(issues)
    }
}

fn doc_issue(path: &str, msg: impl Into<String>) -> Issue {
    Issue {
        event_index: None,
        event_id: None,
        path: path.to_string(),
        message: msg.into(),
    }
}

/// Parse an `EPCISDocument` or `EPCISQueryDocument` from a JSON value.
pub fn document_from_value(v: &Value) -> Result<EpcisDocument, EpcisError> {
    let Value::Object(m) = v else {
        return Err(EpcisError::Invalid(vec![doc_issue(
            "",
            "document must be a JSON object",
        )]));
    };
    let mut issues = Vec::new();
    let mut ns = standard_namespaces();
    let context = m.get("@context").cloned().unwrap_or(Value::Null);
    if context.is_null() {
        issues.push(doc_issue("@context", "required field is missing"));
    } else {
        let info = read_context(&context, &mut ns);
        for (p, msg) in info.problems {
            issues.push(doc_issue(&p, msg));
        }
        if !info.has_epcis_context {
            issues.push(doc_issue(
                "@context",
                "must include the EPCIS 2.0 context (https://ref.gs1.org/standards/epcis/[2.0.0/]epcis-context.jsonld)",
            ));
        }
    }
    let ns = Arc::new(ns);
    let kind = match m.get("type").and_then(Value::as_str) {
        Some("EPCISDocument") => DocumentKind::Capture,
        Some("EPCISQueryDocument") => {
            let qr = m.get("epcisBody").and_then(|b| b.get("queryResults"));
            DocumentKind::Query {
                subscription_id: qr
                    .and_then(|q| q.get("subscriptionID"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                query_name: qr
                    .and_then(|q| q.get("queryName"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
            }
        }
        Some(other) => {
            issues.push(doc_issue(
                "type",
                format!("must be EPCISDocument or EPCISQueryDocument, not {other:?}"),
            ));
            DocumentKind::Capture
        }
        None => {
            issues.push(doc_issue("type", "required field is missing"));
            DocumentKind::Capture
        }
    };
    let schema_version = match m.get("schemaVersion") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            issues.push(doc_issue("schemaVersion", "must be a string"));
            String::new()
        }
        None => {
            issues.push(doc_issue("schemaVersion", "required field is missing"));
            String::new()
        }
    };
    let creation_date = match m.get("creationDate") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            issues.push(doc_issue("creationDate", "must be a string"));
            String::new()
        }
        None => {
            issues.push(doc_issue("creationDate", "required field is missing"));
            String::new()
        }
    };
    let (list_path, list) = match &kind {
        DocumentKind::Capture => (
            "epcisBody.eventList",
            m.get("epcisBody").and_then(|b| b.get("eventList")),
        ),
        DocumentKind::Query { .. } => (
            "epcisBody.queryResults.resultsBody.eventList",
            m.get("epcisBody")
                .and_then(|b| b.get("queryResults"))
                .and_then(|q| q.get("resultsBody"))
                .and_then(|r| r.get("eventList")),
        ),
    };
    let mut events = Vec::new();
    match list {
        Some(Value::Array(a)) => {
            for (i, ev) in a.iter().enumerate() {
                match event_from_value(ev, Some(i), &ns) {
                    Ok(e) => events.push(e),
                    Err(mut is) => issues.append(&mut is),
                }
            }
        }
        Some(_) => issues.push(doc_issue(list_path, "must be an array")),
        None => issues.push(doc_issue(list_path, "required field is missing")),
    }
    let mut other = Map::new();
    for (k, v) in m {
        if !matches!(
            k.as_str(),
            "@context"
                | "type"
                | "schemaVersion"
                | "creationDate"
                | "epcisBody"
                | "id"
                | "epcisHeader"
        ) {
            other.insert(k.clone(), v.clone());
        }
    }
    if !issues.is_empty() {
        return Err(EpcisError::Invalid(issues));
    }
    Ok(EpcisDocument {
        kind,
        context,
        namespaces: ns,
        id: m.get("id").and_then(Value::as_str).map(str::to_string),
        schema_version,
        creation_date,
        header: m.get("epcisHeader").cloned(),
        other,
        events,
    })
}

/// Parse an `EPCISDocument` / `EPCISQueryDocument` from JSON-LD text (structure only; see
/// [`crate::parse_and_validate`] for full validation).
pub fn parse_document(input: &str) -> Result<EpcisDocument, EpcisError> {
    document_from_value(&parse_json(input)?)
}

/// Parse a single event (e.g. the body of `POST /events`). Its `@context`, if any, is honoured.
pub fn parse_event(input: &str) -> Result<Event, EpcisError> {
    let v = parse_json(input)?;
    let ns = Arc::new(standard_namespaces());
    event_from_value(&v, Some(0), &ns).map_err(EpcisError::Invalid)
}

// ---------------------------------------------------------------- serialisation

fn ext_into(map: &mut Map<String, Value>, exts: &[Extension]) {
    for e in exts {
        map.insert(e.key.clone(), e.value.clone());
    }
}

fn num(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        // integral values are written without a fraction, as most examples do
        #[allow(clippy::cast_possible_truncation)]
        let i = f as i64;
        Value::from(i)
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

fn strs(v: &[String]) -> Value {
    Value::Array(v.iter().cloned().map(Value::String).collect())
}

fn quantities(v: &[QuantityElement]) -> Value {
    Value::Array(
        v.iter()
            .map(|q| {
                let mut m = Map::new();
                m.insert("epcClass".into(), Value::String(q.epc_class.clone()));
                if let Some(x) = q.quantity {
                    m.insert("quantity".into(), num(x));
                }
                if let Some(u) = &q.uom {
                    m.insert("uom".into(), Value::String(u.clone()));
                }
                Value::Object(m)
            })
            .collect(),
    )
}

fn location(l: &Location) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), Value::String(l.id.clone()));
    ext_into(&mut m, &l.extensions);
    Value::Object(m)
}

fn put_str(m: &mut Map<String, Value>, k: &str, v: &Option<String>) {
    if let Some(s) = v {
        m.insert(k.into(), Value::String(s.clone()));
    }
}

fn put_num(m: &mut Map<String, Value>, k: &str, v: Option<f64>) {
    if let Some(f) = v {
        m.insert(k.into(), num(f));
    }
}

fn sensor_element(el: &SensorElement) -> Value {
    let mut m = Map::new();
    if let Some(md) = &el.metadata {
        let mut mm = Map::new();
        put_str(&mut mm, "time", &md.time);
        put_str(&mut mm, "startTime", &md.start_time);
        put_str(&mut mm, "endTime", &md.end_time);
        put_str(&mut mm, "deviceID", &md.device_id);
        put_str(&mut mm, "deviceMetadata", &md.device_metadata);
        put_str(&mut mm, "rawData", &md.raw_data);
        put_str(&mut mm, "dataProcessingMethod", &md.data_processing_method);
        put_str(&mut mm, "bizRules", &md.biz_rules);
        ext_into(&mut mm, &md.extensions);
        m.insert("sensorMetadata".into(), Value::Object(mm));
    }
    let reports = el
        .reports
        .iter()
        .map(|r| {
            let mut rm = Map::new();
            put_str(&mut rm, "type", &r.kind);
            put_str(&mut rm, "exception", &r.exception);
            put_str(&mut rm, "deviceID", &r.device_id);
            put_str(&mut rm, "deviceMetadata", &r.device_metadata);
            put_str(&mut rm, "rawData", &r.raw_data);
            put_str(&mut rm, "dataProcessingMethod", &r.data_processing_method);
            put_str(&mut rm, "bizRules", &r.biz_rules);
            put_str(&mut rm, "time", &r.time);
            put_str(&mut rm, "microorganism", &r.microorganism);
            put_str(&mut rm, "chemicalSubstance", &r.chemical_substance);
            put_str(
                &mut rm,
                "coordinateReferenceSystem",
                &r.coordinate_reference_system,
            );
            put_num(&mut rm, "value", r.value);
            put_str(&mut rm, "component", &r.component);
            put_str(&mut rm, "stringValue", &r.string_value);
            if let Some(b) = r.boolean_value {
                rm.insert("booleanValue".into(), Value::Bool(b));
            }
            put_str(&mut rm, "hexBinaryValue", &r.hex_binary_value);
            put_str(&mut rm, "uriValue", &r.uri_value);
            put_num(&mut rm, "minValue", r.min_value);
            put_num(&mut rm, "maxValue", r.max_value);
            put_num(&mut rm, "meanValue", r.mean_value);
            put_num(&mut rm, "sDev", r.s_dev);
            put_num(&mut rm, "percRank", r.perc_rank);
            put_num(&mut rm, "percValue", r.perc_value);
            put_str(&mut rm, "uom", &r.uom);
            ext_into(&mut rm, &r.extensions);
            Value::Object(rm)
        })
        .collect();
    m.insert("sensorReport".into(), Value::Array(reports));
    ext_into(&mut m, &el.extensions);
    Value::Object(m)
}

/// Serialise an event to a JSON-LD object (without `@context`).
pub fn event_to_value(ev: &Event) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), Value::String(ev.event_type.as_str().into()));
    m.insert("eventTime".into(), Value::String(ev.event_time.clone()));
    m.insert(
        "eventTimeZoneOffset".into(),
        Value::String(ev.event_time_zone_offset.clone()),
    );
    put_str(&mut m, "recordTime", &ev.record_time);
    put_str(&mut m, "eventID", &ev.event_id);
    if let Some(ci) = &ev.certification_info {
        let v = match ci.as_slice() {
            [one] => Value::String(one.clone()),
            _ => strs(ci),
        };
        m.insert("certificationInfo".into(), v);
    }
    if let Some(ed) = &ev.error_declaration {
        let mut em = Map::new();
        em.insert(
            "declarationTime".into(),
            Value::String(ed.declaration_time.clone()),
        );
        put_str(&mut em, "reason", &ed.reason);
        if let Some(c) = &ed.corrective_event_ids {
            em.insert("correctiveEventIDs".into(), strs(c));
        }
        ext_into(&mut em, &ed.extensions);
        m.insert("errorDeclaration".into(), Value::Object(em));
    }
    for (k, v) in [
        ("epcList", &ev.epc_list),
        ("childEPCs", &ev.child_epcs),
        ("inputEPCList", &ev.input_epc_list),
        ("outputEPCList", &ev.output_epc_list),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), strs(v));
        }
    }
    put_str(&mut m, "parentID", &ev.parent_id);
    for (k, v) in [
        ("quantityList", &ev.quantity_list),
        ("childQuantityList", &ev.child_quantity_list),
        ("inputQuantityList", &ev.input_quantity_list),
        ("outputQuantityList", &ev.output_quantity_list),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), quantities(v));
        }
    }
    if let Some(a) = ev.action {
        m.insert("action".into(), Value::String(a.as_str().into()));
    }
    put_str(&mut m, "transformationID", &ev.transformation_id);
    put_str(&mut m, "bizStep", &ev.biz_step);
    put_str(&mut m, "disposition", &ev.disposition);
    if let Some(pd) = &ev.persistent_disposition {
        let mut pm = Map::new();
        if let Some(s) = &pd.set {
            pm.insert("set".into(), strs(s));
        }
        if let Some(s) = &pd.unset {
            pm.insert("unset".into(), strs(s));
        }
        m.insert("persistentDisposition".into(), Value::Object(pm));
    }
    if let Some(l) = &ev.read_point {
        m.insert("readPoint".into(), location(l));
    }
    if let Some(l) = &ev.biz_location {
        m.insert("bizLocation".into(), location(l));
    }
    if let Some(bt) = &ev.biz_transaction_list {
        let a = bt
            .iter()
            .map(|b| {
                let mut bm = Map::new();
                put_str(&mut bm, "type", &b.kind);
                bm.insert("bizTransaction".into(), Value::String(b.value.clone()));
                Value::Object(bm)
            })
            .collect();
        m.insert("bizTransactionList".into(), Value::Array(a));
    }
    for (k, field, list) in [
        ("sourceList", "source", &ev.source_list),
        ("destinationList", "destination", &ev.destination_list),
    ] {
        if let Some(list) = list {
            let a = list
                .iter()
                .map(|s| {
                    let mut sm = Map::new();
                    sm.insert("type".into(), Value::String(s.kind.clone()));
                    sm.insert(field.into(), Value::String(s.value.clone()));
                    Value::Object(sm)
                })
                .collect();
            m.insert(k.into(), Value::Array(a));
        }
    }
    if let Some(se) = &ev.sensor_element_list {
        m.insert(
            "sensorElementList".into(),
            Value::Array(se.iter().map(sensor_element).collect()),
        );
    }
    if let Some(ilmd) = &ev.ilmd {
        let mut im = Map::new();
        ext_into(&mut im, ilmd);
        m.insert("ilmd".into(), Value::Object(im));
    }
    ext_into(&mut m, &ev.extensions);
    Value::Object(m)
}

/// The `@context` to emit for a set of namespaces: the versioned EPCIS context plus one map
/// with every non-standard prefix.
pub fn context_for(ns: &Namespaces) -> Value {
    let std = standard_namespaces();
    let mut extra = Map::new();
    for (k, v) in ns {
        if std.get(k) != Some(v) {
            extra.insert(k.clone(), Value::String(v.clone()));
        }
    }
    if extra.is_empty() {
        Value::String(EPCIS_CONTEXT_URL_V2.into())
    } else {
        Value::Array(vec![
            Value::String(EPCIS_CONTEXT_URL_V2.into()),
            Value::Object(extra),
        ])
    }
}

/// Serialise a single event as a standalone JSON-LD object (with `@context`).
pub fn event_to_jsonld(ev: &Event) -> Value {
    let mut v = event_to_value(ev);
    if let Value::Object(m) = &mut v {
        m.insert("@context".into(), context_for(&ev.namespaces));
    }
    v
}

/// Serialise a document to JSON-LD.
pub fn document_to_value(doc: &EpcisDocument) -> Value {
    let mut m = Map::new();
    m.insert(
        "@context".into(),
        if doc.context.is_null() {
            context_for(&doc.namespaces)
        } else {
            doc.context.clone()
        },
    );
    let events = Value::Array(doc.events.iter().map(event_to_value).collect());
    let (ty, body) = match &doc.kind {
        DocumentKind::Capture => {
            let mut b = Map::new();
            b.insert("eventList".into(), events);
            ("EPCISDocument", b)
        }
        DocumentKind::Query {
            subscription_id,
            query_name,
        } => {
            let mut rb = Map::new();
            rb.insert("eventList".into(), events);
            let mut qr = Map::new();
            put_str(&mut qr, "subscriptionID", subscription_id);
            put_str(&mut qr, "queryName", query_name);
            qr.insert("resultsBody".into(), Value::Object(rb));
            let mut b = Map::new();
            b.insert("queryResults".into(), Value::Object(qr));
            ("EPCISQueryDocument", b)
        }
    };
    m.insert("type".into(), Value::String(ty.into()));
    put_str(&mut m, "id", &doc.id);
    m.insert(
        "schemaVersion".into(),
        Value::String(doc.schema_version.clone()),
    );
    m.insert(
        "creationDate".into(),
        Value::String(doc.creation_date.clone()),
    );
    if let Some(h) = &doc.header {
        m.insert("epcisHeader".into(), h.clone());
    }
    for (k, v) in &doc.other {
        m.insert(k.clone(), v.clone());
    }
    m.insert("epcisBody".into(), Value::Object(body));
    Value::Object(m)
}
