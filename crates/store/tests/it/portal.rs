//! The transparency portal's read-only queries, on SQLite and PostgreSQL.

use crate::common;
use common::*;

use chrono::{Duration, NaiveDate, Utc};
use domain::org::Role;
use store::scans::{NewAlert, NewScan, SCAN_AUTHORITATIVE, SCAN_INFORMATIONAL};
use store::*;
use testkit::{both_backends, fresh_store, with_check};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn maker(s: &dyn Store, name: &str, prefix: &str) -> Org {
    s.create_org(
        &NewOrg {
            name: name.into(),
            roles: vec![Role::Manufacturer],
            gln: Some(with_check(&format!("{prefix}00000"))),
            uscc: None,
            company_prefixes: vec![prefix.into()],
            city: None,
            created_at: t0(),
        },
        log_of("org"),
    )
    .await
    .unwrap()
}

async fn product(s: &dyn Store, org: &Org, prefix: &str, name: &str) -> Product {
    s.create_product(
        &NewProduct {
            org_id: org.id,
            gtin: with_check(&format!("0{prefix}00001")),
            name: name.into(),
            category: "head".into(),
            standard: "GB 2811-2019".into(),
            protection_class: None,
            service_life_months: Some(30),
            service_life_from: "manufacture".into(),
            created_at: t0(),
        },
        log_of("product"),
    )
    .await
    .unwrap()
}

async fn batch(s: &dyn Store, p: &Product, lot: &str) -> Batch {
    s.create_batch(
        &NewBatch {
            product_id: p.id,
            lot: lot.into(),
            production_date: Some(t0().date_naive()),
            expiry_date: None,
            created_at: t0(),
        },
        log_of("batch"),
    )
    .await
    .unwrap()
}

async fn recall(s: &dyn Store, b: &Batch, on: &str, reason: &str, id: &str) {
    let ev = NewEvent {
        event_id: id.into(),
        event_type: "ObjectEvent".into(),
        event_time: t0(),
        record_time: t0(),
        action: Some("OBSERVE".into()),
        biz_step: Some("recall".into()),
        disposition: Some("recalled".into()),
        read_point: None,
        biz_location: None,
        owner_org_id: None,
        epcs: vec![format!("urn:x:batch:{}", b.id)],
        body: "{}".into(),
    };
    let effects = Effects {
        recall_batch: Some((b.id, day(on), reason.into())),
        ..Default::default()
    };
    s.record_event(&ev, &effects, &entry("recall"))
        .await
        .unwrap();
}

async fn recalls_list_newest_first_with_product_and_maker(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let s = s.as_ref();
    assert!(s.recalled_batches(10).await.unwrap().is_empty());
    let acme = maker(s, "Acme", "6901234").await;
    let beta = maker(s, "Beta", "6951234").await;
    let helmet = product(s, &acme, "6901234", "Helmet").await;
    let shoe = product(s, &beta, "6951234", "Shoe").await;
    let b1 = batch(s, &helmet, "H1").await;
    let _kept = batch(s, &helmet, "H2").await;
    let b3 = batch(s, &shoe, "S1").await;
    recall(s, &b1, "2026-03-02", "cracked shells", "e1").await;
    recall(s, &b3, "2026-03-05", "sole separates", "e2").await;

    let rows = s.recalled_batches(10).await.unwrap();
    assert_eq!(rows.len(), 2, "the batch never recalled is not listed");
    assert_eq!(rows[0].batch.lot, "S1");
    assert_eq!(rows[0].gtin, shoe.gtin);
    assert_eq!(rows[0].product_name, "Shoe");
    assert_eq!(
        (rows[0].org_id, rows[0].org_name.as_str()),
        (beta.id, "Beta")
    );
    assert_eq!(rows[0].batch.recalled_on, Some(day("2026-03-05")));
    assert_eq!(
        rows[0].batch.recall_reason.as_deref(),
        Some("sole separates")
    );
    assert_eq!(rows[1].batch.lot, "H1");
    assert_eq!(rows[1].org_name, "Acme");
    assert_eq!(s.recalled_batches(1).await.unwrap().len(), 1, "limit holds");

    let t = s.portal_totals().await.unwrap();
    // Orgs, products, batches and recalls as created; no issuance recorded yet.
    assert_eq!(
        t,
        store::portal::PortalTotals {
            organizations: 2,
            products: 2,
            batches: 3,
            codes_issued: 0,
            recalled_batches: 2,
        }
    );
    let iss = NewIssuance {
        batch_id: b1.id,
        count: 3,
        merkle_root: "00".into(),
        actor: "t".into(),
        created_at: t0(),
    };
    s.insert_codes(
        &b1,
        &["A".into(), "B".into(), "C".into()],
        Some((&iss, &entry("codes"))),
    )
    .await
    .unwrap();
    assert_eq!(s.portal_totals().await.unwrap().codes_issued, 3);
}

fn scan(p: &Product, b: &Batch, serial: &str, at: chrono::DateTime<Utc>, kind: i16) -> NewScan {
    NewScan {
        product_id: p.id,
        serial: serial.into(),
        batch_id: b.id,
        at,
        kind,
        org_id: None,
        step: None,
        lat: None,
        lon: None,
        city: None,
        region: None,
        place_key: format!("{serial}-{at}"),
    }
}

async fn lookups_are_counted_per_utc_day(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let s = s.as_ref();
    let org = maker(s, "Acme", "6901234").await;
    let p = product(s, &org, "6901234", "Helmet").await;
    let bt = batch(s, &p, "H1").await;
    let d0 = t0(); // 2026-03-01 08:00 UTC
    let scans = vec![
        scan(&p, &bt, "A", d0 - Duration::days(3), SCAN_INFORMATIONAL), // before `from`
        scan(&p, &bt, "A", d0, SCAN_INFORMATIONAL),
        scan(&p, &bt, "B", d0 + Duration::hours(15), SCAN_INFORMATIONAL), // 23:00 same day
        scan(&p, &bt, "B", d0 + Duration::hours(16), SCAN_INFORMATIONAL), // 00:00 next day
        scan(&p, &bt, "C", d0 + Duration::days(2), SCAN_INFORMATIONAL),
        scan(&p, &bt, "C", d0, SCAN_AUTHORITATIVE), // a business step, not a look-up
    ];
    s.record_scans(&scans).await.unwrap();
    let per_day = s.lookups_per_day(day("2026-02-28")).await.unwrap();
    assert_eq!(
        per_day,
        vec![
            (day("2026-03-01"), 2),
            (day("2026-03-02"), 1),
            (day("2026-03-03"), 1)
        ]
    );
    assert_eq!(
        s.lookups_per_day(day("2026-03-02")).await.unwrap(),
        vec![(day("2026-03-02"), 1), (day("2026-03-03"), 1)]
    );
}

async fn alerts_are_counted_by_level(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let s = s.as_ref();
    assert!(s.alerts_by_level().await.unwrap().is_empty());
    let org = maker(s, "Acme", "6901234").await;
    let p = product(s, &org, "6901234", "Helmet").await;
    let bt = batch(s, &p, "H1").await;
    for (serial, cause, level) in [
        ("A", "impossible_travel", "medium"),
        ("B", "impossible_travel", "medium"),
        ("A", "scan_after_scrapping", "investigate"),
        ("C", "excessive_scans", "low"),
    ] {
        let a = NewAlert {
            product_id: p.id,
            serial: serial.into(),
            batch_id: bt.id,
            brand_org_id: org.id,
            cause: cause.into(),
            level: level.into(),
            detail: "d".into(),
            opened_at: t0(),
        };
        assert!(s.open_alert(&a, &entry("alert")).await.unwrap().is_some());
    }
    assert_eq!(
        s.alerts_by_level().await.unwrap(),
        vec![
            ("investigate".to_string(), 1),
            ("low".to_string(), 1),
            ("medium".to_string(), 2)
        ]
    );
}

both_backends!(
    recalls_list_newest_first_with_product_and_maker,
    lookups_are_counted_per_utc_day,
    alerts_are_counted_by_level,
);
