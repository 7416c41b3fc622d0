-- The registry's generation: one row, changed by every INSERT, UPDATE, DELETE or
-- TRUNCATE of the registry facts a verification answer shows (products, their
-- manufacturers, certificates with their issuer status), whoever writes them: any
-- API node on this database, the CLI, or plain SQL. A verification reads it with the
-- code (one statement) and serves the product, manufacturer and certificates from
-- memory only while it is unchanged (`store::regcache`). `n` counts the changes;
-- `token` is drawn anew at each one, so a database restored from a dump never
-- matches facts cached under the same count.
CREATE TABLE registry_generation (
    id    SMALLINT PRIMARY KEY CHECK (id = 1),
    n     BIGINT   NOT NULL,
    token BIGINT   NOT NULL
);
INSERT INTO registry_generation (id, n, token)
VALUES (1, 0, (random() * 4611686018427387904)::BIGINT);

CREATE FUNCTION registry_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE registry_generation
    SET n = n + 1, token = (random() * 4611686018427387904)::BIGINT
    WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER registry_generation_products
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
FOR EACH STATEMENT EXECUTE FUNCTION registry_generation_bump();
CREATE TRIGGER registry_generation_organizations
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organizations
FOR EACH STATEMENT EXECUTE FUNCTION registry_generation_bump();
CREATE TRIGGER registry_generation_certificates
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON certificates
FOR EACH STATEMENT EXECUTE FUNCTION registry_generation_bump();
