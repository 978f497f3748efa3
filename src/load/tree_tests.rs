//! The check pipeline over a mesh at a Git revision (`MeshSource::Tree`,
//! read from the object database) gives what it gives over the same folder
//! on disk; contracts and policies are read from the revision; the parse
//! cache parses an unchanged file once.

use std::path::{Path, PathBuf};

use git2::Repository;

use super::{MeshSource, ParseCache};
use crate::Checked;
use crate::diagnostics::render::{Format, render};
use crate::git::test_repo::commit_all;

fn as_of() -> crate::date::Date {
    crate::date::Date::parse("2026-11-25").expect("date")
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies the folder `from` into `to` (regular files and folders only).
fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(|e| e.ok())
    {
        let rel = e.path().strip_prefix(from).expect("prefix");
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else if e.file_type().is_file() {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

/// The folders in `dir`, sorted.
fn subfolders(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// A new repository with a copy of `fixture` (relative to the crate) at
/// `at` (relative to the repository), nothing committed yet.
fn repo_with(fixture: &str, at: &str) -> (tempfile::TempDir, Repository, PathBuf) {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repository::init(tmp.path()).expect("init");
    let mesh = tmp.path().join(at);
    copy_dir(&manifest_dir().join(fixture), &mesh);
    (tmp, repo, mesh)
}

/// Everything a check reports, as text: every diagnostic rendered (code,
/// message, file, line, column, related places, help, snippet), the files
/// read, and each product with its ports' columns and contract files.
fn summary(c: &Checked) -> String {
    let mut s = render(&c.diagnostics, &c.db, Format::Json, false);
    s.push_str(&render(&c.diagnostics, &c.db, Format::Text, false));
    s.push_str(&format!("mesh files: {}\n", c.mesh_files));
    for (_, f) in c.db.iter() {
        s.push_str(&format!("file {} ({} bytes)\n", f.path, f.text.len()));
    }
    for p in &c.mesh.products {
        s.push_str(&format!("product {} in {}\n", p.fqn, c.db.path(p.file)));
        for port in &p.spec.outputs {
            s.push_str(&format!(
                "  port {} columns {:?} contract {:?}\n",
                port.name.as_str(),
                port.columns.as_ref().map(Vec::len),
                port.contract_file.map(|f| c.db.path(f)),
            ));
        }
    }
    s
}

fn at_revision(dir: &Path, rev: &str) -> MeshSource {
    MeshSource::at_revision(dir, rev).expect("revision")
}

fn check_tree(dir: &Path, rev: &str, skip: &[PathBuf], cache: Option<&ParseCache>) -> Checked {
    crate::check_source(&at_revision(dir, rev), skip, as_of(), cache).expect("check tree")
}

/// Every check fixture, the book's broken mesh and the example mesh, each
/// in a subfolder of one repository: checked at HEAD from the object
/// database, each reports exactly what the folder on disk reports.
#[test]
fn a_revision_checks_like_the_folder_on_disk() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repository::init(tmp.path()).expect("init");
    let mut meshes = Vec::new();
    let fixtures = manifest_dir().join("tests/fixtures/check");
    for code in subfolders(&fixtures) {
        for case in subfolders(&code) {
            let rel = case.strip_prefix(&fixtures).expect("prefix");
            meshes.push((case.clone(), tmp.path().join("check").join(rel)));
        }
    }
    meshes.push((
        manifest_dir().join("tests/fixtures/book/typos"),
        tmp.path().join("book/typos"),
    ));
    meshes.push((
        manifest_dir().join("mesh.example"),
        tmp.path().join("example"),
    ));
    for (from, to) in &meshes {
        copy_dir(from, to);
    }
    // A build folder in the example (not usually committed): skipped.
    let build = tmp.path().join("example/build");
    std::fs::create_dir_all(&build).expect("mkdir");
    std::fs::copy(
        manifest_dir().join("mesh.example/mesh.yaml"),
        build.join("mesh.yaml"),
    )
    .expect("copy");
    commit_all(&repo, "meshes");

    let mut compared = 0;
    for (_, dir) in &meshes {
        let skip = [dir.join("build")];
        let disk = crate::check(dir, &skip, as_of()).expect("check disk");
        let tree = check_tree(dir, "HEAD", &skip, None);
        assert_eq!(summary(&tree), summary(&disk), "{}", dir.display());
        assert_eq!(tree.db.root, disk.db.root);
        compared += 1;
    }
    assert!(compared > 80, "{compared} meshes");

    // The example reads its contract and its Rego policies (global and a
    // domain's) from the revision; its committed build folder is not read.
    let example = tmp.path().join("example");
    let tree = check_tree(&example, "HEAD", &[example.join("build")], None);
    let paths: Vec<&str> = tree.db.iter().map(|(_, f)| f.path.as_str()).collect();
    assert!(
        paths.contains(&"domains/logistics/products/contracts/carrier_rates.odcs.yaml"),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.starts_with("policies/")),
        "{paths:?}"
    );
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("domains/finance/policies/")),
        "{paths:?}"
    );
    assert!(!paths.iter().any(|p| p.starts_with("build/")), "{paths:?}");
    assert!(!tree.has_errors(), "{}", summary(&tree));
    // Without the skip, the committed build folder's Mesh is a duplicate.
    let unskipped = check_tree(&example, "HEAD", &[], None);
    assert!(unskipped.has_errors());
}

/// A contract that is fine on disk but not at the revision: uncommitted
/// (M008 "does not exist"), and a committed one that escapes the mesh.
#[test]
fn contracts_are_read_from_the_revision() {
    let (tmp, repo, mesh) = repo_with("tests/fixtures/check/M008/ok", "data/mesh");
    let contract = mesh.join("products/contracts/orders.odcs.yaml");
    let text = std::fs::read(&contract).expect("contract");
    std::fs::remove_file(&contract).expect("rm");
    // A copy outside the mesh folder, committed.
    std::fs::write(tmp.path().join("data/orders.odcs.yaml"), &text).expect("w");
    commit_all(&repo, "without the contract");
    std::fs::write(&contract, &text).expect("w");

    let m008 = |c: &Checked| -> Vec<String> {
        c.diagnostics
            .iter()
            .filter(|d| d.code_str() == "M008")
            .map(|d| {
                let p = d.primary.as_ref().expect("span");
                let f = c.db.get(p.span.file);
                format!(
                    "{}:{}: {}",
                    f.path,
                    f.line_col(p.span.start as usize).0,
                    d.message
                )
            })
            .collect()
    };
    let disk = crate::check(&mesh, &[], as_of()).expect("disk");
    assert_eq!(m008(&disk), Vec::<String>::new());
    let tree = check_tree(&mesh, "HEAD", &[], None);
    assert_eq!(
        m008(&tree),
        [
            "products/orders.yaml:15: contract file products/contracts/orders.odcs.yaml does not exist"
        ]
    );

    // At the next revision the product names the copy outside the folder.
    let orders = mesh.join("products/orders.yaml");
    let yaml = std::fs::read_to_string(&orders).expect("orders");
    std::fs::write(
        &orders,
        yaml.replace(
            "contract: contracts/orders.odcs.yaml",
            "contract: ../../orders.odcs.yaml",
        ),
    )
    .expect("w");
    commit_all(&repo, "outside");
    let tree = check_tree(&mesh, "HEAD", &[], None);
    assert_eq!(
        m008(&tree),
        [
            "products/orders.yaml:15: contract `../../orders.odcs.yaml` points outside the mesh folder"
        ]
    );
    assert_eq!(tree.db.len(), tree.mesh_files, "nothing outside is read");
    assert_eq!(
        summary(&tree),
        summary(&crate::check(&mesh, &[], as_of()).expect("disk"))
    );
}

/// Base and head share a parse cache: the head's unchanged files are not
/// parsed again, and the results are those of an uncached check — also
/// when a new file moves every other file's id (diagnostics remapped).
#[test]
fn the_parse_cache_parses_each_text_once() {
    let (_tmp, repo, mesh) = repo_with("mesh.example", "mesh");
    // A file with a parse error, so cached results carry diagnostics.
    std::fs::write(
        mesh.join("domains/zz_broken.yaml"),
        "apiVersion: meshc/v1\nkind: Team\nmetadata: { name: broken }\nspec: { members: 3 }\n",
    )
    .expect("w");
    commit_all(&repo, "base");
    let orders = mesh.join("domains/sales/products/orders.yaml");
    let text = std::fs::read_to_string(&orders).expect("orders");
    std::fs::write(
        &orders,
        text.replacen("description:", "description: Changed.", 1),
    )
    .expect("w");
    commit_all(&repo, "one file changed");
    std::fs::write(
        mesh.join("a_first.yaml"),
        "apiVersion: meshc/v1\nkind: Team\nmetadata: { name: first }\nspec: {}\n",
    )
    .expect("w");
    commit_all(&repo, "one file added, first in path order");

    let cache = ParseCache::new();
    // Checks `rev` through the cache: the counters after it are `(hits,
    // misses)` and the result is the uncached one.
    let cached = |rev: &str, counters: (usize, usize)| {
        let c = check_tree(&mesh, rev, &[], Some(&cache));
        let s = cache.stats();
        assert_eq!((s.hits, s.misses), counters, "{rev}");
        assert_eq!(summary(&c), summary(&check_tree(&mesh, rev, &[], None)));
        c
    };
    let n = check_tree(&mesh, "HEAD~2", &[], None).mesh_files;
    let base = cached("HEAD~2", (0, n));
    assert!(
        base.diagnostics.iter().any(|d| d
            .primary
            .as_ref()
            .is_some_and(|p| base.db.path(p.span.file) == "domains/zz_broken.yaml")),
        "{}",
        summary(&base)
    );
    // The same revision again: nothing is parsed.
    cached("HEAD~2", (n, n));
    // One file changed: one file parsed.
    cached("HEAD~1", (2 * n - 1, n + 1));
    // One file added before all others: one file parsed, every id moved.
    let added = cached("HEAD", (3 * n - 1, n + 2));
    assert_eq!(added.mesh_files, n + 1);

    // The working tree (unchanged since HEAD) through the same cache.
    let disk = crate::check_source(&MeshSource::Dir(mesh.clone()), &[], as_of(), Some(&cache))
        .expect("disk");
    assert_eq!((cache.stats().hits, cache.stats().misses), (4 * n, n + 2));
    assert_eq!(summary(&disk), summary(&added));
    assert_eq!(cache.len(), n + 2);
}
