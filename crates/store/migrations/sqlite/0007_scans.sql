-- Scans (informational and authoritative), per-code scan buckets, batch norms, alerts.
CREATE TABLE scans (
    id         INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL,
    serial     TEXT    NOT NULL,
    batch_id   INTEGER NOT NULL,
    at         TEXT    NOT NULL,
    kind       INTEGER NOT NULL,
    org_id     INTEGER,
    step       TEXT,
    lat        REAL,
    lon        REAL,
    city       TEXT,
    region     TEXT
);
CREATE INDEX scans_code ON scans(product_id, serial, at);

-- One row per (code, day, coarse place) an informational scan was seen in.
CREATE TABLE scan_buckets (
    product_id INTEGER NOT NULL,
    serial     TEXT    NOT NULL,
    day        TEXT    NOT NULL,
    place      TEXT    NOT NULL,
    PRIMARY KEY (product_id, serial, day, place)
) WITHOUT ROWID;

CREATE TABLE batch_scan_stats (
    batch_id INTEGER PRIMARY KEY,
    items    INTEGER NOT NULL,
    buckets  INTEGER NOT NULL
);

CREATE TABLE alerts (
    id           INTEGER PRIMARY KEY,
    product_id   INTEGER NOT NULL,
    serial       TEXT    NOT NULL,
    batch_id     INTEGER NOT NULL,
    brand_org_id INTEGER NOT NULL,
    cause        TEXT    NOT NULL,
    level        TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    resolution   TEXT,
    detail       TEXT    NOT NULL,
    opened_at    TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);
CREATE UNIQUE INDEX alerts_one_open ON alerts(product_id, serial, cause) WHERE status <> 'closed';
CREATE INDEX alerts_brand ON alerts(brand_org_id, status);
