//! The BLIS-style GEMM driver shared by every instruction set: blocking
//! (nc → kc → mc → nr → mr loops), the choice of a path for each call, and
//! the tile jobs handed to each instruction set's [`Microkernel`]. Packing
//! lives in `pack.rs`.
//!
//! A [`Microkernel`] computes one MR×NR tile of `C` from a strip of `A` (MR
//! rows, read one float at a time as broadcasts, so in place in either
//! layout) and a strip of `B` (NR columns, read as contiguous rows of vectors,
//! so `B` needs unit column stride), with the accumulators in registers and
//! smaller tiles for the ragged edges. What the driver does at the tagger's
//! shapes (a training step issues ~180 small GEMMs, where copies that a large
//! GEMM amortises are most of the cost):
//! - `C = A·Bᵀ` with both operands' rows contiguous along `k` (`X·Wᵀ`, a
//!   head's `x·Vᵀ`) goes to [`Microkernel::dots`], register-blocked dot
//!   products that read both in place, when the kernel's measured rule
//!   [`Microkernel::dots_win`] says it beats packing `Bᵀ` (small m or n
//!   against k): 1.2 against 2.2 µs at a head's 20×200·(20×200)ᵀ.
//! - Otherwise a column-major `B` is packed (`Bᵀ`, not `Aᵀ`: transposing the
//!   problem would make `C` strided, which costs more than the larger copy,
//!   e.g. 66 against 88 µs at 160×100·(300×100)ᵀ on AVX-512; the portable
//!   kernel, which stores element by element anyway, still packs the smaller
//!   one), except for a narrow `C` with `A` column-major too, where
//!   `Cᵀ = Bᵀ·Aᵀ` reads both in place.
//! - A row-major `B` is packed (a plain copy) only when `m` is large enough to
//!   amortise it; otherwise every strip, the ragged last one included, is
//!   read in place, the kernel masking its loads past the last column. A
//!   ragged strip of one vector borrows columns from the strip before it
//!   (AVX-512: 48 + 4 columns run as 32 + 20).
//! - `A` is never packed except when it has fewer rows than the kernel's
//!   smallest tile: the ragged last row strip is read in place, moved up over
//!   rows of the strip before it (computed twice, stored once); a kernel
//!   with a tile of every height (AVX-512) computes each row once instead, a
//!   short remainder sharing the rows of the strip before it (18 = 8 + 5 +
//!   5). Transposing a row-major `A` into MR-wide strips cost more than it
//!   saved (measured at 300×100·100×20 and 160×100·100×300), and the MR rows
//!   it reads stay in L1.
//! - Depth blocks are of equal size (300 = 150 + 150, not 256 + 44), and a
//!   call that packs nothing takes no buffer.

mod pack;

pub(crate) use pack::pack_bt_columns;

use crate::dispatch::GemvFn;
use crate::{Mat, MatMut};
use pack::{pack_a_strip, pack_b_strip, put_buffer, scale_c, take_buffer, Operand};

/// One tile job: `C[mr×nr] = α·Σₚ A(r,p)·B(p,j) + β·C`. The kernel computes
/// `R = rows(mr)` rows (`A(r, p)` at `a + r·rsa + p·csa` for every `r < R`)
/// and stores rows `row0 .. row0 + mr` of them; the others are zero padding
/// or rows the tile before it stores. `B(p, j)` is at `b + p·rsb + j` for
/// `j < nr`, and for `j < NR` too when `b_packed` (the packing buffer);
/// otherwise the kernel must not read past `nr`. Stored row `r` goes
/// to `C(r, j)` at `c + r·rsc + j·csc` for `r < mr`, `j < nr`. `β = 0` never
/// reads `C`.
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
    pub row0: usize,
    pub b_packed: bool,
}

/// The inner-product job `C[m×n] = α·A·Bᵀ + β·C` over whole rows: row `i` of
/// `A` at `a + i·lda` and row `j` of `Bᵀ` at `b + j·ldb` are `k` contiguous
/// floats each, `C(i, j)` is at `c + i·ldc + j`. `β = 0` never reads `C`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dots {
    pub k: usize,
    pub alpha: f32,
    pub beta: f32,
    pub a: *const f32,
    pub lda: usize,
    pub b: *const f32,
    pub ldb: usize,
    pub c: *mut f32,
    pub ldc: usize,
    pub m: usize,
    pub n: usize,
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
    /// A ragged last strip of at most this many columns borrows as many from
    /// the strip before it (0: never).
    const NR_LEND: usize = 0;
    /// True when the kernel writes `C` one element at a time anyway, so a
    /// transposed (strided) `C` costs it nothing extra.
    const STORES_BY_ELEMENT: bool = false;
    /// True when the kernel has a tile of every height `1..=MR`
    /// (`rows(mr) == mr`): no row of `A` is then computed twice or padded,
    /// and a ragged remainder of fewer than MR/2 rows shares its rows evenly
    /// with the strip before it (18 = 8 + 5 + 5, not 8 + 8 + 2 with a
    /// latency-bound 2-row tile; 20 stays 8 + 8 + 4).
    const EVERY_HEIGHT: bool = false;

    /// The rows `R >= mr` the kernel computes (and reads from `A`) for a tile
    /// of `mr <= MR` rows.
    fn rows(mr: usize) -> usize;

    /// True when `C = A·Bᵀ` with both operands' rows contiguous along `k` is
    /// cheaper by [`Microkernel::dots`] than by packing `Bᵀ` (measured).
    fn dots_win(m: usize, n: usize, k: usize) -> bool;

    /// Computes one tile.
    ///
    /// # Safety
    /// Every address described on [`Tile`] must be valid (readable for `A`
    /// and `B`, writable for the `mr×nr` part of `C`), and the CPU must have
    /// the kernel's instruction set.
    unsafe fn tile(t: &Tile);

    /// Packs `kc × nr` of a column-major `B` (column `j` is the `kc`
    /// contiguous floats at `b + j·ldb`) as rows NR apart: `dst[p·NR + j]`,
    /// `j < nr <= NR`; the lanes past `nr` may hold anything.
    ///
    /// # Safety
    /// `b` must cover the `nr` columns, `dst` hold `kc·NR` floats, and the CPU
    /// must have the instruction set.
    unsafe fn pack_bt(dst: *mut f32, b: *const f32, ldb: usize, kc: usize, nr: usize);

    /// Computes `C = α·A·Bᵀ + β·C` by register-blocked dot products.
    ///
    /// # Safety
    /// Every address described on [`Dots`] must be valid (readable for `A`
    /// and `B`, writable for `C`), and the CPU must have the instruction set.
    unsafe fn dots(d: &Dots);
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

/// A column-major `B` with a column-major `A` is not packed when `C` has at
/// most this many columns (and no more than rows): the transposed problem
/// reads both in place and writes a narrow strided `C`. Measured against
/// packing: up to 3.7× faster at n = 4, 0.4-1.5× at n = 20 depending on k,
/// slower beyond.
const NARROW_C: usize = 16;

/// The column strips `(first column, width)` of a block `nc` wide: whole NR
/// strips, except that a ragged last strip of at most `K::NR_LEND` columns
/// takes `NR_LEND` columns from the strip before it (so no strip is narrower
/// than the kernel runs well).
fn strips<K: Microkernel>(nc: usize) -> impl Iterator<Item = (usize, usize)> {
    let (nr, full, ragged) = (K::NR, nc / K::NR, nc % K::NR);
    let lend = if full > 0 && ragged > 0 && ragged <= K::NR_LEND {
        K::NR_LEND
    } else {
        0
    };
    (0..nc.div_ceil(nr)).map(move |s| {
        let (jr, end) = (s * nr, (s * nr + nr).min(nc));
        let shift = |j: usize| if j == full * nr { j - lend } else { j };
        (shift(jr), shift(end) - shift(jr))
    })
}

/// The row strips `(first row, height)` of a block `mc` high: whole MR strips,
/// except that with [`Microkernel::EVERY_HEIGHT`] a ragged remainder `r <
/// MR/2` and the strip before it share their rows evenly (MR + r as
/// ⌈(MR + r)/2⌉ + ⌊(MR + r)/2⌋).
fn row_strips<K: Microkernel>(mc: usize) -> impl Iterator<Item = (usize, usize)> {
    let (mr, full, ragged) = (K::MR, mc / K::MR, mc % K::MR);
    let split = K::EVERY_HEIGHT && full > 0 && ragged > 0 && ragged < K::MR / 2;
    let count = if split { full + 1 } else { mc.div_ceil(mr) };
    (0..count).map(move |s| {
        if split && s + 2 >= count {
            let (first, pair) = ((full - 1) * mr, mr + ragged);
            let top = pair.div_ceil(2);
            if s + 2 == count {
                (first, top)
            } else {
                (first + top, pair - top)
            }
        } else {
            (s * mr, mr.min(mc - s * mr))
        }
    })
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
    if a.cs == 1 && b.rs == 1 && K::dots_win(m, n, k) {
        let d = Dots {
            k,
            alpha,
            beta,
            a: a.ptr,
            lda: a.rs,
            b: b.ptr,
            ldb: b.cs,
            c: cp,
            ldc: rsc,
            m,
            n,
        };
        K::dots(&d);
        return;
    }
    let transpose = if a.rs == 1 {
        n <= NARROW_C && n <= m
    } else {
        // Only when a strided C costs nothing more: then the smaller
        // operand is the one packed.
        K::STORES_BY_ELEMENT && m < n
    };
    if b.cs != 1 && transpose {
        // Cᵀ = Bᵀ·Aᵀ: the new B (= Aᵀ) is row-major or smaller to pack, at
        // the price of a strided C.
        (a, b) = (b.t(), a.t());
        (m, n) = (n, m);
        (rsc, csc) = (csc, rsc);
    }
    let (mr_, nr_) = (K::MR, K::NR);
    let pack_b = b.cs != 1 || m > PACK_B_MIN_M * mr_;
    // The ragged last row strip is read in place, moved up over rows of the
    // strip before it when the kernel computes more rows than are left; only
    // when `A` has fewer rows than that is it packed (zero-padded).
    let m_edge = m % mr_;
    let pack_a = m_edge != 0 && K::rows(m_edge) > m;

    // Depth blocks of equal size: 300 = 150 + 150 rather than 256 + 44, so no
    // pass over C is spent on a thin block.
    let kc_max = k.div_ceil(k.div_ceil(K::KC));
    // Whole strips: the last strip of a block is padded to NR even when NC is
    // not a multiple of it.
    let nc_max = K::NC.min(n).next_multiple_of(nr_);
    let a_len = if pack_a { kc_max * mr_ } else { 0 };
    let b_len = if pack_b { kc_max * nc_max } else { 0 };
    let mut buf = (a_len + b_len > 0).then(|| take_buffer(a_len + b_len));
    let (ap, bp) = match &mut buf {
        Some((buf, off)) => {
            let ap = buf.as_mut_ptr().add(*off);
            (ap, ap.add(a_len))
        }
        None => (std::ptr::null_mut(), std::ptr::null_mut()),
    };

    for jc in (0..n).step_by(K::NC) {
        let nc = K::NC.min(n - jc);
        for pc in (0..k).step_by(kc_max) {
            let kc = kc_max.min(k - pc);
            let beta_now = if pc == 0 { beta } else { 1.0 };
            if pack_b {
                for (slot, (jr, nr)) in strips::<K>(nc).enumerate() {
                    let src = Operand {
                        ptr: b.at(pc, jc + jr),
                        ..b
                    };
                    pack_b_strip::<K>(bp.add(slot * kc * nr_), src, kc, nr);
                }
            }
            if pack_a {
                let src = Operand {
                    ptr: a.at(m - m_edge, pc),
                    ..a
                };
                pack_a_strip(ap, src, m_edge, kc, mr_);
            }
            for ic in (0..m).step_by(K::MC) {
                let mc = K::MC.min(m - ic);
                for (slot, (jr, nr)) in strips::<K>(nc).enumerate() {
                    let (bs, rsb) = if pack_b {
                        (bp.add(slot * kc * nr_) as *const f32, nr_)
                    } else {
                        (b.at(pc, jc + jr), b.rs)
                    };
                    for (ir, mr) in row_strips::<K>(mc) {
                        let i = ic + ir;
                        let rows = if mr == mr_ { mr } else { K::rows(mr) };
                        let (as_, rsa, csa, row0) = if rows == mr {
                            (a.at(i, pc), a.rs, a.cs, 0)
                        } else if pack_a {
                            (ap as *const f32, 1, mr_, 0)
                        } else {
                            (a.at(i + mr - rows, pc), a.rs, a.cs, rows - mr)
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
                            c: cp.add(i * rsc + (jc + jr) * csc),
                            rsc,
                            csc,
                            mr,
                            nr,
                            row0,
                            b_packed: pack_b,
                        };
                        K::tile(&tile);
                    }
                }
            }
        }
    }
    if let Some((buf, _)) = buf {
        put_buffer(buf);
    }
}

/// Writes a finished tile held in `acc` (row `r` at `acc[r·nr_stride..]`,
/// already multiplied by α) to `C` through its strides, element by element:
/// the path for edge tiles and for a transposed `C`.
///
/// # Safety
/// As for [`Microkernel::tile`]; `acc` holds `row0 + mr` rows of `nr_stride`
/// floats (the first `row0` are not stored).
#[inline(always)]
pub(crate) unsafe fn store_strided(acc: &[f32], nr_stride: usize, t: &Tile) {
    for r in 0..t.mr {
        for j in 0..t.nr {
            let p = t.c.add(r * t.rsc + j * t.csc);
            let v = acc[(t.row0 + r) * nr_stride + j];
            *p = if t.beta == 0.0 { v } else { v + t.beta * *p };
        }
    }
}

/// The row pointers `base + (first + r)·ld` of a block of `count <= DOT` rows;
/// a ragged block of the inner-product path repeats its last row (a duplicate
/// that is never stored).
///
/// # Safety
/// Rows `first .. first + count` must be inside the operand; `count >= 1`.
#[inline(always)]
pub(crate) unsafe fn dot_rows_of<const N: usize>(
    base: *const f32,
    ld: usize,
    first: usize,
    count: usize,
) -> [*const f32; N] {
    let mut p = [base; N];
    for (r, p) in p.iter_mut().enumerate() {
        *p = base.add((first + r.min(count - 1)) * ld);
    }
    p
}
