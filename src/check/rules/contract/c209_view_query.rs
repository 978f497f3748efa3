//! C209 view-query.

use crate::check::{Context, Doc, Rule};
use crate::diagnostics::{Code, Diagnostic, suggest};
use crate::load::syntax::PortType;
use crate::model::{InputTarget, ProductId, span_of};

use super::inner_span;

pub struct ViewQuery;

pub static DOC: Doc = Doc {
    what: "A port with `type: view` has no `query`, or a port that is not a view has one (`query` applies only to views), or the query has a `;` outside quotes and comments (a view is one statement; a second one would run with the rights of whoever applies the DDL). In a view's query, every `{{ ... }}` must be `{{ ref(\"domain.product.port\") }}` (double or single quotes, any spacing), and each `ref()` must name one of the product's inputs or another of its own ports (not the view itself). An unknown name gets a \"did you mean\".",
    why: "meshc renders each `ref()` to the physical relation the reader may use (the masked one where it is not approved for raw values) and grants access from declared inputs. A ref to anything else would read data the product has not declared — so neither lineage nor grants would know about it — or would not render at all.",
    bad: "inputs:\n  - product: sales.orders\n    port: orders\noutputs:\n  - name: daily_revenue\n    type: view\n    query: |\n      select ordered_at::date as day, sum(total) as revenue\n      from {{ ref(\"sales.order.orders\") }} group by 1\n",
    good: "inputs:\n  - product: sales.orders\n    port: orders\noutputs:\n  - name: daily_revenue\n    type: view\n    query: |\n      select ordered_at::date as day, sum(total) as revenue\n      from {{ ref(\"sales.orders.orders\") }} group by 1\n",
};

/// One `{{ ... }}` of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// `{{ ref("name") }}`: the name, where it starts in the query, and
    /// the byte range of the whole `{{ … }}`.
    Ref {
        name: String,
        offset: usize,
        whole: std::ops::Range<usize>,
    },
    /// Anything else: why, and the byte range of the whole expression.
    Malformed {
        message: String,
        offset: usize,
        len: usize,
    },
}

/// Every `{{ ... }}` of a query, in order. An unclosed `{{` ends the scan.
pub fn scan(query: &str) -> Vec<Expr> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(i) = query[pos..].find("{{") {
        let open = pos + i;
        let Some(j) = query[open + 2..].find("}}") else {
            out.push(Expr::Malformed {
                message: "`{{` is not closed by `}}`".into(),
                offset: open,
                len: 2,
            });
            break;
        };
        let close = open + 2 + j;
        out.push(match parse_expr(query, open + 2, close) {
            Ok(Expr::Ref { name, offset, .. }) => Expr::Ref {
                name,
                offset,
                whole: open..close + 2,
            },
            Ok(e) => e,
            Err(message) => Expr::Malformed {
                message,
                offset: open,
                len: close + 2 - open,
            },
        });
        pos = close + 2;
    }
    out
}

/// The offset of the first `;` of a query that could end the statement.
///
/// Conservative on purpose, since the query is pasted into every engine's
/// DDL: it skips only what every engine reads as text — `'…'` and `"…"`
/// (a doubled quote inside is escaped), `--` comments to the end of the
/// line and `/* … */` comments (not nested). Where an engine would read
/// more as quoted (backslash escapes, `E'…'`, dollar quotes, nested
/// comments, backticks), a `;` is reported that it would not have run, never
/// the other way round.
pub fn statement_end(query: &str) -> Option<usize> {
    let b = query.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b';' => return Some(i),
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < b.len() {
                    if b[i] == q {
                        if b.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod statement_tests {
    use super::statement_end;

    #[test]
    fn a_semicolon_outside_text_ends_the_statement() {
        assert_eq!(statement_end("select 1"), None);
        assert_eq!(statement_end("select ';' as x, \"a;b\" from t"), None);
        assert_eq!(statement_end("select 1 -- ; not code\nfrom t"), None);
        assert_eq!(statement_end("select /* ; */ 1"), None);
        assert_eq!(statement_end("select 'it''s;' as x"), None);
        assert_eq!(
            statement_end("select 1; create role evil superuser"),
            Some(8)
        );
        // Backslashes do not escape in standard SQL: the string ends early
        // and the `;` is outside (as PostgreSQL reads it).
        assert_eq!(statement_end("select '\\'; drop table t; --'"), Some(10));
        // Comments do not nest everywhere: the first `*/` ends it.
        assert_eq!(statement_end("/* /* */ ; */ select 1"), Some(9));
        // Dollar quotes are not text in every engine.
        assert_eq!(statement_end("select $a$;$a$"), Some(10));
    }
}

/// The names of every well-formed `ref()` of a query, with the byte offset
/// of each name.
pub fn refs(query: &str) -> Vec<(String, usize)> {
    scan(query)
        .into_iter()
        .filter_map(|e| match e {
            Expr::Ref { name, offset, .. } => Some((name, offset)),
            Expr::Malformed { .. } => None,
        })
        .collect()
}

/// Parses `query[start..end]`, the inside of `{{ }}`.
fn parse_expr(query: &str, start: usize, end: usize) -> Result<Expr, String> {
    let inner = &query[start..end];
    let b = inner.as_bytes();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if i == b.len() {
        return Err("empty `{{ }}`: write `{{ ref(\"domain.product.port\") }}`".into());
    }
    let word_start = i;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    let word = &inner[word_start..i];
    if word != "ref" {
        let what = if word.is_empty() {
            format!("`{}`", inner.trim())
        } else {
            format!("`{word}`")
        };
        return Err(format!(
            "{what} is not allowed here: a view query may only use `{{{{ ref(\"domain.product.port\") }}}}`"
        ));
    }
    skip_ws(&mut i);
    if b.get(i) != Some(&b'(') {
        return Err("`ref` must be called: `ref(\"domain.product.port\")`".into());
    }
    i += 1;
    skip_ws(&mut i);
    let quote = match b.get(i) {
        Some(q @ (b'"' | b'\'')) => *q,
        _ => return Err("`ref()` takes one quoted name: `ref(\"domain.product.port\")`".into()),
    };
    i += 1;
    let name_start = i;
    while i < b.len() && b[i] != quote {
        i += 1;
    }
    if i == b.len() {
        return Err("the name in `ref()` is missing its closing quote".into());
    }
    let name = &inner[name_start..i];
    i += 1;
    skip_ws(&mut i);
    if b.get(i) != Some(&b')') {
        return Err("`ref()` takes one quoted name: `ref(\"domain.product.port\")`".into());
    }
    i += 1;
    skip_ws(&mut i);
    if i != b.len() {
        return Err(format!(
            "unexpected `{}` after `ref(…)`",
            inner[i..].trim_end()
        ));
    }
    Ok(Expr::Ref {
        name: name.to_string(),
        offset: start + name_start,
        whole: 0..0,
    })
}

impl Rule for ViewQuery {
    fn code(&self) -> Code {
        Code::C209
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh;
        let p = mesh.product(product);
        for (pi, port) in p.spec.outputs.iter().enumerate() {
            let kind = port
                .port_type
                .as_ref()
                .map(|t| t.value)
                .unwrap_or(PortType::Table);
            let port_fqn = format!("{}.{}", p.fqn, port.name.as_str());
            let query = match (kind, &port.query) {
                (PortType::View, Some(q)) => q,
                (PortType::View, None) => {
                    out.push(
                        Diagnostic::new(
                            Code::C209,
                            format!("view port `{port_fqn}` has no `query`"),
                        )
                        .with_primary(span_of(p.file, port.name.loc), "")
                        .with_help("add `query:` with the view's SQL; `{{ ref(\"domain.product.port\") }}` names an input or another port of this product"),
                    );
                    continue;
                }
                (_, Some(q)) => {
                    let type_loc = port.port_type.as_ref().map(|t| t.loc);
                    let mut d = Diagnostic::new(
                        Code::C209,
                        format!(
                            "port `{port_fqn}` is a `{}` and has a `query`, which applies only to view ports",
                            kind.as_str()
                        ),
                    )
                    .with_primary(span_of(p.file, q.loc), "");
                    if let Some(loc) = type_loc {
                        d = d.with_related(
                            span_of(p.file, loc),
                            format!("`{}` is a `{}` here", port.name.as_str(), kind.as_str()),
                        );
                    }
                    out.push(d.with_help(
                        "set `type: view` if the port is computed by the query, or remove `query`",
                    ));
                    continue;
                }
                (_, None) => continue,
            };

            // What a ref may name: the product's port inputs and its other ports.
            let mut allowed: Vec<String> = p
                .inputs
                .iter()
                .filter(|i| matches!(i.target, InputTarget::Port { .. }))
                .map(|i| mesh.target_fqn(i.target))
                .collect();
            allowed.extend(
                p.spec
                    .outputs
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| *k != pi)
                    .map(|(_, o)| format!("{}.{}", p.fqn, o.name.as_str())),
            );

            if let Some(at) = statement_end(query) {
                out.push(
                    Diagnostic::new(
                        Code::C209,
                        format!("the query of `{port_fqn}` has a `;`: a view is one statement"),
                    )
                    .with_primary(inner_span(p.file, query, at, 1), "")
                    .with_help(
                        "remove the `;` — meshc ends the statement itself; a query may hold no second statement",
                    ),
                );
            }
            for e in scan(query) {
                let (name, offset) = match e {
                    Expr::Ref { name, offset, .. } => (name, offset),
                    Expr::Malformed {
                        message,
                        offset,
                        len,
                    } => {
                        out.push(
                            Diagnostic::new(
                                Code::C209,
                                format!("malformed expression in the query of `{port_fqn}`"),
                            )
                            .with_primary(inner_span(p.file, query, offset, len), message)
                            .with_help(
                                "write `{{ ref(\"domain.product.port\") }}` to name a relation",
                            ),
                        );
                        continue;
                    }
                };
                // With an input that did not resolve (reported as R103,
                // R104), what the query may read is not known.
                if allowed.contains(&name) || p.inputs.len() < p.spec.inputs.len() {
                    continue;
                }
                let span = inner_span(p.file, query, offset, name.len());
                let (msg, help) = if name == port_fqn {
                    (
                        format!("view `{port_fqn}` refs itself"),
                        "a view reads inputs or other ports of its product".to_string(),
                    )
                } else if let Some(port_of) = existing_port(mesh, &name) {
                    (
                        format!(
                            "the query of `{port_fqn}` refs `{name}`, which is not an input of `{}`",
                            p.fqn
                        ),
                        format!(
                            "declare it: add an input `product: {}` with `port: {}`",
                            port_of.0, port_of.1
                        ),
                    )
                } else if mesh
                    .source_by_fqn
                    .contains_key(name.rsplit_once('.').map_or("", |x| x.0))
                {
                    (
                        format!(
                            "the query of `{port_fqn}` refs `{name}`, a source table: `ref()` names product ports"
                        ),
                        "read the source through a product's port, or as this product's input and a port of its own".to_string(),
                    )
                } else {
                    let help = match suggest(&name, allowed.iter().map(String::as_str)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None if allowed.is_empty() => {
                            format!("`{}` has no inputs or other ports a view could read", p.fqn)
                        }
                        None => format!(
                            "a ref names `domain.product.port` of an input or another port of `{}`: {}",
                            p.fqn,
                            allowed
                                .iter()
                                .map(|a| format!("`{a}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    (
                        format!(
                            "the query of `{port_fqn}` refs `{name}`, which is neither an input nor a port of `{}`",
                            p.fqn
                        ),
                        help,
                    )
                };
                out.push(
                    Diagnostic::new(Code::C209, msg)
                        .with_primary(span, "")
                        .with_help(help),
                );
            }
        }
    }
}

/// `(domain.product, port)` when `name` is a port that exists.
fn existing_port<'a>(mesh: &crate::model::Mesh, name: &'a str) -> Option<(&'a str, &'a str)> {
    let (product, port) = name.rsplit_once('.')?;
    let id = mesh.product_by_fqn.get(product)?;
    mesh.product(*id).port(port)?;
    Some((product, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_refs_with_any_spacing_and_quotes() {
        let q = "select * from {{ ref(\"a.b.c\") }} join {{ref('d.e.f')}} using (id)\njoin {{  ref ( \"g.h.i\" )  }}";
        let r = refs(q);
        let names: Vec<&str> = r.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a.b.c", "d.e.f", "g.h.i"]);
        for (name, offset) in &r {
            assert_eq!(&q[*offset..offset + name.len()], name);
        }
        assert!(refs("select 1").is_empty());
    }

    #[test]
    fn reports_malformed_expressions() {
        let cases = [
            ("from {{ orders }}", "`orders` is not allowed"),
            ("from {{ }}", "empty"),
            ("from {{ ref }}", "must be called"),
            ("from {{ ref(a.b.c) }}", "one quoted name"),
            ("from {{ ref(\"a.b.c) }}", "closing quote"),
            ("from {{ ref(\"a.b.c\", 'x') }}", "one quoted name"),
            ("from {{ ref(\"a.b.c\") | upper }}", "unexpected `| upper`"),
            ("from {{ ref(\"a.b.c\")", "not closed"),
            ("from {{ 1 + 1 }}", "`1` is not allowed"),
        ];
        for (q, want) in cases {
            let e = scan(q);
            match e.as_slice() {
                [
                    Expr::Malformed {
                        message,
                        offset,
                        len,
                    },
                ] => {
                    assert!(message.contains(want), "{q}: {message}");
                    assert_eq!(*offset, 5, "{q}");
                    assert!(offset + len <= q.len());
                    assert!(q[*offset..].starts_with("{{"));
                }
                other => panic!("{q}: {other:?}"),
            }
        }
    }
}
