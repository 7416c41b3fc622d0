//! QR codes and printable labels for ppetrace item codes.
//!
//! Every PPE item carries one GS1 Digital Link URI (for example
//! `https://ppe.example.org/01/09506000134352/10/LOT42/21/Ab3xK9pQ2mZ7`).
//! This crate turns such a URI into a QR code (SVG or PNG) and lays out
//! whole labels (QR code plus human-readable text) as SVG, PNG or PDF.
//!
//! The library is pure: every function returns bytes or strings and never
//! touches the file system.
//!
//! QR codes always use error-correction level M, byte mode, and a 4-module
//! quiet zone, so that a decoder returns exactly the bytes that went in.

mod error;
mod layout;
mod pdf;
mod qr;
mod raster;
mod svg;

pub use error::LabelError;
pub use layout::{LabelData, LabelSize};
pub use pdf::sheet_pdf;
pub use qr::{QUIET_ZONE_MODULES, qr_for_path, qr_png, qr_svg};
pub use raster::label_png;
pub use svg::{label_svg, sheet_svg};

#[cfg(test)]
mod tests;
