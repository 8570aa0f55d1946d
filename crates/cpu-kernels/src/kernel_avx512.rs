//! `KernelAvx512`: the f32 kernels for CPUs with AVX-512F (16 lanes, 32
//! registers, masked loads and stores, so ragged edges need no scalar loops).
//!
//! Most of the code is shared with `kernel_avx2fma.rs` and written once in
//! `simd/` for any vector width, so the AVX2 tests run the same source
//! lines; this file is the [`Simd`] implementation for 16 lanes and what is
//! particular to AVX-512. The entry points are
//! `#[target_feature(enable = "avx512f")]` functions made by `simd_kernels!`;
//! everything they call is `#[inline(always)]`, which is what gives it the
//! feature (the scheme of the `matrixmultiply` crate), and the table is only
//! handed out when the CPU has AVX-512F.
//!
//! - GEMM: the shared BLIS driver with an 8×48 register tile (24 accumulators,
//!   3 loads of B and 8 broadcasts of A per 24 FMAs; it beat 12×32 by 5-20%
//!   at the tagger's shapes), and 1..8 × 16/32/48 tiles for the ragged edges,
//!   whose last vector of `B` may be a masked load (so `B` is read in place).
//!   `A·Bᵀ` with short rows of `C` runs as 4×4 blocks of dot products along
//!   `k`, reduced by one 45-instruction transposing tree per block.
//! - GEMV `y = Ax` (rows contiguous): eight dot products at a time, reduced
//!   together by one transposing tree.
//! - GEMV `y = Aᵀx` (columns contiguous, the backward pass): column blocks of
//!   up to 128 floats held in registers while the rows stream past.
//! - exp/tanh/sigmoid: Cephes polynomials, `vscalefps` for the `2ⁿ` step.
//! - Gaussian noise: Philox4x32-10 on eight blocks in the 64-bit lanes
//!   (`vpmuludq` is the whole 32×32→64 multiply), then Box–Muller on 16
//!   pairs: 32 samples per step.

use crate::gemm::{self, Dots, Microkernel, Tile};
use crate::normal::{NormalBlocks, Philox, FINE};
use crate::simd::{self, blas, Simd};
use crate::Isa;
use std::arch::x86_64::*;

const LANES: usize = 16;

simd::simd_kernels!(Isa::Avx512, KernelAvx512, "avx512f");

/// The AVX-512F kernels: the 8×48 register tile of the GEMM (ragged edges use
/// the smaller `R×16·NV` tiles below), the 16-lane [`Simd`] vector and the
/// noise generator.
pub(crate) struct KernelAvx512;

/// Short for the code below.
type S = KernelAvx512;

impl Simd for KernelAvx512 {
    const LANES: usize = LANES;
    const GEMV_T_VECTORS: usize = 8;

    type V = __m512;
    type I = __m512i;
    type Mask = __mmask16;
    type Sel = __mmask16;

    // One intrinsic each, with the arguments in order.
    simd::forward! {
        [(p: *const f32) -> __m512] { load = _mm512_loadu_ps }
        [(p: *mut f32, a: __m512)] { store = _mm512_storeu_ps }
        [(p: *mut f32, m: __mmask16, a: __m512)] { store_masked = _mm512_mask_storeu_ps }
        [() -> __m512] { zero = _mm512_setzero_ps }
        [(x: f32) -> __m512] { splat = _mm512_set1_ps }
        [(a: __m512) -> __m512] { sqrt = _mm512_sqrt_ps, abs = _mm512_abs_ps }
        [(a: __m512, b: __m512) -> __m512] {
            add = _mm512_add_ps, sub = _mm512_sub_ps, mul = _mm512_mul_ps, div = _mm512_div_ps,
            max = _mm512_max_ps, min = _mm512_min_ps, mul_pow2 = _mm512_scalef_ps,
        }
        [(a: __m512, b: __m512, c: __m512) -> __m512] {
            fmadd = _mm512_fmadd_ps, fnmadd = _mm512_fnmadd_ps,
        }
        [(a: __m512, b: __m512) -> __mmask16] { lt = _mm512_cmp_ps_mask::<_CMP_LT_OQ> }
        [(a: __m512) -> f32] { hsum = _mm512_reduce_add_ps, hmax = _mm512_reduce_max_ps }
        [() -> __m512i] { zero_i = _mm512_setzero_si512 }
        [(x: i32) -> __m512i] { splat_i32 = _mm512_set1_epi32 }
        [(x: i64) -> __m512i] { splat_i64 = _mm512_set1_epi64 }
        [(a: __m512i, b: __m512i) -> __m512i] {
            add_i32 = _mm512_add_epi32, sub_i32 = _mm512_sub_epi32, and_i = _mm512_and_si512,
            add_i64 = _mm512_add_epi64, mul_u32_64 = _mm512_mul_epu32,
        }
        [(a: __m512i) -> __m512i] {
            srl32_8 = _mm512_srli_epi32::<8>, sra32_8 = _mm512_srai_epi32::<8>,
            sra32_23 = _mm512_srai_epi32::<23>, sll32_31 = _mm512_slli_epi32::<31>,
            srl64_32 = _mm512_srli_epi64::<32>,
            // `vpshufd` runs on port 5; a shift would queue behind `vpmuludq` on port 0.
            hi_to_lo = _mm512_shuffle_epi32::<0b11_11_01_01>,
        }
        // One `vpternlogd`.
        [(a: __m512i, b: __m512i, c: __m512i) -> __m512i] {
            xor3 = _mm512_ternarylogic_epi32::<0x96>,
        }
        [(a: __m512i) -> __m512] { to_f32 = _mm512_cvtepi32_ps, from_bits = _mm512_castsi512_ps }
        [(a: __m512) -> __m512i] { bits = _mm512_castps_si512 }
    }

    #[inline(always)]
    unsafe fn mask(n: usize) -> __mmask16 {
        ((1u32 << n) - 1) as __mmask16
    }
    #[inline(always)]
    unsafe fn load_masked(p: *const f32, m: __mmask16) -> __m512 {
        _mm512_maskz_loadu_ps(m, p)
    }
    #[inline(always)]
    unsafe fn broadcast(p: *const f32) -> __m512 {
        _mm512_set1_ps(*p)
    }
    /// The lanes past `m` load as `acc` itself.
    #[inline(always)]
    unsafe fn max_lanes(acc: __m512, p: *const f32, m: __mmask16) -> __m512 {
        _mm512_max_ps(_mm512_mask_loadu_ps(acc, m, p), acc)
    }
    #[inline(always)]
    unsafe fn add_lanes(acc: __m512, v: __m512, m: __mmask16) -> __m512 {
        _mm512_mask_add_ps(acc, m, acc, v)
    }
    #[inline(always)]
    unsafe fn round(v: __m512) -> __m512 {
        _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(v)
    }
    #[inline(always)]
    unsafe fn with_sign_of(mag: __m512, x: __m512) -> __m512 {
        let sign = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(i32::MIN));
        _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(mag), sign))
    }
    #[inline(always)]
    unsafe fn select(s: __mmask16, t: __m512, f: __m512) -> __m512 {
        _mm512_mask_blend_ps(s, f, t)
    }
    /// `vpxord` (AVX-512F has no `vxorps`).
    #[inline(always)]
    unsafe fn xor_bits(v: __m512, bits: __m512i) -> __m512 {
        _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(v), bits))
    }
    #[inline(always)]
    unsafe fn below_2_24(a: __m512i) -> __mmask16 {
        _mm512_cmplt_epu32_mask(a, _mm512_set1_epi32(FINE as i32))
    }
    #[inline(always)]
    unsafe fn bit1(a: __m512i) -> __mmask16 {
        _mm512_test_epi32_mask(a, _mm512_set1_epi32(2))
    }
    #[inline(always)]
    unsafe fn select_i(s: __mmask16, t: __m512i, f: __m512i) -> __m512i {
        _mm512_mask_mov_epi32(f, s, t)
    }
    #[inline(always)]
    unsafe fn lane_index64() -> __m512i {
        _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7)
    }

    /// Eight dot products at a time, reduced together by [`reduce8`].
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemv_rows8(
        alpha: f32,
        a: *const f32,
        lda: usize,
        m: usize,
        n: usize,
        x: *const f32,
        beta: f32,
        y: *mut f32,
    ) -> usize {
        let mut i = 0;
        while i + 8 <= m {
            let sums = reduce8(blas::dot_rows_acc::<S, 8>(a.add(i * lda), lda, n, x));
            let s = _mm256_mul_ps(_mm256_set1_ps(alpha), sums);
            let yp = y.add(i);
            let out = if beta == 0.0 {
                s
            } else {
                _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(yp), s)
            };
            _mm256_storeu_ps(yp, out);
            i += 8;
        }
        i
    }
}

/// The eight lane sums of `acc`, in order, with one transposing `hadd` tree
/// (a third of the shuffles of eight separate reductions).
///
/// # Safety
/// The CPU has AVX-512F.
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

// ---------------------------------------------------------------- GEMM

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
                let m = S::mask(pn);
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
///
/// # Safety
/// As for [`Microkernel::tile`]; the CPU has AVX-512F.
#[inline(always)]
unsafe fn tile_rv<const R: usize, const NV: usize, const MASKED: bool>(t: &Tile) {
    let last = S::mask(t.nr - (NV - 1) * LANES);
    let acc = blas::tile_products::<S, R, NV, MASKED>(t, last);
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
        // A C with a column stride, through a buffer. Written out: shared via
        // `Simd`, this loop made LLVM move the accumulators through memory.
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

/// The transpose of the 16×16 block whose row `i` is `r[i]`.
///
/// # Safety
/// The CPU has AVX-512F.
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
///
/// # Safety
/// As for [`Microkernel::dots`]; the CPU has AVX-512F.
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
///
/// # Safety
/// As for [`dots_4x4`], with `i < m`, `j < n`.
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
    let cols = S::mask(rb);
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
///
/// # Safety
/// The eight rows are valid for `k` reads; the CPU has AVX-512F.
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
        let m = S::mask(k - p);
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
///
/// # Safety
/// The CPU has AVX-512F.
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

// ---------------------------------------------------------------- normal

/// Sixteen blocks, 64 samples, per call.
impl NormalBlocks for KernelAvx512 {
    const BLOCKS: usize = 16;

    #[inline(always)]
    unsafe fn blocks(philox: &Philox, sigma: f32, c: u64, out: *mut f32) {
        let w = simd::normal::philox::<S>(philox, c);
        // Lane 2b + q: pair q of block b, i.e. words (2q, 2q + 1).
        let pick = _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
        // Lane l gives samples 2l and 2l + 1.
        let lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        let hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        for (h, w) in w.iter().enumerate() {
            let x = _mm512_permutex2var_epi32(w[0], pick, w[2]);
            let y = _mm512_permutex2var_epi32(w[1], pick, w[3]);
            let (z0, z1) = simd::normal::box_muller::<S>(x, y, _mm512_set1_ps(sigma));
            let out = out.add(32 * h);
            _mm512_storeu_ps(out, _mm512_permutex2var_ps(z0, lo, z1));
            _mm512_storeu_ps(out.add(LANES), _mm512_permutex2var_ps(z0, hi, z1));
        }
    }
}
