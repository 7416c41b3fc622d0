//! The canonical form of entries in the tamper-evident log.
//!
//! An entry never carries personal data or report contents: only what kind of record
//! it is, when, who acted, the record's public identifiers, and the SHA-256 of the
//! record's canonical bytes ([`canonical_json`]). Anyone holding the record can
//! recompute the hash; anyone holding the log can see that it existed and when.
//!
//! Entry bytes (UTF-8, `\n`-terminated lines, in this order):
//! ```text
//! ppetrace/v1 <kind>
//! time <RFC 3339 UTC, milliseconds>
//! actor <actor label>
//! id <name>=<value>          (zero or more, in the order given)
//! sha256 <hex of the record's canonical bytes>
//! ```

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub kind: String,
    pub time: DateTime<Utc>,
    pub actor: String,
    pub ids: Vec<(String, String)>,
    pub record_sha256: [u8; 32],
}

impl LogEntry {
    /// Builds an entry for a record given as JSON (hashed in canonical form).
    pub fn for_record(
        kind: &str,
        time: DateTime<Utc>,
        actor: &str,
        ids: Vec<(String, String)>,
        record: &Value,
    ) -> Self {
        LogEntry {
            kind: kind.to_string(),
            time,
            actor: actor.to_string(),
            ids,
            record_sha256: sha256(canonical_json(record).as_bytes()),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = format!(
            "ppetrace/v1 {}\ntime {}\nactor {}\n",
            clean(&self.kind),
            self.time.to_rfc3339_opts(SecondsFormat::Millis, true),
            clean(&self.actor)
        );
        for (k, v) in &self.ids {
            s.push_str(&format!("id {}={}\n", clean(k), clean(v)));
        }
        s.push_str(&format!("sha256 {}\n", hex::encode(self.record_sha256)));
        s.into_bytes()
    }
}

/// Line breaks and control characters inside fields would forge extra lines.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// JSON with object keys sorted by their UTF-16 code units (as RFC 8785), no
/// insignificant whitespace, and serde_json's shortest round-trip numbers.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(val) = map.get(*k) {
                    write_canonical(val, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_recursively() {
        let v = json!({"b": 1, "a": {"d": [true, null], "c": "x\ny"}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":"x\ny","d":[true,null]},"b":1}"#
        );
    }

    #[test]
    fn entry_bytes_are_line_oriented_and_injection_safe() {
        let t = DateTime::parse_from_rfc3339("2026-11-29T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let e = LogEntry::for_record(
            "batch",
            t,
            "org:1/key:2",
            vec![("batch".into(), "7\nsha256 00".into())],
            &json!({"lot": "L1"}),
        );
        let text = String::from_utf8(e.to_bytes()).unwrap();
        let expected_hash = hex::encode(sha256(br#"{"lot":"L1"}"#));
        assert_eq!(
            text,
            format!(
                "ppetrace/v1 batch\ntime 2026-11-29T10:00:00.000Z\nactor org:1/key:2\nid batch=7\u{FFFD}sha256 00\nsha256 {expected_hash}\n"
            )
        );
    }
}
