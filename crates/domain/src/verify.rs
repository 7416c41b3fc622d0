//! The verification verdict ("golden eyes"): from stored facts about a scanned code to
//! a verdict with reasons, in English and Simplified Chinese.

use chrono::NaiveDate;
use serde::Serialize;

use crate::product::{ServiceLifeFrom, service_life_end};

/// The lifecycle state of one serialized item as the registry knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeState {
    /// The code was issued to the manufacturer but the item was not commissioned yet.
    Issued,
    /// Commissioned (released by the manufacturer) and in the supply chain or in use.
    Active,
    /// Scrapped (destroyed or decommissioned) by its holder.
    Scrapped,
}

impl CodeState {
    pub fn as_i16(self) -> i16 {
        match self {
            CodeState::Issued => 0,
            CodeState::Active => 1,
            CodeState::Scrapped => 2,
        }
    }

    pub fn from_i16(v: i16) -> Option<Self> {
        match v {
            0 => Some(CodeState::Issued),
            1 => Some(CodeState::Active),
            2 => Some(CodeState::Scrapped),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CodeState::Issued => "issued",
            CodeState::Active => "active",
            CodeState::Scrapped => "scrapped",
        }
    }
}

/// What the store knows about a scanned code; `None` code means no registered
/// manufacturer issued this serial under this GTIN.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub code: Option<CodeFacts>,
    /// The lot printed in the scanned URI, if any.
    pub scanned_lot: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CodeFacts {
    pub state: CodeState,
    pub lot: String,
    pub recalled: Option<RecallFacts>,
    pub production_date: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
    pub service_life_months: Option<u32>,
    pub service_life_from: ServiceLifeFrom,
    pub first_use: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct RecallFacts {
    pub date: NaiveDate,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Genuine,
    Expired,
    Recalled,
    Scrapped,
    NotReleased,
    Suspicious,
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Genuine => "genuine",
            Verdict::Expired => "expired",
            Verdict::Recalled => "recalled",
            Verdict::Scrapped => "scrapped",
            Verdict::NotReleased => "not_released",
            Verdict::Suspicious => "suspicious",
            Verdict::Unknown => "unknown",
        }
    }

    /// Headline shown to a person.
    pub fn headline(self, zh: bool) -> &'static str {
        match (self, zh) {
            (Verdict::Genuine, false) => "Genuine",
            (Verdict::Genuine, true) => "正品",
            (Verdict::Expired, false) => "Genuine but expired — do not use",
            (Verdict::Expired, true) => "正品，但已过期——请勿使用",
            (Verdict::Recalled, false) => "Genuine but recalled — do not use",
            (Verdict::Recalled, true) => "正品，但已召回——请勿使用",
            (Verdict::Scrapped, false) => "Scrapped — must not be in use",
            (Verdict::Scrapped, true) => "已报废——不得使用",
            (Verdict::NotReleased, false) => "Not released by the manufacturer",
            (Verdict::NotReleased, true) => "制造商尚未放行",
            (Verdict::Suspicious, false) => "Suspicious — possible counterfeit",
            (Verdict::Suspicious, true) => "可疑——可能是假冒产品",
            (Verdict::Unknown, false) => "Unknown code — treat as counterfeit",
            (Verdict::Unknown, true) => "未知编码——按假冒产品处理",
        }
    }

    /// Whether a worker may use the item.
    pub fn safe_to_use(self) -> bool {
        matches!(self, Verdict::Genuine)
    }
}

/// One reason behind a verdict, with a stable machine code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub code: &'static str,
    pub message: String,
    pub message_zh: String,
}

fn reason(code: &'static str, en: String, zh: String) -> Reason {
    Reason {
        code,
        message: en,
        message_zh: zh,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    /// Last day of use by service life, when it can be computed.
    pub use_by: Option<NaiveDate>,
}

/// Decides the verdict for a scan on `today`. All applicable reasons are listed; the
/// verdict is the most severe one (unknown > suspicious > scrapped > recalled >
/// not released > expired > genuine).
pub fn decide(facts: &Facts, today: NaiveDate) -> Decision {
    let Some(code) = &facts.code else {
        return Decision {
            verdict: Verdict::Unknown,
            reasons: vec![reason(
                "code_not_issued",
                "No registered manufacturer issued this code. Treat the item as counterfeit and report it.".into(),
                "没有任何注册制造商发放过此编码。请按假冒产品处理并举报。".into(),
            )],
            use_by: None,
        };
    };
    let mut verdict = Verdict::Genuine;
    let mut reasons = Vec::new();
    let worse = |v: Verdict, current: &mut Verdict| {
        if severity(v) > severity(*current) {
            *current = v;
        }
    };

    if let Some(scanned) = &facts.scanned_lot
        && scanned != &code.lot
    {
        worse(Verdict::Suspicious, &mut verdict);
        reasons.push(reason(
                "lot_mismatch",
                format!("The label says lot {scanned}, but this serial belongs to lot {}. The label may be copied.", code.lot),
                format!("标签上的批号为 {scanned}，但此序列号属于批号 {}。标签可能是复制的。", code.lot),
            ));
    }
    if code.state == CodeState::Scrapped {
        worse(Verdict::Scrapped, &mut verdict);
        reasons.push(reason(
            "scrapped",
            "This item was scrapped by its holder and must not be in use.".into(),
            "此物品已被持有单位报废，不得继续使用。".into(),
        ));
    }
    if let Some(r) = &code.recalled {
        worse(Verdict::Recalled, &mut verdict);
        reasons.push(reason(
            "batch_recalled",
            format!(
                "Batch {} was recalled on {}: {}",
                code.lot, r.date, r.reason
            ),
            format!("批次 {} 已于 {} 召回：{}", code.lot, r.date, r.reason),
        ));
    }
    if code.state == CodeState::Issued {
        worse(Verdict::NotReleased, &mut verdict);
        reasons.push(reason(
            "not_released",
            "The manufacturer issued this code but has not released the item. It should not be on the market yet.".into(),
            "制造商已发放此编码，但尚未放行该物品，它不应已在市场上流通。".into(),
        ));
    }
    if let Some(exp) = code.expiry_date
        && today > exp
    {
        worse(Verdict::Expired, &mut verdict);
        reasons.push(reason(
            "batch_expired",
            format!("The batch expired on {exp}."),
            format!("该批次已于 {exp} 过期。"),
        ));
    }
    let life_start = match code.service_life_from {
        ServiceLifeFrom::Manufacture => code.production_date,
        ServiceLifeFrom::FirstUse => code.first_use,
    };
    let use_by = match (life_start, code.service_life_months) {
        (Some(start), Some(m)) => service_life_end(start, m),
        _ => None,
    };
    if let Some(end) = use_by
        && today > end
    {
        worse(Verdict::Expired, &mut verdict);
        reasons.push(reason(
            "service_life_ended",
            format!("Its declared service life ended on {end}."),
            format!("其标称使用期限已于 {end} 届满。"),
        ));
    }
    if verdict == Verdict::Genuine {
        reasons.push(reason(
            "issued_by_manufacturer",
            "This code was issued by the registered manufacturer and the item is released.".into(),
            "此编码由注册制造商发放，且物品已放行。".into(),
        ));
    }
    Decision {
        verdict,
        reasons,
        use_by,
    }
}

fn severity(v: Verdict) -> u8 {
    match v {
        Verdict::Genuine => 0,
        Verdict::Expired => 1,
        Verdict::NotReleased => 2,
        Verdict::Recalled => 3,
        Verdict::Scrapped => 4,
        Verdict::Suspicious => 5,
        Verdict::Unknown => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn active() -> CodeFacts {
        CodeFacts {
            state: CodeState::Active,
            lot: "L1".into(),
            recalled: None,
            production_date: Some(d(2025, 1, 10)),
            expiry_date: None,
            service_life_months: Some(36),
            service_life_from: ServiceLifeFrom::Manufacture,
            first_use: None,
        }
    }

    fn verdict(code: Option<CodeFacts>, lot: Option<&str>, today: NaiveDate) -> Decision {
        decide(
            &Facts {
                code,
                scanned_lot: lot.map(String::from),
            },
            today,
        )
    }

    #[test]
    fn table_of_verdicts() {
        let today = d(2026, 6, 1);
        let recalled = CodeFacts {
            recalled: Some(RecallFacts {
                date: d(2026, 3, 1),
                reason: "shell cracks at -20 °C".into(),
            }),
            ..active()
        };
        type Case<'a> = (
            &'a str,
            Option<CodeFacts>,
            Option<&'a str>,
            Verdict,
            &'a [&'a str],
        );
        let cases: Vec<Case> = vec![
            (
                "unknown",
                None,
                None,
                Verdict::Unknown,
                &["code_not_issued"],
            ),
            (
                "genuine",
                Some(active()),
                Some("L1"),
                Verdict::Genuine,
                &["issued_by_manufacturer"],
            ),
            (
                "genuine without lot in URI",
                Some(active()),
                None,
                Verdict::Genuine,
                &["issued_by_manufacturer"],
            ),
            (
                "lot mismatch",
                Some(active()),
                Some("L2"),
                Verdict::Suspicious,
                &["lot_mismatch"],
            ),
            (
                "recalled",
                Some(recalled.clone()),
                None,
                Verdict::Recalled,
                &["batch_recalled"],
            ),
            (
                "not released",
                Some(CodeFacts {
                    state: CodeState::Issued,
                    ..active()
                }),
                None,
                Verdict::NotReleased,
                &["not_released"],
            ),
            (
                "scrapped beats recalled",
                Some(CodeFacts {
                    state: CodeState::Scrapped,
                    ..recalled
                }),
                None,
                Verdict::Scrapped,
                &["scrapped", "batch_recalled"],
            ),
            (
                "batch expired",
                Some(CodeFacts {
                    expiry_date: Some(d(2026, 5, 31)),
                    ..active()
                }),
                None,
                Verdict::Expired,
                &["batch_expired"],
            ),
            (
                "expiry day itself is still valid",
                Some(CodeFacts {
                    expiry_date: Some(d(2026, 6, 1)),
                    ..active()
                }),
                None,
                Verdict::Genuine,
                &["issued_by_manufacturer"],
            ),
            (
                "service life over",
                Some(CodeFacts {
                    production_date: Some(d(2023, 5, 1)),
                    ..active()
                }),
                None,
                Verdict::Expired,
                &["service_life_ended"],
            ),
            (
                "service life from first use, not yet used",
                Some(CodeFacts {
                    production_date: Some(d(2020, 1, 1)),
                    service_life_from: ServiceLifeFrom::FirstUse,
                    ..active()
                }),
                None,
                Verdict::Genuine,
                &["issued_by_manufacturer"],
            ),
            (
                "service life from first use, used long ago",
                Some(CodeFacts {
                    service_life_from: ServiceLifeFrom::FirstUse,
                    first_use: Some(d(2022, 1, 1)),
                    ..active()
                }),
                None,
                Verdict::Expired,
                &["service_life_ended"],
            ),
        ];
        for (name, code, lot, want, codes) in cases {
            let got = verdict(code, lot, today);
            assert_eq!(got.verdict, want, "{name}");
            let got_codes: Vec<_> = got.reasons.iter().map(|r| r.code).collect();
            assert_eq!(got_codes, codes, "{name}");
            assert!(
                got.reasons
                    .iter()
                    .all(|r| !r.message.is_empty() && !r.message_zh.is_empty())
            );
        }
    }

    #[test]
    fn only_genuine_is_safe() {
        assert!(Verdict::Genuine.safe_to_use());
        assert!(!Verdict::Expired.safe_to_use());
        assert!(!Verdict::Unknown.safe_to_use());
    }
}
