//! GS1 element strings: the human-readable bracketed form `(01)09506000134352(10)ABC`
//! and the raw (scanned / transmitted) form, where FNC1 is transmitted as ASCII GS
//! (0x1D) after every AI that is not of predefined length (except the last), optionally
//! preceded by a symbology identifier (`]C1` GS1-128, `]e0` GS1 DataBar, `]d2` GS1
//! DataMatrix, `]Q3` GS1 QR Code, `]J1` GS1 DotCode).

use crate::ai;
use crate::error::Gs1Error;

/// The FNC1 separator in transmitted data (ASCII GS, 0x1D).
pub const GS: char = '\u{1d}';

/// Symbology identifiers that announce GS1 element-string data.
pub const GS1_SYMBOLOGY_IDS: [&str; 5] = ["]C1", "]e0", "]d2", "]Q3", "]J1"];

type Pair = (String, String);

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

/// Formats pairs as raw element strings: AIs and values concatenated, with a GS (FNC1)
/// after each value of an AI that is not of predefined length, except the last.
pub fn to_raw<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    let mut need_sep = false;
    for (a, v) in pairs {
        if need_sep {
            out.push(GS);
        }
        out.push_str(a);
        out.push_str(v);
        need_sep = !ai::lookup(a).is_some_and(|d| d.predefined);
    }
    out
}

/// Parses a bracketed element string, validating every value, the mandatory
/// associations and the invalid pairs. Returns the pairs in input order.
pub fn parse_bracketed(s: &str) -> Result<Vec<Pair>, Gs1Error> {
    let pairs = parse_bracketed_values(s)?;
    ai::check_associations(pairs.iter().map(|(a, _)| a.as_str()))?;
    Ok(pairs)
}

/// Like [`parse_bracketed`] but without checking associations and invalid pairs (for
/// data that is only part of what is marked on an item).
pub fn parse_bracketed_values(s: &str) -> Result<Vec<Pair>, Gs1Error> {
    if !s.starts_with('(') {
        return Err(Gs1Error::syntax(
            None,
            "bracketed element string must start with \"(\"",
        ));
    }
    let mut pairs: Vec<Pair> = Vec::new();
    let mut rest = s;
    while let Some(after_open) = rest.strip_prefix('(') {
        let close = after_open
            .find(')')
            .ok_or_else(|| Gs1Error::syntax(None, "unterminated \"(\" before an AI"))?;
        let code = &after_open[..close];
        if !(2..=4).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Gs1Error::syntax(
                None,
                format!("({code:?}) is not an Application Identifier (2 to 4 digits)"),
            ));
        }
        let def = ai::require(code)?;
        let mut value = String::new();
        let mut chars = after_open[close + 1..].char_indices();
        let mut consumed = after_open.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '(' => {
                    consumed = close + 1 + i;
                    break;
                }
                '\\' if after_open[close + 1 + i + 1..].starts_with('(') => {
                    value.push('(');
                    chars.next();
                }
                _ => value.push(c),
            }
        }
        ai::validate_with(def, code, &value)?;
        push_pair(&mut pairs, code, value)?;
        rest = &after_open[consumed..];
    }
    if !rest.is_empty() {
        return Err(Gs1Error::syntax(None, "trailing data after element string"));
    }
    Ok(pairs)
}

fn push_pair(pairs: &mut Vec<Pair>, ai: &str, value: String) -> Result<(), Gs1Error> {
    match pairs.iter().find(|(a, _)| a == ai) {
        Some((_, v)) if *v == value => Ok(()),
        Some(_) => Err(Gs1Error::Duplicate { ai: ai.into() }),
        None => {
            pairs.push((ai.to_owned(), value));
            Ok(())
        }
    }
}

/// Strips a GS1 symbology identifier, if any. A non-GS1 symbology identifier is an error.
pub fn strip_symbology_id(s: &str) -> Result<(Option<&'static str>, &str), Gs1Error> {
    if !s.starts_with(']') {
        return Ok((None, s));
    }
    for id in GS1_SYMBOLOGY_IDS {
        if let Some(rest) = s.strip_prefix(id) {
            return Ok((Some(id), rest));
        }
    }
    let id: String = s.chars().take(3).collect();
    Err(Gs1Error::syntax(
        Some("symbology identifier"),
        format!("{id:?} does not announce GS1 data (expected one of ]C1 ]e0 ]d2 ]Q3 ]J1)"),
    ))
}

/// Parses raw (scanned) element strings, with or without a symbology identifier,
/// validating values, associations and invalid pairs. Returns pairs in input order.
pub fn parse_raw(s: &str) -> Result<Vec<Pair>, Gs1Error> {
    let pairs = parse_raw_values(s)?;
    ai::check_associations(pairs.iter().map(|(a, _)| a.as_str()))?;
    Ok(pairs)
}

/// Like [`parse_raw`] but without checking associations and invalid pairs.
pub fn parse_raw_values(s: &str) -> Result<Vec<Pair>, Gs1Error> {
    let (_, body) = strip_symbology_id(s)?;
    // A leading FNC1 may be transmitted as GS by some scanners.
    let mut rest = body.strip_prefix(GS).unwrap_or(body);
    if rest.is_empty() {
        return Err(Gs1Error::Empty {
            field: "element string".into(),
        });
    }
    let mut pairs = Vec::new();
    while !rest.is_empty() {
        let (def, len) = ai::ai_prefix(rest).ok_or_else(|| {
            let head: String = rest.chars().take(4).collect();
            if head.chars().take(2).all(|c| c.is_ascii_digit()) && head.len() >= 2 {
                Gs1Error::UnknownAi {
                    ai: head.chars().take_while(char::is_ascii_digit).collect(),
                }
            } else {
                Gs1Error::syntax(
                    None,
                    format!("expected an Application Identifier at {head:?}"),
                )
            }
        })?;
        let code = &rest[..len];
        let after = &rest[len..];
        let (value, next) = if def.predefined {
            let (_, max) = def.length_range();
            let take = after
                .char_indices()
                .nth(max)
                .map_or(after.len(), |(i, _)| i);
            let (v, n) = after.split_at(take);
            // A redundant separator after a predefined-length AI is tolerated.
            (v, n.strip_prefix(GS).unwrap_or(n))
        } else {
            match after.find(GS) {
                Some(i) => (&after[..i], &after[i + 1..]),
                None => (after, ""),
            }
        };
        ai::validate_with(def, code, value)?;
        push_pair(&mut pairs, code, value.to_owned())?;
        rest = next;
    }
    Ok(pairs)
}
