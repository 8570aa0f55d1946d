//! How far to trust a prediction: calibration and selective prediction of a
//! tagger's confidence in its predicted tag, per token.
//!
//! Two confidences are measured. The first is the model's probability of the
//! tag it predicts (the averaged probability for Q-MTL and ensembles). The
//! second, for models with k > 1 heads or members, is their agreement: the
//! fraction of heads whose own argmax is the predicted tag.
//!
//! For each confidence:
//! - expected calibration error (ECE) over 15 equal-width bins of [0, 1]:
//!   the token-weighted mean of |accuracy - mean confidence| per bin;
//! - Brier score of the predicted tag: the mean of (confidence - correct)²;
//! - selective prediction: tokens ranked by confidence, most confident first,
//!   the accuracy of the top 50/80/90/95% and the area under the
//!   risk-coverage curve (AURC, the mean over i = 1..N of the error rate of
//!   the i most confident tokens; lower is better).
//!
//! Tokens of equal confidence are taken in no particular order: selective
//! measures count a tied group by its expected errors under a random order
//! (its error rate times the number taken), so agreement, which has only
//! k + 1 values, is not favoured or penalised by how ties are broken.

use serde::{Deserialize, Serialize};

/// Number of equal-width bins of the reliability diagram and of the ECE.
pub const BINS: usize = 15;
/// Coverages at which accuracy is reported.
pub const COVERAGES: [f64; 4] = [0.5, 0.8, 0.9, 0.95];
/// Coverages of the stored risk-coverage curve: 0.05, 0.10, ..., 1.
pub const CURVE_POINTS: usize = 20;

/// One bin of a reliability diagram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    pub tokens: usize,
    /// Mean confidence of the tokens in the bin (0 when empty).
    pub confidence: f64,
    /// Fraction of them predicted correctly (0 when empty).
    pub accuracy: f64,
}

/// Calibration and selective prediction of one confidence measure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Selective {
    pub ece: f64,
    pub brier: f64,
    /// Accuracy of the most confident 50%, 80%, 90% and 95% of tokens.
    pub accuracy_at: Vec<Coverage>,
    pub aurc: f64,
    /// The reliability diagram: [`BINS`] equal-width bins of [0, 1].
    pub bins: Vec<Bin>,
    /// Risk (error rate) at coverage 0.05, 0.10, ..., 1.
    pub risk_coverage: Vec<Coverage>,
}

/// A value at a coverage (a fraction of the tokens, most confident first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    pub coverage: f64,
    pub value: f64,
}

/// The confidence measures of a model on one file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Confidence {
    pub tokens: usize,
    /// Token accuracy of the predictions (the top of every risk-coverage curve).
    pub accuracy: f64,
    /// Ranked by the probability of the predicted tag.
    pub probability: Selective,
    /// Ranked by the heads' agreement (votes for the predicted tag / k); only
    /// for models with more than one head or member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<Selective>,
}

/// Collects (confidence, correct) pairs token by token.
#[derive(Clone, Debug, Default)]
pub struct Collector {
    prob: Vec<(f64, bool)>,
    agree: Vec<(f64, bool)>,
    heads: usize,
}

impl Collector {
    /// `heads`: how many heads vote (agreement is measured when > 1).
    pub fn new(heads: usize) -> Self {
        Collector {
            heads,
            ..Default::default()
        }
    }

    /// One token: the predicted tag's probability, the number of heads whose
    /// argmax is that tag, and whether it is the gold tag.
    pub fn add(&mut self, prob: f64, votes: usize, correct: bool) {
        self.prob.push((prob, correct));
        if self.heads > 1 {
            self.agree.push((votes as f64 / self.heads as f64, correct));
        }
    }

    /// None when no token was added.
    pub fn finish(mut self) -> Option<Confidence> {
        if self.prob.is_empty() {
            return None;
        }
        let correct = self.prob.iter().filter(|p| p.1).count();
        Some(Confidence {
            tokens: self.prob.len(),
            accuracy: correct as f64 / self.prob.len() as f64,
            probability: selective(&mut self.prob),
            agreement: (self.heads > 1).then(|| selective(&mut self.agree)),
        })
    }
}

/// The measures of one list of (confidence, correct); `items` is reordered.
/// Confidences are clamped to [0, 1]. `items` must not be empty.
pub fn selective(items: &mut [(f64, bool)]) -> Selective {
    let n = items.len();
    assert!(n > 0, "selective measures of no token");
    for it in items.iter_mut() {
        it.0 = it.0.clamp(0.0, 1.0);
    }
    // Reliability bins and Brier score.
    let mut sums = [(0usize, 0.0f64, 0usize); BINS];
    let mut brier = 0.0;
    for &(c, ok) in items.iter() {
        let b = ((c * BINS as f64) as usize).min(BINS - 1);
        sums[b].0 += 1;
        sums[b].1 += c;
        sums[b].2 += usize::from(ok);
        let y = if ok { 1.0 } else { 0.0 };
        brier += (c - y) * (c - y);
    }
    let bins: Vec<Bin> = sums
        .iter()
        .map(|&(t, c, ok)| Bin {
            tokens: t,
            confidence: if t > 0 { c / t as f64 } else { 0.0 },
            accuracy: if t > 0 { ok as f64 / t as f64 } else { 0.0 },
        })
        .collect();
    let ece = bins
        .iter()
        .map(|b| b.tokens as f64 / n as f64 * (b.accuracy - b.confidence).abs())
        .sum();

    // Expected errors among the i most confident tokens, ties averaged.
    items.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut errors_before = vec![0.0f64; n + 1]; // errors_before[i]: among the first i
    let mut start = 0;
    while start < n {
        let mut end = start;
        while end < n && items[end].0 == items[start].0 {
            end += 1;
        }
        let wrong = items[start..end].iter().filter(|it| !it.1).count() as f64;
        let rate = wrong / (end - start) as f64;
        for i in start + 1..=end {
            errors_before[i] = errors_before[start] + rate * (i - start) as f64;
        }
        start = end;
    }
    let risk_at = |i: usize| errors_before[i] / i as f64;
    let first = |c: f64| ((c * n as f64).round() as usize).clamp(1, n);
    let aurc = (1..=n).map(risk_at).sum::<f64>() / n as f64;
    Selective {
        ece,
        brier: brier / n as f64,
        accuracy_at: COVERAGES
            .iter()
            .map(|&c| Coverage {
                coverage: c,
                value: 1.0 - risk_at(first(c)),
            })
            .collect(),
        aurc,
        bins,
        risk_coverage: (1..=CURVE_POINTS)
            .map(|p| {
                let c = p as f64 / CURVE_POINTS as f64;
                Coverage {
                    coverage: c,
                    value: risk_at(first(c)),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    /// Four tokens worked by hand:
    /// (0.95, right), (0.9, wrong), (0.6, right), (0.3, wrong).
    /// Bins of width 1/15: 0.95 -> bin 14, 0.9 -> bin 13 (0.9·15 = 13.5),
    /// 0.6 -> bin 9, 0.3 -> bin 4 (0.3·15 = 4.5).
    /// ECE = (|1-0.95| + |0-0.9| + |1-0.6| + |0-0.3|) / 4 = 1.65 / 4 = 0.4125.
    /// Brier = (0.05² + 0.9² + 0.4² + 0.3²) / 4 = (0.0025+0.81+0.16+0.09)/4 = 0.265625.
    /// Risks of the top i: 0/1, 1/2, 1/3, 2/4; AURC = (0 + 0.5 + 1/3 + 0.5) / 4 = 1/3.
    /// Coverage 50%: top 2 -> accuracy 0.5; 80%: round(3.2) = 3 -> 2/3;
    /// 90%: round(3.6) = 4 -> 0.5; 95%: 4 -> 0.5.
    #[test]
    fn four_tokens_by_hand() {
        let mut items = vec![(0.6, true), (0.95, true), (0.3, false), (0.9, false)];
        let s = selective(&mut items);
        close(s.ece, 0.4125);
        close(s.brier, 0.265625);
        close(s.aurc, 1.0 / 3.0);
        let acc: Vec<f64> = s.accuracy_at.iter().map(|c| c.value).collect();
        for (a, b) in acc.iter().zip([0.5, 2.0 / 3.0, 0.5, 0.5]) {
            close(*a, b);
        }
        assert_eq!(s.bins.len(), BINS);
        assert_eq!(s.bins[14].tokens, 1);
        assert_eq!(s.bins[13].tokens, 1);
        assert_eq!(s.bins[9].tokens, 1);
        assert_eq!(s.bins[4].tokens, 1);
        close(s.bins[13].confidence, 0.9);
        close(s.bins[13].accuracy, 0.0);
        // Risk at coverage 1 is the error rate of all tokens.
        close(s.risk_coverage.last().unwrap().value, 0.5);
    }

    /// Ties count by their expected errors: two tokens of confidence 1, one
    /// wrong. The top 1 has an expected risk of 1/2, not 0 or 1.
    /// AURC = (1/2 + 1/2) / 2 = 1/2.
    #[test]
    fn ties_count_by_expected_errors() {
        let mut a = vec![(1.0, true), (1.0, false)];
        let mut b = vec![(1.0, false), (1.0, true)];
        let (sa, sb) = (selective(&mut a), selective(&mut b));
        assert_eq!(sa, sb);
        close(sa.aurc, 0.5);
        close(sa.accuracy_at[0].value, 0.5);
        // Both in the top bin (1.0 is clamped into bin 14): ECE = |0.5 - 1|.
        close(sa.ece, 0.5);
    }

    /// A perfect ranking of a perfectly calibrated 0/1 confidence.
    #[test]
    fn perfect_confidence() {
        let mut items: Vec<(f64, bool)> = (0..10).map(|i| (f64::from(i < 7), i < 7)).collect();
        let s = selective(&mut items);
        close(s.ece, 0.0);
        close(s.brier, 0.0);
        close(s.accuracy_at[0].value, 1.0); // top 5 of 7 right
                                            // AURC = (1/10)·Σ_{i=8..10} (i-7)/i = (1/8 + 2/9 + 3/10) / 10.
        close(s.aurc, (1.0 / 8.0 + 2.0 / 9.0 + 3.0 / 10.0) / 10.0);
    }

    #[test]
    fn collector_measures_agreement_only_with_several_heads() {
        let mut one = Collector::new(1);
        one.add(0.9, 1, true);
        assert!(one.finish().unwrap().agreement.is_none());
        let mut ten = Collector::new(10);
        ten.add(0.9, 10, true);
        ten.add(0.5, 4, false);
        let c = ten.finish().unwrap();
        let a = c.agreement.unwrap();
        // Agreement 1.0 (bin 14, right) and 0.4 (bin 6, wrong): ECE = (0 + 0.4) / 2.
        close(a.ece, 0.2);
        close(c.accuracy, 0.5);
        assert!(Collector::new(3).finish().is_none());
    }
}
