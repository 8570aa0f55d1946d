//! `sub`: element-wise `a - b` of two same-shaped values.

use crate::tape::{GradSink, Op, Var};
use crate::Graph;
use cpu_kernels::{axpy, Real};

impl<T: Real> Graph<'_, T> {
    /// `a - b`, element-wise.
    pub fn sub(&mut self, a: Var, b: Var) -> Var {
        let out = self.binary(Op::Sub(a, b), "sub", a, b);
        let (vals, y, _) = self.io(out);
        for ((y, &a), &b) in y.iter_mut().zip(vals.get(a)).zip(vals.get(b)) {
            *y = a - b;
        }
        out
    }
}

/// `d(a - b)/da = 1`, `d(a - b)/db = -1`.
pub(super) fn backward<T: Real>(dy: &[T], sink: &mut GradSink<'_, T>, a: Var, b: Var) {
    if let Some(da) = sink.of(a) {
        axpy(T::ONE, dy, da);
    }
    if let Some(db) = sink.of(b) {
        axpy(-T::ONE, dy, db);
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::{check, param};
    use crate::ParamStore;

    #[test]
    fn gradient_check() {
        let mut s = ParamStore::new();
        let (a, b) = (param(&mut s, 2, 5, 0.4), param(&mut s, 2, 5, 1.3));
        check(&s, |g| {
            let (a, b) = (g.param(a), g.param(b));
            g.sub(a, b)
        });
    }
}
