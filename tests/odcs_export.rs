//! ODCS export (SPEC §6, issue 5): `meshc build` writes
//! `contracts/<domain>/<product>/<port>.odcs.yaml` for every output port.
//! Every contract must parse as YAML and validate against the official ODCS
//! v3.1.0 JSON Schema (a copy in tests/data/odcs/, Apache-2.0, with its
//! LICENSE), and `datacontract lint` (datacontract-cli, installed by
//! .ci/run) must pass on the contracts of mesh.example.

#[path = "support/common.rs"]
mod common;
use common::{build_ok, copy_tree, example, meshc, snapshot_tree};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde_json::Value;

fn schema_path() -> PathBuf {
    common::root().join("tests/data/odcs/odcs-json-schema-v3.1.0.json")
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(schema_path()).expect("read the ODCS schema");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("the ODCS schema compiles")
}

/// Every contract under `out/contracts`, sorted: relative path and text.
fn contracts(out: &Path) -> Vec<(String, String)> {
    snapshot_tree(&out.join("contracts"))
        .into_iter()
        .map(|(rel, bytes)| (rel, String::from_utf8(bytes).expect("UTF-8")))
        .collect()
}

fn parse(rel: &str, text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{rel} is not YAML: {e}\n{text}"))
}

/// Parses and validates every contract; returns them parsed, by path.
fn validate_all(out: &Path) -> Vec<(String, Value)> {
    let v = validator();
    contracts(out)
        .into_iter()
        .map(|(rel, text)| {
            let doc = parse(&rel, &text);
            let errors: Vec<String> = v
                .iter_errors(&doc)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "{rel} is not valid ODCS: {errors:#?}\n{text}"
            );
            (rel, doc)
        })
        .collect()
}

/// The output ports of a build, from its manifest: `domain/product/port`.
fn ports(out: &Path) -> BTreeSet<String> {
    let m: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("manifest.json")).expect("manifest"),
    )
    .expect("json");
    let mut ports = BTreeSet::new();
    for p in m["products"].as_array().expect("products") {
        for port in p["ports"].as_array().expect("ports") {
            ports.insert(format!(
                "{}/{}/{}",
                p["domain"].as_str().expect("domain"),
                p["name"].as_str().expect("name"),
                port["name"].as_str().expect("port name")
            ));
        }
    }
    ports
}

fn contract_ports(docs: &[(String, Value)]) -> BTreeSet<String> {
    docs.iter()
        .map(|(rel, _)| {
            rel.strip_suffix(".odcs.yaml")
                .unwrap_or_else(|| panic!("{rel}: not a .odcs.yaml file"))
                .replace('\\', "/")
        })
        .collect()
}

#[test]
fn example_contracts_validate_and_map_the_product() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    build_ok(example(), &out);
    let docs = validate_all(&out);
    assert_eq!(
        contract_ports(&docs),
        ports(&out),
        "one contract per output port"
    );

    let (_, orders) = docs
        .iter()
        .find(|(rel, _)| rel.replace('\\', "/") == "sales/orders/orders.odcs.yaml")
        .expect("sales.orders.orders");
    assert_eq!(orders["apiVersion"], "v3.1.0");
    assert_eq!(orders["kind"], "DataContract");
    assert_eq!(orders["id"], "urn:meshc:sales.orders.orders");
    assert_eq!(orders["name"], "sales.orders.orders");
    assert_eq!(orders["version"], "2.3.0");
    assert_eq!(orders["status"], "active");
    assert_eq!(orders["domain"], "sales");
    assert_eq!(orders["dataProduct"], "orders");
    assert_eq!(orders["tenant"], "acme");
    assert_eq!(orders["team"]["name"], "sales_data");
    assert_eq!(
        orders["team"]["members"][0]["username"],
        "alice.moreau@acme.example"
    );
    let schema = &orders["schema"][0];
    assert_eq!(schema["name"], "orders");
    assert_eq!(schema["physicalName"], "orders__orders");
    assert_eq!(schema["physicalType"], "table");
    assert_eq!(schema["logicalType"], "object");
    let prop = |name: &str| -> &Value {
        schema["properties"]
            .as_array()
            .expect("properties")
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no property {name}"))
    };
    let id = prop("order_id");
    assert_eq!(id["logicalType"], "integer");
    assert_eq!(id["logicalTypeOptions"]["format"], "i64");
    assert_eq!(id["physicalType"], "bigint");
    assert_eq!(id["required"], true);
    assert_eq!(id["unique"], true);
    assert_eq!(id["primaryKey"], true);
    assert_eq!(id["primaryKeyPosition"], 1);
    assert_eq!(id["transformSourceObjects"][0], "sales.shop_db.orders.id");
    let metrics: Vec<&str> = id["quality"]
        .as_array()
        .expect("quality")
        .iter()
        .map(|q| q["metric"].as_str().expect("metric"))
        .collect();
    // A one-column unique rule is the property's `unique: true` alone.
    assert_eq!(metrics, ["nullValues"]);
    let email = prop("customer_email");
    assert_eq!(email["classification"], "pii");
    assert!(
        email.get("required").is_none(),
        "nullable columns are not required"
    );
    assert_eq!(email["customProperties"][0]["property"], "masking");
    assert_eq!(email["customProperties"][0]["value"], "hash");
    assert_eq!(prop("status")["logicalTypeOptions"]["maxLength"], 16);
    assert_eq!(
        prop("status")["quality"][0]["arguments"]["validValues"][0],
        "confirmed"
    );
    assert_eq!(prop("ordered_at")["logicalType"], "timestamp");
    assert_eq!(prop("ordered_at")["logicalTypeOptions"]["timezone"], true);
    assert_eq!(prop("ordered_at")["quality"][0]["type"], "custom");
    assert_eq!(
        prop("ordered_at")["quality"][0]["implementation"]["maxAge"],
        "6h"
    );
    assert_eq!(prop("total")["logicalType"], "number");
    assert_eq!(prop("total")["physicalType"], "decimal(12,2)");
    assert_eq!(schema["quality"][0]["metric"], "rowCount");
    assert_eq!(schema["quality"][0]["mustBeGreaterOrEqualTo"], 1);
    assert_eq!(
        schema["customProperties"][0]["value"],
        "orders__orders__masked"
    );

    let sla: Vec<(String, String, String)> = orders["slaProperties"]
        .as_array()
        .expect("sla")
        .iter()
        .map(|s| {
            (
                s["property"].as_str().expect("property").to_string(),
                s["value"].to_string(),
                s["unit"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        sla,
        [
            ("latency".into(), "1".into(), "hours".into()),
            ("availability".into(), "99.9".into(), "percent".into()),
            ("retention".into(), "7".into(), "years".into()),
        ]
    );
    // Servers from the Mesh's targets; without host and port they are
    // `custom`, the engine named in customProperties.
    let servers = orders["servers"].as_array().expect("servers");
    assert_eq!(servers.len(), 2);
    assert_eq!(servers[0]["server"], "warehouse");
    assert_eq!(servers[0]["type"], "custom");
    assert_eq!(servers[0]["schema"], "sales");
    assert_eq!(servers[1]["catalog"], "iceberg");
    let warehouse_types = servers[0]["customProperties"]
        .as_array()
        .expect("customProperties")
        .iter()
        .find(|p| p["property"] == "physicalTypes")
        .expect("physicalTypes");
    assert_eq!(warehouse_types["value"]["string"], "text");
    assert_eq!(warehouse_types["value"]["decimal(12,2)"], "numeric(12,2)");

    // Stream and file ports: a contract without servers or a physical name.
    let (_, live) = docs
        .iter()
        .find(|(rel, _)| rel.contains("page_views_live"))
        .expect("a stream port");
    assert_eq!(live["schema"][0]["physicalType"], "topic");
    assert!(live.get("servers").is_none());
    assert!(live["schema"][0].get("physicalName").is_none());

    // A deprecated product: its sunset is the contract's end of life.
    let (_, legacy) = docs
        .iter()
        .find(|(rel, _)| rel.contains("orders_legacy"))
        .expect("the deprecated product");
    assert_eq!(legacy["status"], "deprecated");
    assert!(
        legacy["slaProperties"]
            .as_array()
            .expect("sla")
            .iter()
            .any(|s| s["property"] == "endOfLife"),
        "{legacy}"
    );
}

#[test]
fn generated_mesh_contracts_validate() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mesh = tmp.path().join("mesh");
    common::generate(&mesh, 200, 7);
    let out = tmp.path().join("out");
    build_ok(&mesh, &out);
    let docs = validate_all(&out);
    assert!(docs.len() >= 200, "only {} contracts", docs.len());
    assert_eq!(contract_ports(&docs), ports(&out));
    // Four targets, one per built-in engine; Snowflake has its database
    // but no account, so every server is `custom`.
    let with_servers = docs
        .iter()
        .find(|(_, d)| d.get("servers").is_some())
        .expect("a relation port");
    assert_eq!(
        with_servers.1["servers"].as_array().expect("servers").len(),
        4
    );
}

#[test]
fn hostile_text_stays_text() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let mesh = common::root().join("tests/fixtures/emit/hostile");
    build_ok(&mesh, &out);
    let docs = validate_all(&out);
    assert_eq!(contract_ports(&docs), ports(&out));
    // Every description reaches the contract exactly as in the manifest
    // (which is JSON written by serde): nothing was cut, folded or added.
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("manifest.json")).expect("manifest"),
    )
    .expect("json");
    let keys: BTreeSet<&str> = [
        "apiVersion",
        "kind",
        "id",
        "name",
        "version",
        "status",
        "tenant",
        "domain",
        "dataProduct",
        "tags",
        "description",
        "team",
        "support",
        "schema",
        "slaProperties",
        "servers",
        "customProperties",
    ]
    .into();
    let mut compared = 0;
    for p in manifest["products"].as_array().expect("products") {
        for port in p["ports"].as_array().expect("ports") {
            let rel = format!(
                "{}/{}/{}.odcs.yaml",
                p["domain"].as_str().expect("domain"),
                p["name"].as_str().expect("name"),
                port["name"].as_str().expect("port")
            );
            let (_, doc) = docs
                .iter()
                .find(|(r, _)| r.replace('\\', "/") == rel)
                .unwrap_or_else(|| panic!("no {rel}"));
            for k in doc.as_object().expect("a map").keys() {
                assert!(keys.contains(k.as_str()), "{rel}: unexpected key {k}");
            }
            assert_eq!(
                doc["schema"][0]["description"], port["description"],
                "{rel}"
            );
            assert_eq!(doc["description"]["purpose"], p["description"], "{rel}");
            for (c, col) in port["columns"]
                .as_array()
                .expect("columns")
                .iter()
                .enumerate()
            {
                let prop = &doc["schema"][0]["properties"][c];
                assert_eq!(prop["name"], col["name"], "{rel}");
                assert_eq!(prop["description"], col["description"], "{rel}");
                compared += 1;
            }
        }
    }
    assert!(compared >= 8, "only {compared} columns compared");
    // The U+2028/U+2029 separators and CR stay escaped in the text.
    let text =
        std::fs::read_to_string(out.join("contracts/sales/orders/orders.odcs.yaml")).expect("read");
    assert!(
        text.contains("\\u2028") && text.contains("\\r\\n"),
        "{text}"
    );
    assert!(!text.contains('\u{2028}') && !text.contains('\r'));
}

#[test]
fn contracts_are_byte_identical_across_builds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    build_ok(example(), &a);
    build_ok(example(), &b);
    let (ca, cb) = (contracts(&a), contracts(&b));
    assert!(!ca.is_empty());
    assert_eq!(ca, cb);
}

#[test]
fn the_contract_template_can_be_overridden_and_quotes_values() {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_tree(&example(), tmp.path());
    // mesh.example names `templates/` as its templates folder.
    std::fs::create_dir_all(tmp.path().join("templates/odcs")).expect("mkdir");
    std::fs::write(
        tmp.path().join("templates/odcs/_head.yaml"),
        "kind: DataContract\n",
    )
    .expect("write");
    std::fs::write(
        tmp.path().join("templates/odcs/contract.odcs.yaml"),
        "apiVersion: {{ api_version }}\n{% include \"odcs/_head.yaml\" %}\nid: {{ id }}\nversion: {{ product.version }}\nstatus: {{ product.status }}\nname: {{ product.title or port.name }}\ndescription:\n  purpose: {{ \"x: y\\n# not a comment\" }}\n",
    )
    .expect("write");
    let out = tmp.path().join("out");
    build_ok(tmp.path(), &out);
    let text =
        std::fs::read_to_string(out.join("contracts/sales/orders/orders.odcs.yaml")).expect("read");
    assert_eq!(
        text,
        "apiVersion: v3.1.0\nkind: DataContract\nid: \"urn:meshc:sales.orders.orders\"\nversion: \"2.3.0\"\nstatus: active\nname: Orders\ndescription:\n  purpose: \"x: y\\n# not a comment\"\n"
    );
    // Partials are not contracts.
    assert!(!out.join("contracts/odcs").exists());
    validate_all(&out);
}

#[test]
fn a_broken_contract_template_is_e401_at_its_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_tree(&example(), tmp.path());
    std::fs::create_dir_all(tmp.path().join("templates/odcs")).expect("mkdir");
    std::fs::write(
        tmp.path().join("templates/odcs/contract.odcs.yaml"),
        "apiVersion: {{ api_version }}\nname: {{ port.no_such_field }}\n",
    )
    .expect("write");
    meshc()
        .arg("build")
        .arg(tmp.path())
        .arg("-o")
        .arg(tmp.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("E401"))
        .stderr(predicate::str::contains(
            "templates/odcs/contract.odcs.yaml:2",
        ))
        .stderr(predicate::str::contains("nothing written"));
    assert!(!tmp.path().join("out").exists());
}

/// `datacontract lint` (datacontract-cli from PyPI) on every contract of
/// mesh.example. .ci/run and scripts/test install it.
#[test]
fn datacontract_lint_passes_on_the_example() {
    let version = std::process::Command::new("datacontract")
        .arg("--version")
        .output();
    let Some(version) = version.ok().filter(|o| o.status.success()) else {
        panic!(
            "`datacontract` (datacontract-cli) is not installed: run \
             `python3 -m pip install 'datacontract-cli>=1.2,<2'` (scripts/test does)"
        );
    };
    eprintln!(
        "datacontract {}",
        String::from_utf8_lossy(&version.stdout).trim()
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    build_ok(example(), &out);
    let files: Vec<PathBuf> = contracts(&out)
        .into_iter()
        .map(|(rel, _)| out.join("contracts").join(rel))
        .collect();
    assert!(files.len() >= 10);
    // Two at a time: each run starts a Python interpreter.
    let failures: Vec<String> = std::thread::scope(|s| {
        let half = files.len().div_ceil(2);
        let handles: Vec<_> = files
            .chunks(half)
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|f| {
                            let o = std::process::Command::new("datacontract")
                                .arg("lint")
                                .arg(f)
                                .env("NO_COLOR", "1")
                                .env("COLUMNS", "200")
                                .output()
                                .expect("run datacontract");
                            let text = format!(
                                "{}{}",
                                String::from_utf8_lossy(&o.stdout),
                                String::from_utf8_lossy(&o.stderr)
                            );
                            let ok = o.status.success()
                                && text.contains("valid against ODCS v3.1.0")
                                && !text.contains("warning");
                            (!ok).then(|| format!("{}:\n{text}", f.display()))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "datacontract lint failed:\n{}",
        failures.join("\n")
    );
}
