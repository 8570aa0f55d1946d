//! `heads_nll`: the training loss of k softmax heads on shared states, fused
//! into one op (model-spec sections 3-4). For every head j it computes
//!
//! ```text
//! x_j = h + σ·ε_j                      fresh noise per head (ε_j from seeds[j])
//! z_j = relu(x_j·V_jᵀ + bV_j)          the head's hidden layer (absent for a linear head)
//! L_j = Σ_i -ln softmax(z_j·W_jᵀ + bW_j)_i[gold_i]
//! ```
//!
//! and returns `Σ_j L_j`: exactly what `gaussian_noise`, `linear`, `relu`,
//! `linear`, `softmax_nll` and `sum` record one head at a time (a test checks
//! both agree to the last bit of f64), at a fraction of the cost for many heads:
//!
//! - The loss is a sum, so a head's gradients (with respect to its own
//!   parameters and to `h`) depend on nothing downstream but one scalar, the
//!   loss's own gradient. They are computed during the forward pass, right
//!   after the head's values and while its noisy input `x_j` is still in
//!   cache, and kept in the op's aux; the backward pass scales them by that
//!   scalar and adds them where they belong. `x_j` itself is never stored.
//! - One node instead of seven per head: no per-head output and gradient
//!   buffers to allocate and zero on the tape.
//!
//! Heads are independent until their parts of `h`'s gradient are summed, so
//! they run in parallel (one group of heads per thread of the rayon pool,
//! issue 11): each head writes its own part into its own buffer, and the
//! parts are summed last head to first, the order of the unfused graph's
//! backward pass, so the bits do not depend on the number of threads.

use super::linear::{affine, grad_bias, grad_input, grad_weight};
use crate::tape::{GradSink, Op, Vals, Var};
use crate::Graph;
use cpu_kernels::{axpy, Real, Unary};
use rayon::prelude::*;

/// The parameters of one head as values recorded on the graph for one
/// forward pass (usually parameter leaves; `w` may be a dropout of one), not
/// the parameters themselves.
#[derive(Clone, Copy, Debug)]
pub struct HeadVars {
    /// The hidden layer `(V, bV)` before the ReLU; `None` for a linear head.
    pub hidden: Option<(Var, Var)>,
    pub w: Var,
    pub bw: Var,
}

/// Marks an absent hidden layer in the tape's integer arena.
const NONE: usize = usize::MAX;

/// Where one head's saved gradients sit in the op's aux, and its sizes.
struct Layout {
    head: HeadVars,
    /// Hidden width (0 for a linear head) and number of classes.
    m: usize,
    c: usize,
    /// Offset of `[dV | dbV | dW | dbW]` in the aux.
    off: usize,
}

impl Layout {
    /// Width of the layer `W` reads: the hidden layer, or `h` itself.
    fn w_in(&self, d: usize) -> usize {
        if self.head.hidden.is_some() {
            self.m
        } else {
            d
        }
    }
    fn len(&self, d: usize) -> usize {
        self.m * d + self.m + self.c * self.w_in(d) + self.c
    }
}

/// The heads recorded at `ints` and their aux layout after `h`'s gradient
/// (`n × d` values).
fn layouts<'a>(
    shape: impl Fn(Var) -> (usize, usize) + 'a,
    ints: &'a [usize],
    n: usize,
    d: usize,
) -> impl Iterator<Item = Layout> + 'a {
    let mut off = n * d;
    ints.chunks_exact(4).map(move |q| {
        let hidden = (q[0] != NONE).then(|| (Var(q[0] as u32), Var(q[1] as u32)));
        let head = HeadVars {
            hidden,
            w: Var(q[2] as u32),
            bw: Var(q[3] as u32),
        };
        let m = hidden.map_or(0, |(v, _)| shape(v).0);
        let c = shape(head.w).0;
        let l = Layout { head, m, c, off };
        off += l.len(d);
        l
    })
}

impl<T: Real> Graph<'_, T> {
    /// `Σ_j Σ_i -ln softmax(head_j(h + σ·ε_j))_i[gold_i]` for `h: n×d`, one
    /// noise seed per head (`σ = 0`: no noise); a `1×1` result.
    pub fn heads_nll(
        &mut self,
        h: Var,
        heads: &[HeadVars],
        sigma: f64,
        seeds: &[u64],
        gold: &[usize],
    ) -> Var {
        let (n, d) = self.shape(h);
        assert_eq!(seeds.len(), heads.len(), "heads_nll: one seed per head");
        assert_eq!(
            gold.len(),
            n,
            "heads_nll: {} labels for {n} rows",
            gold.len()
        );
        let mut needs = self.needs_grad(h);
        let mut ints = Vec::with_capacity(4 * heads.len());
        for hd in heads {
            let mut w_in = d;
            if let Some((v, bv)) = hd.hidden {
                let (m, dv) = self.shape(v);
                assert_eq!(dv, d, "heads_nll: V is {m}x{dv} but h is {n}x{d}");
                assert_eq!(self.shape(bv), (1, m), "heads_nll: bV is not 1x{m}");
                needs |= self.needs_grad(v) || self.needs_grad(bv);
                ints.extend([v.idx(), bv.idx()]);
                w_in = m;
            } else {
                ints.extend([NONE, NONE]);
            }
            let (c, wc) = self.shape(hd.w);
            assert_eq!(wc, w_in, "heads_nll: W is {c}x{wc}, expected {c}x{w_in}");
            assert_eq!(self.shape(hd.bw), (1, c), "heads_nll: bW is not 1x{c}");
            if let Some(&bad) = gold.iter().find(|&&l| l >= c) {
                panic!("heads_nll: label {bad} outside {c} classes");
            }
            needs |= self.needs_grad(hd.w) || self.needs_grad(hd.bw);
            ints.extend([hd.w.idx(), hd.bw.idx()]);
        }
        let k = heads.len();
        let nodes = &self.tape.nodes;
        let shape = |v: Var| (nodes[v.idx()].rows, nodes[v.idx()].cols);
        let layouts: Vec<Layout> = layouts(shape, &ints, n, d).collect();
        let aux_len = n * d + layouts.iter().map(|l| l.len(d)).sum::<usize>();
        let at = self.push_ints(ints.iter().copied().chain(gold.iter().copied()));
        // Every aux element is written below (overwritten or zeroed first).
        let out = self.push_with(Op::Heads { h, ints: at, k }, 1, 1, aux_len, needs, false);
        // Heads run in parallel, in as many groups as the pool has threads;
        // each group has a scratch buffer (scratch[1..]) and each head its
        // own buffer for `h`'s gradient (scratch[0]), summed in a fixed order
        // below: the same bits whatever the grouping.
        let groups = rayon::current_num_threads().clamp(1, k.max(1));
        let (vals, y, aux, scratch) = self.io_scratch(out, 1 + groups);
        let (dh, mut saved) = aux.split_at_mut(n * d);
        let (dh_heads, work) = scratch.split_first_mut().expect("1 + groups buffers");
        dh_heads.resize(k * n * d, T::ZERO);
        let mut jobs: Vec<Job<'_, T>> = Vec::with_capacity(k);
        for ((j, l), dh) in layouts
            .iter()
            .enumerate()
            .zip(dh_heads.chunks_exact_mut(n * d))
        {
            let (mine, rest) = std::mem::take(&mut saved).split_at_mut(l.len(d));
            saved = rest;
            jobs.push(Job {
                seed: seeds[j],
                l,
                saved: mine,
                dh,
                loss: T::ZERO,
            });
        }
        let ctx = Ctx {
            vals: &vals,
            h,
            n,
            d,
            sigma,
            gold,
        };
        let run = |jobs: &mut [Job<'_, T>], scratch: &mut Vec<T>| {
            for job in jobs {
                ctx.head(job, scratch);
            }
        };
        let per_group = k.div_ceil(groups).max(1);
        if let ([w0, w1], true) = (&mut work[..], jobs.len() > per_group) {
            // Two groups: a plain fork, on the training loop's spinner if
            // it has one (crate::par).
            let (first, second) = jobs.split_at_mut(per_group);
            crate::par::join(|| run(first, w0), || run(second, w1));
        } else {
            jobs.par_chunks_mut(per_group)
                .zip(work)
                .for_each(|(jobs, scratch)| run(jobs, scratch));
        }
        // `h`'s gradient sums the heads last to first, as the unfused
        // graph's backward pass does.
        dh.fill(T::ZERO);
        for job in jobs.iter().rev() {
            axpy(T::ONE, job.dh, dh);
        }
        y[0] = jobs.iter().map(|job| job.loss).sum();
        out
    }
}

/// What every head reads.
struct Ctx<'a, 'v, T> {
    vals: &'a Vals<'v, T>,
    h: Var,
    n: usize,
    d: usize,
    sigma: f64,
    gold: &'a [usize],
}

/// One head's work: its noise seed, layout, saved gradients (written), its
/// part of `h`'s gradient (written) and its loss.
struct Job<'a, T> {
    seed: u64,
    l: &'a Layout,
    saved: &'a mut [T],
    dh: &'a mut [T],
    loss: T,
}

impl<T: Real> Ctx<'_, '_, T> {
    /// One head forward, then backward into its job's buffers, with
    /// `scratch` for the noisy input, the hidden layer and its gradient, the
    /// logits and the probabilities (then their gradient).
    fn head(&self, job: &mut Job<'_, T>, scratch: &mut Vec<T>) {
        let (vals, n, d, gold) = (self.vals, self.n, self.d, self.gold);
        let l = job.l;
        let (m, c) = (l.m, l.c);
        let noisy = self.sigma > 0.0;
        let x_len = if noisy { n * d } else { 0 };
        let need = x_len + 2 * n * m + 2 * n * c;
        if scratch.len() < need {
            scratch.resize(need, T::ZERO);
        }
        let (xs, rest) = scratch.split_at_mut(x_len);
        let (z, rest) = rest.split_at_mut(n * m);
        let (dz, rest) = rest.split_at_mut(n * m);
        let (lg, rest) = rest.split_at_mut(n * c);
        let p = &mut rest[..n * c];
        let hv = vals.get(self.h);
        let x: &[T] = if noisy {
            cpu_kernels::normal_fill(job.seed, T::from_f64(self.sigma), xs);
            axpy(T::ONE, hv, xs);
            xs
        } else {
            hv
        };
        let (dv, rest) = job.saved.split_at_mut(m * d);
        let (dbv, rest) = rest.split_at_mut(m);
        let (dw, dbw) = rest.split_at_mut(c * l.w_in(d));
        // Forward: the hidden layer, then the logits.
        if let Some((v, bv)) = l.head.hidden {
            affine(x, vals.get(v), Some(vals.get(bv)), n, d, z);
            cpu_kernels::unary_inplace(Unary::Relu, z);
        }
        let input: &[T] = if l.head.hidden.is_some() { z } else { x };
        let w = vals.get(l.head.w);
        affine(input, w, Some(vals.get(l.head.bw)), n, l.w_in(d), lg);
        // Softmax and NLL, then the logits' gradient `p - onehot` in place.
        let mut loss = T::ZERO;
        for ((row, p), &g) in lg.chunks_exact(c).zip(p.chunks_exact_mut(c)).zip(gold) {
            cpu_kernels::log_softmax(row, p);
            loss -= p[g];
        }
        cpu_kernels::unary_inplace(Unary::Exp, p);
        for (p, &g) in p.chunks_exact_mut(c).zip(gold) {
            p[g] -= T::ONE;
        }
        job.loss = loss;
        // Backward through the head, into the aux and the head's part of dh.
        dbw.fill(T::ZERO);
        grad_bias(p, dbw);
        grad_weight(p, input, n, c, T::ZERO, dw);
        match l.head.hidden {
            Some((v, _)) => {
                grad_input(p, w, n, c, T::ZERO, dz);
                // ReLU's gradient; a select (not a branch) so it vectorises.
                for (g, &z) in dz.iter_mut().zip(z.iter()) {
                    *g = if z > T::ZERO { *g } else { T::ZERO };
                }
                dbv.fill(T::ZERO);
                grad_bias(dz, dbv);
                grad_weight(dz, x, n, m, T::ZERO, dv);
                grad_input(dz, vals.get(v), n, m, T::ZERO, job.dh);
            }
            None => grad_input(p, w, n, c, T::ZERO, job.dh),
        }
    }
}

/// Adds the gradients saved by the forward pass, times the loss's gradient
/// `dy`, to `h` and to every head's parameters.
pub(super) fn backward<T: Real>(vals: &Vals<'_, T>, v: Var, dy: &[T], sink: &mut GradSink<'_, T>) {
    let Op::Heads { h, ints, k } = vals.node(v).op else {
        unreachable!()
    };
    let (n, d) = (vals.node(h).rows, vals.node(h).cols);
    let aux = vals.aux(v);
    let g = dy[0];
    if let Some(dh) = sink.of(h) {
        axpy(g, &aux[..n * d], dh);
    }
    let shape = |v: Var| (vals.node(v).rows, vals.node(v).cols);
    for l in layouts(shape, vals.ints(ints, 4 * k), n, d) {
        let saved = &aux[l.off..l.off + l.len(d)];
        let (dv, rest) = saved.split_at(l.m * d);
        let (dbv, rest) = rest.split_at(l.m);
        let (dw, dbw) = rest.split_at(l.c * l.w_in(d));
        // Each head's parameters get gradient from this op only: their
        // squared norms (for clipping) are taken now, in cache.
        let mut add = |x: Var, grad: &[T]| {
            if let Some(dx) = sink.of(x) {
                axpy(g, grad, dx);
                sink.note_norm(x);
            }
        };
        if let Some((v, bv)) = l.head.hidden {
            add(v, dv);
            add(bv, dbv);
        }
        add(l.head.w, dw);
        add(l.head.bw, dbw);
    }
}

#[cfg(test)]
mod tests {
    use super::HeadVars;
    use crate::ops::testing::param;
    use crate::params::{ParamId, ParamKind};
    use crate::{gradcheck, Graph, ParamStore, Real, Tape, Var};
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    const GOLD: [usize; 4] = [2, 0, 3, 2];

    /// `h` (`rows`×5) and three heads: MLP 3 → 4 classes, linear → 4
    /// classes, MLP 2 → 4 classes.
    fn setup(rows: usize) -> (ParamStore<f64>, ParamId, Vec<[Option<ParamId>; 4]>) {
        let mut s = ParamStore::new();
        let h = param(&mut s, rows, 5, 0.3);
        let mut heads = Vec::new();
        for (j, m) in [3, 0, 2].into_iter().enumerate() {
            let t = j as f64;
            let (v, bv, w_in) = if m > 0 {
                (
                    Some(param(&mut s, m, 5, 1.1 + t)),
                    Some(param(&mut s, 1, m, 2.3 + t)),
                    m,
                )
            } else {
                (None, None, 5)
            };
            let w = param(&mut s, 4, w_in, 3.7 + t);
            let bw = param(&mut s, 1, 4, 0.9 + t);
            heads.push([v, bv, Some(w), Some(bw)]);
        }
        (s, h, heads)
    }

    fn vars<T: Real>(g: &mut Graph<'_, T>, heads: &[[Option<ParamId>; 4]]) -> Vec<HeadVars> {
        heads
            .iter()
            .map(|[v, bv, w, bw]| HeadVars {
                hidden: v.zip(*bv).map(|(v, bv)| (g.param(v), g.param(bv))),
                w: g.param(w.unwrap()),
                bw: g.param(bw.unwrap()),
            })
            .collect()
    }

    fn fused<T: Real>(
        g: &mut Graph<'_, T>,
        h: ParamId,
        heads: &[[Option<ParamId>; 4]],
        seed: u64,
        gold: &[usize],
    ) -> Var {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let hv = g.param(h);
        let hs = vars(g, heads);
        let seeds: Vec<u64> = hs.iter().map(|_| rng.random()).collect();
        g.heads_nll(hv, &hs, 0.2, &seeds, &gold[..g.shape(hv).0])
    }

    /// The same loss from the primitive ops, one head at a time.
    fn unfused<T: Real>(
        g: &mut Graph<'_, T>,
        h: ParamId,
        heads: &[[Option<ParamId>; 4]],
        seed: u64,
        gold: &[usize],
    ) -> Var {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let hv = g.param(h);
        let hs = vars(g, heads);
        let gold = &gold[..g.shape(hv).0];
        let losses: Vec<Var> = hs
            .iter()
            .map(|hd| {
                let mut z = g.gaussian_noise(hv, 0.2, &mut rng);
                if let Some((v, bv)) = hd.hidden {
                    let a = g.linear(z, v, Some(bv));
                    z = g.relu(a);
                }
                let logits = g.linear(z, hd.w, Some(hd.bw));
                g.softmax_nll(logits, gold)
            })
            .collect();
        g.sum(&losses)
    }

    /// The loss and every parameter's gradient.
    fn run<T: Real>(s: &ParamStore<T>, f: &dyn Fn(&mut Graph<'_, T>) -> Var) -> (T, Vec<Vec<T>>) {
        let mut tape = Tape::new();
        let mut grads = crate::Grads::new(s);
        let mut g = Graph::new(&mut tape, s);
        let l = f(&mut g);
        let loss = g.backward(l, &mut grads);
        let all: Vec<Vec<T>> = s.iter().map(|(id, _)| grads.get(id).to_vec()).collect();
        (loss, all)
    }

    #[test]
    fn gradient_check() {
        for rows in [4, 1] {
            let (s, h, heads) = setup(rows);
            let report = gradcheck(&s, |g| fused(g, h, &heads, 5, &GOLD));
            assert!(report.passed(), "{report}");
        }
    }

    /// Same value and every gradient, bit for bit, as the unfused graph (one
    /// row takes the matrix-vector paths).
    #[test]
    fn equals_the_primitive_ops() {
        for rows in [4, 1] {
            equals_the_primitive_ops_on(rows);
        }
    }

    fn equals_the_primitive_ops_on(rows: usize) {
        let (s, h, heads) = setup(rows);
        let (l1, g1) = run(&s, &|g| fused(g, h, &heads, 9, &GOLD));
        let (l2, g2) = run(&s, &|g| unfused(g, h, &heads, 9, &GOLD));
        assert_eq!(l1, l2);
        assert_eq!(g1, g2);
        if rows > 1 {
            // (With one token a head's ReLUs may all be off.)
            assert!(g1.iter().all(|g| g.iter().any(|&x| x != 0.0)));
        }
    }

    /// Ten heads of the tagger's shapes in f32 (`h` 7×200, MLP 20, 17
    /// classes, every third head linear): the same bits on 1, 2 and 3
    /// threads, and as the unfused graph.
    #[test]
    fn same_bits_on_any_number_of_threads_f32() {
        let (n, d, c) = (7, 200, 17);
        let mut s: ParamStore<f32> = ParamStore::new();
        let mut dense = |rows: usize, cols: usize, seed: f64| {
            let v = (0..rows * cols)
                .map(|i| ((i as f64 * 0.37 + seed).sin() * 0.3) as f32)
                .collect();
            s.from_values(&format!("p{seed}"), rows, cols, ParamKind::Dense, v)
        };
        let h = dense(n, d, 0.1);
        let heads: Vec<[Option<ParamId>; 4]> = (0..10)
            .map(|j| {
                let t = j as f64;
                let m = if j % 3 == 2 { 0 } else { 20 };
                let (v, bv) = if m > 0 {
                    (Some(dense(m, d, 1.1 + t)), Some(dense(1, m, 2.3 + t)))
                } else {
                    (None, None)
                };
                let w = dense(c, if m > 0 { m } else { d }, 3.7 + t);
                [v, bv, Some(w), Some(dense(1, c, 0.9 + t))]
            })
            .collect();
        let gold: Vec<usize> = (0..n).map(|i| i * 5 % c).collect();
        let pool = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
        };
        let one = pool(1).install(|| run(&s, &|g| fused(g, h, &heads, 4, &gold)));
        assert!(one == run(&s, &|g| unfused(g, h, &heads, 4, &gold)));
        for threads in [2, 3] {
            let many = pool(threads).install(|| run(&s, &|g| fused(g, h, &heads, 4, &gold)));
            assert!(one == many, "{threads} threads differ from one");
        }
        // Two groups forking on a training loop's spinner (crate::par).
        let spun = pool(2).install(|| {
            crate::par::Spinner::new().enter(|| run(&s, &|g| fused(g, h, &heads, 4, &gold)))
        });
        assert!(one == spun, "on a spinner differs from one thread");
    }

    /// The loss's own gradient scales every gradient (here the loss is used twice).
    #[test]
    fn gradient_check_inside_a_larger_graph() {
        let (s, h, heads) = setup(4);
        let report = gradcheck(&s, |g| {
            let l = fused(g, h, &heads, 3, &GOLD);
            let t = g.tanh(l);
            g.sum(&[t, l])
        });
        assert!(report.passed(), "{report}");
    }
}
