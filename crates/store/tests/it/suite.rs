//! The storage behaviour suite: every test runs on SQLite and on PostgreSQL.

use crate::common;
use common::*;

use store::scans::{NewAlert, NewScan};
use store::*;
use testkit::{both_backends, fresh_store, fresh_url, with_check};

async fn migrations_are_idempotent(b: Backend) {
    let (url, _guard) = fresh_url(b).await;
    let s1 = store::open(&url).await.unwrap();
    s1.create_org(&new_org("A", None), log_of("org"))
        .await
        .unwrap();
    drop(s1);
    let s2 = store::open(&url).await.unwrap();
    assert_eq!(
        s2.list_orgs().await.unwrap().len(),
        1,
        "reopening keeps data and does not re-run migrations"
    );
    assert_eq!(s2.backend(), b);
}

async fn every_write_appends_one_log_entry(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    assert_eq!(s.log_size().await.unwrap(), 0);
    let (_, _, batch) = setup_batch(s.as_ref()).await;
    assert_eq!(s.log_size().await.unwrap(), 3);
    let entries = s.log_entries(0, 3).await.unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0], entry("org").to_bytes());
    assert_eq!(entries[2], entry("batch").to_bytes());
    let iss = NewIssuance {
        batch_id: batch.id,
        count: 2,
        merkle_root: "00".into(),
        actor: "t".into(),
        created_at: t0(),
    };
    s.insert_codes(
        &batch,
        &["B".into(), "A".into()],
        Some((&iss, &entry("codes"))),
    )
    .await
    .unwrap();
    assert_eq!(s.log_size().await.unwrap(), 4);
}

async fn unique_constraints_are_conflicts_and_write_nothing(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let gln = with_check("690123400000");
    s.create_org(&new_org("A", Some(&gln)), log_of("org"))
        .await
        .unwrap();
    let err = s
        .create_org(&new_org("B", Some(&gln)), log_of("org"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(s.list_orgs().await.unwrap().len(), 1);
    assert_eq!(
        s.log_size().await.unwrap(),
        1,
        "a refused write leaves no log entry"
    );
}

async fn codes_are_unique_paged_and_joined_with_their_batch(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let (_, product, batch) = setup_batch(s.as_ref()).await;
    let serials: Vec<String> = (0..2500).map(|i| format!("S{i:05}")).collect();
    assert_eq!(s.insert_codes(&batch, &serials, None).await.unwrap(), 2500);
    // Duplicates are skipped, not doubled.
    assert_eq!(
        s.insert_codes(&batch, &serials[..10], None).await.unwrap(),
        0
    );
    assert_eq!(s.count_codes(batch.id).await.unwrap(), 2500);
    let seen = all_serials(s.as_ref(), batch.id, 1000).await;
    assert_eq!(seen, serials, "each serial exactly once, ascending");
    let view = s.lookup_code(product.id, "S00042").await.unwrap().unwrap();
    assert_eq!(view.state, 0);
    assert_eq!(view.batch, batch);
    assert!(s.lookup_code(product.id, "NOPE").await.unwrap().is_none());
    assert!(s.lookup_code(-1, "S00042").await.unwrap().is_none());
}

/// Serials page in byte order on both backends, whatever the database's own
/// collation. On PostgreSQL the identifier columns are `COLLATE "C"` (migration
/// 0014), so a database whose default is linguistic (ICU `en-US`, where `a1` sorts
/// before `B2`) still pages as SQLite's BINARY does, and its indexes do not depend
/// on the locale data of the operating system.
async fn serials_page_in_byte_order_whatever_the_database_collation(b: Backend) {
    let (url, _g) = match b {
        Backend::Sqlite => testkit::fresh_url(b).await,
        Backend::Postgres => {
            testkit::fresh_pg_database_with(
                "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'",
            )
            .await
        }
    };
    let s = store::open(&url).await.unwrap();
    let (_, product, batch) = setup_batch(s.as_ref()).await;
    let serials: Vec<String> = ["a1", "Z9", "_c", "B2", "b1", "A2"]
        .map(String::from)
        .to_vec();
    assert_eq!(s.insert_codes(&batch, &serials, None).await.unwrap(), 6);
    let seen = all_serials(s.as_ref(), batch.id, 2).await;
    assert_eq!(seen, ["A2", "B2", "Z9", "_c", "a1", "b1"]);
    // Case matters in a serial: `A2` is not `a2`.
    assert!(s.lookup_code(product.id, "a2").await.unwrap().is_none());
    assert!(s.lookup_code(product.id, "A2").await.unwrap().is_some());
}

/// A batch's serials, read page by page (`page` at a time) as an export does.
async fn all_serials(s: &dyn Store, batch_id: i64, page: u32) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let rows = s
            .batch_serials(batch_id, after.as_deref(), page)
            .await
            .unwrap();
        if rows.is_empty() {
            return seen;
        }
        after = rows.last().cloned();
        seen.extend(rows);
    }
}

fn event(id: &str, epcs: Vec<String>) -> NewEvent {
    NewEvent {
        event_id: id.into(),
        event_type: "ObjectEvent".into(),
        event_time: t0(),
        record_time: t0(),
        action: Some("ADD".into()),
        biz_step: Some("commissioning".into()),
        disposition: Some("active".into()),
        read_point: None,
        biz_location: None,
        owner_org_id: None,
        epcs,
        body: "{}".into(),
    }
}

async fn events_apply_effects_atomically(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let (org, product, batch) = setup_batch(s.as_ref()).await;
    s.insert_codes(&batch, &["A".into(), "B".into()], None)
        .await
        .unwrap();
    let effects = Effects {
        codes: vec![(product.id, "A".into())],
        new_state: Some(1),
        new_holder: Some(org.id),
        ..Default::default()
    };
    s.record_event(
        &event("ev1", vec!["urn:x:A".into()]),
        &effects,
        &entry("event"),
    )
    .await
    .unwrap();
    let a = s.lookup_code(product.id, "A").await.unwrap().unwrap();
    assert_eq!((a.state, a.holder_org_id), (1, Some(org.id)));
    assert_eq!(s.events_for_epc("urn:x:A").await.unwrap().len(), 1);

    let before = s.log_size().await.unwrap();
    // Same eventID: refused, and its effects are not applied.
    let scrap = Effects {
        codes: vec![(product.id, "B".into())],
        new_state: Some(2),
        ..Default::default()
    };
    let err = s
        .record_event(&event("ev1", vec![]), &scrap, &entry("event"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        s.lookup_code(product.id, "B").await.unwrap().unwrap().state,
        0
    );
    // An effect on a code that does not exist rolls the whole event back.
    let ghost = Effects {
        codes: vec![(product.id, "GHOST".into())],
        new_state: Some(2),
        ..Default::default()
    };
    let err = s
        .record_event(
            &event("ev2", vec!["urn:x:G".into()]),
            &ghost,
            &entry("event"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert_eq!(s.event_count().await.unwrap(), 1);
    assert!(s.events_for_epc("urn:x:G").await.unwrap().is_empty());
    assert_eq!(s.log_size().await.unwrap(), before);
}

/// An event is found by every identifier it names, whatever the role, and by the
/// names its caller gave it; never by a company-prefix key.
async fn events_are_found_by_every_name_they_carry(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let ev = event("ev-named", vec!["urn:x:A".into(), "urn:x:EXTRA".into()]);
    let index = EventIndex {
        event_hash: "h-named".into(),
        error_declared: false,
        keys: vec![
            ("cp".into(), "0614141".into()),
            ("epc".into(), "urn:x:A".into()),
            ("child".into(), "urn:x:C".into()),
            ("parent".into(), "urn:x:P".into()),
            ("lot".into(), "urn:x:LOT".into()),
        ],
    };
    s.record_event_indexed(&ev, &index, &Effects::default(), &entry("event"))
        .await
        .unwrap();
    for name in ["urn:x:A", "urn:x:C", "urn:x:P", "urn:x:LOT", "urn:x:EXTRA"] {
        let found = s.events_for_epc(name).await.unwrap();
        assert_eq!(found.len(), 1, "{name}");
        assert_eq!(found[0].event_id, "ev-named");
    }
    assert!(s.events_for_epc("0614141").await.unwrap().is_empty());
    assert!(s.events_for_epc("urn:x:NONE").await.unwrap().is_empty());
}

/// Migration 0013 keeps every name of the events stored before it: the names
/// already held by a key need nothing, the others become `named` keys.
async fn migration_0013_keeps_the_names_of_stored_events(b: Backend) {
    let (url, g) = fresh_url(b).await;
    let s = store::open(&url).await.unwrap();
    let ev = event("ev-old", vec![]);
    let index = EventIndex {
        event_hash: "h-old".into(),
        error_declared: false,
        keys: vec![("epc".into(), "urn:x:KEYED".into())],
    };
    s.record_event_indexed(&ev, &index, &Effects::default(), &entry("event"))
        .await
        .unwrap();
    drop(s);
    // The schema as version 12 left it: names in `event_epcs`, every key indexed by event.
    raw_sql(
        &g,
        "DROP INDEX event_keys_cp_event;
         CREATE INDEX event_keys_event ON event_keys(event_pk);
         CREATE TABLE event_epcs (epc TEXT NOT NULL, event_pk BIGINT NOT NULL, PRIMARY KEY (epc, event_pk));
         INSERT INTO event_epcs (epc, event_pk) SELECT 'urn:x:KEYED', id FROM events;
         INSERT INTO event_epcs (epc, event_pk) SELECT 'urn:x:ONLY-NAMED', id FROM events;
         DELETE FROM schema_migrations WHERE version = 13;",
    )
    .await;
    let s = store::open(&url).await.unwrap();
    for name in ["urn:x:KEYED", "urn:x:ONLY-NAMED"] {
        let found = s.events_for_epc(name).await.unwrap();
        assert_eq!(found.len(), 1, "{name}");
        assert_eq!(found[0].event_id, "ev-old");
    }
    drop(s);
    // The table and the full index by event are gone: creating them again succeeds.
    raw_sql(
        &g,
        "CREATE TABLE event_epcs (epc TEXT); DROP TABLE event_epcs;
         CREATE INDEX event_keys_event ON event_keys(event_pk);",
    )
    .await;
}

async fn recall_and_release_mark_the_batch(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let (_, _, batch) = setup_batch(s.as_ref()).await;
    let d = t0().date_naive();
    let effects = Effects {
        release_batch: Some(batch.id),
        recall_batch: Some((batch.id, d, "cracks".into())),
        ..Default::default()
    };
    s.record_event(&event("ev", vec![]), &effects, &entry("event"))
        .await
        .unwrap();
    let got = s.get_batch(batch.id).await.unwrap().unwrap();
    assert!(got.released);
    assert_eq!(got.recalled_on, Some(d));
    assert_eq!(got.recall_reason.as_deref(), Some("cracks"));
}

async fn keys_sites_and_certificates_round_trip(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let (org, product, _) = setup_batch(s.as_ref()).await;
    let key = s
        .create_api_key(
            &NewApiKey {
                org_id: org.id,
                lookup: "abcd".into(),
                secret_sha256: "ff".into(),
                admin: false,
                label: "k".into(),
                created_at: t0(),
            },
            log_of("key"),
        )
        .await
        .unwrap();
    let found = s.find_api_key("abcd").await.unwrap().unwrap();
    assert_eq!(
        (found.id, found.secret_sha256.as_str(), found.admin),
        (key.id, "ff", false)
    );
    let gln = with_check("690123400001");
    let site = s
        .create_site(
            &NewSite {
                org_id: org.id,
                gln: gln.clone(),
                name: "F".into(),
                city: None,
                region: None,
                latitude: Some(40.5),
                longitude: Some(122.1),
                created_at: t0(),
            },
            log_of("site"),
        )
        .await
        .unwrap();
    assert_eq!(s.get_site_by_gln(&gln).await.unwrap(), Some(site.clone()));
    assert_eq!(s.list_sites(org.id).await.unwrap(), vec![site]);
    let cert = s
        .create_certificate(
            &NewCertificate {
                org_id: org.id,
                product_id: Some(product.id),
                kind: "la_mark".into(),
                number: "23-01-000001".into(),
                issuer: "X".into(),
                valid_from: t0().date_naive(),
                valid_until: t0().date_naive(),
                status: "valid".into(),
                created_at: t0(),
            },
            log_of("cert"),
        )
        .await
        .unwrap();
    assert_eq!(s.list_certificates(product.id).await.unwrap(), vec![cert]);
    assert_eq!(
        s.get_product_by_gtin(&product.gtin).await.unwrap(),
        Some(product.clone())
    );
    assert_eq!(
        s.list_products(Some(org.id)).await.unwrap(),
        vec![product.clone()]
    );
    assert_eq!(s.list_products(Some(org.id + 100)).await.unwrap(), vec![]);
}

fn scan(product_id: i64, serial: &str, batch_id: i64, hours: i64, place: &str) -> NewScan {
    NewScan {
        product_id,
        serial: serial.into(),
        batch_id,
        at: t0() + chrono::Duration::hours(hours),
        kind: store::scans::SCAN_INFORMATIONAL,
        org_id: None,
        step: None,
        lat: Some(30.6),
        lon: Some(114.3),
        city: Some("Wuhan".into()),
        region: None,
        place_key: place.into(),
    }
}

async fn scans_count_buckets_and_batch_norms(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let (_, product, batch) = setup_batch(s.as_ref()).await;
    let log_before = s.log_size().await.unwrap();
    // Code A: 3 scans in one bucket, then another day; code B: one scan.
    let scans = vec![
        scan(product.id, "A", batch.id, 0, "wuhan"),
        scan(product.id, "A", batch.id, 1, "wuhan"),
        scan(product.id, "A", batch.id, 2, "wuhan"),
        scan(product.id, "A", batch.id, 30, "wuhan"),
        scan(product.id, "B", batch.id, 0, "beijing"),
    ];
    s.record_scans(&scans).await.unwrap();
    assert_eq!(s.code_buckets(product.id, "A").await.unwrap(), 2);
    assert_eq!(s.code_buckets(product.id, "B").await.unwrap(), 1);
    assert_eq!(s.batch_scan_stats(batch.id).await.unwrap(), (2, 3));
    let recent = s.recent_scans(product.id, "A", 2).await.unwrap();
    assert_eq!(recent.len(), 2);
    assert!(recent[0].at > recent[1].at, "newest first");
    assert_eq!(
        s.log_size().await.unwrap(),
        log_before,
        "informational scans are not log entries"
    );
}

async fn alerts_open_once_and_follow_their_lifecycle(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let (org, product, batch) = setup_batch(s.as_ref()).await;
    let a = NewAlert {
        product_id: product.id,
        serial: "A".into(),
        batch_id: batch.id,
        brand_org_id: org.id,
        cause: "impossible_travel".into(),
        level: "investigate".into(),
        detail: "x".into(),
        opened_at: t0(),
    };
    let first = s
        .open_alert(&a, &entry("alert"))
        .await
        .unwrap()
        .expect("opened");
    assert_eq!(first.status, "open");
    let log_after_open = s.log_size().await.unwrap();
    assert!(
        s.open_alert(&a, &entry("alert")).await.unwrap().is_none(),
        "one open alert per code and cause"
    );
    assert_eq!(s.log_size().await.unwrap(), log_after_open);
    let closed = s
        .update_alert(
            first.id,
            "closed",
            Some("counterfeit"),
            t0(),
            &entry("alert"),
        )
        .await
        .unwrap();
    assert_eq!(
        (closed.status.as_str(), closed.resolution.as_deref()),
        ("closed", Some("counterfeit"))
    );
    // Once closed, the same cause can open a new alert.
    assert!(s.open_alert(&a, &entry("alert")).await.unwrap().is_some());
    let counts = s.alert_counts(Some(org.id)).await.unwrap();
    assert_eq!(counts.iter().map(|c| c.count).sum::<u64>(), 2);
    assert_eq!(
        s.list_alerts(Some(org.id), Some("open"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.list_alerts(Some(org.id + 1), None).await.unwrap().len(),
        0
    );
    assert!(matches!(
        s.update_alert(9999, "closed", None, t0(), &entry("alert"))
            .await,
        Err(StoreError::NotFound(_))
    ));
}

both_backends!(
    scans_count_buckets_and_batch_norms,
    alerts_open_once_and_follow_their_lifecycle,
    migrations_are_idempotent,
    every_write_appends_one_log_entry,
    unique_constraints_are_conflicts_and_write_nothing,
    codes_are_unique_paged_and_joined_with_their_batch,
    serials_page_in_byte_order_whatever_the_database_collation,
    events_apply_effects_atomically,
    events_are_found_by_every_name_they_carry,
    migration_0013_keeps_the_names_of_stored_events,
    recall_and_release_mark_the_batch,
    keys_sites_and_certificates_round_trip,
);
