//! G309 deprecation.

use crate::check::{Context, Doc, Rule};
use crate::date::Date;
use crate::diagnostics::{Code, Diagnostic};
use crate::load::syntax::Status;
use crate::model::{ProductId, span_of};

pub struct Deprecation;

pub static DOC: Doc = Doc {
    what: "A product with `status: deprecated` has no `deprecation` block, no `deprecation.sunset`, a sunset that is not a date (YYYY-MM-DD), or a sunset date that has passed: it is before today (`--as-of`; on the sunset day itself the product is still fine). Also flagged: a `deprecation` block on a `draft` or `active` product, which announces a deprecation that consumers never hear of (C202 warns consumers by status). A `retired` product may keep its `deprecation` block as a record.",
    why: "Deprecation is a promise to consumers: the date until which the product keeps working and, ideally, what replaces it. Without a date they cannot plan the move; past the date the product should be retired (`status: retired`) or the date moved, so the mesh says what is true.",
    bad: "spec:\n  version: 1.9.2\n  status: deprecated\n  deprecation:\n    replacedBy: sales.orders\n",
    good: "spec:\n  version: 1.9.2\n  status: deprecated\n  deprecation:\n    sunset: 2027-09-30\n    replacedBy: sales.orders\n",
};

impl Rule for Deprecation {
    fn code(&self) -> Code {
        Code::G309
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let p = cx.mesh.product(product);
        let status_loc = p.status_loc();
        let dep = p.spec.deprecation.as_ref();
        match p.status() {
            Status::Deprecated => {}
            Status::Retired => return,
            other => {
                if let Some(dep) = dep {
                    out.push(
                        Diagnostic::new(
                            Code::G309,
                            format!(
                                "`{}` has a `deprecation` block but its status is `{}`",
                                p.fqn,
                                other.as_str()
                            ),
                        )
                        .with_primary(span_of(p.file, status_loc), "")
                        .with_related(
                            span_of(p.file, dep.loc.or(status_loc)),
                            "the `deprecation` block",
                        )
                        .with_help(
                            "set `status: deprecated` so consumers are warned, or remove the `deprecation` block",
                        ),
                    );
                }
                return;
            }
        }
        let Some(dep) = dep else {
            out.push(
                Diagnostic::new(
                    Code::G309,
                    format!("`{}` is deprecated without a sunset date", p.fqn),
                )
                .with_primary(span_of(p.file, status_loc), "")
                .with_help(
                    "add `deprecation: { sunset: YYYY-MM-DD, replacedBy: domain.product }` to the spec",
                ),
            );
            return;
        };
        let sunset = dep.sunset.as_ref().filter(|s| !s.trim().is_empty());
        let Some(sunset) = sunset else {
            out.push(
                Diagnostic::new(
                    Code::G309,
                    format!("`{}` is deprecated without a sunset date", p.fqn),
                )
                .with_primary(
                    span_of(
                        p.file,
                        dep.sunset.as_ref().map(|s| s.loc).unwrap_or(status_loc),
                    ),
                    "",
                )
                .with_related(
                    span_of(p.file, dep.loc.or(status_loc)),
                    "the `deprecation` block has no `sunset`",
                )
                .with_help(
                    "add `sunset: YYYY-MM-DD`: the day after which the product may be retired",
                ),
            );
            return;
        };
        let at = span_of(p.file, sunset.loc.or(dep.loc));
        match Date::parse(sunset) {
            None => out.push(
                Diagnostic::new(
                    Code::G309,
                    format!(
                        "sunset `{}` of `{}` is not a date (YYYY-MM-DD)",
                        sunset.trim(),
                        p.fqn
                    ),
                )
                .with_primary(at, "")
                .with_help("write the date as YYYY-MM-DD, e.g. 2027-03-31"),
            ),
            Some(d) if d < cx.as_of => out.push(
                Diagnostic::new(
                    Code::G309,
                    format!(
                        "the sunset date {d} of `{}` has passed (today is {})",
                        p.fqn, cx.as_of
                    ),
                )
                .with_primary(at, "")
                .with_help(
                    "retire the product (`status: retired`) once its consumers have moved, or move the sunset date",
                ),
            ),
            Some(_) => {}
        }
    }
}
