//! # gs1 — GS1 identifiers for ppetrace
//!
//! The only place in ppetrace where GS1 identifiers are parsed or formatted. Pure: no I/O.
//!
//! * keys and check digits: [`check_digit`], [`has_valid_check_digit`], [`Gtin`], [`Gln`],
//!   [`Sscc`], [`Grai`], [`Giai`], [`Gsrn`], [`Gdti`], [`Ginc`], [`Gsin`], [`Uscc`] (Chinese
//!   Unified Social Credit Code), [`Lot`], [`Serial`];
//! * the data-driven Application Identifier table: [`ai`] (one [`ai::AiDef`] per AI);
//! * element strings, bracketed and raw/scanned: [`element`];
//! * GS1 Digital Link URIs (1.x, uncompressed): [`DigitalLink`];
//! * EPC URNs (Tag Data Standard 2.x) and their conversion: [`epc`];
//! * one entry point for any of these: [`parse_any`] → [`Gs1Data`].
//!
//! ```
//! use gs1::{DigitalLink, Gtin, Lot, Serial};
//!
//! let gtin = Gtin::parse("9506000134352")?; // GTIN-13, normalised to 14 digits
//! let dl = DigitalLink::sgtin(&gtin, Some(&Lot::parse("ABC")?), &Serial::parse("XYZ")?);
//! assert_eq!(dl.canonical(), "https://id.gs1.org/01/09506000134352/10/ABC/21/XYZ");
//! assert_eq!(
//!     dl.to_uri("https://ppe.example.org"),
//!     "https://ppe.example.org/01/09506000134352/10/ABC/21/XYZ"
//! );
//!
//! let data = gs1::parse_any("urn:epc:id:sgtin:0614141.812345.6789")?;
//! assert_eq!(data.element_string(), "(01)80614141123458(21)6789");
//! assert_eq!(
//!     gs1::digital_link_to_urn("https://ppe.example.org/01/80614141123458/21/6789", 7)?,
//!     "urn:epc:id:sgtin:0614141.812345.6789"
//! );
//! # Ok::<(), gs1::Gs1Error>(())
//! ```
//!
//! ## Where the GS1 Company Prefix length comes from
//!
//! Digital Link / element string → EPC URN needs the length of the GS1 Company Prefix
//! inside the key (`company_prefix_len`, 6 to 12); see the [`epc`] module docs: a
//! deployment takes it from its own registry (the prefix a manufacturer registered), from
//! the GS1 Company Prefix length table published by GS1, or from the GS1 Registry Platform.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ai;
mod any;
mod check;
pub mod dl;
pub mod element;
pub mod epc;
mod error;
mod iso3166;
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
pub use keys::{Gdti, Giai, Ginc, Gln, Grai, Gsin, Gsrn, Gtin, Lot, Serial, Sscc, Uscc};
