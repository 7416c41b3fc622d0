-- EPCIS 2.0 repository: eventID no longer unique (an error declaration repeats the
-- eventID of the event it corrects); de-duplication by the CBV 2.0 event hash among
-- events without an error declaration; normalised query keys; capture jobs; named queries.
CREATE TABLE events_v3 (
    id             INTEGER PRIMARY KEY,
    event_id       TEXT    NOT NULL,
    event_hash     TEXT    NOT NULL,
    error_declared INTEGER NOT NULL DEFAULT 0,
    event_type     TEXT    NOT NULL,
    event_time     TEXT    NOT NULL,
    record_time    TEXT    NOT NULL,
    action         TEXT,
    biz_step       TEXT,
    disposition    TEXT,
    read_point     TEXT,
    biz_location   TEXT,
    owner_org_id   INTEGER,
    capture_job    TEXT,
    body           TEXT    NOT NULL
);
INSERT INTO events_v3 (id, event_id, event_hash, error_declared, event_type, event_time, record_time,
                       action, biz_step, disposition, read_point, biz_location, owner_org_id, body)
SELECT id, event_id, event_id, 0, event_type, event_time, record_time,
       action, biz_step, disposition, read_point, biz_location, owner_org_id, body FROM events;
DROP TABLE events;
ALTER TABLE events_v3 RENAME TO events;
CREATE UNIQUE INDEX events_hash_unique ON events(event_hash) WHERE error_declared = 0;
CREATE INDEX events_event_id ON events(event_id);
CREATE INDEX events_time ON events(event_time, id);
CREATE INDEX events_record_time ON events(record_time, id);
CREATE INDEX events_biz_step ON events(biz_step, event_time);
CREATE INDEX events_disposition ON events(disposition, event_time);
CREATE INDEX events_read_point ON events(read_point, event_time);
CREATE INDEX events_biz_location ON events(biz_location, event_time);
CREATE INDEX events_owner ON events(owner_org_id, id);

-- Normalised identifiers of an event, by role: epc (epcList + childEPCs), parent, input,
-- output, class (quantityList + childQuantityList), inclass, outclass, and gtin (GTIN of
-- any identifier without its indicator digit, for company-prefix visibility).
CREATE TABLE event_keys (
    role     TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    event_pk INTEGER NOT NULL,
    PRIMARY KEY (role, value, event_pk)
) WITHOUT ROWID;
CREATE INDEX event_keys_event ON event_keys(event_pk);

CREATE TABLE capture_jobs (
    id            TEXT    PRIMARY KEY,
    owner_org_id  INTEGER NOT NULL,
    actor         TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    behaviour     TEXT    NOT NULL,
    media_type    TEXT    NOT NULL,
    body          BLOB,
    errors        TEXT    NOT NULL DEFAULT '[]',
    event_count   INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    finished_at   TEXT
);
CREATE INDEX capture_jobs_owner ON capture_jobs(owner_org_id, created_at);

CREATE TABLE epcis_queries (
    name          TEXT    PRIMARY KEY,
    owner_org_id  INTEGER NOT NULL,
    query         TEXT    NOT NULL,
    created_at    TEXT    NOT NULL
);
