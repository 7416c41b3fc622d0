//! Rivest's older `sampler.py` (2011): pseudo-random integers in `[a, b]`.
//!
//! `seed` = the seed text with surrounding whitespace removed; for
//! `i = 1, 2, …`: `h = int(SHA256(seed + "," + str(i)), 16)` and the pick is
//! `a + h mod (b − a + 1)`. Without replacement a repeated pick is skipped,
//! but the counter still advances.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::SamplerError;
use crate::decimal::mod_small;

/// Iterator over picks of the 2011 sampler.
///
/// With replacement it never ends; without replacement it ends after every
/// integer of the range has been picked once.
#[derive(Debug, Clone)]
pub struct LegacySampler {
    seed: String,
    low: i64,
    /// `high - low + 1`, in `1..=2^64`.
    span: u128,
    counter: u64,
    seen: Option<HashSet<i64>>,
}

impl LegacySampler {
    /// Sampler of integers in `low..=high` for `seed`.
    ///
    /// # Errors
    /// [`SamplerError::EmptyRange`] if `low > high`.
    ///
    /// ```
    /// let picks: Vec<i64> = sampler::LegacySampler::new("0", 1, 1000, true)
    ///     .unwrap()
    ///     .take(3)
    ///     .collect();
    /// assert_eq!(picks, [905, 573, 160]);
    /// ```
    pub fn new(
        seed: &str,
        low: i64,
        high: i64,
        with_replacement: bool,
    ) -> Result<Self, SamplerError> {
        if low > high {
            return Err(SamplerError::EmptyRange { low, high });
        }
        let span = (i128::from(high) - i128::from(low) + 1).unsigned_abs();
        Ok(Self {
            seed: seed.trim().to_owned(),
            low,
            span,
            counter: 0,
            seen: (!with_replacement).then(HashSet::new),
        })
    }

    /// The `i`-th raw pick (`i ≥ 1`), ignoring replacement.
    #[must_use]
    pub fn pick(&self, i: u64) -> i64 {
        let digest: [u8; 32] = Sha256::digest(format!("{},{i}", self.seed).as_bytes()).into();
        let offset = mod_small(&digest, self.span);
        // low + offset <= high, so it fits in i64.
        (i128::from(self.low) + offset as i128) as i64
    }
}

impl Iterator for LegacySampler {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        loop {
            if let Some(seen) = &self.seen
                && seen.len() as u128 >= self.span
            {
                return None;
            }
            self.counter = self.counter.checked_add(1)?;
            let value = self.pick(self.counter);
            match &mut self.seen {
                None => return Some(value),
                Some(seen) => {
                    if seen.insert(value) {
                        return Some(value);
                    }
                }
            }
        }
    }
}
