//! Getting missing datasets: planning what to download and unpacking archives.
//!
//! The network part (an HTTP GET to a file) lives in the binary; everything else is
//! here and works offline: [`plan`] decides, per source, which files are missing
//! and where they go; [`unpack`] extracts exactly those members from a local
//! `.tgz` or `.zip` (recognised by magic bytes) into a data root, hashing each
//! while it is written. A member whose SHA-256 is known and differs is deleted and
//! reported; members are written to a temporary file (created exclusively, with an
//! unpredictable name, in the destination's folder) and renamed only when complete,
//! so an interrupted run never leaves a half file that looks present and a planted
//! link is never followed. Destination paths come from the manifest, never from
//! names inside the archive, and a wanted member that is a link (symbolic or hard)
//! rather than a regular file is refused: its data would be empty.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

use super::{DataRoots, Dataset, Registry, Source, Split};
use crate::error::{Error, Result};
use crate::read::read_corpus;
use crate::sentence::Format;
use crate::stats::Stats;

/// One file to extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub dataset: String,
    pub split: Split,
    /// Member name inside the archive.
    pub member: String,
    /// Where it goes.
    pub dest: PathBuf,
    pub sha256: Option<String>,
    /// Without a checksum: the statistics the file must have (Table 1 of the
    /// paper, training files only) and its format; a file that differs is not
    /// installed.
    pub table1: Option<(Stats, Format)>,
}

/// The missing files of one source.
#[derive(Debug, Clone)]
pub struct SourcePlan {
    pub source: Source,
    pub files: Vec<Wanted>,
}

/// What fetching a set of datasets involves.
#[derive(Debug, Clone, Default)]
pub struct FetchPlan {
    /// Datasets already complete in some root.
    pub present: Vec<String>,
    /// Sources to download and unpack, with the files wanted from each.
    pub sources: Vec<SourcePlan>,
    /// Missing datasets that cannot be downloaded, with the folder to put them in.
    pub manual: Vec<(String, PathBuf)>,
}

/// Plans fetching `datasets` into the data root `dest`.
pub fn plan(
    registry: &Registry,
    datasets: &[&Dataset],
    roots: &DataRoots,
    dest: &Path,
) -> FetchPlan {
    let mut plan = FetchPlan::default();
    for ds in datasets {
        if ds.locate(roots).is_ok() {
            plan.present.push(ds.name.clone());
            continue;
        }
        let source = registry
            .source(&ds.source)
            .expect("manifest names a known source");
        let (Some(_), Some(prefix)) = (&source.url, &source.archive_prefix) else {
            plan.manual
                .push((ds.name.clone(), dest.join(&source.local_prefix)));
            continue;
        };
        let at = match plan
            .sources
            .iter()
            .position(|s| s.source.name == source.name)
        {
            Some(i) => i,
            None => {
                plan.sources.push(SourcePlan {
                    source: source.clone(),
                    files: Vec::new(),
                });
                plan.sources.len() - 1
            }
        };
        for split in Split::ALL {
            let entry = ds.file(split);
            let rest = entry
                .path
                .strip_prefix(&source.local_prefix)
                .unwrap_or(&entry.path);
            plan.sources[at].files.push(Wanted {
                dataset: ds.name.clone(),
                split,
                member: format!("{prefix}{rest}"),
                dest: dest.join(&entry.path),
                sha256: entry.sha256.clone(),
                table1: match (split, entry.sha256.is_none(), ds.table1) {
                    (Split::Train, true, Some(t)) => Some((t, ds.format)),
                    _ => None,
                },
            });
        }
    }
    plan
}

/// A file written by [`unpack`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpacked {
    pub dest: PathBuf,
    pub sha256: String,
    /// True when the manifest had a checksum and it matched.
    pub verified: bool,
}

/// Extracts the `wanted` members of the archive at `archive` (`.tgz` or `.zip`).
pub fn unpack(archive: &Path, wanted: &[Wanted]) -> Result<Vec<Unpacked>> {
    let mut file = File::open(archive).map_err(|e| Error::io(archive, e))?;
    let mut magic = [0u8; 4];
    let n = file.read(&mut magic).map_err(|e| Error::io(archive, e))?;
    drop(file);
    match &magic[..n] {
        [0x1f, 0x8b, ..] => unpack_tgz(archive, wanted),
        [b'P', b'K', 3, 4] => unpack_zip(archive, wanted),
        _ => Err(Error::Archive {
            path: archive.into(),
            message: "neither a .tgz nor a .zip archive".into(),
        }),
    }
}

fn unpack_tgz(archive: &Path, wanted: &[Wanted]) -> Result<Vec<Unpacked>> {
    let err = |e: std::io::Error| Error::Archive {
        path: archive.into(),
        message: e.to_string(),
    };
    let file = File::open(archive).map_err(|e| Error::io(archive, e))?;
    let mut tar = tar::Archive::new(MultiGzDecoder::new(BufReader::new(file)));
    let mut done = Vec::new();
    for entry in tar.entries().map_err(err)? {
        let mut entry = entry.map_err(err)?;
        let name = entry.path().map_err(err)?.to_string_lossy().into_owned();
        let name = name.strip_prefix("./").unwrap_or(&name);
        if let Some(w) = wanted.iter().find(|w| w.member == name) {
            let kind = entry.header().entry_type();
            if !kind.is_file() {
                let target = entry
                    .link_name()
                    .ok()
                    .flatten()
                    .map(|t| format!(" to `{}`", t.to_string_lossy()))
                    .unwrap_or_default();
                return Err(Error::Archive {
                    path: archive.into(),
                    message: format!(
                        "member `{}` is not a regular file but a {}{target}; refusing to install it",
                        w.member,
                        kind_name(kind)
                    ),
                });
            }
            done.push(write_verified(&mut entry, w, archive)?);
        }
    }
    check_all_found(archive, wanted, &done)?;
    Ok(done)
}

fn kind_name(kind: tar::EntryType) -> &'static str {
    match kind {
        tar::EntryType::Symlink => "symbolic link",
        tar::EntryType::Link => "hard link",
        tar::EntryType::Directory => "directory",
        _ => "special entry",
    }
}

fn unpack_zip(archive: &Path, wanted: &[Wanted]) -> Result<Vec<Unpacked>> {
    let err = |e: zip::result::ZipError| Error::Archive {
        path: archive.into(),
        message: e.to_string(),
    };
    let file = File::open(archive).map_err(|e| Error::io(archive, e))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(err)?;
    let mut done = Vec::new();
    for w in wanted {
        match zip.by_name(&w.member) {
            Ok(mut member) => {
                if member.is_symlink() || member.is_dir() {
                    return Err(Error::Archive {
                        path: archive.into(),
                        message: format!(
                            "member `{}` is not a regular file but a {}; refusing to install it",
                            w.member,
                            if member.is_dir() {
                                "directory"
                            } else {
                                "symbolic link"
                            }
                        ),
                    });
                }
                done.push(write_verified(&mut member, w, archive)?)
            }
            Err(zip::result::ZipError::FileNotFound) => {}
            Err(e) => return Err(err(e)),
        }
    }
    check_all_found(archive, wanted, &done)?;
    Ok(done)
}

fn check_all_found(archive: &Path, wanted: &[Wanted], done: &[Unpacked]) -> Result<()> {
    match wanted
        .iter()
        .find(|w| !done.iter().any(|d| d.dest == w.dest))
    {
        Some(w) => Err(Error::Archive {
            path: archive.into(),
            message: format!(
                "has no member `{}` (needed for {} {})",
                w.member,
                w.dataset,
                w.split.name()
            ),
        }),
        None => Ok(()),
    }
}

/// Copies `reader` to `w.dest` through a temporary file, hashing as it goes.
fn write_verified(reader: &mut impl Read, w: &Wanted, archive: &Path) -> Result<Unpacked> {
    let dir = w.dest.parent().expect("destination has a folder");
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut out = crate::whole_file::temp_beside(&w.dest).map_err(|e| Error::io(dir, e))?;
    let tmp = out.path().to_path_buf();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf).map_err(|e| Error::Archive {
            path: archive.into(),
            message: format!("reading `{}`: {e}", w.member),
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(|e| Error::io(&tmp, e))?;
    }
    out.as_file().sync_all().map_err(|e| Error::io(&tmp, e))?;
    let sha256 = crate::digest::hex(&hasher.finalize());
    if let Some(expected) = &w.sha256 {
        if !expected.eq_ignore_ascii_case(&sha256) {
            // Dropping `out` removes the temporary file.
            return Err(Error::Checksum {
                path: w.dest.clone(),
                expected: expected.clone(),
                actual: sha256,
            });
        }
    }
    if let Some((expected, format)) = w.table1 {
        let found = read_corpus(&tmp, Some(format))
            .ok()
            .map(|c| Stats::of(&c.sentences));
        if found != Some(expected) {
            let found = found.map_or("a file that does not parse".into(), |f| {
                format!("{}/{}/{}", f.sentences, f.word_forms, f.tokens)
            });
            return Err(Error::Archive {
                path: archive.into(),
                message: format!(
                    "`{}` is not the paper's file, so it is not installed: sentences/word forms/tokens {found}, Table 1 of the paper says {}/{}/{}",
                    w.member, expected.sentences, expected.word_forms, expected.tokens
                ),
            });
        }
    }
    out.persist(&w.dest)
        .map_err(|e| Error::io(&w.dest, e.error))?;
    Ok(Unpacked {
        dest: w.dest.clone(),
        verified: w.sha256.is_some(),
        sha256,
    })
}

impl Registry {
    /// The downloadable source a local archive belongs to: by file name, else by kind
    /// (`.zip` or `.tgz`/`.tar.gz`) when only one source has that kind.
    pub fn source_for_archive(&self, archive: &Path) -> Option<&Source> {
        let name = archive.file_name()?.to_string_lossy().to_ascii_lowercase();
        let with_archive = || self.sources.iter().filter(|s| s.archive.is_some());
        if let Some(s) = with_archive().find(|s| s.archive.as_deref() == Some(name.as_str())) {
            return Some(s);
        }
        let kind = |n: &str| {
            if n.ends_with(".zip") {
                "zip"
            } else if n.ends_with(".tgz") || n.ends_with(".tar.gz") {
                "tgz"
            } else {
                ""
            }
        };
        let same: Vec<&Source> = with_archive()
            .filter(|s| {
                kind(s.archive.as_deref().unwrap_or("")) == kind(&name) && !kind(&name).is_empty()
            })
            .collect();
        (same.len() == 1).then(|| same[0])
    }
}
