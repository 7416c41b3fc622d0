-- Tamper-evident log (issue 5): the Merkle tree and its signed checkpoints.
-- log_entries.seq is the leaf index, assigned when the record commits.
ALTER TABLE log_entries ADD COLUMN entry_sha256 BYTEA;
CREATE INDEX log_entries_entry_sha256 ON log_entries (entry_sha256);

-- Stored hashes of the tree, addressed like Go's sumdb/tlog StoredHashIndex.
CREATE TABLE log_hashes (
    idx  BIGINT PRIMARY KEY,
    hash BYTEA  NOT NULL
);

-- Every signed checkpoint; the largest size is the current tree.
-- note carries the log signature and, once witnessed, the cosignatures.
CREATE TABLE log_checkpoints (
    size       BIGINT PRIMARY KEY,
    root       BYTEA  NOT NULL,
    note       BYTEA  NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
