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
    assert_eq!(e.chars[0], vec![BOW, t, h, e_, EOW]);
    assert_eq!((d, o, g), (UNK, UNK, UNK));
    assert_eq!(e.chars[1], vec![BOW, UNK, UNK, UNK, EOW]);
    // The unseen gold tag is representable: it is an error at evaluation, not a crash.
    assert_eq!(e.tags, vec![Some(0), None]);
    assert_eq!(e.gold(), None);
    assert_eq!(v.encode(&train()[0]).gold(), Some(vec![0, 1, 2]));
    assert_eq!(v.tag_names(&[2, 0]), ["VERB", "DET"]);
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
