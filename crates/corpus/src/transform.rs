//! Training-data transforms: label noise, word dropout and the training fraction.
//!
//! Label noise (paper section 3.1.3, model-spec section 4) and word dropout
//! (model-spec section 2) are random, yet STL, Q-MTL, ensemble and PTA runs with one
//! seed must see exactly the same corrupted labels and dropped words. So neither
//! uses a sequential RNG, whose state would depend on how many draws other code
//! made: every decision is a counter-based hash (SplitMix64) of
//! `(seed, stream, epoch, sentence, token)`, where `sentence` is the sentence's
//! index in the training file (not its position after shuffling) and `token` its
//! position in the sentence. The decision for a token is therefore a pure function
//! of those numbers, whatever order the sentences are visited in.

use crate::error::{Error, Result};
use crate::vocab::UNK;

/// SplitMix64's output function (Steele, Lea & Flood 2014): a bijective mixer.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hashes a tuple of counters into 64 well-mixed bits.
pub fn hash_key(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(0x6A09_E667_F3BC_C908, |h, &p| splitmix64(h ^ splitmix64(p)))
}

/// A uniform float in `[0, 1)` from 53 hash bits.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A uniform integer in `[0, n)` (multiply-high; bias below 2^-64 * n).
fn below(h: u64, n: usize) -> usize {
    ((h as u128 * n as u128) >> 64) as usize
}

/// Independent streams, so that label noise and word dropout never share draws.
const STREAM_NOISE_COIN: u64 = 1;
const STREAM_NOISE_LABEL: u64 = 2;
const STREAM_DROPOUT: u64 = 3;

/// When the label corruption is drawn (model-spec section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoiseMode {
    /// Re-drawn every epoch, as the original code did (the default).
    #[default]
    PerEpoch,
    /// Drawn once: the epoch does not enter the hash.
    Fixed,
}

/// Replaces each training label, with probability `p`, by a label drawn uniformly
/// from the whole tag set (which may be the original label).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LabelNoise {
    pub p: f64,
    pub mode: NoiseMode,
    pub seed: u64,
}

impl LabelNoise {
    /// Checks `0 <= p <= 1`.
    pub fn new(p: f64, mode: NoiseMode, seed: u64) -> Result<Self> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::InvalidArgument(format!(
                "label noise must be in [0, 1], got {p}"
            )));
        }
        Ok(LabelNoise { p, mode, seed })
    }

    /// Whether token `token` of training sentence `sentence` gets a redrawn label in `epoch`.
    pub fn redraws(&self, epoch: usize, sentence: usize, token: usize) -> bool {
        self.p > 0.0 && unit(self.key(STREAM_NOISE_COIN, epoch, sentence, token)) < self.p
    }

    /// The label token `token` of training sentence `sentence` carries in `epoch`
    /// when its gold label is `gold` and the tag set has `n_tags` labels.
    pub fn label(
        &self,
        epoch: usize,
        sentence: usize,
        token: usize,
        gold: usize,
        n_tags: usize,
    ) -> usize {
        if n_tags > 0 && self.redraws(epoch, sentence, token) {
            below(self.key(STREAM_NOISE_LABEL, epoch, sentence, token), n_tags)
        } else {
            gold
        }
    }

    /// Corrupts the tag ids of one sentence in place; returns how many tokens were
    /// redrawn (including those redrawn to their own label).
    pub fn apply(&self, epoch: usize, sentence: usize, tags: &mut [usize], n_tags: usize) -> usize {
        let mut redrawn = 0;
        for (i, t) in tags.iter_mut().enumerate() {
            redrawn += usize::from(self.redraws(epoch, sentence, i));
            *t = self.label(epoch, sentence, i, *t, n_tags);
        }
        redrawn
    }

    fn key(&self, stream: u64, epoch: usize, sentence: usize, token: usize) -> u64 {
        let epoch = match self.mode {
            NoiseMode::PerEpoch => epoch as u64,
            NoiseMode::Fixed => u64::MAX,
        };
        hash_key(&[self.seed, stream, epoch, sentence as u64, token as u64])
    }
}

/// Replaces a word of training count `c` by `UNK` with probability `alpha / (alpha + c)`
/// (model-spec section 2; `alpha = 0.25` by default, 0 disables it).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WordDropout {
    pub alpha: f64,
    pub seed: u64,
}

impl WordDropout {
    /// The paper's value of `alpha`.
    pub const DEFAULT_ALPHA: f64 = 0.25;

    /// Checks `alpha >= 0`.
    pub fn new(alpha: f64, seed: u64) -> Result<Self> {
        if !(alpha >= 0.0 && alpha.is_finite()) {
            return Err(Error::InvalidArgument(format!(
                "word dropout alpha must be finite and >= 0, got {alpha}"
            )));
        }
        Ok(WordDropout { alpha, seed })
    }

    /// Whether token `token` of training sentence `sentence`, a word seen `count`
    /// times in training, is replaced by `UNK` in `epoch`.
    pub fn drops(&self, epoch: usize, sentence: usize, token: usize, count: u32) -> bool {
        if self.alpha <= 0.0 {
            return false;
        }
        let h = hash_key(&[
            self.seed,
            STREAM_DROPOUT,
            epoch as u64,
            sentence as u64,
            token as u64,
        ]);
        unit(h) < self.alpha / (self.alpha + count as f64)
    }

    /// Applies dropout to one sentence's word ids in place (`counts` indexed by word
    /// id, e.g. [`crate::Vocab::word_counts`]); returns how many words were dropped.
    pub fn apply(
        &self,
        epoch: usize,
        sentence: usize,
        words: &mut [usize],
        counts: &[u32],
    ) -> usize {
        let mut dropped = 0;
        for (i, w) in words.iter_mut().enumerate() {
            let count = counts.get(*w).copied().unwrap_or(0);
            if *w != UNK && self.drops(epoch, sentence, i, count) {
                *w = UNK;
                dropped += 1;
            }
        }
        dropped
    }
}

/// How many sentences "the first `f` of the training set" is (paper section 3.3):
/// `floor(f * n)`, but at least one when `f > 0` and `n > 0`. `f` must be in `(0, 1]`.
pub fn train_fraction_len(n: usize, f: f64) -> Result<usize> {
    if !(f > 0.0 && f <= 1.0) {
        return Err(Error::InvalidArgument(format!(
            "training fraction must be in (0, 1], got {f}"
        )));
    }
    Ok(((f * n as f64).floor() as usize).max(1).min(n))
}

/// The first `f` of `sentences` (see [`train_fraction_len`]).
pub fn train_fraction<T>(sentences: &[T], f: f64) -> Result<&[T]> {
    Ok(&sentences[..train_fraction_len(sentences.len(), f)?])
}
