pub mod admin;
pub mod audit;
pub mod codes;
pub mod draw;
pub mod epcis_cmd;
pub mod mailbox;
pub mod serve;
pub mod tools;
// pub mod ledger; (ppetrace ledger …)
pub mod bench;
