//! `cargo xtask speed`: the training-speed yardsticks of issue 4 in one
//! command. Trains STL and Q-MTL(k) for one epoch on one dataset (English-LinES
//! by default), single-threaded unless `--threads T,T...` asks for more (each
//! configuration on each thread count, with its speed-up over one thread),
//! several rounds in alternation (so a busy
//! spell of a shared machine hits every configuration alike), and prints per
//! configuration the median seconds per epoch and tokens per second, and the
//! median over rounds of each round's time ratio to STL (with its range):
//! the cost of heads. For Q-MTL(k) it also prints the cost of each head
//! beyond the first, `(t_k − t_STL) / (k − 1)` per round, in seconds and as a
//! share of STL's epoch; `--heads 1,2,5,10,20,30` gives the whole curve.
//! Training time excludes evaluation (`run.json`'s `train_seconds`).
//!
//! Several datasets and `--ensembles K,K...` time Figure 6's configurations
//! on one machine: `--record FILE` keeps every round's times in a
//! [`study::Study`] (`results/paper/speed.json` for the published report),
//! whose per-round ratios the report's Figure 6 judges its orderings on.
//! Within a round the configurations run in order, and in reverse order the
//! next round, so a slow drift of the machine hits them alike.

use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::Command;

pub mod study;

use study::{median, Config, Study, Timed};

#[derive(Debug)]
struct Opts {
    datasets: Vec<String>,
    rounds: usize,
    heads: Vec<usize>,
    ensembles: Vec<usize>,
    /// `qmtl train --threads` values (each configuration on each).
    threads: Vec<usize>,
    max_sentences: Option<usize>,
    data_dir: Option<PathBuf>,
    qmtl: Option<PathBuf>,
    /// Where the runs go (`results/speed`).
    out: PathBuf,
    /// Where the study is kept, if anywhere.
    record: Option<PathBuf>,
}

pub const USAGE: &str = "usage: cargo xtask speed [NAME...] [--rounds R] [--heads K,K...] \
                     [--ensembles K,K...] [--threads T,T...] [--max-sentences N] [--data-dir DIR] [--qmtl PATH] \
                     [--out DIR] [--record FILE]";

fn parse(args: &[String]) -> Result<Opts> {
    let mut o = Opts {
        datasets: Vec::new(),
        rounds: 5,
        heads: vec![10, 30],
        ensembles: Vec::new(),
        threads: vec![1],
        max_sentences: None,
        data_dir: None,
        qmtl: None,
        out: crate::root().join("results").join("speed"),
        record: None,
    };
    let mut args = crate::Args::new(args, USAGE);
    while let Some(a) = args.next_word() {
        match a {
            "--rounds" => o.rounds = args.parsed(a)?,
            "--heads" => o.heads = args.parsed_list(a)?,
            "--ensembles" => o.ensembles = args.parsed_list(a)?,
            "--threads" => o.threads = args.parsed_list(a)?,
            "--max-sentences" => o.max_sentences = Some(args.parsed(a)?),
            "--data-dir" => o.data_dir = Some(args.value(a)?.into()),
            "--qmtl" => o.qmtl = Some(args.value(a)?.into()),
            "--out" => o.out = args.value(a)?.into(),
            "--record" => o.record = Some(args.value(a)?.into()),
            s if !s.starts_with('-') => o.datasets.push(s.to_string()),
            s => return Err(args.unknown(s)),
        }
    }
    if o.rounds == 0
        || o.heads.contains(&0)
        || o.ensembles.contains(&0)
        || o.threads.is_empty()
        || o.threads.contains(&0)
    {
        bail!("--rounds and every --heads, --ensembles and --threads value must be at least 1");
    }
    for (name, list) in [
        ("--heads", &o.heads),
        ("--ensembles", &o.ensembles),
        ("--threads", &o.threads),
    ] {
        if let Some(v) = list
            .iter()
            .enumerate()
            .find_map(|(i, v)| list[..i].contains(v).then_some(v))
        {
            bail!("{name} lists {v} twice");
        }
    }
    if o.record.is_some() && !o.threads.contains(&1) {
        bail!("--record needs one thread among --threads: the report compares one-thread times");
    }
    if o.datasets.is_empty() {
        o.datasets.push("en".into());
    }
    Ok(o)
}

/// `(mode, k, threads)` of every configuration timed on a dataset: STL
/// first, every model on the first thread count, then on the next.
fn configs(o: &Opts) -> Vec<(&'static str, usize, usize)> {
    o.threads
        .iter()
        .flat_map(|&t| {
            std::iter::once(("stl", 1))
                .chain(o.heads.iter().map(|&k| ("qmtl", k)))
                .chain(o.ensembles.iter().map(|&k| ("ensemble", k)))
                .map(move |(mode, k)| (mode, k, t))
        })
        .collect()
}

pub fn run(args: &[String]) -> Result<()> {
    let o = parse(args)?;
    let qmtl = match &o.qmtl {
        Some(p) => p.clone(),
        None => crate::qmtl_binary()?,
    };
    let version = crate::reproduce::qmtl_version(&qmtl)
        .with_context(|| format!("running {} --version", qmtl.display()))?;
    let configs = configs(&o);
    let mut timed: Vec<Timed> = o
        .datasets
        .iter()
        .map(|d| Timed {
            dataset: d.clone(),
            configs: configs
                .iter()
                .map(|&(mode, k, threads)| Config {
                    mode: mode.into(),
                    k,
                    threads,
                    seconds: Vec::new(),
                    tokens_per_second: Vec::new(),
                })
                .collect(),
        })
        .collect();
    // Every (dataset, configuration) in one order, reversed every other round.
    let slots: Vec<(usize, usize)> = (0..timed.len())
        .flat_map(|d| (0..configs.len()).map(move |c| (d, c)))
        .collect();
    for round in 1..=o.rounds {
        let order: Vec<&(usize, usize)> = if round % 2 == 1 {
            slots.iter().collect()
        } else {
            slots.iter().rev().collect()
        };
        for &(d, c) in order {
            let t = &mut timed[d];
            let cfg = &mut t.configs[c];
            let label = format!("{} {}", t.dataset, cfg.label());
            let dir = o.out.join(format!(
                "{}-{}{}-t{}",
                t.dataset, cfg.mode, cfg.k, cfg.threads
            ));
            let mut cmd = Command::new(&qmtl);
            cmd.args(["train", "--dataset", &t.dataset, "--mode", &cfg.mode])
                .args(["--epochs", "1", "--threads", &cfg.threads.to_string()])
                .arg("--quiet");
            if cfg.mode != "stl" {
                cmd.args(["--heads", &cfg.k.to_string()]);
            }
            if let Some(n) = o.max_sentences {
                cmd.args(["--max-sentences", &n.to_string()]);
            }
            if let Some(dir) = &o.data_dir {
                cmd.arg("--data-dir").arg(dir);
            }
            let run = crate::train(cmd, &dir, &label)?;
            let e = run
                .epochs
                .first()
                .with_context(|| format!("{}: the record has no epoch", dir.display()))?;
            eprintln!(
                "round {round}/{}: {label:<32} {:>8.3} s  {:>7.0} tok/s",
                o.rounds, e.train_seconds, e.tokens_per_second
            );
            cfg.seconds.push(e.train_seconds);
            cfg.tokens_per_second.push(e.tokens_per_second);
        }
    }
    for t in &timed {
        print_table(t, o.rounds);
    }
    if let Some(path) = &o.record {
        // The oldest schema that holds it, so that older builds read it.
        let threads = timed.iter().flat_map(|t| &t.configs).any(|c| c.threads > 1);
        let study = Study {
            schema: if threads { study::SCHEMA } else { 1 },
            date: crate::reproduce::now_utc(),
            qmtl: version,
            cpu: crate::reproduce::cpu_model(),
            isa: crate::reproduce::kernels(),
            rounds: o.rounds,
            max_sentences: o.max_sentences,
            datasets: timed,
        };
        study.save(path)?;
        println!("\nwrote {}", path.display());
    }
    Ok(())
}

fn print_table(t: &Timed, rounds: usize) {
    println!(
        "\n{}: one epoch, medians of {rounds} alternating rounds; × STL on as many threads",
        t.dataset
    );
    println!(
        "{:<28} {:>9} {:>9} {:>12} {:>10} {:>13} {:>8} {:>17}",
        "",
        "s/epoch",
        "tok/s",
        "s/extra head",
        "% of STL",
        "range × STL",
        "× STL",
        "speed-up (range)"
    );
    for c in &t.configs {
        let Some(stl) = t.config("stl", 1, c.threads) else {
            continue;
        };
        let seconds = median(c.seconds.clone());
        let tps = median(c.tokens_per_second.clone());
        let per_round = |f: &dyn Fn(f64, f64) -> f64| -> Vec<f64> {
            c.seconds
                .iter()
                .zip(&stl.seconds)
                .map(|(&t, &s)| f(t, s))
                .collect()
        };
        let r = c.ratio_to(stl);
        // The price of a head beyond the first: Q-MTL only (Q-MTL(1) is STL's
        // network; an ensemble's members are whole networks).
        let (head, share) = if c.mode == "qmtl" && c.k > 1 {
            let extra = c.k as f64 - 1.0;
            (
                format!("{:.4}", median(per_round(&|t, s| (t - s) / extra))),
                format!(
                    "{:.1}",
                    100.0 * median(per_round(&|t, s| (t - s) / extra / s))
                ),
            )
        } else {
            ("-".into(), "-".into())
        };
        // On several threads: how much faster than the same model on one.
        let speedup = match (c.threads, t.config(&c.mode, c.k, 1)) {
            (2.., Some(one)) => {
                let s = one.ratio_to(c);
                format!("{:.3} ({:.2}-{:.2})", s.median, s.lo, s.hi)
            }
            _ => "-".into(),
        };
        let range = format!("{:.2}-{:.2}", r.lo, r.hi);
        println!(
            "{:<28} {seconds:>9.3} {tps:>9.0} {head:>12} {share:>10} {range:>13} {:>8.3} {speedup:>17}",
            c.label(),
            r.median
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let o = parse(&args("ta --rounds 3 --heads 2,4")).unwrap();
        assert_eq!(
            (o.datasets, o.rounds, o.heads, o.ensembles),
            (vec!["ta".to_string()], 3, vec![2, 4], vec![])
        );
        let o = parse(&args("ta hu --ensembles 10,30 --record s.json")).unwrap();
        assert_eq!(o.datasets, ["ta", "hu"]);
        assert_eq!(
            configs(&o),
            [
                ("stl", 1, 1),
                ("qmtl", 10, 1),
                ("qmtl", 30, 1),
                ("ensemble", 10, 1),
                ("ensemble", 30, 1)
            ]
        );
        assert_eq!(o.record, Some(PathBuf::from("s.json")));
        let o = parse(&args("--heads 10 --threads 1,2")).unwrap();
        assert_eq!(
            configs(&o),
            [
                ("stl", 1, 1),
                ("qmtl", 10, 1),
                ("stl", 1, 2),
                ("qmtl", 10, 2)
            ]
        );
        assert!(parse(&args("--threads 0")).is_err());
        let e = parse(&args("--threads 1,2,1")).unwrap_err().to_string();
        assert!(e.contains("--threads lists 1 twice"), "{e}");
        assert!(parse(&args("--heads 10,10")).is_err());
        assert!(parse(&args("--threads 2 --record s.json")).is_err());
        assert_eq!(parse(&args("")).unwrap().datasets, ["en"]);
        assert!(parse(&args("--heads 0")).is_err());
        assert!(parse(&args("--ensembles 0")).is_err());
        assert!(parse(&args("--rounds")).is_err());
        assert!(parse(&args("--bogus")).is_err());
    }
}
