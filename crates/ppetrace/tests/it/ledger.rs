//! `ppetrace ledger due` over a ledger built with a fixed clock.

use std::process::Command;
use std::sync::Arc;

use app::registry::{BatchInput, OrgInput, ProductInput, SiteInput};
use app::{App, AppConfig, FixedClock};
use chrono::{DateTime, NaiveDate, Utc};
use domain::authz::Actor;
use testkit::with_check;

fn employer_site() -> String {
    with_check("690555500001")
}

fn helmet() -> String {
    with_check("0690123400001")
}

fn harness() -> String {
    with_check("0690123400002")
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn org(app: &App, name: &str, role: &str, gln: &str, prefix: &[&str]) -> Actor {
    let o = app
        .create_org(
            Some(&Actor::operator()),
            &OrgInput {
                name: name.into(),
                roles: vec![role.into()],
                gln: Some(gln.into()),
                uscc: None,
                company_prefixes: prefix.iter().map(|p| p.to_string()).collect(),
                city: None,
            },
        )
        .await
        .unwrap();
    let k = app.create_api_key(None, o.id, false, "k").await.unwrap();
    app.authenticate(&k.secret).await.unwrap()
}

async fn site(app: &App, a: &Actor, gln: &str) {
    app.create_site(
        a,
        a.org_id,
        &SiteInput {
            gln: gln.into(),
            name: "site".into(),
            city: None,
            region: None,
            latitude: None,
            longitude: None,
        },
    )
    .await
    .unwrap();
}

/// A released batch of `n` items; returns their Digital Link URIs.
async fn batch(app: &App, m: &Actor, gtin: &str, lot: &str, produced: &str, n: u64) -> Vec<String> {
    let b = app
        .create_batch(
            m,
            &BatchInput {
                gtin: gtin.into(),
                lot: lot.into(),
                production_date: Some(d(produced)),
                expiry_date: None,
            },
        )
        .await
        .unwrap();
    app.issue_codes(m, b.id, n, &|_| {}).await.unwrap();
    app.release_batch(m, b.id, &with_check("690123400001"))
        .await
        .unwrap();
    let mut out = Vec::new();
    app.export_codes(m, b.id, |line| {
        out.push(line.to_string());
        Ok(())
    })
    .await
    .unwrap();
    out.into_iter().filter(|l| l.contains("/21/")).collect()
}

async fn build(dir: &std::path::Path) {
    let url = format!("sqlite://{}", dir.join("ppetrace.db").display());
    let store = store::open(&url).await.unwrap();
    let now: DateTime<Utc> = "2026-01-10T08:00:00Z".parse().unwrap();
    let app = App::new(store, AppConfig::default()).with_clock(Arc::new(FixedClock(now)));
    let m = org(
        &app,
        "Acme",
        "manufacturer",
        &with_check("690123400000"),
        &["6901234"],
    )
    .await;
    site(&app, &m, &with_check("690123400001")).await;
    let e = org(
        &app,
        "Steelworks",
        "employer",
        &with_check("690555500000"),
        &[],
    )
    .await;
    site(&app, &e, &employer_site()).await;
    for (gtin, name, cat, months) in [
        (helmet(), "Helmet", "head", 12),
        (harness(), "Harness", "fall_protection", 120),
    ] {
        app.create_product(
            &m,
            &ProductInput {
                gtin,
                name: name.into(),
                category: cat.into(),
                standard: "GB 2811-2019".into(),
                protection_class: None,
                service_life_months: Some(months),
                service_life_from: None,
                org_id: None,
            },
        )
        .await
        .unwrap();
    }
    // Helmets of lot A are due for replacement on 2026-02-01, lot B on 2026-06-01;
    // the harness's first periodic inspection is 12 months after acceptance.
    let a = batch(&app, &m, &helmet(), "A", "2025-02-01", 3).await;
    let b = batch(&app, &m, &helmet(), "B", "2025-06-01", 1).await;
    let h = batch(&app, &m, &harness(), "H", "2026-01-01", 1).await;
    let all: Vec<String> = a.iter().chain(&b).chain(&h).cloned().collect();
    let r = app
        .ledger_receive(
            &e,
            &app::ledger::ReceiptInput {
                site_gln: employer_site(),
                items: all,
            },
        )
        .await
        .unwrap();
    assert_eq!(r.received.len(), 5);
    let id = |uri: &str| {
        let serial = uri.rsplit('/').next().unwrap();
        r.received.iter().find(|i| i.serial == serial).unwrap().id
    };
    // a[0]: in stock (due); a[1]: scrapped (never due); a[2]: received, not accepted.
    for u in [&a[0], &a[1], &b[0], &h[0]] {
        app.ledger_accept(&e, id(u), None).await.unwrap();
    }
    app.ledger_scrap(&e, id(&a[1]), "cracked shell")
        .await
        .unwrap();
}

fn due(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ppetrace"))
        .env_remove("PPETRACE_DATABASE_URL")
        .env_remove("PPETRACE_CONFIG")
        .env_remove("PPETRACE_API_KEY")
        .arg("--data-dir")
        .arg(dir)
        .args(["ledger", "due", "--site", &employer_site()])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn item_lines(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| !l.starts_with('#'))
        .map(String::from)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_due_lists_exactly_the_items_due_in_the_window() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path()).await;
    let p = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        // 30 days from 2026-01-10: only the lot-A helmet in stock (2026-02-01).
        let (ok, out, err) = due(&p, &["--days", "30", "--as-of", "2026-01-10"]);
        assert!(ok, "{err}");
        let lines = item_lines(&out);
        assert_eq!(lines.len(), 1, "{out}");
        assert!(
            lines[0].contains("/10/A/") || lines[0].contains("Helmet"),
            "{out}"
        );
        assert!(lines[0].contains("replacement 2026-02-01 (+22 d)"), "{out}");
        // 21 days: nothing yet.
        let (ok, out, _) = due(&p, &["--days", "21", "--as-of", "2026-01-10"]);
        assert!(ok);
        assert!(item_lines(&out).is_empty(), "{out}");
        // A year and a bit: lot B's replacement and the harness inspection too.
        let (ok, out, _) = due(&p, &["--days", "400", "--as-of", "2026-01-10"]);
        assert!(ok);
        let lines = item_lines(&out);
        assert_eq!(lines.len(), 3, "{out}");
        assert!(lines[0].contains("replacement 2026-02-01"), "{out}");
        assert!(lines[1].contains("replacement 2026-06-01"), "{out}");
        assert!(lines[2].contains("inspection 2027-01-10"), "{out}");
        // Overdue items stay on the list.
        let (ok, out, _) = due(&p, &["--days", "0", "--as-of", "2026-03-01"]);
        assert!(ok);
        let lines = item_lines(&out);
        assert_eq!(lines.len(), 1, "{out}");
        assert!(lines[0].contains("(-28 d)"), "{out}");
        // Bad input: a message and a non-zero exit.
        let (ok, _, err) = due(&p, &["--days", "-1"]);
        assert!(!ok);
        assert!(err.starts_with("error: "), "{err}");
    })
    .await
    .unwrap();
}
