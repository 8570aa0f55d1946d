//! Tape-based reverse-mode automatic differentiation for the qmtl tagger.
//!
//! A [`Graph`] records one forward computation (one sentence) on a reusable
//! [`Tape`]; [`Graph::backward`] then runs reverse mode once and accumulates
//! the gradients of the [`ParamStore`]'s parameters into [`Grads`], which
//! [`Sgd`] applies. Ops are methods of [`Graph`], one file each under `ops/`,
//! each with its backward pass right below its forward pass. LSTM parameters
//! and a step built from primitive ops, for reading and reference, live in
//! [`lstm`]; the fused ops that the tagger trains with live in
//! `ops/lstm_seq/`: [`Graph::lstm_seq`] / [`Graph::lstm_last`] and their
//! two-direction forms ([`Graph::bilstm_seq`], [`Graph::bilstm_last_gather`]),
//! the directions on two threads (a training loop's spinning helper, [`par`],
//! or the rayon pool).
//!
//! Everything is generic over the element type ([`cpu_kernels::Real`]): the
//! tagger trains in `f32`; the gradient check ([`gradcheck()`]) of every op
//! runs the same code in `f64` against central differences.
//!
//! See `docs/autodiff.md` for a walk-through of the tape with numbers. Most
//! modules are private, so to read the engine, open the sources in this order:
//!
//! 1. `tape.rs`: the tape, nodes, recording, and the backward walk;
//! 2. `ops/linear.rs`, then `ops/softmax_nll.rs`: two ops with their
//!    backward passes right below, and a gradient check each;
//! 3. `grads.rs` and `sgd.rs`: where parameter gradients go, and the update;
//! 4. `lstm/mod.rs` (the equations) and `lstm/cell.rs` (one step from
//!    primitive ops);
//! 5. `ops/lstm_seq/mod.rs` (packing, saved layout), `forward.rs`,
//!    `backward.rs` (the hand-written derivative), `bi.rs` (two directions);
//! 6. `ops/heads.rs`: the k heads' loss as one op.

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
