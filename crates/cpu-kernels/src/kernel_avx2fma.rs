//! `KernelAvx2Fma`: the f32 kernels for CPUs with AVX2 and FMA3 (8 lanes, 16
//! registers); ragged edges use `vmaskmovps`, which never touches the
//! masked-off lanes, so no scalar loops and no reads past a slice.
//!
//! Same layout as `kernel_avx512.rs`: `#[target_feature(enable = "avx2,fma")]`
//! entry points, `#[inline(always)]` helpers only called from them, a table
//! handed out only when the CPU has both features.
//!
//! - GEMM: the shared BLIS driver with a 6×16 register tile (12 accumulators),
//!   and 2/4/6 × 8/16 tiles for the ragged edges (a ragged last vector of `B`
//!   is a `vmaskmovps` load, so `B` is read in place). `A·Bᵀ` with short rows
//!   of `C` runs as 2×4 blocks of dot products along `k`, reduced by one
//!   `hadd` tree per block.
//! - GEMV `y = Ax`: eight dot products at a time; `y = Aᵀx`: column blocks of
//!   up to 32 floats, two rows at a time into two accumulator sets.
//! - Gaussian noise: Philox4x32-10 on four blocks in the 64-bit lanes (AVX2
//!   has no 64-bit multiply, but `vpmuludq` is exactly Philox's 32×32→64),
//!   then Box–Muller on 8 pairs: 16 samples per step.

use crate::dispatch::Kernels;
use crate::gemm::{self, Dots, Microkernel, Tile};
use crate::kernel_fallback::{EXP_HI, EXP_LO, EXP_P, LN2_HI, LN2_LO, LOG2E, TANH_P, TANH_SMALL};
use crate::normal::{self, NormalBlocks, Philox};
use crate::normal::{ANGLE_STEP, COARSE_STEP, COS_P, FINE, FINE_STEP, LOG_P, PHILOX_M};
use crate::normal::{SIN_P, SQRT_HALF_BITS};
use crate::{Isa, Mat, MatMut, Unary};
use std::arch::x86_64::*;

const LANES: usize = 8;

pub(crate) static KERNELS: Kernels = Kernels {
    isa: Isa::Avx2Fma,
    gemm: gemm_entry,
    gemv: gemv_entry,
    ger: ger_entry,
    axpy,
    dot,
    scale,
    unary,
    unary_inplace,
    softmax,
    log_softmax,
    normal_fill,
};

/// Eight "on" lanes then eight "off": a window into it is a lane mask.
static MASKS: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];

/// The mask of the first `n` lanes (`n <= 8`).
#[inline(always)]
unsafe fn mask(n: usize) -> __m256i {
    _mm256_loadu_si256(MASKS.as_ptr().add(LANES - n).cast())
}

/// The sum of the eight lanes, in a fixed order.
#[inline(always)]
unsafe fn hsum(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)))
}

/// `α·s + β·y` on the lanes of `m` (`β = 0`: `y` is not read).
#[inline(always)]
unsafe fn finish(alpha: f32, s: __m256, beta: f32, y: *mut f32, m: __m256i) {
    let mut v = _mm256_mul_ps(_mm256_set1_ps(alpha), s);
    if beta != 0.0 {
        v = _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_maskload_ps(y, m), v);
    }
    _mm256_maskstore_ps(y, m, v);
}

// ---------------------------------------------------------------- GEMM

/// The 6×16 register tile; ragged edges use the smaller `R×8·NV` tiles below.
pub(crate) struct KernelAvx2Fma;

const MR: usize = 6;
const NR: usize = 16;

impl Microkernel for KernelAvx2Fma {
    const MR: usize = MR;
    const NR: usize = NR;
    const MC: usize = 24 * MR;

    fn rows(mr: usize) -> usize {
        mr.next_multiple_of(2)
    }

    fn dots_win(m: usize, n: usize, k: usize) -> bool {
        // Measured on the same grid as AVX-512; 8 lanes waste less of a
        // short k and packing has no vector transpose, so the dots win on
        // more shapes.
        match (m, n) {
            (..=8, _) => k >= 8,
            (_, ..=4) => k >= 16,
            (..=32, _) => k >= 64 || (k >= 32 && n <= 20),
            (..=64, _) => k >= 64 && n <= 20,
            (_, ..=20) => k >= 200,
            _ => false,
        }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile(t: &Tile) {
        // `vmaskmovps` costs an extra uop, so only ragged columns read in
        // place pay for it.
        macro_rules! go {
            ($r:literal, $nv:literal) => {
                if t.nr % LANES == 0 || t.b_packed {
                    tile_rv::<$r, $nv, false>(t)
                } else {
                    tile_rv::<$r, $nv, true>(t)
                }
            };
        }
        match (Self::rows(t.mr), t.nr > LANES) {
            (2, false) => go!(2, 1),
            (4, false) => go!(4, 1),
            (_, false) => go!(6, 1),
            (2, true) => go!(2, 2),
            (4, true) => go!(4, 2),
            (_, true) => go!(6, 2),
        }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn pack_bt(dst: *mut f32, b: *const f32, ldb: usize, kc: usize, nr: usize) {
        gemm::pack_bt_columns::<NR>(dst, b, ldb, kc, nr);
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn dots(d: &Dots) {
        dots_2x4(d);
    }
}

/// One `R × 8·NV` tile (`R <= MR`, `NV <= 2`, covering `row0 + mr × nr`);
/// `MASKED`: the last vector of `B` is loaded under a mask (ragged columns
/// read in place).
#[inline(always)]
unsafe fn tile_rv<const R: usize, const NV: usize, const MASKED: bool>(t: &Tile) {
    let last = mask(t.nr - (NV - 1) * LANES);
    // Two copies of the loop, one per layout of A, so each has constant strides.
    let acc = if t.rsa == 1 {
        accumulate::<R, NV, MASKED>(t.k, t.a, 1, t.csa, t.b, t.rsb, last)
    } else {
        accumulate::<R, NV, MASKED>(t.k, t.a, t.rsa, 1, t.b, t.rsb, last)
    };
    if t.csc == 1 {
        let mut masks = [mask(LANES); NV];
        masks[NV - 1] = last;
        // Computed row r goes to row r - row0 of C when that is below mr.
        // Constant-bound loops (not skip/take), so the unrolled stores read
        // the accumulators from registers, and one of them for the usual
        // row0 = 0 (fewer instructions per row: 4% at dW += dYᵀ·X, k = 20).
        macro_rules! store_row {
            ($c:expr, $acc:expr) => {
                for (v, (&acc, &m)) in $acc.iter().zip(&masks).enumerate() {
                    finish(t.alpha, acc, t.beta, $c.wrapping_add(v * LANES), m);
                }
            };
        }
        if t.row0 == 0 {
            for (r, acc) in acc.iter().enumerate() {
                if r < t.mr {
                    store_row!(t.c.add(r * t.rsc), acc);
                }
            }
        } else {
            let c0 = t.c.wrapping_sub(t.row0 * t.rsc);
            for (r, acc) in acc.iter().enumerate() {
                if r.wrapping_sub(t.row0) < t.mr {
                    store_row!(c0.wrapping_add(r * t.rsc), acc);
                }
            }
        }
    } else {
        let alpha = _mm256_set1_ps(t.alpha);
        let mut buf = [0.0f32; MR * NR];
        for (r, acc) in acc.iter().enumerate() {
            for (v, &acc) in acc.iter().enumerate() {
                _mm256_storeu_ps(
                    buf.as_mut_ptr().add(r * NR + v * LANES),
                    _mm256_mul_ps(alpha, acc),
                );
            }
        }
        gemm::store_strided(&buf, NR, t);
    }
}

/// `Σₚ A(·,p) ⊗ B(p,·)` for one tile, accumulators in registers (the last
/// vector of each row of `B` under the mask `last` when `MASKED`).
#[inline(always)]
unsafe fn accumulate<const R: usize, const NV: usize, const MASKED: bool>(
    k: usize,
    a: *const f32,
    rsa: usize,
    csa: usize,
    b: *const f32,
    rsb: usize,
    last: __m256i,
) -> [[__m256; NV]; R] {
    let mut acc = [[_mm256_setzero_ps(); NV]; R];
    for p in 0..k {
        let mut bv = [_mm256_setzero_ps(); NV];
        for (v, bv) in bv.iter_mut().enumerate() {
            let src = b.add(p * rsb + v * LANES);
            *bv = if MASKED && v + 1 == NV {
                _mm256_maskload_ps(src, last)
            } else {
                _mm256_loadu_ps(src)
            };
        }
        for (r, acc) in acc.iter_mut().enumerate() {
            let av = _mm256_broadcast_ss(&*a.add(r * rsa + p * csa));
            for (acc, &bv) in acc.iter_mut().zip(&bv) {
                *acc = _mm256_fmadd_ps(av, bv, *acc);
            }
        }
    }
    acc
}

/// Rows of `A` and of `Bᵀ` per block of the inner-product path.
const DA: usize = 2;
const DB: usize = 4;

/// `C = α·A·Bᵀ + β·C` as 2×4 blocks of dot products along `k` (8 accumulators,
/// 6 loads per 8 FMAs), each block reduced once at the end.
#[inline(always)]
unsafe fn dots_2x4(d: &Dots) {
    // Sweep the larger operand once, re-reading the smaller one from cache.
    if d.m <= d.n {
        for j in (0..d.n).step_by(DB) {
            for i in (0..d.m).step_by(DA) {
                dot_tile(d, i, j);
            }
        }
    } else {
        for i in (0..d.m).step_by(DA) {
            for j in (0..d.n).step_by(DB) {
                dot_tile(d, i, j);
            }
        }
    }
}

/// The block of `C` at `(i, j)`, at most 2×4.
#[inline(always)]
unsafe fn dot_tile(d: &Dots, i: usize, j: usize) {
    let (ra, rb) = (DA.min(d.m - i), DB.min(d.n - j));
    let a = gemm::dot_rows_of::<DA>(d.a, d.lda, i, ra);
    let b = gemm::dot_rows_of::<DB>(d.b, d.ldb, j, rb);
    // acc[r][s] = a[r]·b[s]: `reduce8` puts it in lane 4r + s.
    let mut acc = [[_mm256_setzero_ps(); DB]; DA];
    let mut p = 0;
    while p + LANES <= d.k {
        let av = [_mm256_loadu_ps(a[0].add(p)), _mm256_loadu_ps(a[1].add(p))];
        for (s, &b) in b.iter().enumerate() {
            let bv = _mm256_loadu_ps(b.add(p));
            for (acc, &av) in acc.iter_mut().zip(&av) {
                acc[s] = _mm256_fmadd_ps(av, bv, acc[s]);
            }
        }
        p += LANES;
    }
    if p < d.k {
        let m = mask(d.k - p);
        let av = [
            _mm256_maskload_ps(a[0].add(p), m),
            _mm256_maskload_ps(a[1].add(p), m),
        ];
        for (s, &b) in b.iter().enumerate() {
            let bv = _mm256_maskload_ps(b.add(p), m);
            for (acc, &av) in acc.iter_mut().zip(&av) {
                acc[s] = _mm256_fmadd_ps(av, bv, acc[s]);
            }
        }
    }
    let sums = _mm256_mul_ps(_mm256_set1_ps(d.alpha), reduce8(acc));
    let halves = [
        _mm256_castps256_ps128(sums),
        _mm256_extractf128_ps::<1>(sums),
    ];
    let cols = _mm_loadu_si128(MASKS.as_ptr().add(LANES - rb).cast());
    for (r, &out) in halves.iter().enumerate().take(ra) {
        let c = d.c.add((i + r) * d.ldc + j);
        let out = if d.beta == 0.0 {
            out
        } else {
            _mm_fmadd_ps(_mm_set1_ps(d.beta), _mm_maskload_ps(c, cols), out)
        };
        _mm_maskstore_ps(c, cols, out);
    }
}

/// The eight lane sums of `acc[r][s]`, in lane `4r + s`, with one transposing
/// `hadd` tree.
#[inline(always)]
unsafe fn reduce8(acc: [[__m256; DB]; DA]) -> __m256 {
    let v = acc.as_flattened();
    let t0 = _mm256_hadd_ps(v[0], v[1]);
    let t1 = _mm256_hadd_ps(v[2], v[3]);
    let t2 = _mm256_hadd_ps(v[4], v[5]);
    let t3 = _mm256_hadd_ps(v[6], v[7]);
    let u0 = _mm256_hadd_ps(t0, t1);
    let u1 = _mm256_hadd_ps(t2, t3);
    _mm256_add_ps(
        _mm256_permute2f128_ps::<0x20>(u0, u1),
        _mm256_permute2f128_ps::<0x31>(u0, u1),
    )
}

#[target_feature(enable = "avx2,fma")]
unsafe fn gemm_entry(
    alpha: f32,
    a: Mat<'_, f32>,
    b: Mat<'_, f32>,
    beta: f32,
    mut c: MatMut<'_, f32>,
) {
    if !gemm::via_gemv(gemv_entry, alpha, a, b, beta, c.rb()) {
        gemm::gemm::<KernelAvx2Fma>(alpha, a, b, beta, c);
    }
}

// ---------------------------------------------------------------- GEMV

#[target_feature(enable = "avx2,fma")]
unsafe fn gemv_entry(alpha: f32, a: Mat<'_, f32>, x: &[f32], beta: f32, y: &mut [f32]) {
    let (m, n) = (a.rows(), a.cols());
    let (ap, xp, yp) = (a.data().as_ptr(), x.as_ptr(), y.as_mut_ptr());
    if n == 0 {
        gemm::gemv_no_columns(beta, y);
    } else if m == 0 {
    } else if a.col_stride() == 1 || n <= 1 {
        gemv_n(alpha, ap, a.row_stride(), m, n, xp, beta, yp);
    } else if a.row_stride() == 1 {
        gemv_t(alpha, ap, a.col_stride(), m, n, xp, beta, yp);
    } else {
        crate::naive::gemv(alpha, a, x, beta, y);
    }
}

/// `R` dot products of the rows at `a + r·lda` with `x`, sharing the loads of `x`.
#[inline(always)]
unsafe fn dot_rows<const R: usize>(a: *const f32, lda: usize, n: usize, x: *const f32) -> [f32; R] {
    let mut acc = [_mm256_setzero_ps(); R];
    let mut c = 0;
    while c + LANES <= n {
        let xv = _mm256_loadu_ps(x.add(c));
        for (r, acc) in acc.iter_mut().enumerate() {
            *acc = _mm256_fmadd_ps(_mm256_loadu_ps(a.add(r * lda + c)), xv, *acc);
        }
        c += LANES;
    }
    if c < n {
        let m = mask(n - c);
        let xv = _mm256_maskload_ps(x.add(c), m);
        for (r, acc) in acc.iter_mut().enumerate() {
            *acc = _mm256_fmadd_ps(_mm256_maskload_ps(a.add(r * lda + c), m), xv, *acc);
        }
    }
    let mut out = [0.0; R];
    for (o, &v) in out.iter_mut().zip(&acc) {
        *o = hsum(v);
    }
    out
}

/// `y = α·A·x + β·y`, `A` (m×n) with contiguous rows `lda` apart.
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::int_plus_one)]
unsafe fn gemv_n(
    alpha: f32,
    a: *const f32,
    lda: usize,
    m: usize,
    n: usize,
    x: *const f32,
    beta: f32,
    y: *mut f32,
) {
    let mut i = 0;
    macro_rules! rows {
        ($r:literal) => {
            while i + $r <= m {
                let s = dot_rows::<$r>(a.add(i * lda), lda, n, x);
                let m = mask($r);
                finish(alpha, _mm256_maskload_ps(s.as_ptr(), m), beta, y.add(i), m);
                i += $r;
            }
        };
    }
    rows!(8);
    rows!(4);
    rows!(1);
}

/// `y = α·Uᵀ·x + β·y` where `U` (n×m) is row-major with rows `ldu` apart.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn gemv_t(
    alpha: f32,
    u: *const f32,
    ldu: usize,
    m: usize,
    n: usize,
    x: *const f32,
    beta: f32,
    y: *mut f32,
) {
    let vectors = m.div_ceil(LANES);
    let blocks = vectors.div_ceil(4);
    let mut v0 = 0;
    for blk in 0..blocks {
        let nv = (vectors - v0).div_ceil(blocks - blk);
        let c0 = v0 * LANES;
        let width = (nv * LANES).min(m - c0);
        let (u, y) = (u.add(c0), y.add(c0));
        match nv {
            1 => gemv_t_block::<1>(alpha, u, ldu, n, x, beta, y, width),
            2 => gemv_t_block::<2>(alpha, u, ldu, n, x, beta, y, width),
            3 => gemv_t_block::<3>(alpha, u, ldu, n, x, beta, y, width),
            _ => gemv_t_block::<4>(alpha, u, ldu, n, x, beta, y, width),
        }
        v0 += nv;
    }
}

/// One block of `width <= 8·NV` outputs of [`gemv_t`], held in registers.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn gemv_t_block<const NV: usize>(
    alpha: f32,
    u: *const f32,
    ldu: usize,
    n: usize,
    x: *const f32,
    beta: f32,
    y: *mut f32,
    width: usize,
) {
    let last = mask(width - (NV - 1) * LANES);
    // A macro, not a closure: closures are not reliably inlined into the
    // `#[target_feature]` caller, and an out-of-line intrinsic is slow.
    macro_rules! load {
        ($row:expr, $v:expr) => {{
            let (row, v): (*const f32, usize) = ($row, $v);
            if v + 1 == NV {
                _mm256_maskload_ps(row.add(v * LANES), last)
            } else {
                _mm256_loadu_ps(row.add(v * LANES))
            }
        }};
    }
    let mut acc0 = [_mm256_setzero_ps(); NV];
    let mut acc1 = [_mm256_setzero_ps(); NV];
    let mut j = 0;
    while j + 2 <= n {
        let (x0, x1) = (_mm256_set1_ps(*x.add(j)), _mm256_set1_ps(*x.add(j + 1)));
        let (r0, r1) = (u.add(j * ldu), u.add((j + 1) * ldu));
        for (v, (acc0, acc1)) in acc0.iter_mut().zip(&mut acc1).enumerate() {
            *acc0 = _mm256_fmadd_ps(x0, load!(r0, v), *acc0);
            *acc1 = _mm256_fmadd_ps(x1, load!(r1, v), *acc1);
        }
        j += 2;
    }
    if j < n {
        let (x0, r0) = (_mm256_set1_ps(*x.add(j)), u.add(j * ldu));
        for (v, acc0) in acc0.iter_mut().enumerate() {
            *acc0 = _mm256_fmadd_ps(x0, load!(r0, v), *acc0);
        }
    }
    let full = mask(LANES);
    for (v, (&acc0, &acc1)) in acc0.iter().zip(&acc1).enumerate() {
        let m = if v + 1 == NV { last } else { full };
        finish(alpha, _mm256_add_ps(acc0, acc1), beta, y.add(v * LANES), m);
    }
}

// ---------------------------------------------------------------- level 1

#[target_feature(enable = "avx2,fma")]
unsafe fn ger_entry(alpha: f32, x: &[f32], y: &[f32], mut a: MatMut<'_, f32>) {
    let (n, ld) = (a.cols(), a.ld());
    let ap = a.data().as_mut_ptr();
    for (i, &xi) in x.iter().enumerate() {
        axpy_raw(alpha * xi, y.as_ptr(), ap.add(i * ld), n);
    }
}

/// `y[0..n] += α·x[0..n]`.
#[inline(always)]
unsafe fn axpy_raw(alpha: f32, x: *const f32, y: *mut f32, n: usize) {
    let av = _mm256_set1_ps(alpha);
    let mut i = 0;
    while i + 4 * LANES <= n {
        for v in 0..4 {
            let (xp, yp) = (x.add(i + v * LANES), y.add(i + v * LANES));
            _mm256_storeu_ps(
                yp,
                _mm256_fmadd_ps(av, _mm256_loadu_ps(xp), _mm256_loadu_ps(yp)),
            );
        }
        i += 4 * LANES;
    }
    while i < n {
        let m = mask((n - i).min(LANES));
        let (xp, yp) = (x.add(i), y.add(i));
        _mm256_maskstore_ps(
            yp,
            m,
            _mm256_fmadd_ps(av, _mm256_maskload_ps(xp, m), _mm256_maskload_ps(yp, m)),
        );
        i += LANES;
    }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    axpy_raw(alpha, x.as_ptr(), y.as_mut_ptr(), y.len());
}

#[target_feature(enable = "avx2,fma")]
unsafe fn dot(x: &[f32], y: &[f32]) -> f32 {
    let (xp, yp, n) = (x.as_ptr(), y.as_ptr(), x.len());
    let mut acc = [_mm256_setzero_ps(); 4];
    let mut i = 0;
    while i + 4 * LANES <= n {
        for (v, acc) in acc.iter_mut().enumerate() {
            let o = i + v * LANES;
            *acc = _mm256_fmadd_ps(_mm256_loadu_ps(xp.add(o)), _mm256_loadu_ps(yp.add(o)), *acc);
        }
        i += 4 * LANES;
    }
    while i < n {
        let m = mask((n - i).min(LANES));
        acc[0] = _mm256_fmadd_ps(
            _mm256_maskload_ps(xp.add(i), m),
            _mm256_maskload_ps(yp.add(i), m),
            acc[0],
        );
        i += LANES;
    }
    hsum(_mm256_add_ps(
        _mm256_add_ps(acc[0], acc[1]),
        _mm256_add_ps(acc[2], acc[3]),
    ))
}

#[target_feature(enable = "avx2,fma")]
unsafe fn scale(alpha: f32, x: &mut [f32]) {
    let (xp, n, av) = (x.as_mut_ptr(), x.len(), _mm256_set1_ps(alpha));
    let mut i = 0;
    while i < n {
        let m = mask((n - i).min(LANES));
        _mm256_maskstore_ps(
            xp.add(i),
            m,
            _mm256_mul_ps(av, _mm256_maskload_ps(xp.add(i), m)),
        );
        i += LANES;
    }
}

// ---------------------------------------------------------------- element-wise

/// `e^x` to about 1 ulp (see `kernel_fallback::exp` for the scheme).
#[inline(always)]
unsafe fn exp8(x: __m256) -> __m256 {
    // Constant first: on a NaN `vmaxps`/`vminps` return the second operand.
    let x = _mm256_max_ps(_mm256_set1_ps(EXP_LO), x);
    let x = _mm256_min_ps(_mm256_set1_ps(EXP_HI), x);
    let n = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm256_mul_ps(
        x,
        _mm256_set1_ps(LOG2E),
    ));
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), x);
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
    let mut p = _mm256_set1_ps(EXP_P[0]);
    for &c in &EXP_P[1..] {
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
    }
    let p = _mm256_add_ps(
        _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r),
        _mm256_set1_ps(1.0),
    );
    // 2ⁿ in two normal halves, so n = 128 and subnormal results come out right.
    let n = _mm256_cvtps_epi32(n);
    let n1 = _mm256_srai_epi32::<1>(n);
    let n2 = _mm256_sub_epi32(n, n1);
    let bias = _mm256_set1_epi32(127);
    let s1 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(n1, bias)));
    let s2 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(n2, bias)));
    _mm256_mul_ps(_mm256_mul_ps(p, s1), s2)
}

#[inline(always)]
unsafe fn tanh8(x: __m256) -> __m256 {
    let sign_bit = _mm256_set1_ps(-0.0);
    let ax = _mm256_andnot_ps(sign_bit, x);
    let z = _mm256_mul_ps(x, x);
    let mut p = _mm256_set1_ps(TANH_P[0]);
    for &c in &TANH_P[1..] {
        p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(c));
    }
    let small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
    let one = _mm256_set1_ps(1.0);
    let e = exp8(_mm256_add_ps(ax, ax));
    let big = _mm256_sub_ps(
        one,
        _mm256_div_ps(_mm256_set1_ps(2.0), _mm256_add_ps(e, one)),
    );
    let big = _mm256_or_ps(big, _mm256_and_ps(sign_bit, x));
    let is_small = _mm256_cmp_ps::<_CMP_LT_OQ>(ax, _mm256_set1_ps(TANH_SMALL));
    _mm256_blendv_ps(big, small, is_small)
}

#[inline(always)]
unsafe fn sigmoid8(x: __m256) -> __m256 {
    let one = _mm256_set1_ps(1.0);
    _mm256_div_ps(
        one,
        _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))),
    )
}

#[inline(always)]
unsafe fn relu8(x: __m256) -> __m256 {
    // NaN gives 0, as in the naive `if x > 0 { x } else { 0 }`.
    _mm256_max_ps(x, _mm256_setzero_ps())
}

/// `y[i] = f(x[i])` for `i < n`; `x` and `y` may be the same pointer.
macro_rules! map8 {
    ($f:ident, $x:expr, $y:expr, $n:expr) => {{
        let (x, y, n): (*const f32, *mut f32, usize) = ($x, $y, $n);
        let mut i = 0;
        while i + LANES <= n {
            _mm256_storeu_ps(y.add(i), $f(_mm256_loadu_ps(x.add(i))));
            i += LANES;
        }
        if i < n {
            let m = mask(n - i);
            _mm256_maskstore_ps(y.add(i), m, $f(_mm256_maskload_ps(x.add(i), m)));
        }
    }};
}

/// Runs `f` over `n` floats from `x` into `y` (which may alias `x`).
#[inline(always)]
unsafe fn map(f: Unary, x: *const f32, y: *mut f32, n: usize) {
    match f {
        Unary::Sigmoid => map8!(sigmoid8, x, y, n),
        Unary::Tanh => map8!(tanh8, x, y, n),
        Unary::Exp => map8!(exp8, x, y, n),
        Unary::Relu => map8!(relu8, x, y, n),
    }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn unary(f: Unary, x: &[f32], y: &mut [f32]) {
    map(f, x.as_ptr(), y.as_mut_ptr(), y.len());
}

#[target_feature(enable = "avx2,fma")]
unsafe fn unary_inplace(f: Unary, x: &mut [f32]) {
    let p = x.as_mut_ptr();
    map(f, p, p, x.len());
}

/// The maximum of `x` (`-inf` when empty).
#[inline(always)]
unsafe fn max(x: &[f32]) -> f32 {
    let (xp, n) = (x.as_ptr(), x.len());
    let ninf = _mm256_set1_ps(f32::NEG_INFINITY);
    let mut acc = ninf;
    let mut i = 0;
    while i < n {
        let m = mask((n - i).min(LANES));
        let v = _mm256_blendv_ps(
            ninf,
            _mm256_maskload_ps(xp.add(i), m),
            _mm256_castsi256_ps(m),
        );
        acc = _mm256_max_ps(v, acc);
        i += LANES;
    }
    let mut lanes = [0.0f32; LANES];
    _mm256_storeu_ps(lanes.as_mut_ptr(), acc);
    lanes.into_iter().fold(f32::NEG_INFINITY, f32::max)
}

/// `Σ e^(xᵢ - m)`, also storing the terms in `y` when given.
#[inline(always)]
unsafe fn sum_exp(x: &[f32], mx: f32, y: Option<*mut f32>) -> f32 {
    let (xp, n, mv) = (x.as_ptr(), x.len(), _mm256_set1_ps(mx));
    let mut acc = _mm256_setzero_ps();
    let mut i = 0;
    while i < n {
        let m = mask((n - i).min(LANES));
        let e = exp8(_mm256_sub_ps(_mm256_maskload_ps(xp.add(i), m), mv));
        acc = _mm256_add_ps(acc, _mm256_and_ps(e, _mm256_castsi256_ps(m)));
        if let Some(y) = y {
            _mm256_maskstore_ps(y.add(i), m, e);
        }
        i += LANES;
    }
    hsum(acc)
}

#[target_feature(enable = "avx2,fma")]
unsafe fn softmax(x: &[f32], y: &mut [f32]) {
    let z = sum_exp(x, max(x), Some(y.as_mut_ptr()));
    scale(1.0 / z, y);
}

#[target_feature(enable = "avx2,fma")]
unsafe fn log_softmax(x: &[f32], y: &mut [f32]) {
    // (x - max) - ln z rather than x - (max + ln z): exact where x is near max.
    let mx = max(x);
    let (mv, lz) = (
        _mm256_set1_ps(mx),
        _mm256_set1_ps(sum_exp(x, mx, None).ln()),
    );
    let (xp, yp, n) = (x.as_ptr(), y.as_mut_ptr(), x.len());
    let mut i = 0;
    while i < n {
        let m = mask((n - i).min(LANES));
        let d = _mm256_sub_ps(_mm256_maskload_ps(xp.add(i), m), mv);
        _mm256_maskstore_ps(yp.add(i), m, _mm256_sub_ps(d, lz));
        i += LANES;
    }
}

// ---------------------------------------------------------------- normal

/// `a ^ b ^ c`.
#[inline(always)]
unsafe fn xor3(a: __m256i, b: __m256i, c: __m256i) -> __m256i {
    _mm256_xor_si256(_mm256_xor_si256(a, b), c)
}

/// Philox4x32-10 of the blocks `c .. c + 8`: `[half][word]`, block
/// `c + 4·h + b` in 64-bit lane `b` of half `h` (its words in the low halves;
/// `vpmuludq` ignores the high ones). The two halves are independent chains,
/// so one hides the other's multiply latency.
#[inline(always)]
unsafe fn philox8(philox: &Philox, c: u64) -> [[__m256i; 4]; 2] {
    let lanes = _mm256_setr_epi64x(0, 1, 2, 3);
    let mut x = [[_mm256_setzero_si256(); 4]; 2];
    for (h, x) in x.iter_mut().enumerate() {
        let ctr = _mm256_add_epi64(_mm256_set1_epi64x((c + 4 * h as u64) as i64), lanes);
        x[0] = ctr;
        x[1] = _mm256_srli_epi64::<32>(ctr);
    }
    let m0 = _mm256_set1_epi64x(PHILOX_M[0] as i64);
    let m1 = _mm256_set1_epi64x(PHILOX_M[1] as i64);
    for k in &philox.keys {
        let (k0, k1) = (
            _mm256_set1_epi32(k[0] as i32),
            _mm256_set1_epi32(k[1] as i32),
        );
        for x in &mut x {
            let p0 = _mm256_mul_epu32(x[0], m0);
            let p1 = _mm256_mul_epu32(x[2], m1);
            x[0] = xor3(_mm256_srli_epi64::<32>(p1), x[1], k0);
            x[2] = xor3(_mm256_srli_epi64::<32>(p0), x[3], k1);
            x[1] = p1;
            x[3] = p0;
        }
    }
    x
}

/// `ln u` for normal `u > 0` (see `kernel_fallback::ln`).
#[inline(always)]
unsafe fn ln8(u: __m256) -> __m256 {
    let half_bits = _mm256_set1_epi32(SQRT_HALF_BITS);
    let i = _mm256_sub_epi32(_mm256_castps_si256(u), half_bits);
    let e = _mm256_cvtepi32_ps(_mm256_srai_epi32::<23>(i));
    let m = _mm256_add_epi32(_mm256_and_si256(i, _mm256_set1_epi32(0x7f_ffff)), half_bits);
    let f = _mm256_sub_ps(_mm256_castsi256_ps(m), _mm256_set1_ps(1.0));
    let z = _mm256_mul_ps(f, f);
    let mut p = _mm256_set1_ps(LOG_P[0]);
    for &c in &LOG_P[1..] {
        p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(c));
    }
    let t = _mm256_fmadd_ps(
        _mm256_mul_ps(p, z),
        f,
        _mm256_mul_ps(e, _mm256_set1_ps(LN2_LO)),
    );
    let t = _mm256_fnmadd_ps(_mm256_set1_ps(0.5), z, t);
    _mm256_fmadd_ps(e, _mm256_set1_ps(LN2_HI), _mm256_add_ps(f, t))
}

/// Box–Muller on 8 word pairs `(x, y)`: `(σ·z₀, σ·z₁)` per lane.
#[inline(always)]
unsafe fn box_muller8(x: __m256i, y: __m256i, sigma: __m256) -> (__m256, __m256) {
    // U = (k + 1)·step, k = x on the fine grid (x < 2²⁴), x >> 8 on the coarse one.
    let fine = _mm256_cmpeq_epi32(_mm256_srli_epi32::<24>(x), _mm256_setzero_si256());
    debug_assert_eq!(FINE, 1 << 24);
    let k = _mm256_blendv_epi8(_mm256_srli_epi32::<8>(x), x, fine);
    let kf = _mm256_cvtepi32_ps(_mm256_add_epi32(k, _mm256_set1_epi32(1)));
    let step = _mm256_blendv_ps(
        _mm256_set1_ps(COARSE_STEP),
        _mm256_set1_ps(FINE_STEP),
        _mm256_castsi256_ps(fine),
    );
    let u = _mm256_mul_ps(kf, step);
    let r = _mm256_sqrt_ps(_mm256_mul_ps(_mm256_set1_ps(-2.0), ln8(u)));
    let r = _mm256_mul_ps(r, sigma);
    let a = _mm256_mul_ps(
        _mm256_cvtepi32_ps(_mm256_srai_epi32::<8>(y)),
        _mm256_set1_ps(ANGLE_STEP),
    );
    let a2 = _mm256_mul_ps(a, a);
    let sin = _mm256_fmadd_ps(_mm256_set1_ps(SIN_P[0]), a2, _mm256_set1_ps(SIN_P[1]));
    let sin = _mm256_fmadd_ps(sin, a2, _mm256_set1_ps(SIN_P[2]));
    let sin = _mm256_fmadd_ps(_mm256_mul_ps(sin, a2), a, a);
    let cos = _mm256_fmadd_ps(_mm256_set1_ps(COS_P[0]), a2, _mm256_set1_ps(COS_P[1]));
    let cos = _mm256_fmadd_ps(cos, a2, _mm256_set1_ps(COS_P[2]));
    let one_minus = _mm256_fnmadd_ps(_mm256_set1_ps(0.5), a2, _mm256_set1_ps(1.0));
    let cos = _mm256_fmadd_ps(_mm256_mul_ps(cos, a2), a2, one_minus);
    // Bit 0 of y negates z₀, bit 1 swaps the pair.
    let zc = _mm256_xor_ps(
        _mm256_mul_ps(r, cos),
        _mm256_castsi256_ps(_mm256_slli_epi32::<31>(y)),
    );
    let zs = _mm256_mul_ps(r, sin);
    let swap = _mm256_castsi256_ps(_mm256_slli_epi32::<30>(y));
    (
        _mm256_blendv_ps(zc, zs, swap),
        _mm256_blendv_ps(zs, zc, swap),
    )
}

/// Eight blocks, 32 samples, per call.
struct NormalAvx2;

impl NormalBlocks for NormalAvx2 {
    const BLOCKS: usize = 8;

    #[inline(always)]
    unsafe fn blocks(philox: &Philox, sigma: f32, c: u64, out: *mut f32) {
        let w = philox8(philox, c);
        for (h, w) in w.iter().enumerate() {
            // Lane 2b + q: pair q of block b, i.e. words (2q, 2q + 1).
            let x = _mm256_blend_epi32::<0b1010_1010>(w[0], _mm256_slli_epi64::<32>(w[2]));
            let y = _mm256_blend_epi32::<0b1010_1010>(w[1], _mm256_slli_epi64::<32>(w[3]));
            let (z0, z1) = box_muller8(x, y, _mm256_set1_ps(sigma));
            // Lane l gives samples 2l and 2l + 1.
            let (lo, hi) = (_mm256_unpacklo_ps(z0, z1), _mm256_unpackhi_ps(z0, z1));
            let out = out.add(16 * h);
            _mm256_storeu_ps(out, _mm256_permute2f128_ps::<0x20>(lo, hi));
            _mm256_storeu_ps(out.add(LANES), _mm256_permute2f128_ps::<0x31>(lo, hi));
        }
    }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn normal_fill(seed: u64, offset: u64, sigma: f32, out: &mut [f32]) {
    normal::fill::<NormalAvx2>(seed, offset, sigma, out);
}

/// The transform alone on given words (for the tests in `normal.rs`); the
/// lengths are a multiple of 8.
#[cfg(test)]
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn normal_pairs(
    x: &[u32],
    y: &[u32],
    sigma: f32,
    first: &mut [f32],
    second: &mut [f32],
) {
    for i in (0..x.len()).step_by(LANES) {
        let (z0, z1) = box_muller8(
            _mm256_loadu_si256(x.as_ptr().add(i).cast()),
            _mm256_loadu_si256(y.as_ptr().add(i).cast()),
            _mm256_set1_ps(sigma),
        );
        _mm256_storeu_ps(first.as_mut_ptr().add(i), z0);
        _mm256_storeu_ps(second.as_mut_ptr().add(i), z1);
    }
}
