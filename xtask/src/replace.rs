//! Replacing a file whole. Two `reproduce` runs may share one results folder
//! (they split the runs between them, then both write the report), and a task
//! may be killed mid-write: readers and concurrent writers must only ever see
//! the old file or a whole new one.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` through a temporary file of a unique name beside
/// it, renamed over `path` once written.
pub fn replace(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = path
        .file_name()
        .map_or("file".into(), |n| n.to_string_lossy());
    let prefix = format!(".{name}.");
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).suffix(".tmp");
    // The permissions File::create would give (the umask applies), not 0600.
    #[cfg(unix)]
    b.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = b
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_writers_leave_one_whole_file_and_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("report.md");
        std::thread::scope(|s| {
            for i in 0..8u8 {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..50 {
                        replace(path, &vec![b'a' + i; 4096]).unwrap();
                    }
                });
            }
        });
        let text = std::fs::read(&path).unwrap();
        assert_eq!(text.len(), 4096);
        assert!(text.iter().all(|&b| b == text[0]), "a mix of two writes");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["report.md"], "temporaries left behind");
    }

    /// Readable by others as a file `File::create` made (not tempfile's 0600).
    #[cfg(unix)]
    #[test]
    fn the_file_gets_the_usual_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (ours, usual) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
        replace(&ours, b"x").unwrap();
        std::fs::write(&usual, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&ours), mode(&usual));
    }

    #[test]
    fn an_existing_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        replace(&path, b"{}").unwrap();
        replace(&path, b"[]").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"[]");
    }
}
