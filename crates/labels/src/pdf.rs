//! PDF label sheets: vector QR codes (filled rectangles) and text in the
//! built-in Helvetica font (no font embedded).

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use crate::layout::{LINE_HEIGHT, layout};
use crate::qr::QrMatrix;
use crate::{LabelData, LabelError, LabelSize};

const PT_PER_MM: f64 = 72.0 / 25.4;
const FONT: Name<'static> = Name(b"F1");

/// Helvetica advance widths (1/1000 em) for U+0020..=U+007E, from the
/// standard Adobe font metrics.
const HELVETICA_ASCII: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0..9
    278, 278, 584, 584, 584, 556, 1015, // :..@
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, // A..M
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N..Z
    278, 278, 278, 469, 556, 333, // [..`
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, // a..m
    556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // n..z
    334, 260, 334, 584, // {..~
];

/// The WinAnsiEncoding byte for `c`; characters Helvetica cannot show this
/// way (e.g. CJK) become `?`.
fn win_ansi(c: char) -> u8 {
    match c as u32 {
        v @ (0x20..=0x7E | 0xA0..=0xFF) => v as u8,
        _ => b'?',
    }
}

fn helvetica_em(c: char) -> f64 {
    let b = win_ansi(c);
    let w = match b {
        0x20..=0x7E => HELVETICA_ASCII[usize::from(b - 0x20)],
        _ => 556,
    };
    f64::from(w) / 1000.0
}

/// Renders labels as a PDF: one page per label for roll sizes, 24 labels
/// per A4 page for [`LabelSize::A4Sheet3x8`]. QR codes are vector
/// rectangles; text uses the standard Helvetica font with WinAnsi encoding,
/// so characters outside Latin-1 (e.g. Chinese) print as `?` — use
/// [`crate::sheet_svg`] for such names. No labels give a PDF with no pages.
///
/// # Errors
///
/// [`LabelError::TextTooLong`] if a URI does not fit in a QR code.
pub fn sheet_pdf(labels: &[LabelData], size: LabelSize) -> Result<Vec<u8>, LabelError> {
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let font_id = Ref::new(3);
    let pages: Vec<&[LabelData]> = labels.chunks(size.labels_per_page()).collect();
    let page_ids: Vec<(Ref, Ref)> = (0..pages.len())
        .map(|i| {
            let base = 4 + 2 * i32::try_from(i).unwrap_or(i32::MAX / 4);
            (Ref::new(base), Ref::new(base + 1))
        })
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().map(|(p, _)| *p))
        .count(i32::try_from(page_ids.len()).unwrap_or(i32::MAX));
    pdf.type1_font(font_id)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));

    let (pw, ph) = size.page_mm();
    for (page, (page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut content = Content::new();
        content.set_fill_gray(0.0);
        for (i, data) in page.iter().enumerate() {
            let origin = size.label_origin(i);
            draw_label(&mut content, data, size, origin, ph)?;
        }
        let mut p = pdf.page(*page_id);
        p.parent(tree_id)
            .media_box(Rect::new(
                0.0,
                0.0,
                (pw * PT_PER_MM) as f32,
                (ph * PT_PER_MM) as f32,
            ))
            .contents(*content_id);
        p.resources().fonts().pair(FONT, font_id);
        p.finish();
        pdf.stream(*content_id, &content.finish());
    }
    Ok(pdf.finish())
}

fn draw_label(
    content: &mut Content,
    data: &LabelData,
    size: LabelSize,
    (ox, oy): (f64, f64),
    page_h: f64,
) -> Result<(), LabelError> {
    let qr = QrMatrix::encode(&data.uri)?;
    let l = layout(data, size, &helvetica_em);
    // Page coordinates in pt from label coordinates in mm (y grows down).
    let px = |x: f64| ((ox + x) * PT_PER_MM) as f32;
    let py = |y: f64| ((page_h - oy - y) * PT_PER_MM) as f32;

    let m = l.qr_side / qr.size() as f64;
    for (x, y, len) in qr.dark_runs() {
        let x0 = l.qr_x + x as f64 * m;
        let y1 = l.qr_y + (y + 1) as f64 * m;
        content.rect(
            px(x0),
            py(y1),
            (len as f64 * m * PT_PER_MM) as f32,
            (m * PT_PER_MM) as f32,
        );
    }
    content.fill_nonzero();

    for line in &l.lines {
        let bytes: Vec<u8> = line.text.chars().map(win_ansi).collect();
        let baseline = line.top + line.size * (0.8 + (LINE_HEIGHT - 1.0) / 2.0);
        let scaling = 100.0 * line.squeeze;
        content
            .begin_text()
            .set_font(FONT, (line.size * PT_PER_MM) as f32)
            .set_horizontal_scaling(scaling as f32)
            .set_text_matrix([1.0, 0.0, 0.0, 1.0, px(line.x), py(baseline)])
            .show(Str(&bytes))
            .end_text();
    }
    Ok(())
}
