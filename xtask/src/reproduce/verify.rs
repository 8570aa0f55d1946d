//! `--verify N`: retrains the N cheapest finished runs of the plan with the
//! `qmtl` at hand and compares their test scores with the recorded ones. They
//! are equal to the last digit while the engine's numerics are unchanged since
//! the records were made and the same kernels compute (AVX-512 and AVX2 round
//! differently; `QMTL_ISA` chooses); otherwise the difference is reported, with
//! the kernels on both sides where the records name them. The outcome is
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
    /// The CPU and kernels that made the record (absent in older verifications;
    /// the kernels also in records older than `meta.json` schema 2).
    #[serde(default)]
    pub recorded_cpu: Option<String>,
    #[serde(default)]
    pub recorded_isa: Option<String>,
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
    /// The kernels that retrained (absent in older verifications).
    #[serde(default)]
    pub isa: Option<String>,
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
        let kernels = self
            .isa
            .as_ref()
            .map_or_else(String::new, |k| format!(", {k} kernels"));
        let mut s = format!(
            "Verification ({}, `{}`, {}{kernels}): the {n} cheapest finished runs were \
             retrained; {same} of {n} gave test scores equal to the records to the last digit",
            self.date, self.qmtl, self.cpu
        );
        if same < n {
            s += &format!(
                "; the others differ by up to {:.4} points ({})",
                self.largest_diff(),
                self.why_they_differ()
            );
        }
        s + ".\n"
    }

    /// What the differing runs say about the cause: other kernels, unnamed
    /// kernels, or (same kernels) a change of the engine's numerics.
    fn why_they_differ(&self) -> String {
        let differing: Vec<&Checked> = self
            .runs
            .iter()
            .filter(|c| c.max_abs_diff_points != 0.0)
            .collect();
        let unnamed = differing
            .iter()
            .filter(|c| c.recorded_isa.is_none())
            .count();
        let other: std::collections::BTreeSet<&str> = differing
            .iter()
            .filter_map(|c| c.recorded_isa.as_deref())
            .filter(|k| Some(*k) != self.isa.as_deref())
            .collect();
        if unnamed == 0 && other.is_empty() {
            return "computed with the same kernels, so the engine's float rounding changed \
                    since those records were made"
                .into();
        }
        let join =
            |s: std::collections::BTreeSet<&str>| s.into_iter().collect::<Vec<_>>().join(", ");
        let cpus: std::collections::BTreeSet<&str> = differing
            .iter()
            .filter_map(|c| c.recorded_cpu.as_deref())
            .collect();
        let made_on = if cpus.is_empty() {
            String::new()
        } else {
            format!(", made on {}", join(cpus))
        };
        let named = if other.is_empty() {
            String::new()
        } else {
            format!("made with the {} kernels{made_on}; ", join(other))
        };
        let unnamed = if unnamed == 0 {
            String::new()
        } else {
            let made_on = if named.is_empty() {
                made_on.as_str()
            } else {
                ""
            };
            format!("{unnamed} of these records do not name their kernels{made_on}; ")
        };
        format!(
            "{named}{unnamed}AVX-512 and AVX2 round differently, so a record is made again \
             to the last digit only with its own kernels: `QMTL_ISA=avx2` or `avx512` \
             chooses them"
        )
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
        crate::replace::replace(&path, text.as_bytes())
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
            recorded_cpu: rec.meta.as_ref().map(|m| m.cpu.clone()),
            recorded_isa: rec.meta.as_ref().and_then(|m| m.isa.clone()),
            recorded_test: rec.test.avg,
            retrained_test: now.test.avg,
            max_abs_diff_points: diff_points(&rec, &now),
        });
    }
    let v = Verification {
        date: super::env::now_utc(),
        qmtl: qmtl_version.to_string(),
        cpu: super::env::cpu_model(),
        isa: Some(super::env::kernels()),
        runs,
    };
    v.save(results)?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(diff: f64, cpu: Option<&str>, isa: Option<&str>) -> Checked {
        Checked {
            key: "k".into(),
            run: "ta STL e20 s1".into(),
            recorded_revision: "abc1234".into(),
            recorded_cpu: cpu.map(Into::into),
            recorded_isa: isa.map(Into::into),
            recorded_test: 0.8,
            retrained_test: 0.8 + diff / 100.0,
            max_abs_diff_points: diff,
        }
    }

    fn verification(runs: Vec<Checked>) -> Verification {
        Verification {
            date: "2026-11-29 04:20:05 UTC".into(),
            qmtl: "qmtl 0.1.0 (rev abc1234)".into(),
            cpu: "Intel(R) Xeon(R) Processor".into(),
            isa: Some("avx512".into()),
            runs,
        }
    }

    #[test]
    fn equal_runs_name_no_cause() {
        let v = verification(vec![checked(0.0, Some("Xeon"), Some("avx512"))]);
        let s = v.summary();
        assert!(s.contains("avx512 kernels): the 1 cheapest"), "{s}");
        assert!(s.contains("1 of 1 gave test scores equal"), "{s}");
        assert!(!s.contains("differ"), "{s}");
    }

    #[test]
    fn the_same_kernels_blame_the_engine() {
        let v = verification(vec![
            checked(0.0, Some("Xeon"), Some("avx512")),
            checked(0.25, Some("Xeon"), Some("avx512")),
        ]);
        let s = v.summary();
        assert!(s.contains("differ by up to 0.2500 points"), "{s}");
        assert!(
            s.contains("the same kernels, so the engine's float rounding changed"),
            "{s}"
        );
    }

    #[test]
    fn other_or_unnamed_kernels_are_named_as_the_cause() {
        let v = verification(vec![checked(0.6, Some("AMD EPYC"), Some("avx2"))]);
        let s = v.summary();
        assert!(
            s.contains("made with the avx2 kernels, made on AMD EPYC"),
            "{s}"
        );
        assert!(s.contains("QMTL_ISA=avx2"), "{s}");
        assert!(!s.contains("engine's float rounding changed"), "{s}");

        let v = verification(vec![
            checked(0.6, Some("AMD EPYC"), None),
            checked(0.8, Some("AMD EPYC"), None),
        ]);
        let s = v.summary();
        assert!(
            s.contains("2 of these records do not name their kernels, made on AMD EPYC"),
            "{s}"
        );
        assert!(!s.contains("engine's float rounding changed"), "{s}");
    }

    #[test]
    fn older_verifications_still_read() {
        let old = r#"{"date": "d", "qmtl": "q", "cpu": "AMD EPYC", "runs": [{"key": "k",
            "run": "r", "recorded_revision": "3ed03f1", "recorded_test": 0.8,
            "retrained_test": 0.8, "max_abs_diff_points": 0.0}]}"#;
        let v: Verification = serde_json::from_str(old).unwrap();
        assert_eq!(v.isa, None);
        assert_eq!(v.runs[0].recorded_isa, None);
        assert!(v.summary().contains("(d, `q`, AMD EPYC): the 1 cheapest"));
    }
}
