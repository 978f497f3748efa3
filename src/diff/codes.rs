//! Documentation of the `meshc diff` codes (B5xx): what `meshc explain`
//! prints and the book's rule pages show. The examples are two revisions
//! of one file, base first.

use crate::check::Doc;
use crate::diagnostics::Code;

pub fn doc(code: Code) -> Option<&'static Doc> {
    Some(match code {
        Code::B501 => &B501,
        Code::B502 => &B502,
        Code::B503 => &B503,
        Code::B504 => &B504,
        Code::B505 => &B505,
        Code::B506 => &B506,
        Code::B507 => &B507,
        Code::B508 => &B508,
        Code::B509 => &B509,
        Code::B510 => &B510,
        Code::B511 => &B511,
        Code::B512 => &B512,
        Code::B513 => &B513,
        _ => return None,
    })
}

/// What every breaking code's page says about approval.
macro_rules! approval {
    () => {
        " Reported by `meshc diff` only. A breaking change is approved, and reported without failing, when the product's major version was raised in the same change (`2.3.0` → `3.0.0`; for `0.x` versions, `0.4.1` → `0.5.0`: a version outside `^old`); otherwise it is an error."
    };
}

static B501: Doc = Doc {
    what: concat!(
        "A data product was removed, or its `status` became `retired`, while products at the head revision still declare an input on it. The impact lists those consumers and, transitively, the products downstream of them, with their owners and contacts.",
        approval!(),
        " A removed product has no version to raise: its consumers must move first."
    ),
    why: "A consumer's pipeline stops the day its input disappears. Removing a product is safe only once nobody reads it; deprecate it first (`status: deprecated` with a `sunset` and `replacedBy`) so consumers are warned by C202.",
    bad: "# base: sales.orders_legacy exists; finance.invoices reads it\n# head: domains/sales/products/orders_legacy.yaml deleted,\n#       finance.invoices still has:\ninputs:\n  - product: sales.orders_legacy\n    port: orders\n",
    good: "# head: finance.invoices moved to the replacement in the same change\ninputs:\n  - product: sales.orders\n    port: orders\n",
};

static B502: Doc = Doc {
    what: concat!(
        "An output port was removed while a product at the head revision still reads it (an input that names the port, or names none and the product had only that port).",
        approval!()
    ),
    why: "Every consumer of the port loses its whole input. Column-level changes can often be absorbed; a missing relation cannot.",
    bad: "# base\noutputs:\n  - name: orders\n  - name: daily_revenue\n# head: daily_revenue removed, version still 2.3.0,\n#       sales.sales_kpis reads sales.orders.daily_revenue\noutputs:\n  - name: orders\n",
    good: "# head: the major version says consumers must adapt\nspec:\n  version: 3.0.0\n  outputs:\n    - name: orders\n",
};

static B503: Doc = Doc {
    what: concat!(
        "A column was removed from a port while a product at the head revision consumes it: by name (its input's `columns` lists it) or wholly (its input has no `columns`, so it reads every column). Removing a column nobody consumes is not breaking; it is a compatible schema change (see B512).",
        approval!()
    ),
    why: "Column-level precision keeps the report honest: a producer may drop a column nobody reads without a major version, and the owners of every product that does read it are told who they are.",
    bad: "# base: sales.orders.orders has column `channel`;\n#       marketing.campaign_audience's input lists columns: [order_id, channel]\n# head: `channel` removed, version 2.3.0 → 2.4.0\ncolumns:\n  - name: order_id\n    type: bigint\n",
    good: "# head: version 2.3.0 → 3.0.0, or the consumer stops listing `channel`\nspec:\n  version: 3.0.0\n",
};

static B504: Doc = Doc {
    what: concat!(
        "A consumed column's type changed to one that cannot hold every value of the old type. Widening is compatible: `smallint` → `integer` → `bigint`; an integer type to a `decimal(p,s)` with enough digits before the point (or to `double`/`real` where they hold it exactly: `smallint`/`integer` → `double`, `smallint` → `real`); `real` → `double`; `decimal(p,s)` → `decimal(p2,s2)` with `s2 >= s` and `p2 - s2 >= p - s`; `varchar(n)` → `varchar(m)` with `m >= n`, or → `string`; and the same inside `array<…>`, `map<…>` and `struct<…>` (whose fields are matched by name, and may be added). Everything else is breaking, including a type meshc cannot parse at head. Unconsumed columns are not breaking (a compatible change, B512).",
        approval!()
    ),
    why: "A consumer's code and tables were built for the old type; values that no longer fit fail its loads or are silently truncated.",
    bad: "# base\n- name: total\n  type: decimal(12,2)\n# head\n- name: total\n  type: decimal(10,2)\n",
    good: "# head: widened, compatible\n- name: total\n  type: decimal(14,2)\n",
};

static B505: Doc = Doc {
    what: concat!(
        "A consumed column became nullable: `nullable: false` at base, `nullable: true` (or no `nullable`, which means true) at head.",
        approval!()
    ),
    why: "Consumers may rely on a column being non-null (joins, keys, NOT NULL columns of their own); nulls arriving unannounced break them.",
    bad: "# base\n- name: order_id\n  type: bigint\n  nullable: false\n# head\n- name: order_id\n  type: bigint\n",
    good: "- name: order_id\n  type: bigint\n  nullable: false\n",
};

static B506: Doc = Doc {
    what: concat!(
        "A port's `primaryKey` changed (columns added, removed or reordered, or the key removed). Always breaking, consumed or not; the impact lists every product that reads the port.",
        approval!()
    ),
    why: "The key is what a row means: consumers deduplicate, join and merge on it.",
    bad: "# base\nprimaryKey: [order_id]\n# head\nprimaryKey: [order_id, line_no]\n",
    good: "# head: with the major version raised\nspec:\n  version: 3.0.0\n",
};

static B507: Doc = Doc {
    what: concat!(
        "A change cuts off a product that consumes a port at both revisions: the port's `visibility` narrowed (`public` → `domain` or `restricted`, `domain` → `restricted`) so the consumer may no longer read it, or the producer's `access.allow` approval of the consumer was removed, narrowed to other ports or left to expire, or a masked column it reads lost its `unmasked` approval. Consumers newly added at head are judged by C204 and C205 instead.",
        approval!()
    ),
    why: "Access is part of the interface: the consumer's grants are derived from these declarations, and its pipeline fails on the next run without them.",
    bad: "# base\n- name: orders\n  visibility: public\n# head (finance.invoices reads sales.orders.orders)\n- name: orders\n  visibility: domain\n",
    good: "# head: keep the consumer approved\n- name: orders\n  visibility: restricted\naccess:\n  allow:\n    - product: finance.invoices\n      ports: [orders]\n",
};

static B508: Doc = Doc {
    what: concat!(
        "A consumed column's effective classification (its own, or the most sensitive one it inherits through `derivedFrom`) was raised, ranked by the Mesh's `classifications`; or the column became masked (`masking` other than `none`) where the consumer has no `unmasked` approval, so it now reads masked values.",
        approval!()
    ),
    why: "A more sensitive class changes who may read the data and how: consumers may lose access, need a purpose (G305) or retention (G308), or must mask it themselves (G306).",
    bad: "# base\n- name: country\n  type: varchar(2)\n  classification: internal\n# head\n- name: country\n  type: varchar(2)\n  classification: pii\n",
    good: "- name: country\n  type: varchar(2)\n  classification: internal\n",
};

static B509: Doc = Doc {
    what: "A port's SLA was weakened: `freshness` longer, `availability` lower, `retention` shorter, or one of them removed. Durations are compared in seconds (`1h` = `60m`), availability as a percentage. A warning, whatever the version.",
    why: "Consumers plan their own SLAs on their inputs'; a weaker promise should be seen in review and told to them.",
    bad: "# base\nsla: { freshness: 1h, availability: \"99.9%\" }\n# head\nsla: { freshness: 6h, availability: \"99.5%\" }\n",
    good: "sla: { freshness: 1h, availability: \"99.9%\" }\n",
};

static B510: Doc = Doc {
    what: "A quality guarantee on a port was removed (a check with the same type and column(s) no longer exists) or loosened: `accepted_values` that accept more values, a `freshness` check with a longer `maxAge`, a `row_count` with a lower `min` or higher `max` (or one of them dropped). A warning, whatever the version.",
    why: "Quality checks are promises consumers rely on without re-checking; dropping one silently moves the work to them.",
    bad: "# base\nquality:\n  - { type: not_null, column: order_id }\n# head\nquality: []\n",
    good: "quality:\n  - { type: not_null, column: order_id }\n",
};

static B511: Doc = Doc {
    what: concat!(
        "A column was renamed: at one position of a port's column list, base has a column head does not, and head has a column base does not, with the same type. Breaking like B503 when a product at head consumes the old name by name or wholly; otherwise a compatible change (B512). The rename is shown in the semantic change either way.",
        approval!()
    ),
    why: "To a consumer a rename is a removal: its queries name the old column.",
    bad: "# base\n- name: total\n  type: decimal(12,2)\n# head\n- name: order_total\n  type: decimal(12,2)\n",
    good: "# head: keep the name, or raise the major version\n- name: total\n  type: decimal(12,2)\n",
};

static B512: Doc = Doc {
    what: "A product's schema changed compatibly (a port or column added, a column nobody consumes removed or renamed, a type widened, a column made non-nullable, a port's type or visibility changed without cutting anyone off) and its version's major.minor was not raised. Changes to descriptions, quality, SLA, access and inputs need no bump.",
    why: "The version tells consumers what changed without reading the diff: a patch release should be safe to take blindly, a minor one brings something new.",
    bad: "# base: version 2.3.0\n# head: a column added, version 2.3.1\nspec:\n  version: 2.3.1\n",
    good: "spec:\n  version: 2.4.0\n",
};

static B513: Doc = Doc {
    what: "A product's `spec.version` at head is lower than at base (semver order).",
    why: "Versions only go up: consumers' requirements (`^2.3`) and every published contract assume it, and a lower version would make a newer contract look older.",
    bad: "# base\nspec:\n  version: 2.3.0\n# head\nspec:\n  version: 2.2.0\n",
    good: "spec:\n  version: 2.3.1\n",
};
