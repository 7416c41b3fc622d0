//! Round-trip tests: every QR code is decoded with a real decoder (`rqrr`)
//! and must give back the exact input bytes.

use crate::*;

const URI: &str = "https://ppe.example.org/01/09506000134352/10/LOT42/21/Ab3xK9pQ2mZ7";

/// A GS1 Digital Link URI of exactly `len` characters (len >= 70).
fn long_uri(len: usize) -> String {
    let base =
        "https://resolver.ppe-trace.example.org/01/09506000134352/10/L%C3%96T-2026.11_a~b/21/";
    let serial: String = "Ab3xK9pQ2mZ7-._~!$&'()*+,;=:@"
        .chars()
        .cycle()
        .take(len.saturating_sub(base.len()))
        .collect();
    let uri = format!("{base}{serial}");
    assert_eq!(uri.len(), len);
    uri
}

fn sample() -> LabelData {
    LabelData {
        uri: URI.into(),
        gtin: "09506000134352".into(),
        lot: Some("LOT42".into()),
        serial: "Ab3xK9pQ2mZ7".into(),
        expiry: Some("2029-12-31".into()),
        product_name: "KN95 防护口罩 (GB 2626-2019) <FFP2> & \"more\"".into(),
    }
}

/// Decodes every QR code in a greyscale image; returns the raw payloads.
fn decode_luma(img: image::GrayImage) -> Vec<Vec<u8>> {
    let mut prepared = rqrr::PreparedImage::prepare(img);
    prepared
        .detect_grids()
        .into_iter()
        .map(|grid| {
            let mut out = Vec::new();
            grid.decode_to(&mut out).expect("QR decodes");
            out
        })
        .collect()
}

/// Decodes a PNG that must hold exactly one QR code.
fn decode_png(png: &[u8]) -> String {
    let img = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .expect("valid PNG")
        .to_luma8();
    let mut found = decode_luma(img);
    assert_eq!(found.len(), 1, "expected exactly one QR code");
    String::from_utf8(found.remove(0)).expect("UTF-8 payload")
}

/// Rasterises an SVG path made of `M{x} {y}h{len}v1h-{len}z` runs (module
/// units), adds white space around it and decodes it.
fn decode_svg_path(d: &str) -> String {
    let mut runs = Vec::new();
    for cmd in d.split('M').filter(|c| !c.is_empty()) {
        let (xy, rest) = cmd.split_once('h').expect("h after M");
        let (x, y) = xy.split_once(' ').expect("x y");
        let len = rest.split_once('v').expect("v after h").0;
        runs.push((
            x.parse::<usize>().expect("x"),
            y.parse::<usize>().expect("y"),
            len.parse::<usize>().expect("len"),
        ));
    }
    let n = runs
        .iter()
        .map(|&(x, y, l)| (x + l).max(y + 1))
        .max()
        .expect("runs")
        + 4;
    let px = 4;
    let mut img =
        image::GrayImage::from_pixel((n * px) as u32, (n * px) as u32, image::Luma([255]));
    for (x, y, len) in runs {
        for yy in y * px..(y + 1) * px {
            for xx in x * px..(x + len) * px {
                img.put_pixel(xx as u32, yy as u32, image::Luma([0]));
            }
        }
    }
    let mut found = decode_luma(img);
    assert_eq!(found.len(), 1);
    String::from_utf8(found.remove(0)).expect("UTF-8 payload")
}

fn texts() -> Vec<String> {
    vec![
        URI.to_string(),
        "x".to_string(),
        "HELLO WORLD 0123456789".to_string(), // alphanumeric-only text stays byte mode
        "09506000134352".to_string(),
        long_uri(100),
        long_uri(150),
        long_uri(200),
        "KN95 防护口罩 — Grüße".to_string(),
        "line\nbreak\ttab".to_string(),
    ]
}

#[test]
fn qr_png_round_trips_exactly() {
    for text in texts() {
        for module_px in [2, 3, 8] {
            let png = qr_png(&text, module_px).unwrap();
            assert_eq!(decode_png(&png), text, "module_px {module_px}");
        }
    }
}

#[test]
fn qr_png_has_quiet_zone_and_module_size() {
    let png = qr_png(URI, 5).unwrap();
    let img = image::load_from_memory(&png).unwrap().to_luma8();
    // 70 bytes at level M in byte mode need version 5 (37 modules).
    let n = 37 + 2 * QUIET_ZONE_MODULES as u32;
    assert_eq!(img.dimensions(), (n * 5, n * 5));
    for i in 0..img.width() {
        for q in 0..(QUIET_ZONE_MODULES as u32 * 5) {
            assert_eq!(img.get_pixel(i, q).0[0], 255);
            assert_eq!(img.get_pixel(q, i).0[0], 255);
        }
    }
    assert_eq!(
        img.get_pixel(20, 20).0[0],
        0,
        "finder pattern starts after the quiet zone"
    );
}

#[test]
fn qr_svg_is_xml_and_round_trips() {
    for text in texts() {
        let svg = qr_svg(&text).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        let vb: Vec<usize> = root
            .attribute("viewBox")
            .unwrap()
            .split(' ')
            .map(|v| v.parse().unwrap())
            .collect();
        let n = vb[2];
        assert_eq!(vb, vec![0, 0, n, n]);
        assert_eq!(root.attribute("width"), Some((n * 8).to_string().as_str()));
        assert_eq!(root.attribute("height"), Some((n * 8).to_string().as_str()));
        let path = root.descendants().find(|e| e.has_tag_name("path")).unwrap();
        assert_eq!(decode_svg_path(path.attribute("d").unwrap()), text);
    }
}

#[test]
fn qr_for_path_picks_format_by_extension() {
    let png = qr_for_path(URI, "out/item.PNG").unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(decode_png(&png), URI);
    assert_eq!(qr_for_path(URI, "png").unwrap(), png);
    let svg = qr_for_path(URI, std::path::Path::new("a/b.svg")).unwrap();
    assert_eq!(String::from_utf8(svg).unwrap(), qr_svg(URI).unwrap());
    assert_eq!(
        qr_for_path(URI, ".svg").unwrap(),
        qr_svg(URI).unwrap().into_bytes()
    );
    for bad in ["a.gif", "a.svg.txt", "noext", ""] {
        assert!(
            matches!(qr_for_path(URI, bad), Err(LabelError::UnsupportedFormat(_))),
            "{bad}"
        );
    }
}

#[test]
fn bad_arguments_are_errors() {
    assert!(matches!(
        qr_png(URI, 0),
        Err(LabelError::InvalidModuleSize(0))
    ));
    assert!(matches!(
        qr_png(URI, 101),
        Err(LabelError::InvalidModuleSize(101))
    ));
    let d = sample();
    assert!(matches!(
        label_png(&d, LabelSize::Mm50x30, 71),
        Err(LabelError::InvalidDpi(71))
    ));
    let too_long = LabelData {
        uri: "x".repeat(3000),
        ..sample()
    };
    assert!(matches!(
        label_svg(&too_long, LabelSize::Mm50x30),
        Err(LabelError::TextTooLong { len: 3000 })
    ));
    assert!(matches!(
        label_png(&too_long, LabelSize::Mm50x30, 300),
        Err(LabelError::TextTooLong { .. })
    ));
    assert!(matches!(
        sheet_svg(std::slice::from_ref(&too_long), LabelSize::A4Sheet3x8),
        Err(LabelError::TextTooLong { .. })
    ));
    assert!(matches!(
        sheet_pdf(&[too_long], LabelSize::A4Sheet3x8),
        Err(LabelError::TextTooLong { .. })
    ));
    // A long URI on the smallest label at a low resolution cannot be
    // printed legibly: an error, not an unreadable label.
    let dense = LabelData {
        uri: long_uri(1000),
        ..sample()
    };
    assert!(matches!(
        label_png(&dense, LabelSize::Mm40x25, 72),
        Err(LabelError::QrTooDense { dpi: 72, .. })
    ));
    // Non-ASCII text needs an ECI header, so it holds fewer bytes.
    assert!(qr_png(&"é".repeat(1160), 1).is_ok());
    assert!(matches!(
        qr_png(&"é".repeat(1166), 1),
        Err(LabelError::TextTooLong { .. })
    ));
}

fn label_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|e| e.has_tag_name("text"))
        .map(|e| e.text().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn label_svg_is_xml_with_mm_sizes_and_text() {
    let data = sample();
    for size in LabelSize::ALL {
        let svg = label_svg(&data, size).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        let (w, h) = size.label_mm();
        assert_eq!(root.attribute("width"), Some(format!("{w}mm").as_str()));
        assert_eq!(root.attribute("height"), Some(format!("{h}mm").as_str()));
        assert_eq!(
            root.attribute("viewBox"),
            Some(format!("0 0 {w} {h}").as_str())
        );

        let texts = label_texts(&svg);
        assert_eq!(
            texts[..4],
            [
                "(01) 09506000134352",
                "(10) LOT42",
                "(21) Ab3xK9pQ2mZ7",
                "EXP 2029-12-31"
            ],
            "{size}"
        );
        // The wrapped product name comes back exactly after XML parsing.
        let name = texts[4..].join(" ");
        assert_eq!(name, data.product_name, "{size}");
        for escaped in ["&lt;FFP2&gt;", " &amp;", "&quot;more&quot;"] {
            assert!(svg.contains(escaped), "{size}: {escaped}");
        }

        let path = root.descendants().find(|e| e.has_tag_name("path")).unwrap();
        assert_eq!(decode_svg_path(path.attribute("d").unwrap()), data.uri);
    }
}

#[test]
fn label_svg_without_optional_fields_and_with_hostile_text() {
    let data = LabelData {
        lot: None,
        expiry: None,
        product_name: "a</text><script>alert(1)</script>\u{0}\u{1b}]]>".into(),
        serial: "<&>".into(),
        ..sample()
    };
    let svg = label_svg(&data, LabelSize::Brother62x29).unwrap();
    let texts = label_texts(&svg);
    assert_eq!(texts[0], "(01) 09506000134352");
    assert_eq!(texts[1], "(21) <&>");
    let name = texts[2..].concat();
    assert_eq!(name, "a</text><script>alert(1)</script>\u{FFFD}\u{FFFD}]]>");
    assert!(!svg.contains("<script"));
}

#[test]
fn very_long_product_name_is_shortened() {
    let data = LabelData {
        product_name: "防护口罩 ".repeat(200),
        ..sample()
    };
    let svg = label_svg(&data, LabelSize::Mm40x25).unwrap();
    let texts = label_texts(&svg);
    assert!(texts.last().unwrap().ends_with("..."));
    roxmltree::Document::parse(&svg).unwrap();
}

#[test]
fn label_png_decodes_for_every_size() {
    let uris = [URI.to_string(), long_uri(150)];
    for size in LabelSize::ALL {
        for uri in &uris {
            for dpi in [203, 300] {
                let data = LabelData {
                    uri: uri.clone(),
                    ..sample()
                };
                let png = label_png(&data, size, dpi).unwrap();
                assert_eq!(&decode_png(&png), uri, "{size} at {dpi} dpi");
                let img = image::load_from_memory(&png).unwrap();
                let (w, h) = size.label_mm();
                let px = |mm: f64| (mm * f64::from(dpi) / 25.4).round() as u32;
                assert_eq!((img.width(), img.height()), (px(w), px(h)));
            }
        }
    }
}

#[test]
fn label_png_records_dpi() {
    let png = label_png(&sample(), LabelSize::Mm50x30, 300).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(&png));
    let reader = decoder.read_info().unwrap();
    let dims = reader.info().pixel_dims.unwrap();
    assert_eq!(dims.unit, png::Unit::Meter);
    assert_eq!(dims.xppu, 11811); // 300 dpi
}

#[test]
fn sheet_svg_pages() {
    let labels: Vec<LabelData> = (0..30)
        .map(|i| LabelData {
            serial: format!("S{i}"),
            uri: format!("{URI}{i}"),
            ..sample()
        })
        .collect();
    let pages = sheet_svg(&labels, LabelSize::A4Sheet3x8).unwrap();
    assert_eq!(pages.len(), 2);
    let mut uris = Vec::new();
    for (page, expected) in pages.iter().zip([24, 6]) {
        let doc = roxmltree::Document::parse(page).unwrap();
        let root = doc.root_element();
        assert_eq!(root.attribute("width"), Some("210mm"));
        assert_eq!(root.attribute("height"), Some("297mm"));
        assert_eq!(root.attribute("viewBox"), Some("0 0 210 297"));
        let paths: Vec<_> = root
            .descendants()
            .filter(|e| e.has_tag_name("path"))
            .collect();
        assert_eq!(paths.len(), expected);
        for p in paths {
            uris.push(decode_svg_path(p.attribute("d").unwrap()));
        }
    }
    let want: Vec<String> = labels.iter().map(|l| l.uri.clone()).collect();
    assert_eq!(uris, want);

    let roll = sheet_svg(&labels[..3], LabelSize::Brother62x29).unwrap();
    assert_eq!(roll.len(), 3);
    assert_eq!(
        roll[1],
        label_svg(&labels[1], LabelSize::Brother62x29).unwrap()
    );
    assert!(sheet_svg(&[], LabelSize::A4Sheet3x8).unwrap().is_empty());
}

#[test]
fn sheet_pdf_structure() {
    let labels = vec![sample(); 25];
    let pdf = sheet_pdf(&labels, LabelSize::A4Sheet3x8).unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.starts_with("%PDF-"));
    assert!(text.trim_end().ends_with("%%EOF"));
    assert!(text.contains("/Count 2"));
    assert!(text.contains("/BaseFont /Helvetica"));
    assert_eq!(
        text.matches("/Type /Page\n").count() + text.matches("/Type /Page ").count(),
        2
    );
    // CJK is outside WinAnsi and shows as '?'; Latin text is kept.
    assert!(text.contains("(KN95 ????"), "{text}");
    assert!(text.contains("((21) Ab3xK9pQ2mZ7) Tj"));
    let roll = sheet_pdf(&labels[..2], LabelSize::Mm100x50).unwrap();
    assert!(String::from_utf8_lossy(&roll).contains("/Count 2"));
    let empty = sheet_pdf(&[], LabelSize::Mm50x30).unwrap();
    assert!(String::from_utf8_lossy(&empty).contains("/Count 0"));
}

mod prop {
    use proptest::prelude::*;

    use crate::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Any URI-like ASCII text up to 150 characters decodes exactly.
        #[test]
        fn ascii_round_trip(text in "[!-~]{1,150}") {
            let png = qr_png(&text, 3).unwrap();
            prop_assert_eq!(super::decode_png(&png), text);
        }

        /// Any Unicode text (UTF-8, with the UTF-8 ECI) decodes exactly.
        #[test]
        fn unicode_round_trip(text in "\\PC{1,60}") {
            let png = qr_png(&text, 3).unwrap();
            prop_assert_eq!(super::decode_png(&png), text);
        }

        /// Any label data gives well-formed SVG whose text comes back.
        #[test]
        fn label_svg_well_formed(serial in "\\PC{1,30}", name in "\\PC{0,80}") {
            let data = LabelData { serial: serial.clone(), product_name: name, ..super::sample() };
            for size in LabelSize::ALL {
                let svg = label_svg(&data, size).unwrap();
                let texts = super::label_texts(&svg);
                let expected = format!("(21) {serial}");
                let clean: String = expected
                    .chars()
                    .map(|c| if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') { '\u{FFFD}' } else { c })
                    .collect();
                // roxmltree normalises \r\n and \r to \n in text.
                let clean = clean.replace("\r\n", "\n").replace('\r', "\n");
                prop_assert_eq!(&texts[2], &clean);
            }
        }
    }
}
