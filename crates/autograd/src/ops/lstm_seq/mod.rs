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
//! and their rows are contiguous. Per packed row the op saves the gate
//! activations, the previous and new cell and output, and `tanh(c)`.
//!
//! The input side is computed per row of `x`, not per position: with
//! [`Graph::lstm_last_gather`] the positions name rows of `x` (a sentence's
//! ~101 character positions read ~23 distinct character embeddings), so
//! `x·Wxᵀ + b` is one GEMM over the distinct rows, gathered per position; in
//! the backward pass the positions' gate gradients are summed per row first,
//! and `dWx += dGᵀ·x`, `dx += dG·Wx` run over the distinct rows too. That is
//! exact by linearity (`Σᵣ dGᵣᵀ x = Σ_rows (Σ_{r→row} dGᵣ)ᵀ x_row`); only the
//! order of float additions changes.
//!
//! The tagger records both directions of a BiLSTM as one op
//! ([`Graph::bilstm_seq`], [`Graph::bilstm_last_gather`], in `bi.rs`) that
//! runs them on two threads; each direction is the code of this module.

mod backward;
mod bi;
mod forward;

pub(super) use backward::backward;
pub(super) use bi::backward_bi;
use forward::forward;

use crate::lstm::LstmParams;
use crate::params::ParamId;
use crate::tape::{Op, Vals, Var};
use crate::Graph;
use cpu_kernels::{gemm, gemv, Mat, MatMut, Real};

const NONE: usize = usize::MAX;

impl<T: Real> Graph<'_, T> {
    /// One direction over the rows of `x` (`T×input`, one row per step); returns
    /// every step's output `h` (`T×hidden`) in `x`'s row order. With `reverse`
    /// the steps run from the last row to the first.
    pub fn lstm_seq(&mut self, p: &LstmParams, x: Var, reverse: bool) -> Var {
        let n = self.shape(x).0;
        self.lstm(p, x, None, &[n], reverse, false)
    }

    /// Many sequences stacked in the rows of `x` (`lengths` rows each, in
    /// order); returns each sequence's last output (`len(lengths)×hidden`;
    /// zeros for an empty sequence). With `reverse` each sequence is read
    /// backwards, so its last output is the one at its first row.
    pub fn lstm_last(&mut self, p: &LstmParams, x: Var, lengths: &[usize], reverse: bool) -> Var {
        self.lstm(p, x, None, lengths, reverse, true)
    }

    /// [`Graph::lstm_last`] over positions that read rows of `x` by index:
    /// position `i` (of `Σ lengths`, sequences in order) is row `rows[i]` of `x`.
    /// The same as `lstm_last(p, gather_rows(x, rows), ..)`, but the input
    /// projection and its gradients cost one row of work per row of `x` (each
    /// distinct character once), not one per position.
    pub fn lstm_last_gather(
        &mut self,
        p: &LstmParams,
        x: Var,
        rows: &[usize],
        lengths: &[usize],
        reverse: bool,
    ) -> Var {
        self.lstm(p, x, Some(rows), lengths, reverse, true)
    }

    fn lstm(
        &mut self,
        p: &LstmParams,
        x: Var,
        gather: Option<&[usize]>,
        lengths: &[usize],
        reverse: bool,
        finals: bool,
    ) -> Var {
        let rows = self.check_lstm_input(p, x, gather, lengths);
        let (h, gh) = (p.hidden, p.kind.gates() * p.hidden);
        let pk = Packing::new(lengths, gather, reverse, finals);
        let steps = pk.active.len();
        let ints = self.push_ints(pk.active.iter().chain(&pk.xrow).chain(&pk.orow).copied());
        let out_rows = if finals { lengths.len() } else { rows };
        let op = Op::Lstm {
            x,
            p: *p,
            ints,
            steps,
            rows,
        };
        let l = Layout::new(rows, h, gh);
        // Not zeroed: everything below is written before it is read, except
        // the outputs of empty sequences and the (zero) state before step 0.
        let out = self.push_with(op, out_rows, h, l.len, true, false);
        let (vals, y, aux, scratch) = self.io_scratch(out, 1);
        run_forward(&vals, p, x, &pk, aux, &mut scratch[0]);
        y.fill(T::ZERO);
        write_outputs(&aux[l.hp..l.len], &pk.orow, h, y, h);
        out
    }

    /// Checks `x` and the sequences against the cell `p`; returns the number
    /// of positions (packed rows).
    fn check_lstm_input(
        &self,
        p: &LstmParams,
        x: Var,
        gather: Option<&[usize]>,
        lengths: &[usize],
    ) -> usize {
        let (n, input) = self.shape(x);
        assert_eq!(
            input, p.input,
            "lstm: input is {n}x{input}, the cell expects {} columns",
            p.input
        );
        let rows = lengths.iter().sum::<usize>();
        match gather {
            None => assert_eq!(
                rows, n,
                "lstm: lengths {lengths:?} do not add up to {n} rows"
            ),
            Some(g) => {
                assert_eq!(
                    g.len(),
                    rows,
                    "lstm: {} row indices for lengths adding up to {rows}",
                    g.len()
                );
                if let Some(&bad) = g.iter().find(|&&r| r >= n) {
                    panic!("lstm: row index {bad} outside the {n}x{input} input");
                }
            }
        }
        rows
    }
}

/// The packed layout of one direction: sequences by decreasing length, so
/// that step `t` holds the first `active[t]`; per packed row, the row of `x`
/// it reads and the output row it fills (`NONE`: no output).
struct Packing {
    active: Vec<usize>,
    xrow: Vec<usize>,
    orow: Vec<usize>,
}

impl Packing {
    fn new(lengths: &[usize], gather: Option<&[usize]>, reverse: bool, finals: bool) -> Self {
        let rows = lengths.iter().sum::<usize>();
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
                let at = starts[s] + pos;
                xrow.push(gather.map_or(at, |g| g[at]));
                orow.push(match (finals, t + 1 == lengths[s]) {
                    (false, _) => starts[s] + pos,
                    (true, true) => s,
                    (true, false) => NONE,
                });
            }
        }
        Packing { active, xrow, orow }
    }
}

/// Runs one direction forward over `x`, saving into `aux` (a [`Layout`]).
fn run_forward<T: Real>(
    vals: &Vals<'_, T>,
    p: &LstmParams,
    x: Var,
    pk: &Packing,
    aux: &mut [T],
    scratch: &mut Vec<T>,
) {
    let (h, gh) = (p.hidden, p.kind.gates() * p.hidden);
    let l = Layout::new(pk.xrow.len(), h, gh);
    let s = Saved::split(aux, &l);
    // The state before step 0 is zero (rows of step 0 come first).
    let first = pk.active.first().copied().unwrap_or(0) * h;
    s.hprev[..first].fill(T::ZERO);
    s.cprev[..first].fill(T::ZERO);
    let xn = vals.node(x);
    let xv = Mat::new(vals.get(x), xn.rows, xn.cols);
    forward(vals, p, xv, &pk.xrow, &pk.active, s, scratch);
}

/// Copies the output `h` (`hp`, one row per packed row) of every packed row
/// that has an output row `orow` into that row of `y` (rows `ld` apart; `y`
/// may start at a column offset).
fn write_outputs<T: Real>(hp: &[T], orow: &[usize], h: usize, y: &mut [T], ld: usize) {
    for (r, &o) in orow.iter().enumerate() {
        if o != NONE {
            y[o * ld..o * ld + h].copy_from_slice(&hp[r * h..(r + 1) * h]);
        }
    }
}

/// The weight matrices of a cell, in the order their gradients are handed out.
fn weight_ids(p: &LstmParams) -> Vec<ParamId> {
    [Some(p.wx), Some(p.wh), Some(p.b), p.wci, p.wco]
        .into_iter()
        .flatten()
        .collect()
}

/// Offsets of the saved arrays in a node's aux (P packed rows). The input is
/// not copied: the backward pass reads it from `x`'s value.
struct Layout {
    act: usize,
    c: usize,
    tc: usize,
    hprev: usize,
    cprev: usize,
    hp: usize,
    len: usize,
}

impl Layout {
    fn new(p: usize, h: usize, gh: usize) -> Self {
        let act = 0;
        let c = act + p * gh;
        let tc = c + p * h;
        let hprev = tc + p * h;
        let cprev = hprev + p * h;
        let hp = cprev + p * h;
        Layout {
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
    act: &'a mut [T],
    c: &'a mut [T],
    tc: &'a mut [T],
    hprev: &'a mut [T],
    cprev: &'a mut [T],
    hp: &'a mut [T],
}

impl<'a, T> Saved<'a, T> {
    fn split(aux: &'a mut [T], l: &Layout) -> Self {
        let (act, rest) = aux.split_at_mut(l.c - l.act);
        let (c, rest) = rest.split_at_mut(l.tc - l.c);
        let (tc, rest) = rest.split_at_mut(l.hprev - l.tc);
        let (hprev, rest) = rest.split_at_mut(l.cprev - l.hprev);
        let (cprev, rest) = rest.split_at_mut(l.hp - l.cprev);
        let hp = &mut rest[..l.len - l.hp];
        Saved {
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

/// Whether packed row `r` reads row `r` of `x` for every `r` (one sequence,
/// forwards): then the projections are computed in place, with no gather.
fn in_order(xrow: &[usize], x_rows: usize) -> bool {
    xrow.len() == x_rows && xrow.iter().enumerate().all(|(r, &x)| r == x)
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
