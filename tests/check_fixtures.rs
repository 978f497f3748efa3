//! Data-driven rule tests: every folder `tests/fixtures/check/<CODE>/<case>/`
//! is a small mesh. A case named `bad*` must report `<CODE>`, and its full
//! text rendering is snapshotted; a case named `ok*` must report nothing.
//! A mesh without errors is also built, so build (E) findings show too
//! and every clean fixture is proven to build.

use std::path::Path;

use meshc::diagnostics::render::{Format, render};

fn run(dir: &Path) -> (Vec<meshc::diagnostics::Diagnostic>, String) {
    // Fixtures are judged on a fixed day, so sunset and expiry dates in
    // them keep their meaning.
    let as_of = meshc::date::Date::parse("2026-11-25").expect("date");
    let mut checked = meshc::check(dir, &[], as_of).expect("fixture folder is readable");
    // A mesh without errors must also build: template (E) findings come
    // from the build. It is written to a temporary folder.
    if !checked.has_errors() {
        let out = tempfile::tempdir().expect("tempdir");
        match meshc::emit::build(&mut checked, &out.path().join("build"), None) {
            Ok(_) => {}
            Err(meshc::emit::BuildError::Diagnostics(d)) => {
                checked.diagnostics.extend(d);
                meshc::diagnostics::normalize(&mut checked.diagnostics);
            }
            Err(meshc::emit::BuildError::Io(e)) => panic!("{}: {e}", dir.display()),
        }
    }
    let text = render(&checked.diagnostics, &checked.db, Format::Text, false);
    (checked.diagnostics, text)
}

#[test]
fn check_fixtures() {
    let mut seen = 0;
    let mut failures = Vec::new();
    insta::glob!("fixtures/check", "*/*", |dir| {
        if !dir.is_dir() {
            return;
        }
        seen += 1;
        let code = dir
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let case = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let (diags, text) = run(dir);
        if case.starts_with("ok") {
            if !diags.is_empty() {
                failures.push(format!("{code}/{case} must be clean, got:\n{text}"));
            }
        } else {
            if !diags.iter().any(|d| d.code_str() == code) {
                failures.push(format!("{code}/{case} must report {code}, got:\n{text}"));
            }
            insta::assert_snapshot!(text);
        }
    });
    assert!(seen > 0, "no fixtures found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every code in the table has at least one failing and one passing fixture.
#[test]
fn every_code_has_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check");
    let mut missing = Vec::new();
    for code in meshc::diagnostics::Code::ALL {
        // B codes compare two revisions: tests/diff.rs has their cases.
        if code.as_str().starts_with('B') {
            continue;
        }
        let dir = root.join(code.as_str());
        let cases: Vec<String> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        if !cases.iter().any(|c| c.starts_with("bad")) || !cases.iter().any(|c| c.starts_with("ok"))
        {
            missing.push(code.as_str());
        }
    }
    assert!(
        missing.is_empty(),
        "codes without bad/ok fixtures: {missing:?}"
    );
}
