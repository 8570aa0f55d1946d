//! `qmtl train`, `eval` and `tag` on a small generated corpus: determinism
//! across thread counts, tagging stdin, PTA's record, and the error policy for
//! bad flags and damaged models. The pipeline end to end (train -> run.json ->
//! eval, tag -> score) is tested in the workspace's `tests/`.

use std::path::PathBuf;
use std::process::{Command, Output};

mod common;
use common::{conllu, qmtl};

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A user error: exit 1, the last stderr line `qmtl: error: ...`, no panic.
fn user_error(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let last = err.lines().last().unwrap_or_default().to_string();
    assert!(last.starts_with("qmtl: error: "), "{err}");
    last
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("train.conllu"), conllu(40, 0)).unwrap();
        std::fs::write(dir.path().join("dev.conllu"), conllu(10, 1)).unwrap();
        std::fs::write(dir.path().join("test.conllu"), conllu(10, 2)).unwrap();
        Setup { dir }
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn train(&self, out: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "train",
            "--train",
            "train.conllu",
            "--dev",
            "dev.conllu",
            "--test",
            "test.conllu",
            "--out",
            out,
            "--epochs",
            "2",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        qmtl(self.dir.path(), &args)
    }
}

#[test]
fn same_seed_same_model_bytes_whatever_the_threads() {
    let s = Setup::new();
    ok(&s.train(
        "a",
        &["--mode", "ensemble", "--heads", "2", "--threads", "1"],
    ));
    ok(&s.train(
        "b",
        &["--mode", "ensemble", "--heads", "2", "--threads", "2"],
    ));
    let (a, b) = (
        std::fs::read(s.path("a/model.qmtl")).unwrap(),
        std::fs::read(s.path("b/model.qmtl")).unwrap(),
    );
    assert!(
        a == b,
        "ensemble model files differ between 1 and 2 threads"
    );
}

#[test]
fn tag_plain_text_from_stdin() {
    use std::io::Write;
    let s = Setup::new();
    ok(&s.train("m", &["--mode", "stl"]));
    let mut child = Command::new(env!("CARGO_BIN_EXE_qmtl"))
        .args(["tag", "--model", "m/model.qmtl"])
        .current_dir(s.dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"kax loy miz\nunseenword\n")
        .unwrap();
    let out = ok(&child.wait_with_output().unwrap());
    let tokens: Vec<Vec<&str>> = out
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(tokens.len(), 4, "{out}");
    assert_eq!(tokens[2][..2], ["3", "miz"]);
    assert_eq!(tokens[3][..2], ["1", "unseenword"]);
    assert!(tokens.iter().all(|t| t.len() == 10));
}

#[test]
fn bad_flags_and_files_are_one_line_errors() {
    let s = Setup::new();
    let e = user_error(&s.train("x", &["--heads", "0"]));
    assert!(e.contains("--heads"), "{e}");
    let e = user_error(&s.train("x", &["--mode", "stl", "--heads", "3"]));
    assert!(e.contains("stl"), "{e}");
    let e = user_error(&s.train("x", &["--label-noise", "1.5"]));
    assert!(e.contains("label noise"), "{e}");
    let e = user_error(&qmtl(
        s.dir.path(),
        &[
            "train",
            "--train",
            "nope.conllu",
            "--dev",
            "dev.conllu",
            "--out",
            "x",
            "--quiet",
        ],
    ));
    assert!(e.contains("nope.conllu"), "{e}");
    std::fs::write(s.path("bad.conllu"), "1\tword\n").unwrap();
    let e = user_error(&qmtl(
        s.dir.path(),
        &[
            "train",
            "--train",
            "bad.conllu",
            "--dev",
            "dev.conllu",
            "--out",
            "x",
            "--quiet",
            "--format",
            "conllu",
        ],
    ));
    assert!(e.contains("bad.conllu:1"), "{e}");
}

#[test]
fn damaged_model_is_a_clear_error() {
    let s = Setup::new();
    ok(&s.train("m", &["--mode", "stl"]));
    let bytes = std::fs::read(s.path("m/model.qmtl")).unwrap();
    std::fs::write(s.path("cut.qmtl"), &bytes[..bytes.len() / 2]).unwrap();
    let e = user_error(&qmtl(
        s.dir.path(),
        &["eval", "--model", "cut.qmtl", "--test", "test.conllu"],
    ));
    assert!(e.contains("cut.qmtl") && e.contains("truncated"), "{e}");
    std::fs::write(s.path("junk.qmtl"), b"not a model at all").unwrap();
    let e = user_error(&qmtl(
        s.dir.path(),
        &["tag", "--model", "junk.qmtl", "--input", "test.conllu"],
    ));
    assert!(
        e.contains("junk.qmtl") && e.contains("not a qmtl model"),
        "{e}"
    );
}

#[test]
fn pta_records_selection_and_updates() {
    let s = Setup::new();
    ok(&s.train(
        "p",
        &[
            "--mode",
            "pta",
            "--heads",
            "3",
            "--pta-updates-per-epoch",
            "2",
            "--pta-greedy",
        ],
    ));
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.path("p/run.json")).unwrap()).unwrap();
    assert_eq!(run["config"]["mode"], "pta");
    assert_eq!(
        run["config"]["tagger"]["mlp"], 0,
        "PTA's heads are linear by default"
    );
    let j = run["pta"]["selected_head"].as_u64().unwrap() as usize;
    let last = &run["epochs"][1]["dev"]["heads"];
    let best = (0..3).fold(0, |b, k| {
        if last[k].as_f64() > last[b].as_f64() {
            k
        } else {
            b
        }
    });
    assert_eq!(j, best, "model selection takes the best final dev head");
    assert_eq!(run["test"]["selected"], run["test"]["heads"][j]);
    let typed = models::RunRecord::read(&s.path("p/run.json")).unwrap();
    assert_eq!(typed.pta.as_ref().map(|p| p.selected_head), Some(j));
    assert_eq!(
        typed.test.and_then(|t| t.selected),
        run["test"]["selected"].as_f64()
    );
    assert_eq!(
        run["pta"]["updates"].as_array().unwrap().len(),
        4,
        "2 epochs x 2 updates"
    );
    let out = ok(&qmtl(
        s.dir.path(),
        &[
            "eval",
            "--model",
            "p/model.qmtl",
            "--test",
            "test.conllu",
            "--json",
        ],
    ));
    let ev: models::EvalReport = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        ev.avg, run["test"]["heads"][j],
        "the saved MS model predicts with the selected head"
    );
    assert_eq!(ev.selected_head, Some(j));
}

#[test]
fn pta_options_are_checked() {
    let s = Setup::new();
    let e = user_error(&s.train("x", &["--pta-greedy"]));
    assert!(e.contains("--mode pta"), "{e}");
    let e = user_error(&s.train("x", &["--mode", "pta", "--pta-greedy"]));
    assert!(e.contains("--pta-updates-per-epoch"), "{e}");
}
