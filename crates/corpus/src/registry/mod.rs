//! The registry of the paper's 13 datasets, read from `data/datasets.json`.
//!
//! The manifest (compiled into the crate, so the binary works from any folder)
//! lists for every dataset its short name, task, format and tagging scheme, the
//! path of its train/dev/test files relative to a data root, their SHA-256 where
//! known, and, for the UD treebanks, the training-set statistics of Table 1. It
//! also lists the three sources the files come from (the UD v2.2 archive, NLTK's
//! CoNLL-2002 package, and CoNLL-2003, which has no public download).
//!
//! Names: the ten UD treebanks are their language codes as in the paper's tables
//! (`el en eu fi hr hu id nl ta tr`, aliases `el-ud` ...); the NER sets are
//! `en-ner` (CoNLL-2003), `es-ner` and `nl-ner` (CoNLL-2002).

pub mod fetch;
mod locate;
mod verify;

pub use locate::{cache_dir, repo_root, DataRoots, Origin, Root};
pub use verify::{sha256_file, Check, FileStatus};

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::read::read_corpus;
use crate::sentence::{Corpus, Format};
use crate::stats::Stats;

/// The manifest text, as committed under `data/`.
pub const MANIFEST: &str = include_str!("../../../../data/datasets.json");

/// POS tagging (token accuracy) or NER (entity F1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Pos,
    Ner,
}

/// The three splits of every dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Dev,
    Test,
}

impl Split {
    /// Train, dev, test.
    pub const ALL: [Split; 3] = [Split::Train, Split::Dev, Split::Test];

    /// `train`, `dev`, `test`.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Dev => "dev",
            Split::Test => "test",
        }
    }
}

/// One file of a dataset.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to a data root, `/`-separated.
    pub path: String,
    /// Lower-case hex SHA-256, `None` when unknown.
    pub sha256: Option<String>,
}

/// Where a dataset's files come from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Source {
    pub name: String,
    pub description: String,
    /// Direct download URL, `None` when there is no public source.
    pub url: Option<String>,
    pub landing_page: String,
    /// File name of the downloaded archive (`.tgz` or `.zip`).
    pub archive: Option<String>,
    /// Member names in the archive start with this instead of `local_prefix`.
    pub archive_prefix: Option<String>,
    /// Folder of this source's files under a data root.
    pub local_prefix: String,
    pub sha256: Option<String>,
}

/// One of the paper's datasets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dataset {
    pub name: String,
    pub aliases: Vec<String>,
    pub task: Task,
    pub language: String,
    /// Name of its [`Source`].
    pub source: String,
    pub format: Format,
    /// `upos`, `iob1` or `iob2`.
    pub tagging: String,
    pub train: FileEntry,
    pub dev: FileEntry,
    pub test: FileEntry,
    /// Training-set statistics from Table 1 of the paper (UD treebanks).
    pub table1: Option<Stats>,
}

impl Dataset {
    /// The file entry of `split`.
    pub fn file(&self, split: Split) -> &FileEntry {
        match split {
            Split::Train => &self.train,
            Split::Dev => &self.dev,
            Split::Test => &self.test,
        }
    }

    /// The root that holds all three files (the first in search order), or an error
    /// that lists where it looked and how to get the data.
    pub fn locate<'r>(&self, roots: &'r DataRoots) -> Result<&'r Root> {
        roots
            .iter()
            .find(|r| {
                Split::ALL
                    .iter()
                    .all(|&s| r.path.join(&self.file(s).path).is_file())
            })
            .ok_or_else(|| Error::DatasetMissing {
                name: self.name.clone(),
                file: self.train.path.clone(),
                looked_in: roots.describe(),
                hint: format!(
                    "run `qmtl data fetch {}` or see `qmtl data list`",
                    self.name
                ),
            })
    }

    /// The path of `split` in the first root that has the dataset.
    pub fn path(&self, split: Split, roots: &DataRoots) -> Result<PathBuf> {
        Ok(self.locate(roots)?.path.join(&self.file(split).path))
    }

    /// Reads `split` from the first root that has the dataset.
    pub fn read(&self, split: Split, roots: &DataRoots) -> Result<Corpus> {
        read_corpus(self.path(split, roots)?, Some(self.format))
    }
}

/// The parsed manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Registry {
    pub sources: Vec<Source>,
    pub datasets: Vec<Dataset>,
}

impl Registry {
    /// The registry compiled into the crate.
    pub fn builtin() -> &'static Registry {
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        REGISTRY.get_or_init(|| Registry::parse(MANIFEST).expect("data/datasets.json is valid"))
    }

    /// Parses a manifest.
    pub fn parse(json: &str) -> Result<Registry> {
        serde_json::from_str(json).map_err(|e| Error::Malformed {
            path: Path::new("datasets.json").into(),
            line: e.line(),
            message: e.to_string(),
        })
    }

    /// The dataset called `name` (or one of its aliases), case-insensitive.
    pub fn get(&self, name: &str) -> Result<&Dataset> {
        let name = name.trim().to_ascii_lowercase();
        self.datasets
            .iter()
            .find(|d| d.name == name || d.aliases.contains(&name))
            .ok_or_else(|| Error::UnknownDataset {
                name,
                known: self.names().join(", "),
            })
    }

    /// Datasets for a comma- or space-separated list such as `ta,hu`; `all` means all.
    pub fn select(&self, list: &str) -> Result<Vec<&Dataset>> {
        let names: Vec<&str> = list.split([',', ' ']).filter(|s| !s.is_empty()).collect();
        if names.iter().any(|n| n.eq_ignore_ascii_case("all")) {
            return Ok(self.datasets.iter().collect());
        }
        names.into_iter().map(|n| self.get(n)).collect()
    }

    /// The source called `name`.
    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// All canonical dataset names, in manifest order.
    pub fn names(&self) -> Vec<&str> {
        self.datasets.iter().map(|d| d.name.as_str()).collect()
    }
}
