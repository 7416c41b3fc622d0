//! Server-side SVG charts for the portal and the consoles: no JavaScript, no
//! external assets. Each chart is an inline `<svg role="img">` with `<title>` and
//! `<desc>`; the page shows the same numbers in a table beside it (a [`Chart`]
//! rendered by `templates/chart.html`), so nothing depends on seeing the chart, and
//! every value is also written as text in the chart itself. Series of a
//! [`stacked`] chart differ by pattern as well as colour and are named in a legend.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{Datelike, NaiveDate};

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
/// categories (levels, states, months). Short labels sit left of their bar; when
/// a label is too long for that column (on a phone's width), every label is
/// written on its own line above its bar instead, so none is cut.
pub fn bars(id: &str, title: &str, desc: &str, points: &[Point]) -> String {
    let label_w = 130u32;
    let above = points.iter().any(|p| text_width(&p.label) > label_w - 8);
    let (row, bx, label_dy, bar_dy) = if above {
        (38u32, 4u32, 12u32, 17u32)
    } else {
        (26, label_w, 13, 1)
    };
    let bar_max = WIDTH - bx - 50;
    let height = row * points.len().max(1) as u32 + 8;
    let max = points.iter().map(|p| p.value).max().unwrap_or(0).max(1);
    let mut s = header(id, title, desc, height);
    for (i, p) in points.iter().enumerate() {
        let y = 4 + row * i as u32;
        let w = scaled(p.value, max, bar_max);
        let label = esc(&p.label);
        if above {
            let _ = write!(
                s,
                r#"<text x="{bx}" y="{ty}" class="lbl">{label}</text>"#,
                ty = y + label_dy,
            );
        } else {
            let _ = write!(
                s,
                r#"<text x="{lx}" y="{ty}" text-anchor="end" class="lbl">{label}</text>"#,
                lx = label_w - 6,
                ty = y + label_dy,
            );
        }
        let _ = write!(
            s,
            r#"<rect x="{bx}" y="{ry}" width="{w}" height="16" rx="2" class="bar"><title>{label}: {v}</title></rect><text x="{vx}" y="{ty}" class="val">{v}</text>"#,
            ry = y + bar_dy,
            vx = bx + w + 5,
            ty = y + bar_dy + 12,
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

/// Horizontal stacked bars: one row per label, one segment per series. The
/// series are told apart by fill pattern (solid, hatched, dotted) as well as
/// colour, named in a legend above the bars, and each row ends with its values
/// written out in legend order ("3 + 1 = 4"). At most three series.
pub fn stacked(
    id: &str,
    title: &str,
    desc: &str,
    series: &[&str],
    rows: &[(String, Vec<u64>)],
) -> String {
    let row = 26u32;
    let label_w = 110u32;
    let legend_h = 24u32;
    let bar_max = WIDTH - label_w - 110;
    let height = legend_h + row * rows.len().max(1) as u32 + 8;
    let total = |v: &[u64]| v.iter().take(FILLS.len()).sum::<u64>();
    let max = rows.iter().map(|(_, v)| total(v)).max().unwrap_or(0).max(1);
    let mut s = header(id, title, desc, height);
    let id = esc(id);
    let _ = write!(
        s,
        r##"<defs><pattern id="{id}-p1" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fbe9ea"/><line x1="1.5" y1="0" x2="1.5" y2="6" stroke="#a3101a" stroke-width="2.5"/></pattern><pattern id="{id}-p2" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#e8eef4"/><circle cx="3" cy="3" r="1.6" fill="#12324f"/></pattern></defs>"##
    );
    // Legend.
    let mut x = 4u32;
    for (i, name) in series.iter().take(FILLS.len()).enumerate() {
        let _ = write!(
            s,
            r#"<rect x="{x}" y="4" width="14" height="14" {fill} class="{class}"/><text x="{tx}" y="16" class="lbl">{name}</text>"#,
            fill = fill(&id, i),
            class = seg_class(i),
            tx = x + 18,
            name = esc(name),
        );
        x += 18 + text_width(name) + 14;
    }
    for (r, (label, values)) in rows.iter().enumerate() {
        let y = legend_h + 4 + row * r as u32;
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" class="lbl">{label}</text>"#,
            lx = label_w - 6,
            ty = y + 13,
            label = esc(&fit(label, label_w - 8)),
        );
        let mut bx = label_w;
        for (i, v) in values.iter().take(FILLS.len()).enumerate() {
            let w = scaled(*v, max, bar_max);
            if w > 0 {
                let _ = write!(
                    s,
                    r#"<rect x="{bx}" y="{ry}" width="{w}" height="16" {fill} class="{class}"><title>{label} — {name}: {v}</title></rect>"#,
                    ry = y + 1,
                    fill = fill(&id, i),
                    class = seg_class(i),
                    label = esc(label),
                    name = esc(series.get(i).copied().unwrap_or("")),
                );
            }
            bx += w;
        }
        let shown: Vec<&u64> = values.iter().take(FILLS.len()).collect();
        let text = if shown.len() > 1 {
            format!(
                "{} = {}",
                shown
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(" + "),
                total(values)
            )
        } else {
            total(values).to_string()
        };
        let _ = write!(
            s,
            r#"<text x="{vx}" y="{ty}" class="val">{text}</text>"#,
            vx = bx + 5,
            ty = y + 13,
        );
    }
    if rows.is_empty() {
        let _ = write!(
            s,
            r#"<text x="8" y="{}" class="lbl">—</text>"#,
            legend_h + 16
        );
    }
    s.push_str("</svg>");
    s
}

/// Fill kinds of the [`stacked`] series: solid, hatched, dotted.
const FILLS: [&str; 3] = ["solid", "hatched", "dotted"];

fn seg_class(i: usize) -> &'static str {
    if i == 0 { "bar seg" } else { "seg" }
}

/// Rough width in pixels of `s` at the charts' 13 px font: CJK characters are
/// about twice as wide as Latin ones.
fn text_width(s: &str) -> u32 {
    s.chars().map(|c| if c.is_ascii() { 7 } else { 13 }).sum()
}

/// `s`, cut with "…" to fit `px` pixels (the full text is in the table and in
/// the bar's tooltip).
fn fit(s: &str, px: u32) -> String {
    if text_width(s) <= px {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = text_width("…");
    for c in s.chars() {
        w += text_width(c.encode_utf8(&mut [0; 4]));
        if w > px {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

fn fill(id: &str, i: usize) -> String {
    match i {
        0 => String::new(),
        n => format!(r#"fill="url(#{id}-p{n})""#),
    }
}

/// A chart and the table of its numbers, as `templates/chart.html` shows them:
/// a heading (the caption), the SVG, and the numbers in a table under
/// "The numbers as a table".
#[derive(Debug, Clone)]
pub struct Chart {
    pub svg: String,
    pub caption: String,
    /// Head of the label column.
    pub label_head: String,
    /// Heads of the value columns (one per series).
    pub value_heads: Vec<String>,
    /// Label and values (one per value column).
    pub rows: Vec<(String, Vec<u64>)>,
}

impl Chart {
    /// Recalled batches per month over the last twelve months, by recall date:
    /// the same chart on the portal and in the regulator's console.
    pub fn recalls_per_month(
        l: crate::i18n::Lang,
        today: NaiveDate,
        recall_dates: &[NaiveDate],
    ) -> Chart {
        Chart::bars(
            "recalls",
            l.t("Batch recalls per month", "每月批次召回数"),
            l.t(
                "Recalled batches by recall date, last 12 months.",
                "按召回日期统计的召回批次，最近 12 个月。",
            ),
            (l.t("Month", "月份"), l.t("Recalls", "召回数")),
            monthly(today, 12, recall_dates),
        )
    }

    /// Horizontal bars ([`bars`]).
    pub fn bars(
        id: &str,
        caption: &str,
        desc: &str,
        heads: (&str, &str),
        points: Vec<Point>,
    ) -> Chart {
        Chart::single(bars(id, caption, desc, &points), caption, heads, points)
    }

    /// Columns over time ([`columns`]).
    pub fn columns(
        id: &str,
        caption: &str,
        desc: &str,
        heads: (&str, &str),
        points: Vec<Point>,
    ) -> Chart {
        Chart::single(columns(id, caption, desc, &points), caption, heads, points)
    }

    /// Stacked bars ([`stacked`]); the table has a column per series and a total.
    pub fn stacked(
        id: &str,
        caption: &str,
        desc: &str,
        label_head: &str,
        series: &[&str],
        total_head: &str,
        rows: Vec<(String, Vec<u64>)>,
    ) -> Chart {
        let svg = stacked(id, caption, desc, series, &rows);
        let mut value_heads: Vec<String> = series.iter().map(|s| s.to_string()).collect();
        value_heads.push(total_head.to_string());
        let rows = rows
            .into_iter()
            .map(|(l, mut v)| {
                v.truncate(series.len());
                v.resize(series.len(), 0);
                let t = v.iter().sum();
                v.push(t);
                (l, v)
            })
            .collect();
        Chart {
            svg,
            caption: caption.to_string(),
            label_head: label_head.to_string(),
            value_heads,
            rows,
        }
    }

    fn single(svg: String, caption: &str, heads: (&str, &str), points: Vec<Point>) -> Chart {
        Chart {
            svg,
            caption: caption.to_string(),
            label_head: heads.0.to_string(),
            value_heads: vec![heads.1.to_string()],
            rows: points
                .into_iter()
                .map(|p| (p.label, vec![p.value]))
                .collect(),
        }
    }
}

/// Days `from..=to` with their counts (zero where absent), labelled `MM-DD`.
pub fn daily(from: NaiveDate, to: NaiveDate, counts: &[(NaiveDate, u64)]) -> Vec<Point> {
    let map: BTreeMap<NaiveDate, u64> = counts.iter().copied().collect();
    from.iter_days()
        .take_while(|d| *d <= to)
        .map(|d| {
            Point::new(
                d.format("%m-%d").to_string(),
                map.get(&d).copied().unwrap_or(0),
            )
        })
        .collect()
}

/// The last `n` months up to `today`'s, labelled `YYYY-MM`, with the number of
/// `dates` in each.
pub fn monthly(today: NaiveDate, n: usize, dates: &[NaiveDate]) -> Vec<Point> {
    let mut months = Vec::with_capacity(n);
    let (mut y, mut m) = (today.year(), today.month());
    for _ in 0..n {
        months.push((y, m));
        if m == 1 {
            y -= 1;
            m = 12;
        } else {
            m -= 1;
        }
    }
    months.reverse();
    months
        .into_iter()
        .map(|(y, m)| {
            let v = dates
                .iter()
                .filter(|d| d.year() == y && d.month() == m)
                .count() as u64;
            Point::new(format!("{y}-{m:02}"), v)
        })
        .collect()
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
    fn long_labels_go_above_their_bars_whole() {
        let long = "received by two organizations";
        let svg = bars("b", "t", "d", &[Point::new(long, 2), Point::new("low", 1)]);
        assert!(
            svg.contains(&format!(r#"<text x="4" y="16" class="lbl">{long}</text>"#)),
            "{svg}"
        );
        assert!(
            svg.contains(r#"<text x="4" y="54" class="lbl">low</text>"#),
            "{svg}"
        );
        assert!(!svg.contains('…'));
        // Stacked bars keep labels in their column, cut to fit.
        assert_eq!(fit("low", 100), "low");
        assert!(text_width(&fit("被两个单位接收被两个单位接收", 102)) <= 102);
        let svg = stacked("s", "t", "d", &["a"], &[(long.to_string(), vec![1])]);
        assert!(svg.contains("…</text>") && svg.contains(&format!("<title>{long} — a: 1</title>")));
    }

    #[test]
    fn empty_charts_render() {
        assert!(bars("e", "t", "d", &[]).ends_with("</svg>"));
        assert!(columns("e", "t", "d", &[]).ends_with("</svg>"));
        assert!(stacked("e", "t", "d", &["a", "b"], &[]).ends_with("</svg>"));
    }

    #[test]
    fn stacked_bars_name_every_series_and_write_the_values() {
        let rows = vec![
            ("north".to_string(), vec![3, 1]),
            ("<east>".to_string(), vec![0, 4]),
        ];
        let svg = stacked("s", "By region", "d", &["no problems", "problems"], &rows);
        // Legend: both series named, the second with a pattern (not colour alone).
        assert!(svg.contains(">no problems</text>") && svg.contains(">problems</text>"));
        assert!(svg.contains(r#"fill="url(#s-p1)""#));
        assert!(svg.contains(">3 + 1 = 4</text>") && svg.contains(">0 + 4 = 4</text>"));
        assert!(svg.contains("<title>north — problems: 1</title>"));
        assert!(svg.contains("&lt;east&gt;") && !svg.contains("<east>"));
        // A zero segment draws nothing; the largest total spans the whole bar.
        assert_eq!(svg.matches("<title>&lt;east&gt;").count(), 1);
        let c = Chart::stacked("s", "By region", "d", "Region", &["a", "b"], "Total", rows);
        assert_eq!(c.value_heads, vec!["a", "b", "Total"]);
        assert_eq!(c.rows[0].1, vec![3, 1, 4]);
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn daily_fills_missing_days_with_zero() {
        let pts = daily(
            d("2026-02-27"),
            d("2026-03-02"),
            &[(d("2026-02-28"), 4), (d("2026-03-02"), 1)],
        );
        let got: Vec<(String, u64)> = pts.into_iter().map(|p| (p.label, p.value)).collect();
        assert_eq!(
            got,
            vec![
                ("02-27".into(), 0),
                ("02-28".into(), 4),
                ("03-01".into(), 0),
                ("03-02".into(), 1)
            ]
        );
    }

    #[test]
    fn monthly_counts_the_last_months_across_a_year_boundary() {
        let pts = monthly(
            d("2026-02-10"),
            3,
            &[
                d("2025-12-31"),
                d("2026-02-01"),
                d("2026-02-09"),
                d("2025-11-30"),
            ],
        );
        let got: Vec<(String, u64)> = pts.into_iter().map(|p| (p.label, p.value)).collect();
        assert_eq!(
            got,
            vec![
                ("2025-12".into(), 1),
                ("2026-01".into(), 0),
                ("2026-02".into(), 2)
            ]
        );
    }
}
