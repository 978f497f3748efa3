//! The loader never panics, whatever the bytes: every input yields
//! documents and diagnostics, and every diagnostic span lies inside its file.
//! SQL quoting escapes exactly what each dialect needs, whatever the text.

use meshc::load::parse::parse_file;
use meshc::source::{FileId, SourceFile};
use meshc::targets::Dialect;
use proptest::prelude::*;

const PRODUCT: &str = "apiVersion: meshc/v1\nkind: DataProduct\nmetadata:\n  name: orders\n  domain: sales\n  owner: sales_data\nspec:\n  version: 1.0.0\n  inputs:\n    - product: customers.customers\n      port: customers\n      columns: [id, email]\n  outputs:\n    - name: orders\n      visibility: public\n      primaryKey: [id]\n      columns:\n        - { name: id, type: bigint, nullable: false }\n        - name: email\n          type: string\n          classification: pii\n          masking: hash\n      quality:\n        - { type: row_count, min: 1 }\n---\napiVersion: meshc/v1\nkind: Team\nmetadata: { name: sales_data }\n";

fn check_spans(text: &str) {
    let file = SourceFile::new("p.yaml".into(), text.to_string());
    let r = parse_file(FileId(0), &file);
    for d in &r.diagnostics {
        if let Some(p) = &d.primary {
            assert!(p.span.start as usize <= text.len(), "span past end: {d:?}");
            assert!(
                p.span.end as usize <= text.len() + 1,
                "span past end: {d:?}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,400}") {
        check_spans(&format!("apiVersion: meshc/v1\n{s}"));
    }

    #[test]
    fn mutated_product_never_panics(pos in 0usize..PRODUCT.len(), cut in 0usize..40, insert in "[-:\\[\\]{}&*!|>'\" \\n#a-z0-9]{0,12}") {
        let mut s = PRODUCT.to_string();
        let mut start = pos.min(s.len());
        while !s.is_char_boundary(start) { start -= 1; }
        let mut end = (start + cut).min(s.len());
        while !s.is_char_boundary(end) { end -= 1; }
        s.replace_range(start..end, &insert);
        check_spans(&s);
    }

    #[test]
    fn quoting_escapes_exactly_the_dialects_characters(s in "(\\PC|[\"'`\\\\\u{0}])*") {
        let nul = s.replace('\0', "\u{FFFD}");
        let q = |q: &str, body: String| format!("{q}{body}{q}");
        prop_assert_eq!(Dialect::Ansi.ident(&s), q("\"", nul.replace('"', "\"\"")));
        prop_assert_eq!(Dialect::Backtick.ident(&s), q("`", nul.replace('`', "``")));
        prop_assert_eq!(
            Dialect::Snowflake.ident(&s),
            q("\"", nul.to_uppercase().replace('"', "\"\""))
        );
        prop_assert_eq!(Dialect::Ansi.literal(&s), q("'", nul.replace('\'', "''")));
        prop_assert_eq!(
            Dialect::Backtick.literal(&s),
            q("'", nul.replace('\\', "\\\\").replace('\'', "\\'"))
        );
        prop_assert_eq!(
            Dialect::Snowflake.literal(&s),
            q("'", nul.replace('\\', "\\\\").replace('\'', "''"))
        );
    }
}

#[test]
fn the_base_document_loads() {
    let file = SourceFile::new("p.yaml".into(), PRODUCT.to_string());
    let r = parse_file(FileId(0), &file);
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert_eq!(r.docs.len(), 2);
}
