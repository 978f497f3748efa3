//! The parse cache a build leaves in OUT: the next build (and `meshc
//! check`) reuse the results of files that did not change, and nothing they
//! produce differs from a build without it.

#[path = "support/common.rs"]
mod common;
use common::{copy_tree, example, meshc, snapshot_tree};

use std::path::Path;

const CACHE: &str = ".meshc-parse-cache";

/// Runs `meshc build DIR -o OUT --timings`; returns (reused, parsed).
fn build(dir: &Path, out: &Path) -> (usize, usize) {
    let o = meshc()
        .arg("build")
        .arg(dir)
        .arg("-o")
        .arg(out)
        .arg("--timings")
        .assert()
        .success();
    counts(&String::from_utf8_lossy(&o.get_output().stderr))
}

fn counts(stderr: &str) -> (usize, usize) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("timings:"))
        .unwrap_or_else(|| panic!("no timings line in {stderr}"));
    let inner = line
        .split_once("(reused ")
        .and_then(|(_, r)| r.split_once(')'))
        .map(|(r, _)| r)
        .unwrap_or_else(|| panic!("no cache counts in {line}"));
    let (reused, parsed) = inner.split_once(", parsed ").expect("counts");
    (
        reused.parse().expect("reused"),
        parsed.parse().expect("parsed"),
    )
}

/// Every file of a build but the cache itself.
fn artifacts(out: &Path) -> Vec<(String, Vec<u8>)> {
    snapshot_tree(out)
        .into_iter()
        .filter(|(p, _)| p != CACHE)
        .collect()
}

fn mesh_files(dir: &Path) -> usize {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.path().extension().is_some_and(|x| x == "yaml")
                && std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("apiVersion: meshc/"))
        })
        .count()
}

#[test]
fn a_rebuild_parses_only_what_changed_and_builds_the_same() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mesh = tmp.path().join("mesh");
    copy_tree(&example(), &mesh);
    let n = mesh_files(&mesh);
    let (out, fresh) = (tmp.path().join("out"), tmp.path().join("fresh"));

    // No cache yet: everything is parsed, and a cache is left.
    assert_eq!(build(&mesh, &out), (0, n));
    assert!(out.join(CACHE).is_file());
    let first = artifacts(&out);

    // Nothing changed: nothing is parsed, and the build is the same.
    assert_eq!(build(&mesh, &out), (n, 0));
    assert_eq!(artifacts(&out), first);

    // One file changed: it alone is parsed, and the build equals a build
    // that had no cache.
    let product = mesh.join("domains/sales/products/orders.yaml");
    let text = std::fs::read_to_string(&product).expect("read");
    let edited = text.replacen("description: ", "description: Edited. ", 1);
    assert_ne!(edited, text);
    std::fs::write(&product, edited).expect("write");
    assert_eq!(build(&mesh, &out), (n - 1, 1));
    assert_eq!(build(&mesh, &fresh), (0, n));
    assert_eq!(artifacts(&out), artifacts(&fresh));
    assert_ne!(artifacts(&out), first);
}

#[test]
fn a_damaged_cache_is_ignored() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mesh = tmp.path().join("mesh");
    copy_tree(&example(), &mesh);
    let n = mesh_files(&mesh);
    let out = tmp.path().join("out");
    build(&mesh, &out);
    let good = artifacts(&out);
    let cache = out.join(CACHE);
    let bytes = std::fs::read(&cache).expect("read");
    // Cut short, flipped inside a stored result, or replaced.
    let mut flipped = bytes.clone();
    let last = flipped.len() - 10;
    flipped[last] ^= 0x55;
    for damaged in [bytes[..bytes.len() / 2].to_vec(), flipped, b"junk".to_vec()] {
        std::fs::write(&cache, &damaged).expect("write");
        let (reused, parsed) = build(&mesh, &out);
        assert_eq!(reused + parsed, n);
        assert!(parsed >= 1, "a damaged cache was used whole");
        assert_eq!(artifacts(&out), good);
    }
}

#[test]
fn check_reads_the_default_build_cache_and_never_writes_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mesh = tmp.path().join("mesh");
    copy_tree(&example(), &mesh);
    let n = mesh_files(&mesh);
    let out = mesh.join("build");
    build(&mesh, &out);
    let before = std::fs::read(out.join(CACHE)).expect("cache");
    std::fs::write(mesh.join("domains/sales/domain.yaml"), {
        let t = std::fs::read_to_string(mesh.join("domains/sales/domain.yaml")).expect("read");
        t + "# edited\n"
    })
    .expect("write");
    let o = meshc()
        .arg("check")
        .arg(&mesh)
        .arg("--timings")
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&o.get_output().stderr).into_owned();
    assert_eq!(counts(&stderr), (n - 1, 1), "{stderr}");
    assert_eq!(std::fs::read(out.join(CACHE)).expect("cache"), before);
}
