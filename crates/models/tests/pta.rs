//! Pseudo-Task Augmentation: model selection, the decoder policies, and PTA
//! with every policy off being exactly Q-MTL.

mod common;

use common::{run, sizes, small, toy};
use corpus::Vocab;
use models::pta::{best_head, decoder_update, Inference, PtaConfig, DROPOUT_BOUNDS};
use models::seed::{self, Stream};
use models::{evaluate, Combine, Metric, Mode, Model, ModelFile, Tagger, TrainConfig};

fn pta_cfg(p: PtaConfig, mlp: usize) -> TrainConfig {
    let mut cfg = small(Mode::Pta, 4, 2);
    cfg.tagger.mlp = mlp;
    cfg.pta = Some(p);
    cfg
}

fn head_values(t: &Tagger, j: usize) -> Vec<Vec<f32>> {
    let h = t.heads[j];
    let (v, bv) = h.hidden.unzip();
    [v, bv, Some(h.w), Some(h.bw)]
        .into_iter()
        .flatten()
        .map(|id| t.params.get(id).value.clone())
        .collect()
}

fn fresh(mlp: usize) -> Tagger {
    let vocab = Vocab::build(&toy(20, 0));
    let cfg = pta_cfg(PtaConfig::default(), mlp);
    single(cfg.init(sizes(&vocab)).model)
}

fn single(m: Model) -> Tagger {
    match m {
        Model::Single(t) => t,
        Model::Ensemble(_) => panic!("PTA trains one tagger"),
    }
}

#[test]
fn best_head_breaks_ties_to_the_lowest_index() {
    assert_eq!(best_head(&[0.5, 0.9, 0.9, 0.1]), 1);
    assert_eq!(best_head(&[0.7, 0.7]), 0);
    assert_eq!(best_head(&[0.1, 0.2, 0.3]), 2);
}

#[test]
fn model_selection_uses_the_best_dev_head() {
    let cfg = pta_cfg(
        PtaConfig {
            inference: Inference::Ms,
            ..PtaConfig::default()
        },
        0,
    );
    let (state, reports, vocab) = run(&cfg, 1);
    let last = &reports.last().unwrap().dev;
    let stored = cfg.combine(&reports);
    let Combine::Select(sel) = stored else {
        panic!("MS selects a head")
    };
    assert_eq!(sel, best_head(&last.heads));
    let model = &state.model;
    // The model now predicts with that head alone: its score is that head's score.
    let dev = toy(20, 3);
    let enc: Vec<_> = dev.iter().map(|s| vocab.encode(s)).collect();
    let s = evaluate(model, stored, &vocab, &dev, &enc, Metric::Accuracy);
    assert_eq!(s.avg, s.heads[sel]);
    assert_eq!(s.heads, last.heads);
    // The combination is the caller's: Select(j) scores exactly head j, and
    // Average is the average whatever head the model stores.
    for j in 0..s.heads.len() {
        let sj = evaluate(
            model,
            Combine::Select(j),
            &vocab,
            &dev,
            &enc,
            Metric::Accuracy,
        );
        assert_eq!(sj.avg, s.heads[j]);
        assert_eq!(sj.heads, s.heads);
    }
    // The model file remembers the selection, and the dropout rates where
    // training left them; loading gives them back.
    let file = ModelFile::new(cfg.clone(), vocab.clone(), state.clone(), stored);
    let back = ModelFile::from_bytes(&file.to_bytes(), std::path::Path::new("m")).unwrap();
    assert_eq!(back.combine, Combine::Select(sel));
    assert_eq!(back.head_dropout, state.head_dropout);
    assert!(matches!(back.model, Model::Single(_)));
    assert_eq!(back.to_bytes(), file.to_bytes());
    let unselected = ModelFile::new(cfg.clone(), vocab.clone(), state, Combine::Average);
    let back = ModelFile::from_bytes(&unselected.to_bytes(), std::path::Path::new("m")).unwrap();
    assert_eq!(back.combine, Combine::Average);
}

#[test]
fn ma_and_other_modes_predict_by_the_average() {
    let ma = pta_cfg(
        PtaConfig {
            inference: Inference::Ma,
            ..PtaConfig::default()
        },
        0,
    );
    let (_, reports, _) = run(&ma, 1);
    assert_eq!(ma.combine(&reports), Combine::Average);
    let qmtl = common::small(Mode::Qmtl, 2, 1);
    assert_eq!(qmtl.combine(&reports), Combine::Average);
    let ms = pta_cfg(PtaConfig::default(), 0);
    assert_eq!(ms.combine(&[]), Combine::Average, "no epoch, no selection");
}

#[test]
fn greedy_copies_the_best_head_everywhere() {
    for mlp in [0, 20] {
        let mut t = fresh(mlp);
        let mut rates = vec![0.0, 0.1, 0.2, 0.3];
        assert_ne!(head_values(&t, 0), head_values(&t, 2));
        let p = PtaConfig {
            greedy: true,
            updates_per_epoch: 1,
            ..PtaConfig::default()
        };
        let best = decoder_update(
            &mut t,
            &mut rates,
            &p,
            &[0.1, 0.3, 0.9, 0.2],
            &mut seed::rng(1, Stream::Pta(0)),
        );
        assert_eq!(best, 2);
        for j in 0..4 {
            assert_eq!(
                head_values(&t, j),
                head_values(&t, 2),
                "mlp {mlp}: head {j} is not a copy"
            );
        }
        assert_eq!(rates, vec![0.2; 4]);
    }
}

#[test]
fn perturbation_moves_only_the_non_best_heads_weights() {
    let mut t = fresh(20);
    let before: Vec<_> = (0..4).map(|j| head_values(&t, j)).collect();
    let p = PtaConfig {
        perturb: 0.01,
        updates_per_epoch: 1,
        ..PtaConfig::default()
    };
    decoder_update(
        &mut t,
        &mut [0.0; 4],
        &p,
        &[0.2, 0.8, 0.1, 0.5],
        &mut seed::rng(1, Stream::Pta(0)),
    );
    for (j, before) in before.iter().enumerate() {
        let after = head_values(&t, j);
        // [V, bV, W, bW]: weights move, biases do not.
        if j == 1 {
            assert_eq!(&after, before, "the best head must not move");
        } else {
            assert_ne!(after[0], before[0], "V of head {j}");
            assert_ne!(after[2], before[2], "W of head {j}");
            assert_eq!(after[1], before[1], "bV of head {j}");
            assert_eq!(after[3], before[3], "bW of head {j}");
            let moved: f32 = after[2]
                .iter()
                .zip(&before[2])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(moved < 0.1, "noise of sd 0.01 moved a weight by {moved}");
        }
    }
}

#[test]
fn hyper_perturbation_moves_non_best_dropout_rates_within_bounds() {
    let mut t = fresh(0);
    let mut rates = vec![0.1; 4];
    let p = PtaConfig {
        hyper_perturb: 0.3,
        updates_per_epoch: 1,
        ..PtaConfig::default()
    };
    let mut rng = seed::rng(3, Stream::Pta(0));
    for _ in 0..20 {
        decoder_update(&mut t, &mut rates, &p, &[0.9, 0.1, 0.2, 0.3], &mut rng);
        assert_eq!(rates[0], 0.1, "the best head keeps its rate");
        assert!(
            rates
                .iter()
                .all(|d| (DROPOUT_BOUNDS.0..=DROPOUT_BOUNDS.1).contains(d)),
            "{rates:?}"
        );
    }
    assert!(rates[1..].iter().any(|&d| d != 0.1));
}

#[test]
fn dec_init_starts_every_head_alike() {
    let vocab = Vocab::build(&toy(20, 0));
    let cfg = pta_cfg(
        PtaConfig {
            dec_init: true,
            ..PtaConfig::default()
        },
        20,
    );
    let t = single(cfg.init(sizes(&vocab)).model);
    for j in 1..4 {
        assert_eq!(head_values(&t, j), head_values(&t, 0));
    }
}

#[test]
fn pta_with_every_policy_off_and_averaging_is_qmtl() {
    let pta = pta_cfg(
        PtaConfig {
            inference: Inference::Ma,
            ..PtaConfig::default()
        },
        20,
    );
    let qmtl = TrainConfig {
        mode: Mode::Qmtl,
        pta: None,
        ..pta.clone()
    };
    let (pm, pr, _) = run(&pta, 1);
    let (qm, qr, _) = run(&qmtl, 1);
    let dev =
        |r: &[models::train::EpochReport]| r.iter().map(|e| e.dev.clone()).collect::<Vec<_>>();
    assert_eq!(dev(&pr), dev(&qr), "per-epoch scores differ");
    let (pm, qm) = (single(pm.model), single(qm.model));
    for ((_, a), (_, b)) in pm.params.iter().zip(qm.params.iter()) {
        assert_eq!(a.value, b.value, "{} differs", a.name);
    }
    assert_eq!(pta.combine(&pr), Combine::Average);
}

#[test]
fn decoder_updates_happen_on_schedule_and_are_recorded() {
    let p = PtaConfig {
        greedy: true,
        perturb: 0.001,
        updates_per_epoch: 3,
        ..PtaConfig::default()
    };
    let cfg = pta_cfg(p, 0);
    let (_, reports, _) = run(&cfg, 1);
    for r in &reports {
        assert_eq!(r.decoder_updates.len(), 3, "epoch {}", r.epoch);
        for u in &r.decoder_updates {
            assert_eq!(u.epoch, r.epoch);
            assert_eq!(u.dev.len(), 4);
            assert_eq!(u.best_head, best_head(&u.dev));
        }
        // 60 training sentences, every ceil(60 / 3) = 20.
        let at: Vec<usize> = r
            .decoder_updates
            .iter()
            .map(|u| u.after_sentences)
            .collect();
        assert_eq!(at, vec![20, 40, 60]);
    }
}

#[test]
fn policies_without_updates_are_refused() {
    let p = PtaConfig {
        greedy: true,
        ..PtaConfig::default()
    };
    assert!(p
        .validate()
        .unwrap_err()
        .contains("--pta-updates-per-epoch"));
    assert!(PtaConfig {
        perturb: -1.0,
        updates_per_epoch: 1,
        ..PtaConfig::default()
    }
    .validate()
    .is_err());
    assert!(PtaConfig::default().validate().is_ok());
}
