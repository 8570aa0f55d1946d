//! Helpers shared by the kernel tests: inputs from formulas, the loop over
//! every instruction set (saying loudly which ones were skipped), and
//! comparisons with tolerances scaled to the magnitude of the terms.

#![allow(dead_code)]

use cpu_kernels::{kernels, Isa, Kernels};
use std::io::Write;

/// Deterministic inputs in about [-1, 1]: `sin(0.37·i + seed)`-like values.
pub fn fill(n: usize, seed: u32) -> Vec<f32> {
    (0..n)
        .map(|i| ((i as f32 * 0.37 + seed as f32 * 1.13).sin() * 1.3).clamp(-1.0, 1.0))
        .collect()
}

/// Runs `f` on the kernels of every instruction set the CPU has; for the others
/// prints a `skipped:` line straight to stderr (not through the test harness's
/// capture, so it shows even when the test passes).
pub fn for_each_isa(test: &str, mut f: impl FnMut(&'static Kernels)) {
    for isa in Isa::ALL {
        match kernels(isa) {
            Some(k) => f(k),
            None => {
                let _ = writeln!(
                    std::io::stderr(),
                    "skipped: {isa} not supported by this CPU ({test})"
                );
            }
        }
    }
}

/// `|got - want| <= tol·scale + tiny` elementwise, with a readable message.
pub fn assert_close(got: &[f32], want: &[f64], scale: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, ((&g, &w), &s)) in got.iter().zip(want).zip(scale).enumerate() {
        let err = (g as f64 - w).abs();
        let bound = tol * s + 1e-30;
        assert!(
            err <= bound || (g.is_nan() && w.is_nan()),
            "{what}: element {i}: got {g:e}, want {w:e} (|err| {err:e} > {bound:e})"
        );
    }
}

/// The f32 error bound of a sum of `k` products: a few ulps per term.
pub fn sum_tol(k: usize) -> f64 {
    4.0 * f32::EPSILON as f64 * (k as f64 + 2.0)
}

pub fn to_f64(x: &[f32]) -> Vec<f64> {
    x.iter().map(|&v| v as f64).collect()
}

pub fn abs64(x: &[f32]) -> Vec<f64> {
    x.iter().map(|&v| (v as f64).abs()).collect()
}

/// The alpha/beta pairs every BLAS-like kernel is tried with; `β = 0` ones run
/// on an output pre-filled with NaN.
pub const ALPHA_BETA: [(f32, f32); 4] = [(1.0, 0.0), (-0.75, 0.0), (1.0, 1.0), (1.5, -0.5)];

/// Stored outside every matrix view, to catch stray writes.
pub const SENTINEL: f32 = 7777.0;
