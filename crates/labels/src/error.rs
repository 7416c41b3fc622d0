use thiserror::Error;

/// Everything that can go wrong while rendering a QR code or a label.
#[derive(Debug, Error)]
pub enum LabelError {
    /// The text does not fit into the largest QR code (version 40, level M,
    /// byte mode holds at most 2331 bytes).
    #[error("text of {len} bytes is too long for a QR code (at most 2331 bytes at level M)")]
    TextTooLong {
        /// Length of the rejected text in bytes.
        len: usize,
    },
    /// The QR encoder rejected the input for another reason.
    #[error("QR encoding failed: {0}")]
    Qr(qrcode::types::QrError),
    /// `qr_for_path` was given an extension other than `.png` or `.svg`.
    #[error("unsupported output format {0:?}: use a .png or .svg path")]
    UnsupportedFormat(String),
    /// A label size name that [`crate::LabelSize`] does not know.
    #[error("unknown label size {0:?} (expected one of 50x30, 62x29, 100x50, 40x25, a4-3x8)")]
    UnknownSize(String),
    /// The module size in pixels is outside `1..=100`.
    #[error("module size of {0} px is out of range (1..=100)")]
    InvalidModuleSize(u32),
    /// The resolution is outside `72..=2400` dpi.
    #[error("resolution of {0} dpi is out of range (72..=2400)")]
    InvalidDpi(u32),
    /// At this resolution the QR code would have fewer than 2 pixels per
    /// module on the label, which does not scan reliably.
    #[error(
        "QR code with {modules} modules does not fit on the label at {dpi} dpi \
         (needs at least 2 px per module); use a higher dpi, a bigger label or a shorter URI"
    )]
    QrTooDense {
        /// Width of the QR code in modules, including the quiet zone.
        modules: usize,
        /// The requested resolution.
        dpi: u32,
    },
    /// The image would be wider or taller than 10,000 px.
    #[error("image of {width} x {height} px is too large (at most 10000 px a side)")]
    ImageTooLarge {
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
    },
    /// The PNG encoder failed.
    #[error("PNG encoding failed: {0}")]
    Png(#[from] png::EncodingError),
}
