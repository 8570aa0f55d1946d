//! Tape-based reverse-mode automatic differentiation for the qmtl tagger.
//!
//! A [`Graph`] records one forward computation (one sentence) on a reusable
//! [`Tape`]; [`Graph::backward`] then runs reverse mode once and accumulates
//! the gradients of the [`ParamStore`]'s parameters into [`Grads`], which
//! [`Sgd`] applies. Ops are methods of [`Graph`], one file each under `ops/`,
//! each with its backward pass right below its forward pass. LSTM cells live
//! in [`lstm`]: a step built from primitive ops for reading and reference, and
//! the fused [`Graph::lstm_seq`] / [`Graph::lstm_last`] ops, and their
//! two-direction forms ([`Graph::bilstm_seq`], [`Graph::bilstm_last_gather`])
//! that the tagger runs on, the directions on two threads (a training loop's
//! spinning helper, [`par`], or the rayon pool).
//!
//! Everything is generic over the element type ([`cpu_kernels::Real`]): the
//! tagger trains in `f32`; the [`gradcheck`] of every op runs the same code in
//! `f64` against central differences.
//!
//! See `docs/autodiff.md` for a walk-through of the tape with numbers.

mod gradcheck;
mod grads;
pub mod lstm;
mod ops;
pub mod par;
mod params;
mod sgd;
mod tape;

pub use cpu_kernels::Real;
pub use gradcheck::{gradcheck, gradcheck_with, GradCheck, GradCheckConfig};
pub use grads::{Grads, Received};
pub use lstm::{LstmKind, LstmParams};
pub use ops::HeadVars;
pub use params::{convert, fill, Init, Param, ParamId, ParamKind, ParamStore};
pub use sgd::{OptimError, Sgd};
pub use tape::{Graph, Tape, Var};
