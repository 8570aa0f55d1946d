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

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

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

/// Where a file is written: a regular file (or one not there yet) through a
/// temporary file beside it, renamed over it by [`Destination::commit`]; a
/// device, pipe or socket (`/dev/null`, a FIFO) in place, as a shell
/// redirection would, never replaced by a regular file; so is any path under
/// `/dev` or `/proc` (`/dev/stdout` may be a file the shell opened, written
/// here by appending). A symbolic link is followed, so it stays a link to the
/// new file; a file that is replaced keeps its permissions.
pub enum Destination {
    Whole { tmp: NamedTempFile, path: PathBuf },
    Stream(File),
}

impl Destination {
    pub fn open(path: &Path) -> io::Result<Destination> {
        // `/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`: an open file of this
        // process, maybe a file the shell redirected with `>>`. It is written
        // through, appending, as the shell's descriptor would; replacing the
        // file it resolves to would lose what it held.
        if path.starts_with("/dev") || path.starts_with("/proc") {
            let f = std::fs::OpenOptions::new().append(true).open(path)?;
            if f.metadata()?.is_dir() {
                return Err(is_a_folder());
            }
            return Ok(Destination::Stream(f));
        }
        let target = match std::fs::canonicalize(path) {
            Ok(real) => real,
            // Not there yet; a dangling link (or chain of them) is followed to
            // where it points.
            Err(e) if e.kind() == io::ErrorKind::NotFound => dangling_target(path)?,
            Err(e) => return Err(e),
        };
        match std::fs::metadata(&target) {
            Ok(m) if m.is_dir() => Err(is_a_folder()),
            Ok(m) if !m.is_file() => Ok(Destination::Stream(
                std::fs::OpenOptions::new().write(true).open(&target)?,
            )),
            Ok(m) => {
                let tmp = temp_beside(&target)?;
                tmp.as_file().set_permissions(m.permissions())?;
                Ok(Destination::Whole { tmp, path: target })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Destination::Whole {
                tmp: temp_beside(&target)?,
                path: target,
            }),
            Err(e) => Err(e),
        }
    }

    /// Makes what was written the file: synced and renamed into place (a
    /// stream is flushed). Dropping a `Destination` instead deletes the
    /// temporary file and leaves the old one.
    pub fn commit(self) -> io::Result<()> {
        match self {
            Destination::Whole { tmp, path } => {
                tmp.as_file().sync_all()?;
                tmp.persist(&path).map_err(|e| e.error)?;
                Ok(())
            }
            Destination::Stream(mut f) => f.flush(),
        }
    }
}

fn is_a_folder() -> io::Error {
    io::Error::new(io::ErrorKind::IsADirectory, "is a folder, not a file")
}

/// Where a path that does not exist yet is made: itself, or, for a link to
/// nothing (through any chain of links), the path the last link names.
fn dangling_target(path: &Path) -> io::Result<PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&at) {
            Ok(to) => at = at.parent().unwrap_or(Path::new("")).join(to),
            Err(_) => return Ok(at),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

impl Write for Destination {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Destination::Whole { tmp, .. } => tmp.write(buf),
            Destination::Stream(f) => f.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Destination::Whole { tmp, .. } => tmp.flush(),
            Destination::Stream(f) => f.flush(),
        }
    }
}

/// Reads `path` whole, up to `limit` bytes: a longer file (or an endless
/// device such as `/dev/zero`) is an error (`FileTooLarge`) before more than
/// `limit + 1` bytes are held.
pub fn read_limited(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    File::open(path)?.take(limit + 1).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "larger than {} MiB, the most this file may hold",
                limit >> 20
            ),
        ));
    }
    Ok(out)
}

/// Writes `bytes` to `path` whole ([`Destination`]): a temporary file beside
/// it, synced to disk, then renamed over `path`. The folder must exist.
pub fn write_whole(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut d = Destination::open(path)?;
    d.write_all(bytes)?;
    d.commit()
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

    #[cfg(unix)]
    #[test]
    fn links_are_followed_devices_written_in_place_and_modes_kept() {
        use std::os::unix::fs::{symlink, FileTypeExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let (real, link) = (dir.path().join("real.txt"), dir.path().join("link.txt"));
        std::fs::write(&real, b"old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
        symlink("real.txt", &link).unwrap();
        write_whole(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // A chain of dangling links makes the last one's target.
        let (first, second) = (dir.path().join("l1"), dir.path().join("l2"));
        symlink("l2", &first).unwrap();
        symlink("end.txt", &second).unwrap();
        write_whole(&first, b"e").unwrap();
        assert_eq!(std::fs::read(dir.path().join("end.txt")).unwrap(), b"e");
        assert!(std::fs::symlink_metadata(&second)
            .unwrap()
            .file_type()
            .is_symlink());
        // A dangling link makes its target.
        let (to, dangling) = (dir.path().join("to.txt"), dir.path().join("dangling.txt"));
        symlink("to.txt", &dangling).unwrap();
        write_whole(&dangling, b"x").unwrap();
        assert_eq!(std::fs::read(&to).unwrap(), b"x");
        // A named pipe (like a device) is written in place and stays a pipe.
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        write_whole(&fifo, b"through").unwrap();
        assert_eq!(reader.join().unwrap(), b"through");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        let e = write_whole(dir.path(), b"x").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::IsADirectory);
        assert_eq!(
            names_in(dir.path()),
            [
                "dangling.txt",
                "end.txt",
                "l1",
                "l2",
                "link.txt",
                "pipe",
                "real.txt",
                "to.txt"
            ]
        );
    }

    #[test]
    fn reading_stops_past_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a");
        std::fs::write(&path, [7u8; 100]).unwrap();
        assert_eq!(read_limited(&path, 100).unwrap().len(), 100);
        let e = read_limited(&path, 99).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        // An endless device ends at the limit too.
        #[cfg(unix)]
        assert!(read_limited(Path::new("/dev/zero"), 1 << 20).is_err());
    }

    #[test]
    fn a_missing_folder_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_whole(&dir.path().join("no/such/x"), b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
