//! SVG labels and label sheets (user unit = 1 mm).

use std::fmt::Write as _;

use crate::layout::{LabelLayout, is_wide, layout};
use crate::qr::QrMatrix;
use crate::{LabelData, LabelError, LabelSize};

const FONT_FAMILY: &str = "'DejaVu Sans Mono', Menlo, Consolas, 'Noto Sans Mono CJK SC', monospace";

/// Advance of a monospace glyph in em, rounded up a little (DejaVu Sans
/// Mono and Menlo: 0.602, Noto Sans Mono and Courier: 0.6); CJK glyphs are
/// full width.
fn mono_em(c: char) -> f64 {
    if is_wide(c) { 1.0 } else { 0.61 }
}

/// Formats a length in mm with at most 3 decimals.
pub(crate) fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// Escapes text for XML character data and attribute values. Characters
/// that XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF) become U+FFFD.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The label's elements in label coordinates (mm), without the `<svg>`.
fn label_body(data: &LabelData, size: LabelSize) -> Result<String, LabelError> {
    let qr = QrMatrix::encode(&data.uri)?;
    let l: LabelLayout = layout(data, size, &mono_em);
    let (w, h) = size.label_mm();
    let mut out = String::new();
    let scale = l.qr_side / qr.size() as f64;
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "<rect width=\"{}\" height=\"{}\" fill=\"#fff\"/>\
         <path fill=\"#000\" shape-rendering=\"crispEdges\" transform=\"translate({} {}) scale({})\" d=\"{}\"/>\
         <g font-family=\"{}\" fill=\"#000\">",
        num(w),
        num(h),
        num(l.qr_x),
        num(l.qr_y),
        scale,
        qr.svg_path_data(),
        xml_escape(FONT_FAMILY),
    );
    for line in &l.lines {
        // Baseline at about 0.8 em below the top of the line box, centred
        // in the extra line spacing.
        let baseline = line.top + line.size * (0.8 + (crate::layout::LINE_HEIGHT - 1.0) / 2.0);
        // A horizontal scale transform rather than `textLength`, which
        // several renderers (e.g. librsvg) ignore.
        let position = if line.squeeze < 1.0 {
            format!(
                "transform=\"translate({} {}) scale({} 1)\"",
                num(line.x),
                num(baseline),
                num(line.squeeze)
            )
        } else {
            format!("x=\"{}\" y=\"{}\"", num(line.x), num(baseline))
        };
        let _ = write!(
            out,
            "<text {position} font-size=\"{}\" xml:space=\"preserve\">{}</text>",
            num(line.size),
            xml_escape(&line.text)
        );
    }
    out.push_str("</g>");
    Ok(out)
}

fn svg_open(w: f64, h: f64) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" \
         width=\"{w}mm\" height=\"{h}mm\" viewBox=\"0 0 {w} {h}\">",
        w = num(w),
        h = num(h)
    )
}

/// Renders one label as SVG, `width`/`height` in mm (`viewBox` in mm too):
/// the QR code of `data.uri` on the left, the human-readable text on the
/// right (`(01) gtin`, `(10) lot`, `(21) serial`, `EXP yyyy-mm-dd`,
/// product name), XML-escaped, in a monospace font.
///
/// # Errors
///
/// [`LabelError::TextTooLong`] if the URI does not fit in a QR code.
pub fn label_svg(data: &LabelData, size: LabelSize) -> Result<String, LabelError> {
    let (w, h) = size.label_mm();
    Ok(format!(
        "{}{}</svg>\n",
        svg_open(w, h),
        label_body(data, size)?
    ))
}

/// Renders labels as SVG pages: one page per label for roll sizes, 24
/// labels per A4 page for [`LabelSize::A4Sheet3x8`] (the last page may be
/// partly empty). No labels give no pages.
///
/// # Errors
///
/// [`LabelError::TextTooLong`] if a URI does not fit in a QR code.
pub fn sheet_svg(labels: &[LabelData], size: LabelSize) -> Result<Vec<String>, LabelError> {
    if size.labels_per_page() == 1 {
        return labels.iter().map(|data| label_svg(data, size)).collect();
    }
    let (pw, ph) = size.page_mm();
    labels
        .chunks(size.labels_per_page())
        .map(|page| {
            let mut svg = svg_open(pw, ph);
            let _ = write!(
                svg,
                "<rect width=\"{}\" height=\"{}\" fill=\"#fff\"/>",
                num(pw),
                num(ph)
            );
            for (i, data) in page.iter().enumerate() {
                let (x, y) = size.label_origin(i);
                let _ = write!(
                    svg,
                    "<g transform=\"translate({} {})\">{}</g>",
                    num(x),
                    num(y),
                    label_body(data, size)?
                );
            }
            svg.push_str("</svg>\n");
            Ok(svg)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(xml_escape("a&b<c>\"'"), "a&amp;b&lt;c&gt;&quot;&apos;");
        assert_eq!(xml_escape("x\u{1}y"), "x\u{FFFD}y");
        assert_eq!(xml_escape("口罩"), "口罩");
    }

    #[test]
    fn numbers() {
        assert_eq!(num(62.0), "62");
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(0.12345), "0.123");
        assert_eq!(num(-0.0001), "0");
    }
}
