//! `KernelFallback`: the f32 kernels for any CPU, in plain Rust shaped for the
//! compiler's autovectoriser (fixed-width lane arrays, branch-free math), so
//! the baseline target (SSE2 on x86-64) still gets vector code.
//!
//! The element-wise functions here are the same polynomial approximations as
//! the AVX paths (Cephes `expf`/`tanhf` coefficients), written so one element
//! is computed by the same operations wherever it sits in the slice: results do
//! not depend on length or alignment.

use crate::dispatch::Kernels;
use crate::gemm::{self, Dots, Microkernel, Tile};
use crate::normal::{self, NormalBlocks, Philox};
use crate::normal::{ANGLE_STEP, COARSE_STEP, COS_P, FINE, FINE_STEP, LOG_P, PHILOX_M};
use crate::normal::{SIN_P, SQRT_HALF_BITS};
use crate::{Isa, Mat, MatMut, Unary};

/// Lanes of the accumulator arrays (two SSE registers).
const L: usize = 8;

pub(crate) static KERNELS: Kernels = Kernels {
    isa: Isa::Fallback,
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

/// The 4×8 register tile of the fallback GEMM.
pub(crate) struct KernelFallback;

const MR: usize = KernelFallback::MR;
const NR: usize = KernelFallback::NR;

impl Microkernel for KernelFallback {
    const MR: usize = 4;
    const NR: usize = 8;
    const MC: usize = 128;
    const STORES_BY_ELEMENT: bool = true;

    fn rows(_mr: usize) -> usize {
        MR
    }

    fn dots_win(_m: usize, n: usize, k: usize) -> bool {
        // Measured: only a narrow C (one block of 4 dot products per row of
        // A) beats packing at 8 lanes.
        n <= 4 && k >= 8
    }

    unsafe fn tile(t: &Tile) {
        if t.nr == NR || t.b_packed {
            tile_nr::<true>(t)
        } else {
            tile_nr::<false>(t)
        }
    }

    unsafe fn pack_bt(dst: *mut f32, b: *const f32, ldb: usize, kc: usize, nr: usize) {
        gemm::pack_bt_columns::<NR>(dst, b, ldb, kc, nr);
    }

    unsafe fn dots(d: &Dots) {
        let row = |base: *const f32, ld: usize, i: usize| {
            std::slice::from_raw_parts(base.add(i * ld), d.k)
        };
        for i in 0..d.m {
            let a = row(d.a, d.lda, i);
            for j in (0..d.n).step_by(4) {
                let rb = 4.min(d.n - j);
                let b = gemm::dot_rows_of::<4>(d.b, d.ldb, j, rb);
                let b = b.map(|b| std::slice::from_raw_parts(b, d.k));
                let sums = dot_rows(b, a);
                for (s, &sum) in sums.iter().enumerate().take(rb) {
                    finish(d.alpha, sum, d.beta, &mut *d.c.add(i * d.ldc + j + s));
                }
            }
        }
    }
}

/// One tile; `WHOLE`: every row of `B` has NR readable floats, otherwise
/// only `nr` (ragged columns read in place).
///
/// # Safety
/// As for [`Microkernel::tile`].
#[inline(always)]
unsafe fn tile_nr<const WHOLE: bool>(t: &Tile) {
    let mut acc = [[0.0f32; NR]; MR];
    for p in 0..t.k {
        let row = t.b.add(p * t.rsb);
        let b: [f32; NR] = if WHOLE {
            std::ptr::read_unaligned(row.cast())
        } else {
            let mut b = [0.0f32; NR];
            for (j, b) in b.iter_mut().enumerate().take(t.nr) {
                *b = *row.add(j);
            }
            b
        };
        for (r, row) in acc.iter_mut().enumerate() {
            let a = *t.a.add(r * t.rsa + p * t.csa);
            for (acc, &b) in row.iter_mut().zip(&b) {
                *acc += a * b;
            }
        }
    }
    for row in &mut acc {
        for v in row {
            *v *= t.alpha;
        }
    }
    gemm::store_strided(acc.as_flattened(), NR, t);
}

/// # Safety
/// Shapes checked by the caller (see [`Kernels`]).
unsafe fn gemm_entry(
    alpha: f32,
    a: Mat<'_, f32>,
    b: Mat<'_, f32>,
    beta: f32,
    mut c: MatMut<'_, f32>,
) {
    if !gemm::via_gemv(gemv_entry, alpha, a, b, beta, c.rb()) {
        gemm::gemm::<KernelFallback>(alpha, a, b, beta, c);
    }
}

/// `out = α·s + β·out`, never reading `out` when `β = 0`.
#[inline(always)]
fn finish(alpha: f32, s: f32, beta: f32, out: &mut f32) {
    *out = if beta == 0.0 {
        alpha * s
    } else {
        alpha * s + beta * *out
    };
}

/// Sums the lanes of an accumulator in a fixed order.
#[inline(always)]
fn hsum(v: [f32; L]) -> f32 {
    ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]))
}

/// `R` dot products of rows with `x`, sharing the loads of `x`.
#[inline(always)]
fn dot_rows<const R: usize>(rows: [&[f32]; R], x: &[f32]) -> [f32; R] {
    let n = x.len();
    let body = n - n % L;
    let mut acc = [[0.0f32; L]; R];
    for c in (0..body).step_by(L) {
        let xv: &[f32; L] = x[c..c + L].try_into().unwrap();
        for (acc, row) in acc.iter_mut().zip(&rows) {
            let rv: &[f32; L] = row[c..c + L].try_into().unwrap();
            for l in 0..L {
                acc[l] += rv[l] * xv[l];
            }
        }
    }
    let mut out = [0.0f32; R];
    for ((o, acc), row) in out.iter_mut().zip(acc).zip(&rows) {
        let mut s = hsum(acc);
        for c in body..n {
            s += row[c] * x[c];
        }
        *o = s;
    }
    out
}

fn gemv_entry(alpha: f32, a: Mat<'_, f32>, x: &[f32], beta: f32, y: &mut [f32]) {
    let (m, n) = (a.rows(), a.cols());
    let data = a.data();
    if n == 0 {
        gemm::gemv_no_columns(beta, y);
    } else if a.col_stride() == 1 || n <= 1 {
        // y = A·x with rows of A contiguous: dot products, four rows at a time.
        let lda = a.row_stride();
        let row = |i: usize| &data[i * lda..i * lda + n];
        let mut i = 0;
        while i + 4 <= m {
            let s = dot_rows([row(i), row(i + 1), row(i + 2), row(i + 3)], x);
            for (r, s) in s.into_iter().enumerate() {
                finish(alpha, s, beta, &mut y[i + r]);
            }
            i += 4;
        }
        for (i, out) in y.iter_mut().enumerate().skip(i) {
            finish(alpha, dot_rows([row(i)], x)[0], beta, out);
        }
    } else {
        // y = Uᵀ·x where U (n×m) = Aᵀ is row-major: sum of scaled rows of U.
        let ldu = a.col_stride();
        const W: usize = 4 * L;
        for c0 in (0..m).step_by(W) {
            let w = W.min(m - c0);
            let mut acc = [0.0f32; W];
            for (j, &xj) in x.iter().enumerate() {
                let u = &data[j * ldu + c0..j * ldu + c0 + w];
                if let Ok(u) = <&[f32; W]>::try_from(u) {
                    for l in 0..W {
                        acc[l] += xj * u[l];
                    }
                } else {
                    for (acc, &u) in acc.iter_mut().zip(u) {
                        *acc += xj * u;
                    }
                }
            }
            for (out, &s) in y[c0..c0 + w].iter_mut().zip(&acc) {
                finish(alpha, s, beta, out);
            }
        }
    }
}

fn ger_entry(alpha: f32, x: &[f32], y: &[f32], mut a: MatMut<'_, f32>) {
    let (n, ld) = (a.cols(), a.ld());
    let data = a.data();
    for (i, &xi) in x.iter().enumerate() {
        axpy(alpha * xi, y, &mut data[i * ld..i * ld + n]);
    }
}

fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += alpha * x;
    }
}

fn dot(x: &[f32], y: &[f32]) -> f32 {
    dot_rows([x], y)[0]
}

fn scale(alpha: f32, x: &mut [f32]) {
    for x in x {
        *x *= alpha;
    }
}

/// Cephes `expf` range reduction and polynomial, clamped so that `2ⁿ` is
/// applied in two normal halves: overflow gives `inf`, underflow gives the
/// subnormal or zero, NaN stays NaN.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    let x = if x < EXP_LO { EXP_LO } else { x };
    let x = if x > EXP_HI { EXP_HI } else { x };
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = x - n * LN2_HI;
    let r = r - n * LN2_LO;
    let mut p = EXP_P[0];
    for c in &EXP_P[1..] {
        p = p * r + c;
    }
    let p = p * (r * r) + r + 1.0;
    let n = n as i32;
    let (n1, n2) = (n >> 1, n - (n >> 1));
    p * f32::from_bits(((n1 + 127) as u32) << 23) * f32::from_bits(((n2 + 127) as u32) << 23)
}

/// `tanh x`: Cephes' odd polynomial below 0.625, `1 - 2/(e^{2|x|} + 1)` above.
#[inline(always)]
pub(crate) fn tanh(x: f32) -> f32 {
    let ax = x.abs();
    let z = x * x;
    let mut p = TANH_P[0];
    for c in &TANH_P[1..] {
        p = p * z + c;
    }
    let small = p * z * x + x;
    let big = (1.0 - 2.0 / (exp(2.0 * ax) + 1.0)).copysign(x);
    if ax < TANH_SMALL {
        small
    } else {
        big
    }
}

#[inline(always)]
pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

#[inline(always)]
fn relu(x: f32) -> f32 {
    if x > 0.0 {
        x
    } else {
        0.0
    }
}

/// Below this `e^x` is zero even as a subnormal; above `EXP_HI` it is `inf`.
pub(crate) const EXP_LO: f32 = -104.0;
pub(crate) const EXP_HI: f32 = 89.0;
pub(crate) const LOG2E: f32 = std::f32::consts::LOG2_E;
/// `1.5·2²³`: adding and subtracting it rounds to the nearest integer.
const ROUND: f32 = 12_582_912.0;
/// `ln 2` split so that `n·LN2_HI` is exact for `|n| < 2¹⁵`.
pub(crate) const LN2_HI: f32 = 0.693_359_4;
pub(crate) const LN2_LO: f32 = -2.121_944_4e-4;
/// Cephes `expf` coefficients, highest degree first.
pub(crate) const EXP_P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    5e-1,
];
/// Cephes `tanhf` coefficients, highest degree first.
pub(crate) const TANH_P: [f32; 5] = [
    -5.704_988_7e-3,
    2.063_909e-2,
    -5.373_971_6e-2,
    1.333_144_2e-1,
    -3.333_328e-1,
];
pub(crate) const TANH_SMALL: f32 = 0.625;

/// Applies `f` lane-wise over `L`-wide blocks; the ragged end goes through a
/// padded block so every element sees the same code.
#[inline(always)]
fn map(x: &[f32], y: &mut [f32], f: impl Fn(f32) -> f32 + Copy) {
    let mut xs = x.chunks_exact(L);
    let mut ys = y.chunks_exact_mut(L);
    for (xc, yc) in (&mut xs).zip(&mut ys) {
        for l in 0..L {
            yc[l] = f(xc[l]);
        }
    }
    let (xr, yr) = (xs.remainder(), ys.into_remainder());
    let mut buf = [0.0f32; L];
    buf[..xr.len()].copy_from_slice(xr);
    for b in &mut buf {
        *b = f(*b);
    }
    yr.copy_from_slice(&buf[..yr.len()]);
}

fn map_inplace(x: &mut [f32], f: impl Fn(f32) -> f32 + Copy) {
    let mut xs = x.chunks_exact_mut(L);
    for xc in &mut xs {
        for v in xc {
            *v = f(*v);
        }
    }
    let xr = xs.into_remainder();
    let mut buf = [0.0f32; L];
    buf[..xr.len()].copy_from_slice(xr);
    for b in &mut buf {
        *b = f(*b);
    }
    let n = xr.len();
    xr.copy_from_slice(&buf[..n]);
}

fn unary(f: Unary, x: &[f32], y: &mut [f32]) {
    match f {
        Unary::Sigmoid => map(x, y, sigmoid),
        Unary::Tanh => map(x, y, tanh),
        Unary::Exp => map(x, y, exp),
        Unary::Relu => map(x, y, relu),
    }
}

fn unary_inplace(f: Unary, x: &mut [f32]) {
    match f {
        Unary::Sigmoid => map_inplace(x, sigmoid),
        Unary::Tanh => map_inplace(x, tanh),
        Unary::Exp => map_inplace(x, exp),
        Unary::Relu => map_inplace(x, relu),
    }
}

/// The maximum, `-inf` for an empty slice (NaNs are skipped, as in `f32::max`).
fn max(x: &[f32]) -> f32 {
    let mut m = [f32::NEG_INFINITY; L];
    let mut xs = x.chunks_exact(L);
    for c in &mut xs {
        for l in 0..L {
            m[l] = if c[l] > m[l] { c[l] } else { m[l] };
        }
    }
    let m = xs
        .remainder()
        .iter()
        .fold(m.into_iter().fold(f32::NEG_INFINITY, f32::max), |a, &b| {
            a.max(b)
        });
    m
}

/// `Σ e^(xᵢ - m)`, writing the terms to `y`.
fn exp_shifted(x: &[f32], m: f32, y: &mut [f32]) -> f32 {
    map(x, y, |v| exp(v - m));
    let mut acc = [0.0f32; L];
    let mut ys = y.chunks_exact(L);
    for c in &mut ys {
        for l in 0..L {
            acc[l] += c[l];
        }
    }
    ys.remainder().iter().fold(hsum(acc), |s, &v| s + v)
}

fn softmax(x: &[f32], y: &mut [f32]) {
    let m = max(x);
    let z = exp_shifted(x, m, y);
    scale(1.0 / z, y);
}

fn log_softmax(x: &[f32], y: &mut [f32]) {
    // (x - max) - ln z rather than x - (max + ln z): exact where x is near max.
    let m = max(x);
    let lz = exp_shifted(x, m, y).ln();
    for (y, &x) in y.iter_mut().zip(x) {
        *y = (x - m) - lz;
    }
}

// ---------------------------------------------------------------- normal

/// Eight Philox blocks (32 samples) per call, in lane arrays the compiler
/// vectorises (`pmuludq` for Philox, `sqrtps` and friends for the transform).
struct NormalFallback;

/// Blocks per call.
const NB: usize = 8;

impl NormalBlocks for NormalFallback {
    const BLOCKS: usize = NB;

    #[inline(always)]
    unsafe fn blocks(philox: &Philox, sigma: f32, c: u64, out: *mut f32) {
        // SAFETY: the caller hands out room for 4·NB samples.
        let out = std::slice::from_raw_parts_mut(out, 4 * NB);
        let w = philox_blocks(philox, c);
        // Lane 2b + q: pair q of block b, i.e. words (2q, 2q + 1).
        let (mut x, mut y) = ([0u32; 2 * NB], [0u32; 2 * NB]);
        for b in 0..NB {
            [x[2 * b], x[2 * b + 1]] = [w[0][b], w[2][b]];
            [y[2 * b], y[2 * b + 1]] = [w[1][b], w[3][b]];
        }
        let (z0, z1) = box_muller(&x, &y, sigma);
        for l in 0..2 * NB {
            out[2 * l] = z0[l];
            out[2 * l + 1] = z1[l];
        }
    }
}

/// Philox4x32-10 of blocks `c .. c + NB`: `w[word][block]`. Two blocks at a
/// time with the words in `u64` lanes, masked to 32 bits before each
/// multiply: the shape the SLP vectoriser turns into `pmuludq`, as the AVX
/// paths do by hand.
#[inline(always)]
fn philox_blocks(philox: &Philox, c: u64) -> [[u32; NB]; 4] {
    const LO: u64 = 0xffff_ffff;
    let (m0, m1) = (PHILOX_M[0] as u64, PHILOX_M[1] as u64);
    let mut w = [[0u32; NB]; 4];
    for b in (0..NB).step_by(2) {
        let ctr = [c + b as u64, c + b as u64 + 1];
        let mut x0 = ctr.map(|v| v & LO);
        let mut x1 = ctr.map(|v| v >> 32);
        let (mut x2, mut x3) = ([0u64; 2], [0u64; 2]);
        for k in &philox.keys {
            let (k0, k1) = (k[0] as u64, k[1] as u64);
            let p0 = [(x0[0] & LO) * m0, (x0[1] & LO) * m0];
            let p1 = [(x2[0] & LO) * m1, (x2[1] & LO) * m1];
            x0 = [(p1[0] >> 32) ^ x1[0] ^ k0, (p1[1] >> 32) ^ x1[1] ^ k0];
            x2 = [(p0[0] >> 32) ^ x3[0] ^ k1, (p0[1] >> 32) ^ x3[1] ^ k1];
            x1 = p1;
            x3 = p0;
        }
        for (word, x) in w.iter_mut().zip([x0, x1, x2, x3]) {
            [word[b], word[b + 1]] = x.map(|v| v as u32);
        }
    }
    w
}

/// `ln u` for a normal `u > 0`: `u = 2ᵉ·(1 + f)` with `1 + f ∈ [√½, √2)` by
/// integer arithmetic, then Cephes' polynomial.
#[inline(always)]
fn ln(u: f32) -> f32 {
    let i = (u.to_bits() as i32).wrapping_sub(SQRT_HALF_BITS);
    let e = (i >> 23) as f32;
    let f = f32::from_bits(((i & 0x7f_ffff) + SQRT_HALF_BITS) as u32) - 1.0;
    let z = f * f;
    let mut p = LOG_P[0];
    for c in &LOG_P[1..] {
        p = p * f + c;
    }
    let t = p * z * f + e * LN2_LO;
    let t = t - 0.5 * z;
    (f + t) + e * LN2_HI
}

/// `(σ·z₀, σ·z₁)` of the Philox words `(x[l], y[l])` (the definition in
/// `normal.rs`), as branch-free loops over the lanes for the vectoriser.
#[inline(always)]
fn box_muller<const N: usize>(x: &[u32; N], y: &[u32; N], sigma: f32) -> ([f32; N], [f32; N]) {
    let mut r = [0.0f32; N];
    for l in 0..N {
        let fine = x[l] < FINE;
        let k = if fine { x[l] } else { x[l] >> 8 };
        let step = if fine { FINE_STEP } else { COARSE_STEP };
        // k + 1 <= 2²⁴: exact in f32.
        let u = (k + 1) as i32 as f32 * step;
        r[l] = (-2.0 * ln(u)).sqrt() * sigma;
    }
    let (mut z0, mut z1) = ([0.0f32; N], [0.0f32; N]);
    for l in 0..N {
        let a = ((y[l] as i32) >> 8) as f32 * ANGLE_STEP;
        let a2 = a * a;
        let sin = (SIN_P[0] * a2 + SIN_P[1]) * a2 + SIN_P[2];
        let sin = sin * a2 * a + a;
        let cos = (COS_P[0] * a2 + COS_P[1]) * a2 + COS_P[2];
        let cos = cos * a2 * a2 + (1.0 - 0.5 * a2);
        // Bit 0 of y negates z₀, bit 1 swaps the pair.
        let zc = f32::from_bits((r[l] * cos).to_bits() ^ (y[l] << 31));
        let zs = r[l] * sin;
        let swap = y[l] & 2 != 0;
        z0[l] = if swap { zs } else { zc };
        z1[l] = if swap { zc } else { zs };
    }
    (z0, z1)
}

fn normal_fill(seed: u64, offset: u64, sigma: f32, out: &mut [f32]) {
    // SAFETY: plain Rust, any CPU; the table's method checked the range.
    unsafe { normal::fill::<NormalFallback>(seed, offset, sigma, out) }
}

/// The transform alone on given words (for the tests in `normal.rs`).
#[cfg(test)]
pub(crate) fn normal_pairs(
    x: &[u32],
    y: &[u32],
    sigma: f32,
    first: &mut [f32],
    second: &mut [f32],
) {
    for i in 0..x.len() {
        let (z0, z1) = box_muller(&[x[i]], &[y[i]], sigma);
        [first[i], second[i]] = [z0[0], z1[0]];
    }
}
