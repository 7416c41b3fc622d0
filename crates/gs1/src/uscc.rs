//! Chinese Unified Social Credit Code (GB 32100-2015) and organization code (GB 11714-1997).

use crate::error::Gs1Error;

/// USCC character set: digits and upper-case letters without I, O, S, V, Z; a character's
/// value is its index.
const USCC_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1..=17: 3^(i-1) mod 31.
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// GB 11714 weights of the 8 body characters.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

fn value(c: char) -> Option<u32> {
    USCC_CHARS.find(c).map(|i| i as u32)
}

/// Computes the USCC check character over the first 17 characters.
pub fn uscc_check_char(body17: &str) -> Result<char, Gs1Error> {
    if body17.chars().count() != 17 {
        return Err(Gs1Error::Length {
            field: "USCC".into(),
            expected: "17 (without check character)".into(),
            actual: body17.chars().count(),
        });
    }
    let mut sum = 0;
    for (i, (c, w)) in body17.chars().zip(USCC_WEIGHTS).enumerate() {
        let v = value(c).ok_or(Gs1Error::Character {
            field: "USCC".into(),
            ch: c,
            position: i + 1,
            allowed: "digits and upper-case letters except I, O, S, V, Z",
        })?;
        sum += v * w;
    }
    let check = (31 - sum % 31) % 31;
    Ok(USCC_CHARS.chars().nth(check as usize).unwrap_or('0'))
}

pub(crate) fn validate(s: &str) -> Result<(), Gs1Error> {
    let n = s.chars().count();
    if n != 18 {
        return Err(Gs1Error::Length {
            field: "USCC".into(),
            expected: "18".into(),
            actual: n,
        });
    }
    if let Some((i, ch)) = s.chars().enumerate().find(|(_, c)| value(*c).is_none()) {
        return Err(Gs1Error::Character {
            field: "USCC".into(),
            ch,
            position: i + 1,
            allowed: "digits and upper-case letters except I, O, S, V, Z",
        });
    }
    let expected = uscc_check_char(&s[..17])?;
    let found = s[17..].chars().next().unwrap_or('0');
    if expected != found {
        return Err(Gs1Error::CheckDigit {
            field: "USCC".into(),
            expected: expected.to_string(),
            found: found.to_string(),
        });
    }
    Ok(())
}

/// Computes the GB 11714-1997 organization code check character over its 8 body
/// characters (digits and upper-case letters, A=10 .. Z=35): `11 - (Σ v·w mod 11)`,
/// where 10 is written `X` and 11 is written `0`.
pub fn org_code_check_char(body8: &str) -> Result<char, Gs1Error> {
    if body8.chars().count() != 8 {
        return Err(Gs1Error::Length {
            field: "organization code".into(),
            expected: "8 (without check character)".into(),
            actual: body8.chars().count(),
        });
    }
    let mut sum = 0;
    for (i, (c, w)) in body8.chars().zip(ORG_WEIGHTS).enumerate() {
        let v = match c {
            '0'..='9' | 'A'..='Z' => c.to_digit(36).unwrap_or(0),
            _ => {
                return Err(Gs1Error::Character {
                    field: "organization code".into(),
                    ch: c,
                    position: i + 1,
                    allowed: "digits and upper-case letters",
                });
            }
        };
        sum += v * w;
    }
    Ok(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).unwrap_or('0'),
    })
}

/// Validates a 9-character GB 11714 organization code (8 body characters + check).
pub fn validate_org_code(code: &str) -> Result<(), Gs1Error> {
    if code.chars().count() != 9 || !code.is_ascii() {
        return Err(Gs1Error::Length {
            field: "organization code".into(),
            expected: "9".into(),
            actual: code.chars().count(),
        });
    }
    let expected = org_code_check_char(&code[..8])?;
    let found = code[8..].chars().next().unwrap_or('0');
    if expected == found {
        Ok(())
    } else {
        Err(Gs1Error::CheckDigit {
            field: "organization code".into(),
            expected: expected.to_string(),
            found: found.to_string(),
        })
    }
}
