//! End-to-end browser test of the docs site (`OUT/docs/` of `meshc build`).
//!
//! Builds mesh.example and the hostile fixture (tests/fixtures/docs/hostile),
//! serves mesh.example with `meshc docs --serve --port 0`, and runs
//! tests/browser/docs.mjs: headless Debian Chromium driven by playwright-core
//! loads the pages from disk and over HTTP, searches, follows links, checks
//! the lineage graphs, keyboard focus, the page without JavaScript, that no
//! request leaves the site, and that no hostile title or description becomes
//! markup. Screenshots go to TARGET/docs-screenshots; with MESHC_BLESS=1 they
//! are copied to book/src/images/.
//!
//! Needs /usr/bin/chromium and tests/browser/node_modules: ./scripts/test
//! installs both. MESHC_SKIP_BROWSER=1 skips the test (loudly); nothing else
//! does.

#[path = "support/common.rs"]
mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const SHOTS: [&str; 3] = ["docs-index.png", "docs-product.png", "docs-lineage.png"];
/// How long `meshc docs --serve` may take to say where it serves.
const SERVE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the whole browser run may take.
const NODE_TIMEOUT: Duration = Duration::from_secs(600);

/// Kills the child process when dropped, also when the test panics.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Returns false (after saying so loudly) when the test is to be skipped;
/// panics when something it needs is missing.
fn browser_ready() -> bool {
    if std::env::var("MESHC_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!();
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        eprintln!("!!! docs_browser SKIPPED: MESHC_SKIP_BROWSER=1. The docs site was NOT");
        eprintln!("!!! tested in a browser. Unset it and run ./scripts/test to test it.");
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        eprintln!();
        return false;
    }
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: run ./scripts/test, which installs Debian's chromium \
         (or set MESHC_SKIP_BROWSER=1 to skip this test)"
    );
    let pw = common::root().join("tests/browser/node_modules/playwright-core/package.json");
    assert!(
        pw.is_file(),
        "{} is missing: run ./scripts/test, which runs `npm ci --prefix tests/browser` \
         (or set MESHC_SKIP_BROWSER=1 to skip this test)",
        pw.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "`node` does not run ({node:?}): install Node.js 20 or later"
    );
    true
}

/// `meshc build MESH -o OUT` and the docs folder it wrote.
fn build_docs(mesh: &Path, out: &Path) -> PathBuf {
    common::build_ok(mesh, out);
    let docs = out.join("docs");
    assert!(
        docs.join("index.html").is_file(),
        "`meshc build {}` wrote no {}",
        mesh.display(),
        docs.join("index.html").display()
    );
    docs
}

/// Starts `meshc docs MESH -o OUT --serve --port 0` and waits for its
/// `serving http://127.0.0.1:PORT/` line on stderr.
fn serve(mesh: &Path, out: &Path) -> (KillOnDrop, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_meshc"))
        .env_remove("NO_COLOR")
        .env("SOURCE_DATE_EPOCH", "1795564800")
        .arg("docs")
        .arg(mesh)
        .arg("-o")
        .arg(out)
        .args(["--serve", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start meshc docs --serve");
    let mut guard = KillOnDrop(child);
    let stderr = guard.0.stderr.take().expect("stderr is piped");
    // A thread reads stderr to its end, so the server never blocks on a full
    // pipe; the lines come here until the URL shows.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                // Nobody listens any more: keep draining quietly.
                continue;
            }
        }
    });
    let deadline = Instant::now() + SERVE_TIMEOUT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(url) = serving_url(&line) {
                    return (guard, url);
                }
                seen.push(line);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "`meshc docs --serve --port 0` printed no `serving http://127.0.0.1:PORT/` line \
                 on stderr within {SERVE_TIMEOUT:?}; stderr so far:\n{}",
                seen.join("\n")
            ),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = guard.0.wait();
                panic!(
                    "`meshc docs --serve --port 0` ended ({status:?}) without a \
                     `serving http://127.0.0.1:PORT/` line; stderr:\n{}",
                    seen.join("\n")
                )
            }
        }
    }
}

/// The URL of a `serving http://127.0.0.1:PORT/` line, with a final slash.
fn serving_url(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix("serving ")?;
    let url = rest.split_whitespace().next()?;
    let port = url.strip_prefix("http://127.0.0.1:")?.trim_end_matches('/');
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("http://127.0.0.1:{port}/"))
}

/// Where the screenshots go: TARGET/docs-screenshots.
fn shots_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("docs-screenshots")
}

fn read(path: &Path) -> String {
    let mut s = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.read_to_string(&mut s);
    }
    s
}

#[test]
fn docs_site_in_chromium() {
    if !browser_ready() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = build_docs(&common::example(), &tmp.path().join("out"));
    let hostile = build_docs(
        &common::root().join("tests/fixtures/docs/hostile"),
        &tmp.path().join("hostile"),
    );
    let (server, serve_url) = serve(&common::example(), &tmp.path().join("served"));

    let shots = shots_dir();
    std::fs::create_dir_all(&shots).expect("mkdir screenshots");
    for name in SHOTS {
        let _ = std::fs::remove_file(shots.join(name));
    }
    let (log_out, log_err) = (tmp.path().join("node.out"), tmp.path().join("node.err"));
    let child = Command::new("node")
        .arg(common::root().join("tests/browser/docs.mjs"))
        .current_dir(common::root())
        .env("SITE", &site)
        .env("HOSTILE_SITE", &hostile)
        .env("SHOTS", &shots)
        .env("SERVE_URL", &serve_url)
        .env("TMPDIR", tmp.path())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log_out).expect("node.out"))
        .stderr(std::fs::File::create(&log_err).expect("node.err"))
        .spawn()
        .expect("run node tests/browser/docs.mjs");
    let mut node = KillOnDrop(child);
    let deadline = Instant::now() + NODE_TIMEOUT;
    let status = loop {
        if let Some(status) = node.0.try_wait().expect("wait for node") {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    drop(node);
    drop(server);
    let output = format!(
        "--- node tests/browser/docs.mjs stdout ---\n{}\n--- stderr ---\n{}",
        read(&log_out),
        read(&log_err)
    );
    match status {
        Some(s) if s.success() => println!("{output}"),
        Some(s) => panic!("the docs site failed its browser checks ({s}):\n{output}"),
        None => panic!("the browser checks took more than {NODE_TIMEOUT:?}:\n{output}"),
    }

    for name in SHOTS {
        assert!(
            shots.join(name).is_file(),
            "no screenshot {name} in {}",
            shots.display()
        );
    }
    if std::env::var("MESHC_BLESS").as_deref() == Ok("1") {
        let images = common::root().join("book/src/images");
        std::fs::create_dir_all(&images).expect("mkdir book/src/images");
        for name in SHOTS {
            std::fs::copy(shots.join(name), images.join(name)).expect("copy screenshot");
        }
        eprintln!("MESHC_BLESS=1: copied {SHOTS:?} to {}", images.display());
    }
}

#[test]
fn serving_line_is_parsed() {
    assert_eq!(
        serving_url("serving http://127.0.0.1:41234/"),
        Some("http://127.0.0.1:41234/".to_string())
    );
    assert_eq!(
        serving_url("serving http://127.0.0.1:8000 (Ctrl-C to stop)"),
        Some("http://127.0.0.1:8000/".to_string())
    );
    assert_eq!(serving_url("serving http://0.0.0.0:80/"), None);
    assert_eq!(serving_url("building docs…"), None);
}
