//! One training run as data: the `qmtl train` configuration, its key (a hash of
//! the configuration and the data files' SHA-256, naming its record folder
//! `results/runs/<key>/`), the command line that produces it and its rough cost.

use models::Metric;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

use super::data::Dataset;
/// The model variant (model-spec section 5): the library's, which `qmtl train
/// --mode` and `run.json` use.
pub use models::Mode;

/// Bump when the meaning of a key changes (a new fixed flag, another layout).
const SCHEMA: u32 = 1;

/// Everything that distinguishes one run of a reproduction from another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    pub dataset: String,
    pub mode: Mode,
    pub heads: usize,
    pub epochs: usize,
    pub seed: u64,
    pub label_noise: f64,
    pub train_fraction: f64,
    pub max_sentences: Option<usize>,
    pub mlp: usize,
    pub metric: Metric,
}

/// Flags passed with every run, so that a changed default of `qmtl train`
/// cannot silently change what a cached key means.
const FIXED: [(&str, &str); 5] = [
    ("--label-noise-mode", "per-epoch"),
    ("--lstm", "coupled"),
    ("--sigma", "0.2"),
    ("--learning-rate", "0.1"),
    ("--word-dim", "64"),
];

/// What a run's key is the hash of: the spec, the fixed flags and the data
/// files' SHA-256. `meta.json` keeps it beside the record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Key {
    /// [`SCHEMA`] when the key was made (the meaning of keys, not a file layout).
    pub schema: u32,
    pub spec: RunSpec,
    /// [`FIXED`], the flags without their dashes.
    pub fixed: BTreeMap<String, String>,
    pub data: KeyData,
}

/// SHA-256 of the data files of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyData {
    pub train: String,
    pub dev: String,
    pub test: String,
}

impl Key {
    /// The canonical JSON: compact, every object's keys sorted (as
    /// `serde_json::Value` holds them), which is how every key was computed.
    pub fn json(&self) -> String {
        serde_json::to_value(self)
            .expect("a key serialises")
            .to_string()
    }

    /// 16 hex digits of the SHA-256 of [`Key::json`]: the record's folder name.
    pub fn hash(&self) -> String {
        corpus::sha256_hex(self.json().as_bytes())[..16].to_string()
    }
}

impl RunSpec {
    /// What the key of this run on `d` is the hash of.
    pub fn key_of(&self, d: &Dataset) -> Key {
        let [train, dev, test] = d.sha256.clone();
        Key {
            schema: SCHEMA,
            spec: self.clone(),
            fixed: FIXED
                .iter()
                .map(|(k, v)| (k.trim_start_matches("--").to_string(), v.to_string()))
                .collect(),
            data: KeyData { train, dev, test },
        }
    }

    /// The key of this run on `d` (see [`Key::hash`]).
    pub fn key(&self, d: &Dataset) -> String {
        self.key_of(d).hash()
    }

    /// The arguments of `qmtl train` (without `--out`).
    pub fn args(&self, data_dir: Option<&Path>) -> Vec<String> {
        let mut a: Vec<String> = Vec::new();
        if let Some(d) = data_dir {
            a.extend(["--data-dir".into(), d.display().to_string()]);
        }
        let mut push = |k: &str, v: String| a.extend([k.to_string(), v]);
        push("--dataset", self.dataset.clone());
        push("--mode", self.mode.as_str().into());
        if self.mode != Mode::Stl {
            push("--heads", self.heads.to_string());
        }
        push("--epochs", self.epochs.to_string());
        push("--seed", self.seed.to_string());
        push("--label-noise", self.label_noise.to_string());
        push("--train-fraction", self.train_fraction.to_string());
        if let Some(n) = self.max_sentences {
            push("--max-sentences", n.to_string());
        }
        push("--mlp", self.mlp.to_string());
        push("--metric", self.metric.as_str().into());
        for (k, v) in FIXED {
            push(k, v.into());
        }
        push("--threads", "1".into());
        let mut all = vec!["train".to_string()];
        all.extend(a);
        all.push("--quiet".into());
        all
    }

    /// A short human name: `ta Q-MTL(10) p=0.3 s1`.
    pub fn label(&self) -> String {
        let mut s = format!("{} {}", self.dataset, self.variant());
        if self.label_noise > 0.0 {
            s += &format!(" p={}", self.label_noise);
        }
        if self.train_fraction < 1.0 {
            s += &format!(" f={}", self.train_fraction);
        }
        if self.mode == Mode::Pta {
            s += &format!(" mlp={}", self.mlp);
        }
        s + &format!(" e{} s{}", self.epochs, self.seed)
    }

    pub fn variant(&self) -> String {
        match self.mode {
            Mode::Stl => "STL".into(),
            Mode::Qmtl => format!("Q-MTL({})", self.heads),
            Mode::Ensemble => format!("ensemble({})", self.heads),
            Mode::Pta => format!("PTA({})", self.heads),
        }
    }

    /// Estimated cost in STL token-epochs, from measured speeds on one thread
    /// (`cargo xtask speed`: an epoch of Q-MTL(10) takes ~1.05x and of Q-MTL(30)
    /// ~1.22x STL's time, about 1 + 0.008·k), an ensemble(k) costs k STL runs,
    /// and scoring dev after each epoch costs about a third of a training pass
    /// per token and member.
    pub fn cost(&self, d: &Dataset) -> f64 {
        let scale = |s: &super::data::Stats| match self.max_sentences {
            Some(n) if n < s.sentences => s.tokens as f64 * n as f64 / s.sentences.max(1) as f64,
            _ => s.tokens as f64,
        };
        let train = scale(&d.stats[0]) * self.train_fraction;
        let dev = scale(&d.stats[1]);
        let k = self.heads as f64;
        let (step, members) = match self.mode {
            Mode::Stl => (1.0, 1.0),
            Mode::Qmtl | Mode::Pta => (1.0 + 0.008 * k, 1.0),
            Mode::Ensemble => (k, k),
        };
        self.epochs as f64 * (train * step + dev * members / 3.0)
    }
}
