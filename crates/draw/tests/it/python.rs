//! The standard-library Python script reproduces the Rust draw and sampler.

use crate::common;

use std::path::PathBuf;
use std::process::Command;

use draw::{PublishedDraw, Verification, run_draw, verify};

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("draw_verify.py")
}

fn run_python(args: &[&str]) -> (bool, String) {
    let out = Command::new("python3")
        .arg(script())
        .args(args)
        .output()
        .expect("python3 runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn check_bundle(bundle: &PublishedDraw, name: &str) -> (bool, String) {
    let path =
        std::env::temp_dir().join(format!("ppetrace-draw-{}-{name}.json", std::process::id()));
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(bundle).expect("bundle serializes"),
    )
    .expect("temp file written");
    let r = run_python(&[path.to_str().expect("UTF-8 temp path")]);
    let _ = std::fs::remove_file(&path);
    r
}

fn bundle(
    plan: draw::DrawPlan,
    snapshot: draw::Snapshot,
    inputs: draw::SeedInputs,
) -> PublishedDraw {
    let result = run_draw(&plan, &snapshot, &inputs).expect("draw runs");
    PublishedDraw {
        plan,
        snapshot,
        seed_inputs: inputs,
        result,
    }
}

#[test]
fn python_reproduces_rust_draw() {
    let b = bundle(common::plan(), common::snapshot(), common::inputs());
    assert!(!b.result.assignments.is_empty());
    let (ok, out) = check_bundle(&b, "ok");
    assert!(ok, "{out}");
    assert_eq!(out.trim(), "MATCH");
}

#[test]
fn python_reproduces_variants() {
    // Same-region recusal, load cap (forcing shortfalls), commitments only.
    let mut plan = common::plan();
    plan.recuse_same_region = true;
    plan.max_assignments_per_inspector = Some(2);
    plan.inspectors_per_target = 3;
    plan.beacon_round = None;
    let mut inputs = common::inputs();
    inputs.beacon = None;
    let b = bundle(plan, common::snapshot(), inputs);
    assert!(
        !b.result.is_complete(),
        "the cap should cause a stated shortfall"
    );
    let (ok, out) = check_bundle(&b, "variant");
    assert!(ok, "{out}");
    // Beacon only.
    let mut plan = common::plan();
    plan.contribution_commitments.clear();
    let mut inputs = common::inputs();
    inputs.reveals.clear();
    let (ok, out) = check_bundle(&bundle(plan, common::snapshot(), inputs), "beacon");
    assert!(ok, "{out}");
}

#[test]
fn python_and_rust_report_the_same_first_difference() {
    let b = bundle(common::plan(), common::snapshot(), common::inputs());
    let mut tampered = b.clone();
    let a = &mut tampered.result.assignments[1];
    a.inspectors.swap(0, 1);
    let (ok, out) = check_bundle(&tampered, "tampered");
    assert!(!ok, "{out}");
    let Verification::Mismatch(d) = verify(
        &tampered.plan,
        &tampered.snapshot,
        &tampered.seed_inputs,
        &tampered.result,
    )
    .unwrap() else {
        panic!("Rust verify accepted a tampered result");
    };
    assert_eq!(d.path, "result.assignments[1].inspectors[0]");
    assert_eq!(out.trim(), format!("MISMATCH {d}"));

    // A dropped target is caught too.
    let mut dropped = b.clone();
    dropped.result.assignments.pop();
    let (ok, out) = check_bundle(&dropped, "dropped");
    assert!(
        !ok && out.starts_with("MISMATCH result.assignments:"),
        "{out}"
    );

    // A changed snapshot (different hash, different seed) is caught.
    let mut snap = b.clone();
    snap.snapshot.targets[0].complaint_count += 1;
    let (ok, out) = check_bundle(&snap, "snapshot");
    assert!(
        !ok && out.starts_with("MISMATCH result.assignments"),
        "{out}"
    );

    // A reveal that does not match its commitment is refused.
    let mut reveal = b;
    reveal.seed_inputs.reveals[0].push('!');
    let (ok, out) = check_bundle(&reveal, "reveal");
    assert!(
        !ok && out.contains("reveals do not match commitments"),
        "{out}"
    );
}

fn python_sample(seed: &str, n: usize, with_replacement: bool, ids: &[String]) -> Vec<String> {
    let n = n.to_string();
    let mut args = vec!["--sample", seed, n.as_str()];
    if with_replacement {
        args.push("--with-replacement");
    }
    args.extend(ids.iter().map(String::as_str));
    let (ok, out) = run_python(&args);
    assert!(ok, "{out}");
    out.lines().map(str::to_owned).collect()
}

fn rust_sample(seed: &str, n: usize, with_replacement: bool, ids: &[String]) -> Vec<String> {
    sampler::sample(ids, seed, with_replacement)
        .expect("distinct ids")
        .take(n)
        .map(|t| t.id)
        .collect()
}

#[test]
fn python_sampler_matches_rust_on_sampler_md_vectors() {
    let s = |xs: &[&str]| xs.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let hundred: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    type Case<'a> = (&'a str, Vec<String>, bool, usize, Option<Vec<String>>);
    let cases: Vec<Case> = vec![
        (
            "xy()134!g2n",
            s(&["dog", "cat", "fish", "goat"]),
            false,
            4,
            Some(s(&["cat", "dog", "goat", "fish"])),
        ),
        (
            "31",
            s(&["a", "b", "c", "d"]),
            false,
            4,
            Some(s(&["b", "a", "d", "c"])),
        ),
        (
            "77",
            s(&["a", "b", "c", "d"]),
            false,
            4,
            Some(s(&["b", "d", "c", "a"])),
        ),
        (
            "41",
            hundred.clone(),
            false,
            10,
            Some(s(&[
                "73", "51", "17", "58", "38", "42", "39", "20", "11", "67",
            ])),
        ),
        ("41", hundred, false, 100, None),
        (
            "314159",
            s(&["A#2", "B#7", "C#1", "D#4"]),
            true,
            8,
            Some(s(&["D#4", "C#1", "C#1", "B#7", "A#2", "C#1", "D#4", "B#7"])),
        ),
        ("314159", s(&["A#2", "B#7", "C#1", "D#4"]), true, 60, None),
        ("ünï/cødé", s(&["é", "e", "Ω", "x y", ""]), false, 5, None),
    ];
    for (seed, ids, repl, n, want) in cases {
        let py = python_sample(seed, n, repl, &ids);
        let rs = rust_sample(seed, n, repl, &ids);
        assert_eq!(py, rs, "seed {seed:?}");
        if let Some(want) = want {
            assert_eq!(rs, want, "seed {seed:?}");
        }
    }
}
