//! Every vector of `conformance/sampler.md`, plus properties.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use sampler::{LegacySampler, SamplerError, first_ticket, next_ticket, order, sample, uniform};

fn ids(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn first_ticket_vector() {
    let t = first_ticket("AB-130", "01382438112797316654");
    assert!(t.starts_with("0.26299714122838008416"), "{t}");
    // Full value published in the reference implementation's doctest.
    assert_eq!(
        t,
        "0.26299714122838008416507544297546663599715395525154425586041245287750224561854"
    );
}

#[test]
fn uniform_vector() {
    assert_eq!(
        uniform("abc"),
        "0.56998071861792858926477341561059638840106636224182943832566300809078486324348"
    );
}

#[test]
fn next_ticket_vector() {
    let t = next_ticket("0.25471").unwrap();
    assert!(t.starts_with("0.64285326165500469469"), "{t}");
    assert_eq!(
        t,
        "0.642853261655004694691182528114375607701032283189922170593838029306715548381901"
    );
}

#[test]
fn next_ticket_keeps_leading_nines_and_increases() {
    for x in ["0.9", "0.99", "0.999123", "0.", "0.0", "0.5"] {
        let y = next_ticket(x).unwrap();
        assert!(y.as_str() > x, "{y} <= {x}");
        let nines = x[2..].bytes().take_while(|&c| c == b'9').count();
        assert!(y[2..].bytes().take(nines).all(|c| c == b'9'));
    }
}

#[test]
fn next_ticket_rejects_malformed() {
    for x in ["", "1.5", "0,5", "0.5a", ".5"] {
        assert!(
            matches!(next_ticket(x), Err(SamplerError::MalformedTicket(_))),
            "{x}"
        );
    }
}

#[test]
fn without_replacement_vectors() {
    assert_eq!(
        order(["dog", "cat", "fish", "goat"], "xy()134!g2n").unwrap(),
        ids(&["cat", "dog", "goat", "fish"])
    );
    assert_eq!(
        order(["a", "b", "c", "d"], "31").unwrap(),
        ids(&["b", "a", "d", "c"])
    );
    assert_eq!(
        order(["a", "b", "c", "d"], "77").unwrap(),
        ids(&["b", "d", "c", "a"])
    );
    let hundred: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    let got = order(&hundred, "41").unwrap();
    assert_eq!(
        got[..10],
        ids(&["73", "51", "17", "58", "38", "42", "39", "20", "11", "67"])
    );
    // The lazy iterator gives the same order as the sort.
    let lazy: Vec<String> = sample(&hundred, "41", false)
        .unwrap()
        .map(|t| t.id)
        .collect();
    assert_eq!(lazy, got);
}

#[test]
fn with_replacement_vector() {
    let got: Vec<String> = sample(["A#2", "B#7", "C#1", "D#4"], "314159", true)
        .unwrap()
        .take(8)
        .map(|t| t.id)
        .collect();
    assert_eq!(
        got,
        ids(&["D#4", "C#1", "C#1", "B#7", "A#2", "C#1", "D#4", "B#7"])
    );
}

#[test]
fn with_replacement_generations_and_increasing_tickets() {
    let draws: Vec<_> = sample(["x", "y", "z"], "seed", true)
        .unwrap()
        .take(50)
        .collect();
    for w in draws.windows(2) {
        assert!(w[0] < w[1]);
    }
    for id in ["x", "y", "z"] {
        let gens: Vec<u64> = draws
            .iter()
            .filter(|t| t.id == id)
            .map(|t| t.generation)
            .collect();
        assert_eq!(gens, (1..=gens.len() as u64).collect::<Vec<_>>());
    }
}

#[test]
fn duplicates_rejected() {
    assert_eq!(
        order(["a", "b", "a"], "1"),
        Err(SamplerError::DuplicateId("a".to_owned()))
    );
    assert!(sample(["a", "a"], "1", true).is_err());
}

#[test]
fn empty_list() {
    assert!(order(Vec::<String>::new(), "1").unwrap().is_empty());
    assert_eq!(
        sample(Vec::<String>::new(), "1", true).unwrap().next(),
        None
    );
}

#[test]
fn legacy_with_replacement_vectors() {
    let cases: [(&str, i64, [i64; 3]); 6] = [
        ("0", 1000, [905, 573, 160]),
        ("0", 2, [1, 1, 2]),
        ("1", 1000, [97, 89, 163]),
        ("0000000000", 1000, [978, 359, 132]),
        ("999999999999999999999999", 1000, [544, 800, 654]),
        ("abcde", 1000, [247, 427, 157]),
    ];
    for (seed, total, want) in cases {
        let got: Vec<i64> = LegacySampler::new(seed, 1, total, true)
            .unwrap()
            .take(3)
            .collect();
        assert_eq!(got, want, "seed {seed:?} total {total}");
    }
}

#[test]
fn legacy_without_replacement_vector() {
    let got: Vec<i64> = LegacySampler::new("3546311556112163624615351222", 1, 876, false)
        .unwrap()
        .take(5)
        .collect();
    assert_eq!(got, [740, 180, 264, 789, 238]);
}

#[test]
fn legacy_seed_is_trimmed_and_range_checked() {
    let a: Vec<i64> = LegacySampler::new("  abcde \n", 1, 1000, true)
        .unwrap()
        .take(3)
        .collect();
    assert_eq!(a, [247, 427, 157]);
    assert_eq!(
        LegacySampler::new("0", 5, 4, true).err(),
        Some(SamplerError::EmptyRange { low: 5, high: 4 })
    );
}

#[test]
fn legacy_without_replacement_exhausts_range() {
    let mut got: Vec<i64> = LegacySampler::new("s", -3, 6, false).unwrap().collect();
    got.sort_unstable();
    assert_eq!(got, (-3..=6).collect::<Vec<_>>());
    let full: Vec<i64> = LegacySampler::new("s", i64::MIN, i64::MAX, true)
        .unwrap()
        .take(3)
        .collect();
    assert_eq!(full.len(), 3);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Sampling a set then removing ids gives the same relative order as
    /// sampling the smaller set.
    #[test]
    fn removal_keeps_relative_order(
        set in proptest::collection::btree_set("[a-zA-Z0-9#-]{1,8}", 0..40),
        mask in proptest::collection::vec(any::<bool>(), 40),
        seed in ".{0,20}",
    ) {
        let all: Vec<String> = set.into_iter().collect();
        let keep: Vec<String> = all.iter().zip(&mask).filter(|(_, k)| **k).map(|(s, _)| s.clone()).collect();
        let full = order(&all, &seed).unwrap();
        let filtered: Vec<String> = full.into_iter().filter(|id| keep.contains(id)).collect();
        prop_assert_eq!(filtered, order(&keep, &seed).unwrap());
    }

    /// Without replacement the output is a permutation of the input.
    #[test]
    fn without_replacement_is_permutation(
        set in proptest::collection::btree_set(".{0,6}", 0..50),
        seed in ".{0,20}",
    ) {
        let all: Vec<String> = set.into_iter().collect();
        let mut got: Vec<String> = sample(&all, &seed, false).unwrap().map(|t| t.id).collect();
        got.sort();
        prop_assert_eq!(got, all);
    }

    /// The sorted order equals the lazy heap order (the keyed sort of
    /// `order` agrees with full ticket comparison).
    #[test]
    fn order_equals_lazy(
        set in proptest::collection::btree_set(".{0,6}", 0..60),
        seed in ".{0,20}",
    ) {
        let all: Vec<String> = set.into_iter().collect();
        let lazy: Vec<String> = sample(&all, &seed, false).unwrap().map(|t| t.id).collect();
        prop_assert_eq!(order(&all, &seed).unwrap(), lazy);
    }

    /// The 2011 sampler stays inside its range.
    #[test]
    fn legacy_in_range(seed in ".{0,12}", low in -1000i64..1000, width in 0i64..1000) {
        for v in LegacySampler::new(&seed, low, low + width, true).unwrap().take(20) {
            prop_assert!(v >= low && v <= low + width);
        }
    }
}
