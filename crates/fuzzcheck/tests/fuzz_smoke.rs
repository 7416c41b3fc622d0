//! Fuzzing in CI: every `cargo fuzz` target runs for a short fixed budget
//! from its committed seed corpus, and must not crash.
//!
//! * With `cargo fuzz` installed, each target runs under libFuzzer
//!   (`-max_total_time`, per target [`SECONDS`]), two at a time, built into
//!   `<target dir>/fuzz`. New inputs go to a temporary directory, so the
//!   committed corpus never changes; a crash fails the test and names the
//!   reproducer (`-artifact_prefix`).
//! * When `CI` is set and `cargo fuzz` is missing, the test fails: CI must
//!   never skip fuzzing silently (`.ci/run` installs cargo-fuzz).
//! * Locally without `cargo fuzz`, the same target bodies replay the seed
//!   corpus and deterministic mutations of it on stable
//!   ([`seed_corpora_replay_on_stable`] always does that, too).
//!
//! `PPETRACE_FUZZ_SECONDS` overrides the per-target budget (docs/fuzzing.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::Instant;

use fuzzcheck::{TARGETS, Target};

/// Per-target libFuzzer budget in CI.
const SECONDS: u64 = 5;

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn cargo_fuzz_available() -> bool {
    Command::new(cargo())
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The seed plus cheap deterministic variants: prefixes, single-byte
/// deletions and bit flips at a few positions, and the seed doubled.
fn variants(seed: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![seed.to_vec(), Vec::new()];
    let n = seed.len();
    let step = (n / 16).max(1);
    for i in (0..n).step_by(step) {
        out.push(seed[..i].to_vec());
        let mut del = seed.to_vec();
        del.remove(i);
        out.push(del);
        let mut flip = seed.to_vec();
        flip[i] ^= 0x20;
        out.push(flip);
        let mut ctl = seed.to_vec();
        ctl[i] = 0;
        out.push(ctl);
    }
    let mut twice = seed.to_vec();
    twice.extend_from_slice(seed);
    out.push(twice);
    out
}

fn replay(t: &Target) -> usize {
    let seeds = t.seeds();
    assert!(
        !seeds.is_empty(),
        "fuzz target {}/{} has no seed corpus in {}",
        t.krate,
        t.name,
        t.corpus_dir().display()
    );
    let mut n = 0;
    for path in seeds {
        let seed = std::fs::read(&path).unwrap();
        for v in variants(&seed) {
            let r = std::panic::catch_unwind(|| (t.run)(&v));
            assert!(
                r.is_ok(),
                "fuzz target {}/{} panicked on a variant of {}: {:?}",
                t.krate,
                t.name,
                path.display(),
                String::from_utf8_lossy(&v)
            );
            n += 1;
        }
    }
    n
}

/// Every target has a committed seed corpus, and the target bodies accept
/// every seed and its simple mutations without panicking (stable Rust, no
/// cargo-fuzz needed).
#[test]
fn seed_corpora_replay_on_stable() {
    let mut total = 0;
    for t in TARGETS {
        total += replay(t);
    }
    assert!(total > 100, "replayed only {total} inputs");
}

/// Every target in a fuzz crate's Cargo.toml is in [`TARGETS`] and vice
/// versa, and every fuzz dir is excluded from the workspace.
#[test]
fn every_fuzz_target_is_checked() {
    let root = fuzzcheck::workspace_root();
    let root_toml = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("fuzz"))
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    let mut declared = Vec::new();
    for d in &dirs {
        let krate = d
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            root_toml.contains(&format!("\"crates/{krate}/fuzz\"")),
            "crates/{krate}/fuzz is not in the workspace exclude list"
        );
        let toml = std::fs::read_to_string(d.join("Cargo.toml")).unwrap();
        // `name = "…"` right after each `[[bin]]` header.
        let mut in_bin = false;
        for line in toml.lines().map(str::trim) {
            if line.starts_with('[') {
                in_bin = line == "[[bin]]";
            } else if in_bin && let Some(name) = line.strip_prefix("name = \"") {
                declared.push((krate.clone(), name.trim_end_matches('"').to_owned()));
            }
        }
    }
    declared.sort();
    let mut listed: Vec<(String, String)> = TARGETS
        .iter()
        .map(|t| (t.krate.to_owned(), t.name.to_owned()))
        .collect();
    listed.sort();
    assert_eq!(
        declared, listed,
        "fuzz targets in crates/*/fuzz/Cargo.toml vs fuzzcheck::TARGETS"
    );
}

fn fuzz_target_dir() -> PathBuf {
    fuzzcheck::target_dir().join("fuzz")
}

fn cargo_fuzz(krate_dir: &Path, args: &[&str]) -> Output {
    let mut c = Command::new(cargo());
    c.current_dir(krate_dir)
        .arg("fuzz")
        .args(args)
        .env("RUSTC_BOOTSTRAP", "1")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS");
    c.output().expect("cargo fuzz runs")
}

/// Flags shared by build and run, so that `run` reuses the build.
fn build_flags(target_dir: &str) -> Vec<&str> {
    // No sanitizer: our crates forbid unsafe code, and the smoke run is about
    // panics, overflows (debug assertions are on), hangs and OOMs; the
    // documented long run uses AddressSanitizer.
    vec![
        "--sanitizer",
        "none",
        "--debug-assertions",
        "--target-dir",
        target_dir,
    ]
}

#[test]
fn fuzz_smoke() {
    if !cargo_fuzz_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but `cargo fuzz` is missing: install it with \
             `cargo install cargo-fuzz --locked` (.ci/run does)"
        );
        eprintln!(
            "fuzz_smoke: cargo-fuzz not installed; replaying the seed corpora on stable instead \
             (install with `cargo install cargo-fuzz --locked` to fuzz)"
        );
        for t in TARGETS {
            replay(t);
        }
        return;
    }
    let seconds: u64 = std::env::var("PPETRACE_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SECONDS);
    let tdir = fuzz_target_dir();
    let tdir_s = tdir.to_str().expect("UTF-8 target dir").to_owned();
    let started = Instant::now();

    // Build every fuzz crate first (one cargo invocation per crate builds
    // all its targets; dependencies are shared through the target dir).
    let mut krates: Vec<&str> = TARGETS.iter().map(|t| t.krate).collect();
    krates.dedup();
    for k in &krates {
        let dir = fuzzcheck::workspace_root().join("crates").join(k);
        let mut args = vec!["build"];
        args.extend(build_flags(&tdir_s));
        let out = cargo_fuzz(&dir, &args);
        assert!(
            out.status.success(),
            "cargo fuzz build failed in crates/{k}/fuzz:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let built = started.elapsed();

    // Run, two targets at a time.
    let scratch = tempfile::tempdir().unwrap();
    let queue = Mutex::new(TARGETS.iter().collect::<Vec<_>>());
    let failures = Mutex::new(Vec::<String>::new());
    let report = Mutex::new(Vec::<String>::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let Some(t) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    let work = scratch.path().join(format!("{}-{}", t.krate, t.name));
                    let new_inputs = work.join("corpus");
                    std::fs::create_dir_all(&new_inputs).unwrap();
                    let artifacts = format!("-artifact_prefix={}/", work.display());
                    let time = format!("-max_total_time={seconds}");
                    let seeds = t.corpus_dir();
                    let new_s = new_inputs.to_str().unwrap().to_owned();
                    let seeds_s = seeds.to_str().unwrap().to_owned();
                    let mut args = vec!["run"];
                    args.extend(build_flags(&tdir_s));
                    args.extend([
                        t.name,
                        new_s.as_str(),
                        seeds_s.as_str(),
                        "--",
                        time.as_str(),
                        "-runs=50000000",
                        "-timeout=10",
                        "-rss_limit_mb=1024",
                        "-max_len=65536",
                        "-print_final_stats=1",
                        artifacts.as_str(),
                    ]);
                    let dir = fuzzcheck::workspace_root().join("crates").join(t.krate);
                    let out = cargo_fuzz(&dir, &args);
                    let err = String::from_utf8_lossy(&out.stderr);
                    let execs = err
                        .lines()
                        .find(|l| l.starts_with("stat::number_of_executed_units"))
                        .and_then(|l| l.rsplit(' ').next())
                        .unwrap_or("?")
                        .to_owned();
                    report
                        .lock()
                        .unwrap()
                        .push(format!("{}/{}: {execs} runs", t.krate, t.name));
                    if !out.status.success() {
                        let tail: Vec<&str> = err.lines().rev().take(60).collect();
                        let tail: Vec<&str> = tail.into_iter().rev().collect();
                        failures.lock().unwrap().push(format!(
                            "fuzz target {}/{} failed (reproducer under {}; copy it out before \
                             the temp dir goes):\n{}",
                            t.krate,
                            t.name,
                            work.display(),
                            tail.join("\n")
                        ));
                    }
                }
            });
        }
    });
    let mut report = report.into_inner().unwrap();
    report.sort();
    eprintln!(
        "fuzz_smoke: built in {:.0?}, total {:.0?}; {}",
        built,
        started.elapsed(),
        report.join(", ")
    );
    let failures = failures.into_inner().unwrap();
    if !failures.is_empty() {
        // Keep the reproducers for inspection.
        let kept = scratch.keep();
        panic!(
            "{} (artifacts kept in {})",
            failures.join("\n\n"),
            kept.display()
        );
    }
}
