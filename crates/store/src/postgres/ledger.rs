//! LedgerStore for PgStore.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl crate::LedgerStore for PgStore {}
