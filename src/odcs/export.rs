//! ODCS export (SPEC §6): `contracts/<domain>/<product>/<port>.odcs.yaml`,
//! one Open Data Contract Standard v3.1.0 contract per output port.
//!
//! Like every emitted text file, a contract comes from a minijinja template:
//! `odcs/contract.odcs.yaml` (built in; a mesh's `spec.templates` folder
//! overrides it by path, and files starting with `_` beside it are partials
//! for `{% include %}` and `{% import %}`). It is rendered once per output
//! port, in parallel, straight into the staging folder.
//!
//! What meshc knows is mapped to ODCS here, in Rust, and handed to the
//! template as values named after the ODCS fields they fill (the mapping
//! table is in the book's ODCS page); the template decides the layout.
//!
//! **YAML safety.** In a template whose name ends in `.yaml` or `.yml`,
//! every `{{ … }}` is written as a YAML scalar by [`write_yaml`] (strings
//! plain when that is unambiguous, else double-quoted with escapes; lists
//! and maps as flow collections), so no text from the mesh can add a key,
//! end a scalar or change a type. The `yaml` filter does the same anywhere
//! and marks its result as already written; `| safe` writes raw text.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use minijinja::value::{Enumerator, Object, ObjectRepr};
use minijinja::{Error, ErrorKind, Output, State, Value};

use crate::access::{self, Names};
use crate::classify::Classes;
use crate::emit::Staging;
use crate::load::syntax::{Column, Masking, Port, PortType, QualityType};
use crate::model::{ColumnRef, Mesh, ProductId, TeamId, port_columns, port_visibility};
use crate::source::SourceDb;
use crate::targets::{Failure, Templates};
use crate::types::{Engine, LogicalType, physical_str};

/// The ODCS version meshc writes: the newest with an official JSON Schema,
/// which datacontract-cli validates against.
pub const API_VERSION: &str = "v3.1.0";

/// The template a contract is rendered from, under the templates folder.
pub const TEMPLATE: &str = "odcs/contract.odcs.yaml";

/// Where a port's contract goes, relative to OUT.
pub fn contract_path(domain: &str, product: &str, port: &str) -> String {
    format!("contracts/{domain}/{product}/{port}.odcs.yaml")
}

/// A contract's `id`: stable as long as the port keeps its name, and unique
/// in a mesh (`urn:meshc:<domain>.<product>.<port>`).
pub fn contract_id(port_fqn: &str) -> String {
    format!("urn:meshc:{port_fqn}")
}

// ------------------------------------------------------------------ YAML scalars

/// Writes `v` as YAML: a string plain when it cannot be read as anything
/// else, otherwise double-quoted (a JSON string, with the characters YAML
/// 1.1 readers fold or refuse escaped too); none as `null`; sequences and
/// maps as flow collections of the same. The result is one line.
pub fn write_yaml(out: &mut impl fmt::Write, v: &Value) -> Result<(), Error> {
    use minijinja::value::ValueKind as K;
    match v.kind() {
        K::Undefined | K::None => out.write_str("null")?,
        K::Bool => out.write_str(if v.is_true() { "true" } else { "false" })?,
        K::Number => {
            if let Some(i) = v.as_i64() {
                write!(out, "{i}")?;
            } else {
                match f64::try_from(v.clone()) {
                    Ok(f) if f.is_nan() => out.write_str(".nan")?,
                    Ok(f) if f.is_infinite() => {
                        out.write_str(if f < 0.0 { "-.inf" } else { ".inf" })?
                    }
                    // Integers beyond i64 and finite floats: minijinja
                    // prints floats with a `.`, which YAML reads as floats.
                    _ => write!(out, "{v}")?,
                }
            }
        }
        K::String => write_str(out, v.as_str().unwrap_or_default())?,
        K::Seq | K::Iterable => {
            out.write_char('[')?;
            for (i, item) in v.try_iter()?.enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                write_yaml(out, &item)?;
            }
            out.write_char(']')?;
        }
        K::Map => {
            out.write_char('{')?;
            for (i, key) in v.try_iter()?.enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                let value = v.get_item(&key)?;
                match key.as_str() {
                    Some(k) => write_str(out, k)?,
                    None => write_str(out, &key.to_string())?,
                }
                out.write_str(": ")?;
                write_yaml(out, &value)?;
            }
            out.write_char('}')?;
        }
        K::Invalid => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("cannot write an invalid value as YAML: {v}"),
            ));
        }
        _ => write_str(out, &v.to_string())?,
    }
    Ok(())
}

/// Words YAML 1.1 or 1.2 reads as booleans or null when plain.
const SPECIAL_WORDS: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];

/// Whether `s` can be written plain and is read back as the same string by
/// YAML 1.1 and 1.2 readers, in block and flow context: a letter or `_`,
/// then letters, digits, `_`, `.` and `-`, and not a boolean or null word.
fn plain_ok(s: &str) -> bool {
    // Letters, digits, `_`, `.` and `-`, as a byte table.
    const PLAIN: [bool; 256] = crate::byte_set(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-",
        0,
    );
    // The length of the longest of SPECIAL_WORDS: longer text is none.
    const LONGEST_SPECIAL: usize = {
        let (mut longest, mut i) = (0, 0);
        while i < SPECIAL_WORDS.len() {
            if SPECIAL_WORDS[i].len() > longest {
                longest = SPECIAL_WORDS[i].len();
            }
            i += 1;
        }
        longest
    };
    let b = s.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|&c| PLAIN[c as usize])
        && (b.len() > LONGEST_SPECIAL || !SPECIAL_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)))
}

/// Writes a string scalar: plain when [`plain_ok`], else double-quoted.
/// Escaped: `"` and `\`, every C0 and C1 control character and DEL, the
/// line and paragraph separators (YAML 1.1 folds them), the byte-order mark
/// and the non-characters U+FFFE/U+FFFF (YAML 1.1 readers refuse them).
fn write_str(out: &mut impl fmt::Write, s: &str) -> fmt::Result {
    if plain_ok(s) {
        return out.write_str(s);
    }
    out.write_char('"')?;
    // Only a byte that can start an escaped character stops the copy:
    // ASCII controls, `"`, `\\`, DEL, and the lead bytes of C1 controls
    // (0xC2), the separators (0xE2) and U+FEFF/U+FFFE/U+FFFF (0xEF). Each
    // is ASCII or a lead byte, so it starts a character.
    const STOP: [bool; 256] = crate::byte_set(b"\"\\\x7f\xc2\xe2\xef", 0x20);
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut at = 0;
    while let Some(off) = bytes[at..].iter().position(|&b| STOP[b as usize]) {
        let i = at + off;
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        at = i + c.len_utf8();
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\t' => Some("\\t"),
            '\r' => Some("\\r"),
            c if (c as u32) < 0x20
                || (0x7f..=0x9f).contains(&(c as u32))
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                None
            }
            _ => continue,
        };
        out.write_str(&s[start..i])?;
        match esc {
            Some(e) => out.write_str(e)?,
            None => write!(out, "\\u{:04x}", c as u32)?,
        }
        start = at;
    }
    out.write_str(&s[start..])?;
    out.write_char('"')
}

/// The `yaml` filter: the value as a YAML scalar or flow collection, marked
/// safe so it is written as is.
pub fn yaml_filter(v: &Value) -> Result<Value, Error> {
    let mut s = String::new();
    write_yaml(&mut s, v)?;
    Ok(Value::from_safe_string(s))
}

/// The `yaml_text(indent)` filter: a string with line breaks as a literal
/// block scalar (`|`, `|-` or `|+` by its final newlines), its lines
/// indented by `indent` spaces; anything else as [`write_yaml`] writes it.
/// Only text a block scalar keeps exactly goes into one: no control
/// characters but newlines, no tab or trailing space, no line that starts
/// with a space before the first non-empty one, no carriage return.
pub fn yaml_text_filter(v: &Value, indent: Option<usize>) -> Result<Value, Error> {
    let indent = indent.unwrap_or(2);
    let Some(text) = v.as_str() else {
        return yaml_filter(v);
    };
    let block_ok = text.contains('\n')
        && !text.trim().is_empty()
        && !text.starts_with([' ', '\n'])
        && text.chars().all(|c| {
            c == '\n'
                || !(c.is_control()
                    || matches!(
                        c,
                        '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                    ))
        })
        && text.split('\n').all(|l| !l.ends_with(' '));
    if !block_ok {
        return yaml_filter(v);
    }
    let body = text.trim_end_matches('\n');
    let trailing = text.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let pad = " ".repeat(indent);
    let mut out = format!("|{chomp}");
    for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    Ok(Value::from_safe_string(out))
}

/// The auto-escape mode of `.yaml`/`.yml` templates.
pub const YAML_ESCAPE: minijinja::AutoEscape = minijinja::AutoEscape::Custom("yaml");

/// The formatter of the contract environment: in YAML templates every
/// `{{ … }}` goes through [`write_yaml`] unless it is marked safe.
pub fn yaml_formatter(out: &mut Output, state: &State, v: &Value) -> Result<(), Error> {
    if state.auto_escape() == YAML_ESCAPE {
        if v.is_safe() {
            out.write_str(v.as_str().unwrap_or_default())?;
            Ok(())
        } else {
            write_yaml(out, v)
        }
    } else {
        minijinja::escape_formatter(out, state, v)
    }
}

/// An ordered map for templates (minijinja's own maps are sorted): ODCS
/// objects keep the field order of the standard's documentation. Fields
/// whose value is none are left out.
#[derive(Debug)]
pub struct Fields(Vec<(&'static str, Value)>);

impl Fields {
    pub fn value(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
        Value::from_object(Fields(
            pairs.into_iter().filter(|(_, v)| !v.is_none()).collect(),
        ))
    }
}

impl Object for Fields {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    // Templates read fields by name: no temporary key value.
    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.0
            .iter()
            .find(|(n, _)| *n == key)
            .map(|(_, v)| v.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.iter().map(|(k, _)| Value::from(*k)).collect())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.0.len())
    }
}

/// Whether `v` is written in flow style inside a block: it holds no list
/// of maps at any depth.
fn is_flow(v: &Value) -> bool {
    use minijinja::value::ValueKind as K;
    match v.kind() {
        K::Seq | K::Iterable => v
            .try_iter()
            .map(|mut it| it.all(|i| i.kind() != K::Map && is_flow(&i)))
            .unwrap_or(true),
        K::Map => match v.downcast_object_ref::<Fields>() {
            Some(f) => f.0.iter().all(|(_, v)| is_flow(v)),
            None => v
                .try_iter()
                .map(|mut it| it.all(|k| v.get_item(&k).map(|x| is_flow(&x)).unwrap_or(true)))
                .unwrap_or(true),
        },
        _ => true,
    }
}

/// Writes `v` as block YAML, each line after the first indented by
/// `indent` spaces (the first starts where the caller is), without a final
/// newline: a map as `key: value` lines, a
/// list as `- item` lines; nested values in flow style unless they hold a
/// list of maps (see [`write_yaml`] for scalars).
pub fn write_block(out: &mut String, v: &Value, indent: usize) -> Result<(), Error> {
    use minijinja::value::ValueKind as K;
    let pad = |out: &mut String, n: usize| out.extend(std::iter::repeat_n(' ', n));
    match v.kind() {
        K::Map => {
            let entry = |out: &mut String, i: usize, k: &str, x: &Value| -> Result<(), Error> {
                if i > 0 {
                    out.push('\n');
                    pad(out, indent);
                }
                write_str(out, k)?;
                if is_flow(x) {
                    out.push_str(": ");
                    write_yaml(out, x)
                } else {
                    out.push_str(":\n");
                    pad(out, indent + 2);
                    write_block(out, x, indent + 2)
                }
            };
            // meshc's ordered maps are read in place.
            if let Some(f) = v.downcast_object_ref::<Fields>() {
                for (i, (k, x)) in f.0.iter().enumerate() {
                    entry(out, i, k, x)?;
                }
            } else {
                for (i, k) in v.try_iter()?.enumerate() {
                    let x = v.get_item(&k)?;
                    match k.as_str() {
                        Some(s) => entry(out, i, s, &x)?,
                        None => entry(out, i, &k.to_string(), &x)?,
                    }
                }
            }
        }
        K::Seq | K::Iterable => {
            for (i, item) in v.try_iter()?.enumerate() {
                if i > 0 {
                    out.push('\n');
                    pad(out, indent);
                }
                out.push_str("- ");
                if item.kind() == K::Map || !is_flow(&item) {
                    write_block(out, &item, indent + 2)?;
                } else {
                    write_yaml(out, &item)?;
                }
            }
        }
        _ => write_yaml(out, v)?,
    }
    Ok(())
}

/// The `yaml_block(indent)` filter: [`write_block`], marked safe. Put it
/// alone on a line, indented by `indent` in the template.
pub fn yaml_block_filter(v: &Value, indent: Option<usize>) -> Result<Value, Error> {
    let mut s = String::new();
    write_block(&mut s, v, indent.unwrap_or(0))?;
    Ok(Value::from_safe_string(s))
}

// ------------------------------------------------------------------ export

/// Renders the contract of every output port into `stage`, in parallel.
/// Returns the paths written; template failures are E401 diagnostics
/// (one per distinct message: a broken template fails every port alike).
pub fn write(
    mesh: &Mesh,
    classes: &Classes,
    names: &Names,
    db: &SourceDb,
    templates: &Templates,
    stage: &Staging,
) -> Result<Vec<String>, Failure> {
    use rayon::prelude::*;
    let env = templates.yaml_environment();
    let jobs: Vec<(ProductId, usize)> = mesh
        .product_ids()
        .flat_map(|pid| (0..mesh.product(pid).spec.outputs.len()).map(move |x| (pid, x)))
        .collect();
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let tpl = env
        .get_template(TEMPLATE)
        .map_err(|e| Failure::Templates(vec![templates.error_for(db, "contracts", &e)]))?;
    let shared = Shared::new(mesh, names);
    let failed = AtomicBool::new(false);
    let results: Vec<Result<Option<String>, Failure>> = jobs
        .par_iter()
        .map_init(
            || (TypeCache::default(), Vec::with_capacity(64 << 10)),
            |(cache, buf), &(pid, x)| {
                if failed.load(Ordering::Relaxed) {
                    return Ok(None);
                }
                let p = mesh.product(pid);
                let port = &p.spec.outputs[x];
                let ctx = shared.context(mesh, classes, names, cache, pid, x);
                buf.clear();
                tpl.render_captured_to(ctx, &mut *buf).map_err(|e| {
                    failed.store(true, Ordering::Relaxed);
                    Failure::Templates(vec![templates.error_for(
                        db,
                        &format!("the contract of `{}.{}`", p.fqn, port.name.as_str()),
                        &e,
                    )])
                })?;
                let rel = contract_path(&p.domain_name, &p.name, port.name.as_str());
                stage.write_bytes(&rel, buf).map(Some).map_err(Failure::Io)
            },
        )
        .collect();
    let mut written = Vec::with_capacity(results.len());
    let mut diags: Vec<crate::diagnostics::Diagnostic> = Vec::new();
    for r in results {
        match r {
            Ok(Some(rel)) => written.push(rel),
            Ok(None) => {}
            Err(Failure::Io(e)) => return Err(Failure::Io(e)),
            Err(Failure::Templates(d)) => {
                for d in d {
                    if !diags.iter().any(|o| o.message == d.message) {
                        diags.push(d);
                    }
                }
            }
        }
    }
    if diags.is_empty() {
        Ok(written)
    } else {
        Err(Failure::Templates(diags))
    }
}

/// What every contract shares, as template values made once.
struct Shared {
    mesh: Value,
    empty: Value,
    /// Per team: its `team` value and its support channels.
    teams: Vec<(Value, Value)>,
    /// Per schema name: the servers (one per Mesh target).
    servers: HashMap<String, Value>,
    /// The targets: name and built-in engine, for physical types.
    targets: Arc<Vec<(Value, Option<Engine>)>>,
}

impl Shared {
    fn new(mesh: &Mesh, names: &Names) -> Shared {
        let root = mesh.root.as_ref();
        let mesh_value = Value::from_iter([
            ("name", opt(root.map(|r| r.metadata.name.as_str()))),
            (
                "title",
                opt(root
                    .and_then(|r| r.metadata.title.as_ref())
                    .map(|t| t.as_str())),
            ),
        ]);
        let teams = mesh
            .teams
            .iter()
            .map(|t| {
                let contact = t.spec.contact.as_ref();
                let team = Value::from_iter([
                    ("name", Value::from(t.name.as_str())),
                    ("title", opt(t.metadata.title.as_ref().map(|s| s.as_str()))),
                    (
                        "description",
                        opt(t.metadata.description.as_ref().map(|s| s.as_str())),
                    ),
                    (
                        "members",
                        Value::from(
                            t.spec
                                .members
                                .iter()
                                .map(|m| Value::from(m.as_str()))
                                .collect::<Vec<_>>(),
                        ),
                    ),
                ]);
                let mut support = Vec::new();
                if let Some(email) = contact.and_then(|c| c.email.as_ref()) {
                    support.push(Value::from_iter([
                        ("channel", Value::from(email.as_str())),
                        ("tool", Value::from("email")),
                        ("url", Value::from(format!("mailto:{}", email.as_str()))),
                    ]));
                }
                if let Some(chat) = contact.and_then(|c| c.chat.as_ref()) {
                    support.push(Value::from_iter([
                        ("channel", Value::from(chat.as_str())),
                        ("tool", Value::from("other")),
                        ("url", Value::from(())),
                    ]));
                }
                (team, Value::from(support))
            })
            .collect();
        let targets: &[crate::load::Sp<crate::load::syntax::Target>] =
            root.map(|r| r.spec.targets.as_slice()).unwrap_or(&[]);
        let mut servers = HashMap::new();
        for schema in names.schema.values() {
            servers.entry(schema.clone()).or_insert_with(|| {
                Value::from(
                    targets
                        .iter()
                        .map(|t| server(t, schema))
                        .collect::<Vec<_>>(),
                )
            });
        }
        Shared {
            mesh: mesh_value,
            empty: Value::from(Vec::<Value>::new()),
            teams,
            servers,
            targets: Arc::new(
                targets
                    .iter()
                    .map(|t| {
                        (
                            Value::from(t.name.as_str()),
                            Engine::parse(t.engine.as_str()),
                        )
                    })
                    .collect(),
            ),
        }
    }

    /// The template context of one port's contract.
    fn context(
        &self,
        mesh: &Mesh,
        classes: &Classes,
        names: &Names,
        cache: &mut TypeCache,
        pid: ProductId,
        x: usize,
    ) -> Value {
        let p = mesh.product(pid);
        let port = &p.spec.outputs[x];
        let port_fqn = format!("{}.{}", p.fqn, port.name.as_str());
        let kind = port
            .port_type
            .as_ref()
            .map(|t| t.value)
            .unwrap_or(PortType::Table);
        let relation = access::is_relation(port);
        let schema = names.schema_of(&p.domain_name);
        let deprecation = p.spec.deprecation.as_ref();
        let product = Value::from_iter([
            ("name", Value::from(p.name.as_str())),
            ("fqn", Value::from(p.fqn.as_str())),
            ("domain", Value::from(p.domain_name.as_str())),
            ("title", opt(p.metadata.title.as_ref().map(|s| s.as_str()))),
            (
                "description",
                opt(p.metadata.description.as_ref().map(|s| s.as_str())),
            ),
            ("version", opt(p.spec.version.as_ref().map(|s| s.as_str()))),
            ("status", Value::from(p.status().as_str())),
            (
                "tags",
                Value::from(
                    p.metadata
                        .tags
                        .iter()
                        .map(|t| Value::from(t.as_str()))
                        .collect::<Vec<_>>(),
                ),
            ),
            (
                "sunset",
                opt(deprecation
                    .and_then(|d| d.sunset.as_ref())
                    .map(|s| s.as_str())),
            ),
            (
                "replaced_by",
                opt(deprecation
                    .and_then(|d| d.replaced_by.as_ref())
                    .map(|s| s.as_str())),
            ),
            ("inputs", inputs(&p.spec.inputs)),
        ]);
        let (columns, schema_quality) = columns(mesh, classes, &self.targets, cache, pid, x, port);
        let columns = Arc::new(columns);
        let (physical_name, masked_physical_name, physical_types) = if relation {
            (
                Value::from(names.relation[pid.idx()][x].as_str()),
                if access::has_masked(port) {
                    Value::from(names.masked[pid.idx()][x].as_str())
                } else {
                    Value::from(())
                },
                physical_types(&self.targets, &columns),
            )
        } else {
            (Value::from(()), Value::from(()), Value::from(()))
        };
        let port_value = Value::from_iter([
            ("name", Value::from(port.name.as_str())),
            ("fqn", Value::from(port_fqn.as_str())),
            ("type", Value::from(kind.as_str())),
            (
                "physical_type",
                Value::from(match kind {
                    PortType::Table => "table",
                    PortType::View => "view",
                    PortType::Stream => "topic",
                    PortType::File => "file",
                }),
            ),
            ("visibility", Value::from(port_visibility(port).as_str())),
            (
                "description",
                opt(port.description.as_ref().map(|s| s.as_str())),
            ),
            ("physical_name", physical_name),
            ("masked_physical_name", masked_physical_name),
            (
                "schema_name",
                if relation {
                    Value::from(schema)
                } else {
                    Value::from(())
                },
            ),
            ("physical_types", physical_types),
            ("query", opt(port.query.as_ref().map(|s| s.as_str()))),
            (
                "primary_key",
                Value::from(
                    port.primary_key
                        .iter()
                        .map(|k| Value::from(k.as_str()))
                        .collect::<Vec<_>>(),
                ),
            ),
            ("columns", Value::from_object(ColList(columns.clone()))),
            ("properties", Value::from_object(PropList(columns))),
            ("quality", Value::from(schema_quality)),
            ("sla", sla(port, p.spec.deprecation.as_ref())),
            (
                "access",
                allowed(p.spec.access.as_ref(), port.name.as_str()),
            ),
        ]);
        let (team, support) = match p.owner {
            Some(TeamId(t)) => self.teams[t as usize].clone(),
            None => (Value::from(()), self.empty.clone()),
        };
        let servers = if relation {
            self.servers
                .get(schema)
                .cloned()
                .unwrap_or(self.empty.clone())
        } else {
            self.empty.clone()
        };
        minijinja::context! {
            meshc_version => env!("CARGO_PKG_VERSION"),
            api_version => API_VERSION,
            id => contract_id(&port_fqn),
            mesh => self.mesh.clone(),
            product => product,
            port => port_value,
            team => team,
            support => support,
            servers => servers,
        }
    }
}

// ------------------------------------------------------------------ meshc's own fields

/// An input as the `inputs` custom property holds it: the fields of a
/// DataProduct's `spec.inputs` entry, written by the export and read back
/// by `meshc import odcs` (one definition, so the two cannot drift).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct InputEntry {
    pub source: Option<String>,
    pub product: Option<String>,
    pub port: Option<String>,
    pub version: Option<String>,
    pub columns: Option<Vec<String>>,
    pub purpose: Option<String>,
}

/// An `access.allow` entry as the `accessAllow` custom property holds it.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct AllowItem {
    pub team: Option<String>,
    pub product: Option<String>,
    pub ports: Option<Vec<String>>,
    pub columns: Option<Vec<String>>,
    pub purpose: Option<String>,
    pub expires: Option<String>,
    #[serde(default)]
    pub unmasked: Vec<String>,
}

fn text(s: &Option<crate::load::Sp<String>>) -> Option<String> {
    s.as_ref().map(|s| s.value.clone())
}

fn texts(l: &[crate::load::Sp<String>]) -> Vec<String> {
    l.iter().map(|s| s.value.clone()).collect()
}

impl From<&crate::load::syntax::Input> for InputEntry {
    fn from(i: &crate::load::syntax::Input) -> Self {
        InputEntry {
            source: text(&i.source),
            product: text(&i.product),
            port: text(&i.port),
            version: text(&i.version),
            columns: i.columns.as_deref().map(texts),
            purpose: text(&i.purpose),
        }
    }
}

impl From<&crate::load::syntax::AllowEntry> for AllowItem {
    fn from(e: &crate::load::syntax::AllowEntry) -> Self {
        AllowItem {
            team: text(&e.team),
            product: text(&e.product),
            ports: e.ports.as_deref().map(texts),
            columns: e.columns.as_deref().map(texts),
            purpose: text(&e.purpose),
            expires: text(&e.expires),
            unmasked: texts(&e.unmasked),
        }
    }
}

/// A list of names as a template value.
pub fn list_value(list: &[String]) -> Value {
    Value::from(
        list.iter()
            .map(|s| Value::from(s.as_str()))
            .collect::<Vec<_>>(),
    )
}

/// A list of names, none when absent (left out of a map).
fn some_list(list: Option<&[String]>) -> Value {
    list.map(list_value).unwrap_or(Value::from(()))
}

impl InputEntry {
    /// The entry as an ordered map in meshc's field names.
    pub fn value(&self) -> Value {
        Fields::value([
            ("source", opt(self.source.as_deref())),
            ("product", opt(self.product.as_deref())),
            ("port", opt(self.port.as_deref())),
            ("version", opt(self.version.as_deref())),
            ("columns", some_list(self.columns.as_deref())),
            ("purpose", opt(self.purpose.as_deref())),
        ])
    }
}

impl AllowItem {
    /// The entry as an ordered map in meshc's field names.
    pub fn value(&self) -> Value {
        Fields::value([
            ("team", opt(self.team.as_deref())),
            ("product", opt(self.product.as_deref())),
            ("ports", some_list(self.ports.as_deref())),
            ("columns", some_list(self.columns.as_deref())),
            ("purpose", opt(self.purpose.as_deref())),
            ("expires", opt(self.expires.as_deref())),
            (
                "unmasked",
                if self.unmasked.is_empty() {
                    Value::from(())
                } else {
                    list_value(&self.unmasked)
                },
            ),
        ])
    }
}

/// The product's inputs (the `inputs` custom property): lineage for
/// readers of the contract, and what `meshc import odcs` reads back.
fn inputs(list: &[crate::load::Sp<crate::load::syntax::Input>]) -> Value {
    Value::from(
        list.iter()
            .map(|i| InputEntry::from(&i.value).value())
            .collect::<Vec<_>>(),
    )
}

/// The producer's `access.allow` entries that cover `port` (all of them
/// when an entry lists no ports), as written (the `accessAllow` custom
/// property).
fn allowed(access: Option<&crate::load::syntax::Access>, port: &str) -> Value {
    let Some(access) = access else {
        return Value::from(Vec::<Value>::new());
    };
    Value::from(
        access
            .allow
            .iter()
            .filter(|e| {
                e.ports
                    .as_ref()
                    .is_none_or(|ps| ps.iter().any(|p| p.as_str() == port))
            })
            .map(|e| AllowItem::from(&e.value).value())
            .collect::<Vec<_>>(),
    )
}

fn opt(s: Option<&str>) -> Value {
    s.map(Value::from).unwrap_or(Value::from(()))
}

// ------------------------------------------------------------------ servers

/// ODCS server types of the built-in engines: the type, the fields the
/// official JSON Schema requires besides `schema` (which comes from the
/// naming), and the fields it allows. A target whose options lack a
/// required field is written as `type: custom`, with the engine in
/// `customProperties`: meshc does not invent hosts or ports.
fn server_type(
    engine: &str,
) -> Option<(
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
)> {
    match engine {
        "postgres" => Some((
            "postgres",
            &["host", "port", "database"],
            &["host", "port", "database"],
        )),
        "trino" => Some((
            "trino",
            &["host", "port", "catalog"],
            &["host", "port", "catalog"],
        )),
        "snowflake" => Some((
            "snowflake",
            &["account", "database"],
            &["account", "database", "host", "port", "warehouse"],
        )),
        _ => None,
    }
}

/// Target options that are ODCS server fields (all of them allowed on a
/// `custom` server): name, and whether the value is an integer (else a
/// string).
const SERVER_FIELDS: &[(&str, bool)] = &[
    ("account", false),
    ("catalog", false),
    ("database", false),
    ("host", false),
    ("port", true),
    ("warehouse", false),
];

/// One Mesh target as an ODCS server holding `schema`. Options that are
/// no field of the server's type are kept in its `customProperties`.
fn server(t: &crate::load::Sp<crate::load::syntax::Target>, schema: &str) -> Value {
    let engine = t.engine.as_str();
    let mut fields: Vec<(&str, Value)> = Vec::new();
    let mut custom: Vec<(&str, Value)> = Vec::new();
    let mut environment = Value::from(());
    let mut description = Value::from(());
    for (k, v) in &t.options {
        let known = SERVER_FIELDS.iter().find(|(f, _)| f == k);
        match (known, v) {
            (Some((f, false)), serde_json::Value::String(s)) => {
                fields.push((f, Value::from(s.as_str())))
            }
            (Some((f, true)), serde_json::Value::Number(n)) if n.is_u64() => {
                fields.push((f, Value::from(n.as_u64())))
            }
            (None, serde_json::Value::String(s)) if k == "environment" => {
                environment = Value::from(s.as_str())
            }
            (None, serde_json::Value::String(s)) if k == "description" => {
                description = Value::from(s.as_str())
            }
            _ => custom.push((k.as_str(), Value::from_serialize(v))),
        }
    }
    let has = |f: &str| fields.iter().any(|(k, _)| *k == f);
    let odcs_type = match server_type(engine) {
        Some((ty, required, allowed)) if required.iter().all(|f| has(f)) => {
            // Fields the type does not have move to customProperties.
            let (keep, other): (Vec<_>, Vec<_>) =
                fields.into_iter().partition(|(k, _)| allowed.contains(k));
            fields = keep;
            custom.extend(other);
            ty
        }
        _ => {
            custom.push(("engine", Value::from(engine)));
            "custom"
        }
    };
    fields.push(("schema", Value::from(schema)));
    fields.sort_by(|a, b| a.0.cmp(b.0));
    custom.sort_by(|a, b| a.0.cmp(b.0));
    Value::from_iter([
        ("server", Value::from(t.name.as_str())),
        ("type", Value::from(odcs_type)),
        ("engine", Value::from(engine)),
        ("description", description),
        ("environment", environment),
        (
            "fields",
            Value::from(
                fields
                    .into_iter()
                    .map(|(k, v)| Value::from_iter([("name", Value::from(k)), ("value", v)]))
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            "custom_properties",
            Value::from(
                custom
                    .into_iter()
                    .map(|(k, v)| custom_property(k, v))
                    .collect::<Vec<_>>(),
            ),
        ),
    ])
}

fn custom_property(name: &str, value: Value) -> Value {
    Value::from_iter([("property", Value::from(name)), ("value", value)])
}

// ------------------------------------------------------------------ SLA

/// A duration or percentage as written (`6h`, `99.5%`): its number and
/// the ODCS unit, when it parses.
fn amount(s: &str) -> Option<(Value, &'static str)> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = (&s[..split], s[split..].trim());
    let unit = match unit {
        "%" => "percent",
        "s" | "sec" | "secs" | "second" | "seconds" => "seconds",
        "m" | "min" | "mins" | "minute" | "minutes" => "minutes",
        "h" | "hr" | "hrs" | "hour" | "hours" => "hours",
        "d" | "day" | "days" => "days",
        "w" | "wk" | "week" | "weeks" => "weeks",
        "mo" | "month" | "months" => "months",
        "y" | "yr" | "yrs" | "year" | "years" => "years",
        _ => return None,
    };
    if num.is_empty() || num.starts_with('.') || num.ends_with('.') || num.matches('.').count() > 1
    {
        return None;
    }
    let value = if num.contains('.') {
        Value::from(num.parse::<f64>().ok()?)
    } else {
        Value::from(num.parse::<u64>().ok()?)
    };
    Some((value, unit))
}

/// `slaProperties`: freshness → `latency` (ODCS prefers it to freshness),
/// availability, retention, and a deprecated product's sunset →
/// `endOfLife`. A value that does not parse as a number and unit is kept
/// as written, without a unit.
fn sla(
    port: &Port,
    deprecation: Option<&crate::load::Sp<crate::load::syntax::Deprecation>>,
) -> Value {
    let mut out = Vec::new();
    let mut push = |property: &str, written: &str| {
        let (value, unit) = match amount(written) {
            Some((v, u)) => (v, Value::from(u)),
            None => (Value::from(written), Value::from(())),
        };
        out.push(Value::from_iter([
            ("property", Value::from(property)),
            ("value", value),
            ("unit", unit),
        ]));
    };
    if let Some(sla) = &port.sla {
        if let Some(f) = &sla.freshness {
            push("latency", f.as_str());
        }
        if let Some(a) = &sla.availability {
            push("availability", a.as_str());
        }
        if let Some(r) = &sla.retention {
            push("retention", r.as_str());
        }
    }
    if let Some(s) = deprecation.and_then(|d| d.sunset.as_ref()) {
        out.push(Value::from_iter([
            ("property", Value::from("endOfLife")),
            ("value", Value::from(s.as_str())),
            ("unit", Value::from(())),
        ]));
    }
    Value::from(out)
}

// ------------------------------------------------------------------ quality

/// A quality entry: an ODCS library metric with its operator (`mustBe`,
/// …), or a custom (`engine: meshc`) check for what ODCS has no metric for.
fn library(
    metric: &'static str,
    operator: &'static str,
    operand: Value,
    arguments: Value,
    dimension: &'static str,
    description: Value,
) -> Value {
    Fields::value([
        ("type", Value::from("library")),
        ("metric", Value::from(metric)),
        (operator, operand),
        ("arguments", arguments),
        ("dimension", Value::from(dimension)),
        ("description", description),
    ])
}

fn custom(implementation: Value, dimension: &'static str, description: Value) -> Value {
    Fields::value([
        ("type", Value::from("custom")),
        ("engine", Value::from("meshc")),
        ("implementation", implementation),
        ("dimension", Value::from(dimension)),
        ("description", description),
    ])
}

/// The port's quality rules as ODCS entries: per column (by index) and at
/// the schema level; and which columns a one-column `unique` rule covers.
fn quality(
    port: &Port,
    cols: &[crate::load::Sp<Column>],
) -> (Vec<Vec<Value>>, Vec<Value>, Vec<bool>) {
    let mut per_col: Vec<Vec<Value>> = vec![Vec::new(); cols.len()];
    let mut unique = vec![false; cols.len()];
    let mut schema = Vec::new();
    let index = |name: &str| cols.iter().position(|c| c.name.as_str() == name);
    for q in &port.quality {
        let named: Vec<&str> = q
            .column
            .iter()
            .chain(q.columns.iter())
            .map(|c| c.as_str())
            .collect();
        let description = opt(q.description.as_ref().map(|d| d.as_str()));
        // Rules on a column that is not there (R105 reports them) go to
        // the schema level, naming it.
        let mut place = |name: Option<&str>, entry: Value| match name.and_then(index) {
            Some(i) => per_col[i].push(entry),
            None => schema.push(entry),
        };
        let zero = || Value::from(0);
        match q.check.value {
            QualityType::NotNull => {
                for c in &named {
                    place(
                        Some(c),
                        library(
                            "nullValues",
                            "mustBe",
                            zero(),
                            Value::from(()),
                            "completeness",
                            description.clone(),
                        ),
                    );
                }
            }
            QualityType::Unique => match named.as_slice() {
                // One column: the property's `unique: true` (which ODCS
                // readers, meshc's too, take as the check; a second
                // duplicateValues entry would be read as a second rule).
                // A column that is not there: a schema-level check.
                [one] => match index(one) {
                    Some(i) => unique[i] = true,
                    None => place(
                        None,
                        library(
                            "duplicateValues",
                            "mustBe",
                            zero(),
                            Value::from_iter([(
                                "properties",
                                Value::from(vec![Value::from(*one)]),
                            )]),
                            "uniqueness",
                            description,
                        ),
                    ),
                },
                many => {
                    let arguments = if many.is_empty() {
                        Value::from(())
                    } else {
                        Value::from_iter([(
                            "properties",
                            Value::from(many.iter().map(|c| Value::from(*c)).collect::<Vec<_>>()),
                        )])
                    };
                    place(
                        None,
                        library(
                            "duplicateValues",
                            "mustBe",
                            zero(),
                            arguments,
                            "uniqueness",
                            description,
                        ),
                    );
                }
            },
            QualityType::AcceptedValues => {
                let valid = Value::from_iter([(
                    "validValues",
                    Value::from(
                        q.values
                            .iter()
                            .map(|v| Value::from_serialize(&v.value))
                            .collect::<Vec<_>>(),
                    ),
                )]);
                for c in &named {
                    place(
                        Some(c),
                        library(
                            "invalidValues",
                            "mustBe",
                            zero(),
                            valid.clone(),
                            "conformity",
                            description.clone(),
                        ),
                    );
                }
            }
            QualityType::Freshness => {
                let check = |column: Option<&str>| {
                    let imp = Fields::value([
                        ("type", Value::from("freshness")),
                        ("column", opt(column)),
                        ("maxAge", opt(q.max_age.as_ref().map(|m| m.as_str()))),
                    ]);
                    custom(imp, "timeliness", description.clone())
                };
                if named.is_empty() {
                    place(None, check(None));
                }
                for c in &named {
                    place(Some(c), check(Some(c)));
                }
            }
            QualityType::RowCount => {
                let min = q.min.as_ref().map(|m| m.value);
                let max = q.max.as_ref().map(|m| m.value);
                let (op, operand) = match (min, max) {
                    (Some(a), Some(b)) if a == b => ("mustBe", Value::from(a)),
                    (Some(a), Some(b)) => ("mustBeBetween", Value::from(vec![a, b])),
                    (Some(a), None) => ("mustBeGreaterOrEqualTo", Value::from(a)),
                    (None, Some(b)) => ("mustBeLessOrEqualTo", Value::from(b)),
                    (None, None) => ("mustBeGreaterOrEqualTo", Value::from(0)),
                };
                place(
                    None,
                    library(
                        "rowCount",
                        op,
                        operand,
                        Value::from(()),
                        "completeness",
                        description,
                    ),
                );
            }
        }
    }
    (per_col, schema, unique)
}

// ------------------------------------------------------------------ columns

/// The ODCS view of a logical type: `logicalType`, `logicalTypeOptions`,
/// and for arrays and structs the `items` or `properties` (nested
/// properties as maps, written as flow collections).
struct TypeInfo {
    /// The logical type in meshc's canonical spelling (the ODCS
    /// `physicalType`); as written when it does not parse.
    written: Value,
    logical: Value,
    options: Value,
    items: Value,
    properties: Value,
    /// Per target: the physical type (none where the engine is not built in
    /// or cannot hold the type).
    physical: Vec<Value>,
}

/// Types seen by one worker thread, by their text: columns share few.
#[derive(Default)]
struct TypeCache(HashMap<String, Arc<TypeInfo>>);

impl TypeCache {
    fn get(&mut self, written: &str, targets: &[(Value, Option<Engine>)]) -> Arc<TypeInfo> {
        if let Some(t) = self.0.get(written) {
            return t.clone();
        }
        let info = match LogicalType::parse(written) {
            Ok(t) => {
                let (logical, options, items, properties) = odcs_type(&t);
                let physical = targets
                    .iter()
                    .map(|(_, engine)| {
                        engine
                            .and_then(|e| physical_str(e, &t).ok())
                            .map(|p| Value::from(p.as_ref()))
                            .unwrap_or(Value::from(()))
                    })
                    .collect();
                TypeInfo {
                    written: Value::from(t.to_string()),
                    logical: Value::from(logical),
                    options,
                    items,
                    properties,
                    physical,
                }
            }
            // C206 reports it; the contract keeps the text.
            Err(_) => TypeInfo {
                written: Value::from(written),
                logical: Value::from(()),
                options: Value::from(()),
                items: Value::from(()),
                properties: Value::from(()),
                physical: Vec::new(),
            },
        };
        let info = Arc::new(info);
        self.0.insert(written.to_string(), info.clone());
        info
    }
}

/// `logicalType`, `logicalTypeOptions`, `items`, `properties` of a type.
fn odcs_type(t: &LogicalType) -> (&'static str, Value, Value, Value) {
    use LogicalType as T;
    let none = || Value::from(());
    let opts = |pairs: &[(&str, Value)]| Value::from_iter(pairs.iter().cloned());
    match t {
        T::Boolean => ("boolean", none(), none(), none()),
        T::Smallint => (
            "integer",
            opts(&[("format", Value::from("i16"))]),
            none(),
            none(),
        ),
        T::Integer => (
            "integer",
            opts(&[("format", Value::from("i32"))]),
            none(),
            none(),
        ),
        T::Bigint => (
            "integer",
            opts(&[("format", Value::from("i64"))]),
            none(),
            none(),
        ),
        T::Decimal { .. } => ("number", none(), none(), none()),
        T::Real => (
            "number",
            opts(&[("format", Value::from("f32"))]),
            none(),
            none(),
        ),
        T::Double => (
            "number",
            opts(&[("format", Value::from("f64"))]),
            none(),
            none(),
        ),
        T::String => ("string", none(), none(), none()),
        T::Varchar(n) => (
            "string",
            opts(&[("maxLength", Value::from(*n))]),
            none(),
            none(),
        ),
        T::Date => ("date", none(), none(), none()),
        T::Time => ("time", none(), none(), none()),
        T::Timestamp => (
            "timestamp",
            opts(&[("timezone", Value::from(false))]),
            none(),
            none(),
        ),
        T::Timestamptz => (
            "timestamp",
            opts(&[("timezone", Value::from(true))]),
            none(),
            none(),
        ),
        T::Uuid => (
            "string",
            opts(&[("format", Value::from("uuid"))]),
            none(),
            none(),
        ),
        T::Json => ("object", none(), none(), none()),
        T::Binary => (
            "string",
            opts(&[("format", Value::from("binary"))]),
            none(),
            none(),
        ),
        T::Array(inner) => ("array", none(), nested(None, inner), none()),
        T::Struct(fields) => (
            "object",
            none(),
            none(),
            Value::from(
                fields
                    .iter()
                    .map(|(name, t)| nested(Some(name), t))
                    .collect::<Vec<_>>(),
            ),
        ),
        T::Map(..) => ("object", none(), none(), none()),
    }
}

/// A nested type as an ODCS property map (an array's `items`, a struct's
/// `properties`).
fn nested(name: Option<&str>, t: &LogicalType) -> Value {
    let (logical, options, items, properties) = odcs_type(t);
    Fields::value([
        ("name", opt(name)),
        ("logicalType", Value::from(logical)),
        ("logicalTypeOptions", options),
        ("items", items),
        ("properties", properties),
        ("physicalType", Value::from(t.to_string())),
    ])
}

/// Per target: the physical type of every logical type the port's columns
/// use (`{logical: physical}`; empty for an engine meshc does not know).
fn physical_types(targets: &[(Value, Option<Engine>)], cols: &[Col]) -> Value {
    Value::from_iter(targets.iter().enumerate().map(|(i, (name, _))| {
        let mut seen: Vec<(&Value, &Value)> = Vec::new();
        for c in cols {
            if let Some(p) = c.ty.physical.get(i)
                && !p.is_none()
                && !seen.iter().any(|(w, _)| *w == &c.ty.written)
            {
                seen.push((&c.ty.written, p));
            }
        }
        (
            name.clone(),
            Value::from_iter(seen.into_iter().map(|(w, p)| (w.clone(), p.clone()))),
        )
    }))
}

/// One column, ready for the template.
struct Col {
    name: Value,
    ty: Arc<TypeInfo>,
    required: bool,
    unique: bool,
    primary_key_position: Value,
    classification: Value,
    description: Value,
    masking: Value,
    derived_from: Value,
    quality: Value,
}

#[allow(clippy::too_many_arguments)]
fn columns(
    mesh: &Mesh,
    classes: &Classes,
    targets: &[(Value, Option<Engine>)],
    cache: &mut TypeCache,
    pid: ProductId,
    x: usize,
    port: &Port,
) -> (Vec<Col>, Vec<Value>) {
    let cols = port_columns(port);
    let (mut per_col, schema, unique) = quality(port, cols);
    let out = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let effective = classes
                .effective(ColumnRef::Port {
                    product: pid,
                    port: x,
                    column: i,
                })
                .and_then(|r| mesh.classifications.get(r))
                .map(String::as_str)
                .or(c.classification.as_ref().map(|s| s.as_str()));
            let masking = c.masking.as_ref().map(|m| m.value).unwrap_or(Masking::None);
            Col {
                name: Value::from(c.name.as_str()),
                ty: cache.get(c.column_type.as_str(), targets),
                required: c.nullable.as_ref().is_some_and(|n| !n.value),
                unique: unique[i],
                primary_key_position: port
                    .primary_key
                    .iter()
                    .position(|k| k.as_str() == c.name.as_str())
                    .map(|p| Value::from(p + 1))
                    .unwrap_or(Value::from(())),
                classification: opt(effective),
                description: opt(c.description.as_ref().map(|d| d.as_str())),
                masking: if masking == Masking::None {
                    Value::from(())
                } else {
                    Value::from(masking.as_str())
                },
                derived_from: Value::from(
                    c.derived_from
                        .iter()
                        .map(|d| Value::from(d.as_str()))
                        .collect::<Vec<_>>(),
                ),
                quality: Value::from(std::mem::take(&mut per_col[i])),
            }
        })
        .collect();
    (out, schema)
}

#[derive(Debug)]
struct ColList(Arc<Vec<Col>>);

impl std::fmt::Debug for Col {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Col").field("name", &self.name).finish()
    }
}

impl Object for ColList {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let i = key.as_usize()?;
        (i < self.0.len()).then(|| {
            Value::from_object(ColObj {
                list: self.0.clone(),
                index: i,
            })
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.0.len())
    }
}

/// The columns as ODCS properties (ordered maps), for `yaml_block`.
#[derive(Debug)]
struct PropList(Arc<Vec<Col>>);

impl Object for PropList {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.0.get(key.as_usize()?).map(property)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.0.len())
    }
}

/// One column as an ODCS schema property.
fn property(c: &Col) -> Value {
    let t = &c.ty;
    let yes = |b: bool| {
        if b {
            Value::from(true)
        } else {
            Value::from(())
        }
    };
    let nonempty = |v: &Value| {
        if v.len().unwrap_or(0) > 0 {
            v.clone()
        } else {
            Value::from(())
        }
    };
    Fields::value([
        ("name", c.name.clone()),
        ("logicalType", t.logical.clone()),
        ("logicalTypeOptions", t.options.clone()),
        ("items", t.items.clone()),
        ("properties", t.properties.clone()),
        ("physicalType", t.written.clone()),
        ("required", yes(c.required)),
        ("unique", yes(c.unique)),
        ("primaryKey", yes(!c.primary_key_position.is_none())),
        ("primaryKeyPosition", c.primary_key_position.clone()),
        ("classification", c.classification.clone()),
        ("description", c.description.clone()),
        ("transformSourceObjects", nonempty(&c.derived_from)),
        ("quality", nonempty(&c.quality)),
        (
            "customProperties",
            if c.masking.is_none() {
                Value::from(())
            } else {
                Value::from(vec![Fields::value([
                    ("property", Value::from("masking")),
                    ("value", c.masking.clone()),
                ])])
            },
        ),
    ])
}

#[derive(Debug)]
struct ColObj {
    list: Arc<Vec<Col>>,
    index: usize,
}

const COL_FIELDS: &[&str] = &[
    "name",
    "type",
    "logical_type",
    "logical_type_options",
    "items",
    "properties",
    "required",
    "unique",
    "primary_key_position",
    "classification",
    "description",
    "masking",
    "derived_from",
    "quality",
];

impl Object for ColObj {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        let c = &self.list[self.index];
        Some(match key {
            "name" => c.name.clone(),
            "type" => c.ty.written.clone(),
            "logical_type" => c.ty.logical.clone(),
            "logical_type_options" => c.ty.options.clone(),
            "items" => c.ty.items.clone(),
            "properties" => c.ty.properties.clone(),
            "required" => Value::from(c.required),
            "unique" => Value::from(c.unique),
            "primary_key_position" => c.primary_key_position.clone(),
            "classification" => c.classification.clone(),
            "description" => c.description.clone(),
            "masking" => c.masking.clone(),
            "derived_from" => c.derived_from.clone(),
            "quality" => c.quality.clone(),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(COL_FIELDS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(v: Value) -> String {
        let mut s = String::new();
        write_yaml(&mut s, &v).unwrap();
        s
    }

    #[test]
    fn text_blocks_read_back_exactly() {
        for text in [
            "one\ntwo\n",
            "one\ntwo",
            "one\n\ntwo\n\n",
            "a: b\n- c\n# d\n  e\n",
            "select 1\nfrom {{ ref(\"x\") }}\nwhere a <> 'b'\n",
        ] {
            let v = yaml_text_filter(&Value::from(text), Some(2)).expect("filter");
            let doc = format!("k: {}\n", v.as_str().expect("str"));
            let back: std::collections::BTreeMap<String, String> =
                serde_saphyr::from_str(&doc).expect(&doc);
            assert_eq!(back["k"], text, "{doc}");
        }
        // Not safe as a block: written quoted.
        for text in [" lead\nx", "tab\there\nx", "trail \nx", "one line"] {
            let v = yaml_text_filter(&Value::from(text), Some(2)).expect("filter");
            assert!(!v.as_str().expect("str").starts_with('|'), "{text:?}");
        }
    }

    #[test]
    fn strings_are_plain_only_when_unambiguous() {
        assert_eq!(y(Value::from("order_id")), "order_id");
        assert_eq!(y(Value::from("sales.orders.orders")), "sales.orders.orders");
        for s in [
            "yes",
            "No",
            "ON",
            "null",
            "true",
            "y",
            "",
            "1.0",
            "12",
            "-a",
            ".inf",
            "a b",
            "a:b",
            "a#b",
            "decimal(12,2)",
        ] {
            assert!(y(Value::from(s)).starts_with('"'), "{s} must be quoted");
        }
    }

    #[test]
    fn quoting_escapes_what_yaml_readers_fold_or_refuse() {
        assert_eq!(
            y(Value::from(
                "a\"b\\c\nd\te\r\u{7f}\u{85}\u{2028}\u{2029}\u{feff}\u{0}"
            )),
            r#""a\"b\\c\nd\te\r\u007f\u0085\u2028\u2029\ufeff\u0000""#
        );
        assert_eq!(y(Value::from("é 🦀 שלום")), "\"é 🦀 שלום\"");
        // After a run of text that needs no escape.
        assert_eq!(
            y(Value::from("plain é text\u{85}x\u{a0}\u{2028}")),
            "\"plain é text\\u0085x\u{a0}\\u2028\""
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_reads_back_the_same(s in "(\\PC|[\"\\\\\u{0}-\u{1f}\u{7f}-\u{9f}\u{2028}\u{2029}\u{feff}\u{fffe}\u{ffff}])*") {
            let doc = format!("k: {}\n", y(Value::from(s.as_str())));
            let back: std::collections::BTreeMap<String, String> =
                serde_saphyr::from_str(&doc).map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{doc}: {e}")))?;
            proptest::prop_assert_eq!(&back["k"], &s);
        }
    }

    #[test]
    fn collections_are_flow() {
        let v = Value::from_iter([("b", Value::from(vec![1, 2])), ("a", Value::from("x y"))]);
        assert_eq!(y(v), r#"{a: "x y", b: [1, 2]}"#);
        assert_eq!(y(Value::from(())), "null");
        assert_eq!(y(Value::from(1.5)), "1.5");
        assert_eq!(y(Value::from(true)), "true");
    }

    #[test]
    fn blocks_keep_field_order_and_nest_lists_of_maps() {
        let q = Fields::value([
            ("type", Value::from("library")),
            ("metric", Value::from("invalidValues")),
            ("mustBe", Value::from(0)),
            (
                "arguments",
                Value::from_iter([("validValues", Value::from(vec!["a", "b: c"]))]),
            ),
            ("description", Value::from(())),
        ]);
        let prop = Fields::value([
            ("name", Value::from("status")),
            ("logicalType", Value::from("string")),
            ("quality", Value::from(vec![q])),
            ("tags", Value::from(Vec::<Value>::new())),
        ]);
        let mut s = String::new();
        write_block(&mut s, &Value::from(vec![prop]), 4).unwrap();
        assert_eq!(
            s,
            "- name: status\n      logicalType: string\n      quality:\n        - type: library\n          metric: invalidValues\n          mustBe: 0\n          arguments: {validValues: [a, \"b: c\"]}\n      tags: []"
        );
        // A struct's properties (a list of maps) nest as blocks, scalars
        // and small maps stay flow.
        let t = LogicalType::parse("struct<a: array<integer>, b: struct<c: string>>").unwrap();
        let mut s = String::new();
        write_block(&mut s, &nested(Some("x"), &t), 0).unwrap();
        let parsed: serde_json::Value = serde_saphyr::from_str(&s).unwrap();
        assert_eq!(
            parsed["properties"][0]["items"]["logicalTypeOptions"]["format"],
            "i32"
        );
        assert_eq!(parsed["properties"][1]["properties"][0]["name"], "c");
        assert_eq!(
            parsed["physicalType"],
            "struct<a: array<integer>, b: struct<c: string>>"
        );
    }

    #[test]
    fn amounts() {
        assert_eq!(
            amount("6h").map(|(v, u)| (v.to_string(), u)),
            Some(("6".into(), "hours"))
        );
        assert_eq!(
            amount("99.5%").map(|(v, u)| (v.to_string(), u)),
            Some(("99.5".into(), "percent"))
        );
        assert_eq!(
            amount("7y").map(|(v, u)| (v.to_string(), u)),
            Some(("7".into(), "years"))
        );
        assert!(amount("hourly").is_none());
        assert!(amount("6").is_none());
        assert!(amount("1.2.3h").is_none());
    }
}
