//! `--verify N`: retrains the N cheapest finished runs of the plan with the
//! `qmtl` at hand and compares their test scores with the recorded ones. They
//! are equal to the last digit while the engine's numerics are unchanged since
//! the records were made; otherwise the difference is reported. The outcome is
//! kept in `<results>/verify.json` ([`Verification`], the one type that writes
//! and reads it), and the report states it.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use super::plan::Job;
use super::records::{Run, Store};

/// File name of the outcome, in the results folder.
pub const FILE: &str = "verify.json";

/// One retrained run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Checked {
    pub key: String,
    pub run: String,
    /// Revision of the qmtl that made the record ("unknown" for old records).
    pub recorded_revision: String,
    pub recorded_test: f64,
    pub retrained_test: f64,
    /// Largest |recorded - retrained| over the average and every head, in points.
    pub max_abs_diff_points: f64,
}

/// The outcome of one `--verify`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Verification {
    pub date: String,
    /// `qmtl --version` of the binary that retrained.
    pub qmtl: String,
    pub cpu: String,
    pub runs: Vec<Checked>,
}

impl Verification {
    /// Runs whose every test score equals the record's to the last digit.
    pub fn identical(&self) -> usize {
        self.runs
            .iter()
            .filter(|c| c.max_abs_diff_points == 0.0)
            .count()
    }

    pub fn largest_diff(&self) -> f64 {
        self.runs
            .iter()
            .map(|c| c.max_abs_diff_points)
            .fold(0.0, f64::max)
    }

    /// One sentence for the report.
    pub fn summary(&self) -> String {
        let n = self.runs.len();
        let same = self.identical();
        let mut s = format!(
            "Verification ({}, `{}`, {}): the {n} cheapest finished runs were retrained; \
             {same} of {n} gave test scores equal to the records to the last digit",
            self.date, self.qmtl, self.cpu
        );
        if same < n {
            s += &format!(
                "; the others differ by up to {:.4} points (the engine's float rounding \
                 changed since those records were made)",
                self.largest_diff()
            );
        }
        s + ".\n"
    }

    pub fn load(results: &Path) -> Result<Option<Verification>> {
        let path = results.join(FILE);
        match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b)
                .map(Some)
                .with_context(|| format!("{} is not a verification record", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    fn save(&self, results: &Path) -> Result<()> {
        let path = results.join(FILE);
        let text = serde_json::to_string_pretty(self)? + "\n";
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    }
}

/// Largest absolute difference between two runs' test scores, in points.
fn diff_points(a: &Run, b: &Run) -> f64 {
    let mut d = (a.test.avg - b.test.avg).abs();
    for (x, y) in a.test.heads.iter().zip(&b.test.heads) {
        d = d.max((x - y).abs());
    }
    if a.test.heads.len() != b.test.heads.len() {
        d = f64::INFINITY;
    }
    100.0 * d
}

/// Retrains the `n` cheapest finished runs of `jobs`, `workers` at a time.
pub fn verify(
    qmtl: &Path,
    qmtl_version: &str,
    jobs: &[Job],
    store: &mut Store,
    results: &Path,
    n: usize,
    workers: usize,
) -> Result<Verification> {
    let mut done: Vec<&Job> = jobs.iter().filter(|j| store.finished(&j.key)).collect();
    done.sort_by(|a, b| a.cost.total_cmp(&b.cost).then(a.key.cmp(&b.key)));
    done.truncate(n);
    anyhow::ensure!(!done.is_empty(), "--verify: no finished run to retrain");
    eprintln!(
        "reproduce: verifying {} runs by retraining them with {qmtl_version}",
        done.len()
    );
    let scratch = tempfile::tempdir().context("creating a scratch folder")?;
    let queue = Mutex::new(done.iter().enumerate().collect::<Vec<_>>());
    let retrained: Mutex<Vec<(usize, Result<Run>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers.max(1) {
            s.spawn(|| loop {
                let Some((i, job)) = queue.lock().unwrap().pop() else {
                    break;
                };
                let out = scratch.path().join(&job.key);
                let result = (|| -> Result<Run> {
                    let o = Command::new(qmtl)
                        .args(&job.args)
                        .arg("--out")
                        .arg(&out)
                        .stdin(Stdio::null())
                        .output()
                        .with_context(|| format!("running {}", qmtl.display()))?;
                    anyhow::ensure!(
                        o.status.success(),
                        "retraining {} failed: {}",
                        job.spec.label(),
                        String::from_utf8_lossy(&o.stderr).trim()
                    );
                    Run::read(&out)
                })();
                eprintln!("reproduce: verified {}", job.spec.label());
                retrained.lock().unwrap().push((i, result));
            });
        }
    });
    let mut retrained = retrained.into_inner().unwrap();
    retrained.sort_by_key(|r| r.0);
    let mut runs = Vec::new();
    for (i, r) in retrained {
        let job = done[i];
        let now = r?;
        let rec = store
            .load(&job.key)?
            .cloned()
            .context("a finished record vanished")?;
        runs.push(Checked {
            key: job.key.clone(),
            run: job.spec.label(),
            recorded_revision: rec
                .software
                .as_ref()
                .map_or("unknown".into(), |s| s.git_revision.clone()),
            recorded_test: rec.test.avg,
            retrained_test: now.test.avg,
            max_abs_diff_points: diff_points(&rec, &now),
        });
    }
    let v = Verification {
        date: super::env::now_utc(),
        qmtl: qmtl_version.to_string(),
        cpu: super::env::cpu_model(),
        runs,
    };
    v.save(results)?;
    Ok(v)
}
