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
//! QR codes always use error-correction level M, byte mode (in the smallest
//! version that holds the text), and a 4-module quiet zone, so that a
//! decoder returns exactly the bytes that went in. ASCII text (every GS1
//! Digital Link URI) is encoded as is; other text gets the UTF-8 ECI
//! (000026) header so that decoders do not guess another charset.
//!
//! PNG output is 1-bit black and white; label PNGs record their resolution
//! (pHYs) so they print at the label's size. The label PNG's text uses the
//! embedded font8x8 bitmap font and the PDF uses the standard Helvetica
//! font: neither has CJK glyphs (PNG draws empty boxes, PDF prints `?`).
//! The SVG keeps every character; its text is XML-escaped.

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
