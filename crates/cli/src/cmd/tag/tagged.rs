//! CoNLL-U and column input in `qmtl tag`: a block is parsed by the corpus reader
//! (errors name the line in the whole input), its sentences are tagged in windows of at
//! most [`MAX_SEQUENCE`] tokens, and its lines are written back in order as they are
//! tagged, each token line with its tag field replaced and every other byte kept.

use anyhow::Result;
use corpus::{parse_corpus, Format};
use models::eval::MAX_SEQUENCE;
use models::ModelFile;

use super::input::Block;
use super::{misc, Piece, Predictor};

/// Tags the sentences of `b` and emits its lines; returns the number of tokens.
pub fn tag(
    model: &ModelFile,
    b: &Block,
    format: Format,
    path: &std::path::Path,
    probs: bool,
    predictor: &mut Predictor,
    emit: &mut dyn FnMut(Piece) -> Result<()>,
) -> Result<usize> {
    let corpus = match parse_corpus(b.text.as_bytes(), path, Some(format)) {
        Ok(c) => c,
        Err(corpus::Error::NoSentences { .. }) => {
            emit(Piece::Text(b.text.clone()))?;
            return Ok(0);
        }
        Err(e) => return Err(e.lines_down(b.first_line - 1).into()),
    };
    // (sentence, first token, end) of every window, as models::predict cuts them.
    let windows = corpus.sentences.iter().flat_map(|s| {
        (0..s.len())
            .step_by(MAX_SEQUENCE)
            .map(move |a| (s, a, (a + MAX_SEQUENCE).min(s.len())))
    });
    let mut windows = windows.peekable();
    let mut lines = b.text.split_inclusive('\n');
    // Lines of the block written so far.
    let mut done = 0;
    while windows.peek().is_some() {
        let group: Vec<_> = windows.by_ref().take(predictor.width()).collect();
        let xs: Vec<_> = group
            .iter()
            .map(|&(s, a, e)| model.vocab.encode_words(&s.words[a..e]))
            .collect();
        for (&(s, a, e), p) in group.iter().zip(predictor.predict(model, &xs)) {
            if a == 0 {
                emit(Piece::Sentence)?;
            }
            let mut out = String::new();
            for i in a..e {
                // Comments, multiword and empty-node lines before the token, as they are.
                let n = s.lines[i];
                while done + 1 < n {
                    out.push_str(lines.next().expect("a token's line is in its block"));
                    done += 1;
                }
                let line = lines.next().expect("a token's line is in its block");
                done += 1;
                let name = model.vocab.tags.name(p.tags[i - a]);
                let m = probs.then(|| misc(&p, i - a));
                out.push_str(&retag(line, format, name, m.as_deref()));
            }
            emit(Piece::Text(out))?;
        }
    }
    let rest: String = lines.collect();
    if !rest.is_empty() {
        emit(Piece::Text(rest))?;
    }
    Ok(corpus.tokens())
}

/// A token line with its tag field replaced (UPOS of CoNLL-U, the last column of a
/// column file) and `misc` appended to CoNLL-U's MISC; the line ending is kept.
fn retag(line: &str, format: Format, tag: &str, misc: Option<&str>) -> String {
    let content = line.trim_end_matches(['\n', '\r']);
    let ending = &line[content.len()..];
    // The readers ignore trailing spaces and tabs; so does the rewrite.
    let body = content.trim_end_matches([' ', '\t']);
    let mut out = match format {
        Format::Conllu => {
            let mut f: Vec<&str> = body.split('\t').collect();
            f[3] = tag;
            let joined;
            if let Some(m) = misc {
                joined = if f[9] == "_" {
                    m.to_string()
                } else {
                    format!("{}|{m}", f[9])
                };
                f[9] = &joined;
            }
            f.join("\t")
        }
        Format::Columns => format!("{}{tag}", &body[..corpus::column_tag_start(body)]),
    };
    out.push_str(ending);
    out
}
