//! `lookup`: rows of an embedding table gathered into a matrix; only the rows
//! used receive gradient (DyNet's sparse lookup parameters).

use crate::params::{ParamId, ParamKind};
use crate::tape::{GradSink, Node, Op, Var};
use crate::Graph;
use cpu_kernels::{axpy, Real};

impl<T: Real> Graph<'_, T> {
    /// Row `ids[i]` of `table` as row `i` of the result.
    pub fn lookup(&mut self, table: ParamId, ids: &[usize]) -> Var {
        let p = self.params.get(table);
        assert_eq!(
            p.kind,
            ParamKind::Table,
            "lookup: {} is not an embedding table",
            p.name
        );
        if let Some(&bad) = ids.iter().find(|&&i| i >= p.rows) {
            panic!(
                "lookup: row {bad} outside table {} of {} rows",
                p.name, p.rows
            );
        }
        let (d, value) = (p.cols, &p.value);
        let ints = self.push_ints(ids.iter().copied());
        let out = self.push(Op::Lookup { table, ints }, ids.len(), d, 0, true);
        let (_, y, _) = self.io(out);
        for (dst, &i) in y.chunks_exact_mut(d.max(1)).zip(ids) {
            dst.copy_from_slice(&value[i * d..(i + 1) * d]);
        }
        out
    }
}

/// `d table[ids[i]] += dy[i]`, row by row.
pub(super) fn backward<T: Real>(
    node: &Node,
    dy: &[T],
    sink: &mut GradSink<'_, T>,
    table: ParamId,
    ids: &[usize],
) {
    let d = node.cols;
    for (r, &i) in ids.iter().enumerate() {
        axpy(T::ONE, &dy[r * d..(r + 1) * d], sink.table_row(table, i));
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::testing::check;
    use crate::{Grads, Graph, ParamKind, ParamStore, Tape};

    fn table() -> (ParamStore<f64>, crate::ParamId) {
        let mut s = ParamStore::new();
        let v = (0..15).map(|i| (i as f64 * 0.3).cos()).collect();
        let t = s.from_values("emb", 5, 3, ParamKind::Table, v);
        (s, t)
    }

    #[test]
    fn gradcheck_with_a_repeated_row() {
        let (s, t) = table();
        check(&s, |g| g.lookup(t, &[4, 1, 4, 0]));
    }

    #[test]
    fn only_used_rows_receive_gradient() {
        let (s, t) = table();
        let mut grads = Grads::new(&s);
        let mut tape = Tape::new();
        let mut g = Graph::new(&mut tape, &s);
        let y = g.lookup(t, &[3, 1, 3]);
        let l = g.sum(&[y]);
        g.backward(l, &mut grads);
        let gr = grads.get(t);
        assert_eq!(&gr[0..3], &[0.0; 3]);
        assert_eq!(&gr[3..6], &[1.0; 3]);
        assert_eq!(&gr[9..12], &[2.0; 3]);
        let rows: Vec<_> = grads
            .received()
            .map(|r| match r {
                crate::Received::Rows { rows, .. } => rows.to_vec(),
                crate::Received::Dense { .. } => panic!("a table reported as dense"),
            })
            .collect();
        assert_eq!(rows, vec![vec![3, 1]]);
    }

    #[test]
    fn nodes_the_loss_does_not_use_send_no_gradient() {
        let (s, t) = table();
        let mut grads = Grads::new(&s);
        let mut tape = Tape::new();
        let mut g = Graph::new(&mut tape, &s);
        let unused = g.lookup(t, &[0]);
        let _ = g.tanh(unused);
        let y = g.lookup(t, &[2]);
        let l = g.sum(&[y]);
        g.backward(l, &mut grads);
        let rows: Vec<Vec<u32>> = grads
            .received()
            .map(|r| match r {
                crate::Received::Rows { rows, .. } => rows.to_vec(),
                crate::Received::Dense { .. } => panic!("a table reported as dense"),
            })
            .collect();
        assert_eq!(rows, vec![vec![2]], "row 0 fed nothing the loss uses");
    }

    #[test]
    #[should_panic(expected = "the loss must be the result of an op")]
    fn a_parameter_is_not_a_loss() {
        let mut s = ParamStore::<f64>::new();
        let p = s.from_values("p", 1, 1, ParamKind::Dense, vec![1.0]);
        let mut grads = Grads::new(&s);
        let mut tape = Tape::new();
        let mut g = Graph::new(&mut tape, &s);
        let v = g.param(p);
        g.backward(v, &mut grads);
    }
}
