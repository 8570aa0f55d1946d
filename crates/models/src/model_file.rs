//! Model files: a versioned, self-describing header followed by a bincode body.
//!
//! Layout: the line `QMTL-MODEL\n`, the header length as 8 bytes little-endian,
//! the header as JSON (format version, training configuration, vocabularies,
//! body length and SHA-256), then the body: the taggers' parameters, bincode
//! (one record per tagger, `StoredTagger`, which carries the model's
//! selected head and each head's dropout rate beside the network);
//! since format 2, last, the SHA-256 of every byte before it (32 bytes). The
//! header can be read by anything that reads JSON; the checksums turn a
//! truncated or damaged file into a clear error instead of a wrong model. The
//! whole-file checksum of format 2 covers the header too: the vocabularies and
//! tag names decide every output as much as the parameters do. Format 1 files
//! (body checksum only) are still read.
//!
//! Files are written whole ([`corpus::whole_file`]): to a temporary file created
//! exclusively (`O_EXCL`, an unpredictable name) in the target's folder, synced,
//! then renamed over the target. A crash never leaves half a model under the
//! real name, and a link planted under a guessable temporary name is never
//! followed.

use crate::config::{Sizes, TaggerConfig};
use crate::eval::Combine;
use crate::model::Model;
use crate::tagger::{HeadParams, Tagger};
use crate::train::{Mode, TrainConfig, TrainState};
use autograd::{LstmParams, ParamId, ParamKind, ParamStore};
use corpus::Vocab;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"QMTL-MODEL\n";
/// The format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 2;
/// Length of the whole-file SHA-256 that ends a file of format 2 or later.
const TRAILER: usize = 32;

/// Everything a model file holds: a trained model as stored.
#[derive(Clone, Debug)]
pub struct ModelFile {
    pub config: TrainConfig,
    pub vocab: Vocab,
    /// One tagger (STL, Q-MTL, PTA) or the k members of an ensemble
    /// (`config.mode` says which).
    pub model: Model,
    /// How the model predicts unless told otherwise (`qmtl eval`, `qmtl tag`):
    /// PTA with model selection stores the head it selected on dev after
    /// training ([`TrainConfig::combine`]); every other model, and every
    /// checkpoint, the average.
    pub combine: Combine,
    /// Each head's weight-dropout rate where training left it, heads counted
    /// over the model's taggers ([`TrainState::head_dropout`]): kept so that a
    /// checkpoint resumes it; prediction never reads it.
    pub head_dropout: Vec<f64>,
}

/// One tagger as the body stores it; the field order is the format. The
/// selected head (`Combine::Select`) is stored on the first tagger.
#[derive(Serialize, Deserialize)]
struct StoredTagger<'a> {
    config: Cow<'a, TaggerConfig>,
    sizes: Sizes,
    params: Cow<'a, ParamStore<f32>>,
    word_emb: ParamId,
    char_emb: ParamId,
    char_fwd: LstmParams,
    char_bwd: LstmParams,
    word_fwd: LstmParams,
    word_bwd: LstmParams,
    heads: Vec<StoredHead>,
    #[serde(default)]
    head_dropout: Vec<f64>,
    #[serde(default)]
    selected_head: Option<usize>,
}

impl<'a> StoredTagger<'a> {
    fn new(t: &'a Tagger, head_dropout: Vec<f64>, selected_head: Option<usize>) -> Self {
        StoredTagger {
            config: Cow::Borrowed(&t.config),
            sizes: t.sizes,
            params: Cow::Borrowed(&t.params),
            word_emb: t.word_emb,
            char_emb: t.char_emb,
            char_fwd: t.char_fwd,
            char_bwd: t.char_bwd,
            word_fwd: t.word_fwd,
            word_bwd: t.word_bwd,
            heads: t.heads.iter().map(|&h| StoredHead::from(h)).collect(),
            head_dropout,
            selected_head,
        }
    }

    /// The tagger; None if a head has one of `V`, `bV` without the other.
    fn into_tagger(self) -> Option<Tagger> {
        let heads = self
            .heads
            .iter()
            .map(|h| {
                match (h.v, h.bv) {
                    (Some(v), Some(bv)) => Some(Some((v, bv))),
                    (None, None) => Some(None),
                    _ => None,
                }
                .map(|hidden| HeadParams {
                    hidden,
                    w: h.w,
                    bw: h.bw,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Tagger {
            config: self.config.into_owned(),
            sizes: self.sizes,
            params: self.params.into_owned(),
            word_emb: self.word_emb,
            char_emb: self.char_emb,
            char_fwd: self.char_fwd,
            char_bwd: self.char_bwd,
            word_fwd: self.word_fwd,
            word_bwd: self.word_bwd,
            heads,
        })
    }
}

/// Checks that `t` is a network of its configuration on `vocab`: every
/// parameter id exists and every parameter has the shape the network reads
/// (so its values are `rows × cols`), the vocabularies' sizes included.
fn check_tagger(t: &Tagger, vocab: &Vocab) -> Result<(), String> {
    let c = &t.config;
    let sizes = Sizes {
        words: vocab.words.len(),
        chars: vocab.chars.len(),
        tags: vocab.tags.len(),
    };
    if t.sizes != sizes {
        return Err(format!(
            "the network is for {:?} but the vocabularies have {sizes:?}",
            t.sizes
        ));
    }
    // The reserved characters (unknown, word start and end) and one tag.
    if sizes.chars < 3 || sizes.tags == 0 {
        return Err(format!("vocabularies of {sizes:?}"));
    }
    let shape = |id: ParamId, rows: usize, cols: usize, what: &str| -> Result<(), String> {
        if id.0 as usize >= t.params.len() {
            return Err(format!("{what}: parameter {} of {}", id.0, t.params.len()));
        }
        let p = t.params.get(id);
        let table = id == t.word_emb || id == t.char_emb;
        if (p.kind == ParamKind::Table) != table {
            return Err(format!("{what} ({}) is stored as {:?}", p.name, p.kind));
        }
        if (p.rows, p.cols) != (rows, cols) || p.value.len() != rows * cols {
            return Err(format!(
                "{what} ({}) is {}x{} with {} values, the network reads {rows}x{cols}",
                p.name,
                p.rows,
                p.cols,
                p.value.len()
            ));
        }
        Ok(())
    };
    shape(t.word_emb, sizes.words, c.word_dim, "word embeddings")?;
    shape(t.char_emb, sizes.chars, c.char_dim, "character embeddings")?;
    let token_dim = c.word_dim + 2 * c.char_hidden;
    for (l, input, hidden, what) in [
        (&t.char_fwd, c.char_dim, c.char_hidden, "character LSTM"),
        (&t.char_bwd, c.char_dim, c.char_hidden, "character LSTM"),
        (&t.word_fwd, token_dim, c.word_hidden, "word LSTM"),
        (&t.word_bwd, token_dim, c.word_hidden, "word LSTM"),
    ] {
        if (l.kind, l.input, l.hidden) != (c.lstm, input, hidden) {
            return Err(format!(
                "{what} is {:?} {}->{}, the configuration {:?} {input}->{hidden}",
                l.kind, l.input, l.hidden, c.lstm
            ));
        }
        let g = l.kind.gates() * hidden;
        shape(l.wx, g, input, what)?;
        shape(l.wh, g, hidden, what)?;
        shape(l.b, 1, g, what)?;
        match (l.kind, l.wci, l.wco) {
            (autograd::LstmKind::Coupled, Some(ci), Some(co)) => {
                shape(ci, hidden, hidden, what)?;
                shape(co, hidden, hidden, what)?;
            }
            (autograd::LstmKind::Standard, None, None) => {}
            _ => return Err(format!("{what}: peepholes that do not fit its cell")),
        }
    }
    let h = 2 * c.word_hidden;
    for head in &t.heads {
        let into = match (head.hidden, c.mlp) {
            (Some((v, bv)), m) if m > 0 => {
                shape(v, m, h, "a head's V")?;
                shape(bv, 1, m, "a head's bV")?;
                m
            }
            (None, 0) => h,
            _ => return Err(format!("a head that does not have the MLP of {}", c.mlp)),
        };
        shape(head.w, sizes.tags, into, "a head's W")?;
        shape(head.bw, 1, sizes.tags, "a head's bW")?;
    }
    Ok(())
}

/// One head as the body stores it: `v` and `bv` are both present (a hidden
/// layer) or both absent (a linear head).
#[derive(Clone, Copy, Serialize, Deserialize)]
struct StoredHead {
    v: Option<ParamId>,
    bv: Option<ParamId>,
    w: ParamId,
    bw: ParamId,
}

impl From<HeadParams> for StoredHead {
    fn from(h: HeadParams) -> Self {
        let (v, bv) = h.hidden.unzip();
        StoredHead {
            v,
            bv,
            w: h.w,
            bw: h.bw,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    format_version: u32,
    config: TrainConfig,
    vocab: Vocab,
    members: usize,
    body_bytes: u64,
    body_sha256: String,
}

/// Why a model file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a qmtl model file")]
    NotAModel { path: PathBuf },
    #[error("{path}: written by a newer qmtl (model format {found}; this build reads up to {FORMAT_VERSION})")]
    NewerVersion { path: PathBuf, found: u32 },
    #[error("{path}: truncated (expected {expected} bytes, found {found})")]
    Truncated {
        path: PathBuf,
        expected: u64,
        found: u64,
    },
    #[error("{path}: corrupt model file: {what}")]
    Corrupt { path: PathBuf, what: String },
}

impl ModelFile {
    /// A model file of `state` (a checkpoint's, or the trained model's, whose
    /// `combine` is [`TrainConfig::combine`]).
    pub fn new(config: TrainConfig, vocab: Vocab, state: TrainState, combine: Combine) -> Self {
        ModelFile {
            config,
            vocab,
            model: state.model,
            combine,
            head_dropout: state.head_dropout,
        }
    }

    /// The state training resumes from.
    pub fn into_state(self) -> TrainState {
        TrainState {
            model: self.model,
            head_dropout: self.head_dropout,
        }
    }

    /// Serialises to bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let taggers = self.model.taggers();
        let mut at = 0;
        let stored: Vec<StoredTagger<'_>> = taggers
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let rates = (at..at + t.k())
                    .map(|j| self.head_dropout.get(j).copied().unwrap_or(0.0))
                    .collect();
                at += t.k();
                let selected = match self.combine {
                    Combine::Select(j) if i == 0 => Some(j),
                    _ => None,
                };
                StoredTagger::new(t, rates, selected)
            })
            .collect();
        let body = bincode::serialize(&stored).expect("taggers serialise");
        let header = Header {
            format_version: FORMAT_VERSION,
            config: self.config.clone(),
            vocab: self.vocab.clone(),
            members: taggers.len(),
            body_bytes: body.len() as u64,
            body_sha256: corpus::sha256_hex(&body),
        };
        let header = serde_json::to_vec(&header).expect("header serialises");
        let mut out = Vec::with_capacity(MAGIC.len() + 8 + header.len() + body.len() + TRAILER);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&body);
        let whole = Sha256::digest(&out);
        out.extend_from_slice(&whole);
        out
    }

    /// Parses bytes read from `path` (named in errors).
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, ModelFileError> {
        let path = path.to_path_buf();
        if !bytes.starts_with(MAGIC) {
            return Err(ModelFileError::NotAModel { path });
        }
        let rest = &bytes[MAGIC.len()..];
        let truncated = |expected: u64| ModelFileError::Truncated {
            path: path.clone(),
            expected,
            found: bytes.len() as u64,
        };
        let Some(len) = rest.get(..8) else {
            return Err(truncated(MAGIC.len() as u64 + 8));
        };
        let hlen = u64::from_le_bytes(len.try_into().expect("8 bytes"));
        let head_end = (MAGIC.len() as u64 + 8).saturating_add(hlen);
        let header_bytes = rest
            .get(8..8usize.saturating_add(hlen as usize))
            .ok_or_else(|| truncated(head_end))?;
        // Read the version alone first, so a newer file is reported as such
        // even when the rest of its header no longer parses here.
        #[derive(Deserialize)]
        struct Version {
            format_version: u32,
        }
        let corrupt = |what: String| ModelFileError::Corrupt {
            path: path.clone(),
            what,
        };
        let v: Version =
            serde_json::from_slice(header_bytes).map_err(|e| corrupt(format!("header: {e}")))?;
        if v.format_version > FORMAT_VERSION {
            return Err(ModelFileError::NewerVersion {
                path,
                found: v.format_version,
            });
        }
        let header: Header =
            serde_json::from_slice(header_bytes).map_err(|e| corrupt(format!("header: {e}")))?;
        // Format 1 ends with the body; format 2 adds the whole-file checksum.
        let trailer = if header.format_version >= 2 {
            TRAILER
        } else {
            0
        };
        let after_header = &rest[8 + hlen as usize..];
        let expected = (head_end + header.body_bytes).saturating_add(trailer as u64);
        let wanted = header.body_bytes.saturating_add(trailer as u64);
        if (after_header.len() as u64) < wanted {
            return Err(truncated(expected));
        }
        if after_header.len() as u64 > wanted {
            return Err(corrupt(format!(
                "{} bytes after the end of the model",
                after_header.len() as u64 - wanted
            )));
        }
        let (body, sum) = after_header.split_at(after_header.len() - trailer);
        if trailer > 0 && Sha256::digest(&bytes[..bytes.len() - trailer])[..] != sum[..] {
            return Err(corrupt(
                "the file does not match its checksum (header or parameters damaged)".into(),
            ));
        }
        if corpus::sha256_hex(body) != header.body_sha256 {
            return Err(corrupt("the parameters do not match their checksum".into()));
        }
        let stored: Vec<StoredTagger<'static>> =
            bincode::deserialize(body).map_err(|e| corrupt(format!("body: {e}")))?;
        if stored.len() != header.members || stored.is_empty() {
            return Err(corrupt(format!(
                "{} members, the header says {}",
                stored.len(),
                header.members
            )));
        }
        let ensemble = header.config.mode == Mode::Ensemble;
        if !ensemble && stored.len() != 1 {
            return Err(corrupt(format!(
                "{} taggers in a {} model, which has one",
                stored.len(),
                header.config.mode.as_str()
            )));
        }
        let combine = stored[0]
            .selected_head
            .map_or(Combine::Average, Combine::Select);
        let mut head_dropout = Vec::new();
        let mut taggers = Vec::with_capacity(stored.len());
        for mut s in stored {
            // One rate per head, as every build writes; a missing one is 0.
            let mut rates = std::mem::take(&mut s.head_dropout);
            rates.resize(s.heads.len(), 0.0);
            head_dropout.extend(rates);
            let t = s.into_tagger().ok_or_else(|| {
                corrupt("a head with only one of its hidden layer's V and bV".into())
            })?;
            taggers.push(t);
        }
        // The checksums say the bytes are those written, not that a writer
        // made them consistent: a model that disagrees with its vocabulary
        // or configuration is refused here rather than fail inside the engine.
        let k: usize = taggers.iter().map(|t| t.heads.len()).sum();
        if k != header.config.head_count() {
            return Err(corrupt(format!(
                "{k} heads, the configuration says {}",
                header.config.head_count()
            )));
        }
        if let Combine::Select(j) = combine {
            if j >= k {
                return Err(corrupt(format!("selected head {j} of {k}")));
            }
        }
        for t in &taggers {
            check_tagger(t, &header.vocab).map_err(&corrupt)?;
        }
        let model = if ensemble {
            Model::Ensemble(taggers)
        } else {
            Model::Single(taggers.remove(0))
        };
        Ok(ModelFile {
            config: header.config,
            vocab: header.vocab,
            model,
            combine,
            head_dropout,
        })
    }

    /// Writes atomically: a temporary file beside `path`, synced, then renamed.
    pub fn save(&self, path: &Path) -> Result<(), ModelFileError> {
        write_atomic(path, &self.to_bytes())
    }

    pub fn load(path: &Path) -> Result<Self, ModelFileError> {
        use std::io::Read;
        let io = |source| ModelFileError::Io {
            path: path.to_path_buf(),
            source,
        };
        // The magic first: a file that is not a model (or an endless device)
        // is refused before it is read.
        let mut f = std::fs::File::open(path).map_err(io)?;
        let mut bytes = Vec::new();
        (&mut f)
            .take(MAGIC.len() as u64)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes == MAGIC {
            f.read_to_end(&mut bytes).map_err(io)?;
        }
        Self::from_bytes(&bytes, path)
    }
}

/// Writes `bytes` to `path` whole, through a temporary file beside it that is
/// synced and renamed ([`corpus::whole_file`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ModelFileError> {
    corpus::whole_file::write_whole(path, bytes).map_err(|source| ModelFileError::Io {
        path: path.to_path_buf(),
        source,
    })
}
