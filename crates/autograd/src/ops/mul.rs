//! `mul`: element-wise (Hadamard) product `a ⊙ b` of two same-shaped values.

use crate::tape::{GradSink, Op, Vals, Var};
use crate::Graph;
use cpu_kernels::Real;

impl<T: Real> Graph<'_, T> {
    /// `a ⊙ b`, element-wise.
    pub fn mul(&mut self, a: Var, b: Var) -> Var {
        let out = self.binary(Op::Mul(a, b), "mul", a, b);
        let (vals, y, _) = self.io(out);
        for ((y, &a), &b) in y.iter_mut().zip(vals.get(a)).zip(vals.get(b)) {
            *y = a * b;
        }
        out
    }
}

/// `d(a ⊙ b)/da = b`, `d(a ⊙ b)/db = a`.
pub(super) fn backward<T: Real>(
    vals: &Vals<'_, T>,
    dy: &[T],
    sink: &mut GradSink<'_, T>,
    a: Var,
    b: Var,
) {
    let (av, bv) = (vals.get(a), vals.get(b));
    if let Some(da) = sink.of(a) {
        for ((d, &g), &b) in da.iter_mut().zip(dy).zip(bv) {
            *d += g * b;
        }
    }
    if let Some(db) = sink.of(b) {
        for ((d, &g), &a) in db.iter_mut().zip(dy).zip(av) {
            *d += g * a;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::{check, param};
    use crate::ParamStore;

    #[test]
    fn gradcheck_including_square() {
        let mut s = ParamStore::new();
        let (a, b) = (param(&mut s, 3, 3, 0.2), param(&mut s, 3, 3, 2.1));
        check(&s, |g| {
            let (a, b) = (g.param(a), g.param(b));
            g.mul(a, b)
        });
        check(&s, |g| {
            let a = g.param(a);
            g.mul(a, a)
        });
    }
}
