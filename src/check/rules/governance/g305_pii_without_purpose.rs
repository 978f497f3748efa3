//! G305 pii-without-purpose.

use super::util::{blank, class_source, is_pii, name_list, pii_rank};
use crate::check::{Context, Doc, Rule};
use crate::classify;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{ColumnRef, InputTarget, ProductId, port_columns, span_of};

pub struct PiiWithoutPurpose;

pub static DOC: Doc = Doc {
    what: "An input — of another product's port or of a source table — consumes a column that is `pii` or more sensitive on the producer's side, and has no `purpose` (or an empty one). The consumed columns are the input's `columns`, or every column of the port or table when it lists none. The producer's classification counts whether the column declares it or inherits it through `derivedFrom`. A masked column still counts: hashed identifiers are pseudonymised, not anonymous, and the consumer may be approved for raw values.",
    why: "Data protection law (purpose limitation, GDPR art. 5(1)(b)) requires a stated reason for every use of personal data. The purpose is written where the consumption is declared, so the producer's reviewers and auditors can see why each consumer needs it.",
    bad: "inputs:\n  - product: customers.customers\n    port: customers\n    columns: [customer_id, email]\n",
    good: "inputs:\n  - product: customers.customers\n    port: customers\n    columns: [customer_id, email]\n    purpose: order confirmation e-mails\n",
};

impl Rule for PiiWithoutPurpose {
    fn code(&self) -> Code {
        Code::G305
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let Some(pii) = pii_rank(cx.mesh) else {
            return;
        };
        let p = cx.mesh.product(product);
        for input in &p.inputs {
            let decl = &p.spec.inputs[input.index];
            if !blank(decl.purpose.as_ref()) {
                continue;
            }
            let count = match input.target {
                InputTarget::Port { product, port } => {
                    port_columns(&cx.mesh.product(product).spec.outputs[port]).len()
                }
                InputTarget::Table { source, table } => {
                    cx.mesh.source(source).spec.tables[table].columns.len()
                }
            };
            let at = |column: usize| match input.target {
                InputTarget::Port { product, port } => ColumnRef::Port {
                    product,
                    port,
                    column,
                },
                InputTarget::Table { source, table } => ColumnRef::Table {
                    source,
                    table,
                    column,
                },
            };
            let consumed: Vec<usize> = match &input.columns {
                Some(list) => list.clone(),
                None => (0..count).collect(),
            };
            let personal: Vec<ColumnRef> = consumed
                .into_iter()
                .map(at)
                .filter(|c| is_pii(cx, pii, *c))
                .collect();
            let Some(first) = personal.first() else {
                continue;
            };
            let names = name_list(
                personal
                    .iter()
                    .map(|c| classify::column(cx.mesh, *c).name.as_str()),
            );
            let what = if personal.len() == 1 {
                "column"
            } else {
                "columns"
            };
            let loc = decl.target_loc();
            let loc = match &decl.purpose {
                Some(purpose) => purpose.loc,
                None => loc,
            };
            let (class_span, class_label) = class_source(cx, *first);
            out.push(
                Diagnostic::new(
                    Code::G305,
                    format!(
                        "`{}` consumes pii {what} {names} of `{}` without a purpose",
                        p.fqn,
                        cx.mesh.target_fqn(input.target)
                    ),
                )
                .with_primary(span_of(p.file, loc.or(decl.loc)), "")
                .with_related(class_span, class_label)
                .with_help(
                    "say why this product needs the personal data: `purpose: …` on the input (or leave the pii columns out of `columns`)",
                ),
            );
        }
    }
}
