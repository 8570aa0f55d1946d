//! Scoring: conlleval's chunk rules on hand-made tricky cases, byte-identical
//! reports against frozen conlleval.pl output, and a cross-check against an
//! independent span-based implementation on formula-generated tag sequences.

use std::collections::HashSet;

use corpus::score::{conlleval, ChunkCounts, Conlleval};
use corpus::{is_chunk_tagset, read_corpus, score_files, Scorer};

/// (gold chunks, predicted chunks, correct) of one sentence.
fn counts(gold: &[&str], pred: &[&str]) -> (usize, usize, usize) {
    let o = conlleval(&[gold.to_vec()], &[pred.to_vec()]).overall;
    (o.gold, o.predicted, o.correct)
}

#[test]
fn i_after_o_opens_an_entity() {
    // IOB1 gold and IOB2 prediction of the same entity agree.
    assert_eq!(
        counts(&["O", "I-PER", "I-PER", "O"], &["O", "B-PER", "I-PER", "O"]),
        (1, 1, 1)
    );
    // An I- at the start of a sentence opens one too.
    assert_eq!(counts(&["I-LOC", "O"], &["I-LOC", "O"]), (1, 1, 1));
}

#[test]
fn b_between_two_entities_of_one_type() {
    let gold = ["I-PER", "I-PER", "B-PER", "O"];
    assert_eq!(counts(&gold, &gold), (2, 2, 2));
    // Merging them into one run finds neither.
    assert_eq!(counts(&gold, &["I-PER", "I-PER", "I-PER", "O"]), (2, 1, 0));
}

#[test]
fn a_type_change_inside_a_run_splits_it() {
    assert_eq!(
        counts(&["B-ORG", "I-ORG", "I-ORG"], &["B-LOC", "I-LOC", "I-ORG"]),
        (1, 2, 0)
    );
    assert_eq!(counts(&["I-ORG", "I-LOC"], &["I-ORG", "I-LOC"]), (2, 2, 2));
    // Right span, wrong type is wrong.
    assert_eq!(counts(&["B-ORG", "I-ORG"], &["B-LOC", "I-LOC"]), (1, 1, 0));
}

#[test]
fn entities_at_sentence_ends_are_closed_by_the_boundary() {
    let gold = vec![vec!["O", "I-LOC"], vec!["I-LOC", "O"]];
    let o = conlleval(&gold, &gold).overall;
    assert_eq!((o.gold, o.predicted, o.correct), (2, 2, 2));
    // Without the boundary the two tokens would be one entity.
    let mut c = Conlleval::new();
    for t in ["O", "I-LOC", "I-LOC", "O"] {
        c.token(t, t);
    }
    assert_eq!(c.result().overall.gold, 1);
    // An entity still open at the very end is counted (conlleval's final step).
    let mut c = Conlleval::new();
    c.token("B-PER", "B-PER");
    assert_eq!(
        c.result().overall,
        ChunkCounts {
            correct: 1,
            gold: 1,
            predicted: 1
        }
    );
    // A longer predicted entity running to the end is not correct.
    assert_eq!(counts(&["B-PER", "O"], &["B-PER", "I-PER"]), (1, 1, 0));
}

#[test]
fn ill_formed_predictions() {
    // I- then B- of the same type: two predicted entities, neither right.
    assert_eq!(counts(&["B-ORG", "I-ORG"], &["I-ORG", "B-ORG"]), (1, 2, 0));
    // A stray I- of another type after B-.
    assert_eq!(counts(&["B-PER", "I-PER"], &["B-PER", "I-MISC"]), (1, 2, 0));
    // Tags without a type: `B` opens a chunk of empty type, `PER` opens none.
    assert_eq!(counts(&["O", "O"], &["B", "PER"]), (0, 1, 0));
    // Nothing predicted, nothing in gold: scores are 0, not NaN.
    let o = conlleval(&[vec!["O"]], &[vec!["O"]]).overall;
    assert_eq!((o.precision(), o.recall(), o.f1()), (0.0, 0.0, 0.0));
}

#[test]
fn types_split_at_the_first_hyphen_and_a_zero_type_is_empty() {
    let s = conlleval(
        &[vec!["B-MISC-X", "I-MISC-X"]],
        &[vec!["B-MISC-X", "I-MISC-X"]],
    );
    assert_eq!(s.per_type.keys().collect::<Vec<_>>(), ["MISC-X"]);
    // Perl's truth test turns the type "0" into "" (kept for exactness).
    let s = conlleval(&[vec!["B-0"]], &[vec!["O"]]);
    assert_eq!(s.per_type.keys().collect::<Vec<_>>(), [""]);
}

#[test]
fn end_tags_of_ioe_schemes_follow_the_script() {
    // E- closes a chunk: E-NP E-NP are two chunks, I-NP E-NP one.
    assert_eq!(
        counts(&["I-NP", "E-NP", "E-NP"], &["I-NP", "E-NP", "E-NP"]),
        (2, 2, 2)
    );
}

#[test]
fn per_type_precision_recall_f1() {
    let gold = vec![vec!["B-PER", "O", "B-LOC", "I-LOC", "B-LOC"]];
    let pred = vec![vec!["B-PER", "O", "B-LOC", "I-LOC", "O"]];
    let s = conlleval(&gold, &pred);
    assert_eq!(
        s.per_type["LOC"],
        ChunkCounts {
            correct: 1,
            gold: 2,
            predicted: 1
        }
    );
    assert_eq!(
        (s.per_type["LOC"].precision(), s.per_type["LOC"].recall()),
        (1.0, 0.5)
    );
    assert!((s.per_type["LOC"].f1() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(
        s.overall,
        ChunkCounts {
            correct: 2,
            gold: 3,
            predicted: 2
        }
    );
}

#[test]
fn scorer_counts_unseen_gold_tags_as_errors() {
    let mut sc = Scorer::new(false);
    sc.add(&["NOUN", "INTJ"], &["NOUN", "NOUN"]);
    let s = sc.score();
    assert_eq!(
        (s.tokens, s.correct, s.accuracy(), s.main()),
        (2, 1, 0.5, 0.5)
    );
    assert!(s.chunks.is_none());
}

#[test]
fn chunk_tagsets_are_recognised() {
    assert!(is_chunk_tagset(["O", "B-PER", "I-LOC", "E-X", "S-Y"]));
    assert!(!is_chunk_tagset(["O", "O"]));
    assert!(!is_chunk_tagset(["NOUN", "O", "B-PER"]));
    assert!(!is_chunk_tagset(["B-"]));
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/fixtures")
        .join(name)
}

/// `data/fixtures/ner-conlleval.txt` is the output of conlleval.pl (2004-01-26) on
/// the file `word gold pred` made from `ner-gold.txt` and `ner-pred.txt` (blank
/// line between sentences). Our report must be byte-identical.
#[test]
fn report_is_identical_to_conlleval_pl_on_the_fixture() {
    let gold = read_corpus(fixture("ner-gold.txt"), None).unwrap();
    let pred = read_corpus(fixture("ner-pred.txt"), None).unwrap();
    let score = score_files(&gold, &pred, None).unwrap();
    let expected = std::fs::read_to_string(fixture("ner-conlleval.txt")).unwrap();
    assert_eq!(score.conlleval_report(), expected);
}

/// An independent reference: extract (start, end, type) spans with the textbook
/// IOB rule (an entity starts at B-X, or at I-X unless the previous tag is B-X/I-X
/// of the same type; it continues over I-X of the same type) and count exact matches.
fn spans(tags: &[&str]) -> HashSet<(usize, usize, String)> {
    let mut out = HashSet::new();
    let mut open: Option<(usize, String)> = None;
    for (i, t) in tags.iter().chain(std::iter::once(&"O")).enumerate() {
        let (prefix, ty) = t.split_once('-').unwrap_or((t, ""));
        let continues = prefix == "I" && open.as_ref().is_some_and(|(_, o)| o == ty);
        if !continues {
            if let Some((s, o)) = open.take() {
                out.insert((s, i - 1, o));
            }
            if prefix == "B" || prefix == "I" {
                open = Some((i, ty.to_string()));
            }
        }
    }
    out
}

#[test]
fn conlleval_agrees_with_span_matching_on_formula_sequences() {
    let alphabet = ["O", "O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "I-ORG"];
    let pick = |k: u64| alphabet[(corpus::splitmix64(k) % alphabet.len() as u64) as usize];
    for case in 0..2000u64 {
        let len = 1 + (case % 13) as usize;
        let gold: Vec<&str> = (0..len).map(|i| pick(case * 1000 + i as u64)).collect();
        // Predictions: the gold with a few formula-chosen tokens replaced.
        let pred: Vec<&str> = (0..len)
            .map(|i| {
                if corpus::splitmix64(case * 77 + i as u64) < u64::MAX / 3 {
                    pick(case * 31 + i as u64 + 7)
                } else {
                    gold[i]
                }
            })
            .collect();
        let (g, p) = (spans(&gold), spans(&pred));
        let o = conlleval(std::slice::from_ref(&gold), std::slice::from_ref(&pred)).overall;
        assert_eq!(
            (o.gold, o.predicted, o.correct),
            (g.len(), p.len(), g.intersection(&p).count()),
            "{gold:?} {pred:?}"
        );
    }
}

#[test]
fn misaligned_files_are_errors_naming_the_lines() {
    let parse = |name: &str, text: &str| {
        corpus::parse_corpus(text.as_bytes(), std::path::Path::new(name), None).unwrap()
    };
    let gold = parse("g", "a O\nb O\n\nc O\n");
    let err = score_files(&gold, &parse("p", "a O\nb O\nc O\n"), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "sentence boundaries differ at token 3 (`c`): g line 4, p line 3"
    );
    let err = score_files(&gold, &parse("p", "a O\nx O\n\nc O\n"), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "token 2 differs: g line 2 has `b`, p line 2 has `x`"
    );
    let err = score_files(&gold, &parse("p", "a O\nb O\n\nc O\nd O\n"), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "g has 3 tokens but p has 4; the first extra token is `d` at p line 5"
    );
}
