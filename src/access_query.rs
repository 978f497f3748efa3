//! `meshc access`: questions about the grants of [`crate::access`].
//!
//! `who-can-read FQN` lists the grants that let a role read a product's
//! ports, one port, or one column; `what-can-read PRINCIPAL` lists what one
//! role may read. Both answer from the very [`Access`] that
//! `grants/grants.json` and every `grants.sql` are written from, so the
//! answer is what a build grants, with the declaration (file and line)
//! that causes each grant.

use std::fmt::Write as _;

use crate::access::{Access, Grant, Names, ObjectKind, Privilege, has_masked, is_relation};
use crate::load::syntax::{Masking, PortType};
use crate::model::{Mesh, ProductId, port_columns, port_visibility};
use crate::source::SourceDb;

/// The output format of `meshc access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryFormat {
    /// One line per grant, with its reason.
    Text,
    /// A JSON array of grants, with the fields of `grants/grants.json`.
    Json,
}

/// The questions `meshc access` answers.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum AccessQuery {
    /// Who may read a product's ports, a port or a column, and why.
    #[command(name = "who-can-read")]
    WhoCanRead {
        /// `domain.product`, `domain.product.port` or
        /// `domain.product.port.column`.
        fqn: String,
    },
    /// What a role, product or team may read, and why.
    #[command(name = "what-can-read")]
    WhatCanRead {
        /// A role name (`dp_finance_revenue`), a product FQN
        /// (`finance.revenue`) or a team name (`finance_analysts`).
        principal: String,
    },
}

/// What the command prints: the answer for standard output, and a note for
/// standard error (JSON output carries no prose).
#[derive(Debug, Default)]
pub struct Answer {
    pub stdout: String,
    pub note: Option<String>,
}

/// Answers `query`; `Err` is a usage error (a name that names nothing),
/// with a suggestion when one is close.
pub fn answer(
    mesh: &Mesh,
    names: &Names,
    access: &Access,
    db: &SourceDb,
    query: &AccessQuery,
    format: QueryFormat,
) -> Result<Answer, String> {
    match query {
        AccessQuery::WhoCanRead { fqn } => {
            let subject = find_subject(mesh, fqn)?;
            let ports = who_can_read(mesh, access, subject);
            Ok(match format {
                QueryFormat::Json => {
                    let grants: Vec<&Grant> = ports
                        .iter()
                        .flat_map(|p| p.grants.iter().copied())
                        .collect();
                    let notes: Vec<String> = ports
                        .iter()
                        .filter_map(|p| p.no_relation.map(|why| format!("{}: {why}", p.fqn)))
                        .chain(
                            matches!(subject, Subject::SourceTable(_))
                                .then(|| format!("{fqn}: {}", SOURCE_TABLE_NOTE)),
                        )
                        .collect();
                    Answer {
                        stdout: json(access, db, &grants),
                        note: (!notes.is_empty()).then(|| notes.join("\n")),
                    }
                }
                QueryFormat::Text => Answer {
                    stdout: who_text(mesh, names, access, db, fqn, subject, &ports),
                    note: None,
                },
            })
        }
        AccessQuery::WhatCanRead { principal } => {
            let role = find_principal(access, principal)?;
            let (reads, usage) = what_can_read(access, role);
            Ok(Answer {
                stdout: match format {
                    QueryFormat::Json => {
                        let all: Vec<&Grant> = reads.iter().chain(&usage).copied().collect();
                        json(access, db, &all)
                    }
                    QueryFormat::Text => what_text(access, db, role, &reads, &usage),
                },
                note: None,
            })
        }
    }
}

// ------------------------------------------------------------------ lookup

/// What `who-can-read` was asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Product(ProductId),
    Port {
        product: ProductId,
        port: usize,
    },
    Column {
        product: ProductId,
        port: usize,
        column: usize,
    },
    /// A source table (or one of its columns): sources get no grants.
    SourceTable(crate::model::SourceId),
}

const SOURCE_TABLE_NOTE: &str = "a source table: sources are operational systems outside the targets, and meshc grants nothing on them";

const NO_RELATION_STREAM: &str = "meshc emits no relation and no grants for stream and file ports";
const NO_RELATION_CONTRACT: &str = "its contract file (`contract:`) could not be used (see M008), and meshc emits no relation and no grants for a port without `columns`";
const NO_RELATION_COLUMNS: &str =
    "it declares no `columns`, and meshc emits no relation and no grants for it";

/// Resolves a `who-can-read` FQN.
pub fn find_subject(mesh: &Mesh, fqn: &str) -> Result<Subject, String> {
    if let Some(&p) = mesh.product_by_fqn.get(fqn) {
        return Ok(Subject::Product(p));
    }
    if let Some((owner, last)) = fqn.rsplit_once('.') {
        if let Some(&p) = mesh.product_by_fqn.get(owner)
            && let Some((port, _)) = mesh.product(p).port(last)
        {
            return Ok(Subject::Port { product: p, port });
        }
        if let Some((product, port)) = owner.rsplit_once('.')
            && let Some(&p) = mesh.product_by_fqn.get(product)
            && let Some((x, port)) = mesh.product(p).port(port)
            && let Some(column) = port_columns(port)
                .iter()
                .position(|c| c.name.as_str() == last)
        {
            return Ok(Subject::Column {
                product: p,
                port: x,
                column,
            });
        }
        // A source table `domain.source.table`, or one of its columns.
        for (source, table) in [Some((owner, last)), owner.rsplit_once('.')]
            .into_iter()
            .flatten()
        {
            if let Some(&s) = mesh.source_by_fqn.get(source)
                && let Some(table_name) = table.split('.').next()
                && mesh
                    .source(s)
                    .spec
                    .tables
                    .iter()
                    .any(|t| t.name.as_str() == table_name)
            {
                return Ok(Subject::SourceTable(s));
            }
        }
    }
    let candidates = fqn_candidates(mesh, fqn);
    let hint = crate::diagnostics::suggest(fqn, candidates.iter().map(String::as_str))
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    Err(format!(
        "`{fqn}` names no product, port or column{hint}; who-can-read takes domain.product, domain.product.port or domain.product.port.column"
    ))
}

/// Names close to what `fqn` may have meant, at its depth.
fn fqn_candidates(mesh: &Mesh, fqn: &str) -> Vec<String> {
    let depth = fqn.split('.').count();
    let mut out: Vec<String> = Vec::new();
    let ports = |out: &mut Vec<String>, p: ProductId| {
        let p = mesh.product(p);
        for port in &p.spec.outputs {
            out.push(format!("{}.{}", p.fqn, port.name.as_str()));
        }
    };
    let columns = |out: &mut Vec<String>, p: ProductId| {
        let p = mesh.product(p);
        for port in &p.spec.outputs {
            for c in port_columns(port) {
                out.push(format!(
                    "{}.{}.{}",
                    p.fqn,
                    port.name.as_str(),
                    c.name.as_str()
                ));
            }
        }
    };
    match depth {
        0..=2 => out.extend(mesh.product_by_fqn.keys().cloned()),
        3 => {
            for p in mesh.product_ids() {
                ports(&mut out, p);
            }
        }
        _ => {
            // Columns of the product named, when it is; else of every product.
            let product = fqn.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
            match mesh.product_by_fqn.get(&product) {
                Some(&p) => columns(&mut out, p),
                None => {
                    for p in mesh.product_ids() {
                        columns(&mut out, p);
                    }
                }
            }
        }
    }
    out
}

/// Resolves a `what-can-read` principal to a role index: a role name
/// first, then a product FQN or a team name.
pub fn find_principal(access: &Access, principal: &str) -> Result<usize, String> {
    if let Some(i) = access.roles.iter().position(|r| r.name == principal) {
        return Ok(i);
    }
    if let Some(i) = access.roles.iter().position(|r| r.of == principal) {
        return Ok(i);
    }
    let candidates = access
        .roles
        .iter()
        .flat_map(|r| [r.name.as_str(), r.of.as_str()]);
    let hint = crate::diagnostics::suggest(principal, candidates)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    Err(format!(
        "`{principal}` names no role, product or team{hint}"
    ))
}

// ------------------------------------------------------------------ answers

/// The grants that let a role read one port.
#[derive(Debug)]
pub struct PortAnswer<'a> {
    pub product: ProductId,
    pub port: usize,
    /// `domain.product.port`.
    pub fqn: String,
    /// SELECT and OWNER grants on the port's relation and masked relation
    /// (for a column: those that cover it), sorted.
    pub grants: Vec<&'a Grant>,
    /// Why the port has no relation, when it has none.
    pub no_relation: Option<&'static str>,
}

/// The grants that let a role read `subject`, per port.
pub fn who_can_read<'a>(mesh: &Mesh, access: &'a Access, subject: Subject) -> Vec<PortAnswer<'a>> {
    let (product, ports, column): (ProductId, Vec<usize>, Option<usize>) = match subject {
        Subject::SourceTable(_) => return Vec::new(),
        Subject::Product(p) => (p, (0..mesh.product(p).spec.outputs.len()).collect(), None),
        Subject::Port { product, port } => (product, vec![port], None),
        Subject::Column {
            product,
            port,
            column,
        } => (product, vec![port], Some(column)),
    };
    let p = mesh.product(product);
    ports
        .into_iter()
        .map(|x| {
            let port = &p.spec.outputs[x];
            let fqn = format!("{}.{}", p.fqn, port.name.as_str());
            let no_relation = (!is_relation(port)).then(|| no_relation(port));
            let column = column.map(|c| port_columns(port)[c].name.as_str());
            let mut grants: Vec<&Grant> = access
                .grants
                .iter()
                .filter(|g| matches!(g.privilege, Privilege::Owner | Privilege::Select))
                .filter(|g| g.object.port.as_deref() == Some(fqn.as_str()))
                .filter(|g| {
                    column.is_none_or(|c| {
                        g.columns
                            .as_ref()
                            .is_none_or(|cs| cs.iter().any(|x| x == c))
                    })
                })
                .collect();
            grants.sort_by(|a, b| {
                let (ra, rb) = (access.role(a), access.role(b));
                (a.privilege, ra.kind, &ra.name, &a.object, &a.cause).cmp(&(
                    b.privilege,
                    rb.kind,
                    &rb.name,
                    &b.object,
                    &b.cause,
                ))
            });
            PortAnswer {
                product,
                port: x,
                fqn,
                grants,
                no_relation,
            }
        })
        .collect()
}

fn no_relation(port: &crate::load::syntax::Port) -> &'static str {
    let kind = port.port_type.as_ref().map(|t| t.value);
    match kind {
        Some(PortType::Stream | PortType::File) => NO_RELATION_STREAM,
        _ if port.contract.is_some() => NO_RELATION_CONTRACT,
        _ => NO_RELATION_COLUMNS,
    }
}

/// What role `role` may read and own (SELECT and OWNER grants, by port),
/// and its USAGE grants on schemas.
pub fn what_can_read(access: &Access, role: usize) -> (Vec<&Grant>, Vec<&Grant>) {
    let (mut reads, mut usage): (Vec<&Grant>, Vec<&Grant>) = access
        .grants
        .iter()
        .filter(|g| g.role == role)
        .partition(|g| g.privilege != Privilege::Usage);
    reads.sort_by(|a, b| {
        (
            &a.object.port,
            a.object.kind,
            a.privilege,
            &a.object,
            &a.cause,
        )
            .cmp(&(
                &b.object.port,
                b.object.kind,
                b.privilege,
                &b.object,
                &b.cause,
            ))
    });
    usage.sort_by(|a, b| (&a.object, &a.cause).cmp(&(&b.object, &b.cause)));
    (reads, usage)
}

// ------------------------------------------------------------------ rendering

/// A JSON array of grant views, as in `grants/grants.json`.
pub fn json(access: &Access, db: &SourceDb, grants: &[&Grant]) -> String {
    let views: Vec<_> = grants.iter().map(|g| access.view(g, db)).collect();
    let mut s = serde_json::to_string_pretty(&views).unwrap_or_default();
    s.push('\n');
    s
}

/// The object of a grant: `schema.relation` (or the schema), marked when
/// it is a masked relation; for a column read there, how it arrives.
fn object_name(g: &Grant, column: Option<(&str, Masking)>) -> String {
    let mut s = match &g.object.name {
        Some(n) => format!("{}.{n}", g.object.schema),
        None => g.object.schema.clone(),
    };
    if g.object.kind == ObjectKind::MaskedRelation {
        match column {
            Some((c, m)) if m != Masking::None => {
                let _ = write!(s, " (masked: sees {c} {})", masking_words(m));
            }
            _ => s.push_str(" (masked)"),
        }
    }
    s
}

fn masking_words(m: Masking) -> &'static str {
    match m {
        Masking::Hash => "hashed",
        Masking::Redact => "redacted",
        Masking::Nullify => "as NULL",
        Masking::None => "unmasked",
    }
}

/// What follows the object on a grant line: columns, expiry, and the
/// reason.
fn details(db: &SourceDb, g: &Grant) -> String {
    let mut s = String::new();
    if let Some(cols) = &g.columns {
        let _ = write!(s, "  columns: {}", cols.join(", "));
    }
    if let Some(x) = &g.expires {
        let _ = write!(s, "  until {x}");
    }
    let _ = write!(
        s,
        "  because {} ({}:{})",
        g.cause.declaration,
        db.path(g.cause.file),
        g.cause.loc.line
    );
    s
}

fn who_text(
    mesh: &Mesh,
    names: &Names,
    access: &Access,
    db: &SourceDb,
    fqn: &str,
    subject: Subject,
    ports: &[PortAnswer<'_>],
) -> String {
    let mut out = String::new();
    if let Subject::SourceTable(_) = subject {
        let _ = writeln!(out, "{fqn} is {SOURCE_TABLE_NOTE}");
        return out;
    }
    if let Subject::Product(p) = subject
        && ports.is_empty()
    {
        let _ = writeln!(
            out,
            "{} has no output ports: nobody can read it",
            mesh.product(p).fqn
        );
        return out;
    }
    let principal = |g: &Grant| {
        let r = access.role(g);
        let kind = match r.kind {
            crate::access::PrincipalKind::Product => "product",
            crate::access::PrincipalKind::Team => "team",
        };
        format!("{kind} {}", r.of)
    };
    // The column asked about, and its masking.
    let col: Option<(&str, Masking)> = match subject {
        Subject::Column {
            product,
            port,
            column,
        } => {
            let c = &port_columns(&mesh.product(product).spec.outputs[port])[column];
            let m = c.masking.as_ref().map(|m| m.value);
            Some((c.name.as_str(), m.unwrap_or(Masking::None)))
        }
        _ => None,
    };
    let all = ports.iter().flat_map(|p| p.grants.iter());
    let w_role = width(all.clone().map(|g| access.role(g).name.clone()));
    let w_of = width(all.clone().map(|g| principal(g)));
    let w_obj = width(all.map(|g| object_name(g, col)));
    for (i, pa) in ports.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let p = mesh.product(pa.product);
        let port = &p.spec.outputs[pa.port];
        let kind = port
            .port_type
            .as_ref()
            .map(|t| t.value)
            .unwrap_or(PortType::Table)
            .as_str();
        let vis = port_visibility(port).as_str();
        if let Some(why) = pa.no_relation {
            let what = match col {
                Some((c, _)) => format!("{}.{c}", pa.fqn),
                None => pa.fqn.clone(),
            };
            let _ = writeln!(out, "{what} ({vis} {kind} port): {why}");
            continue;
        }
        let schema = names.schema_of(&p.domain_name);
        let relation = format!("{schema}.{}", names.relation[pa.product.idx()][pa.port]);
        let masked = has_masked(port)
            .then(|| format!("{schema}.{}", names.masked[pa.product.idx()][pa.port]));
        match col {
            None => {
                let _ = write!(out, "{} ({vis} {kind} port): relation {relation}", pa.fqn);
                if let Some(m) = &masked {
                    let _ = write!(out, ", masked relation {m}");
                }
            }
            Some((c, masking)) => {
                let _ = write!(
                    out,
                    "{}.{c} (column of the {vis} {kind} port {}): in relation {relation}",
                    pa.fqn, pa.fqn
                );
                if let Some(m) = &masked {
                    if masking == Masking::None {
                        let _ = write!(out, ", unmasked in masked relation {m}");
                    } else {
                        let _ = write!(
                            out,
                            ", masked ({}) in masked relation {m}",
                            masking.as_str()
                        );
                    }
                }
            }
        }
        out.push('\n');
        if pa.grants.is_empty() {
            out.push_str("  nobody can read it\n");
        }
        for g in &pa.grants {
            let role = &access.role(g).name;
            let line = format!(
                "  {role:<w_role$}  {:<w_of$}  {:<6}  {:<w_obj$}{}",
                principal(g),
                g.privilege.as_str(),
                object_name(g, col),
                details(db, g),
            );
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

fn what_text(
    access: &Access,
    db: &SourceDb,
    role: usize,
    reads: &[&Grant],
    usage: &[&Grant],
) -> String {
    let mut out = String::new();
    let r = &access.roles[role];
    let kind = match r.kind {
        crate::access::PrincipalKind::Product => "product",
        crate::access::PrincipalKind::Team => "team",
    };
    if reads.is_empty() {
        let _ = writeln!(out, "{} ({kind} {}) can read nothing", r.name, r.of);
        return out;
    }
    let _ = writeln!(out, "{} ({kind} {}) can read:", r.name, r.of);
    let w_port = width(
        reads
            .iter()
            .map(|g| g.object.port.clone().unwrap_or_default()),
    );
    let w_obj = width(reads.iter().map(|g| object_name(g, None)));
    for g in reads {
        let line = format!(
            "  {:<6}  {:<w_port$}  {:<w_obj$}{}",
            g.privilege.as_str(),
            g.object.port.as_deref().unwrap_or(""),
            object_name(g, None),
            details(db, g),
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if !usage.is_empty() {
        out.push_str("and has USAGE on the schemas they are in:\n");
        let w = width(usage.iter().map(|g| g.object.schema.clone()));
        for g in usage {
            let line = format!("  USAGE   {:<w$}{}", g.object.schema, details(db, g));
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

/// The widest of `cells`, in characters (what `{:<w$}` pads to).
fn width(cells: impl Iterator<Item = String>) -> usize {
    cells.map(|c| c.chars().count()).max().unwrap_or(0)
}
