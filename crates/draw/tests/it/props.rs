//! Property tests of the draw rules.

use draw::{ClassQuota, DrawPlan, Inspector, RiskClass, Snapshot, Target, recusal, select};
use proptest::prelude::*;

const REGIONS: [&str; 3] = ["n", "s", "e"];

fn arb_snapshot() -> impl Strategy<Value = Snapshot> {
    let targets = proptest::collection::vec(
        (
            0usize..4,
            0usize..3,
            proptest::collection::vec(0usize..12, 0..3),
        ),
        1..25,
    );
    let inspectors = proptest::collection::vec(
        (
            0usize..3,
            proptest::collection::vec(0usize..25, 0..4),
            prop::bool::weighted(0.85),
        ),
        0..12,
    );
    (targets, inspectors).prop_map(|(ts, is)| {
        let targets = ts
            .into_iter()
            .enumerate()
            .map(|(n, (c, r, last))| Target {
                id: format!("T{n:02}"),
                name: format!("t{n}"),
                risk_class: RiskClass::ALL[c],
                region: REGIONS[r].to_owned(),
                last_inspectors: last.into_iter().map(|j| format!("I{j:02}")).collect(),
                complaint_count: 0,
            })
            .collect();
        let inspectors = is
            .into_iter()
            .enumerate()
            .map(|(n, (r, aff, active))| Inspector {
                id: format!("I{n:02}"),
                region: REGIONS[r].to_owned(),
                affiliations: aff.into_iter().map(|t| format!("T{t:02}")).collect(),
                active,
            })
            .collect();
        Snapshot {
            targets,
            inspectors,
        }
        .normalized()
    })
}

fn arb_plan() -> impl Strategy<Value = DrawPlan> {
    (
        2u32..4,
        any::<bool>(),
        prop::option::of(1u32..4),
        proptest::collection::vec((0u32..=10_000, 0u32..3), 4),
    )
        .prop_map(|(k, same_region, cap, q)| DrawPlan {
            plan_id: "p".into(),
            quotas: q
                .into_iter()
                .zip(RiskClass::ALL)
                .map(|((fraction_bp, minimum), class)| ClassQuota {
                    class,
                    fraction_bp,
                    minimum,
                })
                .collect(),
            inspectors_per_target: k,
            recuse_same_region: same_region,
            max_assignments_per_inspector: cap,
            window_start: "2026-12-01T00:00:00Z".into(),
            window_end: "2026-12-02T00:00:00Z".into(),
            beacon_round: Some(1),
            contribution_commitments: vec![],
            beacon_chain: None,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// No inspector is ever assigned a target they must recuse from (or is
    /// inactive, or exceeds the cap), and shortfalls add up.
    #[test]
    fn never_assigned_when_recused(snap in arb_snapshot(), plan in arb_plan(), seed in "[0-9a-f]{64}") {
        let res = select(&plan, &snap, &seed).unwrap();
        let mut load = std::collections::HashMap::new();
        for a in &res {
            let t = snap.targets.iter().find(|t| t.id == a.target_id).unwrap();
            prop_assert_eq!(a.inspectors.len() as u32 + a.shortfall, plan.inspectors_per_target);
            for id in &a.inspectors {
                let i = snap.inspectors.iter().find(|i| &i.id == id).unwrap();
                prop_assert!(i.active);
                prop_assert_eq!(recusal(&plan, t, i), None);
                *load.entry(id.clone()).or_insert(0u32) += 1;
            }
        }
        if let Some(cap) = plan.max_assignments_per_inspector {
            prop_assert!(load.values().all(|&n| n <= cap));
        }
    }

    /// Same inputs, same result.
    #[test]
    fn deterministic(snap in arb_snapshot(), plan in arb_plan(), seed in "[0-9a-f]{64}") {
        prop_assert_eq!(select(&plan, &snap, &seed).unwrap(), select(&plan, &snap, &seed).unwrap());
    }

    /// Removing an inactive inspector changes nothing; removing an inspector
    /// recused from a selected target leaves that target's assignment as it
    /// was, and for every other target the remaining inspectors keep their
    /// order (the old list minus the removed one is a prefix of the new list).
    #[test]
    fn removing_ineligible_inspector_does_not_reorder(
        snap in arb_snapshot(),
        mut plan in arb_plan(),
        seed in "[0-9a-f]{64}",
        pick in any::<prop::sample::Index>(),
    ) {
        plan.max_assignments_per_inspector = None; // the cap couples targets; see the test below
        prop_assume!(!snap.inspectors.is_empty());
        let before = select(&plan, &snap, &seed).unwrap();
        let victim = snap.inspectors[pick.index(snap.inspectors.len())].clone();
        let mut smaller = snap.clone();
        smaller.inspectors.retain(|i| i.id != victim.id);
        let after = select(&plan, &smaller, &seed).unwrap();
        prop_assert_eq!(before.len(), after.len());
        for (b, a) in before.iter().zip(&after) {
            prop_assert_eq!(&b.target_id, &a.target_id);
            let t = snap.targets.iter().find(|t| t.id == b.target_id).unwrap();
            if !victim.active || recusal(&plan, t, &victim).is_some() {
                prop_assert_eq!(b, a);
            } else {
                let kept: Vec<&String> = b.inspectors.iter().filter(|i| **i != victim.id).collect();
                let prefix: Vec<&String> = a.inspectors.iter().take(kept.len()).collect();
                prop_assert_eq!(kept, prefix);
            }
        }
    }

    /// With a load cap, removing an inactive inspector still changes nothing.
    #[test]
    fn removing_inactive_inspector_with_cap(snap in arb_snapshot(), plan in arb_plan(), seed in "[0-9a-f]{64}") {
        let before = select(&plan, &snap, &seed).unwrap();
        let mut smaller = snap.clone();
        smaller.inspectors.retain(|i| i.active);
        prop_assert_eq!(before, select(&plan, &smaller, &seed).unwrap());
    }

    /// Target selection does not depend on the inspector registry.
    #[test]
    fn targets_independent_of_inspectors(snap in arb_snapshot(), plan in arb_plan(), seed in "[0-9a-f]{64}") {
        let mut no_inspectors = snap.clone();
        no_inspectors.inspectors.clear();
        let a: Vec<String> = select(&plan, &snap, &seed).unwrap().into_iter().map(|a| a.target_id).collect();
        let b: Vec<String> = select(&plan, &no_inspectors, &seed).unwrap().into_iter().map(|a| a.target_id).collect();
        prop_assert_eq!(a, b);
    }
}
