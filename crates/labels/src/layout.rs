//! Label data, label sizes and the backend-independent label layout (in mm).

use std::fmt;
use std::str::FromStr;

/// What goes on one label.
///
/// `uri` is encoded in the QR code byte for byte; the other fields are only
/// printed as human-readable text, exactly as given (`expiry` is expected as
/// `YYYY-MM-DD` and printed as `EXP YYYY-MM-DD`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelData {
    /// GS1 Digital Link URI encoded in the QR code.
    pub uri: String,
    /// GTIN, printed after `(01)`.
    pub gtin: String,
    /// Batch/lot, printed after `(10)` when present.
    pub lot: Option<String>,
    /// Serial number, printed after `(21)`.
    pub serial: String,
    /// Expiry date `YYYY-MM-DD`, printed after `EXP` when present.
    pub expiry: Option<String>,
    /// Product name, wrapped (and if need be shortened with `...`) to fit.
    pub product_name: String,
}

impl LabelData {
    /// The human-readable lines in print order: `(01) gtin`, `(10) lot`,
    /// `(21) serial`, `EXP yyyy-mm-dd` (the product name is laid out
    /// separately because it wraps).
    pub(crate) fn hri_lines(&self) -> Vec<String> {
        let mut lines = vec![format!("(01) {}", self.gtin)];
        if let Some(lot) = &self.lot {
            lines.push(format!("(10) {lot}"));
        }
        lines.push(format!("(21) {}", self.serial));
        if let Some(exp) = &self.expiry {
            lines.push(format!("EXP {exp}"));
        }
        lines
    }
}

/// Common label sizes. Roll sizes print one label per page; the A4 sheet
/// holds 3 x 8 labels of 70 x 37 mm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelSize {
    /// 50 x 30 mm roll label.
    Mm50x30,
    /// 62 x 29 mm Brother DK-11209 address label.
    Brother62x29,
    /// 100 x 50 mm roll label.
    Mm100x50,
    /// 40 x 25 mm roll label.
    Mm40x25,
    /// A4 sheet (210 x 297 mm) of 3 x 8 labels, 70 x 37 mm each.
    A4Sheet3x8,
}

impl LabelSize {
    /// Every supported size.
    pub const ALL: [LabelSize; 5] = [
        LabelSize::Mm50x30,
        LabelSize::Brother62x29,
        LabelSize::Mm100x50,
        LabelSize::Mm40x25,
        LabelSize::A4Sheet3x8,
    ];

    /// Width and height of one label in mm.
    pub fn label_mm(self) -> (f64, f64) {
        match self {
            LabelSize::Mm50x30 => (50.0, 30.0),
            LabelSize::Brother62x29 => (62.0, 29.0),
            LabelSize::Mm100x50 => (100.0, 50.0),
            LabelSize::Mm40x25 => (40.0, 25.0),
            LabelSize::A4Sheet3x8 => (70.0, 37.0),
        }
    }

    /// Width and height of one page in mm (the label itself for roll sizes).
    pub fn page_mm(self) -> (f64, f64) {
        match self {
            LabelSize::A4Sheet3x8 => (210.0, 297.0),
            other => other.label_mm(),
        }
    }

    /// Labels per page as (columns, rows).
    pub fn grid(self) -> (usize, usize) {
        match self {
            LabelSize::A4Sheet3x8 => (3, 8),
            _ => (1, 1),
        }
    }

    /// Number of labels on one page.
    pub fn labels_per_page(self) -> usize {
        let (c, r) = self.grid();
        c * r
    }

    /// Short name, also accepted by [`str::parse`]: `50x30`, `62x29`,
    /// `100x50`, `40x25`, `a4-3x8`.
    pub fn name(self) -> &'static str {
        match self {
            LabelSize::Mm50x30 => "50x30",
            LabelSize::Brother62x29 => "62x29",
            LabelSize::Mm100x50 => "100x50",
            LabelSize::Mm40x25 => "40x25",
            LabelSize::A4Sheet3x8 => "a4-3x8",
        }
    }

    /// Top-left corner (mm) of the `index`-th label on a page, row by row.
    pub(crate) fn label_origin(self, index: usize) -> (f64, f64) {
        let (cols, rows) = self.grid();
        let (lw, lh) = self.label_mm();
        let (pw, ph) = self.page_mm();
        let x0 = (pw - cols as f64 * lw) / 2.0;
        let y0 = (ph - rows as f64 * lh) / 2.0;
        let (col, row) = (index % cols, index / cols);
        (x0 + col as f64 * lw, y0 + row as f64 * lh)
    }
}

impl fmt::Display for LabelSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LabelSize {
    type Err = crate::LabelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace(['×', '*'], "x");
        LabelSize::ALL
            .into_iter()
            .find(|size| size.name() == norm)
            .ok_or_else(|| crate::LabelError::UnknownSize(s.to_string()))
    }
}

/// Line height as a multiple of the font size.
pub(crate) const LINE_HEIGHT: f64 = 1.25;
const MARGIN_MM: f64 = 1.5;
const GAP_MM: f64 = 1.0;
const MIN_FONT_MM: f64 = 1.4;

/// One line of text, positioned in mm from the label's top-left corner.
#[derive(Debug, Clone)]
pub(crate) struct TextLine {
    pub text: String,
    pub x: f64,
    /// Top of the line box.
    pub top: f64,
    /// Font size (em) in mm.
    pub size: f64,
    /// Horizontal scale (at most 1) the backend applies to the glyphs; the
    /// same for all lines of a label, chosen so that every line fits.
    pub squeeze: f64,
}

/// Where the QR code and the text go on one label (mm).
#[derive(Debug, Clone)]
pub(crate) struct LabelLayout {
    pub qr_x: f64,
    pub qr_y: f64,
    /// Side of the square reserved for the QR code, quiet zone included.
    pub qr_side: f64,
    pub lines: Vec<TextLine>,
}

/// Lays out a label. `em_width(c)` is the advance of `c` in em for the
/// backend's font.
pub(crate) fn layout(
    data: &LabelData,
    size: LabelSize,
    em_width: &dyn Fn(char) -> f64,
) -> LabelLayout {
    let (w, h) = size.label_mm();
    let qr_side = h - 2.0 * MARGIN_MM;
    let text_x = MARGIN_MM + qr_side + GAP_MM;
    let text_w = w - text_x - MARGIN_MM;
    let text_h = h - 2.0 * MARGIN_MM;
    let measure = |s: &str, f: f64| s.chars().map(em_width).sum::<f64>() * f;

    let hri = data.hri_lines();
    let name = data
        .product_name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let max_font = (h * 0.12).min(4.5);

    // Largest font at which everything fits; at the minimum font size all
    // lines are squeezed horizontally by the same factor so that the widest
    // human-readable line fits, and a product name that still does not fit
    // is cut short with "...".
    let mut font = max_font;
    let mut squeeze = 1.0;
    let mut name_lines;
    loop {
        let at_min = font * 0.92 < MIN_FONT_MM;
        if at_min {
            font = MIN_FONT_MM;
            let widest = hri.iter().map(|l| measure(l, font)).fold(0.0, f64::max);
            if widest > text_w {
                squeeze = text_w / widest;
            }
        }
        let fit = |s: &str| measure(s, font) * squeeze;
        name_lines = wrap(&name, text_w, &fit);
        let n = hri.len() + name_lines.len();
        let fits_h = n as f64 * LINE_HEIGHT * font <= text_h;
        let fits_w = hri.iter().all(|l| fit(l) <= text_w + 1e-9);
        if fits_h && fits_w {
            break;
        }
        if at_min {
            let max_lines = (text_h / (LINE_HEIGHT * font)).floor() as usize;
            let room = max_lines.saturating_sub(hri.len());
            if name_lines.len() > room {
                name_lines.truncate(room);
                if let Some(last) = name_lines.last_mut() {
                    *last = ellipsize(last, text_w, &fit);
                }
            }
            break;
        }
        font *= 0.92;
    }

    let all: Vec<String> = hri.into_iter().chain(name_lines).collect();
    let block_h = all.len() as f64 * LINE_HEIGHT * font;
    let top0 = MARGIN_MM + ((text_h - block_h) / 2.0).max(0.0);
    let lines = all
        .into_iter()
        .enumerate()
        .map(|(i, text)| TextLine {
            text,
            x: text_x,
            top: top0 + i as f64 * LINE_HEIGHT * font,
            size: font,
            squeeze,
        })
        .collect();
    LabelLayout {
        qr_x: MARGIN_MM,
        qr_y: MARGIN_MM,
        qr_side,
        lines,
    }
}

/// Greedy word wrap; words wider than a line are broken between characters
/// (which also wraps CJK text, written without spaces).
fn wrap(text: &str, width: f64, measure: &dyn Fn(&str) -> f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if measure(&candidate) <= width {
            cur = candidate;
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        for c in word.chars() {
            let mut next = cur.clone();
            next.push(c);
            if measure(&next) > width && !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
                cur.push(c);
            } else {
                cur = next;
            }
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Appends `...` to `line`, dropping characters until it fits `width`.
fn ellipsize(line: &str, width: f64, measure: &dyn Fn(&str) -> f64) -> String {
    let mut chars: Vec<char> = line.chars().collect();
    loop {
        let s: String = chars.iter().collect::<String>() + "...";
        if chars.is_empty() || measure(&s) <= width {
            return s;
        }
        chars.pop();
    }
}

/// East Asian wide characters (CJK ideographs, kana, Hangul, full-width
/// forms), which take about one em in any font.
pub(crate) fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mono(c: char) -> f64 {
        if is_wide(c) { 1.0 } else { 0.6 }
    }

    fn sample() -> LabelData {
        LabelData {
            uri: "https://ppe.example.org/01/09506000134352/10/LOT42/21/Ab3xK9pQ2mZ7".into(),
            gtin: "09506000134352".into(),
            lot: Some("LOT42".into()),
            serial: "Ab3xK9pQ2mZ7".into(),
            expiry: Some("2029-12-31".into()),
            product_name: "FFP2 respirator".into(),
        }
    }

    #[test]
    fn size_names_round_trip() {
        for size in LabelSize::ALL {
            assert_eq!(size.name().parse::<LabelSize>().unwrap(), size);
        }
        assert_eq!(
            "62×29".parse::<LabelSize>().unwrap(),
            LabelSize::Brother62x29
        );
        assert!("99x99".parse::<LabelSize>().is_err());
    }

    #[test]
    fn a4_grid_fits_the_page() {
        let s = LabelSize::A4Sheet3x8;
        assert_eq!(s.labels_per_page(), 24);
        let (x, y) = s.label_origin(23);
        let (lw, lh) = s.label_mm();
        assert!(x + lw <= 210.0 + 1e-9 && y + lh <= 297.0 + 1e-9);
        assert_eq!(s.label_origin(0), (0.0, 0.5));
    }

    #[test]
    fn text_stays_inside_label() {
        let mut long = sample();
        long.product_name = "Very long product name ".repeat(20) + &"防护口罩".repeat(30);
        for data in [sample(), long] {
            for size in LabelSize::ALL {
                let (w, h) = size.label_mm();
                let l = layout(&data, size, &mono);
                assert!(l.qr_x + l.qr_side <= w && l.qr_y + l.qr_side <= h);
                assert!(l.lines.len() >= 4, "{size}: {:?}", l.lines);
                for line in &l.lines {
                    assert!(line.squeeze > 0.3 && line.squeeze <= 1.0);
                    let width = line.text.chars().map(mono).sum::<f64>() * line.size;
                    assert!(
                        line.x + width * line.squeeze <= w - MARGIN_MM + 1e-9,
                        "{size} {line:?}"
                    );
                    assert!(
                        line.top + line.size * LINE_HEIGHT <= h + 1e-9,
                        "{size} {line:?}"
                    );
                    assert!(line.x > l.qr_x + l.qr_side);
                }
            }
        }
    }

    #[test]
    fn wrap_breaks_cjk_and_words() {
        let m = |s: &str| s.chars().map(mono).sum::<f64>();
        let lines = wrap("防护口罩防护口罩", 3.0, &m);
        assert_eq!(lines, vec!["防护口", "罩防护", "口罩"]);
        let lines = wrap("aa bb cc", 2.5, &m);
        assert_eq!(lines, vec!["aa", "bb", "cc"]);
        assert_eq!(ellipsize("abcdef", 3.0, &m), "ab...");
    }
}
