//! LSTM tests: the coupled cell against values frozen from DyNet, both cells'
//! gradients against central differences, the fused sequence op against the
//! cell built from primitive ops, and the batched op against one-by-one runs.

use autograd::lstm::cell;
use autograd::{
    gradcheck, Grads, Graph, LstmKind, LstmParams, ParamKind, ParamStore, Real, Tape, Var,
};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// An LSTM with parameters from the seeded initialiser, nudged by a formula so
/// biases are not all zero (zero biases would hide bias-gradient bugs).
fn lstm<T: Real>(
    store: &mut ParamStore<T>,
    kind: LstmKind,
    input: usize,
    hidden: usize,
) -> LstmParams {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let p = LstmParams::new(store, "l", kind, input, hidden, &mut rng);
    for (i, v) in store.get_mut(p.b).value.iter_mut().enumerate() {
        *v = T::from_f64((i as f64 * 0.53).sin() * 0.3);
    }
    p
}

fn input_param<T: Real>(store: &mut ParamStore<T>, rows: usize, cols: usize) -> autograd::ParamId {
    let v = (0..rows * cols)
        .map(|i| T::from_f64((i as f64 * 0.37 + 0.2).sin()))
        .collect();
    store.from_values("x", rows, cols, ParamKind::Dense, v)
}

/// `Σ w ⊙ y` with fixed weights: a loss that reads every output element.
fn weighted<T: Real>(g: &mut Graph<'_, T>, y: Var) -> Var {
    let (r, c) = g.shape(y);
    let w: Vec<T> = (0..r * c)
        .map(|i| T::from_f64((i as f64 * 0.71).cos()))
        .collect();
    let w = g.input(r, c, &w);
    let p = g.mul(y, w);
    g.sum(&[p])
}

mod golden {
    use super::*;
    use serde_json::Value;

    /// tests/golden/coupled_lstm.json is ../shared/golden/coupled_lstm.json,
    /// produced by DyNet 2.x's CoupledLSTMBuilder (see that folder's README).
    fn golden() -> Value {
        serde_json::from_str(include_str!("golden/coupled_lstm.json")).unwrap()
    }

    fn flat(v: &Value) -> Vec<f64> {
        match v {
            Value::Array(a) => a.iter().flat_map(flat).collect(),
            Value::Number(n) => vec![n.as_f64().unwrap()],
            _ => panic!("not numeric: {v}"),
        }
    }

    /// Our stacked layout from DyNet's separate matrices: wx = [Wxi; Wxg; Wxo].
    fn store_from_golden(g: &Value) -> (ParamStore<f64>, LstmParams) {
        let p = &g["params"];
        let cat = |names: &[&str]| names.iter().flat_map(|n| flat(&p[*n])).collect::<Vec<_>>();
        let mut s = ParamStore::new();
        let d = ParamKind::Dense;
        let wx = s.from_values("wx", 6, 3, d, cat(&["Wxi", "Wxg", "Wxo"]));
        let wh = s.from_values("wh", 6, 2, d, cat(&["Whi", "Whg", "Who"]));
        let b = s.from_values("b", 1, 6, d, cat(&["bi", "bg", "bo"]));
        let wci = s.from_values("wci", 2, 2, d, cat(&["Wci"]));
        let wco = s.from_values("wco", 2, 2, d, cat(&["Wco"]));
        let lp = LstmParams {
            kind: LstmKind::Coupled,
            input: 3,
            hidden: 2,
            wx,
            wh,
            b,
            wci: Some(wci),
            wco: Some(wco),
        };
        (s, lp)
    }

    fn loss(g: &mut Graph<'_, f64>, hs: Var, r: &[f64]) -> Var {
        let r = g.input(4, 2, r);
        let p = g.mul(hs, r);
        g.sum(&[p])
    }

    fn check_grads(s: &ParamStore<f64>, grads: &Grads<f64>, gold: &Value, lp: &LstmParams) {
        let gr = &gold["grad"];
        let blocks = |id, names: &[&str]| {
            let want: Vec<f64> = names.iter().flat_map(|n| flat(&gr[*n])).collect();
            let got = grads.get(id);
            for (k, (a, b)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (a - b).abs() < 1e-6,
                    "{}[{k}]: ours {a}, DyNet {b}",
                    s.get(id).name
                );
            }
        };
        blocks(lp.wx, &["Wxi", "Wxg", "Wxo"]);
        blocks(lp.wh, &["Whi", "Whg", "Who"]);
        blocks(lp.b, &["bi", "bg", "bo"]);
        blocks(lp.wci.unwrap(), &["Wci"]);
        blocks(lp.wco.unwrap(), &["Wco"]);
    }

    #[test]
    fn fused_coupled_lstm_matches_dynet() {
        let gold = golden();
        let (s, lp) = store_from_golden(&gold);
        let (x, r, h) = (flat(&gold["x"]), flat(&gold["r"]), flat(&gold["h"]));
        let mut tape = Tape::new();
        let mut grads = Grads::new(&s);
        let mut g = Graph::new(&mut tape, &s);
        let xv = g.input(4, 3, &x);
        let hs = g.lstm_seq(&lp, xv, false);
        for (a, b) in g.value(hs).iter().zip(&h) {
            assert!((a - b).abs() < 1e-7, "h: ours {a}, DyNet {b}");
        }
        let l = loss(&mut g, hs, &r);
        let lv = g.backward(l, &mut grads);
        assert!((lv - gold["loss"].as_f64().unwrap()).abs() < 1e-7);
        check_grads(&s, &grads, &gold, &lp);
    }

    #[test]
    fn primitive_coupled_cell_matches_dynet_including_cells() {
        let gold = golden();
        let (s, lp) = store_from_golden(&gold);
        let (x, r, c) = (flat(&gold["x"]), flat(&gold["r"]), flat(&gold["c"]));
        let mut tape = Tape::new();
        let mut grads = Grads::new(&s);
        let mut g = Graph::new(&mut tape, &s);
        let xv = g.input(4, 3, &x);
        let mut state = None;
        let mut terms = Vec::new();
        for t in 0..4 {
            let xt = g.slice_rows(xv, t..t + 1);
            let (h, ct) = cell::step(&mut g, &lp, xt, state);
            for (a, b) in g.value(ct).iter().zip(&c[2 * t..2 * t + 2]) {
                assert!((a - b).abs() < 1e-7, "c[{t}]: ours {a}, DyNet {b}");
            }
            let rt = g.input(1, 2, &r[2 * t..2 * t + 2]);
            terms.push(g.mul(h, rt));
            state = Some((h, ct));
        }
        let l = g.sum(&terms);
        g.backward(l, &mut grads);
        check_grads(&s, &grads, &gold, &lp);
    }

    /// One step's outputs by hand, from the equations (model-spec section 3),
    /// for the first step (h = c = 0): i = σ(Wxi x + bi), g = tanh(Wxg x + bg),
    /// c = i g, o = σ(Wxo x + Wco c + bo), h = o tanh(c).
    #[test]
    fn first_step_by_hand() {
        let gold = golden();
        let p = &gold["params"];
        let x = flat(&gold["x"]);
        let m = |n: &str| flat(&p[n]);
        let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
        let (wxi, wxg, wxo, wco) = (m("Wxi"), m("Wxg"), m("Wxo"), m("Wco"));
        let (bi, bg, bo) = (m("bi"), m("bg"), m("bo"));
        let row = |w: &[f64], k: usize| (0..3).map(|j| w[k * 3 + j] * x[j]).sum::<f64>();
        let c: Vec<f64> = (0..2)
            .map(|k| sig(row(&wxi, k) + bi[k]) * (row(&wxg, k) + bg[k]).tanh())
            .collect();
        let h: Vec<f64> = (0..2)
            .map(|k| {
                sig(row(&wxo, k) + wco[k * 2] * c[0] + wco[k * 2 + 1] * c[1] + bo[k]) * c[k].tanh()
            })
            .collect();
        let gh = flat(&gold["h"]);
        let gc = flat(&gold["c"]);
        for k in 0..2 {
            assert!(
                (h[k] - gh[k]).abs() < 1e-7 && (c[k] - gc[k]).abs() < 1e-7,
                "step 1 by hand: h {h:?} c {c:?}"
            );
        }
    }
}

const KINDS: [LstmKind; 2] = [LstmKind::Coupled, LstmKind::Standard];

#[test]
fn fused_sequence_gradcheck_both_cells_both_directions() {
    for kind in KINDS {
        for reverse in [false, true] {
            let mut s = ParamStore::<f64>::new();
            let p = lstm(&mut s, kind, 3, 4);
            let x = input_param(&mut s, 5, 3);
            let report = gradcheck(&s, |g| {
                let x = g.param(x);
                let h = g.lstm_seq(&p, x, reverse);
                weighted(g, h)
            });
            assert!(report.passed(), "{kind:?} reverse={reverse}: {report}");
        }
    }
}

#[test]
fn primitive_cell_gradcheck_both_cells_both_directions() {
    for kind in KINDS {
        for reverse in [false, true] {
            let mut s = ParamStore::<f64>::new();
            let p = lstm(&mut s, kind, 3, 4);
            let x = input_param(&mut s, 4, 3);
            let report = gradcheck(&s, |g| {
                let x = g.param(x);
                let hs = cell::run(g, &p, x, reverse);
                let h = g.concat(&hs);
                weighted(g, h)
            });
            assert!(report.passed(), "{kind:?} reverse={reverse}: {report}");
        }
    }
}

/// Values and every gradient of the fused op equal those of the primitive cell.
#[test]
fn fused_op_equals_primitive_cell() {
    for kind in KINDS {
        for reverse in [false, true] {
            let mut s = ParamStore::<f64>::new();
            let p = lstm(&mut s, kind, 5, 3);
            let x = input_param(&mut s, 6, 5);
            let run = |fused: bool| {
                let mut tape = Tape::new();
                let mut grads = Grads::new(&s);
                let mut g = Graph::new(&mut tape, &s);
                let xv = g.param(x);
                let h = if fused {
                    g.lstm_seq(&p, xv, reverse)
                } else {
                    let hs = cell::run(&mut g, &p, xv, reverse);
                    g.concat(&hs)
                };
                let value = g.value(h).to_vec();
                let l = weighted(&mut g, h);
                g.backward(l, &mut grads);
                let gs: Vec<Vec<f64>> = s.iter().map(|(id, _)| grads.get(id).to_vec()).collect();
                (value, gs)
            };
            let (fv, fg) = run(true);
            let (pv, pg) = run(false);
            assert_close(&fv, &pv, 1e-12, "values");
            for (k, (a, b)) in fg.iter().zip(&pg).enumerate() {
                assert_close(
                    a,
                    b,
                    1e-12,
                    &format!(
                        "{kind:?} reverse={reverse} grad of {}",
                        s.get(autograd::ParamId(k as u32)).name
                    ),
                );
            }
        }
    }
}

fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * 1f64.max(x.abs()),
            "{what}[{k}]: {x} vs {y}"
        );
    }
}

const LENGTHS: [usize; 5] = [3, 0, 5, 1, 3];

#[test]
fn batched_last_output_gradcheck() {
    for kind in KINDS {
        for reverse in [false, true] {
            let mut s = ParamStore::<f64>::new();
            let p = lstm(&mut s, kind, 2, 3);
            let x = input_param(&mut s, LENGTHS.iter().sum(), 2);
            let report = gradcheck(&s, |g| {
                let x = g.param(x);
                let h = g.lstm_last(&p, x, &LENGTHS, reverse);
                weighted(g, h)
            });
            assert!(report.passed(), "{kind:?} reverse={reverse}: {report}");
        }
    }
}

/// Positions of `LENGTHS` (12 in all) reading 4 distinct rows, each several
/// times, including twice within one sequence.
const READS: [usize; 12] = [0, 1, 0, 2, 3, 1, 1, 0, 3, 2, 0, 3];

#[test]
fn gathered_last_output_gradcheck_with_repeated_rows() {
    for kind in KINDS {
        for reverse in [false, true] {
            let mut s = ParamStore::<f64>::new();
            let p = lstm(&mut s, kind, 2, 3);
            let x = input_param(&mut s, 4, 2);
            let report = gradcheck(&s, |g| {
                let x = g.param(x);
                let h = g.lstm_last_gather(&p, x, &READS, &LENGTHS, reverse);
                weighted(g, h)
            });
            assert!(report.passed(), "{kind:?} reverse={reverse}: {report}");
        }
    }
}

/// Projecting each distinct row once and summing the positions' gradients per
/// row gives what the per-position computation (every position's row copied
/// out first) gives: the same values and gradients, up to the order of float
/// additions.
#[test]
fn gathered_op_equals_per_position_op() {
    for kind in KINDS {
        for reverse in [false, true] {
            let mut s = ParamStore::<f64>::new();
            let p = lstm(&mut s, kind, 5, 4);
            let x = input_param(&mut s, 4, 5);
            let run = |dedup: bool| {
                let mut tape = Tape::new();
                let mut grads = Grads::new(&s);
                let mut g = Graph::new(&mut tape, &s);
                let xv = g.param(x);
                let h = if dedup {
                    g.lstm_last_gather(&p, xv, &READS, &LENGTHS, reverse)
                } else {
                    let rows = g.gather_rows(xv, &READS);
                    g.lstm_last(&p, rows, &LENGTHS, reverse)
                };
                let value = g.value(h).to_vec();
                let l = weighted(&mut g, h);
                g.backward(l, &mut grads);
                let gs: Vec<Vec<f64>> = s.iter().map(|(id, _)| grads.get(id).to_vec()).collect();
                (value, gs)
            };
            let (dv, dg) = run(true);
            let (pv, pg) = run(false);
            assert!(dv.iter().any(|&v| v != 0.0), "the outputs are not all 0");
            assert_close(&dv, &pv, 1e-12, "values");
            for (k, (a, b)) in dg.iter().zip(&pg).enumerate() {
                assert!(a.iter().any(|&v| v != 0.0), "gradient {k} is not all 0");
                assert_close(
                    a,
                    b,
                    1e-12,
                    &format!(
                        "{kind:?} reverse={reverse} grad of {}",
                        s.get(autograd::ParamId(k as u32)).name
                    ),
                );
            }
        }
    }
}

#[test]
#[should_panic(expected = "row index 4 outside")]
fn gathered_op_rejects_a_row_outside_the_input() {
    let mut s = ParamStore::<f64>::new();
    let p = lstm(&mut s, LstmKind::Coupled, 2, 3);
    let x = input_param(&mut s, 4, 2);
    let mut tape = Tape::new();
    let mut g = Graph::new(&mut tape, &s);
    let xv = g.param(x);
    g.lstm_last_gather(&p, xv, &[0, 4], &[2], false);
}

/// Running many sequences at once gives what running each alone gives: the
/// final outputs and the accumulated gradients.
fn batched_equals_one_by_one<T: Real>(tol: f64) {
    for kind in KINDS {
        for reverse in [false, true] {
            let mut s = ParamStore::<T>::new();
            let p = lstm(&mut s, kind, 4, 6);
            let n: usize = LENGTHS.iter().sum();
            let x = input_param(&mut s, n, 4);
            let mut tape = Tape::new();
            // All at once.
            let mut g_all = Grads::new(&s);
            let mut g = Graph::new(&mut tape, &s);
            let xv = g.param(x);
            let h = g.lstm_last(&p, xv, &LENGTHS, reverse);
            let all = g.value(h).to_vec();
            let l = weighted(&mut g, h);
            g.backward(l, &mut g_all);
            // One by one, each weighted like its row in the batch.
            let mut g_one = Grads::new(&s);
            let mut start = 0;
            for (b, &len) in LENGTHS.iter().enumerate() {
                let mut g = Graph::new(&mut tape, &s);
                let xv = g.param(x);
                let rows = g.slice_rows(xv, start..start + len);
                let out: Vec<T> = if len == 0 {
                    vec![T::ZERO; 6]
                } else {
                    let h = g.lstm_seq(&p, rows, reverse);
                    let last = if reverse { 0 } else { len - 1 };
                    let h = g.slice_rows(h, last..last + 1);
                    let w: Vec<T> = (0..6)
                        .map(|k| T::from_f64(((b * 6 + k) as f64 * 0.71).cos()))
                        .collect();
                    let w = g.input(1, 6, &w);
                    let v = g.value(h).to_vec();
                    let prod = g.mul(h, w);
                    let l = g.sum(&[prod]);
                    g.backward(l, &mut g_one);
                    v
                };
                for k in 0..6 {
                    let (a, o) = (all[b * 6 + k].to_f64(), out[k].to_f64());
                    assert!(
                        (a - o).abs() <= tol,
                        "{kind:?} reverse={reverse} seq {b}: batched {a} vs alone {o}"
                    );
                }
                start += len;
            }
            for (id, prm) in s.iter() {
                for (k, (a, o)) in g_all.get(id).iter().zip(g_one.get(id)).enumerate() {
                    let (a, o) = (a.to_f64(), o.to_f64());
                    assert!(
                        (a - o).abs() <= tol * 1f64.max(a.abs()),
                        "{kind:?} reverse={reverse} grad {}[{k}]: {a} vs {o}",
                        prm.name
                    );
                }
            }
        }
    }
}

#[test]
fn batched_equals_one_by_one_f64() {
    batched_equals_one_by_one::<f64>(1e-12);
}

#[test]
fn batched_equals_one_by_one_f32() {
    batched_equals_one_by_one::<f32>(2e-5);
}

#[test]
fn initialisation_is_seeded_and_in_range() {
    let mut a = ParamStore::<f32>::new();
    let mut b = ParamStore::<f32>::new();
    let pa = LstmParams::new(
        &mut a,
        "l",
        LstmKind::Coupled,
        100,
        50,
        &mut Xoshiro256PlusPlus::seed_from_u64(3),
    );
    LstmParams::new(
        &mut b,
        "l",
        LstmKind::Coupled,
        100,
        50,
        &mut Xoshiro256PlusPlus::seed_from_u64(3),
    );
    for ((_, x), (_, y)) in a.iter().zip(b.iter()) {
        assert_eq!(x.value, y.value, "same seed, same values: {}", x.name);
    }
    let s = |rows: usize, cols: usize| (6.0 / (rows + cols) as f64).sqrt();
    let max = |id| {
        a.get(id)
            .value
            .iter()
            .fold(0f64, |m, v| m.max(v.abs() as f64))
    };
    // Each stacked block is a 50x100 (or 50x50) matrix with its own Glorot scale.
    assert!(max(pa.wx) <= s(50, 100) && max(pa.wx) > 0.9 * s(50, 100));
    assert!(max(pa.wh) <= s(50, 50) && max(pa.wh) > 0.9 * s(50, 50));
    assert!(max(pa.wci.unwrap()) <= s(50, 50));
    assert!(
        a.get(pa.b).value.iter().all(|&v| v == 0.0),
        "LSTM biases start at 0"
    );
    let mut c = ParamStore::<f32>::new();
    let pc = LstmParams::new(
        &mut c,
        "l",
        LstmKind::Standard,
        100,
        50,
        &mut Xoshiro256PlusPlus::seed_from_u64(3),
    );
    let maxc = c
        .get(pc.wx)
        .value
        .iter()
        .fold(0f64, |m, v| m.max(v.abs() as f64));
    assert!(
        maxc <= s(200, 100) && maxc > 0.9 * s(200, 100),
        "standard LSTM: one matrix, one scale"
    );
}

/// A tape reused after a bigger graph must give exactly what a fresh tape
/// gives (the fused op reuses the buffer without zeroing it).
#[test]
fn reused_tape_equals_fresh_tape() {
    let mut s = ParamStore::<f32>::new();
    let p = lstm(&mut s, LstmKind::Coupled, 3, 4);
    let x = input_param(&mut s, 12, 3);
    let run = |tape: &mut Tape<f32>, lengths: &[usize], reverse: bool| {
        let mut grads = Grads::new(&s);
        let mut g = Graph::new(tape, &s);
        let xv = g.param(x);
        let n: usize = lengths.iter().sum();
        let rows = g.slice_rows(xv, 0..n);
        let h = g.lstm_last(&p, rows, lengths, reverse);
        let v = g.value(h).to_vec();
        let l = weighted(&mut g, h);
        g.backward(l, &mut grads);
        let gs: Vec<Vec<f32>> = s.iter().map(|(id, _)| grads.get(id).to_vec()).collect();
        (v, gs)
    };
    let mut reused = Tape::new();
    run(&mut reused, &[5, 4, 3], false);
    for (lengths, reverse) in [
        (&[2usize, 0, 3][..], true),
        (&[0, 1][..], false),
        (&[4][..], false),
    ] {
        let a = run(&mut reused, lengths, reverse);
        let b = run(&mut Tape::new(), lengths, reverse);
        assert_eq!(a, b, "lengths {lengths:?}");
    }
}
