//! The documentation site (SPEC §7): `docs/` in the build folder.
//!
//! Static HTML that works from `file://` and from `meshc docs --serve`,
//! with no request leaving it:
//!
//! - `index.html`: the mesh, counts, health and the domains, with search;
//! - `domains/<domain>.html` (then `-2.html`, … by [`PAGE_SIZE`]): its
//!   products;
//! - `products/<domain>/<product>.html`: everything about one product,
//!   with its lineage drawn as SVG (product level, and column level per
//!   port), so that it reads without JavaScript;
//! - `search/`: the search index in shards loaded on demand by
//!   `assets/search.js` through `<script>` elements (which, unlike
//!   `fetch`, work from `file://`): `products.js` and one `t-<hex>.js` per
//!   two-character prefix of the indexed names;
//! - `assets/`: the style sheet and the search script, copied as they are.
//!
//! Pages come from the templates `docs/index.html`, `docs/domain.html`
//! and `docs/product.html` (overridable like every template), rendered with
//! HTML auto-escaping: text from the mesh is escaped wherever it is
//! written, and markdown descriptions go through [`markdown::render`],
//! which neutralises raw HTML, unsafe links and images.

pub mod markdown;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use rayon::prelude::*;
use serde::Serialize;

use crate::access::{Access, ObjectKind};
use crate::diagnostics::Severity;
use crate::emit::Staging;
use crate::load::syntax::{Masking, PortType, QualityType};
use crate::model::{ColumnEdge, ColumnRef, InputTarget, ProductId, port_columns};
use crate::source::FileId;
use crate::targets::{Failure, Templates};
use crate::{Checked, access};

/// Products listed per domain page.
pub const PAGE_SIZE: usize = 100;

/// Products the index lists as needing attention (most warnings) and as
/// deprecated (soonest sunset first), at most.
pub const ATTENTION: usize = 20;

/// Files copied as they are from the templates into the site.
pub const ASSETS: [&str; 2] = ["docs/assets/style.css", "docs/assets/search.js"];

const NODE_W: u32 = 260;
const NODE_H: u32 = 26;
const ROW: u32 = 34;
const GAP: u32 = 90;

// ------------------------------------------------------------------ values

#[derive(Serialize, Clone)]
struct ProductLink {
    fqn: String,
    title: String,
    href: String,
    status: &'static str,
}

#[derive(Serialize)]
struct Svg {
    width: u32,
    height: u32,
    nodes: Vec<SvgNode>,
    edges: Vec<String>,
}

#[derive(Serialize)]
struct SvgNode {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
    label: String,
    fqn: String,
    /// Relative to the page; empty for no link.
    href: String,
    kind: &'static str,
    focus: bool,
}

/// Lays out columns of nodes left to right; `edges` join (column, row)
/// pairs from a left node's right side to a right node's left side.
/// A node's place: (column, row).
type At = (usize, usize);

fn svg(columns: Vec<Vec<SvgNode>>, edges: &[(At, At)]) -> Svg {
    let rows = columns.iter().map(Vec::len).max().unwrap_or(0) as u32;
    let height = rows.max(1) * ROW + 8;
    let mut placed: Vec<Vec<SvgNode>> = Vec::new();
    for (ci, col) in columns.into_iter().enumerate() {
        let n = col.len() as u32;
        // Centre shorter columns.
        let top = 4 + (rows.saturating_sub(n) * ROW) / 2;
        placed.push(
            col.into_iter()
                .enumerate()
                .map(|(ri, mut node)| {
                    node.x = 4 + ci as u32 * (NODE_W + GAP);
                    node.y = top + ri as u32 * ROW;
                    node.w = NODE_W;
                    node.h = NODE_H;
                    node
                })
                .collect(),
        );
    }
    let width = 8 + placed.len().max(1) as u32 * (NODE_W + GAP) - GAP;
    let mut paths = Vec::with_capacity(edges.len());
    for &((c1, r1), (c2, r2)) in edges {
        let (Some(a), Some(b)) = (
            placed.get(c1).and_then(|c| c.get(r1)),
            placed.get(c2).and_then(|c| c.get(r2)),
        ) else {
            continue;
        };
        let (x1, y1) = (a.x + a.w, a.y + a.h / 2);
        let (x2, y2) = (b.x, b.y + b.h / 2);
        let mid = (x1 + x2) / 2;
        // `M{x1} {y1} C{mid} {y1} {mid} {y2} {x2} {y2}`, without `format!`
        // (a few per product page).
        const SEPARATORS: [&str; 8] = ["M", " ", " C", " ", " ", " ", " ", " "];
        let mut d = String::with_capacity(48);
        for (sep, v) in SEPARATORS
            .into_iter()
            .zip([x1, y1, mid, y1, mid, y2, x2, y2])
        {
            d.push_str(sep);
            d.push_str(itoa::Buffer::new().format(v));
        }
        paths.push(d);
    }
    Svg {
        width,
        height,
        nodes: placed.into_iter().flatten().collect(),
        edges: paths,
    }
}

/// Characters of a label that fit a box (13px system font).
const LABEL_MAX: usize = 34;

/// A label that fits its box: a long name keeps its end, the part that
/// tells names apart (`…segments.segment_id`); the box's title has it all.
fn fit(label: String) -> String {
    let n = label.chars().count();
    if n <= LABEL_MAX {
        return label;
    }
    let tail: String = label.chars().skip(n - (LABEL_MAX - 1)).collect();
    format!("…{tail}")
}

fn node(label: String, fqn: String, href: String, kind: &'static str, focus: bool) -> SvgNode {
    let label = fit(label);
    SvgNode {
        x: 0,
        y: 0,
        w: 0,
        h: 0,
        label,
        fqn,
        href,
        kind,
        focus,
    }
}

#[derive(Serialize)]
struct ColumnRow<'a> {
    name: &'a str,
    fqn: String,
    anchor: String,
    r#type: &'a str,
    nullable: bool,
    classification: Option<&'a str>,
    /// Where the classification comes from, when propagated.
    classification_from: Option<String>,
    masking: Option<&'static str>,
    description: String,
    derived_from: Vec<&'a str>,
}

#[derive(Serialize)]
struct PortView<'a> {
    name: &'a str,
    fqn: String,
    anchor: String,
    r#type: &'static str,
    visibility: &'static str,
    description: String,
    relation: Option<String>,
    masked_relation: Option<String>,
    primary_key: Vec<&'a str>,
    columns: Vec<ColumnRow<'a>>,
    quality: Vec<String>,
    sla: Vec<(&'static str, &'a str)>,
    query: Option<&'a str>,
    contract: Option<&'a str>,
    lineage: Option<Svg>,
}

#[derive(Serialize)]
struct Reader<'a> {
    principal: &'a str,
    kind: &'static str,
    of: &'a str,
    href: String,
    privilege: &'static str,
    port: &'a str,
    masked: bool,
    columns: Option<String>,
    expires: Option<&'a str>,
    because: &'a str,
    at: String,
}

#[derive(Serialize)]
struct DiagView {
    code: String,
    severity: &'static str,
    message: String,
    at: String,
}

#[derive(Serialize)]
struct InputView {
    fqn: String,
    href: String,
    kind: &'static str,
    columns: Option<String>,
    purpose: Option<String>,
}

// ------------------------------------------------------------------ model

/// What the pages share, computed once.
struct Site<'a> {
    checked: &'a Checked,
    access: &'a Access,
    names: &'a access::Names,
    links: Vec<ProductLink>,
    /// Per product: the products that read it.
    consumers: Vec<Vec<ProductId>>,
    /// Per product: the grants on its ports (indices into access.grants).
    grants: Vec<Vec<usize>>,
    /// Per product: its diagnostics (indices into checked.diagnostics).
    diags: Vec<Vec<usize>>,
    /// Column lineage edges by the (product, port) they end in / start from.
    into_port: HashMap<(ProductId, usize), Vec<&'a ColumnEdge>>,
    from_port: HashMap<(ProductId, usize), Vec<&'a ColumnEdge>>,
}

fn product_href(domain: &str, name: &str) -> String {
    format!("products/{domain}/{name}.html")
}

fn status_str(s: crate::load::syntax::Status) -> &'static str {
    s.as_str()
}

impl<'a> Site<'a> {
    fn new(checked: &'a Checked, access: &'a Access, names: &'a access::Names) -> Site<'a> {
        let mesh = &checked.mesh;
        let links = mesh
            .products
            .iter()
            .map(|p| ProductLink {
                fqn: p.fqn.clone(),
                title: p
                    .metadata
                    .title
                    .as_ref()
                    .map(|t| t.value.clone())
                    .unwrap_or_else(|| p.name.clone()),
                href: product_href(&p.domain_name, &p.name),
                status: status_str(p.status()),
            })
            .collect();
        let mut consumers = vec![Vec::new(); mesh.products.len()];
        for pid in mesh.product_ids() {
            for i in &mesh.product(pid).inputs {
                if let InputTarget::Port { product, .. } = i.target {
                    let list: &mut Vec<ProductId> = &mut consumers[product.idx()];
                    if !list.contains(&pid) {
                        list.push(pid);
                    }
                }
            }
        }
        let mut grants = vec![Vec::new(); mesh.products.len()];
        for (i, g) in access.grants.iter().enumerate() {
            let Some(port) = &g.object.port else { continue };
            let product = port.rsplit_once('.').map(|(p, _)| p).unwrap_or(port);
            if let Some(pid) = mesh.product_by_fqn.get(product) {
                grants[pid.idx()].push(i);
            }
        }
        // A file may hold several products (documents after `---`), and a
        // contract file may serve several: a diagnostic in a product file
        // goes to the last product whose document starts before it, one in
        // a contract file to every product using that contract.
        let mut in_file: HashMap<FileId, Vec<(u32, ProductId)>> = HashMap::new();
        let mut in_contract: HashMap<FileId, Vec<ProductId>> = HashMap::new();
        for pid in mesh.product_ids() {
            let p = mesh.product(pid);
            in_file
                .entry(p.file)
                .or_default()
                .push((p.metadata.loc.start, pid));
            for port in &p.spec.outputs {
                if let Some(f) = port.contract_file {
                    let list = in_contract.entry(f).or_default();
                    if !list.contains(&pid) {
                        list.push(pid);
                    }
                }
            }
        }
        for list in in_file.values_mut() {
            list.sort();
        }
        let mut diags = vec![Vec::new(); mesh.products.len()];
        for (i, d) in checked.diagnostics.iter().enumerate() {
            let Some(span) = d.primary.as_ref().map(|l| l.span) else {
                continue;
            };
            if let Some(list) = in_file.get(&span.file) {
                let at = list
                    .iter()
                    .rev()
                    .find(|(start, _)| *start <= span.start)
                    .or(list.first());
                if let Some((_, pid)) = at {
                    diags[pid.idx()].push(i);
                }
            } else if let Some(list) = in_contract.get(&span.file) {
                for pid in list {
                    diags[pid.idx()].push(i);
                }
            }
        }
        let mut into_port: HashMap<(ProductId, usize), Vec<&ColumnEdge>> = HashMap::new();
        let mut from_port: HashMap<(ProductId, usize), Vec<&ColumnEdge>> = HashMap::new();
        for e in &mesh.lineage {
            if let ColumnRef::Port { product, port, .. } = e.to {
                into_port.entry((product, port)).or_default().push(e);
            }
            if let ColumnRef::Port { product, port, .. } = e.from {
                from_port.entry((product, port)).or_default().push(e);
            }
        }
        Site {
            checked,
            access,
            names,
            links,
            consumers,
            grants,
            diags,
            into_port,
            from_port,
        }
    }

    fn at(&self, file: FileId, line: u32) -> String {
        format!("{}:{line}", self.checked.db.path(file))
    }

    fn diag_view(&self, i: usize) -> DiagView {
        let d = &self.checked.diagnostics[i];
        let at = d
            .primary
            .as_ref()
            .map(|l| {
                let f = self.checked.db.get(l.span.file);
                let (line, _) = f.line_col(l.span.start as usize);
                format!("{}:{line}", f.path)
            })
            .unwrap_or_default();
        DiagView {
            code: d.code_str().to_string(),
            severity: d.severity.as_str(),
            message: d.message.clone(),
            at,
        }
    }

    /// The href of a column's product page and anchor, from a page at `root`.
    fn column_href(&self, root: &str, c: ColumnRef) -> String {
        match c {
            ColumnRef::Port {
                product,
                port,
                column,
            } => {
                let p = self.checked.mesh.product(product);
                let port = &p.spec.outputs[port];
                let col = port_columns(port)
                    .get(column)
                    .map(|c| c.name.as_str())
                    .unwrap_or("");
                let mut href = [root, &self.links[product.idx()].href, "#"].concat();
                push_column_anchor(&mut href, port.name.as_str(), col);
                href
            }
            ColumnRef::Table { .. } => String::new(),
        }
    }

    fn product_page(&self, pid: ProductId) -> minijinja::Value {
        let root = "../../";
        let mesh = &self.checked.mesh;
        let p = mesh.product(pid);
        let classes = &self.checked.classes;
        let mut ports = Vec::new();
        for (x, port) in p.spec.outputs.iter().enumerate() {
            let port_fqn = [p.fqn.as_str(), ".", port.name.as_str()].concat();
            let relation = access::is_relation(port);
            let columns: Vec<ColumnRow> = port_columns(port)
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let cref = ColumnRef::Port {
                        product: pid,
                        port: x,
                        column: i,
                    };
                    let effective = classes
                        .effective(cref)
                        .and_then(|r| mesh.classifications.get(r))
                        .map(String::as_str)
                        .or_else(|| c.classification.as_ref().map(|s| s.as_str()));
                    let from = classes
                        .origin(cref)
                        .filter(|o| *o != cref)
                        .map(|o| mesh.column_fqn(o));
                    let masking = c
                        .masking
                        .as_ref()
                        .map(|m| m.value)
                        .filter(|m| *m != Masking::None)
                        .map(Masking::as_str);
                    ColumnRow {
                        name: c.name.as_str(),
                        fqn: [port_fqn.as_str(), ".", c.name.as_str()].concat(),
                        anchor: column_anchor(port.name.as_str(), c.name.as_str()),
                        r#type: c.column_type.as_str(),
                        nullable: c.nullable.as_ref().is_none_or(|n| n.value),
                        classification: effective,
                        classification_from: from,
                        masking,
                        description: c
                            .description
                            .as_ref()
                            .map(|d| markdown::render(d))
                            .unwrap_or_default(),
                        derived_from: c.derived_from.iter().map(|d| d.as_str()).collect(),
                    }
                })
                .collect();
            let quality = port
                .quality
                .iter()
                .map(|q| quality_text(&q.value))
                .collect();
            let mut sla = Vec::new();
            if let Some(s) = &port.sla {
                for (k, v) in [
                    ("freshness", &s.freshness),
                    ("availability", &s.availability),
                    ("retention", &s.retention),
                ] {
                    if let Some(v) = v {
                        sla.push((k, v.as_str()));
                    }
                }
            }
            let schema = self.names.schema_of(&p.domain_name);
            ports.push(PortView {
                name: port.name.as_str(),
                fqn: port_fqn.clone(),
                anchor: ["port-", port.name.as_str()].concat(),
                r#type: port
                    .port_type
                    .as_ref()
                    .map(|t| t.value)
                    .unwrap_or(PortType::Table)
                    .as_str(),
                visibility: crate::model::port_visibility(port).as_str(),
                description: port
                    .description
                    .as_ref()
                    .map(|d| markdown::render(d))
                    .unwrap_or_default(),
                relation: relation
                    .then(|| [schema, ".", &self.names.relation[pid.idx()][x]].concat()),
                masked_relation: (relation && access::has_masked(port))
                    .then(|| [schema, ".", &self.names.masked[pid.idx()][x]].concat()),
                primary_key: port.primary_key.iter().map(|k| k.as_str()).collect(),
                columns,
                quality,
                sla,
                query: port.query.as_ref().map(|q| q.as_str()),
                contract: port.contract.as_ref().map(|c| c.as_str()),
                lineage: self.column_lineage(root, pid, x),
            });
        }
        let inputs: Vec<InputView> = p
            .inputs
            .iter()
            .map(|i| {
                let written = &p.spec.inputs[i.index];
                let (fqn, href, kind) = match i.target {
                    InputTarget::Port { product, .. } => (
                        mesh.target_fqn(i.target),
                        format!("{root}{}", self.links[product.idx()].href),
                        "product",
                    ),
                    InputTarget::Table { .. } => {
                        (mesh.target_fqn(i.target), String::new(), "source")
                    }
                };
                InputView {
                    fqn,
                    href,
                    kind,
                    columns: written
                        .columns
                        .as_ref()
                        .map(|c| c.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")),
                    purpose: written.purpose.as_ref().map(|s| s.value.clone()),
                }
            })
            .collect();
        let downstream: Vec<ProductLink> = self.consumers[pid.idx()]
            .iter()
            .map(|c| {
                let mut l = self.links[c.idx()].clone();
                l.href = format!("{root}{}", l.href);
                l
            })
            .collect();
        let readers: Vec<Reader> = self.grants[pid.idx()]
            .iter()
            .map(|&i| {
                let g = &self.access.grants[i];
                let role = self.access.role(g);
                let href = match role.kind {
                    access::PrincipalKind::Product => mesh
                        .product_by_fqn
                        .get(&role.of)
                        .map(|q| format!("{root}{}", self.links[q.idx()].href))
                        .unwrap_or_default(),
                    access::PrincipalKind::Team => String::new(),
                };
                Reader {
                    principal: &role.name,
                    kind: match role.kind {
                        access::PrincipalKind::Product => "product",
                        access::PrincipalKind::Team => "team",
                    },
                    of: &role.of,
                    href,
                    privilege: g.privilege.as_str(),
                    port: g.object.port.as_deref().unwrap_or_default(),
                    masked: g.object.kind == ObjectKind::MaskedRelation,
                    columns: g.columns.as_ref().map(|c| c.join(", ")),
                    expires: g.expires.as_deref(),
                    because: &g.cause.declaration,
                    at: self.at(g.cause.file, g.cause.loc.line),
                }
            })
            .collect();
        let diagnostics: Vec<DiagView> = self.diags[pid.idx()]
            .iter()
            .map(|&i| self.diag_view(i))
            .collect();
        let owner = p.owner.map(|t| mesh.team(t));
        let team = owner.map(|t| {
            let contact = t.spec.contact.as_ref();
            minijinja::context! {
                name => t.name,
                title => t.metadata.title.as_ref().map(|s| s.value.clone()),
                email => contact.and_then(|c| c.email.as_ref()).map(|s| s.value.clone()),
                chat => contact.and_then(|c| c.chat.as_ref()).map(|s| s.value.clone()),
            }
        });
        let deprecation = p.spec.deprecation.as_ref();
        let link = &self.links[pid.idx()];
        minijinja::context! {
            root => root,
            mesh => self.mesh_value(),
            product => minijinja::context! {
                fqn => p.fqn,
                name => p.name,
                domain => p.domain_name,
                domain_href => format!("{root}domains/{}.html", p.domain_name),
                title => link.title,
                description => p.metadata.description.as_ref().map(|d| markdown::render(d)).unwrap_or_default(),
                version => p.spec.version.as_ref().map(|v| v.value.clone()),
                status => link.status,
                sunset => deprecation.and_then(|d| d.sunset.as_ref()).map(|s| s.value.clone()),
                replaced_by => deprecation.and_then(|d| d.replaced_by.as_ref()).map(|s| s.value.clone()),
                replaced_by_href => deprecation
                    .and_then(|d| d.replaced_by.as_ref())
                    .and_then(|r| mesh.product_by_fqn.get(r.as_str()))
                    .map(|q| format!("{root}{}", self.links[q.idx()].href)),
                tags => p.metadata.tags.iter().map(|t| t.value.clone()).collect::<Vec<_>>(),
                file => self.checked.db.path(p.file),
            },
            team => team,
            ports => ports,
            inputs => inputs,
            downstream => downstream,
            readers => readers,
            diagnostics => diagnostics,
            lineage => self.product_lineage(root, pid),
        }
    }

    fn mesh_value(&self) -> minijinja::Value {
        let root = self.checked.mesh.root.as_ref();
        minijinja::context! {
            name => root.map(|r| r.metadata.name.value.clone()),
            title => root.and_then(|r| r.metadata.title.as_ref()).map(|t| t.value.clone()),
        }
    }

    /// Upstream (source tables and products) → the product → downstream.
    fn product_lineage(&self, root: &str, pid: ProductId) -> Svg {
        let mesh = &self.checked.mesh;
        let p = mesh.product(pid);
        let mut left: Vec<SvgNode> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for i in &p.inputs {
            let (fqn, href, kind, label) = match i.target {
                InputTarget::Port { product, .. } => {
                    let l = &self.links[product.idx()];
                    (
                        l.fqn.clone(),
                        format!("{root}{}", l.href),
                        "product",
                        l.fqn.clone(),
                    )
                }
                InputTarget::Table { .. } => {
                    let f = mesh.target_fqn(i.target);
                    (f.clone(), String::new(), "source", f)
                }
            };
            if !seen.contains(&fqn) {
                seen.push(fqn.clone());
                left.push(node(label, fqn, href, kind, false));
            }
        }
        let focus = node(p.fqn.clone(), p.fqn.clone(), String::new(), "product", true);
        let right: Vec<SvgNode> = self.consumers[pid.idx()]
            .iter()
            .map(|c| {
                let l = &self.links[c.idx()];
                node(
                    l.fqn.clone(),
                    l.fqn.clone(),
                    format!("{root}{}", l.href),
                    "product",
                    false,
                )
            })
            .collect();
        let mut edges = Vec::new();
        let mut columns = Vec::new();
        let centre = if left.is_empty() { 0 } else { 1 };
        if !left.is_empty() {
            for r in 0..left.len() {
                edges.push(((0, r), (1, 0)));
            }
            columns.push(left);
        }
        columns.push(vec![focus]);
        if !right.is_empty() {
            for r in 0..right.len() {
                edges.push(((centre, 0), (centre + 1, r)));
            }
            columns.push(right);
        }
        svg(columns, &edges)
    }

    /// Source columns → the port's columns → the columns derived from them.
    /// Only columns that take part in an edge are drawn (the port's table
    /// lists every column); `None` when no column of the port has lineage.
    fn column_lineage(&self, root: &str, pid: ProductId, x: usize) -> Option<Svg> {
        let mesh = &self.checked.mesh;
        let port = &mesh.product(pid).spec.outputs[x];
        let cols = port_columns(port);
        let mut left: Vec<ColumnRef> = Vec::new();
        let mut right: Vec<ColumnRef> = Vec::new();
        let mut edges_in: Vec<(ColumnRef, usize)> = Vec::new();
        let mut edges_out: Vec<(usize, ColumnRef)> = Vec::new();
        for e in self.into_port.get(&(pid, x)).into_iter().flatten() {
            if let ColumnRef::Port { column, .. } = e.to {
                if !left.contains(&e.from) {
                    left.push(e.from);
                }
                edges_in.push((e.from, column));
            }
        }
        for e in self.from_port.get(&(pid, x)).into_iter().flatten() {
            if let ColumnRef::Port { column, .. } = e.from {
                if !right.contains(&e.to) {
                    right.push(e.to);
                }
                edges_out.push((column, e.to));
            }
        }
        let mut linked = vec![false; cols.len()];
        for &i in edges_in
            .iter()
            .map(|(_, i)| i)
            .chain(edges_out.iter().map(|(i, _)| i))
        {
            if let Some(l) = linked.get_mut(i) {
                *l = true;
            }
        }
        // The row of each linked column, in the port's order.
        let mut row: Vec<Option<usize>> = vec![None; cols.len()];
        let mut mid: Vec<SvgNode> = Vec::new();
        for (i, c) in cols.iter().enumerate() {
            if !linked[i] {
                continue;
            }
            row[i] = Some(mid.len());
            mid.push(node(
                c.name.value.clone(),
                mesh.column_fqn(ColumnRef::Port {
                    product: pid,
                    port: x,
                    column: i,
                }),
                {
                    let mut href = String::from("#");
                    push_column_anchor(&mut href, port.name.as_str(), c.name.as_str());
                    href
                },
                "column",
                true,
            ));
        }
        if mid.is_empty() {
            return None;
        }
        let side = |list: &[ColumnRef]| -> Vec<SvgNode> {
            list.iter()
                .map(|&c| {
                    let fqn = mesh.column_fqn(c);
                    node(fqn.clone(), fqn, self.column_href(root, c), "column", false)
                })
                .collect()
        };
        let mut columns = Vec::new();
        let mut edges = Vec::new();
        let has_left = !left.is_empty();
        let centre = usize::from(has_left);
        if has_left {
            for (from, to) in &edges_in {
                if let (Some(r), Some(Some(to))) =
                    (left.iter().position(|c| c == from), row.get(*to))
                {
                    edges.push(((0, r), (1, *to)));
                }
            }
            columns.push(side(&left));
        }
        columns.push(mid);
        if !right.is_empty() {
            for (from, to) in &edges_out {
                if let (Some(Some(from)), Some(r)) =
                    (row.get(*from), right.iter().position(|c| c == to))
                {
                    edges.push(((centre, *from), (centre + 1, r)));
                }
            }
            columns.push(side(&right));
        }
        Some(svg(columns, &edges))
    }
}

fn column_anchor(port: &str, column: &str) -> String {
    let mut s = String::with_capacity(5 + port.len() + column.len());
    push_column_anchor(&mut s, port, column);
    s
}

/// `col-{port}-{column}` at the end of `out` (a link's `#…` part).
fn push_column_anchor(out: &mut String, port: &str, column: &str) {
    out.push_str("col-");
    out.push_str(port);
    out.push('-');
    out.push_str(column);
}

fn quality_text(q: &crate::load::syntax::Quality) -> String {
    let cols: Vec<&str> = q
        .column
        .iter()
        .chain(q.columns.iter())
        .map(|c| c.as_str())
        .collect();
    let mut s = q.check.value.as_str().to_string();
    if !cols.is_empty() {
        let _ = write!(s, " on {}", cols.join(", "));
    }
    match q.check.value {
        QualityType::AcceptedValues => {
            let vals: Vec<String> = q
                .values
                .iter()
                .map(|v| match &v.value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            let _ = write!(s, ": {}", vals.join(", "));
        }
        QualityType::Freshness => {
            if let Some(m) = &q.max_age {
                let _ = write!(s, " within {}", m.as_str());
            }
        }
        QualityType::RowCount => match (&q.min, &q.max) {
            (Some(a), Some(b)) => {
                let _ = write!(s, " between {} and {}", a.value, b.value);
            }
            (Some(a), None) => {
                let _ = write!(s, " at least {}", a.value);
            }
            (None, Some(b)) => {
                let _ = write!(s, " at most {}", b.value);
            }
            (None, None) => {}
        },
        _ => {}
    }
    if let Some(d) = &q.description {
        let _ = write!(s, " — {}", d.as_str());
    }
    s
}

// ------------------------------------------------------------------ search

/// The shard a term goes to: the hex of the UTF-8 bytes of its first two
/// characters (the script computes the same).
fn shard_key(term: &str) -> String {
    let prefix: String = term.chars().take(2).collect();
    let mut s = String::new();
    for b in prefix.as_bytes() {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Terms a name is found by: itself and what follows each `_`
/// (`customer_email` is found by "cust…" and by "email"). Names are lower
/// case already, so the terms borrow from them.
fn name_terms(name: &str) -> Vec<Cow<'_, str>> {
    let lower: Cow<'_, str> = if name.chars().any(char::is_uppercase) {
        Cow::Owned(name.to_lowercase())
    } else {
        Cow::Borrowed(name)
    };
    let mut out: Vec<Cow<'_, str>> = Vec::with_capacity(4);
    let starts: Vec<usize> = lower.match_indices('_').map(|(i, _)| i + 1).collect();
    for i in starts {
        let rest = &lower[i..];
        if rest.chars().nth(1).is_some() && !out.iter().any(|t| t == rest) && rest != lower {
            out.push(match &lower {
                Cow::Borrowed(b) => Cow::Borrowed(&b[i..]),
                Cow::Owned(o) => Cow::Owned(o[i..].to_string()),
            });
        }
    }
    out.insert(0, lower);
    out
}

/// `search/products.js` and the term shards: (path, text).
fn search_index<'s>(site: &'s Site<'_>) -> Vec<(String, String)> {
    let mesh = &site.checked.mesh;
    let products: Vec<(&str, &str, &str, &str)> = site
        .links
        .iter()
        .map(|l| (l.fqn.as_str(), l.title.as_str(), l.href.as_str(), l.status))
        .collect();
    let mut out = Vec::new();
    // term → matches [product, port, column]; grouped into shards below.
    type Match<'a> = (u32, &'a str, &'a str);
    type Term<'a> = (Cow<'a, str>, Vec<Match<'a>>);
    let mut terms: HashMap<Cow<'s, str>, Vec<Match<'s>>> = HashMap::new();
    let mut add = |term: Cow<'s, str>, m: Match<'s>| {
        if term.chars().nth(1).is_none() {
            return;
        }
        let list = terms.entry(term).or_default();
        if list.last() != Some(&m) {
            list.push(m);
        }
    };
    for (i, p) in mesh.products.iter().enumerate() {
        let pi = i as u32;
        for t in name_terms(&p.name) {
            add(t, (pi, "", ""));
        }
        if let Some(title) = &p.metadata.title {
            for w in title
                .as_str()
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
            {
                add(Cow::Owned(w.to_lowercase()), (pi, "", ""));
            }
        }
        for port in &p.spec.outputs {
            let pn = port.name.as_str();
            for t in name_terms(pn) {
                add(t, (pi, pn, ""));
            }
            for c in port_columns(port) {
                for t in name_terms(c.name.as_str()) {
                    add(t, (pi, pn, c.name.as_str()));
                }
            }
        }
    }
    // Shards in the order of their keys, terms sorted within each: sorting
    // the terms groups each shard's terms together in that order (the key
    // is the hex of the first two characters' bytes).
    let mut sorted: Vec<Term<'s>> = terms.into_iter().collect();
    sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut shards: Vec<(String, &[Term<'s>])> = Vec::new();
    let mut start = 0;
    while start < sorted.len() {
        let key = shard_key(&sorted[start].0);
        let prefix = prefix2(&sorted[start].0);
        let end = start
            + sorted[start..]
                .iter()
                .take_while(|(t, _)| prefix2(t) == prefix)
                .count();
        shards.push((key, &sorted[start..end]));
        start = end;
    }
    // products.js names the shards that exist, so the script never asks
    // for one that does not (a failed request in the browser's console).
    let keys: Vec<&String> = shards.iter().map(|(k, _)| k).collect();
    out.push((
        "search/products.js".to_string(),
        format!(
            "meshcSearch.load(\"products\",{{\"products\":{},\"shards\":{}}});\n",
            serde_json::to_string(&products).unwrap_or_else(|_| "[]".into()),
            serde_json::to_string(&keys).unwrap_or_else(|_| "[]".into())
        ),
    ));
    for (key, list) in &shards {
        out.push((
            format!("search/t-{key}.js"),
            format!(
                "meshcSearch.load(\"t-{key}\",{});\n",
                serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
            ),
        ));
    }
    out
}

/// The first two characters of a term: what its shard is named by.
fn prefix2(term: &str) -> &str {
    let end = term.char_indices().nth(2).map_or(term.len(), |(i, _)| i);
    &term[..end]
}

// ------------------------------------------------------------------ write

/// Writes the site into `stage` under `docs/`. Returns the paths written.
pub fn write(
    checked: &Checked,
    access: &Access,
    names: &access::Names,
    templates: &Templates,
    stage: &Staging,
) -> Result<Vec<String>, Failure> {
    let db = &checked.db;
    let mesh = &checked.mesh;
    let env = templates.html_environment();
    let site = Site::new(checked, access, names);
    let tpl = |name: &str| {
        env.get_template(name)
            .map_err(|e| Failure::Templates(vec![templates.error_for(db, "the docs site", &e)]))
    };
    let (index_t, domain_t, product_t) = (
        tpl("docs/index.html")?,
        tpl("docs/domain.html")?,
        tpl("docs/product.html")?,
    );
    let put = |rel: &str, text: &[u8]| stage.write_bytes(rel, text).map_err(Failure::Io);
    let fail = |what: &str, e: minijinja::Error| {
        Failure::Templates(vec![templates.error_for(db, what, &e)])
    };
    let mut written = Vec::new();
    for asset in ASSETS {
        let Some(text) = templates.text(asset) else {
            continue;
        };
        written.push(put(asset, text.as_bytes())?);
    }
    // Domains: their products, health.
    let mut by_domain: BTreeMap<&str, Vec<ProductId>> = BTreeMap::new();
    for pid in mesh.product_ids() {
        by_domain
            .entry(mesh.product(pid).domain_name.as_str())
            .or_default()
            .push(pid);
    }
    for d in &mesh.domains {
        by_domain.entry(d.name.as_str()).or_default();
    }
    let count = |pids: &[ProductId], sev: Severity| -> usize {
        pids.iter()
            .map(|p| {
                site.diags[p.idx()]
                    .iter()
                    .filter(|&&i| checked.diagnostics[i].severity == sev)
                    .count()
            })
            .sum()
    };
    let mut domain_rows = Vec::new();
    for (name, pids) in &by_domain {
        let domain = mesh
            .domain_by_name
            .get(*name)
            .map(|d| &mesh.domains[d.idx()]);
        let title = domain
            .and_then(|d| d.metadata.title.as_ref())
            .map(|t| t.value.clone())
            .unwrap_or_else(|| name.to_string());
        let owner = domain
            .and_then(|d| d.owner)
            .map(|t| mesh.team(t).name.clone());
        let mut sorted = pids.clone();
        sorted.sort_by(|a, b| mesh.product(*a).name.cmp(&mesh.product(*b).name));
        let pages = sorted.len().div_ceil(PAGE_SIZE).max(1);
        let page_href = |n: usize| {
            if n <= 1 {
                format!("{name}.html")
            } else {
                format!("{name}-{n}.html")
            }
        };
        for page in 1..=pages {
            let slice = sorted
                .iter()
                .skip((page - 1) * PAGE_SIZE)
                .take(PAGE_SIZE)
                .map(|&pid| {
                    let p = mesh.product(pid);
                    let l = &site.links[pid.idx()];
                    minijinja::context! {
                        fqn => l.fqn,
                        title => l.title,
                        href => format!("../{}", l.href),
                        status => l.status,
                        version => p.spec.version.as_ref().map(|v| v.value.clone()),
                        owner => p.owner.map(|t| mesh.team(t).name.clone()),
                        summary => p.metadata.description.as_ref().map(|d| markdown::summary(d, 160)).unwrap_or_default(),
                        ports => p.spec.outputs.len(),
                        warnings => count(&[pid], Severity::Warning),
                    }
                })
                .collect::<Vec<_>>();
            let ctx = minijinja::context! {
                root => "../",
                mesh => site.mesh_value(),
                domain => minijinja::context! {
                    name => name,
                    title => title,
                    owner => owner,
                    description => domain.and_then(|d| d.metadata.description.as_ref()).map(|t| markdown::render(t)).unwrap_or_default(),
                },
                products => slice,
                page => page,
                pages => pages,
                total => sorted.len(),
                prev => (page > 1).then(|| page_href(page - 1)),
                next => (page < pages).then(|| page_href(page + 1)),
            };
            let html = domain_t
                .render(ctx)
                .map_err(|e| fail(&format!("domain `{name}`"), e))?;
            written.push(put(
                &format!("docs/domains/{}", page_href(page)),
                html.as_bytes(),
            )?);
        }
        domain_rows.push(minijinja::context! {
            name => name,
            title => title,
            href => format!("domains/{name}.html"),
            owner => owner,
            products => pids.len(),
            ports => pids.iter().map(|p| mesh.product(*p).spec.outputs.len()).sum::<usize>(),
            warnings => count(pids, Severity::Warning),
            infos => count(pids, Severity::Info),
        });
    }
    let root_doc = mesh.root.as_ref();
    let all: Vec<ProductId> = mesh.product_ids().collect();
    // Attention lists, bounded so the index stays small at any size: the
    // products with the most warnings, and deprecated products by sunset.
    let link_row = |pid: ProductId, note: String| {
        let l = &site.links[pid.idx()];
        minijinja::context! { fqn => l.fqn, title => l.title, href => l.href, note => note }
    };
    let mut warned: Vec<(usize, ProductId)> = all
        .iter()
        .map(|&p| (count(&[p], Severity::Warning), p))
        .filter(|(n, _)| *n > 0)
        .collect();
    warned.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let warned_total = warned.len();
    let attention: Vec<minijinja::Value> = warned
        .into_iter()
        .take(ATTENTION)
        .map(|(n, p)| link_row(p, format!("{n} warning{}", if n == 1 { "" } else { "s" })))
        .collect();
    let mut deprecated: Vec<(String, ProductId)> = all
        .iter()
        .filter(|&&p| mesh.product(p).status() == crate::load::syntax::Status::Deprecated)
        .map(|&p| {
            let sunset = mesh
                .product(p)
                .spec
                .deprecation
                .as_ref()
                .and_then(|d| d.sunset.as_ref())
                .map(|s| s.value.clone())
                .unwrap_or_default();
            (sunset, p)
        })
        .collect();
    deprecated.sort();
    let deprecated_list: Vec<minijinja::Value> = deprecated
        .into_iter()
        .take(ATTENTION)
        .map(|(sunset, p)| {
            let note = if sunset.is_empty() {
                "no sunset date".to_string()
            } else {
                format!("sunset {sunset}")
            };
            link_row(p, note)
        })
        .collect();
    let ctx = minijinja::context! {
        root => "",
        mesh => site.mesh_value(),
        description => root_doc.and_then(|r| r.metadata.description.as_ref()).map(|d| markdown::render(d)).unwrap_or_default(),
        domains => domain_rows,
        attention => attention,
        attention_total => warned_total,
        deprecated => deprecated_list,
        counts => minijinja::context! {
            domains => by_domain.len(),
            products => mesh.products.len(),
            ports => mesh.products.iter().map(|p| p.spec.outputs.len()).sum::<usize>(),
            columns => mesh.products.iter().flat_map(|p| p.spec.outputs.iter()).map(|o| port_columns(o).len()).sum::<usize>(),
            teams => mesh.teams.len(),
            sources => mesh.sources.len(),
            deprecated => mesh.products.iter().filter(|p| p.status() == crate::load::syntax::Status::Deprecated).count(),
            warnings => count(&all, Severity::Warning),
            infos => count(&all, Severity::Info),
        },
    };
    let html = index_t.render(ctx).map_err(|e| fail("the docs index", e))?;
    written.push(put("docs/index.html", html.as_bytes())?);
    for (rel, text) in search_index(&site) {
        written.push(put(&format!("docs/{rel}"), text.as_bytes())?);
    }
    let pages: Vec<Result<String, Failure>> = mesh
        .product_ids()
        .collect::<Vec<_>>()
        .par_iter()
        .map_init(
            || Vec::with_capacity(64 << 10),
            |buf: &mut Vec<u8>, &pid| {
                let p = mesh.product(pid);
                buf.clear();
                product_t
                    .render_captured_to(site.product_page(pid), &mut *buf)
                    .map_err(|e| fail(&format!("the page of `{}`", p.fqn), e))?;
                put(
                    &format!("docs/{}", product_href(&p.domain_name, &p.name)),
                    buf,
                )
            },
        )
        .collect();
    for r in pages {
        written.push(r?);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_and_shards() {
        assert_eq!(name_terms("customer_email"), ["customer_email", "email"]);
        assert_eq!(name_terms("a_b"), ["a_b"]);
        assert_eq!(shard_key("cu"), "6375");
        assert_eq!(shard_key("éa"), "c3a961");
    }

    #[test]
    fn long_labels_keep_their_end() {
        assert_eq!(fit("sales.orders".into()), "sales.orders");
        let long = "customers.customer_segments.segments.segment_id".to_string();
        let f = fit(long.clone());
        assert_eq!(f.chars().count(), LABEL_MAX);
        assert!(f.starts_with('…') && long.ends_with(&f[3..]), "{f}");
    }

    #[test]
    fn svg_layout() {
        let n = |s: &str| node(s.into(), s.into(), String::new(), "product", false);
        let g = svg(
            vec![vec![n("a"), n("b")], vec![n("c")]],
            &[((0, 0), (1, 0)), ((0, 1), (1, 0)), ((0, 5), (1, 0))],
        );
        assert_eq!(g.nodes.len(), 3);
        // The missing node's edge is dropped, not a panic.
        assert_eq!(g.edges.len(), 2);
        assert!(g.width >= 2 * NODE_W);
    }
}
