//! `cargo xtask reproduce`: reruns the paper's experiments (sections 3 and 4) on
//! the data present and writes `results/report.md` with our numbers beside the
//! paper's. Every training run is a record under `results/runs/<key>/`, keyed by
//! its configuration and data checksums, so an interrupted reproduction resumes
//! where it stopped and a rerun only builds the report.

mod data;
mod emit;
mod env;
mod experiments;
mod meta;
mod opts;
mod paper;
mod plan;
mod profile;
mod progress;
mod records;
mod report;
mod runner;
mod spec;
mod verify;

pub use env::{cpu_model, kernels, now_utc, qmtl_version};

use anyhow::{bail, Result};
use std::time::Instant;

use experiments::Ctx;
use records::Store;

/// The options of this invocation without `--emit-jobs FILE`: the command
/// that builds the report of the emitted jobs' records.
fn same_options(args: &[String]) -> String {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--emit-jobs" {
            it.next();
        } else {
            out.push(emit::quote(a));
        }
    }
    out.join(" ")
}

pub fn run(args: &[String]) -> Result<()> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{}\n\nprofiles:", opts::USAGE);
        for name in ["smoke", "quick", "paper"] {
            let p = profile::Profile::by_name(name).expect("known profile");
            println!("  {name:6} {}", p.about);
        }
        return Ok(());
    }
    let t0 = Instant::now();
    let o = opts::parse(args)?;
    let qmtl = match &o.qmtl {
        Some(p) if p.is_file() => p.clone(),
        Some(p) => bail!("--qmtl {}: no such file", p.display()),
        None => crate::qmtl_binary()?,
    };
    let (datasets, missing) = data::discover(o.data_dir.as_deref(), o.datasets.as_deref())?;
    if !missing.is_empty() {
        eprintln!(
            "reproduce: not present, skipped: {} (`qmtl data fetch {}` to add them)",
            missing.join(" "),
            missing.join(" ")
        );
    }
    if datasets.is_empty() {
        bail!("no dataset is present; see `qmtl data list`");
    }
    let ctx = Ctx {
        profile: o.profile.clone(),
        datasets,
    };
    let jobs = plan::plan(&ctx, &o.only);
    if o.report_only && !o.results.is_dir() {
        bail!(
            "--results {}: no such folder; --report-only reports the records already there",
            o.results.display()
        );
    }
    let mut store = Store::new(&o.results);
    let (done, pending): (Vec<_>, Vec<_>) =
        jobs.iter().cloned().partition(|j| store.finished(&j.key));
    let workers = o.jobs.min(env::cores());
    eprintln!(
        "reproduce: profile {}, {} datasets, {} runs: {} finished before, {} to run \
         (roughly {} with {} parallel runs on idle cores)",
        ctx.profile.name,
        ctx.datasets.len(),
        jobs.len(),
        done.len(),
        pending.len(),
        progress::human(progress::estimate_seconds(&pending, workers)),
        workers
    );
    if let Some(file) = &o.emit_jobs {
        emit::write(file, &qmtl, &store.dir, &pending)?;
        println!(
            "wrote {} commands to {} (longest first). Run them anywhere that sees {} and the data, \
             e.g. `parallel -j 8 < {}`, then: cargo xtask reproduce {} --report-only",
            pending.len(),
            file.display(),
            store.dir.display(),
            file.display(),
            same_options(args)
        );
        return Ok(());
    }
    let qmtl_version = env::qmtl_version(&qmtl).unwrap_or_default();
    if let Some(n) = o.verify {
        let v = verify::verify(
            &qmtl,
            &qmtl_version,
            &jobs,
            &mut store,
            &o.results,
            n,
            workers,
        )?;
        for c in &v.runs {
            println!(
                "{:<40} recorded {:.4} ({}), retrained {:.4}: {}",
                c.run,
                100.0 * c.recorded_test,
                c.recorded_revision,
                100.0 * c.retrained_test,
                if c.max_abs_diff_points == 0.0 {
                    "identical".to_string()
                } else {
                    format!("differs by up to {:.4} points", c.max_abs_diff_points)
                }
            );
        }
        print!("{}", v.summary());
    }
    let mut outcome = runner::Outcome::default();
    if !o.report_only && o.verify.is_none() && !pending.is_empty() {
        let stale = runner::clean_stale(&store.dir)?;
        if stale > 0 {
            eprintln!("reproduce: removed {stale} unfinished run folders of interrupted runs");
        }
        outcome = runner::run(&qmtl, &store.dir, pending.clone(), o.jobs, o.shortest_first)?;
    }
    let still = jobs.iter().filter(|j| !store.finished(&j.key)).count();
    let summary = report::Summary {
        planned: jobs.len(),
        reused: done.len(),
        executed: outcome.executed,
        failed: outcome.failed.len(),
        pending: still,
        wall_seconds: t0.elapsed().as_secs_f64(),
        cpu_seconds: env::children_cpu_seconds(),
        missing,
    };
    let path = report::write(&ctx, &o.only, &jobs, &mut store, &o.results, &summary)?;
    println!(
        "reproduce: {} runs: {} executed, {} reused, {} failed, {} pending; {:.1} s wall, \
         {} in runs (qmtl {})",
        summary.planned,
        summary.executed,
        summary.reused,
        summary.failed,
        summary.pending,
        summary.wall_seconds,
        summary
            .cpu_seconds
            .map_or("CPU time not measured".into(), |c| format!("{c:.1} s CPU")),
        qmtl_version
    );
    if outcome.taken > 0 {
        println!(
            "reproduce: {} runs were left to another reproduction working on {}",
            outcome.taken,
            store.dir.display()
        );
    }
    if outcome.drained > 0 {
        println!(
            "reproduce: {} runs not started because {} exists (delete it to go on)",
            outcome.drained,
            store.dir.join(runner::DRAIN).display()
        );
    }
    println!("report: {}", path.display());
    if !outcome.failed.is_empty() {
        for (label, log) in &outcome.failed {
            eprintln!("failed: {label} (log: {})", log.display());
        }
        bail!("{} runs failed; rerun to retry them", outcome.failed.len());
    }
    Ok(())
}
