//! Model files: a versioned, self-describing header followed by a bincode body.
//!
//! Layout: the line `QMTL-MODEL\n`, the header length as 8 bytes little-endian,
//! the header as JSON (format version, training configuration, vocabularies,
//! body length and SHA-256), then the body: the members' parameters, bincode;
//! since format 2, last, the SHA-256 of every byte before it (32 bytes). The
//! header can be read by anything that reads JSON; the checksums turn a
//! truncated or damaged file into a clear error instead of a wrong model. The
//! whole-file checksum of format 2 covers the header too: the vocabularies and
//! tag names decide every output as much as the parameters do. Format 1 files
//! (body checksum only) are still read.
//!
//! Files are written to a temporary file created exclusively (`O_EXCL`, an
//! unpredictable name) in the target's folder, synced, then renamed over the
//! target: a crash never leaves half a model under the real name, and a link
//! planted under a guessable temporary name is never followed.

use crate::tagger::Tagger;
use crate::train::TrainConfig;
use corpus::Vocab;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"QMTL-MODEL\n";
/// The format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 2;
/// Length of the whole-file SHA-256 that ends a file of format 2 or later.
const TRAILER: usize = 32;

/// Everything a model file holds.
#[derive(Clone, Debug)]
pub struct ModelFile {
    pub config: TrainConfig,
    pub vocab: Vocab,
    /// One tagger (STL, Q-MTL) or the k members of an ensemble.
    pub members: Vec<Tagger>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    format_version: u32,
    config: TrainConfig,
    vocab: Vocab,
    members: usize,
    body_bytes: u64,
    body_sha256: String,
}

/// Why a model file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a qmtl model file")]
    NotAModel { path: PathBuf },
    #[error("{path}: written by a newer qmtl (model format {found}; this build reads up to {FORMAT_VERSION})")]
    NewerVersion { path: PathBuf, found: u32 },
    #[error("{path}: truncated (expected {expected} bytes, found {found})")]
    Truncated {
        path: PathBuf,
        expected: u64,
        found: u64,
    },
    #[error("{path}: corrupt model file: {what}")]
    Corrupt { path: PathBuf, what: String },
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex SHA-256 of `bytes` (as `run.json` names a model file).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

impl ModelFile {
    /// Serialises to bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = bincode::serialize(&self.members).expect("taggers serialise");
        let header = Header {
            format_version: FORMAT_VERSION,
            config: self.config.clone(),
            vocab: self.vocab.clone(),
            members: self.members.len(),
            body_bytes: body.len() as u64,
            body_sha256: hex(&Sha256::digest(&body)),
        };
        let header = serde_json::to_vec(&header).expect("header serialises");
        let mut out = Vec::with_capacity(MAGIC.len() + 8 + header.len() + body.len() + TRAILER);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&body);
        let whole = Sha256::digest(&out);
        out.extend_from_slice(&whole);
        out
    }

    /// Parses bytes read from `path` (named in errors).
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, ModelFileError> {
        let path = path.to_path_buf();
        if !bytes.starts_with(MAGIC) {
            return Err(ModelFileError::NotAModel { path });
        }
        let rest = &bytes[MAGIC.len()..];
        let truncated = |expected: u64| ModelFileError::Truncated {
            path: path.clone(),
            expected,
            found: bytes.len() as u64,
        };
        let Some(len) = rest.get(..8) else {
            return Err(truncated(MAGIC.len() as u64 + 8));
        };
        let hlen = u64::from_le_bytes(len.try_into().expect("8 bytes"));
        let head_end = (MAGIC.len() as u64 + 8).saturating_add(hlen);
        let header_bytes = rest
            .get(8..8usize.saturating_add(hlen as usize))
            .ok_or_else(|| truncated(head_end))?;
        // Read the version alone first, so a newer file is reported as such
        // even when the rest of its header no longer parses here.
        #[derive(Deserialize)]
        struct Version {
            format_version: u32,
        }
        let corrupt = |what: String| ModelFileError::Corrupt {
            path: path.clone(),
            what,
        };
        let v: Version =
            serde_json::from_slice(header_bytes).map_err(|e| corrupt(format!("header: {e}")))?;
        if v.format_version > FORMAT_VERSION {
            return Err(ModelFileError::NewerVersion {
                path,
                found: v.format_version,
            });
        }
        let header: Header =
            serde_json::from_slice(header_bytes).map_err(|e| corrupt(format!("header: {e}")))?;
        // Format 1 ends with the body; format 2 adds the whole-file checksum.
        let trailer = if header.format_version >= 2 {
            TRAILER
        } else {
            0
        };
        let after_header = &rest[8 + hlen as usize..];
        let expected = (head_end + header.body_bytes).saturating_add(trailer as u64);
        let wanted = header.body_bytes.saturating_add(trailer as u64);
        if (after_header.len() as u64) < wanted {
            return Err(truncated(expected));
        }
        if after_header.len() as u64 > wanted {
            return Err(corrupt(format!(
                "{} bytes after the end of the model",
                after_header.len() as u64 - wanted
            )));
        }
        let (body, sum) = after_header.split_at(after_header.len() - trailer);
        if trailer > 0 && Sha256::digest(&bytes[..bytes.len() - trailer])[..] != sum[..] {
            return Err(corrupt(
                "the file does not match its checksum (header or parameters damaged)".into(),
            ));
        }
        if hex(&Sha256::digest(body)) != header.body_sha256 {
            return Err(corrupt("the parameters do not match their checksum".into()));
        }
        let members: Vec<Tagger> =
            bincode::deserialize(body).map_err(|e| corrupt(format!("body: {e}")))?;
        if members.len() != header.members || members.is_empty() {
            return Err(corrupt(format!(
                "{} members, the header says {}",
                members.len(),
                header.members
            )));
        }
        Ok(ModelFile {
            config: header.config,
            vocab: header.vocab,
            members,
        })
    }

    /// Writes atomically: a temporary file beside `path`, synced, then renamed.
    pub fn save(&self, path: &Path) -> Result<(), ModelFileError> {
        write_atomic(path, &self.to_bytes())
    }

    pub fn load(path: &Path) -> Result<Self, ModelFileError> {
        let bytes = std::fs::read(path).map_err(|source| ModelFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename.
///
/// The temporary file is created exclusively, with a random name, in `path`'s
/// folder (so the rename stays on one file system and cannot be redirected by
/// a planted link); it is removed if anything fails before the rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ModelFileError> {
    let io = |source| ModelFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}
