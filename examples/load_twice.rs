//! Measures the shared parse cache (`meshc::load::ParseCache`): checks a
//! mesh twice through one cache, as `meshc diff` checks base and head, and
//! prints the time and the cache's counters after each pass.
//!
//!   cargo run --release --example load_twice -- DIR [--rev REV] [--head-rev REV]
//!
//! Without `--rev` both passes read DIR on disk. With `--rev`, the first
//! pass reads DIR at that Git revision (from the object database); the
//! second reads `--head-rev` if given, else the working tree.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use meshc::load::{MeshSource, ParseCache};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let (mut rev, mut head_rev) = (None, None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rev" => rev = args.next(),
            "--head-rev" => head_rev = args.next(),
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: load_twice DIR [--rev REV] [--head-rev REV]");
        return ExitCode::from(2);
    };
    let Some(as_of) = meshc::date::Date::parse("2026-01-01") else {
        return ExitCode::from(2);
    };
    let source = |rev: &Option<String>| -> Result<MeshSource, String> {
        let t = Instant::now();
        let s = match rev {
            Some(r) => MeshSource::at_revision(&dir, r).map_err(|e| e.to_string())?,
            None => MeshSource::Dir(dir.clone()),
        };
        if let Some(r) = rev {
            eprintln!("read_tree {r}: {:.0}ms", t.elapsed().as_secs_f64() * 1000.0);
        }
        Ok(s)
    };
    let cache = ParseCache::new();
    for (pass, rev) in [("first", &rev), ("second", &head_rev)] {
        let src = match source(rev) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        };
        let t = Instant::now();
        let checked = match meshc::check_source(&src, &[dir.join("build")], as_of, Some(&cache)) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        };
        let s = cache.stats();
        eprintln!(
            "{pass} pass: {:.0}ms ({} files, {} diagnostics; cache hits {} misses {}); {}",
            t.elapsed().as_secs_f64() * 1000.0,
            checked.mesh_files,
            checked.diagnostics.len(),
            s.hits,
            s.misses,
            checked.timings.line()
        );
    }
    ExitCode::SUCCESS
}
