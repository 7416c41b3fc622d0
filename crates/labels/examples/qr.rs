//! Writes a QR code for TEXT to PATH (.png or .svg).
//!
//! `cargo run -p labels --example qr -- TEXT PATH`

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(text), Some(path)) = (args.next(), args.next()) else {
        return Err("usage: qr TEXT PATH".into());
    };
    std::fs::write(&path, labels::qr_for_path(&text, &path)?)?;
    Ok(())
}
