//! `qmtl eval`: scores a saved model on a file: every head (or ensemble
//! member) alone and the model's prediction (the average, or the selected
//! head of a PTA model with model selection).

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use corpus::read_corpus;
use models::{evaluate_with_confidence, Combine, Encoded, Metric, ModelFile};
use serde_json::json;

use super::train::MetricArg;
use super::FormatArg;
use crate::Global;

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// A model written by `qmtl train` (DIR/model.qmtl).
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// The file to score (CoNLL-U or columns, with gold tags).
    #[arg(long, value_name = "FILE")]
    test: PathBuf,
    /// Default: f1 for IOB-style tag sets, accuracy otherwise.
    #[arg(long, value_enum)]
    metric: Option<MetricArg>,
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// `{"metric", "tokens", "heads", "avg", "selected_head", "confidence"}`
    /// instead of text (confidence: calibration and selective prediction of
    /// the predicted tag's probability and of the heads' agreement).
    #[arg(long)]
    json: bool,
}

pub fn run(_g: &Global, a: EvalArgs) -> Result<()> {
    let model = ModelFile::load(&a.model)?;
    let test = read_corpus(&a.test, a.format.map(Into::into))?;
    let vocab = &model.vocab;
    super::warn_tag_overlap(vocab, &test);
    let metric = a
        .metric
        .map(Metric::from)
        .unwrap_or_else(|| Metric::for_tags(vocab.tags.names().iter().map(String::as_str)));
    let enc: Vec<Encoded> = test.sentences.iter().map(|s| vocab.encode(s)).collect();
    // PTA with model selection predicts with one head ("avg" is then its score).
    let combine = model.combine;
    let (s, confidence) =
        evaluate_with_confidence(&model.model, combine, vocab, &test.sentences, &enc, metric);
    let selected = match combine {
        Combine::Select(j) => Some(j),
        Combine::Average => None,
    };
    let tokens: usize = test.sentences.iter().map(|s| s.len()).sum();
    if a.json {
        println!(
            "{}",
            json!({"metric": metric.as_str(), "tokens": tokens, "heads": s.heads, "avg": s.avg, "selected_head": selected, "confidence": confidence})
        );
    } else {
        println!(
            "{} on {} ({} tokens)",
            metric.as_str(),
            test.path.display(),
            tokens
        );
        for (j, h) in s.heads.iter().enumerate() {
            println!("  head {:>2}  {:.2}", j + 1, 100.0 * h);
        }
        match selected {
            Some(j) => println!("  model selection (head {})  {:.2}", j + 1, 100.0 * s.avg),
            None => println!("  average  {:.2}", 100.0 * s.avg),
        }
    }
    Ok(())
}
