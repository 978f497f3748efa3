//! The one table of rules: every code's documentation, and the checks of
//! the codes that are rules (the M and R codes are reported by `load` and
//! `resolve`; they are documented here too).

use super::rules::{contract, core, governance};
use super::{Doc, Rule};
use crate::diagnostics::Code;

/// Every check, in code order.
pub fn rules() -> &'static [&'static dyn Rule] {
    static RULES: std::sync::OnceLock<Vec<&'static dyn Rule>> = std::sync::OnceLock::new();
    RULES.get_or_init(|| {
        let mut all: Vec<&'static dyn Rule> = Vec::new();
        all.extend_from_slice(contract::RULES);
        all.extend_from_slice(governance::RULES);
        all.sort_by_key(|r| r.code());
        all
    })
}

/// The documentation of a code.
pub fn doc(code: Code) -> &'static Doc {
    core::doc(code)
        .or_else(|| contract::doc(code))
        .or_else(|| governance::doc(code))
        .or_else(|| crate::diff::codes::doc(code))
        .unwrap_or(&core::UNDOCUMENTED)
}

/// Whether rule settings may select, ignore or re-rate a code. Syntax (M)
/// and resolution (R) problems make the mesh unreadable: they always apply.
/// The B codes are `meshc diff`'s verdict on a change, not check rules: the
/// version policy decides their severity (see book/src/commands/diff.md).
pub fn configurable(code: Code) -> bool {
    !matches!(code.as_str().as_bytes().first(), Some(b'M' | b'R' | b'B'))
}

/// `meshc explain CODE` as plain text.
pub fn explain_text(code: Code) -> String {
    let d = doc(code);
    let indent = |s: &str| {
        s.lines()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut out = format!(
        "{} {} (default: {}{})\n\n{}\n\nWhy: {}\n",
        code.as_str(),
        code.name(),
        code.default_severity().as_str(),
        if configurable(code) {
            ""
        } else {
            ", always on"
        },
        d.what,
        d.why
    );
    if !d.bad.is_empty() {
        out.push_str(&format!("\nFails:\n\n{}\n", indent(d.bad)));
    }
    if !d.good.is_empty() {
        out.push_str(&format!("\nPasses:\n\n{}\n", indent(d.good)));
    }
    out
}

/// The book page of a code (book/src/rules/CODE.md), generated.
pub fn markdown(code: Code) -> String {
    let d = doc(code);
    let mut out = format!(
        "<!-- generated from src/check by `MESHC_BLESS=1 cargo test --test rule_docs`; do not edit -->\n# {} {}\n\n| default severity | configurable |\n|---|---|\n| {} | {} |\n\n## What it does\n\n{}\n\n## Why\n\n{}\n",
        code.as_str(),
        code.name(),
        code.default_severity().as_str(),
        if configurable(code) {
            "yes"
        } else {
            "no (always on)"
        },
        d.what,
        d.why
    );
    if !d.bad.is_empty() {
        out.push_str(&format!(
            "\n## Example that fails\n\n```yaml\n{}\n```\n",
            d.bad.trim_end()
        ));
    }
    if !d.good.is_empty() {
        out.push_str(&format!(
            "\n## Example that passes\n\n```yaml\n{}\n```\n",
            d.good.trim_end()
        ));
    }
    out
}

/// The rule index page (book/src/rules/index.md), generated.
pub fn markdown_index() -> String {
    let mut out = String::from(
        "<!-- generated from src/check by `MESHC_BLESS=1 cargo test --test rule_docs`; do not edit -->\n# Rules\n\nEvery diagnostic meshc reports has one of these codes. `meshc explain CODE` prints the same page in the terminal.\n\n| code | name | default | what |\n|---|---|---|---|\n",
    );
    for c in Code::ALL {
        out.push_str(&format!(
            "| [{0}]({0}.md) | {1} | {2} | {3} |\n",
            c.as_str(),
            c.name(),
            c.default_severity().as_str(),
            c.summary().replace('|', "\\|")
        ));
    }
    out
}
