//! C206 unknown-type.

use crate::check::{Context, Doc, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::load::Sp;
use crate::load::syntax::Column;
use crate::model::{ProductId, port_columns};
use crate::source::FileId;
use crate::types::LogicalType;

use super::inner_span;

pub struct UnknownType;

pub static DOC: Doc = Doc {
    what: "A column type (of an output port or a source table) is not a logical type: `boolean, smallint, integer, bigint, decimal(p,s), real, double, string, varchar(n), date, time, timestamp, timestamptz, uuid, json, binary, array<T>, struct<name: T, …>, map<K, V>`. Names are lower case; `decimal` has a precision of 1 to 38 and a scale no larger than it; `varchar(n)` has n >= 1; struct fields are identifiers, each once; map keys are scalar types. The span points at the offending part of the type, with a \"did you mean\" for a misspelt or foreign name (`int`, `text`, `timestamp_ntz`, …).",
    why: "meshc maps every logical type to each target engine's physical type; a type it does not know would have to be passed through to the DDL unchecked, and it would mean different things (or nothing) on different engines.",
    bad: "columns:\n  - name: total\n    type: decmal(12,2)\n  - name: created_at\n    type: datetime\n",
    good: "columns:\n  - name: total\n    type: decimal(12,2)\n  - name: created_at\n    type: timestamp\n",
};

fn check_columns(
    file: FileId,
    owner: &str,
    columns: &[Sp<Column>],
    domain: Option<&str>,
    out: &mut Vec<Diagnostic>,
) {
    for c in columns {
        let ty: &Sp<String> = &c.column_type;
        let Err(e) = LogicalType::parse(ty) else {
            continue;
        };
        let mut d = Diagnostic::new(
            Code::C206,
            format!(
                "column `{owner}.{}` has type `{}`, which is not a logical type",
                c.name.as_str(),
                ty.as_str()
            ),
        )
        .with_primary(inner_span(file, ty, e.offset, e.len), e.message.clone())
        .with_help(
            e.help
                .clone()
                .unwrap_or_else(|| "see the logical types in `meshc explain C206`".to_string()),
        );
        if let Some(domain) = domain {
            d = d.in_domain(domain);
        }
        out.push(d);
    }
}

impl Rule for UnknownType {
    fn code(&self) -> Code {
        Code::C206
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let p = cx.mesh.product(product);
        for port in &p.spec.outputs {
            let owner = format!("{}.{}", p.fqn, port.name.as_str());
            check_columns(p.file, &owner, port_columns(port), None, out);
        }
    }

    fn check_mesh(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for s in &cx.mesh.sources {
            for t in &s.spec.tables {
                let owner = format!("{}.{}", s.fqn, t.name.as_str());
                check_columns(s.file, &owner, &t.columns, Some(&s.domain_name), out);
            }
        }
    }
}
