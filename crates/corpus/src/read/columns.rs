//! Column files (CoNLL-2002/2003 NER): first column = word, last column = tag.
//!
//! A line that contains a tab is split at every tab (so a word may contain a space
//! and an empty field is detected); other lines are split at runs of spaces. Every
//! token line of a file must have the same number of columns, at least two. A line
//! whose first column is `-DOCSTART-` separates documents: it closes the current
//! sentence and is not a token (the Dutch CoNLL-2002 files have them, the paper's
//! English files do not).

use std::path::Path;

use super::{lines, SentenceBuilder};
use crate::error::{Error, Result};
use crate::sentence::Sentence;

/// The document separator of the CoNLL shared tasks.
pub const DOCSTART: &str = "-DOCSTART-";

/// Where the tag (the last column) of a token line begins, in bytes, by the
/// reader's rule: after the line's last tab if it has one, else after its last
/// space. `line` is without its ending and trailing spaces and tabs.
pub fn tag_start(line: &str) -> usize {
    let sep = if line.contains('\t') { '\t' } else { ' ' };
    line.rfind(sep).map_or(0, |k| k + 1)
}

pub(super) fn parse(text: &str, path: &Path) -> Result<Vec<Sentence>> {
    let mut builder = SentenceBuilder::new();
    // (number of columns, line that set it)
    let mut width: Option<(usize, usize)> = None;
    for (n, line) in lines(text) {
        if line.is_empty() {
            builder.close();
            continue;
        }
        let (word, tag, found) = if line.contains('\t') {
            first_last_count(line.split('\t'))
        } else {
            first_last_count(line.split(' ').filter(|f| !f.is_empty()))
        };
        if word == DOCSTART {
            builder.close();
            continue;
        }
        match width {
            _ if found < 2 => {
                return Err(Error::Columns {
                    path: path.into(),
                    line: n,
                    expected: "at least 2 (word ... tag)".into(),
                    found,
                })
            }
            Some((w, first)) if w != found => {
                return Err(Error::Columns {
                    path: path.into(),
                    line: n,
                    expected: format!("{w} (as on line {first})"),
                    found,
                })
            }
            Some(_) => {}
            None => width = Some((found, n)),
        }
        for (value, field) in [(word, "word (first column)"), (tag, "tag (last column)")] {
            if value.trim().is_empty() {
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

/// The first and last field and the number of fields (at least one: lines are not empty).
fn first_last_count<'a>(mut fields: impl Iterator<Item = &'a str>) -> (&'a str, &'a str, usize) {
    let first = fields.next().unwrap_or("");
    let (last, count) = fields.fold((first, 1), |(_, n), f| (f, n + 1));
    (first, last, count)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_tag_starts_after_the_last_separator_of_the_line() {
        assert_eq!(super::tag_start("Paris B-LOC"), 6);
        // Tabs win over spaces; a no-break space is part of a field.
        assert_eq!(super::tag_start("New York\tB LOC"), 9);
        assert_eq!(super::tag_start("x B-LOC\u{a0}"), 2);
        assert_eq!(super::tag_start("alone"), 0);
    }
}
