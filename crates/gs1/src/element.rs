//! GS1 element strings: the human (bracketed) form and the raw (scanned) form.

/// The FNC1 separator in transmitted data (ASCII GS, 0x1D).
pub const GS: char = '\u{1d}';

/// Formats pairs as a bracketed element string; `(` in values is escaped as `\(`.
pub fn to_bracketed<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (a, v) in pairs {
        out.push('(');
        out.push_str(a);
        out.push(')');
        for c in v.chars() {
            if c == '(' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}
