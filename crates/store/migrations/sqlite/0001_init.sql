-- ppetrace schema v1 (SQLite). Dates are ISO-8601 text; times RFC 3339 UTC text.
CREATE TABLE organizations (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL,
    roles            TEXT    NOT NULL,
    gln              TEXT    UNIQUE,
    uscc             TEXT    UNIQUE,
    company_prefixes TEXT    NOT NULL DEFAULT '',
    city             TEXT,
    created_at       TEXT    NOT NULL
);

CREATE TABLE api_keys (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organizations(id),
    lookup        TEXT    NOT NULL UNIQUE,
    secret_sha256 TEXT    NOT NULL,
    admin         INTEGER NOT NULL DEFAULT 0,
    label         TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    revoked_at    TEXT
);

CREATE TABLE sites (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organizations(id),
    gln        TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    city       TEXT,
    region     TEXT,
    latitude   REAL,
    longitude  REAL,
    created_at TEXT    NOT NULL
);
CREATE INDEX sites_org ON sites(org_id);

CREATE TABLE products (
    id                  INTEGER PRIMARY KEY,
    org_id              INTEGER NOT NULL REFERENCES organizations(id),
    gtin                TEXT    NOT NULL UNIQUE,
    name                TEXT    NOT NULL,
    category            TEXT    NOT NULL,
    standard            TEXT    NOT NULL,
    protection_class    TEXT,
    service_life_months INTEGER,
    service_life_from   TEXT    NOT NULL,
    created_at          TEXT    NOT NULL
);
CREATE INDEX products_org ON products(org_id);

CREATE TABLE certificates (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    product_id  INTEGER REFERENCES products(id),
    kind        TEXT    NOT NULL,
    number      TEXT    NOT NULL,
    issuer      TEXT    NOT NULL,
    valid_from  TEXT    NOT NULL,
    valid_until TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    UNIQUE (kind, number)
);
CREATE INDEX certificates_product ON certificates(product_id);

CREATE TABLE batches (
    id              INTEGER PRIMARY KEY,
    product_id      INTEGER NOT NULL REFERENCES products(id),
    lot             TEXT    NOT NULL,
    production_date TEXT,
    expiry_date     TEXT,
    released        INTEGER NOT NULL DEFAULT 0,
    recalled_on     TEXT,
    recall_reason   TEXT,
    created_at      TEXT    NOT NULL,
    UNIQUE (product_id, lot)
);

-- One row per serialized item. Keyed for the verification lookup (GTIN's product +
-- serial); WITHOUT ROWID keeps one copy of the key.
CREATE TABLE codes (
    product_id    INTEGER NOT NULL,
    serial        TEXT    NOT NULL,
    batch_id      INTEGER NOT NULL,
    state         INTEGER NOT NULL DEFAULT 0,
    holder_org_id INTEGER,
    first_use     TEXT,
    PRIMARY KEY (product_id, serial)
) WITHOUT ROWID;
CREATE INDEX codes_batch ON codes(batch_id);

CREATE TABLE code_issuances (
    id          INTEGER PRIMARY KEY,
    batch_id    INTEGER NOT NULL REFERENCES batches(id),
    count       INTEGER NOT NULL,
    merkle_root TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    created_at  TEXT    NOT NULL
);

-- The EPCIS event repository: every lifecycle write of the platform and every
-- captured event. `body` is the event's JSON-LD.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    event_id     TEXT    NOT NULL UNIQUE,
    event_type   TEXT    NOT NULL,
    event_time   TEXT    NOT NULL,
    record_time  TEXT    NOT NULL,
    action       TEXT,
    biz_step     TEXT,
    disposition  TEXT,
    read_point   TEXT,
    biz_location TEXT,
    owner_org_id INTEGER,
    body         TEXT    NOT NULL
);
CREATE INDEX events_time ON events(event_time);

CREATE TABLE event_epcs (
    epc      TEXT    NOT NULL,
    event_pk INTEGER NOT NULL,
    PRIMARY KEY (epc, event_pk)
) WITHOUT ROWID;

-- Entries of the tamper-evident log, in append order (seq = leaf index).
CREATE TABLE log_entries (
    seq        INTEGER PRIMARY KEY,
    body       BLOB    NOT NULL,
    created_at TEXT    NOT NULL
);
