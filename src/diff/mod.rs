//! `meshc diff` (SPEC §5): what changed between two checked revisions of
//! a mesh, which changes break consumers and whom they hit, whether the
//! versions say so, and which check diagnostics the change introduced.
//!
//! The engine is independent of Git: [`diff`] compares two [`Checked`]
//! values (the CLI loads them from two revisions). Everything it reports
//! carries spans into the side it comes from: `old` spans point into the
//! base's `SourceDb`, `new` spans into the head's, so renderers
//! ([`render`]) get both databases. The decisions where SPEC is silent are
//! in book/src/commands/diff.md.
//!
//! - `compare.rs` walks both models by FQN (products, ports, columns,
//!   inputs, access entries, SLAs, quality checks) and reports the
//!   semantic changes and the B5xx findings, then applies the version
//!   policy per product.
//! - `impact.rs` finds the consumers at head a finding hits (column-level
//!   for column changes) and the products downstream of them.
//! - `locate.rs` names the node a check diagnostic is about, so head's
//!   diagnostics are matched with base's by code, FQN and message.
//! - `render.rs` writes text, markdown, json, github and sarif.

pub mod codes;
mod compare;
mod impact;
mod locate;
pub mod render;

pub use render::{DiffFormat, render};

use crate::Checked;
use crate::diagnostics::{Code, Diagnostic, Severity, Summary};
use crate::source::Span;

/// What happened to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
    /// A column removed and one added with the same type at its position.
    Renamed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
            ChangeKind::Renamed => "renamed",
        }
    }
}

/// What kind of node changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    Product,
    Port,
    Column,
    Input,
    Access,
    Sla,
    Quality,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Product => "product",
            NodeKind::Port => "port",
            NodeKind::Column => "column",
            NodeKind::Input => "input",
            NodeKind::Access => "access",
            NodeKind::Sla => "sla",
            NodeKind::Quality => "quality",
        }
    }
}

/// One semantic change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    pub node: NodeKind,
    /// The node: a product, port or column FQN; for an input, access
    /// entry, SLA field or quality check, its product's or port's FQN
    /// and a key (`sales.orders/input customers.customers.customers`).
    pub fqn: String,
    /// For `Changed`: the field (`type`, `nullable`, `version`, …).
    pub field: Option<&'static str>,
    /// The value before and after, where a short one exists (not for
    /// descriptions and queries).
    pub old: Option<String>,
    pub new: Option<String>,
    /// In the base's `SourceDb`.
    pub old_span: Option<Span>,
    /// In the head's `SourceDb`.
    pub new_span: Option<Span>,
}

/// A team that owns an impacted product, and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub team: String,
    pub email: Option<String>,
    pub chat: Option<String>,
}

/// A product a finding hits (at head).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Impact {
    /// Its FQN.
    pub product: String,
    /// It reads the changed node itself (`false`: it is downstream of a
    /// product that does).
    pub direct: bool,
    /// How: `reads column `total``, `reads every column of …`,
    /// `downstream of `finance.invoices``.
    pub via: String,
    pub owner: Option<Owner>,
    /// Its input on the changed port or product, in the head's `SourceDb`
    /// (direct consumers only).
    pub span: Option<Span>,
}

/// One B5xx finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    /// After the version policy: `Error` for an unapproved breaking
    /// change, `Info` for an approved one, `Warning` for B509, B510, B512.
    pub severity: Severity,
    /// A breaking change whose product's major version was raised.
    pub approved: bool,
    /// FQN of the product that changed.
    pub product: String,
    /// FQN of the node that changed (product, port or column).
    pub subject: String,
    pub message: String,
    pub help: Option<String>,
    /// The node at base (base `SourceDb`).
    pub old: Option<Span>,
    /// The node at head (head `SourceDb`); for a removal, the place it was
    /// removed from (its port or product) when that still exists.
    pub new: Option<Span>,
    /// Consumers hit, direct ones first, each group sorted by FQN.
    pub impact: Vec<Impact>,
}

impl Finding {
    /// B501–B508 and B511: changes that break consumers.
    pub fn is_breaking(&self) -> bool {
        is_breaking(self.code)
    }
}

pub fn is_breaking(code: Code) -> bool {
    matches!(
        code,
        Code::B501
            | Code::B502
            | Code::B503
            | Code::B504
            | Code::B505
            | Code::B506
            | Code::B507
            | Code::B508
            | Code::B511
    )
}

/// How many products were added, removed, changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ProductCounts {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
}

/// Everything `meshc diff` reports.
#[derive(Debug, Default)]
pub struct Report {
    /// The semantic change, in order of product FQN, then node.
    pub changes: Vec<Change>,
    /// B5xx findings, ordered by product, subject, code.
    pub findings: Vec<Finding>,
    /// Check diagnostics at head that base does not have (matched by
    /// code, the FQN of the node they are about, and message), in head's
    /// order; their spans point into the head's `SourceDb`.
    pub new_diagnostics: Vec<Diagnostic>,
    /// Head's diagnostics that base has too: counted, not listed.
    pub preexisting: Summary,
    /// Base's diagnostics that head no longer has.
    pub fixed: Summary,
    pub products: ProductCounts,
}

impl Report {
    /// Breaking changes that are not approved (errors).
    pub fn unapproved(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.is_breaking() && !f.approved)
            .count()
    }

    /// Counts of the findings and new diagnostics together, by severity.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::of(&self.new_diagnostics);
        for f in &self.findings {
            match f.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
        }
        s
    }

    /// The exit-code rule: the diff fails (exit 1) when there is an
    /// unapproved breaking change, a version that went down, or a new
    /// error diagnostic; with `deny_warnings`, also on any warning.
    pub fn fails(&self, deny_warnings: bool) -> bool {
        let s = self.summary();
        s.errors > 0 || (deny_warnings && s.warnings > 0)
    }
}

/// Compares two checked revisions of a mesh: `base` (before) and `head`
/// (after).
pub fn diff(base: &Checked, head: &Checked) -> Report {
    let (changes, findings, products) = compare::compare(base, head);
    let (new_diagnostics, preexisting, fixed) = locate::new_diagnostics(base, head);
    Report {
        changes,
        findings,
        new_diagnostics,
        preexisting,
        fixed,
        products,
    }
}
