//! Receipts, their Argon2id hashes, the reporter's per-report age key, and age
//! encryption helpers.
//!
//! A receipt is 20 decimal digits shown in five groups of four. The first 8 digits
//! are a public *lookup* id (finds the row without scanning hashes); the last 12
//! are the *secret*, of which only an Argon2id PHC string is stored. The reporter's
//! reply key is a second Argon2id derivation of the same secret under a different
//! salt, turned into an age X25519 identity; its recipient is stored so handlers
//! can encrypt replies the reporter alone (with the receipt) can read.
//!
//! Argon2id parameters (OWASP 2023 minimum, ~30–60 ms on one core): m = 19 MiB,
//! t = 2, p = 1, 32-byte output, 16-byte random salt for the verifier.

use std::io::Write;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use bech32::ToBase32;
use rand::Rng;

use crate::{AppError, Result};

pub const LOOKUP_DIGITS: usize = 8;
pub const SECRET_DIGITS: usize = 12;

/// Argon2id memory cost in KiB.
pub const ARGON2_M_KIB: u32 = 19 * 1024;
pub const ARGON2_T: u32 = 2;
pub const ARGON2_P: u32 = 1;

fn argon2() -> Result<Argon2<'static>> {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, Some(32))
        .map_err(|e| AppError::Internal(format!("argon2 params: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A reporter's receipt. Never logged, never stored, never in a URL.
#[derive(Clone, PartialEq, Eq)]
pub struct Receipt {
    pub lookup: String,
    secret: String,
}

impl std::fmt::Debug for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Receipt({}…, secret redacted)", self.lookup)
    }
}

fn digits(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

impl Receipt {
    pub fn generate() -> Receipt {
        Receipt {
            lookup: digits(LOOKUP_DIGITS),
            secret: digits(SECRET_DIGITS),
        }
    }

    /// Accepts the 20 digits with any spaces or dashes between them.
    pub fn parse(text: &str) -> Option<Receipt> {
        let d: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if d.len() != LOOKUP_DIGITS + SECRET_DIGITS || !d.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Receipt {
            lookup: d[..LOOKUP_DIGITS].to_string(),
            secret: d[LOOKUP_DIGITS..].to_string(),
        })
    }

    /// `1234 5678 9012 3456 7890`
    pub fn display(&self) -> String {
        let all = format!("{}{}", self.lookup, self.secret);
        all.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The Argon2id PHC string stored for this receipt.
    pub fn hash(&self) -> Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        argon2()?
            .hash_password(self.secret.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("argon2: {e}")))
    }

    /// Checks the secret against a stored PHC string (constant time in the hash).
    pub fn verify(&self, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        let Ok(a) = argon2() else { return false };
        a.verify_password(self.secret.as_bytes(), &parsed).is_ok()
    }

    /// The reporter's age identity for this report: Argon2id(secret, salt =
    /// "ppetrace-mailbox-reply:" ‖ lookup), distinct from the stored verifier.
    pub fn reply_identity(&self) -> Result<age::x25519::Identity> {
        let salt = format!("ppetrace-mailbox-reply:{}", self.lookup);
        let mut key = [0u8; 32];
        argon2()?
            .hash_password_into(self.secret.as_bytes(), salt.as_bytes(), &mut key)
            .map_err(|e| AppError::Internal(format!("argon2: {e}")))?;
        let encoded = bech32::encode("age-secret-key-", key.to_base32(), bech32::Variant::Bech32)
            .map_err(|e| AppError::Internal(format!("bech32: {e}")))?;
        key.fill(0);
        encoded
            .to_uppercase()
            .parse::<age::x25519::Identity>()
            .map_err(|e| AppError::Internal(format!("age identity: {e}")))
    }
}

/// Spends the same effort as a real check, for unknown lookups (no timing oracle).
pub fn dummy_verify() {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let phc = DUMMY.get_or_init(|| Receipt::generate().hash().ok());
    if let Some(p) = phc {
        let _ = Receipt::generate().verify(p);
    }
}

/// Parses an `age1…` X25519 recipient.
pub fn parse_recipient(field: &str, s: &str) -> Result<age::x25519::Recipient> {
    s.trim()
        .parse::<age::x25519::Recipient>()
        .map_err(|e| AppError::invalid(field, format!("not an age X25519 recipient (age1…): {e}")))
}

/// Encrypts `plaintext` to every recipient (binary age format).
pub fn encrypt_to(recipients: &[String], plaintext: &[u8]) -> Result<Vec<u8>> {
    let parsed = recipients
        .iter()
        .map(|r| parse_recipient("recipient", r))
        .collect::<Result<Vec<_>>>()?;
    let enc = age::Encryptor::with_recipients(parsed.iter().map(|r| r as &dyn age::Recipient))
        .map_err(|e| AppError::Internal(format!("age: {e}")))?;
    let mut out = Vec::with_capacity(plaintext.len() + 512);
    let mut w = enc
        .wrap_output(&mut out)
        .map_err(|e| AppError::Internal(format!("age: {e}")))?;
    w.write_all(plaintext)
        .map_err(|e| AppError::Internal(format!("age: {e}")))?;
    w.finish()
        .map_err(|e| AppError::Internal(format!("age: {e}")))?;
    Ok(out)
}

/// Decrypts with one identity.
pub fn decrypt_with(identity: &age::x25519::Identity, ciphertext: &[u8]) -> Result<Vec<u8>> {
    age::decrypt(identity, ciphertext).map_err(|e| AppError::Internal(format!("age: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_parse_hash_and_derive() {
        let r = Receipt::generate();
        let shown = r.display();
        assert_eq!(shown.len(), 24);
        let back = Receipt::parse(&shown).expect("parse");
        assert_eq!(back, r);
        assert!(Receipt::parse("1234").is_none());
        assert!(Receipt::parse("1234 5678 9012 3456 789x").is_none());
        let phc = r.hash().expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(back.verify(&phc));
        assert!(!Receipt::generate().verify(&phc));
        let id1 = r.reply_identity().expect("id");
        let id2 = back.reply_identity().expect("id");
        assert_eq!(id1.to_public().to_string(), id2.to_public().to_string());
        let ct = encrypt_to(&[id1.to_public().to_string()], b"hello").expect("enc");
        assert_eq!(decrypt_with(&id2, &ct).expect("dec"), b"hello");
        let other = Receipt::generate().reply_identity().expect("id");
        assert!(decrypt_with(&other, &ct).is_err());
    }
}
