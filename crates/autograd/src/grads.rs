//! Gradients of a [`ParamStore`]: dense buffers, plus the set of embedding rows
//! that were looked up, so clipping and the update touch only those rows.

use crate::params::{ParamId, ParamKind, ParamStore};
use cpu_kernels::Real;

/// One gradient buffer per parameter, the same shape as its value.
#[derive(Clone, Debug)]
pub struct Grads<T> {
    bufs: Vec<Vec<T>>,
    cols: Vec<usize>,
    kind: Vec<ParamKind>,
    /// Dense parameter received gradient since the last [`Grads::zero`].
    touched: Vec<bool>,
    /// Rows of a table that received gradient, in first-touched order.
    rows: Vec<Vec<u32>>,
    row_seen: Vec<Vec<bool>>,
    // The two fields below are for speed only (a first reading can skip
    // them): they choose when and on which core work is done, never what
    // it computes.
    /// Squared norm of a dense gradient taken by [`Grads::note_squared_norm`]
    /// while it was in cache; any later write to the gradient forgets it.
    known: Vec<Option<f64>>,
    /// The gradient was last written on the helper thread of a two-thread
    /// step ([`crate::par`]), so its cache lines are on the helper's core:
    /// the update of that parameter goes to the helper too.
    on_helper: Vec<bool>,
}

impl<T: Real> Grads<T> {
    /// Zero gradients shaped like `params`.
    pub fn new(params: &ParamStore<T>) -> Self {
        let mut g = Grads {
            bufs: Vec::new(),
            cols: Vec::new(),
            kind: Vec::new(),
            touched: Vec::new(),
            rows: Vec::new(),
            row_seen: Vec::new(),
            known: Vec::new(),
            on_helper: Vec::new(),
        };
        for (_, p) in params.iter() {
            g.bufs.push(vec![T::ZERO; p.value.len()]);
            g.cols.push(p.cols);
            g.kind.push(p.kind);
            g.touched.push(false);
            g.rows.push(Vec::new());
            let seen = if p.kind == ParamKind::Table {
                p.rows
            } else {
                0
            };
            g.row_seen.push(vec![false; seen]);
            g.known.push(None);
            g.on_helper.push(false);
        }
        g
    }

    /// The whole gradient buffer of a dense parameter, marked as received.
    pub fn dense_mut(&mut self, id: ParamId) -> &mut [T] {
        let i = id.0 as usize;
        debug_assert_eq!(self.kind[i], ParamKind::Dense, "dense_mut on a table");
        self.touched[i] = true;
        self.known[i] = None;
        &mut self.bufs[i]
    }

    /// Takes the squared norm of dense parameter `id`'s gradient now: an op
    /// that has just finished writing it calls this while the gradient is in
    /// cache, which spares [`Grads::squared_norm`] (clipping) a pass over
    /// memory long evicted. A later write to the gradient forgets the value.
    pub fn note_squared_norm(&mut self, id: ParamId) {
        let i = id.0 as usize;
        if self.touched[i] {
            self.known[i] = Some(cpu_kernels::dot(&self.bufs[i], &self.bufs[i]).to_f64());
        }
    }

    /// The gradient buffers of several distinct dense parameters at once, in
    /// the order of `ids`, each marked as received: an op that runs parts of
    /// its backward pass on different threads hands each part its own buffers.
    /// Panics if an id repeats.
    pub(crate) fn dense_disjoint_mut(&mut self, ids: &[ParamId]) -> Vec<&mut [T]> {
        for &id in ids {
            self.dense_mut(id);
        }
        let mut out: Vec<Option<&mut [T]>> = ids.iter().map(|_| None).collect();
        for (i, buf) in self.bufs.iter_mut().enumerate() {
            let mut at = (0..ids.len()).filter(|&k| ids[k].0 as usize == i);
            if let Some(k) = at.next() {
                assert!(
                    at.next().is_none(),
                    "dense_disjoint_mut: parameter {i} repeats"
                );
                out[k] = Some(buf);
            }
        }
        out.into_iter().map(|b| b.expect("marked above")).collect()
    }

    /// Records the squared norm of dense parameter `id`'s gradient, taken by
    /// the caller from the buffer [`Grads::dense_disjoint_mut`] handed out (the
    /// threaded counterpart of [`Grads::note_squared_norm`]).
    pub(crate) fn set_squared_norm(&mut self, id: ParamId, squared: f64) {
        let i = id.0 as usize;
        if self.touched[i] {
            self.known[i] = Some(squared);
        }
    }

    /// Notes on which thread of a two-thread step dense parameter `id`'s
    /// gradient was written: [`Grads::apply`] updates it there. A hint for
    /// speed only: the update is the same bits on either thread.
    pub(crate) fn set_on_helper(&mut self, id: ParamId, on_helper: bool) {
        self.on_helper[id.0 as usize] = on_helper;
    }

    /// The gradient of row `r` of a table, marked as received.
    pub fn row_mut(&mut self, id: ParamId, r: usize) -> &mut [T] {
        let i = id.0 as usize;
        if !self.row_seen[i][r] {
            self.row_seen[i][r] = true;
            self.rows[i].push(r as u32);
        }
        let c = self.cols[i];
        &mut self.bufs[i][r * c..(r + 1) * c]
    }

    /// The full gradient buffer (zeros where nothing was received).
    pub fn get(&self, id: ParamId) -> &[T] {
        &self.bufs[id.0 as usize]
    }

    /// Parameters that received gradient; for tables, with the rows that did.
    pub fn received(&self) -> impl Iterator<Item = Received<'_, T>> {
        (0..self.bufs.len()).filter_map(move |i| {
            let id = ParamId(i as u32);
            match self.kind[i] {
                ParamKind::Dense if self.touched[i] => Some(Received::Dense {
                    id,
                    grad: &self.bufs[i],
                }),
                ParamKind::Table if !self.rows[i].is_empty() => Some(Received::Rows {
                    id,
                    rows: &self.rows[i],
                    cols: self.cols[i],
                    grad: &self.bufs[i],
                }),
                _ => None,
            }
        })
    }

    /// Squared global L2 norm over everything received, in f64.
    pub fn squared_norm(&self) -> f64 {
        let sq = |s: &[T]| cpu_kernels::dot(s, s).to_f64();
        self.received()
            .map(|r| match r {
                Received::Dense { id, grad } => {
                    self.known[id.0 as usize].unwrap_or_else(|| sq(grad))
                }
                Received::Rows {
                    rows, cols, grad, ..
                } => rows
                    .iter()
                    .map(|&r| sq(&grad[r as usize * cols..(r as usize + 1) * cols]))
                    .sum(),
            })
            .sum()
    }

    /// Multiplies everything received by `alpha`.
    pub fn scale(&mut self, alpha: T) {
        for i in 0..self.bufs.len() {
            self.known[i] = None;
            match self.kind[i] {
                ParamKind::Dense if self.touched[i] => cpu_kernels::scale(alpha, &mut self.bufs[i]),
                ParamKind::Table => {
                    let c = self.cols[i];
                    for &r in &self.rows[i] {
                        cpu_kernels::scale(
                            alpha,
                            &mut self.bufs[i][r as usize * c..(r as usize + 1) * c],
                        );
                    }
                }
                _ => {}
            }
        }
    }

    /// `value += alpha · gradient` for every parameter that received one,
    /// then clears what was received, each gradient while it is in cache.
    /// When the calling thread forks on a spinner ([`crate::par`]) the dense
    /// parameters are updated in two halves of equal size at the same time.
    pub(crate) fn apply(&mut self, params: &mut ParamStore<T>, alpha: T) {
        let mut dense: Vec<(&mut [T], &mut [T], bool)> = params
            .values_mut()
            .zip(&mut self.bufs)
            .zip(&mut self.touched)
            .zip(&mut self.known)
            .zip(&self.on_helper)
            .filter_map(|((((value, grad), touched), known), &helper)| {
                std::mem::take(touched).then(|| {
                    *known = None;
                    (value, grad.as_mut_slice(), helper)
                })
            })
            .collect();
        let update = |part: &mut [(&mut [T], &mut [T])]| {
            for (value, grad) in part {
                cpu_kernels::axpy(alpha, grad, value);
                grad.fill(T::ZERO);
            }
        };
        if crate::par::spinning() && !dense.is_empty() {
            // Each gradient is updated on the thread that wrote it, as far
            // as the halves stay equal: the caller's come first, the cut is
            // at half the elements, the parameter there split in two. The
            // update is elementwise (every kernel's `axpy` is one
            // fused or one plain multiply-add per element, tail included), so
            // which thread updates which element changes no bit.
            dense.sort_by_key(|&(_, _, helper)| helper);
            let total: usize = dense.iter().map(|(v, _, _)| v.len()).sum();
            let mut left = total / 2;
            let (mut first, mut second) = (Vec::new(), Vec::new());
            for (value, grad, _) in dense.drain(..) {
                if left >= value.len() {
                    left -= value.len();
                    first.push((value, grad));
                } else if left == 0 {
                    second.push((value, grad));
                } else {
                    let (va, vb) = value.split_at_mut(left);
                    let (ga, gb) = grad.split_at_mut(left);
                    left = 0;
                    first.push((va, ga));
                    second.push((vb, gb));
                }
            }
            crate::par::join(|| update(&mut first), || update(&mut second));
        } else {
            let mut all: Vec<(&mut [T], &mut [T])> =
                dense.drain(..).map(|(v, g, _)| (v, g)).collect();
            update(&mut all);
        }
        drop(dense);
        // Table rows (a few per sentence), after the dense parameters: a row
        // of a parameter also updated densely reads zeros.
        for i in 0..self.bufs.len() {
            let c = self.cols[i];
            let value = &mut params.get_mut(ParamId(i as u32)).value;
            for &r in &self.rows[i] {
                let at = r as usize * c..(r as usize + 1) * c;
                cpu_kernels::axpy(alpha, &self.bufs[i][at.clone()], &mut value[at.clone()]);
                self.bufs[i][at].fill(T::ZERO);
                self.row_seen[i][r as usize] = false;
            }
            self.rows[i].clear();
        }
    }

    /// Clears everything received (only what was touched is written).
    pub fn zero(&mut self) {
        for i in 0..self.bufs.len() {
            if self.touched[i] {
                self.bufs[i].fill(T::ZERO);
                self.touched[i] = false;
                self.known[i] = None;
            }
            let c = self.cols[i];
            for &r in &self.rows[i] {
                self.bufs[i][r as usize * c..(r as usize + 1) * c].fill(T::ZERO);
                self.row_seen[i][r as usize] = false;
            }
            self.rows[i].clear();
        }
    }
}

/// A parameter's received gradient, as [`Grads::received`] lists it.
pub enum Received<'a, T> {
    Dense {
        id: ParamId,
        grad: &'a [T],
    },
    Rows {
        id: ParamId,
        rows: &'a [u32],
        cols: usize,
        grad: &'a [T],
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ParamKind;

    fn store() -> (ParamStore<f64>, ParamId, ParamId) {
        let mut s = ParamStore::new();
        let a = s.from_values("a", 1, 3, ParamKind::Dense, vec![0.0; 3]);
        let t = s.from_values("t", 2, 2, ParamKind::Table, vec![0.0; 4]);
        (s, a, t)
    }

    #[test]
    fn a_noted_norm_is_used_until_the_gradient_changes() {
        let (s, a, t) = store();
        let mut g = Grads::new(&s);
        g.dense_mut(a).copy_from_slice(&[1.0, 2.0, 2.0]);
        g.row_mut(t, 1).copy_from_slice(&[3.0, 4.0]);
        g.note_squared_norm(a);
        assert_eq!(g.squared_norm(), 9.0 + 25.0);
        // A later write forgets the noted value: the norm is recomputed.
        g.dense_mut(a)[0] = 0.0;
        assert_eq!(g.squared_norm(), 8.0 + 25.0);
        g.note_squared_norm(a);
        g.scale(2.0);
        assert_eq!(g.squared_norm(), 4.0 * (8.0 + 25.0));
        g.zero();
        assert_eq!(g.squared_norm(), 0.0);
        // Noting an untouched gradient records nothing.
        g.note_squared_norm(a);
        g.dense_mut(a)[1] = 1.0;
        assert_eq!(g.squared_norm(), 1.0);
    }

    #[test]
    fn disjoint_buffers_are_marked_received_and_a_repeat_is_refused() {
        let mut s = ParamStore::<f64>::new();
        let a = s.from_values("a", 1, 2, ParamKind::Dense, vec![0.0; 2]);
        let b = s.from_values("b", 1, 3, ParamKind::Dense, vec![0.0; 3]);
        let mut g = Grads::new(&s);
        let bufs = g.dense_disjoint_mut(&[b, a]);
        assert_eq!(bufs.iter().map(|b| b.len()).collect::<Vec<_>>(), vec![3, 2]);
        assert_eq!(g.received().count(), 2);
        let repeat = std::panic::catch_unwind(move || {
            let mut g = Grads::new(&s);
            g.dense_disjoint_mut(&[a, b, a]).len()
        });
        assert!(repeat.is_err());
    }
}
