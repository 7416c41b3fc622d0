//! Lifecycle steps recorded as EPCIS 2.0 ObjectEvents in the one event repository.

use chrono::{DateTime, NaiveDate, Utc};
use domain::authz::{self, Actor};
use domain::lifecycle::{self as lc, Step, StepEvent};
use domain::log_entry::LogEntry;
use domain::verify::CodeState;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{App, AppError, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub step: String,
    /// Items by any GS1 form (Digital Link URI, EPC URN, element string).
    pub items: Vec<String>,
    /// GLN of the actor's site where the step happens.
    pub site_gln: String,
    /// For shipping: the receiving site's GLN.
    pub destination_gln: Option<String>,
    /// For receiving: the shipping site's GLN.
    pub source_gln: Option<String>,
    pub event_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    pub event_id: String,
    pub items: usize,
}

pub const MAX_ITEMS_PER_EVENT: usize = 10_000;

/// An item named in a request, resolved against the registry.
struct Item {
    product: store::Product,
    serial: String,
    uri: String,
}

impl App {
    async fn resolve_item(&self, field: &str, text: &str) -> Result<Item> {
        let data = gs1::parse_any(text).map_err(|e| domain::DomainError::gs1(field, &e))?;
        let (Some(gtin), Some(serial)) = (data.get("01"), data.get("21")) else {
            return Err(AppError::invalid(
                field,
                format!("'{text}' does not name a serialized item (GTIN + serial)"),
            ));
        };
        let gtin = gs1::Gtin::parse(gtin).map_err(|e| domain::DomainError::gs1(field, &e))?;
        let serial = gs1::Serial::parse(serial).map_err(|e| domain::DomainError::gs1(field, &e))?;
        let product = self
            .store
            .get_product_by_gtin(gtin.as_str())
            .await?
            .ok_or_else(|| {
                AppError::invalid(field, format!("GTIN {} is not registered", gtin.as_str()))
            })?;
        if self
            .store
            .lookup_code(product.id, serial.as_str())
            .await?
            .is_none()
        {
            return Err(AppError::invalid(
                field,
                format!("code {} was not issued", serial.as_str()),
            ));
        }
        Ok(Item {
            uri: lc::sgtin_uri(&gtin, &serial),
            product,
            serial: serial.as_str().to_string(),
        })
    }

    async fn own_site(
        &self,
        actor: &Actor,
        field: &str,
        gln: &str,
    ) -> Result<(gs1::Gln, store::Site)> {
        let g = gs1::Gln::parse(gln).map_err(|e| domain::DomainError::gs1(field, &e))?;
        let site = self
            .store
            .get_site_by_gln(g.as_str())
            .await?
            .ok_or_else(|| {
                AppError::invalid(field, format!("no registered site has GLN {}", g.as_str()))
            })?;
        if site.org_id != actor.org_id {
            return Err(AppError::Forbidden(
                "events may only be recorded at the actor's own sites".into(),
            ));
        }
        Ok((g, site))
    }

    /// Computes the CBV 2.0 event hash (validating the event as EPCIS 2.0) and
    /// stores it with its effects and log entry.
    async fn store_event(
        &self,
        actor: &Actor,
        mut event: Value,
        epcs: Vec<String>,
        effects: store::Effects,
        record_time: DateTime<Utc>,
    ) -> Result<String> {
        let text = serde_json::to_string(&json!({"@context": lc::context(), "type": "EPCISDocument",
            "schemaVersion": "2.0", "creationDate": event["eventTime"], "epcisBody": {"eventList": [event.clone()]}}))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let doc = epcis::parse_and_validate(&text).map_err(|e| {
            AppError::Internal(format!("platform built an invalid EPCIS event: {e}"))
        })?;
        let ev = doc
            .events
            .into_iter()
            .next()
            .ok_or_else(|| AppError::Internal("event vanished".into()))?;
        let event_id = epcis::event_hash(&ev);
        event["eventID"] = json!(event_id);
        event["recordTime"] =
            json!(record_time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        // Extension fields (e.g. a recall's `ppe:recallReason`) need their namespace
        // declared in the stored event itself, so the event parses again when queried.
        if event
            .as_object()
            .is_some_and(|o| o.keys().any(|k| k.starts_with("ppe:")))
        {
            event["@context"] = lc::context();
        }
        let event_time =
            DateTime::parse_from_rfc3339(event["eventTime"].as_str().unwrap_or_default())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| AppError::Internal(e.to_string()))?;
        let s = |k: &str| event.get(k).and_then(Value::as_str).map(String::from);
        let new = store::NewEvent {
            event_id: event_id.clone(),
            event_type: "ObjectEvent".into(),
            event_time,
            record_time,
            action: s("action"),
            biz_step: s("bizStep"),
            disposition: s("disposition"),
            read_point: event
                .get("readPoint")
                .and_then(|r| r.get("id"))
                .and_then(Value::as_str)
                .map(String::from),
            biz_location: event
                .get("bizLocation")
                .and_then(|r| r.get("id"))
                .and_then(Value::as_str)
                .map(String::from),
            owner_org_id: Some(actor.org_id),
            epcs,
            body: domain::log_entry::canonical_json(&event),
        };
        let entry = LogEntry::for_record(
            "event",
            record_time,
            &actor.label(),
            vec![("event".into(), event_id.clone())],
            &event,
        );
        let (new, index) = crate::epcis::lifecycle_index(new, &ev);
        self.store
            .record_event_indexed(&new, &index, &effects, &entry)
            .await
            .map_err(|e| match e {
                store::StoreError::Conflict(_) => {
                    AppError::Conflict(format!("event {event_id} is already recorded"))
                }
                other => other.into(),
            })?;
        Ok(event_id)
    }

    /// Records commissioning, shipping, receiving or scrapping of individual items.
    pub async fn record_step(&self, actor: &Actor, input: &StepInput) -> Result<Recorded> {
        let step = Step::parse(&input.step)?;
        if input.items.is_empty() || input.items.len() > MAX_ITEMS_PER_EVENT {
            return Err(AppError::invalid(
                "items",
                format!("must name 1 to {MAX_ITEMS_PER_EVENT} items"),
            ));
        }
        let (site_gln, site) = self.own_site(actor, "site_gln", &input.site_gln).await?;
        let mut items = Vec::with_capacity(input.items.len());
        for (i, t) in input.items.iter().enumerate() {
            items.push(self.resolve_item(&format!("items[{i}]"), t).await?);
        }
        for it in &items {
            authz::record_step(
                actor,
                step == Step::Commissioning,
                it.product.org_id,
                site.org_id,
            )?;
        }
        let gln_of = |field: &str, v: &Option<String>| -> Result<Option<gs1::Gln>> {
            v.as_deref()
                .map(|g| gs1::Gln::parse(g).map_err(|e| domain::DomainError::gs1(field, &e).into()))
                .transpose()
        };
        let destination = gln_of("destination_gln", &input.destination_gln)?;
        let source = gln_of("source_gln", &input.source_gln)?;
        if step == Step::Shipping && destination.is_none() {
            return Err(AppError::invalid(
                "destination_gln",
                "shipping needs the receiving site's GLN",
            ));
        }
        let now = self.clock.now();
        let time = input.event_time.unwrap_or(now);
        if time > now + chrono::Duration::minutes(5) {
            return Err(AppError::invalid("event_time", "must not be in the future"));
        }
        let epcs: Vec<String> = items.iter().map(|i| i.uri.clone()).collect();
        let event = lc::object_event(&StepEvent {
            step,
            time,
            epcs: &epcs,
            site: &site_gln,
            destination: destination.as_ref(),
            source: source.as_ref(),
        });
        let (new_state, new_holder) = match step {
            Step::Commissioning => (Some(CodeState::Active.as_i16()), Some(actor.org_id)),
            Step::Shipping => (None, None),
            Step::Receiving => (None, Some(actor.org_id)),
            Step::Scrapping => (Some(CodeState::Scrapped.as_i16()), None),
        };
        let effects = store::Effects {
            codes: items
                .iter()
                .map(|i| (i.product.id, i.serial.clone()))
                .collect(),
            new_state,
            new_holder,
            ..Default::default()
        };
        let n = items.len();
        let event_id = self.store_event(actor, event, epcs, effects, now).await?;
        // The scan index and clone rules follow the committed event; a failure there
        // must not turn a recorded event into an error for the caller.
        let handled: Vec<(store::Product, String)> = items
            .iter()
            .map(|i| (i.product.clone(), i.serial.clone()))
            .collect();
        if let Err(e) = self
            .authoritative_scans(actor, step.cbv().1, &site, &handled)
            .await
        {
            tracing::warn!(error = %e, "could not index authoritative scans");
        }
        Ok(Recorded { event_id, items: n })
    }

    /// Commissions every code of a batch at once (a class-level ADD event for the
    /// batch's LGTIN): the manufacturer releases the batch.
    pub async fn release_batch(
        &self,
        actor: &Actor,
        batch_id: i64,
        site_gln: &str,
    ) -> Result<Recorded> {
        let (batch, product) = self.batch_with_product(batch_id).await?;
        authz::manage_products(actor, product.org_id)?;
        let (site, _) = self.own_site(actor, "site_gln", site_gln).await?;
        let (gtin, lot) = gtin_lot(&product, &batch)?;
        let now = self.clock.now();
        let class = lc::lgtin_uri(&gtin, &lot);
        let event = json!({
            "type": "ObjectEvent",
            "eventTime": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "eventTimeZoneOffset": "+00:00",
            "epcList": [],
            "quantityList": [{"epcClass": class}],
            "action": "ADD",
            "bizStep": "commissioning",
            "disposition": "active",
            "readPoint": {"id": lc::gln_uri(&site)},
            "bizLocation": {"id": lc::gln_uri(&site)},
        });
        let effects = store::Effects {
            release_batch: Some(batch.id),
            ..Default::default()
        };
        let count = self.store.count_codes(batch.id).await? as usize;
        let event_id = self
            .store_event(actor, event, vec![class], effects, now)
            .await?;
        Ok(Recorded {
            event_id,
            items: count,
        })
    }

    /// Recalls a batch: every later scan of its items says so.
    pub async fn recall_batch(
        &self,
        actor: &Actor,
        batch_id: i64,
        reason: &str,
        date: Option<NaiveDate>,
    ) -> Result<Recorded> {
        let (batch, product) = self.batch_with_product(batch_id).await?;
        authz::recall_batch(actor, product.org_id)?;
        let reason = domain::error::require_text("reason", reason, 500)?;
        if batch.recalled_on.is_some() {
            return Err(AppError::Conflict(format!(
                "batch {batch_id} is already recalled"
            )));
        }
        let now = self.clock.now();
        let date = date.unwrap_or_else(|| now.date_naive());
        let sites = self.store.list_sites(actor.org_id).await?;
        let site = sites.first().ok_or_else(|| {
            AppError::invalid("site", "the recalling organization has no registered site")
        })?;
        let site_gln = gs1::Gln::parse(&site.gln).map_err(|e| AppError::Internal(e.to_string()))?;
        let (gtin, lot) = gtin_lot(&product, &batch)?;
        let class = lc::lgtin_uri(&gtin, &lot);
        let event = lc::recall_event(now, &class, &site_gln, &reason);
        let effects = store::Effects {
            recall_batch: Some((batch.id, date, reason)),
            ..Default::default()
        };
        let count = self.store.count_codes(batch.id).await? as usize;
        let event_id = self
            .store_event(actor, event, vec![class], effects, now)
            .await?;
        Ok(Recorded {
            event_id,
            items: count,
        })
    }

    /// The events about one item, oldest first: its own and its batch's (class-level).
    pub async fn item_history(&self, text: &str) -> Result<Vec<Value>> {
        let item = self.resolve_item("item", text).await?;
        let mut events = self.store.events_for_epc(&item.uri).await?;
        if let Some(code) = self
            .store
            .lookup_code(item.product.id, &item.serial)
            .await?
        {
            let (gtin, lot) = gtin_lot(&item.product, &code.batch)?;
            events.extend(
                self.store
                    .events_for_epc(&lc::lgtin_uri(&gtin, &lot))
                    .await?,
            );
        }
        // An event naming both the item and its lot is found by both look-ups.
        events.sort_by_key(|a| (a.event_time, a.id));
        events.dedup_by_key(|a| a.id);
        events
            .iter()
            .map(|e| serde_json::from_str(&e.body).map_err(|x| AppError::Internal(x.to_string())))
            .collect()
    }
}

fn gtin_lot(product: &store::Product, batch: &store::Batch) -> Result<(gs1::Gtin, gs1::Lot)> {
    let gtin = gs1::Gtin::parse(&product.gtin).map_err(|e| AppError::Internal(e.to_string()))?;
    let lot = gs1::Lot::parse(&batch.lot).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((gtin, lot))
}
