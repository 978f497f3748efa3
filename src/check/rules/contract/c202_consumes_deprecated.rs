//! C202 consumes-deprecated.

use crate::check::{Context, Doc, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::load::syntax::Status;
use crate::model::{ProductId, span_of};

pub struct ConsumesDeprecated;

pub static DOC: Doc = Doc {
    what: "An input reads a product whose status is `deprecated`. The message gives the sunset date and the replacement.",
    why: "A deprecated product will be retired; its consumers need to move before the sunset date, and each one should hear it where it declares the input.",
    bad: "# sales.orders_legacy has status: deprecated, sunset 2027-09-30\ninputs:\n  - product: sales.orders_legacy\n    port: orders\n",
    good: "inputs:\n  - product: sales.orders\n    port: orders\n",
};

impl Rule for ConsumesDeprecated {
    fn code(&self) -> Code {
        Code::C202
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let p = cx.mesh.product(product);
        for (_, producer, loc) in super::product_inputs(p) {
            let prod = cx.mesh.product(producer);
            if prod.status() != Status::Deprecated {
                continue;
            }
            let dep = prod.spec.deprecation.as_ref();
            let sunset = dep.and_then(|d| d.sunset.as_ref()).map(|s| s.value.clone());
            let replaced = dep
                .and_then(|d| d.replaced_by.as_ref())
                .map(|r| r.value.clone());
            let mut msg = format!("`{}` reads `{}`, which is deprecated", p.fqn, prod.fqn);
            if let Some(s) = &sunset {
                msg.push_str(&format!(" (sunset {s})"));
            }
            let help = match &replaced {
                Some(r) => format!("move to `{r}` before the sunset date"),
                None => "move to another product before the sunset date".to_string(),
            };
            let status_loc = prod.status_loc();
            out.push(
                Diagnostic::new(Code::C202, msg)
                    .with_primary(span_of(p.file, loc), "")
                    .with_related(
                        span_of(prod.file, status_loc),
                        format!("`{}` is deprecated here", prod.fqn),
                    )
                    .with_help(help),
            );
        }
    }
}
