//! `linear`: `y = x·Wᵀ + b`, the affine map of every layer (one row of `x` per
//! token; with one row it is a matrix-vector product).

use crate::tape::{GradSink, Op, Vals, Var};
use crate::Graph;
use cpu_kernels::{axpy, gemm, gemv, ger, Mat, MatMut, Real};

impl<T: Real> Graph<'_, T> {
    /// `y = x·Wᵀ + b` for `x: n×in`, `W: out×in`, `b: 1×out`; `y: n×out`.
    pub fn linear(&mut self, x: Var, w: Var, b: Option<Var>) -> Var {
        let (n, k) = self.shape(x);
        let (m, k2) = self.shape(w);
        assert_eq!(k, k2, "linear: x is {n}x{k} but W is {m}x{k2}");
        if let Some(b) = b {
            assert_eq!(
                self.shape(b),
                (1, m),
                "linear: bias is {:?}, expected (1, {m})",
                self.shape(b)
            );
        }
        let needs =
            self.needs_grad(x) || self.needs_grad(w) || b.is_some_and(|b| self.needs_grad(b));
        let out = self.push(Op::Linear { x, w, b }, n, m, 0, needs);
        let (vals, y, _) = self.io(out);
        affine(vals.get(x), vals.get(w), b.map(|b| vals.get(b)), n, k, y);
        out
    }
}

/// `y = x·Wᵀ + b` on raw row-major slices: `x: n×k`, `W: m×k` (`m = y.len() / n`), `y`
/// overwritten. Shared with the fused heads op.
pub(super) fn affine<T: Real>(x: &[T], w: &[T], b: Option<&[T]>, n: usize, k: usize, y: &mut [T]) {
    let m = y.len() / n;
    // The bias goes in first and the product is added to it (`beta = 1`):
    // the same rounding as adding it afterwards, without a pass per row.
    let beta = match b {
        Some(b) => {
            for row in y.chunks_exact_mut(m) {
                row.copy_from_slice(b);
            }
            T::ONE
        }
        None => T::ZERO,
    };
    if n == 1 {
        gemv(T::ONE, Mat::new(w, m, k), x, beta, y);
    } else {
        gemm(
            T::ONE,
            Mat::new(x, n, k),
            Mat::new(w, m, k).t(),
            beta,
            MatMut::new(y, n, m),
        );
    }
}

/// `dx = beta·dx + dy·W` for `dy: n×m`, `W: m×k`, `dx: n×k`; `beta` is 1
/// (accumulate) or 0 (overwrite).
pub(super) fn grad_input<T: Real>(dy: &[T], w: &[T], n: usize, m: usize, beta: T, dx: &mut [T]) {
    let k = dx.len() / n;
    if n == 1 {
        gemv(T::ONE, Mat::new(w, m, k).t(), dy, beta, dx);
    } else {
        gemm(
            T::ONE,
            Mat::new(dy, n, m),
            Mat::new(w, m, k),
            beta,
            MatMut::new(dx, n, k),
        );
    }
}

/// `dW = beta·dW + dyᵀ·x` for `dy: n×m`, `x: n×k`, `dW: m×k`; `beta` is 1
/// (accumulate) or 0 (overwrite).
pub(super) fn grad_weight<T: Real>(dy: &[T], x: &[T], n: usize, m: usize, beta: T, dw: &mut [T]) {
    let k = dw.len() / m;
    if n == 1 {
        if beta == T::ZERO {
            dw.fill(T::ZERO);
        }
        ger(T::ONE, dy, x, MatMut::new(dw, m, k));
    } else {
        gemm(
            T::ONE,
            Mat::new(dy, n, m).t(),
            Mat::new(x, n, k),
            beta,
            MatMut::new(dw, m, k),
        );
    }
}

/// `db += Σ_rows dy`.
pub(super) fn grad_bias<T: Real>(dy: &[T], db: &mut [T]) {
    for row in dy.chunks_exact(db.len()) {
        axpy(T::ONE, row, db);
    }
}

/// `dx += dy·W`, `dW += dyᵀ·x`, `db += Σ_rows dy`.
pub(super) fn backward<T: Real>(
    vals: &Vals<'_, T>,
    dy: &[T],
    sink: &mut GradSink<'_, T>,
    x: Var,
    w: Var,
    b: Option<Var>,
) {
    let n = vals.node(x).rows;
    let m = vals.node(w).rows;
    if let Some(dx) = sink.of(x) {
        grad_input(dy, vals.get(w), n, m, T::ONE, dx);
    }
    if let Some(dw) = sink.of(w) {
        grad_weight(dy, vals.get(x), n, m, T::ONE, dw);
    }
    if let Some(db) = b.and_then(|b| sink.of(b)) {
        grad_bias(dy, db);
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::{check, param};
    use crate::ParamStore;

    #[test]
    fn gradcheck_vector_and_matrix_inputs() {
        for n in [1, 3] {
            let mut s = ParamStore::new();
            let (x, w, b) = (
                param(&mut s, n, 5, 0.1),
                param(&mut s, 4, 5, 0.2),
                param(&mut s, 1, 4, 0.3),
            );
            check(&s, |g| {
                let (x, w, b) = (g.param(x), g.param(w), g.param(b));
                g.linear(x, w, Some(b))
            });
            check(&s, |g| {
                let (x, w) = (g.param(x), g.param(w));
                g.linear(x, w, None)
            });
        }
    }

    #[test]
    fn value_matches_hand_computation() {
        let mut s = ParamStore::<f64>::new();
        let kind = crate::ParamKind::Dense;
        let x = s.from_values("x", 1, 2, kind, vec![1.0, 2.0]);
        let w = s.from_values("w", 2, 2, kind, vec![1.0, -1.0, 0.5, 3.0]);
        let b = s.from_values("b", 1, 2, kind, vec![0.25, -0.25]);
        let mut tape = crate::Tape::new();
        let mut g = crate::Graph::new(&mut tape, &s);
        let (xv, wv, bv) = (g.param(x), g.param(w), g.param(b));
        let y = g.linear(xv, wv, Some(bv));
        // [1 - 2 + 0.25, 0.5 + 6 - 0.25]
        assert_eq!(g.value(y), &[-0.75, 6.25]);
    }
}
