//! Timestamp helpers (no clock reads).

use chrono::{DateTime, FixedOffset, Timelike, Utc};

/// Parse an RFC 3339 / xsd:dateTimeStamp value (offset required).
pub fn parse(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s.trim()).ok()
}

/// Parse and convert to UTC.
pub fn parse_utc(s: &str) -> Option<DateTime<Utc>> {
    parse(s).map(|d| d.with_timezone(&Utc))
}

/// Is `s` a valid `eventTimeZoneOffset` (`±hh:mm`, -14:00..+14:00)?
pub fn is_valid_offset(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 6 || !(b[0] == b'+' || b[0] == b'-') || b[3] != b':' {
        return false;
    }
    let digits = [b[1], b[2], b[4], b[5]];
    if !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let hh = (b[1] - b'0') * 10 + (b[2] - b'0');
    let mm = (b[4] - b'0') * 10 + (b[5] - b'0');
    (hh <= 13 && mm <= 59) || (hh == 14 && mm == 0)
}

/// Normalise a timestamp for the event hash: UTC, millisecond precision (digits beyond the
/// microsecond are dropped, then the sub-millisecond part is rounded half-up, as CBV 2.0 /
/// the reference implementation do: `.1415` → `.142`), `Z` suffix. Returns `None` if `s` is not a
/// timestamp.
pub fn hash_normalise(s: &str) -> Option<String> {
    let dt = parse_utc(s)?;
    // microsecond precision first (as the reference implementation does), then ms rounding
    let micros = dt.nanosecond() / 1_000;
    let base = dt.with_nanosecond(0)?;
    let ms = micros / 1000;
    let rem = micros % 1000;
    let round_up = rem >= 500;
    let ms_total = i64::from(ms) + i64::from(round_up);
    let fixed = base + chrono::Duration::milliseconds(ms_total);
    Some(fixed.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}
