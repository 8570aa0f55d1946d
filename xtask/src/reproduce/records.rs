//! Finished runs on disk: `<results>/runs/<key>/` holds `run.json` as written
//! by `qmtl train` (`models::RunRecord`), usually `model.qmtl`, and `meta.json`,
//! which the runner adds (who ran it, where, with which revision; see
//! [`Meta`]). A record is checked before it is trusted: it parses, has epochs
//! and test scores, and the model beside it, if any, has the SHA-256 it names.

use anyhow::Result;
use models::record::TestScores;
use models::{RunRecord, Scores};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::meta::Meta;

/// A finished run as the report uses it: a whole record (see [`Run::read`]),
/// its test scores, and its `meta.json` when the runner wrote one. It derefs
/// to the record for everything else (`epochs`, `norms`, `test_confidence`).
#[derive(Clone, Debug)]
pub struct Run {
    record: RunRecord,
    /// `record.test`, which a finished run has.
    pub test: TestScores,
    pub meta: Option<Meta>,
    /// The run went on from a checkpoint ([`Meta::resumed_in`]): its
    /// `meta.json` timed the last part only.
    pub resumed: bool,
}

impl std::ops::Deref for Run {
    type Target = RunRecord;
    fn deref(&self) -> &RunRecord {
        &self.record
    }
}

impl Run {
    /// Reads and checks the run in `dir`: `run.json` parses as a record with
    /// epochs and test scores, `model.qmtl`, when present, has the SHA-256 the
    /// record names (published records keep no model), and `meta.json`, when
    /// present, parses.
    pub fn read(dir: &Path) -> Result<Run> {
        let file = dir.join(RunRecord::FILE);
        let record = RunRecord::read_dir(dir)?;
        anyhow::ensure!(
            !record.epochs.is_empty(),
            "{} has no epochs",
            file.display()
        );
        let test = match &record.test {
            Some(t) if !t.heads.is_empty() && t.avg.is_finite() => t.clone(),
            _ => anyhow::bail!("{} has no test scores", file.display()),
        };
        anyhow::ensure!(
            record.config.train.mode != models::Mode::Pta || test.selected.is_some(),
            "{} is a PTA run without the test score of its selected head",
            file.display()
        );
        // Scores that parse can still be impossible (a hand edit, a foreign
        // writer): a score is a share, and every head has one.
        let k = record.config.train.head_count();
        let share = |x: &f64| (0.0..=1.0).contains(x);
        let scores =
            |s: &models::Scores| s.heads.len() == k && s.heads.iter().all(share) && share(&s.avg);
        anyhow::ensure!(
            record.epochs.iter().all(|e| scores(&e.dev))
                && test.heads.len() == k
                && test
                    .heads
                    .iter()
                    .chain([&test.avg])
                    .chain(&test.selected)
                    .all(share),
            "{} holds scores outside [0, 1] or not one per head (k = {k})",
            file.display()
        );
        let meta = dir.join("meta.json");
        let meta = if meta.is_file() {
            Some(Meta::read(&meta)?)
        } else {
            None
        };
        let resumed = match &meta {
            Some(m) => m.resumed_in(dir),
            None => false,
        };
        Ok(Run {
            record,
            test,
            meta,
            resumed,
        })
    }

    /// The CPU seconds of the whole run (none for a resumed run, or without
    /// a `meta.json`).
    pub fn whole_cpu_seconds(&self) -> Option<f64> {
        if self.resumed {
            None
        } else {
            self.meta.as_ref()?.cpu_seconds
        }
    }

    /// The last epoch's dev scores (the model kept is the last epoch's).
    pub fn dev(&self) -> &Scores {
        self.record
            .last_dev()
            .expect("Run::read checked that there are epochs")
    }

    /// PTA's test score of the head selected on dev (model selection).
    pub fn selected(&self) -> f64 {
        self.test
            .selected
            .expect("Run::read checked that PTA runs have a selected head")
    }

    pub fn seconds_per_epoch(&self) -> f64 {
        self.record.train_seconds / self.record.epochs.len().max(1) as f64
    }
}

/// `<results>/runs`: one folder per finished run, named by its key.
pub struct Store {
    pub dir: PathBuf,
    cache: HashMap<String, Option<Run>>,
    /// Keys [`Store::finished`] has checked (a model is hashed once).
    checked: RefCell<HashSet<String>>,
}

impl Store {
    pub fn new(results: &Path) -> Store {
        Store {
            dir: results.join("runs"),
            cache: HashMap::new(),
            checked: RefCell::new(HashSet::new()),
        }
    }

    pub fn path(&self, key: &str) -> PathBuf {
        self.dir.join(key)
    }

    /// A run is finished when its `run.json` exists and the run is whole
    /// ([`Run::read`]): the folder only gets its final name by a rename after
    /// `qmtl train` succeeded, but files can be damaged later. A damaged run
    /// is moved aside to `runs/.damaged/` (with a warning), so that it is made
    /// again.
    pub fn finished(&self, key: &str) -> bool {
        if self.checked.borrow().contains(key) || self.cache.get(key).is_some_and(Option::is_some) {
            return true;
        }
        let dir = self.path(key);
        if !dir.join(RunRecord::FILE).is_file() {
            return false;
        }
        match Run::read(&dir) {
            Ok(_) => {
                self.checked.borrow_mut().insert(key.to_string());
                true
            }
            Err(e) => {
                let aside = self.dir.join(".damaged").join(format!(
                    "{key}-{}",
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs())
                ));
                let moved = std::fs::create_dir_all(self.dir.join(".damaged"))
                    .and_then(|()| std::fs::rename(&dir, &aside));
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

    /// Loads (once) the run of `key`; None when it has no `run.json`.
    pub fn load(&mut self, key: &str) -> Result<Option<&Run>> {
        if !self.cache.contains_key(key) {
            let dir = self.path(key);
            let run = if dir.join(RunRecord::FILE).is_file() {
                Some(Run::read(&dir)?)
            } else {
                None
            };
            self.cache.insert(key.to_string(), run);
        }
        Ok(self.cache[key].as_ref())
    }
}

#[cfg(test)]
mod tests;
