//! API keys: `ppt_<lookup>_<secret>`. The lookup part finds the row; only the
//! SHA-256 of the secret is stored (keys carry 160 random bits, so a fast hash is
//! enough; passwords typed by people use Argon2id instead). Shown once.

use domain::authz::Actor;
use domain::log_entry::LogEntry;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{App, AppError, Result};

pub struct NewKey {
    pub key: store::ApiKey,
    /// The full key, to show once.
    pub secret: String,
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// The canonical record of an API key, as hashed into the log: never its secret, but the
/// SHA-256 of its 160-bit secret, so that an operator who swaps a key's secret in the
/// database (to act as that organization) is caught by `ppetrace audit --local`.
pub fn api_key_record(k: &store::ApiKey) -> serde_json::Value {
    json!({
        "id": k.id,
        "org_id": k.org_id,
        "lookup": k.lookup,
        "secret_sha256": k.secret_sha256,
        "admin": k.admin,
        "label": k.label,
    })
}

impl App {
    /// Creates a key for `org_id`. `actor` is `None` only for the CLI bootstrap.
    pub async fn create_api_key(
        &self,
        actor: Option<&Actor>,
        org_id: i64,
        admin: bool,
        label: &str,
    ) -> Result<NewKey> {
        if let Some(a) = actor {
            domain::authz::manage_org(a, org_id)?;
            if admin && !a.admin {
                return Err(AppError::Forbidden(
                    "only an administrator may create administrator keys".into(),
                ));
            }
        }
        let label = domain::error::require_text("label", label, 100)?;
        self.store
            .get_org(org_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("organization {org_id}")))?;
        let lookup = random_hex(8);
        let secret = random_hex(20);
        let full = format!("ppt_{lookup}_{secret}");
        let now = self.clock.now();
        let actor_label = actor
            .map(Actor::label)
            .unwrap_or_else(|| "operator:cli".into());
        let key = self
            .store
            .create_api_key(
                &store::NewApiKey {
                    org_id,
                    lookup,
                    secret_sha256: sha256_hex(&secret),
                    admin,
                    label,
                    created_at: now,
                },
                Box::new(move |k: &store::ApiKey| {
                    LogEntry::for_record(
                        "api_key",
                        now,
                        &actor_label,
                        vec![
                            ("api_key".into(), k.id.to_string()),
                            ("org".into(), k.org_id.to_string()),
                            ("lookup".into(), k.lookup.clone()),
                        ],
                        &api_key_record(k),
                    )
                }),
            )
            .await?;
        Ok(NewKey { key, secret: full })
    }

    /// Resolves a presented key to an actor; any malformed, unknown, revoked or
    /// wrong key is `Unauthenticated` (no hint which).
    pub async fn authenticate(&self, presented: &str) -> Result<Actor> {
        let mut parts = presented.trim().splitn(3, '_');
        let (Some("ppt"), Some(lookup), Some(secret)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(AppError::Unauthenticated);
        };
        if lookup.len() != 16 || !lookup.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::Unauthenticated);
        }
        let Some(key) = self.store.find_api_key(lookup).await? else {
            return Err(AppError::Unauthenticated);
        };
        let given = sha256_hex(secret);
        if !bool::from(given.as_bytes().ct_eq(key.secret_sha256.as_bytes()))
            || key.revoked_at.is_some()
        {
            return Err(AppError::Unauthenticated);
        }
        let org = self
            .store
            .get_org(key.org_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok(Actor {
            key_id: key.id,
            org_id: org.id,
            roles: org.roles,
            admin: key.admin,
        })
    }
}
