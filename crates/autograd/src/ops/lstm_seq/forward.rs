//! The forward recurrence of the fused LSTM: the input projections of every
//! row of `x` as one GEMM, gathered per step, then per step the recurrent
//! products and the gates (equations in [`crate::lstm`]).

use super::{acc_xwt, in_order, Saved};
use crate::lstm::{LstmKind, LstmParams};
use crate::params::ParamId;
use crate::tape::Vals;
use cpu_kernels::{gemm, Mat, MatMut, Real, Unary};

/// `x` is the input's value; packed row `r` reads its row `xrow[r]`.
pub(super) fn forward<T: Real>(
    vals: &Vals<'_, T>,
    p: &LstmParams,
    x: Mat<'_, T>,
    xrow: &[usize],
    active: &[usize],
    s: Saved<'_, T>,
    scratch: &mut Vec<T>,
) {
    let (h, gh, input) = (p.hidden, p.kind.gates() * p.hidden, p.input);
    let value = |id| vals.params.get(id).value.as_slice();
    let (wx, wh, b) = (value(p.wx), value(p.wh), value(p.b));
    // Input projections `x·Wxᵀ + b`, one per row of x (each distinct input
    // once), then handed to the packed rows that read it.
    let n = x.rows();
    let project = |out: &mut [T]| {
        for row in out.chunks_exact_mut(gh) {
            row.copy_from_slice(b);
        }
        if n > 0 {
            gemm(
                T::ONE,
                x,
                Mat::new(wx, gh, input).t(),
                T::ONE,
                MatMut::new(out, n, gh),
            );
        }
    };
    if in_order(xrow, n) {
        project(&mut s.act[..n * gh]);
    } else {
        if scratch.len() < n * gh {
            scratch.resize(n * gh, T::ZERO);
        }
        let gx = &mut scratch[..n * gh];
        project(gx);
        for (dst, &xr) in s.act.chunks_exact_mut(gh).zip(xrow) {
            dst.copy_from_slice(&gx[xr * gh..(xr + 1) * gh]);
        }
    }
    // With several sequences the per-step products are small GEMMs: give them
    // the recurrent matrices transposed, so they read them unpacked (made once
    // per value of the weights: once per sentence in training, once in all when
    // tagging or scoring).
    let peep = p.kind == LstmKind::Coupled;
    let batched = active.first().is_some_and(|&a| a > 1);
    // (Only a matrix of the cell's shape: the products below read it as such.)
    let transposed = |id: Option<ParamId>, rows: usize| {
        let of_shape = |id: &ParamId| {
            let w = vals.params.get(*id);
            (w.rows, w.cols) == (rows, h)
        };
        id.filter(|id| batched && of_shape(id))
            .map(|id| vals.params.transposed(id))
    };
    let (wht, wcit, wcot) = (
        transposed(Some(p.wh), gh),
        transposed(p.wci.filter(|_| peep), h),
        transposed(p.wco.filter(|_| peep), h),
    );
    let one = T::ONE;
    let mut start = 0;
    let mut prev = 0;
    for (t, &a) in active.iter().enumerate() {
        let rr = start * h..(start + a) * h;
        if t > 0 {
            s.hprev[rr.clone()].copy_from_slice(&s.hp[prev * h..(prev + a) * h]);
            s.cprev[rr.clone()].copy_from_slice(&s.c[prev * h..(prev + a) * h]);
            acc_xwt(
                Mat::new(&s.hprev[rr.clone()], a, h),
                Mat::new(wh, gh, h),
                wht,
                &mut s.act[start * gh..],
                gh,
            );
        }
        let act = &mut s.act[start * gh..(start + a) * gh];
        match p.kind {
            LstmKind::Coupled => {
                let (wci, wco) = (value(p.wci.unwrap()), value(p.wco.unwrap()));
                if t > 0 {
                    acc_xwt(
                        Mat::new(&s.cprev[rr.clone()], a, h),
                        Mat::new(wci, h, h),
                        wcit,
                        act,
                        gh,
                    );
                }
                for (r, ar) in act.chunks_exact_mut(gh).enumerate() {
                    cpu_kernels::unary_inplace(Unary::Sigmoid, &mut ar[..h]);
                    cpu_kernels::unary_inplace(Unary::Tanh, &mut ar[h..2 * h]);
                    let (cp, c) = (
                        &s.cprev[rr.start + r * h..][..h],
                        &mut s.c[rr.start + r * h..][..h],
                    );
                    for k in 0..h {
                        let (i, g) = (ar[k], ar[h + k]);
                        c[k] = (one - i) * cp[k] + i * g;
                    }
                }
                acc_xwt(
                    Mat::new(&s.c[rr.clone()], a, h),
                    Mat::new(wco, h, h),
                    wcot,
                    &mut act[2 * h..],
                    gh,
                );
                for (r, ar) in act.chunks_exact_mut(gh).enumerate() {
                    cpu_kernels::unary_inplace(Unary::Sigmoid, &mut ar[2 * h..3 * h]);
                    let at = rr.start + r * h;
                    cpu_kernels::unary(Unary::Tanh, &s.c[at..at + h], &mut s.tc[at..at + h]);
                    for k in 0..h {
                        s.hp[at + k] = ar[2 * h + k] * s.tc[at + k];
                    }
                }
            }
            LstmKind::Standard => {
                for (r, ar) in act.chunks_exact_mut(gh).enumerate() {
                    for v in &mut ar[h..2 * h] {
                        *v += one; // forget bias
                    }
                    cpu_kernels::unary_inplace(Unary::Sigmoid, &mut ar[..3 * h]);
                    cpu_kernels::unary_inplace(Unary::Tanh, &mut ar[3 * h..]);
                    let at = rr.start + r * h;
                    for k in 0..h {
                        let (i, f, g) = (ar[k], ar[h + k], ar[3 * h + k]);
                        s.c[at + k] = f * s.cprev[at + k] + i * g;
                    }
                    cpu_kernels::unary(Unary::Tanh, &s.c[at..at + h], &mut s.tc[at..at + h]);
                    for k in 0..h {
                        s.hp[at + k] = ar[2 * h + k] * s.tc[at + k];
                    }
                }
            }
        }
        prev = start;
        start += a;
    }
}
