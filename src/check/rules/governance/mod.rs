//! Governance rules (G3xx): the federated, computational policies every
//! product is held to.

mod g301_missing_owner;
mod g302_missing_description;
mod g303_pii_unclassified;
mod g304_pii_exposed;
mod g305_pii_without_purpose;
mod g306_classification_downgrade;
mod g307_missing_sla;
mod g308_pii_without_retention;
mod g309_deprecation;
mod g310_expired_access;
mod g311_naming;
mod g312_unused_product;
mod util;

use crate::check::{Doc, Rule};
use crate::diagnostics::Code;

pub static RULES: &[&dyn Rule] = &[
    &g301_missing_owner::MissingOwner,
    &g302_missing_description::MissingDescription,
    &g303_pii_unclassified::PiiUnclassified,
    &g304_pii_exposed::PiiExposed,
    &g305_pii_without_purpose::PiiWithoutPurpose,
    &g306_classification_downgrade::ClassificationDowngrade,
    &g307_missing_sla::MissingSla,
    &g308_pii_without_retention::PiiWithoutRetention,
    &g309_deprecation::Deprecation,
    &g310_expired_access::ExpiredAccess,
    &g311_naming::Naming,
    &g312_unused_product::UnusedProduct,
];

pub fn doc(code: Code) -> Option<&'static Doc> {
    Some(match code {
        Code::G301 => &g301_missing_owner::DOC,
        Code::G302 => &g302_missing_description::DOC,
        Code::G303 => &g303_pii_unclassified::DOC,
        Code::G304 => &g304_pii_exposed::DOC,
        Code::G305 => &g305_pii_without_purpose::DOC,
        Code::G306 => &g306_classification_downgrade::DOC,
        Code::G307 => &g307_missing_sla::DOC,
        Code::G308 => &g308_pii_without_retention::DOC,
        Code::G309 => &g309_deprecation::DOC,
        Code::G310 => &g310_expired_access::DOC,
        Code::G311 => &g311_naming::DOC,
        Code::G312 => &g312_unused_product::DOC,
        _ => return None,
    })
}
