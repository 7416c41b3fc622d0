-- Fraud-report mailbox (PostgreSQL). Dates are DATE (days only: no precise
-- times of reporters are kept); contents are age ciphertext (BYTEA).
CREATE TABLE mailbox_handlers (
    id         BIGSERIAL PRIMARY KEY,
    key_id     BIGINT NOT NULL UNIQUE REFERENCES api_keys(id),
    org_id     BIGINT NOT NULL REFERENCES organizations(id),
    channel    TEXT    NOT NULL,
    recipient  TEXT    NOT NULL,
    created_at TIMESTAMPTZ    NOT NULL
);
CREATE INDEX mailbox_handlers_channel ON mailbox_handlers(channel);

CREATE TABLE mailbox_cases (
    id               BIGSERIAL PRIMARY KEY,
    lookup           TEXT    UNIQUE,
    secret_hash      TEXT,
    reply_recipient  TEXT,
    channel          TEXT    NOT NULL,
    category         TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    outcome          TEXT,
    received_on      DATE    NOT NULL,
    acknowledged_on  DATE,
    feedback_on      DATE,
    decided_on       DATE,
    closed_on        DATE,
    assignee_key_id  BIGINT,
    recipients       TEXT    NOT NULL,
    summary          TEXT,
    published_on     DATE,
    published_org_id BIGINT,
    published_gtin   TEXT,
    purged_on        DATE
);
CREATE INDEX mailbox_cases_channel ON mailbox_cases(channel);

CREATE TABLE mailbox_messages (
    id           BIGSERIAL PRIMARY KEY,
    case_id      BIGINT NOT NULL REFERENCES mailbox_cases(id) ON DELETE CASCADE,
    author       TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    for_reporter BOOLEAN NOT NULL,
    created_on   DATE    NOT NULL,
    ciphertext   BYTEA    NOT NULL
);
CREATE INDEX mailbox_messages_case ON mailbox_messages(case_id);

CREATE TABLE mailbox_attachments (
    id         BIGSERIAL PRIMARY KEY,
    case_id    BIGINT NOT NULL REFERENCES mailbox_cases(id) ON DELETE CASCADE,
    message_id BIGINT NOT NULL REFERENCES mailbox_messages(id) ON DELETE CASCADE,
    ciphertext BYTEA    NOT NULL
);
CREATE INDEX mailbox_attachments_case ON mailbox_attachments(case_id);
