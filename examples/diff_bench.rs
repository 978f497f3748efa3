//! Times `meshc diff`'s engine over two meshes (e.g. two revisions of a
//! generated one):
//!
//! cargo run --release --example diff_bench -- BASE_DIR HEAD_DIR
//!
//! Prints the check time of each side, then the diff and each format's
//! render time; the diff must stay well under one check.

use std::path::Path;
use std::time::Instant;

use meshc::diff::{DiffFormat, diff, render};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, head] = args.as_slice() else {
        eprintln!("usage: diff_bench BASE_DIR HEAD_DIR");
        std::process::exit(2);
    };
    let Some(as_of) = meshc::date::Date::parse("2026-11-25") else {
        std::process::exit(2);
    };
    let t = Instant::now();
    let Ok(b) = meshc::check(Path::new(base), &[], as_of) else {
        eprintln!("cannot read {base}");
        std::process::exit(2);
    };
    let tb = t.elapsed();
    let t = Instant::now();
    let Ok(h) = meshc::check(Path::new(head), &[], as_of) else {
        eprintln!("cannot read {head}");
        std::process::exit(2);
    };
    let th = t.elapsed();
    let t = Instant::now();
    let r = diff(&b, &h);
    let td = t.elapsed();
    println!(
        "check base {:.0} ms, check head {:.0} ms, diff {:.1} ms: {} products, {} changes, {} findings, {} new diagnostics ({} pre-existing)",
        tb.as_secs_f64() * 1e3,
        th.as_secs_f64() * 1e3,
        td.as_secs_f64() * 1e3,
        h.mesh.products.len(),
        r.changes.len(),
        r.findings.len(),
        r.new_diagnostics.len(),
        r.preexisting.errors + r.preexisting.warnings + r.preexisting.infos
    );
    for f in [
        DiffFormat::Text,
        DiffFormat::Markdown,
        DiffFormat::Json,
        DiffFormat::Github,
        DiffFormat::Sarif,
    ] {
        let t = Instant::now();
        let out = render(&r, &b.db, &h.db, f, false);
        println!(
            "render {f:?}: {:.1} ms, {} bytes",
            t.elapsed().as_secs_f64() * 1e3,
            out.len()
        );
    }
}
