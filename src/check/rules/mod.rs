//! The rules, by family: `core` documents the M and R codes (reported while
//! loading and resolving) and P000 (policies); `contract` holds C201–C209;
//! `governance` holds G301–G312.

pub mod contract;
pub mod core;
pub mod governance;
