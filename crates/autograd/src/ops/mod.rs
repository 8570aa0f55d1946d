//! The operations the tagger is built from, one file each: the forward pass is
//! a method on [`Graph`](crate::Graph), the backward pass a function right below
//! it, and each file's tests run the shared gradient check on it.

mod add;
mod concat;
mod dropout;
mod gather;
mod heads;
mod linear;
mod lookup;
mod lstm_seq;
mod mul;
mod noise;
mod relu;
mod sigmoid;
mod slice;
mod softmax_nll;
mod sub;
mod sum;
mod tanh;

pub use heads::HeadVars;

use crate::tape::{GradSink, Op, Vals, Var};
use cpu_kernels::Real;

/// Accumulates into the inputs' gradients of node `v`, whose output gradient is `dy`.
pub(crate) fn backward<T: Real>(
    v: Var,
    vals: &Vals<'_, T>,
    dy: &[T],
    sink: &mut GradSink<'_, T>,
    scratch: &mut Vec<Vec<T>>,
) {
    let node = vals.node(v);
    match node.op {
        Op::Input | Op::Param(_) => {}
        Op::Linear { x, w, b } => linear::backward(vals, dy, sink, x, w, b),
        Op::Add(a, b) => add::backward(dy, sink, a, b),
        Op::Sub(a, b) => sub::backward(dy, sink, a, b),
        Op::Mul(a, b) => mul::backward(vals, dy, sink, a, b),
        Op::Sigmoid(x) => sigmoid::backward(vals.get(v), dy, sink, x),
        Op::Tanh(x) => tanh::backward(vals.get(v), dy, sink, x),
        Op::Relu(x) => relu::backward(vals.get(v), dy, sink, x),
        Op::Concat { ints, n } => concat::backward(vals, node, dy, sink, vals.ints(ints, n)),
        Op::SliceCols { x, start } => slice::backward_cols(vals, node, dy, sink, x, start),
        Op::SliceRows { x, start } => slice::backward_rows(vals, node, dy, sink, x, start),
        Op::Lookup { table, ints } => {
            lookup::backward(node, dy, sink, table, vals.ints(ints, node.rows))
        }
        Op::GatherRows { x, ints } => {
            gather::backward(vals, node, dy, sink, x, vals.ints(ints, node.rows))
        }
        Op::Noise(x) => add::accumulate(sink, x, dy),
        Op::Dropout(x) => dropout::backward(vals.aux(v), dy, sink, x),
        Op::SoftmaxNll { x, .. } => softmax_nll::backward(vals, v, dy, sink, x),
        Op::Sum { ints, n } => sum::backward(dy, sink, vals.ints(ints, n)),
        Op::Heads { .. } => heads::backward(vals, v, dy, sink),
        Op::Lstm { .. } => lstm_seq::backward(vals, v, dy, sink, &mut parts(scratch, 1)[0]),
        Op::BiLstm { .. } => lstm_seq::backward_bi(vals, v, dy, sink, parts(scratch, 2)),
    }
}

/// The first `n` scratch buffers (created empty when missing).
fn parts<T>(scratch: &mut Vec<Vec<T>>, n: usize) -> &mut [Vec<T>] {
    if scratch.len() < n {
        scratch.resize_with(n, Vec::new);
    }
    &mut scratch[..n]
}

/// The shared gradient-check harness of the op tests: inputs are parameters
/// set from formulas, the loss is a weighted sum of the op's output (weights
/// from another formula, so every output element matters).
#[cfg(test)]
pub(crate) mod testing {
    use crate::gradcheck::{gradcheck, GradCheck};
    use crate::params::{ParamId, ParamKind, ParamStore};
    use crate::{Graph, Var};

    /// A `rows x cols` dense parameter with values `sin(0.37 i + seed)`.
    pub fn param(store: &mut ParamStore<f64>, rows: usize, cols: usize, seed: f64) -> ParamId {
        let v = (0..rows * cols)
            .map(|i| (i as f64 * 0.37 + seed).sin())
            .collect();
        store.from_values(
            &format!("p{}", store.len()),
            rows,
            cols,
            ParamKind::Dense,
            v,
        )
    }

    /// `Σ wᵢ yᵢ` with fixed weights `cos(0.71 i)`: a scalar that depends on every element.
    pub fn weighted_sum(g: &mut Graph<'_, f64>, y: Var) -> Var {
        let (r, c) = g.shape(y);
        let w: Vec<f64> = (0..r * c).map(|i| (i as f64 * 0.71).cos()).collect();
        let w = g.input(r, c, &w);
        let p = g.mul(y, w);
        g.sum(&[p])
    }

    /// Gradient-checks `f` (the op under test, applied to parameter leaves).
    pub fn check(store: &ParamStore<f64>, f: impl Fn(&mut Graph<'_, f64>) -> Var) -> GradCheck {
        let report = gradcheck(store, |g| {
            let y = f(g);
            weighted_sum(g, y)
        });
        assert!(report.passed(), "{report}");
        report
    }
}
