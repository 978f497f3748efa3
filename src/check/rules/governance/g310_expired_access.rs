//! G310 expired-access.

use crate::check::{Context, Doc, Rule};
use crate::date::Date;
use crate::diagnostics::{Code, Diagnostic};
use crate::load::syntax::AllowEntry;
use crate::model::{ProductId, span_of};

pub struct ExpiredAccess;

pub static DOC: Doc = Doc {
    what: "An `access.allow` entry whose `expires` date is before today (`--as-of`): it grants nothing any more (on the `expires` day itself it still does). An `expires` that is not a date (YYYY-MM-DD) is reported under this code as well, with the same severity: meshc cannot tell when such an entry ends.",
    why: "An expired entry still reads like a grant to anyone reviewing the product, but the build no longer grants it. Remove it, or renew it on purpose with a new date.",
    bad: "access:\n  allow:\n    - team: finance_analysts\n      ports: [orders]\n      expires: 2025-12-31\n",
    good: "access:\n  allow:\n    - team: finance_analysts\n      ports: [orders]\n      expires: 2027-12-31\n",
};

/// `team `x`` / `product `y`` / `an entry`, for messages.
fn principal(e: &AllowEntry) -> String {
    match (&e.team, &e.product) {
        (Some(t), _) => format!("team `{}`", t.as_str()),
        (None, Some(p)) => format!("product `{}`", p.as_str()),
        (None, None) => "an unnamed principal".into(),
    }
}

impl Rule for ExpiredAccess {
    fn code(&self) -> Code {
        Code::G310
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let p = cx.mesh.product(product);
        let Some(access) = &p.spec.access else {
            return;
        };
        for entry in &access.allow {
            let Some(expires) = &entry.expires else {
                continue;
            };
            let at = span_of(p.file, expires.loc.or(entry.loc));
            match Date::parse(expires) {
                None => out.push(
                    Diagnostic::new(
                        Code::G310,
                        format!(
                            "`expires` of the access for {} on `{}` is not a date (YYYY-MM-DD): `{}`",
                            principal(entry),
                            p.fqn,
                            expires.as_str()
                        ),
                    )
                    .with_primary(at, "")
                    .with_help("write the date as YYYY-MM-DD, e.g. 2027-12-31"),
                ),
                Some(d) if d < cx.as_of => out.push(
                    Diagnostic::new(
                        Code::G310,
                        format!(
                            "the access for {} on `{}` expired on {d} (today is {}): it grants nothing",
                            principal(entry),
                            p.fqn,
                            cx.as_of
                        ),
                    )
                    .with_primary(at, "")
                    .with_help("remove the entry, or renew it with a later `expires`"),
                ),
                Some(_) => {}
            }
        }
    }
}
