//! One file's bytes → its documents and diagnostics.
//!
//! A file is split into YAML documents by their `---` / `...` markers (a
//! marker at column 0 always ends a document in YAML, even inside block
//! scalars), and each document is deserialized on its own, so a mistake in
//! one document does not hide the others. Each document is read kind-first:
//! the visitor in this module sees `kind` before `spec` in the usual key
//! order and deserializes `spec` straight into that kind's type, keeping
//! spans. When `spec` comes first, it is read as plain JSON and converted
//! afterwards; its diagnostics then point at the `spec` key.
//!
//! Nothing here touches the file system: the result depends on the bytes only.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::sp::{self, Loc, Sp};
use super::syntax::*;
use crate::diagnostics::{Code, Diagnostic, suggest};
use crate::source::{FileId, SourceFile, Span};

/// Files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// What one file contributed.
#[derive(Debug, Default)]
pub struct FileResult {
    pub docs: Vec<Document>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether a file's text declares any meshc document. Files that do not are
/// not part of the mesh and are never parsed.
pub fn mentions_meshc(text: &str) -> bool {
    let mut rest = text;
    while let Some(i) = rest.find("apiVersion") {
        let after = rest[i + "apiVersion".len()..].trim_start_matches([' ', '\t', '"', '\'']);
        if let Some(after) = after.strip_prefix(':') {
            let v = after.trim_start_matches([' ', '\t', '"', '\'']);
            if v.starts_with("meshc/") {
                return true;
            }
        }
        rest = &rest[i + 1..];
    }
    false
}

/// A document's text and where it starts in its file.
struct DocText<'a> {
    text: &'a str,
    line: u32,
    byte: u32,
}

fn split_documents(text: &str) -> Vec<DocText<'_>> {
    let mut docs = Vec::new();
    let mut start = 0usize;
    let mut start_line = 0u32;
    let mut offset = 0usize;
    let mut line_no = 0u32;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        let is_marker = |m: &str| {
            bare.strip_prefix(m)
                .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
        };
        if is_marker("---") || is_marker("...") {
            docs.push(DocText {
                text: &text[start..offset],
                line: start_line,
                byte: start as u32,
            });
            // `--- {a: 1}` keeps content on the marker line: the next
            // document starts right after the marker.
            let inline = is_marker("---") && !bare[3..].trim().is_empty();
            if inline {
                start = offset + 3;
                start_line = line_no;
            } else {
                start = offset + line.len();
                start_line = line_no + 1;
            }
        }
        offset += line.len();
        line_no += 1;
    }
    docs.push(DocText {
        text: &text[start..],
        line: start_line,
        byte: start as u32,
    });
    docs.retain(|d| {
        d.text.lines().any(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && !t.starts_with('%')
        })
    });
    docs
}

fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    // A data product is a few KB of YAML; these bounds are far above any real
    // mesh file and far below what would exhaust memory.
    budget.max_depth = 64;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_nodes = 2_000_000;
    budget.max_events = 4_000_000;
    budget.max_total_scalar_bytes = MAX_FILE_BYTES;
    let mut opts = serde_saphyr::Options::default();
    opts.budget = Some(budget);
    opts.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    opts
}

/// Parses one file. Never fails: problems are diagnostics.
pub fn parse_file(file: FileId, src: &SourceFile) -> FileResult {
    let mut out = FileResult::default();
    let opts = options();
    for doc in split_documents(&src.text) {
        let parsed = sp::with_base(doc.line, doc.byte, || {
            serde_saphyr::from_str_with_options::<RawDoc>(doc.text, opts.clone())
                .map_err(|e| yaml_error(&e))
        });
        let fallback = Loc {
            line: doc.line + 1,
            col: 1,
            start: doc.byte,
            len: 1,
        };
        match parsed {
            Ok(raw) => raw.finish(file, fallback, &mut out),
            Err((code, msg, loc, help)) => {
                let loc = loc.or(fallback);
                let mut d = Diagnostic::new(code, msg).with_primary(span(file, loc), "");
                if let Some(h) = help {
                    d = d.with_help(h);
                }
                out.diagnostics.push(d);
            }
        }
    }
    out
}

pub(crate) fn span(file: FileId, loc: Loc) -> Span {
    Span::new(
        file,
        loc.start as usize,
        (loc.start + loc.len.max(1)) as usize,
    )
}

/// Turns a serde-saphyr error into (code, message, location, help).
fn yaml_error(e: &serde_saphyr::Error) -> (Code, String, Loc, Option<String>) {
    let loc = e
        .location()
        .map(|l| sp::absolute(&l))
        .unwrap_or(Loc::UNKNOWN);
    let msg = match e {
        serde_saphyr::Error::Message { msg, .. } => msg.clone(),
        other => strip_location(&other.without_snippet().to_string()),
    };
    let lower = msg.to_lowercase();
    // serde reports field and variant mistakes through its own messages;
    // anything else the parser reports is a YAML syntax or budget problem.
    let schemaish = [
        "unknown field",
        "unknown variant",
        "missing field",
        "invalid type",
        "invalid value",
        "expected",
        "duplicate field",
        "invalid length",
    ];
    let is_syntax = lower.contains("while scanning")
        || lower.contains("while parsing")
        || lower.contains("budget")
        || lower.contains("duplicate mapping key")
        || lower.contains("did not find expected")
        || lower.contains("mapping values are not allowed")
        || lower.contains("recursion")
        || lower.contains("alias")
        || lower.contains("depth")
        || lower.contains("invalid indentation");
    if !is_syntax && schemaish.iter().any(|s| lower.contains(s)) {
        let (msg, help) = schema_message(&msg);
        (Code::M002, msg, loc, help)
    } else {
        let help = if lower.contains("duplicate") {
            Some("remove or rename one of the two keys".to_string())
        } else if lower.contains("budget") || lower.contains("alias") || lower.contains("depth") {
            Some(
                "meshc bounds nesting, aliases and size so hostile YAML cannot exhaust memory"
                    .into(),
            )
        } else {
            None
        };
        (Code::M001, msg, loc, help)
    }
}

fn strip_location(msg: &str) -> String {
    let msg = msg.trim();
    match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains("column") => msg[..i].to_string(),
        _ => msg.to_string(),
    }
}

/// Rewrites serde's "unknown field `x`, expected one of a, b" into a message
/// and a "did you mean" help.
fn schema_message(msg: &str) -> (String, Option<String>) {
    for what in ["unknown field `", "unknown variant `"] {
        if let Some(i) = msg.find(what) {
            let rest = &msg[i + what.len()..];
            let Some(end) = rest.find('`') else { break };
            let name = &rest[..end];
            let expected: Vec<String> = rest
                .split_once("expected ")
                .map(|(_, e)| {
                    e.trim_start_matches("one of ")
                        .split(", ")
                        .map(|s| s.trim().trim_matches('`').to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            let noun = if what.contains("field") {
                "unknown field"
            } else {
                "unknown value"
            };
            let message = format!("{noun} `{name}`");
            let help = match suggest(name, expected.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None if expected.is_empty() => String::new(),
                None => format!("expected one of: {}", expected.join(", ")),
            };
            return (message, (!help.is_empty()).then_some(help));
        }
    }
    (msg.to_string(), None)
}

// ---------------------------------------------------------------- the document visitor

const TOP_FIELDS: [&str; 4] = ["apiVersion", "kind", "metadata", "spec"];

enum RawSpec {
    Missing,
    Typed(Spec),
    /// `spec` came before `kind`: kept as plain data, typed later.
    Deferred(serde_json::Value),
    /// Not a document meshc reads.
    Ignored,
}

struct RawDoc {
    is_map: bool,
    start: Loc,
    api_version: Option<Sp<String>>,
    kind: Option<Sp<String>>,
    metadata: Option<Sp<Metadata>>,
    spec: RawSpec,
    spec_loc: Loc,
    unknown: Vec<Sp<String>>,
}

impl<'de> Deserialize<'de> for RawDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = serde_saphyr::Spanned::<RawDocInner>::deserialize(d)?;
        let mut raw = s.value.0;
        raw.start = sp::absolute(&s.referenced);
        Ok(raw)
    }
}

struct RawDocInner(RawDoc);

impl<'de> Deserialize<'de> for RawDocInner {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DocVisitor).map(RawDocInner)
    }
}

struct DocVisitor;

impl DocVisitor {
    fn not_a_map(self) -> RawDoc {
        RawDoc {
            is_map: false,
            start: Loc::UNKNOWN,
            api_version: None,
            kind: None,
            metadata: None,
            spec: RawSpec::Ignored,
            spec_loc: Loc::UNKNOWN,
            unknown: Vec::new(),
        }
    }
}

impl<'de> Visitor<'de> for DocVisitor {
    type Value = RawDoc;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a meshc document (a mapping with apiVersion, kind, metadata, spec)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawDoc, A::Error> {
        let mut doc = RawDoc {
            is_map: true,
            spec: RawSpec::Missing,
            ..self.not_a_map()
        };
        while let Some(key) = map.next_key::<Sp<String>>()? {
            match key.as_str() {
                "apiVersion" => doc.api_version = Some(map.next_value()?),
                "kind" => doc.kind = Some(map.next_value()?),
                "metadata" => {
                    if doc.is_foreign() {
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        doc.metadata = Some(map.next_value()?);
                    }
                }
                "spec" => {
                    doc.spec_loc = key.loc;
                    let kind = doc.kind.as_ref().map(|k| Kind::parse(k));
                    doc.spec = match kind {
                        _ if doc.is_foreign() => {
                            map.next_value::<IgnoredAny>()?;
                            RawSpec::Ignored
                        }
                        Some(Some(kind)) => RawSpec::Typed(map.next_value_seed(SpecSeed(kind))?),
                        Some(None) => {
                            map.next_value::<IgnoredAny>()?;
                            RawSpec::Ignored
                        }
                        None => RawSpec::Deferred(map.next_value()?),
                    };
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    doc.unknown.push(key);
                }
            }
        }
        Ok(doc)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawDoc, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(self.not_a_map())
    }

    fn visit_unit<E: de::Error>(self) -> Result<RawDoc, E> {
        Ok(self.not_a_map())
    }
    fn visit_none<E: de::Error>(self) -> Result<RawDoc, E> {
        Ok(self.not_a_map())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<RawDoc, E> {
        Ok(self.not_a_map())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<RawDoc, E> {
        Ok(self.not_a_map())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<RawDoc, E> {
        Ok(self.not_a_map())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<RawDoc, E> {
        Ok(self.not_a_map())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<RawDoc, E> {
        Ok(self.not_a_map())
    }
}

struct SpecSeed(Kind);

impl<'de> DeserializeSeed<'de> for SpecSeed {
    type Value = Spec;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Spec, D::Error> {
        Ok(match self.0 {
            Kind::Mesh => Spec::Mesh(Option::deserialize(d)?.unwrap_or_default()),
            Kind::Domain => Spec::Domain(Option::deserialize(d)?.unwrap_or_default()),
            Kind::Team => Spec::Team(Option::deserialize(d)?.unwrap_or_default()),
            Kind::Source => Spec::Source(Option::deserialize(d)?.unwrap_or_default()),
            Kind::DataProduct => Spec::DataProduct(Box::new(ProductSpec::deserialize(d)?)),
        })
    }
}

fn spec_from_json(kind: Kind, v: serde_json::Value) -> Result<Spec, serde_json::Error> {
    SpecSeed(kind).deserialize(v)
}

impl RawDoc {
    /// A document of another tool (no meshc apiVersion): skipped whole.
    fn is_foreign(&self) -> bool {
        self.api_version
            .as_ref()
            .is_some_and(|v| !v.starts_with("meshc/"))
    }

    fn finish(self, file: FileId, fallback: Loc, out: &mut FileResult) {
        if !self.is_map || self.is_foreign() {
            return;
        }
        let start = self.start.or(fallback);
        let kind_known = self.kind.as_ref().and_then(|k| Kind::parse(k));
        let diag = |code: Code, msg: String, loc: Loc| {
            Diagnostic::new(code, msg).with_primary(span(file, loc.or(start)), "")
        };
        let Some(api) = &self.api_version else {
            // A document without apiVersion is foreign, unless it names one
            // of meshc's kinds: then it is a meshc document missing a field.
            if kind_known.is_some() {
                out.diagnostics.push(
                    diag(Code::M002, "missing field `apiVersion`".into(), start)
                        .with_help(format!("add `apiVersion: {API_VERSION}`")),
                );
            }
            return;
        };
        if api.as_str() != API_VERSION {
            out.diagnostics.push(
                diag(
                    Code::M003,
                    format!("unsupported apiVersion `{}`", api.as_str()),
                    api.loc,
                )
                .with_help(format!("this meshc reads `{API_VERSION}`")),
            );
            return;
        }
        for key in &self.unknown {
            let mut d = diag(
                Code::M002,
                format!("unknown field `{}`", key.as_str()),
                key.loc,
            );
            if let Some(s) = suggest(key, TOP_FIELDS) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else {
                d = d.with_help("a document has apiVersion, kind, metadata and spec");
            }
            out.diagnostics.push(d);
        }
        let Some(kind_name) = &self.kind else {
            out.diagnostics.push(
                diag(Code::M002, "missing field `kind`".into(), start)
                    .with_help("one of Mesh, Domain, Team, Source, DataProduct"),
            );
            return;
        };
        let Some(kind) = kind_known else {
            let mut d = diag(
                Code::M003,
                format!("unknown kind `{}`", kind_name.as_str()),
                kind_name.loc,
            );
            d = match suggest(kind_name, Kind::ALL.iter().map(|k| k.as_str())) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help("one of Mesh, Domain, Team, Source, DataProduct"),
            };
            out.diagnostics.push(d);
            return;
        };
        if !self.unknown.is_empty() {
            return;
        }
        let Some(metadata) = self.metadata else {
            out.diagnostics
                .push(diag(Code::M002, "missing field `metadata`".into(), start));
            return;
        };
        let spec_loc = self.spec_loc.or(start);
        let spec = match self.spec {
            RawSpec::Typed(s) => s,
            RawSpec::Deferred(v) => match spec_from_json(kind, v) {
                Ok(s) => s,
                Err(e) => {
                    let (msg, help) = schema_message(&e.to_string());
                    let mut d = diag(Code::M002, format!("in `spec`: {msg}"), spec_loc);
                    if let Some(h) = help {
                        d = d.with_help(h);
                    }
                    out.diagnostics.push(d);
                    return;
                }
            },
            RawSpec::Missing if kind == Kind::DataProduct => {
                out.diagnostics
                    .push(diag(Code::M002, "missing field `spec`".into(), start));
                return;
            }
            RawSpec::Missing | RawSpec::Ignored => {
                match spec_from_json(kind, serde_json::Value::Null) {
                    Ok(s) => s,
                    Err(_) => return,
                }
            }
        };
        let mut ok = true;
        if let Some(d) = &metadata.domain
            && !kind.has_domain()
        {
            ok = false;
            out.diagnostics.push(
                diag(
                    Code::M002,
                    format!("`metadata.domain` does not apply to a {}", kind.as_str()),
                    d.loc,
                )
                .with_help("only DataProduct and Source documents belong to a domain"),
            );
        }
        if metadata.domain.is_none() && kind.has_domain() {
            ok = false;
            out.diagnostics.push(
                diag(
                    Code::M002,
                    format!("missing field `metadata.domain` on a {}", kind.as_str()),
                    metadata.loc,
                )
                .with_help("name the Domain this document belongs to"),
            );
        }
        if let Some(o) = &metadata.owner
            && !kind.has_owner()
        {
            ok = false;
            out.diagnostics.push(
                diag(
                    Code::M002,
                    format!("`metadata.owner` does not apply to a {}", kind.as_str()),
                    o.loc,
                )
                .with_help("teams own domains, sources and products; a Team or Mesh has no owner"),
            );
        }
        if ok {
            out.docs.push(Document {
                kind: Sp::new(kind, kind_name.loc),
                metadata,
                spec,
                spec_loc,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_documents_at_markers_only() {
        let text = "a: 1\n---\nb: |\n  ---x\n...\n# only a comment\n---\nc: 3\n";
        let docs = split_documents(text);
        let texts: Vec<_> = docs.iter().map(|d| d.text).collect();
        assert_eq!(texts, vec!["a: 1\n", "b: |\n  ---x\n", "c: 3\n"]);
        assert_eq!(docs[1].line, 2);
        assert_eq!(docs[2].line, 7);
    }

    #[test]
    fn detects_meshc_files() {
        assert!(mentions_meshc("apiVersion: meshc/v1\n"));
        assert!(mentions_meshc("x: 1\napiVersion:  \"meshc/v2\"\n"));
        assert!(!mentions_meshc("apiVersion: apps/v1\n# meshc/v1\n"));
    }
}
