//! Writes sample QR codes and labels to a directory (default: current dir).
//!
//! `cargo run -p labels --example render -- OUT_DIR`

use labels::{LabelData, LabelSize, label_png, label_svg, qr_for_path, sheet_pdf, sheet_svg};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let data = LabelData {
        uri: "https://ppe.example.org/01/09506000134352/10/LOT42/21/Ab3xK9pQ2mZ7".into(),
        gtin: "09506000134352".into(),
        lot: Some("LOT42".into()),
        serial: "Ab3xK9pQ2mZ7".into(),
        expiry: Some("2029-12-31".into()),
        product_name: "KN95 防护口罩 Respirator <FFP2> & more".into(),
    };
    std::fs::write(dir.join("qr.png"), qr_for_path(&data.uri, "qr.png")?)?;
    std::fs::write(dir.join("qr.svg"), qr_for_path(&data.uri, "qr.svg")?)?;
    for size in LabelSize::ALL {
        std::fs::write(
            dir.join(format!("label-{size}.svg")),
            label_svg(&data, size)?,
        )?;
        std::fs::write(
            dir.join(format!("label-{size}.png")),
            label_png(&data, size, 300)?,
        )?;
    }
    std::fs::write(
        dir.join("roll-40x25.pdf"),
        sheet_pdf(std::slice::from_ref(&data), LabelSize::Mm40x25)?,
    )?;
    let many = vec![data; 30];
    for (i, page) in sheet_svg(&many, LabelSize::A4Sheet3x8)?.iter().enumerate() {
        std::fs::write(dir.join(format!("sheet-{i}.svg")), page)?;
    }
    std::fs::write(
        dir.join("sheet.pdf"),
        sheet_pdf(&many, LabelSize::A4Sheet3x8)?,
    )?;
    Ok(())
}
