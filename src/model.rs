//! The resolved mesh: every document with its names turned into ids. An
//! immutable value built by `resolve`; later stages only read it.

use std::collections::BTreeMap;

use crate::load::syntax::{
    Column, DomainSpec, MeshSpec, Metadata, Port, ProductSpec, SourceSpec, Status, TeamSpec,
    Visibility,
};
use crate::load::{Loc, Sp};
use crate::source::{FileId, Span};

macro_rules! id {
    ($name:ident) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);
        impl $name {
            pub fn idx(self) -> usize {
                self.0 as usize
            }
        }
    };
}
id!(DomainId);
id!(TeamId);
id!(SourceId);
id!(ProductId);

/// Naming templates with the defaults of SPEC §1.1 filled in.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Naming {
    pub schema: String,
    pub relation: String,
    pub masked_relation: String,
    pub product_role: String,
    pub team_role: String,
}

impl Default for Naming {
    fn default() -> Self {
        Naming {
            schema: "{{ domain }}".into(),
            relation: "{{ product }}__{{ port }}".into(),
            masked_relation: "{{ product }}__{{ port }}__masked".into(),
            product_role: "dp_{{ domain }}_{{ product }}".into(),
            team_role: "team_{{ team }}".into(),
        }
    }
}

pub const DEFAULT_CLASSIFICATIONS: [&str; 5] =
    ["public", "internal", "confidential", "pii", "restricted"];

#[derive(Debug, Clone)]
pub struct MeshDoc {
    pub file: FileId,
    pub metadata: Sp<Metadata>,
    pub spec: MeshSpec,
}

#[derive(Debug)]
pub struct Domain {
    pub name: String,
    pub file: FileId,
    pub metadata: Sp<Metadata>,
    pub spec: DomainSpec,
    pub owner: Option<TeamId>,
}

#[derive(Debug)]
pub struct Team {
    pub name: String,
    pub file: FileId,
    pub metadata: Sp<Metadata>,
    pub spec: TeamSpec,
}

#[derive(Debug)]
pub struct Source {
    /// `domain.source`.
    pub fqn: String,
    pub name: String,
    pub domain_name: String,
    pub domain: Option<DomainId>,
    pub file: FileId,
    pub metadata: Sp<Metadata>,
    pub spec: SourceSpec,
    pub owner: Option<TeamId>,
}

/// What an input reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InputTarget {
    Port { product: ProductId, port: usize },
    Table { source: SourceId, table: usize },
}

/// One entry of `spec.inputs`, resolved.
#[derive(Debug, Clone)]
pub struct ResolvedInput {
    /// Index into `spec.inputs`.
    pub index: usize,
    pub target: InputTarget,
    /// Indices of the consumed columns on the target; `None` = all of them
    /// (or unknown, for a port without columns: one whose contract file
    /// could not be read).
    pub columns: Option<Vec<usize>>,
}

#[derive(Debug)]
pub struct Product {
    /// `domain.product`.
    pub fqn: String,
    pub name: String,
    pub domain_name: String,
    pub domain: Option<DomainId>,
    pub file: FileId,
    pub metadata: Sp<Metadata>,
    pub spec: ProductSpec,
    pub owner: Option<TeamId>,
    /// Inputs that resolved; unresolved ones produced diagnostics.
    pub inputs: Vec<ResolvedInput>,
}

impl Product {
    pub fn status(&self) -> Status {
        self.spec
            .status
            .as_ref()
            .map(|s| s.value)
            .unwrap_or(Status::Active)
    }

    /// Where the status is written (or the name, when it is defaulted).
    pub fn status_loc(&self) -> Loc {
        self.spec
            .status
            .as_ref()
            .map(|s| s.loc)
            .unwrap_or(self.metadata.name.loc)
    }

    pub fn port(&self, name: &str) -> Option<(usize, &Port)> {
        self.spec
            .outputs
            .iter()
            .enumerate()
            .find(|(_, p)| p.name.as_str() == name)
            .map(|(i, p)| (i, &p.value))
    }

    pub fn span(&self) -> Span {
        span_of(self.file, self.metadata.name.loc)
    }
}

/// Columns of a port: written under `columns`, or taken from its
/// `contract` file by the loader (their locations then point into that
/// file; see `Loc::file`). Empty when it has none, e.g. a contract that
/// could not be read.
pub fn port_columns(port: &Port) -> &[Sp<Column>] {
    port.columns.as_deref().unwrap_or(&[])
}

/// Whether a port names a contract file that could not be used (M008 says
/// why): what the port would take from it (columns, description, SLA, …)
/// is unknown, so rules do not report it missing.
pub fn contract_unusable(port: &Port) -> bool {
    port.contract.is_some() && port.contract_file.is_none() && port.columns.is_none()
}

pub fn port_visibility(port: &Port) -> Visibility {
    port.visibility
        .as_ref()
        .map(|v| v.value)
        .unwrap_or(Visibility::Domain)
}

/// A column anywhere in the mesh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ColumnRef {
    Port {
        product: ProductId,
        port: usize,
        column: usize,
    },
    Table {
        source: SourceId,
        table: usize,
        column: usize,
    },
}

/// `to` is computed from `from` (a `derivedFrom` entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnEdge {
    pub from: ColumnRef,
    pub to: ColumnRef,
    /// The `derivedFrom` entry.
    pub span: Span,
}

/// The whole resolved mesh.
#[derive(Debug, Default)]
pub struct Mesh {
    pub root: Option<MeshDoc>,
    pub naming: Naming,
    pub classifications: Vec<String>,
    pub domains: Vec<Domain>,
    pub teams: Vec<Team>,
    pub sources: Vec<Source>,
    pub products: Vec<Product>,
    pub domain_by_name: BTreeMap<String, DomainId>,
    pub team_by_name: BTreeMap<String, TeamId>,
    pub source_by_fqn: BTreeMap<String, SourceId>,
    pub product_by_fqn: BTreeMap<String, ProductId>,
    /// Column lineage, sorted.
    pub lineage: Vec<ColumnEdge>,
}

impl Mesh {
    pub fn product(&self, id: ProductId) -> &Product {
        &self.products[id.idx()]
    }
    pub fn source(&self, id: SourceId) -> &Source {
        &self.sources[id.idx()]
    }
    pub fn team(&self, id: TeamId) -> &Team {
        &self.teams[id.idx()]
    }

    pub fn product_ids(&self) -> impl Iterator<Item = ProductId> + '_ {
        (0..self.products.len()).map(|i| ProductId(i as u32))
    }

    /// FQN of a column reference.
    pub fn column_fqn(&self, c: ColumnRef) -> String {
        match c {
            ColumnRef::Port {
                product,
                port,
                column,
            } => {
                let p = self.product(product);
                let port = &p.spec.outputs[port];
                [
                    p.fqn.as_str(),
                    ".",
                    port.name.as_str(),
                    ".",
                    port_columns(port)[column].name.as_str(),
                ]
                .concat()
            }
            ColumnRef::Table {
                source,
                table,
                column,
            } => {
                let s = self.source(source);
                let t = &s.spec.tables[table];
                [
                    s.fqn.as_str(),
                    ".",
                    t.name.as_str(),
                    ".",
                    t.columns[column].name.as_str(),
                ]
                .concat()
            }
        }
    }

    /// FQN of what an input reads: `domain.product.port` or `domain.source.table`.
    pub fn target_fqn(&self, t: InputTarget) -> String {
        match t {
            InputTarget::Port { product, port } => {
                let p = self.product(product);
                format!("{}.{}", p.fqn, p.spec.outputs[port].name.as_str())
            }
            InputTarget::Table { source, table } => {
                let s = self.source(source);
                format!("{}.{}", s.fqn, s.spec.tables[table].name.as_str())
            }
        }
    }
}

/// A diagnostic span for a location in a value of a document of `file`:
/// in `file`, or in the contract file the value was read from (a column a
/// port took from its contract; see `Loc::file`).
pub fn span_of(file: FileId, loc: Loc) -> Span {
    crate::load::parse::span(file, loc)
}
