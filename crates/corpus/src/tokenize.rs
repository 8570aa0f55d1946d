//! Tokenization and sentence splitting of plain text, for tagging raw text.
//!
//! The corpora of the paper come tokenized; a user's text does not. [`Tokenizer::Unicode`]
//! follows the default rules of Unicode Standard Annex #29: sentence boundaries first,
//! then word boundaries inside each sentence (the `unicode-segmentation` crate), keeping
//! every segment that is not whitespace. The rules are language-independent: they split
//! "dog." into "dog" and ".", keep "3.50", "1,000" and "can't" whole, but also cut
//! "Mr. Smith" into two sentences and "e.g." into "e.g" and ".", and do not end a
//! sentence at the Greek question mark (U+037E is SContinue, like ";") — exactly what
//! the annex says, no abbreviation lists. A line break always ends a sentence (rule SB4), so
//! text can be split line by line with the same result as all at once.
//! [`Tokenizer::Whitespace`] is for text that is already tokenized: one sentence per
//! line, tokens separated by whitespace.
//!
//! Every token knows whether whitespace followed it in the text, which is what CoNLL-U
//! records as `SpaceAfter=No`; [`TextSentence::text`] rebuilds the sentence from its
//! tokens (runs of whitespace become one space) for the `# text` comment.

use unicode_segmentation::UnicodeSegmentation;

/// How plain text is cut into sentences and tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tokenizer {
    /// UAX #29 sentence and word boundaries.
    Unicode,
    /// One sentence per line, tokens separated by whitespace.
    Whitespace,
}

/// One token of plain text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    /// The token as it is in the text (never empty, never contains whitespace).
    pub form: &'a str,
    /// Whether whitespace (or the end of the text) followed the token.
    pub space_after: bool,
}

/// One sentence of plain text: a stretch of the text that holds at least one token.
/// Its tokens are found again each time [`TextSentence::tokens`] is called, never
/// stored, so a sentence costs a few words of memory however long it is: a megabyte
/// line without a full stop is one "sentence" of 333,333 two-letter tokens, which the
/// tagger reads window by window (issue 12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextSentence<'a> {
    tokenizer: Tokenizer,
    /// All of the text that was split: whether whitespace follows a token is read
    /// from it, also past the end of the sentence.
    text: &'a str,
    /// The sentence's byte range in `text`.
    start: usize,
    end: usize,
}

impl<'a> TextSentence<'a> {
    /// The tokens in order, found anew on each call.
    pub fn tokens(&self) -> impl Iterator<Item = Token<'a>> + 'a {
        let (text, start) = (self.text, self.start);
        let s = &text[start..self.end];
        let runs: Box<dyn Iterator<Item = (usize, &'a str)> + 'a> = match self.tokenizer {
            Tokenizer::Unicode => Box::new(
                s.split_word_bound_indices()
                    .flat_map(move |(i, word)| non_space_runs(word, start + i)),
            ),
            Tokenizer::Whitespace => Box::new(non_space_runs(s, start)),
        };
        runs.map(move |(at, form)| Token {
            form,
            space_after: text[at + form.len()..]
                .chars()
                .next()
                .is_none_or(char::is_whitespace),
        })
    }

    /// The sentence as CoNLL-U's `# text` gives it (also its `Display`).
    pub fn text(&self) -> String {
        self.to_string()
    }
}

/// The tokens, with one space after every token but the last that had whitespace
/// after it in the text: what CoNLL-U's `# text` holds.
impl std::fmt::Display for TextSentence<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut space = false;
        for t in self.tokens() {
            if space {
                f.write_str(" ")?;
            }
            f.write_str(t.form)?;
            space = t.space_after;
        }
        Ok(())
    }
}

impl Tokenizer {
    /// The sentences of `text` (any number of lines), in order, found as they are
    /// asked for. Whitespace-only text gives no sentence.
    pub fn sentences(self, text: &str) -> impl Iterator<Item = TextSentence<'_>> {
        let ranges: Box<dyn Iterator<Item = (usize, usize)> + '_> = match self {
            Tokenizer::Unicode => Box::new(
                text.split_sentence_bound_indices()
                    .map(|(start, s)| (start, start + s.len())),
            ),
            Tokenizer::Whitespace => Box::new(text.split_inclusive('\n').scan(0, |at, line| {
                let start = *at;
                *at += line.len();
                Some((start, *at))
            })),
        };
        ranges
            .map(move |(start, end)| TextSentence {
                tokenizer: self,
                text,
                start,
                end,
            })
            .filter(|s| s.tokens().next().is_some())
    }

    /// [`Tokenizer::sentences`], collected.
    pub fn split(self, text: &str) -> Vec<TextSentence<'_>> {
        self.sentences(text).collect()
    }
}

/// The maximal runs of `s` without whitespace, with their byte offsets plus `base`.
/// A word segment of UAX #29 is either all whitespace or none, except for a space
/// carrying a combining mark (rule WB4), which is cut here.
fn non_space_runs(s: &str, base: usize) -> impl Iterator<Item = (usize, &str)> {
    s.split(char::is_whitespace)
        .filter(|run| !run.is_empty())
        .map(move |run| (base + (run.as_ptr() as usize - s.as_ptr() as usize), run))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The forms of every sentence. Expected values below were worked out by hand from
    /// the rules of UAX #29 (revision for Unicode 17), rule numbers in the comments.
    fn forms(t: Tokenizer, text: &str) -> Vec<Vec<&str>> {
        t.split(text)
            .iter()
            .map(|s| s.tokens().map(|t| t.form).collect())
            .collect()
    }

    fn unicode(text: &str) -> Vec<Vec<&str>> {
        forms(Tokenizer::Unicode, text)
    }

    #[test]
    fn english_punctuation_is_split_off() {
        let text = "The quick brown fox jumps over the lazy dog.";
        let s = Tokenizer::Unicode.split(text);
        assert_eq!(
            unicode(text),
            [["The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "."]]
        );
        let tokens: Vec<Token> = s[0].tokens().collect();
        let dog = tokens[8];
        assert_eq!((dog.form, dog.space_after), ("dog", false));
        assert!(tokens[9].space_after, "end of text counts as space");
        assert_eq!(s[0].text(), text);
    }

    #[test]
    fn sentences_end_at_terminators_followed_by_space() {
        // SB11 after "." and "!"; a comma or a quote does not end one (SContinue, Close).
        assert_eq!(
            unicode("It rained. \"Stay in,\" she said! We did."),
            vec![
                vec!["It", "rained", "."],
                vec!["\"", "Stay", "in", ",", "\"", "she", "said", "!"],
                vec!["We", "did", "."],
            ]
        );
    }

    #[test]
    fn numbers_contractions_and_abbreviations_as_uax29_does_them() {
        // WB11/12 keep 3.50 and 1,000 whole, WB6/7 keep can't and e.g; SB8 does not
        // break before a lowercase word, SB11 does break "Mr. Smith" (no lexicon).
        assert_eq!(
            unicode("Mr. Smith can't pay $3.50 or 1,000 e.g. today."),
            vec![
                vec!["Mr", "."],
                vec!["Smith", "can't", "pay", "$", "3.50", "or", "1,000", "e.g", ".", "today", "."],
            ]
        );
    }

    #[test]
    fn greek_with_its_question_mark_and_combining_accents() {
        // "κα\u{301}νεις" (decomposed) stays one word: the accent is Extend (WB4). U+037E
        // GREEK QUESTION MARK is SContinue, like the ";" it is canonically equal to, so
        // UAX #29 does not end a sentence there (a limit of the default rules).
        let text = "Καλημέρα! Τι κα\u{301}νεις\u{37e} Καλά. Εσύ;";
        assert_eq!(
            unicode(text),
            vec![
                vec!["Καλημέρα", "!"],
                vec!["Τι", "κα\u{301}νεις", "\u{37e}", "Καλά", "."],
                vec!["Εσύ", ";"],
            ]
        );
    }

    #[test]
    fn tamil_vowel_signs_and_virama_stay_inside_words() {
        // Tamil letters are ALetter, the vowel signs and the virama (U+0BCD) Extend.
        let text = "நான் வீட்டுக்குப் போனேன். அவள் வந்தாள்.";
        let s = Tokenizer::Unicode.split(text);
        assert_eq!(
            unicode(text),
            vec![
                vec!["நான்", "வீட்டுக்குப்", "போனேன்", "."],
                vec!["அவள்", "வந்தாள்", "."],
            ]
        );
        let tokens: Vec<Token> = s[0].tokens().collect();
        assert!(!tokens[2].space_after && tokens[3].space_after);
        assert_eq!(s[1].text(), "அவள் வந்தாள்.");
    }

    #[test]
    fn cyrillic_arabic_and_emoji() {
        assert_eq!(unicode("Привет, мир!"), [["Привет", ",", "мир", "!"]]);
        assert_eq!(unicode("مرحبا بالعالم."), [["مرحبا", "بالعالم", "."]]);
        // WB3c keeps a ZWJ sequence whole.
        let family = "\u{1f469}\u{200d}\u{1f467}";
        assert_eq!(unicode(&format!("{family} ok")), [[family, "ok"]]);
    }

    #[test]
    fn han_ideographs_are_one_token_each_without_spaces() {
        // Ideographs are not ALetter (WB999 breaks between them); 。 is STerm.
        let s = Tokenizer::Unicode.split("我爱北京。你好。");
        assert_eq!(
            unicode("我爱北京。你好。"),
            vec![vec!["我", "爱", "北", "京", "。"], vec!["你", "好", "。"]]
        );
        assert!(s[0].tokens().all(|t| !t.space_after));
        assert_eq!(s[0].text(), "我爱北京。");
    }

    #[test]
    fn line_breaks_end_sentences_and_whitespace_runs_collapse() {
        let text = "no full stop here\n\n  two \t spaces  \r\nlast";
        let s = Tokenizer::Unicode.split(text);
        assert_eq!(
            unicode(text),
            vec![
                vec!["no", "full", "stop", "here"],
                vec!["two", "spaces"],
                vec!["last"]
            ]
        );
        assert_eq!(s[1].text(), "two spaces");
        // Splitting line by line gives the same sentences (what streaming relies on).
        let by_line: Vec<Vec<&str>> = text.split_inclusive('\n').flat_map(unicode).collect();
        assert_eq!(by_line, unicode(text));
    }

    #[test]
    fn no_token_is_empty_or_holds_whitespace() {
        // A space followed by a combining mark is one UAX #29 segment (WB4).
        let text = "a \u{301}b\u{a0}c\u{2003}d";
        for t in Tokenizer::Unicode
            .split(text)
            .iter()
            .flat_map(|s| s.tokens())
        {
            assert!(
                !t.form.is_empty() && !t.form.contains(char::is_whitespace),
                "{t:?}"
            );
        }
        assert_eq!(unicode("  \n\t\n"), Vec::<Vec<&str>>::new());
    }

    #[test]
    fn whitespace_tokenizer_keeps_tokens_as_written() {
        let text = "dog. cat\n\n  x\ty  \n";
        let s = Tokenizer::Whitespace.split(text);
        assert_eq!(
            forms(Tokenizer::Whitespace, text),
            vec![vec!["dog.", "cat"], vec!["x", "y"]]
        );
        assert!(s.iter().flat_map(|s| s.tokens()).all(|t| t.space_after));
        assert_eq!(s[1].text(), "x y");
    }
}
