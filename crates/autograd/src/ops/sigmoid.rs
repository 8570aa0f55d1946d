//! `sigmoid`: `σ(x) = 1 / (1 + e^-x)`, element-wise (the LSTM gates).

use crate::tape::{GradSink, Op, Var};
use crate::Graph;
use cpu_kernels::{Real, Unary};

impl<T: Real> Graph<'_, T> {
    /// `σ(x)`, element-wise.
    pub fn sigmoid(&mut self, x: Var) -> Var {
        self.unary(Op::Sigmoid(x), Unary::Sigmoid, x)
    }

    /// Records an element-wise function of `x`.
    pub(crate) fn unary(&mut self, op: Op, f: Unary, x: Var) -> Var {
        let (r, c) = self.shape(x);
        let needs = self.needs_grad(x);
        let out = self.push(op, r, c, 0, needs);
        let (vals, y, _) = self.io(out);
        cpu_kernels::unary(f, vals.get(x), y);
        out
    }
}

/// `dσ/dx = σ(x)·(1 - σ(x))`, from the saved output `y`.
pub(super) fn backward<T: Real>(y: &[T], dy: &[T], sink: &mut GradSink<'_, T>, x: Var) {
    if let Some(dx) = sink.of(x) {
        for ((d, &g), &y) in dx.iter_mut().zip(dy).zip(y) {
            *d += g * y * (T::ONE - y);
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
        let x = param(&mut s, 2, 7, 0.3);
        check(&s, |g| {
            let x = g.param(x);
            g.sigmoid(x)
        });
    }
}
