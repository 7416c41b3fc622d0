//! Minimal RFC 3339 timestamp parsing (no clock reads: time is passed in).

use crate::DrawError;

/// An instant as (seconds since 1970-01-01T00:00:00Z, nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant {
    /// Whole seconds since the Unix epoch (may be negative).
    pub secs: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

fn num(s: &str, field: &str, full: &str) -> Result<i64, DrawError> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(DrawError::InvalidTimestamp(format!(
            "{full:?}: bad {field}"
        )));
    }
    s.parse::<i64>()
        .map_err(|_| DrawError::InvalidTimestamp(format!("{full:?}: bad {field}")))
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parse an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`
/// (`T`/`t`/space and `Z`/`z` accepted as RFC 3339 allows; leap second 60
/// is accepted and counted as the next second).
///
/// # Errors
/// [`DrawError::InvalidTimestamp`] on any syntax or range error.
pub fn parse_rfc3339(s: &str) -> Result<Instant, DrawError> {
    let bad = |why: &str| DrawError::InvalidTimestamp(format!("{s:?}: {why}"));
    if !s.is_ascii() || s.len() < 20 {
        return Err(bad("expected YYYY-MM-DDTHH:MM:SS(Z|±HH:MM)"));
    }
    let b = s.as_bytes();
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(bad("expected YYYY-MM-DDTHH:MM:SS"));
    }
    let (year, month, day) = (
        num(&s[0..4], "year", s)?,
        num(&s[5..7], "month", s)?,
        num(&s[8..10], "day", s)?,
    );
    let (hour, minute, second) = (
        num(&s[11..13], "hour", s)?,
        num(&s[14..16], "minute", s)?,
        num(&s[17..19], "second", s)?,
    );
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(bad("date out of range"));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(bad("time out of range"));
    }
    let mut rest = &s[19..];
    let mut nanos: u32 = 0;
    if let Some(frac_and_more) = rest.strip_prefix('.') {
        let n = frac_and_more.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(bad("empty fraction of a second"));
        }
        for (i, c) in frac_and_more.bytes().take(n).enumerate() {
            if i < 9 {
                nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
            }
        }
        rest = &frac_and_more[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && &rest[3..4] == ":" =>
        {
            let (oh, om) = (
                num(&rest[1..3], "offset hour", s)?,
                num(&rest[4..6], "offset minute", s)?,
            );
            if oh > 23 || om > 59 {
                return Err(bad("offset out of range"));
            }
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (oh * 3600 + om * 60)
        }
        _ => return Err(bad("expected Z or ±HH:MM offset")),
    };
    let secs =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Ok(Instant { secs, nanos })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_compares() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z").unwrap().secs, 0);
        assert_eq!(
            parse_rfc3339("2000-03-01T00:00:00Z").unwrap().secs,
            951_868_800
        );
        let a = parse_rfc3339("2026-12-01T08:00:00+02:00").unwrap();
        let b = parse_rfc3339("2026-12-01T06:00:00Z").unwrap();
        assert_eq!(a, b);
        let c = parse_rfc3339("2026-12-01T06:00:00.5Z").unwrap();
        assert_eq!(c.nanos, 500_000_000);
        assert!(c > b);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in ".{0,40}") {
            let _ = parse_rfc3339(&s);
        }

        #[test]
        fn never_panics_near_valid(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,12})?(Z|[+-][0-9]{2}:[0-9]{2}|.{0,3})") {
            let _ = parse_rfc3339(&s);
        }
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "2026-12-01",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-12-01T24:00:00Z",
            "2026-12-01T00:00:00",
            "2026-12-01T00:00:00.Z",
            "2026-12-01T00:00:00+0200",
            "2026-12-01T00:00:00Zjunk",
            "２026-12-01T00:00:00Z",
        ] {
            assert!(parse_rfc3339(s).is_err(), "{s}");
        }
    }
}
