//! Logical column types (SPEC §1.5): the parser, their canonical spelling,
//! and the one table that maps each of them to the physical type of every
//! built-in engine.
//!
//! The table is what C207 checks against and what DDL is emitted from, so
//! a type either has a physical type that holds every one of its values or
//! it is unmappable, with the reason — never a silent guess. Where a
//! mapping is not one to one it is stated here and in the C207 page:
//!
//! - **postgres**: `struct<…>` and `map<…>` are stored as `jsonb` (dates,
//!   times and uuids as their ISO/text form inside it); a map's keys must be
//!   `string`/`varchar(n)` (jsonb object keys are text) and nothing inside a
//!   struct or map may be `binary` (JSON has no binary values). Arrays of
//!   scalars are native arrays (`T[]`); arrays of arrays (PostgreSQL arrays
//!   are rectangular) and of structs or maps (they would need composite
//!   types) are unmappable.
//! - **trino** (Iceberg tables): Iceberg has no 16-bit integer, so
//!   `smallint` is `integer`; it has no JSON type, so `json` is `varchar`
//!   holding JSON text; `varchar(n)` is accepted by Trino, but Iceberg
//!   stores it as an unbounded string (the length is not enforced).
//!   Timestamps and times have microsecond precision (`(6)`), as Iceberg's.
//! - **spark** (Spark SQL, Iceberg): no TIME type, so `time` is
//!   unmappable; `uuid` is `string` (the canonical 36-character text) and
//!   `json` is `string` holding JSON text.
//! - **snowflake**: `uuid` is `varchar(36)`, `json` is `variant`; arrays
//!   are untyped `array`s and structs and maps are `object`s (semi-structured,
//!   so a map's keys must be `string`/`varchar(n)`: object keys are text).

use std::borrow::Cow;
use std::fmt;

use crate::diagnostics::suggest;

/// A column type as meshc understands it, independent of any engine.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LogicalType {
    Boolean,
    Smallint,
    Integer,
    Bigint,
    /// `decimal(p,s)`: 1 <= p <= 38, s <= p.
    Decimal {
        precision: u32,
        scale: u32,
    },
    /// 32-bit IEEE float.
    Real,
    /// 64-bit IEEE float.
    Double,
    /// Text of any length.
    String,
    /// Text of at most n characters, n >= 1.
    Varchar(u32),
    Date,
    /// Time of day without time zone, microsecond precision.
    Time,
    /// Date and time without time zone, microsecond precision.
    Timestamp,
    /// An instant (date and time with time zone), microsecond precision.
    Timestamptz,
    Uuid,
    Json,
    Binary,
    Array(Box<LogicalType>),
    /// Named fields, in order; names are unique identifiers.
    Struct(Vec<(String, LogicalType)>),
    /// Keys are scalar types.
    Map(Box<LogicalType>, Box<LogicalType>),
}

/// Names of the logical types, as written.
pub const TYPE_NAMES: &[&str] = &[
    "boolean",
    "smallint",
    "integer",
    "bigint",
    "decimal",
    "real",
    "double",
    "string",
    "varchar",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "uuid",
    "json",
    "binary",
    "array",
    "struct",
    "map",
];

/// Largest decimal precision every engine holds.
pub const MAX_DECIMAL_PRECISION: u32 = 38;
/// Largest `varchar(n)` length meshc reads (Trino's limit is the largest).
pub const MAX_VARCHAR_LENGTH: u32 = 2_147_483_646;
/// Deepest nesting of `array`, `struct` and `map` meshc reads.
pub const MAX_DEPTH: usize = 32;

/// Why a string is not a logical type, and where in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeError {
    pub message: String,
    /// Byte offset of the offending part in the type string.
    pub offset: usize,
    /// Its length in bytes (0 at the end of the string).
    pub len: usize,
    /// A suggestion ("did you mean …"), when there is one.
    pub help: Option<String>,
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TypeError {}

impl LogicalType {
    /// Parses a logical type. Whitespace between tokens is allowed; type
    /// names are lower case.
    pub fn parse(s: &str) -> Result<LogicalType, TypeError> {
        let mut p = Parser {
            s,
            pos: 0,
            depth: 0,
        };
        p.ws();
        if p.pos == s.len() {
            return Err(TypeError {
                message: "the type is empty".into(),
                offset: 0,
                len: s.len(),
                help: Some(format!("logical types are: {}", all_types())),
            });
        }
        let t = p.ty()?;
        p.ws();
        if p.pos < s.len() {
            return Err(p.trailing(&t));
        }
        Ok(t)
    }

    /// Not an array, struct or map.
    pub fn is_scalar(&self) -> bool {
        !matches!(
            self,
            LogicalType::Array(_) | LogicalType::Struct(_) | LogicalType::Map(..)
        )
    }

    fn is_text(&self) -> bool {
        matches!(self, LogicalType::String | LogicalType::Varchar(_))
    }
}

impl fmt::Display for LogicalType {
    /// The canonical spelling: `decimal(12,2)`, `array<string>`,
    /// `struct<a: integer, b: string>`, `map<string, integer>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use LogicalType as T;
        match self {
            T::Boolean => f.write_str("boolean"),
            T::Smallint => f.write_str("smallint"),
            T::Integer => f.write_str("integer"),
            T::Bigint => f.write_str("bigint"),
            T::Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            T::Real => f.write_str("real"),
            T::Double => f.write_str("double"),
            T::String => f.write_str("string"),
            T::Varchar(n) => write!(f, "varchar({n})"),
            T::Date => f.write_str("date"),
            T::Time => f.write_str("time"),
            T::Timestamp => f.write_str("timestamp"),
            T::Timestamptz => f.write_str("timestamptz"),
            T::Uuid => f.write_str("uuid"),
            T::Json => f.write_str("json"),
            T::Binary => f.write_str("binary"),
            T::Array(t) => write!(f, "array<{t}>"),
            T::Struct(fields) => {
                f.write_str("struct<")?;
                for (i, (name, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {t}")?;
                }
                f.write_str(">")
            }
            T::Map(k, v) => write!(f, "map<{k}, {v}>"),
        }
    }
}

fn all_types() -> String {
    "boolean, smallint, integer, bigint, decimal(p,s), real, double, string, varchar(n), date, time, timestamp, timestamptz, uuid, json, binary, array<T>, struct<name: T, …>, map<K, V>".into()
}

/// Names from other type systems, and what meshc calls them.
const ALIASES: &[(&str, &str)] = &[
    ("bool", "boolean"),
    ("tinyint", "smallint"),
    ("int2", "smallint"),
    ("short", "smallint"),
    ("int", "integer"),
    ("int4", "integer"),
    ("int8", "bigint"),
    ("long", "bigint"),
    ("numeric", "decimal(p,s)"),
    ("number", "decimal(p,s)"),
    ("float4", "real"),
    ("float8", "double"),
    ("text", "string"),
    ("char", "varchar(n)"),
    ("character", "varchar(n)"),
    ("datetime", "timestamp"),
    ("timestamp_ntz", "timestamp"),
    ("timestamp_ltz", "timestamptz"),
    ("timestamp_tz", "timestamptz"),
    ("jsonb", "json"),
    ("variant", "json"),
    ("bytea", "binary"),
    ("bytes", "binary"),
    ("blob", "binary"),
    ("varbinary", "binary"),
    ("list", "array<T>"),
    ("row", "struct<name: T, …>"),
    ("record", "struct<name: T, …>"),
    ("object", "struct<name: T, …> or map<K, V>"),
];

fn unknown_name_help(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    if lower != word {
        if TYPE_NAMES.contains(&lower.as_str()) {
            return format!("type names are lower case: `{lower}`");
        }
        if let Some((_, to)) = ALIASES.iter().find(|(a, _)| *a == lower) {
            return format!("type names are lower case; meshc calls this type `{to}`");
        }
    }
    if lower == "float" {
        return "use `real` (32-bit) or `double` (64-bit)".into();
    }
    if let Some((_, to)) = ALIASES.iter().find(|(a, _)| *a == lower) {
        return format!("meshc calls this type `{to}`");
    }
    match suggest(word, TYPE_NAMES.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("logical types are: {}", all_types()),
    }
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        let b = self.s.as_bytes();
        while self.pos < b.len() && b[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn err(&self, offset: usize, len: usize, message: impl Into<String>) -> TypeError {
        TypeError {
            message: message.into(),
            offset,
            len,
            help: None,
        }
    }

    /// The character at the cursor, for messages, and its length.
    fn found(&self) -> (String, usize) {
        let rest = &self.s[self.pos..];
        let word = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        if word > 0 {
            return (format!("`{}`", &rest[..word]), word);
        }
        match rest.chars().next() {
            Some(c) => (format!("`{c}`"), c.len_utf8()),
            None => ("the end of the type".into(), 0),
        }
    }

    /// A run of `[A-Za-z0-9_]` at the cursor (after whitespace).
    fn word(&mut self) -> (usize, &'a str) {
        self.ws();
        let start = self.pos;
        let b = self.s.as_bytes();
        while self.pos < b.len() && (b[self.pos].is_ascii_alphanumeric() || b[self.pos] == b'_') {
            self.pos += 1;
        }
        (start, &self.s[start..self.pos])
    }

    fn expect(&mut self, c: u8, context: &str) -> Result<(), TypeError> {
        self.ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            return Ok(());
        }
        let (found, len) = self.found();
        Err(self.err(
            self.pos,
            len,
            format!("expected `{}` {context}, found {found}", c as char),
        ))
    }

    /// A decimal number: (value, offset, length). `None` as value when it
    /// does not fit in a u32.
    fn number(&mut self, what: &str) -> Result<(Option<u32>, usize, usize), TypeError> {
        self.ws();
        let start = self.pos;
        let b = self.s.as_bytes();
        while self.pos < b.len() && b[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        if self.pos == start {
            let (found, len) = self.found();
            return Err(self.err(start, len, format!("expected {what}, found {found}")));
        }
        let digits = &self.s[start..self.pos];
        Ok((digits.parse().ok(), start, self.pos - start))
    }

    fn ty(&mut self) -> Result<LogicalType, TypeError> {
        use LogicalType as T;
        let (start, word) = self.word();
        if word.is_empty() {
            let (found, len) = self.found();
            return Err(self.err(self.pos, len, format!("expected a type, found {found}")));
        }
        let word_len = word.len();
        let t = match word {
            "boolean" => T::Boolean,
            "smallint" => T::Smallint,
            "integer" => T::Integer,
            "bigint" => T::Bigint,
            "real" => T::Real,
            "double" => T::Double,
            "string" => T::String,
            "date" => T::Date,
            "time" => T::Time,
            "timestamp" => T::Timestamp,
            "timestamptz" => T::Timestamptz,
            "uuid" => T::Uuid,
            "json" => T::Json,
            "binary" => T::Binary,
            "decimal" => return self.decimal(start),
            "varchar" => return self.varchar(start),
            "array" | "struct" | "map" => {
                self.ws();
                if self.peek() != Some(b'<') {
                    let (found, len) = self.found();
                    let shape = match word {
                        "array" => "array<T>",
                        "struct" => "struct<name: T, …>",
                        _ => "map<K, V>",
                    };
                    return Err(TypeError {
                        help: Some(format!("write `{shape}`")),
                        ..self.err(
                            self.pos,
                            len,
                            format!("expected `<` after `{word}`, found {found}"),
                        )
                    });
                }
                self.pos += 1;
                if self.depth >= MAX_DEPTH {
                    return Err(self.err(
                        start,
                        self.pos - start,
                        format!("types nest at most {MAX_DEPTH} levels deep"),
                    ));
                }
                self.depth += 1;
                let t = match word {
                    "array" => self.array()?,
                    "struct" => self.fields()?,
                    _ => self.map()?,
                };
                self.depth -= 1;
                return Ok(t);
            }
            _ => {
                return Err(TypeError {
                    help: Some(unknown_name_help(word)),
                    ..self.err(start, word_len, format!("unknown type `{word}`"))
                });
            }
        };
        // A scalar: parameters are a mistake worth its own message.
        let here = self.pos;
        self.ws();
        if matches!(self.peek(), Some(b'(' | b'<')) {
            let help = match t {
                T::Timestamp | T::Timestamptz | T::Time => {
                    Some(format!("`{word}` always has microsecond precision"))
                }
                _ => None,
            };
            return Err(TypeError {
                help,
                ..self.err(self.pos, 1, format!("`{word}` takes no parameters"))
            });
        }
        self.pos = here;
        Ok(t)
    }

    fn decimal(&mut self, start: usize) -> Result<LogicalType, TypeError> {
        self.ws();
        if self.peek() != Some(b'(') {
            return Err(TypeError {
                help: Some("e.g. `decimal(18,2)`: 18 digits, 2 after the point".into()),
                ..self.err(
                    start,
                    "decimal".len(),
                    "`decimal` needs a precision and a scale",
                )
            });
        }
        self.pos += 1;
        let (p, p_at, p_len) = self.number("a precision")?;
        self.ws();
        let (scale, s_at, s_len) = if self.peek() == Some(b',') {
            self.pos += 1;
            let (s, at, len) = self.number("a scale")?;
            (s, Some(at), len)
        } else {
            (Some(0), None, 0)
        };
        self.expect(b')', "after the decimal's precision and scale")?;
        let precision = match p {
            Some(p) if (1..=MAX_DECIMAL_PRECISION).contains(&p) => p,
            _ => {
                return Err(self.err(
                    p_at,
                    p_len,
                    format!(
                        "decimal precision must be 1 to {MAX_DECIMAL_PRECISION}, not {}",
                        &self.s[p_at..p_at + p_len]
                    ),
                ));
            }
        };
        match (scale, s_at) {
            (Some(scale), _) if scale <= precision => Ok(LogicalType::Decimal { precision, scale }),
            (_, Some(at)) => Err(self.err(
                at,
                s_len,
                format!(
                    "decimal scale {} is larger than its precision {precision}",
                    &self.s[at..at + s_len]
                ),
            )),
            // Unreachable: an omitted scale is 0.
            (_, None) => Ok(LogicalType::Decimal {
                precision,
                scale: 0,
            }),
        }
    }

    fn varchar(&mut self, start: usize) -> Result<LogicalType, TypeError> {
        self.ws();
        if self.peek() != Some(b'(') {
            return Err(TypeError {
                help: Some("write `varchar(n)` with the maximum length, or `string` for text of any length".into()),
                ..self.err(start, "varchar".len(), "`varchar` needs a length")
            });
        }
        self.pos += 1;
        let (n, at, len) = self.number("a length")?;
        self.expect(b')', "after the varchar's length")?;
        match n {
            Some(0) => Err(self.err(at, len, "varchar length must be at least 1")),
            Some(n) if n <= MAX_VARCHAR_LENGTH => Ok(LogicalType::Varchar(n)),
            _ => Err(TypeError {
                help: Some("use `string` for text of any length".into()),
                ..self.err(
                    at,
                    len,
                    format!("varchar length must be at most {MAX_VARCHAR_LENGTH}"),
                )
            }),
        }
    }

    fn array(&mut self) -> Result<LogicalType, TypeError> {
        let inner = self.ty()?;
        self.expect(b'>', "to close `array<`")?;
        Ok(LogicalType::Array(Box::new(inner)))
    }

    fn map(&mut self) -> Result<LogicalType, TypeError> {
        self.ws();
        let key_at = self.pos;
        let key = self.ty()?;
        if !key.is_scalar() {
            return Err(TypeError {
                help: Some("a map's keys are compared for equality: use a scalar type such as `string` or `bigint`".into()),
                ..self.err(
                    key_at,
                    self.pos - key_at,
                    format!("map keys must be a scalar type, not `{key}`"),
                )
            });
        }
        self.expect(b',', "between the map's key and value types")?;
        let value = self.ty()?;
        self.expect(b'>', "to close `map<`")?;
        Ok(LogicalType::Map(Box::new(key), Box::new(value)))
    }

    fn fields(&mut self) -> Result<LogicalType, TypeError> {
        let mut fields: Vec<(String, LogicalType)> = Vec::new();
        loop {
            self.ws();
            if fields.is_empty() && self.peek() == Some(b'>') {
                return Err(self.err(self.pos, 1, "a struct needs at least one field"));
            }
            let (at, name) = self.word();
            if name.is_empty() {
                let (found, len) = self.found();
                return Err(self.err(
                    self.pos,
                    len,
                    format!("expected a struct field name, found {found}"),
                ));
            }
            let name = name.to_string();
            if !crate::resolve::valid_name(&name) {
                return Err(TypeError {
                    help: Some(
                        "field names start with a lowercase letter, then lowercase letters, digits or `_`"
                            .into(),
                    ),
                    ..self.err(
                        at,
                        name.len(),
                        format!("struct field name `{name}` must match [a-z][a-z0-9_]*"),
                    )
                });
            }
            if fields.iter().any(|(n, _)| *n == name) {
                return Err(self.err(at, name.len(), format!("duplicate struct field `{name}`")));
            }
            self.expect(b':', &format!("after struct field `{name}`"))?;
            let t = self.ty()?;
            fields.push((name, t));
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'>') => {
                    self.pos += 1;
                    return Ok(LogicalType::Struct(fields));
                }
                _ => {
                    let (found, len) = self.found();
                    return Err(self.err(
                        self.pos,
                        len,
                        format!("expected `,` or `>` after a struct field, found {found}"),
                    ));
                }
            }
        }
    }

    /// Text after a complete type.
    fn trailing(&self, t: &LogicalType) -> TypeError {
        let rest = &self.s[self.pos..];
        let end = rest.trim_end().len();
        let mut e = self.err(
            self.pos,
            end,
            format!("unexpected `{}` after the type `{t}`", rest.trim_end()),
        );
        let lower = rest.to_ascii_lowercase();
        e.help = match t {
            LogicalType::Double if lower.starts_with("precision") => Some("write `double`".into()),
            LogicalType::Timestamp | LogicalType::Time
                if lower.starts_with("with time zone") || lower.starts_with("with timezone") =>
            {
                Some("write `timestamptz` for a timestamp with time zone".into())
            }
            LogicalType::Timestamp | LogicalType::Time
                if lower.starts_with("without time zone") =>
            {
                Some(format!("write `{t}`"))
            }
            _ => None,
        };
        e
    }
}

// ------------------------------------------------------------------ engines

/// The built-in engines (SPEC §1.1). Engines added by templates have no
/// entry here: meshc cannot know their types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Engine {
    Postgres,
    Trino,
    Spark,
    Snowflake,
}

impl Engine {
    pub const ALL: [Engine; 4] = [
        Engine::Postgres,
        Engine::Trino,
        Engine::Spark,
        Engine::Snowflake,
    ];

    pub fn parse(name: &str) -> Option<Engine> {
        Engine::ALL.into_iter().find(|e| e.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Trino => "trino",
            Engine::Spark => "spark",
            Engine::Snowflake => "snowflake",
        }
    }

    /// How messages name the engine.
    pub fn title(self) -> &'static str {
        match self {
            Engine::Postgres => "PostgreSQL",
            Engine::Trino => "Trino (Iceberg)",
            Engine::Spark => "Spark SQL",
            Engine::Snowflake => "Snowflake",
        }
    }
}

/// The physical type of `t` on a built-in engine, in that engine's SQL, or
/// why the engine cannot hold it. An engine that is not built in is an
/// error too (callers that skip such engines use [`Engine::parse`] first).
pub fn physical(engine: &str, t: &LogicalType) -> Result<String, String> {
    match Engine::parse(engine) {
        Some(e) => physical_type(e, t),
        None => Err(format!("`{engine}` is not a built-in engine")),
    }
}

/// [`physical`] for a known engine.
pub fn physical_type(engine: Engine, t: &LogicalType) -> Result<String, String> {
    physical_str(engine, t).map(Cow::into_owned)
}

/// A physical type: most are static text.
pub type Phys = Cow<'static, str>;

/// [`physical_type`] without allocating for the common (static) types, for
/// checks that only need to know whether a type maps.
pub fn physical_str(engine: Engine, t: &LogicalType) -> Result<Phys, String> {
    match engine {
        Engine::Postgres => postgres(t),
        Engine::Trino => trino(t),
        Engine::Spark => spark(t),
        Engine::Snowflake => snowflake(t),
    }
}

/// `name(precision,scale)`, e.g. `numeric(18,2)`: the engines' decimal
/// types, asked for once per column per engine (itoa rather than `format!`).
fn decimal_type(name: &str, precision: u32, scale: u32) -> Phys {
    let (mut p, mut s) = (itoa::Buffer::new(), itoa::Buffer::new());
    Cow::Owned([name, "(", p.format(precision), ",", s.format(scale), ")"].concat())
}

/// `varchar(n)`.
fn varchar_type(n: u32) -> Phys {
    Cow::Owned(["varchar(", itoa::Buffer::new().format(n), ")"].concat())
}

/// PostgreSQL's limit on `varchar(n)`.
const POSTGRES_MAX_VARCHAR: u32 = 10_485_760;
/// Snowflake's limit on `varchar(n)` (128 MiB).
const SNOWFLAKE_MAX_VARCHAR: u32 = 134_217_728;

fn too_long(engine: Engine, n: u32, max: u32) -> String {
    format!(
        "{} holds `varchar(n)` up to {max} characters, not {n}; use `string`",
        engine.title()
    )
}

fn postgres(t: &LogicalType) -> Result<Phys, String> {
    use LogicalType as T;
    Ok(match t {
        T::Boolean => "boolean".into(),
        T::Smallint => "smallint".into(),
        T::Integer => "integer".into(),
        T::Bigint => "bigint".into(),
        T::Decimal { precision, scale } => decimal_type("numeric", *precision, *scale),
        T::Real => "real".into(),
        T::Double => "double precision".into(),
        T::String => "text".into(),
        T::Varchar(n) if *n <= POSTGRES_MAX_VARCHAR => varchar_type(*n),
        T::Varchar(n) => return Err(too_long(Engine::Postgres, *n, POSTGRES_MAX_VARCHAR)),
        T::Date => "date".into(),
        T::Time => "time".into(),
        T::Timestamp => "timestamp".into(),
        T::Timestamptz => "timestamptz".into(),
        T::Uuid => "uuid".into(),
        T::Json => "jsonb".into(),
        T::Binary => "bytea".into(),
        T::Array(inner) => match **inner {
            T::Array(_) => {
                return Err(format!(
                    "PostgreSQL arrays are rectangular, so `{t}` (whose inner arrays may differ in length) has no column type; use `json`"
                ));
            }
            T::Struct(_) | T::Map(..) => {
                return Err(format!(
                    "a PostgreSQL array of `{inner}` would need a composite element type, which meshc does not create; use `json`"
                ));
            }
            _ => Cow::Owned(format!("{}[]", postgres(inner)?)),
        },
        T::Struct(_) | T::Map(..) => {
            in_json(t, Engine::Postgres, "jsonb")?;
            "jsonb".into()
        }
    })
}

/// Whether a struct or map (and everything inside it) can be stored as a
/// JSON document (`jsonb`, Snowflake's `object`).
fn in_json(t: &LogicalType, engine: Engine, container: &str) -> Result<(), String> {
    use LogicalType as T;
    match t {
        T::Binary if engine == Engine::Postgres => Err(format!(
            "{} stores structs and maps as `{container}`, and JSON has no binary values: `binary` cannot be inside a struct or map; store it as base64 text in a `string`",
            engine.title()
        )),
        T::Array(inner) => in_json(inner, engine, container),
        T::Struct(fields) => fields
            .iter()
            .try_for_each(|(_, f)| in_json(f, engine, container)),
        T::Map(k, v) => {
            if !k.is_text() {
                return Err(format!(
                    "{} stores maps as `{container}`, whose keys are text: `{t}` has `{k}` keys; use `map<string, {v}>`",
                    engine.title()
                ));
            }
            in_json(v, engine, container)
        }
        _ => Ok(()),
    }
}

/// Trino field names are quoted: a field may be named like a keyword.
fn trino(t: &LogicalType) -> Result<Phys, String> {
    use LogicalType as T;
    Ok(match t {
        T::Boolean => "boolean".into(),
        // Iceberg has no 16-bit integer; integer holds every smallint.
        T::Smallint => "integer".into(),
        T::Integer => "integer".into(),
        T::Bigint => "bigint".into(),
        T::Decimal { precision, scale } => decimal_type("decimal", *precision, *scale),
        T::Real => "real".into(),
        T::Double => "double".into(),
        T::String => "varchar".into(),
        // Accepted by Trino; Iceberg keeps an unbounded string.
        T::Varchar(n) => varchar_type(*n),
        T::Date => "date".into(),
        T::Time => "time(6)".into(),
        T::Timestamp => "timestamp(6)".into(),
        T::Timestamptz => "timestamp(6) with time zone".into(),
        T::Uuid => "uuid".into(),
        // Iceberg has no JSON type: JSON text.
        T::Json => "varchar".into(),
        T::Binary => "varbinary".into(),
        T::Array(inner) => Cow::Owned(format!("array({})", trino(inner)?)),
        T::Struct(fields) => {
            let fields = fields
                .iter()
                .map(|(n, f)| Ok(format!("\"{n}\" {}", trino(f)?)))
                .collect::<Result<Vec<_>, String>>()?;
            Cow::Owned(format!("row({})", fields.join(", ")))
        }
        T::Map(k, v) => Cow::Owned(format!("map({}, {})", trino(k)?, trino(v)?)),
    })
}

/// Spark field names are quoted with backticks, for the same reason.
fn spark(t: &LogicalType) -> Result<Phys, String> {
    use LogicalType as T;
    Ok(match t {
        T::Boolean => "boolean".into(),
        T::Smallint => "smallint".into(),
        T::Integer => "int".into(),
        T::Bigint => "bigint".into(),
        T::Decimal { precision, scale } => decimal_type("decimal", *precision, *scale),
        T::Real => "float".into(),
        T::Double => "double".into(),
        T::String => "string".into(),
        T::Varchar(n) => varchar_type(*n),
        T::Date => "date".into(),
        T::Time => {
            return Err(
                "Spark SQL has no TIME type; store the time of day as `string` or as seconds since midnight in an `integer`"
                    .into(),
            );
        }
        T::Timestamp => "timestamp_ntz".into(),
        T::Timestamptz => "timestamp".into(),
        // Spark has no uuid type: the canonical 36-character text.
        T::Uuid => "string".into(),
        // Spark has no JSON type: JSON text.
        T::Json => "string".into(),
        T::Binary => "binary".into(),
        T::Array(inner) => Cow::Owned(format!("array<{}>", spark(inner)?)),
        T::Struct(fields) => {
            let fields = fields
                .iter()
                .map(|(n, f)| Ok(format!("`{n}`: {}", spark(f)?)))
                .collect::<Result<Vec<_>, String>>()?;
            Cow::Owned(format!("struct<{}>", fields.join(", ")))
        }
        T::Map(k, v) => Cow::Owned(format!("map<{}, {}>", spark(k)?, spark(v)?)),
    })
}

fn snowflake(t: &LogicalType) -> Result<Phys, String> {
    use LogicalType as T;
    Ok(match t {
        T::Boolean => "boolean".into(),
        T::Smallint => "smallint".into(),
        T::Integer => "integer".into(),
        T::Bigint => "bigint".into(),
        T::Decimal { precision, scale } => decimal_type("number", *precision, *scale),
        // Snowflake's only float is 64-bit; it holds every real.
        T::Real => "float".into(),
        T::Double => "double".into(),
        T::String => "varchar".into(),
        T::Varchar(n) if *n <= SNOWFLAKE_MAX_VARCHAR => varchar_type(*n),
        T::Varchar(n) => return Err(too_long(Engine::Snowflake, *n, SNOWFLAKE_MAX_VARCHAR)),
        T::Date => "date".into(),
        T::Time => "time".into(),
        T::Timestamp => "timestamp_ntz".into(),
        T::Timestamptz => "timestamp_tz".into(),
        // The canonical 36-character text.
        T::Uuid => "varchar(36)".into(),
        T::Json => "variant".into(),
        T::Binary => "binary".into(),
        // Semi-structured: elements are variants.
        T::Array(_) => {
            in_json(t, Engine::Snowflake, "object")?;
            "array".into()
        }
        T::Struct(_) | T::Map(..) => {
            in_json(t, Engine::Snowflake, "object")?;
            "object".into()
        }
    })
}

/// The type map of one engine as a markdown table, for the book: every
/// logical type with representative parameters, its physical type, or why
/// the engine cannot hold it (C207). `tests/engine_docs.rs` keeps the
/// engine pages equal to it.
pub fn markdown_type_map(engine: Engine) -> String {
    const ROWS: &[&str] = &[
        "boolean",
        "smallint",
        "integer",
        "bigint",
        "decimal(12,2)",
        "real",
        "double",
        "string",
        "varchar(64)",
        "varchar(20000000)",
        "varchar(200000000)",
        "date",
        "time",
        "timestamp",
        "timestamptz",
        "uuid",
        "json",
        "binary",
        "array<string>",
        "array<decimal(10,2)>",
        "array<time>",
        "array<array<bigint>>",
        "array<struct<a: integer>>",
        "array<map<string, integer>>",
        "struct<a: integer, b: string>",
        "struct<a: time>",
        "struct<a: binary>",
        "map<string, integer>",
        "map<string, binary>",
        "map<bigint, string>",
    ];
    let code = |s: &str| {
        if s.contains('`') {
            format!("`` {s} ``")
        } else {
            format!("`{s}`")
        }
    };
    let mut out = format!("| logical type | {} type |\n|---|---|\n", engine.title());
    for row in ROWS {
        let cell = match LogicalType::parse(row) {
            Ok(t) => match physical_type(engine, &t) {
                Ok(p) => code(&p),
                Err(why) => format!("not supported (C207): {why}"),
            },
            Err(e) => format!("not a logical type: {e}"),
        };
        out.push_str(&format!("| {} | {cell} |\n", code(row)));
    }
    out
}

/// Whether a column of type `to` holds every value a column of type
/// `from` can hold, unchanged: the widening `meshc diff` accepts as
/// compatible (B504). Integers widen to larger integers, to decimals with
/// enough digits before the point and to floats that hold them exactly;
/// `real` to `double`; decimals to more digits on both sides of the point;
/// `varchar(n)` to a longer `varchar` or `string`; containers element by
/// element, structs field by field (by name; new fields are allowed).
/// Anything else (text to numbers, numbers to text, dates to timestamps,
/// time zones) changes what the values mean, so it does not hold them.
pub fn holds_all(from: &LogicalType, to: &LogicalType) -> bool {
    use LogicalType as T;
    /// Decimal digits an integer type needs.
    fn int_digits(t: &LogicalType) -> Option<u32> {
        match t {
            T::Smallint => Some(5),
            T::Integer => Some(10),
            T::Bigint => Some(19),
            _ => None,
        }
    }
    if from == to {
        return true;
    }
    match (from, to) {
        (T::Smallint, T::Integer | T::Bigint | T::Real | T::Double) => true,
        (T::Integer, T::Bigint | T::Double) => true,
        (T::Smallint | T::Integer | T::Bigint, T::Decimal { precision, scale }) => {
            int_digits(from).is_some_and(|d| precision.saturating_sub(*scale) >= d)
        }
        (T::Real, T::Double) => true,
        (
            T::Decimal {
                precision: p1,
                scale: s1,
            },
            T::Decimal {
                precision: p2,
                scale: s2,
            },
        ) => s2 >= s1 && p2.saturating_sub(*s2) >= p1.saturating_sub(*s1),
        (T::Varchar(n), T::Varchar(m)) => m >= n,
        (T::Varchar(_), T::String) => true,
        (T::Array(a), T::Array(b)) => holds_all(a, b),
        (T::Map(k1, v1), T::Map(k2, v2)) => holds_all(k1, k2) && holds_all(v1, v2),
        (T::Struct(old), T::Struct(new)) => old.iter().all(|(name, t)| {
            new.iter()
                .find(|(n, _)| n == name)
                .is_some_and(|(_, u)| holds_all(t, u))
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> LogicalType {
        LogicalType::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    fn err(s: &str) -> TypeError {
        match LogicalType::parse(s) {
            Ok(t) => panic!("{s} parsed as {t}"),
            Err(e) => e,
        }
    }

    #[test]
    fn parses_and_prints_canonically() {
        let cases = [
            ("boolean", "boolean"),
            ("decimal(12,2)", "decimal(12,2)"),
            (" decimal ( 12 , 2 ) ", "decimal(12,2)"),
            ("decimal(10)", "decimal(10,0)"),
            ("decimal(38,38)", "decimal(38,38)"),
            ("varchar(1)", "varchar(1)"),
            ("array<string>", "array<string>"),
            ("array < array<bigint> >", "array<array<bigint>>"),
            (
                "struct<street: string, postal_code: varchar(16)>",
                "struct<street: string, postal_code: varchar(16)>",
            ),
            (
                "struct<a:integer,b:map<string,double>>",
                "struct<a: integer, b: map<string, double>>",
            ),
            (
                "map<string, array<struct<x: real>>>",
                "map<string, array<struct<x: real>>>",
            ),
            ("timestamptz", "timestamptz"),
            ("\ttime\n", "time"),
        ];
        for (input, canonical) in cases {
            let t = parse(input);
            assert_eq!(t.to_string(), canonical, "{input}");
            // The canonical form parses back to the same type.
            assert_eq!(parse(canonical), t);
        }
    }

    #[test]
    fn every_name_parses() {
        for name in TYPE_NAMES {
            let s = match *name {
                "decimal" => "decimal(5,1)".to_string(),
                "varchar" => "varchar(5)".to_string(),
                "array" => "array<integer>".to_string(),
                "struct" => "struct<a: integer>".to_string(),
                "map" => "map<string, integer>".to_string(),
                n => n.to_string(),
            };
            assert!(parse(&s).to_string().starts_with(name));
        }
    }

    #[test]
    fn errors_point_into_the_string() {
        // (input, offset, len, message part, help part)
        let cases: &[(&str, usize, usize, &str, &str)] = &[
            ("", 0, 0, "empty", "boolean"),
            (
                "strng",
                0,
                5,
                "unknown type `strng`",
                "did you mean `string`?",
            ),
            (
                "BIGINT",
                0,
                6,
                "unknown type `BIGINT`",
                "lower case: `bigint`",
            ),
            ("int", 0, 3, "unknown type `int`", "`integer`"),
            (
                "float",
                0,
                5,
                "unknown type `float`",
                "`real` (32-bit) or `double`",
            ),
            ("array<strng>", 6, 5, "unknown type `strng`", "`string`"),
            (
                "decimal",
                0,
                7,
                "needs a precision and a scale",
                "decimal(18,2)",
            ),
            ("decimal(0,0)", 8, 1, "precision must be 1 to 38, not 0", ""),
            (
                "decimal(39,2)",
                8,
                2,
                "precision must be 1 to 38, not 39",
                "",
            ),
            (
                "decimal(5,6)",
                10,
                1,
                "scale 6 is larger than its precision 5",
                "",
            ),
            ("decimal(5,", 10, 0, "expected a scale, found the end", ""),
            ("decimal(a,2)", 8, 1, "expected a precision, found `a`", ""),
            ("varchar", 0, 7, "needs a length", "string"),
            ("varchar(0)", 8, 1, "at least 1", ""),
            ("varchar(99999999999)", 8, 11, "at most", "string"),
            ("array<string", 12, 0, "expected `>` to close `array<`", ""),
            (
                "array(string)",
                5,
                1,
                "expected `<` after `array`",
                "array<T>",
            ),
            ("struct<>", 7, 1, "at least one field", ""),
            (
                "struct<a: integer, a: string>",
                19,
                1,
                "duplicate struct field `a`",
                "",
            ),
            ("struct<A: integer>", 7, 1, "must match", ""),
            ("struct<1a: integer>", 7, 2, "must match", ""),
            (
                "struct<a integer>",
                9,
                7,
                "expected `:` after struct field `a`",
                "",
            ),
            (
                "struct<a: integer,>",
                18,
                1,
                "expected a struct field name",
                "",
            ),
            (
                "map<array<string>, integer>",
                4,
                13,
                "map keys must be a scalar",
                "",
            ),
            ("map<string>", 10, 1, "expected `,`", ""),
            (
                "bigint extra",
                7,
                5,
                "unexpected `extra` after the type `bigint`",
                "",
            ),
            ("double precision", 7, 9, "unexpected", "write `double`"),
            (
                "timestamp with time zone",
                10,
                14,
                "unexpected",
                "timestamptz",
            ),
            ("timestamp(3)", 9, 1, "takes no parameters", "microsecond"),
            ("integer<x>", 7, 1, "takes no parameters", ""),
            ("é", 0, 2, "expected a type, found `é`", ""),
        ];
        for (input, offset, len, msg, help) in cases {
            let e = err(input);
            assert_eq!((e.offset, e.len), (*offset, *len), "{input}: {e:?}");
            assert!(e.message.contains(msg), "{input}: {e:?}");
            assert!(
                e.help.as_deref().unwrap_or("").contains(help),
                "{input}: {e:?}"
            );
            assert!(e.offset + e.len <= input.len(), "{input}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}string{}", "array<".repeat(40), ">".repeat(40));
        assert!(err(&deep).message.contains("nest at most"));
        let ok = format!("{}string{}", "array<".repeat(32), ">".repeat(32));
        parse(&ok);
        // Hostile input does not overflow the stack.
        let hostile = "array<".repeat(100_000);
        assert!(LogicalType::parse(&hostile).is_err());
    }

    /// Every logical type on every engine: the physical type, or `!` when
    /// the engine cannot hold it.
    #[test]
    fn type_map_covers_every_type_and_engine() {
        #[rustfmt::skip]
        let table: &[(&str, [&str; 4])] = &[
            //  logical                       postgres                  trino                           spark                      snowflake
            ("boolean",                     ["boolean",               "boolean",                      "boolean",                 "boolean"]),
            ("smallint",                    ["smallint",              "integer",                      "smallint",                "smallint"]),
            ("integer",                     ["integer",               "integer",                      "int",                     "integer"]),
            ("bigint",                      ["bigint",                "bigint",                       "bigint",                  "bigint"]),
            ("decimal(12,2)",               ["numeric(12,2)",         "decimal(12,2)",                "decimal(12,2)",           "number(12,2)"]),
            ("decimal(38,0)",               ["numeric(38,0)",         "decimal(38,0)",                "decimal(38,0)",           "number(38,0)"]),
            ("real",                        ["real",                  "real",                         "float",                   "float"]),
            ("double",                      ["double precision",      "double",                       "double",                  "double"]),
            ("string",                      ["text",                  "varchar",                      "string",                  "varchar"]),
            ("varchar(64)",                 ["varchar(64)",           "varchar(64)",                  "varchar(64)",             "varchar(64)"]),
            ("varchar(20000000)",           ["!",                     "varchar(20000000)",            "varchar(20000000)",       "varchar(20000000)"]),
            ("varchar(200000000)",          ["!",                     "varchar(200000000)",           "varchar(200000000)",      "!"]),
            ("date",                        ["date",                  "date",                         "date",                    "date"]),
            ("time",                        ["time",                  "time(6)",                      "!",                       "time"]),
            ("timestamp",                   ["timestamp",             "timestamp(6)",                 "timestamp_ntz",           "timestamp_ntz"]),
            ("timestamptz",                 ["timestamptz",           "timestamp(6) with time zone",  "timestamp",               "timestamp_tz"]),
            ("uuid",                        ["uuid",                  "uuid",                         "string",                  "varchar(36)"]),
            ("json",                        ["jsonb",                 "varchar",                      "string",                  "variant"]),
            ("binary",                      ["bytea",                 "varbinary",                    "binary",                  "binary"]),
            ("array<string>",               ["text[]",                "array(varchar)",               "array<string>",           "array"]),
            ("array<decimal(10,2)>",        ["numeric(10,2)[]",       "array(decimal(10,2))",         "array<decimal(10,2)>",    "array"]),
            ("array<time>",                 ["time[]",                "array(time(6))",               "!",                       "array"]),
            ("array<json>",                 ["jsonb[]",               "array(varchar)",               "array<string>",           "array"]),
            ("array<array<bigint>>",        ["!",                     "array(array(bigint))",         "array<array<bigint>>",    "array"]),
            ("array<struct<a: integer>>",   ["!",                     "array(row(\"a\" integer))",    "array<struct<`a`: int>>", "array"]),
            ("array<map<string, integer>>", ["!",                     "array(map(varchar, integer))", "array<map<string, int>>", "array"]),
            ("struct<a: integer, b: string>", ["jsonb",               "row(\"a\" integer, \"b\" varchar)", "struct<`a`: int, `b`: string>", "object"]),
            ("struct<from: timestamptz>",   ["jsonb",                 "row(\"from\" timestamp(6) with time zone)", "struct<`from`: timestamp>", "object"]),
            ("struct<a: binary>",           ["!",                     "row(\"a\" varbinary)",         "struct<`a`: binary>",     "object"]),
            ("struct<a: time>",             ["jsonb",                 "row(\"a\" time(6))",           "!",                       "object"]),
            ("map<string, string>",         ["jsonb",                 "map(varchar, varchar)",        "map<string, string>",     "object"]),
            ("map<varchar(8), array<bigint>>", ["jsonb",              "map(varchar(8), array(bigint))", "map<varchar(8), array<bigint>>", "object"]),
            ("map<bigint, string>",         ["!",                     "map(bigint, varchar)",         "map<bigint, string>",     "!"]),
            ("map<string, binary>",         ["!",                     "map(varchar, varbinary)",      "map<string, binary>",     "object"]),
            ("array<map<bigint, string>>",  ["!",                     "array(map(bigint, varchar))",  "array<map<bigint, string>>", "!"]),
        ];
        let mut covered = std::collections::HashSet::new();
        for (logical, want) in table {
            let t = parse(logical);
            covered.insert(std::mem::discriminant(&t));
            for (engine, want) in Engine::ALL.into_iter().zip(want) {
                let got = physical(engine.as_str(), &t);
                match (*want, &got) {
                    ("!", Err(why)) => assert!(!why.is_empty()),
                    (w, Ok(g)) => assert_eq!(g, w, "{logical} on {}", engine.as_str()),
                    (w, Err(why)) => {
                        panic!(
                            "{logical} on {}: want {w}, got error {why}",
                            engine.as_str()
                        )
                    }
                }
            }
        }
        // Every variant of LogicalType is in the table.
        let every = [
            "boolean",
            "smallint",
            "integer",
            "bigint",
            "decimal(1,0)",
            "real",
            "double",
            "string",
            "varchar(1)",
            "date",
            "time",
            "timestamp",
            "timestamptz",
            "uuid",
            "json",
            "binary",
            "array<date>",
            "struct<a: date>",
            "map<string, date>",
        ];
        for s in every {
            assert!(
                covered.contains(&std::mem::discriminant(&parse(s))),
                "{s} is not in the table"
            );
        }
        assert!(physical("duckdb", &LogicalType::Integer).is_err());
    }

    #[test]
    fn unmappable_says_why() {
        let why = physical("spark", &parse("time")).unwrap_err();
        assert!(why.contains("no TIME type"), "{why}");
        let why = physical("postgres", &parse("array<array<bigint>>")).unwrap_err();
        assert!(why.contains("rectangular"), "{why}");
        let why = physical("postgres", &parse("map<bigint, string>")).unwrap_err();
        assert!(why.contains("keys are text"), "{why}");
        let why = physical("postgres", &parse("varchar(20000000)")).unwrap_err();
        assert!(why.contains("10485760"), "{why}");
    }
}
