//! The binary, driven as a user would: exit codes, streams, files written.

#[path = "support/common.rs"]
mod common;
use common::{build_ok, copy_tree, example, meshc, snapshot_tree};

use std::path::Path;

use predicates::prelude::*;

const BROKEN_PRODUCT: &str = "apiVersion: meshc/v1\nkind: DataProduct\nmetadata: {name: broken, domain: sales, owner: sales_data}\nspec:\n  version: 1.0.0\n  inputs: [{product: sales.nope, port: x}]\n";

#[test]
fn example_checks_clean() {
    meshc()
        .args(["check"])
        .arg(example())
        .assert()
        .success()
        .stderr(predicate::str::contains("0 errors, 0 warnings, 0 infos"));
}

#[test]
fn build_is_byte_identical_across_runs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for out in [&a, &b] {
        meshc()
            .arg("build")
            .arg(example())
            .arg("-o")
            .arg(out)
            .assert()
            .success();
    }
    let (ta, tb) = (snapshot_tree(&a), snapshot_tree(&b));
    assert!(ta.iter().any(|(p, _)| p == "manifest.json"));
    for f in [
        "lineage/graph.json",
        "lineage/graph.dot",
        "lineage/graph.mmd",
        "grants/grants.json",
        "targets/warehouse/ddl.sql",
        "targets/warehouse/masking.sql",
        "targets/warehouse/grants.sql",
        "targets/lakehouse/ddl.sql",
        "targets/lakehouse/masking.sql",
        "targets/lakehouse/grants.sql",
    ] {
        assert!(ta.iter().any(|(p, _)| p == f), "missing {f}");
    }
    assert_eq!(ta, tb, "two builds differ");
    // Nothing but the output folder was created next to it.
    let entries: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("read")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(entries.len(), 2, "stray files next to OUT: {entries:?}");
}

#[test]
fn default_build_folder_is_inside_the_mesh_and_not_read_back() {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_tree(&example(), tmp.path());
    meshc().arg("build").arg(tmp.path()).assert().success();
    assert!(tmp.path().join("build/manifest.json").is_file());
    // A second build must not read the first one's output as mesh files.
    meshc().arg("build").arg(tmp.path()).assert().success();
}

#[test]
fn failed_check_writes_nothing_and_keeps_previous_build() {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_tree(&example(), tmp.path());
    let out = tmp.path().join("out");
    build_ok(tmp.path(), &out);
    let before = snapshot_tree(&out);
    std::fs::write(tmp.path().join("broken.yaml"), BROKEN_PRODUCT).expect("write");
    meshc()
        .arg("build")
        .arg(tmp.path())
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("R103"))
        .stderr(predicate::str::contains("nothing written"));
    assert_eq!(before, snapshot_tree(&out));
}

#[test]
fn refuses_to_replace_a_foreign_folder_or_the_mesh() {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_tree(&example(), tmp.path());
    let foreign = tmp.path().join("docs_of_someone");
    std::fs::create_dir_all(&foreign).expect("mkdir");
    std::fs::write(foreign.join("keep.txt"), "mine").expect("write");
    meshc()
        .arg("build")
        .arg(tmp.path())
        .arg("-o")
        .arg(&foreign)
        .assert()
        .code(2);
    assert_eq!(
        std::fs::read_to_string(foreign.join("keep.txt")).expect("read"),
        "mine"
    );
    meshc()
        .arg("build")
        .arg(tmp.path())
        .arg("-o")
        .arg(tmp.path())
        .assert()
        .code(2);
    assert!(tmp.path().join("mesh.yaml").is_file());
}

#[test]
fn missing_path_is_a_plain_error_exit_2() {
    meshc()
        .args(["check", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error: /definitely/not/here"));
}

#[test]
fn file_instead_of_folder_is_exit_2() {
    meshc()
        .arg("check")
        .arg(example().join("mesh.yaml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a directory"));
}

#[test]
fn empty_folder_has_no_mesh() {
    let tmp = tempfile::tempdir().expect("tempdir");
    meshc()
        .arg("check")
        .arg(tmp.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("M006"))
        .stderr(predicate::str::contains("no Mesh document"));
}

#[test]
fn json_and_github_formats() {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_tree(&example(), tmp.path());
    std::fs::write(tmp.path().join("broken.yaml"), BROKEN_PRODUCT).expect("write");
    let out = meshc()
        .arg("check")
        .arg(tmp.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).expect("stderr is JSON");
    let d = v
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["code"] == "R103")
        .expect("an R103 diagnostic");
    assert_eq!(d["code"], "R103");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "broken.yaml");
    assert_eq!(d["line"], 6);
    assert_eq!(d["column"], 22);
    assert!(d["end"]["column"].as_u64().is_some());
    assert!(d.get("help").is_some() && d.get("related").is_some());

    let out = meshc()
        .arg("check")
        .arg(tmp.path())
        .args(["--format", "github"])
        .output()
        .expect("run");
    let text = String::from_utf8(out.stderr).expect("utf8");
    let line = text
        .lines()
        .find(|l| l.contains("R103"))
        .expect("an R103 annotation");
    assert!(line.starts_with("::error file="), "{line}");
    assert!(line.contains("broken.yaml,line=6,col=22"), "{line}");
    assert!(
        line.contains("title=R103 unknown-product::unknown product `sales.nope`"),
        "{line}"
    );
}

#[test]
fn colour_follows_flag_and_no_color() {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_tree(&example(), tmp.path());
    std::fs::write(tmp.path().join("broken.yaml"), BROKEN_PRODUCT).expect("write");
    let esc = predicate::str::contains("\u{1b}[");
    meshc()
        .arg("check")
        .arg(tmp.path())
        .args(["--color", "always"])
        .assert()
        .stderr(esc.clone());
    meshc()
        .arg("check")
        .arg(tmp.path())
        .assert()
        .stderr(esc.clone().not());
    meshc()
        .arg("check")
        .arg(tmp.path())
        .env("NO_COLOR", "1")
        .assert()
        .stderr(esc.not());
}

#[test]
fn usage_error_is_exit_2() {
    meshc().args(["check", "--format", "xml"]).assert().code(2);
    meshc().args(["frobnicate"]).assert().code(2);
}

#[test]
fn graph_formats_and_focus() {
    let dot = meshc().arg("graph").arg(example()).output().expect("run");
    assert!(dot.status.success());
    let dot = String::from_utf8(dot.stdout).expect("utf8");
    assert!(dot.starts_with("digraph mesh {"));
    assert!(dot.contains("\"sales.orders\""));

    let mmd = meshc()
        .arg("graph")
        .arg(example())
        .args(["--format", "mermaid"])
        .output()
        .expect("run");
    assert!(
        String::from_utf8(mmd.stdout)
            .expect("utf8")
            .starts_with("flowchart LR")
    );

    let json = |args: &[&str]| -> serde_json::Value {
        let out = meshc()
            .arg("graph")
            .arg(example())
            .args(["--format", "json"])
            .args(args)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["id"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let all = json(&[]);
    let up = json(&["--focus", "finance.revenue", "--upstream"]);
    let down = json(&["--focus", "sales.orders", "--downstream"]);
    assert!(ids(&up).contains(&"sales.orders".to_string()));
    assert!(ids(&up).contains(&"finance.revenue".to_string()));
    assert!(!ids(&up).contains(&"marketing.campaign_audience".to_string()));
    assert!(ids(&down).contains(&"finance.revenue".to_string()));
    assert!(!ids(&down).contains(&"customers.customers".to_string()));
    assert!(ids(&up).len() < ids(&all).len());
    assert!(all.get("columnEdges").is_none());
    let cols = json(&["--columns"]);
    assert!(
        !cols["columnEdges"]
            .as_array()
            .expect("column edges")
            .is_empty()
    );

    meshc()
        .arg("graph")
        .arg(example())
        .args(["--focus", "sales.ordrs"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `sales.orders`"));
}

#[test]
fn schema_validates_every_example_file() {
    let out = meshc().arg("schema").output().expect("run");
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(example())
        .into_iter()
        .filter_map(|e| e.ok())
    {
        let p = entry.path();
        let is_yaml = p.extension().is_some_and(|e| e == "yaml" || e == "yml");
        if !is_yaml || p.components().any(|c| c.as_os_str() == "build") {
            continue;
        }
        let text = std::fs::read_to_string(p).expect("read");
        if !text.contains("apiVersion: meshc/") {
            continue;
        }
        let docs: Vec<serde_json::Value> = serde_saphyr::from_str_multiple(&text).expect("yaml");
        for doc in docs {
            if !doc["apiVersion"]
                .as_str()
                .is_some_and(|v| v.starts_with("meshc/"))
            {
                continue;
            }
            let errors: Vec<String> = validator
                .iter_errors(&doc)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", p.display());
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} documents validated");

    for kind in ["Mesh", "domain", "Team", "Source", "DataProduct"] {
        meshc().args(["schema", kind]).assert().success();
    }
    meshc().args(["schema", "Widget"]).assert().code(2);
}

#[test]
fn symlinks_out_of_the_root_are_not_followed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mesh = tmp.path().join("mesh");
    copy_tree(&example(), &mesh);
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    std::fs::write(outside.join("evil.yaml"), BROKEN_PRODUCT).expect("write");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outside.join("evil.yaml"), mesh.join("evil.yaml"))
            .expect("symlink");
        std::os::unix::fs::symlink(&outside, mesh.join("linked_dir")).expect("symlink");
    }
    meshc().arg("check").arg(&mesh).assert().success();
}

#[test]
fn generated_mesh_is_deterministic_and_checks_clean() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for out in [&a, &b] {
        common::generate(out, 300, 7);
    }
    assert_eq!(
        snapshot_tree(&a),
        snapshot_tree(&b),
        "generator is not deterministic"
    );
    meshc()
        .arg("check")
        .arg(&a)
        .assert()
        .success()
        .stderr(predicate::str::contains("0 errors, 0 warnings"))
        .stderr(predicate::str::contains("300 products"));
    let (o1, o2) = (tmp.path().join("o1"), tmp.path().join("o2"));
    build_ok(&a, &o1);
    build_ok(&b, &o2);
    assert_eq!(
        snapshot_tree(&o1),
        snapshot_tree(&o2),
        "builds of equal meshes differ"
    );
}

#[test]
fn huge_file_is_refused_with_a_diagnostic() {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_tree(&example(), tmp.path());
    let mut big = String::from(
        "apiVersion: meshc/v1\nkind: Team\nmetadata: {name: big}\nspec:\n  members:\n",
    );
    while big.len() <= 17 * 1024 * 1024 {
        big.push_str("    - someone.with.a.long.address@acme.example\n");
    }
    std::fs::write(tmp.path().join("big.yaml"), big).expect("write");
    meshc()
        .arg("check")
        .arg(tmp.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("M001"))
        .stderr(predicate::str::contains("above the 16 MiB limit"));
}

/// Every field the document types define is used somewhere in mesh.example,
/// so a reader learns the whole format from it.
#[test]
fn example_uses_every_field() {
    fn schema_fields(v: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(serde_json::Value::Object(props)) = m.get("properties") {
                    out.extend(props.keys().cloned());
                }
                m.values().for_each(|x| schema_fields(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| schema_fields(x, out)),
            _ => {}
        }
    }
    fn used_keys(v: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            serde_json::Value::Object(m) => {
                out.extend(m.keys().cloned());
                m.values().for_each(|x| used_keys(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| used_keys(x, out)),
            _ => {}
        }
    }
    let out = meshc().arg("schema").output().expect("run");
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut fields = std::collections::BTreeSet::new();
    schema_fields(&schema, &mut fields);
    let mut used = std::collections::BTreeSet::new();
    for entry in walkdir::WalkDir::new(example())
        .into_iter()
        .filter_map(|e| e.ok())
    {
        let p = entry.path();
        if p.extension().is_none_or(|e| e != "yaml")
            || p.components().any(|c| c.as_os_str() == "build")
        {
            continue;
        }
        let text = std::fs::read_to_string(p).expect("read");
        let docs: Vec<serde_json::Value> = serde_saphyr::from_str_multiple(&text).expect("yaml");
        for d in docs.iter().filter(|d| d["apiVersion"] == "meshc/v1") {
            used_keys(d, &mut used);
        }
    }
    let missing: Vec<&String> = fields.difference(&used).collect();
    assert!(
        missing.is_empty(),
        "fields never used in mesh.example: {missing:?}"
    );
}

/// The DOT output is read by a real Graphviz (`dot`, installed by
/// scripts/test and .ci/run), with and without column lineage.
#[test]
fn graphviz_parses_the_dot_output() {
    for args in [
        &[][..],
        &["--columns"][..],
        &["--columns", "--focus", "finance.revenue", "--upstream"][..],
    ] {
        let out = meshc()
            .arg("graph")
            .arg(example())
            .args(args)
            .output()
            .expect("run");
        assert!(out.status.success());
        let mut dot = std::process::Command::new("dot")
            .args(["-Tsvg", "-o", "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("graphviz `dot` is installed (scripts/test installs it)");
        use std::io::Write as _;
        dot.stdin
            .take()
            .expect("stdin")
            .write_all(&out.stdout)
            .expect("write");
        let res = dot.wait_with_output().expect("dot");
        assert!(
            res.status.success(),
            "dot rejected {args:?}: {}",
            String::from_utf8_lossy(&res.stderr)
        );
        assert!(
            res.stderr.is_empty(),
            "dot warned on {args:?}: {}",
            String::from_utf8_lossy(&res.stderr)
        );
    }
}

/// A mesh copy whose Mesh document gets `extra` appended to its `spec`.
fn example_with(extra: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_tree(&example(), tmp.path());
    let mesh = tmp.path().join("mesh.yaml");
    let text = std::fs::read_to_string(&mesh).expect("read mesh.yaml");
    std::fs::write(&mesh, format!("{text}{extra}")).expect("write mesh.yaml");
    tmp
}

/// A mesh copy with `target` (a YAML list item) first in `spec.targets`.
fn example_with_target(target: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_tree(&example(), tmp.path());
    let mesh = tmp.path().join("mesh.yaml");
    let text = std::fs::read_to_string(&mesh).expect("read mesh.yaml");
    let text = text.replace("  targets:\n", &format!("  targets:\n{target}"));
    std::fs::write(&mesh, text).expect("write mesh.yaml");
    tmp
}

fn write_file(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

#[test]
fn mesh_templates_override_a_builtin_by_path() {
    // mesh.example already names `templates/` as its templates folder.
    let tmp = example_with("");
    write_file(
        &tmp.path().join("templates/postgres/grants.sql"),
        "-- our grants for {{ target.name }}: {{ grants | length }} grants\n",
    );
    let out = tmp.path().join("out");
    build_ok(tmp.path(), &out);
    let grants = std::fs::read_to_string(out.join("targets/warehouse/grants.sql")).expect("read");
    assert!(
        grants.starts_with("-- our grants for warehouse: "),
        "{grants}"
    );
    // The other files of the engine, and other engines, stay built in.
    let ddl = std::fs::read_to_string(out.join("targets/warehouse/ddl.sql")).expect("read");
    assert!(ddl.contains("CREATE TABLE IF NOT EXISTS \"sales\".\"orders__orders\""));
    let trino = std::fs::read_to_string(out.join("targets/lakehouse/grants.sql")).expect("read");
    assert!(!trino.starts_with("-- our grants"));
}

#[test]
fn an_engine_added_with_templates_only() {
    let tmp =
        example_with_target("    - name: local\n      engine: duckdb\n      file: acme.duckdb\n");
    write_file(
        &tmp.path().join("templates/duckdb/_types.sql"),
        "{% set types = {\"bigint\": \"BIGINT\", \"string\": \"VARCHAR\", \"json\": \"JSON\"} %}\n",
    );
    write_file(
        &tmp.path().join("templates/duckdb/ddl.sql"),
        "-- ATTACH {{ target.file | literal }};\n{% from \"duckdb/_types.sql\" import types %}\n{% for r in ddl if r.kind == \"table\" %}\nCREATE TABLE {{ r.schema | ident }}.{{ r.name | ident }} ({% for c in r.columns %}{{ c.name | ident }} {{ types[c.logical] if c.logical in types else c.logical | upper }}{% if not loop.last %}, {% endif %}{% endfor %});\n{% endfor %}\n",
    );
    let out = tmp.path().join("out");
    build_ok(tmp.path(), &out);
    let ddl = std::fs::read_to_string(out.join("targets/local/ddl.sql")).expect("read");
    assert!(ddl.starts_with("-- ATTACH 'acme.duckdb';"), "{ddl}");
    assert!(
        ddl.contains("CREATE TABLE \"sales\".\"orders__orders\" (\"order_id\" BIGINT, "),
        "{ddl}"
    );
    // Partials (files starting with `_`) are not emitted; the built-in
    // engines are still built.
    assert!(!out.join("targets/local/_types.sql").exists());
    assert!(out.join("targets/warehouse/ddl.sql").is_file());
}

#[test]
fn grant_values_read_like_template_maps_and_lists() {
    // A grant's nested values are objects read from the grant; to a
    // template they behave as the maps and lists they once were (key order,
    // `items`, `length`, `reverse` as minijinja reverses its own maps, none
    // for a whole-relation grant's columns).
    let tmp = example_with_target("    - name: probe\n      engine: probe\n");
    write_file(
        &tmp.path().join("templates/probe/grants.sql"),
        "{% macro probe(g) %}{{ g.object|reverse|list }} {{ g.object|items|list }} {{ g.object|length }} {{ g.whole }} {{ g.cause|list }} {{ g.columns|reverse|list if g.columns is not none else \"none\" }} {{ g.columns|length if g.columns is not none else 0 }} {{ g.object is mapping }} {{ g.columns is sequence }}{% endmacro %}\n{{ probe(grants[0]) }}\n{{ probe(grants | selectattr(\"columns\") | first) }}\n",
    );
    let out = tmp.path().join("out");
    build_ok(tmp.path(), &out);
    let text = std::fs::read_to_string(out.join("targets/probe/grants.sql")).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            r#"["kind", "name", "port", "relation_kind", "schema"] [["kind", "relation"], ["name", "customer_segments__segments"], ["port", "customers.customer_segments.segments"], ["relation_kind", "table"], ["schema", "customers"]] 5 {"masked": False, "name": "customer_segments__segments", "relation_kind": "table", "schema": "customers"} ["declaration", "file", "line"] none 0 True False"#,
            r#"["kind", "name", "port", "relation_kind", "schema"] [["kind", "relation"], ["name", "customers__customers"], ["port", "customers.customers.customers"], ["relation_kind", "table"], ["schema", "customers"]] 5 {"masked": True, "name": "customers__customers__masked", "relation_kind": "masked_view", "schema": "customers"} ["declaration", "file", "line"] ["signup_at", "loyalty_tier", "customer_id"] 3 True True"#,
        ]
    );
}

#[test]
fn template_loops_have_the_documented_loop_variables() {
    // The book (add-engine.md) lists what `loop` has; `previtem` and
    // `nextitem` are left out of the build, and a namespace keeps the
    // previous item instead.
    let tmp = example_with_target("    - name: probe\n      engine: probe\n");
    write_file(
        &tmp.path().join("templates/probe/grants.sql"),
        "{% set ns = namespace(prev=none) %}{% for x in [\"a\", \"b\", \"c\"] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.length }}{{ loop.first }}{{ loop.last }}{{ loop.depth }}{{ loop.cycle(\"o\", \"e\") }}{{ loop.changed(x) }}{{ loop.previtem is undefined }}{{ loop.nextitem is undefined }}{{ ns.prev }}{% set ns.prev = x %};{% endfor %}\n",
    );
    let out = tmp.path().join("out");
    build_ok(tmp.path(), &out);
    let text = std::fs::read_to_string(out.join("targets/probe/grants.sql")).expect("read");
    assert_eq!(
        text.trim_end(),
        "1033TrueFalse1oTrueTrueTrueNone;2123FalseFalse1eTrueTrueTruea;3213FalseTrue1oTrueTrueTrueb;"
    );
}

#[test]
fn template_error_names_file_and_line_and_keeps_previous_build() {
    let tmp = example_with("");
    let out = tmp.path().join("out");
    build_ok(tmp.path(), &out);
    let before = snapshot_tree(&out);
    // Fails while rendering (not while parsing): files of other targets
    // are already being written when it does.
    write_file(
        &tmp.path().join("templates/trino/masking.sql"),
        "-- masked views\n{% for r in masking %}\n{{ r.no_such_field }}\n{% endfor %}\n",
    );
    meshc()
        .arg("build")
        .arg(tmp.path())
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("E401"))
        .stderr(predicate::str::contains("templates/trino/masking.sql:3"))
        .stderr(predicate::str::contains("nothing written"));
    assert_eq!(before, snapshot_tree(&out), "the previous build changed");
    let entries: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("read")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("meshc-tmp") || n.contains("meshc-old"))
        .collect();
    assert!(entries.is_empty(), "staging left behind: {entries:?}");
}

/// On engines that cannot grant some columns only (Trino here), a grant
/// goes to a whole relation; it must never be a base relation with masked
/// columns the reader is not approved for. Every `GRANT SELECT` on a base
/// relation that has masked columns must be backed, in grants.json, by an
/// ownership, a whole-relation read, or a column read covering every
/// masked column.
#[test]
fn whole_relation_grants_never_expose_masked_columns_raw() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    build_ok(example(), &out);
    let read = |p: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(out.join(p)).expect("read")).expect("json")
    };
    let (manifest, grants) = (read("manifest.json"), read("grants/grants.json"));
    let mut masked: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for p in manifest["products"].as_array().expect("products") {
        for port in p["ports"].as_array().expect("ports") {
            let cols: Vec<String> = port["columns"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| c["masking"].as_str().is_some_and(|m| m != "none"))
                .map(|c| c["name"].as_str().unwrap_or_default().to_string())
                .collect();
            if !cols.is_empty() {
                masked.insert(port["fqn"].as_str().unwrap_or_default().to_string(), cols);
            }
        }
    }
    // Base relation name → port FQN, and what grants.json allows raw.
    let mut port_of = std::collections::BTreeMap::new();
    let mut raw_ok = std::collections::BTreeSet::new();
    for g in grants["grants"].as_array().expect("grants") {
        let o = &g["object"];
        if o["kind"] != "relation" {
            continue;
        }
        let rel = format!(
            "\"iceberg\".\"{}\".\"{}\"",
            o["schema"].as_str().unwrap_or_default(),
            o["name"].as_str().unwrap_or_default()
        );
        let port = o["port"].as_str().unwrap_or_default().to_string();
        port_of.insert(rel.clone(), port.clone());
        let covers = match g["columns"].as_array() {
            None => true,
            Some(cols) => masked
                .get(&port)
                .into_iter()
                .flatten()
                .all(|m| cols.iter().any(|c| c.as_str() == Some(m.as_str()))),
        };
        if covers {
            raw_ok.insert((g["principal"].as_str().unwrap_or_default().to_string(), rel));
        }
    }
    let sql = std::fs::read_to_string(out.join("targets/lakehouse/grants.sql")).expect("read");
    let mut checked = 0;
    for line in sql.lines() {
        let Some(rest) = line.strip_prefix("GRANT SELECT ON ") else {
            continue;
        };
        let Some((rel, role)) = rest.split_once(" TO ROLE ") else {
            continue;
        };
        let role = role.trim_end_matches(';').trim_matches('"').to_string();
        let Some(port) = port_of.get(rel) else {
            continue; // a masked view
        };
        if !masked.contains_key(port) {
            continue;
        }
        checked += 1;
        assert!(
            raw_ok.contains(&(role.clone(), rel.to_string())),
            "{role} gets the whole of {rel} on Trino, exposing masked columns {:?} it is not approved for",
            masked[port]
        );
    }
    assert!(
        checked > 0,
        "no grant on a base relation with masked columns was checked"
    );
}
