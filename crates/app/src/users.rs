//! Console users: creation, login (with per-username throttling), sessions, logout.
//!
//! A console user belongs to one organization and acts through an API key of its
//! own, created with the user and never shown; a session therefore resolves to the
//! same [`Actor`] an API key would, and the consoles are authorised by the same
//! `domain::authz` rules as the API. Passwords are stored as Argon2id PHC strings
//! (the mailbox's parameters: m = 19 MiB, t = 2, p = 1); session tokens (256 random
//! bits) only as SHA-256. Creation, login and logout are entries of the
//! tamper-evident log, which never carry a password, token or CSRF secret.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Duration, Utc};
use domain::authz::Actor;
use domain::log_entry::LogEntry;
use domain::org::Role;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use store::users::{NewUser, Session, User};

use crate::mailbox::crypto::{ARGON2_M_KIB, ARGON2_P, ARGON2_T};
use crate::{App, AppError, Result};

/// How long a session lasts after login.
pub const SESSION_TTL: Duration = Duration::hours(8);
/// Failed logins of one username allowed per [`THROTTLE_WINDOW`].
pub const THROTTLE_ATTEMPTS: usize = 5;
pub const THROTTLE_WINDOW: Duration = Duration::minutes(1);
pub const MIN_PASSWORD_CHARS: usize = 10;

/// What a console user may open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleRole {
    Manufacturer,
    Employer,
    Regulator,
    Inspector,
    CaseHandler,
    Admin,
}

impl ConsoleRole {
    pub const ALL: [ConsoleRole; 6] = [
        ConsoleRole::Manufacturer,
        ConsoleRole::Employer,
        ConsoleRole::Regulator,
        ConsoleRole::Inspector,
        ConsoleRole::CaseHandler,
        ConsoleRole::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsoleRole::Manufacturer => "manufacturer",
            ConsoleRole::Employer => "employer",
            ConsoleRole::Regulator => "regulator",
            ConsoleRole::Inspector => "inspector",
            ConsoleRole::CaseHandler => "case_handler",
            ConsoleRole::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<ConsoleRole> {
        ConsoleRole::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The organization role a console role needs (`None`: any organization).
    pub fn org_role(self) -> Option<Role> {
        match self {
            ConsoleRole::Manufacturer => Some(Role::Manufacturer),
            ConsoleRole::Employer => Some(Role::Employer),
            ConsoleRole::Regulator | ConsoleRole::Inspector | ConsoleRole::CaseHandler => {
                Some(Role::Regulator)
            }
            ConsoleRole::Admin => None,
        }
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct UserInput {
    pub org_id: i64,
    pub username: String,
    pub password: String,
    pub roles: Vec<String>,
}

/// A live console session.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub user: User,
    pub actor: Actor,
    pub roles: Vec<ConsoleRole>,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

impl ConsoleSession {
    pub fn has(&self, role: ConsoleRole) -> bool {
        self.roles.contains(&role)
    }
}

/// Why a login failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("wrong username or password")]
    Invalid,
    #[error("too many failed logins for this username; try again in a minute")]
    Throttled,
    #[error(transparent)]
    App(#[from] AppError),
}

/// Failed login attempts per username, in memory (per node, reconstructible).
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
}

impl Throttle {
    fn blocked(&self, username: &str, now: DateTime<Utc>) -> bool {
        let Ok(mut m) = self.failures.lock() else {
            return true;
        };
        // Keep the map small: drop usernames with no recent failure.
        if m.len() > 10_000 {
            m.retain(|_, v| v.iter().any(|t| now - *t < THROTTLE_WINDOW));
        }
        m.get_mut(username).is_some_and(|v| {
            v.retain(|t| now - *t < THROTTLE_WINDOW);
            v.len() >= THROTTLE_ATTEMPTS
        })
    }

    fn fail(&self, username: &str, now: DateTime<Utc>) {
        if let Ok(mut m) = self.failures.lock() {
            m.entry(username.to_string()).or_default().push(now);
        }
    }

    fn clear(&self, username: &str) {
        if let Ok(mut m) = self.failures.lock() {
            m.remove(username);
        }
    }
}

fn argon2() -> Result<Argon2<'static>> {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, Some(32))
        .map_err(|e| AppError::Internal(format!("argon2 params: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password (Argon2id PHC string); CPU-heavy, runs off the async threads.
pub async fn hash_password(password: &str) -> Result<String> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()?
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("argon2: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(format!("hashing task: {e}")))?
}

/// Checks a password against a PHC string (constant time inside argon2).
pub async fn verify_password(password: &str, phc: &str) -> bool {
    let (pw, phc) = (password.to_string(), phc.to_string());
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return false;
        };
        argon2().is_ok_and(|a| a.verify_password(pw.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A PHC string no password matches, to spend the same time on unknown usernames.
const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0000000000000000000000000000000000000000000";

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn check_username(u: &str) -> Result<String> {
    let u = u.trim().to_ascii_lowercase();
    if u.len() < 3
        || u.len() > 64
        || !u
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(AppError::invalid(
            "username",
            "must be 3 to 64 characters: letters, digits, '.', '_' or '-'",
        ));
    }
    Ok(u)
}

/// The canonical record of a user, as hashed into the log (never the hash).
pub fn user_record(u: &User) -> serde_json::Value {
    json!({"id": u.id, "org_id": u.org_id, "key_id": u.key_id, "username": u.username, "roles": u.roles})
}

fn session_label(u: &User) -> String {
    format!("org:{}/key:{}", u.org_id, u.key_id)
}

impl App {
    /// Creates a console user. `actor` is `None` only for the CLI bootstrap; an
    /// organization's key (or an administrator) creates users of that
    /// organization, only an administrator creates `admin` users.
    pub async fn create_user(&self, actor: Option<&Actor>, input: &UserInput) -> Result<User> {
        if let Some(a) = actor {
            domain::authz::manage_org(a, input.org_id)?;
        }
        let username = check_username(&input.username)?;
        let chars = input.password.chars().count();
        if !(MIN_PASSWORD_CHARS..=200).contains(&chars) {
            return Err(AppError::invalid(
                "password",
                format!("must be {MIN_PASSWORD_CHARS} to 200 characters"),
            ));
        }
        let org = self.store.get_org(input.org_id).await?.ok_or_else(|| {
            AppError::invalid(
                "org_id",
                format!("organization {} does not exist", input.org_id),
            )
        })?;
        if input.roles.is_empty() {
            return Err(AppError::invalid("roles", "give at least one console role"));
        }
        let mut roles = Vec::new();
        for r in &input.roles {
            let role = ConsoleRole::parse(r.trim()).ok_or_else(|| {
                AppError::invalid(
                    "roles",
                    format!("unknown console role '{r}' (manufacturer, employer, regulator, inspector, case_handler, admin)"),
                )
            })?;
            if let Some(needed) = role.org_role()
                && !org.roles.contains(&needed)
            {
                return Err(AppError::invalid(
                    "roles",
                    format!(
                        "console role {} needs an organization with the {} role",
                        role.as_str(),
                        needed.as_str()
                    ),
                ));
            }
            if !roles.contains(&role.as_str().to_string()) {
                roles.push(role.as_str().to_string());
            }
        }
        let admin = roles.iter().any(|r| r == "admin");
        if admin && actor.is_some_and(|a| !a.admin) {
            return Err(AppError::Forbidden(
                "only an administrator may create administrator users".into(),
            ));
        }
        let password_hash = hash_password(&input.password).await?;
        let now = self.clock.now();
        let label = actor
            .map(Actor::label)
            .unwrap_or_else(|| "operator:cli".into());
        let key = store::NewApiKey {
            org_id: org.id,
            lookup: random_hex(8),
            // The key's secret is never shown: the user acts through sessions only.
            secret_sha256: token_hash(&random_hex(32)),
            // Never a platform-administrator key (see `console_session`).
            admin: false,
            label: format!("console:{username}"),
            created_at: now,
        };
        self.store
            .create_user(
                &key,
                &NewUser {
                    org_id: org.id,
                    username,
                    password_hash,
                    roles,
                    created_at: now,
                },
                Box::new(move |k: &store::ApiKey, u: &User| {
                    vec![
                        LogEntry::for_record(
                            "api_key",
                            now,
                            &label,
                            vec![
                                ("api_key".into(), k.id.to_string()),
                                ("org".into(), k.org_id.to_string()),
                            ],
                            &crate::keys::api_key_record(k),
                        ),
                        LogEntry::for_record(
                            "console_user",
                            now,
                            &label,
                            vec![
                                ("user".into(), u.id.to_string()),
                                ("org".into(), u.org_id.to_string()),
                            ],
                            &user_record(u),
                        ),
                    ]
                }),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::Conflict(m) if m.contains("username") => {
                    AppError::Conflict("this username is taken".into())
                }
                other => other.into(),
            })
    }

    /// The users of an organization (its own key or an administrator).
    pub async fn list_users(&self, actor: &Actor, org_id: i64) -> Result<Vec<User>> {
        domain::authz::manage_org(actor, org_id)?;
        Ok(self.store.list_users(org_id).await?)
    }

    /// Checks a username and password; on success stores a new session and
    /// returns its token (for the cookie) and the session.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
    ) -> std::result::Result<(String, ConsoleSession), LoginError> {
        let name = username.trim().to_ascii_lowercase();
        let now = self.clock.now();
        if self.users.blocked(&name, now) {
            return Err(LoginError::Throttled);
        }
        let user = self.store.find_user(&name).await.map_err(AppError::from)?;
        let phc = user
            .as_ref()
            .map_or(DUMMY_PHC, |u| u.password_hash.as_str());
        let ok = verify_password(password, phc).await;
        let Some(user) = user.filter(|_| ok) else {
            self.users.fail(&name, now);
            return Err(LoginError::Invalid);
        };
        self.users.clear(&name);
        let token = random_hex(32);
        let session = Session {
            token_sha256: token_hash(&token),
            user_id: user.id,
            csrf_secret: random_hex(32),
            created_at: now,
            expires_at: now + SESSION_TTL,
        };
        let log = LogEntry::for_record(
            "console_login",
            now,
            &session_label(&user),
            vec![("user".into(), user.id.to_string())],
            &json!({"user": user.id, "org_id": user.org_id, "expires_at": session.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)}),
        );
        self.store
            .create_session(&session, &log)
            .await
            .map_err(AppError::from)?;
        let s = self
            .console_session(session, user)
            .await?
            .ok_or(LoginError::Invalid)?;
        Ok((token, s))
    }

    async fn console_session(&self, s: Session, user: User) -> Result<Option<ConsoleSession>> {
        // The user's key must still be active and its organization present.
        if self.store.api_key_org(user.key_id).await? != Some(user.org_id) {
            return Ok(None);
        }
        let Some(org) = self.store.get_org(user.org_id).await? else {
            return Ok(None);
        };
        let roles: Vec<ConsoleRole> = user
            .roles
            .iter()
            .filter_map(|r| ConsoleRole::parse(r))
            .collect();
        // The console role `admin` makes a user its organization's user
        // administrator (the users page), never a platform administrator: the
        // session acts with its organization's roles only. Platform
        // administration stays with administrator API keys.
        let actor = Actor {
            key_id: user.key_id,
            org_id: org.id,
            roles: org.roles,
            admin: false,
        };
        Ok(Some(ConsoleSession {
            user,
            actor,
            roles,
            csrf: s.csrf_secret,
            expires_at: s.expires_at,
        }))
    }

    /// The live session of a cookie token; expired sessions are deleted and `None`.
    pub async fn session(&self, token: &str) -> Result<Option<ConsoleSession>> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let hash = token_hash(token);
        let Some((s, user)) = self.store.find_session(&hash).await? else {
            return Ok(None);
        };
        if s.expires_at <= self.clock.now() {
            self.store.delete_session(&hash, None).await?;
            return Ok(None);
        }
        self.console_session(s, user).await
    }

    /// Deletes the session server-side (logged). Returns whether one existed.
    pub async fn logout(&self, token: &str) -> Result<bool> {
        let hash = token_hash(token);
        let Some((_, user)) = self.store.find_session(&hash).await? else {
            return Ok(false);
        };
        let now = self.clock.now();
        let log = LogEntry::for_record(
            "console_logout",
            now,
            &session_label(&user),
            vec![("user".into(), user.id.to_string())],
            &json!({"user": user.id, "org_id": user.org_id}),
        );
        Ok(self.store.delete_session(&hash, Some(&log)).await?)
    }

    /// Removes expired sessions (housekeeping; not logged).
    pub async fn purge_sessions(&self) -> Result<u64> {
        Ok(self.store.purge_sessions(self.clock.now()).await?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn demo_inspector_key_is_the_pem_openssl_writes() {
        // `openssl genpkey -algorithm ed25519` (OpenSSL 3.0) output for this seed.
        let seed: [u8; 32] =
            hex::decode("119356b6c0cee9ad6e2261bf0937713f4ba7470daf3d182e99ebb245bd3ef11c")
                .unwrap()
                .try_into()
                .unwrap();
        assert_eq!(
            ed25519_pkcs8_pem(&seed),
            "-----BEGIN PRIVATE KEY-----\n\
             MC4CAQAwBQYDK2VwBCIEIBGTVrbAzumtbiJhvwk3cT9Lp0cNrz0YLpnrskW9PvEc\n\
             -----END PRIVATE KEY-----\n"
        );
    }

    #[test]
    fn dummy_hash_parses_so_unknown_users_cost_the_same() {
        assert!(PasswordHash::new(DUMMY_PHC).is_ok());
    }

    #[tokio::test]
    async fn passwords_round_trip() {
        let h = hash_password("correct horse").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse", &h).await);
        assert!(!verify_password("correct horsf", &h).await);
        assert!(!verify_password("correct horse", DUMMY_PHC).await);
    }

    #[test]
    fn throttle_blocks_after_five_failures_per_minute() {
        let t = Throttle::default();
        let now = Utc::now();
        for _ in 0..THROTTLE_ATTEMPTS {
            assert!(!t.blocked("u", now));
            t.fail("u", now);
        }
        assert!(t.blocked("u", now));
        assert!(!t.blocked("other", now));
        assert!(!t.blocked("u", now + THROTTLE_WINDOW));
    }

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(check_username(" Maker.One ").unwrap(), "maker.one");
        assert!(check_username("ab").is_err());
        assert!(check_username("a b c").is_err());
    }
}

/// A console user of the demo, printed by `serve --demo`.
#[derive(Debug, Clone)]
pub struct DemoUser {
    pub role: &'static str,
    pub username: String,
    pub password: String,
    /// The demo inspector's Ed25519 key (PKCS#8 PEM, as `openssl genpkey -algorithm
    /// ed25519` writes it) or the demo case handler's age identity file, for trying
    /// the consoles' in-browser signing and decryption. `serve --demo` writes it to
    /// the data directory; nothing else of the platform ever holds such a key.
    pub key_file: Option<String>,
}

/// An Ed25519 private key (its 32-byte seed) as PKCS#8 PEM (RFC 8410).
pub fn ed25519_pkcs8_pem(seed: &[u8; 32]) -> String {
    use base64::Engine;
    // SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING seed } }
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(seed);
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(der)
    )
}

impl App {
    /// Creates the demo's console users: a manufacturer and an employer (each also
    /// their organization's user administrator), a regulator, an inspector (its key
    /// registered as inspector `DEMO-I1`) and a case handler (its key registered as a
    /// mailbox handler). Passwords are random and printed once.
    pub async fn seed_demo_users(
        &self,
        regulator: &Actor,
        maker_org: i64,
        employer_org: i64,
    ) -> Result<Vec<DemoUser>> {
        let specs: [(&'static str, &str, i64, &[&str]); 5] = [
            (
                "manufacturer",
                "maker",
                maker_org,
                &["manufacturer", "admin"],
            ),
            ("employer", "employer", employer_org, &["employer", "admin"]),
            ("regulator", "regulator", regulator.org_id, &["regulator"]),
            ("inspector", "inspector", regulator.org_id, &["inspector"]),
            (
                "case-handler",
                "handler",
                regulator.org_id,
                &["case_handler"],
            ),
        ];
        let mut out = Vec::new();
        for (role, username, org_id, roles) in specs {
            let password = random_hex(8);
            let user = self
                .create_user(
                    None,
                    &UserInput {
                        org_id,
                        username: username.into(),
                        password: password.clone(),
                        roles: roles.iter().map(|r| r.to_string()).collect(),
                    },
                )
                .await?;
            let actor = Actor {
                key_id: user.key_id,
                org_id,
                roles: vec![Role::Regulator],
                admin: false,
            };
            let mut key_file = None;
            match role {
                "inspector" => {
                    let mut seed = [0u8; 32];
                    rand::rng().fill_bytes(&mut seed);
                    let pk = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
                    key_file = Some(ed25519_pkcs8_pem(&seed));
                    self.put_inspector(
                        regulator,
                        &crate::draws::InspectorInput {
                            code: "DEMO-I1".into(),
                            name: "Demo inspector 演示检查员".into(),
                            api_key_id: Some(user.key_id),
                            region: "Wuhan".into(),
                            affiliations: vec![],
                            active: true,
                            public_key: hex::encode(pk.as_bytes()),
                        },
                    )
                    .await?;
                }
                "case-handler" => {
                    use age::secrecy::ExposeSecret;
                    let id = age::x25519::Identity::generate();
                    let recipient = id.to_public().to_string();
                    self.mailbox_register_handler(&actor, &recipient, None)
                        .await?;
                    key_file = Some(format!(
                        "# ppetrace mailbox handler identity (demo)\n# public key: {recipient}\n{}\n",
                        id.to_string().expose_secret()
                    ));
                }
                _ => {}
            }
            out.push(DemoUser {
                role,
                username: user.username,
                password,
                key_file,
            });
        }
        Ok(out)
    }
}
