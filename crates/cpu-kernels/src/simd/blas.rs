//! GEMV, the rank-1 update, axpy, dot and scale for any [`Simd`] width, and
//! the part of the GEMM register tile every width shares (the products along
//! `k`). Ragged edges are masked loads and stores,
//! never scalar loops or reads past a slice.
//!
//! - GEMV `y = Ax` (rows contiguous): dot products of 8 rows at a time sharing
//!   the loads of `x` ([`Simd::gemv_rows8`]), then 4, then 1.
//! - GEMV `y = Aᵀx` (columns contiguous, the backward pass): column blocks of
//!   up to [`Simd::GEMV_T_VECTORS`] vectors held in registers while the rows
//!   stream past, two rows at a time into two accumulator sets to hide the
//!   FMA latency.
//! - axpy and dot: four vectors per step, then one (masked) at a time.

use super::Simd;
use crate::gemm::{self, Tile};
use crate::{Mat, MatMut};

/// `α·s + β·y` on the lanes of `m` (`β = 0`: `y` is not read).
///
/// # Safety
/// `y` is valid for reads and writes on the lanes of `m`; the CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn finish<S: Simd>(alpha: f32, s: S::V, beta: f32, y: *mut f32, m: S::Mask) {
    let mut v = S::mul(S::splat(alpha), s);
    if beta != 0.0 {
        v = S::fmadd(S::splat(beta), S::load_masked(y, m), v);
    }
    S::store_masked(y, m, v);
}

// ---------------------------------------------------------------- GEMM tile

/// `Σₚ A(·,p) ⊗ B(p,·)` for one `R × LANES·NV` tile, accumulators in registers
/// (the last vector of each row of `B` under the mask `last` when `MASKED`).
/// Two copies of the loop, one per layout of `A`, so each has constant strides.
///
/// # Safety
/// As for [`Microkernel::tile`](crate::gemm::Microkernel::tile), with
/// `R = rows(t.mr)` rows of `A` readable; the CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn tile_products<S: Simd, const R: usize, const NV: usize, const MASKED: bool>(
    t: &Tile,
    last: S::Mask,
) -> [[S::V; NV]; R] {
    if t.rsa == 1 {
        accumulate::<S, R, NV, MASKED>(t.k, t.a, 1, t.csa, t.b, t.rsb, last)
    } else {
        accumulate::<S, R, NV, MASKED>(t.k, t.a, t.rsa, 1, t.b, t.rsb, last)
    }
}

/// The loop of [`tile_products`] for one layout of `A`.
///
/// # Safety
/// As for [`tile_products`].
#[inline(always)]
unsafe fn accumulate<S: Simd, const R: usize, const NV: usize, const MASKED: bool>(
    k: usize,
    a: *const f32,
    rsa: usize,
    csa: usize,
    b: *const f32,
    rsb: usize,
    last: S::Mask,
) -> [[S::V; NV]; R] {
    let mut acc = [[S::zero(); NV]; R];
    for p in 0..k {
        let mut bv = [S::zero(); NV];
        for (v, bv) in bv.iter_mut().enumerate() {
            let src = b.add(p * rsb + v * S::LANES);
            *bv = if MASKED && v + 1 == NV {
                S::load_masked(src, last)
            } else {
                S::load(src)
            };
        }
        for (r, acc) in acc.iter_mut().enumerate() {
            let av = S::broadcast(a.add(r * rsa + p * csa));
            for (acc, &bv) in acc.iter_mut().zip(&bv) {
                *acc = S::fmadd(av, bv, *acc);
            }
        }
    }
    acc
}

// ---------------------------------------------------------------- GEMV

/// `y = α·A·x + β·y`.
///
/// # Safety
/// Shapes agree (`len(x) == cols`, `len(y) == rows`); the CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn gemv<S: Simd>(
    alpha: f32,
    a: Mat<'_, f32>,
    x: &[f32],
    beta: f32,
    y: &mut [f32],
) {
    let (m, n) = (a.rows(), a.cols());
    let (ap, xp, yp) = (a.data().as_ptr(), x.as_ptr(), y.as_mut_ptr());
    if n == 0 {
        gemm::gemv_no_columns(beta, y);
    } else if m == 0 {
    } else if a.col_stride() == 1 || n <= 1 {
        gemv_n::<S>(alpha, ap, a.row_stride(), m, n, xp, beta, yp);
    } else if a.row_stride() == 1 {
        gemv_t::<S>(alpha, ap, a.col_stride(), m, n, xp, beta, yp);
    } else {
        crate::naive::gemv(alpha, a, x, beta, y);
    }
}

/// The `R` vectors of products of the rows at `a + r·lda` with `x` (`n`
/// floats each), sharing the loads of `x`; each still to be summed across.
///
/// # Safety
/// The `R` rows and `x` are valid for `n` reads; the CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn dot_rows_acc<S: Simd, const R: usize>(
    a: *const f32,
    lda: usize,
    n: usize,
    x: *const f32,
) -> [S::V; R] {
    let mut acc = [S::zero(); R];
    let mut c = 0;
    while c + S::LANES <= n {
        let xv = S::load(x.add(c));
        for (r, acc) in acc.iter_mut().enumerate() {
            *acc = S::fmadd(S::load(a.add(r * lda + c)), xv, *acc);
        }
        c += S::LANES;
    }
    if c < n {
        let m = S::mask(n - c);
        let xv = S::load_masked(x.add(c), m);
        for (r, acc) in acc.iter_mut().enumerate() {
            *acc = S::fmadd(S::load_masked(a.add(r * lda + c), m), xv, *acc);
        }
    }
    acc
}

/// `R` dot products of the rows at `a + r·lda` with `x`, sharing the loads of `x`.
///
/// # Safety
/// As for [`dot_rows_acc`].
#[inline(always)]
unsafe fn dot_rows<S: Simd, const R: usize>(
    a: *const f32,
    lda: usize,
    n: usize,
    x: *const f32,
) -> [f32; R] {
    let acc = dot_rows_acc::<S, R>(a, lda, n, x);
    let mut out = [0.0; R];
    for (o, &v) in out.iter_mut().zip(&acc) {
        *o = S::hsum(v);
    }
    out
}

/// `y = α·A·x + β·y` on the rows `i, i + R, …` while `R` of them remain,
/// `A` (m×n) with contiguous rows `lda` apart; returns the first row not done.
///
/// # Safety
/// `A` covers `m × n`, `x` holds `n` floats and `y` `m`; the CPU has `S`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gemv_rows<S: Simd, const R: usize>(
    alpha: f32,
    a: *const f32,
    lda: usize,
    m: usize,
    n: usize,
    x: *const f32,
    beta: f32,
    y: *mut f32,
    mut i: usize,
) -> usize {
    while i + R <= m {
        let s = dot_rows::<S, R>(a.add(i * lda), lda, n, x);
        let lanes = S::mask(R);
        finish::<S>(
            alpha,
            S::load_masked(s.as_ptr(), lanes),
            beta,
            y.add(i),
            lanes,
        );
        i += R;
    }
    i
}

/// `y = α·A·x + β·y`, `A` (m×n) with contiguous rows `lda` apart.
///
/// # Safety
/// As for [`gemv_rows`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn gemv_n<S: Simd>(
    alpha: f32,
    a: *const f32,
    lda: usize,
    m: usize,
    n: usize,
    x: *const f32,
    beta: f32,
    y: *mut f32,
) {
    let i = S::gemv_rows8(alpha, a, lda, m, n, x, beta, y);
    let i = gemv_rows::<S, 4>(alpha, a, lda, m, n, x, beta, y, i);
    gemv_rows::<S, 1>(alpha, a, lda, m, n, x, beta, y, i);
}

/// `y = α·Uᵀ·x + β·y` where `U` (n×m) is row-major with rows `ldu` apart,
/// i.e. `y = α·A·x + β·y` for the column-major view `A = Uᵀ` (m×n).
///
/// # Safety
/// `U` covers `n × m`, `x` holds `n` floats and `y` `m`; the CPU has `S`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn gemv_t<S: Simd>(
    alpha: f32,
    u: *const f32,
    ldu: usize,
    m: usize,
    n: usize,
    x: *const f32,
    beta: f32,
    y: *mut f32,
) {
    const { assert!(S::GEMV_T_VECTORS == 4 || S::GEMV_T_VECTORS == 8) };
    // Split the m outputs into blocks of at most GEMV_T_VECTORS vectors, as
    // even as possible.
    let vectors = m.div_ceil(S::LANES);
    let blocks = vectors.div_ceil(S::GEMV_T_VECTORS);
    let mut v0 = 0;
    for blk in 0..blocks {
        let nv = (vectors - v0).div_ceil(blocks - blk);
        let c0 = v0 * S::LANES;
        let width = (nv * S::LANES).min(m - c0);
        let (u, y) = (u.add(c0), y.add(c0));
        macro_rules! block {
            ($nv:literal) => {
                gemv_t_block::<S, $nv>(alpha, u, ldu, n, x, beta, y, width)
            };
        }
        // One match per width, as the per-ISA code had (a guard arm in one
        // match lays the blocks out differently).
        if S::GEMV_T_VECTORS == 4 {
            match nv {
                1 => block!(1),
                2 => block!(2),
                3 => block!(3),
                _ => block!(4),
            }
        } else {
            match nv {
                1 => block!(1),
                2 => block!(2),
                3 => block!(3),
                4 => block!(4),
                5 => block!(5),
                6 => block!(6),
                7 => block!(7),
                _ => block!(8),
            }
        }
        v0 += nv;
    }
}

/// Vector `v` of a row of a [`gemv_t_block`], the last one under `last`.
///
/// # Safety
/// As for [`gemv_t_block`].
#[inline(always)]
unsafe fn row_vector<S: Simd, const NV: usize>(row: *const f32, v: usize, last: S::Mask) -> S::V {
    if v + 1 == NV {
        S::load_masked(row.add(v * S::LANES), last)
    } else {
        S::load(row.add(v * S::LANES))
    }
}

/// One block of `width <= LANES·NV` outputs of [`gemv_t`], held in registers.
///
/// # Safety
/// The `n` rows of `U` are valid for `width` reads, `x` for `n` and `y` for
/// `width` reads and writes; the CPU has `S`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn gemv_t_block<S: Simd, const NV: usize>(
    alpha: f32,
    u: *const f32,
    ldu: usize,
    n: usize,
    x: *const f32,
    beta: f32,
    y: *mut f32,
    width: usize,
) {
    let last = S::mask(width - (NV - 1) * S::LANES);
    let mut acc0 = [S::zero(); NV];
    let mut acc1 = [S::zero(); NV];
    let mut j = 0;
    while j + 2 <= n {
        let (x0, x1) = (S::splat(*x.add(j)), S::splat(*x.add(j + 1)));
        let (r0, r1) = (u.add(j * ldu), u.add((j + 1) * ldu));
        for (v, (acc0, acc1)) in acc0.iter_mut().zip(&mut acc1).enumerate() {
            *acc0 = S::fmadd(x0, row_vector::<S, NV>(r0, v, last), *acc0);
            *acc1 = S::fmadd(x1, row_vector::<S, NV>(r1, v, last), *acc1);
        }
        j += 2;
    }
    if j < n {
        let (x0, r0) = (S::splat(*x.add(j)), u.add(j * ldu));
        for (v, acc0) in acc0.iter_mut().enumerate() {
            *acc0 = S::fmadd(x0, row_vector::<S, NV>(r0, v, last), *acc0);
        }
    }
    let full = S::mask(S::LANES);
    for (v, (&acc0, &acc1)) in acc0.iter().zip(&acc1).enumerate() {
        let m = if v + 1 == NV { last } else { full };
        finish::<S>(alpha, S::add(acc0, acc1), beta, y.add(v * S::LANES), m);
    }
}

// ---------------------------------------------------------------- level 1

/// `A += α·x·yᵀ`, row by row.
///
/// # Safety
/// `len(x) == rows`, `len(y) == cols`; the CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn ger<S: Simd>(alpha: f32, x: &[f32], y: &[f32], mut a: MatMut<'_, f32>) {
    let (n, ld) = (a.cols(), a.ld());
    let ap = a.data().as_mut_ptr();
    for (i, &xi) in x.iter().enumerate() {
        axpy::<S>(alpha * xi, y.as_ptr(), ap.add(i * ld), n);
    }
}

/// `y[0..n] += α·x[0..n]`.
///
/// # Safety
/// `x` is valid for `n` reads, `y` for `n` reads and writes; the CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn axpy<S: Simd>(alpha: f32, x: *const f32, y: *mut f32, n: usize) {
    let av = S::splat(alpha);
    let mut i = 0;
    while i + 4 * S::LANES <= n {
        for v in 0..4 {
            let (xp, yp) = (x.add(i + v * S::LANES), y.add(i + v * S::LANES));
            S::store(yp, S::fmadd(av, S::load(xp), S::load(yp)));
        }
        i += 4 * S::LANES;
    }
    while i < n {
        let m = S::mask((n - i).min(S::LANES));
        let (xp, yp) = (x.add(i), y.add(i));
        S::store_masked(
            yp,
            m,
            S::fmadd(av, S::load_masked(xp, m), S::load_masked(yp, m)),
        );
        i += S::LANES;
    }
}

/// `Σ xᵢ·yᵢ` in four accumulators.
///
/// # Safety
/// `len(x) == len(y)`; the CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn dot<S: Simd>(x: &[f32], y: &[f32]) -> f32 {
    let (xp, yp, n) = (x.as_ptr(), y.as_ptr(), x.len());
    let mut acc = [S::zero(); 4];
    let mut i = 0;
    while i + 4 * S::LANES <= n {
        for (v, acc) in acc.iter_mut().enumerate() {
            let o = i + v * S::LANES;
            *acc = S::fmadd(S::load(xp.add(o)), S::load(yp.add(o)), *acc);
        }
        i += 4 * S::LANES;
    }
    while i < n {
        let m = S::mask((n - i).min(S::LANES));
        acc[0] = S::fmadd(
            S::load_masked(xp.add(i), m),
            S::load_masked(yp.add(i), m),
            acc[0],
        );
        i += S::LANES;
    }
    S::hsum(S::add(S::add(acc[0], acc[1]), S::add(acc[2], acc[3])))
}

/// `x *= α`.
///
/// # Safety
/// The CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn scale<S: Simd>(alpha: f32, x: &mut [f32]) {
    let (xp, n, av) = (x.as_mut_ptr(), x.len(), S::splat(alpha));
    let mut i = 0;
    while i < n {
        let m = S::mask((n - i).min(S::LANES));
        S::store_masked(xp.add(i), m, S::mul(av, S::load_masked(xp.add(i), m)));
        i += S::LANES;
    }
}
