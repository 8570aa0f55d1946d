//! Throughput of the f32 kernels on the tagger's shapes, for every
//! instruction set this CPU has, side by side with `matrixmultiply::sgemm`.
//!
//! Throughput is `Throughput::Elements(flops)`: criterion's "elem/s" column is
//! FLOP/s (`2·m·n·k` for GEMM, `2·m·n` for GEMV and ger). GEMV is compared with
//! `sgemm` at `n = 1`, ger with `sgemm` at `k = 1` and `β = 1`. The
//! element-wise group counts elements, not FLOPs. Forward shapes: GEMV 300×264
//! (the LSTM gates from [x; h]), 300×100, 100×100, 20×200, 17×20 (a head);
//! backward shapes are the same with `Aᵀ` and the weight-gradient GEMMs
//! `dW += dYᵀ·X`. GEMM also runs the heads' shapes (`x·Vᵀ`, `z·Wᵀ` and their
//! backward; the `heads …` cases are the fused heads op's six calls with its
//! layouts and β at T = 18 and 20), the LSTMs' input projections `X·Wxᵀ` and the character LSTM's
//! batched 20×100·100×100. The `normal` group counts samples of N(0, σ²): the
//! Philox + Box–Muller kernel per instruction set against the scalar loop the
//! noise op used before (`rand_distr::StandardNormal`, a ziggurat, on
//! xoshiro256++). Run with
//! `cargo bench -p qmtl-benches --bench kernels` (about two minutes).

use cpu_kernels::{kernels, supported_isas, Kernels, Mat, MatMut, Unary};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::time::Duration;

fn fill(n: usize, seed: u32) -> Vec<f32> {
    (0..n)
        .map(|i| (i as f32 * 0.37 + seed as f32).sin())
        .collect()
}

/// Every supported instruction set's kernels.
fn tables() -> Vec<&'static Kernels> {
    supported_isas().into_iter().filter_map(kernels).collect()
}

/// `C = αAB + βC` with matrixmultiply, operands given by (rows, cols, rs, cs).
#[allow(clippy::too_many_arguments)]
fn mm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    (rsa, csa): (usize, usize),
    b: &[f32],
    (rsb, csb): (usize, usize),
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    assert!(a.len() > (m - 1) * rsa + (k - 1) * csa && b.len() > (k - 1) * rsb + (n - 1) * csb);
    assert!(c.len() >= (m - 1) * ldc + n);
    // SAFETY: the asserts above keep every access inside the slices.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa as isize,
            csa as isize,
            b.as_ptr(),
            rsb as isize,
            csb as isize,
            beta,
            c.as_mut_ptr(),
            ldc as isize,
            1,
        )
    }
}

/// `y = Ax` (`transposed`: `y = Aᵀx`) with `A` an m×n row-major matrix.
fn gemv(c: &mut Criterion, transposed: bool) {
    let name = if transposed { "gemv_t" } else { "gemv_n" };
    let mut group = c.benchmark_group(name);
    for (m, n) in [(300, 264), (300, 100), (100, 100), (20, 200), (17, 20)] {
        let a = fill(m * n, 1);
        let (rows, cols) = if transposed { (n, m) } else { (m, n) };
        let x = fill(cols, 2);
        let mut y = vec![0.0f32; rows];
        group.throughput(Throughput::Elements(2 * (m * n) as u64));
        let shape = format!("{m}x{n}");
        for k in tables() {
            group.bench_function(BenchmarkId::new(k.isa().name(), &shape), |bench| {
                bench.iter(|| {
                    let view = Mat::new(&a, m, n);
                    let view = if transposed { view.t() } else { view };
                    k.gemv(1.0, view, black_box(&x), 0.0, &mut y);
                })
            });
        }
        let strides = if transposed { (1, n) } else { (n, 1) };
        group.bench_function(BenchmarkId::new("matrixmultiply", &shape), |bench| {
            bench.iter(|| {
                mm(
                    rows,
                    cols,
                    1,
                    &a,
                    strides,
                    black_box(&x),
                    (1, 1),
                    0.0,
                    &mut y,
                    1,
                )
            })
        });
    }
    group.finish();
}

fn gemv_n(c: &mut Criterion) {
    gemv(c, false)
}

fn gemv_t(c: &mut Criterion) {
    gemv(c, true)
}

/// One GEMM `C (m×n) = op(A)·op(B)`, `op(A)` m×k, stored transposed when `ta`.
struct GemmShape {
    name: String,
    m: usize,
    n: usize,
    k: usize,
    ta: bool,
    tb: bool,
    beta: f32,
}

fn gemm(c: &mut Criterion) {
    let shape = |name: &str, m, n, k, ta, tb, beta| GemmShape {
        name: name.to_string(),
        m,
        n,
        k,
        ta,
        tb,
        beta,
    };
    let mut shapes = vec![
        shape("300x100*100x20", 300, 20, 100, false, false, 0.0),
        shape("160x100*100x300", 160, 300, 100, false, false, 0.0),
        // Forward over a sentence: Y (T×300) = X (T×100)·Wᵀ.
        shape("Y=XWt T=20", 20, 300, 100, false, true, 0.0),
        // The word LSTM's input projection (T×264)·Wxᵀ and the character
        // LSTM's over 160 characters (160×100)·Wxᵀ.
        shape("Y=XWt 20x264*(300x264)t", 20, 300, 264, false, true, 0.0),
        shape("Y=XWt 160x100*(300x100)t", 160, 300, 100, false, true, 0.0),
        // A head: hidden layer x (20×200)·Vᵀ (V: 20×200), tag scores z (20×20)·Wᵀ (W: 17×20).
        shape("head 20x200*(20x200)t", 20, 20, 200, false, true, 0.0),
        shape("head 20x20*(17x20)t", 20, 17, 20, false, true, 0.0),
        // The head's backward: dz = dy·W, dW = dyᵀ·z, dx = dh·V, dV = dhᵀ·x.
        shape("head 20x17*17x20", 20, 20, 17, false, false, 0.0),
        shape("head (20x17)t*20x20", 17, 20, 20, true, false, 1.0),
        shape("head 20x20*20x200", 20, 200, 20, false, false, 0.0),
        shape("head (20x20)t*20x200", 20, 200, 20, true, false, 1.0),
        // The character LSTM's batched steps: 20 words by 100 units (ragged n).
        shape("20x100*100x100", 20, 100, 100, false, false, 0.0),
        // Backward: dX (T×100) = dY (T×300)·W.
        shape("dX=dYW T=20", 20, 100, 300, false, false, 0.0),
        // Weight gradient: dW (300×100) += dYᵀ (300×T)·X (T×100).
        shape("dW+=dYtX T=20", 300, 100, 20, true, false, 1.0),
        shape("dW+=dYtX T=200", 300, 100, 200, true, false, 1.0),
    ];
    // The fused heads op's six GEMMs per head exactly as it calls them
    // (T tokens, D = 200, H = 20 hidden, C = 17 tags; the bias is in C
    // first, so the forward runs with β = 1), at the usual T = 18 and 20.
    for t in [18, 20] {
        shapes.extend([
            shape(&format!("heads xVt+b T={t}"), t, 20, 200, false, true, 1.0),
            shape(&format!("heads zWt+b T={t}"), t, 17, 20, false, true, 1.0),
            shape(&format!("heads dW=dLtZ T={t}"), 17, 20, t, true, false, 0.0),
            shape(
                &format!("heads dV=dAtX T={t}"),
                20,
                200,
                t,
                true,
                false,
                0.0,
            ),
            shape(&format!("heads dZ=dLW T={t}"), t, 20, 17, false, false, 0.0),
            shape(
                &format!("heads dh+=dAV T={t}"),
                t,
                200,
                20,
                false,
                false,
                1.0,
            ),
        ]);
    }
    let mut group = c.benchmark_group("gemm");
    for s in shapes {
        let (m, n, k) = (s.m, s.n, s.k);
        let a = fill(m * k, 3);
        let b = fill(k * n, 4);
        let mut out = vec![0.0f32; m * n];
        // Row-major storage of op(A) or of its transpose, and the strides of op(·).
        let (sa, lda) = if s.ta { ((1, m), m) } else { ((k, 1), k) };
        let (sb, ldb) = if s.tb { ((1, k), k) } else { ((n, 1), n) };
        group.throughput(Throughput::Elements(2 * (m * n * k) as u64));
        for kern in tables() {
            group.bench_function(BenchmarkId::new(kern.isa().name(), &s.name), |bench| {
                bench.iter(|| {
                    let va = if s.ta {
                        Mat::with_ld(&a, k, m, lda).t()
                    } else {
                        Mat::with_ld(&a, m, k, lda)
                    };
                    let vb = if s.tb {
                        Mat::with_ld(&b, n, k, ldb).t()
                    } else {
                        Mat::with_ld(&b, k, n, ldb)
                    };
                    kern.gemm(1.0, va, vb, s.beta, MatMut::new(&mut out, m, n));
                })
            });
        }
        group.bench_function(BenchmarkId::new("matrixmultiply", &s.name), |bench| {
            bench.iter(|| mm(m, k, n, &a, sa, &b, sb, s.beta, &mut out, n))
        });
    }
    group.finish();
}

fn ger(c: &mut Criterion) {
    let (m, n) = (300, 100);
    let (x, y) = (fill(m, 5), fill(n, 6));
    let mut a = fill(m * n, 7);
    let mut group = c.benchmark_group("ger");
    group.throughput(Throughput::Elements(2 * (m * n) as u64));
    for k in tables() {
        group.bench_function(BenchmarkId::new(k.isa().name(), "300x100"), |bench| {
            bench.iter(|| k.ger(1e-6, black_box(&x), &y, MatMut::new(&mut a, m, n)))
        });
    }
    group.bench_function(BenchmarkId::new("matrixmultiply", "300x100"), |bench| {
        bench.iter(|| mm(m, 1, n, black_box(&x), (1, 1), &y, (n, 1), 1.0, &mut a, n))
    });
    group.finish();
}

fn elementwise(c: &mut Criterion) {
    let mut group = c.benchmark_group("unary");
    let n = 1200;
    let x: Vec<f32> = fill(n, 8).iter().map(|v| v * 4.0).collect();
    let mut y = vec![0.0f32; n];
    group.throughput(Throughput::Elements(n as u64));
    for f in [Unary::Sigmoid, Unary::Tanh, Unary::Exp] {
        for k in tables() {
            group.bench_function(
                BenchmarkId::new(k.isa().name(), format!("{f:?} n={n}")),
                |bench| bench.iter(|| k.unary(f, black_box(&x), &mut y)),
            );
        }
    }
    group.finish();
}

/// Gaussian noise at the sizes of the tagger's noise ops: the token inputs
/// (20 tokens × 264) and one head's BiLSTM states (20 × 200).
fn normal(c: &mut Criterion) {
    let mut group = c.benchmark_group("normal");
    for n in [4000, 5280] {
        let mut y = vec![0.0f32; n];
        group.throughput(Throughput::Elements(n as u64));
        let mut seed = 0u64;
        for k in tables() {
            group.bench_function(
                BenchmarkId::new(k.isa().name(), format!("n={n}")),
                |bench| {
                    bench.iter(|| {
                        seed += 1;
                        k.normal_fill(black_box(seed), 0.2, &mut y)
                    })
                },
            );
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        group.bench_function(
            BenchmarkId::new("ziggurat_f64", format!("n={n}")),
            |bench| {
                bench.iter(|| {
                    for y in y.iter_mut() {
                        let z: f64 = rng.sample(StandardNormal);
                        *y = (0.2 * z) as f32;
                    }
                    black_box(&y);
                })
            },
        );
        group.bench_function(
            BenchmarkId::new("ziggurat_f32", format!("n={n}")),
            |bench| {
                bench.iter(|| {
                    for y in y.iter_mut() {
                        let z: f32 = rng.sample(StandardNormal);
                        *y = 0.2 * z;
                    }
                    black_box(&y);
                })
            },
        );
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(700))
}

criterion_group! {
    name = benches;
    config = config();
    targets = gemv_n, gemv_t, gemm, ger, elementwise, normal
}
criterion_main!(benches);
