//! `ScanStore::verify_read`, the one read of the verification hot path, on both
//! databases: it returns what the single-purpose reads return, nothing for unknown
//! codes, and every committed write at once (a recall shows on the next look-up, also
//! through the per-thread SQLite connection that served the look-up before).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use store::scans::{NewScan, SCAN_AUTHORITATIVE, SCAN_INFORMATIONAL};
use store::*;
use testkit::{both_backends, fresh_store, with_check};

async fn setup(s: &dyn Store) -> (Org, Product, Batch, Certificate) {
    let (org, product, batch) = setup_batch(s).await;
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
    s.insert_codes(&batch, &["A1".into(), "B2".into()], None)
        .await
        .unwrap();
    (org, product, batch, cert)
}

fn scan(product: &Product, batch: &Batch, serial: &str, min: u32, place: &str) -> NewScan {
    NewScan {
        product_id: product.id,
        serial: serial.into(),
        batch_id: batch.id,
        at: t0() + chrono::Duration::minutes(i64::from(min)),
        kind: SCAN_INFORMATIONAL,
        org_id: None,
        step: None,
        lat: None,
        lon: None,
        city: Some(place.into()),
        region: None,
        place_key: place.into(),
    }
}

async fn verify_read_matches_the_single_reads(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let (org, product, batch, cert) = setup(s.as_ref()).await;
    s.record_scans(&[
        scan(&product, &batch, "A1", 1, "Wuhan"),
        scan(&product, &batch, "A1", 2, "Anshan"),
        scan(&product, &batch, "B2", 3, "Wuhan"),
    ])
    .await
    .unwrap();
    let r = s.verify_read(&product.gtin, "A1", 50).await.unwrap();
    assert_eq!(r.product, Some(product.clone()));
    assert_eq!(r.org, Some(org.clone()));
    assert_eq!(r.certificates, vec![cert]);
    let code = r.code.expect("code A1");
    assert_eq!(code.serial, "A1");
    assert_eq!(code.batch, batch);
    assert_eq!(
        r.recent,
        s.recent_scans(product.id, "A1", 50).await.unwrap()
    );
    assert_eq!(r.recent.len(), 2);
    assert_eq!(r.recent[0].city.as_deref(), Some("Anshan"), "newest first");
    assert_eq!(r.code_buckets, 2);
    assert_eq!(
        r.code_buckets,
        s.code_buckets(product.id, "A1").await.unwrap()
    );
    assert_eq!(r.batch_stats, s.batch_scan_stats(batch.id).await.unwrap());
    assert_eq!(r.batch_stats, (2, 3));
    // The history limit holds.
    let r1 = s.verify_read(&product.gtin, "A1", 1).await.unwrap();
    assert_eq!(r1.recent.len(), 1);
}

async fn verify_read_of_unknown_codes_is_empty(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let (org, product, _batch, _cert) = setup(s.as_ref()).await;
    // Known product, unknown serial: the product facts, no code, no history.
    let r = s.verify_read(&product.gtin, "NOPE", 50).await.unwrap();
    assert_eq!(r.product.as_ref().map(|p| p.id), Some(product.id));
    assert_eq!(r.org.map(|o| o.id), Some(org.id));
    assert!(r.code.is_none() && r.recent.is_empty());
    assert_eq!((r.code_buckets, r.batch_stats), (0, (0, 0)));
    // Unknown product: nothing at all.
    let r = s
        .verify_read(&with_check("0690123499999"), "A1", 50)
        .await
        .unwrap();
    assert!(r.product.is_none() && r.code.is_none() && r.org.is_none());
    assert!(r.certificates.is_empty() && r.recent.is_empty());
}

async fn verify_read_sees_a_recall_at_once(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let (_org, product, batch, _cert) = setup(s.as_ref()).await;
    // Several look-ups first, so the per-thread connection exists and has read the
    // batch row before the recall.
    for _ in 0..3 {
        let r = s.verify_read(&product.gtin, "B2", 50).await.unwrap();
        assert_eq!(r.code.unwrap().batch.recalled_on, None);
    }
    let d = t0().date_naive();
    let ev = NewEvent {
        event_id: "recall-1".into(),
        event_type: "ObjectEvent".into(),
        event_time: t0(),
        record_time: t0(),
        action: Some("OBSERVE".into()),
        biz_step: Some("recalling".into()),
        disposition: None,
        read_point: None,
        biz_location: None,
        owner_org_id: None,
        epcs: vec![],
        body: "{}".into(),
    };
    let effects = Effects {
        recall_batch: Some((batch.id, d, "cracks".into())),
        ..Default::default()
    };
    s.record_event(&ev, &effects, &entry("event"))
        .await
        .unwrap();
    let r = s.verify_read(&product.gtin, "B2", 50).await.unwrap();
    let got = r.code.unwrap().batch;
    assert_eq!(got.recalled_on, Some(d));
    assert_eq!(got.recall_reason.as_deref(), Some("cracks"));
    // A scan recorded after the first look-ups shows at once too.
    s.record_scans(&[scan(&product, &batch, "B2", 5, "Wuhan")])
        .await
        .unwrap();
    let r = s.verify_read(&product.gtin, "B2", 50).await.unwrap();
    assert_eq!(r.recent.len(), 1);
    assert_eq!(r.code_buckets, 1);
}

/// An authoritative scan of `serial` at a site in `region` for `step`.
fn handled(product: &Product, batch: &Batch, serial: &str, step: &str, region: &str) -> NewScan {
    NewScan {
        kind: SCAN_AUTHORITATIVE,
        org_id: Some(1),
        step: Some(step.into()),
        region: Some(region.into()),
        place_key: String::new(),
        ..scan(product, batch, serial, 0, "")
    }
}

async fn verify_read_gives_the_batch_regions_once_received(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let (_org, product, batch, _cert) = setup(s.as_ref()).await;
    // Nothing handled yet: no regions (the rule is off).
    let r = s.verify_read(&product.gtin, "A1", 50).await.unwrap();
    assert!(r.shipped_regions.is_empty());
    // Commissioned and shipped from Liaoning: still no receipt, still unknown.
    s.record_scans(&[
        handled(&product, &batch, "A1", "commissioning", "Liaoning"),
        handled(&product, &batch, "A1", "shipping", "Liaoning"),
    ])
    .await
    .unwrap();
    let r = s.verify_read(&product.gtin, "B2", 50).await.unwrap();
    assert!(r.shipped_regions.is_empty(), "{:?}", r.shipped_regions);
    // Received in Hubei (twice, and an informational scan elsewhere changes nothing):
    // every item of the batch now has both regions, each once.
    let mut info = scan(&product, &batch, "B2", 3, "Urumqi");
    info.region = Some("Xinjiang".into());
    s.record_scans(&[
        handled(&product, &batch, "A1", "receiving", "Hubei"),
        handled(&product, &batch, "A1", "receiving", " Hubei "),
        info,
    ])
    .await
    .unwrap();
    for serial in ["A1", "B2"] {
        let mut got = s
            .verify_read(&product.gtin, serial, 50)
            .await
            .unwrap()
            .shipped_regions;
        got.sort();
        assert_eq!(
            got,
            vec!["Hubei".to_string(), "Liaoning".to_string()],
            "{serial}"
        );
    }
    // Unknown serials read the same statement and get nothing.
    let r = s.verify_read(&product.gtin, "NOPE", 50).await.unwrap();
    assert!(r.shipped_regions.is_empty());
}

both_backends!(
    verify_read_matches_the_single_reads,
    verify_read_of_unknown_codes_is_empty,
    verify_read_sees_a_recall_at_once,
    verify_read_gives_the_batch_regions_once_received
);
