//! Beyond the paper: how far to trust the heads. Q-MTL carries k heads that
//! vote, which no single tagger has; the paper never measures what their
//! agreement is worth. From the test-set confidence measures every record
//! carries (`test_confidence`, see `models::confidence`), this section answers:
//!
//! 1. Is Q-MTL's averaged probability better calibrated than STL's?
//! 2. Does agreement among Q-MTL's heads rank errors as well as the
//!    ensemble's (dis)agreement does, at a fraction of the cost?
//! 3. What happens under label noise (Figure 5's runs)?

use anyhow::Result;

use super::super::data::Dataset;
use super::super::records::Run;
use super::super::spec::Mode;
use super::plot::{Figure, Kind, Panel, Series};
use super::{mean, Rep, Section};
use models::confidence::Selective;

/// The three models compared, at one noise level and seed.
struct Trio {
    name: String,
    stl: Option<Run>,
    qmtl: Option<Run>,
    ens: Option<Run>,
}

fn conf(r: &Option<Run>) -> Option<&models::Confidence> {
    r.as_ref()?.test_confidence.as_ref()
}

fn prob(r: &Option<Run>) -> Option<&Selective> {
    Some(&conf(r)?.probability)
}

fn agree(r: &Option<Run>) -> Option<&Selective> {
    conf(r)?.agreement.as_ref()
}

fn load(rep: &mut Rep, d: &Dataset, spec: &super::super::spec::RunSpec) -> Option<Run> {
    rep.store.load(&spec.key(d)).ok().flatten().cloned()
}

fn trios(rep: &mut Rep, noise: f64) -> Vec<Trio> {
    let ctx = rep.ctx;
    let seed = ctx.profile.seeds[0];
    let ud: Vec<Dataset> = ctx.ud().cloned().collect();
    ud.iter()
        .map(|d| Trio {
            name: d.name.clone(),
            // STL at 0% noise is Table 2's run; with noise, the ensemble's members
            // are the STL models (their confidence is not recorded separately).
            stl: if noise == 0.0 {
                load(rep, d, &ctx.table2(d, 1, seed))
            } else {
                None
            },
            qmtl: load(rep, d, &ctx.noisy(d, Mode::Qmtl, noise, seed)),
            ens: load(rep, d, &ctx.noisy(d, Mode::Ensemble, noise, seed)),
        })
        .collect()
}

fn f(x: Option<f64>, scale: f64, digits: usize) -> String {
    x.map_or("–".into(), |v| format!("{:.*}", digits, scale * v))
}

/// `a < b` counted over the pairs where both exist: (wins, pairs, mean a, mean b).
fn lower(pairs: &[(Option<f64>, Option<f64>)]) -> (usize, usize, f64, f64) {
    let both: Vec<(f64, f64)> = pairs.iter().filter_map(|&(a, b)| Some((a?, b?))).collect();
    let wins = both.iter().filter(|(a, b)| a < b).count();
    (
        wins,
        both.len(),
        mean(&both.iter().map(|p| p.0).collect::<Vec<_>>()),
        mean(&both.iter().map(|p| p.1).collect::<Vec<_>>()),
    )
}

pub fn section(rep: &mut Rep) -> Result<Section> {
    let k = rep.ctx.profile.k;
    let noise = rep.ctx.profile.noise.clone();
    let mut md = format!(
        "## Beyond the paper: how far to trust the heads\n\n\
         Every record carries calibration and selective-prediction measures of its test \
         predictions (`test_confidence` in `run.json`; `qmtl eval --json` prints the same). \
         The confidence of a token is the probability of the predicted tag (averaged over \
         the heads or members), or, for Q-MTL({k}) and the ensemble({k}), the heads' \
         agreement: the fraction of heads whose own choice is the predicted tag. ECE is the \
         expected calibration error over 15 equal-width bins, Brier the mean squared error \
         of the confidence against correctness (both lower is better), AURC the area under \
         the risk-coverage curve with tokens ranked by confidence (lower is better: errors \
         are ranked last), acc@90% the accuracy of the 90% most confident tokens. Seed {}, \
         0% label noise unless stated.\n\n\
         | treebank | model | accuracy | ECE | Brier | AURC | acc@90% | AURC by agreement | acc@90% by agreement |\n\
         |---|---|---|---|---|---|---|---|---|\n",
        rep.ctx.profile.seeds[0]
    );
    let mut csv = String::from(
        "dataset,noise,model,accuracy,ece,brier,aurc,acc90,aurc_agreement,acc90_agreement\n",
    );
    let at90 = |s: &Selective| {
        s.accuracy_at
            .iter()
            .find(|c| (c.coverage - 0.9).abs() < 1e-9)
            .map(|c| c.value)
    };
    let mut per_noise = Vec::new();
    for &q in &noise {
        let t = trios(rep, q);
        for tr in &t {
            for (name, r) in [
                ("STL".to_string(), &tr.stl),
                (format!("Q-MTL({k})"), &tr.qmtl),
                (format!("ensemble({k})"), &tr.ens),
            ] {
                let (Some(c), Some(p)) = (conf(r), prob(r)) else {
                    continue;
                };
                let a = agree(r);
                if q == 0.0 {
                    md += &format!(
                        "| {} | {name} | {} | {} | {} | {} | {} | {} | {} |\n",
                        tr.name,
                        f(Some(c.accuracy), 100.0, 2),
                        f(Some(p.ece), 100.0, 2),
                        f(Some(p.brier), 1.0, 4),
                        f(Some(p.aurc), 100.0, 2),
                        f(at90(p), 100.0, 2),
                        f(a.map(|a| a.aurc), 100.0, 2),
                        f(a.and_then(at90), 100.0, 2),
                    );
                }
                csv += &format!(
                    "{},{q},{name},{:.6},{:.6},{:.6},{:.6},{},{},{}\n",
                    tr.name,
                    c.accuracy,
                    p.ece,
                    p.brier,
                    p.aurc,
                    super::cell(at90(p)),
                    super::cell(a.map(|a| a.aurc)),
                    super::cell(a.and_then(at90)),
                );
            }
        }
        per_noise.push((q, t));
    }
    let link = rep.file("tables", "trust.csv", &csv)?;
    md += &format!(
        "\nECE and AURC in points (%). Every number at every noise level: [{link}]({link}).\n\n"
    );

    // The three questions, answered from the numbers.
    let zero = &per_noise[0].1;
    let (w, n, eq, es) = lower(
        &zero
            .iter()
            .map(|t| (prob(&t.qmtl).map(|p| p.ece), prob(&t.stl).map(|p| p.ece)))
            .collect::<Vec<_>>(),
    );
    let (wb, nb, bq, bs) = lower(
        &zero
            .iter()
            .map(|t| {
                (
                    prob(&t.qmtl).map(|p| p.brier),
                    prob(&t.stl).map(|p| p.brier),
                )
            })
            .collect::<Vec<_>>(),
    );
    let (we, ne, ee, _) = lower(
        &zero
            .iter()
            .map(|t| (prob(&t.ens).map(|p| p.ece), prob(&t.qmtl).map(|p| p.ece)))
            .collect::<Vec<_>>(),
    );
    md += &format!(
        "**1. Is Q-MTL's averaged probability better calibrated than STL's?** Q-MTL({k})'s ECE \
         is below STL's on {w} of {n} treebanks (mean {} vs {} points), its Brier score on \
         {wb} of {nb} (mean {:.4} vs {:.4}). The ensemble's ECE is below Q-MTL's on {we} of \
         {ne} (mean {} points).\n\n",
        f(Some(eq), 100.0, 2),
        f(Some(es), 100.0, 2),
        bq,
        bs,
        f(Some(ee), 100.0, 2),
    );
    let (wa, na, aq, ae) = lower(
        &zero
            .iter()
            .map(|t| {
                (
                    agree(&t.qmtl).map(|a| a.aurc),
                    agree(&t.ens).map(|a| a.aurc),
                )
            })
            .collect::<Vec<_>>(),
    );
    let (wp, np, pa, pp) = lower(
        &zero
            .iter()
            .map(|t| {
                (
                    agree(&t.qmtl).map(|a| a.aurc),
                    prob(&t.qmtl).map(|p| p.aurc),
                )
            })
            .collect::<Vec<_>>(),
    );
    let cost: Vec<f64> = {
        let ctx = rep.ctx;
        let seed = ctx.profile.seeds[0];
        let ud: Vec<Dataset> = ctx.ud().cloned().collect();
        let mut v = Vec::new();
        for d in &ud {
            // CPU seconds and the CPU model: seconds of two models do not compare.
            let c = |rep: &mut Rep, mode| {
                let run = load(rep, d, &ctx.noisy(d, mode, 0.0, seed))?;
                Some((run.whole_cpu_seconds()?, run.meta?.cpu))
            };
            if let (Some(q), Some(e)) = (c(rep, Mode::Qmtl), c(rep, Mode::Ensemble)) {
                if q.1 == e.1 {
                    v.push(q.0 / e.0);
                }
            }
        }
        v
    };
    md += &format!(
        "**2. Does agreement among Q-MTL's heads rank errors as well as the ensemble's?** \
         Ranked by agreement, Q-MTL({k})'s AURC is below the ensemble's on {wa} of {na} \
         treebanks (mean {} vs {} points), at {} of the ensemble's CPU time. Within Q-MTL, \
         agreement ranks errors better than the averaged probability on {wp} of {np} \
         treebanks (AURC {} vs {} points){}.\n\n",
        f(Some(aq), 100.0, 2),
        f(Some(ae), 100.0, 2),
        if cost.is_empty() {
            "–".into()
        } else {
            format!("{:.0}%", 100.0 * mean(&cost))
        },
        f(Some(pa), 100.0, 2),
        f(Some(pp), 100.0, 2),
        if np > 0 && 2 * wp < np {
            format!(
                ": agreement has only k + 1 = {} levels, so it ranks within ties that the \
                 probability separates",
                k + 1
            )
        } else {
            String::new()
        },
    );
    md += &format!(
        "**3. Under label noise** (Figure 5's runs; mean over the treebanks with both runs):\n\n\
         | noise | Q-MTL({k}) ECE | ensemble({k}) ECE | Q-MTL AURC by agreement | ensemble AURC by agreement | treebanks |\n\
         |---|---|---|---|---|---|\n"
    );
    let mut ece_panels = vec![
        Series {
            name: format!("Q-MTL({k}) ECE"),
            points: vec![],
        },
        Series {
            name: format!("ensemble({k}) ECE"),
            points: vec![],
        },
    ];
    for (q, t) in &per_noise {
        let both: Vec<&Trio> = t
            .iter()
            .filter(|t| conf(&t.qmtl).is_some() && conf(&t.ens).is_some())
            .collect();
        let m = |g: &dyn Fn(&Trio) -> Option<f64>| -> Option<f64> {
            let v: Vec<f64> = both.iter().filter_map(|t| g(t)).collect();
            (!v.is_empty()).then(|| mean(&v))
        };
        let qe = m(&|t| prob(&t.qmtl).map(|p| p.ece));
        let ee = m(&|t| prob(&t.ens).map(|p| p.ece));
        md += &format!(
            "| {:.0}% | {} | {} | {} | {} | {} |\n",
            100.0 * q,
            f(qe, 100.0, 2),
            f(ee, 100.0, 2),
            f(m(&|t| agree(&t.qmtl).map(|a| a.aurc)), 100.0, 2),
            f(m(&|t| agree(&t.ens).map(|a| a.aurc)), 100.0, 2),
            both.len()
        );
        if let (Some(a), Some(b)) = (qe, ee) {
            ece_panels[0].points.push((100.0 * q, 100.0 * a));
            ece_panels[1].points.push((100.0 * q, 100.0 * b));
        }
    }
    md.push('\n');

    // Figures: reliability diagrams and risk-coverage curves per treebank.
    let mut rel = Vec::new();
    let mut rc = Vec::new();
    let mut fig_csv = String::from("dataset,kind,model,x,y\n");
    for t in zero {
        let models = [
            ("STL".to_string(), &t.stl),
            (format!("Q-MTL({k})"), &t.qmtl),
            (format!("ensemble({k})"), &t.ens),
        ];
        if models.iter().all(|(_, r)| prob(r).is_none()) {
            continue;
        }
        let mut rs = Vec::new();
        let mut cs = Vec::new();
        for (name, r) in &models {
            if let Some(p) = prob(r) {
                let pts: Vec<(f64, f64)> = p
                    .bins
                    .iter()
                    .filter(|b| b.tokens > 0)
                    .map(|b| (100.0 * b.confidence, 100.0 * b.accuracy))
                    .collect();
                for (x, y) in &pts {
                    fig_csv += &format!("{},reliability,{name},{x:.4},{y:.4}\n", t.name);
                }
                rs.push(Series {
                    name: name.clone(),
                    points: pts,
                });
                let curve: Vec<(f64, f64)> = p
                    .risk_coverage
                    .iter()
                    .map(|c| (100.0 * c.coverage, 100.0 * c.value))
                    .collect();
                for (x, y) in &curve {
                    fig_csv += &format!(
                        "{},risk-coverage,{name} probability,{x:.4},{y:.4}\n",
                        t.name
                    );
                }
                cs.push(Series {
                    name: format!("{name} prob."),
                    points: curve,
                });
            }
            if let Some(a) = agree(r) {
                let curve: Vec<(f64, f64)> = a
                    .risk_coverage
                    .iter()
                    .map(|c| (100.0 * c.coverage, 100.0 * c.value))
                    .collect();
                for (x, y) in &curve {
                    fig_csv +=
                        &format!("{},risk-coverage,{name} agreement,{x:.4},{y:.4}\n", t.name);
                }
                cs.push(Series {
                    name: format!("{name} agr."),
                    points: curve,
                });
            }
        }
        rel.push(Panel {
            title: t.name.clone(),
            series: rs,
        });
        rc.push(Panel {
            title: t.name.clone(),
            series: cs,
        });
    }
    let reliability = Figure {
        title: "Reliability: accuracy against confidence (15 bins; the diagonal is perfect calibration)",
        x_desc: "confidence (%)",
        y_desc: "accuracy (%)",
        x_integer: false,
        kind: Kind::Scatter,
        panels: rel,
    };
    md += &rep.figure("trust-reliability", &reliability, &fig_csv)?;
    let risk = Figure {
        title: "Risk-coverage: error rate of the most confident tokens",
        x_desc: "coverage (%)",
        y_desc: "error rate (%)",
        x_integer: false,
        kind: Kind::Lines,
        panels: rc,
    };
    md += "\n";
    md += &rep.figure("trust-risk-coverage", &risk, &fig_csv)?;
    let noise_fig = Figure {
        title: "Calibration error against label noise (mean over treebanks)",
        x_desc: "label noise (%)",
        y_desc: "ECE (points)",
        x_integer: false,
        kind: Kind::Lines,
        panels: vec![Panel {
            title: "ECE".into(),
            series: ece_panels,
        }],
    };
    md += "\n";
    md += &rep.figure("trust-noise", &noise_fig, &csv)?;
    Ok(Section { md, checks: vec![] })
}
