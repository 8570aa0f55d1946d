//! The taggers of the paper: one character + word BiLSTM network carrying k
//! softmax heads (model-spec sections 2-5). STL is k = 1; Q-MTL(k) averages the
//! heads' probabilities; an ensemble averages k separately trained STL models.

pub mod config;
pub mod input;
pub mod seed;
pub mod tagger;

pub use config::TaggerConfig;
pub use input::Encoded;
pub use tagger::{Tagger, TrainStep};
