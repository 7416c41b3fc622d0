//! DrawStore for SqliteStore.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl crate::DrawStore for SqliteStore {}
