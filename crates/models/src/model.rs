//! A trained model as a whole: one tagger (STL, Q-MTL, PTA) or an ensemble of
//! k separately trained taggers (section 5). Which one it is is a type, not a
//! convention on a list of taggers; prediction and evaluation
//! ([`crate::eval`]) pool the heads of all its taggers, in order, so head j of
//! an ensemble is member j's head.

use crate::tagger::Tagger;

/// One network with k heads, or k networks with one head each.
// One model per run or command: its size on the stack does not matter, and
// `Single(tagger)` reads better than a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Model {
    /// STL (k = 1), Q-MTL(k) or PTA(k): k heads on one shared network (Eq. 3).
    Single(Tagger),
    /// STL_1..STL_k trained separately, member j starting like Q-MTL's head j;
    /// their probabilities are averaged (Eq. 4). Never empty.
    Ensemble(Vec<Tagger>),
}

impl Model {
    /// The taggers whose heads the model pools: one, or the ensemble's members.
    pub fn taggers(&self) -> &[Tagger] {
        match self {
            Model::Single(t) => std::slice::from_ref(t),
            Model::Ensemble(members) => members,
        }
    }

    /// [`Model::taggers`], to train them.
    pub fn taggers_mut(&mut self) -> &mut [Tagger] {
        match self {
            Model::Single(t) => std::slice::from_mut(t),
            Model::Ensemble(members) => members,
        }
    }

    /// Heads over all taggers: k for Q-MTL, PTA and an ensemble, 1 for STL.
    pub fn k(&self) -> usize {
        self.taggers().iter().map(Tagger::k).sum()
    }

    /// Frobenius norms of every head's `V_j` and `W_j` (Figure 4), heads in
    /// order over all taggers; `V` is empty for linear heads.
    pub fn head_norms(&self) -> (Vec<f64>, Vec<f64>) {
        let (mut v, mut w) = (Vec::new(), Vec::new());
        for t in self.taggers() {
            let (tv, tw) = t.head_norms();
            v.extend(tv);
            w.extend(tw);
        }
        (v, w)
    }
}
