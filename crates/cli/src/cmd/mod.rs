//! The subcommands, one module each: an `Args` struct and a `run(&Global, Args)`.

pub mod data;
pub mod eval;
pub mod progress;
pub mod score;
pub mod stats;
pub mod tag;
pub mod train;

use clap::ValueEnum;

/// The largest `--threads` of `train` and `tag`: more than any machine here has
/// cores; a typo such as 100000 would otherwise spawn threads for minutes before
/// failing.
pub const MAX_THREADS: usize = 256;

/// `--format` on the command line.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum FormatArg {
    /// CoNLL-U: FORM and UPOS columns.
    Conllu,
    /// Whitespace-separated columns: first = word, last = tag.
    Columns,
}

impl From<FormatArg> for corpus::Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Conllu => corpus::Format::Conllu,
            FormatArg::Columns => corpus::Format::Columns,
        }
    }
}

/// `--tokenize` of `tag` and `eval --raw`: how plain text is cut into sentences and
/// tokens.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TokenizeArg {
    /// Unicode boundaries (UAX #29) adjusted to the tokens the model was trained on.
    #[default]
    Model,
    /// Unicode boundaries (UAX #29) alone.
    Unicode,
    /// One sentence per line (per paragraph with `tag --paragraphs`), tokens at
    /// whitespace.
    Whitespace,
}

impl TokenizeArg {
    /// The tokenizer, and the lexicon of `vocab`'s training words when it adjusts
    /// the Unicode tokens to them.
    pub fn tokenizer(self, vocab: &corpus::Vocab) -> (corpus::Tokenizer, Option<corpus::Lexicon>) {
        use corpus::{Lexicon, Tokenizer};
        match self {
            TokenizeArg::Model => (Tokenizer::Unicode, Some(Lexicon::of_training(vocab))),
            TokenizeArg::Unicode => (Tokenizer::Unicode, None),
            TokenizeArg::Whitespace => (Tokenizer::Whitespace, None),
        }
    }

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            TokenizeArg::Model => "model",
            TokenizeArg::Unicode => "unicode",
            TokenizeArg::Whitespace => "whitespace",
        }
    }
}

/// Warns on stderr when few of the file's gold tags are tags the model knows
/// (a POS model scored on NER data scores 0 and nothing else would say why).
pub fn warn_tag_overlap(vocab: &corpus::Vocab, file: &corpus::Corpus) {
    let o = vocab.tag_overlap(&file.sentences);
    if !o.is_low() {
        return;
    }
    let list = |tags: &mut dyn Iterator<Item = &str>| {
        let v: Vec<&str> = tags.take(8).collect();
        v.join(" ")
    };
    eprintln!(
        "qmtl: warning: {}: only {} of {} tokens ({:.1}%) have a tag the model knows; \
         the file's tags include {} while the model's are {}: wrong file or wrong model?",
        file.path.display(),
        o.known,
        o.total,
        100.0 * o.known as f64 / o.total as f64,
        list(&mut o.unknown.iter().map(|(t, _)| t.as_str())),
        list(&mut vocab.tags.names().iter().map(String::as_str)),
    );
}

/// Warns on stderr, naming the file and line, when one tag keeps a tag set
/// that has entity tags from being scored as one (no entity F1).
pub fn warn_not_iob(file: &corpus::Corpus) -> bool {
    match corpus::not_iob(&file.sentences, &file.path) {
        Some(why) => {
            eprintln!("qmtl: warning: {why}");
            true
        }
        None => false,
    }
}
