//! The input of `qmtl tag`, read incrementally: lines are gathered into blocks (a line
//! of plain text; a sentence of CoNLL-U or columns, up to and with its blank line) and
//! blocks into batches of about [`BATCH_BYTES`], so memory holds a few batches however
//! large the input is. Every line is checked for UTF-8 as it is read; a bad one is
//! reported with its file and line. A byte-order mark at the start is dropped.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::Result;

/// Input bytes per batch: with ~5 bytes per token of text this is ~12k tokens, half a
/// second of one core for a k = 10 model, enough to keep every thread busy while the
/// output of the previous batch is written.
pub const BATCH_BYTES: usize = 64 * 1024;

/// A paragraph of plain text (`--paragraphs`) longer than this ends at the next line
/// end, so that a file without blank lines is not held whole.
pub const PARAGRAPH_BYTES: usize = 1 << 20;

/// The longest input line (64 MiB): a line is held whole while it is read,
/// so an input without line breaks (`/dev/zero`) stops here.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// Where blocks end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocks {
    /// At every line end (plain text).
    Lines,
    /// At blank lines, or at a line end past [`PARAGRAPH_BYTES`] (plain text with
    /// `--paragraphs`).
    Paragraphs,
    /// At blank lines (CoNLL-U, columns: a sentence is never cut).
    Sentences,
}

/// Lines that are tagged together: one line of text (or a paragraph), or one
/// sentence of CoNLL-U or columns with the comments before it and the blank line
/// after it.
pub struct Block {
    /// 1-based number of the block's first line in the input.
    pub first_line: usize,
    /// The lines, each with its line ending as read.
    pub text: String,
}

pub struct Input {
    reader: Box<dyn BufRead + Send>,
    path: PathBuf,
    /// Lines read so far.
    line: usize,
    /// Bytes read so far.
    pub bytes: u64,
    /// Lines read ahead to detect the format, not yet handed out.
    ahead: std::collections::VecDeque<String>,
    buf: Vec<u8>,
}

impl Input {
    pub fn new(reader: Box<dyn BufRead + Send>, path: PathBuf) -> Self {
        Input {
            reader,
            path,
            line: 0,
            bytes: 0,
            ahead: Default::default(),
            buf: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The format of the input as [`corpus::detect_format`] sees its first line that is
    /// neither blank nor a `#` comment (lines up to it are kept for the batches).
    pub fn detect(&mut self) -> Result<corpus::Format> {
        loop {
            let Some(l) = self.read_line()? else { break };
            let content = l.trim_end_matches([' ', '\t', '\r', '\n']);
            let decisive = !content.is_empty() && !content.starts_with('#');
            self.ahead.push_back(l);
            if decisive {
                break;
            }
        }
        Ok(corpus::detect_format(
            &self.ahead.iter().cloned().collect::<String>(),
        ))
    }

    /// The line [`Input::detect`] decided on (the last it read), with its
    /// 1-based number; call it right after `detect`.
    pub fn detected_on(&self) -> Option<(usize, &str)> {
        Some((self.line, self.ahead.back()?.as_str()))
    }

    /// The next batch of blocks, None at the end of the input.
    pub fn next_batch(&mut self, blocks: Blocks) -> Result<Option<Vec<Block>>> {
        let blank = |l: &str| l.trim_end_matches([' ', '\t', '\r', '\n']).is_empty();
        let ends = |b: &Block, l: &str| match blocks {
            Blocks::Lines => true,
            Blocks::Paragraphs => blank(l) || b.text.len() >= PARAGRAPH_BYTES,
            Blocks::Sentences => blank(l),
        };
        let mut batch = Vec::new();
        let mut size = 0;
        let mut block: Option<Block> = None;
        while size < BATCH_BYTES {
            let Some(l) = self.next_line()? else { break };
            size += l.len();
            let first_line = self.line - self.ahead.len();
            let b = block.get_or_insert_with(|| Block {
                first_line,
                text: String::new(),
            });
            b.text.push_str(&l);
            if ends(b, &l) {
                batch.extend(block.take());
            }
        }
        // A sentence (or paragraph) is never cut between batches: finish the one
        // begun.
        while let Some(b) = block.as_mut() {
            match self.next_line()? {
                Some(l) => {
                    b.text.push_str(&l);
                    if ends(b, &l) {
                        batch.extend(block.take());
                    }
                }
                None => batch.extend(block.take()),
            }
        }
        Ok((!batch.is_empty()).then_some(batch))
    }

    fn next_line(&mut self) -> Result<Option<String>> {
        match self.ahead.pop_front() {
            Some(l) => Ok(Some(l)),
            None => self.read_line(),
        }
    }

    /// One line with its ending; None at the end of the input.
    fn read_line(&mut self) -> Result<Option<String>> {
        self.buf.clear();
        let n = corpus::read_line_limited(&mut self.reader, &mut self.buf, MAX_LINE_BYTES)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::InvalidData => corpus::Error::Malformed {
                    path: self.path.clone(),
                    line: self.line + 1,
                    message: format!("{e}: tag reads a line whole; break the text into lines"),
                },
                _ => corpus::Error::io(&self.path, e),
            })?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        self.bytes += n as u64;
        let mut l = String::from_utf8(std::mem::take(&mut self.buf)).map_err(|_| {
            corpus::Error::InvalidUtf8 {
                path: self.path.clone(),
                line: self.line,
            }
        })?;
        if self.line == 1 && l.starts_with('\u{feff}') {
            l.drain(..'\u{feff}'.len_utf8());
        }
        Ok(Some(l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(text: &str, how: Blocks) -> Vec<(usize, String)> {
        let mut input = Input::new(Box::new(std::io::Cursor::new(text.to_string())), "t".into());
        let mut out = Vec::new();
        while let Some(batch) = input.next_batch(how).unwrap() {
            out.extend(batch.into_iter().map(|b| (b.first_line, b.text)));
        }
        out
    }

    #[test]
    fn paragraphs_end_at_blank_lines_or_past_their_size() {
        let text = "a b\nc\n\nd\n";
        assert_eq!(
            blocks(text, Blocks::Paragraphs),
            [(1, "a b\nc\n\n".to_string()), (4, "d\n".into())]
        );
        assert_eq!(blocks(text, Blocks::Lines).len(), 4);
        // Without blank lines, a paragraph ends at the first line end past
        // PARAGRAPH_BYTES: memory holds about that much, not the whole input.
        let line = "x".repeat(999) + "\n";
        let long = line.repeat(2 * PARAGRAPH_BYTES / line.len() + 10);
        let b = blocks(&long, Blocks::Paragraphs);
        assert_eq!(b.len(), 3);
        assert!(b
            .iter()
            .all(|(_, t)| t.len() <= PARAGRAPH_BYTES + line.len()));
        assert_eq!(b.iter().map(|(_, t)| t.as_str()).collect::<String>(), long);
        // Sentences of CoNLL-U are never cut, however long.
        assert_eq!(blocks(&long, Blocks::Sentences).len(), 1);
    }
}
