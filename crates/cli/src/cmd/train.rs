//! `qmtl train`: trains STL, Q-MTL(k) or an ensemble of k STL models and writes
//! `DIR/model.qmtl` and `DIR/run.json` (per-epoch dev scores of every head and
//! of the average, test scores, head norms, training times; section 6 of the
//! model spec). Defaults are the paper's.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use corpus::{read_corpus, Corpus, Embeddings, NoiseMode, Registry, Split, Vocab};
use models::config::Sizes;
use models::pta::{best_head, Inference, PtaConfig};
use models::train::{load_embeddings, EpochReport};
use models::{evaluate, Metric, Mode, ModelFile, TrainConfig, TrainData};
use serde_json::json;

use super::progress::Bars;
use super::FormatArg;
use crate::Global;
use corpus::registry::sha256_file;

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Training file (CoNLL-U or columns).
    #[arg(long, value_name = "FILE", required_unless_present = "dataset")]
    train: Option<PathBuf>,
    /// Development file, scored after every epoch.
    #[arg(long, value_name = "FILE", required_unless_present = "dataset")]
    dev: Option<PathBuf>,
    /// Test file, scored once at the end.
    #[arg(long, value_name = "FILE")]
    test: Option<PathBuf>,
    /// A dataset of the registry (`ta`, `en-ner`, ...; see `qmtl data list`)
    /// instead of --train/--dev/--test.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["train", "dev", "test"])]
    dataset: Option<String>,
    /// Output folder for model.qmtl and run.json (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[arg(long, value_enum, default_value_t = ModeArg::Qmtl)]
    mode: ModeArg,
    /// k: heads of Q-MTL, members of an ensemble (default 10; STL has 1).
    #[arg(long, value_name = "K")]
    heads: Option<usize>,
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Pretrained word vectors (word2vec/polyglot text, optionally .gz).
    #[arg(long, value_name = "FILE")]
    embeds: Option<PathBuf>,
    /// Probability of replacing a training label by a random one.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    label_noise: f64,
    #[arg(long, value_enum, default_value_t = NoiseModeArg::PerEpoch)]
    label_noise_mode: NoiseModeArg,
    /// Use the first fraction X of the training sentences.
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    train_fraction: f64,
    /// Keep only the first N sentences of each file (quick checks, smoke tests).
    #[arg(long, value_name = "N")]
    max_sentences: Option<usize>,
    /// Hidden units of each head's MLP (0: linear heads). Default: 20, and 0
    /// (PTA's linear heads) for --mode pta.
    #[arg(long, value_name = "D")]
    mlp: Option<usize>,
    #[arg(long, value_enum, default_value_t = LstmArg::Coupled)]
    lstm: LstmArg,
    /// Word embedding size (must match --embeds).
    #[arg(long, default_value_t = 64)]
    word_dim: usize,
    /// Standard deviation of the Gaussian noise on inputs and heads.
    #[arg(long, default_value_t = 0.2)]
    sigma: f64,
    #[arg(long, default_value_t = 0.1)]
    learning_rate: f64,
    /// Worker threads (ensemble members and evaluation run in parallel);
    /// default: all cores. Results do not depend on it.
    #[arg(long, value_name = "T")]
    threads: Option<usize>,
    /// Default: f1 for IOB-style tag sets, accuracy otherwise.
    #[arg(long, value_enum)]
    metric: Option<MetricArg>,
    /// Force the format of the files (default: detected).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// No progress bars or messages.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    pta: PtaArgs,
}

/// Pseudo-Task Augmentation's options (`--mode pta`).
#[derive(Args, Debug)]
struct PtaArgs {
    /// PTA inference: ms = the head with the best dev score, ma = the average.
    #[arg(long, value_enum, default_value_t = InferenceArg::Ms)]
    pta_inference: InferenceArg,
    /// DecInit: every head starts from the same values.
    #[arg(long)]
    pta_dec_init: bool,
    /// Decoder updates (score heads on dev, apply the policies) per epoch.
    #[arg(long, default_value_t = 0, value_name = "U")]
    pta_updates_per_epoch: usize,
    /// Greedy: copy the best head onto the others at each decoder update.
    #[arg(long)]
    pta_greedy: bool,
    /// Perturb: add N(0, SD^2) to the non-best heads' weights.
    #[arg(long, default_value_t = 0.0, value_name = "SD")]
    pta_perturb: f64,
    /// Hyper-perturb: move the non-best heads' dropout rates by N(0, SD^2).
    #[arg(long, default_value_t = 0.0, value_name = "SD")]
    pta_hyper_perturb: f64,
    /// Initial dropout rate on every head's output weights.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pta_dropout: f64,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum InferenceArg {
    Ms,
    Ma,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum ModeArg {
    Stl,
    Qmtl,
    Ensemble,
    Pta,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum NoiseModeArg {
    PerEpoch,
    Fixed,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum LstmArg {
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

/// The three files of a run, read.
struct Files {
    train: Corpus,
    dev: Corpus,
    test: Option<Corpus>,
}

fn read(path: &Path, format: Option<FormatArg>) -> Result<Corpus> {
    Ok(read_corpus(path, format.map(Into::into))?)
}

fn files(g: &Global, a: &TrainArgs) -> Result<Files> {
    if let Some(name) = &a.dataset {
        let ds = Registry::builtin().get(name)?;
        let roots = g.roots();
        return Ok(Files {
            train: ds.read(Split::Train, &roots)?,
            dev: ds.read(Split::Dev, &roots)?,
            test: Some(ds.read(Split::Test, &roots)?),
        });
    }
    let (train, dev) = (
        a.train.as_ref().expect("clap requires it"),
        a.dev.as_ref().expect("clap requires it"),
    );
    Ok(Files {
        train: read(train, a.format)?,
        dev: read(dev, a.format)?,
        test: a.test.as_deref().map(|t| read(t, a.format)).transpose()?,
    })
}

fn config(a: &TrainArgs) -> Result<TrainConfig> {
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
    if a.epochs == 0 {
        bail!("--epochs must be at least 1");
    }
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
        LstmArg::Coupled => autograd::LstmKind::Coupled,
        LstmArg::Standard => autograd::LstmKind::Standard,
    };
    Ok(cfg)
}

pub fn run(g: &Global, a: TrainArgs) -> Result<()> {
    let cfg = config(&a)?;
    let threads = a.threads.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting the worker threads")?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let mut f = files(g, &a)?;
    if let Some(n) = a.max_sentences {
        if n == 0 {
            bail!("--max-sentences must be at least 1");
        }
        for c in [Some(&mut f.train), Some(&mut f.dev), f.test.as_mut()]
            .into_iter()
            .flatten()
        {
            c.sentences.truncate(n);
        }
    }
    let train = corpus::train_fraction(&f.train.sentences, cfg.train_fraction)?;
    let mut vocab = Vocab::build(train);
    let embeddings = a.embeds.as_deref().map(Embeddings::load).transpose()?;
    if let Some(e) = &embeddings {
        vocab.add_embedding_words(e);
    }
    let metric = a
        .metric
        .map(Metric::from)
        .unwrap_or_else(|| Metric::for_tags(vocab.tags.names().iter().map(String::as_str)));
    let say = |msg: String| {
        if !a.quiet {
            eprintln!("{msg}");
        }
    };
    say(format!(
        "{:?}(k={}) on {} ({} sentences, {} tokens), {} epochs, seed {}; metric: {} ({})",
        cfg.mode,
        cfg.heads,
        f.train.path.display(),
        train.len(),
        train.iter().map(|s| s.len()).sum::<usize>(),
        cfg.epochs,
        cfg.seed,
        metric_name(metric),
        if a.metric.is_some() {
            "--metric"
        } else if metric == Metric::F1 {
            "IOB tag set"
        } else {
            "not an IOB tag set"
        },
    ));
    let sizes = Sizes {
        words: vocab.words.len(),
        chars: vocab.chars.len(),
        tags: vocab.tags.len(),
    };
    let mut members = cfg.init_members(sizes);
    if let Some(e) = &embeddings {
        let covered = load_embeddings(&mut members, &vocab, e)?;
        say(format!(
            "embeddings: {covered} of {} words covered",
            vocab.words.len()
        ));
    }
    let data = TrainData::new(&vocab, train, &f.dev.sentences, metric);
    let bars = Bars::new(cfg.epochs, a.quiet);
    let reports = pool.install(|| models::train(&cfg, &mut members, &data, &bars))?;
    bars.finish();

    // PTA: "avg" is model averaging, "selected" model selection (the head with
    // the best final dev score), whichever the saved model predicts with.
    let pta_best =
        (cfg.mode == Mode::Pta).then(|| best_head(&reports.last().expect("epochs >= 1").dev.heads));
    let selected = members[0].selected_head.take();
    let test = f.test.as_ref().map(|t| {
        let enc: Vec<_> = t
            .sentences
            .iter()
            .map(|s| models::Encoded::from(&vocab.encode(s)))
            .collect();
        pool.install(|| evaluate(&members, &vocab, &t.sentences, &enc, metric))
    });
    members[0].selected_head = selected;
    let mut test_json = serde_json::to_value(&test)?;
    if let (Some(j), Some(t)) = (pta_best, &test) {
        test_json["selected"] = json!(t.heads[j]);
    }
    let (mut v_norms, mut w_norms) = (Vec::new(), Vec::new());
    for m in &members {
        let (v, w) = m.head_norms();
        v_norms.extend(v);
        w_norms.extend(w);
    }
    let model_path = a.out.join("model.qmtl");
    ModelFile {
        config: cfg.clone(),
        vocab: vocab.clone(),
        members,
    }
    .save(&model_path)?;

    let mut config_json = serde_json::to_value(&cfg)?;
    let file_json = |c: &Corpus| -> Result<serde_json::Value> {
        Ok(json!({"path": c.path, "sha256": sha256_file(&c.path)?}))
    };
    config_json["train_file"] = file_json(&f.train)?;
    config_json["dev_file"] = file_json(&f.dev)?;
    config_json["test_file"] = f
        .test
        .as_ref()
        .map(file_json)
        .transpose()?
        .unwrap_or(serde_json::Value::Null);
    config_json["embeddings_file"] = match &a.embeds {
        Some(p) => json!({"path": p, "sha256": sha256_file(p)?}),
        None => serde_json::Value::Null,
    };
    config_json["dataset"] = json!(a.dataset);
    config_json["max_sentences"] = json!(a.max_sentences);
    config_json["threads"] = json!(pool.current_num_threads());
    let total: f64 = reports.iter().map(|r| r.train_seconds).sum();
    let pta_json = pta_best.map(|j| {
        let updates: Vec<_> = reports.iter().flat_map(|r| r.decoder_updates.iter()).collect();
        json!({"selected_head": j, "inference": cfg.pta.as_ref().map(|p| p.inference), "updates": updates})
    });
    let mut run = json!({
        "config": config_json,
        "metric": metric_name(metric),
        "epochs": reports,
        "test": test_json,
        "norms": {"V": v_norms, "W": w_norms},
        "train_seconds": total,
    });
    if let Some(p) = pta_json {
        run["pta"] = p;
    }
    let run_path = a.out.join("run.json");
    models::model_file::write_atomic(&run_path, serde_json::to_string_pretty(&run)?.as_bytes())?;
    if !a.quiet {
        print_summary(&reports, test.as_ref(), metric);
        eprintln!("wrote {} and {}", model_path.display(), run_path.display());
    }
    Ok(())
}

pub fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::Accuracy => "accuracy",
        Metric::F1 => "f1",
    }
}

fn print_summary(reports: &[EpochReport], test: Option<&models::Scores>, metric: Metric) {
    let last = reports.last().expect("at least one epoch");
    let pct = |x: f64| format!("{:.2}", 100.0 * x);
    let heads = |s: &models::Scores| {
        s.heads
            .iter()
            .map(|&h| pct(h))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("{} after epoch {}:", metric_name(metric), last.epoch);
    println!(
        "  dev   avg {}  heads {}",
        pct(last.dev.avg),
        heads(&last.dev)
    );
    if let Some(t) = test {
        println!("  test  avg {}  heads {}", pct(t.avg), heads(t));
    }
    let secs: f64 = reports.iter().map(|r| r.train_seconds).sum();
    let toks: usize = reports.iter().map(|r| r.train_tokens).sum();
    println!(
        "  training: {secs:.1} s, {:.0} tokens/s",
        toks as f64 / secs.max(1e-9)
    );
}
