//! Plain text in `qmtl tag`: sentences and tokens are found by the tokenizer as they
//! are needed and cut into windows of at most [`MAX_SEQUENCE`] tokens, so nothing
//! per token of a line is held beyond the window being tagged (issue 12: a megabyte
//! line of two-letter words is one "sentence" of 333,333 tokens). Each sentence is
//! written as CoNLL-U: `# text`, one line per token with `SpaceAfter=No` where no
//! whitespace followed it, a blank line; the `# sent_id` line is the writer's, which
//! alone knows the running count.

use std::fmt::Write as _;

use anyhow::Result;
use corpus::{Lexicon, TextSentence, Token, Tokenizer};
use models::eval::MAX_SEQUENCE;
use models::{ModelFile, Prediction};

use super::{misc, Piece};

/// Consecutive tokens of one sentence, read by the tagger as one sequence: the
/// windows [`models::predict`] would cut a whole sentence into.
pub struct Window<'a> {
    /// The sentence, when the window begins it (its `# text` line comes first).
    begins: Option<TextSentence<'a>>,
    /// Index in the sentence of the window's first token.
    first: usize,
    /// Whether the window ends its sentence (a blank line follows).
    ends: bool,
    pub tokens: Vec<Token<'a>>,
}

/// The windows of every sentence of `text`, in order, made as they are asked for;
/// UAX #29's tokens adjusted to `lexicon`'s treebank when there is one.
pub fn windows<'a>(
    tokenizer: Tokenizer,
    lexicon: Option<&'a Lexicon>,
    text: &'a str,
) -> impl Iterator<Item = Window<'a>> {
    tokenizer.sentences_with(text, lexicon).flat_map(|s| {
        let mut tokens = s.tokens().peekable();
        let mut first = 0;
        std::iter::from_fn(move || {
            tokens.peek()?;
            let w: Vec<Token> = tokens.by_ref().take(MAX_SEQUENCE).collect();
            let window = Window {
                begins: (first == 0).then_some(s),
                first,
                ends: tokens.peek().is_none(),
                tokens: w,
            };
            first += window.tokens.len();
            Some(window)
        })
    })
}

/// The window as the network reads it.
pub fn encode(model: &ModelFile, w: &Window) -> models::Encoded {
    let forms: Vec<&str> = w.tokens.iter().map(|t| t.form).collect();
    model.vocab.encode_words(&forms)
}

/// Writes the window's CoNLL-U lines (the sentence's `# text` first, its blank line
/// last).
pub fn write(
    model: &ModelFile,
    w: &Window,
    p: &Prediction,
    probs: bool,
    emit: &mut dyn FnMut(Piece) -> Result<()>,
) -> Result<()> {
    let mut out = String::new();
    if let Some(s) = w.begins {
        emit(Piece::Sentence)?;
        let _ = writeln!(out, "# text = {s}");
    }
    for (i, t) in w.tokens.iter().enumerate() {
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
        let id = w.first + i + 1;
        let _ = writeln!(out, "{id}\t{}\t_\t{tag}\t_\t_\t_\t_\t_\t{m}", t.form);
    }
    if w.ends {
        out.push('\n');
    }
    emit(Piece::Text(out))
}
