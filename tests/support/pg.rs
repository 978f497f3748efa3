//! A throwaway PostgreSQL server for tests, driven through `initdb`,
//! `pg_ctl` and `psql` from Debian's `postgresql` package (no client crate).
//!
//! [`shared`] hands out one server per test binary while any test holds
//! it; the server is stopped (`pg_ctl stop -m immediate`) and its folder
//! removed when the last holder drops it, also when a test panics.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// A running server: data folder, socket and log in a temporary folder.
pub struct Pg {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// Run `initdb`/`pg_ctl` as the `postgres` user (we are root).
    as_postgres: bool,
}

static SHARED: Mutex<Weak<Pg>> = Mutex::new(Weak::new());

/// The server shared by the tests of this binary, started on first use.
pub fn shared() -> Arc<Pg> {
    let mut slot = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(pg) = slot.upgrade() {
        return pg;
    }
    let pg = Arc::new(Pg::start());
    *slot = Arc::downgrade(&pg);
    pg
}

/// The highest-versioned `/usr/lib/postgresql/<v>/bin` holding the server
/// tools. Fails the test, with what to install, when there is none.
fn bin_dir() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let mut found: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let version: Vec<u32> = name
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            let bin = e.path().join("bin");
            ["initdb", "pg_ctl", "psql"]
                .iter()
                .all(|t| bin.join(t).is_file())
                .then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL is not installed: no /usr/lib/postgresql/<version>/bin with initdb, \
             pg_ctl and psql. These tests apply the emitted SQL to a real server (SPEC §8); \
             install Debian's `postgresql` package (`apt-get install postgresql`), as CI does."
        ),
    }
}

/// Whether the effective uid is 0, from /proc/self/status (`Uid: r e s f`).
fn effective_uid_is_root() -> bool {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("Uid:"))
    {
        return line.split_whitespace().nth(2) == Some("0");
    }
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn id_of(flag: &str, user: &str) -> u32 {
    let out = Command::new("id")
        .args([flag, user])
        .output()
        .unwrap_or_else(|e| panic!("run `id {flag} {user}`: {e}"));
    assert!(
        out.status.success(),
        "running as root, initdb needs the `{user}` user (Debian's postgresql package creates it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("`id {flag} {user}`: {e}"))
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    l.local_addr().expect("local addr").port()
}

fn check(what: &str, out: std::io::Result<Output>) -> Output {
    let out = out.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl Pg {
    /// initdb + pg_ctl start on a free loopback port.
    pub fn start() -> Pg {
        let bin = bin_dir();
        let as_postgres = effective_uid_is_root();
        let dir = tempfile::Builder::new()
            .prefix("meshc-pg-")
            .tempdir()
            .expect("tempdir");
        if as_postgres {
            let (uid, gid) = (id_of("-u", "postgres"), id_of("-g", "postgres"));
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .expect("chown the server folder to postgres");
        }
        let mut pg = Pg {
            bin,
            dir,
            port: 0,
            as_postgres,
        };
        let data = pg.data();
        let mut initdb = pg.tool("initdb");
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
            .args(["--locale", "C"]);
        check("initdb", initdb.output());
        // Another process may take the port between picking and binding it.
        let mut last = String::new();
        for _ in 0..5 {
            pg.port = free_port();
            let opts = format!(
                "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c full_page_writes=off",
                pg.port,
                pg.dir.path().display()
            );
            let out = pg
                .tool("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(pg.dir.path().join("server.log"))
                .args(["-w", "-t", "60", "-o", &opts, "start"])
                .output()
                .expect("run pg_ctl start");
            if out.status.success() {
                return pg;
            }
            last = format!(
                "{}{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(pg.dir.path().join("server.log")).unwrap_or_default()
            );
        }
        panic!("pg_ctl start failed:\n{last}");
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A server tool, run as `postgres` when we are root.
    fn tool(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        c.stdin(Stdio::null());
        c
    }

    /// `psql` on database `db` as `user`, stopping at the first error.
    pub fn psql(&self, db: &str, user: &str) -> Command {
        let mut c = Command::new(self.bin.join("psql"));
        for var in [
            "PGOPTIONS",
            "PGSERVICE",
            "PGSERVICEFILE",
            "PGPASSFILE",
            "PGSSLMODE",
        ] {
            c.env_remove(var);
        }
        c.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", user, "-d", db]);
        c
    }

    /// Runs `sql` (read from stdin) as `user`; rows come back unaligned,
    /// tab-separated, without headers. `Err` holds psql's stderr.
    pub fn try_query_as(&self, db: &str, user: &str, sql: &str) -> Result<String, String> {
        let mut c = self.psql(db, user);
        c.args(["-A", "-t", "-F", "\t", "-f", "-"]);
        run_with_stdin(c, sql)
    }

    /// [`Pg::try_query_as`] as `postgres`, failing the test on an error.
    pub fn query(&self, db: &str, sql: &str) -> String {
        self.try_query_as(db, "postgres", sql)
            .unwrap_or_else(|e| panic!("query on {db} failed: {e}\n--- sql ---\n{sql}"))
    }

    /// Applies an SQL file as `postgres`, with extra environment (e.g.
    /// `PGOPTIONS`). `Err` holds psql's stderr.
    pub fn apply_file(&self, db: &str, file: &Path, env: &[(&str, &str)]) -> Result<(), String> {
        let mut c = self.psql(db, "postgres");
        c.arg("-f").arg(file);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.stdin(Stdio::null()).output().expect("run psql");
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// A fresh, empty database (dropped first if a previous run left one).
    pub fn create_db(&self, name: &str) {
        self.query(
            "postgres",
            &format!(
                "DROP DATABASE IF EXISTS {0};\nCREATE DATABASE {0};\n",
                ident(name)
            ),
        );
    }
}

fn run_with_stdin(mut c: Command, input: &str) -> Result<String, String> {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run psql");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("wait for psql");
    writer.join().expect("writer thread").ok();
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).expect("psql output is UTF-8"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let out = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        match out {
            Ok(o) if o.status.success() => {}
            Ok(o) => eprintln!("pg_ctl stop failed: {}", String::from_utf8_lossy(&o.stderr)),
            Err(e) => eprintln!("pg_ctl stop: {e}"),
        }
    }
}

/// A quoted SQL identifier.
pub fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A quoted SQL string literal (standard_conforming_strings on).
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Splits `-A -t -F '\t'` output into rows of fields.
pub fn rows(out: &str) -> Vec<Vec<&str>> {
    out.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').collect())
        .collect()
}
