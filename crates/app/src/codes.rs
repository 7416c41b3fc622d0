//! One item, one code: bulk issuance of unguessable serials and their export as
//! GS1 Digital Link URIs on the platform's resolver domain.

use domain::authz::{self, Actor};
use domain::log_entry::LogEntry;
use serde::Serialize;
use serde_json::json;

use crate::{App, AppError, Result};

/// Codes are inserted in chunks of this size, one transaction (and one log entry
/// with the chunk's Merkle root) each, so memory stays bounded for any count
/// (per chunk ≈ 56 MB of serials, generated, sorted and deduplicated in one
/// vector; ≈ 32 MB of leaf hashes while the root is computed; ≈ 40 MB for the
/// SQLite writer's copy: peak RSS 199 MB for 1 M codes, was 153 MB). Once a store holds millions of
/// codes, each chunk's sorted insert rewrites most leaves of both code B-trees
/// (random serials land on every leaf), so the write volume grows with the number
/// of chunks, not of codes: 1 M instead of 500 k made 1 M codes into a store of
/// 10 M 0.71× the time on SQLite and 0.83× on PostgreSQL (half the WAL, half the
/// full-page images), and 500 k instead of 100 k had halved it before
/// (BENCHMARKS.md).
pub const CHUNK: usize = 1_000_000;
pub const MAX_ISSUE: u64 = 10_000_000;

#[derive(Debug, Clone, Serialize)]
pub struct Issued {
    pub batch_id: i64,
    pub issued: u64,
    /// Hex RFC 9162 Merkle roots of the sorted serials, one per committed chunk.
    pub merkle_roots: Vec<String>,
}

/// RFC 9162 Merkle root over the serials in ascending byte order.
pub fn serials_root(serials: &mut [String]) -> String {
    serials.sort_unstable();
    let leaves: Vec<tlog::Hash> = serials
        .iter()
        .map(|s| tlog::leaf_hash(s.as_bytes()))
        .collect();
    tlog::merkle_root(&leaves).to_hex()
}

/// `n` distinct random serials in ascending order. Duplicates are removed by
/// sorting (needed for the Merkle root anyway) instead of a hash set beside the
/// vector, which would double the chunk's memory.
fn fresh_serials(n: usize) -> Vec<String> {
    let mut rng = rand::rng();
    let mut out: Vec<String> = Vec::with_capacity(n);
    while out.len() < n {
        let missing = n - out.len();
        out.extend((0..missing).map(|_| domain::serial::generate(&mut rng).as_str().to_string()));
        out.sort_unstable();
        out.dedup();
    }
    out
}

impl App {
    /// Issues `count` new serials for a batch. `progress` is called with the number
    /// issued so far after each committed chunk.
    pub async fn issue_codes(
        &self,
        actor: &Actor,
        batch_id: i64,
        count: u64,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Issued> {
        if count == 0 || count > MAX_ISSUE {
            return Err(AppError::invalid(
                "count",
                format!("must be between 1 and {MAX_ISSUE}"),
            ));
        }
        let (batch, product) = self.batch_with_product(batch_id).await?;
        authz::manage_products(actor, product.org_id)?;
        let mut issued = 0u64;
        let mut roots = Vec::new();
        while issued < count {
            let want = (count - issued).min(CHUNK as u64) as usize;
            let mut serials = fresh_serials(want);
            let root = serials_root(&mut serials);
            let now = self.clock.now();
            let issuance = store::NewIssuance {
                batch_id,
                count: want as u64,
                merkle_root: root.clone(),
                actor: actor.label(),
                created_at: now,
            };
            let entry = LogEntry::for_record(
                "code_issuance",
                now,
                &actor.label(),
                vec![
                    ("batch".into(), batch_id.to_string()),
                    ("gtin".into(), product.gtin.clone()),
                    ("count".into(), want.to_string()),
                    ("serials_root".into(), root.clone()),
                ],
                &json!({"batch_id": batch_id, "count": want, "merkle_root": root}),
            );
            let n = self
                .store
                .insert_codes(&batch, &serials, Some((&issuance, &entry)))
                .await?;
            if n as usize != want {
                // A 90-bit collision with an existing serial: astronomically unlikely,
                // and refused rather than silently issuing fewer codes.
                return Err(AppError::Conflict(format!(
                    "{} of {want} serials collided with existing codes; the chunk was committed short, retry the remainder",
                    want as u64 - n
                )));
            }
            issued += n;
            roots.push(root);
            progress(issued);
        }
        Ok(Issued {
            batch_id,
            issued,
            merkle_roots: roots,
        })
    }

    /// Streams a batch's codes as Digital Link URIs, in pages, to `sink`.
    pub async fn export_codes(
        &self,
        actor: &Actor,
        batch_id: i64,
        mut sink: impl FnMut(&str) -> Result<()>,
    ) -> Result<u64> {
        let (batch, product) = self.batch_with_product(batch_id).await?;
        authz::manage_products(actor, product.org_id)?;
        let gtin =
            gs1::Gtin::parse(&product.gtin).map_err(|e| AppError::Internal(e.to_string()))?;
        let lot = gs1::Lot::parse(&batch.lot).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut after: Option<String> = None;
        let mut n = 0u64;
        loop {
            let page = self
                .store
                .batch_serials(batch_id, after.as_deref(), 10_000)
                .await?;
            if page.is_empty() {
                break;
            }
            for s in &page {
                let serial =
                    gs1::Serial::parse(s).map_err(|e| AppError::Internal(e.to_string()))?;
                let uri = gs1::DigitalLink::sgtin(&gtin, Some(&lot), &serial)
                    .to_uri(&self.config.public_base_url);
                sink(&uri)?;
                n += 1;
            }
            after = page.last().cloned();
        }
        Ok(n)
    }

    /// The printed URI of one code.
    pub fn code_uri(&self, gtin: &gs1::Gtin, lot: &gs1::Lot, serial: &gs1::Serial) -> String {
        gs1::DigitalLink::sgtin(gtin, Some(lot), serial).to_uri(&self.config.public_base_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_root_is_order_independent_and_matches_rfc9162() {
        let mut a = vec!["B".to_string(), "A".to_string()];
        let mut b = vec!["A".to_string(), "B".to_string()];
        assert_eq!(serials_root(&mut a), serials_root(&mut b));
        let expected = tlog::node_hash(&tlog::leaf_hash(b"A"), &tlog::leaf_hash(b"B")).to_hex();
        assert_eq!(serials_root(&mut a), expected);
    }

    #[test]
    fn fresh_serials_are_distinct_sorted_and_well_formed() {
        let s = fresh_serials(20_000);
        assert_eq!(s.len(), 20_000);
        assert!(
            s.windows(2).all(|w| w[0] < w[1]),
            "ascending, no duplicates"
        );
        assert!(
            s.iter()
                .all(|x| x.len() == domain::serial::SERIAL_LEN && gs1::Serial::parse(x).is_ok())
        );
    }
}
