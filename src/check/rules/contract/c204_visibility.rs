//! C204 visibility.

use crate::check::{Context, Doc, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::load::syntax::Visibility;
use crate::model::{InputTarget, ProductId, port_visibility, span_of};

pub struct VisibilityRule;

pub static DOC: Doc = Doc {
    what: "An input reads a port with visibility `domain` (the default when a port states none) from a product of another domain. Only inputs are checked: an `access.allow` entry does not open a `domain` port to other domains.",
    why: "A `domain` port is the producing domain's internal interface: it may change without notice to anyone outside the domain. Consumers in other domains need a port its producer has published for them (`public`, or `restricted` with their approval).",
    bad: "# in domain finance; sales.orders' port daily_revenue has visibility: domain\ninputs:\n  - product: sales.orders\n    port: daily_revenue\n",
    good: "# the producer publishes the port\noutputs:\n  - name: daily_revenue\n    visibility: public\n",
};

impl Rule for VisibilityRule {
    fn code(&self) -> Code {
        Code::C204
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let p = cx.mesh.product(product);
        for input in &p.inputs {
            let InputTarget::Port {
                product: producer,
                port,
            } = input.target
            else {
                continue;
            };
            let prod = cx.mesh.product(producer);
            let port_def = &prod.spec.outputs[port];
            if port_visibility(port_def) != Visibility::Domain || prod.domain_name == p.domain_name
            {
                continue;
            }
            let decl = &p.spec.inputs[input.index];
            let loc = decl
                .port
                .as_ref()
                .or(decl.product.as_ref())
                .map(|n| n.loc)
                .unwrap_or(decl.loc);
            let port_fqn = format!("{}.{}", prod.fqn, port_def.name.as_str());
            let (vis_loc, label) = match &port_def.visibility {
                Some(v) => (
                    v.loc,
                    format!(
                        "`{port_fqn}` is visible only in domain `{}`",
                        prod.domain_name
                    ),
                ),
                None => (
                    port_def.name.loc,
                    format!(
                        "`{port_fqn}` states no visibility, so it is visible only in domain `{}`",
                        prod.domain_name
                    ),
                ),
            };
            out.push(
                Diagnostic::new(
                    Code::C204,
                    format!(
                        "`{}` (domain `{}`) reads `{port_fqn}`, a port for products of domain `{}` only",
                        p.fqn, p.domain_name, prod.domain_name
                    ),
                )
                .with_primary(span_of(p.file, loc), "")
                .with_related(span_of(prod.file, vis_loc), label)
                .with_help(format!(
                    "the owners of `{}` can publish the port (`visibility: public`), or make it `restricted` and approve `{}` in their `access.allow`",
                    prod.fqn, p.fqn
                )),
            );
        }
    }
}
