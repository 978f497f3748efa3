//! The documents of a mesh as written: one Rust type per YAML shape.
//!
//! The loader deserializes straight into these types, and `meshc schema`
//! generates its JSON Schema from them, so the two cannot drift apart.
//! Every value a diagnostic may point at is an [`Sp`].

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::sp::Sp;

/// The only `apiVersion` this meshc reads.
pub const API_VERSION: &str = "meshc/v1";

/// The five kinds of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    Mesh,
    Domain,
    Team,
    Source,
    DataProduct,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Mesh,
        Kind::Domain,
        Kind::Team,
        Kind::Source,
        Kind::DataProduct,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Mesh => "Mesh",
            Kind::Domain => "Domain",
            Kind::Team => "Team",
            Kind::Source => "Source",
            Kind::DataProduct => "DataProduct",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether `metadata.domain` belongs on this kind.
    pub fn has_domain(self) -> bool {
        matches!(self, Kind::Source | Kind::DataProduct)
    }

    /// Whether `metadata.owner` belongs on this kind.
    pub fn has_owner(self) -> bool {
        matches!(self, Kind::Domain | Kind::Source | Kind::DataProduct)
    }
}

/// `metadata`: the same envelope on every kind.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// `[a-z][a-z0-9_]*`, at most 63 characters.
    pub name: Sp<String>,
    /// The owning domain (DataProduct and Source only).
    #[serde(default)]
    pub domain: Option<Sp<String>>,
    /// Display name.
    #[serde(default)]
    pub title: Option<Sp<String>>,
    /// Markdown.
    #[serde(default)]
    pub description: Option<Sp<String>>,
    /// The owning Team (Domain, Source, DataProduct).
    #[serde(default)]
    pub owner: Option<Sp<String>>,
    #[serde(default)]
    pub tags: Vec<Sp<String>>,
}

// ---------------------------------------------------------------- Mesh

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MeshSpec {
    /// Where the products' data lives.
    #[serde(default)]
    pub targets: Vec<Sp<Target>>,
    #[serde(default)]
    pub naming: Option<Naming>,
    /// Least to most sensitive.
    #[serde(default)]
    pub classifications: Option<Vec<Sp<String>>>,
    #[serde(default)]
    pub governance: Option<Governance>,
    /// Folder (relative to the Mesh file) whose templates override or extend
    /// the built-in ones.
    #[serde(default)]
    pub templates: Option<Sp<String>>,
}

/// A deployment target. Keys other than `name` and `engine` are
/// engine-specific options and kept as written.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Target {
    pub name: Sp<String>,
    /// postgres | trino | spark | snowflake, or an engine added by templates.
    pub engine: Sp<String>,
    #[serde(flatten)]
    pub options: BTreeMap<String, serde_json::Value>,
}

/// minijinja expressions that name schemas, relations and roles.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Naming {
    #[serde(default)]
    pub schema: Option<Sp<String>>,
    #[serde(default)]
    pub relation: Option<Sp<String>>,
    #[serde(default)]
    pub masked_relation: Option<Sp<String>>,
    #[serde(default)]
    pub product_role: Option<Sp<String>>,
    #[serde(default)]
    pub team_role: Option<Sp<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Governance {
    #[serde(default)]
    pub rules: Option<RuleSettings>,
    /// Rego policy files: globs relative to the file that lists them.
    #[serde(default)]
    pub policies: Vec<Sp<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    /// Codes or prefixes to run; `ALL` for every rule.
    #[serde(default)]
    pub select: Option<Vec<Sp<String>>>,
    #[serde(default)]
    pub ignore: Vec<Sp<String>>,
    /// Code → error | warning | info.
    #[serde(
        default,
        serialize_with = "super::sp::spanned_keys::serialize",
        deserialize_with = "super::sp::spanned_keys::deserialize"
    )]
    #[schemars(with = "BTreeMap<String, String>")]
    pub severity: BTreeMap<Sp<String>, Sp<String>>,
    /// Rules domains may raise but never lower or ignore (Mesh only).
    #[serde(default)]
    pub mandatory: Vec<Sp<String>>,
}

// ---------------------------------------------------------------- Domain, Team

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainSpec {
    /// This domain's own rule settings and policies, on top of the Mesh's.
    #[serde(default)]
    pub governance: Option<Governance>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamSpec {
    #[serde(default)]
    pub contact: Option<Contact>,
    #[serde(default)]
    pub members: Vec<Sp<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default)]
    pub email: Option<Sp<String>>,
    #[serde(default)]
    pub chat: Option<Sp<String>>,
}

// ---------------------------------------------------------------- Source

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// The operational system, free text.
    #[serde(default)]
    pub system: Option<Sp<String>>,
    #[serde(default)]
    pub tables: Vec<Sp<SourceTable>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceTable {
    pub name: Sp<String>,
    #[serde(default)]
    pub description: Option<Sp<String>>,
    #[serde(default)]
    pub columns: Vec<Sp<Column>>,
}

// ---------------------------------------------------------------- DataProduct

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductSpec {
    /// Semantic version of the product's interface (required; read as
    /// optional so a missing one is reported at the `spec` key).
    #[schemars(required)]
    pub version: Option<Sp<String>>,
    #[serde(default)]
    pub status: Option<Sp<Status>>,
    /// Required when `status` is `deprecated`.
    #[serde(default)]
    pub deprecation: Option<Sp<Deprecation>>,
    #[serde(default)]
    pub inputs: Vec<Sp<Input>>,
    #[serde(default)]
    pub outputs: Vec<Sp<Port>>,
    #[serde(default)]
    pub access: Option<Access>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Active,
    Deprecated,
    Retired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Active => "active",
            Status::Deprecated => "deprecated",
            Status::Retired => "retired",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Deprecation {
    /// The date (YYYY-MM-DD) after which the product may be retired.
    #[serde(default)]
    pub sunset: Option<Sp<String>>,
    /// FQN of the product that replaces this one.
    #[serde(default)]
    pub replaced_by: Option<Sp<String>>,
}

/// What a product reads: a source table or another product's port.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// `domain.source.table`.
    #[serde(default)]
    pub source: Option<Sp<String>>,
    /// `domain.product`.
    #[serde(default)]
    pub product: Option<Sp<String>>,
    /// The producer's output port; may be omitted when it has exactly one.
    #[serde(default)]
    pub port: Option<Sp<String>>,
    /// A semver requirement on the producer's version, e.g. `^1.2`.
    #[serde(default)]
    pub version: Option<Sp<String>>,
    /// The columns consumed; omitted means all.
    #[serde(default)]
    pub columns: Option<Vec<Sp<String>>>,
    /// Why; required when a consumed column is pii.
    #[serde(default)]
    pub purpose: Option<Sp<String>>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum PortType {
    Table,
    View,
    Stream,
    File,
}

impl PortType {
    pub fn as_str(self) -> &'static str {
        match self {
            PortType::Table => "table",
            PortType::View => "view",
            PortType::Stream => "stream",
            PortType::File => "file",
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Domain,
    Restricted,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Domain => "domain",
            Visibility::Restricted => "restricted",
        }
    }
}

/// An output port: one relation, stream or file the product publishes.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Port {
    pub name: Sp<String>,
    /// Default `table`.
    #[serde(default, rename = "type")]
    pub port_type: Option<Sp<PortType>>,
    /// Default `domain`: nothing is public unless its producer says so.
    #[serde(default)]
    pub visibility: Option<Sp<Visibility>>,
    #[serde(default)]
    pub description: Option<Sp<String>>,
    #[serde(default)]
    pub primary_key: Vec<Sp<String>>,
    #[serde(default)]
    pub columns: Option<Vec<Sp<Column>>>,
    #[serde(default)]
    pub quality: Vec<Sp<Quality>>,
    #[serde(default)]
    pub sla: Option<Sp<Sla>>,
    /// An ODCS v3 file (relative to this file) that holds the schema instead of `columns`.
    #[serde(default)]
    pub contract: Option<Sp<String>>,
    /// Set by the loader when it took `columns` (and primary key, quality,
    /// SLA, description) from the `contract` file: that file. Never
    /// written in YAML.
    #[serde(skip)]
    #[schemars(skip)]
    pub contract_file: Option<crate::source::FileId>,
    /// SQL of a `view` port; `{{ ref("domain.product.port") }}` names a relation.
    #[serde(default)]
    pub query: Option<Sp<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Column {
    pub name: Sp<String>,
    /// A logical type: boolean, integer, decimal(p,s), varchar(n), array<T>, …
    #[serde(rename = "type")]
    pub column_type: Sp<String>,
    /// Default true.
    #[serde(default)]
    pub nullable: Option<Sp<bool>>,
    #[serde(default)]
    pub description: Option<Sp<String>>,
    /// One of the Mesh's `classifications`.
    #[serde(default)]
    pub classification: Option<Sp<String>>,
    #[serde(default)]
    pub masking: Option<Sp<Masking>>,
    /// Column FQNs this column is computed from.
    #[serde(default)]
    pub derived_from: Vec<Sp<String>>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Masking {
    None,
    Hash,
    Redact,
    Nullify,
}

impl Masking {
    pub fn as_str(self) -> &'static str {
        match self {
            Masking::None => "none",
            Masking::Hash => "hash",
            Masking::Redact => "redact",
            Masking::Nullify => "nullify",
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum QualityType {
    NotNull,
    Unique,
    AcceptedValues,
    Freshness,
    RowCount,
}

impl QualityType {
    pub fn as_str(self) -> &'static str {
        match self {
            QualityType::NotNull => "not_null",
            QualityType::Unique => "unique",
            QualityType::AcceptedValues => "accepted_values",
            QualityType::Freshness => "freshness",
            QualityType::RowCount => "row_count",
        }
    }
}

/// A quality guarantee on a port. Which fields apply depends on `type`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Quality {
    #[serde(rename = "type")]
    pub check: Sp<QualityType>,
    #[serde(default)]
    pub column: Option<Sp<String>>,
    #[serde(default)]
    pub columns: Vec<Sp<String>>,
    #[serde(default)]
    pub values: Vec<Sp<serde_json::Value>>,
    /// A duration such as `6h`, `30m`, `2d`.
    #[serde(default)]
    pub max_age: Option<Sp<String>>,
    #[serde(default)]
    pub min: Option<Sp<u64>>,
    #[serde(default)]
    pub max: Option<Sp<u64>>,
    #[serde(default)]
    pub description: Option<Sp<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// Maximum age of the newest data, e.g. `6h`.
    #[serde(default)]
    pub freshness: Option<Sp<String>>,
    /// e.g. `"99.5%"`.
    #[serde(default)]
    pub availability: Option<Sp<String>>,
    /// How long data is kept, e.g. `7y`.
    #[serde(default)]
    pub retention: Option<Sp<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Access {
    #[serde(default)]
    pub allow: Vec<Sp<AllowEntry>>,
}

/// A principal that may read some of this product's ports.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    #[serde(default)]
    pub team: Option<Sp<String>>,
    /// `domain.product`: approval for a consuming product.
    #[serde(default)]
    pub product: Option<Sp<String>>,
    /// Omitted means every port.
    #[serde(default)]
    pub ports: Option<Vec<Sp<String>>>,
    /// Omitted means every column.
    #[serde(default)]
    pub columns: Option<Vec<Sp<String>>>,
    #[serde(default)]
    pub purpose: Option<Sp<String>>,
    /// YYYY-MM-DD; the entry grants nothing after it.
    #[serde(default)]
    pub expires: Option<Sp<String>>,
    /// Masked columns this principal may read raw.
    #[serde(default)]
    pub unmasked: Vec<Sp<String>>,
}

// ---------------------------------------------------------------- documents

/// One document of a mesh file, typed by its kind. (Serialized only by the
/// parse cache, see `load::cache`.)
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Spec {
    Mesh(Box<MeshSpec>),
    Domain(DomainSpec),
    Team(TeamSpec),
    Source(SourceSpec),
    DataProduct(Box<ProductSpec>),
}

/// One document with its envelope.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Document {
    pub kind: Sp<Kind>,
    pub metadata: Sp<Metadata>,
    pub spec: Spec,
    /// Location of the `spec` key, or of the document start.
    pub spec_loc: super::sp::Loc,
}

/// Schema-only envelope types: what `meshc schema KIND` describes. The
/// loader reads the same `Metadata` and spec types through its kind-first
/// visitor (see `load::parse`).
pub mod envelope {
    use super::*;

    macro_rules! envelope {
        ($name:ident, $kind:literal, $spec:ty, $doc:literal) => {
            envelope!($name, $kind, $spec, $doc, #[serde(default)]);
        };
        ($name:ident, $kind:literal, $spec:ty, $doc:literal, required) => {
            envelope!($name, $kind, $spec, $doc,);
        };
        ($name:ident, $kind:literal, $spec:ty, $doc:literal, $(#[$spec_attr:meta])*) => {
            #[doc = $doc]
            #[derive(JsonSchema)]
            #[serde(deny_unknown_fields, rename_all = "camelCase")]
            #[allow(dead_code)]
            pub struct $name {
                /// Always `meshc/v1`.
                #[schemars(regex(pattern = r"^meshc/v1$"))]
                pub api_version: String,
                #[schemars(regex(pattern = $kind))]
                pub kind: String,
                pub metadata: Metadata,
                $(#[$spec_attr])*
                pub spec: $spec,
            }
        };
    }

    envelope!(
        MeshDocument,
        "^Mesh$",
        MeshSpec,
        "The Mesh: targets, naming, governance (exactly one)."
    );
    envelope!(DomainDocument, "^Domain$", DomainSpec, "A business domain.");
    envelope!(
        TeamDocument,
        "^Team$",
        TeamSpec,
        "A team that owns domains, sources and products."
    );
    envelope!(
        SourceDocument,
        "^Source$",
        SourceSpec,
        "An operational system products read from."
    );
    envelope!(
        DataProductDocument,
        "^DataProduct$",
        ProductSpec,
        "A data product: inputs, output ports, access.",
        required
    );
}

impl Sp<Input> {
    /// Where findings about this input point: its `product:` or `source:`
    /// value, else the entry itself.
    pub fn target_loc(&self) -> super::sp::Loc {
        self.product
            .as_ref()
            .or(self.source.as_ref())
            .map(|n| n.loc)
            .unwrap_or(self.loc)
    }
}
