//! The three profiles of `cargo xtask reproduce`: how much of the paper's
//! protocol (section 3: 20 epochs, k = 10 and 30, label noise 0-30%, NER with
//! 100% and 10% of the data) a reproduction runs.

/// One profile: every knob that changes which training runs are planned.
#[derive(Clone, Debug)]
pub struct Profile {
    pub name: &'static str,
    /// One line for `--help` and the report.
    pub about: &'static str,
    pub epochs: usize,
    /// One run per seed of every configuration; tables and figures average them.
    pub seeds: Vec<u64>,
    /// k of Q-MTL and of the ensemble in Figures 2-5 and 7 and Table 3.
    pub k: usize,
    /// Table 2's k (the paper: 1, 10, 30).
    pub table2_ks: Vec<usize>,
    /// Figure 6's k (the paper: 10 and 30).
    pub fig6_ks: Vec<usize>,
    /// Epochs of Figure 6's extra ensembles (k other than `k`), which only
    /// measure time: Figure 6 plots seconds per epoch. None: `epochs`.
    pub timing_epochs: Option<usize>,
    /// Label noise levels of Figures 5 and 7 (the paper: 0, 0.1, 0.2, 0.3).
    pub noise: Vec<f64>,
    /// Caps train, dev and test of every dataset to their first N sentences.
    pub max_sentences: Option<usize>,
    /// Cap for the NER sets only (they are 4-40 times larger than a treebank).
    pub ner_max_sentences: Option<usize>,
    /// Table 3's limited-data setting (the paper: 10%).
    pub small_fraction: f64,
    /// Seeds of the seed study (`seeds`): every claim that hinges on small
    /// differences is rerun with each.
    pub study_seeds: Vec<u64>,
    /// Treebanks on which the seed study reruns Figures 5 and 7 (ensembles are
    /// costly; Table 2's runs are repeated on every treebank).
    pub study_sets: Vec<&'static str>,
}

pub const NAMES: &str = "smoke, quick, paper";

impl Profile {
    pub fn by_name(name: &str) -> Option<Profile> {
        let paper = Profile {
            name: "paper",
            about: "the paper's protocol: every dataset in full, 20 epochs, k = 10 (and 1, 30), \
                    label noise 0/10/20/30%, one seed; seed study: seeds 1-3 (Table 2 on every treebank, \
                    Figures 5 and 7 on ta and hu, Table 3 at 10%)",
            epochs: 20,
            seeds: vec![1],
            k: 10,
            table2_ks: vec![1, 10, 30],
            fig6_ks: vec![10, 30],
            timing_epochs: None,
            noise: vec![0.0, 0.1, 0.2, 0.3],
            max_sentences: None,
            ner_max_sentences: None,
            small_fraction: 0.1,
            study_seeds: vec![1, 2, 3],
            study_sets: vec!["ta", "hu"],
        };
        Some(match name {
            "paper" => paper,
            "quick" => Profile {
                name: "quick",
                about: "every treebank in full, NER cut to 3000 sentences, 4 epochs, k = 10 \
                        (and 1, 30), label noise 0/30%, ensemble(30) timed over 1 epoch",
                epochs: 4,
                timing_epochs: Some(1),
                noise: vec![0.0, 0.3],
                ner_max_sentences: Some(3000),
                study_seeds: vec![1, 2],
                study_sets: vec!["ta"],
                ..paper
            },
            "smoke" => Profile {
                name: "smoke",
                about: "20 sentences per file, 2 epochs, k = 3 (and 1, 6), label noise 0/30%: \
                        checks the machinery, not the paper",
                epochs: 2,
                k: 3,
                table2_ks: vec![1, 3, 6],
                fig6_ks: vec![3, 6],
                noise: vec![0.0, 0.3],
                max_sentences: Some(20),
                study_seeds: vec![1, 2],
                study_sets: vec!["ta"],
                ..paper
            },
            _ => return None,
        })
    }

    /// The sentence cap for one dataset.
    pub fn cap(&self, ner: bool) -> Option<usize> {
        let ner_cap = if ner { self.ner_max_sentences } else { None };
        match (self.max_sentences, ner_cap) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
