//! `meshc import odcs` (SPEC §3, issue 5): ODCS v3 contracts → DataProduct
//! YAML that `meshc check` accepts, and the round trip export → import →
//! export, which must give the same contracts byte for byte.

#[path = "support/common.rs"]
mod common;
use common::{build_ok, copy_tree, example, meshc, root, snapshot_tree};

use std::path::{Path, PathBuf};

/// A mesh with one PostgreSQL target and nothing else.
fn empty_mesh(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(
        dir.join("mesh.yaml"),
        "apiVersion: meshc/v1\nkind: Mesh\nmetadata: { name: imported }\nspec:\n  targets:\n    - { name: warehouse, engine: postgres }\n",
    )
    .expect("write mesh.yaml");
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every `.odcs.yaml` under `dir`, sorted.
fn contract_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.to_string_lossy().ends_with(".odcs.yaml"))
        .collect();
    v.sort();
    v
}

/// Removes every file of `mesh` that holds a DataProduct.
fn remove_products(mesh: &Path) -> usize {
    let mut n = 0;
    for e in walkdir::WalkDir::new(mesh)
        .into_iter()
        .filter_map(Result::ok)
    {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "yaml")
            && std::fs::read_to_string(p).is_ok_and(|t| t.contains("\nkind: DataProduct"))
        {
            std::fs::remove_file(p).expect("rm product");
            n += 1;
        }
    }
    n
}

/// Builds `mesh`, imports its contracts into a copy without products,
/// builds the copy and compares the contracts of the two builds.
fn round_trip(mesh: &Path, products_at: &str) {
    let tmp = tempfile::tempdir().expect("tmp");
    let out1 = tmp.path().join("out1");
    build_ok(mesh, &out1);
    let copy = tmp.path().join("mesh");
    copy_tree(mesh, &copy);
    let _ = std::fs::remove_dir_all(copy.join("build"));
    assert!(remove_products(&copy) > 0);
    let files = contract_files(&out1.join("contracts"));
    assert!(!files.is_empty());
    let out = meshc()
        .args([
            "import",
            "odcs",
            "--products-only",
            "--color",
            "never",
            "--out",
        ])
        .arg(copy.join(products_at))
        .args(&files)
        .output()
        .expect("run");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "import failed:\n{stderr}");
    assert!(!stderr.contains('×') && !stderr.contains('⚠'), "{stderr}");
    let out2 = tmp.path().join("out2");
    build_ok(&copy, &out2);
    let first = snapshot_tree(&out1.join("contracts"));
    let second = snapshot_tree(&out2.join("contracts"));
    assert_eq!(first.len(), second.len());
    for ((p1, b1), (p2, b2)) in first.iter().zip(&second) {
        assert_eq!(p1, p2);
        assert!(
            b1 == b2,
            "{p1} differs after export → import → export:\n--- first\n{}\n--- second\n{}",
            text(b1),
            text(b2)
        );
    }
}

#[test]
fn round_trip_of_mesh_example_gives_the_same_contracts() {
    round_trip(&example(), "domains");
}

#[test]
fn round_trip_of_the_generated_mesh_gives_the_same_contracts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mesh = tmp.path().join("mesh");
    common::generate(&mesh, 200, 7);
    round_trip(&mesh, "domains");
}

/// Each example contract of the standard, imported into an empty mesh
/// with `--domain` and `--owner` (they name neither) and checked: the
/// import's and the check's diagnostics are snapshots, so a contract that
/// does not import clean names its real problem.
#[test]
fn the_standard_examples_import_and_check() {
    let examples = root().join("tests/data/odcs/examples");
    let files = contract_files(&examples);
    assert_eq!(files.len(), 8);
    for file in files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_string();
        let tmp = tempfile::tempdir().expect("tmp");
        let mesh = tmp.path().join("mesh");
        empty_mesh(&mesh);
        let import = meshc()
            .current_dir(root())
            .args([
                "import",
                "odcs",
                "--domain",
                "payments",
                "--owner",
                "payments_team",
            ])
            .args(["--color", "never", "--out"])
            .arg(&mesh)
            .arg(file.strip_prefix(root()).expect("inside the repo"))
            .output()
            .expect("run");
        let import_err = text(&import.stderr).replace(&mesh.display().to_string(), "MESH");
        let imported = snapshot_tree(&mesh)
            .into_iter()
            .filter(|(p, _)| p != "mesh.yaml")
            .map(|(p, b)| format!("--- {p}\n{}", text(&b)))
            .collect::<Vec<_>>()
            .join("");
        let check = meshc()
            .args(["check", "--color", "never"])
            .arg(&mesh)
            .output()
            .expect("run");
        let report = format!(
            "import exit {}\n{import_err}\n{imported}\ncheck exit {}\n{}",
            import.status.code().unwrap_or(-1),
            check.status.code().unwrap_or(-1),
            text(&check.stderr)
        );
        // Never a crash: an error is a diagnostic and exit 1.
        assert!(matches!(import.status.code(), Some(0 | 1)), "{report}");
        if import.status.code() == Some(1) {
            assert!(import_err.contains("M008"), "{report}");
        }
        insta::assert_snapshot!(format!("example_{name}"), report);
    }
}

/// Contracts of one data product become one DataProduct with a port per
/// contract; product-level disagreement is a warning, a port imported
/// twice an error; stdout holds the documents.
#[test]
fn contracts_of_one_product_merge() {
    let tmp = tempfile::tempdir().expect("tmp");
    let contract = |port: &str, version: &str| {
        format!(
            "apiVersion: v3.1.0\nkind: DataContract\nid: {port}\nversion: {version}\nstatus: active\ndomain: sales\ndataProduct: orders\nteam:\n  name: sales_data\n  members: [{{ username: a@x.example }}]\nsupport:\n  - {{ channel: sales@x.example, tool: email, url: \"mailto:sales@x.example\" }}\n  - {{ channel: \"#sales\", tool: slack }}\nschema:\n  - name: {port}\n    description: The {port}.\n    properties:\n      - {{ name: id, logicalType: integer, logicalTypeOptions: {{ format: i64 }}, required: true, primaryKey: true, description: Key. }}\n"
        )
    };
    let a = tmp.path().join("a.odcs.yaml");
    let b = tmp.path().join("b.odcs.yaml");
    let c = tmp.path().join("c.odcs.yaml");
    std::fs::write(&a, contract("orders", "1.2.0")).expect("write");
    std::fs::write(&b, contract("lines", "1.3.0")).expect("write");
    std::fs::write(&c, contract("orders", "1.2.0")).expect("write");
    let out = meshc()
        .args(["import", "odcs", "--color", "never"])
        .args([&a, &b, &c])
        .output()
        .expect("run");
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    // A port given twice fails the product: it is not written at all.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stdout.matches("kind: DataProduct").count(), 0, "{stdout}");
    assert!(stderr.contains("version differs"), "{stderr}");
    assert!(stderr.contains("already has a port `orders`"), "{stderr}");
    assert!(stderr.contains("`sales.orders` is not written"), "{stderr}");

    let out = meshc()
        .args(["import", "odcs", "--color", "never"])
        .args([&a, &b])
        .output()
        .expect("run");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(stdout.matches("kind: DataProduct").count(), 1, "{stdout}");
    assert!(stdout.contains("    - name: orders\n"), "{stdout}");
    assert!(stdout.contains("    - name: lines\n"), "{stdout}");
    assert!(stdout.contains("version: \"1.2.0\""), "{stdout}");
    assert!(stdout.contains("kind: Domain"), "{stdout}");
    assert!(stdout.contains("kind: Team"), "{stdout}");
    assert!(stdout.contains("email: \"sales@x.example\""), "{stdout}");
    assert!(stdout.contains("chat: \"#sales\""), "{stdout}");
    assert!(stdout.contains("members: [\"a@x.example\"]"), "{stdout}");

    // The documents check clean in a mesh (after the duplicate is dropped).
    let mesh = tmp.path().join("mesh");
    empty_mesh(&mesh);
    meshc()
        .args(["import", "odcs", "--out"])
        .arg(&mesh)
        .args([&a, &b])
        .assert()
        .success();
    let check = meshc().arg("check").arg(&mesh).output().expect("run");
    let report = text(&check.stderr);
    assert!(check.status.success(), "{report}");
    assert!(report.contains("0 errors"), "{report}");
    // Team and domain files are kept when they exist; products replaced.
    std::fs::write(mesh.join("teams/sales_data.yaml"), "# mine\n").expect("write");
    let again = meshc()
        .args(["import", "odcs", "--out"])
        .arg(&mesh)
        .args([&a, &b])
        .output()
        .expect("run");
    assert!(
        text(&again.stderr).contains("kept"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(mesh.join("teams/sales_data.yaml")).expect("read"),
        "# mine\n"
    );

    // A product one of whose contracts fails is not written, so a whole
    // product file is never replaced by a partial one.
    let before = std::fs::read_to_string(mesh.join("sales/products/orders.yaml")).expect("read");
    let bad = tmp.path().join("bad.odcs.yaml");
    std::fs::write(
        &bad,
        contract("lines", "1.2.0").replace(
            "description: Key. }",
            "description: Key., customProperties: [{ property: masking, value: sha256 }] }",
        ),
    )
    .expect("write");
    let partial = meshc()
        .args(["import", "odcs", "--color", "never", "--out"])
        .arg(&mesh)
        .args([&a, &bad])
        .output()
        .expect("run");
    let err = text(&partial.stderr);
    assert_eq!(partial.status.code(), Some(1), "{err}");
    assert!(err.contains("masking` is `sha256`"), "{err}");
    assert!(err.contains("`sales.orders` is not written"), "{err}");
    assert_eq!(
        std::fs::read_to_string(mesh.join("sales/products/orders.yaml")).expect("read"),
        before
    );
}

/// Lineage: `transformSourceObjects` entries become `derivedFrom` only when
/// they name a product being imported or one its inputs read; a warehouse
/// column of the same shape is reported and left out. `endOfLife` of a
/// product that is not deprecated is reported, not made a sunset.
#[test]
fn lineage_and_end_of_life() {
    let tmp = tempfile::tempdir().expect("tmp");
    let c = tmp.path().join("c.odcs.yaml");
    std::fs::write(
        &c,
        "apiVersion: v3.1.0\nkind: DataContract\nid: x\nversion: 1.0.0\nstatus: active\ndomain: sales\ndataProduct: orders\nschema:\n  - name: orders\n    properties:\n      - { name: id, logicalType: integer, description: Key., transformSourceObjects: [prod_db.raw.orders.id, sales.shop_db.orders.id] }\nslaProperties:\n  - { property: endOfLife, value: \"2030-01-01\" }\ncustomProperties:\n  - { property: inputs, value: [{ source: sales.shop_db.orders }] }\n",
    )
    .expect("write");
    let out = meshc()
        .args(["import", "odcs", "--products-only", "--color", "never"])
        .arg(&c)
        .output()
        .expect("run");
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("derivedFrom: [sales.shop_db.orders.id]"),
        "{stdout}"
    );
    assert!(
        stderr.contains("`prod_db.raw.orders.id` names no column"),
        "{stderr}"
    );
    assert!(!stdout.contains("deprecation"), "{stdout}");
    assert!(stderr.contains("endOfLife is not imported"), "{stderr}");
}

/// Bad input: each broken contract of the M008 fixtures is a diagnostic
/// with the contract's file and line, exit 1, never a crash.
#[test]
fn bad_contracts_are_diagnostics() {
    let fixtures = root().join("tests/fixtures/check/M008");
    let mut seen = 0;
    for file in contract_files(&fixtures) {
        let rel = file.strip_prefix(root()).expect("inside").to_path_buf();
        if rel.to_string_lossy().contains("/ok/") {
            continue;
        }
        let out = meshc()
            .current_dir(root())
            .args([
                "import", "odcs", "--domain", "d", "--owner", "t", "--color", "never",
            ])
            .arg(&rel)
            .output()
            .expect("run");
        let stderr = text(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{rel:?}: {stderr}"
        );
        if out.status.code() == Some(1) {
            seen += 1;
            assert!(
                stderr.contains(&format!("{}:", rel.display())),
                "{rel:?}: no file:line in\n{stderr}"
            );
        }
    }
    assert!(seen >= 5, "only {seen} bad contracts failed");
    // A file that is not there, and a bad --domain.
    meshc()
        .args(["import", "odcs", "no/such.odcs.yaml"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("cannot read"));
    meshc()
        .args(["import", "odcs", "--domain", "Bad Name", "x.yaml"])
        .assert()
        .code(2);
}
