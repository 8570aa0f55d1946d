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
//! A [`Lexicon`] (the words a model was trained on) adjusts UAX #29's tokens to the
//! treebank's conventions, see [`Lexicon`]: "p.m." and "e-mail" are joined when the
//! treebank writes them as one token, "can't" is cut into "ca" and "n't" when it cuts
//! them; a sentence does not end after one of its abbreviations ("Dr. Smith") or at
//! a full stop between two letters ("ஐ.பி.எல்."). Joined and cut tokens had no
//! whitespace between them, so the text (`# text`) is the same with or without one.
//!
//! Every token knows whether whitespace followed it in the text, which is what CoNLL-U
//! records as `SpaceAfter=No`; [`TextSentence::text`] rebuilds the sentence from its
//! tokens (runs of whitespace become one space) for the `# text` comment.

use std::collections::{HashSet, VecDeque};

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

impl Token<'_> {
    /// The token's byte range in `text`, the text it was cut from.
    ///
    /// # Panics
    /// If the token is not a slice of `text`.
    pub fn span_in(&self, text: &str) -> (usize, usize) {
        let start = (self.form.as_ptr() as usize)
            .checked_sub(text.as_ptr() as usize)
            .filter(|&at| at + self.form.len() <= text.len())
            .expect("a token of this text");
        (start, start + self.form.len())
    }
}

/// One sentence of plain text: a stretch of the text that holds at least one token.
/// Its tokens are found again each time [`TextSentence::tokens`] is called, never
/// stored, so a sentence costs a few words of memory however long it is: a megabyte
/// line without a full stop is one "sentence" of 333,333 two-letter tokens, which the
/// tagger reads window by window (issue 12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextSentence<'a> {
    tokenizer: Tokenizer,
    /// Adjusts UAX #29's tokens to a treebank's (Unicode only).
    lexicon: Option<&'a Lexicon>,
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
        let runs: Box<dyn Iterator<Item = (usize, &'a str)> + 'a> =
            match (self.tokenizer, self.lexicon) {
                (Tokenizer::Unicode, lexicon) => {
                    let runs = s
                        .split_word_bound_indices()
                        .flat_map(move |(i, word)| non_space_runs(word, start + i));
                    match lexicon {
                        Some(lex) => Box::new(Refine::new(lex, text, runs)),
                        None => Box::new(runs),
                    }
                }
                (Tokenizer::Whitespace, _) => Box::new(non_space_runs(s, start)),
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
        self.sentences_with(text, None)
    }

    /// [`Tokenizer::sentences`], the tokens of [`Tokenizer::Unicode`] adjusted to
    /// `lexicon`'s treebank when there is one (whitespace tokens are kept as they are).
    pub fn sentences_with<'a>(
        self,
        text: &'a str,
        lexicon: Option<&'a Lexicon>,
    ) -> impl Iterator<Item = TextSentence<'a>> {
        let ranges: Box<dyn Iterator<Item = (usize, usize)> + '_> = match self {
            Tokenizer::Unicode => {
                let uax = text
                    .split_sentence_bound_indices()
                    .map(|(start, s)| (start, start + s.len()));
                match lexicon {
                    // A sentence does not end after a training abbreviation.
                    Some(lex) => Box::new(JoinAbbreviations {
                        lex,
                        text,
                        ranges: uax,
                    }),
                    None => Box::new(uax),
                }
            }
            Tokenizer::Whitespace => Box::new(text.split_inclusive('\n').scan(0, |at, line| {
                let start = *at;
                *at += line.len();
                Some((start, *at))
            })),
        };
        ranges
            .map(move |(start, end)| TextSentence {
                tokenizer: self,
                lexicon,
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

/// The words a model was trained on, to cut plain text the way its treebank is cut.
///
/// UAX #29 knows no language: it cuts "p.m." into "p.m" and ".", "e-mail" into three,
/// and keeps "can't" whole, whatever the treebank did. A lexicon adjusts its tokens,
/// learning only from the training words, never from a list:
///
/// - **Joining.** Up to [`Lexicon::MAX_JOIN`] consecutive tokens with no whitespace
///   between them become one when together they are a training word ("p.m.", "Mr.",
///   "e.g.", "1999." where the treebank writes ordinals so); the longest such run
///   wins.
/// - **Compounds.** Where the treebank writes hyphenated compounds as one token (at
///   least [`Lexicon::HYPHENATED`] of its words are, like "well-known"), words joined
///   by hyphens (`-`, U+2010, U+2011) with no space become one token, known or not
///   and however many.
/// - **Cutting clitics.** A token that is not a training word and ends with a short
///   training word holding an apostrophe (at most four characters: "n't", "'s",
///   "'ll") is cut before it when the clitic begins with the apostrophe or what is
///   left is a training word: "can't" becomes "ca" and "n't", "Anna's" "Anna" and
///   "'s", but Turkish "Reuters'ın" is not cut into "Reuter" and "s'ın". A straight
///   and a curly apostrophe count as one, so "can’t" is cut too.
/// - **Sentences.** A sentence does not end after a training word of one or two
///   letters and a full stop ("Dr.", Greek "κ."; not a Roman numeral, "II."), nor at
///   a full stop between two letters with no space (Tamil initials "ஐ.பி.எல்.")
///   where some training word has one; a line break still ends one.
///
/// The training words are a treebank's syntactic words, so where it splits a
/// multiword token (Turkish "DYP'li" is "DYP" and "'li"), the tokenizer cuts the
/// same way: the model reads the words it was trained on, while the gold surface
/// token stays whole. A treebank without such words (most languages have no
/// apostrophe clitics) leaves UAX #29's tokens as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lexicon {
    words: HashSet<Box<str>>,
    /// The longest word, in bytes: no longer run of tokens can be one.
    longest: usize,
    /// Short words holding an apostrophe, longest first, each also with its other
    /// apostrophe; with whether it begins with one.
    clitics: Vec<(Box<str>, bool)>,
    /// Whether hyphenated compounds are one token.
    hyphens: bool,
    /// Whether some word holds a letter, a full stop and a letter ("e.g.").
    dotted: bool,
}

impl Lexicon {
    /// The most tokens joined into one training word.
    pub const MAX_JOIN: usize = 9;
    /// How many hyphenated words make a treebank one that joins them.
    pub const HYPHENATED: usize = 10;

    /// The lexicon of these training words (repeats do not matter).
    pub fn new<'w>(words: impl IntoIterator<Item = &'w str>) -> Self {
        let words: HashSet<Box<str>> = words.into_iter().map(Box::from).collect();
        let mut clitics: Vec<(Box<str>, bool)> = words
            .iter()
            .filter(|w| (2..=4).contains(&w.chars().count()) && w.contains(is_apostrophe))
            .flat_map(|w| {
                let other: String = w
                    .chars()
                    .map(|c| match c {
                        '\'' => '\u{2019}',
                        '\u{2019}' => '\'',
                        c => c,
                    })
                    .collect();
                [w.clone(), other.into_boxed_str()]
            })
            .map(|c| {
                let leading = c.starts_with(is_apostrophe);
                (c, leading)
            })
            .collect();
        // Longest first, then by text, so the choice does not depend on hashing.
        clitics.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        clitics.dedup();
        let hyphenated = words.iter().filter(|w| is_compound(w)).count();
        let dotted = words.iter().any(|w| {
            let c: Vec<char> = w.chars().collect();
            c.windows(3)
                .any(|t| t[1] == '.' && t[0].is_alphabetic() && t[2].is_alphabetic())
        });
        Lexicon {
            dotted,
            longest: words.iter().map(|w| w.len()).max().unwrap_or(0),
            words,
            clitics,
            hyphens: hyphenated >= Self::HYPHENATED,
        }
    }

    /// The lexicon of a vocabulary's training words (not those added from an
    /// embedding file, which follow another tokenization).
    pub fn of_training(vocab: &crate::Vocab) -> Self {
        let names = vocab.words.names().iter().enumerate();
        Self::new(
            names
                .filter(|&(id, _)| vocab.word_counts.get(id).is_some_and(|&n| n > 0))
                .map(|(_, w)| w.as_str()),
        )
    }

    /// Whether `w` is a training word.
    pub fn knows(&self, w: &str) -> bool {
        self.words.contains(w)
    }

    /// Whether hyphenated compounds are one token in this treebank.
    pub fn joins_hyphens(&self) -> bool {
        self.hyphens
    }

    /// Where to cut `w` before a clitic, if anywhere.
    fn clitic_of(&self, w: &str) -> Option<usize> {
        if self.knows(w) || self.clitics.iter().any(|(c, _)| **c == *w) {
            return None;
        }
        self.clitics.iter().find_map(|(c, leading)| {
            let stem = w.strip_suffix(&**c)?;
            let fits = !stem.is_empty()
                && !stem.ends_with(is_apostrophe)
                && (*leading || self.knows(stem));
            fits.then_some(stem.len())
        })
    }

    /// Whether `text` (a sentence by UAX #29, whitespace included) ends with a
    /// training abbreviation: a word of one or two letters and a full stop that the
    /// treebank writes as one token ("Dr.", Greek "κ.", Hungarian "dr.", Tamil
    /// "ரூ."), after which UAX #29 ends a sentence before a capital ("Dr. Rózsa")
    /// where the treebank does not. Longer ones ("etc.") and numbers ("1999.") end
    /// sentences as often as not, and keep UAX #29's boundary; so does a line break.
    fn ends_with_abbreviation(&self, text: &str) -> bool {
        if text.ends_with(|c| is_line_break(c) || c == '\u{2029}') {
            return false;
        }
        let text = text.trim_end();
        let Some(stem) = text.strip_suffix('.') else {
            return false;
        };
        // The last one or two letters (graphemes) before the stop, after a space
        // or at the start: not the end of "U.S." or "mid-B.", nor a Roman numeral
        // of two letters ("II.", an ordinal).
        let letters: Vec<&str> = stem.graphemes(true).rev().take(3).collect();
        let is_letter = |g: &&str| g.chars().next().is_some_and(char::is_alphabetic);
        let roman =
            |w: &[&str]| w.len() > 1 && w.iter().all(|g| g.len() == 1 && "IVXLCDM".contains(*g));
        (1..=2).any(|n| {
            letters.len() >= n
                && letters[..n].iter().all(is_letter)
                && letters
                    .get(n)
                    .is_none_or(|g| g.chars().all(char::is_whitespace))
                && !roman(&letters[..n])
                && {
                    let word_len: usize = letters[..n].iter().map(|g| g.len()).sum::<usize>() + 1;
                    self.knows(&text[text.len() - word_len..])
                }
        })
    }

    /// Whether UAX #29 ended `sentence` inside a token: at an ASCII full stop
    /// between two letters with no space ("ஐ.|பி.எல்.": Tamil letters are no
    /// capitals to UAX #29), where the treebank writes such tokens (some training
    /// word has a letter, a stop and a letter). Not between ideographs, kana or
    /// hangul, whose text has no spaces ("谢谢.我"), nor at `?` or `!`.
    fn stops_inside_a_token(&self, sentence: &str, rest: &str) -> bool {
        let letter = |c: Option<char>| c.is_some_and(|c| c.is_alphabetic() && !is_cjk(c));
        self.dotted
            && sentence.ends_with('.')
            && letter(sentence[..sentence.len() - 1].chars().next_back())
            && letter(rest.chars().next())
    }
}

/// The lines of a paragraph of hard-wrapped text as one line: each line break
/// (`\r`, `\n`, U+0085, U+2028) becomes a space, so that only a sentence's own end
/// ends it. With a lexicon, a word hyphenated at a line end ("exam-⏎ple") is joined
/// without its hyphen where the joined word is a training word and the hyphenated
/// one is not; otherwise the hyphen stays and the parts join ("well-⏎known" is
/// "well-known").
pub fn unwrap_lines(text: &str, lexicon: Option<&Lexicon>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(is_line_break) {
        let (line, tail) = rest.split_at(at);
        let after = tail.trim_start_matches(is_line_break);
        let broken = tail.len() - after.len();
        // The word before a hyphen that ends the line, and the word the next line
        // begins with.
        let stem = line.strip_suffix('-').map(|l| {
            let start = l
                .char_indices()
                .rev()
                .take_while(|&(_, c)| c.is_alphabetic())
                .last()
                .map_or(l.len(), |(i, _)| i);
            &l[start..]
        });
        let next_len = after
            .char_indices()
            .find(|&(_, c)| !c.is_alphabetic())
            .map_or(after.len(), |(i, _)| i);
        let next = &after[..next_len];
        let breaks = &tail[..broken];
        let one_break = breaks == "\r\n" || breaks.chars().count() == 1;
        match stem.filter(|stem| one_break && !stem.is_empty() && !next.is_empty()) {
            // A word hyphenated at the line end: its parts join, without the
            // hyphen where the lexicon says so.
            Some(stem) => {
                let unhyphenate = lexicon.is_some_and(|lex| {
                    lex.knows(&format!("{stem}{next}")) && !lex.knows(&format!("{stem}-{next}"))
                });
                out.push_str(if unhyphenate {
                    &line[..line.len() - 1]
                } else {
                    line
                });
            }
            None => {
                out.push_str(line);
                out.push(' ');
            }
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// A line break that is not a paragraph's end: `\r`, `\n`, U+0085, U+2028.
fn is_line_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}')
}

/// Han ideographs, kana and hangul: scripts written without spaces.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xac00..=0xd7af
        | 0xf900..=0xfaff | 0x20000..=0x3134f)
}

/// UAX #29's sentences, each joined with the next while it ends with a training
/// abbreviation ([`Lexicon::ends_with_abbreviation`]).
struct JoinAbbreviations<'a, I: Iterator<Item = (usize, usize)>> {
    lex: &'a Lexicon,
    text: &'a str,
    ranges: I,
}

impl<I: Iterator<Item = (usize, usize)>> Iterator for JoinAbbreviations<'_, I> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let (start, mut end) = self.ranges.next()?;
        while self.lex.ends_with_abbreviation(&self.text[start..end])
            || self
                .lex
                .stops_inside_a_token(&self.text[start..end], &self.text[end..])
        {
            match self.ranges.next() {
                Some((_, next_end)) => end = next_end,
                None => break,
            }
        }
        Some((start, end))
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}')
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

/// A word of a compound: every grapheme begins with a letter or digit (so letters
/// keep their combining marks: Tamil "வீட்டு", Greek "κα\u{301}").
fn is_word(w: &str) -> bool {
    !w.is_empty()
        && w.graphemes(true)
            .all(|g| g.chars().next().is_some_and(char::is_alphanumeric))
}

/// Words joined by single hyphens, with at least one hyphen: "e-mail",
/// "state-of-the-art", "EU-ban".
fn is_compound(w: &str) -> bool {
    w.contains(is_hyphen) && w.split(is_hyphen).all(is_word)
}

/// UAX #29's non-whitespace runs (byte offset in the text, run) adjusted to a
/// lexicon: hyphenated compounds joined, runs joined into training words, tokens
/// cut before a clitic. Holds at most [`Lexicon::MAX_JOIN`] runs at a time.
struct Refine<'a, I> {
    lex: &'a Lexicon,
    text: &'a str,
    runs: I,
    ahead: VecDeque<(usize, &'a str)>,
}

impl<'a, I: Iterator<Item = (usize, &'a str)>> Refine<'a, I> {
    fn new(lex: &'a Lexicon, text: &'a str, runs: I) -> Self {
        Refine {
            lex,
            text,
            runs,
            ahead: VecDeque::with_capacity(Lexicon::MAX_JOIN),
        }
    }

    /// Reads runs until `n` are ahead (fewer at the end); whether there are `n`.
    fn fill(&mut self, n: usize) -> bool {
        while self.ahead.len() < n {
            match self.runs.next() {
                Some(r) => self.ahead.push_back(r),
                None => return false,
            }
        }
        true
    }

    /// Whether run `i` ahead begins where run `i - 1` ends.
    fn touches(&self, i: usize) -> bool {
        let ((prev_at, prev), (at, _)) = (self.ahead[i - 1], self.ahead[i]);
        prev_at + prev.len() == at
    }

    /// The end (byte offset) of a hyphenated compound that begins the runs ahead,
    /// consuming its runs: word, hyphen, word, and as many more hyphens and words
    /// as touch, however many (two runs are held at a time). The last word may
    /// carry a clitic ("mother-in-law's"), which [`Refine::cut`] then cuts off.
    fn compound(&mut self) -> Option<usize> {
        let is_hyphen_run = |r: &str| r.chars().count() == 1 && r.starts_with(is_hyphen);
        // Whether a run can follow a hyphen: a word, or (ending the compound) a
        // word and a clitic.
        let part = |me: &Self, r: &str| -> Option<bool> {
            if is_word(r) {
                return Some(true);
            }
            let clitic = me.lex.clitic_of(r)?;
            is_word(&r[..clitic]).then_some(false)
        };
        if !(self.lex.hyphens
            && self.fill(3)
            && self.touches(1)
            && self.touches(2)
            && is_word(self.ahead[0].1)
            && is_hyphen_run(self.ahead[1].1))
        {
            return None;
        }
        let mut more = part(self, self.ahead[2].1)?;
        let (at, run) = self.ahead[2];
        let mut end = at + run.len();
        self.ahead.drain(..3);
        while more
            && self.fill(2)
            && self.ahead[0].0 == end
            && self.touches(1)
            && is_hyphen_run(self.ahead[0].1)
        {
            let Some(goes_on) = part(self, self.ahead[1].1) else {
                break;
            };
            let (at, run) = self.ahead[1];
            end = at + run.len();
            more = goes_on;
            self.ahead.drain(..2);
        }
        Some(end)
    }

    /// How many of the runs ahead (at least 2) to join into one token, if any: the
    /// longest touching run of them that is a training word.
    fn join(&mut self) -> Option<usize> {
        self.fill(Lexicon::MAX_JOIN);
        let &(start, _) = self.ahead.front()?;
        let mut best = None;
        for n in 2..=self.ahead.len() {
            let (at, run) = self.ahead[n - 1];
            if !self.touches(n - 1) || at + run.len() - start > self.lex.longest {
                break;
            }
            if self.lex.knows(&self.text[start..at + run.len()]) {
                best = Some(n);
            }
        }
        best
    }

    /// The token `text[at..end]`, or its part before a clitic (the clitic is read
    /// next).
    fn cut(&mut self, at: usize, end: usize) -> (usize, &'a str) {
        let token = &self.text[at..end];
        match self.lex.clitic_of(token) {
            Some(cut) => {
                self.ahead.push_front((at + cut, &token[cut..]));
                (at, &token[..cut])
            }
            None => (at, token),
        }
    }
}

impl<'a, I: Iterator<Item = (usize, &'a str)>> Iterator for Refine<'a, I> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        self.fill(1);
        let &(start, _) = self.ahead.front()?;
        if let Some(end) = self.compound() {
            return Some(self.cut(start, end));
        }
        if let Some(n) = self.join() {
            let (at, run) = self.ahead[n - 1];
            self.ahead.drain(..n);
            return Some((start, &self.text[start..at + run.len()]));
        }
        let (at, run) = self.ahead.pop_front()?;
        Some(self.cut(at, at + run.len()))
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
    fn with_a_lexicon_tokens_still_cover_the_text_and_lines_split_alike() {
        // Every rule of the lexicon at once, on text that exercises each: the
        // tokens are the text's non-space characters in order, none empty or
        // holding whitespace, space_after right, and the sentences line by line
        // the sentences of the whole text.
        let mut words: Vec<String> = (0..Lexicon::HYPHENATED)
            .map(|i| format!("x{i}-y"))
            .collect();
        words.extend(["ca", "n't", "'s", "Mr.", "e.g.", "p.m."].map(String::from));
        let lex = Lexicon::new(words.iter().map(String::as_str));
        let text = "Mr. Smith can't go at 3 p.m.! Anna\u{2019}s well-known \u{301}x-y-z.\r\n\
                    ஐ.பி.எல். அமைப்பு — a\u{a0}b ab-. -cd e.g.x\u{2028}Mr.\u{85}Dr. Who?\n\n 谢谢.我";
        let sentences: Vec<TextSentence> = Tokenizer::Unicode
            .sentences_with(text, Some(&lex))
            .collect();
        let tokens: Vec<Token> = sentences.iter().flat_map(|s| s.tokens()).collect();
        let mut at = 0;
        for t in &tokens {
            assert!(
                !t.form.is_empty() && !t.form.contains(char::is_whitespace),
                "{t:?}"
            );
            let (start, end) = t.span_in(text);
            assert!(
                text[at..start].chars().all(char::is_whitespace),
                "{t:?} after {at}"
            );
            at = end;
            assert_eq!(
                t.space_after,
                text[at..].chars().next().is_none_or(char::is_whitespace),
                "{t:?}"
            );
        }
        assert!(text[at..].trim().is_empty());
        let by_line: Vec<Vec<String>> = text
            .split_inclusive('\n')
            .flat_map(|l| with(&lex, l))
            .collect();
        assert_eq!(by_line, with(&lex, text));
    }

    /// A lexicon with just enough hyphenated words to join compounds.
    fn hyphenating() -> Lexicon {
        let compounds: Vec<String> = (0..Lexicon::HYPHENATED)
            .map(|i| format!("x{i}-y"))
            .collect();
        Lexicon::new(compounds.iter().map(String::as_str))
    }

    fn with(lex: &Lexicon, text: &str) -> Vec<Vec<String>> {
        Tokenizer::Unicode
            .sentences_with(text, Some(lex))
            .map(|s| s.tokens().map(|t| t.form.to_string()).collect())
            .collect()
    }

    #[test]
    fn a_lexicon_joins_the_training_words_that_uax29_cuts() {
        let lex = Lexicon::new(["p.m.", "e.g.", "Mr.", "U.S.", "at"]);
        assert!(!lex.joins_hyphens());
        assert_eq!(
            with(&lex, "at 3 p.m. e.g. in the U.S. today"),
            [["at", "3", "p.m.", "e.g.", "in", "the", "U.S.", "today"]]
        );
        // Only tokens that touch: "p.m ." is two tokens however it is written.
        assert_eq!(with(&lex, "at p.m ."), [["at", "p.m", "."]]);
        let s = Tokenizer::Unicode.split("at 3 p.m. e.g. today");
        let l = Tokenizer::Unicode.sentences_with("at 3 p.m. e.g. today", Some(&lex));
        assert_eq!(l.map(|s| s.text()).collect::<Vec<_>>(), [s[0].text()]);
    }

    #[test]
    fn a_sentence_goes_on_after_a_training_abbreviation_and_inside_a_token() {
        let lex = Lexicon::new(["Mr.", "κ.", "etc.", "1999.", "ரூ."]);
        // UAX #29 ends a sentence after "Mr. " before a capital; the treebank's
        // "Mr." says it does not end there.
        assert_eq!(
            unicode("Mr. Smith came."),
            [vec!["Mr", "."], vec!["Smith", "came", "."]]
        );
        assert_eq!(
            with(&lex, "Mr. Smith came."),
            [["Mr.", "Smith", "came", "."]]
        );
        assert_eq!(
            with(&lex, "Ο κ. Watson είπε."),
            [["Ο", "κ.", "Watson", "είπε", "."]]
        );
        assert_eq!(with(&lex, "ரூ. 470 கோடி."), [["ரூ.", "470", "கோடி", "."]]);
        // Not after longer abbreviations or numbers, which end sentences as often,
        // nor after an unknown one, nor across a line break.
        assert_eq!(with(&lex, "Books etc. The end.").len(), 2);
        assert_eq!(with(&lex, "In 1999. The end.").len(), 2);
        assert_eq!(with(&lex, "Dr. Smith came.").len(), 2);
        assert_eq!(with(&lex, "Mr.\nSmith came.").len(), 2);
        // A full stop between letters is inside a token (Tamil initials: no
        // capitals to UAX #29) where the treebank has such tokens ("e.g."); not
        // between ideographs, nor at "?" or "!".
        let text = "ஐ.பி.எல். அமைப்பு. Visit a.com/x?b=1 now. 谢谢.我很好.";
        assert_eq!(unicode(text).len(), 8);
        let dotted = Lexicon::new(["e.g."]);
        assert_eq!(
            with(&dotted, text),
            [
                vec!["ஐ.பி.எல்", "."],
                vec!["அமைப்பு", "."],
                vec!["Visit", "a.com", "/", "x", "?"],
                vec!["b", "=", "1", "now", "."],
                vec!["谢", "谢", "."],
                vec!["我", "很", "好", "."],
            ]
        );
        assert_eq!(
            with(&lex, text).len(),
            8,
            "no training word has a dotted letter"
        );
        // Initials and Roman numerals: "II." ends sentences as an ordinal does.
        let hu = Lexicon::new(["II.", "L.", "dr."]);
        assert_eq!(
            with(&hu, "Ő L. Enrique. Ez a II. Aztán dr. Rózsa.").len(),
            3
        );
        // Not the end of a longer token: "U.S." is no "S." abbreviation.
        let us = Lexicon::new(["S.", "U.S."]);
        assert_eq!(with(&us, "We met in the U.S. The end.").len(), 2);
        // Every line break keeps its boundary.
        for br in ["\n", "\r\n", "\u{85}", "\u{2028}", "\u{2029}"] {
            assert_eq!(
                with(&lex, &format!("Mr.{br}Smith came.")).len(),
                2,
                "{br:?}"
            );
        }
        // The sentences' text is the text, whatever joined them.
        let joined: Vec<String> = Tokenizer::Unicode
            .sentences_with("Mr. Smith came.", Some(&lex))
            .map(|s| s.text())
            .collect();
        assert_eq!(joined, ["Mr. Smith came."]);
    }

    #[test]
    fn hard_wrapped_lines_are_read_as_one() {
        let lex = Lexicon::new(["example", "well-known", "known"]);
        let text =
            "An exam-\nple of a well-\nknown thing,\r\nwrapped-\n\u{2028}and a dash -\nhere.\n";
        // Without a lexicon, a hyphen at a line end joins its parts: "exam-ple".
        assert_eq!(
            unwrap_lines(text, None),
            "An exam-ple of a well-known thing, wrapped- and a dash - here. "
        );
        assert_eq!(
            unwrap_lines(text, Some(&lex)),
            "An example of a well-known thing, wrapped- and a dash - here. "
        );
        assert_eq!(unwrap_lines("no break", Some(&lex)), "no break");
        // Then it is one sentence.
        let one = unwrap_lines("The dog ran\nhome.\n", Some(&lex));
        assert_eq!(with(&lex, &one), [["The", "dog", "ran", "home", "."]]);
    }

    #[test]
    fn hyphenated_compounds_are_joined_where_the_treebank_joins_them() {
        let text = "a well-known state-of-the-art EU-ban fix - not a - b";
        let few = Lexicon::new(["well-known"]);
        assert!(!few.joins_hyphens());
        assert_eq!(
            with(&few, text)[0],
            [
                "a",
                "well-known",
                "state",
                "-",
                "of",
                "-",
                "the",
                "-",
                "art",
                "EU",
                "-",
                "ban",
                "fix",
                "-",
                "not",
                "a",
                "-",
                "b"
            ]
        );
        let many = hyphenating();
        assert!(many.joins_hyphens());
        // Joined: letters and digits with hyphens between them and no space;
        // a hyphen with spaces around stays a token of its own.
        assert_eq!(
            with(&many, text)[0],
            [
                "a",
                "well-known",
                "state-of-the-art",
                "EU-ban",
                "fix",
                "-",
                "not",
                "a",
                "-",
                "b"
            ]
        );
    }

    #[test]
    fn clitics_of_the_lexicon_are_cut_off_unknown_words() {
        let lex = Lexicon::new(["ca", "n't", "'s", "\u{2019}s", "'ll", "won't", "I"]);
        let text = "I can't see Anna's dog, won't you? We'll go. Anna\u{2019}s.";
        assert_eq!(
            with(&lex, text),
            vec![
                vec!["I", "ca", "n't", "see", "Anna", "'s", "dog", ",", "won't", "you", "?"],
                vec!["We", "'ll", "go", "."],
                vec!["Anna", "\u{2019}s", "."],
            ]
        );
        // The parts touch, so the first has no space after it and the text is the same.
        let s = Tokenizer::Unicode
            .sentences_with("I can't see", Some(&lex))
            .next()
            .unwrap();
        let tokens: Vec<Token> = s.tokens().collect();
        assert_eq!(
            tokens
                .iter()
                .map(|t| (t.form, t.space_after))
                .collect::<Vec<_>>(),
            [("I", true), ("ca", false), ("n't", true), ("see", true)]
        );
        assert_eq!(s.text(), "I can't see");
        // "n't" begins with no apostrophe: "can't" is cut only where "ca" is a
        // training word.
        let no_ca = Lexicon::new(["n't"]);
        assert_eq!(with(&no_ca, "can't"), [["can't"]]);
        // Nothing is left of a clitic alone, and a word that is only a clitic stays.
        assert_eq!(with(&lex, "'s n't"), [["'s", "n't"]]);
    }

    #[test]
    fn clitics_are_cut_where_the_treebank_would_cut_them() {
        // Turkish: "s'ın" does not begin with the apostrophe and "Reuter" is no
        // training word, so "Reuters'ın" is cut before "'ın"; "DYP'li" as the
        // treebank's syntactic words "DYP" "'li".
        let tr = Lexicon::new(["s'ın", "'ın", "'li", "8'i"]);
        assert_eq!(
            with(&tr, "Reuters'ın DYP'li 8'i")[0],
            ["Reuters", "'ın", "DYP", "'li", "8'i"]
        );
        // A curly apostrophe is cut like a straight one (and the reverse); a
        // clitic alone, in either spelling, is never cut further.
        let en = Lexicon::new(["ca", "n't", "'t", "\u{2019}s"]);
        assert_eq!(
            with(&en, "can\u{2019}t Anna's n\u{2019}t")[0],
            ["ca", "n\u{2019}t", "Anna", "'s", "n\u{2019}t"]
        );
    }

    #[test]
    fn compounds_keep_combining_marks_other_hyphens_and_their_clitics() {
        let lex = Lexicon::new(["'s", "x0-y", "x1-y", "x2-y", "x3-y", "x4-y"]);
        let mut words: Vec<&str> = lex.words.iter().map(|w| &**w).collect();
        // Tamil words are letters with vowel signs and viramas (combining marks).
        words.extend(["வீட்டு-க்கு", "அவள்-தான்", "நான்-தான்", "இந்த-வீடு", "x5-y"]);
        let lex = Lexicon::new(words);
        assert!(lex.joins_hyphens());
        let text = "κα\u{301}-νεις mother-in-law's a\u{2010}b\u{2011}c";
        assert_eq!(
            with(&lex, text)[0],
            [
                "κα\u{301}-νεις",
                "mother-in-law",
                "'s",
                "a\u{2010}b\u{2011}c"
            ]
        );
    }

    #[test]
    fn a_lexicon_changes_nothing_else() {
        // No clitic, no joinable word: exactly UAX #29's tokens, on every script of
        // the tests above.
        let lex = Lexicon::new(["dog", "Καλημέρα", "நான்"]);
        for text in [
            "The quick brown fox jumps over the lazy dog.",
            "Mr. Smith can't pay $3.50 or 1,000 e.g. today.",
            "Καλημέρα! Τι κα\u{301}νεις\u{37e} Καλά. Εσύ;",
            "நான் வீட்டுக்குப் போனேன். அவள் வந்தாள்.",
            "我爱北京。你好。",
            "你好吗?我很好!谢谢.",
            "Visit a.com/x?b=1 now. Then go.",
            "مرحبا.كيف حالك؟",
        ] {
            let plain: Vec<Vec<String>> = unicode(text)
                .into_iter()
                .map(|s| s.into_iter().map(String::from).collect())
                .collect();
            assert_eq!(with(&lex, text), plain, "{text}");
        }
        // A compound of 20,000 runs is read two runs at a time and comes out
        // whole, its trailing hyphen apart.
        let long = "a-".repeat(10_000);
        assert_eq!(
            with(&hyphenating(), &long),
            [[&long[..long.len() - 1], "-"]]
        );
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
