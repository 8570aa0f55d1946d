//! The f32 kernels written once for any vector width: the [`Simd`] trait names
//! the few dozen instructions they need, `kernel_avx2fma.rs` (8 lanes) and
//! `kernel_avx512.rs` (16 lanes) implement it, and `simd_kernels!` makes
//! each instruction set's `#[target_feature]` entry points and dispatch table
//! from the generic code in `blas.rs` (GEMV, ger, axpy, dot, scale, the GEMM
//! register tile), `math.rs` (exp, tanh, sigmoid, relu, softmax) and
//! `normal.rs` (Philox, `ln`, Box–Muller).
//!
//! A trait rather than a macro over intrinsic names: the generic code is
//! ordinary Rust that the compiler type-checks once, so AVX-512 (which the
//! test machines may lack) runs the same source lines that the AVX2 tests
//! exercise, and what differs per instruction set is a table of one-intrinsic
//! methods (`forward!`) and a few short ones. It costs nothing at run time:
//! every method and every generic function is `#[inline(always)]`,
//! monomorphised and inlined into the `#[target_feature]` entry point, which
//! is what gives the intrinsics their CPU feature (the scheme of the
//! `matrixmultiply` crate). Each element is computed by the same instructions
//! in the same order as when every file had its own copy: `tests/fingerprint.rs`
//! holds the bits of every output, and the disassembly was compared when the
//! code moved here (the same instructions; in a few functions LLVM allocates
//! registers or orders blocks differently).
//!
//! What stays in the per-ISA files is what really differs: the masks (a
//! register of lane bits on AVX-512, a vector on AVX2), the reductions, `2ⁿ`
//! (`vscalefps` against exponent arithmetic), the GEMM tile shapes and their
//! stores, the inner-product blocks, and the shuffles of the noise kernel.

pub(crate) mod blas;
pub(crate) mod math;
pub(crate) mod normal;

/// One instruction set's vector of f32 lanes and the operations the generic
/// kernels use on it. Named after what they compute; each implementation's
/// doc says which instruction it is where that matters.
///
/// # Safety
/// Every method needs the CPU to have the implementation's instruction set;
/// call them only from code inlined into its `#[target_feature]` entry
/// points. A method that takes a pointer also needs what its own `# Safety`
/// says.
pub(crate) trait Simd: Sized {
    /// f32 lanes per vector.
    const LANES: usize;
    /// The widest block of `y = Aᵀx`, in vectors: the accumulators of two
    /// rows and the loads must fit in the registers.
    const GEMV_T_VECTORS: usize;

    /// A vector of f32 lanes.
    type V: Copy;
    /// A vector of 32-bit (for Philox, 64-bit) integer lanes.
    type I: Copy;
    /// The lanes a masked load or store touches.
    type Mask: Copy;
    /// A per-lane choice between two vectors.
    type Sel: Copy;

    // ------------------------------------------------------------ memory

    /// The first `n` lanes.
    ///
    /// # Safety
    /// `n <= LANES`.
    unsafe fn mask(n: usize) -> Self::Mask;
    /// # Safety
    /// `p` is valid for `LANES` reads.
    unsafe fn load(p: *const f32) -> Self::V;
    /// # Safety
    /// `p` is valid for `LANES` writes.
    unsafe fn store(p: *mut f32, v: Self::V);
    /// The lanes of `m` from `p`, zero elsewhere.
    ///
    /// # Safety
    /// `p` is valid for reads on the lanes of `m` (the others are not touched).
    unsafe fn load_masked(p: *const f32, m: Self::Mask) -> Self::V;
    /// # Safety
    /// `p` is valid for writes on the lanes of `m` (the others are not touched).
    unsafe fn store_masked(p: *mut f32, m: Self::Mask, v: Self::V);
    /// `*p` in every lane.
    ///
    /// # Safety
    /// `p` is valid for one read.
    unsafe fn broadcast(p: *const f32) -> Self::V;

    // ------------------------------------------------------------ arithmetic

    unsafe fn zero() -> Self::V;
    unsafe fn splat(x: f32) -> Self::V;
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn sub(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn div(a: Self::V, b: Self::V) -> Self::V;
    /// `a·b + c`, one rounding.
    unsafe fn fmadd(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `c - a·b`, one rounding.
    unsafe fn fnmadd(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `vmaxps`: `a > b ? a : b`, so `b` when either is NaN.
    unsafe fn max(a: Self::V, b: Self::V) -> Self::V;
    /// `vminps`: `a < b ? a : b`, so `b` when either is NaN.
    unsafe fn min(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn sqrt(a: Self::V) -> Self::V;
    /// `max(p[i], acc)` (`vmaxps`) on the lanes of `m`, `acc` elsewhere.
    ///
    /// # Safety
    /// As for [`Simd::load_masked`].
    unsafe fn max_lanes(acc: Self::V, p: *const f32, m: Self::Mask) -> Self::V;
    /// `acc + v` on the lanes of `m`, `acc` elsewhere.
    unsafe fn add_lanes(acc: Self::V, v: Self::V, m: Self::Mask) -> Self::V;
    /// The sum of the lanes, in a fixed order.
    unsafe fn hsum(v: Self::V) -> f32;
    /// The largest lane.
    unsafe fn hmax(v: Self::V) -> f32;
    /// Rounded to the nearest integer (ties to even).
    unsafe fn round(v: Self::V) -> Self::V;
    /// `p·2ⁿ` for integral `n` in `[-127, 128]`, subnormal results included.
    unsafe fn mul_pow2(p: Self::V, n: Self::V) -> Self::V;
    /// `|x|`.
    unsafe fn abs(x: Self::V) -> Self::V;
    /// `mag` (sign bit clear) with the sign bit of `x`.
    unsafe fn with_sign_of(mag: Self::V, x: Self::V) -> Self::V;
    /// `a < b`, false on NaN.
    unsafe fn lt(a: Self::V, b: Self::V) -> Self::Sel;
    /// `t` where `s` holds, else `f`.
    unsafe fn select(s: Self::Sel, t: Self::V, f: Self::V) -> Self::V;

    // ------------------------------------------------------------ integers

    unsafe fn zero_i() -> Self::I;
    unsafe fn splat_i32(x: i32) -> Self::I;
    unsafe fn add_i32(a: Self::I, b: Self::I) -> Self::I;
    unsafe fn sub_i32(a: Self::I, b: Self::I) -> Self::I;
    unsafe fn and_i(a: Self::I, b: Self::I) -> Self::I;
    /// Signed lanes to f32.
    unsafe fn to_f32(a: Self::I) -> Self::V;
    /// The bits of `v`, unchanged.
    unsafe fn bits(v: Self::V) -> Self::I;
    /// `bits` read as f32 lanes, unchanged.
    unsafe fn from_bits(bits: Self::I) -> Self::V;
    /// The bits of `v` xor `bits`.
    unsafe fn xor_bits(v: Self::V, bits: Self::I) -> Self::V;
    /// Logical shift right of the 32-bit lanes by 8.
    unsafe fn srl32_8(a: Self::I) -> Self::I;
    /// Arithmetic shift right of the 32-bit lanes by 8.
    unsafe fn sra32_8(a: Self::I) -> Self::I;
    /// Arithmetic shift right of the 32-bit lanes by 23 (an f32's exponent).
    unsafe fn sra32_23(a: Self::I) -> Self::I;
    /// Shift left of the 32-bit lanes by 31 (bit 0 to the sign bit).
    unsafe fn sll32_31(a: Self::I) -> Self::I;
    /// The lanes below `2²⁴` (unsigned).
    unsafe fn below_2_24(a: Self::I) -> Self::Sel;
    /// The lanes with bit 1 set.
    unsafe fn bit1(a: Self::I) -> Self::Sel;
    /// `t` where `s` holds, else `f`.
    unsafe fn select_i(s: Self::Sel, t: Self::I, f: Self::I) -> Self::I;

    /// `0, 1, 2, …` in the 64-bit lanes.
    unsafe fn lane_index64() -> Self::I;
    unsafe fn splat_i64(x: i64) -> Self::I;
    unsafe fn add_i64(a: Self::I, b: Self::I) -> Self::I;
    /// `vpmuludq`: the low 32 bits of each 64-bit lane multiplied to 64 bits.
    unsafe fn mul_u32_64(a: Self::I, b: Self::I) -> Self::I;
    /// The high half of each 64-bit lane shifted into the low half.
    unsafe fn srl64_32(a: Self::I) -> Self::I;
    /// The high half of each 64-bit lane in the low half (the high half is
    /// left as the instruction set finds cheapest).
    unsafe fn hi_to_lo(a: Self::I) -> Self::I;
    /// `a ^ b ^ c`.
    unsafe fn xor3(a: Self::I, b: Self::I, c: Self::I) -> Self::I;

    // ------------------------------------------------------------ choices

    /// Rows `0..8·⌊m/8⌋` of `y = α·A·x + β·y` (see [`blas::gemv_rows`]),
    /// eight at a time; returns the first row not done. AVX-512 overrides it
    /// to reduce the eight dot products with one transposing tree.
    ///
    /// # Safety
    /// As for [`blas::gemv_rows`].
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
        blas::gemv_rows::<Self, 8>(alpha, a, lda, m, n, x, beta, y, 0)
    }
}

/// The `#[target_feature]` entry points of one instruction set and its
/// [`Kernels`](crate::dispatch::Kernels) table `KERNELS`, all from the generic
/// code: `simd_kernels!(Isa::Avx2Fma, KernelAvx2Fma, "avx2,fma")`, where the
/// type implements [`Simd`], [`Microkernel`](crate::gemm::Microkernel) and
/// [`NormalBlocks`](crate::normal::NormalBlocks). Also `normal_pairs`, the
/// Box–Muller transform alone, for the tests in `normal.rs`.
macro_rules! simd_kernels {
    ($isa:expr, $k:ty, $feature:literal) => {
        pub(crate) static KERNELS: $crate::dispatch::Kernels = $crate::dispatch::Kernels {
            isa: $isa,
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

        /// # Safety
        /// The CPU has the instruction set; shapes agree (`Kernels::gemm` checks).
        #[target_feature(enable = $feature)]
        unsafe fn gemm_entry(
            alpha: f32,
            a: $crate::Mat<'_, f32>,
            b: $crate::Mat<'_, f32>,
            beta: f32,
            mut c: $crate::MatMut<'_, f32>,
        ) {
            if !$crate::gemm::via_gemv(gemv_entry, alpha, a, b, beta, c.rb()) {
                $crate::gemm::gemm::<$k>(alpha, a, b, beta, c);
            }
        }

        /// # Safety
        /// The CPU has the instruction set; shapes agree (`Kernels::gemv` checks).
        #[target_feature(enable = $feature)]
        unsafe fn gemv_entry(
            alpha: f32,
            a: $crate::Mat<'_, f32>,
            x: &[f32],
            beta: f32,
            y: &mut [f32],
        ) {
            $crate::simd::blas::gemv::<$k>(alpha, a, x, beta, y)
        }

        /// # Safety
        /// The CPU has the instruction set; shapes agree (`Kernels::ger` checks).
        #[target_feature(enable = $feature)]
        unsafe fn ger_entry(alpha: f32, x: &[f32], y: &[f32], a: $crate::MatMut<'_, f32>) {
            $crate::simd::blas::ger::<$k>(alpha, x, y, a)
        }

        /// # Safety
        /// The CPU has the instruction set; `x` and `y` have equal lengths.
        #[target_feature(enable = $feature)]
        unsafe fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
            $crate::simd::blas::axpy::<$k>(alpha, x.as_ptr(), y.as_mut_ptr(), y.len())
        }

        /// # Safety
        /// The CPU has the instruction set; `x` and `y` have equal lengths.
        #[target_feature(enable = $feature)]
        unsafe fn dot(x: &[f32], y: &[f32]) -> f32 {
            $crate::simd::blas::dot::<$k>(x, y)
        }

        /// # Safety
        /// The CPU has the instruction set.
        #[target_feature(enable = $feature)]
        unsafe fn scale(alpha: f32, x: &mut [f32]) {
            $crate::simd::blas::scale::<$k>(alpha, x)
        }

        /// # Safety
        /// The CPU has the instruction set; `x` and `y` have equal lengths.
        #[target_feature(enable = $feature)]
        unsafe fn unary(f: $crate::Unary, x: &[f32], y: &mut [f32]) {
            $crate::simd::math::map::<$k>(f, x.as_ptr(), y.as_mut_ptr(), y.len());
        }

        /// # Safety
        /// The CPU has the instruction set.
        #[target_feature(enable = $feature)]
        unsafe fn unary_inplace(f: $crate::Unary, x: &mut [f32]) {
            let p = x.as_mut_ptr();
            $crate::simd::math::map::<$k>(f, p, p, x.len());
        }

        /// # Safety
        /// The CPU has the instruction set; `x` and `y` have equal lengths.
        #[target_feature(enable = $feature)]
        unsafe fn softmax(x: &[f32], y: &mut [f32]) {
            $crate::simd::math::softmax::<$k>(x, y)
        }

        /// # Safety
        /// The CPU has the instruction set; `x` and `y` have equal lengths.
        #[target_feature(enable = $feature)]
        unsafe fn log_softmax(x: &[f32], y: &mut [f32]) {
            $crate::simd::math::log_softmax::<$k>(x, y)
        }

        /// # Safety
        /// The CPU has the instruction set; `offset + out.len()` fits in a `u64`.
        #[target_feature(enable = $feature)]
        unsafe fn normal_fill(seed: u64, offset: u64, sigma: f32, out: &mut [f32]) {
            $crate::normal::fill::<$k>(seed, offset, sigma, out);
        }

        /// The transform alone on given words (for the tests in `normal.rs`).
        ///
        /// # Safety
        /// The CPU has the instruction set; the five slices have one length, a
        /// multiple of the lanes.
        #[cfg(test)]
        #[target_feature(enable = $feature)]
        pub(crate) unsafe fn normal_pairs(
            x: &[u32],
            y: &[u32],
            sigma: f32,
            first: &mut [f32],
            second: &mut [f32],
        ) {
            $crate::simd::normal::pairs::<$k>(x, y, sigma, first, second)
        }
    };
}

pub(crate) use simd_kernels;

/// The methods of a [`Simd`] implementation that are one intrinsic taking
/// the same arguments in the same order, as a table by signature:
/// `[(a: __m256, b: __m256) -> __m256] { add = _mm256_add_ps, sub = … }`.
macro_rules! forward {
    (@one $name:ident = $f:expr, [($($arg:ident: $t:ty),*) $(-> $ret:ty)?]) => {
        #[inline(always)]
        unsafe fn $name($($arg: $t),*) $(-> $ret)? {
            $f($($arg),*)
        }
    };
    () => {};
    ($sig:tt { $($name:ident = $f:expr),+ $(,)? } $($rest:tt)*) => {
        $($crate::simd::forward!(@one $name = $f, $sig);)+
        $crate::simd::forward!($($rest)*);
    };
}

pub(crate) use forward;
