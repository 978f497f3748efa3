//! G308 pii-without-retention.

use super::util::{blank, class_source, is_pii, name_list, pii_rank};
use crate::check::{Context, Doc, Rule};
use crate::classify;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{ColumnRef, ProductId, port_columns, span_of};

pub struct PiiWithoutRetention;

pub static DOC: Doc = Doc {
    what: "An output port has columns that are `pii` or more sensitive (declared, or inherited through `derivedFrom`; masked ones count) and no `sla.retention` (or an empty one). Any visibility.",
    why: "Personal data may only be kept as long as its purpose needs (storage limitation, GDPR art. 5(1)(e)). Stating the retention on the port makes the promise explicit, reviewable and visible to every consumer.",
    bad: "outputs:\n  - name: customers\n    columns:\n      - { name: email, type: string, classification: pii, masking: hash }\n    sla: { freshness: 24h }\n",
    good: "outputs:\n  - name: customers\n    columns:\n      - { name: email, type: string, classification: pii, masking: hash }\n    sla: { freshness: 24h, retention: 3y }\n",
};

impl Rule for PiiWithoutRetention {
    fn code(&self) -> Code {
        Code::G308
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let Some(pii) = pii_rank(cx.mesh) else {
            return;
        };
        let p = cx.mesh.product(product);
        for (pi, port) in p.spec.outputs.iter().enumerate() {
            let retention = port.sla.as_ref().and_then(|s| s.retention.as_ref());
            if !blank(retention) {
                continue;
            }
            let personal: Vec<ColumnRef> = (0..port_columns(port).len())
                .map(|column| ColumnRef::Port {
                    product,
                    port: pi,
                    column,
                })
                .filter(|c| is_pii(cx, pii, *c))
                .collect();
            let Some(first) = personal.first() else {
                continue;
            };
            let loc = retention.map(|r| r.loc).unwrap_or(port.name.loc);
            let names = name_list(
                personal
                    .iter()
                    .map(|c| classify::column(cx.mesh, *c).name.as_str()),
            );
            let (class_span, class_label) = class_source(cx, *first);
            let mut d = Diagnostic::new(
                Code::G308,
                format!(
                    "port `{}.{}` holds pii ({names}) but has no `sla.retention`",
                    p.fqn,
                    port.name.as_str()
                ),
            )
            .with_primary(span_of(p.file, loc.or(port.name.loc)), "");
            if let (Some(sla), None) = (&port.sla, retention) {
                d = d.with_related(span_of(p.file, sla.loc), "its `sla` has no `retention`");
            }
            out.push(
                d.with_related(class_span, class_label)
                    .with_help("state how long the data is kept, e.g. `sla: { retention: 3y }`"),
            );
        }
    }
}
