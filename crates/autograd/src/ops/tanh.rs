//! `tanh`: the hyperbolic tangent, element-wise (LSTM candidate and output).

use crate::tape::{GradSink, Op, Var};
use crate::Graph;
use cpu_kernels::{Real, Unary};

impl<T: Real> Graph<'_, T> {
    /// `tanh(x)`, element-wise.
    pub fn tanh(&mut self, x: Var) -> Var {
        self.unary(Op::Tanh(x), Unary::Tanh, x)
    }
}

/// `d tanh(x)/dx = 1 - tanh²(x)`, from the saved output `y`.
pub(super) fn backward<T: Real>(y: &[T], dy: &[T], sink: &mut GradSink<'_, T>, x: Var) {
    if let Some(dx) = sink.of(x) {
        for ((d, &g), &y) in dx.iter_mut().zip(dy).zip(y) {
            *d += g * (T::ONE - y * y);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::{check, param};
    use crate::ParamStore;

    #[test]
    fn gradient_check() {
        let mut s = ParamStore::new();
        let x = param(&mut s, 3, 5, 0.8);
        check(&s, |g| {
            let x = g.param(x);
            g.tanh(x)
        });
    }
}
