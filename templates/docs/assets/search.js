// Client-side search of the docs site (meshc). The index is prebuilt in
// shards under search/ and loaded on demand with <script> elements, which
// work from file:// where fetch() does not: search/products.js (every
// product, and the list of shards) and search/t-<hex>.js, the names
// starting with two given characters (hex of their UTF-8 bytes). Results are built with DOM nodes
// and textContent only: nothing from the index is parsed as HTML.
(function () {
  "use strict";
  var LIMIT = 50;
  var loaded = {};
  var waiting = {};
  var products = null;
  var shards = {};
  var exists = {};

  window.meshcSearch = {
    load: function (name, data) {
      if (name === "products") {
        products = data.products;
        data.shards.forEach(function (k) { exists["t-" + k] = true; });
      } else { shards[name] = data; }
      loaded[name] = true;
      (waiting[name] || []).forEach(function (f) { f(); });
      waiting[name] = [];
    }
  };

  function need(name, done) {
    if (loaded[name]) { done(true); return; }
    if (waiting[name]) { waiting[name].push(function () { done(true); }); return; }
    waiting[name] = [function () { done(true); }];
    var s = document.createElement("script");
    s.src = "search/" + name + ".js";
    s.async = true;
    // Should a shard fail to load, the search says nothing was found.
    s.onerror = function () { loaded[name] = true; shards[name] = []; (waiting[name] || []).forEach(function (f) { f(); }); waiting[name] = []; };
    document.head.appendChild(s);
  }

  function hex(s) {
    var bytes = new TextEncoder().encode(Array.from(s).slice(0, 2).join(""));
    return Array.from(bytes).map(function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  var input, list, status, seq = 0;

  function show(items, q) {
    list.textContent = "";
    items.forEach(function (it) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = it.href;
      a.textContent = it.fqn;
      li.appendChild(a);
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = it.kind + (it.title ? " · " + it.title : "");
      li.appendChild(kind);
      list.appendChild(li);
    });
    if (!items.length) { status.textContent = "Nothing found for “" + q + "”."; }
    else { status.textContent = items.length + (items.length === LIMIT ? "+ results" : items.length === 1 ? " result" : " results") + " for “" + q + "”."; }
  }

  function run() {
    var q = input.value.trim().toLowerCase();
    var mine = ++seq;
    if (Array.from(q).length < 2) { list.textContent = ""; status.textContent = q ? "Type at least two characters." : ""; return; }
    var key = "t-" + hex(q);
    status.textContent = "Searching…";
    need("products", function () {
      if (!exists[key]) { loaded[key] = true; shards[key] = []; }
      need(key, function () {
        if (mine !== seq) { return; }
        var items = [], seen = {};
        var terms = shards[key] || [];
        for (var i = 0; i < terms.length && items.length < LIMIT; i++) {
          var term = terms[i][0];
          if (term.indexOf(q) !== 0) { continue; }
          var matches = terms[i][1];
          for (var j = 0; j < matches.length && items.length < LIMIT; j++) {
            var m = matches[j], p = products[m[0]];
            if (!p) { continue; }
            var fqn = p[0] + (m[1] ? "." + m[1] : "") + (m[2] ? "." + m[2] : "");
            if (seen[fqn]) { continue; }
            seen[fqn] = true;
            var anchor = m[2] ? "#col-" + m[1] + "-" + m[2] : m[1] ? "#port-" + m[1] : "";
            items.push({ fqn: fqn, href: p[2] + anchor, kind: m[2] ? "column" : m[1] ? "port" : "product", title: m[1] ? "" : p[1] });
          }
        }
        items.sort(function (a, b) { return (a.fqn.length - b.fqn.length) || (a.fqn < b.fqn ? -1 : 1); });
        show(items, q);
      });
    });
  }

  function start() {
    input = document.getElementById("search");
    list = document.getElementById("search-results");
    status = document.getElementById("search-status");
    if (!input || !list || !status) { return; }
    var timer = null;
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 80); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { var first = list.querySelector("a"); if (first) { first.click(); } }
    });
    if (input.value) { run(); }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
