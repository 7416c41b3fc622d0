pub mod admin;
pub mod codes;
pub mod serve;
pub mod tools;
