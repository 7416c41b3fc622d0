//! C2SP [`tlog-checkpoint`](https://c2sp.org/tlog-checkpoint): the signed
//! note body `<origin>\n<tree size>\n<base64 root hash>\n[extension lines]`.

use signed_note::{Cosigner, Note, Signer, VerifiedSignature, Verifier};

use crate::Error;
use crate::hash::Hash;

/// A checkpoint (tree head) of a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Origin line: the log's unique identity (e.g. `example.com/log42`).
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// Root hash of the tree of `size` leaves.
    pub root: Hash,
    /// Optional opaque extension lines (without newlines; non-empty).
    pub extensions: Vec<String>,
}

fn check_line(l: &str) -> Result<(), Error> {
    if l.is_empty() {
        return Err(Error::MalformedCheckpoint("empty line"));
    }
    if l.bytes().any(|c| c < 0x20) {
        return Err(Error::MalformedCheckpoint("control character"));
    }
    Ok(())
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, Error> {
        check_line(origin)?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        })
    }

    /// Parses a checkpoint note text: at least three non-empty lines, each
    /// ending in a newline; decimal size without leading zeroes; root hash
    /// in canonical base64 of exactly 32 bytes; extension lines non-empty.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let body = text
            .strip_suffix('\n')
            .ok_or(Error::MalformedCheckpoint("must end in newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        let size = lines
            .next()
            .ok_or(Error::MalformedCheckpoint("missing tree size"))?;
        let root = lines
            .next()
            .ok_or(Error::MalformedCheckpoint("missing root hash"))?;
        check_line(origin)?;
        if size.is_empty()
            || size.len() > 20
            || !size.bytes().all(|c| c.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(Error::MalformedCheckpoint("bad tree size"));
        }
        let size: u64 = size
            .parse()
            .map_err(|_| Error::MalformedCheckpoint("tree size out of range"))?;
        let root =
            Hash::from_base64(root).map_err(|_| Error::MalformedCheckpoint("bad root hash"))?;
        let extensions = lines
            .map(|l| check_line(l).map(|()| l.to_owned()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The note text.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// An unsigned note with this checkpoint as text (validated).
    pub fn to_note(&self) -> Result<Note, Error> {
        let text = self.to_text();
        // Round-trip to validate origin and extension lines.
        if Checkpoint::parse(&text)? != *self {
            return Err(Error::MalformedCheckpoint("does not round-trip"));
        }
        Ok(Note::new(text)?)
    }

    /// Signs the checkpoint with the log key, returning the signed note.
    pub fn sign(&self, signer: &Signer) -> Result<Note, Error> {
        let mut n = self.to_note()?;
        n.sign(signer)?;
        Ok(n)
    }

    /// Parses a signed checkpoint note, verifies it against `verifiers`
    /// (the log key, and any witness cosigner keys) and checks the origin.
    /// Returns the checkpoint, the note and the signatures that verified;
    /// the caller applies its own policy (e.g. log key plus a quorum of
    /// witnesses) to the latter.
    pub fn open(
        msg: &[u8],
        origin: &str,
        verifiers: &[Verifier],
    ) -> Result<(Checkpoint, Note, Vec<VerifiedSignature>), Error> {
        let note = Note::parse(msg)?;
        let cp = Checkpoint::parse(note.text())?;
        if cp.origin != origin {
            return Err(Error::OriginMismatch);
        }
        let sigs = note.verify(verifiers)?;
        Ok((cp, note, sigs))
    }
}

/// Adds a witness cosignature (`cosignature/v1`, timestamp passed in) to a
/// signed checkpoint note after checking its body is a checkpoint.
pub fn cosign_checkpoint(
    note: &mut Note,
    cosigner: &Cosigner,
    timestamp: u64,
) -> Result<(), Error> {
    Checkpoint::parse(note.text())?;
    note.cosign(cosigner, timestamp)?;
    Ok(())
}
