//! Internal tests; public vectors are in `tests/`.

use super::tree::{idx, split_stored_hash_index, stored_hash_count, stored_hash_index};

#[test]
fn stored_hash_index_layout() {
    // Leaf 0, leaf 1, node(0..2), leaf 2, leaf 3, node(2..4), node(0..4), leaf 4, …
    let want = [
        (0, 0),
        (0, 1),
        (1, 0),
        (0, 2),
        (0, 3),
        (1, 1),
        (2, 0),
        (0, 4),
    ];
    for (i, &(l, n)) in want.iter().enumerate() {
        assert_eq!(stored_hash_index(l, n).unwrap(), i as u64);
        assert_eq!(split_stored_hash_index(i as u64).unwrap(), (l, n));
    }
    assert_eq!(stored_hash_count(0).unwrap(), 0);
    assert_eq!(stored_hash_count(1).unwrap(), 1);
    assert_eq!(stored_hash_count(2).unwrap(), 3);
    assert_eq!(stored_hash_count(4).unwrap(), 7);
    assert_eq!(stored_hash_count(5).unwrap(), 8);
}

#[test]
fn split_stored_hash_index_roundtrip() {
    // As Go's TestSplitStoredHashIndex, plus large values.
    for l in 0..10 {
        for n in 0..100 {
            let x = stored_hash_index(l, n).unwrap();
            assert_eq!(split_stored_hash_index(x).unwrap(), (l, n));
        }
    }
    for &(l, n) in &[
        (0u32, (1u64 << 62) - 1),
        (61, 1),
        (62, 0),
        (30, 12345),
        (8, 390_624),
    ] {
        let x = idx(l, n);
        assert_eq!(split_stored_hash_index(x).unwrap(), (l, n));
    }
    assert!(stored_hash_index(63, 0).is_err());
    assert!(stored_hash_index(0, 1 << 62).is_err());
    assert!(split_stored_hash_index(u64::MAX).is_err());
}
