//! The options of `cargo xtask reproduce`. Paths are made absolute here, because
//! emitted job lines and `qmtl` children may run from another folder.

use anyhow::{bail, Context, Result};
use std::path::PathBuf;

use super::data;
use super::experiments::{Exp, ALL};
use super::profile::{self, Profile};

pub const USAGE: &str =
    "usage: cargo xtask reproduce [--profile smoke|quick|paper] [--only table2,fig5,...] \
[--datasets ta,hu,...] [--seeds 1,2,3] [--jobs N] [--results DIR] [--data-dir DIR] [--qmtl PATH] \
[--emit-jobs FILE] [--report-only] [--verify N] [--shortest-first]";

pub struct Opts {
    pub profile: Profile,
    pub only: Vec<Exp>,
    pub datasets: Option<Vec<String>>,
    pub jobs: usize,
    pub results: PathBuf,
    pub data_dir: Option<PathBuf>,
    pub qmtl: Option<PathBuf>,
    pub emit_jobs: Option<PathBuf>,
    pub report_only: bool,
    /// Retrain the N cheapest finished runs and compare (implies no training).
    pub verify: Option<usize>,
    /// Run the cheapest pending runs first (default: the longest first).
    pub shortest_first: bool,
}

fn abs(p: PathBuf) -> PathBuf {
    std::path::absolute(&p).unwrap_or(p)
}

pub fn parse(args: &[String]) -> Result<Opts> {
    let mut profile = Profile::by_name("quick").expect("quick exists");
    let mut seeds = None;
    let mut o = Opts {
        profile: profile.clone(),
        only: ALL.to_vec(),
        datasets: None,
        jobs: super::env::cores(),
        results: crate::root().join("results"),
        data_dir: None,
        qmtl: None,
        emit_jobs: None,
        report_only: false,
        verify: None,
        shortest_first: false,
    };
    let mut args = crate::Args::new(args, USAGE);
    while let Some(a) = args.next_word() {
        match a {
            "--profile" => {
                let v = args.value(a)?;
                profile = Profile::by_name(v).with_context(|| {
                    format!("unknown profile `{v}`; profiles: {}", profile::NAMES)
                })?;
            }
            "--only" => {
                o.only = args
                    .list(a)?
                    .into_iter()
                    .map(|s| {
                        Exp::parse(s).with_context(|| {
                            let names: Vec<_> = ALL.iter().map(|e| e.name()).collect();
                            format!(
                                "unknown experiment `{s}`; experiments: {}",
                                names.join(", ")
                            )
                        })
                    })
                    .collect::<Result<_>>()?;
                o.only.sort();
                o.only.dedup();
            }
            "--datasets" => {
                let mut names = Vec::new();
                for s in args.list(a)? {
                    let s = s.to_lowercase();
                    let s = s.strip_suffix("-ud").unwrap_or(&s).to_string();
                    if s == "all" {
                        names.extend(data::all_names().iter().map(|n| n.to_string()));
                    } else if data::all_names().contains(&s.as_str()) {
                        names.push(s);
                    } else {
                        bail!(
                            "unknown dataset `{s}`; datasets: {}",
                            data::all_names().join(", ")
                        );
                    }
                }
                names.dedup();
                o.datasets = Some(names);
            }
            "--seeds" => seeds = Some(args.parsed_list::<u64>(a)?),
            "--jobs" | "-j" => {
                o.jobs = args.parsed(a)?;
                anyhow::ensure!(o.jobs > 0, "--jobs must be at least 1");
            }
            "--results" => o.results = args.value(a)?.into(),
            "--data-dir" => o.data_dir = Some(args.value(a)?.into()),
            "--qmtl" => o.qmtl = Some(args.value(a)?.into()),
            "--emit-jobs" => o.emit_jobs = Some(args.value(a)?.into()),
            "--report-only" => o.report_only = true,
            "--shortest-first" => o.shortest_first = true,
            "--verify" => {
                let n: usize = args.parsed(a)?;
                anyhow::ensure!(n > 0, "--verify needs at least 1 run");
                o.verify = Some(n);
            }
            // `reproduce::run` prints the usage and the profiles for these
            // before parsing; a caller that skips that still gets the usage.
            "--help" | "-h" => bail!("{USAGE}"),
            s => return Err(args.unknown(s)),
        }
    }
    if let Some(s) = seeds {
        profile.seeds = s;
    }
    o.profile = profile;
    if o.emit_jobs.is_some() && o.verify.is_some() {
        bail!("--emit-jobs and --verify do not go together");
    }
    if o.emit_jobs.is_some() && o.report_only {
        bail!("--emit-jobs and --report-only do not go together: emit, run the jobs, then --report-only");
    }
    o.results = abs(o.results);
    o.data_dir = o.data_dir.map(abs);
    o.qmtl = o.qmtl.map(abs);
    Ok(o)
}
