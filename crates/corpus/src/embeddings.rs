//! Pretrained word vectors in the word2vec / polyglot text format.
//!
//! One vector per line, `word v1 v2 ... vd`, separated by spaces (or tabs); an
//! optional first line `count dim` (exactly two integers) is the word2vec header and
//! is checked against the file. Gzip-compressed files are recognised by their magic
//! bytes, whatever their name. All vectors must have the same dimension; a line
//! with another dimension, a value that is not a finite number, or invalid UTF-8 is
//! an error naming the line. When a word occurs twice the first vector is kept.
//! The tagger overwrites the embedding rows of these words (model-spec section 3)
//! after [`crate::Vocab::add_embedding_words`] has given them ids.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The longest line of an embedding file (1 MiB: a 300-dimensional vector
/// takes a few KB), so a file without line breaks cannot exhaust memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A reader that hashes what it reads.
struct Hashing<R> {
    inner: R,
    sha: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        Ok(n)
    }
}

/// Word vectors, row-major, one row per word in file order.
#[derive(Debug, Clone)]
pub struct Embeddings {
    dim: usize,
    words: Vec<String>,
    ids: HashMap<String, usize>,
    data: Vec<f32>,
}

impl Embeddings {
    /// Loads a plain or gzip-compressed text embedding file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Ok(Self::load_with_sha256(path)?.0)
    }

    /// [`Embeddings::load`], and the SHA-256 of the file's bytes, taken as
    /// they are parsed: the hash is of what was loaded, in one pass.
    pub fn load_with_sha256(path: impl AsRef<Path>) -> Result<(Self, String)> {
        let path = path.as_ref();
        let io = |e| Error::io(path, e);
        let file = std::fs::File::open(path).map_err(io)?;
        let mut hashing = Hashing {
            inner: file,
            sha: Sha256::new(),
        };
        let emb = {
            let mut reader = BufReader::new(&mut hashing);
            let gz = reader.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
            if gz {
                Self::parse(BufReader::new(MultiGzDecoder::new(reader)), path)?
            } else {
                Self::parse(reader, path)?
            }
        };
        // Whatever follows the last line (or the gzip stream) is hashed too.
        std::io::copy(&mut hashing, &mut std::io::sink()).map_err(io)?;
        Ok((emb, crate::digest::hex(&hashing.sha.finalize())))
    }

    /// Parses text from any reader, one line of at most `MAX_LINE_BYTES` (1 MiB)
    /// at a time; `path` is used in messages only.
    pub fn parse(mut reader: impl BufRead, path: &Path) -> Result<Self> {
        let mut emb = Embeddings {
            dim: 0,
            words: Vec::new(),
            ids: HashMap::new(),
            data: Vec::new(),
        };
        let mut header: Option<(usize, usize)> = None;
        let mut bytes = Vec::new();
        let (mut n, mut rows) = (0, 0);
        loop {
            bytes.clear();
            let read = crate::read::read_line_limited(&mut reader, &mut bytes, MAX_LINE_BYTES)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::InvalidData => Error::Malformed {
                        path: path.into(),
                        line: n + 1,
                        message: e.to_string(),
                    },
                    _ => Error::io(path, e),
                })?;
            if read == 0 {
                break;
            }
            n += 1;
            let line = std::str::from_utf8(&bytes).map_err(|_| Error::InvalidUtf8 {
                path: path.into(),
                line: n,
            })?;
            let line = line.strip_prefix('\u{feff}').unwrap_or(line);
            let mut fields = line.split_ascii_whitespace();
            let Some(word) = fields.next() else { continue };
            let values: Vec<&str> = fields.collect();
            if n == 1 && values.len() == 1 {
                if let (Ok(count), Ok(dim)) = (word.parse::<usize>(), values[0].parse::<usize>()) {
                    header = Some((count, dim));
                    emb.dim = dim;
                    continue;
                }
            }
            emb.push_line(word, &values, path, n)?;
            rows += 1;
        }
        if emb.words.is_empty() {
            return Err(Error::Malformed {
                path: path.into(),
                // An empty file has no line; its end is line 1.
                line: n.max(1),
                message: "no vectors in embedding file".into(),
            });
        }
        if let Some((count, _)) = header {
            if rows != count {
                return Err(Error::Malformed {
                    path: path.into(),
                    line: 1,
                    message: format!("header says {count} vectors, file has {rows}"),
                });
            }
        }
        Ok(emb)
    }

    fn push_line(&mut self, word: &str, values: &[&str], path: &Path, n: usize) -> Result<()> {
        let malformed = |message: String| Error::Malformed {
            path: path.into(),
            line: n,
            message,
        };
        if values.is_empty() {
            return Err(malformed(format!("word `{word}` has no vector")));
        }
        if self.dim == 0 {
            self.dim = values.len();
        } else if values.len() != self.dim {
            return Err(malformed(format!(
                "vector of `{word}` has {} values, expected {}",
                values.len(),
                self.dim
            )));
        }
        let start = self.data.len();
        for (j, v) in values.iter().enumerate() {
            match v.parse::<f32>() {
                Ok(x) if x.is_finite() => self.data.push(x),
                _ => {
                    return Err(malformed(format!(
                        "value {} of `{word}` is not a finite number: `{v}`",
                        j + 1
                    )))
                }
            }
        }
        if self.ids.contains_key(word) {
            // The first vector of a duplicated word wins.
            self.data.truncate(start);
            return Ok(());
        }
        self.ids.insert(word.to_owned(), self.words.len());
        self.words.push(word.to_owned());
        Ok(())
    }

    /// Vector dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of distinct words.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when there are no vectors.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The vector of `word`, if the file has it.
    pub fn get(&self, word: &str) -> Option<&[f32]> {
        self.ids.get(word).map(|&i| self.row(i))
    }

    /// Distinct words in file order.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(w, _)| w)
    }

    /// `(word, vector)` for every distinct word, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[f32])> {
        (self.words.iter().enumerate()).map(|(i, w)| (w.as_str(), self.row(i)))
    }

    fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
}
