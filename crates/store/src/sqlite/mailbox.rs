//! MailboxStore for SqliteStore.

use super::*;
use crate::mailbox::{
    MailboxAttachment, MailboxCase, MailboxHandler, MailboxMessage, NewMailboxCase,
    NewMailboxHandler, NewMailboxMessage,
};

const HANDLER_COLS: &str = "id, key_id, org_id, channel, recipient, created_at";
fn handler_row(r: &Row<'_>) -> rusqlite::Result<MailboxHandler> {
    Ok(MailboxHandler {
        id: r.get(0)?,
        key_id: r.get(1)?,
        org_id: r.get(2)?,
        channel: r.get(3)?,
        recipient: r.get(4)?,
        created_at: parse_ts(r.get(5)?)?,
    })
}

const CASE_COLS: &str = "id, lookup, secret_hash, reply_recipient, channel, category, state, outcome, received_on, acknowledged_on, feedback_on, decided_on, closed_on, assignee_key_id, recipients, summary, published_on, published_org_id, published_gtin, purged_on";
fn case_row(r: &Row<'_>) -> rusqlite::Result<MailboxCase> {
    let received = parse_date(r.get(8)?)?.ok_or_else(|| {
        rusqlite::Error::InvalidColumnType(8, "received_on".into(), rusqlite::types::Type::Null)
    })?;
    let recipients: String = r.get(14)?;
    Ok(MailboxCase {
        id: r.get(0)?,
        lookup: r.get(1)?,
        secret_hash: r.get(2)?,
        reply_recipient: r.get(3)?,
        channel: r.get(4)?,
        category: r.get(5)?,
        state: r.get(6)?,
        outcome: r.get(7)?,
        received_on: received,
        acknowledged_on: parse_date(r.get(9)?)?,
        feedback_on: parse_date(r.get(10)?)?,
        decided_on: parse_date(r.get(11)?)?,
        closed_on: parse_date(r.get(12)?)?,
        assignee_key_id: r.get(13)?,
        recipients: recipients
            .split('\n')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        summary: r.get(15)?,
        published_on: parse_date(r.get(16)?)?,
        published_org_id: r.get(17)?,
        published_gtin: r.get(18)?,
        purged_on: parse_date(r.get(19)?)?,
    })
}

const MESSAGE_COLS: &str = "id, case_id, author, kind, for_reporter, created_on, ciphertext";
fn message_row(r: &Row<'_>) -> rusqlite::Result<MailboxMessage> {
    let created = parse_date(r.get(5)?)?.ok_or_else(|| {
        rusqlite::Error::InvalidColumnType(5, "created_on".into(), rusqlite::types::Type::Null)
    })?;
    Ok(MailboxMessage {
        id: r.get(0)?,
        case_id: r.get(1)?,
        author: r.get(2)?,
        kind: r.get(3)?,
        for_reporter: r.get(4)?,
        created_on: created,
        ciphertext: r.get(6)?,
    })
}

fn insert_message(
    tx: &rusqlite::Transaction<'_>,
    case_id: i64,
    msg: &NewMailboxMessage,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO mailbox_messages (case_id, author, kind, for_reporter, created_on, ciphertext)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            case_id,
            msg.author,
            msg.kind,
            msg.for_reporter,
            date(&Some(msg.created_on)),
            msg.ciphertext
        ],
    )
    .map_err(db_err)?;
    let message_id = tx.last_insert_rowid();
    for a in &msg.attachments {
        tx.execute(
            "INSERT INTO mailbox_attachments (case_id, message_id, ciphertext) VALUES (?1, ?2, ?3)",
            params![case_id, message_id, a],
        )
        .map_err(db_err)?;
    }
    Ok(message_id)
}

#[async_trait]
impl crate::MailboxStore for SqliteStore {
    async fn register_handler(
        &self,
        new: &NewMailboxHandler,
        log: LogFn<MailboxHandler>,
    ) -> Result<MailboxHandler> {
        owned!(new);
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO mailbox_handlers (key_id, org_id, channel, recipient, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    new.key_id,
                    new.org_id,
                    new.channel,
                    new.recipient,
                    ts(&new.created_at)
                ],
            )
            .map_err(db_err)?;
            let id = tx.last_insert_rowid();
            let row = tx
                .query_row(
                    &format!("SELECT {HANDLER_COLS} FROM mailbox_handlers WHERE id = ?1"),
                    [id],
                    handler_row,
                )
                .map_err(db_err)?;
            append_log(tx, &log(&row)).map_err(db_err)?;
            Ok(row)
        })
        .await
    }

    async fn handler_for_key(&self, key_id: i64) -> Result<Option<MailboxHandler>> {
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {HANDLER_COLS} FROM mailbox_handlers WHERE key_id = ?1"),
                [key_id],
                handler_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn handlers_in_channel(&self, channel: &str) -> Result<Vec<MailboxHandler>> {
        let channel = channel.to_string();
        self.read(move |c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {HANDLER_COLS} FROM mailbox_handlers WHERE channel = ?1 ORDER BY id"
                ))
                .map_err(db_err)?;
            let rows = st.query_map([channel], handler_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn create_case(
        &self,
        new: &NewMailboxCase,
        first: &NewMailboxMessage,
        log: LogFn<MailboxCase>,
    ) -> Result<MailboxCase> {
        owned!(new, first);
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO mailbox_cases (lookup, secret_hash, reply_recipient, channel, category, state, received_on, recipients)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    new.lookup,
                    new.secret_hash,
                    new.reply_recipient,
                    new.channel,
                    new.category,
                    new.state,
                    date(&Some(new.received_on)),
                    new.recipients.join("\n")
                ],
            )
            .map_err(db_err)?;
            let id = tx.last_insert_rowid();
            insert_message(tx, id, &first)?;
            let row = tx
                .query_row(
                    &format!("SELECT {CASE_COLS} FROM mailbox_cases WHERE id = ?1"),
                    [id],
                    case_row,
                )
                .map_err(db_err)?;
            append_log(tx, &log(&row)).map_err(db_err)?;
            Ok(row)
        })
        .await
    }

    async fn case_by_lookup(&self, lookup: &str) -> Result<Option<MailboxCase>> {
        let lookup = lookup.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {CASE_COLS} FROM mailbox_cases WHERE lookup = ?1"),
                [lookup],
                case_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn get_case(&self, id: i64) -> Result<Option<MailboxCase>> {
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {CASE_COLS} FROM mailbox_cases WHERE id = ?1"),
                [id],
                case_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn list_cases(&self, channel: Option<&str>) -> Result<Vec<MailboxCase>> {
        let channel = channel.map(String::from);
        self.read(move |c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {CASE_COLS} FROM mailbox_cases WHERE (?1 IS NULL OR channel = ?1) ORDER BY id"
                ))
                .map_err(db_err)?;
            let rows = st.query_map([channel], case_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn add_message(
        &self,
        case_id: i64,
        msg: &NewMailboxMessage,
        feedback_on: Option<NaiveDate>,
        log: &LogEntry,
    ) -> Result<i64> {
        owned!(msg, log);
        self.write(move |tx| {
            let live: Option<i64> = tx
                .query_row(
                    "SELECT id FROM mailbox_cases WHERE id = ?1 AND purged_on IS NULL",
                    [case_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db_err)?;
            if live.is_none() {
                return Err(StoreError::NotFound(format!("case {case_id}")));
            }
            let id = insert_message(tx, case_id, &msg)?;
            if let Some(d) = feedback_on {
                tx.execute(
                    "UPDATE mailbox_cases SET feedback_on = COALESCE(feedback_on, ?1) WHERE id = ?2",
                    params![date(&Some(d)), case_id],
                )
                .map_err(db_err)?;
            }
            append_log(tx, &log).map_err(db_err)?;
            Ok(id)
        })
        .await
    }

    async fn case_messages(&self, case_id: i64) -> Result<Vec<MailboxMessage>> {
        self.read(move |c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {MESSAGE_COLS} FROM mailbox_messages WHERE case_id = ?1 ORDER BY id"
                ))
                .map_err(db_err)?;
            let rows = st.query_map([case_id], message_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn case_attachments(&self, case_id: i64) -> Result<Vec<MailboxAttachment>> {
        self.read(move |c| {
            let mut st = c
                .prepare(
                    "SELECT id, case_id, message_id, ciphertext FROM mailbox_attachments WHERE case_id = ?1 ORDER BY id",
                )
                .map_err(db_err)?;
            let rows = st
                .query_map([case_id], |r| {
                    Ok(MailboxAttachment {
                        id: r.get(0)?,
                        case_id: r.get(1)?,
                        message_id: r.get(2)?,
                        ciphertext: r.get(3)?,
                    })
                })
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn update_case(
        &self,
        expected_state: &str,
        case: &MailboxCase,
        log: &LogEntry,
    ) -> Result<()> {
        let expected = expected_state.to_string();
        owned!(case, log);
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE mailbox_cases SET state = ?1, outcome = ?2, acknowledged_on = ?3, feedback_on = ?4,
                        decided_on = ?5, closed_on = ?6, assignee_key_id = ?7, summary = ?8, published_on = ?9,
                        published_org_id = ?10, published_gtin = ?11
                     WHERE id = ?12 AND state = ?13 AND purged_on IS NULL",
                    params![
                        case.state,
                        case.outcome,
                        date(&case.acknowledged_on),
                        date(&case.feedback_on),
                        date(&case.decided_on),
                        date(&case.closed_on),
                        case.assignee_key_id,
                        case.summary,
                        date(&case.published_on),
                        case.published_org_id,
                        case.published_gtin,
                        case.id,
                        expected
                    ],
                )
                .map_err(db_err)?;
            if n != 1 {
                return Err(StoreError::Conflict(
                    "the case changed meanwhile; reload it".into(),
                ));
            }
            append_log(tx, &log).map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn purge_cases(&self, ids: &[i64], today: NaiveDate, log: &LogEntry) -> Result<u64> {
        let ids = ids.to_vec();
        owned!(log);
        let n = self.write(move |tx| {
            let mut n = 0u64;
            for id in &ids {
                tx.execute("DELETE FROM mailbox_attachments WHERE case_id = ?1", [id])
                    .map_err(db_err)?;
                tx.execute("DELETE FROM mailbox_messages WHERE case_id = ?1", [id])
                    .map_err(db_err)?;
                n += tx
                    .execute(
                        "UPDATE mailbox_cases SET lookup = NULL, secret_hash = NULL, reply_recipient = NULL,
                            recipients = '', purged_on = ?1 WHERE id = ?2 AND purged_on IS NULL",
                        params![date(&Some(today)), id],
                    )
                    .map_err(db_err)? as u64;
            }
            append_log(tx, &log).map_err(db_err)?;
            Ok(n)
        })
        .await?;
        // secure_delete zeroes the freed pages in the database file, but the WAL
        // still holds the earlier page images until it is checkpointed and reset.
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let guard = writer
                .lock()
                .map_err(|_| StoreError::Db("writer connection poisoned".into()))?;
            guard
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .map_err(db_err)
        })
        .await
        .map_err(join_err)??;
        Ok(n)
    }
}
