//! Federated governance: the Mesh's rule settings are the baseline, each
//! Domain's apply to its own products on top, and mandatory rules cannot be
//! switched off or lowered by a domain.

use std::path::Path;

use meshc::diagnostics::{Diagnostic, Severity};

const BASE: &str = "tests/fixtures/check/M007/ok";

/// Copies the base mesh into a temp dir, applies `edits` (path, from, to).
fn mesh_with(edits: &[(&str, &str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join(BASE);
    for e in walkdir::WalkDir::new(&base)
        .into_iter()
        .filter_map(|e| e.ok())
    {
        let rel = e.path().strip_prefix(&base).expect("prefix");
        let dest = tmp.path().join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
    for (file, from, to) in edits {
        let p = tmp.path().join(file);
        let text = std::fs::read_to_string(&p).expect("read");
        assert!(text.contains(from), "{file} has no `{from}`");
        std::fs::write(&p, text.replacen(from, to, 1)).expect("write");
    }
    tmp
}

fn check(dir: &Path) -> Vec<Diagnostic> {
    let as_of = meshc::date::Date::parse("2026-11-25").expect("date");
    meshc::check(dir, &[], as_of).expect("check").diagnostics
}

fn find<'a>(diags: &'a [Diagnostic], code: &str, domain: &str) -> Vec<&'a Diagnostic> {
    diags
        .iter()
        .filter(|d| d.code_str() == code && d.domain.as_deref() == Some(domain))
        .collect()
}

#[test]
fn base_is_clean() {
    let tmp = mesh_with(&[]);
    assert!(check(tmp.path()).is_empty());
}

#[test]
fn a_domain_raises_a_severity_for_its_own_products_only() {
    // Both products lose a column description (G302, a warning by default);
    // the sales domain rates G302 as an error, finance does not.
    let tmp = mesh_with(&[
        (
            "products/orders.yaml",
            "          description: Order total.\n",
            "",
        ),
        (
            "products/revenue.yaml",
            "          description: Amount.\n",
            "",
        ),
    ]);
    let diags = check(tmp.path());
    let sales = find(&diags, "G302", "sales");
    let finance = find(&diags, "G302", "finance");
    assert_eq!(sales.len(), 1, "{diags:#?}");
    assert_eq!(finance.len(), 1, "{diags:#?}");
    assert_eq!(sales[0].severity, Severity::Error);
    assert_eq!(finance[0].severity, Severity::Warning);
}

#[test]
fn the_mesh_sets_the_baseline_severity() {
    // G307 (missing SLA freshness on a public port) is a warning by default;
    // the Mesh rates it as an error everywhere.
    let tmp = mesh_with(&[(
        "products/revenue.yaml",
        "      sla: { freshness: 6h, retention: 1y }\n",
        "      sla: { retention: 1y }\n",
    )]);
    let diags = check(tmp.path());
    let g = find(&diags, "G307", "finance");
    assert_eq!(g.len(), 1, "{diags:#?}");
    assert_eq!(g[0].severity, Severity::Error);
}

#[test]
fn a_domain_cannot_ignore_a_mandatory_rule() {
    // G301 is made mandatory; sales tries to ignore it and has a product
    // without owner: the attempt is M007 and G301 still fires.
    let tmp = mesh_with(&[
        (
            "mesh.yaml",
            "mandatory: [G304, G305]",
            "mandatory: [G301, G304, G305]",
        ),
        ("domains.yaml", "ignore: [G311]", "ignore: [G311, G301]"),
        ("products/orders.yaml", "  owner: sales_data\n", ""),
    ]);
    let diags = check(tmp.path());
    assert_eq!(find(&diags, "M007", "sales").len(), 1, "{diags:#?}");
    let g = find(&diags, "G301", "sales");
    assert_eq!(g.len(), 1, "{diags:#?}");
    assert_eq!(g[0].severity, Severity::Error);
}

#[test]
fn a_domain_cannot_lower_a_mandatory_rule_but_may_ignore_others() {
    let tmp = mesh_with(&[
        (
            "mesh.yaml",
            "mandatory: [G304, G305]",
            "mandatory: [G301, G304, G305]",
        ),
        (
            "domains.yaml",
            "severity: { G304: error, G302: error }",
            "severity: { G301: info, G302: error }",
        ),
        ("products/orders.yaml", "  owner: sales_data\n", ""),
    ]);
    let diags = check(tmp.path());
    assert_eq!(find(&diags, "M007", "sales").len(), 1, "{diags:#?}");
    assert_eq!(find(&diags, "G301", "sales")[0].severity, Severity::Error);

    // Not mandatory: the domain's ignore wins in its own domain only.
    let tmp = mesh_with(&[
        ("domains.yaml", "ignore: [G311]", "ignore: [G311, G301]"),
        ("products/orders.yaml", "  owner: sales_data\n", ""),
        ("products/revenue.yaml", "  owner: finance_data\n", ""),
    ]);
    let diags = check(tmp.path());
    assert!(find(&diags, "G301", "sales").is_empty(), "{diags:#?}");
    assert_eq!(find(&diags, "G301", "finance").len(), 1, "{diags:#?}");
}

#[test]
fn the_mesh_can_ignore_and_select() {
    let tmp = mesh_with(&[
        ("mesh.yaml", "ignore: [G312]", "ignore: [G312, G3]"),
        ("products/orders.yaml", "  owner: sales_data\n", ""),
    ]);
    assert!(check(tmp.path()).is_empty());
    let tmp = mesh_with(&[
        ("mesh.yaml", "select: [ALL]", "select: [C]"),
        ("products/orders.yaml", "  owner: sales_data\n", ""),
    ]);
    assert!(check(tmp.path()).is_empty());
}
