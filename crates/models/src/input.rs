//! A sentence as the network reads it: indices, not strings, with the
//! characters of all tokens flattened for the batched character LSTM.

/// One encoded sentence.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Encoded {
    /// Word index of each token (0 = UNK).
    pub words: Vec<usize>,
    /// Character indices of every token, `<w> c1 .. cn </w>`, concatenated.
    pub chars: Vec<usize>,
    /// Length of each token's run in `chars` (n + 2).
    pub char_lens: Vec<usize>,
    /// Gold tag index of each token; `None` for a tag the model has never seen
    /// (it can only be an error at test time, and is never trained on).
    pub tags: Vec<Option<usize>>,
}

impl Encoded {
    pub fn len(&self) -> usize {
        self.words.len()
    }
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

impl From<&corpus::Encoded> for Encoded {
    fn from(e: &corpus::Encoded) -> Self {
        Encoded {
            words: e.words.clone(),
            chars: e.chars.iter().flatten().copied().collect(),
            char_lens: e.chars.iter().map(Vec::len).collect(),
            tags: e.tags.clone(),
        }
    }
}
