//! A corpus file through the whole pipeline: `qmtl train` writes `model.qmtl`
//! and `run.json`, read back with `models::RunRecord` (the one type that owns
//! the format), and `qmtl eval` of the saved model repeats the record's test
//! scores; then a generated treebank, put where the registry looks for Tamil,
//! goes through `cargo xtask reproduce` (which runs `qmtl train`) to the
//! report, whose Table 2 shows the records' numbers. Needs no corpora.

use std::path::Path;

use corpus::registry::sha256_file;
use corpus::{Registry, Split};
use models::RunRecord;
use qmtl_e2e::{bins, conllu, generated_files, ok, qmtl, reproduce, train};

#[test]
fn train_writes_model_and_run_json_and_eval_agrees() {
    let dir = generated_files();
    let d = dir.path();
    ok(&train(d, "q", &["--heads", "3"]));
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("q/run.json")).unwrap()).unwrap();
    assert_eq!(run["metric"], "accuracy");
    assert_eq!(run["config"]["mode"], "qmtl");
    assert_eq!(run["config"]["heads"], 3);
    assert_eq!(run["config"]["seed"], 1);
    assert_eq!(
        run["config"]["train_file"]["sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    let epochs = run["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 2);
    for (i, e) in epochs.iter().enumerate() {
        assert_eq!(e["epoch"], i + 1);
        assert!(e["train_seconds"].as_f64().unwrap() > 0.0);
        assert!(e["tokens_per_second"].as_f64().unwrap() > 0.0);
        assert_eq!(e["dev"]["heads"].as_array().unwrap().len(), 3);
        let avg = e["dev"]["avg"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&avg));
    }
    assert_eq!(run["norms"]["V"].as_array().unwrap().len(), 3);
    assert_eq!(run["norms"]["W"].as_array().unwrap().len(), 3);
    let total: f64 = epochs
        .iter()
        .map(|e| e["train_seconds"].as_f64().unwrap())
        .sum();
    assert!((run["train_seconds"].as_f64().unwrap() - total).abs() < 1e-9);
    // The same record through its one type (every field known, confidence present).
    let typed = models::RunRecord::read(&d.join("q/run.json")).unwrap();
    assert_eq!(typed.epochs.len(), 2);
    assert!(typed.test_confidence.is_some() && typed.pta.is_none());

    let out = ok(&qmtl(
        d,
        &[
            "eval",
            "--model",
            "q/model.qmtl",
            "--test",
            "test.conllu",
            "--json",
        ],
    ));
    let ev: models::EvalReport = serde_json::from_str(out.trim()).unwrap();
    let test = typed.test.expect("run.json has test scores");
    assert_eq!(
        ev.heads, test.heads,
        "eval of the saved model repeats train's test scores"
    );
    assert_eq!(ev.avg, test.avg);
}

/// The test score of `model` on `test` by `qmtl eval --json`.
fn eval_avg(model: &Path, test: &Path) -> f64 {
    let out = ok(&qmtl(
        model.parent().unwrap(),
        &[
            "eval",
            "--model",
            model.to_str().unwrap(),
            "--test",
            test.to_str().unwrap(),
            "--json",
        ],
    ));
    let ev: models::EvalReport = serde_json::from_str(out.trim()).unwrap();
    ev.avg
}

#[test]
fn a_generated_treebank_goes_through_reproduce_to_the_report() {
    // The generated corpus where the registry looks for Tamil-TTB in a data
    // folder, so `--data-dir` finds it before any real corpus.
    let data = tempfile::tempdir().unwrap();
    let ta = Registry::builtin().get("ta").unwrap();
    let file = |split: Split| data.path().join(&ta.file(split).path);
    for (split, n, offset) in [
        (Split::Train, 40, 0),
        (Split::Dev, 10, 1),
        (Split::Test, 10, 2),
    ] {
        std::fs::create_dir_all(file(split).parent().unwrap()).unwrap();
        std::fs::write(file(split), conllu(n, offset)).unwrap();
    }
    let results = tempfile::tempdir().unwrap();
    let smoke_table2 = [
        "--profile",
        "smoke",
        "--only",
        "table2",
        "--datasets",
        "ta",
        "--jobs",
        "2",
        "--data-dir",
        data.path().to_str().unwrap(),
    ];
    ok(&reproduce(&bins().qmtl, results.path(), &smoke_table2)
        .env_remove("QMTL_DATA")
        .output()
        .unwrap());

    let mut runs: Vec<(std::path::PathBuf, RunRecord)> = Vec::new();
    for e in std::fs::read_dir(results.path().join("runs")).unwrap() {
        let dir = e.unwrap().path();
        if dir.file_name().unwrap().to_string_lossy().starts_with('.') {
            continue;
        }
        let record = RunRecord::read(&dir.join("run.json")).unwrap();
        record.check_model(&dir).unwrap();
        runs.push((dir, record));
    }
    runs.sort_by_key(|(_, r)| r.config.train.heads);
    let ks: Vec<usize> = runs.iter().map(|(_, r)| r.config.train.heads).collect();
    assert_eq!(ks, [1, 3, 6], "the smoke profile's Table 2: k = 1, 3, 6");

    let report = std::fs::read_to_string(results.path().join("report.md")).unwrap();
    let row = report
        .lines()
        .find(|l| l.starts_with("| ta |"))
        .unwrap_or_else(|| panic!("no Table 2 row for ta in\n{report}"));
    let csv = std::fs::read_to_string(results.path().join("tables/table2.csv")).unwrap();
    let train_sha = sha256_file(&file(Split::Train)).unwrap();
    for (dir, record) in &runs {
        let k = record.config.train.heads;
        assert_eq!(record.config.dataset.as_deref(), Some("ta"));
        assert_eq!(record.config.train_file.sha256, train_sha, "k = {k}");
        assert_eq!(record.config.max_sentences, Some(20), "k = {k}");
        assert_eq!(record.epochs.len(), 2, "k = {k}");
        // The report shows the record's last dev score, as a percentage in
        // the table and as a fraction in its CSV.
        let dev = record.last_dev().unwrap().avg;
        assert!(
            row.contains(&format!(" {:.2} |", 100.0 * dev)),
            "k = {k}: dev {dev} not in {row}"
        );
        assert!(
            csv.contains(&format!("ta,{k},{dev:.6},")),
            "k = {k}: dev {dev} not in\n{csv}"
        );
        // The saved model gives the record's test score (the test file has
        // fewer sentences than the profile's cap).
        let test = record.test.as_ref().unwrap().avg;
        assert_eq!(eval_avg(&dir.join("model.qmtl"), &file(Split::Test)), test);
    }
}
