//! One LSTM step built from primitive ops (`linear`, `slice_cols`, `sigmoid`,
//! `tanh`, `mul`, `add`, `sub`): slow, but it reads like the equations in the
//! module docs of [`crate::lstm`], and it is the independent reference that the
//! fused `lstm_seq` op is tested against.

use super::{LstmKind, LstmParams};
use crate::{Graph, Var};
use cpu_kernels::Real;

/// One step: `(h', c') = cell(x, h, c)` for row vectors `x: 1×input`,
/// `h, c: 1×hidden` (`None` for the zero initial state).
pub fn step<T: Real>(
    g: &mut Graph<'_, T>,
    p: &LstmParams,
    x: Var,
    state: Option<(Var, Var)>,
) -> (Var, Var) {
    let hd = p.hidden;
    let (wx, wh, b) = (g.param(p.wx), g.param(p.wh), g.param(p.b));
    let mut a = g.linear(x, wx, Some(b));
    if let Some((h, _)) = state {
        let ah = g.linear(h, wh, None);
        a = g.add(a, ah);
    }
    let block = |g: &mut Graph<'_, T>, a: Var, k: usize| g.slice_cols(a, k * hd..(k + 1) * hd);
    match p.kind {
        LstmKind::Coupled => {
            let (wci, wco) = (
                g.param(p.wci.expect("coupled wci")),
                g.param(p.wco.expect("coupled wco")),
            );
            let mut ai = block(g, a, 0);
            if let Some((_, c)) = state {
                let pc = g.linear(c, wci, None);
                ai = g.add(ai, pc);
            }
            let i = g.sigmoid(ai);
            let ag = block(g, a, 1);
            let gg = g.tanh(ag);
            // c' = (1 - i) c + i g = c + i (g - c)
            let c_new = match state {
                Some((_, c)) => {
                    let d = g.sub(gg, c);
                    let id = g.mul(i, d);
                    g.add(c, id)
                }
                None => g.mul(i, gg),
            };
            let ao = block(g, a, 2);
            let pc = g.linear(c_new, wco, None);
            let ao = g.add(ao, pc);
            let o = g.sigmoid(ao);
            let tc = g.tanh(c_new);
            (g.mul(o, tc), c_new)
        }
        LstmKind::Standard => {
            let ai = block(g, a, 0);
            let i = g.sigmoid(ai);
            let af = block(g, a, 1);
            let one = g.input(1, hd, &vec![T::ONE; hd]);
            let af = g.add(af, one);
            let f = g.sigmoid(af);
            let ao = block(g, a, 2);
            let o = g.sigmoid(ao);
            let ag = block(g, a, 3);
            let gg = g.tanh(ag);
            let ig = g.mul(i, gg);
            let c_new = match state {
                Some((_, c)) => {
                    let fc = g.mul(f, c);
                    g.add(fc, ig)
                }
                None => ig,
            };
            let tc = g.tanh(c_new);
            (g.mul(o, tc), c_new)
        }
    }
}

/// Runs [`step`] over the rows of `x` (`T×input`), in reverse order when
/// `reverse`; returns the outputs `h` of every row, each `1×hidden`, in row order.
pub fn run<T: Real>(g: &mut Graph<'_, T>, p: &LstmParams, x: Var, reverse: bool) -> Vec<Var> {
    let n = g.shape(x).0;
    let mut out = vec![None; n];
    let mut state = None;
    let order: Vec<usize> = if reverse {
        (0..n).rev().collect()
    } else {
        (0..n).collect()
    };
    for t in order {
        let xt = g.slice_rows(x, t..t + 1);
        let (h, c) = step(g, p, xt, state);
        out[t] = Some(h);
        state = Some((h, c));
    }
    out.into_iter()
        .map(|h| h.expect("every row visited"))
        .collect()
}
