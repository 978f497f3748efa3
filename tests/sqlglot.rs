//! The Trino, Spark and Snowflake SQL meshc emits is parsed by a real
//! third-party parser, sqlglot (from PyPI), in each engine's dialect
//! (SPEC §8): mesh.example, a generated 200-product mesh and the hostile
//! fixture are built with targets of every engine, and every file of those
//! targets goes through `tests/sqlglot_parse.py`, which fails on a parse
//! error and on any statement sqlglot only keeps as unparsed text.
//!
//! Needs `python3` with sqlglot 30 (`python3 -m pip install 'sqlglot>=30,<31'`;
//! scripts/test and CI install it). Without it the tests fail, never skip.

#[path = "support/common.rs"]
mod common;
use common::{copy_tree, root};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Fails the test, with what to do, when python3 or sqlglot is missing.
fn require_sqlglot() {
    let out = std::process::Command::new("python3")
        .args(["-c", "import sqlglot; print(sqlglot.__version__)"])
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!(
            "python3 is needed to parse the emitted SQL with sqlglot, and it cannot run: {e}; \
             install Python 3 and then `python3 -m pip install 'sqlglot>=30,<31'`"
        ),
    };
    assert!(
        out.status.success(),
        "sqlglot is needed to parse the emitted SQL and is not installed for python3: \
         run `python3 -m pip install 'sqlglot>=30,<31'` (scripts/test does)\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        version.starts_with("30."),
        "these tests are written for sqlglot 30.x, found {version}: \
         run `python3 -m pip install 'sqlglot>=30,<31'`"
    );
}

/// Adds targets (YAML list items, indented by four spaces) at the start of
/// the `targets:` list of a Mesh file.
fn add_targets(mesh_yaml: &Path, targets: &str) {
    let text = std::fs::read_to_string(mesh_yaml).expect("read mesh.yaml");
    assert!(
        text.contains("\n  targets:\n"),
        "{} has no `targets:` list",
        mesh_yaml.display()
    );
    let text = text.replacen("\n  targets:\n", &format!("\n  targets:\n{targets}"), 1);
    std::fs::write(mesh_yaml, text).expect("write mesh.yaml");
}

/// Statement kinds a build may emit, as sqlglot_parse.py names them.
const KINDS: &[&str] = &[
    "CREATE SCHEMA",
    "CREATE TABLE",
    "CREATE VIEW",
    "COMMENT ON COLUMN",
    "ALTER VIEW",
    "GRANT",
    "CREATE ROLE (allow-listed fallback)",
    "GRANT OWNERSHIP COPY CURRENT GRANTS (allow-listed fallback)",
    "ALTER VIEW SET AUTHORIZATION (allow-listed fallback)",
    "ALTER VIEW OWNER TO (allow-listed fallback)",
];

/// Per SQL file: the statement count and the count of each kind.
type Parsed = BTreeMap<String, (usize, Vec<(String, usize)>)>;

/// Parses every file of a target with sqlglot in `dialect`; returns the
/// statement count and the per-kind counts of each file, by file name.
fn parse(out: &Path, target: &str, dialect: &str) -> Parsed {
    let dir = out.join("targets").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no SQL files in {}", dir.display());
    let run = std::process::Command::new("python3")
        .arg(root().join("tests/sqlglot_parse.py"))
        .arg(dialect)
        .args(&files)
        .output()
        .expect("run python3 tests/sqlglot_parse.py");
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    println!("{stdout}");
    assert!(
        run.status.success(),
        "sqlglot ({dialect}) rejected the SQL of target {target}:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut result = BTreeMap::new();
    for file in &files {
        let shown = file.display().to_string();
        let line = stdout
            .lines()
            .find(|l| l.strip_prefix(&shown).is_some_and(|r| r.starts_with(": ")))
            .unwrap_or_else(|| panic!("no result for {shown} in:\n{stdout}"));
        let rest = &line[shown.len() + 2..];
        let (count, _) = rest.split_once(" statements").expect("statement count");
        let count: usize = count.parse().expect("count is a number");
        let (_, kinds) = rest.split_once("): ").expect("kind counts");
        let kinds: Vec<(String, usize)> = kinds
            .split(", ")
            .filter(|k| !k.is_empty())
            .map(|k| {
                let (name, n) = k.rsplit_once(' ').expect("kind and count");
                (name.to_string(), n.parse().expect("kind count"))
            })
            .collect();
        for (kind, _) in &kinds {
            assert!(
                KINDS.contains(&kind.as_str()),
                "{shown}: unexpected statement kind {kind:?} (an injection, or a new kind to list in KINDS)"
            );
        }
        // sqlglot found exactly the statements meshc wrote: one per line
        // that starts a statement.
        let text = std::fs::read_to_string(file).expect("read SQL");
        let written = text
            .lines()
            .filter(|l| {
                ["CREATE ", "GRANT ", "COMMENT ON ", "ALTER "]
                    .iter()
                    .any(|k| l.starts_with(k))
            })
            .count();
        assert_eq!(
            count, written,
            "{shown}: sqlglot parsed {count} statements, meshc wrote {written}"
        );
        let name = file
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        result.insert(name, (count, kinds));
    }
    result
}

fn count_of(r: &Parsed, file: &str, kind: &str) -> usize {
    r.get(file)
        .and_then(|(_, k)| k.iter().find(|(n, _)| n == kind))
        .map(|(_, n)| *n)
        .unwrap_or(0)
}

#[test]
fn example_mesh_parses_in_every_dialect() {
    require_sqlglot();
    let tmp = tempfile::tempdir().expect("tempdir");
    let mesh = tmp.path().join("mesh");
    copy_tree(&root().join("mesh.example"), &mesh);
    add_targets(
        &mesh.join("mesh.yaml"),
        "    - name: spark_t\n      engine: spark\n    - name: snow\n      engine: snowflake\n      database: analytics\n",
    );
    // Spark SQL has no TIME type (C207): the copy keeps times of day as text.
    let deliveries = mesh.join("domains/logistics/products/deliveries.yaml");
    let text = std::fs::read_to_string(&deliveries).expect("read deliveries.yaml");
    assert!(
        text.contains("type: time\n"),
        "deliveries.yaml has no time column any more"
    );
    std::fs::write(&deliveries, text.replace("type: time\n", "type: string\n")).expect("write");
    let out = tmp.path().join("out");
    common::build_ok(&mesh, &out);

    let trino = parse(&out, "lakehouse", "trino");
    let spark = parse(&out, "spark_t", "spark");
    let snow = parse(&out, "snow", "snowflake");
    for r in [&trino, &spark, &snow] {
        assert!(count_of(r, "ddl.sql", "CREATE TABLE") > 0, "{r:?}");
        assert!(count_of(r, "ddl.sql", "CREATE VIEW") > 0, "{r:?}");
        assert!(count_of(r, "masking.sql", "CREATE VIEW") > 0, "{r:?}");
        assert!(count_of(r, "grants.sql", "GRANT") > 0, "{r:?}");
    }
    // The same relations in every dialect.
    for kind in ["CREATE SCHEMA", "CREATE TABLE", "CREATE VIEW"] {
        assert_eq!(
            count_of(&trino, "ddl.sql", kind),
            count_of(&spark, "ddl.sql", kind),
            "{kind}"
        );
        assert_eq!(
            count_of(&trino, "ddl.sql", kind),
            count_of(&snow, "ddl.sql", kind),
            "{kind}"
        );
    }
    // Engines with roles create one per role; Spark has none to create.
    assert!(count_of(&trino, "grants.sql", "CREATE ROLE (allow-listed fallback)") > 0);
    assert_eq!(
        count_of(&trino, "grants.sql", "CREATE ROLE (allow-listed fallback)"),
        count_of(&snow, "grants.sql", "CREATE ROLE (allow-listed fallback)")
    );
    assert_eq!(
        count_of(&spark, "grants.sql", "CREATE ROLE (allow-listed fallback)"),
        0
    );
}

#[test]
fn generated_mesh_parses_in_every_dialect() {
    require_sqlglot();
    let tmp = tempfile::tempdir().expect("tempdir");
    let mesh = tmp.path().join("mesh");
    common::generate(&mesh, 200, 7);
    // Every option: the default catalog, a catalog prefix, no database.
    add_targets(
        &mesh.join("mesh.yaml"),
        "    - name: trino_default\n      engine: trino\n    - name: spark_cat\n      engine: spark\n      catalog: lake\n    - name: snow\n      engine: snowflake\n      database: analytics\n    - name: snow_nodb\n      engine: snowflake\n",
    );
    let out = tmp.path().join("out");
    common::build_ok(&mesh, &out);
    for (target, dialect) in [
        ("lakehouse", "trino"),
        ("trino_default", "trino"),
        ("spark_cat", "spark"),
        ("snow", "snowflake"),
        ("snow_nodb", "snowflake"),
    ] {
        let r = parse(&out, target, dialect);
        assert!(
            count_of(&r, "ddl.sql", "CREATE TABLE") >= 200,
            "{target}: {r:?}"
        );
        assert!(count_of(&r, "grants.sql", "GRANT") > 0, "{target}: {r:?}");
    }
}

#[test]
fn hostile_text_stays_inert_in_every_dialect() {
    require_sqlglot();
    let tmp = tempfile::tempdir().expect("tempdir");
    let mesh = tmp.path().join("mesh");
    copy_tree(&root().join("tests/fixtures/emit/hostile"), &mesh);
    // Hostile option values too: quotes and backticks in the names.
    add_targets(
        &mesh.join("mesh.yaml"),
        "    - name: t_trino\n      engine: trino\n      catalog: \"ice\\\"berg`\"\n    - name: t_spark\n      engine: spark\n      catalog: \"lake`'x\\\\\"\n    - name: t_snow\n      engine: snowflake\n      database: \"db\\\"x'\"\n",
    );
    let out = tmp.path().join("out");
    common::build_ok(&mesh, &out);
    // `parse` fails on any statement kind outside KINDS (a DROP TABLE that
    // got out of a string, say) and on any statement meshc did not write.
    for (target, dialect) in [
        ("t_trino", "trino"),
        ("t_spark", "spark"),
        ("t_snow", "snowflake"),
    ] {
        let r = parse(&out, target, dialect);
        assert!(
            count_of(&r, "ddl.sql", "CREATE TABLE") > 0,
            "{target}: {r:?}"
        );
    }
}
