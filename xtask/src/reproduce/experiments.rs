//! The paper's experiments (model-spec sections 5-7) and the training runs each
//! one needs. The report asks for runs through the same functions, so what is
//! planned and what is reported cannot drift apart.

use super::data::Dataset;
use super::profile::Profile;
use super::spec::{Mode, RunSpec};

/// One table or figure of the paper.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Exp {
    Table1,
    Table2,
    Fig2,
    Fig3,
    Fig4,
    Fig5,
    Fig6,
    Table3,
    Fig7,
    /// The seed study: the claims that hinge on small differences, rerun
    /// with several seeds (beyond the paper, which reports single runs).
    Seeds,
    /// Beyond the paper: how far the heads' confidence can be trusted
    /// (calibration and selective prediction of the runs of Figures 2-5).
    Trust,
}

pub const ALL: [Exp; 11] = [
    Exp::Table1,
    Exp::Table2,
    Exp::Fig2,
    Exp::Fig3,
    Exp::Fig4,
    Exp::Fig5,
    Exp::Fig6,
    Exp::Table3,
    Exp::Fig7,
    Exp::Seeds,
    Exp::Trust,
];

impl Exp {
    pub fn name(self) -> &'static str {
        match self {
            Exp::Table1 => "table1",
            Exp::Table2 => "table2",
            Exp::Fig2 => "fig2",
            Exp::Fig3 => "fig3",
            Exp::Fig4 => "fig4",
            Exp::Fig5 => "fig5",
            Exp::Fig6 => "fig6",
            Exp::Table3 => "table3",
            Exp::Fig7 => "fig7",
            Exp::Seeds => "seeds",
            Exp::Trust => "trust",
        }
    }

    pub fn parse(s: &str) -> Option<Exp> {
        ALL.into_iter().find(|e| e.name() == s)
    }

    /// NER experiments use the NER sets, all others the treebanks.
    pub fn ner(self) -> bool {
        self == Exp::Table3
    }
}

/// What the experiments are run on.
pub struct Ctx {
    pub profile: Profile,
    pub datasets: Vec<Dataset>,
}

impl Ctx {
    pub fn ud(&self) -> impl Iterator<Item = &Dataset> {
        self.datasets.iter().filter(|d| !d.ner)
    }

    pub fn ner(&self) -> impl Iterator<Item = &Dataset> {
        self.datasets.iter().filter(|d| d.ner)
    }

    /// A run of `mode` with k heads on `d` with the profile's settings and no noise.
    pub fn spec(&self, d: &Dataset, mode: Mode, k: usize, seed: u64) -> RunSpec {
        let p = &self.profile;
        RunSpec {
            dataset: d.name.clone(),
            mode,
            heads: if mode == Mode::Stl { 1 } else { k },
            epochs: p.epochs,
            seed,
            label_noise: 0.0,
            train_fraction: 1.0,
            max_sentences: p.cap(d.ner),
            mlp: 20,
            metric: if d.ner {
                models::Metric::F1
            } else {
                models::Metric::Accuracy
            },
        }
    }

    /// Table 2's run for k: STL for k = 1 (Q-MTL with one head is STL), else Q-MTL(k).
    pub fn table2(&self, d: &Dataset, k: usize, seed: u64) -> RunSpec {
        let mode = if k == 1 { Mode::Stl } else { Mode::Qmtl };
        self.spec(d, mode, k, seed)
    }

    /// Q-MTL(k) or ensemble(k) at label noise p (Figures 2-5: p = 0).
    pub fn noisy(&self, d: &Dataset, mode: Mode, p: f64, seed: u64) -> RunSpec {
        RunSpec {
            label_noise: p,
            ..self.spec(d, mode, self.profile.k, seed)
        }
    }

    /// Figure 6's runs for k: STL, Q-MTL(k), ensemble(k). Ensembles other than the
    /// profile's k may be timing runs with fewer epochs.
    pub fn timing(&self, d: &Dataset, k: usize, seed: u64) -> [RunSpec; 3] {
        let mut ens = self.spec(d, Mode::Ensemble, k, seed);
        if k != self.profile.k {
            ens.epochs = self.profile.timing_epochs.unwrap_or(self.profile.epochs);
        }
        [
            self.spec(d, Mode::Stl, 1, seed),
            self.spec(d, Mode::Qmtl, k, seed),
            ens,
        ]
    }

    /// Table 3's runs: Q-MTL(k) or ensemble(k) with all or a fraction of the data.
    pub fn ner_run(&self, d: &Dataset, mode: Mode, full: bool, seed: u64) -> RunSpec {
        let f = if full {
            1.0
        } else {
            self.profile.small_fraction
        };
        RunSpec {
            train_fraction: f,
            ..self.spec(d, mode, self.profile.k, seed)
        }
    }

    /// Figure 7's PTA run with `mlp` hidden units per head at label noise p.
    pub fn pta(&self, d: &Dataset, mlp: usize, p: f64, seed: u64) -> RunSpec {
        RunSpec {
            mlp,
            label_noise: p,
            ..self.spec(d, Mode::Pta, self.profile.k, seed)
        }
    }

    /// Whether the seed study reruns Figures 5 and 7 on `d` (the cheap treebanks).
    pub fn in_study(&self, d: &Dataset) -> bool {
        self.profile.study_sets.contains(&d.name.as_str())
    }

    /// The seed study's runs: Table 2 on every treebank, Figures 5 and 7 on the
    /// profile's study treebanks, Table 3's limited-data runs on the NER sets,
    /// each for every seed of `study_seeds`.
    fn study_runs(&self) -> Vec<(RunSpec, &Dataset)> {
        let p = &self.profile;
        let mut out = Vec::new();
        for &s in &p.study_seeds {
            for d in self.ud() {
                for &k in &p.table2_ks {
                    out.push((self.table2(d, k, s), d));
                }
                if !self.in_study(d) {
                    continue;
                }
                for &q in &p.noise {
                    out.push((self.noisy(d, Mode::Ensemble, q, s), d));
                    out.push((self.noisy(d, Mode::Qmtl, q, s), d));
                    out.push((self.pta(d, 0, q, s), d));
                    out.push((self.pta(d, 20, q, s), d));
                }
            }
            for d in self.ner() {
                out.push((self.ner_run(d, Mode::Ensemble, false, s), d));
                out.push((self.ner_run(d, Mode::Qmtl, false, s), d));
            }
        }
        out
    }

    /// Every run `exp` needs, with its dataset.
    pub fn runs(&self, exp: Exp) -> Vec<(RunSpec, &Dataset)> {
        let p = &self.profile;
        if exp == Exp::Seeds {
            return self.study_runs();
        }
        let mut out = Vec::new();
        for &s in &p.seeds {
            let sets: Vec<&Dataset> = if exp.ner() {
                self.ner().collect()
            } else {
                self.ud().collect()
            };
            for d in sets {
                let mut add = |r: RunSpec| out.push((r, d));
                match exp {
                    Exp::Table1 => {}
                    Exp::Table2 => p.table2_ks.iter().for_each(|&k| add(self.table2(d, k, s))),
                    Exp::Fig2 | Exp::Fig3 | Exp::Fig4 => {
                        add(self.noisy(d, Mode::Ensemble, 0.0, s));
                        add(self.noisy(d, Mode::Qmtl, 0.0, s));
                    }
                    Exp::Fig5 => {
                        for &q in &p.noise {
                            add(self.noisy(d, Mode::Ensemble, q, s));
                            add(self.noisy(d, Mode::Qmtl, q, s));
                        }
                    }
                    Exp::Fig6 => {
                        for &k in &p.fig6_ks {
                            self.timing(d, k, s).into_iter().for_each(&mut add);
                        }
                    }
                    Exp::Table3 => {
                        for full in [true, false] {
                            add(self.ner_run(d, Mode::Ensemble, full, s));
                            add(self.ner_run(d, Mode::Qmtl, full, s));
                        }
                    }
                    Exp::Fig7 => {
                        for &q in &p.noise {
                            add(self.pta(d, 0, q, s));
                            add(self.pta(d, 20, q, s));
                        }
                    }
                    Exp::Trust => {
                        add(self.table2(d, 1, s));
                        for &q in &p.noise {
                            add(self.noisy(d, Mode::Ensemble, q, s));
                            add(self.noisy(d, Mode::Qmtl, q, s));
                        }
                    }
                    Exp::Seeds => {}
                }
            }
        }
        out
    }
}
