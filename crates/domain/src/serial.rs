//! Unguessable serial numbers for "one item, one code".
//!
//! A serial is 18 characters of Crockford's base-32 alphabet (digits and upper-case
//! letters without I, L, O, U): 90 random bits from a cryptographic RNG. With up to
//! 2^26 (67 million) codes issued under one GTIN, a counterfeiter's single guess hits
//! an issued code with probability at most 2^26 / 2^90 = 2^-64 (EU FMD asks for
//! below 1 in 10,000). The alphabet is a subset of GS1 CSET 82, needs no escaping in
//! a Digital Link URI, and avoids characters that are misread on printed labels.

use rand::{CryptoRng, RngCore};

pub const SERIAL_LEN: usize = 18;
pub const SERIAL_BITS: u32 = 90;
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Draws one serial from a cryptographically secure RNG.
pub fn generate<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> gs1::Serial {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    let mut bits = u128::from_le_bytes(bytes);
    let mut out = String::with_capacity(SERIAL_LEN);
    for _ in 0..SERIAL_LEN {
        out.push(char::from(ALPHABET[(bits & 31) as usize]));
        bits >>= 5;
    }
    // The alphabet is a subset of CSET 82 and the length is within AI (21)'s 20.
    gs1::Serial::parse(&out).unwrap_or_else(|_| unreachable_serial())
}

#[cold]
fn unreachable_serial() -> gs1::Serial {
    // Only reachable if the gs1 crate stopped accepting CSET 82 upper-case letters
    // and digits, which its own tests forbid.
    panic!("generated serial rejected by gs1::Serial::parse")
}

/// Draws `n` distinct serials (distinct within the returned vector).
pub fn generate_many<R: RngCore + CryptoRng + ?Sized>(rng: &mut R, n: usize) -> Vec<gs1::Serial> {
    let mut seen = std::collections::HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let s = generate(rng);
        if seen.insert(s.as_str().to_owned()) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_have_the_documented_shape() {
        let mut rng = rand::rng();
        for _ in 0..1000 {
            let s = generate(&mut rng);
            assert_eq!(s.as_str().len(), SERIAL_LEN);
            assert!(s.as_str().bytes().all(|b| ALPHABET.contains(&b)));
            assert!(gs1::is_cset82(s.as_str()));
        }
        assert_eq!(SERIAL_BITS as usize, SERIAL_LEN * 5);
    }

    #[test]
    fn many_serials_are_distinct_and_use_every_symbol() {
        let mut rng = rand::rng();
        let v = generate_many(&mut rng, 50_000);
        let set: std::collections::HashSet<_> = v.iter().map(|s| s.as_str()).collect();
        assert_eq!(set.len(), 50_000);
        let mut counts = [0usize; 32];
        for s in &v {
            for b in s.as_str().bytes() {
                let i = ALPHABET.iter().position(|&a| a == b).unwrap();
                counts[i] += 1;
            }
        }
        // 900,000 symbols over 32 values: each expected 28,125; a broken bit
        // extraction (e.g. always-zero high bits) would leave some at 0.
        assert!(
            counts.iter().all(|&c| c > 25_000 && c < 31_000),
            "{counts:?}"
        );
    }
}
