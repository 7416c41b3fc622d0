//! The EPCIS event repository: lifecycle writes, capture of whole documents in one
//! transaction, durable capture jobs, indexed queries with keyset paging, named queries.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::log_entry::LogEntry;
use serde::Serialize;

use crate::{Effects, NewEvent, Result, StoredEvent};

/// Query keys of one event, derived by the caller (the store knows no EPCIS rules).
#[derive(Debug, Clone, Default)]
pub struct EventIndex {
    /// CBV 2.0 event hash (de-duplication key among events without error declaration).
    pub event_hash: String,
    /// The event carries an `errorDeclaration` (a correction, never a duplicate).
    pub error_declared: bool,
    /// (role, normalised value) pairs; roles: `epc`, `parent`, `input`, `output`,
    /// `child`, `class`, `inclass`, `outclass`, `cp` (company-prefix key).
    pub keys: Vec<(String, String)>,
}

impl EventIndex {
    /// The index of a platform lifecycle event: its hash is its eventID.
    pub fn plain(ev: &NewEvent) -> EventIndex {
        EventIndex {
            event_hash: ev.event_id.clone(),
            error_declared: false,
            keys: ev
                .epcs
                .iter()
                .map(|e| ("epc".to_string(), e.clone()))
                .collect(),
        }
    }

    /// The keys to store for an event, each once: its index keys plus a `named`
    /// key for each name of the event that none of them already holds. (An event
    /// names a company prefix once per identifier; a key twice would be a
    /// conflict for the database to resolve, which costs PostgreSQL a second
    /// index probe per key.)
    pub fn stored_keys<'a>(&'a self, ev: &'a NewEvent) -> impl Iterator<Item = (&'a str, &'a str)> {
        let held: std::collections::HashSet<&str> = self
            .keys
            .iter()
            .filter(|(r, _)| r != "cp" && r != "named")
            .map(|(_, v)| v.as_str())
            .collect();
        let mut seen = std::collections::HashSet::new();
        self.keys
            .iter()
            .map(|(r, v)| (r.as_str(), v.as_str()))
            .chain(
                ev.epcs
                    .iter()
                    .filter(move |e| !held.contains(e.as_str()))
                    .map(|e| ("named", e.as_str())),
            )
            .filter(move |k| seen.insert(*k))
    }
}

/// The key roles under which an event names an identifier: its lookup by identifier
/// ([`crate::EventStore::events_for_epc`]) reads these keys. `named` holds the names
/// a caller gave an event ([`NewEvent::epcs`]) that are none of its other keys.
pub const NAMING_ROLES: &str =
    "'epc', 'child', 'parent', 'input', 'output', 'class', 'inclass', 'outclass', 'lot', 'named'";

/// One event of a captured document, with its index and log entry.
#[derive(Debug, Clone)]
pub struct CaptureItem {
    pub event: NewEvent,
    pub index: EventIndex,
    pub log: LogEntry,
}

/// What a capture did: which events (by position) were stored and which were duplicates.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CaptureOutcome {
    pub stored: Vec<usize>,
    pub duplicates: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct NewCaptureJob {
    pub id: String,
    pub owner_org_id: i64,
    pub actor: String,
    pub behaviour: String,
    pub media_type: String,
    pub body: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaptureJob {
    pub id: String,
    pub owner_org_id: i64,
    pub actor: String,
    /// `running`, `success` or `failed`.
    pub state: String,
    pub behaviour: String,
    pub media_type: String,
    /// JSON array of error objects.
    pub errors: String,
    pub event_count: i64,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Leaf indexes of the log entries the job appended, as ranges (`5-7,9`);
    /// empty until it succeeds.
    pub log_indexes: String,
}

/// Sort key of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortField {
    /// Storage order (record order).
    #[default]
    Record,
    EventTime,
    RecordTime,
}

/// Keyset cursor: the sort value (none for record order) and the row id of the last row seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub time: Option<DateTime<Utc>>,
    pub id: i64,
}

/// A filter over one role set of [`EventIndex::keys`]: any exact value, or any value
/// equal to a prefix or under it (`prefix/…`).
#[derive(Debug, Clone, Default)]
pub struct KeyFilter {
    pub roles: Vec<String>,
    pub exact: Vec<String>,
    pub prefixes: Vec<String>,
}

/// Who may see which events: `None` in [`EventFilter::visible_to`] means everything.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    pub org_id: i64,
    /// GS1 company prefixes: events naming a GTIN under one of them are visible.
    pub company_prefixes: Vec<String>,
}

/// The SQL-evaluable part of an EPCIS query (values already normalised). All AND.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub event_types: Option<Vec<String>>,
    pub ge_event_time: Option<DateTime<Utc>>,
    pub lt_event_time: Option<DateTime<Utc>>,
    pub ge_record_time: Option<DateTime<Utc>>,
    pub lt_record_time: Option<DateTime<Utc>>,
    pub actions: Option<Vec<String>>,
    pub biz_steps: Option<Vec<String>>,
    pub dispositions: Option<Vec<String>>,
    pub read_points: Option<Vec<String>>,
    pub biz_locations: Option<Vec<String>>,
    pub event_ids: Option<Vec<String>>,
    pub error_declared: Option<bool>,
    pub keys: Vec<KeyFilter>,
    pub pks: Option<Vec<i64>>,
    pub visible_to: Option<Visibility>,
    pub sort: SortField,
    pub descending: bool,
    pub after: Option<Cursor>,
    pub limit: u32,
}

/// A stored named query.
#[derive(Debug, Clone, Serialize)]
pub struct NamedQuery {
    pub name: String,
    pub owner_org_id: i64,
    pub query: String,
    pub created_at: DateTime<Utc>,
}

/// The EPCIS event repository.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Applies a lifecycle event atomically: stores the event, indexes its EPCs,
    /// updates code states, batch release/recall, and appends the log entry.
    async fn record_event(&self, ev: &NewEvent, effects: &Effects, log: &LogEntry) -> Result<i64> {
        self.record_event_indexed(ev, &EventIndex::plain(ev), effects, log)
            .await
    }
    /// [`EventStore::record_event`] with explicit query keys.
    async fn record_event_indexed(
        &self,
        ev: &NewEvent,
        index: &EventIndex,
        effects: &Effects,
        log: &LogEntry,
    ) -> Result<i64>;
    /// The events naming an identifier under any of the [`NAMING_ROLES`], oldest first.
    async fn events_for_epc(&self, epc: &str) -> Result<Vec<StoredEvent>>;
    async fn event_count(&self) -> Result<u64>;

    /// Stores the events of one document in one transaction, each with its log entry.
    /// Duplicates (same hash, no error declaration, already stored or repeated in the
    /// document) are reported; with `proceed` they are skipped and the rest stored,
    /// otherwise nothing is stored when there is one. When `job` is given the job is
    /// finished (`success`, with `errors`) in the same transaction as the events.
    async fn capture_events(
        &self,
        items: &[CaptureItem],
        proceed: bool,
        job: Option<(&str, &str)>,
    ) -> Result<CaptureOutcome>;

    async fn create_capture_job(&self, job: &NewCaptureJob) -> Result<()>;
    async fn get_capture_job(&self, id: &str) -> Result<Option<CaptureJob>>;
    /// The media type and body of a job still running (for processing or resumption).
    async fn capture_job_body(&self, id: &str) -> Result<Option<(String, Vec<u8>)>>;
    /// Marks a job finished with `state`, `errors` (JSON array) and the log
    /// indexes its events were appended at (ranges, see [`crate::receipts::ranges`]);
    /// drops its body.
    async fn finish_capture_job(
        &self,
        id: &str,
        state: &str,
        errors: &str,
        log_indexes: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
    async fn list_capture_jobs(
        &self,
        owner_org_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<CaptureJob>>;

    /// Events matching `filter`, in its order, after its cursor, at most `limit`.
    async fn query_events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>>;
    /// Distinct event types stored.
    async fn event_types(&self) -> Result<Vec<String>>;

    async fn create_named_query(&self, q: &NamedQuery, log: &LogEntry) -> Result<()>;
    async fn get_named_query(&self, name: &str) -> Result<Option<NamedQuery>>;
    async fn list_named_queries(&self) -> Result<Vec<NamedQuery>>;
    async fn delete_named_query(&self, name: &str, log: &LogEntry) -> Result<bool>;
}

/// A bound parameter of a generated query.
#[derive(Debug, Clone)]
pub enum SqlParam {
    Text(String),
    Int(i64),
    Bool(bool),
    Time(DateTime<Utc>),
}

/// Builds the `WHERE … ORDER BY … LIMIT` tail of an event query; `ph(n)` renders the
/// n-th (1-based) placeholder. Rows are `events e`.
pub fn build_event_query(f: &EventFilter, ph: &dyn Fn(usize) -> String) -> (String, Vec<SqlParam>) {
    let mut params: Vec<SqlParam> = Vec::new();
    let mut conds: Vec<String> = Vec::new();
    let push = |p: SqlParam, params: &mut Vec<SqlParam>| {
        params.push(p);
        ph(params.len())
    };
    let list = |col: &str,
                vals: &Option<Vec<String>>,
                conds: &mut Vec<String>,
                params: &mut Vec<SqlParam>| {
        if let Some(vals) = vals {
            if vals.is_empty() {
                conds.push("1 = 0".into());
                return;
            }
            let ps: Vec<String> = vals
                .iter()
                .map(|v| push(SqlParam::Text(v.clone()), params))
                .collect();
            conds.push(format!("{col} IN ({})", ps.join(", ")));
        }
    };
    list("e.event_type", &f.event_types, &mut conds, &mut params);
    list("e.action", &f.actions, &mut conds, &mut params);
    list("e.biz_step", &f.biz_steps, &mut conds, &mut params);
    list("e.disposition", &f.dispositions, &mut conds, &mut params);
    list("e.read_point", &f.read_points, &mut conds, &mut params);
    list("e.biz_location", &f.biz_locations, &mut conds, &mut params);
    list("e.event_id", &f.event_ids, &mut conds, &mut params);
    for (col, op, v) in [
        ("e.event_time", ">=", f.ge_event_time),
        ("e.event_time", "<", f.lt_event_time),
        ("e.record_time", ">=", f.ge_record_time),
        ("e.record_time", "<", f.lt_record_time),
    ] {
        if let Some(t) = v {
            let p = push(SqlParam::Time(t), &mut params);
            conds.push(format!("{col} {op} {p}"));
        }
    }
    if let Some(b) = f.error_declared {
        let p = push(SqlParam::Bool(b), &mut params);
        conds.push(format!("e.error_declared = {p}"));
    }
    if let Some(pks) = &f.pks {
        if pks.is_empty() {
            conds.push("1 = 0".into());
        } else {
            let ps: Vec<String> = pks
                .iter()
                .map(|v| push(SqlParam::Int(*v), &mut params))
                .collect();
            conds.push(format!("e.id IN ({})", ps.join(", ")));
        }
    }
    for k in &f.keys {
        let roles: Vec<String> = k
            .roles
            .iter()
            .map(|r| push(SqlParam::Text(r.clone()), &mut params))
            .collect();
        let mut alts: Vec<String> = Vec::new();
        if !k.exact.is_empty() {
            let ps: Vec<String> = k
                .exact
                .iter()
                .map(|v| push(SqlParam::Text(v.clone()), &mut params))
                .collect();
            alts.push(format!("k.value IN ({})", ps.join(", ")));
        }
        for p in &k.prefixes {
            let a = push(SqlParam::Text(p.clone()), &mut params);
            let lo = push(SqlParam::Text(format!("{p}/")), &mut params);
            let hi = push(SqlParam::Text(format!("{p}0")), &mut params);
            alts.push(format!(
                "k.value = {a} OR (k.value >= {lo} AND k.value < {hi})"
            ));
        }
        if alts.is_empty() || roles.is_empty() {
            conds.push("1 = 0".into());
            continue;
        }
        // `e.id IN (…)`, not a correlated EXISTS: the planner then starts from the
        // identifier index (role, value) and fetches the few matching events by
        // primary key, instead of walking every event in time order and probing
        // event_keys for each (a forward trace of a lot took minutes that way).
        conds.push(format!(
            "e.id IN (SELECT k.event_pk FROM event_keys k WHERE k.role IN ({}) AND ({}))",
            roles.join(", "),
            alts.join(" OR ")
        ));
    }
    if let Some(v) = &f.visible_to {
        let org = push(SqlParam::Int(v.org_id), &mut params);
        let mut alts = vec![format!("e.owner_org_id = {org}")];
        for cp in &v.company_prefixes {
            let lo = push(SqlParam::Text(cp.clone()), &mut params);
            let hi = push(SqlParam::Text(format!("{cp}:")), &mut params);
            alts.push(format!(
                "EXISTS (SELECT 1 FROM event_keys g WHERE g.event_pk = e.id AND g.role = 'cp' AND g.value >= {lo} AND g.value < {hi})"
            ));
        }
        conds.push(format!("({})", alts.join(" OR ")));
    }
    let (cmp, dir) = if f.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let col = match f.sort {
        SortField::Record => None,
        SortField::EventTime => Some("e.event_time"),
        SortField::RecordTime => Some("e.record_time"),
    };
    if let Some(c) = &f.after {
        match (col, c.time) {
            (Some(col), Some(t)) => {
                let a = push(SqlParam::Time(t), &mut params);
                let b = push(SqlParam::Time(t), &mut params);
                let i = push(SqlParam::Int(c.id), &mut params);
                conds.push(format!(
                    "({col} {cmp} {a} OR ({col} = {b} AND e.id {cmp} {i}))"
                ));
            }
            _ => {
                let i = push(SqlParam::Int(c.id), &mut params);
                conds.push(format!("e.id {cmp} {i}"));
            }
        }
    }
    let mut sql = String::new();
    if !conds.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conds.join(" AND "));
    }
    match col {
        Some(col) => sql.push_str(&format!(" ORDER BY {col} {dir}, e.id {dir}")),
        None => sql.push_str(&format!(" ORDER BY e.id {dir}")),
    }
    let l = push(SqlParam::Int(i64::from(f.limit.max(1))), &mut params);
    sql.push_str(&format!(" LIMIT {l}"));
    (sql, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_keys_are_each_key_once_with_unheld_names() {
        let t = chrono::DateTime::<Utc>::UNIX_EPOCH;
        let ev = NewEvent {
            event_id: "e".into(),
            event_type: "ObjectEvent".into(),
            event_time: t,
            record_time: t,
            action: None,
            biz_step: None,
            disposition: None,
            read_point: None,
            biz_location: None,
            owner_org_id: None,
            epcs: vec!["A".into(), "C".into(), "C".into()],
            body: "{}".into(),
        };
        let pair = |r: &str, v: &str| (r.to_string(), v.to_string());
        let index = EventIndex {
            event_hash: "h".into(),
            error_declared: false,
            keys: vec![
                pair("epc", "A"),
                pair("cp", "6901234"),
                pair("epc", "B"),
                pair("cp", "6901234"),
                pair("parent", "B"),
            ],
        };
        let got: Vec<(&str, &str)> = index.stored_keys(&ev).collect();
        assert_eq!(
            got,
            vec![
                ("epc", "A"),
                ("cp", "6901234"),
                ("epc", "B"),
                ("parent", "B"),
                ("named", "C"),
            ]
        );
    }
}
