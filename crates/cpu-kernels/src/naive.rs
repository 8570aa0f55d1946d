//! Naive reference kernels: the obvious loops, generic over [`Real`].
//!
//! They are the twin every fast kernel is tested against, and the kernels that
//! `f64` (gradient checks) runs on. Shapes are assumed checked by the caller.

use crate::normal::{Philox, FINE, PHILOX_M};
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

/// Philox4x32-10 (Random123's `philox4x32_10`): the counter-based generator
/// behind [`normal_fill`].
pub fn philox4x32(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let seed = key[0] as u64 | (key[1] as u64) << 32;
    philox_rounds(ctr, &Philox::new(seed))
}

fn philox_rounds(mut x: [u32; 4], philox: &Philox) -> [u32; 4] {
    for k in &philox.keys {
        let p0 = PHILOX_M[0] as u64 * x[0] as u64;
        let p1 = PHILOX_M[1] as u64 * x[2] as u64;
        x = [
            (p1 >> 32) as u32 ^ x[1] ^ k[0],
            p1 as u32,
            (p0 >> 32) as u32 ^ x[3] ^ k[1],
            p0 as u32,
        ];
    }
    x
}

/// The uniform in (0, 1] that the Philox word `x` stands for: `(x + 1)·2⁻³²`
/// below 2²⁴, else `(⌊x/2⁸⌋ + 1)·2⁻²⁴` (see [`normal_fill`]).
pub fn normal_uniform(x: u32) -> f64 {
    if x < FINE {
        (x as f64 + 1.0) * 2f64.powi(-32)
    } else {
        ((x >> 8) as f64 + 1.0) * 2f64.powi(-24)
    }
}

/// The standard normal pair of the Philox words `(x, y)` by Box–Muller, in f64
/// with `std`'s `ln`, `sin` and `cos`.
pub fn normal_pair(x: u32, y: u32) -> [f64; 2] {
    let r = (-2.0 * normal_uniform(x).ln()).sqrt();
    let a = ((y as i32) >> 8) as f64 * (std::f64::consts::FRAC_PI_4 / (1u32 << 23) as f64);
    let (z0, z1) = (r * a.cos(), r * a.sin());
    let z0 = if y & 1 != 0 { -z0 } else { z0 };
    if y & 2 != 0 {
        [z1, z0]
    } else {
        [z0, z1]
    }
}

/// `out[k] = σ·z(seed, offset + k)`, independent N(0, σ²) samples defined in
/// `normal.rs`: block `c = i/4` is Philox4x32-10 of `[c_lo, c_hi, 0, 0]` under
/// `[seed_lo, seed_hi]`, and its words `(w0, w1)`, `(w2, w3)` are the two
/// Box–Muller pairs of samples `4c..4c+2`, `4c+2..4c+4`. Computed in f64.
pub fn normal_fill<T: Real>(seed: u64, offset: u64, sigma: T, out: &mut [T]) {
    let philox = Philox::new(seed);
    let sigma = sigma.to_f64();
    let mut block = None;
    for (i, o) in (offset..).zip(out.iter_mut()) {
        let c = i / 4;
        let w = match block {
            Some((b, w)) if b == c => w,
            _ => {
                let w = philox_rounds([c as u32, (c >> 32) as u32, 0, 0], &philox);
                block = Some((c, w));
                w
            }
        };
        let q = (i % 4 / 2) as usize;
        *o = T::from_f64(sigma * normal_pair(w[2 * q], w[2 * q + 1])[(i % 2) as usize]);
    }
}
