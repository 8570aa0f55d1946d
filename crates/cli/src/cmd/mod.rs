//! The subcommands, one module each: an `Args` struct and a `run(&Global, Args)`.

pub mod data;
pub mod eval;
pub mod progress;
pub mod score;
pub mod stats;
pub mod tag;
pub mod train;

use clap::ValueEnum;

/// `--format` on the command line.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum FormatArg {
    /// CoNLL-U: FORM and UPOS columns.
    Conllu,
    /// Whitespace-separated columns: first = word, last = tag.
    Columns,
}

impl From<FormatArg> for corpus::Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Conllu => corpus::Format::Conllu,
            FormatArg::Columns => corpus::Format::Columns,
        }
    }
}
