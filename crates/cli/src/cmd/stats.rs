//! `qmtl stats TARGET...`: sentences, distinct word forms and tokens per file.
//!
//! A target is a file path or a dataset name of the registry (`ta`, `en-ner`, ...;
//! a path wins when both exist). For names, `--split` picks the file (train by
//! default, which gives Table 1 of the paper). The output is a table with one row
//! per file, or JSON lines with `--json`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use corpus::{read_corpus, Registry, Split, Stats};

use super::FormatArg;
use crate::Global;

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Files, or dataset names such as `ta hu el tr en` (see `qmtl data list`).
    #[arg(required = true, value_name = "FILE|NAME")]
    targets: Vec<String>,
    /// Split to count for dataset names.
    #[arg(long, value_enum, default_value_t = SplitArg::Train)]
    split: SplitArg,
    /// Force the format of files (default: detected from the content).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum SplitArg {
    Train,
    Dev,
    Test,
    All,
}

impl SplitArg {
    fn splits(self) -> Vec<Split> {
        match self {
            SplitArg::Train => vec![Split::Train],
            SplitArg::Dev => vec![Split::Dev],
            SplitArg::Test => vec![Split::Test],
            SplitArg::All => Split::ALL.to_vec(),
        }
    }
}

/// One output row.
struct Row {
    name: String,
    split: String,
    stats: Stats,
    path: PathBuf,
}

pub fn run(global: &Global, args: StatsArgs) -> anyhow::Result<()> {
    let roots = global.roots();
    let registry = Registry::builtin();
    let mut rows = Vec::new();
    for target in &args.targets {
        if Path::new(target).is_file() {
            let corpus = read_corpus(target, args.format.map(Into::into))?;
            let stats = Stats::of(&corpus.sentences);
            rows.push(Row {
                name: "-".into(),
                split: "-".into(),
                stats,
                path: corpus.path,
            });
            continue;
        }
        let dataset = registry
            .get(target)
            .with_context(|| format!("`{target}` is neither a file nor a dataset name"))?;
        for split in args.split.splits() {
            let corpus = dataset.read(split, &roots)?;
            let stats = Stats::of(&corpus.sentences);
            rows.push(Row {
                name: dataset.name.clone(),
                split: split.name().into(),
                stats,
                path: corpus.path,
            });
        }
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        for r in &rows {
            let line = serde_json::json!({
                "name": r.name, "split": r.split, "sentences": r.stats.sentences,
                "word_forms": r.stats.word_forms, "tokens": r.stats.tokens, "file": r.path,
            });
            writeln!(out, "{line}")?;
        }
    } else {
        write!(out, "{}", table(&rows))?;
    }
    Ok(())
}

fn table(rows: &[Row]) -> String {
    let header = ["name", "split", "sentences", "word_forms", "tokens", "file"];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            let s = r.stats;
            [
                r.name.clone(),
                r.split.clone(),
                s.sentences.to_string(),
                s.word_forms.to_string(),
                s.tokens.to_string(),
                r.path.display().to_string(),
            ]
        })
        .collect();
    let width = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .chain([header[i].len()])
            .max()
            .unwrap_or(0)
    };
    let w: Vec<usize> = (0..6).map(width).collect();
    let mut text = format!(
        "{:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {:>w4$}  {}\n",
        header[0],
        header[1],
        header[2],
        header[3],
        header[4],
        header[5],
        w0 = w[0],
        w1 = w[1],
        w2 = w[2],
        w3 = w[3],
        w4 = w[4]
    );
    for c in &cells {
        text += &format!(
            "{:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {:>w4$}  {}\n",
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
            c[5],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3],
            w4 = w[4]
        );
    }
    text
}
