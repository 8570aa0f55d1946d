//! `cargo xtask ...`: project automation, run through the alias in
//! `.cargo/config.toml`. Tasks drive the release `qmtl` binary, so everything
//! they do can also be done by hand with `qmtl train`.
//!
//! - `compare [NAME] [--epochs N] [--heads K] [--seed S]`: trains STL and
//!   Q-MTL(k) on one dataset (Tamil-TTB by default) and prints them side by side.
//! - `reproduce [--profile smoke|quick|paper] ...`: every table and figure of the
//!   paper on the data present, written to `results/report.md`.
//! - `speed [NAME...] [--rounds R] [--heads K,K...] [--threads T,T...]`:
//!   training speed of STL and Q-MTL(k), one epoch, alternating rounds; the
//!   cost of heads, and of ensembles (`--ensembles`), and the speed-up of
//!   more threads on one model.

mod compare;
mod replace;
mod reproduce;
mod speed;

use std::process::ExitCode;

/// `cargo xtask --help`.
const TASKS: &str = "usage: cargo xtask <task> [options]; `cargo xtask <task> --help` for each

tasks:
  compare [NAME]   STL against Q-MTL(k) on one dataset (ta by default), side by side
  reproduce        every table and figure of the paper on the data present (results/report.md)
  speed [NAME...]  training speed: tokens per second, the cost of heads, two threads against one";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let help = args[1.min(args.len())..]
        .iter()
        .any(|a| a == "--help" || a == "-h");
    let result = match args.first().map(String::as_str) {
        Some("compare") if help => print(compare::USAGE),
        Some("speed") if help => print(speed::USAGE),
        Some("compare") => compare::run(&args[1..]),
        Some("reproduce") => reproduce::run(&args[1..]),
        Some("speed") => speed::run(&args[1..]),
        Some("--help" | "-h" | "help") => print(TASKS),
        Some(other) => Err(anyhow::anyhow!(
            "unknown task `{other}`; tasks: compare, reproduce, speed"
        )),
        None => Err(anyhow::anyhow!(
            "usage: cargo xtask <task>; tasks: compare, reproduce, speed (cargo xtask --help)"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints `text` (a usage) on stdout.
fn print(text: &str) -> anyhow::Result<()> {
    println!("{text}");
    Ok(())
}

/// The workspace root (xtask lives one level below it).
pub fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// Builds the release `qmtl` binary and returns its path.
pub fn qmtl_binary() -> anyhow::Result<std::path::PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "qmtl"])
        .current_dir(root())
        .status()?;
    anyhow::ensure!(status.success(), "building qmtl failed");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    Ok(target.join("release").join("qmtl"))
}

/// A task's command-line words, one option at a time: the one option parser
/// of every task, so a missing value, a bad number or an unknown option reads
/// the same everywhere: one line that names the option and ends with the usage.
pub struct Args<'a> {
    it: std::slice::Iter<'a, String>,
    usage: &'static str,
}

impl<'a> Args<'a> {
    pub fn new(args: &'a [String], usage: &'static str) -> Self {
        Args {
            it: args.iter(),
            usage,
        }
    }

    /// The next word (an option or a positional argument).
    pub fn next_word(&mut self) -> Option<&'a str> {
        self.it.next().map(String::as_str)
    }

    /// The word after `option`, or an error naming it.
    pub fn value(&mut self, option: &str) -> anyhow::Result<&'a str> {
        use anyhow::Context;
        self.next_word()
            .with_context(|| format!("{option} needs a value; {}", self.usage))
    }

    /// The word after `option`, parsed.
    pub fn parsed<T: std::str::FromStr>(&mut self, option: &str) -> anyhow::Result<T>
    where
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        let v = self.value(option)?;
        read(option, v)
    }

    /// The word after `option` as a comma-separated list, blanks dropped.
    pub fn list(&mut self, option: &str) -> anyhow::Result<Vec<&'a str>> {
        let v = self.value(option)?;
        Ok(v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect())
    }

    /// The word after `option` as a comma-separated list of values, at least one.
    pub fn parsed_list<T: std::str::FromStr>(&mut self, option: &str) -> anyhow::Result<Vec<T>>
    where
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        let v: Vec<T> = self
            .list(option)?
            .into_iter()
            .map(|s| read(option, s))
            .collect::<anyhow::Result<_>>()?;
        anyhow::ensure!(!v.is_empty(), "{option} needs at least one value");
        Ok(v)
    }

    /// The error for a word no option of the task matches.
    pub fn unknown(&self, word: &str) -> anyhow::Error {
        anyhow::anyhow!("unknown option `{word}`; {}", self.usage)
    }
}

fn read<T: std::str::FromStr>(option: &str, v: &str) -> anyhow::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    use anyhow::Context;
    v.parse()
        .with_context(|| format!("{option}: cannot read `{v}`"))
}

/// Runs a prepared `qmtl train ...` command with `--out dir` and returns the
/// run's record, checked against its model; `what` names the run in the error
/// if it fails.
pub fn train(
    mut cmd: std::process::Command,
    dir: &std::path::Path,
    what: &str,
) -> anyhow::Result<models::RunRecord> {
    use anyhow::Context;
    let status = cmd.arg("--out").arg(dir).status().context("running qmtl")?;
    anyhow::ensure!(status.success(), "qmtl train for {what} failed (see above)");
    Ok(models::RunRecord::read_dir(dir)?)
}
