//! `axpy`, `dot` and `scale` on every instruction set against the naive f64
//! twin, on every length up to 70 (all vector tails) and a few large ones.

mod common;

use common::*;
use cpu_kernels::naive;

const LENGTHS: [usize; 5] = [333, 517, 1000, 1024, 4099];

fn lengths() -> impl Iterator<Item = usize> {
    (0..=70).chain(LENGTHS)
}

#[test]
fn axpy_matches_naive() {
    for_each_isa("axpy_matches_naive", |kern| {
        for n in lengths() {
            let (x, mut y) = (fill(n, 31), fill(n, 32));
            let mut want = to_f64(&y);
            naive::axpy(-1.25, &to_f64(&x), &mut want);
            let scale: Vec<f64> = x
                .iter()
                .zip(&y)
                .map(|(x, y)| 1.25 * x.abs() as f64 + y.abs() as f64)
                .collect();
            kern.axpy(-1.25, &x, &mut y);
            assert_close(
                &y,
                &want,
                &scale,
                sum_tol(1),
                &format!("{} axpy n={n}", kern.isa()),
            );
        }
    });
}

#[test]
fn dot_matches_naive() {
    for_each_isa("dot_matches_naive", |kern| {
        for n in lengths() {
            let (x, y) = (fill(n, 33), fill(n, 34));
            let want = naive::dot(&to_f64(&x), &to_f64(&y));
            let scale = naive::dot(&abs64(&x), &abs64(&y));
            let got = kern.dot(&x, &y);
            assert_close(
                &[got],
                &[want],
                &[scale],
                sum_tol(n),
                &format!("{} dot n={n}", kern.isa()),
            );
        }
    });
}

#[test]
fn scale_matches_naive() {
    for_each_isa("scale_matches_naive", |kern| {
        for n in lengths() {
            let mut x = fill(n, 35);
            let want: Vec<f64> = x.iter().map(|&v| v as f64 * 0.3).collect();
            let scale: Vec<f64> = want.iter().map(|v| v.abs()).collect();
            kern.scale(0.3, &mut x);
            assert_close(
                &x,
                &want,
                &scale,
                sum_tol(0),
                &format!("{} scale n={n}", kern.isa()),
            );
        }
    });
}
