//! `meshc access`, driven through the binary: who-can-read and
//! what-can-read on mesh.example, checked against the grants.json that
//! `meshc build` writes from the same computation.

#[path = "support/common.rs"]
mod common;
use common::{example, meshc};

use std::collections::BTreeSet;

use predicates::prelude::*;
use serde_json::Value;

/// stdout of a successful `meshc access mesh.example ARGS…`.
fn access(args: &[&str]) -> String {
    let out = meshc()
        .arg("access")
        .arg(example())
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("utf-8")
}

fn access_json(args: &[&str]) -> Vec<Value> {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    match serde_json::from_str(&access(&all)).expect("json") {
        Value::Array(a) => a,
        other => panic!("not an array: {other}"),
    }
}

/// Lines of `text` whose first word (the role) is `role`.
fn lines_of<'a>(text: &'a str, role: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.split_whitespace().next() == Some(role))
        .collect()
}

/// The grants of a fresh build of mesh.example.
fn built_grants() -> (Vec<Value>, Vec<Value>) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("build");
    meshc()
        .arg("build")
        .arg(example())
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(out.join("grants/grants.json")).expect("grants.json");
    let v: Value = serde_json::from_str(&text).expect("json");
    let grants = v["grants"].as_array().expect("grants").clone();
    let roles = v["roles"].as_array().expect("roles").clone();
    (grants, roles)
}

/// What identifies a grant: principal, privilege, object, columns, expiry
/// and cause.
fn key(g: &Value) -> String {
    serde_json::to_string(&serde_json::json!([
        g["principal"],
        g["privilege"],
        g["object"],
        g["columns"],
        g["expires"],
        g["cause"],
    ]))
    .expect("json")
}

fn reads(g: &Value) -> bool {
    matches!(g["privilege"].as_str(), Some("OWNER" | "SELECT"))
}

// ------------------------------------------------------------------ who-can-read

#[test]
fn who_can_read_a_port_lists_owner_team_consumers_and_allowed_teams() {
    let text = access(&["who-can-read", "sales.orders.orders"]);
    insta::assert_snapshot!("who_can_read_sales_orders_orders", text);
    // The product's own role owns the relation and its masked relation.
    let owner = lines_of(&text, "dp_sales_orders");
    assert_eq!(owner.len(), 2, "{text}");
    assert!(owner.iter().all(|l| l.contains(" OWNER ")));
    assert!(owner[1].contains("sales.orders__orders__masked (masked)"));
    // The owning team reads the whole relation.
    let team = lines_of(&text, "team_sales_data");
    assert_eq!(team.len(), 1);
    assert!(team[0].contains("team sales_data"));
    assert!(team[0].contains("team `sales_data` owns `sales.orders`"));
    assert!(!team[0].contains("columns:"));
    // A consuming product, column-level, traced to its input.
    let revenue = lines_of(&text, "dp_finance_revenue");
    assert_eq!(revenue.len(), 1);
    assert!(revenue[0].contains("columns: country, order_id"));
    assert!(
        revenue[0].contains("(domains/finance/products/revenue.yaml:17)"),
        "{}",
        revenue[0]
    );
    // A team from access.allow, with its expiry.
    let analysts = lines_of(&text, "team_finance_analysts");
    assert_eq!(analysts.len(), 1);
    assert!(analysts[0].contains("until 2027-12-31"));
    assert!(analysts[0].contains("`access.allow` of `sales.orders` for team `finance_analysts`"));
}

#[test]
fn who_can_read_shows_readers_of_the_masked_relation() {
    let text = access(&["who-can-read", "customers.customers.contact_details"]);
    let audience = lines_of(&text, "dp_marketing_campaign_audience");
    assert_eq!(audience.len(), 1, "{text}");
    assert!(audience[0].contains(" SELECT "));
    assert!(audience[0].contains("customers.customers__contact_details__masked (masked)"));
    // Approved for raw values: the base relation.
    let deliveries = lines_of(&text, "dp_logistics_deliveries");
    assert_eq!(deliveries.len(), 1);
    assert!(!deliveries[0].contains("masked"));
}

#[test]
fn who_can_read_a_product_covers_every_port() {
    let text = access(&["who-can-read", "customers.customers"]);
    insta::assert_snapshot!("who_can_read_customers_customers", text);
    assert!(text.contains("customers.customers.customers (public table port)"));
    assert!(text.contains("customers.customers.contact_details (restricted table port)"));
}

#[test]
fn who_can_read_a_column_lists_only_those_that_read_it() {
    let text = access(&["who-can-read", "sales.orders.orders.country"]);
    insta::assert_snapshot!("who_can_read_sales_orders_orders_country", text);
    for role in [
        "dp_sales_orders",
        "dp_finance_revenue",
        "dp_logistics_shipments",
        "team_finance_analysts",
        "team_sales_data",
    ] {
        assert!(!lines_of(&text, role).is_empty(), "{role} missing:\n{text}");
    }
    // They consume sales.orders.orders, but not its country.
    for role in [
        "dp_finance_invoices",
        "dp_sales_order_lines",
        "dp_logistics_deliveries",
        "team_marketing_analytics",
    ] {
        assert!(lines_of(&text, role).is_empty(), "{role} listed:\n{text}");
    }
}

#[test]
fn who_can_read_a_masked_column_says_the_reader_sees_it_masked() {
    let text = access(&["who-can-read", "customers.customers.contact_details.email"]);
    insta::assert_snapshot!("who_can_read_contact_details_email", text);
    assert!(text.contains("masked (hash) in masked relation"));
    let audience = lines_of(&text, "dp_marketing_campaign_audience");
    assert_eq!(audience.len(), 1, "{text}");
    assert!(audience[0].contains("(masked: sees email hashed)"));
    // logistics.deliveries reads the port, but not the e-mail.
    assert!(lines_of(&text, "dp_logistics_deliveries").is_empty());
}

#[test]
fn who_can_read_a_stream_or_file_port_says_there_is_no_relation() {
    meshc()
        .arg("access")
        .arg(example())
        .args([
            "who-can-read",
            "marketing.campaign_audience.audience_export",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "meshc emits no relation and no grants for stream and file ports",
        ));
    // JSON stays JSON: an empty array, the note on stderr.
    meshc()
        .arg("access")
        .arg(example())
        .args([
            "who-can-read",
            "marketing.web_sessions.page_views_live",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .stdout("[]\n")
        .stderr(predicate::str::contains("no relation"));
}

#[test]
fn who_can_read_a_source_table_says_sources_get_no_grants() {
    meshc()
        .arg("access")
        .arg(example())
        .args(["who-can-read", "sales.shop_db.orders"])
        .assert()
        .success()
        .stdout(predicate::str::contains("meshc grants nothing on them"));
}

#[test]
fn who_can_read_unknown_fqn_is_a_usage_error_with_a_suggestion() {
    for (fqn, hint) in [
        ("sales.ordrs", "did you mean `sales.orders`?"),
        ("sales.orders.ordres", "did you mean `sales.orders.orders`?"),
        (
            "sales.orders.orders.contry",
            "did you mean `sales.orders.orders.country`?",
        ),
    ] {
        meshc()
            .arg("access")
            .arg(example())
            .args(["who-can-read", fqn])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "`{fqn}` names no product"
            )))
            .stderr(predicate::str::contains(hint));
    }
}

// ------------------------------------------------------------------ what-can-read

#[test]
fn what_can_read_a_product() {
    let text = access(&["what-can-read", "finance.revenue"]);
    insta::assert_snapshot!("what_can_read_finance_revenue", text);
    assert!(text.starts_with("dp_finance_revenue (product finance.revenue) can read:\n"));
    assert!(text.contains("OWNER   finance.revenue.recognized_revenue"));
    assert!(text.contains("SELECT  sales.orders.orders"));
    // The role name gives the same answer.
    assert_eq!(access(&["what-can-read", "dp_finance_revenue"]), text);
}

#[test]
fn what_can_read_a_team() {
    let text = access(&["what-can-read", "finance_analysts"]);
    insta::assert_snapshot!("what_can_read_finance_analysts", text);
    assert!(text.contains("until 2027-03-31"));
    assert!(text.contains("and has USAGE on the schemas they are in:"));
    assert_eq!(access(&["what-can-read", "team_finance_analysts"]), text);
}

#[test]
fn what_can_read_a_role_name_through_the_masked_relation() {
    let text = access(&["what-can-read", "dp_marketing_campaign_audience"]);
    insta::assert_snapshot!("what_can_read_dp_marketing_campaign_audience", text);
    assert!(text.contains("customers.customers__contact_details__masked (masked)"));
}

#[test]
fn what_can_read_unknown_principal_is_a_usage_error_with_a_suggestion() {
    for (who, hint) in [
        ("finance_analyst", "did you mean `finance_analysts`?"),
        ("dp_sales_order", "did you mean `dp_sales_orders`?"),
        ("finance.revenu", "did you mean `finance.revenue`?"),
    ] {
        meshc()
            .arg("access")
            .arg(example())
            .args(["what-can-read", who])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "`{who}` names no role, product or team"
            )))
            .stderr(predicate::str::contains(hint));
    }
}

// ------------------------------------------------------------------ same as grants.json

#[test]
fn answers_equal_grants_json_of_a_build() {
    let (grants, roles) = built_grants();
    // Every port and product of the mesh, and every column of two ports.
    let ports: BTreeSet<String> = grants
        .iter()
        .filter_map(|g| g["object"]["port"].as_str().map(str::to_string))
        .collect();
    assert!(ports.len() > 10, "{ports:?}");
    let products: BTreeSet<String> = ports
        .iter()
        .map(|p| p.rsplit_once('.').expect("product").0.to_string())
        .collect();
    for port in &ports {
        let want: BTreeSet<String> = grants
            .iter()
            .filter(|g| reads(g) && g["object"]["port"].as_str() == Some(port))
            .map(key)
            .collect();
        let got: BTreeSet<String> = access_json(&["who-can-read", port])
            .iter()
            .map(key)
            .collect();
        assert_eq!(got, want, "who-can-read {port}");
    }
    for product in &products {
        let want: BTreeSet<String> = grants
            .iter()
            .filter(|g| {
                reads(g)
                    && g["object"]["port"]
                        .as_str()
                        .is_some_and(|p| p.rsplit_once('.').map(|x| x.0) == Some(product))
            })
            .map(key)
            .collect();
        let got: BTreeSet<String> = access_json(&["who-can-read", product])
            .iter()
            .map(key)
            .collect();
        assert_eq!(got, want, "who-can-read {product}");
    }
    for (port, columns) in [
        (
            "sales.orders.orders",
            &["order_id", "customer_email", "country", "channel"][..],
        ),
        (
            "customers.customers.contact_details",
            &["customer_id", "email", "phone"][..],
        ),
    ] {
        for c in columns {
            let want: BTreeSet<String> = grants
                .iter()
                .filter(|g| reads(g) && g["object"]["port"].as_str() == Some(port))
                .filter(|g| {
                    g["columns"]
                        .as_array()
                        .is_none_or(|cs| cs.iter().any(|x| x.as_str() == Some(c)))
                })
                .map(key)
                .collect();
            let fqn = format!("{port}.{c}");
            let got: BTreeSet<String> = access_json(&["who-can-read", &fqn])
                .iter()
                .map(key)
                .collect();
            assert_eq!(got, want, "who-can-read {fqn}");
        }
    }
    // what-can-read: every grant of the role, USAGE included.
    for role in &roles {
        let name = role["name"].as_str().expect("name");
        let of = role["of"].as_str().expect("of");
        let want: BTreeSet<String> = grants
            .iter()
            .filter(|g| g["principal"].as_str() == Some(name))
            .map(key)
            .collect();
        for principal in [name, of] {
            let got: BTreeSet<String> = access_json(&["what-can-read", principal])
                .iter()
                .map(key)
                .collect();
            assert_eq!(got, want, "what-can-read {principal}");
        }
    }
}

// ------------------------------------------------------------------ command line

#[test]
fn dir_is_optional_before_the_subcommand() {
    let with_dir = access(&["who-can-read", "sales.orders.orders"]);
    let out = meshc()
        .current_dir(example())
        .args(["access", "who-can-read", "sales.orders.orders"])
        .assert()
        .success()
        .stderr("")
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(out).expect("utf-8"), with_dir);
    let out = meshc()
        .current_dir(example())
        .args(["access", "what-can-read", "finance_analysts"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(out).expect("utf-8"),
        access(&["what-can-read", "finance_analysts"])
    );
}

#[test]
fn format_is_accepted_before_and_after_the_subcommand() {
    let after = access(&["who-can-read", "finance.revenue", "--format", "json"]);
    let before = meshc()
        .args(["access", "--format", "json"])
        .arg(example())
        .args(["who-can-read", "finance.revenue"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(before).expect("utf-8"), after);
    let v: Value = serde_json::from_str(&after).expect("json");
    assert!(v.as_array().is_some_and(|a| !a.is_empty()));
}

#[test]
fn a_subcommand_is_required() {
    meshc()
        .arg("access")
        .arg(example())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("who-can-read"));
}

#[test]
fn a_naming_template_that_does_not_render_exits_1_with_a_diagnostic() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    std::fs::write(
        root.join("mesh.yaml"),
        "apiVersion: meshc/v1\nkind: Mesh\nmetadata: {name: m}\nspec:\n  naming:\n    productRole: \"dp_{{ nope }}\"\n",
    )
    .expect("write");
    std::fs::write(
        root.join("team.yaml"),
        "apiVersion: meshc/v1\nkind: Team\nmetadata: {name: t}\n---\napiVersion: meshc/v1\nkind: Domain\nmetadata: {name: d, owner: t}\n---\napiVersion: meshc/v1\nkind: DataProduct\nmetadata: {name: p, domain: d, owner: t}\nspec:\n  version: 1.0.0\n",
    )
    .expect("write");
    meshc()
        .arg("access")
        .arg(root)
        .args(["what-can-read", "t"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("E401"));
}
