//! The SHA-256 consistent sampler (Rivest, `consistent_sampler.py`).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use sha2::{Digest, Sha256};

use crate::SamplerError;
use crate::decimal::{MAX_DIGITS, reversed_digits};

/// Minimum number of digits (before reversal) of a ticket: `"{:064d}"`.
const MIN_DIGITS: usize = 64;

/// Lowercase hex SHA-256 of the UTF-8 bytes of `s` (`H(s)` in the spec).
#[must_use]
pub fn sha256_hex(s: &str) -> String {
    hex_lower(&Sha256::digest(s.as_bytes()).into())
}

fn hex_lower(bytes: &[u8; 32]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// `"0."` + reversed zero-padded (≥ 64 digits) decimal form of the digest.
fn digest_to_uniform(digest: &[u8; 32]) -> String {
    let mut buf = [0u8; MAX_DIGITS];
    let n = reversed_digits(digest, MIN_DIGITS, &mut buf);
    let mut out = String::with_capacity(2 + n);
    out.push_str("0.");
    // Every byte of buf[..n] is an ASCII digit, so this never replaces anything.
    out.push_str(&String::from_utf8_lossy(&buf[..n]));
    out
}

/// `U(s)`: `"0."` followed by the **reversed** decimal form of
/// `int(H(s), 16)`, zero-padded to 64 digits before reversing.
///
/// ```
/// assert!(sampler::uniform("abc").starts_with("0.56998071861792858926"));
/// ```
#[must_use]
pub fn uniform(s: &str) -> String {
    digest_to_uniform(&Sha256::digest(s.as_bytes()).into())
}

/// The hashing state after absorbing `H(seed)`: exactly one 64-byte SHA-256
/// block, so each first ticket costs one clone plus the id's block(s).
#[derive(Clone)]
struct SeedState(Sha256);

impl SeedState {
    fn new(seed: &str) -> Self {
        let mut h = Sha256::new();
        h.update(sha256_hex(seed).as_bytes());
        Self(h)
    }

    /// `U(H(seed) + id)`.
    fn first_number(&self, id: &str) -> String {
        let mut h = self.0.clone();
        h.update(id.as_bytes());
        digest_to_uniform(&h.finalize().into())
    }
}

/// First (generation 1) ticket number of `id` under `seed`: `U(H(seed) + id)`.
///
/// ```
/// let t = sampler::first_ticket("AB-130", "01382438112797316654");
/// assert!(t.starts_with("0.26299714122838008416"));
/// ```
#[must_use]
pub fn first_ticket(id: &str, seed: &str) -> String {
    SeedState::new(seed).first_number(id)
}

/// Next ticket number after `x` (sampling with replacement): keep the
/// leading run of `9`s of `x + "0"`, then for `i = 1, 2, …` try
/// `x0[..p] + U(x + ":" + i)[2..]` until it is greater than `x + "0"`.
///
/// # Errors
/// [`SamplerError::MalformedTicket`] unless `x` is `"0."` followed by digits.
///
/// ```
/// let y = sampler::next_ticket("0.25471").unwrap();
/// assert!(y.starts_with("0.64285326165500469469"));
/// ```
pub fn next_ticket(x: &str) -> Result<String, SamplerError> {
    let digits = x
        .strip_prefix("0.")
        .ok_or_else(|| SamplerError::MalformedTicket(x.to_owned()))?;
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(SamplerError::MalformedTicket(x.to_owned()));
    }
    Ok(next_number(x))
}

/// [`next_ticket`] for a string already known to be `"0."` + digits.
fn next_number(x: &str) -> String {
    let mut x0 = String::with_capacity(x.len() + 1);
    x0.push_str(x);
    x0.push('0');
    // Position of the first digit after "0." that is not a 9; x0 ends in '0'
    // so it always exists.
    let p = x0
        .bytes()
        .enumerate()
        .skip(2)
        .find(|&(_, c)| c != b'9')
        .map_or(x0.len() - 1, |(i, _)| i);
    let mut i: u64 = 0;
    loop {
        i += 1;
        let u = uniform(&format!("{x}:{i}"));
        let mut y = String::with_capacity(p + u.len());
        y.push_str(&x0[..p]);
        y.push_str(&u[2..]);
        if y.as_str() > x0.as_str() {
            return y;
        }
    }
}

/// One draw: ticket number, id and generation (1 for a first ticket).
///
/// Ordering is `(number, id, generation)`, numbers compared as strings
/// byte-wise — exactly Python's comparison of the reference's `Ticket` tuples.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket {
    /// Ticket number, a decimal fraction `"0.ddd…"` in (0, 1).
    pub number: String,
    /// Object id.
    pub id: String,
    /// How many times this id has been drawn, including this draw.
    pub generation: u64,
}

/// Lazy consistent sampler: an iterator over [`Ticket`]s in draw order.
///
/// First tickets are computed once, up front (O(n) hashes, O(n) heapify);
/// each draw then costs O(log n). Without replacement the iterator ends
/// after every id has been drawn; with replacement it never ends.
#[derive(Debug, Clone)]
pub struct ConsistentSampler {
    heap: BinaryHeap<Reverse<Ticket>>,
    with_replacement: bool,
}

impl Iterator for ConsistentSampler {
    type Item = Ticket;

    fn next(&mut self) -> Option<Ticket> {
        let Reverse(ticket) = self.heap.pop()?;
        if self.with_replacement {
            self.heap.push(Reverse(Ticket {
                number: next_number(&ticket.number),
                id: ticket.id.clone(),
                generation: ticket.generation.saturating_add(1),
            }));
        }
        Some(ticket)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.with_replacement && !self.heap.is_empty() {
            (usize::MAX, None)
        } else {
            (self.heap.len(), Some(self.heap.len()))
        }
    }
}

fn first_tickets<I, S>(ids: I, seed: &str) -> Result<Vec<Ticket>, SamplerError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let state = SeedState::new(seed);
    let ids = ids.into_iter();
    let mut tickets = Vec::with_capacity(ids.size_hint().0);
    for id in ids {
        let id = id.as_ref();
        tickets.push(Ticket {
            number: state.first_number(id),
            id: id.to_owned(),
            generation: 1,
        });
    }
    let mut seen = HashSet::with_capacity(tickets.len());
    for t in &tickets {
        if !seen.insert(t.id.as_str()) {
            return Err(SamplerError::DuplicateId(t.id.clone()));
        }
    }
    Ok(tickets)
}

/// Start a lazy consistent sample of `ids` under `seed`.
///
/// # Errors
/// [`SamplerError::DuplicateId`] if an id occurs twice.
///
/// ```
/// let ids = ["A#2", "B#7", "C#1", "D#4"];
/// let got: Vec<String> = sampler::sample(ids, "314159", true)
///     .unwrap()
///     .take(8)
///     .map(|t| t.id)
///     .collect();
/// assert_eq!(got, ["D#4", "C#1", "C#1", "B#7", "A#2", "C#1", "D#4", "B#7"]);
/// ```
pub fn sample<I, S>(
    ids: I,
    seed: &str,
    with_replacement: bool,
) -> Result<ConsistentSampler, SamplerError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let tickets = first_tickets(ids, seed)?;
    Ok(ConsistentSampler {
        heap: tickets.into_iter().map(Reverse).collect(),
        with_replacement,
    })
}

/// The full draw order of `ids` under `seed`, without replacement (sorts
/// the first tickets once; faster than draining a [`sample`] iterator).
///
/// # Errors
/// [`SamplerError::DuplicateId`] if an id occurs twice.
///
/// ```
/// let got = sampler::order(["dog", "cat", "fish", "goat"], "xy()134!g2n").unwrap();
/// assert_eq!(got, ["cat", "dog", "goat", "fish"]);
/// ```
pub fn order<I, S>(ids: I, seed: &str) -> Result<Vec<String>, SamplerError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let tickets = first_tickets(ids, seed)?;
    // Sort small (key, index) pairs: the key is the first 16 bytes of the
    // ticket string (zero-padded, so key order agrees with string order);
    // equal keys fall back to the full ticket comparison.
    let mut keyed: Vec<(u128, usize)> = tickets
        .iter()
        .enumerate()
        .map(|(i, t)| (prefix_key(&t.number), i))
        .collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| tickets[a.1].cmp(&tickets[b.1])));
    let mut slots: Vec<Option<Ticket>> = tickets.into_iter().map(Some).collect();
    Ok(keyed
        .into_iter()
        .filter_map(|(_, i)| slots.get_mut(i).and_then(Option::take))
        .map(|t| t.id)
        .collect())
}

/// First 16 bytes of `s`, big-endian, zero-padded.
fn prefix_key(s: &str) -> u128 {
    let mut k = [0u8; 16];
    let n = s.len().min(16);
    k[..n].copy_from_slice(&s.as_bytes()[..n]);
    u128::from_be_bytes(k)
}
