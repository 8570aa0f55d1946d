//! Borrowed matrix views: the shapes and strides every kernel checks first.

use std::fmt;

/// A read-only matrix view: `rows × cols` with a row stride and a column stride,
/// one of which is 1 (row-major or, after [`Mat::t`], column-major).
#[derive(Clone, Copy)]
pub struct Mat<'a, T> {
    data: &'a [T],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a, T> Mat<'a, T> {
    /// A row-major `rows × cols` matrix packed tightly in `data`.
    pub fn new(data: &'a [T], rows: usize, cols: usize) -> Self {
        Self::with_ld(data, rows, cols, cols)
    }

    /// A row-major `rows × cols` matrix whose rows start `ld` elements apart.
    pub fn with_ld(data: &'a [T], rows: usize, cols: usize, ld: usize) -> Self {
        assert!(ld >= cols, "Mat: leading dimension {ld} < cols {cols}");
        let need = if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * ld + cols
        };
        assert!(
            data.len() >= need,
            "Mat: {rows}x{cols} with ld {ld} needs {need} elements, slice has {}",
            data.len()
        );
        Mat {
            data,
            rows,
            cols,
            rs: ld,
            cs: 1,
        }
    }

    /// The transpose, without copying.
    pub fn t(self) -> Self {
        Mat {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// Distance between `(i, j)` and `(i + 1, j)`.
    pub fn row_stride(&self) -> usize {
        self.rs
    }
    /// Distance between `(i, j)` and `(i, j + 1)`.
    pub fn col_stride(&self) -> usize {
        self.cs
    }
    /// True when rows are contiguous (`col_stride == 1`).
    pub fn is_row_major(&self) -> bool {
        self.cs == 1
    }
    /// The backing slice (element `(i, j)` is at `i * row_stride + j * col_stride`).
    pub fn data(&self) -> &'a [T] {
        self.data
    }
}

impl<T: Copy> Mat<'_, T> {
    /// Element `(i, j)`; bounds-checked.
    pub fn at(&self, i: usize, j: usize) -> T {
        assert!(
            i < self.rows && j < self.cols,
            "Mat::at({i}, {j}) outside {}x{}",
            self.rows,
            self.cols
        );
        self.data[i * self.rs + j * self.cs]
    }
}

impl<T> fmt::Debug for Mat<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Mat({}x{}, rs {}, cs {})",
            self.rows, self.cols, self.rs, self.cs
        )
    }
}

/// A mutable row-major `rows × cols` matrix view with leading dimension `ld`.
pub struct MatMut<'a, T> {
    data: &'a mut [T],
    rows: usize,
    cols: usize,
    ld: usize,
}

impl<'a, T> MatMut<'a, T> {
    /// A row-major `rows × cols` matrix packed tightly in `data`.
    pub fn new(data: &'a mut [T], rows: usize, cols: usize) -> Self {
        Self::with_ld(data, rows, cols, cols)
    }

    /// A row-major `rows × cols` matrix whose rows start `ld` elements apart.
    pub fn with_ld(data: &'a mut [T], rows: usize, cols: usize, ld: usize) -> Self {
        assert!(ld >= cols, "MatMut: leading dimension {ld} < cols {cols}");
        let need = if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * ld + cols
        };
        assert!(
            data.len() >= need,
            "MatMut: {rows}x{cols} with ld {ld} needs {need} elements, slice has {}",
            data.len()
        );
        MatMut {
            data,
            rows,
            cols,
            ld,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }
    pub fn cols(&self) -> usize {
        self.cols
    }
    pub fn ld(&self) -> usize {
        self.ld
    }
    /// The backing slice (element `(i, j)` is at `i * ld + j`).
    pub fn data(&mut self) -> &mut [T] {
        self.data
    }
    /// A shorter-lived view of the same matrix.
    pub fn rb(&mut self) -> MatMut<'_, T> {
        MatMut {
            data: self.data,
            rows: self.rows,
            cols: self.cols,
            ld: self.ld,
        }
    }
    /// A read-only view of the same matrix.
    pub fn as_mat(&self) -> Mat<'_, T> {
        Mat::with_ld(self.data, self.rows, self.cols, self.ld)
    }
}

impl<T> fmt::Debug for MatMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MatMut({}x{}, ld {})", self.rows, self.cols, self.ld)
    }
}
