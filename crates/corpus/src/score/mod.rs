//! Scoring predictions: token accuracy for POS, conlleval chunk F1 for NER.
//!
//! [`Scorer`] accumulates sentence-aligned gold and predicted tags and reports both
//! measures (the chunk part only for IOB-style tag sets, see [`is_chunk_tagset`]).
//! [`score_files`] does the same for two corpora on disk after checking that they
//! hold the same tokens in the same sentences, and says where they first differ.
//! Accuracy counts only real tokens: conlleval would also count `-DOCSTART-` lines
//! as tokens, which changes its accuracy (never its F1) on the Dutch files.

mod conlleval;

pub use conlleval::{conlleval, ChunkCounts, ChunkScore, Conlleval};

use crate::error::{Error, Result};
use crate::sentence::Corpus;

/// True when every tag is `O` or `X-TYPE` with `X` in B, I, E, S and a non-empty
/// type, and at least one tag is not `O`: the tag set of an entity task.
pub fn is_chunk_tagset<'a>(tags: impl IntoIterator<Item = &'a str>) -> bool {
    let mut any_entity = false;
    for t in tags {
        if t == "O" {
            continue;
        }
        match t.split_once('-') {
            Some((p, ty)) if matches!(p, "B" | "I" | "E" | "S") && !ty.is_empty() => {
                any_entity = true
            }
            _ => return false,
        }
    }
    any_entity
}

/// Why tags that look like an entity tag set are not one: the first tag that is
/// neither `O` nor `B|I|E|S-TYPE`, and where it is. It decides that the tags are
/// scored as plain labels (accuracy, no entity F1), so it is worth naming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotIob {
    pub tag: String,
    pub path: std::path::PathBuf,
    /// 1-based line of the tag in `path` (0 when unknown).
    pub line: usize,
}

impl std::fmt::Display for NotIob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: tag `{}` is not an IOB tag (O, or B-, I-, E-, S- with a type), so the \
             tags are scored as plain labels (accuracy, no entity F1)",
            self.path.display(),
            self.line,
            self.tag
        )
    }
}

/// The tag that keeps `sentences` (read from `path`) from being an IOB tag set
/// although some of their tags are entity tags; `None` for a clean IOB set and
/// for tag sets without any entity tag (POS tags).
pub fn not_iob(sentences: &[crate::Sentence], path: &std::path::Path) -> Option<NotIob> {
    let is_entity = |t: &str| matches!(t.split_once('-'), Some((p, ty)) if matches!(p, "B" | "I" | "E" | "S") && !ty.is_empty());
    let mut breaker = None;
    let mut any_entity = false;
    for s in sentences {
        for (i, t) in s.tags.iter().enumerate() {
            if t == "O" {
                continue;
            }
            if is_entity(t) {
                any_entity = true;
            } else if breaker.is_none() {
                breaker = Some(NotIob {
                    tag: t.clone(),
                    path: path.to_path_buf(),
                    line: s.line(i).unwrap_or(0),
                });
            }
            if any_entity && breaker.is_some() {
                return breaker;
            }
        }
    }
    None
}

/// Token accuracy and, when asked for, chunk counts of a set of predictions.
#[derive(Debug, Clone, Default)]
pub struct Scorer {
    tokens: usize,
    correct: usize,
    chunks: Option<Conlleval>,
}

impl Scorer {
    /// A scorer; `chunks` turns on the conlleval entity scores.
    pub fn new(chunks: bool) -> Self {
        Scorer {
            tokens: 0,
            correct: 0,
            chunks: chunks.then(Conlleval::new),
        }
    }

    /// Adds one sentence. A gold tag that the model cannot produce simply never
    /// matches, so it counts as an error.
    ///
    /// # Panics
    /// If the two sequences differ in length.
    pub fn add<S: AsRef<str>, T: AsRef<str>>(&mut self, gold: &[S], pred: &[T]) {
        assert_eq!(
            gold.len(),
            pred.len(),
            "Scorer::add: {} gold tags, {} predicted",
            gold.len(),
            pred.len()
        );
        self.tokens += gold.len();
        self.correct += gold
            .iter()
            .zip(pred)
            .filter(|(g, p)| g.as_ref() == p.as_ref())
            .count();
        if let Some(c) = &mut self.chunks {
            c.sentence(gold, pred);
        }
    }

    /// The scores so far.
    pub fn score(&self) -> Score {
        Score {
            tokens: self.tokens,
            correct: self.correct,
            chunks: self.chunks.as_ref().map(Conlleval::result),
        }
    }
}

/// Result of scoring: token accuracy and optional chunk scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub tokens: usize,
    /// Tokens whose predicted tag equals the gold tag.
    pub correct: usize,
    /// Entity scores, when the tag set is IOB-style.
    pub chunks: Option<ChunkScore>,
}

impl Score {
    /// `correct / tokens` (0 for no tokens).
    pub fn accuracy(&self) -> f64 {
        if self.tokens == 0 {
            0.0
        } else {
            self.correct as f64 / self.tokens as f64
        }
    }

    /// The paper's measure: entity F1 for NER, token accuracy otherwise.
    pub fn main(&self) -> f64 {
        match &self.chunks {
            Some(c) => c.overall.f1(),
            None => self.accuracy(),
        }
    }

    /// conlleval's report: the summary line, the overall line, one line per type.
    pub fn conlleval_report(&self) -> String {
        let mut out = String::new();
        let pct = |x: f64| 100.0 * x;
        match &self.chunks {
            None => out.push_str(&format!(
                "processed {} tokens; accuracy: {:6.2}%\n",
                self.tokens,
                pct(self.accuracy())
            )),
            Some(c) => {
                let o = &c.overall;
                out.push_str(&format!(
                    "processed {} tokens with {} phrases; found: {} phrases; correct: {}.\n",
                    self.tokens, o.gold, o.predicted, o.correct
                ));
                out.push_str(&format!(
                    "accuracy: {:6.2}%; precision: {:6.2}%; recall: {:6.2}%; FB1: {:6.2}\n",
                    pct(self.accuracy()),
                    pct(o.precision()),
                    pct(o.recall()),
                    pct(o.f1())
                ));
                for (ty, t) in &c.per_type {
                    out.push_str(&format!(
                        "{ty:>17}: precision: {:6.2}%; recall: {:6.2}%; FB1: {:6.2}  {}\n",
                        pct(t.precision()),
                        pct(t.recall()),
                        pct(t.f1()),
                        t.predicted
                    ));
                }
            }
        }
        out
    }
}

/// Scores `pred` against `gold`. They must hold the same words in the same
/// sentences; the first difference is an error naming both lines. `chunks: None`
/// decides from the gold tags ([`is_chunk_tagset`]).
pub fn score_files(gold: &Corpus, pred: &Corpus, chunks: Option<bool>) -> Result<Score> {
    check_aligned(gold, pred)?;
    let chunks = chunks.unwrap_or_else(|| {
        is_chunk_tagset(
            gold.sentences
                .iter()
                .flat_map(|s| s.tags.iter().map(String::as_str)),
        )
    });
    let mut scorer = Scorer::new(chunks);
    for (g, p) in gold.sentences.iter().zip(&pred.sentences) {
        scorer.add(&g.tags, &p.tags);
    }
    Ok(scorer.score())
}

/// A token of a corpus, for alignment checks.
struct Token<'a> {
    word: &'a str,
    /// `line N` in its file, or `end of file`.
    at: String,
    starts_sentence: bool,
}

fn tokens(c: &Corpus) -> Vec<Token<'_>> {
    let mut out = Vec::with_capacity(c.tokens());
    for s in &c.sentences {
        for (i, w) in s.words.iter().enumerate() {
            let at = s
                .line(i)
                .map_or("(no line)".to_string(), |l| format!("line {l}"));
            out.push(Token {
                word: w,
                at,
                starts_sentence: i == 0,
            });
        }
    }
    out
}

/// Checks that two corpora have the same tokens in the same sentences.
fn check_aligned(gold: &Corpus, pred: &Corpus) -> Result<()> {
    let (gp, pp) = (gold.path.display(), pred.path.display());
    let (g, p) = (tokens(gold), tokens(pred));
    let mismatch = |message: String| Err(Error::Mismatch { message });
    for (k, (a, b)) in g.iter().zip(&p).enumerate() {
        if a.word != b.word {
            return mismatch(format!(
                "token {} differs: {gp} {} has `{}`, {pp} {} has `{}`",
                k + 1,
                a.at,
                a.word,
                b.at,
                b.word
            ));
        }
        if a.starts_sentence != b.starts_sentence {
            return mismatch(format!(
                "sentence boundaries differ at token {} (`{}`): {gp} {}, {pp} {}",
                k + 1,
                a.word,
                a.at,
                b.at
            ));
        }
    }
    if g.len() != p.len() {
        let (path, extra) = if g.len() > p.len() {
            (&gp, &g[p.len()])
        } else {
            (&pp, &p[g.len()])
        };
        return mismatch(format!(
            "{gp} has {} tokens but {pp} has {}; the first extra token is `{}` at {path} {}",
            g.len(),
            p.len(),
            extra.word,
            extra.at
        ));
    }
    Ok(())
}
