//! C208 lineage-not-input.

use crate::check::{Context, Doc, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{
    ColumnRef, InputTarget, Mesh, Product, ProductId, ResolvedInput, port_columns, span_of,
};

pub struct LineageNotInput;

pub static DOC: Doc = Doc {
    what: "A `derivedFrom` entry names a column (that exists) which the product neither consumes nor publishes: it is not on one of the product's own ports, and no input reads its port or source table with that column (an input without `columns` reads all of them). The related span shows the input that reads the port or table but lists other columns.",
    why: "Column lineage drives classification propagation, impact analysis and grants: a product's role is granted exactly the columns its inputs declare. Lineage from a column the product does not read is either wrong or a missing input, and either way the derived grants and impact would be wrong.",
    bad: "inputs:\n  - product: sales.orders\n    port: orders\n    columns: [order_id]\noutputs:\n  - name: revenue\n    columns:\n      - name: amount\n        type: decimal(12,2)\n        derivedFrom: [sales.orders.orders.total]\n",
    good: "inputs:\n  - product: sales.orders\n    port: orders\n    columns: [order_id, total]\noutputs:\n  - name: revenue\n    columns:\n      - name: amount\n        type: decimal(12,2)\n        derivedFrom: [sales.orders.orders.total]\n",
};

/// A column FQN resolved as `resolve` does for lineage; `None` for the
/// ones it reported (or left to contract files).
fn resolve(mesh: &Mesh, fqn: &str) -> Option<ColumnRef> {
    let mut parts = fqn.split('.');
    let (a, b, c, d) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let owner = &fqn[..a.len() + 1 + b.len()];
    if let Some(&product) = mesh.product_by_fqn.get(owner) {
        let p = mesh.product(product);
        let (port, def) = p.port(c)?;
        let column = def
            .columns
            .as_ref()?
            .iter()
            .position(|x| x.name.as_str() == d)?;
        return Some(ColumnRef::Port {
            product,
            port,
            column,
        });
    }
    let &source = mesh.source_by_fqn.get(owner)?;
    let s = mesh.source(source);
    let table = s.spec.tables.iter().position(|t| t.name.as_str() == c)?;
    let column = s.spec.tables[table]
        .columns
        .iter()
        .position(|x| x.name.as_str() == d)?;
    Some(ColumnRef::Table {
        source,
        table,
        column,
    })
}

/// What a column reference is read through, and the column's index there.
fn target_of(c: ColumnRef) -> (InputTarget, usize) {
    match c {
        ColumnRef::Port {
            product,
            port,
            column,
        } => (InputTarget::Port { product, port }, column),
        ColumnRef::Table {
            source,
            table,
            column,
        } => (InputTarget::Table { source, table }, column),
    }
}

fn reads(input: &ResolvedInput, column: usize) -> bool {
    input
        .columns
        .as_ref()
        .is_none_or(|cols| cols.binary_search(&column).is_ok())
}

impl Rule for LineageNotInput {
    fn code(&self) -> Code {
        Code::C208
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh;
        let p = mesh.product(product);
        // An input that did not resolve was reported (R103, R104, R107):
        // what this product consumes is not known.
        if p.inputs.len() < p.spec.inputs.len() {
            return;
        }
        for port in &p.spec.outputs {
            for col in port_columns(port) {
                for src in &col.derived_from {
                    let Some(from) = resolve(mesh, src) else {
                        continue;
                    };
                    if matches!(from, ColumnRef::Port { product: q, .. } if q == product) {
                        continue;
                    }
                    let (target, column) = target_of(from);
                    let mut on_target = p.inputs.iter().filter(|i| i.target == target);
                    if on_target
                        .clone()
                        .any(|i| reads(i, column) || lists_unknown(mesh, p, i))
                    {
                        continue;
                    }
                    let from_fqn = mesh.column_fqn(from);
                    let target_fqn = mesh.target_fqn(target);
                    let col_name = from_fqn.rsplit('.').next().unwrap_or_default();
                    let mut d = Diagnostic::new(
                        Code::C208,
                        format!(
                            "`{}.{}.{}` is derived from `{from_fqn}`, which `{}` does not consume",
                            p.fqn,
                            port.name.as_str(),
                            col.name.as_str(),
                            p.fqn
                        ),
                    )
                    .with_primary(span_of(p.file, src.loc), "");
                    if let Some(input) = on_target.next() {
                        let decl = &p.spec.inputs[input.index];
                        let loc = decl.target_loc();
                        let listed: Vec<&str> =
                            decl.columns.iter().flatten().map(|c| c.as_str()).collect();
                        d = d
                            .with_related(
                                span_of(p.file, loc),
                                format!(
                                    "this input reads `{target_fqn}`, but only {}",
                                    if listed.is_empty() {
                                        "no columns".to_string()
                                    } else {
                                        names(&listed)
                                    }
                                ),
                            )
                            .with_help(format!(
                                "add `{col_name}` to this input's `columns`, or remove `{from_fqn}` from `derivedFrom`"
                            ));
                    } else {
                        let add = match target {
                            InputTarget::Port { product: q, port } => format!(
                                "`product: {}` with `port: {}`",
                                mesh.product(q).fqn,
                                mesh.product(q).spec.outputs[port].name.as_str()
                            ),
                            InputTarget::Table { .. } => format!("`source: {target_fqn}`"),
                        };
                        d = d.with_help(format!(
                            "add an input {add} that reads `{col_name}`, or remove `{from_fqn}` from `derivedFrom`"
                        ));
                    }
                    out.push(d);
                }
            }
        }
    }
}

/// Whether an input's `columns` names a column its target does not have
/// (reported as R105: the consumer may have meant this one).
fn lists_unknown(mesh: &Mesh, p: &Product, input: &ResolvedInput) -> bool {
    let Some(listed) = &p.spec.inputs[input.index].columns else {
        return false;
    };
    let has = |name: &str| match input.target {
        InputTarget::Port { product, port } => {
            let def = &mesh.product(product).spec.outputs[port];
            def.columns.is_none() || port_columns(def).iter().any(|c| c.name.as_str() == name)
        }
        InputTarget::Table { source, table } => mesh.source(source).spec.tables[table]
            .columns
            .iter()
            .any(|c| c.name.as_str() == name),
    };
    listed.iter().any(|c| !has(c))
}

/// Up to five names in backticks, then how many more.
fn names(list: &[&str]) -> String {
    let mut s = list
        .iter()
        .take(5)
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if list.len() > 5 {
        s.push_str(&format!(" and {} more", list.len() - 5));
    }
    s
}
