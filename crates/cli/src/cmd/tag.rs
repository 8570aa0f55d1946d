//! `qmtl tag`: tags text with a saved model.
//!
//! Input (a file or stdin): CoNLL-U (the UPOS column is filled), a column file
//! (the last column is replaced, so the output can go to `qmtl score`), or plain
//! text, written as CoNLL-U with `# sent_id` and `# text` comments and
//! `SpaceAfter=No` where no whitespace followed a token. Plain text is cut into
//! sentences and tokens by the Unicode rules (UAX #29, [`corpus::Tokenizer`]) or,
//! with `--tokenize whitespace`, one sentence per line at whitespace. Every other
//! byte of a CoNLL-U or column input is kept, its tokens untouched. `--probs` adds,
//! as MISC fields of CoNLL-U, the averaged probability of the chosen tag and how
//! many heads chose it (`QmtlProb=0.9731|QmtlAgree=10/10`).
//!
//! The input is streamed: a batch of blocks ([`input::Block`]) is read, its blocks
//! are tagged and formatted in parallel on `--threads` threads, and the batch is
//! written in input order before the next is read. Each sentence is tagged alone,
//! so the output is the same bytes whatever the number of threads.

mod input;
mod output;

use std::fmt::Write as _;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use corpus::{parse_corpus, Format, Sentence, TextSentence, Tokenizer};
use models::{predict, Encoded, ModelFile, Prediction};
use rayon::prelude::*;

use crate::Global;
use input::{Block, Input};
use output::{Progress, Sink};

#[derive(Args, Debug)]
pub struct TagArgs {
    /// A model written by `qmtl train` (DIR/model.qmtl).
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// Input file (default: stdin).
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Output file (default: stdout); replaced only when the whole input is tagged.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Input format (default: CoNLL-U if it looks like it, else text).
    #[arg(long, value_enum)]
    format: Option<TagFormat>,
    /// How plain text is cut into sentences and tokens: Unicode word and sentence
    /// boundaries (default), or one sentence per line split at whitespace. CoNLL-U
    /// and column input keep their tokens.
    #[arg(long, value_enum, value_name = "HOW")]
    tokenize: Option<TokenizeArg>,
    /// Add the averaged probability and the heads' agreement as MISC fields.
    #[arg(long)]
    probs: bool,
    /// Worker threads (default: all cores); the output does not depend on it.
    #[arg(long, value_name = "N")]
    threads: Option<NonZeroUsize>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum TagFormat {
    Conllu,
    Columns,
    Text,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum TokenizeArg {
    Unicode,
    Whitespace,
}

/// What a block is, and how it is tagged.
#[derive(Clone, Copy)]
enum Kind {
    Text(Tokenizer),
    Tagged(Format),
}

/// A tagged block: its output bytes, less the `# sent_id` lines of plain text.
struct Tagged {
    /// Plain text: one CoNLL-U sentence each. CoNLL-U and columns: the whole block.
    pieces: Vec<String>,
    sentences: usize,
    tokens: usize,
}

pub fn run(_g: &Global, a: TagArgs) -> Result<()> {
    if let (Some(f @ (TagFormat::Conllu | TagFormat::Columns)), Some(_)) = (a.format, a.tokenize) {
        bail!("--tokenize applies to plain text, not to --format {f:?}; CoNLL-U and column input keep their tokens");
    }
    let model = ModelFile::load(&a.model)?;
    let (reader, name, size): (Box<dyn std::io::BufRead + Send>, _, _) = match &a.input {
        Some(p) => {
            let f = std::fs::File::open(p).map_err(|e| corpus::Error::io(p, e))?;
            let size = f.metadata().ok().map(|m| m.len());
            (
                Box::new(std::io::BufReader::with_capacity(1 << 16, f)),
                p.clone(),
                size,
            )
        }
        None => (
            Box::new(std::io::BufReader::new(std::io::stdin())),
            PathBuf::from("<stdin>"),
            None,
        ),
    };
    let mut input = Input::new(reader, name);
    let format = match a.format {
        Some(f) => f,
        None => match input.detect()? {
            Format::Conllu => TagFormat::Conllu,
            Format::Columns => TagFormat::Text,
        },
    };
    let kind = match format {
        TagFormat::Conllu => Kind::Tagged(Format::Conllu),
        TagFormat::Columns => Kind::Tagged(Format::Columns),
        TagFormat::Text => Kind::Text(match a.tokenize {
            Some(TokenizeArg::Whitespace) => Tokenizer::Whitespace,
            _ => Tokenizer::Unicode,
        }),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.map_or(0, NonZeroUsize::get))
        .build()
        .context("starting the worker threads")?;
    let mut sink = Sink::open(a.output.as_deref())?;
    let progress = Progress::new(!sink.is_terminal(), size);
    let (mut sentences, mut tokens) = (0, 0);
    let path = input.path().to_path_buf();
    while let Some(batch) = input.next_batch(matches!(kind, Kind::Tagged(_)))? {
        let tagged: Vec<Result<Tagged>> = pool.install(|| {
            batch
                .par_iter()
                .map_init(autograd::Tape::new, |tape, b| {
                    tag_block(&model, tape, b, kind, &path, a.probs)
                })
                .collect()
        });
        for t in tagged {
            let t = t?;
            for piece in &t.pieces {
                if let Kind::Text(_) = kind {
                    sink.write_all(format!("# sent_id = {}\n", sentences + 1).as_bytes())?;
                    sentences += 1;
                }
                sink.write_all(piece.as_bytes())?;
            }
            if let Kind::Tagged(_) = kind {
                sentences += t.sentences;
            }
            tokens += t.tokens;
        }
        progress.update(sentences, tokens, input.bytes);
    }
    progress.finish();
    if sentences == 0 && matches!(kind, Kind::Tagged(_)) {
        return Err(corpus::Error::NoSentences { path }.into());
    }
    sink.finish()
}

/// Tags one block: tokenizes and tags plain text, or parses CoNLL-U or columns and
/// replaces the tag field of every token line.
fn tag_block(
    model: &ModelFile,
    tape: &mut autograd::Tape<f32>,
    b: &Block,
    kind: Kind,
    path: &std::path::Path,
    probs: bool,
) -> Result<Tagged> {
    let mut tag =
        |s: &Sentence| predict(&model.members, tape, &Encoded::from(&model.vocab.encode(s)));
    match kind {
        Kind::Text(tokenizer) => {
            let text = tokenizer.split(&b.text);
            let mut t = Tagged {
                pieces: Vec::with_capacity(text.len()),
                sentences: text.len(),
                tokens: 0,
            };
            for s in &text {
                let words = s.words();
                let p = tag(&Sentence::new(words, vec!["_".into(); s.tokens.len()]));
                t.pieces.push(text_sentence(model, s, &p, probs));
                t.tokens += s.tokens.len();
            }
            Ok(t)
        }
        Kind::Tagged(format) => {
            let corpus = match parse_corpus(b.text.as_bytes(), path, Some(format)) {
                Ok(c) => c,
                Err(corpus::Error::NoSentences { .. }) => {
                    return Ok(Tagged {
                        pieces: vec![b.text.clone()],
                        sentences: 0,
                        tokens: 0,
                    })
                }
                Err(e) => return Err(shift(e, b.first_line - 1).into()),
            };
            let mut lines: Vec<String> = b.text.split_inclusive('\n').map(String::from).collect();
            for s in &corpus.sentences {
                let p = tag(s);
                for (i, &n) in s.lines.iter().enumerate() {
                    let name = model.vocab.tags.name(p.tags[i]);
                    let m = probs.then(|| misc(&p, i));
                    lines[n - 1] = retag(&lines[n - 1], format, name, m.as_deref());
                }
            }
            Ok(Tagged {
                pieces: vec![lines.concat()],
                sentences: corpus.len(),
                tokens: corpus.tokens(),
            })
        }
    }
}

/// One sentence of plain text as CoNLL-U (without its `# sent_id` line).
fn text_sentence(model: &ModelFile, s: &TextSentence, p: &Prediction, probs: bool) -> String {
    let mut out = format!("# text = {}\n", s.text());
    for (i, t) in s.tokens.iter().enumerate() {
        let tag = model.vocab.tags.name(p.tags[i]);
        let mut m = Vec::new();
        if !t.space_after {
            m.push("SpaceAfter=No".to_string());
        }
        if probs {
            m.push(misc(p, i));
        }
        let m = if m.is_empty() {
            "_".into()
        } else {
            m.join("|")
        };
        let _ = writeln!(out, "{}\t{}\t_\t{tag}\t_\t_\t_\t_\t_\t{m}", i + 1, t.form);
    }
    out.push('\n');
    out
}

fn misc(p: &Prediction, i: usize) -> String {
    format!(
        "QmtlProb={:.4}|QmtlAgree={}/{}",
        p.prob[i],
        p.agree[i],
        p.heads.len()
    )
}

/// A token line with its tag field replaced (UPOS of CoNLL-U, the last column of a
/// column file) and `misc` appended to CoNLL-U's MISC; the line ending is kept.
fn retag(line: &str, format: Format, tag: &str, misc: Option<&str>) -> String {
    let content = line.trim_end_matches(['\n', '\r']);
    let ending = &line[content.len()..];
    // The readers ignore trailing spaces and tabs; so does the rewrite.
    let body = content.trim_end_matches([' ', '\t']);
    let mut out = match format {
        Format::Conllu => {
            let mut f: Vec<&str> = body.split('\t').collect();
            f[3] = tag;
            let joined;
            if let Some(m) = misc {
                joined = if f[9] == "_" {
                    m.to_string()
                } else {
                    format!("{}|{m}", f[9])
                };
                f[9] = &joined;
            }
            f.join("\t")
        }
        Format::Columns => {
            let cut = body.rfind(char::is_whitespace).map_or(0, |k| k + 1);
            format!("{}{tag}", &body[..cut])
        }
    };
    out.push_str(ending);
    out
}

/// `e` with its line number moved `by` lines down (a block's errors count from its
/// first line).
fn shift(e: corpus::Error, by: usize) -> corpus::Error {
    use corpus::Error as E;
    match e {
        E::Columns {
            path,
            line,
            expected,
            found,
        } => E::Columns {
            path,
            line: line + by,
            expected,
            found,
        },
        E::EmptyField { path, line, field } => E::EmptyField {
            path,
            line: line + by,
            field,
        },
        E::Malformed {
            path,
            line,
            message,
        } => E::Malformed {
            path,
            line: line + by,
            message,
        },
        E::InvalidUtf8 { path, line } => E::InvalidUtf8 {
            path,
            line: line + by,
        },
        other => other,
    }
}
