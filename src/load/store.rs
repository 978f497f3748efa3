//! The persistent parse cache: the representation of one file's parse result (SPEC §8:
//! "keep each file's loaded result a plain, serializable value that depends
//! on nothing but the file's bytes").
//!
//! A [`FileResult`] depends only on the file's bytes: the documents'
//! locations are relative to their file (`Loc::file == 0`) and every
//! diagnostic points into the file itself. So the result is stored without
//! a file id and given one when it is read back.
//!
//! The encoding is JSON with every [`Sp`](super::Sp) written as
//! `[value, [line, col, start, len, file]]` (see `sp::with_locations`) and
//! every struct as the list of its field values (see `compact`):
//! self-describing, which the syntax types need (a flattened map and
//! `serde_json::Value` fields), read back by serde_json.

use serde::{Deserialize, Serialize};

use super::parse::{Broken, FileResult};
use super::sp;
use super::syntax::Document;
use crate::diagnostics::{Code, Diagnostic, Label, Severity};
use crate::source::{FileId, Span};

/// Bumped whenever the encoding changes.
const FORMAT: u32 = 2;

/// What is stored, as read back.
#[derive(Deserialize)]
struct Stored {
    format: u32,
    docs: Vec<Document>,
    diagnostics: Vec<StoredDiagnostic>,
    broken: Vec<Broken>,
}

/// What is stored, as written: the same fields, borrowed.
#[derive(Serialize)]
struct StoredRef<'a> {
    format: u32,
    docs: &'a [Document],
    diagnostics: Vec<StoredDiagnostic>,
    broken: &'a [Broken],
}

#[derive(Serialize, Deserialize)]
struct StoredDiagnostic {
    code: String,
    severity: String,
    message: String,
    primary: Option<(u32, u32, String)>,
    related: Vec<(u32, u32, String)>,
    help: Option<String>,
    domain: Option<String>,
    policy_code: Option<String>,
}

/// `r` as bytes, or `None` when a diagnostic points outside the file it was
/// parsed from (never the case for `parse::parse_file`; such a result is
/// simply not cached).
pub fn encode(r: &FileResult, file: FileId) -> Option<Vec<u8>> {
    let label =
        |l: &Label| (l.span.file == file).then(|| (l.span.start, l.span.end, l.message.clone()));
    let mut diagnostics = Vec::with_capacity(r.diagnostics.len());
    for d in &r.diagnostics {
        let primary = match &d.primary {
            Some(l) => Some(label(l)?),
            None => None,
        };
        let related = d.related.iter().map(label).collect::<Option<Vec<_>>>()?;
        diagnostics.push(StoredDiagnostic {
            code: d.code.as_str().to_string(),
            severity: d.severity.as_str().to_string(),
            message: d.message.clone(),
            primary,
            related,
            help: d.help.clone(),
            domain: d.domain.clone(),
            policy_code: d.policy_code.clone(),
        });
    }
    let stored = StoredRef {
        format: FORMAT,
        docs: &r.docs,
        diagnostics,
        broken: &r.broken,
    };
    sp::with_locations(|| super::compact::to_vec(&stored)).ok()
}

/// The result `encode` stored, for the file now known as `file`; `None`
/// when the bytes are not such a result (another format, damage).
pub fn decode(bytes: &[u8], file: FileId) -> Option<FileResult> {
    let stored: Stored = sp::with_locations(|| serde_json::from_slice(bytes)).ok()?;
    if stored.format != FORMAT {
        return None;
    }
    let label = |(start, end, message): (u32, u32, String)| Label {
        span: Span { file, start, end },
        message,
    };
    let mut diagnostics = Vec::with_capacity(stored.diagnostics.len());
    for d in stored.diagnostics {
        diagnostics.push(Diagnostic {
            code: *Code::ALL.iter().find(|c| c.as_str() == d.code)?,
            severity: Severity::parse(&d.severity)?,
            message: d.message,
            primary: d.primary.map(label),
            related: d.related.into_iter().map(label).collect(),
            help: d.help,
            domain: d.domain,
            policy_code: d.policy_code,
        });
    }
    Some(FileResult {
        docs: stored.docs,
        diagnostics,
        broken: stored.broken,
    })
}

// ------------------------------------------------------------ the store

/// What a file's result is stored under: its length and two 64-bit hashes
/// of its bytes with different seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(u64, u64, u64);

impl Key {
    pub fn of(text: &str) -> Key {
        use std::hash::{Hash, Hasher};
        let h = |seed: u64| {
            let mut s = std::collections::hash_map::DefaultHasher::new();
            seed.hash(&mut s);
            text.hash(&mut s);
            s.finish()
        };
        Key(text.len() as u64, h(0x6d65_7368_6331), h(0x7061_7273_6532))
    }
}

const MAGIC: &[u8; 8] = b"MESHCPC1";

/// Which meshc wrote a store: a store is read only by the very build of
/// meshc that wrote it (its version, and its executable's size and time),
/// so a changed parser never reads another parser's results.
fn writer_id() -> String {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| {
            let t = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}-{t}", m.len())
        })
        .unwrap_or_default();
    format!(
        "meshc {} format {FORMAT} exe {exe}",
        env!("CARGO_PKG_VERSION")
    )
}

/// A parse cache read from disk: encoded results by key.
#[derive(Debug, Default)]
pub struct Store {
    data: Vec<u8>,
    index: std::collections::HashMap<Key, (usize, usize)>,
}

impl Store {
    /// The store at `path`; empty when there is none, it is damaged, or
    /// another build of meshc wrote it.
    pub fn read(path: &std::path::Path) -> Store {
        std::fs::read(path)
            .ok()
            .and_then(Store::parse)
            .unwrap_or_default()
    }

    fn parse(data: Vec<u8>) -> Option<Store> {
        let mut at = 0usize;
        let mut take = |n: usize| -> Option<(usize, usize)> {
            let start = at;
            at = at.checked_add(n).filter(|&e| e <= data.len())?;
            Some((start, at))
        };
        let (s, e) = take(8)?;
        if &data[s..e] != MAGIC {
            return None;
        }
        let word = |(s, e): (usize, usize)| -> Option<u64> {
            Some(u64::from_le_bytes(data.get(s..e)?.try_into().ok()?))
        };
        let id_len = usize::try_from(word(take(8)?)?).ok()?;
        let (s, e) = take(id_len)?;
        if data[s..e] != *writer_id().as_bytes() {
            return None;
        }
        let n = word(take(8)?)?;
        let mut index = std::collections::HashMap::new();
        for _ in 0..n {
            let key = Key(word(take(8)?)?, word(take(8)?)?, word(take(8)?)?);
            let len = usize::try_from(word(take(8)?)?).ok()?;
            let range = take(len)?;
            index.insert(key, range);
        }
        Some(Store { data, index })
    }

    /// The encoded result stored for `key`.
    pub fn get(&self, key: &Key) -> Option<&[u8]> {
        self.range(key).map(|r| self.bytes(r))
    }

    /// Where the result stored for `key` is in the store.
    pub fn range(&self, key: &Key) -> Option<std::ops::Range<usize>> {
        self.index.get(key).map(|&(s, e)| s..e)
    }

    /// The bytes of a range [`Store::range`] gave (empty for any other).
    pub fn bytes(&self, r: std::ops::Range<usize>) -> &[u8] {
        self.data.get(r).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

/// Writes a store holding `entries` (each key once).
pub fn write_store(w: &mut dyn std::io::Write, entries: &[(Key, &[u8])]) -> std::io::Result<()> {
    let id = writer_id();
    w.write_all(MAGIC)?;
    w.write_all(&(id.len() as u64).to_le_bytes())?;
    w.write_all(id.as_bytes())?;
    w.write_all(&(entries.len() as u64).to_le_bytes())?;
    for (k, bytes) in entries {
        for x in [k.0, k.1, k.2, bytes.len() as u64] {
            w.write_all(&x.to_le_bytes())?;
        }
        w.write_all(bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_store_reads_back_what_was_written_and_nothing_else() {
        let (a, b) = (Key::of("a: 1\n"), Key::of("a: 2\n"));
        assert_ne!(a, b);
        let mut buf = Vec::new();
        write_store(&mut buf, &[(a, b"first"), (b, b"second")]).expect("write");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store");
        std::fs::write(&path, &buf).expect("write");
        let s = Store::read(&path);
        assert_eq!(s.len(), 2);
        assert_eq!(s.get(&a), Some(&b"first"[..]));
        assert_eq!(s.get(&b), Some(&b"second"[..]));
        assert_eq!(s.get(&Key::of("a: 3\n")), None);
        // Cut short anywhere, or written by another meshc: empty, no panic.
        for n in 0..buf.len() {
            std::fs::write(&path, &buf[..n]).expect("write");
            assert!(Store::read(&path).is_empty(), "cut at {n}");
        }
        let mut other = buf.clone();
        other[20] ^= 1;
        std::fs::write(&path, &other).expect("write");
        assert!(Store::read(&path).is_empty());
        assert!(Store::read(&dir.path().join("missing")).is_empty());
    }

    use super::*;
    use crate::source::SourceFile;

    fn roundtrip(path: &str, text: &str) {
        let file = FileId(3);
        let src = SourceFile::new(path.into(), text.into());
        let fresh = super::super::parse::parse_file(file, &src);
        let bytes = encode(&fresh, file).expect("encodes");
        let back = decode(&bytes, FileId(7)).expect("decodes");
        // Everything, locations included, survives; only the file id changes.
        assert_eq!(encode(&back, FileId(7)), Some(bytes), "{path}");
        assert_eq!(format!("{:?}", back.docs), format!("{:?}", fresh.docs));
        assert_eq!(back.broken, fresh.broken);
        assert_eq!(back.diagnostics.len(), fresh.diagnostics.len());
        for (a, b) in back.diagnostics.iter().zip(&fresh.diagnostics) {
            let mut b = b.clone();
            for l in b.primary.iter_mut().chain(b.related.iter_mut()) {
                l.span.file = FileId(7);
            }
            assert_eq!(a, &b, "{path}");
        }
    }

    #[test]
    fn every_yaml_file_of_the_repository_round_trips() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut n = 0;
        for dir in ["mesh.example", "tests/fixtures"] {
            for e in walkdir::WalkDir::new(root.join(dir)).sort_by_file_name() {
                let Ok(e) = e else { continue };
                let p = e.path();
                if !matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")) {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(p) else {
                    continue;
                };
                roundtrip(&p.display().to_string(), &text);
                n += 1;
            }
        }
        assert!(n > 100, "only {n} files");
    }

    #[test]
    fn other_bytes_are_refused() {
        assert!(decode(b"not json", FileId(0)).is_none());
        assert!(
            decode(
                br#"{"format":0,"docs":[],"diagnostics":[],"broken":[]}"#,
                FileId(0)
            )
            .is_none()
        );
        assert!(
            decode(
                br#"{"format":2,"docs":[],"diagnostics":[{"code":"Z999","severity":"error","message":"","primary":null,"related":[],"help":null,"domain":null,"policy_code":null}],"broken":[]}"#,
                FileId(0)
            )
            .is_none()
        );
    }
}
