//! `run.json`, the record of one training run: its configuration and data
//! files, per-epoch dev scores, test scores and confidence, head norms, PTA's
//! choices, the model's SHA-256 and the `qmtl` that made it. [`RunRecord`] is
//! the one type that writes it (`qmtl train`) and reads it (`cargo xtask`).
//!
//! It lives here because every number in it is this crate's (`TrainConfig`,
//! `EpochReport`, `Scores`, `Confidence`, PTA's updates): the record is what
//! training produces, and `qmtl` and `xtask` both sit above this crate.
//!
//! Versions: records without a `schema` field are version 1 (every record
//! before the field existed; the layout did not change when it was added).
//! Fields added since (`software`, `test_confidence`, `model`) are optional, so
//! older version-1 records read. A record of a newer version is refused.
//!
//! Unknown fields are an error, at any depth: a reader that skips what it does
//! not know would let a record of another layout, or a hand-edited one, pass
//! as this one. `#[serde(deny_unknown_fields)]` cannot see through the
//! flattened `TrainConfig` of `config`, so [`RunRecord::from_slice`] checks by
//! writing the parsed record back and naming any field of the input the typed
//! record does not have.

use crate::confidence::Confidence;
use crate::eval::{Metric, Scores};
use crate::pta::{DecoderUpdate, Inference};
use crate::train::{EpochReport, TrainConfig};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The version this build writes and the newest it reads.
pub const SCHEMA: u32 = 1;

fn schema_1() -> u32 {
    1
}

/// A finished run, as `run.json` stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Layout version (absent in the first records: 1).
    #[serde(default = "schema_1")]
    pub schema: u32,
    pub config: RunConfig,
    pub metric: Metric,
    pub epochs: Vec<EpochReport>,
    /// Null when the run had no test file.
    pub test: Option<TestScores>,
    pub norms: Norms,
    /// Training seconds summed over epochs (evaluation excluded).
    pub train_seconds: f64,
    /// Which `qmtl` made the record (absent in records of older builds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<Software>,
    /// Calibration and selective prediction on the test set (revisions from
    /// 141d7a8 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_confidence: Option<Confidence>,
    /// PTA runs only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pta: Option<PtaRecord>,
    /// The model file beside the record (revisions from 4e34f5c on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelRef>,
}

/// What the run is: the training configuration and the files it read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    #[serde(flatten)]
    pub train: TrainConfig,
    pub train_file: DataFile,
    pub dev_file: DataFile,
    pub test_file: Option<DataFile>,
    pub embeddings_file: Option<DataFile>,
    /// The registry name, when the files came from `--dataset`.
    pub dataset: Option<String>,
    /// `--max-sentences` (absent in the first records).
    #[serde(default)]
    pub max_sentences: Option<usize>,
    /// Worker threads (they change no number, only the time).
    pub threads: usize,
}

/// A file the run read, with the SHA-256 of the bytes it parsed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataFile {
    pub path: PathBuf,
    pub sha256: String,
}

/// Test scores of every head (or member) and of the prediction; PTA adds the
/// score of the head selected on dev (model selection).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestScores {
    pub heads: Vec<f64>,
    pub avg: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected: Option<f64>,
}

impl TestScores {
    /// `scores`, and the score of head `selected` when PTA selected one.
    pub fn new(scores: &Scores, selected: Option<usize>) -> Self {
        TestScores {
            heads: scores.heads.clone(),
            avg: scores.avg,
            selected: selected.map(|j| scores.heads[j]),
        }
    }

    /// The mean of the heads' own scores (an ensemble's mean member).
    pub fn mean_heads(&self) -> f64 {
        self.heads.iter().sum::<f64>() / self.heads.len().max(1) as f64
    }
}

/// Frobenius norms of every head's V and W (model-spec section 2; Figure 4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[allow(non_snake_case)]
pub struct Norms {
    pub V: Vec<f64>,
    pub W: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Software {
    /// The crate version of `qmtl`.
    pub version: String,
    pub git_revision: String,
}

/// PTA's choices: the head kept for model selection and every decoder update.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PtaRecord {
    pub selected_head: usize,
    pub inference: Option<Inference>,
    pub updates: Vec<DecoderUpdate>,
}

/// The model file the record belongs to, relative to the record's folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelRef {
    pub file: PathBuf,
    pub sha256: String,
}

/// Why a record could not be read, or does not match its model.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a whole run record: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{path} is not a whole run record: `{field}` is not a field of run.json schema {schema}"
    )]
    Unknown {
        path: PathBuf,
        field: String,
        schema: u32,
    },
    #[error("{path}: run.json schema {found} is newer than this build reads ({SCHEMA})")]
    Newer { path: PathBuf, found: u32 },
    #[error("{path}: its SHA-256 is {actual}, but the record beside it names {named}")]
    ModelMismatch {
        path: PathBuf,
        named: String,
        actual: String,
    },
}

impl RunConfig {
    /// Names the run's configuration and data (not the thread count, which
    /// changes nothing): the SHA-256 of its canonical JSON (keys sorted) and
    /// the metric, as checkpoints written before this type existed name it.
    /// A checkpoint is resumed only by a run with the same fingerprint.
    pub fn fingerprint(&self, metric: Metric) -> String {
        let mut json = serde_json::to_value(self).expect("a RunConfig is plain JSON");
        if let Some(map) = json.as_object_mut() {
            map.remove("threads");
        }
        corpus::sha256_hex(format!("{json}|{}", metric.as_str()).as_bytes())
    }
}

impl RunRecord {
    /// The record's file name in a run's folder.
    pub const FILE: &'static str = "run.json";
    /// The name of the model file beside it.
    pub const MODEL: &'static str = "model.qmtl";

    /// Reads `path` (a `run.json`).
    pub fn read(path: &Path) -> Result<Self, RecordError> {
        let bytes = std::fs::read(path).map_err(|source| RecordError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_slice(&bytes, path)
    }

    /// Parses the bytes of `path`: the whole record, of a schema this build
    /// reads, with no field it does not know.
    pub fn from_slice(bytes: &[u8], path: &Path) -> Result<Self, RecordError> {
        let parse = |source| RecordError::Parse {
            path: path.to_path_buf(),
            source,
        };
        let input: Value = serde_json::from_slice(bytes).map_err(parse)?;
        let record: RunRecord = serde_json::from_value(input.clone()).map_err(parse)?;
        if record.schema > SCHEMA {
            return Err(RecordError::Newer {
                path: path.to_path_buf(),
                found: record.schema,
            });
        }
        let back = serde_json::to_value(&record).map_err(parse)?;
        if let Some(field) = unknown_field(&input, &back, "") {
            return Err(RecordError::Unknown {
                path: path.to_path_buf(),
                field,
                schema: record.schema,
            });
        }
        Ok(record)
    }

    /// The record as `run.json` holds it: pretty JSON with every object's keys
    /// sorted, as `qmtl train` wrote records before this type existed.
    pub fn to_json(&self) -> Vec<u8> {
        let value = serde_json::to_value(self).expect("a record serialises");
        serde_json::to_vec_pretty(&value).expect("a value serialises")
    }

    /// The last epoch's dev scores (the model kept is the last epoch's).
    pub fn last_dev(&self) -> Option<&Scores> {
        self.epochs.last().map(|e| &e.dev)
    }

    /// Reads the record of the run folder `dir` and checks the model beside
    /// it ([`RunRecord::check_model`]).
    pub fn read_dir(dir: &Path) -> Result<Self, RecordError> {
        let record = Self::read(&dir.join(Self::FILE))?;
        record.check_model(dir)?;
        Ok(record)
    }

    /// Checks the model file in `dir` against the SHA-256 the record names.
    /// Nothing to check when the folder holds no model (published records
    /// keep only `run.json`) or the record names none (older records).
    pub fn check_model(&self, dir: &Path) -> Result<(), RecordError> {
        let Some(m) = &self.model else {
            return Ok(());
        };
        let path = dir.join(&m.file);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(RecordError::Io { path, source }),
        };
        let actual = corpus::sha256_hex(&bytes);
        if actual != m.sha256 {
            return Err(RecordError::ModelMismatch {
                path,
                named: m.sha256.clone(),
                actual,
            });
        }
        Ok(())
    }
}

/// The first field (as a dotted path) of `input` that `back`, the typed
/// record written again, lacks. A null input field may be absent from `back`
/// (an `Option` that is skipped when empty).
fn unknown_field(input: &Value, back: &Value, at: &str) -> Option<String> {
    let join = |k: &str| {
        if at.is_empty() {
            k.to_string()
        } else {
            format!("{at}.{k}")
        }
    };
    match (input, back) {
        (Value::Object(a), Value::Object(b)) => a.iter().find_map(|(k, v)| match b.get(k) {
            Some(w) => unknown_field(v, w, &join(k)),
            None if v.is_null() => None,
            None => Some(join(k)),
        }),
        (Value::Array(a), Value::Array(b)) => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (v, w))| unknown_field(v, w, &format!("{at}[{i}]"))),
        _ => None,
    }
}
