-- Identifiers compare byte by byte.
--
-- GS1 identifiers, serials, event hashes and CBV names are ASCII: they have no
-- linguistic order. Under the database's default collation (often `C.UTF-8` or
-- `en_US.UTF-8`) every comparison in their B-trees went through the C library's
-- `strcoll` (about 7 % of PostgreSQL's CPU while issuing codes into a large product
-- model), and the order of those indexes depended on the operating system's locale
-- data, which changes between glibc releases. Under `C` they compare with `memcmp`,
-- sort as SQLite's BINARY does, and their indexes do not depend on the OS.
--
-- Only the collation changes, so PostgreSQL rebuilds the indexes on these columns
-- and does not rewrite the tables. Columns compared with one another change together
-- (an equality between two different implicit collations is an error).
ALTER TABLE products ALTER COLUMN gtin TYPE TEXT COLLATE "C";
ALTER TABLE batches ALTER COLUMN lot TYPE TEXT COLLATE "C";
ALTER TABLE codes ALTER COLUMN serial TYPE TEXT COLLATE "C";
ALTER TABLE scans ALTER COLUMN serial TYPE TEXT COLLATE "C";
ALTER TABLE scan_buckets
    ALTER COLUMN serial TYPE TEXT COLLATE "C",
    ALTER COLUMN place TYPE TEXT COLLATE "C";
ALTER TABLE alerts ALTER COLUMN serial TYPE TEXT COLLATE "C";
ALTER TABLE events
    ALTER COLUMN event_id TYPE TEXT COLLATE "C",
    ALTER COLUMN event_hash TYPE TEXT COLLATE "C",
    ALTER COLUMN biz_step TYPE TEXT COLLATE "C",
    ALTER COLUMN disposition TYPE TEXT COLLATE "C",
    ALTER COLUMN read_point TYPE TEXT COLLATE "C",
    ALTER COLUMN biz_location TYPE TEXT COLLATE "C";
ALTER TABLE event_keys ALTER COLUMN role TYPE TEXT COLLATE "C";
