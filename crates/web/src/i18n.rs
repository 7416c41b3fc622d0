//! The language of a page: `?lang=` wins, then `Accept-Language`, then English.

use axum::http::HeaderMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    pub fn is_zh(self) -> bool {
        self == Lang::Zh
    }

    /// Picks one of two strings.
    pub fn t<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

pub fn negotiate(query_lang: Option<&str>, headers: &HeaderMap) -> Lang {
    match query_lang {
        Some(l) if l.starts_with("zh") => return Lang::Zh,
        Some(l) if l.starts_with("en") => return Lang::En,
        _ => {}
    }
    let Some(al) = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Lang::En;
    };
    // Highest q wins; ties keep header order.
    let mut best: Option<(f32, Lang)> = None;
    for part in al.split(',') {
        let mut it = part.trim().split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let lang = if tag.starts_with("zh") {
            Lang::Zh
        } else if tag.starts_with("en") {
            Lang::En
        } else {
            continue;
        };
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map_or(Lang::En, |(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn h(v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(
            axum::http::header::ACCEPT_LANGUAGE,
            HeaderValue::from_str(v).unwrap(),
        );
        m
    }

    #[test]
    fn negotiation() {
        assert_eq!(negotiate(None, &HeaderMap::new()), Lang::En);
        assert_eq!(negotiate(None, &h("zh-CN,zh;q=0.9,en;q=0.8")), Lang::Zh);
        assert_eq!(negotiate(None, &h("en-US,zh;q=0.5")), Lang::En);
        assert_eq!(negotiate(None, &h("fr, zh;q=0.4, en;q=0.3")), Lang::Zh);
        assert_eq!(negotiate(Some("en"), &h("zh-CN")), Lang::En);
        assert_eq!(negotiate(Some("zh"), &HeaderMap::new()), Lang::Zh);
    }
}
