-- Console users and their sessions. Each user acts through an API key of its own
-- organization (created with the user; its secret is never shown), so the
-- consoles and the API share one identity model and one set of authorisation rules.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organizations(id),
    key_id        INTEGER NOT NULL UNIQUE REFERENCES api_keys(id),
    username      TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    roles         TEXT    NOT NULL,
    created_at    TEXT    NOT NULL
);
CREATE UNIQUE INDEX users_username ON users(username);
CREATE INDEX users_org ON users(org_id);

-- Only the SHA-256 of a session token is stored; the CSRF secret is per session.
CREATE TABLE sessions (
    token_sha256 TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    csrf_secret  TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);
