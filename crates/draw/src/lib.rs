//! Pure business rules of a ppetrace "double random" inspection draw
//! (PRODUCT.md C8). No I/O, no clock reads: time is passed in as RFC 3339.
//!
//! # Protocol
//! 1. Publish the plan hash ([`DrawPlan::hash`]) and the registries
//!    snapshot hash ([`Snapshot::hash`]) — SHA-256 of their
//!    [canonical JSON](canonical). The plan names a drand beacon round in
//!    advance and/or lists contribution commitments (SHA-256 hex of values
//!    revealed later).
//! 2. When the beacon round is out and the contributions revealed, derive
//!    the seed ([`derive_seed`]):
//!    `seed = hex(SHA-256("ppetrace-draw-v1\n" + plan_hash + "\n" +
//!    snapshot_hash + "\n" + beacon + ("\n" + reveal for each reveal in
//!    byte-sorted order)))` with `beacon = "<round>:<randomness hex>"`, or
//!    `"-"` if the plan names no beacon.
//! 3. Select ([`select`]): per class A–D, targets in consistent-sampler
//!    order under `<seed>/targets/<class>`, taking
//!    `min(count, max(minimum, ceil(fraction_bp × count / 10000)))`; per
//!    selected target, active inspectors in consistent-sampler order under
//!    `<seed>/inspectors/<target id>`, filtered by recusal and the optional
//!    load cap, first `inspectors_per_target` taken; a shortfall is stated.
//! 4. Publish the commitment [`DrawResult::commitment`] before the window;
//!    each inspector sees only [`DrawResult::assignments_for`] them; publish
//!    the result after. Anyone re-runs it with [`verify`] or the
//!    standard-library Python script `crates/draw/draw_verify.py`.
//!
//! ```
//! use draw::*;
//! let snapshot = Snapshot {
//!     targets: (0..10)
//!         .map(|i| Target {
//!             id: format!("T{i}"),
//!             name: format!("Target {i}"),
//!             risk_class: RiskClass::A,
//!             region: "north".into(),
//!             last_inspectors: vec![],
//!             complaint_count: 0,
//!         })
//!         .collect(),
//!     inspectors: (0..5)
//!         .map(|i| Inspector {
//!             id: format!("I{i}"),
//!             region: "south".into(),
//!             affiliations: vec![],
//!             active: true,
//!         })
//!         .collect(),
//! }
//! .normalized();
//! let plan = DrawPlan {
//!     plan_id: "demo".into(),
//!     quotas: vec![ClassQuota { class: RiskClass::A, fraction_bp: 3000, minimum: 1 }],
//!     inspectors_per_target: 2,
//!     recuse_same_region: true,
//!     max_assignments_per_inspector: None,
//!     window_start: "2026-12-01T08:00:00Z".into(),
//!     window_end: "2026-12-05T18:00:00Z".into(),
//!     beacon_round: Some(1000),
//!     contribution_commitments: vec![],
//!     beacon_chain: None,
//! };
//! let inputs = SeedInputs {
//!     beacon: Some(BeaconValue {
//!         round: 1000,
//!         randomness: "ab".repeat(32),
//!         signature: None,
//!         previous_signature: None,
//!     }),
//!     reveals: vec![],
//! };
//! let result = run_draw(&plan, &snapshot, &inputs)?;
//! assert_eq!(result.assignments.len(), 3); // ceil(30 % of 10)
//! let commitment = result.commitment()?; // publish before the window
//! assert!(verify_commitment(&result, &commitment)?);
//! assert_eq!(verify(&plan, &snapshot, &inputs, &result)?, Verification::Match);
//! # Ok::<(), DrawError>(())
//! ```

pub mod analytics;
pub mod beacon;
pub mod canonical;
mod draw;
mod model;
pub mod time;

pub use draw::{
    Difference, Recusal, Verification, check_seed_inputs, derive_seed, first_difference, recusal,
    run_draw, select, verify, verify_commitment,
};
pub use model::{
    Assignment, BeaconValue, ClassQuota, DRAW_VERSION, DrawPlan, DrawResult, Inspector,
    PublishedDraw, RiskClass, SeedInputs, Snapshot, Target, WindowPhase,
};

/// Errors of the draw crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    /// A value could not be turned into JSON.
    #[error("JSON serialization failed: {0}")]
    Json(String),
    /// Canonical JSON allows integers only.
    #[error("non-integer number {0} is not allowed in canonical JSON")]
    NonCanonicalNumber(String),
    /// The snapshot is not in canonical form.
    #[error("invalid registries snapshot: {0}")]
    InvalidSnapshot(String),
    /// The plan breaks a rule.
    #[error("invalid draw plan: {0}")]
    InvalidPlan(String),
    /// A timestamp is not RFC 3339.
    #[error("invalid RFC 3339 timestamp {0}")]
    InvalidTimestamp(String),
    /// Beacon value or reveals do not fit the plan.
    #[error("invalid seed inputs: {0}")]
    InvalidSeedInputs(String),
    /// A reveal's SHA-256 is not an unused commitment of the plan.
    #[error("reveal #{index} does not match any (unused) commitment in the plan")]
    RevealMismatch {
        /// Position of the reveal in `reveals`.
        index: usize,
    },
    /// The sampler refused its input.
    #[error("sampler: {0}")]
    Sampler(#[from] sampler::SamplerError),
}
