//! Classification propagation (SPEC §4, G306): a column's effective
//! classification is the most sensitive of its own and of everything it is
//! `derivedFrom`, transitively, across products and domains — unless the
//! column is masked, which stops the flow (its values no longer carry the
//! source's sensitivity).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::load::syntax::{Column, Masking};
use crate::model::{ColumnRef, Mesh, port_columns};

/// Effective classification of every column that has one, as an index into
/// `Mesh::classifications` (higher = more sensitive). Port columns are kept
/// in one flat table (every emitter asks for each column in turn); source
/// columns, which are few, in a map.
#[derive(Debug, Default)]
pub struct Classes {
    /// Per product, per output port: where its columns start in `ports`,
    /// and how many it has.
    starts: Vec<Vec<(usize, usize)>>,
    /// Per column of every port, in product, port and column order.
    ports: Vec<Option<Class>>,
    tables: HashMap<ColumnRef, Class>,
}

/// A column's effective classification and, when it came from lineage, the
/// column it came from (the nearest one that declares it).
#[derive(Debug, Clone, Copy)]
struct Class {
    rank: usize,
    origin: Option<ColumnRef>,
}

impl Classes {
    /// Room for every port column of `mesh`, none classified yet.
    fn for_mesh(mesh: &Mesh) -> Classes {
        let mut starts = Vec::with_capacity(mesh.products.len());
        let mut n = 0;
        for p in &mesh.products {
            starts.push(
                p.spec
                    .outputs
                    .iter()
                    .map(|port| {
                        let len = port_columns(port).len();
                        n += len;
                        (n - len, len)
                    })
                    .collect(),
            );
        }
        Classes {
            starts,
            ports: vec![None; n],
            tables: HashMap::new(),
        }
    }

    fn slot(&self, c: ColumnRef) -> Option<usize> {
        match c {
            ColumnRef::Port {
                product,
                port,
                column,
            } => {
                let &(at, len) = self.starts.get(product.idx())?.get(port)?;
                (column < len).then_some(at + column)
            }
            ColumnRef::Table { .. } => None,
        }
    }

    fn get(&self, c: ColumnRef) -> Option<Class> {
        match c {
            ColumnRef::Port { .. } => self.slot(c).and_then(|i| self.ports[i]),
            ColumnRef::Table { .. } => self.tables.get(&c).copied(),
        }
    }

    fn set(&mut self, c: ColumnRef, class: Class) {
        match c {
            ColumnRef::Port { .. } => {
                if let Some(i) = self.slot(c) {
                    self.ports[i] = Some(class);
                }
            }
            ColumnRef::Table { .. } => {
                self.tables.insert(c, class);
            }
        }
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
    let mut inputs: BTreeMap<ColumnRef, Vec<ColumnRef>> = BTreeMap::new();
    for e in &mesh.lineage {
        inputs.entry(e.to).or_default().push(e.from);
    }
    let mut out = Classes::for_mesh(mesh);
    // Every column that can carry a class: lineage targets, and columns that
    // declare one. A column that is neither has none.
    let mut todo: Vec<ColumnRef> = inputs.keys().copied().collect();
    for pid in mesh.product_ids() {
        for (pi, port) in mesh.product(pid).spec.outputs.iter().enumerate() {
            for (ci, col) in port_columns(port).iter().enumerate() {
                if col.classification.is_some() {
                    todo.push(ColumnRef::Port {
                        product: pid,
                        port: pi,
                        column: ci,
                    });
                }
            }
        }
    }
    let mut state: HashMap<ColumnRef, Option<(usize, Option<ColumnRef>)>> = HashMap::new();
    for start in todo {
        visit(mesh, &inputs, start, &mut state);
    }
    for (c, v) in state {
        if let Some((rank, origin)) = v {
            out.set(c, Class { rank, origin });
        }
    }
    out
}

/// Depth-first with an explicit stack (lineage chains can be long). A
/// column on a cycle (only possible within one product) sees the others on
/// it as they are when first reached.
fn visit(
    mesh: &Mesh,
    inputs: &BTreeMap<ColumnRef, Vec<ColumnRef>>,
    start: ColumnRef,
    state: &mut HashMap<ColumnRef, Option<(usize, Option<ColumnRef>)>>,
) {
    if state.contains_key(&start) {
        return;
    }
    let mut on_stack = HashSet::new();
    let mut stack = vec![(start, false)];
    while let Some((c, expanded)) = stack.pop() {
        if state.contains_key(&c) {
            continue;
        }
        let col = column(mesh, c);
        let own = col.classification.as_ref().and_then(|n| rank(mesh, n));
        let deps: &[ColumnRef] = if masked(col) {
            &[]
        } else {
            inputs.get(&c).map(Vec::as_slice).unwrap_or(&[])
        };
        if !expanded {
            on_stack.insert(c);
            stack.push((c, true));
            for d in deps {
                if !state.contains_key(d) && !on_stack.contains(d) {
                    stack.push((*d, false));
                }
            }
            continue;
        }
        on_stack.remove(&c);
        let mut best: Option<(usize, Option<ColumnRef>)> = own.map(|r| (r, None));
        for d in deps {
            if let Some(Some((r, origin))) = state.get(d) {
                let from = origin.unwrap_or(*d);
                if best.is_none_or(|(b, _)| *r > b) {
                    best = Some((*r, Some(from)));
                }
            }
        }
        state.insert(c, best);
    }
}
