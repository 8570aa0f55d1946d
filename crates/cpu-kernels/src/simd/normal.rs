//! The Gaussian noise of `normal.rs` for any [`Simd`] width: Philox4x32-10 on
//! `LANES/2` blocks per half in the 64-bit lanes (`vpmuludq` is exactly
//! Philox's 32×32→64 multiply), `ln` and Box–Muller on `LANES` word pairs.
//! How the words of a block reach the lanes and the samples reach memory is
//! a shuffle per instruction set (each file's `NormalBlocks`).

use super::Simd;
use crate::kernel_fallback::{LN2_HI, LN2_LO};
use crate::normal::{Philox, PHILOX_M};
use crate::normal::{ANGLE_STEP, COARSE_STEP, COS_P, FINE_STEP, LOG_P, SIN_P, SQRT_HALF_BITS};

/// Philox4x32-10 of the blocks `c .. c + LANES`: `[half][word]`, block
/// `c + (LANES/2)·h + b` in 64-bit lane `b` of half `h` (its words in the low
/// halves; `vpmuludq` ignores the high ones, which are don't-care). The two
/// halves are independent chains, so one hides the other's multiply latency.
///
/// # Safety
/// The CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn philox<S: Simd>(philox: &Philox, c: u64) -> [[S::I; 4]; 2] {
    let lanes = S::lane_index64();
    let mut x = [[S::zero_i(); 4]; 2];
    for (h, x) in x.iter_mut().enumerate() {
        let first = c + (S::LANES / 2) as u64 * h as u64;
        let ctr = S::add_i64(S::splat_i64(first as i64), lanes);
        x[0] = ctr;
        x[1] = S::srl64_32(ctr);
    }
    let m0 = S::splat_i64(PHILOX_M[0] as i64);
    let m1 = S::splat_i64(PHILOX_M[1] as i64);
    for k in &philox.keys {
        let (k0, k1) = (S::splat_i32(k[0] as i32), S::splat_i32(k[1] as i32));
        for x in &mut x {
            let p0 = S::mul_u32_64(x[0], m0);
            let p1 = S::mul_u32_64(x[2], m1);
            x[0] = S::xor3(S::hi_to_lo(p1), x[1], k0);
            x[2] = S::xor3(S::hi_to_lo(p0), x[3], k1);
            x[1] = p1;
            x[3] = p0;
        }
    }
    x
}

/// `ln u` for normal `u > 0` (see `kernel_fallback::ln`).
///
/// # Safety
/// The CPU has `S`.
#[inline(always)]
unsafe fn ln<S: Simd>(u: S::V) -> S::V {
    let half_bits = S::splat_i32(SQRT_HALF_BITS);
    let i = S::sub_i32(S::bits(u), half_bits);
    let e = S::to_f32(S::sra32_23(i));
    let m = S::add_i32(S::and_i(i, S::splat_i32(0x7f_ffff)), half_bits);
    let f = S::sub(S::from_bits(m), S::splat(1.0));
    let z = S::mul(f, f);
    let mut p = S::splat(LOG_P[0]);
    for &c in &LOG_P[1..] {
        p = S::fmadd(p, f, S::splat(c));
    }
    let t = S::fmadd(S::mul(p, z), f, S::mul(e, S::splat(LN2_LO)));
    let t = S::fnmadd(S::splat(0.5), z, t);
    S::fmadd(e, S::splat(LN2_HI), S::add(f, t))
}

/// Box–Muller on `LANES` word pairs `(x, y)`: `(σ·z₀, σ·z₁)` per lane.
///
/// # Safety
/// The CPU has `S`.
#[inline(always)]
pub(crate) unsafe fn box_muller<S: Simd>(x: S::I, y: S::I, sigma: S::V) -> (S::V, S::V) {
    // U = (k + 1)·step, k = x on the fine grid (x < 2²⁴), x >> 8 on the coarse one.
    let fine = S::below_2_24(x);
    let k = S::select_i(fine, x, S::srl32_8(x));
    let kf = S::to_f32(S::add_i32(k, S::splat_i32(1)));
    let step = S::select(fine, S::splat(FINE_STEP), S::splat(COARSE_STEP));
    let u = S::mul(kf, step);
    let r = S::sqrt(S::mul(S::splat(-2.0), ln::<S>(u)));
    let r = S::mul(r, sigma);
    let a = S::mul(S::to_f32(S::sra32_8(y)), S::splat(ANGLE_STEP));
    let a2 = S::mul(a, a);
    let sin = S::fmadd(S::splat(SIN_P[0]), a2, S::splat(SIN_P[1]));
    let sin = S::fmadd(sin, a2, S::splat(SIN_P[2]));
    let sin = S::fmadd(S::mul(sin, a2), a, a);
    let cos = S::fmadd(S::splat(COS_P[0]), a2, S::splat(COS_P[1]));
    let cos = S::fmadd(cos, a2, S::splat(COS_P[2]));
    let one_minus = S::fnmadd(S::splat(0.5), a2, S::splat(1.0));
    let cos = S::fmadd(S::mul(cos, a2), a2, one_minus);
    // Bit 0 of y negates z₀, bit 1 swaps the pair.
    let zc = S::xor_bits(S::mul(r, cos), S::sll32_31(y));
    let zs = S::mul(r, sin);
    let swap = S::bit1(y);
    (S::select(swap, zs, zc), S::select(swap, zc, zs))
}

/// The transform alone on given words, `LANES` at a time (for the tests in
/// `normal.rs`).
///
/// # Safety
/// The five slices have one length, a multiple of `LANES`; the CPU has `S`.
#[cfg(test)]
#[inline(always)]
pub(crate) unsafe fn pairs<S: Simd>(
    x: &[u32],
    y: &[u32],
    sigma: f32,
    first: &mut [f32],
    second: &mut [f32],
) {
    for i in (0..x.len()).step_by(S::LANES) {
        let (z0, z1) = box_muller::<S>(
            x.as_ptr().add(i).cast::<S::I>().read_unaligned(),
            y.as_ptr().add(i).cast::<S::I>().read_unaligned(),
            S::splat(sigma),
        );
        S::store(first.as_mut_ptr().add(i), z0);
        S::store(second.as_mut_ptr().add(i), z1);
    }
}
