//! Minimal percent-encoding helpers (RFC 3986).

/// Appends `s` to `out`, percent-encoding every byte except RFC 3986 unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`), with upper-case hex digits.
pub(crate) fn encode_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes. `allowed` says which raw (unescaped) bytes are acceptable.
/// Returns a reason on a malformed escape, a disallowed raw character or invalid UTF-8.
pub(crate) fn decode(s: &str, allowed: impl Fn(u8) -> bool) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            match (
                b.get(i + 1).and_then(|x| hex(*x)),
                b.get(i + 2).and_then(|x| hex(*x)),
            ) {
                (Some(h), Some(l)) => out.push(h << 4 | l),
                _ => return Err(format!("malformed percent-escape at byte {}", i + 1)),
            }
            i += 3;
        } else if allowed(c) {
            out.push(c);
            i += 1;
        } else {
            let ch = s[i..].chars().next().unwrap_or('?');
            return Err(format!("character {ch:?} must be percent-encoded"));
        }
    }
    String::from_utf8(out).map_err(|_| "percent-escapes do not decode to UTF-8".to_string())
}

/// RFC 3986 `pchar` minus `%` (handled as escape): unreserved, sub-delims, `:` and `@`.
pub(crate) fn is_pchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

/// Characters allowed raw in a query component value (`pchar`, `/`, `?`, minus `&` and `=`).
pub(crate) fn is_query_value_char(b: u8) -> bool {
    (is_pchar(b) || b == b'/' || b == b'?') && b != b'&'
}
