//! `meshc diff` output: text (miette, like `meshc check`), markdown (a
//! pull-request comment), json (documented in book/src/commands/diff.md),
//! github (workflow annotations) and sarif (2.1.0). Every renderer gets
//! both `SourceDb`s: a finding's `old` span is in base's, everything else
//! in head's.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};

use super::{Change, ChangeKind, Finding, Impact, Report};
use crate::diagnostics::render::{
    Item, Place, Pos, annotation, json_value, text_items, workflow_path,
};
use crate::diagnostics::{Code, Diagnostic, Severity, Summary};
use crate::source::{SourceDb, Span};

/// Output formats of `meshc diff` (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Human-readable, with source snippets.
    Text,
    /// A pull-request comment.
    Markdown,
    /// One JSON object (shape in the book).
    Json,
    /// GitHub Actions workflow annotations.
    Github,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
}

/// Renders a report. `base` and `head` are the databases of the two
/// checked revisions; `color` only affects `text`.
pub fn render(
    report: &Report,
    base: &SourceDb,
    head: &SourceDb,
    format: DiffFormat,
    color: bool,
) -> String {
    match format {
        DiffFormat::Text => text(report, base, head, color),
        DiffFormat::Markdown => markdown(report, base, head),
        DiffFormat::Json => {
            let mut s = serde_json::to_string_pretty(&json_report(report, base, head))
                .unwrap_or_else(|_| "{}".into());
            s.push('\n');
            s
        }
        DiffFormat::Github => github(report, head),
        DiffFormat::Sarif => {
            let mut s = serde_json::to_string_pretty(&sarif(report, base, head))
                .unwrap_or_else(|_| "{}".into());
            s.push('\n');
            s
        }
    }
}

/// `file:line` of a span.
fn at(db: &SourceDb, span: Span) -> String {
    let f = db.get(span.file);
    let (line, _) = f.line_col(span.start as usize);
    format!("{}:{line}", f.path)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn counts(s: &Summary) -> String {
    format!(
        "{}, {}, {}",
        plural(s.errors, "error", "errors"),
        plural(s.warnings, "warning", "warnings"),
        plural(s.infos, "info", "infos")
    )
}

fn owner_text(i: &Impact) -> String {
    match &i.owner {
        None => "no owner".into(),
        Some(o) => {
            let mut s = format!("owner {}", o.team);
            let contacts: Vec<&str> = [o.email.as_deref(), o.chat.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            if !contacts.is_empty() {
                s.push_str(&format!(" ({})", contacts.join(", ")));
            }
            s
        }
    }
}

fn change_line(c: &Change) -> String {
    let sign = match c.kind {
        ChangeKind::Added => "+",
        ChangeKind::Removed => "-",
        ChangeKind::Changed => "~",
        ChangeKind::Renamed => ">",
    };
    let mut s = format!("{sign} {} {}", c.node.as_str(), c.fqn);
    match (c.kind, c.field) {
        (ChangeKind::Changed | ChangeKind::Renamed, Some(f)) => {
            s.push_str(&format!(": {f}"));
            match (&c.old, &c.new) {
                (None, None) => s.push_str(" changed"),
                (o, n) => s.push_str(&format!(
                    " {} → {}",
                    o.as_deref().unwrap_or("(none)"),
                    n.as_deref().unwrap_or("(none)")
                )),
            }
        }
        (ChangeKind::Changed, None) => {
            if let (Some(o), Some(n)) = (&c.old, &c.new) {
                s.push_str(&format!(": {o} → {n}"));
            }
        }
        (ChangeKind::Added, _) => {
            if let Some(n) = &c.new {
                s.push_str(&format!(" ({n})"));
            }
        }
        (ChangeKind::Removed, _) => {
            if let Some(o) = &c.old {
                s.push_str(&format!(" ({o})"));
            }
        }
        _ => {}
    }
    s
}

/// The headline: what the diff found and whether it fails.
pub fn summary_line(r: &Report) -> String {
    let breaking = r.findings.iter().filter(|f| f.is_breaking()).count();
    let unapproved = r.unapproved();
    let warnings = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let other_errors = r
        .findings
        .iter()
        .filter(|f| !f.is_breaking() && f.severity == Severity::Error)
        .count();
    let new = Summary::of(&r.new_diagnostics);
    let mark = if r.fails(false) { "✗" } else { "✓" };
    let mut s = format!(
        "{mark} {} ({unapproved} unapproved), {}",
        plural(breaking, "breaking change", "breaking changes"),
        plural(warnings, "diff warning", "diff warnings")
    );
    if other_errors > 0 {
        s.push_str(&format!(
            ", {}",
            plural(other_errors, "version error", "version errors")
        ));
    }
    s.push_str(&format!(
        "; new diagnostics: {}; {} pre-existing not listed, {} fixed; {} in {} ({} added, {} removed, {} changed)\n",
        counts(&new),
        r.preexisting.errors + r.preexisting.warnings + r.preexisting.infos,
        r.fixed.errors + r.fixed.warnings + r.fixed.infos,
        plural(r.changes.len(), "change", "changes"),
        plural(
            r.products.added + r.products.removed + r.products.changed,
            "product",
            "products"
        ),
        r.products.added,
        r.products.removed,
        r.products.changed
    ));
    s
}

// ---------------------------------------------------------------- text

fn finding_item<'a>(f: &Finding, base: &'a SourceDb, head: &'a SourceDb) -> Item<'a> {
    let new = f.new.map(|s| Place {
        file: head.get(s.file),
        span: s,
        label: "at head".into(),
    });
    let old = f.old.map(|s| Place {
        file: base.get(s.file),
        span: s,
        label: "at base".into(),
    });
    let (primary, related) = match (new, old) {
        (Some(n), o) => (Some(n), o.into_iter().collect()),
        (None, o) => (o, Vec::new()),
    };
    Item {
        severity: f.severity,
        code: f.code.as_str().to_string(),
        message: f.message.clone(),
        help: f.help.clone(),
        primary,
        related,
    }
}

fn text(r: &Report, base: &SourceDb, head: &SourceDb, color: bool) -> String {
    let mut out = String::new();
    if !r.changes.is_empty() {
        out.push_str("Changes:\n");
        for c in &r.changes {
            let place = c
                .new_span
                .map(|s| at(head, s))
                .or_else(|| c.old_span.map(|s| format!("{} (base)", at(base, s))));
            match place {
                Some(p) => {
                    let _ = writeln!(out, "  {}  [{p}]", change_line(c));
                }
                None => {
                    let _ = writeln!(out, "  {}", change_line(c));
                }
            }
        }
        out.push('\n');
    }
    for f in &r.findings {
        out.push_str(&text_items(&[finding_item(f, base, head)], color));
        if !f.impact.is_empty() {
            let _ = writeln!(out, "  impact:");
            for i in &f.impact {
                let place = i
                    .span
                    .map(|s| format!(" [{}]", at(head, s)))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "    {} {} — {}, {}{place}",
                    if i.direct { "→" } else { "⇢" },
                    i.product,
                    i.via,
                    owner_text(i)
                );
            }
            out.push('\n');
        }
    }
    if !r.new_diagnostics.is_empty() {
        let _ = writeln!(out, "New diagnostics ({}):\n", r.new_diagnostics.len());
        let items: Vec<Item> = r
            .new_diagnostics
            .iter()
            .map(|d| Item::of(d, head))
            .collect();
        out.push_str(&text_items(&items, color));
    }
    out.push_str(&summary_line(r));
    out
}

// ---------------------------------------------------------------- markdown

/// Inline markdown from text that may hold `code spans`: outside them,
/// characters markdown or HTML would interpret are escaped; inside, only
/// what breaks a table cell. Newlines become spaces.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Unbalanced backticks are escaped like any other character.
    let balanced = s.matches('`').count().is_multiple_of(2);
    let mut code = false;
    for ch in s.chars() {
        match ch {
            '\n' | '\r' => out.push(' '),
            '`' if balanced => {
                code = !code;
                out.push('`');
            }
            '|' => out.push_str("\\|"),
            _ if code => out.push(ch),
            '\\' | '*' | '_' | '[' | ']' | '#' | '~' | '!' | '`' => {
                out.push('\\');
                out.push(ch);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("&#64;"),
            _ => out.push(ch),
        }
    }
    out
}

/// A code span holding `s` verbatim (no backtick can end it early).
fn md_code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

fn icon(f: &Finding) -> &'static str {
    match (f.severity, f.approved) {
        (_, true) => "✅",
        (Severity::Error, _) => "❌",
        (Severity::Warning, _) => "⚠️",
        (Severity::Info, _) => "ℹ️",
    }
}

fn diag_icon(d: &Diagnostic) -> &'static str {
    match d.severity {
        Severity::Error => "❌",
        Severity::Warning => "⚠️",
        Severity::Info => "ℹ️",
    }
}

fn md_finding(out: &mut String, f: &Finding, base: &SourceDb, head: &SourceDb) {
    let _ = write!(
        out,
        "{} **{} {}** — {}",
        icon(f),
        f.code.as_str(),
        f.code.name(),
        md(&f.message)
    );
    if f.approved {
        out.push_str(" *(approved)*");
    }
    out.push_str("  \n");
    let places: Vec<String> = [
        f.old.map(|s| format!("base {}", md_code(&at(base, s)))),
        f.new.map(|s| format!("head {}", md_code(&at(head, s)))),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !places.is_empty() {
        let _ = writeln!(out, "{}  ", places.join(" → "));
    }
    if let Some(h) = &f.help {
        let _ = writeln!(out, "*{}*", md(h));
    }
    out.push('\n');
    if !f.impact.is_empty() {
        out.push_str("| impacted product | how | owner | contact |\n|---|---|---|---|\n");
        for i in &f.impact {
            let (team, contact) = match &i.owner {
                None => ("—".to_string(), String::new()),
                Some(o) => (
                    md_code(&o.team),
                    [o.email.as_deref(), o.chat.as_deref()]
                        .into_iter()
                        .flatten()
                        .map(md)
                        .collect::<Vec<_>>()
                        .join(" · "),
                ),
            };
            let _ = writeln!(
                out,
                "| {}{} | {} | {team} | {contact} |",
                md_code(&i.product),
                if i.direct { "" } else { " (downstream)" },
                md(&i.via),
            );
        }
        out.push('\n');
    }
}

fn markdown(r: &Report, base: &SourceDb, head: &SourceDb) -> String {
    let mut out = String::new();
    let breaking: Vec<&Finding> = r.findings.iter().filter(|f| f.is_breaking()).collect();
    let unapproved = r.unapproved();
    let others: Vec<&Finding> = r.findings.iter().filter(|f| !f.is_breaking()).collect();
    let new = Summary::of(&r.new_diagnostics);
    let verdict = if r.fails(false) {
        "❌ this change needs attention"
    } else {
        "✅ no unapproved breaking changes and no new errors"
    };
    let _ = writeln!(out, "## meshc diff — {verdict}\n");
    out.push_str("| | |\n|---|---|\n");
    let _ = writeln!(
        out,
        "| products | {} added · {} removed · {} changed |",
        r.products.added, r.products.removed, r.products.changed
    );
    let _ = writeln!(out, "| semantic changes | {} |", r.changes.len());
    let _ = writeln!(
        out,
        "| breaking changes | {} unapproved · {} approved |",
        unapproved,
        breaking.len() - unapproved
    );
    let _ = writeln!(
        out,
        "| other findings | {} |",
        counts(&Summary {
            errors: others
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count(),
            warnings: others
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .count(),
            infos: others
                .iter()
                .filter(|f| f.severity == Severity::Info)
                .count(),
        })
    );
    let _ = writeln!(out, "| new diagnostics | {} |", counts(&new));
    let _ = writeln!(
        out,
        "| pre-existing diagnostics (not listed) | {} |",
        counts(&r.preexisting)
    );
    let _ = writeln!(out, "| fixed diagnostics | {} |\n", counts(&r.fixed));

    if !breaking.is_empty() {
        out.push_str("### Breaking changes\n\n");
        for f in &breaking {
            md_finding(&mut out, f, base, head);
        }
    }
    if !others.is_empty() {
        out.push_str("### Versions, SLAs and quality\n\n");
        for f in &others {
            md_finding(&mut out, f, base, head);
        }
    }
    if !r.new_diagnostics.is_empty() {
        out.push_str("### New diagnostics\n\n");
        for d in &r.new_diagnostics {
            let place = d
                .primary
                .as_ref()
                .map(|p| format!(" — {}", md_code(&at(head, p.span))))
                .unwrap_or_default();
            let _ = write!(
                out,
                "- {} **{}** {}{place}",
                diag_icon(d),
                md(d.code_str()),
                md(&d.message)
            );
            if let Some(h) = &d.help {
                let _ = write!(out, "  \n  *{}*", md(h));
            }
            out.push('\n');
        }
        out.push('\n');
    }
    if !r.changes.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Semantic changes ({})</summary>\n",
            r.changes.len()
        );
        out.push_str(
            "| change | node | field | before | after | where |\n|---|---|---|---|---|---|\n",
        );
        for c in &r.changes {
            let cell = |v: &Option<String>| v.as_deref().map(md_code).unwrap_or_default();
            let place = c
                .new_span
                .map(|s| md_code(&at(head, s)))
                .or_else(|| {
                    c.old_span
                        .map(|s| format!("{} (base)", md_code(&at(base, s))))
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {} {} | {} | {} | {} | {place} |",
                c.kind.as_str(),
                c.node.as_str(),
                md_code(&c.fqn),
                c.field.unwrap_or(""),
                cell(&c.old),
                cell(&c.new),
            );
        }
        out.push_str("\n</details>\n");
    }
    out
}

// ---------------------------------------------------------------- json

#[derive(Serialize)]
struct Loc {
    file: String,
    line: usize,
    column: usize,
    end: Pos,
}

fn loc(db: &SourceDb, span: Span) -> Loc {
    let f = db.get(span.file);
    let (line, column) = f.line_col(span.start as usize);
    let (el, ec) = f.line_col(span.end as usize);
    Loc {
        file: f.path.clone(),
        line,
        column,
        end: Pos {
            line: el,
            column: ec,
        },
    }
}

fn json_impact(i: &Impact, head: &SourceDb) -> Value {
    json!({
        "product": i.product,
        "direct": i.direct,
        "via": i.via,
        "owner": i.owner.as_ref().map(|o| json!({
            "team": o.team,
            "email": o.email,
            "chat": o.chat,
        })),
        "input": i.span.map(|s| loc(head, s)),
    })
}

fn json_finding(f: &Finding, base: &SourceDb, head: &SourceDb) -> Value {
    json!({
        "code": f.code.as_str(),
        "name": f.code.name(),
        "severity": f.severity.as_str(),
        "breaking": f.is_breaking(),
        "approved": f.approved,
        "product": f.product,
        "subject": f.subject,
        "message": f.message,
        "help": f.help,
        "old": f.old.map(|s| loc(base, s)),
        "new": f.new.map(|s| loc(head, s)),
        "impact": f.impact.iter().map(|i| json_impact(i, head)).collect::<Vec<_>>(),
    })
}

fn json_report(r: &Report, base: &SourceDb, head: &SourceDb) -> Value {
    let breaking = r.findings.iter().filter(|f| f.is_breaking()).count();
    json!({
        "version": 1,
        "failed": r.fails(false),
        "summary": {
            "products": r.products,
            "changes": r.changes.len(),
            "breaking": breaking,
            "unapproved": r.unapproved(),
            "findings": Summary {
                errors: r.findings.iter().filter(|f| f.severity == Severity::Error).count(),
                warnings: r.findings.iter().filter(|f| f.severity == Severity::Warning).count(),
                infos: r.findings.iter().filter(|f| f.severity == Severity::Info).count(),
            },
            "newDiagnostics": Summary::of(&r.new_diagnostics),
            "preexisting": r.preexisting,
            "fixed": r.fixed,
        },
        "findings": r.findings.iter().map(|f| json_finding(f, base, head)).collect::<Vec<_>>(),
        "newDiagnostics": json_value(&r.new_diagnostics, head),
        "changes": r.changes.iter().map(|c| json!({
            "kind": c.kind.as_str(),
            "node": c.node.as_str(),
            "fqn": c.fqn,
            "field": c.field,
            "old": c.old,
            "new": c.new,
            "oldAt": c.old_span.map(|s| loc(base, s)),
            "newAt": c.new_span.map(|s| loc(head, s)),
        })).collect::<Vec<_>>(),
    })
}

// ---------------------------------------------------------------- github

fn github(r: &Report, head: &SourceDb) -> String {
    let mut out = String::new();
    for f in &r.findings {
        let mut msg = f.message.clone();
        for i in &f.impact {
            let _ = write!(
                msg,
                "\n{} {} ({}, {})",
                if i.direct { "hits" } else { "and downstream" },
                i.product,
                i.via,
                owner_text(i)
            );
        }
        if let Some(h) = &f.help {
            let _ = write!(msg, "\nhelp: {h}");
        }
        out.push_str(&annotation(
            f.severity,
            f.new.map(|s| (head, s)),
            &format!("{} {}", f.code.as_str(), f.code.name()),
            &msg,
        ));
    }
    for d in &r.new_diagnostics {
        let mut msg = d.message.clone();
        if let Some(h) = &d.help {
            let _ = write!(msg, "\nhelp: {h}");
        }
        out.push_str(&annotation(
            d.severity,
            d.primary.as_ref().map(|p| (head, p.span)),
            &format!("{} {}", d.code_str(), d.code.name()),
            &msg,
        ));
    }
    out
}

// ---------------------------------------------------------------- sarif

/// A relative path as a URI reference: every byte outside RFC 3986's
/// unreserved characters and `/` percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn sarif_location(db: &SourceDb, span: Span) -> Value {
    let f = db.get(span.file);
    let (line, col) = f.line_col(span.start as usize);
    let (el, ec) = f.line_col(span.end as usize);
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(&workflow_path(db, span.file)) },
            "region": {
                "startLine": line,
                "startColumn": col,
                "endLine": el,
                "endColumn": ec.max(if el == line { col + 1 } else { 1 }),
            }
        }
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn sarif(r: &Report, base: &SourceDb, head: &SourceDb) -> Value {
    // Rules: every code used, by the id results show.
    let mut rules: BTreeMap<String, Code> = BTreeMap::new();
    for f in &r.findings {
        rules.insert(f.code.as_str().to_string(), f.code);
    }
    for d in &r.new_diagnostics {
        rules.insert(d.code_str().to_string(), d.code);
    }
    let index: BTreeMap<&str, usize> = rules
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let rule_values: Vec<Value> = rules
        .iter()
        .map(|(id, code)| {
            let doc = crate::check::registry::doc(*code);
            json!({
                "id": id,
                "name": code.name(),
                "shortDescription": { "text": code.summary() },
                "fullDescription": { "text": doc.what },
                "help": { "text": crate::check::registry::explain_text(*code) },
                "defaultConfiguration": { "level": level(code.default_severity()) },
            })
        })
        .collect();
    let mut results = Vec::new();
    for f in &r.findings {
        let id = f.code.as_str();
        let mut text = f.message.clone();
        if let Some(h) = &f.help {
            let _ = write!(text, "\nhelp: {h}");
        }
        let related: Vec<Value> = f
            .impact
            .iter()
            .filter_map(|i| i.span.map(|s| (i, s)))
            .enumerate()
            .map(|(n, (i, s))| {
                let mut l = sarif_location(head, s);
                l["id"] = json!(n);
                l["message"] =
                    json!({ "text": format!("{} {} ({})", i.product, i.via, owner_text(i)) });
                l
            })
            .collect();
        let mut result = json!({
            "ruleId": id,
            "ruleIndex": index.get(id).copied().unwrap_or(0),
            "level": level(f.severity),
            "message": { "text": text },
            "locations": f.new.map(|s| vec![sarif_location(head, s)]).unwrap_or_default(),
            "properties": {
                "product": f.product,
                "subject": f.subject,
                "breaking": f.is_breaking(),
                "approved": f.approved,
                "base": f.old.map(|s| loc(base, s)),
                "impact": f.impact.iter().map(|i| json_impact(i, head)).collect::<Vec<_>>(),
            },
        });
        if !related.is_empty() {
            result["relatedLocations"] = json!(related);
        }
        results.push(result);
    }
    for d in &r.new_diagnostics {
        let id = d.code_str();
        let mut text = d.message.clone();
        if let Some(h) = &d.help {
            let _ = write!(text, "\nhelp: {h}");
        }
        let mut result = json!({
            "ruleId": id,
            "ruleIndex": index.get(id).copied().unwrap_or(0),
            "level": level(d.severity),
            "message": { "text": text },
            "locations": d.primary.as_ref().map(|p| vec![sarif_location(head, p.span)]).unwrap_or_default(),
        });
        let related: Vec<Value> = d
            .related
            .iter()
            .enumerate()
            .map(|(n, l)| {
                let mut v = sarif_location(head, l.span);
                v["id"] = json!(n);
                if !l.message.is_empty() {
                    v["message"] = json!({ "text": l.message });
                }
                v
            })
            .collect();
        if !related.is_empty() {
            result["relatedLocations"] = json!(related);
        }
        results.push(result);
    }
    json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "meshc",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rule_values,
                }
            },
            "results": results,
        }]
    })
}
