//! Training (model-spec sections 4-5): plain SGD one sentence at a time, the
//! sentences shuffled every epoch, label noise and word dropout applied on the
//! fly, dev scores of every head and of the average after every epoch.
//!
//! STL, Q-MTL(k) and PTA train one [`Tagger`] ([`Model::Single`]); an
//! ensemble ([`Model::Ensemble`]) trains its k members STL_1..STL_k in
//! parallel (rayon), epoch by epoch, each exactly as it would train alone, so
//! the numbers do not depend on the number of threads. What a run carries
//! from epoch to epoch is a [`TrainState`]: the model and the heads' dropout
//! rates, a training setting that PTA moves.

use crate::config::{Sizes, TaggerConfig};
use crate::eval::{evaluate, evaluate_taggers, Combine, Metric, Scores};
use crate::model::Model;
use crate::pta::{self, DecoderUpdate, Inference, PtaConfig};
use crate::seed::{self, Stream};
use crate::tagger::{Tagger, TrainStep};
use autograd::{OptimError, Sgd};
use corpus::{Embeddings, Encoded, LabelNoise, NoiseMode, Sentence, Vocab, WordDropout};
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// How the heads are organised (section 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One head.
    Stl,
    /// k heads on one shared network, averaged.
    Qmtl,
    /// k separately trained STL models, averaged.
    Ensemble,
    /// Pseudo-Task Augmentation: k heads, model selection and decoder policies.
    Pta,
}

impl Mode {
    /// The word `--mode` and `run.json` use.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Stl => "stl",
            Mode::Qmtl => "qmtl",
            Mode::Ensemble => "ensemble",
            Mode::Pta => "pta",
        }
    }
}

/// Everything that decides a training run, saved with its results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub mode: Mode,
    /// k (heads of Q-MTL, members of an ensemble; 1 for STL).
    pub heads: usize,
    pub epochs: usize,
    pub seed: u64,
    pub sgd: Sgd,
    pub label_noise: f64,
    pub label_noise_mode: NoiseMode,
    pub train_fraction: f64,
    pub tagger: TaggerConfig,
    /// PTA's options (`Mode::Pta` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pta: Option<PtaConfig>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            mode: Mode::Qmtl,
            heads: 10,
            epochs: 20,
            seed: 1,
            sgd: Sgd::default(),
            label_noise: 0.0,
            label_noise_mode: NoiseMode::PerEpoch,
            train_fraction: 1.0,
            tagger: TaggerConfig::default(),
            pta: None,
        }
    }
}

/// A training run between epochs: the model and each head's weight-dropout
/// rate on its W_j, heads counted over the model's taggers in order. The rates
/// are a training setting (PTA's `--pta-dropout`, moved by hyper-perturbation;
/// 0 in every other mode, which draws nothing) that prediction never reads; a
/// checkpoint saves them so that a resumed run continues from them.
#[derive(Clone, Debug)]
pub struct TrainState {
    pub model: Model,
    pub head_dropout: Vec<f64>,
}

impl TrainConfig {
    /// The number of heads the model has, over its taggers: `heads`, or one
    /// for STL (whatever `heads` says).
    pub fn head_count(&self) -> usize {
        match self.mode {
            Mode::Stl => 1,
            Mode::Qmtl | Mode::Pta | Mode::Ensemble => self.heads,
        }
    }

    /// The number of values the model has on vocabularies of `sizes`, known
    /// before [`TrainConfig::init`] allocates them (see [`MAX_PARAMETERS`]).
    pub fn parameters(&self, sizes: Sizes) -> u64 {
        let t = &self.tagger;
        match self.mode {
            Mode::Stl | Mode::Qmtl | Mode::Pta => t.parameters(sizes, self.head_count()),
            Mode::Ensemble => t.parameters(sizes, 1).saturating_mul(self.heads as u64),
        }
    }

    /// The state training starts from: one tagger with k heads (STL, Q-MTL,
    /// PTA), or k with one head each, member j starting like Q-MTL's head j
    /// (ensemble); every head's dropout rate at PTA's initial rate, else 0.
    pub fn init(&self, sizes: Sizes) -> TrainState {
        let model = self.init_model(sizes);
        let rate = match self.mode {
            Mode::Pta => self.pta.clone().unwrap_or_default().dropout,
            _ => 0.0,
        };
        TrainState {
            head_dropout: vec![rate; model.k()],
            model,
        }
    }

    fn init_model(&self, sizes: Sizes) -> Model {
        match self.mode {
            Mode::Stl => Model::Single(Tagger::with_heads(
                &TaggerConfig {
                    heads: 1,
                    ..self.tagger.clone()
                },
                sizes,
                self.seed,
                &[0],
            )),
            Mode::Qmtl => Model::Single(Tagger::new(
                &TaggerConfig {
                    heads: self.heads,
                    ..self.tagger.clone()
                },
                sizes,
                self.seed,
            )),
            Mode::Pta => {
                let pta = self.pta.clone().unwrap_or_default();
                let cfg = TaggerConfig {
                    heads: self.heads,
                    ..self.tagger.clone()
                };
                let mut t = Tagger::new(&cfg, sizes, self.seed);
                if pta.dec_init {
                    pta::dec_init(&mut t);
                }
                Model::Single(t)
            }
            Mode::Ensemble => Model::Ensemble(
                (0..self.heads)
                    .map(|j| {
                        Tagger::with_heads(
                            &TaggerConfig {
                                heads: 1,
                                ..self.tagger.clone()
                            },
                            sizes,
                            self.seed,
                            &[j],
                        )
                    })
                    .collect(),
            ),
        }
    }

    /// How the trained model predicts unless told otherwise, given its epochs'
    /// reports (stored in its model file): PTA with model selection, by the
    /// head with the best dev score after the last epoch (ties to the lowest
    /// index); every other run, by the average.
    pub fn combine(&self, reports: &[EpochReport]) -> Combine {
        let ms = self.mode == Mode::Pta
            && self.pta.clone().unwrap_or_default().inference == Inference::Ms;
        match reports.last() {
            Some(last) if ms => Combine::Select(pta::best_head(&last.dev.heads)),
            _ => Combine::Average,
        }
    }
}

/// One epoch's record, as `run.json` stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    pub epoch: usize,
    /// Seconds spent training (not evaluating); for an ensemble, summed over members.
    pub train_seconds: f64,
    pub train_tokens: usize,
    pub tokens_per_second: f64,
    pub dev: Scores,
    /// PTA's decoder updates during this epoch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decoder_updates: Vec<DecoderUpdate>,
}

/// Receives progress; the command line draws bars with it.
pub trait Progress: Sync {
    fn epoch_start(&self, _epoch: usize, _sentences: usize) {}
    /// Called from training threads after every `n` sentences.
    fn sentences_done(&self, _n: usize) {}
    fn epoch_end(&self, _report: &EpochReport) {}
}

/// No progress reporting.
pub struct Silent;
impl Progress for Silent {}

/// The most values a model may have: 2^28 (1 GiB of `f32`; training holds
/// them with their gradients and more, the model file holds them again). The
/// paper's largest models, ensembles of 30 on the NER sets, have about 66 million.
pub const MAX_PARAMETERS: u64 = 1 << 28;

/// A training failure.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("epoch {epoch}, training sentence {}: {source}", at(*.sentence, *.line))]
    Optim {
        epoch: usize,
        /// 1-based index of the training sequence (a sentence longer than
        /// `MAX_SEQUENCE` tokens counts as several).
        sentence: usize,
        /// Line of its first token in the training file, where known.
        line: Option<usize>,
        source: OptimError,
    },
    #[error("{0}")]
    Data(#[from] corpus::Error),
    #[error("after an epoch: {0}")]
    Hook(Box<dyn std::error::Error + Send + Sync>),
    #[error("the embeddings are {got}-dimensional but the word embedding is {want}-dimensional (set the word dimension, `qmtl train --word-dim`, to {got})")]
    EmbeddingDim { got: usize, want: usize },
}

/// Where a training sequence is: its line when the file gave one.
fn at(sentence: usize, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("at line {line}"),
        None => sentence.to_string(),
    }
}

/// The training data, encoded once.
pub struct TrainData<'a> {
    pub vocab: &'a Vocab,
    pub train: Vec<Encoded>,
    /// Line of each training sequence's first token in its file (`None` for
    /// sentences built in code), for errors.
    pub lines: Vec<Option<usize>>,
    pub dev: &'a [Sentence],
    pub dev_encoded: Vec<Encoded>,
    pub metric: Metric,
}

impl<'a> TrainData<'a> {
    /// Encodes `train` (already cut to the training fraction) and `dev`.
    pub fn new(vocab: &'a Vocab, train: &[Sentence], dev: &'a [Sentence], metric: Metric) -> Self {
        // A sentence longer than MAX_SEQUENCE is trained on as its windows,
        // as inference reads it, so one absurd line cannot exhaust memory.
        const N: usize = crate::eval::MAX_SEQUENCE;
        let (mut windows, mut lines) = (Vec::new(), Vec::new());
        for s in train {
            let w = vocab.encode(s).into_windows(N);
            lines.extend((0..w.len()).map(|j| s.lines.get(j * N).copied()));
            windows.extend(w);
        }
        TrainData {
            vocab,
            train: windows,
            lines,
            dev,
            dev_encoded: dev.iter().map(|s| vocab.encode(s)).collect(),
            metric,
        }
    }
}

/// Copies pretrained vectors into the word embedding rows they cover (of
/// every tagger of `model`).
pub fn load_embeddings(
    model: &mut Model,
    vocab: &Vocab,
    emb: &Embeddings,
) -> Result<usize, TrainError> {
    let mut covered = 0;
    for m in model.taggers_mut() {
        let d = m.config.word_dim;
        if emb.dim() != d {
            return Err(TrainError::EmbeddingDim {
                got: emb.dim(),
                want: d,
            });
        }
        let table = &mut m.params.get_mut(m.word_emb).value;
        covered = 0;
        for (id, w) in vocab.words.names().iter().enumerate() {
            if let Some(v) = emb.get(w) {
                table[id * d..(id + 1) * d].copy_from_slice(v);
                covered += 1;
            }
        }
    }
    Ok(covered)
}

/// Trains `state` for `cfg.epochs` epochs; returns one report per epoch. How
/// the trained model predicts is [`TrainConfig::combine`] of the reports.
pub fn train(
    cfg: &TrainConfig,
    state: &mut TrainState,
    data: &TrainData<'_>,
    progress: &dyn Progress,
) -> Result<Vec<EpochReport>, TrainError> {
    train_from(cfg, state, data, progress, Vec::new(), &mut |_, _| Ok(()))
}

/// Called after every finished epoch with the state and the reports so far
/// (to write a checkpoint); an error stops training.
pub type EpochHook<'h> = dyn FnMut(&TrainState, &[EpochReport]) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
    + 'h;

/// [`train`], continuing after the epochs of `done` (the state as it was
/// after them, e.g. from a [`crate::checkpoint::Checkpoint`]): the result is
/// the same as that of an uninterrupted run, because every random draw of an
/// epoch depends on (seed, epoch) alone.
pub fn train_from(
    cfg: &TrainConfig,
    state: &mut TrainState,
    data: &TrainData<'_>,
    progress: &dyn Progress,
    done: Vec<EpochReport>,
    after_epoch: &mut EpochHook<'_>,
) -> Result<Vec<EpochReport>, TrainError> {
    let noise = LabelNoise::new(cfg.label_noise, cfg.label_noise_mode, cfg.seed)?;
    let dropout = WordDropout::new(cfg.tagger.word_dropout, cfg.seed)?;
    let mut steps: Vec<TrainStep> = state
        .model
        .taggers()
        .iter()
        .map(|m| TrainStep::new(m, cfg.sgd))
        .collect();
    let members = steps.len();
    let pta = match cfg.mode {
        Mode::Pta => Some(cfg.pta.clone().unwrap_or_default()),
        _ => None,
    };
    let tokens: usize = data.train.iter().map(|s| s.len()).sum();
    let mut reports = done;
    for epoch in reports.len()..cfg.epochs {
        progress.epoch_start(epoch + 1, data.train.len() * members);
        let order = epoch_order(cfg.seed, epoch, data.train.len());
        let ctx = EpochCtx {
            data,
            order: &order,
            epoch,
            seed: cfg.seed,
            noise: &noise,
            dropout: &dropout,
            pta: pta.as_ref(),
            progress,
            spin: state.model.taggers().len() == 1 && rayon::current_num_threads() >= 2,
        };
        let TrainState {
            model,
            head_dropout,
        } = &mut *state;
        let rates = per_tagger(head_dropout, model.taggers());
        let done: Vec<Result<(f64, Vec<DecoderUpdate>), TrainError>> = model
            .taggers_mut()
            .par_iter_mut()
            .zip(steps.par_iter_mut())
            .zip(rates)
            .map(|((m, step), rates)| run_epoch(m, rates, step, &ctx))
            .collect();
        let mut train_seconds = 0.0;
        let mut decoder_updates = Vec::new();
        for d in done {
            let (secs, updates) = d?;
            train_seconds += secs;
            decoder_updates.extend(updates);
        }
        let dev = evaluate(
            &state.model,
            Combine::Average,
            data.vocab,
            data.dev,
            &data.dev_encoded,
            data.metric,
        );
        let report = EpochReport {
            epoch: epoch + 1,
            train_seconds,
            train_tokens: tokens,
            tokens_per_second: (tokens * members) as f64 / train_seconds.max(1e-9),
            dev,
            decoder_updates,
        };
        progress.epoch_end(&report);
        reports.push(report);
        after_epoch(state, &reports).map_err(TrainError::Hook)?;
    }
    Ok(reports)
}

/// `rates` (one per head, over all of `taggers`' heads in order) cut into
/// each tagger's own; a tagger beyond the end gets none (rate 0).
fn per_tagger<'a>(rates: &'a mut [f64], taggers: &[Tagger]) -> Vec<&'a mut [f64]> {
    let mut rest = rates;
    taggers
        .iter()
        .map(|t| {
            let n = t.k().min(rest.len());
            let (own, after) = std::mem::take(&mut rest).split_at_mut(n);
            rest = after;
            own
        })
        .collect()
}

/// The order of the `n` training sentences in `epoch` (0-based): a function
/// of the seed alone, so STL_j, Q-MTL(k), the ensemble and PTA with one seed
/// all see the sentences in the same order (section 5).
pub fn epoch_order(seed: u64, epoch: usize, n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut seed::rng(seed, Stream::Shuffle(epoch)));
    order
}

/// What every member's epoch shares.
struct EpochCtx<'a> {
    data: &'a TrainData<'a>,
    order: &'a [usize],
    epoch: usize,
    seed: u64,
    noise: &'a LabelNoise,
    dropout: &'a WordDropout,
    pta: Option<&'a PtaConfig>,
    progress: &'a dyn Progress,
    /// Fork on a spinning helper thread (one model on two or more threads;
    /// `autograd::par`), not on the rayon pool.
    spin: bool,
}

/// One epoch of one tagger with its heads' dropout rates; returns its
/// training seconds (dev scoring for PTA's decoder updates excluded) and the
/// decoder updates it made.
fn run_epoch(
    m: &mut Tagger,
    rates: &mut [f64],
    step: &mut TrainStep,
    c: &EpochCtx<'_>,
) -> Result<(f64, Vec<DecoderUpdate>), TrainError> {
    if c.spin {
        autograd::par::Spinner::new().enter(|| run_sentences(m, rates, step, c))
    } else {
        run_sentences(m, rates, step, c)
    }
}

/// [`run_epoch`]'s loop over the sentences.
fn run_sentences(
    m: &mut Tagger,
    rates: &mut [f64],
    step: &mut TrainStep,
    c: &EpochCtx<'_>,
) -> Result<(f64, Vec<DecoderUpdate>), TrainError> {
    let (data, epoch) = (c.data, c.epoch);
    let mut rng = seed::rng(c.seed, Stream::Noise(epoch));
    let mut pta_rng = seed::rng(c.seed, Stream::Pta(epoch));
    let every = match c.pta {
        Some(p) if p.updates_per_epoch > 0 && p.has_policy() => {
            c.order.len().div_ceil(p.updates_per_epoch).max(1)
        }
        _ => usize::MAX,
    };
    let n_tags = data.vocab.tags.len();
    let mut updates = Vec::new();
    let mut seconds = 0.0;
    let mut start = Instant::now();
    let mut done = 0;
    // The sentence as this step sees it (dropped words, noisy labels), copied
    // into the same buffers every step.
    let mut x = Encoded::default();
    for (seen, &i) in c.order.iter().enumerate() {
        let s = &data.train[i];
        let mut gold: Vec<usize> = s
            .tags
            .iter()
            .map(|t| t.expect("training tags are in the index"))
            .collect();
        c.noise.apply(epoch, i, &mut gold, n_tags);
        x.words.clone_from(&s.words);
        c.dropout
            .apply(epoch, i, &mut x.words, &data.vocab.word_counts);
        x.chars.clone_from(&s.chars);
        x.char_lens.clone_from(&s.char_lens);
        x.tags.clear();
        x.tags.extend(gold.into_iter().map(Some));
        step.step(m, &x, rates, &mut rng)
            .map_err(|source| TrainError::Optim {
                epoch: epoch + 1,
                sentence: i + 1,
                line: data.lines[i],
                source,
            })?;
        done += 1;
        if done == 64 {
            c.progress.sentences_done(done);
            done = 0;
        }
        if (seen + 1) % every == 0 {
            seconds += start.elapsed().as_secs_f64();
            let scores = evaluate_taggers(
                std::slice::from_ref(m),
                Combine::Average,
                data.vocab,
                data.dev,
                &data.dev_encoded,
                data.metric,
            )
            .heads;
            let best = pta::decoder_update(
                m,
                rates,
                c.pta.expect("decoder updates are PTA's"),
                &scores,
                &mut pta_rng,
            );
            updates.push(DecoderUpdate {
                epoch: epoch + 1,
                after_sentences: seen + 1,
                best_head: best,
                dev: scores,
            });
            start = Instant::now();
        }
    }
    c.progress.sentences_done(done);
    Ok((seconds + start.elapsed().as_secs_f64(), updates))
}
