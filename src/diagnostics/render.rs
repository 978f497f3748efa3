//! One renderer per output format, all over the same [`Diagnostic`].

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteSpanContents, SourceCode,
    SourceSpan, SpanContents,
};
use serde::Serialize;

use super::{Diagnostic, Label, Severity};
use crate::source::{SourceDb, SourceFile};

/// Output formats for diagnostics (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable, with source snippets.
    Text,
    /// A JSON array, one object per diagnostic.
    Json,
    /// GitHub Actions workflow annotations.
    Github,
}

/// Renders all diagnostics in `format`. `color` only affects `text`.
pub fn render(diags: &[Diagnostic], db: &SourceDb, format: Format, color: bool) -> String {
    match format {
        Format::Text => text(diags, db, color),
        Format::Json => json(diags, db),
        Format::Github => github(diags, db),
    }
}

// ---------------------------------------------------------------- text

/// A file's text as miette sees it, borrowed.
struct FileSrc<'a>(&'a SourceFile);

impl SourceCode for FileSrc<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.0.text.as_str().read_span(span, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.0.path.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

struct TextDiag<'a> {
    severity: Severity,
    code: String,
    message: String,
    help: Option<String>,
    src: Option<FileSrc<'a>>,
    labels: Vec<LabeledSpan>,
    related: Vec<TextDiag<'a>>,
}

impl fmt::Debug for TextDiag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl fmt::Display for TextDiag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for TextDiag<'_> {}

impl miette::Diagnostic for TextDiag<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.src.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty()).then(|| Box::new(self.labels.iter().cloned()) as _)
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        (!self.related.is_empty())
            .then(|| Box::new(self.related.iter().map(|d| d as &dyn miette::Diagnostic)) as _)
    }
}

fn labeled(l: &Label, primary: bool) -> LabeledSpan {
    let span = SourceSpan::new(
        (l.span.start as usize).into(),
        (l.span.end - l.span.start) as usize,
    );
    let text = (!l.message.is_empty()).then(|| l.message.clone());
    if primary {
        LabeledSpan::new_primary_with_span(text, span)
    } else {
        LabeledSpan::new_with_span(text, span)
    }
}

/// A labelled place in one file, for [`text_items`]. Unlike a [`Label`],
/// it holds its file, so the places of one item may come from different
/// `SourceDb`s (`meshc diff` shows a base and a head revision).
pub struct Place<'a> {
    pub file: &'a SourceFile,
    pub span: crate::source::Span,
    pub label: String,
}

/// One report for [`text_items`]: a diagnostic whose places carry their
/// files.
pub struct Item<'a> {
    pub severity: Severity,
    pub code: String,
    pub message: String,
    pub help: Option<String>,
    pub primary: Option<Place<'a>>,
    pub related: Vec<Place<'a>>,
}

impl<'a> Item<'a> {
    /// A diagnostic whose spans are in `db`.
    pub fn of(d: &Diagnostic, db: &'a SourceDb) -> Item<'a> {
        let place = |l: &Label| Place {
            file: db.get(l.span.file),
            span: l.span,
            label: l.message.clone(),
        };
        Item {
            severity: d.severity,
            code: d.code_str().to_string(),
            message: d.message.clone(),
            help: d.help.clone(),
            primary: d.primary.as_ref().map(place),
            related: d.related.iter().map(place).collect(),
        }
    }
}

fn place_label(p: &Place) -> Label {
    Label {
        span: p.span,
        message: p.label.clone(),
    }
}

fn text_diag<'a>(d: &Item<'a>) -> TextDiag<'a> {
    let mut labels = Vec::new();
    let mut related = Vec::new();
    let file = d.primary.as_ref().map(|p| p.file);
    if let Some(p) = &d.primary {
        labels.push(labeled(&place_label(p), true));
    }
    for r in &d.related {
        if file.is_some_and(|f| std::ptr::eq(f, r.file)) {
            labels.push(labeled(&place_label(r), false));
        } else {
            // A place in another file is shown as a note with its own snippet.
            related.push(TextDiag {
                severity: Severity::Info,
                code: String::new(),
                message: if r.label.is_empty() {
                    "related".into()
                } else {
                    r.label.clone()
                },
                help: None,
                src: Some(FileSrc(r.file)),
                labels: vec![labeled(
                    &Label {
                        span: r.span,
                        message: String::new(),
                    },
                    true,
                )],
                related: Vec::new(),
            });
        }
    }
    TextDiag {
        severity: d.severity,
        code: d.code.clone(),
        message: d.message.clone(),
        help: d.help.clone(),
        src: file.map(FileSrc),
        labels,
        related,
    }
}

fn text(diags: &[Diagnostic], db: &SourceDb, color: bool) -> String {
    let items: Vec<Item> = diags.iter().map(|d| Item::of(d, db)).collect();
    text_items(&items, color)
}

/// The text rendering of reports (miette, width 100), one after another.
pub fn text_items(items: &[Item], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    for d in items {
        let td = text_diag(d);
        let mut one = String::new();
        if handler.render_report(&mut one, &td).is_ok() {
            // miette heads a related report with a bare "Advice: " line;
            // the ☞ line that follows already says what the place is.
            out.push_str(&one.replace("Advice: \n", ""));
        } else {
            out.push_str(&format!(
                "{}: {} [{}]\n",
                d.severity.as_str(),
                d.message,
                d.code
            ));
        }
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------- json

/// A 1-based line and column in JSON output (also `meshc diff --format json`).
#[derive(Serialize)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end: Pos,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonDiag<'a> {
    code: &'a str,
    name: &'static str,
    severity: &'static str,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    end: Option<Pos>,
    help: Option<&'a str>,
    related: Vec<JsonLabel<'a>>,
}

fn json_label<'a>(l: &'a Label, db: &'a SourceDb) -> JsonLabel<'a> {
    let f = db.get(l.span.file);
    let (line, column) = f.line_col(l.span.start as usize);
    let (el, ec) = f.line_col(l.span.end as usize);
    JsonLabel {
        file: &f.path,
        line,
        column,
        end: Pos {
            line: el,
            column: ec,
        },
        message: &l.message,
    }
}

fn json_items<'a>(diags: &'a [Diagnostic], db: &'a SourceDb) -> Vec<JsonDiag<'a>> {
    diags
        .iter()
        .map(|d| {
            let p = d.primary.as_ref().map(|p| json_label(p, db));
            JsonDiag {
                code: d.code_str(),
                name: d.code.name(),
                severity: d.severity.as_str(),
                message: &d.message,
                file: p.as_ref().map(|p| p.file),
                line: p.as_ref().map(|p| p.line),
                column: p.as_ref().map(|p| p.column),
                end: p.map(|p| p.end),
                help: d.help.as_deref(),
                related: d.related.iter().map(|r| json_label(r, db)).collect(),
            }
        })
        .collect()
}

/// The `--format json` objects of `diags`, as a JSON value (an array).
pub fn json_value(diags: &[Diagnostic], db: &SourceDb) -> serde_json::Value {
    serde_json::to_value(json_items(diags, db)).unwrap_or_default()
}

fn json(diags: &[Diagnostic], db: &SourceDb) -> String {
    let items = json_items(diags, db);
    let mut s = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

// ---------------------------------------------------------------- github

/// Escapes a workflow command's message (GitHub's rules: `%`, CR, LF).
pub fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property (also `:` and `,`).
pub fn gh_escape_prop(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A file's path as annotations and SARIF name it: relative to the
/// working directory (the repository root in CI), so the mesh folder as
/// given is joined.
pub fn workflow_path(db: &SourceDb, file: crate::source::FileId) -> String {
    let f = db.get(file);
    if db.root.as_os_str().is_empty() || db.root == std::path::Path::new(".") {
        f.path.clone()
    } else {
        db.root.join(&f.path).to_string_lossy().into_owned()
    }
}

/// One GitHub workflow command (`::error file=…::message`), escaped.
pub fn annotation(
    severity: Severity,
    at: Option<(&SourceDb, crate::source::Span)>,
    title: &str,
    message: &str,
) -> String {
    let level = match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut props = Vec::new();
    if let Some((db, span)) = at {
        let f = db.get(span.file);
        let (line, col) = f.line_col(span.start as usize);
        let (el, ec) = f.line_col(span.end as usize);
        props.push(format!(
            "file={}",
            gh_escape_prop(&workflow_path(db, span.file))
        ));
        props.push(format!("line={line}"));
        props.push(format!("col={col}"));
        props.push(format!("endLine={el}"));
        if el == line {
            props.push(format!("endColumn={ec}"));
        }
    }
    props.push(format!("title={}", gh_escape_prop(title)));
    format!(
        "::{level} {}::{}\n",
        props.join(","),
        gh_escape_data(message)
    )
}

fn github(diags: &[Diagnostic], db: &SourceDb) -> String {
    let mut out = String::new();
    for d in diags {
        let mut msg = d.message.clone();
        if let Some(h) = &d.help {
            msg.push_str("\nhelp: ");
            msg.push_str(h);
        }
        out.push_str(&annotation(
            d.severity,
            d.primary.as_ref().map(|p| (db, p.span)),
            &format!("{} {}", d.code_str(), d.code.name()),
            &msg,
        ));
    }
    out
}
