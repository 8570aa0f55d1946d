//! Which of the paper's 13 datasets are present, where their files are, their
//! SHA-256 (part of every run's key, so a changed file means new runs) and
//! their sizes (Table 1, and the cost estimates that order the work).
//! Everything is asked of `corpus`'s registry and data roots, the code behind
//! `qmtl train --dataset`, `qmtl stats` and `qmtl data list`, so the files are
//! found, read and checksummed exactly as the runs find and read them.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use corpus::registry::sha256_file;
use corpus::{DataRoots, Registry, Split, Task};

pub use corpus::Stats;

/// A present dataset: the checksums and sizes of its train, dev and test files.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub name: String,
    pub ner: bool,
    /// The data root its files were found in (passed to `qmtl train
    /// --data-dir`, so a run finds the same files from any working folder).
    pub root: PathBuf,
    pub sha256: [String; 3],
    pub stats: [Stats; 3],
}

/// All 13 names in the order of the paper's tables (the registry's order: UD
/// treebanks, then NER sets).
pub fn all_names() -> Vec<&'static str> {
    Registry::builtin()
        .datasets
        .iter()
        .map(|d| d.name.as_str())
        .collect()
}

/// The dataset `name` in the first of `roots` that holds all its files, None when
/// no root does.
pub fn find(roots: &DataRoots, name: &str) -> Result<Option<Dataset>> {
    let ds = Registry::builtin().get(name)?;
    let root = match ds.locate(roots) {
        Ok(r) => r,
        Err(corpus::Error::DatasetMissing { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let path = |s: Split| root.path.join(&ds.file(s).path);
    let sha = |s: Split| sha256_file(&path(s)).with_context(|| format!("{name} {}", s.name()));
    let stats = |s: Split| -> Result<Stats> {
        let c = corpus::read_corpus(path(s), Some(ds.format))?;
        Ok(Stats::of(&c.sentences))
    };
    let [train, dev, test] = Split::ALL;
    Ok(Some(Dataset {
        name: ds.name.clone(),
        ner: ds.task == Task::Ner,
        root: root.path.clone(),
        sha256: [sha(train)?, sha(dev)?, sha(test)?],
        stats: [stats(train)?, stats(dev)?, stats(test)?],
    }))
}

/// Table 1 of the paper for `name` (the registry's copy, the only one), if the
/// paper prints it.
pub fn table1(name: &str) -> Option<Stats> {
    Registry::builtin().get(name).ok()?.table1
}

/// The datasets of a reproduction: the present ones among `wanted` (all 13 when
/// None), found in `--data-dir`, `QMTL_DATA`, `../shared/data` and the cache, in
/// that order. Absent datasets are returned as the second list; naming one is an
/// error.
pub fn discover(
    data_dir: Option<&Path>,
    wanted: Option<&[String]>,
) -> Result<(Vec<Dataset>, Vec<String>)> {
    let roots = DataRoots::discover(data_dir);
    let names: Vec<String> = match wanted {
        Some(w) => w.to_vec(),
        None => all_names().iter().map(|s| s.to_string()).collect(),
    };
    let (mut present, mut missing) = (Vec::new(), Vec::new());
    for name in names {
        match find(&roots, &name)? {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A root holding `ta`'s three files with the given training file.
    fn root_with_ta(train: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let ds = Registry::builtin().get("ta").unwrap();
        let sentence = "1\tx\t_\tNOUN\t_\t_\t0\t_\t_\t_\n\n";
        for (s, text) in Split::ALL.into_iter().zip([train, sentence, sentence]) {
            let p = dir.path().join(&ds.file(s).path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    #[test]
    fn absent_is_none_present_is_read_and_broken_is_an_error() {
        let empty = tempfile::tempdir().unwrap();
        let roots = DataRoots::from_parts(Some(empty.path()), None, None, None);
        assert!(find(&roots, "ta").unwrap().is_none());

        let two = "1\ta\t_\tNOUN\t_\t_\t0\t_\t_\t_\n2\tb\t_\tVERB\t_\t_\t0\t_\t_\t_\n\n";
        let dir = root_with_ta(two);
        let roots = DataRoots::from_parts(Some(dir.path()), None, None, None);
        let d = find(&roots, "ta").unwrap().expect("present");
        assert_eq!(d.root, std::fs::canonicalize(dir.path()).unwrap());
        let want = Stats {
            sentences: 1,
            word_forms: 2,
            tokens: 2,
        };
        assert_eq!(d.stats[0], want);
        let train = d
            .root
            .join(&Registry::builtin().get("ta").unwrap().train.path);
        assert_eq!(d.sha256[0], sha256_file(&train).unwrap());
        assert!(!d.ner);

        // Present but unreadable is an error naming the file, never "absent".
        let dir = root_with_ta("1\tonly three\tcolumns\n\n");
        let roots = DataRoots::from_parts(Some(dir.path()), None, None, None);
        let e = format!("{:#}", find(&roots, "ta").unwrap_err());
        assert!(e.contains("ta_ttb-ud-train.conllu"), "{e}");
    }

    #[test]
    fn table_1_comes_from_the_registry_for_the_ten_treebanks_only() {
        let ud: Vec<&str> = all_names().into_iter().take(10).collect();
        assert!(ud.iter().all(|n| table1(n).is_some()), "{ud:?}");
        assert!(["en-ner", "es-ner", "nl-ner"]
            .iter()
            .all(|n| table1(n).is_none()));
        assert_eq!(all_names().len(), 13);
    }
}
