//! Seed derivation, selection and verification.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::DrawError;
use crate::canonical::{canonical_value, sha256_hex};
use crate::model::{
    Assignment, DRAW_VERSION, DrawPlan, DrawResult, Inspector, SeedInputs, Snapshot, Target,
    is_lower_hex,
};

/// Why an inspector may not inspect a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recusal {
    /// The target is among the inspector's declared affiliations.
    Affiliated,
    /// The inspector inspected this target last time.
    InspectedLastTime,
    /// Same region, and the plan has `recuse_same_region`.
    SameRegion,
}

/// The recusal rule, or `None` if the inspector may inspect the target.
#[must_use]
pub fn recusal(plan: &DrawPlan, target: &Target, inspector: &Inspector) -> Option<Recusal> {
    if inspector.affiliations.contains(&target.id) {
        Some(Recusal::Affiliated)
    } else if target.last_inspectors.contains(&inspector.id) {
        Some(Recusal::InspectedLastTime)
    } else if plan.recuse_same_region && inspector.region == target.region {
        Some(Recusal::SameRegion)
    } else {
        None
    }
}

/// Check the seed inputs against the plan: the beacon round must be the
/// one named (and present exactly when named), its randomness lowercase
/// hex; the sorted SHA-256 hex digests of the reveals must equal the plan's
/// (sorted) commitments — every commitment revealed, each exactly once.
///
/// # Errors
/// [`DrawError::InvalidSeedInputs`] or [`DrawError::RevealMismatch`].
pub fn check_seed_inputs(plan: &DrawPlan, inputs: &SeedInputs) -> Result<(), DrawError> {
    match (plan.beacon_round, &inputs.beacon) {
        (None, None) => {}
        (Some(r), None) => {
            return Err(DrawError::InvalidSeedInputs(format!(
                "plan names beacon round {r} but no beacon value was given"
            )));
        }
        (None, Some(b)) => {
            return Err(DrawError::InvalidSeedInputs(format!(
                "beacon round {} given but the plan names none",
                b.round
            )));
        }
        (Some(r), Some(b)) => {
            if b.round != r {
                return Err(DrawError::InvalidSeedInputs(format!(
                    "beacon round {} differs from the round {r} named in the plan",
                    b.round
                )));
            }
            if b.randomness.len() % 2 != 0 || !is_lower_hex(&b.randomness) {
                return Err(DrawError::InvalidSeedInputs(format!(
                    "beacon randomness {:?} is not lowercase hex",
                    b.randomness
                )));
            }
            if let Some(chain) = &plan.beacon_chain {
                chain.verify(b)?;
            }
        }
    }
    let commitments: HashSet<&str> = plan
        .contribution_commitments
        .iter()
        .map(String::as_str)
        .collect();
    let mut used = HashSet::new();
    for (index, reveal) in inputs.reveals.iter().enumerate() {
        let h = sha256_hex(reveal.as_bytes());
        if !commitments.contains(h.as_str()) || !used.insert(h) {
            return Err(DrawError::RevealMismatch { index });
        }
        if reveal.contains('\n') {
            return Err(DrawError::InvalidSeedInputs(format!(
                "reveal #{index} contains a newline"
            )));
        }
    }
    if used.len() != commitments.len() {
        return Err(DrawError::InvalidSeedInputs(format!(
            "{} of {} committed contributions were not revealed",
            commitments.len() - used.len(),
            commitments.len()
        )));
    }
    Ok(())
}

/// Derive the seed (after [`check_seed_inputs`]):
///
/// ```text
/// seed = hex(SHA-256(join("\n", ["ppetrace-draw-v1", plan_hash, snapshot_hash, beacon]
///                                 + sorted(reveals))))
/// beacon = "<round>:<randomness>"   (decimal round, randomness as given)
///        | "-"                       (plan names no beacon)
/// ```
///
/// `sorted` is by UTF-8 bytes (Python's `sorted` on `str`); there is no
/// trailing newline. With no reveals the material ends with the beacon.
///
/// # Errors
/// As [`check_seed_inputs`].
pub fn derive_seed(
    plan: &DrawPlan,
    plan_hash: &str,
    snapshot_hash: &str,
    inputs: &SeedInputs,
) -> Result<String, DrawError> {
    check_seed_inputs(plan, inputs)?;
    let beacon = inputs.beacon.as_ref().map_or_else(
        || "-".to_owned(),
        |b| format!("{}:{}", b.round, b.randomness),
    );
    let mut reveals: Vec<&str> = inputs.reveals.iter().map(String::as_str).collect();
    reveals.sort_unstable();
    let mut lines = vec![DRAW_VERSION, plan_hash, snapshot_hash, beacon.as_str()];
    lines.extend(reveals);
    Ok(sha256_hex(lines.join("\n").as_bytes()))
}

/// Select targets and assign inspectors for a given seed.
///
/// For each quota in plan order (A, B, C, D): the class's target ids are
/// ordered by the consistent sampler with seed `<seed>/targets/<class>`,
/// and the first [`crate::ClassQuota::quota`] are taken. Then, for each
/// selected target in that overall order, the **active** inspector ids are
/// ordered with seed `<seed>/inspectors/<target id>`; inspectors are
/// filtered (never reordered) by [`recusal`] and, if the plan has
/// `max_assignments_per_inspector = m`, by "already holds m assignments
/// from earlier targets of this draw"; the first `inspectors_per_target`
/// remaining are assigned, and any shortfall is recorded.
///
/// # Errors
/// [`DrawError::Sampler`] (not reachable with a validated snapshot).
pub fn select(
    plan: &DrawPlan,
    snapshot: &Snapshot,
    seed: &str,
) -> Result<Vec<Assignment>, DrawError> {
    let active: Vec<&Inspector> = snapshot.inspectors.iter().filter(|i| i.active).collect();
    let by_id: HashMap<&str, &Inspector> = active.iter().map(|i| (i.id.as_str(), *i)).collect();
    let mut load: HashMap<&str, u32> = HashMap::new();
    let k = usize::try_from(plan.inspectors_per_target).unwrap_or(usize::MAX);
    let mut out = Vec::new();
    for quota in &plan.quotas {
        let class: Vec<&Target> = snapshot
            .targets
            .iter()
            .filter(|t| t.risk_class == quota.class)
            .collect();
        let by_target: HashMap<&str, &Target> = class.iter().map(|t| (t.id.as_str(), *t)).collect();
        let n = quota.quota(class.len());
        let drawn = sampler::sample(
            class.iter().map(|t| t.id.as_str()),
            &format!("{seed}/targets/{}", quota.class),
            false,
        )?;
        for ticket in drawn.take(n) {
            let Some(target) = by_target.get(ticket.id.as_str()).copied() else {
                continue;
            };
            let mut chosen = Vec::with_capacity(k);
            let order = sampler::sample(
                active.iter().map(|i| i.id.as_str()),
                &format!("{seed}/inspectors/{}", target.id),
                false,
            )?;
            for t in order {
                if chosen.len() >= k {
                    break;
                }
                let Some(inspector) = by_id.get(t.id.as_str()).copied() else {
                    continue;
                };
                if recusal(plan, target, inspector).is_some() {
                    continue;
                }
                let held = load.get(inspector.id.as_str()).copied().unwrap_or(0);
                if plan
                    .max_assignments_per_inspector
                    .is_some_and(|cap| held >= cap)
                {
                    continue;
                }
                chosen.push(inspector.id.clone());
            }
            for id in &chosen {
                if let Some(i) = by_id.get(id.as_str()) {
                    *load.entry(i.id.as_str()).or_insert(0) += 1;
                }
            }
            let shortfall = plan
                .inspectors_per_target
                .saturating_sub(u32::try_from(chosen.len()).unwrap_or(u32::MAX));
            out.push(Assignment {
                target_id: target.id.clone(),
                risk_class: target.risk_class,
                inspectors: chosen,
                shortfall,
            });
        }
    }
    Ok(out)
}

/// Run a whole draw: validate plan, snapshot and seed inputs, derive the
/// seed, select.
///
/// # Errors
/// Any validation error.
pub fn run_draw(
    plan: &DrawPlan,
    snapshot: &Snapshot,
    inputs: &SeedInputs,
) -> Result<DrawResult, DrawError> {
    plan.validate()?;
    snapshot.validate()?;
    let plan_hash = plan.hash()?;
    let snapshot_hash = snapshot.hash()?;
    let seed = derive_seed(plan, &plan_hash, &snapshot_hash, inputs)?;
    let assignments = select(plan, snapshot, &seed)?;
    Ok(DrawResult {
        version: DRAW_VERSION.to_owned(),
        plan_hash,
        snapshot_hash,
        seed,
        assignments,
    })
}

/// First difference between the recomputed and the claimed result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// JSON path, e.g. `result.assignments[3].inspectors[1]`.
    pub path: String,
    /// Canonical JSON of the recomputed value.
    pub expected: String,
    /// Canonical JSON of the claimed value.
    pub claimed: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: expected {}, published {}",
            self.path, self.expected, self.claimed
        )
    }
}

/// Outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// The claimed result is exactly what the public inputs produce.
    Match,
    /// It is not; the first difference in canonical key order.
    Mismatch(Difference),
}

/// Re-run the draw from public inputs and compare with a claimed result.
///
/// # Errors
/// Validation errors of the inputs (the claimed result is never trusted).
pub fn verify(
    plan: &DrawPlan,
    snapshot: &Snapshot,
    inputs: &SeedInputs,
    claimed: &DrawResult,
) -> Result<Verification, DrawError> {
    let expected = run_draw(plan, snapshot, inputs)?;
    let e = serde_json::to_value(&expected).map_err(|e| DrawError::Json(e.to_string()))?;
    let c = serde_json::to_value(claimed).map_err(|e| DrawError::Json(e.to_string()))?;
    Ok(match first_difference(&e, &c, "result")? {
        None => Verification::Match,
        Some(d) => Verification::Mismatch(d),
    })
}

/// First difference between two JSON values: objects with the same keys
/// are compared key by key in sorted order, arrays of equal length element
/// by element; anything else is compared whole. Same rule and path syntax
/// as `draw_verify.py`.
///
/// # Errors
/// [`DrawError::NonCanonicalNumber`] if a differing value holds a float.
pub fn first_difference(
    expected: &Value,
    claimed: &Value,
    path: &str,
) -> Result<Option<Difference>, DrawError> {
    match (expected, claimed) {
        (Value::Object(a), Value::Object(b))
            if a.len() == b.len() && a.keys().all(|k| b.contains_key(k)) =>
        {
            let mut keys: Vec<&String> = a.keys().collect();
            keys.sort_unstable_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
            for k in keys {
                if let (Some(x), Some(y)) = (a.get(k), b.get(k))
                    && let Some(d) = first_difference(x, y, &format!("{path}.{k}"))?
                {
                    return Ok(Some(d));
                }
            }
            Ok(None)
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                if let Some(d) = first_difference(x, y, &format!("{path}[{i}]"))? {
                    return Ok(Some(d));
                }
            }
            Ok(None)
        }
        _ if expected == claimed => Ok(None),
        _ => Ok(Some(Difference {
            path: path.to_owned(),
            expected: canonical_value(expected)?,
            claimed: canonical_value(claimed)?,
        })),
    }
}

/// Does `commitment` (hex, case-insensitive) commit to `result`?
///
/// # Errors
/// Only if serialization fails.
pub fn verify_commitment(result: &DrawResult, commitment: &str) -> Result<bool, DrawError> {
    Ok(result.commitment()?.eq_ignore_ascii_case(commitment.trim()))
}
