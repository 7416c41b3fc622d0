//! Metadata stripping for attachments: JPEG APPn (EXIF, XMP, IPTC…) and comment
//! segments, PNG ancillary text/EXIF/time chunks, via `img-parts`. Other file types
//! are kept as they are and flagged, so the reporter is warned before sending.

use img_parts::Bytes;
use img_parts::jpeg::Jpeg;
use img_parts::png::Png;

/// What happened to an attachment's metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metadata {
    /// A JPEG or PNG whose metadata was removed.
    Stripped,
    /// A type we cannot clean: sent as is.
    Unchanged,
}

impl Metadata {
    pub fn as_str(self) -> &'static str {
        match self {
            Metadata::Stripped => "stripped",
            Metadata::Unchanged => "unchanged",
        }
    }
}

/// PNG chunks kept: the ones needed to display the image faithfully.
const PNG_KEEP: [&[u8; 4]; 12] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD",
    b"acTL", b"fcTL",
];

/// Returns the cleaned bytes, or the input unchanged when it is not a JPEG or PNG
/// that parses.
pub fn strip_metadata(data: &[u8]) -> (Vec<u8>, Metadata) {
    if data.starts_with(&[0xFF, 0xD8]) {
        if let Ok(mut jpeg) = Jpeg::from_bytes(Bytes::copy_from_slice(data)) {
            // Keep APP0 (JFIF) and APP14 (Adobe colour transform); drop APP1–APP13,
            // APP15 and COM.
            jpeg.segments_mut().retain(|s| {
                let m = s.marker();
                !((0xE1..=0xED).contains(&m) || m == 0xEF || m == 0xFE)
            });
            return (jpeg.encoder().bytes().to_vec(), Metadata::Stripped);
        }
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n")
        && let Ok(mut png) = Png::from_bytes(Bytes::copy_from_slice(data))
    {
        png.chunks_mut()
            .retain(|c| PNG_KEEP.iter().any(|k| **k == c.kind()));
        return (png.encoder().bytes().to_vec(), Metadata::Stripped);
    }
    (data.to_vec(), Metadata::Unchanged)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal PNG with a tEXt chunk naming a place.
    pub fn png_with_text() -> Vec<u8> {
        fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
            let mut out = (data.len() as u32).to_be_bytes().to_vec();
            out.extend_from_slice(kind);
            out.extend_from_slice(data);
            let mut crc_in = kind.to_vec();
            crc_in.extend_from_slice(data);
            out.extend_from_slice(&crc32(&crc_in).to_be_bytes());
            out
        }
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        v.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
        v.extend(chunk(b"tEXt", b"Location\0Factory 7 GPS 41.1,123.0"));
        v.extend(chunk(
            b"IDAT",
            &[0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01],
        ));
        v.extend(chunk(b"IEND", &[]));
        v
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for b in data {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }

    #[test]
    fn png_text_is_removed() {
        let png = png_with_text();
        let (clean, m) = strip_metadata(&png);
        assert_eq!(m, Metadata::Stripped);
        let s = String::from_utf8_lossy(&clean);
        assert!(!s.contains("Factory 7"));
        assert!(s.contains("IDAT"));
    }

    #[test]
    fn jpeg_exif_is_removed() {
        // SOI, APP1 "Exif" with a marker text, SOS with 1 byte of data, EOI.
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xE1];
        let payload = b"Exif\0\0GPS secret place";
        j.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        j.extend_from_slice(payload);
        j.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0x11, 0xFF, 0xD9]);
        let (clean, m) = strip_metadata(&j);
        assert_eq!(m, Metadata::Stripped);
        assert!(!String::from_utf8_lossy(&clean).contains("secret place"));
    }

    #[test]
    fn other_files_are_unchanged() {
        let (out, m) = strip_metadata(b"%PDF-1.7 hello");
        assert_eq!(m, Metadata::Unchanged);
        assert_eq!(out, b"%PDF-1.7 hello");
    }
}
