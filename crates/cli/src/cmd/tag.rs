//! `qmtl tag`: tags text with a saved model.
//!
//! Input (a file or stdin): CoNLL-U (the UPOS column is filled), a column file
//! (the last column is replaced, so the output can go to `qmtl score`), or plain
//! text, one sentence per line, whitespace-tokenised (written as CoNLL-U). Every
//! other byte of a CoNLL-U or column input is kept. `--probs` adds, as MISC
//! fields of CoNLL-U, the averaged probability of the chosen tag and how many
//! heads chose it (`QmtlProb=0.9731|QmtlAgree=10/10`).

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use corpus::{parse_corpus, Format, Sentence};
use models::{predict, Encoded, ModelFile, Prediction};

use crate::Global;

#[derive(Args, Debug)]
pub struct TagArgs {
    /// A model written by `qmtl train` (DIR/model.qmtl).
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// Input file (default: stdin).
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Output file (default: stdout); written whole at the end, atomically.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Input format (default: CoNLL-U if it looks like it, else text).
    #[arg(long, value_enum)]
    format: Option<TagFormat>,
    /// Add the averaged probability and the heads' agreement as MISC fields.
    #[arg(long)]
    probs: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum TagFormat {
    Conllu,
    Columns,
    Text,
}

pub fn run(_g: &Global, a: TagArgs) -> Result<()> {
    let model = ModelFile::load(&a.model)?;
    let (bytes, name) = match &a.input {
        Some(p) => (
            std::fs::read(p).with_context(|| format!("{}", p.display()))?,
            p.clone(),
        ),
        None => {
            let mut b = Vec::new();
            std::io::stdin()
                .read_to_end(&mut b)
                .context("reading stdin")?;
            (b, PathBuf::from("<stdin>"))
        }
    };
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: not UTF-8 ({e})", name.display()))?;
    let format = a
        .format
        .unwrap_or_else(|| match corpus::detect_format(text) {
            Format::Conllu => TagFormat::Conllu,
            Format::Columns => TagFormat::Text,
        });
    let out = match format {
        TagFormat::Text => tag_text(&model, text, a.probs),
        TagFormat::Conllu | TagFormat::Columns => {
            let f = if format == TagFormat::Conllu {
                Format::Conllu
            } else {
                Format::Columns
            };
            let corpus = parse_corpus(&bytes, &name, Some(f))?;
            rewrite(&model, text, &corpus.sentences, f, a.probs)
        }
    };
    match &a.output {
        Some(p) => models::model_file::write_atomic(p, out.as_bytes())?,
        None => std::io::stdout().lock().write_all(out.as_bytes())?,
    }
    Ok(())
}

fn tag_all(model: &ModelFile, sentences: &[Sentence]) -> Vec<Prediction> {
    use rayon::prelude::*;
    sentences
        .par_iter()
        .map_init(autograd::Tape::new, |tape, s| {
            predict(&model.members, tape, &Encoded::from(&model.vocab.encode(s)))
        })
        .collect()
}

fn misc(p: &Prediction, i: usize) -> String {
    format!(
        "QmtlProb={:.4}|QmtlAgree={}/{}",
        p.prob[i],
        p.agree[i],
        p.heads.len()
    )
}

/// Plain text: one sentence per line, written as CoNLL-U.
fn tag_text(model: &ModelFile, text: &str, probs: bool) -> String {
    let sentences: Vec<Sentence> = text
        .lines()
        .map(|l| l.trim_start_matches('\u{feff}'))
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let words: Vec<String> = l.split_whitespace().map(String::from).collect();
            let tags = vec!["_".to_string(); words.len()];
            Sentence::new(words, tags)
        })
        .collect();
    let preds = tag_all(model, &sentences);
    let mut out = String::new();
    for (s, p) in sentences.iter().zip(&preds) {
        out.push_str(&format!("# text = {}\n", s.words.join(" ")));
        for (i, w) in s.words.iter().enumerate() {
            let tag = model.vocab.tags.name(p.tags[i]);
            let m = if probs { misc(p, i) } else { "_".into() };
            out.push_str(&format!("{}\t{w}\t_\t{tag}\t_\t_\t_\t_\t_\t{m}\n", i + 1));
        }
        out.push('\n');
    }
    out
}

/// CoNLL-U or columns: the input with each token line's tag field replaced.
fn rewrite(
    model: &ModelFile,
    text: &str,
    sentences: &[Sentence],
    format: Format,
    probs: bool,
) -> String {
    let preds = tag_all(model, sentences);
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for (s, p) in sentences.iter().zip(&preds) {
        for (i, &line) in s.lines.iter().enumerate() {
            let tag = model.vocab.tags.name(p.tags[i]);
            let l = &mut lines[line - 1];
            let crlf = l.ends_with('\r');
            let body = l.trim_end();
            *l = match format {
                Format::Conllu => {
                    let mut f: Vec<String> = body.split('\t').map(String::from).collect();
                    f[3] = tag.to_string();
                    if probs {
                        f[9] = if f[9] == "_" {
                            misc(p, i)
                        } else {
                            format!("{}|{}", f[9], misc(p, i))
                        };
                    }
                    f.join("\t")
                }
                Format::Columns => {
                    let cut = body.rfind(char::is_whitespace).map_or(0, |k| k + 1);
                    format!("{}{tag}", &body[..cut])
                }
            };
            if crlf {
                l.push('\r');
            }
        }
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    out
}
