//! `qmtl`, the command line of the project.
//!
//! One module per subcommand under `cmd/` (`data`, `stats`, `score`, `train`,
//! `eval`, `tag`): each defines a clap `Args` struct and a
//! `run` function. This file holds the clap enum, the options every subcommand
//! shares ([`Global`]), and the error policy: a user error (bad file, bad flag,
//! missing data) is printed as one line on stderr, `qmtl: error: ...`, with the
//! whole cause chain (each cause once), and the exit status is 1. A bug that
//! panics prints one line too, `qmtl: internal error: ...` with where it
//! happened, and exits with status 101 — never a backtrace.

mod cmd;
mod download;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `0.1.0 (rev abc1234)`: the package version and the git revision built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (rev ",
    env!("QMTL_GIT_REVISION"),
    ")"
);

/// Quasi-multitask learning for sequence tagging (Q-MTL), reproduced in Rust.
#[derive(Parser)]
#[command(name = "qmtl", version = VERSION, about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options shared by every subcommand.
#[derive(clap::Args, Debug, Clone)]
pub struct Global {
    /// Data folder searched first; then $QMTL_DATA, ../shared/data beside the
    /// repository, and the cache (~/.cache/qmtl/data). `data fetch` writes here.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

impl Global {
    /// The data roots, in search order.
    pub fn roots(&self) -> corpus::DataRoots {
        corpus::DataRoots::discover(self.data_dir.as_deref())
    }
}

#[derive(Subcommand)]
enum Command {
    /// List the paper's datasets or fetch the missing ones.
    Data(cmd::data::DataArgs),
    /// Sentences, distinct word forms and tokens per file (Table 1 of the paper).
    Stats(cmd::stats::StatsArgs),
    /// Score a prediction file against a gold file (accuracy; conlleval P/R/F1).
    Score(cmd::score::ScoreArgs),
    /// Train STL, Q-MTL(k) or an ensemble; writes DIR/model.qmtl and DIR/run.json.
    Train(Box<cmd::train::TrainArgs>),
    /// Score a saved model on a file: every head and the average.
    Eval(cmd::eval::EvalArgs),
    /// Tag CoNLL-U, column or plain-text input with a saved model.
    Tag(cmd::tag::TagArgs),
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        let at = info
            .location()
            .map(|l| format!(" (at {}:{})", l.file(), l.line()))
            .unwrap_or_default();
        // No flush of stdout here: the thread that panicked may be a worker
        // while another thread holds stdout's lock (`tag` does), and waiting
        // for it would hang instead of exiting.
        eprintln!(
            "qmtl: internal error: {}{at}; please report it",
            what.replace('\n', " ")
        );
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return bad_arguments(e),
    };
    // Test hook: the panic policy above is checked end to end with it.
    if std::env::var_os("QMTL_TEST_PANIC").is_some_and(|v| v == "1") {
        panic!("QMTL_TEST_PANIC is set");
    }
    let result = match cli.command {
        Command::Data(args) => cmd::data::run(&cli.global, args),
        Command::Stats(args) => cmd::stats::run(&cli.global, args),
        Command::Score(args) => cmd::score::run(&cli.global, args),
        Command::Train(args) => cmd::train::run(&cli.global, *args),
        Command::Eval(args) => cmd::eval::run(&cli.global, args),
        Command::Tag(args) => cmd::tag::run(&cli.global, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = std::io::stdout().flush();
            eprintln!("qmtl: error: {}", message(&e));
            ExitCode::FAILURE
        }
    }
}

/// A command line clap rejects: one `qmtl: error:` line with clap's tips and
/// the usage, exit status 1, as for any user error. Help and version go to
/// stdout as clap prints them.
fn bad_arguments(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit()
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        // `qmtl` or `qmtl data` alone: the help, on stderr, as a user error.
        eprint!("{}", e.render());
        return ExitCode::FAILURE;
    }
    // clap's text is blocks separated by blank lines: the error (with its
    // details on indented lines), tips, the usage, a pointer to --help.
    let text = e.render().to_string();
    let mut parts = Vec::new();
    for block in text.split("\n\n") {
        let lines: Vec<&str> = block
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let joined = lines.join(" ");
        if let Some(what) = joined.strip_prefix("error: ") {
            parts.push(what.trim_end_matches(':').to_string());
        } else if joined.starts_with("tip: ") {
            parts.push(joined);
        } else if let Some(usage) = joined.strip_prefix("Usage: ") {
            parts.push(format!("usage: {usage}"));
        }
    }
    eprintln!("qmtl: error: {} (see --help)", parts.join("; "));
    ExitCode::FAILURE
}

/// The cause chain joined by `: `, leaving out a cause whose text the message
/// already ends with (an error that prints its source, wrapped by one that
/// names it as its source, would otherwise say "Is a directory" twice).
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// `qmtl stats ... | head` closes stdout early; that is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
