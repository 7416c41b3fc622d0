//! Fraud analytics over inspection records (PRODUCT.md C9). Pure: the caller
//! gathers the facts (times as Unix seconds, site coordinates, checklist
//! answers, hazards and their follow-up) and passes "now".
//!
//! Every [`Flag`] names the records it is about and explains itself in one
//! sentence a regulator can check by hand. The rules:
//!
//! * [`FlagKind::ImpossibleTravel`] — one inspector at two sites more than
//!   1 km apart, with less time between the end of one visit and the start
//!   of the next than travel at `max_speed_kmh` needs (overlapping visits at
//!   two sites always fire).
//! * [`FlagKind::CopiedChecklist`] — identical checklist answers (item,
//!   result and note, at least `min_copied_items` items) at two or more
//!   different targets. An all-"pass" checklist without notes is the normal
//!   outcome of a clean visit and does not fire on its own (an inspector who
//!   only ever files those is caught by [`FlagKind::NeverFinds`]).
//! * [`FlagKind::LateFiling`] — filed (log time) more than
//!   `late_filing_hours` after the claimed end of the visit.
//! * [`FlagKind::PhotoReuse`] — the same photo hash in two record chains (a
//!   correction shares its chain with the record it corrects; a rectification
//!   is a new visit and has its own).
//! * [`FlagKind::HazardOverdue`] — a hazard past its rectification deadline
//!   that no rectification record closed.
//! * [`FlagKind::NeverFinds`] — an inspector with at least
//!   `never_finds_min_records` inspections without any finding, hazard or
//!   failed item, while the other inspectors' inspections (at least as many)
//!   find something in at least `never_finds_peer_rate_pct` % of cases.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// Tunable thresholds; [`Default`] gives the documented values.
#[derive(Debug, Clone, Serialize)]
pub struct Thresholds {
    /// Fastest plausible door-to-door travel, km/h (default 120).
    pub max_speed_kmh: f64,
    /// Filing later than this after the claimed end is flagged (default 48).
    pub late_filing_hours: i64,
    /// Copied checklists need at least this many items (default 3).
    pub min_copied_items: usize,
    /// Never-finds needs at least this many inspections (default 5).
    pub never_finds_min_records: usize,
    /// Peers must find something in at least this share, percent (default 20).
    pub never_finds_peer_rate_pct: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            max_speed_kmh: 120.0,
            late_filing_hours: 48,
            min_copied_items: 3,
            never_finds_min_records: 5,
            never_finds_peer_rate_pct: 20,
        }
    }
}

/// One checklist answer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Answer {
    pub item: String,
    /// `pass`, `fail` or `n/a`.
    pub result: String,
    pub note: String,
}

/// A hazard of an inspection record and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct HazardFacts {
    /// Position in the record's hazard list.
    pub index: usize,
    pub description: String,
    /// Deadline (Unix seconds, end of the deadline day).
    pub deadline: i64,
    /// A rectification record closed it.
    pub closed: bool,
    /// Rectification records (closing or not) about it.
    pub follow_ups: usize,
}

/// What the analytics need to know about one record.
#[derive(Debug, Clone, Serialize)]
pub struct RecordFacts {
    pub id: i64,
    /// `inspection`, `correction` or `rectification`.
    pub kind: String,
    pub inspector: String,
    pub target: String,
    /// Site coordinates in degrees (latitude, longitude), when known.
    pub site: Option<(f64, f64)>,
    /// Claimed start and end of the visit, Unix seconds.
    pub start: i64,
    pub end: i64,
    /// When the record entered the log, Unix seconds.
    pub filed: i64,
    pub checklist: Vec<Answer>,
    pub findings: usize,
    pub hazards: Vec<HazardFacts>,
    pub photos: Vec<String>,
    /// Id of the first record of its correction chain (its own id if none).
    pub chain: i64,
    /// A later correction replaced it.
    pub superseded: bool,
}

impl RecordFacts {
    fn is_inspection(&self) -> bool {
        self.kind != "rectification"
    }

    fn found_something(&self) -> bool {
        self.findings > 0
            || !self.hazards.is_empty()
            || self.checklist.iter().any(|a| a.result == "fail")
    }
}

/// The kinds of flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    ImpossibleTravel,
    CopiedChecklist,
    LateFiling,
    PhotoReuse,
    HazardOverdue,
    NeverFinds,
}

/// One suspicion, explained.
#[derive(Debug, Clone, Serialize)]
pub struct Flag {
    pub kind: FlagKind,
    /// The inspector concerned, when one is.
    pub inspector: Option<String>,
    /// Records concerned.
    pub records: Vec<i64>,
    pub explanation: String,
}

/// Great-circle distance in km (haversine, mean Earth radius 6371 km).
#[must_use]
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().min(1.0).asin()
}

fn hours(secs: i64) -> f64 {
    secs as f64 / 3600.0
}

/// Runs every rule; flags come out grouped by kind, then by record id.
#[must_use]
pub fn analyze(records: &[RecordFacts], now: i64, t: &Thresholds) -> Vec<Flag> {
    let mut out = Vec::new();
    impossible_travel(records, t, &mut out);
    copied_checklists(records, t, &mut out);
    late_filing(records, t, &mut out);
    photo_reuse(records, &mut out);
    hazards_overdue(records, now, &mut out);
    never_finds(records, t, &mut out);
    out
}

fn impossible_travel(records: &[RecordFacts], t: &Thresholds, out: &mut Vec<Flag>) {
    let mut by_inspector: BTreeMap<&str, Vec<&RecordFacts>> = BTreeMap::new();
    for r in records.iter().filter(|r| !r.superseded && r.site.is_some()) {
        by_inspector.entry(&r.inspector).or_default().push(r);
    }
    for (inspector, mut visits) in by_inspector {
        visits.sort_by_key(|r| (r.start, r.id));
        for pair in visits.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let (Some(pa), Some(pb)) = (a.site, b.site) else {
                continue;
            };
            let km = distance_km(pa, pb);
            if km <= 1.0 {
                continue;
            }
            let gap = b.start - a.end;
            let explanation = if gap <= 0 {
                format!(
                    "inspector {inspector} claims overlapping visits at targets {} and {}, {km:.0} km apart",
                    a.target, b.target
                )
            } else {
                let speed = km / hours(gap);
                if speed <= t.max_speed_kmh {
                    continue;
                }
                format!(
                    "inspector {inspector} left target {} and started at target {} {:.1} h later; \
                     the sites are {km:.0} km apart, which needs {speed:.0} km/h (more than {:.0} km/h)",
                    a.target,
                    b.target,
                    hours(gap),
                    t.max_speed_kmh
                )
            };
            out.push(Flag {
                kind: FlagKind::ImpossibleTravel,
                inspector: Some(inspector.to_string()),
                records: vec![a.id, b.id],
                explanation,
            });
        }
    }
}

fn copied_checklists(records: &[RecordFacts], t: &Thresholds, out: &mut Vec<Flag>) {
    let mut groups: BTreeMap<Vec<Answer>, Vec<&RecordFacts>> = BTreeMap::new();
    for r in records
        .iter()
        .filter(|r| !r.superseded && r.is_inspection() && r.checklist.len() >= t.min_copied_items)
    {
        let trivial = r
            .checklist
            .iter()
            .all(|a| a.result == "pass" && a.note.is_empty());
        if trivial {
            continue;
        }
        let mut key = r.checklist.clone();
        key.sort();
        groups.entry(key).or_default().push(r);
    }
    for (answers, rs) in groups {
        let targets: BTreeSet<&str> = rs.iter().map(|r| r.target.as_str()).collect();
        if targets.len() < 2 {
            continue;
        }
        let inspectors: BTreeSet<&str> = rs.iter().map(|r| r.inspector.as_str()).collect();
        let mut ids: Vec<i64> = rs.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        out.push(Flag {
            kind: FlagKind::CopiedChecklist,
            inspector: (inspectors.len() == 1)
                .then(|| inspectors.iter().next().map(|s| (*s).to_string()))
                .flatten(),
            records: ids,
            explanation: format!(
                "the same {} checklist answers (including failures or notes) were filed for {} different targets ({}) by {}",
                answers.len(),
                targets.len(),
                targets.into_iter().collect::<Vec<_>>().join(", "),
                inspectors.into_iter().collect::<Vec<_>>().join(", ")
            ),
        });
    }
}

fn late_filing(records: &[RecordFacts], t: &Thresholds, out: &mut Vec<Flag>) {
    for r in records {
        let delay = r.filed - r.end;
        if delay > t.late_filing_hours * 3600 {
            out.push(Flag {
                kind: FlagKind::LateFiling,
                inspector: Some(r.inspector.clone()),
                records: vec![r.id],
                explanation: format!(
                    "record {} (target {}) entered the log {:.1} h after the visit it describes ended (limit {} h)",
                    r.id,
                    r.target,
                    hours(delay),
                    t.late_filing_hours
                ),
            });
        }
    }
}

fn photo_reuse(records: &[RecordFacts], out: &mut Vec<Flag>) {
    let mut by_photo: BTreeMap<&str, BTreeMap<i64, Vec<&RecordFacts>>> = BTreeMap::new();
    for r in records {
        for p in &r.photos {
            by_photo
                .entry(p.as_str())
                .or_default()
                .entry(r.chain)
                .or_default()
                .push(r);
        }
    }
    for (photo, chains) in by_photo {
        if chains.len() < 2 {
            continue;
        }
        let rs: Vec<&RecordFacts> = chains.values().flatten().copied().collect();
        let targets: BTreeSet<&str> = rs.iter().map(|r| r.target.as_str()).collect();
        let inspectors: BTreeSet<&str> = rs.iter().map(|r| r.inspector.as_str()).collect();
        let mut ids: Vec<i64> = rs.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        out.push(Flag {
            kind: FlagKind::PhotoReuse,
            inspector: (inspectors.len() == 1)
                .then(|| inspectors.iter().next().map(|s| (*s).to_string()))
                .flatten(),
            records: ids,
            explanation: format!(
                "photo {}… appears in {} separate records (targets {})",
                &photo[..photo.len().min(12)],
                chains.len(),
                targets.into_iter().collect::<Vec<_>>().join(", ")
            ),
        });
    }
}

fn hazards_overdue(records: &[RecordFacts], now: i64, out: &mut Vec<Flag>) {
    for r in records
        .iter()
        .filter(|r| !r.superseded && r.is_inspection())
    {
        for h in &r.hazards {
            if h.closed || now <= h.deadline {
                continue;
            }
            let follow = if h.follow_ups == 0 {
                "no rectification record at all".to_string()
            } else {
                format!("{} follow-up(s), none closing it", h.follow_ups)
            };
            out.push(Flag {
                kind: FlagKind::HazardOverdue,
                inspector: Some(r.inspector.clone()),
                records: vec![r.id],
                explanation: format!(
                    "hazard #{} at target {} ({}) is {:.0} days past its rectification deadline with {follow}",
                    h.index,
                    r.target,
                    h.description,
                    (hours(now - h.deadline) / 24.0).ceil()
                ),
            });
        }
    }
}

fn never_finds(records: &[RecordFacts], t: &Thresholds, out: &mut Vec<Flag>) {
    let inspections: Vec<&RecordFacts> = records
        .iter()
        .filter(|r| !r.superseded && r.is_inspection())
        .collect();
    let mut by_inspector: BTreeMap<&str, Vec<&RecordFacts>> = BTreeMap::new();
    for r in &inspections {
        by_inspector.entry(&r.inspector).or_default().push(r);
    }
    for (inspector, own) in &by_inspector {
        if own.len() < t.never_finds_min_records || own.iter().any(|r| r.found_something()) {
            continue;
        }
        let peers: Vec<&&RecordFacts> = inspections
            .iter()
            .filter(|r| r.inspector != *inspector)
            .collect();
        let found = peers.iter().filter(|r| r.found_something()).count();
        if peers.len() < own.len()
            || found * 100 < peers.len() * t.never_finds_peer_rate_pct as usize
        {
            continue;
        }
        let mut ids: Vec<i64> = own.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        out.push(Flag {
            kind: FlagKind::NeverFinds,
            inspector: Some((*inspector).to_string()),
            records: ids,
            explanation: format!(
                "inspector {inspector} found nothing (no finding, hazard or failed item) in {} inspections, \
                 while the other inspectors found something in {found} of {} ({}%)",
                own.len(),
                peers.len(),
                found * 100 / peers.len().max(1)
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600;

    fn rec(id: i64, inspector: &str, target: &str, site: (f64, f64), start: i64) -> RecordFacts {
        RecordFacts {
            id,
            kind: "inspection".into(),
            inspector: inspector.into(),
            target: target.into(),
            site: Some(site),
            start,
            end: start + 2 * H,
            filed: start + 3 * H,
            checklist: vec![],
            findings: 0,
            hazards: vec![],
            photos: vec![],
            chain: id,
            superseded: false,
        }
    }

    fn answers(v: &[(&str, &str, &str)]) -> Vec<Answer> {
        v.iter()
            .map(|(i, r, n)| Answer {
                item: (*i).into(),
                result: (*r).into(),
                note: (*n).into(),
            })
            .collect()
    }

    fn kinds(flags: &[Flag]) -> Vec<FlagKind> {
        flags.iter().map(|f| f.kind).collect()
    }

    const SHENYANG: (f64, f64) = (41.8057, 123.4315);
    const DALIAN: (f64, f64) = (38.9140, 121.6147); // ~360 km away
    const SHENYANG_2: (f64, f64) = (41.75, 123.40); // ~7 km away

    /// A clean week: plausible travel, distinct answers, prompt filing,
    /// distinct photos, hazards closed, everybody finds something sometimes.
    fn clean() -> Vec<RecordFacts> {
        let mut a = rec(1, "I1", "T1", SHENYANG, 0);
        a.checklist = answers(&[
            ("c1", "pass", ""),
            ("c2", "fail", "no records"),
            ("c3", "pass", ""),
        ]);
        a.findings = 1;
        a.hazards = vec![HazardFacts {
            index: 0,
            description: "blocked exit".into(),
            deadline: 10 * 24 * H,
            closed: true,
            follow_ups: 1,
        }];
        a.photos = vec!["aa".repeat(32)];
        let mut b = rec(2, "I1", "T2", SHENYANG_2, 3 * H); // 7 km in 1 h
        b.checklist = answers(&[
            ("c1", "pass", ""),
            ("c2", "fail", "expired helmets"),
            ("c3", "pass", ""),
        ]);
        b.photos = vec!["bb".repeat(32)];
        let mut c = rec(3, "I2", "T3", DALIAN, 24 * H); // I2, far but a day later for nobody
        c.checklist = answers(&[("c1", "pass", ""), ("c2", "pass", ""), ("c3", "pass", "")]);
        let mut d = rec(4, "I1", "T3", DALIAN, 24 * H); // I1: 21 h after leaving T2, 360 km: fine
        d.checklist = answers(&[("c1", "pass", ""), ("c2", "pass", ""), ("c3", "pass", "")]);
        vec![a, b, c, d]
    }

    #[test]
    fn clean_scenario_raises_nothing() {
        let flags = analyze(&clean(), 30 * 24 * H, &Thresholds::default());
        assert!(flags.is_empty(), "{flags:#?}");
    }

    #[test]
    fn impossible_travel_fires() {
        let mut rs = clean();
        rs[3].start = 5 * H; // 360 km, 3 h after leaving T2 at 5h? b ends at 5h: gap 0
        rs[3].end = 6 * H;
        let flags = analyze(&rs, 30 * 24 * H, &Thresholds::default());
        assert_eq!(
            kinds(&flags),
            vec![FlagKind::ImpossibleTravel],
            "{flags:#?}"
        );
        assert_eq!(flags[0].records, vec![2, 4]);
        assert!(
            flags[0].explanation.contains("km apart"),
            "{}",
            flags[0].explanation
        );
        // Two hours later is still too fast (~180 km/h); five hours is fine.
        rs[3].start = 7 * H;
        rs[3].end = 8 * H;
        assert_eq!(
            kinds(&analyze(&rs, 30 * 24 * H, &Thresholds::default())),
            vec![FlagKind::ImpossibleTravel]
        );
        rs[3].start = 10 * H;
        rs[3].end = 11 * H;
        assert!(analyze(&rs, 30 * 24 * H, &Thresholds::default()).is_empty());
    }

    #[test]
    fn copied_checklist_fires() {
        let mut rs = clean();
        rs[1].checklist = rs[0].checklist.clone();
        let flags = analyze(&rs, 30 * 24 * H, &Thresholds::default());
        assert_eq!(kinds(&flags), vec![FlagKind::CopiedChecklist], "{flags:#?}");
        assert_eq!(flags[0].records, vec![1, 2]);
        assert_eq!(flags[0].inspector.as_deref(), Some("I1"));
    }

    #[test]
    fn late_filing_fires() {
        let mut rs = clean();
        rs[2].filed = rs[2].end + 72 * H;
        let flags = analyze(&rs, 30 * 24 * H, &Thresholds::default());
        assert_eq!(kinds(&flags), vec![FlagKind::LateFiling]);
        assert!(
            flags[0].explanation.contains("72.0 h"),
            "{}",
            flags[0].explanation
        );
    }

    #[test]
    fn photo_reuse_fires_across_chains_only() {
        let mut rs = clean();
        // A correction of record 1 repeating its photo is fine.
        let mut corr = rs[0].clone();
        corr.id = 5;
        corr.chain = 1;
        corr.kind = "correction".into();
        rs[0].superseded = true;
        rs.push(corr);
        assert!(analyze(&rs, 30 * 24 * H, &Thresholds::default()).is_empty());
        rs[3].photos = vec!["aa".repeat(32)];
        let flags = analyze(&rs, 30 * 24 * H, &Thresholds::default());
        assert_eq!(kinds(&flags), vec![FlagKind::PhotoReuse]);
        assert_eq!(flags[0].records, vec![1, 4, 5]);
    }

    #[test]
    fn overdue_hazard_fires() {
        let mut rs = clean();
        rs[0].hazards[0].closed = false;
        // Before the deadline: quiet.
        assert!(analyze(&rs, 5 * 24 * H, &Thresholds::default()).is_empty());
        let flags = analyze(&rs, 30 * 24 * H, &Thresholds::default());
        assert_eq!(kinds(&flags), vec![FlagKind::HazardOverdue]);
        assert!(
            flags[0].explanation.contains("none closing it"),
            "{}",
            flags[0].explanation
        );
    }

    #[test]
    fn never_finds_fires() {
        let mut rs = Vec::new();
        for i in 0..5 {
            let mut r = rec(i, "LAZY", &format!("T{i}"), SHENYANG, i * 48 * H);
            r.checklist = answers(&[("c1", "pass", ""), ("c2", "pass", ""), ("c3", "pass", "")]);
            rs.push(r);
        }
        let quiet = analyze(&rs, 0, &Thresholds::default());
        assert!(quiet.is_empty(), "no peers to compare with: {quiet:#?}");
        for i in 10..15 {
            let mut r = rec(i, "KEEN", &format!("T{i}"), DALIAN, i * 48 * H);
            r.findings = usize::from(i % 2 == 0);
            rs.push(r);
        }
        let flags = analyze(&rs, 0, &Thresholds::default());
        assert_eq!(kinds(&flags), vec![FlagKind::NeverFinds], "{flags:#?}");
        assert_eq!(flags[0].inspector.as_deref(), Some("LAZY"));
        // One finding clears the inspector.
        rs[0].findings = 1;
        assert!(analyze(&rs, 0, &Thresholds::default()).is_empty());
    }

    #[test]
    fn distance_is_sane() {
        let d = distance_km(SHENYANG, DALIAN);
        assert!((340.0..380.0).contains(&d), "{d}");
        assert!(distance_km(SHENYANG, SHENYANG) < 1e-9);
    }
}
