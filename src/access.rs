//! Access, derived from the graph (SPEC §6): which role may do what on
//! which schema and relation, and the declaration that causes it.
//!
//! One computation serves `build/grants/grants.json`, every target's
//! `grants.sql` and `meshc access`. It is engine-independent: physical
//! names come from the Mesh's `naming` templates, and templates turn the
//! grants into each engine's SQL.
//!
//! What is granted, and nothing else:
//! - a product's role owns its output relations (and their masked views);
//! - a product's role reads exactly the columns its inputs declare on
//!   other products' relations — through the masked relation when a masked
//!   column it consumes is not approved `unmasked` for it — and only where
//!   the port's visibility lets it (a restricted port needs an approval in
//!   force);
//! - a team's role reads every relation of the products it owns, and what
//!   `access.allow` entries naming it list, until `expires`;
//! - a role gets USAGE on a schema only when it owns or reads something in it.
//!
//! Source tables get no grants: sources are operational systems outside
//! the targets. Stream and file ports have no relation, hence no grants.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::date::Date;
use crate::diagnostics::{Code, Diagnostic};
use crate::load::Loc;
use crate::load::syntax::{AllowEntry, Masking, Port, PortType, Visibility};
use crate::model::{InputTarget, Mesh, ProductId, port_columns, port_visibility, span_of};
use crate::source::{FileId, SourceDb};

// ------------------------------------------------------------------ names

/// Physical names from the Mesh's `naming` templates, rendered once.
#[derive(Debug, Default)]
pub struct Names {
    /// Schema per domain name.
    pub schema: BTreeMap<String, String>,
    /// Per product, per port: the relation.
    pub relation: Vec<Vec<String>>,
    /// Per product, per port: the masked relation.
    pub masked: Vec<Vec<String>>,
    /// Per product.
    pub product_role: Vec<String>,
    /// Per team.
    pub team_role: Vec<String>,
}

impl Names {
    /// Renders every name. A template that does not parse or render is an
    /// E401 diagnostic on the `naming` setting.
    pub fn new(mesh: &Mesh) -> Result<Names, Box<Diagnostic>> {
        let n = &mesh.naming;
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        let keys = [
            ("schema", &n.schema),
            ("relation", &n.relation),
            ("maskedRelation", &n.masked_relation),
            ("productRole", &n.product_role),
            ("teamRole", &n.team_role),
        ];
        for (key, text) in keys {
            env.add_template(key, text)
                .map_err(|e| Box::new(naming_error(mesh, key, &e)))?;
        }
        let render = |key: &str, ctx: minijinja::Value| -> Result<String, Box<Diagnostic>> {
            env.get_template(key)
                .and_then(|t| t.render(ctx))
                .map(|s| s.trim().to_string())
                .map_err(|e| Box::new(naming_error(mesh, key, &e)))
        };
        let mut names = Names::default();
        let mut domains: BTreeSet<&str> = mesh.domains.iter().map(|d| d.name.as_str()).collect();
        domains.extend(mesh.products.iter().map(|p| p.domain_name.as_str()));
        for d in domains {
            let s = render("schema", minijinja::context! { domain => d })?;
            names.schema.insert(d.to_string(), s);
        }
        for p in &mesh.products {
            let (domain, product) = (p.domain_name.as_str(), p.name.as_str());
            names.product_role.push(render(
                "productRole",
                minijinja::context! { domain, product },
            )?);
            let mut rel = Vec::with_capacity(p.spec.outputs.len());
            let mut masked = Vec::with_capacity(p.spec.outputs.len());
            for port in &p.spec.outputs {
                let port = port.name.as_str();
                rel.push(render(
                    "relation",
                    minijinja::context! { domain, product, port },
                )?);
                masked.push(render(
                    "maskedRelation",
                    minijinja::context! { domain, product, port },
                )?);
            }
            names.relation.push(rel);
            names.masked.push(masked);
        }
        for t in &mesh.teams {
            names.team_role.push(render(
                "teamRole",
                minijinja::context! { team => t.name.as_str() },
            )?);
        }
        names.validate(mesh)?;
        Ok(names)
    }

    /// Names the SQL can use: none empty, and no two relations of one
    /// schema or two roles alike — compared on their first 63 bytes when a
    /// target is PostgreSQL, which cuts longer names silently. G311 warns
    /// about such templates when it can evaluate them; the build refuses
    /// them, since one product would take over another's relation or role.
    fn validate(&self, mesh: &Mesh) -> Result<(), Box<Diagnostic>> {
        let postgres = mesh.root.as_ref().is_some_and(|r| {
            r.spec
                .targets
                .iter()
                .any(|t| t.engine.as_str() == "postgres")
        });
        let cut = |s: &str| -> String {
            if !postgres || s.len() <= 63 {
                return s.to_string();
            }
            let mut end = 63;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s[..end].to_string()
        };
        let fail = |key: &str, msg: String, at: Option<crate::source::Span>| {
            let mut d = Diagnostic::new(Code::E401, msg).with_help(format!(
                "change `naming.{key}` in the Mesh so that every name is distinct and not empty{}",
                if postgres {
                    " (PostgreSQL compares the first 63 bytes)"
                } else {
                    ""
                }
            ));
            if let Some(at) = at {
                d = d.with_primary(at, "");
            }
            if let Some(root) = &mesh.root {
                let setting = root.spec.naming.as_ref().and_then(|n| match key {
                    "schema" => n.schema.as_ref(),
                    "relation" => n.relation.as_ref(),
                    "maskedRelation" => n.masked_relation.as_ref(),
                    "productRole" => n.product_role.as_ref(),
                    _ => n.team_role.as_ref(),
                });
                if let Some(v) = setting {
                    d = d.with_related(span_of(root.file, v.loc), format!("`naming.{key}`"));
                }
            }
            Box::new(d)
        };
        for (domain, schema) in &self.schema {
            if schema.is_empty() {
                let at = mesh.domain_by_name.get(domain).map(|&d| {
                    span_of(
                        mesh.domains[d.idx()].file,
                        mesh.domains[d.idx()].metadata.name.loc,
                    )
                });
                return Err(fail(
                    "schema",
                    format!("the schema of domain `{domain}` would have an empty name"),
                    at,
                ));
            }
        }
        let mut relations: BTreeMap<(String, String), String> = BTreeMap::new();
        let mut roles: BTreeMap<String, String> = BTreeMap::new();
        for (i, p) in mesh.products.iter().enumerate() {
            let schema = self.schema_of(&p.domain_name);
            let role = &self.product_role[i];
            let what = format!("the role of product `{}`", p.fqn);
            if role.is_empty() {
                return Err(fail(
                    "productRole",
                    format!("{what} would have an empty name"),
                    Some(p.span()),
                ));
            }
            if let Some(first) = roles.insert(cut(role), what.clone()) {
                return Err(fail(
                    "productRole",
                    format!("{what} and {first} would both be `{role}`"),
                    Some(p.span()),
                ));
            }
            for (x, port) in p.spec.outputs.iter().enumerate() {
                if !is_relation(port) {
                    continue;
                }
                let at = Some(span_of(p.file, port.name.loc));
                let mut mine = vec![("relation", "the relation", &self.relation[i][x])];
                if has_masked(port) {
                    mine.push(("maskedRelation", "the masked relation", &self.masked[i][x]));
                }
                for (key, kind, name) in mine {
                    let what = format!("{kind} of port `{}.{}`", p.fqn, port.name.as_str());
                    if name.is_empty() {
                        return Err(fail(key, format!("{what} would have an empty name"), at));
                    }
                    if let Some(first) =
                        relations.insert((schema.to_string(), cut(name)), what.clone())
                    {
                        return Err(fail(
                            key,
                            format!("{what} and {first} would both be `{schema}.{name}`"),
                            at,
                        ));
                    }
                }
            }
        }
        for (i, t) in mesh.teams.iter().enumerate() {
            let role = &self.team_role[i];
            let what = format!("the role of team `{}`", t.name);
            let at = Some(span_of(t.file, t.metadata.name.loc));
            if role.is_empty() {
                return Err(fail(
                    "teamRole",
                    format!("{what} would have an empty name"),
                    at,
                ));
            }
            if let Some(first) = roles.insert(cut(role), what.clone()) {
                return Err(fail(
                    "teamRole",
                    format!("{what} and {first} would both be `{role}`"),
                    at,
                ));
            }
        }
        Ok(())
    }

    pub fn schema_of<'a>(&'a self, domain: &'a str) -> &'a str {
        self.schema
            .get(domain)
            .map(String::as_str)
            .unwrap_or(domain)
    }
}

/// E401 for a `naming` template.
fn naming_error(mesh: &Mesh, key: &str, e: &minijinja::Error) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code::E401,
        format!("the `naming.{key}` template does not render: {}", e.kind()),
    )
    .with_help(format!(
        "{}; naming templates are minijinja expressions over `domain`, `product`, `port` and `team`",
        e.detail().unwrap_or("see the template")
    ));
    if let Some(root) = &mesh.root {
        let loc = root
            .spec
            .naming
            .as_ref()
            .and_then(|n| {
                match key {
                    "schema" => n.schema.as_ref(),
                    "relation" => n.relation.as_ref(),
                    "maskedRelation" => n.masked_relation.as_ref(),
                    "productRole" => n.product_role.as_ref(),
                    _ => n.team_role.as_ref(),
                }
                .map(|v| v.loc)
            })
            .unwrap_or(root.metadata.name.loc);
        d = d.with_primary(span_of(root.file, loc), "");
    }
    d
}

// ------------------------------------------------------------------ grants

/// Whether a port becomes a relation (table or view with declared columns).
pub fn is_relation(port: &Port) -> bool {
    let kind = port
        .port_type
        .as_ref()
        .map(|t| t.value)
        .unwrap_or(PortType::Table);
    matches!(kind, PortType::Table | PortType::View) && port.columns.is_some()
}

/// Whether a port has columns whose `masking` is other than `none`, and so
/// a masked relation.
pub fn has_masked(port: &Port) -> bool {
    port_columns(port).iter().any(|c| is_masked(c))
}

/// Names of a port's masked columns.
pub fn masked_columns(port: &Port) -> BTreeSet<&str> {
    port_columns(port)
        .iter()
        .filter(|c| is_masked(c))
        .map(|c| c.name.as_str())
        .collect()
}

/// For engines that cannot grant SELECT on some columns only, the grant
/// goes to a whole relation. That relation must be the masked one unless
/// the grant is already whole-relation or covers every masked column of
/// the port (each then approved `unmasked`, or the grant would be on the
/// masked relation): otherwise the reader would see masked columns raw
/// that it neither declared nor was approved for.
pub fn whole_is_masked(g: &Grant, masked: &BTreeSet<&str>) -> bool {
    match g.object.kind {
        ObjectKind::MaskedRelation => true,
        ObjectKind::Schema => false,
        ObjectKind::Relation => match &g.columns {
            None => false,
            Some(cols) => masked.iter().any(|m| !cols.iter().any(|c| c == m)),
        },
    }
}

fn is_masked(c: &crate::load::syntax::Column) -> bool {
    c.masking.as_ref().is_some_and(|m| m.value != Masking::None)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    Product,
    Team,
}

/// A role meshc creates.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Role {
    pub name: String,
    pub kind: PrincipalKind,
    /// The product FQN or team name the role stands for.
    pub of: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Privilege {
    /// Ownership: every privilege, and the identity a view runs as.
    Owner,
    Select,
    Usage,
}

impl Privilege {
    pub fn as_str(self) -> &'static str {
        match self {
            Privilege::Owner => "OWNER",
            Privilege::Select => "SELECT",
            Privilege::Usage => "USAGE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ObjectKind {
    Schema,
    Relation,
    MaskedRelation,
}

/// What a grant is on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Object {
    pub kind: ObjectKind,
    pub schema: String,
    /// The relation (absent for a schema).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `domain.product.port` (absent for a schema).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
}

/// The declaration that causes a grant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cause {
    pub file: FileId,
    pub loc: Loc,
    /// In words, e.g. "input `sales.orders.orders` of `finance.revenue`".
    pub declaration: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    /// Index into [`Access::roles`].
    pub role: usize,
    pub privilege: Privilege,
    pub object: Object,
    /// The columns, sorted; `None` = the whole relation.
    pub columns: Option<Vec<String>>,
    /// The last day the grant holds (YYYY-MM-DD).
    pub expires: Option<String>,
    pub cause: Cause,
}

/// Every role and grant of a mesh, sorted by role, object, privilege.
#[derive(Debug, Default)]
pub struct Access {
    pub roles: Vec<Role>,
    pub grants: Vec<Grant>,
}

impl Access {
    pub fn role(&self, g: &Grant) -> &Role {
        &self.roles[g.role]
    }
}

/// Derives every grant of `mesh` as of `today`.
pub fn derive(mesh: &Mesh, names: &Names, today: Date) -> Access {
    let mut roles: Vec<Role> = Vec::with_capacity(mesh.products.len() + mesh.teams.len());
    for (i, p) in mesh.products.iter().enumerate() {
        roles.push(Role {
            name: names.product_role[i].clone(),
            kind: PrincipalKind::Product,
            of: p.fqn.clone(),
        });
    }
    let team_base = roles.len();
    for (i, t) in mesh.teams.iter().enumerate() {
        roles.push(Role {
            name: names.team_role[i].clone(),
            kind: PrincipalKind::Team,
            of: t.name.clone(),
        });
    }
    let mut grants = Vec::new();
    let relation = |pid: ProductId, port: usize, masked: bool| {
        let p = mesh.product(pid);
        Object {
            kind: if masked {
                ObjectKind::MaskedRelation
            } else {
                ObjectKind::Relation
            },
            schema: names.schema_of(&p.domain_name).to_string(),
            name: Some(if masked {
                names.masked[pid.idx()][port].clone()
            } else {
                names.relation[pid.idx()][port].clone()
            }),
            port: Some(format!("{}.{}", p.fqn, p.spec.outputs[port].name.as_str())),
        }
    };

    for pid in mesh.product_ids() {
        let p = mesh.product(pid);
        // Ownership, and the owning team's read access.
        for (x, port) in p.spec.outputs.iter().enumerate() {
            if !is_relation(port) {
                continue;
            }
            let cause = Cause {
                file: p.file,
                loc: port.name.loc.or(port.loc),
                declaration: format!("output port `{}` of `{}`", port.name.as_str(), p.fqn),
            };
            let mut objects = vec![relation(pid, x, false)];
            if has_masked(port) {
                objects.push(relation(pid, x, true));
            }
            for object in objects {
                grants.push(Grant {
                    role: pid.idx(),
                    privilege: Privilege::Owner,
                    object,
                    columns: None,
                    expires: None,
                    cause: cause.clone(),
                });
            }
            if let Some(team) = p.owner {
                let owner = p.metadata.owner.as_ref();
                grants.push(Grant {
                    role: team_base + team.idx(),
                    privilege: Privilege::Select,
                    object: relation(pid, x, false),
                    columns: None,
                    expires: None,
                    cause: Cause {
                        file: p.file,
                        loc: owner.map(|o| o.loc).unwrap_or(p.metadata.name.loc),
                        declaration: format!("team `{}` owns `{}`", mesh.team(team).name, p.fqn),
                    },
                });
            }
        }
        // Consumption declared by inputs.
        for input in &p.inputs {
            let InputTarget::Port {
                product: qid,
                port: x,
            } = input.target
            else {
                continue;
            };
            let q = mesh.product(qid);
            let port = &q.spec.outputs[x].value;
            if !is_relation(port) {
                continue;
            }
            let approvals: Vec<&AllowEntry> = allow_entries(q, x)
                .filter(|e| e.product.as_ref().is_some_and(|n| n.as_str() == p.fqn))
                .filter(|e| in_force(e, today))
                .collect();
            let visible = match port_visibility(port) {
                Visibility::Public => true,
                Visibility::Domain => p.domain_name == q.domain_name,
                Visibility::Restricted => !approvals.is_empty(),
            };
            if !visible {
                continue;
            }
            let mut wanted: Option<BTreeSet<usize>> =
                input.columns.as_ref().map(|c| c.iter().copied().collect());
            let mut expires: Option<String> = None;
            if port_visibility(port) == Visibility::Restricted {
                // The approval's columns bound what is granted.
                let approved = union_columns(port, approvals.iter().copied());
                if let Some(approved) = approved {
                    wanted = Some(match wanted {
                        Some(w) => w.intersection(&approved).copied().collect(),
                        None => approved,
                    });
                }
                expires = latest_expiry(approvals.iter().copied());
            }
            let unmasked = unmasked_until(approvals.iter().copied());
            let Some(g) = read_grant(
                port,
                wanted,
                &unmasked,
                |masked| relation(qid, x, masked),
                pid.idx(),
                expires,
                Cause {
                    file: p.file,
                    loc: p.spec.inputs[input.index].target_loc(),
                    declaration: format!("input `{}.{}` of `{}`", q.fqn, port.name.as_str(), p.fqn),
                },
            ) else {
                continue;
            };
            grants.push(g);
        }
        // Teams listed in access.allow.
        let Some(access) = &p.spec.access else {
            continue;
        };
        for entry in &access.allow {
            let Some(team_name) = &entry.team else {
                continue;
            };
            let Some(&team) = mesh.team_by_name.get(team_name.as_str()) else {
                continue;
            };
            if !in_force(entry, today) {
                continue;
            }
            for (x, port) in p.spec.outputs.iter().enumerate() {
                if !is_relation(port) || !covers(entry, port.name.as_str()) {
                    continue;
                }
                let wanted = union_columns(port, std::iter::once(&entry.value));
                let unmasked = unmasked_until(std::iter::once(&entry.value));
                let Some(g) = read_grant(
                    port,
                    wanted,
                    &unmasked,
                    |masked| relation(pid, x, masked),
                    team_base + team.idx(),
                    entry.expires.as_ref().map(|e| e.value.clone()),
                    Cause {
                        file: p.file,
                        loc: team_name.loc.or(entry.loc),
                        declaration: format!(
                            "`access.allow` of `{}` for team `{}`",
                            p.fqn,
                            team_name.as_str()
                        ),
                    },
                ) else {
                    continue;
                };
                grants.push(g);
            }
        }
    }

    // USAGE on a schema for every role that owns or reads in it, caused by
    // the first grant that needs it, for as long as any of them holds.
    grants.sort();
    let mut usage: BTreeMap<(usize, &str), (&Grant, Option<&str>)> = BTreeMap::new();
    for g in &grants {
        usage
            .entry((g.role, g.object.schema.as_str()))
            .and_modify(|(_, until)| {
                *until = match (*until, g.expires.as_deref()) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                }
            })
            .or_insert((g, g.expires.as_deref()));
    }
    let usage: Vec<Grant> = usage
        .into_iter()
        .map(|((role, schema), (g, until))| Grant {
            role,
            privilege: Privilege::Usage,
            object: Object {
                kind: ObjectKind::Schema,
                schema: schema.to_string(),
                name: None,
                port: None,
            },
            columns: None,
            expires: until.map(str::to_string),
            cause: g.cause.clone(),
        })
        .collect();
    grants.extend(usage);
    // Roles by name, and grants by role name, object, privilege.
    let mut order: Vec<usize> = (0..roles.len()).collect();
    order.sort_by(|&a, &b| roles[a].cmp(&roles[b]));
    let mut rank = vec![0; roles.len()];
    for (new, &old) in order.iter().enumerate() {
        rank[old] = new;
    }
    let roles: Vec<Role> = order.iter().map(|&i| roles[i].clone()).collect();
    for g in &mut grants {
        g.role = rank[g.role];
    }
    grants.sort();
    grants.dedup();
    Access { roles, grants }
}

/// The allow entries of `q` that cover its port `x`.
fn allow_entries(q: &crate::model::Product, x: usize) -> impl Iterator<Item = &AllowEntry> {
    let port = q.spec.outputs[x].name.as_str();
    q.spec
        .access
        .iter()
        .flat_map(|a| a.allow.iter())
        .map(|e| &e.value)
        .filter(move |e| covers(e, port))
}

fn covers(e: &AllowEntry, port: &str) -> bool {
    e.ports
        .as_ref()
        .is_none_or(|ps| ps.iter().any(|p| p.as_str() == port))
}

/// Whether an entry still grants on `today`. An `expires` that is not a
/// date grants nothing (fail closed; G310 reports it).
pub fn in_force(e: &AllowEntry, today: Date) -> bool {
    match &e.expires {
        None => true,
        Some(x) => Date::parse(x).is_some_and(|d| d >= today),
    }
}

/// The columns entries list, as indices of the port's columns; `None` when
/// one of them lists none (all columns).
fn union_columns<'a>(
    port: &Port,
    entries: impl Iterator<Item = &'a AllowEntry>,
) -> Option<BTreeSet<usize>> {
    let cols = port_columns(port);
    let mut out = BTreeSet::new();
    for e in entries {
        let listed = e.columns.as_ref()?;
        for name in listed {
            if let Some(i) = cols.iter().position(|c| c.name.as_str() == name.as_str()) {
                out.insert(i);
            }
        }
    }
    Some(out)
}

/// The latest `expires` of entries, `None` when one of them never expires.
fn latest_expiry<'a>(entries: impl Iterator<Item = &'a AllowEntry>) -> Option<String> {
    let mut latest: Option<&str> = None;
    for e in entries {
        let x = e.expires.as_ref()?;
        if latest.is_none_or(|l| x.as_str() > l) {
            latest = Some(x.as_str());
        }
    }
    latest.map(str::to_string)
}

/// Masked columns approved for raw reading by `entries`, each with the last
/// day an approval of it holds (`None`: one never expires).
fn unmasked_until<'a>(
    entries: impl Iterator<Item = &'a AllowEntry>,
) -> BTreeMap<&'a str, Option<&'a str>> {
    let mut out: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    for e in entries {
        let until = e.expires.as_ref().map(|x| x.as_str());
        for c in &e.unmasked {
            out.entry(c.as_str())
                .and_modify(|u| {
                    *u = match (*u, until) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        _ => None,
                    }
                })
                .or_insert(until);
        }
    }
    out
}

/// SELECT on `wanted` columns of a port (`None` = all): on the base
/// relation when every masked column read is in `unmasked`, else on the
/// masked relation. `None` when no column is left to read. A read of raw
/// masked columns lasts only as long as their approvals.
fn read_grant(
    port: &Port,
    wanted: Option<BTreeSet<usize>>,
    unmasked: &BTreeMap<&str, Option<&str>>,
    relation: impl Fn(bool) -> Object,
    role: usize,
    expires: Option<String>,
    cause: Cause,
) -> Option<Grant> {
    let cols = port_columns(port);
    let read: Vec<usize> = match &wanted {
        Some(w) => w.iter().copied().filter(|&i| i < cols.len()).collect(),
        None => (0..cols.len()).collect(),
    };
    if read.is_empty() {
        return None;
    }
    let masked = read
        .iter()
        .any(|&i| is_masked(&cols[i]) && !unmasked.contains_key(cols[i].name.as_str()));
    let mut expires = expires;
    if !masked {
        for &i in &read {
            if !is_masked(&cols[i]) {
                continue;
            }
            if let Some(Some(until)) = unmasked.get(cols[i].name.as_str())
                && expires.as_deref().is_none_or(|e| *until < e)
            {
                expires = Some(until.to_string());
            }
        }
    }
    let mut columns = wanted.map(|_| {
        read.iter()
            .map(|&i| cols[i].name.value.clone())
            .collect::<Vec<_>>()
    });
    if let Some(c) = &mut columns {
        c.sort();
    }
    Some(Grant {
        role,
        privilege: Privilege::Select,
        object: relation(masked),
        columns,
        expires,
        cause,
    })
}

// ------------------------------------------------------------------ output

/// `grants/grants.json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantsFile<'a> {
    pub grants_version: u32,
    pub roles: &'a [Role],
    pub grants: Vec<GrantView<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantView<'a> {
    pub principal: &'a str,
    pub principal_kind: PrincipalKind,
    pub principal_of: &'a str,
    pub privilege: Privilege,
    pub object: &'a Object,
    pub columns: Option<&'a [String]>,
    pub expires: Option<&'a str>,
    pub cause: CauseView<'a>,
}

#[derive(Serialize)]
pub struct CauseView<'a> {
    pub file: &'a str,
    pub line: u32,
    pub declaration: &'a str,
}

impl Access {
    pub fn view<'a>(&'a self, g: &'a Grant, db: &'a SourceDb) -> GrantView<'a> {
        let role = self.role(g);
        GrantView {
            principal: &role.name,
            principal_kind: role.kind,
            principal_of: &role.of,
            privilege: g.privilege,
            object: &g.object,
            columns: g.columns.as_deref(),
            expires: g.expires.as_deref(),
            cause: CauseView {
                file: db.path(g.cause.file),
                line: g.cause.loc.line,
                declaration: &g.cause.declaration,
            },
        }
    }

    pub fn file<'a>(&'a self, db: &'a SourceDb) -> GrantsFile<'a> {
        GrantsFile {
            grants_version: 1,
            roles: &self.roles,
            grants: self.grants.iter().map(|g| self.view(g, db)).collect(),
        }
    }
}
