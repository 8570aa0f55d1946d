//! LSTM cells (model-spec section 3): the parameters of one direction of one
//! layer, how they start, and a cell built from primitive ops ([`cell`]) that
//! documents the equations and serves as the reference for the fused sequence
//! op in `ops/lstm_seq/`.
//!
//! **Coupled LSTM** (the default; DyNet's `CoupledLSTMBuilder`), with `x` the
//! input and `h`, `c` the previous output and cell (zero at the start):
//!
//! ```text
//! i  = σ(Wxi x + Whi h + Wci c  + bi)
//! g  = tanh(Wxg x + Whg h + bg)
//! c' = (1 - i) ⊙ c + i ⊙ g                  (forget gate coupled: f = 1 - i)
//! o  = σ(Wxo x + Who h + Wco c' + bo)         (peephole on the *new* cell)
//! h' = o ⊙ tanh(c')
//! ```
//!
//! The code keeps each row of a batch as a row vector: `Wxi x` is computed
//! as `x·Wxiᵀ` for all rows at once, and a gradient `d` of a pre-activation
//! flows back to the input as `d·Wxi` (and to the weight as `dᵀ·x`).
//!
//! `Wci` and `Wco` are full `hidden × hidden` matrices. Layout: `wx` stacks
//! `[Wxi; Wxg; Wxo]` (`3h × input`), `wh` stacks `[Whi; Whg; Who]` (`3h × h`),
//! `b` is `[bi, bg, bo]` (`1 × 3h`), and `wci`, `wco` are separate. The spec asks
//! for each of the eight matrices to be initialised as its own parameter with
//! its own scale `s = sqrt(6 / (rows + cols))`; stacked blocks of one shape share
//! that `s`, so drawing the stack with the block's `s` is the same distribution.
//!
//! **Standard LSTM** (option; DyNet's `VanillaLSTMBuilder`): gates in the order
//! `[i, f, o, g]`, `wx` is `4h × input` and `wh` is `4h × h`, each initialised as
//! one matrix (`s` from the stacked shape), and 1.0 is added to the forget
//! gate's pre-activation inside its sigmoid:
//!
//! ```text
//! i = σ(a_i), f = σ(a_f + 1), o = σ(a_o), g = tanh(a_g)   with a = Wx x + Wh h + b
//! c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')
//! ```
//!
//! Biases start at zero in both.

pub mod cell;

use crate::params::{Init, ParamId, ParamStore};
use cpu_kernels::Real;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Which LSTM cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LstmKind {
    /// Coupled input/forget gates, full peephole matrices (the default).
    Coupled,
    /// Separate forget gate with forget bias 1.0, no peepholes.
    Standard,
}

impl LstmKind {
    /// Number of stacked gate blocks.
    pub fn gates(self) -> usize {
        match self {
            LstmKind::Coupled => 3,
            LstmKind::Standard => 4,
        }
    }
}

/// The parameters of one LSTM direction.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LstmParams {
    pub kind: LstmKind,
    pub input: usize,
    pub hidden: usize,
    pub wx: ParamId,
    pub wh: ParamId,
    pub b: ParamId,
    /// Peephole matrices (coupled only).
    pub wci: Option<ParamId>,
    pub wco: Option<ParamId>,
}

impl LstmParams {
    /// Creates and initialises the parameters, named `{name}.wx` etc.
    pub fn new<T: Real, R: Rng>(
        store: &mut ParamStore<T>,
        name: &str,
        kind: LstmKind,
        input: usize,
        hidden: usize,
        rng: &mut R,
    ) -> Self {
        let (h, g) = (hidden, kind.gates());
        let (sx, sh) = match kind {
            // Each stacked block (h x input, h x h) is one of the spec's separate matrices.
            LstmKind::Coupled => (glorot(h, input), glorot(h, h)),
            LstmKind::Standard => (glorot(g * h, input), glorot(g * h, h)),
        };
        let wx = store.dense(&format!("{name}.wx"), g * h, input, Init::Uniform(sx), rng);
        let wh = store.dense(&format!("{name}.wh"), g * h, h, Init::Uniform(sh), rng);
        let (wci, wco) = match kind {
            LstmKind::Coupled => (
                Some(store.dense(&format!("{name}.wci"), h, h, Init::Glorot, rng)),
                Some(store.dense(&format!("{name}.wco"), h, h, Init::Glorot, rng)),
            ),
            LstmKind::Standard => (None, None),
        };
        let b = store.dense(&format!("{name}.b"), 1, g * h, Init::Constant(0.0), rng);
        LstmParams {
            kind,
            input,
            hidden,
            wx,
            wh,
            b,
            wci,
            wco,
        }
    }
}

fn glorot(rows: usize, cols: usize) -> f64 {
    (6.0 / (rows + cols) as f64).sqrt()
}
