//! Shared by the diff tests: the fixture and edits of its head copy.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// tests/fixtures/diff/base.
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diff/base")
}

/// An edit of a mesh: in `file`, replace `from` (which must occur) with
/// `to`; `to` = None deletes the file.
pub type Edit<'a> = (&'a str, &'a str, Option<&'a str>);

pub fn apply(dir: &Path, edits: &[Edit]) {
    for (file, from, to) in edits {
        let path = dir.join(file);
        match to {
            None => std::fs::remove_file(&path).expect("rm"),
            Some(to) => {
                let text = std::fs::read_to_string(&path).expect("read");
                assert!(text.contains(from), "{file} has no {from:?}");
                std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
            }
        }
    }
}
