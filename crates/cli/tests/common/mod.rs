//! What the command-line tests share: a small generated CoNLL-U corpus (in
//! `generated.rs`, which the workspace's end-to-end tests include too), Table 1
//! from the registry and the `qmtl train` command on the generated files.

#![allow(dead_code)]

mod generated;
#[allow(unused_imports)] // each test binary uses its own part
pub use generated::{conllu, ENDS, STEMS};

/// Table 1 of the paper for the UD treebank `name`, from the registry
/// (`data/datasets.json`, its only copy).
pub fn table1(name: &str) -> corpus::Stats {
    let ds = corpus::Registry::builtin().get(name).unwrap();
    ds.table1
        .expect("the registry has Table 1 for every UD treebank")
}

/// `sentences/word forms/tokens` of [`table1`], as `data fetch` prints them.
pub fn table1_text(name: &str) -> String {
    let t = table1(name);
    format!("{}/{}/{}", t.sentences, t.word_forms, t.tokens)
}

/// `qmtl train` on the generated `train.conllu`, `dev.conllu` and `test.conllu`
/// in `dir`, into `dir/out`, quiet, without the data folder of the environment.
pub fn train_command(dir: &std::path::Path, out: &str, epochs: usize) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_qmtl"));
    c.args([
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
        &epochs.to_string(),
        "--quiet",
    ])
    .current_dir(dir)
    .env_remove("QMTL_DATA");
    c
}

/// A temporary folder holding `m/model.qmtl`: a Q-MTL(3) model trained for
/// `epochs` on `train` (CoNLL-U, written to `train.conllu`) with the generated
/// `conllu(10, 1)` as dev set, without the data folder of the environment.
pub fn trained_qmtl3(train: &str, epochs: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("train.conllu"), train).unwrap();
    std::fs::write(p.join("dev.conllu"), conllu(10, 1)).unwrap();
    let epochs = epochs.to_string();
    #[rustfmt::skip]
    let args = ["train", "--train", "train.conllu", "--dev", "dev.conllu", "--out", "m",
        "--mode", "qmtl", "--heads", "3", "--epochs", &epochs, "--quiet"];
    let o = qmtl(p, &args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir
}

/// `qmtl ARGS` run in `dir`, without the data folder of the environment.
pub fn qmtl(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_qmtl"))
        .args(args)
        .current_dir(dir)
        .env_remove("QMTL_DATA")
        .output()
        .unwrap()
}
