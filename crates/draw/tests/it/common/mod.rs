//! Shared fixtures for the draw integration tests.

use draw::{BeaconValue, ClassQuota, DrawPlan, Inspector, RiskClass, SeedInputs, Snapshot, Target};

pub fn sha(s: &str) -> String {
    draw::canonical::sha256_hex(s.as_bytes())
}

/// A registry with 60 targets over four classes and 14 inspectors in three
/// regions, some affiliated, some inactive, some who inspected last time.
pub fn snapshot() -> Snapshot {
    let regions = ["north", "south", "east"];
    let classes = [RiskClass::A, RiskClass::B, RiskClass::C, RiskClass::D];
    let targets = (0..60)
        .map(|i| Target {
            id: format!("T{i:03}"),
            name: format!("Fábrica «{i}» \"EPI\" Ltda"),
            risk_class: classes[i % 4],
            region: regions[i % 3].to_owned(),
            last_inspectors: if i % 5 == 0 {
                vec![format!("I{:02}", i % 14)]
            } else {
                vec![]
            },
            complaint_count: (i * 7 % 11) as u32,
        })
        .collect();
    let inspectors = (0..14)
        .map(|j| Inspector {
            id: format!("I{j:02}"),
            region: regions[j % 3].to_owned(),
            affiliations: if j % 4 == 1 {
                vec![format!("T{:03}", j * 3), format!("T{:03}", j * 4)]
            } else {
                vec![]
            },
            active: j != 6,
        })
        .collect();
    Snapshot {
        targets,
        inspectors,
    }
    .normalized()
}

pub fn plan() -> DrawPlan {
    DrawPlan {
        plan_id: "2026-Q4-PPE".to_owned(),
        quotas: vec![
            ClassQuota {
                class: RiskClass::A,
                fraction_bp: 3000,
                minimum: 2,
            },
            ClassQuota {
                class: RiskClass::B,
                fraction_bp: 1000,
                minimum: 2,
            },
            ClassQuota {
                class: RiskClass::C,
                fraction_bp: 200,
                minimum: 1,
            },
            ClassQuota {
                class: RiskClass::D,
                fraction_bp: 100,
                minimum: 1,
            },
        ],
        inspectors_per_target: 2,
        recuse_same_region: false,
        max_assignments_per_inspector: None,
        window_start: "2026-12-01T08:00:00Z".to_owned(),
        window_end: "2026-12-31T18:00:00-03:00".to_owned(),
        beacon_round: Some(5_123_456),
        contribution_commitments: {
            let mut c = vec![sha("regulator: 8f1e2d"), sha("union: ação 42")];
            c.sort();
            c
        },
        beacon_chain: None,
    }
}

pub fn inputs() -> SeedInputs {
    SeedInputs {
        beacon: Some(BeaconValue {
            round: 5_123_456,
            randomness: "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
                .to_owned(),
            signature: None,
            previous_signature: None,
        }),
        reveals: vec!["union: ação 42".to_owned(), "regulator: 8f1e2d".to_owned()],
    }
}
