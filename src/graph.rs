//! The dependency graph: sources tables, products and their ports in one
//! petgraph, plus column lineage. Finds cycles (R106), gives a topological
//! order, and renders dot, mermaid and json for `meshc graph` and the build.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use crate::diagnostics::{Code, Diagnostic};
use crate::model::*;

/// A node of the mesh graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Node {
    Table { source: SourceId, table: usize },
    Product(ProductId),
    Port { product: ProductId, port: usize },
}

/// Edge meaning: `Reads` is producer side → consumer product; `Publishes` is
/// product → its own port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Reads,
    Publishes,
}

pub struct MeshGraph {
    pub graph: DiGraph<Node, Edge>,
    pub index: BTreeMap<Node, NodeIndex>,
}

impl MeshGraph {
    pub fn build(mesh: &Mesh) -> Self {
        let mut graph = DiGraph::new();
        let mut index = BTreeMap::new();
        let mut add =
            |g: &mut DiGraph<Node, Edge>, n: Node| *index.entry(n).or_insert_with(|| g.add_node(n));
        for (si, s) in mesh.sources.iter().enumerate() {
            for ti in 0..s.spec.tables.len() {
                add(
                    &mut graph,
                    Node::Table {
                        source: SourceId(si as u32),
                        table: ti,
                    },
                );
            }
        }
        for pid in mesh.product_ids() {
            let pn = add(&mut graph, Node::Product(pid));
            for port in 0..mesh.product(pid).spec.outputs.len() {
                let n = add(&mut graph, Node::Port { product: pid, port });
                graph.add_edge(pn, n, Edge::Publishes);
            }
        }
        for pid in mesh.product_ids() {
            let pn = add(&mut graph, Node::Product(pid));
            for input in &mesh.product(pid).inputs {
                let from = match input.target {
                    InputTarget::Port { product, port } => Node::Port { product, port },
                    InputTarget::Table { source, table } => Node::Table { source, table },
                };
                let fnode = add(&mut graph, from);
                if graph.find_edge(fnode, pn).is_none() {
                    graph.add_edge(fnode, pn, Edge::Reads);
                }
            }
        }
        MeshGraph { graph, index }
    }

    /// Products that `id` reads from, directly.
    pub fn producers(&self, mesh: &Mesh, id: ProductId) -> BTreeSet<ProductId> {
        mesh.product(id)
            .inputs
            .iter()
            .filter_map(|i| match i.target {
                InputTarget::Port { product, .. } => Some(product),
                InputTarget::Table { .. } => None,
            })
            .collect()
    }

    /// Every node reachable from `start` walking in `dir`.
    pub fn reach(&self, start: Node, dir: Direction) -> BTreeSet<Node> {
        let mut seen = BTreeSet::new();
        let Some(&s) = self.index.get(&start) else {
            return seen;
        };
        let mut stack = vec![s];
        while let Some(n) = stack.pop() {
            if !seen.insert(self.graph[n]) {
                continue;
            }
            for m in self.graph.neighbors_directed(n, dir) {
                stack.push(m);
            }
            // A port belongs with its product both ways: walking upstream
            // from a port reaches the product that publishes it, and walking
            // downstream from a product reaches its ports (graph edges).
        }
        seen
    }
}

/// R106: one diagnostic per cycle in the product graph.
pub fn check_cycles(mesh: &Mesh) -> Vec<Diagnostic> {
    // Product-level graph: producer → consumer.
    let mut g: DiGraph<ProductId, ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = mesh.product_ids().map(|p| g.add_node(p)).collect();
    for pid in mesh.product_ids() {
        for input in &mesh.product(pid).inputs {
            if let InputTarget::Port { product, .. } = input.target {
                g.update_edge(nodes[product.idx()], nodes[pid.idx()], ());
            }
        }
    }
    let mut out = Vec::new();
    for scc in petgraph::algo::tarjan_scc(&g) {
        let self_loop = scc.len() == 1 && g.find_edge(scc[0], scc[0]).is_some();
        if scc.len() < 2 && !self_loop {
            continue;
        }
        let members: BTreeSet<ProductId> = scc.iter().map(|n| g[*n]).collect();
        // Walk one cycle inside the component, starting at its smallest FQN.
        let Some(&start) = members.iter().min_by_key(|p| &mesh.product(**p).fqn) else {
            continue;
        };
        let mut path = vec![start];
        let mut cur = start;
        let mut visited = BTreeSet::from([start]);
        loop {
            // The next product in the cycle: one that `cur` feeds.
            let next = mesh
                .product_ids()
                .filter(|c| members.contains(c))
                .filter(|c| {
                    mesh.product(*c).inputs.iter().any(
                        |i| matches!(i.target, InputTarget::Port { product, .. } if product == cur),
                    )
                })
                .min_by_key(|c| (*c != start, mesh.product(*c).fqn.clone()));
            let Some(next) = next else { break };
            if next == start || visited.contains(&next) {
                path.push(next);
                break;
            }
            visited.insert(next);
            path.push(next);
            cur = next;
        }
        let names: Vec<&str> = path.iter().map(|p| mesh.product(*p).fqn.as_str()).collect();
        // Point at the input of each consumer on its producer in the cycle.
        let mut spans = Vec::new();
        for w in path.windows(2) {
            let (producer, consumer) = (w[0], w[1]);
            let c = mesh.product(consumer);
            if let Some(input) = c.inputs.iter().find(
                |i| matches!(i.target, InputTarget::Port { product, .. } if product == producer),
            ) {
                let decl = &c.spec.inputs[input.index];
                let loc = decl.target_loc();
                spans.push((
                    span_of(c.file, loc),
                    format!("`{}` reads `{}`", c.fqn, mesh.product(producer).fqn),
                ));
            }
        }
        let mut d = Diagnostic::new(Code::R106, format!("dependency cycle: {}", names.join(" → ")))
            .with_help("a product cannot depend on itself, directly or through others; remove one of these inputs");
        let mut spans = spans.into_iter();
        if let Some((s, l)) = spans.next() {
            d = d.with_primary(s, l);
        }
        for (s, l) in spans {
            d = d.with_related(s, l);
        }
        out.push(d);
    }
    out
}

// ---------------------------------------------------------------- rendering

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Json,
}

/// What to draw: all of it, or the neighbourhood of one FQN.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub focus: Option<Node>,
    pub upstream: bool,
    pub downstream: bool,
    pub columns: bool,
}

#[derive(Debug, Serialize)]
pub struct JsonNode {
    pub id: String,
    pub kind: &'static str,
    pub domain: String,
    pub label: String,
}

#[derive(Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct JsonEdge {
    pub from: String,
    pub to: String,
    pub kind: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphJson {
    pub nodes: Vec<JsonNode>,
    pub edges: Vec<JsonEdge>,
    /// Present with `--columns` (always in the build).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column_edges: Option<Vec<JsonEdge>>,
}

/// Resolves an FQN given on the command line to a node.
pub fn find_node(mesh: &Mesh, fqn: &str) -> Option<Node> {
    if let Some(&p) = mesh.product_by_fqn.get(fqn) {
        return Some(Node::Product(p));
    }
    let (owner, last) = fqn.rsplit_once('.')?;
    if let Some(&p) = mesh.product_by_fqn.get(owner) {
        let (port, _) = mesh.product(p).port(last)?;
        return Some(Node::Port { product: p, port });
    }
    let &s = mesh.source_by_fqn.get(owner)?;
    let table = mesh
        .source(s)
        .spec
        .tables
        .iter()
        .position(|t| t.name.as_str() == last)?;
    Some(Node::Table { source: s, table })
}

fn node_info(mesh: &Mesh, n: Node) -> JsonNode {
    match n {
        Node::Table { source, table } => {
            let s = mesh.source(source);
            JsonNode {
                id: [s.fqn.as_str(), ".", s.spec.tables[table].name.as_str()].concat(),
                kind: "source_table",
                domain: s.domain_name.clone(),
                label: [s.name.as_str(), ".", s.spec.tables[table].name.as_str()].concat(),
            }
        }
        Node::Product(p) => {
            let p = mesh.product(p);
            JsonNode {
                id: p.fqn.clone(),
                kind: "product",
                domain: p.domain_name.clone(),
                label: p
                    .metadata
                    .title
                    .as_ref()
                    .map(|t| t.value.clone())
                    .unwrap_or_else(|| p.name.clone()),
            }
        }
        Node::Port { product, port } => {
            let p = mesh.product(product);
            JsonNode {
                id: [p.fqn.as_str(), ".", p.spec.outputs[port].name.as_str()].concat(),
                kind: "port",
                domain: p.domain_name.clone(),
                label: p.spec.outputs[port].name.value.clone(),
            }
        }
    }
}

/// The graph restricted to a view, as plain data (sorted).
pub fn to_json(mesh: &Mesh, g: &MeshGraph, view: &View) -> GraphJson {
    let keep: BTreeSet<Node> = match view.focus {
        None => g.index.keys().copied().collect(),
        Some(f) => {
            let both = !view.upstream && !view.downstream;
            let mut keep = BTreeSet::from([f]);
            // A product's ports travel with it, so focusing a product keeps
            // what it publishes and what reads those ports.
            let mut starts = vec![f];
            if let Node::Product(p) = f {
                starts.extend(
                    (0..mesh.product(p).spec.outputs.len())
                        .map(|port| Node::Port { product: p, port }),
                );
            }
            for s in starts {
                if view.upstream || both {
                    keep.extend(g.reach(s, Direction::Incoming));
                }
                if view.downstream || both {
                    keep.extend(g.reach(s, Direction::Outgoing));
                }
            }
            // Keep ports of kept products visible when they connect.
            keep
        }
    };
    let mut nodes: Vec<JsonNode> = keep.iter().map(|n| node_info(mesh, *n)).collect();
    nodes.sort_by(|a, b| a.id.cmp(&b.id));
    let mut edges = Vec::new();
    for e in g.graph.edge_indices() {
        let Some((a, b)) = g.graph.edge_endpoints(e) else {
            continue;
        };
        let (na, nb) = (g.graph[a], g.graph[b]);
        if keep.contains(&na) && keep.contains(&nb) {
            edges.push(JsonEdge {
                from: node_info(mesh, na).id,
                to: node_info(mesh, nb).id,
                kind: match g.graph[e] {
                    Edge::Reads => "reads",
                    Edge::Publishes => "publishes",
                },
            });
        }
    }
    edges.sort();
    let column_edges = view.columns.then(|| {
        let mut out: Vec<JsonEdge> = mesh
            .lineage
            .iter()
            .filter(|e| keep.contains(&column_node(e.from)) && keep.contains(&column_node(e.to)))
            .map(|e| JsonEdge {
                from: mesh.column_fqn(e.from),
                to: mesh.column_fqn(e.to),
                kind: "derived_from",
            })
            .collect();
        out.sort();
        out.dedup();
        out
    });
    GraphJson {
        nodes,
        edges,
        column_edges,
    }
}

fn column_node(c: ColumnRef) -> Node {
    match c {
        ColumnRef::Port { product, port, .. } => Node::Port { product, port },
        ColumnRef::Table { source, table, .. } => Node::Table { source, table },
    }
}

/// `  "from" -> "to"{attrs};` and a newline: one edge of graph.dot, written
/// without `writeln!` (there are tens of thousands).
fn dot_edge(out: &mut String, from: &str, to: &str, attrs: &str) {
    for s in [
        "  \"",
        &dot_escape(from),
        "\" -> \"",
        &dot_escape(to),
        "\"",
        attrs,
        ";\n",
    ] {
        out.push_str(s);
    }
}

fn dot_escape(s: &str) -> Cow<'_, str> {
    if s.contains(['\\', '"']) {
        Cow::Owned(s.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        Cow::Borrowed(s)
    }
}

/// Graphviz: one cluster per domain.
pub fn to_dot(g: &GraphJson) -> String {
    let mut out = String::from("digraph mesh {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
    let mut by_domain: BTreeMap<&str, Vec<&JsonNode>> = BTreeMap::new();
    for n in &g.nodes {
        by_domain.entry(&n.domain).or_default().push(n);
    }
    // Column nodes (with --columns) sit in the cluster of the port or table
    // they belong to.
    let domain_of: HashMap<&str, &str> = g
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), n.domain.as_str()))
        .collect();
    let mut columns_by_domain: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in g.column_edges.iter().flatten() {
        for c in [e.from.as_str(), e.to.as_str()] {
            let owner = c.rsplit_once('.').map(|(o, _)| o).unwrap_or(c);
            let domain = domain_of.get(owner).copied().unwrap_or("");
            columns_by_domain.entry(domain).or_default().insert(c);
        }
    }
    for (i, (domain, nodes)) in by_domain.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph cluster_{i} {{\n    label=\"{}\";",
            dot_escape(domain)
        );
        for c in columns_by_domain.get(domain).into_iter().flatten() {
            let label = c.rsplit('.').next().unwrap_or(c);
            let _ = writeln!(
                out,
                "    \"{}\" [label=\"{}\", shape=plaintext, fontsize=10];",
                dot_escape(c),
                dot_escape(label)
            );
        }
        for n in nodes {
            let shape = match n.kind {
                "product" => "box, style=\"rounded,filled\", fillcolor=\"#e8f0fe\"",
                "port" => "ellipse",
                _ => "cylinder",
            };
            let _ = writeln!(
                out,
                "    \"{}\" [label=\"{}\", shape={shape}];",
                dot_escape(&n.id),
                dot_escape(&n.label)
            );
        }
        out.push_str("  }\n");
    }
    for e in &g.edges {
        let style = if e.kind == "publishes" {
            " [style=dashed, arrowhead=none]"
        } else {
            ""
        };
        dot_edge(&mut out, &e.from, &e.to, style);
    }
    if let Some(cols) = &g.column_edges {
        for e in cols {
            dot_edge(
                &mut out,
                &e.from,
                &e.to,
                " [color=gray, style=dotted, label=\"column\"]",
            );
        }
    }
    out.push_str("}\n");
    out
}

fn mermaid_label(s: &str) -> Cow<'_, str> {
    if s.contains('"') {
        Cow::Owned(s.replace('"', "#quot;"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Mermaid ids from FQNs (see the escaping below). Ids stay stable when
/// unrelated nodes are added, so diffs of graph.mmd stay small.
fn mermaid_ids<'a>(names: impl Iterator<Item = &'a str>, prefix: &str) -> HashMap<&'a str, String> {
    let mut taken = HashSet::new();
    let mut out = HashMap::new();
    for name in names {
        // `_` doubles and `.` becomes `_`: for valid names (which never put
        // `_` right after `.`) this is one-to-one, so ids never depend on
        // other nodes. Anything else is escaped by code point.
        let mut base = String::from(prefix);
        for c in name.chars() {
            match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' => base.push(c),
                '_' => base.push_str("__"),
                '.' => base.push('_'),
                other => base.push_str(&format!("_x{:x}_", other as u32)),
            }
        }
        let mut id = base.clone();
        let mut n = 2;
        while !taken.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        out.insert(name, id);
    }
    out
}

/// Mermaid flowchart: one subgraph per domain.
pub fn to_mermaid(g: &GraphJson) -> String {
    let ids = mermaid_ids(g.nodes.iter().map(|n| n.id.as_str()), "n_");
    let id = |s: &str| ids.get(s).map(String::as_str).unwrap_or("missing");
    let mut out = String::from("flowchart LR\n");
    let mut by_domain: BTreeMap<&str, Vec<&JsonNode>> = BTreeMap::new();
    for n in &g.nodes {
        by_domain.entry(&n.domain).or_default().push(n);
    }
    let domain_ids = mermaid_ids(by_domain.keys().copied(), "d_");
    for (domain, nodes) in &by_domain {
        let _ = writeln!(
            out,
            "  subgraph {}[\"{}\"]",
            domain_ids[domain],
            mermaid_label(domain)
        );
        for n in nodes {
            let (open, close) = match n.kind {
                "product" => ("[", "]"),
                "port" => ("([", "])"),
                _ => ("[(", ")]"),
            };
            let _ = writeln!(
                out,
                "    {}{open}\"{}\"{close}",
                id(&n.id),
                mermaid_label(&n.label)
            );
        }
        out.push_str("  end\n");
    }
    for e in &g.edges {
        let arrow = if e.kind == "publishes" { "---" } else { "-->" };
        for s in ["  ", id(&e.from), " ", arrow, " ", id(&e.to), "\n"] {
            out.push_str(s);
        }
    }
    if let Some(cols) = &g.column_edges {
        // Columns are not nodes of the product graph: draw each as its own
        // node, linked to the port or table it belongs to.
        let names: BTreeSet<&str> = cols
            .iter()
            .flat_map(|e| [e.from.as_str(), e.to.as_str()])
            .collect();
        let col_ids = mermaid_ids(names.iter().copied(), "c_");
        for c in &names {
            let cid = &col_ids[c];
            let label = c.rsplit('.').next().unwrap_or(c);
            let _ = writeln!(out, "  {cid}{{{{\"{}\"}}}}", mermaid_label(label));
            if let Some((owner, _)) = c.rsplit_once('.')
                && ids.contains_key(owner)
            {
                let _ = writeln!(out, "  {} -.- {cid}", id(owner));
            }
        }
        for e in cols {
            for s in [
                "  ",
                &col_ids[e.from.as_str()],
                " -.-> ",
                &col_ids[e.to.as_str()],
                "\n",
            ] {
                out.push_str(s);
            }
        }
    }
    out
}
