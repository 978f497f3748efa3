//! `meshc diff` as a user runs it: real Git repositories (git2) with a
//! commit per side, the mesh in a subfolder, the binary's exit code and
//! output. The engine's details (impact, precision, formats) are in
//! tests/diff.rs; here each B code is reached through Git.

#[path = "support/common.rs"]
mod common;
use common::{copy_tree, meshc};

use std::path::{Path, PathBuf};

use git2::Repository;

/// The mesh's folder inside the repository.
const MESH: &str = "data/mesh";
const ORDERS: &str = "domains/orders.yaml";
const INVOICES: &str = "domains/invoices.yaml";

#[path = "support/diffkit.rs"]
mod diffkit;
use diffkit::{Edit, apply, fixture};

fn commit_all(repo: &Repository, message: &str) {
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.update_all(["*"], None).expect("update");
    index.write().expect("write index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("find tree");
    let sig = git2::Signature::new("meshc test", "test@meshc.example", &git2::Time::new(0, 0))
        .expect("signature");
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .expect("commit");
}

/// A repository whose first commit holds the fixture under `data/mesh`;
/// with `edits`, a second commit applies them.
fn repo(edits: &[Edit]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = Repository::init(tmp.path()).expect("init");
    let mesh = tmp.path().join(MESH);
    copy_tree(&fixture(), &mesh);
    commit_all(&repo, "base");
    if !edits.is_empty() {
        apply(&mesh, edits);
        commit_all(&repo, "head");
    }
    (tmp, mesh)
}

/// `meshc diff ARGS… MESH --format json`: (exit code, report).
fn diff_json(mesh: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = meshc()
        .arg("diff")
        .args(args)
        .arg(mesh)
        .args(["--format", "json", "--as-of", "2026-11-25"])
        .output()
        .expect("run meshc");
    let code = out.status.code().unwrap_or(-1);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, report)
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Commits `edits` over the fixture and diffs HEAD~1 against HEAD.
fn committed(edits: &[Edit]) -> (i32, serde_json::Value) {
    let (_tmp, mesh) = repo(edits);
    diff_json(&mesh, &["--base", "HEAD~1", "--head", "HEAD"])
}

const AMOUNT: &str = "        - name: amount\n          type: decimal(12,2)\n          nullable: false\n          description: Order total.\n";
const DAILY: &str = "    - name: daily\n      visibility: public\n      description: Revenue per day.\n      columns:\n        - name: day\n          type: date\n          nullable: false\n          description: Calendar day.\n        - name: revenue\n          type: decimal(14,2)\n          description: Sum of order totals.\n      sla: { freshness: 1d }\n";

#[test]
fn each_b_code_through_git() {
    let cases: Vec<(&str, Vec<Edit>, i32)> = vec![
        ("B501", vec![(ORDERS, "", None)], 1),
        ("B502", vec![(ORDERS, DAILY, Some(""))], 1),
        ("B503", vec![(ORDERS, AMOUNT, Some(""))], 1),
        (
            "B504",
            vec![(ORDERS, "type: decimal(12,2)", Some("type: decimal(10,2)"))],
            1,
        ),
        (
            "B505",
            vec![(
                ORDERS,
                "          type: decimal(12,2)\n          nullable: false\n",
                Some("          type: decimal(12,2)\n"),
            )],
            1,
        ),
        (
            "B506",
            vec![(
                ORDERS,
                "primaryKey: [order_id]",
                Some("primaryKey: [order_id, channel]"),
            )],
            1,
        ),
        (
            "B507",
            vec![(
                ORDERS,
                "    - name: orders\n      visibility: public",
                Some("    - name: orders\n      visibility: domain"),
            )],
            1,
        ),
        (
            "B508",
            vec![(
                ORDERS,
                "classification: internal",
                Some("classification: confidential"),
            )],
            1,
        ),
        (
            "B509",
            vec![(
                ORDERS,
                "sla: { freshness: 1h, availability: \"99.9%\", retention: 7y }",
                Some("sla: { freshness: 6h, availability: \"99.9%\", retention: 7y }"),
            )],
            0,
        ),
        (
            "B510",
            vec![(
                ORDERS,
                "        - { type: not_null, column: order_id }\n",
                Some(""),
            )],
            0,
        ),
        (
            "B511",
            vec![(
                ORDERS,
                "        - name: amount\n",
                Some("        - name: total\n"),
            )],
            1,
        ),
        (
            "B512",
            vec![(
                ORDERS,
                "        - name: amount\n",
                Some(
                    "        - name: coupon\n          type: string\n          description: New.\n        - name: amount\n",
                ),
            )],
            0,
        ),
        (
            "B513",
            vec![(ORDERS, "version: 1.4.0", Some("version: 1.3.9"))],
            1,
        ),
    ];
    for (code, edits, exit) in cases {
        let (got, report) = committed(&edits);
        let found = codes(&report);
        assert!(found.iter().any(|c| c == code), "{code}: found {found:?}");
        assert_eq!(got, exit, "{code}: exit code; findings {found:?}");
    }
}

#[test]
fn an_approved_breaking_change_passes() {
    let (code, report) = committed(&[
        (
            ORDERS,
            "primaryKey: [order_id]",
            Some("primaryKey: [order_id, channel]"),
        ),
        (ORDERS, "version: 1.4.0", Some("version: 2.0.0")),
        (INVOICES, "version: \"^1.4\"", Some("version: \"^2.0\"")),
    ]);
    assert_eq!(codes(&report), ["B506"]);
    assert_eq!(report["findings"][0]["approved"], true);
    assert_eq!(code, 0);
}

#[test]
fn a_widening_is_not_flagged() {
    let (code, report) = committed(&[
        (ORDERS, "type: decimal(12,2)", Some("type: decimal(14,2)")),
        (ORDERS, "version: 1.4.0", Some("version: 1.5.0")),
    ]);
    assert!(codes(&report).is_empty(), "{:?}", codes(&report));
    assert!(
        report["changes"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["fqn"] == "sales.orders.orders.amount"))
    );
    assert_eq!(code, 0);
}

#[test]
fn the_working_tree_is_the_default_head_with_uncommitted_and_untracked_files() {
    let (_tmp, mesh) = repo(&[]);
    // Nothing changed yet.
    let (code, report) = diff_json(&mesh, &["--base", "HEAD"]);
    assert_eq!(code, 0);
    assert!(report["changes"].as_array().is_some_and(Vec::is_empty));
    // An uncommitted edit and an untracked product.
    apply(&mesh, &[(ORDERS, AMOUNT, Some(""))]);
    std::fs::write(
        mesh.join("domains/extra.yaml"),
        "apiVersion: meshc/v1\nkind: DataProduct\nmetadata: {name: extra, domain: sales, owner: sales_team, description: An extra product.}\nspec:\n  version: 0.1.0\n",
    )
    .expect("write");
    let (code, report) = diff_json(&mesh, &["--base", "HEAD"]);
    assert!(codes(&report).contains(&"B503".to_string()));
    assert!(
        report["changes"].as_array().is_some_and(|c| c
            .iter()
            .any(|c| c["fqn"] == "sales.extra" && c["kind"] == "added")),
        "{report:#}"
    );
    assert_eq!(code, 1);
    // --head names a revision: the working tree is not read.
    let (code, report) = diff_json(&mesh, &["--base", "HEAD", "--head", "HEAD"]);
    assert_eq!(code, 0);
    assert!(report["changes"].as_array().is_some_and(Vec::is_empty));
}

#[test]
fn paths_are_relative_to_the_mesh_in_its_subfolder() {
    let (_tmp, mesh) = repo(&[(ORDERS, AMOUNT, Some(""))]);
    let out = meshc()
        .arg("diff")
        .args(["--base", "HEAD~1", "--head", "HEAD", "--format", "markdown"])
        .arg(&mesh)
        .output()
        .expect("run");
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("B503"), "{md}");
    assert!(md.contains("domains/orders.yaml"), "{md}");
    assert!(!md.contains(MESH), "paths name the repository layout: {md}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_base_that_does_not_exist_is_a_usage_error() {
    let (_tmp, mesh) = repo(&[]);
    let out = meshc()
        .arg("diff")
        .args(["--base", "no-such-branch"])
        .arg(&mesh)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("revision `no-such-branch` does not name a commit"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_folder_outside_any_repository_is_a_usage_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture(), tmp.path());
    let out = meshc()
        .arg("diff")
        .args(["--base", "HEAD"])
        .arg(tmp.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not inside a Git repository"), "{err}");
}

#[test]
fn a_report_can_be_written_to_a_file() {
    let (tmp, mesh) = repo(&[(ORDERS, AMOUNT, Some(""))]);
    let file = tmp.path().join("report.sarif");
    let out = meshc()
        .arg("diff")
        .args(["--base", "HEAD~1", "--format", "sarif", "-o"])
        .arg(&file)
        .arg(&mesh)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("report")).expect("json");
    assert_eq!(sarif["version"], "2.1.0");
}
