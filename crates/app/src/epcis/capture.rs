//! Capture: `POST /capture` documents as durable jobs, `POST /events` single events.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, Utc};
use domain::authz::Actor;
use serde::Serialize;
use serde_json::{Value, json};

use super::{
    CAPTURE_FILE_SIZE_LIMIT, CAPTURE_LIMIT, EResult, EpcisFailure, event_log_entry, may_capture,
    stored_form,
};
use crate::{App, AppError};

/// `GS1-Capture-Error-Behaviour`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorBehaviour {
    Rollback,
    Proceed,
}

impl ErrorBehaviour {
    pub fn parse(s: Option<&str>) -> EResult<Self> {
        match s.map(str::trim) {
            None | Some("rollback") => Ok(ErrorBehaviour::Rollback),
            Some("proceed") => Ok(ErrorBehaviour::Proceed),
            Some(other) => Err(EpcisFailure::Parameter {
                name: "GS1-Capture-Error-Behaviour".into(),
                message: format!("'{other}' is neither rollback nor proceed"),
            }),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorBehaviour::Rollback => "rollback",
            ErrorBehaviour::Proceed => "proceed",
        }
    }
}

/// The document syntax of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Json,
    Xml,
}

impl Syntax {
    /// From a `Content-Type` (parameters ignored); `None` when unsupported.
    pub fn from_media_type(ct: &str) -> Option<Syntax> {
        let base = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match base.as_str() {
            "application/ld+json" | "application/json" => Some(Syntax::Json),
            "application/xml" | "text/xml" => Some(Syntax::Xml),
            _ => None,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Syntax::Json => "application/ld+json",
            Syntax::Xml => "application/xml",
        }
    }
}

/// A capture job as the binding shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureJobView {
    #[serde(rename = "captureID")]
    pub capture_id: String,
    #[serde(rename = "createdAt")]
    pub created_at: DateTime<Utc>,
    #[serde(rename = "finishedAt", skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    pub running: bool,
    pub success: bool,
    #[serde(rename = "captureErrorBehaviour")]
    pub capture_error_behaviour: String,
    pub errors: Vec<Value>,
    #[serde(rename = "eventCount")]
    pub event_count: i64,
    /// ppetrace extension: leaf indexes of the job's entries in the
    /// tamper-evident log, as inclusive ranges (`"5-7,9"`); absent until the
    /// job has stored events. Proofs: `GET /log/proof/{index}`.
    #[serde(rename = "logIndexes", skip_serializing_if = "String::is_empty")]
    pub log_indexes: String,
}

impl From<store::CaptureJob> for CaptureJobView {
    fn from(j: store::CaptureJob) -> Self {
        let errors: Vec<Value> = serde_json::from_str(&j.errors).unwrap_or_default();
        CaptureJobView {
            capture_id: j.id,
            created_at: j.created_at,
            finished_at: j.finished_at,
            running: j.state == "running",
            success: j.state != "failed" && errors.is_empty(),
            capture_error_behaviour: j.behaviour,
            errors,
            event_count: j.event_count,
            log_indexes: j.log_indexes,
        }
    }
}

/// A job's document and settings, held in memory while it is processed.
struct Held {
    syntax: Syntax,
    proceed: bool,
    body: Vec<u8>,
}

/// Deepest nesting of a captured JSON document. The job's parser (serde_json,
/// recursion limit 128) refuses 128 levels or more; the streaming count before the `202`
/// skips values without such a limit, so it checks the depth itself and a deep
/// document is refused at once rather than accepted and failed in its job.
const MAX_JSON_DEPTH: usize = 127;

/// Whether arrays and objects nest deeper than `limit` (brackets inside strings
/// do not count). One pass over the bytes; well-formedness is checked elsewhere.
fn nesting_exceeds(body: &[u8], limit: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// The number of events in `/epcisBody/eventList` of a JSON document (0 when
/// it is absent or not an array), checking that the whole document is
/// well-formed JSON, without building it in memory.
fn count_events(body: &[u8]) -> serde_json::Result<usize> {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

    /// Any JSON value. With keys left, an object's value under the first key
    /// is read the same way with the rest (the last one wins, as in a parsed
    /// `Value`); with none left, an array's length. Anything else counts 0.
    #[derive(Clone, Copy)]
    struct Path(&'static [&'static str]);

    impl<'de> DeserializeSeed<'de> for Path {
        type Value = usize;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Path {
        type Value = usize;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
            let mut n = 0;
            while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match self.0.split_first() {
                    Some((first, rest)) if *first == k => {
                        n = map.next_value_seed(Path(rest))?;
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(if self.0.is_empty() { 0 } else { n })
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
            let mut n = 0;
            while seq.next_element::<IgnoredAny>()?.is_some() {
                n += 1;
            }
            Ok(if self.0.is_empty() { n } else { 0 })
        }
        fn visit_bool<E>(self, _: bool) -> Result<usize, E> {
            Ok(0)
        }
        fn visit_i64<E>(self, _: i64) -> Result<usize, E> {
            Ok(0)
        }
        fn visit_u64<E>(self, _: u64) -> Result<usize, E> {
            Ok(0)
        }
        fn visit_f64<E>(self, _: f64) -> Result<usize, E> {
            Ok(0)
        }
        fn visit_str<E>(self, _: &str) -> Result<usize, E> {
            Ok(0)
        }
        fn visit_unit<E>(self) -> Result<usize, E> {
            Ok(0)
        }
    }

    if nesting_exceeds(body, MAX_JSON_DEPTH) {
        return Err(<serde_json::Error as serde::de::Error>::custom(format!(
            "nested deeper than {MAX_JSON_DEPTH} levels"
        )));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let n = Path(&["epcisBody", "eventList"]).deserialize(&mut de)?;
    de.end()?;
    Ok(n)
}

/// Jobs being processed by this process (a `running` job not in here is resumed).
fn active() -> &'static Mutex<HashSet<String>> {
    static ACTIVE: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    ACTIVE.get_or_init(|| Mutex::new(HashSet::new()))
}

fn problem(kind: &str, detail: impl Into<String>) -> Value {
    json!({"type": format!("epcisException:{kind}"), "title": kind, "status": 400, "detail": detail.into()})
}

/// Parses and validates a document; every issue becomes one error object.
fn parse(syntax: Syntax, body: &[u8]) -> std::result::Result<epcis::EpcisDocument, Vec<Value>> {
    let text = std::str::from_utf8(body)
        .map_err(|_| vec![problem("ValidationException", "the document is not UTF-8")])?;
    let r = match syntax {
        Syntax::Json => epcis::parse_and_validate(text),
        Syntax::Xml => epcis::parse_and_validate_xml(text),
    };
    r.map_err(|e| {
        let issues = e.issues();
        if issues.is_empty() {
            vec![problem("ValidationException", e.to_string())]
        } else {
            issues
                .iter()
                .map(|i| {
                    let mut p = problem("ValidationException", i.to_string());
                    p["eventIndex"] = json!(i.event_index);
                    p["eventID"] = json!(i.event_id);
                    p["field"] = json!(i.path);
                    p
                })
                .collect()
        }
    })
}

impl App {
    /// Accepts a document for capture: checks the limits, stores the job durably
    /// (with the document) and starts processing. Returns the job id.
    pub async fn submit_capture(
        &self,
        actor: &Actor,
        content_type: &str,
        body: Vec<u8>,
        behaviour: ErrorBehaviour,
    ) -> EResult<String> {
        may_capture(actor)?;
        let syntax = Syntax::from_media_type(content_type).ok_or_else(|| {
            EpcisFailure::Validation(format!(
                "unsupported Content-Type '{content_type}': use application/ld+json, application/json, application/xml or text/xml"
            ))
        })?;
        if body.len() > CAPTURE_FILE_SIZE_LIMIT {
            return Err(EpcisFailure::CaptureLimit(format!(
                "the document has {} bytes; the limit (GS1-EPCIS-Capture-File-Size-Limit) is {CAPTURE_FILE_SIZE_LIMIT}",
                body.len()
            )));
        }
        if syntax == Syntax::Json {
            // Well-formedness and the event count are checked before the 202,
            // in one pass that builds nothing (the job parses the document).
            let n = count_events(&body)
                .map_err(|e| EpcisFailure::Validation(format!("malformed JSON: {e}")))?;
            if n > CAPTURE_LIMIT {
                return Err(EpcisFailure::CaptureLimit(format!(
                    "the document has {n} events; the limit (GS1-EPCIS-Capture-Limit) is {CAPTURE_LIMIT}"
                )));
            }
        }
        let id = format!("{:032x}", rand::random::<u128>());
        let mut job = store::NewCaptureJob {
            id: id.clone(),
            owner_org_id: actor.org_id,
            actor: actor.label(),
            behaviour: behaviour.as_str().into(),
            media_type: syntax.as_str().into(),
            body,
            created_at: self.clock.now(),
        };
        self.store.create_capture_job(&job).await?;
        // The job is durable; this process works on the document it already
        // holds instead of reading it back.
        let held = Held {
            syntax,
            proceed: behaviour == ErrorBehaviour::Proceed,
            body: std::mem::take(&mut job.body),
        };
        self.spawn_capture_with(actor.clone(), id.clone(), Some(held));
        Ok(id)
    }

    fn spawn_capture(&self, actor: Actor, id: String) {
        self.spawn_capture_with(actor, id, None);
    }

    fn spawn_capture_with(&self, actor: Actor, id: String, held: Option<Held>) {
        {
            let Ok(mut set) = active().lock() else { return };
            if !set.insert(id.clone()) {
                return;
            }
        }
        let app = self.clone();
        tokio::spawn(async move {
            let done = match held {
                Some(h) => app.process_held(&actor, &id, h).await,
                None => app.process_capture(&actor, &id).await,
            };
            if let Err(e) = done {
                tracing::error!(job = %id, error = %e, "capture job failed");
                let errs = json!([problem(
                    "ImplementationException",
                    "internal error; it was logged"
                )])
                .to_string();
                let _ = app
                    .store
                    .finish_capture_job(&id, "failed", &errs, "", app.clock.now())
                    .await;
            }
            if let Ok(mut set) = active().lock() {
                set.remove(&id);
            }
        });
    }

    /// Runs one capture job to its end (idempotent: a finished job is left alone).
    pub async fn process_capture(&self, actor: &Actor, id: &str) -> crate::Result<()> {
        let Some((media, body)) = self.store.capture_job_body(id).await? else {
            return Ok(());
        };
        let Some(job) = self.store.get_capture_job(id).await? else {
            return Ok(());
        };
        let held = Held {
            syntax: Syntax::from_media_type(&media).unwrap_or(Syntax::Json),
            proceed: job.behaviour == "proceed",
            body,
        };
        self.process_held(actor, id, held).await
    }

    /// Runs a job whose document is in hand (just stored by `submit_capture`,
    /// or read back by `process_capture`).
    async fn process_held(&self, actor: &Actor, id: &str, held: Held) -> crate::Result<()> {
        let Held {
            syntax,
            proceed,
            body,
        } = held;
        let now = self.clock.now();
        let doc = match parse(syntax, &body) {
            Ok(d) => d,
            Err(errors) => {
                // Validation is all-or-nothing per document in both modes when the
                // document as a whole cannot be parsed; with `proceed`, events with
                // issues are skipped below instead.
                if !proceed || errors.iter().all(|e| e["eventIndex"].is_null()) {
                    let errs = Value::Array(errors).to_string();
                    self.store
                        .finish_capture_job(id, "failed", &errs, "", now)
                        .await?;
                    return Ok(());
                }
                return self
                    .capture_valid_subset(actor, id, syntax, &body, errors)
                    .await;
            }
        };
        if doc.events.len() > CAPTURE_LIMIT {
            let errs = json!([problem(
                "CaptureLimitExceededException",
                format!("{} events; the limit is {CAPTURE_LIMIT}", doc.events.len())
            )])
            .to_string();
            self.store
                .finish_capture_job(id, "failed", &errs, "", now)
                .await?;
            return Ok(());
        }
        self.store_document(actor, id, &doc.events, proceed, Vec::new())
            .await
    }

    /// `proceed` with invalid events: store the events without issues.
    async fn capture_valid_subset(
        &self,
        actor: &Actor,
        id: &str,
        syntax: Syntax,
        body: &[u8],
        errors: Vec<Value>,
    ) -> crate::Result<()> {
        let now = self.clock.now();
        let text = std::str::from_utf8(body).unwrap_or_default();
        let parsed = match syntax {
            Syntax::Json => epcis::parse_document(text),
            Syntax::Xml => epcis::parse_xml_document(text),
        };
        let Ok(doc) = parsed else {
            let errs = Value::Array(errors).to_string();
            self.store
                .finish_capture_job(id, "failed", &errs, "", now)
                .await?;
            return Ok(());
        };
        let bad: HashSet<u64> = errors
            .iter()
            .filter_map(|e| e["eventIndex"].as_u64())
            .collect();
        let good: Vec<epcis::Event> = doc
            .events
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !bad.contains(&(*i as u64)))
            .map(|(_, e)| e)
            .collect();
        self.store_document(actor, id, &good, true, errors).await
    }

    async fn store_document(
        &self,
        actor: &Actor,
        id: &str,
        events: &[epcis::Event],
        proceed: bool,
        mut errors: Vec<Value>,
    ) -> crate::Result<()> {
        let now = self.clock.now();
        let mut items = Vec::with_capacity(events.len());
        for ev in events {
            let (event, index, _) = stored_form(ev, Some(actor.org_id), now, Vec::new())?;
            let log = event_log_entry(actor, now, &event.event_id, &index.event_hash, &event.body);
            items.push(store::CaptureItem { event, index, log });
        }
        let dup_errors = |dups: &[usize], items: &[store::CaptureItem]| -> Vec<Value> {
            dups.iter()
                .map(|&i| {
                    let mut p = problem(
                        "ValidationException",
                        format!(
                            "event {i} ({}): an identical event (same CBV 2.0 hash {}) is already captured",
                            items[i].event.event_id, items[i].index.event_hash
                        ),
                    );
                    p["eventIndex"] = json!(i);
                    p["eventID"] = json!(items[i].event.event_id);
                    p
                })
                .collect()
        };
        if proceed {
            // Valid, new events commit in one transaction; duplicates are skipped and
            // reported. The job's end is recorded right after (a crash in between
            // leaves it running; resuming finds the events already stored and
            // reports them as duplicates, storing nothing twice).
            let (out, indexes) =
                store::receipts::collect(self.store.capture_events(&items, true, None)).await;
            let out = out?;
            errors.extend(dup_errors(&out.duplicates, &items));
            let state = "success";
            let errs = Value::Array(errors).to_string();
            let indexes = store::receipts::ranges(&indexes);
            self.store
                .finish_capture_job(id, state, &errs, &indexes, now)
                .await?;
            return Ok(());
        }
        let out = self
            .store
            .capture_events(&items, false, Some((id, "[]")))
            .await?;
        if !out.duplicates.is_empty() {
            let errs = Value::Array(dup_errors(&out.duplicates, &items)).to_string();
            self.store
                .finish_capture_job(id, "failed", &errs, "", now)
                .await?;
        }
        Ok(())
    }

    /// A capture job, if the actor may see it (its organization's, or any for admins
    /// and regulators). A job found running but not being processed is resumed.
    pub async fn capture_job(&self, actor: &Actor, id: &str) -> EResult<CaptureJobView> {
        let job = self
            .store
            .get_capture_job(id)
            .await?
            .filter(|j| {
                j.owner_org_id == actor.org_id
                    || actor.admin
                    || actor.has_role(domain::org::Role::Regulator)
            })
            .ok_or_else(|| EpcisFailure::NoSuchResource(format!("capture job {id}")))?;
        if job.state == "running" {
            let busy = active().lock().map(|s| s.contains(id)).unwrap_or(true);
            if !busy {
                self.spawn_capture(actor.clone(), id.to_string());
            }
        }
        Ok(job.into())
    }

    /// Resumes every capture job left `running` by a previous process (a crash or a
    /// restart mid-job), acting as the job's submitter. Called once at start-up;
    /// returns how many were resumed. Safe to repeat: a job's events are stored in
    /// one transaction, and a resumed job finds any already stored as its own.
    pub async fn resume_capture_jobs(&self) -> crate::Result<usize> {
        let mut resumed = 0;
        for job in self.store.list_capture_jobs(None, 10_000).await? {
            if job.state != "running" {
                continue;
            }
            let Some(org) = self.store.get_org(job.owner_org_id).await? else {
                continue;
            };
            let key_id = job
                .actor
                .rsplit_once("/key:")
                .and_then(|(_, k)| k.parse().ok())
                .unwrap_or(0);
            let actor = Actor {
                key_id,
                org_id: org.id,
                roles: org.roles.clone(),
                admin: false,
            };
            tracing::info!(job = %job.id, "resuming capture job left running");
            self.spawn_capture(actor, job.id);
            resumed += 1;
        }
        Ok(resumed)
    }

    /// The actor's recent capture jobs.
    pub async fn capture_jobs(&self, actor: &Actor) -> EResult<Vec<CaptureJobView>> {
        let owner = if actor.admin {
            None
        } else {
            Some(actor.org_id)
        };
        Ok(self
            .store
            .list_capture_jobs(owner, 100)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// `POST /events`: captures one event synchronously. Returns its eventID.
    pub async fn capture_single_event(&self, actor: &Actor, body: &[u8]) -> EResult<String> {
        may_capture(actor)?;
        let text = std::str::from_utf8(body)
            .map_err(|_| EpcisFailure::Validation("the event is not UTF-8".into()))?;
        let ev = epcis::parse_and_validate_event(text)?;
        let now = self.clock.now();
        let (event, index, _) = stored_form(&ev, Some(actor.org_id), now, Vec::new())?;
        let log = event_log_entry(actor, now, &event.event_id, &index.event_hash, &event.body);
        let event_id = event.event_id.clone();
        let hash = index.event_hash.clone();
        let out = self
            .store
            .capture_events(&[store::CaptureItem { event, index, log }], false, None)
            .await
            .map_err(|e| match e {
                store::StoreError::Conflict(_) => EpcisFailure::Duplicate(format!(
                    "an identical event (CBV 2.0 hash {hash}) is already captured"
                )),
                other => EpcisFailure::App(AppError::from(other)),
            })?;
        if !out.duplicates.is_empty() {
            return Err(EpcisFailure::Duplicate(format!(
                "an identical event (CBV 2.0 hash {hash}) is already captured"
            )));
        }
        Ok(event_id)
    }
}

#[cfg(test)]
mod count_tests {
    use super::count_events;

    /// The count agrees with the parsed document's `/epcisBody/eventList`
    /// length, including odd shapes, and malformed JSON is refused.
    #[test]
    fn counts_like_a_parsed_value() {
        for doc in [
            r#"{"epcisBody":{"eventList":[{},{"a":[1,2]},3]}}"#,
            r#"{"epcisBody":{"eventList":[]}}"#,
            r#"{"epcisBody":{"eventList":{"a":1}}}"#,
            r#"{"epcisBody":{"eventList":"x"}}"#,
            r#"{"epcisBody":[1,2,3]}"#,
            r#"{"eventList":[1,2]}"#,
            r#"[1,2]"#,
            r#"7"#,
            r#"{"epcisBody":{"eventList":[1],"eventList":[1,2]}}"#,
            r#"{"x":{"epcisBody":{"eventList":[1]}},"epcisBody":{"eventList":[true,null]}}"#,
            " {\"epcisBody\" : {\"eventList\" : [ \"\\u00e9\" ] } } \n",
        ] {
            let v: serde_json::Value = serde_json::from_str(doc).expect(doc);
            let want = v
                .pointer("/epcisBody/eventList")
                .and_then(serde_json::Value::as_array)
                .map_or(0, Vec::len);
            assert_eq!(count_events(doc.as_bytes()).ok(), Some(want), "{doc}");
        }
        for bad in [
            "",
            "{",
            r#"{"epcisBody":{"eventList":[1,]}}"#,
            r#"{"epcisBody":1} x"#,
            "[1] [2]",
        ] {
            assert!(serde_json::from_str::<serde_json::Value>(bad).is_err());
            assert!(count_events(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    /// Deeper than the job's parser accepts is refused by the count too;
    /// brackets and escaped quotes inside strings are not nesting.
    #[test]
    fn refuses_what_the_parser_would_refuse_for_depth() {
        let nested = |n: usize| {
            format!(
                r#"{{"epcisBody":{{"eventList":[{{"deep":{}1{}}}]}}}}"#,
                "[".repeat(n),
                "]".repeat(n)
            )
        };
        // 4 levels of document around the nesting.
        let fits = nested(super::MAX_JSON_DEPTH - 4);
        assert!(serde_json::from_str::<serde_json::Value>(&fits).is_ok());
        assert_eq!(count_events(fits.as_bytes()).ok(), Some(1));
        let one_more = nested(super::MAX_JSON_DEPTH - 3);
        assert!(serde_json::from_str::<serde_json::Value>(&one_more).is_err());
        assert!(count_events(one_more.as_bytes()).is_err());
        let deep = nested(10_000);
        assert!(serde_json::from_str::<serde_json::Value>(&deep).is_err());
        assert!(count_events(deep.as_bytes()).is_err());
        let strings = format!(
            r#"{{"epcisBody":{{"eventList":["{}", "a\"[[[", "{}"]}}}}"#,
            "[".repeat(500),
            "{".repeat(500)
        );
        assert!(serde_json::from_str::<serde_json::Value>(&strings).is_ok());
        assert_eq!(count_events(strings.as_bytes()).ok(), Some(3));
    }
}
