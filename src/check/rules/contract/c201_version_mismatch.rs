//! C201 version-mismatch.

use semver::{Version, VersionReq};

use crate::check::{Context, Doc, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{InputTarget, ProductId, span_of};

pub struct VersionMismatch;

pub static DOC: Doc = Doc {
    what: "An input's `version` requirement is not satisfied by the producer's `spec.version`. Requirements are semver (`^1.2`, `~1.4.0`, `>=1.2, <3`, `=2.0.1`; a bare `1.2` means `^1.2`). A requirement or a product version that is not valid semver is reported too, at the string.",
    why: "A consumer pins the major version it was built against; a producer that moves to a new major version makes breaking changes. The mismatch is found when the producer's version changes, not when the consumer's pipeline breaks.",
    bad: "# sales.orders has spec.version: 2.1.0\ninputs:\n  - product: sales.orders\n    port: orders\n    version: \"^1.4\"\n",
    good: "inputs:\n  - product: sales.orders\n    port: orders\n    version: \"^2.1\"\n",
};

/// The requirement to suggest: `^major.minor` of the producer's version
/// when that matches it, else the exact version.
fn suggestion(v: &Version) -> String {
    let caret = format!("^{}.{}", v.major, v.minor);
    match VersionReq::parse(&caret) {
        Ok(r) if r.matches(v) => caret,
        _ => format!("={v}"),
    }
}

impl Rule for VersionMismatch {
    fn code(&self) -> Code {
        Code::C201
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let p = cx.mesh.product(product);

        // The product's own version: every requirement on it needs it.
        if let Some(v) = &p.spec.version
            && let Err(e) = Version::parse(v.trim())
        {
            out.push(
                Diagnostic::new(
                    Code::C201,
                    format!(
                        "`{}` has version `{}`, which is not a semantic version: {e}",
                        p.fqn,
                        v.as_str()
                    ),
                )
                .with_primary(span_of(p.file, v.loc), "")
                .with_help("write MAJOR.MINOR.PATCH, e.g. `1.4.0`"),
            );
        }

        for input in &p.inputs {
            let InputTarget::Port {
                product: producer, ..
            } = input.target
            else {
                continue;
            };
            let decl = &p.spec.inputs[input.index];
            let Some(req_text) = &decl.version else {
                continue;
            };
            let req = match VersionReq::parse(req_text.trim()) {
                Ok(r) => r,
                Err(e) => {
                    out.push(
                        Diagnostic::new(
                            Code::C201,
                            format!("`{}` is not a semver requirement: {e}", req_text.as_str()),
                        )
                        .with_primary(span_of(p.file, req_text.loc), "")
                        .with_help("write a requirement such as `^1.2`, `~1.4.0` or `>=1.2, <3`"),
                    );
                    continue;
                }
            };
            let prod = cx.mesh.product(producer);
            // A missing or invalid producer version is reported on the
            // producer (above, or as M002).
            let Some(have_text) = &prod.spec.version else {
                continue;
            };
            let Ok(have) = Version::parse(have_text.trim()) else {
                continue;
            };
            if req.matches(&have) {
                continue;
            }
            let mut help = format!(
                "review the changes to `{}` since the version `{}` was built against; if they suit it, require `{}`",
                prod.fqn,
                p.fqn,
                suggestion(&have)
            );
            if !have.pre.is_empty() {
                let mut release = have.clone();
                release.pre = semver::Prerelease::EMPTY;
                if req.matches(&release) {
                    help = format!(
                        "{have} is a pre-release: it satisfies only requirements that name a pre-release of {release}, such as `={have}`"
                    );
                }
            }
            out.push(
                Diagnostic::new(
                    Code::C201,
                    format!(
                        "`{}` requires `{}` {}, but `{}` is at version {have}",
                        p.fqn,
                        prod.fqn,
                        req_text.trim(),
                        prod.fqn
                    ),
                )
                .with_primary(span_of(p.file, req_text.loc), "")
                .with_related(
                    span_of(prod.file, have_text.loc),
                    format!("`{}` is at {have} here", prod.fqn),
                )
                .with_help(help),
            );
        }
    }
}
