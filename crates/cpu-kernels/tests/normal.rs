//! Gaussian noise (`normal_fill`) on every instruction set: Philox against
//! Random123's known answers, agreement with the naive f64 twin on the same
//! words, the moments, a Kolmogorov–Smirnov test, the tails and short-lag
//! independence of a million samples, bit-identical streams however they are
//! chunked, unrelated streams for different seeds, every length 0..70 with no
//! stray writes, and never NaN or inf.

mod common;

use common::*;
use cpu_kernels::{naive, Kernels};

/// `|z|` never exceeds `√(64 ln 2)`: the smallest uniform is 2⁻³².
const Z_MAX: f64 = 6.660_493;

fn normal(kern: &Kernels, seed: u64, offset: u64, n: usize, sigma: f32) -> Vec<f32> {
    let mut out = vec![f32::NAN; n];
    kern.normal_fill_at(seed, offset, sigma, &mut out);
    out
}

fn bits(x: &[f32]) -> Vec<u32> {
    x.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn philox_matches_random123_known_answers() {
    // Random123 (github.com/DEShawResearch/random123), tests/kat_vectors, the
    // "philox4x32 10" lines: counter[4] key[2] -> output[4].
    let kat = [
        (
            [0, 0, 0, 0],
            [0, 0],
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
        ),
        (
            [u32::MAX; 4],
            [u32::MAX; 2],
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
        ),
        (
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
            [0xa4093822, 0x299f31d0],
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
        ),
    ];
    for (ctr, key, want) in kat {
        assert_eq!(
            naive::philox4x32(ctr, key),
            want,
            "ctr {ctr:x?} key {key:x?}"
        );
    }
}

#[test]
fn matches_the_naive_twin() {
    for_each_isa("normal matches_the_naive_twin", |kern| {
        let mut worst = 0.0f64;
        for seed in [0, 1, 0xdead_beef_1234_5678, u64::MAX] {
            for offset in [0, 1, 3, 5, (1 << 40) + 3] {
                for sigma in [1.0f32, 0.2] {
                    let got = normal(kern, seed, offset, 2000, sigma);
                    let mut want = vec![0.0f64; got.len()];
                    naive::normal_fill(seed, offset, sigma as f64, &mut want);
                    for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
                        let err = (g as f64 - w).abs() / sigma as f64;
                        worst = worst.max(err);
                        assert!(
                            err <= 1e-6 * (1.0 + (w / sigma as f64).abs()),
                            "{} seed {seed:#x} offset {offset} σ {sigma}: sample {i}: \
                             got {g:e}, want {w:e}",
                            kern.isa()
                        );
                    }
                }
            }
        }
        eprintln!(
            "{}: normal_fill vs naive f64: max |err|/σ = {worst:.2e}",
            kern.isa()
        );
    });
}

/// `Φ(x)` from the Numerical Recipes `erfcc` Chebyshev fit (relative error
/// below 1.2e-7, far inside the KS tolerance).
fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = [
        0.170_872_77,
        -0.822_152_23,
        1.488_515_87,
        -1.135_203_98,
        0.278_868_07,
        -0.186_288_06,
        0.096_784_18,
        0.374_091_96,
        1.000_023_68,
        -1.265_512_23,
    ]
    .iter()
    .fold(0.0, |acc, &c| acc * t + c);
    let erfc = t * (-z * z + poly).exp();
    if x >= 0.0 {
        1.0 - 0.5 * erfc
    } else {
        0.5 * erfc
    }
}

#[test]
fn normal_cdf_is_accurate() {
    // Reference values: Python's 0.5·math.erfc(-x/√2).
    for (x, want) in [
        (1.0, 0.841_344_746_068_542_9),
        (-1.96, 0.024_997_895_148_220_435),
        (3.0, 0.998_650_101_968_369_9),
        (-3.0, 0.001_349_898_031_630_095_7),
        (0.5, 0.691_462_461_274_013_1),
    ] {
        assert!((normal_cdf(x) - want).abs() < 2e-7 * want, "Φ({x})");
    }
}

/// Pearson correlation of `x[i]` and `x[i + lag]` (after `f`).
fn lag_corr(x: &[f64], lag: usize, f: impl Fn(f64) -> f64) -> f64 {
    let (a, b): (Vec<f64>, Vec<f64>) = x.iter().zip(&x[lag..]).map(|(&u, &v)| (f(u), f(v))).unzip();
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (u, v) in a.iter().zip(&b) {
        sab += (u - ma) * (v - mb);
        saa += (u - ma) * (u - ma);
        sbb += (v - mb) * (v - mb);
    }
    sab / (saa * sbb).sqrt()
}

#[test]
fn statistics_of_a_million_samples() {
    const N: usize = 1 << 20;
    let sigma = 0.2f32;
    for_each_isa("normal statistics", |kern| {
        let isa = kern.isa();
        let raw = normal(kern, 20_240_601, 0, N, sigma);
        assert!(raw.iter().all(|v| v.is_finite()), "{isa}: NaN or inf");
        // In units of σ from here on.
        let z: Vec<f64> = raw.iter().map(|&v| v as f64 / sigma as f64).collect();
        let n = N as f64;
        let se = 1.0 / n.sqrt();
        let mean = z.iter().sum::<f64>() / n;
        let m = |k: i32| z.iter().map(|v| (v - mean).powi(k)).sum::<f64>() / n;
        let (var, skew, kurt) = (m(2), m(3) / m(2).powf(1.5), m(4) / (m(2) * m(2)));
        // Standard errors of the sample moments of N(0, 1): mean 1/√n,
        // variance √(2/n), skewness √(6/n), kurtosis √(24/n); 4 of each.
        assert!(mean.abs() < 4.0 * se, "{isa}: mean {mean}");
        assert!(
            (var - 1.0).abs() < 4.0 * (2.0 / n).sqrt(),
            "{isa}: variance {var}"
        );
        assert!(
            skew.abs() < 4.0 * (6.0 / n).sqrt(),
            "{isa}: skewness {skew}"
        );
        assert!(
            (kurt - 3.0).abs() < 4.0 * (24.0 / n).sqrt(),
            "{isa}: kurtosis {kurt}"
        );

        let mut sorted = z.clone();
        sorted.sort_by(f64::total_cmp);
        let ks = sorted
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let f = normal_cdf(v);
                (f - i as f64 / n).max((i + 1) as f64 / n - f)
            })
            .fold(0.0, f64::max);
        // The asymptotic 0.1% critical value: √(-ln(0.0005)/2)/√n.
        let ks_crit = 1.949_5 * se;
        assert!(ks < ks_crit, "{isa}: KS distance {ks:.2e} >= {ks_crit:.2e}");
        let max = sorted[0].abs().max(sorted[N - 1].abs());
        assert!(max <= Z_MAX, "{isa}: |z| = {max} beyond the grid's bound");

        // Two-sided tails: P(|Z| > 3) = 0.0026998, P(|Z| > 4) = 6.334e-5
        // (Python's math.erfc(t/√2)); counts within 4 binomial sd.
        let mut tails = Vec::new();
        for (t, p) in [
            (3.0, 0.002_699_796_063_260_191),
            (4.0, 6.334_248_366_623_993e-5),
        ] {
            let count = z.iter().filter(|v| v.abs() > t).count() as f64;
            let sd = (n * p * (1.0 - p)).sqrt();
            assert!(
                (count - n * p).abs() < 4.0 * sd,
                "{isa}: {count} samples beyond {t}σ, expected {:.0} ± {sd:.0}",
                n * p
            );
            tails.push(count / n);
        }

        // Short lags cover the pairs (1), the Philox blocks (2, 3) and the
        // SIMD chunks (16, 32, 64); squares catch a shared Box–Muller radius.
        let mut worst = 0.0f64;
        for lag in [1, 2, 3, 4, 5, 16, 32, 64] {
            let r = lag_corr(&z, lag, |v| v);
            assert!(r.abs() < 4.0 * se, "{isa}: lag-{lag} correlation {r}");
            worst = worst.max(r.abs());
        }
        for lag in [1, 2] {
            let r = lag_corr(&z, lag, |v| v * v);
            assert!(r.abs() < 4.0 * se, "{isa}: lag-{lag} correlation of z² {r}");
        }
        eprintln!(
            "{isa}: n={N} mean {mean:+.1e} var {var:.5} skew {skew:+.1e} kurt {kurt:.4} \
             KS {ks:.2e} (crit {ks_crit:.2e}) P(|z|>3) {:.5} P(|z|>4) {:.1e} \
             max|z| {max:.2} max|lag corr| {worst:.1e}",
            tails[0], tails[1]
        );
    });
}

#[test]
fn streams_do_not_depend_on_chunking() {
    for_each_isa("normal chunking", |kern| {
        let n = 10_007;
        for base in [0, 1, (1 << 40) + 2] {
            let whole = normal(kern, 7, base, n, 0.5);
            assert_eq!(
                bits(&whole),
                bits(&normal(kern, 7, base, n, 0.5)),
                "{}: same call twice",
                kern.isa()
            );
            let cuts = [0, 1, 2, 5, 17, 64, 65, 100, 333, 4096, 5000, n];
            let mut pieces = Vec::new();
            for w in cuts.windows(2) {
                pieces.extend(normal(kern, 7, base + w[0] as u64, w[1] - w[0], 0.5));
            }
            assert_eq!(
                bits(&whole),
                bits(&pieces),
                "{}: chunked at {cuts:?} (base {base})",
                kern.isa()
            );
        }
    });
    // The public API runs the active table.
    let mut a = vec![0.0f32; 999];
    cpu_kernels::normal_fill(3, 0.3, &mut a);
    let b = normal(
        cpu_kernels::kernels(cpu_kernels::isa()).unwrap(),
        3,
        0,
        999,
        0.3,
    );
    assert_eq!(bits(&a), bits(&b));
}

#[test]
fn seeds_give_unrelated_streams() {
    let seeds = [1, 2, 1 << 32, (1 << 32) + 1, u64::MAX];
    for_each_isa("normal seeds", |kern| {
        let n = 1 << 16;
        let streams: Vec<Vec<f64>> = seeds
            .iter()
            .map(|&s| {
                normal(kern, s, 0, n, 1.0)
                    .iter()
                    .map(|&v| v as f64)
                    .collect()
            })
            .collect();
        for i in 0..seeds.len() {
            for j in i + 1..seeds.len() {
                let (a, b) = (&streams[i], &streams[j]);
                let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
                assert!(
                    equal < 4,
                    "{}: seeds {:#x} {:#x} share {equal} samples",
                    kern.isa(),
                    seeds[i],
                    seeds[j]
                );
                let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
                let corr = dot
                    / (a.iter().map(|x| x * x).sum::<f64>() * b.iter().map(|y| y * y).sum::<f64>())
                        .sqrt();
                assert!(
                    corr.abs() < 4.0 / (n as f64).sqrt(),
                    "{}: seeds {:#x} {:#x}: correlation {corr}",
                    kern.isa(),
                    seeds[i],
                    seeds[j]
                );
            }
        }
    });
}

#[test]
fn every_length_and_no_stray_writes() {
    for_each_isa("normal lengths", |kern| {
        for offset in [0u64, 1, 2, 3, 7] {
            let reference = normal(kern, 11, 0, 100_001 + 8, 1.0);
            for n in (0..=70).chain([100_001]) {
                let mut buf = vec![SENTINEL; n + 2 * 16];
                buf[16..16 + n].fill(f32::NAN);
                kern.normal_fill_at(11, offset, 1.0, &mut buf[16..16 + n]);
                let what = format!("{} n={n} offset={offset}", kern.isa());
                assert!(
                    buf[..16]
                        .iter()
                        .chain(&buf[16 + n..])
                        .all(|&v| v == SENTINEL),
                    "{what}: stray write"
                );
                let got = &buf[16..16 + n];
                assert!(got.iter().all(|v| v.is_finite()), "{what}: NaN or inf");
                let o = offset as usize;
                assert_eq!(
                    bits(got),
                    bits(&reference[o..o + n]),
                    "{what}: differs from one long fill"
                );
            }
        }
        let mut zero = vec![f32::NAN; 100];
        kern.normal_fill(5, 0.0, &mut zero);
        assert!(
            zero.iter().all(|&v| v == 0.0),
            "{}: σ = 0 gives zeros",
            kern.isa()
        );
    });
}

#[test]
fn f64_runs_the_naive_definition() {
    let mut a = vec![0.0f64; 1001];
    let mut b = vec![0.0f64; 1001];
    cpu_kernels::normal_fill_at(9, 3, 0.2, &mut a);
    naive::normal_fill(9, 3, 0.2, &mut b);
    assert_eq!(a, b);
    let mut c = vec![0.0f32; 1001];
    cpu_kernels::normal_fill_at(9, 3, 0.2f32, &mut c);
    let scale = vec![0.2 * (1.0 + Z_MAX); c.len()];
    assert_close(&c, &a, &scale, 1e-6, "f32 vs f64 streams");
}

#[test]
#[should_panic(expected = "normal_fill")]
fn offsets_past_the_stream_panic() {
    cpu_kernels::normal_fill_at(1, u64::MAX - 1, 1.0f32, &mut [0.0; 4]);
}
