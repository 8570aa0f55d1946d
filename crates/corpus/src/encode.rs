//! Turning a sentence into the ids the network consumes (model-spec sections 2-3).
//!
//! For every token: its word id, its character sequence `<w> c1 ... cn </w>` as
//! ids (the character BiLSTM runs over exactly this sequence; the backward LSTM's
//! last output is the one on `<w>`), and its gold tag id. The character
//! sequences of all tokens are stored one after the other with each token's
//! length, the layout the network's batched character LSTM reads, so that
//! training and prediction use an [`Encoded`] as it is. Unseen words and
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

/// One sentence as ids, as the network reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Encoded {
    /// Word id per token (`UNK` = 0 for unseen words).
    pub words: Vec<usize>,
    /// Every token's `[BOW, c1, ..., cn, EOW]` (unseen characters = `UNK`),
    /// concatenated.
    pub chars: Vec<usize>,
    /// Length of each token's run in `chars` (n + 2).
    pub char_lens: Vec<usize>,
    /// Gold tag id per token; `None` for a tag the training file never had
    /// (it can only be an error at test time, and is never trained on).
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

    /// Each token's character ids, `[BOW, c1, ..., cn, EOW]`.
    pub fn token_chars(&self) -> impl Iterator<Item = &[usize]> {
        let mut at = 0;
        self.char_lens.iter().map(move |&n| {
            at += n;
            &self.chars[at - n..at]
        })
    }

    /// Tokens `start..end` as a sentence of their own; `at_char` is where
    /// token `start`'s characters begin in `chars`.
    pub fn window(&self, start: usize, end: usize, at_char: usize) -> Encoded {
        let n: usize = self.char_lens[start..end].iter().sum();
        Encoded {
            words: self.words[start..end].to_vec(),
            chars: self.chars[at_char..at_char + n].to_vec(),
            char_lens: self.char_lens[start..end].to_vec(),
            tags: self.tags[start..end].to_vec(),
        }
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
        let mut at_char = 0;
        (0..self.len())
            .step_by(n)
            .map(|start| {
                let w = self.window(start, (start + n).min(self.len()), at_char);
                at_char += w.chars.len();
                w
            })
            .collect()
    }
}

impl Vocab {
    /// Encodes a tagged sentence.
    pub fn encode(&self, s: &Sentence) -> Encoded {
        Encoded {
            tags: s.tags.iter().map(|t| self.tag_id(t)).collect(),
            ..self.encode_words(&s.words)
        }
    }

    /// Encodes untagged words (text to tag): every gold tag is `None`.
    pub fn encode_words<S: AsRef<str>>(&self, words: &[S]) -> Encoded {
        let mut chars = Vec::new();
        let char_lens = words
            .iter()
            .map(|w| {
                let ids = self.encode_chars(w.as_ref());
                chars.extend_from_slice(&ids);
                ids.len()
            })
            .collect();
        Encoded {
            words: words.iter().map(|w| self.word_id(w.as_ref())).collect(),
            chars,
            char_lens,
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
