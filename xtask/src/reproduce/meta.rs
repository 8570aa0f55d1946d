//! `meta.json`, which the runner writes beside each record it makes: what the
//! run's key is the hash of, its label and command line, where and when it ran,
//! the CPU time it took, the revision of the `qmtl` that made it and the
//! kernels (instruction set) it computed with. [`Meta`]
//! is the one type that writes and reads it. Only the xtask does either (runs
//! made by emitted jobs have none), so it lives here, unlike `run.json`'s
//! `models::RunRecord`, which `qmtl` writes.
//!
//! Versions: files without a `schema` field are version 1, the layout the
//! field was added to; version 2 added `isa`, version 3 `resumed`. Unknown
//! fields, and files of a newer version, are errors.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

use super::spec::Key;

/// The layout this build writes and the newest it reads.
pub const SCHEMA: u32 = 3;

/// The line the runner writes into a run's `train.log` each time it resumes
/// the run from a checkpoint.
pub const RESUME_MARK: &str = "reproduce: resuming an interrupted run";

fn schema_1() -> u32 {
    1
}

/// Who made a record, where, when, and at what cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Layout version (absent in the first files: 1).
    #[serde(default = "schema_1")]
    pub schema: u32,
    pub key: Key,
    /// `ta Q-MTL(10) e20 s1`.
    pub label: String,
    /// The `qmtl` arguments (without `--out`).
    pub command: Vec<String>,
    pub host: String,
    /// UTC, `YYYY-MM-DD HH:MM:SS UTC`.
    pub started: String,
    pub wall_seconds: f64,
    /// CPU seconds of the `qmtl train` child (null where not measured).
    pub cpu_seconds: Option<f64>,
    /// The revision `run.json` names ("unknown" for records of older builds).
    pub git_revision: String,
    pub cpu: String,
    /// The kernels the run computed with, as `QMTL_ISA` names them (`avx512`,
    /// `avx2`, `fallback`). Float rounding depends on them: a record is made
    /// again to the last digit only by the same revision's numerics *and* the
    /// same kernels. Absent before schema 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isa: Option<String>,
    /// The run went on from the checkpoint of an interrupted run, whose time
    /// was lost with its process: `wall_seconds` and `cpu_seconds` cover the
    /// last part only. Absent (false) before schema 3, and when not resumed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resumed: bool,
}

impl Meta {
    pub fn read(path: &Path) -> Result<Meta> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let meta: Meta = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a whole meta.json", path.display()))?;
        anyhow::ensure!(
            meta.schema <= SCHEMA,
            "{}: meta.json schema {} is newer than this build reads ({SCHEMA})",
            path.display(),
            meta.schema
        );
        Ok(meta)
    }

    /// Whether the run of the record in `dir` went on from a checkpoint:
    /// `resumed`, or, for runners before schema 3, which did not note it
    /// here, [`RESUME_MARK`] in the record's `train.log`.
    pub fn resumed_in(&self, dir: &Path) -> bool {
        self.resumed || (self.schema < 3 && log_marks_a_resume(&dir.join("train.log")))
    }

    /// Pretty JSON with every object's keys sorted, as the runner always wrote it.
    pub fn to_json(&self) -> Vec<u8> {
        let value = serde_json::to_value(self).expect("meta serialises");
        serde_json::to_vec_pretty(&value).expect("a value serialises")
    }
}

/// Whether the `train.log` at `path` has [`RESUME_MARK`] (also after the
/// unfinished last line of a killed run). A log that is absent or cannot be
/// read counts as no: it is only a hint, and a finished record is not thrown
/// away for it.
fn log_marks_a_resume(path: &Path) -> bool {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return false,
        Err(e) => {
            eprintln!(
                "reproduce: warning: reading {}: {e}; taking the run as not resumed",
                path.display()
            );
            return false;
        }
    };
    let mark = RESUME_MARK.as_bytes();
    bytes.windows(mark.len()).any(|w| w == mark)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A schema-2 meta.json as the runner of 0ab4330 wrote it (trimmed key).
    fn schema_2(dir: &Path) -> Meta {
        let key: Key = serde_json::from_value(serde_json::json!({
            "schema": 1,
            "spec": {"dataset": "ta", "mode": "stl", "heads": 1, "epochs": 2, "seed": 1,
                     "label_noise": 0.0, "train_fraction": 1.0, "mlp": 20,
                     "metric": "accuracy", "max_sentences": null},
            "fixed": {},
            "data": {"train": "t", "dev": "d", "test": "e"}
        }))
        .unwrap();
        let meta = Meta {
            schema: 2,
            key,
            label: "ta STL e2 s1".into(),
            command: vec!["train".into()],
            host: "vm".into(),
            started: "2026-11-29 09:28:56 UTC".into(),
            wall_seconds: 12.0,
            cpu_seconds: Some(11.5),
            git_revision: "0ab4330".into(),
            cpu: "Xeon".into(),
            isa: Some("avx512".into()),
            resumed: false,
        };
        std::fs::write(dir.join("meta.json"), meta.to_json()).unwrap();
        Meta::read(&dir.join("meta.json")).unwrap()
    }

    #[test]
    fn an_older_runner_s_resume_is_read_from_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let meta = schema_2(dir.path());
        assert!(!meta.resumed_in(dir.path()), "no train.log");
        let log = dir.path().join("train.log");
        std::fs::write(&log, "epoch 1\n").unwrap();
        assert!(!meta.resumed_in(dir.path()));
        std::fs::write(
            &log,
            // After the unfinished last line of the killed run.
            format!("epoch 1\nepo{RESUME_MARK} (2026-11-29 09:28:56 UTC)\n"),
        )
        .unwrap();
        assert!(meta.resumed_in(dir.path()));
        // A schema-3 runner notes it in meta.json; its log is not read.
        let newer = Meta {
            schema: 3,
            ..meta.clone()
        };
        assert!(!newer.resumed_in(dir.path()));
        let noted = Meta {
            resumed: true,
            ..newer
        };
        assert!(noted.resumed_in(dir.path()));
        // A log that cannot be read is no evidence (and no error).
        std::fs::remove_file(&log).unwrap();
        std::fs::create_dir(&log).unwrap();
        assert!(!meta.resumed_in(dir.path()));
    }
}
