//! Pure business rules of ppetrace: the registry's value types, lifecycle steps and
//! their CBV mapping, serial generation, the verification verdict, authorisation rules
//! and the canonical shape of tamper-evident log entries.
//!
//! Invariant: this crate does no I/O and reads no clock. Time, randomness and stored
//! facts are passed in, so every rule is testable with plain data.

pub mod authz;
pub mod cert;
pub mod error;
pub mod ledger;
pub mod lifecycle;
pub mod log_entry;
pub mod org;
pub mod product;
pub mod scan;
pub mod serial;
pub mod verify;

pub use error::DomainError;
