//! An in-process parse cache keyed by a file's exact text: a file whose
//! bytes were parsed before (the base side of `meshc diff`, whose unchanged
//! blobs are the head's) is not parsed again (SPEC §8).
//!
//! [`parse::parse_file`] depends on the text only: documents carry
//! locations relative to their own file (`Loc::file == 0`), and only the
//! diagnostics name a [`FileId`], which is remapped to the new file's id
//! when a result is reused. Entries are found by a hash computed outside
//! any lock and then compared by text, so a hash collision never returns
//! another file's result. Safe to share between rayon workers.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::parse::{self, FileResult};
use super::store::{self, Key, Store};
use crate::diagnostics::Diagnostic;
use crate::source::{FileId, SourceFile};

const SHARDS: usize = 16;

/// One parsed text.
struct Entry {
    text: Arc<str>,
    /// The id the result's diagnostics name.
    file: FileId,
    result: FileResult,
}

/// Parse results by file text. See the module documentation.
pub struct ParseCache {
    shards: Vec<Mutex<HashMap<u64, Vec<Entry>>>>,
    hits: AtomicUsize,
    misses: AtomicUsize,
    /// Set for a build's cache: results come from, and go to, a store on
    /// disk instead of memory.
    persist: Option<Persist>,
}

/// The on-disk side of a persistent cache: the store the previous build
/// wrote, and every result of this load, encoded, for the next one.
struct Persist {
    old: Store,
    /// `None` for a cache that only reads (`meshc check` never writes).
    new: Option<Mutex<Vec<(Key, Stored)>>>,
}

/// An encoded result: a range of the old store, or new bytes.
enum Stored {
    Old(std::ops::Range<usize>),
    New(Vec<u8>),
}

impl Default for ParseCache {
    fn default() -> Self {
        ParseCache {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
            persist: None,
        }
    }
}

/// How often the cache answered, and how often it parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    pub hits: usize,
    pub misses: usize,
}

impl ParseCache {
    pub fn new() -> Self {
        ParseCache::default()
    }

    /// Counters since the cache was made.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    /// How many distinct texts the cache holds.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| lock(s).values().map(Vec::len).sum::<usize>())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A cache that reads results from `old` (the store a previous build
    /// wrote: see [`ParseCache::write_store`]) and keeps nothing in memory
    /// but this load's encoded results, for the next store.
    pub fn persistent(old: Store) -> Self {
        ParseCache {
            persist: Some(Persist {
                old,
                new: Some(Mutex::default()),
            }),
            ..ParseCache::default()
        }
    }

    /// A cache that reads results from `old` and records nothing.
    pub fn reading(old: Store) -> Self {
        ParseCache {
            persist: Some(Persist { old, new: None }),
            ..ParseCache::default()
        }
    }

    /// Writes the store of everything this (persistent) cache's loads read,
    /// then forgets it; `Ok(false)` when the cache is not persistent.
    pub fn write_store(&self, w: &mut dyn std::io::Write) -> std::io::Result<bool> {
        let Some((p, new)) = self
            .persist
            .as_ref()
            .and_then(|p| p.new.as_ref().map(|n| (p, n)))
        else {
            return Ok(false);
        };
        let mut new = std::mem::take(&mut *lock(new));
        new.sort_by_key(|(k, _)| *k);
        new.dedup_by_key(|(k, _)| *k);
        let entries: Vec<(Key, &[u8])> = new
            .iter()
            .map(|(k, s)| match s {
                Stored::Old(r) => (*k, p.old.bytes(r.clone())),
                Stored::New(b) => (*k, b.as_slice()),
            })
            .collect();
        store::write_store(w, &entries)?;
        Ok(true)
    }

    /// A persistent cache's parse: the old store's result when it has one
    /// for these bytes, else a parse; either way recorded for the next store.
    fn parse_persistent(&self, p: &Persist, file: FileId, src: &SourceFile) -> FileResult {
        let key = Key::of(&src.text);
        if let Some(range) = p.old.range(&key)
            && let Some(result) = store::decode(p.old.bytes(range.clone()), file)
        {
            self.hits.fetch_add(1, Ordering::Relaxed);
            if let Some(new) = &p.new {
                lock(new).push((key, Stored::Old(range)));
            }
            return result;
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let result = parse::parse_file(file, src);
        if let Some(new) = &p.new
            && let Some(bytes) = store::encode(&result, file)
        {
            lock(new).push((key, Stored::New(bytes)));
        }
        result
    }

    /// `parse::parse_file(file, src)`, parsed once per distinct text.
    pub fn parse(&self, file: FileId, src: &SourceFile) -> FileResult {
        if let Some(p) = &self.persist {
            return self.parse_persistent(p, file, src);
        }
        let key = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            src.text.hash(&mut h);
            h.finish()
        };
        let shard = &self.shards[(key % SHARDS as u64) as usize];
        let found = lock(shard).get(&key).and_then(|entries| {
            entries
                .iter()
                .find(|e| *e.text == *src.text)
                .map(|e| (e.file, e.result.clone()))
        });
        if let Some((parsed_as, mut result)) = found {
            self.hits.fetch_add(1, Ordering::Relaxed);
            if parsed_as != file {
                for d in &mut result.diagnostics {
                    remap(d, parsed_as, file);
                }
            }
            return result;
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let result = parse::parse_file(file, src);
        let mut map = lock(shard);
        let entries = map.entry(key).or_default();
        // Another worker may have parsed the same text meanwhile.
        if !entries.iter().any(|e| *e.text == *src.text) {
            entries.push(Entry {
                text: Arc::from(src.text.as_str()),
                file,
                result: result.clone(),
            });
        }
        result
    }
}

/// A poisoned shard still holds whole entries (they are pushed complete).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn remap(d: &mut Diagnostic, from: FileId, to: FileId) {
    for label in d.primary.iter_mut().chain(d.related.iter_mut()) {
        if label.span.file == from {
            label.span.file = to;
        }
    }
}
