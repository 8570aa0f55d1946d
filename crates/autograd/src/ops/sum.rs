//! `sum`: the sum of every element of several values, as a `1×1` scalar (the
//! sentence loss is the sum of the heads' losses, model-spec section 4).

use crate::tape::{GradSink, Op, Var};
use crate::Graph;
use cpu_kernels::Real;

impl<T: Real> Graph<'_, T> {
    /// `Σ` of all elements of all `parts`.
    pub fn sum(&mut self, parts: &[Var]) -> Var {
        let needs = parts.iter().any(|&p| self.needs_grad(p));
        let ints = self.push_ints(parts.iter().map(|p| p.idx()));
        let out = self.push(
            Op::Sum {
                ints,
                n: parts.len(),
            },
            1,
            1,
            0,
            needs,
        );
        let (vals, y, _) = self.io(out);
        y[0] = parts
            .iter()
            .map(|&p| vals.get(p).iter().copied().sum::<T>())
            .sum();
        out
    }
}

/// `d Σ / d xⱼ = 1` for every element of every part.
pub(super) fn backward<T: Real>(dy: &[T], sink: &mut GradSink<'_, T>, parts: &[usize]) {
    for &p in parts {
        if let Some(dx) = sink.of(Var(p as u32)) {
            for d in dx {
                *d += dy[0];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::param;
    use crate::{gradcheck, ParamStore};

    #[test]
    fn gradcheck_of_several_parts() {
        let mut s = ParamStore::new();
        let (a, b) = (param(&mut s, 2, 3, 0.1), param(&mut s, 1, 4, 0.5));
        let report = gradcheck(&s, |g| {
            let (a, b) = (g.param(a), g.param(b));
            let (ta, tb) = (g.tanh(a), g.sigmoid(b));
            g.sum(&[ta, tb, ta])
        });
        assert!(report.passed(), "{report}");
    }
}
