//! Greyscale raster rendering (QR modules and an 8x8 bitmap font) and PNG
//! encoding.

use font8x8::UnicodeFonts;

use crate::layout::layout;
use crate::qr::QrMatrix;
use crate::{LabelData, LabelError, LabelSize};

const BLACK: u8 = 0;
const WHITE: u8 = 255;
/// Largest width or height of a rendered image, in pixels.
pub(crate) const MAX_SIDE_PX: usize = 10_000;

/// An 8-bit greyscale image, white when created.
pub(crate) struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    /// A white canvas; at most [`MAX_SIDE_PX`] pixels a side.
    pub(crate) fn new(width: usize, height: usize) -> Result<Self, LabelError> {
        if width > MAX_SIDE_PX || height > MAX_SIDE_PX {
            return Err(LabelError::ImageTooLarge { width, height });
        }
        Ok(Self {
            width,
            height,
            pixels: vec![WHITE; width * height],
        })
    }

    fn set(&mut self, x: usize, y: usize, v: u8) {
        if x < self.width && y < self.height {
            self.pixels[y * self.width + x] = v;
        }
    }

    fn fill_rect(&mut self, x: usize, y: usize, w: usize, h: usize, v: u8) {
        let x1 = (x + w).min(self.width);
        let y1 = (y + h).min(self.height);
        for yy in y.min(y1)..y1 {
            let row = yy * self.width;
            self.pixels[row + x.min(x1)..row + x1].fill(v);
        }
    }

    /// Draws `qr` (quiet zone included) with its top-left corner at `(x, y)`.
    pub(crate) fn draw_qr(&mut self, qr: &QrMatrix, x: usize, y: usize, module_px: usize) {
        for (mx, my, len) in qr.dark_runs() {
            self.fill_rect(
                x + mx * module_px,
                y + my * module_px,
                len * module_px,
                module_px,
                BLACK,
            );
        }
    }

    /// Draws `text` with the font8x8 bitmap font, each glyph scaled to a
    /// `cell_w` x `cell_h` cell (nearest neighbour). Characters missing from
    /// font8x8 (e.g. CJK ideographs) are drawn as an empty box.
    fn draw_text(&mut self, text: &str, x: usize, y: usize, cell_w: usize, cell_h: usize) {
        if cell_w == 0 || cell_h == 0 {
            return;
        }
        for (i, c) in text.chars().enumerate() {
            let cx = x + i * cell_w;
            match glyph(c) {
                Some(rows) => {
                    for py in 0..cell_h {
                        let bits = rows[py * 8 / cell_h];
                        for px in 0..cell_w {
                            if bits & (1 << (px * 8 / cell_w)) != 0 {
                                self.set(cx + px, y + py, BLACK);
                            }
                        }
                    }
                }
                None => {
                    // "Tofu" box: the glyph exists, but not in this font.
                    let (x0, y0) = (cx + cell_w / 8, y + cell_h / 8);
                    let (x1, y1) = (cx + cell_w * 7 / 8, y + cell_h * 7 / 8);
                    let t = (cell_h / 8).max(1);
                    self.fill_rect(x0, y0, x1 - x0, t, BLACK);
                    self.fill_rect(x0, y1.saturating_sub(t), x1 - x0, t, BLACK);
                    self.fill_rect(x0, y0, t, y1 - y0, BLACK);
                    self.fill_rect(x1.saturating_sub(t), y0, t, y1 - y0, BLACK);
                }
            }
        }
    }
}

impl Canvas {
    /// Rows packed 8 pixels per byte, most significant bit first, 1 = white.
    fn packed_1bit(&self) -> Vec<u8> {
        let row_bytes = self.width.div_ceil(8);
        let mut out = vec![0u8; row_bytes * self.height];
        if self.width == 0 {
            return out;
        }
        for (y, row) in self.pixels.chunks(self.width).enumerate() {
            for (x, &v) in row.iter().enumerate() {
                if v >= 128 {
                    out[y * row_bytes + x / 8] |= 0x80 >> (x % 8);
                }
            }
        }
        out
    }
}

fn glyph(c: char) -> Option<[u8; 8]> {
    font8x8::BASIC_FONTS
        .get(c)
        .or_else(|| font8x8::LATIN_FONTS.get(c))
        .or_else(|| font8x8::GREEK_FONTS.get(c))
        .or_else(|| font8x8::MISC_FONTS.get(c))
        .or_else(|| font8x8::HIRAGANA_FONTS.get(c))
        .or_else(|| font8x8::BOX_FONTS.get(c))
        .or_else(|| font8x8::BLOCK_FONTS.get(c))
}

/// Encodes the canvas as a 1-bit greyscale PNG (every pixel is black or
/// white); with `dpi`, a `pHYs`
/// chunk records the physical resolution so the label prints at its size.
pub(crate) fn encode_png(canvas: &Canvas, dpi: Option<u32>) -> Result<Vec<u8>, LabelError> {
    let too_big = |_| LabelError::Png(png::EncodingError::LimitsExceeded);
    let w = u32::try_from(canvas.width).map_err(too_big)?;
    let h = u32::try_from(canvas.height).map_err(too_big)?;
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::One);
        if let Some(dpi) = dpi {
            let ppm = (f64::from(dpi) / 0.0254).round() as u32;
            enc.set_pixel_dims(Some(png::PixelDimensions {
                xppu: ppm,
                yppu: ppm,
                unit: png::Unit::Meter,
            }));
        }
        let mut writer = enc.write_header()?;
        writer.write_image_data(&canvas.packed_1bit())?;
        writer.finish()?;
    }
    Ok(out)
}

/// Renders one label as a black-and-white (1-bit greyscale) PNG at `dpi` (72..=2400; 203, 300 and
/// 600 are typical for label printers), with the resolution recorded in the
/// PNG so it prints at the label's size.
///
/// The QR code is drawn with a whole number of pixels per module (at least
/// 2). The text uses the embedded font8x8 bitmap font: ASCII, Latin-1,
/// Greek and Hiragana render; other characters (e.g. Chinese) are drawn as
/// empty boxes — use [`crate::label_svg`] when names need CJK glyphs.
///
/// # Errors
///
/// [`LabelError::InvalidDpi`], [`LabelError::TextTooLong`], or
/// [`LabelError::QrTooDense`] when the QR code would get fewer than 2 px per
/// module.
pub fn label_png(data: &LabelData, size: LabelSize, dpi: u32) -> Result<Vec<u8>, LabelError> {
    if !(72..=2400).contains(&dpi) {
        return Err(LabelError::InvalidDpi(dpi));
    }
    let qr = QrMatrix::encode(&data.uri)?;
    let px_per_mm = f64::from(dpi) / 25.4;
    let px = |mm: f64| (mm * px_per_mm).round().max(0.0) as usize;
    let (w, h) = size.label_mm();
    let mut canvas = Canvas::new(px(w), px(h))?;

    // font8x8 glyphs are square cells: one em of advance.
    let l = layout(data, size, &|_| 1.0);
    let box_px = px(l.qr_side);
    let module_px = box_px / qr.size();
    if module_px < 2 {
        return Err(LabelError::QrTooDense {
            modules: qr.size(),
            dpi,
        });
    }
    let offset = (box_px - module_px * qr.size()) / 2;
    canvas.draw_qr(&qr, px(l.qr_x) + offset, px(l.qr_y) + offset, module_px);

    for line in &l.lines {
        let cell_h = px(line.size).max(1);
        let cell_w = ((cell_h as f64) * line.squeeze).floor() as usize;
        let pad = px(line.size * (crate::layout::LINE_HEIGHT - 1.0) / 2.0);
        canvas.draw_text(
            &line.text,
            px(line.x),
            px(line.top) + pad,
            cell_w.max(1),
            cell_h,
        );
    }
    encode_png(&canvas, Some(dpi))
}
