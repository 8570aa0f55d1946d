//! The element types the kernels run on: `f32` (SIMD, the engine's type) and
//! `f64` (naive kernels; what gradient checks run in).
//! f32 goes through the runtime-dispatched kernel table, f64 to [`naive`].

use crate::{dispatch, naive, Mat, MatMut, Unary};
use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A floating-point element type with the kernels of this crate.
///
/// The kernel methods are the unchecked entry points behind the crate's safe
/// functions ([`crate::gemm`] and friends, which check shapes first): call those.
pub trait Real:
    Copy
    + Default
    + Debug
    + Display
    + PartialEq
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
{
    const ZERO: Self;
    const ONE: Self;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn tanh(self) -> Self;
    fn sqrt(self) -> Self;
    fn abs(self) -> Self;
    fn max(self, other: Self) -> Self;
    fn is_finite(self) -> bool;

    #[doc(hidden)]
    fn gemm(alpha: Self, a: Mat<'_, Self>, b: Mat<'_, Self>, beta: Self, c: MatMut<'_, Self>);
    #[doc(hidden)]
    fn gemv(alpha: Self, a: Mat<'_, Self>, x: &[Self], beta: Self, y: &mut [Self]);
    #[doc(hidden)]
    fn ger(alpha: Self, x: &[Self], y: &[Self], a: MatMut<'_, Self>);
    #[doc(hidden)]
    fn axpy(alpha: Self, x: &[Self], y: &mut [Self]);
    #[doc(hidden)]
    fn dot(x: &[Self], y: &[Self]) -> Self;
    #[doc(hidden)]
    fn scale(alpha: Self, x: &mut [Self]);
    #[doc(hidden)]
    fn unary(f: Unary, x: &[Self], y: &mut [Self]);
    #[doc(hidden)]
    fn unary_inplace(f: Unary, x: &mut [Self]);
    #[doc(hidden)]
    fn softmax(x: &[Self], y: &mut [Self]);
    #[doc(hidden)]
    fn log_softmax(x: &[Self], y: &mut [Self]);
    #[doc(hidden)]
    fn normal_fill(seed: u64, offset: u64, sigma: Self, out: &mut [Self]);
}

macro_rules! scalar_math {
    ($t:ty) => {
        const ZERO: Self = 0.0;
        const ONE: Self = 1.0;
        #[inline]
        fn from_f64(x: f64) -> Self {
            x as $t
        }
        #[inline]
        fn to_f64(self) -> f64 {
            self as f64
        }
        #[inline]
        fn exp(self) -> Self {
            <$t>::exp(self)
        }
        #[inline]
        fn ln(self) -> Self {
            <$t>::ln(self)
        }
        #[inline]
        fn tanh(self) -> Self {
            <$t>::tanh(self)
        }
        #[inline]
        fn sqrt(self) -> Self {
            <$t>::sqrt(self)
        }
        #[inline]
        fn abs(self) -> Self {
            <$t>::abs(self)
        }
        #[inline]
        fn max(self, other: Self) -> Self {
            <$t>::max(self, other)
        }
        #[inline]
        fn is_finite(self) -> bool {
            <$t>::is_finite(self)
        }
    };
}

/// Routes every kernel to the naive reference implementation.
macro_rules! naive_kernels {
    () => {
        fn gemm(alpha: Self, a: Mat<'_, Self>, b: Mat<'_, Self>, beta: Self, c: MatMut<'_, Self>) {
            naive::gemm(alpha, a, b, beta, c)
        }
        fn gemv(alpha: Self, a: Mat<'_, Self>, x: &[Self], beta: Self, y: &mut [Self]) {
            naive::gemv(alpha, a, x, beta, y)
        }
        fn ger(alpha: Self, x: &[Self], y: &[Self], a: MatMut<'_, Self>) {
            naive::ger(alpha, x, y, a)
        }
        fn axpy(alpha: Self, x: &[Self], y: &mut [Self]) {
            naive::axpy(alpha, x, y)
        }
        fn dot(x: &[Self], y: &[Self]) -> Self {
            naive::dot(x, y)
        }
        fn scale(alpha: Self, x: &mut [Self]) {
            naive::scale(alpha, x)
        }
        fn unary(f: Unary, x: &[Self], y: &mut [Self]) {
            naive::unary(f, x, y)
        }
        fn unary_inplace(f: Unary, x: &mut [Self]) {
            naive::unary_inplace(f, x)
        }
        fn softmax(x: &[Self], y: &mut [Self]) {
            naive::softmax(x, y)
        }
        fn log_softmax(x: &[Self], y: &mut [Self]) {
            naive::log_softmax(x, y)
        }
        fn normal_fill(seed: u64, offset: u64, sigma: Self, out: &mut [Self]) {
            naive::normal_fill(seed, offset, sigma, out)
        }
    };
}

impl Real for f64 {
    scalar_math!(f64);
    naive_kernels!();
}

/// f32 runs on the instruction set chosen once per process ([`crate::isa`]);
/// the table's methods check shapes again, so these stay sound when called
/// directly.
impl Real for f32 {
    scalar_math!(f32);
    fn gemm(alpha: Self, a: Mat<'_, Self>, b: Mat<'_, Self>, beta: Self, c: MatMut<'_, Self>) {
        dispatch::active().gemm(alpha, a, b, beta, c)
    }
    fn gemv(alpha: Self, a: Mat<'_, Self>, x: &[Self], beta: Self, y: &mut [Self]) {
        dispatch::active().gemv(alpha, a, x, beta, y)
    }
    fn ger(alpha: Self, x: &[Self], y: &[Self], a: MatMut<'_, Self>) {
        dispatch::active().ger(alpha, x, y, a)
    }
    fn axpy(alpha: Self, x: &[Self], y: &mut [Self]) {
        dispatch::active().axpy(alpha, x, y)
    }
    fn dot(x: &[Self], y: &[Self]) -> Self {
        dispatch::active().dot(x, y)
    }
    fn scale(alpha: Self, x: &mut [Self]) {
        dispatch::active().scale(alpha, x)
    }
    fn unary(f: Unary, x: &[Self], y: &mut [Self]) {
        dispatch::active().unary(f, x, y)
    }
    fn unary_inplace(f: Unary, x: &mut [Self]) {
        dispatch::active().unary_inplace(f, x)
    }
    fn softmax(x: &[Self], y: &mut [Self]) {
        dispatch::active().softmax(x, y)
    }
    fn log_softmax(x: &[Self], y: &mut [Self]) {
        dispatch::active().log_softmax(x, y)
    }
    fn normal_fill(seed: u64, offset: u64, sigma: Self, out: &mut [Self]) {
        dispatch::active().normal_fill_at(seed, offset, sigma, out)
    }
}
