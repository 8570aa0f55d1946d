//! `qmtl train`: trains STL, Q-MTL(k) or an ensemble of k STL models and writes
//! `DIR/model.qmtl` and `DIR/run.json` (per-epoch dev scores of every head and
//! of the average, test scores, head norms, training times; section 6 of the
//! model spec). Defaults are the paper's.

use std::path::Path;

use anyhow::{bail, Context, Result};
use corpus::{read_corpus, Corpus, Embeddings, Registry, Split, Vocab};
use models::config::Sizes;
use models::pta::best_head;
use models::train::{load_embeddings, EpochReport};
use models::{evaluate_with_confidence, Checkpoint, Metric, Mode, ModelFile, TrainData};
use serde_json::json;

mod args;

use args::config;
pub use args::{MetricArg, TrainArgs};

use crate::cmd::progress::Bars;
use crate::cmd::FormatArg;
use crate::Global;
use corpus::registry::sha256_file;

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
    // What the run is: its configuration and the SHA-256 of its files, hashed
    // now, right after they were read.
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
    let fingerprint = fingerprint(&config_json, metric);
    config_json["threads"] = json!(pool.current_num_threads());

    // Resume from the last finished epoch of an interrupted run in --out.
    let checkpoint_path = a.out.join(CHECKPOINT);
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
        members = c.model.members;
        done = c.reports;
    }
    let abort_after: Option<usize> = std::env::var(ABORT_AFTER_EPOCH)
        .ok()
        .and_then(|v| v.parse().ok());
    let mut save = |m: &[models::Tagger],
                    r: &[EpochReport]|
     -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if r.len() < cfg.epochs {
            Checkpoint {
                fingerprint: fingerprint.clone(),
                reports: r.to_vec(),
                model: ModelFile {
                    config: cfg.clone(),
                    vocab: vocab.clone(),
                    members: m.to_vec(),
                },
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
    let reports =
        pool.install(|| models::train_from(&cfg, &mut members, &data, &bars, done, &mut save))?;
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
        pool.install(|| evaluate_with_confidence(&members, &vocab, &t.sentences, &enc, metric))
    });
    let (test, test_confidence) = match test {
        Some((s, c)) => (Some(s), c),
        None => (None, None),
    };
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
        "software": {"version": env!("CARGO_PKG_VERSION"), "git_revision": env!("QMTL_GIT_REVISION")},
    });
    if let Some(c) = test_confidence {
        run["test_confidence"] = serde_json::to_value(c)?;
    }
    if let Some(p) = pta_json {
        run["pta"] = p;
    }
    let run_path = a.out.join("run.json");
    models::model_file::write_atomic(&run_path, serde_json::to_string_pretty(&run)?.as_bytes())?;
    if let Err(e) = std::fs::remove_file(&checkpoint_path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            return Err(e).with_context(|| format!("removing {}", checkpoint_path.display()));
        }
    }
    if !a.quiet {
        print_summary(&reports, test.as_ref(), metric);
        eprintln!("wrote {} and {}", model_path.display(), run_path.display());
    }
    Ok(())
}

/// The checkpoint of an unfinished run in its --out folder (removed at the end).
pub const CHECKPOINT: &str = "checkpoint.qmtl";

/// Test hook: `QMTL_ABORT_AFTER_EPOCH=N` makes `qmtl train` exit with status 3
/// right after the checkpoint of epoch N is written, as a kill would.
const ABORT_AFTER_EPOCH: &str = "QMTL_ABORT_AFTER_EPOCH";

/// Names a run's configuration and data (not the thread count, which changes
/// nothing): the SHA-256 of its canonical JSON.
fn fingerprint(config: &serde_json::Value, metric: Metric) -> String {
    use sha2::{Digest, Sha256};
    let text = format!("{config}|{}", metric_name(metric));
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
