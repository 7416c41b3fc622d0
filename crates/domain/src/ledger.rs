//! The employer's PPE ledger (台账), per GB 39800.1-2020 and AQ 6111-2023: pure rules.
//!
//! - The item state machine: received → in stock (accepted) or quarantined → issued
//!   ⇄ in stock (returned) → … → withdrawn → scrapped ([`next_state`]).
//! - What receipt does with each verification verdict ([`receipt_hold`]): genuine items
//!   wait for acceptance; counterfeit, recalled, expired, scrapped, unreleased and
//!   suspicious items are quarantined.
//! - Why an item may not be issued ([`issue_refusal`]), with the reason in English and
//!   Chinese.
//! - Replacement due dates from the model's declared service life, counted from the
//!   manufacture date or the first use ([`replacement_due`]); periodic inspection
//!   intervals by category ([`inspection_interval_months`]); what is due within a
//!   window ([`due_kinds`]).
//! - Pseudonymous worker ids and names: never a national identity number
//!   ([`validate_worker_code`], [`validate_worker_name`]).
//! - The EPCIS 2.0 ObjectEvent of each ledger action ([`ledger_event`]), with CBV 2.0
//!   vocabulary where it has a term and ppetrace's extension vocabulary where not.

use chrono::{DateTime, Months, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::DomainError;
use crate::lifecycle::{EXT_NS, gln_uri};
use crate::product::{PpeCategory, ServiceLifeFrom, service_life_end};
use crate::verify::Verdict;

/// Where one item stands in the employer's ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    /// Received, verified genuine, waiting for the acceptance inspection.
    Received,
    /// Held back at receipt (counterfeit, recalled, expired…) or failed acceptance.
    Quarantined,
    /// Accepted, in the site's stock, ready to issue.
    InStock,
    /// In a worker's hands.
    Issued,
    /// Taken out of use (failed inspection, arrested a fall, replaced); never issued again.
    Withdrawn,
    /// Scrapped with a reason. Final.
    Scrapped,
}

impl ItemState {
    pub const ALL: [ItemState; 6] = [
        ItemState::Received,
        ItemState::Quarantined,
        ItemState::InStock,
        ItemState::Issued,
        ItemState::Withdrawn,
        ItemState::Scrapped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Received => "received",
            ItemState::Quarantined => "quarantined",
            ItemState::InStock => "in_stock",
            ItemState::Issued => "issued",
            ItemState::Withdrawn => "withdrawn",
            ItemState::Scrapped => "scrapped",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        ItemState::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                DomainError::new(
                    "state",
                    format!("unknown ledger state '{s}' (expected received, quarantined, in_stock, issued, withdrawn or scrapped)"),
                )
            })
    }

    /// English and Simplified Chinese labels.
    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (ItemState::Received, false) => "Received, awaiting acceptance",
            (ItemState::Received, true) => "已到货，待验收",
            (ItemState::Quarantined, false) => "Quarantined",
            (ItemState::Quarantined, true) => "已隔离",
            (ItemState::InStock, false) => "In stock",
            (ItemState::InStock, true) => "在库",
            (ItemState::Issued, false) => "Issued",
            (ItemState::Issued, true) => "已发放",
            (ItemState::Withdrawn, false) => "Withdrawn from use",
            (ItemState::Withdrawn, true) => "已停用",
            (ItemState::Scrapped, false) => "Scrapped",
            (ItemState::Scrapped, true) => "已报废",
        }
    }

    /// Items that still need replacement and inspection reminders.
    pub fn in_service(self) -> bool {
        matches!(self, ItemState::InStock | ItemState::Issued)
    }
}

/// The result of a periodic (or before-use) inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionResult {
    Pass,
    /// A defect was found: the item is withdrawn.
    Fail,
    /// The item (a fall-arrest harness, lanyard, helmet…) arrested a fall: it is
    /// withdrawn at once, whatever it looks like (GB 6095-2021, AQ 6111-2023).
    ArrestedFall,
}

impl InspectionResult {
    pub fn as_str(self) -> &'static str {
        match self {
            InspectionResult::Pass => "pass",
            InspectionResult::Fail => "fail",
            InspectionResult::ArrestedFall => "arrested_fall",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "pass" => Ok(InspectionResult::Pass),
            "fail" => Ok(InspectionResult::Fail),
            "arrested_fall" => Ok(InspectionResult::ArrestedFall),
            _ => Err(DomainError::new(
                "result",
                "expected 'pass', 'fail' or 'arrested_fall'",
            )),
        }
    }

    pub fn withdraws(self) -> bool {
        !matches!(self, InspectionResult::Pass)
    }
}

/// A ledger action on one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Acceptance inspection passed ("check every purchase").
    Accept,
    /// Acceptance inspection failed.
    Reject,
    Issue,
    Return,
    Inspect(InspectionResult),
    /// Taken out of use without an inspection (e.g. replaced).
    Withdraw,
    Scrap,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Reject => "reject",
            Action::Issue => "issue",
            Action::Return => "return",
            Action::Inspect(_) => "inspect",
            Action::Withdraw => "withdraw",
            Action::Scrap => "scrap",
        }
    }
}

/// The state after `action`, or why it is not allowed from `state`.
pub fn next_state(state: ItemState, action: Action) -> Result<ItemState, DomainError> {
    use ItemState as S;
    let next = match (state, action) {
        (S::Received, Action::Accept) => Some(S::InStock),
        (S::Received, Action::Reject) => Some(S::Quarantined),
        (S::InStock, Action::Issue) => Some(S::Issued),
        (S::Issued, Action::Return) => Some(S::InStock),
        (S::InStock | S::Issued, Action::Inspect(r)) => {
            Some(if r.withdraws() { S::Withdrawn } else { state })
        }
        (S::InStock | S::Issued, Action::Withdraw) => Some(S::Withdrawn),
        (S::Received | S::Quarantined | S::InStock | S::Issued | S::Withdrawn, Action::Scrap) => {
            Some(S::Scrapped)
        }
        _ => None,
    };
    next.ok_or_else(|| {
        DomainError::new(
            "state",
            format!(
                "an item that is {} cannot be handled with '{}'",
                state.as_str(),
                action.as_str()
            ),
        )
    })
}

/// Why a received item is held back, from its verification verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// No registered manufacturer issued this code.
    Counterfeit,
    Recalled,
    /// Past its expiry date or declared service life.
    Expired,
    /// The code was scrapped before: a scrapped item came back.
    Scrapped,
    /// The manufacturer never released (commissioned) it.
    NotReleased,
    /// A clone indicator (e.g. the same code received elsewhere).
    Suspicious,
    /// Failed the acceptance inspection.
    Rejected,
}

impl Hold {
    pub const ALL: [Hold; 7] = [
        Hold::Counterfeit,
        Hold::Recalled,
        Hold::Expired,
        Hold::Scrapped,
        Hold::NotReleased,
        Hold::Suspicious,
        Hold::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Hold::Counterfeit => "counterfeit",
            Hold::Recalled => "recalled",
            Hold::Expired => "expired",
            Hold::Scrapped => "scrapped",
            Hold::NotReleased => "not_released",
            Hold::Suspicious => "suspicious",
            Hold::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Hold> {
        Hold::ALL.into_iter().find(|h| h.as_str() == s)
    }

    /// The alert cause raised for a hold at receipt (none for a failed acceptance:
    /// that is the employer's own finding, not a sign of fraud).
    pub fn alert_cause(self) -> Option<&'static str> {
        match self {
            Hold::Counterfeit => Some("receipt_counterfeit"),
            Hold::Recalled => Some("receipt_recalled"),
            Hold::Expired => Some("receipt_expired"),
            Hold::Scrapped => Some("receipt_scrapped"),
            Hold::NotReleased => Some("receipt_not_released"),
            Hold::Suspicious => Some("receipt_suspicious"),
            Hold::Rejected => None,
        }
    }

    /// CBV 2.0 disposition of the receiving event of a held item.
    pub fn disposition(self) -> &'static str {
        match self {
            Hold::Recalled => "recalled",
            Hold::Expired => "expired",
            _ => "non_conformant",
        }
    }
}

/// What receipt does with an item the verification service judged `verdict`:
/// `None` — genuine, waits for acceptance; `Some(hold)` — quarantine.
pub fn receipt_hold(verdict: Verdict) -> Option<Hold> {
    match verdict {
        Verdict::Genuine => None,
        Verdict::Unknown => Some(Hold::Counterfeit),
        Verdict::Recalled => Some(Hold::Recalled),
        Verdict::Expired => Some(Hold::Expired),
        Verdict::Scrapped => Some(Hold::Scrapped),
        Verdict::NotReleased => Some(Hold::NotReleased),
        Verdict::Suspicious => Some(Hold::Suspicious),
    }
}

/// Why an item may not be issued to a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    Scrapped,
    Counterfeit,
    Recalled,
    Expired,
    Quarantined,
    Withdrawn,
    NotAccepted,
    AlreadyIssued,
    InspectionOverdue,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Scrapped => "scrapped",
            Refusal::Counterfeit => "counterfeit",
            Refusal::Recalled => "recalled",
            Refusal::Expired => "expired",
            Refusal::Quarantined => "quarantined",
            Refusal::Withdrawn => "withdrawn",
            Refusal::NotAccepted => "not_accepted",
            Refusal::AlreadyIssued => "already_issued",
            Refusal::InspectionOverdue => "inspection_overdue",
        }
    }

    /// The reason, in English or Simplified Chinese.
    pub fn explain(self, zh: bool) -> &'static str {
        match (self, zh) {
            (Refusal::Scrapped, false) => "the item was scrapped and can never be issued",
            (Refusal::Scrapped, true) => "该物品已报废，不得发放",
            (Refusal::Counterfeit, false) => {
                "the item is counterfeit: no registered manufacturer issued its code"
            }
            (Refusal::Counterfeit, true) => "该物品为假冒产品：其编码未由任何注册生产企业签发",
            (Refusal::Recalled, false) => "the item's batch is recalled",
            (Refusal::Recalled, true) => "该物品所属批次已召回",
            (Refusal::Expired, false) => "the item is past its expiry date or service life",
            (Refusal::Expired, true) => "该物品已过有效期或使用期限",
            (Refusal::Quarantined, false) => "the item is quarantined",
            (Refusal::Quarantined, true) => "该物品已隔离",
            (Refusal::Withdrawn, false) => "the item was withdrawn from use",
            (Refusal::Withdrawn, true) => "该物品已停用",
            (Refusal::NotAccepted, false) => "the item has not passed acceptance inspection",
            (Refusal::NotAccepted, true) => "该物品尚未通过验收",
            (Refusal::AlreadyIssued, false) => {
                "the item is issued to a worker; return it before issuing it again"
            }
            (Refusal::AlreadyIssued, true) => "该物品已发放给劳动者，须先退回",
            (Refusal::InspectionOverdue, false) => "the item's periodic inspection is overdue",
            (Refusal::InspectionOverdue, true) => "该物品已超过定期检验期限",
        }
    }
}

/// What [`issue_refusal`] looks at.
#[derive(Debug, Clone)]
pub struct IssueFacts {
    pub state: ItemState,
    /// Why it was quarantined, when it was.
    pub hold: Option<Hold>,
    /// The verification verdict now (a recall may have come after acceptance).
    pub verdict: Verdict,
    /// Replacement due date (service life).
    pub replace_by: Option<NaiveDate>,
    pub next_inspection: Option<NaiveDate>,
}

/// The first reason an item may not be issued today, or `None` when it may.
/// Order: the gravest first (scrapped, counterfeit, recalled, expired), then states.
pub fn issue_refusal(f: &IssueFacts, today: NaiveDate) -> Option<Refusal> {
    if f.state == ItemState::Scrapped || f.verdict == Verdict::Scrapped {
        return Some(Refusal::Scrapped);
    }
    if f.hold == Some(Hold::Counterfeit) || f.verdict == Verdict::Unknown {
        return Some(Refusal::Counterfeit);
    }
    if f.hold == Some(Hold::Recalled) || f.verdict == Verdict::Recalled {
        return Some(Refusal::Recalled);
    }
    if f.hold == Some(Hold::Expired)
        || f.verdict == Verdict::Expired
        || f.replace_by.is_some_and(|d| d < today)
    {
        return Some(Refusal::Expired);
    }
    match f.state {
        ItemState::Quarantined => return Some(Refusal::Quarantined),
        ItemState::Withdrawn => return Some(Refusal::Withdrawn),
        ItemState::Received => return Some(Refusal::NotAccepted),
        ItemState::Issued => return Some(Refusal::AlreadyIssued),
        ItemState::InStock | ItemState::Scrapped => {}
    }
    if f.verdict != Verdict::Genuine {
        // Suspicious or not released after acceptance: hold it.
        return Some(Refusal::Quarantined);
    }
    if f.next_inspection.is_some_and(|d| d < today) {
        return Some(Refusal::InspectionOverdue);
    }
    None
}

/// The replacement due date: the last day of the declared service life, counted from
/// the batch's production date or from the first issue to a worker (as the model
/// declares), and never later than the batch's expiry date. `None` when nothing is
/// declared or the start is not known yet (first use not yet happened).
pub fn replacement_due(
    service_life_months: Option<u32>,
    from: ServiceLifeFrom,
    production_date: Option<NaiveDate>,
    first_use: Option<NaiveDate>,
    expiry_date: Option<NaiveDate>,
) -> Option<NaiveDate> {
    let by_life = service_life_months.and_then(|m| {
        let start = match from {
            ServiceLifeFrom::Manufacture => production_date,
            ServiceLifeFrom::FirstUse => first_use,
        }?;
        service_life_end(start, m)
    });
    match (by_life, expiry_date) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Periodic inspection interval of a category, in months, where the standards set
/// one: fall protection (safety harnesses, lanyards, fall arresters) at least every
/// 12 months (GB 6095-2021 and AQ 6111-2023's periodic inspection; they are also
/// checked before every use, which is the wearer's duty and not scheduled here).
/// Other categories are inspected before use and replaced by service life.
pub fn inspection_interval_months(category: PpeCategory) -> Option<u32> {
    match category {
        PpeCategory::FallProtection => Some(12),
        _ => None,
    }
}

/// The next periodic inspection after an inspection (or acceptance) on `from`.
pub fn next_inspection(category: PpeCategory, from: NaiveDate) -> Option<NaiveDate> {
    inspection_interval_months(category).and_then(|m| from.checked_add_months(Months::new(m)))
}

/// What an item is due for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueKind {
    Replacement,
    Inspection,
}

impl DueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DueKind::Replacement => "replacement",
            DueKind::Inspection => "inspection",
        }
    }
}

/// What an item in service is due for on or before `today + days` (overdue included),
/// with the date. Items out of service (received, quarantined, withdrawn, scrapped)
/// are due for nothing.
pub fn due_kinds(
    state: ItemState,
    replace_by: Option<NaiveDate>,
    next_inspection: Option<NaiveDate>,
    today: NaiveDate,
    days: u32,
) -> Vec<(DueKind, NaiveDate)> {
    if !state.in_service() {
        return Vec::new();
    }
    let until = today + chrono::Days::new(u64::from(days));
    let mut out = Vec::new();
    if let Some(d) = replace_by.filter(|d| *d <= until) {
        out.push((DueKind::Replacement, d));
    }
    if let Some(d) = next_inspection.filter(|d| *d <= until) {
        out.push((DueKind::Inspection, d));
    }
    out
}

/// Largest window for due lists (two years).
pub const MAX_DUE_DAYS: u32 = 731;

pub fn validate_due_days(days: i64) -> Result<u32, DomainError> {
    if !(0..=i64::from(MAX_DUE_DAYS)).contains(&days) {
        return Err(DomainError::new(
            "days",
            format!("must be between 0 and {MAX_DUE_DAYS}"),
        ));
    }
    Ok(days as u32)
}

/// True when `s` holds something shaped like a PRC resident identity number
/// (GB 11643-1999: 18 characters, 17 digits and a check character; or the old
/// 15-digit form): a run of 15 or more digits, optionally ending in X.
pub fn looks_like_national_id(s: &str) -> bool {
    let mut run = 0usize;
    for c in s.chars() {
        if c.is_ascii_digit() {
            run += 1;
            if run >= 15 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// An employer-assigned pseudonymous worker id: 1–32 characters of letters, digits,
/// `-`, `_`, `.`; never a national identity number.
pub fn validate_worker_code(s: &str) -> Result<String, DomainError> {
    let v = s.trim();
    if v.is_empty() || v.chars().count() > 32 {
        return Err(DomainError::new("code", "must be 1 to 32 characters"));
    }
    if !v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(DomainError::new(
            "code",
            "may contain only letters, digits, '-', '_' and '.'",
        ));
    }
    if looks_like_national_id(v) {
        return Err(DomainError::new(
            "code",
            "looks like a national identity number; use an employer-assigned pseudonymous id",
        ));
    }
    Ok(v.to_string())
}

/// A worker's name as the employer knows it (visible to the employer only).
pub fn validate_worker_name(s: &str) -> Result<String, DomainError> {
    let v = crate::error::require_text("name", s, 100)?;
    if looks_like_national_id(&v) {
        return Err(DomainError::new(
            "name",
            "must not contain a national identity number",
        ));
    }
    Ok(v)
}

/// Free-text notes and reasons: trimmed, at most 500 characters, no identity numbers.
pub fn validate_note(field: &str, s: &str) -> Result<String, DomainError> {
    let v = crate::error::require_text(field, s, 500)?;
    if looks_like_national_id(&v) {
        return Err(DomainError::new(
            field,
            "must not contain a national identity number",
        ));
    }
    Ok(v)
}

/// A ledger action as an EPCIS event: which step it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerStep {
    /// Receipt of genuine items: CBV `receiving`, `in_progress`.
    Receive,
    /// Receipt of held items: CBV `receiving`, disposition by hold.
    ReceiveHeld(Hold),
    /// Acceptance passed: CBV `accepting`, `active`.
    Accept,
    /// Acceptance failed: CBV `accepting`, `non_conformant`.
    Reject,
    /// Issue to a worker: `ppe:bizstep/issuing`, `in_progress`.
    Issue,
    /// Return from a worker: `ppe:bizstep/returning`, `active`.
    Return,
    /// Periodic inspection: CBV `inspecting`, `active` / `needs_replacement` / `non_conformant`.
    Inspect(InspectionResult),
    /// Taken out of use (replaced): CBV `inspecting`, `needs_replacement`.
    Withdraw,
    /// Scrapping: CBV `destroying`, `destroyed`, action DELETE.
    Scrap,
}

impl LedgerStep {
    /// (action, bizStep, disposition): CBV 2.0 bare strings, extension terms as URIs.
    pub fn vocabulary(self) -> (&'static str, &'static str, &'static str) {
        match self {
            LedgerStep::Receive => ("OBSERVE", "receiving", "in_progress"),
            LedgerStep::ReceiveHeld(h) => ("OBSERVE", "receiving", h.disposition()),
            LedgerStep::Accept => ("OBSERVE", "accepting", "active"),
            LedgerStep::Reject => ("OBSERVE", "accepting", "non_conformant"),
            LedgerStep::Issue => ("OBSERVE", ISSUING, "in_progress"),
            LedgerStep::Return => ("OBSERVE", RETURNING, "active"),
            LedgerStep::Inspect(InspectionResult::Pass) => ("OBSERVE", "inspecting", "active"),
            LedgerStep::Inspect(InspectionResult::Fail) => {
                ("OBSERVE", "inspecting", "non_conformant")
            }
            LedgerStep::Inspect(InspectionResult::ArrestedFall) => {
                ("OBSERVE", "inspecting", "needs_replacement")
            }
            LedgerStep::Withdraw => ("OBSERVE", "inspecting", "needs_replacement"),
            LedgerStep::Scrap => ("DELETE", "destroying", "destroyed"),
        }
    }
}

/// Extension bizStep: an employer hands an item to a worker.
pub const ISSUING: &str = "https://ppetrace.org/voc/bizstep/issuing";
/// Extension bizStep: a worker hands an item back to stock.
pub const RETURNING: &str = "https://ppetrace.org/voc/bizstep/returning";

/// Parameters of one ledger ObjectEvent.
pub struct LedgerEvent<'a> {
    pub step: LedgerStep,
    pub time: DateTime<Utc>,
    pub epcs: &'a [String],
    pub site: &'a gs1::Gln,
    /// The worker's pseudonymous id (issue, return): never a name.
    pub worker: Option<&'a str>,
    /// Inspection result or scrapping / withdrawal reason code.
    pub result: Option<&'a str>,
}

/// Builds the EPCIS 2.0 ObjectEvent (JSON-LD, without eventID) of a ledger action.
/// Free-text reasons and notes are not in the event (they stay in the employer's
/// ledger); the event carries only the vocabulary, the pseudonymous worker id and
/// the result code.
pub fn ledger_event(e: &LedgerEvent<'_>) -> Value {
    let (action, biz_step, disposition) = e.step.vocabulary();
    let loc = gln_uri(e.site);
    let mut ev = json!({
        "type": "ObjectEvent",
        "eventTime": e.time.to_rfc3339_opts(SecondsFormat::Millis, true),
        "eventTimeZoneOffset": "+00:00",
        "epcList": e.epcs,
        "action": action,
        "bizStep": biz_step,
        "disposition": disposition,
        "readPoint": { "id": loc },
        "bizLocation": { "id": loc },
    });
    if let Some(w) = e.worker {
        ev["ppe:worker"] = json!(w);
    }
    if let Some(r) = e.result {
        ev["ppe:result"] = json!(r);
    }
    debug_assert!(EXT_NS.ends_with('/'));
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn state_machine_table() {
        use InspectionResult as R;
        use ItemState as S;
        let ok = [
            (S::Received, Action::Accept, S::InStock),
            (S::Received, Action::Reject, S::Quarantined),
            (S::InStock, Action::Issue, S::Issued),
            (S::Issued, Action::Return, S::InStock),
            (S::InStock, Action::Issue, S::Issued),
            (S::Issued, Action::Inspect(R::Pass), S::Issued),
            (S::InStock, Action::Inspect(R::Pass), S::InStock),
            (S::Issued, Action::Inspect(R::Fail), S::Withdrawn),
            (S::InStock, Action::Inspect(R::ArrestedFall), S::Withdrawn),
            (S::Issued, Action::Withdraw, S::Withdrawn),
            (S::Withdrawn, Action::Scrap, S::Scrapped),
            (S::Quarantined, Action::Scrap, S::Scrapped),
            (S::Received, Action::Scrap, S::Scrapped),
            (S::Issued, Action::Scrap, S::Scrapped),
        ];
        for (from, action, to) in ok {
            assert_eq!(next_state(from, action), Ok(to), "{from:?} {action:?}");
        }
        let refused = [
            (S::Received, Action::Issue),
            (S::Quarantined, Action::Issue),
            (S::Quarantined, Action::Accept),
            (S::Withdrawn, Action::Issue),
            (S::Withdrawn, Action::Return),
            (S::Scrapped, Action::Issue),
            (S::Scrapped, Action::Scrap),
            (S::Issued, Action::Issue),
            (S::InStock, Action::Return),
            (S::InStock, Action::Accept),
            (S::Received, Action::Inspect(R::Pass)),
            (S::Withdrawn, Action::Inspect(R::Pass)),
        ];
        for (from, action) in refused {
            let e = next_state(from, action).unwrap_err();
            assert_eq!(e.field, "state", "{from:?} {action:?}");
        }
    }

    #[test]
    fn states_round_trip() {
        for s in ItemState::ALL {
            assert_eq!(ItemState::parse(s.as_str()).unwrap(), s);
        }
        assert!(ItemState::parse("lost").is_err());
        for h in Hold::ALL {
            assert_eq!(Hold::parse(h.as_str()), Some(h));
        }
    }

    #[test]
    fn receipt_quarantines_everything_but_genuine() {
        let table = [
            (Verdict::Genuine, None),
            (Verdict::Unknown, Some(Hold::Counterfeit)),
            (Verdict::Recalled, Some(Hold::Recalled)),
            (Verdict::Expired, Some(Hold::Expired)),
            (Verdict::Scrapped, Some(Hold::Scrapped)),
            (Verdict::NotReleased, Some(Hold::NotReleased)),
            (Verdict::Suspicious, Some(Hold::Suspicious)),
        ];
        for (v, h) in table {
            assert_eq!(receipt_hold(v), h, "{v:?}");
        }
        assert_eq!(Hold::Counterfeit.alert_cause(), Some("receipt_counterfeit"));
        assert_eq!(Hold::Rejected.alert_cause(), None);
    }

    fn facts(state: ItemState, hold: Option<Hold>, verdict: Verdict) -> IssueFacts {
        IssueFacts {
            state,
            hold,
            verdict,
            replace_by: None,
            next_inspection: None,
        }
    }

    #[test]
    fn issue_refusals_table() {
        use ItemState as S;
        let today = d("2026-11-29");
        let cases: Vec<(IssueFacts, Option<Refusal>)> = vec![
            (facts(S::InStock, None, Verdict::Genuine), None),
            (
                facts(S::Scrapped, None, Verdict::Scrapped),
                Some(Refusal::Scrapped),
            ),
            (
                facts(S::Scrapped, None, Verdict::Genuine),
                Some(Refusal::Scrapped),
            ),
            (
                facts(S::Quarantined, Some(Hold::Counterfeit), Verdict::Unknown),
                Some(Refusal::Counterfeit),
            ),
            (
                facts(S::Quarantined, Some(Hold::Recalled), Verdict::Recalled),
                Some(Refusal::Recalled),
            ),
            // Recalled after acceptance: still refused.
            (
                facts(S::InStock, None, Verdict::Recalled),
                Some(Refusal::Recalled),
            ),
            (
                facts(S::InStock, None, Verdict::Expired),
                Some(Refusal::Expired),
            ),
            (
                facts(S::Quarantined, Some(Hold::Rejected), Verdict::Genuine),
                Some(Refusal::Quarantined),
            ),
            (
                facts(S::Withdrawn, None, Verdict::Genuine),
                Some(Refusal::Withdrawn),
            ),
            (
                facts(S::Received, None, Verdict::Genuine),
                Some(Refusal::NotAccepted),
            ),
            (
                facts(S::Issued, None, Verdict::Genuine),
                Some(Refusal::AlreadyIssued),
            ),
            (
                facts(S::InStock, None, Verdict::Suspicious),
                Some(Refusal::Quarantined),
            ),
            (
                IssueFacts {
                    replace_by: Some(d("2026-11-28")),
                    ..facts(S::InStock, None, Verdict::Genuine)
                },
                Some(Refusal::Expired),
            ),
            (
                IssueFacts {
                    replace_by: Some(d("2026-11-29")),
                    ..facts(S::InStock, None, Verdict::Genuine)
                },
                None,
            ),
            (
                IssueFacts {
                    next_inspection: Some(d("2026-11-01")),
                    ..facts(S::InStock, None, Verdict::Genuine)
                },
                Some(Refusal::InspectionOverdue),
            ),
        ];
        for (f, want) in cases {
            assert_eq!(issue_refusal(&f, today), want, "{f:?}");
        }
        assert!(Refusal::Recalled.explain(false).contains("recalled"));
        assert!(Refusal::Recalled.explain(true).contains("召回"));
    }

    #[test]
    fn replacement_due_dates() {
        use ServiceLifeFrom::*;
        let cases = [
            // Helmet: 30 months from manufacture.
            (
                Some(30),
                Manufacture,
                Some("2025-01-15"),
                None,
                None,
                Some("2027-07-15"),
            ),
            // Counts from first use; not yet used: unknown.
            (Some(12), FirstUse, Some("2025-01-15"), None, None, None),
            (
                Some(12),
                FirstUse,
                Some("2025-01-15"),
                Some("2026-03-31"),
                None,
                Some("2027-03-31"),
            ),
            // Batch expiry earlier than the service life wins.
            (
                Some(60),
                Manufacture,
                Some("2025-01-01"),
                None,
                Some("2026-06-30"),
                Some("2026-06-30"),
            ),
            (None, Manufacture, Some("2025-01-01"), None, None, None),
            (
                None,
                Manufacture,
                None,
                None,
                Some("2027-01-01"),
                Some("2027-01-01"),
            ),
        ];
        for (months, from, prod, first, exp, want) in cases {
            let got = replacement_due(months, from, prod.map(d), first.map(d), exp.map(d));
            assert_eq!(got, want.map(d), "{months:?} {from:?} {prod:?} {first:?}");
        }
    }

    #[test]
    fn inspections_by_category() {
        assert_eq!(
            inspection_interval_months(PpeCategory::FallProtection),
            Some(12)
        );
        assert_eq!(inspection_interval_months(PpeCategory::Head), None);
        assert_eq!(
            next_inspection(PpeCategory::FallProtection, d("2026-02-28")),
            Some(d("2027-02-28"))
        );
        assert_eq!(next_inspection(PpeCategory::Hand, d("2026-02-28")), None);
    }

    #[test]
    fn due_windows_include_overdue_and_exclude_out_of_service() {
        let today = d("2026-11-29");
        let r = Some(d("2026-12-09"));
        let i = Some(d("2026-11-01"));
        assert_eq!(
            due_kinds(ItemState::Issued, r, i, today, 10),
            vec![
                (DueKind::Replacement, d("2026-12-09")),
                (DueKind::Inspection, d("2026-11-01"))
            ]
        );
        assert_eq!(
            due_kinds(ItemState::InStock, r, i, today, 9),
            vec![(DueKind::Inspection, d("2026-11-01"))]
        );
        assert!(due_kinds(ItemState::Scrapped, r, i, today, 10).is_empty());
        assert!(due_kinds(ItemState::Withdrawn, r, i, today, 10).is_empty());
        assert!(due_kinds(ItemState::InStock, None, None, today, 700).is_empty());
        assert!(validate_due_days(-1).is_err());
        assert_eq!(validate_due_days(30), Ok(30));
        assert!(validate_due_days(10_000).is_err());
    }

    #[test]
    fn worker_ids_are_pseudonyms_never_national_ids() {
        assert_eq!(validate_worker_code(" W-0042 ").unwrap(), "W-0042");
        for bad in [
            "",
            "11010519491231002X",
            "110105491231002",
            "ID110105194912310021",
            "张三",
            "a b",
        ] {
            assert!(validate_worker_code(bad).is_err(), "{bad}");
        }
        assert!(validate_worker_code("12345678901234").is_ok());
        assert_eq!(validate_worker_name("张三").unwrap(), "张三");
        assert!(validate_worker_name("Zhang 11010519491231002X").is_err());
        assert!(validate_note("reason", "webbing cut 2 cm").is_ok());
        assert!(validate_note("reason", "").is_err());
    }

    #[test]
    fn events_use_cbv_and_extension_vocabulary() {
        let site = gs1::Gln::parse("9521234500001").unwrap();
        let epcs = vec!["https://id.gs1.org/01/09521234543213/21/ABC".to_string()];
        let t = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let ev = ledger_event(&LedgerEvent {
            step: LedgerStep::Issue,
            time: t,
            epcs: &epcs,
            site: &site,
            worker: Some("W-0042"),
            result: None,
        });
        assert_eq!(ev["bizStep"], ISSUING);
        assert_eq!(ev["disposition"], "in_progress");
        assert_eq!(ev["ppe:worker"], "W-0042");
        assert_eq!(
            ev["bizLocation"]["id"],
            "https://id.gs1.org/414/9521234500001"
        );
        let table = [
            (LedgerStep::Receive, ("OBSERVE", "receiving", "in_progress")),
            (
                LedgerStep::ReceiveHeld(Hold::Recalled),
                ("OBSERVE", "receiving", "recalled"),
            ),
            (
                LedgerStep::ReceiveHeld(Hold::Counterfeit),
                ("OBSERVE", "receiving", "non_conformant"),
            ),
            (LedgerStep::Accept, ("OBSERVE", "accepting", "active")),
            (LedgerStep::Return, ("OBSERVE", RETURNING, "active")),
            (
                LedgerStep::Inspect(InspectionResult::Fail),
                ("OBSERVE", "inspecting", "non_conformant"),
            ),
            (LedgerStep::Scrap, ("DELETE", "destroying", "destroyed")),
        ];
        for (step, want) in table {
            assert_eq!(step.vocabulary(), want, "{step:?}");
        }
    }
}
