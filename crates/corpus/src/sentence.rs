//! Sentences and corpora: what every reader produces and everything else consumes.
//!
//! A [`Sentence`] is the unit the tagger trains on (model-spec section 3: one
//! sentence at a time): parallel lists of words and gold tags, plus the source line
//! of every token so that later errors (a scoring mismatch, say) can point at it.
//! A [`Corpus`] is one file's sentences together with the path and the format it
//! was read in.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One tagged sentence. `words[i]` carries the gold tag `tags[i]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    pub words: Vec<String>,
    pub tags: Vec<String>,
    /// 1-based line of each token in its file; empty for sentences built in code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<usize>,
}

impl Sentence {
    /// A sentence built in code (no source lines).
    ///
    /// # Panics
    /// If `words` and `tags` differ in length.
    pub fn new(words: Vec<String>, tags: Vec<String>) -> Self {
        assert_eq!(
            words.len(),
            tags.len(),
            "Sentence::new: {} words but {} tags",
            words.len(),
            tags.len()
        );
        Sentence {
            words,
            tags,
            lines: Vec::new(),
        }
    }

    /// Convenience for tests and examples: `Sentence::from_pairs(&[("the", "DET")])`.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        let (words, tags) = pairs
            .iter()
            .map(|(w, t)| (w.to_string(), t.to_string()))
            .unzip();
        Sentence::new(words, tags)
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True for a sentence without tokens (readers never produce one).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The source line of token `i`, when the sentence was read from a file.
    pub fn line(&self, i: usize) -> Option<usize> {
        self.lines.get(i).copied()
    }
}

/// The two file formats of model-spec section 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// CoNLL-U (Universal Dependencies): word = FORM (column 2), tag = UPOS (column 4).
    Conllu,
    /// Whitespace-separated columns (CoNLL-2002/2003 NER): word = first column,
    /// tag = last column, `-DOCSTART-` lines separate documents.
    Columns,
}

impl Format {
    /// Parses `conllu` / `columns` (also `conll`, `ner`), as used on the command line.
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "conllu" | "conll-u" | "ud" => Some(Format::Conllu),
            "columns" | "column" | "conll" | "ner" => Some(Format::Columns),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Conllu => "conllu",
            Format::Columns => "columns",
        })
    }
}

/// The sentences of one file, in file order.
#[derive(Debug, Clone)]
pub struct Corpus {
    pub path: PathBuf,
    pub format: Format,
    pub sentences: Vec<Sentence>,
}

impl Corpus {
    /// Number of sentences.
    pub fn len(&self) -> usize {
        self.sentences.len()
    }

    /// True when there are no sentences (readers reject such files).
    pub fn is_empty(&self) -> bool {
        self.sentences.is_empty()
    }

    /// Total number of tokens.
    pub fn tokens(&self) -> usize {
        self.sentences.iter().map(Sentence::len).sum()
    }
}
