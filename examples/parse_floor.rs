//! SPEC §8's reference points for parsing, measured on this machine, so the
//! benchmark's figures can be compared with the budget's machine: over every
//! `.yaml` file under DIR (outside hidden folders; meant for a freshly
//! generated mesh, which has no build output), on one thread,
//!
//! - `events`: the bare YAML event parser serde-saphyr is built on
//!   (granit-parser, re-exported by serde-saphyr);
//! - `serde-saphyr`: serde-saphyr deserializing each document of each file
//!   into `serde::de::IgnoredAny` (its own cost, no meshc type);
//! - `meshc`: meshc's parse of each file (`load::parse::parse_file`: its
//!   documents with locations, and diagnostics), plus copying the file's
//!   text and indexing its lines, as the loader does.
//!
//! SPEC §8 gives ~0.9 s and ~2.3 s for the first two on the budget's
//! machine for the generated 10,000-product mesh. This program uses the
//! system allocator (the meshc binary uses mimalloc). Files that are not
//! UTF-8 are counted and left out.
//!
//!   cargo run --release --example parse_floor -- DIR

use std::process::ExitCode;
use std::time::Instant;

use meshc::load::parse::parse_file;
use meshc::source::{FileId, SourceFile};

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: parse_floor DIR");
        return ExitCode::from(2);
    };
    let mut files = Vec::new();
    let mut not_utf8 = 0usize;
    let walk = walkdir::WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                eprintln!("parse_floor: {e}");
                return ExitCode::from(2);
            }
        };
        if !(entry.file_type().is_file() && entry.path().extension().is_some_and(|x| x == "yaml")) {
            continue;
        }
        match std::fs::read(entry.path()) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => files.push(text),
                Err(_) => not_utf8 += 1,
            },
            Err(e) => {
                eprintln!("parse_floor: {}: {e}", entry.path().display());
                return ExitCode::from(2);
            }
        }
    }
    let bytes: usize = files.iter().map(String::len).sum();

    let t = Instant::now();
    let mut events = 0usize;
    for text in &files {
        for ev in serde_saphyr::granit_parser::Parser::new_from_str(text) {
            if ev.is_err() {
                break;
            }
            events += 1;
        }
    }
    let events_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut failed = 0usize;
    for text in &files {
        if serde_saphyr::from_multiple::<serde::de::IgnoredAny>(text).is_err() {
            failed += 1;
        }
    }
    let saphyr_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut docs = 0usize;
    for text in &files {
        let file = SourceFile::new(String::new(), text.clone());
        docs += parse_file(FileId(0), &file).docs.len();
    }
    let meshc_s = t.elapsed().as_secs_f64();

    println!(
        "parse floor: events={events_s:.2}s serde-saphyr={saphyr_s:.2}s meshc={meshc_s:.2}s \
         ({} files, {bytes} bytes, {events} events, {docs} documents, {failed} not YAML, \
         {not_utf8} not UTF-8; one thread)",
        files.len()
    );
    ExitCode::SUCCESS
}
