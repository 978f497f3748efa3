//! Documentation of the codes that are not rules of their own: load (M),
//! resolve (R), build (E) and policy (P) findings.

use crate::check::Doc;
use crate::diagnostics::Code;

pub static UNDOCUMENTED: Doc = Doc {
    what: "(no documentation)",
    why: "",
    bad: "",
    good: "",
};

pub fn doc(code: Code) -> Option<&'static Doc> {
    Some(match code {
        Code::M001 => &M001,
        Code::M002 => &M002,
        Code::M003 => &M003,
        Code::M004 => &M004,
        Code::M005 => &M005,
        Code::M006 => &M006,
        Code::M007 => &M007,
        Code::M008 => &M008,
        Code::R101 => &R101,
        Code::R102 => &R102,
        Code::R103 => &R103,
        Code::R104 => &R104,
        Code::R105 => &R105,
        Code::R106 => &R106,
        Code::R107 => &R107,
        Code::R108 => &R108,
        Code::P000 => &P000,
        Code::E401 => &E401,
        _ => return None,
    })
}

static M001: Doc = Doc {
    what: "A mesh file is not parseable YAML: a syntax error, a duplicate key, text that is not UTF-8, a file over 16 MiB, nesting deeper than 64 levels or aliases that expand beyond the limit.",
    why: "meshc cannot know what a broken document says. The bounds keep hostile input (alias bombs, deep nesting, huge files) from exhausting memory; the other documents and files are still checked.",
    bad: "metadata:\n  name: \"orders\n  domain: sales\n",
    good: "metadata:\n  name: \"orders\"\n  domain: sales\n",
};

static M002: Doc = Doc {
    what: "A document does not have the shape of its kind: an unknown field (with the closest known one), a value of the wrong type, a missing required field, or fields that exclude each other (`source` and `product` on one input, `contract` and `columns` on one port).",
    why: "A misspelt field would otherwise be ignored silently, and the product would not be what its author meant.",
    bad: "columns:\n  - name: order_id\n    type: bigint\n    nulable: false\n",
    good: "columns:\n  - name: order_id\n    type: bigint\n    nullable: false\n",
};

static M003: Doc = Doc {
    what: "A document declares `apiVersion: meshc/…` with a version this meshc does not read, or a `kind` that is not Mesh, Domain, Team, Source or DataProduct.",
    why: "Reading a newer format with an older compiler would drop what it does not know.",
    bad: "apiVersion: meshc/v1\nkind: DataProdcut\n",
    good: "apiVersion: meshc/v1\nkind: DataProduct\n",
};

static M004: Doc = Doc {
    what: "Two definitions of one name: two domains, teams or targets with one name, a product and a source with one name in one domain, two ports of a product or two columns of a port with one name. Both places are shown.",
    why: "Every reference must mean exactly one thing; with two definitions, which one a consumer reads would depend on file order.",
    bad: "# products/orders.yaml and products/orders_v2.yaml both say:\nmetadata: { name: orders, domain: sales }\n",
    good: "metadata: { name: orders_v2, domain: sales }\n",
};

static M005: Doc = Doc {
    what: "A name breaks the identifier rule `[a-z][a-z0-9_]*`, at most 63 characters. It applies to every document's name and to ports, columns, tables, targets and classifications.",
    why: "Names become schema, table, column and role names in every engine; this subset is valid and needs no quoting everywhere.",
    bad: "metadata:\n  name: Order-Lines\n",
    good: "metadata:\n  name: order_lines\n",
};

static M006: Doc = Doc {
    what: "The folder has no Mesh document, or more than one.",
    why: "The Mesh holds the targets, naming and global governance every other document depends on.",
    bad: "# no file with `kind: Mesh`\n",
    good: "apiVersion: meshc/v1\nkind: Mesh\nmetadata: { name: acme }\nspec:\n  targets: [ { name: warehouse, engine: postgres } ]\n",
};

static M007: Doc = Doc {
    what: "A rule setting in `governance.rules` names a code or prefix that is no rule, or a severity other than error, warning and info; or a Domain ignores, deselects or lowers the severity of a rule the Mesh marks `mandatory` (the rule stays in force as the Mesh sets it); or `mandatory` appears in a Domain.",
    why: "A mistyped setting would silently leave a rule on or off; federation lets domains tighten governance, never loosen what the platform made mandatory.",
    bad: "# domains/sales/domain.yaml, with `mandatory: [G304]` in the Mesh\nspec:\n  governance:\n    rules: { ignore: [G304] }\n",
    good: "spec:\n  governance:\n    rules: { severity: { G302: error } }\n",
};

static M008: Doc = Doc {
    what: "A port's `contract` names an ODCS v3 file meshc cannot use, or the file says something meshc cannot map. At the `contract:` value: the path is empty, absolute, outside the mesh folder (also through a symbolic link), hidden or in the build folder, or the file does not exist or is not UTF-8 text of at most 16 MiB. In the contract file, at its line: it is not YAML; it has no `apiVersion`, or one that is not `v3.x.y` (ODCS v2 is refused); its `kind` is not `DataContract`; it is not valid ODCS v3 where meshc reads it (an unknown or misspelt field, a value of the wrong type, a missing required field such as `id`, `version`, `status` or a property's `name`); it has no schema object for the port (none, or several and none named like the port); the schema object's `physicalType` is not what the port is (a `table` or `view` port takes a `table` or `view`, a `stream` port a `topic` or `stream`, a `file` port a `file`); the object lists no properties; a property's type cannot be mapped (`logicalType` and `physicalType` disagree, `number` without a precise `physicalType` or `format`, an `array` without `items`, a size or precision no meshc type holds); an SLA property meshc maps (`latency`, `availability`, `retention`) has a value it cannot read or is given twice; the primary key or an SLA value disagrees with what the port writes itself. After any of these errors the port has no columns, as if it had no contract. A quality check or SLA property meshc has no equivalent for is reported as an info (so that `--deny-warnings` still passes): meshc ignores it, and it stays in the contract for the tools that run it.",
    why: "The contract is the schema consumers rely on, and meshc builds DDL, grants and its checks from it: a contract meshc cannot read in full must not be half-used or guessed at. Pointing at the contract's own line lets the team that owns it fix it.",
    bad: "# products/orders.yaml\n    - name: orders\n      contract: contracts/orders.odcs.yaml\n# products/contracts/orders.odcs.yaml\napiVersion: v3.1.0\nkind: DataContract\nid: sales-orders\nversion: 1.0.0\nstatus: active\nschema:\n  - name: orders\n    properties:\n      - { name: total, logicalType: number }\n",
    good: "# products/contracts/orders.odcs.yaml\napiVersion: v3.1.0\nkind: DataContract\nid: sales-orders\nversion: 1.0.0\nstatus: active\nschema:\n  - name: orders\n    properties:\n      - { name: total, logicalType: number, physicalType: \"decimal(12,2)\" }\n",
};

static R101: Doc = Doc {
    what: "A product or source names a `metadata.domain` that no Domain document defines.",
    why: "The domain decides the product's schema, its rule settings and who reviews it.",
    bad: "metadata: { name: orders, domain: salse }\n",
    good: "metadata: { name: orders, domain: sales }\n",
};

static R102: Doc = Doc {
    what: "An `owner` or an `access.allow` entry names a team that no Team document defines.",
    why: "Ownership and access are granted to teams; an unknown team can own nothing and receive no grant.",
    bad: "metadata: { name: orders, domain: sales, owner: sales_team }\n",
    good: "metadata: { name: orders, domain: sales, owner: sales_data }\n",
};

static R103: Doc = Doc {
    what: "An input, `access.allow` product, `replacedBy` or `derivedFrom` names a product that does not exist (the closest FQN is suggested).",
    why: "A product cannot read, approve or derive from something that is not there.",
    bad: "inputs:\n  - product: sales.order\n    port: orders\n",
    good: "inputs:\n  - product: sales.orders\n    port: orders\n",
};

static R104: Doc = Doc {
    what: "An input or reference names a port its product does not publish, or omits `port` on a product with several ports.",
    why: "Consumption is declared per port: it decides grants and what a breaking change hits.",
    bad: "inputs:\n  - product: sales.orders\n    port: order\n",
    good: "inputs:\n  - product: sales.orders\n    port: orders\n",
};

static R105: Doc = Doc {
    what: "A consumed, primary-key, quality, access or `derivedFrom` column does not exist on the port or table it names.",
    why: "Column-level grants, lineage and breaking-change impact depend on every named column being real.",
    bad: "inputs:\n  - product: sales.orders\n    port: orders\n    columns: [order_id, totl]\n",
    good: "inputs:\n  - product: sales.orders\n    port: orders\n    columns: [order_id, total]\n",
};

static R106: Doc = Doc {
    what: "The products' inputs form a cycle; the message prints it and every input on it is marked.",
    why: "Products are built in dependency order; a cycle has none, and a change would feed back into itself.",
    bad: "# sales.orders reads finance.invoices, which reads sales.orders\n",
    good: "# one of the two reads its data from a source instead\n",
};

static R107: Doc = Doc {
    what: "A source input or `derivedFrom` names a source or source table that does not exist (`domain.source.table`).",
    why: "Lineage to operational systems is only useful when it names real tables.",
    bad: "inputs:\n  - source: sales.shopdb.orders\n",
    good: "inputs:\n  - source: sales.shop_db.orders\n",
};

static R108: Doc = Doc {
    what: "A column (of a port or a source table) has a `classification` that is not in the Mesh's `classifications` list (default `public, internal, confidential, pii, restricted`); the closest one is suggested.",
    why: "Classification drives masking, propagation and the personal-data rules; an unknown class cannot be ranked, so the column would silently escape all of them.",
    bad: "- name: customer_email\n  type: string\n  classification: PII\n",
    good: "- name: customer_email\n  type: string\n  classification: pii\n",
};

static P000: Doc = Doc {
    what: "A finding of a Rego policy: an entry of its `deny` set, `{code, msg, path?, severity?}`, reported with the code the policy chose (e.g. P001) at the YAML node `path` names. A policy that does not parse or fails at run time is reported under this code, pointing into the .rego file.",
    why: "Policies let the platform team and each domain add their own computational governance without changing meshc.",
    bad: "deny contains {\"code\": \"P001\", \"msg\": \"products need a tag\", \"path\": \"metadata\"} if {\n  count(input.metadata.tags) == 0\n}\n",
    good: "metadata:\n  name: orders\n  tags: [core]\n",
};

static E401: Doc = Doc {
    what: "`meshc build` could not render an artifact from its template: a `naming` template or an engine template (built in, or from the Mesh's `templates` folder) does not parse, uses an undefined variable or filter, fails while rendering, or does not exist — a target whose `engine` is neither built in nor has templates in the `templates` folder. It also covers names the build cannot use: a `naming` template that renders an empty name, or two relations of one schema or two roles with one name (compared on their first 63 bytes when a target is PostgreSQL, which cuts longer names) — G311 warns about such templates at check time where it can evaluate them; the build refuses them, since one product would take over another's relation or role; and a `templates` folder outside the mesh. The diagnostic names the template file and line; for a `naming` template it points at the setting in the Mesh. Nothing is written: the previous build stays as it was.",
    why: "Every emitted file comes from a template so that platform teams can change or add engines without Rust. A template that fails must stop the build with its own location, not leave half-written SQL behind.",
    bad: "# templates/postgres/ddl.sql (overrides the built-in one)\n{% for r in ddl %}\ncreate table {{ r.name | ident }} (\n{% endfor %\n",
    good: "# templates/postgres/ddl.sql\n{% for r in ddl %}\ncreate table {{ r.name | ident }} ();\n{% endfor %}\n",
};
