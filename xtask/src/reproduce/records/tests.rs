//! Records are checked before they are trusted: the published records and
//! their `meta.json` read as their types and write back byte for byte (apart
//! from the `schema` line older files lack); a truncated record, a damaged
//! `meta.json` and a model whose SHA-256 is not the one its record names are
//! damaged runs, moved aside.

use super::*;
use models::record::ModelRef;

/// The published record folders of `results/paper/runs`.
fn published() -> Vec<PathBuf> {
    let runs = crate::root().join("results/paper/runs");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&runs)
        .unwrap_or_else(|e| panic!("{}: {e}", runs.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 100, "{} records", dirs.len());
    dirs
}

/// What `written` must equal for a file that read as `file`: the same bytes,
/// or, for a file older than its `schema` field, the same bytes apart from the
/// `"schema": 1,` line written back at the top level of the object.
fn as_file_was(written: &[u8], file: &str) -> String {
    let written = std::str::from_utf8(written).unwrap();
    if file.lines().any(|l| l.starts_with("  \"schema\": ")) {
        return written.to_string();
    }
    written
        .lines()
        .filter(|l| *l != "  \"schema\": 1,")
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn published_records_read_and_write_back_unchanged() {
    for dir in published() {
        let run = Run::read(&dir).unwrap_or_else(|e| panic!("{e:#}"));
        let record: &RunRecord = &run;
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        // run.json: version 1, with or without its schema field; the same
        // value read back, and the same bytes (apart from a schema line the
        // file lacks).
        let file = std::fs::read_to_string(dir.join("run.json")).unwrap();
        assert_eq!(run.schema, 1);
        let again = record.to_json();
        let back = RunRecord::from_slice(&again, &dir.join("again")).unwrap();
        assert_eq!(&back, record, "{name}: run.json read back differs");
        assert_eq!(
            as_file_was(&again, &file),
            file,
            "{name}: run.json written back differs"
        );
        // meta.json likewise, and its key is the hash naming the folder.
        let meta = run.meta.as_ref().expect("the runner wrote a meta.json");
        let again = meta.to_json();
        let back: Meta = serde_json::from_slice(&again).unwrap();
        assert_eq!(&back, meta, "{name}: meta.json read back differs");
        let file = std::fs::read_to_string(dir.join("meta.json")).unwrap();
        assert_eq!(
            as_file_was(&again, &file),
            file,
            "{name}: meta.json written back differs"
        );
        assert_eq!(meta.key.hash(), name, "{name}: meta.json's key");
    }
}

/// A results folder holding one published record as run `key`, with a model
/// named by the record when `model` is given.
fn store_with(key: &str, model: Option<&[u8]>) -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("runs").join(key);
    std::fs::create_dir_all(&dir).unwrap();
    let from = &published()[0];
    let mut record = RunRecord::read(&from.join("run.json")).unwrap();
    if let Some(m) = model {
        record.model = Some(ModelRef {
            file: "model.qmtl".into(),
            sha256: corpus::sha256_hex(m),
        });
        std::fs::write(dir.join("model.qmtl"), m).unwrap();
    }
    std::fs::write(dir.join("run.json"), record.to_json()).unwrap();
    std::fs::copy(from.join("meta.json"), dir.join("meta.json")).unwrap();
    let store = Store::new(tmp.path());
    (tmp, store)
}

/// The folders under `runs/.damaged`.
fn damaged(store: &Store) -> usize {
    std::fs::read_dir(store.dir.join(".damaged")).map_or(0, |d| d.count())
}

#[test]
fn a_model_whose_sha256_the_record_does_not_name_is_a_damaged_run() {
    let (_tmp, store) = store_with("k", Some(b"the model"));
    assert!(store.finished("k"));
    // One byte changed in the model: the record no longer describes it.
    let (_tmp, mut store) = store_with("k", Some(b"the model"));
    std::fs::write(store.path("k").join("model.qmtl"), b"the modem").unwrap();
    let e = Run::read(&store.path("k")).unwrap_err().to_string();
    assert!(e.contains("model.qmtl") && e.contains("SHA-256"), "{e}");
    assert!(store.load("k").is_err());
    assert!(!store.finished("k"));
    assert!(!store.path("k").exists());
    assert_eq!(damaged(&store), 1, "moved aside");
    // A record that names a model whose file is absent (as published) is fine.
    let (_tmp, store) = store_with("k", Some(b"the model"));
    std::fs::remove_file(store.path("k").join("model.qmtl")).unwrap();
    assert!(store.finished("k"));
}

#[test]
fn a_truncated_record_or_meta_is_a_damaged_run_naming_its_file() {
    for file in ["run.json", "meta.json"] {
        let (_tmp, store) = store_with("k", None);
        let path = store.path("k").join(file);
        let whole = std::fs::read(&path).unwrap();
        std::fs::write(&path, &whole[..whole.len() / 2]).unwrap();
        let e = format!("{:#}", Run::read(&store.path("k")).unwrap_err());
        assert!(e.contains(&path.display().to_string()), "{e}");
        assert!(!store.finished("k"), "{file}");
        assert_eq!(damaged(&store), 1, "{file} moved aside");
    }
}

#[test]
fn a_record_with_impossible_scores_is_a_damaged_run() {
    // It parses, but a score is a share and every head has one.
    let edits: [fn(&mut RunRecord); 3] = [
        |r| r.test.as_mut().unwrap().avg = -5.0,
        |r| r.epochs[0].dev.heads.clear(),
        |r| r.test.as_mut().unwrap().heads.push(0.5),
    ];
    for edit in edits {
        let (_tmp, store) = store_with("k", None);
        let path = store.path("k").join("run.json");
        let mut record = RunRecord::read(&path).unwrap();
        edit(&mut record);
        std::fs::write(&path, record.to_json()).unwrap();
        let e = format!("{:#}", Run::read(&store.path("k")).unwrap_err());
        assert!(e.contains("outside [0, 1] or not one per head"), "{e}");
        assert!(!store.finished("k"));
        assert_eq!(damaged(&store), 1);
    }
}
