-- EPCIS 2.0 repository: eventID no longer unique (an error declaration repeats the
-- eventID of the event it corrects); de-duplication by the CBV 2.0 event hash among
-- events without an error declaration; normalised query keys; capture jobs; named queries.
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_event_id_key;
ALTER TABLE events ADD COLUMN event_hash TEXT;
UPDATE events SET event_hash = event_id;
ALTER TABLE events ALTER COLUMN event_hash SET NOT NULL;
ALTER TABLE events ADD COLUMN error_declared BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE events ADD COLUMN capture_job TEXT;
CREATE UNIQUE INDEX events_hash_unique ON events(event_hash) WHERE NOT error_declared;
CREATE INDEX events_event_id ON events(event_id);
DROP INDEX IF EXISTS events_time;
CREATE INDEX events_time ON events(event_time, id);
CREATE INDEX events_record_time ON events(record_time, id);
CREATE INDEX events_biz_step ON events(biz_step, event_time);
CREATE INDEX events_disposition ON events(disposition, event_time);
CREATE INDEX events_read_point ON events(read_point, event_time);
CREATE INDEX events_biz_location ON events(biz_location, event_time);
CREATE INDEX events_owner ON events(owner_org_id, id);

-- Normalised identifiers of an event, by role (see the SQLite migration).
CREATE TABLE event_keys (
    role     TEXT   NOT NULL,
    value    TEXT   COLLATE "C" NOT NULL,
    event_pk BIGINT NOT NULL,
    PRIMARY KEY (role, value, event_pk)
);
CREATE INDEX event_keys_event ON event_keys(event_pk);

CREATE TABLE capture_jobs (
    id            TEXT    PRIMARY KEY,
    owner_org_id  BIGINT  NOT NULL,
    actor         TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    behaviour     TEXT    NOT NULL,
    media_type    TEXT    NOT NULL,
    body          BYTEA,
    errors        TEXT    NOT NULL DEFAULT '[]',
    event_count   BIGINT  NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ
);
CREATE INDEX capture_jobs_owner ON capture_jobs(owner_org_id, created_at);

CREATE TABLE epcis_queries (
    name          TEXT    PRIMARY KEY,
    owner_org_id  BIGINT  NOT NULL,
    query         TEXT    NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
