//! `qmtl train`: trains STL, Q-MTL(k) or an ensemble of k STL models and writes
//! `DIR/model.qmtl` and `DIR/run.json` (per-epoch dev scores of every head and
//! of the average, test scores, head norms, training times; section 6 of the
//! model spec). Defaults are the paper's.

use std::path::Path;

use anyhow::{bail, Context, Result};
use corpus::{parse_corpus, Corpus, Embeddings, Registry, Split, Vocab};
use models::config::Sizes;
use models::pta::best_head;
use models::record::{DataFile, ModelRef, Norms, PtaRecord, RunConfig, Software, TestScores};
use models::train::{load_embeddings, EpochReport};
use models::{
    evaluate_with_confidence, Checkpoint, Combine, Metric, Mode, ModelFile, RunRecord, TrainData,
    TrainState,
};

mod args;

use args::config;
pub use args::{MetricArg, TrainArgs};

use crate::cmd::progress::Bars;
use crate::Global;

/// The three files of a run, read, each with the SHA-256 of the bytes parsed.
struct Files {
    train: Corpus,
    dev: Corpus,
    test: Option<Corpus>,
    /// SHA-256 of train and dev, in that order, of exactly what was parsed.
    sha256: [String; 2],
    /// SHA-256 of the test file's bytes that were parsed.
    test_sha256: Option<String>,
}

/// Reads and parses `path`, returning the corpus and the SHA-256 of the bytes
/// parsed (not of the file as it may be later: what was trained on is recorded).
fn read(path: &Path, format: Option<corpus::Format>) -> Result<(Corpus, String)> {
    let bytes = corpus::read_bytes(path)?;
    let sha = corpus::sha256_hex(&bytes);
    Ok((parse_corpus(&bytes, path, format)?, sha))
}

fn files(g: &Global, a: &TrainArgs) -> Result<Files> {
    let (train, dev, test, format) = match &a.dataset {
        Some(name) => {
            let ds = Registry::builtin().get(name)?;
            let roots = g.roots();
            (
                ds.path(Split::Train, &roots)?,
                ds.path(Split::Dev, &roots)?,
                Some(ds.path(Split::Test, &roots)?),
                Some(ds.format),
            )
        }
        None => (
            a.train.clone().expect("clap requires it"),
            a.dev.clone().expect("clap requires it"),
            a.test.clone(),
            a.format.map(Into::into),
        ),
    };
    let (train, train_sha) = read(&train, format)?;
    let (dev, dev_sha) = read(&dev, format)?;
    let (test, test_sha) = match test {
        Some(t) => {
            let (c, sha) = read(&t, format)?;
            (Some(c), Some(sha))
        }
        None => (None, None),
    };
    Ok(Files {
        train,
        dev,
        test,
        sha256: [train_sha, dev_sha],
        test_sha256: test_sha,
    })
}

/// The outermost folder that creating `out` would make, if any: removed again
/// when the run fails before it wrote anything there.
fn first_missing_ancestor(out: &Path) -> Option<std::path::PathBuf> {
    let mut missing = None;
    for p in out.ancestors() {
        if p.as_os_str().is_empty() || p.exists() {
            break;
        }
        missing = Some(p.to_path_buf());
    }
    missing
}

pub fn run(g: &Global, a: TrainArgs) -> Result<()> {
    let created = first_missing_ancestor(&a.out);
    let result = train(g, &a);
    if let (Err(_), Some(top)) = (&result, created) {
        // A failed run leaves no empty folder behind (a checkpoint is kept:
        // remove_dir only removes empty folders).
        for p in a.out.ancestors() {
            if std::fs::remove_dir(p).is_err() || p == top {
                break;
            }
        }
    }
    result
}

fn train(g: &Global, a: &TrainArgs) -> Result<()> {
    let cfg = config(a)?;
    let threads = a.threads.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting the worker threads")?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let mut f = files(g, a)?;
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
    let embeddings = a.embeds.as_deref().map(read_embeddings).transpose()?;
    let (embeddings, embeddings_file) = match (embeddings, &a.embeds) {
        (Some((e, sha256)), Some(path)) => (
            Some(e),
            Some(DataFile {
                path: path.clone(),
                sha256,
            }),
        ),
        _ => (None, None),
    };
    if let Some(e) = &embeddings {
        vocab.add_embedding_words(e);
    }
    let metric = a
        .metric
        .map(Metric::from)
        .unwrap_or_else(|| Metric::for_tags(vocab.tags.names().iter().map(String::as_str)));
    if a.metric.is_none() {
        // The tag that decided against entity F1, if one did, by file and line.
        if let Some(why) = corpus::not_iob(train, &f.train.path) {
            eprintln!("qmtl: warning: {why}");
        }
    }
    super::warn_tag_overlap(&vocab, &f.dev);
    if let Some(t) = &f.test {
        super::warn_tag_overlap(&vocab, t);
    }
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
        metric.as_str(),
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
    let params = cfg.parameters(sizes);
    if params > models::train::MAX_PARAMETERS {
        bail!(
            "this model would have {} million values ({} words of {} dimensions, {} heads, MLP {}, {:?}); \
             at most {} million can be trained: lower --heads, --mlp or --word-dim",
            params / 1_000_000,
            sizes.words,
            cfg.tagger.word_dim,
            cfg.heads,
            cfg.tagger.mlp,
            cfg.mode,
            models::train::MAX_PARAMETERS / 1_000_000
        );
    }
    let mut state = cfg.init(sizes);
    if let Some(e) = &embeddings {
        let covered = load_embeddings(&mut state.model, &vocab, e).with_context(|| {
            let path = a.embeds.as_deref().expect("embeddings come from --embeds");
            path.display().to_string()
        })?;
        say(format!(
            "embeddings: {covered} of {} words covered",
            vocab.words.len()
        ));
    }
    // What the run is: its configuration and the SHA-256 of its files, hashed
    // right after they were read.
    let data_file = |c: &Corpus, sha256: &str| DataFile {
        path: c.path.clone(),
        sha256: sha256.to_string(),
    };
    let run_config = RunConfig {
        train: cfg.clone(),
        train_file: data_file(&f.train, &f.sha256[0]),
        dev_file: data_file(&f.dev, &f.sha256[1]),
        test_file: f
            .test
            .as_ref()
            .zip(f.test_sha256.as_deref())
            .map(|(t, sha)| data_file(t, sha)),
        embeddings_file,
        dataset: a.dataset.clone(),
        max_sentences: a.max_sentences,
        threads: pool.current_num_threads(),
    };
    let fingerprint = run_config.fingerprint(metric);

    // Resume from the last finished epoch of an interrupted run in --out.
    let checkpoint_path = a.out.join(Checkpoint::FILE);
    let mut done = Vec::new();
    if let Some(c) = Checkpoint::load(&checkpoint_path)? {
        if c.fingerprint != fingerprint {
            bail!(
                "{} belongs to another run (other options or data); delete it or choose another --out",
                checkpoint_path.display()
            );
        }
        say(format!(
            "resuming after epoch {} from {}",
            c.reports.len(),
            checkpoint_path.display()
        ));
        state = c.model.into_state();
        done = c.reports;
    }
    let abort_after: Option<usize> = std::env::var(ABORT_AFTER_EPOCH)
        .ok()
        .and_then(|v| v.parse().ok());
    let mut save = |s: &TrainState,
                    r: &[EpochReport]|
     -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if r.len() < cfg.epochs {
            Checkpoint {
                fingerprint: fingerprint.clone(),
                reports: r.to_vec(),
                model: ModelFile::new(cfg.clone(), vocab.clone(), s.clone(), Combine::Average),
            }
            .save(&checkpoint_path)?;
        }
        if abort_after == Some(r.len()) {
            eprintln!(
                "qmtl: stopping after epoch {} ({ABORT_AFTER_EPOCH})",
                r.len()
            );
            std::process::exit(3);
        }
        Ok(())
    };
    let data = TrainData::new(&vocab, train, &f.dev.sentences, metric);
    let bars = Bars::new(cfg.epochs, a.quiet);
    let reports = pool
        .install(|| models::train_from(&cfg, &mut state, &data, &bars, done, &mut save))
        .map_err(|e| match e {
            // The update failed on a sentence of the training file: name it.
            e @ models::train::TrainError::Optim { .. } => {
                anyhow::Error::new(e).context(f.train.path.display().to_string())
            }
            e => e.into(),
        })?;
    bars.finish();

    // PTA: "avg" is model averaging, "selected" model selection (the head with
    // the best final dev score), whichever the saved model predicts with.
    let pta_best =
        (cfg.mode == Mode::Pta).then(|| best_head(&reports.last().expect("epochs >= 1").dev.heads));
    let test = f.test.as_ref().map(|t| {
        let enc: Vec<_> = t.sentences.iter().map(|s| vocab.encode(s)).collect();
        pool.install(|| {
            evaluate_with_confidence(
                &state.model,
                Combine::Average,
                &vocab,
                &t.sentences,
                &enc,
                metric,
            )
        })
    });
    let (test, test_confidence) = match test {
        Some((s, c)) => (Some(s), c),
        None => (None, None),
    };
    let (v_norms, w_norms) = state.model.head_norms();
    let model_path = a.out.join(RunRecord::MODEL);
    // PTA with model selection is saved to predict with its selected head.
    let combine = cfg.combine(&reports);
    let model_bytes = ModelFile::new(cfg.clone(), vocab.clone(), state, combine).to_bytes();

    let record = RunRecord {
        schema: models::record::SCHEMA,
        config: run_config,
        metric,
        test: test.as_ref().map(|t| TestScores::new(t, pta_best)),
        norms: Norms {
            V: v_norms,
            W: w_norms,
        },
        train_seconds: reports.iter().map(|r| r.train_seconds).sum(),
        software: Some(Software {
            version: env!("CARGO_PKG_VERSION").into(),
            git_revision: env!("QMTL_GIT_REVISION").into(),
        }),
        test_confidence,
        pta: pta_best.map(|j| PtaRecord {
            selected_head: j,
            inference: cfg.pta.as_ref().map(|p| p.inference),
            updates: reports
                .iter()
                .flat_map(|r| r.decoder_updates.iter().cloned())
                .collect(),
        }),
        model: Some(ModelRef {
            file: RunRecord::MODEL.into(),
            sha256: corpus::sha256_hex(&model_bytes),
        }),
        epochs: reports,
    };
    let run_path = a.out.join(RunRecord::FILE);
    publish(&run_path, &model_path, &model_bytes, &record.to_json())?;
    if let Err(e) = std::fs::remove_file(&checkpoint_path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            return Err(e).with_context(|| format!("removing {}", checkpoint_path.display()));
        }
    }
    if !a.quiet {
        print_summary(&record.epochs, test.as_ref(), metric)?;
        eprintln!("wrote {} and {}", model_path.display(), run_path.display());
    }
    Ok(())
}

/// Publishes a run: `run.json` is its commit record. The old record goes
/// first, then the model is replaced, then the new record (naming the model's
/// SHA-256) is written; each step is an atomic rename. So a `run.json` is only
/// ever beside the model it describes (readers can check the SHA-256): a run
/// that fails or is killed part-way leaves at most a model without a record,
/// never a new model beside an old record or the reverse.
fn publish(run_path: &Path, model_path: &Path, model: &[u8], run: &[u8]) -> Result<()> {
    match std::fs::remove_file(run_path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "removing the previous {} (before replacing {})",
                    run_path.display(),
                    model_path.display()
                )
            })
        }
    }
    models::model_file::write_atomic(model_path, model)?;
    models::model_file::write_atomic(run_path, run)?;
    Ok(())
}

/// Loads pretrained vectors and the SHA-256 of the bytes that were parsed.
fn read_embeddings(path: &Path) -> Result<(Embeddings, String)> {
    Ok(Embeddings::load_with_sha256(path)?)
}

/// Test hook: `QMTL_ABORT_AFTER_EPOCH=N` makes `qmtl train` exit with status 3
/// right after the checkpoint of epoch N is written, as a kill would.
const ABORT_AFTER_EPOCH: &str = "QMTL_ABORT_AFTER_EPOCH";

/// The last epoch's scores and the training speed, on stdout (an error, not
/// a panic, when stdout is closed).
fn print_summary(
    reports: &[EpochReport],
    test: Option<&models::Scores>,
    metric: Metric,
) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let last = reports.last().expect("at least one epoch");
    let pct = |x: f64| format!("{:.2}", 100.0 * x);
    let heads = |s: &models::Scores| {
        s.heads
            .iter()
            .map(|&h| pct(h))
            .collect::<Vec<_>>()
            .join(" ")
    };
    writeln!(out, "{} after epoch {}:", metric.as_str(), last.epoch)?;
    writeln!(
        out,
        "  dev   avg {}  heads {}",
        pct(last.dev.avg),
        heads(&last.dev)
    )?;
    if let Some(t) = test {
        writeln!(out, "  test  avg {}  heads {}", pct(t.avg), heads(t))?;
    }
    let secs: f64 = reports.iter().map(|r| r.train_seconds).sum();
    let toks: usize = reports.iter().map(|r| r.train_tokens).sum();
    writeln!(
        out,
        "  training: {secs:.1} s, {:.0} tokens/s",
        toks as f64 / secs.max(1e-9)
    )
}
