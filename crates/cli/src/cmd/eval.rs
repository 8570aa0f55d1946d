//! `qmtl eval`: scores a saved model on a file: every head (or ensemble
//! member) alone and the model's prediction (the average, or the selected
//! head of a PTA model with model selection).
//!
//! With `--raw` it also scores the model on the file's raw text, as a user's text
//! is tagged: each sentence's `# text` is cut into tokens as `qmtl tag` cuts plain
//! text (`--tokenize`), tagged, and compared with the gold tokens by character
//! span. A word counts as tagged right when the tokenizer found its token and the
//! tag is its gold tag; the words of a multiword token (Greek "στο" for "σε" "το")
//! cannot be, as the tagger reads surface tokens.

use std::io::Write;
use std::path::PathBuf;

use std::collections::HashMap;

use anyhow::{bail, Result};
use clap::Args;
use corpus::{read_corpus, read_raw_conllu, surface_spans, Corpus, Format, Lexicon, Tokenizer};
use models::{
    evaluate_with_confidence, predict, Combine, Encoded, EvalReport, Metric, ModelFile, RawReport,
};
use rayon::prelude::*;

use super::tag::text;
use super::train::MetricArg;
use super::{FormatArg, TokenizeArg};
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
    /// One JSON object instead of text (`models::EvalReport`: `metric`,
    /// `tokens`, `heads`, `avg`, `selected_head`, `confidence`, `raw`) (confidence: calibration and selective prediction of
    /// the predicted tag's probability and of the heads' agreement).
    #[arg(long)]
    json: bool,
    /// Also score the model on the file's raw text (CoNLL-U `# text`), tokenized
    /// as `qmtl tag` tokenizes plain text; prints how many gold tokens the
    /// tokenizer found and the share of words tagged right.
    #[arg(long)]
    raw: bool,
    /// With --raw: how the text is cut into tokens, as `qmtl tag --tokenize`.
    #[arg(long, value_enum, value_name = "HOW", requires = "raw")]
    tokenize: Option<TokenizeArg>,
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
    let how = a.tokenize.unwrap_or_default();
    let raw = if a.raw {
        if metric != Metric::Accuracy || test.format != Format::Conllu {
            bail!(
                "--raw scores the accuracy of tags on CoNLL-U text (`# text` lines); {} is {}",
                test.path.display(),
                match test.format {
                    Format::Conllu => "scored with F1",
                    Format::Columns => "a column file",
                }
            );
        }
        let (tokenizer, lexicon) = how.tokenizer(vocab);
        Some(score_raw(&model, &test, tokenizer, lexicon.as_ref())?)
    } else {
        None
    };
    let mut out = std::io::stdout().lock();
    if a.json {
        let report = EvalReport {
            metric,
            tokens,
            heads: s.heads,
            avg: s.avg,
            selected_head: selected,
            confidence,
            raw: raw.map(|r| RawReport {
                tokenize: how.name().to_string(),
                sentences: r.sentences,
                left_out: r.left_out,
                words: r.words,
                accuracy: r.accuracy(),
                gold_tokens: r.gold_tokens,
                found_tokens: r.found,
                matched_tokens: r.matched,
                precision: r.precision(),
                recall: r.recall(),
                f1: r.f1(),
            }),
        };
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
    } else {
        writeln!(
            out,
            "{} on {} ({} tokens)",
            metric.as_str(),
            test.path.display(),
            tokens
        )?;
        for (j, h) in s.heads.iter().enumerate() {
            writeln!(out, "  head {:>2}  {:.2}", j + 1, 100.0 * h)?;
        }
        match selected {
            Some(j) => writeln!(
                out,
                "  model selection (head {})  {:.2}",
                j + 1,
                100.0 * s.avg
            )?,
            None => writeln!(out, "  average  {:.2}", 100.0 * s.avg)?,
        }
        if let Some(r) = raw {
            writeln!(
                out,
                "raw text ({} sentences, {} words; tokens cut by --tokenize {}{})",
                r.sentences,
                r.words,
                how.name(),
                match r.left_out {
                    0 => String::new(),
                    n => format!("; {n} sentences whose tokens do not spell their text left out"),
                }
            )?;
            writeln!(
                out,
                "  tokens   {} found, {} of the {} gold: precision {:.2}, recall {:.2}, F1 {:.2}",
                r.found,
                r.matched,
                r.gold_tokens,
                100.0 * r.precision(),
                100.0 * r.recall(),
                100.0 * r.f1()
            )?;
            writeln!(out, "  words tagged right  {:.2}", 100.0 * r.accuracy())?;
        }
    }
    Ok(())
}

/// The model on raw text: tokens found and words tagged right.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct RawScore {
    sentences: usize,
    /// Sentences whose gold tokens do not spell their `# text` (not scored).
    left_out: usize,
    /// Words of the scored sentences, and how many were tagged right.
    words: usize,
    right: usize,
    /// Gold surface tokens, tokens the tokenizer found, and the found ones with
    /// the span of a gold token.
    gold_tokens: usize,
    found: usize,
    matched: usize,
}

impl RawScore {
    fn add(mut self, o: RawScore) -> RawScore {
        self.sentences += o.sentences;
        self.left_out += o.left_out;
        self.words += o.words;
        self.right += o.right;
        self.gold_tokens += o.gold_tokens;
        self.found += o.found;
        self.matched += o.matched;
        self
    }
    fn ratio(a: usize, b: usize) -> f64 {
        if b == 0 {
            0.0
        } else {
            a as f64 / b as f64
        }
    }
    fn accuracy(&self) -> f64 {
        Self::ratio(self.right, self.words)
    }
    fn precision(&self) -> f64 {
        Self::ratio(self.matched, self.found)
    }
    fn recall(&self) -> f64 {
        Self::ratio(self.matched, self.gold_tokens)
    }
    fn f1(&self) -> f64 {
        Self::ratio(2 * self.matched, self.found + self.gold_tokens)
    }
}

/// Tags every sentence's `# text` of `test` (a CoNLL-U file) as `qmtl tag` tags
/// plain text, and scores it against the gold tokens and tags.
fn score_raw(
    model: &ModelFile,
    test: &Corpus,
    tokenizer: Tokenizer,
    lexicon: Option<&Lexicon>,
) -> Result<RawScore> {
    let raw = read_raw_conllu(&test.path)?;
    if raw.len() != test.sentences.len() {
        bail!(
            "{}: {} sentences as text but {} as tokens",
            test.path.display(),
            raw.len(),
            test.sentences.len()
        );
    }
    if let Some(r) = raw.iter().find(|r| r.text.is_none()) {
        bail!(
            "{}:{}: this sentence has no `# text` comment; --raw tags each sentence's text",
            test.path.display(),
            r.line
        );
    }
    let vocab = &model.vocab;
    let per_sentence = raw
        .par_iter()
        .zip(&test.sentences)
        .map_init(models::Tape::new, |tape, (r, s)| {
            let text = r.text.as_deref().unwrap_or_default();
            let Some(spans) = surface_spans(text, &r.tokens) else {
                return RawScore {
                    left_out: 1,
                    ..RawScore::default()
                };
            };
            // The tag of each token found, by its span.
            let mut found = HashMap::new();
            for w in text::windows(tokenizer, lexicon, text) {
                let p = predict(&model.model, model.combine, tape, &text::encode(model, &w));
                for (t, &tag) in w.tokens.iter().zip(&p.tags) {
                    found.insert(t.span_in(text), tag);
                }
            }
            let mut score = RawScore {
                sentences: 1,
                words: s.len(),
                gold_tokens: spans.len(),
                found: found.len(),
                ..RawScore::default()
            };
            let mut word = 0;
            for (span, (_, n)) in spans.iter().zip(&r.tokens) {
                if let Some(&tag) = found.get(span) {
                    score.matched += 1;
                    let gold = s.tags.get(word).map(String::as_str);
                    if *n == 1 && Some(vocab.tags.name(tag)) == gold {
                        score.right += 1;
                    }
                }
                word += n;
            }
            score
        })
        .reduce(RawScore::default, RawScore::add);
    Ok(per_sentence)
}
