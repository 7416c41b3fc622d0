//! Tests against public vectors: golang.org/x/mod/sumdb/note golden values and
//! the C2SP signed-note / tlog-cosignature spec examples.

use super::*;

const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter() -> Verifier {
    PETER_VKEY.parse().unwrap()
}
fn enoch() -> Verifier {
    ENOCH_VKEY.parse().unwrap()
}
fn msg(parts: &[&str]) -> Vec<u8> {
    parts.concat().into_bytes()
}

#[test]
fn go_verifier_key_parses_and_roundtrips() {
    let v = peter();
    assert_eq!(v.name(), "PeterNeumann");
    assert_eq!(v.key_id(), 0xc74f20a3);
    assert_eq!(v.sig_type(), SIG_TYPE_ED25519);
    assert_eq!(v.to_key_string(), PETER_VKEY);
    assert_eq!(enoch().key_id(), 0xaf0cfe78);
}

#[test]
fn go_verifier_key_manglings_rejected() {
    let b = PETER_VKEY.as_bytes();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i == 0 && j == b.len() {
                continue;
            }
            let s = String::from_utf8_lossy(&b[i..j]);
            assert!(s.parse::<Verifier>().is_err(), "accepted {s:?}");
        }
    }
    let mut m = b.to_vec();
    for i in 0..m.len() {
        m[i] += 1;
        let s = String::from_utf8_lossy(&m).into_owned();
        assert!(s.parse::<Verifier>().is_err(), "accepted {s:?}");
        m[i] -= 1;
    }
    // Wrong key length with adjusted key ID; unknown algorithm with adjusted key ID.
    assert!(
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
            .parse::<Verifier>()
            .is_err()
    );
    assert_eq!(
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW".parse::<Verifier>(),
        Err(Error::UnknownSignatureType(0x65))
    );
}

#[test]
fn go_signer_key_parses_and_matches_verifier() {
    let s: Signer = PETER_SKEY.parse().unwrap();
    assert_eq!(s.name(), "PeterNeumann");
    assert_eq!(s.key_id(), 0xc74f20a3);
    assert_eq!(s.verifier(), peter());
    assert_eq!(s.to_secret_key_string(), PETER_SKEY);
    // Debug must not leak the secret.
    assert_eq!(format!("{s:?}"), "Signer(PeterNeumann+c74f20a3)");
}

#[test]
fn go_signer_key_manglings_rejected() {
    let b = PETER_SKEY.as_bytes();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i == 0 && j == b.len() {
                continue;
            }
            let s = String::from_utf8_lossy(&b[i..j]);
            assert!(s.parse::<Signer>().is_err(), "accepted {s:?}");
        }
    }
    let mut m = b.to_vec();
    for i in 0..m.len() {
        m[i] += 1;
        let s = String::from_utf8_lossy(&m).into_owned();
        assert!(s.parse::<Signer>().is_err(), "accepted {s:?}");
        m[i] -= 1;
    }
}

#[test]
fn go_sign_golden() {
    let s: Signer = PETER_SKEY.parse().unwrap();
    let mut n = Note::new(TEXT).unwrap();
    n.sign(&s).unwrap();
    assert_eq!(n.to_bytes().unwrap(), msg(&[TEXT, "\n", PETER_SIG]));

    // An existing signature by the same key is replaced.
    let mut n = Note::new(TEXT).unwrap();
    n.add_signature(Signature::new("PeterNeumann", 0xc74f20a3, b"BAD").unwrap())
        .unwrap();
    n.sign(&s).unwrap();
    assert_eq!(n.to_bytes().unwrap(), msg(&[TEXT, "\n", PETER_SIG]));

    // Bad texts.
    assert!(Note::new("abc").is_err());
    assert!(Note::new("").is_err());
    assert!(Note::new("a\u{1}b\n").is_err());
    assert!(Note::new("a\rb\n").is_err());
    assert!(s.sign_text("no newline").is_err());
    // Unsigned notes cannot be encoded.
    assert!(Note::new(TEXT).unwrap().to_bytes().is_err());
    // Bad names.
    assert_eq!(Signature::new("a+b", 1, b"x"), Err(Error::InvalidName));
    assert!(Signer::from_seed("bad name", &[0; 32]).is_err());
}

#[test]
fn go_open_one_verified_one_not() {
    let m = msg(&[TEXT, "\n", PETER_SIG, ENOCH_SIG]);
    let n = Note::parse(&m).unwrap();
    assert_eq!(n.text(), TEXT);
    assert_eq!(n.signatures().len(), 2);
    assert_eq!(n.signatures()[1].name(), "EnochRoot");
    assert_eq!(n.signatures()[1].key_id(), 0xaf0cfe78);
    let v = n.verify(&[peter()]).unwrap();
    assert_eq!(
        v,
        vec![VerifiedSignature {
            name: "PeterNeumann".into(),
            key_id: 0xc74f20a3,
            sig_type: SIG_TYPE_ED25519,
            timestamp: None
        }]
    );
    let v = n.verify(&[peter(), enoch()]).unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[1].name, "EnochRoot");
    assert_eq!(n.verify(&[]), Err(Error::NoVerifiedSignatures));
    // Re-encoding is byte-exact.
    assert_eq!(n.to_bytes().unwrap(), m);
}

#[test]
fn go_open_duplicated_verifiers() {
    let m = msg(&[TEXT, "\n", ENOCH_SIG]);
    assert_eq!(
        Note::open(&m, &[enoch(), peter(), enoch()]),
        Err(Error::AmbiguousKey {
            name: "EnochRoot".into(),
            key_id: 0xaf0cfe78
        })
    );
    // Unused duplicated verifier is fine.
    let m = msg(&[TEXT, "\n", PETER_SIG]);
    assert!(Note::open(&m, &[enoch(), peter(), enoch()]).is_ok());
}

#[test]
fn go_open_too_many_signatures() {
    let many = PETER_SIG.repeat(101);
    let m = msg(&[TEXT, "\n", &many]);
    assert!(matches!(Note::parse(&m), Err(Error::MalformedNote(_))));
    // 100 (and hence the required 16) are accepted; duplicates are reported once.
    let ok = PETER_SIG.repeat(100);
    let (_, v) = Note::open(&msg(&[TEXT, "\n", &ok]), &[peter()]).unwrap();
    assert_eq!(v.len(), 1);
}

#[test]
fn sixteen_distinct_signatures_accepted() {
    // The spec requires accepting at least 16 signatures.
    let signers: Vec<Signer> = (0..16u8)
        .map(|i| Signer::from_seed(&format!("example.com/k{i}"), &[i; 32]).unwrap())
        .collect();
    let mut n = Note::new(TEXT).unwrap();
    for s in &signers {
        n.sign(s).unwrap();
    }
    let verifiers: Vec<Verifier> = signers.iter().map(Signer::verifier).collect();
    let (_, v) = Note::open(&n.to_bytes().unwrap(), &verifiers).unwrap();
    assert_eq!(v.len(), 16);
}

#[test]
fn go_open_invalid_signature() {
    let bad = format!("{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    assert_eq!(
        Note::open(&msg(&[TEXT, "\n", &bad]), &[peter()]),
        Err(Error::InvalidSignature {
            name: "PeterNeumann".into(),
            key_id: 0xc74f20a3
        })
    );
}

#[test]
fn go_open_duplicated_verified_and_unverified() {
    let enoch_abcd = format!("{}ABCD{}", &ENOCH_SIG[..60], &ENOCH_SIG[60..]);
    let m = msg(&[
        TEXT,
        "\n",
        PETER_SIG,
        PETER_SIG,
        ENOCH_SIG,
        ENOCH_SIG,
        &enoch_abcd,
    ]);
    let (n, v) = Note::open(&m, &[peter()]).unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].name, "PeterNeumann");
    assert_eq!(n.signatures().len(), 5);
}

#[test]
fn go_open_malformed() {
    let no_nl = &PETER_SIG[..PETER_SIG.len() - 1];
    let bad_name = "\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";
    let bad: Vec<Vec<u8>> = vec![
        msg(&[TEXT]),
        msg(&[TEXT, "\n"]),
        msg(&[TEXT, "\n", no_nl]),
        msg(&["\u{1}", TEXT, "\n", PETER_SIG]),
        [b"\xff".as_slice(), &msg(&[TEXT, "\n", PETER_SIG])].concat(),
        msg(&[TEXT, "\n", bad_name]),
        msg(&[TEXT, "\n", PETER_SIG, "Unexpected line.\n"]),
        // Extra checks beyond the Go list.
        msg(&[TEXT, "\n", "\u{2014} PeterNeumann \n"]),
        msg(&[TEXT, "\n", "\u{2014} PeterNeumann AAAA\n"]), // 3 bytes < 5
        msg(&[
            TEXT,
            "\n",
            "\u{2014} a+b x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        ]),
        msg(&[
            TEXT,
            "\n",
            "- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        ]),
        msg(&[TEXT, "\n", PETER_SIG, "\n"]),
        msg(&[TEXT, "\r\n", PETER_SIG]),
        // Non-canonical base64 (non-zero trailing bits).
        msg(&[TEXT, "\n", &PETER_SIG.replace("JnAM=", "JnAN=")]),
        msg(&[
            "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        ]),
    ];
    for m in bad {
        assert!(
            matches!(Note::parse(&m), Err(Error::MalformedNote(_))),
            "accepted {:?}",
            String::from_utf8_lossy(&m)
        );
    }
}

#[test]
fn wrong_name_or_id_is_ignored_not_verified() {
    // A signature whose name or key ID (but not both) matches a known key is ignored.
    let misnamed = PETER_SIG.replace("PeterNeumann", "CarmenSandiego");
    assert_eq!(
        Note::open(&msg(&[TEXT, "\n", &misnamed]), &[peter()]),
        Err(Error::NoVerifiedSignatures)
    );
    let wrong_id = PETER_SIG.replace("x08g", "xxxx");
    assert_eq!(
        Note::open(&msg(&[TEXT, "\n", &wrong_id]), &[peter()]),
        Err(Error::NoVerifiedSignatures)
    );
}

#[test]
fn text_may_contain_blank_lines() {
    let s: Signer = PETER_SKEY.parse().unwrap();
    for text in ["a\n\nb\n", "a\n\n", "\n", "\n\n\n"] {
        let mut n = Note::new(text).unwrap();
        n.sign(&s).unwrap();
        let (p, _) = Note::open(&n.to_bytes().unwrap(), &[peter()]).unwrap();
        assert_eq!(p.text(), text);
    }
}

#[test]
fn c2sp_signed_note_example_parses() {
    let m = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n\u{2014} quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";
    let n = Note::parse(m.as_bytes()).unwrap();
    assert_eq!(
        n.text(),
        "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
    );
    assert_eq!(n.signatures().len(), 1);
    assert_eq!(n.signatures()[0].name(), "quasimodo.example/salvatore");
    assert_eq!(n.signatures()[0].key_id(), 0x367ba04b);
    assert_eq!(n.signatures()[0].signature_bytes().len(), 64);
    assert_eq!(n.to_bytes().unwrap(), m.as_bytes());
}

const SOFA_CHECKPOINT: &str =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

#[test]
fn c2sp_cosignature_example() {
    let m = format!(
        "{SOFA_CHECKPOINT}\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
    );
    let n = Note::parse(m.as_bytes()).unwrap();
    assert_eq!(n.text(), SOFA_CHECKPOINT);
    let w = &n.signatures()[1];
    assert_eq!(w.name(), "witness.example.com/w1");
    assert_eq!(w.key_id(), 0x8d66cf3f);
    assert_eq!(w.signature_bytes().len(), 72);
    // The spec's example signed message uses the same timestamp.
    assert_eq!(w.cosignature_timestamp(), Some(1679315147));
    assert_eq!(
        cosignature_v1_message(SOFA_CHECKPOINT, 1679315147),
        format!("cosignature/v1\ntime 1679315147\n{SOFA_CHECKPOINT}").into_bytes()
    );
}

#[test]
fn cosign_and_verify() {
    let mut rng = rand_core::OsRng;
    let log = Signer::generate("example.com/log", &mut rng).unwrap();
    let w = Cosigner::generate("witness.example/w1", &mut rng).unwrap();
    // Key ID uses type byte 0x04.
    let pk = w.verifier().public_key();
    assert_eq!(w.key_id(), key_id("witness.example/w1", 0x04, &pk));
    assert_ne!(w.key_id(), key_id("witness.example/w1", 0x01, &pk));
    let vkey = w.verifier().to_key_string();
    let parsed: Verifier = vkey.parse().unwrap();
    assert_eq!(parsed.sig_type(), SIG_TYPE_COSIGNATURE_V1);
    let w2: Cosigner = w.to_secret_key_string().parse().unwrap();
    assert_eq!(w2.key_id(), w.key_id());
    assert!(w.to_secret_key_string().parse::<Signer>().is_err());

    let mut n = Note::new(SOFA_CHECKPOINT).unwrap();
    n.sign(&log).unwrap();
    n.cosign(&w, 1_700_000_000).unwrap();
    let bytes = n.to_bytes().unwrap();
    let (_, v) = Note::open(&bytes, &[log.verifier(), parsed.clone()]).unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[1].timestamp, Some(1_700_000_000));
    assert_eq!(v[1].sig_type, SIG_TYPE_COSIGNATURE_V1);

    // The cosignature is a plain Ed25519 signature over the cosignature/v1 message.
    let sig = &n.signatures()[1];
    let raw = Verifier::ed25519("x", &pk).unwrap();
    assert!(raw.verify_raw(
        &cosignature_v1_message(SOFA_CHECKPOINT, 1_700_000_000),
        &sig.signature_bytes()[8..]
    ));

    // A cosignature key must not verify as a plain note key and vice versa.
    let as_plain = Verifier::ed25519("witness.example/w1", &pk).unwrap();
    assert_eq!(
        Note::open(&bytes, &[as_plain]),
        Err(Error::NoVerifiedSignatures)
    );

    // Tampered timestamp fails.
    let mut body = sig.signature_bytes().to_vec();
    body[7] ^= 1;
    let mut t = Note::new(SOFA_CHECKPOINT).unwrap();
    t.add_signature(Signature::new(w.name(), w.key_id(), &body).unwrap())
        .unwrap();
    assert!(matches!(
        t.verify(std::slice::from_ref(&parsed)),
        Err(Error::InvalidSignature { .. })
    ));
    // Timestamps above 2^63-1 are refused.
    assert_eq!(
        w.cosign_text(SOFA_CHECKPOINT, 1 << 63),
        Err(Error::TimestampOutOfRange)
    );
}

#[test]
fn generated_keys_roundtrip() {
    let mut rng = rand_core::OsRng;
    let s = Signer::generate("EnochRoot", &mut rng).unwrap();
    let s2: Signer = s.to_secret_key_string().parse().unwrap();
    let v: Verifier = s.verifier().to_key_string().parse().unwrap();
    assert_eq!(s2.verifier(), v);
    let sig = s.sign_text("hi\n").unwrap();
    let mut n = Note::new("hi\n").unwrap();
    n.add_signature(sig.clone()).unwrap();
    assert!(n.verify(std::slice::from_ref(&v)).is_ok());
    let mut bad = sig.signature_bytes().to_vec();
    bad[0] ^= 1;
    let mut n = Note::new("hi\n").unwrap();
    n.add_signature(Signature::new("EnochRoot", v.key_id(), &bad).unwrap())
        .unwrap();
    assert!(n.verify(&[v]).is_err());
}

#[test]
fn names_follow_spec() {
    assert!(is_valid_name("example.com/log42"));
    assert!(is_valid_name("é"));
    assert!(!is_valid_name(""));
    assert!(!is_valid_name("a b"));
    assert!(!is_valid_name("a\u{a0}b")); // no-break space
    assert!(!is_valid_name("a\u{3000}b")); // ideographic space
    assert!(!is_valid_name("a+b"));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parse_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Note::parse(&data);
        }

        #[test]
        fn sign_parse_verify_roundtrip(lines in proptest::collection::vec("[^\\x00-\\x1f]{0,20}", 1..5), seed in any::<[u8; 32]>()) {
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let s = Signer::from_seed("example.com/k", &seed).unwrap();
            let mut n = Note::new(text.clone()).unwrap();
            n.sign(&s).unwrap();
            let bytes = n.to_bytes().unwrap();
            let (p, v) = Note::open(&bytes, &[s.verifier()]).unwrap();
            prop_assert_eq!(p.text(), text.as_str());
            prop_assert_eq!(v.len(), 1);
        }

        #[test]
        fn any_bit_flip_in_signed_note_is_rejected(seed in any::<[u8; 32]>(), bit in 0usize..2000) {
            let s = Signer::from_seed("example.com/k", &seed).unwrap();
            let mut n = Note::new("example.com/log\n42\nAAAA\n").unwrap();
            n.sign(&s).unwrap();
            let mut bytes = n.to_bytes().unwrap();
            let bit = bit % (bytes.len() * 8);
            bytes[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(Note::open(&bytes, &[s.verifier()]).is_err());
        }
    }
}
