//! Ron Rivest's public, re-implementable random samplers.
//!
//! * [`consistent`] — the SHA-256 *consistent sampler*
//!   (`ron-rivest/consistent_sampler`), used for every ppetrace draw.
//!   Sampling a set and then removing some ids yields exactly the same
//!   relative order as sampling the smaller set directly, so exclusions
//!   (recusal) are a filter that never reorders anyone else.
//! * [`legacy`] — the older 2011 `sampler.py` that picks integers in `[a, b]`.
//!
//! The crate is pure: no I/O, no clock, no global state. Definitions follow
//! `conformance/sampler.md` exactly:
//!
//! * `H(s)` = lowercase hex SHA-256 of the UTF-8 bytes of `s`;
//! * `U(s)` = `"0."` followed by the **reversed** decimal form of
//!   `int(H(s), 16)`, zero-padded to at least 64 digits before reversing;
//! * first ticket of `id` under `seed` = `U(H(seed) + id)`;
//! * objects are drawn in increasing ticket order, comparing the ticket
//!   strings byte-wise, ties broken by id (then generation), like Python's
//!   tuple comparison in the reference code.

pub mod consistent;
mod decimal;
pub mod legacy;

pub use consistent::{
    ConsistentSampler, Ticket, first_ticket, next_ticket, order, sample, sha256_hex, uniform,
};
pub use legacy::LegacySampler;

/// Errors of the sampler crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SamplerError {
    /// The id list given to the consistent sampler holds the same id twice.
    #[error("duplicate id in id list: {0:?}")]
    DuplicateId(String),
    /// A ticket string does not have the form `0.<decimal digits>`.
    #[error("malformed ticket number {0:?}: expected \"0.\" followed by decimal digits")]
    MalformedTicket(String),
    /// The legacy sampler was given an empty range (`low > high`).
    #[error("empty range: low {low} is greater than high {high}")]
    EmptyRange {
        /// Lower bound given.
        low: i64,
        /// Upper bound given.
        high: i64,
    },
}
