//! Label noise, word dropout and the training fraction: the properties that matter.

use corpus::{train_fraction, train_fraction_len, LabelNoise, NoiseMode, WordDropout};

/// Gold labels of a synthetic training set: `sentences` sentences of 20 tokens.
fn gold(sentences: usize, n_tags: usize) -> Vec<Vec<usize>> {
    (0..sentences)
        .map(|s| (0..20).map(|i| (s * 7 + i * 3) % n_tags).collect())
        .collect()
}

fn corrupt(
    noise: &LabelNoise,
    epoch: usize,
    data: &[Vec<usize>],
    n_tags: usize,
) -> (Vec<Vec<usize>>, usize) {
    let mut redrawn = 0;
    let out = (data.iter().enumerate())
        .map(|(s, tags)| {
            let mut t = tags.clone();
            redrawn += noise.apply(epoch, s, &mut t, n_tags);
            t
        })
        .collect();
    (out, redrawn)
}

#[test]
fn noise_rate_is_p_and_changed_rate_is_p_times_one_minus_one_over_n() {
    let (n_tags, data) = (17, gold(5000, 17));
    let tokens = 5000.0 * 20.0;
    for p in [0.05, 0.2, 0.5] {
        let noise = LabelNoise::new(p, NoiseMode::PerEpoch, 7).unwrap();
        let (noisy, redrawn) = corrupt(&noise, 0, &data, n_tags);
        let changed = noisy
            .iter()
            .flatten()
            .zip(data.iter().flatten())
            .filter(|(a, b)| a != b)
            .count();
        // Binomial standard deviation is at most sqrt(0.25 / 1e5) = 0.0016; allow 4 sigma.
        assert!(
            (redrawn as f64 / tokens - p).abs() < 0.0064,
            "p={p}: {redrawn}"
        );
        let expected_changed = p * (1.0 - 1.0 / n_tags as f64);
        assert!(
            (changed as f64 / tokens - expected_changed).abs() < 0.0064,
            "p={p}: {changed}"
        );
    }
}

#[test]
fn replacement_labels_are_uniform_over_the_tag_set() {
    let n_tags = 5;
    let data = gold(5000, n_tags);
    let noise = LabelNoise::new(1.0, NoiseMode::Fixed, 3).unwrap();
    let (noisy, redrawn) = corrupt(&noise, 0, &data, n_tags);
    assert_eq!(redrawn, 100_000);
    let mut hist = [0usize; 5];
    noisy.iter().flatten().for_each(|&t| hist[t] += 1);
    for h in hist {
        assert!((h as f64 / 100_000.0 - 0.2).abs() < 0.006, "{hist:?}");
    }
}

#[test]
fn same_seed_same_corruption_whatever_the_visiting_order() {
    let (n_tags, data) = (9, gold(300, 9));
    let noise = LabelNoise::new(0.3, NoiseMode::PerEpoch, 42).unwrap();
    let (a, _) = corrupt(&noise, 4, &data, n_tags);
    let (b, _) = corrupt(
        &LabelNoise::new(0.3, NoiseMode::PerEpoch, 42).unwrap(),
        4,
        &data,
        n_tags,
    );
    assert_eq!(a, b);
    // Visiting sentences in reverse (a shuffled epoch) gives each one the same labels.
    for s in (0..data.len()).rev() {
        let mut t = data[s].clone();
        noise.apply(4, s, &mut t, n_tags);
        assert_eq!(t, a[s]);
    }
    let (c, _) = corrupt(
        &LabelNoise::new(0.3, NoiseMode::PerEpoch, 43).unwrap(),
        4,
        &data,
        n_tags,
    );
    assert_ne!(a, c, "another seed, other corruption");
}

#[test]
fn per_epoch_mode_differs_between_epochs_fixed_mode_does_not() {
    let (n_tags, data) = (9, gold(300, 9));
    let per_epoch = LabelNoise::new(0.3, NoiseMode::PerEpoch, 42).unwrap();
    let fixed = LabelNoise::new(0.3, NoiseMode::Fixed, 42).unwrap();
    assert_ne!(
        corrupt(&per_epoch, 0, &data, n_tags).0,
        corrupt(&per_epoch, 1, &data, n_tags).0
    );
    let f0 = corrupt(&fixed, 0, &data, n_tags).0;
    for epoch in 1..20 {
        assert_eq!(corrupt(&fixed, epoch, &data, n_tags).0, f0);
    }
    assert_ne!(f0, data);
}

#[test]
fn zero_noise_is_identity_and_bad_rates_are_errors() {
    let data = gold(50, 4);
    let noise = LabelNoise::new(0.0, NoiseMode::PerEpoch, 1).unwrap();
    assert_eq!(corrupt(&noise, 3, &data, 4), (data, 0));
    assert!(LabelNoise::new(1.5, NoiseMode::Fixed, 1).is_err());
    assert!(LabelNoise::new(f64::NAN, NoiseMode::Fixed, 1).is_err());
}

#[test]
fn word_dropout_rate_is_alpha_over_alpha_plus_count() {
    let dropout = WordDropout::new(0.25, 9).unwrap();
    // Word id c+1 has training count c (id 0 is UNK).
    let counts: Vec<u32> = (0..6).map(|id: u32| id.saturating_sub(1)).collect();
    for c in 1..=4u32 {
        let id = c as usize + 1;
        let mut dropped = 0;
        let n = 40_000;
        for s in 0..n / 20 {
            let mut words = vec![id; 20];
            dropped += dropout.apply(2, s, &mut words, &counts);
            assert!(words.iter().all(|&w| w == id || w == corpus::UNK));
        }
        let expected = 0.25 / (0.25 + c as f64);
        let sd = (expected * (1.0 - expected) / n as f64).sqrt();
        assert!(
            (dropped as f64 / n as f64 - expected).abs() < 4.0 * sd,
            "c={c}: {dropped}"
        );
    }
}

#[test]
fn word_dropout_is_deterministic_and_independent_of_label_noise() {
    let a = WordDropout::new(0.25, 5).unwrap();
    let pattern = |d: &WordDropout, epoch| -> Vec<bool> {
        (0..2000)
            .map(|t| d.drops(epoch, t / 20, t % 20, 1))
            .collect()
    };
    assert_eq!(
        pattern(&a, 0),
        pattern(&WordDropout::new(0.25, 5).unwrap(), 0)
    );
    assert_ne!(pattern(&a, 0), pattern(&a, 1), "a new draw every epoch");
    // Same seed as a label-noise run: the two decisions must not be the same coin.
    let noise = LabelNoise::new(0.2, NoiseMode::PerEpoch, 5).unwrap();
    let redraws: Vec<bool> = (0..2000)
        .map(|t| noise.redraws(0, t / 20, t % 20))
        .collect();
    assert_ne!(pattern(&a, 0), redraws);
    assert!(!WordDropout::new(0.0, 5).unwrap().drops(0, 0, 0, 0));
    assert!(WordDropout::new(-1.0, 5).is_err());
}

#[test]
fn training_fraction_is_the_first_f_of_the_sentences_at_least_one() {
    let v: Vec<usize> = (0..14041).collect();
    assert_eq!(train_fraction(&v, 0.1).unwrap(), &v[..1404]);
    assert_eq!(train_fraction(&v, 1.0).unwrap().len(), 14041);
    assert_eq!(train_fraction_len(5, 0.1).unwrap(), 1);
    assert_eq!(train_fraction_len(0, 0.5).unwrap(), 0);
    for bad in [0.0, -0.1, 1.01, f64::NAN] {
        assert!(train_fraction_len(10, bad).is_err(), "{bad}");
    }
}
