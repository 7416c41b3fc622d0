-- Double-random draws, inspection targets and inspectors, inspection records (SQLite).
-- Lists are JSON text; times RFC 3339 UTC text; dates ISO-8601 text.
CREATE TABLE inspection_targets (
    code            TEXT    PRIMARY KEY,
    org_id          INTEGER REFERENCES organizations(id),
    name            TEXT    NOT NULL,
    risk_class      TEXT    NOT NULL CHECK (risk_class IN ('A', 'B', 'C', 'D')),
    region          TEXT    NOT NULL,
    last_inspection TEXT,
    last_inspectors TEXT    NOT NULL DEFAULT '[]',
    complaint_count INTEGER NOT NULL DEFAULT 0,
    updated_at      TEXT    NOT NULL
);

CREATE TABLE inspectors (
    code         TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL,
    org_id       INTEGER NOT NULL REFERENCES organizations(id),
    api_key_id   INTEGER UNIQUE REFERENCES api_keys(id),
    region       TEXT    NOT NULL,
    affiliations TEXT    NOT NULL DEFAULT '[]',
    active       INTEGER NOT NULL DEFAULT 1,
    public_key   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);

CREATE TABLE item_lists (
    code       TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    items      TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE draws (
    id            INTEGER PRIMARY KEY,
    plan_id       TEXT    NOT NULL UNIQUE,
    item_list     TEXT    NOT NULL REFERENCES item_lists(code),
    plan          TEXT    NOT NULL,
    plan_hash     TEXT    NOT NULL,
    snapshot      TEXT    NOT NULL,
    snapshot_hash TEXT    NOT NULL,
    seed_inputs   TEXT,
    result        TEXT,
    commitment    TEXT,
    created_by    TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    seeded_at     TEXT,
    drawn_at      TEXT
);

CREATE TABLE inspection_records (
    id             INTEGER PRIMARY KEY,
    draw_id        INTEGER NOT NULL REFERENCES draws(id),
    target_code    TEXT    NOT NULL REFERENCES inspection_targets(code),
    inspector_code TEXT    NOT NULL REFERENCES inspectors(code),
    kind           TEXT    NOT NULL CHECK (kind IN ('inspection', 'correction', 'rectification')),
    refers_to      INTEGER REFERENCES inspection_records(id),
    body           TEXT    NOT NULL,
    body_sha256    TEXT    NOT NULL,
    signature      TEXT    NOT NULL,
    filed_at       TEXT    NOT NULL
);
CREATE INDEX inspection_records_target ON inspection_records(target_code);
CREATE INDEX inspection_records_inspector ON inspection_records(inspector_code);
CREATE INDEX inspection_records_draw ON inspection_records(draw_id);
