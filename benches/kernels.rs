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
//! xoshiro256++).
//!
//! The `peak` group is the yardstick: a tight loop of independent vector FMAs
//! (`cpu_kernels::peak::fma_loop`), the core's f32 FMA throughput. The
//! `lstm_step` group runs the LSTMs' per-step products exactly as the fused op
//! calls them, at 1-40 active rows (the character LSTM's words still running
//! at a step; 1 is the word LSTM and the last letters, a GEMV), and the
//! products of its backward pass at a sentence's sizes; it ends with a table
//! of GFLOP/s and % of the measured peak. Time is the thread's CPU time
//! (`qmtl_benches::on_cpu`), so a busy shared machine does not deflate it.
//! Run with `cargo bench -p qmtl-benches --bench kernels` (about three
//! minutes), or `... --bench kernels -- 'peak|lstm_step'` for the table alone.

use cpu_kernels::{kernels, peak, supported_isas, Kernels, Mat, MatMut, Unary};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use qmtl_benches::{noted, on_cpu, on_cpu_noted};
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
                bench.iter_custom(|iters| {
                    on_cpu(iters, || {
                        let view = Mat::new(&a, m, n);
                        let view = if transposed { view.t() } else { view };
                        k.gemv(1.0, view, black_box(&x), 0.0, &mut y);
                    })
                })
            });
        }
        let strides = if transposed { (1, n) } else { (n, 1) };
        group.bench_function(BenchmarkId::new("matrixmultiply", &shape), |bench| {
            bench.iter_custom(|iters| {
                on_cpu(iters, || {
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
                bench.iter_custom(|iters| {
                    on_cpu(iters, || {
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
                })
            });
        }
        group.bench_function(BenchmarkId::new("matrixmultiply", &s.name), |bench| {
            bench.iter_custom(|iters| {
                on_cpu(iters, || mm(m, k, n, &a, sa, &b, sb, s.beta, &mut out, n))
            })
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
            bench.iter_custom(|iters| {
                on_cpu(iters, || {
                    k.ger(1e-6, black_box(&x), &y, MatMut::new(&mut a, m, n))
                })
            })
        });
    }
    group.bench_function(BenchmarkId::new("matrixmultiply", "300x100"), |bench| {
        bench.iter_custom(|iters| {
            on_cpu(iters, || {
                mm(m, 1, n, black_box(&x), (1, 1), &y, (n, 1), 1.0, &mut a, n)
            })
        })
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
                |bench| {
                    bench.iter_custom(|iters| on_cpu(iters, || k.unary(f, black_box(&x), &mut y)))
                },
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
                    bench.iter_custom(|iters| {
                        on_cpu(iters, || {
                            seed += 1;
                            k.normal_fill(black_box(seed), 0.2, &mut y)
                        })
                    })
                },
            );
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        group.bench_function(
            BenchmarkId::new("ziggurat_f64", format!("n={n}")),
            |bench| {
                bench.iter_custom(|iters| {
                    on_cpu(iters, || {
                        for y in y.iter_mut() {
                            let z: f64 = rng.sample(StandardNormal);
                            *y = (0.2 * z) as f32;
                        }
                        black_box(&y);
                    })
                })
            },
        );
        group.bench_function(
            BenchmarkId::new("ziggurat_f32", format!("n={n}")),
            |bench| {
                bench.iter_custom(|iters| {
                    on_cpu(iters, || {
                        for y in y.iter_mut() {
                            let z: f32 = rng.sample(StandardNormal);
                            *y = 0.2 * z;
                        }
                        black_box(&y);
                    })
                })
            },
        );
    }
    group.finish();
}

/// Turns of the FMA loop per iteration (~50 µs at 100 GFLOP/s).
const PEAK_TURNS: u64 = 20_000;

/// The f32 FMA peak of one core, per vector instruction set.
fn peak(c: &mut Criterion) {
    let mut group = c.benchmark_group("peak");
    for isa in supported_isas() {
        let Some((flops, _)) = peak::fma_loop(isa, PEAK_TURNS) else {
            continue;
        };
        group.throughput(Throughput::Elements(flops));
        let name = format!("peak/{}", isa.name());
        group.bench_function(BenchmarkId::new(isa.name(), "fma_loop"), |bench| {
            bench.iter_custom(|iters| {
                on_cpu_noted(&name, iters, || peak::fma_loop(isa, black_box(PEAK_TURNS)))
            })
        });
    }
    group.finish();
}

/// One product of the fused LSTM: `C (m×n, ldc) = op(A)·B + β·C`, `op(A)`
/// m×k stored with leading dimension `lda` (transposed when `ta`), `B` k×n
/// row-major or, when `tb`, stored as `Bᵀ` (n×k). `gemv` marks the `m = 1`
/// calls the op makes as a GEMV (`acc_xwt`, `acc_xw`).
struct Product {
    name: String,
    m: usize,
    n: usize,
    k: usize,
    ta: bool,
    lda: usize,
    tb: bool,
    ldc: usize,
    beta: f32,
}

/// The character LSTM (h = 100, 3h = 300 gate rows, 100-d characters) and
/// the word LSTM (264-d tokens) as `lstm_seq` / `lstm_last` call the kernels.
fn lstm_products() -> Vec<Product> {
    let p = |name: String, m, n, k, ta, lda, tb, ldc, beta| Product {
        name,
        m,
        n,
        k,
        ta,
        lda,
        tb,
        ldc,
        beta,
    };
    let mut v = Vec::new();
    for m in [1, 2, 4, 8, 16, 24, 32, 40] {
        // Forward, per step: h·Whᵀ into the gate rows (Whᵀ stored once,
        // 100×300), the peepholes c·Wciᵀ, c'·Wcoᵀ into a third of a gate row.
        v.push(p(
            format!("fwd h.Wht m={m}"),
            m,
            300,
            100,
            false,
            100,
            false,
            300,
            1.0,
        ));
        v.push(p(
            format!("fwd c.Wct m={m}"),
            m,
            100,
            100,
            false,
            100,
            false,
            300,
            1.0,
        ));
        // Backward, per step: dh_prev += dA·Wh, dc += dA_o·Wco (dA_o a third
        // of the gate rows, leading dimension 300).
        v.push(p(
            format!("bwd dA.Wh m={m}"),
            m,
            100,
            300,
            false,
            300,
            false,
            100,
            1.0,
        ));
        v.push(p(
            format!("bwd dAo.Wc m={m}"),
            m,
            100,
            100,
            false,
            300,
            false,
            100,
            1.0,
        ));
    }
    // Once per sentence (English-LinES averages: 23 distinct characters, 85
    // packed rows after step 0, 18 tokens).
    v.extend([
        p(
            "char proj X.Wxt n=23".into(),
            23,
            300,
            100,
            false,
            100,
            true,
            300,
            1.0,
        ),
        p(
            "char dWx+=dGt.X n=23".into(),
            300,
            100,
            23,
            true,
            300,
            false,
            100,
            1.0,
        ),
        p(
            "char dX+=dG.Wx n=23".into(),
            23,
            100,
            300,
            false,
            300,
            false,
            100,
            1.0,
        ),
        p(
            "char dWh+=dAt.H P=85".into(),
            300,
            100,
            85,
            true,
            300,
            false,
            100,
            1.0,
        ),
        p(
            "char dWc+=dIt.C P=85".into(),
            100,
            100,
            85,
            true,
            300,
            false,
            100,
            1.0,
        ),
        p(
            "word proj X.Wxt T=18".into(),
            18,
            300,
            264,
            false,
            264,
            true,
            300,
            1.0,
        ),
        p(
            "word dWx+=dGt.X T=18".into(),
            300,
            264,
            18,
            true,
            300,
            false,
            264,
            1.0,
        ),
    ]);
    v
}

fn lstm_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("lstm_step");
    let best = kernels(supported_isas()[0]).expect("the best set is supported");
    for s in lstm_products() {
        let (m, n, k) = (s.m, s.n, s.k);
        // op(A) is m×k: stored k×m (ld = lda) when transposed, else m×k.
        let a = fill(if s.ta { k * s.lda } else { m * s.lda }, 3);
        let b = fill(k * n, 4);
        let mut out = fill(m * s.ldc, 5);
        group.throughput(Throughput::Elements(2 * (m * n * k) as u64));
        let name = format!("lstm_step/{}", s.name);
        group.bench_function(BenchmarkId::new(best.isa().name(), &s.name), |bench| {
            bench.iter_custom(|iters| {
                on_cpu_noted(&name, iters, || {
                    let va = if s.ta {
                        Mat::with_ld(&a, k, m, s.lda).t()
                    } else {
                        Mat::with_ld(&a, m, k, s.lda)
                    };
                    let vb = if s.tb {
                        Mat::new(&b, n, k).t()
                    } else {
                        Mat::new(&b, k, n)
                    };
                    if m == 1 && !s.ta {
                        // The op's GEMV: forward y = W·x (W n×k row-major,
                        // `acc_xwt`), backward y = Wᵀ·x (`acc_xw`).
                        let w = if s.name.starts_with("fwd") {
                            Mat::new(&b, n, k)
                        } else {
                            Mat::new(&b, k, n).t()
                        };
                        best.gemv(1.0, w, black_box(&a[..k]), s.beta, &mut out[..n]);
                    } else {
                        let c = MatMut::with_ld(&mut out, m, n, s.ldc);
                        best.gemm(1.0, va, vb, s.beta, c);
                    }
                })
            })
        });
    }
    group.finish();
    // The table: GFLOP/s and the share of the measured FMA peak.
    let flops = peak::fma_loop(best.isa(), PEAK_TURNS).map(|(f, _)| f as f64);
    let time = noted(&format!("peak/{}", best.isa().name()));
    let Some(peak) = flops.zip(time).map(|(f, t)| f / t / 1e9) else {
        println!("\n(run the peak group too for the % of peak column)");
        return;
    };
    println!(
        "\nLSTM products on {} (thread CPU time); FMA peak {peak:.1} GFLOP/s",
        best.isa().name()
    );
    println!("{:<28} {:>9} {:>8}", "product", "GFLOP/s", "% peak");
    for s in lstm_products() {
        if let Some(t) = noted(&format!("lstm_step/{}", s.name)) {
            let gflops = 2.0 * (s.m * s.n * s.k) as f64 / t / 1e9;
            println!(
                "{:<28} {gflops:>9.1} {:>7.0}%",
                s.name,
                100.0 * gflops / peak
            );
        }
    }
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
    targets = peak, lstm_step, gemv_n, gemv_t, gemm, ger, elementwise, normal
}
criterion_main!(benches);
