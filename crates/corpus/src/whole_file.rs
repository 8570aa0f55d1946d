//! Writing a file whole: through a temporary file beside it, renamed over it once
//! everything is written. A reader, a concurrent writer or a killed process only
//! ever sees the old file or the complete new one.
//!
//! The temporary file is created exclusively (`O_EXCL`) under a unique, random
//! name in the destination's folder, so the rename stays on one file system and a
//! link planted under a guessable name is never followed. Dropping it before
//! [`NamedTempFile::persist`] deletes it. Every crate that writes a file others
//! read (data files, model files, run records, the report, tagged text) goes
//! through here.

use std::io::{self, Write};
use std::path::Path;

use tempfile::NamedTempFile;

/// A new, empty temporary file beside `path` (`.NAME.XXXXXX.tmp`), with the
/// permissions `File::create` would give (the umask applies), not 0600: the
/// file it becomes is readable as any other. Write it, then `persist(path)`.
pub fn temp_beside(path: &Path) -> io::Result<NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let prefix = format!(".{name}.");
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    b.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    b.tempfile_in(dir)
}

/// Writes `bytes` to `path` whole: a temporary file beside it, synced to disk,
/// then renamed over `path`. The folder must exist.
pub fn write_whole(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = temp_beside(path)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn concurrent_writers_leave_one_whole_file_and_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        std::thread::scope(|s| {
            for i in 0..8u8 {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..50 {
                        write_whole(path, &vec![b'a' + i; 4096]).unwrap();
                    }
                });
            }
        });
        let text = std::fs::read(&path).unwrap();
        assert_eq!(text.len(), 4096);
        assert!(text.iter().all(|&b| b == text[0]), "a mix of two writes");
        assert_eq!(
            names_in(dir.path()),
            ["report.md"],
            "temporaries left behind"
        );
    }

    /// Readable by others as a file `File::create` made (not tempfile's 0600).
    #[cfg(unix)]
    #[test]
    fn the_file_gets_the_usual_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (ours, usual) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
        write_whole(&ours, b"x").unwrap();
        std::fs::write(&usual, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&ours), mode(&usual));
    }

    #[test]
    fn an_existing_file_is_replaced_and_a_dropped_temporary_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        write_whole(&path, b"{}").unwrap();
        write_whole(&path, b"[]").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"[]");
        let mut tmp = temp_beside(&path).unwrap();
        tmp.write_all(b"half").unwrap();
        let name = tmp
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            name.starts_with(".x.json.") && name.ends_with(".tmp"),
            "{name}"
        );
        drop(tmp);
        assert_eq!(names_in(dir.path()), ["x.json"]);
        assert_eq!(std::fs::read(&path).unwrap(), b"[]");
    }

    #[test]
    fn a_missing_folder_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_whole(&dir.path().join("no/such/x"), b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
