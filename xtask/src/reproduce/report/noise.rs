//! Figures 5 and 7: test accuracy against label noise. Figure 5 compares mean
//! STL, Q-MTL(k) and the ensemble (section 3.1.3); Figure 7 crosses model
//! averaging / model selection with 0 / 20 hidden units (PTA, section 4).

use anyhow::Result;

use super::super::spec::Mode;
use super::plot::{Figure, Kind, Panel, Series};
use super::{mean, verdict, Check, Rep, Section};

/// Per dataset: `[noise][series]` test scores (None until the runs exist), then
/// the panels (one per complete dataset and an average) and the CSV.
struct Grid {
    rows: Vec<(String, Vec<Vec<f64>>)>,
}

impl Grid {
    fn panels(&self, noise: &[f64], names: &[String]) -> Vec<Panel> {
        let mut panels: Vec<Panel> = self
            .rows
            .iter()
            .map(|(d, v)| panel(d, noise, names, v))
            .collect();
        if self.rows.len() > 1 {
            let avg: Vec<Vec<f64>> = (0..noise.len())
                .map(|i| {
                    (0..names.len())
                        .map(|j| mean(&self.rows.iter().map(|r| r.1[i][j]).collect::<Vec<_>>()))
                        .collect()
                })
                .collect();
            panels.push(panel("Average", noise, names, &avg));
        }
        panels
    }

    fn csv(&self, noise: &[f64], header: &str) -> String {
        let mut csv = format!("dataset,noise,{header}\n");
        for (d, v) in &self.rows {
            for (p, row) in noise.iter().zip(v) {
                let cells: Vec<String> = row.iter().map(|x| format!("{x:.6}")).collect();
                csv += &format!("{d},{p},{}\n", cells.join(","));
            }
        }
        csv
    }

    /// How many (dataset, noise) cells satisfy `f`.
    fn count(&self, f: impl Fn(usize, &[f64]) -> bool) -> (usize, usize) {
        let cells = self.rows.iter().flat_map(|r| r.1.iter().enumerate());
        cells.fold((0, 0), |(n, m), (i, v)| (n + usize::from(f(i, v)), m + 1))
    }
}

fn panel(title: &str, noise: &[f64], names: &[String], v: &[Vec<f64>]) -> Panel {
    Panel {
        title: title.into(),
        series: (0..names.len())
            .map(|j| Series {
                name: names[j].clone(),
                points: noise
                    .iter()
                    .zip(v)
                    .map(|(p, r)| (100.0 * p, 100.0 * r[j]))
                    .collect(),
            })
            .collect(),
    }
}

pub fn fig5(rep: &mut Rep) -> Result<Section> {
    let (k, noise) = (rep.ctx.profile.k, rep.ctx.profile.noise.clone());
    let mut grid = Grid { rows: vec![] };
    let datasets: Vec<_> = rep.ctx.ud().cloned().collect();
    'd: for d in &datasets {
        let mut rows = Vec::new();
        for &p in &noise {
            let ctx = rep.ctx;
            let ens = |s| ctx.noisy(d, Mode::Ensemble, p, s);
            let v = [
                rep.mean(d, ens, |r| r.test.mean_heads()),
                rep.mean(d, |s| ctx.noisy(d, Mode::Qmtl, p, s), |r| r.test.avg),
                rep.mean(d, ens, |r| r.test.avg),
            ];
            let Some(v) = v.into_iter().collect::<Option<Vec<f64>>>() else {
                continue 'd;
            };
            rows.push(v);
        }
        grid.rows.push((d.name.clone(), rows));
    }
    let names = [
        "STL (mean)".to_string(),
        format!("Q-MTL({k})"),
        format!("ensemble({k})"),
    ];
    let fig = Figure {
        title: "Figure 5: test accuracy against label noise",
        x_desc: "label noise (%)",
        y_desc: "test accuracy (%)",
        x_integer: false,
        kind: Kind::Lines,
        panels: grid.panels(&noise, &names),
    };
    let mut md = String::from("## Figure 5: label noise, mean STL / Q-MTL / ensemble\n\n");
    md += &rep.figure("fig5", &fig, &grid.csv(&noise, "stl_mean,qmtl,ensemble"))?;
    md += "\nTest accuracy at each label noise level (section 3.1.3: each training label is \
           replaced with probability p, the same tokens for every model). STL is the mean \
           of the ensemble's members; Average is the mean over the treebanks shown.\n";
    let (q_above, cells) = grid.count(|_, v| v[1] > v[0]);
    let (e_above, _) = grid.count(|_, v| v[2] > v[0]);
    let (e_q0, _) = grid.count(|i, v| i == 0 && v[2] > v[1]);
    let last = noise.len().saturating_sub(1);
    let gaps: Vec<(f64, f64)> = grid
        .rows
        .iter()
        .map(|(_, v)| (v[0][2] - v[0][1], v[last][2] - v[last][1]))
        .collect();
    let closing = gaps.iter().filter(|(a, b)| b < a).count();
    let (g0, g1) = (
        mean(&gaps.iter().map(|g| g.0).collect::<Vec<_>>()),
        mean(&gaps.iter().map(|g| g.1).collect::<Vec<_>>()),
    );
    let pmax = 100.0 * noise.last().copied().unwrap_or(0.0);
    let mut checks = vec![
        Check {
            claim: "Figure 5: Q-MTL above mean STL at every noise level".into(),
            paper: "every treebank and level".into(),
            ours: format!("{q_above} of {cells} (treebank, level) cells"),
            verdict: verdict(q_above, cells),
        },
        Check {
            claim: "Figure 5: ensemble above mean STL".into(),
            paper: "dominantly".into(),
            ours: format!("{e_above} of {cells} cells"),
            verdict: verdict(e_above, cells),
        },
        Check {
            claim: "Figure 5: ensemble above Q-MTL at 0% noise".into(),
            paper: "slightly, most treebanks".into(),
            ours: format!("{e_q0} of {} treebanks", gaps.len()),
            verdict: verdict(e_q0, gaps.len()),
        },
    ];
    if last > 0 {
        checks.push(Check {
            claim: format!(
                "Figure 5: the ensemble's lead over Q-MTL shrinks from 0% to {pmax:.0}% noise"
            ),
            paper: "fades; Q-MTL reaches the ensemble at 30%".into(),
            ours: format!(
                "{closing} of {} treebanks; mean gap {:+.2} -> {:+.2} points",
                gaps.len(),
                100.0 * g0,
                100.0 * g1
            ),
            verdict: verdict(closing, gaps.len()),
        });
    }
    Ok(Section { md, checks })
}

pub fn fig7(rep: &mut Rep) -> Result<Section> {
    let mut md =
        String::from("## Figure 7: PTA and Q-MTL, model selection / averaging x 0 / 20 MLP\n\n");
    let noise = rep.ctx.profile.noise.clone();
    let mut grid = Grid { rows: vec![] };
    let datasets: Vec<_> = rep.ctx.ud().cloned().collect();
    'd: for d in &datasets {
        let mut rows = Vec::new();
        for &p in &noise {
            let ctx = rep.ctx;
            let mut v = Vec::new();
            for mlp in [0, 20] {
                let spec = |s| ctx.pta(d, mlp, p, s);
                let ma = rep.mean(d, spec, |r| r.test.avg);
                let ms = rep.mean(d, spec, |r| r.selected());
                let (Some(ma), Some(ms)) = (ma, ms) else {
                    continue 'd;
                };
                v.extend([ma, ms]);
            }
            rows.push(v);
        }
        grid.rows.push((d.name.clone(), rows));
    }
    let names: Vec<String> = [
        "MA @ 0 MLP",
        "MS @ 0 MLP (PTA)",
        "MA @ 20 MLP (Q-MTL)",
        "MS @ 20 MLP",
    ]
    .map(String::from)
    .to_vec();
    let fig = Figure {
        title: "Figure 7: model averaging (MA) / selection (MS) with 0 or 20 MLP units",
        x_desc: "label noise (%)",
        y_desc: "test accuracy (%)",
        x_integer: false,
        kind: Kind::Lines,
        panels: grid.panels(&noise, &names),
    };
    md += &rep.figure(
        "fig7",
        &fig,
        &grid.csv(&noise, "ma_mlp0,ms_mlp0,ma_mlp20,ms_mlp20"),
    )?;
    md += "\nMS scores the head with the best dev score; MA averages the heads (Eq. 3).\n";
    let (ma20, cells) = grid.count(|_, v| v[2] > v[3]);
    let (ms0, _) = grid.count(|_, v| v[1] >= v[0]);
    let last = noise.len().saturating_sub(1);
    let (q_pta, _) = grid.count(|i, v| i == last && v[2] > v[1]);
    let n = grid.rows.len();
    let checks = vec![
        Check {
            claim: "Figure 7: with 20 MLP, averaging beats selection".into(),
            paper: "yes".into(),
            ours: format!("{ma20} of {cells} (treebank, level) cells"),
            verdict: verdict(ma20, cells),
        },
        Check {
            claim: "Figure 7: with 0 MLP, selection at least as good as averaging".into(),
            paper: "often".into(),
            ours: format!("{ms0} of {cells} cells"),
            verdict: verdict(ms0, cells),
        },
        Check {
            claim: format!(
                "Figure 7: at {:.0}% noise Q-MTL (MA @ 20) beats PTA (MS @ 0)",
                100.0 * noise[last]
            ),
            paper: "7 of 10 treebanks".into(),
            ours: format!("{q_pta} of {n} treebanks"),
            verdict: verdict(q_pta, n),
        },
    ];
    Ok(Section { md, checks })
}
