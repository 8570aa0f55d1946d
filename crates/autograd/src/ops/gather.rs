//! `gather_rows`: rows of a recorded value picked by index, repeats allowed
//! (the character features of a sentence's distinct words, handed to every
//! token that spells one of them).

use crate::tape::{GradSink, Node, Op, Vals, Var};
use crate::Graph;
use cpu_kernels::{axpy, Real};

impl<T: Real> Graph<'_, T> {
    /// Row `rows[i]` of `x` as row `i` of the result.
    pub fn gather_rows(&mut self, x: Var, rows: &[usize]) -> Var {
        let (n, cols) = self.shape(x);
        if let Some(&bad) = rows.iter().find(|&&r| r >= n) {
            panic!("gather_rows: row {bad} outside {n}x{cols}");
        }
        let needs = self.needs_grad(x);
        let ints = self.push_ints(rows.iter().copied());
        let out = self.push(Op::GatherRows { x, ints }, rows.len(), cols, 0, needs);
        let (vals, y, _) = self.io(out);
        let xv = vals.get(x);
        for (dst, &r) in y.chunks_exact_mut(cols.max(1)).zip(rows) {
            dst.copy_from_slice(&xv[r * cols..(r + 1) * cols]);
        }
        out
    }
}

/// `dx[rows[i]] += dy[i]`: a row used by several tokens sums their gradients.
pub(super) fn backward<T: Real>(
    vals: &Vals<'_, T>,
    node: &Node,
    dy: &[T],
    sink: &mut GradSink<'_, T>,
    x: Var,
    rows: &[usize],
) {
    let cols = vals.node(x).cols;
    if let Some(dx) = sink.of(x) {
        for (i, &r) in rows.iter().enumerate().take(node.rows) {
            axpy(
                T::ONE,
                &dy[i * cols..(i + 1) * cols],
                &mut dx[r * cols..(r + 1) * cols],
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::{check, param};
    use crate::ParamStore;

    #[test]
    fn gradcheck_with_repeated_and_unused_rows() {
        let mut s = ParamStore::new();
        let x = param(&mut s, 4, 3, 0.3);
        check(&s, |g| {
            let x = g.param(x);
            let t = g.tanh(x);
            g.gather_rows(t, &[2, 0, 2, 2, 1])
        });
    }
}
