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

/// The largest corpus file read (1 GiB; the paper's largest is a few MB): a
/// corpus is held in memory whole, so an endless or absurd input stops here.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// The bytes of corpus file `path`, at most `MAX_FILE_BYTES` (1 GiB).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    crate::whole_file::read_limited(path, MAX_FILE_BYTES).map_err(|e| Error::io(path, e))
}

/// Like `BufRead::read_until(b'\n', buf)`, but a line of more than `limit`
/// bytes (its line break not counted) is an error (`InvalidData`, "a line
/// longer than N MiB") once that many are held, so an input without line
/// breaks cannot exhaust memory.
pub fn read_line_limited(
    reader: &mut impl std::io::BufRead,
    buf: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<usize> {
    let start = buf.len();
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(buf.len() - start);
        }
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        buf.extend_from_slice(&chunk[..take]);
        reader.consume(take);
        if buf.len() - start - usize::from(done) > limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("a line longer than {} MiB", limit >> 20),
            ));
        }
        if done {
            return Ok(buf.len() - start);
        }
    }
}

/// Reads `path` in `format`, or in the format detected from its content when `None`.
pub fn read_corpus(path: impl AsRef<Path>, format: Option<Format>) -> Result<Corpus> {
    let path = path.as_ref();
    let bytes = read_bytes(path)?;
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
    let bytes = read_bytes(path)?;
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

#[cfg(test)]
mod tests {
    use super::read_line_limited;

    #[test]
    fn lines_are_read_up_to_the_limit() {
        let mut input: &[u8] = b"ab\ncdef\ng";
        let mut buf = Vec::new();
        assert_eq!(read_line_limited(&mut input, &mut buf, 4).unwrap(), 3);
        assert_eq!(buf, b"ab\n");
        buf.clear();
        // "cdef" is at the limit, its line break not counted; "cdefg" is over.
        assert_eq!(read_line_limited(&mut input, &mut buf, 4).unwrap(), 5);
        let mut over: &[u8] = b"cdefg\n";
        buf.clear();
        let e = read_line_limited(&mut over, &mut buf, 4).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        let mut rest: &[u8] = b"g";
        buf.clear();
        assert_eq!(read_line_limited(&mut rest, &mut buf, 4).unwrap(), 1);
        assert_eq!(read_line_limited(&mut rest, &mut buf, 4).unwrap(), 0);
        // An endless reader stops once past the limit.
        let mut zeros = std::io::BufReader::new(std::io::repeat(0));
        buf.clear();
        assert!(read_line_limited(&mut zeros, &mut buf, 1 << 16).is_err());
        assert!(buf.len() <= (1 << 16) + 8192);
    }
}
