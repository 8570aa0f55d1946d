//! The backward pass of the fused LSTM: the recurrence run backwards, step by
//! step, then every weight gradient as one GEMM over all steps (the input
//! side's over the rows of `x`, the positions' gate gradients summed per row).

use super::{acc_xw, in_order, weight_ids, Layout, NONE};
use crate::lstm::{LstmKind, LstmParams};
use crate::params::ParamStore;
use crate::tape::{GradSink, Op, Vals, Var};
use cpu_kernels::{gemm, Mat, MatMut, Real};

/// The backward pass of `lstm_seq` / `lstm_last(_gather)`: one direction,
/// then `dx += dGx·Wx`.
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
    if rows == 0 {
        return;
    }
    let all = vals.ints(ints, steps + 2 * rows);
    let (active, rest) = all.split_at(steps);
    let (xrow, orow) = rest.split_at(rows);
    let d = Dir {
        p,
        active,
        xrow,
        orow,
        aux: vals.aux(v),
    };
    let ids = weight_ids(&p);
    let (dx, grads) = sink.of_with_params(x, &ids);
    let xv = input_of(vals, x);
    let (dgx, norms) = direction(vals.params, xv, &d, dy, p.hidden, grads, scratch);
    if let Some(dx) = dx {
        input_grad(vals.params, &p, dgx, dx);
    }
    for (id, sq) in ids.into_iter().zip(norms) {
        sink.set_squared_norm(id, sq);
    }
}

/// The value of the input `x` as a matrix.
pub(super) fn input_of<'a, T: Real>(vals: &Vals<'a, T>, x: Var) -> Mat<'a, T> {
    let n = vals.node(x);
    Mat::new(vals.get(x), n.rows, n.cols)
}

/// `dx += dGx·Wx`: the input's gradient from the input side's gate gradients
/// per row of `x` (`n×gh`).
pub(super) fn input_grad<T: Real>(params: &ParamStore<T>, p: &LstmParams, dgx: &[T], dx: &mut [T]) {
    let (gh, input) = (p.kind.gates() * p.hidden, p.input);
    let n = dx.len() / input;
    gemm(
        T::ONE,
        Mat::new(dgx, n, gh),
        Mat::new(&params.get(p.wx).value, gh, input),
        T::ONE,
        MatMut::new(dx, n, input),
    );
}

/// One direction as its forward pass recorded it: the packing (`active` per
/// step, `xrow` and `orow` per packed row) and the saved arrays.
pub(super) struct Dir<'a, T> {
    pub p: LstmParams,
    pub active: &'a [usize],
    pub xrow: &'a [usize],
    pub orow: &'a [usize],
    pub aux: &'a [T],
}

/// The backward recurrence of one direction (at least one packed row), then
/// its weight gradients as GEMMs over all steps, added to `grads` (the
/// buffers of [`weight_ids`], in that order). `dy` holds the output
/// gradient rows `ld` apart (starting at this direction's column). Returns
/// the input side's gate gradients per row of `x` (`n×gh`, in `scratch`)
/// and the squared norms of the weight gradients, taken while in cache.
pub(super) fn direction<'s, T: Real>(
    params: &ParamStore<T>,
    x: Mat<'_, T>,
    d: &Dir<'_, T>,
    dy: &[T],
    ld: usize,
    grads: Vec<&mut [T]>,
    scratch: &'s mut Vec<T>,
) -> (&'s [T], Vec<f64>) {
    let Dir {
        p,
        active,
        xrow,
        orow,
        aux,
    } = *d;
    let (n, rows, steps) = (x.rows(), xrow.len(), active.len());
    let (h, gh, input) = (p.hidden, p.kind.gates() * p.hidden, p.input);
    let l = Layout::new(rows, h, gh);
    let arr = |off: usize, w: usize| &aux[off..off + rows * w];
    let (act, c, tc, hprev, cprev) = (
        arr(l.act, gh),
        arr(l.c, h),
        arr(l.tc, h),
        arr(l.hprev, h),
        arr(l.cprev, h),
    );
    let value = |id| params.get(id).value.as_slice();
    let wh = value(p.wh);

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
            dh[r * h..(r + 1) * h].copy_from_slice(&dy[o * ld..o * ld + h]);
        }
    }
    let one = T::ONE;
    let starts: Vec<usize> = active
        .iter()
        .scan(0, |acc, &a| Some(std::mem::replace(acc, *acc + a)))
        .collect();
    // The recurrence, last step to first, over gate pre-activation gradients
    // `d_*` (row vectors, so a product with W gives the input's gradient).
    // Sequences are packed longest first, so the `a` rows of step t continue
    // the first `a` rows of step t-1: row r's previous state is row
    // `starts[t-1] + r`. Coupled cell (`crate::lstm`), per row:
    //
    //   d_o      = dh·tanh(c)·o(1-o)
    //   dc      += dh·o·(1-tanh²c) + d_o·Wco     o saw the new cell
    //   d_i      = dc·(g - c_prev)·i(1-i)        c = c_prev + i·(g - c_prev)
    //   d_g      = dc·i·(1-g²)
    //   dc_prev += dc·(1-i) + d_i·Wci            f = 1 - i; i saw c_prev
    //   dh_prev += [d_i d_g d_o]·Wh
    //
    // Standard cell: dck = dc + dh·o·(1-tanh²c) is c's whole gradient; then
    // d_i = dck·g·i(1-i), d_f = dck·c_prev·f(1-f), d_o = dh·tanh(c)·o(1-o),
    // d_g = dck·i·(1-g²), dc_prev += dck·f, and dh_prev as above. The forget
    // bias (+1 inside f's sigmoid) is a constant: it adds no term.
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
    let mut grads = grads.into_iter();
    let mut next = || grads.next().expect("one buffer per weight");
    let (gwx, gwh, gb) = (next(), next(), next());
    gemm(
        one,
        Mat::new(dgx, n, gh).t(),
        x,
        one,
        MatMut::new(gwx, gh, input),
    );
    // The recurrent products skip the rows of step 0 (first in the packing),
    // whose previous h and c are zero.
    let (r0, rest) = (active[0], rows - active[0]);
    gemm(
        one,
        Mat::new(&dact[r0 * gh..], rest, gh).t(),
        Mat::new(&hprev[r0 * h..], rest, h),
        one,
        MatMut::new(gwh, gh, h),
    );
    for row in dgx.chunks_exact(gh) {
        cpu_kernels::axpy(one, row, gb);
    }
    let mut done = vec![gwx, gwh, gb];
    if p.kind == LstmKind::Coupled {
        let (gwci, gwco) = (next(), next());
        let di = Mat::with_ld(&dact[r0 * gh..], rest, h, gh);
        let dout = Mat::with_ld(&dact[2 * h..], rows, h, gh);
        gemm(
            one,
            di.t(),
            Mat::new(&cprev[r0 * h..], rest, h),
            one,
            MatMut::new(gwci, h, h),
        );
        gemm(
            one,
            dout.t(),
            Mat::new(c, rows, h),
            one,
            MatMut::new(gwco, h, h),
        );
        done.extend([gwci, gwco]);
    }
    // The weight gradients are in cache (and complete unless another op
    // shares the weights): their squared norms for clipping cost little now.
    let norms = done
        .iter()
        .map(|g| cpu_kernels::dot(g, g).to_f64())
        .collect();
    (dgx, norms)
}
