//! Canonical JSON: the byte string that is hashed.
//!
//! Definition (for values made of objects, arrays, strings, integers,
//! booleans and null — floats are rejected):
//!
//! * no whitespace anywhere: separators are exactly `,` and `:`;
//! * object keys sorted by the byte order of their UTF-8 encoding (equal to
//!   Unicode code point order); arrays keep their order;
//! * integers in plain decimal (`-` for negatives, no leading zeros, no `+`,
//!   no exponent, no fraction);
//! * strings in double quotes; `"` → `\"`, `\` → `\\`, U+0008 → `\b`,
//!   U+000C → `\f`, U+000A → `\n`, U+000D → `\r`, U+0009 → `\t`, every
//!   other character below U+0020 → `\u00XX` with lowercase hex; every
//!   other character (including non-ASCII) as raw UTF-8;
//! * `true`, `false`, `null` literally.
//!
//! This is byte-for-byte Python's
//! `json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`
//! encoded as UTF-8.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::DrawError;

/// Canonical JSON text of any serializable value.
///
/// # Errors
/// [`DrawError::Json`] if the value cannot be represented as JSON, or
/// [`DrawError::NonCanonicalNumber`] if it contains a non-integer number.
pub fn to_canonical_json<T: Serialize>(value: &T) -> Result<String, DrawError> {
    let v = serde_json::to_value(value).map_err(|e| DrawError::Json(e.to_string()))?;
    canonical_value(&v)
}

/// Canonical JSON text of a [`serde_json::Value`].
///
/// # Errors
/// [`DrawError::NonCanonicalNumber`] if it contains a non-integer number.
pub fn canonical_value(v: &Value) -> Result<String, DrawError> {
    let mut out = String::new();
    write_value(v, &mut out)?;
    Ok(out)
}

/// Lowercase hex SHA-256 of the canonical JSON of `value`.
///
/// # Errors
/// As [`to_canonical_json`].
pub fn canonical_hash<T: Serialize>(value: &T) -> Result<String, DrawError> {
    Ok(sha256_hex(to_canonical_json(value)?.as_bytes()))
}

/// Lowercase hex SHA-256 of `bytes`.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn write_value(v: &Value, out: &mut String) -> Result<(), DrawError> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                return Err(DrawError::NonCanonicalNumber(n.to_string()));
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_value(item, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let b = c as u32 as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorted_compact_escaped() {
        let v = json!({"b": [1, -2, true, null], "a": "x\"\\\n\t\u{1}é€", "A": {"z": 0, "é": 1, "y": "q"}});
        assert_eq!(
            canonical_value(&v).unwrap(),
            "{\"A\":{\"y\":\"q\",\"z\":0,\"é\":1},\"a\":\"x\\\"\\\\\\n\\t\\u0001é€\",\"b\":[1,-2,true,null]}"
        );
    }

    #[test]
    fn floats_rejected() {
        assert!(matches!(
            canonical_value(&json!({"f": 0.5})),
            Err(DrawError::NonCanonicalNumber(_))
        ));
    }

    #[test]
    fn hash_of_empty_object() {
        // SHA-256("{}")
        assert_eq!(
            canonical_hash(&json!({})).unwrap(),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }
}
