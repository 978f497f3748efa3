//! G312 unused-product.

use crate::check::{Context, Doc, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::load::syntax::{Status, Visibility};
use crate::model::{InputTarget, port_visibility};

pub struct UnusedProduct;

pub static DOC: Doc = Doc {
    what: "A product that nobody can read: none of its ports is `public`, no other product has an input on it, and its `access.allow` is empty. Retired products are not reported; draft and deprecated ones are. An `access.allow` entry counts even when it has expired (G310 reports that).",
    why: "A product costs its owner compute, storage and upkeep. One that is neither published, nor consumed, nor granted to anyone is either unfinished, forgotten or meant to be retired.",
    bad: "metadata: { name: order_stats, domain: sales, owner: sales_data }\nspec:\n  outputs:\n    - name: order_stats\n      visibility: domain\n# and no product reads sales.order_stats\n",
    good: "metadata: { name: order_stats, domain: sales, owner: sales_data }\nspec:\n  outputs:\n    - name: order_stats\n      visibility: domain\n  access:\n    allow:\n      - team: finance_analysts\n        purpose: monthly order statistics\n",
};

impl Rule for UnusedProduct {
    fn code(&self) -> Code {
        Code::G312
    }

    fn check_mesh(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh;
        let mut consumed = vec![false; mesh.products.len()];
        for pid in mesh.product_ids() {
            for input in &mesh.product(pid).inputs {
                if let InputTarget::Port { product, .. } = input.target
                    && product != pid
                {
                    consumed[product.idx()] = true;
                }
            }
        }
        for pid in mesh.product_ids() {
            let p = mesh.product(pid);
            if consumed[pid.idx()] || p.status() == Status::Retired {
                continue;
            }
            let public = p
                .spec
                .outputs
                .iter()
                .any(|port| port_visibility(port) == Visibility::Public);
            let allowed = p.spec.access.as_ref().is_some_and(|a| !a.allow.is_empty());
            if public || allowed {
                continue;
            }
            out.push(
                Diagnostic::new(
                    Code::G312,
                    format!(
                        "`{}` has no public port, no consumers and no `access.allow` entries: nothing reads it",
                        p.fqn
                    ),
                )
                .with_primary(p.span(), "")
                .with_help(
                    "publish a port (`visibility: public`), grant access in `access.allow`, or retire the product (`status: retired`)",
                )
                .in_domain(p.domain_name.clone()),
            );
        }
    }
}
