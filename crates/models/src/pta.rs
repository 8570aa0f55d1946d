//! Pseudo-Task Augmentation (Meyerson & Miikkulainen 2018; paper section 4):
//! k heads on the shared network trained with the summed loss like Q-MTL, but
//! predicting by *model selection* (MS: the single head with the best dev
//! score) rather than model averaging (MA), and optionally steering the heads
//! ("decoders") during training:
//!
//! - DecInit: every head starts from head 0's values;
//! - every M updates the heads are scored on dev, and then
//!   - greedy: the best head's parameters (and dropout rate) are copied to the others,
//!   - perturb: Gaussian noise is added to the non-best heads' weight matrices,
//!   - hyper-perturb: the non-best heads' dropout rates (inverted dropout on
//!     their output weights W_j) move by Gaussian noise, kept in [0, 0.5].
//!
//! The dropout rates are training state, not part of the [`Tagger`]: the
//! trainer holds them (`TrainState::head_dropout`, saved in checkpoints) and
//! passes them to each step and to the policies here. The selected head is
//! the result of training ([`crate::TrainConfig::combine`]), stored in the
//! model file.
//!
//! With every policy off and MA inference, PTA trains and predicts exactly like Q-MTL.

use crate::tagger::Tagger;
use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// Bounds of a head's weight-dropout rate under hyper-perturbation.
pub const DROPOUT_BOUNDS: (f64, f64) = (0.0, 0.5);

/// How a PTA model predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Inference {
    /// Model selection: the head with the best dev score after training.
    Ms,
    /// Model averaging of all heads (Q-MTL's Eq. 3).
    Ma,
}

/// PTA's options; the default is plain PTA with every policy off.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PtaConfig {
    pub inference: Inference,
    /// Identical initial heads.
    pub dec_init: bool,
    /// Decoder updates per epoch (every M = ceil(sentences / this) updates); 0 = none.
    pub updates_per_epoch: usize,
    pub greedy: bool,
    /// Standard deviation of the noise added to non-best heads' weights (0 = off).
    pub perturb: f64,
    /// Standard deviation of the noise on non-best heads' dropout rates (0 = off).
    pub hyper_perturb: f64,
    /// Initial weight-dropout rate of every head.
    pub dropout: f64,
}

impl Default for PtaConfig {
    fn default() -> Self {
        PtaConfig {
            inference: Inference::Ms,
            dec_init: false,
            updates_per_epoch: 0,
            greedy: false,
            perturb: 0.0,
            hyper_perturb: 0.0,
            dropout: 0.0,
        }
    }
}

impl PtaConfig {
    /// Whether decoder updates change anything.
    pub fn has_policy(&self) -> bool {
        self.greedy || self.perturb > 0.0 || self.hyper_perturb > 0.0
    }

    /// Checks the combination; the message names the option.
    pub fn validate(&self) -> Result<(), String> {
        if self.has_policy() && self.updates_per_epoch == 0 {
            return Err("the PTA policies greedy, perturb and hyper-perturb need decoder updates: set --pta-updates-per-epoch".into());
        }
        for (name, v) in [
            ("--pta-perturb", self.perturb),
            ("--pta-hyper-perturb", self.hyper_perturb),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(format!("{name} must be a standard deviation >= 0, got {v}"));
            }
        }
        if !(DROPOUT_BOUNDS.0..=DROPOUT_BOUNDS.1).contains(&self.dropout) {
            return Err(format!(
                "--pta-dropout must be in [{}, {}], got {}",
                DROPOUT_BOUNDS.0, DROPOUT_BOUNDS.1, self.dropout
            ));
        }
        Ok(())
    }
}

/// One decoder update, as run.json records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecoderUpdate {
    pub epoch: usize,
    /// Training sentences seen in this epoch when it happened.
    pub after_sentences: usize,
    pub best_head: usize,
    /// Dev score of every head at that moment.
    pub dev: Vec<f64>,
}

/// The best head: highest score, ties to the lowest index.
pub fn best_head(scores: &[f64]) -> usize {
    let mut best = 0;
    for (j, &s) in scores.iter().enumerate() {
        if s > scores[best] {
            best = j;
        }
    }
    best
}

/// DecInit: every head takes head 0's values (their dropout rates start
/// equal, at [`PtaConfig::dropout`]).
pub fn dec_init(t: &mut Tagger) {
    for j in 1..t.k() {
        copy_head_params(t, 0, j);
    }
}

/// Copies head `from`'s parameters and dropout rate (`dropout[from]`, one
/// rate per head) onto head `to`.
pub fn copy_head(t: &mut Tagger, dropout: &mut [f64], from: usize, to: usize) {
    copy_head_params(t, from, to);
    if let Some(&d) = dropout.get(from) {
        dropout[to] = d;
    }
}

/// Copies head `from`'s parameters onto head `to`.
fn copy_head_params(t: &mut Tagger, from: usize, to: usize) {
    let (a, b) = (t.heads[from], t.heads[to]);
    let (av, bv) = (a.hidden.unzip(), b.hidden.unzip());
    let pairs = [
        (av.0, bv.0),
        (av.1, bv.1),
        (Some(a.w), Some(b.w)),
        (Some(a.bw), Some(b.bw)),
    ];
    for (src, dst) in pairs.into_iter().filter_map(|(s, d)| s.zip(d)) {
        let v = t.params.get(src).value.clone();
        t.params.get_mut(dst).value = v;
    }
}

/// Applies the configured policies to the heads of `t` and their dropout
/// rates `dropout` given the heads' current dev scores; returns the best head.
pub fn decoder_update<R: Rng>(
    t: &mut Tagger,
    dropout: &mut [f64],
    cfg: &PtaConfig,
    scores: &[f64],
    rng: &mut R,
) -> usize {
    let best = best_head(scores);
    for j in (0..t.k()).filter(|&j| j != best) {
        if cfg.greedy {
            copy_head(t, dropout, best, j);
        }
        if cfg.perturb > 0.0 {
            let h = t.heads[j];
            for id in [h.hidden.map(|(v, _)| v), Some(h.w)].into_iter().flatten() {
                for w in &mut t.params.get_mut(id).value {
                    *w += (cfg.perturb * rng.sample::<f64, _>(StandardNormal)) as f32;
                }
            }
        }
        if cfg.hyper_perturb > 0.0 {
            let d = dropout[j] + cfg.hyper_perturb * rng.sample::<f64, _>(StandardNormal);
            dropout[j] = d.clamp(DROPOUT_BOUNDS.0, DROPOUT_BOUNDS.1);
        }
    }
    best
}
