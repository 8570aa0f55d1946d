//! Finished runs on disk: `<results>/runs/<key>/run.json` as written by
//! `qmtl train` (the fields the report reads), plus `meta.json`, which the
//! runner adds (who ran it, where, with which revision).

use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Scores of every head (or member) and of their average; PTA adds the score of
/// the head selected on dev (model selection).
#[derive(Clone, Debug, Deserialize)]
pub struct Scores {
    pub heads: Vec<f64>,
    pub avg: f64,
    #[serde(default)]
    pub selected: Option<f64>,
}

impl Scores {
    pub fn mean_heads(&self) -> f64 {
        self.heads.iter().sum::<f64>() / self.heads.len().max(1) as f64
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Epoch {
    pub dev: Scores,
}

#[derive(Clone, Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Norms {
    pub V: Vec<f64>,
    pub W: Vec<f64>,
}

/// Which `qmtl` wrote a record (absent in records of older builds).
#[derive(Clone, Debug, Deserialize)]
pub struct Software {
    pub git_revision: String,
}

/// The parts of `run.json` the report uses.
#[derive(Clone, Debug, Deserialize)]
pub struct Run {
    pub epochs: Vec<Epoch>,
    pub test: Scores,
    pub norms: Norms,
    pub train_seconds: f64,
    #[serde(default)]
    pub software: Option<Software>,
    /// Calibration and selective prediction on the test set (records of
    /// revisions from 141d7a8 on).
    #[serde(default)]
    pub test_confidence: Option<models::Confidence>,
}

impl Run {
    /// The last epoch's dev scores (the model kept is the last epoch's).
    pub fn dev(&self) -> &Scores {
        &self
            .epochs
            .last()
            .expect("a run has at least one epoch")
            .dev
    }

    pub fn seconds_per_epoch(&self) -> f64 {
        self.train_seconds / self.epochs.len().max(1) as f64
    }
}

/// `<results>/runs`: one folder per finished run, named by its key.
pub struct Store {
    pub dir: PathBuf,
    cache: HashMap<String, Option<Run>>,
}

impl Store {
    pub fn new(results: &Path) -> Store {
        Store {
            dir: results.join("runs"),
            cache: HashMap::new(),
        }
    }

    pub fn path(&self, key: &str) -> PathBuf {
        self.dir.join(key)
    }

    /// A run is finished when its `run.json` exists and is a whole record (it
    /// parses, and has epochs and test scores): the folder only gets its final
    /// name by a rename after `qmtl train` succeeded, but files can be damaged
    /// later. A folder whose record is damaged is moved aside to
    /// `runs/.damaged/` (with a warning), so that the run is made again.
    pub fn finished(&self, key: &str) -> bool {
        let file = self.path(key).join("run.json");
        if !file.is_file() {
            return false;
        }
        match Self::read(&file) {
            Ok(_) => true,
            Err(e) => {
                let aside = self.dir.join(".damaged").join(format!(
                    "{key}-{}",
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs())
                ));
                let moved = std::fs::create_dir_all(self.dir.join(".damaged"))
                    .and_then(|()| std::fs::rename(self.path(key), &aside));
                match moved {
                    Ok(()) => eprintln!(
                        "reproduce: {e:#}; moved to {} and planned again",
                        aside.display()
                    ),
                    Err(m) => eprintln!("reproduce: {e:#}; could not move it aside: {m}"),
                }
                false
            }
        }
    }

    /// Reads and checks one record.
    fn read(file: &Path) -> Result<Run> {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let run: Run = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a whole run record", file.display()))?;
        anyhow::ensure!(!run.epochs.is_empty(), "{} has no epochs", file.display());
        anyhow::ensure!(
            !run.test.heads.is_empty() && run.test.avg.is_finite(),
            "{} has no test scores",
            file.display()
        );
        Ok(run)
    }

    /// The runner's `meta.json` of a record (absent for runs made by emitted jobs).
    pub fn meta(&self, key: &str) -> Option<serde_json::Value> {
        let bytes = std::fs::read(self.path(key).join("meta.json")).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Loads (once) the record of `key`; None when it does not exist.
    pub fn load(&mut self, key: &str) -> Result<Option<&Run>> {
        if !self.cache.contains_key(key) {
            let file = self.path(key).join("run.json");
            let run = if file.is_file() {
                Some(Self::read(&file)?)
            } else {
                None
            };
            self.cache.insert(key.to_string(), run);
        }
        Ok(self.cache[key].as_ref())
    }
}
