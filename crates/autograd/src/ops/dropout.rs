//! `dropout`: inverted dropout, `x ⊙ m` with `m = 0` with probability `p` and
//! `1 / (1 - p)` otherwise, so the expected value is unchanged.

use crate::tape::{GradSink, Op, Var};
use crate::Graph;
use cpu_kernels::Real;
use rand::Rng;

impl<T: Real> Graph<'_, T> {
    /// Drops each element with probability `p` and rescales the rest; the mask is saved.
    pub fn dropout<R: Rng>(&mut self, x: Var, p: f64, rng: &mut R) -> Var {
        assert!((0.0..1.0).contains(&p), "dropout: rate {p} outside [0, 1)");
        let (r, c) = self.shape(x);
        let needs = self.needs_grad(x);
        let out = self.push(Op::Dropout(x), r, c, r * c, needs);
        let (vals, y, mask) = self.io(out);
        let keep = T::from_f64(1.0 / (1.0 - p));
        for ((y, m), &x) in y.iter_mut().zip(mask.iter_mut()).zip(vals.get(x)) {
            *m = if rng.random::<f64>() < p {
                T::ZERO
            } else {
                keep
            };
            *y = x * *m;
        }
        out
    }
}

/// `dx += dy ⊙ m` with the saved mask `m`.
pub(super) fn backward<T: Real>(mask: &[T], dy: &[T], sink: &mut GradSink<'_, T>, x: Var) {
    if let Some(dx) = sink.of(x) {
        for ((d, &g), &m) in dx.iter_mut().zip(dy).zip(mask) {
            *d += g * m;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::{check, param};
    use crate::{Graph, ParamStore, Tape};
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn gradcheck_with_fixed_mask() {
        let mut s = ParamStore::new();
        let x = param(&mut s, 4, 5, 0.1);
        check(&s, |g| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
            let x = g.param(x);
            g.dropout(x, 0.3, &mut rng)
        });
    }

    #[test]
    fn drops_at_the_rate_and_keeps_the_mean() {
        let s = ParamStore::<f64>::new();
        let mut tape = Tape::new();
        let mut g = Graph::new(&mut tape, &s);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let x = g.input(1, 40000, &[2.0; 40000]);
        let y = g.dropout(x, 0.25, &mut rng);
        let v = g.value(y);
        let dropped = v.iter().filter(|&&y| y == 0.0).count() as f64 / v.len() as f64;
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        assert!((dropped - 0.25).abs() < 0.01, "dropped {dropped}");
        assert!((mean - 2.0).abs() < 0.03, "mean {mean}");
        assert!(v
            .iter()
            .all(|&y| y == 0.0 || (y - 2.0 / 0.75).abs() < 1e-12));
    }
}
