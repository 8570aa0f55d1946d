//! `lstm_seq` / `lstm_last`: a whole LSTM direction over one or many sequences
//! as a single op with a hand-written backward pass (equations in [`crate::lstm`]).
//!
//! Why fused: a sentence of 20 tokens through a BiLSTM is ~40 cell steps, and
//! the character BiLSTM over its words ~300; as primitive ops that is thousands
//! of nodes. Here the input projection of all steps is one GEMM, each step does
//! only its recurrent products, and the weight gradients are accumulated once,
//! after the backward recurrence, as GEMMs over all steps.
//!
//! Many sequences run together (the character LSTM over all words of a
//! sentence): they are sorted by length, longest first, and laid out *packed*,
//! step by step, so that at step `t` the sequences still running are a prefix
//! and their rows are contiguous. Per packed row the op saves the input, the
//! gate activations, the previous and new cell and output, and `tanh(c)`.

use crate::lstm::{LstmKind, LstmParams};
use crate::tape::{GradSink, Op, Vals, Var};
use crate::Graph;
use cpu_kernels::{gemm, gemv, Mat, MatMut, Real, Unary};

const NONE: usize = usize::MAX;

impl<T: Real> Graph<'_, T> {
    /// One direction over the rows of `x` (`T×input`, one row per step); returns
    /// every step's output `h` (`T×hidden`) in `x`'s row order. With `reverse`
    /// the steps run from the last row to the first.
    pub fn lstm_seq(&mut self, p: &LstmParams, x: Var, reverse: bool) -> Var {
        let n = self.shape(x).0;
        self.lstm(p, x, &[n], reverse, false)
    }

    /// Many sequences stacked in the rows of `x` (`lengths` rows each, in
    /// order); returns each sequence's last output (`len(lengths)×hidden`;
    /// zeros for an empty sequence). With `reverse` each sequence is read
    /// backwards, so its last output is the one at its first row.
    pub fn lstm_last(&mut self, p: &LstmParams, x: Var, lengths: &[usize], reverse: bool) -> Var {
        self.lstm(p, x, lengths, reverse, true)
    }

    fn lstm(
        &mut self,
        p: &LstmParams,
        x: Var,
        lengths: &[usize],
        reverse: bool,
        finals: bool,
    ) -> Var {
        let (rows, input) = self.shape(x);
        assert_eq!(
            input, p.input,
            "lstm: input is {rows}x{input}, the cell expects {} columns",
            p.input
        );
        assert_eq!(
            lengths.iter().sum::<usize>(),
            rows,
            "lstm: lengths {lengths:?} do not add up to {rows} rows"
        );
        let (h, gh) = (p.hidden, p.kind.gates() * p.hidden);

        // Packing: sequences by decreasing length; step t holds the first active[t].
        let mut order: Vec<usize> = (0..lengths.len()).collect();
        order.sort_by_key(|&s| std::cmp::Reverse(lengths[s]));
        let starts: Vec<usize> = lengths
            .iter()
            .scan(0, |acc, &l| Some(std::mem::replace(acc, *acc + l)))
            .collect();
        let steps = lengths.iter().copied().max().unwrap_or(0);
        let active: Vec<usize> = (0..steps)
            .map(|t| lengths.iter().filter(|&&l| l > t).count())
            .collect();
        let mut xrow = Vec::with_capacity(rows);
        let mut orow = Vec::with_capacity(rows);
        for (t, &a) in active.iter().enumerate() {
            for &s in &order[..a] {
                let pos = if reverse { lengths[s] - 1 - t } else { t };
                xrow.push(starts[s] + pos);
                orow.push(match (finals, t + 1 == lengths[s]) {
                    (false, _) => starts[s] + pos,
                    (true, true) => s,
                    (true, false) => NONE,
                });
            }
        }
        let ints = self.push_ints(active.iter().chain(&xrow).chain(&orow).copied());
        let out_rows = if finals { lengths.len() } else { rows };
        let op = Op::Lstm {
            x,
            p: *p,
            ints,
            steps,
        };
        let aux = Layout::new(rows, input, h, gh).len;
        // Not zeroed: everything below is written before it is read, except
        // the outputs of empty sequences and the (zero) state before step 0.
        let out = self.push_with(op, out_rows, h, aux, true, false);

        let (vals, y, aux, scratch) = self.io_scratch(out);
        y.fill(T::ZERO);
        let l = Layout::new(rows, input, h, gh);
        let s = Saved::split(aux, &l);
        for (r, &xr) in xrow.iter().enumerate() {
            s.xp[r * input..(r + 1) * input]
                .copy_from_slice(&vals.get(x)[xr * input..(xr + 1) * input]);
        }
        // The state before step 0 is zero (rows of step 0 come first).
        let first = active.first().copied().unwrap_or(0) * h;
        s.hprev[..first].fill(T::ZERO);
        s.cprev[..first].fill(T::ZERO);
        forward(&vals, p, &active, s, rows, scratch);
        let hp = &aux[l.hp..l.hp + rows * h];
        for (r, &o) in orow.iter().enumerate() {
            if o != NONE {
                y[o * h..(o + 1) * h].copy_from_slice(&hp[r * h..(r + 1) * h]);
            }
        }
        out
    }
}

/// Offsets of the saved arrays in a node's aux (P packed rows).
struct Layout {
    xp: usize,
    act: usize,
    c: usize,
    tc: usize,
    hprev: usize,
    cprev: usize,
    hp: usize,
    len: usize,
}

impl Layout {
    fn new(p: usize, input: usize, h: usize, gh: usize) -> Self {
        let xp = 0;
        let act = xp + p * input;
        let c = act + p * gh;
        let tc = c + p * h;
        let hprev = tc + p * h;
        let cprev = hprev + p * h;
        let hp = cprev + p * h;
        Layout {
            xp,
            act,
            c,
            tc,
            hprev,
            cprev,
            hp,
            len: hp + p * h,
        }
    }
}

/// The saved arrays, borrowed apart.
struct Saved<'a, T> {
    xp: &'a mut [T],
    act: &'a mut [T],
    c: &'a mut [T],
    tc: &'a mut [T],
    hprev: &'a mut [T],
    cprev: &'a mut [T],
    hp: &'a mut [T],
}

impl<'a, T> Saved<'a, T> {
    fn split(aux: &'a mut [T], l: &Layout) -> Self {
        let (xp, rest) = aux.split_at_mut(l.act);
        let (act, rest) = rest.split_at_mut(l.c - l.act);
        let (c, rest) = rest.split_at_mut(l.tc - l.c);
        let (tc, rest) = rest.split_at_mut(l.hprev - l.tc);
        let (hprev, rest) = rest.split_at_mut(l.cprev - l.hprev);
        let (cprev, rest) = rest.split_at_mut(l.hp - l.cprev);
        let hp = &mut rest[..l.len - l.hp];
        Saved {
            xp,
            act,
            c,
            tc,
            hprev,
            cprev,
            hp,
        }
    }
}

/// `y (n×m, ld) += x (n×k) · Wᵀ` for `W: m×k`, as a GEMV when `n = 1`. With
/// `wt = Wᵀ` stored row-major (`k×m`) the GEMM reads it in place unpacked.
fn acc_xwt<T: Real>(x: Mat<'_, T>, w: Mat<'_, T>, wt: Option<&[T]>, y: &mut [T], ld: usize) {
    let (n, m, k) = (x.rows(), w.rows(), w.cols());
    if n == 0 {
        return;
    }
    let b = match wt {
        Some(wt) => Mat::new(wt, k, m),
        None => w.t(),
    };
    if n == 1 {
        gemv(T::ONE, w, &x.data()[..x.cols()], T::ONE, &mut y[..m]);
    } else {
        gemm(T::ONE, x, b, T::ONE, MatMut::with_ld(y, n, m, ld));
    }
}

/// `out = Wᵀ` for a row-major `rows×cols` `w`.
fn transpose<T: Real>(w: &[T], rows: usize, cols: usize, out: &mut [T]) {
    for (r, row) in w.chunks_exact(cols).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            out[c * rows + r] = v;
        }
    }
}

/// `y (n×k) += x (n×m, ld) · W` for `W: m×k`, as a GEMV when `n = 1`.
fn acc_xw<T: Real>(x: Mat<'_, T>, w: Mat<'_, T>, y: &mut [T]) {
    let (n, k) = (x.rows(), w.cols());
    if n == 0 {
        return;
    }
    if n == 1 {
        gemv(T::ONE, w.t(), &x.data()[..x.cols()], T::ONE, &mut y[..k]);
    } else {
        gemm(T::ONE, x, w, T::ONE, MatMut::new(y, n, k));
    }
}

fn forward<T: Real>(
    vals: &Vals<'_, T>,
    p: &LstmParams,
    active: &[usize],
    s: Saved<'_, T>,
    rows: usize,
    scratch: &mut Vec<T>,
) {
    let (h, gh, input) = (p.hidden, p.kind.gates() * p.hidden, p.input);
    let value = |id| vals.params.get(id).value.as_slice();
    let (wx, wh, b) = (value(p.wx), value(p.wh), value(p.b));
    // With several sequences the per-step products are small GEMMs: give them
    // the recurrent matrices transposed once, so they read them unpacked.
    let peep = p.kind == LstmKind::Coupled;
    let batched = active.first().is_some_and(|&a| a > 1);
    if batched {
        let need = gh * h + if peep { 2 * h * h } else { 0 };
        if scratch.len() < need {
            scratch.resize(need, T::ZERO);
        }
        let (wht, rest) = scratch.split_at_mut(gh * h);
        transpose(wh, gh, h, wht);
        if peep {
            let (wcit, wcot) = rest.split_at_mut(h * h);
            transpose(value(p.wci.unwrap()), h, h, wcit);
            transpose(value(p.wco.unwrap()), h, h, wcot);
        }
    }
    let wt = |i: usize, len: usize| batched.then(|| &scratch[i..i + len]);
    let (wht, wcit, wcot) = (
        wt(0, gh * h),
        peep.then(|| wt(gh * h, h * h)).flatten(),
        peep.then(|| wt(gh * h + h * h, h * h)).flatten(),
    );
    // Input projections of every step at once, plus the bias.
    for row in s.act.chunks_exact_mut(gh) {
        row.copy_from_slice(b);
    }
    if rows > 0 {
        gemm(
            T::ONE,
            Mat::new(s.xp, rows, input),
            Mat::new(wx, gh, input).t(),
            T::ONE,
            MatMut::new(s.act, rows, gh),
        );
    }
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

/// The backward recurrence, then every weight gradient as one GEMM over all steps.
pub(super) fn backward<T: Real>(
    vals: &Vals<'_, T>,
    v: Var,
    dy: &[T],
    sink: &mut GradSink<'_, T>,
    scratch: &mut Vec<T>,
) {
    let Op::Lstm {
        x, p, ints, steps, ..
    } = vals.node(v).op
    else {
        unreachable!()
    };
    let rows = vals.node(x).rows;
    let (h, gh, input) = (p.hidden, p.kind.gates() * p.hidden, p.input);
    let all = vals.ints(ints, steps + 2 * rows);
    let (active, rest) = all.split_at(steps);
    let (xrow, orow) = rest.split_at(rows);
    let aux = vals.aux(v);
    let l = Layout::new(rows, input, h, gh);
    let arr = |off: usize, w: usize| &aux[off..off + rows * w];
    let (xp, act, c, tc, hprev, cprev) = (
        arr(l.xp, input),
        arr(l.act, gh),
        arr(l.c, h),
        arr(l.tc, h),
        arr(l.hprev, h),
        arr(l.cprev, h),
    );
    let value = |id| vals.params.get(id).value.as_slice();
    let (wx, wh) = (value(p.wx), value(p.wh));

    // scratch: dh (P×h) | dc (P×h) | dact (P×gh) | dxp (P×input)
    // dact and dxp are written in full below; only dh and dc accumulate.
    let need = rows * (2 * h + gh + input);
    if scratch.len() < need {
        scratch.resize(need, T::ZERO);
    }
    scratch[..2 * rows * h].fill(T::ZERO);
    let (dh, rest) = scratch.split_at_mut(rows * h);
    let (dc, rest) = rest.split_at_mut(rows * h);
    let (dact, dxp) = rest.split_at_mut(rows * gh);
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

    // Weight gradients over all steps at once (rows of step 0 have zero h, c before them).
    let dact = &*dact;
    if rows > 0 {
        gemm(
            one,
            Mat::new(dact, rows, gh).t(),
            Mat::new(xp, rows, input),
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
        for row in dact.chunks_exact(gh) {
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
    }
    if let (Some(dx), true) = (sink.of(x), rows > 0) {
        gemm(
            one,
            Mat::new(dact, rows, gh),
            Mat::new(wx, gh, input),
            T::ZERO,
            MatMut::new(dxp, rows, input),
        );
        for (r, &xr) in xrow.iter().enumerate() {
            cpu_kernels::axpy(
                one,
                &dxp[r * input..(r + 1) * input],
                &mut dx[xr * input..(xr + 1) * input],
            );
        }
    }
}
