//! The tagger network (model-spec section 3): word embedding and character
//! BiLSTM features, a word BiLSTM, and k heads `softmax(W_j relu(V_j h + bV_j) + bW_j)`.

use crate::config::{Sizes, TaggerConfig};
use crate::seed::{self, Rng, Stream};
use autograd::{
    Grads, Graph, HeadVars, Init, LstmParams, OptimError, ParamId, ParamStore, Real, Sgd, Tape, Var,
};
use corpus::Encoded;
use rand::Rng as _;

/// One softmax head's parameters in the [`ParamStore`] (what
/// [`HeadVars`] records on a graph for one sentence).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeadParams {
    /// The hidden layer `(V_j, bV_j)` before the ReLU; `None` for a linear
    /// head (mlp = 0). Both or neither.
    pub hidden: Option<(ParamId, ParamId)>,
    pub w: ParamId,
    pub bw: ParamId,
}

/// A tagger: the shared network and its heads, with their values. How its
/// heads are combined ([`crate::Combine`]) and PTA's per-head dropout rates
/// are not part of it: the caller passes them (the model file stores them,
/// [`crate::ModelFile`], which also owns the on-disk layout).
#[derive(Clone, Debug)]
pub struct Tagger {
    pub config: TaggerConfig,
    pub sizes: Sizes,
    pub params: ParamStore<f32>,
    pub word_emb: ParamId,
    pub char_emb: ParamId,
    pub char_fwd: LstmParams,
    pub char_bwd: LstmParams,
    pub word_fwd: LstmParams,
    pub word_bwd: LstmParams,
    pub heads: Vec<HeadParams>,
}

impl Tagger {
    /// A network with heads `0..config.heads`, every value drawn from `seed`.
    pub fn new(config: &TaggerConfig, sizes: Sizes, seed: u64) -> Self {
        let heads: Vec<usize> = (0..config.heads).collect();
        Self::with_heads(config, sizes, seed, &heads)
    }

    /// A network carrying the listed heads of the Q-MTL model seeded with
    /// `seed`: the shared part and head j start from exactly the values that
    /// `Tagger::new` gives them (STL_j is `with_heads(.., &[j])`, section 5).
    pub fn with_heads(config: &TaggerConfig, sizes: Sizes, seed: u64, heads: &[usize]) -> Self {
        let c = config;
        let mut params = ParamStore::new();
        let mut rng = seed::rng(seed, Stream::Shared);
        let emb = Init::Constant(c.embedding_init);
        let word_emb = params.table("word_emb", sizes.words, c.word_dim, emb, &mut rng);
        let char_emb = params.table("char_emb", sizes.chars, c.char_dim, emb, &mut rng);
        let char_fwd = LstmParams::new(
            &mut params,
            "char_fwd",
            c.lstm,
            c.char_dim,
            c.char_hidden,
            &mut rng,
        );
        let char_bwd = LstmParams::new(
            &mut params,
            "char_bwd",
            c.lstm,
            c.char_dim,
            c.char_hidden,
            &mut rng,
        );
        let token_dim = c.word_dim + 2 * c.char_hidden;
        let word_fwd = LstmParams::new(
            &mut params,
            "word_fwd",
            c.lstm,
            token_dim,
            c.word_hidden,
            &mut rng,
        );
        let word_bwd = LstmParams::new(
            &mut params,
            "word_bwd",
            c.lstm,
            token_dim,
            c.word_hidden,
            &mut rng,
        );
        let h = 2 * c.word_hidden;
        let heads: Vec<HeadParams> = heads
            .iter()
            .map(|&j| {
                let mut rng = seed::rng(seed, Stream::Head(j));
                let (hidden, into) = if c.mlp > 0 {
                    let v = params.dense(&format!("head{j}.V"), c.mlp, h, Init::Glorot, &mut rng);
                    let bv = params.dense(
                        &format!("head{j}.bV"),
                        1,
                        c.mlp,
                        Init::BiasUniform,
                        &mut rng,
                    );
                    (Some((v, bv)), c.mlp)
                } else {
                    (None, h)
                };
                let w = params.dense(
                    &format!("head{j}.W"),
                    sizes.tags,
                    into,
                    Init::Glorot,
                    &mut rng,
                );
                let bw = params.dense(
                    &format!("head{j}.bW"),
                    1,
                    sizes.tags,
                    Init::BiasUniform,
                    &mut rng,
                );
                HeadParams { hidden, w, bw }
            })
            .collect();
        Tagger {
            config: c.clone(),
            sizes,
            params,
            word_emb,
            char_emb,
            char_fwd,
            char_bwd,
            word_fwd,
            word_bwd,
            heads,
        }
    }

    /// Number of heads k.
    pub fn k(&self) -> usize {
        self.heads.len()
    }

    /// The shared BiLSTM states `h_i = [fwd_i ; bwd_i]` (`T × 2·hidden`). With a
    /// generator (training), Gaussian noise is added to the token inputs.
    fn encode<T: Real>(&self, g: &mut Graph<'_, T>, x: &Encoded, rng: Option<&mut Rng>) -> Var {
        let words = g.lookup(self.word_emb, &x.words);
        // The character BiLSTM runs once per distinct spelling in the sentence
        // ("the", "," ... repeat): same values, their gradients summed.
        // Their ~100 character positions hold ~25 distinct characters: each is
        // looked up and projected through the input weights once.
        let (spellings, of_token) = distinct_spellings(x);
        let (char_ids, of_position) = distinct_ids(&spellings.chars);
        let chars = g.lookup(self.char_emb, &char_ids);
        // Each BiLSTM's two directions run at the same time on a pool of two
        // or more threads (issue 11), with the same bits as on one.
        let (at, lens) = (&of_position, &spellings.lens);
        let mut c = g.bilstm_last_gather(&self.char_fwd, &self.char_bwd, chars, at, lens);
        if spellings.lens.len() < x.len() {
            c = g.gather_rows(c, &of_token);
        }
        let mut e = g.concat(&[words, c]);
        if let Some(rng) = rng {
            e = g.gaussian_noise(e, self.config.noise_sigma, rng);
        }
        g.bilstm_seq(&self.word_fwd, &self.word_bwd, e)
    }

    /// Head `j`'s parameters on the graph. With a generator (training), W_j
    /// gets weight dropout at rate `p` if it is above 0.
    fn head_vars<T: Real>(
        &self,
        g: &mut Graph<'_, T>,
        j: usize,
        p: f64,
        rng: Option<&mut Rng>,
    ) -> HeadVars {
        let hd = &self.heads[j];
        let hidden = hd.hidden.map(|(v, bv)| (g.param(v), g.param(bv)));
        let mut w = g.param(hd.w);
        if let (Some(rng), true) = (rng, p > 0.0) {
            w = g.dropout(w, p, rng);
        }
        HeadVars {
            hidden,
            w,
            bw: g.param(hd.bw),
        }
    }

    /// Head `j`'s logits (`T × tags`) on the shared states `h`, without noise.
    fn head<T: Real>(&self, g: &mut Graph<'_, T>, j: usize, h: Var) -> Var {
        let hd = self.head_vars(g, j, 0.0, None);
        let mut z = h;
        if let Some((v, bv)) = hd.hidden {
            let a = g.linear(z, v, Some(bv));
            z = g.relu(a);
        }
        g.linear(z, hd.w, Some(hd.bw))
    }

    /// The training loss of one sentence: Σ over heads and tokens of
    /// `-ln y_ij[gold_i]` (section 4), with input noise and a fresh noise
    /// sample on `h` for each head, and weight dropout on W_j at rate
    /// `head_dropout[j]` (PTA's; a missing or zero rate draws nothing). Every
    /// gold tag must be known. Generic so the same code runs in f64 on
    /// [`autograd::convert`]ed parameters for gradient checks.
    pub fn loss<T: Real>(
        &self,
        g: &mut Graph<'_, T>,
        x: &Encoded,
        head_dropout: &[f64],
        rng: &mut Rng,
    ) -> Var {
        let gold: Vec<usize> = x
            .tags
            .iter()
            .map(|t| t.expect("training tags are known"))
            .collect();
        let h = self.encode(g, x, Some(rng));
        // Per head, in this order: the noise seed, then W_j's dropout mask.
        let mut seeds = Vec::with_capacity(self.k());
        let heads: Vec<HeadVars> = (0..self.k())
            .map(|j| {
                seeds.push(rng.random::<u64>());
                let p = head_dropout.get(j).copied().unwrap_or(0.0);
                self.head_vars(g, j, p, Some(&mut *rng))
            })
            .collect();
        g.heads_nll(h, &heads, self.config.noise_sigma, &seeds, &gold)
    }

    /// Every head's probabilities for every token, `[head][token][tag]` flattened
    /// (`k × T × tags`), without noise.
    pub fn head_probs(&self, tape: &mut Tape<f32>, x: &Encoded) -> Vec<f32> {
        let mut g = Graph::new(tape, &self.params);
        if x.is_empty() {
            return Vec::new();
        }
        let h = self.encode(&mut g, x, None);
        let tags = self.sizes.tags;
        let mut out = vec![0.0; self.k() * x.len() * tags];
        for j in 0..self.k() {
            let logits = self.head(&mut g, j, h);
            let block = &mut out[j * x.len() * tags..(j + 1) * x.len() * tags];
            for (row, p) in g
                .value(logits)
                .chunks_exact(tags)
                .zip(block.chunks_exact_mut(tags))
            {
                cpu_kernels::softmax(row, p);
            }
        }
        out
    }

    /// Frobenius norms of every head's `V_j` and `W_j` (Figure 4); `V` is
    /// empty for linear heads.
    pub fn head_norms(&self) -> (Vec<f64>, Vec<f64>) {
        let v = self
            .heads
            .iter()
            .filter_map(|h| h.hidden.map(|(v, _)| v))
            .map(|v| self.params.get(v).frobenius_norm())
            .collect();
        let w = self
            .heads
            .iter()
            .map(|h| self.params.get(h.w).frobenius_norm())
            .collect();
        (v, w)
    }
}

/// The reusable state of training one tagger: tape, gradients, optimizer.
pub struct TrainStep {
    pub tape: Tape<f32>,
    pub grads: Grads<f32>,
    pub sgd: Sgd,
}

impl TrainStep {
    pub fn new(tagger: &Tagger, sgd: Sgd) -> Self {
        TrainStep {
            tape: Tape::new(),
            grads: Grads::new(&tagger.params),
            sgd,
        }
    }

    /// One update on one sentence (forward, backward, clipped SGD) with the
    /// heads' weight-dropout rates `head_dropout` (see [`Tagger::loss`]);
    /// returns the loss.
    pub fn step(
        &mut self,
        tagger: &mut Tagger,
        x: &Encoded,
        head_dropout: &[f64],
        rng: &mut Rng,
    ) -> Result<f32, OptimError> {
        if x.is_empty() {
            return Ok(0.0);
        }
        let loss = {
            let mut g = Graph::new(&mut self.tape, &tagger.params);
            let l = tagger.loss(&mut g, x, head_dropout, rng);
            g.backward(l, &mut self.grads)
        };
        self.sgd.step(&mut tagger.params, &mut self.grads)?;
        Ok(loss)
    }
}

/// The distinct character sequences of a sentence, concatenated.
#[derive(Debug, Default, PartialEq, Eq)]
struct Spellings {
    chars: Vec<usize>,
    lens: Vec<usize>,
}

/// The distinct spellings of `x` in first-seen order, and which one each token has.
fn distinct_spellings(x: &Encoded) -> (Spellings, Vec<usize>) {
    let mut seen: std::collections::HashMap<&[usize], usize> = std::collections::HashMap::new();
    let mut out = Spellings::default();
    let mut of_token = Vec::with_capacity(x.len());
    let mut at = 0;
    for &len in &x.char_lens {
        let word = &x.chars[at..at + len];
        at += len;
        let next = seen.len();
        let id = *seen.entry(word).or_insert(next);
        if id == next {
            out.chars.extend_from_slice(word);
            out.lens.push(len);
        }
        of_token.push(id);
    }
    (out, of_token)
}

/// The distinct values of `ids` in first-seen order, and the index of each
/// element's value among them.
fn distinct_ids(ids: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let mut seen = std::collections::HashMap::with_capacity(32);
    let mut out = Vec::new();
    let at = ids
        .iter()
        .map(|&id| {
            *seen.entry(id).or_insert_with(|| {
                out.push(id);
                out.len() - 1
            })
        })
        .collect();
    (out, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_spellings_are_run_once() {
        let x = Encoded {
            words: vec![1, 2, 1, 3],
            chars: vec![1, 5, 2, 1, 6, 7, 2, 1, 5, 2, 1, 2],
            char_lens: vec![3, 4, 3, 2],
            tags: vec![None; 4],
        };
        let (s, of) = distinct_spellings(&x);
        assert_eq!(s.lens, vec![3, 4, 2]);
        assert_eq!(s.chars, vec![1, 5, 2, 1, 6, 7, 2, 1, 2]);
        assert_eq!(of, vec![0, 1, 0, 2]);
    }

    #[test]
    fn distinct_ids_in_first_seen_order() {
        let (ids, at) = distinct_ids(&[1, 5, 2, 1, 6, 5, 2]);
        assert_eq!(ids, vec![1, 5, 2, 6]);
        assert_eq!(at, vec![0, 1, 2, 0, 3, 1, 2]);
    }
}
