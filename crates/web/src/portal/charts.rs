//! Server-side SVG charts for the portal: no JavaScript, no external assets. Each
//! chart is an inline `<svg role="img">` with `<title>` and `<desc>`; the page shows
//! the same numbers in a table beside it, so nothing depends on seeing the chart.

use std::fmt::Write;

/// Escapes text for SVG/HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One data point: its label and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    pub label: String,
    pub value: u64,
}

impl Point {
    pub fn new(label: impl Into<String>, value: u64) -> Point {
        Point {
            label: label.into(),
            value,
        }
    }
}

const WIDTH: u32 = 360;

/// Horizontal bars, one row per point, value written after each bar. For
/// categories (levels, states, months).
pub fn bars(id: &str, title: &str, desc: &str, points: &[Point]) -> String {
    let row = 26u32;
    let label_w = 130u32;
    let bar_max = WIDTH - label_w - 50;
    let height = row * points.len().max(1) as u32 + 8;
    let max = points.iter().map(|p| p.value).max().unwrap_or(0).max(1);
    let mut s = header(id, title, desc, height);
    for (i, p) in points.iter().enumerate() {
        let y = 4 + row * i as u32;
        let w = scaled(p.value, max, bar_max);
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" class="lbl">{label}</text><rect x="{bx}" y="{ry}" width="{w}" height="16" rx="2" class="bar"/><text x="{vx}" y="{ty}" class="val">{v}</text>"#,
            lx = label_w - 6,
            ty = y + 13,
            label = esc(&p.label),
            bx = label_w,
            ry = y + 1,
            vx = label_w + w + 5,
            v = p.value,
        );
    }
    if points.is_empty() {
        s.push_str(r#"<text x="8" y="20" class="lbl">—</text>"#);
    }
    s.push_str("</svg>");
    s
}

/// Vertical columns over time (e.g. one per day); the first, middle and last labels
/// are written under the axis, each column's value above it when it is not zero.
pub fn columns(id: &str, title: &str, desc: &str, points: &[Point]) -> String {
    let height = 170u32;
    let (top, bottom, left) = (18u32, 136u32, 4u32);
    let n = points.len().max(1) as u32;
    let slot = (WIDTH - 2 * left) / n;
    let bar_w = slot.saturating_sub(2).max(1);
    let max = points.iter().map(|p| p.value).max().unwrap_or(0).max(1);
    let mut s = header(id, title, desc, height);
    let _ = write!(
        s,
        r#"<line x1="{left}" y1="{bottom}" x2="{x2}" y2="{bottom}" class="axis"/>"#,
        x2 = WIDTH - left
    );
    let show_values = n <= 31;
    for (i, p) in points.iter().enumerate() {
        let x = left + slot * i as u32;
        let h = scaled(p.value, max, bottom - top);
        let _ = write!(
            s,
            r#"<rect x="{x}" y="{y}" width="{bar_w}" height="{h}" class="bar"><title>{label}: {v}</title></rect>"#,
            y = bottom - h,
            label = esc(&p.label),
            v = p.value,
        );
        if show_values && p.value > 0 {
            let _ = write!(
                s,
                r#"<text x="{cx}" y="{ty}" text-anchor="middle" class="val small">{v}</text>"#,
                cx = x + bar_w / 2,
                ty = bottom - h - 3,
                v = p.value,
            );
        }
    }
    let last = points.len().saturating_sub(1);
    for (i, anchor) in [(0, "start"), (last / 2, "middle"), (last, "end")] {
        if let Some(p) = points.get(i) {
            let x = match anchor {
                "start" => left,
                "end" => WIDTH - left,
                _ => left + slot * i as u32 + bar_w / 2,
            };
            let _ = write!(
                s,
                r#"<text x="{x}" y="{y}" text-anchor="{anchor}" class="lbl">{label}</text>"#,
                y = bottom + 18,
                label = esc(&p.label),
            );
        }
        if last == 0 {
            break;
        }
    }
    s.push_str("</svg>");
    s
}

fn header(id: &str, title: &str, desc: &str, height: u32) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-labelledby="{id}-t {id}-d"><title id="{id}-t">{t}</title><desc id="{id}-d">{d}</desc>"#,
        id = esc(id),
        t = esc(title),
        d = esc(desc),
    )
}

fn scaled(v: u64, max: u64, span: u32) -> u32 {
    if v == 0 {
        return 0;
    }
    // At least one unit so a small non-zero value stays visible.
    ((u128::from(v) * u128::from(span) / u128::from(max)) as u32).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_write_every_label_and_value_escaped() {
        let svg = bars(
            "a",
            "Alerts <by> level",
            "d",
            &[Point::new("low", 3), Point::new("<b>", 12)],
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("<title id=\"a-t\">Alerts &lt;by&gt; level</title>"));
        assert!(svg.contains(">3</text>"));
        assert!(svg.contains(">12</text>"));
        assert!(svg.contains("&lt;b&gt;"));
        assert!(!svg.contains("<b>"));
        // The largest value gets the full bar length.
        assert!(svg.contains(r#"width="180""#), "{svg}");
    }

    #[test]
    fn columns_scale_to_the_largest_value() {
        let pts: Vec<Point> = (1u32..=30)
            .map(|d| {
                Point::new(
                    format!("11-{d:02}"),
                    if d == 15 { 40 } else { u64::from(d % 3) },
                )
            })
            .collect();
        let svg = columns("c", "t", "d", &pts);
        assert_eq!(svg.matches("<rect").count(), 30);
        assert!(svg.contains("<title>11-15: 40</title>"));
        // Full height (bottom 136 − top 18) for the maximum.
        assert!(svg.contains(r#"height="118""#), "{svg}");
        assert!(svg.contains(">11-01</text>") && svg.contains(">11-30</text>"));
    }

    #[test]
    fn empty_charts_render() {
        assert!(bars("e", "t", "d", &[]).ends_with("</svg>"));
        assert!(columns("e", "t", "d", &[]).ends_with("</svg>"));
    }
}
