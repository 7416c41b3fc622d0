-- The registry's generation: one row, changed by every INSERT, UPDATE or DELETE of
-- the registry facts a verification answer shows (products, their manufacturers,
-- certificates with their issuer status), whoever writes them: this server, the CLI
-- on the same file, or plain SQL. A verification reads it with the code (one
-- statement) and serves the product, manufacturer and certificates from memory only
-- while it is unchanged (`store::regcache`). `n` counts the changes; `token` is
-- drawn anew at each one, so a file restored from a copy never matches facts cached
-- under the same count.
CREATE TABLE registry_generation (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    n     INTEGER NOT NULL,
    token INTEGER NOT NULL
);
INSERT INTO registry_generation (id, n, token) VALUES (1, 0, random());

CREATE TRIGGER registry_generation_products_insert AFTER INSERT ON products
BEGIN UPDATE registry_generation SET n = n + 1, token = random(); END;
CREATE TRIGGER registry_generation_products_update AFTER UPDATE ON products
BEGIN UPDATE registry_generation SET n = n + 1, token = random(); END;
CREATE TRIGGER registry_generation_products_delete AFTER DELETE ON products
BEGIN UPDATE registry_generation SET n = n + 1, token = random(); END;

CREATE TRIGGER registry_generation_organizations_insert AFTER INSERT ON organizations
BEGIN UPDATE registry_generation SET n = n + 1, token = random(); END;
CREATE TRIGGER registry_generation_organizations_update AFTER UPDATE ON organizations
BEGIN UPDATE registry_generation SET n = n + 1, token = random(); END;
CREATE TRIGGER registry_generation_organizations_delete AFTER DELETE ON organizations
BEGIN UPDATE registry_generation SET n = n + 1, token = random(); END;

CREATE TRIGGER registry_generation_certificates_insert AFTER INSERT ON certificates
BEGIN UPDATE registry_generation SET n = n + 1, token = random(); END;
CREATE TRIGGER registry_generation_certificates_update AFTER UPDATE ON certificates
BEGIN UPDATE registry_generation SET n = n + 1, token = random(); END;
CREATE TRIGGER registry_generation_certificates_delete AFTER DELETE ON certificates
BEGIN UPDATE registry_generation SET n = n + 1, token = random(); END;
