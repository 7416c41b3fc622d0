//! Abuse control without IP addresses: a hashcash-style proof of work on stateless,
//! HMAC-signed challenges, and global (not per-client) token buckets.
//!
//! Challenge: `v1.<issued unix s>.<bits>.<16 random hex>.<HMAC-SHA256 hex, 128 bits>`.
//! Solution: a decimal nonce such that SHA-256(`<challenge>:<nonce>`) starts with
//! `bits` zero bits. A challenge is valid for [`CHALLENGE_TTL_SECS`] and is accepted
//! once per process (a bounded in-memory set of spent challenges).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const CHALLENGE_TTL_SECS: i64 = 600;
const MAX_SPENT: usize = 100_000;

type HmacSha256 = Hmac<Sha256>;

/// Process-wide state of the mailbox's abuse control.
pub struct Guard {
    key: [u8; 32],
    spent: Mutex<HashMap<String, i64>>,
    submissions: Mutex<Bucket>,
    checks: Mutex<Bucket>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Guard(..)")
    }
}

/// A token bucket refilled continuously at `per_minute`.
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(capacity: f64) -> Bucket {
        Bucket {
            tokens: capacity,
            last: Instant::now(),
        }
    }

    fn take(&mut self, per_minute: u32) -> bool {
        let cap = f64::from(per_minute.max(1));
        let now = Instant::now();
        let dt = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + dt * cap / 60.0).min(cap);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

pub fn leading_zero_bits(h: &[u8]) -> u32 {
    let mut n = 0;
    for b in h {
        if *b == 0 {
            n += 8;
        } else {
            n += b.leading_zeros();
            break;
        }
    }
    n
}

/// Finds a nonce for `challenge` (what an API client does; used by tests and docs).
pub fn solve(challenge: &str, bits: u32) -> u64 {
    let mut nonce = 0u64;
    loop {
        let h = Sha256::digest(format!("{challenge}:{nonce}").as_bytes());
        if leading_zero_bits(&h) >= bits {
            return nonce;
        }
        nonce += 1;
    }
}

impl Guard {
    pub fn new(key: Option<[u8; 32]>) -> Guard {
        let key = key.unwrap_or_else(|| {
            let mut k = [0u8; 32];
            rand::rng().fill_bytes(&mut k);
            k
        });
        Guard {
            key,
            spent: Mutex::new(HashMap::new()),
            submissions: Mutex::new(Bucket::new(10.0)),
            checks: Mutex::new(Bucket::new(30.0)),
        }
    }

    fn mac(&self, body: &str) -> String {
        let mut m = match HmacSha256::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        m.update(body.as_bytes());
        hex::encode(&m.finalize().into_bytes()[..16])
    }

    /// A fresh challenge at `bits` difficulty, issued at `now` (unix seconds).
    pub fn issue(&self, now: i64, bits: u32) -> String {
        let mut r = [0u8; 8];
        rand::rng().fill_bytes(&mut r);
        let body = format!("v1.{now}.{bits}.{}", hex::encode(r));
        let mac = self.mac(&body);
        format!("{body}.{mac}")
    }

    /// Checks a solved challenge; spends it. `Err` says why, in words for the client.
    pub fn check(
        &self,
        challenge: &str,
        nonce: &str,
        now: i64,
        min_bits: u32,
    ) -> Result<(), &'static str> {
        let parts: Vec<&str> = challenge.split('.').collect();
        let [v, issued, bits, _rand, mac] = parts.as_slice() else {
            return Err("malformed challenge");
        };
        if *v != "v1" {
            return Err("malformed challenge");
        }
        let body = &challenge[..challenge.len() - mac.len() - 1];
        let want = self.mac(body);
        if want.is_empty()
            || !bool::from(subtle::ConstantTimeEq::ct_eq(
                want.as_bytes(),
                mac.as_bytes(),
            ))
        {
            return Err("challenge was not issued by this server");
        }
        let issued: i64 = issued.parse().map_err(|_| "malformed challenge")?;
        let bits: u32 = bits.parse().map_err(|_| "malformed challenge")?;
        if bits < min_bits {
            return Err("challenge difficulty is below the current minimum; fetch a new one");
        }
        if now - issued > CHALLENGE_TTL_SECS || issued - now > 60 {
            return Err("challenge expired; fetch a new one");
        }
        if nonce.is_empty() || nonce.len() > 20 || !nonce.bytes().all(|b| b.is_ascii_digit()) {
            return Err("nonce must be a decimal number");
        }
        let h = Sha256::digest(format!("{challenge}:{nonce}").as_bytes());
        if leading_zero_bits(&h) < bits {
            return Err("nonce does not solve the challenge");
        }
        let mut spent = self.spent.lock().map_err(|_| "internal error")?;
        if spent.len() >= MAX_SPENT {
            spent.retain(|_, t| now - *t <= CHALLENGE_TTL_SECS);
        }
        if spent.len() >= MAX_SPENT {
            return Err("too many submissions right now; try again later");
        }
        if spent.insert(challenge.to_string(), issued).is_some() {
            return Err("challenge was already used; fetch a new one");
        }
        Ok(())
    }

    /// Global limit on new reports.
    pub fn allow_submission(&self, per_minute: u32) -> bool {
        self.submissions
            .lock()
            .map(|mut b| b.take(per_minute))
            .unwrap_or(false)
    }

    /// Global limit on receipt checks (each costs an Argon2id verification too).
    pub fn allow_receipt_check(&self, per_minute: u32) -> bool {
        self.checks
            .lock()
            .map(|mut b| b.take(per_minute))
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_verify_once_and_expire() {
        let g = Guard::new(None);
        let c = g.issue(1000, 8);
        let n = solve(&c, 8).to_string();
        assert_eq!(g.check(&c, &n, 1010, 8), Ok(()));
        assert!(g.check(&c, &n, 1010, 8).is_err(), "replay");
        let c2 = g.issue(1000, 8);
        let n2 = solve(&c2, 8).to_string();
        assert!(
            g.check(&c2, &n2, 1000 + CHALLENGE_TTL_SECS + 1, 8).is_err(),
            "expired"
        );
        assert!(g.check(&c2, &n2, 1000, 12).is_err(), "too easy");
        let other = Guard::new(None);
        assert!(other.check(&c2, &n2, 1000, 8).is_err(), "foreign");
        let forged = c2.replace(".8.", ".0.");
        assert!(g.check(&forged, "0", 1000, 0).is_err(), "forged");
        assert!(g.check("v1.x", "0", 1000, 0).is_err());
    }

    #[test]
    fn buckets_limit() {
        let g = Guard::new(None);
        let allowed = (0..50).filter(|_| g.allow_submission(5)).count();
        assert!(allowed <= 11, "{allowed}");
    }
}
