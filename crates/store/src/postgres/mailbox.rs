//! MailboxStore for PgStore.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl crate::MailboxStore for PgStore {}
