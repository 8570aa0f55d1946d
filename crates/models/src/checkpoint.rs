//! Checkpoints: the state of a training run after a finished epoch, so that a
//! killed run resumes from there and ends exactly as an uninterrupted one.
//!
//! Nothing else is needed to resume: every random draw of an epoch comes from
//! streams seeded by (seed, epoch) (the shuffle, label noise, word dropout,
//! Gaussian noise, PTA's policies), SGD keeps no state between updates, and a
//! tagger's parameters and PTA's per-head dropout rates are in the model file
//! (`ModelFile::head_dropout`).
//!
//! Layout: the line `QMTL-CHECKPOINT\n`, the header length as 8 bytes
//! little-endian, the header as JSON (format version, the run's fingerprint,
//! the finished epochs' reports), then a whole model file ([`ModelFile`], with
//! its own checksum); since format 2, last, the SHA-256 of every byte before it,
//! so the reports (which end up in `run.json`) are covered too. Format 1 is
//! still read, so a run interrupted under an older build resumes.

use crate::model_file::{write_atomic, ModelFile, ModelFileError};
use crate::train::EpochReport;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

const MAGIC: &[u8] = b"QMTL-CHECKPOINT\n";
const FORMAT_VERSION: u32 = 2;
/// Length of the whole-file SHA-256 that ends a checkpoint of format 2.
const TRAILER: usize = 32;

/// A training run after `reports.len()` finished epochs.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    /// Names the run (configuration and data) the checkpoint belongs to; a
    /// checkpoint is only resumed by a run with the same fingerprint.
    pub fingerprint: String,
    pub reports: Vec<EpochReport>,
    pub model: ModelFile,
}

#[derive(Serialize, Deserialize)]
struct Header {
    format_version: u32,
    fingerprint: String,
    reports: Vec<EpochReport>,
}

impl Checkpoint {
    /// The checkpoint's file name in an unfinished run's folder (removed when
    /// the run ends).
    pub const FILE: &'static str = "checkpoint.qmtl";

    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&Header {
            format_version: FORMAT_VERSION,
            fingerprint: self.fingerprint.clone(),
            reports: self.reports.clone(),
        })
        .expect("header serialises");
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.model.to_bytes());
        let whole = Sha256::digest(&out);
        out.extend_from_slice(&whole);
        out
    }

    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, ModelFileError> {
        let corrupt = |what: String| ModelFileError::Corrupt {
            path: path.to_path_buf(),
            what,
        };
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or_else(|| corrupt("not a qmtl checkpoint".into()))?;
        let len = rest
            .get(..8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
            .ok_or_else(|| corrupt("truncated header".into()))?;
        let header = usize::try_from(len)
            .ok()
            .and_then(|n| rest.get(8..8usize.checked_add(n)?))
            .ok_or_else(|| corrupt("truncated header".into()))?;
        let h: Header =
            serde_json::from_slice(header).map_err(|e| corrupt(format!("header: {e}")))?;
        if !(1..=FORMAT_VERSION).contains(&h.format_version) {
            return Err(corrupt(format!(
                "checkpoint format {}, this build reads 1 to {FORMAT_VERSION}",
                h.format_version
            )));
        }
        let mut model = &rest[8 + header.len()..];
        if h.format_version >= 2 {
            let Some(at) = bytes
                .len()
                .checked_sub(TRAILER)
                .filter(|&at| at >= bytes.len() - model.len())
            else {
                return Err(corrupt("truncated".into()));
            };
            if Sha256::digest(&bytes[..at])[..] != bytes[at..] {
                return Err(corrupt(
                    "the file does not match its checksum (damaged or truncated)".into(),
                ));
            }
            model = &model[..model.len() - TRAILER];
        }
        let model = ModelFile::from_bytes(model, path)?;
        Ok(Checkpoint {
            fingerprint: h.fingerprint,
            reports: h.reports,
            model,
        })
    }

    /// Writes atomically (temporary file, sync, rename).
    pub fn save(&self, path: &Path) -> Result<(), ModelFileError> {
        write_atomic(path, &self.to_bytes())
    }

    /// None when there is no file at `path`.
    pub fn load(path: &Path) -> Result<Option<Self>, ModelFileError> {
        match std::fs::read(path) {
            Ok(bytes) => Self::from_bytes(&bytes, path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(ModelFileError::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }
}
