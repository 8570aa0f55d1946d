//! Training on a toy language: it learns, it is deterministic whatever the
//! number of threads, ensemble members train exactly like STL models alone,
//! and model files round-trip and reject damage.

mod common;

use common::{run, sizes, small, toy};
use corpus::Vocab;
use models::train::{epoch_order, TrainData};
use models::{
    evaluate, train, Combine, Metric, Mode, Model, ModelFile, ModelFileError, Silent, Tagger,
    TaggerConfig, TrainConfig, TrainState,
};

fn bytes(cfg: &TrainConfig, state: TrainState, vocab: Vocab) -> Vec<u8> {
    ModelFile::new(cfg.clone(), vocab, state, Combine::Average).to_bytes()
}

#[test]
fn qmtl_learns_the_toy_language() {
    let cfg = small(Mode::Qmtl, 3, 6);
    let (_, reports, _) = run(&cfg, 1);
    let first = reports.first().unwrap().dev.avg;
    let last = reports.last().unwrap().dev.avg;
    assert_eq!(reports.len(), 6);
    assert_eq!(reports[0].dev.heads.len(), 3);
    // 4 tags, the majority tag is ~30%: a model that learned nothing stays there.
    assert!(
        last > 0.8,
        "dev accuracy after 6 epochs: {last} (first epoch {first})"
    );
}

#[test]
fn same_seed_same_bytes_whatever_the_threads() {
    for mode in [Mode::Qmtl, Mode::Ensemble] {
        let cfg = small(mode, 2, 2);
        let (m1, r1, v1) = run(&cfg, 1);
        let (m2, r2, v2) = run(&cfg, 2);
        assert_eq!(
            bytes(&cfg, m1, v1),
            bytes(&cfg, m2, v2),
            "{mode:?}: model bytes differ between 1 and 2 threads"
        );
        let scores =
            |r: &[models::train::EpochReport]| r.iter().map(|e| e.dev.clone()).collect::<Vec<_>>();
        assert_eq!(scores(&r1), scores(&r2));
    }
}

#[test]
fn ensemble_member_j_is_stl_j_trained_alone() {
    let cfg = small(Mode::Ensemble, 3, 2);
    let (state, _, vocab) = run(&cfg, 2);
    let Model::Ensemble(members) = &state.model else {
        panic!("an ensemble is a Model::Ensemble")
    };
    let (tr, dev) = (toy(60, 0), toy(20, 3));
    let data = TrainData::new(&vocab, &tr, &dev, Metric::Accuracy);
    let stl_cfg = TaggerConfig {
        heads: 1,
        ..cfg.tagger.clone()
    };
    let mut alone = TrainState {
        model: Model::Single(Tagger::with_heads(&stl_cfg, sizes(&vocab), cfg.seed, &[2])),
        head_dropout: vec![0.0],
    };
    train(&cfg, &mut alone, &data, &Silent).unwrap();
    let alone = &alone.model.taggers()[0];
    for ((_, a), (_, b)) in members[2].params.iter().zip(alone.params.iter()) {
        assert_eq!(a.value, b.value, "{} differs", a.name);
    }
    // ...and the members are not copies of each other.
    assert_ne!(
        members[0].params.get(members[0].heads[0].w).value,
        members[2].params.get(members[2].heads[0].w).value
    );
}

#[test]
fn shuffling_depends_on_seed_and_epoch_only() {
    let a = epoch_order(5, 0, 100);
    assert_eq!(a, epoch_order(5, 0, 100));
    assert_ne!(a, epoch_order(5, 1, 100), "every epoch reshuffles");
    assert_ne!(a, epoch_order(6, 0, 100));
    let mut sorted = a.clone();
    sorted.sort();
    assert_eq!(sorted, (0..100).collect::<Vec<_>>());
}

#[test]
fn evaluation_scores_heads_and_average() {
    let cfg = small(Mode::Qmtl, 2, 1);
    let (state, reports, vocab) = run(&cfg, 1);
    let dev = toy(20, 3);
    let enc: Vec<_> = dev.iter().map(|s| vocab.encode(s)).collect();
    let s = evaluate(
        &state.model,
        Combine::Average,
        &vocab,
        &dev,
        &enc,
        Metric::Accuracy,
    );
    assert_eq!(
        s, reports[0].dev,
        "evaluating the final model repeats the last epoch's dev scores"
    );
}

mod model_file {
    use super::*;
    use std::path::Path;

    fn model() -> ModelFile {
        let cfg = small(Mode::Qmtl, 2, 1);
        let (state, _, vocab) = run(&cfg, 1);
        ModelFile::new(cfg, vocab, state, Combine::Average)
    }

    #[test]
    fn round_trip_is_exact() {
        let m = model();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.qmtl");
        m.save(&path).unwrap();
        let back = ModelFile::load(&path).unwrap();
        assert_eq!(back.to_bytes(), m.to_bytes());
        assert_eq!(back.config, m.config);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file left behind: {names:?}");
    }

    #[test]
    fn damage_is_reported_not_loaded() {
        let bytes = model().to_bytes();
        let p = Path::new("m.qmtl");
        let err = |b: &[u8]| ModelFile::from_bytes(b, p).unwrap_err();
        assert!(matches!(
            err(&bytes[..bytes.len() - 10]),
            ModelFileError::Truncated { .. }
        ));
        assert!(matches!(err(&bytes[..5]), ModelFileError::NotAModel { .. }));
        assert!(matches!(
            err(&bytes[..20]),
            ModelFileError::Truncated { .. }
        ));
        assert!(matches!(
            err(b"hello world, not a model"),
            ModelFileError::NotAModel { .. }
        ));
        let mut flipped = bytes.clone();
        let last = flipped.len() - 3;
        flipped[last] ^= 0x40;
        let e = err(&flipped);
        assert!(matches!(e, ModelFileError::Corrupt { .. }), "{e}");
        assert!(
            e.to_string().contains("m.qmtl"),
            "errors name the file: {e}"
        );
    }

    #[test]
    fn a_consistent_checksum_on_an_inconsistent_model_is_refused() {
        // Written with fresh checksums, so only the consistency check stands
        // between these files and a panic in the engine.
        let refused = |edit: &dyn Fn(&mut ModelFile), says: &str| {
            let mut m = model();
            edit(&mut m);
            let e = ModelFile::from_bytes(&m.to_bytes(), Path::new("m.qmtl")).unwrap_err();
            assert!(
                matches!(e, ModelFileError::Corrupt { .. }) && e.to_string().contains(says),
                "{says}: {e}"
            );
        };
        refused(&|m| m.config.heads = 3, "2 heads, the configuration says 3");
        refused(&|m| m.combine = Combine::Select(5), "selected head 5 of 2");
        refused(
            &|m| {
                let e = corpus::Embeddings::parse(&b"zzz 1 2 3 4 5 6 7 8\n"[..], Path::new("e"));
                m.vocab.add_embedding_words(&e.unwrap());
            },
            "the vocabularies have",
        );
        refused(
            &|m| {
                let t = &mut m.model.taggers_mut()[0];
                let w = t.heads[1].w;
                t.params.get_mut(w).value.pop();
            },
            "a head's W",
        );
        refused(
            &|m| {
                let t = &mut m.model.taggers_mut()[0];
                t.word_fwd.wh = autograd::ParamId(9999);
            },
            "word LSTM: parameter 9999",
        );
        refused(
            &|m| {
                let t = &mut m.model.taggers_mut()[0];
                let e = t.word_emb;
                t.params.get_mut(e).kind = autograd::ParamKind::Dense;
            },
            "is stored as Dense",
        );
        // STL has one head whatever `heads` says: such a file is read.
        let cfg = TrainConfig {
            heads: 10,
            ..small(Mode::Stl, 1, 1)
        };
        let (state, _, vocab) = run(&cfg, 1);
        let m = ModelFile::new(cfg, vocab, state, Combine::Average);
        ModelFile::from_bytes(&m.to_bytes(), Path::new("m.qmtl")).unwrap();
    }

    /// Where `key` first occurs in `bytes`.
    fn find(bytes: &[u8], key: &[u8]) -> usize {
        bytes
            .windows(key.len())
            .position(|w| w == key)
            .expect("key in the file")
    }

    #[test]
    fn a_flipped_byte_in_the_header_is_caught() {
        // Issue 12: the header (configuration, vocabularies, tag names) decides
        // every output, so the checksum covers it. Flip a byte of a tag name (the
        // JSON stays valid) and of the configuration.
        let m = model();
        let bytes = m.to_bytes();
        let tag = m.vocab.tags.name(0).to_string();
        let key = format!("\"{tag}\"");
        for at in [
            find(&bytes, key.as_bytes()) + 1,
            find(&bytes, b"\"seed\":") + "\"seed\":".len(),
        ] {
            let mut b = bytes.clone();
            b[at] ^= 0x01;
            let e = ModelFile::from_bytes(&b, Path::new("m.qmtl")).unwrap_err();
            assert!(
                matches!(e, ModelFileError::Corrupt { .. }) && e.to_string().contains("checksum"),
                "{e}"
            );
        }
    }

    #[test]
    fn format_1_files_are_still_read() {
        // A format-1 file, built by hand: the format-2 layout without its
        // trailing whole-file SHA-256, with version 1 in the header.
        let m = model();
        let mut b = m.to_bytes();
        b.truncate(b.len() - 32);
        let at = find(&b, b"\"format_version\":2") + "\"format_version\":".len();
        b[at] = b'1';
        let back = ModelFile::from_bytes(&b, Path::new("v1.qmtl")).unwrap();
        assert_eq!(back.to_bytes(), m.to_bytes());
        // In format 1 only the body was checked: damage there is still caught.
        let last = b.len() - 3;
        b[last] ^= 0x40;
        assert!(ModelFile::from_bytes(&b, Path::new("v1.qmtl")).is_err());
    }

    #[test]
    fn a_planted_link_is_not_followed_and_no_temporary_file_stays() {
        // Issue 12: the writer used `.NAME.tmp-PID`, created with truncation,
        // which followed a link planted under that name. Plant one there (and
        // for the next few pids); the victim must keep its bytes. The writer
        // now picks an unpredictable name and creates it exclusively
        // (`corpus::whole_file`), so this guards against a return to a
        // guessable name; it cannot plant under the random one.
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let pid = std::process::id();
        for p in pid..pid + 4 {
            std::os::unix::fs::symlink(&victim, dir.path().join(format!(".model.qmtl.tmp-{p}")))
                .unwrap();
        }
        let path = dir.path().join("model.qmtl");
        model().save(&path).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert!(ModelFile::load(&path).is_ok());
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn a_damaged_checkpoint_header_is_caught() {
        let m = model();
        let c = models::Checkpoint {
            fingerprint: "abc".into(),
            reports: Vec::new(),
            model: m,
        };
        let bytes = c.to_bytes();
        let back = models::Checkpoint::from_bytes(&bytes, Path::new("c")).unwrap();
        assert_eq!(back.fingerprint, "abc");
        let mut b = bytes.clone();
        b[find(&bytes, b"abc")] = b'x';
        let e = models::Checkpoint::from_bytes(&b, Path::new("c")).unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
    }

    #[test]
    fn newer_format_is_refused_with_its_version() {
        let bytes = model().to_bytes();
        let key = format!("\"format_version\":{}", models::model_file::FORMAT_VERSION);
        let key = key.as_bytes();
        let at = bytes
            .windows(key.len())
            .position(|w| w == key)
            .expect("version in header");
        let mut b = bytes.clone();
        b[at + "\"format_version\":".len()] = b'7';
        let e = ModelFile::from_bytes(&b, Path::new("new.qmtl")).unwrap_err();
        assert!(
            matches!(e, ModelFileError::NewerVersion { found: 7, .. }),
            "{e}"
        );
    }
}

#[test]
fn pretrained_vectors_fill_the_rows_they_cover() {
    let train = toy(10, 0);
    let mut text = String::new();
    // One word of the training data, one unseen word; 8 dimensions like `small`.
    let seen = train[0].words[0].clone();
    for (w, base) in [(seen.as_str(), 1.0), ("unseenword", 2.0)] {
        let v: Vec<String> = (0..8)
            .map(|i| format!("{}", base + i as f64 * 0.5))
            .collect();
        text.push_str(&format!("{w} {}\n", v.join(" ")));
    }
    let emb = corpus::Embeddings::parse(text.as_bytes(), std::path::Path::new("e.txt")).unwrap();
    let mut vocab = Vocab::build(&train);
    assert_eq!(
        vocab.add_embedding_words(&emb),
        1,
        "the unseen word joins the index"
    );
    let cfg = small(Mode::Qmtl, 2, 1);
    let mut state = cfg.init(sizes(&vocab));
    let covered = models::train::load_embeddings(&mut state.model, &vocab, &emb).unwrap();
    assert_eq!(covered, 2);
    let m = &state.model.taggers()[0];
    let table = &m.params.get(m.word_emb).value;
    let row = |w: &str| {
        let id = vocab.word_id(w);
        table[id * 8..(id + 1) * 8].to_vec()
    };
    assert_eq!(
        row(&seen),
        (0..8).map(|i| 1.0 + i as f32 * 0.5).collect::<Vec<_>>()
    );
    assert_eq!(
        row("unseenword"),
        (0..8).map(|i| 2.0 + i as f32 * 0.5).collect::<Vec<_>>()
    );
    assert!(
        row(&train[0].words[1]).iter().all(|&v| v == 0.01),
        "uncovered rows keep the constant"
    );
    // A dimension mismatch is a clear error.
    let mut wide = small(Mode::Qmtl, 2, 1);
    wide.tagger.word_dim = 9;
    let mut m = wide.init(sizes(&vocab)).model;
    let e = models::train::load_embeddings(&mut m, &vocab, &emb).unwrap_err();
    assert!(e.to_string().contains("8-dimensional"), "{e}");
}

#[test]
fn a_sentence_longer_than_the_window_is_tagged_window_by_window() {
    // Issue 12: a megabyte line became one sequence and one huge allocation.
    // Beyond MAX_SEQUENCE tokens, each window is tagged as its own sentence.
    use models::eval::MAX_SEQUENCE;
    let cfg = small(Mode::Qmtl, 2, 1);
    let (state, _, vocab) = run(&cfg, 1);
    let predict = |tape: &mut _, x: &_| models::predict(&state.model, Combine::Average, tape, x);
    let n = 2 * MAX_SEQUENCE + 5;
    let pool = toy(50, 3);
    let (mut words, mut tags) = (Vec::new(), Vec::new());
    for s in pool.iter().cycle() {
        if words.len() >= n {
            break;
        }
        words.extend(s.words.iter().cloned());
        tags.extend(s.tags.iter().cloned());
    }
    words.truncate(n);
    tags.truncate(n);
    let long = corpus::Sentence::new(words.clone(), tags.clone());
    let mut tape = autograd::Tape::new();
    let enc = |s: &corpus::Sentence| vocab.encode(s);
    let whole = predict(&mut tape, &enc(&long));
    assert_eq!(whole.tags.len(), n);
    let mut parts = Vec::new();
    for start in (0..n).step_by(MAX_SEQUENCE) {
        let end = (start + MAX_SEQUENCE).min(n);
        let s = corpus::Sentence::new(words[start..end].to_vec(), tags[start..end].to_vec());
        let p = predict(&mut tape, &enc(&s));
        parts.extend(p.tags);
    }
    assert_eq!(whole.tags, parts);
    // A sentence within the window is read whole, as before.
    let short = &pool[0];
    let p = predict(&mut tape, &enc(short));
    assert_eq!(p.tags.len(), short.len());
}

#[test]
fn a_sentence_longer_than_the_window_is_trained_on_as_its_windows() {
    // Issue 12: one tape for a whole 20,000-token sentence took 610 MB; training
    // now reads it in windows of MAX_SEQUENCE tokens, as inference does.
    use models::eval::MAX_SEQUENCE;
    let pool = toy(50, 3);
    let n = 2 * MAX_SEQUENCE + 5;
    let (words, tags): (Vec<String>, Vec<String>) = pool
        .iter()
        .cycle()
        .flat_map(|s| s.words.iter().cloned().zip(s.tags.iter().cloned()))
        .take(n)
        .unzip();
    let long = corpus::Sentence::new(words, tags);
    let train = [pool[1].clone(), long.clone(), pool[2].clone()];
    let vocab = Vocab::build(&train);
    let data = TrainData::new(&vocab, &train, &pool[..1], Metric::Accuracy);
    let lens: Vec<usize> = data.train.iter().map(|x| x.len()).collect();
    assert_eq!(
        lens,
        [pool[1].len(), MAX_SEQUENCE, MAX_SEQUENCE, 5, pool[2].len()]
    );
    let windows: Vec<usize> = data.train[1..4]
        .iter()
        .flat_map(|x| x.words.iter().copied())
        .collect();
    assert_eq!(windows, vocab.encode(&long).words);
}

#[test]
fn each_training_window_knows_the_line_of_its_first_token() {
    // Errors name a training sequence by the line it starts on; a long
    // sentence's later windows start mid-sentence.
    use models::eval::MAX_SEQUENCE;
    let n = MAX_SEQUENCE + 3;
    let mut long = corpus::Sentence::new(vec!["w".into(); n], vec!["T".into(); n]);
    long.lines = (100..100 + n).collect();
    let mut short = corpus::Sentence::new(vec!["w".into(); 2], vec!["T".into(); 2]);
    short.lines = vec![7, 8];
    let code = corpus::Sentence::new(vec!["w".into()], vec!["T".into()]);
    let train = [short.clone(), long, code, short];
    let vocab = Vocab::build(&train);
    let data = TrainData::new(&vocab, &train, &train[..1], Metric::Accuracy);
    assert_eq!(data.train.len(), 5);
    assert_eq!(
        data.lines,
        [Some(7), Some(100), Some(100 + MAX_SEQUENCE), None, Some(7)]
    );
}

#[test]
fn the_parameter_count_is_what_init_allocates() {
    // TrainConfig::parameters guards memory before anything is allocated: it
    // must count exactly what init makes, for every mode and cell.
    use models::LstmKind;
    let sizes = models::config::Sizes {
        words: 37,
        chars: 11,
        tags: 5,
    };
    for (mode, k, mlp, lstm) in [
        (Mode::Stl, 1, 20, LstmKind::Coupled),
        (Mode::Qmtl, 4, 20, LstmKind::Coupled),
        (Mode::Qmtl, 3, 0, LstmKind::Standard),
        (Mode::Ensemble, 3, 7, LstmKind::Standard),
        (Mode::Pta, 2, 0, LstmKind::Coupled),
    ] {
        let mut cfg = small(mode, k, 1);
        cfg.tagger.mlp = mlp;
        cfg.tagger.lstm = lstm;
        let state = cfg.init(sizes);
        let allocated: usize = state
            .model
            .taggers()
            .iter()
            .flat_map(|t| t.params.iter().map(|(_, p)| p.value.len()))
            .sum();
        assert_eq!(
            cfg.parameters(sizes),
            allocated as u64,
            "{mode:?} k={k} mlp={mlp} {lstm:?}"
        );
    }
}
