//! The documentation site (SPEC §7, issue 6) as files: every page is
//! there, every link and every `src` stays inside the site and resolves,
//! domain pages are paginated, the search index holds product and column
//! names. tests/docs_browser.rs drives the same site in Chromium.

#[path = "support/common.rs"]
mod common;
use common::{build_ok, example};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn html_files(site: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(site)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    v.sort();
    v
}

/// Values of `attr="…"` in `html`, unescaped for the entities the
/// templates write.
fn attrs(html: &str, attr: &str) -> Vec<String> {
    let pat = format!(" {attr}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&pat) {
        rest = &rest[i + pat.len()..];
        let end = rest.find('"').unwrap_or(rest.len());
        out.push(
            rest[..end]
                .replace("&#x2f;", "/")
                .replace("&amp;", "&")
                .replace("&#x27;", "'")
                .replace("&quot;", "\""),
        );
        rest = &rest[end..];
    }
    out
}

/// Checks every href and src of every page: inside the site, existing,
/// anchors present. Returns the number of links checked.
fn check_links(site: &Path) -> usize {
    let mut checked = 0;
    let mut ids: std::collections::HashMap<PathBuf, BTreeSet<String>> = Default::default();
    let pages = html_files(site);
    for p in &pages {
        let text = std::fs::read_to_string(p).expect("read");
        ids.insert(p.clone(), attrs(&text, "id").into_iter().collect());
    }
    for p in &pages {
        let text = std::fs::read_to_string(p).expect("read");
        let dir = p.parent().expect("dir");
        for src in attrs(&text, "src") {
            assert!(
                !src.contains(':') && !src.starts_with("//"),
                "{}: src {src} leaves the site",
                p.display()
            );
            assert!(
                dir.join(&src).is_file(),
                "{}: src {src} missing",
                p.display()
            );
            checked += 1;
        }
        for href in attrs(&text, "href") {
            if href.starts_with("mailto:")
                || href.starts_with("https://")
                || href.starts_with("http://")
            {
                continue; // a link the reader follows, not a request
            }
            if href == "data:," {
                continue; // the empty icon: no favicon request
            }
            assert!(!href.contains(':'), "{}: href {href}", p.display());
            let (file, anchor) = href.split_once('#').unwrap_or((&href, ""));
            let target = if file.is_empty() {
                p.clone()
            } else {
                dir.join(file)
            };
            let target = normalize(&target);
            assert!(
                target.starts_with(normalize(site)),
                "{}: {href} leaves the site",
                p.display()
            );
            assert!(target.is_file(), "{}: {href} does not exist", p.display());
            if !anchor.is_empty() && target.extension().is_some_and(|x| x == "html") {
                let known = ids.get(&target).expect("a page");
                assert!(
                    known.contains(anchor),
                    "{}: {href}: no #{anchor}",
                    p.display()
                );
            }
            checked += 1;
        }
    }
    checked
}

/// A copy of mesh.example under `dir`, without a build folder.
fn example_copy(dir: &Path) -> PathBuf {
    let mesh = dir.join("mesh");
    common::copy_tree(&example(), &mesh);
    let _ = std::fs::remove_dir_all(mesh.join("build"));
    mesh
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn example_site_is_complete_and_its_links_resolve() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    build_ok(example(), &out);
    let site = out.join("docs");
    for f in [
        "index.html",
        "assets/style.css",
        "assets/search.js",
        "search/products.js",
    ] {
        assert!(site.join(f).is_file(), "{f} missing");
    }
    let products = [
        "sales/orders",
        "sales/orders_legacy",
        "customers/customers",
        "logistics/carrier_rates",
        "finance/revenue",
    ];
    for p in products {
        assert!(site.join(format!("products/{p}.html")).is_file(), "{p}");
    }
    let n = check_links(&site);
    assert!(n > 500, "only {n} links");
    // The product page holds what SPEC §7 lists.
    let page = std::fs::read_to_string(site.join("products/sales/orders.html")).expect("read");
    for needle in [
        "data-fqn=\"sales.orders\"",
        "id=\"lineage-graph\"",
        "class=\"lineage column-lineage\"",
        "data-fqn=\"sales.orders.orders.customer_email\"",
        "masked: hash",
        ">pii<",
        "<strong>confirmed</strong>",
        "Who can read it, and why",
        "dp_finance_revenue",
        "freshness <strong>1h</strong>",
        "not_null on order_id",
        "mailto:sales_data@acme.example",
        "customers.customers",
    ] {
        assert!(page.contains(needle), "orders page lacks {needle}");
    }
    // The index lists deprecated products by sunset.
    let index = std::fs::read_to_string(site.join("index.html")).expect("index");
    assert!(
        index.contains("<code>sales.orders_legacy</code> <span class=\"badge status-deprecated\">sunset 2027-09-30</span>"),
        "{index}"
    );
    // A deprecated product carries its banner.
    let legacy =
        std::fs::read_to_string(site.join("products/sales/orders_legacy.html")).expect("read");
    assert!(legacy.contains("class=\"banner deprecated\""), "{legacy}");
    // Search: names of products and columns are in the index.
    let shard = |s: &str| {
        let key: String = s.bytes().take(2).map(|b| format!("{b:02x}")).collect();
        std::fs::read_to_string(site.join(format!("search/t-{key}.js"))).expect("shard")
    };
    assert!(shard("orders").contains("[\"orders\","));
    assert!(shard("customer_email").contains("[\"customer_email\","));
    assert!(shard("email").contains("[\"email\","));
    // No inline script anywhere: every script is a file of the site.
    for p in html_files(&site) {
        let text = std::fs::read_to_string(&p).expect("read");
        assert_eq!(
            text.matches("<script").count(),
            text.matches("<script src=").count(),
            "{}",
            p.display()
        );
    }
}

#[test]
fn domain_pages_are_paginated() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mesh = tmp.path().join("mesh");
    common::generate(&mesh, 600, 3);
    let out = tmp.path().join("out");
    build_ok(&mesh, &out);
    let site = out.join("docs");
    let mut total = 0;
    let mut paged = 0;
    for p in html_files(&site.join("domains")) {
        let text = std::fs::read_to_string(&p).expect("read");
        let rows = text.matches("class=\"product\"").count();
        assert!(
            rows <= meshc::docs::PAGE_SIZE,
            "{}: {rows} rows",
            p.display()
        );
        total += rows;
        if text.contains("rel=\"next\"") {
            paged += 1;
        }
    }
    assert_eq!(total, 600);
    assert!(paged > 0, "no domain has a second page");
    // The index stays small: its lists are bounded.
    let index = std::fs::read_to_string(site.join("index.html")).expect("index");
    let listed = index.matches("<li><a href=").count();
    assert!(
        listed <= 2 * meshc::docs::ATTENTION,
        "{listed} products listed on the index"
    );
    assert!(index.len() < 64 * 1024, "index is {} bytes", index.len());
    check_links(&site);
}

/// A mesh's templates folder overrides the site's templates and assets
/// by path, like every template.
#[test]
fn site_templates_are_overridable() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mesh = example_copy(tmp.path());
    let dir = mesh.join("templates/docs/assets");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("style.css"),
        "/* our theme */\nbody { color: rebeccapurple; }\n",
    )
    .expect("write");
    std::fs::write(
        mesh.join("templates/docs/domain.html"),
        "{% extends \"docs/_layout.html\" %}{% block title %}{{ domain.title }}{% endblock %}{% block main %}<main id=\"main\"><h1>Our domain page: {{ domain.title }}</h1>{% for p in products %}<a class=\"product\" href=\"{{ p.href }}\">{{ p.title }}</a>{% endfor %}</main>{% endblock %}\n",
    )
    .expect("write");
    let out = tmp.path().join("out");
    build_ok(&mesh, &out);
    let css = std::fs::read_to_string(out.join("docs/assets/style.css")).expect("css");
    assert!(css.starts_with("/* our theme */"), "{css}");
    let page = std::fs::read_to_string(out.join("docs/domains/sales.html")).expect("page");
    assert!(page.contains("<h1>Our domain page: Sales</h1>"), "{page}");
    check_links(&out.join("docs"));
}

/// `meshc docs --serve --watch`: a change to the mesh is rebuilt, the
/// served page shows it, and the version pages poll goes up.
#[test]
fn watch_rebuilds_and_serves_the_new_site() {
    use std::io::{BufRead, Read, Write};
    let tmp = tempfile::tempdir().expect("tmp");
    let mesh = example_copy(tmp.path());
    let out = tmp.path().join("out");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_meshc"))
        .args(["docs", "--serve", "--port", "0", "--watch", "-o"])
        .arg(&out)
        .arg(&mesh)
        .env("SOURCE_DATE_EPOCH", "1795564800")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start meshc docs");
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stderr = child.stderr.take().expect("stderr");
    let _guard = Kill(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(url) = line.strip_prefix("serving ") {
                let _ = tx.send(url.to_string());
            }
        }
    });
    let url = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("a `serving` line");
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let get = |path: &str| -> String {
        let mut s = std::net::TcpStream::connect(&addr).expect("connect");
        write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("send");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("read");
        out
    };
    let before = get("/__meshc/version");
    let page = get("/products/sales/orders.html");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("/__meshc/reload.js"), "no reload script");
    assert!(
        !std::fs::read_to_string(out.join("docs/products/sales/orders.html"))
            .expect("file")
            .contains("reload.js")
    );
    // Change the product's title.
    let file = mesh.join("domains/sales/products/orders.yaml");
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(text.contains("title: Orders"), "fixture changed");
    std::fs::write(
        &file,
        text.replacen("title: Orders", "title: Orders, watched", 1),
    )
    .expect("write");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let page = get("/products/sales/orders.html");
        if page.contains("Orders, watched") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no rebuild within 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while get("/__meshc/version") == before {
        assert!(
            std::time::Instant::now() < deadline,
            "version did not change"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A file that holds two products: each page shows the diagnostics of its
/// own document.
#[test]
fn diagnostics_go_to_their_own_product() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mesh = example_copy(tmp.path());
    let products = mesh.join("domains/sales/products");
    let lines = std::fs::read_to_string(products.join("order_lines.yaml"))
        .expect("read")
        .replacen(
            "  description: The articles of every confirmed order, one row per order line.\n",
            "",
            1,
        );
    let kpis = std::fs::read_to_string(products.join("sales_kpis.yaml")).expect("read");
    std::fs::remove_file(products.join("order_lines.yaml")).expect("rm");
    std::fs::write(
        products.join("sales_kpis.yaml"),
        format!("{lines}---\n{kpis}"),
    )
    .expect("write");
    let out = tmp.path().join("out");
    build_ok(&mesh, &out);
    let page = |p: &str| {
        std::fs::read_to_string(out.join(format!("docs/products/sales/{p}.html"))).expect("page")
    };
    let lines_page = page("order_lines");
    assert!(
        lines_page.contains("product `sales.order_lines` has no description"),
        "{lines_page}"
    );
    assert!(!page("sales_kpis").contains("has no description"));
}
