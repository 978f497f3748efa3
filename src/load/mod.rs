//! Load: walk the mesh folder (on disk, or at a revision: [`MeshSource`]),
//! read every meshc YAML file, parse them in parallel (through a
//! [`ParseCache`] when given one), then read the ODCS contract files ports
//! name (`contract`).
//! Returns the documents plus diagnostics; only I/O problems with the
//! folder itself (missing, unreadable) are errors.

mod cache;
mod compact;
mod contract;
pub(crate) mod files;
pub mod parse;
pub mod sp;
pub mod store;
pub mod syntax;
#[cfg(test)]
mod tree_tests;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, SourceDb, SourceFile, Span};
pub use cache::{CacheStats, ParseCache};
pub(crate) use files::Entry;
pub use files::{MeshFiles, MeshSource};
pub use parse::FileResult;
pub use sp::{Loc, Sp};
pub use syntax::Document;

/// Everything read from a mesh folder.
#[derive(Debug)]
pub struct Loaded {
    /// The mesh files, then the contract files ports name.
    pub db: SourceDb,
    /// How many of `db`'s files are mesh files (the first ones).
    pub mesh_files: usize,
    /// Documents in file order, then document order.
    pub docs: Vec<(FileId, Document)>,
    pub diagnostics: Vec<Diagnostic>,
    /// Documents that failed to load but could be identified.
    pub broken: Vec<parse::Broken>,
}

/// A problem with the folder or a file that is not about its content.
#[derive(Debug)]
pub struct IoError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for IoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// Files are walked relative to `root`; folders in `skip` (absolute or
/// relative to the current directory) are never entered.
pub fn load(root: &Path, skip: &[PathBuf]) -> Result<Loaded, IoError> {
    let files = MeshFiles::open(&MeshSource::Dir(root.to_path_buf()), skip)?;
    load_files(&files, None)
}

/// Loads the mesh from `files` (a folder on disk or at a revision). With a
/// `cache`, a file whose text was parsed before is not parsed again.
pub fn load_files(files: &MeshFiles, cache: Option<&ParseCache>) -> Result<Loaded, IoError> {
    let root = files.root.as_path();
    let entries: Vec<(Entry, String)> = match &files.kind {
        files::Kind::Disk { canon_root, skip } => walk(root, canon_root, skip)?
            .into_iter()
            .map(|(abs, rel)| (Entry::Path(abs), rel))
            .collect(),
        files::Kind::Tree { tree, skip } => files::tree_files(tree, skip)
            .filter(|(_, p)| is_yaml(Path::new(p)))
            .map(|(i, p)| (Entry::Blob(i), p.to_string()))
            .collect(),
    };

    // Read (and index the lines of) the files in parallel; order is the
    // sorted walk order. A file that cannot be parsed keeps why.
    let read: Vec<Result<Option<Indexed>, IoError>> = entries
        .par_iter()
        .map(|(entry, rel)| {
            let bytes = files.read(entry).map_err(|e| IoError {
                path: match entry {
                    Entry::Path(abs) => abs.clone(),
                    Entry::Blob(_) => root.join(rel),
                },
                message: e.to_string(),
            })?;
            Ok(classify(rel, bytes).map(|(rel, content)| match content {
                Ok(text) => (SourceFile::new(rel, text), None),
                Err(u) => (SourceFile::new(rel, u.text), Some((u.message, u.at))),
            }))
        })
        .collect();

    let mut db = SourceDb::new(root);
    let mut diagnostics = Vec::new();
    let mut ids = Vec::new();
    for r in read {
        let Some((file, unreadable)) = r? else {
            continue;
        };
        let id = db.add(file);
        match unreadable {
            None => ids.push(id),
            Some((message, at)) => diagnostics.push(
                Diagnostic::new(Code::M001, message)
                    .with_primary(Span::new(id, at, at + 1), "")
                    .with_help("mesh files are UTF-8 text of at most 16 MiB"),
            ),
        }
    }

    let results: Vec<(FileId, FileResult)> = ids
        .par_iter()
        .with_max_len(16)
        .map(|&id| {
            let result = match cache {
                Some(c) => c.parse(id, db.get(id)),
                None => parse::parse_file(id, db.get(id)),
            };
            (id, result)
        })
        .collect();
    let mut docs = Vec::new();
    let mut broken = Vec::new();
    for (id, r) in results {
        docs.extend(r.docs.into_iter().map(|d| (id, d)));
        diagnostics.extend(r.diagnostics);
        broken.extend(r.broken);
    }
    let mesh_files = db.len();
    diagnostics.extend(contract::attach(&mut db, &mut docs, files));
    Ok(Loaded {
        db,
        mesh_files,
        docs,
        diagnostics,
        broken,
    })
}

/// Keeps a file that is a meshc file (a line starts `apiVersion: meshc/…`):
/// its text, or why it cannot be parsed (too big, not UTF-8).
fn classify(rel: &str, bytes: Vec<u8>) -> Option<ReadFile> {
    if bytes.len() > parse::MAX_FILE_BYTES {
        // Too big to be a mesh file we would read; report it only if its
        // start says it is one.
        let head = String::from_utf8_lossy(&bytes[..4096.min(bytes.len())]);
        if !parse::mentions_meshc(&head) {
            return None;
        }
        return Some((
            rel.to_string(),
            Err(Unreadable {
                message: format!(
                    "file is {} bytes, above the {} MiB limit for a mesh file",
                    bytes.len(),
                    parse::MAX_FILE_BYTES / (1024 * 1024)
                ),
                text: String::new(),
                at: 0,
            }),
        ));
    }
    match String::from_utf8(bytes) {
        Ok(text) if parse::mentions_meshc(&text) => Some((rel.to_string(), Ok(text))),
        Ok(_) => None,
        Err(e) => {
            let text = String::from_utf8_lossy(e.as_bytes());
            if !parse::mentions_meshc(&text) {
                return None;
            }
            let at = e.utf8_error().valid_up_to();
            let line = 1 + e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count();
            Some((
                rel.to_string(),
                Err(Unreadable {
                    message: format!(
                        "not valid UTF-8: line {line}, byte {at} is not part of a UTF-8 character"
                    ),
                    text: text.into_owned(),
                    at,
                }),
            ))
        }
    }
}

/// A file read from the mesh: its display path and text, or why it cannot be parsed.
type ReadFile = (String, Result<String, Unreadable>);

/// A file read from the mesh with its lines indexed, and why it cannot be
/// parsed (the message and the byte it is about), if it cannot.
type Indexed = (SourceFile, Option<(String, usize)>);

/// A mesh file that cannot be parsed at all.
struct Unreadable {
    message: String,
    /// What can be shown of it (lossy), for the snippet.
    text: String,
    /// Byte offset of the problem.
    at: usize,
}

fn is_yaml(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml") | Some("yml")
    )
}

/// `path` relative to `root`, `/`-separated: how files are named in
/// diagnostics and the manifest.
pub(crate) fn rel_path(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The YAML files under `root`, sorted, as (path to read, path to show).
fn walk(
    root: &Path,
    canon_root: &Path,
    skip: &[PathBuf],
) -> Result<Vec<(PathBuf, String)>, IoError> {
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            let hidden = e.file_name().to_str().is_some_and(|n| n.starts_with('.'));
            if hidden {
                return false;
            }
            if e.file_type().is_dir()
                && let Ok(c) = e.path().canonicalize()
                && skip.contains(&c)
            {
                return false;
            }
            true
        });
    let mut links = Vec::new();
    for entry in walker {
        let entry = entry.map_err(|e| IoError {
            path: e
                .path()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| root.to_path_buf()),
            message: e.to_string(),
        })?;
        let path = entry.path();
        if !is_yaml(path) {
            continue;
        }
        let ft = entry.file_type();
        if ft.is_symlink() {
            links.push(path.to_path_buf());
        } else if ft.is_file() {
            out.push((path.to_path_buf(), rel_path(root, path)));
        }
    }
    if links.is_empty() {
        out.sort_by(|a, b| a.1.cmp(&b.1));
        return Ok(out);
    }
    // A link is read only when it points at a file inside the root that the
    // walk did not already read (so a file is never read twice).
    let seen: std::collections::BTreeSet<PathBuf> = out
        .iter()
        .filter_map(|(p, _)| p.canonicalize().ok())
        .collect();
    let mut extra = std::collections::BTreeSet::new();
    for link in links {
        if let Ok(target) = link.canonicalize()
            && target.starts_with(canon_root)
            && !skip.iter().any(|s| target.starts_with(s))
            && !target.strip_prefix(canon_root).is_ok_and(|rel| {
                rel.components()
                    .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
            })
            && target.is_file()
            && !seen.contains(&target)
            && extra.insert(target)
        {
            let rel = rel_path(root, &link);
            out.push((link, rel));
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}
