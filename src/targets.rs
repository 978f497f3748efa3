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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::access::{self, Access, Names, ObjectKind, Privilege};
use crate::check::rules::contract::c209_view_query::{Expr, scan};
use crate::diagnostics::{Code, Diagnostic};
use crate::load::syntax::{Masking, PortType};
use crate::model::{Mesh, ProductId, port_columns, span_of};
use crate::source::{FileId, SourceDb, SourceFile, Span};
use crate::types::{Engine, LogicalType};

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
    // ODCS contracts (src/odcs/export.rs): one per output port.
    "odcs/contract.odcs.yaml",
    // `meshc import odcs` (src/odcs/import.rs): the documents it writes.
    "import/data_product.yaml",
    "import/domain.yaml",
    "import/team.yaml",
    // The documentation site (src/docs/): pages, and assets copied as they are.
    "docs/index.html",
    "docs/domain.html",
    "docs/product.html",
    "docs/_layout.html",
    "docs/assets/style.css",
    "docs/assets/search.js",
);

/// Largest template file meshc reads from a mesh.
const MAX_TEMPLATE: u64 = 1 << 20;

/// The templates of a build: built-in ones overlaid by the mesh's own.
#[derive(Clone)]
pub struct Templates {
    /// Path under the templates folder → text.
    files: BTreeMap<String, Arc<str>>,
    /// Path → the file in the source db, for templates from the mesh.
    from_mesh: BTreeMap<String, FileId>,
    /// The mesh's templates folder as the Mesh names it (for messages).
    folder: Option<String>,
}

impl Templates {
    /// The built-in templates only.
    pub fn builtin() -> Templates {
        Templates {
            files: BUILTIN
                .iter()
                .map(|(p, s)| ((*p).to_string(), Arc::from(*s)))
                .collect(),
            from_mesh: BTreeMap::new(),
            folder: None,
        }
    }

    /// The built-in templates plus those in the Mesh's `templates` folder,
    /// which are added to `db` so diagnostics can point into them.
    pub fn load(mesh: &Mesh, db: &mut SourceDb) -> Result<Templates, Vec<Diagnostic>> {
        let mut t = Templates::builtin();
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
                    format!("the templates folder `{}` does not exist", folder.as_str()),
                )
                .with_primary(setting, "")
                .with_help("create it, or remove `templates` from the Mesh"),
            ]);
        }
        // Read only inside the mesh folder (no `..`, absolute paths or
        // symlinks out of it), like every other file meshc reads.
        let inside = match (dir.canonicalize(), db.root.canonicalize()) {
            (Ok(d), Ok(r)) => d.starts_with(&r),
            _ => false,
        };
        if !inside {
            return Err(vec![
                Diagnostic::new(
                    Code::E401,
                    format!(
                        "the templates folder `{}` is outside the mesh folder",
                        folder.as_str()
                    ),
                )
                .with_primary(setting, "")
                .with_help("keep templates in the mesh's repository, e.g. `templates: templates/`"),
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
                    Diagnostic::new(Code::E401, format!("cannot read template `{name}`: {why}"))
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
        self.error_for(db, &format!("target `{target}`"), e)
    }

    /// [`Templates::error`] for what `subject` names ("target `x`", "the
    /// contract of `d.p.port`").
    pub(crate) fn error_for(
        &self,
        db: &SourceDb,
        subject: &str,
        e: &minijinja::Error,
    ) -> Diagnostic {
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
                "template `{name}`{} failed for {subject}: {}",
                line.map(|l| format!(" (line {l})")).unwrap_or_default(),
                e.detail()
                    .map(str::to_string)
                    .unwrap_or_else(|| e.kind().to_string())
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
    /// The relation to read on engines that cannot grant some columns
    /// only (their grant goes to it: see `access::whole_is_masked`).
    whole: RefName,
}

#[derive(Debug, Clone, Serialize)]
struct RefName {
    schema: String,
    name: String,
    masked: bool,
}

/// What every target shares: relations in dependency order and grants.
pub struct Plan {
    pub names: Names,
    pub access: Arc<Access>,
    /// Tables, then views that do not read masked relations, in order.
    ddl: Vec<Rel>,
    /// Masked views and the views that read them, in order.
    masking: Vec<Rel>,
}

impl Plan {
    pub fn new(mesh: &Mesh, today: crate::date::Date) -> Result<Plan, Vec<Diagnostic>> {
        let names = Names::new(mesh).map_err(|d| vec![*d])?;
        let access = access::derive(mesh, &names, today);
        // Which relation each product's inputs read: masked or not, with
        // column grants and on engines without them.
        let masked_cols: BTreeMap<String, BTreeSet<&str>> = mesh
            .products
            .iter()
            .flat_map(|p| {
                p.spec.outputs.iter().map(move |port| {
                    (
                        format!("{}.{}", p.fqn, port.name.as_str()),
                        access::masked_columns(port),
                    )
                })
            })
            .filter(|(_, m)| !m.is_empty())
            .collect();
        let none = BTreeSet::new();
        // Two inputs on one port may read it through different relations;
        // a view's ref() then reads the masked one (it never exposes more).
        let mut reads: BTreeMap<(&str, &str), (bool, bool)> = BTreeMap::new();
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
                let whole = access::whole_is_masked(g, masked_cols.get(port).unwrap_or(&none));
                let e = reads
                    .entry((role.of.as_str(), port.as_str()))
                    .or_insert((masked, whole));
                *e = (e.0 || masked, e.1 || whole);
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
                        let (masked, whole) = if qid == pid {
                            (false, false)
                        } else {
                            reads
                                .get(&(p.fqn.as_str(), target))
                                .copied()
                                .unwrap_or((false, false))
                        };
                        let name = |masked: bool| {
                            if masked {
                                names.masked[qid.idx()][qx].clone()
                            } else {
                                names.relation[qid.idx()][qx].clone()
                            }
                        };
                        let schema = names.schema_of(d).to_string();
                        Some(RefTo {
                            schema: schema.clone(),
                            name: name(masked),
                            masked,
                            whole: RefName {
                                schema,
                                name: name(whole),
                                masked: whole,
                            },
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
            access: Arc::new(access),
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
                if let Piece::Ref { r#ref } = p {
                    for (schema, name) in [
                        (&r#ref.schema, &r#ref.name),
                        (&r#ref.whole.schema, &r#ref.whole.name),
                    ] {
                        if let Some(&i) = index.get(&(schema.clone(), name.clone())) {
                            d.insert(i);
                        }
                    }
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

// The template context is made of lazy objects over values built once for
// all targets: converting the whole mesh into minijinja maps per target
// cost more than rendering it. Only a column's `type` depends on the
// engine, and is computed when a template reads it.

use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectExt, ObjectRepr};

/// A column, engine-independent.
#[derive(Debug)]
struct ColData {
    name: Value,
    logical: Value,
    parsed: Option<LogicalType>,
    nullable: bool,
    description: Value,
    classification: Value,
    masking: &'static str,
}

/// A relation, engine-independent.
#[derive(Debug)]
struct RelData {
    kind: &'static str,
    schema: Value,
    name: Value,
    product: Value,
    port: Value,
    owner_role: Value,
    title: Value,
    description: Value,
    primary_key: Value,
    query: Value,
    base: Value,
    reads_masked: bool,
    columns: Vec<ColData>,
}

fn opt(s: Option<&str>) -> Value {
    s.map(Value::from).unwrap_or(Value::from(()))
}

fn rel_data(mesh: &Mesh, names: &Names, r: &Rel) -> RelData {
    let p = mesh.product(r.product);
    let port = &p.spec.outputs[r.port];
    RelData {
        kind: match r.kind {
            RelKind::Table => "table",
            RelKind::View => "view",
            RelKind::MaskedView => "masked_view",
        },
        schema: Value::from(r.schema.as_str()),
        name: Value::from(r.name.as_str()),
        product: Value::from(p.fqn.as_str()),
        port: Value::from(port.name.as_str()),
        owner_role: Value::from(names.product_role[r.product.idx()].as_str()),
        title: opt(p.metadata.title.as_ref().map(|t| t.as_str())),
        description: opt(port.description.as_ref().map(|d| d.as_str())),
        primary_key: Value::from(
            port.primary_key
                .iter()
                .map(|k| Value::from(k.as_str()))
                .collect::<Vec<_>>(),
        ),
        query: Value::from_serialize(&r.query),
        base: match &r.base {
            Some((schema, name)) => Value::from_iter([
                ("schema", Value::from(schema.as_str())),
                ("name", Value::from(name.as_str())),
            ]),
            None => Value::from(()),
        },
        reads_masked: r.reads_masked,
        columns: port_columns(port)
            .iter()
            .map(|c| ColData {
                name: Value::from(c.name.as_str()),
                logical: Value::from(c.column_type.as_str()),
                parsed: LogicalType::parse(&c.column_type).ok(),
                nullable: c.nullable.as_ref().is_none_or(|n| n.value),
                description: opt(c.description.as_ref().map(|d| d.as_str())),
                classification: opt(c.classification.as_ref().map(|d| d.as_str())),
                masking: c
                    .masking
                    .as_ref()
                    .map(|m| m.value)
                    .unwrap_or(Masking::None)
                    .as_str(),
            })
            .collect(),
    }
}

/// Everything the targets share, as template values.
struct Shared {
    mesh: Value,
    schemas: Value,
    ddl: Arc<Vec<Arc<RelData>>>,
    masking: Arc<Vec<Arc<RelData>>>,
    roles: Value,
    grants: Value,
}

impl Shared {
    fn new(mesh: &Mesh, db: &SourceDb, plan: &Plan) -> Shared {
        use rayon::prelude::*;
        let rels = |list: &[Rel]| -> Arc<Vec<Arc<RelData>>> {
            Arc::new(
                list.par_iter()
                    .map(|r| Arc::new(rel_data(mesh, &plan.names, r)))
                    .collect(),
            )
        };
        let mut schemas: BTreeMap<&str, Value> = BTreeMap::new();
        for r in plan.ddl.iter().chain(&plan.masking) {
            schemas.entry(&r.schema).or_insert_with(|| {
                let p = mesh.product(r.product);
                let description = p
                    .domain
                    .and_then(|d| mesh.domains[d.idx()].metadata.description.as_ref())
                    .map(|d| d.as_str());
                Value::from_iter([
                    ("name", Value::from(r.schema.as_str())),
                    ("domain", Value::from(p.domain_name.as_str())),
                    ("description", opt(description)),
                ])
            });
        }
        let root = mesh.root.as_ref();
        let files: Vec<Value> = (0..db.len())
            .map(|i| Value::from(db.path(FileId(i as u32))))
            .collect();
        Shared {
            mesh: Value::from_iter([
                ("name", opt(root.map(|r| r.metadata.name.as_str()))),
                (
                    "title",
                    opt(root
                        .and_then(|r| r.metadata.title.as_ref())
                        .map(|t| t.as_str())),
                ),
            ]),
            schemas: Value::from(schemas.into_values().collect::<Vec<_>>()),
            ddl: rels(&plan.ddl),
            masking: rels(&plan.masking),
            roles: Value::from_serialize(&plan.access.roles),
            grants: Value::from_object(GrantList::new(mesh, plan, files)),
        }
    }
}

/// The grants, as template values made when read.
#[derive(Debug)]
struct GrantList {
    access: Arc<Access>,
    /// Per grant, what its relations are (worked out once for every engine).
    facts: Vec<GrantFacts>,
    /// Path of every file, by id.
    files: Vec<Value>,
}

/// What templates need to know about a grant's relations beyond
/// grants.json.
#[derive(Debug)]
struct GrantFacts {
    /// `table`, `view`, `masked_view` or `schema`: the object's kind.
    kind: &'static str,
    /// For engines that cannot grant SELECT on some columns only, the
    /// relation to grant whole instead when it is not the object: the
    /// masked relation unless the grant covers every masked column (see
    /// `access::whole_is_masked`), so no masked column is exposed raw to a
    /// reader not approved for it.
    masked: Option<Arc<str>>,
}

/// What a grant on a port's relations needs to know about the port.
struct PortFacts<'m> {
    /// `table` or `view`.
    kind: &'static str,
    /// The masked relation, when the port has one.
    masked: Option<Arc<str>>,
    /// Its masked columns.
    masked_columns: BTreeSet<&'m str>,
}

impl GrantList {
    fn new(mesh: &Mesh, plan: &Plan, files: Vec<Value>) -> GrantList {
        use rayon::prelude::*;
        let ports = port_facts(mesh, plan);
        let facts = plan
            .access
            .grants
            .par_iter()
            .with_max_len(256)
            .map(|g| {
                let port = g.object.port.as_ref().and_then(|p| ports.get(p));
                let kind = match (g.object.kind, port) {
                    (ObjectKind::Schema, _) => "schema",
                    (ObjectKind::MaskedRelation, _) => "masked_view",
                    (_, Some(f)) => f.kind,
                    (_, None) => "table",
                };
                let masked = match (g.object.kind, port) {
                    (ObjectKind::Relation, Some(f)) => f
                        .masked
                        .clone()
                        .filter(|_| access::whole_is_masked(g, &f.masked_columns)),
                    _ => None,
                };
                GrantFacts { kind, masked }
            })
            .collect();
        GrantList {
            access: plan.access.clone(),
            facts,
            files,
        }
    }
}

impl Object for GrantList {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let i = key.as_usize()?;
        (i < self.access.grants.len()).then(|| {
            Value::from_object(GrantObj {
                list: self.clone(),
                index: i,
            })
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.access.grants.len())
    }
}

/// One grant. Its nested values (`object`, `whole`, `cause`, `columns`)
/// are objects too, read straight from the grant: nothing is copied into
/// template maps, which keeps a 10,000-product build fast and its memory
/// down.
#[derive(Debug)]
struct GrantObj {
    list: Arc<GrantList>,
    index: usize,
}

const GRANT_FIELDS: &[&str] = &[
    "whole",
    "principal",
    "principalKind",
    "principalOf",
    "privilege",
    "object",
    "columns",
    "expires",
    "cause",
];

impl GrantObj {
    fn part(&self, part: GrantPart) -> Value {
        Value::from_object(GrantPartObj {
            list: self.list.clone(),
            index: self.index,
            part,
        })
    }
}

impl Object for GrantObj {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    // Templates read fields by name: no temporary key value.
    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        let access = &self.list.access;
        let g = &access.grants[self.index];
        Some(match key {
            "principal" => Value::from(access.role(g).name.as_str()),
            "principalKind" => Value::from(match access.role(g).kind {
                access::PrincipalKind::Product => "product",
                access::PrincipalKind::Team => "team",
            }),
            "principalOf" => Value::from(access.role(g).of.as_str()),
            "privilege" => Value::from(g.privilege.as_str()),
            "object" => self.part(GrantPart::Object),
            "whole" => self.part(GrantPart::Whole),
            "columns" => match &g.columns {
                Some(_) => self.part(GrantPart::Columns),
                None => Value::from(()),
            },
            "expires" => opt(g.expires.as_deref()),
            "cause" => self.part(GrantPart::Cause),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(GRANT_FIELDS)
    }
}

/// Which nested value of a grant a [`GrantPartObj`] is.
#[derive(Debug, Clone, Copy)]
enum GrantPart {
    /// `kind`, `schema`, `name`, `port` and `relation_kind` (`table`,
    /// `view`, `masked_view` or `schema`; not in grants.json).
    Object,
    /// The relation to grant whole: `schema`, `name`, `relation_kind` and
    /// `masked`.
    Whole,
    /// The declaration behind the grant: `file`, `line`, `declaration`.
    Cause,
    /// The column names (a list).
    Columns,
}

/// A nested value of one grant, read from the grant when a template asks.
#[derive(Debug)]
struct GrantPartObj {
    list: Arc<GrantList>,
    index: usize,
    part: GrantPart,
}

impl GrantPartObj {
    /// The keys of a map part, sorted as minijinja sorts a map's keys.
    fn keys(&self) -> &'static [&'static str] {
        match self.part {
            GrantPart::Object => &["kind", "name", "port", "relation_kind", "schema"],
            GrantPart::Whole => &["masked", "name", "relation_kind", "schema"],
            GrantPart::Cause => &["declaration", "file", "line"],
            GrantPart::Columns => &[],
        }
    }

    /// The grant's columns (none for a grant on the whole relation).
    fn columns(&self) -> Option<&[String]> {
        self.list.access.grants[self.index].columns.as_deref()
    }

    /// The value of `key` in a map part.
    fn field(&self, key: &str) -> Option<Value> {
        let g = &self.list.access.grants[self.index];
        let facts = &self.list.facts[self.index];
        Some(match (self.part, key) {
            (GrantPart::Object, "kind") => Value::from(match g.object.kind {
                ObjectKind::Schema => "schema",
                ObjectKind::Relation => "relation",
                ObjectKind::MaskedRelation => "maskedRelation",
            }),
            (GrantPart::Object | GrantPart::Whole, "schema") => {
                Value::from(g.object.schema.as_str())
            }
            (GrantPart::Object, "name") => opt(g.object.name.as_deref()),
            (GrantPart::Object, "port") => opt(g.object.port.as_deref()),
            (GrantPart::Object, "relation_kind") => Value::from(facts.kind),
            (GrantPart::Whole, "name") => opt(facts.masked.as_deref().or(g.object.name.as_deref())),
            (GrantPart::Whole, "relation_kind") => Value::from(if facts.masked.is_some() {
                "masked_view"
            } else {
                facts.kind
            }),
            (GrantPart::Whole, "masked") => {
                Value::from(facts.masked.is_some() || g.object.kind == ObjectKind::MaskedRelation)
            }
            (GrantPart::Cause, "file") => self
                .list
                .files
                .get(g.cause.file.0 as usize)
                .cloned()
                .unwrap_or_default(),
            (GrantPart::Cause, "line") => Value::from(g.cause.loc.line),
            (GrantPart::Cause, "declaration") => Value::from(g.cause.declaration.as_str()),
            _ => return None,
        })
    }
}

impl Object for GrantPartObj {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        match self.part {
            GrantPart::Columns => ObjectRepr::Seq,
            _ => ObjectRepr::Map,
        }
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match self.part {
            GrantPart::Columns => Some(Value::from(self.columns()?.get(key.as_usize()?)?.as_str())),
            _ => self.field(key.as_str()?),
        }
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.field(key)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.part {
            GrantPart::Columns => Enumerator::Seq(self.columns().map_or(0, <[_]>::len)),
            // Enumerated the way minijinja enumerates its own maps, so
            // filters such as `reverse` and `items` behave as on a map.
            _ => self.mapped_rev_key_value_enumerator(|this| {
                Box::new(
                    this.keys()
                        .iter()
                        .map(|k| (Value::from(*k), this.field(k).unwrap_or_default())),
                )
            }),
        }
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        match self.part {
            GrantPart::Columns => self.columns().map(<[_]>::len),
            _ => Some(self.keys().len()),
        }
    }
}

fn port_facts<'m>(mesh: &'m Mesh, plan: &Plan) -> HashMap<String, PortFacts<'m>> {
    let mut out = HashMap::new();
    for r in plan.ddl.iter().chain(&plan.masking) {
        if r.kind == RelKind::MaskedView {
            continue;
        }
        let p = mesh.product(r.product);
        let port = &p.spec.outputs[r.port];
        let masked_columns: BTreeSet<&str> = port_columns(port)
            .iter()
            .filter(|c| c.masking.as_ref().is_some_and(|m| m.value != Masking::None))
            .map(|c| c.name.as_str())
            .collect();
        out.insert(
            format!("{}.{}", p.fqn, port.name.as_str()),
            PortFacts {
                kind: if r.kind == RelKind::View {
                    "view"
                } else {
                    "table"
                },
                masked: (!masked_columns.is_empty())
                    .then(|| Arc::from(plan.names.masked[r.product.idx()][r.port].as_str())),
                masked_columns,
            },
        );
    }
    out
}

/// A list of relations, for one engine.
#[derive(Debug)]
struct RelList {
    rels: Arc<Vec<Arc<RelData>>>,
    engine: Option<Engine>,
}

impl Object for RelList {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let r = self.rels.get(key.as_usize()?)?;
        Some(Value::from_object(RelObj {
            rel: r.clone(),
            engine: self.engine,
        }))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.rels.len())
    }
}

#[derive(Debug)]
struct RelObj {
    rel: Arc<RelData>,
    engine: Option<Engine>,
}

const REL_FIELDS: &[&str] = &[
    "kind",
    "schema",
    "name",
    "product",
    "port",
    "owner_role",
    "title",
    "description",
    "primary_key",
    "columns",
    "query",
    "base",
    "reads_masked",
];

impl Object for RelObj {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        let r = &self.rel;
        Some(match key {
            "kind" => Value::from(r.kind),
            "schema" => r.schema.clone(),
            "name" => r.name.clone(),
            "product" => r.product.clone(),
            "port" => r.port.clone(),
            "owner_role" => r.owner_role.clone(),
            "title" => r.title.clone(),
            "description" => r.description.clone(),
            "primary_key" => r.primary_key.clone(),
            "columns" => Value::from_object(ColList {
                rel: r.clone(),
                engine: self.engine,
            }),
            "query" => r.query.clone(),
            "base" => r.base.clone(),
            "reads_masked" => Value::from(r.reads_masked),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(REL_FIELDS)
    }
}

#[derive(Debug)]
struct ColList {
    rel: Arc<RelData>,
    engine: Option<Engine>,
}

impl Object for ColList {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let i = key.as_usize()?;
        (i < self.rel.columns.len()).then(|| {
            Value::from_object(ColObj {
                rel: self.rel.clone(),
                index: i,
                engine: self.engine,
            })
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.rel.columns.len())
    }
}

#[derive(Debug)]
struct ColObj {
    rel: Arc<RelData>,
    index: usize,
    engine: Option<Engine>,
}

const COL_FIELDS: &[&str] = &[
    "name",
    "type",
    "logical",
    "nullable",
    "description",
    "classification",
    "masking",
];

impl Object for ColObj {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        let c = &self.rel.columns[self.index];
        Some(match key {
            "name" => c.name.clone(),
            // The physical type on a built-in engine; the logical type
            // for an engine added by templates.
            "type" => match (self.engine, &c.parsed) {
                (Some(e), Some(t)) => match crate::types::physical_str(e, t) {
                    Ok(std::borrow::Cow::Borrowed(s)) => Value::from(s),
                    Ok(std::borrow::Cow::Owned(s)) => Value::from(s),
                    Err(_) => c.logical.clone(),
                },
                _ => c.logical.clone(),
            },
            "logical" => c.logical.clone(),
            "nullable" => Value::from(c.nullable),
            "description" => c.description.clone(),
            "classification" => c.classification.clone(),
            "masking" => Value::from(c.masking),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(COL_FIELDS)
    }
}

/// Every (target, file) of a build, ready to render: environments and
/// contexts are built, missing engines reported.
pub struct Renderer {
    templates: Templates,
    /// Per target: its name, engine, environment and context.
    targets: Vec<(String, String, minijinja::Environment<'static>, Value)>,
    /// (target index, file name).
    jobs: Vec<(usize, String)>,
}

/// Why rendering stopped.
#[derive(Debug)]
pub enum Failure {
    Io(std::io::Error),
    Templates(Vec<Diagnostic>),
}

impl Renderer {
    pub fn new(
        mesh: &Mesh,
        db: &SourceDb,
        templates: Templates,
        plan: &Plan,
    ) -> Result<Renderer, Vec<Diagnostic>> {
        let mut r = Renderer {
            templates,
            targets: Vec::new(),
            jobs: Vec::new(),
        };
        let Some(root) = &mesh.root else {
            return Ok(r);
        };
        let mut diags = Vec::new();
        for (i, t) in root.spec.targets.iter().enumerate() {
            let outputs = r.templates.outputs(t.engine.as_str());
            if outputs.is_empty() {
                diags.push(no_templates(root.file, t));
            }
            let outputs: Vec<String> = outputs.into_iter().map(str::to_string).collect();
            r.jobs.extend(outputs.into_iter().map(|o| (i, o)));
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        if root.spec.targets.is_empty() {
            return Ok(r);
        }
        let shared = Shared::new(mesh, db, plan);
        for t in &root.spec.targets {
            let (env, ctx) = target_env(&r.templates, &shared, t);
            r.targets
                .push((t.name.value.clone(), t.engine.value.clone(), env, ctx));
        }
        Ok(r)
    }

    /// The files to render, as job numbers for [`Renderer::write_job`], in
    /// the order to start them: the files that take longest first (DDL,
    /// then masked views, then grants, then files added by templates), so
    /// that a pool running them with other work does not end on one long
    /// file.
    pub fn jobs(&self) -> Vec<usize> {
        let rank = |out: &str| match out {
            "ddl.sql" => 0,
            "masking.sql" => 1,
            "grants.sql" => 2,
            _ => 3,
        };
        let mut jobs: Vec<usize> = (0..self.jobs.len()).collect();
        jobs.sort_by_key(|&j| rank(&self.jobs[j].1));
        jobs
    }

    /// Renders one file (a number from [`Renderer::jobs`]) into `stage`,
    /// straight to disk. Returns its path; a template failure is an E401
    /// diagnostic.
    pub fn write_job(
        &self,
        job: usize,
        db: &SourceDb,
        stage: &crate::emit::Staging,
    ) -> Result<String, Failure> {
        let (i, out) = &self.jobs[job];
        let (target, engine, env, ctx) = &self.targets[*i];
        let rel = format!("targets/{target}/{out}");
        let mut w = stage.create(&rel).map_err(Failure::Io)?;
        env.get_template(&format!("{engine}/{out}"))
            .and_then(|tpl| tpl.render_captured_to(ctx, &mut w).map(drop))
            .map_err(|e| match e.kind() {
                minijinja::ErrorKind::WriteFailure => {
                    Failure::Io(std::io::Error::other(e.to_string()))
                }
                _ => Failure::Templates(vec![self.templates.error(db, target, &e)]),
            })?;
        std::io::Write::flush(&mut w).map_err(Failure::Io)?;
        Ok(rel)
    }

    /// The paths of the files [`Renderer::write_job`] wrote, or why it
    /// failed: the first I/O error, else every template failure.
    pub fn finish(results: Vec<Result<String, Failure>>) -> Result<Vec<String>, Failure> {
        let mut written = Vec::new();
        let mut diags = Vec::new();
        for r in results {
            match r {
                Ok(rel) => written.push(rel),
                Err(Failure::Io(e)) => return Err(Failure::Io(e)),
                Err(Failure::Templates(d)) => diags.extend(d),
            }
        }
        if diags.is_empty() {
            Ok(written)
        } else {
            Err(Failure::Templates(diags))
        }
    }
}

fn no_templates(root: FileId, target: &crate::load::Sp<crate::load::syntax::Target>) -> Diagnostic {
    let engine = target.engine.as_str();
    Diagnostic::new(
        Code::E401,
        format!(
            "target `{}` uses engine `{engine}`, which has no templates",
            target.name.as_str()
        ),
    )
    .with_primary(span_of(root, target.engine.loc.or(target.loc)), "")
    .with_help(format!(
        "built-in engines are {}; another engine needs templates in the Mesh's `templates` folder, e.g. `{engine}/ddl.sql`",
        Engine::ALL.map(Engine::as_str).join(", ")
    ))
}

/// The environment and context of one target.
fn target_env(
    templates: &Templates,
    shared: &Shared,
    target: &crate::load::Sp<crate::load::syntax::Target>,
) -> (minijinja::Environment<'static>, Value) {
    let engine_name = target.engine.as_str();
    let engine = Engine::parse(engine_name);
    let mut options: BTreeMap<String, Value> = target
        .options
        .iter()
        .map(|(k, v)| (k.clone(), Value::from_serialize(v)))
        .collect();
    options.insert("name".into(), Value::from(target.name.as_str()));
    options.insert("engine".into(), Value::from(engine_name));
    let ctx = minijinja::context! {
        meshc_version => env!("CARGO_PKG_VERSION"),
        mesh => shared.mesh.clone(),
        target => Value::from(options),
        schemas => shared.schemas.clone(),
        ddl => Value::from_object(RelList { rels: shared.ddl.clone(), engine }),
        masking => Value::from_object(RelList { rels: shared.masking.clone(), engine }),
        roles => shared.roles.clone(),
        grants => shared.grants.clone(),
    };
    (environment(templates, engine, &target.options), ctx)
}

// ------------------------------------------------------------------ quoting

/// How an engine quotes identifiers and string literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `"ident"`, `'it''s'` (PostgreSQL, Trino, and the default for
    /// engines added by templates).
    Ansi,
    /// `` `ident` ``, `'it\'s'` with backslash escapes (Spark SQL).
    Backtick,
    /// `"IDENT"` upper-cased — Snowflake folds unquoted names to upper case,
    /// so the quoted name is the one a query's unquoted `orders` means —
    /// and `'it''s'` with backslashes escaped (Snowflake reads them).
    Snowflake,
}

impl Dialect {
    fn of(engine: Option<Engine>, options: &BTreeMap<String, serde_json::Value>) -> Dialect {
        match engine {
            Some(Engine::Spark) => Dialect::Backtick,
            Some(Engine::Snowflake) => Dialect::Snowflake,
            Some(_) => Dialect::Ansi,
            None => match options.get("quoting").and_then(|v| v.as_str()) {
                Some("backtick") => Dialect::Backtick,
                Some("snowflake") => Dialect::Snowflake,
                _ => Dialect::Ansi,
            },
        }
    }

    /// A quoted identifier.
    pub fn ident(self, s: &str) -> String {
        match self {
            Dialect::Ansi => quote(s, '"', b"\"\0", |c| (c == '"').then_some("\"\"")),
            Dialect::Backtick => quote(s, '`', b"`\0", |c| (c == '`').then_some("``")),
            Dialect::Snowflake => quote(&s.to_uppercase(), '"', b"\"\0", |c| {
                (c == '"').then_some("\"\"")
            }),
        }
    }

    /// A string literal.
    pub fn literal(self, s: &str) -> String {
        match self {
            Dialect::Ansi => quote(s, '\'', b"'\0", |c| (c == '\'').then_some("''")),
            Dialect::Backtick => quote(s, '\'', b"'\\\0", |c| match c {
                '\'' => Some("\\'"),
                '\\' => Some("\\\\"),
                _ => None,
            }),
            Dialect::Snowflake => quote(s, '\'', b"'\\\0", |c| match c {
                '\'' => Some("''"),
                '\\' => Some("\\\\"),
                _ => None,
            }),
        }
    }
}

/// `s` between `q`s, each character `escape` names replaced, and NUL
/// (which no engine stores) replaced by U+FFFD. `special` lists the bytes
/// that stop the copy: NUL and every character `escape` names (all ASCII,
/// so each ends a character); the text between them is copied in runs.
fn quote(
    s: &str,
    q: char,
    special: &[u8],
    escape: impl Fn(char) -> Option<&'static str>,
) -> String {
    let find = |h: &[u8]| match *special {
        [a, b] => memchr::memchr2(a, b, h),
        [a, b, c] => memchr::memchr3(a, b, c, h),
        _ => h.iter().position(|x| special.contains(x)),
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    let mut rest = s;
    while let Some(i) = find(rest.as_bytes()) {
        out.push_str(&rest[..i]);
        match escape(rest.as_bytes()[i] as char) {
            Some(e) => out.push_str(e),
            None => out.push('\u{FFFD}'),
        }
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
    out.push(q);
    out
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
    // Text is written as the default formatter writes it when nothing is
    // escaped, only straight to the output instead of through `Display`.
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(s) if state.auto_escape() == minijinja::AutoEscape::None => {
            out.write_str(s).map_err(minijinja::Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    });
    let files = templates.files.clone();
    env.set_loader(move |name| Ok(files.get(name).map(|s| s.to_string())));
    // `name | ident` quotes one name; `(schema, name) | ident` quotes each
    // part of a qualified name (parts that are none or empty are left out)
    // and joins them with dots.
    env.add_filter(
        "ident",
        move |v: &Value| -> Result<String, minijinja::Error> {
            if let Some(s) = v.as_str() {
                return Ok(dialect.ident(s));
            }
            if v.is_undefined() || v.is_none() {
                return Err(minijinja::Error::new(
                    minijinja::ErrorKind::UndefinedError,
                    "`ident` got no value (a misspelt or missing field?); it takes a name or a list of name parts",
                ));
            }
            let mut out = String::new();
            for part in v.try_iter()? {
                if part.is_none() || part.is_undefined() {
                    continue;
                }
                // A string part as it is; anything else as it prints
                // (`Display` costs a formatter, so only when needed).
                let printed;
                let text = match part.as_str() {
                    Some(s) => s,
                    None => {
                        printed = part.to_string();
                        printed.as_str()
                    }
                };
                if text.is_empty() {
                    continue;
                }
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&dialect.ident(text));
            }
            Ok(out)
        },
    );
    env.add_filter("literal", move |s: Option<&str>| match s {
        Some(s) => dialect.literal(s),
        None => "NULL".to_string(),
    });
    env.add_filter("comment", |v: Value| -> Result<Value, minijinja::Error> {
        // Most text needs no change: hand the same value back.
        if let Some(s) = v.as_str()
            && s.trim() == s
            && !s.contains(char::is_control)
        {
            return Ok(v);
        }
        // Anything else converts as an optional string argument would.
        let s = <Option<&str> as minijinja::value::ArgType>::from_value(Some(&v))?;
        Ok(Value::from(comment(s.unwrap_or(""))))
    });
    env.add_filter("dollar_quote", |s: &str| dollar_quote(s));
    // `value | yaml`: a YAML scalar or flow collection; `value |
    // yaml_block(indent)`: a map or list as block YAML (src/odcs/export.rs).
    env.add_filter("yaml", crate::odcs::export::yaml_filter);
    env.add_filter("yaml_block", crate::odcs::export::yaml_block_filter);
    env.add_filter("yaml_text", crate::odcs::export::yaml_text_filter);
    env
}

// ------------------------------------------------------------------ ODCS

impl Templates {
    /// The environment of templates that are not a target's (the ODCS
    /// contracts): no engine, and in `.yaml`/`.yml` templates every
    /// `{{ … }}` is written as a YAML scalar (see `odcs::export`).
    pub fn yaml_environment(&self) -> minijinja::Environment<'static> {
        let mut env = environment(self, None, &BTreeMap::new());
        // A YAML file ends with a newline, and so does each partial.
        env.set_keep_trailing_newline(true);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".yaml") || name.ends_with(".yml") {
                crate::odcs::export::YAML_ESCAPE
            } else {
                minijinja::AutoEscape::None
            }
        });
        env.set_formatter(crate::odcs::export::yaml_formatter);
        env
    }
}

impl Templates {
    /// A template file's text as it is (the docs site's assets).
    pub fn text(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(|s| &**s)
    }

    /// The environment of the docs site: HTML auto-escaping in `.html`
    /// templates, so text from the mesh is escaped wherever it goes.
    pub fn html_environment(&self) -> minijinja::Environment<'static> {
        let mut env = environment(self, None, &BTreeMap::new());
        env.set_keep_trailing_newline(true);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        env
    }
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
