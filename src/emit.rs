//! Emit: the build folder. Every artifact is rendered in memory first, then
//! written to a temporary folder next to OUT and swapped into place, so a
//! failed build leaves the previous one untouched and meshc never writes
//! outside OUT (and that one sibling temporary folder).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::graph::{self, MeshGraph, View};
use crate::{Checked, manifest};

/// A file name in OUT marking it as a meshc build folder; meshc refuses to
/// replace an existing folder without it.
pub const MARKER: &str = ".meshc-build";

/// Relative path → contents.
pub type Artifacts = BTreeMap<String, Vec<u8>>;

/// Renders every artifact of a build.
pub fn render(checked: &Checked) -> Artifacts {
    let mut out = Artifacts::new();
    let m = manifest::build(&checked.mesh, &checked.db, &checked.diagnostics);
    let mut json = serde_json::to_string_pretty(&m).unwrap_or_default();
    json.push('\n');
    out.insert("manifest.json".into(), json.into_bytes());

    let g = MeshGraph::build(&checked.mesh);
    let view = View {
        columns: true,
        ..View::default()
    };
    let gj = graph::to_json(&checked.mesh, &g, &view);
    let mut json = serde_json::to_string_pretty(&gj).unwrap_or_default();
    json.push('\n');
    out.insert("lineage/graph.json".into(), json.into_bytes());
    out.insert("lineage/graph.dot".into(), graph::to_dot(&gj).into_bytes());
    out.insert(
        "lineage/graph.mmd".into(),
        graph::to_mermaid(&gj).into_bytes(),
    );
    out.insert(
        MARKER.into(),
        b"This folder is written by meshc build and replaced whole on every build.\n".to_vec(),
    );
    out
}

/// Writes `artifacts` to `out` atomically (see module docs).
pub fn write(out: &Path, artifacts: &Artifacts) -> std::io::Result<()> {
    if out.exists() && !out.join(MARKER).exists() {
        let empty = out.read_dir()?.next().is_none();
        if !empty {
            return Err(std::io::Error::other(format!(
                "{} exists and is not a meshc build folder (no {MARKER}); refusing to replace it",
                out.display()
            )));
        }
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&parent)?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "build".into());
    let tmp = parent.join(format!(".{name}.meshc-tmp-{}", std::process::id()));
    let old = parent.join(format!(".{name}.meshc-old-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    let result = (|| {
        for (rel, bytes) in artifacts {
            let path = tmp.join(rel);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, bytes)?;
        }
        if out.exists() {
            std::fs::rename(out, &old)?;
        }
        if let Err(e) = std::fs::rename(&tmp, out) {
            // Put the previous build back.
            if old.exists() {
                let _ = std::fs::rename(&old, out);
            }
            return Err(e);
        }
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(())
    })();
    if result.is_err() && tmp.exists() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}
