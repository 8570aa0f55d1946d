//! `KernelAvx2Fma`: the f32 kernels for CPUs with AVX2 and FMA3 (8 lanes, 16
//! registers); ragged edges use `vmaskmovps`, which never touches the
//! masked-off lanes, so no scalar loops and no reads past a slice.
//!
//! Most of the code is shared with `kernel_avx512.rs` and written once in
//! `simd/` for any vector width; this file is the [`Simd`] implementation
//! for 8 lanes and what is particular to AVX2. The entry points are
//! `#[target_feature(enable = "avx2,fma")]` functions made by
//! `simd_kernels!`; everything they call is `#[inline(always)]`, and the
//! table is handed out only when the CPU has both features.
//!
//! - GEMM: the shared BLIS driver with a 6×16 register tile (12 accumulators),
//!   and 2/4/6 × 8/16 tiles for the ragged edges (a ragged last vector of `B`
//!   is a `vmaskmovps` load, so `B` is read in place). `A·Bᵀ` with short rows
//!   of `C` runs as 2×4 blocks of dot products along `k`, reduced by one
//!   `hadd` tree per block.
//! - GEMV `y = Ax`: eight dot products at a time; `y = Aᵀx`: column blocks of
//!   up to 32 floats, two rows at a time into two accumulator sets.
//! - `2ⁿ` in `exp`: two halves built in the exponent field (no `vscalefps`).
//! - Gaussian noise: Philox4x32-10 on four blocks in the 64-bit lanes (AVX2
//!   has no 64-bit multiply, but `vpmuludq` is exactly Philox's 32×32→64),
//!   then Box–Muller on 8 pairs: 16 samples per step.

use crate::gemm::{self, Dots, Microkernel, Tile};
use crate::normal::{NormalBlocks, Philox, FINE};
use crate::simd::{self, blas, Simd};
use crate::Isa;
use std::arch::x86_64::*;

const LANES: usize = 8;

simd::simd_kernels!(Isa::Avx2Fma, KernelAvx2Fma, "avx2,fma");

/// Eight "on" lanes then eight "off": a window into it is a lane mask.
const MASKS: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];

/// The AVX2 + FMA3 kernels: the 6×16 register tile of the GEMM (ragged edges
/// use the smaller `R×8·NV` tiles below), the 8-lane [`Simd`] vector and the
/// noise generator.
pub(crate) struct KernelAvx2Fma;

/// Short for the code below.
type S = KernelAvx2Fma;

impl Simd for KernelAvx2Fma {
    const LANES: usize = LANES;
    const GEMV_T_VECTORS: usize = 4;

    type V = __m256;
    type I = __m256i;
    /// `vmaskmovps` reads the sign bit of each 32-bit lane.
    type Mask = __m256i;
    /// `vblendvps` reads the sign bit of each lane (`select_i`, a byte blend,
    /// needs whole lanes set, as comparisons give).
    type Sel = __m256;

    // One intrinsic each, with the arguments in order.
    simd::forward! {
        [(p: *const f32) -> __m256] { load = _mm256_loadu_ps }
        [(p: *const f32, m: __m256i) -> __m256] { load_masked = _mm256_maskload_ps }
        [(p: *mut f32, a: __m256)] { store = _mm256_storeu_ps }
        [(p: *mut f32, m: __m256i, a: __m256)] { store_masked = _mm256_maskstore_ps }
        [() -> __m256] { zero = _mm256_setzero_ps }
        [(x: f32) -> __m256] { splat = _mm256_set1_ps }
        [(a: __m256) -> __m256] { sqrt = _mm256_sqrt_ps }
        [(a: __m256, b: __m256) -> __m256] {
            add = _mm256_add_ps, sub = _mm256_sub_ps, mul = _mm256_mul_ps, div = _mm256_div_ps,
            max = _mm256_max_ps, min = _mm256_min_ps, lt = _mm256_cmp_ps::<_CMP_LT_OQ>,
        }
        [(a: __m256, b: __m256, c: __m256) -> __m256] {
            fmadd = _mm256_fmadd_ps, fnmadd = _mm256_fnmadd_ps,
        }
        [() -> __m256i] { zero_i = _mm256_setzero_si256 }
        [(x: i32) -> __m256i] { splat_i32 = _mm256_set1_epi32 }
        [(x: i64) -> __m256i] { splat_i64 = _mm256_set1_epi64x }
        [(a: __m256i, b: __m256i) -> __m256i] {
            add_i32 = _mm256_add_epi32, sub_i32 = _mm256_sub_epi32, and_i = _mm256_and_si256,
            add_i64 = _mm256_add_epi64, mul_u32_64 = _mm256_mul_epu32,
        }
        [(a: __m256i) -> __m256i] {
            srl32_8 = _mm256_srli_epi32::<8>, sra32_8 = _mm256_srai_epi32::<8>,
            sra32_23 = _mm256_srai_epi32::<23>, sll32_31 = _mm256_slli_epi32::<31>,
            srl64_32 = _mm256_srli_epi64::<32>, hi_to_lo = _mm256_srli_epi64::<32>,
        }
        [(a: __m256i) -> __m256] { to_f32 = _mm256_cvtepi32_ps, from_bits = _mm256_castsi256_ps }
        [(a: __m256) -> __m256i] { bits = _mm256_castps_si256 }
    }

    #[inline(always)]
    unsafe fn mask(n: usize) -> __m256i {
        _mm256_loadu_si256(MASKS.as_ptr().add(LANES - n).cast())
    }
    #[inline(always)]
    unsafe fn broadcast(p: *const f32) -> __m256 {
        _mm256_broadcast_ss(&*p)
    }
    /// The lanes past `m` load as `-inf`, which `vmaxps` leaves `acc` for.
    #[inline(always)]
    unsafe fn max_lanes(acc: __m256, p: *const f32, m: __m256i) -> __m256 {
        let ninf = _mm256_set1_ps(f32::NEG_INFINITY);
        let v = _mm256_blendv_ps(ninf, _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
        _mm256_max_ps(v, acc)
    }
    /// Adds zero on the other lanes.
    #[inline(always)]
    unsafe fn add_lanes(acc: __m256, v: __m256, m: __m256i) -> __m256 {
        _mm256_add_ps(acc, _mm256_and_ps(v, _mm256_castsi256_ps(m)))
    }
    #[inline(always)]
    unsafe fn hsum(v: __m256) -> f32 {
        let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)))
    }
    #[inline(always)]
    unsafe fn hmax(v: __m256) -> f32 {
        let mut lanes = [0.0f32; LANES];
        _mm256_storeu_ps(lanes.as_mut_ptr(), v);
        lanes.into_iter().fold(f32::NEG_INFINITY, f32::max)
    }
    #[inline(always)]
    unsafe fn round(v: __m256) -> __m256 {
        _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(v)
    }
    /// `2ⁿ` in two normal halves, so `n = 128` and subnormal results come out right.
    #[inline(always)]
    unsafe fn mul_pow2(p: __m256, n: __m256) -> __m256 {
        let n = _mm256_cvtps_epi32(n);
        let n1 = _mm256_srai_epi32::<1>(n);
        let n2 = _mm256_sub_epi32(n, n1);
        let bias = _mm256_set1_epi32(127);
        let s1 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(n1, bias)));
        let s2 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(n2, bias)));
        _mm256_mul_ps(_mm256_mul_ps(p, s1), s2)
    }
    #[inline(always)]
    unsafe fn abs(x: __m256) -> __m256 {
        _mm256_andnot_ps(_mm256_set1_ps(-0.0), x)
    }
    #[inline(always)]
    unsafe fn with_sign_of(mag: __m256, x: __m256) -> __m256 {
        _mm256_or_ps(mag, _mm256_and_ps(_mm256_set1_ps(-0.0), x))
    }
    #[inline(always)]
    unsafe fn select(s: __m256, t: __m256, f: __m256) -> __m256 {
        _mm256_blendv_ps(f, t, s)
    }
    #[inline(always)]
    unsafe fn xor_bits(v: __m256, bits: __m256i) -> __m256 {
        _mm256_xor_ps(v, _mm256_castsi256_ps(bits))
    }
    /// `a >> 24 == 0` (AVX2 has no unsigned compare).
    #[inline(always)]
    unsafe fn below_2_24(a: __m256i) -> __m256 {
        debug_assert_eq!(FINE, 1 << 24);
        _mm256_castsi256_ps(_mm256_cmpeq_epi32(
            _mm256_srli_epi32::<24>(a),
            _mm256_setzero_si256(),
        ))
    }
    /// Bit 1 shifted into the sign bit, which is all `vblendvps` reads.
    #[inline(always)]
    unsafe fn bit1(a: __m256i) -> __m256 {
        _mm256_castsi256_ps(_mm256_slli_epi32::<30>(a))
    }
    #[inline(always)]
    unsafe fn select_i(s: __m256, t: __m256i, f: __m256i) -> __m256i {
        _mm256_blendv_epi8(f, t, _mm256_castps_si256(s))
    }
    #[inline(always)]
    unsafe fn lane_index64() -> __m256i {
        _mm256_setr_epi64x(0, 1, 2, 3)
    }
    #[inline(always)]
    unsafe fn xor3(a: __m256i, b: __m256i, c: __m256i) -> __m256i {
        _mm256_xor_si256(_mm256_xor_si256(a, b), c)
    }
}

// ---------------------------------------------------------------- GEMM

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
///
/// # Safety
/// As for [`Microkernel::tile`]; the CPU has AVX2 and FMA.
#[inline(always)]
unsafe fn tile_rv<const R: usize, const NV: usize, const MASKED: bool>(t: &Tile) {
    let last = S::mask(t.nr - (NV - 1) * LANES);
    let acc = blas::tile_products::<S, R, NV, MASKED>(t, last);
    if t.csc == 1 {
        let mut masks = [S::mask(LANES); NV];
        masks[NV - 1] = last;
        // Computed row r goes to row r - row0 of C when that is below mr.
        // Constant-bound loops (not skip/take), so the unrolled stores read
        // the accumulators from registers, and one of them for the usual
        // row0 = 0 (fewer instructions per row: 4% at dW += dYᵀ·X, k = 20).
        macro_rules! store_row {
            ($c:expr, $acc:expr) => {
                for (v, (&acc, &m)) in $acc.iter().zip(&masks).enumerate() {
                    blas::finish::<S>(t.alpha, acc, t.beta, $c.wrapping_add(v * LANES), m);
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
        // A C with a column stride, through a buffer. Written out: shared via
        // `Simd`, this loop made LLVM move the accumulators through memory.
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

/// Rows of `A` and of `Bᵀ` per block of the inner-product path.
const DA: usize = 2;
const DB: usize = 4;

/// `C = α·A·Bᵀ + β·C` as 2×4 blocks of dot products along `k` (8 accumulators,
/// 6 loads per 8 FMAs), each block reduced once at the end.
///
/// # Safety
/// As for [`Microkernel::dots`]; the CPU has AVX2 and FMA.
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
///
/// # Safety
/// As for [`dots_2x4`], with `i < m`, `j < n`.
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
        let m = S::mask(d.k - p);
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
///
/// # Safety
/// The CPU has AVX.
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

// ---------------------------------------------------------------- normal

/// Eight blocks, 32 samples, per call.
impl NormalBlocks for KernelAvx2Fma {
    const BLOCKS: usize = 8;

    #[inline(always)]
    unsafe fn blocks(philox: &Philox, sigma: f32, c: u64, out: *mut f32) {
        let w = simd::normal::philox::<S>(philox, c);
        for (h, w) in w.iter().enumerate() {
            // Lane 2b + q: pair q of block b, i.e. words (2q, 2q + 1).
            let x = _mm256_blend_epi32::<0b1010_1010>(w[0], _mm256_slli_epi64::<32>(w[2]));
            let y = _mm256_blend_epi32::<0b1010_1010>(w[1], _mm256_slli_epi64::<32>(w[3]));
            let (z0, z1) = simd::normal::box_muller::<S>(x, y, _mm256_set1_ps(sigma));
            // Lane l gives samples 2l and 2l + 1.
            let (lo, hi) = (_mm256_unpacklo_ps(z0, z1), _mm256_unpackhi_ps(z0, z1));
            let out = out.add(16 * h);
            _mm256_storeu_ps(out, _mm256_permute2f128_ps::<0x20>(lo, hi));
            _mm256_storeu_ps(out.add(LANES), _mm256_permute2f128_ps::<0x31>(lo, hi));
        }
    }
}
