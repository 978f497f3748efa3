//! Federation (SPEC §4): the Mesh's `governance.rules` set the baseline, a
//! Domain's apply on top of it to that domain's products; a domain may
//! raise a `mandatory` rule but never lower, deselect or ignore it. Bad
//! settings are M007 diagnostics, never silently ignored.

use std::collections::BTreeMap;

use super::registry::configurable;
use crate::diagnostics::{Code, Diagnostic, Severity, suggest};
use crate::load::Sp;
use crate::load::syntax::RuleSettings;
use crate::model::{Mesh, span_of};
use crate::source::FileId;

/// A code pattern from `select`/`ignore`/`mandatory`: `ALL`, a code, or a
/// prefix of codes (`G3`, `C`, `P`).
#[derive(Debug, Clone)]
struct Pattern(String);

impl Pattern {
    fn matches(&self, code: &str) -> bool {
        self.0 == "ALL" || code.starts_with(&self.0)
    }
}

/// One level of settings (the Mesh's, or one Domain's), validated.
#[derive(Debug, Default, Clone)]
struct Level {
    select: Option<Vec<Pattern>>,
    ignore: Vec<(Pattern, FileId, crate::load::Loc)>,
    severity: BTreeMap<String, (Severity, FileId, crate::load::Loc)>,
}

/// The settings of a whole mesh.
#[derive(Debug, Default)]
pub struct Settings {
    mesh: Level,
    mandatory: Vec<Pattern>,
    domains: BTreeMap<String, Level>,
}

/// Whether `p` can match any code: `ALL`, a known code or prefix, or a
/// policy code (`P` followed by digits).
fn valid_pattern(p: &str) -> bool {
    p == "ALL"
        || Code::ALL
            .iter()
            .any(|c| c.as_str().starts_with(p) && *c != Code::P000)
        || (p.starts_with('P') && p[1..].bytes().all(|b| b.is_ascii_digit()))
}

fn config_error(file: FileId, v: &Sp<String>, msg: String, help: String) -> Diagnostic {
    Diagnostic::new(Code::M007, msg)
        .with_primary(span_of(file, v.loc), "")
        .with_help(help)
}

fn check_pattern(file: FileId, v: &Sp<String>, out: &mut Vec<Diagnostic>) -> Option<Pattern> {
    if !valid_pattern(v) {
        let names = Code::ALL
            .iter()
            .map(|c| c.as_str())
            .filter(|c| *c != "P000");
        let help = match suggest(v, names) {
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                "use ALL, a code such as G302, or a prefix such as G3 (see `meshc explain --list`)"
                    .into()
            }
        };
        out.push(config_error(
            file,
            v,
            format!("`{}` names no rule", v.as_str()),
            help,
        ));
        return None;
    }
    // A policy code (P001) matches no code of the table: it is configurable.
    let mut matched = Code::ALL
        .iter()
        .filter(|c| Pattern(v.value.clone()).matches(c.as_str()))
        .peekable();
    let fixed = matched.peek().is_some() && matched.all(|c| !configurable(*c));
    if fixed && v.as_str() != "ALL" {
        out.push(config_error(
            file,
            v,
            format!("`{}` cannot be configured", v.as_str()),
            if v.as_str().starts_with('B') {
                "B codes are `meshc diff`'s verdict on a change, decided by the version policy; they are not rule settings".into()
            } else {
                "M and R codes report input meshc cannot read; they always apply".into()
            },
        ));
        return None;
    }
    Some(Pattern(v.value.clone()))
}

fn level(file: FileId, rules: &RuleSettings, out: &mut Vec<Diagnostic>) -> Level {
    let mut l = Level {
        select: rules.select.as_ref().map(|s| {
            s.iter()
                .filter_map(|v| check_pattern(file, v, out))
                .collect()
        }),
        ..Level::default()
    };
    for v in &rules.ignore {
        if let Some(p) = check_pattern(file, v, out) {
            l.ignore.push((p, file, v.loc));
        }
    }
    for (code, sev) in &rules.severity {
        let Some(p) = check_pattern(file, code, out) else {
            continue;
        };
        match Severity::parse(sev) {
            Some(s) => {
                l.severity.insert(p.0, (s, file, sev.loc));
            }
            None => out.push(config_error(
                file,
                sev,
                format!("unknown severity `{}`", sev.as_str()),
                suggest(sev, ["error", "warning", "info"])
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "one of error, warning, info".into()),
            )),
        }
    }
    l
}

impl Settings {
    /// Reads and validates the settings of the Mesh and every Domain.
    pub fn from_mesh(mesh: &Mesh) -> (Settings, Vec<Diagnostic>) {
        let mut out = Vec::new();
        let mut s = Settings::default();
        if let Some(root) = &mesh.root
            && let Some(rules) = root.spec.governance.as_ref().and_then(|g| g.rules.as_ref())
        {
            s.mesh = level(root.file, rules, &mut out);
            s.mandatory = rules
                .mandatory
                .iter()
                .filter_map(|v| check_pattern(root.file, v, &mut out))
                .collect();
        }
        for d in &mesh.domains {
            let Some(rules) = d.spec.governance.as_ref().and_then(|g| g.rules.as_ref()) else {
                continue;
            };
            for m in &rules.mandatory {
                out.push(
                    config_error(
                        d.file,
                        m,
                        "`mandatory` is set in the Mesh only".into(),
                        "the platform decides what is mandatory; a domain may raise severities"
                            .into(),
                    )
                    .in_domain(d.name.clone()),
                );
            }
            let mut l = level(d.file, rules, &mut out);
            // A domain may not switch off or lower a mandatory rule.
            let mandatory = |code: &str| s.mandatory.iter().any(|p| p.matches(code));
            l.ignore.retain(|(p, file, loc)| {
                let hits: Vec<&Code> = Code::ALL
                    .iter()
                    .filter(|c| p.matches(c.as_str()) && mandatory(c.as_str()))
                    .collect();
                if hits.is_empty() {
                    return true;
                }
                out.push(
                    Diagnostic::new(
                        Code::M007,
                        format!(
                            "domain `{}` ignores mandatory rule{} {}",
                            d.name,
                            if hits.len() == 1 { "" } else { "s" },
                            hits.iter()
                                .map(|c| c.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .with_primary(span_of(*file, *loc), "")
                    .with_help("the Mesh marks it mandatory: it stays in force in this domain")
                    .in_domain(d.name.clone()),
                );
                false
            });
            l.severity.retain(|code, (sev, file, loc)| {
                if !mandatory(code) {
                    return true;
                }
                let base = s.mesh_severity(code);
                if *sev >= base {
                    return true;
                }
                out.push(
                    Diagnostic::new(
                        Code::M007,
                        format!(
                            "domain `{}` lowers mandatory rule {code} from {} to {}",
                            d.name,
                            base.as_str(),
                            sev.as_str()
                        ),
                    )
                    .with_primary(span_of(*file, *loc), "")
                    .with_help("a domain may raise a mandatory rule's severity, never lower it; it stays as the Mesh sets it")
                    .in_domain(d.name.clone()),
                );
                false
            });
            s.domains.insert(d.name.clone(), l);
        }
        (s, out)
    }

    /// The severity the Mesh gives a code (most specific setting wins).
    fn mesh_severity(&self, code: &str) -> Severity {
        severity_in(&self.mesh, code).unwrap_or_else(|| default_severity(code))
    }

    /// Applies the settings to one rule finding: `None` when the rule is
    /// off for it, else the finding with its effective severity.
    pub fn apply(&self, mut d: Diagnostic) -> Option<Diagnostic> {
        if !configurable(d.code) {
            return Some(d);
        }
        let code = d.code_str().to_string();
        let mandatory = self.mandatory.iter().any(|p| p.matches(&code));
        let selected = |l: &Level| {
            l.select
                .as_ref()
                .is_none_or(|s| s.iter().any(|p| p.matches(&code)))
        };
        let ignored = |l: &Level| l.ignore.iter().any(|(p, _, _)| p.matches(&code));
        let mut on = mandatory || (selected(&self.mesh) && !ignored(&self.mesh));
        let mut sev = d.severity;
        if let Some(s) = severity_in(&self.mesh, &code) {
            sev = s;
        }
        if let Some(l) = d.domain.as_ref().and_then(|n| self.domains.get(n)) {
            if !mandatory {
                // A domain's own select narrows; its ignore removes; its
                // select may also turn on a rule the Mesh left off.
                if l.select.is_some() {
                    on = selected(l);
                }
                if ignored(l) {
                    on = false;
                }
            }
            if let Some(s) = severity_in(l, &code) {
                sev = s;
            }
        }
        if !on {
            return None;
        }
        d.severity = sev;
        Some(d)
    }
}

fn default_severity(code: &str) -> Severity {
    Code::ALL
        .iter()
        .find(|c| c.as_str() == code)
        .map(|c| c.default_severity())
        .unwrap_or(Severity::Error)
}

/// The most specific severity setting of a level for a code: an exact code
/// beats a longer prefix beats a shorter one beats `ALL`.
fn severity_in(l: &Level, code: &str) -> Option<Severity> {
    l.severity
        .iter()
        .filter(|(p, _)| Pattern((*p).clone()).matches(code))
        .max_by_key(|(p, _)| if p.as_str() == "ALL" { 0 } else { p.len() })
        .map(|(_, (s, _, _))| *s)
}
