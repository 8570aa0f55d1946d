//! CoNLL-U: word = FORM (column 2), tag = UPOS (column 4), model-spec section 1.
//!
//! Comment lines (`#`) are skipped, and so are multiword-token lines (ID `3-4`,
//! whose FORM spans several syntactic words that have their own lines) and empty
//! nodes (ID `8.1`, which are not surface tokens). Counting only integer-ID lines
//! is what reproduces Table 1 of the paper exactly.

use std::path::Path;

use super::{is_conllu_id, lines, SentenceBuilder};
use crate::error::{Error, Result};
use crate::sentence::Sentence;

pub(super) fn parse(text: &str, path: &Path) -> Result<Vec<Sentence>> {
    let mut builder = SentenceBuilder::new();
    for (n, line) in lines(text) {
        if line.is_empty() {
            builder.close();
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        // Only ID, FORM and UPOS are needed; the rest is counted, not collected.
        let mut fields = line.split('\t');
        let (id, word, lemma, tag) = (fields.next(), fields.next(), fields.next(), fields.next());
        let found = [id, word, lemma, tag].iter().flatten().count() + fields.count();
        let (Some(id), Some(word), Some(tag), 10) = (id, word, tag, found) else {
            return Err(Error::Columns {
                path: path.into(),
                line: n,
                expected: "10 (CoNLL-U, tab-separated)".into(),
                found,
            });
        };
        if !is_conllu_id(id) {
            return Err(Error::Malformed {
                path: path.into(),
                line: n,
                message: format!("bad CoNLL-U ID `{id}`"),
            });
        }
        if id.contains(['-', '.']) {
            continue;
        }
        for (value, field) in [(word, "word (FORM)"), (tag, "tag (UPOS)")] {
            if value.is_empty() {
                return Err(Error::EmptyField {
                    path: path.into(),
                    line: n,
                    field,
                });
            }
        }
        builder.push(word, tag, n);
    }
    Ok(builder.finish())
}
