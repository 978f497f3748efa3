//! C205 restricted-unapproved.

use crate::check::{Context, Doc, Rule};
use crate::date::Date;
use crate::diagnostics::{Code, Diagnostic};
use crate::load::syntax::Visibility;
use crate::model::{InputTarget, ProductId, port_visibility, span_of};
use crate::source::Span;

pub struct RestrictedUnapproved;

pub static DOC: Doc = Doc {
    what: "An input reads a `restricted` port, and the producer's `spec.access.allow` has no entry `product: <the consumer>` that covers the port (`ports` lists it, or is omitted: every port) and has not expired (`expires` is today or later). Products of the producer's own domain need the approval too.",
    why: "A consumer declares, the producer approves: the approval lives in the producer's file, so the producing domain's code owners review who reads its restricted data. An approval that expired, or that names other ports, grants nothing.",
    bad: "# finance.invoices' port invoices has visibility: restricted\n# and its access.allow does not name finance.dunning\ninputs:\n  - product: finance.invoices\n    port: invoices\n",
    good: "# in finance.invoices (the producer):\naccess:\n  allow:\n    - product: finance.dunning\n      ports: [invoices]\n      purpose: payment reminders\n      expires: 2027-12-31\n",
};

/// Why the closest allow entry does not approve the consumer.
enum Miss {
    Expired(Date),
    BadDate,
    OtherPorts,
}

impl Rule for RestrictedUnapproved {
    fn code(&self) -> Code {
        Code::C205
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
            if port_visibility(port_def) != Visibility::Restricted {
                continue;
            }
            let port_name = port_def.name.as_str();
            let entries = prod.spec.access.iter().flat_map(|a| a.allow.iter());
            let mut miss: Option<(Miss, Span)> = None;
            let mut approved = false;
            for e in entries {
                if e.product.as_ref().is_none_or(|n| n.as_str() != p.fqn) {
                    continue;
                }
                if let Some(ports) = &e.ports
                    && !ports.iter().any(|n| n.as_str() == port_name)
                {
                    let loc = ports.first().map(|n| n.loc).unwrap_or(e.loc);
                    miss.get_or_insert((Miss::OtherPorts, span_of(prod.file, loc)));
                    continue;
                }
                match &e.expires {
                    None => {}
                    Some(x) => match Date::parse(x) {
                        Some(d) if d >= cx.as_of => {}
                        Some(d) => {
                            miss = Some((Miss::Expired(d), span_of(prod.file, x.loc)));
                            continue;
                        }
                        None => {
                            miss = Some((Miss::BadDate, span_of(prod.file, x.loc)));
                            continue;
                        }
                    },
                }
                approved = true;
                break;
            }
            if approved {
                continue;
            }
            let decl = &p.spec.inputs[input.index];
            let loc = decl
                .port
                .as_ref()
                .or(decl.product.as_ref())
                .map(|n| n.loc)
                .unwrap_or(decl.loc);
            let port_fqn = format!("{}.{port_name}", prod.fqn);
            let mut msg = format!(
                "`{}` reads `{port_fqn}`, which is restricted, without the producer's approval",
                p.fqn
            );
            let owners = format!("the owners of `{}`", prod.fqn);
            let (span, label, help) = match miss {
                Some((Miss::Expired(d), span)) => {
                    msg = format!(
                        "`{}` reads `{port_fqn}`, which is restricted, and its approval expired on {d}",
                        p.fqn
                    );
                    (
                        span,
                        format!("the approval of `{}` expired here", p.fqn),
                        format!("{owners} can renew the approval with a later `expires`"),
                    )
                }
                Some((Miss::BadDate, span)) => (
                    span,
                    format!(
                        "the approval of `{}` has an `expires` that is not a date, so it grants nothing",
                        p.fqn
                    ),
                    "write `expires` as YYYY-MM-DD".to_string(),
                ),
                Some((Miss::OtherPorts, span)) => (
                    span,
                    format!(
                        "`{}` is approved for other ports of `{}`, not `{port_name}`",
                        p.fqn, prod.fqn
                    ),
                    format!("{owners} can add `{port_name}` to the entry's `ports`"),
                ),
                None => (
                    span_of(
                        prod.file,
                        port_def
                            .visibility
                            .as_ref()
                            .map(|v| v.loc)
                            .unwrap_or(port_def.name.loc),
                    ),
                    format!("`{port_fqn}` is restricted here"),
                    format!(
                        "{owners} approve consumers in its `spec.access.allow`: `- product: {}` with `ports: [{port_name}]`",
                        p.fqn
                    ),
                ),
            };
            out.push(
                Diagnostic::new(Code::C205, msg)
                    .with_primary(span_of(p.file, loc), "")
                    .with_related(span, label)
                    .with_help(help),
            );
        }
    }
}
