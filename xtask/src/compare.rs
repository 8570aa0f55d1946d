//! `cargo xtask compare`: STL against Q-MTL(k) on one dataset, the paper's
//! central claim in one command (section 3). Runs go to `results/compare/`.

use anyhow::{bail, Result};
use serde_json::Value;
use std::process::Command;

struct Opts {
    dataset: String,
    epochs: usize,
    heads: usize,
    seed: u64,
}

const USAGE: &str = "usage: cargo xtask compare [NAME] [--epochs N] [--heads K] [--seed S]";

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
            s => bail!("unknown option {s}; {USAGE}"),
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
        runs.push((
            if mode == "stl" {
                "STL".to_string()
            } else {
                format!("Q-MTL({k})")
            },
            run,
        ));
    }
    let metric = runs[0].1["metric"].as_str().unwrap_or("?").to_string();
    println!(
        "\n{} — {metric} (%), {} epochs, seed {}",
        o.dataset, o.epochs, o.seed
    );
    println!(
        "{:<12} {:>7} {:>7} {:>15} {:>9} {:>8}",
        "", "dev", "test", "test heads", "train s", "tok/s"
    );
    for (name, r) in &runs {
        let pct = |v: &Value| {
            v.as_f64()
                .map_or("-".into(), |x| format!("{:.2}", 100.0 * x))
        };
        let heads: Vec<f64> = r["test"]["heads"]
            .as_array()
            .map(|h| h.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        let range = match (
            heads.iter().cloned().reduce(f64::min),
            heads.iter().cloned().reduce(f64::max),
        ) {
            (Some(a), Some(b)) if heads.len() > 1 => format!("{:.1}..{:.1}", 100.0 * a, 100.0 * b),
            _ => "-".into(),
        };
        let epochs = r["epochs"].as_array().cloned().unwrap_or_default();
        let last = epochs.last().cloned().unwrap_or(Value::Null);
        let tps: f64 = epochs
            .iter()
            .filter_map(|e| e["tokens_per_second"].as_f64())
            .sum::<f64>()
            / epochs.len().max(1) as f64;
        println!(
            "{name:<12} {:>7} {:>7} {range:>15} {:>9.1} {tps:>8.0}",
            pct(&last["dev"]["avg"]),
            pct(&r["test"]["avg"]),
            r["train_seconds"].as_f64().unwrap_or(f64::NAN)
        );
    }
    println!("\nrun records: {}", out.display());
    Ok(())
}
