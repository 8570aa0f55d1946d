//! The backward pass of the fused LSTM: the recurrence run backwards, step by
//! step, then every weight gradient as one GEMM over all steps (the input
//! side's over the rows of `x`, the positions' gate gradients summed per row).

use super::{acc_xw, in_order, Layout, NONE};
use crate::lstm::LstmKind;
use crate::tape::{GradSink, Op, Vals, Var};
use cpu_kernels::{gemm, Mat, MatMut, Real};

/// The backward recurrence, then every weight gradient as one GEMM over all steps.
pub(in crate::ops) fn backward<T: Real>(
    vals: &Vals<'_, T>,
    v: Var,
    dy: &[T],
    sink: &mut GradSink<'_, T>,
    scratch: &mut Vec<T>,
) {
    let Op::Lstm {
        x,
        p,
        ints,
        steps,
        rows,
    } = vals.node(v).op
    else {
        unreachable!()
    };
    let n = vals.node(x).rows;
    let (h, gh, input) = (p.hidden, p.kind.gates() * p.hidden, p.input);
    let all = vals.ints(ints, steps + 2 * rows);
    let (active, rest) = all.split_at(steps);
    let (xrow, orow) = rest.split_at(rows);
    let aux = vals.aux(v);
    let l = Layout::new(rows, h, gh);
    let arr = |off: usize, w: usize| &aux[off..off + rows * w];
    let (act, c, tc, hprev, cprev) = (
        arr(l.act, gh),
        arr(l.c, h),
        arr(l.tc, h),
        arr(l.hprev, h),
        arr(l.cprev, h),
    );
    let value = |id| vals.params.get(id).value.as_slice();
    let (wx, wh) = (value(p.wx), value(p.wh));

    // scratch: dh (P×h) | dc (P×h) | dact (P×gh) | dgx (n×gh)
    // dact is written in full below; dh, dc and dgx accumulate.
    let need = rows * (2 * h + gh) + n * gh;
    if scratch.len() < need {
        scratch.resize(need, T::ZERO);
    }
    scratch[..2 * rows * h].fill(T::ZERO);
    let (dh, rest) = scratch.split_at_mut(rows * h);
    let (dc, rest) = rest.split_at_mut(rows * h);
    let (dact, dgx) = rest.split_at_mut(rows * gh);
    for (r, &o) in orow.iter().enumerate() {
        if o != NONE {
            dh[r * h..(r + 1) * h].copy_from_slice(&dy[o * h..(o + 1) * h]);
        }
    }
    let one = T::ONE;
    let starts: Vec<usize> = active
        .iter()
        .scan(0, |acc, &a| Some(std::mem::replace(acc, *acc + a)))
        .collect();
    for t in (0..steps).rev() {
        let (start, a) = (starts[t], active[t]);
        let rr = start * h..(start + a) * h;
        let da = &mut dact[start * gh..(start + a) * gh];
        let ar = &act[start * gh..(start + a) * gh];
        match p.kind {
            LstmKind::Coupled => {
                let (wci, wco) = (value(p.wci.unwrap()), value(p.wco.unwrap()));
                for r in 0..a {
                    let (g, d, at) = (
                        &ar[r * gh..][..gh],
                        &mut da[r * gh..][..gh],
                        rr.start + r * h,
                    );
                    for k in 0..h {
                        let o = g[2 * h + k];
                        d[2 * h + k] = dh[at + k] * tc[at + k] * o * (one - o);
                        dc[at + k] += dh[at + k] * o * (one - tc[at + k] * tc[at + k]);
                    }
                }
                // o saw the new cell through Wco.
                acc_xw(
                    Mat::with_ld(&da[2 * h..], a, h, gh),
                    Mat::new(wco, h, h),
                    &mut dc[rr.clone()],
                );
                for r in 0..a {
                    let (g, d, at) = (
                        &ar[r * gh..][..gh],
                        &mut da[r * gh..][..gh],
                        rr.start + r * h,
                    );
                    for k in 0..h {
                        let (i, gg, dck) = (g[k], g[h + k], dc[at + k]);
                        d[k] = dck * (gg - cprev[at + k]) * i * (one - i);
                        d[h + k] = dck * i * (one - gg * gg);
                    }
                }
                if t > 0 {
                    let prev = starts[t - 1];
                    let (dlo, dhi) = dc.split_at_mut(start * h);
                    let dprev = &mut dlo[prev * h..(prev + a) * h];
                    for r in 0..a {
                        let at = r * h;
                        for k in 0..h {
                            dprev[at + k] += dhi[at + k] * (one - ar[r * gh + k]);
                        }
                    }
                    acc_xw(Mat::with_ld(da, a, h, gh), Mat::new(wci, h, h), dprev);
                }
            }
            LstmKind::Standard => {
                for r in 0..a {
                    let (g, d, at) = (
                        &ar[r * gh..][..gh],
                        &mut da[r * gh..][..gh],
                        rr.start + r * h,
                    );
                    for k in 0..h {
                        let (i, f, o, gg) = (g[k], g[h + k], g[2 * h + k], g[3 * h + k]);
                        let dck = dc[at + k] + dh[at + k] * o * (one - tc[at + k] * tc[at + k]);
                        d[k] = dck * gg * i * (one - i);
                        d[h + k] = dck * cprev[at + k] * f * (one - f);
                        d[2 * h + k] = dh[at + k] * tc[at + k] * o * (one - o);
                        d[3 * h + k] = dck * i * (one - gg * gg);
                        dc[at + k] = dck;
                    }
                }
                if t > 0 {
                    let prev = starts[t - 1];
                    let (dlo, dhi) = dc.split_at_mut(start * h);
                    let dprev = &mut dlo[prev * h..(prev + a) * h];
                    for r in 0..a {
                        for k in 0..h {
                            dprev[r * h + k] += dhi[r * h + k] * ar[r * gh + h + k];
                        }
                    }
                }
            }
        }
        if t > 0 {
            let prev = starts[t - 1];
            acc_xw(
                Mat::new(da, a, gh),
                Mat::new(wh, gh, h),
                &mut dh[prev * h..(prev + a) * h],
            );
        }
    }

    // The input side's gradients per row of x: the gate gradients of the
    // packed rows that read a row, summed (in place when each row is read
    // once, in order).
    let dact = &*dact;
    let xv = vals.get(x);
    let dgx: &[T] = if in_order(xrow, n) {
        dact
    } else {
        let dgx = &mut dgx[..n * gh];
        dgx.fill(T::ZERO);
        for (d, &xr) in dact.chunks_exact(gh).zip(xrow) {
            cpu_kernels::axpy(one, d, &mut dgx[xr * gh..(xr + 1) * gh]);
        }
        dgx
    };
    // Weight gradients over all steps at once (rows of step 0 have zero h, c before them).
    if rows > 0 {
        gemm(
            one,
            Mat::new(dgx, n, gh).t(),
            Mat::new(xv, n, input),
            one,
            MatMut::new(sink.grads.dense_mut(p.wx), gh, input),
        );
        // The recurrent products skip the rows of step 0 (first in the packing),
        // whose previous h and c are zero.
        let (r0, rest) = (active[0], rows - active[0]);
        gemm(
            one,
            Mat::new(&dact[r0 * gh..], rest, gh).t(),
            Mat::new(&hprev[r0 * h..], rest, h),
            one,
            MatMut::new(sink.grads.dense_mut(p.wh), gh, h),
        );
        let db = sink.grads.dense_mut(p.b);
        for row in dgx.chunks_exact(gh) {
            cpu_kernels::axpy(one, row, db);
        }
        if p.kind == LstmKind::Coupled {
            let di = Mat::with_ld(&dact[r0 * gh..], rest, h, gh);
            let dout = Mat::with_ld(&dact[2 * h..], rows, h, gh);
            gemm(
                one,
                di.t(),
                Mat::new(&cprev[r0 * h..], rest, h),
                one,
                MatMut::new(sink.grads.dense_mut(p.wci.unwrap()), h, h),
            );
            gemm(
                one,
                dout.t(),
                Mat::new(c, rows, h),
                one,
                MatMut::new(sink.grads.dense_mut(p.wco.unwrap()), h, h),
            );
        }
        // The weight gradients are in cache (and complete unless another op
        // shares the weights, whose write would forget the value): their
        // squared norms for clipping cost little now.
        for id in [Some(p.wx), Some(p.wh), Some(p.b), p.wci, p.wco]
            .into_iter()
            .flatten()
        {
            sink.grads.note_squared_norm(id);
        }
    }
    if let (Some(dx), true) = (sink.of(x), rows > 0) {
        gemm(
            one,
            Mat::new(dgx, n, gh),
            Mat::new(wx, gh, input),
            one,
            MatMut::new(dx, n, input),
        );
    }
}
