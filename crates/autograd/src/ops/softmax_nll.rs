//! `softmax_nll`: the fused softmax + negative log-likelihood of the gold labels,
//! `L = Σᵢ -ln softmax(xᵢ)[yᵢ]` over the rows of `x` (one row per token).

use crate::tape::{GradSink, Op, Vals, Var};
use crate::Graph;
use cpu_kernels::{axpy, Real};

impl<T: Real> Graph<'_, T> {
    /// `Σᵢ -ln softmax(xᵢ)[labels[i]]` for `x: n×C`; a `1×1` result. The
    /// probabilities are saved for the backward pass.
    pub fn softmax_nll(&mut self, x: Var, labels: &[usize]) -> Var {
        let (n, c) = self.shape(x);
        assert_eq!(
            labels.len(),
            n,
            "softmax_nll: {} labels for {n} rows",
            labels.len()
        );
        if let Some(&bad) = labels.iter().find(|&&l| l >= c) {
            panic!("softmax_nll: label {bad} outside {c} classes");
        }
        let needs = self.needs_grad(x);
        let ints = self.push_ints(labels.iter().copied());
        let out = self.push(Op::SoftmaxNll { x, ints }, 1, 1, n * c, needs);
        let (vals, y, probs) = self.io(out);
        let mut loss = T::ZERO;
        if c > 0 {
            for ((row, p), &l) in vals
                .get(x)
                .chunks_exact(c)
                .zip(probs.chunks_exact_mut(c))
                .zip(labels)
            {
                // -ln softmax via log-softmax, stable for large logits.
                cpu_kernels::log_softmax(row, p);
                loss -= p[l];
                cpu_kernels::unary_inplace(cpu_kernels::Unary::Exp, p);
            }
        }
        y[0] = loss;
        out
    }
}

/// `dL/dxᵢ = softmax(xᵢ) - onehot(yᵢ)`, times the incoming `dy`.
pub(super) fn backward<T: Real>(
    vals: &Vals<'_, T>,
    v: Var,
    dy: &[T],
    sink: &mut GradSink<'_, T>,
    x: Var,
) {
    let c = vals.node(x).cols;
    let Op::SoftmaxNll { ints, .. } = vals.node(v).op else {
        unreachable!()
    };
    let labels = vals.ints(ints, vals.node(x).rows);
    let probs = vals.aux(v);
    if let (Some(dx), true) = (sink.of(x), c > 0) {
        for ((d, p), &l) in dx
            .chunks_exact_mut(c)
            .zip(probs.chunks_exact(c))
            .zip(labels)
        {
            axpy(dy[0], p, d);
            d[l] -= dy[0];
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::param;
    use crate::{gradcheck, Graph, ParamStore, Tape};

    #[test]
    fn gradient_check() {
        let mut s = ParamStore::new();
        let x = param(&mut s, 3, 5, 0.4);
        let report = gradcheck(&s, |g| {
            let x = g.param(x);
            g.softmax_nll(x, &[4, 0, 2])
        });
        assert!(report.passed(), "{report}");
    }

    #[test]
    fn value_is_stable_for_huge_logits() {
        let s = ParamStore::<f32>::new();
        let mut tape = Tape::new();
        let mut g = Graph::new(&mut tape, &s);
        let x = g.input(1, 3, &[1000.0, 0.0, 1000.0]);
        let l = g.softmax_nll(x, &[0]);
        // -ln(1/2), exactly representable up to rounding.
        assert!(
            (g.scalar(l) - std::f32::consts::LN_2).abs() < 1e-6,
            "{}",
            g.scalar(l)
        );
    }
}
