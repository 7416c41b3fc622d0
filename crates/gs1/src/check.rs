//! Check digits, check character pairs, character sets and date checks.

use crate::error::Gs1Error;

/// Computes the GS1 mod-10 check digit (GS1 General Specifications §7.9.1) over `body`,
/// i.e. all digits of the key *without* the check digit.
///
/// Weights 3 and 1 alternate from the right, starting with 3 on the rightmost digit.
///
/// ```
/// assert_eq!(gs1::check_digit("950600013435").unwrap(), 2);
/// ```
pub fn check_digit(body: &str) -> Result<u8, Gs1Error> {
    if body.is_empty() {
        return Err(Gs1Error::Empty {
            field: "digits".into(),
        });
    }
    let mut sum: u32 = 0;
    for (i, (pos, c)) in body.char_indices().rev().enumerate() {
        let d = c.to_digit(10).ok_or_else(|| Gs1Error::Character {
            field: "digits".into(),
            ch: c,
            position: pos + 1,
            allowed: "digits 0-9",
        })?;
        sum += if i % 2 == 0 { d * 3 } else { d };
    }
    // `sum % 10` is < 10, so the result fits in u8.
    Ok(((10 - sum % 10) % 10) as u8)
}

/// `true` when `digits` (at least 2 ASCII digits) ends in its correct GS1 mod-10 check digit.
pub fn has_valid_check_digit(digits: &str) -> bool {
    if digits.len() < 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (body, last) = digits.split_at(digits.len() - 1);
    match check_digit(body) {
        Ok(cd) => last.as_bytes().first().map(|b| b - b'0') == Some(cd),
        Err(_) => false,
    }
}

/// Validates the trailing mod-10 check digit of a numeric value, naming `field` on error.
pub(crate) fn verify_check_digit(field: &str, digits: &str) -> Result<(), Gs1Error> {
    if digits.len() < 2 {
        return Err(Gs1Error::Length {
            field: field.into(),
            expected: "at least 2".into(),
            actual: digits.len(),
        });
    }
    let Some((split, _)) = digits.char_indices().last() else {
        return Err(Gs1Error::Empty {
            field: field.into(),
        });
    };
    let (body, last) = digits.split_at(split);
    let cd = check_digit(body).map_err(|e| e.with_field(field))?;
    if last.as_bytes().first().map(|b| b - b'0') == Some(cd) {
        Ok(())
    } else {
        Err(Gs1Error::CheckDigit {
            field: field.into(),
            expected: cd.to_string(),
            found: last.into(),
        })
    }
}

/// Appends the mod-10 check digit to an all-digit body (the body must be validated).
pub(crate) fn with_check_digit(body: &str) -> Result<String, Gs1Error> {
    let cd = check_digit(body)?;
    let mut s = String::with_capacity(body.len() + 1);
    s.push_str(body);
    s.push(char::from(b'0' + cd));
    Ok(s)
}

/// The GS1 character set 82 (GS1 General Specifications Figure 7.11-1), in its
/// table order, which is also the order used for the check character pair values.
pub const CSET82: &str =
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

/// The GS1 character set 32 used for check character pairs.
const CSET32: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// `true` when `c` is in GS1 character set 82 (AI encodable character set 82).
pub fn is_cset82_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '!' | '"'
                | '%'
                | '&'
                | '\''
                | '('
                | ')'
                | '*'
                | '+'
                | ','
                | '-'
                | '.'
                | '/'
                | ':'
                | ';'
                | '<'
                | '='
                | '>'
                | '?'
                | '_'
        )
}

/// `true` when `s` is non-empty and all its characters are in GS1 character set 82.
pub fn is_cset82(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_cset82_char)
}

/// `true` when `c` is in GS1 character set 39 (`#`, `-`, `/`, digits, upper-case letters).
pub fn is_cset39_char(c: char) -> bool {
    c.is_ascii_digit() || c.is_ascii_uppercase() || matches!(c, '#' | '-' | '/')
}

/// `true` when `c` is in GS1 character set 64 (file-safe base64 plus `=` padding).
pub fn is_cset64_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '=')
}

/// The character sets used by AI components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// Digits only.
    Numeric,
    /// GS1 AI encodable character set 82.
    Cset82,
    /// GS1 AI encodable character set 39.
    Cset39,
    /// GS1 AI encodable character set 64.
    Cset64,
}

impl Charset {
    /// `true` when `c` belongs to this set.
    pub fn contains(self, c: char) -> bool {
        match self {
            Charset::Numeric => c.is_ascii_digit(),
            Charset::Cset82 => is_cset82_char(c),
            Charset::Cset39 => is_cset39_char(c),
            Charset::Cset64 => is_cset64_char(c),
        }
    }

    /// Human name for error messages.
    pub fn name(self) -> &'static str {
        match self {
            Charset::Numeric => "digits 0-9",
            Charset::Cset82 => "GS1 character set 82",
            Charset::Cset39 => "GS1 character set 39",
            Charset::Cset64 => "GS1 character set 64",
        }
    }

    /// Checks every character of `value`, naming `field` on error.
    pub(crate) fn check(self, field: &str, value: &str) -> Result<(), Gs1Error> {
        match value.chars().enumerate().find(|(_, c)| !self.contains(*c)) {
            Some((i, ch)) => Err(Gs1Error::Character {
                field: field.into(),
                ch,
                position: i + 1,
                allowed: self.name(),
            }),
            None => Ok(()),
        }
    }
}

/// Computes the GS1 check character pair (GS1 General Specifications §7.9.5, used by
/// the GMN, AI 8013) over `data` (CSET 82, at most 99 characters).
pub fn check_character_pair(data: &str) -> Result<String, Gs1Error> {
    const PRIMES: [u32; 99] = primes();
    let chars: Vec<char> = data.chars().collect();
    if chars.len() > PRIMES.len() {
        return Err(Gs1Error::Length {
            field: "check pair data".into(),
            expected: "at most 99".into(),
            actual: chars.len(),
        });
    }
    let mut sum: u32 = 0;
    for (i, c) in chars.iter().rev().enumerate() {
        let value = CSET82
            .chars()
            .position(|x| x == *c)
            .ok_or_else(|| Gs1Error::Character {
                field: "check pair data".into(),
                ch: *c,
                position: chars.len() - i,
                allowed: Charset::Cset82.name(),
            })?;
        sum += value as u32 * PRIMES[i];
    }
    sum %= 1021;
    let hi = CSET32[(sum >> 5) as usize & 31];
    let lo = CSET32[(sum & 31) as usize];
    Ok([char::from(hi), char::from(lo)].iter().collect())
}

/// The first 99 primes, from 2.
const fn primes() -> [u32; 99] {
    let mut out = [0u32; 99];
    let mut n = 0;
    let mut candidate = 2u32;
    while n < 99 {
        let mut d = 2;
        let mut is_prime = true;
        while d * d <= candidate {
            if candidate.is_multiple_of(d) {
                is_prime = false;
                break;
            }
            d += 1;
        }
        if is_prime {
            out[n] = candidate;
            n += 1;
        }
        candidate += 1;
    }
    out
}

/// Validates the trailing check character pair of `value`, naming `field` on error.
pub(crate) fn verify_check_pair(field: &str, value: &str) -> Result<(), Gs1Error> {
    let n = value.chars().count();
    if n < 2 {
        return Err(Gs1Error::Length {
            field: field.into(),
            expected: "at least 2".into(),
            actual: n,
        });
    }
    let split = value.char_indices().nth(n - 2).map(|(i, _)| i).unwrap_or(0);
    let (data, pair) = value.split_at(split);
    let expected = check_character_pair(data).map_err(|e| e.with_field(field))?;
    if expected == pair {
        Ok(())
    } else {
        Err(Gs1Error::CheckDigit {
            field: field.into(),
            expected,
            found: pair.into(),
        })
    }
}

fn two(s: &[u8], i: usize) -> u32 {
    let a = s.get(i).map_or(0, |b| u32::from(b.wrapping_sub(b'0')));
    let b = s.get(i + 1).map_or(0, |b| u32::from(b.wrapping_sub(b'0')));
    a * 10 + b
}

fn date_err(field: &str, value: &str, reason: &str) -> Gs1Error {
    Gs1Error::Date {
        field: field.into(),
        value: value.into(),
        reason: reason.into(),
    }
}

/// Days in month `mm` of two-digit year `yy` (GS1 years resolve to 2000..2099 or
/// 1951..2050 by the sliding window; for leap years only `yy % 4` matters in both
/// cases except 1900/2100, which the window cannot produce together with "00").
fn days_in_month(yy: u32, mm: u32) -> u32 {
    match mm {
        2 if yy.is_multiple_of(4) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Validates a `YYMMDD` date (6 digits). With `allow_zero_day`, `DD = 00` is accepted
/// (meaning "end of month"), as GS1 allows for AIs 11, 12, 13, 15, 16 and 17.
pub fn check_yymmdd(field: &str, value: &str, allow_zero_day: bool) -> Result<(), Gs1Error> {
    let b = value.as_bytes();
    if b.len() != 6 || !b.iter().all(u8::is_ascii_digit) {
        return Err(date_err(field, value, "expected 6 digits YYMMDD"));
    }
    let (yy, mm, dd) = (two(b, 0), two(b, 2), two(b, 4));
    if !(1..=12).contains(&mm) {
        return Err(date_err(field, value, "month must be 01-12"));
    }
    if dd == 0 {
        if allow_zero_day {
            return Ok(());
        }
        return Err(date_err(field, value, "day 00 is not allowed here"));
    }
    if dd > days_in_month(yy, mm) {
        return Err(date_err(field, value, "day does not exist in that month"));
    }
    Ok(())
}

/// Validates `HHMM` (or `HH` when two digits) time components.
pub fn check_hhmm(field: &str, value: &str) -> Result<(), Gs1Error> {
    let b = value.as_bytes();
    if !(b.len() == 4 || b.len() == 2) || !b.iter().all(u8::is_ascii_digit) {
        return Err(date_err(field, value, "expected HHMM"));
    }
    if two(b, 0) > 23 {
        return Err(date_err(field, value, "hour must be 00-23"));
    }
    if b.len() == 4 && two(b, 2) > 59 {
        return Err(date_err(field, value, "minute must be 00-59"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_pair_examples() {
        for v in [
            "1987654Ad4X4bL5ttr2310c2K",
            "12345678901234567890123NT",
            "12345_ABCDEFGHIJKLMCP",
            "12345_NOPQRSTUVWXYZDN",
            "12345_abcdefghijklmN3",
            "12345_nopqrstuvwxyzP2",
            "12345_!\"%&'()*+,-./LC",
            "12345_0123456789:;<=>?62",
            "22",
        ] {
            assert!(verify_check_pair("8013", v).is_ok(), "{v}");
        }
        assert!(verify_check_pair("8013", "1987654Ad4X4bL5ttr2310cXK").is_err());
    }
}
