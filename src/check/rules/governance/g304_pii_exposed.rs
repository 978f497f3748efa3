//! G304 pii-exposed.

use super::util::{class_name, class_source, masked, pii_rank, sensitivity};
use crate::check::{Context, Doc, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::load::syntax::Visibility;
use crate::model::{ColumnRef, ProductId, port_columns, port_visibility, span_of};

pub struct PiiExposed;

pub static DOC: Doc = Doc {
    what: "A column of a `public` port is `pii` — or more sensitive: any classification ranked at or above `pii` in the Mesh's `classifications` — and has no masking (`masking: none` or no `masking`). The column's own classification counts, and so does the one it inherits through `derivedFrom` (see G306). A Mesh whose `classifications` has no `pii` has nothing for this rule to check.",
    why: "Anyone may consume a public port. Personal data published there unmasked reaches every consumer in raw form; masking gives readers a hash, a constant or NULL, and the producer approves raw access per consumer (`access.allow[].unmasked`).",
    bad: "outputs:\n  - name: orders\n    visibility: public\n    columns:\n      - name: customer_email\n        type: string\n        classification: pii\n",
    good: "outputs:\n  - name: orders\n    visibility: public\n    columns:\n      - name: customer_email\n        type: string\n        classification: pii\n        masking: hash\n",
};

impl Rule for PiiExposed {
    fn code(&self) -> Code {
        Code::G304
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let Some(pii) = pii_rank(cx.mesh) else {
            return;
        };
        let p = cx.mesh.product(product);
        for (pi, port) in p.spec.outputs.iter().enumerate() {
            if port_visibility(port) != Visibility::Public {
                continue;
            }
            for (ci, col) in port_columns(port).iter().enumerate() {
                if masked(col) {
                    continue;
                }
                let at = ColumnRef::Port {
                    product,
                    port: pi,
                    column: ci,
                };
                let Some(rank) = sensitivity(cx, at).filter(|r| *r >= pii) else {
                    continue;
                };
                let loc = col.masking.as_ref().map(|m| m.loc).unwrap_or(col.name.loc);
                let (class_span, class_label) = class_source(cx, at);
                let mut d = Diagnostic::new(
                    Code::G304,
                    format!(
                        "`{}` column `{}` is published unmasked on public port `{}`",
                        class_name(cx.mesh, rank),
                        cx.mesh.column_fqn(at),
                        port.name.as_str()
                    ),
                )
                .with_primary(span_of(p.file, loc.or(col.name.loc)), "not masked");
                if let Some(v) = &port.visibility {
                    d = d.with_related(span_of(p.file, v.loc), "the port is public here");
                }
                out.push(
                    d.with_related(class_span, class_label)
                        .with_help("mask it (`masking: hash`, `redact` or `nullify`) and approve raw readers in `access.allow[].unmasked`, or publish it on a `restricted` port"),
                );
            }
        }
    }
}
