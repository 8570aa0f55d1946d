//! `qmtl tag`: tags text with a saved model.
//!
//! Input (a file or stdin): CoNLL-U (the UPOS column is filled), a column file
//! (the last column is replaced, so the output can go to `qmtl score`), or plain
//! text, written as CoNLL-U with `# sent_id` and `# text` comments and
//! `SpaceAfter=No` where no whitespace followed a token. Plain text is cut into
//! sentences and tokens by the Unicode rules (UAX #29, [`corpus::Tokenizer`]),
//! adjusted to the model's treebank by its training words ([`corpus::Lexicon`]:
//! "can't" becomes "ca" "n't" where the treebank cut it so); `--tokenize unicode`
//! keeps UAX #29's tokens as they are, and `--tokenize whitespace` reads one
//! sentence per line, tokens at whitespace. With `--paragraphs` a block is a
//! paragraph (lines up to a blank line, at most about [`input::PARAGRAPH_BYTES`])
//! whose lines read as one ([`corpus::unwrap_lines`]): hard-wrapped text. Every other
//! byte of a CoNLL-U or column input is kept, its tokens untouched. `--probs` adds,
//! as MISC fields of CoNLL-U, the averaged probability of the chosen tag and how
//! many heads chose it (`QmtlProb=0.9731|QmtlAgree=10/10`).
//!
//! The input is streamed: a batch of blocks ([`input::Block`]) is read, its blocks
//! are tagged and formatted in parallel on `--threads` threads, and the batch is
//! written in input order before the next is read. Each sentence is tagged alone,
//! so the output is the same bytes whatever the number of threads. A sentence is
//! read in windows of at most [`models::eval::MAX_SEQUENCE`] tokens, as
//! [`models::predict`] would cut it, and nothing per token outlives its window: a
//! plain-text line is tokenized as it is tagged, and a block larger than a batch (a
//! megabyte line, a sentence of 100,000 lines) is written window by window.

mod input;
mod output;
mod tagged;
pub(crate) mod text;

use std::num::NonZeroUsize;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use corpus::{Format, Lexicon, Tokenizer};

use super::TokenizeArg;
use models::{predict, Encoded, ModelFile, Prediction};
use rayon::prelude::*;

use crate::Global;
use input::{Block, Blocks, Input, BATCH_BYTES};
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
    /// boundaries adjusted to the tokens the model was trained on (default: joins
    /// "p.m." or "e-mail", cuts "can't" into "ca" "n't" where its treebank does), the
    /// Unicode boundaries alone, or one sentence per line (per paragraph with
    /// --paragraphs) split at whitespace. CoNLL-U and column input keep their
    /// tokens.
    #[arg(long, value_enum, value_name = "HOW")]
    tokenize: Option<TokenizeArg>,
    /// Plain text: a line break does not end a sentence, only a blank line or the
    /// sentence's own end does (for hard-wrapped text; a paragraph longer than
    /// 1 MiB is cut at a line end). Each paragraph's lines are read as one, a word
    /// hyphenated at a line end joined ("exam-ple" as "example" where the model
    /// knows that word).
    #[arg(long)]
    paragraphs: bool,
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

/// What a block is, and how it is tagged.
#[derive(Clone, Copy)]
enum Kind<'l> {
    /// Plain text, and the model's training words to adjust UAX #29's tokens to.
    Text(Tokenizer, Option<&'l Lexicon>),
    Tagged(Format),
}

/// What tagging a block hands the writer, in order.
pub enum Piece {
    /// A sentence begins: the writer counts it, and numbers it for plain text.
    Sentence,
    /// Output bytes.
    Text(String),
}

/// Writes pieces in input order, numbering plain-text sentences (`# sent_id`).
struct Writer {
    sink: Sink,
    text: bool,
    sentences: usize,
    tokens: usize,
}

impl Writer {
    fn put(&mut self, p: Piece) -> Result<()> {
        match p {
            Piece::Sentence => {
                self.sentences += 1;
                if self.text {
                    let id = format!("# sent_id = {}\n", self.sentences);
                    self.sink.write_all(id.as_bytes())?;
                }
                Ok(())
            }
            Piece::Text(t) => self.sink.write_all(t.as_bytes()),
        }
    }
}

/// Warns when input read as plain text starts like a column file of this
/// model's tags ("SOCCER O" for an NER model): a word and the model's tag,
/// which plain text rarely ends a line with. Columns are not detected
/// outright, since a line of text could be misread as tokens.
fn warn_if_columns(input: &Input, vocab: &corpus::Vocab) {
    let Some((line, text)) = input.detected_on() else {
        return;
    };
    let fields: Vec<&str> = text.split_whitespace().collect();
    if let [_, .., last] = fields[..] {
        // A tag with a letter: punctuation tags (`.` in Penn-style sets) end
        // lines of text too.
        if vocab.tags.get(last).is_some() && last.chars().any(char::is_alphabetic) {
            eprintln!(
                "qmtl: warning: {}:{line}: `{}` looks like a column file (words and tags); \
                 it is read as plain text: pass --format columns to tag it as columns",
                input.path().display(),
                text.trim_end().chars().take(80).collect::<String>()
            );
        }
    }
}

pub fn run(_g: &Global, a: TagArgs) -> Result<()> {
    if let Some(t) = a.threads.filter(|t| t.get() > super::MAX_THREADS) {
        bail!(
            "--threads must be between 1 and {}, got {t}",
            super::MAX_THREADS
        );
    }
    let model = ModelFile::load(&a.model)?;
    if let Some(out) = &a.output {
        let same = |p: &std::path::Path| std::fs::canonicalize(p).ok();
        if same(out).is_some() && same(out) == same(&a.model) {
            bail!(
                "--output {} is the model file; tagging would overwrite it",
                out.display()
            );
        }
    }
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
            Format::Columns => {
                warn_if_columns(&input, &model.vocab);
                TagFormat::Text
            }
        },
    };
    if format != TagFormat::Text && (a.tokenize.is_some() || a.paragraphs) {
        match a.format {
            Some(f) => bail!("--tokenize and --paragraphs apply to plain text, not to --format {f:?}; CoNLL-U and column input keep their tokens"),
            None => bail!(
                "--tokenize and --paragraphs apply to plain text, and {} reads as CoNLL-U, whose tokens are kept; pass --format text to read it as text",
                input.path().display()
            ),
        }
    }
    let (tokenizer, lexicon) = a.tokenize.unwrap_or_default().tokenizer(&model.vocab);
    let kind = match format {
        TagFormat::Conllu => Kind::Tagged(Format::Conllu),
        TagFormat::Columns => Kind::Tagged(Format::Columns),
        TagFormat::Text => Kind::Text(tokenizer, lexicon.as_ref()),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.map_or(0, NonZeroUsize::get))
        .build()
        .context("starting the worker threads")?;
    let sink = Sink::open(a.output.as_deref())?;
    let progress = Progress::new(!sink.is_terminal(), size);
    let mut w = Writer {
        sink,
        text: matches!(kind, Kind::Text(..)),
        sentences: 0,
        tokens: 0,
    };
    let path = input.path().to_path_buf();
    // Test hook: a worker thread panics, as a bug would, while this thread
    // holds stdout (`hardening.rs` checks that qmtl then exits, not hangs).
    let worker_panics = std::env::var_os("QMTL_TEST_PANIC").is_some_and(|v| v == "tag-worker");
    let blocks = match (w.text, a.paragraphs) {
        (false, _) => Blocks::Sentences,
        (true, false) => Blocks::Lines,
        (true, true) => Blocks::Paragraphs,
    };
    while let Some(mut batch) = input.next_batch(blocks)? {
        if blocks == Blocks::Paragraphs {
            // The paragraph's lines read as one: only its blank line (or a
            // sentence's end) ends a sentence.
            for b in &mut batch {
                b.text = corpus::unwrap_lines(&b.text, lexicon.as_ref());
            }
        }
        // A block larger than a batch can only be the batch's last. It is tagged
        // alone and written window by window as it is tagged, so neither its
        // tokens nor its output are ever held whole.
        let big = match batch.last() {
            Some(b) if b.text.len() >= BATCH_BYTES => batch.pop(),
            _ => None,
        };
        let tagged: Vec<Result<(Vec<Piece>, usize)>> = pool.install(|| {
            batch
                .par_iter()
                .map_init(models::Tape::new, |tape, b| {
                    if worker_panics {
                        panic!("QMTL_TEST_PANIC=tag-worker is set");
                    }
                    let mut pieces = Vec::new();
                    let mut predictor = Predictor {
                        pool: &pool,
                        tapes: std::slice::from_mut(tape),
                    };
                    let mut emit = |p| {
                        pieces.push(p);
                        Ok(())
                    };
                    let n = tag_block(&model, b, kind, &path, a.probs, &mut predictor, &mut emit)?;
                    Ok((pieces, n))
                })
                .collect()
        });
        for t in tagged {
            let (pieces, n) = t?;
            for p in pieces {
                w.put(p)?;
            }
            w.tokens += n;
        }
        if let Some(b) = big {
            // Its windows are tagged a few at a time, one per thread.
            let width = pool.current_num_threads().min(MAX_WINDOWS_AT_ONCE);
            let mut tapes: Vec<_> = (0..width).map(|_| models::Tape::new()).collect();
            let mut predictor = Predictor {
                pool: &pool,
                tapes: &mut tapes,
            };
            let n = tag_block(&model, &b, kind, &path, a.probs, &mut predictor, &mut |p| {
                w.put(p)
            })?;
            w.tokens += n;
        }
        w.sink.flush()?;
        progress.update(w.sentences, w.tokens, input.bytes);
    }
    progress.finish();
    if w.sentences == 0 && !w.text {
        return Err(corpus::Error::NoSentences { path }.into());
    }
    w.sink.finish()
}

/// Tags one block: tokenizes and tags plain text, or parses CoNLL-U or columns and
/// replaces the tag field of every token line. Returns the number of tokens.
fn tag_block(
    model: &ModelFile,
    b: &Block,
    kind: Kind,
    path: &std::path::Path,
    probs: bool,
    predictor: &mut Predictor,
    emit: &mut dyn FnMut(Piece) -> Result<()>,
) -> Result<usize> {
    match kind {
        Kind::Text(tokenizer, lexicon) => {
            let mut tokens = 0;
            let mut windows = text::windows(tokenizer, lexicon, &b.text);
            loop {
                let group: Vec<_> = windows.by_ref().take(predictor.width()).collect();
                if group.is_empty() {
                    return Ok(tokens);
                }
                let xs: Vec<Encoded> = group.iter().map(|w| text::encode(model, w)).collect();
                for (w, p) in group.iter().zip(predictor.predict(model, &xs)) {
                    text::write(model, w, &p, probs, emit)?;
                    tokens += w.tokens.len();
                }
            }
        }
        Kind::Tagged(format) => tagged::tag(model, b, format, path, probs, predictor, emit),
    }
}

/// The most windows of one block tagged at the same time: each holds a tape of
/// 15-22 KB per token while it is tagged (a full window, measured with
/// `/usr/bin/time -v` on a 1 MB line: 30 MB for Q-MTL(3), 45 MB for Q-MTL(10) of
/// the default sizes). Four windows took a Q-MTL(10) model to 196 MB on that line;
/// three keep it near 150 MB whatever `--threads` says (`tests/memory.rs`).
const MAX_WINDOWS_AT_ONCE: usize = 3;

/// Predicts windows (each at most [`models::eval::MAX_SEQUENCE`] tokens), as many
/// at once as it has tapes, on the pool whose threads the tagger's BiLSTM
/// directions and heads share. Called from one of the pool's threads with one
/// tape (blocks tagged in parallel), or from the main thread for a block tagged
/// alone (a long sentence's windows in parallel). Each window is predicted alone,
/// so the result does not depend on how many are predicted at once.
pub struct Predictor<'a> {
    pool: &'a rayon::ThreadPool,
    tapes: &'a mut [models::Tape<f32>],
}

impl Predictor<'_> {
    /// How many windows [`Predictor::predict`] takes at once.
    pub fn width(&self) -> usize {
        self.tapes.len()
    }

    /// The predictions of at most [`Predictor::width`] windows, in order.
    pub fn predict(&mut self, model: &ModelFile, xs: &[Encoded]) -> Vec<Prediction> {
        let tapes = &mut self.tapes[..xs.len()];
        self.pool.install(|| match (xs, tapes) {
            ([x], [tape]) => vec![predict(&model.model, model.combine, tape, x)],
            (xs, tapes) => xs
                .par_iter()
                .zip(tapes.par_iter_mut())
                .map(|(x, tape)| predict(&model.model, model.combine, tape, x))
                .collect(),
        })
    }
}

fn misc(p: &Prediction, i: usize) -> String {
    format!(
        "QmtlProb={:.4}|QmtlAgree={}/{}",
        p.prob[i],
        p.agree[i],
        p.heads.len()
    )
}
