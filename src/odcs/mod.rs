//! The Open Data Contract Standard (ODCS v3): contracts out of a build
//! (`export`) and into a mesh (`model`: the ODCS document types, read for a
//! port's `contract:` file).

pub mod export;
pub mod model;
