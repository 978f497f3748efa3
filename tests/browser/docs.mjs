// End-to-end browser checks of the static docs site that `meshc build` writes
// (OUT/docs/). Plain Node ES module, no test framework: prints one line per
// check, a closing "N passed, N failed" line, and exits 0 only when nothing
// failed. Driven by tests/docs_browser.rs; can be run by hand:
//
//   node tests/browser/docs.mjs --site OUT/docs --hostile-site HOUT/docs \
//        --shots target/docs-screenshots [--serve-url http://127.0.0.1:PORT/]
//
// or with the same settings in SITE, HOSTILE_SITE, SHOTS and SERVE_URL.
// Chromium is Debian's (/usr/bin/chromium, or CHROMIUM); playwright-core only
// drives it (npm ci --prefix tests/browser).
//
// Every page load is watched: console errors, uncaught page errors, failed
// requests, HTTP errors, dialogs, and any request that leaves the site (a
// file:// URL outside the site folder, or anything not on the SERVE_URL
// origin) is aborted and reported. The DOM contract these checks rely on is
// written out in tests/browser/README.md.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// ---------------------------------------------------------------- settings

function settings() {
  const out = {
    site: process.env.SITE,
    hostileSite: process.env.HOSTILE_SITE,
    shots: process.env.SHOTS,
    serveUrl: process.env.SERVE_URL || undefined,
  };
  const flags = { '--site': 'site', '--hostile-site': 'hostileSite', '--shots': 'shots', '--serve-url': 'serveUrl' };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    if (!(flag in flags)) usage(`unknown argument ${argv[i]}`);
    const value = inline !== undefined ? inline : argv[++i];
    if (value === undefined) usage(`${flag} needs a value`);
    out[flags[flag]] = value;
  }
  if (!out.site) usage('SITE (--site) is required');
  if (!out.hostileSite) usage('HOSTILE_SITE (--hostile-site) is required');
  if (!out.shots) usage('SHOTS (--shots) is required');
  for (const key of ['site', 'hostileSite']) {
    const dir = path.resolve(out[key]);
    if (!fs.existsSync(path.join(dir, 'index.html'))) usage(`${dir}/index.html does not exist (${key})`);
    out[key] = fs.realpathSync(dir);
  }
  out.shots = path.resolve(out.shots);
  if (out.serveUrl) {
    const u = new URL(out.serveUrl);
    if (u.protocol !== 'http:') usage(`SERVE_URL must be http://, got ${out.serveUrl}`);
    if (!u.pathname.endsWith('/')) u.pathname += '/';
    out.serveUrl = u.href;
  }
  out.chromium = process.env.CHROMIUM || '/usr/bin/chromium';
  return out;
}

function usage(msg) {
  console.error(`docs.mjs: ${msg}`);
  console.error('usage: node docs.mjs --site DIR --hostile-site DIR --shots DIR [--serve-url http://127.0.0.1:PORT/]');
  process.exit(2);
}

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const VIEWPORT = { width: 1280, height: 800 };
const SEARCH_TIMEOUT = 5000;
const NAV_TIMEOUT = 15000;

// ----------------------------------------------------------------- results

let passed = 0;
const failures = [];

function ok(name) {
  passed++;
  console.log(`ok      ${name}`);
}

function fail(name, why) {
  failures.push(`${name}: ${why}`);
  console.log(`FAIL    ${name}\n        ${String(why).replace(/\n/g, '\n        ')}`);
}

// Runs one named check; an exception (a timeout, a failed assertion) is a
// failure of that check only, and the others still run.
async function check(name, fn) {
  try {
    const extra = await fn();
    ok(extra ? `${name} (${extra})` : name);
    return true;
  } catch (e) {
    fail(name, e && e.message ? e.message.split('\n').slice(0, 30).join('\n') : String(e));
    return false;
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// ------------------------------------------------------------------- sites

// A site is the folder it was built to and the base URL it is loaded from:
// file:///…/docs/ or the SERVE_URL. Only URLs inside it may be requested.
class Site {
  constructor(label, dir, base) {
    this.label = label;
    this.dir = dir;
    this.base = base; // ends with '/'
  }

  url(rel) {
    return new URL(rel, this.base).href;
  }

  // Is `url` inside this site? file:// inside the folder, or the http origin.
  contains(url) {
    let u;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (u.protocol === 'data:' || u.protocol === 'blob:' || url === 'about:blank') return true;
    const b = new URL(this.base);
    if (b.protocol === 'file:') {
      if (u.protocol !== 'file:' || u.host !== '') return false;
      const p = path.resolve(fileURLToPath(u));
      return p === this.dir || p.startsWith(this.dir + path.sep);
    }
    return u.origin === b.origin;
  }

  // The path a URL names inside the site ('' for the root), without
  // fragment or query; null when it is outside.
  relative(url) {
    if (!this.contains(url)) return null;
    const u = new URL(url);
    u.hash = '';
    u.search = '';
    const b = new URL(this.base);
    if (b.protocol === 'file:') return path.relative(this.dir, fileURLToPath(u)).split(path.sep).join('/');
    return decodeURIComponent(u.pathname.slice(b.pathname.length));
  }
}

// Every .html file under a folder, as site-relative paths, sorted.
function htmlFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.html')) out.push(path.relative(dir, p).split(path.sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

// ------------------------------------------------------------------ pages

// Opens a page in `context` that records every problem of its loads into
// page.problems: console errors, page errors, failed requests, HTTP errors,
// dialogs (dismissed), websockets, and requests leaving the site (aborted).
async function watchedPage(context, site) {
  const page = await context.newPage();
  page.setDefaultTimeout(NAV_TIMEOUT);
  const problems = [];
  const blocked = new Set();
  page.problems = problems;
  page.dialogs = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (site.contains(url)) return route.continue();
    blocked.add(url);
    problems.push(`request leaves the site: ${url}`);
    return route.abort('blockedbyclient');
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location() && msg.location().url;
    if (where && blocked.has(where)) return; // already reported as leaving the site
    problems.push(`console error: ${msg.text()}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    if (blocked.has(req.url())) return;
    problems.push(`request failed: ${req.url()} (${req.failure() ? req.failure().errorText : '?'})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.url()}`);
  });
  page.on('dialog', (d) => {
    page.dialogs.push(`${d.type()}: ${d.message()}`);
    problems.push(`a ${d.type()} dialog opened: ${JSON.stringify(d.message())}`);
    d.dismiss().catch(() => {});
  });
  page.on('websocket', (ws) => problems.push(`websocket opened: ${ws.url()}`));
  page.on('popup', (p) => problems.push(`popup opened: ${p.url()}`));
  return page;
}

async function load(page, url) {
  const res = await page.goto(url, { waitUntil: 'load' });
  if (res && res.status() >= 400) throw new Error(`HTTP ${res.status()} for ${url}`);
  // Let late handlers (an <img onerror>, a timer, lazy scripts) run.
  await page.waitForTimeout(100);
}

function takeProblems(page) {
  return page.problems.splice(0, page.problems.length);
}

function assertClean(page, what) {
  const p = takeProblems(page);
  assert(p.length === 0, `${what}:\n${p.join('\n')}`);
}

// Types `text` into #search key by key (input and key events fire) and waits
// until #search-results has a link whose text matches the regular expression
// `want`. Returns the links as {text, href (absolute), raw (as written)}.
async function search(page, text, want) {
  const input = page.locator('#search');
  await input.click();
  await input.fill('');
  await input.pressSequentially(text);
  await page.waitForFunction(
    (src) => {
      const re = new RegExp(src);
      return [...document.querySelectorAll('#search-results li a')].some((a) => re.test(a.textContent));
    },
    want.source,
    { timeout: SEARCH_TIMEOUT },
  );
  return page.$$eval('#search-results li a', (as) => as.map((a) => ({ text: a.textContent.trim(), href: a.href, raw: a.getAttribute('href') })));
}

// Which page (site-relative, no fragment) a link leads to.
function target(site, href) {
  const rel = site.relative(href);
  if (rel === null) throw new Error(`link leads out of the site: ${href}`);
  return rel;
}

// ----------------------------------------------------- checks: mesh.example

// "sales.orders" as a whole FQN: not sales.orders_legacy, not a column.
const isOrders = /(^|[^\w.])sales\.orders(?![\w.])/;
const isEmailColumn = /sales\.orders\.orders\.customer_email/;

async function mainChecks(browser, site, opts) {
  const L = (name) => `[${site.label}] ${name}`;
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await watchedPage(context, site);

  await check(L('index.html loads cleanly and has #search, #domains a.domain, #counts'), async () => {
    await load(page, site.url('index.html'));
    assertClean(page, 'problems while loading index.html');
    const type = await page.locator('input#search').getAttribute('type');
    assert(type === 'search', `input#search has type=${type}, want "search"`);
    const domains = await page.locator('#domains a.domain').count();
    assert(domains >= 1, 'no #domains a.domain link');
    assert((await page.locator('#counts').count()) === 1, 'no #counts element');
    return `${domains} domains`;
  });
  if (opts.shots) {
    await check(L('screenshot docs-index.png'), async () => {
      await page.screenshot({ path: path.join(opts.shots, 'docs-index.png'), fullPage: true });
    });
  }

  await check(L('search "orders" finds sales.orders and its link opens the product page'), async () => {
    await load(page, site.url('index.html'));
    const results = await search(page, 'orders', isOrders);
    const at = results.findIndex((r) => isOrders.test(r.text));
    const hit = results[at];
    assert(target(site, hit.href) === 'products/sales/orders.html', `result "${hit.text}" links to ${hit.raw}, want products/sales/orders.html`);
    assert(!/^[a-z][a-z0-9+.-]*:|^\//i.test(hit.raw), `result href is not relative: ${hit.raw}`);
    await page.locator('#search-results li a').nth(at).click();
    await page.waitForURL((u) => target(site, u.href) === 'products/sales/orders.html', { timeout: NAV_TIMEOUT });
    await page.waitForLoadState('load');
    assert((await page.locator('main[data-fqn="sales.orders"]').count()) === 1, 'no main[data-fqn="sales.orders"] after the click');
    assertClean(page, 'problems during the search and the click');
    return `${results.length} results`;
  });

  await check(L('search "customer_email" finds sales.orders.orders.customer_email, linking to sales.orders'), async () => {
    await load(page, site.url('index.html'));
    const results = await search(page, 'customer_email', isEmailColumn);
    const at = results.findIndex((r) => isEmailColumn.test(r.text));
    const hit = results[at];
    assert(target(site, hit.href) === 'products/sales/orders.html', `result "${hit.text}" links to ${hit.raw}, want products/sales/orders.html[#…]`);
    await page.locator('#search-results li a').nth(at).click();
    await page.waitForURL((u) => target(site, u.href) === 'products/sales/orders.html', { timeout: NAV_TIMEOUT });
    await page.waitForLoadState('load');
    assert((await page.locator('main[data-fqn="sales.orders"]').count()) === 1, 'no main[data-fqn="sales.orders"] after the click');
    const hash = new URL(hit.href).hash;
    if (hash) {
      const id = decodeURIComponent(hash.slice(1));
      const found = await page.evaluate((id) => !!document.getElementById(id), id);
      assert(found, `the link's fragment ${hash} names no element id on the product page`);
    }
    assertClean(page, 'problems during the search and the click');
  });

  await check(L('products/sales/orders.html: main, h1, #ports, column rows, #readers, #diagnostics'), async () => {
    await load(page, site.url('products/sales/orders.html'));
    assertClean(page, 'problems while loading the product page');
    assert((await page.locator('main[data-fqn="sales.orders"]').count()) === 1, 'no main[data-fqn="sales.orders"]');
    const h1 = (await page.locator('h1').first().textContent()) || '';
    assert(h1.trim().length > 0, 'h1 is empty');
    assert((await page.locator('#ports').count()) === 1, 'no #ports section');
    const cols = await page.locator('#ports tr.column[data-fqn]').evaluateAll((rs) => rs.map((r) => r.dataset.fqn));
    assert(cols.includes('sales.orders.orders.customer_email'), `no tr.column[data-fqn="sales.orders.orders.customer_email"] in #ports (rows: ${cols.slice(0, 5).join(', ')}…)`);
    assert(cols.includes('sales.orders.daily_revenue.revenue'), 'no row for the view port column sales.orders.daily_revenue.revenue');
    assert((await page.locator('#readers').count()) === 1, 'no #readers section');
    assert((await page.locator('#diagnostics').count()) === 1, 'no #diagnostics section');
    return `${cols.length} column rows`;
  });

  await check(L('lineage graph of sales.orders: focus node, upstream and downstream nodes, edges'), async () => {
    const nodes = await page.locator('#lineage svg#lineage-graph g.node[data-fqn]').evaluateAll((gs) => gs.map((g) => g.dataset.fqn));
    assert(nodes.length >= 3, `${nodes.length} g.node[data-fqn] in #lineage svg#lineage-graph, want ≥ 3`);
    assert((await page.locator('svg#lineage-graph g.node.focus[data-fqn="sales.orders"]').count()) === 1, 'no g.node.focus[data-fqn="sales.orders"]');
    assert(nodes.includes('customers.customers'), `customers.customers (an input) is not a node: ${nodes.join(', ')}`);
    assert(nodes.some((n) => n.startsWith('finance.')), `no finance.* reader among the nodes: ${nodes.join(', ')}`);
    assert(nodes.some((n) => n.startsWith('logistics.')), `no logistics.* reader among the nodes: ${nodes.join(', ')}`);
    const edges = await page.locator('svg#lineage-graph path.edge').count();
    assert(edges >= 2, `${edges} path.edge, want ≥ 2`);
    return `${nodes.length} nodes, ${edges} edges`;
  });

  await check(L('column lineage: an svg.column-lineage per table/view port, with column nodes'), async () => {
    const svgs = await page.locator('svg.column-lineage').evaluateAll((ss) => ss.map((s) => ({ port: s.dataset.port, nodes: s.querySelectorAll('g.node').length })));
    const byPort = Object.fromEntries(svgs.map((s) => [s.port, s.nodes]));
    for (const port of ['sales.orders.orders', 'sales.orders.daily_revenue']) {
      assert(port in byPort, `no svg.column-lineage[data-port="${port}"] (have: ${Object.keys(byPort).join(', ') || 'none'})`);
    }
    assert(byPort['sales.orders.orders'] >= 1, 'svg.column-lineage[data-port="sales.orders.orders"] has no g.node');
    return svgs.map((s) => `${s.port}: ${s.nodes}`).join(', ');
  });

  if (opts.shots) {
    await check(L('screenshots docs-product.png and docs-lineage.png'), async () => {
      await page.screenshot({ path: path.join(opts.shots, 'docs-product.png'), fullPage: true });
      await page.locator('#lineage').screenshot({ path: path.join(opts.shots, 'docs-lineage.png') });
    });
  }

  await check(L('domain pages: every #domains link opens a page of a.product links; sales lists sales.orders'), async () => {
    await load(page, site.url('index.html'));
    const domainLinks = await page.locator('#domains a.domain').evaluateAll((as) => as.map((a) => a.href));
    let total = 0;
    let foundOrders = false;
    for (const href of domainLinks) {
      let url = href;
      const seen = new Set();
      let products = 0;
      while (url) {
        const rel = target(site, url);
        assert(!seen.has(rel), `pagination loops back to ${rel}`);
        seen.add(rel);
        assert(/^domains\/[a-z][a-z0-9_]*(-\d+)?\.html$/.test(rel), `domain link leads to ${rel}, want domains/<domain>[-N].html`);
        await load(page, url);
        assertClean(page, `problems while loading ${rel}`);
        const links = await page.locator('a.product').evaluateAll((as) => as.map((a) => a.href));
        products += links.length;
        for (const l of links) {
          const t = target(site, l);
          assert(/^products\/[a-z][a-z0-9_]*\/[a-z][a-z0-9_]*\.html$/.test(t), `a.product on ${rel} leads to ${t}`);
          if (t === 'products/sales/orders.html') foundOrders = true;
        }
        const next = page.locator('a[rel=next]');
        url = (await next.count()) > 0 ? await next.first().evaluate((a) => a.href) : null;
      }
      assert(products > 0, `${target(site, href)} lists no a.product`);
      total += products;
    }
    assert(foundOrders, 'no domain page links to products/sales/orders.html');
    return `${domainLinks.length} domains, ${total} product links`;
  });

  await check(L('keyboard: Tab from a fresh index page focuses a link or the search input'), async () => {
    const fresh = await watchedPage(context, site);
    await load(fresh, site.url('index.html'));
    await fresh.keyboard.press('Tab');
    const tag = await fresh.evaluate(() => document.activeElement && document.activeElement.tagName.toLowerCase());
    assert(tag === 'a' || tag === 'input', `document.activeElement is <${tag}> after Tab`);
    assertClean(fresh, 'problems on the fresh index page');
    await fresh.close();
    return `<${tag}>`;
  });

  await check(L('every page loads cleanly and its in-site links name existing pages'), async () => {
    const files = htmlFiles(site.dir);
    const broken = [];
    for (const rel of files) {
      await load(page, site.url(rel));
      for (const p of takeProblems(page)) broken.push(`${rel}: ${p}`);
      const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.href));
      for (const href of hrefs) {
        const t = site.relative(href);
        if (t === null) continue; // off-site links are allowed as links, never loaded
        const file = path.join(site.dir, t);
        const isFile = fs.existsSync(file) && fs.statSync(file).isFile();
        const isDirIndex = fs.existsSync(path.join(file, 'index.html'));
        if (!isFile && !isDirIndex) broken.push(`${rel}: link to ${t} (no such file)`);
      }
    }
    assert(broken.length === 0, broken.slice(0, 20).join('\n') + (broken.length > 20 ? `\n… ${broken.length - 20} more` : ''));
    return `${files.length} pages`;
  });

  await context.close();

  await check(L('without JavaScript the product page still has column rows and lineage nodes'), async () => {
    const noJs = await browser.newContext({ viewport: VIEWPORT, javaScriptEnabled: false });
    const p = await watchedPage(noJs, site);
    await load(p, site.url('products/sales/orders.html'));
    assertClean(p, 'problems while loading without JavaScript');
    const rows = await p.locator('tr.column[data-fqn]').count();
    const nodes = await p.locator('svg#lineage-graph g.node[data-fqn]').count();
    const visible = await p.locator('svg#lineage-graph').isVisible();
    await noJs.close();
    assert(rows > 0, 'no tr.column rows without JavaScript');
    assert(nodes >= 3, `${nodes} lineage g.node without JavaScript, want ≥ 3`);
    assert(visible, 'svg#lineage-graph is not visible without JavaScript');
    return `${rows} rows, ${nodes} nodes`;
  });
}

// --------------------------------------------------------- checks: hostile

const DANGEROUS_TAGS = 'iframe, frame, object, embed, base, meta[http-equiv="refresh" i], form[action^="javascript:" i]';

// Inspects the loaded page for signs that hostile text became markup.
async function inspectHostile(page) {
  return page.evaluate((dangerous) => {
    const bad = [];
    const all = [document.documentElement, ...document.querySelectorAll('*')];
    for (const el of all) {
      for (const a of el.attributes) {
        if (a.name.toLowerCase().startsWith('on')) bad.push(`<${el.localName}> has attribute ${a.name}="${a.value.slice(0, 60)}"`);
      }
      for (const name of ['href', 'src', 'action', 'formaction', 'xlink:href', 'data']) {
        const v = el.getAttribute(name);
        if (v === null) continue;
        let proto = '';
        try {
          proto = new URL(v, document.baseURI).protocol;
        } catch {
          continue;
        }
        if (proto === 'javascript:' || proto === 'vbscript:') bad.push(`<${el.localName} ${name}="${v.slice(0, 60)}">`);
        if (proto === 'data:' && el.localName !== 'img' && el.localName !== 'link') bad.push(`<${el.localName} ${name}="${v.slice(0, 60)}"> (a data: URL)`);
      }
    }
    for (const s of document.querySelectorAll('script')) {
      if (!s.hasAttribute('src')) bad.push(`inline <script>: ${s.textContent.trim().slice(0, 80)}`);
    }
    for (const el of document.querySelectorAll(dangerous)) bad.push(`<${el.localName}> element: ${el.outerHTML.slice(0, 80)}`);
    return [...new Set(bad)];
  }, DANGEROUS_TAGS);
}

async function hostileChecks(browser, site) {
  const L = (name) => `[${site.label}] ${name}`;
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await watchedPage(context, site);
  const files = htmlFiles(site.dir);

  await check(L(`the walk finds the index, domain pages and product pages`), async () => {
    assert(files.includes('index.html'), 'no index.html');
    const domains = files.filter((f) => f.startsWith('domains/'));
    const products = files.filter((f) => f.startsWith('products/'));
    assert(domains.length >= 1, 'no domains/*.html');
    assert(products.length >= 1, 'no products/*/*.html');
    return `${files.length} pages: ${domains.length} domain, ${products.length} product`;
  });

  for (const rel of files) {
    await check(L(`${rel}: hostile text stays text`), async () => {
      await load(page, site.url(rel));
      const problems = takeProblems(page);
      const jsLinks = await page.locator('a[href]').evaluateAll((as) =>
        as.filter((a) => /^\s*javascript:/i.test(a.getAttribute('href')) || a.protocol === 'javascript:').map((a) => a.getAttribute('href')),
      );
      // Click them all (there must be none): a click is what would run them.
      const n = await page.locator('a[href]').count();
      for (let i = 0; i < n && jsLinks.length > 0; i++) {
        const a = page.locator('a[href]').nth(i);
        const isJs = await a.evaluate((el) => el.protocol === 'javascript:');
        if (isJs) await a.click({ timeout: 2000, force: true, noWaitAfter: true }).catch(() => {});
      }
      if (jsLinks.length) await page.waitForTimeout(100);
      const bad = await inspectHostile(page);
      const state = await page.evaluate(() => ({
        pwned: window.__pwned,
        text: document.body ? document.body.innerText : '',
        title: document.title,
      }));
      const why = [];
      if (jsLinks.length) why.push(`${jsLinks.length} javascript: link(s): ${jsLinks.slice(0, 3).join(' | ')}`);
      if (state.pwned !== undefined) why.push(`window.__pwned = ${JSON.stringify(state.pwned)}: hostile script ran`);
      why.push(...bad.slice(0, 8));
      if (bad.length > 8) why.push(`… ${bad.length - 8} more`);
      if (!state.text.includes('<script>')) why.push('the text "<script>" is not visible in the body: hostile text was dropped or became markup');
      why.push(...takeProblems(page), ...problems);
      if (rel.startsWith('products/')) {
        const fqn = rel.replace(/^products\//, '').replace(/\.html$/, '').replace('/', '.');
        if ((await page.locator(`main[data-fqn="${fqn}"]`).count()) !== 1) why.push(`no main[data-fqn="${fqn}"]`);
      }
      assert(why.length === 0, why.join('\n'));
    });
  }

  await check(L('search for the hostile product shows its results as text'), async () => {
    await load(page, site.url('index.html'));
    const results = await search(page, 'xss_ord', /sales\.xss_orders/);
    const bad = await inspectHostile(page);
    const inResults = await page.evaluate(() => [...document.querySelectorAll('#search-results *')]
      .filter((e) => !['ul', 'ol', 'li', 'a', 'span', 'mark', 'small', 'em', 'strong', 'b', 'i', 'code', 'div', 'p', 'br'].includes(e.localName))
      .map((e) => `<${e.localName}>`));
    const pwned = await page.evaluate(() => window.__pwned);
    const why = [];
    if (pwned !== undefined) why.push(`window.__pwned = ${JSON.stringify(pwned)}`);
    if (inResults.length) why.push(`elements in #search-results: ${[...new Set(inResults)].join(' ')}`);
    why.push(...bad, ...takeProblems(page));
    for (const r of results) {
      const t = site.relative(r.href);
      if (t === null || /^\s*javascript:/i.test(r.raw)) why.push(`result "${r.text}" links to ${r.raw}`);
    }
    assert(why.length === 0, why.join('\n'));
    return `${results.length} results`;
  });

  await check(L('a query that is markup is not rendered as markup'), async () => {
    await load(page, site.url('index.html'));
    const input = page.locator('#search');
    await input.click();
    await input.pressSequentially('<img src=x onerror="window.__pwned=1">');
    await page.waitForTimeout(500);
    const bad = await inspectHostile(page);
    const imgs = await page.locator('#search-results img, #search-results svg').count();
    const pwned = await page.evaluate(() => window.__pwned);
    const why = [...bad, ...takeProblems(page)];
    if (imgs) why.push(`${imgs} img/svg element(s) in #search-results`);
    if (pwned !== undefined) why.push(`window.__pwned = ${JSON.stringify(pwned)}`);
    assert(why.length === 0, why.join('\n'));
  });

  await context.close();
}

// -------------------------------------------------------------------- main

async function main() {
  const s = settings();
  fs.mkdirSync(s.shots, { recursive: true });
  if (!fs.existsSync(s.chromium)) {
    console.error(`docs.mjs: ${s.chromium} does not exist: install Debian's chromium (./scripts/test does)`);
    process.exit(2);
  }
  // launch() gives Chromium a fresh, empty profile of its own; HOME points
  // at an empty folder too, so nothing of the user's is read or written.
  const home = fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'meshc-docs-chromium-'));
  const browser = await chromium.launch({
    executablePath: s.chromium,
    headless: true,
    args: LAUNCH_ARGS,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home },
  });
  try {
    console.log(`chromium ${browser.version()}; site ${s.site}; hostile ${s.hostileSite}${s.serveUrl ? `; served at ${s.serveUrl}` : ''}`);
    const fileSite = new Site('file', s.site, pathToFileURL(s.site + path.sep).href);
    await mainChecks(browser, fileSite, { shots: s.shots });
    if (s.serveUrl) await mainChecks(browser, new Site('http', s.site, s.serveUrl), { shots: null });
    const hostile = new Site('hostile', s.hostileSite, pathToFileURL(s.hostileSite + path.sep).href);
    await hostileChecks(browser, hostile);
  } finally {
    await browser.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
  console.log(`\n${passed} passed, ${failures.length} failed`);
  if (failures.length) {
    console.log('\nfailures:');
    for (const f of failures) console.log(`- ${f.split('\n')[0]}`);
  }
  process.exit(failures.length ? 1 : 0);
}

main().catch((e) => {
  console.error(`docs.mjs crashed: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
