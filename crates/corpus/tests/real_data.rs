//! Checks on the real corpora in `../shared/data` (or `QMTL_DATA`): Table 1 of the
//! paper, checksums, reading speed, and conlleval counts frozen from conlleval.pl.
//! When the data is absent each test says "skipped: ..." on stderr (uncaptured, so
//! it shows in a normal `cargo test`) instead of passing silently.

use std::io::Write;
use std::time::Instant;

use corpus::registry::Check;
use corpus::{score_files, Corpus, DataRoots, Registry, Split, Stats};

/// The roots, or `None` after announcing the skip, when `names` are not all present.
fn roots_with(test: &str, names: &[&str]) -> Option<DataRoots> {
    let roots = DataRoots::discover(None);
    let r = Registry::builtin();
    if let Some(missing) = names
        .iter()
        .find(|n| r.get(n).unwrap().locate(&roots).is_err())
    {
        let why = format!("dataset `{missing}` data not found at {}", roots.describe());
        // CI sets QMTL_REQUIRE_DATA=1: there the data is present, and a skip
        // would hide a test that did not run.
        assert!(
            std::env::var_os("QMTL_REQUIRE_DATA").is_none(),
            "{test} cannot run and QMTL_REQUIRE_DATA is set: {why}"
        );
        let _ = writeln!(std::io::stderr(), "skipped: {test}: {why}");
        return None;
    }
    Some(roots)
}

#[test]
fn table_1_of_the_paper_on_the_five_local_treebanks() {
    let Some(roots) = roots_with("table 1", &["ta", "hu", "el", "tr", "en"]) else {
        return;
    };
    // Table 1 (sentences / distinct word forms / total words of the training sets)
    // is written once, in the registry (data/datasets.json); the files must give it.
    for name in ["ta", "hu", "el", "tr", "en"] {
        let ds = Registry::builtin().get(name).unwrap();
        let want = ds
            .table1
            .expect("the registry has Table 1 for every UD treebank");
        let train = ds.read(Split::Train, &roots).unwrap();
        assert_eq!(Stats::of(&train.sentences), want, "{name}");
    }
}

#[test]
fn every_present_file_matches_its_checksum() {
    let Some(roots) = roots_with("checksums", &["ta"]) else {
        return;
    };
    let mut checked = 0;
    for ds in &Registry::builtin().datasets {
        for f in ds.status(&roots).unwrap() {
            if let Some(check) = f.check {
                let expected = if ds.file(f.split).sha256.is_some() {
                    Check::Verified
                } else {
                    Check::Table1Match
                };
                assert_eq!(check, expected, "{} {:?}", ds.name, f.split);
                checked += 1;
            }
        }
    }
    assert!(checked >= 3);
}

#[test]
fn reading_every_corpus_reports_its_time() {
    let Some(roots) = roots_with("read all", &["ta"]) else {
        return;
    };
    let start = Instant::now();
    let mut tokens = 0;
    let mut files = 0;
    for ds in &Registry::builtin().datasets {
        if ds.locate(&roots).is_err() {
            continue;
        }
        for split in Split::ALL {
            let n = ds.read(split, &roots).unwrap().tokens();
            assert!(n > 0, "{} {split:?}: no tokens read", ds.name);
            tokens += n;
            files += 1;
        }
    }
    // ta is required above, so at least its three splits were read.
    assert!(files >= 3, "only {files} corpus files read");
    // The time is reported, not asserted: wall-clock limits make flaky tests.
    let _ = writeln!(
        std::io::stderr(),
        "read {files} corpus files, {tokens} tokens, in {:.3} s",
        start.elapsed().as_secs_f64()
    );
}

fn read(roots: &DataRoots, name: &str) -> Corpus {
    Registry::builtin()
        .get(name)
        .unwrap()
        .read(Split::Dev, roots)
        .unwrap()
}

/// The prediction kinds of the cross-check (same formulas as in the script that
/// produced the frozen numbers): `shift` moves every tag one token to the right
/// within its sentence, `inside` turns every B- into I-, `formula` sets the k-th
/// token of the file (from 0) to B-MISC when k % 7 == 3, else to O when k % 11 == 5.
fn perturb(gold: &Corpus, kind: &str) -> Corpus {
    let mut pred = gold.clone();
    let mut k = 0;
    for s in &mut pred.sentences {
        let tags = s.tags.clone();
        for (i, t) in s.tags.iter_mut().enumerate() {
            *t = match kind {
                "shift" if i == 0 => "O".into(),
                "shift" => tags[i - 1].clone(),
                "inside" => t
                    .strip_prefix("B-")
                    .map_or(t.clone(), |ty| format!("I-{ty}")),
                _ if k % 7 == 3 => "B-MISC".into(),
                _ if k % 11 == 5 => "O".into(),
                _ => t.clone(),
            };
            k += 1;
        }
    }
    pred
}

/// (gold phrases, found phrases, correct) as printed by conlleval.pl (2004-01-26)
/// on `word gold pred` files built from the dev sets by the same formulas
/// (`-DOCSTART-` lines left out), run once by hand when this test was written.
#[test]
fn conlleval_counts_on_the_ner_dev_sets_equal_conlleval_pl() {
    let Some(roots) = roots_with("conlleval on dev", &["en-ner", "es-ner", "nl-ner"]) else {
        return;
    };
    let frozen = [
        ("en-ner", "gold", (5942, 5942, 5942)),
        ("en-ner", "shift", (5942, 5878, 2)),
        ("en-ner", "inside", (5942, 5938, 5934)),
        ("en-ner", "formula", (5942, 12324, 4169)),
        ("es-ner", "gold", (4352, 4352, 4352)),
        ("es-ner", "shift", (4352, 4351, 9)),
        ("es-ner", "inside", (4352, 4324, 4296)),
        ("es-ner", "formula", (4352, 11474, 2881)),
        ("nl-ner", "gold", (2616, 2616, 2616)),
        ("nl-ner", "shift", (2616, 2508, 12)),
        ("nl-ner", "inside", (2616, 2598, 2580)),
        ("nl-ner", "formula", (2616, 7598, 1932)),
    ];
    for (name, kind, (gold_n, found, correct)) in frozen {
        let gold = read(&roots, name);
        let pred = if kind == "gold" {
            gold.clone()
        } else {
            perturb(&gold, kind)
        };
        let score = score_files(&gold, &pred, None).unwrap();
        let o = score.chunks.as_ref().unwrap().overall;
        assert_eq!(
            (o.gold, o.predicted, o.correct),
            (gold_n, found, correct),
            "{name} {kind}"
        );
        if kind == "gold" {
            assert_eq!((score.main(), score.accuracy()), (1.0, 1.0));
        }
    }
    // And one full report, per-type lines included (es-ner, formula).
    let gold = read(&roots, "es-ner");
    let report = score_files(&gold, &perturb(&gold, "formula"), None)
        .unwrap()
        .conlleval_report();
    assert_eq!(
        report,
        "processed 52923 tokens with 4352 phrases; found: 11474 phrases; correct: 2881.\n\
         accuracy:  84.73%; precision:  25.11%; recall:  66.20%; FB1:  36.41\n\
         \x20             LOC: precision:  84.42%; recall:  72.59%; FB1:  78.06  847\n\
         \x20            MISC: precision:   3.71%; recall:  66.29%; FB1:   7.04  7941\n\
         \x20             ORG: precision:  69.94%; recall:  64.88%; FB1:  67.32  1577\n\
         \x20             PER: precision:  69.25%; recall:  62.85%; FB1:  65.89  1109\n"
    );
}

/// The lexicon of a treebank's training words, and its test set as text.
fn lexicon_and_test_text(
    roots: &DataRoots,
    name: &str,
) -> (corpus::Lexicon, Vec<corpus::RawSentence>) {
    let ds = Registry::builtin().get(name).unwrap();
    let train = ds.read(Split::Train, roots).unwrap();
    let words = train.sentences.iter().flat_map(|s| &s.words);
    let lexicon = corpus::Lexicon::new(words.map(String::as_str));
    let raw = corpus::read_raw_conllu(ds.path(Split::Test, roots).unwrap()).unwrap();
    (lexicon, raw)
}

/// Token F1 of plain-text tokenization against a test set's surface tokens: each
/// sentence's `# text` line is tokenized alone and its tokens compared with the
/// gold surface tokens (a multiword token such as Greek "στο" is one) by character
/// span. Sentences whose tokens do not spell their text are left out.
/// Returns (F1 without a lexicon, F1 with the training words', sentences compared).
fn token_f1(roots: &DataRoots, name: &str) -> (f64, f64, usize) {
    use corpus::Tokenizer;
    let (lexicon, raw) = lexicon_and_test_text(roots, name);
    let (mut gold_n, mut compared) = (0, 0);
    let mut found = [0usize; 2];
    let mut right = [0usize; 2];
    for s in &raw {
        let text = s.text.as_deref().expect("UD test sets have # text");
        let Some(gold) = corpus::surface_spans(text, &s.tokens) else {
            continue;
        };
        compared += 1;
        gold_n += gold.len();
        let gold: std::collections::HashSet<(usize, usize)> = gold.into_iter().collect();
        for (i, lex) in [None, Some(&lexicon)].into_iter().enumerate() {
            for t in Tokenizer::Unicode
                .sentences_with(text, lex)
                .flat_map(|s| s.tokens().collect::<Vec<_>>())
            {
                found[i] += 1;
                right[i] += usize::from(gold.contains(&t.span_in(text)));
            }
        }
    }
    let f1 = |i: usize| 2.0 * right[i] as f64 / (found[i] + gold_n) as f64;
    (f1(0), f1(1), compared)
}

#[test]
fn the_training_words_bring_plain_text_tokens_closer_to_the_treebanks() {
    let names = ["en", "el", "hu", "ta", "tr"];
    let Some(roots) = roots_with("tokens of plain text", &names) else {
        return;
    };
    let mut gains = Vec::new();
    for name in names {
        let (plain, lex, n) = token_f1(&roots, name);
        let _ = writeln!(
            std::io::stderr(),
            "{name}: token F1 on the test set's text ({n} sentences): UAX #29 {:.2}, with the training words {:.2}",
            100.0 * plain,
            100.0 * lex
        );
        gains.push((name, plain, lex));
    }
    for (name, plain, lex) in gains {
        assert!(lex >= plain, "{name}: {lex} below UAX #29's {plain}");
        // English cuts clitics ("ca" "n't"); Hungarian keeps hyphenated words and
        // ordinals ("1999.") whole: measured 96.2 -> 99.9 and 95.1 -> 99.4 when this
        // test was written (Greek 98.6 -> 99.5, Tamil 96.5 -> 98.4, Turkish 98.6 ->
        // 99.7).
        if matches!(name, "en" | "hu") {
            assert!(lex - plain > 0.03, "{name}: {plain} -> {lex}");
        }
    }
}

/// Sentence boundaries in a test set's running text: the `# text` lines joined by
/// spaces, cut into sentences without and with the training words. Returns, for
/// each, (sentence ends found, found ends that are gold ends), and the gold count.
fn sentence_ends(roots: &DataRoots, name: &str) -> ([(usize, usize); 2], usize) {
    use corpus::Tokenizer;
    let (lexicon, raw) = lexicon_and_test_text(roots, name);
    let mut text = String::new();
    let mut gold = std::collections::HashSet::new();
    for s in &raw {
        text.push_str(s.text.as_deref().expect("UD test sets have # text"));
        gold.insert(text.len());
        text.push(' ');
    }
    let ends = |lex| {
        let mut found = (0, 0);
        for s in Tokenizer::Unicode.sentences_with(&text, lex) {
            let last = s.tokens().last().unwrap();
            let (_, end) = last.span_in(&text);
            found.0 += 1;
            found.1 += usize::from(gold.contains(&end));
        }
        found
    };
    ([ends(None), ends(Some(&lexicon))], gold.len())
}

#[test]
fn the_training_words_keep_sentences_whole_after_abbreviations() {
    let names = ["en", "el", "hu", "ta", "tr"];
    let Some(roots) = roots_with("sentences of plain text", &names) else {
        return;
    };
    for name in names {
        let ([plain, lex], gold) = sentence_ends(&roots, name);
        let f1 = |(found, right): (usize, usize)| 200.0 * right as f64 / (found + gold) as f64;
        let _ = writeln!(
            std::io::stderr(),
            "{name}: sentence-end F1 on the test set's running text ({gold} sentences): UAX #29 {:.2}, with the training words {:.2}",
            f1(plain),
            f1(lex)
        );
        // Joining sentences loses no gold boundary here, and it finds fewer false
        // ones: measured when this test was written, en 93.2 -> 93.4, el 93.3 ->
        // 94.4 ("ο κ. Watson"), hu 93.4 -> 93.7 ("Dr. Rózsa"), ta 87.9 -> 93.0
        // ("ஐ.பி.எல்."), tr 96.4 (unchanged).
        assert_eq!(lex.1, plain.1, "{name}: a gold sentence end was lost");
        if matches!(name, "el" | "ta") {
            assert!(f1(lex) - f1(plain) > 1.0, "{name}: {plain:?} -> {lex:?}");
        }
    }
}
