//! Resolve: names → ids. Builds the [`Mesh`] from the loaded documents and
//! reports M004–M006 and R101–R107. Never fails: an unresolved reference is
//! a diagnostic and is left out of the model, so later stages see only
//! references that exist.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use crate::diagnostics::{Code, Diagnostic, suggest};
use crate::load::parse::Broken;
use crate::load::syntax::{Column, Document, Kind, Metadata, Spec};
use crate::load::{Loc, Sp};
use crate::model::*;
use crate::source::FileId;

/// Identifier rule of SPEC §1: `[a-z][a-z0-9_]*`, at most 63 characters.
pub fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && s.len() <= 63
}

struct Ctx {
    diags: Vec<Diagnostic>,
    /// Documents that failed to load: references to them are not unknown,
    /// their own diagnostic already says what is wrong.
    broken: std::sync::Arc<BTreeSet<(Kind, String)>>,
}

impl Ctx {
    /// A context for one product's work on another thread.
    fn fork(&self) -> Ctx {
        Ctx {
            diags: Vec::new(),
            broken: self.broken.clone(),
        }
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn is_broken(&self, kind: Kind, name: &str) -> bool {
        self.broken.contains(&(kind, name.to_string()))
    }

    fn check_name(&mut self, file: FileId, name: &Sp<String>, what: &str) {
        if !valid_name(name) {
            let why = if name.len() > 63 {
                format!("is {} characters long (at most 63)", name.len())
            } else {
                "must match [a-z][a-z0-9_]*".to_string()
            };
            let fixed: String = name
                .to_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let mut d =
                Diagnostic::new(Code::M005, format!("{what} name `{}` {why}", name.as_str()))
                    .with_primary(span_of(file, name.loc), "");
            if name.len() > 63 {
                d = d.with_help("names become SQL identifiers, which many engines cap at 63 characters; shorten it");
            } else if valid_name(&fixed) && fixed != *name.as_str() {
                d = d.with_help(format!("try `{fixed}`"));
            } else {
                d = d.with_help(
                    "names start with a lowercase letter, then lowercase letters, digits or `_`",
                );
            }
            self.push(d);
        }
    }

    fn duplicate(&mut self, what: &str, name: &str, file: FileId, loc: Loc, first: (FileId, Loc)) {
        self.push(
            Diagnostic::new(Code::M004, format!("{what} `{name}` is defined twice"))
                .with_primary(span_of(file, loc), "defined again here")
                .with_related(span_of(first.0, first.1), "first defined here")
                .with_help("rename or remove one of the two definitions"),
        );
    }
}

fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    suggest(name, candidates).map(|s| format!("did you mean `{s}`?"))
}

fn unknown(
    code: Code,
    what: &str,
    file: FileId,
    name: &Sp<String>,
    help: Option<String>,
) -> Diagnostic {
    let d = Diagnostic::new(code, format!("unknown {what} `{}`", name.as_str()))
        .with_primary(span_of(file, name.loc), "");
    match help {
        Some(h) => d.with_help(h),
        None => d,
    }
}

/// Builds the mesh and its resolution diagnostics.
pub fn resolve(docs: Vec<(FileId, Document)>, broken: &[Broken]) -> (Mesh, Vec<Diagnostic>) {
    let mut cx = Ctx {
        diags: Vec::new(),
        broken: std::sync::Arc::new(broken.iter().map(|b| (b.kind, b.fqn.clone())).collect()),
    };
    let mut mesh = Mesh::default();

    // Pass 1: register every definition, in load order (sorted paths).
    let mut roots: Vec<MeshDoc> = Vec::new();
    let mut source_items = Vec::new();
    let mut product_items = Vec::new();
    // First definition of each name per namespace, for M004.
    let mut first_domain: BTreeMap<String, (FileId, Loc)> = BTreeMap::new();
    let mut first_team: BTreeMap<String, (FileId, Loc)> = BTreeMap::new();
    let mut first_in_domain: BTreeMap<String, (FileId, Loc, Kind)> = BTreeMap::new();

    for (file, doc) in docs {
        let Document {
            kind,
            metadata,
            spec,
            ..
        } = doc;
        cx.check_name(file, &metadata.name, kind.as_str());
        let name = metadata.name.value.clone();
        let name_loc = metadata.name.loc;
        match spec {
            Spec::Mesh(spec) => roots.push(MeshDoc {
                file,
                metadata,
                spec: *spec,
            }),
            Spec::Domain(spec) => {
                if let Some(first) = first_domain.get(&name) {
                    cx.duplicate("domain", &name, file, name_loc, *first);
                    continue;
                }
                first_domain.insert(name.clone(), (file, name_loc));
                mesh.domain_by_name
                    .insert(name.clone(), DomainId(mesh.domains.len() as u32));
                mesh.domains.push(Domain {
                    name,
                    file,
                    metadata,
                    spec,
                    owner: None,
                });
            }
            Spec::Team(spec) => {
                if let Some(first) = first_team.get(&name) {
                    cx.duplicate("team", &name, file, name_loc, *first);
                    continue;
                }
                first_team.insert(name.clone(), (file, name_loc));
                mesh.team_by_name
                    .insert(name.clone(), TeamId(mesh.teams.len() as u32));
                mesh.teams.push(Team {
                    name,
                    file,
                    metadata,
                    spec,
                });
            }
            Spec::Source(spec) => {
                let fqn = fqn_of(&metadata, &name);
                if let Some(&(f, l, k)) = first_in_domain.get(&fqn) {
                    cx.duplicate(
                        same_namespace(k, Kind::Source),
                        &fqn,
                        file,
                        name_loc,
                        (f, l),
                    );
                    continue;
                }
                first_in_domain.insert(fqn.clone(), (file, name_loc, Kind::Source));
                source_items.push((file, metadata, spec, fqn, name));
            }
            Spec::DataProduct(spec) => {
                let fqn = fqn_of(&metadata, &name);
                if let Some(&(f, l, k)) = first_in_domain.get(&fqn) {
                    cx.duplicate(
                        same_namespace(k, Kind::DataProduct),
                        &fqn,
                        file,
                        name_loc,
                        (f, l),
                    );
                    continue;
                }
                first_in_domain.insert(fqn.clone(), (file, name_loc, Kind::DataProduct));
                product_items.push((file, metadata, *spec, fqn, name));
            }
        }
    }

    // Exactly one Mesh document.
    match roots.len() {
        0 if cx.broken.iter().any(|(k, _)| *k == Kind::Mesh) => {}
        0 => cx.push(
            Diagnostic::new(Code::M006, "no Mesh document found")
                .with_help("add a mesh.yaml at the root with `kind: Mesh` (see `meshc init`)"),
        ),
        1 => {}
        _ => {
            let first = &roots[0];
            for other in &roots[1..] {
                cx.push(
                    Diagnostic::new(Code::M006, "more than one Mesh document")
                        .with_primary(span_of(other.file, other.metadata.name.loc), "another Mesh")
                        .with_related(
                            span_of(first.file, first.metadata.name.loc),
                            "first Mesh here",
                        )
                        .with_help("a mesh has exactly one Mesh document; merge them"),
                );
            }
        }
    }
    if let Some(root) = roots.into_iter().next() {
        apply_root(&mut cx, &mut mesh, &root);
        mesh.root = Some(root);
    } else {
        mesh.classifications = DEFAULT_CLASSIFICATIONS
            .iter()
            .map(|s| s.to_string())
            .collect();
    }

    for (file, metadata, spec, fqn, name) in source_items {
        let domain_name = metadata
            .domain
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_default();
        let id = SourceId(mesh.sources.len() as u32);
        mesh.source_by_fqn.insert(fqn.clone(), id);
        mesh.sources.push(Source {
            fqn,
            name,
            domain_name,
            domain: None,
            file,
            metadata,
            spec,
            owner: None,
        });
    }
    for (file, metadata, spec, fqn, name) in product_items {
        let domain_name = metadata
            .domain
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_default();
        let id = ProductId(mesh.products.len() as u32);
        mesh.product_by_fqn.insert(fqn.clone(), id);
        mesh.products.push(Product {
            fqn,
            name,
            domain_name,
            domain: None,
            file,
            metadata,
            spec,
            owner: None,
            inputs: Vec::new(),
        });
    }

    // Pass 2: references.
    resolve_owners(&mut cx, &mut mesh);
    for i in 0..mesh.sources.len() {
        check_source_shape(&mut cx, &mesh.sources[i]);
        let s = &mesh.sources[i];
        for t in &s.spec.tables {
            check_classifications(&mut cx, s.file, &mesh.classifications, &t.columns);
        }
    }
    // Per-product work runs in parallel; each product's findings are
    // collected on its own and merged (diagnostics are sorted later).
    let n = mesh.products.len();
    let shape: Vec<Vec<Diagnostic>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut l = cx.fork();
            let p = &mesh.products[i];
            check_product_shape(&mut l, p);
            for port in &p.spec.outputs {
                check_classifications(&mut l, p.file, &mesh.classifications, port_columns(port));
            }
            l.diags
        })
        .collect();
    cx.diags.extend(shape.into_iter().flatten());
    let inputs: Vec<(Vec<ResolvedInput>, Vec<Diagnostic>)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut l = cx.fork();
            let inputs = resolve_inputs(&mut l, &mesh, ProductId(i as u32));
            (inputs, l.diags)
        })
        .collect();
    for (i, (resolved, diags)) in inputs.into_iter().enumerate() {
        mesh.products[i].inputs = resolved;
        cx.diags.extend(diags);
    }
    let rest: Vec<(Vec<ColumnEdge>, Vec<Diagnostic>)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut l = cx.fork();
            let id = ProductId(i as u32);
            resolve_access(&mut l, &mesh, id);
            resolve_deprecation(&mut l, &mesh, id);
            let mut edges = Vec::new();
            resolve_lineage(&mut l, &mesh, id, &mut edges);
            (edges, l.diags)
        })
        .collect();
    let mut lineage = Vec::new();
    for (edges, diags) in rest {
        lineage.extend(edges);
        cx.diags.extend(diags);
    }
    lineage.sort();
    lineage.dedup();
    mesh.lineage = lineage;

    (mesh, cx.diags)
}

/// How to call a name clash between a first and a second definition in one
/// domain's namespace (products and sources share it).
fn same_namespace(first: Kind, second: Kind) -> &'static str {
    match (first, second) {
        (Kind::Source, Kind::Source) => "source",
        (Kind::DataProduct, Kind::DataProduct) => "product",
        _ => "name (products and sources of a domain share one namespace)",
    }
}

fn fqn_of(metadata: &Metadata, name: &str) -> String {
    let domain = metadata.domain.as_ref().map(|d| d.as_str()).unwrap_or("");
    format!("{domain}.{name}")
}

fn apply_root(cx: &mut Ctx, mesh: &mut Mesh, root: &MeshDoc) {
    let spec = &root.spec;
    let file = root.file;
    if let Some(n) = &spec.naming {
        let set = |slot: &mut String, v: &Option<Sp<String>>| {
            if let Some(v) = v {
                *slot = v.value.clone();
            }
        };
        set(&mut mesh.naming.schema, &n.schema);
        set(&mut mesh.naming.relation, &n.relation);
        set(&mut mesh.naming.masked_relation, &n.masked_relation);
        set(&mut mesh.naming.product_role, &n.product_role);
        set(&mut mesh.naming.team_role, &n.team_role);
    }
    mesh.classifications = match &spec.classifications {
        Some(list) => {
            let mut seen: BTreeMap<&str, Loc> = BTreeMap::new();
            for c in list {
                cx.check_name(file, c, "classification");
                if let Some(first) = seen.get(c.as_str()) {
                    cx.duplicate("classification", c, file, c.loc, (file, *first));
                } else {
                    seen.insert(c.as_str(), c.loc);
                }
            }
            list.iter().map(|c| c.value.clone()).collect()
        }
        None => DEFAULT_CLASSIFICATIONS
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let mut seen: BTreeMap<&str, Loc> = BTreeMap::new();
    for t in &spec.targets {
        let loc = t.name.loc.or(t.loc);
        let name = Sp::new(t.name.value.clone(), loc);
        cx.check_name(file, &name, "target");
        if let Some(first) = seen.get(t.name.as_str()) {
            cx.duplicate("target", &t.name, file, loc, (file, *first));
        } else {
            seen.insert(t.name.as_str(), loc);
        }
    }
}

fn resolve_owners(cx: &mut Ctx, mesh: &mut Mesh) {
    let team_names: Vec<String> = mesh.team_by_name.keys().cloned().collect();
    let lookup_team = |cx: &mut Ctx, file: FileId, owner: &Option<Sp<String>>| -> Option<TeamId> {
        let o = owner.as_ref()?;
        match mesh.team_by_name.get(o.as_str()) {
            Some(id) => Some(*id),
            None if cx.is_broken(Kind::Team, o) => None,
            None => {
                cx.push(unknown(
                    Code::R102,
                    "team",
                    file,
                    o,
                    did_you_mean(o, team_names.iter().map(String::as_str))
                        .or_else(|| Some("define it in a `kind: Team` document".into())),
                ));
                None
            }
        }
    };
    let owners: Vec<Option<TeamId>> = mesh
        .domains
        .iter()
        .map(|d| lookup_team(cx, d.file, &d.metadata.owner))
        .collect();
    let source_owners: Vec<Option<TeamId>> = mesh
        .sources
        .iter()
        .map(|s| lookup_team(cx, s.file, &s.metadata.owner))
        .collect();
    let product_owners: Vec<Option<TeamId>> = mesh
        .products
        .iter()
        .map(|p| lookup_team(cx, p.file, &p.metadata.owner))
        .collect();
    // access.allow teams
    for p in &mesh.products {
        if let Some(access) = &p.spec.access {
            for entry in &access.allow {
                lookup_team(cx, p.file, &entry.team);
            }
        }
    }
    let domain_names: Vec<String> = mesh.domain_by_name.keys().cloned().collect();
    let lookup_domain = |cx: &mut Ctx, file: FileId, md: &Sp<Metadata>| -> Option<DomainId> {
        let d = md.domain.as_ref()?;
        match mesh.domain_by_name.get(d.as_str()) {
            Some(id) => Some(*id),
            None if cx.is_broken(Kind::Domain, d) => None,
            None => {
                cx.push(unknown(
                    Code::R101,
                    "domain",
                    file,
                    d,
                    did_you_mean(d, domain_names.iter().map(String::as_str))
                        .or_else(|| Some("define it in a `kind: Domain` document".into())),
                ));
                None
            }
        }
    };
    let source_domains: Vec<Option<DomainId>> = mesh
        .sources
        .iter()
        .map(|s| lookup_domain(cx, s.file, &s.metadata))
        .collect();
    let product_domains: Vec<Option<DomainId>> = mesh
        .products
        .iter()
        .map(|p| lookup_domain(cx, p.file, &p.metadata))
        .collect();
    for (d, o) in mesh.domains.iter_mut().zip(owners) {
        d.owner = o;
    }
    for ((s, o), d) in mesh
        .sources
        .iter_mut()
        .zip(source_owners)
        .zip(source_domains)
    {
        s.owner = o;
        s.domain = d;
    }
    for ((p, o), d) in mesh
        .products
        .iter_mut()
        .zip(product_owners)
        .zip(product_domains)
    {
        p.owner = o;
        p.domain = d;
    }
}

/// Names and duplicates inside one set of columns; key and quality columns.
fn check_columns(cx: &mut Ctx, file: FileId, owner: &str, columns: &[Sp<Column>]) {
    let mut seen: BTreeMap<&str, Loc> = BTreeMap::new();
    for c in columns {
        cx.check_name(file, &c.name, "column");
        if let Some(first) = seen.get(c.name.as_str()) {
            cx.duplicate(
                "column",
                &format!("{owner}.{}", c.name.as_str()),
                file,
                c.name.loc,
                (file, *first),
            );
        } else {
            seen.insert(c.name.as_str(), c.name.loc);
        }
    }
}

/// R108: a classification the Mesh does not list.
fn check_classifications(cx: &mut Ctx, file: FileId, classes: &[String], columns: &[Sp<Column>]) {
    for c in columns {
        let Some(class) = &c.classification else {
            continue;
        };
        if classes.iter().any(|k| k == class.as_str()) {
            continue;
        }
        let help = did_you_mean(class, classes.iter().map(String::as_str))
            .unwrap_or_else(|| format!("the Mesh's classifications are: {}", classes.join(", ")));
        cx.push(
            Diagnostic::new(
                Code::R108,
                format!(
                    "unknown classification `{}` on column `{}`",
                    class.as_str(),
                    c.name.as_str()
                ),
            )
            .with_primary(span_of(file, class.loc), "")
            .with_help(help),
        );
    }
}

fn check_source_shape(cx: &mut Ctx, s: &Source) {
    let mut seen: BTreeMap<&str, Loc> = BTreeMap::new();
    for t in &s.spec.tables {
        cx.check_name(s.file, &t.name, "table");
        if let Some(first) = seen.get(t.name.as_str()) {
            cx.duplicate(
                "table",
                &format!("{}.{}", s.fqn, t.name.as_str()),
                s.file,
                t.name.loc,
                (s.file, *first),
            );
        } else {
            seen.insert(t.name.as_str(), t.name.loc);
        }
        check_columns(
            cx,
            s.file,
            &format!("{}.{}", s.fqn, t.name.as_str()),
            &t.columns,
        );
        // A source table is an operational system's table: nothing derives
        // it and meshc masks nothing in it, so these fields would be ignored.
        for c in &t.columns {
            let misplaced = [
                ("derivedFrom", c.derived_from.first().map(|d| d.loc)),
                ("masking", c.masking.as_ref().map(|m| m.loc)),
            ];
            for (field, loc) in misplaced {
                if let Some(loc) = loc {
                    cx.push(
                        Diagnostic::new(
                            Code::M002,
                            format!("`{field}` does not apply to a source table's column"),
                        )
                        .with_primary(span_of(s.file, loc), "")
                        .with_help(
                            "lineage and masking are declared on the data product's output columns",
                        ),
                    );
                }
            }
        }
    }
}

/// A column name on a port that does not exist: R105 with a suggestion.
fn unknown_column(
    cx: &mut Ctx,
    file: FileId,
    name: &Sp<String>,
    owner_fqn: &str,
    columns: &[Sp<Column>],
    related: Option<(FileId, Loc)>,
) {
    let mut d = Diagnostic::new(
        Code::R105,
        format!("unknown column `{}` on `{owner_fqn}`", name.as_str()),
    )
    .with_primary(span_of(file, name.loc), "");
    if let Some((f, l)) = related {
        d = d.with_related(span_of(f, l), format!("`{owner_fqn}` is defined here"));
    }
    d = match did_you_mean(name, columns.iter().map(|c| c.name.as_str())) {
        Some(h) => d.with_help(h),
        None => d.with_help(format!(
            "`{owner_fqn}` has: {}",
            columns
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    };
    cx.push(d);
}

fn check_product_shape(cx: &mut Ctx, p: &Product) {
    let file = p.file;
    let mut seen: BTreeMap<&str, Loc> = BTreeMap::new();
    for port in &p.spec.outputs {
        cx.check_name(file, &port.name, "port");
        let port_fqn = format!("{}.{}", p.fqn, port.name.as_str());
        if let Some(first) = seen.get(port.name.as_str()) {
            cx.duplicate("port", &port_fqn, file, port.name.loc, (file, *first));
        } else {
            seen.insert(port.name.as_str(), port.name.loc);
        }
        // Columns the loader took from the contract are not written ones.
        if port.contract.is_some() && port.columns.is_some() && port.contract_file.is_none() {
            cx.push(
                Diagnostic::new(
                    Code::M002,
                    format!("port `{port_fqn}` has both `contract` and `columns`"),
                )
                .with_primary(
                    span_of(
                        file,
                        port.contract.as_ref().map(|c| c.loc).unwrap_or(port.loc),
                    ),
                    "",
                )
                .with_help("take the schema from the contract file or write `columns`, not both"),
            );
        }
        let Some(columns) = &port.columns else {
            continue;
        };
        check_columns(cx, file, &port_fqn, columns);
        let has = |n: &str| columns.iter().any(|c| c.name.as_str() == n);
        let mut refs: Vec<&Sp<String>> = port.primary_key.iter().collect();
        for q in &port.quality {
            refs.extend(q.column.iter());
            refs.extend(q.columns.iter());
        }
        for r in refs {
            if !has(r) {
                unknown_column(cx, file, r, &port_fqn, columns, None);
            }
        }
    }
}

fn all_product_fqns(mesh: &Mesh) -> impl Iterator<Item = &str> {
    mesh.product_by_fqn.keys().map(String::as_str)
}

/// Looks up `domain.product`; R103 with the closest FQN when missing.
fn lookup_product(cx: &mut Ctx, mesh: &Mesh, file: FileId, name: &Sp<String>) -> Option<ProductId> {
    if let Some(id) = mesh.product_by_fqn.get(name.as_str()) {
        return Some(*id);
    }
    if cx.is_broken(Kind::DataProduct, name) {
        return None;
    }
    let mut help = did_you_mean(name, all_product_fqns(mesh));
    if help.is_none() && !name.contains('.') {
        let matches: Vec<&str> = all_product_fqns(mesh)
            .filter(|f| f.rsplit('.').next() == Some(name.as_str()))
            .collect();
        help = matches
            .first()
            .map(|m| format!("products are named `domain.product`: did you mean `{m}`?"));
    }
    if help.is_none() && mesh.source_by_fqn.contains_key(name.as_str()) {
        help = Some(format!(
            "`{}` is a source: use `source: {}.<table>`",
            name.as_str(),
            name.as_str()
        ));
    }
    cx.push(unknown(Code::R103, "product", file, name, help));
    None
}

/// Looks up a port on a product; R104 when missing.
fn lookup_port(
    cx: &mut Ctx,
    mesh: &Mesh,
    file: FileId,
    product: ProductId,
    name: &Sp<String>,
) -> Option<usize> {
    let p = mesh.product(product);
    if let Some((i, _)) = p.port(name) {
        return Some(i);
    }
    let names: Vec<&str> = p.spec.outputs.iter().map(|o| o.name.as_str()).collect();
    let help = did_you_mean(name, names.iter().copied())
        .unwrap_or_else(|| format!("`{}` has ports: {}", p.fqn, names.join(", ")));
    cx.push(
        Diagnostic::new(
            Code::R104,
            format!("unknown port `{}` on product `{}`", name.as_str(), p.fqn),
        )
        .with_primary(span_of(file, name.loc), "")
        .with_related(p.span(), format!("`{}` is defined here", p.fqn))
        .with_help(help),
    );
    None
}

fn resolve_inputs(cx: &mut Ctx, mesh: &Mesh, id: ProductId) -> Vec<ResolvedInput> {
    let p = mesh.product(id);
    let file = p.file;
    let mut out = Vec::new();
    for (index, input) in p.spec.inputs.iter().enumerate() {
        let schema_error = |msg: &str, loc: Loc, help: &str| {
            Diagnostic::new(Code::M002, msg.to_string())
                .with_primary(span_of(file, loc), "")
                .with_help(help.to_string())
        };
        match (&input.source, &input.product) {
            (Some(_), Some(pr)) => {
                cx.push(schema_error(
                    "an input names both `source` and `product`",
                    pr.loc,
                    "split it into two inputs",
                ));
            }
            (None, None) => {
                cx.push(schema_error(
                    "an input names neither `source` nor `product`",
                    input.loc,
                    "add `product: domain.product` (with `port`) or `source: domain.source.table`",
                ));
            }
            (Some(src), None) => {
                for (field, v) in [("port", &input.port), ("version", &input.version)] {
                    if let Some(v) = v {
                        cx.push(schema_error(
                            &format!("`{field}` applies to product inputs, not to a source input"),
                            v.loc,
                            "remove it",
                        ));
                    }
                }
                if let Some(r) =
                    resolve_source_input(cx, mesh, file, src, input.columns.as_deref(), index)
                {
                    out.push(r);
                }
            }
            (None, Some(prod)) => {
                let Some(producer) = lookup_product(cx, mesh, file, prod) else {
                    continue;
                };
                let pp = mesh.product(producer);
                let port = match &input.port {
                    Some(name) => match lookup_port(cx, mesh, file, producer, name) {
                        Some(i) => i,
                        None => continue,
                    },
                    None if pp.spec.outputs.len() == 1 => 0,
                    None => {
                        let names: Vec<&str> =
                            pp.spec.outputs.iter().map(|o| o.name.as_str()).collect();
                        cx.push(
                            Diagnostic::new(
                                Code::R104,
                                format!(
                                    "input on `{}` does not name a port and the product has {}",
                                    pp.fqn,
                                    if names.is_empty() {
                                        "none".to_string()
                                    } else {
                                        format!("{} ports", names.len())
                                    }
                                ),
                            )
                            .with_primary(span_of(file, prod.loc), "")
                            .with_related(pp.span(), format!("`{}` is defined here", pp.fqn))
                            .with_help(if names.is_empty() {
                                format!("`{}` has no output ports", pp.fqn)
                            } else {
                                format!("add `port:` with one of: {}", names.join(", "))
                            }),
                        );
                        continue;
                    }
                };
                let port_def = &pp.spec.outputs[port];
                let port_fqn = format!("{}.{}", pp.fqn, port_def.name.as_str());
                let columns = match (&input.columns, &port_def.columns) {
                    (Some(list), Some(defs)) => {
                        let mut idx = Vec::new();
                        for c in list {
                            match defs.iter().position(|d| d.name.as_str() == c.as_str()) {
                                Some(i) => idx.push(i),
                                None => unknown_column(
                                    cx,
                                    file,
                                    c,
                                    &port_fqn,
                                    defs,
                                    Some((pp.file, port_def.name.loc)),
                                ),
                            }
                        }
                        idx.sort();
                        idx.dedup();
                        Some(idx)
                    }
                    _ => None,
                };
                out.push(ResolvedInput {
                    index,
                    target: InputTarget::Port {
                        product: producer,
                        port,
                    },
                    columns,
                });
            }
        }
    }
    out
}

fn resolve_source_input(
    cx: &mut Ctx,
    mesh: &Mesh,
    file: FileId,
    name: &Sp<String>,
    columns: Option<&[Sp<String>]>,
    index: usize,
) -> Option<ResolvedInput> {
    let parts = name.split('.').count();
    let Some((source_fqn, table)) = name.rsplit_once('.').filter(|_| parts == 3) else {
        // Point at the closest source when the name is a bare or partial one.
        let bare = name.rsplit('.').next().unwrap_or(name);
        let help = mesh
            .sources
            .iter()
            .find(|s| s.name == bare || s.fqn == name.as_str())
            .map(|s| {
                let tables: Vec<&str> = s.spec.tables.iter().map(|t| t.name.as_str()).collect();
                format!(
                    "a source input names `domain.source.table`: e.g. `{}.{}`",
                    s.fqn,
                    tables.first().copied().unwrap_or("<table>")
                )
            })
            .unwrap_or_else(|| "a source input names `domain.source.table`".into());
        cx.push(unknown(Code::R107, "source table", file, name, Some(help)));
        return None;
    };
    let Some(&sid) = mesh.source_by_fqn.get(source_fqn) else {
        if cx.is_broken(Kind::Source, source_fqn) {
            return None;
        }
        let help = suggest(source_fqn, mesh.source_by_fqn.keys().map(String::as_str))
            .map(|s| format!("did you mean `{s}.{table}`?"))
            .or_else(|| {
                mesh.product_by_fqn.contains_key(name.as_str()).then(|| {
                    format!(
                        "`{}` is a product: use `product: {}`",
                        name.as_str(),
                        name.as_str()
                    )
                })
            })
            .unwrap_or_else(|| "a source input names `domain.source.table`".into());
        cx.push(unknown(Code::R107, "source", file, name, Some(help)));
        return None;
    };
    let s = mesh.source(sid);
    let Some(ti) = s.spec.tables.iter().position(|t| t.name.as_str() == table) else {
        let names: Vec<&str> = s.spec.tables.iter().map(|t| t.name.as_str()).collect();
        let help = suggest(table, names.iter().copied())
            .map(|t| format!("did you mean `{source_fqn}.{t}`?"))
            .unwrap_or_else(|| format!("`{source_fqn}` has tables: {}", names.join(", ")));
        cx.push(
            unknown(Code::R107, "source table", file, name, Some(help)).with_related(
                span_of(s.file, s.metadata.name.loc),
                format!("`{source_fqn}` is defined here"),
            ),
        );
        return None;
    };
    let t = &s.spec.tables[ti];
    let cols = columns.map(|list| {
        let mut idx = Vec::new();
        for c in list {
            match t.columns.iter().position(|d| d.name.as_str() == c.as_str()) {
                Some(i) => idx.push(i),
                None => unknown_column(cx, file, c, name, &t.columns, Some((s.file, t.name.loc))),
            }
        }
        idx.sort();
        idx.dedup();
        idx
    });
    Some(ResolvedInput {
        index,
        target: InputTarget::Table {
            source: sid,
            table: ti,
        },
        columns: cols,
    })
}

fn resolve_access(cx: &mut Ctx, mesh: &Mesh, id: ProductId) {
    let p = mesh.product(id);
    let Some(access) = &p.spec.access else { return };
    for entry in &access.allow {
        match (&entry.team, &entry.product) {
            (Some(_), Some(pr)) => cx.push(
                Diagnostic::new(
                    Code::M002,
                    "an access entry names both `team` and `product`",
                )
                .with_primary(span_of(p.file, pr.loc), "")
                .with_help("write one entry per principal"),
            ),
            (None, None) => cx.push(
                Diagnostic::new(
                    Code::M002,
                    "an access entry names neither `team` nor `product`",
                )
                .with_primary(span_of(p.file, entry.loc), "")
                .with_help("add `team: <team>` or `product: domain.product`"),
            ),
            (None, Some(pr)) => {
                lookup_product(cx, mesh, p.file, pr);
            }
            (Some(_), None) => {} // checked with the owners
        }
        let mut ports = Vec::new();
        match &entry.ports {
            Some(list) => {
                for name in list {
                    if let Some(i) = lookup_port(cx, mesh, p.file, id, name) {
                        ports.push(i);
                    }
                }
            }
            None => ports.extend(0..p.spec.outputs.len()),
        }
        let named: Vec<&Sp<String>> = entry
            .columns
            .iter()
            .flatten()
            .chain(entry.unmasked.iter())
            .collect();
        for c in named {
            let found = ports.iter().any(|&i| {
                port_columns(&p.spec.outputs[i])
                    .iter()
                    .any(|d| d.name.as_str() == c.as_str())
            }) || ports.iter().any(|&i| p.spec.outputs[i].columns.is_none());
            if !found && !ports.is_empty() {
                let all: Vec<Sp<Column>> = ports
                    .iter()
                    .flat_map(|&i| port_columns(&p.spec.outputs[i]).iter().cloned())
                    .collect();
                let owner = if ports.len() == 1 {
                    format!("{}.{}", p.fqn, p.spec.outputs[ports[0]].name.as_str())
                } else {
                    format!("the ports of `{}` it names", p.fqn)
                };
                unknown_column(cx, p.file, c, &owner, &all, None);
            }
        }
    }
}

fn resolve_deprecation(cx: &mut Ctx, mesh: &Mesh, id: ProductId) {
    let p = mesh.product(id);
    if let Some(dep) = &p.spec.deprecation
        && let Some(r) = &dep.replaced_by
    {
        lookup_product(cx, mesh, p.file, r);
    }
}

/// Resolves a column FQN (`domain.product.port.column` or
/// `domain.source.table.column`).
fn resolve_column_fqn(
    cx: &mut Ctx,
    mesh: &Mesh,
    file: FileId,
    name: &Sp<String>,
) -> Option<ColumnRef> {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() != 4 {
        cx.push(
            Diagnostic::new(
                Code::R105,
                format!("`{}` is not a column name", name.as_str()),
            )
            .with_primary(span_of(file, name.loc), "")
            .with_help(
                "derivedFrom lists `domain.product.port.column` or `domain.source.table.column`",
            ),
        );
        return None;
    }
    let owner = format!("{}.{}", parts[0], parts[1]);
    if let Some(&pid) = mesh.product_by_fqn.get(&owner) {
        let p = mesh.product(pid);
        let port_name = Sp::new(parts[2].to_string(), name.loc);
        let port = lookup_port(cx, mesh, file, pid, &port_name)?;
        let def = &p.spec.outputs[port];
        let Some(cols) = &def.columns else {
            return None; // a contract that could not be read (M008)
        };
        let Some(column) = cols.iter().position(|c| c.name.as_str() == parts[3]) else {
            let fqn = format!("{owner}.{}", parts[2]);
            unknown_column(
                cx,
                file,
                &Sp::new(parts[3].to_string(), name.loc),
                &fqn,
                cols,
                Some((p.file, def.name.loc)),
            );
            return None;
        };
        return Some(ColumnRef::Port {
            product: pid,
            port,
            column,
        });
    }
    if let Some(&sid) = mesh.source_by_fqn.get(&owner) {
        let s = mesh.source(sid);
        let Some(table) = s
            .spec
            .tables
            .iter()
            .position(|t| t.name.as_str() == parts[2])
        else {
            let names: Vec<&str> = s.spec.tables.iter().map(|t| t.name.as_str()).collect();
            let help = did_you_mean(parts[2], names.iter().copied())
                .unwrap_or_else(|| format!("`{owner}` has tables: {}", names.join(", ")));
            cx.push(
                Diagnostic::new(
                    Code::R107,
                    format!("unknown source table `{owner}.{}`", parts[2]),
                )
                .with_primary(span_of(file, name.loc), "")
                .with_help(help),
            );
            return None;
        };
        let t = &s.spec.tables[table];
        let Some(column) = t.columns.iter().position(|c| c.name.as_str() == parts[3]) else {
            let fqn = format!("{owner}.{}", parts[2]);
            unknown_column(
                cx,
                file,
                &Sp::new(parts[3].to_string(), name.loc),
                &fqn,
                &t.columns,
                Some((s.file, t.name.loc)),
            );
            return None;
        };
        return Some(ColumnRef::Table {
            source: sid,
            table,
            column,
        });
    }
    if cx.is_broken(Kind::DataProduct, &owner) || cx.is_broken(Kind::Source, &owner) {
        return None;
    }
    let candidates: Vec<&str> = mesh
        .product_by_fqn
        .keys()
        .chain(mesh.source_by_fqn.keys())
        .map(String::as_str)
        .collect();
    let help = did_you_mean(&owner, candidates.iter().copied())
        .unwrap_or_else(|| "the first two parts name a product or a source".into());
    cx.push(
        Diagnostic::new(
            Code::R103,
            format!("unknown product or source `{owner}` in `{}`", name.as_str()),
        )
        .with_primary(span_of(file, name.loc), "")
        .with_help(help),
    );
    None
}

fn resolve_lineage(cx: &mut Ctx, mesh: &Mesh, id: ProductId, out: &mut Vec<ColumnEdge>) {
    let p = mesh.product(id);
    for (pi, port) in p.spec.outputs.iter().enumerate() {
        for (ci, col) in port_columns(port).iter().enumerate() {
            for src in &col.derived_from {
                if let Some(from) = resolve_column_fqn(cx, mesh, p.file, src) {
                    out.push(ColumnEdge {
                        from,
                        to: ColumnRef::Port {
                            product: id,
                            port: pi,
                            column: ci,
                        },
                        span: span_of(p.file, src.loc),
                    });
                }
            }
        }
    }
}
