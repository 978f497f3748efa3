//! C207 unmappable-type.

use crate::check::{Context, Doc, Rule};
use crate::diagnostics::{Code, Diagnostic};
use crate::load::syntax::PortType;
use crate::model::{ProductId, port_columns, span_of};
use crate::types::{Engine, LogicalType, physical_str};

pub struct UnmappableType;

pub static DOC: Doc = Doc {
    what: "A column of a `table` or `view` port has a logical type that the engine of one of the Mesh's `targets` cannot hold. Each built-in engine maps every other type to one physical type that holds all its values; where that is not one to one, the mapping is stated here:\n\n- **postgres**: `double` is `double precision`, `string` `text`, `json` `jsonb`, `binary` `bytea`; `array<T>` of a scalar is `T[]`, but arrays of arrays (PostgreSQL arrays are rectangular), of structs and of maps are unmappable; `struct` and `map` are `jsonb`, so a map's keys must be `string` or `varchar(n)` and nothing inside may be `binary`; `varchar(n)` up to n = 10485760.\n- **trino** (Iceberg tables): `smallint` is `integer` and `json` is `varchar` (Iceberg has neither); times and timestamps are `(6)`, microseconds; `struct` is `row`.\n- **spark** (Spark SQL): `time` is unmappable (no TIME type); `timestamp` is `timestamp_ntz` and `timestamptz` `timestamp`; `uuid` and `json` are `string`.\n- **snowflake**: `decimal` is `number`, `uuid` `varchar(36)`, `json` `variant`; arrays are untyped `array`s, structs and maps `object`s (a map's keys must be `string` or `varchar(n)`); `varchar(n)` up to n = 134217728.\n\nStream and file ports get no DDL and are not checked. Targets whose engine is not built in (added by templates) are skipped: meshc cannot know their types.",
    why: "A mesh's products are deployed to every target it declares. A type an engine cannot hold would either fail when the DDL runs or be silently replaced by a different type; meshc reports it instead, where the column is declared.",
    bad: "# mesh.yaml declares a target with engine: spark\ncolumns:\n  - name: opens_at\n    type: time\n",
    good: "columns:\n  - name: opens_at\n    type: string\n    description: Opening time of day, HH:MM.\n",
};

impl Rule for UnmappableType {
    fn code(&self) -> Code {
        Code::C207
    }

    fn check_product(&self, cx: &Context, product: ProductId, out: &mut Vec<Diagnostic>) {
        let Some(root) = &cx.mesh.root else {
            return;
        };
        let targets: Vec<(Engine, &str, crate::load::Loc)> = root
            .spec
            .targets
            .iter()
            .filter_map(|t| {
                Engine::parse(t.engine.as_str())
                    .map(|e| (e, t.name.as_str(), t.engine.loc.or(t.name.loc).or(t.loc)))
            })
            .collect();
        if targets.is_empty() {
            return;
        }
        let p = cx.mesh.product(product);
        for port in &p.spec.outputs {
            let kind = port
                .port_type
                .as_ref()
                .map(|t| t.value)
                .unwrap_or(PortType::Table);
            if !matches!(kind, PortType::Table | PortType::View) {
                continue;
            }
            for c in port_columns(port) {
                // Types that do not parse are C206's.
                let Ok(t) = LogicalType::parse(&c.column_type) else {
                    continue;
                };
                for &(engine, target, loc) in &targets {
                    let Err(why) = physical_str(engine, &t) else {
                        continue;
                    };
                    let mut d = Diagnostic::new(
                        Code::C207,
                        format!(
                            "column `{}.{}.{}` has type `{t}`, which target `{target}` ({}) cannot hold",
                            p.fqn,
                            port.name.as_str(),
                            c.name.as_str(),
                            engine.title()
                        ),
                    )
                    .with_primary(span_of(p.file, c.column_type.loc), "");
                    if loc.is_known() {
                        d = d.with_related(
                            span_of(root.file, loc),
                            format!("target `{target}` uses engine `{}`", engine.as_str()),
                        );
                    }
                    out.push(d.with_help(why));
                }
            }
        }
    }
}
