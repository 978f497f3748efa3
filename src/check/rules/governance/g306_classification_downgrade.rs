//! G306 classification-downgrade.

use super::util::{class_name, classification_span, column_by_fqn, declared_rank, masked};
use crate::check::{Context, Doc, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{ColumnRef, ProductId, port_columns, span_of};

pub struct ClassificationDowngrade;

pub static DOC: Doc = Doc {
    what: "A column of an output port is classified lower than what it is derived from, and is not masked. Classification propagates through `derivedFrom`, transitively and across products and domains: a column's effective classification is the most sensitive of its own and of every column it derives from, and masking (`hash`, `redact`, `nullify`) stops the flow. The rule fires when the declared classification ranks below the effective one, or when there is none and the effective one is above the least sensitive class (the first of `classifications`). The message names the effective class, the column it comes from (the nearest one upstream that declares it) and, when that one is further upstream, the column it is derived from directly. A classification that is not one of the Mesh's `classifications` is not compared.",
    why: "Copying a pii column into another product must not launder it: the copy holds the same personal data, and every other rule (G304 exposure, G305 purpose, G308 retention, grants and masking in the build) reads the declared class. Either declare what the data is or mask it.",
    bad: "# customers.customers.customers.email is classification: pii\ncolumns:\n  - name: email\n    type: string\n    classification: internal\n    derivedFrom: [customers.customers.customers.email]\n",
    good: "columns:\n  - name: email\n    type: string\n    classification: pii\n    derivedFrom: [customers.customers.customers.email]\n  # or: masking: hash, which stops the propagation\n",
};

impl Rule for ClassificationDowngrade {
    fn code(&self) -> Code {
        Code::G306
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let p = cx.mesh.product(product);
        for (pi, port) in p.spec.outputs.iter().enumerate() {
            for (ci, col) in port_columns(port).iter().enumerate() {
                // Only a derived column can inherit; masking stops the flow.
                if col.derived_from.is_empty() || masked(col) {
                    continue;
                }
                let at = ColumnRef::Port {
                    product,
                    port: pi,
                    column: ci,
                };
                let Some(effective) = cx.classes.effective(at) else {
                    continue;
                };
                let declared = declared_rank(cx.mesh, col);
                if col.classification.is_some() && declared.is_none() {
                    continue; // not a known class: nothing to compare
                }
                if effective <= declared.unwrap_or(0) {
                    continue;
                }
                let Some(origin) = cx.classes.origin(at) else {
                    continue;
                };
                let class = class_name(cx.mesh, effective);
                let origin_fqn = cx.mesh.column_fqn(origin);
                // The column it derives from directly, when the class
                // comes from further upstream.
                let via = col
                    .derived_from
                    .iter()
                    .filter_map(|d| column_by_fqn(cx.mesh, d))
                    .find(|d| *d != origin && cx.classes.effective(*d) == Some(effective));
                let source = match via {
                    Some(v) => format!(
                        "`{}`, which inherits `{class}` from `{origin_fqn}`",
                        cx.mesh.column_fqn(v)
                    ),
                    None => format!("`{origin_fqn}`, which is `{class}`"),
                };
                let fqn = cx.mesh.column_fqn(at);
                let (msg, loc) = match &col.classification {
                    Some(c) => (
                        format!(
                            "column `{fqn}` is classified `{}`, but it derives from {source}",
                            c.as_str()
                        ),
                        c.loc,
                    ),
                    None => (
                        format!(
                            "column `{fqn}` has no classification, but it derives from {source}"
                        ),
                        col.name.loc,
                    ),
                };
                out.push(
                    Diagnostic::new(Code::G306, msg)
                        .with_primary(span_of(p.file, loc.or(col.name.loc)), "")
                        .with_related(
                            classification_span(cx.mesh, origin),
                            format!("`{origin_fqn}` is classified `{class}` here"),
                        )
                        .with_help(format!(
                            "classify it `{class}`, or mask it (`masking: hash`, `redact` or `nullify`)"
                        )),
                );
            }
        }
    }
}
