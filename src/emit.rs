//! Emit: the build folder. Artifacts are written into a temporary folder
//! next to OUT, which is swapped into place only when every artifact was
//! written, so a failed build leaves the previous one untouched and meshc
//! never writes outside OUT (and that one sibling temporary folder).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostic;
use crate::graph::{self, MeshGraph, View};
use crate::targets::{Failure, Plan, Renderer, Templates};
use crate::{Checked, manifest};

/// A file name in OUT marking it as a meshc build folder; meshc refuses to
/// replace an existing folder without it.
pub const MARKER: &str = ".meshc-build";

/// The parse cache a build leaves in OUT for the next build (and for
/// `meshc check`, which only reads it): see `load::store`.
pub const PARSE_CACHE: &str = ".meshc-parse-cache";

/// Where artifacts go while a build runs: files are created under a staging
/// folder by their path relative to OUT.
pub struct Staging {
    root: PathBuf,
    written: Vec<String>,
    /// Folders made so far: tens of thousands of files go into a few
    /// thousand folders, and asking the file system again for each file
    /// costs two system calls.
    made: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
}

impl Staging {
    /// Makes the folder of `path` (and its parents) unless this build made
    /// it already.
    fn make_parent(&self, path: &Path) -> std::io::Result<()> {
        let Some(dir) = path.parent() else {
            return Ok(());
        };
        // A poisoned lock only means the set may lack a folder.
        if self.made.lock().is_ok_and(|m| m.contains(dir)) {
            return Ok(());
        }
        std::fs::create_dir_all(dir)?;
        if let Ok(mut m) = self.made.lock() {
            m.insert(dir.to_path_buf());
        }
        Ok(())
    }

    /// Creates `rel` (and its folders) for writing; the caller records it
    /// with [`Staging::record`].
    pub fn create(&self, rel: &str) -> std::io::Result<BufWriter<File>> {
        let path = self.root.join(rel);
        self.make_parent(&path)?;
        Ok(BufWriter::with_capacity(1 << 20, File::create(&path)?))
    }

    /// Writes `bytes` to `rel` (creating its folders) in one write, without
    /// the large buffer of [`Staging::create`]: for the many small files
    /// written from several threads (contracts, pages). Returns `rel`; the
    /// caller records it.
    pub fn write_bytes(&self, rel: &str, bytes: &[u8]) -> std::io::Result<String> {
        let path = self.root.join(rel);
        self.make_parent(&path)?;
        std::fs::write(&path, bytes)?;
        Ok(rel.to_string())
    }

    pub fn record(&mut self, rels: impl IntoIterator<Item = String>) {
        self.written.extend(rels);
    }

    /// Creates `rel` (and its folders) and hands a buffered writer to `f`.
    pub fn file(
        &mut self,
        rel: &str,
        f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut w = self.create(rel)?;
        f(&mut w)?;
        w.flush()?;
        self.written.push(rel.to_string());
        Ok(())
    }

    pub fn bytes(&mut self, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.file(rel, |w| w.write_all(bytes))
    }

    /// Paths written so far, relative to OUT.
    pub fn written(&self) -> &[String] {
        &self.written
    }
}

fn json_to(w: &mut impl Write, v: &impl serde::Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, v).map_err(std::io::Error::other)?;
    w.write_all(b"\n")
}

/// Why a build wrote nothing.
#[derive(Debug)]
pub enum BuildError {
    /// Template (E401) diagnostics.
    Diagnostics(Vec<Diagnostic>),
    Io(std::io::Error),
}

/// Builds a checked mesh into `out` (atomically: on any error `out` is left
/// as it was). The mesh's own templates are loaded into `checked.db` first,
/// so diagnostics can point into them. Returns the paths written.
pub fn build(
    checked: &mut Checked,
    out: &Path,
    cache: Option<crate::load::ParseCache>,
) -> Result<Vec<String>, BuildError> {
    let templates =
        Templates::load(&checked.mesh, &mut checked.db).map_err(BuildError::Diagnostics)?;
    let checked = &*checked;
    write(out, |stage| render(checked, templates, cache, stage)).map_err(|e| {
        if e.get_ref().is_some_and(|i| i.is::<TemplateFailure>()) {
            match e.into_inner().map(|i| i.downcast::<TemplateFailure>()) {
                Some(Ok(f)) => BuildError::Diagnostics(f.0),
                Some(Err(i)) => BuildError::Io(std::io::Error::other(i)),
                None => BuildError::Io(std::io::Error::other("build failed")),
            }
        } else {
            BuildError::Io(e)
        }
    })
}

/// A build that failed in a template: the diagnostics, carried through
/// [`write`]'s I/O result.
#[derive(Debug)]
pub struct TemplateFailure(pub Vec<Diagnostic>);

impl std::fmt::Display for TemplateFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} template error(s)", self.0.len())
    }
}

impl std::error::Error for TemplateFailure {}

/// Creates `rel` in `stage`, hands it to `f`, returns `rel`.
fn put(
    stage: &Staging,
    rel: &str,
    f: &dyn Fn(&mut BufWriter<File>) -> std::io::Result<()>,
) -> std::io::Result<String> {
    let mut w = stage.create(rel)?;
    f(&mut w)?;
    w.flush()?;
    Ok(rel.to_string())
}

/// Writes every artifact of a build into `stage`, in two phases so that the
/// large in-memory views of each do not coexist: the manifest and the parse
/// cache (for the next build) beside deriving names, grants and the
/// template context; then a queue of jobs
/// that every thread takes from when free: the lineage, the targets' files
/// (rendered straight to disk), grants.json, the contracts and the site.
pub fn render(
    checked: &Checked,
    templates: Templates,
    cache: Option<crate::load::ParseCache>,
    stage: &mut Staging,
) -> std::io::Result<()> {
    // The ODCS contracts render from the same templates as the targets.
    let contract_templates = templates.clone();
    let docs_templates = templates.clone();
    // The parse cache is written first on its side and then dropped, so its
    // bytes are freed before the artifacts' memory peaks.
    let (prepared, (cached, manifest)) = rayon::join(
        || -> Result<(Plan, Renderer), Vec<Diagnostic>> {
            let plan = Plan::new(&checked.mesh, checked.as_of)?;
            let renderer = Renderer::new(&checked.mesh, &checked.db, templates, &plan)?;
            Ok((plan, renderer))
        },
        || {
            let cached = cache.map(|cache| {
                let mut w = stage.create(PARSE_CACHE)?;
                cache.write_store(&mut w)?;
                w.flush()
            });
            (cached, write_manifest(checked, stage))
        },
    );
    cached.transpose()?;
    let manifest = manifest?;
    let (plan, renderer) = prepared.map_err(|d| std::io::Error::other(TemplateFailure(d)))?;
    let access = &plan.access;
    // Every thread takes the next job when it is free: the lineage and the
    // targets' files (long, each one render) first, then grants.json, then
    // the contracts and the site, which split themselves over the pool, so
    // no thread is left idle at the end waiting for one long file.
    let target_jobs = renderer.jobs();
    let target_results: Vec<std::sync::OnceLock<Result<String, Failure>>> = target_jobs
        .iter()
        .map(|_| std::sync::OnceLock::new())
        .collect();
    let lineage = std::sync::OnceLock::new();
    let grants = std::sync::OnceLock::new();
    let contracts = std::sync::OnceLock::new();
    let docs = std::sync::OnceLock::new();
    let mut jobs: Vec<Box<dyn FnOnce() + Send + '_>> = Vec::new();
    {
        let (stage, lineage) = (&*stage, &lineage);
        jobs.push(Box::new(move || {
            let _ = lineage.set(write_lineage(checked, stage));
        }));
    }
    for (&j, slot) in target_jobs.iter().zip(&target_results) {
        let renderer = &renderer;
        let stage = &*stage;
        jobs.push(Box::new(move || {
            let _ = slot.set(renderer.write_job(j, &checked.db, stage));
        }));
    }
    {
        let stage = &*stage;
        let (grants, contracts, docs) = (&grants, &contracts, &docs);
        let plan = &plan;
        jobs.push(Box::new(move || {
            let _ = grants.set(put(stage, "grants/grants.json", &|w| {
                json_to(w, &access.file(&checked.db))
            }));
        }));
        jobs.push(Box::new(move || {
            let _ = contracts.set(crate::odcs::export::write(
                &checked.mesh,
                &checked.classes,
                &plan.names,
                &checked.db,
                &contract_templates,
                stage,
            ));
        }));
        jobs.push(Box::new(move || {
            let _ = docs.set(crate::docs::write(
                checked,
                access,
                &plan.names,
                &docs_templates,
                stage,
            ));
        }));
    }
    in_order(jobs);
    let missing = || std::io::Error::other("a build job did not run");
    let targets = Renderer::finish(
        target_results
            .into_iter()
            .map(|r| {
                r.into_inner()
                    .unwrap_or_else(|| Err(Failure::Io(missing())))
            })
            .collect(),
    );
    let grants = grants.into_inner().unwrap_or_else(|| Err(missing()));
    let contracts = contracts
        .into_inner()
        .unwrap_or_else(|| Err(Failure::Io(missing())));
    let docs = docs
        .into_inner()
        .unwrap_or_else(|| Err(Failure::Io(missing())));
    let lineage = lineage.into_inner().unwrap_or_else(|| Err(missing()))?;
    let failed = |f: Failure| match f {
        Failure::Io(e) => e,
        Failure::Templates(d) => std::io::Error::other(TemplateFailure(d)),
    };
    let written = targets.map_err(failed)?;
    let contracts = contracts.map_err(failed)?;
    let docs = docs.map_err(failed)?;
    stage.record(docs);
    stage.record(written);
    stage.record(contracts);
    stage.record([manifest]);
    stage.record(lineage);
    stage.record([grants?]);
    stage.bytes(
        MARKER,
        b"This folder is written by meshc build and replaced whole on every build.\n",
    )?;
    drop_aside((plan, renderer));
    Ok(())
}

/// Frees `value` on a thread of its own. The plan and the renderer (every
/// target's context) are large; freeing them takes tens of milliseconds at
/// 10,000 products, which the build need not wait for. A command that
/// exits meanwhile does not wait for it either. If no thread can be
/// started, `value` is freed here.
fn drop_aside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("meshc-drop".into())
        .spawn(move || drop(value));
}

/// Runs `jobs` on every thread of the pool, each thread taking the next
/// job in order as soon as it is free (jobs may themselves split over the
/// pool). Returns when all have run.
fn in_order(jobs: Vec<Box<dyn FnOnce() + Send + '_>>) {
    let queue = std::sync::Mutex::new(jobs.into_iter());
    rayon::scope(|s| {
        for _ in 0..rayon::current_num_threads() {
            s.spawn(|_| {
                loop {
                    // The lock is held only to take a job, never while one
                    // runs, so it is never poisoned.
                    let next = queue.lock().ok().and_then(|mut q| q.next());
                    match next {
                        Some(job) => job(),
                        None => break,
                    }
                }
            });
        }
    });
}

/// manifest.json: returns its path.
fn write_manifest(checked: &Checked, stage: &Staging) -> std::io::Result<String> {
    let m = manifest::build(
        &checked.mesh,
        &checked.classes,
        &checked.db,
        &checked.diagnostics,
    );
    put(stage, "manifest.json", &|w| json_to(w, &m))
}

/// lineage/: returns the paths.
fn write_lineage(checked: &Checked, stage: &Staging) -> std::io::Result<Vec<String>> {
    let g = MeshGraph::build(&checked.mesh);
    let view = View {
        columns: true,
        ..View::default()
    };
    let gj = graph::to_json(&checked.mesh, &g, &view);
    drop(g);
    Ok(vec![
        put(stage, "lineage/graph.json", &|w| json_to(w, &gj))?,
        put(stage, "lineage/graph.dot", &|w| {
            w.write_all(graph::to_dot(&gj).as_bytes())
        })?,
        put(stage, "lineage/graph.mmd", &|w| {
            w.write_all(graph::to_mermaid(&gj).as_bytes())
        })?,
    ])
}

/// Removes the folder `dir` (a previous build moved aside): its files on
/// every thread, then its folders, deepest first. Symbolic links are removed,
/// not followed. What is left after a failure goes through
/// `remove_dir_all`.
fn remove_tree(dir: &Path) -> std::io::Result<()> {
    use rayon::prelude::*;
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in walkdir::WalkDir::new(dir) {
        let Ok(entry) = entry else {
            return std::fs::remove_dir_all(dir);
        };
        if entry.file_type().is_dir() {
            dirs.push(entry.into_path());
        } else {
            files.push(entry.into_path());
        }
    }
    let removed = files
        .par_iter()
        .try_for_each(std::fs::remove_file)
        .and_then(|()| dirs.iter().rev().try_for_each(std::fs::remove_dir));
    match removed {
        Ok(()) => Ok(()),
        Err(_) => std::fs::remove_dir_all(dir),
    }
}

/// Writes one file atomically: into a temporary file beside it, then
/// renamed over it (its folders are created).
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.meshc-tmp-{}", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Cleans up after a build that was killed: a leftover staging folder is
/// removed; a previous build moved aside but never replaced is put back.
fn recover(parent: &Path, name: &str, out: &Path) -> std::io::Result<()> {
    let tmp_prefix = format!(".{name}.meshc-tmp-");
    let old_prefix = format!(".{name}.meshc-old-");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(parent)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
            continue;
        };
        if let Some(pid) = file.strip_prefix(&tmp_prefix) {
            // Another build into the same OUT may still be running.
            if !process_alive(pid) {
                std::fs::remove_dir_all(&path)?;
            }
        } else if file.starts_with(&old_prefix) {
            if out.exists() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::rename(&path, out)?;
            }
        }
    }
    Ok(())
}

/// Whether the process that made a staging folder still runs (Linux only;
/// elsewhere leftovers are assumed live and kept).
fn process_alive(pid: &str) -> bool {
    if cfg!(target_os = "linux") {
        pid.parse::<u32>().is_ok_and(|p| {
            p == std::process::id() || Path::new("/proc").join(p.to_string()).exists()
        })
    } else {
        true
    }
}

/// Runs `fill` against a staging folder next to `out`, then swaps it into
/// place. On any error the staging folder is removed and `out` is left as
/// it was. Returns the paths written.
pub fn write(
    out: &Path,
    fill: impl FnOnce(&mut Staging) -> std::io::Result<()>,
) -> std::io::Result<Vec<String>> {
    if out.exists() && !out.join(MARKER).exists() {
        let empty = out.read_dir()?.next().is_none();
        if !empty {
            return Err(std::io::Error::other(format!(
                "{} exists and is not a meshc build folder (no {MARKER}); refusing to replace it",
                out.display()
            )));
        }
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&parent)?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "build".into());
    recover(&parent, &name, out)?;
    let tmp = parent.join(format!(".{name}.meshc-tmp-{}", std::process::id()));
    let old = parent.join(format!(".{name}.meshc-old-{}", std::process::id()));
    if tmp.exists() {
        // Ours by pid, from an earlier process that had the same id.
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;
    let mut stage = Staging {
        root: tmp.clone(),
        written: Vec::new(),
        made: Default::default(),
    };
    let result = fill(&mut stage).and_then(|()| {
        if out.exists() {
            std::fs::rename(out, &old)?;
        }
        if let Err(e) = std::fs::rename(&tmp, out) {
            // Put the previous build back.
            if old.exists() {
                let _ = std::fs::rename(&old, out);
            }
            return Err(e);
        }
        if old.exists() {
            remove_tree(&old)?;
        }
        Ok(())
    });
    if result.is_err() && tmp.exists() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result.map(|()| stage.written)
}
