//! Contract rules (C2xx): what a consumer declares against the producer's
//! resolved facts, and whether a product's own declarations (types, view
//! queries, lineage) can be built.

mod c201_version_mismatch;
mod c202_consumes_deprecated;
mod c203_consumes_retired;
mod c204_visibility;
mod c205_restricted_unapproved;
mod c206_unknown_type;
mod c207_unmappable_type;
mod c208_lineage_not_input;
pub mod c209_view_query;

use crate::check::{Doc, Rule};
use crate::diagnostics::Code;
use crate::load::Sp;
use crate::model::span_of;
use crate::source::{FileId, Span};

pub static RULES: &[&dyn Rule] = &[
    &c201_version_mismatch::VersionMismatch,
    &c202_consumes_deprecated::ConsumesDeprecated,
    &c203_consumes_retired::ConsumesRetired,
    &c204_visibility::VisibilityRule,
    &c205_restricted_unapproved::RestrictedUnapproved,
    &c206_unknown_type::UnknownType,
    &c207_unmappable_type::UnmappableType,
    &c208_lineage_not_input::LineageNotInput,
    &c209_view_query::ViewQuery,
];

pub fn doc(code: Code) -> Option<&'static Doc> {
    Some(match code {
        Code::C201 => &c201_version_mismatch::DOC,
        Code::C202 => &c202_consumes_deprecated::DOC,
        Code::C203 => &c203_consumes_retired::DOC,
        Code::C204 => &c204_visibility::DOC,
        Code::C205 => &c205_restricted_unapproved::DOC,
        Code::C206 => &c206_unknown_type::DOC,
        Code::C207 => &c207_unmappable_type::DOC,
        Code::C208 => &c208_lineage_not_input::DOC,
        Code::C209 => &c209_view_query::DOC,
        _ => return None,
    })
}

/// The span of `len` bytes at `offset` inside a string value. Rules do not
/// see the file's text, so the value's place in the file is inferred from
/// its node: a plain scalar is exactly its text, a quoted one without
/// escapes is its text between the quotes. Anything else (a block scalar,
/// escapes, folded lines) gets the whole value.
pub(crate) fn inner_span(file: FileId, value: &Sp<String>, offset: usize, len: usize) -> Span {
    let whole = span_of(file, value.loc);
    let text_len = value.len();
    let node_len = value.loc.len as usize;
    let start = if node_len == text_len {
        value.loc.start as usize
    } else if node_len == text_len + 2 {
        value.loc.start as usize + 1
    } else {
        return whole;
    };
    if !value.loc.is_known() || text_len == 0 {
        return whole;
    }
    // At the end of the text, point at its last character.
    let mut from = offset.min(text_len - 1);
    while !value.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = (from + len.max(1)).min(text_len);
    while !value.is_char_boundary(to) {
        to += 1;
    }
    // `whole.file`: the value may have been read from a contract file.
    Span::new(whole.file, start + from, start + to)
}

/// The product inputs of `p` that resolved, with their producer and the
/// location of the input's `product:` value (where consumer-side findings
/// point).
pub(crate) fn product_inputs<'m>(
    p: &'m crate::model::Product,
) -> impl Iterator<
    Item = (
        &'m crate::model::ResolvedInput,
        crate::model::ProductId,
        crate::load::Loc,
    ),
> + 'm {
    p.inputs.iter().filter_map(move |input| {
        let crate::model::InputTarget::Port { product, .. } = input.target else {
            return None;
        };
        let decl = &p.spec.inputs[input.index];
        let loc = decl.target_loc();
        Some((input, product, loc))
    })
}
