//! C2SP tlog-checkpoint parsing, signing, verification and cosigning.

use signed_note::{Cosigner, Note, Signer};
use tlog::*;

const SOFA: &str =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

#[test]
fn c2sp_example_parses() {
    let cp = Checkpoint::parse(SOFA).unwrap();
    assert_eq!(cp.origin, "example.com/behind-the-sofa");
    assert_eq!(cp.size, 20852163);
    assert_eq!(
        cp.root,
        Hash::from_base64("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=").unwrap()
    );
    assert!(cp.extensions.is_empty());
    assert_eq!(cp.to_text(), SOFA);
    // The spec's signed example parses as a note whose text is a checkpoint.
    let signed = format!(
        "{SOFA}\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    );
    let n = Note::parse(signed.as_bytes()).unwrap();
    assert_eq!(Checkpoint::parse(n.text()).unwrap(), cp);
}

#[test]
fn malformed_checkpoints_rejected() {
    let r = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
    for bad in [
        String::new(),
        "\n".to_string(),
        format!("o\n1\n{r}"),                      // no final newline
        format!("\n1\n{r}\n"),                     // empty origin
        format!("o\n01\n{r}\n"),                   // leading zero
        format!("o\n+1\n{r}\n"),                   // sign
        format!("o\n-1\n{r}\n"),                   // negative
        format!("o\n 1\n{r}\n"),                   // space
        format!("o\n18446744073709551616\n{r}\n"), // > u64
        "o\n1\n\n".to_string(),                    // empty root
        format!("o\n1\n{r}\n\n"),                  // empty extension line
        format!("o\n1\n{r}\next\n\n"),             // empty extension line
        "o\n1\nAAAA\n".to_string(),                // short root
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n".to_string(), // non-canonical
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n".to_string(), // no padding
        format!("o\r\n1\n{r}\n"),                  // control character
        "o\n1\n".to_string(),                      // missing root
    ] {
        assert!(Checkpoint::parse(&bad).is_err(), "accepted {bad:?}");
    }
    assert!(Checkpoint::parse("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n").is_ok());
    assert_eq!(
        Checkpoint::parse("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
            .unwrap()
            .root,
        EMPTY_ROOT
    );
}

#[test]
fn sign_open_cosign() {
    let log = Signer::from_seed("example.com/log", &[7u8; 32]).unwrap();
    let w1 = Cosigner::from_seed("witness.example/w1", &[8u8; 32]).unwrap();
    let w2 = Cosigner::from_seed("witness.example/w2", &[9u8; 32]).unwrap();

    let mut s = MemoryHashStore::new();
    for i in 0..10u32 {
        s.append(&i.to_be_bytes()).unwrap();
    }
    let cp = Checkpoint::new("example.com/log", 10, s.root().unwrap()).unwrap();
    let mut note = cp.sign(&log).unwrap();
    cosign_checkpoint(&mut note, &w1, 1_700_000_000).unwrap();
    cosign_checkpoint(&mut note, &w2, 1_700_000_001).unwrap();
    let bytes = note.to_bytes().unwrap();

    let verifiers = [log.verifier(), w1.verifier()];
    let (got, _, sigs) = Checkpoint::open(&bytes, "example.com/log", &verifiers).unwrap();
    assert_eq!(got, cp);
    assert_eq!(sigs.len(), 2); // w2 unknown: ignored
    assert_eq!(sigs[0].name, "example.com/log");
    assert_eq!(sigs[1].timestamp, Some(1_700_000_000));

    assert!(matches!(
        Checkpoint::open(&bytes, "example.com/other", &verifiers),
        Err(Error::OriginMismatch)
    ));
    // Only unknown keys: rejected.
    let stranger = Signer::from_seed("example.com/log", &[1u8; 32]).unwrap();
    assert!(Checkpoint::open(&bytes, "example.com/log", &[stranger.verifier()]).is_err());
    // Tampered size: signature fails.
    let tampered = String::from_utf8(bytes.clone())
        .unwrap()
        .replacen("\n10\n", "\n11\n", 1);
    assert!(Checkpoint::open(tampered.as_bytes(), "example.com/log", &verifiers).is_err());
    // Bad origin or extension lines cannot be signed.
    let mut bad = cp.clone();
    bad.extensions.push(String::new());
    assert!(bad.sign(&log).is_err());
    let mut bad = cp.clone();
    bad.origin = "a\nb".into();
    assert!(bad.sign(&log).is_err());
    assert!(Checkpoint::new("", 1, EMPTY_ROOT).is_err());
    // Cosigning a note that is not a checkpoint is refused.
    let mut n = Note::new("hello\n").unwrap();
    assert!(cosign_checkpoint(&mut n, &w1, 1).is_err());
}
