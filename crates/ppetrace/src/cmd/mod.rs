pub mod admin;
pub mod codes;
pub mod draw;
pub mod serve;
pub mod tools;
pub mod audit;
pub mod epcis_cmd;
pub mod mailbox;
// pub mod ledger; (ppetrace ledger …)
pub mod bench;
