//! `speed.json`: one `cargo xtask speed --record FILE` run, the one type that
//! writes and reads it. Every configuration's one-epoch training seconds per
//! round, measured on one machine in one invocation, configurations
//! alternating within each round: the times of STL, Q-MTL(k) and the
//! ensemble(k) compare as ratios, whatever machines the training grid's
//! records were made on. The report's Figure 6 judges its orderings on it.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The newest schema this code reads and writes (version 2 added a
/// configuration's `threads`, absent for one thread; a study of one thread
/// only is written as version 1).
pub const SCHEMA: u32 = 2;

/// File name of the study in a results folder.
pub const FILE: &str = "speed.json";

/// One `xtask speed --record` run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Study {
    pub schema: u32,
    /// When it finished (`YYYY-MM-DD HH:MM:SS UTC`).
    pub date: String,
    /// `qmtl --version` of the binary that trained.
    pub qmtl: String,
    pub cpu: String,
    /// The kernels (instruction set) that computed.
    pub isa: String,
    pub rounds: usize,
    /// Sentences per split when capped (`--max-sentences`), else None.
    pub max_sentences: Option<usize>,
    pub datasets: Vec<Timed>,
}

/// One dataset's configurations.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Timed {
    pub dataset: String,
    /// STL first.
    pub configs: Vec<Config>,
}

/// One configuration's epochs, one per round.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Config {
    /// `stl`, `qmtl` or `ensemble`.
    pub mode: String,
    pub k: usize,
    /// `qmtl train --threads` (absent: 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub threads: usize,
    /// Training seconds of the epoch (`run.json`'s `train_seconds`), per round.
    pub seconds: Vec<f64>,
    pub tokens_per_second: Vec<f64>,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

impl Config {
    /// `Q-MTL(10)`, `Q-MTL(10), 2 threads`.
    pub fn label(&self) -> String {
        let model = match self.mode.as_str() {
            "stl" => "STL".into(),
            "qmtl" => format!("Q-MTL({})", self.k),
            m => format!("{m}({})", self.k),
        };
        match self.threads {
            1 => model,
            t => format!("{model}, {t} threads"),
        }
    }
}

/// A median over rounds of per-round ratios, with their range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ratio {
    pub median: f64,
    pub lo: f64,
    pub hi: f64,
}

pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    match n {
        0 => f64::NAN,
        n if n % 2 == 1 => xs[n / 2],
        n => (xs[n / 2 - 1] + xs[n / 2]) / 2.0,
    }
}

impl Ratio {
    pub fn of(ratios: Vec<f64>) -> Ratio {
        let (lo, hi) = ratios
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
                (lo.min(r), hi.max(r))
            });
        Ratio {
            median: median(ratios),
            lo,
            hi,
        }
    }
}

impl Timed {
    /// `mode(k)` on `threads` threads.
    pub fn config(&self, mode: &str, k: usize, threads: usize) -> Option<&Config> {
        self.configs
            .iter()
            .find(|c| c.mode == mode && c.k == k && c.threads == threads)
    }

    /// `mode(k)`'s time over STL's, both on one thread, round by round (runs
    /// close in time), as a median and range; None when either is missing.
    pub fn ratio_to_stl(&self, mode: &str, k: usize) -> Option<Ratio> {
        let stl = self.config("stl", 1, 1)?;
        Some(self.config(mode, k, 1)?.ratio_to(stl))
    }
}

impl Config {
    /// This configuration's time over `base`'s, round by round.
    pub fn ratio_to(&self, base: &Config) -> Ratio {
        Ratio::of(
            self.seconds
                .iter()
                .zip(&base.seconds)
                .map(|(t, s)| t / s)
                .collect(),
        )
    }
}

impl Study {
    pub fn dataset(&self, name: &str) -> Option<&Timed> {
        self.datasets.iter().find(|t| t.dataset == name)
    }

    /// The study in `path`, None when there is no such file.
    pub fn load(path: &Path) -> Result<Option<Study>> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let study: Study = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a speed study", path.display()))?;
        if !(1..=SCHEMA).contains(&study.schema) {
            bail!(
                "{}: speed study schema {}, this build reads 1 to {SCHEMA}",
                path.display(),
                study.schema
            );
        }
        for t in &study.datasets {
            for c in &t.configs {
                if c.seconds.len() != study.rounds || c.tokens_per_second.len() != study.rounds {
                    bail!(
                        "{}: {} {} has {} times for {} rounds",
                        path.display(),
                        t.dataset,
                        c.label(),
                        c.seconds.len(),
                        study.rounds
                    );
                }
            }
        }
        Ok(Some(study))
    }

    /// Writes the study to `path` (through a temporary file beside it, so an
    /// interrupted write leaves the old file whole).
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)? + "\n";
        crate::replace::replace(path, text.as_bytes())
    }
}

/// A study "measured" on a made-up machine, for tests here and in the report.
#[cfg(test)]
impl Study {
    pub(crate) fn of_test_machine(rounds: usize, datasets: Vec<Timed>) -> Study {
        Study {
            schema: SCHEMA,
            date: "2026-11-29 07:00:00 UTC".into(),
            qmtl: "qmtl 0.1.0 (rev abc1234)".into(),
            cpu: "Test CPU".into(),
            isa: "avx2".into(),
            rounds,
            max_sentences: None,
            datasets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(mode: &str, k: usize, seconds: &[f64]) -> Config {
        Config {
            mode: mode.into(),
            k,
            threads: 1,
            seconds: seconds.to_vec(),
            tokens_per_second: seconds.iter().map(|s| 1000.0 / s).collect(),
        }
    }

    fn study() -> Study {
        Study::of_test_machine(
            3,
            vec![Timed {
                dataset: "ta".into(),
                configs: vec![
                    config("stl", 1, &[2.0, 1.0, 4.0]),
                    config("qmtl", 10, &[2.2, 1.2, 4.0]),
                    config("ensemble", 10, &[20.0, 11.0, 36.0]),
                    Config {
                        threads: 2,
                        ..config("qmtl", 10, &[1.1, 0.75, 2.5])
                    },
                ],
            }],
        )
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(vec![]).is_nan());
    }

    #[test]
    fn ratios_are_taken_round_by_round() {
        let s = study();
        let t = s.dataset("ta").unwrap();
        // Rounds: 1.1, 1.2, 1.0 (not the ratio of medians, 2.2 / 2.0).
        let q = t.ratio_to_stl("qmtl", 10).unwrap();
        assert!((q.median - 1.1).abs() < 1e-12, "{q:?}");
        assert_eq!((q.lo, q.hi), (1.0, 1.2));
        let e = t.ratio_to_stl("ensemble", 10).unwrap();
        assert_eq!((e.median, e.lo, e.hi), (10.0, 9.0, 11.0));
        assert_eq!(t.ratio_to_stl("qmtl", 30), None);
        // Two threads against one: 2.2/1.1, 1.2/0.75, 4.0/2.5.
        let two = t.config("qmtl", 10, 2).unwrap();
        let one = t.config("qmtl", 10, 1).unwrap();
        let speedup = one.ratio_to(two);
        assert!((speedup.median - 1.6).abs() < 1e-12, "{speedup:?}");
        assert_eq!(two.label(), "Q-MTL(10), 2 threads");
        assert!(s.dataset("hu").is_none());
    }

    #[test]
    fn a_study_reads_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        assert_eq!(Study::load(&path).unwrap(), None);
        study().save(&path).unwrap();
        assert_eq!(Study::load(&path).unwrap(), Some(study()));
        // One thread is not written; a version-1 study (no threads) reads
        // as one thread.
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches("\"threads\"").count(), 1, "{text}");
        let mut old = study();
        old.schema = 1;
        old.datasets[0].configs.pop();
        old.save(&path).unwrap();
        let back = Study::load(&path).unwrap().unwrap();
        assert!(back.datasets[0].configs.iter().all(|c| c.threads == 1));
    }

    #[test]
    fn a_damaged_or_foreign_study_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        std::fs::write(&path, "{\"schema\": 1, \"date\": ").unwrap();
        let e = format!("{:#}", Study::load(&path).unwrap_err());
        assert!(e.contains("speed.json is not a speed study"), "{e}");
        let mut s = study();
        s.schema = 99;
        s.save(&path).unwrap();
        let e = format!("{:#}", Study::load(&path).unwrap_err());
        assert!(e.contains("schema 99"), "{e}");
        let mut s = study();
        s.datasets[0].configs[1].seconds.pop();
        s.save(&path).unwrap();
        let e = format!("{:#}", Study::load(&path).unwrap_err());
        assert!(e.contains("ta Q-MTL(10) has 2 times for 3 rounds"), "{e}");
    }
}
