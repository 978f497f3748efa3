//! A mesh at a Git revision, read straight from the object database with
//! git2: no checkout, no temporary clone, the working tree untouched. This
//! is the base side of `meshc diff --base REV` (SPEC §5); the head side is a
//! revision too, or the working tree as the disk loader reads it.
//!
//! The mesh folder may be a subfolder of the repository: files are listed
//! relative to it, as the disk loader names them. Like the disk walk, the
//! tree walk skips hidden files and folders, and it does not follow
//! symbolic links (their blobs hold a path, not content) or enter
//! submodules.

use std::fmt;
use std::path::{Component, Path};

use git2::{ObjectType, Repository, TreeWalkMode, TreeWalkResult};

/// The files of a mesh folder at one revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeFiles {
    /// The commit the revision names (40 hex digits).
    pub commit: String,
    /// `(path relative to the mesh folder, '/'-separated; content)`, sorted
    /// by path. Empty when the folder did not exist at that revision.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Why a revision cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitError {
    /// The folder is not inside a Git working tree.
    NotARepository { dir: String, message: String },
    /// The revision names no commit.
    NoRevision { revision: String, message: String },
    /// Anything else git2 reports (a corrupt object, …).
    Other(String),
}

impl fmt::Display for GitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitError::NotARepository { dir, message } => {
                write!(f, "{dir} is not inside a Git repository ({message})")
            }
            GitError::NoRevision { revision, message } => {
                write!(
                    f,
                    "revision `{revision}` does not name a commit ({message})"
                )
            }
            GitError::Other(m) => write!(f, "git: {m}"),
        }
    }
}

impl std::error::Error for GitError {}

fn other(e: git2::Error) -> GitError {
    GitError::Other(e.message().to_string())
}

/// The folder `dir` (a mesh inside a Git working tree) at `revision`
/// (`main`, `origin/main`, `HEAD~1`, a commit id: anything `git rev-parse`
/// takes).
pub fn read_tree(dir: &Path, revision: &str) -> Result<TreeFiles, GitError> {
    let shown = dir.display().to_string();
    let repo = Repository::discover(dir).map_err(|e| GitError::NotARepository {
        dir: shown.clone(),
        message: e.message().to_string(),
    })?;
    let Some(workdir) = repo.workdir() else {
        return Err(GitError::NotARepository {
            dir: shown,
            message: "the repository is bare".into(),
        });
    };
    // Where the mesh folder is inside the working tree.
    let (canon_dir, canon_wd) = match (dir.canonicalize(), workdir.canonicalize()) {
        (Ok(d), Ok(w)) => (d, w),
        (Err(e), _) | (_, Err(e)) => return Err(GitError::Other(e.to_string())),
    };
    let Ok(rel) = canon_dir.strip_prefix(&canon_wd) else {
        return Err(GitError::NotARepository {
            dir: shown,
            message: "the folder is outside the repository's working tree".into(),
        });
    };
    let prefix: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let commit = repo
        .revparse_single(revision)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| GitError::NoRevision {
            revision: revision.to_string(),
            message: e.message().to_string(),
        })?;
    let root = commit.tree().map_err(other)?;
    let tree = if prefix.is_empty() {
        root
    } else {
        match root.get_path(Path::new(&prefix.join("/"))) {
            Ok(entry) if entry.kind() == Some(ObjectType::Tree) => entry
                .to_object(&repo)
                .and_then(|o| o.peel_to_tree())
                .map_err(other)?,
            // The folder did not exist then (or was a file): no mesh.
            _ => {
                return Ok(TreeFiles {
                    commit: commit.id().to_string(),
                    files: Vec::new(),
                });
            }
        }
    };
    let mut blobs: Vec<(String, git2::Oid)> = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |parent, entry| {
        let name = entry.name().unwrap_or("");
        if name.starts_with('.') {
            return TreeWalkResult::Skip;
        }
        // Regular and executable files only: 0o120000 is a symbolic link.
        let regular = entry.kind() == Some(ObjectType::Blob)
            && matches!(entry.filemode(), 0o100644 | 0o100755);
        if regular {
            blobs.push((format!("{parent}{name}"), entry.id()));
        }
        TreeWalkResult::Ok
    })
    .map_err(other)?;
    let mut files = Vec::with_capacity(blobs.len());
    for (path, id) in blobs {
        let blob = repo.find_blob(id).map_err(other)?;
        files.push((path, blob.content().to_vec()));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(TreeFiles {
        commit: commit.id().to_string(),
        files,
    })
}

/// Test repositories, for this module's tests and the loader's.
#[cfg(test)]
pub(crate) mod test_repo {
    use git2::Repository;

    /// Commits the working tree's current files (all of them) to HEAD.
    pub(crate) fn commit_all(repo: &Repository, message: &str) -> git2::Oid {
        let mut index = repo.index().expect("index");
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .expect("add");
        index.update_all(["*"], None).expect("update");
        index.write().expect("write index");
        let tree_id = index.write_tree().expect("tree");
        let tree = repo.find_tree(tree_id).expect("find tree");
        let sig = git2::Signature::new(
            "meshc test",
            "test@meshc.example",
            &git2::Time::new(1_700_000_000, 0),
        )
        .expect("sig");
        let parents: Vec<git2::Commit<'_>> = repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &refs)
            .expect("commit")
    }
}

#[cfg(test)]
mod tests {
    use super::test_repo::commit_all;
    use super::*;

    #[test]
    fn reads_a_subfolder_at_each_revision_without_touching_the_working_tree() {
        let tmp = tempfile::tempdir().expect("tmp");
        let repo = Repository::init(tmp.path()).expect("init");
        let mesh = tmp.path().join("platform/mesh");
        std::fs::create_dir_all(mesh.join("products")).expect("mkdir");
        std::fs::create_dir_all(mesh.join(".hidden")).expect("mkdir");
        std::fs::write(mesh.join("mesh.yaml"), "v1\n").expect("w");
        std::fs::write(mesh.join("products/a.yaml"), "a1\n").expect("w");
        std::fs::write(mesh.join(".hidden/x.yaml"), "no\n").expect("w");
        std::fs::write(tmp.path().join("outside.yaml"), "out\n").expect("w");
        let first = commit_all(&repo, "one");
        std::fs::write(mesh.join("products/a.yaml"), "a2\n").expect("w");
        std::fs::write(mesh.join("products/b.yaml"), "b2\n").expect("w");
        commit_all(&repo, "two");
        // Uncommitted: not in any revision.
        std::fs::write(mesh.join("products/c.yaml"), "c\n").expect("w");

        let old = read_tree(&mesh, "HEAD~1").expect("HEAD~1");
        assert_eq!(old.commit, first.to_string());
        assert_eq!(
            old.files,
            vec![
                ("mesh.yaml".to_string(), b"v1\n".to_vec()),
                ("products/a.yaml".to_string(), b"a1\n".to_vec()),
            ]
        );
        let new = read_tree(&mesh, "HEAD").expect("HEAD");
        let names: Vec<&str> = new.files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(names, ["mesh.yaml", "products/a.yaml", "products/b.yaml"]);
        // By commit id too; the working tree is as it was.
        assert_eq!(read_tree(&mesh, &first.to_string()).expect("id"), old);
        assert_eq!(
            std::fs::read_to_string(mesh.join("products/a.yaml")).expect("r"),
            "a2\n"
        );
        // A folder that did not exist at a revision holds no files.
        let later = tmp.path().join("later");
        std::fs::create_dir_all(&later).expect("mkdir");
        assert!(read_tree(&later, "HEAD").expect("later").files.is_empty());
    }

    #[test]
    fn bad_revisions_and_folders_say_why() {
        let tmp = tempfile::tempdir().expect("tmp");
        match read_tree(tmp.path(), "HEAD") {
            Err(GitError::NotARepository { .. }) => {}
            other => panic!("{other:?}"),
        }
        let repo = Repository::init(tmp.path()).expect("init");
        std::fs::write(tmp.path().join("mesh.yaml"), "x\n").expect("w");
        commit_all(&repo, "one");
        let e = read_tree(tmp.path(), "no-such-branch").expect_err("missing");
        assert!(matches!(e, GitError::NoRevision { .. }), "{e:?}");
        assert!(e.to_string().contains("`no-such-branch`"), "{e}");
    }
}
