//! drand beacons: checking that a round's randomness is what the beacon's network
//! signed. A plan that names the beacon network (its `/info`: public key, scheme,
//! genesis time, period) lets anyone check the seed's beacon value with the BLS
//! signature alone; without it the round is taken as entered by the operator.
//!
//! The pairing arithmetic is the `drand-verify` crate's; this module only maps
//! drand's scheme IDs to it and checks that the randomness is the SHA-256 of the
//! signature, as drand defines it.

use drand_verify::{G1Pubkey, G2PubkeyFastnet, G2PubkeyRfc, Pubkey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::DrawError;
use crate::model::BeaconValue;

/// A drand network, as its `/info` endpoint describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeaconChain {
    /// The group public key, lowercase hex.
    pub public_key: String,
    /// drand's scheme ID: `pedersen-bls-chained` (the League of Entropy's default
    /// chain), `pedersen-bls-unchained`, `bls-unchained-g1-rfc9380` (quicknet) or
    /// `bls-unchained-on-g1`.
    pub scheme_id: String,
    /// Unix time of round 1.
    pub genesis_time: i64,
    /// Seconds between rounds.
    pub period: u32,
}

impl BeaconChain {
    /// Unix time at which `round` is published (round 1 at genesis).
    pub fn round_time(&self, round: u64) -> Option<i64> {
        let r = i64::try_from(round.checked_sub(1)?).ok()?;
        self.genesis_time
            .checked_add(r.checked_mul(i64::from(self.period))?)
    }

    /// Checks the chain description itself (known scheme, key of the right size).
    pub fn check(&self) -> Result<(), DrawError> {
        let key = decode("beacon_chain.public_key", &self.public_key)?;
        let want = match self.scheme_id.as_str() {
            "pedersen-bls-chained" | "pedersen-bls-unchained" => 48,
            "bls-unchained-g1-rfc9380" | "bls-unchained-on-g1" => 96,
            other => {
                return Err(DrawError::InvalidPlan(format!(
                    "beacon_chain.scheme_id {other:?} is not a drand scheme this platform verifies"
                )));
            }
        };
        if key.len() != want {
            return Err(DrawError::InvalidPlan(format!(
                "beacon_chain.public_key has {} bytes; scheme {} has {want}-byte keys",
                key.len(),
                self.scheme_id
            )));
        }
        if self.period == 0 {
            return Err(DrawError::InvalidPlan("beacon_chain.period is 0".into()));
        }
        Ok(())
    }

    /// Verifies a beacon value: its BLS signature under this chain's key for its
    /// round (and, on the chained scheme, the previous round's signature), and that
    /// its randomness is SHA-256 of the signature.
    pub fn verify(&self, value: &BeaconValue) -> Result<(), DrawError> {
        let bad = |m: String| DrawError::InvalidSeedInputs(m);
        let sig_hex = value
            .signature
            .as_deref()
            .ok_or_else(|| bad("the plan names the beacon's network: give the round's signature so it can be verified".into()))?;
        let sig = decode("beacon.signature", sig_hex)
            .map_err(|_| bad("beacon.signature is not hex".into()))?;
        let previous = match (&value.previous_signature, self.scheme_id.as_str()) {
            (Some(p), "pedersen-bls-chained") => decode("beacon.previous_signature", p)
                .map_err(|_| bad("beacon.previous_signature is not hex".into()))?,
            (None, "pedersen-bls-chained") => {
                return Err(bad("the chained scheme needs the previous round's signature (beacon.previous_signature)".into()));
            }
            (Some(_), _) => {
                return Err(bad(format!(
                    "scheme {} is unchained: give no previous_signature",
                    self.scheme_id
                )));
            }
            (None, _) => Vec::new(),
        };
        let key = decode("beacon_chain.public_key", &self.public_key)?;
        let invalid_key =
            |_| DrawError::InvalidPlan("beacon_chain.public_key is not a curve point".into());
        let ok = match self.scheme_id.as_str() {
            "pedersen-bls-chained" | "pedersen-bls-unchained" => G1Pubkey::from_variable(&key)
                .map_err(invalid_key)?
                .verify(value.round, &previous, &sig),
            "bls-unchained-g1-rfc9380" => G2PubkeyRfc::from_variable(&key)
                .map_err(invalid_key)?
                .verify(value.round, &previous, &sig),
            "bls-unchained-on-g1" => G2PubkeyFastnet::from_variable(&key)
                .map_err(invalid_key)?
                .verify(value.round, &previous, &sig),
            other => {
                return Err(DrawError::InvalidPlan(format!(
                    "unknown drand scheme {other:?}"
                )));
            }
        };
        if !ok.unwrap_or(false) {
            return Err(bad(format!(
                "the beacon signature for round {} does not verify under the plan's drand public key",
                value.round
            )));
        }
        let randomness = hex::encode(Sha256::digest(&sig));
        if randomness != value.randomness {
            return Err(bad(format!(
                "beacon randomness is not SHA-256 of the signature (expected {randomness})"
            )));
        }
        Ok(())
    }
}

fn decode(field: &str, s: &str) -> Result<Vec<u8>, DrawError> {
    hex::decode(s).map_err(|_| DrawError::InvalidPlan(format!("{field} is not hex")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // Public drand data: the League of Entropy mainnet's and quicknet's `/info`, and
    // published rounds (round 72785 of the default chain, round 123 of quicknet).
    const LOE_KEY: &str = "868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31";
    const LOE_PREV: &str = "a609e19a03c2fcc559e8dae14900aaefe517cb55c840f6e69bc8e4f66c8d18e8a609685d9917efbfb0c37f058c2de88f13d297c7e19e0ab24813079efe57a182554ff054c7638153f9b26a60e7111f71a0ff63d9571704905d3ca6df0b031747";
    const LOE_SIG: &str = "82f5d3d2de4db19d40a6980e8aa37842a0e55d1df06bd68bddc8d60002e8e959eb9cfa368b3c1b77d18f02a54fe047b80f0989315f83b12a74fd8679c4f12aae86eaf6ab5690b34f1fddd50ee3cc6f6cdf59e95526d5a5d82aaa84fa6f181e42";
    const QUICKNET_KEY: &str = "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a";
    const QUICKNET_SIG: &str = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";

    fn loe() -> BeaconChain {
        BeaconChain {
            public_key: LOE_KEY.into(),
            scheme_id: "pedersen-bls-chained".into(),
            genesis_time: 1_595_431_050,
            period: 30,
        }
    }

    fn quicknet() -> BeaconChain {
        BeaconChain {
            public_key: QUICKNET_KEY.into(),
            scheme_id: "bls-unchained-g1-rfc9380".into(),
            genesis_time: 1_692_803_367,
            period: 3,
        }
    }

    fn value(round: u64, sig: &str, prev: Option<&str>) -> BeaconValue {
        BeaconValue {
            round,
            randomness: hex::encode(Sha256::digest(hex::decode(sig).unwrap())),
            signature: Some(sig.into()),
            previous_signature: prev.map(String::from),
        }
    }

    #[test]
    fn published_rounds_verify() {
        loe().check().unwrap();
        quicknet().check().unwrap();
        loe()
            .verify(&value(72785, LOE_SIG, Some(LOE_PREV)))
            .unwrap();
        quicknet().verify(&value(123, QUICKNET_SIG, None)).unwrap();
    }

    #[test]
    fn a_wrong_round_signature_or_randomness_is_refused() {
        assert!(
            loe()
                .verify(&value(72786, LOE_SIG, Some(LOE_PREV)))
                .is_err()
        );
        assert!(quicknet().verify(&value(124, QUICKNET_SIG, None)).is_err());
        let mut flipped = QUICKNET_SIG.to_string();
        flipped.replace_range(10..11, "0");
        assert!(quicknet().verify(&value(123, &flipped, None)).is_err());
        let mut v = value(123, QUICKNET_SIG, None);
        v.randomness = "00".repeat(32);
        assert!(quicknet().verify(&v).is_err());
        // A chained round needs its predecessor's signature; an unchained one refuses it.
        assert!(loe().verify(&value(72785, LOE_SIG, None)).is_err());
        assert!(
            quicknet()
                .verify(&value(123, QUICKNET_SIG, Some(LOE_PREV)))
                .is_err()
        );
        // With the network named, a value without a signature is not enough.
        let mut v = value(123, QUICKNET_SIG, None);
        v.signature = None;
        assert!(quicknet().verify(&v).is_err());
    }

    #[test]
    fn round_times_follow_the_chain_info() {
        assert_eq!(quicknet().round_time(1), Some(1_692_803_367));
        assert_eq!(quicknet().round_time(123), Some(1_692_803_367 + 122 * 3));
        assert_eq!(loe().round_time(0), None);
    }

    #[test]
    fn malformed_chains_are_refused() {
        let mut c = quicknet();
        c.scheme_id = "pedersen-bls-chained".into();
        assert!(c.check().is_err(), "96-byte key on a 48-byte scheme");
        c = quicknet();
        c.scheme_id = "tlock".into();
        assert!(c.check().is_err());
        c = quicknet();
        c.public_key = "zz".into();
        assert!(c.check().is_err());
    }
}
