//! UserStore for PgStore.

use chrono::{DateTime, Utc};

use super::*;
use crate::users::{NewUser, Session, User, UserLogFn};

const USER_COLS: &str = "id, org_id, key_id, username, password_hash, roles, created_at";

fn user_row_at(r: &Row, o: usize) -> User {
    let roles: String = r.get(o + 5);
    User {
        id: r.get(o),
        org_id: r.get(o + 1),
        key_id: r.get(o + 2),
        username: r.get(o + 3),
        password_hash: r.get(o + 4),
        roles: split_list(&roles),
        created_at: r.get(o + 6),
    }
}

fn user_row(r: &Row) -> Result<User> {
    Ok(user_row_at(r, 0))
}

#[async_trait]
impl crate::UserStore for PgStore {
    async fn create_user(&self, key: &NewApiKey, user: &NewUser, log: UserLogFn) -> Result<User> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        let krow = tx
            .query_one(
                &format!(
                    "INSERT INTO api_keys (org_id, lookup, secret_sha256, admin, label, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING {KEY_COLS}"
                ),
                &[
                    &key.org_id,
                    &key.lookup,
                    &key.secret_sha256,
                    &key.admin,
                    &key.label,
                    &key.created_at,
                ],
            )
            .await
            .map_err(db_err)?;
        let k = key_row(&krow)?;
        let roles = user.roles.join(",");
        let urow = tx
            .query_one(
                &format!(
                    "INSERT INTO users (org_id, key_id, username, password_hash, roles, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING {USER_COLS}"
                ),
                &[
                    &user.org_id,
                    &k.id,
                    &user.username,
                    &user.password_hash,
                    &roles,
                    &user.created_at,
                ],
            )
            .await
            .map_err(db_err)
            .map_err(|e| match e {
                StoreError::Conflict(m) if m.contains("username") => {
                    StoreError::Conflict("users.username".into())
                }
                other => other,
            })?;
        let u = user_row_at(&urow, 0);
        for e in log(&k, &u) {
            append_log(&tx, &e).await?;
        }
        commit(tx).await?;
        Ok(u)
    }

    async fn get_user(&self, id: i64) -> Result<Option<User>> {
        self.one(
            &format!("SELECT {USER_COLS} FROM users WHERE id = $1"),
            &[&id],
            user_row,
        )
        .await
    }

    async fn find_user(&self, username: &str) -> Result<Option<User>> {
        self.one(
            &format!("SELECT {USER_COLS} FROM users WHERE username = $1"),
            &[&username],
            user_row,
        )
        .await
    }

    async fn list_users(&self, org_id: i64) -> Result<Vec<User>> {
        self.many(
            &format!("SELECT {USER_COLS} FROM users WHERE org_id = $1 ORDER BY id"),
            &[&org_id],
            user_row,
        )
        .await
    }

    async fn create_session(&self, session: &Session, log: &LogEntry) -> Result<()> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        tx.execute(
            "INSERT INTO sessions (token_sha256, user_id, csrf_secret, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &session.token_sha256,
                &session.user_id,
                &session.csrf_secret,
                &session.created_at,
                &session.expires_at,
            ],
        )
        .await
        .map_err(db_err)?;
        append_log(&tx, log).await?;
        commit(tx).await
    }

    async fn find_session(&self, token_sha256: &str) -> Result<Option<(Session, User)>> {
        self.one(
            "SELECT s.token_sha256, s.user_id, s.csrf_secret, s.created_at, s.expires_at,
                    u.id, u.org_id, u.key_id, u.username, u.password_hash, u.roles, u.created_at
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_sha256 = $1",
            &[&token_sha256],
            |r| {
                Ok((
                    Session {
                        token_sha256: r.get(0),
                        user_id: r.get(1),
                        csrf_secret: r.get(2),
                        created_at: r.get(3),
                        expires_at: r.get(4),
                    },
                    user_row_at(r, 5),
                ))
            },
        )
        .await
    }

    async fn delete_session(&self, token_sha256: &str, log: Option<&LogEntry>) -> Result<bool> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        let n = tx
            .execute(
                "DELETE FROM sessions WHERE token_sha256 = $1",
                &[&token_sha256],
            )
            .await
            .map_err(db_err)?;
        if n > 0
            && let Some(e) = log
        {
            append_log(&tx, e).await?;
        }
        commit(tx).await?;
        Ok(n > 0)
    }

    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        let client = self.pool.get().await.map_err(pool_err)?;
        client
            .execute("DELETE FROM sessions WHERE expires_at < $1", &[&now])
            .await
            .map_err(db_err)
    }
}
