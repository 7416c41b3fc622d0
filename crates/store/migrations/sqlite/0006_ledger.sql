-- The employer's PPE ledger (GB 39800.1-2020, AQ 6111-2023). Product models already
-- carry their declared service life and whether it runs from manufacture or first
-- use (0001); periodic inspection intervals are rules by category (domain::ledger).

-- Workers: an employer-assigned pseudonymous code; the name is the employer's alone.
CREATE TABLE ledger_workers (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organizations(id),
    code       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    UNIQUE (org_id, code)
);

CREATE TABLE ledger_items (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organizations(id),
    site_id         INTEGER NOT NULL REFERENCES sites(id),
    gtin            TEXT    NOT NULL,
    serial          TEXT    NOT NULL,
    product_id      INTEGER REFERENCES products(id),
    batch_id        INTEGER REFERENCES batches(id),
    state           TEXT    NOT NULL,
    hold            TEXT,
    received_on     TEXT    NOT NULL,
    accepted_on     TEXT,
    worker_id       INTEGER REFERENCES ledger_workers(id),
    issued_on       TEXT,
    first_use       TEXT,
    replace_by      TEXT,
    last_inspected  TEXT,
    next_inspection TEXT,
    scrapped_on     TEXT,
    reason          TEXT,
    updated_at      TEXT    NOT NULL,
    UNIQUE (org_id, gtin, serial)
);
CREATE INDEX ledger_items_site ON ledger_items(site_id, state);
CREATE INDEX ledger_items_worker ON ledger_items(worker_id);
CREATE INDEX ledger_items_replace ON ledger_items(site_id, replace_by);
CREATE INDEX ledger_items_inspect ON ledger_items(site_id, next_inspection);

-- Append-only history of every ledger action.
CREATE TABLE ledger_records (
    id        INTEGER PRIMARY KEY,
    item_id   INTEGER NOT NULL REFERENCES ledger_items(id),
    org_id    INTEGER NOT NULL,
    at        TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    worker_id INTEGER REFERENCES ledger_workers(id),
    result    TEXT,
    note      TEXT,
    event_id  TEXT,
    actor     TEXT    NOT NULL
);
CREATE INDEX ledger_records_item ON ledger_records(item_id, id);
CREATE INDEX ledger_records_worker ON ledger_records(worker_id, id);
CREATE INDEX ledger_records_org ON ledger_records(org_id, id);
