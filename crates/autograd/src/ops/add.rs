//! `add`: element-wise `a + b` of two same-shaped values.

use crate::tape::{GradSink, Op, Var};
use crate::Graph;
use cpu_kernels::{axpy, Real};

impl<T: Real> Graph<'_, T> {
    /// `a + b`, element-wise.
    pub fn add(&mut self, a: Var, b: Var) -> Var {
        let out = self.binary(Op::Add(a, b), "add", a, b);
        let (vals, y, _) = self.io(out);
        for ((y, &a), &b) in y.iter_mut().zip(vals.get(a)).zip(vals.get(b)) {
            *y = a + b;
        }
        out
    }

    /// Records an element-wise binary op after checking that the shapes agree.
    pub(crate) fn binary(&mut self, op: Op, name: &str, a: Var, b: Var) -> Var {
        let (sa, sb) = (self.shape(a), self.shape(b));
        assert_eq!(sa, sb, "{name}: shapes differ: {sa:?} and {sb:?}");
        let needs = self.needs_grad(a) || self.needs_grad(b);
        self.push(op, sa.0, sa.1, 0, needs)
    }
}

/// `d(a + b)/da = d(a + b)/db = 1`.
pub(super) fn backward<T: Real>(dy: &[T], sink: &mut GradSink<'_, T>, a: Var, b: Var) {
    accumulate(sink, a, dy);
    accumulate(sink, b, dy);
}

/// `dx += dy` (also the backward pass of ops the gradient passes straight through).
pub(super) fn accumulate<T: Real>(sink: &mut GradSink<'_, T>, x: Var, dy: &[T]) {
    if let Some(dx) = sink.of(x) {
        axpy(T::ONE, dy, dx);
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::{check, param};
    use crate::ParamStore;

    #[test]
    fn gradcheck_including_fan_out() {
        let mut s = ParamStore::new();
        let (a, b) = (param(&mut s, 3, 4, 0.1), param(&mut s, 3, 4, 0.9));
        check(&s, |g| {
            let (a, b) = (g.param(a), g.param(b));
            g.add(a, b)
        });
        // The same node used twice: its gradient must be accumulated, not overwritten.
        check(&s, |g| {
            let a = g.param(a);
            let t = g.tanh(a);
            g.add(t, t)
        });
    }
}
