//! The fraud-report mailbox (C7): anonymous reports, receipts, encrypted cases, the
//! case workflow with its deadlines, publication and statistics, retention.
//!
//! What the server keeps about a reporter: the day the report arrived, its category,
//! an Argon2id hash of the receipt's secret, and age ciphertext (to the channel's
//! case handlers and to the reporter's receipt-derived key). No IP address, user
//! agent, cookie or time of day: nothing in this module receives them, and its log
//! entries carry the day (00:00 UTC) instead of the time. See `docs/mailbox.md`.

pub mod crypto;
pub mod pow;
pub mod sanitize;
pub mod workflow;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use domain::authz::Actor;
use domain::log_entry::{LogEntry, sha256};
use domain::org::Role;
use serde::Serialize;
use serde_json::json;
use store::mailbox::{
    MailboxAttachment, MailboxCase, MailboxHandler, MailboxMessage, NewMailboxCase,
    NewMailboxHandler, NewMailboxMessage,
};

use crate::{App, AppError, Result};
use crypto::Receipt;
use sanitize::Metadata;
use workflow::{CaseFacts, CaseState, Deadlines};

/// Settings of the mailbox (`AppConfig::mailbox`).
#[derive(Debug, Clone)]
pub struct MailboxConfig {
    /// Days a closed case's contents are kept before purging.
    pub retention_days: u32,
    /// Proof-of-work difficulty (leading zero bits) for API submissions.
    pub pow_bits: u32,
    pub max_attachment_bytes: usize,
    pub max_attachments: usize,
    pub max_text_chars: usize,
    /// Global (all reporters together) limits.
    pub submissions_per_minute: u32,
    pub receipt_checks_per_minute: u32,
    /// Challenge signing key and rate buckets; see [`MailboxConfig::with_pow_key`].
    pub guard: Arc<pow::Guard>,
}

impl Default for MailboxConfig {
    fn default() -> Self {
        MailboxConfig {
            retention_days: 365,
            pow_bits: 18,
            max_attachment_bytes: 2 << 20,
            max_attachments: 4,
            max_text_chars: 20_000,
            submissions_per_minute: 30,
            receipt_checks_per_minute: 120,
            guard: Arc::new(pow::Guard::new(None)),
        }
    }
}

impl MailboxConfig {
    /// Uses a fixed challenge key, so several API nodes accept each other's challenges.
    pub fn with_pow_key(mut self, key: [u8; 32]) -> Self {
        self.guard = Arc::new(pow::Guard::new(Some(key)));
        self
    }
}

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    CounterfeitPpe,
    FakeCertificate,
    FakeRecord,
    OfficialMisconduct,
    Other,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::CounterfeitPpe,
        Category::FakeCertificate,
        Category::FakeRecord,
        Category::OfficialMisconduct,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::CounterfeitPpe => "counterfeit_ppe",
            Category::FakeCertificate => "fake_certificate",
            Category::FakeRecord => "fake_record",
            Category::OfficialMisconduct => "official_misconduct",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    /// (English, Chinese) labels.
    pub fn labels(self) -> (&'static str, &'static str) {
        match self {
            Category::CounterfeitPpe => ("Counterfeit PPE", "假冒劳动防护用品"),
            Category::FakeCertificate => ("Fake certificate", "伪造证书"),
            Category::FakeRecord => ("Fake inspection or record", "伪造检验或记录"),
            Category::OfficialMisconduct => ("Official misconduct", "公职人员违纪违法"),
            Category::Other => ("Other", "其他"),
        }
    }
}

pub const DEFAULT_CHANNEL: &str = "default";
const REPORTER: &str = "reporter:anonymous";

#[derive(Debug, Clone, Default)]
pub struct AttachmentInput {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    pub category: String,
    pub text: String,
    pub code: Option<String>,
    pub gtin: Option<String>,
    pub organization: Option<String>,
    pub channel: Option<String>,
    pub attachments: Vec<AttachmentInput>,
}

/// How a submission proves it is not a flood.
#[derive(Debug, Clone)]
pub enum Proof {
    /// API clients: a solved challenge.
    Work { challenge: String, nonce: String },
    /// The no-JavaScript form: covered by the global rate limit and the slow hash.
    Form,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentReceipt {
    pub name: String,
    pub metadata: &'static str,
}

/// Shown once to the reporter.
#[derive(Debug, Clone, Serialize)]
pub struct Submitted {
    pub case: i64,
    pub receipt: String,
    pub attachments: Vec<AttachmentReceipt>,
}

/// One message as the reporter sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ThreadMessage {
    pub from: &'static str,
    pub kind: String,
    pub on: NaiveDate,
    pub text: String,
    pub attachments: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReporterView {
    pub case: i64,
    pub category: String,
    pub state: String,
    pub received_on: NaiveDate,
    pub messages: Vec<ThreadMessage>,
}

/// A case in the handlers' listing (no contents).
#[derive(Debug, Clone, Serialize)]
pub struct CaseSummary {
    pub id: i64,
    pub channel: String,
    pub category: String,
    pub state: String,
    pub outcome: Option<String>,
    pub received_on: NaiveDate,
    pub acknowledged_on: Option<NaiveDate>,
    pub feedback_on: Option<NaiveDate>,
    pub decided_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub assignee_key_id: Option<i64>,
    pub deadlines: Deadlines,
    pub overdue: bool,
    pub published: bool,
    pub purged: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EncryptedMessage {
    pub id: i64,
    pub author: String,
    pub kind: String,
    pub for_reporter: bool,
    pub on: NaiveDate,
    /// age binary format, base64 (standard alphabet).
    pub ciphertext: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EncryptedAttachment {
    pub id: i64,
    pub message_id: i64,
    pub ciphertext: String,
}

/// A case for its handlers: metadata plus ciphertext to decrypt client-side.
#[derive(Debug, Clone, Serialize)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub summary: CaseSummary,
    pub recipients: Vec<String>,
    pub summary_text: Option<String>,
    pub messages: Vec<EncryptedMessage>,
    pub attachments: Vec<EncryptedAttachment>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublishedCase {
    pub id: i64,
    pub category: String,
    pub received_on: NaiveDate,
    pub published_on: Option<NaiveDate>,
    pub summary: String,
    pub organization_id: Option<i64>,
    pub organization: Option<String>,
    pub gtin: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub received: u64,
    pub acknowledged: u64,
    pub substantiated: u64,
    pub unsubstantiated: u64,
    pub closed: u64,
    pub published: u64,
    pub overdue: u64,
    pub median_days_to_acknowledge: Option<f64>,
}

/// The plaintext inside an attachment's age ciphertext: a 4-byte big-endian header
/// length, a JSON header (name, content type, size, metadata), then the bytes.
pub fn pack_attachment(name: &str, content_type: &str, meta: Metadata, data: &[u8]) -> Vec<u8> {
    let header = json!({
        "name": name, "content_type": content_type, "size": data.len(), "metadata": meta.as_str()
    })
    .to_string();
    let mut out = (header.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// Splits a decrypted attachment into its JSON header and bytes.
pub fn unpack_attachment(plain: &[u8]) -> Option<(serde_json::Value, &[u8])> {
    let len = u32::from_be_bytes(plain.get(..4)?.try_into().ok()?) as usize;
    let header = plain.get(4..4 + len)?;
    let v = serde_json::from_slice(header).ok()?;
    Some((v, plain.get(4 + len..)?))
}

fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_else(Utc::now)
}

fn facts(c: &MailboxCase) -> CaseFacts {
    CaseFacts {
        state: CaseState::parse(&c.state).unwrap_or(CaseState::Received),
        received_on: c.received_on,
        acknowledged_on: c.acknowledged_on,
        feedback_on: c.feedback_on,
    }
}

fn summary(c: &MailboxCase, today: NaiveDate) -> CaseSummary {
    let dl = workflow::deadlines(&facts(c), today);
    CaseSummary {
        id: c.id,
        channel: c.channel.clone(),
        category: c.category.clone(),
        state: c.state.clone(),
        outcome: c.outcome.clone(),
        received_on: c.received_on,
        acknowledged_on: c.acknowledged_on,
        feedback_on: c.feedback_on,
        decided_on: c.decided_on,
        closed_on: c.closed_on,
        assignee_key_id: c.assignee_key_id,
        overdue: dl.overdue() && c.purged_on.is_none(),
        deadlines: dl,
        published: c.published_on.is_some(),
        purged: c.purged_on.is_some(),
    }
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn optional_text(field: &str, v: &Option<String>, max: usize) -> Result<Option<String>> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.chars().count() > max => Err(AppError::invalid(
            field,
            format!("at most {max} characters"),
        )),
        Some(s) => Ok(Some(s.to_string())),
    }
}

fn wrong_receipt() -> AppError {
    AppError::Forbidden("the receipt was not recognised".into())
}

impl App {
    fn mb(&self) -> &MailboxConfig {
        &self.config.mailbox
    }

    /// A proof-of-work challenge for an API submission, with its difficulty.
    pub fn mailbox_challenge(&self) -> (String, u32) {
        let bits = self.mb().pow_bits;
        (
            self.mb().guard.issue(self.clock.now().timestamp(), bits),
            bits,
        )
    }

    /// Global submission limit; `false` means answer 429.
    pub fn mailbox_allow_submission(&self) -> bool {
        self.mb()
            .guard
            .allow_submission(self.mb().submissions_per_minute)
    }

    /// Global receipt-check limit; `false` means answer 429.
    pub fn mailbox_allow_receipt_check(&self) -> bool {
        self.mb()
            .guard
            .allow_receipt_check(self.mb().receipt_checks_per_minute)
    }

    fn check_attachments(&self, atts: &[AttachmentInput]) -> Result<()> {
        let cfg = self.mb();
        if atts.len() > cfg.max_attachments {
            return Err(AppError::invalid(
                "attachments",
                format!("at most {} attachments", cfg.max_attachments),
            ));
        }
        for a in atts {
            if a.data.len() > cfg.max_attachment_bytes {
                return Err(AppError::invalid(
                    "attachments",
                    format!(
                        "'{}' is larger than {} bytes",
                        a.name.chars().take(80).collect::<String>(),
                        cfg.max_attachment_bytes
                    ),
                ));
            }
            if a.name.chars().count() > 200 || a.content_type.len() > 200 {
                return Err(AppError::invalid(
                    "attachments",
                    "file name or type too long",
                ));
            }
        }
        Ok(())
    }

    fn check_text(&self, field: &str, text: &str) -> Result<String> {
        let t = text.trim();
        if t.is_empty() {
            return Err(AppError::invalid(field, "must not be empty"));
        }
        if t.chars().count() > self.mb().max_text_chars {
            return Err(AppError::invalid(
                field,
                format!("at most {} characters", self.mb().max_text_chars),
            ));
        }
        Ok(t.to_string())
    }

    /// Encrypts attachments after stripping metadata.
    fn seal_attachments(
        &self,
        recipients: &[String],
        atts: &[AttachmentInput],
    ) -> Result<(Vec<Vec<u8>>, Vec<AttachmentReceipt>)> {
        let mut sealed = Vec::new();
        let mut receipts = Vec::new();
        for a in atts {
            let (clean, meta) = sanitize::strip_metadata(&a.data);
            let name = if a.name.trim().is_empty() {
                "attachment"
            } else {
                a.name.trim()
            };
            sealed.push(crypto::encrypt_to(
                recipients,
                &pack_attachment(name, &a.content_type, meta, &clean),
            )?);
            receipts.push(AttachmentReceipt {
                name: name.to_string(),
                metadata: meta.as_str(),
            });
        }
        Ok((sealed, receipts))
    }

    /// Files a new anonymous report. The returned receipt is shown once.
    pub async fn mailbox_submit(&self, input: &ReportInput, proof: &Proof) -> Result<Submitted> {
        if let Proof::Work { challenge, nonce } = proof {
            self.mb()
                .guard
                .check(
                    challenge,
                    nonce,
                    self.clock.now().timestamp(),
                    self.mb().pow_bits,
                )
                .map_err(|why| AppError::invalid("pow", why))?;
        }
        let category = Category::parse(&input.category).ok_or_else(|| {
            AppError::invalid(
                "category",
                "one of counterfeit_ppe, fake_certificate, fake_record, official_misconduct, other",
            )
        })?;
        let text = self.check_text("text", &input.text)?;
        let code = optional_text("code", &input.code, 300)?;
        let gtin = optional_text("gtin", &input.gtin, 14)?;
        if let Some(g) = &gtin
            && (!matches!(g.len(), 8 | 12 | 13 | 14)
                || !g.bytes().all(|b| b.is_ascii_digit())
                || !gs1::has_valid_check_digit(g))
        {
            return Err(AppError::invalid(
                "gtin",
                "not a valid GTIN (8, 12, 13 or 14 digits with its check digit)",
            ));
        }
        let organization = optional_text("organization", &input.organization, 200)?;
        let channel = optional_text("channel", &input.channel, 50)?
            .unwrap_or_else(|| DEFAULT_CHANNEL.to_string());
        self.check_attachments(&input.attachments)?;
        let handlers = self.store.handlers_in_channel(&channel).await?;
        if handlers.is_empty() {
            return Err(AppError::invalid(
                "channel",
                "this channel has no case handler yet; reports cannot be encrypted to anyone",
            ));
        }
        let handler_recipients: Vec<String> =
            handlers.iter().map(|h| h.recipient.clone()).collect();
        let today = self.clock.today();

        for _ in 0..3 {
            let receipt = Receipt::generate();
            let reply_recipient = receipt.reply_identity()?.to_public().to_string();
            let mut all = handler_recipients.clone();
            all.push(reply_recipient.clone());
            let body = json!({
                "category": category.as_str(),
                "text": text,
                "links": {"code": code, "gtin": gtin, "organization": organization},
            })
            .to_string();
            let ciphertext = crypto::encrypt_to(&all, body.as_bytes())?;
            let (attachments, att_receipts) = self.seal_attachments(&all, &input.attachments)?;
            let digest = hex::encode(sha256(&ciphertext));
            let first = NewMailboxMessage {
                author: "reporter".into(),
                kind: "report".into(),
                for_reporter: true,
                created_on: today,
                ciphertext,
                attachments,
            };
            let new = NewMailboxCase {
                lookup: receipt.lookup.clone(),
                secret_hash: receipt.hash()?,
                reply_recipient,
                channel: channel.clone(),
                category: category.as_str().into(),
                state: CaseState::Received.as_str().into(),
                received_on: today,
                recipients: handler_recipients.clone(),
            };
            let at = day_start(today);
            let res = self
                .store
                .create_case(
                    &new,
                    &first,
                    Box::new(move |c: &MailboxCase| {
                        LogEntry::for_record(
                            "mailbox_case",
                            at,
                            REPORTER,
                            vec![("case".into(), c.id.to_string())],
                            &json!({"case": c.id, "state": c.state, "category": c.category,
                                    "received_on": c.received_on.to_string(), "report_sha256": digest}),
                        )
                    }),
                )
                .await;
            match res {
                Ok(c) => {
                    return Ok(Submitted {
                        case: c.id,
                        receipt: receipt.display(),
                        attachments: att_receipts,
                    });
                }
                Err(store::StoreError::Conflict(_)) => continue, // lookup collision
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Internal("could not allocate a receipt".into()))
    }

    /// Finds the case of a receipt; every failure is the same `Forbidden`.
    async fn case_for_receipt(&self, receipt_text: &str) -> Result<(MailboxCase, Receipt)> {
        let Some(receipt) = Receipt::parse(receipt_text) else {
            crypto::dummy_verify();
            return Err(wrong_receipt());
        };
        let Some(case) = self.store.case_by_lookup(&receipt.lookup).await? else {
            crypto::dummy_verify();
            return Err(wrong_receipt());
        };
        let Some(phc) = case.secret_hash.as_deref() else {
            crypto::dummy_verify();
            return Err(wrong_receipt());
        };
        if !receipt.verify(phc) {
            return Err(wrong_receipt());
        }
        Ok((case, receipt))
    }

    /// The reporter's view of their case: state and the messages meant for them.
    pub async fn mailbox_reporter_view(&self, receipt_text: &str) -> Result<ReporterView> {
        let (case, receipt) = self.case_for_receipt(receipt_text).await?;
        let identity = receipt.reply_identity()?;
        let atts = self.store.case_attachments(case.id).await?;
        let mut messages = Vec::new();
        for m in self.store.case_messages(case.id).await? {
            if !m.for_reporter {
                continue;
            }
            let plain = crypto::decrypt_with(&identity, &m.ciphertext)?;
            let text = if m.kind == "report" {
                serde_json::from_slice::<serde_json::Value>(&plain)
                    .ok()
                    .and_then(|v| v["text"].as_str().map(String::from))
                    .unwrap_or_default()
            } else {
                String::from_utf8_lossy(&plain).into_owned()
            };
            messages.push(ThreadMessage {
                from: if m.author == "reporter" {
                    "reporter"
                } else {
                    "handler"
                },
                kind: m.kind.clone(),
                on: m.created_on,
                text,
                attachments: atts.iter().filter(|a| a.message_id == m.id).count(),
            });
        }
        Ok(ReporterView {
            case: case.id,
            category: case.category,
            state: case.state,
            received_on: case.received_on,
            messages,
        })
    }

    /// The reporter adds information or answers a question.
    pub async fn mailbox_reporter_add(
        &self,
        receipt_text: &str,
        text: &str,
        attachments: &[AttachmentInput],
    ) -> Result<Vec<AttachmentReceipt>> {
        let text = self.check_text("text", text)?;
        self.check_attachments(attachments)?;
        let (case, _receipt) = self.case_for_receipt(receipt_text).await?;
        if case.state == CaseState::Closed.as_str() {
            return Err(AppError::Conflict("the case is closed".into()));
        }
        let mut all = case.recipients.clone();
        if let Some(r) = &case.reply_recipient {
            all.push(r.clone());
        }
        let ciphertext = crypto::encrypt_to(&all, text.as_bytes())?;
        let (sealed, receipts) = self.seal_attachments(&all, attachments)?;
        let today = self.clock.today();
        let log = LogEntry::for_record(
            "mailbox_message",
            day_start(today),
            REPORTER,
            vec![("case".into(), case.id.to_string())],
            &json!({"case": case.id, "kind": "info", "ciphertext_sha256": hex::encode(sha256(&ciphertext))}),
        );
        self.store
            .add_message(
                case.id,
                &NewMailboxMessage {
                    author: "reporter".into(),
                    kind: "info".into(),
                    for_reporter: true,
                    created_on: today,
                    ciphertext,
                    attachments: sealed,
                },
                None,
                &log,
            )
            .await?;
        Ok(receipts)
    }

    /// Registers the calling key as a case handler with its age recipient.
    pub async fn mailbox_register_handler(
        &self,
        actor: &Actor,
        recipient: &str,
        channel: Option<&str>,
    ) -> Result<MailboxHandler> {
        if !(actor.admin || actor.has_role(Role::Regulator)) {
            return Err(AppError::Forbidden(
                "only a regulator's key may handle fraud reports".into(),
            ));
        }
        let recipient = crypto::parse_recipient("recipient", recipient)?.to_string();
        let channel = optional_text("channel", &channel.map(String::from), 50)?
            .unwrap_or_else(|| DEFAULT_CHANNEL.to_string());
        let now = self.clock.now();
        let label = actor.label();
        self.store
            .register_handler(
                &NewMailboxHandler {
                    key_id: actor.key_id,
                    org_id: actor.org_id,
                    channel,
                    recipient,
                    created_at: now,
                },
                Box::new(move |h: &MailboxHandler| {
                    LogEntry::for_record(
                        "mailbox_handler",
                        now,
                        &label,
                        vec![("handler".into(), h.id.to_string()), ("api_key".into(), h.key_id.to_string())],
                        &json!({"id": h.id, "key_id": h.key_id, "org_id": h.org_id, "channel": h.channel, "recipient": h.recipient}),
                    )
                }),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::Conflict(_) => {
                    AppError::Conflict("this key is already registered as a case handler".into())
                }
                other => other.into(),
            })
    }

    async fn handler(&self, actor: &Actor) -> Result<MailboxHandler> {
        self.store
            .handler_for_key(actor.key_id)
            .await?
            .ok_or_else(|| {
                AppError::Forbidden("this key is not registered as a case handler".into())
            })
    }

    async fn handled_case(&self, actor: &Actor, id: i64) -> Result<(MailboxHandler, MailboxCase)> {
        let h = self.handler(actor).await?;
        let case = self
            .store
            .get_case(id)
            .await?
            .filter(|c| c.channel == h.channel)
            .ok_or_else(|| AppError::NotFound(format!("case {id}")))?;
        Ok((h, case))
    }

    /// The handler's listing: every case of their channel with its deadlines.
    pub async fn mailbox_cases(&self, actor: &Actor) -> Result<Vec<CaseSummary>> {
        let h = self.handler(actor).await?;
        let today = self.clock.today();
        Ok(self
            .store
            .list_cases(Some(&h.channel))
            .await?
            .iter()
            .map(|c| summary(c, today))
            .collect())
    }

    /// A case with its ciphertext, for the handler to decrypt locally.
    pub async fn mailbox_case(&self, actor: &Actor, id: i64) -> Result<CaseDetail> {
        let (_h, case) = self.handled_case(actor, id).await?;
        let messages: Vec<MailboxMessage> = self.store.case_messages(id).await?;
        let atts: Vec<MailboxAttachment> = self.store.case_attachments(id).await?;
        Ok(CaseDetail {
            summary: summary(&case, self.clock.today()),
            recipients: case.recipients.clone(),
            summary_text: case.summary.clone(),
            messages: messages
                .iter()
                .map(|m| EncryptedMessage {
                    id: m.id,
                    author: m.author.clone(),
                    kind: m.kind.clone(),
                    for_reporter: m.for_reporter,
                    on: m.created_on,
                    ciphertext: b64(&m.ciphertext),
                })
                .collect(),
            attachments: atts
                .iter()
                .map(|a| EncryptedAttachment {
                    id: a.id,
                    message_id: a.message_id,
                    ciphertext: b64(&a.ciphertext),
                })
                .collect(),
        })
    }

    /// A handler's message: `reply` and `question` go to the reporter too; a `note`
    /// stays among handlers. A reply after acknowledgement counts as feedback.
    pub async fn mailbox_post_message(
        &self,
        actor: &Actor,
        id: i64,
        kind: &str,
        text: &str,
    ) -> Result<i64> {
        let (_h, case) = self.handled_case(actor, id).await?;
        let for_reporter = match kind {
            "reply" | "question" => true,
            "note" => false,
            _ => return Err(AppError::invalid("kind", "one of reply, question, note")),
        };
        let text = self.check_text("text", text)?;
        if case.purged_on.is_some() {
            return Err(AppError::Conflict("the case was purged".into()));
        }
        let mut all = case.recipients.clone();
        if for_reporter {
            match &case.reply_recipient {
                Some(r) => all.push(r.clone()),
                None => return Err(AppError::Conflict("the case was purged".into())),
            }
        }
        let ciphertext = crypto::encrypt_to(&all, text.as_bytes())?;
        let today = self.clock.today();
        let feedback = (kind == "reply" && case.acknowledged_on.is_some()).then_some(today);
        let log = LogEntry::for_record(
            "mailbox_message",
            self.clock.now(),
            &actor.label(),
            vec![("case".into(), id.to_string())],
            &json!({"case": id, "kind": kind, "ciphertext_sha256": hex::encode(sha256(&ciphertext))}),
        );
        Ok(self
            .store
            .add_message(
                id,
                &NewMailboxMessage {
                    author: format!("handler:{}", actor.key_id),
                    kind: kind.into(),
                    for_reporter,
                    created_on: today,
                    ciphertext,
                    attachments: vec![],
                },
                feedback,
                &log,
            )
            .await?)
    }

    async fn save_case(
        &self,
        actor: &Actor,
        before: &MailboxCase,
        after: &MailboxCase,
        kind: &str,
        record: serde_json::Value,
    ) -> Result<CaseSummary> {
        let log = LogEntry::for_record(
            kind,
            self.clock.now(),
            &actor.label(),
            vec![("case".into(), after.id.to_string())],
            &record,
        );
        self.store.update_case(&before.state, after, &log).await?;
        Ok(summary(after, self.clock.today()))
    }

    /// Moves a case along the workflow.
    pub async fn mailbox_transition(
        &self,
        actor: &Actor,
        id: i64,
        to: &str,
    ) -> Result<CaseSummary> {
        let (_h, case) = self.handled_case(actor, id).await?;
        let to = CaseState::parse(to).ok_or_else(|| {
            AppError::invalid(
                "to",
                "one of acknowledged, investigating, substantiated, unsubstantiated, closed",
            )
        })?;
        workflow::check_transition(&facts(&case), to)
            .map_err(|e| AppError::invalid("to", e.to_string()))?;
        let today = self.clock.today();
        let mut next = case.clone();
        next.state = to.as_str().into();
        match to {
            CaseState::Acknowledged => next.acknowledged_on = Some(today),
            CaseState::Substantiated | CaseState::Unsubstantiated => {
                next.outcome = Some(to.as_str().into());
                next.decided_on = Some(today);
            }
            CaseState::Closed => next.closed_on = Some(today),
            CaseState::Received | CaseState::Investigating => {}
        }
        if next.assignee_key_id.is_none() {
            next.assignee_key_id = Some(actor.key_id);
        }
        self.save_case(
            actor,
            &case,
            &next,
            "mailbox_case_state",
            json!({"case": id, "from": case.state, "to": next.state, "on": today.to_string()}),
        )
        .await
    }

    /// Assigns a case to a handler of its channel.
    pub async fn mailbox_assign(&self, actor: &Actor, id: i64, key_id: i64) -> Result<CaseSummary> {
        let (h, case) = self.handled_case(actor, id).await?;
        let target = self.store.handler_for_key(key_id).await?;
        if target.as_ref().is_none_or(|t| t.channel != h.channel) {
            return Err(AppError::invalid(
                "handler_key_id",
                "not a case handler of this channel",
            ));
        }
        let mut next = case.clone();
        next.assignee_key_id = Some(key_id);
        self.save_case(
            actor,
            &case,
            &next,
            "mailbox_case_assign",
            json!({"case": id, "assignee_key_id": key_id}),
        )
        .await
    }

    /// Publishes an anonymised summary of a substantiated case.
    pub async fn mailbox_publish(
        &self,
        actor: &Actor,
        id: i64,
        summary_text: &str,
        organization_id: Option<i64>,
        gtin: Option<String>,
    ) -> Result<CaseSummary> {
        let (_h, case) = self.handled_case(actor, id).await?;
        if case.outcome.as_deref() != Some(CaseState::Substantiated.as_str()) {
            return Err(AppError::Conflict(
                "only a substantiated case can be published".into(),
            ));
        }
        let text = self.check_text("summary", summary_text)?;
        if text.chars().count() > 4000 {
            return Err(AppError::invalid("summary", "at most 4000 characters"));
        }
        if let Some(org) = organization_id
            && self.store.get_org(org).await?.is_none()
        {
            return Err(AppError::invalid("organization_id", "no such organization"));
        }
        let gtin = optional_text("gtin", &gtin, 14)?;
        let mut next = case.clone();
        next.summary = Some(text.clone());
        next.published_on = Some(self.clock.today());
        next.published_org_id = organization_id;
        next.published_gtin = gtin.clone();
        self.save_case(
            actor,
            &case,
            &next,
            "mailbox_case_publish",
            json!({"case": id, "summary": text, "organization_id": organization_id, "gtin": gtin}),
        )
        .await
    }

    /// Published summaries, newest first (public).
    pub async fn mailbox_published(&self) -> Result<Vec<PublishedCase>> {
        let mut out = Vec::new();
        for c in self.store.list_cases(None).await?.into_iter().rev() {
            let Some(summary) = c.summary.clone() else {
                continue;
            };
            if c.published_on.is_none() {
                continue;
            }
            let organization = match c.published_org_id {
                Some(id) => self.store.get_org(id).await?.map(|o| o.name),
                None => None,
            };
            out.push(PublishedCase {
                id: c.id,
                category: c.category,
                received_on: c.received_on,
                published_on: c.published_on,
                summary,
                organization_id: c.published_org_id,
                organization,
                gtin: c.published_gtin,
            });
        }
        Ok(out)
    }

    /// Public statistics.
    pub async fn mailbox_stats(&self) -> Result<Stats> {
        let cases = self.store.list_cases(None).await?;
        let today = self.clock.today();
        let count = |f: &dyn Fn(&MailboxCase) -> bool| cases.iter().filter(|c| f(c)).count() as u64;
        let mut days: Vec<i64> = cases
            .iter()
            .filter_map(|c| c.acknowledged_on.map(|a| (a - c.received_on).num_days()))
            .collect();
        days.sort_unstable();
        let median = match days.len() {
            0 => None,
            n if n % 2 == 1 => Some(days[n / 2] as f64),
            n => Some((days[n / 2 - 1] + days[n / 2]) as f64 / 2.0),
        };
        Ok(Stats {
            received: cases.len() as u64,
            acknowledged: count(&|c| c.acknowledged_on.is_some()),
            substantiated: count(&|c| c.outcome.as_deref() == Some("substantiated")),
            unsubstantiated: count(&|c| c.outcome.as_deref() == Some("unsubstantiated")),
            closed: count(&|c| c.closed_on.is_some()),
            published: count(&|c| c.published_on.is_some()),
            overdue: count(&|c| {
                c.purged_on.is_none() && workflow::deadlines(&facts(c), today).overdue()
            }),
            median_days_to_acknowledge: median,
        })
    }

    /// Retention: purges the contents of cases closed more than `retention_days`
    /// ago. `actor` is `None` for the CLI operator; otherwise an administrator.
    pub async fn mailbox_purge(&self, actor: Option<&Actor>) -> Result<u64> {
        if let Some(a) = actor
            && !a.admin
        {
            return Err(AppError::Forbidden(
                "only an administrator may run retention".into(),
            ));
        }
        let today = self.clock.today();
        let keep = chrono::Days::new(u64::from(self.mb().retention_days));
        let ids: Vec<i64> = self
            .store
            .list_cases(None)
            .await?
            .iter()
            .filter(|c| c.purged_on.is_none())
            .filter(|c| {
                c.closed_on
                    .and_then(|d| d.checked_add_days(keep))
                    .is_some_and(|expiry| expiry < today)
            })
            .map(|c| c.id)
            .collect();
        if ids.is_empty() {
            return Ok(0);
        }
        let label = actor
            .map(Actor::label)
            .unwrap_or_else(|| "operator:cli".into());
        let log = LogEntry::for_record(
            "mailbox_purge",
            self.clock.now(),
            &label,
            vec![("cases".into(), ids.len().to_string())],
            &json!({"cases": ids, "on": today.to_string(), "retention_days": self.mb().retention_days}),
        );
        Ok(self.store.purge_cases(&ids, today, &log).await?)
    }
}
