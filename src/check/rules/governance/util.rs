//! What several governance rules share: blank text, classification ranks
//! (declared and propagated), where a column's class is stated.

use crate::check::Context;
use crate::classify;
use crate::load::Sp;
use crate::load::syntax::{Column, Masking};
use crate::model::{ColumnRef, Mesh, span_of};
use crate::source::{FileId, Span};

/// Text that is absent, empty or only whitespace.
pub(super) fn blank(v: Option<&Sp<String>>) -> bool {
    v.is_none_or(|s| s.trim().is_empty())
}

/// Whether a column is masked (`masking` other than `none`).
pub(super) fn masked(c: &Column) -> bool {
    c.masking.as_ref().is_some_and(|m| m.value != Masking::None)
}

/// Rank of `pii` in the Mesh's classifications; `None` when the Mesh's
/// list has no `pii` (then the pii rules have nothing to check).
pub(super) fn pii_rank(mesh: &Mesh) -> Option<usize> {
    classify::rank(mesh, "pii")
}

/// Rank of the classification a column declares, when it names one of the
/// Mesh's classifications.
pub(super) fn declared_rank(mesh: &Mesh, c: &Column) -> Option<usize> {
    c.classification
        .as_ref()
        .and_then(|n| classify::rank(mesh, n))
}

/// The more sensitive of a column's declared and effective (propagated)
/// classification.
pub(super) fn sensitivity(cx: &Context, c: ColumnRef) -> Option<usize> {
    let declared = declared_rank(cx.mesh, classify::column(cx.mesh, c));
    declared.max(cx.classes.effective(c))
}

/// Whether a column is pii or more sensitive, declared or inherited.
pub(super) fn is_pii(cx: &Context, pii: usize, c: ColumnRef) -> bool {
    sensitivity(cx, c).is_some_and(|r| r >= pii)
}

/// The name of a rank.
pub(super) fn class_name(mesh: &Mesh, rank: usize) -> &str {
    mesh.classifications
        .get(rank)
        .map(String::as_str)
        .unwrap_or("?")
}

/// The file a column is written in.
pub(super) fn column_file(mesh: &Mesh, c: ColumnRef) -> FileId {
    match c {
        ColumnRef::Port { product, .. } => mesh.product(product).file,
        ColumnRef::Table { source, .. } => mesh.source(source).file,
    }
}

/// The node that states a column's classification (its name when it
/// declares none).
pub(super) fn classification_span(mesh: &Mesh, c: ColumnRef) -> Span {
    let col = classify::column(mesh, c);
    let loc = col
        .classification
        .as_ref()
        .map(|n| n.loc)
        .unwrap_or(col.name.loc);
    span_of(column_file(mesh, c), loc.or(col.name.loc))
}

/// Where a column's sensitivity comes from: its own classification, or the
/// column it inherits it from. A label for a related span.
pub(super) fn class_source(cx: &Context, c: ColumnRef) -> (Span, String) {
    let rank = sensitivity(cx, c).unwrap_or(0);
    let own = declared_rank(cx.mesh, classify::column(cx.mesh, c));
    match cx.classes.origin(c) {
        Some(o) if own.is_none_or(|r| r < rank) => (
            classification_span(cx.mesh, o),
            format!(
                "`{}` is classified `{}` here",
                cx.mesh.column_fqn(o),
                class_name(cx.mesh, rank)
            ),
        ),
        _ => (
            classification_span(cx.mesh, c),
            format!("classified `{}` here", class_name(cx.mesh, rank)),
        ),
    }
}

/// Up to three names in backticks, then how many more.
pub(super) fn name_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let mut s = names
        .iter()
        .take(3)
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 3 {
        s.push_str(&format!(" and {} more", names.len() - 3));
    }
    s
}

/// The column a `derivedFrom` entry names (`domain.product.port.column`
/// or `domain.source.table.column`), when it exists.
pub(super) fn column_by_fqn(mesh: &Mesh, fqn: &str) -> Option<ColumnRef> {
    let mut parts = fqn.split('.');
    let (d, owner, part, column) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let owner = format!("{d}.{owner}");
    if let Some(&product) = mesh.product_by_fqn.get(&owner) {
        let (port, def) = mesh.product(product).port(part)?;
        let column = crate::model::port_columns(def)
            .iter()
            .position(|c| c.name.as_str() == column)?;
        return Some(ColumnRef::Port {
            product,
            port,
            column,
        });
    }
    let &source = mesh.source_by_fqn.get(&owner)?;
    let s = mesh.source(source);
    let table = s.spec.tables.iter().position(|t| t.name.as_str() == part)?;
    let column = s.spec.tables[table]
        .columns
        .iter()
        .position(|c| c.name.as_str() == column)?;
    Some(ColumnRef::Table {
        source,
        table,
        column,
    })
}
