//! The registry facts of a GTIN (product, manufacturer, certificates), kept in
//! memory for the verification hot path and trusted only under the registry
//! generation they were read under.
//!
//! Migration 0012 adds a one-row `registry_generation` that database triggers change
//! on every INSERT, UPDATE or DELETE of `products`, `organizations` and
//! `certificates`, whoever writes (this process, the CLI on the same SQLite file,
//! another API node on the same PostgreSQL, plain SQL). `verify_read` reads the
//! generation in the same statement as the code; cached facts are used only when
//! they were stored under exactly that generation, otherwise they are read again
//! (after the generation, so they are at least as new as it) and stored under it.
//! A registry change therefore shows on the very next verification.
//!
//! Only GTINs of existing products are cached, and at most [`MAX_GTINS`] of them:
//! look-ups of made-up GTINs cost no memory.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::{Certificate, Org, Product};

/// GTINs kept at most; when full, the cache starts over (registries hold far fewer
/// product models than this).
pub const MAX_GTINS: usize = 10_000;

/// The registry generation as read from `registry_generation` (`n`, `token`).
pub type Generation = (i64, i64);

/// What a verification answer shows of a product model, read together.
#[derive(Debug)]
pub struct RegistryFacts {
    pub product: Product,
    /// The product's manufacturer.
    pub org: Option<Org>,
    pub certificates: Vec<Certificate>,
}

/// The parts of `VerifyRead` that cached (or freshly read) facts fill: the
/// product, its manufacturer and its certificates, or nothing for an unknown GTIN.
pub(crate) fn split(
    facts: Option<Arc<RegistryFacts>>,
) -> (Option<Product>, Option<Org>, Vec<Certificate>) {
    match facts {
        Some(f) => (
            Some(f.product.clone()),
            f.org.clone(),
            f.certificates.clone(),
        ),
        None => (None, None, Vec::new()),
    }
}

#[derive(Default)]
struct Inner {
    generation: Option<Generation>,
    by_gtin: HashMap<String, Arc<RegistryFacts>>,
}

/// The cache of one store (one database).
#[derive(Default)]
pub struct RegistryCache {
    inner: RwLock<Inner>,
}

impl RegistryCache {
    /// The facts of `gtin` if they were stored under generation `g`.
    pub fn get(&self, gtin: &str, g: Generation) -> Option<Arc<RegistryFacts>> {
        let inner = self.inner.read().ok()?;
        if inner.generation != Some(g) {
            return None;
        }
        inner.by_gtin.get(gtin).cloned()
    }

    /// Stores facts read after generation `g` was read. Entries of another
    /// generation go (the registry changed, or a slower reader holds an older
    /// generation: its facts are kept under its generation, and the next reader
    /// of the current one reads again).
    pub fn put(&self, gtin: &str, g: Generation, facts: Arc<RegistryFacts>) {
        let Ok(mut inner) = self.inner.write() else {
            return;
        };
        if inner.generation != Some(g) || inner.by_gtin.len() >= MAX_GTINS {
            inner.by_gtin.clear();
            inner.generation = Some(g);
        }
        inner.by_gtin.insert(gtin.to_string(), facts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(name: &str) -> Arc<RegistryFacts> {
        Arc::new(RegistryFacts {
            product: Product {
                id: 1,
                org_id: 1,
                gtin: "06901234000016".into(),
                name: name.into(),
                category: "head".into(),
                standard: "GB 2811-2019".into(),
                protection_class: None,
                service_life_months: None,
                service_life_from: "manufacture".into(),
                created_at: chrono::DateTime::UNIX_EPOCH,
            },
            org: None,
            certificates: Vec::new(),
        })
    }

    #[test]
    fn facts_are_served_only_under_their_generation() {
        let c = RegistryCache::default();
        assert!(c.get("g", (1, 7)).is_none());
        c.put("g", (1, 7), facts("a"));
        assert_eq!(
            c.get("g", (1, 7)).map(|f| f.product.name.clone()),
            Some("a".into())
        );
        // Same count, other token (a restored database): not served.
        assert!(c.get("g", (1, 8)).is_none());
        assert!(c.get("g", (2, 7)).is_none());
        // A newer generation replaces everything.
        c.put("h", (2, 9), facts("b"));
        assert!(c.get("g", (2, 9)).is_none());
        assert!(c.get("g", (1, 7)).is_none());
        assert_eq!(
            c.get("h", (2, 9)).map(|f| f.product.name.clone()),
            Some("b".into())
        );
    }

    #[test]
    fn the_cache_is_bounded() {
        let c = RegistryCache::default();
        for i in 0..MAX_GTINS + 5 {
            c.put(&i.to_string(), (1, 1), facts("x"));
        }
        let n = c
            .inner
            .read()
            .map(|i| i.by_gtin.len())
            .unwrap_or(usize::MAX);
        assert!(n <= MAX_GTINS, "{n}");
    }
}
