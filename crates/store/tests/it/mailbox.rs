//! MailboxStore on SQLite and PostgreSQL: cases with messages and attachments in one
//! transaction with their log entry, lookups, optimistic state updates, feedback
//! marking, retention purging.

use chrono::{NaiveDate, TimeZone, Utc};
use domain::log_entry::LogEntry;
use serde_json::json;
use store::mailbox::{NewMailboxCase, NewMailboxHandler, NewMailboxMessage};
use store::*;
use testkit::{both_backends, fresh_store};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn entry(kind: &str) -> LogEntry {
    let t = Utc
        .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .single()
        .expect("t");
    LogEntry::for_record(kind, t, "test", vec![], &json!({"k": kind}))
}

fn message(kind: &str, ct: &[u8], atts: usize) -> NewMailboxMessage {
    NewMailboxMessage {
        author: "reporter".into(),
        kind: kind.into(),
        for_reporter: true,
        created_on: day("2026-03-01"),
        ciphertext: ct.to_vec(),
        attachments: (0..atts).map(|i| vec![i as u8; 10]).collect(),
    }
}

fn new_case(lookup: &str) -> NewMailboxCase {
    NewMailboxCase {
        lookup: lookup.into(),
        secret_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        reply_recipient: "age1reporter".into(),
        channel: "default".into(),
        category: "counterfeit_ppe".into(),
        state: "received".into(),
        received_on: day("2026-03-01"),
        recipients: vec!["age1a".into(), "age1b".into()],
    }
}

async fn mailbox_cases_round_trip(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let org = s
        .create_org(
            &NewOrg {
                name: "Bureau".into(),
                roles: vec![domain::org::Role::Regulator],
                gln: None,
                uscc: None,
                company_prefixes: vec![],
                city: None,
                created_at: Utc::now(),
            },
            Box::new(|_| entry("org")),
        )
        .await
        .expect("org");
    let key = s
        .create_api_key(
            &NewApiKey {
                org_id: org.id,
                lookup: "0011223344556677".into(),
                secret_sha256: "x".into(),
                admin: false,
                label: "h".into(),
                created_at: Utc::now(),
            },
            Box::new(|_| entry("key")),
        )
        .await
        .expect("key");
    let h = NewMailboxHandler {
        key_id: key.id,
        org_id: org.id,
        channel: "default".into(),
        recipient: "age1handler".into(),
        created_at: Utc::now(),
    };
    s.register_handler(&h, Box::new(|_| entry("handler")))
        .await
        .expect("handler");
    assert!(matches!(
        s.register_handler(&h, Box::new(|_| entry("handler"))).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.handlers_in_channel("default").await.expect("list").len(),
        1
    );
    assert!(
        s.handlers_in_channel("other")
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        s.handler_for_key(key.id)
            .await
            .expect("get")
            .expect("some")
            .recipient,
        "age1handler"
    );

    let log0 = s.log_size().await.expect("size");
    let c = s
        .create_case(
            &new_case("12345678"),
            &message("report", b"CT1", 2),
            Box::new(|_| entry("mailbox_case")),
        )
        .await
        .expect("case");
    assert_eq!(s.log_size().await.expect("size"), log0 + 1);
    assert_eq!(c.recipients, vec!["age1a".to_string(), "age1b".to_string()]);
    assert_eq!(c.received_on, day("2026-03-01"));
    // Lookups are unique.
    assert!(matches!(
        s.create_case(
            &new_case("12345678"),
            &message("report", b"X", 0),
            Box::new(|_| entry("mailbox_case"))
        )
        .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.log_size().await.expect("size"),
        log0 + 1,
        "nothing written on conflict"
    );
    assert_eq!(
        s.case_by_lookup("12345678")
            .await
            .expect("get")
            .expect("some")
            .id,
        c.id
    );
    assert!(s.case_by_lookup("87654321").await.expect("get").is_none());

    s.add_message(
        c.id,
        &message("info", b"CT2", 1),
        Some(day("2026-03-05")),
        &entry("mailbox_message"),
    )
    .await
    .expect("msg");
    s.add_message(
        c.id,
        &message("reply", b"CT3", 0),
        Some(day("2026-03-09")),
        &entry("mailbox_message"),
    )
    .await
    .expect("msg");
    let msgs = s.case_messages(c.id).await.expect("msgs");
    assert_eq!(
        msgs.iter()
            .map(|m| m.ciphertext.clone())
            .collect::<Vec<_>>(),
        vec![b"CT1".to_vec(), b"CT2".to_vec(), b"CT3".to_vec()]
    );
    assert_eq!(s.case_attachments(c.id).await.expect("atts").len(), 3);
    let c = s.get_case(c.id).await.expect("get").expect("some");
    assert_eq!(
        c.feedback_on,
        Some(day("2026-03-05")),
        "the first feedback day stays"
    );

    // Optimistic state updates.
    let mut next = c.clone();
    next.state = "acknowledged".into();
    next.acknowledged_on = Some(day("2026-03-02"));
    s.update_case("received", &next, &entry("mailbox_case_state"))
        .await
        .expect("update");
    assert!(matches!(
        s.update_case("received", &next, &entry("mailbox_case_state"))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let got = s.get_case(c.id).await.expect("get").expect("some");
    assert_eq!(got.state, "acknowledged");
    assert_eq!(got.acknowledged_on, Some(day("2026-03-02")));
    assert_eq!(s.list_cases(Some("default")).await.expect("list").len(), 1);
    assert_eq!(s.list_cases(None).await.expect("list").len(), 1);
    assert!(s.list_cases(Some("other")).await.expect("list").is_empty());

    // Purging removes contents and the receipt; the case row stays.
    let before = s.log_size().await.expect("size");
    assert_eq!(
        s.purge_cases(&[c.id], day("2027-01-01"), &entry("mailbox_purge"))
            .await
            .expect("purge"),
        1
    );
    assert_eq!(s.log_size().await.expect("size"), before + 1);
    assert!(s.case_messages(c.id).await.expect("msgs").is_empty());
    assert!(s.case_attachments(c.id).await.expect("atts").is_empty());
    let purged = s.get_case(c.id).await.expect("get").expect("some");
    assert_eq!(purged.purged_on, Some(day("2027-01-01")));
    assert!(
        purged.lookup.is_none() && purged.secret_hash.is_none() && purged.reply_recipient.is_none()
    );
    assert!(purged.recipients.is_empty());
    assert!(s.case_by_lookup("12345678").await.expect("get").is_none());
    assert!(matches!(
        s.add_message(
            c.id,
            &message("info", b"late", 0),
            None,
            &entry("mailbox_message")
        )
        .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.update_case("acknowledged", &next, &entry("mailbox_case_state"))
            .await,
        Err(StoreError::Conflict(_))
    ));
}

both_backends!(mailbox_cases_round_trip);
