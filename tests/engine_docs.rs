//! The book's engine pages show what meshc really emits.
//!
//! - Each built-in engine's page (`book/src/engines/<engine>.md`) holds the
//!   engine's type map, as `meshc::types::markdown_type_map` renders it,
//!   between `<!-- type-map:begin -->` and `<!-- type-map:end -->`.
//! - A fenced block right after `<!-- file: BUILD PATH -->` on any book page
//!   is the whole file `PATH` of the build `BUILD`; one after
//!   `<!-- excerpt: BUILD PATH -->` is found in it: its lines appear in the
//!   file in order and next to each other, except that a line `...` stands
//!   for any number of lines.
//!
//! The builds (judged on 2026-11-25, as the book's console examples are):
//! - `example`: mesh.example plus a Spark target `spark_lake` (option
//!   `catalog: lake`) and a Snowflake target `cloud` (option
//!   `database: analytics`), with the one `time` column of
//!   `logistics.deliveries` made a `string` (Spark SQL has no TIME type);
//! - `duckdb`: `tests/fixtures/book/duckdb`, an engine added by templates.
//!
//! `MESHC_BLESS=1 cargo test --test engine_docs` rewrites the type maps and
//! the `file:` blocks (review the diff); excerpts are never rewritten.

#[path = "support/common.rs"]
mod common;
use common::copy_tree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use meshc::types::{Engine, TYPE_NAMES, markdown_type_map};

const BEGIN: &str = "<!-- type-map:begin -->";
const END: &str = "<!-- type-map:end -->";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bless() -> bool {
    std::env::var_os("MESHC_BLESS").is_some()
}

#[test]
fn type_map_covers_every_logical_type() {
    for engine in Engine::ALL {
        let table = markdown_type_map(engine);
        for name in TYPE_NAMES {
            assert!(
                table.contains(&format!("| `{name}")),
                "the {} type map has no row for `{name}`:\n{table}",
                engine.as_str()
            );
        }
        // Every unmappable row says why.
        for line in table.lines().filter(|l| l.contains("not supported")) {
            assert!(line.contains("(C207): "), "{line}");
        }
    }
}

#[test]
fn engine_pages_show_the_generated_type_map() {
    let mut stale = Vec::new();
    for engine in Engine::ALL {
        let path = root()
            .join("book/src/engines")
            .join(format!("{}.md", engine.as_str()));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
            panic!(
                "{} has no {BEGIN} … {END} markers for the type map",
                path.display()
            );
        };
        assert!(b < e, "{}: {END} comes before {BEGIN}", path.display());
        let start = b + BEGIN.len();
        let want = format!("\n{}", markdown_type_map(engine));
        if text[start..e] != want {
            if bless() {
                let new = format!("{}{want}{}", &text[..start], &text[e..]);
                std::fs::write(&path, new).expect("write page");
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale type maps (run MESHC_BLESS=1 cargo test --test engine_docs): {stale:?}"
    );
}

// ------------------------------------------------------------------ builds

/// The builds the pages quote, by name: their output folders.
fn builds(tmp: &Path) -> BTreeMap<&'static str, PathBuf> {
    let mut out = BTreeMap::new();

    let mesh = tmp.join("example");
    copy_tree(&root().join("mesh.example"), &mesh);
    let mesh_yaml = mesh.join("mesh.yaml");
    let text = std::fs::read_to_string(&mesh_yaml).expect("read mesh.yaml");
    assert!(text.contains("\n  targets:\n"), "mesh.yaml has no targets");
    let text = text.replacen(
        "\n  targets:\n",
        "\n  targets:\n    - name: spark_lake\n      engine: spark\n      catalog: lake\n    - name: cloud\n      engine: snowflake\n      database: analytics\n",
        1,
    );
    std::fs::write(&mesh_yaml, text).expect("write mesh.yaml");
    let deliveries = mesh.join("domains/logistics/products/deliveries.yaml");
    let text = std::fs::read_to_string(&deliveries).expect("read deliveries.yaml");
    assert!(
        text.contains("type: time\n"),
        "deliveries.yaml has no time column any more"
    );
    std::fs::write(&deliveries, text.replace("type: time\n", "type: string\n")).expect("write");
    let dir = tmp.join("example-out");
    common::build_ok(&mesh, &dir);
    out.insert("example", dir);

    let dir = tmp.join("duckdb-out");
    common::build_ok(root().join("tests/fixtures/book/duckdb"), &dir);
    out.insert("duckdb", dir);
    out
}

// ------------------------------------------------------------------ quotes

/// A fenced block that quotes a build's file.
struct Quote {
    page: PathBuf,
    /// 1-based line of the marker.
    line: usize,
    whole: bool,
    build: String,
    path: String,
    /// 0-based index of the first content line, and the content.
    first: usize,
    content: Vec<String>,
}

fn quotes(page: &Path) -> Vec<Quote> {
    let text = std::fs::read_to_string(page).expect("read page");
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].trim();
        let marker = l
            .strip_prefix("<!-- file: ")
            .map(|r| (true, r))
            .or_else(|| l.strip_prefix("<!-- excerpt: ").map(|r| (false, r)));
        let Some((whole, rest)) = marker else {
            i += 1;
            continue;
        };
        let rest = rest.strip_suffix("-->").unwrap_or(rest).trim();
        let (build, path) = rest
            .split_once(' ')
            .unwrap_or_else(|| panic!("{}:{}: write BUILD PATH", page.display(), i + 1));
        let fence = i + 1;
        assert!(
            lines.get(fence).is_some_and(|f| f.starts_with("```")),
            "{}:{}: the quoted block must start on the next line",
            page.display(),
            i + 1
        );
        let mut end = fence + 1;
        while end < lines.len() && !lines[end].starts_with("```") {
            end += 1;
        }
        out.push(Quote {
            page: page.to_path_buf(),
            line: i + 1,
            whole,
            build: build.to_string(),
            path: path.trim().to_string(),
            first: fence + 1,
            content: lines[fence + 1..end]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        });
        i = end + 1;
    }
    out
}

/// Whether `quote` is found in `file`: chunks split at `...` lines, each
/// contiguous, in order.
fn found(quote: &[String], file: &[&str]) -> bool {
    let mut from = 0;
    for chunk in quote.split(|l| l == "...") {
        if chunk.is_empty() {
            continue;
        }
        let at = (from..=file.len().saturating_sub(chunk.len())).find(|&s| {
            s + chunk.len() <= file.len() && chunk.iter().zip(&file[s..]).all(|(a, b)| a == b)
        });
        match at {
            Some(s) => from = s + chunk.len(),
            None => return false,
        }
    }
    true
}

#[test]
fn quoted_sql_is_what_meshc_writes() {
    let mut pages = Vec::new();
    for e in walkdir::WalkDir::new(root().join("book/src")).sort_by_file_name() {
        let e = e.expect("walk book");
        if e.path().extension().is_some_and(|x| x == "md") {
            pages.push(e.path().to_path_buf());
        }
    }
    let all: Vec<Quote> = pages.iter().flat_map(|p| quotes(p)).collect();
    assert!(
        all.iter().any(|q| q.whole) && all.iter().any(|q| !q.whole),
        "the book quotes no build output"
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let builds = builds(tmp.path());
    let mut failures = Vec::new();
    // (page, first line, old line count, new lines) for MESHC_BLESS.
    let mut fixes: Vec<(PathBuf, usize, usize, Vec<String>)> = Vec::new();
    for q in &all {
        let dir = builds.get(q.build.as_str()).unwrap_or_else(|| {
            panic!(
                "{}:{}: unknown build `{}` (known: {:?})",
                q.page.display(),
                q.line,
                q.build,
                builds.keys().collect::<Vec<_>>()
            )
        });
        let file = dir.join(&q.path);
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
            panic!(
                "{}:{}: {} {}: {e}",
                q.page.display(),
                q.line,
                q.build,
                q.path
            )
        });
        let lines: Vec<&str> = text.lines().collect();
        let ok = if q.whole {
            q.content == lines
        } else {
            found(&q.content, &lines)
        };
        if !ok {
            failures.push(format!(
                "{}:{}: the block does not {} {} of build `{}`",
                q.page.display(),
                q.line,
                if q.whole { "equal" } else { "appear in" },
                q.path,
                q.build
            ));
            if q.whole {
                fixes.push((
                    q.page.clone(),
                    q.first,
                    q.content.len(),
                    lines.iter().map(|l| l.to_string()).collect(),
                ));
            }
        }
    }
    if bless() && !fixes.is_empty() {
        fixes.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        for (page, first, old, new) in fixes {
            let text = std::fs::read_to_string(&page).expect("read");
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            lines.splice(first..first + old, new);
            std::fs::write(&page, lines.join("\n") + "\n").expect("write");
        }
        failures.retain(|f| f.contains("appear in"));
    }
    assert!(
        failures.is_empty(),
        "{} quotes of build output are stale:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
