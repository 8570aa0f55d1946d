//! `run.json` through its one type, `RunRecord`: a record written and read
//! back is the same value; a record that is truncated, of a newer schema or
//! carries a field the schema lacks is an error naming the file (and the
//! field); a model beside a record must have the SHA-256 the record names.
//! The published records of `results/paper` are read by the xtask's tests.

use models::confidence::Collector;
use models::pta::{DecoderUpdate, Inference, PtaConfig};
use models::record::{
    DataFile, ModelRef, Norms, PtaRecord, RunConfig, Software, TestScores, SCHEMA,
};
use models::train::EpochReport;
use models::{Metric, Mode, RecordError, RunRecord, Scores, TrainConfig};
use std::path::{Path, PathBuf};

fn scores(n: usize, at: f64) -> Scores {
    let heads: Vec<f64> = (0..n)
        .map(|j| at + 0.01 * (j as f64 * 0.37).sin())
        .collect();
    Scores {
        avg: heads.iter().sum::<f64>() / n as f64 + 0.001,
        heads,
    }
}

fn file(name: &str) -> DataFile {
    DataFile {
        path: PathBuf::from(format!("/data/{name}.conllu")),
        sha256: format!("{:064x}", name.len()),
    }
}

/// A PTA record with every optional part present.
fn record() -> RunRecord {
    let k = 3;
    let mut c = Collector::new(k);
    for i in 0..40 {
        let x = (i as f64 * 0.37).sin().abs();
        c.add(x, i % (k + 1), x > 0.3);
    }
    let update = DecoderUpdate {
        epoch: 2,
        after_sentences: 17,
        best_head: 1,
        dev: scores(k, 0.8).heads,
    };
    let epochs: Vec<EpochReport> = (1..=2)
        .map(|e| EpochReport {
            epoch: e,
            train_seconds: 1.25 * e as f64,
            train_tokens: 1000,
            tokens_per_second: 800.0 / e as f64,
            dev: scores(k, 0.7 + 0.05 * e as f64),
            decoder_updates: if e == 2 { vec![update.clone()] } else { vec![] },
        })
        .collect();
    let test = scores(k, 0.78);
    RunRecord {
        schema: SCHEMA,
        config: RunConfig {
            train: TrainConfig {
                mode: Mode::Pta,
                heads: k,
                epochs: 2,
                pta: Some(PtaConfig::default()),
                ..TrainConfig::default()
            },
            train_file: file("train"),
            dev_file: file("dev"),
            test_file: Some(file("test")),
            embeddings_file: None,
            dataset: Some("ta".into()),
            max_sentences: Some(50),
            threads: 2,
        },
        metric: Metric::Accuracy,
        epochs,
        test: Some(TestScores::new(&test, Some(1))),
        norms: Norms {
            V: vec![1.5, 2.25, 3.0],
            W: vec![0.1, 0.2, 0.3],
        },
        train_seconds: 3.75,
        software: Some(Software {
            version: "0.1.0".into(),
            git_revision: "abc1234".into(),
        }),
        test_confidence: c.finish(),
        pta: Some(PtaRecord {
            selected_head: 1,
            inference: Some(Inference::Ms),
            updates: vec![update],
        }),
        model: Some(ModelRef {
            file: "model.qmtl".into(),
            sha256: corpus::sha256_hex(b"a model"),
        }),
    }
}

fn parse(bytes: &[u8]) -> Result<RunRecord, RecordError> {
    RunRecord::from_slice(bytes, Path::new("runs/k/run.json"))
}

#[test]
fn a_record_written_and_read_back_is_the_same() {
    let r = record();
    assert!(r.test_confidence.is_some(), "the fixture has every part");
    assert_eq!(parse(&r.to_json()).unwrap(), r);
    // Without the optional parts too (an STL run without a test file).
    let bare = RunRecord {
        test: None,
        software: None,
        test_confidence: None,
        pta: None,
        model: None,
        config: RunConfig {
            test_file: None,
            dataset: None,
            max_sentences: None,
            train: TrainConfig {
                mode: Mode::Stl,
                heads: 1,
                ..TrainConfig::default()
            },
            ..r.config.clone()
        },
        ..r
    };
    assert_eq!(parse(&bare.to_json()).unwrap(), bare);
}

#[test]
fn a_record_is_written_with_sorted_keys_as_before() {
    let text = String::from_utf8(record().to_json()).unwrap();
    let top: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  \"") && !l.starts_with("   "))
        .map(|l| l.trim().split('"').nth(1).unwrap())
        .collect();
    let mut sorted = top.clone();
    sorted.sort();
    assert_eq!(top, sorted);
    assert!(top.contains(&"schema") && top.contains(&"model"), "{top:?}");
}

/// An edit of a record's JSON.
type Edit = fn(&mut serde_json::Value);

/// The record as a JSON value, edited by `f`, as bytes.
fn edited(f: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(&record().to_json()).unwrap();
    f(&mut v);
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn a_record_without_a_schema_is_version_1() {
    let bytes = edited(|v| {
        v.as_object_mut().unwrap().remove("schema");
    });
    assert_eq!(parse(&bytes).unwrap().schema, 1);
    // Version 1 records of older builds lack the model, software and confidence.
    let bytes = edited(|v| {
        for k in ["schema", "model", "software", "test_confidence"] {
            v.as_object_mut().unwrap().remove(k);
        }
        v["config"].as_object_mut().unwrap().remove("max_sentences");
    });
    let r = parse(&bytes).unwrap();
    assert!(r.model.is_none() && r.software.is_none() && r.config.max_sentences.is_none());
}

#[test]
fn a_truncated_record_is_an_error_naming_the_file() {
    let whole = record().to_json();
    for cut in [0, 1, whole.len() / 2, whole.len() - 1] {
        let e = parse(&whole[..cut]).unwrap_err().to_string();
        assert!(
            e.contains("runs/k/run.json is not a whole run record"),
            "{cut}: {e}"
        );
    }
    // Whole JSON, but not a record: a required field missing, a wrong type.
    for f in [
        (|v: &mut serde_json::Value| {
            v.as_object_mut().unwrap().remove("epochs");
        }) as Edit,
        |v| v["test"]["avg"] = "high".into(),
        |v| v["metric"] = "bleu".into(),
    ] {
        let e = parse(&edited(f)).unwrap_err().to_string();
        assert!(
            e.contains("runs/k/run.json is not a whole run record"),
            "{e}"
        );
    }
}

#[test]
fn an_unknown_field_is_an_error_naming_it() {
    let cases: [(&str, Edit); 4] = [
        ("extra", |v| v["extra"] = 1.into()),
        ("config.tagger.depth", |v| {
            v["config"]["tagger"]["depth"] = 2.into()
        }),
        ("config.learning_rate", |v| {
            v["config"]["learning_rate"] = 0.1.into()
        }),
        ("epochs[1].dev.median", |v| {
            v["epochs"][1]["dev"]["median"] = 0.5.into()
        }),
    ];
    for (field, f) in cases {
        match parse(&edited(f)) {
            Err(RecordError::Unknown { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    // A null where the writer skips an empty part is not unknown.
    assert!(parse(&edited(|v| v["test_confidence"] = serde_json::Value::Null)).is_ok());
}

#[test]
fn a_record_of_a_newer_schema_is_refused() {
    let e = parse(&edited(|v| v["schema"] = (SCHEMA + 1).into())).unwrap_err();
    assert!(matches!(e, RecordError::Newer { found, .. } if found == SCHEMA + 1));
}

#[test]
fn the_model_beside_a_record_must_have_the_named_sha256() {
    let dir = tempfile::tempdir().unwrap();
    let r = record();
    // No model in the folder (a published record): nothing to check.
    r.check_model(dir.path()).unwrap();
    std::fs::write(dir.path().join("model.qmtl"), b"a model").unwrap();
    r.check_model(dir.path()).unwrap();
    std::fs::write(dir.path().join("model.qmtl"), b"a modem").unwrap();
    let e = r.check_model(dir.path()).unwrap_err();
    assert!(matches!(e, RecordError::ModelMismatch { .. }));
    let e = e.to_string();
    assert!(e.contains("model.qmtl") && e.contains("names"), "{e}");
    // A record that names no model (older builds) cannot be checked.
    RunRecord { model: None, ..r }
        .check_model(dir.path())
        .unwrap();
}

#[test]
fn the_words_of_mode_and_metric_are_their_serde_names() {
    for m in [Mode::Stl, Mode::Qmtl, Mode::Ensemble, Mode::Pta] {
        assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
    }
    for m in [Metric::Accuracy, Metric::F1] {
        assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
    }
}

/// A run's fingerprint is what it was when `run.json`'s configuration was
/// assembled key by key with `json!` (the construction below, kept as the
/// reference), so checkpoints of older builds still resume.
#[test]
fn the_fingerprint_is_that_of_the_config_built_by_key() {
    let file = |p: &str| DataFile {
        path: p.into(),
        sha256: format!("{:064x}", p.len()),
    };
    for (with_test, with_embeds, mode) in [
        (true, false, Mode::Qmtl),
        (false, true, Mode::Pta),
        (true, true, Mode::Stl),
    ] {
        let cfg = TrainConfig {
            mode,
            pta: (mode == Mode::Pta).then(PtaConfig::default),
            ..TrainConfig::default()
        };
        let run = RunConfig {
            train: cfg.clone(),
            train_file: file("/d/train.conllu"),
            dev_file: file("/d/dev.conllu"),
            test_file: with_test.then(|| file("/d/test.conllu")),
            embeddings_file: with_embeds.then(|| file("/d/vectors.txt")),
            dataset: with_test.then(|| "ta".to_string()),
            max_sentences: with_embeds.then_some(7),
            threads: 3,
        };
        let mut old = serde_json::to_value(&cfg).unwrap();
        let by_key = |d: &DataFile| serde_json::json!({"path": d.path, "sha256": Some(&d.sha256)});
        old["train_file"] = by_key(&run.train_file);
        old["dev_file"] = by_key(&run.dev_file);
        old["test_file"] = run
            .test_file
            .as_ref()
            .map(by_key)
            .unwrap_or(serde_json::Value::Null);
        old["embeddings_file"] = match &run.embeddings_file {
            Some(e) => serde_json::json!({"path": e.path, "sha256": Some(&e.sha256)}),
            None => serde_json::Value::Null,
        };
        old["dataset"] = serde_json::json!(run.dataset);
        old["max_sentences"] = serde_json::json!(run.max_sentences);
        use sha2::{Digest, Sha256};
        let want: String = Sha256::digest(format!("{old}|f1").as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(run.fingerprint(Metric::F1), want, "{mode:?}");
    }
}
