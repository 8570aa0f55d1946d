//! Packing for the GEMM driver: the strided operand view it reads, the
//! thread-local buffer it packs into, and the strip copies (`A` zero-padded
//! to MR rows, `B` to rows NR apart with the lanes past the last column left
//! for the kernels to mask).

use super::Microkernel;
use crate::Mat;
use std::cell::Cell;

/// A strided read-only operand: element `(i, j)` at `ptr + i·rs + j·cs`.
#[derive(Clone, Copy)]
pub(super) struct Operand {
    pub ptr: *const f32,
    pub rs: usize,
    pub cs: usize,
}

impl Operand {
    pub fn of(m: &Mat<'_, f32>) -> Self {
        // A stride along a dimension of length 1 is never used: call it 1 so
        // that a single row or column counts as contiguous.
        let rs = if m.rows() <= 1 { 1 } else { m.row_stride() };
        let cs = if m.cols() <= 1 { 1 } else { m.col_stride() };
        Operand {
            ptr: m.data().as_ptr(),
            rs,
            cs,
        }
    }
    pub fn t(self) -> Self {
        Operand {
            ptr: self.ptr,
            rs: self.cs,
            cs: self.rs,
        }
    }
    /// # Safety
    /// `(i, j)` must be inside the operand (or one past, with no read).
    #[inline(always)]
    pub unsafe fn at(self, i: usize, j: usize) -> *const f32 {
        self.ptr.add(i * self.rs + j * self.cs)
    }
}

thread_local! {
    /// Packing space, grown on demand and reused by every call on this thread.
    static PACK: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
}

/// Takes this thread's packing buffer with room for `len` floats past a
/// 64-byte aligned offset (returned); give it back with [`put_buffer`].
pub(super) fn take_buffer(len: usize) -> (Vec<f32>, usize) {
    let mut buf = PACK.with(Cell::take);
    if buf.len() < len + 16 {
        buf.resize(len + 16, 0.0);
    }
    let off = buf.as_ptr().align_offset(64).min(15);
    (buf, off)
}

pub(super) fn put_buffer(buf: Vec<f32>) {
    PACK.with(|cell| cell.set(buf));
}

/// `C = β·C` (zero when `β = 0`, without reading `C`).
///
/// # Safety
/// `c + i·rsc + j·csc` must be writable for `i < m`, `j < n`.
pub(super) unsafe fn scale_c(beta: f32, c: *mut f32, m: usize, n: usize, rsc: usize, csc: usize) {
    for i in 0..m {
        for j in 0..n {
            let p = c.add(i * rsc + j * csc);
            *p = if beta == 0.0 { 0.0 } else { beta * *p };
        }
    }
}

/// Packs `A[0..mr, 0..kc]` as one strip `mr_pad` wide (`dst[p·mr_pad + r]`),
/// zero-padded past `mr`.
///
/// # Safety
/// `a` must cover `mr × kc` and `dst` hold `mr_pad·kc` floats.
#[inline(always)]
pub(super) unsafe fn pack_a_strip(dst: *mut f32, a: Operand, mr: usize, kc: usize, mr_pad: usize) {
    if a.rs == 1 {
        for p in 0..kc {
            let src = a.at(0, p);
            for r in 0..mr_pad {
                *dst.add(p * mr_pad + r) = if r < mr { *src.add(r) } else { 0.0 };
            }
        }
    } else {
        for r in 0..mr_pad {
            if r < mr {
                let src = a.at(r, 0);
                for p in 0..kc {
                    *dst.add(p * mr_pad + r) = *src.add(p * a.cs);
                }
            } else {
                for p in 0..kc {
                    *dst.add(p * mr_pad + r) = 0.0;
                }
            }
        }
    }
}

/// Packs `B[0..kc, 0..nr]` as one strip with rows `K::NR` apart
/// (`dst[p·NR + j]`, `j < nr <= NR`). The lanes past `nr` are left as they
/// are: the kernels mask them or do not store them. A column-major `B` is
/// transposed by [`Microkernel::pack_bt`].
///
/// # Safety
/// `b` must cover `kc × nr` and `dst` hold `kc·NR` floats.
#[inline(always)]
pub(super) unsafe fn pack_b_strip<K: Microkernel>(dst: *mut f32, b: Operand, kc: usize, nr: usize) {
    if b.cs != 1 {
        // One stride is 1 (see `Mat`): columns are contiguous.
        return K::pack_bt(dst, b.ptr, b.cs, kc, nr);
    }
    for p in 0..kc {
        let (src, dst) = (b.at(p, 0), dst.add(p * K::NR));
        // A constant trip count for whole strips: the copy is a few vector moves.
        if nr == K::NR {
            std::ptr::copy_nonoverlapping(src, dst, K::NR);
        } else {
            for j in 0..nr {
                *dst.add(j) = *src.add(j);
            }
        }
    }
}

/// The portable [`Microkernel::pack_bt`]: `dst[p·NR + j] = b[j·ldb + p]`,
/// column by column (contiguous reads, strided writes that stay in L1).
///
/// # Safety
/// As for [`Microkernel::pack_bt`].
#[inline(always)]
pub(crate) unsafe fn pack_bt_columns<const NR: usize>(
    dst: *mut f32,
    b: *const f32,
    ldb: usize,
    kc: usize,
    nr: usize,
) {
    for j in 0..nr {
        let src = b.add(j * ldb);
        for p in 0..kc {
            *dst.add(p * NR + j) = *src.add(p);
        }
    }
}
