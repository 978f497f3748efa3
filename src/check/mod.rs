//! Check: the rule catalog (SPEC §4) run over the resolved mesh.
//!
//! One rule is one unit (`rules/<family>/<code>.rs`): a struct implementing
//! [`Rule`] and its documentation [`Doc`]. [`registry`] lists them all;
//! [`config`] applies the Mesh's and each Domain's `governance.rules`
//! (federation) to what the rules report. Rules never read files, the
//! environment or the clock: everything they need is in [`Context`].

pub mod config;
pub mod registry;
pub mod rules;

use rayon::prelude::*;

use crate::classify::Classes;
use crate::date::Date;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Mesh, ProductId};

/// What every rule may read.
pub struct Context<'a> {
    pub mesh: &'a Mesh,
    /// "Today" for sunset and expiry rules.
    pub as_of: Date,
    pub classes: &'a Classes,
}

/// One rule of the catalog.
pub trait Rule: Sync {
    fn code(&self) -> Code;

    /// Findings about one product (most rules).
    fn check_product(&self, _cx: &Context, _product: ProductId, _out: &mut Vec<Diagnostic>) {}

    /// Findings about the mesh as a whole (sources, domains, …).
    fn check_mesh(&self, _cx: &Context, _out: &mut Vec<Diagnostic>) {}
}

/// A rule's documentation: what `meshc explain` prints and the book's rule
/// page shows.
pub struct Doc {
    /// What the rule flags, in a sentence or two.
    pub what: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// A YAML excerpt the rule flags.
    pub bad: &'static str,
    /// The same excerpt, fixed.
    pub good: &'static str,
}

/// Runs every rule; products in parallel. The result is unfiltered: the
/// caller applies the rule settings (`config::apply`).
pub fn run(cx: &Context) -> Vec<Diagnostic> {
    let rules = registry::rules();
    let mut out: Vec<Diagnostic> = cx
        .mesh
        .product_ids()
        .collect::<Vec<_>>()
        .par_iter()
        .flat_map_iter(|&pid| {
            let mut found = Vec::new();
            for r in rules {
                r.check_product(cx, pid, &mut found);
            }
            let domain = &cx.mesh.product(pid).domain_name;
            for d in &mut found {
                if d.domain.is_none() {
                    d.domain = Some(domain.clone());
                }
            }
            found
        })
        .collect();
    for r in rules {
        r.check_mesh(cx, &mut out);
    }
    out
}
