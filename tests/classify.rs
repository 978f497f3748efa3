//! Classification propagates through column lineage, transitively, across
//! products and domains, and stops at a masked column; the manifest records
//! the effective classification of every column.

use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

fn product(domain: &str, name: &str, input: Option<&str>, col: &str) -> String {
    let inputs = input
        .map(|i| {
            format!("  inputs:\n    - product: {i}\n      port: main\n      purpose: analysis\n")
        })
        .unwrap_or_default();
    format!(
        "apiVersion: meshc/v1\nkind: DataProduct\nmetadata: {{ name: {name}, domain: {domain}, owner: team_a }}\nspec:\n  version: 1.0.0\n{inputs}  outputs:\n    - name: main\n      columns:\n{col}"
    )
}

#[test]
fn propagates_across_three_products_and_stops_at_masking() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(
        d,
        "mesh.yaml",
        "apiVersion: meshc/v1\nkind: Mesh\nmetadata: { name: m }\n",
    );
    write(
        d,
        "org.yaml",
        "apiVersion: meshc/v1\nkind: Team\nmetadata: { name: team_a }\n---\napiVersion: meshc/v1\nkind: Domain\nmetadata: { name: crm, owner: team_a }\n---\napiVersion: meshc/v1\nkind: Domain\nmetadata: { name: bi, owner: team_a }\n",
    );
    write(
        d,
        "a.yaml",
        &product(
            "crm",
            "a",
            None,
            "        - { name: email, type: string, classification: pii, masking: hash }\n        - { name: note, type: string, classification: confidential }\n",
        ),
    );
    // b copies email unmasked (declared internal) and masks a copy of it.
    write(
        d,
        "b.yaml",
        &product(
            "crm",
            "b",
            Some("crm.a"),
            "        - { name: email_copy, type: string, classification: internal, derivedFrom: [crm.a.main.email] }\n        - { name: email_hash, type: string, classification: internal, masking: hash, derivedFrom: [crm.a.main.email] }\n        - { name: note, type: string, derivedFrom: [crm.a.main.note] }\n",
        ),
    );
    // c, in another domain, derives from b's copy.
    write(
        d,
        "c.yaml",
        &product(
            "bi",
            "c",
            Some("crm.b"),
            "        - { name: contact, type: string, classification: internal, derivedFrom: [crm.b.main.email_copy] }\n        - { name: contact_hash, type: string, derivedFrom: [crm.b.main.email_hash] }\n",
        ),
    );
    let as_of = meshc::date::Date::parse("2026-11-25").expect("date");
    let mut checked = meshc::check(d, &[], as_of).expect("check");
    let out = d.join("out");
    meshc::emit::build(&mut checked, &out, None).expect("build");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("read"))
            .expect("json");
    let mut effective = std::collections::BTreeMap::new();
    for p in m["products"].as_array().expect("products") {
        for port in p["ports"].as_array().expect("ports") {
            for c in port["columns"].as_array().expect("columns") {
                effective.insert(
                    c["fqn"].as_str().expect("fqn").to_string(),
                    c["effectiveClassification"].clone(),
                );
            }
        }
    }
    let get = |f: &str| effective[f].as_str().map(str::to_string);
    assert_eq!(get("crm.a.main.email").as_deref(), Some("pii"));
    assert_eq!(get("crm.b.main.email_copy").as_deref(), Some("pii"));
    assert_eq!(
        get("crm.b.main.email_hash").as_deref(),
        Some("internal"),
        "masking stops propagation"
    );
    assert_eq!(
        get("crm.b.main.note").as_deref(),
        Some("confidential"),
        "an unclassified column inherits"
    );
    assert_eq!(
        get("bi.c.main.contact").as_deref(),
        Some("pii"),
        "transitively, across domains"
    );
    assert_eq!(get("bi.c.main.contact_hash").as_deref(), Some("internal"));
}
