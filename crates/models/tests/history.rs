//! A training step depends only on the parameters and the sentence, not on
//! what the reused tape and gradient buffers held before: a [`TrainStep`]
//! reused over many sentences gives the same parameters, bit for bit, as a
//! fresh one per sentence. (This is also what makes a resumed run equal an
//! uninterrupted one.)

use corpus::{Sentence, Vocab};
use models::config::Sizes;
use models::{Mode, Tagger, TaggerConfig, TrainConfig, TrainStep};

/// Sentences of 1-25 tokens of 1-14 characters, with repeated spellings.
fn varied(n: usize) -> Vec<Sentence> {
    let letters: Vec<char> = "abcdefghijklmnopqrstuvwxyzαβγδ".chars().collect();
    let tags = ["NOUN", "VERB", "ADJ", "ADP", "PUNCT"];
    (0..n)
        .map(|s| {
            let len = 1 + (s * 11 + 3) % 25;
            let (mut words, mut ts) = (Vec::new(), Vec::new());
            for i in 0..len {
                let k = s * 31 + i * 17;
                let wl = 1 + (k * 7 + s) % 14;
                let w: String = (0..wl)
                    .map(|c| letters[(k + c * 5) % letters.len()])
                    .collect();
                let w = if i % 4 == 3 { "the".to_string() } else { w };
                words.push(w);
                ts.push(tags[(k / 3) % tags.len()].to_string());
            }
            Sentence::new(words, ts)
        })
        .collect()
}

fn trained(cfg: &TrainConfig, fresh_each_step: bool) -> Vec<u8> {
    let sents = varied(40);
    let vocab = Vocab::build(&sents);
    let sizes = Sizes {
        words: vocab.words.len(),
        chars: vocab.chars.len(),
        tags: vocab.tags.len(),
    };
    let mut state = cfg.init(sizes);
    let m: &mut Tagger = &mut state.model.taggers_mut()[0];
    let mut step = TrainStep::new(m, cfg.sgd);
    let mut rng = models::seed::rng(1, models::seed::Stream::Noise(0));
    // Short sentences after long ones, and the reverse, twice.
    let order: Vec<usize> = (0..40).chain((0..40).rev()).collect();
    for &i in &order {
        if fresh_each_step {
            step = TrainStep::new(m, cfg.sgd);
        }
        let x = vocab.encode(&sents[i]);
        step.step(m, &x, &state.head_dropout, &mut rng).unwrap();
    }
    bincode::serialize(&m.params).unwrap()
}

#[test]
fn a_step_does_not_depend_on_what_the_buffers_held() {
    for (mode, heads, mlp) in [(Mode::Stl, 1, 20), (Mode::Qmtl, 3, 20), (Mode::Qmtl, 2, 0)] {
        let cfg = TrainConfig {
            mode,
            heads,
            tagger: TaggerConfig {
                mlp,
                ..TaggerConfig::default()
            },
            ..TrainConfig::default()
        };
        assert!(
            trained(&cfg, false) == trained(&cfg, true),
            "{mode:?} k={heads} mlp={mlp}: a reused TrainStep gives other parameters than fresh ones"
        );
    }
}

/// Training 1 epoch, saving a checkpoint, loading it and training the second
/// gives the parameters of 2 epochs in one go.
#[test]
fn resuming_from_a_checkpoint_equals_training_through() {
    use models::train::TrainData;
    use models::{train, train_from, Checkpoint, Combine, Metric, ModelFile, Silent};
    let sents = varied(30);
    let vocab = Vocab::build(&sents);
    let data = TrainData::new(&vocab, &sents, &sents[..5], Metric::Accuracy);
    let sizes = Sizes {
        words: vocab.words.len(),
        chars: vocab.chars.len(),
        tags: vocab.tags.len(),
    };
    let cfg = TrainConfig {
        mode: Mode::Stl,
        heads: 1,
        epochs: 2,
        ..TrainConfig::default()
    };
    let mut whole = cfg.init(sizes);
    let rw = train(&cfg, &mut whole, &data, &Silent).unwrap();

    let mut cut = cfg.init(sizes);
    let mut saved = None;
    let _ = train_from(&cfg, &mut cut, &data, &Silent, Vec::new(), &mut |m, r| {
        if r.len() == 1 {
            let c = Checkpoint {
                fingerprint: "x".into(),
                reports: r.to_vec(),
                model: ModelFile::new(cfg.clone(), vocab.clone(), m.clone(), Combine::Average),
            };
            saved = Some(c.to_bytes());
            return Err("stop".into());
        }
        Ok(())
    });
    let c = Checkpoint::from_bytes(&saved.unwrap(), std::path::Path::new("c")).unwrap();
    let mut resumed = c.model.into_state();
    let rr = train_from(
        &cfg,
        &mut resumed,
        &data,
        &Silent,
        c.reports,
        &mut |_, _| Ok(()),
    )
    .unwrap();
    assert_eq!(
        rw.iter().map(|r| r.dev.clone()).collect::<Vec<_>>(),
        rr.iter().map(|r| r.dev.clone()).collect::<Vec<_>>()
    );
    assert!(
        ModelFile::new(cfg.clone(), vocab.clone(), whole, Combine::Average).to_bytes()
            == ModelFile::new(cfg.clone(), vocab.clone(), resumed, Combine::Average).to_bytes(),
        "the resumed parameters differ"
    );
}
