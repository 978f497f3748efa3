//! The semantic change and the B5xx findings: both models walked by FQN
//! (products by FQN, ports and columns by name, inputs by what they read,
//! access entries by principal, quality checks by type and columns), one
//! pass over each side, maps for lookups — linear in the size of the mesh.

use std::collections::{BTreeMap, HashMap};

use semver::{Version, VersionReq};

use super::impact::{Consumers, Use};
use super::{Change, ChangeKind, Finding, NodeKind, ProductCounts, is_breaking};
use crate::Checked;
use crate::access::in_force;
use crate::diagnostics::{Code, Severity};
use crate::load::Loc;
use crate::load::Sp;
use crate::load::syntax::{
    AllowEntry, Column, Input, Masking, Port, PortType, Quality, QualityType, Sla, Status,
    Visibility,
};
use crate::model::{ColumnRef, Product, ProductId, port_columns, port_visibility, span_of};
use crate::odcs::model::{percent, seconds};
use crate::source::Span;
use crate::types::{LogicalType, holds_all};

/// A field compared: name, value before and after, places before and after.
type Field = (
    &'static str,
    Option<String>,
    Option<String>,
    Option<Loc>,
    Option<Loc>,
);
/// A field and whether its values are short enough to show.
type FlaggedField = (
    &'static str,
    Option<String>,
    Option<String>,
    Option<Loc>,
    Option<Loc>,
    bool,
);

/// One side of the comparison.
pub(super) struct Side<'a> {
    pub c: &'a Checked,
    pub uses: Consumers<'a>,
}

impl<'a> Side<'a> {
    fn new(c: &'a Checked) -> Self {
        Side {
            c,
            uses: Consumers::build(&c.mesh),
        }
    }

    fn product(&self, id: ProductId) -> &'a Product {
        self.c.mesh.product(id)
    }

    /// The effective (propagated) classification of a column, by name.
    fn class_of(&self, pid: ProductId, port: usize, column: usize) -> Option<&'a str> {
        let mesh = &self.c.mesh;
        let r = self.c.classes.effective(ColumnRef::Port {
            product: pid,
            port,
            column,
        });
        let declared = port_columns(&mesh.product(pid).spec.outputs[port])
            .get(column)
            .and_then(|c| c.classification.as_ref())
            .and_then(|n| mesh.classifications.iter().position(|x| x == n.as_str()));
        r.max(declared)
            .and_then(|i| mesh.classifications.get(i))
            .map(String::as_str)
    }
}

pub(super) fn compare(
    base: &Checked,
    head: &Checked,
) -> (Vec<Change>, Vec<Finding>, ProductCounts) {
    let mut cx = Cx {
        base: Side::new(base),
        head: Side::new(head),
        changes: Vec::new(),
        findings: Vec::new(),
        counts: ProductCounts::default(),
    };
    // Both maps are sorted by FQN: merge them.
    let mut b = base.mesh.product_by_fqn.iter().peekable();
    let mut h = head.mesh.product_by_fqn.iter().peekable();
    loop {
        match (b.peek(), h.peek()) {
            (Some((bf, bid)), Some((hf, hid))) => match bf.cmp(hf) {
                std::cmp::Ordering::Equal => {
                    cx.product(**bid, **hid);
                    b.next();
                    h.next();
                }
                std::cmp::Ordering::Less => {
                    cx.product_removed(**bid);
                    b.next();
                }
                std::cmp::Ordering::Greater => {
                    cx.product_added(**hid);
                    h.next();
                }
            },
            (Some((_, bid)), None) => {
                cx.product_removed(**bid);
                b.next();
            }
            (None, Some((_, hid))) => {
                cx.product_added(**hid);
                h.next();
            }
            (None, None) => break,
        }
    }
    (cx.changes, cx.findings, cx.counts)
}

struct Cx<'a> {
    base: Side<'a>,
    head: Side<'a>,
    changes: Vec<Change>,
    findings: Vec<Finding>,
    counts: ProductCounts,
}

/// What one product's comparison found, for the version policy.
#[derive(Default)]
struct ProductDelta {
    /// A compatible schema change (needs a minor bump).
    schema: bool,
    /// The product's files differ: compare everything. When they are
    /// byte for byte the same, only what depends on other products can
    /// change (inherited classifications, B508; a consumer cut off by its
    /// own move, B507).
    full: bool,
}

fn sp_span(file: crate::source::FileId, loc: Loc, fallback: Loc) -> Span {
    span_of(file, loc.or(fallback))
}

fn masked(c: &Column) -> bool {
    c.masking.as_ref().is_some_and(|m| m.value != Masking::None)
}

fn nullable(c: &Column) -> bool {
    c.nullable.as_ref().is_none_or(|n| n.value)
}

fn port_type(p: &Port) -> PortType {
    p.port_type
        .as_ref()
        .map(|t| t.value)
        .unwrap_or(PortType::Table)
}

fn opt_str(v: &Option<Sp<String>>) -> Option<&str> {
    v.as_ref().map(|s| s.as_str())
}

/// An optional text field compared: its values and places before and after.
fn text(name: &'static str, b: &Option<Sp<String>>, h: &Option<Sp<String>>) -> Field {
    (
        name,
        opt_str(b).map(str::to_string),
        opt_str(h).map(str::to_string),
        b.as_ref().map(|v| v.loc),
        h.as_ref().map(|v| v.loc),
    )
}

/// [`text`], and whether its values are short enough to show.
fn flagged((name, o, n, ol, nl): Field, short: bool) -> FlaggedField {
    (name, o, n, ol, nl, short)
}

fn list(v: &[Sp<String>]) -> String {
    format!(
        "[{}]",
        v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    )
}

fn opt_list(v: &Option<Vec<Sp<String>>>) -> Option<String> {
    v.as_deref().map(list)
}

fn vis_rank(v: Visibility) -> u8 {
    match v {
        Visibility::Public => 0,
        Visibility::Domain => 1,
        Visibility::Restricted => 2,
    }
}

/// A version requirement-free reading of `spec.version`.
fn version(p: &Product) -> Option<Version> {
    p.spec
        .version
        .as_ref()
        .and_then(|v| Version::parse(v.trim()).ok())
}

/// `new` is outside `^old`: a major bump (a minor one below 1.0).
fn major_bump(old: &Version, new: &Version) -> bool {
    new > old
        && VersionReq::parse(&format!("^{old}"))
            .map(|r| !r.matches(new))
            .unwrap_or(false)
}

fn next_major(v: &Version) -> Version {
    if v.major > 0 {
        Version::new(v.major + 1, 0, 0)
    } else if v.minor > 0 {
        Version::new(0, v.minor + 1, 0)
    } else {
        Version::new(0, 0, v.patch + 1)
    }
}

/// Whether the consumer may read the port on this side.
fn allowed(side: &Side, producer: &Product, port: &Port, consumer: &Product) -> bool {
    match port_visibility(port) {
        Visibility::Public => true,
        Visibility::Domain => producer.domain_name == consumer.domain_name,
        Visibility::Restricted => approvals(side, producer, port, consumer).next().is_some(),
    }
}

/// The producer's in-force `access.allow` entries that approve `consumer`
/// on `port`.
fn approvals<'s>(
    side: &'s Side,
    producer: &'s Product,
    port: &'s Port,
    consumer: &'s Product,
) -> impl Iterator<Item = &'s AllowEntry> + 's {
    let today = side.c.as_of;
    producer
        .spec
        .access
        .iter()
        .flat_map(|a| a.allow.iter())
        .map(|e| &e.value)
        .filter(move |e| {
            e.product
                .as_ref()
                .is_some_and(|n| n.as_str() == consumer.fqn)
                && e.ports
                    .as_ref()
                    .is_none_or(|ps| ps.iter().any(|p| p.as_str() == port.name.as_str()))
                && in_force(e, today)
        })
}

fn unmasked_for(
    side: &Side,
    producer: &Product,
    port: &Port,
    consumer: &Product,
    col: &str,
) -> bool {
    approvals(side, producer, port, consumer).any(|e| e.unmasked.iter().any(|u| u.as_str() == col))
}

/// The key of an input: what it reads.
fn input_key(i: &Input) -> String {
    match (&i.product, &i.source) {
        (Some(p), _) => match &i.port {
            Some(port) => format!("{}.{}", p.as_str(), port.as_str()),
            None => p.as_str().to_string(),
        },
        (None, Some(s)) => s.as_str().to_string(),
        (None, None) => "?".into(),
    }
}

fn principal(e: &AllowEntry) -> String {
    match (&e.team, &e.product) {
        (Some(t), _) => format!("team {}", t.as_str()),
        (None, Some(p)) => format!("product {}", p.as_str()),
        (None, None) => "?".into(),
    }
}

fn quality_key(q: &Quality) -> String {
    let mut cols: Vec<&str> = q.column.iter().map(|c| c.as_str()).collect();
    cols.extend(q.columns.iter().map(|c| c.as_str()));
    if cols.is_empty() {
        q.check.as_str().to_string()
    } else {
        format!("{}({})", q.check.as_str(), cols.join(", "))
    }
}

/// Keys made unique by their occurrence: the second entry with one key
/// is `key #2`.
fn keyed<T>(items: &[Sp<T>], key: impl Fn(&T) -> String) -> BTreeMap<String, &Sp<T>> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = BTreeMap::new();
    for it in items {
        let k = key(&it.value);
        let n = seen.entry(k.clone()).or_insert(0);
        *n += 1;
        let k = if *n == 1 { k } else { format!("{k} #{n}") };
        out.insert(k, it);
    }
    out
}

/// A type as text, canonical when it parses.
fn canonical(t: &str) -> (Option<LogicalType>, String) {
    match LogicalType::parse(t) {
        Ok(lt) => {
            let s = lt.to_string();
            (Some(lt), s)
        }
        Err(_) => (None, t.trim().to_string()),
    }
}

/// How a consumer reads a column, when it does.
fn reads_column(u: &Use, col: &str) -> Option<String> {
    match &u.columns {
        None => Some("reads every column".to_string()),
        Some(cs) if cs.iter().any(|c| c.as_str() == col) => Some(format!("reads column `{col}`")),
        Some(_) => None,
    }
}

impl<'a> Cx<'a> {
    #[allow(clippy::too_many_arguments)]
    fn change(
        &mut self,
        kind: ChangeKind,
        node: NodeKind,
        fqn: String,
        field: Option<&'static str>,
        old: Option<String>,
        new: Option<String>,
        old_span: Option<Span>,
        new_span: Option<Span>,
    ) {
        self.changes.push(Change {
            kind,
            node,
            fqn,
            field,
            old,
            new,
            old_span,
            new_span,
        });
    }

    /// A field that changed, with both values and places.
    #[allow(clippy::too_many_arguments)]
    fn changed(
        &mut self,
        node: NodeKind,
        fqn: &str,
        field: &'static str,
        old: String,
        new: String,
        old_span: Span,
        new_span: Span,
    ) {
        self.change(
            ChangeKind::Changed,
            node,
            fqn.to_string(),
            Some(field),
            Some(old),
            Some(new),
            Some(old_span),
            Some(new_span),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn finding(
        &mut self,
        code: Code,
        product: &str,
        subject: String,
        message: String,
        old: Option<Span>,
        new: Option<Span>,
        impact: Vec<super::Impact>,
    ) {
        self.findings.push(Finding {
            code,
            severity: code.default_severity(),
            approved: false,
            product: product.to_string(),
            subject,
            message,
            help: None,
            old,
            new,
            impact,
        });
    }

    fn product_added(&mut self, hid: ProductId) {
        let p = self.head.product(hid);
        self.counts.added += 1;
        self.change(
            ChangeKind::Added,
            NodeKind::Product,
            p.fqn.clone(),
            None,
            None,
            opt_str(&p.spec.version).map(str::to_string),
            None,
            Some(p.span()),
        );
    }

    fn product_removed(&mut self, bid: ProductId) {
        let p = self.base.product(bid);
        self.counts.removed += 1;
        self.change(
            ChangeKind::Removed,
            NodeKind::Product,
            p.fqn.clone(),
            None,
            opt_str(&p.spec.version).map(str::to_string),
            None,
            Some(p.span()),
            None,
        );
        let direct = self.head.uses.of_product(&p.fqn);
        if !direct.is_empty() {
            let impact = self.head.uses.impact(&self.head.c.mesh, direct);
            self.finding(
                Code::B501,
                &p.fqn,
                p.fqn.clone(),
                format!(
                    "product `{}` was removed, and {} it",
                    p.fqn,
                    readers(&impact, "still read")
                ),
                Some(p.span()),
                None,
                impact,
            );
            if let Some(f) = self.findings.last_mut() {
                f.help = Some(
                    "its consumers must move to another product first (deprecate it with a `sunset` and `replacedBy`, then remove it)".into(),
                );
            }
        }
    }

    fn product(&mut self, bid: ProductId, hid: ProductId) {
        let bp = self.base.product(bid);
        let hp = self.head.product(hid);
        let first_change = self.changes.len();
        let first_finding = self.findings.len();
        let mut delta = ProductDelta {
            full: !self.same_text(bp, hp),
            ..ProductDelta::default()
        };
        let fqn = hp.fqn.clone();
        let (bf, hf) = (bp.file, hp.file);

        if delta.full {
            // Metadata and top-level spec fields.
            let fields: [Field; 5] = [
                (
                    "version",
                    opt_str(&bp.spec.version).map(|s| s.trim().to_string()),
                    opt_str(&hp.spec.version).map(|s| s.trim().to_string()),
                    bp.spec.version.as_ref().map(|v| v.loc),
                    hp.spec.version.as_ref().map(|v| v.loc),
                ),
                (
                    "status",
                    Some(bp.status().as_str().to_string()),
                    Some(hp.status().as_str().to_string()),
                    bp.spec.status.as_ref().map(|v| v.loc),
                    hp.spec.status.as_ref().map(|v| v.loc),
                ),
                text("owner", &bp.metadata.owner, &hp.metadata.owner),
                text("title", &bp.metadata.title, &hp.metadata.title),
                text(
                    "description",
                    &bp.metadata.description,
                    &hp.metadata.description,
                ),
            ];
            for (field, old, new, ol, nl) in fields {
                if old != new {
                    let long = field == "description";
                    self.change(
                        ChangeKind::Changed,
                        NodeKind::Product,
                        fqn.clone(),
                        Some(field),
                        if long { None } else { old },
                        if long { None } else { new },
                        Some(sp_span(
                            bf,
                            ol.unwrap_or(bp.metadata.name.loc),
                            bp.metadata.name.loc,
                        )),
                        Some(sp_span(
                            hf,
                            nl.unwrap_or(hp.metadata.name.loc),
                            hp.metadata.name.loc,
                        )),
                    );
                }
            }
            if hp.status() == Status::Retired && bp.status() != Status::Retired {
                let direct = self.head.uses.of_product(&fqn);
                if !direct.is_empty() {
                    let impact = self.head.uses.impact(&self.head.c.mesh, direct);
                    let status_loc = hp.status_loc();
                    self.finding(
                        Code::B501,
                        &fqn,
                        fqn.clone(),
                        format!(
                            "product `{fqn}` was retired, and {} it",
                            readers(&impact, "still read")
                        ),
                        Some(bp.span()),
                        Some(span_of(hf, status_loc)),
                        impact,
                    );
                }
            }

            self.inputs(bp, hp);
            self.access(bp, hp);
        }

        // Ports by name.
        let bports: BTreeMap<&str, usize> = bp
            .spec
            .outputs
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.as_str(), i))
            .collect();
        let hports: BTreeMap<&str, usize> = hp
            .spec
            .outputs
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.as_str(), i))
            .collect();
        for (name, &bi) in &bports {
            let bport = &bp.spec.outputs[bi];
            match hports.get(name) {
                Some(&hi) => self.port(bid, bi, hid, hi, &mut delta),
                None => {
                    let port_fqn = format!("{fqn}.{name}");
                    let old = span_of(bf, bport.name.loc);
                    self.change(
                        ChangeKind::Removed,
                        NodeKind::Port,
                        port_fqn.clone(),
                        None,
                        None,
                        None,
                        Some(old),
                        None,
                    );
                    let only = bp.spec.outputs.len() == 1;
                    let direct: Vec<(Use, String)> = self
                        .head
                        .uses
                        .of_port(&fqn, name, only)
                        .into_iter()
                        .map(|u| (u, format!("reads `{port_fqn}`")))
                        .collect();
                    if direct.is_empty() {
                        delta.schema = true;
                        continue;
                    }
                    let impact = self.head.uses.impact(&self.head.c.mesh, direct);
                    self.finding(
                        Code::B502,
                        &fqn,
                        port_fqn.clone(),
                        format!(
                            "output port `{port_fqn}` was removed, and {} it",
                            readers(&impact, "read")
                        ),
                        Some(old),
                        Some(hp.span()),
                        impact,
                    );
                }
            }
        }
        for (name, &hi) in &hports {
            if !bports.contains_key(name) {
                delta.schema = true;
                self.change(
                    ChangeKind::Added,
                    NodeKind::Port,
                    format!("{fqn}.{name}"),
                    None,
                    None,
                    Some(port_type(&hp.spec.outputs[hi]).as_str().to_string()),
                    None,
                    Some(span_of(hf, hp.spec.outputs[hi].name.loc)),
                );
            }
        }

        if self.changes.len() > first_change || self.findings.len() > first_finding {
            self.counts.changed += 1;
        }
        if delta.full {
            self.version_policy(bp, hp, first_finding, &delta);
        }
    }

    /// Whether a product's file and its contract files are the same at
    /// both revisions.
    fn same_text(&self, bp: &Product, hp: &Product) -> bool {
        let (bdb, hdb) = (&self.base.c.db, &self.head.c.db);
        bdb.get(bp.file).text == hdb.get(hp.file).text
            && bp.spec.outputs.len() == hp.spec.outputs.len()
            && bp.spec.outputs.iter().zip(&hp.spec.outputs).all(|(b, h)| {
                match (b.contract_file, h.contract_file) {
                    (None, None) => true,
                    (Some(x), Some(y)) => bdb.get(x).text == hdb.get(y).text,
                    _ => false,
                }
            })
    }

    fn inputs(&mut self, bp: &Product, hp: &Product) {
        let b = keyed(&bp.spec.inputs, input_key);
        let h = keyed(&hp.spec.inputs, input_key);
        let node = |k: &str| format!("{}/input {k}", hp.fqn);
        for (k, bi) in &b {
            let old = span_of(bp.file, bi.target_loc());
            match h.get(k) {
                None => self.change(
                    ChangeKind::Removed,
                    NodeKind::Input,
                    node(k),
                    None,
                    None,
                    None,
                    Some(old),
                    None,
                ),
                Some(hi) => {
                    let new = span_of(hp.file, hi.target_loc());
                    let fields: [Field; 3] = [
                        text("version", &bi.version, &hi.version),
                        (
                            "columns",
                            opt_list(&bi.columns),
                            opt_list(&hi.columns),
                            bi.columns.as_ref().and_then(|c| c.first()).map(|c| c.loc),
                            hi.columns.as_ref().and_then(|c| c.first()).map(|c| c.loc),
                        ),
                        text("purpose", &bi.purpose, &hi.purpose),
                    ];
                    for (field, o, n, ol, nl) in fields {
                        if o != n {
                            self.change(
                                ChangeKind::Changed,
                                NodeKind::Input,
                                node(k),
                                Some(field),
                                o,
                                n,
                                Some(ol.map(|l| span_of(bp.file, l)).unwrap_or(old)),
                                Some(nl.map(|l| span_of(hp.file, l)).unwrap_or(new)),
                            );
                        }
                    }
                }
            }
        }
        for (k, hi) in &h {
            if !b.contains_key(k) {
                self.change(
                    ChangeKind::Added,
                    NodeKind::Input,
                    node(k),
                    None,
                    None,
                    None,
                    None,
                    Some(span_of(hp.file, hi.target_loc())),
                );
            }
        }
    }

    fn access(&mut self, bp: &Product, hp: &Product) {
        let empty: Vec<Sp<AllowEntry>> = Vec::new();
        let ball = bp.spec.access.as_ref().map(|a| &a.allow).unwrap_or(&empty);
        let hall = hp.spec.access.as_ref().map(|a| &a.allow).unwrap_or(&empty);
        let b = keyed(ball, principal);
        let h = keyed(hall, principal);
        let loc = |e: &Sp<AllowEntry>| {
            e.team
                .as_ref()
                .or(e.product.as_ref())
                .map(|n| n.loc)
                .unwrap_or(e.loc)
        };
        let node = |k: &str| format!("{}/access {k}", hp.fqn);
        for (k, be) in &b {
            let old = span_of(bp.file, loc(be));
            match h.get(k) {
                None => self.change(
                    ChangeKind::Removed,
                    NodeKind::Access,
                    node(k),
                    None,
                    None,
                    None,
                    Some(old),
                    None,
                ),
                Some(he) => {
                    let new = span_of(hp.file, loc(he));
                    let fields: [(&'static str, Option<String>, Option<String>); 5] = [
                        ("ports", opt_list(&be.ports), opt_list(&he.ports)),
                        ("columns", opt_list(&be.columns), opt_list(&he.columns)),
                        (
                            "purpose",
                            opt_str(&be.purpose).map(str::to_string),
                            opt_str(&he.purpose).map(str::to_string),
                        ),
                        (
                            "expires",
                            opt_str(&be.expires).map(str::to_string),
                            opt_str(&he.expires).map(str::to_string),
                        ),
                        (
                            "unmasked",
                            (!be.unmasked.is_empty()).then(|| list(&be.unmasked)),
                            (!he.unmasked.is_empty()).then(|| list(&he.unmasked)),
                        ),
                    ];
                    for (field, o, n) in fields {
                        if o != n {
                            self.change(
                                ChangeKind::Changed,
                                NodeKind::Access,
                                node(k),
                                Some(field),
                                o,
                                n,
                                Some(old),
                                Some(new),
                            );
                        }
                    }
                }
            }
        }
        for (k, he) in &h {
            if !b.contains_key(k) {
                self.change(
                    ChangeKind::Added,
                    NodeKind::Access,
                    node(k),
                    None,
                    None,
                    None,
                    None,
                    Some(span_of(hp.file, loc(he))),
                );
            }
        }
    }

    fn port(
        &mut self,
        bid: ProductId,
        bi: usize,
        hid: ProductId,
        hi: usize,
        delta: &mut ProductDelta,
    ) {
        let bp = self.base.product(bid);
        let hp = self.head.product(hid);
        let (bport, hport) = (&bp.spec.outputs[bi], &hp.spec.outputs[hi]);
        let (bf, hf) = (bp.file, hp.file);
        let name = hport.name.as_str();
        let pfqn = format!("{}.{name}", hp.fqn);
        let pold = span_of(bf, bport.name.loc);
        let pnew = span_of(hf, hport.name.loc);
        let only = bp.spec.outputs.len() == 1 || hp.spec.outputs.len() == 1;
        let uses: Vec<Use<'a>> = self.head.uses.of_port(&hp.fqn, name, only);
        let at = |file, v: Option<Loc>, fb: Loc| sp_span(file, v.unwrap_or(fb), fb);

        // Port type, visibility, contract, query, description.
        let (bt, ht) = (port_type(bport), port_type(hport));
        if bt != ht {
            delta.schema = true;
            self.change(
                ChangeKind::Changed,
                NodeKind::Port,
                pfqn.clone(),
                Some("type"),
                Some(bt.as_str().into()),
                Some(ht.as_str().into()),
                Some(at(
                    bf,
                    bport.port_type.as_ref().map(|t| t.loc),
                    bport.name.loc,
                )),
                Some(at(
                    hf,
                    hport.port_type.as_ref().map(|t| t.loc),
                    hport.name.loc,
                )),
            );
        }
        let (bv, hv) = (port_visibility(bport), port_visibility(hport));
        let vold = at(bf, bport.visibility.as_ref().map(|t| t.loc), bport.name.loc);
        let vnew = at(hf, hport.visibility.as_ref().map(|t| t.loc), hport.name.loc);
        if bv != hv {
            if vis_rank(hv) < vis_rank(bv) {
                delta.schema = true;
            }
            self.changed(
                NodeKind::Port,
                &pfqn,
                "visibility",
                bv.as_str().into(),
                hv.as_str().into(),
                vold,
                vnew,
            );
        }
        for (field, o, n, ol, nl) in [
            (
                "contract",
                opt_str(&bport.contract),
                opt_str(&hport.contract),
                &bport.contract,
                &hport.contract,
            ),
            (
                "query",
                opt_str(&bport.query),
                opt_str(&hport.query),
                &bport.query,
                &hport.query,
            ),
            (
                "description",
                opt_str(&bport.description),
                opt_str(&hport.description),
                &bport.description,
                &hport.description,
            ),
        ] {
            if o != n {
                let short = field == "contract";
                self.change(
                    ChangeKind::Changed,
                    NodeKind::Port,
                    pfqn.clone(),
                    Some(field),
                    o.filter(|_| short).map(str::to_string),
                    n.filter(|_| short).map(str::to_string),
                    Some(at(bf, ol.as_ref().map(|v| v.loc), bport.name.loc)),
                    Some(at(hf, nl.as_ref().map(|v| v.loc), hport.name.loc)),
                );
            }
        }

        // B507: consumers at both revisions that head cuts off.
        let base_consumers: std::collections::HashSet<&str> = self
            .base
            .uses
            .of_port(&bp.fqn, name, only)
            .iter()
            .map(|u| self.base.product(u.consumer).fqn.as_str())
            .collect();
        for u in &uses {
            let consumer = self.head.product(u.consumer);
            let Some(&bcid) = self.base.c.mesh.product_by_fqn.get(&consumer.fqn) else {
                continue;
            };
            if !base_consumers.contains(&consumer.fqn.as_str()) {
                continue;
            }
            let bconsumer = self.base.product(bcid);
            let was = allowed(&self.base, bp, bport, bconsumer);
            let is = allowed(&self.head, hp, hport, consumer);
            if was && !is {
                let why = if bv != hv && vis_rank(hv) > vis_rank(bv) {
                    format!(
                        "its visibility went from `{}` to `{}`",
                        bv.as_str(),
                        hv.as_str()
                    )
                } else {
                    format!(
                        "the producer's approval of `{}` was removed or expired",
                        consumer.fqn
                    )
                };
                let impact = self
                    .head
                    .uses
                    .impact(&self.head.c.mesh, vec![(*u, format!("reads `{pfqn}`"))]);
                self.finding(
                    Code::B507,
                    &hp.fqn,
                    pfqn.clone(),
                    format!("`{}` may no longer read `{pfqn}`: {why}", consumer.fqn),
                    Some(vold),
                    Some(vnew),
                    impact,
                );
                continue;
            }
            if !is {
                continue;
            }
            // Raw access to masked columns it reads.
            for col in port_columns(hport) {
                let c = col.name.as_str();
                if !masked(col) || reads_column(u, c).is_none() {
                    continue;
                }
                let Some(bcol) = port_columns(bport).iter().find(|x| x.name.as_str() == c) else {
                    continue;
                };
                if masked(bcol)
                    && unmasked_for(&self.base, bp, bport, bconsumer, c)
                    && !unmasked_for(&self.head, hp, hport, consumer, c)
                {
                    let impact = self
                        .head
                        .uses
                        .impact(&self.head.c.mesh, vec![(*u, format!("reads column `{c}`"))]);
                    self.finding(
                        Code::B507,
                        &hp.fqn,
                        format!("{pfqn}.{c}"),
                        format!(
                            "`{}` loses its approval to read `{pfqn}.{c}` unmasked",
                            consumer.fqn
                        ),
                        Some(span_of(bf, bcol.name.loc)),
                        Some(span_of(hf, col.name.loc)),
                        impact,
                    );
                }
            }
        }

        // B506: the primary key.
        let same_key = bport.primary_key.len() == hport.primary_key.len()
            && bport
                .primary_key
                .iter()
                .zip(&hport.primary_key)
                .all(|(a, b)| a.as_str() == b.as_str());
        if !same_key {
            let (bk, hk) = (list(&bport.primary_key), list(&hport.primary_key));
            let kold = at(bf, bport.primary_key.first().map(|k| k.loc), bport.name.loc);
            let knew = at(hf, hport.primary_key.first().map(|k| k.loc), hport.name.loc);
            self.changed(
                NodeKind::Port,
                &pfqn,
                "primaryKey",
                bk.clone(),
                hk.clone(),
                kold,
                knew,
            );
            let direct: Vec<(Use, String)> = uses
                .iter()
                .map(|u| (*u, format!("reads `{pfqn}`")))
                .collect();
            let impact = self.head.uses.impact(&self.head.c.mesh, direct);
            self.finding(
                Code::B506,
                &hp.fqn,
                pfqn.clone(),
                format!("the primary key of `{pfqn}` changed from {bk} to {hk}"),
                Some(kold),
                Some(knew),
                impact,
            );
        }

        self.columns(bid, bi, hid, hi, &uses, delta);
        if delta.full {
            self.quality(bp, bport, hp, hport, &pfqn);
            self.sla(bp, bport, hp, hport, &pfqn, pold, pnew);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn columns(
        &mut self,
        bid: ProductId,
        bi: usize,
        hid: ProductId,
        hi: usize,
        uses: &[Use<'a>],
        delta: &mut ProductDelta,
    ) {
        let bp = self.base.product(bid);
        let hp = self.head.product(hid);
        let (bport, hport) = (&bp.spec.outputs[bi], &hp.spec.outputs[hi]);
        let (bf, hf) = (bp.file, hp.file);
        let pfqn = format!("{}.{}", hp.fqn, hport.name.as_str());
        let (bcols, hcols) = (port_columns(bport), port_columns(hport));
        if !delta.full {
            // Same text: same columns in the same order.
            for i in 0..hcols.len().min(bcols.len()) {
                self.b508((bid, bi, i), (hid, hi, i), uses, &pfqn);
            }
            return;
        }
        let bnames: HashMap<&str, usize> = bcols
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.as_str(), i))
            .collect();
        let hnames: HashMap<&str, usize> = hcols
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.as_str(), i))
            .collect();
        let hit = |col: &str| -> Vec<(Use<'a>, String)> {
            uses.iter()
                .filter_map(|u| reads_column(u, col).map(|via| (*u, via)))
                .collect()
        };

        // Removed columns, and renames: at a position where base has a
        // column head lacks and head has one base lacks, of one type.
        for (i, bc) in bcols.iter().enumerate() {
            let name = bc.name.as_str();
            if hnames.contains_key(name) {
                continue;
            }
            let old = span_of(bf, bc.name.loc);
            let renamed = hcols
                .get(i)
                .filter(|hc| !bnames.contains_key(hc.name.as_str()))
                .filter(|hc| canonical(&hc.column_type).1 == canonical(&bc.column_type).1);
            let direct = hit(name);
            match renamed {
                Some(hc) => {
                    let new = span_of(hf, hc.name.loc);
                    self.change(
                        ChangeKind::Renamed,
                        NodeKind::Column,
                        format!("{pfqn}.{name}"),
                        Some("name"),
                        Some(name.to_string()),
                        Some(hc.name.as_str().to_string()),
                        Some(old),
                        Some(new),
                    );
                    if direct.is_empty() {
                        delta.schema = true;
                        continue;
                    }
                    let impact = self.head.uses.impact(&self.head.c.mesh, direct);
                    self.finding(
                        Code::B511,
                        &hp.fqn,
                        format!("{pfqn}.{name}"),
                        format!(
                            "column `{pfqn}.{name}` was renamed to `{}`, and {} it by its old name",
                            hc.name.as_str(),
                            readers(&impact, "read")
                        ),
                        Some(old),
                        Some(new),
                        impact,
                    );
                }
                None => {
                    self.change(
                        ChangeKind::Removed,
                        NodeKind::Column,
                        format!("{pfqn}.{name}"),
                        None,
                        Some(bc.column_type.as_str().to_string()),
                        None,
                        Some(old),
                        None,
                    );
                    if direct.is_empty() {
                        delta.schema = true;
                        continue;
                    }
                    let impact = self.head.uses.impact(&self.head.c.mesh, direct);
                    self.finding(
                        Code::B503,
                        &hp.fqn,
                        format!("{pfqn}.{name}"),
                        format!(
                            "column `{pfqn}.{name}` was removed, and {} it",
                            readers(&impact, "read")
                        ),
                        Some(old),
                        Some(span_of(hf, hport.name.loc)),
                        impact,
                    );
                }
            }
        }
        for (j, hc) in hcols.iter().enumerate() {
            let name = hc.name.as_str();
            if bnames.contains_key(name) {
                continue;
            }
            let is_rename = bcols.get(j).is_some_and(|bc| {
                !hnames.contains_key(bc.name.as_str())
                    && canonical(&hc.column_type).1 == canonical(&bc.column_type).1
            });
            if is_rename {
                continue;
            }
            delta.schema = true;
            self.change(
                ChangeKind::Added,
                NodeKind::Column,
                format!("{pfqn}.{name}"),
                None,
                None,
                Some(hc.column_type.as_str().to_string()),
                None,
                Some(span_of(hf, hc.name.loc)),
            );
        }

        // Columns in both.
        for (j, hc) in hcols.iter().enumerate() {
            let name = hc.name.as_str();
            let Some(&i) = bnames.get(name) else { continue };
            let bc = &bcols[i];
            let cfqn = format!("{pfqn}.{name}");
            let at = |file, v: Option<Loc>, fb: Loc| sp_span(file, v.unwrap_or(fb), fb);

            // Type.
            let (bt, bts) = canonical(&bc.column_type);
            let (ht, hts) = canonical(&hc.column_type);
            if bts != hts {
                let told = at(bf, Some(bc.column_type.loc), bc.name.loc);
                let tnew = at(hf, Some(hc.column_type.loc), hc.name.loc);
                self.changed(
                    NodeKind::Column,
                    &cfqn,
                    "type",
                    bts.clone(),
                    hts.clone(),
                    told,
                    tnew,
                );
                let widening = match (&bt, &ht) {
                    (Some(b), Some(h)) => holds_all(b, h),
                    // An old type meshc could not read promised nothing.
                    (None, _) => true,
                    (Some(_), None) => false,
                };
                let direct = hit(name);
                if widening || direct.is_empty() {
                    delta.schema = true;
                } else {
                    let impact = self.head.uses.impact(&self.head.c.mesh, direct);
                    self.finding(
                        Code::B504,
                        &hp.fqn,
                        cfqn.clone(),
                        format!("the type of `{cfqn}` changed from `{bts}` to `{hts}`, which cannot hold every old value"),
                        Some(told),
                        Some(tnew),
                        impact,
                    );
                }
            }

            // Nullability.
            let (bn, hn) = (nullable(bc), nullable(hc));
            if bn != hn {
                let nold = at(bf, bc.nullable.as_ref().map(|n| n.loc), bc.name.loc);
                let nnew = at(hf, hc.nullable.as_ref().map(|n| n.loc), hc.name.loc);
                self.changed(
                    NodeKind::Column,
                    &cfqn,
                    "nullable",
                    bn.to_string(),
                    hn.to_string(),
                    nold,
                    nnew,
                );
                let direct = hit(name);
                if !hn || direct.is_empty() {
                    delta.schema = true;
                } else {
                    let impact = self.head.uses.impact(&self.head.c.mesh, direct);
                    self.finding(
                        Code::B505,
                        &hp.fqn,
                        cfqn.clone(),
                        format!("`{cfqn}` became nullable"),
                        Some(nold),
                        Some(nnew),
                        impact,
                    );
                }
            }

            // Declared classification, masking, lineage, description.
            let simple: [FlaggedField; 4] = [
                flagged(
                    text("classification", &bc.classification, &hc.classification),
                    true,
                ),
                (
                    "masking",
                    bc.masking.as_ref().map(|m| m.as_str().to_string()),
                    hc.masking.as_ref().map(|m| m.as_str().to_string()),
                    bc.masking.as_ref().map(|v| v.loc),
                    hc.masking.as_ref().map(|v| v.loc),
                    true,
                ),
                (
                    "derivedFrom",
                    (!bc.derived_from.is_empty()).then(|| list(&bc.derived_from)),
                    (!hc.derived_from.is_empty()).then(|| list(&hc.derived_from)),
                    bc.derived_from.first().map(|v| v.loc),
                    hc.derived_from.first().map(|v| v.loc),
                    true,
                ),
                flagged(text("description", &bc.description, &hc.description), false),
            ];
            for (field, o, n, ol, nl, short) in simple {
                if o != n {
                    self.change(
                        ChangeKind::Changed,
                        NodeKind::Column,
                        cfqn.clone(),
                        Some(field),
                        o.filter(|_| short),
                        n.filter(|_| short),
                        Some(at(bf, ol, bc.name.loc)),
                        Some(at(hf, nl, hc.name.loc)),
                    );
                }
            }

            self.b508((bid, bi, i), (hid, hi, j), uses, &pfqn);
        }
    }

    /// B508: a consumed column's effective classification was raised, or
    /// it became masked for consumers without an `unmasked` approval.
    fn b508(
        &mut self,
        (bid, bi, i): (ProductId, usize, usize),
        (hid, hi, j): (ProductId, usize, usize),
        uses: &[Use<'a>],
        pfqn: &str,
    ) {
        let bp = self.base.product(bid);
        let hp = self.head.product(hid);
        let (bport, hport) = (&bp.spec.outputs[bi], &hp.spec.outputs[hi]);
        let (Some(bc), Some(hc)) = (port_columns(bport).get(i), port_columns(hport).get(j)) else {
            return;
        };
        let (bf, hf) = (bp.file, hp.file);
        let name = hc.name.as_str();
        if uses.is_empty() {
            return;
        }
        let cfqn = format!("{pfqn}.{name}");
        let at = |file, v: Option<Loc>, fb: Loc| sp_span(file, v.unwrap_or(fb), fb);
        let cold = span_of(bf, bc.name.loc);
        let hit = |col: &str| -> Vec<(Use<'a>, String)> {
            uses.iter()
                .filter_map(|u| reads_column(u, col).map(|via| (*u, via)))
                .collect()
        };
        // B508: effective classification raised, or masking applied.
        let bclass = self.base.class_of(bid, bi, i);
        let hclass = self.head.class_of(hid, hi, j);
        let rank = |n: Option<&str>| {
            n.and_then(|n| self.head.c.mesh.classifications.iter().position(|x| x == n))
        };
        let cls_old = at(bf, bc.classification.as_ref().map(|v| v.loc), bc.name.loc);
        let cls_new = at(hf, hc.classification.as_ref().map(|v| v.loc), hc.name.loc);
        if rank(hclass) > rank(bclass) {
            let direct = hit(name);
            if !direct.is_empty() {
                let impact = self.head.uses.impact(&self.head.c.mesh, direct);
                self.finding(
                    Code::B508,
                    &hp.fqn,
                    cfqn.to_string(),
                    format!(
                        "the classification of `{cfqn}` was raised from `{}` to `{}`",
                        bclass.unwrap_or("none"),
                        hclass.unwrap_or("none")
                    ),
                    Some(cls_old),
                    Some(cls_new),
                    impact,
                );
            }
        } else if !masked(bc) && masked(hc) {
            let direct: Vec<(Use, String)> = hit(name)
                .into_iter()
                .filter(|(u, _)| {
                    !unmasked_for(&self.head, hp, hport, self.head.product(u.consumer), name)
                })
                .collect();
            if !direct.is_empty() {
                let impact = self.head.uses.impact(&self.head.c.mesh, direct);
                let how = hc.masking.as_ref().map(|m| m.as_str()).unwrap_or("none");
                self.finding(
                    Code::B508,
                    &hp.fqn,
                    cfqn.to_string(),
                    format!(
                        "`{cfqn}` became masked (`{how}`): its consumers now read masked values"
                    ),
                    Some(cold),
                    Some(at(hf, hc.masking.as_ref().map(|m| m.loc), hc.name.loc)),
                    impact,
                );
            }
        }
    }

    fn quality(&mut self, bp: &Product, bport: &Port, hp: &Product, hport: &Port, pfqn: &str) {
        let b = keyed(&bport.quality, quality_key);
        let h = keyed(&hport.quality, quality_key);
        let node = |k: &str| format!("{pfqn}/quality {k}");
        for (k, bq) in &b {
            let old = span_of(bp.file, bq.loc.or(bport.name.loc));
            match h.get(k) {
                None => {
                    self.change(
                        ChangeKind::Removed,
                        NodeKind::Quality,
                        node(k),
                        None,
                        None,
                        None,
                        Some(old),
                        None,
                    );
                    self.finding(
                        Code::B510,
                        &hp.fqn,
                        pfqn.to_string(),
                        format!("quality check `{k}` on `{pfqn}` was removed"),
                        Some(old),
                        Some(span_of(hp.file, hport.name.loc)),
                        Vec::new(),
                    );
                }
                Some(hq) => {
                    let new = span_of(hp.file, hq.loc.or(hport.name.loc));
                    let show = |q: &Quality| -> String {
                        let mut parts = Vec::new();
                        if !q.values.is_empty() {
                            parts.push(format!(
                                "values [{}]",
                                q.values
                                    .iter()
                                    .map(|v| v.value.to_string())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ));
                        }
                        if let Some(m) = &q.max_age {
                            parts.push(format!("maxAge {}", m.as_str()));
                        }
                        if let Some(m) = &q.min {
                            parts.push(format!("min {}", m.value));
                        }
                        if let Some(m) = &q.max {
                            parts.push(format!("max {}", m.value));
                        }
                        parts.join(", ")
                    };
                    let (o, n) = (show(bq), show(hq));
                    if o == n {
                        continue;
                    }
                    self.change(
                        ChangeKind::Changed,
                        NodeKind::Quality,
                        node(k),
                        None,
                        Some(o.clone()),
                        Some(n.clone()),
                        Some(old),
                        Some(new),
                    );
                    if loosened(bq, hq) {
                        self.finding(
                            Code::B510,
                            &hp.fqn,
                            pfqn.to_string(),
                            format!("quality check `{k}` on `{pfqn}` was loosened ({o} → {n})"),
                            Some(old),
                            Some(new),
                            Vec::new(),
                        );
                    }
                }
            }
        }
        for (k, hq) in &h {
            if !b.contains_key(k) {
                self.change(
                    ChangeKind::Added,
                    NodeKind::Quality,
                    node(k),
                    None,
                    None,
                    None,
                    None,
                    Some(span_of(hp.file, hq.loc.or(hport.name.loc))),
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn sla(
        &mut self,
        bp: &Product,
        bport: &Port,
        hp: &Product,
        hport: &Port,
        pfqn: &str,
        pold: Span,
        pnew: Span,
    ) {
        let none = Sla::default();
        let bs = bport.sla.as_ref().map(|s| &s.value).unwrap_or(&none);
        let hs = hport.sla.as_ref().map(|s| &s.value).unwrap_or(&none);
        for (field, o, n) in [
            ("freshness", &bs.freshness, &hs.freshness),
            ("availability", &bs.availability, &hs.availability),
            ("retention", &bs.retention, &hs.retention),
        ] {
            let (os, ns) = (opt_str(o).map(str::trim), opt_str(n).map(str::trim));
            if os == ns {
                continue;
            }
            let old = o
                .as_ref()
                .map(|v| span_of(bp.file, v.loc.or(bport.name.loc)));
            let new = n
                .as_ref()
                .map(|v| span_of(hp.file, v.loc.or(hport.name.loc)));
            let kind = match (os, ns) {
                (None, _) => ChangeKind::Added,
                (_, None) => ChangeKind::Removed,
                _ => ChangeKind::Changed,
            };
            self.change(
                kind,
                NodeKind::Sla,
                format!("{pfqn}/sla"),
                Some(field),
                os.map(str::to_string),
                ns.map(str::to_string),
                old,
                new,
            );
            let Some(os) = os else { continue };
            let weaker = match ns {
                None => true,
                Some(ns) => match field {
                    "availability" => {
                        matches!((percent(os), percent(ns)), (Some(a), Some(b)) if b < a)
                    }
                    "freshness" => {
                        matches!((seconds(os), seconds(ns)), (Some(a), Some(b)) if b > a)
                    }
                    _ => matches!((seconds(os), seconds(ns)), (Some(a), Some(b)) if b < a),
                },
            };
            if weaker {
                let what = match ns {
                    None => format!("the `sla.{field}` of `{pfqn}` (`{os}`) was removed"),
                    Some(ns) => {
                        format!("the `sla.{field}` of `{pfqn}` was weakened from `{os}` to `{ns}`")
                    }
                };
                self.finding(
                    Code::B509,
                    &hp.fqn,
                    pfqn.to_string(),
                    what,
                    old.or(Some(pold)),
                    new.or(Some(pnew)),
                    Vec::new(),
                );
            }
        }
    }

    /// Approves the product's breaking findings when its major version was
    /// raised; reports a version that went down (B513) and a compatible
    /// schema change without a minor bump (B512).
    fn version_policy(&mut self, bp: &Product, hp: &Product, first: usize, delta: &ProductDelta) {
        let (bv, hv) = (version(bp), version(hp));
        let vold = bp.spec.version.as_ref().map(|v| span_of(bp.file, v.loc));
        let vnew = hp.spec.version.as_ref().map(|v| span_of(hp.file, v.loc));
        let major = matches!((&bv, &hv), (Some(b), Some(h)) if major_bump(b, h));
        let minor = matches!((&bv, &hv), (Some(b), Some(h)) if h > b && (h.major, h.minor) > (b.major, b.minor));
        let mut breaking = false;
        for f in &mut self.findings[first..] {
            if !is_breaking(f.code) {
                continue;
            }
            breaking = true;
            if major {
                f.approved = true;
                f.severity = Severity::Info;
                if let (Some(b), Some(h)) = (&bv, &hv) {
                    f.help = Some(format!(
                        "approved: the major version of `{}` was raised ({b} → {h})",
                        hp.fqn
                    ));
                }
            } else {
                let raise = match &bv {
                    Some(b) => format!(
                        "raise the major version of `{}` ({b} → {}) so its consumers see a breaking change",
                        hp.fqn,
                        next_major(b)
                    ),
                    None => format!(
                        "raise the major version of `{}` so its consumers see a breaking change",
                        hp.fqn
                    ),
                };
                f.help = Some(match f.help.take() {
                    Some(h) => format!("{h}; or {raise}"),
                    None => format!("{raise}, or keep the old interface until they move"),
                });
            }
        }
        if let (Some(b), Some(h)) = (&bv, &hv) {
            if h < b {
                self.finding(
                    Code::B513,
                    &hp.fqn,
                    hp.fqn.clone(),
                    format!("the version of `{}` went down from {b} to {h}", hp.fqn),
                    vold,
                    vnew,
                    Vec::new(),
                );
                if let Some(f) = self.findings.last_mut() {
                    f.help = Some(format!("versions only go up: use a version above {b}"));
                }
            } else if delta.schema && !breaking && !minor {
                self.finding(
                    Code::B512,
                    &hp.fqn,
                    hp.fqn.clone(),
                    format!(
                        "the schema of `{}` changed compatibly, but its version went only from {b} to {h}",
                        hp.fqn
                    ),
                    vold,
                    vnew,
                    Vec::new(),
                );
                if let Some(f) = self.findings.last_mut() {
                    f.help = Some(format!(
                        "raise the minor version ({b} → {}.{}.0)",
                        b.major,
                        b.minor + 1
                    ));
                }
            }
        }
    }
}

/// Whether a quality check with the same key promises less at head.
fn loosened(b: &Quality, h: &Quality) -> bool {
    match b.check.value {
        QualityType::AcceptedValues => {
            b.values.len() < h.values.len() || h.values.iter().any(|v| !b.values.contains(v))
        }
        QualityType::Freshness => match (&b.max_age, &h.max_age) {
            (Some(o), Some(n)) => matches!((seconds(o), seconds(n)), (Some(a), Some(b)) if b > a),
            (Some(_), None) => true,
            _ => false,
        },
        QualityType::RowCount => {
            let lower = match (&b.min, &h.min) {
                (Some(o), Some(n)) => n.value < o.value,
                (Some(_), None) => true,
                _ => false,
            };
            let higher = match (&b.max, &h.max) {
                (Some(o), Some(n)) => n.value > o.value,
                (Some(_), None) => true,
                _ => false,
            };
            lower || higher
        }
        QualityType::NotNull | QualityType::Unique => false,
    }
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// "1 product reads" / "3 products read" (with `verb` "read"): how many
/// products an impact hits directly.
fn readers(impact: &[super::Impact], verb: &str) -> String {
    let n = impact.iter().filter(|i| i.direct).count();
    format!(
        "{n} product{} {verb}{}",
        plural(n),
        if n == 1 { "s" } else { "" }
    )
}
