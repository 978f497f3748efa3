//! meshc: a compiler for a data mesh that lives in Git.
//!
//! The pipeline, in the order data flows (SPEC §2):
//! [`load`] (walk, parse with spans, in parallel) → [`resolve`] (names to
//! ids, one [`model::Mesh`]) → [`graph`] (cycles, lineage) → emit
//! ([`manifest`], [`emit`]) → atomic write-out. See ARCHITECTURE.md.

pub mod access;
pub mod access_query;
pub mod check;
pub mod classify;
pub mod cli;
pub mod date;
pub mod diagnostics;
pub mod diff;
pub mod docs;
pub mod emit;
pub mod git;
pub mod graph;
pub mod load;
pub mod manifest;
pub mod model;
pub mod odcs;
pub mod policy;
pub mod resolve;
pub mod schema;
pub mod serve;
pub mod source;
pub mod targets;
pub mod types;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diagnostics::Diagnostic;

/// A byte table for scanning text: true for the bytes in `list` and those
/// below `below`. Built at compile time by the scanners that test every
/// byte of their text (docs markdown, ODCS YAML scalars).
pub(crate) const fn byte_set(list: &[u8], below: u8) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < below as usize {
        t[b] = true;
        b += 1;
    }
    let mut i = 0;
    while i < list.len() {
        t[list[i] as usize] = true;
        i += 1;
    }
    t
}

/// Wall time of each phase, for `--timings` and the benchmark.
#[derive(Debug, Default, Clone, Copy)]
pub struct Timings {
    pub load: Duration,
    pub resolve: Duration,
    pub check: Duration,
    /// Loading and evaluating the Rego policies.
    pub policy: Duration,
    pub emit: Duration,
    /// With a parse cache: how many files this load took from it, and how
    /// many it parsed.
    pub cache: Option<load::CacheStats>,
}

impl Timings {
    pub fn line(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let total = self.load + self.resolve + self.check + self.policy + self.emit;
        let cache = self
            .cache
            .map(|c| format!(" (reused {}, parsed {})", c.hits, c.misses))
            .unwrap_or_default();
        format!(
            "timings: load={:.0}ms{cache} resolve={:.0}ms check={:.0}ms policy={:.0}ms emit={:.0}ms total={:.0}ms",
            ms(self.load),
            ms(self.resolve),
            ms(self.check),
            ms(self.policy),
            ms(self.emit),
            ms(total)
        )
    }
}

/// The result of load → resolve → check.
pub struct Checked {
    /// Every file read: the mesh files, then the policy files.
    pub db: source::SourceDb,
    /// How many of `db`'s files are mesh (YAML) files; the rest are the
    /// ports' contract files and the policies.
    pub mesh_files: usize,
    pub mesh: model::Mesh,
    /// Effective classification of every column (propagated).
    pub classes: classify::Classes,
    /// The date sunset and expiry rules used.
    pub as_of: date::Date,
    pub diagnostics: Vec<Diagnostic>,
    pub timings: Timings,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == diagnostics::Severity::Error)
    }
}

/// Runs load, resolve, the graph checks, the rule catalog and the Rego
/// policies over the mesh at `root`, with `as_of` as today. `skip` lists
/// folders never read (the build output).
pub fn check(root: &Path, skip: &[PathBuf], as_of: date::Date) -> Result<Checked, load::IoError> {
    check_source(
        &load::MeshSource::Dir(root.to_path_buf()),
        skip,
        as_of,
        None,
    )
}

/// [`check`] over a mesh folder on disk or at a Git revision
/// ([`load::MeshSource::at_revision`]). File paths in the result are
/// relative to the mesh folder either way. With a `cache`, files whose text
/// was parsed before (by an earlier call with the same cache) are not
/// parsed again.
pub fn check_source(
    src: &load::MeshSource,
    skip: &[PathBuf],
    as_of: date::Date,
    cache: Option<&load::ParseCache>,
) -> Result<Checked, load::IoError> {
    let t0 = Instant::now();
    let files = load::MeshFiles::open(src, skip)?;
    let before = cache.map(|c| c.stats()).unwrap_or_default();
    let load::Loaded {
        mut db,
        mesh_files,
        docs,
        diagnostics: load_diags,
        broken,
    } = load::load_files(&files, cache)?;
    let t1 = Instant::now();
    let cache_stats = cache.map(|c| load::CacheStats {
        hits: c.stats().hits - before.hits,
        misses: c.stats().misses - before.misses,
    });
    let (mesh, mut diags) = resolve::resolve(docs, &broken);
    let t2 = Instant::now();
    diags.extend(graph::check_cycles(&mesh));
    let classes = classify::propagate(&mesh);
    let (settings, config_diags) = check::config::Settings::from_mesh(&mesh);
    diags.extend(config_diags);
    let cx = check::Context {
        mesh: &mesh,
        as_of,
        classes: &classes,
    };
    // Rules and policies only read the model, so they run side by side
    // (each is parallel inside). Policies add their files to the source db,
    // so findings can point into them; all findings obey the rule settings.
    let ((rule_diags, t3), policy_diags) = rayon::join(
        || (check::run(&cx), Instant::now()),
        || policy::check(&mesh, &classes, as_of, &mut db, &files),
    );
    diags.extend(
        rule_diags
            .into_iter()
            .chain(policy_diags)
            .filter_map(|d| settings.apply(d)),
    );
    let t4 = Instant::now();
    let mut all = load_diags;
    all.extend(diags);
    diagnostics::normalize(&mut all);
    Ok(Checked {
        db,
        mesh_files,
        mesh,
        classes,
        as_of,
        diagnostics: all,
        timings: Timings {
            load: t1 - t0,
            resolve: t2 - t1,
            check: t3 - t2,
            policy: t4 - t3,
            emit: Duration::ZERO,
            cache: cache_stats,
        },
    })
}
