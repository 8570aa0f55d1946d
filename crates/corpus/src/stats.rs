//! Corpus statistics as in Table 1 of the paper: sentences, distinct word forms, tokens.
//!
//! Word forms are compared as exact strings (case-sensitive, no normalisation);
//! with the CoNLL-U reader's rules this reproduces Table 1 to the unit.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::sentence::Sentence;

/// Size of a set of sentences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub sentences: usize,
    pub word_forms: usize,
    pub tokens: usize,
}

impl Stats {
    /// Counts `sentences`.
    pub fn of(sentences: &[Sentence]) -> Self {
        let forms: HashSet<&str> = sentences
            .iter()
            .flat_map(|s| s.words.iter().map(String::as_str))
            .collect();
        Stats {
            sentences: sentences.len(),
            word_forms: forms.len(),
            tokens: sentences.iter().map(Sentence::len).sum(),
        }
    }
}
