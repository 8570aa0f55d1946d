//! The element-wise functions for any [`Simd`] width: `exp`, `tanh`,
//! `sigmoid`, `relu` over a slice (ragged tails under a mask), and the stable
//! `softmax` and `log_softmax`. The polynomials and constants are those of
//! `kernel_fallback` (Cephes `expf`/`tanhf`), so every instruction set
//! computes the same scheme; only `2ⁿ` ([`Simd::mul_pow2`]) is per ISA.

use super::{blas, Simd};
use crate::kernel_fallback::{EXP_HI, EXP_LO, EXP_P, LN2_HI, LN2_LO, LOG2E, TANH_P, TANH_SMALL};
use crate::Unary;

/// `e^x` to about 1 ulp (see `kernel_fallback::exp` for the scheme).
///
/// # Safety
/// The CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn exp<S: Simd>(x: S::V) -> S::V {
    // Constant first: on a NaN `vmaxps`/`vminps` return the second operand.
    let x = S::max(S::splat(EXP_LO), x);
    let x = S::min(S::splat(EXP_HI), x);
    let n = S::round(S::mul(x, S::splat(LOG2E)));
    let r = S::fnmadd(n, S::splat(LN2_HI), x);
    let r = S::fnmadd(n, S::splat(LN2_LO), r);
    let mut p = S::splat(EXP_P[0]);
    for &c in &EXP_P[1..] {
        p = S::fmadd(p, r, S::splat(c));
    }
    let p = S::add(S::fmadd(p, S::mul(r, r), r), S::splat(1.0));
    S::mul_pow2(p, n)
}

/// `tanh x`: an odd polynomial below [`TANH_SMALL`], `1 - 2/(e^2|x| + 1)`
/// with the sign of `x` above.
///
/// # Safety
/// The CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn tanh<S: Simd>(x: S::V) -> S::V {
    let ax = S::abs(x);
    let z = S::mul(x, x);
    let mut p = S::splat(TANH_P[0]);
    for &c in &TANH_P[1..] {
        p = S::fmadd(p, z, S::splat(c));
    }
    let small = S::fmadd(S::mul(p, z), x, x);
    let one = S::splat(1.0);
    let e = exp::<S>(S::add(ax, ax));
    let big = S::sub(one, S::div(S::splat(2.0), S::add(e, one)));
    let big = S::with_sign_of(big, x);
    let is_small = S::lt(ax, S::splat(TANH_SMALL));
    S::select(is_small, small, big)
}

/// `1 / (1 + e^-x)`.
///
/// # Safety
/// The CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn sigmoid<S: Simd>(x: S::V) -> S::V {
    let one = S::splat(1.0);
    S::div(one, S::add(one, exp::<S>(S::sub(S::zero(), x))))
}

/// `max(x, 0)`.
///
/// # Safety
/// The CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn relu<S: Simd>(x: S::V) -> S::V {
    // NaN gives 0, as in the naive `if x > 0 { x } else { 0 }`.
    S::max(x, S::zero())
}

/// Runs `f` over `n` floats from `x` into `y` (which may alias `x`).
///
/// # Safety
/// `x` is valid for `n` reads and `y` for `n` writes; the CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn map<S: Simd>(f: Unary, x: *const f32, y: *mut f32, n: usize) {
    // A macro, not a closure: closures are not reliably inlined into the
    // `#[target_feature]` caller, and an out-of-line intrinsic is slow.
    macro_rules! each {
        ($f:expr) => {{
            let mut i = 0;
            while i + S::LANES <= n {
                S::store(y.add(i), $f(S::load(x.add(i))));
                i += S::LANES;
            }
            if i < n {
                let m = S::mask(n - i);
                S::store_masked(y.add(i), m, $f(S::load_masked(x.add(i), m)));
            }
        }};
    }
    match f {
        Unary::Sigmoid => each!(sigmoid::<S>),
        Unary::Tanh => each!(tanh::<S>),
        Unary::Exp => each!(exp::<S>),
        Unary::Relu => each!(relu::<S>),
    }
}

/// The maximum of `x` (`-inf` when empty).
///
/// # Safety
/// The CPU has `S`.
#[inline(always)]
unsafe fn max<S: Simd>(x: &[f32]) -> f32 {
    let (xp, n) = (x.as_ptr(), x.len());
    let mut acc = S::splat(f32::NEG_INFINITY);
    let mut i = 0;
    while i < n {
        let m = S::mask((n - i).min(S::LANES));
        acc = S::max_lanes(acc, xp.add(i), m);
        i += S::LANES;
    }
    S::hmax(acc)
}

/// `Σ e^(xᵢ - m)`, also storing the terms in `y` when given.
///
/// # Safety
/// `y`, when given, is valid for `len(x)` writes; the CPU has `S`.
#[inline(always)]
unsafe fn sum_exp<S: Simd>(x: &[f32], mx: f32, y: Option<*mut f32>) -> f32 {
    let (xp, n, mv) = (x.as_ptr(), x.len(), S::splat(mx));
    let mut acc = S::zero();
    let mut i = 0;
    while i < n {
        let m = S::mask((n - i).min(S::LANES));
        let e = exp::<S>(S::sub(S::load_masked(xp.add(i), m), mv));
        acc = S::add_lanes(acc, e, m);
        if let Some(y) = y {
            S::store_masked(y.add(i), m, e);
        }
        i += S::LANES;
    }
    S::hsum(acc)
}

/// `y = softmax(x)`.
///
/// # Safety
/// `len(x) == len(y)`; the CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn softmax<S: Simd>(x: &[f32], y: &mut [f32]) {
    let z = sum_exp::<S>(x, max::<S>(x), Some(y.as_mut_ptr()));
    blas::scale::<S>(1.0 / z, y);
}

/// `y = log softmax(x)`.
///
/// # Safety
/// `len(x) == len(y)`; the CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn log_softmax<S: Simd>(x: &[f32], y: &mut [f32]) {
    // (x - max) - ln z rather than x - (max + ln z): exact where x is near max.
    let mx = max::<S>(x);
    let (mv, lz) = (S::splat(mx), S::splat(sum_exp::<S>(x, mx, None).ln()));
    let (xp, yp, n) = (x.as_ptr(), y.as_mut_ptr(), x.len());
    let mut i = 0;
    while i < n {
        let m = S::mask((n - i).min(S::LANES));
        let d = S::sub(S::load_masked(xp.add(i), m), mv);
        S::store_masked(yp.add(i), m, S::sub(d, lz));
        i += S::LANES;
    }
}
