//! New diagnostics: head's check diagnostics that base does not have.
//! Diagnostics carry spans, not names, and lines move in a pull request,
//! so each is keyed by its code, its message and the FQN of the node its
//! primary span lies in: the nearest node (document, product, port,
//! column, input, access entry, quality check, SLA, source table) that
//! starts at or before the span in its file. A file with no such node
//! before the span (a policy file) is named by its path.

use std::collections::HashMap;

use crate::Checked;
use crate::diagnostics::{Diagnostic, Severity, Summary};
use crate::load::Loc;
use crate::model::{Mesh, port_columns, span_of};
use crate::source::{FileId, SourceDb, Span};

/// Node starts per file, sorted, with the node's name.
struct Locator {
    files: Vec<Vec<(u32, u32)>>,
    names: Vec<String>,
}

impl Locator {
    fn new(db: &SourceDb) -> Self {
        Locator {
            files: vec![Vec::new(); db.len()],
            names: Vec::new(),
        }
    }

    /// Starts a node `name` at `loc` (when known) in `file`.
    fn add(&mut self, file: FileId, loc: Loc, name: u32) {
        if !loc.is_known() {
            return;
        }
        let span = span_of(file, loc);
        if let Some(v) = self.files.get_mut(span.file.0 as usize) {
            v.push((span.start, name));
        }
    }

    fn name(&mut self, s: String) -> u32 {
        self.names.push(s);
        (self.names.len() - 1) as u32
    }

    fn build(c: &Checked) -> Self {
        let mut l = Locator::new(&c.db);
        // Only products in files that hold a diagnostic need their nodes.
        let mut wanted = vec![false; c.db.len()];
        for d in &c.diagnostics {
            if let Some(w) = d
                .primary
                .as_ref()
                .and_then(|p| wanted.get_mut(p.span.file.0 as usize))
            {
                *w = true;
            }
        }
        index(&mut l, &c.mesh, &wanted);
        for v in &mut l.files {
            v.sort_unstable();
        }
        l
    }

    fn locate<'s>(&'s self, span: Span, db: &'s SourceDb) -> &'s str {
        let Some(v) = self.files.get(span.file.0 as usize) else {
            return "";
        };
        let i = v.partition_point(|(s, _)| *s <= span.start);
        match i.checked_sub(1).and_then(|i| v.get(i)) {
            Some((_, n)) => &self.names[*n as usize],
            None => db.path(span.file),
        }
    }
}

fn index(l: &mut Locator, mesh: &Mesh, wanted: &[bool]) {
    if let Some(root) = &mesh.root {
        let n = l.name("mesh".into());
        l.add(root.file, root.metadata.loc, n);
    }
    for d in &mesh.domains {
        let n = l.name(format!("domain {}", d.name));
        l.add(d.file, d.metadata.loc, n);
    }
    for t in &mesh.teams {
        let n = l.name(format!("team {}", t.name));
        l.add(t.file, t.metadata.loc, n);
    }
    for s in &mesh.sources {
        let n = l.name(s.fqn.clone());
        l.add(s.file, s.metadata.loc, n);
        for t in &s.spec.tables {
            let tn = l.name(format!("{}.{}", s.fqn, t.name.as_str()));
            l.add(s.file, t.loc, tn);
            for c in &t.columns {
                let cn = l.name(format!("{}.{}.{}", s.fqn, t.name.as_str(), c.name.as_str()));
                l.add(s.file, c.loc, cn);
            }
        }
    }
    let wanted = |f: FileId| wanted.get(f.0 as usize).copied().unwrap_or(false);
    for p in &mesh.products {
        let f = p.file;
        if !wanted(f)
            && !p
                .spec
                .outputs
                .iter()
                .any(|o| o.contract_file.is_some_and(wanted))
        {
            continue;
        }
        let pn = l.name(p.fqn.clone());
        l.add(f, p.metadata.loc, pn);
        if let Some(v) = &p.spec.version {
            l.add(f, v.loc, pn);
        }
        if let Some(s) = &p.spec.status {
            l.add(f, s.loc, pn);
        }
        if let Some(d) = &p.spec.deprecation {
            l.add(f, d.loc, pn);
        }
        for i in &p.spec.inputs {
            l.add(f, i.loc, pn);
        }
        for e in p.spec.access.iter().flat_map(|a| a.allow.iter()) {
            l.add(f, e.loc, pn);
        }
        for port in &p.spec.outputs {
            let portn = l.name(format!("{}.{}", p.fqn, port.name.as_str()));
            l.add(f, port.loc, portn);
            l.add(f, port.name.loc, portn);
            let locs = [
                port.port_type.as_ref().map(|v| v.loc),
                port.visibility.as_ref().map(|v| v.loc),
                port.description.as_ref().map(|v| v.loc),
                port.sla.as_ref().map(|v| v.loc),
                port.contract.as_ref().map(|v| v.loc),
                port.query.as_ref().map(|v| v.loc),
            ];
            for loc in locs.into_iter().flatten() {
                l.add(f, loc, portn);
            }
            for k in &port.primary_key {
                l.add(f, k.loc, portn);
            }
            for q in &port.quality {
                l.add(f, q.loc, portn);
            }
            for c in port_columns(port) {
                let cn = l.name(format!(
                    "{}.{}.{}",
                    p.fqn,
                    port.name.as_str(),
                    c.name.as_str()
                ));
                l.add(f, c.loc, cn);
                l.add(f, c.name.loc, cn);
            }
        }
    }
}

/// Head's diagnostics that base lacks (in head's order), and the counts
/// of the pre-existing ones (at both) and the fixed ones (base only).
pub(super) fn new_diagnostics(
    base: &Checked,
    head: &Checked,
) -> (Vec<Diagnostic>, Summary, Summary) {
    let bl = Locator::build(base);
    let hl = Locator::build(head);
    let key = |d: &'_ Diagnostic, l: &'_ Locator, db: &'_ SourceDb| -> (String, String, String) {
        let at = d
            .primary
            .as_ref()
            .map(|p| l.locate(p.span, db))
            .unwrap_or("");
        (d.code_str().to_string(), at.to_string(), d.message.clone())
    };
    let mut pending: HashMap<(String, String, String), Vec<Severity>> = HashMap::new();
    for d in &base.diagnostics {
        pending
            .entry(key(d, &bl, &base.db))
            .or_default()
            .push(d.severity);
    }
    let mut fresh = Vec::new();
    let mut pre = Summary::default();
    for d in &head.diagnostics {
        let k = key(d, &hl, &head.db);
        match pending.get_mut(&k).and_then(|v| v.pop()) {
            Some(_) => bump(&mut pre, d.severity),
            None => fresh.push(d.clone()),
        }
    }
    let mut fixed = Summary::default();
    for s in pending.values().flatten() {
        bump(&mut fixed, *s);
    }
    (fresh, pre, fixed)
}

fn bump(s: &mut Summary, sev: Severity) {
    match sev {
        Severity::Error => s.errors += 1,
        Severity::Warning => s.warnings += 1,
        Severity::Info => s.infos += 1,
    }
}
