//! Contract files: a port's `contract:` names an ODCS v3 file, relative to
//! the product's file and inside the mesh folder, whose schema, quality and
//! SLA the port takes (`odcs::model` has the mapping).
//!
//! Runs after the mesh files are parsed. Each contract file is read once,
//! added to the [`SourceDb`] (so diagnostics can show its text) and parsed
//! with its locations marked as its own (`sp::in_file`): the columns it
//! gives a port point into it wherever they are reported. A problem with
//! the path or the file is M008 at the `contract:` value; a problem inside
//! the file is M008 in the file, reported once however many ports use it.
//! A port whose contract cannot be used keeps `columns: None`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::files::{self, Kind, MeshFiles, TreeEntry};
use super::parse::MAX_FILE_BYTES;
use super::syntax::{Document, Port, Spec};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::span_of;
use crate::odcs::model as odcs;
use crate::source::{FileId, SourceDb, SourceFile};

/// Why a `contract:` value names no file meshc reads.
struct PathError {
    message: String,
    help: &'static str,
}

fn path_error(message: String, help: &'static str) -> PathError {
    PathError { message, help }
}

/// A port that names a contract: (index in `docs`, index in its outputs).
type PortRef = (usize, usize);

fn port_mut(docs: &mut [(FileId, Document)], (d, i): PortRef) -> Option<&mut Port> {
    match &mut docs[d].1.spec {
        Spec::DataProduct(p) => p.outputs.get_mut(i).map(|p| &mut p.value),
        _ => None,
    }
}

fn port_ref(docs: &[(FileId, Document)], (d, i): PortRef) -> Option<&Port> {
    match &docs[d].1.spec {
        Spec::DataProduct(p) => p.outputs.get(i).map(|p| &p.value),
        _ => None,
    }
}

/// The file a `contract:` value names, relative to the root (`/`-separated),
/// from the folder of the product file `base`: refused when absolute,
/// outside the root, or hidden.
fn target(base: &str, value: &str) -> Result<String, PathError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(path_error(
            "`contract` is empty".into(),
            "name the ODCS file, relative to this file: `contract: contracts/orders.odcs.yaml`",
        ));
    }
    if value.starts_with('/') || value.starts_with('\\') || Path::new(value).is_absolute() {
        return Err(path_error(
            format!("contract `{value}` is an absolute path"),
            "a contract path is relative to the product's file, and the contract lives inside the mesh folder",
        ));
    }
    let joined = if base.is_empty() {
        value.to_string()
    } else {
        format!("{base}/{value}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for c in joined.split(['/', '\\']) {
        match c {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(path_error(
                        format!("contract `{value}` points outside the mesh folder"),
                        "contract files must live inside the mesh folder (the path is relative to the product's file)",
                    ));
                }
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Err(path_error(
            format!("contract `{value}` names no file"),
            "name the ODCS file, relative to this file: `contract: contracts/orders.odcs.yaml`",
        ));
    }
    if parts.iter().any(|c| c.starts_with('.')) {
        return Err(path_error(
            format!("contract `{value}` names a hidden file or folder"),
            "hidden files and folders are never read; move the contract to a visible folder",
        ));
    }
    Ok(parts.join("/"))
}

/// Reads the contract at `rel` (relative to the root). On disk, the file
/// must be inside the root once symbolic links are followed; from either
/// source, outside hidden and build folders, a regular file, UTF-8 and at
/// most 16 MiB.
fn read(files: &MeshFiles, rel: &str) -> Result<String, PathError> {
    let missing = || {
        path_error(
            format!("contract file {rel} does not exist"),
            "the path is relative to the product's file",
        )
    };
    let in_build = || {
        path_error(
            format!("contract file {rel} is inside the build folder"),
            "a build's output is never read back as input; keep the contract with the product",
        )
    };
    let not_a_file = || {
        path_error(
            format!("contract {rel} is not a file"),
            "name the ODCS file, relative to the product's file",
        )
    };
    let cannot_read = |e: std::io::Error| {
        path_error(
            format!("cannot read contract file {rel}: {e}"),
            "contract files are UTF-8 text of at most 16 MiB",
        )
    };
    let bytes = match &files.kind {
        Kind::Disk { canon_root, skip } => {
            let abs: PathBuf = rel.split('/').fold(files.root.clone(), |p, c| p.join(c));
            let canon = match abs.canonicalize() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(missing()),
                Err(e) => return Err(cannot_read(e)),
            };
            let Ok(inside) = canon.strip_prefix(canon_root) else {
                return Err(path_error(
                    format!("contract file {rel} is a link to a file outside the mesh folder"),
                    "contract files must live inside the mesh folder",
                ));
            };
            if inside
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
            {
                return Err(path_error(
                    format!("contract file {rel} is a link into a hidden folder"),
                    "hidden files and folders are never read; move the contract to a visible folder",
                ));
            }
            if skip.iter().any(|s| canon.starts_with(s)) {
                return Err(in_build());
            }
            if !canon.is_file() {
                return Err(not_a_file());
            }
            std::fs::read(&canon).map_err(cannot_read)?
        }
        Kind::Tree { tree, skip } => match files::tree_entry(tree, rel) {
            TreeEntry::Missing => return Err(missing()),
            _ if files::under_any(skip, rel) => return Err(in_build()),
            TreeEntry::Folder => return Err(not_a_file()),
            TreeEntry::File(b) => b.to_vec(),
        },
    };
    if bytes.len() > MAX_FILE_BYTES {
        return Err(path_error(
            format!(
                "contract file {rel} is {} bytes, above the 16 MiB limit",
                bytes.len()
            ),
            "contract files are UTF-8 text of at most 16 MiB",
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        path_error(
            format!(
                "contract file {rel} is not valid UTF-8 (byte {} is not part of a UTF-8 character)",
                e.utf8_error().valid_up_to()
            ),
            "contract files are UTF-8 text of at most 16 MiB",
        )
    })
}

/// Reads the contract of every port that names one and puts what it takes
/// from it on the port. Returns the findings (M008).
pub(crate) fn attach(
    db: &mut SourceDb,
    docs: &mut [(FileId, Document)],
    source: &MeshFiles,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // Contract path → the ports that name it.
    let mut wanted: BTreeMap<String, Vec<PortRef>> = BTreeMap::new();
    for (d, (file, doc)) in docs.iter().enumerate() {
        let Spec::DataProduct(p) = &doc.spec else {
            continue;
        };
        for (i, port) in p.outputs.iter().enumerate() {
            let Some(c) = &port.contract else { continue };
            if port.columns.is_some() {
                continue; // both: M002 from resolve, and `columns` stay
            }
            let base = match db.path(*file).rfind('/') {
                Some(at) => db.path(*file)[..at].to_string(),
                None => String::new(),
            };
            match target(&base, c) {
                Ok(rel) => wanted.entry(rel).or_default().push((d, i)),
                Err(e) => out.push(
                    Diagnostic::new(Code::M008, e.message)
                        .with_primary(span_of(*file, c.loc), "")
                        .with_help(e.help),
                ),
            }
        }
    }
    if wanted.is_empty() {
        return out;
    }
    // Read each file once; a file the walk already read (a mesh file) is
    // not added again.
    let mut files: Vec<(FileId, Vec<PortRef>)> = Vec::new();
    for (rel, refs) in wanted {
        let existing = db.iter().find(|(_, f)| f.path == rel).map(|(id, _)| id);
        let id = match existing {
            Some(id) => id,
            None => match read(source, &rel) {
                Ok(text) => db.add(SourceFile::new(rel, text)),
                Err(e) => {
                    for r in refs {
                        let file = docs[r.0].0;
                        if let Some(c) = port_ref(docs, r).and_then(|p| p.contract.as_ref()) {
                            out.push(
                                Diagnostic::new(Code::M008, e.message.clone())
                                    .with_primary(span_of(file, c.loc), "")
                                    .with_help(e.help),
                            );
                        }
                    }
                    continue;
                }
            },
        };
        files.push((id, refs));
    }
    // Lineage in a contract may name columns of these (`domain.name`).
    let known: std::collections::BTreeSet<String> = docs
        .iter()
        .filter(|(_, d)| matches!(d.spec, Spec::Source(_) | Spec::DataProduct(_)))
        .filter_map(|(_, d)| {
            let domain = d.metadata.domain.as_ref()?;
            Some(format!("{}.{}", domain.as_str(), d.metadata.name.as_str()))
        })
        .collect();
    let is_known = |owner: &str| known.contains(owner);
    let db_ref: &SourceDb = db;
    let parsed: Vec<Result<odcs::Contract, Box<Diagnostic>>> = files
        .par_iter()
        .map(|(id, _)| odcs::parse(*id, db_ref.get(*id)))
        .collect();
    for ((id, refs), contract) in files.into_iter().zip(parsed) {
        let contract = match contract {
            Ok(c) => c,
            Err(d) => {
                out.push(*d);
                continue;
            }
        };
        for r in refs {
            let product_file = docs[r.0].0;
            let Some(port) = port_ref(docs, r) else {
                continue;
            };
            let (schema, diags) = odcs::map_port(&contract, id, port, product_file, &is_known);
            out.extend(diags);
            if let (Some(schema), Some(port)) = (schema, port_mut(docs, r)) {
                odcs::apply(port, schema, id);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_paths() {
        let ok = |base: &str, v: &str| target(base, v).map_err(|e| e.message);
        assert_eq!(
            ok("domains/sales/products", "contracts/o.odcs.yaml"),
            Ok("domains/sales/products/contracts/o.odcs.yaml".into())
        );
        assert_eq!(
            ok("domains/sales/products", "../../shared/o.odcs.yaml"),
            Ok("domains/shared/o.odcs.yaml".into())
        );
        assert_eq!(ok("", "./o.odcs.yaml"), Ok("o.odcs.yaml".into()));
        assert!(ok("products", "../../o.odcs.yaml").is_err());
        assert!(ok("products", "/etc/o.odcs.yaml").is_err());
        assert!(ok("products", ".hidden/o.odcs.yaml").is_err());
        assert!(ok("products", "  ").is_err());
        assert!(ok("products", "..").is_err());
    }

    /// A link inside the mesh folder to a contract outside it is refused,
    /// and nothing of the outside file is shown.
    #[cfg(unix)]
    #[test]
    fn links_out_of_the_root_are_refused() {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/M008/ok");
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("mesh");
        let products = root.join("products");
        std::fs::create_dir_all(products.join("contracts")).expect("mkdir");
        for f in ["mesh.yaml", "teams.yaml", "domains.yaml"] {
            std::fs::copy(fixture.join(f), root.join(f)).expect("copy");
        }
        for f in ["orders.yaml", "revenue.yaml"] {
            std::fs::copy(fixture.join("products").join(f), products.join(f)).expect("copy");
        }
        let outside = dir.path().join("orders.odcs.yaml");
        std::fs::copy(
            fixture.join("products/contracts/orders.odcs.yaml"),
            &outside,
        )
        .expect("copy");
        std::os::unix::fs::symlink(&outside, products.join("contracts/orders.odcs.yaml"))
            .expect("symlink");
        let as_of = crate::date::Date::parse("2026-11-25").expect("date");
        let checked = crate::check(&root, &[], as_of).expect("check");
        let m008: Vec<&str> = checked
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::M008)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            m008,
            [
                "contract file products/contracts/orders.odcs.yaml is a link to a file outside the mesh folder"
            ]
        );
        assert_eq!(
            checked.db.len(),
            checked.mesh_files,
            "nothing outside is read"
        );
    }
}
