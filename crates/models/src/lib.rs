//! The taggers of the paper: one character + word BiLSTM network carrying k
//! softmax heads (model-spec sections 2-5). STL is k = 1; Q-MTL(k) averages the
//! heads' probabilities; an ensemble averages k separately trained STL models.

pub mod checkpoint;
pub mod confidence;
pub mod config;
pub mod eval;
pub mod input;
pub mod model_file;
pub mod pta;
pub mod record;
pub mod seed;
pub mod tagger;
pub mod train;

pub use checkpoint::Checkpoint;
pub use confidence::Confidence;
pub use config::TaggerConfig;
pub use eval::{
    evaluate, evaluate_with_confidence, predict, predict_with, Combine, Metric, Prediction, Scores,
};
pub use input::Encoded;
pub use model_file::{ModelFile, ModelFileError};
pub use record::{RecordError, RunRecord};
pub use tagger::{Tagger, TrainStep};
pub use train::{train, train_from, Mode, Progress, Silent, TrainConfig, TrainData, TrainError};
