//! The BLIS-style GEMM driver shared by every instruction set: blocking
//! (nc → kc → mc → nr → mr loops), packing into a thread-local buffer, and the
//! choice between `C = AB` and `Cᵀ = BᵀAᵀ` that keeps packing cheap.
//!
//! Each instruction set supplies a [`Microkernel`] that computes one MR×NR tile
//! of `C` from a strip of `A` (MR rows) and a strip of `B` (NR columns) with the
//! accumulators in registers (and smaller tiles for the ragged edges). The
//! strip of `B` is read as contiguous rows of NR floats (vector loads), the
//! strip of `A` one float at a time (broadcasts), so `A` is read in place in
//! either layout, while `B` must have unit column stride. Packing then only
//! happens where it pays at the tagger's shapes:
//! - `B` is packed when it is column-major, or when `m` is large enough that the
//!   copy is amortised over many row strips; its edge strip (n % NR) always is,
//!   zero-padded so the kernel may load whole vectors.
//! - `A` is never packed except for its edge strip (m % MR): transposing a
//!   row-major `A` into MR-wide strips cost more than it saved (measured at
//!   300×100·100×20 and 160×100·100×300), and the MR rows it reads stay in L1.
//! - When `B` is column-major the problem is transposed if that makes the packed
//!   operand smaller, so `Y = X·Wᵀ` packs `Xᵀ` (k×T) instead of `Wᵀ` (k×300).

use crate::dispatch::GemvFn;
use crate::{Mat, MatMut};
use std::cell::Cell;

/// One tile job: `C[mr×nr] = α·Σₚ A(r,p)·B(p,c) + β·C`, where `A(r, p)` is at
/// `a + r·rsa + p·csa` for every `r < MR` (rows past `mr` are zero or ignored),
/// `B(p, c)` is at `b + p·rsb + c` for every `c < NR`, and `C(r, c)` is at
/// `c + r·rsc + c·csc` for `r < mr`, `c < nr` only. `β = 0` never reads `C`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tile {
    pub k: usize,
    pub alpha: f32,
    pub beta: f32,
    pub a: *const f32,
    pub rsa: usize,
    pub csa: usize,
    pub b: *const f32,
    pub rsb: usize,
    pub c: *mut f32,
    pub rsc: usize,
    pub csc: usize,
    pub mr: usize,
    pub nr: usize,
}

/// A register-blocked MR×NR kernel and the cache blocking that suits it.
pub(crate) trait Microkernel {
    const MR: usize;
    const NR: usize;
    /// Depth of a packed block (the B strip `KC×NR` should sit in L1).
    const KC: usize = 256;
    /// Rows of a packed `A` block (`MC×KC` should sit in L2); a multiple of MR.
    const MC: usize;
    /// Columns of a packed `B` block; a multiple of NR.
    const NC: usize = 1024;

    /// Computes one tile.
    ///
    /// # Safety
    /// Every address described on [`Tile`] must be valid (readable for `A`
    /// and `B`, writable for the `mr×nr` part of `C`), and the CPU must have
    /// the kernel's instruction set.
    unsafe fn tile(t: &Tile);
}

/// A strided read-only operand: element `(i, j)` at `ptr + i·rs + j·cs`.
#[derive(Clone, Copy)]
struct Operand {
    ptr: *const f32,
    rs: usize,
    cs: usize,
}

impl Operand {
    fn of(m: &Mat<'_, f32>) -> Self {
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
    fn t(self) -> Self {
        Operand {
            ptr: self.ptr,
            rs: self.cs,
            cs: self.rs,
        }
    }
    /// # Safety
    /// `(i, j)` must be inside the operand (or one past, with no read).
    #[inline(always)]
    unsafe fn at(self, i: usize, j: usize) -> *const f32 {
        self.ptr.add(i * self.rs + j * self.cs)
    }
}

/// GEMM with one column or one row is a GEMV (`m == 1` as `Cᵀ = Bᵀaᵀ`); runs
/// it with `gemv` when the vectors involved are contiguous and says whether
/// it did.
///
/// # Safety
/// Shapes must agree (checked by the caller) and `gemv` must be callable.
pub(crate) unsafe fn via_gemv(
    gemv: GemvFn,
    alpha: f32,
    a: Mat<'_, f32>,
    b: Mat<'_, f32>,
    beta: f32,
    mut c: MatMut<'_, f32>,
) -> bool {
    let (m, n, k) = (c.rows(), c.cols(), a.cols());
    if n == 1 && (b.row_stride() == 1 || k <= 1) && (c.ld() == 1 || m <= 1) {
        gemv(alpha, a, &b.data()[..k], beta, &mut c.data()[..m]);
        return true;
    }
    if m == 1 && (a.col_stride() == 1 || k <= 1) {
        gemv(alpha, b.t(), &a.data()[..k], beta, &mut c.data()[..n]);
        return true;
    }
    false
}

/// `y = β·y` (zero when `β = 0`): a GEMV with no columns.
pub(crate) fn gemv_no_columns(beta: f32, y: &mut [f32]) {
    for y in y {
        *y = if beta == 0.0 { 0.0 } else { beta * *y };
    }
}

/// Row-major `B` is packed (a plain copy) only when at least this many row
/// strips share each copy; below that it is read in place.
const PACK_B_MIN_M: usize = 4;

thread_local! {
    /// Packing space, grown on demand and reused by every call on this thread.
    static PACK: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
}

/// Takes this thread's packing buffer with room for `len` floats past a
/// 64-byte aligned offset (returned); give it back with [`put_buffer`].
fn take_buffer(len: usize) -> (Vec<f32>, usize) {
    let mut buf = PACK.with(Cell::take);
    if buf.len() < len + 16 {
        buf.resize(len + 16, 0.0);
    }
    let off = buf.as_ptr().align_offset(64).min(15);
    (buf, off)
}

fn put_buffer(buf: Vec<f32>) {
    PACK.with(|cell| cell.set(buf));
}

/// `C = β·C` (zero when `β = 0`, without reading `C`).
///
/// # Safety
/// `c + i·rsc + j·csc` must be writable for `i < m`, `j < n`.
unsafe fn scale_c(beta: f32, c: *mut f32, m: usize, n: usize, rsc: usize, csc: usize) {
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
unsafe fn pack_a_strip(dst: *mut f32, a: Operand, mr: usize, kc: usize, mr_pad: usize) {
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

/// Packs `B[0..kc, 0..nr]` as one strip `nr_pad` wide (`dst[p·nr_pad + j]`),
/// zero-padded past `nr`.
///
/// # Safety
/// `b` must cover `kc × nr` and `dst` hold `nr_pad·kc` floats.
#[inline(always)]
unsafe fn pack_b_strip(dst: *mut f32, b: Operand, kc: usize, nr: usize, nr_pad: usize) {
    if b.cs == 1 {
        for p in 0..kc {
            let src = b.at(p, 0);
            for j in 0..nr_pad {
                *dst.add(p * nr_pad + j) = if j < nr { *src.add(j) } else { 0.0 };
            }
        }
    } else {
        for p in 0..kc {
            for j in 0..nr_pad {
                *dst.add(p * nr_pad + j) = if j < nr { *b.at(p, j) } else { 0.0 };
            }
        }
    }
}

/// `C = α·A·B + β·C` with the kernel `K`. Inlined into each instruction set's
/// `#[target_feature]` entry point so packing is compiled for that set too.
///
/// # Safety
/// Shapes must agree (checked by the caller) and the CPU must support `K`.
#[inline(always)]
pub(crate) unsafe fn gemm<K: Microkernel>(
    alpha: f32,
    a: Mat<'_, f32>,
    b: Mat<'_, f32>,
    beta: f32,
    mut c: MatMut<'_, f32>,
) {
    let (mut m, mut n, k) = (c.rows(), c.cols(), a.cols());
    if m == 0 || n == 0 {
        return;
    }
    let (mut rsc, mut csc) = (c.ld(), 1);
    let cp = c.data().as_mut_ptr();
    if k == 0 {
        scale_c(beta, cp, m, n, rsc, csc);
        return;
    }
    let (mut a, mut b) = (Operand::of(&a), Operand::of(&b));
    if b.cs != 1 && (a.rs == 1 || m < n) {
        // Cᵀ = Bᵀ·Aᵀ: the new B (= Aᵀ) is row-major, or smaller to pack.
        (a, b) = (b.t(), a.t());
        (m, n) = (n, m);
        (rsc, csc) = (csc, rsc);
    }
    let (mr_, nr_) = (K::MR, K::NR);
    let pack_b = b.cs != 1 || m > PACK_B_MIN_M * mr_;
    let a_in_place = a.rs == 1 || a.cs == 1;

    let kc_max = K::KC.min(k);
    // Whole strips: the last strip of a block is padded to NR (or MR) even when
    // NC (or MC) is not a multiple of it.
    let nc_max = K::NC.min(n).next_multiple_of(nr_);
    let mc_max = K::MC.min(m).next_multiple_of(mr_);
    let b_len = if pack_b {
        kc_max * nc_max
    } else {
        kc_max * nr_
    };
    let a_len = if a_in_place {
        kc_max * mr_
    } else {
        kc_max * mc_max
    };
    let (mut buf, off) = take_buffer(a_len + b_len);
    let ap = buf.as_mut_ptr().add(off);
    let bp = ap.add(a_len);

    for jc in (0..n).step_by(K::NC) {
        let nc = K::NC.min(n - jc);
        for pc in (0..k).step_by(K::KC) {
            let kc = K::KC.min(k - pc);
            let beta_now = if pc == 0 { beta } else { 1.0 };
            // B strips that are packed: all of them, or just the ragged last one.
            let first_packed = if pack_b { 0 } else { nc - nc % nr_ };
            for jr in (first_packed..nc).step_by(nr_) {
                let slot = if pack_b { jr / nr_ } else { 0 };
                let nr = nr_.min(nc - jr);
                let src = Operand {
                    ptr: b.at(pc, jc + jr),
                    ..b
                };
                pack_b_strip(bp.add(slot * kc * nr_), src, kc, nr, nr_);
            }
            for ic in (0..m).step_by(K::MC) {
                let mc = K::MC.min(m - ic);
                let first_packed = if a_in_place { mc - mc % mr_ } else { 0 };
                for ir in (first_packed..mc).step_by(mr_) {
                    let slot = if a_in_place { 0 } else { ir / mr_ };
                    let mr = mr_.min(mc - ir);
                    let src = Operand {
                        ptr: a.at(ic + ir, pc),
                        ..a
                    };
                    pack_a_strip(ap.add(slot * kc * mr_), src, mr, kc, mr_);
                }
                for jr in (0..nc).step_by(nr_) {
                    let nr = nr_.min(nc - jr);
                    let (bs, rsb) = if pack_b {
                        (bp.add(jr / nr_ * kc * nr_) as *const f32, nr_)
                    } else if nr < nr_ {
                        (bp as *const f32, nr_)
                    } else {
                        (b.at(pc, jc + jr), b.rs)
                    };
                    for ir in (0..mc).step_by(mr_) {
                        let mr = mr_.min(mc - ir);
                        let (as_, rsa, csa) = if !a_in_place {
                            (ap.add(ir / mr_ * kc * mr_) as *const f32, 1, mr_)
                        } else if mr < mr_ {
                            (ap as *const f32, 1, mr_)
                        } else {
                            (a.at(ic + ir, pc), a.rs, a.cs)
                        };
                        let tile = Tile {
                            k: kc,
                            alpha,
                            beta: beta_now,
                            a: as_,
                            rsa,
                            csa,
                            b: bs,
                            rsb,
                            c: cp.add((ic + ir) * rsc + (jc + jr) * csc),
                            rsc,
                            csc,
                            mr,
                            nr,
                        };
                        K::tile(&tile);
                    }
                }
            }
        }
    }
    put_buffer(buf);
}

/// Writes a finished tile held in `acc` (row `r` at `acc[r·nr_stride..]`,
/// already multiplied by α) to `C` through its strides, element by element:
/// the path for edge tiles and for a transposed `C`.
///
/// # Safety
/// As for [`Microkernel::tile`]; `acc` holds `mr` rows of `nr_stride` floats.
#[inline(always)]
pub(crate) unsafe fn store_strided(acc: &[f32], nr_stride: usize, t: &Tile) {
    for r in 0..t.mr {
        for j in 0..t.nr {
            let p = t.c.add(r * t.rsc + j * t.csc);
            let v = acc[r * nr_stride + j];
            *p = if t.beta == 0.0 { v } else { v + t.beta * *p };
        }
    }
}
