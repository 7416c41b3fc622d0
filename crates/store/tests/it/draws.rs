//! Storage of the draws capability, on SQLite and PostgreSQL.

use crate::common;
use common::*;

use chrono::NaiveDate;
use domain::org::Role;
use store::draws::*;
use store::*;
use testkit::{both_backends, fresh_store};

fn target(code: &str, class: &str) -> InspectionTarget {
    InspectionTarget {
        code: code.into(),
        org_id: None,
        name: format!("Target {code}"),
        risk_class: class.into(),
        region: "north".into(),
        last_inspection: None,
        last_inspectors: vec![],
        complaint_count: 0,
        updated_at: t0(),
    }
}

fn inspector(code: &str, org_id: i64, key: Option<i64>) -> Inspector {
    Inspector {
        code: code.into(),
        name: format!("Inspector {code}"),
        org_id,
        api_key_id: key,
        region: "south".into(),
        affiliations: vec!["T2".into()],
        active: true,
        public_key: "ab".repeat(32),
        updated_at: t0(),
    }
}

async fn regulator(s: &dyn Store) -> (Org, ApiKey) {
    let org = s
        .create_org(
            &NewOrg {
                name: "Bureau".into(),
                roles: vec![Role::Regulator],
                gln: None,
                uscc: None,
                company_prefixes: vec![],
                city: None,
                created_at: t0(),
            },
            log_of("org"),
        )
        .await
        .expect("ok");
    let key = s
        .create_api_key(
            &NewApiKey {
                org_id: org.id,
                lookup: "0011223344556677".into(),
                secret_sha256: "x".into(),
                admin: false,
                label: "inspector".into(),
                created_at: t0(),
            },
            log_of("key"),
        )
        .await
        .expect("ok");
    (org, key)
}

async fn registries_upsert_and_log(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let (org, key) = regulator(&*s).await;
    let before = s.log_size().await.expect("ok");
    let t = s
        .upsert_target(&target("T1", "A"), log_of("target"))
        .await
        .expect("ok");
    assert_eq!(t.risk_class, "A");
    let mut changed = target("T1", "C");
    changed.complaint_count = 3;
    changed.last_inspectors = vec!["I1".into(), "I2".into()];
    let t = s
        .upsert_target(&changed, log_of("target"))
        .await
        .expect("ok");
    assert_eq!((t.risk_class.as_str(), t.complaint_count), ("C", 3));
    assert_eq!(t.last_inspectors, vec!["I1", "I2"]);
    s.upsert_target(&target("T0", "B"), log_of("target"))
        .await
        .expect("ok");
    let codes: Vec<String> = s
        .list_targets()
        .await
        .expect("ok")
        .into_iter()
        .map(|t| t.code)
        .collect();
    assert_eq!(codes, vec!["T0", "T1"]);
    // A bad risk class is refused by the schema.
    assert!(matches!(
        s.upsert_target(&target("T9", "E"), log_of("target")).await,
        Err(StoreError::Conflict(_))
    ));

    let i = s
        .upsert_inspector(&inspector("I1", org.id, Some(key.id)), log_of("inspector"))
        .await
        .expect("ok");
    assert_eq!(i.affiliations, vec!["T2"]);
    assert_eq!(
        s.inspector_by_key(key.id)
            .await
            .expect("ok")
            .expect("ok")
            .code,
        "I1"
    );
    assert!(
        s.inspector_by_key(key.id + 100)
            .await
            .expect("ok")
            .is_none()
    );
    // One key, one inspector.
    assert!(matches!(
        s.upsert_inspector(&inspector("I2", org.id, Some(key.id)), log_of("inspector"))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let mut off = inspector("I1", org.id, Some(key.id));
    off.active = false;
    assert!(
        !s.upsert_inspector(&off, log_of("inspector"))
            .await
            .expect("ok")
            .active
    );
    assert_eq!(s.list_inspectors().await.expect("ok").len(), 1);
    assert_eq!(s.api_key_org(key.id).await.expect("ok"), Some(org.id));
    assert_eq!(s.api_key_org(key.id + 100).await.expect("ok"), None);

    let l = ItemList {
        code: "L1".into(),
        title: "Helmets".into(),
        items: "[]".into(),
        created_at: t0(),
    };
    s.create_item_list(&l, log_of("list")).await.expect("ok");
    assert!(matches!(
        s.create_item_list(&l, log_of("list")).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.get_item_list("L1").await.expect("ok").expect("ok").title,
        "Helmets"
    );
    // Six successful writes, six log entries; refused writes leave none.
    assert_eq!(s.log_size().await.expect("ok"), before + 6);
}

fn new_draw(plan_id: &str) -> NewDraw {
    NewDraw {
        plan_id: plan_id.into(),
        item_list: "L1".into(),
        plan: "{\"plan\":1}".into(),
        plan_hash: "p".repeat(64),
        snapshot: "{\"snapshot\":1}".into(),
        snapshot_hash: "s".repeat(64),
        created_by: "test".into(),
        created_at: t0(),
    }
}

async fn draw_phases_happen_once_and_in_order(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let l = ItemList {
        code: "L1".into(),
        title: "Helmets".into(),
        items: "[]".into(),
        created_at: t0(),
    };
    s.create_item_list(&l, log_of("list")).await.expect("ok");
    let d = s
        .create_draw(&new_draw("P1"), log_of("draw"))
        .await
        .expect("ok");
    assert!(d.seed_inputs.is_none() && d.result.is_none());
    assert!(matches!(
        s.create_draw(&new_draw("P1"), log_of("draw")).await,
        Err(StoreError::Conflict(_))
    ));
    let mut other = new_draw("P2");
    other.item_list = "nope".into();
    assert!(matches!(
        s.create_draw(&other, log_of("draw")).await,
        Err(StoreError::Conflict(_))
    ));

    let size = s.log_size().await.expect("ok");
    // No result before the seed.
    assert!(matches!(
        s.set_draw_result(d.id, "{}", "c", t0(), log_of("result"))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let seeded = s
        .set_draw_seed(d.id, "{\"seed\":1}", t0(), log_of("seed"))
        .await
        .expect("ok");
    assert_eq!(seeded.seed_inputs.as_deref(), Some("{\"seed\":1}"));
    assert_eq!(seeded.seeded_at, Some(t0()));
    assert!(matches!(
        s.set_draw_seed(d.id, "{\"seed\":2}", t0(), log_of("seed"))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let drawn = s
        .set_draw_result(d.id, "{\"r\":1}", &"c".repeat(64), t0(), log_of("result"))
        .await
        .expect("ok");
    assert_eq!(drawn.commitment.as_deref(), Some("c".repeat(64).as_str()));
    assert!(matches!(
        s.set_draw_result(d.id, "{\"r\":2}", "x", t0(), log_of("result"))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.set_draw_seed(999, "{}", t0(), log_of("seed")).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        s.log_size().await.expect("ok"),
        size + 2,
        "only the two accepted phases are logged"
    );
    let again = s.get_draw(d.id).await.expect("ok").expect("ok");
    assert_eq!(again, drawn);
    assert_eq!(s.list_draws().await.expect("ok").len(), 1);
}

async fn records_append_and_update_the_target(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let (org, key) = regulator(&*s).await;
    s.upsert_target(&target("T1", "A"), log_of("target"))
        .await
        .expect("ok");
    s.upsert_inspector(&inspector("I1", org.id, Some(key.id)), log_of("inspector"))
        .await
        .expect("ok");
    s.upsert_inspector(&inspector("I2", org.id, None), log_of("inspector"))
        .await
        .expect("ok");
    let l = ItemList {
        code: "L1".into(),
        title: "Helmets".into(),
        items: "[]".into(),
        created_at: t0(),
    };
    s.create_item_list(&l, log_of("list")).await.expect("ok");
    let d = s
        .create_draw(&new_draw("P1"), log_of("draw"))
        .await
        .expect("ok");
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("ok");
    let rec = |kind: &str, refers_to: Option<i64>, update: bool| NewInspectionRecord {
        draw_id: d.id,
        target_code: "T1".into(),
        inspector_code: "I1".into(),
        kind: kind.into(),
        refers_to,
        body: format!("{{\"kind\":\"{kind}\"}}"),
        body_sha256: "h".repeat(64),
        signature: "s".repeat(128),
        filed_at: t0(),
        target_update: update.then(|| (day, vec!["I1".to_string(), "I2".to_string()])),
    };
    let size = s.log_size().await.expect("ok");
    let r1 = s
        .add_record(&rec("inspection", None, true), log_of("record"))
        .await
        .expect("ok");
    let t = s.get_target("T1").await.expect("ok").expect("ok");
    assert_eq!(t.last_inspection, Some(day));
    assert_eq!(t.last_inspectors, vec!["I1", "I2"]);
    let r2 = s
        .add_record(&rec("correction", Some(r1.id), true), log_of("record"))
        .await
        .expect("ok");
    assert_eq!(r2.refers_to, Some(r1.id));
    // Unknown kinds and dangling references are refused, with no log entry.
    assert!(matches!(
        s.add_record(&rec("edit", None, false), log_of("record"))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.add_record(&rec("correction", Some(9999), false), log_of("record"))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.log_size().await.expect("ok"), size + 2);
    assert_eq!(s.get_record(r1.id).await.expect("ok").expect("ok"), r1);
    let all = s.list_records(&RecordFilter::default()).await.expect("ok");
    assert_eq!(
        all.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![r1.id, r2.id]
    );
    let none = s
        .list_records(&RecordFilter {
            inspector_code: Some("I2".into()),
            ..RecordFilter::default()
        })
        .await
        .expect("ok");
    assert!(none.is_empty());
    let by_draw = s
        .list_records(&RecordFilter {
            draw_id: Some(d.id),
            target_code: Some("T1".into()),
            ..RecordFilter::default()
        })
        .await
        .expect("ok");
    assert_eq!(by_draw.len(), 2);
}

both_backends!(
    registries_upsert_and_log,
    draw_phases_happen_once_and_in_order,
    records_append_and_update_the_target
);
