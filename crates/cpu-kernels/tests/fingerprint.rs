//! Bit-exact fingerprints of every f32 entry point (GEMM, GEMV, ger, the
//! level-1 ops, the element-wise functions, softmax, the Gaussian noise) on
//! each instruction set: a hash of the output bits over many shapes (1-40
//! rows, odd sizes, every vector tail, the four layouts of GEMM, padded
//! leading dimensions, the α/β cases, NaN-filled outputs under β = 0, and
//! inputs with ±inf, NaN and exp's saturation points).
//!
//! The other kernel tests allow rounding differences against a naive f64
//! twin; this one allows none. It exists so that a change meant to move code,
//! not arithmetic (a refactor of the per-ISA files, a new compiler), can be
//! shown to leave every bit of every result where it was. A deliberate change
//! of a kernel's arithmetic changes the hashes: print them with
//! `cargo test --release -p cpu-kernels --test fingerprint -- --nocapture`
//! and freeze the new values below, saying why in the commit.

mod common;

use common::for_each_isa;
use cpu_kernels::{Isa, Kernels, Mat, MatMut, Unary};
use std::fmt::Write as _;

/// The hashes of each entry point, per instruction set, as produced by the
/// kernels of revision 8e4e2a2 (before the per-ISA files shared their code)
/// on an AMD EPYC with AVX2 (`-- --nocapture` prints them). No AVX-512
/// machine has produced a reference yet: that path is printed, not checked.
#[rustfmt::skip]
const FROZEN: &[(Isa, &str, u64)] = &[
    (Isa::Avx2Fma, "gemm", 0x8caf09693cc92a74),
    (Isa::Avx2Fma, "gemv", 0xadedfbb1da8fea37),
    (Isa::Avx2Fma, "ger", 0xec526baa1e9750ac),
    (Isa::Avx2Fma, "axpy", 0xf04d1f127ea47a91),
    (Isa::Avx2Fma, "dot", 0x96f18b120ee223e5),
    (Isa::Avx2Fma, "scale", 0x3b89ddbe562ab308),
    (Isa::Avx2Fma, "sigmoid", 0xc34a75cff9d9b795),
    (Isa::Avx2Fma, "tanh", 0x5c22ca7f36382181),
    (Isa::Avx2Fma, "exp", 0x56a2de0abb173871),
    (Isa::Avx2Fma, "relu", 0x0f595598adc42a55),
    (Isa::Avx2Fma, "softmax", 0x836ad4553fe958d5),
    (Isa::Avx2Fma, "log_softmax", 0x459c67defdbe6c91),
    (Isa::Avx2Fma, "normal_fill", 0x9614befd034f7795),
    (Isa::Fallback, "gemm", 0x32bfd8fc1761d07c),
    (Isa::Fallback, "gemv", 0x7d996afc4a863d8c),
    (Isa::Fallback, "ger", 0xc283c2c02e0f5c09),
    (Isa::Fallback, "axpy", 0xe7be8a657d2ec664),
    (Isa::Fallback, "dot", 0xcaf5f376e837cde4),
    (Isa::Fallback, "scale", 0x3b89ddbe562ab308),
    (Isa::Fallback, "sigmoid", 0x406033a2d9594b31),
    (Isa::Fallback, "tanh", 0x1e29c2aaf70405c9),
    (Isa::Fallback, "exp", 0x8fcb33b19fa36721),
    (Isa::Fallback, "relu", 0x0f595598adc42a55),
    (Isa::Fallback, "softmax", 0x812a2213fd3b2a1b),
    (Isa::Fallback, "log_softmax", 0x40d70efccdcefdd4),
    (Isa::Fallback, "normal_fill", 0xe8026b834722b1f1),
];

/// FNV-1a over the bit patterns of the outputs.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn bits(&mut self, x: &[f32]) {
        for v in x {
            for b in v.to_bits().to_le_bytes() {
                self.0 = (self.0 ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
    }
}

/// Fixed pseudo-random inputs in [-2, 2) (splitmix64), a stream per `seed`.
fn input(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x2545_f491_4f6c_dd1d;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            ((z >> 40) as f32 / (1u64 << 24) as f32) * 4.0 - 2.0
        })
        .collect()
}

/// The output before a call: NaN where `β = 0` must not read it.
fn output(n: usize, beta: f32, seed: u64) -> Vec<f32> {
    if beta == 0.0 {
        vec![f32::NAN; n]
    } else {
        input(n, seed)
    }
}

const ALPHA_BETA: [(f32, f32); 5] = [
    (1.0, 0.0),
    (1.0, 1.0),
    (-0.75, 0.0),
    (1.5, -0.5),
    (0.3, 1.0),
];

/// Sizes beyond 1-40: vector multiples and their neighbours, the tagger's.
const BIG: [usize; 9] = [47, 48, 49, 63, 64, 65, 100, 129, 300];

fn gemm(kern: &Kernels, h: &mut Fnv) {
    let ns = [
        1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 20, 23, 31, 32, 33, 48, 49, 53, 100,
    ];
    let ks = [1, 2, 3, 8, 17, 20, 33, 100, 264];
    let mut case = 0usize;
    let run = |m: usize, n: usize, k: usize, case: usize, h: &mut Fnv| {
        let (ta, tb) = (case % 2 == 1, (case / 2) % 2 == 1);
        let (alpha, beta) = ALPHA_BETA[case % ALPHA_BETA.len()];
        let pad = [0, 3][(case / 4) % 2];
        let a = input(m * k + pad * m.max(k), case as u64);
        let b = input(k * n + pad * k.max(n), case as u64 + 1);
        let a = if ta {
            Mat::with_ld(&a, k, m, m + pad).t()
        } else {
            Mat::with_ld(&a, m, k, k + pad)
        };
        let b = if tb {
            Mat::with_ld(&b, n, k, k + pad).t()
        } else {
            Mat::with_ld(&b, k, n, n + pad)
        };
        let ldc = n + pad;
        let mut c = output(m * ldc, beta, case as u64 + 2);
        kern.gemm(alpha, a, b, beta, MatMut::with_ld(&mut c, m, n, ldc));
        h.bits(&c);
    };
    for m in 1..=40 {
        for &n in &ns {
            for &k in &ks {
                run(m, n, k, case, h);
                case += 1;
            }
        }
    }
    // Packing, several depth blocks, several column blocks, the tagger's.
    for (m, n, k) in [
        (160, 300, 100),
        (300, 37, 264),
        (264, 264, 300),
        (100, 100, 600),
        (5, 1100, 3),
        (129, 65, 47),
        (20, 200, 200),
        (18, 1200, 20),
    ] {
        for layout in 0..4 {
            run(m, n, k, case + layout, h);
        }
        case += 4;
    }
}

fn gemv(kern: &Kernels, h: &mut Fnv) {
    let sizes: Vec<usize> = (0..=40).chain(BIG).collect();
    let mut case = 0usize;
    for &m in &sizes {
        for &n in &sizes {
            for t in [false, true] {
                let (alpha, beta) = ALPHA_BETA[case % ALPHA_BETA.len()];
                let pad = [0, 1, 5][case % 3];
                let (sr, sc) = if t { (n, m) } else { (m, n) };
                let a = input(sr * (sc + pad), case as u64);
                let a = Mat::with_ld(&a, sr, sc, sc + pad);
                let a = if t { a.t() } else { a };
                let x = input(n, case as u64 + 1);
                let mut y = output(m, beta, case as u64 + 2);
                kern.gemv(alpha, a, &x, beta, &mut y);
                h.bits(&y);
                case += 1;
            }
        }
    }
}

fn ger(kern: &Kernels, h: &mut Fnv) {
    let mut case = 0u64;
    for m in (1..=40).chain(BIG) {
        for n in (1..=40).chain(BIG) {
            let pad = [0, 3][case as usize % 2];
            let (x, y) = (input(m, case), input(n, case + 1));
            let mut a = input(m * (n + pad), case + 2);
            kern.ger(-0.5, &x, &y, MatMut::with_ld(&mut a, m, n, n + pad));
            h.bits(&a);
            case += 1;
        }
    }
}

fn lengths() -> impl Iterator<Item = usize> {
    (0..=200).chain([333, 517, 1000, 1024, 4099])
}

fn axpy(kern: &Kernels, h: &mut Fnv) {
    for n in lengths() {
        let (x, mut y) = (input(n, n as u64), input(n, n as u64 + 7));
        kern.axpy(-1.25, &x, &mut y);
        h.bits(&y);
    }
}

fn dot(kern: &Kernels, h: &mut Fnv) {
    for n in lengths() {
        let (x, y) = (input(n, n as u64), input(n, n as u64 + 7));
        h.bits(&[kern.dot(&x, &y)]);
    }
}

fn scale(kern: &Kernels, h: &mut Fnv) {
    for n in lengths() {
        let mut x = input(n, n as u64);
        kern.scale(0.37, &mut x);
        h.bits(&x);
    }
}

/// Inputs for the element-wise functions: wide enough for the clamps of
/// `exp` and the large-|x| branch of `tanh`, with the special values inside
/// (at a position that moves with `n`, so they also sit in the masked tails).
fn wide(n: usize, seed: u64) -> Vec<f32> {
    let special = [
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        88.72,
        89.0,
        -87.5,
        -104.0,
        1e-30,
        -1e-6,
        0.625,
        9.01,
    ];
    let mut x: Vec<f32> = input(n, seed).iter().map(|v| v * 12.0).collect();
    for (i, &s) in special.iter().enumerate() {
        if n > 0 && (i * 7 + n).is_multiple_of(3) {
            let at = (i * 13 + n) % n;
            x[at] = s;
        }
    }
    x
}

fn unary(kern: &Kernels, f: Unary, h: &mut Fnv) {
    for n in (0..=100).chain([1000, 4099]) {
        let x = wide(n, n as u64);
        let mut y = vec![f32::NAN; n];
        kern.unary(f, &x, &mut y);
        h.bits(&y);
        let mut z = x.clone();
        kern.unary_inplace(f, &mut z);
        h.bits(&z);
    }
}

fn softmax(kern: &Kernels, log: bool, h: &mut Fnv) {
    for n in (0..=100).chain([1000, 4099]) {
        // Ordinary logits, then ones spread wide enough to underflow e^(x - max).
        for spread in [1.0, 40.0] {
            let x: Vec<f32> = input(n, n as u64).iter().map(|v| v * spread).collect();
            let mut y = vec![f32::NAN; n];
            if log {
                kern.log_softmax(&x, &mut y);
            } else {
                kern.softmax(&x, &mut y);
            }
            h.bits(&y);
        }
    }
}

fn normal(kern: &Kernels, h: &mut Fnv) {
    for (i, n) in (0..=100).chain([1000, 4099]).enumerate() {
        let mut y = vec![f32::NAN; n];
        kern.normal_fill_at(i as u64 * 0x1234_5678_9abc, (i % 7) as u64, 0.5, &mut y);
        h.bits(&y);
    }
}

/// One line per entry point: `isa op hash`.
fn fingerprints(kern: &Kernels) -> Vec<(&'static str, u64)> {
    let mut out = Vec::new();
    let mut one = |name: &'static str, f: &dyn Fn(&mut Fnv)| {
        let mut h = Fnv::new();
        f(&mut h);
        out.push((name, h.0));
    };
    one("gemm", &|h| gemm(kern, h));
    one("gemv", &|h| gemv(kern, h));
    one("ger", &|h| ger(kern, h));
    one("axpy", &|h| axpy(kern, h));
    one("dot", &|h| dot(kern, h));
    one("scale", &|h| scale(kern, h));
    one("sigmoid", &|h| unary(kern, Unary::Sigmoid, h));
    one("tanh", &|h| unary(kern, Unary::Tanh, h));
    one("exp", &|h| unary(kern, Unary::Exp, h));
    one("relu", &|h| unary(kern, Unary::Relu, h));
    one("softmax", &|h| softmax(kern, false, h));
    one("log_softmax", &|h| softmax(kern, true, h));
    one("normal_fill", &|h| normal(kern, h));
    out
}

#[test]
fn outputs_match_the_frozen_bits() {
    let mut report = String::new();
    let mut wrong = Vec::new();
    for_each_isa("outputs_match_the_frozen_bits", |kern| {
        let isa = kern.isa();
        for (op, got) in fingerprints(kern) {
            let _ = writeln!(report, "    (Isa::{isa:?}, \"{op}\", 0x{got:016x}),");
            let frozen = FROZEN.iter().find(|(i, o, _)| *i == isa && *o == op);
            match frozen {
                Some(&(_, _, want)) if want != got => {
                    wrong.push(format!("{isa} {op}: 0x{got:016x}, frozen 0x{want:016x}"))
                }
                Some(_) => {}
                None => eprintln!("not checked: no frozen fingerprint for {isa} {op}"),
            }
        }
    });
    println!("{report}");
    assert!(
        wrong.is_empty(),
        "outputs changed bits:\n{}",
        wrong.join("\n")
    );
}
