//! Classification propagation (SPEC §4, G306): a column's effective
//! classification is the most sensitive of its own and of everything it is
//! `derivedFrom`, transitively, across products and domains — unless the
//! column is masked, which stops the flow (its values no longer carry the
//! source's sensitivity).

use crate::load::syntax::{Column, Masking};
use crate::model::{ColumnRef, Mesh, port_columns};

/// Effective classification of every column that has one, as an index into
/// `Mesh::classifications` (higher = more sensitive). Kept in one flat
/// table over every column (ports', then source tables'), indexed by
/// product, port and column: every emitter asks for each column in turn.
#[derive(Debug, Default)]
pub struct Classes {
    /// Per product, per output port: where its columns start in `classes`,
    /// and how many it has.
    ports: Vec<Vec<(usize, usize)>>,
    /// The same per source, per table.
    tables: Vec<Vec<(usize, usize)>>,
    /// Per column: its class, if it has one.
    classes: Vec<Option<Class>>,
}

/// A column's effective classification and, when it came from lineage, the
/// column it came from (the nearest one that declares it).
#[derive(Debug, Clone, Copy)]
struct Class {
    rank: usize,
    origin: Option<ColumnRef>,
}

impl Classes {
    /// Room for every column of `mesh`, none classified yet. Slots follow
    /// `ColumnRef`'s order (ports by product, port, column; then tables).
    fn for_mesh(mesh: &Mesh) -> Classes {
        let mut n = 0;
        let mut place = |len: usize| {
            n += len;
            (n - len, len)
        };
        let ports = mesh
            .products
            .iter()
            .map(|p| {
                p.spec
                    .outputs
                    .iter()
                    .map(|port| place(port_columns(port).len()))
                    .collect()
            })
            .collect();
        let tables = mesh
            .sources
            .iter()
            .map(|s| {
                s.spec
                    .tables
                    .iter()
                    .map(|t| place(t.columns.len()))
                    .collect()
            })
            .collect();
        Classes {
            ports,
            tables,
            classes: vec![None; n],
        }
    }

    fn slot(&self, c: ColumnRef) -> Option<usize> {
        let (list, i, j, column) = match c {
            ColumnRef::Port {
                product,
                port,
                column,
            } => (&self.ports, product.idx(), port, column),
            ColumnRef::Table {
                source,
                table,
                column,
            } => (&self.tables, source.idx(), table, column),
        };
        let &(at, len) = list.get(i)?.get(j)?;
        (column < len).then_some(at + column)
    }

    fn get(&self, c: ColumnRef) -> Option<Class> {
        self.slot(c).and_then(|i| self.classes[i])
    }

    pub fn effective(&self, c: ColumnRef) -> Option<usize> {
        self.get(c).map(|k| k.rank)
    }

    /// Where an inherited classification comes from (a column that
    /// declares it), when it is inherited.
    pub fn origin(&self, c: ColumnRef) -> Option<ColumnRef> {
        self.get(c).and_then(|k| k.origin)
    }
}

/// Rank of a classification name in the Mesh's list.
pub fn rank(mesh: &Mesh, name: &str) -> Option<usize> {
    mesh.classifications.iter().position(|c| c == name)
}

pub fn column(mesh: &Mesh, c: ColumnRef) -> &Column {
    match c {
        ColumnRef::Port {
            product,
            port,
            column,
        } => &port_columns(&mesh.product(product).spec.outputs[port])[column],
        ColumnRef::Table {
            source,
            table,
            column,
        } => &mesh.source(source).spec.tables[table].columns[column],
    }
}

fn masked(c: &Column) -> bool {
    c.masking.as_ref().is_some_and(|m| m.value != Masking::None)
}

/// Computes effective classifications over the column lineage.
pub fn propagate(mesh: &Mesh) -> Classes {
    let mut out = Classes::for_mesh(mesh);
    let n = out.classes.len();
    // Each column's lineage inputs, in lineage order, as one list cut at
    // `first[slot]..first[slot + 1]`.
    let mut first = vec![0usize; n + 1];
    let edges: Vec<(usize, ColumnRef)> = mesh
        .lineage
        .iter()
        .filter_map(|e| Some((out.slot(e.to)?, e.from)))
        .collect();
    for &(to, _) in &edges {
        first[to + 1] += 1;
    }
    for i in 0..n {
        first[i + 1] += first[i];
    }
    let mut next = first.clone();
    let mut inputs = vec![None; edges.len()];
    for (to, from) in edges {
        inputs[next[to]] = Some(from);
        next[to] += 1;
    }
    let inputs: Vec<ColumnRef> = inputs.into_iter().flatten().collect();
    let graph = Inputs { first, inputs };
    // Every column that can carry a class: lineage targets (in column
    // order), then port columns that declare one. A column that is neither
    // has none.
    let mut refs: Vec<ColumnRef> = Vec::with_capacity(n);
    for pid in mesh.product_ids() {
        for (pi, port) in mesh.product(pid).spec.outputs.iter().enumerate() {
            for ci in 0..port_columns(port).len() {
                refs.push(ColumnRef::Port {
                    product: pid,
                    port: pi,
                    column: ci,
                });
            }
        }
    }
    let port_count = refs.len();
    for (si, s) in mesh.sources.iter().enumerate() {
        for (ti, t) in s.spec.tables.iter().enumerate() {
            for ci in 0..t.columns.len() {
                refs.push(ColumnRef::Table {
                    source: crate::model::SourceId(si as u32),
                    table: ti,
                    column: ci,
                });
            }
        }
    }
    debug_assert_eq!(refs.len(), n, "one ColumnRef per slot, in slot order");
    let targets = (0..n).filter(|&i| graph.of(i).next().is_some());
    let declared = (0..port_count).filter(|&i| column(mesh, refs[i]).classification.is_some());
    let mut state = vec![Visit::New; n];
    let todo: Vec<usize> = targets.chain(declared).collect();
    for start in todo {
        visit(mesh, &graph, &refs, &mut out, start, &mut state);
    }
    out
}

/// Lineage inputs per column slot.
struct Inputs {
    first: Vec<usize>,
    inputs: Vec<ColumnRef>,
}

impl Inputs {
    fn of(&self, slot: usize) -> impl Iterator<Item = &ColumnRef> {
        self.inputs[self.first[slot]..self.first[slot + 1]].iter()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Visit {
    New,
    OnStack,
    Done,
}

/// Depth-first with an explicit stack (lineage chains can be long). A
/// column on a cycle (only possible within one product) sees the others on
/// it as they are when first reached.
fn visit(
    mesh: &Mesh,
    graph: &Inputs,
    refs: &[ColumnRef],
    out: &mut Classes,
    start: usize,
    state: &mut [Visit],
) {
    if state[start] == Visit::Done {
        return;
    }
    let mut stack = vec![(start, false)];
    while let Some((c, expanded)) = stack.pop() {
        if state[c] == Visit::Done {
            continue;
        }
        let col = column(mesh, refs[c]);
        let own = col.classification.as_ref().and_then(|n| rank(mesh, n));
        let deps = || {
            graph
                .of(c)
                .filter(|_| !masked(col))
                .filter_map(|d| Some((*d, out.slot(*d)?)))
        };
        if !expanded {
            state[c] = Visit::OnStack;
            stack.push((c, true));
            for (_, d) in deps() {
                if state[d] == Visit::New {
                    stack.push((d, false));
                }
            }
            continue;
        }
        let mut best: Option<Class> = own.map(|rank| Class { rank, origin: None });
        for (d, slot) in deps() {
            if state[slot] != Visit::Done {
                continue;
            }
            if let Some(k) = out.classes[slot] {
                let from = k.origin.unwrap_or(d);
                if best.is_none_or(|b| k.rank > b.rank) {
                    best = Some(Class {
                        rank: k.rank,
                        origin: Some(from),
                    });
                }
            }
        }
        state[c] = Visit::Done;
        out.classes[c] = best;
    }
}
