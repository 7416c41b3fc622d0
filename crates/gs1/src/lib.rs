//! # gs1 — GS1 identifiers for ppetrace
//!
//! The only place in ppetrace where GS1 identifiers are parsed or formatted. Pure: no I/O.
//!
//! * keys and check digits: [`check_digit`], [`has_valid_check_digit`], [`Gtin`], [`Gln`],
//!   [`Sscc`], [`Uscc`] (Chinese Unified Social Credit Code), [`Lot`], [`Serial`];
//! * the Application Identifier table: [`ai`];
//! * GS1 Digital Link URIs: [`DigitalLink`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ai;
mod any;
mod check;
pub mod dl;
pub mod element;
pub mod epc;
mod error;
mod keys;
mod pct;
pub mod uscc;

pub use any::{Gs1Data, InputKind, parse_any};
pub use check::{
    CSET82, Charset, check_character_pair, check_digit, check_hhmm, check_yymmdd,
    has_valid_check_digit, is_cset39_char, is_cset64_char, is_cset82, is_cset82_char,
};
pub use dl::DigitalLink;
pub use epc::{EpcUrn, digital_link_to_urn, urn_to_digital_link};
pub use error::Gs1Error;
pub use keys::{Gln, Gtin, Lot, Serial, Sscc, Uscc};
