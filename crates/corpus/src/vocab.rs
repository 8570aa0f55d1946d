//! Word, character and tag indices (model-spec section 2).
//!
//! Ids are dense `usize`s in first-seen order so they index embedding rows and
//! softmax outputs directly. The word index reserves id 0 for `UNK`; the character
//! index reserves 0 = `UNK`, 1 = `<w>` (start of word), 2 = `</w>` (end of word).
//! Reserved entries are not strings in the map, so a training word spelled `UNK` is
//! an ordinary word with its own id. The tag index has no `UNK`: a gold tag never
//! seen in training has no id (see [`crate::Encoded::tags`]) and counts as an error.
//! Word counts from the training file drive word dropout ([`crate::WordDropout`]).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::embeddings::Embeddings;
use crate::sentence::Sentence;

/// Id of the unknown word and of the unknown character.
pub const UNK: usize = 0;
/// Character id of the start-of-word symbol `<w>`.
pub const BOW: usize = 1;
/// Character id of the end-of-word symbol `</w>`.
pub const EOW: usize = 2;

/// A bijection between strings and dense ids, the first `reserved` ids being
/// symbols that no input string maps to.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "IndexRepr", into = "IndexRepr")]
pub struct Index {
    names: Vec<String>,
    reserved: usize,
    ids: HashMap<String, usize>,
}

/// What is saved: the names in id order and how many are reserved symbols.
#[derive(Serialize, Deserialize)]
struct IndexRepr {
    names: Vec<String>,
    reserved: usize,
}

impl From<IndexRepr> for Index {
    fn from(r: IndexRepr) -> Self {
        let ids = (r.names.iter().enumerate().skip(r.reserved))
            .map(|(i, n)| (n.clone(), i))
            .collect();
        Index {
            names: r.names,
            reserved: r.reserved,
            ids,
        }
    }
}

impl From<Index> for IndexRepr {
    fn from(i: Index) -> Self {
        IndexRepr {
            names: i.names,
            reserved: i.reserved,
        }
    }
}

impl Index {
    /// An index whose first ids are the given reserved symbols (display names only).
    pub fn with_reserved(symbols: &[&str]) -> Self {
        Index {
            names: symbols.iter().map(|s| s.to_string()).collect(),
            reserved: symbols.len(),
            ids: HashMap::new(),
        }
    }

    /// The id of `s`, adding it at the end if it is new.
    pub fn insert(&mut self, s: &str) -> usize {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.names.len();
        self.names.push(s.to_owned());
        self.ids.insert(s.to_owned(), id);
        id
    }

    /// The id of `s`, if it is in the index.
    pub fn get(&self, s: &str) -> Option<usize> {
        self.ids.get(s).copied()
    }

    /// The string (or reserved symbol name) of `id`.
    ///
    /// # Panics
    /// If `id >= len()`.
    pub fn name(&self, id: usize) -> &str {
        &self.names[id]
    }

    /// Number of ids, reserved ones included.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when the index holds nothing, not even reserved symbols.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Number of reserved symbols at the start.
    pub fn reserved(&self) -> usize {
        self.reserved
    }

    /// All names in id order, reserved symbols first.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// Tokens whose gold tag the tag index knows, of all tokens ([`Vocab::tag_overlap`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagOverlap {
    pub known: usize,
    pub total: usize,
    /// Tags the index does not have, with their counts, most frequent first.
    pub unknown: Vec<(String, usize)>,
}

impl TagOverlap {
    /// True when fewer than half of the tokens carry a known tag: the file and
    /// the model most likely belong to different tasks or tag sets.
    pub fn is_low(&self) -> bool {
        self.total > 0 && 2 * self.known < self.total
    }
}

/// The three indices of a tagger plus the training counts of every word id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vocab {
    /// `UNK` = 0, then training words in first-seen order, then embedding-only words.
    pub words: Index,
    /// `UNK` = 0, `<w>` = 1, `</w>` = 2, then characters in first-seen order.
    pub chars: Index,
    /// Training tags in first-seen order.
    pub tags: Index,
    /// `word_counts[id]`: occurrences of word `id` in the training sentences
    /// (0 for `UNK` and for words that come only from an embedding file).
    pub word_counts: Vec<u32>,
}

impl Vocab {
    /// Builds the indices from the training sentences, in first-seen order.
    pub fn build(train: &[Sentence]) -> Self {
        let mut words = Index::with_reserved(&["<UNK>"]);
        let mut chars = Index::with_reserved(&["<UNK>", "<w>", "</w>"]);
        let mut tags = Index::with_reserved(&[]);
        let mut word_counts = vec![0u32];
        let mut buf = [0u8; 4];
        for s in train {
            for (w, t) in s.words.iter().zip(&s.tags) {
                let id = words.insert(w);
                if id == word_counts.len() {
                    word_counts.push(0);
                }
                word_counts[id] += 1;
                for c in w.chars() {
                    chars.insert(c.encode_utf8(&mut buf));
                }
                tags.insert(t);
            }
        }
        Vocab {
            words,
            chars,
            tags,
            word_counts,
        }
    }

    /// Adds every word of a pretrained embedding file that is not yet in the word
    /// index (model-spec section 2), in file order; returns how many were added.
    /// Characters are not added: the character index stays the training one.
    pub fn add_embedding_words(&mut self, embeddings: &Embeddings) -> usize {
        let before = self.words.len();
        for w in embeddings.words() {
            if self.words.insert(w) == self.word_counts.len() {
                self.word_counts.push(0);
            }
        }
        self.words.len() - before
    }

    /// Word id, `UNK` for unseen words.
    pub fn word_id(&self, w: &str) -> usize {
        self.words.get(w).unwrap_or(UNK)
    }

    /// Character id, `UNK` for unseen characters.
    pub fn char_id(&self, c: char) -> usize {
        let mut buf = [0u8; 4];
        self.chars.get(c.encode_utf8(&mut buf)).unwrap_or(UNK)
    }

    /// Tag id; `None` for a tag never seen in training.
    pub fn tag_id(&self, t: &str) -> Option<usize> {
        self.tags.get(t)
    }

    /// How the gold tags of `sentences` overlap with the tag index: a model
    /// scored on a file of another tag set (POS tags against an NER model)
    /// scores 0 without anything being wrong with either, so callers warn.
    pub fn tag_overlap(&self, sentences: &[Sentence]) -> TagOverlap {
        let mut known = 0;
        let mut total = 0;
        let mut unknown: HashMap<&str, usize> = HashMap::new();
        for t in sentences.iter().flat_map(|s| &s.tags) {
            total += 1;
            if self.tags.get(t).is_some() {
                known += 1;
            } else {
                *unknown.entry(t).or_default() += 1;
            }
        }
        let mut unknown: Vec<(String, usize)> = unknown
            .into_iter()
            .map(|(t, n)| (t.to_string(), n))
            .collect();
        unknown.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        TagOverlap {
            known,
            total,
            unknown,
        }
    }

    /// Training count of word `id` (0 for UNK and embedding-only words).
    pub fn count(&self, id: usize) -> u32 {
        self.word_counts.get(id).copied().unwrap_or(0)
    }
}
