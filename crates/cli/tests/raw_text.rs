//! Plain text cut the way the model's treebank is cut (`qmtl tag`'s default
//! `--tokenize model`), and `qmtl eval --raw`, which scores a model on a CoNLL-U
//! file's `# text` lines tokenized that way. One small model is trained on a
//! generated corpus whose tokens follow English-like conventions: "n't" and "'s"
//! cut off their words, "p.m." and hyphenated compounds whole.

use models::EvalReport;
use std::process::Output;

mod common;
use common::{conllu, qmtl};

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// One CoNLL-U sentence with its `# text`, from (form, UPOS, space after) triples.
fn sentence(tokens: &[(&str, &str, bool)]) -> String {
    let mut text = String::new();
    let mut lines = String::new();
    for (i, &(form, tag, space)) in tokens.iter().enumerate() {
        text.push_str(form);
        if space && i + 1 < tokens.len() {
            text.push(' ');
        }
        let misc = if space { "_" } else { "SpaceAfter=No" };
        lines.push_str(&format!(
            "{}\t{form}\t_\t{tag}\t_\t_\t0\t_\t_\t{misc}\n",
            i + 1
        ));
    }
    format!("# text = {text}\n{lines}\n")
}

/// The sentences the conventions come from (and the test file's).
fn conventions() -> String {
    let mut out = String::new();
    for i in 0..12 {
        // Twelve hyphenated compounds: this treebank writes them as one token.
        let compound = format!("ka{i}-lox");
        out.push_str(&sentence(&[
            ("Kax", "NOUN", true),
            ("ca", "AUX", false),
            ("n't", "PART", true),
            (&compound, "ADJ", true),
            ("Pez", "NOUN", false),
            ("'s", "PART", true),
            ("mix", "NOUN", true),
            ("at", "ADP", true),
            ("p.m.", "NOUN", false),
            ("!", "PUNCT", true),
        ]));
    }
    out
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        Setup {
            dir: common::trained_qmtl3(&(conllu(40, 0) + &conventions()), 2),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        qmtl(self.dir.path(), args)
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).unwrap();
    }

    /// The forms `qmtl tag` finds in `text` with these extra arguments.
    fn forms(&self, text: &str, extra: &[&str]) -> Vec<String> {
        self.write("in.txt", text);
        let mut args = vec!["tag", "--model", "m/model.qmtl", "--input", "in.txt"];
        args.extend_from_slice(extra);
        stdout(&self.run(&args))
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| l.split('\t').nth(1).unwrap().to_string())
            .collect()
    }

    /// `qmtl eval` of the model on `test`, with these extra arguments.
    fn eval(&self, test: &str, extra: &[&str]) -> Output {
        let mut args = vec!["eval", "--model", "m/model.qmtl", "--test", test];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn eval_raw(&self, test: &str, extra: &[&str]) -> EvalReport {
        let mut args = vec!["--json", "--raw"];
        args.extend_from_slice(extra);
        serde_json::from_str(&stdout(&self.eval(test, &args))).unwrap()
    }
}

#[test]
fn tag_cuts_plain_text_as_the_models_treebank_does() {
    let s = Setup::new();
    let text = "Kax can't kax3-mi Rax's mix at p.m.!\n";
    assert_eq!(
        s.forms(text, &[]),
        ["Kax", "ca", "n't", "kax3-mi", "Rax", "'s", "mix", "at", "p.m.", "!"]
    );
    assert_eq!(s.forms(text, &["--tokenize", "model"]), s.forms(text, &[]));
    // UAX #29 alone: "can't" and "Rax's" whole, the compound and "p.m." cut.
    assert_eq!(
        s.forms(text, &["--tokenize", "unicode"]),
        ["Kax", "can't", "kax3", "-", "mi", "Rax's", "mix", "at", "p.m", ".", "!"]
    );
}

#[test]
fn eval_raw_scores_the_tokens_found_and_the_words_tagged() {
    let s = Setup::new();
    // The training sentences' conventions: every token is found, and each text is
    // one sentence, so the tagger reads on the raw text exactly what it reads on
    // the gold tokens: the same words are tagged right.
    s.write("test.conllu", &conventions());
    let m = s.eval_raw("test.conllu", &[]);
    let r = m.raw.as_ref().expect("--raw scores");
    assert_eq!(r.tokenize, "model");
    assert_eq!([r.sentences, r.left_out], [12, 0]);
    assert_eq!([r.words, r.gold_tokens], [120, 120]);
    assert_eq!([r.found_tokens, r.matched_tokens], [120, 120]);
    assert_eq!(r.f1, 1.0);
    assert_eq!(r.accuracy, m.avg);
    // UAX #29 alone finds 11 tokens in each sentence, 4 of them right: "can't" and
    // "Pez's" come whole, the compound and "p.m." in pieces.
    let u = s
        .eval_raw("test.conllu", &["--tokenize", "unicode"])
        .raw
        .unwrap();
    assert_eq!(u.tokenize, "unicode");
    assert_eq!([u.found_tokens, u.matched_tokens], [132, 48]);
    assert!(u.accuracy <= 0.4, "{u:?}");
}

#[test]
fn multiword_tokens_are_found_but_their_words_never_tagged_right() {
    let s = Setup::new();
    // "Kaxlo" for "ka" "lox": one surface token, found, but the tagger reads
    // surface tokens, so its two words cannot be tagged right.
    s.write(
        "test.conllu",
        "# text = Kaxlo mix!\n\
         1-2\tKaxlo\t_\t_\t_\t_\t_\t_\t_\t_\n\
         1\tka\t_\tADP\t_\t_\t0\t_\t_\t_\n\
         2\tlox\t_\tNOUN\t_\t_\t0\t_\t_\t_\n\
         3\tmix\t_\tNOUN\t_\t_\t0\t_\t_\tSpaceAfter=No\n\
         4\t!\t_\tPUNCT\t_\t_\t0\t_\t_\t_\n\n\
         # text = Mix  differs.\n\
         1\tmix\t_\tNOUN\t_\t_\t0\t_\t_\t_\n\n\
         # text = abc d\n\
         1-3\tabc\t_\t_\t_\t_\t_\t_\t_\t_\n\
         1\ta\t_\tDET\t_\t_\t0\t_\t_\t_\n\
         4\td\t_\tNOUN\t_\t_\t0\t_\t_\t_\n\n",
    );
    let r = s.eval_raw("test.conllu", &[]).raw.unwrap();
    // The second sentence's token does not spell its text: left out. The third's
    // range "1-3" claims three words but one follows it: "abc" stands for that
    // one, "a", and is scored as a word of its own (such a range once made this
    // command panic). At most the 4 words outside "Kaxlo" can be right.
    assert_eq!([r.sentences, r.left_out], [2, 1]);
    assert_eq!([r.words, r.gold_tokens], [6, 5]);
    assert_eq!([r.found_tokens, r.matched_tokens], [5, 5]);
    assert!(r.accuracy <= 4.0 / 6.0, "{r:?}");
}

#[test]
fn eval_raw_needs_the_text_of_every_sentence() {
    let s = Setup::new();
    s.write("no-text.conllu", &conllu(3, 0));
    let o = s.eval("no-text.conllu", &["--raw"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no-text.conllu:2: this sentence has no `# text` comment"),
        "{err}"
    );
    s.write("cols.txt", "Kax NOUN\nmix NOUN\n");
    let o = s.eval("cols.txt", &["--raw"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cols.txt is a column file"), "{err}");
    // --tokenize belongs to --raw.
    let o = s.eval("cols.txt", &["--tokenize", "unicode"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not provided: --raw"), "{err}");
}
