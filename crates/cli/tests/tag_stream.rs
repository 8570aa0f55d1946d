//! `qmtl tag` on raw text and on large inputs: Unicode tokenization into valid
//! CoNLL-U, output that does not depend on `--threads`, streaming (output comes
//! before the input has ended), an atomic `--output`, and errors that name the line.
//! One small Q-MTL(3) model is trained per test on a generated corpus.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

mod common;
use common::{conllu, qmtl, ENDS, STEMS};

fn ok(o: &Output) -> Vec<u8> {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "stderr: {err}");
    assert!(
        err.is_empty(),
        "no progress when stderr is not a terminal: {err}"
    );
    o.stdout.clone()
}

/// A user error: exit 1, one `qmtl: error: ...` line, no panic.
fn user_error(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("qmtl: error: "), "{err}");
    err
}

/// `n` lines of raw text, sentence `i` ending in the number `i` and a full stop,
/// every seventh line holding two sentences.
fn raw_text(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let words: Vec<String> = (0..2 + i % 5)
            .map(|j| format!("{}{}", STEMS[(i + j) % 6], ENDS[(i * 3 + j) % 3].0))
            .collect();
        out.push_str(&format!("{}, {i}.", words.join(" ")));
        if i % 7 == 0 {
            out.push_str(" Kax loy!");
        }
        out.push('\n');
    }
    out
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        Setup {
            dir: common::trained_qmtl3(&conllu(40, 0), 1),
        }
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn tag(&self, extra: &[&str]) -> Output {
        let mut args = vec!["tag", "--model", "m/model.qmtl"];
        args.extend_from_slice(extra);
        qmtl(self.dir.path(), &args)
    }
}

/// The sentences of a CoNLL-U text: comment lines and token lines split at tabs.
fn sentences(out: &str) -> Vec<(Vec<&str>, Vec<Vec<&str>>)> {
    out.split_terminator("\n\n")
        .map(|block| {
            let (c, t): (Vec<&str>, Vec<&str>) = block.lines().partition(|l| l.starts_with('#'));
            (c, t.iter().map(|l| l.split('\t').collect()).collect())
        })
        .collect()
}

#[test]
fn raw_text_becomes_valid_conllu() {
    let s = Setup::new();
    let text = "Kax loy miz. Pez, rax!\n\nநான் வீட்டுக்குப் போனேன்.\nΚαλημέρα κόσμε!\n";
    std::fs::write(s.path("in.txt"), text).unwrap();
    let out = String::from_utf8(ok(&s.tag(&["--input", "in.txt", "--probs"]))).unwrap();
    let sents = sentences(&out);
    let texts: Vec<&str> = sents.iter().map(|(c, _)| c[1]).collect();
    #[rustfmt::skip]
    assert_eq!(texts, ["# text = Kax loy miz.", "# text = Pez, rax!",
        "# text = நான் வீட்டுக்குப் போனேன்.", "# text = Καλημέρα κόσμε!"]);
    for (n, (comments, tokens)) in sents.iter().enumerate() {
        assert_eq!(comments[0], format!("# sent_id = {}", n + 1));
        // The forms with SpaceAfter rebuild the # text line, as CoNLL-U requires.
        let mut rebuilt = String::new();
        for (i, t) in tokens.iter().enumerate() {
            assert_eq!(t.len(), 10, "{t:?}");
            assert_eq!(t[0], (i + 1).to_string());
            assert!(["NOUN", "VERB", "ADJ"].contains(&t[3]), "{t:?}");
            let misc: Vec<&str> = t[9].split('|').collect();
            assert!(misc[misc.len() - 2].starts_with("QmtlProb=0."), "{t:?}");
            assert!(misc[misc.len() - 1].starts_with("QmtlAgree="), "{t:?}");
            assert!(misc[misc.len() - 1].ends_with("/3"), "{t:?}");
            rebuilt.push_str(t[1]);
            if misc[0] != "SpaceAfter=No" && i + 1 < tokens.len() {
                rebuilt.push(' ');
            }
        }
        assert_eq!(format!("# text = {rebuilt}"), comments[1]);
    }
    let forms: Vec<&str> = sents[1].1.iter().map(|t| t[1]).collect();
    assert_eq!(forms, ["Pez", ",", "rax", "!"]);
    // The output is CoNLL-U that tag reads back with the same tokens and tags.
    std::fs::write(s.path("out.conllu"), &out).unwrap();
    let again = ok(&s.tag(&["--input", "out.conllu"]));
    assert_eq!(String::from_utf8(again).unwrap(), out);
}

#[test]
fn paragraphs_read_hard_wrapped_lines_as_one() {
    let s = Setup::new();
    // Two paragraphs, hard-wrapped, with a CRLF line and a paragraph that ends
    // the file without a blank line.
    // "ka-x" is "kax" hyphenated at a line end; the model knows "kax".
    let text = "Kax loy\nmiz. Pez\r\nrax lox!\n\n  \nNuy\nka-\nx\n";
    std::fs::write(s.path("in.txt"), text).unwrap();
    let texts = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["--input", "in.txt"];
        args.extend_from_slice(extra);
        let out = String::from_utf8(ok(&s.tag(&args))).unwrap();
        sentences(&out)
            .iter()
            .map(|(c, _)| c[1].to_string())
            .collect()
    };
    assert_eq!(
        texts(&[]),
        [
            "# text = Kax loy",
            "# text = miz.",
            "# text = Pez",
            "# text = rax lox!",
            "# text = Nuy",
            "# text = ka-",
            "# text = x"
        ]
    );
    assert_eq!(
        texts(&["--paragraphs"]),
        [
            "# text = Kax loy miz.",
            "# text = Pez rax lox!",
            "# text = Nuy kax"
        ]
    );
    // With whitespace tokens, one sentence per paragraph, and no training words
    // to say that "ka-x" is "kax".
    assert_eq!(
        texts(&["--paragraphs", "--tokenize", "whitespace"]),
        ["# text = Kax loy miz. Pez rax lox!", "# text = Nuy ka-x"]
    );
    // The same bytes whatever the threads.
    let one = ok(&s.tag(&["--input", "in.txt", "--paragraphs", "--threads", "1"]));
    let three = ok(&s.tag(&["--input", "in.txt", "--paragraphs", "--threads", "3"]));
    assert_eq!(one, three);
    let e = user_error(&s.tag(&["--input", "in.txt", "--format", "conllu", "--paragraphs"]));
    assert!(e.contains("--paragraphs"), "{e}");
    // Input that reads as CoNLL-U keeps its tokens: asking to cut it is an error,
    // not ignored.
    std::fs::write(s.path("in.conllu"), conllu(2, 0)).unwrap();
    for flag in [&["--paragraphs"][..], &["--tokenize", "unicode"]] {
        let mut args = vec!["--input", "in.conllu"];
        args.extend_from_slice(flag);
        let e = user_error(&s.tag(&args));
        assert!(e.contains("in.conllu reads as CoNLL-U"), "{e}");
    }
}

#[test]
fn whitespace_tokenizer_keeps_one_sentence_per_line() {
    let s = Setup::new();
    std::fs::write(s.path("in.txt"), "Kax loy. Miz!\npez\n").unwrap();
    let out = String::from_utf8(ok(&s.tag(&[
        "--input",
        "in.txt",
        "--tokenize",
        "whitespace",
    ])))
    .unwrap();
    let sents = sentences(&out);
    assert_eq!(sents.len(), 2);
    let forms: Vec<&str> = sents[0].1.iter().map(|t| t[1]).collect();
    assert_eq!(forms, ["Kax", "loy.", "Miz!"]);
    assert!(sents[0].1.iter().all(|t| t[9] == "_"));
    let e = user_error(&s.tag(&[
        "--input",
        "in.txt",
        "--format",
        "conllu",
        "--tokenize",
        "unicode",
    ]));
    assert!(e.contains("--tokenize"), "{e}");
}

#[test]
fn output_is_in_input_order_and_the_same_bytes_whatever_the_threads() {
    let s = Setup::new();
    // Well over one batch (64 KiB) of each format.
    const N: usize = 8000;
    let text = raw_text(N);
    assert!(text.len() > 2 * 64 * 1024, "{} bytes", text.len());
    std::fs::write(s.path("in.txt"), &text).unwrap();
    std::fs::write(s.path("in.conllu"), conllu(3000, 5)).unwrap();
    // One sentence of ten windows (2048 tokens each), larger than a batch (64 KiB):
    // tagged a window per thread.
    let words: Vec<String> = (0..20_000)
        .map(|i| format!("{}{}", STEMS[i % 6], ENDS[i * 7 % 3].0))
        .collect();
    let line = words.join(" ") + "\n";
    assert!(line.len() > 64 * 1024, "{} bytes", line.len());
    std::fs::write(s.path("long.txt"), line).unwrap();
    let long: String = words
        .iter()
        .enumerate()
        .map(|(i, w)| format!("{}\t{w}\t_\t_\t_\t_\t0\t_\t_\t_\n", i + 1))
        .collect();
    std::fs::write(s.path("long.conllu"), long + "\n").unwrap();
    for input in ["in.txt", "in.conllu", "long.txt", "long.conllu"] {
        let one = ok(&s.tag(&["--input", input, "--threads", "1", "--probs"]));
        for threads in ["2", "3"] {
            let many = ok(&s.tag(&["--input", input, "--threads", threads, "--probs"]));
            assert!(one == many, "{input}: --threads {threads} differs from 1");
        }
        if input == "in.txt" {
            // Sentence i of line i ends in "i ."; sent_ids count up from 1.
            let out = String::from_utf8(one).unwrap();
            let sents = sentences(&out);
            assert_eq!(sents.len(), N + N.div_ceil(7));
            let mut line = 0;
            for (n, (comments, tokens)) in sents.iter().enumerate() {
                assert_eq!(comments[0], format!("# sent_id = {}", n + 1));
                if tokens[0][1] != "Kax" {
                    let k = tokens.len();
                    assert_eq!(
                        [tokens[k - 2][1], tokens[k - 1][1]],
                        [&line.to_string(), "."]
                    );
                    line += 1;
                }
            }
            assert_eq!(line, N);
        }
    }
}

#[test]
fn output_starts_before_the_input_ends() {
    let s = Setup::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_qmtl"))
        .args(["tag", "--model", "m/model.qmtl", "--threads", "2"])
        .current_dir(s.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut first = vec![0u8; 4096];
        stdout.read_exact(&mut first).unwrap();
        tx.send(first).unwrap();
        let mut rest = Vec::new();
        stdout.read_to_end(&mut rest).unwrap();
        rest
    });
    // Two batches' worth of text, then stdin stays open.
    stdin.write_all(raw_text(6000).as_bytes()).unwrap();
    stdin.flush().unwrap();
    let first = rx.recv_timeout(std::time::Duration::from_secs(120));
    drop(stdin);
    let first = first.expect("no output within 120 s while the input was still open");
    assert!(first.starts_with(b"# sent_id = 1\n# text = "));
    reader.join().unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn output_file_is_replaced_only_when_everything_was_tagged() {
    let s = Setup::new();
    std::fs::write(s.path("out.conllu"), "old\n").unwrap();
    // Invalid UTF-8 far into the input: two batches were written before it.
    let mut bytes = raw_text(5000).into_bytes();
    bytes.extend_from_slice(b"kax \xff loy\n");
    std::fs::write(s.path("bad.txt"), &bytes).unwrap();
    let e = user_error(&s.tag(&["--input", "bad.txt", "--output", "out.conllu"]));
    assert!(e.contains("bad.txt:5001: invalid UTF-8"), "{e}");
    assert_eq!(
        std::fs::read_to_string(s.path("out.conllu")).unwrap(),
        "old\n"
    );
    let leftovers = || {
        std::fs::read_dir(s.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect::<Vec<_>>()
    };
    assert_eq!(leftovers(), Vec::<String>::new());
    std::fs::write(s.path("good.txt"), raw_text(100)).unwrap();
    let o = s.tag(&["--input", "good.txt", "--output", "out.conllu"]);
    assert!(ok(&o).is_empty(), "nothing on stdout with --output");
    let stdout = ok(&s.tag(&["--input", "good.txt"]));
    assert!(std::fs::read(s.path("out.conllu")).unwrap() == stdout);
    assert_eq!(leftovers(), Vec::<String>::new());
}

#[test]
fn errors_in_later_batches_name_their_line() {
    let s = Setup::new();
    let mut text = conllu(2000, 0);
    let line = text.lines().count() + 2;
    text.push_str("# a sentence with a short line\n1\tkax\t_\n\n");
    std::fs::write(s.path("bad.conllu"), &text).unwrap();
    let e = user_error(&s.tag(&["--input", "bad.conllu"]));
    assert!(
        e.contains(&format!("bad.conllu:{line}: wrong number of columns")),
        "{e}"
    );
}

#[test]
fn conllu_and_column_input_keep_every_other_byte() {
    let s = Setup::new();
    // CRLF endings and a comment-only block survive; only UPOS changes.
    let blank = conllu(5, 2)
        .replace("\tNOUN\t", "\t_\t")
        .replace("\tVERB\t", "\t_\t");
    let crlf = format!("# newdoc\n\n{}", blank.replace("\tADJ\t", "\t_\t")).replace('\n', "\r\n");
    std::fs::write(s.path("in.conllu"), &crlf).unwrap();
    let out = String::from_utf8(ok(&s.tag(&["--input", "in.conllu"]))).unwrap();
    assert_eq!(out.split("\r\n").count(), crlf.split("\r\n").count());
    for (a, b) in crlf.split("\r\n").zip(out.split("\r\n")) {
        let (fa, fb): (Vec<&str>, Vec<&str>) = (a.split('\t').collect(), b.split('\t').collect());
        if fa.len() == 10 {
            assert!(["NOUN", "VERB", "ADJ"].contains(&fb[3]), "{b}");
            assert_eq!((&fa[..3], &fa[4..]), (&fb[..3], &fb[4..]));
        } else {
            assert_eq!(a, b);
        }
    }
    std::fs::write(s.path("in.ner"), "-DOCSTART- O\n\nkax O\nloy  O\n\nmiz O\n").unwrap();
    let out = ok(&s.tag(&["--input", "in.ner", "--format", "columns"]));
    let out = String::from_utf8(out).unwrap();
    let kept: Vec<&str> = out
        .lines()
        .map(|l| l.rsplit_once(' ').map_or(l, |p| p.0))
        .collect();
    assert_eq!(kept, ["-DOCSTART-", "", "kax", "loy ", "", "miz"]);
    let tag = out.lines().nth(2).unwrap().rsplit_once(' ').unwrap().1;
    assert!(["NOUN", "VERB", "ADJ"].contains(&tag), "{out}");
}

#[test]
fn column_input_read_as_text_draws_a_warning() {
    let s = Setup::new();
    // Column files are not detected (a line of text could pass for one), but a
    // first line of a word and one of the model's tags is named.
    std::fs::write(s.path("in.cols"), "\nkax NOUN\nloy VERB\n").unwrap();
    let o = s.tag(&["--input", "in.cols"]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("in.cols:2: `kax NOUN` looks like a column file")
            && err.contains("--format columns"),
        "{err}"
    );
    // Text, and columns said to be columns, draw none.
    std::fs::write(s.path("in.txt"), "kax loy NOUNS\n").unwrap();
    for args in [["--input", "in.txt"], ["--input", "in.cols"]] {
        let mut args = args.to_vec();
        if args[1] == "in.cols" {
            args.extend(["--format", "columns"]);
        }
        ok(&s.tag(&args));
    }
}

#[test]
fn column_tags_are_replaced_where_the_reader_cuts_them() {
    // A no-break space ends "B-LOC\u{a0}", a tag of the space-separated line
    // (it once cut inside that character and panicked); a tab-separated tag
    // may hold a space and is replaced whole.
    let s = Setup::new();
    std::fs::write(s.path("in.ner"), "kax B-LOC\u{a0}\nloy O\n\nmiz\tB LOC\n\n").unwrap();
    let out = String::from_utf8(ok(&s.tag(&["--input", "in.ner", "--format", "columns"]))).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    let tag = |l: &str, sep: char| l.rsplit_once(sep).unwrap().1.to_string();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(
        lines[0].starts_with("kax ") && lines[3].starts_with("miz\t"),
        "{out}"
    );
    for (l, sep) in [(lines[0], ' '), (lines[1], ' '), (lines[3], '\t')] {
        assert!(
            ["NOUN", "VERB", "ADJ"].contains(&tag(l, sep).as_str()),
            "{out}"
        );
    }
}
