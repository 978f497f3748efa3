//! Diagnostics: one struct for every problem meshc reports, one table of
//! codes, and one renderer per output format (`render`).

pub mod render;

use crate::source::Span;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    /// `error`, `warning` or `info`, as written in rule settings and policies.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! codes {
    ($( $code:ident, $name:literal, $sev:ident, $summary:literal; )*) => {
        /// Every diagnostic code meshc can emit. Codes are never reused.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $code, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$code, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( Code::$code => stringify!($code), )* }
            }

            /// The rule's kebab-case name.
            pub fn name(self) -> &'static str {
                match self { $( Code::$code => $name, )* }
            }

            pub fn default_severity(self) -> Severity {
                match self { $( Code::$code => Severity::$sev, )* }
            }

            /// One line: what the code flags.
            pub fn summary(self) -> &'static str {
                match self { $( Code::$code => $summary, )* }
            }
        }
    };
}

codes! {
    M001, "yaml-syntax", Error, "a mesh file is not parseable YAML (or is not UTF-8, too large, or too deeply nested)";
    M002, "schema", Error, "unknown field, wrong type or missing required field";
    M003, "unknown-kind", Error, "unsupported apiVersion or kind";
    M004, "duplicate-definition", Error, "two definitions of one name";
    M005, "invalid-name", Error, "a name breaks the identifier pattern [a-z][a-z0-9_]*, at most 63 characters";
    M006, "mesh-root", Error, "no Mesh document, or more than one";
    R101, "unknown-domain", Error, "a domain that is not defined";
    R102, "unknown-team", Error, "an owner or access.allow team that is not defined";
    R103, "unknown-product", Error, "an input or reference names no product";
    R104, "unknown-port", Error, "an input or reference names no output port of its product";
    R105, "unknown-column", Error, "a consumed, key, quality or derivedFrom column that does not exist";
    R106, "cycle", Error, "the product graph has a cycle";
    R107, "unknown-source", Error, "an input names no source table";
    R108, "unknown-classification", Error, "a column's classification is not one of the Mesh's `classifications`";
    M007, "governance-config", Error, "a rule setting names an unknown rule or severity, or a domain lowers or ignores a mandatory rule";
    M008, "contract", Error, "a port's ODCS contract file is missing, outside the mesh, not ODCS v3, or has content meshc cannot map (with the contract file and line)";
    C201, "version-mismatch", Error, "the producer's version does not satisfy the input's requirement";
    C202, "consumes-deprecated", Warning, "an input on a deprecated product";
    C203, "consumes-retired", Error, "an input on a retired product";
    C204, "visibility", Error, "a `domain` port consumed from another domain";
    C205, "restricted-unapproved", Error, "a `restricted` port consumed without the producer's approval in `access.allow`";
    C206, "unknown-type", Error, "a column type that is not a logical type";
    C207, "unmappable-type", Error, "a type a declared target engine cannot hold";
    C208, "lineage-not-input", Error, "`derivedFrom` names a column the product neither consumes nor publishes";
    C209, "view-query", Error, "a `view` port without `query`, or a `ref()` to something that is not an input or an own port";
    G301, "missing-owner", Error, "a product, source or domain without an owner";
    G302, "missing-description", Warning, "a product, port or column without a description";
    G303, "pii-unclassified", Warning, "a column whose name looks personal has no classification";
    G304, "pii-exposed", Error, "a pii column on a `public` port with no masking";
    G305, "pii-without-purpose", Error, "an input consumes a pii column without `purpose`";
    G306, "classification-downgrade", Error, "a column derived from a more sensitive column is classified lower and not masked";
    G307, "missing-sla", Warning, "a public port with no `sla.freshness`";
    G308, "pii-without-retention", Warning, "a port with pii columns and no `sla.retention`";
    G309, "deprecation", Error, "deprecated without a sunset date, or the sunset date has passed";
    G310, "expired-access", Warning, "an `access.allow` entry past `expires` (it grants nothing)";
    G311, "naming", Warning, "a name breaks a configured pattern";
    G312, "unused-product", Info, "a product that is not public, has no consumers and no allow entries";
    E401, "template", Error, "a build template is missing, does not parse or fails to render (with the template file and line)";
    B501, "product-removed", Error, "a product that others consume was removed or retired (`meshc diff`)";
    B502, "port-removed", Error, "a consumed output port was removed (`meshc diff`)";
    B503, "column-removed", Error, "a column consumed by name or wholly was removed (`meshc diff`)";
    B504, "type-narrowed", Error, "a consumed column's type changed to one that cannot hold every old value (`meshc diff`)";
    B505, "became-nullable", Error, "a consumed column became nullable (`meshc diff`)";
    B506, "primary-key-changed", Error, "a port's primary key changed (`meshc diff`)";
    B507, "access-narrowed", Error, "visibility narrowed or an approval removed, cutting off an existing consumer (`meshc diff`)";
    B508, "classification-raised", Error, "a consumed column's effective classification was raised or it became masked (`meshc diff`)";
    B509, "sla-weakened", Warning, "an SLA was weakened: freshness longer, availability lower, retention shorter, or removed (`meshc diff`)";
    B510, "quality-removed", Warning, "a quality guarantee was removed or loosened (`meshc diff`)";
    B511, "column-renamed", Error, "a consumed column was renamed: removed and added with the same type at the same position (`meshc diff`)";
    B512, "minor-bump-missing", Warning, "a compatible schema change without a minor version bump (`meshc diff`)";
    B513, "version-decreased", Error, "a product's version went down (`meshc diff`)";
    P000, "policy", Error, "a Rego policy's `deny` (the policy chooses the code, e.g. P001)";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A labelled place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// The node the finding is about; `None` only for mesh-wide findings
    /// such as "no Mesh document".
    pub primary: Option<Label>,
    /// Other places involved (the first definition of a duplicate, the
    /// producer a consumer refers to, …).
    pub related: Vec<Label>,
    pub help: Option<String>,
    /// The domain of the product or source the finding is about: that
    /// domain's rule settings apply to it.
    pub domain: Option<String>,
    /// For policy findings (`Code::P000`): the code the policy chose.
    pub policy_code: Option<String>,
}

impl Diagnostic {
    /// The code as shown: the table's, or the one a policy chose.
    pub fn code_str(&self) -> &str {
        self.policy_code.as_deref().unwrap_or(self.code.as_str())
    }

    pub fn in_domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.default_severity(),
            message: message.into(),
            primary: None,
            related: Vec::new(),
            help: None,
            domain: None,
            policy_code: None,
        }
    }

    pub fn with_primary(mut self, span: Span, label: impl Into<String>) -> Self {
        self.primary = Some(Label {
            span,
            message: label.into(),
        });
        self
    }

    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push(Label {
            span,
            message: label.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sort key: file, position, code — the order every renderer prints in.
    pub fn sort_key(&self) -> (u32, u32, &str, &str) {
        match &self.primary {
            Some(l) => (l.span.file.0, l.span.start, self.code_str(), &self.message),
            None => (0, 0, self.code_str(), &self.message),
        }
    }
}

/// Sorts diagnostics into their stable order and drops exact repeats.
pub fn normalize(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        let ka = (a.primary.is_some(), a.sort_key());
        let kb = (b.primary.is_some(), b.sort_key());
        ka.cmp(&kb)
    });
    diags.dedup();
}

/// Counts by severity.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Summary {
    pub fn of(diags: &[Diagnostic]) -> Self {
        let mut s = Summary::default();
        for d in diags {
            match d.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
        }
        s
    }
}

/// The candidate closest to `name`, if it is close enough to be a typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (edit_distance(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Edit distance over characters where swapping two neighbours counts as
/// one edit (optimal string alignment), so `salse` is one edit from `sales`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_named() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {c}");
            assert!(!c.name().is_empty());
        }
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(suggest("nmae", ["name", "type"]), Some("name"));
        assert_eq!(suggest("zzz", ["name", "type"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("salse", "sales"), 1);
        assert_eq!(suggest("salse", ["sales", "finance"]), Some("sales"));
    }
}
