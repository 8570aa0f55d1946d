//! Entity (chunk) precision, recall and F1, ported line by line from `conlleval`,
//! the CoNLL shared-task scorer (version 2004-01-26, Erik Tjong Kim Sang).
//!
//! The port keeps every rule of the Perl script, including the ones that make it
//! handle IOB1 (English CoNLL-2003: `I-` after `O` opens an entity, `B-` only
//! between two adjacent entities of one type) and IOB2 (Spanish/Dutch CoNLL-2002)
//! alike: a tag is split at its first `-` into a prefix and a type (a type spelled
//! `0` is empty, as Perl's truth test makes it); a chunk starts and ends where
//! `startOfChunk`/`endOfChunk` say, which also covers ill-formed sequences such as
//! a type change inside a run; a predicted chunk is correct when it starts and ends
//! at the same tokens as a gold chunk of the same type. A sentence boundary is the
//! script's blank line: an `O`/`O` token that is not counted.

use std::collections::BTreeMap;

use serde::Serialize;

/// Chunk counts of one type (or overall) and the scores they give, as fractions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChunkCounts {
    /// Predicted chunks that match a gold chunk exactly.
    pub correct: usize,
    /// Chunks in the gold sequence.
    pub gold: usize,
    /// Chunks in the predicted sequence.
    pub predicted: usize,
}

impl ChunkCounts {
    /// `correct / predicted`, 0 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        ratio(self.correct, self.predicted)
    }

    /// `correct / gold`, 0 when there is no gold chunk.
    pub fn recall(&self) -> f64 {
        ratio(self.correct, self.gold)
    }

    /// Harmonic mean of precision and recall, 0 when both are 0.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b > 0 {
        a as f64 / b as f64
    } else {
        0.0
    }
}

/// Streaming chunk scorer: feed tokens (and sentence boundaries) in order.
#[derive(Debug, Clone)]
pub struct Conlleval {
    in_correct: bool,
    last_correct: (String, String),
    last_guessed: (String, String),
    overall: ChunkCounts,
    per_type: BTreeMap<String, ChunkCounts>,
}

impl Default for Conlleval {
    fn default() -> Self {
        Conlleval {
            in_correct: false,
            last_correct: ("O".into(), String::new()),
            last_guessed: ("O".into(), String::new()),
            overall: ChunkCounts::default(),
            per_type: BTreeMap::new(),
        }
    }
}

/// `B-PER` -> (`B`, `PER`); `O` -> (`O`, ``); `B-a-b` -> (`B`, `a-b`).
fn split_tag(tag: &str) -> (&str, &str) {
    let (prefix, ty) = tag.split_once('-').unwrap_or((tag, ""));
    // `$type = $type ? $type : ""` in Perl: the string "0" is false.
    (prefix, if ty == "0" { "" } else { ty })
}

/// `endOfChunk` of conlleval: did a chunk end between the previous and this token?
fn end_of_chunk(prev: &str, tag: &str, prev_type: &str, ty: &str) -> bool {
    matches!(
        (prev, tag),
        ("B", "B") | ("B", "O") | ("I", "B") | ("I", "O") | ("E", "E") | ("E", "I") | ("E", "O")
    ) || (prev != "O" && prev != "." && prev_type != ty)
        || prev == "]"
        || prev == "["
}

/// `startOfChunk` of conlleval: did a chunk start between the previous and this token?
fn start_of_chunk(prev: &str, tag: &str, prev_type: &str, ty: &str) -> bool {
    matches!(
        (prev, tag),
        ("B", "B") | ("I", "B") | ("O", "B") | ("O", "I") | ("E", "E") | ("E", "I") | ("O", "E")
    ) || (tag != "O" && tag != "." && prev_type != ty)
        || tag == "["
        || tag == "]"
}

impl Conlleval {
    /// A scorer that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// One token with its gold and predicted tag.
    pub fn token(&mut self, gold: &str, pred: &str) {
        self.step(split_tag(gold), split_tag(pred));
    }

    /// A sentence boundary (the script's blank line).
    pub fn boundary(&mut self) {
        self.step(("O", ""), ("O", ""));
    }

    /// A whole sentence followed by a boundary.
    ///
    /// # Panics
    /// If the two sequences differ in length.
    pub fn sentence<S: AsRef<str>, T: AsRef<str>>(&mut self, gold: &[S], pred: &[T]) {
        assert_eq!(
            gold.len(),
            pred.len(),
            "Conlleval::sentence: {} gold tags, {} predicted",
            gold.len(),
            pred.len()
        );
        for (g, p) in gold.iter().zip(pred) {
            self.token(g.as_ref(), p.as_ref());
        }
        self.boundary();
    }

    fn step(&mut self, (c, ct): (&str, &str), (g, gt): (&str, &str)) {
        let (lc, lct) = (self.last_correct.0.as_str(), self.last_correct.1.as_str());
        let (lg, lgt) = (self.last_guessed.0.as_str(), self.last_guessed.1.as_str());
        if self.in_correct {
            let end_c = end_of_chunk(lc, c, lct, ct);
            let end_g = end_of_chunk(lg, g, lgt, gt);
            if end_c && end_g && lgt == lct {
                self.in_correct = false;
                self.overall.correct += 1;
                self.per_type.entry(lct.to_owned()).or_default().correct += 1;
            } else if end_c != end_g || gt != ct {
                self.in_correct = false;
            }
        }
        let start_c = start_of_chunk(lc, c, lct, ct);
        let start_g = start_of_chunk(lg, g, lgt, gt);
        if start_c && start_g && gt == ct {
            self.in_correct = true;
        }
        if start_c {
            self.overall.gold += 1;
            self.per_type.entry(ct.to_owned()).or_default().gold += 1;
        }
        if start_g {
            self.overall.predicted += 1;
            self.per_type.entry(gt.to_owned()).or_default().predicted += 1;
        }
        set(&mut self.last_correct, c, ct);
        set(&mut self.last_guessed, g, gt);
    }

    /// The counts so far, closing a chunk that is still open (the script's last step).
    pub fn result(&self) -> ChunkScore {
        let mut score = ChunkScore {
            overall: self.overall,
            per_type: self.per_type.clone(),
        };
        if self.in_correct {
            score.overall.correct += 1;
            score
                .per_type
                .entry(self.last_correct.1.clone())
                .or_default()
                .correct += 1;
        }
        score
    }
}

fn set(slot: &mut (String, String), prefix: &str, ty: &str) {
    slot.0.clear();
    slot.0.push_str(prefix);
    slot.1.clear();
    slot.1.push_str(ty);
}

/// Overall and per-type chunk counts of a scored sequence.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChunkScore {
    pub overall: ChunkCounts,
    /// By entity type, sorted by name as conlleval prints them.
    pub per_type: BTreeMap<String, ChunkCounts>,
}

/// Chunk score of sentence-aligned gold and predicted tag sequences.
pub fn conlleval<S: AsRef<str>, T: AsRef<str>>(gold: &[Vec<S>], pred: &[Vec<T>]) -> ChunkScore {
    assert_eq!(
        gold.len(),
        pred.len(),
        "conlleval: {} gold sentences, {} predicted",
        gold.len(),
        pred.len()
    );
    let mut c = Conlleval::new();
    for (g, p) in gold.iter().zip(pred) {
        c.sentence(g, p);
    }
    c.result()
}
