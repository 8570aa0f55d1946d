//! Vocabularies and encoding (model-spec section 2).

use corpus::{Embeddings, Sentence, Vocab, BOW, EOW, UNK};

fn train() -> Vec<Sentence> {
    vec![
        Sentence::from_pairs(&[("the", "DET"), ("cat", "NOUN"), ("sat", "VERB")]),
        Sentence::from_pairs(&[("UNK", "X"), ("the", "DET"), ("mat", "NOUN")]),
    ]
}

#[test]
fn word_index_is_unk_then_first_seen_order() {
    let v = Vocab::build(&train());
    assert_eq!(
        v.words.names(),
        ["<UNK>", "the", "cat", "sat", "UNK", "mat"]
    );
    assert_eq!(v.words.reserved(), 1);
    // A training word spelled like the UNK symbol is an ordinary word.
    assert_eq!(v.word_id("UNK"), 4);
    assert_eq!(v.word_id("dog"), UNK);
    assert_eq!(v.word_counts, vec![0, 2, 1, 1, 1, 1]);
    assert_eq!(v.count(v.word_id("the")), 2);
}

#[test]
fn char_index_is_unk_bow_eow_then_first_seen_order() {
    let v = Vocab::build(&train());
    let chars: String = v.chars.names()[3..].concat();
    assert_eq!(&v.chars.names()[..3], ["<UNK>", "<w>", "</w>"]);
    assert_eq!(chars, "thecasUNKm");
    assert_eq!((BOW, EOW), (1, 2));
    // Characters are Unicode scalar values, not bytes.
    let v = Vocab::build(&[Sentence::from_pairs(&[("ஸ்ரீ", "PROPN"), ("é", "X")])]);
    assert_eq!(v.chars.len(), 3 + "ஸ்ரீ".chars().count() + 1);
}

#[test]
fn tag_index_is_first_seen_order_without_unk() {
    let v = Vocab::build(&train());
    assert_eq!(v.tags.names(), ["DET", "NOUN", "VERB", "X"]);
    assert_eq!(v.tag_id("ADJ"), None);
}

#[test]
fn encode_gives_words_char_sequences_and_optional_tags() {
    let v = Vocab::build(&train());
    let e = v.encode(&Sentence::from_pairs(&[("the", "DET"), ("dog", "ADJ")]));
    assert_eq!(e.words, vec![1, UNK]);
    let (t, h, e_, d, o, g) = (
        v.char_id('t'),
        v.char_id('h'),
        v.char_id('e'),
        v.char_id('d'),
        v.char_id('o'),
        v.char_id('g'),
    );
    let chars: Vec<&[usize]> = e.token_chars().collect();
    assert_eq!(chars[0], [BOW, t, h, e_, EOW]);
    assert_eq!((d, o, g), (UNK, UNK, UNK));
    assert_eq!(chars[1], [BOW, UNK, UNK, UNK, EOW]);
    // Flattened for the network, with each token's length.
    assert_eq!(e.chars, [BOW, t, h, e_, EOW, BOW, UNK, UNK, UNK, EOW]);
    assert_eq!(e.char_lens, [5, 5]);
    // The unseen gold tag is representable: it is an error at evaluation, not a crash.
    assert_eq!(e.tags, vec![Some(0), None]);
    assert_eq!(e.gold(), None);
    assert_eq!(v.encode(&train()[0]).gold(), Some(vec![0, 1, 2]));
    assert_eq!(v.tag_names(&[2, 0]), ["VERB", "DET"]);
}

#[test]
fn untagged_words_encode_like_a_sentence_without_known_tags() {
    let v = Vocab::build(&train());
    let words = ["the", "dog", "sat"];
    let e = v.encode_words(&words);
    let s = v.encode(&Sentence::from_pairs(&[
        ("the", "?"),
        ("dog", "?"),
        ("sat", "?"),
    ]));
    assert_eq!(
        (&e.words, &e.chars, &e.char_lens),
        (&s.words, &s.chars, &s.char_lens)
    );
    assert_eq!(e.tags, vec![None; 3]);
}

#[test]
fn windows_of_a_long_sentence_cover_it_in_order() {
    let v = Vocab::build(&train());
    // 7 tokens cycling through known and unknown words, tags known and not.
    let pairs: Vec<(&str, &str)> = (0..7)
        .map(|i| (["the", "cat", "dog"][i % 3], ["DET", "NOUN", "ADJ"][i % 3]))
        .collect();
    let whole = v.encode(&Sentence::from_pairs(&pairs));
    let w = whole.clone().into_windows(3);
    assert_eq!(w.iter().map(|x| x.len()).collect::<Vec<_>>(), [3, 3, 1]);
    let chars: Vec<&[usize]> = whole.token_chars().collect();
    for (j, x) in w.iter().enumerate() {
        let at = 3 * j;
        assert_eq!(x.words, whole.words[at..at + x.len()]);
        assert_eq!(x.token_chars().collect::<Vec<_>>(), chars[at..at + x.len()]);
        assert_eq!(x.char_lens, whole.char_lens[at..at + x.len()]);
        assert_eq!(x.tags, whole.tags[at..at + x.len()]);
    }
    // A sentence that fits is one window, itself.
    assert_eq!(whole.clone().into_windows(7), std::slice::from_ref(&whole));
    assert_eq!(whole.clone().into_windows(100), [whole]);
}

#[test]
fn embedding_words_join_the_word_index_after_the_training_words() {
    let mut v = Vocab::build(&train());
    let text = "cat 0.1 0.2\ndog 0.3 0.4\nmat 0.5 0.6\nbird 0.7 0.8\n";
    let emb = Embeddings::parse(text.as_bytes(), std::path::Path::new("e.txt")).unwrap();
    assert_eq!(v.add_embedding_words(&emb), 2);
    assert_eq!(v.words.names()[6..], ["dog", "bird"]);
    assert_eq!(v.word_id("dog"), 6);
    assert_eq!(v.count(6), 0);
    assert_eq!(v.word_counts.len(), v.words.len());
    // Characters stay those of the training file.
    assert_eq!(v.char_id('b'), UNK);
}

#[test]
fn vocab_survives_a_json_round_trip() {
    let v = Vocab::build(&train());
    let json = serde_json::to_string(&v).unwrap();
    let back: Vocab = serde_json::from_str(&json).unwrap();
    assert_eq!(back.words.names(), v.words.names());
    assert_eq!(back.word_id("mat"), 5);
    assert_eq!(back.char_id('m'), v.char_id('m'));
    assert_eq!(back.tag_id("X"), Some(3));
    assert_eq!(back.word_counts, v.word_counts);
}

/// `[BOW, every character, EOW]`, the encoding without a length cap.
fn uncapped(v: &Vocab, word: &str) -> Vec<usize> {
    let mut ids = vec![BOW];
    ids.extend(word.chars().map(|c| v.char_id(c)));
    ids.push(EOW);
    ids
}

#[test]
fn the_character_cap_changes_only_words_longer_than_it() {
    // Issue 12: memory grew by ~7.6 KB per character of a single word. The
    // character BiLSTM now reads the first and last CHAR_WINDOW characters.
    use corpus::CHAR_WINDOW;
    let train = vec![Sentence::from_pairs(&[("abcé漢", "X")])];
    let v = Vocab::build(&train);
    let alphabet: Vec<char> = "abcé漢z".chars().collect();
    let word = |n: usize| -> String { (0..n).map(|i| alphabet[(i * 7 + i / 3) % 6]).collect() };
    for n in (0..=2 * CHAR_WINDOW).chain([2 * CHAR_WINDOW + 1, 1000, 100_000]) {
        let w = word(n);
        let got = v.encode_chars(&w);
        if n <= 2 * CHAR_WINDOW {
            assert_eq!(
                got,
                uncapped(&v, &w),
                "a word of {n} characters is read whole"
            );
        } else {
            let all = uncapped(&v, &w);
            let mut want = all[..=CHAR_WINDOW].to_vec();
            want.extend_from_slice(&all[all.len() - 1 - CHAR_WINDOW..]);
            assert_eq!(got, want, "{n} characters: first and last {CHAR_WINDOW}");
            assert_eq!(got.len(), 2 * CHAR_WINDOW + 2);
        }
    }
}

#[test]
fn no_token_of_the_local_data_reaches_the_character_cap() {
    // The published grid is computed with uncapped words: the cap must not
    // change any token of the data in ../shared/data.
    use corpus::{DataRoots, Registry, Split};
    let roots = DataRoots::discover(None);
    let (mut files, mut longest) = (0, 0);
    for ds in &Registry::builtin().datasets {
        if ds.locate(&roots).is_err() {
            continue;
        }
        for split in Split::ALL {
            let c = ds.read(split, &roots).unwrap();
            let v = Vocab::build(&c.sentences);
            for w in c.sentences.iter().flat_map(|s| &s.words) {
                longest = longest.max(w.chars().count());
                assert_eq!(v.encode_chars(w), uncapped(&v, w), "{w}");
            }
            files += 1;
        }
    }
    if files == 0 {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: character cap on the data: no dataset found"
        );
        assert!(
            std::env::var_os("QMTL_REQUIRE_DATA").is_none(),
            "QMTL_REQUIRE_DATA is set"
        );
        return;
    }
    assert!(
        longest <= 2 * corpus::CHAR_WINDOW,
        "longest token: {longest}"
    );
}
