//! A toy tagging language and small configurations shared by the training tests.

#![allow(dead_code)]

use corpus::{Sentence, Vocab};
use models::config::Sizes;
use models::train::{EpochReport, TrainData};
use models::{train, Metric, Mode, Silent, TaggerConfig, TrainConfig, TrainState};

/// Tag = a function of the word's last letter (and of the previous word for
/// one tag), so the character LSTM and the word BiLSTM both matter.
pub fn toy(n: usize, offset: usize) -> Vec<Sentence> {
    let stems = ["ka", "lo", "mi", "nu", "pe", "ra", "so", "ti"];
    let ends = ["x", "y", "z", "q"];
    (0..n)
        .map(|s| {
            let len = 3 + (s * 7 + offset) % 5;
            let mut pairs = Vec::new();
            for i in 0..len {
                let k = s * 13 + i * 5 + offset;
                let w = format!("{}{}", stems[k % 8], ends[(k / 8) % 4]);
                let tag = match (k / 8) % 4 {
                    0 => "NOUN",
                    1 => "VERB",
                    2 if i > 0 => "ADJ",
                    _ => "ADV",
                };
                pairs.push((w, tag.to_string()));
            }
            Sentence::new(
                pairs.iter().map(|p| p.0.clone()).collect(),
                pairs.iter().map(|p| p.1.clone()).collect(),
            )
        })
        .collect()
}

pub fn small(mode: Mode, heads: usize, epochs: usize) -> TrainConfig {
    TrainConfig {
        mode,
        heads,
        epochs,
        seed: 7,
        tagger: TaggerConfig {
            word_dim: 8,
            char_dim: 6,
            char_hidden: 6,
            word_hidden: 8,
            mlp: 5,
            ..TaggerConfig::default()
        },
        ..TrainConfig::default()
    }
}

pub fn sizes(v: &Vocab) -> Sizes {
    Sizes {
        words: v.words.len(),
        chars: v.chars.len(),
        tags: v.tags.len(),
    }
}

pub fn run(cfg: &TrainConfig, threads: usize) -> (TrainState, Vec<EpochReport>, Vocab) {
    let (tr, dev) = (toy(60, 0), toy(20, 3));
    let vocab = Vocab::build(&tr);
    let data = TrainData::new(&vocab, &tr, &dev, Metric::Accuracy);
    let mut state = cfg.init(sizes(&vocab));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let reports = pool
        .install(|| train(cfg, &mut state, &data, &Silent))
        .unwrap();
    (state, reports, vocab)
}
