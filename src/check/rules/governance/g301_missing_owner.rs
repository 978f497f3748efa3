//! G301 missing-owner.

use crate::check::{Context, Doc, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{ProductId, span_of};

pub struct MissingOwner;

pub static DOC: Doc = Doc {
    what: "A data product, source or domain has no `metadata.owner`.",
    why: "Domain ownership is the first principle of a data mesh: every product needs a team that answers for it, reviews its changes and is contacted when it breaks.",
    bad: "metadata:\n  name: orders\n  domain: sales\n",
    good: "metadata:\n  name: orders\n  domain: sales\n  owner: sales_data\n",
};

fn missing(what: &str, name: &str) -> String {
    format!("{what} `{name}` has no owner")
}

const HELP: &str = "add `owner: <team>` to its metadata";

impl Rule for MissingOwner {
    fn code(&self) -> Code {
        Code::G301
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let p = cx.mesh.product(product);
        if p.metadata.owner.is_none() {
            out.push(
                Diagnostic::new(Code::G301, missing("product", &p.fqn))
                    .with_primary(span_of(p.file, p.metadata.name.loc), "")
                    .with_help(HELP),
            );
        }
    }

    fn check_mesh(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for s in &cx.mesh.sources {
            if s.metadata.owner.is_none() {
                out.push(
                    Diagnostic::new(Code::G301, missing("source", &s.fqn))
                        .with_primary(span_of(s.file, s.metadata.name.loc), "")
                        .with_help(HELP)
                        .in_domain(s.domain_name.clone()),
                );
            }
        }
        for d in &cx.mesh.domains {
            if d.metadata.owner.is_none() {
                out.push(
                    Diagnostic::new(Code::G301, missing("domain", &d.name))
                        .with_primary(span_of(d.file, d.metadata.name.loc), "")
                        .with_help(HELP)
                        .in_domain(d.name.clone()),
                );
            }
        }
    }
}
