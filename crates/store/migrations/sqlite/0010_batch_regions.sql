-- Regions each batch's items were handled in by an organization (the region of the
-- site of every authoritative scan: commissioning, shipping, receiving, ...), kept by
-- `record_scans` as authoritative scans are stored. `received` marks regions that saw
-- a receipt: the "unshipped region" clone rule is on for a batch once it has one.
CREATE TABLE batch_regions (
    batch_id INTEGER NOT NULL,
    region   TEXT    NOT NULL,
    received INTEGER NOT NULL,
    PRIMARY KEY (batch_id, region)
) WITHOUT ROWID;

INSERT INTO batch_regions (batch_id, region, received)
SELECT batch_id, region, MAX(CASE WHEN step = 'receiving' THEN 1 ELSE 0 END)
FROM scans
WHERE kind = 1 AND region IS NOT NULL AND TRIM(region) <> ''
GROUP BY batch_id, region;
