//! Naive reference kernels: the obvious loops, generic over [`Real`].
//!
//! They are the twin every fast kernel is tested against, and the kernels that
//! `f64` (gradient checks) runs on. Shapes are assumed checked by the caller.

use crate::{Mat, MatMut, Real, Unary};

/// `C = α·A·B + β·C` by the triple loop; `β = 0` never reads `C`.
pub fn gemm<T: Real>(alpha: T, a: Mat<'_, T>, b: Mat<'_, T>, beta: T, mut c: MatMut<'_, T>) {
    let (m, n, k) = (c.rows(), c.cols(), a.cols());
    let ld = c.ld();
    let cd = c.data();
    for i in 0..m {
        for j in 0..n {
            let mut s = T::ZERO;
            for p in 0..k {
                s += a.at(i, p) * b.at(p, j);
            }
            let out = &mut cd[i * ld + j];
            *out = if beta == T::ZERO {
                alpha * s
            } else {
                alpha * s + beta * *out
            };
        }
    }
}

/// `y = α·A·x + β·y`; `β = 0` never reads `y`.
pub fn gemv<T: Real>(alpha: T, a: Mat<'_, T>, x: &[T], beta: T, y: &mut [T]) {
    for (i, yi) in y.iter_mut().enumerate() {
        let mut s = T::ZERO;
        for (j, &xj) in x.iter().enumerate() {
            s += a.at(i, j) * xj;
        }
        *yi = if beta == T::ZERO {
            alpha * s
        } else {
            alpha * s + beta * *yi
        };
    }
}

/// `A += α·x·yᵀ`.
pub fn ger<T: Real>(alpha: T, x: &[T], y: &[T], mut a: MatMut<'_, T>) {
    let ld = a.ld();
    let ad = a.data();
    for (i, &xi) in x.iter().enumerate() {
        for (j, &yj) in y.iter().enumerate() {
            ad[i * ld + j] += alpha * xi * yj;
        }
    }
}

/// `y += α·x`.
pub fn axpy<T: Real>(alpha: T, x: &[T], y: &mut [T]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// `Σ xᵢ·yᵢ`.
pub fn dot<T: Real>(x: &[T], y: &[T]) -> T {
    x.iter().zip(y).map(|(&a, &b)| a * b).sum()
}

/// `x *= α`.
pub fn scale<T: Real>(alpha: T, x: &mut [T]) {
    for xi in x {
        *xi *= alpha;
    }
}

/// `f(x)` for one element, straight from the definition.
pub fn apply<T: Real>(f: Unary, x: T) -> T {
    match f {
        Unary::Sigmoid => T::ONE / (T::ONE + (-x).exp()),
        Unary::Tanh => x.tanh(),
        Unary::Exp => x.exp(),
        Unary::Relu => {
            if x > T::ZERO {
                x
            } else {
                T::ZERO
            }
        }
    }
}

/// `yᵢ = f(xᵢ)`.
pub fn unary<T: Real>(f: Unary, x: &[T], y: &mut [T]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = apply(f, xi);
    }
}

/// `xᵢ = f(xᵢ)`.
pub fn unary_inplace<T: Real>(f: Unary, x: &mut [T]) {
    for xi in x {
        *xi = apply(f, *xi);
    }
}

fn max_of<T: Real>(x: &[T]) -> T {
    x.iter()
        .copied()
        .fold(T::from_f64(f64::NEG_INFINITY), T::max)
}

/// `y = softmax(x)` with the maximum subtracted first.
pub fn softmax<T: Real>(x: &[T], y: &mut [T]) {
    let m = max_of(x);
    let mut z = T::ZERO;
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = (xi - m).exp();
        z += *yi;
    }
    let inv = T::ONE / z;
    for yi in y {
        *yi *= inv;
    }
}

/// `y = x - max - ln Σ e^(x - max)`.
pub fn log_softmax<T: Real>(x: &[T], y: &mut [T]) {
    let m = max_of(x);
    let z: T = x.iter().map(|&xi| (xi - m).exp()).sum();
    // (x - max) first: x - (max + ln z) would round max + ln z at the scale of max.
    let lz = z.ln();
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = (xi - m) - lz;
    }
}
