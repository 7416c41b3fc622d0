//! The scan model and clone detection ("golden eyes").
//!
//! Two kinds of scans are kept apart:
//! - **authoritative** scans are supply-chain steps by an authenticated organization at
//!   one of its sites (receipt, acceptance, issue, sale): one per item per step;
//! - **informational** scans are anyone looking (a worker, a buyer): they never change
//!   an item's state and never make a genuine item look cloned by themselves.
//!
//! Informational scans are counted in *buckets* (one per day and coarse place), so a
//! buyer who scans four times in a shop counts once. Locations are coarse (0.1°, about
//! 10 km, or a city name): no personal data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A coarse place: rounded coordinates and/or a city and region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Place {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub city: Option<String>,
    pub region: Option<String>,
}

impl Place {
    /// Rounds coordinates to 0.1° so no precise location is ever stored.
    pub fn coarse(
        lat: Option<f64>,
        lon: Option<f64>,
        city: Option<String>,
        region: Option<String>,
    ) -> Place {
        let r = |v: f64| (v * 10.0).round() / 10.0;
        let valid =
            |lat: f64, lon: f64| (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
        let (lat, lon) = match (lat, lon) {
            (Some(a), Some(o)) if valid(a, o) => (Some(r(a)), Some(r(o))),
            _ => (None, None),
        };
        Place {
            lat,
            lon,
            city,
            region,
        }
    }

    fn point(&self) -> Option<(f64, f64)> {
        Some((self.lat?, self.lon?))
    }

    /// A key for bucketing scans by place.
    pub fn bucket_key(&self) -> String {
        match (self.point(), &self.city) {
            (Some((a, o)), _) => format!("{a:.1},{o:.1}"),
            (None, Some(c)) => c.to_lowercase(),
            (None, None) => "?".into(),
        }
    }
}

/// Great-circle distance in kilometres (haversine, mean Earth radius).
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanKind {
    Informational,
    Authoritative,
}

/// One scan as the rules see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scan {
    pub at: DateTime<Utc>,
    pub kind: ScanKind,
    /// For authoritative scans: the organization and its step (e.g. "receiving").
    pub org_id: Option<i64>,
    pub step: Option<String>,
    pub place: Place,
}

/// Thresholds, all configurable.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloneConfig {
    /// Faster than this between two places is impossible travel (km/h).
    pub max_speed_kmh: f64,
    /// Places closer than this are "the same place" (km).
    pub min_distance_km: f64,
    /// Informational scan buckets above `factor × batch mean` (and above `min`) are suspicious.
    pub excess_factor: f64,
    pub excess_min_buckets: u32,
}

impl Default for CloneConfig {
    fn default() -> Self {
        CloneConfig {
            max_speed_kmh: 800.0,
            min_distance_km: 50.0,
            excess_factor: 10.0,
            excess_min_buckets: 12,
        }
    }
}

/// What is known about the item around the scans.
#[derive(Debug, Clone, Default)]
pub struct ItemContext {
    pub scrapped_at: Option<DateTime<Utc>>,
    /// Mean number of informational buckets per scanned item of the batch.
    pub batch_mean_buckets: f64,
    /// Regions the batch was shipped to (empty: unknown, rule off).
    pub shipped_regions: Vec<String>,
}

/// A clone indicator, with what made it fire.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Signal {
    ImpossibleTravel {
        km: f64,
        hours: f64,
        from: String,
        to: String,
    },
    ScanAfterScrapping,
    TwoReceivers {
        orgs: Vec<i64>,
    },
    ExcessiveScans {
        buckets: u32,
        batch_mean: f64,
    },
    UnshippedRegion {
        region: String,
    },
}

/// Alert levels, as in the EU medicines verification system: only `Investigate`
/// demands an investigation; lower levels are for the brand owner's statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertLevel {
    Info,
    Low,
    Medium,
    Investigate,
}

impl AlertLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertLevel::Info => "info",
            AlertLevel::Low => "low",
            AlertLevel::Medium => "medium",
            AlertLevel::Investigate => "investigate",
        }
    }
}

impl Signal {
    pub fn cause(&self) -> &'static str {
        match self {
            Signal::ImpossibleTravel { .. } => "impossible_travel",
            Signal::ScanAfterScrapping => "scan_after_scrapping",
            Signal::TwoReceivers { .. } => "two_receivers",
            Signal::ExcessiveScans { .. } => "excessive_scans",
            Signal::UnshippedRegion { .. } => "unshipped_region",
        }
    }

    /// How serious the signal is. Travel between two authoritative scans and two
    /// receivers cannot be explained by a curious public; a consumer's location can.
    pub fn level(&self, between_authoritative: bool) -> AlertLevel {
        match self {
            Signal::TwoReceivers { .. } | Signal::ScanAfterScrapping => AlertLevel::Investigate,
            Signal::ImpossibleTravel { .. } if between_authoritative => AlertLevel::Investigate,
            Signal::ImpossibleTravel { .. } => AlertLevel::Medium,
            Signal::UnshippedRegion { .. } => AlertLevel::Medium,
            Signal::ExcessiveScans { .. } => AlertLevel::Low,
        }
    }

    /// Whether the public verdict should turn to `suspicious`.
    pub fn makes_suspicious(&self, between_authoritative: bool) -> bool {
        self.level(between_authoritative) >= AlertLevel::Medium
    }

    pub fn explain(&self, zh: bool) -> String {
        match (self, zh) {
            (
                Signal::ImpossibleTravel {
                    km,
                    hours,
                    from,
                    to,
                },
                false,
            ) => format!(
                "This code was scanned in {from} and {to}, {km:.0} km apart, within {hours:.1} h: one of them is probably a copy."
            ),
            (
                Signal::ImpossibleTravel {
                    km,
                    hours,
                    from,
                    to,
                },
                true,
            ) => format!(
                "此编码在 {hours:.1} 小时内先后在相距 {km:.0} 公里的 {from} 和 {to} 被扫描，其中之一可能是复制品。"
            ),
            (Signal::ScanAfterScrapping, false) => {
                "This code was scanned after the item was scrapped.".into()
            }
            (Signal::ScanAfterScrapping, true) => "此物品报废后其编码仍被扫描。".into(),
            (Signal::TwoReceivers { orgs }, false) => format!(
                "{} different organizations recorded receiving or issuing this one item.",
                orgs.len()
            ),
            (Signal::TwoReceivers { orgs }, true) => {
                format!("{} 个不同单位都登记了接收或发放这同一件物品。", orgs.len())
            }
            (
                Signal::ExcessiveScans {
                    buckets,
                    batch_mean,
                },
                false,
            ) => format!(
                "This code was looked up at {buckets} different places or days, far above its batch's usual {batch_mean:.1}."
            ),
            (
                Signal::ExcessiveScans {
                    buckets,
                    batch_mean,
                },
                true,
            ) => format!(
                "此编码在 {buckets} 个不同地点或日期被查验，远高于同批次通常的 {batch_mean:.1} 次。"
            ),
            (Signal::UnshippedRegion { region }, false) => {
                format!("Scanned in {region}, where its batch was never shipped.")
            }
            (Signal::UnshippedRegion { region }, true) => {
                format!("在 {region} 被扫描，但该批次从未发往该地区。")
            }
        }
    }
}

fn label(p: &Place) -> String {
    p.city
        .clone()
        .or_else(|| p.region.clone())
        .unwrap_or_else(|| p.bucket_key())
}

/// Number of distinct (day, place) buckets among informational scans.
pub fn buckets(scans: &[Scan]) -> u32 {
    let mut keys: Vec<(chrono::NaiveDate, String)> = scans
        .iter()
        .filter(|s| s.kind == ScanKind::Informational)
        .map(|s| (s.at.date_naive(), s.place.bucket_key()))
        .collect();
    keys.sort();
    keys.dedup();
    keys.len() as u32
}

/// Evaluates the rules for `new` against the item's earlier scans (any order).
/// Returns each signal with whether it was between two authoritative scans.
pub fn evaluate(
    history: &[Scan],
    new: &Scan,
    item: &ItemContext,
    cfg: &CloneConfig,
) -> Vec<(Signal, bool)> {
    let mut out = Vec::new();
    // Impossible travel: the most recent earlier scan with a known place.
    if let Some(p_new) = new.place.point() {
        let prev = history
            .iter()
            .filter(|s| s.at <= new.at && s.place.point().is_some())
            .max_by_key(|s| s.at);
        if let Some(prev) = prev
            && let Some(p_old) = prev.place.point()
        {
            let km = distance_km(p_old, p_new);
            let hours = (new.at - prev.at).num_seconds().max(0) as f64 / 3600.0;
            if km >= cfg.min_distance_km && km > cfg.max_speed_kmh * hours {
                let both =
                    prev.kind == ScanKind::Authoritative && new.kind == ScanKind::Authoritative;
                out.push((
                    Signal::ImpossibleTravel {
                        km,
                        hours,
                        from: label(&prev.place),
                        to: label(&new.place),
                    },
                    both,
                ));
            }
        }
    }
    if let Some(scrapped) = item.scrapped_at
        && new.at > scrapped
    {
        out.push((
            Signal::ScanAfterScrapping,
            new.kind == ScanKind::Authoritative,
        ));
    }
    if new.kind == ScanKind::Authoritative && is_custody_step(new.step.as_deref()) {
        let mut orgs: Vec<i64> = history
            .iter()
            .chain(std::iter::once(new))
            .filter(|s| s.kind == ScanKind::Authoritative && is_custody_step(s.step.as_deref()))
            .filter_map(|s| s.org_id)
            .collect();
        orgs.sort_unstable();
        orgs.dedup();
        // A distributor receives, then an employer receives: that is the supply chain.
        // Two *end* holders (employers issuing) or the same step by two organizations
        // at once is not; we flag two receivers of the same final custody step.
        let final_orgs: Vec<i64> = {
            let mut v: Vec<i64> = history
                .iter()
                .chain(std::iter::once(new))
                .filter(|s| {
                    s.kind == ScanKind::Authoritative && s.step.as_deref() == Some("issuing")
                })
                .filter_map(|s| s.org_id)
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        if final_orgs.len() > 1 {
            out.push((Signal::TwoReceivers { orgs: final_orgs }, true));
        } else if orgs.len() > 1 && receipts_overlap(history, new) {
            out.push((Signal::TwoReceivers { orgs }, true));
        }
    }
    if new.kind == ScanKind::Informational {
        let mut all: Vec<Scan> = history.to_vec();
        all.push(new.clone());
        let b = buckets(&all);
        let threshold =
            (item.batch_mean_buckets * cfg.excess_factor).max(f64::from(cfg.excess_min_buckets));
        if f64::from(b) > threshold {
            out.push((
                Signal::ExcessiveScans {
                    buckets: b,
                    batch_mean: item.batch_mean_buckets,
                },
                false,
            ));
        }
        if let Some(region) = &new.place.region
            && !item.shipped_regions.is_empty()
            && !item
                .shipped_regions
                .iter()
                .any(|r| r.eq_ignore_ascii_case(region))
        {
            out.push((
                Signal::UnshippedRegion {
                    region: region.clone(),
                },
                false,
            ));
        }
    }
    out
}

fn is_custody_step(step: Option<&str>) -> bool {
    matches!(
        step,
        Some("receiving") | Some("accepting") | Some("issuing") | Some("retail_selling")
    )
}

/// Two organizations claim custody without a shipment in between: the newest receipt
/// by a different organization came without the previous holder shipping it.
fn receipts_overlap(history: &[Scan], new: &Scan) -> bool {
    let mut seq: Vec<&Scan> = history
        .iter()
        .filter(|s| s.kind == ScanKind::Authoritative)
        .collect();
    seq.sort_by_key(|s| s.at);
    let last_custody = seq
        .iter()
        .rev()
        .find(|s| is_custody_step(s.step.as_deref()));
    let Some(last) = last_custody else {
        return false;
    };
    if last.org_id == new.org_id {
        return false;
    }
    // Shipped by the previous holder after its receipt?
    !seq.iter().any(|s| {
        s.at >= last.at && s.org_id == last.org_id && s.step.as_deref() == Some("shipping")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).single().unwrap()
            + chrono::Duration::minutes(h * 60)
    }
    const WUHAN: (f64, f64) = (30.59, 114.30);
    const URUMQI: (f64, f64) = (43.83, 87.62);
    fn place(p: (f64, f64), city: &str) -> Place {
        Place::coarse(Some(p.0), Some(p.1), Some(city.into()), None)
    }
    fn info(h: i64, p: (f64, f64), city: &str) -> Scan {
        Scan {
            at: at(h),
            kind: ScanKind::Informational,
            org_id: None,
            step: None,
            place: place(p, city),
        }
    }
    fn auth(h: i64, org: i64, step: &str, p: (f64, f64), city: &str) -> Scan {
        Scan {
            at: at(h),
            kind: ScanKind::Authoritative,
            org_id: Some(org),
            step: Some(step.into()),
            place: place(p, city),
        }
    }
    fn rules(history: &[Scan], new: &Scan, item: &ItemContext) -> Vec<&'static str> {
        evaluate(history, new, item, &CloneConfig::default())
            .iter()
            .map(|(s, _)| s.cause())
            .collect()
    }

    #[test]
    fn distance_is_haversine() {
        let d = distance_km(WUHAN, URUMQI);
        assert!((d - 2770.0).abs() < 40.0, "{d}");
        assert_eq!(distance_km(WUHAN, WUHAN), 0.0);
    }

    #[test]
    fn impossible_travel_fires_and_respects_time() {
        let h = vec![auth(0, 1, "receiving", WUHAN, "Wuhan")];
        let fast = auth(2, 2, "receiving", URUMQI, "Urumqi");
        let got = evaluate(&h, &fast, &ItemContext::default(), &CloneConfig::default());
        assert!(matches!(got[0].0, Signal::ImpossibleTravel { .. }));
        assert!(got[0].1, "between authoritative scans");
        assert!(got[0].0.makes_suspicious(got[0].1));
        // Two days later the same trip is possible.
        let slow = auth(48, 2, "receiving", URUMQI, "Urumqi");
        assert!(!rules(&h, &slow, &ItemContext::default()).contains(&"impossible_travel"));
    }

    #[test]
    fn a_buyer_scanning_again_and_again_is_not_a_clone() {
        // Four scans in one shop on one day, then at home 20 km away.
        let h: Vec<Scan> = (0..4).map(|i| info(i, WUHAN, "Wuhan")).collect();
        let home = info(5, (30.70, 114.45), "Wuhan");
        assert!(
            rules(
                &h,
                &home,
                &ItemContext {
                    batch_mean_buckets: 1.0,
                    ..Default::default()
                }
            )
            .is_empty()
        );
        assert_eq!(buckets(&h), 1);
    }

    #[test]
    fn stock_in_and_out_at_one_site_is_not_a_clone() {
        let h = vec![
            auth(0, 7, "receiving", WUHAN, "Wuhan"),
            auth(1, 7, "shipping", WUHAN, "Wuhan"),
        ];
        let again = auth(3, 7, "receiving", WUHAN, "Wuhan");
        assert!(rules(&h, &again, &ItemContext::default()).is_empty());
    }

    #[test]
    fn the_supply_chain_is_not_two_receivers_but_a_parallel_receipt_is() {
        // Distributor receives, ships, employer receives: fine.
        let chain = vec![
            auth(0, 3, "receiving", WUHAN, "Wuhan"),
            auth(5, 3, "shipping", WUHAN, "Wuhan"),
        ];
        assert!(
            rules(
                &chain,
                &auth(30, 4, "receiving", WUHAN, "Wuhan"),
                &ItemContext::default()
            )
            .is_empty()
        );
        // Two organizations receive the same item without a shipment between.
        let held = vec![auth(0, 3, "receiving", WUHAN, "Wuhan")];
        assert_eq!(
            rules(
                &held,
                &auth(30, 4, "receiving", WUHAN, "Wuhan"),
                &ItemContext::default()
            ),
            vec!["two_receivers"]
        );
        // Issued to workers by two employers.
        let issued = vec![auth(0, 4, "issuing", WUHAN, "Wuhan")];
        let got = evaluate(
            &issued,
            &auth(100, 5, "issuing", WUHAN, "Wuhan"),
            &ItemContext::default(),
            &CloneConfig::default(),
        );
        assert_eq!(got[0].0, Signal::TwoReceivers { orgs: vec![4, 5] });
        assert_eq!(got[0].0.level(got[0].1), AlertLevel::Investigate);
    }

    #[test]
    fn scans_after_scrapping_and_excess_and_regions() {
        let item = ItemContext {
            scrapped_at: Some(at(10)),
            batch_mean_buckets: 1.0,
            shipped_regions: vec!["Hubei".into()],
        };
        assert_eq!(
            rules(&[], &info(11, WUHAN, "Wuhan"), &item),
            vec!["scan_after_scrapping"]
        );
        assert!(rules(&[], &info(9, WUHAN, "Wuhan"), &item).is_empty());
        // 13 different days: above max(10 × 1.0, 12).
        let h: Vec<Scan> = (0..12).map(|d| info(d * 24, WUHAN, "Wuhan")).collect();
        let item = ItemContext {
            batch_mean_buckets: 1.0,
            ..Default::default()
        };
        assert_eq!(
            rules(&h, &info(12 * 24, WUHAN, "Wuhan"), &item),
            vec!["excessive_scans"]
        );
        assert!(rules(&h[..10], &info(10 * 24, WUHAN, "Wuhan"), &item).is_empty());
        // A region the batch never went to.
        let mut s = info(0, URUMQI, "Urumqi");
        s.place.region = Some("Xinjiang".into());
        let item = ItemContext {
            shipped_regions: vec!["Hubei".into()],
            ..Default::default()
        };
        assert_eq!(rules(&[], &s, &item), vec!["unshipped_region"]);
    }

    #[test]
    fn coarse_places_drop_precision_and_nonsense() {
        let p = Place::coarse(Some(30.5928), Some(114.3055), None, None);
        assert_eq!((p.lat, p.lon), (Some(30.6), Some(114.3)));
        let bad = Place::coarse(Some(300.0), Some(1.0), None, None);
        assert_eq!((bad.lat, bad.lon), (None, None));
    }

    #[test]
    fn every_signal_explains_itself_in_both_languages() {
        let all = [
            Signal::ImpossibleTravel {
                km: 2700.0,
                hours: 1.0,
                from: "Wuhan".into(),
                to: "Urumqi".into(),
            },
            Signal::ScanAfterScrapping,
            Signal::TwoReceivers { orgs: vec![1, 2] },
            Signal::ExcessiveScans {
                buckets: 40,
                batch_mean: 1.2,
            },
            Signal::UnshippedRegion {
                region: "Xinjiang".into(),
            },
        ];
        for s in all {
            assert!(!s.explain(false).is_empty() && !s.explain(true).is_empty());
        }
    }
}
