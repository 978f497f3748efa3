//! The PostgreSQL output applied to a real server (SPEC §6, §8).
//!
//! For mesh.example, a generated mesh of 200 products and a fixture whose
//! free text is hostile, `meshc build` runs and its `ddl.sql`, `masking.sql`
//! and `grants.sql` are applied to a fresh database of a throwaway server
//! (see `support/pg.rs`). Then:
//! - re-applying `grants.sql` (and the whole sequence) changes no owner or
//!   ACL;
//! - every role of grants.json, on every relation and column of the mesh's
//!   schemas, has exactly the privileges grants.json lists (catalog
//!   functions `has_*_privilege`), nothing else, nothing for PUBLIC, no
//!   memberships — and every allowed read really runs as that role;
//! - logged in as consumers: granted columns read, others refused, masked
//!   views mask (`hash` = hex SHA-256 of the text value);
//! - hostile descriptions land in `pg_description` byte for byte, and no
//!   injected statement runs, also on a server with
//!   `standard_conforming_strings = off`;
//! - grants.sql applied at once to two databases of one cluster (roles are
//!   cluster-wide) succeeds in both.
//!
//! PostgreSQL must be installed (Debian's `postgresql` package): without it
//! these tests fail, they do not skip.

#[path = "support/pg.rs"]
mod pg;

#[path = "support/common.rs"]
mod common;
use common::{copy_tree, meshc, root};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use pg::{Pg, ident, literal, rows};
use serde_json::Value;

/// The scenarios share one server and its cluster-wide roles (mesh.example
/// and the hostile fixture both have `dp_sales_orders`): run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
        .to_string()
}

// ------------------------------------------------------------------ build

/// A build and its PostgreSQL target.
struct Built {
    /// `OUT/targets/<target>`.
    sql: PathBuf,
    grants: Value,
    manifest: Value,
}

fn build(mesh: &Path, out: &Path) -> Built {
    common::build_ok(mesh, out);
    let manifest = read_json(&out.join("manifest.json"));
    let targets: Vec<String> = manifest["mesh"]["targets"]
        .as_array()
        .expect("manifest mesh.targets")
        .iter()
        .filter(|t| t["engine"] == "postgres")
        .map(|t| s(&t["name"]))
        .collect();
    let target = targets
        .first()
        .unwrap_or_else(|| panic!("{} has no postgres target", mesh.display()));
    let sql = out.join("targets").join(target);
    for f in ["ddl.sql", "masking.sql", "grants.sql"] {
        assert!(sql.join(f).is_file(), "{} missing", sql.join(f).display());
    }
    Built {
        sql,
        grants: read_json(&out.join("grants/grants.json")),
        manifest,
    }
}

/// Applies ddl.sql, masking.sql and grants.sql, in that order; each must
/// succeed.
fn apply(pg: &Pg, db: &str, built: &Built, files: &[&str], env: &[(&str, &str)]) {
    for f in files {
        let path = built.sql.join(f);
        if let Err(e) = pg.apply_file(db, &path, env) {
            panic!("applying {} to database {db} failed:\n{e}", path.display());
        }
    }
}

const ALL_FILES: [&str; 3] = ["ddl.sql", "masking.sql", "grants.sql"];

/// SQL: the mesh's schemas are every schema but the system ones and `public`
/// (the databases are fresh; `public` holds the hostile test's sentinel).
const MESH_SCHEMA: &str =
    "(n.nspname !~ '^pg_' AND n.nspname NOT IN ('information_schema', 'public'))";

/// Owners and ACLs of the mesh's schemas, relations and columns, one line
/// per object.
fn acl_snapshot(pg: &Pg, db: &str) -> String {
    let sql = format!(
        "SELECT 'schema', n.nspname, '', '', pg_get_userbyid(n.nspowner), coalesce(n.nspacl::text, '')
           FROM pg_namespace n WHERE {MESH_SCHEMA}
         UNION ALL
         SELECT 'relation', n.nspname, c.relname, c.relkind::text, pg_get_userbyid(c.relowner),
                coalesce(c.relacl::text, '')
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {MESH_SCHEMA}
         UNION ALL
         SELECT 'column', n.nspname, c.relname, a.attname, '', coalesce(a.attacl::text, '')
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE {MESH_SCHEMA} AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY 1, 2, 3, 4;"
    );
    pg.query(db, &sql)
}

// ------------------------------------------------------------------ expected

/// What grants.json says each role may do.
#[derive(Default)]
struct Expected {
    roles: Vec<String>,
    /// (schema, relation) → owning role.
    owner: BTreeMap<(String, String), String>,
    /// (role, schema, relation) with SELECT on the whole relation.
    table_select: BTreeSet<(String, String, String)>,
    /// (role, schema, relation) → columns with a column-level SELECT.
    column_select: BTreeMap<(String, String, String), BTreeSet<String>>,
    /// (role, schema) with USAGE.
    usage: BTreeSet<(String, String)>,
    schemas: BTreeSet<String>,
    /// Every relation a grant names.
    relations: BTreeSet<(String, String)>,
    /// port FQN → (kind, schema, relation) of its relation and masked one.
    ports: BTreeMap<String, BTreeMap<String, (String, String)>>,
}

fn expected(grants: &Value) -> Expected {
    let mut e = Expected {
        roles: grants["roles"]
            .as_array()
            .expect("roles")
            .iter()
            .map(|r| s(&r["name"]))
            .collect(),
        ..Expected::default()
    };
    for g in grants["grants"].as_array().expect("grants") {
        let role = s(&g["principal"]);
        let object = &g["object"];
        let schema = s(&object["schema"]);
        e.schemas.insert(schema.clone());
        match (g["privilege"].as_str(), object["kind"].as_str()) {
            (Some("USAGE"), Some("schema")) => {
                e.usage.insert((role, schema));
            }
            (Some(privilege), Some(kind @ ("relation" | "maskedRelation"))) => {
                let name = s(&object["name"]);
                e.relations.insert((schema.clone(), name.clone()));
                e.ports
                    .entry(s(&object["port"]))
                    .or_default()
                    .insert(kind.to_string(), (schema.clone(), name.clone()));
                let key = (role.clone(), schema.clone(), name.clone());
                match (privilege, g["columns"].as_array()) {
                    ("OWNER", _) => {
                        let prev = e.owner.insert((schema, name), role.clone());
                        assert!(
                            prev.is_none_or(|p| p == role),
                            "two owners in grants.json: {g}"
                        );
                        e.table_select.insert(key);
                    }
                    ("SELECT", None) => {
                        e.table_select.insert(key);
                    }
                    ("SELECT", Some(cols)) => {
                        e.column_select
                            .entry(key)
                            .or_default()
                            .extend(cols.iter().map(s));
                    }
                    _ => panic!("unexpected grant in grants.json: {g}"),
                }
            }
            _ => panic!("unexpected grant in grants.json: {g}"),
        }
    }
    e
}

impl Expected {
    fn owns(&self, role: &str, schema: &str, rel: &str) -> bool {
        self.owner
            .get(&(schema.to_string(), rel.to_string()))
            .is_some_and(|o| o == role)
    }

    /// The columns `role` may read on a relation whose columns are `all`.
    fn readable(&self, role: &str, schema: &str, rel: &str, all: &[String]) -> BTreeSet<String> {
        let key = (role.to_string(), schema.to_string(), rel.to_string());
        if self.table_select.contains(&key) {
            all.iter().cloned().collect()
        } else {
            self.column_select.get(&key).cloned().unwrap_or_default()
        }
    }
}

// ------------------------------------------------------------------ actual

/// A relation of the mesh's schemas in the database.
struct Relation {
    schema: String,
    name: String,
    kind: String,
    owner: String,
    columns: Vec<String>,
}

/// The privileges a role holds on a relation (absent: none at all).
#[derive(Debug, Default, PartialEq)]
struct Held {
    owner: bool,
    select: bool,
    /// INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER on the table,
    /// then INSERT/UPDATE/REFERENCES on any column.
    other: [bool; 7],
    columns: BTreeSet<String>,
}

const OTHER: [&str; 7] = [
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
    "column INSERT/UPDATE/REFERENCES",
];

struct Actual {
    relations: Vec<Relation>,
    schemas: BTreeSet<String>,
    /// (role, schema, relation) → privileges, only where any is held.
    held: BTreeMap<(String, String, String), Held>,
    /// (role, schema) → (USAGE, CREATE), only where either is held.
    schema_privs: BTreeMap<(String, String), (bool, bool)>,
    /// ACL entries for PUBLIC on mesh objects.
    public: Vec<String>,
    /// Role memberships involving a mesh role.
    memberships: Vec<String>,
    missing_roles: Vec<String>,
}

fn flag(v: &str) -> bool {
    match v {
        "t" => true,
        "f" => false,
        _ => panic!("not a psql boolean: {v:?}"),
    }
}

fn names(v: &str) -> Vec<String> {
    if v.is_empty() {
        Vec::new()
    } else {
        v.split(',').map(str::to_string).collect()
    }
}

/// Every privilege of every role on the mesh's schemas and relations, in
/// one psql run. Columns are only asked about where the role holds some
/// privilege on the relation (`has_any_column_privilege`), which keeps the
/// query fast; everywhere else every answer is false.
fn actual(pg: &Pg, db: &str, roles: &[String]) -> Actual {
    let role_array = format!(
        "ARRAY[{}]::text[]",
        roles
            .iter()
            .map(|r| literal(r))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let sql = format!(
        "CREATE TEMP TABLE meshc_roles AS
           SELECT a.oid, a.rolname FROM pg_roles a WHERE a.rolname = ANY ({role_array});
         CREATE TEMP TABLE meshc_rels AS
           SELECT c.oid, n.nspname, c.relname, c.relkind, c.relowner
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE {MESH_SCHEMA} AND c.relkind IN ('r', 'p', 'v', 'm', 'f');
         SELECT 'missing', x FROM unnest({role_array}) x
          WHERE x NOT IN (SELECT rolname FROM meshc_roles);
         SELECT 'schema', n.nspname FROM pg_namespace n WHERE {MESH_SCHEMA};
         SELECT 'relation', c.nspname, c.relname, c.relkind, pg_get_userbyid(c.relowner),
                string_agg(a.attname, ',' ORDER BY a.attnum)
           FROM meshc_rels c JOIN pg_attribute a ON a.attrelid = c.oid
          WHERE a.attnum > 0 AND NOT a.attisdropped
          GROUP BY 1, 2, 3, 4, 5;
         SELECT 'usage', r.rolname, n.nspname,
                has_schema_privilege(r.oid, n.oid, 'USAGE'), has_schema_privilege(r.oid, n.oid, 'CREATE')
           FROM meshc_roles r, pg_namespace n
          WHERE {MESH_SCHEMA} AND has_schema_privilege(r.oid, n.oid, 'USAGE, CREATE');
         SELECT 'held', r.rolname, c.nspname, c.relname, c.relowner = r.oid,
                has_table_privilege(r.oid, c.oid, 'SELECT'),
                has_table_privilege(r.oid, c.oid, 'INSERT'),
                has_table_privilege(r.oid, c.oid, 'UPDATE'),
                has_table_privilege(r.oid, c.oid, 'DELETE'),
                has_table_privilege(r.oid, c.oid, 'TRUNCATE'),
                has_table_privilege(r.oid, c.oid, 'REFERENCES'),
                has_table_privilege(r.oid, c.oid, 'TRIGGER'),
                has_any_column_privilege(r.oid, c.oid, 'INSERT, UPDATE, REFERENCES'),
                coalesce((SELECT string_agg(a.attname, ',' ORDER BY a.attnum)
                            FROM pg_attribute a
                           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                             AND has_column_privilege(r.oid, c.oid, a.attnum, 'SELECT')), '')
           FROM meshc_roles r, meshc_rels c
          WHERE has_any_column_privilege(r.oid, c.oid, 'SELECT, INSERT, UPDATE, REFERENCES')
             OR has_table_privilege(r.oid, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER');
         SELECT 'public', 'schema ' || n.nspname || ' ' || a.privilege_type
           FROM pg_namespace n, aclexplode(n.nspacl) a WHERE {MESH_SCHEMA} AND a.grantee = 0
         UNION ALL
         SELECT 'public', 'relation ' || c.nspname || '.' || c.relname || ' ' || a.privilege_type
           FROM meshc_rels c JOIN pg_class k ON k.oid = c.oid, aclexplode(k.relacl) a WHERE a.grantee = 0
         UNION ALL
         SELECT 'public', 'column ' || c.nspname || '.' || c.relname || '.' || t.attname || ' ' || a.privilege_type
           FROM meshc_rels c JOIN pg_attribute t ON t.attrelid = c.oid, aclexplode(t.attacl) a
          WHERE a.grantee = 0;
         SELECT 'member', pg_get_userbyid(m.member) || ' in ' || pg_get_userbyid(m.roleid)
           FROM pg_auth_members m
          WHERE m.member IN (SELECT oid FROM meshc_roles) OR m.roleid IN (SELECT oid FROM meshc_roles);"
    );
    let out = pg.query(db, &sql);
    let mut a = Actual {
        relations: Vec::new(),
        schemas: BTreeSet::new(),
        held: BTreeMap::new(),
        schema_privs: BTreeMap::new(),
        public: Vec::new(),
        memberships: Vec::new(),
        missing_roles: Vec::new(),
    };
    for row in rows(&out) {
        match row.as_slice() {
            ["missing", r] => a.missing_roles.push(r.to_string()),
            ["schema", n] => {
                a.schemas.insert(n.to_string());
            }
            ["relation", n, c, k, o, cols] => a.relations.push(Relation {
                schema: n.to_string(),
                name: c.to_string(),
                kind: k.to_string(),
                owner: o.to_string(),
                columns: names(cols),
            }),
            ["usage", r, n, u, c] => {
                a.schema_privs
                    .insert((r.to_string(), n.to_string()), (flag(u), flag(c)));
            }
            ["held", r, n, c, owner, select, rest @ ..] if rest.len() == 8 => {
                let mut other = [false; 7];
                for (o, v) in other.iter_mut().zip(&rest[..7]) {
                    *o = flag(v);
                }
                a.held.insert(
                    (r.to_string(), n.to_string(), c.to_string()),
                    Held {
                        owner: flag(owner),
                        select: flag(select),
                        other,
                        columns: names(rest[7]).into_iter().collect(),
                    },
                );
            }
            ["public", what] => a.public.push(what.to_string()),
            ["member", what] => a.memberships.push(what.to_string()),
            _ => panic!("unexpected psql row {row:?}"),
        }
    }
    a
}

// ------------------------------------------------------------------ compare

/// Sizes of one comparison, for the report.
struct Compared {
    roles: usize,
    relations: usize,
    columns: usize,
    /// roles × Σ columns of every relation.
    triples: usize,
    role_relation_pairs: usize,
    role_schema_pairs: usize,
    reads: usize,
}

impl std::fmt::Display for Compared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} roles × {} relations ({} columns) = {} role×relation×column triples, \
             {} role×relation pairs, {} role×schema pairs compared; {} allowed reads run",
            self.roles,
            self.relations,
            self.columns,
            self.triples,
            self.role_relation_pairs,
            self.role_schema_pairs,
            self.reads
        )
    }
}

/// Every role × relation × column against grants.json; panics listing
/// every difference.
fn compare(pg: &Pg, db: &str, exp: &Expected) -> Compared {
    let act = actual(pg, db, &exp.roles);
    let mut diffs: Vec<String> = Vec::new();
    for r in &act.missing_roles {
        diffs.push(format!("role {r} of grants.json does not exist"));
    }
    if act.schemas != exp.schemas {
        diffs.push(format!(
            "schemas: database has {:?}, grants.json names {:?}",
            act.schemas, exp.schemas
        ));
    }
    let in_db: BTreeSet<(String, String)> = act
        .relations
        .iter()
        .map(|r| (r.schema.clone(), r.name.clone()))
        .collect();
    for (schema, rel) in exp.relations.difference(&in_db) {
        diffs.push(format!(
            "{schema}.{rel}: in grants.json, not in the database"
        ));
    }
    for r in &act.relations {
        match exp.owner.get(&(r.schema.clone(), r.name.clone())) {
            None => diffs.push(format!(
                "{}.{} ({}): in the database, no OWNER grant in grants.json",
                r.schema, r.name, r.kind
            )),
            Some(o) if *o != r.owner => diffs.push(format!(
                "{}.{}: owned by {}, grants.json says {o}",
                r.schema, r.name, r.owner
            )),
            Some(_) => {}
        }
    }
    let none = Held::default();
    let mut reads: Vec<(String, String, String, Vec<String>)> = Vec::new();
    for role in &exp.roles {
        for r in &act.relations {
            let (schema, rel) = (r.schema.as_str(), r.name.as_str());
            let key = (role.clone(), schema.to_string(), rel.to_string());
            let held = act.held.get(&key).unwrap_or(&none);
            let owner = exp.owns(role, schema, rel);
            let select = owner || exp.table_select.contains(&key);
            let columns = exp.readable(role, schema, rel, &r.columns);
            let at = format!("{role} on {schema}.{rel}");
            if held.owner != owner {
                diffs.push(format!("{at}: owner is {}, expected {owner}", held.owner));
            }
            if held.select != select {
                diffs.push(format!(
                    "{at}: has_table_privilege SELECT is {}, expected {select}",
                    held.select
                ));
            }
            if held.columns != columns {
                let extra: Vec<_> = held.columns.difference(&columns).collect();
                let missing: Vec<_> = columns.difference(&held.columns).collect();
                diffs.push(format!(
                    "{at}: has_column_privilege SELECT also on {extra:?}, not on {missing:?}"
                ));
            }
            if !owner {
                for (name, held) in OTHER.iter().zip(held.other) {
                    if held {
                        diffs.push(format!("{at}: holds {name}, which nothing grants"));
                    }
                }
            }
            if !columns.is_empty() {
                let cols = r
                    .columns
                    .iter()
                    .filter(|c| columns.contains(*c))
                    .cloned()
                    .collect();
                reads.push((role.clone(), schema.to_string(), rel.to_string(), cols));
            }
        }
        for schema in &act.schemas {
            let key = (role.clone(), schema.clone());
            let (usage, create) = act.schema_privs.get(&key).copied().unwrap_or_default();
            let want = exp.usage.contains(&key);
            if usage != want {
                diffs.push(format!(
                    "{role} on schema {schema}: has_schema_privilege USAGE is {usage}, expected {want}"
                ));
            }
            if create {
                diffs.push(format!("{role} on schema {schema}: holds CREATE"));
            }
        }
    }
    for p in &act.public {
        diffs.push(format!("PUBLIC holds {p}"));
    }
    for m in &act.memberships {
        diffs.push(format!("role membership {m}"));
    }
    // Allowed is allowed: every role reads what it may, as itself (a view
    // reads through its owner's privileges, so this also proves the chain).
    diffs.extend(failed_reads(pg, db, &reads));
    let columns: usize = act.relations.iter().map(|r| r.columns.len()).sum();
    let compared = Compared {
        roles: exp.roles.len(),
        relations: act.relations.len(),
        columns,
        triples: exp.roles.len() * columns,
        role_relation_pairs: exp.roles.len() * act.relations.len(),
        role_schema_pairs: exp.roles.len() * act.schemas.len(),
        reads: reads.len(),
    };
    assert!(
        diffs.is_empty(),
        "{} differences between database {db} and grants.json ({compared}):\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    compared
}

/// Runs `SELECT cols FROM rel LIMIT 0` as each role, in one psql run;
/// returns the ones that fail.
fn failed_reads(pg: &Pg, db: &str, reads: &[(String, String, String, Vec<String>)]) -> Vec<String> {
    if reads.is_empty() {
        return Vec::new();
    }
    let values: Vec<String> = reads
        .iter()
        .map(|(role, schema, rel, cols)| {
            format!(
                "({}, {}, {}, {})",
                literal(role),
                literal(schema),
                literal(rel),
                literal(&cols.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", "))
            )
        })
        .collect();
    let sql = format!(
        "CREATE TEMP TABLE meshc_reads (role text, nsp text, rel text, cols text);
         INSERT INTO meshc_reads VALUES {};
         CREATE TEMP TABLE meshc_read_errors (what text);
         DO $body$
         DECLARE
             r record;
             e text;
         BEGIN
             FOR r IN SELECT * FROM meshc_reads LOOP
                 e := NULL;
                 BEGIN
                     EXECUTE format('SET LOCAL ROLE %I', r.role);
                     EXECUTE format('SELECT %s FROM %I.%I LIMIT 0', r.cols, r.nsp, r.rel);
                 EXCEPTION WHEN others THEN
                     e := SQLERRM;
                 END;
                 EXECUTE 'RESET ROLE';
                 IF e IS NOT NULL THEN
                     INSERT INTO meshc_read_errors
                     VALUES (format('%s cannot read (%s) of %s.%s: %s', r.role, r.cols, r.nsp, r.rel, e));
                 END IF;
             END LOOP;
         END
         $body$;
         SELECT what FROM meshc_read_errors;",
        values.join(",\n")
    );
    pg.query(db, &sql).lines().map(str::to_string).collect()
}

// ------------------------------------------------------------------ scenario

/// Build, apply, re-apply, compare: what every mesh goes through.
fn scenario(pg: &Pg, db: &str, built: &Built) -> Compared {
    pg.create_db(db);
    apply(pg, db, built, &ALL_FILES, &[]);
    let before = acl_snapshot(pg, db);
    assert!(
        before.contains("relation\t"),
        "nothing was created in {db}:\n{before}"
    );
    apply(pg, db, built, &["grants.sql"], &[]);
    let again = acl_snapshot(pg, db);
    assert_eq!(
        before, again,
        "applying grants.sql a second time changed owners or ACLs in {db}"
    );
    // The files say each can be re-run: the whole sequence once more.
    apply(pg, db, built, &ALL_FILES, &[]);
    assert_eq!(
        before,
        acl_snapshot(pg, db),
        "re-applying ddl.sql, masking.sql and grants.sql changed owners or ACLs in {db}"
    );
    let compared = compare(pg, db, &expected(&built.grants));
    eprintln!("{db}: {compared}");
    compared
}

// ------------------------------------------------------------------ consumers

fn login(pg: &Pg, db: &str, role: &str) {
    pg.query(db, &format!("ALTER ROLE {} LOGIN;", ident(role)));
}

fn assert_reads(pg: &Pg, db: &str, role: &str, sql: &str) -> String {
    pg.try_query_as(db, role, sql)
        .unwrap_or_else(|e| panic!("{role} must be able to run `{sql}`, got: {e}"))
}

fn assert_refused(pg: &Pg, db: &str, role: &str, sql: &str) {
    match pg.try_query_as(db, role, sql) {
        Ok(out) => panic!("{role} must be refused `{sql}`, but it returned {out:?}"),
        Err(e) => assert!(
            e.contains("permission denied"),
            "{role} running `{sql}` must fail with \"permission denied\", got: {e}"
        ),
    }
}

/// The columns of a relation in the database.
fn columns_of(pg: &Pg, db: &str, schema: &str, rel: &str) -> Vec<(String, String)> {
    let out = pg.query(
        db,
        &format!(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod)
               FROM pg_attribute a
              WHERE a.attrelid = {}::regclass AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum;",
            literal(&format!("{}.{}", ident(schema), ident(rel)))
        ),
    );
    rows(&out)
        .into_iter()
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect()
}

/// `pg_class.relkind` of a relation.
fn relkind(pg: &Pg, db: &str, schema: &str, rel: &str) -> String {
    pg.query(
        db,
        &format!(
            "SELECT relkind FROM pg_class WHERE oid = {}::regclass;",
            literal(&format!("{}.{}", ident(schema), ident(rel)))
        ),
    )
    .trim()
    .to_string()
}

/// Masking of each column of a port (`domain.product.port`), from the
/// manifest.
fn masking_of(manifest: &Value, port: &str) -> BTreeMap<String, String> {
    manifest["products"]
        .as_array()
        .expect("products")
        .iter()
        .flat_map(|p| p["ports"].as_array().into_iter().flatten())
        .find(|p| p["fqn"] == port)
        .unwrap_or_else(|| panic!("port {port} not in manifest"))["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| (s(&c["name"]), s(&c["masking"])))
        .collect()
}

/// A value of a PostgreSQL type, as a literal to cast.
fn sample(column: &str, ty: &str) -> String {
    let varchar = |n: &str| -> String {
        let n: usize = n.trim_end_matches(')').parse().expect("length");
        format!("{column}-ü-x").chars().take(n).collect()
    };
    if let Some(n) = ty.strip_prefix("character varying(") {
        return varchar(n);
    }
    if let Some(n) = ty.strip_prefix("character(") {
        return varchar(n);
    }
    if ty.ends_with("[]") {
        return "{}".into();
    }
    // Drop typmods: `timestamp(3) with time zone` → `timestamp with time zone`.
    let mut base = String::new();
    let mut depth = 0;
    for ch in ty.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => base.push(ch),
            _ => {}
        }
    }
    let v = match base.as_str() {
        "text" | "character varying" => return format!("{column}: Ana Müller <ana@example.com>"),
        "smallint" | "integer" | "bigint" => "7",
        "numeric" | "real" | "double precision" => "1.5",
        "boolean" => "true",
        "date" => "2026-11-25",
        "timestamp with time zone" => "2026-11-25 12:34:56+00",
        "timestamp without time zone" => "2026-11-25 12:34:56",
        "time without time zone" => "12:34:56",
        "interval" => "1 day",
        "uuid" => "123e4567-e89b-12d3-a456-426614174000",
        "json" | "jsonb" => r#"{"k": "v"}"#,
        "bytea" => r"\x00ff",
        other => panic!("no sample value for column {column} of type {other}"),
    };
    v.to_string()
}

/// Hex SHA-256 of `text` (UTF-8), from coreutils' sha256sum.
fn sha256_hex(text: &str) -> String {
    use std::io::Write as _;
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run sha256sum");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("digest")
        .to_string()
}

/// Every column of `cols` read as `role` from `schema.rel`, as
/// `Some(text)` or `None` for NULL, in one row.
fn read_row(
    pg: &Pg,
    db: &str,
    role: &str,
    schema: &str,
    rel: &str,
    cols: &[String],
) -> BTreeMap<String, Option<String>> {
    let select: Vec<String> = cols
        .iter()
        .map(|c| {
            format!(
                "CASE WHEN {0} IS NULL THEN 'N' ELSE 'V' || encode(convert_to(CAST({0} AS text), 'UTF8'), 'hex') END",
                ident(c)
            )
        })
        .collect();
    let out = assert_reads(
        pg,
        db,
        role,
        &format!(
            "SELECT {} FROM {}.{};",
            select.join(", "),
            ident(schema),
            ident(rel)
        ),
    );
    let rows = rows(&out);
    assert_eq!(rows.len(), 1, "one row expected in {schema}.{rel}: {out:?}");
    cols.iter()
        .zip(&rows[0])
        .map(|(c, v)| {
            let v = v
                .strip_prefix('V')
                .map(|hex| String::from_utf8(unhex(hex)).expect("UTF-8 value"));
            (c.clone(), v)
        })
        .collect()
}

fn unhex(hex: &str) -> Vec<u8> {
    assert!(hex.len().is_multiple_of(2), "odd hex {hex:?}");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

/// What consumers see when they log in: granted columns read, the rest
/// refused, masked views mask. Returns a line for the report.
fn consumers(pg: &Pg, db: &str, built: &Built) -> String {
    let exp = expected(&built.grants);
    let grants = built.grants["grants"].as_array().expect("grants");
    let mut report = Vec::new();

    // A product role with a column-level SELECT on a relation that has a
    // column it may not read.
    let pick = grants
        .iter()
        .filter(|g| {
            g["principalKind"] == "product"
                && g["privilege"] == "SELECT"
                && g["object"]["kind"] == "relation"
                && g["columns"].is_array()
        })
        .find_map(|g| {
            let role = s(&g["principal"]);
            let (schema, rel) = (s(&g["object"]["schema"]), s(&g["object"]["name"]));
            let all: Vec<String> = columns_of(pg, db, &schema, &rel)
                .into_iter()
                .map(|c| c.0)
                .collect();
            let readable = exp.readable(&role, &schema, &rel, &all);
            let denied = all.iter().find(|c| !readable.contains(*c))?.clone();
            let granted = s(&g["columns"][0]);
            Some((role, schema, rel, granted, denied))
        })
        .expect("grants.json has a column-level SELECT of a product role leaving a column out");
    let (role, schema, rel, granted, denied) = pick;
    login(pg, db, &role);
    let qrel = format!("{}.{}", ident(&schema), ident(&rel));
    assert_reads(
        pg,
        db,
        &role,
        &format!("SELECT {} FROM {qrel};", ident(&granted)),
    );
    assert_refused(
        pg,
        db,
        &role,
        &format!("SELECT {} FROM {qrel};", ident(&denied)),
    );
    assert_refused(pg, db, &role, &format!("SELECT * FROM {qrel};"));
    // A relation it has no grant on, preferably in a schema it may use (so
    // the relation's own ACL refuses it).
    let all_rels: Vec<(String, String)> = rows(&pg.query(
        db,
        &format!(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE {MESH_SCHEMA} AND c.relkind IN ('r', 'v') ORDER BY 1, 2;"
        ),
    ))
    .into_iter()
    .map(|r| (r[0].to_string(), r[1].to_string()))
    .collect();
    let ungranted = |r: &(String, String)| {
        let key = (role.clone(), r.0.clone(), r.1.clone());
        !exp.owns(&role, &r.0, &r.1)
            && !exp.table_select.contains(&key)
            && !exp.column_select.contains_key(&key)
    };
    let other = all_rels
        .iter()
        .filter(|r| ungranted(r))
        .find(|r| exp.usage.contains(&(role.clone(), r.0.clone())))
        .or_else(|| all_rels.iter().find(|r| ungranted(r)))
        .expect("a relation the role has no grant on");
    assert_refused(
        pg,
        db,
        &role,
        &format!("SELECT * FROM {}.{};", ident(&other.0), ident(&other.1)),
    );
    report.push(format!(
        "{role} reads {schema}.{rel}({granted}), is refused {denied} and {}.{}",
        other.0, other.1
    ));

    // A role that reads a masked relation.
    // A row goes into its base relation below, so the base is a table.
    let base_of = |port: &str| -> (String, String) {
        exp.ports[port]
            .get("relation")
            .cloned()
            .unwrap_or_else(|| panic!("no base relation for {port} in grants.json"))
    };
    // Preferably one that reads a `hash` column, to check it as the reader.
    let candidates: Vec<&Value> = grants
        .iter()
        .filter(|g| g["privilege"] == "SELECT" && g["object"]["kind"] == "maskedRelation")
        .filter(|g| {
            let (schema, rel) = base_of(&s(&g["object"]["port"]));
            relkind(pg, db, &schema, &rel) == "r"
        })
        .collect();
    let reads_hash = |g: &&Value| {
        let masking = masking_of(&built.manifest, &s(&g["object"]["port"]));
        match g["columns"].as_array() {
            Some(cols) => cols.iter().any(|c| masking[&s(c)] == "hash"),
            None => masking.values().any(|m| m == "hash"),
        }
    };
    let g = *candidates
        .iter()
        .find(|g| reads_hash(g))
        .or(candidates.first())
        .expect("grants.json has a SELECT on the masked relation of a table");
    let role = s(&g["principal"]);
    let port = s(&g["object"]["port"]);
    let (mschema, mrel) = (s(&g["object"]["schema"]), s(&g["object"]["name"]));
    let (bschema, brel) = base_of(&port);
    let masking = masking_of(&built.manifest, &port);
    let base_cols = columns_of(pg, db, &bschema, &brel);
    let all: Vec<String> = base_cols.iter().map(|c| c.0.clone()).collect();
    let granted: Vec<String> = exp
        .readable(&role, &mschema, &mrel, &all)
        .into_iter()
        .collect();
    let on_base = exp.readable(&role, &bschema, &brel, &all);
    let raw = granted
        .iter()
        .find(|c| masking.get(*c).is_some_and(|m| m != "none") && !on_base.contains(*c))
        .expect("a masked column read through the masked relation")
        .clone();
    login(pg, db, &role);
    let qmasked = format!("{}.{}", ident(&mschema), ident(&mrel));
    let qbase = format!("{}.{}", ident(&bschema), ident(&brel));
    let cols = granted
        .iter()
        .map(|c| ident(c))
        .collect::<Vec<_>>()
        .join(", ");
    assert_reads(pg, db, &role, &format!("SELECT {cols} FROM {qmasked};"));
    assert_refused(
        pg,
        db,
        &role,
        &format!("SELECT {} FROM {qbase};", ident(&raw)),
    );

    // One row in the base table, read back through the masked view.
    pg.query(db, &format!("DELETE FROM {qbase};"));
    let values: Vec<String> = base_cols
        .iter()
        .map(|(c, ty)| format!("CAST({} AS {ty})", literal(&sample(c, ty))))
        .collect();
    pg.query(
        db,
        &format!(
            "INSERT INTO {qbase} ({}) VALUES ({});",
            all.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", "),
            values.join(", ")
        ),
    );
    let base = read_row(pg, db, "postgres", &bschema, &brel, &all);
    let mut checked = BTreeMap::<String, usize>::new();
    for (reader, cols) in [("postgres", all.clone()), (role.as_str(), granted.clone())] {
        let masked = read_row(pg, db, reader, &mschema, &mrel, &cols);
        for c in &cols {
            let m = masking.get(c).map(String::as_str).unwrap_or("none");
            let value = base[c].clone().expect("sample values are not NULL");
            let want = match m {
                "none" => Some(value.clone()),
                "hash" => Some(sha256_hex(&value)),
                "redact" => Some("[redacted]".to_string()),
                "nullify" => None,
                other => panic!("unknown masking {other}"),
            };
            assert_eq!(
                masked[c], want,
                "{mschema}.{mrel}.{c} ({m}) read by {reader}: base value {value:?}"
            );
            *checked.entry(m.to_string()).or_default() += 1;
        }
    }
    assert!(
        checked.contains_key("hash") || !masking.values().any(|m| m == "hash"),
        "no hash column of {port} was checked"
    );
    report.push(format!(
        "{role} reads {mschema}.{mrel}({}), is refused {bschema}.{brel}.{raw}; masking checked {checked:?}",
        granted.join(",")
    ));
    report.join("; ")
}

// ------------------------------------------------------------------ tests

#[test]
fn example_mesh_on_postgres_matches_grants_json() {
    let pg = pg::shared();
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let tmp = tempfile::tempdir().expect("tempdir");
    let built = build(&root().join("mesh.example"), &tmp.path().join("out"));
    let before = scenario(&pg, "example", &built);
    let seen = consumers(&pg, "example", &built);
    eprintln!("example consumers: {seen}");
    // Access granted by hand beside meshc — a mesh role made a member of
    // another, a stray column grant — is taken back by the next run of
    // grants.sql; a login's membership in a product role is kept.
    pg.query(
        "example",
        "GRANT dp_customers_customers TO team_marketing_analytics; \
         GRANT SELECT (email) ON customers.customers__customers TO dp_sales_order_lines; \
         DO $$ BEGIN CREATE ROLE pipeline_login LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$; \
         GRANT dp_sales_orders TO pipeline_login;",
    );
    apply(&pg, "example", &built, &["grants.sql"], &[]);
    let members = pg.query(
        "example",
        "SELECT r.rolname || ' > ' || m.rolname FROM pg_auth_members am \
         JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member \
         WHERE m.rolname IN ('team_marketing_analytics', 'pipeline_login') ORDER BY 1;",
    );
    assert_eq!(
        members.trim(),
        "dp_sales_orders > pipeline_login",
        "memberships: {members}"
    );
    pg.query("example", "REVOKE dp_sales_orders FROM pipeline_login;");
    let after = compare(&pg, "example", &expected(&built.grants));
    assert_eq!(
        format!("{before}"),
        format!("{after}"),
        "grants.sql did not converge"
    );
}

#[test]
fn generated_mesh_of_200_products_on_postgres_matches_grants_json() {
    let pg = pg::shared();
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let tmp = tempfile::tempdir().expect("tempdir");
    let mesh = tmp.path().join("mesh");
    common::generate(&mesh, 200, 11);
    // The generator writes a postgres target today; make sure of it.
    let root_file = mesh.join("mesh.yaml");
    let text = std::fs::read_to_string(&root_file).expect("read mesh.yaml");
    if !text.contains("engine: postgres") {
        assert!(
            text.contains("  targets:\n"),
            "no targets in mesh.yaml:\n{text}"
        );
        let text = text.replacen(
            "  targets:\n",
            "  targets:\n    - name: pgtest\n      engine: postgres\n",
            1,
        );
        std::fs::write(&root_file, text).expect("write mesh.yaml");
    }
    let built = build(&mesh, &tmp.path().join("out"));
    let compared = scenario(&pg, "generated", &built);
    assert!(
        compared.roles >= 200 && compared.relations >= 200,
        "a 200-product mesh gives at least 200 roles and relations: {compared}"
    );
    let seen = consumers(&pg, "generated", &built);
    eprintln!("generated consumers: {seen}");
}

/// Roles are cluster-wide: two deployments applying grants.sql at once
/// (two databases of one cluster) race to create the same roles. Both must
/// succeed; the loser of the race sees `unique_violation`, not
/// `duplicate_object`.
#[test]
fn grants_apply_concurrently_to_two_databases_of_one_cluster() {
    let pg = pg::shared();
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let tmp = tempfile::tempdir().expect("tempdir");
    let mesh = tmp.path().join("mesh");
    copy_tree(&root().join("mesh.example"), &mesh);
    // Role names no other test creates, so the race really happens.
    let root_file = mesh.join("mesh.yaml");
    let text = std::fs::read_to_string(&root_file).expect("read mesh.yaml");
    let renamed = text
        .replace("productRole: \"dp_", "productRole: \"race_dp_")
        .replace("teamRole: \"team_", "teamRole: \"race_team_");
    assert_ne!(text, renamed, "mesh.example spells out its naming");
    std::fs::write(&root_file, renamed).expect("write mesh.yaml");
    let built = build(&mesh, &tmp.path().join("out"));
    let dbs = ["race_a", "race_b"];
    for db in dbs {
        pg.create_db(db);
        apply(&pg, db, &built, &["ddl.sql", "masking.sql"], &[]);
    }
    let grants = built.sql.join("grants.sql");
    let children: Vec<_> = dbs
        .iter()
        .map(|db| {
            let mut c = pg.psql(db, "postgres");
            c.arg("-f").arg(&grants);
            c.stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("run psql")
        })
        .collect();
    let failures: Vec<String> = children
        .into_iter()
        .zip(dbs)
        .filter_map(|(child, db)| {
            let out = child.wait_with_output().expect("wait for psql");
            (!out.status.success())
                .then(|| format!("{db}: {}", String::from_utf8_lossy(&out.stderr)))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "grants.sql applied concurrently to two databases failed:\n{}",
        failures.join("\n")
    );
    for db in dbs {
        compare(&pg, db, &expected(&built.grants));
    }
}

// ------------------------------------------------------------------ hostile

fn hostile() -> PathBuf {
    root().join("tests/fixtures/emit/hostile")
}

const SALES: &str = "Sales' \"domain\"; '); DROP TABLE public.sentinel; --\nback\\slash \\' \\\\ */ /* $$ $meshc$ $meshc_1$ $1\n\u{1F980}\u{1F469}\u{200D}\u{1F4BB} \u{5E9}\u{5DC}\u{5D5}\u{5DD} \u{5E2}\u{5D5}\u{5DC}\u{5DD} \u{645}\u{631}\u{62D}\u{628}\u{627} e\u{0301} \u{202E}evil\u{202C}\tend";

const FINANCE: &str = r#"Finance, a block scalar with 'single' and "double" quotes;
\! echo pwned
\gexec
:'evil' :evil :"evil"
'); CREATE TABLE public.injected (); --
E'\''; DROP TABLE public.sentinel; --
end */ $$ $meshc$ 🦀
"#;

const ORDERS_PORT: &str = "Port description: it's; '); DROP TABLE public.sentinel; --\n\"double\" \\ \\\\ */ /* $$ $meshc$ $meshc_0$\r\nemoji \u{1F980} RTL \u{5E9}\u{5DC}\u{5D5}\u{5DD} \u{5E2}\u{5D5}\u{5DC}\u{5DD} combining a\u{0300}\u{0301} zwj \u{1F469}\u{200D}\u{1F4BB} ls\u{2028}ps\u{2029}end";

const ORDERS_COLUMNS: [(&str, &str); 4] = [
    ("order_id", "Order key'); DROP TABLE public.sentinel; --"),
    (
        "email",
        "E-mail; masked \"hash\" \\x27 */ $$ $meshc$ \u{1F980}",
    ),
    (
        "select",
        "A column named like a keyword; description with a block scalar:\nit's \"quoted\"; '); DROP TABLE public.sentinel; --\n\\! echo pwned\n*/ $$ $meshc$ \u{2713}\n",
    ),
    ("total", "Total in EUR \u{20AC}; 'a''b' \"c\"\"d\" e\\\\f"),
];

/// Every comment the hostile fixture must leave, keyed by (schema,
/// relation, column) with empty parts for a schema or relation: exactly the
/// text written in its YAML.
fn hostile_comments(exp: &Expected) -> BTreeMap<(String, String, String), String> {
    let mut want = BTreeMap::new();
    let mut put = |k: (&str, &str, &str), v: &str| {
        want.insert(
            (k.0.to_string(), k.1.to_string(), k.2.to_string()),
            v.to_string(),
        );
    };
    put(("sales", "", ""), SALES);
    put(("finance", "", ""), FINANCE);
    let rel = |port: &str, kind: &str| -> (String, String) {
        exp.ports
            .get(port)
            .and_then(|k| k.get(kind))
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} for {port} in grants.json"))
    };
    let orders = rel("sales.orders.orders", "relation");
    let masked = rel("sales.orders.orders", "maskedRelation");
    for (schema, name) in [&orders, &masked] {
        put((schema.as_str(), name.as_str(), ""), ORDERS_PORT);
        for (c, d) in ORDERS_COLUMNS {
            put((schema.as_str(), name.as_str(), c), d);
        }
    }
    let (schema, name) = rel("sales.orders.daily", "relation");
    put(
        (schema.as_str(), name.as_str(), ""),
        "View description: '); DROP TABLE public.sentinel; -- */ $$ $meshc$ \u{1F980}",
    );
    put(
        (schema.as_str(), name.as_str(), "order_id"),
        "Order key, view edition \"'\"; --",
    );
    put((schema.as_str(), name.as_str(), "total"), "Total */ /* $$");
    let (schema, name) = rel("finance.revenue.revenue", "relation");
    put(
        (schema.as_str(), name.as_str(), ""),
        "Revenue port: $$; DROP TABLE public.sentinel; $$ $meshc$; DROP TABLE public.sentinel; $meshc$",
    );
    put(
        (schema.as_str(), name.as_str(), "order_id"),
        "\\'; DROP TABLE public.sentinel; --",
    );
    put(
        (schema.as_str(), name.as_str(), "amount"),
        "Revenue in EUR */ -- /*",
    );
    want
}

/// Every comment on the mesh's schemas, relations and columns, as UTF-8
/// bytes (hex on the wire, so newlines and tabs survive psql).
fn stored_comments(pg: &Pg, db: &str) -> BTreeMap<(String, String, String), String> {
    let out = pg.query(
        db,
        &format!(
            "SELECT n.nspname, '', '', encode(convert_to(d.description, 'UTF8'), 'hex')
               FROM pg_namespace n JOIN pg_description d
                    ON d.classoid = 'pg_namespace'::regclass AND d.objoid = n.oid AND d.objsubid = 0
              WHERE {MESH_SCHEMA}
             UNION ALL
             SELECT n.nspname, c.relname, coalesce(a.attname, ''),
                    encode(convert_to(d.description, 'UTF8'), 'hex')
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    JOIN pg_description d ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid
                    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
                                            AND d.objsubid > 0
              WHERE {MESH_SCHEMA}
              ORDER BY 1, 2, 3;"
        ),
    );
    rows(&out)
        .into_iter()
        .map(|r| {
            let text = String::from_utf8(unhex(r[3])).expect("comment is UTF-8");
            ((r[0].to_string(), r[1].to_string(), r[2].to_string()), text)
        })
        .collect()
}

/// Also cross-checked through `obj_description`/`col_description`.
fn described(pg: &Pg, db: &str, key: &(String, String, String)) -> String {
    let (schema, rel, col) = key;
    let expr = if rel.is_empty() {
        format!(
            "obj_description((SELECT oid FROM pg_namespace WHERE nspname = {}), 'pg_namespace')",
            literal(schema)
        )
    } else {
        let oid = format!(
            "{}::regclass",
            literal(&format!("{}.{}", ident(schema), ident(rel)))
        );
        if col.is_empty() {
            format!("obj_description({oid}, 'pg_class')")
        } else {
            format!(
                "col_description({oid}, (SELECT attnum FROM pg_attribute WHERE attrelid = {oid} AND attname = {}))",
                literal(col)
            )
        }
    };
    let out = pg.query(
        db,
        &format!("SELECT encode(convert_to({expr}, 'UTF8'), 'hex');"),
    );
    String::from_utf8(unhex(out.trim())).expect("comment is UTF-8")
}

#[test]
fn hostile_descriptions_are_inert_text() {
    meshc()
        .arg("check")
        .arg(hostile())
        .assert()
        .success()
        .stderr(predicates::str::contains("0 errors, 0 warnings, 0 infos"));
    let pg = pg::shared();
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let tmp = tempfile::tempdir().expect("tempdir");
    let built = build(&hostile(), &tmp.path().join("out"));
    let exp = expected(&built.grants);
    let want = hostile_comments(&exp);

    // The server default, and a server where backslashes escape in plain
    // literals (`standard_conforming_strings = off`, as legacy databases
    // or roles may set): both must take the text as text.
    for (db, env) in [
        ("hostile", vec![]),
        (
            "hostile_nonstandard_strings",
            vec![("PGOPTIONS", "-c standard_conforming_strings=off")],
        ),
    ] {
        pg.create_db(db);
        pg.query(
            db,
            "CREATE TABLE public.sentinel (id integer); INSERT INTO public.sentinel VALUES (42);",
        );
        apply(&pg, db, &built, &ALL_FILES, &env);
        apply(&pg, db, &built, &ALL_FILES, &env);
        let public = pg.query(
            db,
            "SELECT c.relname || ':' || c.relkind::text FROM pg_class c
              WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1;",
        );
        assert_eq!(
            public.lines().collect::<Vec<_>>(),
            ["sentinel:r"],
            "{db}: public holds exactly the sentinel table"
        );
        assert_eq!(
            pg.query(db, "SELECT id FROM public.sentinel;").trim(),
            "42",
            "{db}: the sentinel row is intact"
        );
        let stored = stored_comments(&pg, db);
        let mut diffs = Vec::new();
        for (k, v) in &want {
            match stored.get(k) {
                None => diffs.push(format!("{k:?}: no comment, expected {v:?}")),
                Some(got) if got != v => {
                    diffs.push(format!("{k:?}:\n  stored   {got:?}\n  expected {v:?}"))
                }
                Some(_) => {
                    let again = described(&pg, db, k);
                    if again != *v {
                        diffs.push(format!("{k:?}: obj/col_description gives {again:?}"));
                    }
                }
            }
        }
        for k in stored.keys().filter(|k| !want.contains_key(*k)) {
            diffs.push(format!("{k:?}: unexpected comment {:?}", stored[k]));
        }
        assert!(
            diffs.is_empty(),
            "{db}: comments differ from the YAML text:\n{}",
            diffs.join("\n")
        );
        eprintln!("{db}: {} comments equal the YAML text", want.len());
    }
    // Access is right on the hostile mesh too.
    compare(&pg, "hostile", &exp);
}

/// A view that reads a masked column it is not approved for reads the
/// masked view; it and a view over it are created in masking.sql, after
/// the masked view, and run as their product's role.
#[test]
fn views_over_masked_relations_apply_in_order_and_see_masked_values() {
    let pg = pg::shared();
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let tmp = tempfile::tempdir().expect("tempdir");
    let mesh = root().join("tests/fixtures/emit/masked_views");
    let built = build(&mesh, &tmp.path().join("out"));
    let masking = std::fs::read_to_string(built.sql.join("masking.sql")).expect("masking.sql");
    let at = |what: &str| {
        masking
            .find(what)
            .unwrap_or_else(|| panic!("masking.sql lacks {what}:\n{masking}"))
    };
    let masked = at("CREATE OR REPLACE VIEW \"crm\".\"customers__customers__masked\"");
    let by_email = at("CREATE OR REPLACE VIEW \"sales\".\"report__by_email\"");
    let shared = at("CREATE OR REPLACE VIEW \"sales\".\"report__shared_emails\"");
    assert!(
        masked < by_email && by_email < shared,
        "wrong order:\n{masking}"
    );
    assert!(
        masking[by_email..shared].contains("FROM \"crm\".\"customers__customers__masked\"")
            || masking[by_email..shared].contains("from \"crm\".\"customers__customers__masked\""),
        "the view must read the masked relation:\n{masking}"
    );
    scenario(&pg, "masked_views", &built);
    pg.query(
        "masked_views",
        "INSERT INTO crm.customers__customers VALUES (1, 'a@example.com'), (2, 'a@example.com'), (3, 'b@example.com');",
    );
    let hash = sha256_hex("a@example.com");
    login(&pg, "masked_views", "team_crm_team");
    login(&pg, "masked_views", "dp_sales_report");
    let rows = assert_reads(
        &pg,
        "masked_views",
        "team_crm_team",
        "SELECT email || ':' || customers FROM sales.report__shared_emails",
    );
    assert_eq!(
        rows.trim(),
        format!("{hash}:2"),
        "the views see hashed e-mails"
    );
    // The product's own role reads its views; its input is the masked view.
    assert_refused(
        &pg,
        "masked_views",
        "dp_sales_report",
        "SELECT email FROM crm.customers__customers",
    );
}
