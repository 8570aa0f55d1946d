//! `qmtl train --threads N` on one model (issue 11): the two directions of each
//! BiLSTM and the heads run in parallel, and the model file and every score in
//! `run.json` are the same bytes on 1, 2 and 3 threads, for Q-MTL and for STL.

use std::path::Path;

mod common;
use common::conllu;

/// Trains into `dir/out` with `args` and `--threads threads`; returns the
/// model file's bytes and the scores of `run.json`.
fn train(dir: &Path, out: &str, args: &[&str], threads: usize) -> (Vec<u8>, serde_json::Value) {
    let threads = threads.to_string();
    let o = common::train_command(dir, out, 2)
        .args(["--threads", &threads])
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?} --threads {threads}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let model = std::fs::read(dir.join(out).join("model.qmtl")).unwrap();
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(out).join("run.json")).unwrap()).unwrap();
    // Everything that is a number of the model; not the timings.
    let dev: Vec<&serde_json::Value> = run["epochs"]
        .as_array()
        .expect("run.json has epochs")
        .iter()
        .map(|e| &e["dev"])
        .collect();
    let scores = serde_json::json!({
        "model": run["model"],
        "dev": dev,
        "test": run["test"],
        "test_confidence": run["test_confidence"],
        "norms": run["norms"],
    });
    (model, scores)
}

#[test]
fn one_model_is_the_same_bytes_on_one_two_and_three_threads() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("train.conllu"), conllu(40, 0)).unwrap();
    std::fs::write(dir.path().join("dev.conllu"), conllu(10, 1)).unwrap();
    std::fs::write(dir.path().join("test.conllu"), conllu(10, 2)).unwrap();
    for (name, args) in [
        ("qmtl", &["--mode", "qmtl", "--heads", "3"][..]),
        ("stl", &["--mode", "stl"][..]),
    ] {
        let (model, scores) = train(dir.path(), &format!("{name}1"), args, 1);
        assert!(
            scores["test"]["avg"].as_f64().is_some() && scores["dev"][1].is_object(),
            "{name}: run.json lacks scores: {scores}"
        );
        for threads in [2, 3] {
            let (m, s) = train(dir.path(), &format!("{name}{threads}"), args, threads);
            assert!(
                m == model,
                "{name}: model.qmtl differs between 1 and {threads} threads"
            );
            assert_eq!(
                s, scores,
                "{name}: run.json scores, 1 and {threads} threads"
            );
        }
    }
}
