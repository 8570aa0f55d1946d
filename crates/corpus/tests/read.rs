//! Readers: CoNLL-U and column files, the surprises of real files, typed errors.

use std::path::Path;

use corpus::{parse_corpus, read_corpus, Error, Format};

fn parse(text: &str, format: Option<Format>) -> corpus::Result<corpus::Corpus> {
    parse_corpus(text.as_bytes(), Path::new("t.txt"), format)
}

fn words(c: &corpus::Corpus) -> Vec<Vec<&str>> {
    c.sentences
        .iter()
        .map(|s| s.words.iter().map(String::as_str).collect())
        .collect()
}

fn tags(c: &corpus::Corpus) -> Vec<Vec<&str>> {
    c.sentences
        .iter()
        .map(|s| s.tags.iter().map(String::as_str).collect())
        .collect()
}

const CONLLU: &str = "# sent_id = 1\n# text = Im Haus.\n\
1-2\tIm\t_\t_\t_\t_\t_\t_\t_\t_\n\
1\tIn\tin\tADP\t_\t_\t3\tcase\t_\t_\n\
2\tdem\tder\tDET\t_\t_\t3\tdet\t_\t_\n\
3\tHaus\tHaus\tNOUN\t_\t_\t0\troot\t_\t_\n\
3.1\tist\tsein\tAUX\t_\t_\t_\t_\t3:cop\t_\n\
4\t.\t.\tPUNCT\t_\t_\t3\tpunct\t_\t_\n\
\n\
# sent_id = 2\n\
1\tJa\tja\tINTJ\t_\t_\t0\troot\t_\t_\n";

#[test]
fn conllu_takes_form_and_upos_and_skips_ranges_empty_nodes_and_comments() {
    let c = parse(CONLLU, None).unwrap();
    assert_eq!(c.format, Format::Conllu);
    assert_eq!(words(&c), vec![vec!["In", "dem", "Haus", "."], vec!["Ja"]]);
    assert_eq!(
        tags(&c),
        vec![vec!["ADP", "DET", "NOUN", "PUNCT"], vec!["INTJ"]]
    );
    // Source lines of the tokens (for error messages later on).
    assert_eq!(c.sentences[0].lines, vec![4, 5, 6, 8]);
    assert_eq!(c.sentences[1].line(0), Some(11));
}

#[test]
fn conllu_as_raw_text_keeps_the_text_and_the_surface_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("de.conllu");
    std::fs::write(&path, CONLLU).unwrap();
    let raw = corpus::read_raw_conllu(&path).unwrap();
    let c = read_corpus(&path, None).unwrap();
    assert_eq!(raw.len(), c.sentences.len());
    // "Im" stands for "In dem"; the empty node 3.1 is no surface token; the second
    // sentence has no `# text`.
    assert_eq!(raw[0].text.as_deref(), Some("Im Haus."));
    assert_eq!(
        raw[0].tokens,
        [("Im".to_string(), 2), ("Haus".into(), 1), (".".into(), 1)]
    );
    assert_eq!(raw[0].line, 3);
    assert_eq!((raw[1].text.as_deref(), raw[1].line), (None, 11));
    for (r, s) in raw.iter().zip(&c.sentences) {
        assert_eq!(r.tokens.iter().map(|t| t.1).sum::<usize>(), s.len());
    }
    // It is checked as the corpus is: a column file is an error.
    std::fs::write(&path, "Haus NOUN\n").unwrap();
    let e = corpus::read_raw_conllu(&path).unwrap_err().to_string();
    assert!(e.contains("de.conllu:1:"), "{e}");
}

#[test]
fn conllu_as_raw_text_follows_the_word_lines_whatever_the_ranges_say() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.conllu");
    let line =
        |id: &str, form: &str, tag: &str| format!("{id}\t{form}\t_\t{tag}\t_\t_\t0\t_\t_\t_\n");
    let text = [
        // A range longer than its words, then one that a repeated ID extends.
        "# text = abc d\n".to_string(),
        line("1-3", "abc", "_"),
        line("1", "a", "DET"),
        line("4", "d", "NOUN"),
        "\n# text = ab d\n".into(),
        line("1-2", "ab", "_"),
        line("1", "a", "DET"),
        line("2", "b", "NOUN"),
        line("2", "c", "ADJ"),
        line("3", "d", "NOUN"),
        // A block of empty nodes only is no sentence; its `# text` does not
        // carry over to the next block, which has none.
        "\n# text = nothing\n".into(),
        line("1.1", "x", "_"),
        "\n".into(),
        line("1", "e", "NOUN"),
        "\n".into(),
    ]
    .concat();
    std::fs::write(&path, text).unwrap();
    let raw = corpus::read_raw_conllu(&path).unwrap();
    let c = read_corpus(&path, None).unwrap();
    assert_eq!(raw.len(), c.sentences.len());
    let tokens: Vec<Vec<(&str, usize)>> = raw
        .iter()
        .map(|r| r.tokens.iter().map(|(f, n)| (f.as_str(), *n)).collect())
        .collect();
    assert_eq!(
        tokens,
        [
            vec![("abc", 1), ("d", 1)],
            vec![("ab", 3), ("d", 1)],
            vec![("e", 1)]
        ]
    );
    for (r, s) in raw.iter().zip(&c.sentences) {
        assert_eq!(r.tokens.iter().map(|t| t.1).sum::<usize>(), s.len());
    }
    assert_eq!(raw[2].text, None);
    assert_eq!(raw[2].line, 16);
}

#[test]
fn columns_take_first_and_last_column_and_split_documents() {
    let text = "-DOCSTART- -DOCSTART- O\nDe Art O\nbank N B-ORG\n-DOCSTART- -DOCSTART- O\nIn Prep O\n\nJa Int O\n";
    let c = parse(text, None).unwrap();
    assert_eq!(c.format, Format::Columns);
    assert_eq!(words(&c), vec![vec!["De", "bank"], vec!["In"], vec!["Ja"]]);
    assert_eq!(tags(&c), vec![vec!["O", "B-ORG"], vec!["O"], vec!["O"]]);
}

#[test]
fn two_column_tab_files_may_have_spaces_in_words() {
    let c = parse("New York\tI-LOC\nis\tO\n", None).unwrap();
    assert_eq!(words(&c), vec![vec!["New York", "is"]]);
}

#[test]
fn crlf_bom_trailing_whitespace_blank_runs_and_no_final_newline() {
    let clean = parse("a X\nb Y\n\nc Z\n", None).unwrap();
    for messy in [
        "\u{feff}a X\r\nb Y\r\n\r\nc Z\r\n",
        "a X  \nb Y\t\n\n\n\n c Z",
        "\n\n\na X\nb Y\n \n\t\nc Z\n\n\n",
    ] {
        let c = parse(messy, None).unwrap();
        assert_eq!(words(&c), words(&clean), "{messy:?}");
        assert_eq!(tags(&c), tags(&clean), "{messy:?}");
    }
    let c = parse(&CONLLU.replace('\n', "\r\n"), None).unwrap();
    assert_eq!(words(&c)[0], vec!["In", "dem", "Haus", "."]);
}

#[test]
fn format_can_be_forced() {
    // Ten-column tab lines read as columns: word = ID column, tag = MISC column.
    let body: String = CONLLU
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let c = parse(&body, Some(Format::Columns)).unwrap();
    assert_eq!(words(&c)[0][..2], ["1-2", "1"]);
    assert_eq!(tags(&c)[0][0], "_");
    let err = parse("a X\n", Some(Format::Conllu)).unwrap_err();
    assert!(
        err.to_string()
            .contains("t.txt:1: wrong number of columns: expected 10"),
        "{err}"
    );
}

#[test]
fn wrong_column_counts_name_the_line() {
    let err = parse("a B O\nb C O\nc O\n", None).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Columns {
                line: 3,
                found: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "t.txt:3: wrong number of columns: expected 3 (as on line 1), found 2"
    );
    let err = parse("a O\nlonely\n", None).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Columns {
                line: 2,
                found: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let bad = CONLLU.replace("2\tdem\tder\tDET\t_\t_\t3\tdet\t_\t_", "2\tdem\tder\tDET");
    let err = parse(&bad, None).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Columns {
                line: 5,
                found: 4,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn empty_word_or_tag_is_an_error() {
    let err = parse("a\tO\n\tO\n", None).unwrap_err();
    assert!(matches!(err, Error::EmptyField { line: 2, .. }), "{err:?}");
    // An empty last field cannot be told from trailing whitespace: a column is missing.
    let err = parse("a\tO\nb\t \n", None).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Columns {
                line: 2,
                found: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let bad = CONLLU.replace("\tdem\tder\tDET\t", "\tdem\tder\t\t");
    let err = parse(&bad, None).unwrap_err();
    assert!(matches!(err, Error::EmptyField { line: 5, .. }), "{err:?}");
    assert!(err.to_string().contains("empty tag (UPOS)"), "{err}");
}

#[test]
fn bad_conllu_id_is_an_error() {
    let bad = CONLLU.replace("3\tHaus", "x\tHaus");
    let err = parse(&bad, Some(Format::Conllu)).unwrap_err();
    assert!(matches!(err, Error::Malformed { line: 6, .. }), "{err:?}");
}

#[test]
fn invalid_utf8_names_the_line() {
    let bytes = b"a O\nb O\n\nc\xff O\n";
    let err = parse_corpus(bytes, Path::new("x.iob"), None).unwrap_err();
    assert!(matches!(err, Error::InvalidUtf8 { line: 4, .. }), "{err:?}");
    assert_eq!(err.to_string(), "x.iob:4: invalid UTF-8");
}

#[test]
fn files_without_sentences_are_errors() {
    for text in ["", "\n\n", "-DOCSTART- O\n\n"] {
        let err = parse(text, None).unwrap_err();
        assert!(
            matches!(err, Error::NoSentences { .. }),
            "{text:?}: {err:?}"
        );
    }
    // `#` starts a comment in CoNLL-U only; in a column file it is a word.
    let err = parse("# only a comment\n", Some(Format::Conllu)).unwrap_err();
    assert!(matches!(err, Error::NoSentences { .. }), "{err:?}");
    assert_eq!(parse("# NN\n", None).unwrap().sentences[0].words, vec!["#"]);
    // Issue 12: CoNLL-U comments alone are a file without sentences, not a
    // column file of `#` tokens: by their `# key = value` form, or by the name.
    let only = "# sent_id = 1\n# text = Hello world\n\n";
    let err = parse(only, None).unwrap_err();
    assert!(err.to_string().contains("only comment"), "{err}");
    let err = parse_corpus(b"# NN\n", Path::new("x.conllu"), None).unwrap_err();
    assert!(
        err.to_string().starts_with("x.conllu:1: no sentences"),
        "{err}"
    );
}

#[test]
fn missing_file_is_not_found() {
    let err = read_corpus("/nonexistent/qmtl/x.conllu", None).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "/nonexistent/qmtl/x.conllu: file not found"
    );
}

#[test]
fn read_corpus_reads_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.conllu");
    std::fs::write(&path, CONLLU).unwrap();
    let c = read_corpus(&path, None).unwrap();
    assert_eq!(
        (c.len(), c.tokens(), c.path.as_path()),
        (2, 5, path.as_path())
    );
}
