//! `bilstm_seq` / `bilstm_last_gather`: both directions of a BiLSTM layer as
//! one op whose two halves run at the same time (`crate::par::join`), for two cores
//! on one model (issue 11). The directions share only their input: each
//! writes its own saved arrays, output columns and weight gradients, so they
//! need no locks. Their contributions to the input's gradient are the one
//! shared write; they are added once both directions are done, in a fixed
//! order (the backward direction's first, as the two-op graph's backward
//! pass does), the rows split between the two threads, so the result is the
//! same bits on any number of threads and equals `concat(lstm(fwd),
//! lstm(bwd))` to the last bit (a test checks both).
//!
//! The derivative is that of each direction (see [`crate::lstm`]): with
//! `y = [h_fwd | h_bwd]`, `dx = dGx_bwd·Wx_bwd + dGx_fwd·Wx_fwd`.

use super::backward::{direction, input_grad, input_of, Dir};
use super::{run_forward, weight_ids, write_outputs, Layout, Packing};
use crate::lstm::LstmParams;
use crate::params::ParamStore;
use crate::tape::{GradSink, Op, Vals, Var};
use crate::Graph;
use cpu_kernels::Real;

impl<T: Real> Graph<'_, T> {
    /// Both directions over the rows of `x` (`T×input`, one row per step):
    /// row `t` of the result is `[fwd_t | bwd_t]` (`T×(hidden_fwd +
    /// hidden_bwd)`), as `concat([lstm_seq(fwd, x, false), lstm_seq(bwd, x,
    /// true)])`. `fwd` and `bwd` must be different parameters.
    pub fn bilstm_seq(&mut self, fwd: &LstmParams, bwd: &LstmParams, x: Var) -> Var {
        let n = self.shape(x).0;
        self.bilstm(fwd, bwd, x, None, &[n], false)
    }

    /// Both directions of [`Graph::lstm_last_gather`]: per sequence, `[last
    /// output of fwd | last output of bwd]` (the backward direction's last
    /// output is at the sequence's first position).
    pub fn bilstm_last_gather(
        &mut self,
        fwd: &LstmParams,
        bwd: &LstmParams,
        x: Var,
        rows: &[usize],
        lengths: &[usize],
    ) -> Var {
        self.bilstm(fwd, bwd, x, Some(rows), lengths, true)
    }

    fn bilstm(
        &mut self,
        fwd: &LstmParams,
        bwd: &LstmParams,
        x: Var,
        gather: Option<&[usize]>,
        lengths: &[usize],
        finals: bool,
    ) -> Var {
        let rows = self.check_lstm_input(fwd, x, gather, lengths);
        self.check_lstm_input(bwd, x, gather, lengths);
        let (idf, idb) = (weight_ids(fwd), weight_ids(bwd));
        assert!(
            idf.iter().all(|id| !idb.contains(id)),
            "bilstm: the two directions share parameters; they must be distinct"
        );
        let pf = Packing::new(lengths, gather, false, finals);
        let pb = Packing::new(lengths, gather, true, finals);
        let ints = self.push_ints(
            pf.active
                .iter()
                .chain(&pf.xrow)
                .chain(&pf.orow)
                .chain(&pb.xrow)
                .chain(&pb.orow)
                .copied(),
        );
        let (hf, hb) = (fwd.hidden, bwd.hidden);
        let lf = Layout::new(rows, hf, fwd.kind.gates() * hf);
        let lb = Layout::new(rows, hb, bwd.kind.gates() * hb);
        let op = Op::BiLstm {
            x,
            fwd: *fwd,
            bwd: *bwd,
            ints,
            steps: pf.active.len(),
            rows,
        };
        let out_rows = if finals { lengths.len() } else { rows };
        // Not zeroed: the directions write their saved arrays in full.
        let out = self.push_with(op, out_rows, hf + hb, lf.len + lb.len, true, false);
        let (vals, y, aux, scratch) = self.io_scratch(out, 2);
        let (af, ab) = aux.split_at_mut(lf.len);
        let (sf, sb) = scratch.split_at_mut(1);
        crate::par::join(
            || run_forward(&vals, fwd, x, &pf, af, &mut sf[0]),
            || run_forward(&vals, bwd, x, &pb, ab, &mut sb[0]),
        );
        y.fill(T::ZERO);
        let ld = hf + hb;
        write_outputs(&af[lf.hp..lf.len], &pf.orow, hf, y, ld);
        write_outputs(&ab[lb.hp..lb.len], &pb.orow, hb, &mut y[hf..], ld);
        out
    }
}

/// Both directions' backward passes at the same time, each into its own
/// weight gradients; then both parts of `dx` ([`input_grads`]).
pub(in crate::ops) fn backward_bi<T: Real>(
    vals: &Vals<'_, T>,
    v: Var,
    dy: &[T],
    sink: &mut GradSink<'_, T>,
    scratch: &mut [Vec<T>],
) {
    let Op::BiLstm {
        x,
        fwd,
        bwd,
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
    let all = vals.ints(ints, steps + 4 * rows);
    let (active, rest) = all.split_at(steps);
    let (xrow_f, rest) = rest.split_at(rows);
    let (orow_f, rest) = rest.split_at(rows);
    let (xrow_b, orow_b) = rest.split_at(rows);
    let lf = Layout::new(rows, fwd.hidden, fwd.kind.gates() * fwd.hidden).len;
    let (aux_f, aux_b) = vals.aux(v).split_at(lf);
    let df = Dir {
        p: fwd,
        active,
        xrow: xrow_f,
        orow: orow_f,
        aux: aux_f,
    };
    let db = Dir {
        p: bwd,
        active,
        xrow: xrow_b,
        orow: orow_b,
        aux: aux_b,
    };
    let (idf, idb) = (weight_ids(&fwd), weight_ids(&bwd));
    let ids: Vec<_> = idf.iter().chain(&idb).copied().collect();
    let (dx, mut gf) = sink.of_with_params(x, &ids);
    let gb = gf.split_off(idf.len());
    let xv = input_of(vals, x);
    let (ld, params) = (fwd.hidden + bwd.hidden, vals.params);
    let (sf, sb) = scratch.split_at_mut(1);
    // Each direction goes back on the thread that ran it forward (this one
    // the forward direction, see `bilstm`), where its saved arrays are in
    // cache.
    let ((dgx_f, norms_f), (dgx_b, norms_b)) = crate::par::join(
        || direction(params, xv, &df, dy, ld, gf, &mut sf[0]),
        || direction(params, xv, &db, &dy[fwd.hidden..], ld, gb, &mut sb[0]),
    );
    if let Some(dx) = dx {
        input_grads(params, [(&bwd, dgx_b), (&fwd, dgx_f)], dx);
    }
    // The backward direction's gradients were written by the join's second
    // closure, on the helper thread when there is one.
    for ((id, sq), helper) in idf
        .into_iter()
        .zip(norms_f)
        .map(|p| (p, false))
        .chain(idb.into_iter().zip(norms_b).map(|p| (p, true)))
    {
        sink.set_squared_norm(id, sq);
        sink.set_on_helper(id, helper);
    }
}

/// `dx += dGx_bwd·Wx_bwd`, then `dx += dGx_fwd·Wx_fwd` (`parts` in that
/// order), its rows split in two blocks on two threads when it has at least
/// four. The bits are those of the whole products: GEMM computes each row of
/// `C` from the same row of `A` alone, in the same order, given at least two
/// rows (one row goes through GEMV); `cpu-kernels`' test
/// `row_blocks_of_row_major_products_have_the_bits_of_the_whole` checks it.
fn input_grads<T: Real>(params: &ParamStore<T>, parts: [(&LstmParams, &[T]); 2], dx: &mut [T]) {
    let input = parts[0].0.input;
    let n = dx.len() / input;
    let add = |first: usize, dx: &mut [T]| {
        let rows = dx.len() / input;
        for (p, dgx) in parts {
            let gh = p.kind.gates() * p.hidden;
            input_grad(params, p, &dgx[first * gh..(first + rows) * gh], dx);
        }
    };
    if n < 4 {
        add(0, dx);
        return;
    }
    let half = n / 2;
    let (top, bottom) = dx.split_at_mut(half * input);
    crate::par::join(|| add(0, top), || add(half, bottom));
}

#[cfg(test)]
mod tests {
    use crate::lstm::{LstmKind, LstmParams};
    use crate::ops::testing::check;
    use crate::params::{ParamId, ParamStore};
    use crate::{Grads, Graph, Real, Tape, Var};
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Sequences of 3, 1, 4 and 2 characters reading rows of a 5-row input
    /// (row 1 three times, row 4 never).
    const LENGTHS: [usize; 4] = [3, 1, 4, 2];
    const READS: [usize; 10] = [0, 1, 2, 1, 3, 1, 0, 2, 3, 0];

    /// A 5×`input` input and two directions (`hf` and `hb` hidden units),
    /// biases nudged away from zero so their gradients matter.
    fn setup<T: Real>(
        kind: LstmKind,
        input: usize,
        hf: usize,
        hb: usize,
    ) -> (ParamStore<T>, ParamId, LstmParams, LstmParams) {
        let mut s: ParamStore<T> = ParamStore::new();
        let v = (0..5 * input)
            .map(|i| T::from_f64((i as f64 * 0.37 + 0.2).sin()))
            .collect();
        let x = s.from_values("x", 5, input, crate::ParamKind::Dense, v);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let f = LstmParams::new(&mut s, "f", kind, input, hf, &mut rng);
        let b = LstmParams::new(&mut s, "b", kind, input, hb, &mut rng);
        for p in [f.b, b.b] {
            for (i, v) in s.get_mut(p).value.iter_mut().enumerate() {
                *v = T::from_f64((i as f64 * 0.53).sin() * 0.3);
            }
        }
        (s, x, f, b)
    }

    /// Both cells, the sequence and the gathered shape, with `x` a parameter
    /// leaf and with `x` an op's output (its gradient then sits on the tape).
    #[test]
    fn gradient_check_both_cells_both_shapes() {
        for kind in [LstmKind::Coupled, LstmKind::Standard] {
            let (s, x, f, b) = setup::<f64>(kind, 3, 2, 3);
            for (gathered, leaf) in [(false, true), (true, true), (false, false), (true, false)] {
                let report = check(&s, |g| {
                    let mut xv = g.param(x);
                    if !leaf {
                        xv = g.tanh(xv);
                    }
                    if gathered {
                        g.bilstm_last_gather(&f, &b, xv, &READS, &LENGTHS)
                    } else {
                        g.bilstm_seq(&f, &b, xv)
                    }
                });
                assert!(
                    report.checked > 50,
                    "{kind:?} gathered {gathered}: {report}"
                );
            }
        }
    }

    /// The op's value, then every gradient and the clipping norm after a
    /// backward pass. `f` returns the op's output and its input `t`; the loss
    /// also reads `t ⊙ t`, recorded after the op so that `t`'s gradient is
    /// not zero when the op adds to it (the order of its additions shows).
    fn run<T: Real>(s: &ParamStore<T>, f: &dyn Fn(&mut Graph<'_, T>) -> (Var, Var)) -> Vec<Vec<T>> {
        let mut tape = Tape::new();
        let mut grads = Grads::new(s);
        let mut g = Graph::new(&mut tape, s);
        let (y, t) = f(&mut g);
        let mut out = vec![g.value(y).to_vec()];
        let tt = g.mul(t, t);
        let (a, b) = (weighted_sum_t(&mut g, y), weighted_sum_t(&mut g, tt));
        let l = g.add(a, b);
        g.backward(l, &mut grads);
        out.extend(s.iter().map(|(id, _)| grads.get(id).to_vec()));
        out.push(vec![T::from_f64(grads.squared_norm())]);
        out
    }

    fn weighted_sum_t<T: Real>(g: &mut Graph<'_, T>, y: Var) -> Var {
        let (r, c) = g.shape(y);
        let w: Vec<T> = (0..r * c)
            .map(|i| T::from_f64((i as f64 * 0.71).cos()))
            .collect();
        let w = g.input(r, c, &w);
        let p = g.mul(y, w);
        g.sum(&[p])
    }

    /// The two-op graph the tagger recorded before: each direction on its
    /// own, joined by `concat`.
    fn two_ops<T: Real>(
        g: &mut Graph<'_, T>,
        f: &LstmParams,
        b: &LstmParams,
        x: Var,
        gathered: bool,
    ) -> Var {
        let (yf, yb) = if gathered {
            (
                g.lstm_last_gather(f, x, &READS, &LENGTHS, false),
                g.lstm_last_gather(b, x, &READS, &LENGTHS, true),
            )
        } else {
            (g.lstm_seq(f, x, false), g.lstm_seq(b, x, true))
        };
        g.concat(&[yf, yb])
    }

    fn equals_two_ops<T: Real>(sizes: [usize; 3]) {
        let [input, hf, hb] = sizes;
        for kind in [LstmKind::Coupled, LstmKind::Standard] {
            let (s, x, f, b) = setup::<T>(kind, input, hf, hb);
            for (gathered, leaf) in [(false, true), (true, true), (false, false), (true, false)] {
                let input = |g: &mut Graph<'_, T>| {
                    let xv = g.param(x);
                    if leaf {
                        xv
                    } else {
                        g.tanh(xv)
                    }
                };
                let fused = |g: &mut Graph<'_, T>| {
                    let t = input(g);
                    let y = if gathered {
                        g.bilstm_last_gather(&f, &b, t, &READS, &LENGTHS)
                    } else {
                        g.bilstm_seq(&f, &b, t)
                    };
                    (y, t)
                };
                let apart = |g: &mut Graph<'_, T>| {
                    let t = input(g);
                    (two_ops(g, &f, &b, t, gathered), t)
                };
                let what = format!("{kind:?} {sizes:?} gathered {gathered} leaf {leaf}");
                let one = pool(1).install(|| run(&s, &fused));
                assert!(one == run(&s, &apart), "{what}: fused differs from two ops");
                for threads in [2, 3] {
                    let many = pool(threads).install(|| run(&s, &fused));
                    assert!(one == many, "{what}: {threads} threads differ from one");
                }
                // Forking on a training loop's spinner (crate::par).
                let spun = crate::par::Spinner::new().enter(|| run(&s, &fused));
                assert!(one == spun, "{what}: on a spinner differs from one thread");
            }
        }
    }

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    /// Values, every gradient and the clipping norm, bit for bit: the same as
    /// the two-op graph, and the same on 1, 2 and 3 threads and on a spinner.
    #[test]
    fn equals_the_two_op_graph_on_any_number_of_threads_f64() {
        equals_two_ops::<f64>([3, 2, 3]);
    }

    /// The same in f32, where the tagger trains, also with the tagger's
    /// character sizes (3·100 gate rows: the GEMMs block their depth).
    #[test]
    fn equals_the_two_op_graph_on_any_number_of_threads_f32() {
        equals_two_ops::<f32>([3, 2, 3]);
        equals_two_ops::<f32>([100, 100, 100]);
    }

    #[test]
    #[should_panic(expected = "share parameters")]
    fn rejects_one_cell_for_both_directions() {
        let (s, x, f, _) = setup::<f64>(LstmKind::Coupled, 3, 2, 3);
        let mut tape = Tape::new();
        let mut g = Graph::new(&mut tape, &s);
        let xv = g.param(x);
        g.bilstm_seq(&f, &f, xv);
    }
}
