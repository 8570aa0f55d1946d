//! Gaussian noise as a pure function of `(seed, index)`: Philox4x32-10 for the
//! bits, Box–Muller for the transform. This file holds the definition every
//! instruction set follows (constants, the word→sample mapping, the chunk
//! driver); the SIMD transforms live in the `kernel_*` files and the scalar
//! reference in [`crate::naive::normal_fill`].
//!
//! Training adds a fresh N(0, σ²) sample to every element of several
//! activations per sentence (model-spec section 3: the token inputs and, per
//! head, the BiLSTM states), ~10⁵ samples a step, so the generator must be a
//! vector kernel, not a scalar ziggurat.
//!
//! # Definition
//!
//! Samples come in blocks of four. Block `c` (a `u64`) is Philox4x32-10
//! (Salmon et al., SC'11, "Parallel random numbers: as easy as 1, 2, 3") of
//! the counter `[c_lo, c_hi, 0, 0]` under the key `[seed_lo, seed_hi]`, giving
//! words `w0..w3`. Pair `q ∈ {0, 1}` of the block takes `x = w[2q]`,
//! `y = w[2q+1]` and gives samples `4c + 2q` and `4c + 2q + 1`:
//!
//! - `U = (x + 1)·2⁻³²` when `x < 2²⁴`, else `(⌊x/2⁸⌋ + 1)·2⁻²⁴`: a uniform in
//!   (0, 1] on a grid that is exact in f32 (24 significant bits) and refined
//!   to 2⁻³² below 2⁻⁸, so `ln U` is never `-inf` and the tail reaches
//!   `√(64 ln 2) ≈ 6.66`.
//! - `r = √(-2 ln U)`; `a = (y as i32 >> 8)·(π/4)·2⁻²³ ∈ [-π/4, π/4)`.
//! - `(z₀, z₁) = (r cos a, r sin a)`, with `z₀` negated when bit 0 of `y` is
//!   set and the two swapped when bit 1 is: the four signed-permutation images
//!   of the arc `[-π/4, π/4)` tile the circle, so the angle is uniform on
//!   `[0, 2π)` while the polynomials only see `|a| ≤ π/4`.
//! - The samples are `σ·z₀`, `σ·z₁`.
//!
//! Each instruction set evaluates `ln`, `sin` and `cos` with the Cephes
//! single-precision polynomials below (a few ulps), so samples of different
//! instruction sets differ in the last bits (FMA or not, rounding order), all
//! within 1e-6·(1 + |z|)·σ of the exact value (5e-7 measured); one
//! instruction set is bit-reproducible, and a sample never depends on how a
//! slice was chunked.

/// Philox4x32 multipliers and Weyl key increments (Random123).
pub(crate) const PHILOX_M: [u32; 2] = [0xD251_1F53, 0xCD9E_8D57];
pub(crate) const PHILOX_W: [u32; 2] = [0x9E37_79B9, 0xBB67_AE85];
/// Rounds of Philox: 7 is Random123's smallest Crush-resistant count, 10
/// its default with a safety margin.
pub(crate) const ROUNDS: usize = 10;

/// Words below this keep all 32 bits in the uniform.
pub(crate) const FINE: u32 = 1 << 24;
/// `2⁻²⁴` and `2⁻³²`, the two grid steps of the uniform.
pub(crate) const COARSE_STEP: f32 = 1.0 / (1u64 << 24) as f32;
pub(crate) const FINE_STEP: f32 = 1.0 / (1u64 << 32) as f32;
/// The bits of `√½`: subtracting them splits `U = 2ᵉ·m`, `m ∈ [√½, √2)`.
pub(crate) const SQRT_HALF_BITS: i32 = 0x3f35_04f3;
/// Cephes `logf`: `ln(1+f) ≈ f - f²/2 + f³·P(f)` on `[√½-1, √2-1]`,
/// highest degree first.
pub(crate) const LOG_P: [f32; 9] = [
    7.037_683_6e-2,
    -1.151_461e-1,
    1.167_699_9e-1,
    -1.242_014_1e-1,
    1.424_932_3e-1,
    -1.666_805_8e-1,
    2.000_071_5e-1,
    -2.499_999_4e-1,
    3.333_333e-1,
];
/// Cephes `sinf`/`cosf` on `[-π/4, π/4]`: `sin a ≈ a + a³·S(a²)`,
/// `cos a ≈ 1 - a²/2 + a⁴·C(a²)`, highest degree first.
pub(crate) const SIN_P: [f32; 3] = [-1.951_529_6e-4, 8.332_161e-3, -1.666_665_5e-1];
pub(crate) const COS_P: [f32; 3] = [2.443_315_7e-5, -1.388_731_6e-3, 4.166_664_6e-2];
/// `(π/4)·2⁻²³`: maps `y >> 8` (a signed 24-bit integer) onto `[-π/4, π/4)`.
pub(crate) const ANGLE_STEP: f32 = std::f32::consts::FRAC_PI_4 / (1u32 << 23) as f32;

/// The Philox round keys of one seed, `key + r·W`.
pub(crate) struct Philox {
    pub(crate) keys: [[u32; 2]; ROUNDS],
}

impl Philox {
    pub(crate) fn new(seed: u64) -> Philox {
        let mut keys = [[0; 2]; ROUNDS];
        let mut k = [seed as u32, (seed >> 32) as u32];
        for rk in &mut keys {
            *rk = k;
            k = [
                k[0].wrapping_add(PHILOX_W[0]),
                k[1].wrapping_add(PHILOX_W[1]),
            ];
        }
        Philox { keys }
    }
}

/// One instruction set's generator: the samples of `BLOCKS` consecutive
/// blocks at a time.
pub(crate) trait NormalBlocks {
    /// Blocks per call (`4·BLOCKS <= MAX_CHUNK` samples).
    const BLOCKS: usize;
    /// Writes the `4·BLOCKS` samples of blocks `c, c+1, …` to `out`.
    ///
    /// # Safety
    /// `out` is valid for `4·BLOCKS` writes and the CPU has the instruction
    /// set of the implementation.
    unsafe fn blocks(philox: &Philox, sigma: f32, c: u64, out: *mut f32);
}

/// The largest chunk any instruction set writes at once.
const MAX_CHUNK: usize = 64;

/// `out[k] = sample(seed, offset + k)`: whole chunks straight into `out`, the
/// ragged ends through a buffer. Inlined into each `#[target_feature]` entry.
///
/// # Safety
/// The CPU has `G`'s instruction set; `offset + out.len()` does not overflow.
#[inline(always)]
pub(crate) unsafe fn fill<G: NormalBlocks>(seed: u64, offset: u64, sigma: f32, out: &mut [f32]) {
    let n = out.len();
    if n == 0 {
        return;
    }
    let per = 4 * G::BLOCKS;
    const { assert!(4 * G::BLOCKS <= MAX_CHUNK) };
    let philox = Philox::new(seed);
    let mut buf = [0.0f32; MAX_CHUNK];
    let mut c = offset / 4;
    let skip = (offset % 4) as usize;
    let mut k = 0;
    if skip > 0 || n < per {
        // SAFETY (this call and the last): `buf` holds MAX_CHUNK >= per floats.
        G::blocks(&philox, sigma, c, buf.as_mut_ptr());
        k = (per - skip).min(n);
        out[..k].copy_from_slice(&buf[skip..skip + k]);
        c += G::BLOCKS as u64;
    }
    while k + per <= n {
        // SAFETY: `k + per <= n`, so the chunk is inside `out`.
        G::blocks(&philox, sigma, c, out.as_mut_ptr().add(k));
        k += per;
        c += G::BLOCKS as u64;
    }
    if k < n {
        G::blocks(&philox, sigma, c, buf.as_mut_ptr());
        out[k..].copy_from_slice(&buf[..n - k]);
    }
}

/// Panics unless the sample indices `offset .. offset + len` fit in a `u64`.
pub(crate) fn check_range(offset: u64, len: usize) {
    assert!(
        offset.checked_add(len as u64).is_some(),
        "normal_fill: samples {offset} + {len} run past the 2⁶⁴ indices of a stream"
    );
}

#[cfg(test)]
mod tests {
    //! The SIMD transforms on chosen Philox words (the extremes of both
    //! grids, every sign/swap bit), against the f64 formula.

    use crate::naive::normal_pair;
    use crate::Isa;

    /// Words that hit the edges of the uniform's two grids and the angle range.
    fn words() -> (Vec<u32>, Vec<u32>) {
        let mut x = vec![
            0,
            1,
            2,
            255,
            256,
            (1 << 24) - 1,
            1 << 24,
            (1 << 24) + 255,
            (1 << 24) + 256,
            1 << 31,
            u32::MAX - 256,
            u32::MAX - 255,
            u32::MAX - 1,
            u32::MAX,
        ];
        let mut y = vec![0, 1, 2, 3, 0x7fff_ffff, 0x8000_0000, 0xffff_fffc, u32::MAX];
        // A sweep: x·φ and a Weyl sequence for y, every low-bit combination.
        for i in 0..4096u32 {
            x.push(i.wrapping_mul(0x9E37_79B9) ^ (i >> 3));
            y.push(i.wrapping_mul(0x85EB_CA6B).rotate_left(i % 32));
        }
        let n = x.len().max(y.len()).next_multiple_of(16);
        let (x, y): (Vec<u32>, Vec<u32>) = (0..n)
            .map(|i| (x[i % x.len()], y[(i * 7) % y.len()]))
            .unzip();
        (x, y)
    }

    fn transform(isa: Isa, x: &[u32], y: &[u32], first: &mut [f32], second: &mut [f32]) {
        assert!(isa.is_supported());
        match isa {
            Isa::Fallback => crate::kernel_fallback::normal_pairs(x, y, 1.0, first, second),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the CPU supports the instruction set (asserted above).
            Isa::Avx512 => unsafe { crate::kernel_avx512::normal_pairs(x, y, 1.0, first, second) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Isa::Avx2Fma => unsafe {
                crate::kernel_avx2fma::normal_pairs(x, y, 1.0, first, second)
            },
            #[cfg(not(target_arch = "x86_64"))]
            _ => unreachable!(),
        }
    }

    #[test]
    fn transform_matches_the_f64_formula_on_edge_words() {
        let (x, y) = words();
        for isa in Isa::ALL {
            if !isa.is_supported() {
                eprintln!("skipped: {isa} not supported by this CPU (normal transform)");
                continue;
            }
            let mut first = vec![f32::NAN; x.len()];
            let mut second = vec![f32::NAN; x.len()];
            transform(isa, &x, &y, &mut first, &mut second);
            let mut worst = 0.0f64;
            for i in 0..x.len() {
                let want = normal_pair(x[i], y[i]);
                for (got, want) in [(first[i], want[0]), (second[i], want[1])] {
                    assert!(
                        got.is_finite(),
                        "{isa}: x={:#x} y={:#x} gave {got}",
                        x[i],
                        y[i]
                    );
                    let err = (got as f64 - want).abs();
                    worst = worst.max(err / (1.0 + want.abs()));
                    assert!(
                        err <= 5e-7 * (1.0 + want.abs()),
                        "{isa}: x={:#x} y={:#x}: got {got:e}, want {want:e}",
                        x[i],
                        y[i]
                    );
                }
            }
            eprintln!("{isa}: normal transform max |err|/(1+|z|) = {worst:.2e}");
        }
        // The extremes of the definition.
        assert_eq!(normal_pair(u32::MAX, 0), [0.0, 0.0], "U = 1 gives r = 0");
        let r_max = (64.0 * std::f64::consts::LN_2).sqrt();
        assert!((normal_pair(0, 0)[0] - r_max).abs() < 1e-12);
    }
}
