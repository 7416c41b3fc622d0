//! C2SP [`signed-note`](https://c2sp.org/signed-note) and the Ed25519 flavour of
//! [`tlog-cosignature`](https://c2sp.org/tlog-cosignature) (`cosignature/v1`).
//!
//! This crate is pure: no I/O, no clock reads (cosignature timestamps are passed
//! in), no global state.
//!
//! * A [`Note`] is a text ending in a newline plus one or more signature lines.
//!   [`Note::parse`] checks the syntax only; [`Note::verify`] checks signatures
//!   against a set of trusted [`Verifier`]s, ignoring signatures from unknown keys.
//! * A [`Signer`] produces Ed25519 note signatures (signature type `0x01`).
//! * A [`Cosigner`] produces timestamped Ed25519 witness cosignatures
//!   (signature type `0x04`, signed message `cosignature/v1`).
//! * A [`Verifier`] checks either kind; it is parsed from a verifier key string
//!   `<name>+<hex8 key ID>+<base64(type || public key)>`.
//!
//! Signer keys use the Go `golang.org/x/mod/sumdb/note` encoding
//! `PRIVATE+KEY+<name>+<hex8 key ID>+<base64(type || 32-byte seed)>`.
//!
//! ```
//! use signed_note::{Note, Signer, Verifier};
//!
//! let signer: Signer =
//!     "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
//!         .parse()
//!         .unwrap();
//! let mut note = Note::new("hello\n").unwrap();
//! note.sign(&signer).unwrap();
//! let msg = note.to_bytes().unwrap();
//!
//! let v: Verifier = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
//!     .parse()
//!     .unwrap();
//! let (opened, verified) = Note::open(&msg, &[v]).unwrap();
//! assert_eq!(opened.text(), "hello\n");
//! assert_eq!(verified[0].key_id, 0xc74f20a3);
//! ```

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Signature type byte for Ed25519 note signatures (signed-note, "Ed25519 signatures").
pub const SIG_TYPE_ED25519: u8 = 0x01;
/// Signature type byte for timestamped Ed25519 witness cosignatures (tlog-cosignature).
pub const SIG_TYPE_COSIGNATURE_V1: u8 = 0x04;

/// Maximum number of signature lines accepted by [`Note::parse`].
///
/// The spec requires accepting at least 16; like the Go reference
/// implementation we accept up to 100 and reject notes with more.
pub const MAX_SIGNATURES: usize = 100;

/// Maximum size in bytes of an encoded note accepted by [`Note::parse`] (1 MiB).
pub const MAX_NOTE_SIZE: usize = 1 << 20;

/// The header line of the Ed25519 cosignature signed message.
pub const COSIGNATURE_V1_HEADER: &str = "cosignature/v1\n";

/// Length of an Ed25519 signature.
const ED25519_SIG_LEN: usize = 64;
/// Length of a `timestamped_signature` with an Ed25519 signature.
const COSIG_V1_LEN: usize = 8 + ED25519_SIG_LEN;

/// Signature line prefix: em dash (U+2014) and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// Errors returned by this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The note text or encoded note violates the signed-note syntax.
    #[error("malformed note: {0}")]
    MalformedNote(&'static str),
    /// A key name is empty or contains a Unicode space or `+`.
    #[error("invalid key name")]
    InvalidName,
    /// A verifier key string could not be parsed.
    #[error("malformed verifier key: {0}")]
    MalformedVerifierKey(&'static str),
    /// A signer key string could not be parsed.
    #[error("malformed signer key: {0}")]
    MalformedSignerKey(&'static str),
    /// The key ID in a key string does not match the key.
    #[error("key ID does not match key")]
    KeyIdMismatch,
    /// Unsupported signature type byte.
    #[error("unknown signature type 0x{0:02x}")]
    UnknownSignatureType(u8),
    /// Two trusted verifiers share the same name and key ID.
    #[error("ambiguous key {name}+{key_id:08x}")]
    AmbiguousKey {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
    },
    /// A signature from a trusted key failed to verify.
    #[error("invalid signature for key {name}+{key_id:08x}")]
    InvalidSignature {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
    },
    /// No signature from a trusted key was found.
    #[error("note has no verifiable signatures")]
    NoVerifiedSignatures,
    /// A cosignature timestamp is above 2^63-1.
    #[error("cosignature timestamp out of range")]
    TimestampOutOfRange,
}

/// Computes a key ID: the first four bytes (big-endian) of
/// `SHA-256(name || 0x0A || sig_type || public_key)`.
pub fn key_id(name: &str, sig_type: u8, public_key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', sig_type]);
    h.update(public_key);
    let sum = h.finalize();
    u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]])
}

/// Reports whether `name` is a valid key name: non-empty, no Unicode white
/// space (as Go's `unicode.IsSpace`, which matches Rust's `char::is_whitespace`
/// for all assigned code points) and no `+`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// Checks the signed-note text rules: non-empty, ends in a newline, and no
/// ASCII control characters other than newline.
pub fn check_text(text: &str) -> Result<(), Error> {
    if !text.ends_with('\n') {
        return Err(Error::MalformedNote("text must end in a newline"));
    }
    check_no_controls(text.as_bytes())
}

fn check_no_controls(b: &[u8]) -> Result<(), Error> {
    if b.iter().any(|&c| c < 0x20 && c != b'\n') {
        return Err(Error::MalformedNote("control character"));
    }
    Ok(())
}

fn parse_hex8(s: &str) -> Option<u32> {
    if s.len() != 8 || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// One signature line of a note (verified or not).
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    name: String,
    key_id: u32,
    /// Signature bytes after the 4-byte key ID.
    sig: Vec<u8>,
    /// The base64 text as it appeared (or as produced).
    b64: String,
}

impl Signature {
    /// Builds a signature line from its parts.
    pub fn new(name: &str, key_id: u32, sig: &[u8]) -> Result<Self, Error> {
        if !is_valid_name(name) {
            return Err(Error::InvalidName);
        }
        let mut raw = Vec::with_capacity(4 + sig.len());
        raw.extend_from_slice(&key_id.to_be_bytes());
        raw.extend_from_slice(sig);
        Ok(Signature {
            name: name.to_owned(),
            key_id,
            sig: sig.to_vec(),
            b64: STANDARD.encode(raw),
        })
    }

    /// Parses a signature line without the trailing newline
    /// (`— <name> <base64>`).
    pub fn parse_line(line: &str) -> Result<Self, Error> {
        let rest = line.strip_prefix(SIG_PREFIX).ok_or(Error::MalformedNote(
            "signature line must start with em dash",
        ))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or(Error::MalformedNote("signature line without space"))?;
        if !is_valid_name(name) {
            return Err(Error::MalformedNote("invalid key name in signature"));
        }
        // Canonical RFC 4648 base64 only (padding required, zero trailing
        // bits), so that a signature line has exactly one encoding.
        let raw = STANDARD
            .decode(b64)
            .map_err(|_| Error::MalformedNote("invalid base64 signature"))?;
        if raw.len() < 5 {
            return Err(Error::MalformedNote("signature too short"));
        }
        let key_id = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
        Ok(Signature {
            name: name.to_owned(),
            key_id,
            sig: raw[4..].to_vec(),
            b64: b64.to_owned(),
        })
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }
    /// Signature bytes (after the key ID).
    pub fn signature_bytes(&self) -> &[u8] {
        &self.sig
    }
    /// The base64 encoding of key ID || signature, as in the signature line.
    pub fn base64(&self) -> &str {
        &self.b64
    }
    /// For a `cosignature/v1` signature, the timestamp it carries.
    pub fn cosignature_timestamp(&self) -> Option<u64> {
        if self.sig.len() != COSIG_V1_LEN {
            return None;
        }
        let mut t = [0u8; 8];
        t.copy_from_slice(&self.sig[..8]);
        Some(u64::from_be_bytes(t))
    }
    /// The full signature line, including the final newline.
    pub fn to_line(&self) -> String {
        format!("{SIG_PREFIX}{} {}\n", self.name, self.b64)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Signature({}+{:08x} {})",
            self.name, self.key_id, self.b64
        )
    }
}

/// A signed note: a text and its signature lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    text: String,
    sigs: Vec<Signature>,
}

/// A signature that verified against a trusted key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// Key name.
    pub name: String,
    /// Key ID.
    pub key_id: u32,
    /// Signature type of the verifier that accepted it.
    pub sig_type: u8,
    /// For cosignatures, the signed timestamp (seconds since the epoch).
    pub timestamp: Option<u64>,
}

impl Note {
    /// A new unsigned note. The text must end in a newline and contain no
    /// control characters other than newline.
    pub fn new(text: impl Into<String>) -> Result<Self, Error> {
        let text = text.into();
        check_text(&text)?;
        Ok(Note {
            text,
            sigs: Vec::new(),
        })
    }

    /// Parses an encoded signed note. Checks syntax only (see
    /// [`Note::verify`]): valid UTF-8, no control characters but newline,
    /// text ending in newline, separated by the last blank line from one or
    /// more well-formed signature lines (at most [`MAX_SIGNATURES`]).
    pub fn parse(msg: &[u8]) -> Result<Self, Error> {
        if msg.len() > MAX_NOTE_SIZE {
            return Err(Error::MalformedNote("note too large"));
        }
        let s = std::str::from_utf8(msg).map_err(|_| Error::MalformedNote("invalid UTF-8"))?;
        check_no_controls(msg)?;
        let split = s
            .rfind("\n\n")
            .ok_or(Error::MalformedNote("no blank line before signatures"))?;
        let (text, sigs) = (&s[..split + 1], &s[split + 2..]);
        if sigs.is_empty() || !sigs.ends_with('\n') {
            return Err(Error::MalformedNote("signature block must end in newline"));
        }
        let lines: Vec<&str> = sigs[..sigs.len() - 1].split('\n').collect();
        if lines.len() > MAX_SIGNATURES {
            return Err(Error::MalformedNote("too many signatures"));
        }
        let sigs = lines
            .into_iter()
            .map(Signature::parse_line)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Note {
            text: text.to_owned(),
            sigs,
        })
    }

    /// The note text (including its final newline).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// All signature lines, in order.
    pub fn signatures(&self) -> &[Signature] {
        &self.sigs
    }

    /// Appends a signature line, replacing any existing one with the same key
    /// name and ID.
    pub fn add_signature(&mut self, sig: Signature) -> Result<(), Error> {
        self.sigs
            .retain(|s| !(s.name == sig.name && s.key_id == sig.key_id));
        if self.sigs.len() >= MAX_SIGNATURES {
            return Err(Error::MalformedNote("too many signatures"));
        }
        self.sigs.push(sig);
        Ok(())
    }

    /// Signs the note text with an Ed25519 note signer, replacing any
    /// existing signature by the same key.
    pub fn sign(&mut self, signer: &Signer) -> Result<(), Error> {
        let sig = signer.sign_text(&self.text)?;
        self.add_signature(sig)
    }

    /// Adds a `cosignature/v1` over the note text (normally a checkpoint),
    /// with the given POSIX timestamp, replacing any existing signature by the
    /// same key.
    pub fn cosign(&mut self, cosigner: &Cosigner, timestamp: u64) -> Result<(), Error> {
        let sig = cosigner.cosign_text(&self.text, timestamp)?;
        self.add_signature(sig)
    }

    /// Encodes the note: text, blank line, signature lines. A note must have
    /// at least one signature to be valid; encoding an unsigned note is an
    /// error.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        if self.sigs.is_empty() {
            return Err(Error::MalformedNote("note has no signatures"));
        }
        let mut out = String::with_capacity(self.text.len() + 1 + 128 * self.sigs.len());
        out.push_str(&self.text);
        out.push('\n');
        for s in &self.sigs {
            out.push_str(&s.to_line());
        }
        Ok(out.into_bytes())
    }

    /// Verifies the signatures made by trusted keys.
    ///
    /// Signatures whose (name, key ID) match no verifier are ignored. If a
    /// signature from a trusted key does not verify, the whole note is
    /// rejected. If no signature verifies, [`Error::NoVerifiedSignatures`].
    /// Repeated signatures by the same key are reported once. Two verifiers
    /// with the same name and key ID are an error only if a signature uses
    /// that key.
    pub fn verify(&self, verifiers: &[Verifier]) -> Result<Vec<VerifiedSignature>, Error> {
        let mut out: Vec<VerifiedSignature> = Vec::new();
        for s in &self.sigs {
            let mut matching = verifiers
                .iter()
                .filter(|v| v.name == s.name && v.key_id == s.key_id);
            let Some(v) = matching.next() else { continue };
            if matching.next().is_some() {
                return Err(Error::AmbiguousKey {
                    name: s.name.clone(),
                    key_id: s.key_id,
                });
            }
            let timestamp =
                v.verify_signature(&self.text, &s.sig)
                    .ok_or_else(|| Error::InvalidSignature {
                        name: s.name.clone(),
                        key_id: s.key_id,
                    })?;
            if out.iter().any(|o| o.name == s.name && o.key_id == s.key_id) {
                continue;
            }
            out.push(VerifiedSignature {
                name: s.name.clone(),
                key_id: s.key_id,
                sig_type: v.sig_type(),
                timestamp,
            });
        }
        if out.is_empty() {
            return Err(Error::NoVerifiedSignatures);
        }
        Ok(out)
    }

    /// Parses and verifies in one step.
    pub fn open(
        msg: &[u8],
        verifiers: &[Verifier],
    ) -> Result<(Note, Vec<VerifiedSignature>), Error> {
        let n = Note::parse(msg)?;
        let v = n.verify(verifiers)?;
        Ok((n, v))
    }
}

/// The message signed by an Ed25519 `cosignature/v1`:
/// `cosignature/v1\ntime <timestamp>\n<note text>`.
pub fn cosignature_v1_message(text: &str, timestamp: u64) -> Vec<u8> {
    let mut m = Vec::with_capacity(text.len() + 40);
    m.extend_from_slice(COSIGNATURE_V1_HEADER.as_bytes());
    m.extend_from_slice(format!("time {timestamp}\n").as_bytes());
    m.extend_from_slice(text.as_bytes());
    m
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum KeyKind {
    Ed25519,
    CosignatureV1,
}

impl KeyKind {
    fn from_type(t: u8) -> Result<Self, Error> {
        match t {
            SIG_TYPE_ED25519 => Ok(KeyKind::Ed25519),
            SIG_TYPE_COSIGNATURE_V1 => Ok(KeyKind::CosignatureV1),
            other => Err(Error::UnknownSignatureType(other)),
        }
    }
    fn type_byte(self) -> u8 {
        match self {
            KeyKind::Ed25519 => SIG_TYPE_ED25519,
            KeyKind::CosignatureV1 => SIG_TYPE_COSIGNATURE_V1,
        }
    }
}

/// A trusted public key able to verify note signatures: Ed25519 (type
/// `0x01`) or Ed25519 `cosignature/v1` (type `0x04`).
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    key_id: u32,
    kind: KeyKind,
    key: VerifyingKey,
}

impl Verifier {
    /// An Ed25519 note verifier (type `0x01`).
    pub fn ed25519(name: &str, public_key: &[u8; 32]) -> Result<Self, Error> {
        Self::with_kind(name, KeyKind::Ed25519, public_key)
    }

    /// An Ed25519 `cosignature/v1` verifier (type `0x04`).
    pub fn cosignature_v1(name: &str, public_key: &[u8; 32]) -> Result<Self, Error> {
        Self::with_kind(name, KeyKind::CosignatureV1, public_key)
    }

    fn with_kind(name: &str, kind: KeyKind, public_key: &[u8; 32]) -> Result<Self, Error> {
        if !is_valid_name(name) {
            return Err(Error::InvalidName);
        }
        let key = VerifyingKey::from_bytes(public_key)
            .map_err(|_| Error::MalformedVerifierKey("invalid Ed25519 public key"))?;
        Ok(Verifier {
            name: name.to_owned(),
            key_id: key_id(name, kind.type_byte(), public_key),
            kind,
            key,
        })
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }
    /// Signature type byte (`0x01` or `0x04`).
    pub fn sig_type(&self) -> u8 {
        self.kind.type_byte()
    }
    /// The raw 32-byte Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Verifies `sig` (the bytes after the key ID) over `text`. Returns
    /// `Some(timestamp)` (`Some(None)` for plain Ed25519) if valid.
    fn verify_signature(&self, text: &str, sig: &[u8]) -> Option<Option<u64>> {
        match self.kind {
            KeyKind::Ed25519 => {
                let s = ed25519_dalek::Signature::from_slice(sig).ok()?;
                self.key
                    .verify_strict_or_std(text.as_bytes(), &s)
                    .then_some(None)
            }
            KeyKind::CosignatureV1 => {
                if sig.len() != COSIG_V1_LEN {
                    return None;
                }
                let mut t = [0u8; 8];
                t.copy_from_slice(&sig[..8]);
                let ts = u64::from_be_bytes(t);
                if ts > i64::MAX as u64 {
                    return None;
                }
                let s = ed25519_dalek::Signature::from_slice(&sig[8..]).ok()?;
                let msg = cosignature_v1_message(text, ts);
                self.key.verify_strict_or_std(&msg, &s).then_some(Some(ts))
            }
        }
    }

    /// Verifies a raw signature (without key ID) over `msg` for a plain
    /// Ed25519 verifier. Always false for cosignature verifiers.
    pub fn verify_raw(&self, msg: &[u8], sig: &[u8]) -> bool {
        if self.kind != KeyKind::Ed25519 {
            return false;
        }
        match ed25519_dalek::Signature::from_slice(sig) {
            Ok(s) => self.key.verify_strict_or_std(msg, &s),
            Err(_) => false,
        }
    }

    /// The verifier key string `<name>+<hex8 id>+<base64(type || key)>`.
    pub fn to_key_string(&self) -> String {
        let mut raw = Vec::with_capacity(33);
        raw.push(self.kind.type_byte());
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.key_id, STANDARD.encode(raw))
    }
}

/// Ed25519 verification as done by Go's `crypto/ed25519.Verify` (RFC 8032
/// with canonical `S`), which is what ed25519-dalek's non-strict `verify`
/// implements.
trait VerifyCompat {
    fn verify_strict_or_std(&self, msg: &[u8], sig: &ed25519_dalek::Signature) -> bool;
}

impl VerifyCompat for VerifyingKey {
    fn verify_strict_or_std(&self, msg: &[u8], sig: &ed25519_dalek::Signature) -> bool {
        use ed25519_dalek::Verifier as _;
        self.verify(msg, sig).is_ok()
    }
}

impl fmt::Display for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_key_string())
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Verifier({})", self.to_key_string())
    }
}

impl FromStr for Verifier {
    type Err = Error;

    /// Parses `<name>+<hex8 id>+<base64(type || key)>`; the key ID must match.
    fn from_str(vkey: &str) -> Result<Self, Error> {
        let (name, rest) = vkey
            .split_once('+')
            .ok_or(Error::MalformedVerifierKey("missing '+'"))?;
        let (hex, b64) = rest
            .split_once('+')
            .ok_or(Error::MalformedVerifierKey("missing '+'"))?;
        if !is_valid_name(name) {
            return Err(Error::MalformedVerifierKey("invalid name"));
        }
        let id =
            parse_hex8(hex).ok_or(Error::MalformedVerifierKey("key ID must be 8 hex digits"))?;
        let raw = STANDARD
            .decode(b64)
            .map_err(|_| Error::MalformedVerifierKey("invalid base64"))?;
        let (&ty, key) = raw
            .split_first()
            .ok_or(Error::MalformedVerifierKey("empty key"))?;
        if key_id(name, ty, key) != id {
            return Err(Error::KeyIdMismatch);
        }
        let kind = KeyKind::from_type(ty)?;
        let key: &[u8; 32] = key
            .try_into()
            .map_err(|_| Error::MalformedVerifierKey("Ed25519 key must be 32 bytes"))?;
        Self::with_kind(name, kind, key)
    }
}

struct SecretKey {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl SecretKey {
    fn new(name: &str, kind: KeyKind, seed: &[u8; 32]) -> Result<Self, Error> {
        if !is_valid_name(name) {
            return Err(Error::InvalidName);
        }
        let key = SigningKey::from_bytes(seed);
        let id = key_id(name, kind.type_byte(), key.verifying_key().as_bytes());
        Ok(SecretKey {
            name: name.to_owned(),
            key_id: id,
            key,
        })
    }

    fn parse(skey: &str, kind: KeyKind) -> Result<Self, Error> {
        let rest = skey
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(Error::MalformedSignerKey("missing PRIVATE+KEY+ prefix"))?;
        let (name, rest) = rest
            .split_once('+')
            .ok_or(Error::MalformedSignerKey("missing '+'"))?;
        let (hex, b64) = rest
            .split_once('+')
            .ok_or(Error::MalformedSignerKey("missing '+'"))?;
        if !is_valid_name(name) {
            return Err(Error::MalformedSignerKey("invalid name"));
        }
        let id = parse_hex8(hex).ok_or(Error::MalformedSignerKey("key ID must be 8 hex digits"))?;
        let raw = STANDARD
            .decode(b64)
            .map_err(|_| Error::MalformedSignerKey("invalid base64"))?;
        let (&ty, seed) = raw
            .split_first()
            .ok_or(Error::MalformedSignerKey("empty key"))?;
        if KeyKind::from_type(ty)? != kind {
            return Err(Error::UnknownSignatureType(ty));
        }
        let seed: &[u8; 32] = seed
            .try_into()
            .map_err(|_| Error::MalformedSignerKey("Ed25519 seed must be 32 bytes"))?;
        let k = Self::new(name, kind, seed)?;
        if k.key_id != id {
            return Err(Error::KeyIdMismatch);
        }
        Ok(k)
    }

    fn to_key_string(&self, kind: KeyKind) -> String {
        let mut raw = Vec::with_capacity(33);
        raw.push(kind.type_byte());
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(raw)
        )
    }

    fn verifier(&self, kind: KeyKind) -> Verifier {
        Verifier {
            name: self.name.clone(),
            key_id: self.key_id,
            kind,
            key: self.key.verifying_key(),
        }
    }
}

/// An Ed25519 note signer (signature type `0x01`).
pub struct Signer(SecretKey);

impl Signer {
    /// From a name and a 32-byte Ed25519 seed (RFC 8032 private key).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, Error> {
        SecretKey::new(name, KeyKind::Ed25519, seed).map(Signer)
    }
    /// Generates a new key with the given CSPRNG.
    pub fn generate<R: rand_core::CryptoRngCore + ?Sized>(
        name: &str,
        rng: &mut R,
    ) -> Result<Self, Error> {
        let key = SigningKey::generate(rng);
        Self::from_seed(name, key.as_bytes())
    }
    /// Key name.
    pub fn name(&self) -> &str {
        &self.0.name
    }
    /// Key ID.
    pub fn key_id(&self) -> u32 {
        self.0.key_id
    }
    /// The matching verifier.
    pub fn verifier(&self) -> Verifier {
        self.0.verifier(KeyKind::Ed25519)
    }
    /// The secret signer key string `PRIVATE+KEY+<name>+<hex8 id>+<base64(0x01 || seed)>`.
    /// Keep it secret: never log it.
    pub fn to_secret_key_string(&self) -> String {
        self.0.to_key_string(KeyKind::Ed25519)
    }
    /// Signs a note text, returning the signature line.
    pub fn sign_text(&self, text: &str) -> Result<Signature, Error> {
        check_text(text)?;
        let sig = self.0.key.sign(text.as_bytes());
        Signature::new(&self.0.name, self.0.key_id, &sig.to_bytes())
    }
}

impl FromStr for Signer {
    type Err = Error;
    /// Parses `PRIVATE+KEY+<name>+<hex8 id>+<base64(0x01 || seed)>`.
    fn from_str(s: &str) -> Result<Self, Error> {
        SecretKey::parse(s, KeyKind::Ed25519).map(Signer)
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({}+{:08x})", self.0.name, self.0.key_id)
    }
}

/// An Ed25519 `cosignature/v1` witness cosigner (signature type `0x04`).
pub struct Cosigner(SecretKey);

impl Cosigner {
    /// From a name and a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, Error> {
        SecretKey::new(name, KeyKind::CosignatureV1, seed).map(Cosigner)
    }
    /// Generates a new key with the given CSPRNG.
    pub fn generate<R: rand_core::CryptoRngCore + ?Sized>(
        name: &str,
        rng: &mut R,
    ) -> Result<Self, Error> {
        let key = SigningKey::generate(rng);
        Self::from_seed(name, key.as_bytes())
    }
    /// Key name.
    pub fn name(&self) -> &str {
        &self.0.name
    }
    /// Key ID (computed with type byte `0x04`).
    pub fn key_id(&self) -> u32 {
        self.0.key_id
    }
    /// The matching verifier.
    pub fn verifier(&self) -> Verifier {
        self.0.verifier(KeyKind::CosignatureV1)
    }
    /// Secret key string `PRIVATE+KEY+<name>+<hex8 id>+<base64(0x04 || seed)>`.
    pub fn to_secret_key_string(&self) -> String {
        self.0.to_key_string(KeyKind::CosignatureV1)
    }
    /// Cosigns a note text (a checkpoint body) at `timestamp` (POSIX seconds,
    /// at most 2^63-1), returning the signature line.
    pub fn cosign_text(&self, text: &str, timestamp: u64) -> Result<Signature, Error> {
        check_text(text)?;
        if timestamp > i64::MAX as u64 {
            return Err(Error::TimestampOutOfRange);
        }
        let sig = self.0.key.sign(&cosignature_v1_message(text, timestamp));
        let mut body = Vec::with_capacity(COSIG_V1_LEN);
        body.extend_from_slice(&timestamp.to_be_bytes());
        body.extend_from_slice(&sig.to_bytes());
        Signature::new(&self.0.name, self.0.key_id, &body)
    }
}

impl FromStr for Cosigner {
    type Err = Error;
    /// Parses `PRIVATE+KEY+<name>+<hex8 id>+<base64(0x04 || seed)>`.
    fn from_str(s: &str) -> Result<Self, Error> {
        SecretKey::parse(s, KeyKind::CosignatureV1).map(Cosigner)
    }
}

impl fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cosigner({}+{:08x})", self.0.name, self.0.key_id)
    }
}

#[cfg(test)]
mod tests;
