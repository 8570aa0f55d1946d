//! Reading tagged corpora from disk: CoNLL-U and column (NER) files.
//!
//! [`read_corpus`] loads a whole file, checks that it is UTF-8 (reporting the first
//! bad line), drops a byte-order mark, detects the format from the content unless it
//! is forced, and hands the text to the format's parser. Both parsers share the line
//! conventions real files need: CRLF endings, trailing whitespace, runs of blank
//! lines and a missing final newline are all accepted; a file that yields no
//! sentence is an error. Everything is read into memory at once — the largest corpus
//! of the paper is a few MB — which keeps reading all 30 files well under a second.

mod columns;
mod conllu;

pub use columns::tag_start as column_tag_start;
pub use conllu::{surface_spans, RawSentence};

use std::path::Path;

use crate::error::{Error, Result};
use crate::sentence::{Corpus, Format, Sentence};

/// Reads `path` in `format`, or in the format detected from its content when `None`.
pub fn read_corpus(path: impl AsRef<Path>, format: Option<Format>) -> Result<Corpus> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_corpus(&bytes, path, format)
}

/// Parses the bytes of a corpus file; `path` is used in messages and kept in the result.
pub fn parse_corpus(bytes: &[u8], path: &Path, format: Option<Format>) -> Result<Corpus> {
    let text = decode(bytes, path)?;
    if format.is_none() {
        let mut content = lines(text).filter(|(_, l)| !l.is_empty()).peekable();
        let conllu_name = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("conllu"));
        if let Some(&(first, _)) = content.peek() {
            let (mut comments, mut metadata) = (true, false);
            for (_, l) in content {
                comments &= l.starts_with('#');
                metadata |= l.starts_with('#') && l.contains(" = ");
            }
            if comments && (conllu_name || metadata) {
                // Comments only, in a `.conllu` file or in CoNLL-U's `# key =
                // value` form: a CoNLL-U file without sentences, not a column
                // file whose `#` lines would become tokens (`# NN` in a column
                // file is still the word `#`).
                return Err(Error::Malformed {
                    path: path.into(),
                    line: first,
                    message: "no sentences: the file holds only comment (#) lines".into(),
                });
            }
        }
    }
    let format = format.unwrap_or_else(|| detect_format(text));
    let sentences = match format {
        Format::Conllu => conllu::parse(text, path)?,
        Format::Columns => columns::parse(text, path)?,
    };
    if sentences.is_empty() {
        return Err(Error::NoSentences { path: path.into() });
    }
    Ok(Corpus {
        path: path.into(),
        format,
        sentences,
    })
}

/// Reads a CoNLL-U file's sentences as text (`# text`) and surface tokens, after
/// checking it as [`read_corpus`] does: sentence `i` is the corpus's sentence `i`.
pub fn read_raw_conllu(path: impl AsRef<Path>) -> Result<Vec<RawSentence>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_corpus(&bytes, path, Some(Format::Conllu))?;
    Ok(conllu::parse_raw(decode(&bytes, path)?))
}

/// Guesses the format from the first line that is neither blank nor a `#` comment:
/// ten tab-separated fields with a CoNLL-U ID (`7`, `3-4`, `8.1`) in the first
/// means CoNLL-U, anything else is a column file (so is an input without such a
/// line; [`parse_corpus`] rejects a `.conllu` file, or a file of `# key = value`
/// lines, that has nothing but comments, rather than read them as tokens).
pub fn detect_format(text: &str) -> Format {
    let first = lines(text)
        .map(|(_, l)| l)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    match first {
        Some(line) => {
            let fields: Vec<&str> = line.split('\t').collect();
            if fields.len() == 10 && is_conllu_id(fields[0]) {
                Format::Conllu
            } else {
                Format::Columns
            }
        }
        None => Format::Columns,
    }
}

/// `7`, `3-4` or `8.1`.
fn is_conllu_id(id: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match id.split_once(['-', '.']) {
        Some((a, b)) => digits(a) && digits(b),
        None => digits(id),
    }
}

/// Validates UTF-8 (naming the first bad line) and strips a leading byte-order mark.
fn decode<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').unwrap_or(text)),
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            Err(Error::InvalidUtf8 {
                path: path.into(),
                line,
            })
        }
    }
}

/// The lines of `text` with 1-based numbers and trailing spaces, tabs and `\r` removed.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches([' ', '\t', '\r'])))
}

/// Collects tokens into sentences; a blank line (or a document break) closes one.
/// Tokens wait as borrowed slices so each sentence is allocated once, at its size.
struct SentenceBuilder<'a> {
    done: Vec<Sentence>,
    pending: Vec<(&'a str, &'a str, usize)>,
}

impl<'a> SentenceBuilder<'a> {
    fn new() -> Self {
        SentenceBuilder {
            done: Vec::new(),
            pending: Vec::new(),
        }
    }

    fn push(&mut self, word: &'a str, tag: &'a str, line: usize) {
        self.pending.push((word, tag, line));
    }

    fn close(&mut self) {
        if !self.pending.is_empty() {
            let p = &self.pending;
            self.done.push(Sentence {
                words: p.iter().map(|t| t.0.to_owned()).collect(),
                tags: p.iter().map(|t| t.1.to_owned()).collect(),
                lines: p.iter().map(|t| t.2).collect(),
            });
            self.pending.clear();
        }
    }

    fn finish(mut self) -> Vec<Sentence> {
        self.close();
        self.done
    }
}
