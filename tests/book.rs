//! Keeps the book and the README true: every ```console block is run and
//! must print exactly what it shows.
//!
//! A block holds one or more `$ meshc ARGS` lines, each followed by the
//! command's output (stdout, then stderr). A last output line `...` means
//! "the output starts with the lines above". Commands run from the
//! repository root. Blocks that are not `console` (`text`, `sh`, …) are not
//! run: use them for illustrative or abridged output.
//!
//! `MESHC_BLESS=1 cargo test --test book` rewrites stale outputs in place
//! (review the diff before committing).

use std::path::{Path, PathBuf};

struct Case {
    file: String,
    line: usize,
    args: Vec<String>,
    /// 0-based index of the first output line in the file.
    first: usize,
    expected: Vec<String>,
    prefix_only: bool,
}

fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md")];
    for e in walkdir::WalkDir::new(root.join("book/src")).sort_by_file_name() {
        let e = e.expect("walk book");
        if e.path().extension().is_some_and(|x| x == "md") {
            files.push(e.path().to_path_buf());
        }
    }
    files
}

fn split_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    let mut any = false;
    for c in s.chars() {
        match (quote, c) {
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (_, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

fn cases(root: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    for path in markdown_files(root) {
        let text = std::fs::read_to_string(&path).expect("read markdown");
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let mut in_console = false;
        let mut in_other = false;
        let mut current: Option<Case> = None;
        for (i, line) in text.lines().enumerate() {
            let fence = line.trim_start().starts_with("```");
            if fence && !in_console && !in_other {
                let info = line.trim_start().trim_start_matches('`').trim();
                in_console = info == "console";
                in_other = !in_console;
                continue;
            }
            if fence {
                if let Some(c) = current.take() {
                    out.push(c);
                }
                in_console = false;
                in_other = false;
                continue;
            }
            if !in_console {
                continue;
            }
            if let Some(cmd) = line.strip_prefix("$ ") {
                if let Some(c) = current.take() {
                    out.push(c);
                }
                let args = split_args(cmd);
                assert_eq!(
                    args.first().map(String::as_str),
                    Some("meshc"),
                    "{rel}:{}: console blocks run meshc only",
                    i + 1
                );
                current = Some(Case {
                    file: rel.clone(),
                    line: i + 1,
                    args: args[1..].to_vec(),
                    first: i + 1,
                    expected: Vec::new(),
                    prefix_only: false,
                });
            } else if let Some(c) = current.as_mut() {
                if line == "..." {
                    c.prefix_only = true;
                } else {
                    c.expected.push(line.to_string());
                }
            }
        }
    }
    out
}

#[test]
fn console_blocks_show_real_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let all = cases(root);
    assert!(all.len() >= 10, "only {} console examples found", all.len());
    let mut failures = Vec::new();
    // (file, first line, old line count, new lines) for MESHC_BLESS.
    let mut fixes: Vec<(String, usize, usize, Vec<String>)> = Vec::new();
    for case in &all {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_meshc"))
            .args(&case.args)
            .current_dir(root)
            .env_remove("NO_COLOR")
            // The book is judged on a fixed day, so sunsets and expiries in
            // mesh.example keep their meaning (2026-11-25).
            .env("SOURCE_DATE_EPOCH", "1795564800")
            .output()
            .expect("run meshc");
        let actual = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let actual: Vec<&str> = actual.lines().collect();
        let mut expected: Vec<&str> = case.expected.iter().map(String::as_str).collect();
        while expected.last().is_some_and(|l| l.trim().is_empty()) {
            expected.pop();
        }
        let mut actual_cmp = actual.clone();
        while actual_cmp.last().is_some_and(|l| l.trim().is_empty()) {
            actual_cmp.pop();
        }
        let ok = if case.prefix_only {
            actual_cmp.len() >= expected.len() && actual_cmp[..expected.len()] == expected[..]
        } else {
            actual_cmp == expected
        };
        if !ok {
            let new: Vec<String> = if case.prefix_only {
                actual_cmp
                    .iter()
                    .take(expected.len())
                    .map(|l| l.to_string())
                    .collect()
            } else {
                actual_cmp.iter().map(|l| l.to_string()).collect()
            };
            fixes.push((case.file.clone(), case.first, expected.len(), new));
            failures.push(format!(
                "{}:{}: `meshc {}` printed:\n{}\n--- but the page shows:\n{}\n",
                case.file,
                case.line,
                case.args.join(" "),
                actual_cmp.join("\n"),
                expected.join("\n")
            ));
        }
    }
    if std::env::var_os("MESHC_BLESS").is_some() && !fixes.is_empty() {
        fixes.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        for (file, first, old, new) in fixes {
            let path = root.join(&file);
            let text = std::fs::read_to_string(&path).expect("read");
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            lines.splice(first..first + old, new);
            std::fs::write(&path, lines.join("\n") + "\n").expect("write");
        }
        return;
    }
    assert!(
        failures.is_empty(),
        "{} stale examples:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every page exists that SUMMARY.md links, and every page is linked.
#[test]
fn summary_links_every_page() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src");
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).expect("SUMMARY.md");
    let mut linked = std::collections::BTreeSet::new();
    for part in summary.split("](").skip(1) {
        let target = part.split(')').next().unwrap_or_default();
        assert!(
            src.join(target).is_file(),
            "SUMMARY.md links missing page {target}"
        );
        linked.insert(target.to_string());
    }
    for e in walkdir::WalkDir::new(&src) {
        let e = e.expect("walk");
        let rel = e
            .path()
            .strip_prefix(&src)
            .expect("prefix")
            .to_string_lossy()
            .replace('\\', "/");
        if rel.ends_with(".md") && rel != "SUMMARY.md" {
            assert!(linked.contains(&rel), "page {rel} is not in SUMMARY.md");
        }
    }
}
