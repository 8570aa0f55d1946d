//! Shape checks shared by the generic API and the per-ISA [`crate::Kernels`]
//! tables: they run before any unsafe kernel and name the op and the shapes.

use crate::{Mat, MatMut};

/// `A (m×k) · B (k×n) -> C (m×n)`.
pub(crate) fn gemm<T>(a: &Mat<'_, T>, b: &Mat<'_, T>, c: &MatMut<'_, T>) {
    assert!(
        a.rows() == c.rows() && b.cols() == c.cols() && a.cols() == b.rows(),
        "gemm: shapes do not agree: A {}x{} * B {}x{} -> C {}x{}",
        a.rows(),
        a.cols(),
        b.rows(),
        b.cols(),
        c.rows(),
        c.cols()
    );
}

/// `A (m×n) · x[n] -> y[m]`.
pub(crate) fn gemv<T>(a: &Mat<'_, T>, x: &[T], y: &[T]) {
    assert!(
        x.len() == a.cols() && y.len() == a.rows(),
        "gemv: shapes do not agree: A {}x{} * x[{}] -> y[{}]",
        a.rows(),
        a.cols(),
        x.len(),
        y.len()
    );
}

/// `x[m] · y[n]ᵀ -> A (m×n)`.
pub(crate) fn ger<T>(x: &[T], y: &[T], a: &MatMut<'_, T>) {
    assert!(
        x.len() == a.rows() && y.len() == a.cols(),
        "ger: shapes do not agree: x[{}] * y[{}]ᵀ -> A {}x{}",
        x.len(),
        y.len(),
        a.rows(),
        a.cols()
    );
}

/// Two vectors of one length.
pub(crate) fn same_len(op: &str, x: usize, y: usize) {
    assert_eq!(x, y, "{op}: x[{x}] and y[{y}] differ");
}
