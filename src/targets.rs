//! SQL per target (SPEC §6): every file under `targets/<target>/` is a
//! minijinja template rendered over one context per target.
//!
//! The built-in templates live in `templates/<engine>/` and are compiled
//! into the binary. A Mesh's `spec.templates` folder overrides any of them
//! by path and may add engines: every file directly in
//! `<templates>/<engine>/` whose name does not start with `_` is rendered
//! to `targets/<target>/<file>`; files starting with `_` are partials and
//! macros for `{% include %}` and `{% import %}`.
//!
//! What is engine-independent (the relations, their dependency order,
//! which relation a view's `ref()` reads, the grants) is computed once in
//! [`Plan`]; per target only the physical column types differ.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::access::{self, Access, Names, ObjectKind, Privilege};
use crate::check::rules::contract::c209_view_query::{Expr, scan};
use crate::diagnostics::{Code, Diagnostic};
use crate::load::syntax::{Masking, PortType};
use crate::model::{Mesh, ProductId, port_columns, span_of};
use crate::source::{FileId, SourceDb, SourceFile, Span};
use crate::types::{Engine, LogicalType, physical_type};

macro_rules! builtin {
    ($($path:literal),* $(,)?) => {
        /// The built-in templates: path under `templates/` and text.
        pub const BUILTIN: &[(&str, &str)] = &[
            $(($path, include_str!(concat!("../templates/", $path))),)*
        ];
    };
}

builtin!(
    "postgres/ddl.sql",
    "postgres/grants.sql",
    "postgres/masking.sql",
    "postgres/_names.sql",
    "trino/ddl.sql",
    "trino/grants.sql",
    "trino/masking.sql",
    "trino/_names.sql",
    "spark/ddl.sql",
    "spark/grants.sql",
    "spark/masking.sql",
    "spark/_names.sql",
    "snowflake/ddl.sql",
    "snowflake/grants.sql",
    "snowflake/masking.sql",
    "snowflake/_names.sql",
);

/// Largest template file meshc reads from a mesh.
const MAX_TEMPLATE: u64 = 1 << 20;

/// The templates of a build: built-in ones overlaid by the mesh's own.
pub struct Templates {
    /// Path under the templates folder → text.
    files: BTreeMap<String, Arc<str>>,
    /// Path → the file in the source db, for templates from the mesh.
    from_mesh: BTreeMap<String, FileId>,
    /// The mesh's templates folder as the Mesh names it (for messages).
    folder: Option<String>,
}

impl Templates {
    /// The built-in templates plus those in the Mesh's `templates` folder,
    /// which are added to `db` so diagnostics can point into them.
    pub fn load(mesh: &Mesh, db: &mut SourceDb) -> Result<Templates, Vec<Diagnostic>> {
        let mut t = Templates {
            files: BUILTIN
                .iter()
                .map(|(p, s)| ((*p).to_string(), Arc::from(*s)))
                .collect(),
            from_mesh: BTreeMap::new(),
            folder: None,
        };
        let Some(root) = &mesh.root else {
            return Ok(t);
        };
        let Some(folder) = &root.spec.templates else {
            return Ok(t);
        };
        let mesh_file = db.path(root.file).to_string();
        let base = Path::new(&mesh_file)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let rel = base.join(folder.as_str());
        let dir = db.root.join(&rel);
        let setting = span_of(root.file, folder.loc);
        if !dir.is_dir() {
            return Err(vec![
                Diagnostic::new(
                    Code::E401,
                    format!(
                        "the templates folder `{}` does not exist",
                        folder.as_str()
                    ),
                )
                .with_primary(setting, "")
                .with_help("create it, or remove `templates` from the Mesh"),
            ]);
        }
        t.folder = Some(rel.to_string_lossy().into_owned());
        let mut paths: Vec<(String, PathBuf)> = Vec::new();
        for entry in walkdir::WalkDir::new(&dir)
            .min_depth(2)
            .follow_links(false)
            .sort_by_file_name()
        {
            let Ok(entry) = entry else { continue };
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(under) = entry.path().strip_prefix(&dir) else {
                continue;
            };
            let name = under
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if name.split('/').any(|c| c.starts_with('.')) {
                continue;
            }
            paths.push((name, entry.path().to_path_buf()));
        }
        let mut diags = Vec::new();
        for (name, path) in paths {
            let text = std::fs::metadata(&path)
                .map_err(|e| e.to_string())
                .and_then(|m| {
                    if m.len() > MAX_TEMPLATE {
                        Err(format!("it is larger than {MAX_TEMPLATE} bytes"))
                    } else {
                        std::fs::read_to_string(&path).map_err(|e| e.to_string())
                    }
                });
            match text {
                Ok(text) => {
                    let shown = rel.join(&name).to_string_lossy().replace('\\', "/");
                    let id = db.add(SourceFile::new(shown, text.clone()));
                    t.from_mesh.insert(name.clone(), id);
                    t.files.insert(name, Arc::from(text));
                }
                Err(why) => diags.push(
                    Diagnostic::new(
                        Code::E401,
                        format!("cannot read template `{name}`: {why}"),
                    )
                    .with_primary(setting, ""),
                ),
            }
        }
        if diags.is_empty() { Ok(t) } else { Err(diags) }
    }

    /// The files rendered for an engine, sorted.
    pub fn outputs(&self, engine: &str) -> Vec<&str> {
        let prefix = format!("{engine}/");
        self.files
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter(|f| !f.contains('/') && !f.starts_with('_'))
            .collect()
    }

    /// E401 for a minijinja error, at the template line when the template
    /// comes from the mesh.
    fn error(&self, db: &SourceDb, target: &str, e: &minijinja::Error) -> Diagnostic {
        let name = e.name().unwrap_or("?").to_string();
        let line = e.line();
        let mut chain = String::new();
        let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
        while let Some(s) = src {
            chain.push_str(&format!("; {s}"));
            src = s.source();
        }
        let shown = match (&self.folder, self.from_mesh.contains_key(&name)) {
            (Some(f), true) => format!("{}/{name}", f.trim_end_matches('/')),
            _ => format!("built-in template {name}"),
        };
        let mut d = Diagnostic::new(
            Code::E401,
            format!(
                "template `{name}`{} failed for target `{target}`: {}",
                line.map(|l| format!(" (line {l})")).unwrap_or_default(),
                e.detail().map(str::to_string).unwrap_or_else(|| e.kind().to_string())
            ),
        )
        .with_help(format!(
            "fix {shown}{}{chain}",
            line.map(|l| format!(" at line {l}")).unwrap_or_default()
        ));
        if let (Some(&file), Some(line)) = (self.from_mesh.get(&name), line) {
            let f = db.get(file);
            let range = f.line_range(line);
            d = d.with_primary(Span::new(file, range.start, range.end), "");
        }
        d
    }
}

// ------------------------------------------------------------------ plan

/// A relation in a target, engine-independent.
#[derive(Debug, Clone)]
struct Rel {
    kind: RelKind,
    product: ProductId,
    port: usize,
    schema: String,
    name: String,
    /// For a view: the query split at its `ref()`s.
    query: Vec<Piece>,
    /// For a masked view: the relation it masks.
    base: Option<(String, String)>,
    /// Whether it reads a masked view (itself or through other views).
    reads_masked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum RelKind {
    Table,
    View,
    MaskedView,
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
enum Piece {
    Text { text: String },
    Ref { r#ref: RefTo },
}

#[derive(Debug, Clone, Serialize)]
struct RefTo {
    schema: String,
    name: String,
    masked: bool,
}

/// What every target shares: relations in dependency order and grants.
pub struct Plan {
    pub names: Names,
    pub access: Access,
    /// Tables, then views that do not read masked relations, in order.
    ddl: Vec<Rel>,
    /// Masked views and the views that read them, in order.
    masking: Vec<Rel>,
}

impl Plan {
    pub fn new(mesh: &Mesh, today: crate::date::Date) -> Result<Plan, Vec<Diagnostic>> {
        let names = Names::new(mesh).map_err(|d| vec![d])?;
        let access = access::derive(mesh, &names, today);
        // Which relation each product's inputs read: masked or not.
        let mut reads: BTreeMap<(usize, &str), bool> = BTreeMap::new();
        for g in &access.grants {
            if g.privilege != Privilege::Select {
                continue;
            }
            let role = &access.roles[g.role];
            if role.kind != access::PrincipalKind::Product {
                continue;
            }
            if let Some(port) = &g.object.port {
                let masked = g.object.kind == ObjectKind::MaskedRelation;
                let e = reads.entry((g.role, port.as_str())).or_insert(masked);
                *e = *e && masked;
            }
        }
        let mut rels: Vec<Rel> = Vec::new();
        for pid in mesh.product_ids() {
            let p = mesh.product(pid);
            let schema = names.schema_of(&p.domain_name).to_string();
            for (x, port) in p.spec.outputs.iter().enumerate() {
                if !access::is_relation(port) {
                    continue;
                }
                let kind = port.port_type.as_ref().map(|t| t.value);
                let name = names.relation[pid.idx()][x].clone();
                let mut rel = Rel {
                    kind: RelKind::Table,
                    product: pid,
                    port: x,
                    schema: schema.clone(),
                    name: name.clone(),
                    query: Vec::new(),
                    base: None,
                    reads_masked: false,
                };
                if kind == Some(PortType::View) {
                    rel.kind = RelKind::View;
                    let q = port.query.as_ref().map(|q| q.as_str()).unwrap_or("");
                    rel.query = pieces(q, |target| {
                        let (d, rest) = target.split_once('.')?;
                        let (prod, port_name) = rest.split_once('.')?;
                        let qid = *mesh.product_by_fqn.get(&format!("{d}.{prod}"))?;
                        let (qx, _) = mesh.product(qid).port(port_name)?;
                        let masked = qid != pid
                            && reads
                                .get(&(pid.idx(), target))
                                .copied()
                                .unwrap_or(false);
                        let rel_name = if masked {
                            &names.masked[qid.idx()][qx]
                        } else {
                            &names.relation[qid.idx()][qx]
                        };
                        Some(RefTo {
                            schema: names.schema_of(d).to_string(),
                            name: rel_name.clone(),
                            masked,
                        })
                    });
                }
                let masked = access::has_masked(port);
                rels.push(rel);
                if masked {
                    rels.push(Rel {
                        kind: RelKind::MaskedView,
                        product: pid,
                        port: x,
                        schema: schema.clone(),
                        name: names.masked[pid.idx()][x].clone(),
                        query: Vec::new(),
                        base: Some((schema.clone(), name)),
                        reads_masked: true,
                    });
                }
            }
        }
        let (ddl, masking) = order(rels);
        Ok(Plan {
            names,
            access,
            ddl,
            masking,
        })
    }
}

/// Splits a view query at its `ref()`s; `resolve` gives the relation a ref
/// reads (a ref that does not resolve stays as written: C209 reports it).
fn pieces(query: &str, resolve: impl Fn(&str) -> Option<RefTo>) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut pos = 0;
    for e in scan(query) {
        let Expr::Ref { name, whole, .. } = e else {
            continue;
        };
        let Some(to) = resolve(&name) else {
            continue;
        };
        if whole.start > pos {
            out.push(Piece::Text {
                text: query[pos..whole.start].to_string(),
            });
        }
        out.push(Piece::Ref { r#ref: to });
        pos = whole.end;
    }
    if pos < query.len() {
        out.push(Piece::Text {
            text: query[pos..].trim_end().to_string(),
        });
    }
    out
}

/// Orders relations so each comes after what it reads (tables first, then
/// views and masked views by dependency, ties by schema and name), and
/// splits them into ddl.sql's and masking.sql's.
fn order(rels: Vec<Rel>) -> (Vec<Rel>, Vec<Rel>) {
    let key = |r: &Rel| (r.schema.clone(), r.name.clone());
    let index: BTreeMap<(String, String), usize> =
        rels.iter().enumerate().map(|(i, r)| (key(r), i)).collect();
    let deps: Vec<Vec<usize>> = rels
        .iter()
        .map(|r| {
            let mut d: BTreeSet<usize> = BTreeSet::new();
            if let Some(b) = &r.base
                && let Some(&i) = index.get(b)
            {
                d.insert(i);
            }
            for p in &r.query {
                if let Piece::Ref { r#ref } = p
                    && let Some(&i) = index.get(&(r#ref.schema.clone(), r#ref.name.clone()))
                {
                    d.insert(i);
                }
            }
            d.into_iter().collect()
        })
        .collect();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); rels.len()];
    let mut pending: Vec<usize> = deps.iter().map(Vec::len).collect();
    for (i, d) in deps.iter().enumerate() {
        for &j in d {
            users[j].push(i);
        }
    }
    // Kahn's algorithm with the smallest (kind, schema, name) first.
    let rank = |i: usize| {
        let r = &rels[i];
        let k = match r.kind {
            RelKind::Table => 0,
            _ => 1,
        };
        (k, r.schema.clone(), r.name.clone(), i)
    };
    let mut ready: BTreeSet<(u8, String, String, usize)> = (0..rels.len())
        .filter(|&i| pending[i] == 0)
        .map(rank)
        .collect();
    let mut sorted: Vec<usize> = Vec::with_capacity(rels.len());
    while let Some(first) = ready.pop_first() {
        let i = first.3;
        sorted.push(i);
        for &u in &users[i] {
            pending[u] -= 1;
            if pending[u] == 0 {
                ready.insert(rank(u));
            }
        }
    }
    // A cycle between views (which the database would refuse too): keep
    // the rest in name order.
    let placed: BTreeSet<usize> = sorted.iter().copied().collect();
    let mut rest: Vec<usize> = (0..rels.len()).filter(|i| !placed.contains(i)).collect();
    rest.sort_by_key(|&i| rank(i));
    sorted.extend(rest);
    let mut reads_masked = vec![false; rels.len()];
    for &i in &sorted {
        reads_masked[i] = rels[i].reads_masked || deps[i].iter().any(|&j| reads_masked[j]);
    }
    let mut slots: Vec<Option<Rel>> = rels.into_iter().map(Some).collect();
    let (mut ddl, mut masking) = (Vec::new(), Vec::new());
    for i in sorted {
        if let Some(mut r) = slots[i].take() {
            r.reads_masked = reads_masked[i];
            if r.reads_masked {
                masking.push(r);
            } else {
                ddl.push(r);
            }
        }
    }
    (ddl, masking)
}

// ------------------------------------------------------------------ context

#[derive(Serialize)]
struct Context<'a> {
    meshc_version: &'static str,
    mesh: MeshView<'a>,
    target: &'a serde_json::Map<String, serde_json::Value>,
    schemas: Vec<SchemaView<'a>>,
    ddl: Vec<RelView<'a>>,
    masking: Vec<RelView<'a>>,
    roles: &'a [access::Role],
    grants: Vec<access::GrantView<'a>>,
}

#[derive(Serialize)]
struct MeshView<'a> {
    name: &'a str,
    title: Option<&'a str>,
}

#[derive(Serialize)]
struct SchemaView<'a> {
    name: &'a str,
    domain: &'a str,
    description: Option<&'a str>,
}

#[derive(Serialize)]
struct RelView<'a> {
    kind: RelKind,
    schema: &'a str,
    name: &'a str,
    product: &'a str,
    port: &'a str,
    owner_role: &'a str,
    title: Option<&'a str>,
    description: Option<&'a str>,
    primary_key: Vec<&'a str>,
    columns: Vec<ColumnView<'a>>,
    query: &'a [Piece],
    base: Option<BaseView<'a>>,
    /// Whether the relation reads a masked view (so it is in masking.sql).
    reads_masked: bool,
}

#[derive(Serialize)]
struct BaseView<'a> {
    schema: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct ColumnView<'a> {
    name: &'a str,
    /// The physical type on a built-in engine; the logical type otherwise.
    #[serde(rename = "type")]
    physical: String,
    logical: &'a str,
    nullable: bool,
    description: Option<&'a str>,
    classification: Option<&'a str>,
    masking: &'static str,
}

/// One rendered file: its path under OUT and its text.
pub type Rendered = (String, String);

/// Renders every file of every target. Template failures are E401
/// diagnostics; nothing is returned for a build that has any.
pub fn render(
    mesh: &Mesh,
    db: &SourceDb,
    templates: &Templates,
    plan: &Plan,
) -> Result<Vec<Rendered>, Vec<Diagnostic>> {
    use rayon::prelude::*;
    let Some(root) = &mesh.root else {
        return Ok(Vec::new());
    };
    let results: Vec<Result<Vec<Rendered>, Vec<Diagnostic>>> = root
        .spec
        .targets
        .par_iter()
        .map(|t| render_target(mesh, db, templates, plan, t))
        .collect();
    let mut files = Vec::new();
    let mut diags = Vec::new();
    for r in results {
        match r {
            Ok(f) => files.extend(f),
            Err(d) => diags.extend(d),
        }
    }
    if diags.is_empty() {
        Ok(files)
    } else {
        Err(diags)
    }
}

fn render_target<'a>(
    mesh: &'a Mesh,
    db: &'a SourceDb,
    templates: &Templates,
    plan: &'a Plan,
    target: &crate::load::Sp<crate::load::syntax::Target>,
) -> Result<Vec<Rendered>, Vec<Diagnostic>> {
    let engine_name = target.engine.as_str();
    let target_name = target.name.as_str();
    let outputs = templates.outputs(engine_name);
    let root = mesh.root.as_ref().map(|r| r.file);
    if outputs.is_empty() {
        let mut d = Diagnostic::new(
            Code::E401,
            format!(
                "target `{target_name}` uses engine `{engine_name}`, which has no templates"
            ),
        )
        .with_help(format!(
            "built-in engines are {}; another engine needs templates in the Mesh's `templates` folder, e.g. `{engine_name}/ddl.sql`",
            Engine::ALL.map(Engine::as_str).join(", ")
        ));
        if let Some(f) = root {
            d = d.with_primary(span_of(f, target.engine.loc.or(target.loc)), "");
        }
        return Err(vec![d]);
    }
    let engine = Engine::parse(engine_name);
    let mut options = serde_json::Map::new();
    for (k, v) in &target.options {
        options.insert(k.clone(), v.clone());
    }
    options.insert("name".into(), target_name.into());
    options.insert("engine".into(), engine_name.into());

    let rel_view = |r: &'a Rel| -> RelView<'a> {
        let p = mesh.product(r.product);
        let port = &p.spec.outputs[r.port];
        RelView {
            kind: r.kind,
            schema: &r.schema,
            name: &r.name,
            product: &p.fqn,
            port: port.name.as_str(),
            owner_role: &plan.names.product_role[r.product.idx()],
            title: p.metadata.title.as_ref().map(|t| t.as_str()),
            description: port.description.as_ref().map(|d| d.as_str()),
            primary_key: port.primary_key.iter().map(|k| k.as_str()).collect(),
            columns: port_columns(port)
                .iter()
                .map(|c| {
                    let logical = c.column_type.as_str();
                    let physical = match engine {
                        Some(e) => LogicalType::parse(logical)
                            .ok()
                            .and_then(|t| physical_type(e, &t).ok())
                            .unwrap_or_else(|| logical.to_string()),
                        None => logical.to_string(),
                    };
                    ColumnView {
                        name: c.name.as_str(),
                        physical,
                        logical,
                        nullable: c.nullable.as_ref().is_none_or(|n| n.value),
                        description: c.description.as_ref().map(|d| d.as_str()),
                        classification: c.classification.as_ref().map(|d| d.as_str()),
                        masking: c
                            .masking
                            .as_ref()
                            .map(|m| m.value)
                            .unwrap_or(Masking::None)
                            .as_str(),
                    }
                })
                .collect(),
            query: &r.query,
            base: r.base.as_ref().map(|(schema, name)| BaseView { schema, name }),
            reads_masked: r.reads_masked,
        }
    };
    let mut schemas: BTreeMap<&str, SchemaView> = BTreeMap::new();
    for r in plan.ddl.iter().chain(&plan.masking) {
        let p = mesh.product(r.product);
        schemas.entry(&r.schema).or_insert_with(|| SchemaView {
            name: &r.schema,
            domain: &p.domain_name,
            description: p
                .domain
                .and_then(|d| mesh.domains[d.idx()].metadata.description.as_ref())
                .map(|d| d.as_str()),
        });
    }
    let ctx = Context {
        meshc_version: env!("CARGO_PKG_VERSION"),
        mesh: MeshView {
            name: mesh
                .root
                .as_ref()
                .map(|r| r.metadata.name.as_str())
                .unwrap_or(""),
            title: mesh
                .root
                .as_ref()
                .and_then(|r| r.metadata.title.as_ref())
                .map(|t| t.as_str()),
        },
        target: &options,
        schemas: schemas.into_values().collect(),
        ddl: plan.ddl.iter().map(rel_view).collect(),
        masking: plan.masking.iter().map(rel_view).collect(),
        roles: &plan.access.roles,
        grants: plan
            .access
            .grants
            .iter()
            .map(|g| plan.access.view(g, db))
            .collect(),
    };
    let env = environment(templates, engine, &target.options);
    let value = minijinja::Value::from_serialize(&ctx);
    let mut files = Vec::new();
    let mut diags = Vec::new();
    for out in outputs {
        let name = format!("{engine_name}/{out}");
        match env.get_template(&name).and_then(|t| t.render(&value)) {
            Ok(mut text) => {
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                files.push((format!("targets/{target_name}/{out}"), text));
            }
            Err(e) => diags.push(templates.error(db, target_name, &e)),
        }
    }
    if diags.is_empty() {
        Ok(files)
    } else {
        Err(diags)
    }
}

// ------------------------------------------------------------------ quoting

/// How an engine quotes identifiers and string literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `"ident"`, `'it''s'` (PostgreSQL, Trino, Snowflake, the default).
    Ansi,
    /// `` `ident` ``, `'it\'s'` with backslash escapes (Spark SQL).
    Backtick,
}

impl Dialect {
    fn of(engine: Option<Engine>, options: &BTreeMap<String, serde_json::Value>) -> Dialect {
        match engine {
            Some(Engine::Spark) => Dialect::Backtick,
            Some(_) => Dialect::Ansi,
            None => match options.get("quoting").and_then(|v| v.as_str()) {
                Some("backtick") => Dialect::Backtick,
                _ => Dialect::Ansi,
            },
        }
    }

    /// A quoted identifier.
    pub fn ident(self, s: &str) -> String {
        let s = clean(s);
        match self {
            Dialect::Ansi => format!("\"{}\"", s.replace('"', "\"\"")),
            Dialect::Backtick => format!("`{}`", s.replace('`', "``")),
        }
    }

    /// A string literal.
    pub fn literal(self, s: &str) -> String {
        let s = clean(s);
        match self {
            Dialect::Ansi => format!("'{}'", s.replace('\'', "''")),
            Dialect::Backtick => {
                format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
            }
        }
    }
}

/// Text with NUL (which no engine stores) replaced.
fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        std::borrow::Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Text for a `--` comment: one line, no control characters.
pub fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

fn environment(
    templates: &Templates,
    engine: Option<Engine>,
    options: &BTreeMap<String, serde_json::Value>,
) -> minijinja::Environment<'static> {
    let dialect = Dialect::of(engine, options);
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    let files = templates.files.clone();
    env.set_loader(move |name| Ok(files.get(name).map(|s| s.to_string())));
    env.add_filter("ident", move |s: &str| dialect.ident(s));
    env.add_filter("literal", move |s: Option<&str>| match s {
        Some(s) => dialect.literal(s),
        None => "NULL".to_string(),
    });
    env.add_filter("comment", |s: Option<&str>| comment(s.unwrap_or("")));
    env.add_filter("dollar_quote", |s: &str| dollar_quote(s));
    env
}

/// A PostgreSQL dollar-quoted string whose tag does not occur in `s`, so
/// nothing in `s` can end it early.
pub fn dollar_quote(s: &str) -> String {
    let s = clean(s);
    let mut n = 0usize;
    loop {
        let tag = if n == 0 {
            "$meshc$".to_string()
        } else {
            format!("$meshc{n}$")
        };
        let tail = format!("{s}{tag}");
        if tail.find(&tag) == Some(s.len()) {
            return format!("{tag}{s}{tag}");
        }
        n += 1;
    }
}
