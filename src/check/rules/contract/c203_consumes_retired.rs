//! C203 consumes-retired.

use crate::check::{Context, Doc, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::load::syntax::Status;
use crate::model::{ProductId, span_of};

pub struct ConsumesRetired;

pub static DOC: Doc = Doc {
    what: "An input reads a product whose status is `retired`. The help names the replacement when the retired product states one (`deprecation.replacedBy`).",
    why: "A retired product is switched off: its data is no longer produced, so a consumer that still reads it reads stale data or nothing at all.",
    bad: "# sales.orders_legacy has status: retired\ninputs:\n  - product: sales.orders_legacy\n    port: orders\n",
    good: "inputs:\n  - product: sales.orders\n    port: orders\n",
};

impl Rule for ConsumesRetired {
    fn code(&self) -> Code {
        Code::C203
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let p = cx.mesh.product(product);
        for (_, producer, loc) in super::product_inputs(p) {
            let prod = cx.mesh.product(producer);
            if prod.status() != Status::Retired {
                continue;
            }
            let replaced = prod
                .spec
                .deprecation
                .as_ref()
                .and_then(|d| d.replaced_by.as_ref())
                .map(|r| r.value.clone());
            let help = match &replaced {
                Some(r) => format!("read `{r}`, which replaces it"),
                None => "remove the input, or read a product that is still active".to_string(),
            };
            let status_loc = prod.status_loc();
            out.push(
                Diagnostic::new(
                    Code::C203,
                    format!("`{}` reads `{}`, which is retired", p.fqn, prod.fqn),
                )
                .with_primary(span_of(p.file, loc), "")
                .with_related(
                    span_of(prod.file, status_loc),
                    format!("`{}` is retired here", prod.fqn),
                )
                .with_help(help),
            );
        }
    }
}
