//! `concat`: values side by side, row by row (`[word ; char_fwd ; char_bwd]`).

use crate::tape::{GradSink, Node, Op, Vals, Var};
use crate::Graph;
use cpu_kernels::{axpy, Real};

impl<T: Real> Graph<'_, T> {
    /// Joins `parts` (same number of rows) along the columns.
    pub fn concat(&mut self, parts: &[Var]) -> Var {
        assert!(!parts.is_empty(), "concat: no inputs");
        let rows = self.shape(parts[0]).0;
        for &p in parts {
            assert_eq!(
                self.shape(p).0,
                rows,
                "concat: row counts differ: {:?}",
                parts.iter().map(|&p| self.shape(p)).collect::<Vec<_>>()
            );
        }
        let cols = parts.iter().map(|&p| self.shape(p).1).sum();
        let needs = parts.iter().any(|&p| self.needs_grad(p));
        let ints = self.push_ints(parts.iter().map(|p| p.idx()));
        let out = self.push(
            Op::Concat {
                ints,
                n: parts.len(),
            },
            rows,
            cols,
            0,
            needs,
        );
        let (vals, y, _) = self.io(out);
        let mut at = 0;
        for &p in parts {
            let c = vals.node(p).cols;
            for (r, src) in vals.get(p).chunks_exact(c).enumerate() {
                y[r * cols + at..r * cols + at + c].copy_from_slice(src);
            }
            at += c;
        }
        out
    }
}

/// Each input's gradient is its block of columns of `dy`.
pub(super) fn backward<T: Real>(
    vals: &Vals<'_, T>,
    node: &Node,
    dy: &[T],
    sink: &mut GradSink<'_, T>,
    parts: &[usize],
) {
    let cols = node.cols;
    let mut at = 0;
    for &p in parts {
        let p = Var(p as u32);
        let c = vals.node(p).cols;
        if let Some(dx) = sink.of(p) {
            for (r, d) in dx.chunks_exact_mut(c).enumerate() {
                axpy(T::ONE, &dy[r * cols + at..r * cols + at + c], d);
            }
        }
        at += c;
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::{check, param};
    use crate::ParamStore;

    #[test]
    fn gradcheck_with_a_repeated_part() {
        let mut s = ParamStore::new();
        let (a, b) = (param(&mut s, 3, 2, 0.1), param(&mut s, 3, 4, 0.7));
        check(&s, |g| {
            let (a, b) = (g.param(a), g.param(b));
            g.concat(&[a, b, a])
        });
    }

    #[test]
    fn rows_are_joined() {
        let s = ParamStore::<f64>::new();
        let mut tape = crate::Tape::new();
        let mut g = crate::Graph::new(&mut tape, &s);
        let a = g.input(2, 1, &[1.0, 2.0]);
        let b = g.input(2, 2, &[3.0, 4.0, 5.0, 6.0]);
        let y = g.concat(&[a, b]);
        assert_eq!(g.value(y), &[1.0, 3.0, 4.0, 2.0, 5.0, 6.0]);
    }
}
