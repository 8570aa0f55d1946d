//! Replacing a file whole. Two `reproduce` runs may share one results folder
//! (they split the runs between them, then both write the report), and a task
//! may be killed mid-write: readers and concurrent writers must only ever see
//! the old file or a whole new one.

use anyhow::{Context, Result};
use std::path::Path;

/// Writes `bytes` to `path` through a temporary file of a unique name beside
/// it, renamed over `path` once written; creates the folder.
pub fn replace(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    corpus::whole_file::write_whole(path, bytes)
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rest (concurrent writers, permissions) is `corpus::whole_file`'s.
    #[test]
    fn the_folder_is_created_and_the_file_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("report.md");
        replace(&path, b"x").unwrap();
        replace(&path, b"y").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"y");
    }
}
