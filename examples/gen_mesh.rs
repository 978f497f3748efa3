//! Deterministic generator of synthetic data meshes, for benchmarking meshc.
//!
//! ```text
//! cargo run --release --example gen_mesh -- --products 10000 --seed 1 --out DIR
//! ```
//!
//! The same arguments always give a byte-identical tree. Layout:
//!
//! ```text
//! DIR/mesh.yaml                              the Mesh document
//! DIR/teams.yaml                             every Team, one multi-document file
//! DIR/domains/<d>/domain.yaml                one Domain per domain
//! DIR/domains/<d>/sources/<s>.yaml           two Sources per domain
//! DIR/domains/<d>/products/<p>.yaml          one DataProduct per file (~10 KB each)
//! ```
//!
//! The generated mesh is meant to be free of errors and warnings under the
//! rules of SPEC §4: product inputs only point at products with a lower index
//! (a DAG), cross-domain inputs only at `public` ports, version requirements
//! are satisfied, consumed and lineage columns exist, pii is classified,
//! masked, retained and consumed with a purpose, classification propagates
//! along `derivedFrom`, nothing consumes a deprecated product, and non-pii
//! column names avoid the substrings that look personal (see `PERSONAL`).

use clap::Parser;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(about = "Generate a deterministic synthetic mesh for meshc benchmarks")]
struct Args {
    /// Number of data products to generate.
    #[arg(long)]
    products: usize,
    /// Seed of the pseudo-random generator; same seed and sizes, same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder (created; must be empty unless --force).
    #[arg(long)]
    out: PathBuf,
    /// Number of domains [default: max(4, products / 250)].
    #[arg(long)]
    domains: Option<usize>,
    /// Replace earlier generator output in OUT (mesh.yaml, teams.yaml, domains/).
    #[arg(long)]
    force: bool,
}

// ---------------------------------------------------------------------------
// PRNG: splitmix64, one independent stream per entity so that output is
// deterministic and does not depend on iteration details elsewhere.

struct Rng(u64);

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        Rng(mix64(seed.wrapping_add(0x9E37_79B9_7F4A_7C15))
            ^ mix64(stream.wrapping_mul(0xD1B5_4A32_D192_ED03)))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }
    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        ((self.next() as u128 * n as u128) >> 64) as usize
    }
    /// Uniform in lo..=hi.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    /// Pick from (value, weight) pairs.
    fn weighted<T: Copy>(&mut self, xs: &[(T, u32)]) -> T {
        let total: u32 = xs.iter().map(|x| x.1).sum();
        let mut r = self.below(total as usize) as u32;
        for &(v, w) in xs {
            if r < w {
                return v;
            }
            r -= w;
        }
        xs[xs.len() - 1].0
    }
    /// `k` distinct indices out of 0..n, in ascending order.
    fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..n).collect();
        let k = k.min(n);
        for i in 0..k {
            let j = i + self.below(n - i);
            idx.swap(i, j);
        }
        idx.truncate(k);
        idx.sort_unstable();
        idx
    }
}

// Stream tags (high bits) for the per-entity generators.
const S_DOMAIN: u64 = 1 << 40;
const S_STATUS: u64 = 2 << 40;
const S_PRODUCT: u64 = 3 << 40;

// ---------------------------------------------------------------------------
// Vocabulary. Non-pii column names are built only from these words and are
// checked against PERSONAL at generation time.

#[rustfmt::skip]
mod vocab {
    /// Substrings that a pii-unclassified rule (G303) might treat as personal.
    pub const PERSONAL: &[&str] = &[
        "email", "mail", "phone", "ssn", "name", "address", "addr", "birth", "dob", "ip", "iban",
        "passport", "gender", "zip", "postal", "salary", "card", "tax", "user", "login", "password",
        "street", "city", "age", "sex", "person", "surname", "contact", "customer", "credit",
    ];

    pub const DOMAIN_WORDS: &[&str] = &[
        "sales", "finance", "marketing", "logistics", "inventory", "support", "billing", "payments",
        "catalog", "pricing", "web", "mobile", "risk", "fraud", "procurement", "manufacturing",
        "quality", "legal", "research", "partners", "loyalty", "fulfillment", "returns", "treasury",
        "analytics", "operations", "supply", "retail", "wholesale", "service", "energy", "facilities",
        "security", "content", "search", "ads", "growth", "platform", "forecasting", "planning",
    ];

    /// (plural noun, entity) pairs for products, ports, source tables and keys.
    pub const NOUNS: &[(&str, &str)] = &[
        ("orders", "order"), ("invoices", "invoice"), ("payments", "payment"),
        ("deliveries", "delivery"), ("returns", "return"), ("refunds", "refund"),
        ("accounts", "account"), ("contracts", "contract"), ("tickets", "ticket"),
        ("sessions", "session"), ("campaigns", "campaign"), ("products", "product"),
        ("stores", "store"), ("suppliers", "supplier"), ("carriers", "carrier"), ("routes", "route"),
        ("parcels", "parcel"), ("stock_levels", "stock_level"), ("forecasts", "forecast"),
        ("budgets", "budget"), ("ledger_entries", "ledger_entry"), ("transactions", "transaction"),
        ("claims", "claim"), ("leads", "lead"), ("offers", "offer"), ("quotes", "quote"),
        ("assets", "asset"), ("devices", "device"), ("events", "event"), ("visits", "visit"),
        ("clicks", "click"), ("order_lines", "order_line"),
    ];

    pub const PRODUCT_KINDS: &[&str] = &[
        "summary", "daily", "facts", "snapshot", "metrics", "history", "current", "enriched", "rollup",
        "by_region", "weekly", "monthly",
    ];

    pub const PORT_SUFFIXES: &[&str] = &[
        "daily", "by_region", "by_channel", "latest", "history", "monthly", "agg",
    ];

    pub const TAGS: &[&str] = &[
        "core", "gold", "silver", "bronze", "daily", "realtime", "certified", "experimental", "kpi",
        "regulatory", "reference", "finance",
    ];

    pub const SOURCE_NAMES: &[(&str, &str)] = &[
        ("crm_db", "postgres"), ("erp_db", "sqlserver"), ("shop_db", "postgres"),
        ("events_stream", "kafka"), ("billing_db", "mysql"), ("wms_db", "postgres"),
        ("pos_db", "mysql"), ("ledger_db", "oracle"), ("web_tracking", "kafka"),
        ("support_desk", "saas"),
    ];

    pub const MEASURE_PREFIX: &[&str] = &[
        "net", "gross", "total", "daily", "weekly", "monthly", "min", "max", "avg", "median", "prior",
        "current", "planned", "actual", "forecast", "adjusted", "local", "base", "reported", "rolling",
        "expected", "realized", "budgeted", "cumulative",
    ];
    pub const MEASURE_NOUN: &[&str] = &[
        "revenue", "amount", "cost", "margin", "price", "discount", "weight", "volume", "duration_sec",
        "latency_ms", "backlog", "inventory", "throughput", "demand", "supply", "yield", "balance",
        "spend", "profit", "fee", "charge", "debit", "return_rate", "conversion_rate", "churn_rate",
        "fill_rate", "utilization", "score", "rating", "variance", "exposure", "liability", "tariff",
        "premium", "surcharge", "commission", "rebate", "markup", "turnover",
    ];
    pub const COUNT_NOUN: &[&str] = &[
        "order", "line", "unit", "item", "visit", "click", "view", "return", "refund", "ticket",
        "error", "retry", "attempt", "event", "session", "delivery", "parcel", "pallet", "batch",
        "review", "request", "alert", "incident", "task", "job", "step", "hop", "scan",
    ];
    pub const FLAG_ADJ: &[&str] = &[
        "active", "valid", "flagged", "late", "returned", "promoted", "verified", "cancelled",
        "refunded", "settled", "priority", "recurring", "domestic", "internal_only", "archived", "test",
        "complete", "expedited", "on_hold", "overdue", "fraud_suspected", "manual", "discounted",
    ];
    pub const CODE_NOUN: &[&str] = &[
        "region", "country", "currency", "channel", "category", "segment", "store", "warehouse",
        "carrier", "plan", "tier", "brand", "market", "locale", "unit", "team", "cost_center",
        "product_line", "sku", "route", "lane", "zone", "grade", "reason", "outcome", "source_system",
        "method", "mode", "variant", "order",
    ];
    pub const CODE_SUFFIX: &[&str] = &[
        "code", "label", "group", "type", "key", "status", "bucket",
    ];
    pub const DATE_EVENT: &[&str] = &[
        "order", "delivery", "invoice", "payment", "close", "open", "start", "end", "due",
        "effective", "expiry", "settlement", "booking", "review", "launch", "renewal", "cutoff",
        "posting", "snapshot", "report", "fiscal",
    ];
    pub const TS_EVENT: &[&str] = &[
        "created", "updated", "loaded", "processed", "ingested", "confirmed", "cancelled", "delivered",
        "paid", "closed", "opened", "scanned", "approved", "settled", "published", "refreshed",
        "received",
    ];
    pub const JSON_SUFFIX: &[&str] = &[
        "attributes", "metadata", "payload", "properties", "context",
    ];
    pub const ARRAY_SUFFIX: &[&str] = &["tags", "codes", "labels", "flags"];

    /// (name, type) of personal columns; always `classification: pii` and masked.
    pub const PII_COLUMNS: &[(&str, &str)] = &[
        ("customer_email", "string"), ("contact_email", "varchar(64)"),
        ("phone_number", "string"), ("mobile_phone", "varchar(64)"), ("full_name", "string"),
        ("first_name", "string"), ("last_name", "string"), ("billing_address", "string"),
        ("home_address", "string"), ("date_of_birth", "date"), ("ip_address", "string"),
        ("iban", "varchar(64)"), ("ssn", "varchar(64)"), ("passport_number", "string"),
    ];

    pub const TYPE_WEIGHTS: &[(&str, u32)] = &[
        ("decimal(18,2)", 20), ("double", 10), ("integer", 10), ("bigint", 10), ("string", 15),
        ("varchar(64)", 8), ("boolean", 8), ("date", 5), ("timestamp", 4), ("timestamptz", 4),
        ("uuid", 2), ("json", 2), ("array<string>", 2),
    ];

    pub const FILLERS: &[&str] = &[
        "Values are computed by the nightly pipeline from the upstream sources.",
        "Null when the upstream system did not report a value.",
        "Expressed in the reporting currency after conversion at the daily rate.",
        "Rounded to two decimal places.", "Refreshed every six hours.",
        "Derived from the operational system of record.",
        "Use this field for reporting, not for reconciliation.",
        "Late-arriving records are corrected within 48 hours.",
        "See the domain handbook for the business definition.",
        "Stable across reloads and safe to join on.", "Backfilled from 2019 onwards.",
        "Aggregated at the grain of the port.",
        "Validated against the reference data before publication.",
        "Corrections from finance are applied at month end.",
        "Comparable across regions since the 2022 harmonisation.", "Missing values are not imputed.",
        "Counts exclude test and internal traffic.",
        "Follows the definition agreed in the data council.",
        "May change retroactively when late events arrive.",
        "Kept for compatibility with older consumers.",
        "Sourced from the event stream and deduplicated by key.",
        "Consumers should prefer this field over the legacy one.",
    ];

    pub const PRODUCT_FILLERS: &[&str] = &[
        "The product is rebuilt incrementally; a full rebuild runs every Sunday night.",
        "Records are deduplicated on the primary key, keeping the most recent version.",
        "Late data is accepted for seven days and then frozen for reporting.",
        "Questions about the business definitions go to the owning team's channel.",
        "The schema follows the domain's modelling guidelines, with snake_case names and explicit units.",
        "Historic values before 2019 were migrated from the legacy warehouse and are less precise.",
        "Quality checks run on every load; a failing check blocks publication of the new snapshot.",
        "Downstream products should consume the public ports only and declare the columns they read.",
    ];

    pub const PURPOSES: &[&str] = &[
        "order enrichment", "revenue attribution", "fraud detection", "service quality reporting",
        "regulatory reporting", "demand forecasting", "campaign measurement", "support case handling",
    ];
}
use vocab::*;

fn is_ident(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

fn looks_personal(s: &str) -> bool {
    PERSONAL.iter().any(|p| s.contains(p))
}

fn humanize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, w) in s.split('_').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(w);
    }
    if let Some(c) = out.get(0..1) {
        let up = c.to_ascii_uppercase();
        out.replace_range(0..1, &up);
    }
    out
}

fn title_case(s: &str) -> String {
    s.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A YAML double-quoted scalar (JSON strings are valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).expect("string serializes")
}

// ---------------------------------------------------------------------------
// Model kept in memory for consumers (producers are generated first).

#[derive(Clone)]
struct Col {
    name: String,
    ty: &'static str,
    class: Option<&'static str>,
    masking: Option<&'static str>,
}

struct PortInfo {
    name: String,
    public: bool,
    cols: Vec<Col>,
}

struct ProductInfo {
    name: String,
    domain: usize,
    major: u32,
    consumable: bool,
    ports: Vec<PortInfo>,
}

struct SourceTable {
    name: String,
    cols: Vec<Col>,
}

struct SourceInfo {
    name: String,
    system: &'static str,
    tables: Vec<SourceTable>,
}

struct DomainInfo {
    name: String,
    word: &'static str,
    teams: [String; 2],
    sources: Vec<SourceInfo>,
}

/// A column as written: model + description, nullability, lineage.
struct ColOut {
    col: Col,
    nullable: Option<bool>,
    desc: String,
    derived: Option<String>,
}

fn column_desc(rng: &mut Rng, name: &str, entity: &str) -> String {
    let entity = entity.replace('_', " ");
    let mut d = if let Some(adj) = name.strip_prefix("is_") {
        format!("Whether the {entity} is {}.", adj.replace('_', " "))
    } else if let Some(ev) = name.strip_suffix("_at") {
        format!("When the {entity} was {}.", ev.replace('_', " "))
    } else {
        format!("{} of the {entity}.", humanize(name))
    };
    let n = rng.weighted(&[(0usize, 4), (1, 5), (2, 1)]);
    for f in rng.sample(FILLERS.len(), n) {
        d.push(' ');
        d.push_str(FILLERS[f]);
    }
    d
}

/// A random non-pii column name and type, unique within `used`.
fn random_col(rng: &mut Rng, used: &mut HashSet<String>) -> Col {
    for attempt in 0..50 {
        let ty = rng.weighted(TYPE_WEIGHTS);
        let name = match ty {
            "decimal(18,2)" | "double" => {
                format!("{}_{}", rng.pick(MEASURE_PREFIX), rng.pick(MEASURE_NOUN))
            }
            "integer" | "bigint" => {
                if rng.chance(0.6) {
                    format!("{}_count", rng.pick(COUNT_NOUN))
                } else {
                    format!(
                        "{}_{}_units",
                        rng.pick(MEASURE_PREFIX),
                        rng.pick(COUNT_NOUN)
                    )
                }
            }
            "string" | "varchar(64)" => {
                format!("{}_{}", rng.pick(CODE_NOUN), rng.pick(CODE_SUFFIX))
            }
            "boolean" => format!("is_{}", rng.pick(FLAG_ADJ)),
            "date" => format!("{}_date", rng.pick(DATE_EVENT)),
            "timestamp" | "timestamptz" => format!("{}_at", rng.pick(TS_EVENT)),
            "uuid" => format!("{}_uuid", rng.pick(COUNT_NOUN)),
            "json" => format!("{}_{}", rng.pick(COUNT_NOUN), rng.pick(JSON_SUFFIX)),
            _ => format!("{}_{}", rng.pick(COUNT_NOUN), rng.pick(ARRAY_SUFFIX)),
        };
        let name = if attempt >= 40 {
            format!("{name}_{attempt}")
        } else {
            name
        };
        assert!(
            is_ident(&name) && !looks_personal(&name),
            "bad generated column name {name}"
        );
        if used.insert(name.clone()) {
            let class = match rng.below(100) {
                0..=9 => Some("internal"),
                10..=12 => Some("confidential"),
                _ => None,
            };
            return Col {
                name,
                ty,
                class,
                masking: None,
            };
        }
    }
    unreachable!("column name space exhausted")
}

fn pii_masking(rng: &mut Rng) -> &'static str {
    rng.weighted(&[("hash", 60), ("redact", 25), ("nullify", 15)])
}

// ---------------------------------------------------------------------------
// Writers.

struct Out {
    files: usize,
    bytes: u64,
    product_bytes: u64,
}

impl Out {
    fn write(&mut self, path: &Path, text: &str) -> io::Result<()> {
        let mut w = BufWriter::with_capacity(64 * 1024, fs::File::create(path)?);
        w.write_all(text.as_bytes())?;
        w.flush()?;
        self.files += 1;
        self.bytes += text.len() as u64;
        Ok(())
    }
}

fn write_columns(s: &mut String, indent: &str, cols: &[ColOut], rng: &mut Rng) {
    for c in cols {
        let _ = writeln!(s, "{indent}- name: {}", c.col.name);
        let _ = writeln!(s, "{indent}  type: {}", c.col.ty);
        if let Some(n) = c.nullable {
            let _ = writeln!(s, "{indent}  nullable: {n}");
        }
        if rng.chance(0.04) {
            let _ = writeln!(
                s,
                "{indent}  description: {}",
                q(&format!("Note: {}", c.desc))
            );
        } else {
            let _ = writeln!(s, "{indent}  description: {}", c.desc);
        }
        if let Some(cl) = c.col.class {
            let _ = writeln!(s, "{indent}  classification: {cl}");
        }
        if let Some(m) = c.col.masking {
            let _ = writeln!(s, "{indent}  masking: {m}");
        }
        if let Some(d) = &c.derived {
            let _ = writeln!(s, "{indent}  derivedFrom: [{d}]");
        }
    }
}

fn mesh_yaml(args_products: usize, seed: u64, domains: usize) -> String {
    format!(
        "apiVersion: meshc/v1
kind: Mesh
metadata:
  name: synthetic
  description: Synthetic data mesh generated by gen_mesh (seed {seed}, {args_products} products, {domains} domains).
spec:
  targets:
    - name: warehouse
      engine: postgres
    - name: lakehouse
      engine: trino
      catalog: iceberg
    - name: spark_lake
      engine: spark
    - name: cloud
      engine: snowflake
      database: analytics
  classifications: [public, internal, confidential, pii, restricted]
  governance:
    rules:
      select: [ALL]
      mandatory: [G303, G304]
"
    )
}

fn teams_yaml(domains: &[DomainInfo]) -> String {
    let mut s = String::new();
    for (k, d) in domains.iter().enumerate() {
        for (t, team) in d.teams.iter().enumerate() {
            if k > 0 || t > 0 {
                s.push_str("---\n");
            }
            let role = if t == 0 { "Data" } else { "Analytics" };
            let _ = write!(
                s,
                "apiVersion: meshc/v1
kind: Team
metadata:
  name: {team}
  title: {} {role} Team
  description: Owns the {role} products of the {} domain.
spec:
  contact:
    email: {team}@acme.example
    chat: {}
  members:
",
                title_case(d.word),
                d.word,
                q(&format!("#{team}"))
            );
            for m in 0..(2 + (k + t) % 4) {
                let _ = writeln!(s, "    - m{m}.{team}@acme.example");
            }
        }
    }
    s
}

fn domain_yaml(k: usize, d: &DomainInfo) -> String {
    let mut s = format!(
        "apiVersion: meshc/v1
kind: Domain
metadata:
  name: {}
  title: {}
  description: The {} domain, with its products, sources and teams.
  owner: {}
",
        d.name,
        title_case(d.word),
        d.word,
        d.teams[0]
    );
    if k.is_multiple_of(2) {
        s.push_str("spec:\n  governance:\n    rules:\n      severity: { G302: error }\n");
    } else {
        s.push_str("spec: {}\n");
    }
    s
}

fn gen_domains(seed: u64, n: usize) -> Vec<DomainInfo> {
    (0..n)
        .map(|k| {
            let mut rng = Rng::new(seed, S_DOMAIN | k as u64);
            let word = DOMAIN_WORDS[k % DOMAIN_WORDS.len()];
            let name = format!("d{k:03}_{word}");
            let teams = [format!("{name}_data"), format!("{name}_analytics")];
            let sources = (0..2)
                .map(|j| {
                    let (sname, system) = SOURCE_NAMES[(2 * k + j) % SOURCE_NAMES.len()];
                    let ntables = rng.range(3, 5);
                    let tables = rng
                        .sample(NOUNS.len(), ntables)
                        .into_iter()
                        .map(|ti| {
                            let (plural, entity) = NOUNS[ti];
                            let mut used = HashSet::new();
                            let id = format!("{entity}_id");
                            used.insert(id.clone());
                            let mut cols = vec![Col {
                                name: id,
                                ty: "bigint",
                                class: None,
                                masking: None,
                            }];
                            let ncols = rng.range(6, 14);
                            while cols.len() < ncols {
                                cols.push(random_col(&mut rng, &mut used));
                            }
                            if rng.chance(0.4) {
                                for _ in 0..rng.range(1, 2) {
                                    let (pn, pt) = *rng.pick(PII_COLUMNS);
                                    if used.insert(pn.to_string()) {
                                        let at = rng.range(1, cols.len());
                                        cols.insert(
                                            at,
                                            Col {
                                                name: pn.to_string(),
                                                ty: pt,
                                                class: Some("pii"),
                                                masking: None,
                                            },
                                        );
                                    }
                                }
                            }
                            SourceTable {
                                name: plural.to_string(),
                                cols,
                            }
                        })
                        .collect();
                    SourceInfo {
                        name: sname.to_string(),
                        system,
                        tables,
                    }
                })
                .collect();
            DomainInfo {
                name,
                word,
                teams,
                sources,
            }
        })
        .collect()
}

fn source_yaml(seed: u64, k: usize, d: &DomainInfo, s: &SourceInfo, j: usize) -> String {
    let mut rng = Rng::new(seed, S_DOMAIN | (1 << 32) | ((k as u64) << 4) | j as u64);
    let mut y = format!(
        "apiVersion: meshc/v1
kind: Source
metadata:
  name: {}
  domain: {}
  owner: {}
  description: Operational {} system {} of the {} domain, replicated into the lake every hour.
spec:
  system: {}
  tables:
",
        s.name, d.name, d.teams[0], s.system, s.name, d.word, s.system
    );
    for t in &s.tables {
        let _ = writeln!(y, "    - name: {}", t.name);
        y.push_str("      columns:\n");
        let entity = NOUNS
            .iter()
            .find(|n| n.0 == t.name)
            .map(|n| n.1)
            .unwrap_or("record");
        let cols: Vec<ColOut> = t
            .cols
            .iter()
            .enumerate()
            .map(|(i, c)| ColOut {
                col: c.clone(),
                nullable: if i == 0 { Some(false) } else { None },
                desc: column_desc(&mut rng, &c.name, entity),
                derived: None,
            })
            .collect();
        write_columns(&mut y, "        ", &cols, &mut rng);
    }
    y
}

// ---------------------------------------------------------------------------
// Products.

struct Ctx<'a> {
    seed: u64,
    domains: &'a [DomainInfo],
    /// Per product: Some(replacement index) when deprecated.
    deprecated: &'a [Option<usize>],
    width: usize,
}

fn product_name(i: usize, width: usize, noun: &str, kind: &str) -> String {
    format!("p{i:0width$}_{noun}_{kind}")
}

/// Name parts of product i, drawn from its own stream so any product's name
/// can be computed without generating it (needed for `replacedBy`).
fn product_parts(seed: u64, i: usize) -> (usize, usize) {
    let mut r = Rng::new(seed, S_PRODUCT | (1 << 39) | i as u64);
    (r.below(NOUNS.len()), r.below(PRODUCT_KINDS.len()))
}

fn full_product_name(ctx: &Ctx, i: usize) -> String {
    let (ni, ki) = product_parts(ctx.seed, i);
    product_name(i, ctx.width, NOUNS[ni].0, PRODUCT_KINDS[ki])
}

struct Input {
    yaml: String,
    /// (FQN, column) pairs this input consumes, candidates for derivedFrom.
    consumed: Vec<(String, Col)>,
}

fn gen_product(ctx: &Ctx, i: usize, done: &[ProductInfo]) -> (ProductInfo, String) {
    let nd = ctx.domains.len();
    let dk = i % nd;
    let dom = &ctx.domains[dk];
    let mut rng = Rng::new(ctx.seed, S_PRODUCT | i as u64);
    let (ni, ki) = product_parts(ctx.seed, i);
    let (noun, entity) = NOUNS[ni];
    let kind = PRODUCT_KINDS[ki];
    let name = product_name(i, ctx.width, noun, kind);
    let major = rng.range(1, 3) as u32;
    let version = format!("{major}.{}.{}", rng.below(10), rng.below(10));
    let owner = &dom.teams[rng.below(2)];

    // ---- inputs
    let mut inputs: Vec<Input> = Vec::new();
    let mut used_ports: HashSet<(usize, usize)> = HashSet::new();
    if rng.chance(0.4) {
        let src = rng.pick(&dom.sources);
        let t = rng.pick(&src.tables);
        let fqn_t = format!("{}.{}.{}", dom.name, src.name, t.name);
        let cols: Vec<&Col> = if rng.chance(0.5) {
            let k = rng.range(2, 6.min(t.cols.len()));
            rng.sample(t.cols.len(), k)
                .into_iter()
                .map(|c| &t.cols[c])
                .collect()
        } else {
            t.cols.iter().collect()
        };
        let mut y = format!("    - source: {fqn_t}\n");
        if cols.len() < t.cols.len() {
            let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
            let _ = writeln!(y, "      columns: [{}]", names.join(", "));
        }
        if cols.iter().any(|c| c.class == Some("pii")) || rng.chance(0.1) {
            let _ = writeln!(y, "      purpose: {}", rng.pick(PURPOSES));
        }
        let consumed = cols
            .into_iter()
            .map(|c| (format!("{fqn_t}.{}", c.name), c.clone()))
            .collect();
        inputs.push(Input { yaml: y, consumed });
    }
    let n_inputs = if i == 0 {
        0
    } else {
        rng.weighted(&[(0usize, 15), (1, 30), (2, 25), (3, 18), (4, 12)])
    };
    for _ in 0..n_inputs {
        let cross = rng.chance(0.3);
        let mut chosen = None;
        for _ in 0..20 {
            let j = if cross {
                rng.below(i)
            } else {
                let local = i / nd; // products of this domain before i: dk, dk+nd, ...
                if local == 0 {
                    break;
                }
                dk + nd * rng.below(local)
            };
            let p = &done[j];
            if !p.consumable || (cross && p.domain == dk) {
                continue;
            }
            let ports: Vec<usize> = (0..p.ports.len())
                .filter(|&k| p.domain == dk || p.ports[k].public)
                .collect();
            if ports.is_empty() {
                continue;
            }
            let k = *rng.pick(&ports);
            if used_ports.insert((j, k)) {
                chosen = Some((j, k));
                break;
            }
        }
        let Some((j, k)) = chosen else { continue };
        let p = &done[j];
        let port = &p.ports[k];
        let pfqn = format!("{}.{}", ctx.domains[p.domain].name, p.name);
        let n = rng.range(2, 8.min(port.cols.len()));
        let mut idx = rng.sample(port.cols.len(), n);
        if !idx.contains(&0) && rng.chance(0.7) {
            idx[0] = 0;
            idx.sort_unstable();
            idx.dedup();
        }
        let cols: Vec<&Col> = idx.iter().map(|&c| &port.cols[c]).collect();
        let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        let mut y = format!(
            "    - product: {pfqn}\n      port: {}\n      version: \"^{}.0\"\n      columns: [{}]\n",
            port.name,
            p.major,
            names.join(", ")
        );
        if cols.iter().any(|c| c.class == Some("pii")) || rng.chance(0.1) {
            let _ = writeln!(y, "      purpose: {}", rng.pick(PURPOSES));
        }
        let consumed = cols
            .into_iter()
            .map(|c| (format!("{pfqn}.{}.{}", port.name, c.name), c.clone()))
            .collect();
        inputs.push(Input { yaml: y, consumed });
    }
    let all_consumed: Vec<&(String, Col)> = inputs.iter().flat_map(|x| x.consumed.iter()).collect();

    // ---- outputs
    let nports = rng.weighted(&[(1usize, 35), (2, 35), (3, 30)]);
    let suffixes = rng.sample(PORT_SUFFIXES.len(), nports - 1);
    let mut ports_info: Vec<PortInfo> = Vec::new();
    let mut ports_yaml = String::with_capacity(12 * 1024);
    let mut first_cols: Vec<ColOut> = Vec::new();
    let mut first_is_table = false;
    for pk in 0..nports {
        let pname = if pk == 0 {
            noun.to_string()
        } else {
            let suffix = PORT_SUFFIXES[suffixes[pk - 1]];
            let long = format!("{noun}_{suffix}");
            // `product__port__masked` must fit in 63 characters (G311).
            if name.len() + long.len() + "____masked".len() > 63 {
                suffix.to_string()
            } else {
                long
            }
        };
        let public = if pk == 0 {
            rng.chance(0.9)
        } else {
            rng.chance(0.5)
        };
        let view = pk > 0 && first_is_table && first_cols.len() >= 10 && rng.chance(0.08);
        let ptype = if view {
            "view"
        } else {
            rng.weighted(&[("table", 94), ("stream", 4), ("file", 2)])
        };
        let mut cols: Vec<ColOut>;
        let mut query = None;
        if view {
            let n = rng.range(7, (first_cols.len() - 1).min(20));
            let mut idx: Vec<usize> = rng
                .sample(first_cols.len() - 1, n)
                .into_iter()
                .map(|x| x + 1)
                .collect();
            idx.insert(0, 0);
            cols = idx
                .iter()
                .map(|&x| {
                    let c = &first_cols[x];
                    ColOut {
                        col: c.col.clone(),
                        nullable: c.nullable,
                        desc: format!("{} Same as on the {} port.", c.desc, noun),
                        derived: None,
                    }
                })
                .collect();
            let names: Vec<&str> = cols.iter().map(|c| c.col.name.as_str()).collect();
            query = Some(format!(
                "select {}\nfrom {{{{ ref(\"{}.{}.{}\") }}}}\nwhere {} is not null\n",
                names.join(", "),
                dom.name,
                name,
                noun,
                names[0]
            ));
        } else {
            let ncols = rng.range(8, 37);
            let mut used = HashSet::new();
            let id_name = if pk == 0 {
                format!("{entity}_id")
            } else {
                format!("{entity}_{}_id", PORT_SUFFIXES[suffixes[pk - 1]])
            };
            used.insert(id_name.clone());
            cols = vec![ColOut {
                col: Col {
                    name: id_name,
                    ty: "bigint",
                    class: None,
                    masking: None,
                },
                nullable: Some(false),
                desc: format!(
                    "Surrogate key of the {}, unique within this port. {}",
                    entity.replace('_', " "),
                    rng.pick(FILLERS)
                ),
                derived: None,
            }];
            let mut extra: Vec<ColOut> = Vec::new();
            // derived columns (lineage), classification copied from the source
            if !all_consumed.is_empty() {
                let nder = rng.below(all_consumed.len().min(4) + 1);
                for x in rng.sample(all_consumed.len(), nder) {
                    let (fqn, src) = all_consumed[x];
                    if !used.insert(src.name.clone()) {
                        continue;
                    }
                    let mut col = src.clone();
                    if col.class == Some("pii") && col.masking.is_none() {
                        col.masking = Some(pii_masking(&mut rng));
                    }
                    let desc = format!(
                        "{} Taken from {} without transformation.",
                        column_desc(&mut rng, &col.name, entity),
                        fqn
                    );
                    extra.push(ColOut {
                        col,
                        nullable: None,
                        desc,
                        derived: Some(fqn.clone()),
                    });
                }
            }
            // personal columns
            if rng.chance(0.3) {
                for _ in 0..rng.range(1, 3) {
                    let (pn, pt) = *rng.pick(PII_COLUMNS);
                    if used.insert(pn.to_string()) {
                        let col = Col {
                            name: pn.to_string(),
                            ty: pt,
                            class: Some("pii"),
                            masking: Some(pii_masking(&mut rng)),
                        };
                        let desc = column_desc(&mut rng, pn, entity);
                        extra.push(ColOut {
                            col,
                            nullable: None,
                            desc,
                            derived: None,
                        });
                    }
                }
            }
            while cols.len() + extra.len() < ncols {
                let col = random_col(&mut rng, &mut used);
                let desc = column_desc(&mut rng, &col.name, entity);
                let nullable = match rng.below(10) {
                    0..=1 => Some(false),
                    2..=5 => Some(true),
                    _ => None,
                };
                cols.push(ColOut {
                    col,
                    nullable,
                    desc,
                    derived: None,
                });
            }
            for e in extra {
                let at = rng.range(1, cols.len());
                cols.insert(at, e);
            }
        }
        let has_pii = cols.iter().any(|c| c.col.class == Some("pii"));
        let id = cols[0].col.name.clone();

        // ---- port YAML
        let s = &mut ports_yaml;
        let _ = writeln!(s, "    - name: {pname}");
        let _ = writeln!(s, "      type: {ptype}");
        let _ = writeln!(
            s,
            "      visibility: {}",
            if public { "public" } else { "domain" }
        );
        let _ = writeln!(
            s,
            "      description: {} {} of the {} product, one row per {}. {} {}",
            title_case(&pname),
            if public {
                "is the public interface"
            } else {
                "is a domain-internal port"
            },
            name,
            entity.replace('_', " "),
            rng.pick(PRODUCT_FILLERS),
            rng.pick(FILLERS)
        );
        let _ = writeln!(s, "      primaryKey: [{id}]");
        if let Some(qy) = &query {
            s.push_str("      query: |\n");
            for line in qy.lines() {
                let _ = writeln!(s, "        {line}");
            }
        }
        s.push_str("      columns:\n");
        write_columns(s, "        ", &cols, &mut rng);
        s.push_str("      quality:\n");
        let _ = writeln!(s, "        - {{ type: not_null, column: {id} }}");
        let _ = writeln!(s, "        - {{ type: unique, columns: [{id}] }}");
        if let Some(c) = cols
            .iter()
            .find(|c| c.col.name.ends_with("_status") && c.col.class.is_none())
        {
            let _ = writeln!(
                s,
                "        - {{ type: accepted_values, column: {}, values: [open, pending, closed] }}",
                c.col.name
            );
        }
        if let Some(c) = cols.iter().find(|c| c.col.ty.starts_with("timestamp")) {
            let _ = writeln!(
                s,
                "        - {{ type: freshness, column: {}, maxAge: 24h }}",
                c.col.name
            );
        }
        s.push_str("        - { type: row_count, min: 1 }\n");
        if public {
            s.push_str("      sla: { freshness: 6h, availability: \"99.5%\", retention: 2y }\n");
        } else if has_pii {
            s.push_str("      sla: { freshness: 24h, retention: 1y }\n");
        } else if rng.chance(0.5) {
            s.push_str("      sla: { freshness: 24h }\n");
        }

        ports_info.push(PortInfo {
            name: pname,
            public,
            cols: cols.iter().map(|c| c.col.clone()).collect(),
        });
        if pk == 0 {
            first_is_table = ptype == "table";
            first_cols = cols;
        }
    }

    // ---- document
    let mut y = String::with_capacity(ports_yaml.len() + 4096);
    let ntags = rng.range(1, 3);
    let tags: Vec<&str> = rng
        .sample(TAGS.len(), ntags)
        .into_iter()
        .map(|t| TAGS[t])
        .collect();
    let _ = write!(
        y,
        "apiVersion: meshc/v1
kind: DataProduct
metadata:
  name: {name}
  domain: {}
  title: {} {}
  description: |
    {} publishes **{}** for the {} domain, one row per {}.

    It is owned by `{owner}` and refreshed on a schedule agreed with its consumers.
",
        dom.name,
        title_case(noun),
        title_case(kind),
        title_case(&format!("{noun}_{kind}")),
        noun.replace('_', " "),
        dom.word,
        entity.replace('_', " "),
    );
    if !inputs.is_empty() {
        y.push_str("\n    Built from:\n\n");
        for inp in &inputs {
            if let Some((fqn, _)) = inp.consumed.first() {
                let parent = fqn.rsplit_once('.').map(|x| x.0).unwrap_or(fqn);
                let _ = writeln!(y, "    - `{parent}`");
            }
        }
    }
    y.push('\n');
    let nfill = rng.range(1, 3);
    for f in rng.sample(PRODUCT_FILLERS.len(), nfill) {
        let _ = writeln!(y, "    {}", PRODUCT_FILLERS[f]);
    }
    let _ = writeln!(y, "  owner: {owner}");
    let _ = writeln!(y, "  tags: [{}]", tags.join(", "));
    y.push_str("spec:\n");
    let _ = writeln!(y, "  version: {version}");
    let deprecated = ctx.deprecated[i];
    match deprecated {
        Some(r) => {
            let year = 2028 + rng.below(4);
            let month = rng.range(1, 12);
            let _ = write!(
                y,
                "  status: deprecated\n  deprecation:\n    sunset: {year}-{month:02}-28\n    replacedBy: {}.{}\n",
                dom.name,
                full_product_name(ctx, r)
            );
        }
        None => y.push_str("  status: active\n"),
    }
    if !inputs.is_empty() {
        y.push_str("  inputs:\n");
        for inp in &inputs {
            y.push_str(&inp.yaml);
        }
    }
    y.push_str("  outputs:\n");
    y.push_str(&ports_yaml);
    // access.allow: an analytics team of another domain on the first public port
    if nd > 1
        && rng.chance(0.08)
        && let Some(p) = ports_info.iter().find(|p| p.public)
    {
        let other = (dk + 1 + rng.below(nd - 1)) % nd;
        let plain: Vec<&str> = p
            .cols
            .iter()
            .filter(|c| c.class.is_none())
            .map(|c| c.name.as_str())
            .collect();
        let k = rng.range(2.min(plain.len()), 5.min(plain.len()));
        let cols: Vec<&str> = rng
            .sample(plain.len(), k)
            .into_iter()
            .map(|x| plain[x])
            .collect();
        let _ = write!(
            y,
            "  access:\n    allow:\n      - team: {}\n        ports: [{}]\n",
            ctx.domains[other].teams[1], p.name
        );
        if !cols.is_empty() {
            let _ = writeln!(y, "        columns: [{}]", cols.join(", "));
        }
        let _ = write!(
            y,
            "        purpose: {}\n        expires: 2030-12-31\n",
            rng.pick(PURPOSES)
        );
    } else if !ports_info.iter().any(|p| p.public) {
        // No public port: the domain's other team reads it, so the product
        // has a reader even when no product consumes it (G312).
        let reader = dom.teams.iter().find(|t| *t != owner).unwrap_or(owner);
        let _ = write!(
            y,
            "  access:\n    allow:\n      - team: {reader}\n        ports: [{}]\n        purpose: domain reporting\n        expires: 2030-12-31\n",
            ports_info[0].name
        );
    }

    let info = ProductInfo {
        name,
        domain: dk,
        major,
        consumable: deprecated.is_none(),
        ports: ports_info,
    };
    (info, y)
}

fn run(args: Args) -> io::Result<()> {
    let start = Instant::now();
    let n = args.products;
    let nd = args.domains.unwrap_or((n / 250).max(4));
    if n == 0 || nd == 0 || nd > 1000 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "need --products >= 1 and 1 <= --domains <= 1000",
        ));
    }
    let out = &args.out;
    if out.exists() {
        if args.force {
            for f in ["mesh.yaml", "teams.yaml"] {
                let p = out.join(f);
                if p.exists() {
                    fs::remove_file(p)?;
                }
            }
            let d = out.join("domains");
            if d.exists() {
                fs::remove_dir_all(d)?;
            }
        } else if fs::read_dir(out)?.next().is_some() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} is not empty (use --force to replace earlier output)",
                    out.display()
                ),
            ));
        }
    }
    fs::create_dir_all(out)?;

    let width = (n.saturating_sub(1).to_string().len()).max(5);
    let domains = gen_domains(args.seed, nd);

    // Deprecations: decided up front, replaced by a later active product of
    // the same domain (nothing consumes a deprecated product).
    let mut deprecated: Vec<Option<usize>> = vec![None; n];
    let mut wants: Vec<bool> = (0..n)
        .map(|i| Rng::new(args.seed, S_STATUS | i as u64).chance(0.03))
        .collect();
    for i in (0..n).rev() {
        if wants[i] {
            let mut j = i + nd;
            while j < n && wants[j] {
                j += nd;
            }
            if j < n {
                deprecated[i] = Some(j);
            } else {
                wants[i] = false;
            }
        }
    }
    let ctx = Ctx {
        seed: args.seed,
        domains: &domains,
        deprecated: &deprecated,
        width,
    };

    let mut o = Out {
        files: 0,
        bytes: 0,
        product_bytes: 0,
    };
    o.write(&out.join("mesh.yaml"), &mesh_yaml(n, args.seed, nd))?;
    o.write(&out.join("teams.yaml"), &teams_yaml(&domains))?;
    for (k, d) in domains.iter().enumerate() {
        let dir = out.join("domains").join(&d.name);
        fs::create_dir_all(dir.join("sources"))?;
        fs::create_dir_all(dir.join("products"))?;
        o.write(&dir.join("domain.yaml"), &domain_yaml(k, d))?;
        for (j, s) in d.sources.iter().enumerate() {
            o.write(
                &dir.join("sources").join(format!("{}.yaml", s.name)),
                &source_yaml(args.seed, k, d, s, j),
            )?;
        }
    }
    let mut done: Vec<ProductInfo> = Vec::with_capacity(n);
    let mut n_deprecated = 0;
    for i in 0..n {
        let (info, yaml) = gen_product(&ctx, i, &done);
        assert!(is_ident(&info.name));
        let path = out
            .join("domains")
            .join(&domains[info.domain].name)
            .join("products")
            .join(format!("{}.yaml", info.name));
        o.write(&path, &yaml)?;
        o.product_bytes += yaml.len() as u64;
        n_deprecated += usize::from(!info.consumable);
        done.push(info);
    }
    println!(
        "gen_mesh: {} files, {} products ({} deprecated) in {} domains, {} bytes ({:.1} MB; avg product {:.0} bytes) in {:.2}s -> {}",
        o.files,
        n,
        n_deprecated,
        nd,
        o.bytes,
        o.bytes as f64 / 1e6,
        o.product_bytes as f64 / n as f64,
        start.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(args) {
        eprintln!("gen_mesh: error: {e}");
        std::process::exit(2);
    }
}
