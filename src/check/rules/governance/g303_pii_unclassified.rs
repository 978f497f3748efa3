//! G303 pii-unclassified.

use crate::check::{Context, Doc, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::load::syntax::Column;
use crate::model::{ColumnRef, ProductId, port_columns, span_of};
use crate::source::FileId;

pub struct PiiUnclassified;

pub static DOC: Doc = Doc {
    what: "A column of an output port or of a source table has a name that looks personal and no classification. The name is split at `_` and a column looks personal when one of its parts is one of: `email`, `mail`, `phone`, `mobile`, `telephone`, `fax`, `ssn`, `name`, `firstname`, `lastname`, `fullname`, `surname`, `forename`, `address`, `street`, `zip`, `zipcode`, `postcode`, `postal`, `birth`, `birthday`, `birthdate`, `dob`, `ip`, `iban`, `passport`, `gender`, `nationality`. So `customer_email`, `first_name` and `ip_address` look personal, and `shipment_id` or `zipped` do not. Any part counts, so `product_name` or `carrier_name` are flagged too: a classification that is not personal (`classification: public` or `internal`) says so and silences the rule. A port column that inherits a classification through `derivedFrom` counts as classified (G306 checks that one).",
    why: "Personal data that nobody classified is neither masked, nor retained deliberately, nor consumed with a purpose: every pii rule (G304, G305, G306, G308) starts from the classification. The name is the cheapest signal that one is missing.",
    bad: "columns:\n  - name: customer_email\n    type: string\n",
    good: "columns:\n  - name: customer_email\n    type: string\n    classification: pii\n    masking: hash\n",
};

/// Name parts that look personal, sorted (binary search); `DOC.what`
/// lists the same words.
pub(super) const PERSONAL: &[&str] = &[
    "address",
    "birth",
    "birthdate",
    "birthday",
    "dob",
    "email",
    "fax",
    "firstname",
    "forename",
    "fullname",
    "gender",
    "iban",
    "ip",
    "lastname",
    "mail",
    "mobile",
    "name",
    "nationality",
    "passport",
    "phone",
    "postal",
    "postcode",
    "ssn",
    "street",
    "surname",
    "telephone",
    "zip",
    "zipcode",
];

/// The first part of `name` (split at `_`) that looks personal.
pub(super) fn personal_part(name: &str) -> Option<&'static str> {
    name.split('_')
        .find_map(|part| PERSONAL.binary_search(&part).ok().map(|i| PERSONAL[i]))
}

fn check(
    cx: &Context,
    file: FileId,
    fqn: impl FnOnce() -> String,
    at: ColumnRef,
    col: &Column,
    out: &mut Vec<Diagnostic>,
) {
    if col.classification.is_some() {
        return;
    }
    let Some(word) = personal_part(&col.name) else {
        return;
    };
    if cx.classes.effective(at).is_some() {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::G303,
            format!(
                "column `{}` looks personal (`{word}`) but has no classification",
                fqn()
            ),
        )
        .with_primary(span_of(file, col.name.loc), "")
        .with_help(
            "classify it: `classification: pii` (and mask it where it is public), or `public`/`internal` if it holds no personal data",
        ),
    );
}

impl Rule for PiiUnclassified {
    fn code(&self) -> Code {
        Code::G303
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let p = cx.mesh.product(product);
        for (pi, port) in p.spec.outputs.iter().enumerate() {
            for (ci, col) in port_columns(port).iter().enumerate() {
                let at = ColumnRef::Port {
                    product,
                    port: pi,
                    column: ci,
                };
                check(cx, p.file, || cx.mesh.column_fqn(at), at, col, out);
            }
        }
    }

    fn check_mesh(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for (si, s) in cx.mesh.sources.iter().enumerate() {
            let mut found = Vec::new();
            for (ti, t) in s.spec.tables.iter().enumerate() {
                for (ci, col) in t.columns.iter().enumerate() {
                    let at = ColumnRef::Table {
                        source: crate::model::SourceId(si as u32),
                        table: ti,
                        column: ci,
                    };
                    check(cx, s.file, || cx.mesh.column_fqn(at), at, col, &mut found);
                }
            }
            out.extend(
                found
                    .into_iter()
                    .map(|d| d.in_domain(s.domain_name.clone())),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_name_parts_only() {
        assert_eq!(personal_part("customer_email"), Some("email"));
        assert_eq!(personal_part("first_name"), Some("name"));
        assert_eq!(personal_part("name"), Some("name"));
        assert_eq!(personal_part("ip_address"), Some("ip"));
        assert_eq!(personal_part("product_name"), Some("name"));
        assert_eq!(personal_part("shipment_id"), None);
        assert_eq!(personal_part("zipped"), None);
        assert_eq!(personal_part("order_total"), None);
    }

    #[test]
    fn word_list_is_sorted() {
        assert!(PERSONAL.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn doc_lists_every_word() {
        for w in PERSONAL {
            assert!(
                DOC.what.contains(&format!("`{w}`")),
                "{w} is not documented"
            );
        }
    }
}
