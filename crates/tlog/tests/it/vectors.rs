//! Public test vectors: RFC 6962/9162 hashes, transparency-dev/merkle
//! reference inclusion/consistency proofs, the Go sumdb/tlog golden values,
//! and a real Certificate Transparency (Google Argon 2020) proof pair used
//! by Go's sumdb/tlog tests. Reimplemented here; only the data is public.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tlog::*;

fn h(s: &str) -> Hash {
    Hash::from_hex(s).unwrap()
}
fn b64(s: &str) -> Hash {
    Hash::from_base64(s).unwrap()
}
fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// ---- RFC 6962 hasher (transparency-dev/merkle rfc6962_test.go) ----

#[test]
fn rfc6962_hashes() {
    assert_eq!(
        EMPTY_ROOT,
        h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
    assert_eq!(merkle_root(&[]), EMPTY_ROOT);
    assert_eq!(tree_hash(0, &MemoryHashStore::new()).unwrap(), EMPTY_ROOT);
    assert_eq!(
        leaf_hash(b""),
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    );
    assert_eq!(
        leaf_hash(b"L123456"),
        h("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
    );
    // Second-preimage resistance and order dependence.
    let (a, b) = (leaf_hash(b"Hello"), leaf_hash(b"World"));
    assert_ne!(a, b);
    assert_ne!(node_hash(&a, &b), node_hash(&b, &a));
    assert_ne!(node_hash(&a, &b), leaf_hash(&[a.0, b.0].concat()));
}

// ---- transparency-dev/merkle proof/verify_test.go reference tree ----

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
const SOME_HASH: &str = "abacaba000000000000000000000000000000000000000000060061e00123456";

fn root(size: u64) -> Hash {
    h(ROOTS[size as usize - 1])
}

fn reference_store() -> MemoryHashStore {
    let mut s = MemoryHashStore::new();
    for l in LEAVES {
        s.append(&unhex(l)).unwrap();
    }
    s
}

/// (1-based leaf, size, proof) as in the reference vectors.
fn inclusion_vectors() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            6,
            8,
            vec![
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            3,
            3,
            vec![h(
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            )],
        ),
        (
            2,
            5,
            vec![
                h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
    ]
}

fn consistency_vectors() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            6,
            8,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            5,
            vec![
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
        (
            6,
            7,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
    ]
}

#[test]
fn reference_roots() {
    let leaves: Vec<Hash> = LEAVES.iter().map(|l| leaf_hash(&unhex(l))).collect();
    let mut s = MemoryHashStore::new();
    let mut cr = CompactRange::new();
    for (i, l) in leaves.iter().enumerate() {
        s.append_leaf_hash(*l).unwrap();
        let stored = cr.append(*l).unwrap();
        let size = i as u64 + 1;
        assert_eq!(merkle_root(&leaves[..=i]), root(size));
        assert_eq!(s.root().unwrap(), root(size));
        assert_eq!(cr.root(), root(size));
        assert_eq!(
            stored.as_slice(),
            &s.stored()[s.stored().len() - stored.len()..]
        );
    }
    for size in 1..=8 {
        assert_eq!(tree_hash(size, &s).unwrap(), root(size));
        assert_eq!(
            CompactRange::from_reader(size, &s).unwrap().root(),
            root(size)
        );
    }
}

fn corrupt_inclusion(
    index: u64,
    size: u64,
    proof: &[Hash],
    rt: Hash,
    leaf: Hash,
) -> Vec<(String, u64, u64, Vec<Hash>, Hash, Hash)> {
    let mut v = vec![
        (
            "index-1".into(),
            index.wrapping_sub(1),
            size,
            proof.to_vec(),
            rt,
            leaf,
        ),
        ("index+1".into(), index + 1, size, proof.to_vec(), rt, leaf),
        ("index^2".into(), index ^ 2, size, proof.to_vec(), rt, leaf),
        ("size*2".into(), index, size * 2, proof.to_vec(), rt, leaf),
        ("size/2".into(), index, size / 2, proof.to_vec(), rt, leaf),
        (
            "wrong leaf".into(),
            index,
            size,
            proof.to_vec(),
            rt,
            leaf_hash(b"WrongLeaf"),
        ),
        (
            "empty root".into(),
            index,
            size,
            proof.to_vec(),
            EMPTY_ROOT,
            leaf,
        ),
        (
            "random root".into(),
            index,
            size,
            proof.to_vec(),
            h(SOME_HASH),
            leaf,
        ),
        (
            "trailing root".into(),
            index,
            size,
            [proof, &[rt]].concat(),
            rt,
            leaf,
        ),
        (
            "preceding root".into(),
            index,
            size,
            [&[rt], proof].concat(),
            rt,
            leaf,
        ),
    ];
    for i in 0..proof.len() {
        let mut p = proof.to_vec();
        p[i].0[0] ^= 8;
        v.push((
            format!("modified proof[{i}] bit 3"),
            index,
            size,
            p,
            rt,
            leaf,
        ));
    }
    if !proof.is_empty() {
        v.push((
            "removed component".into(),
            index,
            size,
            proof[..proof.len() - 1].to_vec(),
            rt,
            leaf,
        ));
    }
    if proof.len() > 1 {
        let p = [&[proof[0], h(SOME_HASH)], &proof[1..]].concat();
        v.push(("inserted component".into(), index, size, p, rt, leaf));
    }
    v
}

#[test]
fn reference_inclusion_proofs() {
    let s = reference_store();
    for (leaf1, size, want) in inclusion_vectors() {
        let index = leaf1 - 1;
        let proof = inclusion_proof(size, index, &s).unwrap();
        assert_eq!(proof, want, "proof for leaf {index} in {size}");
        let leaf = leaf_hash(&unhex(LEAVES[index as usize]));
        let rt = root(size);
        assert_eq!(
            root_from_inclusion_proof(index, size, &leaf, &proof).unwrap(),
            rt
        );
        verify_inclusion(index, size, &leaf, &proof, &rt).unwrap();
        for (desc, i, sz, p, r, l) in corrupt_inclusion(index, size, &proof, rt, leaf) {
            assert!(
                verify_inclusion(i, sz, &l, &p, &r).is_err(),
                "accepted: {desc} ({index}, {size})"
            );
        }
    }
}

#[test]
fn inclusion_edge_cases() {
    let some = h(SOME_HASH);
    for (index, size) in [(0u64, 0u64), (0, 1), (1, 0), (2, 1)] {
        assert!(verify_inclusion(index, size, &some, &[], &EMPTY_ROOT).is_err());
    }
    // Single entry: root == leaf hash, empty proof.
    let lh = leaf_hash(b"data");
    verify_inclusion(0, 1, &lh, &[], &lh).unwrap();
    assert!(verify_inclusion(0, 1, &lh, &[], &some).is_err());
    assert!(Hash::from_slice(&[]).is_err());
    // Index out of range when generating.
    let s = reference_store();
    assert!(matches!(
        inclusion_proof(8, 8, &s),
        Err(Error::IndexOutOfRange { index: 8, size: 8 })
    ));
    assert!(matches!(
        inclusion_proof(0, 0, &s),
        Err(Error::IndexOutOfRange { .. })
    ));
    // Tree larger than the store: reader error, not a panic.
    assert!(matches!(
        inclusion_proof(9, 0, &s),
        Err(Error::HashNotFound(_))
    ));
    assert!(matches!(
        inclusion_proof(u64::MAX, 0, &s),
        Err(Error::TreeTooLarge)
    ));
}

#[test]
fn reference_consistency_proofs() {
    let s = reference_store();
    for (size1, size2, want) in consistency_vectors() {
        let proof = consistency_proof(size1, size2, &s).unwrap();
        assert_eq!(proof, want, "consistency {size1} -> {size2}");
        let (r1, r2) = (root(size1), root(size2));
        verify_consistency(size1, size2, &r1, &r2, &proof).unwrap();
        if proof.is_empty() {
            continue;
        }
        let junk = leaf_hash(b"WrongRoot");
        let mut probes: Vec<(String, u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            ("size1-1".into(), size1 - 1, size2, r1, r2, proof.clone()),
            ("size1+1".into(), size1 + 1, size2, r1, r2, proof.clone()),
            ("size1^2".into(), size1 ^ 2, size2, r1, r2, proof.clone()),
            ("size2*2".into(), size1, size2 * 2, r1, r2, proof.clone()),
            ("size2/2".into(), size1, size2 / 2, r1, r2, proof.clone()),
            ("wrong root1".into(), size1, size2, junk, r2, proof.clone()),
            ("wrong root2".into(), size1, size2, r1, junk, proof.clone()),
            ("swapped roots".into(), size1, size2, r2, r1, proof.clone()),
            ("empty proof".into(), size1, size2, r1, r2, vec![]),
            (
                "trailing root1".into(),
                size1,
                size2,
                r1,
                r2,
                [&proof[..], &[r1]].concat(),
            ),
            (
                "trailing root2".into(),
                size1,
                size2,
                r1,
                r2,
                [&proof[..], &[r2]].concat(),
            ),
            (
                "preceding root1".into(),
                size1,
                size2,
                r1,
                r2,
                [&[r1], &proof[..]].concat(),
            ),
            (
                "preceding root2".into(),
                size1,
                size2,
                r1,
                r2,
                [&[r2], &proof[..]].concat(),
            ),
            (
                "preceding proof[0]".into(),
                size1,
                size2,
                r1,
                r2,
                [&[proof[0]], &proof[..]].concat(),
            ),
            (
                "truncated".into(),
                size1,
                size2,
                r1,
                r2,
                proof[..proof.len() - 1].to_vec(),
            ),
        ];
        for i in 0..proof.len() {
            let mut p = proof.clone();
            p[i].0[0] ^= 16;
            probes.push((
                format!("modified proof[{i}] bit 4"),
                size1,
                size2,
                r1,
                r2,
                p,
            ));
        }
        for (desc, a, b, ra, rb, p) in probes {
            assert!(
                verify_consistency(a, b, &ra, &rb, &p).is_err(),
                "accepted: {desc} ({size1} -> {size2})"
            );
        }
    }
}

#[test]
fn consistency_edge_cases() {
    let r1 = leaf_hash(b"don't care 1");
    let r2 = leaf_hash(b"don't care 2");
    let e = EMPTY_ROOT;
    let cases: Vec<(u64, u64, Hash, Hash, Vec<Hash>, bool)> = vec![
        (0, 0, r1, r2, vec![], false),
        (1, 1, r1, r2, vec![], false),
        (0, 0, r1, r1, vec![], true),
        (0, 1, r1, r2, vec![], true),
        (1, 1, r2, r2, vec![], true),
        (1, 0, r1, r2, vec![], false),
        (2, 1, r1, r2, vec![], false),
        (1, 2, r1, r2, vec![], false),
        (0, 0, e, r2, vec![], false),
        (1, 1, e, r2, vec![], false),
        (0, 0, e, e, vec![e], false),
        (0, 1, e, e, vec![e], false),
        (1, 1, e, e, vec![e], false),
    ];
    for (a, b, ra, rb, p, ok) in cases {
        assert_eq!(
            verify_consistency(a, b, &ra, &rb, &p).is_ok(),
            ok,
            "{a} -> {b}"
        );
    }
    let s = reference_store();
    assert!(consistency_proof(0, 8, &s).unwrap().is_empty());
    assert!(consistency_proof(8, 8, &s).unwrap().is_empty());
    assert!(matches!(
        consistency_proof(5, 4, &s),
        Err(Error::InvalidSizes { .. })
    ));
    assert!(consistency_proof(4, 9, &s).is_err());
}

// ---- Go sumdb/tlog golden values ----

#[test]
fn go_tlog_checkpoint_golden() {
    // note_test.go TestFormatTree / TestParseTree.
    let text = "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
    let cp = Checkpoint::new(
        "go.sum database tree",
        123456789012,
        leaf_hash(b"hello world"),
    )
    .unwrap();
    assert_eq!(cp.to_text(), text);
    assert_eq!(Checkpoint::parse(text).unwrap(), cp);
    for bad in [
        "go.sum database tree\n0xabcdef\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
        "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n",
    ] {
        assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
    }
    // Extension lines are kept (C2SP tlog-checkpoint).
    let with_ext = format!("{text}JOE\n");
    let cp2 = Checkpoint::parse(&with_ext).unwrap();
    assert_eq!(cp2.extensions, vec!["JOE".to_string()]);
    assert_eq!(cp2.to_text(), with_ext);
}

#[test]
fn go_tlog_tile_paths() {
    // tlog_test.go tilePaths (index encoding; C2SP drops Go's height element).
    assert_eq!(Tile::new(0, 1, 256).unwrap().path(), "tile/0/001");
    assert_eq!(Tile::new(0, 1, 5).unwrap().path(), "tile/0/001.p/5");
    assert_eq!(
        Tile::new(5, 123456078, 256).unwrap().path(),
        "tile/5/x123/x456/078"
    );
    assert_eq!(
        Tile::new(5, 123456078, 2).unwrap().path(),
        "tile/5/x123/x456/078.p/2"
    );
    assert_eq!(
        Tile::new(0, 3057500, 256).unwrap().path(),
        "tile/0/x003/x057/500"
    );
    // C2SP tlog-tiles example.
    assert_eq!(
        Tile::new(2, 1234067, 256).unwrap().path(),
        "tile/2/x001/x234/067"
    );
    assert_eq!(
        Bundle::new(1234067, 256).unwrap().path(),
        "tile/entries/x001/x234/067"
    );
    assert_eq!(Bundle::new(0, 17).unwrap().path(), "tile/entries/000.p/17");
    for t in [
        Tile::new(0, 1, 256).unwrap(),
        Tile::new(5, 123456078, 2).unwrap(),
        Tile::new(63, u64::MAX, 255).unwrap(),
        Tile::new(1, 1000, 1).unwrap(),
    ] {
        assert_eq!(parse_path(&t.path()).unwrap(), TilePath::Tile(t));
    }
    let b = Bundle::new(1234067, 9).unwrap();
    assert_eq!(parse_path(&b.path()).unwrap(), TilePath::Bundle(b));
    for bad in [
        "tile/3/5/123/456/078",
        "tile/3/-1/123/456/078",
        "tile/1/data/x003/x057/500",
        "tile/5/123/x456/078",
        "tile/5/x123/x456/78",
        "tile/5/x000/078", // non-canonical
        "tile/64/000",
        "tile/01/000",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/05",
        "tile/0/000.p/",
        "tile/0/",
        "tile/0",
        "tile/entries/",
        "tile/entries/x1/000",
        "tile/0/x999/x999/x999/x999/x999/x999/999",
        "tile/0/x018/x446/x744/x073/x709/x551/616", // 2^64
        "/tile/0/000",
        "tile/0/000/",
        "tiles/0/000",
    ] {
        assert!(parse_path(bad).is_err(), "accepted {bad}");
    }
    assert_eq!(
        parse_path("tile/0/x018/x446/x744/x073/x709/x551/615").unwrap(),
        TilePath::Tile(Tile::new(0, u64::MAX, 256).unwrap())
    );
}

#[test]
fn c2sp_tiles_for_size_examples() {
    // "a tree of size 70,000 will be represented by 273 full level 0 tiles,
    // one partial level 0 tile of width 112, one full level 1 tile, one
    // partial level 1 tile of width 17, and one partial level 2 tile of width 1."
    let t = tiles_for_size(70_000).unwrap();
    let l0: Vec<_> = t.iter().filter(|t| t.level() == 0).collect();
    assert_eq!(l0.len(), 274);
    assert_eq!(l0.iter().filter(|t| t.is_full()).count(), 273);
    assert_eq!(l0.last().unwrap().width(), 112);
    let l1: Vec<_> = t.iter().filter(|t| t.level() == 1).collect();
    assert_eq!(
        l1.iter().map(|t| t.width()).collect::<Vec<_>>(),
        vec![256, 17]
    );
    let l2: Vec<_> = t.iter().filter(|t| t.level() == 2).collect();
    assert_eq!(l2.iter().map(|t| t.width()).collect::<Vec<_>>(), vec![1]);
    assert_eq!(t.len(), 277);
    // "a tree of size 256 will be represented by a full level 0 tile and a
    // partial level 1 tile of width 1."
    assert_eq!(
        tiles_for_size(256).unwrap(),
        vec![Tile::new(0, 0, 256).unwrap(), Tile::new(1, 0, 1).unwrap()]
    );
    assert!(tiles_for_size(0).unwrap().is_empty());
    // Incremental: only changed tiles.
    assert!(new_tiles(100, 100).unwrap().is_empty());
    assert_eq!(
        new_tiles(100, 101).unwrap(),
        vec![Tile::new(0, 0, 101).unwrap()]
    );
    assert_eq!(
        new_tiles(255, 257).unwrap(),
        vec![
            Tile::new(0, 0, 256).unwrap(),
            Tile::new(0, 1, 1).unwrap(),
            Tile::new(1, 0, 1).unwrap()
        ]
    );
    assert_eq!(
        new_tiles(256, 300).unwrap(),
        vec![Tile::new(0, 1, 44).unwrap()]
    );
    assert!(new_tiles(2, 1).is_err());
    assert_eq!(new_bundles(0, 300).unwrap().len(), 2);
}

// ---- Certificate Transparency (Google Argon 2020), via Go sumdb/tlog ct_test.go ----

const ARGON_LEAF_10000: &str = "AAAAAAFelPhqUwAAAAViMIIFXjCCBEagAwIBAgIRAOodHzZdqWIFzYyl/SovhCMwDQYJKoZIhvcNAQELBQAwgZAxCzAJBgNVBAYTAkdCMRswGQYDVQQIExJHcmVhdGVyIE1hbmNoZXN0ZXIxEDAOBgNVBAcTB1NhbGZvcmQxGjAYBgNVBAoTEUNPTU9ETyBDQSBMaW1pdGVkMTYwNAYDVQQDEy1DT01PRE8gUlNBIERvbWFpbiBWYWxpZGF0aW9uIFNlY3VyZSBTZXJ2ZXIgQ0EwHhcNMTcwMjE1MDAwMDAwWhcNMjAwNDE2MjM1OTU5WjBfMSEwHwYDVQQLExhEb21haW4gQ29udHJvbCBWYWxpZGF0ZWQxHTAbBgNVBAsTFFBvc2l0aXZlU1NMIFdpbGRjYXJkMRswGQYDVQQDDBIqLmxhbmRsb3Jkcy5jb20uYXUwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCtPBKKHj4zdrGlCjgTHzb5gx9JCs97DwvBz60f14gDufF2haWbOxyJ0a3opAMsZnOr8HkARVCwxdqG/PTfACcb0QM7FOlzvxGqxataTYiChwvkkif8F9GlJw69HuHgzhusPf1Ytfk3ps1PRC14MkyrS4kwPrk/Le4XdkqRpRw62wG4V6IkbzsNMEOl1H8EgUbfyapdOcVxHjIzvBVy56fBRKG05Fr5wNq3Acak5kYZdNsLhhmlrqAfAjiombW3hb3V5blJdRC0BDdYHv2+zKey6LqJ1FDoXo6IzbzPpC+aifZy47YX+/N1U64Qn5xlDg7mOP8JXfkNJHbU1TJZHif5AgMBAAGjggHhMIIB3TAfBgNVHSMEGDAWgBSQr2o6lFoL2JDqElZz30O0Oija5zAdBgNVHQ4EFgQUNQSLjkoz01I+iuuoC5lgEp0anhcwDgYDVR0PAQH/BAQDAgWgMAwGA1UdEwEB/wQCMAAwHQYDVR0lBBYwFAYIKwYBBQUHAwEGCCsGAQUFBwMCME8GA1UdIARIMEYwOgYLKwYBBAGyMQECAgcwKzApBggrBgEFBQcCARYdaHR0cHM6Ly9zZWN1cmUuY29tb2RvLmNvbS9DUFMwCAYGZ4EMAQIBMFQGA1UdHwRNMEswSaBHoEWGQ2h0dHA6Ly9jcmwuY29tb2RvY2EuY29tL0NPTU9ET1JTQURvbWFpblZhbGlkYXRpb25TZWN1cmVTZXJ2ZXJDQS5jcmwwgYUGCCsGAQUFBwEBBHkwdzBPBggrBgEFBQcwAoZDaHR0cDovL2NydC5jb21vZG9jYS5jb20vQ09NT0RPUlNBRG9tYWluVmFsaWRhdGlvblNlY3VyZVNlcnZlckNBLmNydDAkBggrBgEFBQcwAYYYaHR0cDovL29jc3AuY29tb2RvY2EuY29tMC8GA1UdEQQoMCaCEioubGFuZGxvcmRzLmNvbS5hdYIQbGFuZGxvcmRzLmNvbS5hdTANBgkqhkiG9w0BAQsFAAOCAQEACyHqxUzrexToY7tOv4+kyGPP2D27P1tQpyzeAl1bPObiMhNK2b9vvBLDWAaqm8c0YL1h+DBdLoWzf3xFsIkTCVCjWJTNSNlcYtgRk6or1s7jWsfXzWqsnPjPPmTIOCw7EfH7Yme3oxPs3UUsmShAgPwNohAtL9GqlqMiKM6v1WU3NHt01jEoNP23LRa6KeNK6AH6WHJykzL223IlhgXjHTeuQj6lR+TNrQXJuhwTXYe+20rrpPQxc1Pn7AqnvfWgmicRQ7gdIcr4V6+ecTvLfNOaJ0ZYe5G5giuAAdTm7F57pk04f4gyZNYKrj88mvbkoriN8b6jcWExtrYO6bm2TwAA";

const ARGON_AUDIT_PATH: [&str; 30] = [
    "T46AmJsuOM/gFiGlUp+IJJebp+1Z5qratFNW7U0JyOQ=",
    "9Jj1Feodn42uRYEfffkV4HF/EIPFQ5Zo9IwkxbQ2uhk=",
    "D53/1oCNebF4J59HHgioovKZxrmrKcVuCVhy3Izg8Ck=",
    "wSFDgGSrsXRPA+1c8WHoAFCsWeUv8NDyP/Q/SgsyVyY=",
    "516/RcwsgdwdzHn18v1dJHqBkgFUbNhmCIWOGjsMJaE=",
    "naTFY2ajLFgrgs5XUl+zJYZnnlJksLGsA1VYwpLfqbY=",
    "mKBRJo6qao+0Kdh/rhGkZUbHUAxMhrtrclrTpIbNjIg=",
    "Co4ueOFE7lpifLio94irxxsv1wFMMaK3tPu2ZQkHlro=",
    "yRgy800K6JMYCC05sWfqF2kvCg2riT/pVM+nEa6V5+0=",
    "n2O38XJZC8/Wpbwi9HhgVizlUyeUHVZvYyQB1607MRc=",
    "go3tAjuNfNSCj87y2Rg1xOroDknGN1eaf3cgvzObf7Q=",
    "8D0Mj3/J7ySSnFb0afIHYXv6rlOhECnsebY6XKi1IR8=",
    "6rcez46ZU8M5vPiWVMAUfJfAOV0pPP/mch/lYzZhj/M=",
    "2rtIeXrPvSdUyHc5maIgSAVB2BzaKaupWxSAiVayDE4=",
    "nniW/IMFQPN5xw8UsHFn7CRStYbm1gLu7NNa6kkRqJQ=",
    "mRPPi7sQS22MduIEyvcNzCNFqIt6kLwYPkNKrVtIcu8=",
    "JvTivzESNS9wHI8aph5a7uieVmtS/p9PciMZ5D6GyOo=",
    "UTyQd+Ym0wY4zG+qK806bBORwi1CSVvFQ/KknnqoZj8=",
    "hXODrqN+ff+U6zPqRQ+ZQKs6im1fPcxIerDSfNwflhE=",
    "II6GE+WY/DrpZzfHztLwkR46o37zVkNLCyPYlf68zA0=",
    "d609kWWcNBllbA8Jb/ad4XAVVGnScLRmtP8FYyr+Dck=",
    "rikBsP0G0gioXRpBFED2CzQdSLrGPvRd0bEcbEZw1rI=",
    "GXIElfmnRuWfbA4z7ubV/UwlpSRUbUeec7oL5HDDnh0=",
    "pR0SH/NYP6s9+8azWwaeUXA4Ze/3WCIgMfh5YW6wvcE=",
    "f3GuAKYVrF8RBg3s15jvA/YvV9oAliWtzP/imwPhQVA=",
    "WHn8zDxlVgkV+lSlmzaOdfSBrTHoRr5nT3d76q0KKWE=",
    "f2uV2ZxVgULzLPKuZcowRY3ZY7fRlX59iDBjV1R8kNQ=",
    "NzQVjJsvQwbi7WStMr9oFkh9VbHfK7LB6o7WwAqwNTs=",
    "C0LttBeYHZHgL+032JIcJC3CTBIyza/hsbmJUgJfmDI=",
    "nixU5CWTFVDlF4BGdcU6kA7WSYurEpe9jRWc+F/7sOc=",
];

const ARGON_CONSISTENCY: [&str; 30] = [
    "80Sfbj6UQEdVSZCSIgh9NMPj3vCBzcc1A48B2crJSWg=",
    "FZcrgAHUk6nNPviJZq8kEK6jCG1d18pJOFE45ZDc1TQ=",
    "Q67reWXmPBo1UfmwBap4Xi9PMPfFdUSSw3WGlRZdG7k=",
    "eJ7CyhR4PxzBxDIsWgrVYW1eFUb9ndgf46tFmiqVrxA=",
    "QrDwp062Grm5WY8KdrhFsBuuNjGzRox2Jb8PmVL5OYw=",
    "XM4YMjMEdLH/XJam/ZWyaP14k3cmsOtnPsOWQ54lW1s=",
    "SGiBh+jOTGccXU48ZzgQ88lRcBmtB4wz4oSDndv2QTg=",
    "WAS6txqNLYKGL1GdBdpqmV42TTfn6cJsuDsqLXuTCNI=",
    "QFmRS0rirUA7ZN3lxFjDncV+E1OCrn3NUB4RCp+5fzc=",
    "Hdbp7It2XBNZmNDBpCN/KPd7vfVqxgzwOosqVIaEA9E=",
    "mxvHL0ZiblBdD7j7pIa1jlfB0gSqfJ6oX0UGo7L0VsU=",
    "q5hjyvoW6TL/PThgcitpDcSTrnKX2p1+aqscqH2euRA=",
    "jTOWDqt3IHj2NVFeezyBz2ofpru+ztEywqKUAfFclKI=",
    "GIRn0w3HqJdvU9j1WVD//eR6lk2AaTVjyzjsJNP8U88=",
    "x52GJvxG81fnQBrgOTbll1A5tz95/LXK0Ag1NhB0r1I=",
    "6/0OqrcTgc3o5dD5PymmoC96lB9yLPFuTHVvLy8fSGk=",
    "Gf+iKLfcXO5l4JEFmsZvSdG5q1uEeWPfYLrds6pmjz0=",
    "DGuaco+McyM3AfRSF6qX7RwSetwe2ieYJmxw5e9rVx0=",
    "2tQJ9V32hnYp+fdpP6TcjmgJmLeNVOMKM0Ml1kk4cNU=",
    "3PapK+IkyJr8I9yAErAmzuZezzLMzsg+PfeRCgNW8NQ=",
    "s6xiYeejb+wtqHA+URJZ2I/SCPyIW8coP6aB00FJbMY=",
    "z9lSpmdTcr5M5ZzKlc4EPh3SrSypKFdk6JUF/UccaZU=",
    "GXIElfmnRuWfbA4z7ubV/UwlpSRUbUeec7oL5HDDnh0=",
    "pR0SH/NYP6s9+8azWwaeUXA4Ze/3WCIgMfh5YW6wvcE=",
    "f3GuAKYVrF8RBg3s15jvA/YvV9oAliWtzP/imwPhQVA=",
    "WHn8zDxlVgkV+lSlmzaOdfSBrTHoRr5nT3d76q0KKWE=",
    "f2uV2ZxVgULzLPKuZcowRY3ZY7fRlX59iDBjV1R8kNQ=",
    "NzQVjJsvQwbi7WStMr9oFkh9VbHfK7LB6o7WwAqwNTs=",
    "C0LttBeYHZHgL+032JIcJC3CTBIyza/hsbmJUgJfmDI=",
    "nixU5CWTFVDlF4BGdcU6kA7WSYurEpe9jRWc+F/7sOc=",
];

#[test]
fn certificate_transparency_argon2020() {
    let size = 961_984_013u64;
    let rt = b64("dwlueapdd7LaOEnX2W2Wp9v2XE+KzejHRQGHwEx0oaM=");
    let leaf = leaf_hash(&STANDARD.decode(ARGON_LEAF_10000).unwrap());
    let path: Vec<Hash> = ARGON_AUDIT_PATH.iter().map(|s| b64(s)).collect();
    verify_inclusion(10_000, size, &leaf, &path, &rt).unwrap();
    assert!(verify_inclusion(10_001, size, &leaf, &path, &rt).is_err());

    let old = b64("AuIZ5V6sDUj1vn3Y1K85oOaQ7y+FJJKtyRTl1edIKBQ=");
    let proof: Vec<Hash> = ARGON_CONSISTENCY.iter().map(|s| b64(s)).collect();
    verify_consistency(3_654_490, size, &old, &rt, &proof).unwrap();
    let mut bad = proof.clone();
    bad[7].0[31] ^= 1;
    assert!(verify_consistency(3_654_490, size, &old, &rt, &bad).is_err());
}
