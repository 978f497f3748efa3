//! Helpers the integration tests share: the binary on a fixed day, the
//! example mesh, the generator, and folder copies and snapshots. Included
//! with `#[path = "support/common.rs"] mod common;`.

#![allow(dead_code)] // each test binary uses some of these

use std::path::{Path, PathBuf};

/// The `meshc` binary, judging on a fixed day (2026-11-25) so dates in the
/// meshes keep their meaning whenever the tests run, colour left to flags.
pub fn meshc() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("meshc").expect("binary is built");
    c.env_remove("NO_COLOR");
    c.env("SOURCE_DATE_EPOCH", "1795564800");
    c
}

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn example() -> PathBuf {
    root().join("mesh.example")
}

/// Copies a folder tree (files only), leaving out a `build` folder at its top.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(from).expect("prefix");
        if rel.starts_with("build") {
            continue;
        }
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

/// Relative path → bytes for every file under `dir`, sorted.
pub fn snapshot_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .expect("prefix")
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).expect("read"))
        })
        .collect();
    out.sort();
    out
}

/// The generator example, built by `cargo build --examples` next to the
/// test binaries (scripts/test builds it first).
pub fn gen_mesh() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let dir = exe.parent().and_then(|p| p.parent()).expect("target dir");
    let path = dir
        .join("examples")
        .join(format!("gen_mesh{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} missing: run `cargo build --examples` first (scripts/test does)",
        path.display()
    );
    path
}

/// Generates a mesh of `products` products with `seed` into `out` (which
/// must not exist or be empty).
#[allow(dead_code)] // not every test binary generates a mesh
pub fn generate(out: &Path, products: u32, seed: u64) {
    let st = std::process::Command::new(gen_mesh())
        .args([
            "--products",
            &products.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
        ])
        .arg(out)
        .output()
        .expect("run gen_mesh");
    assert!(
        st.status.success(),
        "gen_mesh: {}",
        String::from_utf8_lossy(&st.stderr)
    );
}

/// `meshc build MESH -o OUT`, which must succeed.
pub fn build_ok(mesh: impl AsRef<std::ffi::OsStr>, out: impl AsRef<std::ffi::OsStr>) {
    meshc()
        .arg("build")
        .arg(mesh)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
}
