//! The numbers of `docs/autodiff.md`: every test here rebuilds one example of
//! that walk-through exactly as the doc draws it and asserts each number the
//! doc prints, to the precision it is printed with. Change one, change both.
//!
//! The example runs in f64, whose kernels are the naive reference ones on every
//! machine, so the digits do not depend on the CPU. The tape's buffers are
//! crate-private; its `Debug` output is the one public window onto them, and
//! [`dump`] reads the node offsets, the value, gradient and ints buffers from it.

use autograd::lstm::cell;
use autograd::{
    convert, gradcheck, Grads, Graph, LstmKind, LstmParams, ParamId, ParamKind, ParamStore, Real,
    Received, Sgd, Tape, Var,
};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// `|actual - printed| ≤ half a unit of the last printed digit` (`decimals` places).
#[track_caller]
fn shown(actual: f64, printed: f64, decimals: i32) {
    let half = 0.5 * 10f64.powi(-decimals) + 1e-12;
    assert!(
        (actual - printed).abs() <= half,
        "{actual} is not {printed} to {decimals} decimals"
    );
}

#[track_caller]
fn shown_all(actual: &[f64], printed: &[f64], decimals: i32) {
    assert_eq!(actual.len(), printed.len(), "{actual:?} vs {printed:?}");
    for (&a, &p) in actual.iter().zip(printed) {
        shown(a, p, decimals);
    }
}

/// `x` within half a decade of `10^k` (the doc's `~1e-k` entries).
#[track_caller]
fn order_of(x: f64, k: i32) {
    let l = x.abs().log10();
    assert!((l - k as f64).abs() <= 0.5, "{x:e} is not of order 1e{k}");
}

/// What `{:?}` shows of a tape, parsed.
#[derive(Debug)]
struct Dump {
    ops: Vec<String>,
    off: Vec<usize>,
    aux_len: Vec<usize>,
    needs_grad: Vec<bool>,
    vals: Vec<f64>,
    grads: Vec<f64>,
    ints: Vec<usize>,
}

fn dump<T: Real>(tape: &Tape<T>) -> Dump {
    let s = format!("{tape:?}");
    let list = |name: &str| -> Vec<String> {
        let start = s.find(&format!("{name}: [")).expect(name) + name.len() + 3;
        let end = start + s[start..].find(']').unwrap();
        s[start..end]
            .split(", ")
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    let nodes_start = s.find("nodes: [").unwrap();
    let nodes_end = s.find("vals: [").unwrap();
    let chunks: Vec<&str> = s[nodes_start..nodes_end]
        .split("Node { op: ")
        .skip(1)
        .collect();
    let field = |c: &str, name: &str| -> String {
        let at = c.find(&format!("{name}: ")).expect(name) + name.len() + 2;
        c[at..]
            .chars()
            .take_while(|ch| ch.is_alphanumeric())
            .collect()
    };
    Dump {
        ops: chunks
            .iter()
            .map(|c| c.chars().take_while(|ch| ch.is_alphanumeric()).collect())
            .collect(),
        off: chunks
            .iter()
            .map(|c| field(c, "off").parse().unwrap())
            .collect(),
        aux_len: chunks
            .iter()
            .map(|c| field(c, "aux_len").parse().unwrap())
            .collect(),
        needs_grad: chunks
            .iter()
            .map(|c| field(c, "needs_grad") == "true")
            .collect(),
        vals: list("vals").iter().map(|v| v.parse().unwrap()).collect(),
        grads: list("grads").iter().map(|v| v.parse().unwrap()).collect(),
        ints: list("ints").iter().map(|v| v.parse().unwrap()).collect(),
    }
}

/// The example of doc section 4: a 3-word embedding table `E` (2 dims), `W` (2×2), `b`.
struct Example<T> {
    s: ParamStore<T>,
    e: ParamId,
    w: ParamId,
    b: ParamId,
}

fn example<T: Real>() -> Example<T> {
    let mut s = ParamStore::<f64>::new();
    let d = ParamKind::Dense;
    let e = s.from_values(
        "E",
        3,
        2,
        ParamKind::Table,
        vec![0.0, 0.0, 0.3, -0.1, 1.0, 2.0],
    );
    let w = s.from_values("W", 2, 2, d, vec![0.5, -0.25, 0.1, 0.3]);
    let b = s.from_values("b", 1, 2, d, vec![0.1, -0.2]);
    Example {
        s: convert(&s),
        e,
        w,
        b,
    }
}

/// `L = softmax_nll(tanh(W·E[word] + b), gold)`, generic like the tagger's loss.
/// Returns `[x, W, b, z, y, L]`.
fn build<T: Real>(g: &mut Graph<'_, T>, ex: &Example<T>, word: usize, gold: usize) -> [Var; 6] {
    let x = g.lookup(ex.e, &[word]);
    let w = g.param(ex.w);
    let b = g.param(ex.b);
    let z = g.linear(x, w, Some(b));
    let y = g.tanh(z);
    let l = g.softmax_nll(y, &[gold]);
    [x, w, b, z, y, l]
}

fn loss_of<T: Real>(ex: &Example<T>) -> T {
    let mut tape = Tape::new();
    let mut g = Graph::new(&mut tape, &ex.s);
    let [.., l] = build(&mut g, ex, 2, 1);
    g.scalar(l)
}

/// Doc section 4: the node list, the value buffer and the ints arena.
#[test]
fn forward_tape_layout() {
    let ex = example::<f64>();
    let mut tape = Tape::new();
    let mut g = Graph::new(&mut tape, &ex.s);
    let vars = build(&mut g, &ex, 2, 1);
    let names: Vec<String> = vars.iter().map(|v| format!("{v:?}")).collect();
    assert_eq!(
        names,
        ["Var(0)", "Var(1)", "Var(2)", "Var(3)", "Var(4)", "Var(5)"]
    );
    let [x, _, _, z, y, l] = vars;
    shown_all(g.value(x), &[1.0, 2.0], 4);
    shown_all(g.value(z), &[0.1, 0.5], 4);
    shown_all(g.value(y), &[0.0997, 0.4621], 4);
    shown(g.scalar(l), 0.5283, 4);

    let d = dump(&tape);
    assert_eq!(
        d.ops,
        ["Lookup", "Param", "Param", "Linear", "Tanh", "SoftmaxNll"]
    );
    assert_eq!(d.off, [0, 2, 2, 2, 4, 6]);
    assert_eq!(d.aux_len, [0, 0, 0, 0, 0, 2]);
    assert_eq!(d.needs_grad, [true; 6]);
    // x | z | y | L | probs
    shown_all(
        &d.vals,
        &[1.0, 2.0, 0.1, 0.5, 0.0997, 0.4621, 0.5283, 0.4104, 0.5896],
        4,
    );
    // The hand computation's y1 - y0 (p1 = 1 / (1 + e^-(y1 - y0))).
    shown(d.vals[5] - d.vals[4], 0.3624, 4);
    // The word id of the lookup, then the gold label of softmax_nll.
    assert_eq!(d.ints, [2, 1]);
}

/// Doc section 6: the backward pass, node by node, and the parameter gradients.
#[test]
fn backward_step_by_step() {
    let ex = example::<f64>();
    let mut grads = Grads::new(&ex.s);
    let mut tape = Tape::new();
    let mut g = Graph::new(&mut tape, &ex.s);
    let [.., l] = build(&mut g, &ex, 2, 1);
    let loss = g.backward(l, &mut grads);
    shown(loss, 0.5283, 4);

    // The tape's gradient buffer, same offsets as the values:
    // dL/dx | dL/dz | dL/dy | seed | (aux: never read).
    let d = dump(&tape);
    shown_all(
        &d.grads,
        &[
            0.1709, -0.1984, 0.4063, -0.3227, 0.4104, -0.4104, 1.0, 0.0, 0.0,
        ],
        4,
    );
    // The local derivative tanh' = 1 - y² used at node 4.
    let y = &d.vals[4..6];
    shown_all(
        &[1.0 - y[0] * y[0], 1.0 - y[1] * y[1]],
        &[0.9901, 0.7864],
        4,
    );

    shown_all(grads.get(ex.w), &[0.4063, 0.8126, -0.3227, -0.6455], 4);
    shown_all(grads.get(ex.b), &[0.4063, -0.3227], 4);
    shown_all(grads.get(ex.e), &[0.0, 0.0, 0.0, 0.0, 0.1709, -0.1984], 4);
    let received: Vec<String> = grads
        .received()
        .map(|r| match r {
            Received::Dense { id, .. } => format!("{} dense", ex.s.get(id).name),
            Received::Rows { id, rows, .. } => format!("{} rows {rows:?}", ex.s.get(id).name),
        })
        .collect();
    assert_eq!(received, ["E rows [2]", "W dense", "b dense"]);
}

/// Doc section 7: a node used twice gets the sum of both uses' gradients.
#[test]
fn fan_out_accumulates() {
    let mut s = ParamStore::<f64>::new();
    let a = s.from_values("a", 1, 1, ParamKind::Dense, vec![0.5]);
    let mut grads = Grads::new(&s);
    let mut tape = Tape::new();
    let mut g = Graph::new(&mut tape, &s);
    let av = g.param(a);
    let t = g.tanh(av);
    let u = g.add(t, t);
    let l = g.sum(&[u]);
    shown(g.scalar(t), 0.4621, 4);
    let loss = g.backward(l, &mut grads);
    shown(loss, 0.9242, 4);
    let d = dump(&tape);
    assert_eq!(d.off, [0, 0, 1, 2]);
    // dL/dt = 1 + 1 (two += from the add), dL/du = 1, seed 1.
    assert_eq!(d.grads, [2.0, 1.0, 1.0]);
    let t = d.vals[0];
    shown(1.0 - t * t, 0.7864, 4);
    shown(grads.get(a)[0], 1.5729, 4);
}

/// Doc section 11: global-norm clipping and the SGD step on the example.
#[test]
fn clipping_and_sgd() {
    for (clip, printed_w) in [
        (Some(5.0), [0.4594, -0.3313, 0.1323, 0.3645]),
        (Some(1.0), [0.4687, -0.3126, 0.1249, 0.3497]),
    ] {
        let mut ex = example::<f64>();
        let mut grads = Grads::new(&ex.s);
        let mut tape = Tape::new();
        let mut g = Graph::new(&mut tape, &ex.s);
        let [.., l] = build(&mut g, &ex, 2, 1);
        g.backward(l, &mut grads);
        shown(grads.squared_norm(), 1.6839, 4);
        let sgd = Sgd {
            learning_rate: 0.1,
            clip_norm: clip,
        };
        let norm = sgd.step(&mut ex.s, &mut grads).unwrap();
        shown(norm, 1.2977, 4);
        shown(1.0 / norm, 0.7706, 4);
        shown_all(&ex.s.get(ex.w).value, &printed_w, 4);
        if clip == Some(5.0) {
            shown_all(&ex.s.get(ex.b).value, &[0.0594, -0.1677], 4);
            shown_all(
                &ex.s.get(ex.e).value,
                &[0.0, 0.0, 0.3, -0.1, 0.9829, 2.0198],
                4,
            );
        }
        // Sgd::step zeroes what it used.
        assert_eq!(grads.received().count(), 0);
        assert_eq!(grads.get(ex.w), &[0.0; 4]);
    }
}

/// Doc section 12: one tape and one `Grads` reused for a second sentence.
#[test]
fn tape_reuse_and_accumulation() {
    let ex = example::<f64>();
    let mut grads = Grads::new(&ex.s);
    let mut tape = Tape::new();
    for (word, gold) in [(2, 1), (1, 0)] {
        let mut g = Graph::new(&mut tape, &ex.s);
        let [.., l] = build(&mut g, &ex, word, gold);
        g.backward(l, &mut grads);
        assert_eq!(tape.len(), 6);
    }
    // No zero() in between: both sentences' gradients are summed, and the
    // table rows are listed in the order they were first touched.
    let rows: Vec<Vec<u32>> = grads
        .received()
        .filter_map(|r| match r {
            Received::Rows { rows, .. } => Some(rows.to_vec()),
            Received::Dense { .. } => None,
        })
        .collect();
    assert_eq!(rows, [vec![2, 1]]);
}

/// Doc section 10: how many nodes an LSTM direction takes, primitive vs fused,
/// and the packed layout of three sequences of lengths 2, 3, 1.
#[test]
fn fused_lstm_nodes_and_packing() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut s = ParamStore::<f64>::new();
    let p = LstmParams::new(&mut s, "l", LstmKind::Coupled, 1, 1, &mut rng);
    let x: Vec<f64> = (0..20).map(|i| (i as f64 * 0.37).sin()).collect();

    let mut tape = Tape::new();
    let mut g = Graph::new(&mut tape, &s);
    let xv = g.input(20, 1, &x);
    cell::run(&mut g, &p, xv, false);
    assert_eq!(tape.len(), 475);

    let mut g = Graph::new(&mut tape, &s);
    let xv = g.input(20, 1, &x);
    g.lstm_seq(&p, xv, false);
    assert_eq!(tape.len(), 2);

    // Words of 2, 3 and 1 characters, stacked in the rows of x (rows 0-1, 2-4, 5).
    let mut g = Graph::new(&mut tape, &s);
    let xv = g.input(6, 1, &x[..6]);
    let last = g.lstm_last(&p, xv, &[2, 3, 1], false);
    assert_eq!(g.shape(last), (3, 1));
    let d = dump(&tape);
    const NONE: usize = usize::MAX;
    let active = [3, 2, 1];
    let xrow = [2, 0, 5, 3, 1, 4];
    let orow = [NONE, NONE, 2, NONE, 0, 1];
    let expected: Vec<usize> = active.iter().chain(&xrow).chain(&orow).copied().collect();
    assert_eq!(d.ints, expected);
    // P (3h + 5h) saved scalars, P = 6 packed rows, h = 1 (the input is read
    // from x's value, not copied).
    assert_eq!(d.aux_len, [0, 48]);
}

/// Doc section 13: central differences on W[0][1] (analytic 0.8126) in f64 and
/// f32, and the gradient check of the whole example.
///
/// The f32 column is rounding noise; it came out identical with
/// `QMTL_ISA=fallback`, `avx2` and `avx512`, and is asserted only to its order.
#[test]
fn central_differences_f64_and_f32() {
    let ex = example::<f64>();
    let mut grads = Grads::new(&ex.s);
    let mut tape = Tape::new();
    let mut g = Graph::new(&mut tape, &ex.s);
    let [.., l] = build(&mut g, &ex, 2, 1);
    g.backward(l, &mut grads);
    let analytic = grads.get(ex.w)[1];
    shown(analytic, 0.8126, 4);

    fn numeric<T: Real>(ex: &Example<T>, eps: f64) -> f64 {
        let mut probe = Example {
            s: ex.s.clone(),
            ..*ex
        };
        let (orig, eps) = (ex.s.get(ex.w).value[1], T::from_f64(eps));
        probe.s.get_mut(ex.w).value[1] = orig + eps;
        let up = loss_of(&probe);
        probe.s.get_mut(ex.w).value[1] = orig - eps;
        let down = loss_of(&probe);
        ((up - down) / (eps + eps)).to_f64()
    }
    let ex32 = Example::<f32> {
        s: convert(&ex.s),
        e: ex.e,
        w: ex.w,
        b: ex.b,
    };
    let err64 = |eps| (numeric(&ex, eps) - analytic).abs();
    let err32 = |eps| (numeric(&ex32, eps) - analytic).abs();

    // f64: truncation error ~eps² (1.2e-4, 1.2e-6, 1.2e-8), then rounding.
    shown(err64(1e-2) * 1e4, 1.2, 1);
    shown(err64(1e-3) * 1e6, 1.2, 1);
    shown(err64(1e-4) * 1e8, 1.2, 1);
    order_of(err64(1e-6), -10);
    order_of(err64(1e-8), -8);
    // f32: never better than ~1e-4; at eps = 1e-8, w ± eps rounds back to w.
    shown(err32(1e-2) * 1e4, 1.2, 1);
    order_of(err32(1e-3), -4);
    order_of(err32(1e-4), -4);
    order_of(err32(1e-6), -2);
    assert_eq!(numeric(&ex32, 1e-8), 0.0);

    // The same generic code in f32: the loss agrees to f32 precision.
    let l32 = loss_of(&ex32).to_f64();
    assert!((l32 - loss_of(&ex)).abs() < 1e-6, "{l32}");

    let report = gradcheck(&ex.s, |g| build(g, &ex, 2, 1)[5]);
    assert!(report.passed(), "{report}");
    assert_eq!(report.checked, 12);
    assert!(report.max_err < 1e-9, "{report}");
}
