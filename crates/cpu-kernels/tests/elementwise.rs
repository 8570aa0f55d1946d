//! sigmoid, tanh, exp, relu, softmax and log_softmax on every instruction set
//! against the naive twin evaluated in f64 (the true value of the f32 input):
//! about 1e-6 relative over the ranges the tagger sees, correct saturation and
//! no NaN for large or infinite inputs, every tail length.

mod common;

use common::*;
use cpu_kernels::{naive, Unary};

/// Relative tolerance of the SIMD polynomials (a few ulps).
const REL: f64 = 1e-6;
/// Below the smallest normal f32 an absolute error is what counts.
const ABS: f64 = f32::MIN_POSITIVE as f64 * 2.0;

const FUNCS: [Unary; 4] = [Unary::Sigmoid, Unary::Tanh, Unary::Exp, Unary::Relu];

/// A sweep of [-30, 30], the tiny and the huge, and the special values.
fn inputs() -> Vec<f32> {
    let mut x: Vec<f32> = (-3000..=3000).map(|i| i as f32 * 0.01).collect();
    x.extend((-60..=60).map(|i| i as f32 * 1.7));
    x.extend([
        0.0,
        -0.0,
        1e-30,
        -1e-30,
        1e-8,
        -1e-8,
        0.624,
        0.625,
        0.626,
        -0.625,
        9.0,
        -9.0,
        20.0,
        -20.0,
        87.0,
        88.5,
        88.72,
        88.73,
        89.0,
        100.0,
        -87.0,
        -87.5,
        -95.0,
        -103.9,
        -104.5,
        -100.0,
        1e10,
        -1e10,
        f32::MAX,
        f32::MIN,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ]);
    x
}

fn check_unary(kern: &cpu_kernels::Kernels, f: Unary, x: &[f32]) {
    let mut y = vec![f32::NAN; x.len()];
    kern.unary(f, x, &mut y);
    for (&xi, &yi) in x.iter().zip(&y) {
        let want = naive::apply(f, xi as f64);
        // exp of a large argument is inf in f32 where f64 still has a value.
        let want_f32 = want as f32;
        let err = (yi as f64 - want).abs();
        let ok = err <= REL * want.abs() + ABS || (want_f32.is_infinite() && yi == want_f32);
        assert!(ok, "{} {f:?}({xi:e}) = {yi:e}, want {want:e}", kern.isa());
        assert!(!yi.is_nan(), "{} {f:?}({xi:e}) is NaN", kern.isa());
    }
    let mut z = x.to_vec();
    kern.unary_inplace(f, &mut z);
    let same = z.iter().zip(&y).all(|(a, b)| a.to_bits() == b.to_bits());
    assert!(
        same,
        "{} {f:?}: unary_inplace differs from unary",
        kern.isa()
    );
}

#[test]
fn unary_accuracy_and_saturation() {
    for_each_isa("unary_accuracy_and_saturation", |kern| {
        let x = inputs();
        for f in FUNCS {
            check_unary(kern, f, &x);
        }
    });
}

#[test]
fn unary_every_tail_length() {
    for_each_isa("unary_every_tail_length", |kern| {
        for n in 0..=40 {
            let x: Vec<f32> = fill(n, 41).iter().map(|v| v * 6.0).collect();
            for f in FUNCS {
                check_unary(kern, f, &x);
            }
        }
    });
}

#[test]
fn saturation_values_are_exact() {
    for_each_isa("saturation_values_are_exact", |kern| {
        let x = [
            100.0,
            -100.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            1000.0,
            -1000.0,
        ];
        let mut y = [0.0; 6];
        kern.unary(Unary::Tanh, &x, &mut y);
        assert_eq!(y, [1.0, -1.0, 1.0, -1.0, 1.0, -1.0], "{} tanh", kern.isa());
        kern.unary(Unary::Sigmoid, &x, &mut y);
        assert_eq!(y, [1.0, 0.0, 1.0, 0.0, 1.0, 0.0], "{} sigmoid", kern.isa());
        kern.unary(Unary::Exp, &x, &mut y);
        // e^-100 is the subnormal 3.7e-44, not 0.
        let tiny = (-100.0f64).exp() as f32;
        assert_eq!(
            y,
            [f32::INFINITY, tiny, f32::INFINITY, 0.0, f32::INFINITY, 0.0],
            "{} exp",
            kern.isa()
        );
        let nan = [f32::NAN; 3];
        for f in [Unary::Sigmoid, Unary::Tanh, Unary::Exp] {
            kern.unary(f, &nan, &mut y[..3]);
            assert!(
                y[..3].iter().all(|v| v.is_nan()),
                "{} {f:?}(NaN) must be NaN",
                kern.isa()
            );
        }
        kern.unary(Unary::Relu, &nan, &mut y[..3]);
        assert_eq!(
            &y[..3],
            &[0.0; 3],
            "{} relu(NaN) is 0 as in the naive kernel",
            kern.isa()
        );
    });
}

fn check_softmax(kern: &cpu_kernels::Kernels, x: &[f32]) {
    let x64 = to_f64(x);
    let mut want = vec![0.0; x.len()];
    let mut got = vec![f32::NAN; x.len()];
    naive::softmax(&x64, &mut want);
    kern.softmax(x, &mut got);
    let scale: Vec<f64> = want.iter().map(|w| w.abs()).collect();
    let what = format!("{} softmax n={}", kern.isa(), x.len());
    assert_close(&got, &want, &scale, 4.0 * REL, &what);
    naive::log_softmax(&x64, &mut want);
    kern.log_softmax(x, &mut got);
    // An absolute error of a few ulps of ln z (z >= 1) is all f32 can promise.
    let scale: Vec<f64> = want.iter().map(|w| w.abs() + 1.0).collect();
    assert_close(&got, &want, &scale, 4.0 * REL, &format!("log_{what}"));
}

#[test]
fn softmax_matches_naive_and_is_stable() {
    for_each_isa("softmax_matches_naive_and_is_stable", |kern| {
        for n in (0..=40).chain([333, 517]) {
            let x: Vec<f32> = fill(n, 42).iter().map(|v| v * 5.0).collect();
            check_softmax(kern, &x);
            let big: Vec<f32> = x.iter().map(|v| v * 100.0 + 1000.0).collect();
            check_softmax(kern, &big);
            let neg: Vec<f32> = x.iter().map(|v| v - 1000.0).collect();
            check_softmax(kern, &neg);
        }
        let mut y = [0.0; 3];
        kern.softmax(&[1e30, 0.0, -1e30], &mut y);
        assert_eq!(y, [1.0, 0.0, 0.0], "{} softmax saturates", kern.isa());
    });
}
