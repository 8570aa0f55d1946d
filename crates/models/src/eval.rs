//! Scoring a model: every head alone and the averaged prediction (Eq. 3 for
//! Q-MTL's heads, Eq. 4 for an ensemble's members), on token accuracy or
//! conlleval F1.

use crate::confidence::{Collector, Confidence};
use crate::model::Model;
use crate::tagger::Tagger;
use autograd::Tape;
use corpus::{Encoded, Scorer, Sentence, Vocab};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The measure a run is scored on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    Accuracy,
    F1,
}

impl Metric {
    /// F1 for IOB-style tag sets, accuracy otherwise (the paper's choice).
    pub fn for_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> Metric {
        if corpus::is_chunk_tagset(tags) {
            Metric::F1
        } else {
            Metric::Accuracy
        }
    }

    /// The word `--metric` and `run.json` use.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::F1 => "f1",
        }
    }
}

/// Scores of every head (or ensemble member) and of the model's prediction
/// (their average; the selected head under PTA's model selection), in [0, 1].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    pub heads: Vec<f64>,
    pub avg: f64,
}

impl Scores {
    /// The mean of the heads' own scores (an ensemble's mean member).
    pub fn mean_heads(&self) -> f64 {
        self.heads.iter().sum::<f64>() / self.heads.len().max(1) as f64
    }
}

/// What `qmtl eval --json` prints: a model's scores on one file. The one type
/// that writes the object and reads it back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalReport {
    pub metric: Metric,
    /// Tokens of the file.
    pub tokens: usize,
    /// Each head's (or member's) score.
    pub heads: Vec<f64>,
    /// The model's prediction's score (of the selected head under PTA's
    /// model selection).
    pub avg: f64,
    /// The head a PTA model with model selection predicts with (0-based).
    pub selected_head: Option<usize>,
    /// Calibration and selective prediction of the predictions (`None` for a
    /// file without tokens).
    pub confidence: Option<Confidence>,
    /// The scores on the file's raw text (`--raw`).
    pub raw: Option<RawReport>,
}

/// The model on a file's raw text, tokenized as `qmtl tag` tokenizes:
/// gold tokens found (by character span) and words tagged right.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReport {
    /// How the text was cut (`model`, `unicode` or `whitespace`).
    pub tokenize: String,
    /// Sentences scored, and those left out because their gold tokens do not
    /// spell their text.
    pub sentences: usize,
    pub left_out: usize,
    /// Words of the scored sentences, and the share tagged right.
    pub words: usize,
    pub accuracy: f64,
    /// Gold surface tokens, tokens found, and found tokens with a gold span.
    pub gold_tokens: usize,
    pub found_tokens: usize,
    pub matched_tokens: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// The predictions for one sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// Argmax of the averaged probabilities, per token.
    pub tags: Vec<usize>,
    /// The averaged probability of that tag.
    pub prob: Vec<f32>,
    /// How many heads' own argmax equals it (all heads, also under model selection).
    pub agree: Vec<usize>,
    /// Every head's argmax, `[head][token]`.
    pub heads: Vec<Vec<usize>>,
}

/// The longest stretch of tokens read as one sequence, at inference and in
/// training. A longer "sentence" (a megabyte line of plain text, say) is read
/// in consecutive windows of this many tokens, each as a sentence of its own,
/// so memory stays bounded by the window instead of growing with the line: a
/// window's tape takes about 10 KB per token at inference and 40 KB in
/// training with the default sizes (measured), hence 2048 rather than more.
/// The paper's data has no sentence longer than 1238 tokens
/// (`conll2002/esp.train`), so this changes nothing there.
pub const MAX_SEQUENCE: usize = 2048;

/// How the heads' probabilities become the model's prediction. A value the
/// caller passes, never a state of the model: PTA's `Inference::Ma` is
/// `Average`, `Inference::Ms` is `Select` of the head chosen on dev after
/// training (what a model file stores as [`crate::ModelFile::combine`], from
/// [`crate::TrainConfig::combine`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Combine {
    /// The mean of every head of every member (Eq. 3 for Q-MTL, Eq. 4 for an ensemble).
    Average,
    /// Head `j` alone, counting the heads of all members in order.
    Select(usize),
}

/// Predicts with every head of `model` (of its one tagger, or of every
/// member of an ensemble), combined by `combine`; sentences longer than
/// [`MAX_SEQUENCE`] tokens are read in windows.
pub fn predict(model: &Model, combine: Combine, tape: &mut Tape<f32>, x: &Encoded) -> Prediction {
    predict_taggers(model.taggers(), combine, tape, x)
}

/// [`predict`] with the heads of `members`, in order.
fn predict_taggers(
    members: &[Tagger],
    combine: Combine,
    tape: &mut Tape<f32>,
    x: &Encoded,
) -> Prediction {
    if x.len() <= MAX_SEQUENCE {
        return predict_whole(members, combine, tape, x);
    }
    let mut out: Option<Prediction> = None;
    let mut at_char = 0;
    for start in (0..x.len()).step_by(MAX_SEQUENCE) {
        let end = (start + MAX_SEQUENCE).min(x.len());
        let window = x.window(start, end, at_char);
        at_char += window.chars.len();
        let p = predict_whole(members, combine, tape, &window);
        match &mut out {
            None => out = Some(p),
            Some(o) => {
                o.tags.extend(p.tags);
                o.prob.extend(p.prob);
                o.agree.extend(p.agree);
                for (h, ph) in o.heads.iter_mut().zip(p.heads) {
                    h.extend(ph);
                }
            }
        }
    }
    out.expect("a long sentence has windows")
}

fn predict_whole(
    members: &[Tagger],
    combine: Combine,
    tape: &mut Tape<f32>,
    x: &Encoded,
) -> Prediction {
    let n = x.len();
    let tags = members[0].sizes.tags;
    if n == 0 {
        let k = members.iter().map(Tagger::k).sum();
        return Prediction {
            tags: vec![],
            prob: vec![],
            agree: vec![],
            heads: vec![vec![]; k],
        };
    }
    let mut heads = Vec::new();
    let mut avg = vec![0f32; n * tags];
    let mut averaged = 0;
    for m in members {
        let probs = m.head_probs(tape, x);
        for head in probs.chunks_exact(n * tags) {
            heads.push(head.chunks_exact(tags).map(argmax).collect::<Vec<_>>());
            if combine == Combine::Average || combine == Combine::Select(heads.len() - 1) {
                for (a, p) in avg.iter_mut().zip(head) {
                    *a += p;
                }
                averaged += 1;
            }
        }
    }
    let k = averaged as f32;
    let mut pred = Prediction {
        tags: Vec::with_capacity(n),
        prob: Vec::with_capacity(n),
        agree: Vec::with_capacity(n),
        heads,
    };
    for (i, row) in avg.chunks_exact(tags).enumerate() {
        let t = argmax(row);
        pred.tags.push(t);
        pred.prob.push(row[t] / k);
        pred.agree
            .push(pred.heads.iter().filter(|h| h[i] == t).count());
    }
    pred
}

fn argmax(row: &[f32]) -> usize {
    // First maximum on ties, like numpy's argmax in the original code.
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

/// Scores `model` on `sentences` (encoded as `encoded`): each head alone and
/// the prediction combined by `combine` (`avg`). Sentences are predicted in parallel; the result does not
/// depend on the number of threads.
pub fn evaluate(
    model: &Model,
    combine: Combine,
    vocab: &Vocab,
    sentences: &[Sentence],
    encoded: &[Encoded],
    metric: Metric,
) -> Scores {
    evaluate_taggers(model.taggers(), combine, vocab, sentences, encoded, metric)
}

/// [`evaluate`] on the heads of `members`, in order (PTA scores its one
/// tagger during training with it).
pub(crate) fn evaluate_taggers(
    members: &[Tagger],
    combine: Combine,
    vocab: &Vocab,
    sentences: &[Sentence],
    encoded: &[Encoded],
    metric: Metric,
) -> Scores {
    let preds = predict_all(members, combine, encoded);
    scores(members, vocab, sentences, &preds, metric)
}

/// [`evaluate`] and the confidence measures of the model's predictions
/// ([`Confidence`]; None when there is no token).
pub fn evaluate_with_confidence(
    model: &Model,
    combine: Combine,
    vocab: &Vocab,
    sentences: &[Sentence],
    encoded: &[Encoded],
    metric: Metric,
) -> (Scores, Option<Confidence>) {
    let members = model.taggers();
    let preds = predict_all(members, combine, encoded);
    let k: usize = members.iter().map(Tagger::k).sum();
    let mut c = Collector::new(k);
    for (x, p) in encoded.iter().zip(&preds) {
        for (i, &t) in p.tags.iter().enumerate() {
            c.add(f64::from(p.prob[i]), p.agree[i], x.tags[i] == Some(t));
        }
    }
    (
        scores(members, vocab, sentences, &preds, metric),
        c.finish(),
    )
}

/// Predicts every sentence, in parallel (the result does not depend on the
/// number of threads).
fn predict_all(members: &[Tagger], combine: Combine, encoded: &[Encoded]) -> Vec<Prediction> {
    encoded
        .par_iter()
        .map_init(Tape::new, |tape, x| {
            predict_taggers(members, combine, tape, x)
        })
        .collect()
}

fn scores(
    members: &[Tagger],
    vocab: &Vocab,
    sentences: &[Sentence],
    preds: &[Prediction],
    metric: Metric,
) -> Scores {
    let k: usize = members.iter().map(Tagger::k).sum();
    let chunks = metric == Metric::F1;
    let mut per_head: Vec<Scorer> = (0..k).map(|_| Scorer::new(chunks)).collect();
    let mut avg = Scorer::new(chunks);
    for (s, p) in sentences.iter().zip(preds) {
        avg.add(&s.tags, &vocab.tag_names(&p.tags));
        for (sc, h) in per_head.iter_mut().zip(&p.heads) {
            sc.add(&s.tags, &vocab.tag_names(h));
        }
    }
    Scores {
        heads: per_head.iter().map(|s| s.score().main()).collect(),
        avg: avg.score().main(),
    }
}
