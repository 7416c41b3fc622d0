//! `ScanStore::verify_read`, the one read of the verification hot path, on both
//! databases: it returns what the single-purpose reads return, nothing for unknown
//! codes, and every committed write at once (a recall shows on the next look-up, also
//! through the per-thread SQLite connection that served the look-up before).

use crate::common;
use common::*;

use store::scans::{NewScan, SCAN_AUTHORITATIVE, SCAN_INFORMATIONAL};
use store::*;
use testkit::{DbGuard, both_backends, fresh_store, with_check};

/// A valid certificate of `product`, valid on `t0()`'s day.
fn certificate(
    org: &Org,
    product: &Product,
    kind: &str,
    number: &str,
    issuer: &str,
) -> NewCertificate {
    NewCertificate {
        org_id: org.id,
        product_id: Some(product.id),
        kind: kind.into(),
        number: number.into(),
        issuer: issuer.into(),
        valid_from: t0().date_naive(),
        valid_until: t0().date_naive(),
        status: "valid".into(),
        created_at: t0(),
    }
}

async fn setup(s: &dyn Store) -> (Org, Product, Batch, Certificate) {
    let (org, product, batch) = setup_batch(s).await;
    let cert = s
        .create_certificate(
            &certificate(&org, &product, "la_mark", "23-01-000001", "X"),
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

/// The history in `verify_read` (one statement on PostgreSQL, arrays per column) is
/// the same as `recent_scans`: every field, newest first, ties on `at` broken by the
/// later insert first, cut at the limit, and empty for a code without scans.
async fn verify_read_history_is_the_recent_scans(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let (_org, product, batch, _cert) = setup(s.as_ref()).await;
    let mut scans = Vec::new();
    for (i, min) in [5u32, 1, 9, 9, 3, 9, 7].into_iter().enumerate() {
        let mut sc = scan(&product, &batch, "A1", min, &format!("City{i}"));
        if i % 2 == 0 {
            sc.kind = SCAN_AUTHORITATIVE;
            sc.org_id = Some(batch.product_id);
            sc.step = Some("receiving".into());
            sc.lat = Some(30.5 + i as f64);
            sc.lon = Some(114.25 - i as f64);
            sc.region = Some(format!("Region{i}"));
        } else {
            sc.city = None;
        }
        scans.push(sc);
    }
    // One insert per scan, so ids follow this order (the three at minute 9 tie on `at`).
    for sc in &scans {
        s.record_scans(std::slice::from_ref(sc)).await.unwrap();
    }
    for limit in [1u32, 3, 4, 50] {
        let r = s.verify_read(&product.gtin, "A1", limit).await.unwrap();
        let want = s.recent_scans(product.id, "A1", limit).await.unwrap();
        assert_eq!(r.recent, want, "limit {limit}");
        assert_eq!(r.recent.len(), (limit as usize).min(scans.len()));
    }
    let r = s.verify_read(&product.gtin, "A1", 50).await.unwrap();
    let minutes: Vec<i64> = r
        .recent
        .iter()
        .map(|x| (x.at - t0()).num_minutes())
        .collect();
    assert_eq!(minutes, vec![9, 9, 9, 7, 5, 3, 1]);
    // Ties: the scan inserted last (index 5) comes first, then 3, then 2.
    assert_eq!(r.recent[0].city, None);
    assert_eq!(r.recent[1].city, None);
    assert_eq!(r.recent[2].city.as_deref(), Some("City2"));
    assert_eq!(r.recent[2].region.as_deref(), Some("Region2"));
    assert_eq!(r.recent[2].step.as_deref(), Some("receiving"));
    assert_eq!(r.recent[2].lat, Some(32.5));
    // A code without scans has no history.
    let r = s.verify_read(&product.gtin, "B2", 50).await.unwrap();
    assert!(r.code.is_some() && r.recent.is_empty());
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

/// (product name, manufacturer name, certificates as (number, status)) of a look-up.
async fn registry_view(
    s: &dyn Store,
    gtin: &str,
    serial: &str,
) -> (String, String, Vec<(String, String)>) {
    let r = s.verify_read(gtin, serial, 50).await.unwrap();
    (
        r.product.expect("product").name,
        r.org.expect("manufacturer").name,
        r.certificates
            .into_iter()
            .map(|c| (c.number, c.status))
            .collect(),
    )
}

async fn verify_read_sees_registry_sql_behind_its_back(b: Backend) {
    let (s, g) = fresh_store(b).await;
    let (org, product, _batch, cert) = setup(s.as_ref()).await;
    let valid = vec![(cert.number.clone(), "valid".to_string())];
    // Several look-ups first: the facts are cached (and the per-thread SQLite
    // connection has read them).
    for serial in ["A1", "B2", "A1", "NOPE"] {
        assert_eq!(
            registry_view(s.as_ref(), &product.gtin, serial).await,
            ("Helmet".into(), "Maker".into(), valid.clone())
        );
    }
    // The certification body revokes the certificate: plain SQL, another connection.
    raw_sql(
        &g,
        &format!(
            "UPDATE certificates SET status = 'revoked' WHERE id = {}",
            cert.id
        ),
    )
    .await;
    assert_eq!(
        registry_view(s.as_ref(), &product.gtin, "A1").await.2,
        vec![(cert.number.clone(), "revoked".to_string())]
    );
    // ... suspends it instead (the issuer's status), for every serial of the GTIN.
    raw_sql(&g, "UPDATE certificates SET status = 'suspended'").await;
    for serial in ["A1", "B2", "NOPE"] {
        assert_eq!(
            registry_view(s.as_ref(), &product.gtin, serial).await.2,
            vec![(cert.number.clone(), "suspended".to_string())],
            "{serial}"
        );
    }
    // The product and its manufacturer change.
    raw_sql(
        &g,
        &format!(
            "UPDATE products SET name = 'Helmet II' WHERE id = {}",
            product.id
        ),
    )
    .await;
    assert_eq!(
        registry_view(s.as_ref(), &product.gtin, "A1").await.0,
        "Helmet II"
    );
    raw_sql(
        &g,
        &format!(
            "UPDATE organizations SET name = 'Maker Ltd' WHERE id = {}",
            org.id
        ),
    )
    .await;
    assert_eq!(
        registry_view(s.as_ref(), &product.gtin, "B2").await.1,
        "Maker Ltd"
    );
    // A certificate added and one deleted.
    raw_sql(
        &g,
        &format!(
            "INSERT INTO certificates (org_id, product_id, kind, number, issuer, valid_from, valid_until, status, created_at)
             VALUES ({}, {}, 'ccc', '2026-0001', 'CQC', '2026-01-01', '2029-12-31', 'valid', '2026-03-01T08:00:00.000Z')",
            org.id, product.id
        ),
    )
    .await;
    let certs = registry_view(s.as_ref(), &product.gtin, "A1").await.2;
    assert_eq!(
        certs,
        vec![
            (cert.number.clone(), "suspended".to_string()),
            ("2026-0001".to_string(), "valid".to_string())
        ]
    );
    raw_sql(
        &g,
        &format!("DELETE FROM certificates WHERE id = {}", cert.id),
    )
    .await;
    assert_eq!(
        registry_view(s.as_ref(), &product.gtin, "A1").await.2,
        vec![("2026-0001".to_string(), "valid".to_string())]
    );
    // The product moves to another manufacturer.
    raw_sql(
        &g,
        "INSERT INTO organizations (name, roles, company_prefixes, created_at)
         VALUES ('Other maker', 'manufacturer', '', '2026-03-01T08:00:00.000Z')",
    )
    .await;
    raw_sql(
        &g,
        &format!(
            "UPDATE products SET org_id = (SELECT id FROM organizations WHERE name = 'Other maker') WHERE id = {}",
            product.id
        ),
    )
    .await;
    let r = s.verify_read(&product.gtin, "A1", 50).await.unwrap();
    let other = r.org.expect("manufacturer");
    assert_eq!(other.name, "Other maker");
    assert_ne!(other.id, org.id);
    assert_eq!(r.product.map(|p| p.org_id), Some(other.id));
}

async fn verify_read_sees_registry_writes_of_another_store(b: Backend) {
    // Two stores on one database: two API nodes on one PostgreSQL, or the server
    // and the CLI on one SQLite file. Each has its own cache.
    let (s, g) = fresh_store(b).await;
    let (org, product, _batch, cert) = setup(s.as_ref()).await;
    let url = match &g {
        DbGuard::Sqlite(dir) => format!("sqlite://{}", dir.path().join("ppetrace.db").display()),
        DbGuard::Postgres { admin_url, name } => testkit::with_database(admin_url, name),
    };
    let other = store::open(&url).await.unwrap();
    for st in [s.as_ref(), other.as_ref()] {
        assert_eq!(registry_view(st, &product.gtin, "A1").await.2.len(), 1);
    }
    let added = other
        .create_certificate(
            &certificate(&org, &product, "ccc", "2026-0002", "CQC"),
            log_of("cert"),
        )
        .await
        .unwrap();
    for st in [s.as_ref(), other.as_ref()] {
        let r = st.verify_read(&product.gtin, "A1", 50).await.unwrap();
        assert_eq!(r.certificates, vec![cert.clone(), added.clone()]);
    }
    // A product registered on one node is found on the other at once, too.
    let p2 = other
        .create_product(
            &NewProduct {
                org_id: org.id,
                gtin: with_check("0690123400002"),
                name: "Gloves".into(),
                category: "hand".into(),
                standard: "GB 24541-2022".into(),
                protection_class: None,
                service_life_months: None,
                service_life_from: "manufacture".into(),
                created_at: t0(),
            },
            log_of("product"),
        )
        .await
        .unwrap();
    let r = s.verify_read(&p2.gtin, "A1", 50).await.unwrap();
    assert_eq!(r.product, Some(p2));
    assert!(r.certificates.is_empty() && r.code.is_none());
    // And the first product's facts stay right after the generation moved on.
    assert_eq!(
        registry_view(s.as_ref(), &product.gtin, "A1").await.2.len(),
        2
    );
}

both_backends!(
    verify_read_matches_the_single_reads,
    verify_read_history_is_the_recent_scans,
    verify_read_of_unknown_codes_is_empty,
    verify_read_sees_a_recall_at_once,
    verify_read_gives_the_batch_regions_once_received,
    verify_read_sees_registry_sql_behind_its_back,
    verify_read_sees_registry_writes_of_another_store
);
