//! Queries: the standard `GET /events` parameters, evaluated in SQL on the indexed
//! fields (times, type, action, bizStep, disposition, readPoint, bizLocation, eventID,
//! error declarations, EPCs and classes by role) and then by the reference evaluator
//! (`epcis::matches`) on each candidate, so every parameter has the standard's meaning
//! while the database never returns more than a bounded page of candidates.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::authz::Actor;
use epcis::Query;
use epcis::query::{OrderBy, OrderDirection, normalise_id, normalise_vocab};
use epcis::vocab::Vocab;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use store::{Cursor, EventFilter, KeyFilter, SortField};

use super::{DEFAULT_PER_PAGE, EResult, EpcisFailure, MAX_PER_PAGE, visibility};
use crate::App;

/// One page of a query.
#[derive(Debug, Clone, Serialize)]
pub struct QueryPage {
    pub events: Vec<Value>,
    pub next_page_token: Option<String>,
}

fn param(name: &str, message: impl Into<String>) -> EpcisFailure {
    EpcisFailure::Parameter {
        name: name.into(),
        message: message.into(),
    }
}

/// The SQL-evaluable part of a query.
pub fn filter_for(q: &Query) -> EResult<EventFilter> {
    let mut f = EventFilter {
        event_types: q
            .event_types
            .as_ref()
            .map(|v| v.iter().map(|t| t.as_str().to_string()).collect()),
        ge_event_time: q.ge_event_time,
        lt_event_time: q.lt_event_time,
        ge_record_time: q.ge_record_time,
        lt_record_time: q.lt_record_time,
        actions: q
            .eq_action
            .as_ref()
            .map(|v| v.iter().map(|a| a.as_str().to_string()).collect()),
        biz_steps: q.eq_biz_step.as_ref().map(|v| {
            v.iter()
                .map(|s| normalise_vocab(s, Vocab::BizStep))
                .collect()
        }),
        dispositions: q.eq_disposition.as_ref().map(|v| {
            v.iter()
                .map(|s| normalise_vocab(s, Vocab::Disposition))
                .collect()
        }),
        read_points: q
            .eq_read_point
            .as_ref()
            .map(|v| v.iter().map(|s| normalise_id(s)).collect()),
        biz_locations: q
            .eq_biz_location
            .as_ref()
            .map(|v| v.iter().map(|s| normalise_id(s)).collect()),
        event_ids: q.eq_event_id.clone(),
        error_declared: q.exists_error_declaration.then_some(true),
        ..Default::default()
    };
    let sets: [(&Option<Vec<String>>, &[&str]); 9] = [
        (&q.match_epc, &["epc", "child"]),
        (&q.match_parent_id, &["parent"]),
        (&q.match_input_epc, &["input"]),
        (&q.match_output_epc, &["output"]),
        (
            &q.match_any_epc,
            &["epc", "child", "parent", "input", "output"],
        ),
        (&q.match_epc_class, &["class"]),
        (&q.match_input_epc_class, &["inclass"]),
        (&q.match_output_epc_class, &["outclass"]),
        (&q.match_any_epc_class, &["class", "inclass", "outclass"]),
    ];
    for (vals, roles) in sets {
        let Some(vals) = vals else { continue };
        let mut k = KeyFilter {
            roles: roles.iter().map(|r| r.to_string()).collect(),
            ..Default::default()
        };
        let mut sql_ok = true;
        for v in vals {
            if v.contains('*') {
                match epcis::ident::to_hash_canonical(v).filter(|_| v.starts_with("urn:epc:idpat:"))
                {
                    Some(p) => k.prefixes.push(p),
                    None => sql_ok = false,
                }
            } else {
                k.exact.push(normalise_id(v));
            }
        }
        if sql_ok {
            f.keys.push(k);
        }
    }
    match &q.order_by {
        None => f.sort = SortField::Record,
        Some(OrderBy::EventTime) => f.sort = SortField::EventTime,
        Some(OrderBy::RecordTime) => f.sort = SortField::RecordTime,
        Some(OrderBy::Extension(x)) => {
            return Err(param(
                "orderBy",
                format!(
                    "ordering by the extension field '{x}' is not supported; use eventTime or recordTime"
                ),
            ));
        }
    }
    f.descending = q.order_by.is_some() && q.order_direction == OrderDirection::Desc;
    Ok(f)
}

/// A fingerprint of the query without its paging parameters (binds tokens to it).
fn fingerprint(q: &Query) -> String {
    let mut q = q.clone();
    q.next_page_token = None;
    q.per_page = None;
    let d = Sha256::digest(format!("{q:?}").as_bytes());
    hex::encode(&d[..6])
}

struct Token {
    cursor: Cursor,
    remaining: Option<u64>,
}

fn encode_token(q: &Query, c: &Cursor, remaining: Option<u64>) -> String {
    let t = c
        .time
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| "-".into());
    let r = remaining.map_or("-".to_string(), |r| r.to_string());
    URL_SAFE_NO_PAD.encode(format!("v1|{}|{t}|{}|{r}", fingerprint(q), c.id))
}

fn decode_token(q: &Query, s: &str) -> EResult<Token> {
    let bad = || param("nextPageToken", "not a token issued for this query");
    let raw = URL_SAFE_NO_PAD.decode(s.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let parts: Vec<&str> = text.split('|').collect();
    let [v, fp, t, id, r] = parts.as_slice() else {
        return Err(bad());
    };
    if *v != "v1" || *fp != fingerprint(q) {
        return Err(bad());
    }
    let time = if *t == "-" {
        None
    } else {
        Some(
            chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|_| bad())?
                .with_timezone(&chrono::Utc),
        )
    };
    let id: i64 = id.parse().map_err(|_| bad())?;
    let remaining = if *r == "-" {
        None
    } else {
        Some(r.parse().map_err(|_| bad())?)
    };
    Ok(Token {
        cursor: Cursor { time, id },
        remaining,
    })
}

fn cursor_of(sort: SortField, e: &store::StoredEvent) -> Cursor {
    Cursor {
        time: match sort {
            SortField::Record => None,
            SortField::EventTime => Some(e.event_time),
            SortField::RecordTime => Some(e.record_time),
        },
        id: e.id,
    }
}

impl App {
    /// Scans candidates from `filter` (advancing its cursor) until `want` events pass
    /// the reference evaluator or the candidates run out. Returns matches with cursors.
    async fn scan(
        &self,
        q: &Query,
        filter: &mut EventFilter,
        want: usize,
    ) -> EResult<(Vec<(Cursor, Value)>, bool)> {
        let mut out = Vec::new();
        let chunk = (want + 1).clamp(64, 5_000) as u32;
        loop {
            filter.limit = chunk;
            let rows = self.store.query_events(filter).await?;
            let exhausted = rows.len() < chunk as usize;
            for row in &rows {
                let c = cursor_of(filter.sort, row);
                filter.after = Some(c.clone());
                match epcis::parse_event(&row.body) {
                    Ok(ev) if epcis::matches(q, &ev) => {
                        let v: Value = serde_json::from_str(&row.body)
                            .map_err(|e| crate::AppError::Internal(e.to_string()))?;
                        out.push((c, v));
                        if out.len() >= want {
                            return Ok((out, false));
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!(event = row.id, error = %e, "stored event does not parse")
                    }
                }
            }
            if exhausted {
                return Ok((out, true));
            }
        }
    }

    /// Runs a query for an actor: one page and the token of the next.
    pub async fn query_events(&self, actor: &Actor, q: &Query) -> EResult<QueryPage> {
        let mut filter = filter_for(q)?;
        filter.visible_to = visibility(self, actor).await?;
        let token = q
            .next_page_token
            .as_deref()
            .map(|t| decode_token(q, t))
            .transpose()?;
        if let (Some(max), None) = (q.max_event_count, &token) {
            let mut f = filter.clone();
            let (found, _) = self.scan(q, &mut f, max as usize + 1).await?;
            if found.len() as u64 > max {
                return Err(EpcisFailure::TooLarge(format!(
                    "the query matches more than maxEventCount={max} events"
                )));
            }
        }
        let per_page = q.per_page.unwrap_or(DEFAULT_PER_PAGE);
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(param(
                "perPage",
                format!("must be between 1 and {MAX_PER_PAGE}"),
            ));
        }
        let remaining = match &token {
            Some(t) => t.remaining,
            None => q.event_count_limit,
        };
        let page = remaining.map_or(per_page, |r| r.min(per_page));
        filter.after = token.map(|t| t.cursor);
        if page == 0 {
            return Ok(QueryPage {
                events: Vec::new(),
                next_page_token: None,
            });
        }
        let (mut found, _) = self.scan(q, &mut filter, page as usize + 1).await?;
        let more = found.len() as u64 > page;
        found.truncate(page as usize);
        let left = remaining.map(|r| r - found.len() as u64);
        let next = match (more, left, found.last()) {
            (true, None, Some((c, _))) => Some(encode_token(q, c, None)),
            (true, Some(l), Some((c, _))) if l > 0 => Some(encode_token(q, c, Some(l))),
            _ => None,
        };
        Ok(QueryPage {
            events: found.into_iter().map(|(_, v)| v).collect(),
            next_page_token: next,
        })
    }

    /// One event by its eventID (the first stored with that id, then its corrections).
    pub async fn event_by_id(&self, actor: &Actor, id: &str) -> EResult<Vec<Value>> {
        let q = Query::from_pairs([("EQ_eventID", id)])?;
        let page = self.query_events(actor, &q).await?;
        if page.events.is_empty() {
            return Err(EpcisFailure::NoSuchResource(format!("event {id}")));
        }
        Ok(page.events)
    }

    pub async fn event_types(&self) -> EResult<Vec<String>> {
        Ok(self.store.event_types().await?)
    }

    /// Creates a named query (`POST /queries`): `{"name": …, "query": {param: value}}`.
    pub async fn create_named_query(
        &self,
        actor: &Actor,
        name: &str,
        query: &Value,
    ) -> EResult<()> {
        let name = name.trim();
        if name.is_empty()
            || name.len() > 100
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(EpcisFailure::Validation(
                "name: 1-100 characters of A-Z a-z 0-9 - _ .".into(),
            ));
        }
        let pairs = query_pairs(query)?;
        Query::from_pairs(pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())))?;
        let text = domain::log_entry::canonical_json(query);
        let now = self.clock.now();
        let log = domain::log_entry::LogEntry::for_record(
            "epcis.query.create",
            now,
            &actor.label(),
            vec![("query".into(), name.into())],
            query,
        );
        self.store
            .create_named_query(
                &store::NamedQuery {
                    name: name.into(),
                    owner_org_id: actor.org_id,
                    query: text,
                    created_at: now,
                },
                &log,
            )
            .await
            .map_err(|e| match e {
                store::StoreError::Conflict(_) => EpcisFailure::App(crate::AppError::Conflict(
                    format!("a query named '{name}' already exists"),
                )),
                other => other.into(),
            })
    }

    pub async fn named_queries(&self) -> EResult<Vec<store::NamedQuery>> {
        Ok(self.store.list_named_queries().await?)
    }

    pub async fn named_query(&self, name: &str) -> EResult<store::NamedQuery> {
        self.store
            .get_named_query(name)
            .await?
            .ok_or_else(|| EpcisFailure::NoSuchResource(format!("query {name}")))
    }

    /// Deletes a named query: its creator's organization or an admin.
    pub async fn delete_named_query(&self, actor: &Actor, name: &str) -> EResult<()> {
        let q = self.named_query(name).await?;
        if q.owner_org_id != actor.org_id && !actor.admin {
            return Err(crate::AppError::Forbidden(
                "only the organization that created a query may delete it".into(),
            )
            .into());
        }
        let log = domain::log_entry::LogEntry::for_record(
            "epcis.query.delete",
            self.clock.now(),
            &actor.label(),
            vec![("query".into(), name.into())],
            &serde_json::json!({"name": name}),
        );
        self.store.delete_named_query(name, &log).await?;
        Ok(())
    }

    /// Runs a named query, with paging parameters from the request.
    pub async fn run_named_query(
        &self,
        actor: &Actor,
        name: &str,
        paging: &[(String, String)],
    ) -> EResult<QueryPage> {
        let nq = self.named_query(name).await?;
        let v: Value = serde_json::from_str(&nq.query)
            .map_err(|e| crate::AppError::Internal(e.to_string()))?;
        let mut pairs = query_pairs(&v)?;
        for (k, val) in paging {
            if !matches!(k.as_str(), "perPage" | "nextPageToken") {
                return Err(param(
                    k,
                    "only perPage and nextPageToken may be given to a named query",
                ));
            }
            pairs.retain(|(a, _)| a != k);
            pairs.push((k.clone(), val.clone()));
        }
        let q = Query::from_pairs(pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())))?;
        self.query_events(actor, &q).await
    }
}

/// The query object of a named query (`{"eventType": ["ObjectEvent"], "GE_eventTime": "…"}`)
/// as parameter pairs (lists joined with `|`).
pub fn query_pairs(v: &Value) -> EResult<Vec<(String, String)>> {
    let Value::Object(m) = v else {
        return Err(EpcisFailure::Validation(
            "query: must be an object of query parameters".into(),
        ));
    };
    let mut out = Vec::new();
    for (k, val) in m {
        let s = match val {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Array(a) => a
                .iter()
                .map(|x| match x {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(param(k, "list items must be strings or numbers")),
                })
                .collect::<EResult<Vec<_>>>()?
                .join("|"),
            _ => return Err(param(k, "must be a string, number, boolean or list")),
        };
        out.push((k.clone(), s));
    }
    Ok(out)
}
