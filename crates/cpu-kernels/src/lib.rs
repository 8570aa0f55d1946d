//! Dense linear-algebra and element-wise kernels for the qmtl engine.
//!
//! Everything the BiLSTM tagger computes at batch size 1 reduces to a handful of
//! kernels: GEMV (`y = αAx + βy`, also with `Aᵀ`), the rank-1 update `A += αxyᵀ`,
//! GEMM on small and medium shapes, element-wise non-linearities, and the
//! Gaussian noise of training ([`normal_fill`]). This crate owns all of them
//! and is the only crate of the workspace that uses `unsafe`.
//!
//! The public API is generic over [`Real`] (`f32` and `f64`) and safe: every
//! function checks lengths and strides first and panics with the shapes in the
//! message on a mismatch (a programming error, never a user error). `f32` goes
//! to the fastest instruction set the CPU has, chosen once at run time (see
//! [`isa`]); `f64` always uses the naive reference kernels in [`naive`], which
//! is what the autograd crate's f64 gradient checks run on.
//!
//! Matrices are described by [`Mat`] (read-only, any strides with one of them
//! equal to 1, so a transpose is free) and [`MatMut`] (row-major with a leading
//! dimension), in the vocabulary of BLAS: `alpha`, `beta`, `ld`.
//!
//! # Instruction sets and dispatch
//!
//! The f32 kernels exist three times, named after the CPU feature they need:
//! `KernelAvx512` (AVX-512F), `KernelAvx2Fma` (AVX2 + FMA3) and `KernelFallback`
//! (plain Rust the compiler autovectorises for the baseline target). The first
//! f32 call picks one, once per process, and caches it ([`isa`]):
//!
//! 1. If the environment variable `QMTL_ISA` ([`ISA_ENV`]) is set to `avx512`,
//!    `avx2` or `fallback` and the CPU supports that set, it is used.
//! 2. Otherwise the best set the CPU supports is used (the order of
//!    [`supported_isas`]). An unknown value, or one the CPU lacks, prints one
//!    warning to stderr and falls back to this rule; it never runs
//!    instructions the CPU does not have. `auto` or an empty value means rule 2.
//!
//! [`kernels`] returns the kernel table of any supported set, so tests and
//! benchmarks can run every path in one process. Results are deterministic:
//! the same inputs on the same instruction set give bit-identical outputs
//! (blocking depends on shapes only, never on addresses or threads); different
//! sets may differ in the last bits because they sum in different orders.
//!
//! `β = 0` never reads the output (NaN there does not leak), as in BLAS.

mod check;
mod dispatch;
mod gemm;
#[cfg(target_arch = "x86_64")]
mod kernel_avx2fma;
#[cfg(target_arch = "x86_64")]
mod kernel_avx512;
mod kernel_fallback;
mod mat;
pub mod naive;
mod normal;
pub mod peak;
mod real;
#[cfg(target_arch = "x86_64")]
mod simd;

pub use dispatch::{isa, kernels, resolve_isa, supported_isas, Isa, Kernels, ISA_ENV};
pub use mat::{Mat, MatMut};
pub use real::Real;

/// `C = α·A·B + β·C`, where `A` is `m×k`, `B` is `k×n` and `C` is `m×n`.
///
/// Pass `a.t()` or `b.t()` for the transposed products. With `β = 0` the old
/// contents of `C` are never read (NaN in `C` does not leak into the result).
pub fn gemm<T: Real>(alpha: T, a: Mat<'_, T>, b: Mat<'_, T>, beta: T, c: MatMut<'_, T>) {
    check::gemm(&a, &b, &c);
    T::gemm(alpha, a, b, beta, c)
}

/// `y = α·A·x + β·y`, where `A` is `m×n` (pass `a.t()` for `Aᵀx`).
///
/// With `β = 0` the old contents of `y` are never read.
pub fn gemv<T: Real>(alpha: T, a: Mat<'_, T>, x: &[T], beta: T, y: &mut [T]) {
    check::gemv(&a, x, y);
    T::gemv(alpha, a, x, beta, y)
}

/// Rank-1 update `A += α·x·yᵀ`, where `A` is `len(x)×len(y)`.
pub fn ger<T: Real>(alpha: T, x: &[T], y: &[T], a: MatMut<'_, T>) {
    check::ger(x, y, &a);
    T::ger(alpha, x, y, a)
}

/// `y += α·x`.
pub fn axpy<T: Real>(alpha: T, x: &[T], y: &mut [T]) {
    assert_eq!(
        x.len(),
        y.len(),
        "axpy: x[{}] and y[{}] differ",
        x.len(),
        y.len()
    );
    T::axpy(alpha, x, y)
}

/// `Σ xᵢ·yᵢ`.
pub fn dot<T: Real>(x: &[T], y: &[T]) -> T {
    assert_eq!(
        x.len(),
        y.len(),
        "dot: x[{}] and y[{}] differ",
        x.len(),
        y.len()
    );
    T::dot(x, y)
}

/// `x *= α`.
pub fn scale<T: Real>(alpha: T, x: &mut [T]) {
    T::scale(alpha, x)
}

/// The element-wise functions the tagger needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unary {
    /// `1 / (1 + e^-x)`
    Sigmoid,
    /// `tanh x`
    Tanh,
    /// `e^x`
    Exp,
    /// `max(x, 0)`
    Relu,
}

/// `yᵢ = f(xᵢ)` for an element-wise `f`.
pub fn unary<T: Real>(f: Unary, x: &[T], y: &mut [T]) {
    assert_eq!(
        x.len(),
        y.len(),
        "{f:?}: x[{}] and y[{}] differ",
        x.len(),
        y.len()
    );
    T::unary(f, x, y)
}

/// `xᵢ = f(xᵢ)` for an element-wise `f`.
pub fn unary_inplace<T: Real>(f: Unary, x: &mut [T]) {
    T::unary_inplace(f, x)
}

/// `y = softmax(x)`, computed stably (the maximum is subtracted first).
pub fn softmax<T: Real>(x: &[T], y: &mut [T]) {
    assert_eq!(
        x.len(),
        y.len(),
        "softmax: x[{}] and y[{}] differ",
        x.len(),
        y.len()
    );
    T::softmax(x, y)
}

/// `y = log softmax(x) = x - max - ln Σ e^(x - max)`.
pub fn log_softmax<T: Real>(x: &[T], y: &mut [T]) {
    assert_eq!(
        x.len(),
        y.len(),
        "log_softmax: x[{}] and y[{}] differ",
        x.len(),
        y.len()
    );
    T::log_softmax(x, y)
}

/// Fills `out` with independent N(0, σ²) samples that are a pure function of
/// `(seed, index)`: `out[k] = σ·z(seed, k)`.
///
/// Counter-based (Philox4x32-10 bits, Box–Muller transform; the definition is
/// in `normal.rs` and [`naive::normal_fill`]), so the same seed gives the same
/// samples however the output is chunked (see [`normal_fill_at`]), and two
/// seeds give unrelated streams. `|z| <= 6.67`, so every sample is finite
/// when `6.67·σ` is. f32 runs on the active instruction set: one instruction
/// set is bit-reproducible, different ones differ by polynomial rounding
/// (below 1e-6·(1 + |z|)·σ); f64 evaluates the same definition with `std`'s
/// `ln`, `sin` and `cos`.
pub fn normal_fill<T: Real>(seed: u64, sigma: T, out: &mut [T]) {
    normal_fill_at(seed, 0, sigma, out)
}

/// `out[k] = σ·z(seed, offset + k)`: the samples `offset .. offset + len` of
/// the stream of [`normal_fill`], bit-identical to the same range of one big
/// call. Panics if `offset + out.len()` overflows a `u64`.
pub fn normal_fill_at<T: Real>(seed: u64, offset: u64, sigma: T, out: &mut [T]) {
    normal::check_range(offset, out.len());
    T::normal_fill(seed, offset, sigma, out)
}
