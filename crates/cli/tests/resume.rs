//! A killed `qmtl train` resumes from its last finished epoch and ends exactly
//! as an uninterrupted run: the same model bytes, the same scores. The kill is
//! simulated by the `QMTL_ABORT_AFTER_EPOCH` hook, which exits right after the
//! epoch's checkpoint is written.

use std::path::Path;
use std::process::Output;

mod common;
use common::conllu;

fn train(dir: &Path, out: &str, extra: &[&str], abort_after: Option<usize>) -> Output {
    let mut c = common::train_command(dir, out, 3);
    c.args(["--label-noise", "0.2"])
        .args(extra)
        .env_remove("QMTL_ABORT_AFTER_EPOCH");
    if let Some(n) = abort_after {
        c.env("QMTL_ABORT_AFTER_EPOCH", n.to_string());
    }
    c.output().unwrap()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// run.json without what depends on the clock.
fn without_times(mut v: serde_json::Value) -> serde_json::Value {
    v["train_seconds"] = 0.into();
    for e in v["epochs"].as_array_mut().unwrap() {
        e["train_seconds"] = 0.into();
        e["tokens_per_second"] = 0.into();
    }
    v
}

fn check_resume(extra: &[&str]) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    std::fs::write(dir.join("train.conllu"), conllu(40, 0)).unwrap();
    std::fs::write(dir.join("dev.conllu"), conllu(10, 1)).unwrap();
    std::fs::write(dir.join("test.conllu"), conllu(10, 2)).unwrap();

    let whole = train(dir, "whole", extra, None);
    assert!(
        whole.status.success(),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    assert!(
        !dir.join("whole/checkpoint.qmtl").exists(),
        "a finished run keeps no checkpoint"
    );

    // Killed after epoch 1, then after epoch 2 of the resumed run, then finished.
    for (n, expect_epochs) in [(1, 1), (2, 2)] {
        let o = train(dir, "cut", extra, Some(n));
        assert_eq!(
            o.status.code(),
            Some(3),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!dir.join("cut/run.json").exists() && !dir.join("cut/model.qmtl").exists());
        let c = models::Checkpoint::load(&dir.join("cut/checkpoint.qmtl"))
            .unwrap()
            .unwrap();
        assert_eq!(c.reports.len(), expect_epochs);
    }
    let o = train(dir, "cut", &[extra, &["--threads", "2"]].concat(), None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!dir.join("cut/checkpoint.qmtl").exists());

    let (a, b) = (
        std::fs::read(dir.join("whole/model.qmtl")).unwrap(),
        std::fs::read(dir.join("cut/model.qmtl")).unwrap(),
    );
    assert!(
        a == b,
        "the resumed model differs from the uninterrupted one"
    );
    let (mut ra, mut rb) = (
        without_times(json(&dir.join("whole/run.json"))),
        without_times(json(&dir.join("cut/run.json"))),
    );
    ra["config"]["threads"] = 0.into();
    rb["config"]["threads"] = 0.into();
    assert_eq!(ra, rb);
}

#[test]
fn a_killed_qmtl_run_resumes_to_the_same_model() {
    check_resume(&["--heads", "3"]);
}

#[test]
fn a_killed_ensemble_resumes_to_the_same_model() {
    check_resume(&["--mode", "ensemble", "--heads", "2"]);
}

#[test]
fn a_killed_pta_run_resumes_to_the_same_model() {
    check_resume(&[
        "--mode",
        "pta",
        "--heads",
        "3",
        "--pta-updates-per-epoch",
        "2",
        "--pta-perturb",
        "0.1",
        "--pta-hyper-perturb",
        "0.05",
        "--pta-dropout",
        "0.1",
    ]);
}

#[test]
fn a_checkpoint_of_another_run_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    std::fs::write(dir.join("train.conllu"), conllu(20, 0)).unwrap();
    std::fs::write(dir.join("dev.conllu"), conllu(5, 1)).unwrap();
    std::fs::write(dir.join("test.conllu"), conllu(5, 2)).unwrap();
    let o = train(dir, "x", &["--seed", "1"], Some(1));
    assert_eq!(o.status.code(), Some(3));
    let o = train(dir, "x", &["--seed", "2"], None);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("checkpoint.qmtl belongs to another run"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
