//! The tape: an arena that records one forward computation and runs reverse mode.
//!
//! Every operation appends a [`Node`] and reserves its output (and whatever it
//! saves for the backward pass, its *aux*) at the end of one flat buffer of
//! values. A node's inputs were recorded before it, so they always sit at lower
//! offsets: the backward pass walks the nodes in reverse, and for node `n` it
//! splits the gradient buffer at `n`'s offset, which hands out `n`'s output
//! gradient (read) and its inputs' gradients (accumulated with `+=`) without
//! any copying or `unsafe`. Parameters are not copied onto the tape: a
//! parameter leaf reads its value from the [`ParamStore`] and its gradient goes
//! to [`Grads`]. [`Tape::clear`] keeps every buffer's capacity, so a tape reused
//! across sentences stops allocating after the first few.
//!
//! `docs/autodiff.md` walks through a small example step by step.

use crate::grads::Grads;
use crate::lstm::LstmParams;
use crate::ops;
use crate::params::{ParamId, ParamKind, ParamStore};
use cpu_kernels::Real;

/// A value recorded on the tape (an index into its nodes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Var(pub(crate) u32);

impl Var {
    pub(crate) fn idx(self) -> usize {
        self.0 as usize
    }
}

/// What produced a node, with what its backward pass needs to find again.
/// Integer data (indices, labels, lengths) lives in [`Tape`]'s `ints` arena at
/// the offset the variant names.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    Input,
    Param(ParamId),
    Linear {
        x: Var,
        w: Var,
        b: Option<Var>,
    },
    Add(Var, Var),
    Sub(Var, Var),
    Mul(Var, Var),
    Sigmoid(Var),
    Tanh(Var),
    Relu(Var),
    Concat {
        ints: usize,
        n: usize,
    },
    SliceCols {
        x: Var,
        start: usize,
    },
    SliceRows {
        x: Var,
        start: usize,
    },
    Lookup {
        table: ParamId,
        ints: usize,
    },
    GatherRows {
        x: Var,
        ints: usize,
    },
    Noise(Var),
    Dropout(Var),
    SoftmaxNll {
        x: Var,
        ints: usize,
    },
    Sum {
        ints: usize,
        n: usize,
    },
    /// The fused heads loss; `ints` holds 4 variable indices per head, then the labels.
    Heads {
        h: Var,
        ints: usize,
        k: usize,
    },
    /// A fused LSTM direction: `ints` holds `active` (per step), then `xrow`
    /// and `orow` (per packed row); `rows` packed rows in all.
    Lstm {
        x: Var,
        p: LstmParams,
        ints: usize,
        steps: usize,
        rows: usize,
    },
    /// Both directions of a BiLSTM layer over the same input, run at the same
    /// time: `ints` holds `active` (per step), then `xrow` and `orow` of
    /// `fwd`, then those of `bwd` (per packed row); `rows` packed rows each.
    BiLstm {
        x: Var,
        fwd: LstmParams,
        bwd: LstmParams,
        ints: usize,
        steps: usize,
        rows: usize,
    },
}

/// One recorded value: its op, shape and where its data is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    pub op: Op,
    pub rows: usize,
    pub cols: usize,
    /// Offset of the value (then the aux) in the value buffer.
    pub off: usize,
    pub aux_len: usize,
    /// Some input depends on a parameter: the backward pass must visit it.
    pub needs_grad: bool,
}

impl Node {
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }
}

/// The reusable storage of a computation graph.
#[derive(Debug)]
pub struct Tape<T> {
    pub(crate) nodes: Vec<Node>,
    pub(crate) vals: Vec<T>,
    pub(crate) grads: Vec<T>,
    pub(crate) ints: Vec<usize>,
    /// Temporary space of the ops, one buffer per part an op runs in parallel.
    pub(crate) scratch: Vec<Vec<T>>,
    pub(crate) reached: Vec<bool>,
    /// Length of the part of `vals` the current graph uses.
    pub(crate) used: usize,
}

impl<T: Real> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Real> Tape<T> {
    pub fn new() -> Self {
        Tape {
            nodes: Vec::new(),
            vals: Vec::new(),
            grads: Vec::new(),
            ints: Vec::new(),
            scratch: Vec::new(),
            reached: Vec::new(),
            used: 0,
        }
    }

    /// Forgets every node; keeps the memory.
    pub fn clear(&mut self) {
        self.nodes.clear();
        // The value buffer keeps its length: ops that overwrite all they
        // record reuse it without zeroing (see `Graph::push_with`).
        self.used = 0;
        self.ints.clear();
    }

    /// Number of nodes recorded.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// Read access to recorded values and parameters.
#[derive(Clone, Copy)]
pub(crate) struct Vals<'a, T> {
    pub vals: &'a [T],
    pub nodes: &'a [Node],
    pub params: &'a ParamStore<T>,
    pub ints: &'a [usize],
}

impl<'a, T: Real> Vals<'a, T> {
    pub fn node(&self, v: Var) -> &'a Node {
        &self.nodes[v.idx()]
    }
    /// The value of `v`, row-major.
    pub fn get(&self, v: Var) -> &'a [T] {
        let n = &self.nodes[v.idx()];
        match n.op {
            Op::Param(p) => &self.params.get(p).value,
            _ => &self.vals[n.off..n.off + n.len()],
        }
    }
    /// What `v` saved for its backward pass.
    pub fn aux(&self, v: Var) -> &'a [T] {
        let n = &self.nodes[v.idx()];
        &self.vals[n.off + n.len()..n.off + n.len() + n.aux_len]
    }
    pub fn ints(&self, off: usize, n: usize) -> &'a [usize] {
        &self.ints[off..off + n]
    }
}

/// What [`Graph::io_scratch`] hands an op being recorded: its inputs' values
/// (read), its own value and aux (written) and the scratch buffers.
pub(crate) type OpIo<'a, T> = (Vals<'a, T>, &'a mut [T], &'a mut [T], &'a mut [Vec<T>]);

/// Where a backward pass accumulates its inputs' gradients.
pub(crate) struct GradSink<'a, T> {
    /// Gradients of the nodes recorded before the one being processed.
    pub before: &'a mut [T],
    pub nodes: &'a [Node],
    pub grads: &'a mut Grads<T>,
    /// Nodes that some gradient has flowed into; the others are skipped.
    pub reached: &'a mut [bool],
}

impl<T: Real> GradSink<'_, T> {
    /// The gradient buffer of `v`, or `None` when nothing upstream needs it.
    pub fn of(&mut self, v: Var) -> Option<&mut [T]> {
        let n = &self.nodes[v.idx()];
        if !n.needs_grad {
            return None;
        }
        self.reached[v.idx()] = true;
        match n.op {
            Op::Param(p) => Some(self.grads.dense_mut(p)),
            _ => Some(&mut self.before[n.off..n.off + n.len()]),
        }
    }
    /// Lets [`Grads`] take the squared norm of `v`'s gradient while it is in
    /// cache, when `v` is a parameter (see [`Grads::note_squared_norm`]).
    pub fn note_norm(&mut self, v: Var) {
        if let Op::Param(p) = self.nodes[v.idx()].op {
            self.grads.note_squared_norm(p);
        }
    }

    /// [`GradSink::of`] for `x` together with the gradient buffers of the
    /// dense parameters `ids` (distinct, and none of them `x`), borrowed at
    /// once so that different threads can fill them.
    pub fn of_with_params(&mut self, x: Var, ids: &[ParamId]) -> (Option<&mut [T]>, Vec<&mut [T]>) {
        let n = &self.nodes[x.idx()];
        if !n.needs_grad {
            return (None, self.grads.dense_disjoint_mut(ids));
        }
        self.reached[x.idx()] = true;
        match n.op {
            Op::Param(p) => {
                let all: Vec<ParamId> = ids.iter().copied().chain([p]).collect();
                let mut bufs = self.grads.dense_disjoint_mut(&all);
                let dx = bufs.pop();
                (dx, bufs)
            }
            _ => (
                Some(&mut self.before[n.off..n.off + n.len()]),
                self.grads.dense_disjoint_mut(ids),
            ),
        }
    }

    /// Notes that parameter `id`'s gradient was written on the helper thread
    /// of [`crate::par::join`] (its second closure) or not, so that the update
    /// runs there ([`Grads::apply`]).
    pub fn set_on_helper(&mut self, id: ParamId, on_helper: bool) {
        self.grads.set_on_helper(id, on_helper);
    }

    /// Records the squared norm of parameter `id`'s gradient, taken by an op
    /// from a buffer [`GradSink::of_with_params`] handed out.
    pub fn set_squared_norm(&mut self, id: ParamId, squared: f64) {
        self.grads.set_squared_norm(id, squared);
    }

    /// Row `r` of table `p`'s gradient.
    pub fn table_row(&mut self, p: ParamId, r: usize) -> &mut [T] {
        self.grads.row_mut(p, r)
    }
}

/// A computation being recorded: a tape plus the parameters it reads.
///
/// Ops are methods (one file per op under `ops/`); each checks the shapes of
/// its inputs when it is recorded and panics with them on a mismatch.
pub struct Graph<'a, T: Real> {
    pub(crate) tape: &'a mut Tape<T>,
    pub(crate) params: &'a ParamStore<T>,
}

impl<'a, T: Real> Graph<'a, T> {
    /// Starts a new computation on `tape` (which is cleared).
    pub fn new(tape: &'a mut Tape<T>, params: &'a ParamStore<T>) -> Self {
        tape.clear();
        Graph { tape, params }
    }

    pub fn params(&self) -> &'a ParamStore<T> {
        self.params
    }

    /// A constant `rows x cols` input (no gradient).
    pub fn input(&mut self, rows: usize, cols: usize, data: &[T]) -> Var {
        assert_eq!(
            data.len(),
            rows * cols,
            "input: {} values for {rows}x{cols}",
            data.len()
        );
        let v = self.push(Op::Input, rows, cols, 0, false);
        let off = self.tape.nodes[v.idx()].off;
        self.tape.vals[off..off + data.len()].copy_from_slice(data);
        v
    }

    /// A dense parameter as a leaf (its value is read in place, not copied).
    pub fn param(&mut self, id: ParamId) -> Var {
        let p = self.params.get(id);
        assert_eq!(
            p.kind,
            ParamKind::Dense,
            "param: {} is an embedding table; use lookup",
            p.name
        );
        self.push(Op::Param(id), p.rows, p.cols, 0, true)
    }

    pub fn shape(&self, v: Var) -> (usize, usize) {
        let n = &self.tape.nodes[v.idx()];
        (n.rows, n.cols)
    }

    /// The value of `v`, row-major.
    pub fn value(&self, v: Var) -> &[T] {
        self.vals().get(v)
    }

    /// The value of a `1 x 1` node.
    pub fn scalar(&self, v: Var) -> T {
        assert_eq!(self.shape(v), (1, 1), "scalar: node is {:?}", self.shape(v));
        self.value(v)[0]
    }

    pub(crate) fn vals(&self) -> Vals<'_, T> {
        Vals {
            vals: &self.tape.vals,
            nodes: &self.tape.nodes,
            params: self.params,
            ints: &self.tape.ints,
        }
    }

    pub(crate) fn needs_grad(&self, v: Var) -> bool {
        self.tape.nodes[v.idx()].needs_grad
    }

    /// Appends a node with a zeroed value and `aux_len` zeroed saved scalars.
    pub(crate) fn push(
        &mut self,
        op: Op,
        rows: usize,
        cols: usize,
        aux_len: usize,
        needs_grad: bool,
    ) -> Var {
        self.push_with(op, rows, cols, aux_len, needs_grad, true)
    }

    /// [`Graph::push`]; with `zero == false` the value and aux keep whatever an
    /// earlier graph left there, for ops that overwrite every element they read
    /// (the fused LSTM, whose saved activations are most of the tape).
    pub(crate) fn push_with(
        &mut self,
        op: Op,
        rows: usize,
        cols: usize,
        aux_len: usize,
        needs_grad: bool,
        zero: bool,
    ) -> Var {
        let off = self.tape.used;
        let len = if matches!(op, Op::Param(_)) {
            0
        } else {
            rows * cols
        };
        let end = off + len + aux_len;
        if self.tape.vals.len() < end {
            self.tape.vals.resize(end, T::ZERO);
        }
        if zero {
            self.tape.vals[off..end].fill(T::ZERO);
        }
        self.tape.used = end;
        self.tape.nodes.push(Node {
            op,
            rows,
            cols,
            off,
            aux_len,
            needs_grad,
        });
        Var(self.tape.nodes.len() as u32 - 1)
    }

    /// Stores integers for a node; returns their offset.
    pub(crate) fn push_ints(&mut self, xs: impl IntoIterator<Item = usize>) -> usize {
        let off = self.tape.ints.len();
        self.tape.ints.extend(xs);
        off
    }

    /// The inputs (read) and the output value and aux (written) of node `out`,
    /// which must be the last one recorded.
    pub(crate) fn io(&mut self, out: Var) -> (Vals<'_, T>, &mut [T], &mut [T]) {
        let (vals, value, aux, _) = self.io_scratch(out, 0);
        (vals, value, aux)
    }

    /// [`Graph::io`] plus the tape's scratch buffers, for ops that need
    /// temporary space while recording (at least `parts` buffers, one per
    /// part the op runs in parallel).
    pub(crate) fn io_scratch(&mut self, out: Var, parts: usize) -> OpIo<'_, T> {
        let n = self.tape.nodes[out.idx()];
        let (before, after) = self.tape.vals.split_at_mut(n.off);
        let (value, aux) = after.split_at_mut(n.len());
        let vals = Vals {
            vals: before,
            nodes: &self.tape.nodes,
            params: self.params,
            ints: &self.tape.ints,
        };
        let scratch = &mut self.tape.scratch;
        if scratch.len() < parts {
            scratch.resize_with(parts, Vec::new);
        }
        (vals, value, &mut aux[..n.aux_len], &mut scratch[..])
    }

    /// Runs reverse mode from the `1 x 1` node `loss`, accumulating parameter
    /// gradients into `grads` (`+=`: call [`Grads::zero`] between updates).
    /// Returns the loss value.
    pub fn backward(self, loss: Var, grads: &mut Grads<T>) -> T {
        let l = self.scalar(loss);
        let Tape {
            nodes,
            vals,
            grads: g,
            ints,
            scratch,
            reached,
            ..
        } = &mut *self.tape;
        assert!(
            !matches!(nodes[loss.idx()].op, Op::Param(_) | Op::Input),
            "backward: the loss must be the result of an op, not a parameter or an input"
        );
        // Only the gradients of nodes that need one are ever read or written:
        // zero those, not the whole buffer (the aux parts are large and unused).
        if g.len() < vals.len() {
            g.resize(vals.len(), T::ZERO);
        }
        for n in nodes
            .iter()
            .filter(|n| n.needs_grad && !matches!(n.op, Op::Param(_)))
        {
            g[n.off..n.off + n.len()].fill(T::ZERO);
        }
        g[nodes[loss.idx()].off] = T::ONE;
        reached.clear();
        reached.resize(nodes.len(), false);
        reached[loss.idx()] = true;
        for i in (0..=loss.idx()).rev() {
            let node = &nodes[i];
            // Nodes the loss does not depend on get no backward pass (and so
            // mark no parameter as having received gradient).
            if !reached[i] || !node.needs_grad || matches!(node.op, Op::Input | Op::Param(_)) {
                continue;
            }
            let (before, after) = g.split_at_mut(node.off);
            let dy = &after[..node.len()];
            let vals = Vals {
                vals,
                nodes,
                params: self.params,
                ints,
            };
            let mut sink = GradSink {
                before,
                nodes,
                grads,
                reached,
            };
            ops::backward(Var(i as u32), &vals, dy, &mut sink, scratch);
        }
        l
    }
}
