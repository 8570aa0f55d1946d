//! The data layer of qmtl: everything between corpus files on disk and the ids the
//! tagger trains on, plus the scorers. Independent of the neural engine.
//!
//! A typical training run (model-spec sections 1, 2 and 4):
//!
//! ```no_run
//! use corpus::{DataRoots, Registry, Split, Vocab, LabelNoise, NoiseMode, WordDropout, Scorer};
//! # fn main() -> corpus::Result<()> {
//! let roots = DataRoots::discover(None); // --data-dir, QMTL_DATA, ../shared/data, cache
//! let ta = Registry::builtin().get("ta")?;
//! let train = ta.read(Split::Train, &roots)?;
//! let dev = ta.read(Split::Dev, &roots)?;
//! let train = corpus::train_fraction(&train.sentences, 1.0)?;
//! let vocab = Vocab::build(train);
//! let noise = LabelNoise::new(0.1, NoiseMode::PerEpoch, 42)?;
//! let dropout = WordDropout::new(WordDropout::DEFAULT_ALPHA, 42)?;
//! for epoch in 0..20 {
//!     for (i, s) in train.iter().enumerate() {           // i = index in the file
//!         let mut x = vocab.encode(s);                    // words, chars, tags
//!         let mut gold = x.gold().expect("training tags are in the index");
//!         noise.apply(epoch, i, &mut gold, vocab.tags.len());
//!         dropout.apply(epoch, i, &mut x.words, &vocab.word_counts);
//!         // ... forward/backward on (x.words, x.chars, gold)
//!     }
//!     let mut scorer = Scorer::new(ta.task == corpus::Task::Ner);
//!     for s in &dev.sentences {
//!         let predicted: Vec<usize> = vec![0; s.len()]; // the model's argmax ids
//!         scorer.add(&s.tags, &vocab.tag_names(&predicted));
//!     }
//!     println!("dev {:.2}", 100.0 * scorer.score().main());
//! }
//! # Ok(()) }
//! ```

mod digest;
mod embeddings;
mod encode;
mod error;
mod read;
pub mod registry;
pub mod score;
mod sentence;
mod stats;
mod tokenize;
mod transform;
mod vocab;
pub mod whole_file;

pub use digest::sha256_hex;
pub use embeddings::Embeddings;
pub use encode::{Encoded, CHAR_WINDOW};
pub use error::{Error, Result};
pub use read::{
    column_tag_start, detect_format, parse_corpus, read_bytes, read_corpus, read_line_limited,
    read_raw_conllu, surface_spans, RawSentence,
};
pub use registry::{DataRoots, Dataset, Registry, Split, Task};
pub use score::{is_chunk_tagset, not_iob, score_files, NotIob, Score, Scorer};
pub use sentence::{Corpus, Format, Sentence};
pub use stats::Stats;
pub use tokenize::{unwrap_lines, Lexicon, TextSentence, Token, Tokenizer};
pub use transform::{
    hash_key, splitmix64, train_fraction, train_fraction_len, LabelNoise, NoiseMode, WordDropout,
};
pub use vocab::{Index, TagOverlap, Vocab, BOW, EOW, UNK};
