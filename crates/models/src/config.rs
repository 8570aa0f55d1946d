//! The network's hyper-parameters, with the paper's (and the original
//! implementation's) defaults, saved with every model and run.

use autograd::LstmKind;
use serde::{Deserialize, Serialize};

/// Shape and regularisation of one tagger network (model-spec section 3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaggerConfig {
    /// Number of softmax heads k (STL: 1).
    pub heads: usize,
    pub word_dim: usize,
    pub char_dim: usize,
    pub char_hidden: usize,
    pub word_hidden: usize,
    /// Hidden units of each head's MLP; 0 = a linear head (no ReLU layer).
    pub mlp: usize,
    /// Standard deviation of the Gaussian noise on the token inputs and on
    /// each head's input, training only.
    pub noise_sigma: f64,
    pub lstm: LstmKind,
    /// Word dropout constant a: a word seen c times is replaced by UNK with
    /// probability a / (a + c).
    pub word_dropout: f64,
    /// Initial value of every embedding row (before pretrained vectors).
    pub embedding_init: f64,
}

impl TaggerConfig {
    /// The number of values of a tagger with `heads` heads of this shape on
    /// vocabularies of `sizes` (what [`crate::Tagger::with_heads`] allocates),
    /// computed without allocating; saturating.
    pub fn parameters(&self, sizes: Sizes, heads: usize) -> u64 {
        let n = |x: usize| x as u64;
        let lstm = |input: usize, h: usize| {
            let (g, h, input) = (n(self.lstm.gates()), n(h), n(input));
            let peepholes = match self.lstm {
                LstmKind::Coupled => 2 * h * h,
                LstmKind::Standard => 0,
            };
            g * h * input + g * h * h + g * h + peepholes
        };
        let token_dim = self.word_dim + 2 * self.char_hidden;
        let h = 2 * n(self.word_hidden);
        let into = if self.mlp > 0 { n(self.mlp) } else { h };
        let head = n(self.mlp) * h + n(self.mlp) + n(sizes.tags) * into + n(sizes.tags);
        let shared = n(sizes.words) * n(self.word_dim)
            + n(sizes.chars) * n(self.char_dim)
            + 2 * lstm(self.char_dim, self.char_hidden)
            + 2 * lstm(token_dim, self.word_hidden);
        shared.saturating_add(head.saturating_mul(n(heads)))
    }
}

impl Default for TaggerConfig {
    fn default() -> Self {
        TaggerConfig {
            heads: 1,
            word_dim: 64,
            char_dim: 100,
            char_hidden: 100,
            word_hidden: 100,
            mlp: 20,
            noise_sigma: 0.2,
            lstm: LstmKind::Coupled,
            word_dropout: 0.25,
            embedding_init: 0.01,
        }
    }
}

/// Sizes of the vocabularies a network is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sizes {
    pub words: usize,
    pub chars: usize,
    pub tags: usize,
}
