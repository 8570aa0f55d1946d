//! The taggers of the paper: one character + word BiLSTM network carrying k
//! softmax heads (model-spec sections 2-5). STL is k = 1; Q-MTL(k) averages the
//! heads' probabilities; an ensemble averages k separately trained STL models.

pub mod checkpoint;
pub mod confidence;
pub mod config;
pub mod eval;
pub mod model;
pub mod model_file;
pub mod pta;
pub mod record;
pub mod seed;
pub mod tagger;
pub mod train;

/// The engine's types a caller of this crate needs: the reusable tape that
/// [`predict`] runs on (one per thread), and the LSTM cell a
/// [`TaggerConfig`] chooses.
pub use autograd::{LstmKind, Tape};
pub use checkpoint::Checkpoint;
pub use confidence::Confidence;
pub use config::TaggerConfig;
/// A sentence as the network reads it (ids, characters flattened); corpus
/// encodes it ([`corpus::Vocab::encode`]) and every layer here reads it as is.
pub use corpus::Encoded;
pub use eval::{
    evaluate, evaluate_with_confidence, predict, Combine, EvalReport, Metric, Prediction,
    RawReport, Scores,
};
pub use model::Model;
pub use model_file::{ModelFile, ModelFileError};
pub use record::{RecordError, RunRecord};
pub use tagger::{Tagger, TrainStep};
pub use train::{
    train, train_from, Mode, Progress, Silent, TrainConfig, TrainData, TrainError, TrainState,
};
