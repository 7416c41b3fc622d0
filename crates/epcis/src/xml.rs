//! EPCIS 2.0 XML (EPCglobal-epcis-2_0.xsd) → the same model as JSON-LD.
//!
//! The XML is turned into the equivalent JSON-LD value (standard vocabulary URNs become bare
//! CBV values, namespaced elements and attributes become user extensions keyed by their
//! prefix), then parsed by the JSON-LD reader; so an XML event and its JSON-LD twin give the
//! same [`Event`](crate::Event) and the same event hash.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use serde_json::{Map, Value};

use crate::error::EpcisError;
use crate::json::document_from_value;
use crate::model::EpcisDocument;
use crate::vocab::Vocab;

const MAX_DEPTH: usize = 64;
const EPCIS_NS_PREFIX: &str = "urn:epcglobal:epcis";

#[derive(Debug, Default)]
struct Node {
    ns: Option<String>,
    prefix: Option<String>,
    local: String,
    /// (namespace, prefix, local, value)
    attrs: Vec<(Option<String>, Option<String>, String, String)>,
    children: Vec<Node>,
    text: String,
}

impl Node {
    fn is_std(&self) -> bool {
        self.ns.is_none()
            || self
                .ns
                .as_deref()
                .is_some_and(|n| n.starts_with(EPCIS_NS_PREFIX))
    }
    fn child(&self, local: &str) -> Option<&Node> {
        self.children
            .iter()
            .find(|c| c.local == local && c.is_std())
    }
    fn children_named<'a>(&'a self, local: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children
            .iter()
            .filter(move |c| c.local == local && c.is_std())
    }
    fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(ns, _, l, _)| ns.is_none() && l == local)
            .map(|(_, _, _, v)| v.as_str())
    }
    fn text(&self) -> String {
        self.text.trim().to_string()
    }
}

struct Ns {
    /// scope stack of (prefix or "" for default, iri)
    scopes: Vec<Vec<(String, String)>>,
    /// every prefix → iri seen in the document (for the JSON-LD @context)
    all: Map<String, Value>,
}

impl Ns {
    fn resolve(&self, prefix: &str) -> Option<String> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .find(|(p, _)| p == prefix)
            .map(|(_, i)| i.clone())
    }
}

fn xml_err(e: impl std::fmt::Display) -> EpcisError {
    EpcisError::Xml(e.to_string())
}

fn split_qname(q: &str) -> (Option<&str>, &str) {
    match q.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, q),
    }
}

fn open(e: &BytesStart<'_>, ns: &mut Ns) -> Result<Node, EpcisError> {
    let mut scope = Vec::new();
    let mut raw_attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(xml_err)?;
        let key = AsRef::<str>::as_ref(&a.key).to_string();
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(xml_err)?
            .into_owned();
        if key == "xmlns" {
            scope.push((String::new(), value));
        } else if let Some(p) = key.strip_prefix("xmlns:") {
            if !value.starts_with(EPCIS_NS_PREFIX) && !ns.all.contains_key(p) {
                ns.all.insert(p.to_string(), Value::String(value.clone()));
            }
            scope.push((p.to_string(), value));
        } else {
            raw_attrs.push((key, value));
        }
    }
    ns.scopes.push(scope);
    let qname = AsRef::<str>::as_ref(&e.name()).to_string();
    let (prefix, local) = split_qname(&qname);
    let nsiri = match prefix {
        Some(p) => Some(
            ns.resolve(p)
                .ok_or_else(|| xml_err(format!("undeclared namespace prefix {p:?}")))?,
        ),
        None => ns.resolve("").filter(|s| !s.is_empty()),
    };
    let mut attrs = Vec::new();
    for (k, v) in raw_attrs {
        let (p, l) = split_qname(&k);
        let (a_ns, a_prefix) = match p {
            Some("xml") => (
                Some("http://www.w3.org/XML/1998/namespace".to_string()),
                Some("xml".to_string()),
            ),
            Some(p) => match ns.resolve(p) {
                Some(iri) => (Some(iri), Some(p.to_string())),
                // undeclared attribute prefix (e.g. gs1: used as a CURIE): keep as written
                None => (Some(String::new()), Some(p.to_string())),
            },
            None => (None, None),
        };
        attrs.push((a_ns, a_prefix, l.to_string(), v));
    }
    Ok(Node {
        ns: nsiri,
        prefix: prefix.map(str::to_string),
        local: local.to_string(),
        attrs,
        children: Vec::new(),
        text: String::new(),
    })
}

fn parse_tree(input: &str) -> Result<(Node, Map<String, Value>), EpcisError> {
    let mut reader = quick_xml::Reader::from_str(input);
    reader.config_mut().expand_empty_elements = false;
    let mut ns = Ns {
        scopes: Vec::new(),
        all: Map::new(),
    };
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        match reader.read_event().map_err(xml_err)? {
            XmlEvent::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(xml_err(format!("nesting deeper than {MAX_DEPTH} levels")));
                }
                if root.is_some() {
                    return Err(xml_err("content after the root element"));
                }
                let node = open(&e, &mut ns)?;
                stack.push(node);
            }
            XmlEvent::Empty(e) => {
                if root.is_some() {
                    return Err(xml_err("content after the root element"));
                }
                let node = open(&e, &mut ns)?;
                ns.scopes.pop();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            XmlEvent::End(_) => {
                ns.scopes.pop();
                let node = stack.pop().ok_or_else(|| xml_err("unbalanced end tag"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            XmlEvent::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                } else if !t.xml10_content().trim().is_empty() {
                    return Err(xml_err("text outside the root element"));
                }
            }
            XmlEvent::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(AsRef::<str>::as_ref(&t));
                }
            }
            XmlEvent::GeneralRef(r) => {
                let ch = match r.resolve_char_ref().map_err(xml_err)? {
                    Some(c) => c,
                    None => match r.as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => return Err(xml_err(format!("unknown entity &{other};"))),
                    },
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push(ch);
                }
            }
            XmlEvent::DocType(_) => return Err(xml_err("DTDs are not accepted")),
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(xml_err("unexpected end of document"));
    }
    let root = root.ok_or_else(|| xml_err("no root element"))?;
    Ok((root, ns.all))
}

// ------------------------------------------------------------------ XML → JSON-LD

struct Conv<'a> {
    prefixes: &'a mut Map<String, Value>,
}

impl Conv<'_> {
    /// JSON key for a namespaced element/attribute: `prefix:local`, registering the prefix.
    fn key(&mut self, ns: Option<&str>, prefix: Option<&str>, local: &str) -> String {
        let Some(ns) = ns.filter(|n| !n.is_empty()) else {
            return match prefix {
                Some(p) => format!("{p}:{local}"),
                None => local.to_string(),
            };
        };
        // reuse the document's prefix when it maps to this namespace
        if let Some(p) = prefix
            && self.prefixes.get(p).and_then(Value::as_str) == Some(ns)
        {
            return format!("{p}:{local}");
        }
        if let Some((p, _)) = self.prefixes.iter().find(|(_, v)| v.as_str() == Some(ns)) {
            return format!("{p}:{local}");
        }
        let mut i = 1;
        let p = loop {
            let cand = format!("ns{i}");
            if !self.prefixes.contains_key(&cand) {
                break cand;
            }
            i += 1;
        };
        self.prefixes
            .insert(p.clone(), Value::String(ns.to_string()));
        format!("{p}:{local}")
    }

    /// Generic extension element → JSON value.
    fn ext_value(&mut self, n: &Node) -> Value {
        if n.children.is_empty() && n.attrs.is_empty() {
            return Value::String(n.text.clone());
        }
        let mut m = Map::new();
        for (ans, ap, al, v) in &n.attrs {
            let k = self.key(ans.as_deref(), ap.as_deref(), al);
            m.insert(k, Value::String(v.clone()));
        }
        for c in &n.children {
            let k = self.key(c.ns.as_deref(), c.prefix.as_deref(), &c.local);
            let v = self.ext_value(c);
            push_multi(&mut m, k, v);
        }
        Value::Object(m)
    }

    /// Add the extension children / attributes of `n` (those in a non-EPCIS namespace).
    fn extensions_into(&mut self, n: &Node, m: &mut Map<String, Value>) {
        for (ans, ap, al, v) in &n.attrs {
            if ans.is_some() && ap.as_deref() != Some("xsi") && ap.as_deref() != Some("xml") {
                let k = self.key(ans.as_deref(), ap.as_deref(), al);
                m.insert(k, Value::String(v.clone()));
            }
        }
        for c in &n.children {
            if !c.is_std() {
                let k = self.key(c.ns.as_deref(), c.prefix.as_deref(), &c.local);
                let v = self.ext_value(c);
                push_multi(m, k, v);
            }
        }
    }
}

/// Repeated elements become a JSON array (an XML extension element's own value is never an
/// array, so an existing array means "already repeated").
fn push_multi(m: &mut Map<String, Value>, k: String, v: Value) {
    match m.get_mut(&k) {
        Some(Value::Array(a)) => a.push(v),
        Some(existing) => {
            let prev = existing.take();
            *existing = Value::Array(vec![prev, v]);
        }
        None => {
            m.insert(k, v);
        }
    }
}

fn num_or_string(s: &str) -> Value {
    let t = s.trim();
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() => serde_json::Number::from_f64(f)
            .map_or_else(|| Value::String(t.to_string()), Value::Number),
        _ => Value::String(t.to_string()),
    }
}

fn vocab_text(s: &str, vocab: Vocab) -> Value {
    let t = s.trim();
    Value::String(vocab.to_bare(t).unwrap_or(t).to_string())
}

fn gs1_bare(s: &str, vocab: Vocab) -> Value {
    let t = s.trim();
    let local = t
        .strip_prefix("gs1:")
        .or_else(|| t.strip_prefix("https://gs1.org/voc/"));
    match local {
        Some(l) if vocab.is_bare(l) => Value::String(l.to_string()),
        _ => vocab_text(t, vocab),
    }
}

fn epc_list(n: &Node) -> Value {
    Value::Array(
        n.children
            .iter()
            .filter(|c| c.is_std())
            .map(|c| Value::String(c.text()))
            .collect(),
    )
}

fn quantity_list(n: &Node) -> Value {
    Value::Array(
        n.children
            .iter()
            .filter(|c| c.is_std())
            .map(|qe| {
                let mut m = Map::new();
                for c in qe.children.iter().filter(|c| c.is_std()) {
                    let v = if c.local == "quantity" {
                        num_or_string(&c.text)
                    } else {
                        Value::String(c.text())
                    };
                    m.insert(c.local.clone(), v);
                }
                Value::Object(m)
            })
            .collect(),
    )
}

/// Flatten `extension` / `baseExtension` wrappers of EPCIS 1.x-style XML.
fn flattened(n: &Node) -> Vec<&Node> {
    let mut out = Vec::new();
    for c in &n.children {
        if c.is_std() && (c.local == "extension" || c.local == "baseExtension") {
            out.extend(flattened(c));
        } else {
            out.push(c);
        }
    }
    out
}

const SENSOR_NUMBERS: &[&str] = &[
    "value",
    "minValue",
    "maxValue",
    "meanValue",
    "sDev",
    "percRank",
    "percValue",
];

impl Conv<'_> {
    fn sensor_attrs(&mut self, n: &Node, is_report: bool) -> Value {
        let mut m = Map::new();
        for (ans, ap, al, v) in &n.attrs {
            if ans.is_some() {
                if ap.as_deref() == Some("xsi") {
                    continue;
                }
                let k = self.key(ans.as_deref(), ap.as_deref(), al);
                m.insert(k, Value::String(v.clone()));
                continue;
            }
            let val = if is_report && SENSOR_NUMBERS.contains(&al.as_str()) {
                num_or_string(v)
            } else if is_report && al == "booleanValue" {
                match v.trim() {
                    "true" | "1" => Value::Bool(true),
                    "false" | "0" => Value::Bool(false),
                    other => Value::String(other.to_string()),
                }
            } else if is_report && al == "type" {
                gs1_bare(v, Vocab::MeasurementType)
            } else if is_report && al == "exception" {
                gs1_bare(v, Vocab::SensorAlertType)
            } else if is_report && al == "component" {
                vocab_text(v, Vocab::Component)
            } else {
                Value::String(v.trim().to_string())
            };
            m.insert(al.clone(), val);
        }
        for c in &n.children {
            if !c.is_std() {
                let k = self.key(c.ns.as_deref(), c.prefix.as_deref(), &c.local);
                let v = self.ext_value(c);
                push_multi(&mut m, k, v);
            }
        }
        Value::Object(m)
    }

    fn event(&mut self, n: &Node) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), Value::String(n.local.clone()));
        for c in flattened(n) {
            if !c.is_std() {
                let k = self.key(c.ns.as_deref(), c.prefix.as_deref(), &c.local);
                let v = self.ext_value(c);
                push_multi(&mut m, k, v);
                continue;
            }
            let name = c.local.as_str();
            let v = match name {
                "epcList" | "childEPCs" | "inputEPCList" | "outputEPCList" => epc_list(c),
                "quantityList" | "childQuantityList" | "inputQuantityList"
                | "outputQuantityList" => quantity_list(c),
                "bizStep" => vocab_text(&c.text, Vocab::BizStep),
                "disposition" => vocab_text(&c.text, Vocab::Disposition),
                "persistentDisposition" => {
                    let mut pm = Map::new();
                    for k in ["set", "unset"] {
                        let items: Vec<Value> = c
                            .children_named(k)
                            .map(|x| vocab_text(&x.text, Vocab::Disposition))
                            .collect();
                        if !items.is_empty() {
                            pm.insert(k.into(), Value::Array(items));
                        }
                    }
                    Value::Object(pm)
                }
                "readPoint" | "bizLocation" => {
                    let mut lm = Map::new();
                    if let Some(id) = c.child("id") {
                        lm.insert("id".into(), Value::String(id.text()));
                    }
                    self.extensions_into(c, &mut lm);
                    Value::Object(lm)
                }
                "bizTransactionList" => Value::Array(
                    c.children
                        .iter()
                        .filter(|x| x.is_std())
                        .map(|bt| {
                            let mut bm = Map::new();
                            if let Some(t) = bt.attr("type") {
                                bm.insert("type".into(), vocab_text(t, Vocab::BizTransactionType));
                            }
                            bm.insert("bizTransaction".into(), Value::String(bt.text()));
                            Value::Object(bm)
                        })
                        .collect(),
                ),
                "sourceList" | "destinationList" => {
                    let field = if name == "sourceList" {
                        "source"
                    } else {
                        "destination"
                    };
                    Value::Array(
                        c.children
                            .iter()
                            .filter(|x| x.is_std())
                            .map(|sd| {
                                let mut sm = Map::new();
                                if let Some(t) = sd.attr("type") {
                                    sm.insert("type".into(), vocab_text(t, Vocab::SourceDestType));
                                }
                                sm.insert(field.into(), Value::String(sd.text()));
                                Value::Object(sm)
                            })
                            .collect(),
                    )
                }
                "sensorElementList" => Value::Array(
                    c.children
                        .iter()
                        .filter(|x| x.is_std())
                        .map(|se| {
                            let mut sm = Map::new();
                            let mut reports = Vec::new();
                            for part in &se.children {
                                if !part.is_std() {
                                    let k = self.key(
                                        part.ns.as_deref(),
                                        part.prefix.as_deref(),
                                        &part.local,
                                    );
                                    let v = self.ext_value(part);
                                    push_multi(&mut sm, k, v);
                                } else if part.local == "sensorMetadata" {
                                    sm.insert(
                                        "sensorMetadata".into(),
                                        self.sensor_attrs(part, false),
                                    );
                                } else if part.local == "sensorReport" {
                                    reports.push(self.sensor_attrs(part, true));
                                } else {
                                    sm.insert(part.local.clone(), Value::String(part.text()));
                                }
                            }
                            sm.insert("sensorReport".into(), Value::Array(reports));
                            Value::Object(sm)
                        })
                        .collect(),
                ),
                "ilmd" => {
                    let mut im = Map::new();
                    for x in flattened(c) {
                        let k = self.key(x.ns.as_deref(), x.prefix.as_deref(), &x.local);
                        let v = self.ext_value(x);
                        push_multi(&mut im, k, v);
                    }
                    Value::Object(im)
                }
                "errorDeclaration" => {
                    let mut em = Map::new();
                    for x in flattened(c) {
                        if !x.is_std() {
                            let k = self.key(x.ns.as_deref(), x.prefix.as_deref(), &x.local);
                            let v = self.ext_value(x);
                            push_multi(&mut em, k, v);
                        } else if x.local == "reason" {
                            em.insert("reason".into(), vocab_text(&x.text, Vocab::ErrorReason));
                        } else if x.local == "correctiveEventIDs" {
                            em.insert("correctiveEventIDs".into(), epc_list(x));
                        } else {
                            em.insert(x.local.clone(), Value::String(x.text()));
                        }
                    }
                    Value::Object(em)
                }
                "certificationInfo" => {
                    let v = Value::String(c.text());
                    match m.get_mut("certificationInfo") {
                        Some(Value::String(prev)) => {
                            let prev = Value::String(prev.clone());
                            m.insert("certificationInfo".into(), Value::Array(vec![prev, v]));
                        }
                        Some(Value::Array(a)) => a.push(v),
                        _ => {
                            m.insert("certificationInfo".into(), v);
                        }
                    }
                    continue;
                }
                _ => Value::String(c.text()),
            };
            m.insert(name.to_string(), v);
        }
        Value::Object(m)
    }
}

fn find_event_list(root: &Node) -> Option<&Node> {
    let body = root.child("EPCISBody")?;
    if let Some(l) = body.child("EventList") {
        return Some(l);
    }
    body.child("QueryResults")
        .and_then(|q| q.child("resultsBody"))
        .and_then(|r| r.child("EventList"))
}

/// Parse an EPCIS 2.0 XML `EPCISDocument` / `EPCISQueryDocument` (structure only, like
/// [`crate::parse_document`]; use [`parse_and_validate_xml`] for full validation).
pub fn parse_xml_document(input: &str) -> Result<EpcisDocument, EpcisError> {
    let (root, mut prefixes) = parse_tree(input)?;
    let kind = match root.local.as_str() {
        "EPCISDocument" => "EPCISDocument",
        "EPCISQueryDocument" => "EPCISQueryDocument",
        other => {
            return Err(xml_err(format!(
                "root element {other:?} is not an EPCIS document"
            )));
        }
    };
    let list = find_event_list(&root).ok_or_else(|| xml_err("missing EPCISBody/EventList"))?;
    let mut conv = Conv {
        prefixes: &mut prefixes,
    };
    let mut events = Vec::new();
    for ev in flattened(list) {
        events.push(conv.event(ev));
    }
    let mut doc = Map::new();
    let mut ctx = vec![Value::String(crate::context::EPCIS_CONTEXT_URL_V2.into())];
    let std = crate::context::standard_namespaces();
    let extra: Map<String, Value> = prefixes
        .into_iter()
        .filter(|(k, v)| std.get(k).map(String::as_str) != v.as_str() && k != "xsi" && k != "sbdh")
        .collect();
    if !extra.is_empty() {
        ctx.push(Value::Object(extra));
    }
    doc.insert("@context".into(), Value::Array(ctx));
    doc.insert("type".into(), Value::String(kind.into()));
    doc.insert(
        "schemaVersion".into(),
        Value::String(root.attr("schemaVersion").unwrap_or("2.0").to_string()),
    );
    if let Some(cd) = root.attr("creationDate") {
        doc.insert("creationDate".into(), Value::String(cd.to_string()));
    }
    let events = Value::Array(events);
    let body = if kind == "EPCISDocument" {
        serde_json::json!({ "eventList": events })
    } else {
        let qr = root
            .child("EPCISBody")
            .and_then(|b| b.child("QueryResults"));
        let mut q = Map::new();
        if let Some(n) = qr.and_then(|q| q.child("queryName")) {
            q.insert("queryName".into(), Value::String(n.text()));
        }
        if let Some(n) = qr.and_then(|q| q.child("subscriptionID")) {
            q.insert("subscriptionID".into(), Value::String(n.text()));
        }
        q.insert(
            "resultsBody".into(),
            serde_json::json!({ "eventList": events }),
        );
        serde_json::json!({ "queryResults": Value::Object(q) })
    };
    doc.insert("epcisBody".into(), body);
    document_from_value(&Value::Object(doc))
}

/// Parse and validate an EPCIS 2.0 XML document.
pub fn parse_and_validate_xml(input: &str) -> Result<EpcisDocument, EpcisError> {
    let doc = parse_xml_document(input)?;
    crate::validate::validate_document(&doc)?;
    Ok(doc)
}
