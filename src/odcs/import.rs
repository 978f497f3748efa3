//! `meshc import odcs FILE…`: ODCS v3 contracts → meshc documents.
//!
//! Each contract is read like a port's `contract:` file ([`model::parse`],
//! then [`model::map_object`] for each schema object), so a contract that
//! imports is one that `contract:` accepts, and both report problems the
//! same way: M008 diagnostics pointing into the contract.
//!
//! Contracts are grouped into data products by (domain, product): the
//! contract's `domain` and `dataProduct` (else its `name`, else the file
//! name), made into meshc names. Every schema object becomes an output
//! port. Product-level values (version, status, description, owner, tags,
//! inputs, access) come from the first contract of a product; a later one
//! that says otherwise is a warning. Each team a contract describes becomes
//! a Team document and each domain a Domain document, unless the caller
//! asks for products only.
//!
//! What ODCS has and meshc cannot hold is reported as an M008 info naming
//! the fields, never dropped silently. The custom properties meshc's own
//! export writes (visibility, productTitle, replacedBy, inputs,
//! accessAllow, query, masking) are read back, so export → import → export
//! gives the same contracts.
//!
//! The documents are rendered from the built-in templates
//! `import/data_product.yaml`, `import/team.yaml` and `import/domain.yaml`.
//! Nothing here touches the file system except reading the contracts.

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::Value;
use serde_json::Value as Json;

use super::export::{AllowItem as AllowEntry, Fields, InputEntry as Input, list_value};
use super::model::{self, Contract, SchemaObject, custom};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::load::sp::{Loc, Sp};
use crate::load::syntax::{Column, Port, PortType, Quality, Visibility};
use crate::model::span_of;
use crate::source::{FileId, SourceDb, SourceFile};
use crate::targets::Templates;

/// Settings of an import.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The domain of contracts that name none.
    pub domain: Option<String>,
    /// The owner of contracts that name no team.
    pub owner: Option<String>,
    /// Write DataProduct documents only (no Team and Domain documents).
    pub products_only: bool,
}

/// One document written by an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Where it goes under `--out`, `/`-separated: `<domain>/domain.yaml`,
    /// `<domain>/products/<product>.yaml` or `teams/<team>.yaml`.
    pub path: String,
    pub kind: &'static str,
    /// The YAML text.
    pub text: String,
}

/// The result of an import.
#[derive(Debug, Default)]
pub struct Imported {
    pub documents: Vec<Document>,
    pub diagnostics: Vec<Diagnostic>,
}

fn m008(message: impl Into<String>, span: crate::source::Span) -> Diagnostic {
    Diagnostic::new(Code::M008, message).with_primary(span, "")
}

fn info(message: impl Into<String>, span: crate::source::Span, help: &str) -> Diagnostic {
    let mut d = m008(message, span).with_help(help);
    d.severity = Severity::Info;
    d
}

fn warning(message: impl Into<String>, span: crate::source::Span, help: &str) -> Diagnostic {
    let mut d = m008(message, span).with_help(help);
    d.severity = Severity::Warning;
    d
}

/// A meshc name (`[a-z][a-z0-9_]*`, at most 63 bytes) made from `s`:
/// lower case, camelCase split, runs of other characters as one `_`.
pub fn meshc_name(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.trim().chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_lowercase());
        } else {
            prev_lower = false;
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out.truncate(63);
    while out.ends_with('_') {
        out.pop();
    }
    out.starts_with(|c: char| c.is_ascii_lowercase())
        .then_some(out)
}

fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn str_value(s: Option<&str>) -> Value {
    s.map(Value::from).unwrap_or(Value::from(()))
}

/// A team as a contract describes it.
#[derive(Debug, Clone, PartialEq)]
struct TeamDoc {
    name: String,
    title: Option<String>,
    description: Option<String>,
    members: Vec<String>,
    email: Option<String>,
    chat: Option<String>,
}

/// A product being assembled from its contracts.
struct ProductDoc {
    domain: String,
    name: String,
    /// The first contract's file, where product-level differences point.
    file: FileId,
    title: Option<String>,
    description: Option<String>,
    owner: Option<String>,
    tags: Vec<String>,
    version: String,
    status: String,
    sunset: Option<String>,
    replaced_by: Option<String>,
    inputs: Vec<Input>,
    ports: Vec<(String, Port)>,
    access: Vec<AllowEntry>,
}

/// Imports the contracts `paths` (read from disk; each is added to `db`).
pub fn import(db: &mut SourceDb, paths: &[impl AsRef<Path>], opts: &Options) -> Imported {
    let mut out = Imported::default();
    let mut products: BTreeMap<(String, String), ProductDoc> = BTreeMap::new();
    let mut order: Vec<(String, String)> = Vec::new();
    let mut teams: BTreeMap<String, TeamDoc> = BTreeMap::new();
    // Read and parse every contract first: lineage entries are taken as
    // `derivedFrom` only when they name a product being imported or a
    // product or source one of them reads.
    let mut parsed: Vec<(FileId, Contract, String)> = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let shown = path.to_string_lossy().into_owned();
        let text = match read(path) {
            Ok(t) => t,
            Err(msg) => {
                let file = db.add(SourceFile::new(shown.clone(), String::new()));
                out.diagnostics.push(
                    m008(
                        format!("cannot read {shown}: {msg}"),
                        span_of(file, Loc::default()),
                    )
                    .with_help("name an ODCS v3 contract file (YAML)"),
                );
                continue;
            }
        };
        let file = db.add(SourceFile::new(shown.clone(), text));
        let contract = match model::parse(file, db.get(file)) {
            Ok(c) => c,
            Err(d) => {
                out.diagnostics.push(*d);
                continue;
            }
        };
        let stem = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.split('.').next().unwrap_or(n).to_string())
            .unwrap_or_default();
        parsed.push((file, contract, stem));
    }
    let mut known: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for (_, c, stem) in &parsed {
        if let Some((d, p)) = identity(c, stem, opts) {
            known.insert(format!("{d}.{p}"));
        }
        if let Some(list) =
            custom(&c.custom_properties, "inputs").and_then(|p| p.value.value.as_array())
        {
            for i in list {
                if let Some(p) = i.get("product").and_then(Json::as_str) {
                    known.insert(p.to_string());
                }
                if let Some(t) = i.get("source").and_then(Json::as_str)
                    && let Some((src, _)) = t.rsplit_once('.')
                {
                    known.insert(src.to_string());
                }
            }
        }
    }
    let is_known = |owner: &str| known.contains(owner);
    // Products one of whose contracts failed are not written: a partial
    // product would replace a whole one under `--out`.
    let mut failed: std::collections::BTreeSet<(String, String)> = Default::default();
    for (file, contract, stem) in &parsed {
        let file = *file;
        let mut diags = Vec::new();
        match read_contract(contract, file, stem, opts, &is_known, &mut diags) {
            Err(Some(key)) => {
                failed.insert(key);
            }
            Err(None) => {}
            Ok((key, product, team)) => {
                if let Some(t) = team {
                    match teams.get(&t.name) {
                        Some(old) if *old != t => diags.push(warning(
                            format!(
                                "team `{}` is described differently by an earlier contract; the first description is imported",
                                t.name
                            ),
                            span_of(file, contract.team.as_ref().map(|t| t.loc).unwrap_or(contract.kind.loc)),
                            "make the contracts describe the team alike",
                        )),
                        Some(_) => {}
                        None => {
                            teams.insert(t.name.clone(), t);
                        }
                    }
                }
                match products.get_mut(&key) {
                    None => {
                        order.push(key.clone());
                        products.insert(key, product);
                    }
                    Some(first) => {
                        if !merge(first, product, contract, file, &mut diags) {
                            failed.insert(key);
                        }
                    }
                }
            }
        }
        out.diagnostics.extend(diags);
    }
    for key in &failed {
        if let Some(p) = products.remove(key) {
            out.diagnostics.push(m008(
                format!(
                    "`{}.{}` is not written: one of its contracts could not be imported",
                    key.0, key.1
                ),
                span_of(p.file, Loc::default()),
            ).with_help("fix the errors above and import the product's contracts again; a partial product would replace the whole one"));
        }
    }
    let templates = Templates::builtin();
    let env = templates.yaml_environment();
    let render = |name: &str, ctx: Value, out: &mut Imported| -> Option<String> {
        match env.get_template(name).and_then(|t| t.render(ctx)) {
            Ok(s) => Some(s),
            Err(e) => {
                // The built-in templates render every value; this is a bug.
                out.diagnostics.push(Diagnostic::new(
                    Code::E401,
                    format!("template {name} failed: {e}"),
                ));
                None
            }
        }
    };
    let mut domains: BTreeMap<String, Option<String>> = BTreeMap::new();
    order.sort();
    for key in &order {
        let Some(p) = products.get(key) else { continue };
        domains
            .entry(p.domain.clone())
            .or_insert_with(|| p.owner.clone());
        if let Some(text) = render("import/data_product.yaml", product_context(p), &mut out) {
            out.documents.push(Document {
                path: format!("{}/products/{}.yaml", p.domain, p.name),
                kind: "DataProduct",
                text,
            });
        }
    }
    if !opts.products_only {
        for (name, owner) in &domains {
            let ctx = minijinja::context! { name => name, owner => owner };
            if let Some(text) = render("import/domain.yaml", ctx, &mut out) {
                out.documents.push(Document {
                    path: format!("{name}/domain.yaml"),
                    kind: "Domain",
                    text,
                });
            }
        }
        for t in teams.values() {
            let ctx = minijinja::context! {
                name => t.name,
                title => t.title,
                description => t.description,
                members => t.members,
                email => t.email,
                chat => t.chat,
            };
            if let Some(text) = render("import/team.yaml", ctx, &mut out) {
                out.documents.push(Document {
                    path: format!("teams/{}.yaml", t.name),
                    kind: "Team",
                    text,
                });
            }
        }
    }
    // Two documents at one path (a domain named `teams` and a team named
    // `domain`): the second is not written.
    let mut seen = std::collections::BTreeSet::new();
    let mut kept = Vec::new();
    for d in std::mem::take(&mut out.documents) {
        if seen.insert(d.path.clone()) {
            kept.push(d);
        } else {
            out.diagnostics.push(
                Diagnostic::new(
                    Code::M008,
                    format!(
                        "two documents would be written to {}; the {} is left out",
                        d.path, d.kind
                    ),
                )
                .with_help("rename the domain or the team in the contract"),
            );
        }
    }
    out.documents = kept;
    crate::diagnostics::normalize(&mut out.diagnostics);
    out
}

fn read(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a file".into());
    }
    if meta.len() > crate::load::parse::MAX_FILE_BYTES as u64 {
        return Err(format!(
            "larger than {} MiB",
            crate::load::parse::MAX_FILE_BYTES >> 20
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())
}

/// A name for the mesh, with an info when it differs from what the contract
/// wrote, or an error when none can be made.
fn name_from(
    written: &Sp<String>,
    what: &str,
    file: FileId,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    match meshc_name(written.as_str()) {
        Some(n) if n == written.as_str() => Some(n),
        Some(n) => {
            diags.push(info(
                format!("{what} `{}` is named `{n}` in the mesh", written.as_str()),
                span_of(file, written.loc),
                "meshc names are lower case letters, digits and `_`, starting with a letter",
            ));
            Some(n)
        }
        None => {
            diags.push(
                m008(
                    format!("cannot make a meshc name of {what} `{}`", written.as_str()),
                    span_of(file, written.loc),
                )
                .with_help("meshc names start with a letter (a-z); rename it in the contract"),
            );
            None
        }
    }
}

type Read = ((String, String), ProductDoc, Option<TeamDoc>);

/// The (domain, product) a contract imports as, without diagnostics.
fn identity(c: &Contract, stem: &str, opts: &Options) -> Option<(String, String)> {
    let domain = match &c.domain {
        Some(d) => meshc_name(d.as_str())?,
        None => opts.domain.clone()?,
    };
    let name = match (&c.data_product, &c.name) {
        (Some(n), _) | (None, Some(n)) => meshc_name(n.as_str())?,
        (None, None) => meshc_name(stem)?,
    };
    Some((domain, name))
}

/// One contract as a (partial) product and the team it describes; on
/// failure, the product it belongs to when that is known.
fn read_contract(
    c: &Contract,
    file: FileId,
    stem: &str,
    opts: &Options,
    known: &dyn Fn(&str) -> bool,
    diags: &mut Vec<Diagnostic>,
) -> Result<Read, Option<(String, String)>> {
    match read_contract_inner(c, file, stem, opts, known, diags) {
        Some(r) => Ok(r),
        None => Err(identity(c, stem, opts)),
    }
}

fn read_contract_inner(
    c: &Contract,
    file: FileId,
    stem: &str,
    opts: &Options,
    known: &dyn Fn(&str) -> bool,
    diags: &mut Vec<Diagnostic>,
) -> Option<Read> {
    let top = span_of(file, c.api_version.loc);
    let domain = match (&c.domain, &opts.domain) {
        (Some(d), _) => name_from(d, "domain", file, diags)?,
        (None, Some(d)) => d.clone(),
        (None, None) => {
            diags.push(
                m008("the contract names no `domain`", top)
                    .with_help("add `domain:` to the contract, or pass `--domain NAME`"),
            );
            return None;
        }
    };
    let name = match (&c.data_product, &c.name) {
        (Some(n), _) => name_from(n, "data product", file, diags)?,
        (None, Some(n)) => name_from(n, "contract name", file, diags)?,
        (None, None) => match meshc_name(stem) {
            Some(n) => n,
            None => {
                diags.push(
                    m008("the contract names no `dataProduct` or `name`", top)
                        .with_help("add `dataProduct:` to the contract"),
                );
                return None;
            }
        },
    };
    let team = team(c, file, opts, diags);
    let owner = team
        .as_ref()
        .map(|t| t.name.clone())
        .or_else(|| opts.owner.clone());
    let status = match c.status.as_str() {
        Some(s @ ("draft" | "active" | "deprecated" | "retired")) => s.to_string(),
        other => {
            let written = other.map(str::to_string).unwrap_or_else(|| text(&c.status));
            diags.push(info(
                format!("status `{written}` is imported as `draft`"),
                span_of(file, c.status.loc),
                "meshc's statuses are draft, active, deprecated and retired",
            ));
            "draft".into()
        }
    };
    let custom_text = |name: &str| {
        custom(&c.custom_properties, name).and_then(|p| p.value.value.as_str().map(str::to_string))
    };
    let description = c.description.as_ref().and_then(|d| {
        let part = |k: &str| d.get(k).and_then(Json::as_str).map(str::to_string);
        let mut parts: Vec<String> = Vec::new();
        if let Some(p) = part("purpose") {
            parts.push(p);
        }
        for (k, title) in [("usage", "Usage"), ("limitations", "Limitations")] {
            if let Some(x) = part(k) {
                parts.push(format!("**{title}.** {x}"));
            }
        }
        (!parts.is_empty()).then(|| parts.join("\n\n"))
    });
    let tags = c
        .tags
        .as_ref()
        .and_then(|t| t.as_array())
        .map(|l| {
            l.iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let sunset = c.sla_properties.as_ref().and_then(|l| {
        l.iter()
            .find(|p| p.property.as_str() == "endOfLife")
            .map(|p| {
                let v = text(&p.value.value);
                v.get(..10)
                    .filter(|d| crate::date::Date::parse(d).is_some())
                    .map(str::to_string)
                    .unwrap_or(v)
            })
    });
    let sunset = match sunset {
        Some(_) if status != "deprecated" && status != "retired" => {
            if let Some(p) = c
                .sla_properties
                .as_ref()
                .and_then(|l| l.iter().find(|p| p.property.as_str() == "endOfLife"))
            {
                diags.push(info(
                    format!("endOfLife is not imported: the product's status is `{status}`"),
                    span_of(file, p.property.loc),
                    "meshc's `deprecation.sunset` belongs to a deprecated or retired product",
                ));
            }
            None
        }
        other => other,
    };
    let inputs: Vec<Input> = custom_list(c, "inputs", file, diags);
    let access: Vec<AllowEntry> = custom_list(c, "accessAllow", file, diags);
    let visibility = match custom_text("visibility").as_deref() {
        None => None,
        Some("public") => Some(Visibility::Public),
        Some("domain") => Some(Visibility::Domain),
        Some("restricted") => Some(Visibility::Restricted),
        Some(other) => {
            let loc = custom(&c.custom_properties, "visibility").map(|p| p.value.value.loc);
            diags.push(
                m008(
                    format!("custom property `visibility` is `{other}`"),
                    span_of(file, loc.unwrap_or_default()),
                )
                .with_help("meshc's visibilities are public, domain and restricted"),
            );
            return None;
        }
    };
    let mut ports = Vec::new();
    let objects: &[Sp<SchemaObject>] = c.schema.as_ref().map(|s| &s.value[..]).unwrap_or(&[]);
    if objects.is_empty() {
        diags.push(
            m008(
                "the contract has no schema object: a data product needs at least one output port",
                span_of(file, c.schema.as_ref().map(|s| s.loc).unwrap_or(c.kind.loc)),
            )
            .with_help("add a schema object with its properties (columns)"),
        );
        return None;
    }
    let mut failed = false;
    for o in objects {
        let Some(port_name) = name_from(&o.name, "schema object", file, diags) else {
            failed = true;
            continue;
        };
        let port_type = match o.physical_type.as_ref().map(|t| t.to_ascii_lowercase()) {
            Some(t) if t == "view" => PortType::View,
            Some(t) if t == "topic" || t == "stream" => PortType::Stream,
            Some(t) if t == "file" => PortType::File,
            _ => PortType::Table,
        };
        let mut port = Port {
            name: Sp::new(port_name.clone(), o.name.loc),
            port_type: Some(Sp::new(port_type, o.name.loc)),
            visibility: visibility.map(|v| Sp::new(v, o.name.loc)),
            description: None,
            primary_key: Vec::new(),
            columns: None,
            quality: Vec::new(),
            sla: None,
            contract: None,
            contract_file: None,
            query: None,
        };
        if ports.iter().any(|(n, _): &(String, Port)| *n == port_name) {
            diags.push(
                m008(
                    format!("a second schema object becomes port `{port_name}`"),
                    span_of(file, o.name.loc),
                )
                .with_help("give the schema objects names that differ as meshc names"),
            );
            failed = true;
            continue;
        }
        let (schema, found) = model::map_object(c, file, o, &port, known);
        let errors = found.iter().any(|d| d.severity == Severity::Error);
        diags.extend(found);
        let Some(schema) = schema.filter(|_| !errors) else {
            failed = true;
            continue;
        };
        port.columns = Some(schema.columns);
        port.primary_key = schema.primary_key;
        port.quality = schema.quality;
        port.sla = schema.sla;
        port.description = schema.description;
        port.query = custom(&o.custom_properties, "query").and_then(|q| {
            q.value
                .value
                .as_str()
                .map(|s| Sp::new(s.to_string(), q.value.value.loc))
        });
        if port.query.is_some() && port_type != PortType::View {
            port.port_type = Some(Sp::new(PortType::View, o.name.loc));
        }
        ports.push((port_name, port));
    }
    if failed {
        return None;
    }
    unrepresented(c, file, diags);
    Some((
        (domain.clone(), name.clone()),
        ProductDoc {
            domain,
            name,
            file,
            title: custom_text("productTitle"),
            description,
            owner,
            tags,
            version: text(&c.version),
            status,
            sunset,
            replaced_by: custom_text("replacedBy"),
            inputs,
            ports,
            access,
        },
        team,
    ))
}

/// A custom property holding a list of meshc entries (`inputs`,
/// `accessAllow`), as written by meshc's export.
fn custom_list<T: serde::de::DeserializeOwned>(
    c: &Contract,
    name: &str,
    file: FileId,
    diags: &mut Vec<Diagnostic>,
) -> Vec<T> {
    let Some(p) = custom(&c.custom_properties, name) else {
        return Vec::new();
    };
    match serde_json::from_value::<Vec<T>>(p.value.value.value.clone()) {
        Ok(v) => v,
        Err(e) => {
            diags.push(warning(
                format!(
                    "custom property `{name}` is not a list meshc reads ({e}); it is not imported"
                ),
                span_of(file, p.value.value.loc),
                "meshc writes it as a list of entries in the fields of its own YAML",
            ));
            Vec::new()
        }
    }
}

/// The contract's team: a v3.1 team object with a name, or (v3.0) a list
/// of members, named by `--owner`.
fn team(
    c: &Contract,
    file: FileId,
    opts: &Options,
    diags: &mut Vec<Diagnostic>,
) -> Option<TeamDoc> {
    let t = c.team.as_ref();
    let (name, members_json, title, description) = match t.map(|t| &t.value) {
        Some(Json::Object(o)) => {
            let name = o.get("name").and_then(Json::as_str);
            let title = o
                .get("customProperties")
                .and_then(Json::as_array)
                .and_then(|l| {
                    l.iter()
                        .find(|p| p.get("property").and_then(Json::as_str) == Some("title"))
                })
                .and_then(|p| p.get("value"))
                .and_then(Json::as_str)
                .map(str::to_string);
            let description = o
                .get("description")
                .and_then(Json::as_str)
                .map(str::to_string);
            (
                name.map(str::to_string),
                o.get("members").cloned(),
                title,
                description,
            )
        }
        Some(Json::Array(_)) => (None, t.map(|t| t.value.clone()), None, None),
        _ => (None, None, None, None),
    };
    let name = match name {
        Some(n) => {
            let loc = t.map(|t| t.loc).unwrap_or_default();
            let written = Sp::new(n, loc);
            name_from(&written, "team", file, diags)?
        }
        None => opts.owner.clone()?,
    };
    let members = members_json
        .as_ref()
        .and_then(Json::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|m| m.get("username").and_then(Json::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let (mut email, mut chat) = (None, None);
    if let Some(Json::Array(list)) = c.support.as_ref().map(|s| &s.value) {
        for s in list {
            let channel = s.get("channel").and_then(Json::as_str);
            let tool = s.get("tool").and_then(Json::as_str).unwrap_or("");
            let url = s.get("url").and_then(Json::as_str);
            if tool == "email" {
                let addr = url.and_then(|u| u.strip_prefix("mailto:")).or(channel);
                if email.is_none() {
                    email = addr.map(str::to_string);
                }
            } else if chat.is_none() {
                chat = channel.or(url).map(str::to_string);
            }
        }
    }
    Some(TeamDoc {
        name,
        title,
        description,
        members,
        email,
        chat,
    })
}

/// One info listing what the contract has and the import leaves out.
fn unrepresented(c: &Contract, file: FileId, diags: &mut Vec<Diagnostic>) {
    let mut fields: Vec<&str> = Vec::new();
    let mut add = |present: bool, name: &'static str| {
        if present && !fields.contains(&name) {
            fields.push(name);
        }
    };
    add(c.servers.is_some(), "servers");
    add(c.roles.is_some(), "roles");
    add(c.price.is_some(), "price");
    add(
        c.authoritative_definitions.is_some(),
        "authoritativeDefinitions",
    );
    add(c.sla_default_element.is_some(), "slaDefaultElement");
    add(c.tenant.is_some(), "tenant");
    for p in &c.custom_properties {
        let known = [
            "visibility",
            "productTitle",
            "replacedBy",
            "inputs",
            "accessAllow",
        ];
        if !known.contains(&p.property.as_str()) {
            add(true, "customProperties");
        }
    }
    if let Some(d) = c.description.as_ref().and_then(|d| d.value.as_object()) {
        add(
            d.keys()
                .any(|k| !matches!(k.as_str(), "purpose" | "usage" | "limitations")),
            "description's customProperties and authoritativeDefinitions",
        );
    }
    match c.team.as_ref().map(|t| &t.value) {
        Some(Json::Object(o)) => {
            add(
                o.keys().any(|k| {
                    !matches!(
                        k.as_str(),
                        "name" | "description" | "members" | "customProperties"
                    )
                }),
                "team fields other than name, description and members",
            );
            let members = o.get("members").and_then(Json::as_array);
            add(
                members.is_some_and(|l| {
                    l.iter().any(|m| {
                        m.as_object()
                            .is_some_and(|m| m.keys().any(|k| k != "username"))
                    })
                }),
                "team members' fields other than username",
            );
            add(
                o.get("customProperties")
                    .and_then(Json::as_array)
                    .is_some_and(|l| {
                        l.iter()
                            .any(|p| p.get("property").and_then(Json::as_str) != Some("title"))
                    }),
                "team customProperties other than title",
            );
        }
        Some(Json::Array(l)) => add(
            l.iter().any(|m| {
                m.as_object()
                    .is_some_and(|m| m.keys().any(|k| k != "username"))
            }),
            "team members' fields other than username",
        ),
        _ => {}
    }
    if let Some(Json::Array(list)) = c.support.as_ref().map(|s| &s.value) {
        let emails = list
            .iter()
            .filter(|s| s.get("tool").and_then(Json::as_str) == Some("email"))
            .count();
        let others = list.len() - emails;
        add(
            emails > 1 || others > 1,
            "support channels after the first e-mail and the first other",
        );
        add(
            list.iter().any(|s| {
                s.as_object().is_some_and(|o| {
                    o.keys()
                        .any(|k| !matches!(k.as_str(), "channel" | "tool" | "url"))
                })
            }),
            "support fields other than channel, tool and url",
        );
    }
    for p in &c.custom_properties {
        let known_text = ["visibility", "productTitle", "replacedBy"];
        if known_text.contains(&p.property.as_str()) && !p.value.value.is_string() {
            add(
                true,
                "custom properties visibility, productTitle or replacedBy that are not text",
            );
        }
    }
    add(
        c.tags
            .as_ref()
            .and_then(|t| t.as_array())
            .is_some_and(|l| l.iter().any(|t| !t.is_string())),
        "tags that are not text",
    );
    for o in c.schema.iter().flat_map(|s| s.iter()) {
        add(
            o.custom_properties
                .iter()
                .any(|p| !matches!(p.property.as_str(), "query" | "maskedPhysicalName")),
            "schema objects' customProperties",
        );
        add(o.physical_name.is_some(), "physicalName");
        add(o.business_name.is_some(), "businessName");
        add(o.relationships.is_some(), "relationships");
        add(
            o.data_granularity_description.is_some(),
            "dataGranularityDescription",
        );
        add(o.tags.is_some(), "schema tags");
        add(
            o.authoritative_definitions.is_some(),
            "authoritativeDefinitions",
        );
        for p in o.properties.iter().flat_map(|p| p.iter()) {
            property_fields(p, &mut add);
        }
    }
    if fields.is_empty() {
        return;
    }
    let start = span_of(file, c.api_version.loc);
    diags.push(info(
        format!("not imported: {}", fields.join(", ")),
        start,
        "meshc has no field for these: targets (servers), physical names and roles come from mesh.yaml's targets and naming, grants from inputs and access.allow; the rest stays in the contract, which a port can keep using with `contract:`",
    ));
}

fn property_fields(p: &model::Property, add: &mut impl FnMut(bool, &'static str)) {
    add(p.physical_name.is_some(), "physicalName");
    add(p.business_name.is_some(), "businessName");
    add(p.tags.is_some(), "property tags");
    add(p.examples.is_some(), "examples");
    add(
        p.partitioned.is_some() || p.partition_key_position.is_some(),
        "partitioning",
    );
    add(p.encrypted_name.is_some(), "encryptedName");
    add(p.critical_data_element.is_some(), "criticalDataElement");
    add(
        p.transform_logic.is_some() || p.transform_description.is_some(),
        "transformLogic",
    );
    add(p.relationships.is_some(), "relationships");
    add(
        p.authoritative_definitions.is_some(),
        "authoritativeDefinitions",
    );
    if p.custom_properties
        .iter()
        .any(|x| x.property.as_str() != "masking")
    {
        add(true, "customProperties");
    }
    for f in p.properties.iter().flatten() {
        property_fields(f, add);
    }
    if let Some(i) = &p.items {
        property_fields(i, add);
    }
}

/// A later contract of the same product: its ports join the product; its
/// product-level values must agree with the first.
fn merge(
    first: &mut ProductDoc,
    p: ProductDoc,
    c: &Contract,
    file: FileId,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let mut ok = true;
    let top = span_of(file, c.api_version.loc);
    let related = span_of(first.file, Loc::default());
    let differs = |what: &str| {
        warning(
            format!(
                "this contract's {what} differs from an earlier contract of `{}.{}`; the first is imported",
                first.domain, first.name
            ),
            top,
            "contracts of one data product share its version, status, owner, description, tags and inputs",
        )
        .with_related(related, "the first contract of the product")
    };
    let checks: [(&str, bool); 8] = [
        ("version", first.version != p.version),
        ("status", first.status != p.status),
        ("owner", first.owner != p.owner),
        ("description", first.description != p.description),
        ("tags", first.tags != p.tags),
        ("title", first.title != p.title),
        ("inputs", first.inputs != p.inputs),
        (
            "deprecation",
            first.sunset != p.sunset || first.replaced_by != p.replaced_by,
        ),
    ];
    for (what, bad) in checks {
        if bad {
            diags.push(differs(what));
        }
    }
    for (name, port) in p.ports {
        if first.ports.iter().any(|(n, _)| *n == name) {
            diags.push(
                m008(
                    format!(
                        "`{}.{}` already has a port `{name}` from an earlier contract",
                        first.domain, first.name
                    ),
                    span_of(file, port.name.loc),
                )
                .with_related(related, "the first contract of the product")
                .with_help("give the schema objects of one product different names"),
            );
            ok = false;
            continue;
        }
        first.ports.push((name, port));
    }
    for a in p.access {
        if !first.access.contains(&a) {
            first.access.push(a);
        }
    }
    ok
}

// ------------------------------------------------------------------ context

fn sp_str(s: &Option<Sp<String>>) -> Value {
    str_value(s.as_ref().map(|s| s.as_str()))
}

fn sp_list(l: &[Sp<String>]) -> Value {
    Value::from(
        l.iter()
            .map(|s| Value::from(s.as_str()))
            .collect::<Vec<_>>(),
    )
}

fn column_value(c: &Column) -> Value {
    Fields::value([
        ("name", Value::from(c.name.as_str())),
        ("type", Value::from(c.column_type.as_str())),
        (
            "nullable",
            c.nullable
                .as_ref()
                .map(|n| Value::from(n.value))
                .unwrap_or(Value::from(())),
        ),
        ("description", sp_str(&c.description)),
        ("classification", sp_str(&c.classification)),
        (
            "masking",
            str_value(c.masking.as_ref().map(|m| m.value.as_str())),
        ),
        (
            "derivedFrom",
            if c.derived_from.is_empty() {
                Value::from(())
            } else {
                sp_list(&c.derived_from)
            },
        ),
    ])
}

fn quality_value(q: &Quality) -> Value {
    Fields::value([
        ("type", Value::from(q.check.value.as_str())),
        ("column", sp_str(&q.column)),
        (
            "columns",
            if q.columns.is_empty() {
                Value::from(())
            } else {
                sp_list(&q.columns)
            },
        ),
        (
            "values",
            if q.values.is_empty() {
                Value::from(())
            } else {
                Value::from(
                    q.values
                        .iter()
                        .map(|v| Value::from_serialize(&v.value))
                        .collect::<Vec<_>>(),
                )
            },
        ),
        ("maxAge", sp_str(&q.max_age)),
        (
            "min",
            q.min
                .as_ref()
                .map(|m| Value::from(m.value))
                .unwrap_or(Value::from(())),
        ),
        (
            "max",
            q.max
                .as_ref()
                .map(|m| Value::from(m.value))
                .unwrap_or(Value::from(())),
        ),
        ("description", sp_str(&q.description)),
    ])
}

fn port_value(p: &Port) -> Value {
    let sla = p.sla.as_ref().map(|s| {
        Fields::value([
            ("freshness", sp_str(&s.freshness)),
            ("availability", sp_str(&s.availability)),
            ("retention", sp_str(&s.retention)),
        ])
    });
    Value::from_iter([
        ("name", Value::from(p.name.as_str())),
        (
            "type",
            str_value(p.port_type.as_ref().map(|t| t.value.as_str())),
        ),
        (
            "visibility",
            str_value(p.visibility.as_ref().map(|v| v.value.as_str())),
        ),
        ("description", sp_str(&p.description)),
        ("primary_key", sp_list(&p.primary_key)),
        ("query", sp_str(&p.query)),
        (
            "columns",
            Value::from(
                p.columns
                    .iter()
                    .flatten()
                    .map(|c| column_value(c))
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            "quality",
            Value::from(
                p.quality
                    .iter()
                    .map(|q| quality_value(q))
                    .collect::<Vec<_>>(),
            ),
        ),
        ("sla", sla.unwrap_or(Value::from(()))),
    ])
}

fn product_context(p: &ProductDoc) -> Value {
    minijinja::context! {
        name => p.name,
        domain => p.domain,
        title => p.title,
        description => p.description,
        owner => p.owner,
        tags => list_value(&p.tags),
        version => p.version,
        status => p.status,
        sunset => p.sunset,
        replaced_by => p.replaced_by,
        inputs => Value::from(p.inputs.iter().map(Input::value).collect::<Vec<_>>()),
        outputs => Value::from(p.ports.iter().map(|(_, port)| port_value(port)).collect::<Vec<_>>()),
        access => Value::from(p.access.iter().map(AllowEntry::value).collect::<Vec<_>>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EXAMPLE: &str = include_str!("../../tests/data/odcs/examples/all-data-types.odcs.yaml");
    const OURS: &str =
        include_str!("../../tests/fixtures/check/M008/ok/products/contracts/orders.odcs.yaml");

    /// Imports `text` as a contract file; every diagnostic's span lies in
    /// its file and every document written parses as YAML.
    fn run(text: &str) -> usize {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("c.odcs.yaml");
        std::fs::write(&path, text).expect("write");
        let mut db = SourceDb::new(dir.path());
        let opts = Options {
            domain: Some("d".into()),
            owner: Some("t".into()),
            products_only: false,
        };
        let out = import(&mut db, &[&path], &opts);
        for d in &out.diagnostics {
            if let Some(l) = &d.primary {
                let f = db.get(l.span.file);
                assert!(l.span.end as usize <= f.text.len(), "{d:?}");
            }
        }
        for doc in &out.documents {
            assert!(!doc.path.contains(".."), "{}", doc.path);
            let parsed: Result<serde_json::Value, _> = serde_saphyr::from_str(&doc.text);
            assert!(
                parsed.is_ok(),
                "{}: {:?}\n{}",
                doc.path,
                parsed.err(),
                doc.text
            );
        }
        out.documents.len()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn mutated_contracts_import_or_say_why(which in 0usize..2, pos in 0usize..4000, cut in 0usize..30, insert in "[-:\\[\\]{}&*!|>'\" \\n#a-zA-Z0-9<>]{0,12}") {
            let base = if which == 0 { EXAMPLE } else { OURS };
            let mut s = base.to_string();
            let mut start = pos.min(s.len());
            while !s.is_char_boundary(start) { start -= 1; }
            let mut end = (start + cut).min(s.len());
            while !s.is_char_boundary(end) { end -= 1; }
            s.replace_range(start..end, &insert);
            let _ = run(&s);
        }
    }

    #[test]
    fn hostile_text_stays_data() {
        let text = OURS.replace(
            "The order number.",
            "\"\\n---\\napiVersion: meshc/v1\\nkind: Mesh\\n# </script> {{ x }} {% y %}\"",
        );
        // The product, its domain and its team, with the text as data.
        assert_eq!(run(&text), 3);
        assert_eq!(run(OURS), 3);
    }

    #[test]
    fn names() {
        assert_eq!(meshc_name("my_table").as_deref(), Some("my_table"));
        assert_eq!(meshc_name("txnRefDate").as_deref(), Some("txn_ref_date"));
        assert_eq!(meshc_name("Sales & Risk").as_deref(), Some("sales_risk"));
        assert_eq!(meshc_name("  tbl-1 ").as_deref(), Some("tbl_1"));
        assert_eq!(meshc_name("1st"), None);
        assert_eq!(meshc_name("---"), None);
        assert_eq!(meshc_name(&"a".repeat(80)).map(|s| s.len()), Some(63));
    }
}
