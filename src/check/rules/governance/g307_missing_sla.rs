//! G307 missing-sla.

use super::util::blank;
use crate::check::{Context, Doc, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::load::syntax::Visibility;
use crate::model::{ProductId, contract_unusable, port_visibility, span_of};

pub struct MissingSla;

pub static DOC: Doc = Doc {
    what: "A `public` port has no `sla.freshness` (no `sla`, no `freshness` in it, or an empty one). Ports with `domain` or `restricted` visibility are not checked. A port with a `contract` file takes its SLA from it (ODCS `latency`); one whose contract file could not be used (M008) is not checked.",
    why: "Anyone may build on a public port, and every consumer needs to know how stale its data can be to schedule its own pipeline. Freshness is the one service level every public port must state.",
    bad: "outputs:\n  - name: orders\n    visibility: public\n    sla: { availability: \"99.5%\" }\n",
    good: "outputs:\n  - name: orders\n    visibility: public\n    sla: { freshness: 6h, availability: \"99.5%\" }\n",
};

impl Rule for MissingSla {
    fn code(&self) -> Code {
        Code::G307
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let p = cx.mesh.product(product);
        for port in &p.spec.outputs {
            if port_visibility(port) != Visibility::Public || contract_unusable(port) {
                continue;
            }
            let freshness = port.sla.as_ref().and_then(|s| s.freshness.as_ref());
            if !blank(freshness) {
                continue;
            }
            // An empty `freshness` is the node; else the port (a mapping's
            // location is only its first key, so `sla` is a related label).
            let loc = freshness.map(|f| f.loc).unwrap_or(port.name.loc);
            let mut d = Diagnostic::new(
                Code::G307,
                format!(
                    "public port `{}.{}` has no `sla.freshness`",
                    p.fqn,
                    port.name.as_str()
                ),
            )
            .with_primary(span_of(p.file, loc.or(port.name.loc)), "");
            if let Some(v) = &port.visibility {
                d = d.with_related(span_of(p.file, v.loc), "the port is public here");
            }
            if let (Some(sla), None) = (&port.sla, freshness) {
                d = d.with_related(span_of(p.file, sla.loc), "its `sla` has no `freshness`");
            }
            out.push(
                d.with_help("state how old its newest data may be, e.g. `sla: { freshness: 6h }`"),
            );
        }
    }
}
