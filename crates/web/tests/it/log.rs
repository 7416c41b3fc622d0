//! The tamper-evident log over HTTP (C2SP tlog-tiles, proofs, receipts,
//! witnesses), on SQLite and PostgreSQL.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode as AxStatus;
use axum::response::IntoResponse;
use reqwest::StatusCode;
use serde_json::Value;
use signed_note::{Cosigner, Note, Verifier};
use testkit::{TestApp, both_backends, spawn_app, spawn_app_with};
use tlog::{Checkpoint, Hash, Tile, TileReader};

async fn add_orgs(t: &TestApp, n: usize) {
    add_orgs_via(&t.app, n).await;
}

/// Registers `n` organizations through `app` (a node of its own, if need be).
async fn add_orgs_via(app: &app::App, n: usize) {
    for i in 0..n {
        app.create_org(
            None,
            &app::registry::OrgInput {
                name: format!("org {i}"),
                roles: vec![],
                gln: None,
                uscc: None,
                company_prefixes: vec![],
                city: None,
            },
        )
        .await
        .expect("org");
    }
}

async fn verifier(t: &TestApp) -> Verifier {
    let r = t.get("/log/key", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    Verifier::from_str(r.text().await.unwrap().trim()).expect("verifier key")
}

async fn checkpoint(t: &TestApp, v: &Verifier) -> Checkpoint {
    let r = t.get("/log/checkpoint", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(r.headers()["cache-control"], "public, max-age=5");
    let body = r.bytes().await.unwrap();
    let (cp, _, _) = Checkpoint::open(&body, "ppetrace.local/log", std::slice::from_ref(v))
        .expect("checkpoint verifies with /log/key");
    cp
}

struct HttpTiles(HashMap<String, Vec<u8>>);
impl TileReader for HttpTiles {
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, tlog::Error> {
        tiles
            .iter()
            .map(|t| self.0.get(&t.path()).cloned().ok_or(tlog::Error::BadReader))
            .collect()
    }
}

async fn problem(r: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    r.json().await.unwrap()
}

async fn tiles_and_bundles_verify_from_scratch(b: store::Backend) {
    let t = spawn_app(b).await;
    let v = verifier(&t).await;
    add_orgs(&t, 300).await;
    let before = checkpoint(&t, &v).await;
    assert_eq!(before.size, 2, "operator org and admin key");
    // Nothing beyond the tree is served until it is sequenced.
    let r = t.get("/log/tile/entries/000.p/3", None).await;
    problem(r, StatusCode::NOT_FOUND).await;
    t.app.sequence_log().await.expect("sequence");
    let cp = checkpoint(&t, &v).await;
    assert_eq!(cp.size, 302);

    let mut fetched = HashMap::new();
    for tile in tlog::tiles_for_size(cp.size).unwrap() {
        let r = t.get(&format!("/log/{}", tile.path()), None).await;
        assert_eq!(r.status(), StatusCode::OK, "{}", tile.path());
        assert_eq!(r.headers()["content-type"], "application/octet-stream");
        let cache = r.headers()["cache-control"].to_str().unwrap().to_string();
        if tile.is_full() {
            assert_eq!(cache, "public, max-age=31536000, immutable");
        } else {
            assert_eq!(cache, "public, max-age=60");
        }
        fetched.insert(tile.path(), r.bytes().await.unwrap().to_vec());
    }
    let tiles = HttpTiles(fetched);
    tlog::verify_tree_tiles(cp.size, cp.root, &tiles).expect("tiles recompute the signed root");

    // Entry bundles match the level-0 tiles and the stored entries.
    let mut n = 0u64;
    for bundle in tlog::new_bundles(0, cp.size).unwrap() {
        let r = t.get(&format!("/log/{}", bundle.path()), None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let data = r.bytes().await.unwrap();
        let tile_data = &tiles.read_tiles(&[bundle.tile()]).unwrap()[0];
        tlog::verify_entry_bundle(bundle, &data, tile_data).expect("bundle matches its tile");
        for e in tlog::parse_entry_bundle(&data).unwrap() {
            let r = t.get(&format!("/log/entry/{n}"), None).await;
            assert_eq!(r.bytes().await.unwrap().as_ref(), e);
            n += 1;
        }
    }
    assert_eq!(n, 302);
    let first = String::from_utf8(t.app.log_entry(2).await.unwrap()).unwrap();
    assert!(first.starts_with("ppetrace/v1 organization\n"), "{first}");

    // Beyond the tree, malformed paths.
    problem(
        t.get("/log/tile/0/001.p/47", None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(t.get("/log/tile/0/002", None).await, StatusCode::NOT_FOUND).await;
    problem(
        t.get("/log/tile/1/000.p/2", None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        t.get("/log/tile/0/x000/001", None).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        t.get("/log/tile/0/000.p/0", None).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        t.get("/log/tile/entries/abc", None).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    // An older partial width stays available (hashes never change).
    let r = t.get("/log/tile/0/001.p/40", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().len(), 40 * 32);
}

async fn proofs_receipts_and_bad_parameters(b: store::Backend) {
    let t = spawn_app(b).await;
    let v = verifier(&t).await;
    add_orgs(&t, 5).await;
    t.app.sequence_log().await.unwrap();
    let old = checkpoint(&t, &v).await;
    add_orgs(&t, 20).await;
    // The newest entry is acknowledged (index fixed) but pending.
    let size = t.app.store.log_size().await.unwrap();
    let entry = t.app.log_entry(size - 1).await.unwrap();
    let digest = hex(&domain::log_entry::sha256(&entry));
    let r = t.get(&format!("/log/receipt/{digest}"), None).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let rec: Value = r.json().await.unwrap();
    assert_eq!(rec["index"], size - 1);
    assert_eq!(rec["status"], "pending");

    t.app.sequence_log().await.unwrap();
    let new = checkpoint(&t, &v).await;
    assert_eq!(new.size, size);
    let r = t.get(&format!("/log/receipt/{digest}"), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let rec: Value = r.json().await.unwrap();
    assert_eq!(rec["status"], "sequenced");
    let inc = &rec["inclusion"];
    let note = inc["checkpoint"].as_str().unwrap();
    let (cp, _, _) = Checkpoint::open(
        note.as_bytes(),
        "ppetrace.local/log",
        std::slice::from_ref(&v),
    )
    .unwrap();
    let proof = hashes(&inc["proof"]);
    tlog::verify_inclusion(
        size - 1,
        cp.size,
        &tlog::leaf_hash(&entry),
        &proof,
        &cp.root,
    )
    .expect("receipt upgrades to a valid inclusion proof");

    // Inclusion against an older signed checkpoint.
    let r = t
        .get(&format!("/log/proof/3?size={}", old.size), None)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let p: Value = r.json().await.unwrap();
    let leaf = tlog::leaf_hash(&t.app.log_entry(3).await.unwrap());
    tlog::verify_inclusion(3, old.size, &leaf, &hashes(&p["proof"]), &old.root).unwrap();
    assert!(p["checkpoint"].as_str().is_some());

    // Consistency between the two checkpoints.
    let r = t
        .get(
            &format!("/log/consistency?old={}&new={}", old.size, new.size),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let c: Value = r.json().await.unwrap();
    tlog::verify_consistency(
        old.size,
        new.size,
        &old.root,
        &new.root,
        &hashes(&c["proof"]),
    )
    .expect("new checkpoint extends the old one");
    // A proof against a forged old root fails.
    assert!(
        tlog::verify_consistency(
            old.size,
            new.size,
            &Hash([7; 32]),
            &new.root,
            &hashes(&c["proof"])
        )
        .is_err()
    );

    for path in [
        "/log/proof/abc".to_string(),
        "/log/proof/-1".to_string(),
        format!("/log/proof/{}", new.size),
        format!("/log/proof/0?size={}", new.size + 1),
        "/log/proof/0?size=x".to_string(),
        "/log/proof/0?bogus=1".to_string(),
        "/log/consistency?old=1".to_string(),
        "/log/consistency?old=5&new=2".to_string(),
        format!("/log/consistency?old=1&new={}", new.size + 1),
        "/log/consistency?old=1&old=2&new=3".to_string(),
        "/log/consistency?old=99999999999999999999999&new=3".to_string(),
        "/log/receipt/xyz".to_string(),
        format!("/log/receipt/{}", "g".repeat(64)),
        "/log/entry/abc".to_string(),
    ] {
        let r = t.get(&path, None).await;
        let body = problem(r, StatusCode::BAD_REQUEST).await;
        assert!(body["detail"].as_str().is_some(), "{path}");
    }
    problem(
        t.get(&format!("/log/receipt/{}", "0".repeat(64)), None)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(t.get("/log/entry/99999", None).await, StatusCode::NOT_FOUND).await;
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| Hash::from_base64(h.as_str().unwrap()).unwrap())
        .collect()
}

/// An in-process C2SP tlog-witness: verifies the log signature and the
/// consistency proof from the size it last saw, then cosigns.
#[derive(Clone)]
struct FakeWitness {
    cosigner: Arc<Cosigner>,
    log_key: Arc<Mutex<Option<Verifier>>>,
    /// (size, root) last cosigned.
    state: Arc<Mutex<(u64, Hash)>>,
    requests: Arc<Mutex<Vec<u64>>>,
}

async fn add_checkpoint(State(w): State<FakeWitness>, body: String) -> axum::response::Response {
    let Some((head, note)) = body.split_once("\n\n") else {
        return (AxStatus::BAD_REQUEST, "no blank line").into_response();
    };
    let mut lines = head.lines();
    let Some(old) = lines
        .next()
        .and_then(|l| l.strip_prefix("old "))
        .and_then(|s| s.parse::<u64>().ok())
    else {
        return (AxStatus::BAD_REQUEST, "bad old line").into_response();
    };
    let proof: Option<Vec<Hash>> = lines.map(|l| Hash::from_base64(l).ok()).collect();
    let Some(proof) = proof else {
        return (AxStatus::BAD_REQUEST, "bad proof").into_response();
    };
    let Some(key) = w.log_key.lock().unwrap().clone() else {
        return (AxStatus::NOT_FOUND, "unknown log").into_response();
    };
    let Ok((cp, _, _)) = Checkpoint::open(note.as_bytes(), "ppetrace.local/log", &[key]) else {
        return (AxStatus::FORBIDDEN, "bad signature").into_response();
    };
    w.requests.lock().unwrap().push(old);
    let (size, root) = *w.state.lock().unwrap();
    if old != size {
        return (
            AxStatus::CONFLICT,
            [("content-type", "text/x.tlog.size")],
            format!("{size}\n"),
        )
            .into_response();
    }
    if old > 0 && tlog::verify_consistency(old, cp.size, &root, &cp.root, &proof).is_err() {
        return (AxStatus::UNPROCESSABLE_ENTITY, "bad proof").into_response();
    }
    *w.state.lock().unwrap() = (cp.size, cp.root);
    let Ok(n) = Note::parse(note.as_bytes()) else {
        return (AxStatus::BAD_REQUEST, "bad note").into_response();
    };
    let Ok(sig) = w.cosigner.cosign_text(n.text(), 1_700_000_000) else {
        return (AxStatus::INTERNAL_SERVER_ERROR, "cosign").into_response();
    };
    sig.to_line().into_response()
}

async fn witnesses_cosign_checkpoints(b: store::Backend) {
    let cosigner = Arc::new(Cosigner::from_seed("witness.example/w1", &[9; 32]).unwrap());
    let witness = FakeWitness {
        cosigner: cosigner.clone(),
        log_key: Arc::new(Mutex::new(None)),
        // It already saw a tree of 1 leaf elsewhere: the log must retry after 409.
        state: Arc::new(Mutex::new((0, Hash([0; 32])))),
        requests: Arc::new(Mutex::new(Vec::new())),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let waddr = listener.local_addr().unwrap();
    let router = axum::Router::new()
        .route("/add-checkpoint", axum::routing::post(add_checkpoint))
        .with_state(witness.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let wkey = cosigner.verifier().to_key_string();
    let settings = app::log::LogSettings {
        witnesses: vec![app::log::WitnessConfig {
            url: format!("http://{waddr}"),
            key: wkey.clone(),
        }],
        interval: std::time::Duration::from_secs(3600),
        batch: u64::MAX,
        signing_key: Some(app::log::generate_signing_key("ppetrace.local/log").unwrap()),
        ..Default::default()
    };
    let key = Verifier::from_str(
        &signed_note::Signer::from_str(settings.signing_key.as_deref().unwrap())
            .unwrap()
            .verifier()
            .to_key_string(),
    )
    .unwrap();
    *witness.log_key.lock().unwrap() = Some(key.clone());
    let t = spawn_app_with(b, move |a| {
        app::App::new(
            a.store.clone(),
            app::AppConfig {
                log: settings,
                ..(*a.config).clone()
            },
        )
    })
    .await;
    let wv = Verifier::from_str(&wkey).unwrap();
    let served = |t: &TestApp| {
        let url = t.url("/log/checkpoint");
        let c = t.client.clone();
        async move { c.get(url).send().await.unwrap().bytes().await.unwrap() }
    };
    let note = served(&t).await;
    let (cp1, _, sigs) =
        Checkpoint::open(&note, "ppetrace.local/log", &[key.clone(), wv.clone()]).unwrap();
    assert_eq!(sigs.len(), 2, "log signature and witness cosignature");
    assert_eq!(cp1.size, 2);

    // The witness forgets nothing: next time the log sends a proof from 2.
    add_orgs(&t, 7).await;
    t.app.sequence_log().await.unwrap();
    let note = served(&t).await;
    let (cp2, _, sigs) =
        Checkpoint::open(&note, "ppetrace.local/log", &[key.clone(), wv.clone()]).unwrap();
    assert_eq!(cp2.size, 9);
    assert_eq!(sigs.len(), 2);
    assert_eq!(*witness.requests.lock().unwrap(), vec![0, 2]);

    // A witness that knows a size the log did not send answers 409; the log
    // retries from that size.
    witness.state.lock().unwrap().0 = 5;
    {
        let (s, _) = *witness.state.lock().unwrap();
        let root = t.app.log_consistency(s, s).await.unwrap().old_root;
        witness.state.lock().unwrap().1 = Hash::from_base64(&root).unwrap();
    }
    add_orgs(&t, 3).await;
    t.app.sequence_log().await.unwrap();
    let note = served(&t).await;
    let (cp3, _, sigs) = Checkpoint::open(&note, "ppetrace.local/log", &[key.clone(), wv]).unwrap();
    assert_eq!(cp3.size, 12);
    assert_eq!(sigs.len(), 2);
    assert_eq!(*witness.requests.lock().unwrap(), vec![0, 2, 9, 5]);
}

/// The `ppetrace-log-index` header of a response, if any.
fn log_index(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get(web::LOG_INDEX_HEADER)
        .map(|v| v.to_str().unwrap().to_string())
}

async fn entry_text(t: &TestApp, index: u64) -> String {
    let r = t.get(&format!("/log/entry/{index}"), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

async fn write_responses_carry_their_log_index(b: store::Backend) {
    let t = spawn_app(b).await;
    let v = verifier(&t).await;
    let before = t.app.store.log_size().await.unwrap();

    // A write through the API names the index of its entry, and that entry is
    // the record just written.
    let r = t
        .post(
            "/api/v1/organizations",
            Some(&t.admin_key),
            serde_json::json!({"name": "Receipt Safety", "roles": ["manufacturer"], "company_prefixes": ["6954321"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let index: u64 = log_index(&r).expect("header on a write").parse().unwrap();
    assert_eq!(index, before, "the next leaf of the log");
    let org: Value = r.json().await.unwrap();
    let text = entry_text(&t, index).await;
    assert!(text.starts_with("ppetrace/v1 organization\n"), "{text}");
    assert!(text.contains(&format!("id org={}\n", org["id"])), "{text}");

    // Two writes, two consecutive indexes.
    let org_id = org["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/organizations/{org_id}/keys"),
            Some(&t.admin_key),
            serde_json::json!({"label": "main"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(log_index(&r), Some((index + 1).to_string()));
    assert!(
        entry_text(&t, index + 1)
            .await
            .starts_with("ppetrace/v1 api_key\n")
    );

    // Reads and refused writes carry none, and append nothing.
    let r = t.get("/api/v1/organizations", Some(&t.admin_key)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(log_index(&r), None);
    let r = t
        .post(
            "/api/v1/organizations",
            Some(&t.admin_key),
            serde_json::json!({"name": ""}),
        )
        .await;
    assert!(r.status().is_client_error());
    assert_eq!(log_index(&r), None);
    assert_eq!(t.app.store.log_size().await.unwrap(), index + 2);

    // Once sequenced, the index upgrades to an inclusion proof against a signed
    // checkpoint.
    t.app.sequence_log().await.unwrap();
    let cp = checkpoint(&t, &v).await;
    let r = t.get(&format!("/log/proof/{index}"), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let p: Value = r.json().await.unwrap();
    let leaf = tlog::leaf_hash(&t.app.log_entry(index).await.unwrap());
    tlog::verify_inclusion(index, cp.size, &leaf, &hashes(&p["proof"]), &cp.root)
        .expect("the receipt's index is included in the signed tree");
}

/// Raw SQL behind the app's back (what an operator with database access could do).
async fn sql(t: &TestApp, statements: &str) {
    match &t.guard {
        testkit::DbGuard::Sqlite(dir) => {
            let c = rusqlite::Connection::open(dir.path().join("ppetrace.db")).unwrap();
            c.execute_batch(statements).unwrap();
        }
        testkit::DbGuard::Postgres { admin_url, name } => {
            let (c, conn) = tokio_postgres::connect(
                &testkit::with_database(admin_url, name),
                tokio_postgres::NoTls,
            )
            .await
            .unwrap();
            tokio::spawn(conn);
            c.batch_execute(statements).await.unwrap();
        }
    }
}

async fn spawn_with_refresh(b: store::Backend, refresh: std::time::Duration) -> TestApp {
    spawn_app_with(b, |app| {
        let settings = app::log::LogSettings {
            checkpoint_refresh: refresh,
            ..app.config.log.clone()
        };
        app.with_log_settings(settings)
    })
    .await
}

/// A proof without `size` is made against the checkpoint the node remembers (at
/// most `checkpoint_refresh` old, as for tiles); a leaf beyond it, sequenced by
/// another node over the same database, is proven at once against the newer
/// checkpoint, which the node then remembers.
async fn proofs_follow_a_tree_another_node_signed(b: store::Backend) {
    let key = app::log::generate_signing_key("ppetrace.local/log").unwrap();
    let settings = |base: &app::log::LogSettings| app::log::LogSettings {
        signing_key: Some(key.clone()),
        checkpoint_refresh: std::time::Duration::from_secs(3600),
        ..base.clone()
    };
    let t = spawn_app_with(b, |a| {
        let s = settings(&a.config.log);
        a.with_log_settings(s)
    })
    .await;
    let v = verifier(&t).await;
    let proof = |path: String| {
        let t = &t;
        let v = &v;
        async move {
            let r = t.get(&path, None).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            let p: Value = r.json().await.unwrap();
            let note = p["checkpoint"].as_str().unwrap();
            let (cp, _, _) = Checkpoint::open(
                note.as_bytes(),
                "ppetrace.local/log",
                std::slice::from_ref(v),
            )
            .unwrap();
            let index = p["index"].as_u64().unwrap();
            let leaf = tlog::leaf_hash(&t.app.log_entry(index).await.unwrap());
            tlog::verify_inclusion(index, cp.size, &leaf, &hashes(&p["proof"]), &cp.root)
                .expect("a valid proof against the checkpoint it carries");
            assert_eq!(p["size"].as_u64(), Some(cp.size));
            cp.size
        }
    };
    add_orgs(&t, 5).await;
    t.app.sequence_log().await.unwrap();
    let first = checkpoint(&t, &v).await.size;
    assert_eq!(proof("/log/proof/1".into()).await, first);

    let other = app::App::new(t.app.store.clone(), (*t.app.config).clone());
    let other = {
        let s = settings(&other.config.log);
        other.with_log_settings(s)
    };
    add_orgs_via(&other, 5).await;
    other.sequence_log().await.unwrap();
    let second = checkpoint(&t, &v).await.size;
    assert!(second > first);
    // Within the refresh interval an old leaf is proven against the remembered tree.
    assert_eq!(proof("/log/proof/1".into()).await, first);
    // A leaf beyond it: the node reads the newer checkpoint, and keeps it.
    assert_eq!(proof(format!("/log/proof/{first}")).await, second);
    assert_eq!(proof("/log/proof/1".into()).await, second);
}

async fn tile_bytes(t: &TestApp, path: &str) -> (StatusCode, Vec<u8>) {
    let r = t.get(path, None).await;
    (r.status(), r.bytes().await.unwrap().to_vec())
}

/// Stored hash 0 (leaf 0) and the latest checkpoint's root replaced with raw
/// SQL: a tree rewritten behind the platform's back, as a second node or an
/// operator could leave it.
fn hex_literal(t: &TestApp, bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    match t.guard {
        testkit::DbGuard::Sqlite(_) => format!("X'{hex}'"),
        testkit::DbGuard::Postgres { .. } => format!("decode('{hex}', 'hex')"),
    }
}

async fn rewrite_first_leaf(t: &TestApp) -> Vec<u8> {
    let forged = vec![0xAB_u8; 32];
    let stmt = format!(
        "UPDATE log_hashes SET hash = {ab} WHERE idx = 0;
         UPDATE log_checkpoints SET root = {cd}
           WHERE size = (SELECT max(size) FROM log_checkpoints);",
        ab = hex_literal(t, &forged),
        cd = hex_literal(t, &[0xCD; 32]),
    );
    sql(t, &stmt).await;
    forged
}

/// With `checkpoint_refresh` 0 every tile request reads the latest checkpoint:
/// a full tile cached under the old tree is not served once the database
/// holds another one, on the very next request.
async fn tiles_show_a_rewritten_tree_at_once_without_refresh_interval(b: store::Backend) {
    let t = spawn_with_refresh(b, std::time::Duration::ZERO).await;
    add_orgs(&t, 300).await;
    t.app.sequence_log().await.unwrap();
    let (s, honest) = tile_bytes(&t, "/log/tile/0/000").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(honest.len(), 256 * 32);
    // Served again from the cache: the same bytes.
    assert_eq!(tile_bytes(&t, "/log/tile/0/000").await.1, honest);
    let forged = rewrite_first_leaf(&t).await;
    let (s, now) = tile_bytes(&t, "/log/tile/0/000").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        &now[..32],
        &forged[..],
        "the rewrite shows on the next request"
    );
    assert_eq!(&now[32..], &honest[32..]);
}

/// With the default kind of setting (a checkpoint kept in memory and re-read
/// at most every `checkpoint_refresh`), a tree rewritten in the database
/// still shows in the served tiles once the interval has passed; tiles beyond
/// the remembered tree, and partial tiles, follow the database.
async fn tiles_show_a_rewritten_tree_after_the_refresh_interval(b: store::Backend) {
    let refresh = std::time::Duration::from_millis(200);
    let t = spawn_with_refresh(b, refresh).await;
    add_orgs(&t, 300).await;
    t.app.sequence_log().await.unwrap();
    let (s, honest) = tile_bytes(&t, "/log/tile/0/000").await;
    assert_eq!(s, StatusCode::OK);
    let size = t.app.log_checkpoint().await.unwrap().size;
    let partial = format!("/log/tile/0/001.p/{}", size - 256);
    let (s, part) = tile_bytes(&t, &partial).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(part.len() as u64, (size - 256) * 32);
    // Beyond the tree: 404.
    assert_eq!(
        t.get("/log/tile/0/002", None).await.status(),
        StatusCode::NOT_FOUND
    );

    let forged = rewrite_first_leaf(&t).await;
    // Within (a generous multiple of) the interval, the rewrite is served.
    let deadline = std::time::Instant::now() + refresh * 100;
    let now = loop {
        let (s, now) = tile_bytes(&t, "/log/tile/0/000").await;
        assert_eq!(s, StatusCode::OK);
        if now != honest || std::time::Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(refresh / 4).await;
    };
    assert_eq!(&now[..32], &forged[..], "the rewritten leaf hash is served");
    assert_eq!(&now[32..], &honest[32..]);

    // This node's sequencer signs a larger tree: the tile that was beyond the
    // tree is served at once, and so is the grown partial tile.
    add_orgs(&t, 300).await;
    sql(&t, "DELETE FROM log_hashes; DELETE FROM log_checkpoints").await;
    t.app.sequence_log().await.unwrap();
    let size = t.app.log_checkpoint().await.unwrap().size;
    let w = size - 512;
    assert!(w > 0 && w < 256, "{size}");
    assert_eq!(tile_bytes(&t, "/log/tile/0/001").await.0, StatusCode::OK);
    let (s, grown) = tile_bytes(&t, &format!("/log/tile/0/002.p/{w}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(grown.len() as u64, w * 32);
    // The rebuilt tree's first tile is honest again (read under the new tree).
    assert_eq!(tile_bytes(&t, "/log/tile/0/000").await.1, honest);
    // An entry bundle is read from the database every time.
    let (s, bundle) = tile_bytes(&t, &format!("/log/tile/entries/002.p/{w}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!bundle.is_empty());
}

both_backends!(
    proofs_follow_a_tree_another_node_signed,
    tiles_show_a_rewritten_tree_at_once_without_refresh_interval,
    tiles_show_a_rewritten_tree_after_the_refresh_interval,
    tiles_and_bundles_verify_from_scratch,
    proofs_receipts_and_bad_parameters,
    write_responses_carry_their_log_index,
    witnesses_cosign_checkpoints,
);
