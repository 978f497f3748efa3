//! Policies (SPEC §4): Rego files listed under `governance.policies`,
//! evaluated in-process with regorus once per product.
//!
//! The Mesh's globs list global policies; a Domain's list policies that
//! apply to that domain's products only. Each product is evaluated with
//! `input` = the product, resolved (`Build::product`), and `data.mesh` = a
//! summary of the whole mesh (`Build::mesh`); every package that declares a
//! `deny` rule is queried, and each entry of its `deny` set becomes a
//! diagnostic under the code the policy chose. Both shapes are public
//! interface, documented in the book (book/src/policies.md).
//!
//! Nothing a policy does is fatal: a glob that matches nothing, a file that
//! does not parse, a rule that fails at run time or a malformed `deny` entry
//! is a P000 diagnostic. Problems of a policy (rather than of a product) are
//! reported once per policy, naming the first product they occurred on, so a
//! broken policy does not print ten thousand copies of one message.
//!
//! This is the one place besides `load` that reads mesh files: the policy
//! files, through `load::MeshFiles` (the folder on disk or at a revision),
//! with the walker's rules (inside the root, hidden and build folders never
//! read, symbolic links not followed out of the root).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rayon::prelude::*;

use crate::classify::Classes;
use crate::date::Date;
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::load::files::{self, Kind};
use crate::load::syntax::{AllowEntry, Column, Input, Port, Quality};
use crate::load::{Entry, Loc, MeshFiles, Sp};
use crate::model::{
    ColumnRef, InputTarget, Mesh, Product, ProductId, ResolvedInput, port_columns, port_visibility,
    span_of,
};
use crate::source::{FileId, SourceDb, SourceFile, Span};

/// Largest policy file meshc reads (as for mesh files).
const MAX_POLICY_BYTES: usize = crate::load::parse::MAX_FILE_BYTES;

/// Loads the policies the mesh lists, adds their files to `db`, and
/// evaluates them for every product. The result is unfiltered: the caller
/// applies the rule settings, as for rule findings.
pub fn check(
    mesh: &Mesh,
    classes: &Classes,
    as_of: Date,
    db: &mut SourceDb,
    source: &MeshFiles,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let files = load(mesh, db, source, &mut out);
    if files.files.iter().any(|f| f.parsed) {
        let set = prepare(mesh, as_of, db, files, &mut out);
        out.extend(evaluate(&set, mesh, classes, db));
    }
    out
}

// ---------------------------------------------------------------- loading

/// One policy file.
#[derive(Debug)]
struct PolicyFile {
    file: FileId,
    /// Path relative to the mesh root (also the name regorus knows it by).
    path: String,
    /// The domain that lists it; `None` when the Mesh does.
    domain: Option<String>,
    /// It parsed.
    parsed: bool,
    /// Package components (`["meshc", "policies", "require_tags"]`).
    package: Vec<String>,
    /// It declares a `deny` rule.
    declares_deny: bool,
    /// The `deny` keyword of its first deny rule (or the package line).
    deny_span: Span,
}

impl PolicyFile {
    fn package_name(&self) -> String {
        self.package.join(".")
    }

    /// The rule path of its `deny`, with bracket notation where a package
    /// component is not an identifier.
    fn deny_query(&self) -> String {
        let mut q = String::from("data");
        for c in &self.package {
            if is_ident(c) {
                q.push('.');
                q.push_str(c);
            } else {
                q.push('[');
                q.push_str(&serde_json::to_string(c).unwrap_or_default());
                q.push(']');
            }
        }
        q.push_str(".deny");
        q
    }
}

#[derive(Debug, Default)]
struct Files {
    files: Vec<PolicyFile>,
    /// Files the Mesh lists.
    global: Vec<usize>,
    /// Files each domain lists (not already global), by domain name.
    domains: BTreeMap<String, Vec<usize>>,
}

fn is_ident(s: &str) -> bool {
    let mut b = s.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Expands every glob, reads and parses each file once.
fn load(mesh: &Mesh, db: &mut SourceDb, source: &MeshFiles, out: &mut Vec<Diagnostic>) -> Files {
    let mut listings: Vec<(FileId, &Sp<String>, Option<&str>)> = Vec::new();
    if let Some(root) = &mesh.root
        && let Some(g) = &root.spec.governance
    {
        listings.extend(g.policies.iter().map(|p| (root.file, p, None)));
    }
    for d in &mesh.domains {
        if let Some(g) = &d.spec.governance {
            listings.extend(
                g.policies
                    .iter()
                    .map(|p| (d.file, p, Some(d.name.as_str()))),
            );
        }
    }
    let mut files = Files::default();
    if listings.is_empty() {
        return files;
    }
    let mut by_path: BTreeMap<String, usize> = BTreeMap::new();
    for (listed_in, glob, domain) in listings {
        let base = parent_dir(db.path(listed_in));
        let at = |msg: String, help: &str| {
            let d = Diagnostic::new(Code::P000, msg)
                .with_primary(span_of(listed_in, glob.loc), "")
                .with_help(help.to_string());
            match domain {
                Some(n) => d.in_domain(n),
                None => d,
            }
        };
        let paths = match expand(source, &base, glob.as_str()) {
            Ok(p) => p,
            Err(e) => {
                out.push(at(e.message, e.help));
                continue;
            }
        };
        if paths.is_empty() {
            out.push(at(
                format!("policy glob `{}` matches no .rego file", glob.as_str()),
                "globs are relative to the file that lists them; `*` and `?` stay within a folder, `**` crosses folders; hidden and build folders are never read",
            ));
            continue;
        }
        for (entry, rel) in paths {
            let idx = match by_path.get(&rel) {
                Some(&i) => i,
                None => {
                    let text = match read_policy(source, &entry) {
                        Ok(t) => t,
                        Err(e) => {
                            out.push(at(
                                format!("cannot read policy file {rel}: {e}"),
                                "policy files are UTF-8 text of at most 16 MiB",
                            ));
                            continue;
                        }
                    };
                    let i = files.files.len();
                    files
                        .files
                        .push(parse_file(db, rel.clone(), text, domain, out));
                    by_path.insert(rel, i);
                    i
                }
            };
            match domain {
                None => {
                    if !files.global.contains(&idx) {
                        files.global.push(idx);
                    }
                }
                Some(d) => {
                    let list = files.domains.entry(d.to_string()).or_default();
                    if !list.contains(&idx) {
                        list.push(idx);
                    }
                }
            }
        }
    }
    // A file the Mesh lists applies everywhere already.
    let global: BTreeSet<usize> = files.global.iter().copied().collect();
    for list in files.domains.values_mut() {
        list.retain(|i| !global.contains(i));
    }
    files.domains.retain(|_, l| !l.is_empty());
    files
}

fn parent_dir(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => path[..i].to_string(),
        None => String::new(),
    }
}

fn read_policy(source: &MeshFiles, entry: &Entry) -> Result<String, String> {
    let bytes = source.read(entry).map_err(|e| e.to_string())?;
    if bytes.len() > MAX_POLICY_BYTES {
        return Err(format!(
            "it is {} bytes, above the 16 MiB limit",
            bytes.len()
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not valid UTF-8 (byte {} is not part of a UTF-8 character)",
            e.utf8_error().valid_up_to()
        )
    })
}

struct GlobError {
    message: String,
    help: &'static str,
}

/// The `.rego` files a glob (relative to `base`, a folder relative to the
/// root) matches, sorted, as (file to read, path relative to the root).
fn expand(
    source: &MeshFiles,
    base: &str,
    pattern: &str,
) -> Result<Vec<(Entry, String)>, GlobError> {
    let err = |message: String, help: &'static str| GlobError { message, help };
    if pattern.starts_with('/') || pattern.starts_with('\\') || Path::new(pattern).is_absolute() {
        return Err(err(
            format!("policy glob `{pattern}` is an absolute path"),
            "policy globs are relative to the file that lists them, and policy files live inside the mesh folder",
        ));
    }
    let joined = if base.is_empty() {
        pattern.to_string()
    } else {
        format!("{base}/{pattern}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for c in joined.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(err(
                        format!("policy glob `{pattern}` points outside the mesh folder"),
                        "policy files must live inside the mesh folder",
                    ));
                }
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Err(err(
            format!("policy glob `{pattern}` names no file"),
            "write a glob such as `policies/*.rego`",
        ));
    }
    if parts.iter().any(|c| c.starts_with('.')) {
        return Err(err(
            format!("policy glob `{pattern}` names a hidden file or folder"),
            "hidden files and folders are never read; move the policies to a visible folder",
        ));
    }
    let full = parts.join("/");
    let matcher = globset::GlobBuilder::new(&full)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| {
            err(
                format!("policy glob `{pattern}` is not a valid glob: {}", e.kind()),
                "`*` and `?` match within a folder, `**` across folders, `[abc]` and `{a,b}` alternatives",
            )
        })?
        .compile_matcher();
    let (root, canon_root, skip) = match &source.kind {
        Kind::Disk { canon_root, skip } => (source.root.as_path(), canon_root, skip),
        Kind::Tree { tree, skip } => {
            // The same files as the walk below: `.rego`, matched, outside
            // hidden (never in a tree) and build folders, in path order.
            return Ok(files::tree_files(tree, skip)
                .filter(|(_, rel)| {
                    Path::new(rel).extension().and_then(|x| x.to_str()) == Some("rego")
                        && matcher.is_match(rel)
                })
                .map(|(i, rel)| (Entry::Blob(i), rel.to_string()))
                .collect());
        }
    };
    let literal: Vec<&str> = parts
        .iter()
        .copied()
        .take_while(|c| !c.contains(['*', '?', '[', '{', '\\']))
        .collect();
    // Never enter a symbolically linked folder on the way (the walker does
    // not either); a linked file at the end is judged below.
    let mut start = root.to_path_buf();
    for (i, c) in literal.iter().enumerate() {
        start.push(c);
        let Ok(meta) = std::fs::symlink_metadata(&start) else {
            return Ok(Vec::new());
        };
        if meta.file_type().is_symlink() && i + 1 < parts.len() {
            return Ok(Vec::new());
        }
    }
    let skipped = |p: &Path| {
        p.canonicalize()
            .is_ok_and(|c| skip.iter().any(|s| c.starts_with(s)))
    };
    let mut found = Vec::new();
    let walker = walkdir::WalkDir::new(&start)
        .follow_links(false)
        .follow_root_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let hidden =
                e.depth() > 0 && e.file_name().to_str().is_some_and(|n| n.starts_with('.'));
            let build_folder = e.file_type().is_dir() && skipped(e.path());
            !hidden && !build_folder
        });
    for entry in walker.flatten() {
        let path = entry.path();
        if path.extension().and_then(|x| x.to_str()) != Some("rego") {
            continue;
        }
        let rel = crate::load::rel_path(root, path);
        if !matcher.is_match(&rel) {
            continue;
        }
        let ft = entry.file_type();
        let ok = if ft.is_symlink() {
            // Read a link only when it points at a file inside the root,
            // outside hidden and build folders.
            path.canonicalize().is_ok_and(|t| {
                t.starts_with(canon_root)
                    && t.is_file()
                    && !skip.iter().any(|s| t.starts_with(s))
                    && !t.strip_prefix(canon_root).is_ok_and(|r| {
                        r.components()
                            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
                    })
            })
        } else {
            ft.is_file()
        };
        if ok {
            found.push((Entry::Path(path.to_path_buf()), rel));
        }
    }
    found.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(found)
}

/// Adds a policy file to the source db and parses it on its own (syntax
/// errors are reported here, once per file).
fn parse_file(
    db: &mut SourceDb,
    path: String,
    text: String,
    domain: Option<&str>,
    out: &mut Vec<Diagnostic>,
) -> PolicyFile {
    let id = db.add(SourceFile::new(path.clone(), text));
    let src = db.get(id);
    let mut pf = PolicyFile {
        file: id,
        path: path.clone(),
        domain: domain.map(str::to_string),
        parsed: false,
        package: Vec::new(),
        declares_deny: false,
        deny_span: deny_span(id, src),
    };
    let mut engine = new_engine();
    match engine.add_policy(path.clone(), src.text.clone()) {
        Ok(_) => {
            pf.parsed = true;
            pf.package = engine
                .get_policy_package_components()
                .ok()
                .and_then(|v| v.into_iter().next())
                .map(|p| p.components)
                .unwrap_or_default();
            pf.declares_deny = engine
                .has_declared_rule_rooted_at(&path, "deny")
                .unwrap_or(false);
        }
        Err(e) => {
            let err = RegoError::parse(&e.to_string());
            let d = Diagnostic::new(Code::P000, format!("Rego syntax error: {}", err.message))
                .with_primary(err.span_in(id, src), "")
                .with_help(format!(
                    "the policy {path} is not evaluated until it parses; meshc reads Rego v1 (OPA 1.0)"
                ));
            out.push(match domain {
                Some(n) => d.in_domain(n),
                None => d,
            });
        }
    }
    pf
}

fn new_engine() -> regorus::Engine {
    let mut e = regorus::Engine::new();
    // As OPA by default: a builtin that fails (a bad regex, a string that is
    // not a number) makes its expression undefined rather than failing the
    // whole policy.
    e.set_strict_builtin_errors(false);
    e
}

/// The `deny` keyword of the first rule head named `deny`, or the package
/// line, or the first line: where a finding's related label points.
fn deny_span(file: FileId, src: &SourceFile) -> Span {
    let mut package = None;
    let mut offset = 0;
    for line in src.text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let at = offset + (line.len() - trimmed.len());
        offset += line.len();
        if let Some(rest) = trimmed.strip_prefix("deny")
            && !rest
                .bytes()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            return Span::new(file, at, at + 4);
        }
        if package.is_none() && trimmed.starts_with("package") {
            let end = trimmed.trim_end().len();
            package = Some(Span::new(file, at, at + end));
        }
    }
    package.unwrap_or_else(|| {
        let end = src.text.find('\n').unwrap_or(src.text.len());
        Span::new(file, 0, end)
    })
}

/// A regorus error: `--> path:line:col`, a snippet, `error: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RegoError {
    path: Option<String>,
    line: usize,
    col: usize,
    message: String,
}

impl RegoError {
    fn parse(text: &str) -> RegoError {
        let mut e = RegoError {
            path: None,
            line: 0,
            col: 0,
            message: text.trim().to_string(),
        };
        if let Some(i) = text.find("--> ") {
            let head = text[i + 4..].lines().next().unwrap_or("");
            let mut it = head.rsplitn(3, ':');
            if let (Some(col), Some(line), Some(path)) = (it.next(), it.next(), it.next())
                && let (Ok(col), Ok(line)) = (col.trim().parse(), line.trim().parse())
            {
                e.path = Some(path.to_string());
                e.line = line;
                e.col = col;
            }
        }
        let message = match text.find("\nerror: ") {
            Some(i) => Some(&text[i + 8..]),
            None => text.strip_prefix("error: "),
        };
        if let Some(m) = message {
            // Up to the next location (a recursion error lists the chain).
            let m = m.split("\n-->").next().unwrap_or(m);
            e.message = m.split_whitespace().collect::<Vec<_>>().join(" ");
            e.message = e.message.trim_end_matches(':').to_string();
        }
        e
    }

    /// The span the error names in `src`, or the file's deny/package line.
    fn span_in(&self, file: FileId, src: &SourceFile) -> Span {
        if self.line == 0 {
            return deny_span(file, src);
        }
        let start = src.offset_of(self.line, self.col);
        let line_end = src.line_range(self.line).end;
        let end = if start < line_end {
            // The token at the position: up to the next space or delimiter.
            let rest = &src.text[start..line_end];
            let n = rest
                .char_indices()
                .find(|(_, c)| c.is_whitespace() || "()[]{},;:".contains(*c))
                .map(|(i, _)| i)
                .unwrap_or(rest.len());
            start + n.max(rest.chars().next().map_or(0, char::len_utf8))
        } else {
            start
        };
        Span::new(file, start, end)
    }
}

// ---------------------------------------------------------------- prepare

/// The policies that apply to one set of products: the Mesh's alone, or the
/// Mesh's plus one domain's.
struct Scope {
    engine: regorus::Engine,
    /// `deny` rules to query: (rule path, index of the file that owns it).
    denies: Vec<(String, usize)>,
}

struct PolicySet {
    files: Vec<PolicyFile>,
    /// Scope 0 is the Mesh's policies alone.
    scopes: Vec<Scope>,
    scope_of_domain: BTreeMap<String, usize>,
}

fn prepare(
    mesh: &Mesh,
    as_of: Date,
    db: &SourceDb,
    files: Files,
    out: &mut Vec<Diagnostic>,
) -> PolicySet {
    let data = Build::new().mesh(mesh, as_of);
    let mut reported = BTreeSet::new();
    let mut scopes = vec![build_scope(
        &files.files,
        &files.global,
        db,
        &data,
        &mut reported,
        out,
    )];
    let mut scope_of_domain = BTreeMap::new();
    for (domain, list) in &files.domains {
        let mut all = files.global.clone();
        all.extend(list.iter().copied());
        scope_of_domain.insert(domain.clone(), scopes.len());
        scopes.push(build_scope(
            &files.files,
            &all,
            db,
            &data,
            &mut reported,
            out,
        ));
    }
    PolicySet {
        files: files.files,
        scopes,
        scope_of_domain,
    }
}

/// One engine with the scope's files and `data.mesh`, prepared (compiled)
/// once so that clones evaluate straight away. A file that fails to compile
/// is reported and left out.
fn build_scope(
    files: &[PolicyFile],
    members: &[usize],
    db: &SourceDb,
    data: &regorus::Value,
    reported: &mut BTreeSet<(usize, String)>,
    out: &mut Vec<Diagnostic>,
) -> Scope {
    let mut active: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| files[i].parsed)
        .collect();
    loop {
        let mut engine = new_engine();
        for &i in &active {
            // These parsed on their own already.
            let _ = engine.add_policy(files[i].path.clone(), db.get(files[i].file).text.clone());
        }
        let mut with_mesh = BTreeMap::new();
        with_mesh.insert(regorus::Value::from("mesh"), data.clone());
        let _ = engine.add_data(regorus::Value::from(with_mesh));
        // A query that cannot fail at run time: any error is a compile error.
        match engine.eval_query("true".into(), false) {
            Ok(_) => {
                let mut denies: BTreeMap<String, usize> = BTreeMap::new();
                for &i in &active {
                    if files[i].declares_deny {
                        let q = files[i].deny_query();
                        let owner = denies.entry(q).or_insert(i);
                        if files[i].path < files[*owner].path {
                            *owner = i;
                        }
                    }
                }
                return Scope {
                    engine,
                    denies: denies.into_iter().collect(),
                };
            }
            Err(e) => {
                let err = RegoError::parse(&e.to_string());
                let culprit = err
                    .path
                    .as_ref()
                    .and_then(|p| active.iter().copied().find(|&i| &files[i].path == p));
                let at = culprit.unwrap_or(active[0]);
                let f = &files[at];
                if reported.insert((at, err.message.clone())) {
                    let d = Diagnostic::new(Code::P000, format!("Rego error: {}", err.message))
                        .with_primary(err.span_in(f.file, db.get(f.file)), "")
                        .with_help(format!(
                            "the policy {} is not evaluated until this is fixed",
                            f.path
                        ));
                    out.push(match &f.domain {
                        Some(n) => d.in_domain(n.clone()),
                        None => d,
                    });
                }
                match culprit {
                    Some(i) => active.retain(|&x| x != i),
                    None => active.clear(),
                }
                if active.is_empty() {
                    return Scope {
                        engine: new_engine(),
                        denies: Vec::new(),
                    };
                }
            }
        }
    }
}

// ---------------------------------------------------------------- evaluate

/// What went wrong with a policy (not with a product), reported once per
/// policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Problem {
    Runtime,
    NotASet,
    NotAnObject,
    BadCode,
    BadMsg,
    BadSeverity,
    BadPath,
}

#[derive(Debug)]
struct Occurrence {
    /// Index of the policy file that owns the `deny` rule.
    policy: usize,
    problem: Problem,
    message: String,
    /// Where, when not the policy's deny line (a runtime error's position).
    primary: Option<Span>,
    product: ProductId,
}

#[derive(Default)]
struct ProductResult {
    findings: Vec<Diagnostic>,
    problems: Vec<Occurrence>,
}

fn evaluate(set: &PolicySet, mesh: &Mesh, classes: &Classes, db: &SourceDb) -> Vec<Diagnostic> {
    let ids: Vec<ProductId> = mesh.product_ids().collect();
    let results: Vec<ProductResult> = ids
        .par_iter()
        .map_init(
            || {
                (
                    Build::new(),
                    vec![None::<regorus::Engine>; set.scopes.len()],
                )
            },
            |(build, engines), &pid| {
                let p = mesh.product(pid);
                let si = set
                    .scope_of_domain
                    .get(&p.domain_name)
                    .copied()
                    .unwrap_or(0);
                let scope = &set.scopes[si];
                if scope.denies.is_empty() {
                    return ProductResult::default();
                }
                let engine = engines[si].get_or_insert_with(|| scope.engine.clone());
                engine.set_input(build.product(mesh, classes, db, pid));
                eval_product(set, scope, engine, mesh, db, pid)
            },
        )
        .collect();
    let mut out = Vec::new();
    // Problems of a policy: the first occurrence (in product order) and on
    // how many products it occurred.
    let mut problems: BTreeMap<(usize, Problem), (Occurrence, usize, ProductId)> = BTreeMap::new();
    for r in results {
        out.extend(r.findings);
        for o in r.problems {
            let (pid, key) = (o.product, (o.policy, o.problem));
            let (_, n, last) = problems.entry(key).or_insert((o, 0, pid));
            if *n == 0 || *last != pid {
                *n += 1;
                *last = pid;
            }
        }
    }
    for (_, (o, n, _)) in problems {
        let f = &set.files[o.policy];
        let p = mesh.product(o.product);
        let label = if n == 1 {
            format!("while evaluating `{}`", p.fqn)
        } else {
            format!(
                "while evaluating `{}` (and {} other product{})",
                p.fqn,
                n - 1,
                plural(n - 1)
            )
        };
        let what = if o.problem == Problem::Runtime {
            "failed"
        } else {
            "has a malformed finding"
        };
        let d = Diagnostic::new(
            Code::P000,
            format!("policy `{}` {what}: {}", f.package_name(), o.message),
        )
        .with_primary(o.primary.unwrap_or(f.deny_span), "")
        .with_related(p.span(), label)
        .with_help(problem_help(o.problem, &f.path));
        out.push(match &f.domain {
            Some(n) => d.in_domain(n.clone()),
            None => d,
        });
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn problem_help(p: Problem, path: &str) -> String {
    match p {
        Problem::Runtime => {
            format!("the policy {path} failed at run time; its findings are missing")
        }
        Problem::NotASet => format!(
            "`deny` in {path} must be a set of objects (`deny contains {{...}} if {{...}}`)"
        ),
        Problem::NotAnObject | Problem::BadCode | Problem::BadMsg => format!(
            "each `deny` entry in {path} is an object {{\"code\": \"P001\", \"msg\": \"...\", \"path\": \"spec.outputs[0]\", \"severity\": \"warning\"}}; `code` is P followed by digits (not P000), `msg` a string"
        ),
        Problem::BadSeverity => {
            format!(
                "the finding was reported as an error; `severity` in {path} is error, warning or info"
            )
        }
        Problem::BadPath => format!(
            "the finding was reported at the product's name; a path in {path} names a node of `input`, such as `spec.outputs[0].columns[2]` or `metadata.tags`"
        ),
    }
}

/// Queries every `deny` of the scope for one product (its `input` is set).
fn eval_product(
    set: &PolicySet,
    scope: &Scope,
    engine: &mut regorus::Engine,
    mesh: &Mesh,
    db: &SourceDb,
    pid: ProductId,
) -> ProductResult {
    let mut r = ProductResult::default();
    let p = mesh.product(pid);
    for (query, owner) in &scope.denies {
        let f = &set.files[*owner];
        let problem = |problem: Problem, message: String, primary: Option<Span>| Occurrence {
            policy: *owner,
            problem,
            message,
            primary,
            product: pid,
        };
        let value = match engine.eval_rule(query.clone()) {
            Ok(v) => v,
            Err(e) => {
                let err = RegoError::parse(&e.to_string());
                let primary = err.path.as_ref().and_then(|path| {
                    set.files
                        .iter()
                        .find(|x| &x.path == path)
                        .map(|x| err.span_in(x.file, db.get(x.file)))
                });
                r.problems
                    .push(problem(Problem::Runtime, err.message, primary));
                continue;
            }
        };
        let entries: Vec<serde_json::Value> = match &value {
            regorus::Value::Undefined => continue,
            regorus::Value::Set(_) | regorus::Value::Array(_) => {
                match serde_json::to_value(&value) {
                    Ok(serde_json::Value::Array(a)) => a,
                    _ => continue,
                }
            }
            _ => {
                r.problems.push(problem(
                    Problem::NotASet,
                    "`deny` is not a set".into(),
                    None,
                ));
                continue;
            }
        };
        for entry in entries {
            let serde_json::Value::Object(obj) = entry else {
                r.problems.push(problem(
                    Problem::NotAnObject,
                    format!("deny entry {} is not an object", short(&entry)),
                    None,
                ));
                continue;
            };
            let code = match obj.get("code") {
                Some(serde_json::Value::String(c)) if valid_code(c) => c.clone(),
                other => {
                    let message = match other {
                        None => "deny entry without a valid code".to_string(),
                        Some(v) => {
                            format!("deny entry without a valid code (`code` is {})", short(v))
                        }
                    };
                    r.problems.push(problem(Problem::BadCode, message, None));
                    continue;
                }
            };
            let Some(serde_json::Value::String(msg)) = obj.get("msg") else {
                r.problems.push(problem(
                    Problem::BadMsg,
                    format!("deny entry {code} without a `msg` string"),
                    None,
                ));
                continue;
            };
            let severity = match obj.get("severity") {
                None => Severity::Error,
                Some(v) => match v.as_str().and_then(Severity::parse) {
                    Some(s) => s,
                    None => {
                        r.problems.push(problem(
                            Problem::BadSeverity,
                            format!("deny entry {code} has an unknown severity {}", short(v)),
                            None,
                        ));
                        Severity::Error
                    }
                },
            };
            let loc = match obj.get("path") {
                None => p.metadata.name.loc,
                Some(serde_json::Value::String(path)) => {
                    match parse_path(path).and_then(|segs| locate(mesh, p, &segs)) {
                        Some(loc) => loc,
                        None => {
                            r.problems.push(problem(
                                Problem::BadPath,
                                format!(
                                    "deny entry {code}: path `{path}` names nothing in `{}`",
                                    p.fqn
                                ),
                                None,
                            ));
                            p.metadata.name.loc
                        }
                    }
                }
                Some(other) => {
                    r.problems.push(problem(
                        Problem::BadPath,
                        format!("deny entry {code}: path {} is not a string", short(other)),
                        None,
                    ));
                    p.metadata.name.loc
                }
            };
            let mut d = Diagnostic::new(Code::P000, msg.clone())
                .with_primary(span_of(p.file, loc), "")
                .with_related(
                    f.deny_span,
                    format!("denied by policy `{}`", f.package_name()),
                )
                .with_help(format!("reported by the policy {}", f.path))
                .in_domain(p.domain_name.clone());
            d.severity = severity;
            d.policy_code = Some(code);
            r.findings.push(d);
        }
    }
    r
}

/// A value as JSON, cut short for a message.
fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

/// `P` and digits, not all zero (P000 is meshc's own code for policies
/// that fail).
fn valid_code(c: &str) -> bool {
    c.strip_prefix('P').is_some_and(|d| {
        !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) && d.bytes().any(|b| b != b'0')
    })
}

// ---------------------------------------------------------------- paths

/// One step of a `path`: a field name or a list index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// `spec.outputs[0].columns[2]` → [spec, outputs, 0, columns, 2].
fn parse_path(s: &str) -> Option<Vec<Seg<'_>>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut want_key = true;
    while i < b.len() {
        if want_key {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            if i == start {
                return None;
            }
            out.push(Seg::Key(&s[start..i]));
            want_key = false;
        } else if b[i] == b'.' {
            i += 1;
            want_key = true;
        } else if b[i] == b'[' {
            let end = i + 1 + s[i + 1..].find(']')?;
            let digits = &s[i + 1..end];
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            out.push(Seg::Index(digits.parse().ok()?));
            i = end + 1;
        } else {
            return None;
        }
    }
    if want_key {
        return None;
    }
    Some(out)
}

fn known(loc: Loc, fallback: Loc) -> Loc {
    loc.or(fallback)
}

fn opt<T>(o: &Option<Sp<T>>, fallback: Loc) -> Loc {
    o.as_ref().map_or(fallback, |v| known(v.loc, fallback))
}

/// A list of scalars: the list (its first item), or one item.
fn list<T>(v: &[Sp<T>], rest: &[Seg], fallback: Loc) -> Option<Loc> {
    match rest {
        [] => Some(v.first().map_or(fallback, |x| known(x.loc, fallback))),
        [Seg::Index(i)] => v.get(*i).map(|x| known(x.loc, fallback)),
        _ => None,
    }
}

/// A list that may be omitted (omitted = "all").
fn opt_list<T>(v: &Option<Vec<Sp<T>>>, rest: &[Seg], fallback: Loc) -> Option<Loc> {
    match v {
        Some(v) => list(v, rest, fallback),
        None => rest.is_empty().then_some(fallback),
    }
}

/// A list of objects: the list, one item, or a field below an item. An
/// item is shown by its identifying scalar (`head`: a port's name, an
/// input's product), which is also where its unwritten fields fall back to.
fn items<'a, T>(
    v: &'a [Sp<T>],
    rest: &[Seg],
    fallback: Loc,
    head: impl Fn(&T, Loc) -> Loc,
    below: impl Fn(usize, &'a Sp<T>, &[Seg], Loc) -> Option<Loc>,
) -> Option<Loc> {
    let at = |x: &Sp<T>| head(&x.value, known(x.loc, fallback));
    match rest {
        [] => Some(v.first().map_or(fallback, at)),
        [Seg::Index(i), r @ ..] => {
            let x = v.get(*i)?;
            let here = at(x);
            if r.is_empty() {
                Some(here)
            } else {
                below(*i, x, r, here)
            }
        }
        _ => None,
    }
}

const COLUMN_KEYS: &[&str] = &[
    "name",
    "type",
    "nullable",
    "description",
    "classification",
    "effectiveClassification",
    "masking",
    "derivedFrom",
    "fqn",
];

const PRODUCER_KEYS: &[&str] = &[
    "kind",
    "fqn",
    "domain",
    "owner",
    "version",
    "status",
    "port",
    "visibility",
    "type",
    "table",
];

/// The YAML node a path names in a product's file: a field of `input` the
/// product does not write falls back to the nearest node it does write;
/// `None` when the path names nothing `input` can hold (an unknown field,
/// an index past the end of a list).
fn locate(mesh: &Mesh, p: &Product, segs: &[Seg]) -> Option<Loc> {
    let name = p.metadata.name.loc;
    match segs {
        [Seg::Key("fqn" | "file")] => Some(name),
        [Seg::Key("metadata"), rest @ ..] => {
            let m = &p.metadata;
            // The mapping is shown by its name.
            let here = name;
            match rest {
                [] => Some(here),
                [Seg::Key("name")] => Some(known(m.name.loc, here)),
                [Seg::Key("domain")] => Some(opt(&m.domain, here)),
                [Seg::Key("title")] => Some(opt(&m.title, here)),
                [Seg::Key("description")] => Some(opt(&m.description, here)),
                [Seg::Key("owner")] => Some(opt(&m.owner, here)),
                [Seg::Key("tags"), r @ ..] => list(&m.tags, r, here),
                _ => None,
            }
        }
        [Seg::Key("spec"), rest @ ..] => locate_spec(mesh, p, rest, name),
        _ => None,
    }
}

fn locate_spec(mesh: &Mesh, p: &Product, rest: &[Seg], here: Loc) -> Option<Loc> {
    let s = &p.spec;
    match rest {
        [] => Some(here),
        [Seg::Key("version")] => Some(opt(&s.version, here)),
        [Seg::Key("status")] => Some(opt(&s.status, here)),
        [Seg::Key("deprecation"), r @ ..] => {
            let at = opt(&s.deprecation, here);
            let dep = s.deprecation.as_ref();
            match r {
                [] => Some(at),
                [Seg::Key("sunset")] => Some(dep.map_or(at, |d| opt(&d.sunset, at))),
                [Seg::Key("replacedBy")] => Some(dep.map_or(at, |d| opt(&d.replaced_by, at))),
                _ => None,
            }
        }
        [Seg::Key("inputs"), r @ ..] => items(
            &s.inputs,
            r,
            here,
            |i, at| {
                i.product
                    .as_ref()
                    .or(i.source.as_ref())
                    .map_or(at, |n| known(n.loc, at))
            },
            |i, input, r, at| locate_input(mesh, p, i, input, r, at),
        ),
        [Seg::Key("outputs"), r @ ..] => items(
            &s.outputs,
            r,
            here,
            |port, at| known(port.name.loc, at),
            |_, port, r, at| locate_port(port, r, at),
        ),
        [Seg::Key("access"), r @ ..] => {
            let allow: &[Sp<AllowEntry>] = s.access.as_ref().map_or(&[], |a| &a.allow);
            let head = |a: &AllowEntry, at: Loc| {
                a.team
                    .as_ref()
                    .or(a.product.as_ref())
                    .map_or(at, |n| known(n.loc, at))
            };
            match r {
                [] => items(allow, r, here, head, |_, _, _, _| None),
                [Seg::Key("allow"), r @ ..] => {
                    items(allow, r, here, head, |_, a, r, at| locate_allow(a, r, at))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn locate_input(
    mesh: &Mesh,
    p: &Product,
    index: usize,
    input: &Input,
    rest: &[Seg],
    here: Loc,
) -> Option<Loc> {
    let resolved = p.inputs.iter().find(|r| r.index == index);
    match rest {
        [Seg::Key("product")] => Some(opt(&input.product, here)),
        [Seg::Key("source")] => Some(opt(&input.source, here)),
        [Seg::Key("port")] => Some(opt(&input.port, here)),
        [Seg::Key("version")] => Some(opt(&input.version, here)),
        [Seg::Key("purpose")] => Some(opt(&input.purpose, here)),
        [Seg::Key("columns"), r @ ..] => opt_list(&input.columns, r, here),
        [Seg::Key("from")] => resolved.map(|_| here),
        [Seg::Key("producer")] => resolved.map(|_| here),
        [Seg::Key("producer"), Seg::Key(k)] if PRODUCER_KEYS.contains(k) => resolved.map(|_| here),
        [Seg::Key("consumedColumns"), r @ ..] => {
            let consumed = consumed(mesh, resolved?);
            match r {
                [] => Some(here),
                [Seg::Index(j), r @ ..] => {
                    let (_, col) = consumed.get(*j)?;
                    let ok = match r {
                        [] => true,
                        [Seg::Key(k)] => COLUMN_KEYS.contains(k),
                        [Seg::Key("derivedFrom"), Seg::Index(k)] => *k < col.derived_from.len(),
                        _ => false,
                    };
                    if !ok {
                        return None;
                    }
                    // The consumed column as the input names it, if it does.
                    let named = input
                        .columns
                        .iter()
                        .flatten()
                        .find(|c| c.as_str() == col.name.as_str());
                    Some(named.map_or(here, |c| known(c.loc, here)))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn locate_port(port: &Port, rest: &[Seg], here: Loc) -> Option<Loc> {
    match rest {
        [Seg::Key("name")] => Some(known(port.name.loc, here)),
        [Seg::Key("fqn")] => Some(here),
        [Seg::Key("type")] => Some(opt(&port.port_type, here)),
        [Seg::Key("visibility")] => Some(opt(&port.visibility, here)),
        [Seg::Key("description")] => Some(opt(&port.description, here)),
        [Seg::Key("contract")] => Some(opt(&port.contract, here)),
        [Seg::Key("query")] => Some(opt(&port.query, here)),
        [Seg::Key("primaryKey"), r @ ..] => list(&port.primary_key, r, here),
        [Seg::Key("columns"), r @ ..] => items(
            port_columns(port),
            r,
            here,
            |c, at| known(c.name.loc, at),
            |_, c, r, at| locate_column(c, r, at),
        ),
        [Seg::Key("quality"), r @ ..] => items(
            &port.quality,
            r,
            here,
            |q, at| known(q.check.loc, at),
            |_, q, r, at| locate_quality(q, r, at),
        ),
        [Seg::Key("sla"), r @ ..] => {
            let at = opt(&port.sla, here);
            let sla = port.sla.as_ref();
            match r {
                [] => Some(at),
                [Seg::Key("freshness")] => Some(sla.map_or(at, |s| opt(&s.freshness, at))),
                [Seg::Key("availability")] => Some(sla.map_or(at, |s| opt(&s.availability, at))),
                [Seg::Key("retention")] => Some(sla.map_or(at, |s| opt(&s.retention, at))),
                _ => None,
            }
        }
        _ => None,
    }
}

fn locate_column(c: &Column, rest: &[Seg], here: Loc) -> Option<Loc> {
    match rest {
        [Seg::Key("name")] => Some(known(c.name.loc, here)),
        [Seg::Key("type")] => Some(known(c.column_type.loc, here)),
        [Seg::Key("fqn")] => Some(here),
        [Seg::Key("nullable")] => Some(opt(&c.nullable, here)),
        [Seg::Key("description")] => Some(opt(&c.description, here)),
        [Seg::Key("classification" | "effectiveClassification")] => {
            Some(opt(&c.classification, here))
        }
        [Seg::Key("masking")] => Some(opt(&c.masking, here)),
        [Seg::Key("derivedFrom"), r @ ..] => list(&c.derived_from, r, here),
        _ => None,
    }
}

fn locate_quality(q: &Quality, rest: &[Seg], here: Loc) -> Option<Loc> {
    match rest {
        [Seg::Key("type")] => Some(known(q.check.loc, here)),
        [Seg::Key("column")] => Some(opt(&q.column, here)),
        [Seg::Key("columns"), r @ ..] => list(&q.columns, r, here),
        [Seg::Key("values"), r @ ..] => list(&q.values, r, here),
        [Seg::Key("maxAge")] => Some(opt(&q.max_age, here)),
        [Seg::Key("min")] => Some(opt(&q.min, here)),
        [Seg::Key("max")] => Some(opt(&q.max, here)),
        [Seg::Key("description")] => Some(opt(&q.description, here)),
        _ => None,
    }
}

fn locate_allow(a: &AllowEntry, rest: &[Seg], here: Loc) -> Option<Loc> {
    match rest {
        [Seg::Key("team")] => Some(opt(&a.team, here)),
        [Seg::Key("product")] => Some(opt(&a.product, here)),
        [Seg::Key("ports"), r @ ..] => opt_list(&a.ports, r, here),
        [Seg::Key("columns"), r @ ..] => opt_list(&a.columns, r, here),
        [Seg::Key("purpose")] => Some(opt(&a.purpose, here)),
        [Seg::Key("expires")] => Some(opt(&a.expires, here)),
        [Seg::Key("unmasked"), r @ ..] => list(&a.unmasked, r, here),
        _ => None,
    }
}

// ---------------------------------------------------------------- input

/// The columns an input consumes: those it lists, or all of its target's.
fn consumed<'m>(mesh: &'m Mesh, r: &ResolvedInput) -> Vec<(ColumnRef, &'m Column)> {
    let all: Vec<(ColumnRef, &Column)> = match r.target {
        InputTarget::Port { product, port } => {
            port_columns(&mesh.product(product).spec.outputs[port])
                .iter()
                .enumerate()
                .map(|(column, c)| {
                    (
                        ColumnRef::Port {
                            product,
                            port,
                            column,
                        },
                        &c.value,
                    )
                })
                .collect()
        }
        InputTarget::Table { source, table } => mesh.source(source).spec.tables[table]
            .columns
            .iter()
            .enumerate()
            .map(|(column, c)| {
                (
                    ColumnRef::Table {
                        source,
                        table,
                        column,
                    },
                    &c.value,
                )
            })
            .collect(),
    };
    match &r.columns {
        None => all,
        Some(idx) => idx.iter().filter_map(|&i| all.get(i).copied()).collect(),
    }
}

macro_rules! keys {
    ($($id:ident = $s:literal,)*) => {
        /// Every object key of `input` and `data.mesh`.
        #[derive(Debug, Clone, Copy)]
        #[allow(non_camel_case_types)]
        enum K { $($id,)* }
        const KEY_NAMES: &[&str] = &[$($s,)*];
    };
}

keys! {
    access = "access",
    allow = "allow",
    as_of = "asOf",
    availability = "availability",
    chat = "chat",
    check_type = "type",
    classification = "classification",
    classifications = "classifications",
    column = "column",
    columns = "columns",
    consumed_columns = "consumedColumns",
    contract = "contract",
    deprecation = "deprecation",
    derived_from = "derivedFrom",
    description = "description",
    domain = "domain",
    domains = "domains",
    effective_classification = "effectiveClassification",
    email = "email",
    expires = "expires",
    file = "file",
    fqn = "fqn",
    freshness = "freshness",
    from = "from",
    inputs = "inputs",
    kind = "kind",
    masking = "masking",
    max = "max",
    max_age = "maxAge",
    members = "members",
    metadata = "metadata",
    min = "min",
    name = "name",
    nullable = "nullable",
    outputs = "outputs",
    owner = "owner",
    port = "port",
    ports = "ports",
    primary_key = "primaryKey",
    product = "product",
    producer = "producer",
    products = "products",
    purpose = "purpose",
    quality = "quality",
    query = "query",
    replaced_by = "replacedBy",
    retention = "retention",
    sla = "sla",
    source = "source",
    sources = "sources",
    spec = "spec",
    status = "status",
    sunset = "sunset",
    table = "table",
    tables = "tables",
    tags = "tags",
    team = "team",
    teams = "teams",
    title = "title",
    unmasked = "unmasked",
    values = "values",
    version = "version",
    visibility = "visibility",
}

/// The values of the model's enums, in rough order of frequency.
const LITERALS: &[&str] = &[
    "none",
    "hash",
    "redact",
    "nullify",
    "table",
    "view",
    "stream",
    "file",
    "public",
    "domain",
    "restricted",
    "active",
    "draft",
    "deprecated",
    "retired",
    "not_null",
    "unique",
    "accepted_values",
    "freshness",
    "row_count",
    "product",
    "source",
];

/// Builds regorus values straight from the model. (Going through JSON text
/// instead cost more than evaluating typical policies: at 10,000 products
/// that is some 180 MB of JSON written and parsed again.)
struct Build {
    /// One reference-counted string per key, cloned into every object.
    keys: Vec<regorus::Value>,
    /// The values of the model's enums (`none`, `public`, `table`, …) and
    /// the empty list, shared instead of allocated once per column.
    literals: Vec<(&'static str, V)>,
    empty: V,
    /// Scratch space for FQNs.
    buf: std::cell::RefCell<String>,
}

type V = regorus::Value;

impl Build {
    fn new() -> Self {
        Build {
            keys: KEY_NAMES.iter().map(|k| V::from(*k)).collect(),
            literals: LITERALS.iter().map(|l| (*l, V::from(*l))).collect(),
            empty: V::from(Vec::new()),
            buf: Default::default(),
        }
    }

    /// `a.b`, without an intermediate `String`.
    fn join(&self, a: &str, b: &str) -> V {
        let mut buf = self.buf.borrow_mut();
        buf.clear();
        buf.push_str(a);
        buf.push('.');
        buf.push_str(b);
        V::from(buf.as_str())
    }

    /// A value of one of the model's enums.
    fn lit(&self, s: &'static str) -> V {
        match self.literals.iter().find(|(l, _)| *l == s) {
            Some((_, v)) => v.clone(),
            None => V::from(s),
        }
    }

    /// An object of the fields that are present.
    fn obj(&self, fields: impl IntoIterator<Item = (K, Option<V>)>) -> V {
        let map: BTreeMap<V, V> = fields
            .into_iter()
            .filter_map(|(k, v)| Some((self.keys[k as usize].clone(), v?)))
            .collect();
        V::from(map)
    }

    fn str(&self, s: &str) -> V {
        V::from(s)
    }

    fn opt(&self, o: &Option<Sp<String>>) -> Option<V> {
        o.as_ref().map(|v| V::from(v.as_str()))
    }

    fn strs(&self, v: &[Sp<String>]) -> V {
        if v.is_empty() {
            return self.empty.clone();
        }
        V::from(v.iter().map(|x| V::from(x.as_str())).collect::<Vec<_>>())
    }

    fn list(&self, v: impl IntoIterator<Item = V>) -> V {
        let v: Vec<V> = v.into_iter().collect();
        if v.is_empty() {
            return self.empty.clone();
        }
        V::from(v)
    }

    fn column(&self, mesh: &Mesh, classes: &Classes, owner: &str, at: ColumnRef, c: &Column) -> V {
        let declared = c.classification.as_ref().map(|v| v.as_str());
        let effective = classes
            .effective(at)
            .and_then(|r| mesh.classifications.get(r))
            .map(String::as_str)
            .or(declared);
        self.obj([
            (K::name, Some(self.str(&c.name))),
            (K::fqn, Some(self.join(owner, &c.name))),
            (K::check_type, Some(self.str(&c.column_type))),
            (
                K::nullable,
                Some(V::from(c.nullable.as_ref().is_none_or(|n| n.value))),
            ),
            (K::description, self.opt(&c.description)),
            (K::classification, declared.map(V::from)),
            (K::effective_classification, effective.map(V::from)),
            (
                K::masking,
                Some(self.lit(c.masking.as_ref().map_or("none", |m| m.as_str()))),
            ),
            (K::derived_from, Some(self.strs(&c.derived_from))),
        ])
    }

    fn producer(&self, mesh: &Mesh, target: InputTarget) -> V {
        match target {
            InputTarget::Port { product, port } => {
                let q = mesh.product(product);
                let port = &q.spec.outputs[port];
                self.obj([
                    (K::kind, Some(self.lit("product"))),
                    (K::fqn, Some(self.str(&q.fqn))),
                    (K::domain, Some(self.str(&q.domain_name))),
                    (K::owner, self.opt(&q.metadata.owner)),
                    (K::version, self.opt(&q.spec.version)),
                    (K::status, Some(self.lit(q.status().as_str()))),
                    (K::port, Some(self.str(&port.name))),
                    (
                        K::visibility,
                        Some(self.lit(port_visibility(port).as_str())),
                    ),
                    (K::check_type, Some(self.lit(port_type(port)))),
                ])
            }
            InputTarget::Table { source, table } => {
                let src = mesh.source(source);
                self.obj([
                    (K::kind, Some(self.lit("source"))),
                    (K::fqn, Some(self.str(&src.fqn))),
                    (K::domain, Some(self.str(&src.domain_name))),
                    (K::owner, self.opt(&src.metadata.owner)),
                    (K::table, Some(self.str(&src.spec.tables[table].name))),
                ])
            }
        }
    }

    fn input(&self, mesh: &Mesh, classes: &Classes, p: &Product, i: usize, input: &Input) -> V {
        let resolved = p.inputs.iter().find(|r| r.index == i);
        let from = resolved.map(|r| mesh.target_fqn(r.target));
        self.obj([
            (K::product, self.opt(&input.product)),
            (K::source, self.opt(&input.source)),
            (K::port, self.opt(&input.port)),
            (K::version, self.opt(&input.version)),
            (K::columns, input.columns.as_ref().map(|c| self.strs(c))),
            (K::purpose, self.opt(&input.purpose)),
            (K::producer, resolved.map(|r| self.producer(mesh, r.target))),
            (
                K::consumed_columns,
                resolved.zip(from.as_deref()).map(|(r, from)| {
                    self.list(
                        consumed(mesh, r)
                            .into_iter()
                            .map(|(at, c)| self.column(mesh, classes, from, at, c)),
                    )
                }),
            ),
            (K::from, from.map(V::from)),
        ])
    }

    fn quality(&self, q: &Quality) -> V {
        self.obj([
            (K::check_type, Some(self.lit(q.check.as_str()))),
            (K::column, self.opt(&q.column)),
            (K::columns, Some(self.strs(&q.columns))),
            (
                K::values,
                Some(self.list(q.values.iter().map(|v| V::from(v.value.clone())))),
            ),
            (K::max_age, self.opt(&q.max_age)),
            (K::min, q.min.as_ref().map(|v| V::from(v.value))),
            (K::max, q.max.as_ref().map(|v| V::from(v.value))),
            (K::description, self.opt(&q.description)),
        ])
    }

    fn port(&self, mesh: &Mesh, classes: &Classes, pid: ProductId, pi: usize, port: &Port) -> V {
        let p = mesh.product(pid);
        let fqn = format!("{}.{}", p.fqn, port.name.as_str());
        let columns = port_columns(port).iter().enumerate().map(|(ci, c)| {
            let at = ColumnRef::Port {
                product: pid,
                port: pi,
                column: ci,
            };
            self.column(mesh, classes, &fqn, at, c)
        });
        self.obj([
            (K::name, Some(self.str(&port.name))),
            (K::check_type, Some(self.lit(port_type(port)))),
            (
                K::visibility,
                Some(self.lit(port_visibility(port).as_str())),
            ),
            (K::description, self.opt(&port.description)),
            (K::primary_key, Some(self.strs(&port.primary_key))),
            (K::columns, Some(self.list(columns))),
            (
                K::quality,
                Some(self.list(port.quality.iter().map(|q| self.quality(q)))),
            ),
            (
                K::sla,
                port.sla.as_ref().map(|x| {
                    self.obj([
                        (K::freshness, self.opt(&x.freshness)),
                        (K::availability, self.opt(&x.availability)),
                        (K::retention, self.opt(&x.retention)),
                    ])
                }),
            ),
            (K::contract, self.opt(&port.contract)),
            (K::query, self.opt(&port.query)),
            (K::fqn, Some(V::from(fqn))),
        ])
    }

    fn allow(&self, e: &AllowEntry) -> V {
        self.obj([
            (K::team, self.opt(&e.team)),
            (K::product, self.opt(&e.product)),
            (K::ports, e.ports.as_ref().map(|v| self.strs(v))),
            (K::columns, e.columns.as_ref().map(|v| self.strs(v))),
            (K::purpose, self.opt(&e.purpose)),
            (K::expires, self.opt(&e.expires)),
            (K::unmasked, Some(self.strs(&e.unmasked))),
        ])
    }

    /// `input` for one product (the shape is in the book).
    fn product(&self, mesh: &Mesh, classes: &Classes, db: &SourceDb, pid: ProductId) -> V {
        let p = mesh.product(pid);
        let spec = &p.spec;
        let m = &p.metadata;
        let allow: &[Sp<AllowEntry>] = spec.access.as_ref().map_or(&[], |a| &a.allow);
        self.obj([
            (K::fqn, Some(self.str(&p.fqn))),
            (K::file, Some(self.str(db.path(p.file)))),
            (
                K::metadata,
                Some(self.obj([
                    (K::name, Some(self.str(&p.name))),
                    (K::domain, Some(self.str(&p.domain_name))),
                    (K::title, self.opt(&m.title)),
                    (K::description, self.opt(&m.description)),
                    (K::owner, self.opt(&m.owner)),
                    (K::tags, Some(self.strs(&m.tags))),
                ])),
            ),
            (
                K::spec,
                Some(
                    self.obj([
                        (K::version, self.opt(&spec.version)),
                        (K::status, Some(self.lit(p.status().as_str()))),
                        (
                            K::deprecation,
                            spec.deprecation.as_ref().map(|d| {
                                self.obj([
                                    (K::sunset, self.opt(&d.sunset)),
                                    (K::replaced_by, self.opt(&d.replaced_by)),
                                ])
                            }),
                        ),
                        (
                            K::inputs,
                            Some(
                                self.list(
                                    spec.inputs
                                        .iter()
                                        .enumerate()
                                        .map(|(i, input)| self.input(mesh, classes, p, i, input)),
                                ),
                            ),
                        ),
                        (
                            K::outputs,
                            Some(
                                self.list(
                                    spec.outputs
                                        .iter()
                                        .enumerate()
                                        .map(|(pi, port)| self.port(mesh, classes, pid, pi, port)),
                                ),
                            ),
                        ),
                        (
                            K::access,
                            Some(self.obj([(
                                K::allow,
                                Some(self.list(allow.iter().map(|e| self.allow(e)))),
                            )])),
                        ),
                    ]),
                ),
            ),
        ])
    }

    /// `data.mesh` (the shape is in the book).
    fn mesh(&self, mesh: &Mesh, as_of: Date) -> V {
        let mut by_domain: BTreeMap<&str, Vec<V>> = BTreeMap::new();
        for (fqn, &pid) in &mesh.product_by_fqn {
            by_domain
                .entry(mesh.product(pid).domain_name.as_str())
                .or_default()
                .push(self.str(fqn));
        }
        let domains: BTreeMap<V, V> = mesh
            .domains
            .iter()
            .map(|d| {
                let products = by_domain.remove(d.name.as_str()).unwrap_or_default();
                (
                    self.str(&d.name),
                    self.obj([
                        (K::title, self.opt(&d.metadata.title)),
                        (K::owner, self.opt(&d.metadata.owner)),
                        (K::tags, Some(self.strs(&d.metadata.tags))),
                        (K::products, Some(V::from(products))),
                    ]),
                )
            })
            .collect();
        let teams: BTreeMap<V, V> = mesh
            .teams
            .iter()
            .map(|t| {
                let c = t.spec.contact.as_ref();
                (
                    self.str(&t.name),
                    self.obj([
                        (K::title, self.opt(&t.metadata.title)),
                        (K::email, c.and_then(|c| self.opt(&c.email))),
                        (K::chat, c.and_then(|c| self.opt(&c.chat))),
                        (K::members, Some(self.strs(&t.spec.members))),
                    ]),
                )
            })
            .collect();
        let sources: BTreeMap<V, V> = mesh
            .sources
            .iter()
            .map(|src| {
                (
                    self.str(&src.fqn),
                    self.obj([
                        (K::domain, Some(self.str(&src.domain_name))),
                        (K::owner, self.opt(&src.metadata.owner)),
                        (
                            K::tables,
                            Some(self.list(src.spec.tables.iter().map(|t| self.str(&t.name)))),
                        ),
                    ]),
                )
            })
            .collect();
        let products: BTreeMap<V, V> =
            mesh.product_by_fqn
                .iter()
                .map(|(fqn, &pid)| {
                    let p = mesh.product(pid);
                    let ports: BTreeMap<V, V> = p
                        .spec
                        .outputs
                        .iter()
                        .map(|port| {
                            (
                                self.str(&port.name),
                                self.obj([
                                    (K::check_type, Some(self.lit(port_type(port)))),
                                    (
                                        K::visibility,
                                        Some(self.lit(port_visibility(port).as_str())),
                                    ),
                                ]),
                            )
                        })
                        .collect();
                    (
                        self.str(fqn),
                        self.obj([
                            (K::name, Some(self.str(&p.name))),
                            (K::domain, Some(self.str(&p.domain_name))),
                            (K::owner, self.opt(&p.metadata.owner)),
                            (K::version, self.opt(&p.spec.version)),
                            (K::status, Some(self.lit(p.status().as_str()))),
                            (K::tags, Some(self.strs(&p.metadata.tags))),
                            (K::ports, Some(V::from(ports))),
                            (
                                K::inputs,
                                Some(self.list(
                                    p.inputs.iter().map(|r| V::from(mesh.target_fqn(r.target))),
                                )),
                            ),
                        ]),
                    )
                })
                .collect();
        self.obj([
            (
                K::name,
                mesh.root.as_ref().map(|r| self.str(&r.metadata.name)),
            ),
            (K::as_of, Some(V::from(as_of.to_string()))),
            (
                K::classifications,
                Some(self.list(mesh.classifications.iter().map(|c| self.str(c)))),
            ),
            (K::domains, Some(V::from(domains))),
            (K::teams, Some(V::from(teams))),
            (K::sources, Some(V::from(sources))),
            (K::products, Some(V::from(products))),
        ])
    }
}

fn port_type(port: &Port) -> &'static str {
    port.port_type.as_ref().map_or("table", |t| t.as_str())
}

/// `input` for one product as JSON (for tests and debugging).
#[cfg(test)]
fn input_json(mesh: &Mesh, classes: &Classes, db: &SourceDb, pid: ProductId) -> String {
    Build::new()
        .product(mesh, classes, db, pid)
        .to_json_str()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse() {
        assert_eq!(
            parse_path("spec.outputs[0].columns[12]"),
            Some(vec![
                Seg::Key("spec"),
                Seg::Key("outputs"),
                Seg::Index(0),
                Seg::Key("columns"),
                Seg::Index(12)
            ])
        );
        assert_eq!(parse_path("metadata"), Some(vec![Seg::Key("metadata")]));
        for bad in [
            "", ".", "spec.", "spec..x", "spec[x]", "spec[]", "spec[-1]", "[0]", "a b",
        ] {
            assert_eq!(parse_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn codes() {
        assert!(valid_code("P001"));
        assert!(valid_code("P1"));
        assert!(!valid_code("P000"));
        assert!(!valid_code("P"));
        assert!(!valid_code("G301"));
        assert!(!valid_code("P01a"));
    }

    #[test]
    fn rego_errors_parse() {
        let e = RegoError::parse(
            "\n--> policies/x.rego:5:5\n  |\n5 |   x := \n  |     ^\nerror: expecting `}` while parsing set",
        );
        assert_eq!(e.path.as_deref(), Some("policies/x.rego"));
        assert_eq!((e.line, e.col), (5, 5));
        assert_eq!(e.message, "expecting `}` while parsing set");
        let e = RegoError::parse(
            "\n--> p/x.rego:3:1\n  |\n3 | a if b\n  | ^\nerror: recursion detected when evaluating rule:\n--> p/x.rego:5:1\n  |\n5 | deny contains 1 if a\n  | ^\ndepends on: cyclic evaluation",
        );
        assert_eq!((e.line, e.col), (3, 1));
        assert_eq!(e.message, "recursion detected when evaluating rule");
        let e = RegoError::parse("not a valid rule path");
        assert_eq!(e.path, None);
        assert_eq!(e.message, "not a valid rule path");
    }

    #[test]
    fn package_queries() {
        let mut f = PolicyFile {
            file: FileId(0),
            path: String::new(),
            domain: None,
            parsed: true,
            package: vec!["meshc".into(), "policies".into(), "tags".into()],
            declares_deny: true,
            deny_span: Span::new(FileId(0), 0, 0),
        };
        assert_eq!(f.deny_query(), "data.meshc.policies.tags.deny");
        f.package = vec!["a".into(), "b.c".into()];
        assert_eq!(f.deny_query(), "data.a[\"b.c\"].deny");
    }

    fn fixture(case: &str) -> crate::Checked {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/check")
            .join(case);
        let as_of = crate::date::Date::parse("2026-11-25").expect("date");
        crate::check(&dir, &[], as_of).expect("fixture")
    }

    fn line_of(checked: &crate::Checked, p: &Product, path: &str) -> Option<usize> {
        let segs = parse_path(path)?;
        let loc = locate(&checked.mesh, p, &segs)?;
        Some(loc.line as usize)
    }

    #[test]
    fn paths_locate_yaml_nodes() {
        let checked = fixture("P001/bad_deny_with_path");
        let pid = checked.mesh.product_by_fqn["finance.revenue"];
        let p = checked.mesh.product(pid);
        let at = |path: &str| line_of(&checked, p, path);
        assert_eq!(at("metadata"), Some(4));
        assert_eq!(at("metadata.tags"), Some(8));
        assert_eq!(at("metadata.tags[0]"), Some(8));
        assert_eq!(
            at("metadata.title"),
            Some(4),
            "unwritten: the product's name"
        );
        assert_eq!(at("spec.version"), Some(10));
        assert_eq!(at("spec.status"), Some(4), "unwritten: the product's name");
        assert_eq!(at("spec.inputs[0]"), Some(12));
        assert_eq!(at("spec.inputs[0].columns[1]"), Some(14));
        assert_eq!(
            at("spec.inputs[0].consumedColumns[1].classification"),
            Some(14)
        );
        assert_eq!(at("spec.inputs[0].producer.version"), Some(12));
        assert_eq!(at("spec.outputs[0]"), Some(16));
        assert_eq!(at("spec.outputs[0].sla.retention"), Some(19));
        assert_eq!(at("spec.outputs[0].columns[1]"), Some(25));
        assert_eq!(at("spec.outputs[0].columns[1].type"), Some(26));
        assert_eq!(at("spec.outputs[0].columns[1].derivedFrom[0]"), Some(29));
        assert_eq!(
            at("spec.outputs[0].columns[1].effectiveClassification"),
            Some(28)
        );
        assert_eq!(
            at("spec.outputs[0].columns[0].effectiveClassification"),
            Some(21),
            "unwritten: the column's name"
        );
        assert_eq!(at("spec.outputs[0].quality"), Some(16), "empty: the port");
        assert_eq!(
            at("spec.access.allow"),
            Some(4),
            "empty: the product's name"
        );
        for nothing in [
            "spec.outputs[1]",
            "spec.outputs[0].colums[1]",
            "spec.outputs[0].columns[2]",
            "spec.outputs[0].columns[1].derivedFrom[1]",
            "spec.inputs[0].columns[2]",
            "spec.inputs[0].consumedColumns[2]",
            "spec.inputs[0].producer.nonsense",
            "spec.access.allow[0]",
            "metadata.tags[1]",
            "input.spec",
            "spec.outputs.0",
        ] {
            assert_eq!(at(nothing), None, "{nothing}");
        }
    }

    /// The JSON block after `marker` in the book's policies page.
    fn documented(marker: &str) -> serde_json::Value {
        let book = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/policies.md"),
        )
        .expect("book page");
        let marker = format!("<!-- {marker} -->\n```json\n");
        let start = book.find(&marker).expect("marker in the book") + marker.len();
        let end = start + book[start..].find("```").expect("end of block");
        serde_json::from_str(&book[start..end]).expect("book json")
    }

    /// The book shows the `input` and `data.mesh` of a fixture; keep them
    /// equal to what meshc passes.
    #[test]
    fn input_and_data_have_the_documented_shape() {
        let checked = fixture("P001/bad_deny_with_path");
        let pid = checked.mesh.product_by_fqn["finance.revenue"];
        let json = input_json(&checked.mesh, &checked.classes, &checked.db, pid);
        let actual: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(
            actual,
            documented("input of finance.revenue"),
            "book/src/policies.md shows a stale input; it is now:\n{}",
            serde_json::to_string_pretty(&actual).unwrap_or_default()
        );
        let json = Build::new()
            .mesh(&checked.mesh, checked.as_of)
            .to_json_str()
            .unwrap_or_default();
        let actual: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(
            actual,
            documented("data.mesh"),
            "book/src/policies.md shows a stale data.mesh; it is now:\n{}",
            serde_json::to_string_pretty(&actual).unwrap_or_default()
        );
    }

    /// A mesh in a temporary folder: the P001 fixture plus `extra` files.
    fn temp_mesh(mesh_governance: &str, policy: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/P001/ok");
        for f in [
            "teams.yaml",
            "domains.yaml",
            "products/orders.yaml",
            "products/revenue.yaml",
            "policies/finance/money.rego",
        ] {
            let to = dir.path().join(f);
            std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
            std::fs::copy(src.join(f), to).expect("copy");
        }
        std::fs::write(
            dir.path().join("mesh.yaml"),
            format!(
                "apiVersion: meshc/v1\nkind: Mesh\nmetadata:\n  name: acme\nspec:\n  targets:\n    - name: warehouse\n      engine: postgres\n  governance:\n{mesh_governance}"
            ),
        )
        .expect("mesh");
        std::fs::write(dir.path().join("policies/p.rego"), policy).expect("policy");
        dir
    }

    const WARN_EVERY_PORT: &str = "package t\nimport rego.v1\ndeny contains d if {\n  some i, port in input.spec.outputs\n  d := {\"code\": \"P007\", \"msg\": port.fqn, \"path\": sprintf(\"spec.outputs[%d]\", [i]), \"severity\": \"warning\"}\n}\n";

    fn run(dir: &Path) -> Vec<Diagnostic> {
        let as_of = crate::date::Date::parse("2026-11-25").expect("date");
        crate::check(dir, &[], as_of).expect("check").diagnostics
    }

    #[test]
    fn severity_and_rule_settings_apply() {
        let dir = temp_mesh("    policies: [policies/*.rego]\n", WARN_EVERY_PORT);
        let d = run(dir.path());
        let found: Vec<(&str, Severity, &str)> = d
            .iter()
            .map(|d| (d.code_str(), d.severity, d.message.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                ("P007", Severity::Warning, "sales.orders.orders"),
                ("P007", Severity::Warning, "finance.revenue.revenue")
            ]
        );
        assert_eq!(d[1].domain.as_deref(), Some("finance"));

        let dir = temp_mesh(
            "    rules: { ignore: [P007] }\n    policies: [policies/*.rego]\n",
            WARN_EVERY_PORT,
        );
        assert_eq!(run(dir.path()), vec![]);

        let dir = temp_mesh(
            "    rules: { severity: { P0: error } }\n    policies: [policies/*.rego]\n",
            WARN_EVERY_PORT,
        );
        assert!(
            run(dir.path())
                .iter()
                .all(|d| d.severity == Severity::Error)
        );
    }

    #[test]
    fn a_broken_policy_does_not_stop_the_others() {
        let dir = temp_mesh(
            "    policies: [policies/*.rego, policies/none/*.rego]\n",
            WARN_EVERY_PORT,
        );
        std::fs::write(
            dir.path().join("policies/broken.rego"),
            "package b\nimport rego.v1\ndeny contains x if {\n",
        )
        .expect("write");
        // Compiles alone, fails at run time.
        std::fs::write(
            dir.path().join("policies/zero.rego"),
            "package z\nimport rego.v1\nx := {k: 1 | some k in [\"a\", \"a\"]} if input\ny := {1: v | some v in [1, 2]}\ndeny contains {\"code\": \"P9\", \"msg\": \"m\"} if y\n",
        )
        .expect("write");
        let d = run(dir.path());
        let codes: Vec<&str> = d.iter().map(|d| d.code_str()).collect();
        assert_eq!(codes.iter().filter(|c| **c == "P007").count(), 2, "{d:#?}");
        let p000: Vec<&str> = d
            .iter()
            .filter(|d| d.code == Code::P000 && d.policy_code.is_none())
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(p000.len(), 3, "{p000:#?}");
        assert!(
            p000.iter()
                .any(|m| m.starts_with("policy glob `policies/none/*.rego`"))
        );
        assert!(p000.iter().any(|m| m.starts_with("Rego syntax error")));
        assert!(
            p000.iter().any(|m| m.starts_with("policy `z` failed")),
            "{p000:#?}"
        );
    }

    #[test]
    fn globs_stay_inside_the_mesh() {
        let dir = temp_mesh(
            "    policies: [../*.rego, /etc/*.rego, .hidden/*.rego, \"[\"]\n",
            WARN_EVERY_PORT,
        );
        let d = run(dir.path());
        let msgs: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            vec![
                "policy glob `../*.rego` points outside the mesh folder",
                "policy glob `/etc/*.rego` is an absolute path",
                "policy glob `.hidden/*.rego` names a hidden file or folder",
                "policy glob `[` is not a valid glob: unclosed character class; missing ']'",
            ]
        );
    }

    #[test]
    fn malformed_findings_are_reported_once_per_policy() {
        let policy = "package m\nimport rego.v1\ndeny contains 1 if input\ndeny contains \"text\" if input\ndeny contains {\"code\": \"P5\", \"msg\": \"loud\", \"severity\": \"loud\"} if input\n";
        let dir = temp_mesh("    policies: [policies/*.rego]\n", policy);
        std::fs::write(
            dir.path().join("policies/set.rego"),
            "package s\nimport rego.v1\ndeny := {\"code\": \"P6\"}\n",
        )
        .expect("write");
        let d = run(dir.path());
        let shown: Vec<(&str, Severity, &str, Option<&str>)> = d
            .iter()
            .map(|d| {
                (
                    d.code_str(),
                    d.severity,
                    d.message.as_str(),
                    d.related.first().map(|l| l.message.as_str()),
                )
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                ("P5", Severity::Error, "loud", Some("denied by policy `m`")),
                ("P5", Severity::Error, "loud", Some("denied by policy `m`")),
                (
                    "P000",
                    Severity::Error,
                    "policy `m` has a malformed finding: deny entry 1 is not an object",
                    Some("while evaluating `sales.orders` (and 1 other product)")
                ),
                (
                    "P000",
                    Severity::Error,
                    "policy `m` has a malformed finding: deny entry P5 has an unknown severity \"loud\"",
                    Some("while evaluating `sales.orders` (and 1 other product)")
                ),
                (
                    "P000",
                    Severity::Error,
                    "policy `s` has a malformed finding: `deny` is not a set",
                    Some("while evaluating `sales.orders` (and 1 other product)")
                ),
            ],
            "{d:#?}"
        );
    }
}
