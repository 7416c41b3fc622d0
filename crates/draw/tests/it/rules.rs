//! Business rules of a draw.

use crate::common;

use draw::{
    ClassQuota, DrawError, RiskClass, SeedInputs, Verification, WindowPhase, check_seed_inputs,
    derive_seed, recusal, run_draw, select, verify, verify_commitment,
};

#[test]
fn quota_rounding_is_ceil_with_minimum_capped_at_population() {
    let q = |bp, min| ClassQuota {
        class: RiskClass::A,
        fraction_bp: bp,
        minimum: min,
    };
    assert_eq!(q(3000, 0).quota(10), 3);
    assert_eq!(q(3000, 0).quota(11), 4); // 3.3 -> 4
    assert_eq!(q(100, 0).quota(1), 1); // 0.01 -> 1
    assert_eq!(q(0, 0).quota(50), 0);
    assert_eq!(q(0, 5).quota(50), 5);
    assert_eq!(q(200, 5).quota(3), 3); // minimum capped at population
    assert_eq!(q(10_000, 0).quota(7), 7);
    assert_eq!(q(3000, 2).quota(0), 0);
}

#[test]
fn draw_sizes_follow_the_plan() {
    let r = run_draw(&common::plan(), &common::snapshot(), &common::inputs()).unwrap();
    let count = |c| r.assignments.iter().filter(|a| a.risk_class == c).count();
    // 15 targets per class: A ceil(4.5)=5, B max(2, ceil(1.5)=2)=2, C max(1, ceil(.3))=1, D 1.
    assert_eq!(
        [
            count(RiskClass::A),
            count(RiskClass::B),
            count(RiskClass::C),
            count(RiskClass::D)
        ],
        [5, 2, 1, 1]
    );
    // Classes appear in order A, B, C, D.
    assert!(
        r.assignments
            .windows(2)
            .all(|w| w[0].risk_class <= w[1].risk_class)
    );
    assert!(r.is_complete());
    assert!(r.assignments.iter().all(|a| a.inspectors.len() == 2));
}

#[test]
fn fewer_than_two_inspectors_rejected() {
    let mut p = common::plan();
    p.inspectors_per_target = 1;
    assert!(matches!(p.validate(), Err(DrawError::InvalidPlan(m)) if m.contains("at least 2")));
}

#[test]
fn plan_validation() {
    let mut p = common::plan();
    p.quotas.swap(0, 1);
    assert!(matches!(p.validate(), Err(DrawError::InvalidPlan(_))));
    let mut p = common::plan();
    p.quotas[0].fraction_bp = 10_001;
    assert!(p.validate().is_err());
    let mut p = common::plan();
    p.window_end = p.window_start.clone();
    assert!(p.validate().is_err());
    let mut p = common::plan();
    p.window_start = "tomorrow".into();
    assert!(matches!(p.validate(), Err(DrawError::InvalidTimestamp(_))));
    let mut p = common::plan();
    p.beacon_round = None;
    p.contribution_commitments.clear();
    assert!(p.validate().is_err(), "a plan needs a randomness source");
    let mut p = common::plan();
    p.contribution_commitments.reverse();
    assert!(p.validate().is_err());
    let mut p = common::plan();
    p.max_assignments_per_inspector = Some(0);
    assert!(p.validate().is_err());
}

#[test]
fn window_phase_uses_supplied_time() {
    let p = common::plan();
    assert_eq!(
        p.phase("2026-11-30T23:59:59Z").unwrap(),
        WindowPhase::Before
    );
    assert_eq!(
        p.phase("2026-12-01T08:00:00Z").unwrap(),
        WindowPhase::During
    );
    assert_eq!(
        p.phase("2026-12-31T20:59:59Z").unwrap(),
        WindowPhase::During
    );
    assert_eq!(p.phase("2026-12-31T21:00:00Z").unwrap(), WindowPhase::After);
}

#[test]
fn snapshot_validation_and_canonical_json() {
    let mut s = common::snapshot();
    s.validate().unwrap();
    s.targets.swap(0, 1);
    assert!(matches!(s.validate(), Err(DrawError::InvalidSnapshot(m)) if m.contains("not sorted")));
    let mut s = common::snapshot();
    let dup = s.inspectors[0].clone();
    s.inspectors.insert(0, dup);
    assert!(matches!(s.validate(), Err(DrawError::InvalidSnapshot(m)) if m.contains("duplicate")));
    assert!(run_draw(&common::plan(), &s, &common::inputs()).is_err());

    let small = draw::Snapshot {
        targets: vec![draw::Target {
            id: "T1".into(),
            name: "Ação \"X\"".into(),
            risk_class: RiskClass::B,
            region: "n".into(),
            last_inspectors: vec!["I2".into()],
            complaint_count: 3,
        }],
        inspectors: vec![draw::Inspector {
            id: "I2".into(),
            region: "s".into(),
            affiliations: vec![],
            active: true,
        }],
    };
    let json = small.canonical_json().unwrap();
    assert_eq!(
        json,
        r#"{"inspectors":[{"active":true,"affiliations":[],"id":"I2","region":"s"}],"targets":[{"complaint_count":3,"id":"T1","last_inspectors":["I2"],"name":"Ação \"X\"","region":"n","risk_class":"B"}]}"#
    );
    assert_eq!(small.hash().unwrap(), common::sha(&json));
}

#[test]
fn seed_derivation_is_the_documented_formula() {
    let plan = common::plan();
    let inputs = common::inputs();
    let seed = derive_seed(&plan, "PH", "SH", &inputs).unwrap();
    let material = "ppetrace-draw-v1\nPH\nSH\n5123456:a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90\nregulator: 8f1e2d\nunion: ação 42";
    assert_eq!(seed, common::sha(material));

    let mut plan2 = plan.clone();
    plan2.beacon_round = None;
    let no_beacon = SeedInputs {
        beacon: None,
        reveals: inputs.reveals.clone(),
    };
    assert_eq!(
        derive_seed(&plan2, "PH", "SH", &no_beacon).unwrap(),
        common::sha("ppetrace-draw-v1\nPH\nSH\n-\nregulator: 8f1e2d\nunion: ação 42")
    );
    let r = run_draw(&plan, &common::snapshot(), &inputs).unwrap();
    assert_eq!(r.plan_hash, plan.hash().unwrap());
    assert_eq!(r.snapshot_hash, common::snapshot().hash().unwrap());
    assert_eq!(
        r.seed,
        derive_seed(&plan, &r.plan_hash, &r.snapshot_hash, &inputs).unwrap()
    );
}

#[test]
fn seed_inputs_are_checked_against_the_plan() {
    let plan = common::plan();
    let mut i = common::inputs();
    i.reveals[1] = "forged".into();
    assert_eq!(
        check_seed_inputs(&plan, &i),
        Err(DrawError::RevealMismatch { index: 1 })
    );
    let mut i = common::inputs();
    i.reveals.pop();
    assert!(
        matches!(check_seed_inputs(&plan, &i), Err(DrawError::InvalidSeedInputs(m)) if m.contains("not revealed"))
    );
    let mut i = common::inputs();
    let again = i.reveals[0].clone();
    i.reveals.push(again);
    assert_eq!(
        check_seed_inputs(&plan, &i),
        Err(DrawError::RevealMismatch { index: 2 })
    );
    let mut i = common::inputs();
    if let Some(b) = i.beacon.as_mut() {
        b.round += 1;
    }
    assert!(
        matches!(check_seed_inputs(&plan, &i), Err(DrawError::InvalidSeedInputs(m)) if m.contains("differs"))
    );
    let mut i = common::inputs();
    if let Some(b) = i.beacon.as_mut() {
        b.randomness = "ABCD".into();
    }
    assert!(check_seed_inputs(&plan, &i).is_err());
    let mut i = common::inputs();
    i.beacon = None;
    assert!(check_seed_inputs(&plan, &i).is_err());
}

#[test]
fn shortfall_is_explicit() {
    let mut plan = common::plan();
    plan.inspectors_per_target = 20; // only 13 active inspectors
    let r = run_draw(&plan, &common::snapshot(), &common::inputs()).unwrap();
    assert!(!r.is_complete());
    for a in &r.assignments {
        assert_eq!(a.inspectors.len() as u32 + a.shortfall, 20);
        assert!(a.shortfall >= 7);
    }
}

#[test]
fn load_cap_is_respected() {
    let mut plan = common::plan();
    plan.max_assignments_per_inspector = Some(1);
    let r = run_draw(&plan, &common::snapshot(), &common::inputs()).unwrap();
    let mut seen = std::collections::HashSet::new();
    for a in &r.assignments {
        for i in &a.inspectors {
            assert!(seen.insert(i.clone()), "{i} assigned twice despite cap 1");
        }
    }
    // 9 targets × 2 = 18 slots, only 13 active inspectors: a stated shortfall.
    assert_eq!(
        r.assignments.iter().map(|a| a.shortfall).sum::<u32>(),
        18 - 13
    );
}

#[test]
fn inactive_and_recused_never_assigned() {
    let plan = common::plan();
    let snap = common::snapshot();
    let r = run_draw(&plan, &snap, &common::inputs()).unwrap();
    for a in &r.assignments {
        let t = snap.targets.iter().find(|t| t.id == a.target_id).unwrap();
        for id in &a.inspectors {
            let i = snap.inspectors.iter().find(|i| &i.id == id).unwrap();
            assert!(i.active);
            assert_eq!(recusal(&plan, t, i), None);
        }
    }
}

#[test]
fn verify_match_mismatch_and_commitment() {
    let (plan, snap, inputs) = (common::plan(), common::snapshot(), common::inputs());
    let r = run_draw(&plan, &snap, &inputs).unwrap();
    assert_eq!(
        verify(&plan, &snap, &inputs, &r).unwrap(),
        Verification::Match
    );
    let c = r.commitment().unwrap();
    assert_eq!(c, common::sha(&r.canonical_json().unwrap()));
    assert!(verify_commitment(&r, &c).unwrap());
    let mut bad = r.clone();
    bad.assignments[0].shortfall = 1;
    assert!(!verify_commitment(&bad, &c).unwrap());
    match verify(&plan, &snap, &inputs, &bad).unwrap() {
        Verification::Mismatch(d) => {
            assert_eq!(d.path, "result.assignments[0].shortfall");
            assert_eq!((d.expected.as_str(), d.claimed.as_str()), ("0", "1"));
        }
        Verification::Match => panic!("tampered result matched"),
    }
    let mut bad = r.clone();
    bad.seed = "0".repeat(64);
    assert!(
        matches!(verify(&plan, &snap, &inputs, &bad).unwrap(), Verification::Mismatch(d) if d.path == "result.seed")
    );
    let first = &r.assignments[0];
    let mine = r.assignments_for(&first.inspectors[0]);
    assert!(mine.iter().any(|a| a.target_id == first.target_id));
    assert!(
        mine.iter()
            .all(|a| a.inspectors.contains(&first.inspectors[0]))
    );
}

#[test]
fn json_round_trip_keeps_hashes() {
    let r = run_draw(&common::plan(), &common::snapshot(), &common::inputs()).unwrap();
    let text = serde_json::to_string_pretty(&r).unwrap();
    let back: draw::DrawResult = serde_json::from_str(&text).unwrap();
    assert_eq!(back.commitment().unwrap(), r.commitment().unwrap());
    // Unknown fields are refused so that Rust and Python hash the same object.
    let plan = serde_json::to_value(common::plan()).unwrap();
    let mut extra = plan.clone();
    extra["extra"] = serde_json::json!(1);
    assert!(serde_json::from_value::<draw::DrawPlan>(extra).is_err());
    assert!(serde_json::from_value::<draw::DrawPlan>(plan).is_ok());
}

#[test]
fn select_is_seed_driven() {
    let plan = common::plan();
    let snap = common::snapshot();
    let a = select(&plan, &snap, &"1".repeat(64)).unwrap();
    let b = select(&plan, &snap, &"2".repeat(64)).unwrap();
    assert_eq!(a, select(&plan, &snap, &"1".repeat(64)).unwrap());
    assert_ne!(a, b);
}
