//! Dispatch: the chosen instruction set is supported, every path gives
//! bit-identical results on repeated calls (and wherever the data sits in
//! memory), the public API agrees with the active table, and `QMTL_ISA`
//! forces a path in a child process (this test binary run again).

mod common;

use common::*;
use cpu_kernels::{isa, kernels, supported_isas, Isa, Mat, MatMut, Unary, ISA_ENV};
use std::process::Command;

#[test]
fn active_isa_is_supported_and_reported() {
    let active = isa();
    assert!(
        supported_isas().contains(&active),
        "{active} chosen but not supported"
    );
    eprintln!(
        "active instruction set: {active}; supported: {:?}",
        supported_isas()
    );
}

/// Every kernel of `kern`, writing its outputs into one vector.
fn run_all(kern: &cpu_kernels::Kernels, offset: usize) -> Vec<u32> {
    // `offset` shifts every input in memory, to catch alignment-dependent paths.
    let shifted = |v: Vec<f32>| {
        let mut s = vec![0.0; offset];
        s.extend(v);
        s
    };
    let a = shifted(fill(300 * 264, 1));
    let a = &a[offset..];
    let b = shifted(fill(264 * 37, 2));
    let b = &b[offset..];
    let x = shifted(fill(300, 3));
    let x = &x[offset..];
    let mut out = Vec::new();
    let mut c = vec![0.0; 300 * 37];
    kern.gemm(
        1.0,
        Mat::new(a, 300, 264),
        Mat::new(b, 264, 37),
        0.0,
        MatMut::new(&mut c, 300, 37),
    );
    out.extend(&c);
    let mut c = vec![0.0; 264 * 264];
    kern.gemm(
        1.0,
        Mat::new(a, 300, 264).t(),
        Mat::new(a, 300, 264),
        0.0,
        MatMut::new(&mut c, 264, 264),
    );
    out.extend(&c);
    let mut y = vec![0.0; 264];
    kern.gemv(1.0, Mat::new(a, 300, 264).t(), x, 0.0, &mut y);
    out.extend(&y);
    let mut y = vec![0.0; 300];
    kern.gemv(1.0, Mat::new(a, 300, 264), &b[..264], 0.0, &mut y);
    out.extend(&y);
    out.push(kern.dot(&a[..1000], &a[1000..2000]));
    for f in [Unary::Sigmoid, Unary::Tanh, Unary::Exp] {
        let mut y = vec![0.0; 300];
        kern.unary(f, x, &mut y);
        out.extend(&y);
    }
    let mut y = vec![0.0; 300];
    kern.softmax(x, &mut y);
    out.extend(&y);
    let mut y = vec![0.0; 301 + offset];
    kern.normal_fill(42, 0.5, &mut y[offset..]);
    out.extend(&y[offset..]);
    out.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn results_are_bit_identical_across_calls_and_alignments() {
    for_each_isa("results_are_bit_identical", |kern| {
        let first = run_all(kern, 0);
        for offset in [0, 1, 3, 16] {
            assert!(
                first == run_all(kern, offset),
                "{}: results changed (offset {offset})",
                kern.isa()
            );
        }
    });
}

#[test]
fn public_api_uses_the_active_table() {
    let kern = kernels(isa()).unwrap();
    let (a, x) = (fill(20 * 200, 5), fill(200, 6));
    let (mut y1, mut y2) = (vec![0.0f32; 20], vec![0.0f32; 20]);
    cpu_kernels::gemv(1.0, Mat::new(&a, 20, 200), &x, 0.0, &mut y1);
    kern.gemv(1.0, Mat::new(&a, 20, 200), &x, 0.0, &mut y2);
    assert_eq!(y1, y2);
}

/// Runs `child_reports_isa` in a child process with `QMTL_ISA=value`.
fn child(value: &str) -> (String, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_reports_isa",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ISA_ENV, value)
        .env("QMTL_ISA_CHILD", "1")
        .output()
        .expect("run the test binary again");
    assert!(
        out.status.success(),
        "child with {ISA_ENV}={value} failed: {out:?}"
    );
    (
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// In a child process: prints the active instruction set (and runs a kernel).
#[test]
fn child_reports_isa() {
    if std::env::var_os("QMTL_ISA_CHILD").is_none() {
        return;
    }
    let mut y = [0.0f32; 3];
    cpu_kernels::unary(Unary::Tanh, &[1.0, 2.0, 3.0], &mut y);
    println!("ISA={}", isa());
}

#[test]
fn env_variable_forces_a_path() {
    for want in supported_isas() {
        let (stdout, stderr) = child(want.name());
        assert!(
            stdout.contains(&format!("ISA={want}")),
            "{ISA_ENV}={want}: {stdout}"
        );
        assert!(
            !stderr.contains("warning"),
            "{ISA_ENV}={want} warned: {stderr}"
        );
    }
    let best = supported_isas()[0];
    let (stdout, stderr) = child("no-such-isa");
    assert!(
        stdout.contains(&format!("ISA={best}")),
        "unknown value: {stdout}"
    );
    assert_eq!(
        stderr.matches("qmtl: warning").count(),
        1,
        "one warning expected: {stderr}"
    );
    for missing in Isa::ALL.into_iter().filter(|i| !i.is_supported()) {
        let (stdout, stderr) = child(missing.name());
        assert!(
            stdout.contains(&format!("ISA={best}")),
            "{missing} must not be used: {stdout}"
        );
        assert!(stderr.contains("does not support"), "{stderr}");
    }
}
