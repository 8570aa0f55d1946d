//! GEMV (`Ax` and `Aᵀx`) and the rank-1 update on every instruction set
//! against the naive f64 twin: every shape up to 19, multiples of 7, a large
//! odd shape, the tagger's shapes; α/β variations with β = 0 over NaN and
//! padded leading dimensions whose padding must stay untouched.

mod common;

use common::*;
use cpu_kernels::{naive, Kernels, Mat, MatMut};

/// `y = α·op(A)·x + β·y` where `op(A)` is `m×n`; stored transposed when `t`.
fn check_gemv(kern: &Kernels, m: usize, n: usize, t: bool, pad: usize, alpha: f32, beta: f32) {
    let (sr, sc) = if t { (n, m) } else { (m, n) };
    let ld = sc + pad;
    let a = fill(sr * ld, 11);
    let x = fill(n, 12);
    let mut y: Vec<f32> = if beta == 0.0 {
        vec![f32::NAN; m]
    } else {
        fill(m, 13)
    };
    let view = |a| {
        let v = Mat::with_ld(a, sr, sc, ld);
        if t {
            v.t()
        } else {
            v
        }
    };
    let (a64, x64) = (to_f64(&a), to_f64(&x));
    let mut want = to_f64(&y);
    let v64 = Mat::with_ld(&a64, sr, sc, ld);
    let v64 = if t { v64.t() } else { v64 };
    naive::gemv(alpha as f64, v64, &x64, beta as f64, &mut want);
    let (aa, xa) = (abs64(&a), abs64(&x));
    let va = Mat::with_ld(&aa, sr, sc, ld);
    let va = if t { va.t() } else { va };
    let mut scale: Vec<f64> = y
        .iter()
        .map(|v| if v.is_nan() { 0.0 } else { v.abs() as f64 })
        .collect();
    naive::gemv(alpha.abs() as f64, va, &xa, beta.abs() as f64, &mut scale);

    kern.gemv(alpha, view(&a), &x, beta, &mut y);
    let what = format!(
        "{} gemv {m}x{n} t={t} pad={pad} alpha={alpha} beta={beta}",
        kern.isa()
    );
    assert_close(&y, &want, &scale, sum_tol(n), &what);
}

fn all_variants(kern: &Kernels, m: usize, n: usize) {
    for (v, (alpha, beta)) in ALPHA_BETA.into_iter().enumerate() {
        for t in [false, true] {
            check_gemv(kern, m, n, t, [0, 3][(v + m + n) % 2], alpha, beta);
        }
    }
}

#[test]
fn gemv_every_small_shape() {
    for_each_isa("gemv_every_small_shape", |kern| {
        for m in 0..20 {
            for n in 0..20 {
                all_variants(kern, m, n);
            }
        }
    });
}

#[test]
fn gemv_multiples_of_seven_and_large() {
    for_each_isa("gemv_multiples_of_seven_and_large", |kern| {
        for m in (7..=70).step_by(7) {
            for n in (7..=70).step_by(7) {
                all_variants(kern, m, n);
            }
        }
        all_variants(kern, 333, 517);
        all_variants(kern, 517, 333);
        all_variants(kern, 1, 517);
        all_variants(kern, 517, 1);
    });
}

#[test]
fn gemv_tagger_shapes() {
    for_each_isa("gemv_tagger_shapes", |kern| {
        for (m, n) in [
            (300, 264),
            (300, 100),
            (100, 100),
            (20, 200),
            (17, 20),
            (1200, 364),
        ] {
            all_variants(kern, m, n);
        }
    });
}

fn check_ger(kern: &Kernels, m: usize, n: usize, pad: usize, alpha: f32) {
    let ld = n + pad;
    let len = m * ld + 2;
    let mut a = vec![SENTINEL; len];
    let init = fill(len, 21);
    for i in 0..m {
        a[i * ld..i * ld + n].copy_from_slice(&init[i * ld..i * ld + n]);
    }
    let (x, y) = (fill(m, 22), fill(n, 23));
    let mut want = to_f64(&a);
    naive::ger(
        alpha as f64,
        &to_f64(&x),
        &to_f64(&y),
        MatMut::with_ld(&mut want, m, n, ld),
    );
    kern.ger(alpha, &x, &y, MatMut::with_ld(&mut a, m, n, ld));
    let what = format!("{} ger {m}x{n} pad={pad} alpha={alpha}", kern.isa());
    let scale: Vec<f64> = want.iter().map(|w| w.abs() + alpha.abs() as f64).collect();
    assert_close(&a, &want, &scale, sum_tol(1), &what);
    for (i, v) in a.iter().enumerate() {
        if ld == 0 || i / ld >= m || i % ld >= n {
            assert_eq!(
                v.to_bits(),
                SENTINEL.to_bits(),
                "{what}: wrote outside A at {i}"
            );
        }
    }
}

#[test]
fn ger_shapes() {
    for_each_isa("ger_shapes", |kern| {
        for m in 0..20 {
            for n in 0..20 {
                check_ger(kern, m, n, (m + n) % 3, [1.0, -0.5][(m * n) % 2]);
            }
        }
        for (m, n) in [(300, 100), (333, 517), (49, 70)] {
            check_ger(kern, m, n, 0, 0.25);
            check_ger(kern, m, n, 5, -1.0);
        }
    });
}
