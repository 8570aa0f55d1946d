//! `relu`: `max(x, 0)`, element-wise (the heads' hidden layer).

use crate::tape::{GradSink, Op, Var};
use crate::Graph;
use cpu_kernels::{Real, Unary};

impl<T: Real> Graph<'_, T> {
    /// `max(x, 0)`, element-wise.
    pub fn relu(&mut self, x: Var) -> Var {
        self.unary(Op::Relu(x), Unary::Relu, x)
    }
}

/// `d relu(x)/dx = 1 if x > 0 else 0` (read off the saved output: `y > 0 ⇔ x > 0`).
pub(super) fn backward<T: Real>(y: &[T], dy: &[T], sink: &mut GradSink<'_, T>, x: Var) {
    if let Some(dx) = sink.of(x) {
        // A select, not a branch: the signs are random, a branch mispredicts.
        for ((d, &g), &y) in dx.iter_mut().zip(dy).zip(y) {
            *d += if y > T::ZERO { g } else { T::ZERO };
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::{check, param};
    use crate::ParamStore;

    #[test]
    fn gradcheck_away_from_the_kink() {
        // sin(0.37 i + 0.5) for i < 12 stays at least 0.05 away from 0, where
        // relu is not differentiable and central differences would straddle it.
        let mut s = ParamStore::new();
        let x = param(&mut s, 3, 4, 0.5);
        check(&s, |g| {
            let x = g.param(x);
            g.relu(x)
        });
    }
}
