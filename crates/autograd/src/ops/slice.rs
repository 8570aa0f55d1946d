//! `slice_cols` / `slice_rows`: a contiguous block of columns or rows (one gate
//! out of the stacked gate pre-activations; one token out of a sentence).

use crate::tape::{GradSink, Node, Op, Vals, Var};
use crate::Graph;
use cpu_kernels::{axpy, Real};
use std::ops::Range;

impl<T: Real> Graph<'_, T> {
    /// Columns `range` of `x`.
    pub fn slice_cols(&mut self, x: Var, range: Range<usize>) -> Var {
        let (rows, cols) = self.shape(x);
        assert!(
            range.start <= range.end && range.end <= cols,
            "slice_cols: {range:?} outside {rows}x{cols}"
        );
        let w = range.len();
        let needs = self.needs_grad(x);
        let out = self.push(
            Op::SliceCols {
                x,
                start: range.start,
            },
            rows,
            w,
            0,
            needs,
        );
        let (vals, y, _) = self.io(out);
        let xv = vals.get(x);
        for r in 0..rows {
            y[r * w..(r + 1) * w]
                .copy_from_slice(&xv[r * cols + range.start..r * cols + range.end]);
        }
        out
    }

    /// Rows `range` of `x`.
    pub fn slice_rows(&mut self, x: Var, range: Range<usize>) -> Var {
        let (rows, cols) = self.shape(x);
        assert!(
            range.start <= range.end && range.end <= rows,
            "slice_rows: {range:?} outside {rows}x{cols}"
        );
        let needs = self.needs_grad(x);
        let out = self.push(
            Op::SliceRows {
                x,
                start: range.start,
            },
            range.len(),
            cols,
            0,
            needs,
        );
        let (vals, y, _) = self.io(out);
        y.copy_from_slice(&vals.get(x)[range.start * cols..range.end * cols]);
        out
    }
}

/// The slice's gradient goes back to the columns it came from.
pub(super) fn backward_cols<T: Real>(
    vals: &Vals<'_, T>,
    node: &Node,
    dy: &[T],
    sink: &mut GradSink<'_, T>,
    x: Var,
    start: usize,
) {
    let (cols, w) = (vals.node(x).cols, node.cols);
    if let Some(dx) = sink.of(x) {
        for r in 0..node.rows {
            axpy(
                T::ONE,
                &dy[r * w..(r + 1) * w],
                &mut dx[r * cols + start..r * cols + start + w],
            );
        }
    }
}

/// The slice's gradient goes back to the rows it came from.
pub(super) fn backward_rows<T: Real>(
    vals: &Vals<'_, T>,
    node: &Node,
    dy: &[T],
    sink: &mut GradSink<'_, T>,
    x: Var,
    start: usize,
) {
    let cols = vals.node(x).cols;
    if let Some(dx) = sink.of(x) {
        axpy(
            T::ONE,
            dy,
            &mut dx[start * cols..(start + node.rows) * cols],
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::{check, param};
    use crate::ParamStore;

    #[test]
    fn gradcheck_overlapping_slices() {
        let mut s = ParamStore::new();
        let x = param(&mut s, 4, 6, 0.2);
        check(&s, |g| {
            let x = g.param(x);
            let a = g.slice_cols(x, 1..4);
            let b = g.slice_cols(x, 2..5);
            let ab = g.mul(a, b);
            let r = g.slice_rows(ab, 1..3);
            let r2 = g.slice_rows(ab, 2..4);
            g.add(r, r2)
        });
    }
}
