//! `cargo xtask speed`: the training-speed yardsticks of issue 4 in one
//! command. Trains STL and Q-MTL(k) for one epoch on one dataset (English-LinES
//! by default), single-threaded, several rounds in alternation (so a busy
//! spell of a shared machine hits every configuration alike), and prints per
//! configuration the median seconds per epoch and tokens per second, and the
//! median over rounds of each round's time ratio to STL (with its range):
//! the cost of heads. For Q-MTL(k) it also prints the cost of each head
//! beyond the first, `(t_k − t_STL) / (k − 1)` per round, in seconds and as a
//! share of STL's epoch; `--heads 1,2,5,10,20,30` gives the whole curve.
//! Training time excludes evaluation (`run.json`'s `train_seconds`).

use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::Command;

struct Opts {
    dataset: String,
    rounds: usize,
    heads: Vec<usize>,
    max_sentences: Option<usize>,
    qmtl: Option<PathBuf>,
    /// Where the runs go (`results/speed`).
    out: PathBuf,
}

const USAGE: &str = "usage: cargo xtask speed [NAME] [--rounds R] [--heads K,K...] \
                     [--max-sentences N] [--qmtl PATH] [--out DIR]";

fn parse(args: &[String]) -> Result<Opts> {
    let mut o = Opts {
        dataset: "en".into(),
        rounds: 5,
        heads: vec![10, 30],
        max_sentences: None,
        qmtl: None,
        out: crate::root().join("results").join("speed"),
    };
    let mut args = crate::Args::new(args, USAGE);
    while let Some(a) = args.next_word() {
        match a {
            "--rounds" => o.rounds = args.parsed(a)?,
            "--heads" => o.heads = args.parsed_list(a)?,
            "--max-sentences" => o.max_sentences = Some(args.parsed(a)?),
            "--qmtl" => o.qmtl = Some(args.value(a)?.into()),
            "--out" => o.out = args.value(a)?.into(),
            s if !s.starts_with('-') => o.dataset = s.to_string(),
            s => return Err(args.unknown(s)),
        }
    }
    if o.rounds == 0 || o.heads.contains(&0) {
        bail!("--rounds and every --heads value must be at least 1");
    }
    Ok(o)
}

/// One epoch's training seconds and tokens per second.
struct Epoch {
    seconds: f64,
    tokens_per_second: f64,
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

pub fn run(args: &[String]) -> Result<()> {
    let o = parse(args)?;
    let qmtl = match &o.qmtl {
        Some(p) => p.clone(),
        None => crate::qmtl_binary()?,
    };
    let out = &o.out;
    // (label, mode, k): STL first, then Q-MTL(k) for each k.
    let configs: Vec<(String, &str, usize)> = std::iter::once(("STL".to_string(), "stl", 1))
        .chain(o.heads.iter().map(|&k| (format!("Q-MTL({k})"), "qmtl", k)))
        .collect();
    let mut epochs: Vec<Vec<Epoch>> = configs.iter().map(|_| Vec::new()).collect();
    for round in 1..=o.rounds {
        for (c, (label, mode, k)) in configs.iter().enumerate() {
            let dir = out.join(format!("{}-{mode}{k}", o.dataset));
            let mut cmd = Command::new(&qmtl);
            cmd.args(["train", "--dataset", &o.dataset, "--mode", mode])
                .args(["--epochs", "1", "--threads", "1", "--quiet"]);
            if *mode != "stl" {
                cmd.args(["--heads", &k.to_string()]);
            }
            if let Some(n) = o.max_sentences {
                cmd.args(["--max-sentences", &n.to_string()]);
            }
            let run = crate::train(cmd, &dir, label)?;
            let e = run
                .epochs
                .first()
                .with_context(|| format!("{}: the record has no epoch", dir.display()))?;
            let epoch = Epoch {
                seconds: e.train_seconds,
                tokens_per_second: e.tokens_per_second,
            };
            eprintln!(
                "round {round}/{}: {label:<10} {:>7.3} s  {:>7.0} tok/s",
                o.rounds, epoch.seconds, epoch.tokens_per_second
            );
            epochs[c].push(epoch);
        }
    }
    println!(
        "\n{}: one epoch, one thread, medians of {} alternating rounds",
        o.dataset, o.rounds
    );
    println!(
        "{:<10} {:>9} {:>9} {:>12} {:>10} {:>13} {:>8}",
        "", "s/epoch", "tok/s", "s/extra head", "% of STL", "range × STL", "× STL"
    );
    for (c, (label, _, k)) in configs.iter().enumerate() {
        let seconds = median(epochs[c].iter().map(|e| e.seconds).collect());
        let tps = median(epochs[c].iter().map(|e| e.tokens_per_second).collect());
        // Per round (runs close in time), then the median and the range.
        let per_round = |f: &dyn Fn(f64, f64) -> f64| -> Vec<f64> {
            epochs[c]
                .iter()
                .zip(&epochs[0])
                .map(|(e, stl)| f(e.seconds, stl.seconds))
                .collect()
        };
        let ratios = per_round(&|t, stl| t / stl);
        let (lo, hi) = ratios
            .iter()
            .fold((f64::INFINITY, 0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
        let ratio = median(ratios);
        // Q-MTL(1) is STL's network: no extra head to price.
        let (head, share) = if c > 0 && *k > 1 {
            let extra = *k as f64 - 1.0;
            (
                format!("{:.4}", median(per_round(&|t, stl| (t - stl) / extra))),
                format!(
                    "{:.1}",
                    100.0 * median(per_round(&|t, stl| (t - stl) / extra / stl))
                ),
            )
        } else {
            ("-".into(), "-".into())
        };
        let range = format!("{lo:.2}-{hi:.2}");
        println!(
            "{label:<10} {seconds:>9.3} {tps:>9.0} {head:>12} {share:>10} {range:>13} {ratio:>8.3}"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn options_are_checked() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let o = parse(&args("ta --rounds 3 --heads 2,4")).unwrap();
        assert_eq!(
            (o.dataset.as_str(), o.rounds, o.heads),
            ("ta", 3, vec![2, 4])
        );
        assert!(parse(&args("--heads 0")).is_err());
        assert!(parse(&args("--rounds")).is_err());
        assert!(parse(&args("--bogus")).is_err());
    }
}
