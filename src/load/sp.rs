//! `Sp<T>`: a value with the place in its file it was read from.
//!
//! serde-saphyr's `Spanned<T>` does the work; this wrapper makes locations
//! absolute (a file is parsed one document at a time, see `load::parse`),
//! keeps only what diagnostics need, and lets the syntax types derive
//! `JsonSchema` (a foreign `Spanned` cannot).

use std::cell::Cell;
use std::cmp::Ordering;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::source::FileId;

/// Where a value starts in its file, and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Loc {
    /// 1-based line; 0 means the parser could not tell (values read through
    /// serde's buffering, e.g. a flattened map); callers fall back to the
    /// enclosing node.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
    /// Absolute byte offset in the file.
    pub start: u32,
    /// Length in bytes (at least 1 for known locations).
    pub len: u32,
    /// The file the value was read from when it is not the file of the
    /// document that holds it: 0 means that document's file (every value
    /// of a mesh document), n > 0 means `FileId(n - 1)` (a column a port
    /// took from its ODCS contract file). Read it through [`Loc::file_or`];
    /// `model::span_of` does.
    pub file: u32,
}

impl Loc {
    pub const UNKNOWN: Loc = Loc {
        line: 0,
        col: 0,
        start: 0,
        len: 0,
        file: 0,
    };

    pub fn is_known(&self) -> bool {
        self.line > 0
    }

    /// This location, or `fallback` when this one is unknown.
    pub fn or(self, fallback: Loc) -> Loc {
        if self.is_known() { self } else { fallback }
    }

    /// The file this location is in, given the file of the document that
    /// holds the value (`doc_file`).
    pub fn file_or(self, doc_file: FileId) -> FileId {
        match self.file {
            0 => doc_file,
            n => FileId(n - 1),
        }
    }
}

thread_local! {
    /// (line, byte) of the start of the document being parsed on this thread;
    /// the parser reports positions relative to the document.
    static BASE: Cell<(u32, u32)> = const { Cell::new((0, 0)) };
    /// [`Loc::file`] of every location read on this thread: 0 while a mesh
    /// document is parsed, the contract file's id + 1 while a contract is.
    static FILE: Cell<u32> = const { Cell::new(0) };
    /// Set while the parse cache writes or reads values (`load::cache`):
    /// `Sp` then carries its location along with its value.
    static CACHE: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with [`Sp`] (de)serializing as `[value, loc]`, where `loc` is
/// `[line, col, start, len, file]`: the parse cache's representation,
/// which keeps every location. Everywhere else an `Sp` is just its value.
pub(crate) fn with_locations<R>(f: impl FnOnce() -> R) -> R {
    let old = CACHE.with(|c| c.replace(true));
    let r = f();
    CACHE.with(|c| c.set(old));
    r
}

/// A map whose keys keep their locations: a map as usual, but a list of
/// `[key, value]` pairs in the parse cache (JSON keys are only strings).
pub(crate) mod spanned_keys {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{CACHE, Sp};

    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<Sp<K>, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        if CACHE.with(|c| c.get()) {
            s.collect_seq(map.iter())
        } else {
            map.serialize(s)
        }
    }

    pub fn deserialize<'de, K, V, D>(d: D) -> Result<BTreeMap<Sp<K>, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        if CACHE.with(|c| c.get()) {
            Ok(Vec::<(Sp<K>, V)>::deserialize(d)?.into_iter().collect())
        } else {
            BTreeMap::deserialize(d)
        }
    }
}

impl Serialize for Loc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.line, self.col, self.start, self.len, self.file).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Loc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (line, col, start, len, file) = <(u32, u32, u32, u32, u32)>::deserialize(d)?;
        Ok(Loc {
            line,
            col,
            start,
            len,
            file,
        })
    }
}

/// Runs `f` with locations offset by a document's start in its file.
pub(crate) fn with_base<R>(line: u32, byte: u32, f: impl FnOnce() -> R) -> R {
    let old = BASE.with(|b| b.replace((line, byte)));
    let r = f();
    BASE.with(|b| b.set(old));
    r
}

/// Runs `f` (which parses all of `file` as one document) with every
/// location it reads marked as being in `file`: values read from a
/// contract file keep pointing into it wherever they are moved.
pub(crate) fn in_file<R>(file: FileId, f: impl FnOnce() -> R) -> R {
    let old_file = FILE.with(|c| c.replace(file.0 + 1));
    let r = with_base(0, 0, f);
    FILE.with(|c| c.set(old_file));
    r
}

pub(crate) fn absolute(loc: &serde_saphyr::Location) -> Loc {
    if *loc == serde_saphyr::Location::UNKNOWN || loc.line() == 0 {
        return Loc::UNKNOWN;
    }
    let (base_line, base_byte) = BASE.with(|b| b.get());
    let span = loc.span();
    let start = span.byte_offset().unwrap_or(0) as u32;
    let len = span.byte_len().unwrap_or(1).max(1) as u32;
    Loc {
        line: loc.line() as u32 + base_line,
        col: loc.column() as u32,
        start: start + base_byte,
        len,
        file: FILE.with(|c| c.get()),
    }
}

/// A value and its location.
#[derive(Clone)]
pub struct Sp<T> {
    pub value: T,
    pub loc: Loc,
}

impl<T> Sp<T> {
    pub fn new(value: T, loc: Loc) -> Self {
        Sp { value, loc }
    }
}

impl<T> std::ops::Deref for Sp<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl Sp<String> {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Sp<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: PartialEq> PartialEq for Sp<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
impl<T: Eq> Eq for Sp<T> {}
impl<T: PartialOrd> PartialOrd for Sp<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value.partial_cmp(&other.value)
    }
}
impl<T: Ord> Ord for Sp<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value.cmp(&other.value)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if CACHE.with(|c| c.get()) {
            let (value, loc) = <(T, Loc)>::deserialize(d)?;
            return Ok(Sp { value, loc });
        }
        let s = serde_saphyr::Spanned::<T>::deserialize(d)?;
        Ok(Sp {
            value: s.value,
            loc: absolute(&s.referenced),
        })
    }
}

impl<T: Serialize> Serialize for Sp<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if CACHE.with(|c| c.get()) {
            return (&self.value, self.loc).serialize(s);
        }
        self.value.serialize(s)
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(g)
    }
}
