//! Contract rules (C2xx): what a consumer declares against the producer's
//! resolved facts.

mod c202_consumes_deprecated;

use crate::check::{Doc, Rule};
use crate::diagnostics::Code;

pub static RULES: &[&dyn Rule] = &[&c202_consumes_deprecated::ConsumesDeprecated];

pub fn doc(code: Code) -> Option<&'static Doc> {
    Some(match code {
        Code::C202 => &c202_consumes_deprecated::DOC,
        _ => return None,
    })
}
