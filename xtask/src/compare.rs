//! `cargo xtask compare`: STL against Q-MTL(k) on one dataset, the paper's
//! central claim in one command (section 3). Runs go to `results/compare/`.

use anyhow::{Context, Result};
use std::process::Command;

struct Opts {
    dataset: String,
    epochs: usize,
    heads: usize,
    seed: u64,
}

pub const USAGE: &str = "usage: cargo xtask compare [NAME] [--epochs N] [--heads K] [--seed S]";

fn parse(args: &[String]) -> Result<Opts> {
    let mut o = Opts {
        dataset: "ta".into(),
        epochs: 20,
        heads: 10,
        seed: 1,
    };
    let mut args = crate::Args::new(args, USAGE);
    while let Some(a) = args.next_word() {
        match a {
            "--epochs" => o.epochs = args.parsed(a)?,
            "--heads" => o.heads = args.parsed(a)?,
            "--seed" => o.seed = args.parsed(a)?,
            s if !s.starts_with('-') => o.dataset = s.to_string(),
            s => return Err(args.unknown(s)),
        }
    }
    Ok(o)
}

pub fn run(args: &[String]) -> Result<()> {
    let o = parse(args)?;
    let qmtl = crate::qmtl_binary()?;
    let out = crate::root().join("results").join("compare");
    let mut runs = Vec::new();
    for (mode, k) in [("stl", 1), ("qmtl", o.heads)] {
        let dir = out.join(format!("{}-{mode}{k}-s{}-e{}", o.dataset, o.seed, o.epochs));
        eprintln!("== training {mode} (k = {k}) on {} ==", o.dataset);
        let mut cmd = Command::new(&qmtl);
        cmd.args([
            "train",
            "--dataset",
            &o.dataset,
            "--mode",
            mode,
            "--epochs",
            &o.epochs.to_string(),
            "--seed",
            &o.seed.to_string(),
            "--threads",
            "1",
        ]);
        if mode != "stl" {
            cmd.args(["--heads", &k.to_string()]);
        }
        let run = crate::train(cmd, &dir, mode)?;
        let name = if mode == "stl" {
            "STL".to_string()
        } else {
            format!("Q-MTL({k})")
        };
        let dev = run
            .last_dev()
            .with_context(|| format!("{}: the record of {name} has no epochs", dir.display()))?
            .avg;
        let test = run.test.clone().with_context(|| {
            format!("{}: the record of {name} has no test scores", dir.display())
        })?;
        runs.push((name, dev, test, run));
    }
    let metric = runs[0].3.metric.as_str();
    println!(
        "\n{} — {metric} (%), {} epochs, seed {}",
        o.dataset, o.epochs, o.seed
    );
    println!(
        "{:<12} {:>7} {:>7} {:>15} {:>9} {:>8}",
        "", "dev", "test", "test heads", "train s", "tok/s"
    );
    for (name, dev, test, r) in &runs {
        let heads = &test.heads;
        let range = match (
            heads.iter().cloned().reduce(f64::min),
            heads.iter().cloned().reduce(f64::max),
        ) {
            (Some(a), Some(b)) if heads.len() > 1 => format!("{:.1}..{:.1}", 100.0 * a, 100.0 * b),
            _ => "-".into(),
        };
        let tps: f64 = r.epochs.iter().map(|e| e.tokens_per_second).sum::<f64>()
            / r.epochs.len().max(1) as f64;
        println!(
            "{name:<12} {:>7.2} {:>7.2} {range:>15} {:>9.1} {tps:>8.0}",
            100.0 * dev,
            100.0 * test.avg,
            r.train_seconds
        );
    }
    println!("\nrun records: {}", out.display());
    Ok(())
}
