//! Turning a sentence into the ids the network consumes (model-spec sections 2-3).
//!
//! For every token: its word id, its character sequence `<w> c1 ... cn </w>` as
//! ids (the character BiLSTM runs over exactly this sequence; the backward LSTM's
//! last output is the one on `<w>`), and its gold tag id. Unseen words and
//! characters become `UNK`; an unseen gold tag becomes `None`, so evaluation can
//! count it as an error whatever the prediction, while training data (whose tags
//! built the index) always has `Some`.
//!
//! Absurd words: the character BiLSTM reads at most the first and the last
//! [`CHAR_WINDOW`] characters of a word (as several taggers do), so a 5 MB
//! "word" costs what a 128-character one does. No token of the paper's data is
//! that long (the longest, in `conll2002/esp.train`, has 62 characters; no
//! whitespace-separated field of any file in `../shared/data` has more than
//! 115), so the cap changes nothing there. The word itself is still looked up
//! whole.

use crate::sentence::Sentence;
use crate::vocab::{Vocab, BOW, EOW};

/// The character BiLSTM reads at most this many characters from each end of
/// a word (module docs).
pub const CHAR_WINDOW: usize = 64;

/// One sentence as ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Word id per token (`UNK` = 0 for unseen words).
    pub words: Vec<usize>,
    /// Per token: `[BOW, c1, ..., cn, EOW]` (unseen characters = `UNK`).
    pub chars: Vec<Vec<usize>>,
    /// Gold tag id per token; `None` for a tag the training file never had.
    pub tags: Vec<Option<usize>>,
}

impl Encoded {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True for a sentence without tokens.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The gold tag ids when every tag is known (always so for training sentences).
    pub fn gold(&self) -> Option<Vec<usize>> {
        self.tags.iter().copied().collect()
    }

    /// The sentence cut into consecutive windows of `n` tokens (the last may be
    /// shorter), each to be read as a sentence of its own; a sentence of at most `n`
    /// tokens is returned whole, not copied. This is how training bounds the cost
    /// of an absurdly long "sentence", as inference does with its windows.
    ///
    /// # Panics
    /// If `n` is 0.
    pub fn into_windows(self, n: usize) -> Vec<Encoded> {
        assert!(n > 0, "Encoded::into_windows: windows of 0 tokens");
        if self.len() <= n {
            return vec![self];
        }
        let Encoded { words, chars, tags } = self;
        let mut chars = chars.into_iter();
        words
            .chunks(n)
            .zip(tags.chunks(n))
            .map(|(w, t)| Encoded {
                words: w.to_vec(),
                chars: chars.by_ref().take(w.len()).collect(),
                tags: t.to_vec(),
            })
            .collect()
    }
}

impl Vocab {
    /// Encodes a tagged sentence.
    pub fn encode(&self, s: &Sentence) -> Encoded {
        Encoded {
            words: s.words.iter().map(|w| self.word_id(w)).collect(),
            chars: s.words.iter().map(|w| self.encode_chars(w)).collect(),
            tags: s.tags.iter().map(|t| self.tag_id(t)).collect(),
        }
    }

    /// Encodes untagged words (text to tag): every gold tag is `None`.
    pub fn encode_words<S: AsRef<str>>(&self, words: &[S]) -> Encoded {
        Encoded {
            words: words.iter().map(|w| self.word_id(w.as_ref())).collect(),
            chars: words
                .iter()
                .map(|w| self.encode_chars(w.as_ref()))
                .collect(),
            tags: vec![None; words.len()],
        }
    }

    /// `[BOW, c1, ..., cn, EOW]` for one word; for a word of more than
    /// 2 [`CHAR_WINDOW`] characters, only its first and last [`CHAR_WINDOW`].
    pub fn encode_chars(&self, word: &str) -> Vec<usize> {
        let n = word.chars().count();
        let mut ids = Vec::with_capacity(n.min(2 * CHAR_WINDOW) + 2);
        ids.push(BOW);
        if n <= 2 * CHAR_WINDOW {
            ids.extend(word.chars().map(|c| self.char_id(c)));
        } else {
            ids.extend(word.chars().take(CHAR_WINDOW).map(|c| self.char_id(c)));
            let tail: Vec<char> = word.chars().rev().take(CHAR_WINDOW).collect();
            ids.extend(tail.iter().rev().map(|&c| self.char_id(c)));
        }
        ids.push(EOW);
        ids
    }

    /// Tag names of predicted ids, for writing or scoring predictions.
    ///
    /// # Panics
    /// If an id is not a tag id.
    pub fn tag_names<'a>(&'a self, ids: &[usize]) -> Vec<&'a str> {
        ids.iter().map(|&i| self.tags.name(i)).collect()
    }
}
