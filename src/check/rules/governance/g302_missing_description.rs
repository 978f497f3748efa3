//! G302 missing-description.

use super::util::blank;
use crate::check::{Context, Doc, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::load::Sp;
use crate::model::{ProductId, contract_unusable, port_columns, span_of};
use crate::source::FileId;

pub struct MissingDescription;

pub static DOC: Doc = Doc {
    what: "A data product (`metadata.description`), one of its output ports or a column of one of its ports has no description; an empty or whitespace-only description counts as none. There is one finding per node that lacks one. Sources, source tables and their columns are not checked: they describe an operational system, not a product's interface. The columns a port takes from its `contract` file are checked too, and their findings point into that file (ODCS `description`); a port whose contract file could not be used (M008) is not checked for its own description, which the contract may hold.",
    why: "A data product is only self-serve when a consumer can understand it without asking its owner. Descriptions are what the documentation site, the ODCS contracts and the comments in the DDL show.",
    bad: "metadata:\n  name: orders\n  domain: sales\n  owner: sales_data\nspec:\n  outputs:\n    - name: orders\n      columns:\n        - { name: order_id, type: bigint }\n",
    good: "metadata:\n  name: orders\n  domain: sales\n  owner: sales_data\n  description: All confirmed customer orders, one row per order.\nspec:\n  outputs:\n    - name: orders\n      description: One row per confirmed order.\n      columns:\n        - { name: order_id, type: bigint, description: Order number. }\n",
};

/// A finding for `what` (`product `x``, …) when `description` is blank:
/// on the empty description when there is one, else on the node's name.
fn check(
    file: FileId,
    what: impl FnOnce() -> String,
    name: &Sp<String>,
    description: Option<&Sp<String>>,
    help: &str,
    out: &mut Vec<Diagnostic>,
) {
    if !blank(description) {
        return;
    }
    let (msg, loc) = match description {
        Some(d) => (format!("{} has an empty description", what()), d.loc),
        None => (format!("{} has no description", what()), name.loc),
    };
    out.push(
        Diagnostic::new(Code::G302, msg)
            .with_primary(span_of(file, loc.or(name.loc)), "")
            .with_help(help),
    );
}

impl Rule for MissingDescription {
    fn code(&self) -> Code {
        Code::G302
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let p = cx.mesh.product(product);
        check(
            p.file,
            || format!("product `{}`", p.fqn),
            &p.metadata.name,
            p.metadata.description.as_ref(),
            "say what the product holds, one row per what, in `description:` under `metadata`",
            out,
        );
        for port in &p.spec.outputs {
            let port_fqn = || format!("{}.{}", p.fqn, port.name.as_str());
            if contract_unusable(port) {
                continue; // M008; the description may be in the contract
            }
            check(
                p.file,
                || format!("port `{}`", port_fqn()),
                &port.name,
                port.description.as_ref(),
                "add `description:` to the port: what one row is, what it is for",
                out,
            );
            for col in port_columns(port) {
                check(
                    p.file,
                    || format!("column `{}.{}`", port_fqn(), col.name.as_str()),
                    &col.name,
                    col.description.as_ref(),
                    "add `description:` to the column: its meaning, unit and when it is empty",
                    out,
                );
            }
        }
    }
}
