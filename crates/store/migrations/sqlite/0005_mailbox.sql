-- Fraud-report mailbox (SQLite). Dates are ISO-8601 text (days only: no precise
-- times of reporters are kept); contents are age ciphertext (BLOB).
CREATE TABLE mailbox_handlers (
    id         INTEGER PRIMARY KEY,
    key_id     INTEGER NOT NULL UNIQUE REFERENCES api_keys(id),
    org_id     INTEGER NOT NULL REFERENCES organizations(id),
    channel    TEXT    NOT NULL,
    recipient  TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE INDEX mailbox_handlers_channel ON mailbox_handlers(channel);

CREATE TABLE mailbox_cases (
    id               INTEGER PRIMARY KEY,
    lookup           TEXT    UNIQUE,
    secret_hash      TEXT,
    reply_recipient  TEXT,
    channel          TEXT    NOT NULL,
    category         TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    outcome          TEXT,
    received_on      TEXT    NOT NULL,
    acknowledged_on  TEXT,
    feedback_on      TEXT,
    decided_on       TEXT,
    closed_on        TEXT,
    assignee_key_id  INTEGER,
    recipients       TEXT    NOT NULL,
    summary          TEXT,
    published_on     TEXT,
    published_org_id INTEGER,
    published_gtin   TEXT,
    purged_on        TEXT
);
CREATE INDEX mailbox_cases_channel ON mailbox_cases(channel);

CREATE TABLE mailbox_messages (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES mailbox_cases(id) ON DELETE CASCADE,
    author       TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    for_reporter INTEGER NOT NULL,
    created_on   TEXT    NOT NULL,
    ciphertext   BLOB    NOT NULL
);
CREATE INDEX mailbox_messages_case ON mailbox_messages(case_id);

CREATE TABLE mailbox_attachments (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES mailbox_cases(id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL REFERENCES mailbox_messages(id) ON DELETE CASCADE,
    ciphertext BLOB    NOT NULL
);
CREATE INDEX mailbox_attachments_case ON mailbox_attachments(case_id);
