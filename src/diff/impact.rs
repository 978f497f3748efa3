//! Who a change hits: the products at head that declare an input on the
//! changed product or port (read from their YAML as written, so an input
//! on something that no longer exists still counts), with column-level
//! precision, and everything downstream of them.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use super::{Impact, Owner};
use crate::load::Sp;
use crate::model::{Mesh, ProductId, span_of};

/// One input of a product on another product, as written.
#[derive(Debug, Clone, Copy)]
pub(super) struct Use<'a> {
    pub consumer: ProductId,
    /// Index into the consumer's `spec.inputs`.
    pub input: usize,
    /// The port it names; `None`: the producer's only port.
    pub port: Option<&'a str>,
    /// The columns it lists; `None`: every column.
    pub columns: Option<&'a [Sp<String>]>,
}

/// Every product input of one mesh, by the producer's FQN.
pub(super) struct Consumers<'a> {
    by_producer: HashMap<&'a str, Vec<Use<'a>>>,
}

impl<'a> Consumers<'a> {
    pub fn build(mesh: &'a Mesh) -> Self {
        let mut by_producer: HashMap<&'a str, Vec<Use<'a>>> = HashMap::new();
        for pid in mesh.product_ids() {
            for (index, input) in mesh.product(pid).spec.inputs.iter().enumerate() {
                let Some(producer) = &input.product else {
                    continue;
                };
                by_producer.entry(producer.as_str()).or_default().push(Use {
                    consumer: pid,
                    input: index,
                    port: input.port.as_ref().map(|p| p.as_str()),
                    columns: input.columns.as_deref(),
                });
            }
        }
        Consumers { by_producer }
    }

    fn uses(&self, product: &str) -> &[Use<'a>] {
        self.by_producer
            .get(product)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Inputs on any port of `product`, with how they read it.
    pub fn of_product(&self, product: &str) -> Vec<(Use<'a>, String)> {
        self.uses(product)
            .iter()
            .map(|u| {
                let via = match u.port {
                    Some(p) => format!("reads `{product}.{p}`"),
                    None => format!("reads `{product}`"),
                };
                (*u, via)
            })
            .collect()
    }

    /// Inputs on `port` of `product`; `only`: the product has (or had) just
    /// this port, so an input that names none reads it.
    pub fn of_port(&self, product: &str, port: &str, only: bool) -> Vec<Use<'a>> {
        self.uses(product)
            .iter()
            .filter(|u| match u.port {
                Some(p) => p == port,
                None => only,
            })
            .copied()
            .collect()
    }

    /// The impact of a change that `direct` inputs read (each with how it
    /// reads the changed node): their products, then every product
    /// downstream of them (breadth first, each once), with owners.
    pub fn impact(&self, mesh: &Mesh, direct: Vec<(Use<'a>, String)>) -> Vec<Impact> {
        let mut first: BTreeMap<&str, (Use<'a>, String)> = BTreeMap::new();
        for (u, via) in direct {
            first
                .entry(mesh.product(u.consumer).fqn.as_str())
                .or_insert((u, via));
        }
        let mut seen: BTreeSet<ProductId> = first.values().map(|(u, _)| u.consumer).collect();
        let mut out: Vec<Impact> = first
            .values()
            .map(|(u, via)| {
                let p = mesh.product(u.consumer);
                let span = p
                    .spec
                    .inputs
                    .get(u.input)
                    .map(|i| span_of(p.file, i.target_loc()));
                Impact {
                    product: p.fqn.clone(),
                    direct: true,
                    via: via.clone(),
                    owner: owner(mesh, u.consumer),
                    span,
                }
            })
            .collect();
        let mut queue: VecDeque<ProductId> = first.values().map(|(u, _)| u.consumer).collect();
        let mut downstream: Vec<Impact> = Vec::new();
        while let Some(pid) = queue.pop_front() {
            let from = &mesh.product(pid).fqn;
            for u in self.uses(from) {
                if seen.insert(u.consumer) {
                    queue.push_back(u.consumer);
                    downstream.push(Impact {
                        product: mesh.product(u.consumer).fqn.clone(),
                        direct: false,
                        via: format!("downstream of `{from}`"),
                        owner: owner(mesh, u.consumer),
                        span: None,
                    });
                }
            }
        }
        downstream.sort_by(|a, b| a.product.cmp(&b.product));
        out.extend(downstream);
        out
    }
}

fn owner(mesh: &Mesh, pid: ProductId) -> Option<Owner> {
    let p = mesh.product(pid);
    match p.owner {
        Some(t) => {
            let team = mesh.team(t);
            let contact = team.spec.contact.as_ref();
            Some(Owner {
                team: team.name.clone(),
                email: contact
                    .and_then(|c| c.email.as_ref())
                    .map(|e| e.as_str().to_string()),
                chat: contact
                    .and_then(|c| c.chat.as_ref())
                    .map(|e| e.as_str().to_string()),
            })
        }
        None => p.metadata.owner.as_ref().map(|o| Owner {
            team: o.as_str().to_string(),
            email: None,
            chat: None,
        }),
    }
}
