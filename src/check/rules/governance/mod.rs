//! Governance rules (G3xx): the federated, computational policies every
//! product is held to.

mod g301_missing_owner;

use crate::check::{Doc, Rule};
use crate::diagnostics::Code;

pub static RULES: &[&dyn Rule] = &[&g301_missing_owner::MissingOwner];

pub fn doc(code: Code) -> Option<&'static Doc> {
    Some(match code {
        Code::G301 => &g301_missing_owner::DOC,
        _ => return None,
    })
}
