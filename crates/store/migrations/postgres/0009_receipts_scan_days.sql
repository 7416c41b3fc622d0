-- The leaf indexes of the log entries a capture job appended, as inclusive
-- ranges ("5-7,9"): the job's receipt in the tamper-evident log.
ALTER TABLE capture_jobs ADD COLUMN log_indexes TEXT NOT NULL DEFAULT '';

-- Portal statistics count informational scans per day over the last days:
-- a range scan on (kind, at) instead of reading the whole table.
CREATE INDEX scans_kind_at ON scans(kind, at);
