//! Golden eyes, the "unshipped region" clone rule (issue #6): once a batch has been
//! received somewhere, a public scan from a region none of its items was handled in
//! turns the answer suspicious with the rule's reason and opens an alert; scans in a
//! region the batch was received in do not. Through the real server, both databases.

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{
    TestApp, both_backends, issue_codes, register_maker, register_org, release, verdict, with_check,
};

fn causes(v: &Value) -> Vec<String> {
    v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect()
}

async fn alerts(t: &TestApp, key: &str) -> Vec<Value> {
    let r = t.get("/api/v1/alerts", Some(key)).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<Value>().await.unwrap()["alerts"]
        .as_array()
        .unwrap()
        .clone()
}

async fn step(t: &TestApp, key: &str, body: Value) {
    let r = t.post("/api/v1/steps", Some(key), body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
}

/// A public look-up from a region (no coordinates: only the region rule can fire).
async fn scan_in(t: &TestApp, uri: &str, region: &str) -> Value {
    verdict(t, &format!("{uri}?region={region}")).await
}

async fn a_code_scanned_where_its_batch_never_went_is_suspicious(b: store::Backend) {
    let t = testkit::spawn_app(b).await;
    let m = register_maker(&t, "6901234", "Maker").await;
    let codes = issue_codes(&t, &m, 3).await;
    release(&t, &m).await;
    let (d, dk) = register_org(
        &t,
        "Hubei Distributor",
        &["distributor"],
        &with_check("694123400000"),
        &[],
    )
    .await;
    let dsite = with_check("694123400001");
    let r = t
        .post(
            &format!("/api/v1/organizations/{d}/sites"),
            Some(&dk),
            json!({"gln": dsite, "name": "Wuhan warehouse", "city": "Wuhan", "region": "Hubei"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);

    // (No coordinates for the warehouse: minutes between the maker's shipment and this
    // receipt would otherwise be impossible travel, another rule.)
    // Before any receipt the batch's destinations are unknown: the rule stays off.
    let v = scan_in(&t, &codes[2], "Xinjiang").await;
    assert_eq!(v["verdict"], "genuine", "{v}");
    assert!(!causes(&v).contains(&"unshipped_region".to_string()));

    // The maker ships two items to the distributor, who receives them in Hubei.
    let items = json!([codes[0], codes[1]]);
    step(
        &t,
        &m.key,
        json!({"step": "shipping", "items": items, "site_gln": m.site_gln, "destination_gln": dsite}),
    )
    .await;
    step(
        &t,
        &dk,
        json!({"step": "receiving", "items": items, "site_gln": dsite}),
    )
    .await;

    // A buyer in Hubei (any letter case): genuine, no region reason, no alert.
    let v = scan_in(&t, &codes[0], "hubei").await;
    assert_eq!(v["verdict"], "genuine", "{v}");
    assert!(!causes(&v).contains(&"unshipped_region".to_string()), "{v}");
    assert!(alerts(&t, &m.key).await.is_empty());

    // The same batch in Xinjiang, where none of it was shipped: suspicious, explained
    // in both languages, and an alert for the brand owner. The rule covers the whole
    // batch, also the item that was never scanned by an organization itself.
    for code in [&codes[1], &codes[2]] {
        let v = scan_in(&t, code, "Xinjiang").await;
        assert_eq!(v["verdict"], "suspicious", "{v}");
        assert!(!v["safe_to_use"].as_bool().unwrap());
        let reason = v["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == "unshipped_region")
            .unwrap_or_else(|| panic!("no unshipped_region reason in {v}"))
            .clone();
        assert_eq!(
            reason["message"],
            "Scanned in Xinjiang, where its batch was never shipped."
        );
        assert_eq!(
            reason["message_zh"],
            "在 Xinjiang 被扫描，但该批次从未发往该地区。"
        );
    }
    let a = alerts(&t, &m.key).await;
    assert_eq!(a.len(), 2, "{a:?}");
    assert!(
        a.iter()
            .all(|a| a["cause"] == "unshipped_region" && a["level"] == "medium"),
        "{a:?}"
    );
    // A look-up without a region cannot say where it was: nothing fires.
    let v = verdict(&t, &codes[0]).await;
    assert_eq!(v["verdict"], "genuine", "{v}");
}

both_backends!(a_code_scanned_where_its_batch_never_went_is_suspicious,);
