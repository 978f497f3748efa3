//! `meshc schema [KIND]`: JSON Schema of the documents, generated from the
//! same types the loader deserializes into.

use crate::load::syntax::{Kind, envelope::*};

/// The schema of one kind, or of any meshc document (`oneOf` the five).
pub fn schema(kind: Option<Kind>) -> serde_json::Value {
    let s = match kind {
        Some(Kind::Mesh) => schemars::schema_for!(MeshDocument),
        Some(Kind::Domain) => schemars::schema_for!(DomainDocument),
        Some(Kind::Team) => schemars::schema_for!(TeamDocument),
        Some(Kind::Source) => schemars::schema_for!(SourceDocument),
        Some(Kind::DataProduct) => schemars::schema_for!(DataProductDocument),
        None => schemars::schema_for!(AnyDocument),
    };
    s.to_value()
}

/// Any one meshc document.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum AnyDocument {
    Mesh(MeshDocument),
    Domain(DomainDocument),
    Team(TeamDocument),
    Source(SourceDocument),
    DataProduct(DataProductDocument),
}
