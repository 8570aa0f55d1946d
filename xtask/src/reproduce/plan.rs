//! The plan of a reproduction: the distinct training runs the selected
//! experiments need (experiments share runs: Figures 2-5 all read the same
//! ensemble(10) at 0% noise), each with its key and command line.

use std::collections::HashSet;

use super::experiments::{Ctx, Exp};
use super::spec::{Key, RunSpec};

/// One run to execute (or already on disk).
#[derive(Clone, Debug)]
pub struct Job {
    pub spec: RunSpec,
    pub key: String,
    /// What `key` is the hash of (kept in the record's `meta.json`).
    pub hashed: Key,
    /// `qmtl train ...` arguments, without `--out`.
    pub args: Vec<String>,
    /// Estimated cost in STL token-epochs.
    pub cost: f64,
}

/// The distinct runs of `exps`, in the order the experiments list them.
pub fn plan(ctx: &Ctx, exps: &[Exp]) -> Vec<Job> {
    let mut seen = HashSet::new();
    let mut jobs = Vec::new();
    for &e in exps {
        for (spec, d) in ctx.runs(e) {
            let hashed = spec.key_of(d);
            let key = hashed.hash();
            if seen.insert(key.clone()) {
                jobs.push(Job {
                    hashed,
                    args: spec.args(Some(&d.root)),
                    cost: spec.cost(d),
                    spec,
                    key,
                });
            }
        }
    }
    jobs
}
