//! The command line: argument parsing and one function per command. The
//! only module (with `load` and `emit`) that touches the terminal, the file
//! system or the environment.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diagnostics::render::{self, Format};
use crate::diagnostics::{Severity, Summary};
use crate::diff::DiffFormat;
use crate::graph::{self, GraphFormat, MeshGraph, View};
use crate::load::store::Store;
use crate::load::syntax::Kind;
use crate::load::{MeshSource, ParseCache};
use crate::{Checked, emit};

#[derive(Parser, Debug)]
#[command(
    name = "meshc",
    version,
    about = "A compiler for a data mesh that lives in Git"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Colour in text diagnostics (NO_COLOR turns it off under `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only diagnostics, no summary line.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Treat warnings as errors for the exit code.
    #[arg(long, global = true)]
    pub deny_warnings: bool,
    /// The date expiry and sunset rules use (YYYY-MM-DD); default
    /// SOURCE_DATE_EPOCH, else today.
    #[arg(long, global = true, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Print the wall time of each phase to stderr.
    #[arg(long, global = true)]
    pub timings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Load, resolve and check a mesh; print diagnostics.
    Check {
        /// The mesh folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Diagnostic output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Check, then write every artifact to OUT (default DIR/build).
    Build {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output folder, replaced whole on success.
        #[arg(short = 'o', long = "out", value_name = "OUT")]
        out: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Build, then optionally serve the documentation site (OUT/docs).
    ///
    /// Runs `meshc build` (the site is part of every build); with --serve
    /// it serves OUT/docs on 127.0.0.1, and with --watch it rebuilds when a
    /// file of the mesh changes and open pages reload.
    Docs {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output folder, replaced whole on success (default DIR/build).
        #[arg(short = 'o', long = "out", value_name = "OUT")]
        out: Option<PathBuf>,
        /// Serve the site on http://127.0.0.1:PORT/ until interrupted.
        #[arg(long)]
        serve: bool,
        /// The port to serve on (0: any free port).
        #[arg(long, default_value_t = 8080, requires = "serve")]
        port: u16,
        /// Rebuild when a file of the mesh changes; open pages reload.
        #[arg(long, requires = "serve")]
        watch: bool,
    },
    /// What a change does to the mesh: the semantic diff between two Git
    /// revisions, breaking changes with the products and owners they hit,
    /// the version policy, and the check diagnostics the change adds.
    ///
    /// Reads the mesh in DIR (a repository or a subfolder of one) at --base
    /// straight from Git's object database, and at --head, or as the
    /// working tree (uncommitted and untracked files included) when --head
    /// is omitted. Exit 1 when a breaking change is not approved by a
    /// major version bump, or the change adds an error.
    Diff {
        /// The revision to compare against (a branch, tag or commit).
        #[arg(long, value_name = "REV")]
        base: String,
        /// The revision of the change; default: the working tree.
        #[arg(long, value_name = "REV")]
        head: Option<String>,
        /// The mesh folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// Write the report to FILE instead of stdout.
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Print the dependency graph.
    Graph {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
        /// Only this product, port or source table and its neighbourhood.
        #[arg(long, value_name = "FQN")]
        focus: Option<String>,
        /// With --focus: only what the focus reads from, transitively.
        #[arg(long, requires = "focus", conflicts_with = "downstream")]
        upstream: bool,
        /// With --focus: only what reads the focus, transitively.
        #[arg(long, requires = "focus")]
        downstream: bool,
        /// Add column lineage (derivedFrom) edges.
        #[arg(long)]
        columns: bool,
    },
    /// Who may read a port or column, and what a principal may read.
    ///
    /// Answers from the grants of grants.json, with the declaration
    /// (file:line) that causes each.
    Access {
        /// The mesh folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(subcommand)]
        query: crate::access_query::AccessQuery,
        /// Output format: one line per grant, or a JSON array of grants.
        #[arg(long, global = true, value_enum, default_value_t = crate::access_query::QueryFormat::Text)]
        format: crate::access_query::QueryFormat,
    },
    /// Turn other formats into meshc documents.
    Import {
        #[command(subcommand)]
        from: ImportFrom,
    },
    /// Print a rule's documentation, or list every rule.
    Explain {
        /// A code such as G302.
        #[arg(required_unless_present = "list")]
        code: Option<String>,
        /// List every code with its name, default severity and summary.
        #[arg(long, conflicts_with = "code")]
        list: bool,
    },
    /// Print the JSON Schema of the YAML documents (for editors).
    Schema {
        /// Mesh, Domain, Team, Source or DataProduct; omitted = any document.
        kind: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportFrom {
    /// ODCS v3 data contracts → DataProduct YAML (plus the Team and Domain
    /// documents they describe).
    ///
    /// Contracts of the same domain and data product become one product,
    /// each schema object an output port. What meshc cannot hold is
    /// reported as an info; the documents go to stdout, or under --out.
    Odcs {
        /// ODCS v3 contract files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Write <domain>/products/<product>.yaml, <domain>/domain.yaml and
        /// teams/<team>.yaml under this folder (products are replaced,
        /// existing domain and team files kept) instead of printing.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// The domain of contracts that name none.
        #[arg(long, value_name = "NAME")]
        domain: Option<String>,
        /// The owning team of contracts that name none.
        #[arg(long, value_name = "TEAM")]
        owner: Option<String>,
        /// Write DataProduct documents only.
        #[arg(long)]
        products_only: bool,
    },
}

/// Runs the CLI and returns the process exit code (SPEC §3: 0 ok, 1 the mesh
/// has errors, 2 usage or I/O error).
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Check { ref dir, format } => cmd_check(&cli.global, dir, format),
        Command::Build {
            ref dir,
            ref out,
            format,
        } => cmd_build(&cli.global, dir, out.as_deref(), format),
        Command::Docs {
            ref dir,
            ref out,
            serve,
            port,
            watch,
        } => cmd_docs(&cli.global, dir, out.as_deref(), serve, port, watch),
        Command::Diff {
            ref base,
            ref head,
            ref dir,
            format,
            ref out,
        } => cmd_diff(
            &cli.global,
            dir,
            base,
            head.as_deref(),
            format,
            out.as_deref(),
        ),
        Command::Graph {
            ref dir,
            format,
            ref focus,
            upstream,
            downstream,
            columns,
        } => cmd_graph(
            &cli.global,
            dir,
            format,
            focus.as_deref(),
            View {
                focus: None,
                upstream,
                downstream,
                columns,
            },
        ),
        Command::Access {
            ref dir,
            ref query,
            format,
        } => cmd_access(&cli.global, dir, query, format),
        Command::Schema { ref kind } => cmd_schema(kind.as_deref()),
        Command::Import {
            from:
                ImportFrom::Odcs {
                    ref files,
                    ref out,
                    ref domain,
                    ref owner,
                    products_only,
                },
        } => cmd_import_odcs(
            &cli.global,
            files,
            out.as_deref(),
            crate::odcs::import::Options {
                domain: domain.clone(),
                owner: owner.clone(),
                products_only,
            },
        ),
        Command::Explain { ref code, list } => cmd_explain(code.as_deref(), list),
    }
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// Colour for diagnostics on stderr.
fn use_color(g: &Global) -> bool {
    color_on(g, std::io::stderr().is_terminal())
}

/// `--color`, where `auto` means: `terminal`, and NO_COLOR unset or empty.
fn color_on(g: &Global, terminal: bool) -> bool {
    match g.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && terminal,
    }
}

fn default_out(dir: &Path) -> PathBuf {
    dir.join("build")
}

/// Checks the mesh in `dir`, reading the parse cache the last build into
/// the default output folder left (never writing it).
fn run_check(g: &Global, dir: &Path, skip: &[PathBuf]) -> Result<Checked, ExitCode> {
    let cache = ParseCache::reading(Store::read(&default_out(dir).join(emit::PARSE_CACHE)));
    run_check_with(g, dir, skip, &cache)
}

fn run_check_with(
    g: &Global,
    dir: &Path,
    skip: &[PathBuf],
    cache: &ParseCache,
) -> Result<Checked, ExitCode> {
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok();
    let (as_of, _) =
        crate::date::resolve_as_of(g.as_of.as_deref(), epoch.as_deref()).map_err(fail)?;
    crate::check_source(
        &MeshSource::Dir(dir.to_path_buf()),
        skip,
        as_of,
        Some(cache),
    )
    .map_err(fail)
}

/// Prints diagnostics and the summary; returns the exit code they imply.
fn report(g: &Global, checked: &Checked, format: Format) -> ExitCode {
    let text = render::render(&checked.diagnostics, &checked.db, format, use_color(g));
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let s = Summary::of(&checked.diagnostics);
    if !g.quiet && format == Format::Text {
        let files = checked.mesh_files;
        let products = checked.mesh.products.len();
        let _ = writeln!(
            err,
            "{} {} error{}, {} warning{}, {} info{} ({} product{} in {} file{})",
            if s.errors > 0 { "✗" } else { "✓" },
            s.errors,
            plural(s.errors),
            s.warnings,
            plural(s.warnings),
            s.infos,
            plural(s.infos),
            products,
            plural(products),
            files,
            plural(files)
        );
    }
    if g.timings {
        let _ = writeln!(err, "{}", checked.timings.line());
    }
    exit_for(g, checked)
}

fn exit_for(g: &Global, checked: &Checked) -> ExitCode {
    exit_for_diagnostics(g, &checked.diagnostics)
}

/// 1 when there is an error (or, with --deny-warnings, a warning).
fn exit_for_diagnostics(g: &Global, diagnostics: &[crate::diagnostics::Diagnostic]) -> ExitCode {
    let worst = diagnostics.iter().map(|d| d.severity).max();
    match worst {
        Some(Severity::Error) => ExitCode::from(1),
        Some(Severity::Warning) if g.deny_warnings => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn cmd_check(g: &Global, dir: &Path, format: Format) -> ExitCode {
    let checked = match run_check(g, dir, &[default_out(dir)]) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let code = report(g, &checked, format);
    // The process ends right after: freeing millions of small allocations
    // one by one would only add to the wall time.
    std::mem::forget(checked);
    code
}

fn cmd_build(g: &Global, dir: &Path, out: Option<&Path>, format: Format) -> ExitCode {
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_out(dir));
    // OUT must not contain the mesh: replacing it would delete the input.
    if let (Ok(o), Ok(d)) = (out.canonicalize(), dir.canonicalize())
        && d.starts_with(&o)
    {
        return fail(format!(
            "output folder {} contains the mesh folder {}; choose another -o",
            out.display(),
            dir.display()
        ));
    }
    // Never read a build folder back as input: neither OUT nor the default.
    // The parse cache the last build left in OUT spares parsing the files
    // that did not change; this build leaves the next one a new cache.
    let cache = ParseCache::persistent(Store::read(&out.join(emit::PARSE_CACHE)));
    let mut checked = match run_check_with(g, dir, &[out.clone(), default_out(dir)], &cache) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let code = exit_for(g, &checked);
    if code != ExitCode::SUCCESS {
        let _ = report(g, &checked, format);
        if !g.quiet {
            eprintln!("build stopped: nothing written to {}", out.display());
        }
        return code;
    }
    let t = std::time::Instant::now();
    let written = match emit::build(&mut checked, &out, Some(cache)) {
        Ok(w) => w,
        Err(emit::BuildError::Diagnostics(diags)) => {
            checked.diagnostics.extend(diags);
            crate::diagnostics::normalize(&mut checked.diagnostics);
            let _ = report(g, &checked, format);
            if !g.quiet {
                eprintln!("build stopped: nothing written to {}", out.display());
            }
            return ExitCode::from(1);
        }
        Err(emit::BuildError::Io(e)) => {
            return fail(format!("cannot write {}: {e}", out.display()));
        }
    };
    checked.timings.emit = t.elapsed();
    let code = report(g, &checked, format);
    if !g.quiet {
        eprintln!("wrote {} files to {}", written.len(), out.display());
    }
    std::mem::forget(checked);
    code
}

fn cmd_docs(
    g: &Global,
    dir: &Path,
    out: Option<&Path>,
    serve: bool,
    port: u16,
    watch: bool,
) -> ExitCode {
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_out(dir));
    let code = cmd_build(g, dir, Some(&out), Format::Text);
    if !serve || code == ExitCode::from(2) {
        return code;
    }
    let (listener, url) = match crate::serve::bind(port) {
        Ok(b) => b,
        Err(e) => return fail(format!("cannot serve on 127.0.0.1:{port}: {e}")),
    };
    let site = out.join("docs");
    if !site.join("index.html").is_file() {
        eprintln!(
            "note: {} has no site yet; it appears when a build succeeds",
            site.display()
        );
    }
    eprintln!("serving {url}");
    eprintln!("(the site in {}; press Ctrl-C to stop)", site.display());
    if !watch {
        crate::serve::serve(listener, site, None);
        return code;
    }
    let version = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(1));
    let v = version.clone();
    std::thread::spawn(move || crate::serve::serve(listener, site, Some(v)));
    let skip = [out.clone(), default_out(dir)];
    let mut seen = crate::serve::fingerprint(dir, &skip);
    loop {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let now = crate::serve::fingerprint(dir, &skip);
        if now != seen {
            seen = now;
            eprintln!("change seen: rebuilding");
            // Pages reload only when there is a new site to show.
            if cmd_build(g, dir, Some(&out), Format::Text) == ExitCode::SUCCESS {
                version.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
    }
}

fn cmd_diff(
    g: &Global,
    dir: &Path,
    base: &str,
    head: Option<&str>,
    format: DiffFormat,
    out: Option<&Path>,
) -> ExitCode {
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok();
    let as_of = match crate::date::resolve_as_of(g.as_of.as_deref(), epoch.as_deref()) {
        Ok((d, _)) => d,
        Err(e) => return fail(e),
    };
    let t = std::time::Instant::now();
    let base_src = match MeshSource::at_revision(dir, base) {
        Ok(s) => s,
        Err(e) => return fail(format!("--base: {e}")),
    };
    let head_src = match head {
        Some(rev) => match MeshSource::at_revision(dir, rev) {
            Ok(s) => s,
            Err(e) => return fail(format!("--head: {e}")),
        },
        None => MeshSource::Dir(dir.to_path_buf()),
    };
    let read = t.elapsed();
    // The build folder is never read, on either side. Files whose bytes are
    // the same at both revisions are parsed once (the cache); it is dropped
    // as soon as both sides are loaded.
    let skip = [default_out(dir)];
    let cache = ParseCache::new();
    let checked = |src: &MeshSource| {
        crate::check_source(src, &skip, as_of, Some(&cache))
            .map_err(|e| fail(format!("{}: {e}", src.dir().display())))
    };
    let head_checked = match checked(&head_src) {
        Ok(c) => c,
        Err(code) => return code,
    };
    drop(head_src);
    let base_checked = match checked(&base_src) {
        Ok(c) => c,
        Err(code) => return code,
    };
    drop((base_src, cache));
    let t_diff = std::time::Instant::now();
    let report = crate::diff::diff(&base_checked, &head_checked);
    let mut text = crate::diff::render(
        &report,
        &base_checked.db,
        &head_checked.db,
        format,
        format == DiffFormat::Text && out.is_none() && color_on(g, std::io::stdout().is_terminal()),
    );
    let t_diff = t_diff.elapsed();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    match out {
        Some(path) => {
            if let Err(e) = emit::write_file(path, text.as_bytes()) {
                return fail(format!("cannot write {}: {e}", path.display()));
            }
        }
        None => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
    }
    if !g.quiet && format != DiffFormat::Text {
        eprintln!("{}", crate::diff::render::summary_line(&report));
    }
    if g.timings {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        eprintln!(
            "timings: git={:.0}ms head: {} | base: {} | diff={:.0}ms",
            ms(read),
            head_checked.timings.line().trim_start_matches("timings: "),
            base_checked.timings.line().trim_start_matches("timings: "),
            ms(t_diff)
        );
    }
    let code = if report.fails(g.deny_warnings) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // The process ends right after: freeing both meshes one allocation at a
    // time would only add to the wall time.
    std::mem::forget((base_checked, head_checked));
    code
}

fn cmd_graph(
    g: &Global,
    dir: &Path,
    format: GraphFormat,
    focus: Option<&str>,
    mut view: View,
) -> ExitCode {
    let checked = match run_check(g, dir, &[default_out(dir)]) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Some(f) = focus {
        match graph::find_node(&checked.mesh, f) {
            Some(n) => view.focus = Some(n),
            None => {
                let candidates = checked.mesh.product_by_fqn.keys().map(String::as_str);
                let hint = crate::diagnostics::suggest(f, candidates)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return fail(format!(
                    "--focus `{f}` names no product, port or source table{hint}"
                ));
            }
        }
    }
    let gr = MeshGraph::build(&checked.mesh);
    let gj = graph::to_json(&checked.mesh, &gr, &view);
    let text = match format {
        GraphFormat::Dot => graph::to_dot(&gj),
        GraphFormat::Mermaid => graph::to_mermaid(&gj),
        GraphFormat::Json => {
            let mut s = serde_json::to_string_pretty(&gj).unwrap_or_default();
            s.push('\n');
            s
        }
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    after_data(g, &checked)
}

fn cmd_access(
    g: &Global,
    dir: &Path,
    query: &crate::access_query::AccessQuery,
    format: crate::access_query::QueryFormat,
) -> ExitCode {
    let mut checked = match run_check(g, dir, &[default_out(dir)]) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // The same computation as grants/grants.json.
    let names = match crate::access::Names::new(&checked.mesh) {
        Ok(n) => n,
        Err(d) => {
            checked.diagnostics.push(*d);
            crate::diagnostics::normalize(&mut checked.diagnostics);
            let _ = report(g, &checked, Format::Text);
            return ExitCode::from(1);
        }
    };
    let access = crate::access::derive(&checked.mesh, &names, checked.as_of);
    let answer = match crate::access_query::answer(
        &checked.mesh,
        &names,
        &access,
        &checked.db,
        query,
        format,
    ) {
        Ok(a) => a,
        Err(msg) => return fail(msg),
    };
    let _ = std::io::stdout().lock().write_all(answer.stdout.as_bytes());
    if let Some(note) = answer.note {
        eprintln!("note: {note}");
    }
    after_data(g, &checked)
}

/// After a command printed its data: the diagnostics (text, no summary
/// line) when there are any, the timings, and the exit code they imply.
fn after_data(g: &Global, checked: &Checked) -> ExitCode {
    if checked.diagnostics.is_empty() {
        if g.timings {
            eprintln!("{}", checked.timings.line());
        }
        exit_for(g, checked)
    } else {
        report(
            &Global {
                quiet: true,
                ..g.clone()
            },
            checked,
            Format::Text,
        )
    }
}

fn cmd_import_odcs(
    g: &Global,
    files: &[PathBuf],
    out: Option<&Path>,
    opts: crate::odcs::import::Options,
) -> ExitCode {
    for (flag, v) in [("--domain", &opts.domain), ("--owner", &opts.owner)] {
        if let Some(v) = v
            && crate::odcs::import::meshc_name(v).as_deref() != Some(v.as_str())
        {
            return fail(format!(
                "{flag} `{v}` is not a meshc name (lower case letters, digits and `_`, starting with a letter)"
            ));
        }
    }
    let mut db = crate::source::SourceDb::new(Path::new("."));
    let imported = crate::odcs::import::import(&mut db, files, &opts);
    let mut stdout = String::new();
    let mut notes = Vec::new();
    for d in &imported.documents {
        match out {
            None => {
                if !stdout.is_empty() {
                    stdout.push_str("---\n");
                }
                stdout.push_str(&d.text);
            }
            Some(dir) => {
                let path = dir.join(&d.path);
                if d.kind != "DataProduct" && path.exists() {
                    notes.push(format!("kept {} (it exists)", path.display()));
                    continue;
                }
                if let Err(e) = emit::write_file(&path, d.text.as_bytes()) {
                    return fail(format!("cannot write {}: {e}", path.display()));
                }
                notes.push(format!("wrote {}", path.display()));
            }
        }
    }
    let _ = std::io::stdout().lock().write_all(stdout.as_bytes());
    let text = render::render(&imported.diagnostics, &db, Format::Text, use_color(g));
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    if !g.quiet {
        for n in &notes {
            let _ = writeln!(err, "{n}");
        }
        let s = Summary::of(&imported.diagnostics);
        let products = imported
            .documents
            .iter()
            .filter(|d| d.kind == "DataProduct")
            .count();
        let _ = writeln!(
            err,
            "{} imported {} product{} from {} contract{} ({} error{}, {} warning{}, {} info{})",
            if s.errors > 0 { "✗" } else { "✓" },
            products,
            plural(products),
            files.len(),
            plural(files.len()),
            s.errors,
            plural(s.errors),
            s.warnings,
            plural(s.warnings),
            s.infos,
            plural(s.infos)
        );
    }
    exit_for_diagnostics(g, &imported.diagnostics)
}

fn cmd_schema(kind: Option<&str>) -> ExitCode {
    let kind = match kind {
        None => None,
        Some(k) => match Kind::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(k))
        {
            Some(k) => Some(k),
            None => {
                return fail(format!(
                    "unknown kind `{k}`; one of Mesh, Domain, Team, Source, DataProduct"
                ));
            }
        },
    };
    let mut s = serde_json::to_string_pretty(&crate::schema::schema(kind)).unwrap_or_default();
    s.push('\n');
    let _ = std::io::stdout().lock().write_all(s.as_bytes());
    ExitCode::SUCCESS
}

fn cmd_explain(code: Option<&str>, list: bool) -> ExitCode {
    use crate::diagnostics::Code;
    let mut out = String::new();
    if list {
        for c in Code::ALL {
            out.push_str(&format!(
                "{}  {:<26} {:<8} {}\n",
                c.as_str(),
                c.name(),
                c.default_severity().as_str(),
                c.summary()
            ));
        }
    } else {
        let want = code.unwrap_or_default();
        let found = Code::ALL
            .iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(want) || c.name() == want);
        let found = found.or_else(|| {
            // Policy codes (P001, …) are chosen by policies: explain P000.
            (want.len() > 1
                && want.starts_with(['P', 'p'])
                && want[1..].bytes().all(|b| b.is_ascii_digit()))
            .then_some(&Code::P000)
        });
        match found {
            Some(c) => out.push_str(&crate::check::registry::explain_text(*c)),
            None => {
                let hint = crate::diagnostics::suggest(
                    &want.to_uppercase(),
                    Code::ALL.iter().map(|c| c.as_str()),
                )
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
                return fail(format!(
                    "unknown code `{want}`{hint}; `meshc explain --list` lists them"
                ));
            }
        }
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    ExitCode::SUCCESS
}
