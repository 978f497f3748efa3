//! `build/manifest.json`: the resolved mesh as one sorted, versioned JSON
//! document. Its shape is public (documented in the book's manifest page);
//! bump [`MANIFEST_VERSION`] on any incompatible change.

use serde::Serialize;

use crate::classify::Classes;
use crate::diagnostics::Diagnostic;
use crate::load::Sp;
use crate::load::syntax::{
    AllowEntry, Column, Deprecation, Governance, Port, Quality, Sla, Target,
};
use crate::model::*;
use crate::source::SourceDb;

pub const MANIFEST_VERSION: u32 = 1;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest<'a> {
    pub manifest_version: u32,
    pub generator: String,
    pub mesh: MeshInfo<'a>,
    pub domains: Vec<DomainInfo<'a>>,
    pub teams: Vec<TeamInfo<'a>>,
    pub sources: Vec<SourceInfo<'a>>,
    pub products: Vec<ProductInfo<'a>>,
    /// Product-level edges: what each product reads.
    pub edges: Vec<EdgeInfo<'a>>,
    /// Column lineage from `derivedFrom`.
    pub lineage: Vec<LineageInfo>,
    pub diagnostics: Vec<DiagInfo<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeshInfo<'a> {
    pub name: Option<&'a str>,
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub tags: Vec<&'a str>,
    /// The Mesh's `governance` as written (rules and policy globs).
    pub governance: Option<&'a Governance>,
    pub targets: Vec<&'a Target>,
    pub naming: &'a Naming,
    pub classifications: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Place<'a> {
    pub file: &'a str,
    pub line: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainInfo<'a> {
    pub name: &'a str,
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub tags: Vec<&'a str>,
    /// The domain's own `governance` as written.
    pub governance: Option<&'a Governance>,
    pub defined_at: Place<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamInfo<'a> {
    pub name: &'a str,
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub tags: Vec<&'a str>,
    pub email: Option<&'a str>,
    pub chat: Option<&'a str>,
    pub members: Vec<&'a str>,
    pub defined_at: Place<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnInfo<'a> {
    pub fqn: String,
    pub name: &'a str,
    #[serde(rename = "type")]
    pub column_type: &'a str,
    pub nullable: bool,
    pub description: Option<&'a str>,
    pub classification: Option<&'a str>,
    /// The most sensitive of its own classification and everything it is
    /// derived from (unless masked): see the book's governance chapter.
    pub effective_classification: Option<&'a str>,
    pub masking: &'static str,
    pub derived_from: Vec<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableInfo<'a> {
    pub fqn: String,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub columns: Vec<ColumnInfo<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceInfo<'a> {
    pub fqn: &'a str,
    pub name: &'a str,
    pub domain: &'a str,
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub tags: Vec<&'a str>,
    pub system: Option<&'a str>,
    pub tables: Vec<TableInfo<'a>>,
    pub defined_at: Place<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortInfo<'a> {
    pub fqn: String,
    pub name: &'a str,
    #[serde(rename = "type")]
    pub port_type: &'static str,
    pub visibility: &'static str,
    pub description: Option<&'a str>,
    pub primary_key: Vec<&'a str>,
    /// Written or taken from the port's contract file; `null` when the port
    /// has none (a contract that could not be used).
    pub columns: Option<Vec<ColumnInfo<'a>>>,
    pub quality: Vec<&'a Quality>,
    pub sla: Option<&'a Sla>,
    pub contract: Option<&'a str>,
    pub query: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InputInfo<'a> {
    /// `domain.product.port` or `domain.source.table`.
    pub from: String,
    pub kind: &'static str,
    pub version: Option<&'a str>,
    /// `null` = every column.
    pub columns: Option<Vec<&'a str>>,
    pub purpose: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductInfo<'a> {
    pub fqn: &'a str,
    pub name: &'a str,
    pub domain: &'a str,
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub tags: Vec<&'a str>,
    pub version: &'a str,
    pub status: &'static str,
    pub deprecation: Option<&'a Deprecation>,
    pub inputs: Vec<InputInfo<'a>>,
    pub ports: Vec<PortInfo<'a>>,
    pub access: Vec<&'a AllowEntry>,
    pub consumers: Vec<&'a str>,
    pub defined_at: Place<'a>,
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct EdgeInfo<'a> {
    pub from: String,
    pub to: &'a str,
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineageInfo {
    pub from: String,
    pub to: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagInfo<'a> {
    pub code: &'a str,
    pub severity: &'static str,
    pub message: &'a str,
    pub file: Option<&'a str>,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

fn s(o: &Option<Sp<String>>) -> Option<&str> {
    o.as_ref().map(|v| v.as_str())
}

fn strs(v: &[Sp<String>]) -> Vec<&str> {
    v.iter().map(|x| x.as_str()).collect()
}

fn place(db: &SourceDb, file: crate::source::FileId, line: u32) -> Place<'_> {
    Place {
        file: db.path(file),
        line: line as usize,
    }
}

fn column_info<'a>(owner: &str, c: &'a Column, effective: Option<&'a str>) -> ColumnInfo<'a> {
    ColumnInfo {
        effective_classification: effective,
        fqn: [owner, ".", c.name.as_str()].concat(),
        name: &c.name,
        column_type: &c.column_type,
        nullable: c.nullable.as_ref().map(|n| n.value).unwrap_or(true),
        description: s(&c.description),
        classification: s(&c.classification),
        masking: c.masking.as_ref().map(|m| m.as_str()).unwrap_or("none"),
        derived_from: strs(&c.derived_from),
    }
}

fn port_info<'a>(
    product_fqn: &str,
    p: &'a Port,
    effective: impl Fn(usize) -> Option<&'a str>,
) -> PortInfo<'a> {
    let fqn = [product_fqn, ".", p.name.as_str()].concat();
    PortInfo {
        name: &p.name,
        port_type: p.port_type.as_ref().map(|t| t.as_str()).unwrap_or("table"),
        visibility: port_visibility(p).as_str(),
        description: s(&p.description),
        primary_key: strs(&p.primary_key),
        columns: p.columns.as_ref().map(|cs| {
            cs.iter()
                .enumerate()
                .map(|(i, c)| column_info(&fqn, c, effective(i)))
                .collect()
        }),
        quality: p.quality.iter().map(|q| &q.value).collect(),
        sla: p.sla.as_ref().map(|x| &x.value),
        contract: s(&p.contract),
        query: s(&p.query),
        fqn,
    }
}

/// Builds the manifest. `diagnostics` are those of the check that preceded
/// the build (warnings and infos; a build with errors writes nothing).
pub fn build<'a>(
    mesh: &'a Mesh,
    classes: &'a Classes,
    db: &'a SourceDb,
    diagnostics: &'a [Diagnostic],
) -> Manifest<'a> {
    let root = mesh.root.as_ref();
    let mut targets: Vec<&Target> = root
        .map(|r| r.spec.targets.iter().map(|t| &t.value).collect())
        .unwrap_or_default();
    targets.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));

    let mut domains: Vec<DomainInfo> = mesh
        .domains
        .iter()
        .map(|d| DomainInfo {
            name: &d.name,
            title: s(&d.metadata.title),
            description: s(&d.metadata.description),
            owner: s(&d.metadata.owner),
            tags: strs(&d.metadata.tags),
            governance: d.spec.governance.as_ref(),
            defined_at: place(db, d.file, d.metadata.name.loc.line),
        })
        .collect();
    domains.sort_by(|a, b| a.name.cmp(b.name));

    let mut teams: Vec<TeamInfo> = mesh
        .teams
        .iter()
        .map(|t| {
            let contact = t.spec.contact.as_ref();
            TeamInfo {
                name: &t.name,
                title: s(&t.metadata.title),
                description: s(&t.metadata.description),
                tags: strs(&t.metadata.tags),
                email: contact.and_then(|c| s(&c.email)),
                chat: contact.and_then(|c| s(&c.chat)),
                members: strs(&t.spec.members),
                defined_at: place(db, t.file, t.metadata.name.loc.line),
            }
        })
        .collect();
    teams.sort_by(|a, b| a.name.cmp(b.name));

    let mut sources: Vec<SourceInfo> = mesh
        .sources
        .iter()
        .map(|src| SourceInfo {
            fqn: &src.fqn,
            name: &src.name,
            domain: &src.domain_name,
            title: s(&src.metadata.title),
            description: s(&src.metadata.description),
            owner: s(&src.metadata.owner),
            tags: strs(&src.metadata.tags),
            system: s(&src.spec.system),
            tables: src
                .spec
                .tables
                .iter()
                .map(|t| {
                    let fqn = format!("{}.{}", src.fqn, t.name.as_str());
                    TableInfo {
                        columns: t
                            .columns
                            .iter()
                            .map(|c| column_info(&fqn, c, s(&c.classification)))
                            .collect(),
                        fqn,
                        name: &t.name,
                        description: s(&t.description),
                    }
                })
                .collect(),
            defined_at: place(db, src.file, src.metadata.name.loc.line),
        })
        .collect();
    sources.sort_by(|a, b| a.fqn.cmp(b.fqn));

    let mut consumers: Vec<Vec<&str>> = vec![Vec::new(); mesh.products.len()];
    let mut edges = Vec::new();
    for pid in mesh.product_ids() {
        let p = mesh.product(pid);
        for i in &p.inputs {
            edges.push(EdgeInfo {
                from: mesh.target_fqn(i.target),
                to: &p.fqn,
            });
            if let InputTarget::Port { product, .. } = i.target {
                consumers[product.idx()].push(&p.fqn);
            }
        }
    }
    edges.sort();
    edges.dedup();

    let mut products: Vec<ProductInfo> = mesh
        .product_ids()
        .map(|pid| {
            let p = mesh.product(pid);
            let mut cons = std::mem::take(&mut consumers[pid.idx()]);
            cons.sort();
            cons.dedup();
            ProductInfo {
                fqn: &p.fqn,
                name: &p.name,
                domain: &p.domain_name,
                title: s(&p.metadata.title),
                description: s(&p.metadata.description),
                owner: s(&p.metadata.owner),
                tags: strs(&p.metadata.tags),
                version: s(&p.spec.version).unwrap_or_default(),
                status: p.status().as_str(),
                deprecation: p.spec.deprecation.as_ref().map(|d| &d.value),
                inputs: p
                    .inputs
                    .iter()
                    .map(|i| {
                        let decl = &p.spec.inputs[i.index];
                        InputInfo {
                            from: mesh.target_fqn(i.target),
                            kind: match i.target {
                                InputTarget::Port { .. } => "product",
                                InputTarget::Table { .. } => "source",
                            },
                            version: s(&decl.version),
                            columns: decl.columns.as_deref().map(strs),
                            purpose: s(&decl.purpose),
                        }
                    })
                    .collect(),
                ports: p
                    .spec
                    .outputs
                    .iter()
                    .enumerate()
                    .map(|(pi, o)| {
                        port_info(&p.fqn, o, |ci| {
                            let c = ColumnRef::Port {
                                product: pid,
                                port: pi,
                                column: ci,
                            };
                            classes
                                .effective(c)
                                .and_then(|r| mesh.classifications.get(r))
                                .map(String::as_str)
                        })
                    })
                    .collect(),
                access: p
                    .spec
                    .access
                    .as_ref()
                    .map(|a| a.allow.iter().map(|e| &e.value).collect())
                    .unwrap_or_default(),
                consumers: cons,
                defined_at: place(db, p.file, p.metadata.name.loc.line),
            }
        })
        .collect();
    products.sort_by(|a, b| a.fqn.cmp(b.fqn));

    let mut lineage: Vec<LineageInfo> = mesh
        .lineage
        .iter()
        .map(|e| LineageInfo {
            from: mesh.column_fqn(e.from),
            to: mesh.column_fqn(e.to),
        })
        .collect();
    lineage.sort();
    lineage.dedup();

    let diagnostics = diagnostics
        .iter()
        .map(|d| {
            let pos = d.primary.as_ref().map(|p| {
                let f = db.get(p.span.file);
                let (l, c) = f.line_col(p.span.start as usize);
                (f.path.as_str(), l, c)
            });
            DiagInfo {
                code: d.code_str(),
                severity: d.severity.as_str(),
                message: &d.message,
                file: pos.map(|p| p.0),
                line: pos.map(|p| p.1),
                column: pos.map(|p| p.2),
            }
        })
        .collect();

    Manifest {
        manifest_version: MANIFEST_VERSION,
        generator: format!("meshc {}", env!("CARGO_PKG_VERSION")),
        mesh: MeshInfo {
            name: root.map(|r| r.metadata.name.as_str()),
            title: root.and_then(|r| s(&r.metadata.title)),
            description: root.and_then(|r| s(&r.metadata.description)),
            tags: root.map(|r| strs(&r.metadata.tags)).unwrap_or_default(),
            governance: root.and_then(|r| r.spec.governance.as_ref()),
            targets,
            naming: &mesh.naming,
            classifications: &mesh.classifications,
        },
        domains,
        teams,
        sources,
        products,
        edges,
        lineage,
        diagnostics,
    }
}
