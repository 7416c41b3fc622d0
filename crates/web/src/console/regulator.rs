//! Regulator console: clone alerts of every brand (with the same state changes as
//! brand owners), the draws (linking the public draw pages), inspection records
//! and, on `/console/regulator/analytics`, their fraud analytics with alert and
//! recall figures as server-side SVG charts, each with its numbers in a table.
//! Fraud-report cases are in the case-handler console.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use app::users::ConsoleRole;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use chrono::NaiveDate;
use serde_json::Value;

use super::manufacturer::{AlertRow, alert_rows, try_page};
use super::{Console, Frame};
use crate::ApiContext;
use crate::charts::{self, Chart, Point};
use crate::console_page;
use crate::i18n::Lang;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/regulator", get(overview))
        .route("/console/regulator/analytics", get(analytics_page))
}

pub(crate) struct DrawRow {
    pub id: i64,
    pub plan_id: String,
    pub status: &'static str,
    pub phase: &'static str,
}

pub(crate) struct RecordRow {
    pub id: i64,
    pub draw_id: i64,
    pub target: String,
    pub inspector: String,
    pub kind: String,
    pub filed: String,
}

pub(crate) fn record_rows(v: Vec<app::draws::records::RecordView>) -> Vec<RecordRow> {
    v.into_iter()
        .map(|r| RecordRow {
            id: r.id,
            draw_id: r.draw_id,
            target: r.target,
            inspector: r.inspector,
            kind: r.kind,
            filed: r.filed_at.format("%Y-%m-%d %H:%M").to_string(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "console/regulator.html")]
struct OverviewPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    f: Frame,
    counts: Vec<(String, String, u64)>,
    alerts: Vec<AlertRow>,
    back: String,
    draws: Vec<DrawRow>,
    records: Vec<RecordRow>,
    /// Records analysed and flags raised by the fraud analytics.
    analysed: u64,
    flagged: u64,
}

async fn overview(State(ctx): State<ApiContext>, c: Console) -> Response {
    if let Err(r) = c.require(ConsoleRole::Regulator) {
        return r;
    }
    let back = "/console";
    let a = &c.s.actor;
    let counts = try_page!(c, ctx.app.alert_counts(a).await, back)
        .into_iter()
        .map(|n| {
            let status = match n.resolution {
                Some(r) => format!("{} ({r})", n.status),
                None => n.status,
            };
            (n.cause, status, n.count)
        })
        .collect();
    let alerts = try_page!(c, ctx.app.list_alerts(a, None).await, back)
        .into_iter()
        .filter(|x| x.status != "closed")
        .collect();
    let draws = try_page!(c, ctx.app.list_draw_views().await, back)
        .into_iter()
        .map(|d| DrawRow {
            id: d.id,
            plan_id: d.plan_id,
            status: d.status,
            phase: d.phase,
        })
        .collect();
    // A regulator user whose key is registered as an inspector is refused here by
    // the service (an inspector may not act as the regulator); show that plainly.
    let records = match ctx.app.list_record_views(a, Default::default()).await {
        Ok(v) => record_rows(v),
        Err(e) => return super::app_error(&c, e, back),
    };
    let (analysed, flagged) = match ctx.app.inspection_analytics(a).await {
        Ok(v) => (
            v["records"].as_u64().unwrap_or(0),
            v["flags"].as_array().map_or(0, |f| f.len() as u64),
        ),
        Err(e) => return super::app_error(&c, e, back),
    };
    console_page!(OverviewPage {
        c.frame("/console/regulator", "regulator"),
        counts: counts,
        alerts: alert_rows(c.l, alerts),
        back: "/console/regulator".to_string(),
        draws: draws,
        records: records,
        analysed: analysed,
        flagged: flagged,
    })
}

// ---------- analytics ----------

/// Months in the over-time charts.
const MONTHS: usize = 12;

/// One flag of the fraud analytics, for the list under its chart.
pub(crate) struct FlagRow {
    pub kind: String,
    pub inspector: String,
    pub records: String,
    pub explanation: String,
}

/// The figures of the analytics page, gathered from the services' answers.
pub(crate) struct Figures {
    /// Records of every kind.
    pub records: u64,
    /// Current inspections (corrections replace the record they correct;
    /// rectifications are follow-ups, not inspections).
    pub inspections: u64,
    pub with_problems: u64,
    pub hazards: u64,
    pub rectifications: u64,
    pub alerts: u64,
    pub alerts_open: u64,
    pub recalls: u64,
    pub flag_rows: Vec<FlagRow>,
    pub flags: Chart,
    pub inspection_charts: Vec<Chart>,
    pub alert_charts: Vec<Chart>,
}

fn outcome_labels(l: Lang) -> [&'static str; 2] {
    [
        l.t("no problems found", "未发现问题"),
        l.t("problems found", "发现问题"),
    ]
}

fn flag_label(l: Lang, kind: &str) -> String {
    match kind {
        "impossible_travel" => l.t("impossible travel", "不可能的行程"),
        "copied_checklist" => l.t("copied checklist", "照抄的检查表"),
        "late_filing" => l.t("late filing", "迟报"),
        "photo_reuse" => l.t("reused photo", "重复使用的照片"),
        "hazard_overdue" => l.t("hazard overdue", "隐患逾期未整改"),
        "never_finds" => l.t("never finds anything", "从未发现问题"),
        other => other,
    }
    .to_string()
}

const FLAG_KINDS: [&str; 6] = [
    "impossible_travel",
    "copied_checklist",
    "late_filing",
    "photo_reuse",
    "hazard_overdue",
    "never_finds",
];

fn cause_label(l: Lang, cause: &str) -> String {
    match cause {
        "impossible_travel" => l.t("impossible travel", "不可能的移动"),
        "scan_after_scrapping" => l.t("scanned after scrapping", "报废后被扫描"),
        "two_receivers" => l.t("received by two organizations", "被两个单位接收"),
        "excessive_scans" => l.t("too many look-ups", "查询次数异常"),
        "unshipped_region" => l.t("seen where never shipped", "出现在未发货地区"),
        "receipt_counterfeit" => l.t("counterfeit at receipt", "验收时发现仿冒"),
        "receipt_recalled" => l.t("recalled at receipt", "验收时发现召回"),
        "receipt_expired" => l.t("expired at receipt", "验收时发现过期"),
        "receipt_scrapped" => l.t("scrapped item received", "验收到已报废物品"),
        "receipt_not_released" => l.t("unreleased at receipt", "验收到未放行物品"),
        "receipt_suspicious" => l.t("suspicious at receipt", "验收时发现可疑"),
        other => other,
    }
    .to_string()
}

const LEVELS: [&str; 4] = ["info", "low", "medium", "investigate"];

fn level_label(l: Lang, level: &str) -> String {
    match level {
        "info" => l.t("info", "信息"),
        "low" => l.t("low", "低"),
        "medium" => l.t("medium", "中"),
        "investigate" => l.t("investigate", "需调查"),
        other => other,
    }
    .to_string()
}

/// Adds `n` to the count of `key`.
fn bump<K: Ord>(m: &mut BTreeMap<K, u64>, key: K, n: u64) {
    *m.entry(key).or_insert(0) += n;
}

/// What the analytics page names things by: each target's region, and the text of
/// each checklist item of each draw's item list.
#[derive(Default)]
pub(crate) struct Names {
    /// Target code → region.
    pub regions: HashMap<String, String>,
    /// (draw id, item code) → the item's text in the draw's item list.
    pub items: HashMap<(i64, String), String>,
}

impl Names {
    /// A failed checklist item as the chart shows it: its text with its code, or the
    /// code alone when the draw's list does not name it.
    fn item_label(&self, draw_id: i64, code: &str) -> String {
        match self.items.get(&(draw_id, code.to_string())) {
            Some(text) => format!("{text} ({code})"),
            None => code.to_string(),
        }
    }
}

/// Computes the analytics page from the records, names, fraud-analytics answer,
/// alerts and recall dates. Pure, so it is tested without a server.
pub(crate) fn figures(
    l: Lang,
    today: NaiveDate,
    records: &[app::draws::records::RecordView],
    names: &Names,
    analytics: &Value,
    alerts: &[store::scans::Alert],
    recall_dates: &[NaiveDate],
) -> Figures {
    use app::draws::records::RecordBody;

    let superseded: BTreeSet<i64> = records
        .iter()
        .filter(|r| r.kind == "correction")
        .filter_map(|r| r.refers_to)
        .collect();
    let [no_problems, problems] = outcome_labels(l);
    let unknown_region = l.t("(no region)", "（无地区）");
    let (mut inspections, mut with_problems, mut hazards, mut rectifications) = (0, 0, 0, 0);
    let mut by_region: BTreeMap<String, [u64; 2]> = BTreeMap::new();
    let mut failed_items: BTreeMap<String, u64> = BTreeMap::new();
    for r in records {
        if r.kind == "rectification" {
            rectifications += 1;
            continue;
        }
        if superseded.contains(&r.id) {
            continue;
        }
        let body: RecordBody = match serde_json::from_value(r.record.clone()) {
            Ok(b) => b,
            Err(e) => {
                // Filed records were checked against this shape; one that no longer
                // parses is reported, not allowed to hide the rest of the page.
                tracing::warn!(record = r.id, error = %e, "inspection record body does not parse");
                continue;
            }
        };
        inspections += 1;
        let failed: Vec<&str> = body
            .checklist
            .iter()
            .filter(|a| a.result == "fail")
            .map(|a| a.item.as_str())
            .collect();
        for item in &failed {
            bump(&mut failed_items, names.item_label(r.draw_id, item), 1);
        }
        hazards += body.hazards.len() as u64;
        let found = !failed.is_empty() || !body.findings.is_empty() || !body.hazards.is_empty();
        if found {
            with_problems += 1;
        }
        let region = names
            .regions
            .get(&r.target)
            .filter(|s| !s.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| unknown_region.to_string());
        by_region.entry(region).or_insert([0, 0])[usize::from(found)] += 1;
    }
    let filed: Vec<NaiveDate> = records.iter().map(|r| r.filed_at.date_naive()).collect();

    // Fraud-analytics flags.
    let flag_list = analytics["flags"].as_array().cloned().unwrap_or_default();
    let mut flag_counts: BTreeMap<String, u64> = BTreeMap::new();
    let flag_rows: Vec<FlagRow> = flag_list
        .iter()
        .map(|f| {
            let kind = f["kind"].as_str().unwrap_or_default().to_string();
            bump(&mut flag_counts, kind.clone(), 1);
            FlagRow {
                kind: flag_label(l, &kind),
                inspector: f["inspector"].as_str().unwrap_or_default().to_string(),
                records: f["records"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_i64)
                            .map(|i| format!("#{i}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default(),
                explanation: f["explanation"].as_str().unwrap_or_default().to_string(),
            }
        })
        .collect();
    let mut flag_points: Vec<Point> = FLAG_KINDS
        .iter()
        .map(|k| Point::new(flag_label(l, k), flag_counts.get(*k).copied().unwrap_or(0)))
        .collect();
    for (k, v) in &flag_counts {
        if !FLAG_KINDS.contains(&k.as_str()) {
            flag_points.push(Point::new(flag_label(l, k), *v));
        }
    }
    let flags_title = l.t("Fraud-analytics flags by rule", "按规则统计的检查造假疑点");
    let flags = Chart::bars(
        "flags",
        flags_title,
        l.t(
            "Suspicions raised by the fraud analytics over all inspection records, per rule.",
            "对全部检查记录进行造假分析得出的疑点，按规则统计。",
        ),
        (l.t("Rule", "规则"), l.t("Flags", "疑点数")),
        flag_points,
    );

    let outcome_title = l.t("Inspections by outcome", "按结果统计的检查");
    let region_title = l.t(
        "Inspections by region and outcome",
        "按地区和结果统计的检查",
    );
    let failed_title = l.t("Failed checklist items", "不合格的检查项目");
    let filed_title = l.t("Records filed per month", "每月提交的检查记录");
    let mut failed_points: Vec<Point> = failed_items
        .into_iter()
        .map(|(k, v)| Point::new(k, v))
        .collect();
    failed_points.sort_by(|a, b| b.value.cmp(&a.value).then(a.label.cmp(&b.label)));
    let inspection_charts = vec![
        Chart::bars(
            "outcome",
            outcome_title,
            l.t(
                "Current inspections (a correction replaces the record it corrects): no problems found, or a failed checklist item, a finding or a hazard.",
                "现行检查（更正记录取代被更正的记录）：未发现问题，或有不合格项目、发现的问题或隐患。",
            ),
            (l.t("Outcome", "结果"), l.t("Inspections", "检查数")),
            vec![
                Point::new(no_problems, inspections - with_problems),
                Point::new(problems, with_problems),
            ],
        ),
        Chart::stacked(
            "regions",
            region_title,
            l.t(
                "Current inspections per region of the inspected target; solid: no problems found, hatched: problems found.",
                "按被检查单位所在地区统计的现行检查；实心：未发现问题，斜线：发现问题。",
            ),
            l.t("Region", "地区"),
            &[no_problems, problems],
            l.t("Total", "合计"),
            by_region
                .into_iter()
                .map(|(k, v)| (k, v.to_vec()))
                .collect(),
        ),
        Chart::bars(
            "failed",
            failed_title,
            l.t(
                "Checklist items answered \"fail\" in current inspections, by item (its text in the draw's item list, and its code).",
                "现行检查中结果为“不合格”的检查项目，按项目编号统计。",
            ),
            (l.t("Checklist item", "检查项目"), l.t("Failures", "不合格次数")),
            failed_points,
        ),
        Chart::columns(
            "filed",
            filed_title,
            l.t(
                "Inspection, correction and rectification records by filing (log) month, last 12 months, UTC.",
                "按提交（日志）月份统计的检查、更正和整改记录，最近 12 个月，UTC。",
            ),
            (l.t("Month", "月份"), l.t("Records", "记录数")),
            charts::monthly(today, MONTHS, &filed),
        ),
    ];

    // Alerts and recalls.
    let mut by_cause: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_level: BTreeMap<&str, [u64; 3]> = BTreeMap::new();
    let mut alerts_open = 0;
    for a in alerts {
        bump(&mut by_cause, cause_label(l, &a.cause), 1);
        let col = match a.status.as_str() {
            "open" => 0,
            "investigating" => 1,
            _ => 2,
        };
        if col < 2 {
            alerts_open += 1;
        }
        by_level.entry(a.level.as_str()).or_insert([0; 3])[col] += 1;
    }
    let mut level_rows: Vec<(String, Vec<u64>)> = LEVELS
        .iter()
        .map(|lv| {
            (
                level_label(l, lv),
                by_level.get(lv).map_or(vec![0; 3], |v| v.to_vec()),
            )
        })
        .collect();
    for (lv, v) in &by_level {
        if !LEVELS.contains(lv) {
            level_rows.push((level_label(l, lv), v.to_vec()));
        }
    }
    let mut cause_points: Vec<Point> = by_cause
        .into_iter()
        .map(|(k, v)| Point::new(k, v))
        .collect();
    cause_points.sort_by(|a, b| b.value.cmp(&a.value).then(a.label.cmp(&b.label)));
    let cause_title = l.t("Clone alerts by cause", "按原因统计的仿冒预警");
    let level_title = l.t(
        "Clone alerts by level and status",
        "按级别和状态统计的仿冒预警",
    );
    let alert_charts = vec![
        Chart::bars(
            "causes",
            cause_title,
            l.t(
                "Alerts ever opened, of every brand, per cause.",
                "全部品牌累计产生的预警，按原因统计。",
            ),
            (l.t("Cause", "原因"), l.t("Alerts", "预警数")),
            cause_points,
        ),
        Chart::stacked(
            "levels",
            level_title,
            l.t(
                "Alerts per level; solid: open, hatched: investigating, dotted: closed.",
                "按级别统计的预警；实心：待处理，斜线：调查中，圆点：已关闭。",
            ),
            l.t("Level", "级别"),
            &[
                l.t("open", "待处理"),
                l.t("investigating", "调查中"),
                l.t("closed", "已关闭"),
            ],
            l.t("Total", "合计"),
            level_rows,
        ),
        Chart::recalls_per_month(l, today, recall_dates),
    ];
    Figures {
        records: records.len() as u64,
        inspections,
        with_problems,
        hazards,
        rectifications,
        alerts: alerts.len() as u64,
        alerts_open,
        recalls: recall_dates.len() as u64,
        flag_rows,
        flags,
        inspection_charts,
        alert_charts,
    }
}

#[derive(Template)]
#[template(path = "console/regulator_analytics.html")]
struct AnalyticsPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    f: Frame,
    today: String,
    fig: Figures,
}

async fn analytics_page(State(ctx): State<ApiContext>, c: Console) -> Response {
    if let Err(r) = c.require(ConsoleRole::Regulator) {
        return r;
    }
    let back = "/console/regulator";
    let a = &c.s.actor;
    // The analytics service refuses anyone but the regulator (also a regulator
    // user whose key is registered as an inspector); show that plainly.
    let analytics = try_page!(c, ctx.app.inspection_analytics(a).await, back);
    let records = try_page!(
        c,
        ctx.app.list_record_views(a, Default::default()).await,
        back
    );
    let regions: HashMap<String, String> = try_page!(c, ctx.app.store.list_targets().await, back)
        .into_iter()
        .map(|t| (t.code, t.region))
        .collect();
    // Item texts by list, then by the draw that used the list.
    let mut lists: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for list in try_page!(c, ctx.app.store.list_item_lists().await, back) {
        let items: Vec<app::draws::ItemInput> =
            serde_json::from_str(&list.items).unwrap_or_default();
        lists.insert(
            list.code,
            items.into_iter().map(|i| (i.code, i.text)).collect(),
        );
    }
    let mut items = HashMap::new();
    for d in try_page!(c, ctx.app.store.list_draws().await, back) {
        for (code, text) in lists.get(&d.item_list).into_iter().flatten() {
            items.insert((d.id, code.clone()), text.clone());
        }
    }
    let names = Names { regions, items };
    let alerts = try_page!(c, ctx.app.list_alerts(a, None).await, back);
    let recall_dates: Vec<NaiveDate> =
        try_page!(c, ctx.app.store.recalled_batches(u32::MAX).await, back)
            .iter()
            .filter_map(|r| r.batch.recalled_on)
            .collect();
    let today = ctx.app.clock.today();
    let fig = figures(
        c.l,
        today,
        &records,
        &names,
        &analytics,
        &alerts,
        &recall_dates,
    );
    console_page!(AnalyticsPage {
        c.frame("/console/regulator/analytics", "regulator"),
        today: today.to_string(),
        fig: fig,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::draws::records::RecordView;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn record(id: i64, kind: &str, target: &str, refers_to: Option<i64>, fail: bool) -> RecordView {
        RecordView {
            id,
            draw_id: 1,
            target: target.into(),
            inspector: "I1".into(),
            kind: kind.into(),
            refers_to,
            record: json!({
                "kind": kind, "draw_id": 1, "target": target, "inspector": "I1", "refers_to": refers_to,
                "started_at": "2026-12-03T09:00:00Z", "ended_at": "2026-12-03T11:00:00Z",
                "checklist": [{"item": "c1", "result": if fail { "fail" } else { "pass" }}],
            }),
            sha256: String::new(),
            signature: String::new(),
            filed_at: Utc
                .with_ymd_and_hms(2026, 12, 3, 12, 0, 0)
                .single()
                .expect("time"),
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn corrections_replace_and_rectifications_are_not_inspections() {
        let mut broken = record(5, "inspection", "T3", None, false);
        broken.record = json!({"not": "a record"});
        let records = vec![
            record(1, "inspection", "T1", None, true),
            // Corrects #1: only the correction counts, and it found nothing.
            record(2, "correction", "T1", Some(1), false),
            record(3, "inspection", "T2", None, true),
            record(4, "rectification", "T2", Some(3), false),
            broken,
        ];
        let names = Names {
            regions: HashMap::from([("T1".to_string(), "north".to_string())]),
            items: HashMap::from([(
                (1, "c1".to_string()),
                "Lanyard stitching intact".to_string(),
            )]),
        };
        let analytics = json!({"flags": [
            {"kind": "late_filing", "inspector": "I1", "records": [3], "explanation": "filed late"}
        ]});
        let f = figures(
            Lang::En,
            day("2026-12-05"),
            &records,
            &names,
            &analytics,
            &[],
            &[day("2026-11-02")],
        );
        assert_eq!(
            (f.records, f.inspections, f.with_problems, f.rectifications),
            (5, 2, 1, 1)
        );
        let regions = &f.inspection_charts[1].rows;
        assert_eq!(
            regions,
            &vec![
                ("(no region)".to_string(), vec![0, 1, 1]),
                ("north".to_string(), vec![1, 0, 1]),
            ]
        );
        assert_eq!(
            f.inspection_charts[2].rows,
            vec![("Lanyard stitching intact (c1)".to_string(), vec![1])]
        );
        // An item the draw's list does not name keeps its code.
        assert_eq!(names.item_label(2, "c1"), "c1");
        assert_eq!(f.flag_rows.len(), 1);
        assert_eq!(f.flag_rows[0].records, "#3");
        assert!(f.flags.rows.contains(&("late filing".to_string(), vec![1])));
        // Recalls per month: November has the one recall.
        let recalls = &f.alert_charts[2].rows;
        assert_eq!(recalls.len(), MONTHS);
        assert_eq!(recalls[MONTHS - 2], ("2026-11".to_string(), vec![1]));
        assert_eq!(f.recalls, 1);
    }
}
