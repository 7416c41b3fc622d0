//! Traceability over the event repository.
//!
//! * Item history: the item's own events, plus the events of every container it was
//!   aggregated into (carton, pallet, recursively) **while it was inside**: from the
//!   AggregationEvent ADD/OBSERVE naming it as a child until the DELETE that names it
//!   (or empties the container). Where it is now: the latest bizLocation; who holds
//!   it: the organization owning that site (registry).
//! * Lot forward trace (recall list): every item of the lot (registry serials and
//!   items whose events name the lot), every event about them or their containers,
//!   and every site and organization reached.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use domain::authz::Actor;
use epcis::query::normalise_id;
use serde::Serialize;
use serde_json::Value;
use store::{EventFilter, KeyFilter, SortField, StoredEvent};

use super::{EResult, EpcisFailure, lgtin_key, visibility};
use crate::App;

const ALL_ROLES: [&str; 5] = ["epc", "child", "parent", "input", "output"];
const MAX_DEPTH: usize = 4;
const MAX_EVENTS: usize = 100_000;

#[derive(Debug, Clone, Serialize)]
pub struct TraceEvent {
    /// The container through which the item inherited this event (none: its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherited_from: Option<String>,
    pub event: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct Containment {
    pub container: String,
    /// The container holding this one (none: the item itself was packed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inside: Option<String>,
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Holder {
    pub org_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Whereabouts {
    pub time: DateTime<Utc>,
    pub biz_location: Option<String>,
    pub read_point: Option<String>,
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    pub holder: Option<Holder>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemTrace {
    pub item: String,
    pub containers: Vec<Containment>,
    pub current: Option<Whereabouts>,
    /// Backward trace: the locations the item passed, oldest first.
    pub path: Vec<String>,
    pub events: Vec<TraceEvent>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Site {
    pub location: String,
    pub holder: Option<Holder>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LotTrace {
    pub lot: String,
    pub items: usize,
    pub events: usize,
    pub containers: usize,
    pub sites: Vec<Site>,
    pub organizations: Vec<Holder>,
}

fn field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn loc(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(|l| l.get("id"))
        .and_then(Value::as_str)
        .map(normalise_id)
}

fn ids(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(normalise_id)
                .collect()
        })
        .unwrap_or_default()
}

/// A GLN location (`/414/<gln>`, optionally `/254/<ext>`) → GLN.
fn gln_of(location: &str) -> Option<String> {
    let rest = location.strip_prefix("https://id.gs1.org/414/")?;
    Some(rest.split('/').next()?.to_string())
}

/// A container still to expand: (container, inside-of, from, until, depth).
type Pending = (
    String,
    Option<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    usize,
);

struct Parsed {
    row: StoredEvent,
    body: Value,
}

impl App {
    async fn events_naming(
        &self,
        vis: &Option<store::Visibility>,
        ids: &[String],
        roles: &[&str],
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> EResult<Vec<Parsed>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let mut f = EventFilter {
                keys: vec![KeyFilter {
                    roles: roles.iter().map(|r| r.to_string()).collect(),
                    exact: chunk.to_vec(),
                    prefixes: Vec::new(),
                }],
                ge_event_time: from,
                lt_event_time: until,
                visible_to: vis.clone(),
                sort: SortField::EventTime,
                limit: 5_000,
                ..Default::default()
            };
            loop {
                let rows = self.store.query_events(&f).await?;
                let n = rows.len();
                for row in rows {
                    f.after = Some(store::Cursor {
                        time: Some(row.event_time),
                        id: row.id,
                    });
                    let body: Value = serde_json::from_str(&row.body)
                        .map_err(|e| crate::AppError::Internal(e.to_string()))?;
                    out.push(Parsed { row, body });
                }
                if n < f.limit as usize || out.len() > MAX_EVENTS {
                    break;
                }
            }
        }
        out.sort_by_key(|a| (a.row.event_time, a.row.id));
        out.dedup_by_key(|p| p.row.id);
        Ok(out)
    }

    /// Intervals during which `id` was inside a container, from aggregation events.
    async fn containment_of(
        &self,
        vis: &Option<store::Visibility>,
        id: &str,
        own: &[Parsed],
    ) -> EResult<Vec<(String, DateTime<Utc>, Option<DateTime<Utc>>)>> {
        let mut open: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
        let mut out = Vec::new();
        let mut parents: BTreeSet<String> = BTreeSet::new();
        for p in own {
            if field(&p.body, "type") == Some("AggregationEvent")
                && let Some(parent) = p.body.get("parentID").and_then(Value::as_str)
            {
                parents.insert(normalise_id(parent));
            }
        }
        // The parents' DELETE events without children unpack everything.
        let parent_ids: Vec<String> = parents.into_iter().collect();
        let deletes = self
            .events_naming(vis, &parent_ids, &["parent"], None, None)
            .await?;
        let mut all: Vec<&Parsed> = own.iter().chain(deletes.iter()).collect();
        all.sort_by_key(|a| (a.row.event_time, a.row.id));
        all.dedup_by_key(|p| p.row.id);
        for p in all {
            if field(&p.body, "type") != Some("AggregationEvent") {
                continue;
            }
            let Some(parent) = p
                .body
                .get("parentID")
                .and_then(Value::as_str)
                .map(normalise_id)
            else {
                continue;
            };
            let children = ids(&p.body, "childEPCs");
            let names_me = children.iter().any(|c| c == id);
            match field(&p.body, "action") {
                Some("ADD") | Some("OBSERVE") if names_me => {
                    open.entry(parent).or_insert(p.row.event_time);
                }
                Some("DELETE") if names_me || children.is_empty() => {
                    if let Some(from) = open.remove(&parent) {
                        out.push((parent, from, Some(p.row.event_time)));
                    }
                }
                _ => {}
            }
        }
        out.extend(open.into_iter().map(|(p, f)| (p, f, None)));
        Ok(out)
    }

    async fn holder_of(&self, location: &str) -> EResult<Option<Holder>> {
        let Some(gln) = gln_of(location) else {
            return Ok(None);
        };
        let Some(site) = self.store.get_site_by_gln(&gln).await? else {
            return Ok(None);
        };
        Ok(self.store.get_org(site.org_id).await?.map(|o| Holder {
            org_id: o.id,
            name: o.name,
        }))
    }

    /// The full history of one item (any GS1 form: Digital Link, EPC URN, element string).
    pub async fn trace_item(&self, actor: &Actor, code: &str) -> EResult<ItemTrace> {
        let id = normalise_id(code);
        if !id.starts_with("https://id.gs1.org/") {
            return Err(EpcisFailure::Validation(format!(
                "code: '{code}' is not a GS1 identifier (Digital Link, EPC URN or element string)"
            )));
        }
        let vis = visibility(self, actor).await?;
        let own = self
            .events_naming(&vis, std::slice::from_ref(&id), &ALL_ROLES, None, None)
            .await?;
        let mut events: Vec<(Option<String>, Parsed)> = Vec::new();
        let mut containers = Vec::new();
        // (container, inside-of, window from, window until)
        let mut todo: Vec<Pending> = Vec::new();
        for (p, from, until) in self.containment_of(&vis, &id, &own).await? {
            todo.push((p, None, from, until, 1));
        }
        while let Some((c, inside, from, until, depth)) = todo.pop() {
            containers.push(Containment {
                container: c.clone(),
                inside: inside.clone(),
                from,
                until,
            });
            let end = until.map(|u| u + Duration::milliseconds(1));
            let evs = self
                .events_naming(&vis, std::slice::from_ref(&c), &ALL_ROLES, Some(from), end)
                .await?;
            if depth < MAX_DEPTH {
                for (p, f2, u2) in self.containment_of(&vis, &c, &evs).await? {
                    let f = f2.max(from);
                    let u = match (u2, until) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    if u.is_none_or(|u| u >= f) {
                        todo.push((p, Some(c.clone()), f, u, depth + 1));
                    }
                }
            }
            events.extend(evs.into_iter().map(|e| (Some(c.clone()), e)));
        }
        events.extend(own.into_iter().map(|e| (None, e)));
        events.sort_by(|a, b| {
            (a.1.row.event_time, a.1.row.id, a.0.is_some()).cmp(&(
                b.1.row.event_time,
                b.1.row.id,
                b.0.is_some(),
            ))
        });
        events.dedup_by_key(|e| e.1.row.id);
        let mut path: Vec<String> = Vec::new();
        let mut current = None;
        for (_, p) in &events {
            if let Some(l) = loc(&p.body, "bizLocation")
                && path.last() != Some(&l)
            {
                path.push(l);
            }
        }
        if let Some((_, p)) = events
            .iter()
            .rev()
            .find(|(_, p)| p.body.get("bizLocation").is_some())
        {
            let biz_location = loc(&p.body, "bizLocation");
            let holder = match &biz_location {
                Some(l) => self.holder_of(l).await?,
                None => None,
            };
            current = Some(Whereabouts {
                time: p.row.event_time,
                biz_location,
                read_point: loc(&p.body, "readPoint"),
                biz_step: field(&p.body, "bizStep").map(String::from),
                disposition: events
                    .iter()
                    .rev()
                    .find_map(|(_, e)| field(&e.body, "disposition"))
                    .map(String::from),
                holder,
            });
        }
        Ok(ItemTrace {
            item: id,
            containers,
            current,
            path,
            events: events
                .into_iter()
                .map(|(c, p)| TraceEvent {
                    inherited_from: c,
                    event: p.body,
                })
                .collect(),
        })
    }

    /// Forward trace of a lot: where its items went (the recall list).
    pub async fn trace_lot(&self, actor: &Actor, gtin: &str, lot: &str) -> EResult<LotTrace> {
        let g =
            gs1::Gtin::parse(gtin).map_err(|e| EpcisFailure::Validation(format!("gtin: {e}")))?;
        let l = gs1::Lot::parse(lot).map_err(|e| EpcisFailure::Validation(format!("lot: {e}")))?;
        let class = lgtin_key(g.as_str(), l.as_str());
        let vis = visibility(self, actor).await?;
        // Items: registry serials of the batch, and items named with the lot in events.
        let mut items: BTreeSet<String> = BTreeSet::new();
        if let Some(product) = self.store.get_product_by_gtin(g.as_str()).await? {
            let allowed = vis.as_ref().is_none_or(|v| v.org_id == product.org_id);
            if allowed {
                for b in self.store.list_batches(product.id).await? {
                    if b.lot != l.as_str() {
                        continue;
                    }
                    let mut after: Option<String> = None;
                    loop {
                        let serials = self
                            .store
                            .batch_serials(b.id, after.as_deref(), 10_000)
                            .await?;
                        let Some(last) = serials.last().cloned() else {
                            break;
                        };
                        for s in &serials {
                            items.insert(normalise_id(&format!(
                                "https://id.gs1.org/01/{}/21/{}",
                                g.as_str(),
                                pct(s)
                            )));
                        }
                        after = Some(last);
                    }
                }
            }
        }
        let lot_events = self
            .events_naming(
                &vis,
                std::slice::from_ref(&class),
                &["lot", "class", "inclass", "outclass"],
                None,
                None,
            )
            .await?;
        for p in &lot_events {
            for k in ["epcList", "childEPCs", "outputEPCList"] {
                for i in ids(&p.body, k) {
                    if i.starts_with(&format!("https://id.gs1.org/01/{}/", g.as_str())) {
                        items.insert(i);
                    }
                }
            }
        }
        let item_ids: Vec<String> = items.iter().cloned().collect();
        let mut all: HashMap<i64, Parsed> = HashMap::new();
        for p in lot_events {
            all.insert(p.row.id, p);
        }
        let mut frontier = item_ids.clone();
        let mut seen: BTreeSet<String> = items.clone();
        let mut containers = 0usize;
        for _ in 0..MAX_DEPTH {
            if frontier.is_empty() {
                break;
            }
            let evs = self
                .events_naming(&vis, &frontier, &ALL_ROLES, None, None)
                .await?;
            let fset: BTreeSet<&String> = frontier.iter().collect();
            let mut next = Vec::new();
            for p in &evs {
                if field(&p.body, "type") == Some("AggregationEvent")
                    && matches!(field(&p.body, "action"), Some("ADD") | Some("OBSERVE"))
                    && ids(&p.body, "childEPCs").iter().any(|c| fset.contains(c))
                    && let Some(parent) = p.body.get("parentID").and_then(Value::as_str)
                {
                    let parent = normalise_id(parent);
                    if seen.insert(parent.clone()) {
                        containers += 1;
                        next.push(parent);
                    }
                }
            }
            for p in evs {
                all.insert(p.row.id, p);
            }
            frontier = next;
        }
        let mut sites: BTreeMap<String, (DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
        for p in all.values() {
            let t = p.row.event_time;
            let mut locs: Vec<String> = ["bizLocation", "readPoint"]
                .iter()
                .filter_map(|k| loc(&p.body, k))
                .collect();
            if let Some(d) = p.body.get("destinationList").and_then(Value::as_array) {
                locs.extend(
                    d.iter()
                        .filter_map(|x| x.get("destination").and_then(Value::as_str))
                        .map(normalise_id),
                );
            }
            for l in locs {
                let e = sites.entry(l).or_insert((t, t));
                e.0 = e.0.min(t);
                e.1 = e.1.max(t);
            }
        }
        let mut out_sites = Vec::new();
        let mut orgs: BTreeMap<i64, String> = BTreeMap::new();
        for (location, (first, last)) in sites {
            let holder = self.holder_of(&location).await?;
            if let Some(h) = &holder {
                orgs.insert(h.org_id, h.name.clone());
            }
            out_sites.push(Site {
                location,
                holder,
                first_seen: first,
                last_seen: last,
            });
        }
        Ok(LotTrace {
            lot: class,
            items: items.len(),
            events: all.len(),
            containers,
            sites: out_sites,
            organizations: orgs
                .into_iter()
                .map(|(org_id, name)| Holder { org_id, name })
                .collect(),
        })
    }
}

/// Percent-encodes a serial for a Digital Link path segment.
fn pct(s: &str) -> String {
    s.chars()
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
        .collect()
}
