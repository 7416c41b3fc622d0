//! UserStore for SqliteStore.

use super::*;
use crate::users::{NewUser, Session, User, UserLogFn};

const USER_COLS: &str = "id, org_id, key_id, username, password_hash, roles, created_at";

fn user_row_at(r: &Row<'_>, o: usize) -> rusqlite::Result<User> {
    let roles: String = r.get(o + 5)?;
    Ok(User {
        id: r.get(o)?,
        org_id: r.get(o + 1)?,
        key_id: r.get(o + 2)?,
        username: r.get(o + 3)?,
        password_hash: r.get(o + 4)?,
        roles: split_list(&roles),
        created_at: parse_ts(r.get(o + 6)?)?,
    })
}

fn user_row(r: &Row<'_>) -> rusqlite::Result<User> {
    user_row_at(r, 0)
}

fn username_conflict(e: StoreError) -> StoreError {
    match e {
        StoreError::Conflict(m) if m.contains("username") => {
            StoreError::Conflict("users.username".into())
        }
        other => other,
    }
}

#[async_trait]
impl crate::UserStore for SqliteStore {
    async fn create_user(&self, key: &NewApiKey, user: &NewUser, log: UserLogFn) -> Result<User> {
        owned!(key, user);
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO api_keys (org_id, lookup, secret_sha256, admin, label, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    key.org_id,
                    key.lookup,
                    key.secret_sha256,
                    key.admin,
                    key.label,
                    ts(&key.created_at)
                ],
            )
            .map_err(db_err)?;
            let key_id = tx.last_insert_rowid();
            let k = tx
                .query_row(
                    &format!("SELECT {KEY_COLS} FROM api_keys WHERE id = ?1"),
                    [key_id],
                    key_row,
                )
                .map_err(db_err)?;
            tx.execute(
                "INSERT INTO users (org_id, key_id, username, password_hash, roles, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    user.org_id,
                    key_id,
                    user.username,
                    user.password_hash,
                    user.roles.join(","),
                    ts(&user.created_at)
                ],
            )
            .map_err(db_err)
            .map_err(username_conflict)?;
            let id = tx.last_insert_rowid();
            let u = tx
                .query_row(
                    &format!("SELECT {USER_COLS} FROM users WHERE id = ?1"),
                    [id],
                    user_row,
                )
                .map_err(db_err)?;
            for e in log(&k, &u) {
                append_log(tx, &e).map_err(db_err)?;
            }
            Ok(u)
        })
        .await
    }

    async fn get_user(&self, id: i64) -> Result<Option<User>> {
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {USER_COLS} FROM users WHERE id = ?1"),
                [id],
                user_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn find_user(&self, username: &str) -> Result<Option<User>> {
        let username = username.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {USER_COLS} FROM users WHERE username = ?1"),
                [username],
                user_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn list_users(&self, org_id: i64) -> Result<Vec<User>> {
        self.read(move |c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {USER_COLS} FROM users WHERE org_id = ?1 ORDER BY id"
                ))
                .map_err(db_err)?;
            let rows = st.query_map([org_id], user_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn create_session(&self, session: &Session, log: &LogEntry) -> Result<()> {
        owned!(session, log);
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO sessions (token_sha256, user_id, csrf_secret, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    session.token_sha256,
                    session.user_id,
                    session.csrf_secret,
                    ts(&session.created_at),
                    ts(&session.expires_at)
                ],
            )
            .map_err(db_err)?;
            append_log(tx, &log).map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn find_session(&self, token_sha256: &str) -> Result<Option<(Session, User)>> {
        let token = token_sha256.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT s.token_sha256, s.user_id, s.csrf_secret, s.created_at, s.expires_at,
                        u.id, u.org_id, u.key_id, u.username, u.password_hash, u.roles, u.created_at
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_sha256 = ?1",
                [token],
                |r| {
                    Ok((
                        Session {
                            token_sha256: r.get(0)?,
                            user_id: r.get(1)?,
                            csrf_secret: r.get(2)?,
                            created_at: parse_ts(r.get(3)?)?,
                            expires_at: parse_ts(r.get(4)?)?,
                        },
                        user_row_at(r, 5)?,
                    ))
                },
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn delete_session(&self, token_sha256: &str, log: Option<&LogEntry>) -> Result<bool> {
        let token = token_sha256.to_string();
        let log = log.cloned();
        self.write(move |tx| {
            let n = tx
                .execute("DELETE FROM sessions WHERE token_sha256 = ?1", [token])
                .map_err(db_err)?;
            if n > 0
                && let Some(e) = &log
            {
                append_log(tx, e).map_err(db_err)?;
            }
            Ok(n > 0)
        })
        .await
    }

    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        self.write(move |tx| {
            let n = tx
                .execute("DELETE FROM sessions WHERE expires_at < ?1", [ts(&now)])
                .map_err(db_err)?;
            Ok(n as u64)
        })
        .await
    }
}
