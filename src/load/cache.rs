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
}

impl Default for ParseCache {
    fn default() -> Self {
        ParseCache {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
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

    /// `parse::parse_file(file, src)`, parsed once per distinct text.
    pub fn parse(&self, file: FileId, src: &SourceFile) -> FileResult {
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
