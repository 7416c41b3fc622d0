//! MailboxStore for PgStore.

use chrono::NaiveDate;

use super::*;
use crate::mailbox::{
    MailboxAttachment, MailboxCase, MailboxHandler, MailboxMessage, NewMailboxCase,
    NewMailboxHandler, NewMailboxMessage,
};

const HANDLER_COLS: &str = "id, key_id, org_id, channel, recipient, created_at";
fn handler_row(r: &Row) -> Result<MailboxHandler> {
    Ok(MailboxHandler {
        id: r.get(0),
        key_id: r.get(1),
        org_id: r.get(2),
        channel: r.get(3),
        recipient: r.get(4),
        created_at: r.get(5),
    })
}

const CASE_COLS: &str = "id, lookup, secret_hash, reply_recipient, channel, category, state, outcome, received_on, acknowledged_on, feedback_on, decided_on, closed_on, assignee_key_id, recipients, summary, published_on, published_org_id, published_gtin, purged_on";
fn case_row(r: &Row) -> Result<MailboxCase> {
    let recipients: String = r.get(14);
    Ok(MailboxCase {
        id: r.get(0),
        lookup: r.get(1),
        secret_hash: r.get(2),
        reply_recipient: r.get(3),
        channel: r.get(4),
        category: r.get(5),
        state: r.get(6),
        outcome: r.get(7),
        received_on: r.get(8),
        acknowledged_on: r.get(9),
        feedback_on: r.get(10),
        decided_on: r.get(11),
        closed_on: r.get(12),
        assignee_key_id: r.get(13),
        recipients: recipients
            .split('\n')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        summary: r.get(15),
        published_on: r.get(16),
        published_org_id: r.get(17),
        published_gtin: r.get(18),
        purged_on: r.get(19),
    })
}

const MESSAGE_COLS: &str = "id, case_id, author, kind, for_reporter, created_on, ciphertext";
fn message_row(r: &Row) -> Result<MailboxMessage> {
    Ok(MailboxMessage {
        id: r.get(0),
        case_id: r.get(1),
        author: r.get(2),
        kind: r.get(3),
        for_reporter: r.get(4),
        created_on: r.get(5),
        ciphertext: r.get(6),
    })
}

fn attachment_row(r: &Row) -> Result<MailboxAttachment> {
    Ok(MailboxAttachment {
        id: r.get(0),
        case_id: r.get(1),
        message_id: r.get(2),
        ciphertext: r.get(3),
    })
}

async fn insert_message(
    tx: &Transaction<'_>,
    case_id: i64,
    msg: &NewMailboxMessage,
) -> Result<i64> {
    let row = tx
        .query_one(
            "INSERT INTO mailbox_messages (case_id, author, kind, for_reporter, created_on, ciphertext)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[
                &case_id,
                &msg.author,
                &msg.kind,
                &msg.for_reporter,
                &msg.created_on,
                &msg.ciphertext,
            ],
        )
        .await
        .map_err(db_err)?;
    let message_id: i64 = row.get(0);
    for a in &msg.attachments {
        tx.execute(
            "INSERT INTO mailbox_attachments (case_id, message_id, ciphertext) VALUES ($1, $2, $3)",
            &[&case_id, &message_id, a],
        )
        .await
        .map_err(db_err)?;
    }
    Ok(message_id)
}

#[async_trait]
impl crate::MailboxStore for PgStore {
    async fn register_handler(
        &self,
        new: &NewMailboxHandler,
        log: LogFn<MailboxHandler>,
    ) -> Result<MailboxHandler> {
        self.insert_logged(
            &format!(
                "INSERT INTO mailbox_handlers (key_id, org_id, channel, recipient, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING {HANDLER_COLS}"
            ),
            &[
                &new.key_id,
                &new.org_id,
                &new.channel,
                &new.recipient,
                &new.created_at,
            ],
            handler_row,
            log,
        )
        .await
    }

    async fn handler_for_key(&self, key_id: i64) -> Result<Option<MailboxHandler>> {
        self.one(
            &format!("SELECT {HANDLER_COLS} FROM mailbox_handlers WHERE key_id = $1"),
            &[&key_id],
            handler_row,
        )
        .await
    }

    async fn handlers_in_channel(&self, channel: &str) -> Result<Vec<MailboxHandler>> {
        self.many(
            &format!("SELECT {HANDLER_COLS} FROM mailbox_handlers WHERE channel = $1 ORDER BY id"),
            &[&channel],
            handler_row,
        )
        .await
    }

    async fn create_case(
        &self,
        new: &NewMailboxCase,
        first: &NewMailboxMessage,
        log: LogFn<MailboxCase>,
    ) -> Result<MailboxCase> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO mailbox_cases (lookup, secret_hash, reply_recipient, channel, category, state, received_on, recipients)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {CASE_COLS}"
                ),
                &[
                    &new.lookup,
                    &new.secret_hash,
                    &new.reply_recipient,
                    &new.channel,
                    &new.category,
                    &new.state,
                    &new.received_on,
                    &new.recipients.join("\n"),
                ],
            )
            .await
            .map_err(db_err)?;
        let case = case_row(&row)?;
        insert_message(&tx, case.id, first).await?;
        append_log(&tx, &log(&case)).await?;
        commit(tx).await?;
        Ok(case)
    }

    async fn case_by_lookup(&self, lookup: &str) -> Result<Option<MailboxCase>> {
        self.one(
            &format!("SELECT {CASE_COLS} FROM mailbox_cases WHERE lookup = $1"),
            &[&lookup],
            case_row,
        )
        .await
    }

    async fn get_case(&self, id: i64) -> Result<Option<MailboxCase>> {
        self.one(
            &format!("SELECT {CASE_COLS} FROM mailbox_cases WHERE id = $1"),
            &[&id],
            case_row,
        )
        .await
    }

    async fn list_cases(&self, channel: Option<&str>) -> Result<Vec<MailboxCase>> {
        self.many(
            &format!(
                "SELECT {CASE_COLS} FROM mailbox_cases WHERE ($1::TEXT IS NULL OR channel = $1) ORDER BY id"
            ),
            &[&channel],
            case_row,
        )
        .await
    }

    async fn add_message(
        &self,
        case_id: i64,
        msg: &NewMailboxMessage,
        feedback_on: Option<NaiveDate>,
        log: &LogEntry,
    ) -> Result<i64> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        let live = tx
            .query_opt(
                "SELECT id FROM mailbox_cases WHERE id = $1 AND purged_on IS NULL FOR UPDATE",
                &[&case_id],
            )
            .await
            .map_err(db_err)?;
        if live.is_none() {
            return Err(StoreError::NotFound(format!("case {case_id}")));
        }
        let id = insert_message(&tx, case_id, msg).await?;
        if let Some(d) = feedback_on {
            tx.execute(
                "UPDATE mailbox_cases SET feedback_on = COALESCE(feedback_on, $1) WHERE id = $2",
                &[&d, &case_id],
            )
            .await
            .map_err(db_err)?;
        }
        append_log(&tx, log).await?;
        commit(tx).await?;
        Ok(id)
    }

    async fn case_messages(&self, case_id: i64) -> Result<Vec<MailboxMessage>> {
        self.many(
            &format!("SELECT {MESSAGE_COLS} FROM mailbox_messages WHERE case_id = $1 ORDER BY id"),
            &[&case_id],
            message_row,
        )
        .await
    }

    async fn case_attachments(&self, case_id: i64) -> Result<Vec<MailboxAttachment>> {
        self.many(
            "SELECT id, case_id, message_id, ciphertext FROM mailbox_attachments WHERE case_id = $1 ORDER BY id",
            &[&case_id],
            attachment_row,
        )
        .await
    }

    async fn update_case(
        &self,
        expected_state: &str,
        case: &MailboxCase,
        log: &LogEntry,
    ) -> Result<()> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        let n = tx
            .execute(
                "UPDATE mailbox_cases SET state = $1, outcome = $2, acknowledged_on = $3, feedback_on = $4,
                    decided_on = $5, closed_on = $6, assignee_key_id = $7, summary = $8, published_on = $9,
                    published_org_id = $10, published_gtin = $11
                 WHERE id = $12 AND state = $13 AND purged_on IS NULL",
                &[
                    &case.state,
                    &case.outcome,
                    &case.acknowledged_on,
                    &case.feedback_on,
                    &case.decided_on,
                    &case.closed_on,
                    &case.assignee_key_id,
                    &case.summary,
                    &case.published_on,
                    &case.published_org_id,
                    &case.published_gtin,
                    &case.id,
                    &expected_state,
                ],
            )
            .await
            .map_err(db_err)?;
        if n != 1 {
            return Err(StoreError::Conflict(
                "the case changed meanwhile; reload it".into(),
            ));
        }
        append_log(&tx, log).await?;
        commit(tx).await
    }

    async fn purge_cases(&self, ids: &[i64], today: NaiveDate, log: &LogEntry) -> Result<u64> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        tx.execute(
            "DELETE FROM mailbox_attachments WHERE case_id = ANY($1)",
            &[&ids],
        )
        .await
        .map_err(db_err)?;
        tx.execute(
            "DELETE FROM mailbox_messages WHERE case_id = ANY($1)",
            &[&ids],
        )
        .await
        .map_err(db_err)?;
        let n = tx
            .execute(
                "UPDATE mailbox_cases SET lookup = NULL, secret_hash = NULL, reply_recipient = NULL,
                    recipients = '', purged_on = $1 WHERE id = ANY($2) AND purged_on IS NULL",
                &[&today, &ids],
            )
            .await
            .map_err(db_err)?;
        append_log(&tx, log).await?;
        commit(tx).await?;
        Ok(n)
    }
}
