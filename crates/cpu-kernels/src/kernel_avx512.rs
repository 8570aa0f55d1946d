//! `KernelAvx512`: the f32 kernels for CPUs with AVX-512F (16 lanes, 32
//! registers, masked loads and stores, so ragged edges need no scalar loops).
//!
//! Every entry point is a `#[target_feature(enable = "avx512f")]` function;
//! the helpers below are `#[inline(always)]` without the attribute and are
//! only ever called from those entry points, which is what gives them the
//! feature (the scheme of the `matrixmultiply` crate). The dispatch table is
//! only handed out when the CPU has AVX-512F.
//!
//! - GEMM: the shared BLIS driver with an 8×48 register tile (24 accumulators,
//!   3 loads of B and 8 broadcasts of A per 24 FMAs; it beat 12×32 by 5-20%
//!   at the tagger's shapes), and 1..8 × 16/32/48 tiles for the ragged edges,
//!   whose last vector of `B` may be a masked load (so `B` is read in place).
//!   `A·Bᵀ` with short rows of `C` runs as 4×4 blocks of dot products along
//!   `k`, reduced by one 45-instruction transposing tree per block.
//! - GEMV `y = Ax` (rows contiguous): eight dot products at a time.
//! - GEMV `y = Aᵀx` (columns contiguous, the backward pass): column blocks of
//!   up to 128 floats held in registers while the rows stream past, two rows
//!   at a time into two accumulator sets to hide the FMA latency.
//! - exp/tanh/sigmoid: Cephes polynomials, `vscalefps` for the `2ⁿ` step.
//! - Gaussian noise: Philox4x32-10 on eight blocks in the 64-bit lanes
//!   (`vpmuludq` is the whole 32×32→64 multiply), then Box–Muller on 16
//!   pairs: 32 samples per step.

use crate::dispatch::Kernels;
use crate::gemm::{self, Dots, Microkernel, Tile};
use crate::kernel_fallback::{EXP_HI, EXP_LO, EXP_P, LN2_HI, LN2_LO, LOG2E, TANH_P, TANH_SMALL};
use crate::normal::{self, NormalBlocks, Philox};
use crate::normal::{ANGLE_STEP, COARSE_STEP, COS_P, FINE, FINE_STEP, LOG_P, PHILOX_M};
use crate::normal::{SIN_P, SQRT_HALF_BITS};
use crate::{Isa, Mat, MatMut, Unary};
use std::arch::x86_64::*;

const LANES: usize = 16;

pub(crate) static KERNELS: Kernels = Kernels {
    isa: Isa::Avx512,
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

/// The mask of the first `n` lanes (`n <= 16`).
#[inline(always)]
fn mask(n: usize) -> __mmask16 {
    ((1u32 << n) - 1) as __mmask16
}

/// `α·s + β·y` (`β = 0`: `y` is not read).
#[inline(always)]
unsafe fn finish(alpha: f32, s: __m512, beta: f32, y: *mut f32, m: __mmask16) {
    let mut v = _mm512_mul_ps(_mm512_set1_ps(alpha), s);
    if beta != 0.0 {
        v = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(m, y), v);
    }
    _mm512_mask_storeu_ps(y, m, v);
}

// ---------------------------------------------------------------- GEMM

/// The 8×48 register tile; ragged edges use the smaller `R×16·NV` tiles below.
pub(crate) struct KernelAvx512;

const MR: usize = 8;
const NR: usize = 48;

impl Microkernel for KernelAvx512 {
    const MR: usize = MR;
    const NR: usize = NR;
    const MC: usize = 18 * MR;
    // A strip of one vector runs 8 broadcasts and a load per 8 FMAs, load
    // bound at half speed: 48 + 4 columns run as 32 + 20 instead.
    const NR_LEND: usize = LANES;

    // A tile of every height: the ragged rows of the tagger's T = 17-19
    // (and of dW's 17 rows) are neither padded nor computed twice.
    const EVERY_HEIGHT: bool = true;

    fn rows(mr: usize) -> usize {
        mr
    }

    fn dots_win(m: usize, n: usize, k: usize) -> bool {
        // From a grid of m, n in 4..300 and k in 8..264 against packing Bᵀ
        // (16×16 transposes): packing costs n·k whatever m is and pads n to
        // whole vectors; the dots pad k to whole vectors and reduce once per
        // 16 outputs, so they win for a short side against a long k.
        match (m, n) {
            (..=4, _) => n <= 20 || k >= 32 || (k >= 16 && n <= 32),
            (..=8, _) => n <= 8 || k >= 64 || (k >= 32 && n <= 32) || (k >= 16 && n <= 20),
            (_, ..=4) => k >= 16,
            (_, ..=8) => k >= 64 || (k >= 32 && m <= 100),
            (..=20, _) => (k >= 32 && n <= 20) || (k >= 200 && n <= 100) || k >= 256,
            (..=32, _) => k >= 200 && n <= 20,
            _ => false,
        }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn tile(t: &Tile) {
        // The smallest tile that covers mr×nr: at 160×300 or 300×100 the
        // edges would otherwise waste a tenth of the FLOPs on padding.
        // A masked load costs a few percent even with every lane on, so only
        // ragged columns read in place use one.
        macro_rules! go {
            ($r:literal, $nv:literal) => {
                if t.nr % LANES == 0 || t.b_packed {
                    tile_rv::<$r, $nv, false>(t)
                } else {
                    tile_rv::<$r, $nv, true>(t)
                }
            };
        }
        macro_rules! by_width {
            ($r:literal) => {
                match t.nr.div_ceil(LANES) {
                    1 => go!($r, 1),
                    2 => go!($r, 2),
                    _ => go!($r, 3),
                }
            };
        }
        match t.mr {
            1 => by_width!(1),
            2 => by_width!(2),
            3 => by_width!(3),
            4 => by_width!(4),
            5 => by_width!(5),
            6 => by_width!(6),
            7 => by_width!(7),
            _ => by_width!(8),
        }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn pack_bt(dst: *mut f32, b: *const f32, ldb: usize, kc: usize, nr: usize) {
        // 16×16 blocks: 16 columns loaded along p, transposed in registers,
        // stored as 16 rows (columns past nr are loaded from the last one).
        for j0 in (0..nr).step_by(LANES) {
            let jn = LANES.min(nr - j0);
            if jn <= 2 {
                // A column or two (17 = 16 + 1 at the heads' z·Wᵀ): copied
                // as they are, not loaded 16 times over into a transpose.
                gemm::pack_bt_columns::<NR>(dst.add(j0), b.add(j0 * ldb), ldb, kc, jn);
                continue;
            }
            for p0 in (0..kc).step_by(LANES) {
                let pn = LANES.min(kc - p0);
                let m = mask(pn);
                let mut v = [_mm512_setzero_ps(); LANES];
                for (j, v) in v.iter_mut().enumerate() {
                    let col = b.add((j0 + j.min(jn - 1)) * ldb + p0);
                    *v = _mm512_maskz_loadu_ps(m, col);
                }
                let v = transpose16(v);
                for (p, &v) in v.iter().enumerate().take(pn) {
                    // j0 + 16 <= NR: the whole vector stays in the row.
                    _mm512_storeu_ps(dst.add((p0 + p) * NR + j0), v);
                }
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn dots(d: &Dots) {
        dots_4x4(d);
    }
}

/// One `R × 16·NV` tile (`R <= MR`, `NV <= 3`, covering `row0 + mr × nr`);
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
    let alpha = _mm512_set1_ps(t.alpha);
    if t.csc == 1 {
        let mut masks = [!0; NV];
        masks[NV - 1] = last;
        let beta = _mm512_set1_ps(t.beta);
        // Every height has its own tile (`R == mr`, `row0 == 0`), so every
        // computed row is stored; the loops have constant bounds, so the
        // unrolled code keeps the accumulators in registers. `α = 1` with
        // `β ∈ {0, 1}` (every call of the tagger) takes one instruction or
        // none per vector, with the same bits as the general form. Every
        // load of C comes before the first store: a masked store blocks
        // later loads that overlap its 64 bytes, even lanes it does not
        // write, and with a narrow C (17 columns, ld 17) the next row's
        // loads always do (-35% at the heads' z·Wᵀ).
        debug_assert!(t.mr == R && t.row0 == 0);
        let mut acc = acc;
        macro_rules! each {
            (|$c:ident, $acc:ident, $m:ident| $out:expr) => {
                for (r, acc) in acc.iter_mut().enumerate() {
                    let row = t.c.add(r * t.rsc);
                    for (v, ($acc, &$m)) in acc.iter_mut().zip(&masks).enumerate() {
                        let $c = row.add(v * LANES);
                        *$acc = $out;
                    }
                }
            };
        }
        match (t.alpha == 1.0, t.beta) {
            (true, 0.0) => {}
            (true, 1.0) => each!(|c, acc, m| _mm512_add_ps(_mm512_maskz_loadu_ps(m, c), *acc)),
            (_, 0.0) => each!(|_c, acc, _m| _mm512_mul_ps(alpha, *acc)),
            _ => each!(|c, acc, m| _mm512_fmadd_ps(
                beta,
                _mm512_maskz_loadu_ps(m, c),
                _mm512_mul_ps(alpha, *acc)
            )),
        }
        each!(|c, acc, m| {
            _mm512_mask_storeu_ps(c, m, *acc);
            *acc
        });
    } else {
        let mut buf = [0.0f32; MR * NR];
        for (r, acc) in acc.iter().enumerate() {
            for (v, &acc) in acc.iter().enumerate() {
                _mm512_storeu_ps(
                    buf.as_mut_ptr().add(r * NR + v * LANES),
                    _mm512_mul_ps(alpha, acc),
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
    last: __mmask16,
) -> [[__m512; NV]; R] {
    let mut acc = [[_mm512_setzero_ps(); NV]; R];
    for p in 0..k {
        let mut bv = [_mm512_setzero_ps(); NV];
        for (v, bv) in bv.iter_mut().enumerate() {
            let src = b.add(p * rsb + v * LANES);
            *bv = if MASKED && v + 1 == NV {
                _mm512_maskz_loadu_ps(last, src)
            } else {
                _mm512_loadu_ps(src)
            };
        }
        for (r, acc) in acc.iter_mut().enumerate() {
            let av = _mm512_set1_ps(*a.add(r * rsa + p * csa));
            for (acc, &bv) in acc.iter_mut().zip(&bv) {
                *acc = _mm512_fmadd_ps(av, bv, *acc);
            }
        }
    }
    acc
}

/// The transpose of the 16×16 block whose row `i` is `r[i]`.
#[inline(always)]
unsafe fn transpose16(r: [__m512; LANES]) -> [__m512; LANES] {
    // Interleave pairs of rows, then 2×2 blocks within 128-bit lanes, then
    // the 128-bit lanes themselves in two steps.
    let mut t = [_mm512_setzero_ps(); LANES];
    for i in (0..LANES).step_by(2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    let mut u = [_mm512_setzero_ps(); LANES];
    for i in (0..LANES).step_by(4) {
        u[i] = _mm512_shuffle_ps::<0x44>(t[i], t[i + 2]);
        u[i + 1] = _mm512_shuffle_ps::<0xEE>(t[i], t[i + 2]);
        u[i + 2] = _mm512_shuffle_ps::<0x44>(t[i + 1], t[i + 3]);
        u[i + 3] = _mm512_shuffle_ps::<0xEE>(t[i + 1], t[i + 3]);
    }
    let mut w = [_mm512_setzero_ps(); LANES];
    for h in [0, 8] {
        for i in 0..4 {
            w[h + i] = _mm512_shuffle_f32x4::<0x88>(u[h + i], u[h + 4 + i]);
            w[h + 4 + i] = _mm512_shuffle_f32x4::<0xDD>(u[h + i], u[h + 4 + i]);
        }
    }
    let mut out = [_mm512_setzero_ps(); LANES];
    for i in 0..8 {
        out[i] = _mm512_shuffle_f32x4::<0x88>(w[i], w[8 + i]);
        out[8 + i] = _mm512_shuffle_f32x4::<0xDD>(w[i], w[8 + i]);
    }
    out
}

/// Rows of `A` and of `Bᵀ` per block of the inner-product path.
const DOT: usize = 4;

/// `C = α·A·Bᵀ + β·C` as 4×4 blocks of dot products along `k` (16 accumulators,
/// 8 loads per 16 FMAs), each block reduced once at the end.
#[inline(always)]
unsafe fn dots_4x4(d: &Dots) {
    // Sweep the larger operand once, re-reading the smaller one from cache.
    if d.m <= d.n {
        for j in (0..d.n).step_by(DOT) {
            for i in (0..d.m).step_by(DOT) {
                dot_tile(d, i, j);
            }
        }
    } else {
        for i in (0..d.m).step_by(DOT) {
            for j in (0..d.n).step_by(DOT) {
                dot_tile(d, i, j);
            }
        }
    }
}

/// The block of `C` at `(i, j)`, at most 4×4.
#[inline(always)]
unsafe fn dot_tile(d: &Dots, i: usize, j: usize) {
    let (ra, rb) = (DOT.min(d.m - i), DOT.min(d.n - j));
    let sums = dot_block(
        d.k,
        gemm::dot_rows_of(d.a, d.lda, i, ra),
        gemm::dot_rows_of(d.b, d.ldb, j, rb),
    );
    // Lane 4r + s holds C(i + r, j + s): row r is stored from `c + r·ldc - 4r`
    // under the lanes 4r .. 4r + rb.
    let mut out = if d.alpha == 1.0 {
        sums
    } else {
        _mm512_mul_ps(_mm512_set1_ps(d.alpha), sums)
    };
    let c = d.c.add(i * d.ldc + j);
    if rb == DOT {
        // Whole rows of 4 as 16-byte loads and stores: a masked 64-byte
        // store would block the next block's loads of the same rows of C
        // (its footprint covers them), which costs more than the shuffles.
        let row = |r: usize| c.add(r * d.ldc);
        if d.beta != 0.0 {
            let mut old = _mm512_castps128_ps512(_mm_loadu_ps(row(0)));
            if ra > 1 {
                old = _mm512_insertf32x4::<1>(old, _mm_loadu_ps(row(1)));
            }
            if ra > 2 {
                old = _mm512_insertf32x4::<2>(old, _mm_loadu_ps(row(2)));
            }
            if ra > 3 {
                old = _mm512_insertf32x4::<3>(old, _mm_loadu_ps(row(3)));
            }
            out = if d.beta == 1.0 {
                _mm512_add_ps(old, out)
            } else {
                _mm512_fmadd_ps(_mm512_set1_ps(d.beta), old, out)
            };
        }
        _mm_storeu_ps(row(0), _mm512_castps512_ps128(out));
        if ra > 1 {
            _mm_storeu_ps(row(1), _mm512_extractf32x4_ps::<1>(out));
        }
        if ra > 2 {
            _mm_storeu_ps(row(2), _mm512_extractf32x4_ps::<2>(out));
        }
        if ra > 3 {
            _mm_storeu_ps(row(3), _mm512_extractf32x4_ps::<3>(out));
        }
        return;
    }
    let cols = mask(rb);
    if d.beta != 0.0 {
        let mut old = _mm512_setzero_ps();
        for r in 0..ra {
            let row = c.add(r * d.ldc).wrapping_sub(DOT * r);
            old = _mm512_mask_loadu_ps(old, cols << (DOT * r), row);
        }
        out = if d.beta == 1.0 {
            _mm512_add_ps(old, out)
        } else {
            _mm512_fmadd_ps(_mm512_set1_ps(d.beta), old, out)
        };
    }
    for r in 0..ra {
        let row = c.add(r * d.ldc).wrapping_sub(DOT * r);
        _mm512_mask_storeu_ps(row, cols << (DOT * r), out);
    }
}

/// The 16 dot products of `k` floats at `a[r]` and `b[s]`, the sum of
/// `a[r]·b[s]` in lane `4r + s`.
#[inline(always)]
unsafe fn dot_block(k: usize, a: [*const f32; DOT], b: [*const f32; DOT]) -> __m512 {
    // acc[s][r]: the order `reduce16` turns into lane 4r + s.
    let mut acc = [[_mm512_setzero_ps(); DOT]; DOT];
    let mut p = 0;
    while p + LANES <= k {
        let mut av = [_mm512_setzero_ps(); DOT];
        for (av, &a) in av.iter_mut().zip(&a) {
            *av = _mm512_loadu_ps(a.add(p));
        }
        for (acc, &b) in acc.iter_mut().zip(&b) {
            let bv = _mm512_loadu_ps(b.add(p));
            for (acc, &av) in acc.iter_mut().zip(&av) {
                *acc = _mm512_fmadd_ps(av, bv, *acc);
            }
        }
        p += LANES;
    }
    if p < k {
        let m = mask(k - p);
        let mut av = [_mm512_setzero_ps(); DOT];
        for (av, &a) in av.iter_mut().zip(&a) {
            *av = _mm512_maskz_loadu_ps(m, a.add(p));
        }
        for (acc, &b) in acc.iter_mut().zip(&b) {
            let bv = _mm512_maskz_loadu_ps(m, b.add(p));
            for (acc, &av) in acc.iter_mut().zip(&av) {
                *acc = _mm512_fmadd_ps(av, bv, *acc);
            }
        }
    }
    reduce16(acc)
}

/// The 16 lane sums of `acc[s][r]` in lane `4r + s`, with one transposing tree
/// of shuffles and adds (45 instructions for 16 reductions).
#[inline(always)]
unsafe fn reduce16(acc: [[__m512; DOT]; DOT]) -> __m512 {
    let v = acc.as_flattened();
    // 16 → 8: vector q holds v[2q] in its low half and v[2q + 1] in its high
    // half, 8 partial sums each.
    let mut h = [_mm512_setzero_ps(); 8];
    for (q, h) in h.iter_mut().enumerate() {
        let (x, y) = (v[2 * q], v[2 * q + 1]);
        *h = _mm512_add_ps(
            _mm512_shuffle_f32x4::<0b01_00_01_00>(x, y),
            _mm512_shuffle_f32x4::<0b11_10_11_10>(x, y),
        );
    }
    // 8 → 4: 128-bit lane l of vector t holds 4 partial sums of v[4t + l].
    let mut q = [_mm512_setzero_ps(); 4];
    for (t, q) in q.iter_mut().enumerate() {
        let (x, y) = (h[2 * t], h[2 * t + 1]);
        *q = _mm512_add_ps(
            _mm512_shuffle_f32x4::<0b10_00_10_00>(x, y),
            _mm512_shuffle_f32x4::<0b11_01_11_01>(x, y),
        );
    }
    // 4 → 2: lane l of vector u holds 2 partial sums of v[8u + l], then of v[8u + 4 + l].
    let mut w = [_mm512_setzero_ps(); 2];
    for (u, w) in w.iter_mut().enumerate() {
        let (x, y) = (q[2 * u], q[2 * u + 1]);
        *w = _mm512_add_ps(
            _mm512_shuffle_ps::<0b01_00_01_00>(x, y),
            _mm512_shuffle_ps::<0b11_10_11_10>(x, y),
        );
    }
    // 2 → 1: lane 4l + s holds the sum of v[4s + l].
    _mm512_add_ps(
        _mm512_shuffle_ps::<0b10_00_10_00>(w[0], w[1]),
        _mm512_shuffle_ps::<0b11_01_11_01>(w[0], w[1]),
    )
}

#[target_feature(enable = "avx512f")]
unsafe fn gemm_entry(
    alpha: f32,
    a: Mat<'_, f32>,
    b: Mat<'_, f32>,
    beta: f32,
    mut c: MatMut<'_, f32>,
) {
    if !gemm::via_gemv(gemv_entry, alpha, a, b, beta, c.rb()) {
        gemm::gemm::<KernelAvx512>(alpha, a, b, beta, c);
    }
}

// ---------------------------------------------------------------- GEMV

#[target_feature(enable = "avx512f")]
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
    let mut acc = [_mm512_setzero_ps(); R];
    let mut c = 0;
    while c + LANES <= n {
        let xv = _mm512_loadu_ps(x.add(c));
        for (r, acc) in acc.iter_mut().enumerate() {
            *acc = _mm512_fmadd_ps(_mm512_loadu_ps(a.add(r * lda + c)), xv, *acc);
        }
        c += LANES;
    }
    if c < n {
        let m = mask(n - c);
        let xv = _mm512_maskz_loadu_ps(m, x.add(c));
        for (r, acc) in acc.iter_mut().enumerate() {
            *acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a.add(r * lda + c)), xv, *acc);
        }
    }
    let mut out = [0.0; R];
    for (o, &v) in out.iter_mut().zip(&acc) {
        *o = _mm512_reduce_add_ps(v);
    }
    out
}

/// The eight lane sums of `acc`, in order, with one transposing `hadd` tree
/// (a third of the shuffles of eight separate reductions).
#[inline(always)]
unsafe fn reduce8(acc: [__m512; 8]) -> __m256 {
    let mut half = [_mm256_setzero_ps(); 8];
    for (h, &v) in half.iter_mut().zip(&acc) {
        let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v)));
        *h = _mm256_add_ps(_mm512_castps512_ps256(v), hi);
    }
    let t0 = _mm256_hadd_ps(half[0], half[1]);
    let t1 = _mm256_hadd_ps(half[2], half[3]);
    let t2 = _mm256_hadd_ps(half[4], half[5]);
    let t3 = _mm256_hadd_ps(half[6], half[7]);
    let u0 = _mm256_hadd_ps(t0, t1);
    let u1 = _mm256_hadd_ps(t2, t3);
    _mm256_add_ps(
        _mm256_permute2f128_ps::<0x20>(u0, u1),
        _mm256_permute2f128_ps::<0x31>(u0, u1),
    )
}

/// Eight dot products of the rows at `a + r·lda` with `x`, sharing the loads of `x`.
#[inline(always)]
unsafe fn dot_rows8(a: *const f32, lda: usize, n: usize, x: *const f32) -> __m256 {
    let mut acc = [_mm512_setzero_ps(); 8];
    let mut c = 0;
    while c + LANES <= n {
        let xv = _mm512_loadu_ps(x.add(c));
        for (r, acc) in acc.iter_mut().enumerate() {
            *acc = _mm512_fmadd_ps(_mm512_loadu_ps(a.add(r * lda + c)), xv, *acc);
        }
        c += LANES;
    }
    if c < n {
        let m = mask(n - c);
        let xv = _mm512_maskz_loadu_ps(m, x.add(c));
        for (r, acc) in acc.iter_mut().enumerate() {
            *acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a.add(r * lda + c)), xv, *acc);
        }
    }
    reduce8(acc)
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
    while i + 8 <= m {
        let s = _mm256_mul_ps(_mm256_set1_ps(alpha), dot_rows8(a.add(i * lda), lda, n, x));
        let yp = y.add(i);
        let out = if beta == 0.0 {
            s
        } else {
            _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(yp), s)
        };
        _mm256_storeu_ps(yp, out);
        i += 8;
    }
    macro_rules! rows {
        ($r:literal) => {
            while i + $r <= m {
                let s = dot_rows::<$r>(a.add(i * lda), lda, n, x);
                finish(
                    alpha,
                    _mm512_maskz_loadu_ps(mask($r), s.as_ptr()),
                    beta,
                    y.add(i),
                    mask($r),
                );
                i += $r;
            }
        };
    }
    rows!(4);
    rows!(1);
}

/// `y = α·Uᵀ·x + β·y` where `U` (n×m) is row-major with rows `ldu` apart,
/// i.e. `y = α·A·x + β·y` for the column-major view `A = Uᵀ` (m×n).
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
    // Split the m outputs into blocks of at most 8 vectors, as even as possible.
    let vectors = m.div_ceil(LANES);
    let blocks = vectors.div_ceil(8);
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
            4 => gemv_t_block::<4>(alpha, u, ldu, n, x, beta, y, width),
            5 => gemv_t_block::<5>(alpha, u, ldu, n, x, beta, y, width),
            6 => gemv_t_block::<6>(alpha, u, ldu, n, x, beta, y, width),
            7 => gemv_t_block::<7>(alpha, u, ldu, n, x, beta, y, width),
            _ => gemv_t_block::<8>(alpha, u, ldu, n, x, beta, y, width),
        }
        v0 += nv;
    }
}

/// One block of `width <= 16·NV` outputs of [`gemv_t`], held in registers.
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
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
                _mm512_maskz_loadu_ps(last, row.add(v * LANES))
            } else {
                _mm512_loadu_ps(row.add(v * LANES))
            }
        }};
    }
    let mut acc0 = [_mm512_setzero_ps(); NV];
    let mut acc1 = [_mm512_setzero_ps(); NV];
    let mut j = 0;
    while j + 2 <= n {
        let (x0, x1) = (_mm512_set1_ps(*x.add(j)), _mm512_set1_ps(*x.add(j + 1)));
        let (r0, r1) = (u.add(j * ldu), u.add((j + 1) * ldu));
        for v in 0..NV {
            acc0[v] = _mm512_fmadd_ps(x0, load!(r0, v), acc0[v]);
            acc1[v] = _mm512_fmadd_ps(x1, load!(r1, v), acc1[v]);
        }
        j += 2;
    }
    if j < n {
        let (x0, r0) = (_mm512_set1_ps(*x.add(j)), u.add(j * ldu));
        for v in 0..NV {
            acc0[v] = _mm512_fmadd_ps(x0, load!(r0, v), acc0[v]);
        }
    }
    for v in 0..NV {
        let m = if v + 1 == NV { last } else { !0 };
        finish(
            alpha,
            _mm512_add_ps(acc0[v], acc1[v]),
            beta,
            y.add(v * LANES),
            m,
        );
    }
}

// ---------------------------------------------------------------- level 1

#[target_feature(enable = "avx512f")]
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
    let av = _mm512_set1_ps(alpha);
    let mut i = 0;
    while i + 4 * LANES <= n {
        for v in 0..4 {
            let (xp, yp) = (x.add(i + v * LANES), y.add(i + v * LANES));
            _mm512_storeu_ps(
                yp,
                _mm512_fmadd_ps(av, _mm512_loadu_ps(xp), _mm512_loadu_ps(yp)),
            );
        }
        i += 4 * LANES;
    }
    while i < n {
        let m = mask((n - i).min(LANES));
        let (xp, yp) = (x.add(i), y.add(i));
        _mm512_mask_storeu_ps(
            yp,
            m,
            _mm512_fmadd_ps(
                av,
                _mm512_maskz_loadu_ps(m, xp),
                _mm512_maskz_loadu_ps(m, yp),
            ),
        );
        i += LANES;
    }
}

#[target_feature(enable = "avx512f")]
unsafe fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    axpy_raw(alpha, x.as_ptr(), y.as_mut_ptr(), y.len());
}

#[target_feature(enable = "avx512f")]
unsafe fn dot(x: &[f32], y: &[f32]) -> f32 {
    let (xp, yp, n) = (x.as_ptr(), y.as_ptr(), x.len());
    let mut acc = [_mm512_setzero_ps(); 4];
    let mut i = 0;
    while i + 4 * LANES <= n {
        for (v, acc) in acc.iter_mut().enumerate() {
            let o = i + v * LANES;
            *acc = _mm512_fmadd_ps(_mm512_loadu_ps(xp.add(o)), _mm512_loadu_ps(yp.add(o)), *acc);
        }
        i += 4 * LANES;
    }
    while i < n {
        let m = mask((n - i).min(LANES));
        acc[0] = _mm512_fmadd_ps(
            _mm512_maskz_loadu_ps(m, xp.add(i)),
            _mm512_maskz_loadu_ps(m, yp.add(i)),
            acc[0],
        );
        i += LANES;
    }
    _mm512_reduce_add_ps(_mm512_add_ps(
        _mm512_add_ps(acc[0], acc[1]),
        _mm512_add_ps(acc[2], acc[3]),
    ))
}

#[target_feature(enable = "avx512f")]
unsafe fn scale(alpha: f32, x: &mut [f32]) {
    let (xp, n, av) = (x.as_mut_ptr(), x.len(), _mm512_set1_ps(alpha));
    let mut i = 0;
    while i < n {
        let m = mask((n - i).min(LANES));
        _mm512_mask_storeu_ps(
            xp.add(i),
            m,
            _mm512_mul_ps(av, _mm512_maskz_loadu_ps(m, xp.add(i))),
        );
        i += LANES;
    }
}

// ---------------------------------------------------------------- element-wise

/// `e^x` to about 1 ulp (see `kernel_fallback::exp` for the scheme).
#[inline(always)]
unsafe fn exp16(x: __m512) -> __m512 {
    // Constant first: on a NaN `vmaxps`/`vminps` return the second operand.
    let x = _mm512_max_ps(_mm512_set1_ps(EXP_LO), x);
    let x = _mm512_min_ps(_mm512_set1_ps(EXP_HI), x);
    let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
        _mm512_mul_ps(x, _mm512_set1_ps(LOG2E)),
    );
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HI), x);
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_LO), r);
    let mut p = _mm512_set1_ps(EXP_P[0]);
    for &c in &EXP_P[1..] {
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
    }
    let p = _mm512_add_ps(
        _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r),
        _mm512_set1_ps(1.0),
    );
    _mm512_scalef_ps(p, n)
}

#[inline(always)]
unsafe fn tanh16(x: __m512) -> __m512 {
    let ax = _mm512_abs_ps(x);
    let z = _mm512_mul_ps(x, x);
    let mut p = _mm512_set1_ps(TANH_P[0]);
    for &c in &TANH_P[1..] {
        p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(c));
    }
    let small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x);
    let one = _mm512_set1_ps(1.0);
    let e = exp16(_mm512_add_ps(ax, ax));
    let big = _mm512_sub_ps(
        one,
        _mm512_div_ps(_mm512_set1_ps(2.0), _mm512_add_ps(e, one)),
    );
    let sign = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(i32::MIN));
    let big = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(big), sign));
    let is_small = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(ax, _mm512_set1_ps(TANH_SMALL));
    _mm512_mask_blend_ps(is_small, big, small)
}

#[inline(always)]
unsafe fn sigmoid16(x: __m512) -> __m512 {
    let one = _mm512_set1_ps(1.0);
    _mm512_div_ps(
        one,
        _mm512_add_ps(one, exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))),
    )
}

#[inline(always)]
unsafe fn relu16(x: __m512) -> __m512 {
    // NaN gives 0, as in the naive `if x > 0 { x } else { 0 }`.
    _mm512_max_ps(x, _mm512_setzero_ps())
}

/// `y[i] = f(x[i])` for `i < n`; `x` and `y` may be the same pointer.
macro_rules! map16 {
    ($f:ident, $x:expr, $y:expr, $n:expr) => {{
        let (x, y, n): (*const f32, *mut f32, usize) = ($x, $y, $n);
        let mut i = 0;
        while i + LANES <= n {
            _mm512_storeu_ps(y.add(i), $f(_mm512_loadu_ps(x.add(i))));
            i += LANES;
        }
        if i < n {
            let m = mask(n - i);
            _mm512_mask_storeu_ps(y.add(i), m, $f(_mm512_maskz_loadu_ps(m, x.add(i))));
        }
    }};
}

/// Runs `f` over `n` floats from `x` into `y` (which may alias `x`).
#[inline(always)]
unsafe fn map(f: Unary, x: *const f32, y: *mut f32, n: usize) {
    match f {
        Unary::Sigmoid => map16!(sigmoid16, x, y, n),
        Unary::Tanh => map16!(tanh16, x, y, n),
        Unary::Exp => map16!(exp16, x, y, n),
        Unary::Relu => map16!(relu16, x, y, n),
    }
}

#[target_feature(enable = "avx512f")]
unsafe fn unary(f: Unary, x: &[f32], y: &mut [f32]) {
    map(f, x.as_ptr(), y.as_mut_ptr(), y.len());
}

#[target_feature(enable = "avx512f")]
unsafe fn unary_inplace(f: Unary, x: &mut [f32]) {
    let p = x.as_mut_ptr();
    map(f, p, p, x.len());
}

/// The maximum of `x` (`-inf` when empty).
#[inline(always)]
unsafe fn max(x: &[f32]) -> f32 {
    let (xp, n) = (x.as_ptr(), x.len());
    let mut acc = _mm512_set1_ps(f32::NEG_INFINITY);
    let mut i = 0;
    while i < n {
        let m = mask((n - i).min(LANES));
        acc = _mm512_max_ps(_mm512_mask_loadu_ps(acc, m, xp.add(i)), acc);
        i += LANES;
    }
    _mm512_reduce_max_ps(acc)
}

/// `Σ e^(xᵢ - m)`, also storing the terms in `y` when given.
#[inline(always)]
unsafe fn sum_exp(x: &[f32], mx: f32, y: Option<*mut f32>) -> f32 {
    let (xp, n, mv) = (x.as_ptr(), x.len(), _mm512_set1_ps(mx));
    let mut acc = _mm512_setzero_ps();
    let mut i = 0;
    while i < n {
        let m = mask((n - i).min(LANES));
        let e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, xp.add(i)), mv));
        acc = _mm512_mask_add_ps(acc, m, acc, e);
        if let Some(y) = y {
            _mm512_mask_storeu_ps(y.add(i), m, e);
        }
        i += LANES;
    }
    _mm512_reduce_add_ps(acc)
}

#[target_feature(enable = "avx512f")]
unsafe fn softmax(x: &[f32], y: &mut [f32]) {
    let z = sum_exp(x, max(x), Some(y.as_mut_ptr()));
    scale(1.0 / z, y);
}

#[target_feature(enable = "avx512f")]
unsafe fn log_softmax(x: &[f32], y: &mut [f32]) {
    // (x - max) - ln z rather than x - (max + ln z): exact where x is near max.
    let mx = max(x);
    let (mv, lz) = (
        _mm512_set1_ps(mx),
        _mm512_set1_ps(sum_exp(x, mx, None).ln()),
    );
    let (xp, yp, n) = (x.as_ptr(), y.as_mut_ptr(), x.len());
    let mut i = 0;
    while i < n {
        let m = mask((n - i).min(LANES));
        let d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, xp.add(i)), mv);
        _mm512_mask_storeu_ps(yp.add(i), m, _mm512_sub_ps(d, lz));
        i += LANES;
    }
}

// ---------------------------------------------------------------- normal

/// `a ^ b ^ c` in one `vpternlogd`.
#[inline(always)]
unsafe fn xor3(a: __m512i, b: __m512i, c: __m512i) -> __m512i {
    _mm512_ternarylogic_epi32::<0x96>(a, b, c)
}

/// The high half of each 64-bit lane copied into the low half: `vpshufd`
/// runs on port 5, a shift would queue behind `vpmuludq` on port 0.
#[inline(always)]
unsafe fn hi_to_lo(p: __m512i) -> __m512i {
    _mm512_shuffle_epi32::<0b11_11_01_01>(p)
}

/// Philox4x32-10 of the blocks `c .. c + 16`: `[half][word]`, block
/// `c + 8·h + b` in 64-bit lane `b` of half `h` (its words in the low halves;
/// the high halves are don't-care, which `vpmuludq` ignores). A round is two
/// multiplies, two shuffles and two `xor3` per half; the two halves are
/// independent chains, so one hides the other's multiply latency.
#[inline(always)]
unsafe fn philox16(philox: &Philox, c: u64) -> [[__m512i; 4]; 2] {
    let lanes = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    let mut x = [[_mm512_setzero_si512(); 4]; 2];
    for (h, x) in x.iter_mut().enumerate() {
        let ctr = _mm512_add_epi64(_mm512_set1_epi64((c + 8 * h as u64) as i64), lanes);
        x[0] = ctr;
        x[1] = _mm512_srli_epi64::<32>(ctr);
    }
    let m0 = _mm512_set1_epi64(PHILOX_M[0] as i64);
    let m1 = _mm512_set1_epi64(PHILOX_M[1] as i64);
    for k in &philox.keys {
        let (k0, k1) = (
            _mm512_set1_epi32(k[0] as i32),
            _mm512_set1_epi32(k[1] as i32),
        );
        for x in &mut x {
            let p0 = _mm512_mul_epu32(x[0], m0);
            let p1 = _mm512_mul_epu32(x[2], m1);
            x[0] = xor3(hi_to_lo(p1), x[1], k0);
            x[2] = xor3(hi_to_lo(p0), x[3], k1);
            x[1] = p1;
            x[3] = p0;
        }
    }
    x
}

/// `ln u` for normal `u > 0` (see `kernel_fallback::ln`).
#[inline(always)]
unsafe fn ln16(u: __m512) -> __m512 {
    let half_bits = _mm512_set1_epi32(SQRT_HALF_BITS);
    let i = _mm512_sub_epi32(_mm512_castps_si512(u), half_bits);
    let e = _mm512_cvtepi32_ps(_mm512_srai_epi32::<23>(i));
    let m = _mm512_add_epi32(_mm512_and_si512(i, _mm512_set1_epi32(0x7f_ffff)), half_bits);
    let f = _mm512_sub_ps(_mm512_castsi512_ps(m), _mm512_set1_ps(1.0));
    let z = _mm512_mul_ps(f, f);
    let mut p = _mm512_set1_ps(LOG_P[0]);
    for &c in &LOG_P[1..] {
        p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(c));
    }
    let t = _mm512_fmadd_ps(
        _mm512_mul_ps(p, z),
        f,
        _mm512_mul_ps(e, _mm512_set1_ps(LN2_LO)),
    );
    let t = _mm512_fnmadd_ps(_mm512_set1_ps(0.5), z, t);
    _mm512_fmadd_ps(e, _mm512_set1_ps(LN2_HI), _mm512_add_ps(f, t))
}

/// Box–Muller on 16 word pairs `(x, y)`: `(σ·z₀, σ·z₁)` per lane.
#[inline(always)]
unsafe fn box_muller16(x: __m512i, y: __m512i, sigma: __m512) -> (__m512, __m512) {
    // U = (k + 1)·step, k = x on the fine grid, x >> 8 on the coarse one.
    let fine = _mm512_cmplt_epu32_mask(x, _mm512_set1_epi32(FINE as i32));
    let k = _mm512_mask_mov_epi32(_mm512_srli_epi32::<8>(x), fine, x);
    let kf = _mm512_cvtepi32_ps(_mm512_add_epi32(k, _mm512_set1_epi32(1)));
    let step = _mm512_mask_blend_ps(fine, _mm512_set1_ps(COARSE_STEP), _mm512_set1_ps(FINE_STEP));
    let u = _mm512_mul_ps(kf, step);
    let r = _mm512_sqrt_ps(_mm512_mul_ps(_mm512_set1_ps(-2.0), ln16(u)));
    let r = _mm512_mul_ps(r, sigma);
    let a = _mm512_mul_ps(
        _mm512_cvtepi32_ps(_mm512_srai_epi32::<8>(y)),
        _mm512_set1_ps(ANGLE_STEP),
    );
    let a2 = _mm512_mul_ps(a, a);
    let sin = _mm512_fmadd_ps(_mm512_set1_ps(SIN_P[0]), a2, _mm512_set1_ps(SIN_P[1]));
    let sin = _mm512_fmadd_ps(sin, a2, _mm512_set1_ps(SIN_P[2]));
    let sin = _mm512_fmadd_ps(_mm512_mul_ps(sin, a2), a, a);
    let cos = _mm512_fmadd_ps(_mm512_set1_ps(COS_P[0]), a2, _mm512_set1_ps(COS_P[1]));
    let cos = _mm512_fmadd_ps(cos, a2, _mm512_set1_ps(COS_P[2]));
    let one_minus = _mm512_fnmadd_ps(_mm512_set1_ps(0.5), a2, _mm512_set1_ps(1.0));
    let cos = _mm512_fmadd_ps(_mm512_mul_ps(cos, a2), a2, one_minus);
    // Bit 0 of y negates z₀, bit 1 swaps the pair.
    let zc = _mm512_castsi512_ps(_mm512_xor_si512(
        _mm512_castps_si512(_mm512_mul_ps(r, cos)),
        _mm512_slli_epi32::<31>(y),
    ));
    let zs = _mm512_mul_ps(r, sin);
    let swap = _mm512_test_epi32_mask(y, _mm512_set1_epi32(2));
    (
        _mm512_mask_blend_ps(swap, zc, zs),
        _mm512_mask_blend_ps(swap, zs, zc),
    )
}

/// Sixteen blocks, 64 samples, per call.
struct NormalAvx512;

impl NormalBlocks for NormalAvx512 {
    const BLOCKS: usize = 16;

    #[inline(always)]
    unsafe fn blocks(philox: &Philox, sigma: f32, c: u64, out: *mut f32) {
        let w = philox16(philox, c);
        // Lane 2b + q: pair q of block b, i.e. words (2q, 2q + 1).
        let pick = _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
        // Lane l gives samples 2l and 2l + 1.
        let lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        let hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        for (h, w) in w.iter().enumerate() {
            let x = _mm512_permutex2var_epi32(w[0], pick, w[2]);
            let y = _mm512_permutex2var_epi32(w[1], pick, w[3]);
            let (z0, z1) = box_muller16(x, y, _mm512_set1_ps(sigma));
            let out = out.add(32 * h);
            _mm512_storeu_ps(out, _mm512_permutex2var_ps(z0, lo, z1));
            _mm512_storeu_ps(out.add(LANES), _mm512_permutex2var_ps(z0, hi, z1));
        }
    }
}

#[target_feature(enable = "avx512f")]
unsafe fn normal_fill(seed: u64, offset: u64, sigma: f32, out: &mut [f32]) {
    normal::fill::<NormalAvx512>(seed, offset, sigma, out);
}

/// The transform alone on given words (for the tests in `normal.rs`); the
/// lengths are a multiple of 16.
#[cfg(test)]
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn normal_pairs(
    x: &[u32],
    y: &[u32],
    sigma: f32,
    first: &mut [f32],
    second: &mut [f32],
) {
    for i in (0..x.len()).step_by(LANES) {
        let (z0, z1) = box_muller16(
            _mm512_loadu_si512(x.as_ptr().add(i).cast()),
            _mm512_loadu_si512(y.as_ptr().add(i).cast()),
            _mm512_set1_ps(sigma),
        );
        _mm512_storeu_ps(first.as_mut_ptr().add(i), z0);
        _mm512_storeu_ps(second.as_mut_ptr().add(i), z1);
    }
}
