//! GEMM on every instruction set against the naive f64 twin: every shape up to
//! 19, multiples of 7, large odd shapes past the cache blocks, the tagger's
//! shapes, both transposes, α/β variations (β = 0 over NaN) and padded
//! leading dimensions whose padding must stay untouched.

mod common;

use common::*;
use cpu_kernels::{naive, Kernels, Mat, MatMut};

#[derive(Clone, Copy, Debug)]
struct Case {
    m: usize,
    n: usize,
    k: usize,
    ta: bool,
    tb: bool,
    pad: usize,
    alpha: f32,
    beta: f32,
}

/// A logical `rows×cols` operand stored row-major (`ld = cols + pad`), or
/// stored as its transpose and viewed through `.t()`.
fn operand(
    rows: usize,
    cols: usize,
    transposed: bool,
    pad: usize,
    seed: u32,
) -> (Vec<f32>, usize, usize, usize) {
    let (sr, sc) = if transposed {
        (cols, rows)
    } else {
        (rows, cols)
    };
    let ld = sc + pad;
    (fill(sr * ld, seed), sr, sc, ld)
}

fn view(store: &[f32], sr: usize, sc: usize, ld: usize, transposed: bool) -> Mat<'_, f32> {
    let m = Mat::with_ld(store, sr, sc, ld);
    if transposed {
        m.t()
    } else {
        m
    }
}

fn view64(store: &[f64], sr: usize, sc: usize, ld: usize, transposed: bool) -> Mat<'_, f64> {
    let m = Mat::with_ld(store, sr, sc, ld);
    if transposed {
        m.t()
    } else {
        m
    }
}

fn check(kern: &Kernels, c: Case) {
    let Case {
        m,
        n,
        k,
        ta,
        tb,
        pad,
        alpha,
        beta,
    } = c;
    let (a, ar, ac, lda) = operand(m, k, ta, pad, 1);
    let (b, br, bc, ldb) = operand(k, n, tb, pad, 2);
    let ldc = n + pad;
    let len = m * ldc + 3;
    let mut out = vec![SENTINEL; len];
    let init = fill(len, 3);
    for i in 0..m {
        for j in 0..n {
            out[i * ldc + j] = if beta == 0.0 {
                f32::NAN
            } else {
                init[i * ldc + j]
            };
        }
    }
    let (a64, b64) = (to_f64(&a), to_f64(&b));
    let mut want = to_f64(&out);
    naive::gemm(
        alpha as f64,
        view64(&a64, ar, ac, lda, ta),
        view64(&b64, br, bc, ldb, tb),
        beta as f64,
        MatMut::with_ld(&mut want, m, n, ldc),
    );
    let (aa, ba) = (abs64(&a), abs64(&b));
    let mut scale: Vec<f64> = out
        .iter()
        .map(|v| if v.is_nan() { 0.0 } else { v.abs() as f64 })
        .collect();
    let ab = (alpha.abs() as f64, beta.abs() as f64);
    naive::gemm(
        ab.0,
        view64(&aa, ar, ac, lda, ta),
        view64(&ba, br, bc, ldb, tb),
        ab.1,
        MatMut::with_ld(&mut scale, m, n, ldc),
    );

    kern.gemm(
        alpha,
        view(&a, ar, ac, lda, ta),
        view(&b, br, bc, ldb, tb),
        beta,
        MatMut::with_ld(&mut out, m, n, ldc),
    );

    let what = format!("{} gemm {c:?}", kern.isa());
    for (i, v) in out.iter().enumerate() {
        let inside = ldc > 0 && i / ldc < m && i % ldc < n;
        if !inside {
            assert_eq!(
                v.to_bits(),
                SENTINEL.to_bits(),
                "{what}: wrote outside C at {i}"
            );
        }
    }
    let pick = |v: &[f64]| -> Vec<f64> {
        (0..m * n)
            .map(|e| v[e / n.max(1) * ldc + e % n.max(1)])
            .collect()
    };
    let got: Vec<f32> = (0..m * n).map(|e| out[e / n * ldc + e % n]).collect();
    assert_close(&got, &pick(&want), &pick(&scale), sum_tol(k), &what);
}

fn all_layouts(kern: &Kernels, m: usize, n: usize, k: usize, variant: usize) {
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let (alpha, beta) = ALPHA_BETA[variant % ALPHA_BETA.len()];
        let pad = [0, 3, 1, 0, 5][variant % 5];
        check(
            kern,
            Case {
                m,
                n,
                k,
                ta,
                tb,
                pad,
                alpha,
                beta,
            },
        );
    }
}

#[test]
fn every_small_shape() {
    for_each_isa("gemm every_small_shape", |kern| {
        let mut v = 0;
        for m in 0..20 {
            for n in 0..20 {
                for k in [0, 1, 2, 5, 12, 19] {
                    all_layouts(kern, m, n, k, v);
                    v += 1;
                }
            }
        }
    });
}

#[test]
fn every_small_depth() {
    for_each_isa("gemm every_small_depth", |kern| {
        for k in 0..20 {
            for (i, (m, n)) in [
                (1, 1),
                (1, 19),
                (19, 1),
                (5, 33),
                (13, 7),
                (12, 32),
                (24, 64),
                (6, 16),
            ]
            .into_iter()
            .enumerate()
            {
                for v in 0..ALPHA_BETA.len() {
                    all_layouts(kern, m, n, k, v + i);
                }
            }
        }
    });
}

#[test]
fn multiples_of_seven() {
    for_each_isa("gemm multiples_of_seven", |kern| {
        let sizes = [7, 21, 35, 49, 70];
        let mut v = 0;
        for m in sizes {
            for n in sizes {
                for k in sizes {
                    all_layouts(kern, m, n, k, v);
                    v += 1;
                }
            }
        }
    });
}

#[test]
fn large_odd_shapes_cross_the_cache_blocks() {
    for_each_isa("gemm large_odd_shapes", |kern| {
        // k > KC (256), m > MC, n > NC (1024).
        for (i, (m, n, k)) in [
            (333, 517, 129),
            (517, 333, 301),
            (19, 1100, 7),
            (149, 37, 517),
        ]
        .into_iter()
        .enumerate()
        {
            all_layouts(kern, m, n, k, i);
        }
    });
}

#[test]
fn tagger_shapes() {
    for_each_isa("gemm tagger_shapes", |kern| {
        let mut v = 0;
        let mut run = |m, n, k, ta, tb| {
            for (alpha, beta) in ALPHA_BETA {
                check(
                    kern,
                    Case {
                        m,
                        n,
                        k,
                        ta,
                        tb,
                        pad: v % 2,
                        alpha,
                        beta,
                    },
                );
                v += 1;
            }
        };
        run(300, 20, 100, false, false);
        run(160, 300, 100, false, false);
        for t in [1, 2, 7, 20, 64, 200] {
            run(300, 100, t, true, false); // dW += dYᵀ·X
            run(t, 300, 100, false, true); // Y = X·Wᵀ
            run(t, 100, 300, false, false); // dX = dY·W
        }
    });
}

#[test]
fn heads_shapes_and_small_depths() {
    // The heads' GEMMs and the awkward sizes around them: tiles of every
    // height (m = 17, 18, 19, 20 split as 8 + 5 + 4, ..., 8 + 8 + 4), a
    // narrow C whose ragged last vector sits right before the next row (n =
    // 17, 20 with ld = n), the column-copy packing of one or two ragged
    // columns (n = 17, 18, 33), wide C with a ragged last strip (200, 201)
    // and depths from 1 up past one vector (k = 1, 2, 17, 20, 33, 200);
    // every layout, β = 0 over NaN, β = 1 and general α, β.
    for_each_isa("gemm heads_shapes_and_small_depths", |kern| {
        let mut v = 0;
        for m in [1, 2, 9, 17, 18, 19, 20] {
            for n in [1, 17, 18, 20, 33, 200, 201] {
                for k in [1, 2, 17, 20, 33, 200] {
                    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                        for (alpha, beta) in [(1.0, 0.0), (1.0, 1.0), ALPHA_BETA[v % 4]] {
                            let pad = [0, 0, 3][v % 3];
                            check(
                                kern,
                                Case {
                                    m,
                                    n,
                                    k,
                                    ta,
                                    tb,
                                    pad,
                                    alpha,
                                    beta,
                                },
                            );
                            v += 1;
                        }
                    }
                }
            }
        }
    });
}

#[test]
fn path_boundaries() {
    // Around every switch of the driver, on every instruction set (sizes
    // either side of 4, 8, 16, 20, 32 and 100, depths either side of 16·j
    // and 256): the inner-product path for `A·Bᵀ` and its ragged k tails,
    // packing a column-major `B` (ragged k and n), the transposed problem
    // for a narrow `C` (n <= 16 <= m), the ragged last row strip read in
    // place (moved up) or packed (m below a tile), and the masked last
    // column strip.
    for_each_isa("gemm path_boundaries", |kern| {
        let sizes = [
            1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 20, 21, 32, 33, 64, 65, 100, 101,
        ];
        let depths = [8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 199, 200, 255, 256];
        let mut v = 0;
        for m in sizes {
            for n in sizes {
                for k in depths {
                    for ta in [false, true] {
                        let (alpha, beta) = ALPHA_BETA[v % ALPHA_BETA.len()];
                        let pad = [0, 3, 1, 0, 5][v % 5];
                        let tb = true;
                        let c = Case {
                            m,
                            n,
                            k,
                            ta,
                            tb,
                            pad,
                            alpha,
                            beta,
                        };
                        check(kern, c);
                        v += 1;
                    }
                }
            }
        }
    });
}

/// With row-major `A` and `B`, each row of `C` is computed from the same row
/// of `A` alone and in the same order whatever the other rows are: a product
/// split into two blocks of at least two rows each (one row goes through
/// GEMV) gives the bits of the whole. The BiLSTM's input gradient relies on it
/// to split its rows between two threads (`autograd::ops::lstm_seq::bi`).
#[test]
fn row_blocks_of_row_major_products_have_the_bits_of_the_whole() {
    for_each_isa(
        "row_blocks_of_row_major_products_have_the_bits_of_the_whole",
        |kern| {
            // (k, n): the tagger's input-gradient shapes (4·hidden × input) and
            // depths past one cache block.
            for (k, n) in [(400, 264), (400, 100), (300, 37), (900, 20), (64, 17)] {
                let b = fill(k * n, 7);
                for m in 4..=70 {
                    let a = fill(m * k, m as u32);
                    let init = fill(m * n, 11);
                    let mut whole = init.clone();
                    kern.gemm(
                        1.0,
                        Mat::new(&a, m, k),
                        Mat::new(&b, k, n),
                        1.0,
                        MatMut::new(&mut whole, m, n),
                    );
                    for split in [2, m / 2, m - 2] {
                        let mut parts = init.clone();
                        let (top, bottom) = parts.split_at_mut(split * n);
                        let (a_top, a_bottom) = a.split_at(split * k);
                        for (a, c, rows) in [(a_top, top, split), (a_bottom, bottom, m - split)] {
                            kern.gemm(
                                1.0,
                                Mat::new(a, rows, k),
                                Mat::new(&b, k, n),
                                1.0,
                                MatMut::new(c, rows, n),
                            );
                        }
                        assert!(
                            whole
                                .iter()
                                .zip(&parts)
                                .all(|(x, y)| x.to_bits() == y.to_bits()),
                            "{}: {m}x{k}·{k}x{n} split at row {split} differs",
                            kern.isa()
                        );
                    }
                }
            }
        },
    );
}
