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
#[derive(Debug, Default, Clone)]
pub struct FileResult {
    pub docs: Vec<Document>,
    pub diagnostics: Vec<Diagnostic>,
    /// Documents that failed to load but whose kind and name could still be
    /// read: references to them are not reported again as unknown.
    pub broken: Vec<Broken>,
}

/// A document that failed to load, as far as it could be identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub kind: Kind,
    /// `name`, or `domain.name` for products and sources.
    pub fqn: String,
}

/// Reads just `kind` and `metadata.name`/`domain` of a document that did not
/// load, leniently.
fn salvage(text: &str) -> Option<Broken> {
    #[derive(Deserialize)]
    struct Meta {
        name: Option<String>,
        domain: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Envelope {
        api_version: Option<String>,
        kind: Option<String>,
        metadata: Option<Meta>,
    }
    let mut opts = options();
    opts.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
    let Ok(env) = serde_saphyr::from_str_with_options::<Envelope>(text, opts) else {
        return salvage_lines(text);
    };
    if env.api_version.as_deref() != Some(API_VERSION) {
        return None;
    }
    let kind = Kind::parse(env.kind.as_deref()?)?;
    let meta = env.metadata?;
    let name = meta.name?;
    let fqn = match (kind.has_domain(), meta.domain) {
        (true, Some(d)) => format!("{d}.{name}"),
        (true, None) => return None,
        (false, _) => name,
    };
    Some(Broken { kind, fqn })
}

/// Whether a file's text declares any meshc document. Files that do not are
/// not part of the mesh and are never parsed.
pub fn mentions_meshc(text: &str) -> bool {
    // `apiVersion` is a top-level key: at the start of a line (block style,
    // possibly after a `---` marker) or right after `{` (flow style). A
    // comment that mentions it does not count.
    text.lines().any(|line| {
        let l = line
            .strip_prefix("---")
            .map(str::trim_start)
            .unwrap_or(line);
        let l = l.strip_prefix('{').map(str::trim_start).unwrap_or(l);
        let Some(rest) = l.strip_prefix("apiVersion") else {
            return false;
        };
        let rest = rest.trim_start_matches([' ', '\t', '"', '\'']);
        rest.strip_prefix(':')
            .map(|v| v.trim_start_matches([' ', '\t', '"', '\'']))
            .is_some_and(|v| v.starts_with("meshc/"))
    })
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
    for (line_no, line) in text.split_inclusive('\n').enumerate() {
        let line_no = line_no as u32;
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

pub(crate) fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    // A data product is a few KB of YAML; these bounds are far above any real
    // mesh file and far below what would exhaust memory.
    budget.max_depth = 64;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_nodes = 2_000_000;
    budget.max_events = 4_000_000;
    budget.max_total_scalar_bytes = MAX_FILE_BYTES;
    budget.max_recorded_anchor_events = 50_000;
    budget.enforce_alias_anchor_ratio = true;
    let mut opts = serde_saphyr::Options::default();
    opts.budget = Some(budget);
    opts.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    opts.alias_limits.max_total_replayed_events = 200_000;
    opts
}

/// Parses one file. Never fails: problems are diagnostics.
pub fn parse_file(file: FileId, src: &SourceFile) -> FileResult {
    let mut out = FileResult::default();
    let opts = options();
    for doc in split_documents(&src.text) {
        let parsed = sp::with_base(doc.line, doc.byte, || {
            serde_saphyr::from_str_with_options::<RawDoc>(doc.text, opts.clone())
        });
        let fallback = Loc {
            line: doc.line + 1,
            col: 1,
            start: doc.byte,
            len: 1,
            file: 0,
        };
        match parsed {
            Ok(raw) => raw.finish(file, fallback, &mut out),
            Err(e) => {
                let mut err = yaml_error(&e);
                if err.code == Code::M002
                    && let Err(syntax) =
                        serde_saphyr::from_str_with_options::<IgnoredAny>(doc.text, opts.clone())
                {
                    // A type mismatch can be raised before the parser reaches
                    // a syntax error later in the node: report the syntax.
                    let s = yaml_error(&syntax);
                    if s.code == Code::M001 {
                        err = s;
                    }
                }
                let loc = match err.line_col {
                    Some((line, col)) => {
                        let line = line + doc.line;
                        let start = src.offset_of(line as usize, col as usize);
                        let len = token_len(&src.text, start);
                        Loc {
                            line,
                            col,
                            start: start as u32,
                            len: len as u32,
                            file: 0,
                        }
                    }
                    None => fallback,
                };
                let mut d =
                    Diagnostic::new(err.code, err.message).with_primary(span(file, loc), "");
                if let Some(h) = err.help {
                    d = d.with_help(h);
                }
                out.diagnostics.push(d);
                if let Some(b) = salvage(doc.text) {
                    out.broken.push(b);
                }
            }
        }
    }
    out
}

/// The span of `loc`, a location in a value of a document of `file`: in
/// `file`, unless the value was read from another file (a contract's
/// columns; see [`Loc::file`]).
pub(crate) fn span(file: FileId, loc: Loc) -> Span {
    Span::new(
        loc.file_or(file),
        loc.start as usize,
        (loc.start + loc.len.max(1)) as usize,
    )
}

/// A parse failure, classified.
pub(crate) struct YamlError {
    pub(crate) code: Code,
    pub(crate) message: String,
    /// Line and column relative to the document (1-based), when known.
    pub(crate) line_col: Option<(u32, u32)>,
    pub(crate) help: Option<String>,
}

/// Turns a serde-saphyr error into a diagnostic's parts. Classified by the
/// error's variant: errors the parser raises are syntax (M001), errors a
/// type raised while reading a well-formed document are schema (M002).
pub(crate) fn yaml_error(e: &serde_saphyr::Error) -> YamlError {
    use serde_saphyr::Error as E;
    let e = match e {
        E::WithSnippet { error, .. } => error.as_ref(),
        other => other,
    };
    let line_col = e
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| (l.line() as u32, l.column().max(1) as u32));
    let raw = match e {
        E::Message { msg, .. } => msg.clone(),
        other => strip_location(&other.without_snippet().to_string()),
    };
    let syntax = |message: String, help: Option<&str>| YamlError {
        code: Code::M001,
        message,
        line_col,
        help: help.map(str::to_string),
    };
    let schema = |message: String, help: Option<String>| YamlError {
        code: Code::M002,
        message,
        line_col,
        help,
    };
    match e {
        E::DuplicateMappingKey { key, .. } => syntax(
            match key {
                Some(k) => format!("duplicate key `{k}`"),
                None => "duplicate key".into(),
            },
            Some("YAML keys must be unique within a mapping; remove or rename one"),
        ),
        E::Budget { breach, .. } => {
            let what = format!("{breach:?}");
            let (message, help) = if what.starts_with("Depth") {
                (
                    "nesting is deeper than 64 levels",
                    "meshc bounds nesting so hostile YAML cannot exhaust the stack",
                )
            } else if what.starts_with("Alias")
                || what.starts_with("Anchor")
                || what.starts_with("Recorded")
            {
                (
                    "aliases expand beyond the limit (an alias bomb?)",
                    "meshc bounds alias expansion so hostile YAML cannot exhaust memory; write the values out",
                )
            } else {
                (
                    "the document is too large to read",
                    "meshc bounds the events, nodes and bytes of a document so hostile YAML cannot exhaust memory",
                )
            };
            syntax(message.into(), Some(help))
        }
        E::AliasReplayCounterOverflow { .. }
        | E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. } => syntax(
            "aliases expand beyond the limit (an alias bomb?)".into(),
            Some(
                "meshc bounds alias expansion so hostile YAML cannot exhaust memory; write the values out",
            ),
        ),
        E::Unexpected { expected, .. } => {
            let what = match *expected {
                "sequence start" => "a list",
                "mapping start" => "a mapping",
                "string scalar" => "a text value",
                other => other,
            };
            schema(format!("wrong type: expected {what} here"), None)
        }
        E::InvalidBooleanStrict { .. } => {
            schema("wrong type: expected `true` or `false`".into(), None)
        }
        E::InvalidScalar { ty, .. } => {
            let what = match *ty {
                "u64" | "u32" | "usize" => "a whole number (0 or more)",
                "i64" | "i32" => "a whole number",
                "f64" | "f32" => "a number",
                "bool" => "`true` or `false`",
                other => other,
            };
            schema(format!("wrong type: expected {what}"), None)
        }
        E::NullIntoString { .. } => schema(
            "missing value: expected a text value, found nothing (null)".into(),
            Some("write a value after the colon, or remove the key".into()),
        ),
        E::Message { .. }
        | E::SerdeInvalidType { .. }
        | E::SerdeInvalidValue { .. }
        | E::SerdeInvalidLength { .. }
        | E::SerdeUnknownVariant { .. }
        | E::SerdeUnknownField { .. }
        | E::SerdeMissingField { .. }
        | E::UnexpectedValueForUnit { .. }
        | E::InvalidCharNull { .. }
        | E::InvalidCharNotSingleScalar { .. }
        | E::NonFiniteFloat { .. }
        | E::TaggedScalarCannotDeserializeIntoString { .. } => {
            let (message, help) = schema_message(&raw);
            schema(message, help)
        }
        _ if raw.starts_with("budget breached") => {
            if raw.contains("Depth") {
                syntax(
                    "nesting is deeper than 64 levels".into(),
                    Some("meshc bounds nesting so hostile YAML cannot exhaust the stack"),
                )
            } else {
                syntax(
                    "aliases expand beyond the limit (an alias bomb?)".into(),
                    Some(
                        "meshc bounds alias expansion so hostile YAML cannot exhaust memory; write the values out",
                    ),
                )
            }
        }
        E::AliasError { .. } | E::UnknownAnchor { .. } => syntax(
            raw,
            Some("an alias `*name` must refer to an anchor `&name` defined before it"),
        ),
        _ => syntax(raw, None),
    }
}

/// Byte length of the token starting at `start` (a key, a scalar, or one
/// character), so an error underlines the whole word.
pub(crate) fn token_len(text: &str, start: usize) -> usize {
    let rest = &text[start.min(text.len())..];
    let len: usize = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ':' | '[' | ']' | '{' | '}'))
        .map(char::len_utf8)
        .sum();
    if len > 0 {
        len
    } else {
        rest.chars()
            .next()
            .filter(|c| *c != '\n')
            .map(char::len_utf8)
            .unwrap_or(1)
    }
}

fn strip_location(msg: &str) -> String {
    let msg = msg.trim();
    match msg.find(" at line ") {
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
            Kind::Mesh => Spec::Mesh(Box::new(Option::deserialize(d)?.unwrap_or_default())),
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
        // An extra `domain` or `owner` is reported but the document is
        // kept (so references to it still resolve); a missing domain drops
        // it, since its FQN cannot be formed.
        let mut ok = true;
        if let Some(d) = &metadata.domain
            && !kind.has_domain()
        {
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
            out.diagnostics.push(
                diag(
                    Code::M002,
                    format!("`metadata.owner` does not apply to a {}", kind.as_str()),
                    o.loc,
                )
                .with_help("teams own domains, sources and products; a Team or Mesh has no owner"),
            );
        }
        if let Spec::DataProduct(p) = &spec
            && p.version.is_none()
        {
            out.diagnostics.push(
                diag(
                    Code::M002,
                    "missing field `version` in a DataProduct's spec".into(),
                    spec_loc,
                )
                .with_help("add `version: 1.0.0` (semver)"),
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

/// Last resort for a document that is not even YAML: read `kind:` and the
/// `name:`/`domain:` lines of a block-style `metadata:` by their indentation.
fn salvage_lines(text: &str) -> Option<Broken> {
    let mut kind = None;
    let mut api = false;
    let (mut name, mut domain) = (None, None);
    let mut in_meta = false;
    for line in text.lines() {
        let value = |l: &str, key: &str| {
            l.strip_prefix(key).map(|v| {
                v.split('#')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches(['"', '\''])
                    .to_string()
            })
        };
        if !line.starts_with(' ') {
            in_meta = line.starts_with("metadata:");
            if let Some(v) = value(line, "kind:") {
                kind = Kind::parse(&v);
            }
            if value(line, "apiVersion:").is_some_and(|v| v == API_VERSION) {
                api = true;
            }
        } else if in_meta {
            if let Some(v) = value(line, "  name:") {
                name = Some(v);
            } else if let Some(v) = value(line, "  domain:") {
                domain = Some(v);
            }
        }
    }
    let kind = kind.filter(|_| api)?;
    let name = name.filter(|n| !n.is_empty())?;
    let fqn = match (kind.has_domain(), domain) {
        (true, Some(d)) => format!("{d}.{name}"),
        (true, None) => return None,
        (false, _) => name,
    };
    Some(Broken { kind, fqn })
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
        assert!(!mentions_meshc(
            "# not a mesh file (no apiVersion: meshc/v1)\n"
        ));
        assert!(mentions_meshc("--- {apiVersion: meshc/v1, kind: Team}\n"));
    }
}
