//! Figures 2-4: dev learning curves of mean STL, Q-MTL(k) and the ensemble;
//! Q-MTL head j against STL_j (dev and test); and the Frobenius norms of the
//! heads' V and W. All read one ensemble(k) run (its members are STL_1..STL_k)
//! and one Q-MTL(k) run with the same seed (section 3.1.2).

use anyhow::Result;

use super::super::data::Dataset;
use super::super::spec::Mode;
use super::plot::{Figure, Kind, Panel, Series};
use super::{mean, verdict, Check, Rep, Section};

/// Per-seed (ensemble, Q-MTL) values at 0% noise, when both runs are finished.
fn pair<T>(
    rep: &mut Rep,
    d: &Dataset,
    f: impl Fn(&super::Run, &super::Run) -> T,
) -> Option<Vec<T>> {
    let ctx = rep.ctx;
    let e = rep.seeds(d, |s| ctx.noisy(d, Mode::Ensemble, 0.0, s), Clone::clone)?;
    let q = rep.seeds(d, |s| ctx.noisy(d, Mode::Qmtl, 0.0, s), Clone::clone)?;
    Some(e.iter().zip(&q).map(|(e, q)| f(e, q)).collect())
}

pub fn fig2(rep: &mut Rep) -> Result<Section> {
    let k = rep.ctx.profile.k;
    let mut csv = String::from("dataset,epoch,stl_mean,qmtl,ensemble\n");
    let (mut panels, mut wins, mut cases, mut last_wins, mut last_cases) = (vec![], 0, 0, 0, 0);
    let datasets: Vec<_> = rep.ctx.ud().cloned().collect();
    for d in &datasets {
        // [epoch] -> (mean STL_j, Q-MTL avg, ensemble avg), averaged over seeds.
        let Some(per_seed) = pair(rep, d, |e, q| {
            e.epochs
                .iter()
                .zip(&q.epochs)
                .map(|(a, b)| [a.dev.mean_heads(), b.dev.avg, a.dev.avg])
                .collect::<Vec<_>>()
        }) else {
            continue;
        };
        let n = per_seed.iter().map(Vec::len).min().unwrap_or(0);
        let curve: Vec<[f64; 3]> = (0..n)
            .map(|i| {
                std::array::from_fn(|j| mean(&per_seed.iter().map(|c| c[i][j]).collect::<Vec<_>>()))
            })
            .collect();
        for (i, c) in curve.iter().enumerate() {
            csv += &format!("{},{},{:.6},{:.6},{:.6}\n", d.name, i + 1, c[0], c[1], c[2]);
            cases += 1;
            wins += usize::from(c[1] > c[0]);
        }
        if let Some(c) = curve.last() {
            last_cases += 1;
            last_wins += usize::from(c[1] > c[0]);
        }
        let names = [
            "STL (mean)".to_string(),
            format!("Q-MTL({k})"),
            format!("ensemble({k})"),
        ];
        panels.push(Panel {
            title: d.name.clone(),
            series: (0..3)
                .map(|j| Series {
                    name: names[j].clone(),
                    points: curve
                        .iter()
                        .enumerate()
                        .map(|(i, c)| ((i + 1) as f64, 100.0 * c[j]))
                        .collect(),
                })
                .collect(),
        });
    }
    let fig = Figure {
        title: "Figure 2: dev accuracy over the epochs",
        x_desc: "epoch",
        y_desc: "dev accuracy (%)",
        x_integer: true,
        kind: Kind::Lines,
        panels,
    };
    let mut md = String::from("## Figure 2: dev accuracy per epoch, mean STL against Q-MTL\n\n");
    md += &rep.figure("fig2", &fig, &csv)?;
    md += "\nDev accuracy after each epoch. STL (mean) is the mean over the \
           ensemble's members STL_1..STL_k.\n";
    Ok(Section {
        md,
        checks: vec![
            Check {
                claim: format!("Figure 2: Q-MTL({k}) above mean STL on dev after the last epoch"),
                paper: "every treebank".into(),
                ours: format!("{last_wins} of {last_cases} treebanks"),
                verdict: verdict(last_wins, last_cases),
            },
            Check {
                claim: format!(
                    "Figure 2: Q-MTL({k}) above mean STL on dev from the first epochs on"
                ),
                paper: "consistently, from the beginning".into(),
                ours: format!("{wins} of {cases} (treebank, epoch) points"),
                verdict: verdict(wins, cases),
            },
        ],
    })
}

pub fn fig3(rep: &mut Rep) -> Result<Section> {
    let mut csv = String::from("dataset,seed,head,split,stl,qmtl\n");
    let (mut panels, mut above, mut n) = (vec![], [0usize; 2], [0usize; 2]);
    let seeds = rep.ctx.profile.seeds.clone();
    let datasets: Vec<_> = rep.ctx.ud().cloned().collect();
    for d in &datasets {
        let Some(per_seed) = pair(rep, d, |e, q| {
            [
                e.dev()
                    .heads
                    .iter()
                    .copied()
                    .zip(q.dev().heads.iter().copied())
                    .collect::<Vec<_>>(),
                e.test
                    .heads
                    .iter()
                    .copied()
                    .zip(q.test.heads.iter().copied())
                    .collect(),
            ]
        }) else {
            continue;
        };
        let mut series = vec![
            Series {
                name: "dev".into(),
                points: vec![],
            },
            Series {
                name: "test".into(),
                points: vec![],
            },
        ];
        for (seed, splits) in seeds.iter().zip(&per_seed) {
            for (s, pairs) in splits.iter().enumerate() {
                for (j, &(stl, q)) in pairs.iter().enumerate() {
                    let split = ["dev", "test"][s];
                    csv += &format!("{},{seed},{},{split},{stl:.6},{q:.6}\n", d.name, j + 1);
                    series[s].points.push((100.0 * stl, 100.0 * q));
                    n[s] += 1;
                    above[s] += usize::from(q > stl);
                }
            }
        }
        panels.push(Panel {
            title: d.name.clone(),
            series,
        });
    }
    let fig = Figure {
        title: "Figure 3: Q-MTL head j against STL_j (above the diagonal: Q-MTL better)",
        x_desc: "STL accuracy (%)",
        y_desc: "Q-MTL head accuracy (%)",
        x_integer: false,
        kind: Kind::Scatter,
        panels,
    };
    let mut md = String::from("## Figure 3: Q-MTL's heads against their STL counterparts\n\n");
    md += &rep.figure("fig3", &fig, &csv)?;
    md += "\nOne point per head j: x = STL_j, y = Q-MTL's head j, which start from the same \
           values and see the sentences in the same order; last epoch (dev) and test.\n";
    let checks = (0..2)
        .map(|s| Check {
            claim: format!(
                "Figure 3: Q-MTL head j above STL_j ({})",
                ["dev", "test"][s]
            ),
            paper: "typically (most points above the diagonal)".into(),
            ours: format!("{} of {} heads", above[s], n[s]),
            verdict: verdict(above[s], n[s]),
        })
        .collect();
    Ok(Section { md, checks })
}

pub fn fig4(rep: &mut Rep) -> Result<Section> {
    let mut csv = String::from("dataset,matrix,stl,qmtl\n");
    let mut cats = Vec::new();
    let mut vals: [[Vec<(f64, f64)>; 2]; 2] = Default::default(); // [V|W][STL|Q-MTL]
    let (mut smaller, mut n) = ([0usize; 2], 0);
    let datasets: Vec<_> = rep.ctx.ud().cloned().collect();
    for d in &datasets {
        let Some(per_seed) = pair(rep, d, |e, q| {
            [
                [mean(&e.norms.V), mean(&q.norms.V)],
                [mean(&e.norms.W), mean(&q.norms.W)],
            ]
        }) else {
            continue;
        };
        let x = cats.len() as f64;
        cats.push(d.name.clone());
        n += 1;
        for m in 0..2 {
            let stl = mean(&per_seed.iter().map(|v| v[m][0]).collect::<Vec<_>>());
            let q = mean(&per_seed.iter().map(|v| v[m][1]).collect::<Vec<_>>());
            csv += &format!("{},{},{stl:.6},{q:.6}\n", d.name, ["V", "W"][m]);
            vals[m][0].push((x, stl));
            vals[m][1].push((x, q));
            smaller[m] += usize::from(q < stl);
        }
    }
    let panels = (0..2)
        .map(|m| Panel {
            title: ["V (20 x 200)", "W (tags x 20)"][m].into(),
            series: vec![
                Series {
                    name: "STL".into(),
                    points: vals[m][0].clone(),
                },
                Series {
                    name: "Q-MTL".into(),
                    points: vals[m][1].clone(),
                },
            ],
        })
        .collect();
    let fig = Figure {
        title: "Figure 4: mean Frobenius norm of the heads' V and W",
        x_desc: "treebank",
        y_desc: "Frobenius norm",
        x_integer: false,
        kind: Kind::Bars {
            categories: cats,
            log: false,
        },
        panels,
    };
    let mut md = String::from("## Figure 4: Frobenius norms of V and W\n\n");
    md += &rep.figure("fig4", &fig, &csv)?;
    md += "\nMean over the k heads of the Frobenius norm of V_j and W_j after training: the \
           ensemble's members (STL) against Q-MTL's heads, which started from the same values.\n";
    let checks = (0..2)
        .map(|m| Check {
            claim: format!(
                "Figure 4: Q-MTL's {} norms smaller than STL's",
                ["V", "W"][m]
            ),
            paper: "every treebank".into(),
            ours: format!("{} of {n} treebanks", smaller[m]),
            verdict: verdict(smaller[m], n),
        })
        .collect();
    Ok(Section { md, checks })
}
