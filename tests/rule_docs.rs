//! The rule catalog is complete and its book pages are generated from it.
//! `MESHC_BLESS=1 cargo test --test rule_docs` rewrites the pages.

use std::path::Path;

use meshc::check::registry;
use meshc::diagnostics::Code;

#[test]
fn every_code_is_documented() {
    for c in Code::ALL {
        let d = registry::doc(*c);
        assert!(
            d.what.len() > 20 && !d.what.starts_with("(no"),
            "{c} has no documentation"
        );
        assert!(!d.why.is_empty(), "{c} does not say why");
        assert!(
            !d.bad.is_empty() && !d.good.is_empty(),
            "{c} needs a failing and a passing example"
        );
    }
}

#[test]
fn every_c_and_g_code_is_a_rule() {
    let rules: Vec<Code> = registry::rules().iter().map(|r| r.code()).collect();
    for c in Code::ALL {
        let s = c.as_str();
        if s.starts_with('C') || s.starts_with('G') {
            assert!(rules.contains(c), "{c} has no check");
        }
    }
    let mut sorted = rules.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), rules.len(), "a code has two checks");
}

#[test]
fn book_rule_pages_are_generated() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/rules");
    let bless = std::env::var_os("MESHC_BLESS").is_some();
    let mut pages: Vec<(String, String)> = Code::ALL
        .iter()
        .map(|c| (format!("{}.md", c.as_str()), registry::markdown(*c)))
        .collect();
    pages.push(("index.md".into(), registry::markdown_index()));
    let mut stale = Vec::new();
    for (name, want) in &pages {
        let path = dir.join(name);
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if &have != want {
            if bless {
                std::fs::create_dir_all(&dir).expect("mkdir");
                std::fs::write(&path, want).expect("write");
            } else {
                stale.push(name.clone());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale rule pages (run MESHC_BLESS=1 cargo test --test rule_docs): {stale:?}"
    );
    let summary =
        std::fs::read_to_string(dir.parent().expect("src").join("SUMMARY.md")).expect("SUMMARY");
    for (name, _) in &pages {
        assert!(
            summary.contains(&format!("(rules/{name})")),
            "SUMMARY.md does not link rules/{name}"
        );
    }
}
