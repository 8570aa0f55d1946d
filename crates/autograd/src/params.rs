//! Parameters: dense weight tensors and embedding tables, and how they start.
//!
//! A [`ParamStore`] owns the values of every parameter of a model. The tape only
//! reads them (a parameter leaf on the tape points here, nothing is copied), the
//! gradients live beside them in [`crate::Grads`], and the optimizer writes them.

use std::sync::OnceLock;

use cpu_kernels::Real;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Index of a parameter in its [`ParamStore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ParamId(pub u32);

/// How a parameter is used, which decides how its gradient is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParamKind {
    /// A weight matrix or bias: the whole gradient is dense.
    Dense,
    /// An embedding table: only the rows looked up receive gradient, and only
    /// those rows are updated (as DyNet's lookup parameters do).
    Table,
}

/// How a parameter's values are drawn (model-spec section 3).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Uniform(-s, s) with s = sqrt(6 / (rows + cols)) (Glorot), the rule for
    /// every weight matrix.
    Glorot,
    /// Uniform(-s, s) with s = sqrt(3 / n) for a vector of n: the heads' biases.
    BiasUniform,
    /// Uniform(-s, s).
    Uniform(f64),
    /// Every element equal (0 for LSTM biases, 0.01 for embeddings).
    Constant(f64),
}

/// One parameter: a `rows x cols` row-major tensor.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Param<T> {
    pub name: String,
    pub rows: usize,
    pub cols: usize,
    pub kind: ParamKind,
    pub value: Vec<T>,
    /// The transpose of `value`, made the first time it is asked for after the
    /// value last changed: [`ParamStore::get_mut`] and every other way to write
    /// a value forget it. Never saved.
    #[serde(skip, default = "OnceLock::new")]
    transposed: OnceLock<Vec<T>>,
}

impl<T: Real> Param<T> {
    /// Frobenius norm `sqrt(Σ v²)`, accumulated in f64.
    pub fn frobenius_norm(&self) -> f64 {
        self.value
            .iter()
            .map(|v| v.to_f64() * v.to_f64())
            .sum::<f64>()
            .sqrt()
    }
}

/// Every parameter of one model.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ParamStore<T> {
    params: Vec<Param<T>>,
}

impl<T: Real> ParamStore<T> {
    pub fn new() -> Self {
        ParamStore { params: Vec::new() }
    }

    /// Adds a dense parameter drawn from `init`.
    pub fn dense<R: Rng>(
        &mut self,
        name: &str,
        rows: usize,
        cols: usize,
        init: Init,
        rng: &mut R,
    ) -> ParamId {
        self.push(name, rows, cols, ParamKind::Dense, init, rng)
    }

    /// Adds an embedding table of `rows` vectors of `cols`, drawn from `init`.
    pub fn table<R: Rng>(
        &mut self,
        name: &str,
        rows: usize,
        cols: usize,
        init: Init,
        rng: &mut R,
    ) -> ParamId {
        self.push(name, rows, cols, ParamKind::Table, init, rng)
    }

    /// Adds a parameter with the given values (tests, loading).
    pub fn from_values(
        &mut self,
        name: &str,
        rows: usize,
        cols: usize,
        kind: ParamKind,
        value: Vec<T>,
    ) -> ParamId {
        assert_eq!(
            value.len(),
            rows * cols,
            "parameter {name}: {} values for {rows}x{cols}",
            value.len()
        );
        self.params.push(Param {
            name: name.to_string(),
            rows,
            cols,
            kind,
            value,
            transposed: OnceLock::new(),
        });
        ParamId(self.params.len() as u32 - 1)
    }

    fn push<R: Rng>(
        &mut self,
        name: &str,
        rows: usize,
        cols: usize,
        kind: ParamKind,
        init: Init,
        rng: &mut R,
    ) -> ParamId {
        let mut value = vec![T::ZERO; rows * cols];
        fill(&mut value, rows, cols, init, rng);
        self.from_values(name, rows, cols, kind, value)
    }

    pub fn get(&self, id: ParamId) -> &Param<T> {
        &self.params[id.0 as usize]
    }
    /// Parameter `id`'s `valueᵀ` (`cols x rows`, row-major), made once per value:
    /// the LSTMs' batched steps read their recurrent matrices transposed, and
    /// tagging or scoring reads the same values for every sentence. Asked of the
    /// store, not of a `Param`, so that no `&mut Param` can be held meanwhile.
    pub fn transposed(&self, id: ParamId) -> &[T] {
        let p = self.get(id);
        p.transposed.get_or_init(|| {
            let mut out = vec![T::ZERO; p.value.len()];
            transpose(&p.value, p.rows, p.cols, &mut out);
            out
        })
    }
    /// The parameter, to be written: its transpose is forgotten.
    pub fn get_mut(&mut self, id: ParamId) -> &mut Param<T> {
        let p = &mut self.params[id.0 as usize];
        p.transposed.take();
        p
    }
    /// Every parameter's values, in id order, as disjoint borrows (their
    /// transposes forgotten).
    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut [T]> {
        self.params.iter_mut().map(|p| {
            p.transposed.take();
            p.value.as_mut_slice()
        })
    }
    pub fn len(&self) -> usize {
        self.params.len()
    }
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (ParamId, &Param<T>)> {
        self.params
            .iter()
            .enumerate()
            .map(|(i, p)| (ParamId(i as u32), p))
    }
    /// The first parameter called `name`.
    pub fn find(&self, name: &str) -> Option<ParamId> {
        self.params
            .iter()
            .position(|p| p.name == name)
            .map(|i| ParamId(i as u32))
    }
    /// Total number of scalars.
    pub fn num_scalars(&self) -> usize {
        self.params.iter().map(|p| p.value.len()).sum()
    }
}

/// Fills `value` (a `rows x cols` tensor) from `init`.
pub fn fill<T: Real, R: Rng>(value: &mut [T], rows: usize, cols: usize, init: Init, rng: &mut R) {
    let s = match init {
        Init::Glorot => (6.0 / (rows + cols) as f64).sqrt(),
        Init::BiasUniform => (3.0 / (rows * cols) as f64).sqrt(),
        Init::Uniform(s) => s,
        Init::Constant(c) => {
            value.fill(T::from_f64(c));
            return;
        }
    };
    for v in value {
        *v = T::from_f64(rng.random_range(-s..s));
    }
}

/// Converts every parameter to another element type (f32 model -> f64 gradient check).
pub fn convert<A: Real, B: Real>(store: &ParamStore<A>) -> ParamStore<B> {
    ParamStore {
        params: store
            .params
            .iter()
            .map(|p| Param {
                name: p.name.clone(),
                rows: p.rows,
                cols: p.cols,
                kind: p.kind,
                value: p.value.iter().map(|v| B::from_f64(v.to_f64())).collect(),
                transposed: OnceLock::new(),
            })
            .collect(),
    }
}

/// `out = Wᵀ` for a row-major `rows×cols` `w`: eight input rows at a time,
/// so each output row gets eight consecutive values per pass (the
/// column-by-column loop was ~4% of a training step, this ~2%).
fn transpose<T: Copy>(w: &[T], rows: usize, cols: usize, out: &mut [T]) {
    let out = &mut out[..rows * cols];
    let mut r = 0;
    while r + 8 <= rows {
        let src: [&[T]; 8] = std::array::from_fn(|i| &w[(r + i) * cols..(r + i + 1) * cols]);
        for (c, dst) in out.chunks_exact_mut(rows).enumerate() {
            let dst = &mut dst[r..r + 8];
            for (d, s) in dst.iter_mut().zip(&src) {
                *d = s[c];
            }
        }
        r += 8;
    }
    for r in r..rows {
        for (c, &v) in w[r * cols..(r + 1) * cols].iter().enumerate() {
            out[c * rows + r] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ParamId, ParamKind, ParamStore};

    #[test]
    fn a_transpose_is_forgotten_when_its_value_is_written() {
        let mut s = ParamStore::<f64>::new();
        let w = s.from_values("w", 2, 3, ParamKind::Dense, vec![1., 2., 3., 4., 5., 6.]);
        assert_eq!(s.transposed(w), [1., 4., 2., 5., 3., 6.]);
        s.get_mut(w).value[1] = 20.;
        assert_eq!(s.transposed(w), [1., 4., 20., 5., 3., 6.]);
        // The optimizer's way in (every parameter at once).
        for v in s.values_mut() {
            v[0] = -1.;
        }
        assert_eq!(s.transposed(w), [-1., 4., 20., 5., 3., 6.]);
        // Neither saved nor compared: a reloaded store makes it again.
        let back: ParamStore<f64> =
            serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back.transposed(ParamId(0)), s.transposed(w));
    }

    #[test]
    fn blocked_transpose_matches_the_definition() {
        for (rows, cols) in [(1, 1), (1, 37), (37, 1), (16, 16), (17, 33), (300, 100)] {
            let w: Vec<f64> = (0..rows * cols).map(|i| i as f64).collect();
            let mut out = vec![f64::NAN; rows * cols];
            super::transpose(&w, rows, cols, &mut out);
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(
                        out[c * rows + r],
                        w[r * cols + c],
                        "{rows}x{cols} at ({r}, {c})"
                    );
                }
            }
        }
    }
}
