//! CoNLL-U: word = FORM (column 2), tag = UPOS (column 4), model-spec section 1.
//!
//! Comment lines (`#`) are skipped, and so are multiword-token lines (ID `3-4`,
//! whose FORM spans several syntactic words that have their own lines) and empty
//! nodes (ID `8.1`, which are not surface tokens). Counting only integer-ID lines
//! is what reproduces Table 1 of the paper exactly.

use std::path::Path;

use super::{is_conllu_id, lines, SentenceBuilder};
use crate::error::{Error, Result};
use crate::sentence::Sentence;

pub(super) fn parse(text: &str, path: &Path) -> Result<Vec<Sentence>> {
    let mut builder = SentenceBuilder::new();
    for (n, line) in lines(text) {
        if line.is_empty() {
            builder.close();
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        // Only ID, FORM and UPOS are needed; the rest is counted, not collected.
        let mut fields = line.split('\t');
        let (id, word, lemma, tag) = (fields.next(), fields.next(), fields.next(), fields.next());
        let found = [id, word, lemma, tag].iter().flatten().count() + fields.count();
        let (Some(id), Some(word), Some(tag), 10) = (id, word, tag, found) else {
            return Err(Error::Columns {
                path: path.into(),
                line: n,
                expected: "10 (CoNLL-U, tab-separated)".into(),
                found,
            });
        };
        if !is_conllu_id(id) {
            return Err(Error::Malformed {
                path: path.into(),
                line: n,
                message: format!("bad CoNLL-U ID `{id}`"),
            });
        }
        if id.contains(['-', '.']) {
            continue;
        }
        for (value, field) in [(word, "word (FORM)"), (tag, "tag (UPOS)")] {
            if value.is_empty() {
                return Err(Error::EmptyField {
                    path: path.into(),
                    line: n,
                    field,
                });
            }
        }
        builder.push(word, tag, n);
    }
    Ok(builder.finish())
}

/// One CoNLL-U sentence as its text: what tagging raw text is scored against
/// (`qmtl eval --raw`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawSentence {
    /// The `# text = …` comment, if the sentence has one.
    pub text: Option<String>,
    /// Line of the sentence's first token line.
    pub line: usize,
    /// The surface tokens in order: FORM, and how many syntactic words it stands
    /// for (1, or the words of a multiword token such as `3-4`, Greek "στο" for
    /// "σε" "το"). The counts add up to the sentence's words.
    pub tokens: Vec<(String, usize)>,
}

/// The sentences of a CoNLL-U text as [`RawSentence`]s, in the order and with the
/// sentence boundaries of [`parse`], which checks the file first (call it first).
/// A multiword token stands for the word lines that follow it within its range
/// (as many as there are, whatever the range says); a block without word lines
/// (only empty nodes or ranges) is no sentence, as for [`parse`].
pub(super) fn parse_raw(text: &str) -> Vec<RawSentence> {
    let mut done = Vec::new();
    let mut current: Option<RawSentence> = None;
    let mut comment_text: Option<String> = None;
    // Whether the block has a word line, and the last word ID the current
    // multiword token covers (None outside one).
    let mut words = false;
    let mut covered: Option<u128> = None;
    let id_number = |v: &str| v.parse::<u128>().unwrap_or(u128::MAX);
    for (n, line) in lines(text) {
        if line.is_empty() {
            if words {
                done.extend(current.take());
            }
            (current, comment_text, words, covered) = (None, None, false, None);
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            if let Some((key, value)) = c.split_once('=') {
                if current.is_none() && key.trim() == "text" {
                    comment_text = Some(value.strip_prefix(' ').unwrap_or(value).into());
                }
            }
            continue;
        }
        let mut fields = line.split('\t');
        let (Some(id), Some(form)) = (fields.next(), fields.next()) else {
            continue;
        };
        let s = current.get_or_insert_with(|| RawSentence {
            text: comment_text.take(),
            line: n,
            tokens: Vec::new(),
        });
        match id.split_once(['-', '.']) {
            Some((_, last)) if id.contains('-') && !form.is_empty() => {
                s.tokens.push((form.into(), 0));
                covered = Some(id_number(last));
            }
            Some(_) => {} // an empty node, or a range without a form
            None => {
                words = true;
                match (covered, s.tokens.last_mut()) {
                    (Some(last), Some((_, count))) if id_number(id) <= last => *count += 1,
                    _ => {
                        covered = None;
                        s.tokens.push((form.into(), 1));
                    }
                }
            }
        }
    }
    if words {
        done.extend(current);
    }
    done
}

/// The byte spans in `text` of `tokens` (FORM and word count, as in
/// [`RawSentence::tokens`]), found in order with only whitespace between them;
/// None when the tokens do not spell the text (a treebank that normalised a form).
pub fn surface_spans(text: &str, tokens: &[(String, usize)]) -> Option<Vec<(usize, usize)>> {
    let mut at = 0;
    let mut spans = Vec::with_capacity(tokens.len());
    for (form, _) in tokens {
        let rest = &text[at..];
        at += rest.len() - rest.trim_start().len();
        text[at..].starts_with(form.as_str()).then_some(())?;
        spans.push((at, at + form.len()));
        at += form.len();
    }
    text[at..].trim().is_empty().then_some(spans)
}
