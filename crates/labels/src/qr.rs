//! QR encoding (delegated to the `qrcode` crate) and plain QR renderers.

use std::fmt::Write as _;
use std::path::Path;

use qrcode::bits::Bits;
use qrcode::types::QrError;
use qrcode::{Color, EcLevel, QrCode, Version};

use crate::LabelError;
use crate::raster::{Canvas, encode_png};

/// Width of the quiet zone (light border) around every QR code, in modules.
pub const QUIET_ZONE_MODULES: usize = 4;

/// Byte-mode capacity of a version 40 QR code at level M.
const MAX_BYTES: usize = 2331;

/// ECI assignment number of UTF-8.
const UTF8_ECI: u32 = 26;

/// Module size used by [`qr_for_path`] for PNG output.
const DEFAULT_MODULE_PX: u32 = 8;

/// A QR code as a square matrix of modules, quiet zone included.
#[derive(Debug, Clone)]
pub(crate) struct QrMatrix {
    /// Modules per side, quiet zone included.
    size: usize,
    dark: Vec<bool>,
}

impl QrMatrix {
    /// Encodes `text` in byte mode at level M in the smallest version that
    /// holds it.
    pub(crate) fn encode(text: &str) -> Result<Self, LabelError> {
        let data = text.as_bytes();
        if data.len() > MAX_BYTES {
            return Err(LabelError::TextTooLong { len: data.len() });
        }
        let mut last_err = QrError::DataTooLong;
        for v in 1..=40_i16 {
            match Self::try_version(data, v) {
                Ok(code) => return Ok(Self::from_code(&code)),
                Err(e @ QrError::DataTooLong) => last_err = e,
                Err(e) => return Err(LabelError::Qr(e)),
            }
        }
        match last_err {
            QrError::DataTooLong => Err(LabelError::TextTooLong { len: data.len() }),
            e => Err(LabelError::Qr(e)),
        }
    }

    fn try_version(data: &[u8], version: i16) -> Result<QrCode, QrError> {
        let mut bits = Bits::new(Version::Normal(version));
        if !data.is_ascii() {
            // ECI 000026 declares UTF-8; without it decoders guess the
            // charset of non-ASCII bytes (zbar guesses Shift JIS for CJK).
            bits.push_eci_designator(UTF8_ECI)?;
        }
        bits.push_byte_data(data)?;
        bits.push_terminator(EcLevel::M)?;
        QrCode::with_bits(bits, EcLevel::M)
    }

    fn from_code(code: &QrCode) -> Self {
        let inner = code.width();
        let size = inner + 2 * QUIET_ZONE_MODULES;
        let mut dark = vec![false; size * size];
        for (i, c) in code.to_colors().into_iter().enumerate() {
            if c == Color::Dark {
                let (x, y) = (i % inner, i / inner);
                dark[(y + QUIET_ZONE_MODULES) * size + x + QUIET_ZONE_MODULES] = true;
            }
        }
        Self { size, dark }
    }

    /// Modules per side, quiet zone included.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    pub(crate) fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.size && y < self.size && self.dark[y * self.size + x]
    }

    /// Horizontal runs of dark modules as `(x, y, length)`.
    pub(crate) fn dark_runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs = Vec::new();
        for y in 0..self.size {
            let mut x = 0;
            while x < self.size {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.size && self.is_dark(x, y) {
                        x += 1;
                    }
                    runs.push((start, y, x - start));
                } else {
                    x += 1;
                }
            }
        }
        runs
    }

    /// SVG path data (`d` attribute) drawing the dark modules in module units.
    pub(crate) fn svg_path_data(&self) -> String {
        let mut d = String::new();
        for (x, y, len) in self.dark_runs() {
            // Writing to a String cannot fail.
            let _ = write!(d, "M{x} {y}h{len}v1h-{len}z");
        }
        d
    }
}

/// Renders `text` as a standalone SVG QR code.
///
/// The SVG uses one user unit per module (`viewBox="0 0 N N"`, quiet zone
/// included) and declares `width`/`height` of 8 px per module, the same size
/// as [`qr_png`] with `module_px = 8`; it scales freely.
///
/// # Errors
///
/// [`LabelError::TextTooLong`] if the text does not fit in a QR code.
pub fn qr_svg(text: &str) -> Result<String, LabelError> {
    let m = QrMatrix::encode(text)?;
    let n = m.size();
    let px = n * DEFAULT_MODULE_PX as usize;
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{px}\" height=\"{px}\" \
         viewBox=\"0 0 {n} {n}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{n}\" height=\"{n}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{d}\"/></svg>\n",
        d = m.svg_path_data()
    ))
}

/// Renders `text` as a black-and-white (1-bit greyscale) PNG QR code with
/// `module_px` pixels per module (quiet zone included).
///
/// # Errors
///
/// [`LabelError::TextTooLong`] if the text does not fit in a QR code,
/// [`LabelError::InvalidModuleSize`] unless `1 <= module_px <= 100`,
/// [`LabelError::ImageTooLarge`] beyond 10,000 px a side.
pub fn qr_png(text: &str, module_px: u32) -> Result<Vec<u8>, LabelError> {
    if !(1..=100).contains(&module_px) {
        return Err(LabelError::InvalidModuleSize(module_px));
    }
    let m = QrMatrix::encode(text)?;
    let mpx = module_px as usize;
    let side = m.size() * mpx;
    let mut canvas = Canvas::new(side, side)?;
    canvas.draw_qr(&m, 0, 0, mpx);
    encode_png(&canvas, None)
}

/// Renders `text` as a QR code in the format named by `path`'s extension:
/// `.png` (8 px per module) or `.svg` (UTF-8 bytes), case-insensitive.
///
/// `path` may be a file path (`out/item.png`) or just an extension
/// (`"png"` or `".svg"`). Nothing is written: the caller stores the bytes.
///
/// # Errors
///
/// [`LabelError::UnsupportedFormat`] for any other extension, plus the
/// errors of [`qr_png`] / [`qr_svg`].
pub fn qr_for_path(text: &str, path: impl AsRef<Path>) -> Result<Vec<u8>, LabelError> {
    let path = path.as_ref();
    let ext = match path.extension() {
        Some(ext) => ext.to_string_lossy().into_owned(),
        None => path.to_string_lossy().trim_start_matches('.').to_string(),
    };
    match ext.to_ascii_lowercase().as_str() {
        "png" => qr_png(text, DEFAULT_MODULE_PX),
        "svg" => qr_svg(text).map(String::into_bytes),
        _ => Err(LabelError::UnsupportedFormat(path.display().to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_zone_is_light() {
        let m = QrMatrix::encode("hello").unwrap();
        // Version 1 is 21 modules, plus 4 on each side.
        assert_eq!(m.size(), 29);
        for i in 0..m.size() {
            for q in 0..QUIET_ZONE_MODULES {
                assert!(!m.is_dark(i, q));
                assert!(!m.is_dark(q, i));
                assert!(!m.is_dark(i, m.size() - 1 - q));
                assert!(!m.is_dark(m.size() - 1 - q, i));
            }
        }
        // The finder pattern's top-left corner is dark.
        assert!(m.is_dark(QUIET_ZONE_MODULES, QUIET_ZONE_MODULES));
    }

    #[test]
    fn capacity_limit_is_an_error() {
        let max = "a".repeat(MAX_BYTES);
        let m = QrMatrix::encode(&max).unwrap();
        assert_eq!(m.size(), 177 + 2 * QUIET_ZONE_MODULES);
        let too_long = "a".repeat(MAX_BYTES + 1);
        assert!(matches!(
            QrMatrix::encode(&too_long),
            Err(LabelError::TextTooLong { len }) if len == MAX_BYTES + 1
        ));
        assert!(matches!(
            qr_png(&too_long, 4),
            Err(LabelError::TextTooLong { .. })
        ));
        assert!(matches!(
            qr_svg(&too_long),
            Err(LabelError::TextTooLong { .. })
        ));
    }

    #[test]
    fn byte_mode_uses_smallest_version() {
        // 14 bytes fit version 1-M in byte mode (capacity 14).
        assert_eq!(QrMatrix::encode(&"A".repeat(14)).unwrap().size(), 29);
        assert_eq!(QrMatrix::encode(&"A".repeat(15)).unwrap().size(), 33);
    }
}
