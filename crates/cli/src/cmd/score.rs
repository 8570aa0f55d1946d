//! `qmtl score --gold F --pred F [--json]`: token accuracy and conlleval P/R/F1.
//!
//! Both files are read in a supported format (detected, or `--format`); the
//! predicted tag of a token is the pred file's tag column (UPOS for CoNLL-U, the
//! last column otherwise). They must hold the same tokens in the same sentences;
//! the first difference is an error naming both lines. Entity scores are computed
//! when the gold tags are IOB-style (`--chunks` forces them on or off) and printed
//! like conlleval; `--json` prints
//! `{"tokens", "accuracy", "precision", "recall", "f1", "per_type"}` with fractions
//! in [0, 1] (`null` precision/recall/f1 and an empty `per_type` without entities).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use corpus::score::ChunkCounts;
use corpus::{read_corpus, score_files, Score};
use serde::Serialize;

use super::FormatArg;
use crate::Global;

#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// The gold file.
    #[arg(long, value_name = "FILE")]
    gold: PathBuf,
    /// The predictions: same tokens, predicted tags in the tag column.
    #[arg(long, value_name = "FILE")]
    pred: PathBuf,
    /// Print JSON instead of conlleval's report.
    #[arg(long)]
    json: bool,
    /// Force the format of both files (default: detected per file).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Entity (chunk) scores on or off (default: on when the gold tags are IOB-style).
    #[arg(long, value_name = "BOOL")]
    chunks: Option<bool>,
}

pub fn run(_global: &Global, args: ScoreArgs) -> anyhow::Result<()> {
    let format = args.format.map(Into::into);
    let gold = read_corpus(&args.gold, format)?;
    let pred = read_corpus(&args.pred, format)?;
    if args.chunks.is_none() {
        super::warn_not_iob(&gold);
    }
    let score = score_files(&gold, &pred, args.chunks)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", to_json(&score))?;
    } else {
        write!(out, "{}", score.conlleval_report())?;
    }
    Ok(())
}

/// The JSON object of the schema, keys in that order.
#[derive(Serialize)]
struct ScoreJson {
    tokens: usize,
    accuracy: f64,
    precision: Option<f64>,
    recall: Option<f64>,
    f1: Option<f64>,
    per_type: BTreeMap<String, TypeJson>,
}

#[derive(Serialize)]
struct TypeJson {
    precision: f64,
    recall: f64,
    f1: f64,
}

fn to_json(score: &Score) -> String {
    let chunks = score.chunks.as_ref();
    let overall = |f: fn(&ChunkCounts) -> f64| chunks.map(|c| f(&c.overall));
    let per_type = chunks
        .iter()
        .flat_map(|c| &c.per_type)
        .map(|(ty, t)| {
            (
                ty.clone(),
                TypeJson {
                    precision: t.precision(),
                    recall: t.recall(),
                    f1: t.f1(),
                },
            )
        })
        .collect();
    let json = ScoreJson {
        tokens: score.tokens,
        accuracy: score.accuracy(),
        precision: overall(ChunkCounts::precision),
        recall: overall(ChunkCounts::recall),
        f1: overall(ChunkCounts::f1),
        per_type,
    };
    serde_json::to_string(&json).expect("plain data serializes")
}
