//! Plain SGD with global-norm clipping (model-spec section 4): one sentence per
//! update, learning rate 0.1, and before each update every gradient is scaled
//! by `5 / norm` when the L2 norm over everything that received gradient
//! exceeds 5. Embedding tables update only the rows that were looked up.

use crate::grads::Grads;
use crate::params::ParamStore;
use cpu_kernels::Real;

/// The optimizer's settings.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sgd {
    pub learning_rate: f64,
    /// Clip the global gradient norm to this (`None`: no clipping).
    pub clip_norm: Option<f64>,
}

impl Default for Sgd {
    fn default() -> Self {
        Sgd {
            learning_rate: 0.1,
            clip_norm: Some(5.0),
        }
    }
}

/// A gradient that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptimError {
    #[error("the gradient norm is {0} (not finite): the update was not applied; lower the learning rate or check the input")]
    NonFiniteNorm(f64),
}

impl Sgd {
    /// Applies one update from `grads`, then zeroes them. Returns the gradient
    /// norm before clipping. A non-finite norm leaves `params` untouched (the
    /// gradients are still cleared) and is an error.
    pub fn step<T: Real>(
        &self,
        params: &mut ParamStore<T>,
        grads: &mut Grads<T>,
    ) -> Result<f64, OptimError> {
        let norm = grads.squared_norm().sqrt();
        if !norm.is_finite() {
            grads.zero();
            return Err(OptimError::NonFiniteNorm(norm));
        }
        let mut scale = self.learning_rate;
        if let Some(clip) = self.clip_norm {
            if norm > clip {
                scale *= clip / norm;
            }
        }
        let alpha = T::from_f64(-scale);
        // One pass: update, then the gradient is zeroed while in cache.
        grads.apply(params, alpha);
        Ok(norm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Graph, ParamKind, Tape};

    fn setup() -> (ParamStore<f64>, crate::ParamId, crate::ParamId) {
        let mut s = ParamStore::new();
        let w = s.from_values("w", 1, 2, ParamKind::Dense, vec![1.0, 2.0]);
        let t = s.from_values("emb", 3, 2, ParamKind::Table, vec![0.0; 6]);
        (s, w, t)
    }

    /// loss = k·Σw + Σ emb[1]: gradient k on each w, 1 on each element of row 1.
    fn step(
        s: &mut ParamStore<f64>,
        w: crate::ParamId,
        t: crate::ParamId,
        k: f64,
        sgd: Sgd,
    ) -> Result<f64, OptimError> {
        let mut grads = Grads::new(s);
        let mut tape = Tape::new();
        let mut g = Graph::new(&mut tape, s);
        let wv = g.param(w);
        let kk = g.input(1, 2, &[k, k]);
        let kw = g.mul(wv, kk);
        let e = g.lookup(t, &[1]);
        let l = g.sum(&[kw, e]);
        g.backward(l, &mut grads);
        sgd.step(s, &mut grads)
    }

    #[test]
    fn small_gradients_are_not_clipped() {
        let (mut s, w, t) = setup();
        let norm = step(&mut s, w, t, 1.0, Sgd::default()).unwrap();
        assert!((norm - 2.0).abs() < 1e-12); // sqrt(1 + 1 + 1 + 1)
        assert_eq!(s.get(w).value, vec![0.9, 1.9]);
        assert_eq!(s.get(t).value, vec![0.0, 0.0, -0.1, -0.1, 0.0, 0.0]);
    }

    #[test]
    fn large_gradients_are_clipped_to_norm_5() {
        let (mut s, w, t) = setup();
        // grads: (10, 10) on w and (1, 1) on emb[1]; norm sqrt(202).
        let norm = step(&mut s, w, t, 10.0, Sgd::default()).unwrap();
        let scale = 0.1 * 5.0 / 202f64.sqrt();
        assert!((norm - 202f64.sqrt()).abs() < 1e-12);
        assert!((s.get(w).value[0] - (1.0 - 10.0 * scale)).abs() < 1e-12);
        assert!((s.get(t).value[2] + scale).abs() < 1e-12);
        assert_eq!(s.get(t).value[0], 0.0, "an unused row must not move");
    }

    /// Three dense parameters of different sizes (a tanh makes their
    /// gradients irregular) and a table: one step on the calling thread, and
    /// one forking on a spinner, which updates the dense ones in two halves.
    #[test]
    fn an_update_on_two_threads_has_the_same_bits() {
        let run = |spin: bool| {
            let mut s: ParamStore<f32> = ParamStore::new();
            let sizes = [7usize, 300, 45];
            let ids: Vec<_> = sizes
                .iter()
                .enumerate()
                .map(|(i, &n)| {
                    let v = (0..n)
                        .map(|j| ((i * 31 + j * 7) % 13) as f32 * 0.37 - 2.0)
                        .collect();
                    s.from_values(&format!("w{i}"), 1, n, ParamKind::Dense, v)
                })
                .collect();
            let t = s.from_values("emb", 4, 3, ParamKind::Table, vec![0.5; 12]);
            let mut grads = Grads::new(&s);
            let mut tape = Tape::new();
            let mut g = Graph::new(&mut tape, &s);
            let mut parts: Vec<_> = ids
                .iter()
                .map(|&id| {
                    let p = g.param(id);
                    let sq = g.mul(p, p);
                    g.tanh(sq)
                })
                .collect();
            parts.push(g.lookup(t, &[2, 0]));
            let l = g.sum(&parts);
            g.backward(l, &mut grads);
            let sgd = Sgd::default();
            if spin {
                crate::par::Spinner::new().enter(|| sgd.step(&mut s, &mut grads).unwrap());
            } else {
                sgd.step(&mut s, &mut grads).unwrap();
            }
            let bits: Vec<u32> = (0..s.len())
                .flat_map(|i| s.get(crate::ParamId(i as u32)).value.clone())
                .map(f32::to_bits)
                .collect();
            bits
        };
        let (one, two) = (run(false), run(true));
        assert_eq!(one, two);
        assert_ne!(one, run_unchanged_bits(), "the step moved nothing");
    }

    /// The parameters of [`an_update_on_two_threads_has_the_same_bits`] before the step.
    fn run_unchanged_bits() -> Vec<u32> {
        let mut out = Vec::new();
        for (i, n) in [7usize, 300, 45].into_iter().enumerate() {
            out.extend((0..n).map(|j| (((i * 31 + j * 7) % 13) as f32 * 0.37 - 2.0).to_bits()));
        }
        out.extend([0.5f32; 12].map(f32::to_bits));
        out
    }

    #[test]
    fn non_finite_norm_is_an_error_and_changes_nothing() {
        let (mut s, w, t) = setup();
        let before = s.clone();
        let err = step(&mut s, w, t, f64::INFINITY, Sgd::default()).unwrap_err();
        assert!(matches!(err, OptimError::NonFiniteNorm(_)));
        assert_eq!(s.get(w).value, before.get(w).value);
        assert_eq!(s.get(t).value, before.get(t).value);
    }
}
