//! The options of `qmtl train` and the training configuration they make.

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use corpus::NoiseMode;
use models::pta::{Inference, PtaConfig};
use models::{Metric, Mode, TrainConfig};
use std::path::PathBuf;

use crate::cmd::FormatArg;

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Training file (CoNLL-U or columns).
    #[arg(long, value_name = "FILE", required_unless_present = "dataset")]
    pub(super) train: Option<PathBuf>,
    /// Development file, scored after every epoch.
    #[arg(long, value_name = "FILE", required_unless_present = "dataset")]
    pub(super) dev: Option<PathBuf>,
    /// Test file, scored once at the end.
    #[arg(long, value_name = "FILE")]
    pub(super) test: Option<PathBuf>,
    /// A dataset of the registry (`ta`, `en-ner`, ...; see `qmtl data list`)
    /// instead of --train/--dev/--test.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["train", "dev", "test"])]
    pub(super) dataset: Option<String>,
    /// Output folder for model.qmtl and run.json (created if missing).
    #[arg(long, value_name = "DIR")]
    pub(super) out: PathBuf,
    #[arg(long, value_enum, default_value_t = ModeArg::Qmtl)]
    pub(super) mode: ModeArg,
    /// k: heads of Q-MTL, members of an ensemble (default 10; STL has 1).
    #[arg(long, value_name = "K")]
    pub(super) heads: Option<usize>,
    #[arg(long, default_value_t = 20)]
    pub(super) epochs: usize,
    #[arg(long, default_value_t = 1)]
    pub(super) seed: u64,
    /// Pretrained word vectors (word2vec/polyglot text, optionally .gz).
    #[arg(long, value_name = "FILE")]
    pub(super) embeds: Option<PathBuf>,
    /// Probability of replacing a training label by a random one.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pub(super) label_noise: f64,
    #[arg(long, value_enum, default_value_t = NoiseModeArg::PerEpoch)]
    pub(super) label_noise_mode: NoiseModeArg,
    /// Use the first fraction X of the training sentences.
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    pub(super) train_fraction: f64,
    /// Keep only the first N sentences of each file (quick checks, smoke tests).
    #[arg(long, value_name = "N")]
    pub(super) max_sentences: Option<usize>,
    /// Hidden units of each head's MLP (0: linear heads). Default: 20, and 0
    /// (PTA's linear heads) for --mode pta.
    #[arg(long, value_name = "D")]
    pub(super) mlp: Option<usize>,
    #[arg(long, value_enum, default_value_t = LstmArg::Coupled)]
    pub(super) lstm: LstmArg,
    /// Word embedding size (must match --embeds).
    #[arg(long, default_value_t = 64)]
    pub(super) word_dim: usize,
    /// Standard deviation of the Gaussian noise on inputs and heads.
    #[arg(long, default_value_t = 0.2)]
    pub(super) sigma: f64,
    #[arg(long, default_value_t = 0.1)]
    pub(super) learning_rate: f64,
    /// Worker threads: ensemble members, evaluation, and within one model
    /// the two directions of each BiLSTM and the heads run in parallel;
    /// default: all cores. Results do not depend on it.
    #[arg(long, value_name = "T")]
    pub(super) threads: Option<usize>,
    /// Default: f1 for IOB-style tag sets, accuracy otherwise.
    #[arg(long, value_enum)]
    pub(super) metric: Option<MetricArg>,
    /// Force the format of the files (default: detected).
    #[arg(long, value_enum)]
    pub(super) format: Option<FormatArg>,
    /// No progress bars or messages.
    #[arg(long, short)]
    pub(super) quiet: bool,
    #[command(flatten)]
    pub(super) pta: PtaArgs,
}

/// Pseudo-Task Augmentation's options (`--mode pta`).
#[derive(Args, Debug)]
pub struct PtaArgs {
    /// PTA inference: ms = the head with the best dev score, ma = the average.
    #[arg(long, value_enum, default_value_t = InferenceArg::Ms)]
    pub(super) pta_inference: InferenceArg,
    /// DecInit: every head starts from the same values.
    #[arg(long)]
    pub(super) pta_dec_init: bool,
    /// Decoder updates (score heads on dev, apply the policies) per epoch.
    #[arg(long, default_value_t = 0, value_name = "U")]
    pub(super) pta_updates_per_epoch: usize,
    /// Greedy: copy the best head onto the others at each decoder update.
    #[arg(long)]
    pub(super) pta_greedy: bool,
    /// Perturb: add N(0, SD^2) to the non-best heads' weights.
    #[arg(long, default_value_t = 0.0, value_name = "SD")]
    pub(super) pta_perturb: f64,
    /// Hyper-perturb: move the non-best heads' dropout rates by N(0, SD^2).
    #[arg(long, default_value_t = 0.0, value_name = "SD")]
    pub(super) pta_hyper_perturb: f64,
    /// Initial dropout rate on every head's output weights.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pub(super) pta_dropout: f64,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub(super) enum InferenceArg {
    Ms,
    Ma,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub(super) enum ModeArg {
    Stl,
    Qmtl,
    Ensemble,
    Pta,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub(super) enum NoiseModeArg {
    PerEpoch,
    Fixed,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub(super) enum LstmArg {
    Coupled,
    Standard,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum MetricArg {
    Accuracy,
    F1,
}

impl From<MetricArg> for Metric {
    fn from(m: MetricArg) -> Self {
        match m {
            MetricArg::Accuracy => Metric::Accuracy,
            MetricArg::F1 => Metric::F1,
        }
    }
}

/// Every size option in its range, as one-line errors: a size of 0 would fail
/// deep in the engine, and an absurd one would try to allocate it.
fn check_sizes(a: &TrainArgs, heads: usize) -> Result<()> {
    let range = |name: &str, v: usize, lo: usize, hi: usize| -> Result<()> {
        if v < lo || v > hi {
            bail!("{name} must be between {lo} and {hi}, got {v}");
        }
        Ok(())
    };
    range("--heads", heads, 1, 1000)?;
    range("--epochs", a.epochs, 1, 100_000)?;
    range("--word-dim", a.word_dim, 1, 4096)?;
    if let Some(d) = a.mlp {
        range("--mlp", d, 0, 4096)?;
    }
    if let Some(t) = a.threads {
        range("--threads", t, 1, crate::cmd::MAX_THREADS)?;
    }
    if let Some(n) = a.max_sentences {
        range("--max-sentences", n, 1, usize::MAX)?;
    }
    range(
        "--pta-updates-per-epoch",
        a.pta.pta_updates_per_epoch,
        0,
        100_000,
    )?;
    Ok(())
}

pub(super) fn config(a: &TrainArgs) -> Result<TrainConfig> {
    let mode = match a.mode {
        ModeArg::Stl => Mode::Stl,
        ModeArg::Qmtl => Mode::Qmtl,
        ModeArg::Ensemble => Mode::Ensemble,
        ModeArg::Pta => Mode::Pta,
    };
    let heads = match (mode, a.heads) {
        (Mode::Stl, Some(k)) if k != 1 => {
            bail!("--mode stl has one head; use --mode qmtl or ensemble for --heads {k}")
        }
        (Mode::Stl, _) => 1,
        (_, Some(0)) => bail!("--heads must be at least 1"),
        (_, k) => k.unwrap_or(10),
    };
    check_sizes(a, heads)?;
    if !(a.learning_rate > 0.0 && a.learning_rate.is_finite()) {
        bail!(
            "--learning-rate must be a positive number, got {}",
            a.learning_rate
        );
    }
    if !(a.sigma >= 0.0 && a.sigma.is_finite()) {
        bail!("--sigma must be >= 0, got {}", a.sigma);
    }
    let mut cfg = TrainConfig {
        mode,
        heads,
        epochs: a.epochs,
        seed: a.seed,
        label_noise: a.label_noise,
        label_noise_mode: match a.label_noise_mode {
            NoiseModeArg::PerEpoch => NoiseMode::PerEpoch,
            NoiseModeArg::Fixed => NoiseMode::Fixed,
        },
        train_fraction: a.train_fraction,
        ..TrainConfig::default()
    };
    cfg.sgd.learning_rate = a.learning_rate;
    cfg.tagger.mlp = a.mlp.unwrap_or(if mode == Mode::Pta { 0 } else { 20 });
    let p = &a.pta;
    let pta_flags_given = p.pta_dec_init
        || p.pta_greedy
        || p.pta_updates_per_epoch > 0
        || p.pta_perturb != 0.0
        || p.pta_hyper_perturb != 0.0
        || p.pta_dropout != 0.0
        || matches!(p.pta_inference, InferenceArg::Ma);
    if mode == Mode::Pta {
        let pta = PtaConfig {
            inference: match p.pta_inference {
                InferenceArg::Ms => Inference::Ms,
                InferenceArg::Ma => Inference::Ma,
            },
            dec_init: p.pta_dec_init,
            updates_per_epoch: p.pta_updates_per_epoch,
            greedy: p.pta_greedy,
            perturb: p.pta_perturb,
            hyper_perturb: p.pta_hyper_perturb,
            dropout: p.pta_dropout,
        };
        pta.validate().map_err(anyhow::Error::msg)?;
        cfg.pta = Some(pta);
    } else if pta_flags_given {
        bail!("the --pta-* options need --mode pta");
    }
    cfg.tagger.word_dim = a.word_dim;
    cfg.tagger.noise_sigma = a.sigma;
    cfg.tagger.lstm = match a.lstm {
        LstmArg::Coupled => models::LstmKind::Coupled,
        LstmArg::Standard => models::LstmKind::Standard,
    };
    Ok(cfg)
}
