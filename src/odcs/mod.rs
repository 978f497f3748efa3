//! The Open Data Contract Standard (ODCS v3): contracts out of a build
//! (`export`), read for a port's `contract:` file (`model`: the ODCS
//! document types and their mapping onto a port), and turned into meshc
//! documents by `meshc import odcs` (`import`).

pub mod export;
pub mod import;
pub mod model;
