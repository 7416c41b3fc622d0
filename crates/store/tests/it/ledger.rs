//! Storage of the employer's PPE ledger, on SQLite and PostgreSQL.

use crate::common;
use common::*;

use chrono::NaiveDate;
use domain::log_entry::LogEntry;
use domain::org::Role;
use serde_json::json;
use store::ledger::*;
use store::*;
use testkit::{both_backends, fresh_store};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn employer(s: &dyn Store, gln: &str, site_gln: &str) -> (Org, Site) {
    let org = s
        .create_org(
            &NewOrg {
                name: format!("Employer {gln}"),
                roles: vec![Role::Employer],
                gln: Some(gln.into()),
                uscc: None,
                company_prefixes: vec![],
                city: None,
                created_at: t0(),
            },
            log_of("org"),
        )
        .await
        .unwrap();
    let site = s
        .create_site(
            &NewSite {
                org_id: org.id,
                gln: site_gln.into(),
                name: "Works".into(),
                city: None,
                region: None,
                latitude: None,
                longitude: None,
                created_at: t0(),
            },
            log_of("site"),
        )
        .await
        .unwrap();
    (org, site)
}

fn item(org: &Org, site: &Site, serial: &str, state: &str) -> LedgerItem {
    LedgerItem {
        id: 0,
        org_id: org.id,
        site_id: site.id,
        gtin: "06901234000019".into(),
        serial: serial.into(),
        product_id: None,
        batch_id: None,
        state: state.into(),
        hold: None,
        received_on: d("2026-03-01"),
        accepted_on: None,
        worker_id: None,
        issued_on: None,
        first_use: None,
        replace_by: None,
        last_inspected: None,
        next_inspection: None,
        scrapped_on: None,
        reason: None,
        updated_at: t0(),
    }
}

fn event(id: &str, epc: &str) -> (NewEvent, EventIndex, LogEntry) {
    let ev = NewEvent {
        event_id: id.into(),
        event_type: "ObjectEvent".into(),
        event_time: t0(),
        record_time: t0(),
        action: Some("OBSERVE".into()),
        biz_step: Some("receiving".into()),
        disposition: Some("in_progress".into()),
        read_point: None,
        biz_location: None,
        owner_org_id: None,
        epcs: vec![epc.into()],
        body: json!({"type": "ObjectEvent", "eventID": id}).to_string(),
    };
    let ix = EventIndex::plain(&ev);
    let log = LogEntry::for_record("event", t0(), "test", vec![], &json!({"id": id}));
    (ev, ix, log)
}

fn record(item: ItemRef, action: &str, worker: Option<i64>, event_id: &str) -> NewLedgerRecord {
    NewLedgerRecord {
        item,
        at: t0(),
        action: action.into(),
        worker_id: worker,
        result: None,
        note: None,
        event_id: Some(event_id.into()),
        actor: "test".into(),
    }
}

async fn ledger_writes_are_atomic_and_logged(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let (org, site) = employer(s.as_ref(), "6905555000007", "6905555000014").await;
    let log0 = s.log_size().await.unwrap();
    let mut a = item(&org, &site, "A1", "received");
    a.replace_by = Some(d("2026-04-01"));
    let w = LedgerWrite {
        events: vec![event("ev-1", "https://id.gs1.org/01/06901234000019/21/A1")],
        inserts: vec![a.clone(), item(&org, &site, "A2", "quarantined")],
        records: vec![
            record(ItemRef::New(0), "receive", None, "ev-1"),
            record(ItemRef::New(1), "receive", None, "ev-1"),
        ],
        ..Default::default()
    };
    let ids = s.ledger_write(&w).await.unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(s.log_size().await.unwrap(), log0 + 1);
    assert_eq!(s.event_count().await.unwrap(), 1);
    let got = s.get_ledger_item(ids[0]).await.unwrap().unwrap();
    assert_eq!(got.serial, "A1");
    assert_eq!(got.replace_by, Some(d("2026-04-01")));
    assert_eq!(
        s.find_ledger_item(org.id, "06901234000019", "A2")
            .await
            .unwrap()
            .unwrap()
            .id,
        ids[1]
    );

    // The same item again: conflict, and nothing of the write remains (event, log).
    let again = LedgerWrite {
        events: vec![event("ev-2", "https://id.gs1.org/01/06901234000019/21/A1")],
        inserts: vec![a.clone()],
        records: vec![record(ItemRef::New(0), "receive", None, "ev-2")],
        ..Default::default()
    };
    assert!(matches!(
        s.ledger_write(&again).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.log_size().await.unwrap(), log0 + 1);
    assert_eq!(s.event_count().await.unwrap(), 1);

    // Workers: unique code per organization, logged, renamed in place.
    let wk = s
        .create_worker(
            &NewWorker {
                org_id: org.id,
                code: "W-1".into(),
                name: "张三".into(),
                created_at: t0(),
            },
            log_of("worker"),
        )
        .await
        .unwrap();
    assert!(wk.active);
    assert!(matches!(
        s.create_worker(
            &NewWorker {
                org_id: org.id,
                code: "W-1".into(),
                name: "Other".into(),
                created_at: t0(),
            },
            log_of("worker"),
        )
        .await,
        Err(StoreError::Conflict(_))
    ));
    let wk2 = s
        .update_worker(wk.id, "张三丰", false, t0(), log_of("worker"))
        .await
        .unwrap();
    assert_eq!((wk2.name.as_str(), wk2.active), ("张三丰", false));
    assert_eq!(
        s.find_worker(org.id, "W-1").await.unwrap().unwrap().id,
        wk.id
    );
    assert_eq!(s.list_workers(org.id).await.unwrap().len(), 1);

    // An update applies only from the expected state.
    let mut issued = got.clone();
    issued.state = "issued".into();
    issued.worker_id = Some(wk.id);
    issued.issued_on = Some(d("2026-03-02"));
    let w = LedgerWrite {
        events: vec![event("ev-3", "https://id.gs1.org/01/06901234000019/21/A1")],
        updates: vec![ItemUpdate {
            row: issued.clone(),
            expected_state: "in_stock".into(),
        }],
        records: vec![record(
            ItemRef::Existing(got.id),
            "issue",
            Some(wk.id),
            "ev-3",
        )],
        ..Default::default()
    };
    assert!(matches!(
        s.ledger_write(&w).await,
        Err(StoreError::Conflict(_))
    ));
    let mut w = w;
    w.updates[0].expected_state = "received".into();
    s.ledger_write(&w).await.unwrap();
    let now = s.get_ledger_item(got.id).await.unwrap().unwrap();
    assert_eq!(now.state, "issued");
    assert_eq!(now.worker_id, Some(wk.id));

    // Filters: by state, worker, due date (in service only), and history lines.
    let f = |state: Option<&str>, worker: Option<i64>, due: Option<&str>| ItemFilter {
        org_id: org.id,
        site_id: Some(site.id),
        state: state.map(String::from),
        worker_id: worker,
        due_by: due.map(d),
    };
    let n = |v: Vec<LedgerItem>| v.into_iter().map(|i| i.serial).collect::<Vec<_>>();
    assert_eq!(
        n(s.list_ledger_items(&f(None, None, None)).await.unwrap()),
        ["A1", "A2"]
    );
    assert_eq!(
        n(s.list_ledger_items(&f(Some("quarantined"), None, None))
            .await
            .unwrap()),
        ["A2"]
    );
    assert_eq!(
        n(s.list_ledger_items(&f(None, Some(wk.id), None))
            .await
            .unwrap()),
        ["A1"]
    );
    assert_eq!(
        n(s.list_ledger_items(&f(None, None, Some("2026-04-01")))
            .await
            .unwrap()),
        ["A1"]
    );
    assert!(
        s.list_ledger_items(&f(None, None, Some("2026-03-31")))
            .await
            .unwrap()
            .is_empty()
    );
    let hist = s.ledger_records(org.id, Some(got.id), None).await.unwrap();
    assert_eq!(
        hist.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
        ["receive", "issue"]
    );
    let by_worker = s.ledger_records(org.id, None, Some(wk.id)).await.unwrap();
    assert_eq!(by_worker.len(), 1);
    assert_eq!(by_worker[0].event_id.as_deref(), Some("ev-3"));

    // Another employer sees none of it.
    let (other, _) = employer(s.as_ref(), "6906666000004", "6906666000011").await;
    assert!(s.list_workers(other.id).await.unwrap().is_empty());
    assert!(
        s.ledger_records(other.id, None, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.find_worker(other.id, "W-1").await.unwrap().is_none());
}

both_backends!(ledger_writes_are_atomic_and_logged);
