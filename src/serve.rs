//! `meshc docs --serve`: a small static HTTP server for the docs site, on
//! the loopback interface only, and the polling watcher of `--watch`.
//!
//! The server reads each file when it is asked for, so a rebuild (which
//! swaps the build folder in one rename) is served at once. It answers GET
//! and HEAD for files under the site folder, never outside it: the path is
//! percent-decoded, and `..`, backslashes and NUL refuse the request. When
//! watching, HTML pages get one extra `<script>` that polls
//! `/__meshc/version` and reloads the page when a rebuild bumps it; the
//! files on disk stay as `meshc build` wrote them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// The script added to pages while watching.
const RELOAD_JS: &str = "(function(){var v=null;function poll(){var x=new XMLHttpRequest();x.open('GET','/__meshc/version');x.onload=function(){if(v!==null&&x.responseText!==v){location.reload();}v=x.responseText;};x.send();}poll();setInterval(poll,1000);})();\n";

/// Binds `127.0.0.1:port` (0: any free port) and returns the listener and
/// the URL it serves.
pub fn bind(port: u16) -> std::io::Result<(TcpListener, String)> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let addr = listener.local_addr()?;
    Ok((listener, format!("http://127.0.0.1:{}/", addr.port())))
}

/// Connections served at once; more wait in the listen queue.
const MAX_CONNECTIONS: usize = 32;
/// Header lines a request may have.
const MAX_HEADERS: usize = 100;
/// How long a client has to send its request, and to read the answer.
const DEADLINE: Duration = Duration::from_secs(10);

/// Serves `root` on `listener` until the process ends. `version`, when
/// given, is the build counter pages poll to reload.
pub fn serve(listener: TcpListener, root: PathBuf, version: Option<Arc<AtomicU64>>) {
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let root = Arc::new(root);
    let busy = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        // Wait for a free slot rather than start unbounded threads.
        while busy.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            std::thread::sleep(Duration::from_millis(5));
        }
        busy.fetch_add(1, Ordering::SeqCst);
        let (root, version, slot) = (root.clone(), version.clone(), busy.clone());
        let spawned = std::thread::Builder::new().spawn(move || {
            let _ = handle(stream, &root, port, version.as_deref());
            slot.fetch_sub(1, Ordering::SeqCst);
        });
        if spawned.is_err() {
            // No thread: the connection is dropped, the server goes on.
            busy.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Whether a `Host` header names this server on the loopback interface
/// (a page elsewhere that rebinds its DNS name to 127.0.0.1 sends its own
/// name and is refused).
fn host_ok(host: &str, port: u16) -> bool {
    let host = host.trim().to_ascii_lowercase();
    [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ]
    .contains(&host)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "txt" | "sql" | "yaml" | "dot" | "mmd" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file a request path names under `root`, or `None` when the path
/// is not one the server answers.
pub fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_decode(path)?;
    if !decoded.starts_with('/') || decoded.contains('\\') || decoded.contains('\0') {
        return None;
    }
    let mut out = root.to_path_buf();
    for part in decoded.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => out.push(p),
        }
    }
    if out.is_dir() {
        out.push("index.html");
    }
    Some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    kind: &str,
    body: &[u8],
    head_only: bool,
) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()
}

fn handle(
    mut stream: TcpStream,
    root: &Path,
    port: u16,
    version: Option<&AtomicU64>,
) -> std::io::Result<()> {
    let start = Instant::now();
    stream.set_read_timeout(Some(DEADLINE))?;
    stream.set_write_timeout(Some(DEADLINE))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.by_ref().take(8192).read_line(&mut line)?;
    // The headers: only Host matters; a slow or endless header block is cut.
    let mut host = None;
    for _ in 0..=MAX_HEADERS {
        if start.elapsed() > DEADLINE {
            return Ok(());
        }
        let mut h = String::new();
        let n = reader.by_ref().take(8192).read_line(&mut h)?;
        if n == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.trim().eq_ignore_ascii_case("host")
        {
            host = Some(v.trim().to_string());
        }
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let head_only = method == "HEAD";
    if !host.as_deref().is_some_and(|h| host_ok(h, port)) {
        return respond(
            &mut stream,
            "421 Misdirected Request",
            "text/plain",
            b"this server answers only to 127.0.0.1, localhost and [::1] on its port\n",
            head_only,
        );
    }
    if method != "GET" && !head_only {
        return respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"GET only\n",
            false,
        );
    }
    if let Some(v) = version {
        match target {
            "/__meshc/version" => {
                let body = v.load(Ordering::SeqCst).to_string();
                return respond(
                    &mut stream,
                    "200 OK",
                    "text/plain",
                    body.as_bytes(),
                    head_only,
                );
            }
            "/__meshc/reload.js" => {
                return respond(
                    &mut stream,
                    "200 OK",
                    "text/javascript; charset=utf-8",
                    RELOAD_JS.as_bytes(),
                    head_only,
                );
            }
            _ => {}
        }
    }
    let Some(path) = resolve(root, target) else {
        return respond(
            &mut stream,
            "400 Bad Request",
            "text/plain",
            b"bad path\n",
            head_only,
        );
    };
    match std::fs::read(&path) {
        Ok(mut body) => {
            let kind = content_type(&path);
            if version.is_some() && kind.starts_with("text/html") {
                body = inject_reload(body);
            }
            respond(&mut stream, "200 OK", kind, &body, head_only)
        }
        Err(_) => respond(
            &mut stream,
            "404 Not Found",
            "text/plain",
            b"not found\n",
            head_only,
        ),
    }
}

fn inject_reload(body: Vec<u8>) -> Vec<u8> {
    let tag = b"<script src=\"/__meshc/reload.js\"></script>";
    match body.windows(7).rposition(|w| w == b"</body>") {
        Some(i) => {
            let mut out = Vec::with_capacity(body.len() + tag.len());
            out.extend_from_slice(&body[..i]);
            out.extend_from_slice(tag);
            out.extend_from_slice(&body[i..]);
            out
        }
        None => body,
    }
}

/// A fingerprint of the mesh folder for `--watch`: every file's path, size
/// and modification time, skipping hidden folders and `skip` (the build
/// output).
pub fn fingerprint(dir: &Path, skip: &[PathBuf]) -> u64 {
    use std::hash::{Hash, Hasher};
    let skip: Vec<PathBuf> = skip.iter().filter_map(|p| p.canonicalize().ok()).collect();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let walker = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let hidden = e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
            // Only folders can be the build output: files are not resolved
            // (twice a second over a large mesh, that would be thousands
            // of system calls).
            let skipped =
                e.file_type().is_dir() && e.path().canonicalize().is_ok_and(|c| skip.contains(&c));
            !hidden && !skipped
        });
    for e in walker.filter_map(Result::ok) {
        if let Ok(m) = e.metadata()
            && m.is_file()
        {
            e.path().hash(&mut h);
            m.len().hash(&mut h);
            m.modified()
                .ok()
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .hash(&mut h);
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside() {
        let root = Path::new("/srv/site");
        assert_eq!(
            resolve(root, "/a/b.html"),
            Some(PathBuf::from("/srv/site/a/b.html"))
        );
        assert_eq!(
            resolve(root, "/a%20b.html?x=1"),
            Some(PathBuf::from("/srv/site/a b.html"))
        );
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/a/%2e%2e/%2e%2e/etc"), None);
        assert_eq!(resolve(root, "/a\\..\\b"), None);
        assert_eq!(resolve(root, "/%00"), None);
        assert_eq!(resolve(root, "relative"), None);
        assert_eq!(resolve(root, "/%zz"), None);
    }

    #[test]
    fn serves_files_and_reload() {
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::write(
            tmp.path().join("index.html"),
            "<html><body>hi</body></html>",
        )
        .expect("w");
        let (listener, url) = bind(0).expect("bind");
        let version = Arc::new(AtomicU64::new(3));
        let root = tmp.path().to_path_buf();
        let v = version.clone();
        std::thread::spawn(move || serve(listener, root, Some(v)));
        let get = |path: &str| {
            let addr = url.trim_start_matches("http://").trim_end_matches('/');
            let mut s = TcpStream::connect(addr).expect("connect");
            write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("send");
            let mut out = String::new();
            s.read_to_string(&mut out).expect("read");
            out
        };
        let page = get("/");
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        assert!(
            page.contains("<script src=\"/__meshc/reload.js\"></script></body>"),
            "{page}"
        );
        assert!(get("/__meshc/version").ends_with("\r\n\r\n3"));
        assert!(get("/missing.html").starts_with("HTTP/1.1 404"));
        assert!(get("/../x").starts_with("HTTP/1.1 400"));
        // Another host name (DNS rebinding) is refused.
        let addr = url.trim_start_matches("http://").trim_end_matches('/');
        let mut s = TcpStream::connect(addr).expect("connect");
        write!(
            s,
            "GET / HTTP/1.1\r\nHost: attacker.example:{}\r\n\r\n",
            addr.rsplit(':').next().unwrap_or("")
        )
        .expect("send");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("read");
        assert!(out.starts_with("HTTP/1.1 421"), "{out}");
    }

    #[test]
    fn hosts() {
        assert!(host_ok("127.0.0.1:8080", 8080));
        assert!(host_ok("LOCALHOST:8080", 8080));
        assert!(host_ok("[::1]:8080", 8080));
        assert!(!host_ok("127.0.0.1:8081", 8080));
        assert!(!host_ok("evil.example:8080", 8080));
        assert!(!host_ok("127.0.0.1", 8080));
    }
}
