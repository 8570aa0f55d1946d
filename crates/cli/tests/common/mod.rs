//! What the command-line tests share: a small generated CoNLL-U corpus.

#![allow(dead_code)]

/// Word stems and (ending, UPOS) pairs of the generated corpus.
pub const STEMS: [&str; 6] = ["ka", "lo", "mi", "nu", "pe", "ra"];
pub const ENDS: [(&str, &str); 3] = [("x", "NOUN"), ("y", "VERB"), ("z", "ADJ")];

/// `n` CoNLL-U sentences of 3-6 tokens whose UPOS follows the word's ending;
/// `offset` gives another corpus of the same language.
pub fn conllu(n: usize, offset: usize) -> String {
    let mut out = String::new();
    for s in 0..n {
        out.push_str(&format!("# sent_id = {s}\n"));
        for i in 0..(3 + (s + offset) % 4) {
            let k = s * 7 + i * 3 + offset;
            let (end, tag) = ENDS[k % 3];
            out.push_str(&format!(
                "{}\t{}{end}\t_\t{tag}\t_\t_\t0\t_\t_\t_\n",
                i + 1,
                STEMS[k % 6]
            ));
        }
        out.push('\n');
    }
    out
}

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
