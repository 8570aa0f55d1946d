//! Pretrained embedding files: word2vec/polyglot text, plain or gzip, with errors by line.

use std::io::Write;
use std::path::Path;

use corpus::{Embeddings, Error};

/// `n` words of dimension `d`, values from a formula.
fn text(n: usize, d: usize, header: bool) -> String {
    let mut s = if header {
        format!("{n} {d}\n")
    } else {
        String::new()
    };
    for i in 0..n {
        s += &format!("w{i}");
        for j in 0..d {
            s += &format!(" {:.4}", ((i * d + j) as f32 * 0.37).sin());
        }
        s += "\n";
    }
    s
}

fn parse(s: &str) -> corpus::Result<Embeddings> {
    Embeddings::parse(s.as_bytes(), Path::new("e.txt"))
}

#[test]
fn plain_text_with_and_without_header() {
    for header in [false, true] {
        let e = parse(&text(5, 3, header)).unwrap();
        assert_eq!((e.len(), e.dim()), (5, 3));
        let v = e.get("w2").unwrap();
        assert!((v[1] - (7.0f32 * 0.37).sin()).abs() < 1e-4, "{v:?}");
        assert_eq!(
            e.words().collect::<Vec<_>>(),
            ["w0", "w1", "w2", "w3", "w4"]
        );
    }
}

#[test]
fn gzip_is_detected_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vectors.txt"); // no .gz on purpose
    let mut gz =
        flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), Default::default());
    gz.write_all(text(4, 2, true).as_bytes()).unwrap();
    gz.finish().unwrap();
    let e = Embeddings::load(&path).unwrap();
    assert_eq!((e.len(), e.dim()), (4, 2));
    let plain = dir.path().join("plain.txt");
    std::fs::write(&plain, text(4, 2, false)).unwrap();
    assert_eq!(Embeddings::load(&plain).unwrap().get("w3"), e.get("w3"));
    // The hash taken while loading is the file's, compressed or not.
    for p in [&path, &plain] {
        let (_, sha) = Embeddings::load_with_sha256(p).unwrap();
        assert_eq!(sha, corpus::sha256_hex(&std::fs::read(p).unwrap()));
    }
}

#[test]
fn wrong_dimension_names_the_line() {
    let mut s = text(3, 4, false);
    s += "odd 1 2 3\n";
    let err = parse(&s).unwrap_err();
    assert!(matches!(err, Error::Malformed { line: 4, .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "e.txt:4: vector of `odd` has 3 values, expected 4"
    );
    // The header's dimension binds the first vector too.
    let err = parse("2 3\na 1 2\n").unwrap_err();
    assert!(matches!(err, Error::Malformed { line: 2, .. }), "{err:?}");
}

#[test]
fn malformed_values_and_headers_are_errors() {
    let err = parse("a 1 2\nb 1 x\n").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("e.txt:2: value 2 of `b` is not a finite number"),
        "{err}"
    );
    let err = parse("a 1 NaN\n").unwrap_err();
    assert!(matches!(err, Error::Malformed { line: 1, .. }), "{err:?}");
    let err = parse("a\n").unwrap_err();
    assert!(err.to_string().contains("has no vector"), "{err}");
    let err = parse(&text(3, 2, false).replacen("", "5 2\n", 1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "e.txt:1: header says 5 vectors, file has 3"
    );
    let err = parse("\n\n").unwrap_err();
    assert!(err.to_string().contains("no vectors"), "{err}");
    // An empty file: its end is line 1, not 0.
    let err = parse("").unwrap_err();
    assert_eq!(err.to_string(), "e.txt:1: no vectors in embedding file");
    let err = Embeddings::parse(&b"a 1\nb\xfe 2\n"[..], Path::new("e.txt")).unwrap_err();
    assert!(matches!(err, Error::InvalidUtf8 { line: 2, .. }), "{err:?}");
    let err = Embeddings::load("/nonexistent/qmtl/emb.txt").unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[test]
fn first_vector_of_a_duplicated_word_wins() {
    let e = parse("a 1 2\nb 3 4\na 5 6\n").unwrap();
    assert_eq!(e.len(), 2);
    assert_eq!(e.get("a"), Some(&[1.0, 2.0][..]));
    assert_eq!(
        e.iter().map(|(w, v)| (w, v[0])).collect::<Vec<_>>(),
        [("a", 1.0), ("b", 3.0)]
    );
}
