//! ODCS v3 documents as meshc reads them, and their mapping onto a port.
//!
//! A port's `contract:` names an Open Data Contract Standard v3 file. The
//! loader (`load::contract`) reads it, [`parse`]s it into a [`Contract`]
//! and [`map_port`]s the schema object for the port onto the port's
//! columns, primary key, quality checks, SLA and description ([`apply`]).
//!
//! Every value keeps its [`Sp`] location in the contract file: the file is
//! parsed inside `sp::in_file`, which marks each [`Loc`] as being in that
//! file, so a rule that reports a column with `span_of(product.file, loc)`
//! points at the contract's own line.
//!
//! The types list every field ODCS v3.0.x and v3.1.x define on the
//! objects meshc reads (the contract, schema objects, properties, quality
//! checks, SLA properties), so a misspelt key is an error rather than a
//! silently dropped guarantee; the fields meshc does not use are read as
//! [`IgnoredAny`]. Nothing here touches the file system.
//!
//! The mapping (the book's "ODCS contracts" page has the table):
//!
//! - the port's schema object: the only one, or the one named like the port;
//! - property → column; `logicalType`/`physicalType` → a logical type
//!   ([`physical_type`], then the logical type and its options),
//!   `required` → `nullable`, `description`, `classification`;
//! - `primaryKey` (+ `primaryKeyPosition`) → the port's `primaryKey`;
//! - `unique` and the library quality metrics meshc has a check for →
//!   `quality`;
//! - `slaProperties` `latency`/`freshness`, `availability`, `retention` →
//!   `sla`.
//!
//! What meshc cannot represent is either an error (a type it cannot map, an
//! SLA value it cannot read) or, for quality checks and SLA properties
//! meshc has no equivalent for, an info that says it is ignored.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic, Severity, suggest};
use crate::load::parse::{options, token_len, yaml_error};
use crate::load::sp::{self, Loc, Sp};
use crate::load::syntax::{Column, Masking, Port, PortType, Quality, QualityType, Sla};
use crate::model::span_of;
use crate::source::{FileId, SourceFile, Span};
use crate::types::LogicalType;

/// A field meshc does not read (its value is not checked).
type Ignored = Option<IgnoredAny>;

/// An ODCS v3 data contract (`kind: DataContract`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Contract {
    /// `v3.x.y`.
    pub api_version: Sp<String>,
    /// `DataContract`.
    pub kind: Sp<String>,
    /// Required by ODCS; not used by a port's `contract:`.
    pub id: Sp<Value>,
    /// Required by ODCS; the product's version on import.
    pub version: Sp<Value>,
    /// Required by ODCS; the product's status on import.
    pub status: Sp<Value>,
    #[serde(default)]
    pub name: Option<Sp<String>>,
    #[serde(default)]
    pub domain: Option<Sp<String>>,
    #[serde(default)]
    pub schema: Option<Sp<Vec<Sp<SchemaObject>>>>,
    #[serde(default)]
    pub sla_properties: Option<Sp<Vec<Sp<SlaProperty>>>>,
    #[serde(default)]
    pub tenant: Ignored,
    #[serde(default)]
    pub tags: Option<Sp<Value>>,
    #[serde(default)]
    pub servers: Ignored,
    #[serde(default)]
    pub data_product: Option<Sp<String>>,
    /// The contract's `purpose`/`usage`/`limitations`.
    #[serde(default)]
    pub description: Option<Sp<Value>>,
    #[serde(default)]
    pub support: Option<Sp<Value>>,
    #[serde(default)]
    pub price: Ignored,
    /// A team object (v3.1) or a list of members (v3.0).
    #[serde(default)]
    pub team: Option<Sp<Value>>,
    #[serde(default)]
    pub roles: Option<Sp<Value>>,
    #[serde(default)]
    pub sla_default_element: Ignored,
    #[serde(default)]
    pub authoritative_definitions: Ignored,
    #[serde(default)]
    pub custom_properties: Vec<Sp<CustomProperty>>,
    #[serde(default)]
    pub contract_created_ts: Ignored,
}

/// One entry of a `customProperties` list. Other keys are tolerated
/// (tools add their own): meshc reads only `property` and `value`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomProperty {
    pub property: Sp<String>,
    pub value: Sp<Value>,
}

/// The value of the custom property `name` in `list`, if any.
pub fn custom<'a>(list: &'a [Sp<CustomProperty>], name: &str) -> Option<&'a Sp<CustomProperty>> {
    list.iter().find(|p| p.property.as_str() == name)
}

/// One element of `schema`: a table, view, topic or file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SchemaObject {
    pub name: Sp<String>,
    /// `table`, `view`, `topic`, `file`, … (checked against the port type).
    #[serde(default)]
    pub physical_type: Option<Sp<String>>,
    /// Only `object` is valid here.
    #[serde(default)]
    pub logical_type: Option<Sp<String>>,
    #[serde(default)]
    pub description: Option<Sp<String>>,
    #[serde(default)]
    pub properties: Option<Sp<Vec<Sp<Property>>>>,
    #[serde(default)]
    pub quality: Vec<Sp<QualityCheck>>,
    #[serde(default)]
    pub id: Ignored,
    #[serde(default)]
    pub physical_name: Ignored,
    #[serde(default)]
    pub business_name: Ignored,
    #[serde(default)]
    pub authoritative_definitions: Ignored,
    #[serde(default)]
    pub tags: Ignored,
    #[serde(default)]
    pub custom_properties: Vec<Sp<CustomProperty>>,
    #[serde(default)]
    pub data_granularity_description: Ignored,
    #[serde(default)]
    pub relationships: Ignored,
}

/// A property of a schema object (a column), of an `object` property (a
/// field) or the `items` of an `array` property.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Property {
    /// Required, except on `items`.
    #[serde(default)]
    pub name: Option<Sp<String>>,
    #[serde(default)]
    pub logical_type: Option<Sp<String>>,
    #[serde(default)]
    pub logical_type_options: Option<Sp<Value>>,
    #[serde(default)]
    pub physical_type: Option<Sp<String>>,
    #[serde(default)]
    pub required: Option<Sp<bool>>,
    #[serde(default)]
    pub unique: Option<Sp<bool>>,
    #[serde(default)]
    pub primary_key: Option<Sp<bool>>,
    #[serde(default)]
    pub primary_key_position: Option<Sp<i64>>,
    #[serde(default)]
    pub classification: Option<Sp<String>>,
    #[serde(default)]
    pub description: Option<Sp<String>>,
    #[serde(default)]
    pub quality: Vec<Sp<QualityCheck>>,
    /// The fields of an `object`.
    #[serde(default)]
    pub properties: Option<Vec<Sp<Property>>>,
    /// The element of an `array`.
    #[serde(default)]
    pub items: Option<Box<Sp<Property>>>,
    #[serde(default)]
    pub id: Ignored,
    #[serde(default)]
    pub physical_name: Ignored,
    #[serde(default)]
    pub business_name: Ignored,
    #[serde(default)]
    pub authoritative_definitions: Ignored,
    #[serde(default)]
    pub tags: Ignored,
    #[serde(default)]
    pub custom_properties: Vec<Sp<CustomProperty>>,
    #[serde(default)]
    pub partitioned: Ignored,
    #[serde(default)]
    pub partition_key_position: Ignored,
    #[serde(default)]
    pub encrypted_name: Ignored,
    /// Where the column comes from; meshc column FQNs are its `derivedFrom`.
    #[serde(default)]
    pub transform_source_objects: Option<Sp<Vec<Sp<String>>>>,
    #[serde(default)]
    pub transform_logic: Ignored,
    #[serde(default)]
    pub transform_description: Ignored,
    #[serde(default)]
    pub examples: Ignored,
    #[serde(default)]
    pub critical_data_element: Ignored,
    #[serde(default)]
    pub relationships: Ignored,
}

/// A data quality check (`quality:` of a schema object or a property).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QualityCheck {
    /// `library` (the default), `text`, `sql` or `custom`.
    #[serde(default, rename = "type")]
    pub check_type: Option<Sp<String>>,
    /// The library metric (v3.1).
    #[serde(default)]
    pub metric: Option<Sp<String>>,
    /// The library rule (v3.0; `metric` since v3.1).
    #[serde(default)]
    pub rule: Option<Sp<String>>,
    #[serde(default)]
    pub arguments: Option<Sp<Value>>,
    #[serde(default)]
    pub must_be: Option<Sp<Value>>,
    #[serde(default)]
    pub must_not_be: Option<Sp<Value>>,
    #[serde(default)]
    pub must_be_greater_than: Option<Sp<Value>>,
    #[serde(default)]
    pub must_be_greater_or_equal_to: Option<Sp<Value>>,
    #[serde(default)]
    pub must_be_less_than: Option<Sp<Value>>,
    #[serde(default)]
    pub must_be_less_or_equal_to: Option<Sp<Value>>,
    #[serde(default)]
    pub must_be_between: Option<Sp<Value>>,
    #[serde(default)]
    pub must_not_be_between: Option<Sp<Value>>,
    #[serde(default)]
    pub unit: Option<Sp<String>>,
    #[serde(default)]
    pub name: Option<Sp<String>>,
    #[serde(default)]
    pub description: Option<Sp<String>>,
    #[serde(default)]
    pub id: Ignored,
    #[serde(default)]
    pub authoritative_definitions: Ignored,
    #[serde(default)]
    pub business_impact: Ignored,
    #[serde(default)]
    pub custom_properties: Ignored,
    #[serde(default)]
    pub dimension: Ignored,
    #[serde(default)]
    pub method: Ignored,
    #[serde(default)]
    pub schedule: Ignored,
    #[serde(default)]
    pub scheduler: Ignored,
    #[serde(default)]
    pub severity: Ignored,
    #[serde(default)]
    pub tags: Ignored,
    /// `sql` checks.
    #[serde(default)]
    pub query: Ignored,
    /// `custom` checks (`engine: meshc` holds a meshc check).
    #[serde(default)]
    pub engine: Option<Sp<String>>,
    #[serde(default)]
    pub implementation: Option<Sp<Value>>,
}

/// One entry of `slaProperties`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SlaProperty {
    pub property: Sp<String>,
    pub value: Sp<Value>,
    #[serde(default)]
    pub unit: Option<Sp<String>>,
    /// `object.element`, comma-separated; an entry naming only other
    /// schema objects does not apply to the port.
    #[serde(default)]
    pub element: Option<Sp<String>>,
    #[serde(default)]
    pub id: Ignored,
    #[serde(default)]
    pub value_ext: Ignored,
    #[serde(default)]
    pub driver: Ignored,
    #[serde(default)]
    pub description: Ignored,
    #[serde(default)]
    pub scheduler: Ignored,
    #[serde(default)]
    pub schedule: Ignored,
}

// ---------------------------------------------------------------- parsing

/// Whether `s` has the shape of a column FQN: four names joined by dots.
pub fn is_column_fqn(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            p.starts_with(|c: char| c.is_ascii_lowercase())
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

/// Whether `v` is an ODCS v3 `apiVersion` (`v3.<minor>.<patch>`).
pub fn is_v3(v: &str) -> bool {
    let Some(rest) = v.strip_prefix("v3.") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('.').collect();
    parts.len() == 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// The first thing written in the file (skipping blank and comment lines):
/// where findings about the document as a whole point.
fn document_start(file: FileId, src: &SourceFile) -> Span {
    let mut offset = 0;
    for line in src.text.split_inclusive('\n') {
        let t = line.trim_start();
        if !t.is_empty() && !t.starts_with('#') && !t.starts_with("---") {
            let start = offset + (line.len() - t.len());
            return Span::new(file, start, start + token_len(&src.text, start));
        }
        offset += line.len();
    }
    Span::new(file, 0, src.text.len().min(1))
}

/// The span a serde-saphyr error points at, in `file`.
fn error_span(file: FileId, src: &SourceFile, line_col: Option<(u32, u32)>) -> Span {
    match line_col {
        Some((line, col)) => {
            let start = src.offset_of(line as usize, col as usize);
            let end = (start + token_len(&src.text, start)).min(src.text.len());
            Span::new(file, start, end)
        }
        None => document_start(file, src),
    }
}

fn m008(message: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::new(Code::M008, message).with_primary(span, "")
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Parses a contract file (`file` in the source db). Never panics: a file
/// that is not YAML, not an ODCS v3 contract or not valid ODCS for what
/// meshc reads is one M008 diagnostic pointing into it.
pub fn parse(file: FileId, src: &SourceFile) -> Result<Contract, Box<Diagnostic>> {
    parse_contract(file, src).map_err(Box::new)
}

#[allow(clippy::result_large_err)] // boxed by `parse`
fn parse_contract(file: FileId, src: &SourceFile) -> Result<Contract, Diagnostic> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Envelope {
        #[serde(default)]
        api_version: Option<Sp<Value>>,
        #[serde(default)]
        kind: Option<Sp<Value>>,
    }
    let start = document_start(file, src);
    let envelope = sp::in_file(file, || {
        serde_saphyr::from_str_with_options::<Option<Envelope>>(&src.text, options())
    });
    let envelope = match envelope {
        Ok(Some(e)) => e,
        Ok(None) => {
            return Err(m008("the contract file is empty", start)
                .with_help("a contract is an ODCS v3 document: apiVersion, kind: DataContract, id, version, status and schema"));
        }
        Err(e) => {
            let err = yaml_error(&e);
            let span = error_span(file, src, err.line_col);
            let d = if err.message.contains("multiple YAML documents") {
                return Err(m008(
                    "the contract file holds more than one YAML document",
                    span,
                )
                .with_help("a contract file is one ODCS document; remove the `---` and what follows, or split the file"));
            } else if err.code == Code::M001 {
                m008(
                    format!("the contract file is not valid YAML: {}", err.message),
                    span,
                )
            } else {
                m008(
                    "the contract file is not an ODCS document (a mapping with apiVersion, kind, …)",
                    span,
                )
            };
            return Err(match err.help {
                Some(h) if err.code == Code::M001 => d.with_help(h),
                _ => d,
            });
        }
    };
    let Some(api) = &envelope.api_version else {
        return Err(m008("the contract file has no `apiVersion`", start)
            .with_help("an ODCS v3 contract starts with `apiVersion: v3.1.0` (or v3.0.x) and `kind: DataContract`"));
    };
    let api_text = scalar_text(&api.value);
    if !is_v3(&api_text) {
        let help = if api_text.starts_with("meshc/") {
            "this is a meshc document; `contract:` names an ODCS v3 contract file".to_string()
        } else if api_text.starts_with("v2.") {
            "meshc reads ODCS v3 contracts (v3.0.x, v3.1.x); upgrade the contract to v3 (the ODCS project documents the changes)".to_string()
        } else {
            "meshc reads ODCS v3 contracts: `apiVersion: v3.1.0` (or another v3.x.y)".to_string()
        };
        return Err(m008(
            format!("unsupported contract apiVersion `{api_text}`"),
            span_of(file, api.loc),
        )
        .with_help(help));
    }
    match &envelope.kind {
        Some(k) if scalar_text(&k.value) == "DataContract" => {}
        Some(k) => {
            return Err(m008(
                format!(
                    "the contract's kind is `{}`, not `DataContract`",
                    scalar_text(&k.value)
                ),
                span_of(file, k.loc),
            )
            .with_help("an ODCS v3 contract has `kind: DataContract`"));
        }
        None => {
            return Err(
                m008("the contract file has no `kind`", span_of(file, api.loc))
                    .with_help("add `kind: DataContract`"),
            );
        }
    }
    let parsed = sp::in_file(file, || {
        serde_saphyr::from_str_with_options::<Contract>(&src.text, options())
    });
    parsed.map_err(|e| {
        let err = yaml_error(&e);
        // A required top-level field is missed where the document ends;
        // point at its start instead.
        let top = ["`id`", "`version`", "`status`"]
            .iter()
            .any(|f| err.message == format!("missing field {f}"));
        let span = if top {
            start
        } else {
            error_span(file, src, err.line_col)
        };
        let mut d = m008(format!("not valid ODCS v3: {}", err.message), span);
        let help = match err.help {
            Some(h) => h,
            None if err.message.starts_with("missing field") => {
                "ODCS v3 requires apiVersion, kind, id, version and status at the top; schema objects and properties need a `name`, SLA properties `property` and `value`".into()
            }
            None => "see the ODCS v3 JSON Schema for this field".into(),
        };
        d = d.with_help(help);
        d
    })
}

// ---------------------------------------------------------------- mapping

/// What a port takes from its contract, merged with what the port itself
/// writes ([`map_port`]); [`apply`] puts it on the port.
#[derive(Debug)]
pub struct PortSchema {
    pub columns: Vec<Sp<Column>>,
    pub primary_key: Vec<Sp<String>>,
    pub quality: Vec<Sp<Quality>>,
    pub sla: Option<Sp<Sla>>,
    pub description: Option<Sp<String>>,
}

/// Puts a mapped schema on its port. `contract` is the contract file.
pub fn apply(port: &mut Port, schema: PortSchema, contract: FileId) {
    port.columns = Some(schema.columns);
    port.primary_key = schema.primary_key;
    port.quality = schema.quality;
    port.sla = schema.sla;
    port.description = schema.description;
    port.contract_file = Some(contract);
}

/// The ODCS logical types.
const LOGICAL_TYPES: [&str; 9] = [
    "string",
    "date",
    "timestamp",
    "time",
    "number",
    "integer",
    "object",
    "array",
    "boolean",
];

/// The library metrics meshc maps (for "did you mean").
const METRICS: [&str; 6] = [
    "nullValues",
    "missingValues",
    "duplicateValues",
    "duplicateCount",
    "invalidValues",
    "rowCount",
];

const QUALITY_HELP: &str = "meshc maps the library metrics nullValues and missingValues (to not_null), duplicateValues (unique) and invalidValues with `arguments.validValues` (accepted_values), each with `mustBe: 0`, and rowCount (row_count) with whole-number bounds; the check stays in the contract for the tools that run it";

const SLA_HELP: &str = "meshc's `sla` has freshness (ODCS `latency`), availability and retention; the property stays in the contract for the tools that read it";

struct Mapper<'a> {
    file: FileId,
    /// The product's file and the port's `contract:` value, for related labels.
    product_file: FileId,
    port: &'a Port,
    diags: Vec<Diagnostic>,
    failed: bool,
    /// Mapping for `meshc import odcs`, which takes `endOfLife` as the
    /// product's sunset.
    import: bool,
    /// The products and sources (`domain.name`) a `transformSourceObjects`
    /// entry may name to be taken as lineage.
    known: &'a dyn Fn(&str) -> bool,
}

impl Mapper<'_> {
    fn related(&self, d: Diagnostic) -> Diagnostic {
        match &self.port.contract {
            Some(c) => d.with_related(
                span_of(self.product_file, c.loc),
                format!(
                    "port `{}` takes its schema from here",
                    self.port.name.as_str()
                ),
            ),
            None => d,
        }
    }

    fn error(&mut self, message: String, loc: Loc, help: impl Into<String>) {
        self.failed = true;
        let d = m008(message, span_of(self.file, loc)).with_help(help);
        self.diags.push(d);
    }

    /// Something meshc ignores: an info, so that a contract with checks
    /// for other tools does not fail `--deny-warnings`.
    fn ignored(&mut self, message: String, loc: Loc, help: impl Into<String>) {
        let mut d = m008(message, span_of(self.file, loc)).with_help(help);
        d.severity = Severity::Info;
        self.diags.push(d);
    }

    /// The schema object of the port: the only one, or the one with the
    /// port's name.
    fn schema_object<'c>(&mut self, c: &'c Contract) -> Option<&'c Sp<SchemaObject>> {
        let port = self.port.name.as_str();
        let objects: &[Sp<SchemaObject>] = c.schema.as_ref().map(|s| &s.value[..]).unwrap_or(&[]);
        match objects {
            [] => {
                let loc = c.schema.as_ref().map(|s| s.loc).unwrap_or(c.kind.loc);
                let d = self.related(
                    m008(
                        "the contract has no schema object: meshc takes the port's columns from one",
                        span_of(self.file, loc),
                    )
                    .with_help(format!(
                        "add a schema object (`schema: [{{ name: {port}, properties: [...] }}]`)"
                    )),
                );
                self.failed = true;
                self.diags.push(d);
                None
            }
            [only] => Some(only),
            many => {
                if let Some(o) = many.iter().find(|o| o.name.as_str() == port) {
                    return Some(o);
                }
                let names: Vec<&str> = many.iter().map(|o| o.name.as_str()).collect();
                let help = match suggest(port, names.iter().copied()) {
                    Some(s) => format!(
                        "the contract has several schema objects and the port takes the one named like it; did you mean to name the port or the object `{s}`?"
                    ),
                    None => format!(
                        "the contract has several schema objects and the port takes the one named like it; it has: {}",
                        names.join(", ")
                    ),
                };
                let loc = c.schema.as_ref().map(|s| s.loc).unwrap_or(c.kind.loc);
                let d = self.related(
                    m008(
                        format!("the contract has no schema object named `{port}`"),
                        span_of(self.file, loc),
                    )
                    .with_help(help),
                );
                self.failed = true;
                self.diags.push(d);
                None
            }
        }
    }

    /// The object's `physicalType` against the port's type: a relation
    /// (table, view), a stream (topic, stream) or a file.
    fn check_object_kind(&mut self, o: &SchemaObject) {
        if let Some(l) = &o.logical_type
            && l.as_str() != "object"
        {
            self.error(
                format!(
                    "schema object `{}` has logicalType `{}`",
                    o.name.as_str(),
                    l.as_str()
                ),
                l.loc,
                "a schema object's logicalType is `object` (or omitted)",
            );
        }
        let Some(pt) = &o.physical_type else { return };
        let group = |s: &str| match s {
            "table" | "view" => Some(0),
            "topic" | "stream" => Some(1),
            "file" => Some(2),
            _ => None,
        };
        let port_type = self
            .port
            .port_type
            .as_ref()
            .map(|t| t.value)
            .unwrap_or(PortType::Table);
        let Some(theirs) = group(&pt.to_ascii_lowercase()) else {
            return;
        };
        if Some(theirs) != group(port_type.as_str()) {
            let d = self.related(
                m008(
                    format!(
                        "schema object `{}` has physicalType `{}`, but port `{}` is a `{}`",
                        o.name.as_str(),
                        pt.as_str(),
                        self.port.name.as_str(),
                        port_type.as_str()
                    ),
                    span_of(self.file, pt.loc),
                )
                .with_help("a `table` or `view` port takes a table or view, a `stream` port a topic or stream, a `file` port a file; point the port at the contract of what it publishes, or change its `type`"),
            );
            self.failed = true;
            self.diags.push(d);
        }
    }

    /// A property's logical type: from `physicalType` when meshc reads it
    /// (it must agree with `logicalType`), else from `logicalType` and its
    /// options. Reports and returns `None` when there is none.
    fn property_type(&mut self, p: &Sp<Property>, what: &str) -> Option<(LogicalType, Loc)> {
        let logical = match &p.logical_type {
            Some(l) if !LOGICAL_TYPES.contains(&l.as_str()) => {
                let help = match suggest(l, LOGICAL_TYPES) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("ODCS logical types are: {}", LOGICAL_TYPES.join(", ")),
                };
                self.error(
                    format!("{what} has an unknown logicalType `{}`", l.as_str()),
                    l.loc,
                    help,
                );
                return None;
            }
            other => other.as_ref(),
        };
        if let Some(pt) = &p.physical_type {
            match physical_type(pt) {
                Some(Ok(t)) => {
                    if let Some(l) = logical
                        && !agrees(l, &t)
                    {
                        self.error(
                            format!(
                                "{what}: logicalType `{}` and physicalType `{}` disagree",
                                l.as_str(),
                                pt.as_str()
                            ),
                            pt.loc,
                            format!("`{}` reads as the meshc type `{t}`; make the two types say the same", pt.as_str()),
                        );
                        return None;
                    }
                    return Some((t, pt.loc));
                }
                Some(Err(why)) => {
                    self.error(
                        format!("cannot map {what}: physicalType `{}`: {why}", pt.as_str()),
                        pt.loc,
                        "write a type meshc can hold, e.g. decimal(38,2), varchar(255), timestamp",
                    );
                    return None;
                }
                None => {}
            }
        }
        let Some(l) = logical else {
            let (msg, loc) = match &p.physical_type {
                Some(pt) => (
                    format!(
                        "cannot map {what}: physicalType `{}` is not a type meshc reads and there is no logicalType",
                        pt.as_str()
                    ),
                    pt.loc,
                ),
                None => (format!("{what} has no type"), p.loc),
            };
            self.error(
                msg,
                loc,
                "add a logicalType (string, integer, number, boolean, date, timestamp, time, object, array) and a physicalType meshc reads, such as varchar(32), bigint, decimal(12,2)",
            );
            return None;
        };
        let opts = p.logical_type_options.as_ref().map(|o| &o.value);
        let opt_str = |k: &str| opts.and_then(|o| o.get(k)).and_then(Value::as_str);
        let physical_note = match &p.physical_type {
            Some(pt) => format!(" (physicalType `{}` is not one meshc reads)", pt.as_str()),
            None => String::new(),
        };
        let t = match l.as_str() {
            "string" => {
                let max = opts
                    .and_then(|o| o.get("maxLength"))
                    .and_then(Value::as_u64);
                match (opt_str("format"), max) {
                    (Some("uuid"), _) => LogicalType::Uuid,
                    (_, Some(n)) if n >= 1 && n <= u64::from(u32::MAX) => {
                        LogicalType::Varchar(n as u32)
                    }
                    _ => LogicalType::String,
                }
            }
            "integer" => match opt_str("format").unwrap_or("i32") {
                "i8" | "i16" | "u8" => LogicalType::Smallint,
                "i32" | "u16" => LogicalType::Integer,
                "i64" | "u32" => LogicalType::Bigint,
                "u64" => LogicalType::Decimal {
                    precision: 20,
                    scale: 0,
                },
                other => {
                    self.error(
                        format!("cannot map {what}: integer format `{other}` is wider than any meshc type"),
                        l.loc,
                        "meshc integers go up to 64 bits (bigint) and decimals to 38 digits",
                    );
                    return None;
                }
            },
            "number" => match opt_str("format") {
                Some("f32") => LogicalType::Real,
                Some("f64") => LogicalType::Double,
                _ => {
                    self.error(
                        format!("cannot map {what}: logicalType `number` says neither precision nor size{physical_note}"),
                        l.loc,
                        "give a physicalType meshc reads, such as decimal(12,2), double or real, or logicalTypeOptions `format: f32`/`f64`; meshc does not guess a number's type",
                    );
                    return None;
                }
            },
            "boolean" => LogicalType::Boolean,
            "date" => LogicalType::Date,
            "time" => LogicalType::Time,
            "timestamp" => {
                let tz = opts
                    .and_then(|o| o.get("timezone"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if tz {
                    LogicalType::Timestamptz
                } else {
                    LogicalType::Timestamp
                }
            }
            "object" => match &p.properties {
                Some(fields) if !fields.is_empty() => {
                    let mut out = Vec::new();
                    let mut ok = true;
                    for f in fields {
                        let Some(name) = &f.name else {
                            self.error(
                                format!("a field of {what} has no `name`"),
                                f.loc,
                                "every property of an object has a name",
                            );
                            ok = false;
                            continue;
                        };
                        let inner = format!("field `{}` of {what}", name.as_str());
                        match self.property_type(f, &inner) {
                            Some((t, _)) => out.push((name.value.clone(), t)),
                            None => ok = false,
                        }
                    }
                    if !ok {
                        return None;
                    }
                    LogicalType::Struct(out)
                }
                _ => LogicalType::Json,
            },
            "array" => match &p.items {
                Some(items) => {
                    let inner = format!("the items of {what}");
                    let (t, _) = self.property_type(items, &inner)?;
                    LogicalType::Array(Box::new(t))
                }
                None => {
                    self.error(
                        format!("cannot map {what}: an array without `items`{physical_note}"),
                        l.loc,
                        "say the element type in `items` (e.g. `items: { logicalType: string }`), or give a physicalType such as array<string> or json",
                    );
                    return None;
                }
            },
            // Every ODCS logical type is matched above; an unknown one
            // was reported before.
            _ => return None,
        };
        Some((t, l.loc))
    }

    /// A property → a column (with its type checked as a whole).
    fn column(&mut self, p: &Sp<Property>) -> Option<Sp<Column>> {
        let Some(name) = &p.name else {
            self.error(
                "a property of the schema object has no `name`".into(),
                p.loc,
                "every property (column) has a name",
            );
            return None;
        };
        let what = format!("property `{}`", name.as_str());
        let (t, type_loc) = self.property_type(p, &what)?;
        // Types built from nested properties are checked like a written
        // one (struct field names, nesting depth, decimal bounds).
        let text = t.to_string();
        if let Err(e) = LogicalType::parse(&text) {
            self.error(
                format!("cannot map {what} to a meshc type: {}", e.message),
                type_loc,
                format!("it reads as `{text}`"),
            );
            return None;
        }
        let nullable = p.required.as_ref().map(|r| Sp::new(!r.value, r.loc));
        let masking = self.masking(p, &what);
        let derived_from = self.derived_from(p, &what);
        Some(Sp::new(
            Column {
                name: name.clone(),
                column_type: Sp::new(text, type_loc),
                nullable,
                description: p.description.clone(),
                classification: p.classification.clone(),
                masking,
                derived_from,
            },
            p.loc,
        ))
    }

    /// The custom property `masking` (meshc's own, written by its export):
    /// none, hash, redact or nullify.
    fn masking(&mut self, p: &Property, what: &str) -> Option<Sp<Masking>> {
        let m = custom(&p.custom_properties, "masking")?;
        let parsed = match m.value.value.as_str() {
            Some("none") => Some(Masking::None),
            Some("hash") => Some(Masking::Hash),
            Some("redact") => Some(Masking::Redact),
            Some("nullify") => Some(Masking::Nullify),
            _ => None,
        };
        match parsed {
            Some(v) => Some(Sp::new(v, m.value.value.loc)),
            None => {
                self.error(
                    format!(
                        "{what}: custom property `masking` is `{}`",
                        scalar_text(&m.value.value)
                    ),
                    m.value.value.loc,
                    "meshc masks a column with none, hash, redact or nullify",
                );
                None
            }
        }
    }

    /// `transformSourceObjects` that name a column of a product or source
    /// the mesh has (`domain.product.port.column`,
    /// `domain.source.table.column`) are the column's `derivedFrom`; other
    /// entries (tables and files of other systems, such as
    /// `db.schema.table.column`) are left to the tools that read them.
    fn derived_from(&mut self, p: &Property, what: &str) -> Vec<Sp<String>> {
        let Some(list) = &p.transform_source_objects else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for o in list.iter() {
            let owner = o.as_str().rsplitn(3, '.').nth(2).unwrap_or("");
            if is_column_fqn(o.as_str()) && (self.known)(owner) {
                out.push(o.clone());
            } else {
                self.ignored(
                    format!(
                        "{what}: transformSourceObjects entry `{}` names no column of a product or source of the mesh; meshc does not take it as lineage",
                        o.as_str()
                    ),
                    o.loc,
                    "meshc's `derivedFrom` names columns of other products; the entry stays in the contract for the tools that read it",
                );
            }
        }
        out
    }

    /// A quality check → a meshc check, or a warning that it is ignored.
    fn quality(
        &mut self,
        q: &Sp<QualityCheck>,
        column: Option<&Sp<String>>,
    ) -> Option<Sp<Quality>> {
        let on = match column {
            Some(c) => format!(" on `{}`", c.as_str()),
            None => String::new(),
        };
        let label = q
            .name
            .as_ref()
            .map(|n| format!(" `{}`", n.as_str()))
            .unwrap_or_default();
        let check_type = q
            .check_type
            .as_ref()
            .map(|t| t.as_str())
            .unwrap_or("library");
        if check_type == "custom"
            && q.engine.as_ref().is_some_and(|e| e.as_str() == "meshc")
            && let Some(imp) = &q.implementation
        {
            return self.meshc_check(q, imp, column);
        }
        if check_type != "library" {
            self.ignored(
                format!("meshc ignores the `{check_type}` quality check{label}{on}: it has no equivalent"),
                q.check_type.as_ref().map(|t| t.loc).unwrap_or(q.loc),
                QUALITY_HELP,
            );
            return None;
        }
        let Some(metric) = q.metric.as_ref().or(q.rule.as_ref()) else {
            self.ignored(
                format!("meshc ignores the quality check{label}{on}: it names no library `metric`"),
                q.loc,
                QUALITY_HELP,
            );
            return None;
        };
        let ignore = |m: &mut Self, why: &str| {
            m.ignored(
                format!(
                    "meshc ignores the quality check `{}`{on}: {why}",
                    metric.as_str()
                ),
                metric.loc,
                QUALITY_HELP,
            );
            None
        };
        let zero = || {
            q.must_be.as_ref().and_then(|v| v.as_f64()) == Some(0.0)
                || q.must_be_less_or_equal_to.as_ref().and_then(|v| v.as_f64()) == Some(0.0)
        };
        let operators = [
            q.must_be.is_some(),
            q.must_not_be.is_some(),
            q.must_be_greater_than.is_some(),
            q.must_be_greater_or_equal_to.is_some(),
            q.must_be_less_than.is_some(),
            q.must_be_less_or_equal_to.is_some(),
            q.must_be_between.is_some(),
            q.must_not_be_between.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if operators != 1 {
            return ignore(
                self,
                "a check compares with exactly one of mustBe, mustBeLessThan, …",
            );
        }
        let arg = |k: &str| q.arguments.as_ref().and_then(|a| a.value.get(k));
        let make = |check: QualityType| Quality {
            check: Sp::new(check, metric.loc),
            column: None,
            columns: Vec::new(),
            values: Vec::new(),
            max_age: None,
            min: None,
            max: None,
            description: q.description.clone(),
        };
        let quality = match metric.as_str() {
            "nullValues" | "missingValues" => {
                let Some(c) = column else {
                    return ignore(self, "it belongs on a property");
                };
                if metric.as_str() == "missingValues"
                    && arg("missingValues")
                        .and_then(Value::as_array)
                        .is_some_and(|l| l.iter().any(|v| !v.is_null()))
                {
                    return ignore(
                        self,
                        "meshc checks for NULL only, not for other missing values",
                    );
                }
                if !zero() {
                    return ignore(self, "only `mustBe: 0` maps to not_null");
                }
                Quality {
                    column: Some(c.clone()),
                    ..make(QualityType::NotNull)
                }
            }
            "duplicateValues" | "duplicateCount" => {
                if !zero() {
                    return ignore(self, "only `mustBe: 0` maps to unique");
                }
                let columns = match (column, arg("properties").and_then(Value::as_array)) {
                    (Some(c), _) => vec![c.clone()],
                    (None, Some(list)) if !list.is_empty() => {
                        let loc = q.arguments.as_ref().map(|a| a.loc).unwrap_or(q.loc);
                        let mut cols = Vec::new();
                        for v in list {
                            let Some(s) = v.as_str() else {
                                return ignore(
                                    self,
                                    "`arguments.properties` must list property names",
                                );
                            };
                            cols.push(Sp::new(s.to_string(), loc));
                        }
                        cols
                    }
                    (None, _) => {
                        return ignore(self, "on a schema object it needs `arguments.properties`");
                    }
                };
                Quality {
                    columns,
                    ..make(QualityType::Unique)
                }
            }
            "invalidValues" => {
                let Some(c) = column else {
                    return ignore(self, "it belongs on a property");
                };
                let Some(values) = arg("validValues").and_then(Value::as_array) else {
                    return ignore(self, "meshc maps it only with `arguments.validValues`");
                };
                if !zero() {
                    return ignore(self, "only `mustBe: 0` maps to accepted_values");
                }
                let loc = q.arguments.as_ref().map(|a| a.loc).unwrap_or(q.loc);
                Quality {
                    column: Some(c.clone()),
                    values: values.iter().map(|v| Sp::new(v.clone(), loc)).collect(),
                    ..make(QualityType::AcceptedValues)
                }
            }
            "rowCount" => {
                if column.is_some() {
                    return ignore(self, "it belongs on a schema object");
                }
                if q.unit.as_ref().is_some_and(|u| u.as_str() != "rows") {
                    return ignore(self, "meshc bounds counts of rows only");
                }
                let whole = |v: &Sp<Value>| {
                    v.as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= 9.0e15)
                        .map(|f| f as u64)
                };
                let num = |v: &Option<Sp<Value>>| v.as_ref().map(|v| (whole(v), v.loc));
                let (min, max) = if let Some((n, loc)) = num(&q.must_be) {
                    let Some(n) = n else {
                        return ignore(self, "bounds must be whole numbers of rows");
                    };
                    (Some(Sp::new(n, loc)), Some(Sp::new(n, loc)))
                } else if let Some((n, loc)) = num(&q.must_be_greater_than) {
                    let Some(n) = n else {
                        return ignore(self, "bounds must be whole numbers of rows");
                    };
                    (Some(Sp::new(n + 1, loc)), None)
                } else if let Some((n, loc)) = num(&q.must_be_greater_or_equal_to) {
                    let Some(n) = n else {
                        return ignore(self, "bounds must be whole numbers of rows");
                    };
                    (Some(Sp::new(n, loc)), None)
                } else if let Some((n, loc)) = num(&q.must_be_less_than) {
                    match n {
                        Some(n) if n >= 1 => (None, Some(Sp::new(n - 1, loc))),
                        _ => return ignore(self, "bounds must be whole numbers of rows"),
                    }
                } else if let Some((n, loc)) = num(&q.must_be_less_or_equal_to) {
                    let Some(n) = n else {
                        return ignore(self, "bounds must be whole numbers of rows");
                    };
                    (None, Some(Sp::new(n, loc)))
                } else if let Some(b) = &q.must_be_between {
                    let pair: Vec<Option<u64>> = b
                        .as_array()
                        .map(|l| {
                            l.iter()
                                .map(|v| {
                                    v.as_f64()
                                        .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= 9.0e15)
                                        .map(|f| f as u64)
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    match pair[..] {
                        [Some(a), Some(z)] if a <= z => {
                            (Some(Sp::new(a, b.loc)), Some(Sp::new(z, b.loc)))
                        }
                        _ => {
                            return ignore(
                                self,
                                "bounds must be two whole numbers of rows, smallest first",
                            );
                        }
                    }
                } else {
                    return ignore(self, "meshc bounds row counts from below and above only");
                };
                Quality {
                    min,
                    max,
                    ..make(QualityType::RowCount)
                }
            }
            other => {
                let help = match suggest(other, METRICS) {
                    Some(s) => format!("did you mean `{s}`? {QUALITY_HELP}"),
                    None => QUALITY_HELP.to_string(),
                };
                self.ignored(
                    format!("meshc ignores the quality check `{other}`{on}: it has no equivalent"),
                    metric.loc,
                    help,
                );
                return None;
            }
        };
        Some(Sp::new(quality, q.loc))
    }

    /// A `custom` check with `engine: meshc`: a meshc check written by the
    /// export where ODCS has no library metric (`freshness`).
    fn meshc_check(
        &mut self,
        q: &Sp<QualityCheck>,
        imp: &Sp<Value>,
        column: Option<&Sp<String>>,
    ) -> Option<Sp<Quality>> {
        let text = |k: &str| imp.value.get(k).and_then(Value::as_str);
        match text("type") {
            Some("freshness") => {
                let Some(max_age) = text("maxAge").filter(|m| seconds(m).is_some()) else {
                    self.error(
                        "a meshc freshness check needs `maxAge`, a duration such as 6h".into(),
                        imp.loc,
                        "write `implementation: { type: freshness, column: ordered_at, maxAge: 6h }`",
                    );
                    return None;
                };
                if imp.value.get("column").is_some_and(|c| !c.is_string()) {
                    self.error(
                        "a meshc freshness check's `column` is not a column name".into(),
                        imp.loc,
                        "write `column: ordered_at`, or leave it out on a property's check",
                    );
                    return None;
                }
                let col = text("column")
                    .map(|c| Sp::new(c.to_string(), imp.loc))
                    .or_else(|| column.cloned());
                Some(Sp::new(
                    Quality {
                        check: Sp::new(QualityType::Freshness, imp.loc),
                        column: col,
                        columns: Vec::new(),
                        values: Vec::new(),
                        max_age: Some(Sp::new(max_age.to_string(), imp.loc)),
                        min: None,
                        max: None,
                        description: q.description.clone(),
                    },
                    q.loc,
                ))
            }
            _ => {
                self.ignored(
                    "meshc ignores this `engine: meshc` check: its implementation is not a meshc check it knows".into(),
                    imp.loc,
                    "meshc writes `implementation: { type: freshness, column: …, maxAge: … }`",
                );
                None
            }
        }
    }

    /// The contract's SLA properties that apply to `object`, as an `Sla`.
    fn sla(&mut self, c: &Contract, object: &str) -> Option<Sp<Sla>> {
        let list = c.sla_properties.as_ref()?;
        let mut sla = Sla::default();
        for p in list.iter() {
            if let Some(e) = &p.element
                && !e
                    .split(',')
                    .map(str::trim)
                    .any(|part| match part.split_once('.') {
                        Some((obj, _)) => obj == object,
                        None => true,
                    })
            {
                continue; // about another schema object
            }
            let unit = p.unit.as_ref().map(|u| u.as_str());
            // `p.value` is the SLA property, `p.value.value` its `value:`.
            let given: &Sp<Value> = &p.value.value;
            let (slot, value) = match p.property.as_str() {
                "latency" | "freshness" => (&mut sla.freshness, duration(given, unit)),
                "retention" => (&mut sla.retention, duration(given, unit)),
                "availability" => (&mut sla.availability, availability(given, unit)),
                "endOfLife" if self.import => continue,
                other => {
                    let help = match suggest(other, ["latency", "availability", "retention"]) {
                        Some(s) => format!("did you mean `{s}`? {SLA_HELP}"),
                        None => SLA_HELP.to_string(),
                    };
                    self.ignored(
                        format!("meshc ignores the SLA property `{other}`: it has no equivalent"),
                        p.property.loc,
                        help,
                    );
                    continue;
                }
            };
            match value {
                Ok(v) => {
                    if let Some(first) = slot {
                        self.failed = true;
                        let d = m008(
                            format!(
                                "the contract gives the SLA property `{}` twice for `{object}`",
                                p.property.as_str()
                            ),
                            span_of(self.file, p.property.loc),
                        )
                        .with_related(span_of(self.file, first.loc), "first given here")
                        .with_help("keep one");
                        self.diags.push(d);
                    } else {
                        *slot = Some(Sp::new(v, given.loc));
                    }
                }
                Err(why) => self.error(
                    format!(
                        "cannot read the SLA property `{}`: {why}",
                        p.property.as_str()
                    ),
                    given.loc,
                    "a duration is a whole number with a unit: s, m (minutes), h, d, w or y (e.g. `value: 6`, `unit: h`); availability is a percentage (`value: 99.5`, `unit: percent`)",
                ),
            }
        }
        if sla.freshness.is_none() && sla.availability.is_none() && sla.retention.is_none() {
            return None;
        }
        Some(Sp::new(sla, list.loc))
    }
}

/// Whether a meshc type fits an ODCS logical type.
fn agrees(logical: &str, t: &LogicalType) -> bool {
    use LogicalType as T;
    match logical {
        "string" => matches!(t, T::String | T::Varchar(_) | T::Uuid | T::Json | T::Binary),
        "integer" => matches!(
            t,
            T::Smallint | T::Integer | T::Bigint | T::Decimal { scale: 0, .. }
        ),
        "number" => matches!(
            t,
            T::Smallint | T::Integer | T::Bigint | T::Decimal { .. } | T::Real | T::Double
        ),
        "boolean" => matches!(t, T::Boolean),
        "date" => matches!(t, T::Date | T::Timestamp | T::Timestamptz),
        "timestamp" => matches!(t, T::Timestamp | T::Timestamptz),
        "time" => matches!(t, T::Time),
        "object" => matches!(t, T::Struct(_) | T::Map(..) | T::Json),
        "array" => matches!(t, T::Array(_) | T::Json),
        _ => false,
    }
}

/// A `physicalType` as a meshc type: `None` when meshc does not read it
/// (the logical type decides then), `Err` when it names a type meshc
/// reads with a size or precision meshc cannot hold.
///
/// Read are the meshc type names themselves (`varchar(16)`,
/// `decimal(12,2)`, `array<string>`, …) and the common engine spellings
/// whose meaning does not depend on the engine: int/int4, int2/tinyint,
/// int8/long, float4, float8/double precision, numeric(p,s)/number(p,s),
/// text/varchar/char(n), bool, datetime/timestamp_ntz,
/// timestamp with time zone/timestamp_tz, uniqueidentifier, jsonb/variant,
/// bytea/varbinary/blob. `float`, and `number`/`numeric`/`decimal`
/// without a precision, mean different things on different engines and
/// are not read.
pub fn physical_type(text: &str) -> Option<Result<LogicalType, String>> {
    let t = text.trim();
    if let Ok(ty) = LogicalType::parse(t) {
        return Some(Ok(ty));
    }
    let lower = t
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if lower.contains('<') {
        return LogicalType::parse(&lower).ok().map(Ok);
    }
    // `name(args) rest` → base `name rest`, args.
    let (base, args) = match (lower.find('('), lower.find(')')) {
        (Some(open), Some(close)) if open < close => {
            let base = format!("{} {}", lower[..open].trim(), lower[close + 1..].trim());
            (
                base.trim().to_string(),
                Some(lower[open + 1..close].trim().to_string()),
            )
        }
        (None, None) => (lower.clone(), None),
        _ => return None,
    };
    let parse = |s: String| Some(LogicalType::parse(&s).map_err(|e| e.message));
    let precision_ok = |args: &Option<String>| match args {
        None => Ok(()),
        Some(a) => match a.parse::<u32>() {
            Ok(p) if p <= 6 => Ok(()),
            _ => Err(format!(
                "fractional seconds `({a})`: meshc times and timestamps hold microseconds (at most 6 digits)"
            )),
        },
    };
    let canon = match base.as_str() {
        "int" | "int4" | "int32" | "integer" | "mediumint" => "integer",
        "int2" | "int16" | "smallint" | "short" | "tinyint" | "int1" | "byteint" => "smallint",
        "int8" | "int64" | "bigint" | "long" => "bigint",
        "float4" | "float32" | "real" => "real",
        "float8" | "float64" | "double" | "double precision" => "double",
        "decimal" | "numeric" | "number" | "dec" => {
            return match args {
                Some(a) => parse(format!("decimal({a})")),
                None => None,
            };
        }
        "varchar" | "character varying" | "nvarchar" | "varchar2" | "nvarchar2" | "char"
        | "character" | "nchar" | "bpchar" | "string" | "text"
            if args.is_some() =>
        {
            return parse(format!("varchar({})", args.unwrap_or_default()));
        }
        "text" | "string" | "varchar" | "character varying" | "nvarchar" | "clob" | "longtext"
        | "mediumtext" => "string",
        "bool" | "boolean" => "boolean",
        "date" => "date",
        "time" | "time without time zone" => {
            return Some(precision_ok(&args).map(|_| LogicalType::Time));
        }
        "timestamp"
        | "datetime"
        | "datetime2"
        | "timestamp without time zone"
        | "timestamp_ntz" => {
            return Some(precision_ok(&args).map(|_| LogicalType::Timestamp));
        }
        "timestamptz"
        | "timestamp with time zone"
        | "timestamp_tz"
        | "timestamp_ltz"
        | "datetimeoffset" => {
            return Some(precision_ok(&args).map(|_| LogicalType::Timestamptz));
        }
        "uuid" | "uniqueidentifier" => "uuid",
        "json" | "jsonb" | "variant" => "json",
        "bytea" | "binary" | "varbinary" | "blob" | "bytes" | "longblob" => "binary",
        _ => return None,
    };
    if args.is_some() && !matches!(canon, "integer" | "smallint" | "bigint" | "binary") {
        // `real(24)`, `boolean(1)`, …: not a spelling meshc reads.
        return None;
    }
    parse(canon.to_string())
}

/// Seconds per duration unit letter (a year is 365 days).
fn unit_seconds(u: &str) -> Option<u64> {
    Some(match u {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "y" => 365 * 86_400,
        _ => return None,
    })
}

/// An ODCS unit → a meshc duration unit and a factor (weeks are days).
fn duration_unit(u: &str) -> Option<(&'static str, u64)> {
    Some(match u.trim().to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => ("s", 1),
        "m" | "min" | "mins" | "minute" | "minutes" => ("m", 1),
        "h" | "hr" | "hrs" | "hour" | "hours" => ("h", 1),
        "d" | "day" | "days" => ("d", 1),
        "w" | "wk" | "week" | "weeks" => ("d", 7),
        "y" | "yr" | "yrs" | "year" | "years" => ("y", 1),
        _ => return None,
    })
}

/// An SLA duration: `value` with `unit` (or a value such as `6h`) → `6h`.
fn duration(value: &Value, unit: Option<&str>) -> Result<String, String> {
    let (n, unit_text): (u64, String) = match (value, unit) {
        (Value::Number(n), Some(u)) => match n.as_u64() {
            Some(n) => (n, u.to_string()),
            None => return Err(format!("`{n}` is not a whole number")),
        },
        (Value::String(s), Some(u)) => match s.trim().parse::<u64>() {
            Ok(n) => (n, u.to_string()),
            Err(_) => return Err(format!("`{s}` is not a whole number")),
        },
        (Value::String(s), None) => {
            let s = s.trim();
            let digits = s.chars().take_while(char::is_ascii_digit).count();
            match s[..digits].parse::<u64>() {
                Ok(n) => (n, s[digits..].to_string()),
                Err(_) => return Err(format!("`{s}` is not a duration")),
            }
        }
        (Value::Number(n), None) => return Err(format!("`{n}` has no `unit`")),
        (other, _) => return Err(format!("`{other}` is not a duration")),
    };
    let Some((u, factor)) = duration_unit(&unit_text) else {
        return Err(format!("`{}` is not a unit meshc reads", unit_text.trim()));
    };
    let n = n
        .checked_mul(factor)
        .ok_or_else(|| "the duration is too long".to_string())?;
    Ok(format!("{n}{u}"))
}

/// A meshc duration (`6h`, `7d`) in seconds, for comparing.
pub(crate) fn seconds(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    let n: u64 = s[..digits].parse().ok()?;
    let (u, f) = duration_unit(&s[digits..])?;
    n.checked_mul(f)?.checked_mul(unit_seconds(u)?)
}

/// An SLA availability: `99.5` (`unit: percent`) or `"99.5%"` → `99.5%`.
fn availability(value: &Value, unit: Option<&str>) -> Result<String, String> {
    if let Some(u) = unit
        && !matches!(u.trim(), "%" | "percent" | "pct")
    {
        return Err(format!("unit `{u}` is not a percentage"));
    }
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().trim_end_matches('%').trim().to_string(),
        other => return Err(format!("`{other}` is not a percentage")),
    };
    match text.parse::<f64>() {
        Ok(f) if (0.0..=100.0).contains(&f) => Ok(format!("{text}%")),
        _ => Err(format!("`{text}` is not a percentage between 0 and 100")),
    }
}

pub(crate) fn percent(s: &str) -> Option<f64> {
    s.trim().trim_end_matches('%').trim().parse().ok()
}

/// Maps the schema object for `port` onto it: returns what the port takes
/// (merged with what the port writes itself) and the findings. `None`
/// when an error leaves the port without a usable schema (it then has no
/// columns, like a port whose contract could not be read).
///
/// Merging: the port's own `description` wins; `quality` is the port's
/// checks followed by the contract's; `primaryKey` and each `sla` field
/// may be written in one place or both, and where both they must agree.
pub fn map_port(
    c: &Contract,
    file: FileId,
    port: &Port,
    product_file: FileId,
    known: &dyn Fn(&str) -> bool,
) -> (Option<PortSchema>, Vec<Diagnostic>) {
    let mut m = Mapper {
        file,
        product_file,
        port,
        diags: Vec::new(),
        failed: false,
        import: false,
        known,
    };
    let Some(object) = m.schema_object(c) else {
        return (None, m.diags);
    };
    map_with(m, c, object)
}

/// Maps one schema object of `c` onto `port` (as [`map_port`] does once it
/// has chosen the object): `meshc import odcs` makes a port per object.
pub fn map_object(
    c: &Contract,
    file: FileId,
    object: &Sp<SchemaObject>,
    port: &Port,
    known: &dyn Fn(&str) -> bool,
) -> (Option<PortSchema>, Vec<Diagnostic>) {
    let m = Mapper {
        file,
        product_file: file,
        port,
        diags: Vec::new(),
        failed: false,
        import: true,
        known,
    };
    map_with(m, c, object)
}

fn map_with(
    mut m: Mapper<'_>,
    c: &Contract,
    object: &Sp<SchemaObject>,
) -> (Option<PortSchema>, Vec<Diagnostic>) {
    let (file, port, product_file) = (m.file, m.port, m.product_file);
    m.check_object_kind(object);
    let props: &[Sp<Property>] = object
        .properties
        .as_ref()
        .map(|p| &p.value[..])
        .unwrap_or(&[]);
    if props.is_empty() {
        let loc = object
            .properties
            .as_ref()
            .map(|p| p.loc)
            .unwrap_or(object.name.loc);
        m.error(
            format!(
                "schema object `{}` lists no properties: the port takes its columns from them",
                object.name.as_str()
            ),
            loc,
            "list the columns under `properties:` (name, logicalType, physicalType, …)",
        );
        return (None, m.diags);
    }
    let mut columns = Vec::new();
    let mut keys: Vec<(i64, usize, Sp<String>)> = Vec::new();
    let mut quality: Vec<Sp<Quality>> = Vec::new();
    for (i, p) in props.iter().enumerate() {
        let Some(col) = m.column(p) else { continue };
        let name = col.name.clone();
        if let Some(pk) = &p.primary_key
            && pk.value
        {
            let pos = p
                .primary_key_position
                .as_ref()
                .map(|x| x.value)
                .filter(|x| *x >= 1)
                .unwrap_or(i64::MAX);
            keys.push((pos, i, Sp::new(name.value.clone(), pk.loc)));
        }
        if let Some(u) = &p.unique
            && u.value
        {
            quality.push(Sp::new(
                Quality {
                    check: Sp::new(QualityType::Unique, u.loc),
                    column: None,
                    columns: vec![Sp::new(name.value.clone(), u.loc)],
                    values: Vec::new(),
                    max_age: None,
                    min: None,
                    max: None,
                    description: None,
                },
                u.loc,
            ));
        }
        for q in &p.quality {
            if let Some(q) = m.quality(q, Some(&name)) {
                quality.push(q);
            }
        }
        columns.push(col);
    }
    for q in &object.quality {
        if let Some(q) = m.quality(q, None) {
            quality.push(q);
        }
    }
    keys.sort_by_key(|(pos, i, _)| (*pos, *i));
    let contract_key: Vec<Sp<String>> = keys.into_iter().map(|(_, _, k)| k).collect();
    let contract_sla = m.sla(c, object.name.as_str());

    // Merge with what the port writes itself.
    let primary_key = if port.primary_key.is_empty() {
        contract_key
    } else {
        let same = port
            .primary_key
            .iter()
            .map(|k| k.as_str())
            .eq(contract_key.iter().map(|k| k.as_str()));
        if !contract_key.is_empty() && !same {
            let theirs: Vec<&str> = contract_key.iter().map(|k| k.as_str()).collect();
            let ours: Vec<&str> = port.primary_key.iter().map(|k| k.as_str()).collect();
            m.failed = true;
            m.diags.push(
                m008(
                    format!(
                        "the contract's primary key [{}] is not the port's `primaryKey` [{}]",
                        theirs.join(", "),
                        ours.join(", ")
                    ),
                    span_of(file, contract_key[0].loc),
                )
                .with_related(
                    span_of(product_file, port.primary_key[0].loc),
                    "the port's `primaryKey`",
                )
                .with_help("the contract already gives the primary key: remove `primaryKey` from the port, or make the two agree"),
            );
        }
        port.primary_key.clone()
    };
    let mut all_quality = port.quality.clone();
    all_quality.extend(quality);
    let sla = match (&port.sla, contract_sla) {
        (None, theirs) => theirs,
        (Some(ours), None) => Some(ours.clone()),
        (Some(ours), Some(theirs)) => {
            let mut merged = ours.clone();
            let fields = [
                (
                    "freshness",
                    &ours.freshness,
                    theirs.value.freshness.clone(),
                    true,
                ),
                (
                    "availability",
                    &ours.availability,
                    theirs.value.availability.clone(),
                    false,
                ),
                (
                    "retention",
                    &ours.retention,
                    theirs.value.retention.clone(),
                    true,
                ),
            ];
            let mut fill = Vec::new();
            for (field, mine, other, is_duration) in fields {
                match (mine, other) {
                    (_, None) => {}
                    (None, Some(o)) => fill.push((field, o)),
                    (Some(a), Some(b)) => {
                        let same = if is_duration {
                            match (seconds(a), seconds(&b)) {
                                (Some(x), Some(y)) => x == y,
                                _ => a.trim() == b.trim(),
                            }
                        } else {
                            match (percent(a), percent(&b)) {
                                (Some(x), Some(y)) => x == y,
                                _ => a.trim() == b.trim(),
                            }
                        };
                        if !same {
                            m.failed = true;
                            m.diags.push(
                                m008(
                                    format!(
                                        "the contract's SLA says {field} `{}`, the port's `sla.{field}` `{}`",
                                        b.as_str(),
                                        a.as_str()
                                    ),
                                    span_of(file, b.loc),
                                )
                                .with_related(span_of(product_file, a.loc), format!("the port's `sla.{field}`"))
                                .with_help("state it once, in the contract, or make the two agree"),
                            );
                        }
                    }
                }
            }
            for (field, v) in fill {
                match field {
                    "freshness" => merged.value.freshness = Some(v),
                    "availability" => merged.value.availability = Some(v),
                    _ => merged.value.retention = Some(v),
                }
            }
            Some(merged)
        }
    };
    let description = port
        .description
        .clone()
        .or_else(|| object.description.clone());
    if m.failed {
        return (None, m.diags);
    }
    (
        Some(PortSchema {
            columns,
            primary_key,
            quality: all_quality,
            sla,
            description,
        }),
        m.diags,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CONTRACT: &str =
        include_str!("../../tests/fixtures/check/M008/ok/products/contracts/orders.odcs.yaml");

    fn port() -> Port {
        serde_saphyr::from_str("name: orders\ncontract: orders.odcs.yaml\nsla: { freshness: 6h }\n")
            .expect("port")
    }

    /// Parses and maps `text` as the contract of `port()`; every finding
    /// points inside the contract's text.
    fn run(text: &str) -> (Option<PortSchema>, Vec<Diagnostic>) {
        let src = SourceFile::new("orders.odcs.yaml".into(), text.to_string());
        let file = FileId(1);
        let (schema, diags) = match parse(file, &src) {
            Ok(c) => map_port(&c, file, &port(), FileId(0), &|_| true),
            Err(d) => (None, vec![*d]),
        };
        for d in &diags {
            let p = d.primary.as_ref().expect("a primary span");
            if p.span.file == file {
                assert!(
                    p.span.start <= p.span.end && p.span.end as usize <= text.len(),
                    "{d:?}"
                );
            }
        }
        (schema, diags)
    }

    #[test]
    fn the_fixture_contract_maps() {
        let (schema, diags) = run(CONTRACT);
        assert!(diags.is_empty(), "{diags:?}");
        let s = schema.expect("schema");
        let cols: Vec<String> = s
            .columns
            .iter()
            .map(|c| format!("{} {}", c.name.as_str(), c.column_type.as_str()))
            .collect();
        assert_eq!(
            cols,
            [
                "order_id bigint",
                "status varchar(16)",
                "total decimal(12,2)",
                "ordered_at timestamptz",
                "customer_email string",
                "tags array<string>",
                "shipping struct<carrier: string, express: boolean>",
            ]
        );
        // Every location is in the contract file (id 1).
        assert!(
            s.columns
                .iter()
                .all(|c| c.name.loc.file_or(FileId(0)) == FileId(1))
        );
        assert_eq!(s.primary_key.len(), 1);
        let sla = s.sla.expect("sla");
        assert_eq!(sla.freshness.as_ref().map(|f| f.as_str()), Some("6h"));
        assert_eq!(sla.retention.as_ref().map(|f| f.as_str()), Some("1y"));
        assert_eq!(sla.availability.as_ref().map(|f| f.as_str()), Some("99.5%"));
        // unique, accepted_values, not_null, row_count, freshness
        assert_eq!(s.quality.len(), 5);
        let email = &s.columns[4];
        assert_eq!(email.masking.as_ref().map(|m| m.value), Some(Masking::Hash));
        assert!(
            s.quality
                .iter()
                .any(|q| q.check.value == QualityType::Freshness
                    && q.max_age.as_ref().map(|m| m.as_str()) == Some("6h"))
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn mutated_contracts_never_panic(pos in 0usize..CONTRACT.len(), cut in 0usize..40, insert in "[-:\\[\\]{}&*!|>'\" \\n#a-z0-9]{0,12}") {
            let mut s = CONTRACT.to_string();
            let mut start = pos.min(s.len());
            while !s.is_char_boundary(start) { start -= 1; }
            let mut end = (start + cut).min(s.len());
            while !s.is_char_boundary(end) { end -= 1; }
            s.replace_range(start..end, &insert);
            run(&s);
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,300}") {
            run(&format!("apiVersion: v3.1.0\nkind: DataContract\n{s}"));
            run(&s);
        }
    }

    #[test]
    fn api_versions() {
        assert!(is_v3("v3.0.2"));
        assert!(is_v3("v3.1.0"));
        assert!(is_v3("v3.12.7"));
        assert!(!is_v3("v2.2.2"));
        assert!(!is_v3("3.0.0"));
        assert!(!is_v3("v3.0"));
        assert!(!is_v3("v3.0.x"));
    }

    #[test]
    fn physical_types() {
        let t = |s: &str| physical_type(s).map(|r| r.map(|t| t.to_string()));
        assert_eq!(t("varchar(16)"), Some(Ok("varchar(16)".into())));
        assert_eq!(t("VARCHAR(16)"), Some(Ok("varchar(16)".into())));
        assert_eq!(t("int"), Some(Ok("integer".into())));
        assert_eq!(t("NUMBER(10,2)"), Some(Ok("decimal(10,2)".into())));
        assert_eq!(t("double precision"), Some(Ok("double".into())));
        assert_eq!(
            t("timestamp(6) with time zone"),
            Some(Ok("timestamptz".into()))
        );
        assert_eq!(t("char(2)"), Some(Ok("varchar(2)".into())));
        assert_eq!(t("array<string>"), Some(Ok("array<string>".into())));
        assert_eq!(t("float"), None);
        assert_eq!(t("number"), None);
        assert_eq!(t("list"), None);
        assert!(matches!(t("decimal(40,2)"), Some(Err(_))));
        assert!(matches!(t("timestamp(9)"), Some(Err(_))));
    }

    #[test]
    fn durations_and_percentages() {
        let n = |v: u64| Value::from(v);
        assert_eq!(duration(&n(4), Some("d")), Ok("4d".into()));
        assert_eq!(duration(&n(3), Some("years")), Ok("3y".into()));
        assert_eq!(duration(&n(2), Some("weeks")), Ok("14d".into()));
        assert_eq!(duration(&Value::from("6h"), None), Ok("6h".into()));
        assert!(duration(&n(6), Some("months")).is_err());
        assert!(duration(&Value::from(1.5), Some("h")).is_err());
        assert_eq!(seconds("7d"), seconds("168h"));
        assert_eq!(
            availability(&Value::from(99.5), Some("percent")),
            Ok("99.5%".into())
        );
        assert_eq!(
            availability(&Value::from("99.9%"), None),
            Ok("99.9%".into())
        );
        assert!(availability(&Value::from(120), None).is_err());
    }
}
