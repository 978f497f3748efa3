//! `build/manifest.json`: the resolved mesh as one sorted, versioned JSON
//! document. Its shape is public (documented in the book's manifest page);
//! bump [`MANIFEST_VERSION`] on any incompatible change.

use serde::Serialize;
use serde_json::Value;

use crate::diagnostics::Diagnostic;
use crate::load::syntax::{Column, Port};
use crate::model::*;
use crate::source::SourceDb;

pub const MANIFEST_VERSION: u32 = 1;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub manifest_version: u32,
    pub generator: String,
    pub mesh: MeshInfo,
    pub domains: Vec<DomainInfo>,
    pub teams: Vec<TeamInfo>,
    pub sources: Vec<SourceInfo>,
    pub products: Vec<ProductInfo>,
    /// Product-level edges: what each product reads.
    pub edges: Vec<EdgeInfo>,
    /// Column lineage from `derivedFrom`.
    pub lineage: Vec<LineageInfo>,
    pub diagnostics: Vec<DiagInfo>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeshInfo {
    pub name: Option<String>,
    pub description: Option<String>,
    pub targets: Vec<Value>,
    pub naming: Naming,
    pub classifications: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Place {
    pub file: String,
    pub line: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainInfo {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub defined_at: Place,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamInfo {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub email: Option<String>,
    pub chat: Option<String>,
    pub members: Vec<String>,
    pub defined_at: Place,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnInfo {
    pub fqn: String,
    pub name: String,
    #[serde(rename = "type")]
    pub column_type: String,
    pub nullable: bool,
    pub description: Option<String>,
    pub classification: Option<String>,
    pub masking: String,
    pub derived_from: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableInfo {
    pub fqn: String,
    pub name: String,
    pub description: Option<String>,
    pub columns: Vec<ColumnInfo>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceInfo {
    pub fqn: String,
    pub name: String,
    pub domain: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub system: Option<String>,
    pub tables: Vec<TableInfo>,
    pub defined_at: Place,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortInfo {
    pub fqn: String,
    pub name: String,
    #[serde(rename = "type")]
    pub port_type: String,
    pub visibility: String,
    pub description: Option<String>,
    pub primary_key: Vec<String>,
    /// `null` when the schema lives in a contract file.
    pub columns: Option<Vec<ColumnInfo>>,
    pub quality: Vec<Value>,
    pub sla: Option<Value>,
    pub contract: Option<String>,
    pub query: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InputInfo {
    /// `domain.product.port` or `domain.source.table`.
    pub from: String,
    pub kind: &'static str,
    pub version: Option<String>,
    /// `null` = every column.
    pub columns: Option<Vec<String>>,
    pub purpose: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductInfo {
    pub fqn: String,
    pub name: String,
    pub domain: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub tags: Vec<String>,
    pub version: String,
    pub status: String,
    pub deprecation: Option<Value>,
    pub inputs: Vec<InputInfo>,
    pub ports: Vec<PortInfo>,
    pub access: Vec<Value>,
    pub consumers: Vec<String>,
    pub defined_at: Place,
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct EdgeInfo {
    pub from: String,
    pub to: String,
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineageInfo {
    pub from: String,
    pub to: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagInfo {
    pub code: String,
    pub severity: String,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

fn s(o: &Option<crate::load::Sp<String>>) -> Option<String> {
    o.as_ref().map(|v| v.value.clone())
}

fn place(db: &SourceDb, file: crate::source::FileId, line: u32) -> Place {
    Place {
        file: db.path(file).to_string(),
        line: line as usize,
    }
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn column_info(owner: &str, c: &Column) -> ColumnInfo {
    ColumnInfo {
        fqn: format!("{owner}.{}", c.name.as_str()),
        name: c.name.value.clone(),
        column_type: c.column_type.value.clone(),
        nullable: c.nullable.as_ref().map(|n| n.value).unwrap_or(true),
        description: s(&c.description),
        classification: s(&c.classification),
        masking: c
            .masking
            .as_ref()
            .map(|m| m.as_str())
            .unwrap_or("none")
            .to_string(),
        derived_from: c.derived_from.iter().map(|d| d.value.clone()).collect(),
    }
}

fn port_info(product_fqn: &str, p: &Port) -> PortInfo {
    let fqn = format!("{product_fqn}.{}", p.name.as_str());
    PortInfo {
        name: p.name.value.clone(),
        port_type: p
            .port_type
            .as_ref()
            .map(|t| t.as_str())
            .unwrap_or("table")
            .to_string(),
        visibility: port_visibility(p).as_str().to_string(),
        description: s(&p.description),
        primary_key: p.primary_key.iter().map(|k| k.value.clone()).collect(),
        columns: p
            .columns
            .as_ref()
            .map(|cs| cs.iter().map(|c| column_info(&fqn, c)).collect()),
        quality: p.quality.iter().map(|q| to_value(&q.value)).collect(),
        sla: p.sla.as_ref().map(|x| to_value(&x.value)),
        contract: s(&p.contract),
        query: s(&p.query),
        fqn,
    }
}

/// Builds the manifest. `diagnostics` are those of the check that preceded
/// the build (warnings and infos; a build with errors writes nothing).
pub fn build(mesh: &Mesh, db: &SourceDb, diagnostics: &[Diagnostic]) -> Manifest {
    let root = mesh.root.as_ref();
    let mut targets: Vec<Value> = root
        .map(|r| r.spec.targets.iter().map(|t| to_value(&t.value)).collect())
        .unwrap_or_default();
    targets.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));

    let mut domains: Vec<DomainInfo> = mesh
        .domains
        .iter()
        .map(|d| DomainInfo {
            name: d.name.clone(),
            title: s(&d.metadata.title),
            description: s(&d.metadata.description),
            owner: s(&d.metadata.owner),
            defined_at: place(db, d.file, d.metadata.name.loc.line),
        })
        .collect();
    domains.sort_by(|a, b| a.name.cmp(&b.name));

    let mut teams: Vec<TeamInfo> = mesh
        .teams
        .iter()
        .map(|t| {
            let contact = t.spec.contact.as_ref();
            TeamInfo {
                name: t.name.clone(),
                title: s(&t.metadata.title),
                description: s(&t.metadata.description),
                email: contact.and_then(|c| s(&c.email)),
                chat: contact.and_then(|c| s(&c.chat)),
                members: t.spec.members.iter().map(|m| m.value.clone()).collect(),
                defined_at: place(db, t.file, t.metadata.name.loc.line),
            }
        })
        .collect();
    teams.sort_by(|a, b| a.name.cmp(&b.name));

    let mut sources: Vec<SourceInfo> = mesh
        .sources
        .iter()
        .map(|src| SourceInfo {
            fqn: src.fqn.clone(),
            name: src.name.clone(),
            domain: src.domain_name.clone(),
            title: s(&src.metadata.title),
            description: s(&src.metadata.description),
            owner: s(&src.metadata.owner),
            system: s(&src.spec.system),
            tables: src
                .spec
                .tables
                .iter()
                .map(|t| {
                    let fqn = format!("{}.{}", src.fqn, t.name.as_str());
                    TableInfo {
                        columns: t.columns.iter().map(|c| column_info(&fqn, c)).collect(),
                        fqn,
                        name: t.name.value.clone(),
                        description: s(&t.description),
                    }
                })
                .collect(),
            defined_at: place(db, src.file, src.metadata.name.loc.line),
        })
        .collect();
    sources.sort_by(|a, b| a.fqn.cmp(&b.fqn));

    let mut consumers: Vec<Vec<String>> = vec![Vec::new(); mesh.products.len()];
    let mut edges = Vec::new();
    for pid in mesh.product_ids() {
        let p = mesh.product(pid);
        for i in &p.inputs {
            edges.push(EdgeInfo {
                from: mesh.target_fqn(i.target),
                to: p.fqn.clone(),
            });
            if let InputTarget::Port { product, .. } = i.target {
                consumers[product.idx()].push(p.fqn.clone());
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
                fqn: p.fqn.clone(),
                name: p.name.clone(),
                domain: p.domain_name.clone(),
                title: s(&p.metadata.title),
                description: s(&p.metadata.description),
                owner: s(&p.metadata.owner),
                tags: p.metadata.tags.iter().map(|t| t.value.clone()).collect(),
                version: s(&p.spec.version).unwrap_or_default(),
                status: p.status().as_str().to_string(),
                deprecation: p.spec.deprecation.as_ref().map(|d| to_value(&d.value)),
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
                            columns: decl
                                .columns
                                .as_ref()
                                .map(|cs| cs.iter().map(|c| c.value.clone()).collect()),
                            purpose: s(&decl.purpose),
                        }
                    })
                    .collect(),
                ports: p
                    .spec
                    .outputs
                    .iter()
                    .map(|o| port_info(&p.fqn, o))
                    .collect(),
                access: p
                    .spec
                    .access
                    .as_ref()
                    .map(|a| a.allow.iter().map(|e| to_value(&e.value)).collect())
                    .unwrap_or_default(),
                consumers: cons,
                defined_at: place(db, p.file, p.metadata.name.loc.line),
            }
        })
        .collect();
    products.sort_by(|a, b| a.fqn.cmp(&b.fqn));

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
                (f.path.clone(), l, c)
            });
            DiagInfo {
                code: d.code.as_str().to_string(),
                severity: d.severity.as_str().to_string(),
                message: d.message.clone(),
                file: pos.as_ref().map(|p| p.0.clone()),
                line: pos.as_ref().map(|p| p.1),
                column: pos.as_ref().map(|p| p.2),
            }
        })
        .collect();

    Manifest {
        manifest_version: MANIFEST_VERSION,
        generator: format!("meshc {}", env!("CARGO_PKG_VERSION")),
        mesh: MeshInfo {
            name: root.map(|r| r.metadata.name.value.clone()),
            description: root.and_then(|r| s(&r.metadata.description)),
            targets,
            naming: mesh.naming.clone(),
            classifications: mesh.classifications.clone(),
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
