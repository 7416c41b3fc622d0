//! Storage of console users and sessions, on SQLite and PostgreSQL.

use chrono::{Duration, TimeZone, Utc};
use domain::log_entry::LogEntry;
use domain::org::Role;
use serde_json::json;
use store::users::{NewUser, Session};
use store::*;
use testkit::{both_backends, fresh_store};

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0)
        .single()
        .expect("valid time")
}

fn entry(kind: &str) -> LogEntry {
    LogEntry::for_record(kind, t0(), "test", vec![], &json!({"k": kind}))
}

async fn org(s: &dyn Store, name: &str) -> Org {
    s.create_org(
        &NewOrg {
            name: name.into(),
            roles: vec![Role::Manufacturer],
            gln: None,
            uscc: None,
            company_prefixes: vec![],
            city: None,
            created_at: t0(),
        },
        Box::new(|_| entry("org")),
    )
    .await
    .expect("org")
}

fn key(org_id: i64, lookup: &str) -> NewApiKey {
    NewApiKey {
        org_id,
        lookup: lookup.into(),
        secret_sha256: "00".repeat(32),
        admin: false,
        label: "console".into(),
        created_at: t0(),
    }
}

fn user(org_id: i64, name: &str) -> NewUser {
    NewUser {
        org_id,
        username: name.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$x$y".into(),
        roles: vec!["manufacturer".into(), "admin".into()],
        created_at: t0(),
    }
}

async fn users_are_created_with_their_key_and_logged(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let o = org(&*s, "Maker").await;
    let before = s.log_size().await.unwrap();
    let u = s
        .create_user(
            &key(o.id, "00112233aabbccdd"),
            &user(o.id, "maker"),
            Box::new(|_, _| vec![entry("api_key"), entry("console_user")]),
        )
        .await
        .expect("user");
    assert_eq!(u.username, "maker");
    assert_eq!(u.roles, vec!["manufacturer", "admin"]);
    assert_eq!(s.log_size().await.unwrap(), before + 2);
    // The key exists and belongs to the organization.
    assert_eq!(s.api_key_org(u.key_id).await.unwrap(), Some(o.id));
    assert_eq!(s.find_user("maker").await.unwrap().unwrap(), u);
    assert_eq!(s.get_user(u.id).await.unwrap().unwrap(), u);
    assert!(s.find_user("nobody").await.unwrap().is_none());

    // A taken username is a conflict naming it, and nothing of the attempt remains
    // (neither the second key nor log entries).
    let size = s.log_size().await.unwrap();
    let err = s
        .create_user(
            &key(o.id, "1111222233334444"),
            &user(o.id, "maker"),
            Box::new(|_, _| vec![entry("api_key"), entry("console_user")]),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("username")),
        "{err:?}"
    );
    assert_eq!(s.log_size().await.unwrap(), size);
    assert!(s.find_api_key("1111222233334444").await.unwrap().is_none());

    let other = org(&*s, "Other").await;
    s.create_user(
        &key(other.id, "5555666677778888"),
        &user(other.id, "other"),
        Box::new(|_, _| vec![]),
    )
    .await
    .expect("user");
    let names: Vec<String> = s
        .list_users(o.id)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, vec!["maker"]);
}

async fn sessions_are_found_deleted_and_purged(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let o = org(&*s, "Maker").await;
    let u = s
        .create_user(
            &key(o.id, "00112233aabbccdd"),
            &user(o.id, "maker"),
            Box::new(|_, _| vec![]),
        )
        .await
        .unwrap();
    let live = Session {
        token_sha256: "aa".repeat(32),
        user_id: u.id,
        csrf_secret: "cc".repeat(32),
        created_at: t0(),
        expires_at: t0() + Duration::hours(8),
    };
    let old = Session {
        token_sha256: "bb".repeat(32),
        expires_at: t0() - Duration::minutes(1),
        ..live.clone()
    };
    let size = s.log_size().await.unwrap();
    s.create_session(&live, &entry("console_login"))
        .await
        .unwrap();
    s.create_session(&old, &entry("console_login"))
        .await
        .unwrap();
    assert_eq!(s.log_size().await.unwrap(), size + 2);
    let (found, fu) = s.find_session(&live.token_sha256).await.unwrap().unwrap();
    assert_eq!(found, live);
    assert_eq!(fu, u);
    assert!(s.find_session(&"dd".repeat(32)).await.unwrap().is_none());

    // Expired sessions go; live ones stay.
    assert_eq!(s.purge_sessions(t0()).await.unwrap(), 1);
    assert!(s.find_session(&old.token_sha256).await.unwrap().is_none());

    // Logout deletes and logs; a second logout deletes nothing and logs nothing.
    let size = s.log_size().await.unwrap();
    assert!(
        s.delete_session(&live.token_sha256, Some(&entry("console_logout")))
            .await
            .unwrap()
    );
    assert_eq!(s.log_size().await.unwrap(), size + 1);
    assert!(
        !s.delete_session(&live.token_sha256, Some(&entry("console_logout")))
            .await
            .unwrap()
    );
    assert_eq!(s.log_size().await.unwrap(), size + 1);
    assert!(s.find_session(&live.token_sha256).await.unwrap().is_none());

    // A session must name an existing user.
    let orphan = Session {
        token_sha256: "ee".repeat(32),
        user_id: u.id + 99,
        ..live.clone()
    };
    assert!(matches!(
        s.create_session(&orphan, &entry("console_login")).await,
        Err(StoreError::Conflict(_))
    ));
}

both_backends!(
    users_are_created_with_their_key_and_logged,
    sessions_are_found_deleted_and_purged
);
