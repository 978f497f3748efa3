//! `meshc diff`'s engine and renderers, independent of Git: two copies of
//! `tests/fixtures/diff/base` (a producer `sales.orders` read by name by
//! `finance.invoices`, wholly by `marketing.audience`, and
//! `finance.revenue` downstream of invoices), the head copy edited, both
//! checked and compared.

use std::path::{Path, PathBuf};

use meshc::diagnostics::{Code, Severity};
use meshc::diff::{DiffFormat, Report, diff, render};

#[path = "support/diffkit.rs"]
mod diffkit;
use diffkit::{Edit, apply, fixture};

fn copy(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).expect("read fixture") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
            copy(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

fn checked(dir: &Path) -> meshc::Checked {
    let as_of = meshc::date::Date::parse("2026-11-25").expect("date");
    let mut c = meshc::check(dir, &[], as_of).expect("readable");
    // A fixed root, so github and sarif paths do not name the temp dir.
    c.db.root = PathBuf::from("mesh");
    c
}

struct Diffed {
    report: Report,
    base: meshc::Checked,
    head: meshc::Checked,
}

impl Diffed {
    fn out(&self, f: DiffFormat) -> String {
        render(&self.report, &self.base.db, &self.head.db, f, false)
    }
    fn codes(&self) -> Vec<&str> {
        self.report
            .findings
            .iter()
            .map(|f| f.code.as_str())
            .collect()
    }
    fn find(&self, code: Code) -> &meshc::diff::Finding {
        self.report
            .findings
            .iter()
            .find(|f| f.code == code)
            .unwrap_or_else(|| panic!("no {code}:\n{}", self.out(DiffFormat::Text)))
    }
}

fn run_with(base_edits: &[Edit], edits: &[Edit]) -> Diffed {
    let b = tempfile::tempdir().expect("tempdir");
    let h = tempfile::tempdir().expect("tempdir");
    copy(&fixture(), b.path());
    copy(&fixture(), h.path());
    apply(b.path(), base_edits);
    apply(h.path(), edits);
    let base = checked(b.path());
    let head = checked(h.path());
    let report = diff(&base, &head);
    Diffed { report, base, head }
}

fn run(edits: &[Edit]) -> Diffed {
    run_with(&[], edits)
}

const ORDERS: &str = "domains/orders.yaml";
const INVOICES: &str = "domains/invoices.yaml";

const AMOUNT: &str = "        - name: amount\n          type: decimal(12,2)\n          nullable: false\n          description: Order total.\n";
const NOTE: &str = "        - name: note\n          type: string\n          description: Free text nobody reads.\n";

#[test]
fn unchanged_mesh_has_an_empty_report() {
    let d = run(&[]);
    assert!(d.report.changes.is_empty(), "{:?}", d.report.changes);
    assert!(d.report.findings.is_empty());
    assert!(d.report.new_diagnostics.is_empty());
    assert!(!d.report.fails(true));
}

#[test]
fn b503_consumed_column_removed_hits_readers_and_downstream() {
    let d = run(&[(ORDERS, AMOUNT, Some(""))]);
    let f = d.find(Code::B503);
    assert_eq!(f.severity, Severity::Error);
    assert!(!f.approved);
    assert_eq!(f.subject, "sales.orders.orders.amount");
    let hit: Vec<(&str, bool)> = f
        .impact
        .iter()
        .map(|i| (i.product.as_str(), i.direct))
        .collect();
    // Column precision: marketing.audience reads another port.
    assert_eq!(
        hit,
        vec![("finance.invoices", true), ("finance.revenue", false)]
    );
    let owner = f.impact[0].owner.as_ref().expect("owner");
    assert_eq!(owner.email.as_deref(), Some("finance@acme.example"));
    assert!(f.old.is_some() && f.new.is_some());
    assert!(d.report.fails(false));
    insta::assert_snapshot!("b503_text", d.out(DiffFormat::Text));
}

#[test]
fn b503_unconsumed_column_removed_is_compatible() {
    let d = run(&[(ORDERS, NOTE, Some(""))]);
    assert_eq!(d.codes(), vec!["B512"], "{}", d.out(DiffFormat::Text));
    assert!(!d.report.fails(false));
    // With a minor bump, nothing to report but the change.
    let d = run(&[
        (ORDERS, NOTE, Some("")),
        (ORDERS, "version: 1.4.0", Some("version: 1.5.0")),
    ]);
    assert!(d.codes().is_empty(), "{}", d.out(DiffFormat::Text));
    assert!(
        d.report
            .changes
            .iter()
            .any(|c| c.fqn == "sales.orders.orders.note")
    );
}

#[test]
fn b503_wholly_consumed_column() {
    let d = run(&[(
        ORDERS,
        "        - name: revenue\n          type: decimal(14,2)\n          description: Sum of order totals.\n",
        Some(""),
    )]);
    let f = d.find(Code::B503);
    assert_eq!(f.impact.len(), 1);
    assert_eq!(f.impact[0].product, "marketing.audience");
    assert_eq!(f.impact[0].via, "reads every column");
}

#[test]
fn b504_narrowing_is_breaking_widening_is_not() {
    let d = run(&[(ORDERS, "type: decimal(12,2)", Some("type: decimal(10,2)"))]);
    assert_eq!(d.codes(), vec!["B504"]);
    insta::assert_snapshot!("b504_text", d.out(DiffFormat::Text));
    let d = run(&[(ORDERS, "type: decimal(12,2)", Some("type: decimal(14,3)"))]);
    assert_eq!(d.codes(), vec!["B512"], "{}", d.out(DiffFormat::Text));
    // A narrowed column nobody reads is compatible.
    let d = run(&[
        (ORDERS, "type: varchar(10)", Some("type: varchar(5)")),
        (ORDERS, "version: 1.4.0", Some("version: 1.5.0")),
    ]);
    assert!(d.codes().is_empty(), "{}", d.out(DiffFormat::Text));
}

#[test]
fn type_widening_rules() {
    use meshc::types::{LogicalType, holds_all};
    let t = |s: &str| LogicalType::parse(s).expect("type");
    for (from, to) in [
        ("integer", "bigint"),
        ("smallint", "integer"),
        ("varchar(10)", "varchar(20)"),
        ("varchar(10)", "string"),
        ("decimal(10,2)", "decimal(12,2)"),
        ("decimal(10,2)", "decimal(11,3)"),
        ("integer", "decimal(10,0)"),
        ("integer", "double"),
        ("real", "double"),
        ("array<integer>", "array<bigint>"),
        ("map<string, integer>", "map<string, bigint>"),
        ("struct<a: integer>", "struct<a: bigint, b: string>"),
    ] {
        assert!(holds_all(&t(from), &t(to)), "{from} → {to} widens");
    }
    for (from, to) in [
        ("bigint", "integer"),
        ("string", "varchar(100)"),
        ("varchar(20)", "varchar(10)"),
        ("decimal(12,2)", "decimal(12,3)"),
        ("decimal(12,2)", "decimal(12,1)"),
        ("bigint", "double"),
        ("integer", "real"),
        ("integer", "string"),
        ("date", "timestamp"),
        ("timestamp", "timestamptz"),
        ("struct<a: integer, b: string>", "struct<a: integer>"),
        ("bigint", "decimal(18,0)"),
    ] {
        assert!(!holds_all(&t(from), &t(to)), "{from} → {to} narrows");
    }
}

#[test]
fn b505_became_nullable() {
    let d = run(&[(
        ORDERS,
        "          type: decimal(12,2)\n          nullable: false\n",
        Some("          type: decimal(12,2)\n"),
    )]);
    assert_eq!(d.codes(), vec!["B505"]);
    // Non-null on a nullable column is compatible.
    let d = run(&[(
        ORDERS,
        "          type: varchar(10)\n",
        Some("          type: varchar(10)\n          nullable: false\n"),
    )]);
    assert_eq!(d.codes(), vec!["B512"]);
}

#[test]
fn b506_primary_key_changed_always() {
    let d = run(&[(
        ORDERS,
        "primaryKey: [order_id]",
        Some("primaryKey: [order_id, channel]"),
    )]);
    let f = d.find(Code::B506);
    assert_eq!(f.impact[0].product, "finance.invoices");
    assert_eq!(f.impact[0].via, "reads `sales.orders.orders`");
}

#[test]
fn b507_visibility_narrowed_cuts_off_other_domains() {
    let d = run(&[(
        ORDERS,
        "    - name: orders\n      visibility: public",
        Some("    - name: orders\n      visibility: domain"),
    )]);
    let f = d.find(Code::B507);
    assert!(f.message.contains("finance.invoices"), "{}", f.message);
    assert!(
        f.message.contains("from `public` to `domain`"),
        "{}",
        f.message
    );
    // Restricted with the consumer approved: nobody is cut off.
    let d = run(&[
        (
            ORDERS,
            "    - name: orders\n      visibility: public",
            Some("    - name: orders\n      visibility: restricted"),
        ),
        (
            ORDERS,
            "  version: 1.4.0\n",
            Some(
                "  version: 1.4.0\n  access:\n    allow:\n      - product: finance.invoices\n        ports: [orders]\n",
            ),
        ),
    ]);
    assert!(!d.codes().contains(&"B507"), "{}", d.out(DiffFormat::Text));
}

#[test]
fn b508_classification_raised_on_a_consumed_column() {
    let d = run(&[(
        ORDERS,
        "classification: internal",
        Some("classification: confidential"),
    )]);
    let f = d.find(Code::B508);
    assert!(
        f.message.contains("from `internal` to `confidential`"),
        "{}",
        f.message
    );
    // Inherited through derivedFrom: finance.invoices' file is unchanged,
    // but its `amount` is now confidential too, and finance.revenue reads it.
    let d = run(&[(
        ORDERS,
        "          nullable: false\n          description: Order total.\n",
        Some(
            "          nullable: false\n          classification: confidential\n          description: Order total.\n",
        ),
    )]);
    let subjects: Vec<&str> = d
        .report
        .findings
        .iter()
        .filter(|f| f.code == Code::B508)
        .map(|f| f.subject.as_str())
        .collect();
    assert_eq!(
        subjects,
        vec![
            "finance.invoices.invoices.amount",
            "sales.orders.orders.amount"
        ],
        "{}",
        d.out(DiffFormat::Text)
    );
    // Lowered: not breaking.
    let d = run(&[(
        ORDERS,
        "classification: internal",
        Some("classification: public"),
    )]);
    assert!(!d.codes().contains(&"B508"));
}

#[test]
fn b509_sla_weakened_and_b510_quality_removed_are_warnings() {
    let d = run(&[
        (
            ORDERS,
            "sla: { freshness: 1h, availability: \"99.9%\", retention: 7y }",
            Some("sla: { freshness: 6h, availability: \"99.95%\" }"),
        ),
        (
            ORDERS,
            "        - { type: not_null, column: order_id }\n",
            Some(""),
        ),
        (
            ORDERS,
            "values: [web, app]",
            Some("values: [web, app, shop]"),
        ),
    ]);
    assert_eq!(d.codes(), vec!["B510", "B510", "B509", "B509"]);
    assert!(
        d.report
            .findings
            .iter()
            .all(|f| f.severity == Severity::Warning)
    );
    assert!(!d.report.fails(false));
    assert!(d.report.fails(true));
    insta::assert_snapshot!("b509_b510_text", d.out(DiffFormat::Text));
}

#[test]
fn b511_rename_of_a_consumed_column() {
    let d = run(&[(
        ORDERS,
        "        - name: amount\n",
        Some("        - name: total\n"),
    )]);
    let f = d.find(Code::B511);
    assert!(f.message.contains("renamed to `total`"), "{}", f.message);
    assert!(
        d.report
            .changes
            .iter()
            .any(|c| c.kind == meshc::diff::ChangeKind::Renamed)
    );
    assert!(!d.codes().contains(&"B503"));
}

#[test]
fn b501_product_removed_or_retired() {
    let d = run(&[(ORDERS, "", None)]);
    let f = d.find(Code::B501);
    let hit: Vec<&str> = f.impact.iter().map(|i| i.product.as_str()).collect();
    assert_eq!(
        hit,
        vec!["finance.invoices", "marketing.audience", "finance.revenue"]
    );
    assert!(f.old.is_some() && f.new.is_none());
    let d = run(&[(
        ORDERS,
        "  version: 1.4.0\n",
        Some("  version: 1.4.0\n  status: retired\n"),
    )]);
    d.find(Code::B501);
}

#[test]
fn b502_port_removed() {
    let d = run(&[(
        ORDERS,
        "    - name: daily\n      visibility: public\n      description: Revenue per day.\n      columns:\n        - name: day\n          type: date\n          nullable: false\n          description: Calendar day.\n        - name: revenue\n          type: decimal(14,2)\n          description: Sum of order totals.\n      sla: { freshness: 1d }\n",
        Some(""),
    )]);
    let f = d.find(Code::B502);
    assert_eq!(f.impact[0].product, "marketing.audience");
}

#[test]
fn version_policy() {
    // A breaking change with a major bump is approved: reported, not failing.
    let d = run(&[
        (
            ORDERS,
            "primaryKey: [order_id]",
            Some("primaryKey: [order_id, channel]"),
        ),
        (ORDERS, "version: 1.4.0", Some("version: 2.0.0")),
        (INVOICES, "version: \"^1.4\"", Some("version: \"^2.0\"")),
    ]);
    let f = d.find(Code::B506);
    assert!(f.approved);
    assert_eq!(f.severity, Severity::Info);
    assert!(!d.report.fails(false), "{}", d.out(DiffFormat::Text));
    // Without it: an error.
    let d = run(&[
        (
            ORDERS,
            "primaryKey: [order_id]",
            Some("primaryKey: [order_id, channel]"),
        ),
        (ORDERS, "version: 1.4.0", Some("version: 1.5.0")),
    ]);
    let f = d.find(Code::B506);
    assert!(!f.approved);
    assert!(
        f.help
            .as_deref()
            .is_some_and(|h| h.contains("1.4.0 → 2.0.0")),
        "{:?}",
        f.help
    );
    assert!(d.report.fails(false));
    // Below 1.0 a minor bump is a major one (outside ^0.3).
    let d = run(&[
        (
            "domains/audience.yaml",
            "version: 0.3.0",
            Some("version: 0.4.0"),
        ),
        (
            "domains/audience.yaml",
            "    - name: audience\n      visibility: public",
            Some("    - name: audience\n      visibility: domain"),
        ),
    ]);
    assert!(d.codes().is_empty(), "{}", d.out(DiffFormat::Text));
    // Compatible change without a minor bump: a warning.
    let d = run(&[
        (ORDERS, NOTE, Some("")),
        (ORDERS, "version: 1.4.0", Some("version: 1.4.1")),
    ]);
    assert_eq!(d.codes(), vec!["B512"]);
    assert_eq!(d.report.findings[0].severity, Severity::Warning);
    // A version that goes down: an error.
    let d = run(&[(ORDERS, "version: 1.4.0", Some("version: 1.3.9"))]);
    assert!(d.codes().contains(&"B513"));
    assert!(d.report.fails(false));
}

#[test]
fn only_new_diagnostics_are_listed() {
    // Base has one finding (a missing description, G302); head moves it
    // down by three lines and adds another.
    let d = run_with(
        &[(INVOICES, "          description: Amount.\n", Some(""))],
        &[
            (INVOICES, "          description: Amount.\n", Some("")),
            (INVOICES, "apiVersion", Some("# a\n# b\n# c\napiVersion")),
            (
                "domains/revenue.yaml",
                "          description: Month.\n",
                Some(""),
            ),
        ],
    );
    assert_eq!(d.report.new_diagnostics.len(), 1);
    assert!(
        d.report.new_diagnostics[0]
            .message
            .contains("finance.revenue.revenue.month"),
        "{}",
        d.report.new_diagnostics[0].message
    );
    assert_eq!(d.report.preexisting.warnings, 1);
    assert_eq!(d.report.fixed.warnings, 0);
    assert!(!d.report.fails(false));
    assert!(d.report.fails(true));
    insta::assert_snapshot!("new_diagnostics_text", d.out(DiffFormat::Text));
}

/// A change with a bit of everything, for the format snapshots.
fn mixed() -> Diffed {
    run(&[
        (ORDERS, AMOUNT, Some("")),
        (ORDERS, "version: 1.4.0", Some("version: 1.4.1")),
        (
            ORDERS,
            "sla: { freshness: 1h, availability: \"99.9%\", retention: 7y }",
            Some("sla: { freshness: 2h, availability: \"99.9%\", retention: 7y }"),
        ),
        (
            ORDERS,
            "        - name: note\n",
            Some(
                "        - name: extra\n          type: integer\n          description: New.\n        - name: note\n",
            ),
        ),
    ])
}

#[test]
fn format_text() {
    insta::assert_snapshot!("mixed_text", mixed().out(DiffFormat::Text));
}

#[test]
fn format_markdown() {
    insta::assert_snapshot!("mixed_markdown", mixed().out(DiffFormat::Markdown));
}

#[test]
fn format_json() {
    let out = mixed().out(DiffFormat::Json);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["version"], 1);
    assert_eq!(v["failed"], true);
    insta::assert_snapshot!("mixed_json", out);
}

#[test]
fn format_github() {
    insta::assert_snapshot!("mixed_github", mixed().out(DiffFormat::Github));
}

#[test]
fn github_annotations_are_escaped() {
    // A consumed column name with the characters workflow commands use.
    let d = run(&[(
        INVOICES,
        "columns: [order_id, amount, country]",
        Some("columns: [order_id, amount, country, \"a%b,c:d\"]"),
    )]);
    let out = d.out(DiffFormat::Github);
    let line = out
        .lines()
        .find(|l| l.contains("R105"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("a%25b,c:d"), "{line}");
    assert!(
        line.starts_with("::error file=mesh/domains/invoices.yaml,line="),
        "{line}"
    );
    assert!(!line[2..].contains("\n"));
    // One line per annotation: newlines in messages are escaped.
    assert!(out.lines().all(|l| l.starts_with("::")), "{out}");
}

#[test]
fn format_sarif_validates_against_the_schema() {
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif/sarif-schema-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("schema")).expect("json");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for d in [
        mixed(),
        run(&[(ORDERS, "", None)]),
        run(&[]),
        run(&[(
            INVOICES,
            "columns: [order_id, amount, country]",
            Some("columns: [order_id, amount, country, \"a b%\"]"),
        )]),
    ] {
        let out = d.out(DiffFormat::Sarif);
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}\n{out}");
    }
    // The validator does reject what is not SARIF 2.1.0.
    let bad = serde_json::json!({ "version": "2.0.0", "runs": [] });
    assert!(!validator.is_valid(&bad));
    insta::assert_snapshot!("mixed_sarif", mixed().out(DiffFormat::Sarif));
}

#[test]
fn every_b_code_is_explained() {
    for c in meshc::diagnostics::Code::ALL {
        if c.as_str().starts_with('B') {
            let text = meshc::check::registry::explain_text(*c);
            assert!(
                text.contains("Fails:") && text.contains("Passes:"),
                "{text}"
            );
        }
    }
}
