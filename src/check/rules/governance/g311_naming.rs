//! G311 naming.
//!
//! The Mesh's `naming` templates are minijinja, but the ones worth
//! checking are plain substitutions (`dp_{{ domain }}_{{ product }}`);
//! those are rendered here with a small substitution of our own. A template
//! that uses more of the language (filters, tags, expressions) is left to
//! the build.

use std::collections::HashMap;

use crate::check::{Context, Doc, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::load::Sp;
use crate::model::{Mesh, ProductId, port_columns, span_of};
use crate::resolve::valid_name;
use crate::source::Span;

use super::util::masked;

pub struct Naming;

pub static DOC: Doc = Doc {
    what: "A name that the Mesh's `naming` templates produce is not a usable identifier, or two things get the same name. meshc renders each template for every domain (`schema`: `{{ domain }}`), output port (`relation`, and `maskedRelation` for ports with masked columns: `{{ domain }}`, `{{ product }}`, `{{ port }}`), product (`productRole`: `{{ domain }}`, `{{ product }}`) and team (`teamRole`: `{{ team }}`), and reports: a template that uses a variable it does not have, or whose fixed text makes names that are not identifiers `[a-z][a-z0-9_]*` (once, on the setting in the Mesh); a rendered name longer than 63 characters, PostgreSQL's limit (on the domain, port, product or team name); a schema or role name that starts with `pg_` when the Mesh has a `postgres` target (PostgreSQL reserves that prefix); two ports whose relations get one name in one schema, and two products or teams whose roles get one name (on the second one, with the first as related). Only plain `{{ variable }}` substitution is evaluated: a template with filters, tags or expressions is not checked. Names that break the identifier rule themselves are M005, not this rule.",
    why: "Templates turn short, valid names into physical schema, relation and role names. Run together, they can exceed what an engine holds — PostgreSQL silently cuts identifiers at 63 characters — or make two products share one relation or one role, so one overwrites the other's table or inherits its grants.",
    bad: "# mesh.yaml: productRole: \"dp_{{ domain }}_{{ product }}\"\n# domain `sales_eu`, product `orders`, and domain `sales`, product `eu_orders`:\n# both roles are dp_sales_eu_orders\nmetadata:\n  name: eu_orders\n  domain: sales\n",
    good: "# mesh.yaml: productRole: \"dp_{{ domain }}__{{ product }}\"\nmetadata:\n  name: eu_orders\n  domain: sales\n",
};

/// PostgreSQL's identifier limit (NAMEDATALEN - 1).
const MAX_LEN: usize = 63;

enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

/// A template that is plain substitution, split into pieces; `None` for one
/// that uses more of minijinja (or does not parse).
fn parse(t: &str) -> Option<Vec<Piece<'_>>> {
    let plain = |s: &str| !(s.contains("{%") || s.contains("{#") || s.contains("}}"));
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(i) = rest.find("{{") {
        let text = &rest[..i];
        if !plain(text) {
            return None;
        }
        if !text.is_empty() {
            out.push(Piece::Text(text));
        }
        let after = &rest[i + 2..];
        let j = after.find("}}")?;
        let expr = after[..j].trim();
        let mut chars = expr.chars();
        let ident = matches!(chars.next(), Some('a'..='z' | 'A'..='Z' | '_'))
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ident {
            return None;
        }
        out.push(Piece::Var(expr));
        rest = &after[j + 2..];
    }
    if !plain(rest) {
        return None;
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Some(out)
}

/// One `naming` template.
struct Template<'a> {
    /// Its key under `naming`.
    key: &'static str,
    /// What it names, for messages.
    what: &'static str,
    /// The setting in the Mesh file, when the Mesh sets it.
    setting: Option<Span>,
    /// The pieces, when the template is plain substitution that makes
    /// identifiers; `None` when it cannot be checked per name.
    pieces: Option<Vec<Piece<'a>>>,
}

impl<'a> Template<'a> {
    fn new(
        mesh: &'a Mesh,
        key: &'static str,
        what: &'static str,
        text: &'a str,
        vars: &'static [&'static str],
        set: impl Fn(&'a crate::load::syntax::Naming) -> Option<&'a Sp<String>>,
        out: &mut Vec<Diagnostic>,
    ) -> Self {
        let setting = mesh.root.as_ref().and_then(|r| {
            let v = set(r.spec.naming.as_ref()?)?;
            Some(span_of(r.file, v.loc.or(r.metadata.name.loc)))
        });
        let mut t = Template {
            key,
            what,
            setting,
            pieces: None,
        };
        let Some(pieces) = parse(text) else {
            return t;
        };
        let unknown = pieces.iter().find_map(|p| match p {
            Piece::Var(v) if !vars.contains(v) => Some(*v),
            _ => None,
        });
        if let Some(v) = unknown {
            let known = vars
                .iter()
                .map(|v| format!("`{{{{ {v} }}}}`"))
                .collect::<Vec<_>>()
                .join(", ");
            out.push(t.at_setting(
                format!(
                    "`naming.{key}` (`{text}`) uses `{{{{ {v} }}}}`, which is not defined for {what}s"
                ),
                format!("{what} names can use {known}"),
            ));
            return t;
        }
        let text_ok = |s: &str| {
            s.bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'))
        };
        let starts_ok = match pieces.first() {
            Some(Piece::Text(s)) => s.starts_with(|c: char| c.is_ascii_lowercase()),
            Some(Piece::Var(_)) => true,
            None => false,
        };
        let all_ok = pieces.iter().all(|p| match p {
            Piece::Text(s) => text_ok(s),
            Piece::Var(_) => true,
        });
        if !(starts_ok && all_ok) {
            out.push(t.at_setting(
                format!(
                    "`naming.{key}` (`{text}`) makes {what} names that are not identifiers [a-z][a-z0-9_]*"
                ),
                "around the variables, use lowercase letters, digits and `_`, and start with a letter or a variable".into(),
            ));
            return t;
        }
        t.pieces = Some(pieces);
        t
    }

    /// A finding about the template itself (only ever for a template the
    /// Mesh sets: the defaults are fine).
    fn at_setting(&self, msg: String, help: String) -> Diagnostic {
        let mut d = Diagnostic::new(Code::G311, msg).with_help(help);
        if let Some(s) = self.setting {
            d = d.with_primary(s, "");
        }
        d
    }

    /// Appends the name for these variable values to `buf`; `false` when
    /// the template cannot be checked or a value is not a valid name (M005
    /// reports those).
    fn render_into(&self, values: &[(&str, &str)], buf: &mut String) -> bool {
        let Some(pieces) = self.pieces.as_ref() else {
            return false;
        };
        if values.iter().any(|(_, v)| !valid_name(v)) {
            return false;
        }
        for p in pieces {
            match p {
                Piece::Text(t) => buf.push_str(t),
                Piece::Var(v) => match values.iter().find(|(k, _)| k == v) {
                    Some((_, value)) => buf.push_str(value),
                    None => return false,
                },
            }
        }
        true
    }

    fn with_setting(&self, d: Diagnostic) -> Diagnostic {
        match self.setting {
            Some(s) => d.with_related(s, format!("`naming.{}` is set here", self.key)),
            None => d,
        }
    }
}

/// Something that gets a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Obj {
    Domain(usize),
    Port(ProductId, usize),
    Product(ProductId),
    Team(usize),
}

impl Obj {
    /// What it is called in messages.
    fn desc(self, mesh: &Mesh) -> String {
        match self {
            Obj::Domain(i) => format!("domain `{}`", mesh.domains[i].name),
            Obj::Port(p, i) => {
                let p = mesh.product(p);
                format!("port `{}.{}`", p.fqn, p.spec.outputs[i].name.as_str())
            }
            Obj::Product(p) => format!("product `{}`", mesh.product(p).fqn),
            Obj::Team(i) => format!("team `{}`", mesh.teams[i].name),
        }
    }

    /// Where its own name is written.
    fn span(self, mesh: &Mesh) -> Span {
        match self {
            Obj::Domain(i) => span_of(mesh.domains[i].file, mesh.domains[i].metadata.name.loc),
            Obj::Port(p, i) => {
                let p = mesh.product(p);
                span_of(p.file, p.spec.outputs[i].name.loc)
            }
            Obj::Product(p) => mesh.product(p).span(),
            Obj::Team(i) => span_of(mesh.teams[i].file, mesh.teams[i].metadata.name.loc),
        }
    }

    /// The domain whose rule settings apply.
    fn domain(self, mesh: &Mesh) -> Option<String> {
        match self {
            Obj::Domain(i) => Some(mesh.domains[i].name.clone()),
            Obj::Port(p, _) | Obj::Product(p) => Some(mesh.product(p).domain_name.clone()),
            Obj::Team(_) => None,
        }
    }
}

/// The first holder of each name in one namespace: the thing, and the
/// template (`what`) that named it.
type Seen = HashMap<String, (Obj, &'static str)>;

/// Checks one rendered name: its length, and, with `seen`, that nothing
/// earlier in the same namespace has it. `key` is the name qualified by
/// its namespace (`schema.relation`); `name` is its tail.
fn check_name(
    mesh: &Mesh,
    t: &Template,
    key: &str,
    name_at: usize,
    seen: Option<&mut Seen>,
    who: Obj,
    out: &mut Vec<Diagnostic>,
) {
    let name = &key[name_at..];
    let push = |d: Diagnostic, out: &mut Vec<Diagnostic>| {
        let d = t.with_setting(d);
        out.push(match who.domain(mesh) {
            Some(dm) => d.in_domain(dm),
            None => d,
        });
    };
    if name.len() > MAX_LEN {
        push(
            Diagnostic::new(
                Code::G311,
                format!(
                    "the {} of {} would be `{name}`: {} characters, more than {MAX_LEN}",
                    t.what,
                    who.desc(mesh),
                    name.len()
                ),
            )
            .with_primary(who.span(mesh), "")
            .with_help(format!(
                "PostgreSQL cuts identifiers at {MAX_LEN} characters, so long names can collide: shorten the name, or change `naming.{}` in the Mesh",
                t.key
            )),
            out,
        );
    }
    let reserved = matches!(t.key, "schema" | "productRole" | "teamRole")
        && name.starts_with("pg_")
        && mesh.root.as_ref().is_some_and(|r| {
            r.spec
                .targets
                .iter()
                .any(|t| t.engine.as_str() == "postgres")
        });
    if reserved {
        push(
            Diagnostic::new(
                Code::G311,
                format!(
                    "the {} of {} would be `{name}`, and PostgreSQL reserves names that start with `pg_` for schemas and roles",
                    t.what,
                    who.desc(mesh),
                ),
            )
            .with_primary(who.span(mesh), "")
            .with_help(format!(
                "the mesh has a postgres target, where ddl.sql or grants.sql would fail: rename it, or change `naming.{}` in the Mesh",
                t.key
            )),
            out,
        );
    }
    let Some(seen) = seen else {
        return;
    };
    let Some(&(first, first_what)) = seen.get(key) else {
        seen.insert(key.to_string(), (who, t.what));
        return;
    };
    let (desc, first_desc) = (who.desc(mesh), first.desc(mesh));
    if desc == first_desc && first_what == t.what {
        return; // two definitions of one name: M004
    }
    let first_desc = format!("the {first_what} of {first_desc}");
    push(
        Diagnostic::new(
            Code::G311,
            format!(
                "the {} of {desc} would be `{name}`, which is already {first_desc}",
                t.what
            ),
        )
        .with_primary(who.span(mesh), "")
        .with_related(first.span(mesh), format!("{first_desc} is `{name}`"))
        .with_help(format!(
            "rename one of the two, or change `naming.{}` in the Mesh so the names cannot run together",
            t.key
        )),
        out,
    );
}

impl Rule for Naming {
    fn code(&self) -> Code {
        Code::G311
    }

    fn check_mesh(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh;
        let n = &mesh.naming;
        const SCHEMA: &[&str] = &["domain"];
        const RELATION: &[&str] = &["domain", "product", "port"];
        const PRODUCT: &[&str] = &["domain", "product"];
        const TEAM: &[&str] = &["team"];
        let schema = Template::new(
            mesh,
            "schema",
            "schema",
            &n.schema,
            SCHEMA,
            |s| s.schema.as_ref(),
            out,
        );
        let relation = Template::new(
            mesh,
            "relation",
            "relation",
            &n.relation,
            RELATION,
            |s| s.relation.as_ref(),
            out,
        );
        let masked_relation = Template::new(
            mesh,
            "maskedRelation",
            "masked relation",
            &n.masked_relation,
            RELATION,
            |s| s.masked_relation.as_ref(),
            out,
        );
        let product_role = Template::new(
            mesh,
            "productRole",
            "product role",
            &n.product_role,
            PRODUCT,
            |s| s.product_role.as_ref(),
            out,
        );
        let team_role = Template::new(
            mesh,
            "teamRole",
            "team role",
            &n.team_role,
            TEAM,
            |s| s.team_role.as_ref(),
            out,
        );

        let mut buf = String::new();
        for (i, d) in mesh.domains.iter().enumerate() {
            buf.clear();
            if schema.render_into(&[("domain", &d.name)], &mut buf) {
                // Domains may share a schema: only the length matters.
                check_name(mesh, &schema, &buf, 0, None, Obj::Domain(i), out);
            }
        }

        let mut relations = Seen::new();
        let mut roles = Seen::new();
        let mut schema_name = String::new();
        for pid in mesh.product_ids() {
            let p = mesh.product(pid);
            schema_name.clear();
            if !schema.render_into(&[("domain", &p.domain_name)], &mut schema_name) {
                schema_name.clear();
                schema_name.push_str(&p.domain_name);
            }
            for (pi, port) in p.spec.outputs.iter().enumerate() {
                let values = [
                    ("domain", p.domain_name.as_str()),
                    ("product", p.name.as_str()),
                    ("port", port.name.as_str()),
                ];
                let is_masked = port_columns(port).iter().any(|c| masked(c));
                for (t, applies) in [(&relation, true), (&masked_relation, is_masked)] {
                    buf.clear();
                    buf.push_str(&schema_name);
                    buf.push('.');
                    let at = buf.len();
                    if applies && t.render_into(&values, &mut buf) {
                        let who = Obj::Port(pid, pi);
                        check_name(mesh, t, &buf, at, Some(&mut relations), who, out);
                    }
                }
            }
            buf.clear();
            let values = [
                ("domain", p.domain_name.as_str()),
                ("product", p.name.as_str()),
            ];
            if product_role.render_into(&values, &mut buf) {
                let who = Obj::Product(pid);
                check_name(mesh, &product_role, &buf, 0, Some(&mut roles), who, out);
            }
        }
        for (i, t) in mesh.teams.iter().enumerate() {
            buf.clear();
            if team_role.render_into(&[("team", &t.name)], &mut buf) {
                check_name(
                    mesh,
                    &team_role,
                    &buf,
                    0,
                    Some(&mut roles),
                    Obj::Team(i),
                    out,
                );
            }
        }
    }
}

/// For tests: the rendering of a template with values.
#[cfg(test)]
fn render_plain(t: &str, values: &[(&str, &str)]) -> Option<String> {
    let mut s = String::new();
    for p in parse(t)? {
        match p {
            Piece::Text(t) => s.push_str(t),
            Piece::Var(v) => s.push_str(values.iter().find(|(k, _)| *k == v)?.1),
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_plain_substitution_only() {
        let v = [("domain", "sales"), ("product", "orders")];
        assert_eq!(
            render_plain("dp_{{ domain }}_{{product}}", &v).as_deref(),
            Some("dp_sales_orders")
        );
        assert_eq!(render_plain("{{ product | upper }}", &v), None);
        assert_eq!(render_plain("{% if x %}a{% endif %}", &v), None);
        assert_eq!(render_plain("{{ product", &v), None);
        assert_eq!(render_plain("fixed", &v).as_deref(), Some("fixed"));
    }
}
