//! Registries snapshot, draw plan, seed inputs and draw result.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DrawError;
use crate::canonical::{canonical_hash, to_canonical_json};
use crate::time::{Instant, parse_rfc3339};

/// Risk class of an inspection target; drawn in the order A, B, C, D.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RiskClass {
    /// Highest risk.
    A,
    /// High risk.
    B,
    /// Medium risk.
    C,
    /// Low risk.
    D,
}

impl RiskClass {
    /// All classes in draw order.
    pub const ALL: [Self; 4] = [Self::A, Self::B, Self::C, Self::D];

    /// `"A"`, `"B"`, `"C"` or `"D"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
            Self::C => "C",
            Self::D => "D",
        }
    }
}

impl fmt::Display for RiskClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An inspection target (an organization) in the registry snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Unique, non-empty id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Risk class A–D.
    pub risk_class: RiskClass,
    /// Region code.
    pub region: String,
    /// Ids of the inspectors of the previous inspection (sorted, unique).
    pub last_inspectors: Vec<String>,
    /// Number of complaints on record.
    pub complaint_count: u32,
}

/// An inspector in the registry snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inspector {
    /// Unique, non-empty id.
    pub id: String,
    /// Region code.
    pub region: String,
    /// Declared affiliations: ids of targets (sorted, unique).
    pub affiliations: Vec<String>,
    /// Only active inspectors are drawn.
    pub active: bool,
}

/// Registries snapshot. Canonical form: `targets` and `inspectors` sorted
/// by id (strictly: ids unique), every inner id list sorted and unique.
/// [`Snapshot::normalized`] produces it; [`Snapshot::validate`] checks it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Inspection targets.
    pub targets: Vec<Target>,
    /// Inspectors.
    pub inspectors: Vec<Inspector>,
}

fn sort_dedup(v: &mut Vec<String>) {
    v.sort_unstable();
    v.dedup();
}

fn strictly_sorted<'a>(ids: impl Iterator<Item = &'a str>, what: &str) -> Result<(), String> {
    let mut prev: Option<&str> = None;
    for id in ids {
        if id.is_empty() {
            return Err(format!("{what}: empty id"));
        }
        if let Some(p) = prev
            && p >= id
        {
            return Err(if p == id {
                format!("{what}: duplicate id {id:?}")
            } else {
                format!("{what}: not sorted by id ({p:?} before {id:?})")
            });
        }
        prev = Some(id);
    }
    Ok(())
}

impl Snapshot {
    /// The canonical form: lists sorted by id, inner id lists sorted and
    /// deduplicated. (Duplicate target/inspector ids remain and are
    /// reported by [`Snapshot::validate`].)
    #[must_use]
    pub fn normalized(mut self) -> Self {
        self.targets.sort_by(|a, b| a.id.cmp(&b.id));
        self.inspectors.sort_by(|a, b| a.id.cmp(&b.id));
        for t in &mut self.targets {
            sort_dedup(&mut t.last_inspectors);
        }
        for i in &mut self.inspectors {
            sort_dedup(&mut i.affiliations);
        }
        self
    }

    /// Check the canonical form.
    ///
    /// # Errors
    /// [`DrawError::InvalidSnapshot`] naming the first problem.
    pub fn validate(&self) -> Result<(), DrawError> {
        let check = || -> Result<(), String> {
            strictly_sorted(self.targets.iter().map(|t| t.id.as_str()), "targets")?;
            strictly_sorted(self.inspectors.iter().map(|i| i.id.as_str()), "inspectors")?;
            for t in &self.targets {
                strictly_sorted(
                    t.last_inspectors.iter().map(String::as_str),
                    &format!("target {:?} last_inspectors", t.id),
                )?;
            }
            for i in &self.inspectors {
                strictly_sorted(
                    i.affiliations.iter().map(String::as_str),
                    &format!("inspector {:?} affiliations", i.id),
                )?;
            }
            Ok(())
        };
        check().map_err(DrawError::InvalidSnapshot)
    }

    /// Canonical JSON (see [`crate::canonical`]).
    ///
    /// # Errors
    /// Only if serialization fails.
    pub fn canonical_json(&self) -> Result<String, DrawError> {
        to_canonical_json(self)
    }

    /// Snapshot hash: lowercase hex SHA-256 of [`Snapshot::canonical_json`].
    ///
    /// # Errors
    /// Only if serialization fails.
    pub fn hash(&self) -> Result<String, DrawError> {
        canonical_hash(self)
    }
}

/// How many targets of one risk class to draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassQuota {
    /// The risk class.
    pub class: RiskClass,
    /// Fraction in basis points (1/10 000): 3000 = 30 %. At most 10 000.
    pub fraction_bp: u32,
    /// Minimum number of targets drawn (capped at the class population).
    pub minimum: u32,
}

impl ClassQuota {
    /// Targets drawn from a class of `population` targets:
    /// `min(population, max(minimum, ceil(fraction_bp × population / 10 000)))`.
    #[must_use]
    pub fn quota(&self, population: usize) -> usize {
        let pop = population as u128;
        let by_fraction = (u128::from(self.fraction_bp) * pop).div_ceil(10_000);
        let want = by_fraction.max(u128::from(self.minimum)).min(pop);
        // want <= population, which is a usize.
        usize::try_from(want).unwrap_or(population)
    }
}

/// The draw plan, published (with the snapshot hash) before the seed exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawPlan {
    /// Free-form identifier, e.g. `"2026-Q4-PPE-retail"`.
    pub plan_id: String,
    /// Per-class quotas, strictly ordered by class (A before B …). A class
    /// without a quota is not drawn.
    pub quotas: Vec<ClassQuota>,
    /// Inspectors per target, at least 2.
    pub inspectors_per_target: u32,
    /// Also recuse inspectors whose region equals the target's region.
    pub recuse_same_region: bool,
    /// Optional load cap: an inspector who already has this many
    /// assignments in this draw is skipped (a filter, like recusal).
    pub max_assignments_per_inspector: Option<u32>,
    /// Inspection window start, RFC 3339.
    pub window_start: String,
    /// Inspection window end, RFC 3339, after the start.
    pub window_end: String,
    /// drand beacon round named in advance, if a beacon is used.
    pub beacon_round: Option<u64>,
    /// Commitments to contributions: lowercase hex SHA-256 of each value to
    /// be revealed, sorted and unique.
    pub contribution_commitments: Vec<String>,
    /// The drand network the round belongs to (its `/info`). When given, the
    /// beacon value must carry the round's BLS signature and is verified with this
    /// key; when absent, the round's randomness is taken as entered. Omitted from
    /// the canonical form when absent, so older plans keep their hashes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon_chain: Option<crate::beacon::BeaconChain>,
}

/// Where an instant lies relative to the inspection window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowPhase {
    /// Before `window_start`: only the result commitment may be public.
    Before,
    /// In `[window_start, window_end)`.
    During,
    /// At or after `window_end`: the result may be published.
    After,
}

pub(crate) fn is_lower_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

impl DrawPlan {
    /// Check the plan's rules.
    ///
    /// # Errors
    /// [`DrawError::InvalidPlan`] or [`DrawError::InvalidTimestamp`].
    pub fn validate(&self) -> Result<(), DrawError> {
        let bad = |m: String| Err(DrawError::InvalidPlan(m));
        if self.inspectors_per_target < 2 {
            return bad(format!(
                "inspectors_per_target must be at least 2, got {}",
                self.inspectors_per_target
            ));
        }
        for w in self.quotas.windows(2) {
            if w[0].class >= w[1].class {
                return bad(format!(
                    "quotas must be strictly ordered by class: {} before {}",
                    w[0].class, w[1].class
                ));
            }
        }
        for q in &self.quotas {
            if q.fraction_bp > 10_000 {
                return bad(format!(
                    "class {}: fraction_bp {} exceeds 10000 (100 %)",
                    q.class, q.fraction_bp
                ));
            }
        }
        if self.max_assignments_per_inspector == Some(0) {
            return bad("max_assignments_per_inspector must be at least 1 (or null)".into());
        }
        let (start, end) = self.window()?;
        if start >= end {
            return bad(format!(
                "window_start {:?} is not before window_end {:?}",
                self.window_start, self.window_end
            ));
        }
        if let Some(chain) = &self.beacon_chain {
            chain.check()?;
            if self.beacon_round.is_none() {
                return Err(DrawError::InvalidPlan(
                    "beacon_chain is given but no beacon_round".into(),
                ));
            }
        }
        if self.beacon_round.is_none() && self.contribution_commitments.is_empty() {
            return bad(
                "no randomness source: name a beacon round and/or contribution commitments".into(),
            );
        }
        for c in &self.contribution_commitments {
            if c.len() != 64 || !is_lower_hex(c) {
                return bad(format!("commitment {c:?} is not 64 lowercase hex digits"));
            }
        }
        for w in self.contribution_commitments.windows(2) {
            if w[0] >= w[1] {
                return bad("contribution_commitments must be sorted and unique".into());
            }
        }
        Ok(())
    }

    /// The window as parsed instants.
    ///
    /// # Errors
    /// [`DrawError::InvalidTimestamp`].
    pub fn window(&self) -> Result<(Instant, Instant), DrawError> {
        Ok((
            parse_rfc3339(&self.window_start)?,
            parse_rfc3339(&self.window_end)?,
        ))
    }

    /// Phase of the window at `now` (RFC 3339, supplied by the caller).
    ///
    /// # Errors
    /// [`DrawError::InvalidTimestamp`].
    pub fn phase(&self, now: &str) -> Result<WindowPhase, DrawError> {
        let (start, end) = self.window()?;
        let now = parse_rfc3339(now)?;
        Ok(if now < start {
            WindowPhase::Before
        } else if now < end {
            WindowPhase::During
        } else {
            WindowPhase::After
        })
    }

    /// Canonical JSON (see [`crate::canonical`]).
    ///
    /// # Errors
    /// Only if serialization fails.
    pub fn canonical_json(&self) -> Result<String, DrawError> {
        to_canonical_json(self)
    }

    /// Plan hash: lowercase hex SHA-256 of [`DrawPlan::canonical_json`].
    ///
    /// # Errors
    /// Only if serialization fails.
    pub fn hash(&self) -> Result<String, DrawError> {
        canonical_hash(self)
    }
}

/// A drand beacon round's published randomness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeaconValue {
    /// Round number; must equal the plan's `beacon_round`.
    pub round: u64,
    /// The round's randomness, lowercase hex (as drand publishes it).
    pub randomness: String,
    /// The round's BLS signature, lowercase hex; required when the plan names the
    /// beacon's network (`beacon_chain`), which verifies it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The previous round's signature (drand's chained scheme only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_signature: Option<String>,
}

/// Values fixed only after the plan and snapshot hash were published.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedInputs {
    /// Beacon value; present exactly when the plan names a round.
    pub beacon: Option<BeaconValue>,
    /// Revealed contributions, one per commitment (any order).
    pub reveals: Vec<String>,
}

/// The inspectors drawn for one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// Target id.
    pub target_id: String,
    /// Its risk class.
    pub risk_class: RiskClass,
    /// Inspector ids in sampler order (fewer than planned if short).
    pub inspectors: Vec<String>,
    /// `inspectors_per_target − inspectors.len()`: how many could not be
    /// assigned because too few eligible inspectors remained. 0 normally.
    pub shortfall: u32,
}

/// Result format version string; also the first line of the seed material.
pub const DRAW_VERSION: &str = "ppetrace-draw-v1";

/// The outcome of a draw. Its [`DrawResult::commitment`] is published
/// before the inspection window; the result itself after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawResult {
    /// Always [`DRAW_VERSION`].
    pub version: String,
    /// Hash of the plan drawn.
    pub plan_hash: String,
    /// Hash of the snapshot drawn from.
    pub snapshot_hash: String,
    /// The derived seed (64 lowercase hex digits).
    pub seed: String,
    /// Selected targets in draw order (class A first), with inspectors.
    pub assignments: Vec<Assignment>,
}

impl DrawResult {
    /// Canonical JSON (see [`crate::canonical`]).
    ///
    /// # Errors
    /// Only if serialization fails.
    pub fn canonical_json(&self) -> Result<String, DrawError> {
        to_canonical_json(self)
    }

    /// The commitment: lowercase hex SHA-256 of [`DrawResult::canonical_json`].
    ///
    /// # Errors
    /// Only if serialization fails.
    pub fn commitment(&self) -> Result<String, DrawError> {
        canonical_hash(self)
    }

    /// True when no assignment has a shortfall.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.assignments.iter().all(|a| a.shortfall == 0)
    }

    /// What one inspector may see before the window: only their own targets.
    #[must_use]
    pub fn assignments_for(&self, inspector_id: &str) -> Vec<&Assignment> {
        self.assignments
            .iter()
            .filter(|a| a.inspectors.iter().any(|i| i == inspector_id))
            .collect()
    }
}

/// Everything a third party needs to re-run a draw: the file read by
/// `draw_verify.py`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedDraw {
    /// The plan.
    pub plan: DrawPlan,
    /// The registries snapshot.
    pub snapshot: Snapshot,
    /// Beacon value and reveals.
    pub seed_inputs: SeedInputs,
    /// The claimed result.
    pub result: DrawResult,
}
