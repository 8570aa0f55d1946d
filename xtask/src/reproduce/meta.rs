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

    /// The CPU seconds of the whole run: none for a resumed run.
    pub fn whole_cpu_seconds(&self) -> Option<f64> {
        if self.resumed {
            None
        } else {
            self.cpu_seconds
        }
    }

    /// Pretty JSON with every object's keys sorted, as the runner always wrote it.
    pub fn to_json(&self) -> Vec<u8> {
        let value = serde_json::to_value(self).expect("meta serialises");
        serde_json::to_vec_pretty(&value).expect("a value serialises")
    }
}
