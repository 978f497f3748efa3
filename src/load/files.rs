//! Where a mesh's files come from: a folder on disk, or the same folder at a
//! Git revision (read from the object database by [`crate::git`]). The
//! loader, the contract reader and the policy reader all read through a
//! [`MeshFiles`], so the whole check pipeline runs on either.
//!
//! Both sources name files the same way: relative to the mesh folder,
//! `/`-separated. Hidden paths are never read. On disk, symbolic links are
//! followed only to files inside the mesh folder; a tree holds no links
//! (`git::read_tree` skips them), so a link is never read at a revision.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::IoError;
use crate::git::{self, GitError, TreeFiles};

/// A mesh folder as it is on disk, or as it was at a revision.
#[derive(Debug, Clone)]
pub enum MeshSource {
    /// The folder on disk (the working tree).
    Dir(PathBuf),
    /// The folder `dir` at a revision: `tree` holds its files. `dir` is only
    /// how the mesh is named (`SourceDb::root`); nothing is read from it.
    Tree { dir: PathBuf, tree: Arc<TreeFiles> },
}

impl MeshSource {
    /// The folder `dir` (inside a Git working tree) at `revision`.
    pub fn at_revision(dir: &Path, revision: &str) -> Result<MeshSource, GitError> {
        Ok(MeshSource::Tree {
            dir: dir.to_path_buf(),
            tree: Arc::new(git::read_tree(dir, revision)?),
        })
    }

    /// The mesh folder (as given).
    pub fn dir(&self) -> &Path {
        match self {
            MeshSource::Dir(d) | MeshSource::Tree { dir: d, .. } => d,
        }
    }

    /// The commit a tree was read at; `None` for the folder on disk.
    pub fn commit(&self) -> Option<&str> {
        match self {
            MeshSource::Dir(_) => None,
            MeshSource::Tree { tree, .. } => Some(&tree.commit),
        }
    }
}

/// A [`MeshSource`] opened for reading, with the folders never read (the
/// build output) resolved once.
#[derive(Debug)]
pub struct MeshFiles {
    /// The mesh folder as given: what `SourceDb::root` is.
    pub(crate) root: PathBuf,
    pub(crate) kind: Kind,
}

#[derive(Debug)]
pub(crate) enum Kind {
    Disk {
        canon_root: PathBuf,
        /// Canonical paths of the folders never read.
        skip: Vec<PathBuf>,
    },
    Tree {
        tree: Arc<TreeFiles>,
        /// Folders never read, relative to the mesh folder.
        skip: Vec<String>,
    },
}

/// A file found by a walk or a glob, to be read with [`MeshFiles::read`].
pub(crate) enum Entry {
    Path(PathBuf),
    /// Index in the tree's files.
    Blob(usize),
}

impl MeshFiles {
    /// Opens `src`. `skip` lists folders never read, absolute or relative
    /// to the current directory (as on the command line); for a tree, those
    /// inside the mesh folder are left out at their place in the tree.
    pub fn open(src: &MeshSource, skip: &[PathBuf]) -> Result<MeshFiles, IoError> {
        match src {
            MeshSource::Dir(root) => {
                let io_err = |e: std::io::Error| IoError {
                    path: root.to_path_buf(),
                    message: e.to_string(),
                };
                let meta = std::fs::metadata(root).map_err(io_err)?;
                if !meta.is_dir() {
                    return Err(IoError {
                        path: root.to_path_buf(),
                        message: "not a directory".into(),
                    });
                }
                let canon_root = root.canonicalize().map_err(io_err)?;
                let skip = skip.iter().filter_map(|p| p.canonicalize().ok()).collect();
                Ok(MeshFiles {
                    root: root.clone(),
                    kind: Kind::Disk { canon_root, skip },
                })
            }
            MeshSource::Tree { dir, tree } => Ok(MeshFiles {
                root: dir.clone(),
                kind: Kind::Tree {
                    tree: Arc::clone(tree),
                    skip: skip.iter().filter_map(|s| inside(dir, s)).collect(),
                },
            }),
        }
    }

    /// The content of a file found by a walk or a glob.
    pub(crate) fn read(&self, entry: &Entry) -> std::io::Result<Vec<u8>> {
        match (entry, &self.kind) {
            (Entry::Path(p), _) => std::fs::read(p),
            (Entry::Blob(i), Kind::Tree { tree, .. }) => tree
                .files
                .get(*i)
                .map(|(_, b)| b.clone())
                .ok_or_else(|| std::io::ErrorKind::NotFound.into()),
            (Entry::Blob(_), Kind::Disk { .. }) => Err(std::io::ErrorKind::NotFound.into()),
        }
    }
}

/// The tree's files outside its skipped folders, with their index.
pub(crate) fn tree_files<'t>(
    tree: &'t TreeFiles,
    skip: &'t [String],
) -> impl Iterator<Item = (usize, &'t str)> + 't {
    tree.files
        .iter()
        .enumerate()
        .map(|(i, (p, _))| (i, p.as_str()))
        .filter(|(_, p)| !under_any(skip, p))
}

/// Whether `rel` is one of the folders `skip` or inside one.
pub(crate) fn under_any(skip: &[String], rel: &str) -> bool {
    skip.iter().any(|s| {
        rel.strip_prefix(s.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// What a tree holds at `rel` (relative to the mesh folder).
pub(crate) enum TreeEntry<'t> {
    File(&'t [u8]),
    Folder,
    Missing,
}

pub(crate) fn tree_entry<'t>(tree: &'t TreeFiles, rel: &str) -> TreeEntry<'t> {
    // Files are sorted by path, so a file is found by binary search and a
    // folder's first file sorts right after `rel/`.
    let files = &tree.files;
    if let Ok(i) = files.binary_search_by(|(p, _)| p.as_str().cmp(rel)) {
        return TreeEntry::File(&files[i].1);
    }
    let folder = format!("{rel}/");
    let at = files.partition_point(|(p, _)| p.as_str() < folder.as_str());
    match files.get(at) {
        Some((p, _)) if p.starts_with(&folder) => TreeEntry::Folder,
        _ => TreeEntry::Missing,
    }
}

/// `path` (a folder, as on the command line) relative to the mesh folder
/// `dir`, `/`-separated, when it lies strictly inside it.
fn inside(dir: &Path, path: &Path) -> Option<String> {
    let rel = match path.strip_prefix(dir) {
        Ok(r) => r.to_path_buf(),
        Err(_) => {
            let (p, d) = (path.canonicalize().ok()?, dir.canonicalize().ok()?);
            p.strip_prefix(&d).ok()?.to_path_buf()
        }
    };
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(paths: &[&str]) -> TreeFiles {
        TreeFiles {
            commit: String::new(),
            files: paths
                .iter()
                .map(|p| (p.to_string(), p.as_bytes().to_vec()))
                .collect(),
        }
    }

    #[test]
    fn tree_entries_and_skipped_folders() {
        let t = tree(&[
            "a.yaml",
            "build/x.yaml",
            "builds.yaml",
            "d/e/f.yaml",
            "d/g.yaml",
        ]);
        assert!(matches!(
            tree_entry(&t, "d/g.yaml"),
            TreeEntry::File(b"d/g.yaml")
        ));
        assert!(matches!(tree_entry(&t, "d"), TreeEntry::Folder));
        assert!(matches!(tree_entry(&t, "d/e"), TreeEntry::Folder));
        assert!(matches!(tree_entry(&t, "d/e/f"), TreeEntry::Missing));
        assert!(matches!(tree_entry(&t, "c"), TreeEntry::Missing));
        let skip = ["build".to_string()];
        let kept: Vec<&str> = tree_files(&t, &skip).map(|(_, p)| p).collect();
        assert_eq!(kept, ["a.yaml", "builds.yaml", "d/e/f.yaml", "d/g.yaml"]);
    }

    #[test]
    fn skip_folders_relative_to_the_mesh_folder() {
        let dir = Path::new("repo/mesh");
        assert_eq!(
            inside(dir, Path::new("repo/mesh/build")),
            Some("build".into())
        );
        assert_eq!(
            inside(dir, Path::new("repo/mesh/./out/b")),
            Some("out/b".into())
        );
        assert_eq!(inside(dir, Path::new("repo/mesh")), None);
        assert_eq!(inside(dir, Path::new("repo/mesh/../x")), None);
        assert_eq!(inside(dir, Path::new("/nowhere/at/all")), None);
    }
}
