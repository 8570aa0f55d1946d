//! Checking that a dataset file is the one the paper used.
//!
//! A file with a known SHA-256 (every file in `../shared/data`) is verified by its
//! checksum. For the five UD treebanks that could not be brought onto this machine
//! no checksum is known, so the manifest leaves it out rather than invent one; their
//! training file is verified instead by the statistics the paper prints for it
//! (Table 1: sentences, word forms and tokens must all match exactly — the same
//! check that reproduces Table 1 on the five treebanks we have), and their dev and
//! test files are reported as unverified, with the SHA-256 they have, so a user can
//! compare it with another copy.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Dataset, Split};
use crate::error::{Error, Result};
use crate::read::read_corpus;
use crate::stats::Stats;

/// Lower-case hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(crate::digest::hex(&hasher.finalize()))
}

/// The outcome of checking one present file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// SHA-256 equals the manifest's.
    Verified,
    /// SHA-256 differs from the manifest's.
    Mismatch { actual: String },
    /// No checksum known; the statistics equal the paper's Table 1.
    Table1Match,
    /// No checksum known; the statistics differ from Table 1 (or the file does not parse).
    Table1Mismatch {
        found: Option<Stats>,
        expected: Stats,
    },
    /// No checksum and no statistics to compare with.
    Unverified { actual: String },
}

impl Check {
    /// True for the outcomes that show the file is wrong.
    pub fn is_bad(&self) -> bool {
        matches!(self, Check::Mismatch { .. } | Check::Table1Mismatch { .. })
    }

    /// A few words for listings.
    pub fn describe(&self) -> String {
        match self {
            Check::Verified => "sha256 ok".into(),
            Check::Mismatch { .. } => "SHA256 MISMATCH".into(),
            Check::Table1Match => "no sha256 known; Table 1 stats ok".into(),
            Check::Table1Mismatch {
                found: Some(f),
                expected: e,
            } => format!(
                "no sha256 known; STATS DIFFER FROM TABLE 1 ({}/{}/{} vs {}/{}/{})",
                f.sentences, f.word_forms, f.tokens, e.sentences, e.word_forms, e.tokens
            ),
            Check::Table1Mismatch { found: None, .. } => "no sha256 known; DOES NOT PARSE".into(),
            Check::Unverified { .. } => "no sha256 known; unverified".into(),
        }
    }
}

/// One split of a dataset as found (or not) in the data roots.
#[derive(Debug, Clone)]
pub struct FileStatus {
    pub split: Split,
    /// Where the file is, or would be in the first root.
    pub path: Option<PathBuf>,
    /// `None` when the file is missing.
    pub check: Option<Check>,
}

impl Dataset {
    /// Checks the file of `split` at `path` as described in the module docs.
    pub fn check_file(&self, split: Split, path: &Path) -> Result<Check> {
        let actual = sha256_file(path)?;
        let entry = self.file(split);
        if let Some(expected) = &entry.sha256 {
            return Ok(if expected.eq_ignore_ascii_case(&actual) {
                Check::Verified
            } else {
                Check::Mismatch { actual }
            });
        }
        match (split, self.table1) {
            (Split::Train, Some(expected)) => {
                let found = read_corpus(path, Some(self.format))
                    .ok()
                    .map(|c| Stats::of(&c.sentences));
                Ok(if found == Some(expected) {
                    Check::Table1Match
                } else {
                    Check::Table1Mismatch { found, expected }
                })
            }
            _ => Ok(Check::Unverified { actual }),
        }
    }
}

impl Dataset {
    /// Each split's file in the first root that has it, checked.
    pub fn status(&self, roots: &super::DataRoots) -> Result<Vec<FileStatus>> {
        Split::ALL
            .iter()
            .map(|&split| {
                let rel = &self.file(split).path;
                let path = roots.iter().map(|r| r.path.join(rel)).find(|p| p.is_file());
                let check = path
                    .as_deref()
                    .map(|p| self.check_file(split, p))
                    .transpose()?;
                Ok(FileStatus { split, path, check })
            })
            .collect()
    }
}
