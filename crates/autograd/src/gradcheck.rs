//! The one gradient check every op, cell and tagger loss is tested with:
//! analytic gradients from the tape against central differences
//! `(L(θ + ε) - L(θ - ε)) / 2ε`, everything computed in f64.

use crate::{Grads, Graph, ParamStore, Tape, Var};
use std::fmt;

/// Settings of a gradient check.
#[derive(Clone, Copy, Debug)]
pub struct GradCheckConfig {
    /// Step of the central difference.
    pub eps: f64,
    /// Largest accepted `|analytic - numeric| / max(1, |analytic|, |numeric|)`.
    pub tol: f64,
    /// At most this many elements per parameter, spread evenly over it.
    pub max_per_param: usize,
}

impl Default for GradCheckConfig {
    fn default() -> Self {
        GradCheckConfig {
            eps: 1e-6,
            tol: 1e-6,
            max_per_param: 64,
        }
    }
}

/// What a gradient check found.
#[derive(Clone, Debug)]
pub struct GradCheck {
    pub checked: usize,
    pub max_err: f64,
    pub tol: f64,
    /// Up to 10 elements over the tolerance, described.
    pub failures: Vec<String>,
    pub loss: f64,
}

impl GradCheck {
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.checked > 0
    }
}

impl fmt::Display for GradCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gradcheck: {} elements, max error {:.3e} (tol {:.1e})",
            self.checked, self.max_err, self.tol
        )?;
        for fail in &self.failures {
            write!(f, "\n  {fail}")?;
        }
        Ok(())
    }
}

/// Checks the gradient of the scalar `loss` built by `f` with respect to every
/// parameter of `params`, with the default settings.
pub fn gradcheck(params: &ParamStore<f64>, f: impl Fn(&mut Graph<'_, f64>) -> Var) -> GradCheck {
    gradcheck_with(GradCheckConfig::default(), params, f)
}

/// [`gradcheck`] with explicit settings.
pub fn gradcheck_with(
    cfg: GradCheckConfig,
    params: &ParamStore<f64>,
    f: impl Fn(&mut Graph<'_, f64>) -> Var,
) -> GradCheck {
    let mut tape = Tape::new();
    let mut grads = Grads::new(params);
    let loss = {
        let mut g = Graph::new(&mut tape, params);
        let l = f(&mut g);
        g.backward(l, &mut grads)
    };
    let mut eval = |p: &ParamStore<f64>| {
        let mut g = Graph::new(&mut tape, p);
        let l = f(&mut g);
        g.scalar(l)
    };
    let mut report = GradCheck {
        checked: 0,
        max_err: 0.0,
        tol: cfg.tol,
        failures: Vec::new(),
        loss,
    };
    let mut probe = params.clone();
    for (id, p) in params.iter() {
        let n = p.value.len();
        let step = n.div_ceil(cfg.max_per_param.max(1)).max(1);
        for i in (0..n).step_by(step) {
            let orig = p.value[i];
            probe.get_mut(id).value[i] = orig + cfg.eps;
            let up = eval(&probe);
            probe.get_mut(id).value[i] = orig - cfg.eps;
            let down = eval(&probe);
            probe.get_mut(id).value[i] = orig;
            let numeric = (up - down) / (2.0 * cfg.eps);
            let analytic = grads.get(id)[i];
            let err = (analytic - numeric).abs() / 1f64.max(analytic.abs()).max(numeric.abs());
            report.checked += 1;
            report.max_err = report.max_err.max(err);
            if (err.is_nan() || err > cfg.tol) && report.failures.len() < 10 {
                report.failures.push(format!(
                    "{}[{i}]: analytic {analytic:.9e}, numeric {numeric:.9e}",
                    p.name
                ));
            }
        }
    }
    report
}
