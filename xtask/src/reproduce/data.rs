//! Which of the paper's 13 datasets are present, where their files are, their
//! SHA-256 (part of every run's key, so a changed file means new runs) and
//! their sizes (Table 1, and the cost estimates that order the work).
//! Everything is asked of `qmtl stats`, so the data folders are found exactly
//! as `qmtl train --dataset` finds them.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::paper;

/// Sentences, distinct word forms and tokens of one file.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Stats {
    pub sentences: u64,
    pub word_forms: u64,
    pub tokens: u64,
}

/// A present dataset: the checksums and sizes of its train, dev and test files.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub name: String,
    pub ner: bool,
    /// The data folder its files were found in (passed to `qmtl train
    /// --data-dir`, so a run finds the same files from any working folder).
    pub root: Option<PathBuf>,
    pub sha256: [String; 3],
    pub stats: [Stats; 3],
}

/// All 13 names in the order of the paper's tables.
pub fn all_names() -> Vec<&'static str> {
    paper::UD.iter().chain(paper::NER.iter()).copied().collect()
}

/// Looks a dataset up with `qmtl stats --split all --json`; None when absent.
pub fn find(qmtl: &Path, data_dir: Option<&Path>, name: &str) -> Result<Option<Dataset>> {
    let mut cmd = Command::new(qmtl);
    if let Some(d) = data_dir {
        cmd.arg("--data-dir").arg(d);
    }
    let out = cmd
        .args(["stats", "--split", "all", "--json", name])
        .output()
        .with_context(|| format!("running {} stats", qmtl.display()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("not found") {
            return Ok(None);
        }
        bail!("qmtl stats {name} failed: {}", err.trim());
    }
    let mut files: [Option<PathBuf>; 3] = Default::default();
    let mut stats = [Stats::default(); 3];
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line).context("reading qmtl stats --json")?;
        let i = match v["split"].as_str() {
            Some("train") => 0,
            Some("dev") => 1,
            Some("test") => 2,
            _ => continue,
        };
        let n = |key: &str| v[key].as_u64().unwrap_or(0);
        stats[i] = Stats {
            sentences: n("sentences"),
            word_forms: n("word_forms"),
            tokens: n("tokens"),
        };
        files[i] = v["file"].as_str().map(PathBuf::from);
    }
    let [Some(train), Some(dev), Some(test)] = files else {
        bail!("qmtl stats {name} did not list a train, a dev and a test file");
    };
    let sha256 = [sha256(&train)?, sha256(&dev)?, sha256(&test)?];
    let root = data_root(name, &train);
    Ok(Some(Dataset {
        name: name.to_string(),
        ner: paper::NER.contains(&name),
        root,
        sha256,
        stats,
    }))
}

/// The data root that holds `train`: its path minus the registry's relative path
/// (`data/datasets.json`, e.g. `ud-2.2/UD_Tamil-TTB/ta_ttb-ud-train.conllu`).
fn data_root(name: &str, train: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(crate::root().join("data/datasets.json")).ok()?;
    let registry: Value = serde_json::from_str(&text).ok()?;
    let entry = registry["datasets"]
        .as_array()?
        .iter()
        .find(|d| d["name"] == name)?;
    let rel = Path::new(entry["train"]["path"].as_str()?);
    if !train.ends_with(rel) {
        return None;
    }
    let mut root = train.to_path_buf();
    for _ in rel.components() {
        root.pop();
    }
    Some(root)
}

/// The hex SHA-256 of a file.
pub fn sha256(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The datasets of a reproduction: the present ones among `wanted` (all 13 when
/// None). Absent datasets are returned as the second list; naming one is an error.
pub fn discover(
    qmtl: &Path,
    data_dir: Option<&Path>,
    wanted: Option<&[String]>,
) -> Result<(Vec<Dataset>, Vec<String>)> {
    let names: Vec<String> = match wanted {
        Some(w) => w.to_vec(),
        None => all_names().iter().map(|s| s.to_string()).collect(),
    };
    let (mut present, mut missing) = (Vec::new(), Vec::new());
    for name in names {
        match find(qmtl, data_dir, &name)? {
            Some(d) => present.push(d),
            None => missing.push(name),
        }
    }
    if wanted.is_some() && !missing.is_empty() {
        bail!(
            "named with --datasets but not present: {} (see `qmtl data list`; `qmtl data fetch {}`)",
            missing.join(", "),
            missing.join(" ")
        );
    }
    Ok((present, missing))
}
