-- Exporting a batch pages through its serials in order (keyset: serial > last).
-- With an index on batch_id alone every page sorted the whole batch (quadratic:
-- minutes for 10 M codes); on (batch_id, serial) each page is a range scan.
DROP INDEX codes_batch;
CREATE INDEX codes_batch ON codes(batch_id, serial);
