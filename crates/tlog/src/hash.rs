//! RFC 9162 (RFC 6962) Merkle tree hashing with SHA-256.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::Error;

/// Size of a hash in bytes.
pub const HASH_SIZE: usize = 32;

/// A SHA-256 Merkle tree hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; HASH_SIZE]);

/// The root hash of the empty tree: SHA-256 of the empty string
/// (RFC 9162, section 2.1.1).
pub const EMPTY_ROOT: Hash = Hash([
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
]);

impl Hash {
    /// From a 32-byte slice.
    pub fn from_slice(b: &[u8]) -> Result<Self, Error> {
        let a: [u8; HASH_SIZE] = b.try_into().map_err(|_| Error::InvalidHashLength)?;
        Ok(Hash(a))
    }

    /// From 64 hex digits (either case).
    pub fn from_hex(s: &str) -> Result<Self, Error> {
        let b = s.as_bytes();
        if b.len() != 2 * HASH_SIZE {
            return Err(Error::InvalidHashLength);
        }
        let mut out = [0u8; HASH_SIZE];
        for (i, o) in out.iter_mut().enumerate() {
            let hi = hex_val(b[2 * i]).ok_or(Error::InvalidHashLength)?;
            let lo = hex_val(b[2 * i + 1]).ok_or(Error::InvalidHashLength)?;
            *o = (hi << 4) | lo;
        }
        Ok(Hash(out))
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        const D: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(2 * HASH_SIZE);
        for b in self.0 {
            s.push(D[(b >> 4) as usize] as char);
            s.push(D[(b & 15) as usize] as char);
        }
        s
    }

    /// From canonical standard base64 (44 characters).
    pub fn from_base64(s: &str) -> Result<Self, Error> {
        let v = STANDARD.decode(s).map_err(|_| Error::InvalidHashLength)?;
        Self::from_slice(&v)
    }

    /// Standard base64 with padding.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; HASH_SIZE] {
        &self.0
    }
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Leaf hash: SHA-256(0x00 || data) (RFC 9162, section 2.1.1).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    Hash(h.finalize().into())
}

/// Interior node hash: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// Merkle Tree Hash of a list of leaf hashes (RFC 9162, section 2.1.1),
/// computed directly by the recursive definition. Reference implementation,
/// O(n) memory; the stored-tree functions in [`crate::tree`] are what
/// production code uses.
pub fn merkle_root(leaf_hashes: &[Hash]) -> Hash {
    match leaf_hashes.len() {
        0 => EMPTY_ROOT,
        1 => leaf_hashes[0],
        n => {
            let k = largest_pow2_below(n as u64) as usize;
            node_hash(
                &merkle_root(&leaf_hashes[..k]),
                &merkle_root(&leaf_hashes[k..]),
            )
        }
    }
}

/// The largest power of two strictly less than `n` (0 if `n <= 1`).
pub(crate) fn largest_pow2_below(n: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    1u64 << (63 - (n - 1).leading_zeros())
}
