//! `gaussian_noise`: `x + ε`, `ε ~ N(0, σ²)` drawn fresh for every element
//! (training only; model-spec section 3). The gradient passes straight through.
//!
//! The noise comes from the vector kernel `cpu_kernels::normal_fill`, keyed by
//! one `u64` drawn from the caller's generator: a call costs one draw however
//! large `x` is, and the same generator state gives the same noise.

use crate::tape::{Op, Var};
use crate::Graph;
use cpu_kernels::Real;
use rand::Rng;

impl<T: Real> Graph<'_, T> {
    /// `x + σ·z` with `z` standard normal from `rng`; `d/dx = 1`.
    pub fn gaussian_noise<R: Rng>(&mut self, x: Var, sigma: f64, rng: &mut R) -> Var {
        let (r, c) = self.shape(x);
        let needs = self.needs_grad(x);
        let out = self.push(Op::Noise(x), r, c, 0, needs);
        let seed: u64 = rng.random();
        let (vals, y, _) = self.io(out);
        cpu_kernels::normal_fill(seed, T::from_f64(sigma), y);
        cpu_kernels::axpy(T::ONE, vals.get(x), y);
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::{check, param};
    use crate::{Graph, ParamStore, Tape};
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn gradcheck_with_fixed_noise() {
        let mut s = ParamStore::new();
        let x = param(&mut s, 3, 4, 0.6);
        check(&s, |g| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
            let x = g.param(x);
            let n = g.gaussian_noise(x, 0.2, &mut rng);
            g.tanh(n)
        });
    }

    #[test]
    fn noise_has_the_requested_spread() {
        let s = ParamStore::<f64>::new();
        let mut tape = Tape::new();
        let mut g = Graph::new(&mut tape, &s);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let x = g.input(1, 20000, &[1.0; 20000]);
        let y = g.gaussian_noise(x, 0.2, &mut rng);
        let v = g.value(y);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        // Standard errors: 0.2/sqrt(20000) = 0.0014 for the mean, ~0.001 for the sd.
        assert!((mean - 1.0).abs() < 0.01, "mean {mean}");
        assert!((sd - 0.2).abs() < 0.01, "sd {sd}");
    }
}
